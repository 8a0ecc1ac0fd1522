//! Delivery pages: the org's reach webhook (saved from the reach settings page)
//! and `/l/{message}`, the tracked address of a campaign's link card.

use super::super::console::Console;
use super::super::{PageError, PageResult, check_csrf, form_error, path_id, saved};
use crate::AppState;
use crate::error::ApiError;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Redirect};
use axum::routing::{get, post};
use axum::{Form, Router};
use quan_core::reach::delivery;
use quan_domain::ReachMessageId;
use serde::Deserialize;

pub(super) fn router() -> Router<AppState> {
    Router::new()
        .route("/console/{org_id}/reach-webhook", post(webhook_save))
        .route("/l/{message_id}", get(click))
}

#[derive(Deserialize, Default)]
struct WebhookForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    url: String,
    /// `save`, `rotate` (a new secret) or `remove`.
    #[serde(default)]
    action: String,
}

async fn webhook_save(
    State(st): State<AppState>,
    k: Console,
    Form(f): Form<WebhookForm>,
) -> PageResult {
    check_csrf(&k.c, &f.csrf)?;
    let r = match f.action.as_str() {
        "remove" => delivery::delete_endpoint(&st.svc, &k.access)
            .await
            .map(|_| ()),
        a => delivery::set_endpoint(&st.svc, &k.access, &f.url, a == "rotate")
            .await
            .map(|_| ()),
    };
    match r {
        Ok(()) => Ok(saved(&format!("{}/reach-settings#webhook", k.base()))),
        Err(e) => {
            let msg = form_error(&k.c, ApiError::from(e))?;
            super::policy::view(&st, &k, None, Some(msg), Some(f.url)).await
        }
    }
}

/// Counts the first click on a message's link and sends the person on; anyone
/// holding the address may follow it (it is in their message or e-mail).
async fn click(State(st): State<AppState>, Path(id): Path<String>) -> PageResult {
    let id = path_id::<ReachMessageId>(&id)?;
    match delivery::click(&st.svc, id).await {
        Ok(url) => Ok(Redirect::to(&url).into_response()),
        Err(quan_core::reach::error::ReachError::NotFound) => Err(PageError::NotFound),
        Err(e) => Err(ApiError::from(e).into()),
    }
}
