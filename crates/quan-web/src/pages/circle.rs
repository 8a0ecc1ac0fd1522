//! The member app's home (`/app`, the circles one belongs to) and a circle's page:
//! its feed with the composer, joining, posting (with images) and checking in.

use super::templates::{AppCirclePage, DoorwayPage, Draft, MemberPage};
use super::{
    Chrome, CsrfOnly, PageError, PageResult, check_csrf, form_error, path_id, render, render_form,
    require_user,
};
use crate::AppState;
use crate::error::ApiError;
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Redirect};
use axum::routing::{get, post};
use axum::{Form, Router};
use quan_core::access;
use quan_core::access::AccessError;
use quan_core::circles::board;
use quan_core::circles::feed;
use quan_core::circles::posts;
use quan_core::identity as uc;
use quan_domain::{CircleId, IMAGE_MAX_BYTES, JoinPolicy, POST_IMAGES_MAX, ParseError, parse_tag};
use serde::Deserialize;

pub(crate) fn router() -> Router<AppState> {
    Router::new()
        .route("/app", get(member_app))
        .route("/app/circles/{circle_id}", get(app_circle))
        .route("/app/circles/{circle_id}/join", post(app_circle_join))
        .route(
            "/app/circles/{circle_id}/posts",
            // Up to nine images of 5 MiB each, and the text.
            post(app_circle_post).layer(axum::extract::DefaultBodyLimit::max(
                POST_IMAGES_MAX * IMAGE_MAX_BYTES + 256 * 1024,
            )),
        )
        .route("/app/circles/{circle_id}/checkin", post(app_checkin))
}

async fn member_app(State(st): State<AppState>, c: Chrome) -> PageResult {
    let actor = require_user(&c)?;
    let orgs = uc::my_orgs(&st.svc, actor).await?;
    let circles = quan_core::circles::my_circles(&st.svc, actor)
        .await
        .map_err(ApiError::from)?;
    Ok(render(&MemberPage {
        c: &c,
        orgs: &orgs,
        circles: &circles,
    }))
}

#[derive(Deserialize, Default)]
struct FeedParams {
    sort: Option<String>,
    after: Option<String>,
    /// A topic tag: only posts with it, newest first.
    tag: Option<String>,
}

/// What a paid circle's door offers: its memberships on sale (each SKU a way in).
async fn memberships(
    st: &AppState,
    actor: &access::Actor,
    circle: &quan_core::circles::port::CircleRecord,
) -> Result<Vec<quan_core::commerce::port::ProductRecord>, PageError> {
    Ok(
        quan_core::commerce::catalog::memberships(&st.svc, actor, circle.org_id, circle.id)
            .await
            .map_err(ApiError::from)?,
    )
}

async fn circle_page(
    st: &AppState,
    c: &Chrome,
    id: &str,
    q: &FeedParams,
    error: Option<String>,
    draft: &Draft,
) -> PageResult {
    let actor = require_user(c)?;
    let id = path_id::<CircleId>(id)?;
    let v = match access::view(&st.svc, actor, id).await {
        Ok(v) => v,
        // Not visible: an approval circle's link still opens its door.
        Err(AccessError::NotFound) => {
            let door = quan_core::circles::doorway(&st.svc, actor, id)
                .await
                .map_err(ApiError::from)?;
            let memberships = match &door {
                quan_core::circles::Doorway::Paid { circle } => {
                    memberships(st, actor, circle).await?
                }
                _ => Vec::new(),
            };
            return Ok(render_form(
                &DoorwayPage {
                    c,
                    door: &door,
                    error: error.as_deref(),
                    memberships: &memberships,
                },
                error.is_some(),
            ));
        }
        Err(e) => return Err(ApiError::from(e).into()),
    };
    // An unknown sort in a page link falls back to the newest posts.
    let sort_name = q
        .sort
        .as_deref()
        .filter(|s| matches!(*s, "hot" | "top" | "active"))
        .unwrap_or("new");
    let sort = crate::api::circles::feed::parse_sort(Some(sort_name), None, st.svc.clock.now())?;
    let after = q.after.clone().filter(|a| a.len() <= 80);
    let req = quan_core::PageRequest::new(after, Some(20));
    // A tag that is not a valid tag shows the whole feed rather than an error page.
    let tag = q.tag.as_deref().and_then(|t| parse_tag(t).ok());
    // One visibility check for the whole page; the feed and the board reuse it.
    let page = match &tag {
        Some(t) => feed::tagged(&st.svc, actor, id, t, &req).await,
        None => feed::feed_of(&st.svc, &v, sort, &req).await,
    }
    .map_err(ApiError::from)?;
    let board = board::leaderboard_of(&st.svc, &v)
        .await
        .map_err(ApiError::from)?;
    let mine = board.iter().find(|b| b.account_id == actor.account_id());
    let my_streak = mine.map(|b| b.streak);
    let checked_in_today = mine.is_some_and(|b| b.last_day == board::day_of(st.svc.clock.now()));
    let board: Vec<_> = board.into_iter().take(5).collect();
    let pinned = quan_core::circles::posts::pinned_of(&st.svc, &v, sort, &req)
        .await
        .map_err(ApiError::from)?;
    let memberships = if v.membership.is_none() && v.circle.join_policy == JoinPolicy::Paid {
        memberships(st, actor, &v.circle).await?
    } else {
        Vec::new()
    };
    Ok(render_form(
        &AppCirclePage {
            pinned: &pinned,
            c,
            v: &v,
            posts: &page.items,
            next: page.next.as_deref(),
            sort: sort_name,
            tag: tag.as_deref(),
            error: error.as_deref(),
            my_streak,
            checked_in_today,
            board: &board,
            draft,
            memberships: &memberships,
            first_day_images: v.membership.as_ref().and_then(|m| {
                quan_core::moderation::guard::quota(
                    &st.svc,
                    &v,
                    m,
                    quan_core::moderation::guard::WriteKind::Image,
                )
                .map(|q| q.max)
            }),
        },
        error.is_some(),
    ))
}

