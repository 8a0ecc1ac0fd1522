//! Endpoints for running circles (invite links, editing, pinning and deleting posts,
//! the task board, reports, the review queue, mutes and bans, the moderation log,
//! sensitive words) and for persons (profile, tags, merge and undo).

use super::circles::{PostDto, bounded_cursor};
use super::identity::{PageQuery, parse_id};
use crate::AppState;
use crate::error::{ApiResult, Problem};
use crate::extract::{ApiJson, ApiQuery, Auth, OrgCtx};
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::routing::{delete, get, post, put};
use axum::{Json, Router};
use quan_core::circles::admin;
use quan_core::circles::board;
use quan_core::circles::images;
use quan_core::circles::invites;
use quan_core::circles::invites::NewCircleInvite;
use quan_core::circles::posts;
use quan_core::moderation;
use quan_core::moderation::guard;
use quan_core::persons;
use quan_core::{
    CircleInviteRecord, MergeRecord, ModLogRecord, PageRequest, QueueItem, ReportRecord,
    SanctionRecord, TaskStepRecord,
};
use quan_domain::{ReportReason, ReportStatus, SanctionKind, TaskAction, WordAction};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

pub fn router() -> Router<AppState> {
    Router::new()
        .route(
            "/circles/{circle_id}/invites",
            get(list_invites).post(create_invite),
        )
        .route(
            "/circles/{circle_id}/invites/{invite_id}",
            delete(revoke_invite),
        )
        .route("/circle-invites/{code}", get(preview_invite))
        .route("/circle-invites/{code}/accept", post(accept_invite))
        .route(
            "/circles/{circle_id}/posts/{post_id}",
            axum::routing::patch(edit_post).delete(delete_post),
        )
        .route(
            "/circles/{circle_id}/posts/{post_id}/edits",
            get(post_edits),
        )
        .route(
            "/circles/{circle_id}/posts/{post_id}/pin",
            put(pin_post).delete(unpin_post),
        )
        .route(
            "/circles/{circle_id}/posts/{post_id}/task",
            get(task_steps).post(task_action),
        )
        .route(
            "/circles/{circle_id}/posts/{post_id}/reports",
            post(report_post),
        )
        .route("/circles/{circle_id}/moderation/queue", get(queue))
        .route(
            "/circles/{circle_id}/moderation/queue/{post_id}",
            post(resolve),
        )
        .route("/circles/{circle_id}/moderation/log", get(mod_log))
        .route("/circles/{circle_id}/sanctions", get(list_sanctions))
        .route(
            "/circles/{circle_id}/sanctions/{account_id}/{kind}",
            put(set_sanction).delete(lift_sanction),
        )
        .route(
            "/orgs/{org_id}/sensitive-words",
            get(list_words).post(set_word),
        )
        .route("/orgs/{org_id}/sensitive-words/{word}", delete(delete_word))
        .route(
            "/orgs/{org_id}/persons/{person_id}/profile",
            get(person_profile),
        )
        .route("/orgs/{org_id}/persons/{person_id}/tags", post(add_tag))
        .route(
            "/orgs/{org_id}/persons/{person_id}/tags/{tag}",
            delete(remove_tag),
        )
        .route(
            "/orgs/{org_id}/persons/{person_id}/merge",
            post(merge_person),
        )
        .route("/orgs/{org_id}/merges/{merge_id}/undo", post(undo_merge))
        .route(
            "/circles/{circle_id}/settings",
            axum::routing::patch(edit_circle),
        )
        .route(
            "/circles/{circle_id}/members/{account_id}",
            axum::routing::patch(update_member),
        )
        .route("/discover", get(discover))
        .route("/discover/log", get(boost_log))
        .route("/circles/{circle_id}/boost-request", post(request_boost))
        .route("/orgs/{org_id}/boosts/{circle_id}", post(decide_boost))
        .route("/circles/{circle_id}/images", post(upload_image))
        .route("/images/{image_id}", get(get_image))
        .route("/circles/{circle_id}/search", get(search_circle))
        .route("/search", get(search_org))
        .route("/me/notifications", get(list_notifications))
        .route("/me/notifications/read", post(read_notifications))
        .route("/me/notification-settings", get(notification_settings))
        .route(
            "/me/notification-settings/{kind}",
            put(set_notification_setting),
        )
}

// ---------------------------------------------------------------------------------
// Invite links

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

#[derive(Debug, Serialize, ToSchema)]
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

#[derive(Debug, Serialize, ToSchema)]
pub struct CreatedCircleInviteDto {
    pub invite: CircleInviteDto,
    /// Shown once; only a digest is kept.
    pub code: String,
    /// The page that joins by this code: `/app/join/{code}`.
    pub path: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct InvitePreviewDto {
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
pub async fn create_invite(
    State(st): State<AppState>,
    Auth(actor): Auth,
    Path(id): Path<String>,
    ApiJson(req): ApiJson<CreateCircleInviteReq>,
) -> ApiResult<(StatusCode, Json<CreatedCircleInviteDto>)> {
    let n = NewCircleInvite::parse(req.label.as_deref(), req.max_uses, req.ttl_hours)?;
    let (rec, code) = invites::create_invite(&st.svc, &actor, parse_id(&id)?, n).await?;
    Ok((
        StatusCode::CREATED,
        Json(CreatedCircleInviteDto {
            invite: CircleInviteDto::from(&rec),
            path: format!("/app/join/{code}"),
            code,
        }),
    ))
}

#[utoipa::path(get, path = "/api/v1/circles/{circle_id}/invites", tag = "circles", params(("circle_id" = String, Path)),
    security(("bearer" = []), ("session" = [])), responses((status = 200, body = [CircleInviteDto]), (status = 403, body = Problem)))]
