//! Rows of persons' tables as records: persons and their handles.

use crate::rows::{id, int, opt_id, parsed, text, ts};
use quan_core::{HandleRecord, PersonRecord, StoreResult};
use quan_domain::{HandleKind, LifecycleStage};
use sqlx::any::AnyRow;

pub(crate) fn handle(row: &AnyRow) -> StoreResult<HandleRecord> {
    Ok(HandleRecord {
        id: id(row, "id")?,
        person_id: id(row, "person_id")?,
        kind: parsed(row, "kind", HandleKind::parse)?,
        value: text(row, "value")?,
        verified: int(row, "verified")? != 0,
        created_at: ts(row, "created_at")?,
    })
}

pub(crate) fn person(row: &AnyRow) -> StoreResult<PersonRecord> {
    Ok(PersonRecord {
        id: id(row, "id")?,
        org_id: id(row, "org_id")?,
        display_name: text(row, "display_name")?,
        account_id: opt_id(row, "account_id")?,
        stage: parsed(row, "stage", LifecycleStage::parse)?,
        verified: int(row, "verified")? != 0,
        created_at: ts(row, "created_at")?,
        handles: Vec::new(),
        merged_into: opt_id(row, "merged_into")?,
    })
}
