//! The reach capability's store port: the versioned touch policy, contacts and their
//! per-staff counts, channel codes, 1:1 messages, campaigns with the touch ledger,
//! and consent; moments and journeys in their own files.

mod delivery;
mod journeys;
mod moments;
mod negatives;
mod rooms;

pub use delivery::*;
pub use journeys::*;
pub use moments::*;
pub use negatives::*;
pub use rooms::*;

use crate::events::port::EventRecord;
use crate::page::{Page, PageRequest};
use crate::ports::StoreResult;
use async_trait::async_trait;
use quan_domain::{
    AccountId, AutoReplyId, CampaignId, ChannelCodeId, ChannelMode, CircleId, ContactId, Frequency,
    LifecycleStage, OrgId, PersonId, ReachMessageId, RoomId, RuleAction, Shift, StageFacts,
    Timestamp, TouchPolicy, TouchVerdict, TransferId, TransferKind, TransferState,
};

/// One version of an org's reach configuration.
#[derive(Debug, Clone, PartialEq)]
pub struct PolicyRecord {
    pub org_id: OrgId,
    pub version: i64,
    pub effective_from: Timestamp,
    pub policy: TouchPolicy,
    pub created_by: Option<AccountId>,
    pub created_at: Timestamp,
}

/// How a contact was made.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ContactSource {
    Code,
    Manual,
    Invite,
    Import,
    /// Handed over from another staff member.
    Transfer,
}

impl ContactSource {
    pub const fn as_str(self) -> &'static str {
        match self {
            ContactSource::Code => "code",
            ContactSource::Manual => "manual",
            ContactSource::Invite => "invite",
            ContactSource::Import => "import",
            ContactSource::Transfer => "transfer",
        }
    }
    pub fn parse(raw: &str) -> Option<Self> {
        [
            Self::Code,
            Self::Manual,
            Self::Invite,
            Self::Import,
            Self::Transfer,
        ]
        .into_iter()
        .find(|s| s.as_str() == raw)
    }
}

/// A staff member's relationship with a customer.
#[derive(Debug, Clone, PartialEq)]
pub struct ContactRecord {
    pub id: ContactId,
    pub org_id: OrgId,
    pub staff_id: AccountId,
    pub staff_name: String,
    pub person_id: PersonId,
    pub person_name: String,
    /// The customer's account, where they have one (they hear messages there).
    pub person_account: Option<AccountId>,
    pub stage: LifecycleStage,
    pub source: ContactSource,
    pub code_id: Option<ChannelCodeId>,
    pub code_name: Option<String>,
    pub added_at: Timestamp,
    pub last_talked_at: Timestamp,
    pub removed_at: Option<Timestamp>,
    /// `staff` or `customer`.
    pub removed_by: Option<String>,
    /// Messages the reader has not seen (from the other side), where asked for.
    pub unread: i64,
}

#[derive(Debug, Clone, PartialEq)]
pub struct NewContact {
    pub id: ContactId,
    pub org: OrgId,
    pub staff: AccountId,
    pub person: PersonId,
    pub source: ContactSource,
    pub code: Option<ChannelCodeId>,
    pub now: Timestamp,
}

#[derive(Debug, Clone, PartialEq)]
pub enum AddOutcome {
    Added(ContactRecord),
    /// The two were already contacts: nothing changed.
    Existing(ContactRecord),
    /// The staff member holds `cap` customers already.
    AtCap,
}

/// One staff member's use of the contact cap.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StaffLoad {
    pub staff_id: AccountId,
    pub name: String,
    pub contacts: i64,
    /// Campaign and journey messages they sent and customers their moments reached,
    /// and the customers who left or opted out after one.
    pub delivered: i64,
    pub negatives: i64,
}

#[derive(Debug, Clone, PartialEq)]
pub struct ChannelCodeRecord {
    pub id: ChannelCodeId,
    pub org_id: OrgId,
    /// The link's random part: `/r/{slug}`.
    pub slug: String,
    pub name: String,
    pub mode: ChannelMode,
    /// In turn order.
    pub staff: Vec<AccountId>,
    /// Weekly shifts of some of `staff` (the others are always on duty).
    pub shifts: Vec<(AccountId, Shift)>,
    pub backup: Option<AccountId>,
    pub tags: Vec<String>,
    /// A template (may be empty: no welcome).
    pub welcome: String,
    pub opens: i64,
    pub adds: i64,
    pub created_at: Timestamp,
    pub archived_at: Option<Timestamp>,
}

