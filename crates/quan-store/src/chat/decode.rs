//! Rows of chat's tables as records: rooms and messages.

use crate::rows::{flag, id, opt_id, text, ts};
use quan_core::{MessageRecord, RoomRecord, StoreResult};
use sqlx::any::AnyRow;

pub(crate) fn room(row: &AnyRow) -> StoreResult<RoomRecord> {
    Ok(RoomRecord {
        id: id(row, "id")?,
        circle_id: id(row, "circle_id")?,
        name: text(row, "name")?,
        is_default: flag(row, "is_default")?,
        created_at: ts(row, "created_at")?,
    })
}

pub(crate) fn message(row: &AnyRow) -> StoreResult<MessageRecord> {
    Ok(MessageRecord {
        id: id(row, "id")?,
        room_id: id(row, "room_id")?,
        author_account_id: id(row, "author_account_id")?,
        author_person_id: id(row, "author_person_id")?,
        author_name: text(row, "author_name")?,
        body: text(row, "body")?,
        reply_to: opt_id(row, "reply_to")?,
        promoted_post_id: opt_id(row, "promoted_post_id")?,
        created_at: ts(row, "created_at")?,
        image_id: opt_id(row, "image_id")?,
    })
}
