//! The member app's privacy page (the consent centre): each org that knows the
//! person, who holds them there, opting out of its campaigns, downloading their data
//! and having an org erase it.

use super::super::{
    Chrome, CsrfOnly, PageResult, check_csrf, path_id, render, require_user, saved,
};
use crate::AppState;
use crate::error::ApiError;
use askama::Template;
use axum::extract::{Path, State};
use axum::routing::{get, post};
use axum::{Form, Router};
use quan_core::reach::consent::{self, OrgConsent};
use quan_domain::{Frequency, OrgId};
use serde::Deserialize;

pub(super) fn router() -> Router<AppState> {
    Router::new()
        .route("/app/consent", get(privacy_page))
        .route("/app/consent/{org_id}", post(consent_save))
        .route("/app/consent/{org_id}/erase", post(erase))
}

#[derive(Template)]
#[template(path = "app_privacy.html")]
struct PrivacyPage<'a> {
    c: &'a Chrome,
    orgs: &'a [OrgConsent],
}

async fn privacy_page(State(st): State<AppState>, c: Chrome) -> PageResult {
    let actor = require_user(&c)?;
    let orgs = consent::overview(&st.svc, actor)
        .await
        .map_err(ApiError::from)?;
    Ok(render(&PrivacyPage { c: &c, orgs: &orgs }))
}

/// The topics ticked (a box left unticked is absent from the form).
#[derive(Deserialize)]
struct ConsentForm {
    csrf: String,
    campaigns: Option<String>,
    journeys: Option<String>,
    moments: Option<String>,
    /// `budget` or `weekly` (absent: as it was).
    frequency: Option<String>,
}

async fn consent_save(
    State(st): State<AppState>,
    c: Chrome,
    Path(org): Path<String>,
    Form(f): Form<ConsentForm>,
) -> PageResult {
    check_csrf(&c, &f.csrf)?;
    let actor = require_user(&c)?;
    quan_core::reach::consent::set(
        &st.svc,
        actor,
        path_id::<OrgId>(&org)?,
        quan_core::reach::consent::ConsentChange {
            campaigns: f.campaigns.is_some(),
            journeys: f.journeys.is_some(),
            moments: f.moments.is_some(),
            frequency: f
                .frequency
                .as_deref()
                .map(Frequency::parse)
                .transpose()
                .map_err(ApiError::from)?,
        },
    )
    .await
    .map_err(ApiError::from)?;
    Ok(saved("/app/consent"))
}

async fn erase(
    State(st): State<AppState>,
    c: Chrome,
    Path(org): Path<String>,
    Form(f): Form<CsrfOnly>,
) -> PageResult {
    check_csrf(&c, &f.csrf)?;
    let actor = require_user(&c)?;
    consent::erase(&st.svc, actor, path_id::<OrgId>(&org)?)
        .await
        .map_err(ApiError::from)?;
    Ok(saved("/app/consent"))
}
