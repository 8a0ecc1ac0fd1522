//! `SqlStore`: the `Store` port over sqlx's `Any` driver.

use crate::circles::decode as circle_rows;
use crate::connect::{self, Backend, ConnectError, ConnectOptions, Pools};
use crate::identity::decode as identity_rows;
use crate::persons::decode as person_rows;
use crate::queries::{NOT_PINNED, VISIBLE_POSTS, visible_query};
use crate::rows::{self, backend};
use async_trait::async_trait;
use quan_core::{
    EventRecord, Page, PageRequest, PersonRecord, PostRecord, StoreResult, SystemStore,
};
use quan_domain::{AccountId, CircleId, OrgId, Role, Timestamp};
use sqlx::any::AnyRow;
use sqlx::{Any, AnyPool, Transaction};

pub(crate) type Tx = Transaction<'static, Any>;

/// The SQL store. Cloning shares the pools.
#[derive(Clone)]
pub struct SqlStore {
    pub(crate) backend: Backend,
    pub(crate) write: AnyPool,
    pub(crate) read: AnyPool,
    /// Group commit for the hot small writes (`group.rs`).
    pub(crate) group: crate::group::Group,
    /// Held only so that dropping the last clone stops SQLite's checkpointer.
    _checkpointer: Option<tokio::sync::mpsc::Sender<()>>,
}

impl std::fmt::Debug for SqlStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SqlStore")
            .field("backend", &self.backend)
            .finish_non_exhaustive()
    }
}

/// The keyset condition for a page: empty on the first page, else `AND col >|< $n`.
/// A LIKE pattern matching one tag in a ','-joined tags column (wrap the column as
/// `',' || tags || ','` and add `ESCAPE '\'`); LIKE's own wildcards are escaped.
pub(crate) fn tag_pattern(tag: &str) -> String {
    let escaped = tag
        .replace('\\', "\\\\")
        .replace('%', "\\%")
        .replace('_', "\\_");
    format!("%,{escaped},%")
}

pub(crate) fn keyset(page: &PageRequest, col: &str, op: &str, n: usize) -> String {
    match page.after {
        Some(_) => format!(" AND {col} {op} ${n}"),
        None => String::new(),
    }
}

/// A query of the `Any` driver, as built up by the binding helpers.
pub(crate) type AnyQuery<'q> = sqlx::query::Query<'q, sqlx::Any, sqlx::any::AnyArguments<'q>>;

/// Binds an event's seven values in [`event_insert`]'s order.
pub(crate) fn bind_event<'q>(q: AnyQuery<'q>, e: &EventRecord) -> AnyQuery<'q> {
    q.bind(e.id.to_string())
        .bind(e.org_id.to_string())
        .bind(e.kind.clone())
        .bind(e.subject.clone())
        .bind(e.actor.map(|a| a.to_string()))
        .bind(e.data.to_string())
        .bind(e.at.millis())
}

/// The statement that appends an event, its seven values numbered from `$first`.
pub(crate) fn event_insert(first: usize) -> String {
    let marks: Vec<String> = (first..first + 7).map(|i| format!("${i}")).collect();
    format!(
        "INSERT INTO events (id, org_id, kind, subject, actor, data, at) VALUES ({})",
        marks.join(", ")
    )
}

impl SqlStore {
    /// Opens the pools for `url` (sqlite://PATH or postgres://...).
    pub async fn connect(url: &str, opts: &ConnectOptions) -> Result<Self, ConnectError> {
        let (backend, pools) = connect::open(url, opts).await?;
        let Pools {
            write,
            read,
            checkpoint,
        } = pools;
        let group = crate::group::Group::start(write.clone(), backend);
        let _checkpointer = checkpoint.map(|pool| {
            let (tx, rx) = tokio::sync::mpsc::channel(1);
            tokio::spawn(connect::checkpoints(pool, rx));
            tx
        });
        Ok(Self {
            backend,
            write,
            read,
            group,
            _checkpointer,
        })
    }

