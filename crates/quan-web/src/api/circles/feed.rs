//! The feed endpoint (cached pages spliced with each reader's reactions) and the
//! viewer's history window.

use crate::AppState;
use crate::api::circles::posts::{PostDto, PostPage, kinds};
use crate::api::common::{bounded_cursor, parse_id};
use crate::error::{ApiError, ApiResult, Problem};
use crate::extract::{ApiJson, ApiQuery, Auth};
use axum::Json;
use axum::extract::{Path, State};
use quan_core::circles::feed;
use quan_core::{FeedSort, PageRequest, access};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(feed))
        .routes(routes!(get_privacy, set_privacy))
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
pub(crate) const EMPTY_MINE_TAIL: &str = "[]}";

pub(crate) fn render_cached(
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
pub(crate) fn splice(
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
