//! `MomentStore` for `SqlStore`: moments, their likes and comments, and the
//! candidates of a customer's feed (the daily cap and tags are applied in core).

use crate::moderation::exec;
use crate::rows::{backend, id, int, text, ts};
use crate::store::{AnyQuery, SqlStore};
use async_trait::async_trait;
use quan_core::{
    EventRecord, MomentComment, MomentRecord, MomentStore, Page, PageRequest, StoreResult,
};
use quan_domain::{AccountId, MomentId, OrgId, PersonId, Timestamp};
use sqlx::any::AnyRow;

/// A moment with its author's name and reaction counts, over `m`.
const MOMENT_COLS: &str = "m.id, m.org_id, m.staff_id, a.display_name AS staff_name, m.body, m.tags, m.created_at, \
     (SELECT COUNT(*) FROM moment_likes l WHERE l.moment_id = m.id) AS likes, \
     (SELECT COUNT(*) FROM moment_comments k WHERE k.moment_id = m.id) AS comments, \
     (SELECT COUNT(*) FROM moment_views v WHERE v.moment_id = m.id) AS views, \
     (SELECT COUNT(*) FROM moment_negatives n WHERE n.moment_id = m.id) AS negatives \
     FROM moments m JOIN accounts a ON a.id = m.staff_id";

/// A moment as a feed reads it: its reach is its author's to know, not counted here.
const FEED_COLS: &str = "m.id, m.org_id, m.staff_id, a.display_name AS staff_name, m.body, m.tags, m.created_at, \
     0 AS likes, 0 AS comments, 0 AS views, 0 AS negatives \
     FROM moments m JOIN accounts a ON a.id = m.staff_id";

fn moment(r: &AnyRow) -> StoreResult<MomentRecord> {
    let tags = text(r, "tags")?;
    Ok(MomentRecord {
        id: id(r, "id")?,
        org_id: id(r, "org_id")?,
        staff_id: id(r, "staff_id")?,
        staff_name: text(r, "staff_name")?,
        body: text(r, "body")?,
        tags: serde_json::from_str(&tags).map_err(|e| crate::rows::corrupt("tags", e))?,
        created_at: ts(r, "created_at")?,
        likes: int(r, "likes")?,
        comments: int(r, "comments")?,
        views: int(r, "views")?,
        negatives: int(r, "negatives")?,
    })
}

fn comment(r: &AnyRow) -> StoreResult<MomentComment> {
    Ok(MomentComment {
        id: id(r, "id")?,
        moment_id: id(r, "moment_id")?,
        person_id: id(r, "person_id")?,
        person_name: text(r, "display_name")?,
        body: text(r, "body")?,
        created_at: ts(r, "created_at")?,
    })
}

#[async_trait]
impl MomentStore for SqlStore {
    async fn moment_insert(&self, m: &MomentRecord, event: &EventRecord) -> StoreResult<()> {
        let mut tx = self.begin().await?;
        exec(
            &mut tx,
            sqlx::query(
                "INSERT INTO moments (id, org_id, staff_id, body, tags, created_at) VALUES ($1, $2, $3, $4, $5, $6)",
            )
            .bind(m.id.to_string())
            .bind(m.org_id.to_string())
            .bind(m.staff_id.to_string())
            .bind(m.body.clone())
            .bind(serde_json::json!(m.tags).to_string())
            .bind(m.created_at.millis()),
        )
        .await?;
        Self::insert_event(&mut tx, event).await?;
        tx.commit().await.map_err(backend)
    }

    async fn moment_get(&self, org: OrgId, mid: MomentId) -> StoreResult<Option<MomentRecord>> {
        let sql = format!(
            "SELECT {MOMENT_COLS} WHERE m.id = $1 AND m.org_id = $2 AND m.deleted_at IS NULL"
        );
        self.fetch_opt(
            sqlx::query(&sql)
                .bind(mid.to_string())
                .bind(org.to_string()),
        )
        .await?
        .as_ref()
        .map(moment)
        .transpose()
    }

