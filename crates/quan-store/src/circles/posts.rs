//! `PostStore` for `SqlStore`: posts (read through `queries::VISIBLE_POSTS`), the
//! feed sorts, edits, pins, deletes, comments, reactions and the hot-rank batch.

use crate::circles::decode as circle_rows;
use crate::connect::Backend;
use crate::moderation::exec;
use crate::moderation::insert_log;
use crate::queries::POST_SELECT;
use crate::queries::visible_query;
use crate::queries::{NOT_PINNED, VISIBLE_POSTS};
use crate::rows::{self, backend, parsed, text, ts};
use crate::store::{AnyQuery, SqlStore, Tx};
use async_trait::async_trait;
use quan_core::{
    CommentRecord, EventRecord, FeedSort, ModLogRecord, Page, PageRequest, PostEditRecord,
    PostRecord, PostStore, StoreError, StoreResult, WriteQuota, constraints,
};
use quan_domain::{
    AccountId, CircleId, CommentId, PINNED_MAX, PersonId, PostEditId, PostId, ReactionKind,
    TaskState, Timestamp, hot_rank,
};
use std::sync::{Arc, LazyLock};

pub(crate) const COMMENT_SELECT: &str = "SELECT k.id, k.post_id, k.parent_id, k.author_account_id, k.author_person_id, k.body, k.created_at, \
     p.display_name AS author_name FROM comments k JOIN persons p ON p.id = k.author_person_id";

/// The post row's columns, `$1` to `$18` (`$2` circle, `$4` author account, `$13`
/// created_at, which the search-queue row reuses).
const POST_INSERT: &str = "INSERT INTO posts (id, circle_id, org_id, author_account_id, author_person_id, kind, title, body, score, comment_count, hot_rank, \
     last_activity_at, created_at, pinned_at, hidden_at, task_state, audience, tags) \
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18)";
/// The new post's search-queue row with the post's own parameters: `$1` post, `$4`
/// author, `$2` circle, `$13` created_at. A new post has no other queue rows to bump.
static POST_QUEUE: LazyLock<String> =
    LazyLock::new(|| crate::search::queue_upsert("$1", "$4", "$2", "$13"));
/// The post's event, `$19` to `$25`.
static POST_EVENT: LazyLock<String> = LazyLock::new(|| crate::store::event_insert(19));

fn bind_post<'q>(q: AnyQuery<'q>, p: &PostRecord) -> AnyQuery<'q> {
    q.bind(p.id.to_string())
        .bind(p.circle_id.to_string())
        .bind(p.org_id.to_string())
        .bind(p.author_account_id.to_string())
        .bind(p.author_person_id.to_string())
        .bind(p.kind.as_str())
        .bind(p.title.clone())
        .bind(p.body.clone())
        .bind(p.score)
        .bind(p.comment_count)
        .bind(p.hot_rank)
        .bind(p.last_activity_at.millis())
        .bind(p.created_at.millis())
        .bind(p.pinned_at.map(Timestamp::millis))
        .bind(p.hidden_at.map(Timestamp::millis))
        .bind(p.task_state.map(TaskState::as_str))
        .bind(p.audience.as_str())
        .bind(p.tags.join(","))
}

async fn insert_images(tx: &mut Tx, p: &PostRecord) -> StoreResult<()> {
    for (i, img) in p.images.iter().enumerate() {
        sqlx::query("INSERT INTO post_images (post_id, image_id, position) VALUES ($1, $2, $3)")
            .bind(p.id.to_string())
            .bind(img.to_string())
            .bind(i64::try_from(i).unwrap_or(i64::MAX))
            .execute(&mut **tx)
            .await
            .map_err(backend)?;
    }
    Ok(())
}

/// A post and its images (its caller queues it for search and records its event).
pub(crate) async fn insert_post(tx: &mut Tx, p: &PostRecord) -> StoreResult<()> {
    bind_post(sqlx::query(POST_INSERT), p)
        .execute(&mut **tx)
        .await
        .map_err(backend)?;
    insert_images(tx, p).await
}

