//! Reading columns (text, integers, times, ids, parsed values) and turning database
//! errors into `StoreError`s, for every capability's row decoders (each in its
//! capability's `rows.rs`: `circles/rows.rs`, `identity/rows.rs`, …).

use quan_core::{StoreError, StoreResult, constraints};
use quan_domain::{ParseError, Timestamp};
use sqlx::Row;
use sqlx::any::AnyRow;
use std::str::FromStr;

pub(crate) fn backend(e: sqlx::Error) -> StoreError {
    if let sqlx::Error::Database(db) = &e
        && matches!(
            db.kind(),
            sqlx::error::ErrorKind::UniqueViolation | sqlx::error::ErrorKind::ForeignKeyViolation
        )
    {
        let constraint = db
            .constraint()
            .map(str::to_owned)
            .or_else(|| sqlite_constraint(db.message()).map(str::to_owned))
            .unwrap_or_else(|| db.message().to_owned());
        return StoreError::Conflict { constraint };
    }
    if matches!(e, sqlx::Error::RowNotFound) {
        return StoreError::NotFound;
    }
    StoreError::Backend(Box::new(e))
}

/// SQLite names the columns of a failed uniqueness rule, not the index; this maps
/// them to the index names PostgreSQL reports, so both backends agree.
fn sqlite_constraint(message: &str) -> Option<&'static str> {
    let cols = message.strip_prefix("UNIQUE constraint failed: ")?;
    Some(match cols {
        "accounts.email" => constraints::ACCOUNT_EMAIL,
        "accounts.phone" => constraints::ACCOUNT_PHONE,
        "staff.org_id, staff.account_id" => constraints::STAFF_PK,
        "handles.org_id, handles.kind, handles.value" => constraints::HANDLE_UNIQUE,
        "persons.org_id, persons.account_id" => "persons_org_account_key",
        "jobs.dedupe_key" => "jobs_dedupe_key",
        "circle_members.circle_id, circle_members.account_id" => constraints::CIRCLE_MEMBER_PK,
        "reports.post_id, reports.account_id" => constraints::REPORT_ONCE,
        "transfers.person_id" => "transfers_pending_person_key",
        "person_tags.person_id, person_tags.tag" => constraints::PERSON_TAG_PK,
        _ => return None,
    })
}

pub(crate) fn corrupt(col: &str, e: impl std::fmt::Display) -> StoreError {
    StoreError::Corrupt(format!("{col}: {e}"))
}

pub(crate) fn text(row: &AnyRow, col: &str) -> StoreResult<String> {
    row.try_get::<String, _>(col).map_err(backend)
}

pub(crate) fn opt_text(row: &AnyRow, col: &str) -> StoreResult<Option<String>> {
    row.try_get::<Option<String>, _>(col).map_err(backend)
}

pub(crate) fn int(row: &AnyRow, col: &str) -> StoreResult<i64> {
    row.try_get::<i64, _>(col).map_err(backend)
}

pub(crate) fn opt_int(row: &AnyRow, col: &str) -> StoreResult<Option<i64>> {
    row.try_get::<Option<i64>, _>(col).map_err(backend)
}

pub(crate) fn ts(row: &AnyRow, col: &str) -> StoreResult<Timestamp> {
    int(row, col).map(Timestamp::from_millis)
}

pub(crate) fn opt_ts(row: &AnyRow, col: &str) -> StoreResult<Option<Timestamp>> {
    row.try_get::<Option<i64>, _>(col)
        .map(|v| v.map(Timestamp::from_millis))
        .map_err(backend)
}

pub(crate) fn id<T: FromStr<Err = ParseError>>(row: &AnyRow, col: &str) -> StoreResult<T> {
    let s = text(row, col)?;
    T::from_str(&s).map_err(|e| corrupt(col, e))
}

pub(crate) fn opt_id<T: FromStr<Err = ParseError>>(
    row: &AnyRow,
    col: &str,
) -> StoreResult<Option<T>> {
    opt_text(row, col)?
        .map(|s| T::from_str(&s).map_err(|e| corrupt(col, e)))
        .transpose()
}

pub(crate) fn parsed<T>(
    row: &AnyRow,
    col: &str,
    f: impl Fn(&str) -> Result<T, ParseError>,
) -> StoreResult<T> {
    let s = text(row, col)?;
    f(&s).map_err(|e| corrupt(col, e))
}

pub(crate) fn flag(row: &AnyRow, col: &str) -> StoreResult<bool> {
    int(row, col).map(|v| v != 0)
}
