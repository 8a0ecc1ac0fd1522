//! Journey endpoints: compose a journey, dry-run it, enable or archive it, read its
//! results; a staff member's tasks from journeys.

use crate::AppState;
use crate::api::common::{PageQuery, parse_id};
use crate::error::{ApiResult, Problem};
use crate::extract::{ApiJson, ApiQuery, OrgCtx};
use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use quan_core::reach::journeys::{self, DryRun, DrySubject, JourneyDetail, NewJourney};
use quan_core::{JourneyRecord, JourneyTaskRecord};
use quan_domain::{JourneyTrigger, parse_steps};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_journeys, create_journey))
        .routes(routes!(get_journey))
        .routes(routes!(dry_run_journey))
        .routes(routes!(enable_journey))
        .routes(routes!(archive_journey))
        .routes(routes!(list_tasks))
        .routes(routes!(task_done))
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct JourneyStepDto {
    /// wait, until_reply, send, tag or task.
    pub kind: String,
    /// Days (wait, until_reply), the message template (send: `{{name}}`,
    /// `{{staff}}`), the tag, or the task's title (`{{name}}` names the customer).
    pub value: String,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct JourneyDto {
    pub id: String,
    pub org_id: String,
    pub name: String,
    /// code_joined or inactive.
    pub trigger: String,
    /// code_joined: only this channel code (absent: any code).
    pub trigger_code: Option<String>,
    /// inactive: days without a message in the conversation.
    pub trigger_days: Option<i64>,
    pub steps: Vec<JourneyStepDto>,
    /// draft, active or archived.
    pub status: String,
    pub created_at: i64,
    pub dry_run_at: Option<i64>,
    pub enabled_at: Option<i64>,
}

pub(crate) fn journey_dto(j: &JourneyRecord) -> JourneyDto {
    let (code, days) = match j.trigger {
        JourneyTrigger::CodeJoined { code } => (code.map(|c| c.to_string()), None),
        JourneyTrigger::Inactive { days } => (None, Some(days)),
    };
    JourneyDto {
        id: j.id.to_string(),
        org_id: j.org_id.to_string(),
        name: j.name.clone(),
        trigger: j.trigger.kind().to_owned(),
        trigger_code: code,
        trigger_days: days,
        steps: j
            .steps
            .iter()
            .map(|s| JourneyStepDto {
                kind: s.kind().to_owned(),
                value: s.value(),
            })
            .collect(),
        status: j.status.as_str().to_owned(),
        created_at: j.created_at.millis(),
        dry_run_at: j.dry_run_at.map(|t| t.millis()),
        enabled_at: j.enabled_at.map(|t| t.millis()),
    }
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct JourneyPageDto {
    pub items: Vec<JourneyDto>,
    pub next: Option<String>,
}

/// The org's journeys, newest first.
#[utoipa::path(get, path = "/api/v1/orgs/{org_id}/journeys", tag = "reach",
    params(("org_id" = String, Path), PageQuery), security(("bearer" = []), ("session" = [])),
    responses((status = 200, body = JourneyPageDto), (status = 403, body = Problem)))]
pub async fn list_journeys(
    State(st): State<AppState>,
    ctx: OrgCtx,
    ApiQuery(q): ApiQuery<PageQuery>,
) -> ApiResult<Json<JourneyPageDto>> {
    let p = journeys::list(&st.svc, &ctx.access, &q.into_request()?).await?;
    Ok(Json(JourneyPageDto {
        items: p.items.iter().map(journey_dto).collect(),
        next: p.next,
    }))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct JourneyReq {
    pub name: String,
    /// code_joined or inactive.
    pub trigger: String,
    /// code_joined: only this channel code; absent, any code.
    #[serde(default)]
    pub trigger_code: Option<String>,
    /// inactive: days without a message, 1 to 365.
    #[serde(default)]
    pub trigger_days: Option<i64>,
    /// 1 to 12 steps, at least one that sends, tags or creates a task.
    pub steps: Vec<JourneyStepDto>,
}

/// Composes a journey as a draft: a dry run, then enabling, start it.
#[utoipa::path(post, path = "/api/v1/orgs/{org_id}/journeys", tag = "reach", request_body = JourneyReq,
    params(("org_id" = String, Path)), security(("bearer" = []), ("session" = [])),
    responses((status = 201, body = JourneyDto), (status = 403, body = Problem), (status = 422, body = Problem)))]
