//! `SearchStore` for `SqlStore`: the queue of posts to index (`search_queue`), the
//! inverted index in `search_index` (one row per term, circle and post) with each
//! post's current terms in `search_docs`, read back through the posts' visibility
//! rules.

use crate::circles::decode as circle_rows;
use crate::connect::Backend;
use crate::queries::{VISIBLE_POSTS, marks, value_rows};
use crate::rows::{self, backend};
use crate::store::{AnyQuery, SqlStore, Tx};
use async_trait::async_trait;
use quan_core::{PostRecord, QueuedEntry, SearchEntry, SearchSource, SearchStore, StoreResult};
use quan_domain::{AccountId, CircleId, PostId, Timestamp};
use sqlx::any::AnyRow;
use std::collections::{HashMap, HashSet};
use std::sync::LazyLock;

/// Rows per INSERT: a batch's terms go in a few statements, not thousands.
const BATCH: usize = 300;

/// The statement that queues a post for an account, with the placeholders given
/// for the post, the account, the circle and the time: new, or re-queued with its
/// `version` + 1.
pub(crate) fn queue_upsert(post: &str, account: &str, circle: &str, at: &str) -> String {
    format!(
        "INSERT INTO search_queue (post_id, account_id, circle_id, version, queued_at) VALUES ({post}, {account}, {circle}, 1, {at}) \
         ON CONFLICT (post_id, account_id) DO UPDATE SET version = search_queue.version + 1, queued_at = excluded.queued_at"
    )
}

/// Every other account's queue row of a post moves on a version too (`$1` post,
/// `$2` account): a batch that read the post's text before this change, through
/// another account's row, then finds its row stale and leaves the entry alone.
const QUEUE_BUMP: &str =
    "UPDATE search_queue SET version = version + 1 WHERE post_id = $1 AND account_id <> $2";

/// Indexing transactions hold this PostgreSQL advisory lock: two indexers (nodes,
/// or a searcher's own-posts-first pass) rebuilding one post through different
/// queue rows would each diff against the same old terms in `search_docs`, and the
/// later one's diff would leave rows and docs out of step for good. SQLite's single
/// writer serialises them already.
const INDEX_LOCK: i64 = 0x7175_616e_7365_6172; // "quansear"