/// What a message in a conversation is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MessageKind {
    Message,
    Welcome,
    Campaign,
    /// Sent by an auto-reply rule (or the away message) for the staff member.
    Auto,
    /// A journey's step.
    Journey,
}

impl MessageKind {
    pub const fn as_str(self) -> &'static str {
        match self {
            MessageKind::Message => "message",
            MessageKind::Welcome => "welcome",
            MessageKind::Campaign => "campaign",
            MessageKind::Auto => "auto",
            MessageKind::Journey => "journey",
        }
    }
    pub fn parse(raw: &str) -> Option<Self> {
        [
            Self::Message,
            Self::Welcome,
            Self::Campaign,
            Self::Auto,
            Self::Journey,
        ]
        .into_iter()
        .find(|k| k.as_str() == raw)
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct ReachMessageRecord {
    pub id: ReachMessageId,
    pub org_id: OrgId,
    pub contact_id: ContactId,
    pub from_staff: bool,
    pub kind: MessageKind,
    pub body: String,
    pub campaign_id: Option<CampaignId>,
    /// Exactly once per key: `welcome:{contact}`, `campaign:{id}:{person}`.
    pub dedupe: Option<String>,
    pub created_at: Timestamp,
    /// Later than `created_at` while quiet hours hold it.
    pub visible_at: Timestamp,
    pub read_at: Option<Timestamp>,
}

/// Who a campaign is for: customers by these filters (empty lists do not filter),
/// or, when `rooms` is not empty, those circle chat rooms instead (one message each).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Segment {
    /// Every one of these tags.
    pub tags_all: Vec<String>,
    /// At least one of these.
    pub tags_any: Vec<String>,
    /// None of these.
    pub tags_none: Vec<String>,
    /// Stage codes (`engaged`, ...).
    pub stages: Vec<String>,
    /// Customers of these staff members.
    pub staff: Vec<AccountId>,
    /// Active members of this circle.
    pub circle: Option<CircleId>,
    /// Became a contact in this range (ms, inclusive start, exclusive end).
    pub added_from: Option<i64>,
    pub added_to: Option<i64>,
    /// Circle chat rooms: a room campaign names no customer filter.
    pub rooms: Vec<RoomId>,
}

/// Where a campaign is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CampaignStatus {
    Draft,
    /// A draft set to plan itself at `scheduled_for`.
    Scheduled,
    Planning,
    /// Planned; waiting for staff members to confirm their shares.
    Confirming,
    /// Every share confirmed.
    Sent,
    /// Stopped by its negative feedback: no more shares go out.
    Paused,
}

impl CampaignStatus {
    pub const fn as_str(self) -> &'static str {
        match self {
            CampaignStatus::Draft => "draft",
            CampaignStatus::Scheduled => "scheduled",
            CampaignStatus::Planning => "planning",
            CampaignStatus::Confirming => "confirming",
            CampaignStatus::Sent => "sent",
            CampaignStatus::Paused => "paused",
        }
    }
    pub fn parse(raw: &str) -> Option<Self> {
        [
            Self::Draft,
            Self::Scheduled,
            Self::Planning,
            Self::Confirming,
            Self::Sent,
            Self::Paused,
        ]
        .into_iter()
        .find(|s| s.as_str() == raw)
    }
}

/// A campaign's counts: what a preflight predicts and a plan records.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct PlanCounts {
    pub recipients: i64,
    pub over_budget: i64,
    pub staff_daily: i64,
    pub opted_out: i64,
    /// Recipients who hear from another staff member than their first.
    pub routed: i64,
    /// Of the over-budget, those held back only by their own week (they asked for
    /// at most one message a week).
    pub weekly: i64,
}