async fn app_circle(
    State(st): State<AppState>,
    c: Chrome,
    Path(id): Path<String>,
    Query(q): Query<FeedParams>,
) -> PageResult {
    circle_page(&st, &c, &id, &q, None, &Draft::default()).await
}

async fn app_circle_join(
    State(st): State<AppState>,
    c: Chrome,
    Path(id): Path<String>,
    Form(f): Form<CsrfOnly>,
) -> PageResult {
    check_csrf(&c, &f.csrf)?;
    let actor = require_user(&c)?;
    let cid = path_id::<CircleId>(&id)?;
    match quan_core::circles::join(&st.svc, actor, cid).await {
        Ok(_) => Ok(Redirect::to(&format!("/app/circles/{cid}")).into_response()),
        Err(e) => {
            circle_page(
                &st,
                &c,
                &id,
                &FeedParams::default(),
                Some(form_error(&c, ApiError::from(e))?),
                &Draft::default(),
            )
            .await
        }
    }
}

#[derive(Deserialize, Default)]
struct PostForm {
    csrf: String,
    title: String,
    body: Option<String>,
    kind: Option<String>,
    audience: Option<String>,
    /// Comma-separated tags.
    audience_tags: Option<String>,
    /// Comma-separated topic tags.
    tags: Option<String>,
}

impl PostForm {
    /// The form as typed, to fill the composer in again when it is refused.
    fn draft(&self, had_images: bool) -> Draft {
        Draft {
            title: self.title.clone(),
            body: self.body.clone().unwrap_or_default(),
            kind: self.kind.clone().unwrap_or_default(),
            audience: self.audience.clone().unwrap_or_default(),
            audience_tags: self.audience_tags.clone().unwrap_or_default(),
            tags: self.tags.clone().unwrap_or_default(),
            had_images,
        }
    }
    fn parse(&self) -> Result<quan_core::circles::posts::NewPost, ParseError> {
        let mut p = quan_core::circles::posts::NewPost::parse(
            self.kind.as_deref().filter(|k| !k.is_empty()),
            &self.title,
            self.body.as_deref().unwrap_or(""),
        )?;
        let tags: Vec<String> = self
            .audience_tags
            .as_deref()
            .unwrap_or("")
            .split([',', '，', ' '])
            .filter(|t| !t.trim().is_empty())
            .map(str::to_owned)
            .collect();
        (p.audience, p.audience_tags) =
            quan_core::circles::posts::parse_audience(self.audience.as_deref(), &tags)?;
        let topics = super::circle_admin::split_tags(self.tags.as_deref().unwrap_or(""));
        p.with_tags(&topics)
    }
}

/// The composer posts multipart (text fields and up to nine image files).
async fn app_circle_post(
    State(st): State<AppState>,
    c: Chrome,
    Path(id): Path<String>,
    mut mp: axum::extract::Multipart,
) -> PageResult {
    let bad = |_| {
        PageError::Api(ApiError::bad_request(
            "invalid_form",
            "the form could not be read",
        ))
    };
    let mut f = PostForm::default();
    let mut files = Vec::new();
    while let Some(field) = mp.next_field().await.map_err(bad)? {
        let name = field.name().unwrap_or_default().to_owned();
        if name == "images" {
            let b = field.bytes().await.map_err(bad)?;
            if !b.is_empty() {
                files.push(b);
            }
            continue;
        }
        let v = field.text().await.map_err(bad)?;
        match name.as_str() {
            "csrf" => f.csrf = v,
            "title" => f.title = v,
            "body" => f.body = Some(v),
            "kind" => f.kind = Some(v),
            "audience" => f.audience = Some(v),
            "audience_tags" => f.audience_tags = Some(v),
            "tags" => f.tags = Some(v),
            _ => {}
        }
    }
    check_csrf(&c, &f.csrf)?;
    let actor = require_user(&c)?;
    let cid = path_id::<CircleId>(&id)?;
    let result = async {
        let mut p = f.parse()?;
        if files.len() > POST_IMAGES_MAX {
            return Err(ParseError::new("images", "too_many", "at most 9 images").into());
        }
        // Refused before any upload: a refused post spends no image allowance.
        if !files.is_empty() {
            posts::admit(&st.svc, actor, cid, &p).await?;
        }
        for b in &files {
            p.images.push(
                quan_core::circles::images::upload_image(&st.svc, actor, cid, b)
                    .await?
                    .id,
            );
        }
        posts::post(&st.svc, actor, cid, p).await
    }
    .await;
    match result {
        Ok(_) => Ok(Redirect::to(&format!("/app/circles/{cid}")).into_response()),
        Err(e) => {
            circle_page(
                &st,
                &c,
                &id,
                &FeedParams::default(),
                Some(form_error(&c, ApiError::from(e))?),
                &f.draft(!files.is_empty()),
            )
            .await
        }
    }
}

async fn app_checkin(
    State(st): State<AppState>,
    c: Chrome,
    Path(circle): Path<String>,
    Form(f): Form<CsrfOnly>,
) -> PageResult {
    check_csrf(&c, &f.csrf)?;
    let actor = require_user(&c)?;
    let cid = path_id::<CircleId>(&circle)?;
    quan_core::circles::board::checkin(&st.svc, actor, cid)
        .await
        .map_err(ApiError::from)?;
    Ok(Redirect::to(&format!("/app/circles/{cid}#checkins")).into_response())
}