/// A new post, its search-queue row and its event in one round trip: SQLite runs
/// the three statements of one query string; PostgreSQL, which prepares one
/// statement at a time, takes them as one statement with data-modifying WITH
/// clauses. The single writer's time went to waiting for each statement's answer
/// more than to running it (BENCHMARKS.md, post-write).
async fn insert_post_queued(
    tx: &mut Tx,
    engine: Backend,
    p: &PostRecord,
    ev: &EventRecord,
) -> StoreResult<()> {
    static SQLITE: LazyLock<String> =
        LazyLock::new(|| format!("{POST_INSERT}; {}; {}", *POST_QUEUE, *POST_EVENT));
    static POSTGRES: LazyLock<String> = LazyLock::new(|| {
        format!(
            "WITH p AS ({POST_INSERT}), q AS ({}) {}",
            *POST_QUEUE, *POST_EVENT
        )
    });
    let sql: &str = match engine {
        Backend::Sqlite => &SQLITE,
        Backend::Postgres => &POSTGRES,
    };
    crate::store::bind_event(bind_post(sqlx::query(sql), p), ev)
        .execute(&mut **tx)
        .await
        .map_err(backend)?;
    insert_images(tx, p).await
}

/// A member's posts in a circle since an instant.
const COUNT_POSTS: &str = "SELECT COUNT(*) AS n FROM posts WHERE circle_id = $1 AND author_account_id = $2 AND created_at >= $3";
/// A member's comments in a circle since an instant.
const COUNT_COMMENTS: &str = "SELECT COUNT(*) AS n FROM comments k JOIN posts x ON x.id = k.post_id \
     WHERE x.circle_id = $1 AND k.author_account_id = $2 AND k.created_at >= $3";

/// Conflict `new_member_limit` unless the member may write once more. The member's
/// row is locked first (PostgreSQL; SQLite's writer is exclusive already), so the
/// count and the insert that follows are one step for concurrent writers.
pub(crate) async fn within_quota(tx: &mut Tx, q: &WriteQuota, count: &str) -> StoreResult<()> {
    let locked = exec(
        tx,
        sqlx::query("UPDATE circle_members SET role_seq = role_seq WHERE circle_id = $1 AND account_id = $2")
            .bind(q.circle.to_string())
            .bind(q.account.to_string()),
    )
    .await?;
    if locked == 0 {
        // No membership to count against (left meanwhile): nothing to write into.
        return Err(StoreError::NotFound);
    }
    let row = sqlx::query(count)
        .bind(q.circle.to_string())
        .bind(q.account.to_string())
        .bind(q.since.millis())
        .fetch_one(&mut **tx)
        .await
        .map_err(backend)?;
    if rows::int(&row, "n")? >= q.max {
        return Err(StoreError::Conflict {
            constraint: constraints::NEW_MEMBER_LIMIT.to_owned(),
        });
    }
    Ok(())
}

#[async_trait]
impl PostStore for SqlStore {
    async fn post_insert(
        &self,
        p: &PostRecord,
        audience_tags: &[String],
        quota: Option<WriteQuota>,
        event: &EventRecord,
    ) -> StoreResult<()> {
        // Shared copies: the write runs on the group writer's task, maybe twice.
        let write = Arc::new((p.clone(), audience_tags.to_vec(), event.clone(), quota));
        let engine = self.backend();
        self.group
            .write(&p.author_account_id.to_string(), Box::new(move |tx: &mut Tx| {
                let write = Arc::clone(&write);
                Box::pin(async move {
                    let (p, tags, ev, quota) = &*write;
                    if let Some(q) = quota {
                        within_quota(tx, q, COUNT_POSTS).await?;
                    }
                    insert_post_queued(tx, engine, p, ev).await?;
                    for tag in tags {
                        sqlx::query(
                            "INSERT INTO post_audience (post_id, tag) VALUES ($1, $2) ON CONFLICT DO NOTHING",
                        )
                        .bind(p.id.to_string())
                        .bind(tag.clone())
                        .execute(&mut **tx)
                        .await
                        .map_err(backend)?;
                    }
                    Ok(())
                })
            }))
            .await
    }

