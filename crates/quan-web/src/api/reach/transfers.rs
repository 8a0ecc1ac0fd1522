//! Customer inheritance: preview and start a batch (owners, admins), the org's
//! transfers, and the customer's pending ones with refusal.

use super::{ContactDto, contact_dto};
use crate::AppState;
use crate::api::common::{PageQuery, parse_id};
use crate::error::{ApiError, ApiResult, Problem};
use crate::extract::{ApiJson, ApiQuery, Auth, OrgCtx};
use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use quan_core::TransferRecord;
use quan_core::reach::transfers::{self, NewTransfer, PreviewRow};
use quan_domain::{AccountId, ContactId, TRANSFER_BATCH_MAX, TransferKind, TransferState};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(preview_transfer))
        .routes(routes!(list_transfers, create_transfer))
        .routes(routes!(my_transfers))
        .routes(routes!(refuse_transfer))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TransferReq {
    /// resigned (the staff member leaves) or on_job.
    pub kind: String,
    /// The staff member whose customers move.
    pub from_staff: String,
    /// Their contacts to move: 1 to 100.
    pub contacts: Vec<String>,
    /// Receivers, dealt in turn.
    pub receivers: Vec<String>,
    /// To the customer: at most 200 characters.
    #[serde(default)]
    pub message: String,
    /// Handover notes for the receiver.
    #[serde(default)]
    pub note: String,
}

impl TransferReq {
    fn parse(self) -> ApiResult<NewTransfer> {
        if self.contacts.len() > TRANSFER_BATCH_MAX || self.receivers.len() > 50 {
            return Err(ApiError::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "invalid_batch",
                "at most 100 customers and 50 receivers",
            ));
        }
        Ok(NewTransfer {
            kind: TransferKind::parse(&self.kind)?,
            from: parse_id(&self.from_staff)?,
            contacts: self
                .contacts
                .iter()
                .map(|c| parse_id::<ContactId>(c))
                .collect::<ApiResult<_>>()?,
            receivers: self
                .receivers
                .iter()
                .map(|r| parse_id::<AccountId>(r))
                .collect::<ApiResult<_>>()?,
            message: self.message,
            note: self.note,
        })
    }
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct PreviewRowDto {
    pub contact: ContactDto,
    /// Who would receive them.
    pub to: Option<String>,
    /// Why they cannot move: too_many_transfers, transfer_pending, receiver_at_cap, not_theirs.
    pub refusal: Option<String>,
}

fn row_dto(r: &PreviewRow) -> PreviewRowDto {
    PreviewRowDto {
        contact: contact_dto(&r.contact),
        to: r.to.map(|a| a.to_string()),
        refusal: r.refusal.map(str::to_owned),
    }
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct TransferDto {
    pub id: String,
    pub batch: String,
    pub person_id: String,
    pub person_name: String,
    pub from_staff: String,
    pub from_name: String,
    pub to_staff: String,
    pub to_name: String,
    pub kind: String,
    pub message: String,
    pub note: String,
    /// pending, completed, refused or failed.
    pub state: String,
    /// Why it failed (receiver_at_cap).
    pub reason: Option<String>,
    pub created_at: i64,
    /// When it completes unless the customer refuses first.
    pub due_at: i64,
}

pub(crate) fn transfer_dto(t: &TransferRecord) -> TransferDto {
    TransferDto {
        id: t.id.to_string(),
        batch: t.batch.to_string(),
        person_id: t.person_id.to_string(),
        person_name: t.person_name.clone(),
        from_staff: t.from_staff.to_string(),
        from_name: t.from_name.clone(),
        to_staff: t.to_staff.to_string(),
        to_name: t.to_name.clone(),
        kind: t.kind.as_str().to_owned(),
        message: t.message.clone(),
        note: t.note.clone(),
        state: t.state.as_str().to_owned(),
        reason: match &t.state {
            TransferState::Failed(r) => Some(r.clone()),
            _ => None,
        },
        created_at: t.created_at.millis(),
        due_at: t.due_at.millis(),
    }
}

/// Who would go to whom, and who cannot move and why; nothing changes.
#[utoipa::path(post, path = "/api/v1/orgs/{org_id}/transfers/preview", tag = "reach", request_body = TransferReq,
    params(("org_id" = String, Path)), security(("bearer" = []), ("session" = [])),
    responses((status = 200, body = [PreviewRowDto]), (status = 403, body = Problem), (status = 404, body = Problem), (status = 422, body = Problem)))]
