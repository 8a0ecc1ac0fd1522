//! Board endpoints: notice receipts, check-ins and their leaderboard, the task steps.

use crate::AppState;
use crate::api::circles::posts::PostDto;
use crate::api::common::parse_id;
use crate::error::{ApiResult, Problem};
use crate::extract::{ApiJson, Auth};
use axum::Json;
use axum::extract::{Path, State};
use quan_core::TaskStepRecord;
use quan_core::circles::board;
use quan_domain::TaskAction;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(notice_receipts))
        .routes(routes!(check_in))
        .routes(routes!(leaderboard))
        .routes(routes!(task_action, task_steps))
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct ReceiptDto {
    pub account_id: String,
    pub display_name: String,
    pub read_at: Option<i64>,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct ReceiptsDto {
    pub read: Vec<ReceiptDto>,
    pub unread: Vec<ReceiptDto>,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct StreakDto {
    pub account_id: String,
    pub display_name: String,
    /// Consecutive days up to today (0 when broken).
    pub streak: i64,
    pub best_streak: i64,
    pub checkin_count: i64,
}

impl From<&quan_core::StreakRecord> for StreakDto {
    fn from(s: &quan_core::StreakRecord) -> Self {
        Self {
            account_id: s.account_id.to_string(),
            display_name: s.display_name.clone(),
            streak: s.streak,
            best_streak: s.best_streak,
            checkin_count: s.checkin_count,
        }
    }
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct CheckinDto {
    #[serde(flatten)]
    pub standing: StreakDto,
    /// False when you had already checked in today.
    pub checked_in: bool,
}

/// Who has and has not read a notice (its author and the circle's admins).
#[utoipa::path(get, path = "/api/v1/circles/{circle_id}/posts/{post_id}/receipts", tag = "circles",
    params(("circle_id" = String, Path), ("post_id" = String, Path)), security(("bearer" = []), ("session" = [])),
    responses((status = 200, body = ReceiptsDto), (status = 403, body = Problem), (status = 404, body = Problem)))]
pub async fn notice_receipts(
    State(st): State<AppState>,
    Auth(actor): Auth,
    Path(ids): Path<(String, String)>,
) -> ApiResult<Json<ReceiptsDto>> {
    let all = board::receipts(&st.svc, &actor, parse_id(&ids.0)?, parse_id(&ids.1)?).await?;
    let dto = |r: &quan_core::ReceiptRecord| ReceiptDto {
        account_id: r.account_id.to_string(),
        display_name: r.display_name.clone(),
        read_at: r.read_at.map(|t| t.millis()),
    };
    let (read, unread): (Vec<_>, Vec<_>) = all.iter().partition(|r| r.read_at.is_some());
    Ok(Json(ReceiptsDto {
        read: read.into_iter().map(dto).collect(),
        unread: unread.into_iter().map(dto).collect(),
    }))
}

/// Daily check-in (打卡); checking in twice a day changes nothing.
#[utoipa::path(post, path = "/api/v1/circles/{circle_id}/checkins", tag = "circles", params(("circle_id" = String, Path)),
    security(("bearer" = []), ("session" = [])), responses((status = 200, body = CheckinDto), (status = 403, body = Problem)))]
pub async fn check_in(
    State(st): State<AppState>,
    Auth(actor): Auth,
    Path(id): Path<String>,
) -> ApiResult<Json<CheckinDto>> {
    let (s, checked_in) = board::checkin(&st.svc, &actor, parse_id(&id)?).await?;
    Ok(Json(CheckinDto {
        standing: StreakDto::from(&s),
        checked_in,
    }))
}

/// Members by current check-in streak.
#[utoipa::path(get, path = "/api/v1/circles/{circle_id}/checkins/leaderboard", tag = "circles", params(("circle_id" = String, Path)),
    security(("bearer" = []), ("session" = [])), responses((status = 200, body = [StreakDto])))]
pub async fn leaderboard(
    State(st): State<AppState>,
    Auth(actor): Auth,
    Path(id): Path<String>,
) -> ApiResult<Json<Vec<StreakDto>>> {
    let board = board::leaderboard(&st.svc, &actor, parse_id(&id)?).await?;
    Ok(Json(board.iter().map(StreakDto::from).collect()))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TaskActionReq {
    /// claim, unclaim, deliver, accept, reject or close.
    pub action: String,
    pub note: Option<String>,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct TaskStepDto {
    /// The state this step moved the task to.
    pub state: String,
    pub account_id: String,
    pub display_name: String,
    pub note: String,
    pub at: i64,
}

impl From<&TaskStepRecord> for TaskStepDto {
    fn from(s: &TaskStepRecord) -> Self {
        Self {
            state: s.state.as_str().into(),
            account_id: s.account_id.to_string(),
            display_name: s.actor_name.clone(),
            note: s.note.clone(),
            at: s.at.millis(),
        }
    }
}

/// One step on a task or need: open → claimed → delivered → accepted / rejected →
/// closed. Only the author or an admin accepts, rejects or closes.
#[utoipa::path(post, path = "/api/v1/circles/{circle_id}/posts/{post_id}/task", tag = "circles", request_body = TaskActionReq,
    params(("circle_id" = String, Path), ("post_id" = String, Path)), security(("bearer" = []), ("session" = [])),
    responses((status = 200, body = PostDto), (status = 403, body = Problem), (status = 409, body = Problem)))]
pub async fn task_action(
    State(st): State<AppState>,
    Auth(actor): Auth,
    Path(ids): Path<(String, String)>,
    ApiJson(req): ApiJson<TaskActionReq>,
) -> ApiResult<Json<PostDto>> {
    let action = TaskAction::parse(&req.action)?;
    let p = board::task_action(
        &st.svc,
        &actor,
        parse_id(&ids.0)?,
        parse_id(&ids.1)?,
        action,
        req.note.as_deref().unwrap_or(""),
    )
    .await?;
    Ok(Json(PostDto::from(&p)))
}

/// The task's history, oldest first.
#[utoipa::path(get, path = "/api/v1/circles/{circle_id}/posts/{post_id}/task", tag = "circles",
    params(("circle_id" = String, Path), ("post_id" = String, Path)), security(("bearer" = []), ("session" = [])),
    responses((status = 200, body = [TaskStepDto]), (status = 404, body = Problem)))]
pub async fn task_steps(
    State(st): State<AppState>,
    Auth(actor): Auth,
    Path(ids): Path<(String, String)>,
) -> ApiResult<Json<Vec<TaskStepDto>>> {
    let all = board::task_steps(&st.svc, &actor, parse_id(&ids.0)?, parse_id(&ids.1)?).await?;
    Ok(Json(all.iter().map(TaskStepDto::from).collect()))
}
