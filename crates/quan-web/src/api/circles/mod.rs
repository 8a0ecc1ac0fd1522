//! Circles endpoints: circles, joining, members and join requests; posts, the feed,
//! the board, invite links, images and administration are the submodules.

pub mod admin;
pub mod board;
pub mod feed;
pub mod images;
pub mod invites;
pub mod posts;

use crate::AppState;
use crate::api::common::{PageQuery, parse_id};
use crate::error::{ApiError, ApiResult, Problem};
use crate::extract::{ApiJson, ApiQuery, Auth, OrgCtx};
use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use quan_core::circles::{self as uc, NewCircle};
use quan_core::{CircleMemberRecord, CircleRecord, MemberStatus, access};
use quan_domain::CircleRole;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(create_circle, list_org_circles))
        .routes(routes!(my_circles))
        .routes(routes!(get_circle))
        .routes(routes!(join_circle))
        .routes(routes!(list_members))
        .routes(routes!(approve_member))
        .routes(routes!(decline_member))
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct CircleDto {
    pub id: String,
    pub org_id: String,
    pub name: String,
    pub description: String,
    /// internal, teaching, business or community.
    pub mode: String,
    /// open, approval, invite, org_members or paid.
    pub join_policy: String,
    /// all_members or staff.
    pub posting: String,
    pub forwarding: bool,
    pub read_receipts: bool,
    pub public: bool,
    pub member_count: i64,
    pub created_at: i64,
    /// The caller's role in the circle, if a member.
    pub my_role: Option<String>,
    /// Discovery quality (recomputed hourly).
    pub quality_score: f64,
    /// Discovery's review gate: none, pending, approved (boosted) or rejected.
    pub boost_status: String,
    /// Where the cover image is served, if the circle has one.
    pub cover_url: Option<String>,
    pub tags: Vec<String>,
}

pub(crate) fn circle_dto(c: &CircleRecord, my_role: Option<CircleRole>) -> CircleDto {
    CircleDto {
        id: c.id.to_string(),
        org_id: c.org_id.to_string(),
        name: c.name.clone(),
        description: c.description.clone(),
        mode: c.mode.as_str().into(),
        join_policy: c.join_policy.as_str().into(),
        posting: c.posting.as_str().into(),
        forwarding: c.forwarding,
        read_receipts: c.read_receipts,
        public: c.public,
        member_count: c.member_count,
        created_at: c.created_at.millis(),
        my_role: my_role.map(|r| r.as_str().into()),
        quality_score: c.quality_score,
        boost_status: c.boost_status.as_str().into(),
        cover_url: c.cover_image_id.map(crate::api::circles::images::image_url),
        tags: c.tags.clone(),
    }
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct CirclePage {
    pub items: Vec<CircleDto>,
    pub next: Option<String>,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct MemberDto {
    pub account_id: String,
    pub person_id: String,
    pub display_name: String,
    pub role: String,
    /// active or pending.
    pub status: String,
    /// Member types (not exclusive).
    pub types: Vec<String>,
    pub joined_at: i64,
    /// When the member got their current role (ms): moderators appointed earlier
    /// outrank those appointed later.
    pub role_since: i64,
}

impl From<&CircleMemberRecord> for MemberDto {
    fn from(m: &CircleMemberRecord) -> Self {
        let types = m.types.names().map(str::to_owned).collect();
        Self {
            account_id: m.account_id.to_string(),
            person_id: m.person_id.to_string(),
            display_name: m.display_name.clone(),
            role: m.role.as_str().into(),
            status: m.status.as_str().into(),
            types,
            joined_at: m.joined_at.millis(),
            role_since: m.role_since.millis(),
        }
    }
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct MemberPage {
    pub items: Vec<MemberDto>,
    pub next: Option<String>,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct JoinDto {
    /// active, or pending when the circle's admins approve joins.
    pub status: String,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateCircleReq {
    pub name: String,
    pub description: Option<String>,
    /// internal, teaching, business or community.
    pub mode: String,
    /// Overrides the mode's default join policy.
    pub join_policy: Option<String>,
    /// Overrides the mode's default; internal circles are never public.
    pub public: Option<bool>,
    /// Up to five tags, each 1–20 characters.
    #[serde(default)]
    pub tags: Vec<String>,
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct MembersQuery {
    /// active (default) or pending.
    pub status: Option<String>,
    pub after: Option<String>,
    pub limit: Option<u32>,
}

/// Creates a circle in an org from its mode's preset.
#[utoipa::path(post, path = "/api/v1/orgs/{org_id}/circles", tag = "circles", request_body = CreateCircleReq,
    params(("org_id" = String, Path)), security(("bearer" = []), ("session" = [])),
    responses((status = 201, body = CircleDto), (status = 403, body = Problem), (status = 422, body = Problem)))]
pub async fn create_circle(
    State(st): State<AppState>,
    ctx: OrgCtx,
    ApiJson(req): ApiJson<CreateCircleReq>,
) -> ApiResult<(StatusCode, Json<CircleDto>)> {
    let n = NewCircle::parse(
        &req.name,
        req.description.as_deref(),
        &req.mode,
        req.join_policy.as_deref(),
        req.public,
    )?
    .with_tags(&req.tags)?;
    let c = uc::create_circle(&st.svc, &ctx.access, n).await?;
    Ok((
        StatusCode::CREATED,
        Json(circle_dto(&c, Some(CircleRole::Owner))),
    ))
}

/// Every circle of an org (for its staff).
#[utoipa::path(get, path = "/api/v1/orgs/{org_id}/circles", tag = "circles", params(("org_id" = String, Path), PageQuery),
    security(("bearer" = []), ("session" = [])), responses((status = 200, body = CirclePage)))]
pub async fn list_org_circles(
    State(st): State<AppState>,
    ctx: OrgCtx,
    ApiQuery(q): ApiQuery<PageQuery>,
) -> ApiResult<Json<CirclePage>> {
    let page = uc::list_org_circles(&st.svc, &ctx.access, &q.into_request()?).await?;
    Ok(Json(CirclePage {
        items: page.items.iter().map(|c| circle_dto(c, None)).collect(),
        next: page.next,
    }))
}

/// The circles the caller is an active member of.
#[utoipa::path(get, path = "/api/v1/circles", tag = "circles", security(("bearer" = []), ("session" = [])),
    responses((status = 200, body = [CircleDto])))]
