//! The identity capability's store port: accounts, sessions, orgs, staff, org invite
//! links and API tokens, with the records they read and write.

use crate::events::port::EventRecord;
use crate::page::{Page, PageRequest};
use crate::ports::StoreResult;
use async_trait::async_trait;
use quan_domain::{AccountId, InviteId, Login, OrgId, Role, Scopes, SessionId, Timestamp, TokenId};

#[derive(Debug, Clone)]
pub struct AccountRecord {
    pub id: AccountId,
    pub email: Option<String>,
    pub phone: Option<String>,
    pub display_name: String,
    pub password_hash: String,
    pub created_at: Timestamp,
}

#[derive(Debug, Clone)]
pub struct SessionRecord {
    pub id: SessionId,
    pub account_id: AccountId,
    pub token_hash: String,
    pub created_at: Timestamp,
    pub expires_at: Timestamp,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OrgRecord {
    pub id: OrgId,
    pub name: String,
    pub created_at: Timestamp,
}

/// A staff member as listed in the console: the staff row joined with the account.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StaffRecord {
    pub org_id: OrgId,
    pub account_id: AccountId,
    pub role: Role,
    pub display_name: String,
    pub email: Option<String>,
    pub phone: Option<String>,
    pub joined_at: Timestamp,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InviteRecord {
    pub id: InviteId,
    pub org_id: OrgId,
    pub role: Role,
    pub code_hash: String,
    pub created_by: AccountId,
    pub created_at: Timestamp,
    pub expires_at: Timestamp,
    pub max_uses: i64,
    pub uses: i64,
    pub revoked_at: Option<Timestamp>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TokenRecord {
    pub id: TokenId,
    pub org_id: OrgId,
    pub account_id: AccountId,
    pub name: String,
    pub scopes: Scopes,
    pub token_hash: String,
    /// The first characters of the secret, shown so people can tell tokens apart.
    pub prefix: String,
    pub created_at: Timestamp,
    pub expires_at: Option<Timestamp>,
    pub revoked_at: Option<Timestamp>,
}

/// Outcome of a staff change that must keep at least one owner.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StaffChange {
    Done,
    LastOwner,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum InviteOutcome {
    Joined {
        org: OrgId,
        role: Role,
    },
    AlreadyStaff {
        org: OrgId,
    },
    /// Unknown, revoked, expired or used up: all look the same to the invitee.
    Invalid,
}

/// What the store does for accounts, sessions, orgs, staff, org invites and API tokens.
#[async_trait]
pub trait IdentityStore: Send + Sync {
    async fn account_insert(&self, a: &AccountRecord) -> StoreResult<()>;
    async fn account_get(&self, id: AccountId) -> StoreResult<Option<AccountRecord>>;
    async fn account_by_login(&self, login: &Login) -> StoreResult<Option<AccountRecord>>;
    async fn account_set_password(&self, id: AccountId, hash: &str) -> StoreResult<()>;
    async fn session_insert(&self, s: &SessionRecord) -> StoreResult<()>;
    /// The live session with this token digest and its account.
    async fn session_find(
        &self,
        token_hash: &str,
        now: Timestamp,
    ) -> StoreResult<Option<(SessionRecord, AccountRecord)>>;
    async fn session_delete(&self, token_hash: &str) -> StoreResult<()>;
    /// Ends every session of an account but one (after a password change).
    async fn session_delete_others(
        &self,
        account: AccountId,
        keep: Option<SessionId>,
    ) -> StoreResult<u64>;
    /// Creates an org with `owner` as its first owner.
    async fn org_create(
        &self,
        org: &OrgRecord,
        owner: AccountId,
        event: &EventRecord,
    ) -> StoreResult<()>;
    async fn org_get(&self, org: OrgId) -> StoreResult<Option<OrgRecord>>;
    /// The orgs an account is staff of, with its role in each, oldest first.
    async fn orgs_of_account(&self, account: AccountId) -> StoreResult<Vec<(OrgRecord, Role)>>;
    /// Every org on the instance (the operator's `quan admin list-orgs`).
    async fn org_list_all(&self) -> StoreResult<Vec<(OrgRecord, i64)>>;
    async fn staff_get(&self, org: OrgId, account: AccountId) -> StoreResult<Option<StaffRecord>>;
    async fn staff_list(&self, org: OrgId, page: &PageRequest) -> StoreResult<Page<StaffRecord>>;
    /// Sets a staff member's role unless that would leave the org without an owner.
    /// Returns NotFound when the account is not staff of the org.
    async fn staff_set_role(
        &self,
        org: OrgId,
        account: AccountId,
        role: Role,
        event: &EventRecord,
    ) -> StoreResult<StaffChange>;
    /// Removes a staff member unless they are the last owner.
    async fn staff_remove(
        &self,
        org: OrgId,
        account: AccountId,
        event: &EventRecord,
    ) -> StoreResult<StaffChange>;
    async fn invite_insert(&self, inv: &InviteRecord, event: &EventRecord) -> StoreResult<()>;
    async fn invite_list(&self, org: OrgId, now: Timestamp) -> StoreResult<Vec<InviteRecord>>;
    async fn invite_by_code_hash(&self, code_hash: &str) -> StoreResult<Option<InviteRecord>>;
    async fn invite_revoke(
        &self,
        org: OrgId,
        id: InviteId,
        now: Timestamp,
        event: &EventRecord,
    ) -> StoreResult<bool>;
    /// Uses one of the invite's uses and adds the account as staff, atomically: the
    /// use count never exceeds `max_uses`, however many accept at once.
    async fn invite_accept(
        &self,
        code_hash: &str,
        account: AccountId,
        now: Timestamp,
        event: &EventRecord,
    ) -> StoreResult<InviteOutcome>;
    async fn token_insert(&self, t: &TokenRecord, event: &EventRecord) -> StoreResult<()>;
    async fn token_list(&self, org: OrgId) -> StoreResult<Vec<TokenRecord>>;
    async fn token_by_hash(&self, token_hash: &str) -> StoreResult<Option<TokenRecord>>;
    async fn token_revoke(
        &self,
        org: OrgId,
        id: TokenId,
        now: Timestamp,
        event: &EventRecord,
    ) -> StoreResult<bool>;
}
