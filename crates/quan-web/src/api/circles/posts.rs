//! Post endpoints: write, read with comments, comment, react, edit with history.

use crate::AppState;
use crate::api::common::parse_id;
use crate::error::{ApiError, ApiResult, Problem};
use crate::extract::{ApiJson, Auth};
use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use quan_core::circles::posts;
use quan_core::circles::posts::NewPost;
use quan_core::{CommentRecord, PostRecord};
use quan_domain::ReactionKind;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(create_post))
        .routes(routes!(get_post, edit_post))
        .routes(routes!(create_comment))
        .routes(routes!(add_reaction, remove_reaction))
        .routes(routes!(post_edits))
}

// Deserialize too: the test kit's typed calls read answers back into these types.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct PostDto {
    pub id: String,
    pub circle_id: String,
    pub kind: String,
    pub title: String,
    /// Markdown source.
    pub body: String,
    pub author: AuthorDto,
    pub score: i64,
    pub comment_count: i64,
    pub hot_rank: f64,
    pub created_at: i64,
    pub last_activity_at: i64,
    pub pinned: bool,
    /// When the post was last edited (its history: `.../edits`).
    pub edited_at: Option<i64>,
    /// Hidden pending review: shown only to its author and to moderators.
    pub hidden: bool,
    /// For tasks and needs: open, claimed, delivered, accepted, rejected or closed.
    pub task_state: Option<String>,
    /// The account that claimed the task.
    pub task_assignee: Option<String>,
    /// all, only (persons with the post's tags) or except.
    pub audience: String,
    /// Attached images, in order (URLs under /api/v1/images).
    pub images: Vec<String>,
    /// Their thumbnails (fit 480 × 480), in the same order, for cards.
    pub thumbs: Vec<String>,
    /// Topic tags.
    pub tags: Vec<String>,
    /// The caller's own reactions (filled in feeds). Keep this the last field: cached
    /// feed pages splice each reader's reactions into the serialised tail.
    pub my_reactions: Vec<String>,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct AuthorDto {
    pub person_id: String,
    pub display_name: String,
}

impl From<&PostRecord> for PostDto {
    fn from(p: &PostRecord) -> Self {
        Self {
            id: p.id.to_string(),
            circle_id: p.circle_id.to_string(),
            kind: p.kind.as_str().into(),
            title: p.title.clone(),
            body: p.body.clone(),
            author: AuthorDto {
                person_id: p.author_person_id.to_string(),
                display_name: p.author_name.clone(),
            },
            score: p.score,
            comment_count: p.comment_count,
            hot_rank: p.hot_rank,
            created_at: p.created_at.millis(),
            last_activity_at: p.last_activity_at.millis(),
            pinned: p.pinned_at.is_some(),
            edited_at: p.edited_at.map(|t| t.millis()),
            hidden: p.hidden_at.is_some(),
            task_state: p.task_state.map(|s| s.as_str().to_owned()),
            task_assignee: p.task_assignee.map(|a| a.to_string()),
            audience: p.audience.as_str().into(),
            images: p
                .images
                .iter()
                .map(|i| crate::api::circles::images::image_url(*i))
                .collect(),
            thumbs: p
                .images
                .iter()
                .map(|i| crate::api::circles::images::thumb_url(*i))
                .collect(),
            tags: p.tags.clone(),
            my_reactions: p
                .my_reactions
                .iter()
                .map(|k| k.as_str().to_owned())
                .collect(),
        }
    }
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct PostPage {
    pub items: Vec<PostDto>,
    pub next: Option<String>,
    /// Pinned posts (up to 5), on the first page only.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub pinned: Vec<PostDto>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreatePostReq {
    /// topic (default), notice, task or need.
    pub kind: Option<String>,
    pub title: String,
    #[serde(default)]
    pub body: String,
    /// all (default), only or except: who of the circle sees the post.
    pub audience: Option<String>,
    /// The person tags `audience` names (up to 20).
    #[serde(default)]
    pub audience_tags: Vec<String>,
    /// Ids of images uploaded to this circle (up to 9), in order.
    #[serde(default)]
    pub images: Vec<String>,
    /// Topic tags (up to 5, each 1–20 characters), e.g. ["新品", "event"].
    #[serde(default)]
    pub tags: Vec<String>,
}

/// Posts a topic (or notice, task, need) to a circle.
#[utoipa::path(post, path = "/api/v1/circles/{circle_id}/posts", tag = "circles", request_body = CreatePostReq,
    params(("circle_id" = String, Path)), security(("bearer" = []), ("session" = [])),
    responses((status = 201, body = PostDto), (status = 403, body = Problem), (status = 422, body = Problem),
        (status = 429, description = "A new member's first-day allowance of posts is used up", body = Problem)))]
