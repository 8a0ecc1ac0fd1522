//! `DiscoveryStore` for `SqlStore`: quality scores and the review gate.

use crate::circles::decode as circle_rows;
use crate::moderation::exec;
use crate::rows::{self, backend, int, opt_id, text, ts};
use crate::store::SqlStore;
use async_trait::async_trait;
use quan_core::{BoostLogRecord, CircleRecord, DiscoveryStore, QualityInputs, StoreResult};
use quan_domain::{BoostStatus, CircleId, Timestamp};

#[async_trait]
impl DiscoveryStore for SqlStore {
    async fn quality_inputs(&self, now: Timestamp, limit: i64) -> StoreResult<Vec<QualityInputs>> {
        const DAY: i64 = 86_400_000;
        let (month, week, prev) = (
            now.millis() - 30 * DAY,
            now.millis() - 7 * DAY,
            now.millis() - 14 * DAY,
        );
        // Interactions are posts and comments in a window.
        let count = |from: &str, to: &str| {
            format!(
                "(SELECT COUNT(*) FROM posts x WHERE x.circle_id = c.id AND x.created_at >= {from} AND x.created_at < {to}) + \
                 (SELECT COUNT(*) FROM comments k JOIN posts x ON x.id = k.post_id \
                    WHERE x.circle_id = c.id AND k.created_at >= {from} AND k.created_at < {to})"
            )
        };
        let sql = format!(
            "SELECT c.id, \
             (SELECT COALESCE(SUM(x.hot_rank), 0.0) FROM posts x WHERE x.circle_id = c.id AND x.hot_rank > 0 AND x.deleted_at IS NULL) AS rank_sum, \
             {} AS month, {} AS week, {} AS prev_week \
             FROM circles c WHERE c.public = 1 AND c.mode <> 'internal' ORDER BY c.id LIMIT $5",
            count("$1", "$4"),
            count("$2", "$4"),
            count("$3", "$2"),
        );
        let rows = self
            .fetch_all(
                sqlx::query(&sql)
                    .bind(month)
                    .bind(week)
                    .bind(prev)
                    .bind(now.millis() + 1)
                    .bind(limit),
            )
            .await?;
        rows.iter()
            .map(|r| {
                Ok(QualityInputs {
                    circle: rows::id(r, "id")?,
                    rank_sum: sqlx::Row::try_get::<f64, _>(r, "rank_sum").map_err(backend)?,
                    month: int(r, "month")?,
                    week: int(r, "week")?,
                    prev_week: int(r, "prev_week")?,
                })
            })
            .collect()
    }

    async fn quality_set(&self, scores: &[(CircleId, f64)]) -> StoreResult<u64> {
        let mut n = 0;
        for chunk in scores.chunks(400) {
            let mut tx = self.begin().await?;
            let values: Vec<String> = (0..chunk.len())
                .map(|i| format!("(${}, ${})", 2 * i + 1, 2 * i + 2))
                .collect();
            let sql = format!(
                "UPDATE circles SET quality_score = v.column2 FROM (VALUES {}) AS v WHERE circles.id = v.column1",
                values.join(", ")
            );
            let mut q = sqlx::query(&sql);
            for (c, score) in chunk {
                q = q.bind(c.to_string()).bind(*score);
            }
            n += exec(&mut tx, q).await?;
            tx.commit().await.map_err(backend)?;
        }
        Ok(n)
    }

    async fn boost_set(
        &self,
        circle: CircleId,
        from: &[BoostStatus],
        to: BoostStatus,
        log: &BoostLogRecord,
    ) -> StoreResult<bool> {
        let mut tx = self.begin().await?;
        let marks: Vec<String> = (3..3 + from.len()).map(|i| format!("${i}")).collect();
        let sql = format!(
            "UPDATE circles SET boost_status = $2 WHERE id = $1 AND boost_status IN ({})",
            marks.join(", ")
        );
        let mut q = sqlx::query(&sql).bind(circle.to_string()).bind(to.as_str());
        for f in from {
            q = q.bind(f.as_str());
        }
        if exec(&mut tx, q).await? == 0 {
            return Ok(false);
        }
        exec(
            &mut tx,
            sqlx::query(
                "INSERT INTO boost_log (id, org_id, circle_id, action, account_id, reason, at) VALUES ($1, $2, $3, $4, $5, $6, $7)",
            )
            .bind(log.id.to_string())
            .bind(log.org_id.to_string())
            .bind(circle.to_string())
            .bind(log.action.clone())
            .bind(log.account_id.map(|a| a.to_string()))
            .bind(log.reason.clone())
            .bind(log.at.millis()),
        )
        .await?;
        tx.commit().await.map_err(backend)?;
        Ok(true)
    }

    async fn boost_log(&self, limit: i64) -> StoreResult<Vec<BoostLogRecord>> {
        let rows = self
            .fetch_all(
                sqlx::query(
                    "SELECT b.id, b.org_id, b.circle_id, b.action, b.account_id, b.reason, b.at, c.name AS circle_name \
                     FROM boost_log b JOIN circles c ON c.id = b.circle_id ORDER BY b.id DESC LIMIT $1",
                )
                .bind(limit),
            )
            .await?;
        rows.iter()
            .map(|r| {
                Ok(BoostLogRecord {
                    id: rows::id(r, "id")?,
                    org_id: rows::id(r, "org_id")?,
                    circle_id: rows::id(r, "circle_id")?,
                    circle_name: text(r, "circle_name")?,
                    action: text(r, "action")?,
                    account_id: opt_id(r, "account_id")?,
                    reason: text(r, "reason")?,
                    at: ts(r, "at")?,
                })
            })
            .collect()
    }

    async fn discover(&self, tag: Option<&str>, limit: i64) -> StoreResult<Vec<CircleRecord>> {
        // Tags are stored joined by ','; see `tag_pattern`.
        let pattern = tag.map(crate::store::tag_pattern);
        let sql = format!(
            "SELECT {} FROM circles WHERE public = 1 AND mode <> 'internal' \
             AND ($2 = '' OR (',' || tags || ',') LIKE $2 ESCAPE '\\') \
             ORDER BY CASE WHEN boost_status = 'approved' THEN 1 ELSE 0 END DESC, quality_score DESC, id DESC LIMIT $1",
            crate::circles::CIRCLE_COLS
        );
        self.fetch_all(
            sqlx::query(&sql)
                .bind(limit)
                .bind(pattern.unwrap_or_default()),
        )
        .await?
        .iter()
        .map(circle_rows::circle)
        .collect()
    }
}