pub async fn list_invites(
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
pub async fn revoke_invite(
    State(st): State<AppState>,
    Auth(actor): Auth,
    Path(ids): Path<(String, String)>,
) -> ApiResult<StatusCode> {
    invites::revoke_invite(&st.svc, &actor, parse_id(&ids.0)?, parse_id(&ids.1)?).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// What an invite code leads to (no sign-in needed: the code is the capability).
#[utoipa::path(get, path = "/api/v1/circle-invites/{code}", tag = "circles", params(("code" = String, Path)),
    responses((status = 200, body = InvitePreviewDto), (status = 404, body = Problem)))]
pub async fn preview_invite(
    State(st): State<AppState>,
    Path(code): Path<String>,
) -> ApiResult<Json<InvitePreviewDto>> {
    let (c, _) = invites::preview_invite(&st.svc, &code).await?;
    Ok(Json(InvitePreviewDto {
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
    responses((status = 200, body = InvitePreviewDto), (status = 403, body = Problem), (status = 404, body = Problem), (status = 409, body = Problem)))]
pub async fn accept_invite(
    State(st): State<AppState>,
    Auth(actor): Auth,
    Path(code): Path<String>,
) -> ApiResult<Json<InvitePreviewDto>> {
    let c = invites::accept_invite(&st.svc, &actor, &code).await?;
    Ok(Json(InvitePreviewDto {
        circle_id: c.id.to_string(),
        name: c.name,
        description: c.description,
        mode: c.mode.as_str().into(),
        member_count: c.member_count + 1,
    }))
}

// ---------------------------------------------------------------------------------
// Post management and the task board

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct EditPostReq {
    pub title: String,
    #[serde(default)]
    pub body: String,
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct ReasonQuery {
    /// Why (shown in the public moderation log when a moderator acts).
    pub reason: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct PostEditDto {
    pub title: String,
    pub body: String,
    pub edited_by: String,
    /// When this version was replaced.
    pub edited_at: i64,
}

/// Edits a post (its author); the previous version is kept in its history.
#[utoipa::path(patch, path = "/api/v1/circles/{circle_id}/posts/{post_id}", tag = "circles", request_body = EditPostReq,
    params(("circle_id" = String, Path), ("post_id" = String, Path)), security(("bearer" = []), ("session" = [])),
    responses((status = 200, body = PostDto), (status = 403, body = Problem), (status = 404, body = Problem), (status = 422, body = Problem)))]
pub async fn edit_post(
    State(st): State<AppState>,
    Auth(actor): Auth,
    Path(ids): Path<(String, String)>,
    ApiJson(req): ApiJson<EditPostReq>,
) -> ApiResult<Json<PostDto>> {
    let p = posts::edit_post(
        &st.svc,
        &actor,
        parse_id(&ids.0)?,
        parse_id(&ids.1)?,
        &req.title,
        &req.body,
    )
    .await?;
    Ok(Json(PostDto::from(&p)))
}

/// Deletes a post (soft): its author, or a moderator (logged with the reason).
#[utoipa::path(delete, path = "/api/v1/circles/{circle_id}/posts/{post_id}", tag = "circles",
    params(("circle_id" = String, Path), ("post_id" = String, Path), ReasonQuery), security(("bearer" = []), ("session" = [])),
    responses((status = 204), (status = 403, body = Problem), (status = 404, body = Problem)))]
pub async fn delete_post(
    State(st): State<AppState>,
    Auth(actor): Auth,
    Path(ids): Path<(String, String)>,
    ApiQuery(q): ApiQuery<ReasonQuery>,
) -> ApiResult<StatusCode> {
    moderation::delete_post(
        &st.svc,
        &actor,
        parse_id(&ids.0)?,
        parse_id(&ids.1)?,
        q.reason.as_deref().unwrap_or(""),
    )
    .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Earlier versions of an edited post, newest first.
#[utoipa::path(get, path = "/api/v1/circles/{circle_id}/posts/{post_id}/edits", tag = "circles",
    params(("circle_id" = String, Path), ("post_id" = String, Path)), security(("bearer" = []), ("session" = [])),
    responses((status = 200, body = [PostEditDto]), (status = 404, body = Problem)))]
