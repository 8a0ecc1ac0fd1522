//! The journeys part of reach's store port: journeys, their runs and the guarded
//! move of a run, the ledger a journey's send meets, and staff tasks.

use super::{ContactRecord, ReachMessageRecord};
use crate::events::port::EventRecord;
use crate::page::{Page, PageRequest};
use crate::ports::StoreResult;
use async_trait::async_trait;
use quan_domain::{
    AccountId, ContactId, JourneyId, JourneyRunId, JourneyStep, JourneyTaskId, JourneyTrigger,
    OrgId, PersonId, Timestamp, TouchLedger, TouchVerdict,
};

/// Where a journey stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JourneyStatus {
    /// Being composed: dry runs only.
    Draft,
    /// Starting customers and walking them.
    Active,
    /// Stopped for good: its running customers ended.
    Archived,
}

impl JourneyStatus {
    pub const fn as_str(self) -> &'static str {
        match self {
            JourneyStatus::Draft => "draft",
            JourneyStatus::Active => "active",
            JourneyStatus::Archived => "archived",
        }
    }
    pub fn parse(raw: &str) -> Option<Self> {
        [Self::Draft, Self::Active, Self::Archived]
            .into_iter()
            .find(|s| s.as_str() == raw)
    }
}

/// A journey as the console composed it.
#[derive(Debug, Clone, PartialEq)]
pub struct JourneyRecord {
    pub id: JourneyId,
    pub org_id: OrgId,
    pub name: String,
    pub trigger: JourneyTrigger,
    pub steps: Vec<JourneyStep>,
    pub status: JourneyStatus,
    pub created_by: Option<AccountId>,
    pub created_at: Timestamp,
    pub dry_run_at: Option<Timestamp>,
    pub enabled_at: Option<Timestamp>,
}

/// Where one contact's walk stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RunStatus {
    Running,
    /// Every step taken.
    Done,
    /// Stopped early: the contact ended, or the journey was archived.
    Ended,
}

impl RunStatus {
    pub const fn as_str(self) -> &'static str {
        match self {
            RunStatus::Running => "running",
            RunStatus::Done => "done",
            RunStatus::Ended => "ended",
        }
    }
    pub fn parse(raw: &str) -> Option<Self> {
        [Self::Running, Self::Done, Self::Ended]
            .into_iter()
            .find(|s| s.as_str() == raw)
    }
}

/// One contact's walk through a journey.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JourneyRunRecord {
    pub id: JourneyRunId,
    pub journey_id: JourneyId,
    pub org_id: OrgId,
    pub contact_id: ContactId,
    /// The next step to take (0-based); the steps' count when done.
    pub step: i64,
    pub step_started_at: Timestamp,
    pub due_at: Timestamp,
    pub status: RunStatus,
    pub started_at: Timestamp,
}

/// How many runs of a journey reached a step with one outcome.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StepTally {
    pub step: i64,
    pub outcome: String,
    pub n: i64,
}

/// A journey's runs by state, and each step's outcomes.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct JourneyResults {
    pub running: i64,
    pub done: i64,
    pub ended: i64,
    /// Messages the journey sent, and the customers who left or opted out within
    /// 48 hours of one (each blamed on its step in `negatives_by_step`).
    pub delivered: i64,
    pub negatives: i64,
    pub negatives_by_step: Vec<(i64, i64)>,
    pub steps: Vec<StepTally>,
}

/// A task a journey gave a staff member about a customer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JourneyTaskRecord {
    pub id: JourneyTaskId,
    pub org_id: OrgId,
    pub journey_id: JourneyId,
    pub journey_name: String,
    pub run_id: JourneyRunId,
    pub staff_id: AccountId,
    pub contact_id: ContactId,
    pub person_id: PersonId,
    pub person_name: String,
    pub title: String,
    pub created_at: Timestamp,
    pub done_at: Option<Timestamp>,
}

/// What taking a step writes besides the run's move.
#[derive(Debug, Clone, PartialEq)]
pub enum StepEffect {
    None,
    /// A message under the ledger: the budget `period` below `limit`, the
    /// customer's own week `own` (when they asked for at most one message a week)
    /// and the staff member's local `day`, taken by guarded writes in the same
    /// transaction.
    Send {
        message: ReachMessageRecord,
        person: PersonId,
        staff: AccountId,
        period: String,
        limit: i64,
        own: Option<String>,
        day: String,
    },
    Task(JourneyTaskRecord),
}

/// One guarded move of a run: from `from_step` (as read) to `next_step`.
#[derive(Debug, Clone, PartialEq)]
pub struct JourneyAdvance {
    pub org: OrgId,
    pub run: JourneyRunId,
    pub journey: JourneyId,
    pub from_step: i64,
    /// What the step came to, for the journey's results.
    pub outcome: &'static str,
    pub effect: StepEffect,
    pub next_step: i64,
    /// When the next step begins (a reply-wait counts replies from then): the
    /// moment this one's message shows, or when this step was due.
    pub next_started: Timestamp,
    pub next_due: Timestamp,
    /// The run finished with this step.
    pub done: bool,
    pub now: Timestamp,
}

