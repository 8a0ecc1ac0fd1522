//! `ChatStore` for `SqlStore`: rooms, messages and read positions.

pub(crate) mod decode;

use crate::chat::decode as chat_rows;
use crate::circles::posts::insert_post;
use crate::moderation::exec;
use crate::rows::{self, backend, int};
use crate::store::{SqlStore, Tx};
use async_trait::async_trait;
use quan_core::{
    ChatStore, EventRecord, MessageRecord, PostRecord, RoomRecord, StoreError, StoreResult,
};
use quan_domain::{AccountId, CircleId, MessageId, RoomId};

/// Moves a read position forward, never back. $1 room, $2 account, $3 message.
pub(crate) const READ_MARK: &str = "INSERT INTO chat_reads (room_id, account_id, last_read_id) VALUES ($1, $2, $3) \
     ON CONFLICT (room_id, account_id) DO UPDATE SET last_read_id = \
     CASE WHEN excluded.last_read_id > chat_reads.last_read_id THEN excluded.last_read_id ELSE chat_reads.last_read_id END";

pub(crate) const MESSAGE_SELECT: &str = "SELECT m.id, m.room_id, m.author_account_id, m.author_person_id, m.body, m.reply_to, m.promoted_post_id, \
     m.created_at, m.image_id, p.display_name AS author_name FROM chat_messages m JOIN persons p ON p.id = m.author_person_id";

#[async_trait]
impl ChatStore for SqlStore {
    async fn rooms_with_unread(
        &self,
        circle: CircleId,
        viewer: AccountId,
    ) -> StoreResult<Vec<(RoomRecord, i64)>> {
        let sql = "SELECT r.id, r.circle_id, r.name, r.is_default, r.created_at, \
                   (SELECT COUNT(*) FROM chat_messages m WHERE m.room_id = r.id AND m.author_account_id <> $2 \
                    AND m.id > COALESCE((SELECT cr.last_read_id FROM chat_reads cr WHERE cr.room_id = r.id AND cr.account_id = $2), '')) AS unread \
                   FROM chat_rooms r WHERE r.circle_id = $1 ORDER BY r.is_default DESC, r.id";
        self.fetch_all(
            sqlx::query(sql)
                .bind(circle.to_string())
                .bind(viewer.to_string()),
        )
        .await?
        .iter()
        .map(|r| Ok((chat_rows::room(r)?, rows::int(r, "unread")?)))
        .collect()
    }

    async fn room_get(&self, circle: CircleId, room: RoomId) -> StoreResult<Option<RoomRecord>> {
        self.fetch_opt(
            sqlx::query("SELECT id, circle_id, name, is_default, created_at FROM chat_rooms WHERE circle_id = $1 AND id = $2")
                .bind(circle.to_string())
                .bind(room.to_string()),
        )
        .await?
        .as_ref()
        .map(chat_rows::room)
        .transpose()
    }

    async fn room_circle(&self, room: RoomId) -> StoreResult<Option<CircleId>> {
        self.fetch_opt(
            sqlx::query("SELECT circle_id FROM chat_rooms WHERE id = $1").bind(room.to_string()),
        )
        .await?
        .as_ref()
        .map(|r| rows::id(r, "circle_id"))
        .transpose()
    }

    async fn message_insert(&self, m: &MessageRecord) -> StoreResult<()> {
        // Through the group writer: a busy room's messages share commits instead of
        // queueing for the single writer one by one (see `group`).
        let writer = m.author_account_id.to_string();
        let m = std::sync::Arc::new(m.clone());
        self.group
            .write(&writer, Box::new(move |tx: &mut Tx| {
                let m = std::sync::Arc::clone(&m);
                Box::pin(async move {
                    sqlx::query(
                        "INSERT INTO chat_messages (id, room_id, author_account_id, author_person_id, body, reply_to, created_at, image_id) \
                         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
                    )
                    .bind(m.id.to_string())
                    .bind(m.room_id.to_string())
                    .bind(m.author_account_id.to_string())
                    .bind(m.author_person_id.to_string())
                    .bind(m.body.clone())
                    .bind(m.reply_to.map(|r| r.to_string()))
                    .bind(m.created_at.millis())
                    .bind(m.image_id.map(|i| i.to_string()))
                    .execute(&mut **tx)
                    .await
                    .map_err(backend)?;
                    sqlx::query(READ_MARK)
                        .bind(m.room_id.to_string())
                        .bind(m.author_account_id.to_string())
                        .bind(m.id.to_string())
                        .execute(&mut **tx)
                        .await
                        .map_err(backend)?;
                    Ok(())
                })
            }))
            .await
    }