pub async fn post_edits(
    State(st): State<AppState>,
    Auth(actor): Auth,
    Path(ids): Path<(String, String)>,
) -> ApiResult<Json<Vec<PostEditDto>>> {
    let all = posts::post_edits(&st.svc, &actor, parse_id(&ids.0)?, parse_id(&ids.1)?).await?;
    Ok(Json(
        all.iter()
            .map(|e| PostEditDto {
                title: e.title.clone(),
                body: e.body.clone(),
                edited_by: e.edited_by.to_string(),
                edited_at: e.edited_at.millis(),
            })
            .collect(),
    ))
}

/// Pins a post to the top of the circle (moderators).
#[utoipa::path(put, path = "/api/v1/circles/{circle_id}/posts/{post_id}/pin", tag = "circles",
    params(("circle_id" = String, Path), ("post_id" = String, Path)), security(("bearer" = []), ("session" = [])),
    responses((status = 204), (status = 403, body = Problem), (status = 404, body = Problem)))]
pub async fn pin_post(
    State(st): State<AppState>,
    Auth(actor): Auth,
    Path(ids): Path<(String, String)>,
) -> ApiResult<StatusCode> {
    moderation::pin_post(&st.svc, &actor, parse_id(&ids.0)?, parse_id(&ids.1)?, true).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[utoipa::path(delete, path = "/api/v1/circles/{circle_id}/posts/{post_id}/pin", tag = "circles",
    params(("circle_id" = String, Path), ("post_id" = String, Path)), security(("bearer" = []), ("session" = [])),
    responses((status = 204), (status = 403, body = Problem), (status = 404, body = Problem)))]
pub async fn unpin_post(
    State(st): State<AppState>,
    Auth(actor): Auth,
    Path(ids): Path<(String, String)>,
) -> ApiResult<StatusCode> {
    moderation::pin_post(&st.svc, &actor, parse_id(&ids.0)?, parse_id(&ids.1)?, false).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TaskActionReq {
    /// claim, unclaim, deliver, accept, reject or close.
    pub action: String,
    pub note: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
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

// ---------------------------------------------------------------------------------
// Reports, the queue, the log

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReportReq {
    /// spam, abuse, illegal, off_topic or other.
    pub reason: String,
    pub note: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ReportResultDto {
    /// The post is now hidden pending review.
    pub hidden: bool,
}

/// Reports a post. Flags weigh by the reporter's trust level and past accuracy; a
/// post whose reports reach the threshold is hidden pending review.
#[utoipa::path(post, path = "/api/v1/circles/{circle_id}/posts/{post_id}/reports", tag = "moderation", request_body = ReportReq,
    params(("circle_id" = String, Path), ("post_id" = String, Path)), security(("bearer" = []), ("session" = [])),
    responses((status = 201, body = ReportResultDto), (status = 404, body = Problem), (status = 409, body = Problem)))]
pub async fn report_post(
    State(st): State<AppState>,
    Auth(actor): Auth,
    Path(ids): Path<(String, String)>,
    ApiJson(req): ApiJson<ReportReq>,
) -> ApiResult<(StatusCode, Json<ReportResultDto>)> {
    let reason = ReportReason::parse(&req.reason)?;
    let out = moderation::report(
        &st.svc,
        &actor,
        parse_id(&ids.0)?,
        parse_id(&ids.1)?,
        reason,
        req.note.as_deref().unwrap_or(""),
    )
    .await?;
    Ok((
        StatusCode::CREATED,
        Json(ReportResultDto {
            hidden: out.hidden_now,
        }),
    ))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ReportDto {
    pub reporter: String,
    pub reason: String,
    pub note: String,
    pub weight: i64,
    pub created_at: i64,
}

impl From<&ReportRecord> for ReportDto {
    fn from(r: &ReportRecord) -> Self {
        Self {
            reporter: r.reporter_name.clone(),
            reason: r.reason.as_str().into(),
            note: r.note.clone(),
            weight: r.weight,
            created_at: r.created_at.millis(),
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct QueueItemDto {
    pub post: PostDto,
    /// Summed weight of the post's reports.
    pub weight: i64,
    pub reports: Vec<ReportDto>,
}

impl From<&QueueItem> for QueueItemDto {
    fn from(q: &QueueItem) -> Self {
        Self {
            post: PostDto::from(&q.post),
            weight: q.report_weight,
            reports: q.reports.iter().map(ReportDto::from).collect(),
        }
    }
}

/// The review queue: hidden and reported posts, heaviest first (moderators).
#[utoipa::path(get, path = "/api/v1/circles/{circle_id}/moderation/queue", tag = "moderation", params(("circle_id" = String, Path)),
    security(("bearer" = []), ("session" = [])), responses((status = 200, body = [QueueItemDto]), (status = 403, body = Problem)))]
pub async fn queue(
    State(st): State<AppState>,
    Auth(actor): Auth,
    Path(id): Path<String>,
) -> ApiResult<Json<Vec<QueueItemDto>>> {
    let items = moderation::queue(&st.svc, &actor, parse_id(&id)?).await?;
    Ok(Json(items.iter().map(QueueItemDto::from).collect()))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ResolveReq {
    /// upheld (remove the post) or dismissed (show it again).
    pub decision: String,
    pub reason: Option<String>,
}

/// Decides a queued post (moderators); logged publicly.
#[utoipa::path(post, path = "/api/v1/circles/{circle_id}/moderation/queue/{post_id}", tag = "moderation", request_body = ResolveReq,
    params(("circle_id" = String, Path), ("post_id" = String, Path)), security(("bearer" = []), ("session" = [])),
    responses((status = 204), (status = 403, body = Problem), (status = 404, body = Problem)))]
pub async fn resolve(
    State(st): State<AppState>,
    Auth(actor): Auth,
    Path(ids): Path<(String, String)>,
    ApiJson(req): ApiJson<ResolveReq>,
) -> ApiResult<StatusCode> {
    let status = ReportStatus::parse(&req.decision)?;
    moderation::resolve(
        &st.svc,
        &actor,
        parse_id(&ids.0)?,
        parse_id(&ids.1)?,
        status,
        req.reason.as_deref().unwrap_or(""),
    )
    .await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ModLogDto {
    pub id: String,
    /// Who acted; absent for automatic actions.
    pub actor: Option<String>,
    /// pin, unpin, delete, auto_hide, hold, remove, restore, mute, ban, unmute, unban.
    pub action: String,
    pub target: String,
    pub reason: String,
    pub at: i64,
}

impl From<&ModLogRecord> for ModLogDto {
    fn from(l: &ModLogRecord) -> Self {
        Self {
            id: l.id.to_string(),
            actor: l.actor_name.clone(),
            action: l.action.clone(),
            target: l.target.clone(),
            reason: l.reason.clone(),
            at: l.at.millis(),
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ModLogPage {
    pub items: Vec<ModLogDto>,
    pub next: Option<String>,
}

/// The circle's public moderation log, newest first.
#[utoipa::path(get, path = "/api/v1/circles/{circle_id}/moderation/log", tag = "moderation", params(("circle_id" = String, Path), PageQuery),
    security(("bearer" = []), ("session" = [])), responses((status = 200, body = ModLogPage), (status = 404, body = Problem)))]
pub async fn mod_log(
    State(st): State<AppState>,
    Auth(actor): Auth,
    Path(id): Path<String>,
    ApiQuery(q): ApiQuery<PageQuery>,
) -> ApiResult<Json<ModLogPage>> {
    let page = PageRequest::new(bounded_cursor(q.after)?, q.limit);
    let page = moderation::mod_log(&st.svc, &actor, parse_id(&id)?, &page).await?;
    Ok(Json(ModLogPage {
        items: page.items.iter().map(ModLogDto::from).collect(),
        next: page.next,
    }))
}

// ---------------------------------------------------------------------------------
// Mutes and bans

#[derive(Debug, Serialize, ToSchema)]
pub struct SanctionDto {
    pub account_id: String,
    pub display_name: String,
    /// mute or ban.
    pub kind: String,
    /// Absent: until lifted.
    pub until: Option<i64>,
    pub reason: String,
    pub created_at: i64,
}

impl From<&SanctionRecord> for SanctionDto {
    fn from(s: &SanctionRecord) -> Self {
        Self {
            account_id: s.account_id.to_string(),
            display_name: s.display_name.clone(),
            kind: s.kind.as_str().into(),
            until: s.until.map(|t| t.millis()),
            reason: s.reason.clone(),
            created_at: s.created_at.millis(),
        }
    }
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SanctionReq {
    /// 1 to 8,760 hours; leave out for "until lifted".
    pub hours: Option<i64>,
    pub reason: Option<String>,
}

/// Mutes and bans in force (moderators).
#[utoipa::path(get, path = "/api/v1/circles/{circle_id}/sanctions", tag = "moderation", params(("circle_id" = String, Path)),
    security(("bearer" = []), ("session" = [])), responses((status = 200, body = [SanctionDto]), (status = 403, body = Problem)))]
pub async fn list_sanctions(
    State(st): State<AppState>,
    Auth(actor): Auth,
    Path(id): Path<String>,
) -> ApiResult<Json<Vec<SanctionDto>>> {
    let all = moderation::sanctions(&st.svc, &actor, parse_id(&id)?).await?;
    Ok(Json(all.iter().map(SanctionDto::from).collect()))
}

/// Mutes (may read, may not write) or bans (removed, may not rejoin) a member.
#[utoipa::path(put, path = "/api/v1/circles/{circle_id}/sanctions/{account_id}/{kind}", tag = "moderation", request_body = SanctionReq,
    params(("circle_id" = String, Path), ("account_id" = String, Path), ("kind" = String, Path, description = "mute or ban")),
    security(("bearer" = []), ("session" = [])),
    responses((status = 200, body = SanctionDto), (status = 403, body = Problem), (status = 404, body = Problem)))]
pub async fn set_sanction(
    State(st): State<AppState>,
    Auth(actor): Auth,
    Path(ids): Path<(String, String, String)>,
    ApiJson(req): ApiJson<SanctionReq>,
) -> ApiResult<Json<SanctionDto>> {
    let kind = SanctionKind::parse(&ids.2)?;
    let s = moderation::sanction(
        &st.svc,
        &actor,
        parse_id(&ids.0)?,
        parse_id(&ids.1)?,
        kind,
        req.hours,
        req.reason.as_deref().unwrap_or(""),
    )
    .await?;
    Ok(Json(SanctionDto::from(&s)))
}

#[utoipa::path(delete, path = "/api/v1/circles/{circle_id}/sanctions/{account_id}/{kind}", tag = "moderation",
    params(("circle_id" = String, Path), ("account_id" = String, Path), ("kind" = String, Path)),
    security(("bearer" = []), ("session" = [])), responses((status = 204), (status = 404, body = Problem)))]
