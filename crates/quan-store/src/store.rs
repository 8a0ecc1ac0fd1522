//! `SqlStore`: the `Store` port over sqlx's `Any` driver.

use crate::connect::{self, Backend, ConnectError, ConnectOptions, MIGRATOR, Pools};
use crate::rows::{self, backend};
use async_trait::async_trait;
use quan_core::*;
use quan_domain::*;
use sqlx::any::AnyRow;
use sqlx::{Any, AnyPool, Transaction};

pub(crate) type Tx = Transaction<'static, Any>;

/// The SQL store. Cloning shares the pools.
#[derive(Clone)]
pub struct SqlStore {
    backend: Backend,
    pub(crate) write: AnyPool,
    pub(crate) read: AnyPool,
}

impl std::fmt::Debug for SqlStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SqlStore")
            .field("backend", &self.backend)
            .finish_non_exhaustive()
    }
}

const ACCOUNT_COLS: &str = "id, email, phone, display_name, password_hash, created_at";
const STAFF_SELECT: &str = "SELECT s.org_id, s.account_id, s.role, s.joined_at, a.display_name, a.email, a.phone \
     FROM staff s JOIN accounts a ON a.id = s.account_id";
const INVITE_COLS: &str =
    "id, org_id, role, code_hash, created_by, created_at, expires_at, max_uses, uses, revoked_at";
const TOKEN_COLS: &str =
    "id, org_id, account_id, name, scopes, token_hash, prefix, created_at, expires_at, revoked_at";
const PERSON_COLS: &str =
    "id, org_id, display_name, account_id, stage, verified, created_at, merged_into";
const HANDLE_COLS: &str = "id, person_id, kind, value, verified, created_at";
const EVENT_COLS: &str = "id, org_id, kind, subject, actor, data, at";
pub(crate) const CIRCLE_COLS: &str = "id, org_id, name, description, mode, join_policy, posting, forwarding, read_receipts, public, member_count, created_by, created_at, quality_score, boost_status, cover_image_id, tags";
const MEMBER_SELECT: &str = "SELECT m.circle_id, m.account_id, m.person_id, m.role, m.status, m.is_member, m.is_customer, m.is_fan, m.joined_at, m.role_seq, p.display_name \
     FROM circle_members m JOIN persons p ON p.id = m.person_id";
/// Moves a read position forward, never back. $1 room, $2 account, $3 message.
const READ_MARK: &str = "INSERT INTO chat_reads (room_id, account_id, last_read_id) VALUES ($1, $2, $3) \
     ON CONFLICT (room_id, account_id) DO UPDATE SET last_read_id = \
     CASE WHEN excluded.last_read_id > chat_reads.last_read_id THEN excluded.last_read_id ELSE chat_reads.last_read_id END";
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
const MESSAGE_SELECT: &str = "SELECT m.id, m.room_id, m.author_account_id, m.author_person_id, m.body, m.reply_to, m.promoted_post_id, \
     m.created_at, m.image_id, p.display_name AS author_name FROM chat_messages m JOIN persons p ON p.id = m.author_person_id";
const COMMENT_SELECT: &str = "SELECT k.id, k.post_id, k.parent_id, k.author_account_id, k.author_person_id, k.body, k.created_at, \
     p.display_name AS author_name FROM comments k JOIN persons p ON p.id = k.author_person_id";
const JOB_COLS: &str = "id, kind, payload, attempts, max_attempts, run_at";

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

impl SqlStore {
    /// Opens the pools for `url` (sqlite://PATH or postgres://...).
    pub async fn connect(url: &str, opts: &ConnectOptions) -> Result<Self, ConnectError> {
        let (backend, Pools { write, read }) = connect::open(url, opts).await?;
        Ok(Self {
            backend,
            write,
            read,
        })
    }