    async fn post_feed(
        &self,
        circle: CircleId,
        sort: FeedSort,
        page: &PageRequest,
        viewer: AccountId,
        now: Timestamp,
    ) -> StoreResult<Page<PostRecord>> {
        let bind = |sql| visible_query(sql, circle, viewer, now, page.fetch_limit());
        match sort {
            FeedSort::New => self.newest(circle, None, page, viewer, now).await,
            FeedSort::Hot => {
                // Cursor "rank/id": the (hot_rank, id) of the last row, walked downwards.
                let cursor = page.after.as_deref().and_then(|c| {
                    let (r, id) = c.split_once('/')?;
                    Some((r.parse::<f64>().ok()?, id.to_owned()))
                });
                let cond = if cursor.is_some() {
                    " AND (x.hot_rank < $5 OR (x.hot_rank = $5 AND x.id < $6))"
                } else {
                    ""
                };
                let sql = format!(
                    "{VISIBLE_POSTS}{NOT_PINNED}{cond} ORDER BY x.hot_rank DESC, x.id DESC LIMIT $4"
                );
                let mut q = bind(&sql);
                if let Some((rank, id)) = cursor {
                    q = q.bind(rank).bind(id);
                }
                let items = self
                    .fetch_all(q)
                    .await?
                    .iter()
                    .map(circle_rows::post)
                    .collect::<StoreResult<Vec<_>>>()?;
                Ok(Page::from_overfetch(items, page, |p| {
                    format!("{:?}/{}", p.hot_rank, p.id)
                }))
            }
            FeedSort::Top { since } => {
                self.feed_by_int("x.score", since, (circle, viewer, now), page, |p| p.score)
                    .await
            }
            // Every post was created at or after the epoch: no period filter.
            FeedSort::Active => {
                self.feed_by_int(
                    "x.last_activity_at",
                    Timestamp::from_millis(0),
                    (circle, viewer, now),
                    page,
                    |p| p.last_activity_at.millis(),
                )
                .await
            }
        }
    }

    async fn post_feed_tagged(
        &self,
        circle: CircleId,
        tag: &str,
        page: &PageRequest,
        viewer: AccountId,
        now: Timestamp,
    ) -> StoreResult<Page<PostRecord>> {
        self.newest(circle, Some(tag), page, viewer, now).await
    }

    async fn post_get(
        &self,
        circle: CircleId,
        id: PostId,
        viewer: AccountId,
        now: Timestamp,
    ) -> StoreResult<Option<PostRecord>> {
        let sql = format!("{VISIBLE_POSTS} AND x.id = $4");
        self.fetch_opt(
            sqlx::query(&sql)
                .bind(circle.to_string())
                .bind(viewer.to_string())
                .bind(now.millis())
                .bind(id.to_string()),
        )
        .await?
        .as_ref()
        .map(circle_rows::post)
        .transpose()
    }

    async fn comment_insert(
        &self,
        c: &CommentRecord,
        quota: Option<WriteQuota>,
        event: &EventRecord,
    ) -> StoreResult<CommentRecord> {
        let mut tx = self.begin().await?;
        if let Some(q) = quota {
            within_quota(&mut tx, &q, COUNT_COMMENTS).await?;
        }
        let parent = match c.parent_id {
            None => None,
            Some(pid) => {
                let row = sqlx::query("SELECT id, parent_id FROM comments WHERE id = $1 AND post_id = $2 AND deleted_at IS NULL")
                    .bind(pid.to_string())
                    .bind(c.post_id.to_string())
                    .fetch_optional(&mut *tx)
                    .await
                    .map_err(backend)?
                    .ok_or(StoreError::NotFound)?;
                // Two levels: a reply to a reply joins the top-level thread.
                Some(rows::opt_id::<CommentId>(&row, "parent_id")?.unwrap_or(pid))
            }
        };
        sqlx::query(
            "INSERT INTO comments (id, post_id, parent_id, author_account_id, author_person_id, body, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7)",
        )
        .bind(c.id.to_string())
        .bind(c.post_id.to_string())
        .bind(parent.map(|p| p.to_string()))
        .bind(c.author_account_id.to_string())
        .bind(c.author_person_id.to_string())
        .bind(c.body.clone())
        .bind(c.created_at.millis())
        .execute(&mut *tx)
        .await
        .map_err(backend)?;
        let Some(bumped) = sqlx::query("UPDATE posts SET comment_count = comment_count + 1, last_activity_at = $1 WHERE id = $2 AND deleted_at IS NULL RETURNING circle_id")
            .bind(c.created_at.millis())
            .bind(c.post_id.to_string())
            .fetch_optional(&mut *tx)
            .await
            .map_err(backend)?
        else {
            return Err(StoreError::NotFound);
        };
        let circle: CircleId = rows::id(&bumped, "circle_id")?;
        crate::search::queue(
            &mut tx,
            c.post_id,
            circle,
            c.author_account_id,
            c.created_at,
        )
        .await?;
        Self::insert_event(&mut tx, event).await?;
        tx.commit().await.map_err(backend)?;
        Ok(CommentRecord {
            parent_id: parent,
            ..c.clone()
        })
    }

