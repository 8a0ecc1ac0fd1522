//! The org's reach webhook: where campaigns that choose the `webhook` channel are
//! posted, signed by the Standard Webhooks scheme with the secret shown here.

use crate::AppState;
use crate::error::{ApiResult, Problem};
use crate::extract::{ApiJson, OrgCtx};
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use quan_core::EndpointRecord;
use quan_core::reach::delivery;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(get_endpoint, put_endpoint, delete_endpoint))
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct EndpointDto {
    pub url: String,
    /// `whsec_…`: verify `webhook-signature` with it (any Standard Webhooks library).
    pub secret: String,
    pub created_at: i64,
}

fn dto(e: &EndpointRecord) -> EndpointDto {
    EndpointDto {
        url: e.url.clone(),
        secret: e.secret.clone(),
        created_at: e.created_at.millis(),
    }
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct EndpointReq {
    /// An http(s) address that answers 2xx to a delivered message.
    pub url: String,
    /// A new signing secret (the old one stops verifying at once).
    #[serde(default)]
    pub rotate_secret: bool,
}

/// The org's reach webhook, for its owner and admins.
#[utoipa::path(get, path = "/api/v1/orgs/{org_id}/reach-webhook", tag = "reach",
    params(("org_id" = String, Path)), security(("bearer" = []), ("session" = [])),
    responses((status = 200, body = EndpointDto), (status = 403, body = Problem), (status = 404, body = Problem)))]
pub async fn get_endpoint(State(st): State<AppState>, ctx: OrgCtx) -> ApiResult<Json<EndpointDto>> {
    let e = delivery::endpoint(&st.svc, &ctx.access)
        .await?
        .ok_or_else(crate::error::ApiError::not_found)?;
    Ok(Json(dto(&e)))
}

/// Sets the org's reach webhook (a signing secret is made the first time).
#[utoipa::path(put, path = "/api/v1/orgs/{org_id}/reach-webhook", tag = "reach", request_body = EndpointReq,
    params(("org_id" = String, Path)), security(("bearer" = []), ("session" = [])),
    responses((status = 200, body = EndpointDto), (status = 403, body = Problem), (status = 422, body = Problem)))]
pub async fn put_endpoint(
    State(st): State<AppState>,
    ctx: OrgCtx,
    ApiJson(req): ApiJson<EndpointReq>,
) -> ApiResult<Json<EndpointDto>> {
    let e = delivery::set_endpoint(&st.svc, &ctx.access, &req.url, req.rotate_secret).await?;
    Ok(Json(dto(&e)))
}

/// Removes the org's reach webhook; pending webhook deliveries then fail.
#[utoipa::path(delete, path = "/api/v1/orgs/{org_id}/reach-webhook", tag = "reach",
    params(("org_id" = String, Path)), security(("bearer" = []), ("session" = [])),
    responses((status = 204), (status = 403, body = Problem), (status = 404, body = Problem)))]
pub async fn delete_endpoint(State(st): State<AppState>, ctx: OrgCtx) -> ApiResult<StatusCode> {
    delivery::delete_endpoint(&st.svc, &ctx.access).await?;
    Ok(StatusCode::NO_CONTENT)
}
