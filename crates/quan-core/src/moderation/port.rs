//! The moderation capability's store port: reports and the review queue, sanctions,
//! the moderation log, sensitive words, and the signals trust levels are computed from.

use crate::circles::port::PostRecord;
use crate::page::{Page, PageRequest};
use crate::ports::StoreResult;
use async_trait::async_trait;
use quan_domain::{
    AccountId, Activity, CircleId, ModLogId, OrgId, PostId, ReportId, ReportReason, ReportStatus,
    SanctionKind, Timestamp, WordAction,
};

#[derive(Debug, Clone, PartialEq)]
pub struct ReportRecord {
    pub id: ReportId,
    pub circle_id: CircleId,
    pub post_id: PostId,
    pub account_id: AccountId,
    pub reporter_name: String,
    pub reason: ReportReason,
    pub note: String,
    pub weight: i64,
    pub status: ReportStatus,
    pub created_at: Timestamp,
}

/// A post waiting for a moderator: hidden, or reported and not yet resolved.
#[derive(Debug, Clone, PartialEq)]
pub struct QueueItem {
    pub post: PostRecord,
    pub report_weight: i64,
    pub reports: Vec<ReportRecord>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ReportOutcome {
    /// The post crossed the threshold with this report and is hidden now.
    pub hidden_now: bool,
    pub total_weight: i64,
}

#[derive(Debug, Clone, PartialEq)]
pub struct ModLogRecord {
    pub id: ModLogId,
    pub circle_id: CircleId,
    /// None for automatic actions (threshold hides, held words).
    pub account_id: Option<AccountId>,
    pub actor_name: Option<String>,
    pub action: String,
    pub target: String,
    pub reason: String,
    pub at: Timestamp,
}

#[derive(Debug, Clone, PartialEq)]
pub struct SanctionRecord {
    pub circle_id: CircleId,
    pub account_id: AccountId,
    pub display_name: String,
    pub kind: SanctionKind,
    /// None: until lifted.
    pub until: Option<Timestamp>,
    pub reason: String,
    pub created_by: AccountId,
    pub created_at: Timestamp,
}

impl SanctionRecord {
    pub fn in_force(&self, now: Timestamp) -> bool {
        self.until.is_none_or(|u| u > now)
    }
}

/// What the store does for reports, the review queue, sanctions, sensitive words and trust signals.
#[async_trait]
pub trait ModerationStore: Send + Sync {
    /// Adds a report and its weight; hides the post (logging it) when the summed
    /// weight reaches `threshold`. Conflict on `reports_once_idx` if already reported.
    async fn report_insert(
        &self,
        r: &ReportRecord,
        threshold: i64,
        hide_log: &ModLogRecord,
    ) -> StoreResult<ReportOutcome>;
    /// (upheld, resolved) reports by this account, for its flag accuracy.
    async fn report_accuracy(&self, account: AccountId) -> StoreResult<(i64, i64)>;
    async fn report_queue(&self, circle: CircleId, limit: i64) -> StoreResult<Vec<QueueItem>>;
    /// Resolves a post's open reports: upheld removes the post (soft delete), dismissed
    /// shows it again and clears its weight.
    async fn report_resolve(
        &self,
        circle: CircleId,
        post: PostId,
        status: ReportStatus,
        by: AccountId,
        now: Timestamp,
        log: &ModLogRecord,
    ) -> StoreResult<bool>;
    /// Hides a post pending review (a held sensitive word), with its log line.
    async fn post_hide(
        &self,
        circle: CircleId,
        post: PostId,
        log: &ModLogRecord,
    ) -> StoreResult<()>;
    async fn member_activity(
        &self,
        circle: CircleId,
        account: AccountId,
        now: Timestamp,
    ) -> StoreResult<Activity>;
    /// Records that the member read the circle on `day` (days since the epoch, UTC);
    /// a second call for the same day changes nothing.
    async fn visit_record(&self, circle: CircleId, account: AccountId, day: i64)
    -> StoreResult<()>;
    /// Records that the member opened a post (once per post).
    async fn post_view_record(
        &self,
        circle: CircleId,
        post: PostId,
        account: AccountId,
        now: Timestamp,
    ) -> StoreResult<()>;
    /// (posts, comments) this account wrote in the circle since `since`.
    async fn recent_writes(
        &self,
        circle: CircleId,
        account: AccountId,
        since: Timestamp,
    ) -> StoreResult<(i64, i64)>;
    async fn mod_log_list(
        &self,
        circle: CircleId,
        page: &PageRequest,
    ) -> StoreResult<Page<ModLogRecord>>;
    /// Sets (or replaces) a sanction; a ban also ends the membership.
    async fn sanction_set(&self, s: &SanctionRecord, log: &ModLogRecord) -> StoreResult<()>;
    async fn sanction_lift(
        &self,
        circle: CircleId,
        account: AccountId,
        kind: SanctionKind,
        log: &ModLogRecord,
    ) -> StoreResult<bool>;
    /// Sanctions in force now: all of a circle's (account None) or one account's.
    async fn sanctions(
        &self,
        circle: CircleId,
        account: Option<AccountId>,
        now: Timestamp,
    ) -> StoreResult<Vec<SanctionRecord>>;
    async fn sensitive_words(&self, org: OrgId) -> StoreResult<Vec<(String, WordAction)>>;
    async fn sensitive_word_set(
        &self,
        org: OrgId,
        word: &str,
        action: WordAction,
        now: Timestamp,
    ) -> StoreResult<()>;
    async fn sensitive_word_delete(&self, org: OrgId, word: &str) -> StoreResult<bool>;
}
