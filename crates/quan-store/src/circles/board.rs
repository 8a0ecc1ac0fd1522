//! `BoardStore` for `SqlStore`: task steps, notice receipts and check-ins.

use crate::circles::decode as circle_rows;
use crate::moderation::exec;
use crate::rows::{self, backend, parsed, text, ts};
use crate::store::SqlStore;
use async_trait::async_trait;
use quan_core::{BoardStore, ReceiptRecord, StoreError, StoreResult, StreakRecord, TaskStepRecord};
use quan_domain::{AccountId, CircleId, PostId, TaskState, Timestamp};

#[async_trait]
impl BoardStore for SqlStore {
    async fn notice_read(
        &self,
        post: PostId,
        account: AccountId,
        now: Timestamp,
    ) -> StoreResult<()> {
        sqlx::query("INSERT INTO notice_reads (post_id, account_id, read_at) VALUES ($1, $2, $3) ON CONFLICT (post_id, account_id) DO NOTHING")
            .bind(post.to_string())
            .bind(account.to_string())
            .bind(now.millis())
            .execute(&self.write)
            .await
            .map_err(backend)?;
        Ok(())
    }

    async fn notice_receipts(
        &self,
        circle: CircleId,
        post: PostId,
    ) -> StoreResult<Vec<ReceiptRecord>> {
        let sql = "SELECT m.account_id, p.display_name, r.read_at FROM circle_members m JOIN persons p ON p.id = m.person_id \
                   LEFT JOIN notice_reads r ON r.post_id = $2 AND r.account_id = m.account_id \
                   WHERE m.circle_id = $1 AND m.status = 'active' \
                   ORDER BY CASE WHEN r.read_at IS NULL THEN 1 ELSE 0 END, r.read_at, m.account_id LIMIT 5000";
        self.fetch_all(
            sqlx::query(sql)
                .bind(circle.to_string())
                .bind(post.to_string()),
        )
        .await?
        .iter()
        .map(|r| {
            Ok(ReceiptRecord {
                account_id: rows::id(r, "account_id")?,
                display_name: rows::text(r, "display_name")?,
                read_at: rows::opt_ts(r, "read_at")?,
            })
        })
        .collect()
    }

    async fn checkin(
        &self,
        circle: CircleId,
        account: AccountId,
        day: i64,
        now: Timestamp,
    ) -> StoreResult<(StreakRecord, bool)> {
        let mut tx = self.begin().await?;
        let inserted = sqlx::query("INSERT INTO checkins (circle_id, account_id, day, created_at) VALUES ($1, $2, $3, $4) ON CONFLICT (circle_id, account_id, day) DO NOTHING")
            .bind(circle.to_string())
            .bind(account.to_string())
            .bind(day)
            .bind(now.millis())
            .execute(&mut *tx)
            .await
            .map_err(backend)?
            .rows_affected()
            == 1;
        if inserted {
            // Right-hand sides see the row's old values (standard SQL, both engines).
            sqlx::query(
                "UPDATE circle_members SET \
                 streak = CASE WHEN last_checkin_day = $3 - 1 THEN streak + 1 ELSE 1 END, \
                 best_streak = CASE WHEN (CASE WHEN last_checkin_day = $3 - 1 THEN streak + 1 ELSE 1 END) > best_streak \
                               THEN (CASE WHEN last_checkin_day = $3 - 1 THEN streak + 1 ELSE 1 END) ELSE best_streak END, \
                 last_checkin_day = $3, checkin_count = checkin_count + 1 \
                 WHERE circle_id = $1 AND account_id = $2",
            )
            .bind(circle.to_string())
            .bind(account.to_string())
            .bind(day)
            .execute(&mut *tx)
            .await
            .map_err(backend)?;
        }
        let row = sqlx::query(
            "SELECT m.account_id, p.display_name, m.streak AS cur_streak, m.best_streak, m.checkin_count, m.last_checkin_day \
             FROM circle_members m JOIN persons p ON p.id = m.person_id WHERE m.circle_id = $1 AND m.account_id = $2",
        )
        .bind(circle.to_string())
        .bind(account.to_string())
        .fetch_optional(&mut *tx)
        .await
        .map_err(backend)?
        .ok_or(StoreError::NotFound)?;
        let standing = circle_rows::streak(&row)?;
        tx.commit().await.map_err(backend)?;
        Ok((standing, inserted))
    }

