//! Importing contacts: the request body is a CSV file (UTF-8; columns name, phone,
//! email, staff, tags). A file that cannot be read is refused whole; rows that
//! cannot import are listed by line and the rest import.

use crate::AppState;
use crate::error::{ApiError, ApiResult, Problem};
use crate::extract::OrgCtx;
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use quan_core::reach::import::{self, FileError, ImportReport};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(import_contacts))
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct RowErrorDto {
    /// The line in the file (the header is line 1).
    pub line: u64,
    pub code: String,
    pub message: String,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct ImportReportDto {
    pub rows: usize,
    pub persons_created: usize,
    pub contacts_added: usize,
    /// Rows whose contact existed already.
    pub unchanged: usize,
    pub errors: Vec<RowErrorDto>,
}

pub(crate) fn report_dto(r: &ImportReport) -> ImportReportDto {
    ImportReportDto {
        rows: r.rows,
        persons_created: r.persons_created,
        contacts_added: r.contacts_added,
        unchanged: r.unchanged,
        errors: r
            .errors
            .iter()
            .map(|e| RowErrorDto {
                line: e.line,
                code: e.code.to_owned(),
                message: e.message.clone(),
            })
            .collect(),
    }
}

/// A refused file as a problem with its own code.
pub(crate) fn file_problem(e: &FileError) -> ApiError {
    let code = match e {
        FileError::NotUtf8 => "csv_not_utf8",
        FileError::Empty => "csv_empty",
        FileError::TooLarge => "too_large",
        FileError::TooManyRows => "csv_too_many_rows",
        FileError::MissingColumns => "csv_missing_columns",
        FileError::UnknownColumn(_) => "csv_unknown_column",
        FileError::Malformed(..) => "csv_malformed",
    };
    let status = if matches!(e, FileError::TooLarge) {
        StatusCode::PAYLOAD_TOO_LARGE
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    ApiError::new(status, code, e.to_string())
}

/// Imports contacts from a CSV file (owners, admins, operators).
#[utoipa::path(post, path = "/api/v1/orgs/{org_id}/contacts/import", tag = "reach",
    request_body(content = String, content_type = "text/csv"),
    params(("org_id" = String, Path)), security(("bearer" = []), ("session" = [])),
    responses((status = 200, body = ImportReportDto), (status = 403, body = Problem), (status = 413, body = Problem), (status = 422, body = Problem)))]
pub async fn import_contacts(
    State(st): State<AppState>,
    ctx: OrgCtx,
    body: axum::body::Body,
) -> ApiResult<Json<ImportReportDto>> {
    let bytes = axum::body::to_bytes(body, import::MAX_BYTES)
        .await
        .map_err(|_| file_problem(&FileError::TooLarge))?;
    let rows = import::parse(&bytes).map_err(|e| file_problem(&e))?;
    let report = import::run(&st.svc, &ctx.access, &rows, &mut |_, _| {}).await?;
    Ok(Json(report_dto(&report)))
}