    async fn message_get(&self, room: RoomId, id: MessageId) -> StoreResult<Option<MessageRecord>> {
        let sql = format!("{MESSAGE_SELECT} WHERE m.room_id = $1 AND m.id = $2");
        self.fetch_opt(
            sqlx::query(&sql)
                .bind(room.to_string())
                .bind(id.to_string()),
        )
        .await?
        .as_ref()
        .map(chat_rows::message)
        .transpose()
    }

    async fn message_list(
        &self,
        room: RoomId,
        before: Option<MessageId>,
        limit: i64,
    ) -> StoreResult<Vec<MessageRecord>> {
        let cond = if before.is_some() {
            " AND m.id < $3"
        } else {
            ""
        };
        let sql =
            format!("{MESSAGE_SELECT} WHERE m.room_id = $1{cond} ORDER BY m.id DESC LIMIT $2");
        let mut q = sqlx::query(&sql).bind(room.to_string()).bind(limit);
        if let Some(b) = before {
            q = q.bind(b.to_string());
        }
        self.fetch_all(q)
            .await?
            .iter()
            .map(chat_rows::message)
            .collect()
    }

    async fn read_mark(
        &self,
        room: RoomId,
        account: AccountId,
        last: MessageId,
    ) -> StoreResult<()> {
        sqlx::query(READ_MARK)
            .bind(room.to_string())
            .bind(account.to_string())
            .bind(last.to_string())
            .execute(&self.write)
            .await
            .map_err(backend)?;
        Ok(())
    }

    async fn message_promote(
        &self,
        room: RoomId,
        message: MessageId,
        post: &PostRecord,
        event: &EventRecord,
    ) -> StoreResult<()> {
        let mut tx = self.begin().await?;
        insert_post(&mut tx, post).await?;
        sqlx::query("UPDATE posts SET source_message_id = $1 WHERE id = $2")
            .bind(message.to_string())
            .bind(post.id.to_string())
            .execute(&mut *tx)
            .await
            .map_err(backend)?;
        // Guarded: a message becomes a topic at most once, however many click at once.
        let r = sqlx::query("UPDATE chat_messages SET promoted_post_id = $1 WHERE id = $2 AND room_id = $3 AND promoted_post_id IS NULL")
            .bind(post.id.to_string())
            .bind(message.to_string())
            .bind(room.to_string())
            .execute(&mut *tx)
            .await
            .map_err(backend)?;
        if r.rows_affected() == 0 {
            return Err(StoreError::Conflict {
                constraint: "message_already_promoted".into(),
            });
        }
        crate::search::queue(
            &mut tx,
            post.id,
            post.circle_id,
            post.author_account_id,
            post.created_at,
        )
        .await?;
        Self::insert_event(&mut tx, event).await?;
        tx.commit().await.map_err(backend)
    }

    async fn room_insert(&self, r: &RoomRecord, max: i64) -> StoreResult<bool> {
        let mut tx = self.begin().await?;
        // The circle's row lock (PostgreSQL; SQLite's writer is already exclusive)
        // serialises room creation, so concurrent creations cannot pass max.
        exec(
            &mut tx,
            sqlx::query("UPDATE circles SET name = name WHERE id = $1")
                .bind(r.circle_id.to_string()),
        )
        .await?;
        let n = sqlx::query("SELECT COUNT(*) AS n FROM chat_rooms WHERE circle_id = $1")
            .bind(r.circle_id.to_string())
            .fetch_one(&mut *tx)
            .await
            .map_err(backend)?;
        if int(&n, "n")? >= max {
            return Ok(false);
        }
        exec(
            &mut tx,
            sqlx::query("INSERT INTO chat_rooms (id, circle_id, name, is_default, created_at) VALUES ($1, $2, $3, $4, $5)")
                .bind(r.id.to_string())
                .bind(r.circle_id.to_string())
                .bind(r.name.clone())
                .bind(i64::from(r.is_default))
                .bind(r.created_at.millis()),
        )
        .await?;
        tx.commit().await.map_err(backend)?;
        Ok(true)
    }
}