/// What a guarded move came to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AdvanceOutcome {
    Advanced,
    /// Another worker took this step first: nothing was written.
    Stale,
    /// A concurrent send took the staff member's day or the budget first: nothing
    /// was written; the step waits.
    Refused(TouchVerdict),
}

/// What the store does for journeys. Every method that reads or moves a run takes
/// the org and filters on it, like every other org-scoped method.
#[async_trait]
pub trait JourneyStore: Send + Sync {
    async fn journey_insert(&self, j: &JourneyRecord, event: &EventRecord) -> StoreResult<()>;
    async fn journey_get(&self, org: OrgId, id: JourneyId) -> StoreResult<Option<JourneyRecord>>;
    async fn journey_list(
        &self,
        org: OrgId,
        page: &PageRequest,
    ) -> StoreResult<Page<JourneyRecord>>;
    /// Records that a dry run was looked at (enabling needs one).
    async fn journey_dry_ran(&self, org: OrgId, id: JourneyId, now: Timestamp) -> StoreResult<()>;
    /// Draft → active, only after a dry run; false if it was not such a draft.
    async fn journey_enable(
        &self,
        org: OrgId,
        id: JourneyId,
        now: Timestamp,
        event: &EventRecord,
    ) -> StoreResult<bool>;
    /// → archived, ending its running customers; false if it was archived already.
    async fn journey_archive(
        &self,
        org: OrgId,
        id: JourneyId,
        now: Timestamp,
        event: &EventRecord,
    ) -> StoreResult<bool>;
    /// Active journeys started by `kind` (a trigger kind): the org's, or (the
    /// sweep) every org's.
    async fn journeys_active(
        &self,
        org: Option<OrgId>,
        kind: &str,
    ) -> StoreResult<Vec<JourneyRecord>>;
    /// Starts a run (with its event on the person's timeline); false if this
    /// contact walked this journey already.
    async fn journey_enrol(&self, run: &JourneyRunRecord, event: &EventRecord)
    -> StoreResult<bool>;
    /// Live contacts silent since before `idle_before` who never walked `journey`,
    /// the longest silent first.
    async fn journey_idle_contacts(
        &self,
        org: OrgId,
        journey: JourneyId,
        idle_before: Timestamp,
        limit: i64,
    ) -> StoreResult<Vec<ContactRecord>>;
    /// How many such contacts there are (what enabling starts at once).
    async fn journey_idle_count(
        &self,
        org: OrgId,
        journey: JourneyId,
        idle_before: Timestamp,
    ) -> StoreResult<i64>;
    async fn journey_run_get(
        &self,
        org: OrgId,
        run: JourneyRunId,
    ) -> StoreResult<Option<JourneyRunRecord>>;
    /// Running runs due by `now` in every org, soonest first (the sweep).
    async fn journey_runs_due(
        &self,
        now: Timestamp,
        limit: i64,
    ) -> StoreResult<Vec<JourneyRunRecord>>;
    /// A contact's running runs (a reply may move them on).
    async fn journey_runs_of_contact(
        &self,
        org: OrgId,
        contact: ContactId,
    ) -> StoreResult<Vec<JourneyRunRecord>>;
    /// Whether the customer wrote in the conversation since `since`.
    async fn journey_replied(
        &self,
        org: OrgId,
        contact: ContactId,
        since: Timestamp,
    ) -> StoreResult<bool>;
    /// The ledger a send to `person` through `staff` meets: their consent, the
    /// budget periods of the kind of `period` from it on, and the staff member's
    /// days from local day `day` on.
    async fn journey_ledger(
        &self,
        org: OrgId,
        staff: AccountId,
        person: PersonId,
        period: &str,
        day: &str,
    ) -> StoreResult<TouchLedger>;
    /// Takes the step: the run's guarded move and the step's effect in one
    /// transaction. A send re-checks the contact and consent inside it.
    async fn journey_advance(&self, a: &JourneyAdvance) -> StoreResult<AdvanceOutcome>;
    /// Moves a step's due time (a send the ledger holds back, a walk that failed);
    /// false if stale.
    async fn journey_defer(
        &self,
        org: OrgId,
        run: JourneyRunId,
        step: i64,
        due: Timestamp,
    ) -> StoreResult<bool>;
    /// Ends a run early (`why`: contact_gone); false if it was not running.
    async fn journey_end(
        &self,
        org: OrgId,
        run: JourneyRunId,
        why: &str,
        now: Timestamp,
    ) -> StoreResult<bool>;
    async fn journey_results(&self, org: OrgId, id: JourneyId) -> StoreResult<JourneyResults>;
    /// A staff member's tasks, open ones first, newest first (200 at most); titles
    /// as composed (templates), with the customer's name as it is now.
    async fn journey_tasks(
        &self,
        org: OrgId,
        staff: AccountId,
    ) -> StoreResult<Vec<JourneyTaskRecord>>;
    /// Marks the staff member's own task done; false if not theirs or done already.
    async fn journey_task_done(
        &self,
        org: OrgId,
        staff: AccountId,
        id: JourneyTaskId,
        now: Timestamp,
    ) -> StoreResult<bool>;
}