impl PlanCounts {
    /// Counts `n` customers with `outcome`.
    pub fn add(&mut self, outcome: TouchVerdict, n: i64) {
        match outcome {
            TouchVerdict::Send => self.recipients += n,
            TouchVerdict::OverBudget => self.over_budget += n,
            TouchVerdict::StaffDaily => self.staff_daily += n,
            TouchVerdict::OptedOut => self.opted_out += n,
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct CampaignRecord {
    pub id: CampaignId,
    pub org_id: OrgId,
    pub name: String,
    pub template: String,
    pub segment: Segment,
    pub status: CampaignStatus,
    pub created_by: Option<AccountId>,
    pub created_at: Timestamp,
    pub planned_at: Option<Timestamp>,
    /// When its messages show (after quiet hours, if planned inside them).
    pub send_at: Option<Timestamp>,
    /// When a scheduled campaign plans itself.
    pub scheduled_for: Option<Timestamp>,
    pub counts: PlanCounts,
    /// Outside channels it also goes out on.
    pub channels: Channels,
    pub link: Option<LinkCard>,
}

/// One staff member's part of a planned campaign.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ShareRecord {
    pub staff_id: AccountId,
    pub staff_name: String,
    pub recipients: i64,
    pub confirmed_at: Option<Timestamp>,
}

/// Delivery figures of a campaign.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct CampaignResults {
    pub delivered: i64,
    pub read: i64,
    /// Customers who deleted their staff member or opted out within 48 h of it.
    pub negatives: i64,
    /// Messages whose link was opened (once each).
    pub clicked: i64,
    pub email: ChannelTally,
    pub webhook: ChannelTally,
}

/// The budget period and day a plan writes against.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlanWindow {
    pub period: String,
    pub limit: i64,
    pub day: String,
    /// The week a customer who asked for at most one message a week spends.
    pub own_period: String,
}

/// What a person lets an org send them, by topic. Order updates (with commerce)
/// are not a topic: they always reach the buyer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Consent {
    /// Campaigns (群发); off is the opt-out every audience honours.
    pub campaigns: bool,
    /// Journeys' messages (their tags and staff tasks go on).
    pub journeys: bool,
    /// Their staff's moments in the member app.
    pub moments: bool,
    /// How often campaigns and journeys' messages may reach them.
    pub frequency: Frequency,
}

impl Default for Consent {
    fn default() -> Self {
        Self {
            campaigns: true,
            journeys: true,
            moments: true,
            frequency: Frequency::Budget,
        }
    }
}

/// One customer of a staff member's share, as its confirmation writes to them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ShareRecipient {
    pub contact: ContactId,
    pub person: PersonId,
    pub name: String,
    /// Their account, for the live push (none for a person without one).
    pub account: Option<AccountId>,
}

/// What the store does for reach.
#[async_trait]
pub trait ReachStore: Send + Sync {
    /// The version in force at `at` (the newest whose `effective_from` passed).
    async fn policy_at(&self, org: OrgId, at: Timestamp) -> StoreResult<Option<PolicyRecord>>;
    /// Every version, newest first.
    async fn policy_versions(&self, org: OrgId) -> StoreResult<Vec<PolicyRecord>>;
    /// Appends a version numbered one past the newest; returns its number.
    async fn policy_insert(&self, p: &PolicyRecord, event: &EventRecord) -> StoreResult<i64>;

    /// Makes a contact unless the two are contacts already or the staff member holds
    /// `cap` (a guarded increment, so concurrent adds never pass it). The event is
    /// appended only when a contact is made.
    async fn contact_add(
        &self,
        c: &NewContact,
        cap: i64,
        event: &EventRecord,
    ) -> StoreResult<AddOutcome>;
    /// Ends a live contact; false if it was not live.
    async fn contact_remove(
        &self,
        org: OrgId,
        id: ContactId,
        by: &str,
        now: Timestamp,
        event: &EventRecord,
    ) -> StoreResult<bool>;
    async fn contact_get(&self, org: OrgId, id: ContactId) -> StoreResult<Option<ContactRecord>>;
    /// Live contacts, newest first; one staff member's when `staff` is given.
    async fn contact_list(
        &self,
        org: OrgId,
        staff: Option<AccountId>,
        page: &PageRequest,
    ) -> StoreResult<Page<ContactRecord>>;
    /// A person's contacts, live and past, newest first.
    async fn contacts_of_person(
        &self,
        org: OrgId,
        person: PersonId,
    ) -> StoreResult<Vec<ContactRecord>>;
    /// The live contacts an account is the customer of, in every org, with the
    /// customer's unread count; most recently talked first.
    async fn contacts_of_account(
        &self,
        account: AccountId,
        now: Timestamp,
    ) -> StoreResult<Vec<ContactRecord>>;
    /// Each staff member's live contacts (staff with none included).
    async fn staff_loads(&self, org: OrgId) -> StoreResult<Vec<StaffLoad>>;

    async fn code_insert(&self, c: &ChannelCodeRecord, event: &EventRecord) -> StoreResult<()>;
    async fn code_get(
        &self,
        org: OrgId,
        id: ChannelCodeId,
    ) -> StoreResult<Option<ChannelCodeRecord>>;
    async fn code_by_slug(&self, slug: &str) -> StoreResult<Option<ChannelCodeRecord>>;
    async fn code_list(&self, org: OrgId) -> StoreResult<Vec<ChannelCodeRecord>>;
    /// Counts an open and takes the next turn (the value before the increment).
    async fn code_open(&self, id: ChannelCodeId) -> StoreResult<i64>;
    async fn code_archive(
        &self,
        org: OrgId,
        id: ChannelCodeId,
        now: Timestamp,
        event: &EventRecord,
    ) -> StoreResult<bool>;