    /// Applies the embedded migrations that have not run yet.
    pub async fn migrate(&self) -> Result<(), ConnectError> {
        connect::migrator(self.backend)
            .run(&self.write)
            .await
            .map_err(ConnectError::Migrate)
    }

    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// Refreshes the planner's statistics (after bulk loads).
    pub async fn analyze(&self) -> StoreResult<()> {
        sqlx::query("ANALYZE")
            .execute(&self.write)
            .await
            .map_err(backend)?;
        Ok(())
    }

    /// A write transaction. On SQLite it takes the write lock up front (`BEGIN
    /// IMMEDIATE`), so a read-then-write transaction can never fail to upgrade.
    pub(crate) async fn begin(&self) -> StoreResult<Tx> {
        match self.backend {
            Backend::Sqlite => self
                .write
                .begin_with("BEGIN IMMEDIATE")
                .await
                .map_err(backend),
            Backend::Postgres => self.write.begin().await.map_err(backend),
        }
    }

    /// A circle's visible posts newest first, optionally only those with a topic tag
    /// (the `new` feed and tag pages). $5 is the tag pattern when there is one; the
    /// cursor follows it.
    pub(crate) async fn newest(
        &self,
        circle: CircleId,
        tag: Option<&str>,
        page: &PageRequest,
        viewer: AccountId,
        now: Timestamp,
    ) -> StoreResult<Page<PostRecord>> {
        let (tag_cond, cursor_at) = match tag {
            Some(_) => (" AND (',' || x.tags || ',') LIKE $5 ESCAPE '\\'", 6),
            // The circle feed leaves pinned posts out: they lead its first page in
            // their own list. A tag's posts include them.
            None => (NOT_PINNED, 5),
        };
        let sql = format!(
            "{VISIBLE_POSTS}{tag_cond}{} ORDER BY x.id DESC LIMIT $4",
            keyset(page, "x.id", "<", cursor_at)
        );
        let mut q = visible_query(&sql, circle, viewer, now, page.fetch_limit());
        if let Some(t) = tag {
            q = q.bind(tag_pattern(t));
        }
        if let Some(after) = &page.after {
            q = q.bind(after.clone());
        }
        let items = self
            .fetch_all(q)
            .await?
            .iter()
            .map(circle_rows::post)
            .collect::<StoreResult<Vec<_>>>()?;
        Ok(Page::from_overfetch(items, page, |p| p.id.to_string()))
    }