    async fn moments_list(
        &self,
        org: OrgId,
        staff: Option<AccountId>,
        page: &PageRequest,
    ) -> StoreResult<Page<MomentRecord>> {
        let mut binds = vec![org.to_string()];
        let mut sql = format!("SELECT {MOMENT_COLS} WHERE m.org_id = $1 AND m.deleted_at IS NULL");
        if let Some(s) = staff {
            binds.push(s.to_string());
            sql.push_str(" AND m.staff_id = $2");
        }
        self.keyset_page(&sql, &binds, ("m.id", true), page, moment, |m| {
            m.id.to_string()
        })
        .await
    }

    async fn moment_delete(
        &self,
        org: OrgId,
        mid: MomentId,
        now: Timestamp,
        event: &EventRecord,
    ) -> StoreResult<bool> {
        let n = self
            .reach_exec(
                "UPDATE moments SET deleted_at = CAST($3 AS BIGINT) WHERE id = $1 AND org_id = $2 AND deleted_at IS NULL",
                &[mid.to_string(), org.to_string(), now.millis().to_string()],
                Some(event),
            )
            .await?;
        Ok(n > 0)
    }

    async fn moments_for_person(
        &self,
        org: OrgId,
        person: PersonId,
        since: Timestamp,
    ) -> StoreResult<Vec<MomentRecord>> {
        // Bounded by the feed's window; a staff member posting hundreds a day is
        // still cut to the cap in core.
        let sql = format!(
            "SELECT {FEED_COLS} WHERE m.org_id = $1 AND m.deleted_at IS NULL AND m.created_at >= $3 \
             AND m.staff_id IN (SELECT c.staff_id FROM contacts c WHERE c.person_id = $2 AND c.org_id = $1 AND c.removed_at IS NULL) \
             ORDER BY m.created_at DESC, m.id DESC LIMIT 1000"
        );
        self.fetch_all(
            sqlx::query(&sql)
                .bind(org.to_string())
                .bind(person.to_string())
                .bind(since.millis()),
        )
        .await?
        .iter()
        .map(moment)
        .collect()
    }

    async fn moment_like(
        &self,
        moment: MomentId,
        person: PersonId,
        on: bool,
        now: Timestamp,
        event: &EventRecord,
    ) -> StoreResult<bool> {
        if on {
            let n = self
                .reach_exec(
                    "INSERT INTO moment_likes (moment_id, person_id, created_at) VALUES ($1, $2, CAST($3 AS BIGINT)) \
                     ON CONFLICT (moment_id, person_id) DO NOTHING",
                    &[moment.to_string(), person.to_string(), now.millis().to_string()],
                    Some(event),
                )
                .await?;
            Ok(n > 0)
        } else {
            let n = self
                .reach_exec(
                    "DELETE FROM moment_likes WHERE moment_id = $1 AND person_id = $2",
                    &[moment.to_string(), person.to_string()],
                    None,
                )
                .await?;
            Ok(n > 0)
        }
    }

    async fn moment_comment_insert(
        &self,
        c: &MomentComment,
        event: &EventRecord,
    ) -> StoreResult<()> {
        let mut tx = self.begin().await?;
        exec(
            &mut tx,
            sqlx::query(
                "INSERT INTO moment_comments (id, moment_id, person_id, body, created_at) VALUES ($1, $2, $3, $4, $5)",
            )
            .bind(c.id.to_string())
            .bind(c.moment_id.to_string())
            .bind(c.person_id.to_string())
            .bind(c.body.clone())
            .bind(c.created_at.millis()),
        )
        .await?;
        Self::insert_event(&mut tx, event).await?;
        tx.commit().await.map_err(backend)
    }

