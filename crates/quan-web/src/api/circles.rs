//! Circle endpoints: circles of an org, my circles, joining, members, posts, feed.

use super::identity::{PageQuery, parse_id};
use crate::AppState;
use crate::error::{ApiError, ApiResult, Problem};
use crate::extract::{ApiJson, ApiQuery, Auth, OrgCtx};
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::routing::{get, post};
use axum::{Json, Router};
use quan_core::CommentRecord;
use quan_core::access;
use quan_core::circles::board;
use quan_core::circles::feed;
use quan_core::circles::posts;
use quan_core::circles::posts::NewPost;
use quan_core::circles::{self as uc, NewCircle};
use quan_core::{
    CircleMemberRecord, CircleRecord, FeedSort, MemberStatus, PageRequest, PostRecord,
};
use quan_domain::{CircleRole, ReactionKind};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

pub fn router() -> Router<AppState> {
    Router::new()
        .route(
            "/orgs/{org_id}/circles",
            get(list_org_circles).post(create_circle),
        )
        .route("/circles", get(my_circles))
        .route("/circles/{circle_id}", get(get_circle))
        .route("/circles/{circle_id}/join", post(join_circle))
        .route("/circles/{circle_id}/members", get(list_members))
        .route(
            "/circles/{circle_id}/members/{account_id}/approve",
            post(approve_member),
        )
        .route(
            "/circles/{circle_id}/members/{account_id}/decline",
            post(decline_member),
        )
        .route("/circles/{circle_id}/posts", post(create_post))
        .route("/circles/{circle_id}/feed", get(feed))
        .route("/circles/{circle_id}/posts/{post_id}", get(get_post))
        .route("/me/privacy", get(get_privacy).put(set_privacy))
        .route(
            "/circles/{circle_id}/rooms",
            get(list_rooms).post(create_room),
        )
        .route(
            "/circles/{circle_id}/posts/{post_id}/receipts",
            get(notice_receipts),
        )
        .route("/circles/{circle_id}/checkins", post(check_in))
        .route(
            "/circles/{circle_id}/checkins/leaderboard",
            get(leaderboard),
        )
        .route(
            "/circles/{circle_id}/rooms/{room_id}/messages",
            get(list_messages).post(send_message),
        )
        .route("/circles/{circle_id}/rooms/{room_id}/read", post(mark_read))
        .route(
            "/circles/{circle_id}/rooms/{room_id}/messages/{message_id}/promote",
            post(promote_message),
        )
        .route(
            "/circles/{circle_id}/posts/{post_id}/comments",
            post(create_comment),
        )
        .route(
            "/circles/{circle_id}/posts/{post_id}/reactions/{kind}",
            axum::routing::put(add_reaction).delete(remove_reaction),
        )
}

#[derive(Debug, Serialize, ToSchema)]
pub struct CircleDto {
    pub id: String,
    pub org_id: String,
    pub name: String,
    pub description: String,
    /// internal, teaching, business or community.
    pub mode: String,
    /// open, approval, invite, org_members or paid.
    pub join_policy: String,
    /// all_members or staff.
    pub posting: String,
    pub forwarding: bool,
    pub read_receipts: bool,
    pub public: bool,
    pub member_count: i64,
    pub created_at: i64,
    /// The caller's role in the circle, if a member.
    pub my_role: Option<String>,
    /// Discovery quality (recomputed hourly).
    pub quality_score: f64,
    /// Discovery's review gate: none, pending, approved (boosted) or rejected.
    pub boost_status: String,
    /// Where the cover image is served, if the circle has one.
    pub cover_url: Option<String>,
    pub tags: Vec<String>,
}

