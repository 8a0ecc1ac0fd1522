//! Search endpoints: in a circle and across an org's visible circles.

use crate::AppState;
use crate::api::circles::posts::PostDto;
use crate::api::common::parse_id;
use crate::error::{ApiResult, Problem};
use crate::extract::{ApiQuery, Auth};
use axum::Json;
use axum::extract::{Path, State};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(search_circle))
        .routes(routes!(search_org))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct SearchQuery {
    /// Words to find (all must match); Chinese works without spaces.
    pub q: String,
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct OrgSearchQuery {
    pub org_id: String,
    pub q: String,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct SearchHitDto {
    pub post: PostDto,
    pub circle_name: String,
}

/// Searches a circle's titles, bodies and comments (up to 50 newest matches, as the
/// caller may see them).
#[utoipa::path(get, path = "/api/v1/circles/{circle_id}/search", tag = "circles", params(("circle_id" = String, Path), SearchQuery),
    security(("bearer" = []), ("session" = [])), responses((status = 200, body = [PostDto]), (status = 404, body = Problem), (status = 422, body = Problem)))]
pub async fn search_circle(
    State(st): State<AppState>,
    Auth(actor): Auth,
    Path(id): Path<String>,
    ApiQuery(q): ApiQuery<SearchQuery>,
) -> ApiResult<Json<Vec<PostDto>>> {
    let posts = quan_core::search::in_circle(&st.svc, &actor, parse_id(&id)?, &q.q).await?;
    Ok(Json(posts.iter().map(PostDto::from).collect()))
}

/// Searches every circle of an org the caller may see.
#[utoipa::path(get, path = "/api/v1/search", tag = "circles", params(OrgSearchQuery),
    security(("bearer" = []), ("session" = [])), responses((status = 200, body = [SearchHitDto]), (status = 404, body = Problem), (status = 422, body = Problem)))]
pub async fn search_org(
    State(st): State<AppState>,
    Auth(actor): Auth,
    ApiQuery(q): ApiQuery<OrgSearchQuery>,
) -> ApiResult<Json<Vec<SearchHitDto>>> {
    let hits = quan_core::search::in_org(&st.svc, &actor, parse_id(&q.org_id)?, &q.q).await?;
    Ok(Json(
        hits.iter()
            .map(|(p, name)| SearchHitDto {
                post: PostDto::from(p),
                circle_name: name.clone(),
            })
            .collect(),
    ))
}

// ---------------------------------------------------------------------------------
// Images
