//! The consent centre for the signed-in person: which orgs and staff hold them,
//! their data as a JSON download, and erasure of their personal fields in an org.

use crate::AppState;
use crate::api::common::parse_id;
use crate::error::{ApiResult, Problem};
use crate::extract::Auth;
use axum::Json;
use axum::extract::{Path, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use quan_core::reach::consent;
use quan_domain::Frequency;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(privacy))
        .routes(routes!(set_topics))
        .routes(routes!(export_my_data))
        .routes(routes!(erase_me))
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct OrgConsentDto {
    pub org_id: String,
    pub org_name: String,
    /// Staff members who hold the caller as a customer now.
    pub staff: Vec<String>,
    /// Whether the caller receives none of the org's campaigns.
    pub opted_out: bool,
    /// What the caller lets the org send them, by topic.
    pub topics: TopicsDto,
}

#[derive(Debug, Clone, Copy, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TopicsDto {
    /// Campaigns (群发); false is the opt-out.
    pub campaigns: bool,
    /// Journeys' messages.
    pub journeys: bool,
    /// The staff's moments.
    pub moments: bool,
    /// How often campaigns and journeys' messages may reach the caller: as the org's
    /// touch budget allows (the default), or at most one a week. Left out of a
    /// change, it stays as it was.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub frequency: Option<FrequencyDto>,
}

#[derive(Debug, Clone, Copy, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum FrequencyDto {
    Budget,
    Weekly,
}

impl From<TopicsDto> for consent::ConsentChange {
    fn from(t: TopicsDto) -> Self {
        Self {
            campaigns: t.campaigns,
            journeys: t.journeys,
            moments: t.moments,
            frequency: t.frequency.map(|f| match f {
                FrequencyDto::Budget => Frequency::Budget,
                FrequencyDto::Weekly => Frequency::Weekly,
            }),
        }
    }
}

/// Sets what the caller lets an org send them, by topic; audiences honour it at once.
#[utoipa::path(put, path = "/api/v1/me/consent/{org_id}/topics", tag = "reach", request_body = TopicsDto,
    params(("org_id" = String, Path)), security(("bearer" = []), ("session" = [])),
    responses((status = 204), (status = 404, body = Problem), (status = 422, body = Problem)))]
pub async fn set_topics(
    State(st): State<AppState>,
    Auth(actor): Auth,
    Path(org): Path<String>,
    crate::extract::ApiJson(t): crate::extract::ApiJson<TopicsDto>,
) -> ApiResult<StatusCode> {
    consent::set(&st.svc, &actor, parse_id(&org)?, t.into()).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Every org that knows the caller as a person, with who holds them and their choice.
#[utoipa::path(get, path = "/api/v1/me/consent", tag = "reach", security(("bearer" = []), ("session" = [])),
    responses((status = 200, body = [OrgConsentDto])))]
pub async fn privacy(
    State(st): State<AppState>,
    Auth(actor): Auth,
) -> ApiResult<Json<Vec<OrgConsentDto>>> {
    let all = consent::overview(&st.svc, &actor).await?;
    Ok(Json(
        all.into_iter()
            .map(|o| OrgConsentDto {
                org_id: o.org.to_string(),
                org_name: o.org_name,
                staff: o.staff,
                opted_out: !o.consent.campaigns,
                topics: TopicsDto {
                    campaigns: o.consent.campaigns,
                    journeys: o.consent.journeys,
                    moments: o.consent.moments,
                    frequency: Some(match o.consent.frequency {
                        Frequency::Budget => FrequencyDto::Budget,
                        Frequency::Weekly => FrequencyDto::Weekly,
                    }),
                },
            })
            .collect(),
    ))
}

/// Everything each org keeps about the caller, as a JSON file.
#[utoipa::path(get, path = "/api/v1/me/export", tag = "reach", security(("bearer" = []), ("session" = [])),
    responses((status = 200, content_type = "application/json", description = "The caller's data, as a download")))]
pub async fn export_my_data(State(st): State<AppState>, Auth(actor): Auth) -> ApiResult<Response> {
    let doc = consent::export(&st.svc, &actor).await?;
    let body = serde_json::to_vec_pretty(&doc).map_err(|e| crate::error::ApiError::internal(&e))?;
    Ok((
        [
            (header::CONTENT_TYPE, "application/json".to_owned()),
            (
                header::CONTENT_DISPOSITION,
                "attachment; filename=\"quan-my-data.json\"".to_owned(),
            ),
        ],
        body,
    )
        .into_response())
}

/// Erases the caller's personal fields in one org: name, handles, tags, the
/// messages they wrote; their contacts end and campaigns stop. Recorded as an event.
#[utoipa::path(post, path = "/api/v1/me/consent/{org_id}/erase", tag = "reach",
    params(("org_id" = String, Path)), security(("bearer" = []), ("session" = [])),
    responses((status = 204), (status = 404, body = Problem)))]
pub async fn erase_me(
    State(st): State<AppState>,
    Auth(actor): Auth,
    Path(org): Path<String>,
) -> ApiResult<StatusCode> {
    consent::erase(&st.svc, &actor, parse_id(&org)?).await?;
    Ok(StatusCode::NO_CONTENT)
}