pub async fn lift_sanction(
    State(st): State<AppState>,
    Auth(actor): Auth,
    Path(ids): Path<(String, String, String)>,
) -> ApiResult<StatusCode> {
    let kind = SanctionKind::parse(&ids.2)?;
    moderation::lift_sanction(&st.svc, &actor, parse_id(&ids.0)?, parse_id(&ids.1)?, kind).await?;
    Ok(StatusCode::NO_CONTENT)
}

// ---------------------------------------------------------------------------------
// Sensitive words

#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct WordDto {
    /// 1 to 40 characters; matched case-insensitively anywhere in the text.
    pub word: String,
    /// reject or hold (hidden until reviewed).
    pub action: String,
}

/// The org's sensitive words (owners, admins, operators).
#[utoipa::path(get, path = "/api/v1/orgs/{org_id}/sensitive-words", tag = "moderation", params(("org_id" = String, Path)),
    security(("bearer" = []), ("session" = [])), responses((status = 200, body = [WordDto]), (status = 403, body = Problem)))]
pub async fn list_words(State(st): State<AppState>, ctx: OrgCtx) -> ApiResult<Json<Vec<WordDto>>> {
    let all = guard::words(&st.svc, &ctx.access).await?;
    Ok(Json(
        all.into_iter()
            .map(|(word, a)| WordDto {
                word,
                action: a.as_str().into(),
            })
            .collect(),
    ))
}

