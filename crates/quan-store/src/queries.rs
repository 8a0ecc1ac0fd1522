//! Query shapes more than one capability reads through, named once.
//!
//! `VISIBLE_POSTS` is the one shape every post read uses (feed sorts, single posts,
//! pinned posts, search results, mentions): hidden posts, history windows and
//! audiences are decided here and nowhere else.

use crate::connect::Backend;
use quan_domain::{AccountId, CircleId, Timestamp};

/// `($first, …)`: `n` placeholders from `$first`, for an `IN` list of binds.
pub(crate) fn placeholders(first: usize, n: usize) -> String {
    let m: Vec<String> = (first..first + n).map(|i| format!("${i}")).collect();
    format!("({})", m.join(", "))
}
use sqlx::Any;

/// Placeholders for `rows` rows of `width` parameters, bound in order:
/// `($1, $2), ($3, $4)` on PostgreSQL, `(?, ?), (?, ?)` on SQLite. SQLite looks a
/// numbered parameter up by name at every bind, scanning the statement's list of
/// them, so binding a 900-parameter statement took ~400,000 steps: 14 % of the
/// writer's time in the post-write profile, for the indexer's batch statements.
pub(crate) fn value_rows(engine: Backend, rows: usize, width: usize) -> String {
    let all: Vec<String> = (0..rows)
        .map(|r| format!("({})", marks(engine, r * width + 1, width)))
        .collect();
    all.join(", ")
}

/// [`value_rows`] for rows with a constant between their values: each row is
/// `before` placeholders, `literal` as SQL, then `after` placeholders.
pub(crate) fn value_rows_with(
    engine: Backend,
    rows: usize,
    (before, literal, after): (usize, &str, usize),
) -> String {
    let width = before + after;
    let all: Vec<String> = (0..rows)
        .map(|r| {
            format!(
                "({}, {literal}, {})",
                marks(engine, r * width + 1, before),
                marks(engine, r * width + before + 1, after)
            )
        })
        .collect();
    all.join(", ")
}

/// `n` comma-separated placeholders numbered from `first` (PostgreSQL) or
/// positional (SQLite).
pub(crate) fn marks(engine: Backend, first: usize, n: usize) -> String {
    let all: Vec<String> = (first..first + n)
        .map(|i| match engine {
            Backend::Sqlite => "?".to_owned(),
            Backend::Postgres => format!("${i}"),
        })
        .collect();
    all.join(", ")
}

/// A circle's live posts as a viewer may see them. $1 circle, $2 viewer, $3 now (ms).
/// The author always sees their own. Others do not see posts hidden pending review,
/// posts older than the author's history window (a read-time filter: nothing is
/// deleted), or posts whose audience leaves them out (circle staff see every
/// audience). `(audience = 'only') = EXISTS(tag match)` is the audience rule in one
/// comparison: "only" needs a tag match, "except" needs none.
pub(crate) const VISIBLE_POSTS: &str = "SELECT x.id, x.circle_id, x.org_id, x.author_account_id, x.author_person_id, x.kind, x.title, x.body, x.score, \
     x.comment_count, x.hot_rank, x.last_activity_at, x.created_at, x.pinned_at, x.edited_at, x.hidden_at, x.task_state, x.task_assignee, \
     x.audience, x.tags, p.display_name AS author_name \
     FROM posts x JOIN persons p ON p.id = x.author_person_id JOIN accounts ua ON ua.id = x.author_account_id \
     WHERE x.circle_id = $1 AND x.deleted_at IS NULL \
     AND (x.author_account_id = $2 OR (x.hidden_at IS NULL \
       AND (ua.history_window_days = 0 OR x.created_at >= $3 - ua.history_window_days * 86400000) \
       AND (x.audience = 'all' \
         OR EXISTS (SELECT 1 FROM circle_members cm WHERE cm.circle_id = x.circle_id AND cm.account_id = $2 AND cm.status = 'active' AND cm.role <> 'member') \
         OR (x.audience = 'only') = EXISTS (SELECT 1 FROM post_audience pa JOIN person_tags t ON t.tag = pa.tag \
              JOIN persons vp ON t.person_id = COALESCE(vp.merged_into, vp.id) \
              WHERE pa.post_id = x.id AND vp.org_id = x.org_id AND vp.account_id = $2))))";

/// Every column of a post row with its author's name, for moderators' reads.
pub(crate) const POST_SELECT: &str = "SELECT x.id, x.circle_id, x.org_id, x.author_account_id, x.author_person_id, x.kind, x.title, x.body, x.score, \
     x.comment_count, x.hot_rank, x.last_activity_at, x.created_at, x.pinned_at, x.edited_at, x.hidden_at, x.task_state, x.task_assignee, \
     x.audience, x.tags, x.report_weight, p.display_name AS author_name \
     FROM posts x JOIN persons p ON p.id = x.author_person_id";

/// A query over [`VISIBLE_POSTS`] with its four leading parameters bound.
pub(crate) fn visible_query(
    sql: &str,
    circle: CircleId,
    viewer: AccountId,
    now: Timestamp,
    limit: i64,
) -> sqlx::query::Query<'_, Any, sqlx::any::AnyArguments<'_>> {
    sqlx::query(sql)
        .bind(circle.to_string())
        .bind(viewer.to_string())
        .bind(now.millis())
        .bind(limit)
}

/// Appended to `VISIBLE_POSTS` by the circle feed's sorts: pinned posts lead the
/// first page in their own list (`post_pinned`), so they are not in the pages too.
pub(crate) const NOT_PINNED: &str = " AND x.pinned_at IS NULL";
