//! Chat endpoints: rooms, messages, read positions, promotion to a topic.

use crate::AppState;
use crate::api::circles::posts::{AuthorDto, PostDto};
use crate::api::common::parse_id;
use crate::error::{ApiResult, Problem};
use crate::extract::{ApiJson, ApiQuery, Auth};
use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_rooms, create_room))
        .routes(routes!(list_messages, send_message))
        .routes(routes!(mark_read))
        .routes(routes!(promote_message))
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct RoomDto {
    pub id: String,
    pub name: String,
    pub is_default: bool,
    /// Messages by others since your read position.
    pub unread: i64,
    /// Subscribe to this WebSocket topic for live messages.
    pub topic: String,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct MessageDto {
    pub id: String,
    pub room_id: String,
    pub author: AuthorDto,
    pub body: String,
    pub reply_to: Option<String>,
    /// The topic this message was promoted to.
    pub promoted_post_id: Option<String>,
    pub created_at: i64,
    /// An image sent with the message (URL under /api/v1/images).
    pub image: Option<String>,
}

impl From<&quan_core::MessageRecord> for MessageDto {
    fn from(m: &quan_core::MessageRecord) -> Self {
        Self {
            id: m.id.to_string(),
            room_id: m.room_id.to_string(),
            author: AuthorDto {
                person_id: m.author_person_id.to_string(),
                display_name: m.author_name.clone(),
            },
            body: m.body.clone(),
            reply_to: m.reply_to.map(|r| r.to_string()),
            promoted_post_id: m.promoted_post_id.map(|p| p.to_string()),
            created_at: m.created_at.millis(),
            image: m.image_id.map(crate::api::circles::images::image_url),
        }
    }
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SendMessageReq {
    /// Required unless an image is sent.
    #[serde(default)]
    pub body: String,
    pub reply_to: Option<String>,
    /// An image uploaded to this circle (POST /circles/{id}/images) by the sender.
    pub image_id: Option<String>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RoomReadReq {
    /// The newest message you have seen.
    pub last_read_id: String,
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct HistoryQuery {
    /// Messages older than this id.
    pub before: Option<String>,
    /// 1 to 100; default 50.
    pub limit: Option<i64>,
}

/// The circle's chat rooms with your unread counts (members only).
#[utoipa::path(get, path = "/api/v1/circles/{circle_id}/rooms", tag = "chat", params(("circle_id" = String, Path)),
    security(("bearer" = []), ("session" = [])), responses((status = 200, body = [RoomDto]), (status = 403, body = Problem)))]
pub async fn list_rooms(
    State(st): State<AppState>,
    Auth(actor): Auth,
    Path(id): Path<String>,
) -> ApiResult<Json<Vec<RoomDto>>> {
    let rooms = quan_core::chat::rooms(&st.svc, &actor, parse_id(&id)?).await?;
    Ok(Json(
        rooms
            .iter()
            .map(|(r, unread)| RoomDto {
                id: r.id.to_string(),
                name: r.name.clone(),
                is_default: r.is_default,
                unread: *unread,
                topic: quan_core::chat::room_topic(r.id),
            })
            .collect(),
    ))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateRoomReq {
    /// 1 to 30 characters.
    pub name: String,
}

/// Adds a chat room (circle owners and admins; at most 20 per circle).
#[utoipa::path(post, path = "/api/v1/circles/{circle_id}/rooms", tag = "chat", request_body = CreateRoomReq,
    params(("circle_id" = String, Path)), security(("bearer" = []), ("session" = [])),
    responses((status = 201, body = RoomDto), (status = 403, body = Problem), (status = 422, body = Problem)))]
pub async fn create_room(
    State(st): State<AppState>,
    Auth(actor): Auth,
    Path(id): Path<String>,
    ApiJson(req): ApiJson<CreateRoomReq>,
) -> ApiResult<(StatusCode, Json<RoomDto>)> {
    let r = quan_core::chat::create_room(&st.svc, &actor, parse_id(&id)?, &req.name).await?;
    Ok((
        StatusCode::CREATED,
        Json(RoomDto {
            id: r.id.to_string(),
            name: r.name.clone(),
            is_default: r.is_default,
            unread: 0,
            topic: quan_core::chat::room_topic(r.id),
        }),
    ))
}

/// Room history, newest first.
#[utoipa::path(get, path = "/api/v1/circles/{circle_id}/rooms/{room_id}/messages", tag = "chat",
    params(("circle_id" = String, Path), ("room_id" = String, Path), HistoryQuery), security(("bearer" = []), ("session" = [])),
    responses((status = 200, body = [MessageDto]), (status = 403, body = Problem), (status = 404, body = Problem)))]
