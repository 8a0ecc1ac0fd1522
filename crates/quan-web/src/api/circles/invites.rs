//! Circle invite link endpoints: create, list, revoke, preview and accept.

use crate::AppState;
use crate::api::common::parse_id;
use crate::error::{ApiResult, Problem};
use crate::extract::{ApiJson, Auth};
use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use quan_core::CircleInviteRecord;
use quan_core::circles::invites;
use quan_core::circles::invites::NewCircleInvite;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(create_circle_invite, list_circle_invites))
        .routes(routes!(revoke_circle_invite))
        .routes(routes!(preview_circle_invite))
        .routes(routes!(accept_circle_invite))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateCircleInviteReq {
    /// The channel this link is for, e.g. "poster in the shop" (attribution).
    pub label: Option<String>,
    /// 1 to 10,000; default 100.
    pub max_uses: Option<i64>,
    /// 1 to 8,760; default 168 (a week).
    pub ttl_hours: Option<i64>,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct CircleInviteDto {
    pub id: String,
    pub circle_id: String,
    pub label: String,
    pub max_uses: i64,
    pub uses: i64,
    pub expires_at: i64,
    pub revoked: bool,
    pub created_at: i64,
}

impl From<&CircleInviteRecord> for CircleInviteDto {
    fn from(i: &CircleInviteRecord) -> Self {
        Self {
            id: i.id.to_string(),
            circle_id: i.circle_id.to_string(),
            label: i.label.clone(),
            max_uses: i.max_uses,
            uses: i.uses,
            expires_at: i.expires_at.millis(),
            revoked: i.revoked_at.is_some(),
            created_at: i.created_at.millis(),
        }
    }
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct CreatedCircleInviteDto {
    pub invite: CircleInviteDto,
    /// Shown once; only a digest is kept.
    pub code: String,
    /// The page that joins by this code: `/app/join/{code}`.
    pub path: String,
    /// The link to share, absolute (under `server.public_url` when set).
    pub url: String,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct CircleInvitePreviewDto {
    pub circle_id: String,
    pub name: String,
    pub description: String,
    pub mode: String,
    pub member_count: i64,
}

/// Creates an invite link (circle owners and admins; org owners and admins).
#[utoipa::path(post, path = "/api/v1/circles/{circle_id}/invites", tag = "circles", request_body = CreateCircleInviteReq,
    params(("circle_id" = String, Path)), security(("bearer" = []), ("session" = [])),
    responses((status = 201, body = CreatedCircleInviteDto), (status = 403, body = Problem), (status = 422, body = Problem)))]
pub async fn create_circle_invite(
    State(st): State<AppState>,
    Auth(actor): Auth,
    Path(id): Path<String>,
    headers: axum::http::HeaderMap,
    ApiJson(req): ApiJson<CreateCircleInviteReq>,
) -> ApiResult<(StatusCode, Json<CreatedCircleInviteDto>)> {
    let n = NewCircleInvite::parse(req.label.as_deref(), req.max_uses, req.ttl_hours)?;
    let (rec, code) = invites::create_invite(&st.svc, &actor, parse_id(&id)?, n).await?;
    let path = format!("/app/join/{code}");
    Ok((
        StatusCode::CREATED,
        Json(CreatedCircleInviteDto {
            invite: CircleInviteDto::from(&rec),
            url: st.absolute(&headers, &path),
            path,
            code,
        }),
    ))
}

#[utoipa::path(get, path = "/api/v1/circles/{circle_id}/invites", tag = "circles", params(("circle_id" = String, Path)),
    security(("bearer" = []), ("session" = [])), responses((status = 200, body = [CircleInviteDto]), (status = 403, body = Problem)))]
pub async fn list_circle_invites(
    State(st): State<AppState>,
    Auth(actor): Auth,
    Path(id): Path<String>,
) -> ApiResult<Json<Vec<CircleInviteDto>>> {
    let all = invites::list_invites(&st.svc, &actor, parse_id(&id)?).await?;
    Ok(Json(all.iter().map(CircleInviteDto::from).collect()))
}

#[utoipa::path(delete, path = "/api/v1/circles/{circle_id}/invites/{invite_id}", tag = "circles",
    params(("circle_id" = String, Path), ("invite_id" = String, Path)), security(("bearer" = []), ("session" = [])),
    responses((status = 204), (status = 404, body = Problem)))]
pub async fn revoke_circle_invite(
    State(st): State<AppState>,
    Auth(actor): Auth,
    Path(ids): Path<(String, String)>,
) -> ApiResult<StatusCode> {
    invites::revoke_invite(&st.svc, &actor, parse_id(&ids.0)?, parse_id(&ids.1)?).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// What an invite code leads to (no sign-in needed: the code is the capability).
#[utoipa::path(get, path = "/api/v1/circle-invites/{code}", tag = "circles", params(("code" = String, Path)),
    responses((status = 200, body = CircleInvitePreviewDto), (status = 404, body = Problem)))]
pub async fn preview_circle_invite(
    State(st): State<AppState>,
    Path(code): Path<String>,
) -> ApiResult<Json<CircleInvitePreviewDto>> {
    let (c, _) = invites::preview_invite(&st.svc, &code).await?;
    Ok(Json(CircleInvitePreviewDto {
        circle_id: c.id.to_string(),
        name: c.name,
        description: c.description,
        mode: c.mode.as_str().into(),
        member_count: c.member_count,
    }))
}

/// Joins the circle by an invite code (signed-in users; not API tokens).
#[utoipa::path(post, path = "/api/v1/circle-invites/{code}/accept", tag = "circles", params(("code" = String, Path)),
    security(("session" = [])),
    responses((status = 200, body = CircleInvitePreviewDto), (status = 403, body = Problem), (status = 404, body = Problem), (status = 409, body = Problem)))]
pub async fn accept_circle_invite(
    State(st): State<AppState>,
    Auth(actor): Auth,
    Path(code): Path<String>,
) -> ApiResult<Json<CircleInvitePreviewDto>> {
    let c = invites::accept_invite(&st.svc, &actor, &code).await?;
    Ok(Json(CircleInvitePreviewDto {
        circle_id: c.id.to_string(),
        name: c.name,
        description: c.description,
        mode: c.mode.as_str().into(),
        member_count: c.member_count + 1,
    }))
}