pub(crate) fn circle_dto(c: &CircleRecord, my_role: Option<CircleRole>) -> CircleDto {
    CircleDto {
        id: c.id.to_string(),
        org_id: c.org_id.to_string(),
        name: c.name.clone(),
        description: c.description.clone(),
        mode: c.mode.as_str().into(),
        join_policy: c.join_policy.as_str().into(),
        posting: c.posting.as_str().into(),
        forwarding: c.forwarding,
        read_receipts: c.read_receipts,
        public: c.public,
        member_count: c.member_count,
        created_at: c.created_at.millis(),
        my_role: my_role.map(|r| r.as_str().into()),
        quality_score: c.quality_score,
        boost_status: c.boost_status.as_str().into(),
        cover_url: c.cover_image_id.map(super::circle_ops::image_url),
        tags: c.tags.clone(),
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct CirclePage {
    pub items: Vec<CircleDto>,
    pub next: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct MemberDto {
    pub account_id: String,
    pub person_id: String,
    pub display_name: String,
    pub role: String,
    /// active or pending.
    pub status: String,
    /// Member types (not exclusive).
    pub types: Vec<String>,
    pub joined_at: i64,
    /// When the member got their current role (ms): moderators appointed earlier
    /// outrank those appointed later.
    pub role_since: i64,
}

impl From<&CircleMemberRecord> for MemberDto {
    fn from(m: &CircleMemberRecord) -> Self {
        let types = [
            (m.is_member, "member"),
            (m.is_customer, "customer"),
            (m.is_fan, "fan"),
        ]
        .iter()
        .filter(|(on, _)| *on)
        .map(|(_, t)| (*t).to_owned())
        .collect();
        Self {
            account_id: m.account_id.to_string(),
            person_id: m.person_id.to_string(),
            display_name: m.display_name.clone(),
            role: m.role.as_str().into(),
            status: m.status.as_str().into(),
            types,
            joined_at: m.joined_at.millis(),
            role_since: m.role_since.millis(),
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct MemberPage {
    pub items: Vec<MemberDto>,
    pub next: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct JoinDto {
    /// active, or pending when the circle's admins approve joins.
    pub status: String,
}

#[derive(Debug, Serialize, ToSchema)]
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
    /// Topic tags.
    pub tags: Vec<String>,
    /// The caller's own reactions (filled in feeds). Keep this the last field: cached
    /// feed pages splice each reader's reactions into the serialised tail.
    pub my_reactions: Vec<String>,
}

#[derive(Debug, Serialize, ToSchema)]
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
                .map(|i| super::circle_ops::image_url(*i))
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

#[derive(Debug, Serialize, ToSchema)]
pub struct PostPage {
    pub items: Vec<PostDto>,
    pub next: Option<String>,
    /// Pinned posts (up to 5), on the first page only.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub pinned: Vec<PostDto>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateCircleReq {
    pub name: String,
    pub description: Option<String>,
    /// internal, teaching, business or community.
    pub mode: String,
    /// Overrides the mode's default join policy.
    pub join_policy: Option<String>,
    /// Overrides the mode's default; internal circles are never public.
    pub public: Option<bool>,
    /// Up to five tags, each 1–20 characters.
    #[serde(default)]
    pub tags: Vec<String>,
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

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct MembersQuery {
    /// active (default) or pending.
    pub status: Option<String>,
    pub after: Option<String>,
    pub limit: Option<u32>,
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct FeedQuery {
    /// new (default), hot, top or active.
    pub sort: Option<String>,
    /// For `top`: day, week (default), month or all.
    pub period: Option<String>,
    /// Only posts with this topic tag, newest first (`sort` does not apply).
    pub tag: Option<String>,
    pub after: Option<String>,
    pub limit: Option<u32>,
}

pub(crate) fn bounded_cursor(after: Option<String>) -> ApiResult<Option<String>> {
    match after {
        Some(a)
            if a.len() > 80
                || !a
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || "-./+e".contains(c)) =>
        {
            Err(ApiError::bad_request(
                "invalid_cursor",
                "the cursor is malformed",
            ))
        }
        other => Ok(other),
    }
}

/// Creates a circle in an org from its mode's preset.
#[utoipa::path(post, path = "/api/v1/orgs/{org_id}/circles", tag = "circles", request_body = CreateCircleReq,
    params(("org_id" = String, Path)), security(("bearer" = []), ("session" = [])),
    responses((status = 201, body = CircleDto), (status = 403, body = Problem), (status = 422, body = Problem)))]
pub async fn create_circle(
    State(st): State<AppState>,
    ctx: OrgCtx,
    ApiJson(req): ApiJson<CreateCircleReq>,
) -> ApiResult<(StatusCode, Json<CircleDto>)> {
    let n = NewCircle::parse(
        &req.name,
        req.description.as_deref(),
        &req.mode,
        req.join_policy.as_deref(),
        req.public,
    )?
    .with_tags(&req.tags)?;
    let c = uc::create_circle(&st.svc, &ctx.access, n).await?;
    Ok((
        StatusCode::CREATED,
        Json(circle_dto(&c, Some(CircleRole::Owner))),
    ))
}

/// Every circle of an org (for its staff).
#[utoipa::path(get, path = "/api/v1/orgs/{org_id}/circles", tag = "circles", params(("org_id" = String, Path), PageQuery),
    security(("bearer" = []), ("session" = [])), responses((status = 200, body = CirclePage)))]
pub async fn list_org_circles(
    State(st): State<AppState>,
    ctx: OrgCtx,
    ApiQuery(q): ApiQuery<PageQuery>,
) -> ApiResult<Json<CirclePage>> {
    let page = uc::list_org_circles(&st.svc, &ctx.access, &q.into_request()?).await?;
    Ok(Json(CirclePage {
        items: page.items.iter().map(|c| circle_dto(c, None)).collect(),
        next: page.next,
    }))
}

/// The circles the caller is an active member of.
#[utoipa::path(get, path = "/api/v1/circles", tag = "circles", security(("bearer" = []), ("session" = [])),
    responses((status = 200, body = [CircleDto])))]
pub async fn my_circles(
    State(st): State<AppState>,
    Auth(actor): Auth,
) -> ApiResult<Json<Vec<CircleDto>>> {
    let all = uc::my_circles(&st.svc, &actor).await?;
    Ok(Json(
        all.iter().map(|(c, r)| circle_dto(c, Some(*r))).collect(),
    ))
}

#[utoipa::path(get, path = "/api/v1/circles/{circle_id}", tag = "circles", params(("circle_id" = String, Path)),
    security(("bearer" = []), ("session" = [])), responses((status = 200, body = CircleDto), (status = 404, body = Problem)))]