    async fn moment_reactions(
        &self,
        moment: MomentId,
    ) -> StoreResult<(Vec<(PersonId, String, Timestamp)>, Vec<MomentComment>)> {
        let likes = self
            .fetch_all(
                sqlx::query(
                    "SELECT l.person_id, p.display_name, l.created_at FROM moment_likes l \
                     JOIN persons p ON p.id = l.person_id WHERE l.moment_id = $1 ORDER BY l.created_at LIMIT 500",
                )
                .bind(moment.to_string()),
            )
            .await?
            .iter()
            .map(|r| {
                Ok((
                    id(r, "person_id")?,
                    text(r, "display_name")?,
                    ts(r, "created_at")?,
                ))
            })
            .collect::<StoreResult<Vec<_>>>()?;
        let comments = self
            .fetch_all(
                sqlx::query(
                    "SELECT k.id, k.moment_id, k.person_id, p.display_name, k.body, k.created_at FROM moment_comments k \
                     JOIN persons p ON p.id = k.person_id WHERE k.moment_id = $1 ORDER BY k.created_at, k.id LIMIT 500",
                )
                .bind(moment.to_string()),
            )
            .await?
            .iter()
            .map(comment)
            .collect::<StoreResult<Vec<_>>>()?;
        Ok((likes, comments))
    }

    async fn moment_views_record(
        &self,
        person: PersonId,
        moments: &[MomentId],
        now: Timestamp,
    ) -> StoreResult<()> {
        if moments.is_empty() {
            return Ok(());
        }
        // One statement for the whole feed: the first showing stays (the reach),
        // the latest moves on at most hourly (what a negative may blame) so a
        // customer refreshing the feed does not rewrite the row each time.
        let rows: Vec<String> = (0..moments.len())
            .map(|i| format!("(${}, $1, $2, $2)", i + 3))
            .collect();
        let sql = format!(
            "INSERT INTO moment_views (moment_id, person_id, seen_at, last_seen_at) VALUES {} \
             ON CONFLICT (moment_id, person_id) DO UPDATE SET last_seen_at = excluded.last_seen_at \
             WHERE moment_views.last_seen_at < excluded.last_seen_at - 3600000",
            rows.join(", ")
        );
        let mut q = sqlx::query(&sql)
            .bind(person.to_string())
            .bind(now.millis());
        for m in moments {
            q = q.bind(m.to_string());
        }
        let mut tx = self.begin().await?;
        exec(&mut tx, q).await?;
        tx.commit().await.map_err(backend)
    }

    async fn moment_mine(
        &self,
        moments: &[MomentId],
        person: PersonId,
    ) -> StoreResult<(Vec<MomentId>, Vec<MomentComment>)> {
        if moments.is_empty() {
            return Ok((Vec::new(), Vec::new()));
        }
        let ids = crate::queries::placeholders(2, moments.len());
        fn bind<'q>(sql: &'q str, person: PersonId, moments: &[MomentId]) -> AnyQuery<'q> {
            let mut q = sqlx::query(sql).bind(person.to_string());
            for m in moments {
                q = q.bind(m.to_string());
            }
            q
        }
        let liked_sql = format!(
            "SELECT moment_id FROM moment_likes WHERE person_id = $1 AND moment_id IN {ids}"
        );
        let liked = self
            .fetch_all(bind(&liked_sql, person, moments))
            .await?
            .iter()
            .map(|r| id(r, "moment_id"))
            .collect::<StoreResult<Vec<_>>>()?;
        let mine_sql = format!(
            "SELECT k.id, k.moment_id, k.person_id, p.display_name, k.body, k.created_at FROM moment_comments k \
             JOIN persons p ON p.id = k.person_id WHERE k.person_id = $1 AND k.moment_id IN {ids} ORDER BY k.created_at, k.id"
        );
        let mine = self
            .fetch_all(bind(&mine_sql, person, moments))
            .await?
            .iter()
            .map(comment)
            .collect::<StoreResult<Vec<_>>>()?;
        Ok((liked, mine))
    }
}