pub async fn preview_transfer(
    State(st): State<AppState>,
    ctx: OrgCtx,
    ApiJson(req): ApiJson<TransferReq>,
) -> ApiResult<Json<Vec<PreviewRowDto>>> {
    let rows = transfers::preview(&st.svc, &ctx.access, &req.parse()?).await?;
    Ok(Json(rows.iter().map(row_dto).collect()))
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct BatchDto {
    /// Every customer asked for, with who receives them or why they cannot move.
    pub rows: Vec<PreviewRowDto>,
    /// The transfers started.
    pub transfers: Vec<TransferDto>,
}

/// Starts a batch: each customer who can move is told and has 24 h to refuse.
#[utoipa::path(post, path = "/api/v1/orgs/{org_id}/transfers", tag = "reach", request_body = TransferReq,
    params(("org_id" = String, Path)), security(("bearer" = []), ("session" = [])),
    responses((status = 201, body = BatchDto), (status = 403, body = Problem), (status = 404, body = Problem), (status = 422, body = Problem)))]
pub async fn create_transfer(
    State(st): State<AppState>,
    ctx: OrgCtx,
    ApiJson(req): ApiJson<TransferReq>,
) -> ApiResult<(StatusCode, Json<BatchDto>)> {
    let (rows, made) = transfers::create(&st.svc, &ctx.access, req.parse()?).await?;
    Ok((
        StatusCode::CREATED,
        Json(BatchDto {
            rows: rows.iter().map(row_dto).collect(),
            transfers: made.iter().map(transfer_dto).collect(),
        }),
    ))
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct TransferPageDto {
    pub items: Vec<TransferDto>,
    pub next: Option<String>,
}

/// The org's transfers, newest first.
#[utoipa::path(get, path = "/api/v1/orgs/{org_id}/transfers", tag = "reach",
    params(("org_id" = String, Path), PageQuery), security(("bearer" = []), ("session" = [])),
    responses((status = 200, body = TransferPageDto), (status = 403, body = Problem)))]
pub async fn list_transfers(
    State(st): State<AppState>,
    ctx: OrgCtx,
    ApiQuery(q): ApiQuery<PageQuery>,
) -> ApiResult<Json<TransferPageDto>> {
    let p = transfers::list(&st.svc, &ctx.access, &q.into_request()?).await?;
    Ok(Json(TransferPageDto {
        items: p.items.iter().map(transfer_dto).collect(),
        next: p.next,
    }))
}

/// The caller's pending transfers, as a customer.
#[utoipa::path(get, path = "/api/v1/me/transfers", tag = "reach", security(("bearer" = []), ("session" = [])),
    responses((status = 200, body = [TransferDto])))]
pub async fn my_transfers(
    State(st): State<AppState>,
    Auth(actor): Auth,
) -> ApiResult<Json<Vec<TransferDto>>> {
    let all = transfers::mine(&st.svc, &actor).await?;
    Ok(Json(all.iter().map(transfer_dto).collect()))
}

/// The customer refuses a pending transfer (within 24 h of its start).
#[utoipa::path(post, path = "/api/v1/me/transfers/{transfer_id}/refuse", tag = "reach",
    params(("transfer_id" = String, Path)), security(("bearer" = []), ("session" = [])),
    responses((status = 200, body = TransferDto), (status = 404, body = Problem), (status = 409, body = Problem), (status = 422, body = Problem)))]
pub async fn refuse_transfer(
    State(st): State<AppState>,
    Auth(actor): Auth,
    Path(id): Path<String>,
) -> ApiResult<Json<TransferDto>> {
    let t = transfers::refuse(&st.svc, &actor, parse_id(&id)?).await?;
    Ok(Json(transfer_dto(&t)))
}