pub async fn my_circles(
    State(st): State<AppState>,
    Auth(actor): Auth,
) -> ApiResult<Json<Vec<CircleDto>>> {
    let all = uc::my_circles(&st.svc, &actor).await?;
    Ok(Json(
        all.iter().map(|(c, r)| circle_dto(c, Some(*r))).collect(),
    ))
}

#[utoipa::path(get, path = "/api/v1/circles/{circle_id}", tag = "circles", params(("circle_id" = String, Path)),
    security(("bearer" = []), ("session" = [])), responses((status = 200, body = CircleDto), (status = 404, body = Problem)))]
pub async fn get_circle(
    State(st): State<AppState>,
    Auth(actor): Auth,
    Path(id): Path<String>,
) -> ApiResult<Json<CircleDto>> {
    let v = access::view(&st.svc, &actor, parse_id(&id)?).await?;
    let role = v
        .membership
        .as_ref()
        .filter(|m| m.status == MemberStatus::Active)
        .map(|m| m.role);
    Ok(Json(circle_dto(&v.circle, role)))
}

/// Joins by the circle's policy (open, approval, org members only; invite and paid
/// circles refuse with their own codes).
#[utoipa::path(post, path = "/api/v1/circles/{circle_id}/join", tag = "circles", params(("circle_id" = String, Path)),
    security(("bearer" = []), ("session" = [])),
    responses((status = 200, body = JoinDto), (status = 402, body = Problem), (status = 403, body = Problem), (status = 409, body = Problem)))]
pub async fn join_circle(
    State(st): State<AppState>,
    Auth(actor): Auth,
    Path(id): Path<String>,
) -> ApiResult<Json<JoinDto>> {
    let status = uc::join(&st.svc, &actor, parse_id(&id)?).await?;
    Ok(Json(JoinDto {
        status: status.as_str().into(),
    }))
}

#[utoipa::path(get, path = "/api/v1/circles/{circle_id}/members", tag = "circles", params(("circle_id" = String, Path), MembersQuery),
    security(("bearer" = []), ("session" = [])), responses((status = 200, body = MemberPage), (status = 403, body = Problem)))]
pub async fn list_members(
    State(st): State<AppState>,
    Auth(actor): Auth,
    Path(id): Path<String>,
    ApiQuery(q): ApiQuery<MembersQuery>,
) -> ApiResult<Json<MemberPage>> {
    let status = match q.status.as_deref() {
        None | Some("active") => MemberStatus::Active,
        Some("pending") => MemberStatus::Pending,
        Some(_) => {
            return Err(ApiError::bad_request(
                "invalid_status",
                "status is active or pending",
            ));
        }
    };
    let page = PageQuery {
        after: q.after,
        limit: q.limit,
    }
    .into_request()?;
    let page = uc::members(&st.svc, &actor, parse_id(&id)?, status, &page).await?;
    Ok(Json(MemberPage {
        items: page.items.iter().map(MemberDto::from).collect(),
        next: page.next,
    }))
}

/// Approves a pending join request (circle owners and admins, org owners and admins).
#[utoipa::path(post, path = "/api/v1/circles/{circle_id}/members/{account_id}/approve", tag = "circles",
    params(("circle_id" = String, Path), ("account_id" = String, Path)), security(("bearer" = []), ("session" = [])),
    responses((status = 204), (status = 403, body = Problem), (status = 404, body = Problem)))]
pub async fn approve_member(
    State(st): State<AppState>,
    Auth(actor): Auth,
    Path(ids): Path<(String, String)>,
) -> ApiResult<StatusCode> {
    uc::approve(&st.svc, &actor, parse_id(&ids.0)?, parse_id(&ids.1)?).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Declines a pending join request (the same people who approve); the person may
/// ask again.
#[utoipa::path(post, path = "/api/v1/circles/{circle_id}/members/{account_id}/decline", tag = "circles",
    params(("circle_id" = String, Path), ("account_id" = String, Path)), security(("bearer" = []), ("session" = [])),
    responses((status = 204), (status = 403, body = Problem), (status = 404, body = Problem)))]
pub async fn decline_member(
    State(st): State<AppState>,
    Auth(actor): Auth,
    Path(ids): Path<(String, String)>,
) -> ApiResult<StatusCode> {
    uc::decline(&st.svc, &actor, parse_id(&ids.0)?, parse_id(&ids.1)?).await?;
    Ok(StatusCode::NO_CONTENT)
}
