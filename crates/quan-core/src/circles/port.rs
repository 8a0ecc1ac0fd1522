//! The circles capability's store ports: circles and memberships, invite links, posts
//! and the feed, the task board with receipts and check-ins, and images. Split into
//! several traits so that no implementation block grows past a readable size.

use crate::events::port::EventRecord;
use crate::moderation::port::ModLogRecord;
use crate::page::{Page, PageRequest};
use crate::ports::StoreResult;
use async_trait::async_trait;
use quan_domain::{
    AccountId, Audience, BoostStatus, CircleId, CircleInviteId, CircleMode, CircleRole, CommentId,
    HistoryWindow, ImageId, JoinPolicy, MemberTypes, OrgId, PersonId, PostEditId, PostId, PostKind,
    PostingPolicy, ReactionKind, TaskState, TaskStepId, Timestamp,
};

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

/// What makes one viewer's feed differ from the plain one that is cached for all.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ViewerQuirks {
    /// The viewer's own history window in days (0: everything).
    pub history_days: i64,
    /// The viewer has posts hidden for review here (which they still see).
    pub held_posts: bool,
}

impl ViewerQuirks {
    pub fn is_plain(self) -> bool {
        self == Self::default()
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
    pub types: MemberTypes,
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

/// What a write may still take of an allowance (a new member's first-day posts or
/// comments): checked in the write's own transaction after the member's row is
/// locked, so concurrent writes cannot pass `max` together.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WriteQuota {
    pub circle: CircleId,
    pub account: AccountId,
    /// Writes at or after this instant count.
    pub since: Timestamp,
    pub max: i64,
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
    /// Pixels, upright (0 for images stored before they were decoded on upload).
    pub width: i64,
    pub height: i64,
    /// The thumbnail's blob and type (None for images stored before thumbnails).
    pub thumb: Option<(String, String)>,
}

/// What the store does for circles, memberships and their settings.
#[async_trait]
pub trait CircleStore: Send + Sync {
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
    async fn account_set_history_window(
        &self,
        account: AccountId,
        w: HistoryWindow,
    ) -> StoreResult<()>;
    async fn account_history_window(&self, account: AccountId) -> StoreResult<HistoryWindow>;
    /// Writes a circle's editable settings (name, description, policies, flags).
    async fn circle_update(&self, c: &super::CircleRecord) -> StoreResult<bool>;
    /// Changes a member's role (`role_seq` restarts: a newer moderator ranks after
    /// the earlier ones) and/or member types. Never touches the owner.
    async fn circle_member_update(
        &self,
        circle: CircleId,
        account: AccountId,
        role: Option<CircleRole>,
        types: Option<MemberTypes>,
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
    /// The order that holds the account's paid seat in the circle, if any (written
    /// by commerce with the payment; deleted with its refund).
    async fn paid_seat(
        &self,
        circle: CircleId,
        account: AccountId,
    ) -> StoreResult<Option<quan_domain::OrderId>>;
    /// Removes an active membership holding exactly `role` (a paid seat refunded),
    /// with its event, counting the circle one member fewer; false when there is
    /// none such (gone already, or their role changed).
    async fn circle_member_remove(
        &self,
        circle: CircleId,
        account: AccountId,
        role: CircleRole,
        event: &super::EventRecord,
    ) -> StoreResult<bool>;
    /// What makes a viewer's feed differ from the plain one in a circle.
    async fn viewer_quirks(
        &self,
        circle: CircleId,
        account: AccountId,
    ) -> StoreResult<ViewerQuirks>;
    /// Whether any live post of the circle has a restricted audience.
    async fn circle_has_audiences(&self, circle: CircleId) -> StoreResult<bool>;
}

/// What the store does for circle invite links.
#[async_trait]
pub trait CircleInviteStore: Send + Sync {
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
}

/// What the store does for posts, the feed, comments and reactions.
#[async_trait]
pub trait PostStore: Send + Sync {
    /// Inserts a post and queues it for the search indexer, in one transaction
    /// (grouped with concurrent posts where the store can); `audience_tags` are the
    /// tags its audience names. With a `quota`, Conflict `new_member_limit` when
    /// the author's posts since `quota.since` already reach `quota.max`.
    async fn post_insert(
        &self,
        p: &PostRecord,
        audience_tags: &[String],
        quota: Option<WriteQuota>,
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
    /// parent is not a comment of this post. With a `quota`, as for `post_insert`
    /// (counting the author's comments in the circle).
    async fn comment_insert(
        &self,
        c: &CommentRecord,
        quota: Option<WriteQuota>,
        event: &EventRecord,
    ) -> StoreResult<CommentRecord>;
    /// A post's comments in thread order (each top-level comment followed by its
    /// replies), up to `limit`.
    async fn comment_list(&self, post: PostId, limit: i64) -> StoreResult<Vec<CommentRecord>>;
    /// Sets (`on`) or clears one reaction; the post's score moves only if the reaction
    /// changed, so repeated or concurrent clicks count once. Returns the new score and
    /// whether this call changed the reaction (only that one tells the author).
    async fn reaction_set(
        &self,
        post: PostId,
        person: PersonId,
        kind: ReactionKind,
        on: bool,
        now: Timestamp,
    ) -> StoreResult<(i64, bool)>;
    /// The kinds `person` has reacted with on `post`.
    async fn reactions_of(&self, post: PostId, person: PersonId) -> StoreResult<Vec<ReactionKind>>;
    /// Recomputes the stored hot rank of posts younger than a week (up to `limit`
    /// rows) and zeroes it for older ones. Returns rows updated.
    async fn post_rank_batch(&self, now: Timestamp, limit: i64) -> StoreResult<u64>;
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
    /// Pins (`Some`) or unpins a live post; false when there is none. A pin beyond
    /// `max` pinned posts in the circle is Conflict `pin_limit` (serialised on the
    /// circle's row, so concurrent pins cannot pass it).
    async fn post_set_pinned(
        &self,
        circle: CircleId,
        id: PostId,
        pinned: Option<Timestamp>,
        max: i64,
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
}

/// What the store does for the task board, notice receipts and check-ins.
#[async_trait]
pub trait BoardStore: Send + Sync {
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
}

/// What the store does for uploaded images and what they are attached to.
#[async_trait]
pub trait ImageStore: Send + Sync {
    /// Records an upload; with a `quota`, Conflict `new_member_limit` when the
    /// member's uploads to the circle since `quota.since` reach `quota.max`.
    async fn image_insert(&self, img: &ImageRecord, quota: Option<WriteQuota>) -> StoreResult<()>;
    async fn image_get(&self, id: ImageId) -> StoreResult<Option<ImageRecord>>;
    /// The images of these posts, in each post's order.
    async fn images_of(&self, posts: &[PostId]) -> StoreResult<Vec<(PostId, ImageId)>>;
    /// The posts (live) an image is attached to.
    async fn image_posts(&self, image: ImageId) -> StoreResult<Vec<PostId>>;
    /// Whether an image was sent in one of the circle's chat rooms.
    async fn image_in_chat(&self, image: ImageId, circle: CircleId) -> StoreResult<bool>;
}