pub async fn list_messages(
    State(st): State<AppState>,
    Auth(actor): Auth,
    Path(ids): Path<(String, String)>,
    ApiQuery(q): ApiQuery<HistoryQuery>,
) -> ApiResult<Json<Vec<MessageDto>>> {
    let before = q.before.as_deref().map(parse_id).transpose()?;
    let msgs = quan_core::chat::history(
        &st.svc,
        &actor,
        parse_id(&ids.0)?,
        parse_id(&ids.1)?,
        before,
        q.limit.unwrap_or(50),
    )
    .await?;
    Ok(Json(msgs.iter().map(MessageDto::from).collect()))
}

/// Sends a message (members only; at most 3 per 2 seconds per member and room).
#[utoipa::path(post, path = "/api/v1/circles/{circle_id}/rooms/{room_id}/messages", tag = "chat", request_body = SendMessageReq,
    params(("circle_id" = String, Path), ("room_id" = String, Path)), security(("bearer" = []), ("session" = [])),
    responses((status = 201, body = MessageDto), (status = 403, body = Problem), (status = 429, body = Problem)))]
pub async fn send_message(
    State(st): State<AppState>,
    Auth(actor): Auth,
    Path(ids): Path<(String, String)>,
    ApiJson(req): ApiJson<SendMessageReq>,
) -> ApiResult<(StatusCode, Json<MessageDto>)> {
    let reply_to = req.reply_to.as_deref().map(parse_id).transpose()?;
    let image = req.image_id.as_deref().map(parse_id).transpose()?;
    let m = quan_core::chat::send(
        &st.svc,
        &actor,
        parse_id(&ids.0)?,
        parse_id(&ids.1)?,
        &req.body,
        reply_to,
        image,
    )
    .await?;
    Ok((StatusCode::CREATED, Json(MessageDto::from(&m))))
}

/// Moves your read position forward.
#[utoipa::path(post, path = "/api/v1/circles/{circle_id}/rooms/{room_id}/read", tag = "chat", request_body = RoomReadReq,
    params(("circle_id" = String, Path), ("room_id" = String, Path)), security(("bearer" = []), ("session" = [])),
    responses((status = 204), (status = 404, body = Problem)))]
pub async fn mark_read(
    State(st): State<AppState>,
    Auth(actor): Auth,
    Path(ids): Path<(String, String)>,
    ApiJson(req): ApiJson<RoomReadReq>,
) -> ApiResult<StatusCode> {
    quan_core::chat::mark_read(
        &st.svc,
        &actor,
        parse_id(&ids.0)?,
        parse_id(&ids.1)?,
        parse_id(&req.last_read_id)?,
    )
    .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Promotes a message to a topic that quotes it and links back (the author or the
/// circle's staff).
#[utoipa::path(post, path = "/api/v1/circles/{circle_id}/rooms/{room_id}/messages/{message_id}/promote", tag = "chat",
    params(("circle_id" = String, Path), ("room_id" = String, Path), ("message_id" = String, Path)), security(("bearer" = []), ("session" = [])),
    responses((status = 201, body = PostDto), (status = 403, body = Problem), (status = 409, body = Problem)))]
pub async fn promote_message(
    State(st): State<AppState>,
    Auth(actor): Auth,
    Path(ids): Path<(String, String, String)>,
) -> ApiResult<(StatusCode, Json<PostDto>)> {
    let p = quan_core::chat::promote(
        &st.svc,
        &actor,
        parse_id(&ids.0)?,
        parse_id(&ids.1)?,
        parse_id(&ids.2)?,
    )
    .await?;
    Ok((StatusCode::CREATED, Json(PostDto::from(&p))))
}
