//! A post's page in the member app: the post rendered safely, its gallery, comments
//! (threaded two levels), reactions, receipts and task steps.

use super::templates::AppPostPage;
use super::{
    Chrome, PageResult, check_csrf, form_error, path_id, post_ids, render_form, require_user,
};
use crate::AppState;
use crate::error::ApiError;
use axum::Form;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Redirect};
use quan_core::access;
use quan_core::circles::board;
use quan_core::circles::posts;
use quan_domain::{CircleRole, CommentId, ReactionKind, ReportReason, TaskAction, TaskActor};
use serde::Deserialize;

pub(crate) async fn post_page(
    st: &AppState,
    c: &Chrome,
    ids: &(String, String),
    error: Option<String>,
) -> PageResult {
    post_page_with(st, c, ids, error, None).await
}

pub(crate) async fn post_page_with(
    st: &AppState,
    c: &Chrome,
    ids: &(String, String),
    error: Option<String>,
    notice: Option<&str>,
) -> PageResult {
    use quan_core::circles as cc;
    let actor = require_user(c)?;
    let (cid, pid) = post_ids(ids)?;
    let v = access::view(&st.svc, actor, cid)
        .await
        .map_err(ApiError::from)?;
    let pv = posts::get_post(&st.svc, actor, cid, pid)
        .await
        .map_err(ApiError::from)?;
    let member = v
        .membership
        .as_ref()
        .is_some_and(|m| m.status == quan_core::MemberStatus::Active);
    // Receipts show for a notice's author and the circle's admins; for anyone else
    // (or any other post) there are none to show.
    let receipts = match board::receipts(&st.svc, actor, cid, pid).await {
        Ok(r) => Some(r),
        Err(cc::CircleError::Forbidden | cc::CircleError::NotFound) => None,
        Err(e) => return Err(ApiError::from(e).into()),
    };
    let me = actor.account_id();
    let role = v
        .membership
        .as_ref()
        .filter(|m| m.status == quan_core::MemberStatus::Active)
        .map(|m| m.role);
    let moderator = role.is_some_and(CircleRole::can_moderate) || v.can_admin();
    let is_author = pv.post.author_account_id == me;
    let (task_steps, task_actions) = match pv.post.task_state {
        Some(state) => {
            let steps = quan_core::circles::board::task_steps(&st.svc, actor, cid, pid)
                .await
                .map_err(ApiError::from)?;
            let who = TaskActor {
                owner: is_author || v.can_admin(),
                assignee: pv.post.task_assignee == Some(me),
            };
            let actions = if member {
                TaskAction::ALL
                    .iter()
                    .filter(|a| state.apply(**a, who).is_ok())
                    .map(|a| a.as_str())
                    .collect()
            } else {
                Vec::new()
            };
            (steps, actions)
        }
        None => (Vec::new(), Vec::new()),
    };
    let edits = if pv.post.edited_at.is_some() {
        quan_core::circles::posts::post_edits(&st.svc, actor, cid, pid)
            .await
            .map_err(ApiError::from)?
    } else {
        Vec::new()
    };
    let page = AppPostPage {
        c,
        is_author,
        moderator,
        report_reasons: ReportReason::ALL.iter().map(|r| r.as_str()).collect(),
        task_steps,
        task_actions,
        edits,
        notice,
        receipts,
        pv: &pv,
        circle_name: &v.circle.name,
        body_html: crate::markdown::to_safe_html(&pv.post.body),
        member,
        reactions: vec![
            ("like", c.t("circles.react_like")),
            ("tea", c.t("circles.react_tea")),
        ],
        error: error.as_deref(),
    };
    Ok(render_form(&page, error.is_some()))
}

pub(crate) async fn app_post(
    State(st): State<AppState>,
    c: Chrome,
    Path(ids): Path<(String, String)>,
) -> PageResult {
    post_page(&st, &c, &ids, None).await
}

#[derive(Deserialize)]
pub(crate) struct CommentForm {
    csrf: String,
    body: String,
    parent_id: Option<String>,
}

pub(crate) async fn app_post_comment(
    State(st): State<AppState>,
    c: Chrome,
    Path(ids): Path<(String, String)>,
    Form(f): Form<CommentForm>,
) -> PageResult {
    check_csrf(&c, &f.csrf)?;
    let actor = require_user(&c)?;
    let (cid, pid) = post_ids(&ids)?;
    let parent = match f.parent_id.as_deref().filter(|p| !p.is_empty()) {
        Some(p) => Some(path_id::<CommentId>(p)?),
        None => None,
    };
    match quan_core::circles::posts::comment(&st.svc, actor, cid, pid, &f.body, parent).await {
        Ok(_) => {
            Ok(Redirect::to(&format!("/app/circles/{cid}/posts/{pid}#comments")).into_response())
        }
        Err(e) => post_page(&st, &c, &ids, Some(form_error(&c, ApiError::from(e))?)).await,
    }
}

#[derive(Deserialize)]
pub(crate) struct ReactForm {
    csrf: String,
    kind: String,
    on: bool,
}

pub(crate) async fn app_post_react(
    State(st): State<AppState>,
    c: Chrome,
    Path(ids): Path<(String, String)>,
    Form(f): Form<ReactForm>,
) -> PageResult {
    check_csrf(&c, &f.csrf)?;
    let actor = require_user(&c)?;
    let (cid, pid) = post_ids(&ids)?;
    let result = match ReactionKind::parse(&f.kind) {
        Ok(kind) => quan_core::circles::posts::react(&st.svc, actor, cid, pid, kind, f.on)
            .await
            .map(|_| ()),
        Err(e) => Err(e.into()),
    };
    match result {
        Ok(()) => Ok(Redirect::to(&format!("/app/circles/{cid}/posts/{pid}")).into_response()),
        Err(e) => post_page(&st, &c, &ids, Some(form_error(&c, ApiError::from(e))?)).await,
    }
}
