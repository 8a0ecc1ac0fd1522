//! The sandbox provider's hosted pay page: the amount and what it is for, and
//! pay / fail / cancel. It stands for a real provider's page, so it needs no
//! sign-in; its decision reaches Quan only as the provider's signed webhook.

use super::super::{Chrome, PageResult, check_csrf, form_error, path_id, render_form};
use crate::AppState;
use crate::error::ApiError;
use askama::Template;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Redirect};
use axum::routing::get;
use axum::{Form, Router};
use quan_core::commerce::port::ChargeRecord;
use quan_core::commerce::sandbox;
use quan_core::ports::ChargeOutcome;
use quan_domain::ChargeId;
use serde::Deserialize;

pub(super) fn router() -> Router<AppState> {
    Router::new().route("/sandbox/pay/{charge_id}", get(page).post(decide))
}

#[derive(Template)]
#[template(path = "sandbox_pay.html")]
struct PayPage<'a> {
    c: &'a Chrome,
    ch: &'a ChargeRecord,
    error: Option<&'a str>,
}

impl PayPage<'_> {
    /// Still to be decided (or a failed try to pay again).
    fn open(&self) -> bool {
        matches!(self.ch.status.as_str(), "open" | "failed" | "cancelled")
    }
}

async fn view(st: &AppState, c: &Chrome, id: ChargeId, error: Option<String>) -> PageResult {
    let ch = sandbox::charge(&st.svc, id).await.map_err(ApiError::from)?;
    Ok(render_form(
        &PayPage {
            c,
            ch: &ch,
            error: error.as_deref(),
        },
        error.is_some(),
    ))
}

async fn page(State(st): State<AppState>, c: Chrome, Path(id): Path<String>) -> PageResult {
    view(&st, &c, path_id(&id)?, None).await
}

#[derive(Deserialize)]
struct DecideForm {
    csrf: String,
    #[serde(default)]
    outcome: String,
}

async fn decide(
    State(st): State<AppState>,
    c: Chrome,
    Path(id): Path<String>,
    Form(f): Form<DecideForm>,
) -> PageResult {
    check_csrf(&c, &f.csrf)?;
    let id: ChargeId = path_id(&id)?;
    let Some(outcome) = ChargeOutcome::parse(&f.outcome) else {
        return view(&st, &c, id, Some(c.t("sandbox.choose").to_owned())).await;
    };
    match sandbox::decide(&st.svc, id, outcome).await {
        // Back to the shop, as a provider redirects: the order shows paid once
        // the webhook has arrived.
        Ok(ch) => Ok(Redirect::to(&ch.return_url).into_response()),
        Err(e) => {
            let msg = form_error(&c, e.into())?;
            view(&st, &c, id, Some(msg)).await
        }
    }
}
