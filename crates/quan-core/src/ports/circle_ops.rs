//! The store port for running circles (invite links, post management, the task
//! board, moderation) and for persons (tags, merges, the timeline). Split from
//! [`Store`](super::Store), which requires it, so each stays readable.

use super::{CircleMemberRecord, CircleRecord, EventRecord, PostRecord, StoreResult};
use crate::{Page, PageRequest};
use async_trait::async_trait;
use quan_domain::*;

#[derive(Debug, Clone, PartialEq)]
pub struct CircleInviteRecord {
    pub id: CircleInviteId,
    pub circle_id: CircleId,
    pub code_hash: String,
    /// The channel the link is for; members who join by it carry its id.
    pub label: String,
    pub created_by: AccountId,
    pub created_at: Timestamp,
    pub expires_at: Timestamp,
    pub max_uses: i64,
    pub uses: i64,
    pub revoked_at: Option<Timestamp>,
}

impl CircleInviteRecord {
    pub fn usable(&self, now: Timestamp) -> bool {
        self.revoked_at.is_none() && self.expires_at > now && self.uses < self.max_uses
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CircleInviteOutcome {
    /// A new active member.
    Joined,
    /// A waiting join request became an active membership.
    Approved,
    AlreadyMember,
    /// Expired, revoked or used up (decided inside the transaction).
    Invalid,
}

#[derive(Debug, Clone, PartialEq)]
pub struct PostEditRecord {
    pub id: PostEditId,
    pub post_id: PostId,
    pub title: String,
    pub body: String,
    pub edited_by: AccountId,
    pub edited_at: Timestamp,
}

#[derive(Debug, Clone, PartialEq)]
pub struct TaskStepRecord {
    pub id: TaskStepId,
    pub post_id: PostId,
    pub state: TaskState,
    pub account_id: AccountId,
    /// The actor's display name (joined).
    pub actor_name: String,
    pub note: String,
    pub at: Timestamp,
}

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

/// What a person merge moved, so undo can put exactly that back.
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct MergeMoves {
    pub handles: Vec<String>,
    /// (circle id, account id) of each membership.
    pub memberships: Vec<(String, String)>,
    pub posts: Vec<String>,
    pub comments: Vec<String>,
    pub messages: Vec<String>,
    /// (post id, kind) of each reaction (the ones the survivor did not already have).
    pub reactions: Vec<(String, String)>,
    pub tags: Vec<String>,
    /// Persons merged earlier into the merged person, re-pointed at the survivor.
    pub repointed: Vec<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct MergeRecord {
    pub id: MergeId,
    pub org_id: OrgId,
    pub survivor_id: PersonId,
    pub merged_id: PersonId,
    pub merged_name: String,
    pub actor: Option<AccountId>,
    pub reason: String,
    pub moves: MergeMoves,
    pub created_at: Timestamp,
    pub undone_at: Option<Timestamp>,
}

/// A merge to perform.
#[derive(Debug, Clone, PartialEq)]
pub struct NewMerge {
    pub org: OrgId,
    pub survivor: PersonId,
    pub merged: PersonId,
    /// None when automatic (a shared verified handle).
    pub actor: Option<AccountId>,
    pub reason: String,
    pub now: Timestamp,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UndoOutcome {
    Undone,
    AlreadyUndone,
    /// The survivor was itself merged later: undo that merge first.
    LaterMergeFirst,
}

/// One line of a person's timeline.
#[derive(Debug, Clone, PartialEq)]
pub struct TimelineEntry {
    pub at: Timestamp,
    /// joined | posted | commented | checked_in | merged
    pub kind: String,
    pub circle_id: Option<CircleId>,
    pub circle_name: String,
    pub text: String,
}

/// An uploaded image (its bytes are in the BlobStore under `sha256`).
#[derive(Debug, Clone, PartialEq)]
pub struct ImageRecord {
    pub id: ImageId,
    pub circle_id: CircleId,
    pub account_id: AccountId,
    pub sha256: String,
    pub content_type: String,
    pub bytes: i64,
    pub created_at: Timestamp,
}

/// A line of the public boost log.
#[derive(Debug, Clone, PartialEq)]
pub struct BoostLogRecord {
    pub id: ModLogId,
    pub org_id: OrgId,
    pub circle_id: CircleId,
    pub circle_name: String,
    /// requested | approved | rejected | withdrawn
    pub action: String,
    pub account_id: Option<AccountId>,
    pub reason: String,
    pub at: Timestamp,
}

/// What a circle's quality is computed from.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct QualityInputs {
    pub circle: CircleId,
    pub rank_sum: f64,
    pub month: i64,
    pub week: i64,
    pub prev_week: i64,
}

#[async_trait]
pub trait CircleOpsStore: Send + Sync {
    // --- circle administration ---
    /// Writes a circle's editable settings (name, description, policies, flags).
    async fn circle_update(&self, c: &super::CircleRecord) -> StoreResult<bool>;
    /// Changes a member's role (`role_seq` restarts: a newer moderator ranks after
    /// the earlier ones) and/or member types. Never touches the owner.
    async fn circle_member_update(
        &self,
        circle: CircleId,
        account: AccountId,
        role: Option<CircleRole>,
        types: Option<(bool, bool, bool)>,
        now: Timestamp,
    ) -> StoreResult<bool>;
    /// Deletes a pending join request (an admin declined it), with its event;
    /// returns whether there was one.
    async fn circle_member_decline(
        &self,
        circle: CircleId,
        account: AccountId,
        event: &super::EventRecord,
    ) -> StoreResult<bool>;
    // --- extra chat rooms ---
    /// Adds a room unless the circle has `max` already; returns whether it did.
    async fn room_insert(&self, r: &super::RoomRecord, max: i64) -> StoreResult<bool>;
    // --- discovery ---
    /// Public circles' activity figures, for the quality job.
    async fn quality_inputs(&self, now: Timestamp, limit: i64) -> StoreResult<Vec<QualityInputs>>;
    async fn quality_set(&self, scores: &[(CircleId, f64)]) -> StoreResult<u64>;
    /// Moves a circle's boost status from one of `from` to `to`, with its log line.
    async fn boost_set(
        &self,
        circle: CircleId,
        from: &[BoostStatus],
        to: BoostStatus,
        log: &BoostLogRecord,
    ) -> StoreResult<bool>;
    async fn boost_log(&self, limit: i64) -> StoreResult<Vec<BoostLogRecord>>;
    /// Public circles, approved boosts first, then by quality.
    /// Public circles, boosted first, then by quality; with `tag`, only circles
    /// carrying that (normalised) tag.
    async fn discover(&self, tag: Option<&str>, limit: i64) -> StoreResult<Vec<CircleRecord>>;

    // --- images ---
    async fn image_insert(&self, img: &ImageRecord) -> StoreResult<()>;
    async fn image_get(&self, id: ImageId) -> StoreResult<Option<ImageRecord>>;
    /// The images of these posts, in each post's order.
    async fn images_of(&self, posts: &[PostId]) -> StoreResult<Vec<(PostId, ImageId)>>;
    /// The posts (live) an image is attached to.
    async fn image_posts(&self, image: ImageId) -> StoreResult<Vec<PostId>>;
    /// Whether an image was sent in one of the circle's chat rooms.
    async fn image_in_chat(&self, image: ImageId, circle: CircleId) -> StoreResult<bool>;

    // --- invite links ---
    async fn circle_invite_insert(
        &self,
        inv: &CircleInviteRecord,
        event: &EventRecord,
    ) -> StoreResult<()>;
    async fn circle_invite_list(&self, circle: CircleId) -> StoreResult<Vec<CircleInviteRecord>>;
    async fn circle_invite_by_code_hash(
        &self,
        code_hash: &str,
    ) -> StoreResult<Option<CircleInviteRecord>>;
    async fn circle_invite_revoke(
        &self,
        circle: CircleId,
        id: CircleInviteId,
        now: Timestamp,
    ) -> StoreResult<bool>;
    /// Uses one of the invite's uses (a guarded increment) and makes `m` an active
    /// member, in one transaction.
    async fn circle_invite_accept(
        &self,
        invite: CircleInviteId,
        m: &CircleMemberRecord,
        event: &EventRecord,
    ) -> StoreResult<CircleInviteOutcome>;

    // --- post management ---
    /// A post as moderators see it (hidden ones too; not deleted ones).
    async fn post_get_any(&self, circle: CircleId, id: PostId) -> StoreResult<Option<PostRecord>>;
    /// Saves the current version in the edit history, then writes the new one.
    async fn post_update(
        &self,
        circle: CircleId,
        id: PostId,
        title: &str,
        body: &str,
        by: AccountId,
        now: Timestamp,
    ) -> StoreResult<bool>;
    async fn post_edits(&self, post: PostId) -> StoreResult<Vec<PostEditRecord>>;
    async fn post_set_pinned(
        &self,
        circle: CircleId,
        id: PostId,
        pinned: Option<Timestamp>,
        log: &ModLogRecord,
    ) -> StoreResult<bool>;
    /// Soft delete; `log` is written when a moderator (not the author) deletes.
    async fn post_delete(
        &self,
        circle: CircleId,
        id: PostId,
        now: Timestamp,
        log: Option<&ModLogRecord>,
    ) -> StoreResult<bool>;
    async fn post_pinned(
        &self,
        circle: CircleId,
        viewer: AccountId,
        now: Timestamp,
    ) -> StoreResult<Vec<PostRecord>>;
    /// A person's reactions among these posts (one query for a feed page).
    async fn reactions_mine(
        &self,
        person: PersonId,
        posts: &[PostId],
    ) -> StoreResult<Vec<(PostId, ReactionKind)>>;
    /// What makes a viewer's feed differ from the plain one in a circle: their
    /// history window (days) and whether they have posts hidden for review there.
    async fn viewer_quirks(&self, circle: CircleId, account: AccountId)
    -> StoreResult<(i64, bool)>;
    /// Whether any live post of the circle has a restricted audience.
    async fn circle_has_audiences(&self, circle: CircleId) -> StoreResult<bool>;

    // --- the task board ---
    /// Moves a task from `from` to `step.state` if it is still in `from` (so two
    /// members claiming at once cannot both win). `assignee`: Some(x) sets it.
    async fn task_step(
        &self,
        circle: CircleId,
        from: TaskState,
        assignee: Option<Option<AccountId>>,
        step: &TaskStepRecord,
    ) -> StoreResult<bool>;
    async fn task_steps(&self, post: PostId) -> StoreResult<Vec<TaskStepRecord>>;

    // --- moderation ---
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

    // --- persons ---
    async fn person_tags(&self, person: PersonId) -> StoreResult<Vec<String>>;
    async fn person_tag_add(
        &self,
        org: OrgId,
        person: PersonId,
        tag: &str,
        now: Timestamp,
    ) -> StoreResult<()>;
    async fn person_tag_remove(&self, person: PersonId, tag: &str) -> StoreResult<bool>;
    /// Who holds a handle in an org, and whether it is verified there.
    async fn person_by_handle(
        &self,
        org: OrgId,
        kind: HandleKind,
        value: &str,
    ) -> StoreResult<Option<(PersonId, bool)>>;
    /// Merges `m.merged` into `m.survivor` (both of `m.org`, neither merged already).
    async fn person_merge(&self, m: &NewMerge, event: &EventRecord) -> StoreResult<MergeRecord>;
    async fn person_merge_undo(
        &self,
        org: OrgId,
        id: MergeId,
        actor: AccountId,
        now: Timestamp,
        event: &EventRecord,
    ) -> StoreResult<UndoOutcome>;
    /// Merges that involve this person, newest first.
    async fn person_merges(&self, org: OrgId, person: PersonId) -> StoreResult<Vec<MergeRecord>>;
    async fn person_memberships(
        &self,
        person: PersonId,
    ) -> StoreResult<Vec<(CircleRecord, CircleMemberRecord)>>;
    async fn person_timeline(
        &self,
        person: PersonId,
        limit: i64,
    ) -> StoreResult<Vec<TimelineEntry>>;
}
