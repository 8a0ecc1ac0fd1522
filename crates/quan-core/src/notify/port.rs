//! The notifications leaf's store port.

use crate::page::{Page, PageRequest};
use crate::ports::StoreResult;
use async_trait::async_trait;
use quan_domain::{AccountId, CircleId, CommentId, NotificationId, NotifyKind, PostId, Timestamp};

#[derive(Debug, Clone, PartialEq)]
pub struct NotificationRecord {
    pub id: NotificationId,
    pub account_id: AccountId,
    pub kind: NotifyKind,
    pub circle_id: Option<CircleId>,
    pub post_id: Option<PostId>,
    /// Who caused it (empty for the system).
    pub actor_name: String,
    /// A short line: the post title, the comment's start, the moderator's reason.
    pub body: String,
    pub created_at: Timestamp,
    pub read_at: Option<Timestamp>,
}

/// What the store does for in-app notifications.
#[async_trait]
pub trait NotifyStore: Send + Sync {
    /// Inserts the notifications whose kind the recipient has not turned off;
    /// returns the ones inserted.
    async fn notifications_insert(
        &self,
        n: &[NotificationRecord],
    ) -> StoreResult<Vec<NotificationRecord>>;
    async fn notifications_list(
        &self,
        account: AccountId,
        page: &PageRequest,
    ) -> StoreResult<Page<NotificationRecord>>;
    async fn notifications_unread(&self, account: AccountId) -> StoreResult<i64>;
    /// Marks read everything up to and including `up_to` (all when None).
    async fn notifications_mark_read(
        &self,
        account: AccountId,
        up_to: Option<NotificationId>,
        now: Timestamp,
    ) -> StoreResult<u64>;
    /// Who wrote a comment (to tell them of a reply).
    async fn comment_author(&self, comment: CommentId) -> StoreResult<Option<AccountId>>;
    async fn notify_muted(&self, account: AccountId) -> StoreResult<Vec<NotifyKind>>;
    async fn notify_set(&self, account: AccountId, kind: NotifyKind, on: bool) -> StoreResult<()>;
}
