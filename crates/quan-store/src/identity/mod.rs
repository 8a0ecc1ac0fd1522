//! `IdentityStore` for `SqlStore`: accounts, sessions, orgs, staff (an org keeps an
//! owner: the org row is locked while owners are counted), org invites, API tokens.

pub(crate) mod decode;

use crate::identity::decode as identity_rows;
use crate::rows::{self, backend};
use crate::store::SqlStore;
use async_trait::async_trait;
use quan_core::{
    AccountRecord, EventRecord, IdentityStore, InviteOutcome, InviteRecord, OrgRecord, Page,
    PageRequest, SessionRecord, StaffChange, StaffRecord, StoreError, StoreResult, TokenRecord,
    constraints,
};
use quan_domain::{AccountId, InviteId, Login, OrgId, Role, SessionId, Timestamp, TokenId};

pub(crate) const ACCOUNT_COLS: &str = "id, email, phone, display_name, password_hash, created_at";

pub(crate) const STAFF_SELECT: &str = "SELECT s.org_id, s.account_id, s.role, s.joined_at, a.display_name, a.email, a.phone \
     FROM staff s JOIN accounts a ON a.id = s.account_id";

pub(crate) const INVITE_COLS: &str =
    "id, org_id, role, code_hash, created_by, created_at, expires_at, max_uses, uses, revoked_at";

pub(crate) const TOKEN_COLS: &str =
    "id, org_id, account_id, name, scopes, token_hash, prefix, created_at, expires_at, revoked_at";

#[async_trait]
impl IdentityStore for SqlStore {
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
            .map(identity_rows::account)
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
            .map(identity_rows::account)
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
        let account = identity_rows::account(&row)?;
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
        .map(identity_rows::org)
        .transpose()
    }

    async fn orgs_of_account(&self, account: AccountId) -> StoreResult<Vec<(OrgRecord, Role)>> {
        let sql = "SELECT o.id, o.name, o.created_at, s.role FROM staff s JOIN orgs o ON o.id = s.org_id \
                   WHERE s.account_id = $1 ORDER BY o.id";
        self.fetch_all(sqlx::query(sql).bind(account.to_string()))
            .await?
            .iter()
            .map(|r| Ok((identity_rows::org(r)?, identity_rows::role(r)?)))
            .collect()
    }

    async fn org_list_all(&self) -> StoreResult<Vec<(OrgRecord, i64)>> {
        let sql = "SELECT o.id, o.name, o.created_at, \
                   (SELECT COUNT(*) FROM staff s WHERE s.org_id = o.id) AS staff_count \
                   FROM orgs o ORDER BY o.id";
        self.fetch_all(sqlx::query(sql))
            .await?
            .iter()
            .map(|r| Ok((identity_rows::org(r)?, rows::int(r, "staff_count")?)))
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
        .map(identity_rows::staff)
        .transpose()
    }

    async fn staff_list(&self, org: OrgId, page: &PageRequest) -> StoreResult<Page<StaffRecord>> {
        let sql = format!("{STAFF_SELECT} WHERE s.org_id = $1");
        self.keyset_page(
            &sql,
            &[org.to_string()],
            ("s.account_id", false),
            page,
            identity_rows::staff,
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
            .map(identity_rows::invite)
            .collect()
    }

    async fn invite_by_code_hash(&self, code_hash: &str) -> StoreResult<Option<InviteRecord>> {
        let sql = format!("SELECT {INVITE_COLS} FROM invites WHERE code_hash = $1");
        self.fetch_opt(sqlx::query(&sql).bind(code_hash.to_owned()))
            .await?
            .as_ref()
            .map(identity_rows::invite)
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
            .map(identity_rows::invite)
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
            .map(identity_rows::token)
            .collect()
    }

    async fn token_by_hash(&self, token_hash: &str) -> StoreResult<Option<TokenRecord>> {
        let sql = format!("SELECT {TOKEN_COLS} FROM api_tokens WHERE token_hash = $1");
        self.fetch_opt(sqlx::query(&sql).bind(token_hash.to_owned()))
            .await?
            .as_ref()
            .map(identity_rows::token)
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
}
