//! Moment endpoints: staff post and read their own moments with the likes and
//! comments on them; customers read their feed, like and comment.

use crate::AppState;
use crate::api::common::{PageQuery, parse_id};
use crate::error::{ApiResult, Problem};
use crate::extract::{ApiJson, ApiQuery, Auth, OrgCtx};
use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use quan_core::reach::moments::{self, FeedMoment, MomentDetail, NewMoment};
use quan_core::{MomentComment, MomentRecord};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_moments, post_moment))
        .routes(routes!(get_moment, delete_moment))
        .routes(routes!(moment_feed))
        .routes(routes!(like_moment, unlike_moment))
        .routes(routes!(comment_moment))
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct MomentDto {
    pub id: String,
    pub org_id: String,
    pub staff_id: String,
    pub staff_name: String,
    pub body: String,
    /// Who sees it: customers with one of these tags; empty, every customer.
    pub tags: Vec<String>,
    pub created_at: i64,
    pub likes: i64,
    pub comments: i64,
    /// Customers whose feed showed it.
    pub views: i64,
    /// Of them, who deleted its author or opted out of moments within 48 h.
    pub negatives: i64,
}

pub(crate) fn moment_dto(m: &MomentRecord) -> MomentDto {
    MomentDto {
        id: m.id.to_string(),
        org_id: m.org_id.to_string(),
        staff_id: m.staff_id.to_string(),
        staff_name: m.staff_name.clone(),
        body: m.body.clone(),
        tags: m.tags.clone(),
        created_at: m.created_at.millis(),
        likes: m.likes,
        comments: m.comments,
        views: m.views,
        negatives: m.negatives,
    }
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct MomentCommentDto {
    pub id: String,
    pub person_id: String,
    pub person_name: String,
    pub body: String,
    pub created_at: i64,
}

fn comment_dto(c: &MomentComment) -> MomentCommentDto {
    MomentCommentDto {
        id: c.id.to_string(),
        person_id: c.person_id.to_string(),
        person_name: c.person_name.clone(),
        body: c.body.clone(),
        created_at: c.created_at.millis(),
    }
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct MomentPageDto {
    pub items: Vec<MomentDto>,
    pub next: Option<String>,
}

/// The caller's moments, newest first.
#[utoipa::path(get, path = "/api/v1/orgs/{org_id}/moments", tag = "reach",
    params(("org_id" = String, Path), PageQuery), security(("bearer" = []), ("session" = [])),
    responses((status = 200, body = MomentPageDto)))]
pub async fn list_moments(
    State(st): State<AppState>,
    ctx: OrgCtx,
    ApiQuery(q): ApiQuery<PageQuery>,
) -> ApiResult<Json<MomentPageDto>> {
    let p = moments::list(&st.svc, &ctx.access, &q.into_request()?).await?;
    Ok(Json(MomentPageDto {
        items: p.items.iter().map(moment_dto).collect(),
        next: p.next,
    }))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MomentReq {
    pub body: String,
    /// Only customers with one of these tags see it; empty or absent, all of them.
    #[serde(default)]
    pub tags: Vec<String>,
}

/// Posts a moment to the caller's customers.
#[utoipa::path(post, path = "/api/v1/orgs/{org_id}/moments", tag = "reach", request_body = MomentReq,
    params(("org_id" = String, Path)), security(("bearer" = []), ("session" = [])),
    responses((status = 201, body = MomentDto), (status = 403, body = Problem), (status = 422, body = Problem)))]
pub async fn post_moment(
    State(st): State<AppState>,
    ctx: OrgCtx,
    ApiJson(req): ApiJson<MomentReq>,
) -> ApiResult<(StatusCode, Json<MomentDto>)> {
    let m = moments::post(
        &st.svc,
        &ctx.access,
        NewMoment {
            body: req.body,
            tags: req.tags,
        },
    )
    .await?;
    Ok((StatusCode::CREATED, Json(moment_dto(&m))))
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct LikeDto {
    pub person_id: String,
    pub person_name: String,
    pub at: i64,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct MomentDetailDto {
    pub moment: MomentDto,
    pub likes: Vec<LikeDto>,
    pub comments: Vec<MomentCommentDto>,
}

pub(crate) fn detail_dto(d: &MomentDetail) -> MomentDetailDto {
    MomentDetailDto {
        moment: moment_dto(&d.moment),
        likes: d
            .likes
            .iter()
            .map(|(p, n, at)| LikeDto {
                person_id: p.to_string(),
                person_name: n.clone(),
                at: at.millis(),
            })
            .collect(),
        comments: d.comments.iter().map(comment_dto).collect(),
    }
}

/// One of the caller's moments with who liked it and the comments: only its author
/// sees them.
#[utoipa::path(get, path = "/api/v1/orgs/{org_id}/moments/{moment_id}", tag = "reach",
    params(("org_id" = String, Path), ("moment_id" = String, Path)), security(("bearer" = []), ("session" = [])),
    responses((status = 200, body = MomentDetailDto), (status = 404, body = Problem)))]