pub async fn get_circle(
    State(st): State<AppState>,
    Auth(actor): Auth,
    Path(id): Path<String>,
) -> ApiResult<Json<CircleDto>> {
    let v = access::view(&st.svc, &actor, parse_id(&id)?).await?;
    let role = v
        .membership
        .as_ref()
        .filter(|m| m.status == MemberStatus::Active)
        .map(|m| m.role);
    Ok(Json(circle_dto(&v.circle, role)))
}

/// Joins by the circle's policy (open, approval, org members only; invite and paid
/// circles refuse with their own codes).
#[utoipa::path(post, path = "/api/v1/circles/{circle_id}/join", tag = "circles", params(("circle_id" = String, Path)),
    security(("bearer" = []), ("session" = [])),
    responses((status = 200, body = JoinDto), (status = 402, body = Problem), (status = 403, body = Problem), (status = 409, body = Problem)))]
pub async fn join_circle(
    State(st): State<AppState>,
    Auth(actor): Auth,
    Path(id): Path<String>,
) -> ApiResult<Json<JoinDto>> {
    let status = uc::join(&st.svc, &actor, parse_id(&id)?).await?;
    Ok(Json(JoinDto {
        status: status.as_str().into(),
    }))
}

#[utoipa::path(get, path = "/api/v1/circles/{circle_id}/members", tag = "circles", params(("circle_id" = String, Path), MembersQuery),
    security(("bearer" = []), ("session" = [])), responses((status = 200, body = MemberPage), (status = 403, body = Problem)))]
