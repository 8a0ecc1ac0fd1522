//! Leaders (团长) and pickup points: the console's list and forms' API for staff,
//! and a shop's pickup points near a buyer, nearest first.

use crate::AppState;
use crate::api::common::{PageQuery, parse_id};
use crate::error::{ApiResult, Problem};
use crate::extract::{ApiJson, ApiQuery, Auth, OrgCtx};
use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use quan_core::local::port::LeaderRecord;
use quan_core::local::{self, Choice, LeaderInput};
use quan_domain::{DEFAULT_RADIUS_M, GeoPoint, PickupKind};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(org_leaders, create_leader))
        .routes(routes!(org_leader, update_leader))
        .routes(routes!(pickup_points))
        .routes(routes!(nearest_pickup_point))
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct LeaderDto {
    pub id: String,
    pub org_id: String,
    pub account_id: Option<String>,
    pub name: String,
    pub phone: String,
    pub point_name: String,
    pub address: String,
    /// Degrees, WGS 84, to six places.
    pub lat: f64,
    pub lon: f64,
    /// home | store | parcel_station
    pub kind: String,
    pub hours: String,
    /// Metres the point serves around it (100 to 5000).
    pub radius_m: i64,
    /// Orders it holds on one delivery day.
    pub capacity: i64,
    /// The leader's commission, in basis points of a completed order's paid amount.
    pub commission_bp: i64,
    pub online: bool,
    pub stand_in: Option<String>,
    pub active: bool,
    /// Milliseconds since the epoch.
    pub created_at: i64,
    pub updated_at: i64,
}

pub(crate) fn leader_dto(l: &LeaderRecord) -> LeaderDto {
    LeaderDto {
        id: l.id.to_string(),
        org_id: l.org_id.to_string(),
        account_id: l.account_id.map(|a| a.to_string()),
        name: l.name.clone(),
        phone: l.phone.clone(),
        point_name: l.point_name.clone(),
        address: l.address.clone(),
        lat: l.location.lat(),
        lon: l.location.lon(),
        kind: l.kind.as_str().to_owned(),
        hours: l.hours.clone(),
        radius_m: l.radius_m,
        capacity: l.capacity,
        commission_bp: l.commission_bp,
        online: l.online,
        stand_in: l.stand_in.map(|s| s.to_string()),
        active: l.active,
        created_at: l.created_at.millis(),
        updated_at: l.updated_at.millis(),
    }
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct LeaderPageDto {
    pub items: Vec<LeaderDto>,
    pub next: Option<String>,
}

/// A leader and their pickup point as staff write them.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LeaderReq {
    /// The leader's own account, if they have one.
    #[serde(default)]
    pub account_id: Option<String>,
    pub name: String,
    #[serde(default)]
    pub phone: String,
    pub point_name: String,
    pub address: String,
    /// Degrees, -90 to 90.
    pub lat: f64,
    /// Degrees, -180 to 180.
    pub lon: f64,
    /// home | store | parcel_station
    pub kind: String,
    #[serde(default)]
    pub hours: String,
    /// Metres, 100 to 5000; 3000 when left out.
    #[serde(default = "default_radius")]
    pub radius_m: i64,
    /// Orders a delivery day, 1 to 100000.
    pub capacity: i64,
    /// Basis points, 0 to 3000.
    #[serde(default)]
    pub commission_bp: i64,
    #[serde(default = "yes")]
    pub online: bool,
    /// Another leader of the org who serves the point while this one is offline.
    #[serde(default)]
    pub stand_in: Option<String>,
    #[serde(default = "yes")]
    pub active: bool,
}

fn default_radius() -> i64 {
    DEFAULT_RADIUS_M
}

fn yes() -> bool {
    true
}

impl LeaderReq {
    pub(crate) fn into_input(self) -> ApiResult<LeaderInput> {
        Ok(LeaderInput {
            account: self.account_id.as_deref().map(parse_id).transpose()?,
            name: self.name,
            phone: self.phone,
            point_name: self.point_name,
            address: self.address,
            location: GeoPoint::new(self.lat, self.lon)?,
            kind: PickupKind::parse(&self.kind)?,
            hours: self.hours,
            radius_m: self.radius_m,
            capacity: self.capacity,
            commission_bp: self.commission_bp,
            online: self.online,
            stand_in: self.stand_in.as_deref().map(parse_id).transpose()?,
            active: self.active,
        })
    }
}

/// Where a buyer is, and how many points to list.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct PlaceQuery {
    /// Degrees, -90 to 90.
    pub lat: f64,
    /// Degrees, -180 to 180.
    pub lon: f64,
    /// Points to list: 10 unless given, at most 20 (more is taken as 20).
    pub limit: Option<usize>,
}

/// Where a buyer is.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct NearQuery {
    /// Degrees, -90 to 90.
    pub lat: f64,
    /// Degrees, -180 to 180.
    pub lon: f64,
}

/// A pickup point a buyer may choose.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct PickupPointDto {
    pub leader_id: String,
    pub point_name: String,
    pub address: String,
    pub lat: f64,
    pub lon: f64,
    pub kind: String,
    pub hours: String,
    /// Whole metres from the buyer, along the earth.
    pub distance_m: i64,
    pub radius_m: i64,
    /// Who hands orders over now: the leader, or their stand-in while they are offline.
    pub served_by: String,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct PickupPointListDto {
    pub items: Vec<PickupPointDto>,
}

