//! Notification endpoints: the list, read marks, per-kind settings.

use crate::AppState;
use crate::api::common::{PageQuery, parse_id};
use crate::error::{ApiResult, Problem};
use crate::extract::{ApiJson, ApiQuery, Auth};
use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_notifications))
        .routes(routes!(read_notifications))
        .routes(routes!(notification_settings))
        .routes(routes!(set_notification_setting))
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct NotificationDto {
    pub id: String,
    /// reply, mention, reaction, approval, moderation or task.
    pub kind: String,
    pub circle_id: Option<String>,
    pub post_id: Option<String>,
    /// Who caused it; empty for the system.
    pub actor: String,
    pub body: String,
    pub created_at: i64,
    pub read: bool,
}

impl From<&quan_core::NotificationRecord> for NotificationDto {
    fn from(n: &quan_core::NotificationRecord) -> Self {
        Self {
            id: n.id.to_string(),
            kind: n.kind.as_str().into(),
            circle_id: n.circle_id.map(|c| c.to_string()),
            post_id: n.post_id.map(|p| p.to_string()),
            actor: n.actor_name.clone(),
            body: n.body.clone(),
            created_at: n.created_at.millis(),
            read: n.read_at.is_some(),
        }
    }
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct NotificationPage {
    pub items: Vec<NotificationDto>,
    pub next: Option<String>,
    pub unread: i64,
}

/// The caller's notifications, newest first, with the unread count. New ones are
/// also pushed live on the WebSocket topic `account:<your account id>`.
#[utoipa::path(get, path = "/api/v1/me/notifications", tag = "notifications", params(PageQuery),
    security(("bearer" = []), ("session" = [])), responses((status = 200, body = NotificationPage)))]
pub async fn list_notifications(
    State(st): State<AppState>,
    Auth(actor): Auth,
    ApiQuery(q): ApiQuery<PageQuery>,
) -> ApiResult<Json<NotificationPage>> {
    let (page, unread) = quan_core::notify::list(&st.svc, &actor, &q.into_request()?).await?;
    Ok(Json(NotificationPage {
        items: page.items.iter().map(NotificationDto::from).collect(),
        next: page.next,
        unread,
    }))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NotificationsReadReq {
    /// Mark read up to and including this notification; all when absent.
    pub up_to: Option<String>,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct ReadDto {
    pub marked: u64,
}

#[utoipa::path(post, path = "/api/v1/me/notifications/read", tag = "notifications", request_body = NotificationsReadReq,
    security(("bearer" = []), ("session" = [])), responses((status = 200, body = ReadDto), (status = 422, body = Problem)))]
pub async fn read_notifications(
    State(st): State<AppState>,
    Auth(actor): Auth,
    ApiJson(req): ApiJson<NotificationsReadReq>,
) -> ApiResult<Json<ReadDto>> {
    let up_to = req.up_to.as_deref().map(parse_id).transpose()?;
    let marked = quan_core::notify::mark_read(&st.svc, &actor, up_to).await?;
    Ok(Json(ReadDto { marked }))
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct NotifySettingDto {
    pub kind: String,
    pub on: bool,
}

#[utoipa::path(get, path = "/api/v1/me/notification-settings", tag = "notifications",
    security(("bearer" = []), ("session" = [])), responses((status = 200, body = [NotifySettingDto])))]
pub async fn notification_settings(
    State(st): State<AppState>,
    Auth(actor): Auth,
) -> ApiResult<Json<Vec<NotifySettingDto>>> {
    let all = quan_core::notify::settings(&st.svc, &actor).await?;
    Ok(Json(
        all.into_iter()
            .map(|(k, on)| NotifySettingDto {
                kind: k.as_str().into(),
                on,
            })
            .collect(),
    ))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NotifySettingReq {
    pub on: bool,
}

/// Turns one kind of notification on or off (signed-in people only).
#[utoipa::path(put, path = "/api/v1/me/notification-settings/{kind}", tag = "notifications", request_body = NotifySettingReq,
    params(("kind" = String, Path)), security(("session" = [])),
    responses((status = 204), (status = 403, body = Problem), (status = 422, body = Problem)))]
pub async fn set_notification_setting(
    State(st): State<AppState>,
    Auth(actor): Auth,
    Path(kind): Path<String>,
    ApiJson(req): ApiJson<NotifySettingReq>,
) -> ApiResult<StatusCode> {
    let kind = quan_domain::NotifyKind::parse(&kind)?;
    quan_core::notify::set(&st.svc, &actor, kind, req.on).await?;
    Ok(StatusCode::NO_CONTENT)
}

// ---------------------------------------------------------------------------------
// Search