    async fn comment_list(&self, post: PostId, limit: i64) -> StoreResult<Vec<CommentRecord>> {
        // Thread order: a reply sorts under its top-level comment, by the parent's id
        // first (ids are time ordered), then its own.
        let sql = format!(
            "{COMMENT_SELECT} WHERE k.post_id = $1 AND k.deleted_at IS NULL \
             ORDER BY COALESCE(k.parent_id, k.id), k.id LIMIT $2"
        );
        self.fetch_all(sqlx::query(&sql).bind(post.to_string()).bind(limit))
            .await?
            .iter()
            .map(circle_rows::comment)
            .collect()
    }

    async fn reaction_set(
        &self,
        post: PostId,
        person: PersonId,
        kind: ReactionKind,
        on: bool,
        now: Timestamp,
    ) -> StoreResult<(i64, bool)> {
        let mut tx = self.begin().await?;
        let changed = if on {
            sqlx::query("INSERT INTO reactions (post_id, person_id, kind, created_at) VALUES ($1, $2, $3, $4) ON CONFLICT (post_id, person_id, kind) DO NOTHING")
                .bind(post.to_string())
                .bind(person.to_string())
                .bind(kind.as_str())
                .bind(now.millis())
                .execute(&mut *tx)
                .await
                .map_err(backend)?
                .rows_affected()
        } else {
            sqlx::query("DELETE FROM reactions WHERE post_id = $1 AND person_id = $2 AND kind = $3")
                .bind(post.to_string())
                .bind(person.to_string())
                .bind(kind.as_str())
                .execute(&mut *tx)
                .await
                .map_err(backend)?
                .rows_affected()
        };
        let delta: i64 = match (changed, on) {
            (0, _) => 0,
            (_, true) => 1,
            (_, false) => -1,
        };
        let row = sqlx::query("UPDATE posts SET score = score + $1 WHERE id = $2 RETURNING score")
            .bind(delta)
            .bind(post.to_string())
            .fetch_optional(&mut *tx)
            .await
            .map_err(backend)?
            .ok_or(StoreError::NotFound)?;
        let score = rows::int(&row, "score")?;
        tx.commit().await.map_err(backend)?;
        Ok((score, changed > 0))
    }

    async fn reactions_of(&self, post: PostId, person: PersonId) -> StoreResult<Vec<ReactionKind>> {
        let rows = self
            .fetch_all(sqlx::query("SELECT kind FROM reactions WHERE post_id = $1 AND person_id = $2 ORDER BY kind").bind(post.to_string()).bind(person.to_string()))
            .await?;
        rows.iter()
            .map(|r| {
                ReactionKind::parse(&rows::text(r, "kind")?)
                    .map_err(|e| StoreError::Corrupt(e.to_string()))
            })
            .collect()
    }

