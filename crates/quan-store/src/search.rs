//! `SearchStore` for `SqlStore`: the queue of posts to index (`search_queue`), the
//! inverted index in `search_terms`, read back through the posts' visibility rules.

use crate::circles::decode as circle_rows;
use crate::queries::VISIBLE_POSTS;
use crate::rows::{self, backend};
use crate::store::{SqlStore, Tx};
use async_trait::async_trait;
use quan_core::{PostRecord, QueuedEntry, SearchEntry, SearchSource, SearchStore, StoreResult};
use quan_domain::{AccountId, CircleId, PostId, Timestamp};
use sqlx::any::AnyRow;

/// Rows per INSERT: a batch's terms go in a few statements, not thousands.
const BATCH: usize = 300;

/// Queues `post` for the indexer, in the caller's transaction: every write that
/// changes a post's searchable text (the post, an edit, a comment, a promoted chat
/// message) calls this, so a crash cannot lose an entry. A post already queued by
/// the same account is re-queued (`version` + 1), never duplicated.
pub(crate) async fn queue(
    tx: &mut Tx,
    post: PostId,
    circle: CircleId,
    account: AccountId,
    at: Timestamp,
) -> StoreResult<()> {
    sqlx::query(
        "INSERT INTO search_queue (post_id, account_id, circle_id, version, queued_at) VALUES ($1, $2, $3, 1, $4) \
         ON CONFLICT (post_id, account_id) DO UPDATE SET version = search_queue.version + 1, queued_at = excluded.queued_at",
    )
    .bind(post.to_string())
    .bind(account.to_string())
    .bind(circle.to_string())
    .bind(at.millis())
    .execute(&mut **tx)
    .await
    .map_err(backend)?;
    Ok(())
}

fn queued(r: &AnyRow) -> StoreResult<QueuedEntry> {
    Ok(QueuedEntry {
        post: rows::id(r, "post_id")?,
        circle: rows::id(r, "circle_id")?,
        account: rows::id(r, "account_id")?,
        version: rows::int(r, "version")?,
    })
}

#[async_trait]
impl SearchStore for SqlStore {
    async fn search_queued(
        &self,
        account: Option<AccountId>,
        limit: i64,
    ) -> StoreResult<Vec<QueuedEntry>> {
        const COLS: &str = "SELECT post_id, circle_id, account_id, version FROM search_queue";
        let rows = match account {
            Some(a) => {
                let sql = format!("{COLS} WHERE account_id = $1 ORDER BY queued_at LIMIT $2");
                self.fetch_all(sqlx::query(&sql).bind(a.to_string()).bind(limit))
                    .await?
            }
            None => {
                let sql = format!("{COLS} ORDER BY queued_at LIMIT $1");
                self.fetch_all(sqlx::query(&sql).bind(limit)).await?
            }
        };
        rows.iter().map(queued).collect()
    }

    async fn search_sources(&self, posts: &[PostId]) -> StoreResult<Vec<SearchSource>> {
        let mut out: Vec<SearchSource> = Vec::with_capacity(posts.len());
        for chunk in posts.chunks(BATCH) {
            let marks: Vec<String> = (1..=chunk.len()).map(|i| format!("${i}")).collect();
            let sql = format!(
                "SELECT id, title, body, tags FROM posts WHERE deleted_at IS NULL AND id IN ({})",
                marks.join(", ")
            );
            let mut q = sqlx::query(&sql);
            for p in chunk {
                q = q.bind(p.to_string());
            }
            for r in self.fetch_all(q).await? {
                out.push(SearchSource {
                    post: rows::id(&r, "id")?,
                    title: rows::text(&r, "title")?,
                    body: rows::text(&r, "body")?,
                    tags: circle_rows::tag_list(&r)?,
                    comments: Vec::new(),
                });
            }
            let sql = format!(
                "SELECT post_id, body FROM comments WHERE deleted_at IS NULL AND post_id IN ({}) ORDER BY id",
                marks.join(", ")
            );
            let mut q = sqlx::query(&sql);
            for p in chunk {
                q = q.bind(p.to_string());
            }
            for r in self.fetch_all(q).await? {
                let post: PostId = rows::id(&r, "post_id")?;
                if let Some(s) = out.iter_mut().find(|s| s.post == post) {
                    s.comments.push(rows::text(&r, "body")?);
                }
            }
        }
        Ok(out)
    }