    async fn checkin_leaderboard(
        &self,
        circle: CircleId,
        today: i64,
        limit: i64,
    ) -> StoreResult<Vec<StreakRecord>> {
        let sql = "SELECT m.account_id, p.display_name, \
                   CASE WHEN m.last_checkin_day >= $2 - 1 THEN m.streak ELSE 0 END AS cur_streak, \
                   m.best_streak, m.checkin_count, m.last_checkin_day \
                   FROM circle_members m JOIN persons p ON p.id = m.person_id \
                   WHERE m.circle_id = $1 AND m.status = 'active' AND m.checkin_count > 0 \
                   ORDER BY cur_streak DESC, m.best_streak DESC, m.checkin_count DESC, m.account_id LIMIT $3";
        self.fetch_all(
            sqlx::query(sql)
                .bind(circle.to_string())
                .bind(today)
                .bind(limit),
        )
        .await?
        .iter()
        .map(circle_rows::streak)
        .collect()
    }

    async fn task_step(
        &self,
        circle: CircleId,
        from: TaskState,
        assignee: Option<Option<AccountId>>,
        step: &TaskStepRecord,
    ) -> StoreResult<bool> {
        let mut tx = self.begin().await?;
        let set_assignee = if assignee.is_some() {
            ", task_assignee = $6"
        } else {
            ""
        };
        let sql = format!(
            "UPDATE posts SET task_state = $1, last_activity_at = $5{set_assignee} \
             WHERE id = $2 AND circle_id = $3 AND task_state = $4 AND deleted_at IS NULL"
        );
        let mut q = sqlx::query(&sql)
            .bind(step.state.as_str())
            .bind(step.post_id.to_string())
            .bind(circle.to_string())
            .bind(from.as_str())
            .bind(step.at.millis());
        if let Some(a) = assignee {
            q = q.bind(a.map(|a| a.to_string()));
        }
        if exec(&mut tx, q).await? == 0 {
            return Ok(false);
        }
        exec(
            &mut tx,
            sqlx::query("INSERT INTO task_steps (id, post_id, state, account_id, note, at) VALUES ($1, $2, $3, $4, $5, $6)")
                .bind(step.id.to_string())
                .bind(step.post_id.to_string())
                .bind(step.state.as_str())
                .bind(step.account_id.to_string())
                .bind(step.note.clone())
                .bind(step.at.millis()),
        )
        .await?;
        tx.commit().await.map_err(backend)?;
        Ok(true)
    }

    async fn task_steps(&self, post: PostId) -> StoreResult<Vec<TaskStepRecord>> {
        let rows = self
            .fetch_all(
                sqlx::query(
                    "SELECT s.id, s.post_id, s.state, s.account_id, s.note, s.at, a.display_name AS actor_name \
                     FROM task_steps s JOIN accounts a ON a.id = s.account_id WHERE s.post_id = $1 ORDER BY s.id LIMIT 500",
                )
                .bind(post.to_string()),
            )
            .await?;
        rows.iter()
            .map(|r| {
                Ok(TaskStepRecord {
                    id: rows::id(r, "id")?,
                    post_id: rows::id(r, "post_id")?,
                    state: parsed(r, "state", TaskState::parse)?,
                    account_id: rows::id(r, "account_id")?,
                    actor_name: text(r, "actor_name")?,
                    note: text(r, "note")?,
                    at: ts(r, "at")?,
                })
            })
            .collect()
    }
}