pub async fn list_members(
    State(st): State<AppState>,
    Auth(actor): Auth,
    Path(id): Path<String>,
    ApiQuery(q): ApiQuery<MembersQuery>,
) -> ApiResult<Json<MemberPage>> {
    let status = match q.status.as_deref() {
        None | Some("active") => MemberStatus::Active,
        Some("pending") => MemberStatus::Pending,
        Some(_) => {
            return Err(ApiError::bad_request(
                "invalid_status",
                "status is active or pending",
            ));
        }
    };
    let page = PageQuery {
        after: q.after,
        limit: q.limit,
    }
    .into_request()?;
    let page = uc::members(&st.svc, &actor, parse_id(&id)?, status, &page).await?;
    Ok(Json(MemberPage {
        items: page.items.iter().map(MemberDto::from).collect(),
        next: page.next,
    }))
}

/// Approves a pending join request (circle owners and admins, org owners and admins).
#[utoipa::path(post, path = "/api/v1/circles/{circle_id}/members/{account_id}/approve", tag = "circles",
    params(("circle_id" = String, Path), ("account_id" = String, Path)), security(("bearer" = []), ("session" = [])),
    responses((status = 204), (status = 403, body = Problem), (status = 404, body = Problem)))]
pub async fn approve_member(
    State(st): State<AppState>,
    Auth(actor): Auth,
    Path(ids): Path<(String, String)>,
) -> ApiResult<StatusCode> {
    uc::approve(&st.svc, &actor, parse_id(&ids.0)?, parse_id(&ids.1)?).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Declines a pending join request (the same people who approve); the person may
/// ask again.
#[utoipa::path(post, path = "/api/v1/circles/{circle_id}/members/{account_id}/decline", tag = "circles",
    params(("circle_id" = String, Path), ("account_id" = String, Path)), security(("bearer" = []), ("session" = [])),
    responses((status = 204), (status = 403, body = Problem), (status = 404, body = Problem)))]
pub async fn decline_member(
    State(st): State<AppState>,
    Auth(actor): Auth,
    Path(ids): Path<(String, String)>,
) -> ApiResult<StatusCode> {
    uc::decline(&st.svc, &actor, parse_id(&ids.0)?, parse_id(&ids.1)?).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Posts a topic (or notice, task, need) to a circle.
#[utoipa::path(post, path = "/api/v1/circles/{circle_id}/posts", tag = "circles", request_body = CreatePostReq,
    params(("circle_id" = String, Path)), security(("bearer" = []), ("session" = [])),
    responses((status = 201, body = PostDto), (status = 403, body = Problem), (status = 422, body = Problem)))]
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

/// Reads `sort` and `period` into a feed order.
pub(crate) fn parse_sort(
    sort: Option<&str>,
    period: Option<&str>,
    now: quan_domain::Timestamp,
) -> ApiResult<FeedSort> {
    const DAY: i64 = 24 * 3600;
    Ok(match sort {
        None | Some("new") => FeedSort::New,
        Some("hot") => FeedSort::Hot,
        Some("active") => FeedSort::Active,
        Some("top") => {
            let secs = match period {
                Some("day") => DAY,
                None | Some("week") => 7 * DAY,
                Some("month") => 30 * DAY,
                Some("all") => {
                    return Ok(FeedSort::Top {
                        since: quan_domain::Timestamp::from_millis(0),
                    });
                }
                Some(_) => {
                    return Err(ApiError::bad_request(
                        "invalid_period",
                        "period is day, week, month or all",
                    ));
                }
            };
            FeedSort::Top {
                since: now.plus_secs(-secs),
            }
        }
        Some(_) => {
            return Err(ApiError::bad_request(
                "invalid_sort",
                "sort is new, hot, top or active",
            ));
        }
    })
}

/// The circle's feed: `new` (newest first), `hot` (by the stored hot rank), `top`
/// (by score within a period) or `active` (by latest activity).
#[utoipa::path(get, path = "/api/v1/circles/{circle_id}/feed", tag = "circles", params(("circle_id" = String, Path), FeedQuery),
    security(("bearer" = []), ("session" = [])), responses((status = 200, body = PostPage), (status = 404, body = Problem)))]