    async fn post_rank_batch(&self, now: Timestamp, limit: i64) -> StoreResult<u64> {
        const WEEK_MS: i64 = 7 * 24 * 3600 * 1000;
        let week_ago = now.plus_millis(-WEEK_MS).millis();
        // Read outside the write lock; the formula runs in Rust (SQLite has no
        // portable ln/pow), then one transaction writes the batch.
        let rows = self
            .fetch_all(
                sqlx::query("SELECT id, score, created_at FROM posts WHERE created_at >= $1 AND deleted_at IS NULL ORDER BY created_at DESC LIMIT $2")
                    .bind(week_ago)
                    .bind(limit),
            )
            .await?;
        let ranked: Vec<(String, f64)> = rows
            .iter()
            .map(|r| {
                Ok((
                    rows::text(r, "id")?,
                    hot_rank(
                        rows::int(r, "score")?,
                        now.millis() - rows::int(r, "created_at")?,
                    ),
                ))
            })
            .collect::<StoreResult<_>>()?;
        // Many rows per statement through a VALUES list (both engines name its
        // columns column1, column2), and a commit every few statements, so the write
        // lock is never held for the whole batch: posts written meanwhile wait
        // milliseconds, not the whole run.
        const PER_STATEMENT: usize = 400;
        const PER_TX: usize = 10;
        let mut n = 0;
        for group in ranked.chunks(PER_STATEMENT * PER_TX) {
            let mut tx = self.begin().await?;
            for chunk in group.chunks(PER_STATEMENT) {
                let values: Vec<String> = (0..chunk.len())
                    .map(|i| format!("(${}, ${})", 2 * i + 1, 2 * i + 2))
                    .collect();
                let sql = format!(
                    "UPDATE posts SET hot_rank = v.column2 FROM (VALUES {}) AS v WHERE posts.id = v.column1",
                    values.join(", ")
                );
                let mut q = sqlx::query(&sql);
                for (id, rank) in chunk {
                    q = q.bind(id.clone()).bind(*rank);
                }
                n += q.execute(&mut *tx).await.map_err(backend)?.rows_affected();
            }
            tx.commit().await.map_err(backend)?;
        }
        let mut tx = self.begin().await?;
        n += sqlx::query("UPDATE posts SET hot_rank = 0 WHERE hot_rank > 0 AND created_at < $1")
            .bind(week_ago)
            .execute(&mut *tx)
            .await
            .map_err(backend)?
            .rows_affected();
        tx.commit().await.map_err(backend)?;
        Ok(n)
    }

    async fn post_get_any(&self, circle: CircleId, id: PostId) -> StoreResult<Option<PostRecord>> {
        let sql =
            format!("{POST_SELECT} WHERE x.circle_id = $1 AND x.id = $2 AND x.deleted_at IS NULL");
        self.fetch_opt(
            sqlx::query(&sql)
                .bind(circle.to_string())
                .bind(id.to_string()),
        )
        .await?
        .as_ref()
        .map(circle_rows::post)
        .transpose()
    }

    async fn post_update(
        &self,
        circle: CircleId,
        id: PostId,
        title: &str,
        body: &str,
        by: AccountId,
        now: Timestamp,
    ) -> StoreResult<bool> {
        let mut tx = self.begin().await?;
        let Some(old) = sqlx::query(
            "SELECT title, body FROM posts WHERE circle_id = $1 AND id = $2 AND deleted_at IS NULL",
        )
        .bind(circle.to_string())
        .bind(id.to_string())
        .fetch_optional(&mut *tx)
        .await
        .map_err(backend)?
        else {
            return Ok(false);
        };
        exec(
            &mut tx,
            sqlx::query("INSERT INTO post_edits (id, post_id, title, body, edited_by, edited_at) VALUES ($1, $2, $3, $4, $5, $6)")
                .bind(PostEditId::new().to_string())
                .bind(id.to_string())
                .bind(text(&old, "title")?)
                .bind(text(&old, "body")?)
                .bind(by.to_string())
                .bind(now.millis()),
        )
        .await?;
        exec(
            &mut tx,
            sqlx::query("UPDATE posts SET title = $2, body = $3, edited_at = $4 WHERE id = $1")
                .bind(id.to_string())
                .bind(title.to_owned())
                .bind(body.to_owned())
                .bind(now.millis()),
        )
        .await?;
        crate::search::queue(&mut tx, id, circle, by, now).await?;
        tx.commit().await.map_err(backend)?;
        Ok(true)
    }

    async fn post_edits(&self, post: PostId) -> StoreResult<Vec<PostEditRecord>> {
        let rows = self
            .fetch_all(
                sqlx::query("SELECT id, post_id, title, body, edited_by, edited_at FROM post_edits WHERE post_id = $1 ORDER BY id DESC LIMIT 100")
                    .bind(post.to_string()),
            )
            .await?;
        rows.iter()
            .map(|r| {
                Ok(PostEditRecord {
                    id: rows::id(r, "id")?,
                    post_id: rows::id(r, "post_id")?,
                    title: text(r, "title")?,
                    body: text(r, "body")?,
                    edited_by: rows::id(r, "edited_by")?,
                    edited_at: ts(r, "edited_at")?,
                })
            })
            .collect()
    }