    /// Stores a message unless one with its dedupe key exists; true if stored. A
    /// message moves its contact's `last_talked_at`.
    async fn reach_message_insert(&self, m: &ReachMessageRecord) -> StoreResult<bool>;
    /// A conversation's messages visible at `now`, newest first, before `before`.
    async fn reach_messages(
        &self,
        contact: ContactId,
        now: Timestamp,
        before: Option<ReachMessageId>,
        limit: i64,
    ) -> StoreResult<Vec<ReachMessageRecord>>;
    /// Marks read what the other side sent (staff messages when the customer reads).
    async fn reach_messages_read(
        &self,
        contact: ContactId,
        from_staff: bool,
        now: Timestamp,
    ) -> StoreResult<u64>;
    /// Unread customer messages per live contact of a staff member.
    async fn staff_unread(&self, org: OrgId, staff: AccountId) -> StoreResult<i64>;

    async fn campaign_insert(&self, c: &CampaignRecord, event: &EventRecord) -> StoreResult<()>;
    async fn campaign_get(&self, org: OrgId, id: CampaignId)
    -> StoreResult<Option<CampaignRecord>>;
    async fn campaign_list(
        &self,
        org: OrgId,
        page: &PageRequest,
    ) -> StoreResult<Page<CampaignRecord>>;
    /// Moves a draft to planning; false if it was not a draft (a second send).
    /// Draft or scheduled → planning; false if it was neither (sent already, or
    /// another node began it).
    async fn campaign_begin(&self, org: OrgId, id: CampaignId, now: Timestamp)
    -> StoreResult<bool>;
    /// Scheduled and due by `now` → planning (the sweep's begin: a schedule taken
    /// back or moved later since the sweep read it is left alone).
    async fn campaign_begin_due(
        &self,
        org: OrgId,
        id: CampaignId,
        now: Timestamp,
    ) -> StoreResult<bool>;
    /// Draft → scheduled for `at`, or (None) scheduled → draft; false if it was not
    /// in the state to move from.
    async fn campaign_schedule(
        &self,
        org: OrgId,
        id: CampaignId,
        at: Option<Timestamp>,
        event: &EventRecord,
    ) -> StoreResult<bool>;
    /// Scheduled campaigns of every org due by `now`, soonest first (the sweep).
    async fn campaigns_due(&self, now: Timestamp, limit: i64) -> StoreResult<Vec<CampaignRecord>>;
    /// Undoes a plan that failed part-way, in one transaction with `event`: the
    /// touches its committed ranges took in `w` (the period's, and the weeks of
    /// customers who asked for at most one message a week) and the staff members'
    /// days go back, its recipients go, and the campaign is a draft again
    /// (unscheduled). False if it was not planning.
    async fn campaign_abort(
        &self,
        org: OrgId,
        id: CampaignId,
        w: &PlanWindow,
        event: &EventRecord,
    ) -> StoreResult<bool>;
    /// What a campaign to `segment` planned in `w` would do now, counted in the
    /// store: each customer's verdict is [`quan_domain::touch_verdict`] (opt-out,
    /// then the staff member's day, then the budget or the customer's own week),
    /// written there as SQL so a
    /// million customers are counted without leaving the database.
    async fn audience_counts(
        &self,
        org: OrgId,
        segment: &Segment,
        w: &PlanWindow,
    ) -> StoreResult<PlanCounts>;
    /// Plans the next range of at most `batch` persons after `after` (person
    /// order), in one transaction: records every customer's verdict, then takes the
    /// staff member's day, a touch of the budget and (for a customer who asked for at
    /// most one a week) their week for each `Send` by guarded set-based writes, so a customer a concurrent campaign took first ends
    /// `StaffDaily` or `OverBudget` instead of passing a limit. Returns where the
    /// range ended, or None when the audience is done.
    async fn plan_range(
        &self,
        org: OrgId,
        campaign: CampaignId,
        segment: &Segment,
        w: &PlanWindow,
        after: Option<PersonId>,
        batch: i64,
    ) -> StoreResult<Option<PersonId>>;
    /// A planned campaign's counts, from what its plan recorded in `w`.
    async fn plan_counts(
        &self,
        org: OrgId,
        campaign: CampaignId,
        segment: &Segment,
        w: &PlanWindow,
    ) -> StoreResult<PlanCounts>;
    /// Ends planning: stores the counts and one share per staff member.
    async fn campaign_planned(
        &self,
        org: OrgId,
        id: CampaignId,
        counts: &PlanCounts,
        send_at: Timestamp,
        event: &EventRecord,
    ) -> StoreResult<()>;
    async fn campaign_shares(&self, id: CampaignId) -> StoreResult<Vec<ShareRecord>>;
    /// A staff member's recipients in a campaign: (contact, customer name).
    async fn share_recipients(
        &self,
        id: CampaignId,
        staff: AccountId,
    ) -> StoreResult<Vec<ShareRecipient>>;
    /// Confirms a share and stores its messages in one transaction; false if it
    /// was confirmed already. The campaign is sent when its last share is.
    async fn share_confirm(
        &self,
        org: OrgId,
        id: CampaignId,
        staff: AccountId,
        messages: &[ReachMessageRecord],
        now: Timestamp,
        event: &EventRecord,
    ) -> StoreResult<bool>;
    async fn campaign_results(&self, id: CampaignId) -> StoreResult<CampaignResults>;
    /// Attributes a customer's deletion or opt-out (`kind`) to the latest campaign
    /// or journey message, or moment, that `blame` allows and they were shown in
    /// `[since, now]`, once per campaign (journey, moment) and customer. The
    /// campaign's figures for its pause rule, or None: nothing to blame, attributed
    /// already, or a journey's or moment's (recorded on its step or moment; neither
    /// pauses).
    async fn negative_record(
        &self,
        org: OrgId,
        person: PersonId,
        kind: &str,
        blame: &Blame,
        (since, now): (Timestamp, Timestamp),
        first_hour_ms: i64,
    ) -> StoreResult<Option<NegativeHit>>;
    /// Pauses a campaign that is going or gone out; false if it was not.
    async fn campaign_pause(
        &self,
        org: OrgId,
        id: CampaignId,
        event: &EventRecord,
    ) -> StoreResult<bool>;

