//! 1:1 conversations (staff side under the org, customer side under `/me`), leaving
//! a staff member, and opting out of an org's campaigns. New messages are pushed on
//! the WebSocket topic `account:<id>` of both sides.

use super::{ContactDto, contact_dto};
use crate::AppState;
use crate::api::common::parse_id;
use crate::error::{ApiResult, Problem};
use crate::extract::{ApiJson, ApiQuery, Auth, OrgCtx};
use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use quan_core::ReachMessageRecord;
use quan_core::reach::conversations as conv;
use quan_domain::ReachMessageId;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(staff_messages, staff_send))
        .routes(routes!(my_conversations))
        .routes(routes!(my_messages, reply_to_staff))
        .routes(routes!(leave_staff))
        .routes(routes!(get_consent, set_consent))
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct ReachMessageDto {
    pub id: String,
    pub from_staff: bool,
    /// message, welcome, campaign, auto (an auto-reply) or journey.
    pub kind: String,
    pub body: String,
    pub campaign_id: Option<String>,
    /// When it showed (after quiet hours, for one they held).
    pub at: i64,
    pub read_at: Option<i64>,
}

fn message_dto(m: &ReachMessageRecord) -> ReachMessageDto {
    ReachMessageDto {
        id: m.id.to_string(),
        from_staff: m.from_staff,
        kind: m.kind.as_str().to_owned(),
        body: m.body.clone(),
        campaign_id: m.campaign_id.map(|c| c.to_string()),
        at: m.visible_at.millis(),
        read_at: m.read_at.map(|t| t.millis()),
    }
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct ConversationDto {
    pub contact: ContactDto,
    /// Newest first; pass the last id as `before` for older ones.
    pub messages: Vec<ReachMessageDto>,
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct BeforeQuery {
    pub before: Option<String>,
}

fn before(q: &BeforeQuery) -> ApiResult<Option<ReachMessageId>> {
    q.before.as_deref().map(parse_id).transpose()
}

fn conversation(c: &quan_core::ContactRecord, msgs: &[ReachMessageRecord]) -> ConversationDto {
    ConversationDto {
        contact: contact_dto(c),
        messages: msgs.iter().map(message_dto).collect(),
    }
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MessageReq {
    pub body: String,
}

/// A conversation as its staff member (or a manager) reads it.
#[utoipa::path(get, path = "/api/v1/orgs/{org_id}/contacts/{contact_id}/messages", tag = "reach",
    params(("org_id" = String, Path), ("contact_id" = String, Path), BeforeQuery), security(("bearer" = []), ("session" = [])),
    responses((status = 200, body = ConversationDto), (status = 404, body = Problem)))]
pub async fn staff_messages(
    State(st): State<AppState>,
    ctx: OrgCtx,
    Path(ids): Path<(String, String)>,
    ApiQuery(q): ApiQuery<BeforeQuery>,
) -> ApiResult<Json<ConversationDto>> {
    let (c, msgs) =
        conv::staff_messages(&st.svc, &ctx.access, parse_id(&ids.1)?, before(&q)?).await?;
    Ok(Json(conversation(&c, &msgs)))
}

/// The staff member writes to their customer.
#[utoipa::path(post, path = "/api/v1/orgs/{org_id}/contacts/{contact_id}/messages", tag = "reach", request_body = MessageReq,
    params(("org_id" = String, Path), ("contact_id" = String, Path)), security(("bearer" = []), ("session" = [])),
    responses((status = 201, body = ReachMessageDto), (status = 403, body = Problem), (status = 404, body = Problem), (status = 422, body = Problem)))]
pub async fn staff_send(
    State(st): State<AppState>,
    ctx: OrgCtx,
    Path(ids): Path<(String, String)>,
    ApiJson(req): ApiJson<MessageReq>,
) -> ApiResult<(StatusCode, Json<ReachMessageDto>)> {
    let m = conv::staff_send(&st.svc, &ctx.access, parse_id(&ids.1)?, &req.body).await?;
    Ok((StatusCode::CREATED, Json(message_dto(&m))))
}