    pub(crate) async fn fetch_opt<'q>(
        &self,
        q: sqlx::query::Query<'q, Any, sqlx::any::AnyArguments<'q>>,
    ) -> StoreResult<Option<AnyRow>> {
        q.fetch_optional(&self.read).await.map_err(backend)
    }

    pub(crate) async fn fetch_all<'q>(
        &self,
        q: sqlx::query::Query<'q, Any, sqlx::any::AnyArguments<'q>>,
    ) -> StoreResult<Vec<AnyRow>> {
        q.fetch_all(&self.read).await.map_err(backend)
    }

    /// Serialises changes to one org's staff: a row lock on PostgreSQL (SQLite's
    /// IMMEDIATE transaction already holds the database's only write lock). This is
    /// what keeps two owners demoting each other at once from leaving none.
    pub(crate) async fn lock_org(tx: &mut Tx, org: OrgId) -> StoreResult<bool> {
        let r = sqlx::query("UPDATE orgs SET name = name WHERE id = $1")
            .bind(org.to_string())
            .execute(&mut **tx)
            .await
            .map_err(backend)?;
        Ok(r.rows_affected() == 1)
    }

    pub(crate) async fn insert_event(tx: &mut Tx, e: &EventRecord) -> StoreResult<()> {
        static SQL: std::sync::LazyLock<String> = std::sync::LazyLock::new(|| event_insert(1));
        bind_event(sqlx::query(&SQL), e)
            .execute(&mut **tx)
            .await
            .map_err(backend)?;
        Ok(())
    }

    /// Appends many events in one statement (a group's writes).
    pub(crate) async fn insert_events(
        tx: &mut Tx,
        engine: Backend,
        events: &[&EventRecord],
    ) -> StoreResult<()> {
        if events.is_empty() {
            return Ok(());
        }
        let sql = format!(
            "INSERT INTO events (id, org_id, kind, subject, actor, data, at) VALUES {}",
            crate::queries::value_rows(engine, events.len(), 7)
        );
        let mut q = sqlx::query(&sql);
        for e in events {
            q = bind_event(q, e);
        }
        q.execute(&mut **tx).await.map_err(backend)?;
        Ok(())
    }

    pub(crate) async fn owners(tx: &mut Tx, org: OrgId) -> StoreResult<i64> {
        let row =
            sqlx::query("SELECT COUNT(*) AS n FROM staff WHERE org_id = $1 AND role = 'owner'")
                .bind(org.to_string())
                .fetch_one(&mut **tx)
                .await
                .map_err(backend)?;
        rows::int(&row, "n")
    }

    pub(crate) async fn current_role(
        tx: &mut Tx,
        org: OrgId,
        account: AccountId,
    ) -> StoreResult<Option<Role>> {
        let row = sqlx::query("SELECT role FROM staff WHERE org_id = $1 AND account_id = $2")
            .bind(org.to_string())
            .bind(account.to_string())
            .fetch_optional(&mut **tx)
            .await
            .map_err(backend)?;
        row.as_ref().map(identity_rows::role).transpose()
    }

    /// Marks one of an org's invites or tokens revoked and logs it; false when there
    /// is no such live row in this org. `table` is one of our own table names.
    pub(crate) async fn revoke(
        &self,
        table: &'static str,
        org: OrgId,
        id: &str,
        now: Timestamp,
        event: &EventRecord,
    ) -> StoreResult<bool> {
        let mut tx = self.begin().await?;
        let sql = format!(
            "UPDATE {table} SET revoked_at = $1 WHERE org_id = $2 AND id = $3 AND revoked_at IS NULL"
        );
        let r = sqlx::query(&sql)
            .bind(now.millis())
            .bind(org.to_string())
            .bind(id.to_owned())
            .execute(&mut *tx)
            .await
            .map_err(backend)?;
        if r.rows_affected() == 0 {
            return Ok(false);
        }
        Self::insert_event(&mut tx, event).await?;
        tx.commit().await.map_err(backend)?;
        Ok(true)
    }

    /// A feed page ordered by an integer column, then id, both descending, walked by
    /// the keyset cursor "value/id", among posts created since `since`. Parameters
    /// follow [`VISIBLE_POSTS`]; this adds $5 (since) and $6, $7 (cursor).
    pub(crate) async fn feed_by_int(
        &self,
        col: &str,
        since: Timestamp,
        (circle, viewer, now): (CircleId, AccountId, Timestamp),
        page: &PageRequest,
        key: impl Fn(&PostRecord) -> i64,
    ) -> StoreResult<Page<PostRecord>> {
        let cursor = page.after.as_deref().and_then(|c| {
            let (v, id) = c.split_once('/')?;
            Some((v.parse::<i64>().ok()?, id.to_owned()))
        });
        let cursor_cond = if cursor.is_some() {
            format!(" AND ({col} < $6 OR ({col} = $6 AND x.id < $7))")
        } else {
            String::new()
        };
        let sql = format!(
            "{VISIBLE_POSTS}{NOT_PINNED} AND x.created_at >= $5{cursor_cond} ORDER BY {col} DESC, x.id DESC LIMIT $4"
        );
        let mut q =
            visible_query(&sql, circle, viewer, now, page.fetch_limit()).bind(since.millis());
        if let Some((v, id)) = cursor {
            q = q.bind(v).bind(id);
        }
        let items = self
            .fetch_all(q)
            .await?
            .iter()
            .map(circle_rows::post)
            .collect::<StoreResult<Vec<_>>>()?;
        Ok(Page::from_overfetch(items, page, |p| {
            format!("{}/{}", key(p), p.id)
        }))
    }

    /// One page of a keyset-paginated list: `select_where` uses $1..$n for `binds`;
    /// the limit is $n+1 and the cursor $n+2. Ordered by `col` (a time-ordered id).
    pub(crate) async fn keyset_page<T>(
        &self,
        select_where: &str,
        binds: &[String],
        (col, desc): (&str, bool),
        page: &PageRequest,
        decode: fn(&AnyRow) -> StoreResult<T>,
        key: impl Fn(&T) -> String,
    ) -> StoreResult<Page<T>> {
        let n = binds.len();
        let (op, dir) = if desc { ("<", "DESC") } else { (">", "ASC") };
        let sql = format!(
            "{select_where}{} ORDER BY {col} {dir} LIMIT ${}",
            keyset(page, col, op, n + 2),
            n + 1
        );
        let mut q = sqlx::query(&sql);
        for b in binds {
            q = q.bind(b.clone());
        }
        q = q.bind(page.fetch_limit());
        if let Some(after) = &page.after {
            q = q.bind(after.clone());
        }
        let items = self
            .fetch_all(q)
            .await?
            .iter()
            .map(decode)
            .collect::<StoreResult<Vec<_>>>()?;
        Ok(Page::from_overfetch(items, page, key))
    }

    /// Loads the handles of many persons in one query (no N+1).
    pub(crate) async fn attach_handles(&self, persons: &mut [PersonRecord]) -> StoreResult<()> {
        if persons.is_empty() {
            return Ok(());
        }
        let marks: Vec<String> = (1..=persons.len()).map(|i| format!("${i}")).collect();
        let sql = format!(
            "SELECT {HANDLE_COLS} FROM handles WHERE person_id IN ({}) ORDER BY id",
            marks.join(", ")
        );
        let mut q = sqlx::query(&sql);
        for p in persons.iter() {
            q = q.bind(p.id.to_string());
        }
        let rows = q.fetch_all(&self.read).await.map_err(backend)?;
        for row in &rows {
            let h = person_rows::handle(row)?;
            if let Some(p) = persons.iter_mut().find(|p| p.id == h.person_id) {
                p.handles.push(h);
            }
        }
        Ok(())
    }
}