/// Adds a word or changes its action.
#[utoipa::path(post, path = "/api/v1/orgs/{org_id}/sensitive-words", tag = "moderation", request_body = WordDto,
    params(("org_id" = String, Path)), security(("bearer" = []), ("session" = [])),
    responses((status = 200, body = WordDto), (status = 403, body = Problem), (status = 422, body = Problem)))]
pub async fn set_word(
    State(st): State<AppState>,
    ctx: OrgCtx,
    ApiJson(req): ApiJson<WordDto>,
) -> ApiResult<Json<WordDto>> {
    let action = WordAction::parse(&req.action)?;
    let word = guard::set_word(&st.svc, &ctx.access, &req.word, action).await?;
    Ok(Json(WordDto {
        word,
        action: action.as_str().into(),
    }))
}

#[utoipa::path(delete, path = "/api/v1/orgs/{org_id}/sensitive-words/{word}", tag = "moderation",
    params(("org_id" = String, Path), ("word" = String, Path)), security(("bearer" = []), ("session" = [])),
    responses((status = 204), (status = 404, body = Problem)))]
pub async fn delete_word(
    State(st): State<AppState>,
    ctx: OrgCtx,
    Path(ids): Path<(String, String)>,
) -> ApiResult<StatusCode> {
    guard::delete_word(&st.svc, &ctx.access, &ids.1).await?;
    Ok(StatusCode::NO_CONTENT)
}

// ---------------------------------------------------------------------------------
// Persons: profile, tags, merges