pub async fn feed(
    State(st): State<AppState>,
    Auth(actor): Auth,
    Path(id): Path<String>,
    ApiQuery(q): ApiQuery<FeedQuery>,
) -> ApiResult<axum::response::Response> {
    use axum::response::IntoResponse;
    let sort = parse_sort(q.sort.as_deref(), q.period.as_deref(), st.svc.clock.now())?;
    let page = PageRequest::new(bounded_cursor(q.after)?, q.limit);
    if let Some(tag) = q.tag {
        let p = feed::tagged(&st.svc, &actor, parse_id(&id)?, &tag, &page).await?;
        return Ok(Json(PostPage {
            items: p.items.iter().map(PostDto::from).collect(),
            next: p.next,
            pinned: Vec::new(),
        })
        .into_response());
    }
    let v = access::view(&st.svc, &actor, parse_id(&id)?).await?;
    let f = feed::feed_read(&st.svc, &v, sort, &page).await?;
    if let Some(c) = &f.cached {
        // Shared page: serialised once, the reader's reactions spliced in.
        let r = c.rendered.get_or_init(|| render_cached(c));
        let body = splice(r, c, &f, page.after.is_none());
        return Ok((
            [(axum::http::header::CONTENT_TYPE, "application/json")],
            body,
        )
            .into_response());
    }
    let pinned = quan_core::circles::posts::pinned_of(&st.svc, &v, sort, &page).await?;
    let fresh = f.fresh.as_ref();
    let items = fresh
        .map(|p| {
            p.items
                .iter()
                .map(|x| {
                    let mut d = PostDto::from(x);
                    d.my_reactions = kinds(&f.mine_of(x.id));
                    d
                })
                .collect()
        })
        .unwrap_or_default();
    Ok(Json(PostPage {
        items,
        next: fresh.and_then(|p| p.next.clone()),
        pinned: pinned.iter().map(PostDto::from).collect(),
    })
    .into_response())
}

/// The closing of a serialised `PostDto` whose reactions are empty: `my_reactions`
/// is its last field, so the reader's own go where `[]}` was.
const EMPTY_MINE_TAIL: &str = "[]}";

fn render_cached(
    c: &quan_core::circles::feed_cache::CachedPage,
) -> quan_core::circles::feed_cache::Rendered {
    let items = c
        .page
        .items
        .iter()
        .map(|p| {
            let mut s = serde_json::to_string(&PostDto::from(p)).unwrap_or_default();
            if s.ends_with(EMPTY_MINE_TAIL) {
                s.truncate(s.len() - EMPTY_MINE_TAIL.len());
            }
            s
        })
        .collect();
    let pinned: Vec<PostDto> = c.pinned.iter().map(PostDto::from).collect();
    quan_core::circles::feed_cache::Rendered {
        items,
        pinned: serde_json::to_string(&pinned).unwrap_or_else(|_| "[]".into()),
    }
}

/// The same bytes `Json(PostPage { .. })` would give, from the cached fragments.
fn splice(
    r: &quan_core::circles::feed_cache::Rendered,
    c: &quan_core::circles::feed_cache::CachedPage,
    f: &feed::FeedRead,
    first: bool,
) -> String {
    let mut out = String::with_capacity(r.items.iter().map(String::len).sum::<usize>() + 256);
    out.push_str("{\"items\":[");
    for (i, (frag, p)) in r.items.iter().zip(&c.page.items).enumerate() {
        if i > 0 {
            out.push(',');
        }
        out.push_str(frag);
        out.push('[');
        for (j, k) in f.mine_of(p.id).iter().enumerate() {
            if j > 0 {
                out.push(',');
            }
            out.push('"');
            out.push_str(k.as_str());
            out.push('"');
        }
        out.push_str("]}");
    }
    out.push_str("],\"next\":");
    out.push_str(&serde_json::to_string(&c.page.next).unwrap_or_else(|_| "null".into()));
    if first && !c.pinned.is_empty() {
        out.push_str(",\"pinned\":");
        out.push_str(&r.pinned);
    }
    out.push('}');
    out
}

