//! `ModerationStore` for `SqlStore`: reports, the queue, sanctions, the log, sensitive
//! words and trust signals.

use crate::circles::decode as circle_rows;
use crate::queries::POST_SELECT;
use crate::rows::{self, backend, int, opt_id, opt_text, opt_ts, parsed, text, ts};
use crate::store::{SqlStore, Tx};
use async_trait::async_trait;
use quan_core::{
    ModLogRecord, ModerationStore, Page, PageRequest, QueueItem, ReportOutcome, ReportRecord,
    SanctionRecord, StoreError, StoreResult,
};
use quan_domain::{
    AccountId, Activity, CircleId, OrgId, PostId, ReportReason, ReportStatus, SanctionKind,
    Timestamp, WordAction,
};
use sqlx::any::AnyRow;

pub(crate) const REPORT_SELECT: &str = "SELECT r.id, r.circle_id, r.post_id, r.account_id, r.reason, r.note, r.weight, r.status, r.created_at, \
     a.display_name AS reporter_name FROM reports r JOIN accounts a ON a.id = r.account_id";

pub(crate) const SANCTION_SELECT: &str = "SELECT s.circle_id, s.account_id, s.kind, s.until_at, s.reason, s.created_by, s.created_at, \
     a.display_name FROM circle_sanctions s JOIN accounts a ON a.id = s.account_id";

pub(crate) fn report(row: &AnyRow) -> StoreResult<ReportRecord> {
    Ok(ReportRecord {
        id: rows::id(row, "id")?,
        circle_id: rows::id(row, "circle_id")?,
        post_id: rows::id(row, "post_id")?,
        account_id: rows::id(row, "account_id")?,
        reporter_name: text(row, "reporter_name")?,
        reason: parsed(row, "reason", ReportReason::parse)?,
        note: text(row, "note")?,
        weight: int(row, "weight")?,
        status: parsed(row, "status", ReportStatus::parse)?,
        created_at: ts(row, "created_at")?,
    })
}

pub(crate) fn mod_log(row: &AnyRow) -> StoreResult<ModLogRecord> {
    Ok(ModLogRecord {
        id: rows::id(row, "id")?,
        circle_id: rows::id(row, "circle_id")?,
        account_id: opt_id(row, "account_id")?,
        actor_name: opt_text(row, "actor_name")?,
        action: text(row, "action")?,
        target: text(row, "target")?,
        reason: text(row, "reason")?,
        at: ts(row, "at")?,
    })
}

pub(crate) fn sanction(row: &AnyRow) -> StoreResult<SanctionRecord> {
    Ok(SanctionRecord {
        circle_id: rows::id(row, "circle_id")?,
        account_id: rows::id(row, "account_id")?,
        display_name: text(row, "display_name")?,
        kind: parsed(row, "kind", SanctionKind::parse)?,
        until: opt_ts(row, "until_at")?,
        reason: text(row, "reason")?,
        created_by: rows::id(row, "created_by")?,
        created_at: ts(row, "created_at")?,
    })
}

pub(crate) async fn insert_log(tx: &mut Tx, l: &ModLogRecord) -> StoreResult<()> {
    sqlx::query(
        "INSERT INTO mod_log (id, circle_id, account_id, action, target, reason, at) VALUES ($1, $2, $3, $4, $5, $6, $7)",
    )
    .bind(l.id.to_string())
    .bind(l.circle_id.to_string())
    .bind(l.account_id.map(|a| a.to_string()))
    .bind(l.action.clone())
    .bind(l.target.clone())
    .bind(l.reason.clone())
    .bind(l.at.millis())
    .execute(&mut **tx)
    .await
    .map_err(backend)?;
    Ok(())
}

/// Runs one statement in the transaction; returns the rows it touched.
pub(crate) async fn exec<'q>(
    tx: &mut Tx,
    q: sqlx::query::Query<'q, sqlx::Any, sqlx::any::AnyArguments<'q>>,
) -> StoreResult<u64> {
    Ok(q.execute(&mut **tx).await.map_err(backend)?.rows_affected())
}