pub async fn create_post(
    State(st): State<AppState>,
    Auth(actor): Auth,
    Path(id): Path<String>,
    ApiJson(req): ApiJson<CreatePostReq>,
) -> ApiResult<(StatusCode, Json<PostDto>)> {
    let mut p = NewPost::parse(req.kind.as_deref(), &req.title, &req.body)?.with_tags(&req.tags)?;
    (p.audience, p.audience_tags) =
        quan_core::circles::posts::parse_audience(req.audience.as_deref(), &req.audience_tags)?;
    if req.images.len() > quan_domain::POST_IMAGES_MAX {
        return Err(ApiError::from(quan_domain::ParseError::new(
            "images",
            "too_many",
            "at most 9 images",
        )));
    }
    p.images = req
        .images
        .iter()
        .map(|i| parse_id(i))
        .collect::<ApiResult<Vec<_>>>()?;
    let rec = posts::post(&st.svc, &actor, parse_id(&id)?, p).await?;
    Ok((StatusCode::CREATED, Json(PostDto::from(&rec))))
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct CommentDto {
    pub id: String,
    /// The top-level comment this replies to (threads are two levels deep).
    pub parent_id: Option<String>,
    pub author: AuthorDto,
    pub body: String,
    pub created_at: i64,
}

impl From<&CommentRecord> for CommentDto {
    fn from(c: &CommentRecord) -> Self {
        Self {
            id: c.id.to_string(),
            parent_id: c.parent_id.map(|p| p.to_string()),
            author: AuthorDto {
                person_id: c.author_person_id.to_string(),
                display_name: c.author_name.clone(),
            },
            body: c.body.clone(),
            created_at: c.created_at.millis(),
        }
    }
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct PostDetailDto {
    pub post: PostDto,
    /// Thread order: each top-level comment followed by its replies.
    pub comments: Vec<CommentDto>,
    pub my_reactions: Vec<String>,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct ReactionsDto {
    pub score: i64,
    pub mine: Vec<String>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateCommentReq {
    pub body: String,
    /// Reply to this comment.
    pub parent_id: Option<String>,
}

pub(crate) fn kinds(v: &[ReactionKind]) -> Vec<String> {
    v.iter().map(|k| k.as_str().to_owned()).collect()
}

/// A post with its comments and the caller's reactions.
#[utoipa::path(get, path = "/api/v1/circles/{circle_id}/posts/{post_id}", tag = "circles",
    params(("circle_id" = String, Path), ("post_id" = String, Path)), security(("bearer" = []), ("session" = [])),
    responses((status = 200, body = PostDetailDto), (status = 404, body = Problem)))]
pub async fn get_post(
    State(st): State<AppState>,
    Auth(actor): Auth,
    Path(ids): Path<(String, String)>,
) -> ApiResult<Json<PostDetailDto>> {
    let pv = posts::get_post(&st.svc, &actor, parse_id(&ids.0)?, parse_id(&ids.1)?).await?;
    Ok(Json(PostDetailDto {
        post: PostDto::from(&pv.post),
        comments: pv.comments.iter().map(CommentDto::from).collect(),
        my_reactions: kinds(&pv.my_reactions),
    }))
}

/// Comments on a post, or replies to a comment.
#[utoipa::path(post, path = "/api/v1/circles/{circle_id}/posts/{post_id}/comments", tag = "circles", request_body = CreateCommentReq,
    params(("circle_id" = String, Path), ("post_id" = String, Path)), security(("bearer" = []), ("session" = [])),
    responses((status = 201, body = CommentDto), (status = 403, body = Problem), (status = 404, body = Problem), (status = 422, body = Problem),
        (status = 429, description = "A new member's first-day allowance of comments is used up", body = Problem)))]
pub async fn create_comment(
    State(st): State<AppState>,
    Auth(actor): Auth,
    Path(ids): Path<(String, String)>,
    ApiJson(req): ApiJson<CreateCommentReq>,
) -> ApiResult<(StatusCode, Json<CommentDto>)> {
    let parent = req.parent_id.as_deref().map(parse_id).transpose()?;
    let c = posts::comment(
        &st.svc,
        &actor,
        parse_id(&ids.0)?,
        parse_id(&ids.1)?,
        &req.body,
        parent,
    )
    .await?;
    Ok((StatusCode::CREATED, Json(CommentDto::from(&c))))
}

/// Adds one of the caller's reactions (like, heart, laugh, wow, clap, tea); adding it
/// again changes nothing.
#[utoipa::path(put, path = "/api/v1/circles/{circle_id}/posts/{post_id}/reactions/{kind}", tag = "circles",
    params(("circle_id" = String, Path), ("post_id" = String, Path), ("kind" = String, Path)), security(("bearer" = []), ("session" = [])),
    responses((status = 200, body = ReactionsDto), (status = 403, body = Problem), (status = 404, body = Problem), (status = 422, body = Problem)))]
pub async fn add_reaction(
    State(st): State<AppState>,
    Auth(actor): Auth,
    Path(ids): Path<(String, String, String)>,
) -> ApiResult<Json<ReactionsDto>> {
    set_reaction(st, actor, ids, true).await
}

/// Removes one of the caller's reactions.
#[utoipa::path(delete, path = "/api/v1/circles/{circle_id}/posts/{post_id}/reactions/{kind}", tag = "circles",
    params(("circle_id" = String, Path), ("post_id" = String, Path), ("kind" = String, Path)), security(("bearer" = []), ("session" = [])),
    responses((status = 200, body = ReactionsDto), (status = 403, body = Problem), (status = 404, body = Problem),
        (status = 422, description = "The reaction kind in the path is not a valid one", body = Problem)))]
pub async fn remove_reaction(
    State(st): State<AppState>,
    Auth(actor): Auth,
    Path(ids): Path<(String, String, String)>,
) -> ApiResult<Json<ReactionsDto>> {
    set_reaction(st, actor, ids, false).await
}

pub(crate) async fn set_reaction(
    st: AppState,
    actor: quan_core::access::Actor,
    ids: (String, String, String),
    on: bool,
) -> ApiResult<Json<ReactionsDto>> {
    let kind = ReactionKind::parse(&ids.2)?;
    let (score, mine) = posts::react(
        &st.svc,
        &actor,
        parse_id(&ids.0)?,
        parse_id(&ids.1)?,
        kind,
        on,
    )
    .await?;
    Ok(Json(ReactionsDto {
        score,
        mine: kinds(&mine),
    }))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct EditPostReq {
    pub title: String,
    #[serde(default)]
    pub body: String,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
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
