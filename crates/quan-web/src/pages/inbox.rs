//! The member app's notifications page: the list with its unread count, marking all
//! read, and which kinds a person wants.

use super::{AfterParams, Chrome, CsrfOnly, PageResult, check_csrf, render, require_user, saved};
use crate::AppState;
use crate::error::ApiError;
use askama::Template;
use axum::extract::{Query, State};
use axum::response::{IntoResponse, Redirect};
use axum::routing::{get, post};
use axum::{Form, Router};
use quan_core::PageRequest;
use quan_domain::{AccountId, NotifyKind};

pub(crate) fn router() -> Router<AppState> {
    Router::new()
        .route("/app/notifications", get(notifications_page))
        .route("/app/notifications/read", post(notifications_read))
        .route("/app/notifications/settings", post(notifications_settings))
}

#[derive(Template)]
#[template(path = "app_notifications.html")]
struct NotificationsPage<'a> {
    c: &'a Chrome,
    me: AccountId,
    items: &'a [quan_core::NotificationRecord],
    next: Option<&'a str>,
    unread: i64,
    settings: Vec<(NotifyKind, bool)>,
}

impl NotificationsPage<'_> {
    fn kind_name(&self, k: &str) -> &str {
        self.c.t(notify_key(k))
    }
    /// A task notification is stored as "title → state" (the state's code): the
    /// state is shown as a word of the page's language.
    fn body(&self, body: &str) -> String {
        match body.rsplit_once(" → ") {
            Some((title, state)) if quan_domain::TaskState::parse(state).is_ok() => {
                format!("{title} → {}", self.c.word("task", state))
            }
            _ => body.to_owned(),
        }
    }
    fn setting_name(&self, k: &str) -> &str {
        self.c.t(match k {
            "reply" => "notify.set_reply",
            "mention" => "notify.set_mention",
            "reaction" => "notify.set_reaction",
            "approval" => "notify.set_approval",
            "moderation" => "notify.set_moderation",
            "campaign" => "notify.set_campaign",
            "handoff" => "notify.set_handoff",
            "journey" => "notify.set_journey",
            _ => "notify.set_task",
        })
    }
}

/// A notification kind's label key ("replied", "mentioned you", ...).
fn notify_key(k: &str) -> &'static str {
    match k {
        "reply" => "notify.reply",
        "mention" => "notify.mention",
        "reaction" => "notify.reaction",
        "approval" => "notify.approval",
        "moderation" => "notify.moderation",
        "campaign" => "notify.campaign",
        "handoff" => "notify.handoff",
        "journey" => "notify.journey",
        _ => "notify.task",
    }
}

async fn notifications_page(
    State(st): State<AppState>,
    c: Chrome,
    Query(q): Query<AfterParams>,
) -> PageResult {
    let actor = require_user(&c)?;
    let after = q.after.filter(|a| a.len() == 36);
    let (page, unread) =
        quan_core::notify::list(&st.svc, actor, &PageRequest::new(after, Some(50)))
            .await
            .map_err(ApiError::from)?;
    let settings = quan_core::notify::settings(&st.svc, actor)
        .await
        .map_err(ApiError::from)?;
    Ok(render(&NotificationsPage {
        c: &c,
        me: actor.account_id(),
        items: &page.items,
        next: page.next.as_deref(),
        unread,
        settings,
    }))
}

async fn notifications_read(
    State(st): State<AppState>,
    c: Chrome,
    Form(f): Form<CsrfOnly>,
) -> PageResult {
    check_csrf(&c, &f.csrf)?;
    let actor = require_user(&c)?;
    quan_core::notify::mark_read(&st.svc, actor, None)
        .await
        .map_err(ApiError::from)?;
    Ok(Redirect::to("/app/notifications").into_response())
}

/// The settings form: every kind, checked ones on (a form sends `on` repeatedly).
async fn notifications_settings(
    State(st): State<AppState>,
    c: Chrome,
    Form(pairs): Form<Vec<(String, String)>>,
) -> PageResult {
    let csrf = pairs
        .iter()
        .find(|(k, _)| k == "csrf")
        .map(|(_, v)| v.as_str())
        .unwrap_or_default();
    check_csrf(&c, csrf)?;
    let actor = require_user(&c)?;
    for k in NotifyKind::ALL {
        let on = pairs.iter().any(|(n, v)| n == "on" && v == k.as_str());
        quan_core::notify::set(&st.svc, actor, *k, on)
            .await
            .map_err(ApiError::from)?;
    }
    Ok(saved("/app/notifications"))
}