#[async_trait]
impl ModerationStore for SqlStore {
    async fn report_insert(
        &self,
        r: &ReportRecord,
        threshold: i64,
        hide_log: &ModLogRecord,
    ) -> StoreResult<ReportOutcome> {
        let mut tx = self.begin().await?;
        exec(
            &mut tx,
            sqlx::query(
                "INSERT INTO reports (id, circle_id, post_id, account_id, reason, note, weight, status, created_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
            )
            .bind(r.id.to_string())
            .bind(r.circle_id.to_string())
            .bind(r.post_id.to_string())
            .bind(r.account_id.to_string())
            .bind(r.reason.as_str())
            .bind(r.note.clone())
            .bind(r.weight)
            .bind(r.status.as_str())
            .bind(r.created_at.millis()),
        )
        .await?;
        let row = sqlx::query(
            "UPDATE posts SET report_weight = report_weight + $1 WHERE id = $2 AND circle_id = $3 \
             RETURNING report_weight, hidden_at",
        )
        .bind(r.weight)
        .bind(r.post_id.to_string())
        .bind(r.circle_id.to_string())
        .fetch_optional(&mut *tx)
        .await
        .map_err(backend)?
        .ok_or(StoreError::NotFound)?;
        let total_weight = int(&row, "report_weight")?;
        let hidden_now = total_weight >= threshold && opt_ts(&row, "hidden_at")?.is_none();
        if hidden_now {
            exec(
                &mut tx,
                sqlx::query("UPDATE posts SET hidden_at = $2 WHERE id = $1")
                    .bind(r.post_id.to_string())
                    .bind(r.created_at.millis()),
            )
            .await?;
            insert_log(&mut tx, hide_log).await?;
        }
        tx.commit().await.map_err(backend)?;
        Ok(ReportOutcome {
            hidden_now,
            total_weight,
        })
    }

    async fn report_accuracy(&self, account: AccountId) -> StoreResult<(i64, i64)> {
        let row = self
            .fetch_opt(
                sqlx::query(
                    "SELECT COUNT(CASE WHEN status = 'upheld' THEN 1 END) AS upheld, \
                     COUNT(CASE WHEN status <> 'open' THEN 1 END) AS resolved FROM reports WHERE account_id = $1",
                )
                .bind(account.to_string()),
            )
            .await?
            .ok_or(StoreError::NotFound)?;
        Ok((int(&row, "upheld")?, int(&row, "resolved")?))
    }

    async fn report_queue(&self, circle: CircleId, limit: i64) -> StoreResult<Vec<QueueItem>> {
        let sql = format!(
            "{POST_SELECT} WHERE x.circle_id = $1 AND x.deleted_at IS NULL \
             AND (x.hidden_at IS NOT NULL OR EXISTS (SELECT 1 FROM reports r WHERE r.post_id = x.id AND r.status = 'open')) \
             ORDER BY x.report_weight DESC, x.id DESC LIMIT $2"
        );
        let rows = self
            .fetch_all(sqlx::query(&sql).bind(circle.to_string()).bind(limit))
            .await?;
        let mut items = rows
            .iter()
            .map(|r| {
                Ok(QueueItem {
                    post: circle_rows::post(r)?,
                    report_weight: int(r, "report_weight")?,
                    reports: Vec::new(),
                })
            })
            .collect::<StoreResult<Vec<_>>>()?;
        if items.is_empty() {
            return Ok(items);
        }
        let marks: Vec<String> = (0..items.len()).map(|i| format!("${}", i + 1)).collect();
        let sql = format!(
            "{REPORT_SELECT} WHERE r.status = 'open' AND r.post_id IN ({}) ORDER BY r.id",
            marks.join(", ")
        );
        let mut q = sqlx::query(&sql);
        for it in &items {
            q = q.bind(it.post.id.to_string());
        }
        for r in self.fetch_all(q).await?.iter().map(report) {
            let r = r?;
            if let Some(it) = items.iter_mut().find(|it| it.post.id == r.post_id) {
                it.reports.push(r);
            }
        }
        Ok(items)
    }

