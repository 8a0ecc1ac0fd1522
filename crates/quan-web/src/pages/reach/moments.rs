//! Moments pages: the console's (compose, and the caller's moments with who liked
//! and commented, which only they see) and the member app's feed (like, comment).

use super::super::console::Console;
use super::super::{
    AfterParams, Chrome, CsrfOnly, PageResult, check_csrf, form_error, path_id, render_form,
    require_user, saved,
};
use super::tag_list;
use crate::AppState;
use crate::error::ApiError;
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::routing::{get, post};
use axum::{Form, Router};
use quan_core::PageRequest;
use quan_core::reach::moments::{self, FeedMoment, MomentDetail, NewMoment};
use quan_domain::{MOMENT_BODY_MAX, MOMENT_COMMENT_MAX, MOMENT_DAILY_CAP, MomentId};
use serde::Deserialize;

pub(super) fn router() -> Router<AppState> {
    Router::new()
        .route(
            "/console/{org_id}/moments",
            get(moments_page).post(moment_post),
        )
        .route(
            "/console/{org_id}/moments/{moment_id}/delete",
            post(moment_delete),
        )
        .route("/app/moments", get(feed_page))
        .route("/app/moments/{moment_id}/like", post(like))
        .route("/app/moments/{moment_id}/comment", post(comment))
}

#[derive(Deserialize, Default, Clone)]
struct MomentForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    body: String,
    #[serde(default)]
    tags: String,
}

#[derive(Template)]
#[template(path = "console_moments.html")]
struct MomentsPage<'a> {
    k: &'a Console,
    items: &'a [MomentDetail],
    next: Option<String>,
    form: MomentForm,
    body_max: usize,
    cap: usize,
    error: Option<&'a str>,
}

impl MomentsPage<'_> {
    fn rate(&self, m: &quan_core::MomentRecord) -> String {
        super::negative_rate(m.negatives, m.views)
    }
}

async fn view(
    st: &AppState,
    k: &Console,
    after: Option<String>,
    form: MomentForm,
    error: Option<String>,
) -> PageResult {
    let page = moments::list(&st.svc, &k.access, &PageRequest::new(after, Some(20)))
        .await
        .map_err(ApiError::from)?;
    let mut items = Vec::with_capacity(page.items.len());
    for m in &page.items {
        match moments::get(&st.svc, &k.access, m.id).await {
            Ok(d) => items.push(d),
            // Taken down since the list was read.
            Err(quan_core::reach::error::ReachError::NotFound) => {}
            Err(e) => return Err(ApiError::from(e).into()),
        }
    }
    Ok(render_form(
        &MomentsPage {
            k,
            items: &items,
            next: page.next,
            form,
            body_max: MOMENT_BODY_MAX,
            cap: MOMENT_DAILY_CAP,
            error: error.as_deref(),
        },
        error.is_some(),
    ))
}

async fn moments_page(
    State(st): State<AppState>,
    k: Console,
    Query(q): Query<AfterParams>,
) -> PageResult {
    view(&st, &k, q.after, MomentForm::default(), None).await
}

async fn moment_post(
    State(st): State<AppState>,
    k: Console,
    Form(f): Form<MomentForm>,
) -> PageResult {
    check_csrf(&k.c, &f.csrf)?;
    let n = NewMoment {
        body: f.body.clone(),
        tags: tag_list(&f.tags),
    };
    match moments::post(&st.svc, &k.access, n).await {
        Ok(_) => Ok(saved(&format!("{}/moments", k.base()))),
        Err(e) => {
            let msg = form_error(&k.c, e.into())?;
            view(&st, &k, None, f, Some(msg)).await
        }
    }
}

async fn moment_delete(
    State(st): State<AppState>,
    k: Console,
    Path((_, id)): Path<(String, String)>,
    Form(f): Form<CsrfOnly>,
) -> PageResult {
    check_csrf(&k.c, &f.csrf)?;
    moments::delete(&st.svc, &k.access, path_id::<MomentId>(&id)?)
        .await
        .map_err(ApiError::from)?;
    Ok(saved(&format!("{}/moments", k.base())))
}

#[derive(Template)]
#[template(path = "app_moments.html")]
struct FeedPage<'a> {
    c: &'a Chrome,
    items: &'a [FeedMoment],
    comment_max: usize,
    /// A refused comment comes back in its box: (moment id, text).
    draft: (String, String),
    error: Option<&'a str>,
}

impl FeedPage<'_> {
    fn draft_for(&self, id: &MomentId) -> &str {
        if self.draft.0 == id.to_string() {
            &self.draft.1
        } else {
            ""
        }
    }
}

async fn feed_view(
    st: &AppState,
    c: &Chrome,
    draft: (String, String),
    error: Option<String>,
) -> PageResult {
    let actor = require_user(c)?;
    let items = moments::feed(&st.svc, actor)
        .await
        .map_err(ApiError::from)?;
    Ok(render_form(
        &FeedPage {
            c,
            items: &items,
            comment_max: MOMENT_COMMENT_MAX,
            draft,
            error: error.as_deref(),
        },
        error.is_some(),
    ))
}

async fn feed_page(State(st): State<AppState>, c: Chrome) -> PageResult {
    feed_view(&st, &c, (String::new(), String::new()), None).await
}

#[derive(Deserialize)]
struct LikeForm {
    csrf: String,
    /// "1" to like, anything else to take the like back.
    #[serde(default)]
    on: String,
}

async fn like(
    State(st): State<AppState>,
    c: Chrome,
    Path(id): Path<String>,
    Form(f): Form<LikeForm>,
) -> PageResult {
    check_csrf(&c, &f.csrf)?;
    let actor = require_user(&c)?;
    moments::like(&st.svc, actor, path_id::<MomentId>(&id)?, f.on == "1")
        .await
        .map_err(ApiError::from)?;
    Ok(saved(&format!("/app/moments#m-{id}")))
}

#[derive(Deserialize)]
struct CommentForm {
    csrf: String,
    #[serde(default)]
    body: String,
}

async fn comment(
    State(st): State<AppState>,
    c: Chrome,
    Path(id): Path<String>,
    Form(f): Form<CommentForm>,
) -> PageResult {
    check_csrf(&c, &f.csrf)?;
    let actor = require_user(&c)?;
    match moments::comment(&st.svc, actor, path_id::<MomentId>(&id)?, &f.body).await {
        Ok(_) => Ok(saved(&format!("/app/moments#m-{id}"))),
        Err(e) => {
            let msg = form_error(&c, e.into())?;
            feed_view(&st, &c, (id, f.body), Some(msg)).await
        }
    }
}