pub(crate) fn choice_dto(c: &Choice) -> PickupPointDto {
    let l = &c.leader;
    PickupPointDto {
        leader_id: l.id.to_string(),
        point_name: l.point_name.clone(),
        address: l.address.clone(),
        lat: l.location.lat(),
        lon: l.location.lon(),
        kind: l.kind.as_str().to_owned(),
        hours: l.hours.clone(),
        // Metres on a map: no one needs the millimetres.
        #[allow(clippy::cast_possible_truncation)]
        distance_m: c.distance_m.round() as i64,
        radius_m: l.radius_m,
        served_by: c.served_by.clone(),
    }
}

/// The org's leaders and pickup points, newest first.
#[utoipa::path(get, path = "/api/v1/orgs/{org_id}/leaders", tag = "local",
    params(("org_id" = String, Path), PageQuery), security(("bearer" = []), ("session" = [])),
    responses((status = 200, description = "a page of leaders", body = LeaderPageDto), (status = 403, body = Problem)))]
pub async fn org_leaders(
    State(st): State<AppState>,
    ctx: OrgCtx,
    ApiQuery(q): ApiQuery<PageQuery>,
) -> ApiResult<Json<LeaderPageDto>> {
    let p = local::list(&st.svc, &ctx.access, &q.into_request()?).await?;
    Ok(Json(LeaderPageDto {
        items: p.items.iter().map(leader_dto).collect(),
        next: p.next,
    }))
}

/// Sets a leader and their pickup point up; buyers in its radius are matched to
/// it at once, on every node.
#[utoipa::path(post, path = "/api/v1/orgs/{org_id}/leaders", tag = "local",
    request_body = LeaderReq, params(("org_id" = String, Path)),
    security(("bearer" = []), ("session" = [])),
    responses((status = 201, description = "the leader", body = LeaderDto),
        (status = 403, body = Problem), (status = 422, body = Problem)))]
pub async fn create_leader(
    State(st): State<AppState>,
    ctx: OrgCtx,
    ApiJson(req): ApiJson<LeaderReq>,
) -> ApiResult<(StatusCode, Json<LeaderDto>)> {
    let l = local::create(&st.svc, &ctx.access, req.into_input()?).await?;
    Ok((StatusCode::CREATED, Json(leader_dto(&l))))
}

/// One of the org's leaders.
#[utoipa::path(get, path = "/api/v1/orgs/{org_id}/leaders/{leader_id}", tag = "local",
    params(("org_id" = String, Path), ("leader_id" = String, Path)),
    security(("bearer" = []), ("session" = [])),
    responses((status = 200, description = "the leader", body = LeaderDto),
        (status = 403, body = Problem), (status = 404, body = Problem)))]
pub async fn org_leader(
    State(st): State<AppState>,
    ctx: OrgCtx,
    Path(ids): Path<(String, String)>,
) -> ApiResult<Json<LeaderDto>> {
    let l = local::get(&st.svc, &ctx.access, parse_id(&ids.1)?).await?;
    Ok(Json(leader_dto(&l)))
}

/// Replaces a leader's point, hours, radius, online state or stand-in, or
/// retires them (`active: false`).
#[utoipa::path(put, path = "/api/v1/orgs/{org_id}/leaders/{leader_id}", tag = "local",
    request_body = LeaderReq, params(("org_id" = String, Path), ("leader_id" = String, Path)),
    security(("bearer" = []), ("session" = [])),
    responses((status = 200, description = "the leader as changed", body = LeaderDto),
        (status = 403, body = Problem), (status = 404, body = Problem), (status = 422, body = Problem)))]
pub async fn update_leader(
    State(st): State<AppState>,
    ctx: OrgCtx,
    Path(ids): Path<(String, String)>,
    ApiJson(req): ApiJson<LeaderReq>,
) -> ApiResult<Json<LeaderDto>> {
    let l = local::update(&st.svc, &ctx.access, parse_id(&ids.1)?, req.into_input()?).await?;
    Ok(Json(leader_dto(&l)))
}

/// The shop's pickup points that serve a place, nearest first: the first is the
/// buyer's match, the others what they may choose instead. Empty when none
/// serves it.
#[utoipa::path(get, path = "/api/v1/shops/{org_id}/pickup-points", tag = "local",
    params(("org_id" = String, Path), PlaceQuery), security(("bearer" = []), ("session" = [])),
    responses((status = 200, description = "points nearest first", body = PickupPointListDto),
        (status = 422, body = Problem)))]
pub async fn pickup_points(
    State(st): State<AppState>,
    Auth(actor): Auth,
    Path(org): Path<String>,
    ApiQuery(q): ApiQuery<PlaceQuery>,
) -> ApiResult<Json<PickupPointListDto>> {
    let at = GeoPoint::new(q.lat, q.lon)?;
    let limit = q.limit.unwrap_or(10);
    let items = local::choices(&st.svc, &actor, parse_id(&org)?, at, limit).await?;
    Ok(Json(PickupPointListDto {
        items: items.iter().map(choice_dto).collect(),
    }))
}

/// The buyer's match: the nearest served pickup point whose radius covers them.
#[utoipa::path(get, path = "/api/v1/shops/{org_id}/pickup-points/nearest", tag = "local",
    params(("org_id" = String, Path), NearQuery), security(("bearer" = []), ("session" = [])),
    responses((status = 200, description = "the nearest point", body = PickupPointDto),
        (status = 404, description = "no point serves this place (`no_pickup_point`)", body = Problem),
        (status = 422, body = Problem)))]
pub async fn nearest_pickup_point(
    State(st): State<AppState>,
    Auth(actor): Auth,
    Path(org): Path<String>,
    ApiQuery(q): ApiQuery<NearQuery>,
) -> ApiResult<Json<PickupPointDto>> {
    let at = GeoPoint::new(q.lat, q.lon)?;
    let c = local::nearest(&st.svc, &actor, parse_id(&org)?, at).await?;
    Ok(Json(choice_dto(&c)))
}