    async fn report_resolve(
        &self,
        circle: CircleId,
        post: PostId,
        status: ReportStatus,
        by: AccountId,
        now: Timestamp,
        log: &ModLogRecord,
    ) -> StoreResult<bool> {
        let mut tx = self.begin().await?;
        exec(
            &mut tx,
            sqlx::query(
                "UPDATE reports SET status = $1, resolved_at = $2, resolved_by = $3 \
                 WHERE post_id = $4 AND circle_id = $5 AND status = 'open'",
            )
            .bind(status.as_str())
            .bind(now.millis())
            .bind(by.to_string())
            .bind(post.to_string())
            .bind(circle.to_string()),
        )
        .await?;
        let sql = if status == ReportStatus::Upheld {
            "UPDATE posts SET deleted_at = $3, pinned_at = NULL, hot_rank = 0 WHERE id = $1 AND circle_id = $2 AND deleted_at IS NULL"
        } else {
            "UPDATE posts SET hidden_at = NULL, report_weight = 0 WHERE id = $1 AND circle_id = $2 AND deleted_at IS NULL AND $3 > 0"
        };
        let n = exec(
            &mut tx,
            sqlx::query(sql)
                .bind(post.to_string())
                .bind(circle.to_string())
                .bind(now.millis()),
        )
        .await?;
        if n == 0 {
            return Ok(false);
        }
        insert_log(&mut tx, log).await?;
        tx.commit().await.map_err(backend)?;
        Ok(true)
    }

    async fn post_hide(
        &self,
        circle: CircleId,
        post: PostId,
        log: &ModLogRecord,
    ) -> StoreResult<()> {
        let mut tx = self.begin().await?;
        exec(
            &mut tx,
            sqlx::query("UPDATE posts SET hidden_at = $3 WHERE id = $1 AND circle_id = $2 AND hidden_at IS NULL")
                .bind(post.to_string())
                .bind(circle.to_string())
                .bind(log.at.millis()),
        )
        .await?;
        insert_log(&mut tx, log).await?;
        tx.commit().await.map_err(backend)
    }

    async fn member_activity(
        &self,
        circle: CircleId,
        account: AccountId,
        now: Timestamp,
    ) -> StoreResult<Activity> {
        let row = self
            .fetch_opt(
                sqlx::query(
                    "SELECT (SELECT joined_at FROM circle_members WHERE circle_id = $1 AND account_id = $2) AS joined_at, \
                     (SELECT COUNT(*) FROM posts WHERE circle_id = $1 AND author_account_id = $2 AND deleted_at IS NULL) AS posts, \
                     (SELECT COUNT(*) FROM comments k JOIN posts x ON x.id = k.post_id WHERE x.circle_id = $1 AND k.author_account_id = $2) AS comments, \
                     (SELECT COUNT(*) FROM reactions r JOIN posts x ON x.id = r.post_id WHERE x.circle_id = $1 AND x.author_account_id = $2) AS received, \
                     (SELECT COUNT(*) FROM reactions r JOIN posts x ON x.id = r.post_id JOIN persons vp ON vp.id = r.person_id \
                        WHERE x.circle_id = $1 AND vp.account_id = $2) AS given, \
                     (SELECT COUNT(*) FROM reports r JOIN posts x ON x.id = r.post_id \
                        WHERE x.circle_id = $1 AND x.author_account_id = $2 AND r.status = 'upheld') AS upheld, \
                     (SELECT COUNT(*) FROM circle_visits WHERE circle_id = $1 AND account_id = $2) AS visited, \
                     (SELECT COUNT(*) FROM post_views WHERE circle_id = $1 AND account_id = $2) AS read",
                )
                .bind(circle.to_string())
                .bind(account.to_string()),
            )
            .await?
            .ok_or(StoreError::NotFound)?;
        let joined: Option<i64> = sqlx::Row::try_get(&row, "joined_at").map_err(backend)?;
        Ok(Activity {
            days_member: joined.map_or(0, |j| (now.millis() - j).max(0) / 86_400_000),
            days_visited: int(&row, "visited")?,
            posts_read: int(&row, "read")?,
            contributions: int(&row, "posts")? + int(&row, "comments")?,
            likes_received: int(&row, "received")?,
            likes_given: int(&row, "given")?,
            upheld_against: int(&row, "upheld")?,
        })
    }