    async fn post_set_pinned(
        &self,
        circle: CircleId,
        id: PostId,
        pinned: Option<Timestamp>,
        max: i64,
        log: &ModLogRecord,
    ) -> StoreResult<bool> {
        let mut tx = self.begin().await?;
        if pinned.is_some() {
            // The circle's row lock (PostgreSQL; SQLite's writer is exclusive already)
            // serialises pins, so concurrent ones cannot pass `max`.
            exec(
                &mut tx,
                sqlx::query("UPDATE circles SET name = name WHERE id = $1")
                    .bind(circle.to_string()),
            )
            .await?;
            // An unknown or deleted post is not found, full circle or not.
            let live = sqlx::query(
                "SELECT id FROM posts WHERE circle_id = $1 AND id = $2 AND deleted_at IS NULL",
            )
            .bind(circle.to_string())
            .bind(id.to_string())
            .fetch_optional(&mut *tx)
            .await
            .map_err(backend)?;
            if live.is_none() {
                return Ok(false);
            }
            // Hidden pinned posts count too: shown again, they must still fit.
            let n = sqlx::query("SELECT COUNT(*) AS n FROM posts WHERE circle_id = $1 AND pinned_at IS NOT NULL AND deleted_at IS NULL AND id <> $2")
                .bind(circle.to_string())
                .bind(id.to_string())
                .fetch_one(&mut *tx)
                .await
                .map_err(backend)?;
            if rows::int(&n, "n")? >= max {
                return Err(StoreError::Conflict {
                    constraint: constraints::PIN_LIMIT.to_owned(),
                });
            }
        }
        let n = exec(
                &mut tx,
                sqlx::query("UPDATE posts SET pinned_at = $3 WHERE circle_id = $1 AND id = $2 AND deleted_at IS NULL")
                    .bind(circle.to_string())
                    .bind(id.to_string())
                    .bind(pinned.map(Timestamp::millis)),
            )
            .await?;
        if n == 0 {
            return Ok(false);
        }
        insert_log(&mut tx, log).await?;
        tx.commit().await.map_err(backend)?;
        Ok(true)
    }

    async fn post_delete(
        &self,
        circle: CircleId,
        id: PostId,
        now: Timestamp,
        log: Option<&ModLogRecord>,
    ) -> StoreResult<bool> {
        let mut tx = self.begin().await?;
        let n = exec(
                &mut tx,
                sqlx::query("UPDATE posts SET deleted_at = $3, pinned_at = NULL, hot_rank = 0 WHERE circle_id = $1 AND id = $2 AND deleted_at IS NULL")
                    .bind(circle.to_string())
                    .bind(id.to_string())
                    .bind(now.millis()),
            )
            .await?;
        if n == 0 {
            return Ok(false);
        }
        if let Some(l) = log {
            insert_log(&mut tx, l).await?;
        }
        tx.commit().await.map_err(backend)?;
        Ok(true)
    }

    async fn post_pinned(
        &self,
        circle: CircleId,
        viewer: AccountId,
        now: Timestamp,
    ) -> StoreResult<Vec<PostRecord>> {
        let sql = format!(
            "{VISIBLE_POSTS} AND x.pinned_at IS NOT NULL ORDER BY x.pinned_at DESC LIMIT {PINNED_MAX}"
        );
        self.fetch_all(
            sqlx::query(&sql)
                .bind(circle.to_string())
                .bind(viewer.to_string())
                .bind(now.millis()),
        )
        .await?
        .iter()
        .map(circle_rows::post)
        .collect()
    }

    async fn reactions_mine(
        &self,
        person: PersonId,
        posts: &[PostId],
    ) -> StoreResult<Vec<(PostId, ReactionKind)>> {
        if posts.is_empty() {
            return Ok(Vec::new());
        }
        let marks: Vec<String> = (2..2 + posts.len()).map(|i| format!("${i}")).collect();
        let sql = format!(
            "SELECT post_id, kind FROM reactions WHERE person_id = $1 AND post_id IN ({})",
            marks.join(", ")
        );
        let mut q = sqlx::query(&sql).bind(person.to_string());
        for p in posts {
            q = q.bind(p.to_string());
        }
        self.fetch_all(q)
            .await?
            .iter()
            .map(|r| {
                Ok((
                    rows::id(r, "post_id")?,
                    parsed(r, "kind", ReactionKind::parse)?,
                ))
            })
            .collect()
    }
}