#[derive(Debug, Serialize, ToSchema)]
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

#[derive(Debug, Serialize, ToSchema)]
pub struct PostDetailDto {
    pub post: PostDto,
    /// Thread order: each top-level comment followed by its replies.
    pub comments: Vec<CommentDto>,
    pub my_reactions: Vec<String>,
}

#[derive(Debug, Serialize, ToSchema)]
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
    responses((status = 201, body = CommentDto), (status = 403, body = Problem), (status = 404, body = Problem), (status = 422, body = Problem)))]
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
    responses((status = 200, body = ReactionsDto), (status = 403, body = Problem), (status = 404, body = Problem)))]
pub async fn remove_reaction(
    State(st): State<AppState>,
    Auth(actor): Auth,
    Path(ids): Path<(String, String, String)>,
) -> ApiResult<Json<ReactionsDto>> {
    set_reaction(st, actor, ids, false).await
}

async fn set_reaction(
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

#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PrivacyDto {
    /// How far back others may see your posts: all, 3d, 1m or 6m. Older posts are
    /// hidden from others, never deleted.
    pub history_window: String,
}

/// Your privacy settings.
#[utoipa::path(get, path = "/api/v1/me/privacy", tag = "circles", security(("session" = [])), responses((status = 200, body = PrivacyDto)))]
pub async fn get_privacy(
    State(st): State<AppState>,
    Auth(actor): Auth,
) -> ApiResult<Json<PrivacyDto>> {
    let w = feed::history_window(&st.svc, &actor).await?;
    Ok(Json(PrivacyDto {
        history_window: w.as_str().into(),
    }))
}

/// Limits how far back others may see your posts.
#[utoipa::path(put, path = "/api/v1/me/privacy", tag = "circles", request_body = PrivacyDto, security(("session" = [])),
    responses((status = 200, body = PrivacyDto), (status = 422, body = Problem)))]
pub async fn set_privacy(
    State(st): State<AppState>,
    Auth(actor): Auth,
    ApiJson(req): ApiJson<PrivacyDto>,
) -> ApiResult<Json<PrivacyDto>> {
    let w = quan_domain::HistoryWindow::parse(&req.history_window)?;
    feed::set_history_window(&st.svc, &actor, w).await?;
    Ok(Json(PrivacyDto {
        history_window: w.as_str().into(),
    }))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct RoomDto {
    pub id: String,
    pub name: String,
    pub is_default: bool,
    /// Messages by others since your read position.
    pub unread: i64,
    /// Subscribe to this WebSocket topic for live messages.
    pub topic: String,
}

#[derive(Debug, Serialize, ToSchema)]
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
            image: m.image_id.map(super::circle_ops::image_url),
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
pub struct ReadReq {
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
#[utoipa::path(post, path = "/api/v1/circles/{circle_id}/rooms/{room_id}/read", tag = "chat", request_body = ReadReq,
    params(("circle_id" = String, Path), ("room_id" = String, Path)), security(("bearer" = []), ("session" = [])),
    responses((status = 204), (status = 404, body = Problem)))]
pub async fn mark_read(
    State(st): State<AppState>,
    Auth(actor): Auth,
    Path(ids): Path<(String, String)>,
    ApiJson(req): ApiJson<ReadReq>,
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

#[derive(Debug, Serialize, ToSchema)]
pub struct ReceiptDto {
    pub account_id: String,
    pub display_name: String,
    pub read_at: Option<i64>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ReceiptsDto {
    pub read: Vec<ReceiptDto>,
    pub unread: Vec<ReceiptDto>,
}

#[derive(Debug, Serialize, ToSchema)]
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

#[derive(Debug, Serialize, ToSchema)]
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