    async fn visit_record(
        &self,
        circle: CircleId,
        account: AccountId,
        day: i64,
    ) -> StoreResult<()> {
        sqlx::query(
            "INSERT INTO circle_visits (circle_id, account_id, day) VALUES ($1, $2, $3) \
                 ON CONFLICT DO NOTHING",
        )
        .bind(circle.to_string())
        .bind(account.to_string())
        .bind(day)
        .execute(&self.write)
        .await
        .map_err(backend)
        .map(drop)
    }

    async fn post_view_record(
        &self,
        circle: CircleId,
        post: PostId,
        account: AccountId,
        now: Timestamp,
    ) -> StoreResult<()> {
        sqlx::query(
                "INSERT INTO post_views (post_id, account_id, circle_id, viewed_at) VALUES ($1, $2, $3, $4) \
                 ON CONFLICT DO NOTHING",
            )
            .bind(post.to_string())
            .bind(account.to_string())
            .bind(circle.to_string())
            .bind(now.millis())
        .execute(&self.write)
        .await
        .map_err(backend)
        .map(drop)
    }

    async fn recent_writes(
        &self,
        circle: CircleId,
        account: AccountId,
        since: Timestamp,
    ) -> StoreResult<(i64, i64)> {
        let row = self
            .fetch_opt(
                sqlx::query(
                    "SELECT (SELECT COUNT(*) FROM posts WHERE circle_id = $1 AND author_account_id = $2 AND created_at >= $3) AS posts, \
                     (SELECT COUNT(*) FROM comments k JOIN posts x ON x.id = k.post_id \
                        WHERE x.circle_id = $1 AND k.author_account_id = $2 AND k.created_at >= $3) AS comments",
                )
                .bind(circle.to_string())
                .bind(account.to_string())
                .bind(since.millis()),
            )
            .await?
            .ok_or(StoreError::NotFound)?;
        Ok((int(&row, "posts")?, int(&row, "comments")?))
    }

    async fn mod_log_list(
        &self,
        circle: CircleId,
        page: &PageRequest,
    ) -> StoreResult<Page<ModLogRecord>> {
        self.keyset_page(
            "SELECT l.id, l.circle_id, l.account_id, l.action, l.target, l.reason, l.at, a.display_name AS actor_name \
             FROM mod_log l LEFT JOIN accounts a ON a.id = l.account_id WHERE l.circle_id = $1",
            &[circle.to_string()],
            ("l.id", true),
            page,
            mod_log,
            |l| l.id.to_string(),
        )
        .await
    }