pub async fn get_moment(
    State(st): State<AppState>,
    ctx: OrgCtx,
    Path(ids): Path<(String, String)>,
) -> ApiResult<Json<MomentDetailDto>> {
    let d = moments::get(&st.svc, &ctx.access, parse_id(&ids.1)?).await?;
    Ok(Json(detail_dto(&d)))
}

/// Takes a moment down (its author, or an owner, admin or operator).
#[utoipa::path(delete, path = "/api/v1/orgs/{org_id}/moments/{moment_id}", tag = "reach",
    params(("org_id" = String, Path), ("moment_id" = String, Path)), security(("bearer" = []), ("session" = [])),
    responses((status = 204), (status = 403, body = Problem), (status = 404, body = Problem)))]
pub async fn delete_moment(
    State(st): State<AppState>,
    ctx: OrgCtx,
    Path(ids): Path<(String, String)>,
) -> ApiResult<StatusCode> {
    moments::delete(&st.svc, &ctx.access, parse_id(&ids.1)?).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// A moment as its customer sees it: no tags (how the org labels them is not theirs
/// to read) and no counts (other customers' likes and comments are the author's).
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct FeedMomentDto {
    pub id: String,
    pub org_id: String,
    pub org_name: String,
    pub staff_name: String,
    pub body: String,
    pub created_at: i64,
    pub liked: bool,
    /// The caller's own comments (no one else's: customers never see each other).
    pub mine: Vec<MomentCommentDto>,
}

pub(crate) fn feed_dto(f: &FeedMoment) -> FeedMomentDto {
    FeedMomentDto {
        id: f.moment.id.to_string(),
        org_id: f.moment.org_id.to_string(),
        org_name: f.org_name.clone(),
        staff_name: f.moment.staff_name.clone(),
        body: f.moment.body.clone(),
        created_at: f.moment.created_at.millis(),
        liked: f.liked,
        mine: f.mine.iter().map(comment_dto).collect(),
    }
}

/// The caller's moments feed: their staff's moments in every org, at most three a
/// day per org, newest first.
#[utoipa::path(get, path = "/api/v1/me/moments", tag = "reach", security(("bearer" = []), ("session" = [])),
    responses((status = 200, body = [FeedMomentDto])))]
pub async fn moment_feed(
    State(st): State<AppState>,
    Auth(actor): Auth,
) -> ApiResult<Json<Vec<FeedMomentDto>>> {
    let all = moments::feed(&st.svc, &actor).await?;
    Ok(Json(all.iter().map(feed_dto).collect()))
}

/// Likes a moment in the caller's feed.
#[utoipa::path(put, path = "/api/v1/me/moments/{moment_id}/like", tag = "reach",
    params(("moment_id" = String, Path)), security(("bearer" = []), ("session" = [])),
    responses((status = 204), (status = 404, body = Problem)))]
pub async fn like_moment(
    State(st): State<AppState>,
    Auth(actor): Auth,
    Path(id): Path<String>,
) -> ApiResult<StatusCode> {
    moments::like(&st.svc, &actor, parse_id(&id)?, true).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Takes the caller's like back.
#[utoipa::path(delete, path = "/api/v1/me/moments/{moment_id}/like", tag = "reach",
    params(("moment_id" = String, Path)), security(("bearer" = []), ("session" = [])),
    responses((status = 204), (status = 404, body = Problem)))]
pub async fn unlike_moment(
    State(st): State<AppState>,
    Auth(actor): Auth,
    Path(id): Path<String>,
) -> ApiResult<StatusCode> {
    moments::like(&st.svc, &actor, parse_id(&id)?, false).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MomentCommentReq {
    pub body: String,
}

/// Comments on a moment in the caller's feed; only its author sees it.
#[utoipa::path(post, path = "/api/v1/me/moments/{moment_id}/comments", tag = "reach", request_body = MomentCommentReq,
    params(("moment_id" = String, Path)), security(("bearer" = []), ("session" = [])),
    responses((status = 201, body = MomentCommentDto), (status = 404, body = Problem), (status = 422, body = Problem),
        (status = 429, body = Problem, description = "more than five comments a minute on one moment")))]
pub async fn comment_moment(
    State(st): State<AppState>,
    Auth(actor): Auth,
    Path(id): Path<String>,
    ApiJson(req): ApiJson<MomentCommentReq>,
) -> ApiResult<(StatusCode, Json<MomentCommentDto>)> {
    let c = moments::comment(&st.svc, &actor, parse_id(&id)?, &req.body).await?;
    Ok((StatusCode::CREATED, Json(comment_dto(&c))))
}