pub async fn create_journey(
    State(st): State<AppState>,
    ctx: OrgCtx,
    ApiJson(req): ApiJson<JourneyReq>,
) -> ApiResult<(StatusCode, Json<JourneyDto>)> {
    let j = journeys::create(&st.svc, &ctx.access, new_journey(req)?).await?;
    Ok((StatusCode::CREATED, Json(journey_dto(&j))))
}

/// A request's trigger and steps as domain values.
pub(crate) fn new_journey(req: JourneyReq) -> Result<NewJourney, quan_domain::ParseError> {
    Ok(NewJourney {
        trigger: JourneyTrigger::parse(
            &req.trigger,
            req.trigger_code.as_deref(),
            req.trigger_days,
        )?,
        steps: parse_steps(
            req.steps
                .iter()
                .map(|s| (s.kind.as_str(), s.value.as_str())),
        )?,
        name: req.name,
    })
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct StepTallyDto {
    /// The step, 0-based.
    pub step: i64,
    /// sent, quiet (sent, shown when quiet hours ended), opted_out, tagged, task,
    /// waited, replied or no_reply.
    pub outcome: String,
    pub n: i64,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct JourneyDetailDto {
    pub journey: JourneyDto,
    pub running: i64,
    pub done: i64,
    pub ended: i64,
    /// Messages it sent, and the customers who left or opted out within 48 h of one.
    pub delivered: i64,
    pub negatives: i64,
    pub steps: Vec<StepTallyDto>,
}

fn detail_dto(d: &JourneyDetail) -> JourneyDetailDto {
    JourneyDetailDto {
        journey: journey_dto(&d.journey),
        running: d.results.running,
        done: d.results.done,
        ended: d.results.ended,
        delivered: d.results.delivered,
        negatives: d.results.negatives,
        steps: d
            .results
            .steps
            .iter()
            .map(|t| StepTallyDto {
                step: t.step,
                outcome: t.outcome.clone(),
                n: t.n,
            })
            .collect(),
    }
}

/// A journey with its customers by state and each step's outcomes.
#[utoipa::path(get, path = "/api/v1/orgs/{org_id}/journeys/{journey_id}", tag = "reach",
    params(("org_id" = String, Path), ("journey_id" = String, Path)), security(("bearer" = []), ("session" = [])),
    responses((status = 200, body = JourneyDetailDto), (status = 404, body = Problem)))]
pub async fn get_journey(
    State(st): State<AppState>,
    ctx: OrgCtx,
    Path(ids): Path<(String, String)>,
) -> ApiResult<Json<JourneyDetailDto>> {
    let d = journeys::get(&st.svc, &ctx.access, parse_id(&ids.1)?).await?;
    Ok(Json(detail_dto(&d)))
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct FindingDto {
    /// The step, 0-based.
    pub step: usize,
    /// When the walk reached the step.
    pub at: i64,
    /// quiet_hours, over_budget, staff_daily or opted_out.
    pub hit: String,
    /// When the send goes (opted_out: when it is skipped).
    pub until: i64,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct DryWalkDto {
    /// A real customer the journey would start now (inactivity journeys)…
    pub customer: Option<String>,
    /// …or a new customer joining at this instant (channel-code journeys).
    pub joins_at: Option<i64>,
    pub ends_at: i64,
    pub findings: Vec<FindingDto>,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct DryRunDto {
    pub ran_at: i64,
    /// An inactivity journey: how many customers enabling it starts at once (the
    /// walks are a sample of at most twenty of them).
    pub would_start: Option<i64>,
    pub walks: Vec<DryWalkDto>,
}

pub(crate) fn dry_run_dto(d: &DryRun) -> DryRunDto {
    DryRunDto {
        ran_at: d.ran_at.millis(),
        would_start: d.would_start,
        walks: d
            .walks
            .iter()
            .map(|w| {
                let (customer, joins_at) = match &w.who {
                    DrySubject::Customer(n) => (Some(n.clone()), None),
                    DrySubject::JoinsAt(t) => (None, Some(t.millis())),
                };
                DryWalkDto {
                    customer,
                    joins_at,
                    ends_at: w.ends_at.millis(),
                    findings: w
                        .findings
                        .iter()
                        .map(|f| FindingDto {
                            step: f.step,
                            at: f.at.millis(),
                            hit: f.hit.as_str().to_owned(),
                            until: f.until.millis(),
                        })
                        .collect(),
                }
            })
            .collect(),
    }
}

/// Walks a sample through the journey on the real calendar and lists every step
/// that would meet quiet hours, a spent budget, the staff member's daily message
/// or an opt-out. Enabling needs one.
#[utoipa::path(post, path = "/api/v1/orgs/{org_id}/journeys/{journey_id}/dry-run", tag = "reach",
    params(("org_id" = String, Path), ("journey_id" = String, Path)), security(("bearer" = []), ("session" = [])),
    responses((status = 200, body = DryRunDto), (status = 403, body = Problem), (status = 404, body = Problem)))]
pub async fn dry_run_journey(
    State(st): State<AppState>,
    ctx: OrgCtx,
    Path(ids): Path<(String, String)>,
) -> ApiResult<Json<DryRunDto>> {
    let d = journeys::dry_run(&st.svc, &ctx.access, parse_id(&ids.1)?).await?;
    Ok(Json(dry_run_dto(&d)))
}

/// Enables a draft that had a dry run: it starts customers from now.
#[utoipa::path(post, path = "/api/v1/orgs/{org_id}/journeys/{journey_id}/enable", tag = "reach",
    params(("org_id" = String, Path), ("journey_id" = String, Path)), security(("bearer" = []), ("session" = [])),
    responses((status = 200, body = JourneyDto), (status = 403, body = Problem), (status = 404, body = Problem),
        (status = 409, body = Problem, description = "journey_not_draft, or journey_needs_dry_run")))]
