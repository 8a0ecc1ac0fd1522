//! Room campaign endpoints: the chat rooms a staff member may send a campaign to,
//! and the wire forms of a room campaign's rooms in its preflight and detail.

use crate::AppState;
use crate::error::ApiResult;
use crate::extract::OrgCtx;
use axum::Json;
use axum::extract::State;
use quan_core::reach::rooms;
use quan_core::{CampaignRoom, RoomTarget};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(campaign_rooms))
}

/// A circle chat room a campaign may go to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct RoomTargetDto {
    pub room_id: String,
    pub room_name: String,
    pub circle_id: String,
    pub circle_name: String,
    /// Active members of its circle: who can read it.
    pub members: i64,
    /// Whether the room had its campaign message today (one a day).
    pub capped: bool,
}

pub(crate) fn target_dto(t: &RoomTarget) -> RoomTargetDto {
    RoomTargetDto {
        room_id: t.room.to_string(),
        room_name: t.room_name.clone(),
        circle_id: t.circle.to_string(),
        circle_name: t.circle_name.clone(),
        members: t.members,
        capped: t.capped,
    }
}

/// What a room campaign's plan decided for one room.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct CampaignRoomDto {
    pub room: RoomTargetDto,
    /// send, room_daily (the room had its campaign message that day) or failed (the
    /// room refused the post: its author left the circle, a sensitive word).
    pub outcome: String,
    /// The chat message it became, once confirmed.
    pub message_id: Option<String>,
}

pub(crate) fn room_dto(r: &CampaignRoom) -> CampaignRoomDto {
    CampaignRoomDto {
        room: target_dto(&r.target),
        outcome: r.outcome.clone(),
        message_id: r.message.map(|m| m.to_string()),
    }
}

/// The chat rooms the caller may send a campaign to: those of the org's circles they
/// belong to (they post it themselves), with whether each had its message today.
#[utoipa::path(get, path = "/api/v1/orgs/{org_id}/campaign-rooms", tag = "reach",
    params(("org_id" = String, Path)), security(("bearer" = []), ("session" = [])),
    responses((status = 200, body = Vec<RoomTargetDto>)))]
pub async fn campaign_rooms(
    State(st): State<AppState>,
    ctx: OrgCtx,
) -> ApiResult<Json<Vec<RoomTargetDto>>> {
    let rooms = rooms::choices(&st.svc, &ctx.access).await?;
    Ok(Json(rooms.iter().map(target_dto).collect()))
}
