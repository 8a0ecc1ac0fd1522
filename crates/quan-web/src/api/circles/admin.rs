//! Circle administration endpoints: settings, roles and member types.

use crate::AppState;
use crate::api::common::parse_id;
use crate::error::{ApiResult, Problem};
use crate::extract::{ApiJson, Auth};
use axum::Json;
use axum::extract::{Path, State};
use quan_core::circles::admin;
use serde::Deserialize;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(edit_circle))
        .routes(routes!(update_member))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct EditCircleReq {
    pub name: Option<String>,
    pub description: Option<String>,
    /// open, approval, invite, org_members or paid.
    pub join_policy: Option<String>,
    /// all_members or staff.
    pub posting: Option<String>,
    pub forwarding: Option<bool>,
    pub read_receipts: Option<bool>,
    /// Internal circles are never public.
    pub public: Option<bool>,
    /// Up to five tags, each 1–20 characters; `[]` clears them.
    pub tags: Option<Vec<String>>,
    /// An image uploaded to this circle (`POST /circles/{id}/images`); `""` removes
    /// the cover.
    pub cover_image_id: Option<String>,
}

/// Edits a circle's settings (circle owners and admins; org owners and admins).
#[utoipa::path(patch, path = "/api/v1/circles/{circle_id}/settings", tag = "circles", request_body = EditCircleReq,
    params(("circle_id" = String, Path)), security(("bearer" = []), ("session" = [])),
    responses((status = 200, body = crate::api::circles::CircleDto), (status = 403, body = Problem), (status = 422, body = Problem)))]
pub async fn edit_circle(
    State(st): State<AppState>,
    Auth(actor): Auth,
    Path(id): Path<String>,
    ApiJson(req): ApiJson<EditCircleReq>,
) -> ApiResult<Json<crate::api::circles::CircleDto>> {
    let e = admin::CircleEdit {
        name: req.name,
        description: req.description,
        join_policy: req
            .join_policy
            .as_deref()
            .map(quan_domain::JoinPolicy::parse)
            .transpose()?,
        posting: req
            .posting
            .as_deref()
            .map(quan_domain::PostingPolicy::parse)
            .transpose()?,
        forwarding: req.forwarding,
        read_receipts: req.read_receipts,
        public: req.public,
        tags: req.tags,
        cover: req
            .cover_image_id
            .map(|raw| match raw.as_str() {
                "" => Ok(None),
                id => parse_id(id).map(Some),
            })
            .transpose()?,
    };
    let c = admin::edit_circle(&st.svc, &actor, parse_id(&id)?, e).await?;
    Ok(Json(crate::api::circles::circle_dto(&c, None)))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateMemberReq {
    /// admin, moderator, teacher or member (only owners make admins).
    pub role: Option<String>,
    /// Member types, not exclusive: member, customer, fan.
    pub types: Option<Vec<String>>,
}

/// Sets a member's circle role and/or member types.
#[utoipa::path(patch, path = "/api/v1/circles/{circle_id}/members/{account_id}", tag = "circles", request_body = UpdateMemberReq,
    params(("circle_id" = String, Path), ("account_id" = String, Path)), security(("bearer" = []), ("session" = [])),
    responses((status = 200, body = crate::api::circles::MemberDto), (status = 403, body = Problem), (status = 404, body = Problem), (status = 422, body = Problem)))]
pub async fn update_member(
    State(st): State<AppState>,
    Auth(actor): Auth,
    Path(ids): Path<(String, String)>,
    ApiJson(req): ApiJson<UpdateMemberReq>,
) -> ApiResult<Json<crate::api::circles::MemberDto>> {
    let role = req
        .role
        .as_deref()
        .map(quan_domain::CircleRole::parse)
        .transpose()?;
    let types = req
        .types
        .as_deref()
        .map(quan_domain::MemberTypes::parse)
        .transpose()?;
    let m = admin::update_member(
        &st.svc,
        &actor,
        parse_id(&ids.0)?,
        parse_id(&ids.1)?,
        role,
        types,
    )
    .await?;
    Ok(Json(crate::api::circles::MemberDto::from(&m)))
}
