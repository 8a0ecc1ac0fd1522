//! The store port: Quan's source of truth.
//!
//! Tenancy is enforced here, in the shape of the API: every method that reads or
//! writes an org's data takes the `OrgId` and filters on it, so an id from another
//! org simply is not found. Methods that change state take the event that records the
//! change and append it in the same transaction, so the event log never disagrees
//! with the data.

use crate::page::{Page, PageRequest};
use async_trait::async_trait;
use quan_domain::*;

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// A uniqueness or foreign-key rule refused the write; `constraint` names which
    /// (the index name), so use cases map it to a precise error.
    #[error("conflict on {constraint}")]
    Conflict { constraint: String },
    #[error("not found")]
    NotFound,
    /// A stored value no longer parses into its domain type (a bug or a hand edit).
    #[error("corrupt row: {0}")]
    Corrupt(String),
    #[error("database: {0}")]
    Backend(#[source] Box<dyn std::error::Error + Send + Sync>),
}

impl StoreError {
    pub fn is_conflict_on(&self, name: &str) -> bool {
        matches!(self, StoreError::Conflict { constraint } if constraint == name)
    }
}

pub type StoreResult<T> = Result<T, StoreError>;

#[derive(Debug, Clone)]
pub struct AccountRecord {
    pub id: AccountId,
    pub email: Option<String>,
    pub phone: Option<String>,
    pub display_name: String,
    pub password_hash: String,
    pub created_at: Timestamp,
}