pub async fn enable_journey(
    State(st): State<AppState>,
    ctx: OrgCtx,
    Path(ids): Path<(String, String)>,
) -> ApiResult<Json<JourneyDto>> {
    let j = journeys::enable(&st.svc, &ctx.access, parse_id(&ids.1)?).await?;
    Ok(Json(journey_dto(&j)))
}

/// Archives a journey: no one new starts, and its running customers end.
#[utoipa::path(post, path = "/api/v1/orgs/{org_id}/journeys/{journey_id}/archive", tag = "reach",
    params(("org_id" = String, Path), ("journey_id" = String, Path)), security(("bearer" = []), ("session" = [])),
    responses((status = 204), (status = 403, body = Problem), (status = 404, body = Problem),
        (status = 409, body = Problem, description = "journey_archived: archived already")))]
pub async fn archive_journey(
    State(st): State<AppState>,
    ctx: OrgCtx,
    Path(ids): Path<(String, String)>,
) -> ApiResult<StatusCode> {
    journeys::archive(&st.svc, &ctx.access, parse_id(&ids.1)?).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct JourneyTaskDto {
    pub id: String,
    pub journey_id: String,
    pub journey_name: String,
    pub contact_id: String,
    pub person_id: String,
    pub person_name: String,
    pub title: String,
    pub created_at: i64,
    pub done_at: Option<i64>,
}

pub(crate) fn task_dto(t: &JourneyTaskRecord) -> JourneyTaskDto {
    JourneyTaskDto {
        id: t.id.to_string(),
        journey_id: t.journey_id.to_string(),
        journey_name: t.journey_name.clone(),
        contact_id: t.contact_id.to_string(),
        person_id: t.person_id.to_string(),
        person_name: t.person_name.clone(),
        title: t.title.clone(),
        created_at: t.created_at.millis(),
        done_at: t.done_at.map(|d| d.millis()),
    }
}

/// The caller's tasks from journeys, open ones first (200 at most).
#[utoipa::path(get, path = "/api/v1/orgs/{org_id}/journey-tasks", tag = "reach",
    params(("org_id" = String, Path)), security(("bearer" = []), ("session" = [])),
    responses((status = 200, body = [JourneyTaskDto]), (status = 403, body = Problem)))]
pub async fn list_tasks(
    State(st): State<AppState>,
    ctx: OrgCtx,
) -> ApiResult<Json<Vec<JourneyTaskDto>>> {
    let t = journeys::tasks(&st.svc, &ctx.access).await?;
    Ok(Json(t.iter().map(task_dto).collect()))
}

/// Marks one of the caller's tasks done.
#[utoipa::path(post, path = "/api/v1/orgs/{org_id}/journey-tasks/{task_id}/done", tag = "reach",
    params(("org_id" = String, Path), ("task_id" = String, Path)), security(("bearer" = []), ("session" = [])),
    responses((status = 204), (status = 403, body = Problem), (status = 404, body = Problem)))]
pub async fn task_done(
    State(st): State<AppState>,
    ctx: OrgCtx,
    Path(ids): Path<(String, String)>,
) -> ApiResult<StatusCode> {
    journeys::task_done(&st.svc, &ctx.access, parse_id(&ids.1)?).await?;
    Ok(StatusCode::NO_CONTENT)
}