#[derive(Debug, Serialize, ToSchema)]
pub struct PersonCircleDto {
    pub circle_id: String,
    pub name: String,
    pub mode: String,
    pub role: String,
    pub status: String,
    /// member, customer, fan (not exclusive).
    pub types: Vec<String>,
    pub joined_at: i64,
    /// 0–3, earned from activity in the circle (active memberships only).
    pub trust_level: Option<u8>,
    /// Distinct days the person read the circle.
    pub days_visited: Option<i64>,
    /// Distinct posts the person opened there.
    pub posts_read: Option<i64>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct TimelineDto {
    pub at: i64,
    /// joined, posted, commented, checked_in, merged, merge_undone.
    pub kind: String,
    pub circle_id: Option<String>,
    pub circle_name: String,
    pub text: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct MergeDto {
    pub id: String,
    pub survivor_id: String,
    pub merged_id: String,
    pub merged_name: String,
    /// Absent when the merge was automatic (a shared verified handle).
    pub actor: Option<String>,
    pub reason: String,
    /// What moved: handles, memberships, posts, comments, messages, reactions, tags.
    pub moved: std::collections::BTreeMap<String, usize>,
    pub created_at: i64,
    pub undone_at: Option<i64>,
}

impl From<&MergeRecord> for MergeDto {
    fn from(m: &MergeRecord) -> Self {
        let mv = &m.moves;
        let moved = [
            ("handles", mv.handles.len()),
            ("memberships", mv.memberships.len()),
            ("posts", mv.posts.len()),
            ("comments", mv.comments.len()),
            ("messages", mv.messages.len()),
            ("reactions", mv.reactions.len()),
            ("tags", mv.tags.len()),
        ]
        .into_iter()
        .map(|(k, n)| (k.to_owned(), n))
        .collect();
        Self {
            id: m.id.to_string(),
            survivor_id: m.survivor_id.to_string(),
            merged_id: m.merged_id.to_string(),
            merged_name: m.merged_name.clone(),
            actor: m.actor.map(|a| a.to_string()),
            reason: m.reason.clone(),
            moved,
            created_at: m.created_at.millis(),
            undone_at: m.undone_at.map(|t| t.millis()),
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct PersonProfileDto {
    pub id: String,
    pub display_name: String,
    /// Set when this person was merged into another.
    pub merged_into: Option<String>,
    pub handles: Vec<HandleBrief>,
    pub tags: Vec<String>,
    pub circles: Vec<PersonCircleDto>,
    pub timeline: Vec<TimelineDto>,
    pub merges: Vec<MergeDto>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct HandleBrief {
    pub kind: String,
    pub value: String,
    pub verified: bool,
}

/// One person with their circles (types and roles), tags, merges and timeline.
#[utoipa::path(get, path = "/api/v1/orgs/{org_id}/persons/{person_id}/profile", tag = "persons",
    params(("org_id" = String, Path), ("person_id" = String, Path)), security(("bearer" = []), ("session" = [])),
    responses((status = 200, body = PersonProfileDto), (status = 404, body = Problem)))]
pub async fn person_profile(
    State(st): State<AppState>,
    ctx: OrgCtx,
    Path(ids): Path<(String, String)>,
) -> ApiResult<Json<PersonProfileDto>> {
    let d = persons::detail(&st.svc, &ctx.access, parse_id(&ids.1)?).await?;
    Ok(Json(profile_dto(&d)))
}

pub(crate) fn profile_dto(d: &persons::PersonDetail) -> PersonProfileDto {
    PersonProfileDto {
        id: d.person.id.to_string(),
        display_name: d.person.display_name.clone(),
        merged_into: d.person.merged_into.map(|p| p.to_string()),
        handles: d
            .person
            .handles
            .iter()
            .map(|h| HandleBrief {
                kind: h.kind.as_str().into(),
                value: h.value.clone(),
                verified: h.verified,
            })
            .collect(),
        tags: d.tags.clone(),
        circles: d
            .circles
            .iter()
            .map(|(c, m, a)| PersonCircleDto {
                circle_id: c.id.to_string(),
                name: c.name.clone(),
                mode: c.mode.as_str().into(),
                role: m.role.as_str().into(),
                status: m.status.as_str().into(),
                types: super::circles::MemberDto::from(m).types,
                joined_at: m.joined_at.millis(),
                trust_level: a.map(|a| quan_domain::TrustLevel::of(a).0),
                days_visited: a.map(|a| a.days_visited),
                posts_read: a.map(|a| a.posts_read),
            })
            .collect(),
        timeline: d
            .timeline
            .iter()
            .map(|t| TimelineDto {
                at: t.at.millis(),
                kind: t.kind.clone(),
                circle_id: t.circle_id.map(|c| c.to_string()),
                circle_name: t.circle_name.clone(),
                text: t.text.clone(),
            })
            .collect(),
        merges: d.merges.iter().map(MergeDto::from).collect(),
    }
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TagReq {
    pub tag: String,
}

/// Tags a person (owners, admins, operators, sales).
#[utoipa::path(post, path = "/api/v1/orgs/{org_id}/persons/{person_id}/tags", tag = "persons", request_body = TagReq,
    params(("org_id" = String, Path), ("person_id" = String, Path)), security(("bearer" = []), ("session" = [])),
    responses((status = 204), (status = 403, body = Problem), (status = 422, body = Problem)))]
pub async fn add_tag(
    State(st): State<AppState>,
    ctx: OrgCtx,
    Path(ids): Path<(String, String)>,
    ApiJson(req): ApiJson<TagReq>,
) -> ApiResult<StatusCode> {
    persons::add_tag(&st.svc, &ctx.access, parse_id(&ids.1)?, &req.tag).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[utoipa::path(delete, path = "/api/v1/orgs/{org_id}/persons/{person_id}/tags/{tag}", tag = "persons",
    params(("org_id" = String, Path), ("person_id" = String, Path), ("tag" = String, Path)), security(("bearer" = []), ("session" = [])),
    responses((status = 204), (status = 404, body = Problem)))]
pub async fn remove_tag(
    State(st): State<AppState>,
    ctx: OrgCtx,
    Path(ids): Path<(String, String, String)>,
) -> ApiResult<StatusCode> {
    persons::remove_tag(&st.svc, &ctx.access, parse_id(&ids.1)?, &ids.2).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MergeReq {
    /// The person merged into this one (kept, pointing here, so undo can restore it).
    pub merged_id: String,
    pub reason: Option<String>,
}

/// Merges another person into this one (owners and admins); logged and undoable.
#[utoipa::path(post, path = "/api/v1/orgs/{org_id}/persons/{person_id}/merge", tag = "persons", request_body = MergeReq,
    params(("org_id" = String, Path), ("person_id" = String, Path)), security(("bearer" = []), ("session" = [])),
    responses((status = 201, body = MergeDto), (status = 403, body = Problem), (status = 404, body = Problem), (status = 409, body = Problem)))]
pub async fn merge_person(
    State(st): State<AppState>,
    ctx: OrgCtx,
    Path(ids): Path<(String, String)>,
    ApiJson(req): ApiJson<MergeReq>,
) -> ApiResult<(StatusCode, Json<MergeDto>)> {
    let m = persons::merge(
        &st.svc,
        &ctx.access,
        parse_id(&ids.1)?,
        parse_id(&req.merged_id)?,
        req.reason.as_deref().unwrap_or(""),
    )
    .await?;
    Ok((StatusCode::CREATED, Json(MergeDto::from(&m))))
}

/// Undoes a merge: everything it moved goes back (owners and admins).
#[utoipa::path(post, path = "/api/v1/orgs/{org_id}/merges/{merge_id}/undo", tag = "persons",
    params(("org_id" = String, Path), ("merge_id" = String, Path)), security(("bearer" = []), ("session" = [])),
    responses((status = 204), (status = 404, body = Problem), (status = 409, body = Problem)))]
pub async fn undo_merge(
    State(st): State<AppState>,
    ctx: OrgCtx,
    Path(ids): Path<(String, String)>,
) -> ApiResult<StatusCode> {
    persons::undo_merge(&st.svc, &ctx.access, parse_id(&ids.1)?).await?;
    Ok(StatusCode::NO_CONTENT)
}

// ---------------------------------------------------------------------------------
// Notifications

#[derive(Debug, Serialize, ToSchema)]
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

#[derive(Debug, Serialize, ToSchema)]
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
pub struct ReadReq {
    /// Mark read up to and including this notification; all when absent.
    pub up_to: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ReadDto {
    pub marked: u64,
}

#[utoipa::path(post, path = "/api/v1/me/notifications/read", tag = "notifications", request_body = ReadReq,
    security(("bearer" = []), ("session" = [])), responses((status = 200, body = ReadDto), (status = 422, body = Problem)))]
