//! The chat capability's store port: rooms, messages, read positions, promotion to a
//! topic.

use crate::circles::port::PostRecord;
use crate::events::port::EventRecord;
use crate::ports::StoreResult;
use async_trait::async_trait;
use quan_domain::{AccountId, CircleId, ImageId, MessageId, PersonId, PostId, RoomId, Timestamp};

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

/// What the store does for chat rooms and messages.
#[async_trait]
pub trait ChatStore: Send + Sync {
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
    /// Adds a room unless the circle has `max` already; returns whether it did.
    async fn room_insert(&self, r: &super::RoomRecord, max: i64) -> StoreResult<bool>;
}
