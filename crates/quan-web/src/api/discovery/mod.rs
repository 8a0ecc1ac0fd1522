//! Discovery endpoints: the discover list, the boost log, the staff review gate.

use crate::AppState;
use crate::api::common::parse_id;
use crate::error::{ApiResult, Problem};
use crate::extract::{ApiJson, ApiQuery, Auth, OrgCtx};
use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(discover))
        .routes(routes!(boost_log))
        .routes(routes!(request_boost))
        .routes(routes!(decide_boost))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct DiscoverQuery {
    /// Only circles with this tag.
    pub tag: Option<String>,
}

/// Public circles: boosted (staff-approved) first, then by quality.
#[utoipa::path(get, path = "/api/v1/discover", tag = "circles", params(DiscoverQuery), security(("bearer" = []), ("session" = [])),
    responses((status = 200, body = [crate::api::circles::CircleDto]), (status = 422, body = Problem)))]
pub async fn discover(
    State(st): State<AppState>,
    Auth(actor): Auth,
    ApiQuery(q): ApiQuery<DiscoverQuery>,
) -> ApiResult<Json<Vec<crate::api::circles::CircleDto>>> {
    let all = quan_core::discovery::discover(&st.svc, &actor, q.tag.as_deref()).await?;
    Ok(Json(
        all.iter()
            .map(|c| crate::api::circles::circle_dto(c, None))
            .collect(),
    ))
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct BoostLogDto {
    pub circle_id: String,
    pub circle_name: String,
    /// requested, approved, rejected or withdrawn.
    pub action: String,
    pub reason: String,
    pub at: i64,
}

/// The public log of boost requests and decisions, newest first.
#[utoipa::path(get, path = "/api/v1/discover/log", tag = "circles", security(("bearer" = []), ("session" = [])),
    responses((status = 200, body = [BoostLogDto])))]
pub async fn boost_log(
    State(st): State<AppState>,
    Auth(actor): Auth,
) -> ApiResult<Json<Vec<BoostLogDto>>> {
    let all = quan_core::discovery::log(&st.svc, &actor).await?;
    Ok(Json(
        all.iter()
            .map(|l| BoostLogDto {
                circle_id: l.circle_id.to_string(),
                circle_name: l.circle_name.clone(),
                action: l.action.clone(),
                reason: l.reason.clone(),
                at: l.at.millis(),
            })
            .collect(),
    ))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct BoostRequestReq {
    pub reason: Option<String>,
}

/// A circle's admins ask the org's staff to boost it in discovery.
#[utoipa::path(post, path = "/api/v1/circles/{circle_id}/boost-request", tag = "circles", request_body = BoostRequestReq,
    params(("circle_id" = String, Path)), security(("bearer" = []), ("session" = [])),
    responses((status = 204), (status = 403, body = Problem), (status = 409, body = Problem), (status = 422, body = Problem)))]
pub async fn request_boost(
    State(st): State<AppState>,
    Auth(actor): Auth,
    Path(id): Path<String>,
    ApiJson(req): ApiJson<BoostRequestReq>,
) -> ApiResult<StatusCode> {
    quan_core::discovery::request(
        &st.svc,
        &actor,
        parse_id(&id)?,
        req.reason.as_deref().unwrap_or(""),
    )
    .await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct BoostDecisionReq {
    /// approved, rejected, or none (withdraw a boost).
    pub decision: String,
    pub reason: Option<String>,
}

/// The org's owners and admins decide a boost request (logged publicly).
#[utoipa::path(post, path = "/api/v1/orgs/{org_id}/boosts/{circle_id}", tag = "circles", request_body = BoostDecisionReq,
    params(("org_id" = String, Path), ("circle_id" = String, Path)), security(("bearer" = []), ("session" = [])),
    responses((status = 204), (status = 403, body = Problem), (status = 404, body = Problem), (status = 409, body = Problem)))]
pub async fn decide_boost(
    State(st): State<AppState>,
    ctx: OrgCtx,
    Path(ids): Path<(String, String)>,
    ApiJson(req): ApiJson<BoostDecisionReq>,
) -> ApiResult<StatusCode> {
    let to = quan_domain::BoostStatus::parse(&req.decision)?;
    quan_core::discovery::decide(
        &st.svc,
        &ctx.access,
        parse_id(&ids.1)?,
        to,
        req.reason.as_deref().unwrap_or(""),
    )
    .await?;
    Ok(StatusCode::NO_CONTENT)
}

// ---------------------------------------------------------------------------------
// Circle administration
