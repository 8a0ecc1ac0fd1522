//! Rows of identity's tables as records: accounts, orgs, staff, org invites, tokens.

use crate::rows::{id, int, opt_text, opt_ts, parsed, text, ts};
use quan_core::{AccountRecord, InviteRecord, OrgRecord, StaffRecord, StoreResult, TokenRecord};
use quan_domain::{Role, Scopes};
use sqlx::any::AnyRow;

pub(crate) fn account(row: &AnyRow) -> StoreResult<AccountRecord> {
    Ok(AccountRecord {
        id: id(row, "id")?,
        email: opt_text(row, "email")?,
        phone: opt_text(row, "phone")?,
        display_name: text(row, "display_name")?,
        password_hash: text(row, "password_hash")?,
        created_at: ts(row, "created_at")?,
    })
}

pub(crate) fn org(row: &AnyRow) -> StoreResult<OrgRecord> {
    Ok(OrgRecord {
        id: id(row, "id")?,
        name: text(row, "name")?,
        created_at: ts(row, "created_at")?,
    })
}

pub(crate) fn role(row: &AnyRow) -> StoreResult<Role> {
    parsed(row, "role", Role::parse)
}

pub(crate) fn staff(row: &AnyRow) -> StoreResult<StaffRecord> {
    Ok(StaffRecord {
        org_id: id(row, "org_id")?,
        account_id: id(row, "account_id")?,
        role: role(row)?,
        display_name: text(row, "display_name")?,
        email: opt_text(row, "email")?,
        phone: opt_text(row, "phone")?,
        joined_at: ts(row, "joined_at")?,
    })
}

pub(crate) fn invite(row: &AnyRow) -> StoreResult<InviteRecord> {
    Ok(InviteRecord {
        id: id(row, "id")?,
        org_id: id(row, "org_id")?,
        role: role(row)?,
        code_hash: text(row, "code_hash")?,
        created_by: id(row, "created_by")?,
        created_at: ts(row, "created_at")?,
        expires_at: ts(row, "expires_at")?,
        max_uses: int(row, "max_uses")?,
        uses: int(row, "uses")?,
        revoked_at: opt_ts(row, "revoked_at")?,
    })
}

pub(crate) fn token(row: &AnyRow) -> StoreResult<TokenRecord> {
    Ok(TokenRecord {
        id: id(row, "id")?,
        org_id: id(row, "org_id")?,
        account_id: id(row, "account_id")?,
        name: text(row, "name")?,
        scopes: parsed(row, "scopes", Scopes::parse)?,
        token_hash: text(row, "token_hash")?,
        prefix: text(row, "prefix")?,
        created_at: ts(row, "created_at")?,
        expires_at: opt_ts(row, "expires_at")?,
        revoked_at: opt_ts(row, "revoked_at")?,
    })
}