pub async fn read_notifications(
    State(st): State<AppState>,
    Auth(actor): Auth,
    ApiJson(req): ApiJson<ReadReq>,
) -> ApiResult<Json<ReadDto>> {
    let up_to = req.up_to.as_deref().map(parse_id).transpose()?;
    let marked = quan_core::notify::mark_read(&st.svc, &actor, up_to).await?;
    Ok(Json(ReadDto { marked }))
}

#[derive(Debug, Serialize, ToSchema)]
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

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct SearchQuery {
    /// Words to find (all must match); Chinese works without spaces.
    pub q: String,
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct OrgSearchQuery {
    pub org_id: String,
    pub q: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct SearchHitDto {
    pub post: PostDto,
    pub circle_name: String,
}

/// Searches a circle's titles, bodies and comments (up to 50 newest matches, as the
/// caller may see them).
#[utoipa::path(get, path = "/api/v1/circles/{circle_id}/search", tag = "circles", params(("circle_id" = String, Path), SearchQuery),
    security(("bearer" = []), ("session" = [])), responses((status = 200, body = [PostDto]), (status = 404, body = Problem), (status = 422, body = Problem)))]
pub async fn search_circle(
    State(st): State<AppState>,
    Auth(actor): Auth,
    Path(id): Path<String>,
    ApiQuery(q): ApiQuery<SearchQuery>,
) -> ApiResult<Json<Vec<PostDto>>> {
    let posts = quan_core::search::in_circle(&st.svc, &actor, parse_id(&id)?, &q.q).await?;
    Ok(Json(posts.iter().map(PostDto::from).collect()))
}

/// Searches every circle of an org the caller may see.
#[utoipa::path(get, path = "/api/v1/search", tag = "circles", params(OrgSearchQuery),
    security(("bearer" = []), ("session" = [])), responses((status = 200, body = [SearchHitDto]), (status = 404, body = Problem), (status = 422, body = Problem)))]
pub async fn search_org(
    State(st): State<AppState>,
    Auth(actor): Auth,
    ApiQuery(q): ApiQuery<OrgSearchQuery>,
) -> ApiResult<Json<Vec<SearchHitDto>>> {
    let hits = quan_core::search::in_org(&st.svc, &actor, parse_id(&q.org_id)?, &q.q).await?;
    Ok(Json(
        hits.iter()
            .map(|(p, name)| SearchHitDto {
                post: PostDto::from(p),
                circle_name: name.clone(),
            })
            .collect(),
    ))
}

// ---------------------------------------------------------------------------------
// Images

#[derive(Debug, Serialize, ToSchema)]
pub struct ImageDto {
    pub id: String,
    /// Where to fetch it (the same visibility rules as the post it is attached to).
    pub url: String,
    pub content_type: String,
    pub bytes: i64,
}

/// The path an image is served at.
pub fn image_url(id: quan_domain::ImageId) -> String {
    format!("/api/v1/images/{id}")
}