    /// Applies the embedded migrations that have not run yet.
    pub async fn migrate(&self) -> Result<(), ConnectError> {
        MIGRATOR
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
    async fn newest(
        &self,
        circle: CircleId,
        tag: Option<&str>,
        page: &PageRequest,
        viewer: AccountId,
        now: Timestamp,
    ) -> StoreResult<Page<PostRecord>> {
        let (tag_cond, cursor_at) = match tag {
            Some(_) => (" AND (',' || x.tags || ',') LIKE $5 ESCAPE '\\'", 6),
            None => ("", 5),
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
            .map(rows::post)
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
        sqlx::query("INSERT INTO events (id, org_id, kind, subject, actor, data, at) VALUES ($1, $2, $3, $4, $5, $6, $7)")
            .bind(e.id.to_string())
            .bind(e.org_id.to_string())
            .bind(e.kind.clone())
            .bind(e.subject.clone())
            .bind(e.actor.map(|a| a.to_string()))
            .bind(e.data.to_string())
            .bind(e.at.millis())
            .execute(&mut **tx)
            .await
            .map_err(backend)?;
        Ok(())
    }

    async fn owners(tx: &mut Tx, org: OrgId) -> StoreResult<i64> {
        let row =
            sqlx::query("SELECT COUNT(*) AS n FROM staff WHERE org_id = $1 AND role = 'owner'")
                .bind(org.to_string())
                .fetch_one(&mut **tx)
                .await
                .map_err(backend)?;
        rows::int(&row, "n")
    }

    async fn current_role(
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
        row.as_ref().map(rows::role).transpose()
    }

    /// Marks one of an org's invites or tokens revoked and logs it; false when there
    /// is no such live row in this org. `table` is one of our own table names.
    async fn revoke(
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
    async fn feed_by_int(
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
            "{VISIBLE_POSTS} AND x.created_at >= $5{cursor_cond} ORDER BY {col} DESC, x.id DESC LIMIT $4"
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
            .map(rows::post)
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
    async fn attach_handles(&self, persons: &mut [PersonRecord]) -> StoreResult<()> {
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
            let h = rows::handle(row)?;
            if let Some(p) = persons.iter_mut().find(|p| p.id == h.person_id) {
                p.handles.push(h);
            }
        }
        Ok(())
    }
}

#[async_trait]
impl Store for SqlStore {
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

    async fn account_insert(&self, a: &AccountRecord) -> StoreResult<()> {
        sqlx::query("INSERT INTO accounts (id, email, phone, display_name, password_hash, created_at) VALUES ($1, $2, $3, $4, $5, $6)")
            .bind(a.id.to_string())
            .bind(a.email.clone())
            .bind(a.phone.clone())
            .bind(a.display_name.clone())
            .bind(a.password_hash.clone())
            .bind(a.created_at.millis())
            .execute(&self.write)
            .await
            .map_err(backend)?;
        Ok(())
    }

    async fn account_get(&self, id: AccountId) -> StoreResult<Option<AccountRecord>> {
        let sql = format!("SELECT {ACCOUNT_COLS} FROM accounts WHERE id = $1");
        self.fetch_opt(sqlx::query(&sql).bind(id.to_string()))
            .await?
            .as_ref()
            .map(rows::account)
            .transpose()
    }

    async fn account_by_login(&self, login: &Login) -> StoreResult<Option<AccountRecord>> {
        let (col, val) = match login {
            Login::Email(e) => ("email", e.as_str()),
            Login::Phone(p) => ("phone", p.as_str()),
        };
        let sql = format!("SELECT {ACCOUNT_COLS} FROM accounts WHERE {col} = $1");
        self.fetch_opt(sqlx::query(&sql).bind(val.to_owned()))
            .await?
            .as_ref()
            .map(rows::account)
            .transpose()
    }

    async fn account_set_password(&self, id: AccountId, hash: &str) -> StoreResult<()> {
        let r = sqlx::query("UPDATE accounts SET password_hash = $1 WHERE id = $2")
            .bind(hash.to_owned())
            .bind(id.to_string())
            .execute(&self.write)
            .await
            .map_err(backend)?;
        if r.rows_affected() == 0 {
            Err(StoreError::NotFound)
        } else {
            Ok(())
        }
    }

    async fn session_insert(&self, s: &SessionRecord) -> StoreResult<()> {
        sqlx::query("INSERT INTO sessions (id, account_id, token_hash, created_at, expires_at) VALUES ($1, $2, $3, $4, $5)")
            .bind(s.id.to_string())
            .bind(s.account_id.to_string())
            .bind(s.token_hash.clone())
            .bind(s.created_at.millis())
            .bind(s.expires_at.millis())
            .execute(&self.write)
            .await
            .map_err(backend)?;
        Ok(())
    }

    async fn session_find(
        &self,
        token_hash: &str,
        now: Timestamp,
    ) -> StoreResult<Option<(SessionRecord, AccountRecord)>> {
        let sql = "SELECT s.id AS sid, s.token_hash, s.created_at AS s_created, s.expires_at, \
                   a.id, a.email, a.phone, a.display_name, a.password_hash, a.created_at \
                   FROM sessions s JOIN accounts a ON a.id = s.account_id \
                   WHERE s.token_hash = $1 AND s.expires_at > $2";
        let Some(row) = self
            .fetch_opt(
                sqlx::query(sql)
                    .bind(token_hash.to_owned())
                    .bind(now.millis()),
            )
            .await?
        else {
            return Ok(None);
        };
        let account = rows::account(&row)?;
        let session = SessionRecord {
            id: rows::id(&row, "sid")?,
            account_id: account.id,
            token_hash: rows::text(&row, "token_hash")?,
            created_at: rows::ts(&row, "s_created")?,
            expires_at: rows::ts(&row, "expires_at")?,
        };
        Ok(Some((session, account)))
    }

    async fn session_delete(&self, token_hash: &str) -> StoreResult<()> {
        sqlx::query("DELETE FROM sessions WHERE token_hash = $1")
            .bind(token_hash.to_owned())
            .execute(&self.write)
            .await
            .map_err(backend)?;
        Ok(())
    }

    async fn session_delete_others(
        &self,
        account: AccountId,
        keep: Option<SessionId>,
    ) -> StoreResult<u64> {
        // A nil id matches no session, so "keep none" needs no second statement.
        let keep = keep.map_or_else(|| uuid::Uuid::nil().to_string(), |k| k.to_string());
        let r = sqlx::query("DELETE FROM sessions WHERE account_id = $1 AND id <> $2")
            .bind(account.to_string())
            .bind(keep)
            .execute(&self.write)
            .await
            .map_err(backend)?;
        Ok(r.rows_affected())
    }

    async fn org_create(
        &self,
        org: &OrgRecord,
        owner: AccountId,
        event: &EventRecord,
    ) -> StoreResult<()> {
        let mut tx = self.begin().await?;
        sqlx::query("INSERT INTO orgs (id, name, created_at) VALUES ($1, $2, $3)")
            .bind(org.id.to_string())
            .bind(org.name.clone())
            .bind(org.created_at.millis())
            .execute(&mut *tx)
            .await
            .map_err(backend)?;
        sqlx::query(
            "INSERT INTO staff (org_id, account_id, role, joined_at) VALUES ($1, $2, 'owner', $3)",
        )
        .bind(org.id.to_string())
        .bind(owner.to_string())
        .bind(org.created_at.millis())
        .execute(&mut *tx)
        .await
        .map_err(backend)?;
        Self::insert_event(&mut tx, event).await?;
        tx.commit().await.map_err(backend)
    }

    async fn org_get(&self, org: OrgId) -> StoreResult<Option<OrgRecord>> {
        self.fetch_opt(
            sqlx::query("SELECT id, name, created_at FROM orgs WHERE id = $1")
                .bind(org.to_string()),
        )
        .await?
        .as_ref()
        .map(rows::org)
        .transpose()
    }

    async fn orgs_of_account(&self, account: AccountId) -> StoreResult<Vec<(OrgRecord, Role)>> {
        let sql = "SELECT o.id, o.name, o.created_at, s.role FROM staff s JOIN orgs o ON o.id = s.org_id \
                   WHERE s.account_id = $1 ORDER BY o.id";
        self.fetch_all(sqlx::query(sql).bind(account.to_string()))
            .await?
            .iter()
            .map(|r| Ok((rows::org(r)?, rows::role(r)?)))
            .collect()
    }

    async fn org_list_all(&self) -> StoreResult<Vec<(OrgRecord, i64)>> {
        let sql = "SELECT o.id, o.name, o.created_at, \
                   (SELECT COUNT(*) FROM staff s WHERE s.org_id = o.id) AS staff_count \
                   FROM orgs o ORDER BY o.id";
        self.fetch_all(sqlx::query(sql))
            .await?
            .iter()
            .map(|r| Ok((rows::org(r)?, rows::int(r, "staff_count")?)))
            .collect()
    }

    async fn staff_get(&self, org: OrgId, account: AccountId) -> StoreResult<Option<StaffRecord>> {
        let sql = format!("{STAFF_SELECT} WHERE s.org_id = $1 AND s.account_id = $2");
        self.fetch_opt(
            sqlx::query(&sql)
                .bind(org.to_string())
                .bind(account.to_string()),
        )
        .await?
        .as_ref()
        .map(rows::staff)
        .transpose()
    }

    async fn staff_list(&self, org: OrgId, page: &PageRequest) -> StoreResult<Page<StaffRecord>> {
        let sql = format!("{STAFF_SELECT} WHERE s.org_id = $1");
        self.keyset_page(
            &sql,
            &[org.to_string()],
            ("s.account_id", false),
            page,
            rows::staff,
            |s| s.account_id.to_string(),
        )
        .await
    }

    async fn staff_set_role(
        &self,
        org: OrgId,
        account: AccountId,
        role: Role,
        event: &EventRecord,
    ) -> StoreResult<StaffChange> {
        let mut tx = self.begin().await?;
        if !Self::lock_org(&mut tx, org).await? {
            return Err(StoreError::NotFound);
        }
        let current = Self::current_role(&mut tx, org, account)
            .await?
            .ok_or(StoreError::NotFound)?;
        if current == Role::Owner && role != Role::Owner && Self::owners(&mut tx, org).await? <= 1 {
            return Ok(StaffChange::LastOwner);
        }
        sqlx::query("UPDATE staff SET role = $1 WHERE org_id = $2 AND account_id = $3")
            .bind(role.as_str())
            .bind(org.to_string())
            .bind(account.to_string())
            .execute(&mut *tx)
            .await
            .map_err(backend)?;
        Self::insert_event(&mut tx, event).await?;
        tx.commit().await.map_err(backend)?;
        Ok(StaffChange::Done)
    }

    async fn staff_remove(
        &self,
        org: OrgId,
        account: AccountId,
        event: &EventRecord,
    ) -> StoreResult<StaffChange> {
        let mut tx = self.begin().await?;
        if !Self::lock_org(&mut tx, org).await? {
            return Err(StoreError::NotFound);
        }
        let current = Self::current_role(&mut tx, org, account)
            .await?
            .ok_or(StoreError::NotFound)?;
        if current == Role::Owner && Self::owners(&mut tx, org).await? <= 1 {
            return Ok(StaffChange::LastOwner);
        }
        sqlx::query("DELETE FROM staff WHERE org_id = $1 AND account_id = $2")
            .bind(org.to_string())
            .bind(account.to_string())
            .execute(&mut *tx)
            .await
            .map_err(backend)?;
        // A removed member's tokens die with their membership.
        sqlx::query("UPDATE api_tokens SET revoked_at = $1 WHERE org_id = $2 AND account_id = $3 AND revoked_at IS NULL")
            .bind(event.at.millis())
            .bind(org.to_string())
            .bind(account.to_string())
            .execute(&mut *tx)
            .await
            .map_err(backend)?;
        Self::insert_event(&mut tx, event).await?;
        tx.commit().await.map_err(backend)?;
        Ok(StaffChange::Done)
    }

    async fn invite_insert(&self, inv: &InviteRecord, event: &EventRecord) -> StoreResult<()> {
        let mut tx = self.begin().await?;
        sqlx::query("INSERT INTO invites (id, org_id, role, code_hash, created_by, created_at, expires_at, max_uses, uses, revoked_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, NULL)")
            .bind(inv.id.to_string())
            .bind(inv.org_id.to_string())
            .bind(inv.role.as_str())
            .bind(inv.code_hash.clone())
            .bind(inv.created_by.to_string())
            .bind(inv.created_at.millis())
            .bind(inv.expires_at.millis())
            .bind(inv.max_uses)
            .bind(inv.uses)
            .execute(&mut *tx)
            .await
            .map_err(backend)?;
        Self::insert_event(&mut tx, event).await?;
        tx.commit().await.map_err(backend)
    }

    async fn invite_list(&self, org: OrgId, now: Timestamp) -> StoreResult<Vec<InviteRecord>> {
        let sql = format!(
            "SELECT {INVITE_COLS} FROM invites WHERE org_id = $1 AND revoked_at IS NULL AND expires_at > $2 \
             AND uses < max_uses ORDER BY id DESC LIMIT 200"
        );
        self.fetch_all(sqlx::query(&sql).bind(org.to_string()).bind(now.millis()))
            .await?
            .iter()
            .map(rows::invite)
            .collect()
    }

    async fn invite_by_code_hash(&self, code_hash: &str) -> StoreResult<Option<InviteRecord>> {
        let sql = format!("SELECT {INVITE_COLS} FROM invites WHERE code_hash = $1");
        self.fetch_opt(sqlx::query(&sql).bind(code_hash.to_owned()))
            .await?
            .as_ref()
            .map(rows::invite)
            .transpose()
    }

    async fn invite_revoke(
        &self,
        org: OrgId,
        id: InviteId,
        now: Timestamp,
        event: &EventRecord,
    ) -> StoreResult<bool> {
        self.revoke("invites", org, &id.to_string(), now, event)
            .await
    }

    async fn invite_accept(
        &self,
        code_hash: &str,
        account: AccountId,
        now: Timestamp,
        event: &EventRecord,
    ) -> StoreResult<InviteOutcome> {
        let mut tx = self.begin().await?;
        let sql = format!("SELECT {INVITE_COLS} FROM invites WHERE code_hash = $1");
        let Some(inv) = sqlx::query(&sql)
            .bind(code_hash.to_owned())
            .fetch_optional(&mut *tx)
            .await
            .map_err(backend)?
            .as_ref()
            .map(rows::invite)
            .transpose()?
        else {
            return Ok(InviteOutcome::Invalid);
        };
        if Self::current_role(&mut tx, inv.org_id, account)
            .await?
            .is_some()
        {
            return Ok(InviteOutcome::AlreadyStaff { org: inv.org_id });
        }
        // The guarded increment is the whole rule: however many accept at once, uses
        // never passes max_uses, and an expired or revoked invite admits no one.
        let r = sqlx::query(
            "UPDATE invites SET uses = uses + 1 WHERE id = $1 AND uses < max_uses \
             AND revoked_at IS NULL AND expires_at > $2",
        )
        .bind(inv.id.to_string())
        .bind(now.millis())
        .execute(&mut *tx)
        .await
        .map_err(backend)?;
        if r.rows_affected() == 0 {
            return Ok(InviteOutcome::Invalid);
        }
        let joined = sqlx::query(
            "INSERT INTO staff (org_id, account_id, role, joined_at) VALUES ($1, $2, $3, $4)",
        )
        .bind(inv.org_id.to_string())
        .bind(account.to_string())
        .bind(inv.role.as_str())
        .bind(now.millis())
        .execute(&mut *tx)
        .await
        .map_err(backend);
        match joined {
            Err(e) if e.is_conflict_on(constraints::STAFF_PK) => {
                return Ok(InviteOutcome::AlreadyStaff { org: inv.org_id });
            }
            other => other?,
        };
        let mut ev = event.clone();
        ev.org_id = inv.org_id;
        ev.data = serde_json::json!({"role": inv.role.as_str(), "invite": inv.id.to_string()});
        Self::insert_event(&mut tx, &ev).await?;
        tx.commit().await.map_err(backend)?;
        Ok(InviteOutcome::Joined {
            org: inv.org_id,
            role: inv.role,
        })
    }

    async fn token_insert(&self, t: &TokenRecord, event: &EventRecord) -> StoreResult<()> {
        let mut tx = self.begin().await?;
        sqlx::query("INSERT INTO api_tokens (id, org_id, account_id, name, scopes, token_hash, prefix, created_at, expires_at, revoked_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, NULL)")
            .bind(t.id.to_string())
            .bind(t.org_id.to_string())
            .bind(t.account_id.to_string())
            .bind(t.name.clone())
            .bind(t.scopes.to_db())
            .bind(t.token_hash.clone())
            .bind(t.prefix.clone())
            .bind(t.created_at.millis())
            .bind(t.expires_at.map(Timestamp::millis))
            .execute(&mut *tx)
            .await
            .map_err(backend)?;
        Self::insert_event(&mut tx, event).await?;
        tx.commit().await.map_err(backend)
    }

    async fn token_list(&self, org: OrgId) -> StoreResult<Vec<TokenRecord>> {
        let sql = format!(
            "SELECT {TOKEN_COLS} FROM api_tokens WHERE org_id = $1 ORDER BY id DESC LIMIT 500"
        );
        self.fetch_all(sqlx::query(&sql).bind(org.to_string()))
            .await?
            .iter()
            .map(rows::token)
            .collect()
    }

    async fn token_by_hash(&self, token_hash: &str) -> StoreResult<Option<TokenRecord>> {
        let sql = format!("SELECT {TOKEN_COLS} FROM api_tokens WHERE token_hash = $1");
        self.fetch_opt(sqlx::query(&sql).bind(token_hash.to_owned()))
            .await?
            .as_ref()
            .map(rows::token)
            .transpose()
    }

    async fn token_revoke(
        &self,
        org: OrgId,
        id: TokenId,
        now: Timestamp,
        event: &EventRecord,
    ) -> StoreResult<bool> {
        self.revoke("api_tokens", org, &id.to_string(), now, event)
            .await
    }

    async fn person_insert(&self, p: &PersonRecord, event: &EventRecord) -> StoreResult<()> {
        let mut tx = self.begin().await?;
        sqlx::query("INSERT INTO persons (id, org_id, display_name, account_id, stage, verified, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7)")
            .bind(p.id.to_string())
            .bind(p.org_id.to_string())
            .bind(p.display_name.clone())
            .bind(p.account_id.map(|a| a.to_string()))
            .bind(p.stage.as_str())
            .bind(i64::from(p.verified))
            .bind(p.created_at.millis())
            .execute(&mut *tx)
            .await
            .map_err(backend)?;
        for h in &p.handles {
            insert_handle(&mut tx, p.org_id, h).await?;
        }
        Self::insert_event(&mut tx, event).await?;
        tx.commit().await.map_err(backend)
    }

    async fn person_get(&self, org: OrgId, id: PersonId) -> StoreResult<Option<PersonRecord>> {
        let sql = format!("SELECT {PERSON_COLS} FROM persons WHERE org_id = $1 AND id = $2");
        let Some(row) = self
            .fetch_opt(sqlx::query(&sql).bind(org.to_string()).bind(id.to_string()))
            .await?
        else {
            return Ok(None);
        };
        let mut p = [rows::person(&row)?];
        self.attach_handles(&mut p).await?;
        let [p] = p;
        Ok(Some(p))
    }

    async fn person_list(&self, org: OrgId, page: &PageRequest) -> StoreResult<Page<PersonRecord>> {
        let sql = format!("SELECT {PERSON_COLS} FROM persons WHERE org_id = $1");
        let mut page = self
            .keyset_page(
                &sql,
                &[org.to_string()],
                ("id", false),
                page,
                rows::person,
                |p| p.id.to_string(),
            )
            .await?;
        self.attach_handles(&mut page.items).await?;
        Ok(page)
    }

    async fn handle_insert(
        &self,
        org: OrgId,
        h: &HandleRecord,
        event: &EventRecord,
    ) -> StoreResult<()> {
        let mut tx = self.begin().await?;
        // The person must be this org's: the check and the insert share a transaction.
        let found = sqlx::query("SELECT id FROM persons WHERE org_id = $1 AND id = $2")
            .bind(org.to_string())
            .bind(h.person_id.to_string())
            .fetch_optional(&mut *tx)
            .await
            .map_err(backend)?;
        if found.is_none() {
            return Err(StoreError::NotFound);
        }
        insert_handle(&mut tx, org, h).await?;
        Self::insert_event(&mut tx, event).await?;
        tx.commit().await.map_err(backend)
    }

    async fn event_append(&self, e: &EventRecord) -> StoreResult<()> {
        let mut tx = self.begin().await?;
        Self::insert_event(&mut tx, e).await?;
        tx.commit().await.map_err(backend)
    }

    async fn event_list(&self, org: OrgId, page: &PageRequest) -> StoreResult<Page<EventRecord>> {
        let sql = format!("SELECT {EVENT_COLS} FROM events WHERE org_id = $1");
        self.keyset_page(
            &sql,
            &[org.to_string()],
            ("id", true),
            page,
            rows::event,
            |e| e.id.to_string(),
        )
        .await
    }

    async fn job_enqueue(&self, job: &NewJob) -> StoreResult<bool> {
        let r = sqlx::query(
            "INSERT INTO jobs (id, kind, payload, run_at, attempts, max_attempts, dedupe_key, created_at) \
             VALUES ($1, $2, $3, $4, 0, $5, $6, $7) ON CONFLICT (dedupe_key) DO NOTHING",
        )
        .bind(job.id.to_string())
        .bind(job.kind.clone())
        .bind(job.payload.to_string())
        .bind(job.run_at.millis())
        .bind(job.max_attempts)
        .bind(job.dedupe_key.clone())
        .bind(job.run_at.millis())
        .execute(&self.write)
        .await
        .map_err(backend)?;
        Ok(r.rows_affected() == 1)
    }

    async fn job_claim(&self, now: Timestamp, lease_ms: i64) -> StoreResult<Option<JobRecord>> {
        // Backend-specific, on purpose: PostgreSQL workers on many nodes skip rows
        // another worker holds; SQLite has one writer, which already serialises claims.
        let lock = match self.backend {
            Backend::Postgres => " FOR UPDATE SKIP LOCKED",
            Backend::Sqlite => "",
        };
        let sql = format!(
            "UPDATE jobs SET attempts = attempts + 1, locked_until = $2 WHERE id = ( \
               SELECT id FROM jobs WHERE done_at IS NULL AND failed_at IS NULL AND run_at <= $1 \
               AND (locked_until IS NULL OR locked_until <= $1) ORDER BY run_at, id LIMIT 1{lock}) \
             RETURNING {JOB_COLS}"
        );
        sqlx::query(&sql)
            .bind(now.millis())
            .bind(now.plus_millis(lease_ms).millis())
            .fetch_optional(&self.write)
            .await
            .map_err(backend)?
            .as_ref()
            .map(rows::job)
            .transpose()
    }

    async fn job_complete(&self, id: JobId, now: Timestamp) -> StoreResult<()> {
        sqlx::query("UPDATE jobs SET done_at = $1, locked_until = NULL WHERE id = $2")
            .bind(now.millis())
            .bind(id.to_string())
            .execute(&self.write)
            .await
            .map_err(backend)?;
        Ok(())
    }

    async fn job_fail(&self, id: JobId, error: &str, retry_at: Timestamp) -> StoreResult<()> {
        let error: String = error.chars().take(2000).collect();
        sqlx::query(
            "UPDATE jobs SET last_error = $1, locked_until = NULL, run_at = $2, \
             failed_at = CASE WHEN attempts >= max_attempts THEN $2 ELSE NULL END WHERE id = $3",
        )
        .bind(error)
        .bind(retry_at.millis())
        .bind(id.to_string())
        .execute(&self.write)
        .await
        .map_err(backend)?;
        Ok(())
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

    async fn person_for_account(
        &self,
        org: OrgId,
        account: &AccountRecord,
        now: Timestamp,
    ) -> StoreResult<PersonRecord> {
        let mut tx = self.begin().await?;
        let id = PersonId::new();
        // ON CONFLICT on the (org, account) unique index: concurrent first joins agree
        // on one person.
        sqlx::query(
            "INSERT INTO persons (id, org_id, display_name, account_id, stage, verified, created_at) \
             VALUES ($1, $2, $3, $4, 'follower', 0, $5) ON CONFLICT (org_id, account_id) DO NOTHING",
        )
        .bind(id.to_string())
        .bind(org.to_string())
        .bind(account.display_name.clone())
        .bind(account.id.to_string())
        .bind(now.millis())
        .execute(&mut *tx)
        .await
        .map_err(backend)?;
        let sql =
            format!("SELECT {PERSON_COLS} FROM persons WHERE org_id = $1 AND account_id = $2");
        let row = sqlx::query(&sql)
            .bind(org.to_string())
            .bind(account.id.to_string())
            .fetch_one(&mut *tx)
            .await
            .map_err(backend)?;
        let person = rows::person(&row)?;
        if person.id == id {
            // A new person: attach the account's verified contact handles, unless
            // another person of the org holds them (merging is a separate, audited act).
            for (kind, value) in [
                ("email", account.email.as_ref()),
                ("phone", account.phone.as_ref()),
            ] {
                let Some(value) = value else { continue };
                sqlx::query(
                    "INSERT INTO handles (id, org_id, person_id, kind, value, verified, created_at) \
                     VALUES ($1, $2, $3, $4, $5, 1, $6) ON CONFLICT (org_id, kind, value) DO NOTHING",
                )
                .bind(HandleId::new().to_string())
                .bind(org.to_string())
                .bind(id.to_string())
                .bind(kind)
                .bind(value.clone())
                .bind(now.millis())
                .execute(&mut *tx)
                .await
                .map_err(backend)?;
            }
        }
        tx.commit().await.map_err(backend)?;
        // An account whose person was merged acts as the survivor (merges keep
        // one hop: a later merge re-points earlier ones).
        let person = match person.merged_into {
            Some(survivor) => self
                .person_get(org, survivor)
                .await?
                .ok_or(StoreError::NotFound)?,
            None => person,
        };
        let mut one = [person];
        self.attach_handles(&mut one).await?;
        let [p] = one;
        Ok(p)
    }

    async fn circle_insert(
        &self,
        c: &CircleRecord,
        owner: &CircleMemberRecord,
        event: &EventRecord,
    ) -> StoreResult<()> {
        let mut tx = self.begin().await?;
        sqlx::query(
            "INSERT INTO circles (id, org_id, name, description, mode, join_policy, posting, forwarding, read_receipts, public, member_count, created_by, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, 0, $11, $12)",
        )
        .bind(c.id.to_string())
        .bind(c.org_id.to_string())
        .bind(c.name.clone())
        .bind(c.description.clone())
        .bind(c.mode.as_str())
        .bind(c.join_policy.as_str())
        .bind(c.posting.as_str())
        .bind(i64::from(c.forwarding))
        .bind(i64::from(c.read_receipts))
        .bind(i64::from(c.public))
        .bind(c.created_by.to_string())
        .bind(c.created_at.millis())
        .execute(&mut *tx)
        .await
        .map_err(backend)?;
        insert_member(&mut tx, owner).await?;
        // Every circle starts with its default chat room.
        sqlx::query("INSERT INTO chat_rooms (id, circle_id, name, is_default, created_at) VALUES ($1, $2, $3, 1, $4)")
            .bind(RoomId::new().to_string())
            .bind(c.id.to_string())
            .bind("综合 General")
            .bind(c.created_at.millis())
            .execute(&mut *tx)
            .await
            .map_err(backend)?;
        Self::insert_event(&mut tx, event).await?;
        tx.commit().await.map_err(backend)
    }

    async fn circle_get(&self, id: CircleId) -> StoreResult<Option<CircleRecord>> {
        let sql = format!("SELECT {CIRCLE_COLS} FROM circles WHERE id = $1");
        self.fetch_opt(sqlx::query(&sql).bind(id.to_string()))
            .await?
            .as_ref()
            .map(rows::circle)
            .transpose()
    }

    async fn circle_list(&self, org: OrgId, page: &PageRequest) -> StoreResult<Page<CircleRecord>> {
        let sql = format!("SELECT {CIRCLE_COLS} FROM circles WHERE org_id = $1");
        self.keyset_page(
            &sql,
            &[org.to_string()],
            ("id", false),
            page,
            rows::circle,
            |c| c.id.to_string(),
        )
        .await
    }

    async fn circles_of_account(
        &self,
        account: AccountId,
    ) -> StoreResult<Vec<(CircleRecord, CircleRole)>> {
        let sql = "SELECT c.id, c.org_id, c.name, c.description, c.mode, c.join_policy, c.posting, c.forwarding, c.read_receipts, \
                   c.public, c.member_count, c.created_by, c.created_at, c.quality_score, c.boost_status, c.cover_image_id, c.tags, m.role AS member_role \
                   FROM circle_members m JOIN circles c ON c.id = m.circle_id \
                   WHERE m.account_id = $1 AND m.status = 'active' ORDER BY c.id LIMIT 500";
        self.fetch_all(sqlx::query(sql).bind(account.to_string()))
            .await?
            .iter()
            .map(|r| Ok((rows::circle(r)?, rows::circle_role(r, "member_role")?)))
            .collect()
    }

    async fn circle_member_get(
        &self,
        circle: CircleId,
        account: AccountId,
    ) -> StoreResult<Option<CircleMemberRecord>> {
        let sql = format!("{MEMBER_SELECT} WHERE m.circle_id = $1 AND m.account_id = $2");
        self.fetch_opt(
            sqlx::query(&sql)
                .bind(circle.to_string())
                .bind(account.to_string()),
        )
        .await?
        .as_ref()
        .map(rows::member)
        .transpose()
    }

    async fn circle_member_insert(
        &self,
        m: &CircleMemberRecord,
        event: &EventRecord,
    ) -> StoreResult<()> {
        let mut tx = self.begin().await?;
        insert_member(&mut tx, m).await?;
        Self::insert_event(&mut tx, event).await?;
        tx.commit().await.map_err(backend)
    }

    async fn circle_member_list(
        &self,
        circle: CircleId,
        status: MemberStatus,
        page: &PageRequest,
    ) -> StoreResult<Page<CircleMemberRecord>> {
        let sql = format!("{MEMBER_SELECT} WHERE m.circle_id = $1 AND m.status = $2");
        self.keyset_page(
            &sql,
            &[circle.to_string(), status.as_str().to_owned()],
            ("m.account_id", false),
            page,
            rows::member,
            |m| m.account_id.to_string(),
        )
        .await
    }

    async fn circle_member_approve(
        &self,
        circle: CircleId,
        account: AccountId,
        event: &EventRecord,
    ) -> StoreResult<bool> {
        let mut tx = self.begin().await?;
        let r = sqlx::query("UPDATE circle_members SET status = 'active' WHERE circle_id = $1 AND account_id = $2 AND status = 'pending'")
            .bind(circle.to_string())
            .bind(account.to_string())
            .execute(&mut *tx)
            .await
            .map_err(backend)?;
        if r.rows_affected() == 0 {
            return Ok(false);
        }
        bump_member_count(&mut tx, circle).await?;
        Self::insert_event(&mut tx, event).await?;
        tx.commit().await.map_err(backend)?;
        Ok(true)
    }

    async fn post_insert(
        &self,
        p: &PostRecord,
        audience_tags: &[String],
        search_terms: &[String],
        event: &EventRecord,
    ) -> StoreResult<()> {
        let mut tx = self.begin().await?;
        insert_post(&mut tx, p).await?;
        crate::search::insert_terms(&mut tx, p.id, p.circle_id, search_terms).await?;
        for tag in audience_tags {
            sqlx::query(
                "INSERT INTO post_audience (post_id, tag) VALUES ($1, $2) ON CONFLICT DO NOTHING",
            )
            .bind(p.id.to_string())
            .bind(tag.clone())
            .execute(&mut *tx)
            .await
            .map_err(backend)?;
        }
        Self::insert_event(&mut tx, event).await?;
        tx.commit().await.map_err(backend)
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
                let sql =
                    format!("{VISIBLE_POSTS}{cond} ORDER BY x.hot_rank DESC, x.id DESC LIMIT $4");
                let mut q = bind(&sql);
                if let Some((rank, id)) = cursor {
                    q = q.bind(rank).bind(id);
                }
                let items = self
                    .fetch_all(q)
                    .await?
                    .iter()
                    .map(rows::post)
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

    async fn account_set_history_window(
        &self,
        account: AccountId,
        w: HistoryWindow,
    ) -> StoreResult<()> {
        sqlx::query("UPDATE accounts SET history_window_days = $1 WHERE id = $2")
            .bind(w.days())
            .bind(account.to_string())
            .execute(&self.write)
            .await
            .map_err(backend)?;
        Ok(())
    }

    async fn account_history_window(&self, account: AccountId) -> StoreResult<HistoryWindow> {
        let row = self
            .fetch_opt(
                sqlx::query("SELECT history_window_days FROM accounts WHERE id = $1")
                    .bind(account.to_string()),
            )
            .await?
            .ok_or(StoreError::NotFound)?;
        Ok(HistoryWindow::from_days(rows::int(
            &row,
            "history_window_days",
        )?))
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
        .map(rows::post)
        .transpose()
    }

    async fn comment_insert(
        &self,
        c: &CommentRecord,
        event: &EventRecord,
    ) -> StoreResult<CommentRecord> {
        let mut tx = self.begin().await?;
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
        let r = sqlx::query("UPDATE posts SET comment_count = comment_count + 1, last_activity_at = $1 WHERE id = $2 AND deleted_at IS NULL")
            .bind(c.created_at.millis())
            .bind(c.post_id.to_string())
            .execute(&mut *tx)
            .await
            .map_err(backend)?;
        if r.rows_affected() == 0 {
            return Err(StoreError::NotFound);
        }
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
            .map(rows::comment)
            .collect()
    }

    async fn reaction_set(
        &self,
        post: PostId,
        person: PersonId,
        kind: ReactionKind,
        on: bool,
        now: Timestamp,
    ) -> StoreResult<i64> {
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
        Ok(score)
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
        let standing = rows::streak(&row)?;
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
        .map(rows::streak)
        .collect()
    }

    async fn rooms_with_unread(
        &self,
        circle: CircleId,
        viewer: AccountId,
    ) -> StoreResult<Vec<(RoomRecord, i64)>> {
        let sql = "SELECT r.id, r.circle_id, r.name, r.is_default, r.created_at, \
                   (SELECT COUNT(*) FROM chat_messages m WHERE m.room_id = r.id AND m.author_account_id <> $2 \
                    AND m.id > COALESCE((SELECT cr.last_read_id FROM chat_reads cr WHERE cr.room_id = r.id AND cr.account_id = $2), '')) AS unread \
                   FROM chat_rooms r WHERE r.circle_id = $1 ORDER BY r.is_default DESC, r.id";
        self.fetch_all(
            sqlx::query(sql)
                .bind(circle.to_string())
                .bind(viewer.to_string()),
        )
        .await?
        .iter()
        .map(|r| Ok((rows::room(r)?, rows::int(r, "unread")?)))
        .collect()
    }

    async fn room_get(&self, circle: CircleId, room: RoomId) -> StoreResult<Option<RoomRecord>> {
        self.fetch_opt(
            sqlx::query("SELECT id, circle_id, name, is_default, created_at FROM chat_rooms WHERE circle_id = $1 AND id = $2")
                .bind(circle.to_string())
                .bind(room.to_string()),
        )
        .await?
        .as_ref()
        .map(rows::room)
        .transpose()
    }

    async fn room_circle(&self, room: RoomId) -> StoreResult<Option<CircleId>> {
        self.fetch_opt(
            sqlx::query("SELECT circle_id FROM chat_rooms WHERE id = $1").bind(room.to_string()),
        )
        .await?
        .as_ref()
        .map(|r| rows::id(r, "circle_id"))
        .transpose()
    }

    async fn message_insert(&self, m: &MessageRecord) -> StoreResult<()> {
        let mut tx = self.begin().await?;
        sqlx::query(
            "INSERT INTO chat_messages (id, room_id, author_account_id, author_person_id, body, reply_to, created_at, image_id) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        )
        .bind(m.id.to_string())
        .bind(m.room_id.to_string())
        .bind(m.author_account_id.to_string())
        .bind(m.author_person_id.to_string())
        .bind(m.body.clone())
        .bind(m.reply_to.map(|r| r.to_string()))
        .bind(m.created_at.millis())
        .bind(m.image_id.map(|i| i.to_string()))
        .execute(&mut *tx)
        .await
        .map_err(backend)?;
        sqlx::query(READ_MARK)
            .bind(m.room_id.to_string())
            .bind(m.author_account_id.to_string())
            .bind(m.id.to_string())
            .execute(&mut *tx)
            .await
            .map_err(backend)?;
        tx.commit().await.map_err(backend)
    }

    async fn message_get(&self, room: RoomId, id: MessageId) -> StoreResult<Option<MessageRecord>> {
        let sql = format!("{MESSAGE_SELECT} WHERE m.room_id = $1 AND m.id = $2");
        self.fetch_opt(
            sqlx::query(&sql)
                .bind(room.to_string())
                .bind(id.to_string()),
        )
        .await?
        .as_ref()
        .map(rows::message)
        .transpose()
    }

    async fn message_list(
        &self,
        room: RoomId,
        before: Option<MessageId>,
        limit: i64,
    ) -> StoreResult<Vec<MessageRecord>> {
        let cond = if before.is_some() {
            " AND m.id < $3"
        } else {
            ""
        };
        let sql =
            format!("{MESSAGE_SELECT} WHERE m.room_id = $1{cond} ORDER BY m.id DESC LIMIT $2");
        let mut q = sqlx::query(&sql).bind(room.to_string()).bind(limit);
        if let Some(b) = before {
            q = q.bind(b.to_string());
        }
        self.fetch_all(q).await?.iter().map(rows::message).collect()
    }

    async fn read_mark(
        &self,
        room: RoomId,
        account: AccountId,
        last: MessageId,
    ) -> StoreResult<()> {
        sqlx::query(READ_MARK)
            .bind(room.to_string())
            .bind(account.to_string())
            .bind(last.to_string())
            .execute(&self.write)
            .await
            .map_err(backend)?;
        Ok(())
    }

    async fn message_promote(
        &self,
        room: RoomId,
        message: MessageId,
        post: &PostRecord,
        event: &EventRecord,
    ) -> StoreResult<()> {
        let mut tx = self.begin().await?;
        insert_post(&mut tx, post).await?;
        sqlx::query("UPDATE posts SET source_message_id = $1 WHERE id = $2")
            .bind(message.to_string())
            .bind(post.id.to_string())
            .execute(&mut *tx)
            .await
            .map_err(backend)?;
        // Guarded: a message becomes a topic at most once, however many click at once.
        let r = sqlx::query("UPDATE chat_messages SET promoted_post_id = $1 WHERE id = $2 AND room_id = $3 AND promoted_post_id IS NULL")
            .bind(post.id.to_string())
            .bind(message.to_string())
            .bind(room.to_string())
            .execute(&mut *tx)
            .await
            .map_err(backend)?;
        if r.rows_affected() == 0 {
            return Err(StoreError::Conflict {
                constraint: "message_already_promoted".into(),
            });
        }
        Self::insert_event(&mut tx, event).await?;
        tx.commit().await.map_err(backend)
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
}

/// A query over [`VISIBLE_POSTS`] with its four leading parameters bound.
fn visible_query(
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

async fn insert_post(tx: &mut Tx, p: &PostRecord) -> StoreResult<()> {
    sqlx::query(
        "INSERT INTO posts (id, circle_id, org_id, author_account_id, author_person_id, kind, title, body, score, comment_count, hot_rank, \
         last_activity_at, created_at, pinned_at, hidden_at, task_state, audience, tags) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18)",
    )
    .bind(p.id.to_string())
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
    .execute(&mut **tx)
    .await
    .map_err(backend)?;
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

async fn insert_handle(tx: &mut Tx, org: OrgId, h: &HandleRecord) -> StoreResult<()> {
    sqlx::query("INSERT INTO handles (id, org_id, person_id, kind, value, verified, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7)")
        .bind(h.id.to_string())
        .bind(org.to_string())
        .bind(h.person_id.to_string())
        .bind(h.kind.as_str())
        .bind(h.value.clone())
        .bind(i64::from(h.verified))
        .bind(h.created_at.millis())
        .execute(&mut **tx)
        .await
        .map_err(backend)?;
    Ok(())
}

pub(crate) async fn insert_member(tx: &mut Tx, m: &CircleMemberRecord) -> StoreResult<()> {
    sqlx::query(
        "INSERT INTO circle_members (circle_id, account_id, person_id, role, status, is_member, is_customer, is_fan, role_seq, joined_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
    )
    .bind(m.circle_id.to_string())
    .bind(m.account_id.to_string())
    .bind(m.person_id.to_string())
    .bind(m.role.as_str())
    .bind(m.status.as_str())
    .bind(i64::from(m.is_member))
    .bind(i64::from(m.is_customer))
    .bind(i64::from(m.is_fan))
    .bind(m.role_since.millis())
    .bind(m.joined_at.millis())
    .execute(&mut **tx)
    .await
    .map_err(backend)?;
    if m.status == MemberStatus::Active {
        bump_member_count(tx, m.circle_id).await?;
    }
    Ok(())
}

pub(crate) async fn bump_member_count(tx: &mut Tx, circle: CircleId) -> StoreResult<()> {
    sqlx::query("UPDATE circles SET member_count = member_count + 1 WHERE id = $1")
        .bind(circle.to_string())
        .execute(&mut **tx)
        .await
        .map_err(backend)?;
    Ok(())
}
