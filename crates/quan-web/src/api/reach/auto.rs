//! Auto-reply endpoints: rules (keyword or regex; answer or hand off), business
//! hours with the away message, and the preview a rule can be tried with.

use crate::AppState;
use crate::api::common::parse_id;
use crate::error::{ApiResult, Problem};
use crate::extract::{ApiJson, OrgCtx};
use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use quan_core::reach::auto::{self, Answer, NewRule};
use quan_core::{AutoReplyRecord, AutoReplySettings};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_rules, create_rule))
        .routes(routes!(delete_rule))
        .routes(routes!(get_auto_settings, set_auto_settings))
        .routes(routes!(preview_rules))
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct RuleDto {
    pub id: String,
    pub name: String,
    /// keyword or regex.
    pub kind: String,
    pub pattern: String,
    /// answer, or handoff (answer, then tell the staff member).
    pub action: String,
    /// A template with `{{name}}` and `{{staff}}`.
    pub answer: String,
    pub created_at: i64,
}

fn rule_dto(r: &AutoReplyRecord) -> RuleDto {
    RuleDto {
        id: r.id.to_string(),
        name: r.name.clone(),
        kind: r.kind.clone(),
        pattern: r.pattern.clone(),
        action: r.action.as_str().to_owned(),
        answer: r.answer.clone(),
        created_at: r.created_at.millis(),
    }
}

/// The org's rules; the first that matches a message answers it.
#[utoipa::path(get, path = "/api/v1/orgs/{org_id}/auto-replies", tag = "reach",
    params(("org_id" = String, Path)), security(("bearer" = []), ("session" = [])),
    responses((status = 200, body = [RuleDto])))]
pub async fn list_rules(State(st): State<AppState>, ctx: OrgCtx) -> ApiResult<Json<Vec<RuleDto>>> {
    let all = auto::rules(&st.svc, &ctx.access).await?;
    Ok(Json(all.iter().map(rule_dto).collect()))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RuleReq {
    pub name: String,
    /// keyword or regex (compiled under size limits).
    pub kind: String,
    pub pattern: String,
    /// answer or handoff; answer if absent.
    pub action: Option<String>,
    pub answer: String,
}

/// Adds a rule (owners, admins, operators).
#[utoipa::path(post, path = "/api/v1/orgs/{org_id}/auto-replies", tag = "reach", request_body = RuleReq,
    params(("org_id" = String, Path)), security(("bearer" = []), ("session" = [])),
    responses((status = 201, body = RuleDto), (status = 403, body = Problem), (status = 422, body = Problem)))]
pub async fn create_rule(
    State(st): State<AppState>,
    ctx: OrgCtx,
    ApiJson(req): ApiJson<RuleReq>,
) -> ApiResult<(StatusCode, Json<RuleDto>)> {
    let r = auto::create(
        &st.svc,
        &ctx.access,
        NewRule {
            name: req.name,
            kind: req.kind,
            pattern: req.pattern,
            action: req.action.unwrap_or_else(|| "answer".to_owned()),
            answer: req.answer,
        },
    )
    .await?;
    Ok((StatusCode::CREATED, Json(rule_dto(&r))))
}

/// Removes a rule.
#[utoipa::path(delete, path = "/api/v1/orgs/{org_id}/auto-replies/{rule_id}", tag = "reach",
    params(("org_id" = String, Path), ("rule_id" = String, Path)), security(("bearer" = []), ("session" = [])),
    responses((status = 204), (status = 404, body = Problem)))]
pub async fn delete_rule(
    State(st): State<AppState>,
    ctx: OrgCtx,
    Path(ids): Path<(String, String)>,
) -> ApiResult<StatusCode> {
    auto::delete(&st.svc, &ctx.access, parse_id(&ids.1)?).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AutoSettingsDto {
    /// `HH:MM-HH:MM` in the org's zone; empty: always open.
    pub business_hours: String,
    /// Sent outside business hours when no rule answers, once a day per
    /// conversation; empty: none.
    pub away_message: String,
}

/// Business hours and the away message.
#[utoipa::path(get, path = "/api/v1/orgs/{org_id}/auto-replies/settings", tag = "reach",
    params(("org_id" = String, Path)), security(("bearer" = []), ("session" = [])),
    responses((status = 200, body = AutoSettingsDto)))]
pub async fn get_auto_settings(
    State(st): State<AppState>,
    ctx: OrgCtx,
) -> ApiResult<Json<AutoSettingsDto>> {
    let s = auto::settings(&st.svc, &ctx.access).await?;
    Ok(Json(AutoSettingsDto {
        business_hours: s.business_hours,
        away_message: s.away_message,
    }))
}

#[utoipa::path(put, path = "/api/v1/orgs/{org_id}/auto-replies/settings", tag = "reach", request_body = AutoSettingsDto,
    params(("org_id" = String, Path)), security(("bearer" = []), ("session" = [])),
    responses((status = 200, body = AutoSettingsDto), (status = 403, body = Problem), (status = 422, body = Problem)))]
pub async fn set_auto_settings(
    State(st): State<AppState>,
    ctx: OrgCtx,
    ApiJson(req): ApiJson<AutoSettingsDto>,
) -> ApiResult<Json<AutoSettingsDto>> {
    auto::set_settings(
        &st.svc,
        &ctx.access,
        AutoReplySettings {
            business_hours: req.business_hours,
            away_message: req.away_message,
        },
    )
    .await?;
    get_auto_settings(State(st), ctx).await
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PreviewReq {
    /// A message as a customer might write it.
    pub message: String,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct PreviewDto {
    /// The rule that would answer; null when none would.
    pub rule: Option<RuleDto>,
    pub answer: Option<String>,
    pub handoff: bool,
}

fn preview_dto(a: Option<Answer>) -> PreviewDto {
    match a {
        Some(a) => PreviewDto {
            rule: a.rule.as_ref().map(rule_dto),
            answer: Some(a.text),
            handoff: a.handoff,
        },
        None => PreviewDto {
            rule: None,
            answer: None,
            handoff: false,
        },
    }
}

/// Which rule would answer a sample message, and with what (nothing is sent).
#[utoipa::path(post, path = "/api/v1/orgs/{org_id}/auto-replies/preview", tag = "reach", request_body = PreviewReq,
    params(("org_id" = String, Path)), security(("bearer" = []), ("session" = [])),
    responses((status = 200, body = PreviewDto), (status = 422, body = Problem)))]
pub async fn preview_rules(
    State(st): State<AppState>,
    ctx: OrgCtx,
    ApiJson(req): ApiJson<PreviewReq>,
) -> ApiResult<Json<PreviewDto>> {
    let a = auto::preview(&st.svc, &ctx.access, &req.message, "Mei").await?;
    Ok(Json(preview_dto(a)))
}
