//! The member app's ways to find things: search in a circle or across its org, and
//! discovery of public circles with the boost log.

use super::{Chrome, PageResult, form_error, path_id, render, require_user};
use crate::AppState;
use crate::error::ApiError;
use askama::Template;
use axum::Router;
use axum::extract::{Path, Query, State};
use axum::routing::get;
use quan_core::CircleRecord;
use quan_core::access;
use quan_core::access::CircleView;
use quan_domain::{CircleId, parse_tag};
use serde::Deserialize;

pub(crate) fn router() -> Router<AppState> {
    Router::new()
        .route("/app/circles/{circle_id}/search", get(search_page))
        .route("/app/discover", get(discover_page))
}

#[derive(Template)]
#[template(path = "app_search.html")]
struct SearchPage<'a> {
    c: &'a Chrome,
    v: &'a CircleView,
    q: &'a str,
    org_wide: bool,
    hits: &'a [(quan_core::PostRecord, String)],
    error: Option<&'a str>,
}

impl SearchPage<'_> {
    fn excerpt(&self, p: &quan_core::PostRecord) -> String {
        crate::markdown::excerpt(&p.body, 200)
    }
}

#[derive(Deserialize)]
struct SearchParams {
    q: Option<String>,
    scope: Option<String>,
}

async fn search_page(
    State(st): State<AppState>,
    c: Chrome,
    Path(circle): Path<String>,
    Query(sp): Query<SearchParams>,
) -> PageResult {
    let actor = require_user(&c)?;
    let cid = path_id::<CircleId>(&circle)?;
    let v = access::view(&st.svc, actor, cid)
        .await
        .map_err(ApiError::from)?;
    let q = sp.q.unwrap_or_default();
    let org_wide = sp.scope.as_deref() == Some("org");
    let mut error = None;
    let hits = if q.trim().is_empty() {
        Vec::new()
    } else if org_wide {
        match quan_core::search::in_org(&st.svc, actor, v.circle.org_id, &q).await {
            Ok(h) => h,
            Err(e) => {
                error = Some(form_error(&c, ApiError::from(e))?);
                Vec::new()
            }
        }
    } else {
        match quan_core::search::in_circle(&st.svc, actor, cid, &q).await {
            Ok(ps) => ps.into_iter().map(|p| (p, v.circle.name.clone())).collect(),
            Err(e) => {
                error = Some(form_error(&c, ApiError::from(e))?);
                Vec::new()
            }
        }
    };
    Ok(render(&SearchPage {
        c: &c,
        v: &v,
        q: &q,
        org_wide,
        hits: &hits,
        error: error.as_deref(),
    }))
}

// ---------------------------------------------------------------------------------
// Discovery

#[derive(Template)]
#[template(path = "app_discover.html")]
struct DiscoverPage<'a> {
    c: &'a Chrome,
    circles: &'a [CircleRecord],
    log: &'a [quan_core::BoostLogRecord],
    /// The tag the list is filtered by.
    tag: Option<&'a str>,
}

impl DiscoverPage<'_> {
    fn action_name(&self, a: &str) -> &str {
        self.c.t(boost_key(a))
    }
}

/// A boost log action's label key.
fn boost_key(a: &str) -> &'static str {
    match a {
        "requested" => "discover.requested",
        "approved" => "discover.approved",
        "rejected" => "discover.rejected",
        _ => "discover.withdrawn",
    }
}

#[derive(Deserialize)]
struct TagParams {
    tag: Option<String>,
}

async fn discover_page(
    State(st): State<AppState>,
    c: Chrome,
    Query(q): Query<TagParams>,
) -> PageResult {
    let actor = require_user(&c)?;
    // A tag that is not a valid tag finds nothing rather than failing the page.
    let tag = q.tag.and_then(|t| parse_tag(&t).ok());
    let circles = quan_core::discovery::discover(&st.svc, actor, tag.as_deref())
        .await
        .map_err(ApiError::from)?;
    let log = quan_core::discovery::log(&st.svc, actor)
        .await
        .map_err(ApiError::from)?;
    Ok(render(&DiscoverPage {
        c: &c,
        circles: &circles,
        log: &log,
        tag: tag.as_deref(),
    }))
}
