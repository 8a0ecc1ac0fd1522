//! `NotifyStore` for `SqlStore`: stored notifications, read marks and per-kind settings.

use crate::rows::{self, backend, opt_id, opt_ts, parsed, text, ts};
use crate::store::SqlStore;
use async_trait::async_trait;
use quan_core::{NotificationRecord, NotifyStore, Page, PageRequest, StoreError, StoreResult};
use quan_domain::{AccountId, CommentId, NotificationId, NotifyKind, Timestamp};
use sqlx::any::AnyRow;

pub(crate) const COLS: &str =
    "id, account_id, kind, circle_id, post_id, actor_name, body, created_at, read_at";

pub(crate) fn notification(row: &AnyRow) -> StoreResult<NotificationRecord> {
    Ok(NotificationRecord {
        id: rows::id(row, "id")?,
        account_id: rows::id(row, "account_id")?,
        kind: parsed(row, "kind", NotifyKind::parse)?,
        circle_id: opt_id(row, "circle_id")?,
        post_id: opt_id(row, "post_id")?,
        actor_name: text(row, "actor_name")?,
        body: text(row, "body")?,
        created_at: ts(row, "created_at")?,
        read_at: opt_ts(row, "read_at")?,
    })
}

#[async_trait]
impl NotifyStore for SqlStore {
    async fn notifications_insert(
        &self,
        n: &[NotificationRecord],
    ) -> StoreResult<Vec<NotificationRecord>> {
        let mut tx = self.begin().await?;
        let mut kept = Vec::with_capacity(n.len());
        for x in n {
            // One statement decides and inserts: nothing for a muted kind.
            let sql = format!(
                "INSERT INTO notifications ({COLS}) SELECT $1, $2, $3, $4, $5, $6, $7, $8, NULL \
                 WHERE NOT EXISTS (SELECT 1 FROM notify_muted WHERE account_id = $2 AND kind = $3)"
            );
            let r = sqlx::query(&sql)
                .bind(x.id.to_string())
                .bind(x.account_id.to_string())
                .bind(x.kind.as_str())
                .bind(x.circle_id.map(|c| c.to_string()))
                .bind(x.post_id.map(|p| p.to_string()))
                .bind(x.actor_name.clone())
                .bind(x.body.clone())
                .bind(x.created_at.millis())
                .execute(&mut *tx)
                .await
                .map_err(backend)?;
            if r.rows_affected() > 0 {
                kept.push(x.clone());
            }
        }
        tx.commit().await.map_err(backend)?;
        Ok(kept)
    }

    async fn notifications_list(
        &self,
        account: AccountId,
        page: &PageRequest,
    ) -> StoreResult<Page<NotificationRecord>> {
        let sql = format!("SELECT {COLS} FROM notifications WHERE account_id = $1");
        self.keyset_page(
            &sql,
            &[account.to_string()],
            ("id", true),
            page,
            notification,
            |n| n.id.to_string(),
        )
        .await
    }

    async fn notifications_unread(&self, account: AccountId) -> StoreResult<i64> {
        let row = self
            .fetch_opt(
                sqlx::query("SELECT COUNT(*) AS n FROM notifications WHERE account_id = $1 AND read_at IS NULL")
                    .bind(account.to_string()),
            )
            .await?
            .ok_or(StoreError::NotFound)?;
        rows::int(&row, "n")
    }

    async fn notifications_mark_read(
        &self,
        account: AccountId,
        up_to: Option<NotificationId>,
        now: Timestamp,
    ) -> StoreResult<u64> {
        let mut tx = self.begin().await?;
        let upto = if up_to.is_some() { " AND id <= $3" } else { "" };
        let sql = format!(
            "UPDATE notifications SET read_at = $2 WHERE account_id = $1 AND read_at IS NULL{upto}"
        );
        let mut q = sqlx::query(&sql)
            .bind(account.to_string())
            .bind(now.millis());
        if let Some(u) = up_to {
            q = q.bind(u.to_string());
        }
        let n = q.execute(&mut *tx).await.map_err(backend)?.rows_affected();
        tx.commit().await.map_err(backend)?;
        Ok(n)
    }

    async fn comment_author(&self, comment: CommentId) -> StoreResult<Option<AccountId>> {
        self.fetch_opt(
            sqlx::query("SELECT author_account_id FROM comments WHERE id = $1")
                .bind(comment.to_string()),
        )
        .await?
        .as_ref()
        .map(|r| rows::id(r, "author_account_id"))
        .transpose()
    }

    async fn notify_muted(&self, account: AccountId) -> StoreResult<Vec<NotifyKind>> {
        self.fetch_all(
            sqlx::query("SELECT kind FROM notify_muted WHERE account_id = $1 ORDER BY kind")
                .bind(account.to_string()),
        )
        .await?
        .iter()
        .map(|r| parsed(r, "kind", NotifyKind::parse))
        .collect()
    }

    async fn notify_set(&self, account: AccountId, kind: NotifyKind, on: bool) -> StoreResult<()> {
        let mut tx = self.begin().await?;
        let sql = if on {
            "DELETE FROM notify_muted WHERE account_id = $1 AND kind = $2"
        } else {
            "INSERT INTO notify_muted (account_id, kind) VALUES ($1, $2) ON CONFLICT (account_id, kind) DO NOTHING"
        };
        sqlx::query(sql)
            .bind(account.to_string())
            .bind(kind.as_str())
            .execute(&mut *tx)
            .await
            .map_err(backend)?;
        tx.commit().await.map_err(backend)
    }
}