    async fn search_index(&self, entries: &[SearchEntry], done: &[QueuedEntry]) -> StoreResult<()> {
        let mut tx = self.begin().await?;
        // The queue rows first, each only at the version that was read. A post with a
        // row no longer there at that version was re-queued or rebuilt meanwhile from
        // newer text (another indexer, or an author's own search indexing their posts
        // first): its entry is left to that pass, which writes or wrote the newer
        // terms; written here, this batch's older text could land on top of them.
        let mut stale: Vec<PostId> = Vec::new();
        for d in done {
            let gone = sqlx::query(
                "DELETE FROM search_queue WHERE post_id = $1 AND account_id = $2 AND version = $3",
            )
            .bind(d.post.to_string())
            .bind(d.account.to_string())
            .bind(d.version)
            .execute(&mut *tx)
            .await
            .map_err(backend)?
            .rows_affected();
            if gone == 0 && !stale.contains(&d.post) {
                stale.push(d.post);
            }
        }
        let entries: Vec<&SearchEntry> = entries
            .iter()
            .filter(|e| !stale.contains(&e.post))
            .collect();
        // Every (term, circle, post) row of the batch, sorted: the inserts walk the
        // index in order, and two indexers rebuilding the same posts take their locks
        // in the same order (PostgreSQL).
        let mut terms: Vec<(&str, String, String)> = entries
            .iter()
            .flat_map(|e| {
                let (c, p) = (e.circle.to_string(), e.post.to_string());
                e.terms
                    .iter()
                    .map(move |t| (t.as_str(), c.clone(), p.clone()))
            })
            .collect();
        terms.sort_unstable();
        terms.dedup();
        let mut posts: Vec<String> = entries.iter().map(|e| e.post.to_string()).collect();
        posts.sort_unstable();
        posts.dedup();
        for chunk in posts.chunks(BATCH) {
            let marks: Vec<String> = (1..=chunk.len()).map(|i| format!("${i}")).collect();
            let sql = format!(
                "DELETE FROM search_terms WHERE post_id IN ({})",
                marks.join(", ")
            );
            let mut q = sqlx::query(&sql);
            for p in chunk {
                q = q.bind(p.clone());
            }
            q.execute(&mut *tx).await.map_err(backend)?;
        }
        for chunk in terms.chunks(BATCH) {
            let values: Vec<String> = (0..chunk.len())
                .map(|i| format!("(${}, ${}, ${})", 3 * i + 1, 3 * i + 2, 3 * i + 3))
                .collect();
            let sql = format!(
                "INSERT INTO search_terms (term, circle_id, post_id) VALUES {} ON CONFLICT DO NOTHING",
                values.join(", ")
            );
            let mut q = sqlx::query(&sql);
            for (t, c, p) in chunk {
                q = q.bind((*t).to_owned()).bind(c.clone()).bind(p.clone());
            }
            q.execute(&mut *tx).await.map_err(backend)?;
        }
        tx.commit().await.map_err(backend)
    }

    async fn posts_visible(
        &self,
        circle: CircleId,
        ids: &[PostId],
        viewer: AccountId,
        now: Timestamp,
    ) -> StoreResult<Vec<PostRecord>> {
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        let marks: Vec<String> = (4..4 + ids.len()).map(|i| format!("${i}")).collect();
        let sql = format!(
            "{VISIBLE_POSTS} AND x.id IN ({}) ORDER BY x.id DESC",
            marks.join(", ")
        );
        let mut q = sqlx::query(&sql)
            .bind(circle.to_string())
            .bind(viewer.to_string())
            .bind(now.millis());
        for id in ids {
            q = q.bind(id.to_string());
        }
        self.fetch_all(q)
            .await?
            .iter()
            .map(circle_rows::post)
            .collect()
    }

    async fn search(
        &self,
        circles: &[CircleId],
        terms: &[String],
        limit: i64,
    ) -> StoreResult<Vec<(PostId, CircleId)>> {
        if circles.is_empty() || terms.is_empty() {
            return Ok(Vec::new());
        }
        let n = terms.len();
        let term_marks: Vec<String> = (1..=n).map(|i| format!("${i}")).collect();
        let circle_marks: Vec<String> = (n + 1..=n + circles.len())
            .map(|i| format!("${i}"))
            .collect();
        // Every term must match: count the distinct terms each post has.
        let sql = format!(
            "SELECT post_id, circle_id FROM search_terms WHERE term IN ({}) AND circle_id IN ({}) \
             GROUP BY post_id, circle_id HAVING COUNT(*) = {n} ORDER BY post_id DESC LIMIT ${}",
            term_marks.join(", "),
            circle_marks.join(", "),
            n + circles.len() + 1
        );
        let mut q = sqlx::query(&sql);
        for t in terms {
            q = q.bind(t.clone());
        }
        for c in circles {
            q = q.bind(c.to_string());
        }
        q = q.bind(limit);
        self.fetch_all(q)
            .await?
            .iter()
            .map(|r| Ok((rows::id(r, "post_id")?, rows::id(r, "circle_id")?)))
            .collect()
    }
}
