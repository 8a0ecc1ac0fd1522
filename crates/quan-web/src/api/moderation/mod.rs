//! Moderation endpoints: pin and delete, reports and the review queue, the public
//! log, mutes and bans, sensitive words.

use crate::AppState;
use crate::api::circles::posts::PostDto;
use crate::api::common::{PageQuery, bounded_cursor, parse_id};
use crate::error::{ApiResult, Problem};
use crate::extract::{ApiJson, ApiQuery, Auth, OrgCtx};
use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use quan_core::moderation::guard;
use quan_core::{ModLogRecord, PageRequest, QueueItem, ReportRecord, SanctionRecord, moderation};
use quan_domain::{ReportReason, ReportStatus, SanctionKind, WordAction};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(delete_post))
        .routes(routes!(pin_post, unpin_post))
        .routes(routes!(report_post))
        .routes(routes!(queue))
        .routes(routes!(resolve))
        .routes(routes!(mod_log))
        .routes(routes!(list_sanctions))
        .routes(routes!(set_sanction, lift_sanction))
        .routes(routes!(list_words, set_word))
        .routes(routes!(delete_word))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct ReasonQuery {
    /// Why (shown in the public moderation log when a moderator acts).
    pub reason: Option<String>,
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

/// Pins a post to the top of the circle (moderators).
#[utoipa::path(put, path = "/api/v1/circles/{circle_id}/posts/{post_id}/pin", tag = "circles",
    params(("circle_id" = String, Path), ("post_id" = String, Path)), security(("bearer" = []), ("session" = [])),
    responses((status = 204), (status = 403, body = Problem), (status = 404, body = Problem),
        (status = 409, description = "The circle already has the most pinned posts", body = Problem)))]
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
pub struct ReportReq {
    /// spam, abuse, illegal, off_topic or other.
    pub reason: String,
    pub note: Option<String>,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
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

#[derive(Debug, Serialize, Deserialize, ToSchema)]
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

#[derive(Debug, Serialize, Deserialize, ToSchema)]
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

#[derive(Debug, Serialize, Deserialize, ToSchema)]
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

#[derive(Debug, Serialize, Deserialize, ToSchema)]
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

#[derive(Debug, Serialize, Deserialize, ToSchema)]
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
    security(("bearer" = []), ("session" = [])), responses((status = 204), (status = 404, body = Problem),
        (status = 422, description = "The sanction kind in the path is not a valid one", body = Problem)))]
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
    responses((status = 204), (status = 404, body = Problem), (status = 422, description = "The word in the path is not a valid one", body = Problem)))]
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