    async fn consent_opted_out(&self, org: OrgId, person: PersonId) -> StoreResult<bool>;
    /// What a person allows an org (everything, without a choice of theirs).
    async fn consent_get(&self, org: OrgId, person: PersonId) -> StoreResult<Consent>;
    async fn consent_set(
        &self,
        org: OrgId,
        person: PersonId,
        consent: &Consent,
        now: Timestamp,
        event: &EventRecord,
    ) -> StoreResult<()>;

    /// Erases a person's personal fields for the consent centre, in one
    /// transaction: the name becomes `placeholder`, handles and tags go, their
    /// contacts end (`erased`), the messages they wrote are blanked, campaigns stop;
    /// `event` is the audit record.
    async fn person_erase(
        &self,
        org: OrgId,
        person: PersonId,
        placeholder: &str,
        now: Timestamp,
        event: &EventRecord,
    ) -> StoreResult<()>;
    /// Every message of a contact, oldest first (for a person's export).
    async fn reach_messages_all(&self, contact: ContactId) -> StoreResult<Vec<ReachMessageRecord>>;
    /// The persons an account is, with each org's id and name.
    async fn persons_of_account(
        &self,
        account: AccountId,
    ) -> StoreResult<Vec<(PersonId, OrgId, String)>>;
    /// What the stage rule needs to know of a person.
    async fn stage_facts(
        &self,
        org: OrgId,
        person: PersonId,
        now: Timestamp,
    ) -> StoreResult<StageFacts>;
    /// Sets a person's stage if it differs, with the event; true if it changed.
    async fn stage_set(
        &self,
        org: OrgId,
        person: PersonId,
        stage: LifecycleStage,
        event: &EventRecord,
    ) -> StoreResult<bool>;
    /// A person's reach history from the event log (`contact.*`, `consent.*`,
    /// `person.stage_changed`), newest first.
    async fn reach_history(
        &self,
        org: OrgId,
        person: PersonId,
        limit: i64,
    ) -> StoreResult<Vec<EventRecord>>;
}