#[derive(Debug, Clone)]
pub struct SessionRecord {
    pub id: SessionId,
    pub account_id: AccountId,
    pub token_hash: String,
    pub created_at: Timestamp,
    pub expires_at: Timestamp,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OrgRecord {
    pub id: OrgId,
    pub name: String,
    pub created_at: Timestamp,
}

/// A staff member as listed in the console: the staff row joined with the account.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StaffRecord {
    pub org_id: OrgId,
    pub account_id: AccountId,
    pub role: Role,
    pub display_name: String,
    pub email: Option<String>,
    pub phone: Option<String>,
    pub joined_at: Timestamp,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InviteRecord {
    pub id: InviteId,
    pub org_id: OrgId,
    pub role: Role,
    pub code_hash: String,
    pub created_by: AccountId,
    pub created_at: Timestamp,
    pub expires_at: Timestamp,
    pub max_uses: i64,
    pub uses: i64,
    pub revoked_at: Option<Timestamp>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TokenRecord {
    pub id: TokenId,
    pub org_id: OrgId,
    pub account_id: AccountId,
    pub name: String,
    pub scopes: Scopes,
    pub token_hash: String,
    /// The first characters of the secret, shown so people can tell tokens apart.
    pub prefix: String,
    pub created_at: Timestamp,
    pub expires_at: Option<Timestamp>,
    pub revoked_at: Option<Timestamp>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HandleRecord {
    pub id: HandleId,
    pub person_id: PersonId,
    pub kind: HandleKind,
    pub value: String,
    pub verified: bool,
    pub created_at: Timestamp,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PersonRecord {
    pub id: PersonId,
    pub org_id: OrgId,
    pub display_name: String,
    pub account_id: Option<AccountId>,
    pub stage: LifecycleStage,
    pub verified: bool,
    pub created_at: Timestamp,
    pub handles: Vec<HandleRecord>,
    /// Set when this person was merged into another (undo clears it).
    pub merged_into: Option<PersonId>,
}

/// An entry of the org's event log.
#[derive(Debug, Clone, PartialEq)]
pub struct EventRecord {
    pub id: EventId,
    pub org_id: OrgId,
    pub kind: String,
    /// What the event is about, e.g. `staff:<account id>`.
    pub subject: String,
    pub actor: Option<AccountId>,
    pub data: serde_json::Value,
    pub at: Timestamp,
}

/// A job as the store hands it to a worker.
#[derive(Debug, Clone, PartialEq)]
pub struct JobRecord {
    pub id: JobId,
    pub kind: String,
    pub payload: serde_json::Value,
    pub attempts: i64,
    pub max_attempts: i64,
    pub run_at: Timestamp,
}

#[derive(Debug, Clone, PartialEq)]
pub struct NewJob {
    pub id: JobId,
    pub kind: String,
    pub payload: serde_json::Value,
    pub run_at: Timestamp,
    pub max_attempts: i64,
    /// At most one pending job per dedupe key (e.g. one hourly purge per hour).
    pub dedupe_key: Option<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct CircleRecord {
    pub id: CircleId,
    pub org_id: OrgId,
    pub name: String,
    pub description: String,
    pub mode: CircleMode,
    pub join_policy: JoinPolicy,
    pub posting: PostingPolicy,
    pub forwarding: bool,
    pub read_receipts: bool,
    pub public: bool,
    pub member_count: i64,
    pub created_by: AccountId,
    pub created_at: Timestamp,
    /// Discovery quality, recomputed by the `circles.quality` job.
    pub quality_score: f64,
    /// Where the circle stands at discovery's staff review gate.
    pub boost_status: BoostStatus,
    /// An image uploaded to the circle, shown on its cards and home.
    pub cover_image_id: Option<ImageId>,
    /// Normalised by [`quan_domain::parse_circle_tags`].
    pub tags: Vec<String>,
}

/// Whether a membership is in force or waiting for an admin.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MemberStatus {
    Active,
    Pending,
}

impl MemberStatus {
    pub const fn as_str(self) -> &'static str {
        match self {
            MemberStatus::Active => "active",
            MemberStatus::Pending => "pending",
        }
    }
}

/// A membership with the member's display name (joined from the person).
#[derive(Debug, Clone, PartialEq)]
pub struct CircleMemberRecord {
    pub circle_id: CircleId,
    pub account_id: AccountId,
    pub person_id: PersonId,
    pub display_name: String,
    pub role: CircleRole,
    pub status: MemberStatus,
    pub is_member: bool,
    pub is_customer: bool,
    pub is_fan: bool,
    pub joined_at: Timestamp,
    /// When the member got their current role (orders moderators).
    pub role_since: Timestamp,
}

#[derive(Debug, Clone, PartialEq)]
pub struct PostRecord {
    pub id: PostId,
    pub circle_id: CircleId,
    pub org_id: OrgId,
    pub author_account_id: AccountId,
    pub author_person_id: PersonId,
    /// The author's display name (joined from the person).
    pub author_name: String,
    pub kind: PostKind,
    pub title: String,
    pub body: String,
    pub score: i64,
    pub comment_count: i64,
    pub hot_rank: f64,
    pub last_activity_at: Timestamp,
    pub created_at: Timestamp,
    pub pinned_at: Option<Timestamp>,
    pub edited_at: Option<Timestamp>,
    /// Hidden pending review; only its author (and moderators, in the queue) see it.
    pub hidden_at: Option<Timestamp>,
    /// Set for tasks and needs.
    pub task_state: Option<TaskState>,
    pub task_assignee: Option<AccountId>,
    pub audience: Audience,
    /// The viewer's own reactions, where a read fills them in (feeds); else empty.
    pub my_reactions: Vec<ReactionKind>,
    /// Topic tags (see [`quan_domain::parse_circle_tags`]: the same rules).
    pub tags: Vec<String>,
    /// Attached images in order (written with the post; filled by feed and post reads).
    pub images: Vec<ImageId>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct CommentRecord {
    pub id: CommentId,
    pub post_id: PostId,
    /// The top-level comment this one replies to; None for a top-level comment.
    pub parent_id: Option<CommentId>,
    pub author_account_id: AccountId,
    pub author_person_id: PersonId,
    pub author_name: String,
    pub body: String,
    pub created_at: Timestamp,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RoomRecord {
    pub id: RoomId,
    pub circle_id: CircleId,
    pub name: String,
    pub is_default: bool,
    pub created_at: Timestamp,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MessageRecord {
    pub id: MessageId,
    pub room_id: RoomId,
    pub author_account_id: AccountId,
    pub author_person_id: PersonId,
    pub author_name: String,
    pub body: String,
    pub reply_to: Option<MessageId>,
    pub promoted_post_id: Option<PostId>,
    pub created_at: Timestamp,
    /// An image sent with the message.
    pub image_id: Option<ImageId>,
}

/// A member's standing in a circle's check-ins.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StreakRecord {
    pub account_id: AccountId,
    pub display_name: String,
    /// Consecutive days up to the last check-in.
    pub streak: i64,
    pub best_streak: i64,
    pub checkin_count: i64,
    /// Days since the epoch (UTC) of the last check-in; -1 if none.
    pub last_day: i64,
}

/// Who has and has not read a notice.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReceiptRecord {
    pub account_id: AccountId,
    pub display_name: String,
    pub read_at: Option<Timestamp>,
}

/// How a feed is ordered.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FeedSort {
    /// Newest first.
    New,
    /// By the stored hot rank, then newest.
    Hot,
    /// By score, among posts created since the given instant (day, week, month, all).
    Top { since: Timestamp },
    /// By latest activity (a new comment bumps a post).
    Active,
}

/// Names of the uniqueness rules use cases care about (index names in the schema).
pub mod constraints {
    pub const ACCOUNT_EMAIL: &str = "accounts_email_key";
    pub const ACCOUNT_PHONE: &str = "accounts_phone_key";
    pub const STAFF_PK: &str = "staff_pkey";
    pub const HANDLE_UNIQUE: &str = "handles_org_kind_value_key";
    pub const CIRCLE_MEMBER_PK: &str = "circle_members_pkey";
    pub const REPORT_ONCE: &str = "reports_once_idx";
    pub const PERSON_TAG_PK: &str = "person_tags_pkey";
    /// Not an index: raised by a merge whose persons were merged already.
    pub const PERSON_ALREADY_MERGED: &str = "person_already_merged";
}

#[async_trait]
pub trait Store:
    super::CircleOpsStore + super::NotifyStore + super::SearchStore + Send + Sync + 'static
{
    /// "sqlite" or "postgres", for logs and metrics.
    fn backend_name(&self) -> &'static str;
    async fn ping(&self) -> StoreResult<()>;
    /// Connection pool figures for `/metrics`: (open connections, idle connections).
    fn pool_stats(&self) -> (u32, u32);
    /// Closes every connection cleanly (SQLite checkpoints its WAL).
    async fn close(&self);

    // --- accounts and sessions (not org data: an account belongs to a human) ---
    async fn account_insert(&self, a: &AccountRecord) -> StoreResult<()>;
    async fn account_get(&self, id: AccountId) -> StoreResult<Option<AccountRecord>>;
    async fn account_by_login(&self, login: &Login) -> StoreResult<Option<AccountRecord>>;
    async fn account_set_password(&self, id: AccountId, hash: &str) -> StoreResult<()>;
    async fn session_insert(&self, s: &SessionRecord) -> StoreResult<()>;
    /// The live session with this token digest and its account.
    async fn session_find(
        &self,
        token_hash: &str,
        now: Timestamp,
    ) -> StoreResult<Option<(SessionRecord, AccountRecord)>>;
    async fn session_delete(&self, token_hash: &str) -> StoreResult<()>;
    /// Ends every session of an account but one (after a password change).
    async fn session_delete_others(
        &self,
        account: AccountId,
        keep: Option<SessionId>,
    ) -> StoreResult<u64>;

    // --- orgs and staff ---
    /// Creates an org with `owner` as its first owner.
    async fn org_create(
        &self,
        org: &OrgRecord,
        owner: AccountId,
        event: &EventRecord,
    ) -> StoreResult<()>;
    async fn org_get(&self, org: OrgId) -> StoreResult<Option<OrgRecord>>;
    /// The orgs an account is staff of, with its role in each, oldest first.
    async fn orgs_of_account(&self, account: AccountId) -> StoreResult<Vec<(OrgRecord, Role)>>;
    /// Every org on the instance (the operator's `quan admin list-orgs`).
    async fn org_list_all(&self) -> StoreResult<Vec<(OrgRecord, i64)>>;
    async fn staff_get(&self, org: OrgId, account: AccountId) -> StoreResult<Option<StaffRecord>>;
    async fn staff_list(&self, org: OrgId, page: &PageRequest) -> StoreResult<Page<StaffRecord>>;
    /// Sets a staff member's role unless that would leave the org without an owner.
    /// Returns NotFound when the account is not staff of the org.
    async fn staff_set_role(
        &self,
        org: OrgId,
        account: AccountId,
        role: Role,
        event: &EventRecord,
    ) -> StoreResult<StaffChange>;
    /// Removes a staff member unless they are the last owner.
    async fn staff_remove(
        &self,
        org: OrgId,
        account: AccountId,
        event: &EventRecord,
    ) -> StoreResult<StaffChange>;

    // --- invites ---
    async fn invite_insert(&self, inv: &InviteRecord, event: &EventRecord) -> StoreResult<()>;
    async fn invite_list(&self, org: OrgId, now: Timestamp) -> StoreResult<Vec<InviteRecord>>;
    async fn invite_by_code_hash(&self, code_hash: &str) -> StoreResult<Option<InviteRecord>>;
    async fn invite_revoke(
        &self,
        org: OrgId,
        id: InviteId,
        now: Timestamp,
        event: &EventRecord,
    ) -> StoreResult<bool>;
    /// Uses one of the invite's uses and adds the account as staff, atomically: the
    /// use count never exceeds `max_uses`, however many accept at once.
    async fn invite_accept(
        &self,
        code_hash: &str,
        account: AccountId,
        now: Timestamp,
        event: &EventRecord,
    ) -> StoreResult<InviteOutcome>;

    // --- API tokens ---
    async fn token_insert(&self, t: &TokenRecord, event: &EventRecord) -> StoreResult<()>;
    async fn token_list(&self, org: OrgId) -> StoreResult<Vec<TokenRecord>>;
    async fn token_by_hash(&self, token_hash: &str) -> StoreResult<Option<TokenRecord>>;
    async fn token_revoke(
        &self,
        org: OrgId,
        id: TokenId,
        now: Timestamp,
        event: &EventRecord,
    ) -> StoreResult<bool>;

    // --- persons ---
    async fn person_insert(&self, p: &PersonRecord, event: &EventRecord) -> StoreResult<()>;
    async fn person_get(&self, org: OrgId, id: PersonId) -> StoreResult<Option<PersonRecord>>;
    async fn person_list(&self, org: OrgId, page: &PageRequest) -> StoreResult<Page<PersonRecord>>;
    async fn handle_insert(
        &self,
        org: OrgId,
        h: &HandleRecord,
        event: &EventRecord,
    ) -> StoreResult<()>;

    // --- event log ---
    async fn event_append(&self, e: &EventRecord) -> StoreResult<()>;
    /// Newest first.
    async fn event_list(&self, org: OrgId, page: &PageRequest) -> StoreResult<Page<EventRecord>>;

    // --- durable jobs ---
    /// Enqueues a job; false when a pending job with the same dedupe key exists.
    async fn job_enqueue(&self, job: &NewJob) -> StoreResult<bool>;
    /// Claims the next due job for `lease_ms`, or None. Two workers never hold the
    /// same job (SKIP LOCKED on PostgreSQL; the single writer on SQLite).
    async fn job_claim(&self, now: Timestamp, lease_ms: i64) -> StoreResult<Option<JobRecord>>;
    async fn job_complete(&self, id: JobId, now: Timestamp) -> StoreResult<()>;
    /// Records a failure; retries at `retry_at` unless attempts are used up.
    async fn job_fail(&self, id: JobId, error: &str, retry_at: Timestamp) -> StoreResult<()>;
    /// Deletes expired sessions and invites, finished jobs older than `before`.
    async fn purge_expired(&self, now: Timestamp, before: Timestamp) -> StoreResult<u64>;

    // --- circles ---
    /// The person of `account` in `org`, created (with the account's e-mail and
    /// phone as handles, where no other person holds them) if there is none yet.
    async fn person_for_account(
        &self,
        org: OrgId,
        account: &AccountRecord,
        now: Timestamp,
    ) -> StoreResult<PersonRecord>;
    /// Creates a circle with its first member (the owner).
    async fn circle_insert(
        &self,
        c: &CircleRecord,
        owner: &CircleMemberRecord,
        event: &EventRecord,
    ) -> StoreResult<()>;
    /// A circle by id, whatever its org: visibility is the use case's decision.
    async fn circle_get(&self, id: CircleId) -> StoreResult<Option<CircleRecord>>;
    async fn circle_list(&self, org: OrgId, page: &PageRequest) -> StoreResult<Page<CircleRecord>>;
    /// Circles an account is an active member of, across orgs.
    async fn circles_of_account(
        &self,
        account: AccountId,
    ) -> StoreResult<Vec<(CircleRecord, CircleRole)>>;
    async fn circle_member_get(
        &self,
        circle: CircleId,
        account: AccountId,
    ) -> StoreResult<Option<CircleMemberRecord>>;
    /// Adds a membership; Conflict on `circle_members_pkey` if one exists. Active
    /// members are counted in the circle's member_count in the same transaction.
    async fn circle_member_insert(
        &self,
        m: &CircleMemberRecord,
        event: &EventRecord,
    ) -> StoreResult<()>;
    async fn circle_member_list(
        &self,
        circle: CircleId,
        status: MemberStatus,
        page: &PageRequest,
    ) -> StoreResult<Page<CircleMemberRecord>>;
    /// Turns a pending membership active; false when there is no pending one.
    async fn circle_member_approve(
        &self,
        circle: CircleId,
        account: AccountId,
        event: &EventRecord,
    ) -> StoreResult<bool>;
    /// Inserts a post with its search terms in one transaction; `audience_tags` are
    /// the tags its audience names.
    async fn post_insert(
        &self,
        p: &PostRecord,
        audience_tags: &[String],
        search_terms: &[String],
        event: &EventRecord,
    ) -> StoreResult<()>;
    /// One page of a circle's feed as `viewer` may see it: one query, authors joined
    /// in, no N+1; posts outside their author's history window are left out (except
    /// for the author).
    async fn post_feed(
        &self,
        circle: CircleId,
        sort: FeedSort,
        page: &PageRequest,
        viewer: AccountId,
        now: Timestamp,
    ) -> StoreResult<Page<PostRecord>>;
    /// Sets how far back others may see the account's posts.
    /// Posts carrying `tag`, newest first, as the viewer may see them.
    async fn post_feed_tagged(
        &self,
        circle: CircleId,
        tag: &str,
        page: &PageRequest,
        viewer: AccountId,
        now: Timestamp,
    ) -> StoreResult<Page<PostRecord>>;
    async fn account_set_history_window(
        &self,
        account: AccountId,
        w: HistoryWindow,
    ) -> StoreResult<()>;
    async fn account_history_window(&self, account: AccountId) -> StoreResult<HistoryWindow>;
    /// A live post of a circle as `viewer` may see it (the history window applies).
    async fn post_get(
        &self,
        circle: CircleId,
        id: PostId,
        viewer: AccountId,
        now: Timestamp,
    ) -> StoreResult<Option<PostRecord>>;
    /// Adds a comment and bumps the post's comment count and activity time. A reply to
    /// a reply is attached to its top-level comment (two levels deep). NotFound when the
    /// parent is not a comment of this post.
    async fn comment_insert(
        &self,
        c: &CommentRecord,
        event: &EventRecord,
    ) -> StoreResult<CommentRecord>;
    /// A post's comments in thread order (each top-level comment followed by its
    /// replies), up to `limit`.
    async fn comment_list(&self, post: PostId, limit: i64) -> StoreResult<Vec<CommentRecord>>;
    /// Sets (`on`) or clears one reaction; the post's score moves only if the reaction
    /// changed, so repeated or concurrent clicks count once. Returns the new score.
    async fn reaction_set(
        &self,
        post: PostId,
        person: PersonId,
        kind: ReactionKind,
        on: bool,
        now: Timestamp,
    ) -> StoreResult<i64>;
    /// The kinds `person` has reacted with on `post`.
    async fn reactions_of(&self, post: PostId, person: PersonId) -> StoreResult<Vec<ReactionKind>>;
    // --- teaching basics ---
    /// Records that `account` read a notice (the first read counts).
    async fn notice_read(
        &self,
        post: PostId,
        account: AccountId,
        now: Timestamp,
    ) -> StoreResult<()>;
    /// Every active member of the post's circle with when they read it (None: not yet).
    async fn notice_receipts(
        &self,
        circle: CircleId,
        post: PostId,
    ) -> StoreResult<Vec<ReceiptRecord>>;
    /// Checks in for `day` (days since the epoch, UTC). Idempotent per day; the streak
    /// grows when yesterday was checked in, restarts at 1 otherwise. Returns the
    /// member's standing and whether this call checked in (false: already today).
    async fn checkin(
        &self,
        circle: CircleId,
        account: AccountId,
        day: i64,
        now: Timestamp,
    ) -> StoreResult<(StreakRecord, bool)>;
    /// Members by current streak, as of `today` (a streak whose last day is before
    /// yesterday is broken and counts as 0).
    async fn checkin_leaderboard(
        &self,
        circle: CircleId,
        today: i64,
        limit: i64,
    ) -> StoreResult<Vec<StreakRecord>>;

    // --- chat ---
    /// A circle's rooms with the viewer's unread count in each (messages by others
    /// after the viewer's read position), in one query.
    async fn rooms_with_unread(
        &self,
        circle: CircleId,
        viewer: AccountId,
    ) -> StoreResult<Vec<(RoomRecord, i64)>>;
    async fn room_get(&self, circle: CircleId, room: RoomId) -> StoreResult<Option<RoomRecord>>;
    /// The circle a room belongs to (for authorising a WebSocket subscription).
    async fn room_circle(&self, room: RoomId) -> StoreResult<Option<CircleId>>;
    /// Stores a message and moves its author's read position to it (sending is
    /// reading), in one transaction.
    async fn message_insert(&self, m: &MessageRecord) -> StoreResult<()>;
    async fn message_get(&self, room: RoomId, id: MessageId) -> StoreResult<Option<MessageRecord>>;
    /// Newest first, before `before` (exclusive) when given.
    async fn message_list(
        &self,
        room: RoomId,
        before: Option<MessageId>,
        limit: i64,
    ) -> StoreResult<Vec<MessageRecord>>;
    /// Moves the viewer's read position forward (never back).
    async fn read_mark(&self, room: RoomId, account: AccountId, last: MessageId)
    -> StoreResult<()>;
    /// Creates the topic a message is promoted to and links both ways, atomically;
    /// Conflict `message_already_promoted` if it was promoted before.
    async fn message_promote(
        &self,
        room: RoomId,
        message: MessageId,
        post: &PostRecord,
        event: &EventRecord,
    ) -> StoreResult<()>;
    /// Recomputes the stored hot rank of posts younger than a week (up to `limit`
    /// rows) and zeroes it for older ones. Returns rows updated.
    async fn post_rank_batch(&self, now: Timestamp, limit: i64) -> StoreResult<u64>;
}

/// Outcome of a staff change that must keep at least one owner.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StaffChange {
    Done,
    LastOwner,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum InviteOutcome {
    Joined {
        org: OrgId,
        role: Role,
    },
    AlreadyStaff {
        org: OrgId,
    },
    /// Unknown, revoked, expired or used up: all look the same to the invitee.
    Invalid,
}
