//! The org event log endpoint.

use crate::AppState;
use crate::api::common::PageQuery;
use crate::error::ApiResult;
use crate::extract::{ApiQuery, OrgCtx};
use axum::Json;
use axum::extract::State;
use quan_core::{EventRecord, events};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(list_events))
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct EventDto {
    pub id: String,
    pub kind: String,
    pub subject: String,
    pub actor: Option<String>,
    #[schema(value_type = Object)]
    pub data: serde_json::Value,
    pub at: i64,
}

impl From<&EventRecord> for EventDto {
    fn from(e: &EventRecord) -> Self {
        Self {
            id: e.id.to_string(),
            kind: e.kind.clone(),
            subject: e.subject.clone(),
            actor: e.actor.map(|a| a.to_string()),
            data: e.data.clone(),
            at: e.at.millis(),
        }
    }
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct EventPage {
    pub items: Vec<EventDto>,
    pub next: Option<String>,
}

// Requests: unknown fields are refused so typos fail loudly.

/// The org's event log, newest first.
#[utoipa::path(get, path = "/api/v1/orgs/{org_id}/events", tag = "events", params(("org_id" = String, Path), PageQuery),
    security(("bearer" = []), ("session" = [])), responses((status = 200, body = EventPage)))]
pub async fn list_events(
    State(st): State<AppState>,
    ctx: OrgCtx,
    ApiQuery(q): ApiQuery<PageQuery>,
) -> ApiResult<Json<EventPage>> {
    let page = events::list_events(&st.svc, &ctx.access, &q.into_request()?).await?;
    Ok(Json(EventPage {
        items: page.items.iter().map(EventDto::from).collect(),
        next: page.next,
    }))
}