const HANDLE_COLS: &str = "id, person_id, kind, value, verified, created_at";

#[async_trait]
impl SystemStore for SqlStore {
    fn backend_name(&self) -> &'static str {
        self.backend.name()
    }

    async fn ping(&self) -> StoreResult<()> {
        sqlx::query("SELECT 1")
            .execute(&self.read)
            .await
            .map_err(backend)?;
        Ok(())
    }

    fn pool_stats(&self) -> (u32, u32) {
        let idle = |p: &AnyPool| u32::try_from(p.num_idle()).unwrap_or(u32::MAX);
        match self.backend {
            Backend::Postgres => (self.write.size(), idle(&self.write)),
            Backend::Sqlite => (
                self.write.size() + self.read.size(),
                idle(&self.write) + idle(&self.read),
            ),
        }
    }

    async fn close(&self) {
        self.read.close().await;
        self.write.close().await;
    }

    async fn purge_expired(&self, now: Timestamp, before: Timestamp) -> StoreResult<u64> {
        let mut tx = self.begin().await?;
        let mut n = 0;
        for (sql, t) in [
            ("DELETE FROM sessions WHERE expires_at <= $1", now),
            ("DELETE FROM invites WHERE expires_at <= $1", before),
            (
                "DELETE FROM jobs WHERE (done_at IS NOT NULL AND done_at <= $1) OR (failed_at IS NOT NULL AND failed_at <= $1)",
                before,
            ),
        ] {
            n += sqlx::query(sql)
                .bind(t.millis())
                .execute(&mut *tx)
                .await
                .map_err(backend)?
                .rows_affected();
        }
        tx.commit().await.map_err(backend)?;
        Ok(n)
    }
}