    async fn sanction_set(&self, s: &SanctionRecord, log: &ModLogRecord) -> StoreResult<()> {
        let mut tx = self.begin().await?;
        exec(
            &mut tx,
            sqlx::query(
                "INSERT INTO circle_sanctions (circle_id, account_id, kind, until_at, reason, created_by, created_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (circle_id, account_id, kind) DO UPDATE SET \
                 until_at = excluded.until_at, reason = excluded.reason, created_by = excluded.created_by, created_at = excluded.created_at",
            )
            .bind(s.circle_id.to_string())
            .bind(s.account_id.to_string())
            .bind(s.kind.as_str())
            .bind(s.until.map(Timestamp::millis))
            .bind(s.reason.clone())
            .bind(s.created_by.to_string())
            .bind(s.created_at.millis()),
        )
        .await?;
        if s.kind == SanctionKind::Ban {
            let gone = sqlx::query(
                "DELETE FROM circle_members WHERE circle_id = $1 AND account_id = $2 AND role <> 'owner' RETURNING status",
            )
            .bind(s.circle_id.to_string())
            .bind(s.account_id.to_string())
            .fetch_optional(&mut *tx)
            .await
            .map_err(backend)?;
            if let Some(r) = gone
                && text(&r, "status")? == "active"
            {
                exec(
                    &mut tx,
                    sqlx::query("UPDATE circles SET member_count = member_count - 1 WHERE id = $1")
                        .bind(s.circle_id.to_string()),
                )
                .await?;
            }
        }
        insert_log(&mut tx, log).await?;
        tx.commit().await.map_err(backend)
    }

    async fn sanction_lift(
        &self,
        circle: CircleId,
        account: AccountId,
        kind: SanctionKind,
        log: &ModLogRecord,
    ) -> StoreResult<bool> {
        let mut tx = self.begin().await?;
        let n = exec(
                &mut tx,
                sqlx::query("DELETE FROM circle_sanctions WHERE circle_id = $1 AND account_id = $2 AND kind = $3")
                    .bind(circle.to_string())
                    .bind(account.to_string())
                    .bind(kind.as_str()),
            )
            .await?;
        if n == 0 {
            return Ok(false);
        }
        insert_log(&mut tx, log).await?;
        tx.commit().await.map_err(backend)?;
        Ok(true)
    }

    async fn sanctions(
        &self,
        circle: CircleId,
        account: Option<AccountId>,
        now: Timestamp,
    ) -> StoreResult<Vec<SanctionRecord>> {
        let one = if account.is_some() {
            " AND s.account_id = $3"
        } else {
            ""
        };
        let sql = format!(
            "{SANCTION_SELECT} WHERE s.circle_id = $1 AND (s.until_at IS NULL OR s.until_at > $2){one} \
             ORDER BY s.created_at DESC LIMIT 500"
        );
        let mut q = sqlx::query(&sql)
            .bind(circle.to_string())
            .bind(now.millis());
        if let Some(a) = account {
            q = q.bind(a.to_string());
        }
        self.fetch_all(q).await?.iter().map(sanction).collect()
    }

    async fn sensitive_words(&self, org: OrgId) -> StoreResult<Vec<(String, WordAction)>> {
        self.fetch_all(
            sqlx::query("SELECT word, action FROM sensitive_words WHERE org_id = $1 ORDER BY word LIMIT 2000")
                .bind(org.to_string()),
        )
        .await?
        .iter()
        .map(|r| Ok((text(r, "word")?, parsed(r, "action", WordAction::parse)?)))
        .collect()
    }

    async fn sensitive_word_set(
        &self,
        org: OrgId,
        word: &str,
        action: WordAction,
        now: Timestamp,
    ) -> StoreResult<()> {
        let mut tx = self.begin().await?;
        exec(
            &mut tx,
            sqlx::query(
                "INSERT INTO sensitive_words (org_id, word, action, created_at) VALUES ($1, $2, $3, $4) \
                 ON CONFLICT (org_id, word) DO UPDATE SET action = excluded.action",
            )
            .bind(org.to_string())
            .bind(word.to_owned())
            .bind(action.as_str())
            .bind(now.millis()),
        )
        .await?;
        tx.commit().await.map_err(backend)
    }

    async fn sensitive_word_delete(&self, org: OrgId, word: &str) -> StoreResult<bool> {
        let mut tx = self.begin().await?;
        let n = exec(
            &mut tx,
            sqlx::query("DELETE FROM sensitive_words WHERE org_id = $1 AND word = $2")
                .bind(org.to_string())
                .bind(word.to_owned()),
        )
        .await?;
        tx.commit().await.map_err(backend)?;
        Ok(n > 0)
    }
}
