//! Forms more than one page submits (the member app's manage page and the console):
//! a circle invite link, a review decision, and the redirect that says "Saved.".

use super::{Chrome, require_user};
use crate::AppState;
use axum::response::{IntoResponse, Redirect, Response};
use quan_core::access::Actor;
use quan_core::circles::CircleError;
use quan_core::circles::invites;
use quan_core::moderation;
use quan_core::moderation::error::ModerationError;
use quan_domain::{CircleId, ParseError, PostId, ReportStatus};
use serde::Deserialize;

/// After a form saved: back to `path`, which then says "Saved." (its `#fragment`
/// kept last).
pub(crate) fn saved(path: &str) -> Response {
    let (page, fragment) = path.split_once('#').map_or((path, ""), |(p, f)| (p, f));
    let sep = if page.contains('?') { '&' } else { '?' };
    let hash = if fragment.is_empty() {
        String::new()
    } else {
        format!("#{fragment}")
    };
    Redirect::to(&format!("{page}{sep}saved=1{hash}")).into_response()
}

/// A whole number typed into a form field, or the field's own refusal.
pub(crate) fn whole(raw: &str, field: &'static str, code: &'static str) -> Result<i64, ParseError> {
    raw.trim()
        .parse::<i64>()
        .map_err(|_| ParseError::new(field, code, "a whole number"))
}

#[derive(Deserialize)]
pub(crate) struct InviteForm {
    pub csrf: String,
    label: Option<String>,
    max_uses: Option<String>,
}

/// Creates a circle invite link from its form (shared by the manage page and the
/// console); returns the absolute link, shown once.
pub(crate) async fn create_invite_link(
    st: &AppState,
    c: &Chrome,
    cid: CircleId,
    f: &InviteForm,
) -> Result<String, CircleError> {
    let actor = require_user(c).map_err(|_| CircleError::NotFound)?;
    let max_uses = f
        .max_uses
        .as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty())
        // Not a number: the use case refuses it as out of range.
        .map(|s| s.parse::<i64>().unwrap_or(0));
    let n = invites::NewCircleInvite::parse(f.label.as_deref(), max_uses, None)?;
    let (_, code) = invites::create_invite(&st.svc, actor, cid, n).await?;
    Ok(format!("{}/app/join/{code}", c.base))
}

#[derive(Deserialize)]
pub(crate) struct DecideForm {
    pub csrf: String,
    decision: String,
    reason: Option<String>,
}

/// Restores or removes a queued post from its form (shared with the console).
pub(crate) async fn decide_queued(
    st: &AppState,
    actor: &Actor,
    cid: CircleId,
    pid: PostId,
    f: &DecideForm,
) -> Result<(), ModerationError> {
    let s = ReportStatus::parse(&f.decision)?;
    moderation::resolve(
        &st.svc,
        actor,
        cid,
        pid,
        s,
        f.reason.as_deref().unwrap_or(""),
    )
    .await
}