/// Queues `post` for the indexer, in the caller's transaction: every write that
/// changes a post's searchable text (the post, an edit, a comment, a promoted chat
/// message) calls this, so a crash cannot lose an entry. A post already queued by
/// the same account is re-queued (`version` + 1), never duplicated; other accounts'
/// rows of it are bumped (see `QUEUE_BUMP`).
pub(crate) async fn queue(
    tx: &mut Tx,
    post: PostId,
    circle: CircleId,
    account: AccountId,
    at: Timestamp,
) -> StoreResult<()> {
    static UPSERT: LazyLock<String> = LazyLock::new(|| queue_upsert("$1", "$2", "$3", "$4"));
    sqlx::query(&UPSERT)
        .bind(post.to_string())
        .bind(account.to_string())
        .bind(circle.to_string())
        .bind(at.millis())
        .execute(&mut **tx)
        .await
        .map_err(backend)?;
    sqlx::query(QUEUE_BUMP)
        .bind(post.to_string())
        .bind(account.to_string())
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

/// One index row: (term, circle, post).
type Row = (String, String, String);

/// `n` placeholders for an `IN (…)` list, as [`value_rows`] writes them.
fn list(engine: Backend, n: usize) -> String {
    marks(engine, 1, n)
}

fn bind_rows<'q>(mut q: AnyQuery<'q>, rows: &'q [Row]) -> AnyQuery<'q> {
    for (t, c, p) in rows {
        q = q.bind(t.as_str()).bind(c.as_str()).bind(p.as_str());
    }
    q
}

/// The terms each of these posts is indexed under now, space-separated (a term
/// never holds a space), by post id.
async fn docs(
    tx: &mut Tx,
    engine: Backend,
    entries: &[&SearchEntry],
) -> StoreResult<HashMap<String, String>> {
    let mut out = HashMap::new();
    let posts: Vec<String> = entries.iter().map(|e| e.post.to_string()).collect();
    for chunk in posts.chunks(BATCH) {
        let sql = format!(
            "SELECT post_id, terms FROM search_docs WHERE post_id IN ({})",
            list(engine, chunk.len())
        );
        let mut q = sqlx::query(&sql);
        for p in chunk {
            q = q.bind(p.as_str());
        }
        for r in q.fetch_all(&mut **tx).await.map_err(backend)? {
            out.insert(rows::text(&r, "post_id")?, rows::text(&r, "terms")?);
        }
    }
    Ok(out)
}

/// Records each post's new terms; a post with none (deleted) keeps no row.
async fn set_docs(tx: &mut Tx, engine: Backend, entries: &[&SearchEntry]) -> StoreResult<()> {
    let (kept, gone): (Vec<&&SearchEntry>, Vec<&&SearchEntry>) =
        entries.iter().partition(|e| !e.terms.is_empty());
    for chunk in gone.chunks(BATCH) {
        let sql = format!(
            "DELETE FROM search_docs WHERE post_id IN ({})",
            list(engine, chunk.len())
        );
        let mut q = sqlx::query(&sql);
        for e in chunk {
            q = q.bind(e.post.to_string());
        }
        q.execute(&mut **tx).await.map_err(backend)?;
    }
    for chunk in kept.chunks(BATCH) {
        let sql = format!(
            "INSERT INTO search_docs (post_id, circle_id, terms) VALUES {} \
             ON CONFLICT (post_id) DO UPDATE SET terms = excluded.terms",
            value_rows(engine, chunk.len(), 3)
        );
        let mut q = sqlx::query(&sql);
        for e in chunk {
            q = q
                .bind(e.post.to_string())
                .bind(e.circle.to_string())
                .bind(e.terms.join(" "));
        }
        q.execute(&mut **tx).await.map_err(backend)?;
    }
    Ok(())
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
            let marks = list(self.backend(), chunk.len());
            let sql = format!(
                "SELECT id, title, body, tags FROM posts WHERE deleted_at IS NULL AND id IN ({marks})"
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
                "SELECT post_id, body FROM comments WHERE deleted_at IS NULL AND post_id IN ({marks}) ORDER BY id"
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
        let engine = self.backend();
        let mut tx = self.begin().await?;
        if engine == Backend::Postgres {
            sqlx::query("SELECT pg_advisory_xact_lock($1)")
                .bind(INDEX_LOCK)
                .execute(&mut *tx)
                .await
                .map_err(backend)?;
        }
        // The queue rows first, each only at the version that was read. A post with a
        // row no longer there at that version was re-queued or rebuilt meanwhile from
        // newer text (another indexer, or an author's own search indexing their posts
        // first): its entry is left to that pass, which writes or wrote the newer
        // terms; written here, this batch's older text could land on top of them.
        // RETURNING tells which rows this pass took, in one statement per chunk
        // rather than one per row (a round trip each on the writer).
        let mut taken: HashSet<(String, String)> = HashSet::new();
        for chunk in done.chunks(BATCH) {
            let sql = format!(
                "DELETE FROM search_queue WHERE (post_id, account_id, version) IN (VALUES {}) \
                 RETURNING post_id, account_id",
                value_rows(engine, chunk.len(), 3)
            );
            let mut q = sqlx::query(&sql);
            for d in chunk {
                q = q
                    .bind(d.post.to_string())
                    .bind(d.account.to_string())
                    .bind(d.version);
            }
            for r in q.fetch_all(&mut *tx).await.map_err(backend)? {
                taken.insert((rows::text(&r, "post_id")?, rows::text(&r, "account_id")?));
            }
        }
        let mut stale: Vec<PostId> = Vec::new();
        for d in done {
            let key = (d.post.to_string(), d.account.to_string());
            if !taken.contains(&key) && !stale.contains(&d.post) {
                stale.push(d.post);
            }
        }
        let entries: Vec<&SearchEntry> = entries
            .iter()
            .filter(|e| !stale.contains(&e.post))
            .collect();
        // Read after the queue rows are gone: a second indexer on the same posts
        // waits on those rows (PostgreSQL) and then finds them stale.
        let old = docs(&mut tx, engine, &entries).await?;
        // Each post's change, as rows: the terms it lost and the ones it gained, so an
        // edit or a comment touches a few rows, not all of them again.
        let (mut lost, mut gained): (Vec<Row>, Vec<Row>) = (Vec::new(), Vec::new());
        for e in &entries {
            let (c, p) = (e.circle.to_string(), e.post.to_string());
            let had: HashSet<&str> = old
                .get(&p)
                .map_or(HashSet::new(), |t| t.split(' ').collect());
            let has: HashSet<&str> = e.terms.iter().map(String::as_str).collect();
            lost.extend(
                had.iter()
                    .filter(|t| !has.contains(*t))
                    .map(|t| ((*t).to_owned(), c.clone(), p.clone())),
            );
            gained.extend(
                has.iter()
                    .filter(|t| !had.contains(*t))
                    .map(|t| ((*t).to_owned(), c.clone(), p.clone())),
            );
        }
        // Sorted: the statements walk the index in order, and two indexers take
        // their row locks in the same order (PostgreSQL).
        lost.sort_unstable();
        gained.sort_unstable();
        gained.dedup();
        for chunk in lost.chunks(BATCH) {
            let sql = format!(
                "DELETE FROM search_index WHERE (term, circle_id, post_id) IN (VALUES {})",
                value_rows(engine, chunk.len(), 3)
            );
            bind_rows(sqlx::query(&sql), chunk)
                .execute(&mut *tx)
                .await
                .map_err(backend)?;
        }
        for chunk in gained.chunks(BATCH) {
            let sql = format!(
                "INSERT INTO search_index (term, circle_id, post_id) VALUES {} ON CONFLICT DO NOTHING",
                value_rows(engine, chunk.len(), 3)
            );
            bind_rows(sqlx::query(&sql), chunk)
                .execute(&mut *tx)
                .await
                .map_err(backend)?;
        }
        set_docs(&mut tx, engine, &entries).await?;
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
            "SELECT post_id, circle_id FROM search_index WHERE term IN ({}) AND circle_id IN ({}) \
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