/// Uploads an image (the request body is the file: PNG, JPEG, GIF or WebP, at most
/// 5 MiB; the type is read from the bytes). Attach it by id when posting.
#[utoipa::path(post, path = "/api/v1/circles/{circle_id}/images", tag = "circles",
    request_body(content = Vec<u8>, content_type = "image/*"),
    params(("circle_id" = String, Path)), security(("bearer" = []), ("session" = [])),
    responses((status = 201, body = ImageDto), (status = 403, body = Problem), (status = 413, body = Problem), (status = 422, body = Problem)))]
pub async fn upload_image(
    State(st): State<AppState>,
    Auth(actor): Auth,
    Path(id): Path<String>,
    body: axum::body::Body,
) -> ApiResult<(StatusCode, Json<ImageDto>)> {
    let circle = parse_id(&id)?;
    let bytes = axum::body::to_bytes(body, quan_domain::IMAGE_MAX_BYTES)
        .await
        .map_err(|_| {
            crate::error::ApiError::new(
                StatusCode::PAYLOAD_TOO_LARGE,
                "too_large",
                "an image is at most 5 MiB",
            )
        })?;
    let img = images::upload_image(&st.svc, &actor, circle, &bytes).await?;
    Ok((
        StatusCode::CREATED,
        Json(ImageDto {
            url: image_url(img.id),
            id: img.id.to_string(),
            content_type: img.content_type,
            bytes: img.bytes,
        }),
    ))
}

/// An image's bytes.
#[utoipa::path(get, path = "/api/v1/images/{image_id}", tag = "circles", params(("image_id" = String, Path)),
    security(("bearer" = []), ("session" = [])), responses((status = 200, content_type = "image/*"), (status = 404, body = Problem)))]
pub async fn get_image(
    State(st): State<AppState>,
    Auth(actor): Auth,
    Path(id): Path<String>,
) -> ApiResult<axum::response::Response> {
    use axum::response::IntoResponse;
    let (content_type, bytes) = images::image_bytes(&st.svc, &actor, parse_id(&id)?).await?;
    Ok((
        [
            (axum::http::header::CONTENT_TYPE, content_type),
            (
                axum::http::header::CACHE_CONTROL,
                "private, max-age=3600".to_owned(),
            ),
            (
                axum::http::header::X_CONTENT_TYPE_OPTIONS,
                "nosniff".to_owned(),
            ),
        ],
        bytes,
    )
        .into_response())
}

// ---------------------------------------------------------------------------------
// Discovery

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct DiscoverQuery {
    /// Only circles with this tag.
    pub tag: Option<String>,
}

/// Public circles: boosted (staff-approved) first, then by quality.
#[utoipa::path(get, path = "/api/v1/discover", tag = "circles", params(DiscoverQuery), security(("bearer" = []), ("session" = [])),
    responses((status = 200, body = [super::circles::CircleDto]), (status = 422, body = Problem)))]
pub async fn discover(
    State(st): State<AppState>,
    Auth(actor): Auth,
    ApiQuery(q): ApiQuery<DiscoverQuery>,
) -> ApiResult<Json<Vec<super::circles::CircleDto>>> {
    let all = quan_core::discovery::discover(&st.svc, &actor, q.tag.as_deref()).await?;
    Ok(Json(
        all.iter()
            .map(|c| super::circles::circle_dto(c, None))
            .collect(),
    ))
}

#[derive(Debug, Serialize, ToSchema)]
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
    responses((status = 200, body = super::circles::CircleDto), (status = 403, body = Problem), (status = 422, body = Problem)))]
pub async fn edit_circle(
    State(st): State<AppState>,
    Auth(actor): Auth,
    Path(id): Path<String>,
    ApiJson(req): ApiJson<EditCircleReq>,
) -> ApiResult<Json<super::circles::CircleDto>> {
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
    Ok(Json(super::circles::circle_dto(&c, None)))
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
    responses((status = 200, body = super::circles::MemberDto), (status = 403, body = Problem), (status = 404, body = Problem), (status = 422, body = Problem)))]
pub async fn update_member(
    State(st): State<AppState>,
    Auth(actor): Auth,
    Path(ids): Path<(String, String)>,
    ApiJson(req): ApiJson<UpdateMemberReq>,
) -> ApiResult<Json<super::circles::MemberDto>> {
    let role = req
        .role
        .as_deref()
        .map(quan_domain::CircleRole::parse)
        .transpose()?;
    let types = match &req.types {
        None => None,
        Some(ts) => {
            if let Some(bad) = ts
                .iter()
                .find(|t| !matches!(t.as_str(), "member" | "customer" | "fan"))
            {
                return Err(quan_domain::ParseError::new(
                    "types",
                    "invalid_member_type",
                    format!("{bad:?} is not one of member, customer, fan"),
                )
                .into());
            }
            let has = |t: &str| ts.iter().any(|x| x == t);
            Some((has("member"), has("customer"), has("fan")))
        }
    };
    let m = admin::update_member(
        &st.svc,
        &actor,
        parse_id(&ids.0)?,
        parse_id(&ids.1)?,
        role,
        types,
    )
    .await?;
    Ok(Json(super::circles::MemberDto::from(&m)))
}
