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
    /// running | done | ended
    pub status: String,
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
    /// A message under the ledger: the budget `period` below `limit` and the staff
    /// member's local `day`, taken by guarded writes in the same transaction.
    Send {
        message: ReachMessageRecord,
        person: PersonId,
        staff: AccountId,
        period: String,
        limit: i64,
        day: String,
    },
    Task(JourneyTaskRecord),
}

/// One guarded move of a run: from `from_step` (as read) to `next_step`.
#[derive(Debug, Clone, PartialEq)]
pub struct JourneyAdvance {
    pub run: JourneyRunId,
    pub journey: JourneyId,
    pub from_step: i64,
    /// What the step came to, for the journey's results.
    pub outcome: &'static str,
    pub effect: StepEffect,
    pub next_step: i64,
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

/// What the store does for journeys.
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
    /// The org's active journeys started by `kind` (a trigger kind).
    async fn journeys_active(
        &self,
        org: Option<OrgId>,
        kind: &str,
    ) -> StoreResult<Vec<JourneyRecord>>;
    /// Starts a run (with its event on the person's timeline); false if this
    /// contact walked this journey already.
    async fn journey_enrol(&self, run: &JourneyRunRecord, event: &EventRecord)
    -> StoreResult<bool>;
    /// Live contacts silent since before `idle_before` who never walked `journey`.
    async fn journey_idle_contacts(
        &self,
        org: OrgId,
        journey: JourneyId,
        idle_before: Timestamp,
        limit: i64,
    ) -> StoreResult<Vec<ContactRecord>>;
    async fn journey_run_get(&self, run: JourneyRunId) -> StoreResult<Option<JourneyRunRecord>>;
    /// Running runs due by `now`, soonest first.
    async fn journey_runs_due(
        &self,
        now: Timestamp,
        limit: i64,
    ) -> StoreResult<Vec<JourneyRunRecord>>;
    /// A contact's running runs (a reply may move them on).
    async fn journey_runs_of_contact(
        &self,
        contact: ContactId,
    ) -> StoreResult<Vec<JourneyRunRecord>>;
    /// Whether the customer wrote in the conversation since `since`.
    async fn journey_replied(&self, contact: ContactId, since: Timestamp) -> StoreResult<bool>;
    /// The ledger a send to `person` through `staff` meets, from local day `from_day`
    /// on, with their consent.
    async fn journey_ledger(
        &self,
        org: OrgId,
        staff: AccountId,
        person: PersonId,
        from_day: &str,
    ) -> StoreResult<TouchLedger>;
    async fn journey_advance(&self, a: &JourneyAdvance) -> StoreResult<AdvanceOutcome>;
    /// Moves a step's due time (a send the ledger holds back); false if stale.
    async fn journey_defer(
        &self,
        run: JourneyRunId,
        step: i64,
        due: Timestamp,
    ) -> StoreResult<bool>;
    /// Ends a run early (`why`: contact_gone); false if it was not running.
    async fn journey_end(&self, run: JourneyRunId, why: &str, now: Timestamp) -> StoreResult<bool>;
    async fn journey_results(&self, id: JourneyId) -> StoreResult<JourneyResults>;
    /// A staff member's tasks, open ones first, newest first (200 at most).
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