/// A customer handed from one staff member to another.
#[derive(Debug, Clone, PartialEq)]
pub struct TransferRecord {
    pub id: TransferId,
    pub org_id: OrgId,
    /// The transfers made together share it (the first one's id).
    pub batch: TransferId,
    pub person_id: PersonId,
    pub person_name: String,
    pub from_contact: ContactId,
    pub from_staff: AccountId,
    pub from_name: String,
    pub to_staff: AccountId,
    pub to_name: String,
    pub kind: TransferKind,
    pub message: String,
    pub note: String,
    pub state: TransferState,
    pub created_at: Timestamp,
    /// When it completes unless refused.
    pub due_at: Timestamp,
    pub decided_at: Option<Timestamp>,
}

/// How completing a due transfer went.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CompleteOutcome {
    Completed,
    /// The receiver was at the cap: the transfer failed, the customer stays.
    ReceiverAtCap,
    /// Decided meanwhile (refused, or completed by another node).
    AlreadyDecided,
    /// The customer's contact with the handing-over staff member ended meanwhile.
    ContactEnded,
}

/// What the store does for transfers.
#[async_trait]
pub trait TransferStore: Send + Sync {
    /// Pending and completed transfers of a person since `since`.
    async fn transfers_since(&self, person: PersonId, since: Timestamp) -> StoreResult<i64>;
    /// Whether a person has a pending transfer.
    async fn transfer_pending(&self, person: PersonId) -> StoreResult<bool>;
    async fn transfers_insert(
        &self,
        ts: &[TransferRecord],
        created_by: AccountId,
        events: &[EventRecord],
    ) -> StoreResult<()>;
    async fn transfer_get(&self, org: OrgId, id: TransferId)
    -> StoreResult<Option<TransferRecord>>;
    /// The org's transfers, newest first.
    async fn transfer_list(
        &self,
        org: OrgId,
        page: &PageRequest,
    ) -> StoreResult<Page<TransferRecord>>;
    /// Pending transfers of the persons an account is, in every org.
    async fn transfers_of_account(&self, account: AccountId) -> StoreResult<Vec<TransferRecord>>;
    /// Refuses a pending transfer; a refused resignation also ends the leaving
    /// staff member's contact (`end_contact`). False if it was not pending.
    async fn transfer_refuse(
        &self,
        t: &TransferRecord,
        end_contact: bool,
        now: Timestamp,
        events: &[EventRecord],
    ) -> StoreResult<bool>;
    /// Pending transfers due by `now`, oldest first.
    async fn transfers_due(&self, now: Timestamp, limit: i64) -> StoreResult<Vec<TransferRecord>>;
    /// Completes a due transfer in one transaction: ends the old contact, makes the
    /// receiver's under `cap` (a guarded increment), appends `events`.
    async fn transfer_complete(
        &self,
        t: &TransferRecord,
        new_contact: ContactId,
        cap: i64,
        now: Timestamp,
        events: &[EventRecord],
    ) -> StoreResult<CompleteOutcome>;
    /// Marks a pending transfer failed with its reason.
    async fn transfer_fail(
        &self,
        id: TransferId,
        reason: &str,
        now: Timestamp,
    ) -> StoreResult<bool>;
}

/// An auto-reply rule as stored (its matcher parsed when it is used).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AutoReplyRecord {
    pub id: AutoReplyId,
    pub org_id: OrgId,
    pub name: String,
    /// keyword | regex
    pub kind: String,
    pub pattern: String,
    pub action: RuleAction,
    /// A template (`{{name}}`, `{{staff}}`).
    pub answer: String,
    pub created_at: Timestamp,
}

/// An org's business hours and the reply outside them (empty: none).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct AutoReplySettings {
    pub business_hours: String,
    pub away_message: String,
}

/// What the store does for auto-replies.
#[async_trait]
pub trait AutoReplyStore: Send + Sync {
    /// The org's rules, oldest first (the first that matches answers).
    async fn auto_rules(&self, org: OrgId) -> StoreResult<Vec<AutoReplyRecord>>;
    async fn auto_rule_insert(&self, r: &AutoReplyRecord, event: &EventRecord) -> StoreResult<()>;
    async fn auto_rule_delete(
        &self,
        org: OrgId,
        id: AutoReplyId,
        event: &EventRecord,
    ) -> StoreResult<bool>;
    async fn auto_settings(&self, org: OrgId) -> StoreResult<AutoReplySettings>;
    async fn auto_settings_set(&self, org: OrgId, s: &AutoReplySettings) -> StoreResult<()>;
    /// Until when auto-replies wait in a conversation after a hand-off.
    async fn auto_paused_until(&self, contact: ContactId) -> StoreResult<Option<Timestamp>>;
    async fn auto_pause(&self, contact: ContactId, until: Timestamp) -> StoreResult<()>;
}