/// The caller's conversations as a customer, in every org, with unread counts.
#[utoipa::path(get, path = "/api/v1/me/conversations", tag = "reach", security(("bearer" = []), ("session" = [])),
    responses((status = 200, body = [ContactDto])))]
pub async fn my_conversations(
    State(st): State<AppState>,
    Auth(actor): Auth,
) -> ApiResult<Json<Vec<ContactDto>>> {
    let all = conv::inbox(&st.svc, &actor).await?;
    Ok(Json(all.iter().map(contact_dto).collect()))
}

/// One of the caller's conversations; reading it marks the staff's messages read.
#[utoipa::path(get, path = "/api/v1/me/conversations/{contact_id}", tag = "reach",
    params(("contact_id" = String, Path), BeforeQuery), security(("bearer" = []), ("session" = [])),
    responses((status = 200, body = ConversationDto), (status = 404, body = Problem)))]
pub async fn my_messages(
    State(st): State<AppState>,
    Auth(actor): Auth,
    Path(id): Path<String>,
    ApiQuery(q): ApiQuery<BeforeQuery>,
) -> ApiResult<Json<ConversationDto>> {
    let (c, msgs) = conv::my_messages(&st.svc, &actor, parse_id(&id)?, before(&q)?).await?;
    Ok(Json(conversation(&c, &msgs)))
}

/// The customer replies.
#[utoipa::path(post, path = "/api/v1/me/conversations/{contact_id}", tag = "reach", request_body = MessageReq,
    params(("contact_id" = String, Path)), security(("bearer" = []), ("session" = [])),
    responses((status = 201, body = ReachMessageDto), (status = 404, body = Problem), (status = 422, body = Problem)))]
pub async fn reply_to_staff(
    State(st): State<AppState>,
    Auth(actor): Auth,
    Path(id): Path<String>,
    ApiJson(req): ApiJson<MessageReq>,
) -> ApiResult<(StatusCode, Json<ReachMessageDto>)> {
    let m = conv::reply(&st.svc, &actor, parse_id(&id)?, &req.body).await?;
    Ok((StatusCode::CREATED, Json(message_dto(&m))))
}

/// The customer deletes the staff member: the relationship ends, by them.
#[utoipa::path(delete, path = "/api/v1/me/conversations/{contact_id}", tag = "reach",
    params(("contact_id" = String, Path)), security(("bearer" = []), ("session" = [])),
    responses((status = 204), (status = 404, body = Problem)))]
pub async fn leave_staff(
    State(st): State<AppState>,
    Auth(actor): Auth,
    Path(id): Path<String>,
) -> ApiResult<StatusCode> {
    conv::leave(&st.svc, &actor, parse_id(&id)?).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ConsentDto {
    /// Whether the caller receives none of the org's campaigns.
    pub opted_out: bool,
}

/// Whether the caller opted out of an org's campaigns (as its customer).
#[utoipa::path(get, path = "/api/v1/me/consent/{org_id}", tag = "reach",
    params(("org_id" = String, Path)), security(("bearer" = []), ("session" = [])),
    responses((status = 200, body = ConsentDto), (status = 404, body = Problem)))]
pub async fn get_consent(
    State(st): State<AppState>,
    Auth(actor): Auth,
    Path(org): Path<String>,
) -> ApiResult<Json<ConsentDto>> {
    let opted_out = conv::opted_out(&st.svc, &actor, parse_id(&org)?).await?;
    Ok(Json(ConsentDto { opted_out }))
}

/// Opts the caller out of an org's campaigns, or back in; the next plan honours it.
#[utoipa::path(put, path = "/api/v1/me/consent/{org_id}", tag = "reach", request_body = ConsentDto,
    params(("org_id" = String, Path)), security(("bearer" = []), ("session" = [])),
    responses((status = 200, body = ConsentDto), (status = 404, body = Problem)))]
pub async fn set_consent(
    State(st): State<AppState>,
    Auth(actor): Auth,
    Path(org): Path<String>,
    ApiJson(req): ApiJson<ConsentDto>,
) -> ApiResult<Json<ConsentDto>> {
    conv::set_opt_out(&st.svc, &actor, parse_id(&org)?, req.opted_out).await?;
    Ok(Json(req))
}
