//! Journey pages: the list with the caller's tasks and the composer, and one
//! journey with its steps' results, the dry run, and enabling or archiving it.

use super::super::console::Console;
use super::super::{
    AfterParams, CsrfOnly, PageResult, check_csrf, form_error, path_id, render_form, saved,
};
use crate::AppState;
use crate::api::reach::journeys::{JourneyReq, JourneyStepDto, new_journey};
use crate::error::ApiError;
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Redirect};
use axum::routing::{get, post};
use axum::{Form, Router};
use quan_core::reach::journeys::{self, DryRun, DrySubject, JourneyDetail};
use quan_core::reach::sees_all;
use quan_core::{ChannelCodeRecord, JourneyRecord, JourneyStatus, JourneyTaskRecord, PageRequest};
use quan_domain::{JourneyId, JourneyStep, JourneyTaskId, JourneyTrigger};

/// Step rows the composer offers (the API takes up to twelve).
const FORM_STEPS: usize = 6;

pub(super) fn router() -> Router<AppState> {
    Router::new()
        .route(
            "/console/{org_id}/journeys",
            get(journeys_page).post(journey_create),
        )
        .route(
            "/console/{org_id}/journeys/tasks/{task_id}/done",
            post(task_done),
        )
        .route("/console/{org_id}/journeys/{journey_id}", get(journey_page))
        .route(
            "/console/{org_id}/journeys/{journey_id}/dry-run",
            get(back_to_journey).post(journey_dry_run),
        )
        .route(
            "/console/{org_id}/journeys/{journey_id}/enable",
            post(journey_enable),
        )
        .route(
            "/console/{org_id}/journeys/{journey_id}/archive",
            post(journey_archive),
        )
}

/// The composer as typed: a refused form comes back with all of it.
#[derive(Clone, Default)]
struct JourneyForm {
    csrf: String,
    name: String,
    trigger: String,
    trigger_code: String,
    trigger_days: String,
    /// (kind, value) per row; an empty kind is an unused row.
    steps: Vec<(String, String)>,
}

impl JourneyForm {
    /// A form from the urlencoded pairs (`kind_0`, `value_0`, …), any order.
    fn from_pairs(pairs: Vec<(String, String)>) -> Self {
        let mut f = JourneyForm {
            steps: vec![(String::new(), String::new()); FORM_STEPS],
            ..JourneyForm::default()
        };
        for (k, v) in pairs {
            match k.as_str() {
                "csrf" => f.csrf = v,
                "name" => f.name = v,
                "trigger" => f.trigger = v,
                "trigger_code" => f.trigger_code = v,
                "trigger_days" => f.trigger_days = v,
                other => {
                    let slot = |p: &str| {
                        other
                            .strip_prefix(p)
                            .and_then(|i| i.parse::<usize>().ok())
                            .filter(|i| *i < FORM_STEPS)
                    };
                    if let Some(i) = slot("kind_") {
                        f.steps[i].0 = v;
                    } else if let Some(i) = slot("value_") {
                        f.steps[i].1 = v;
                    }
                }
            }
        }
        f
    }

    fn blank() -> Self {
        let mut steps = vec![(String::new(), String::new()); FORM_STEPS];
        steps[0].0 = "send".into();
        JourneyForm {
            trigger: "code_joined".into(),
            trigger_days: "30".into(),
            steps,
            ..JourneyForm::default()
        }
    }

    /// The request the API would take: unused rows dropped, a bad number of days
    /// left for the domain to refuse by name.
    fn request(&self) -> JourneyReq {
        let inactive = self.trigger == "inactive";
        JourneyReq {
            name: self.name.clone(),
            trigger: self.trigger.clone(),
            trigger_code: (!inactive && !self.trigger_code.is_empty())
                .then(|| self.trigger_code.clone()),
            trigger_days: if inactive {
                Some(self.trigger_days.trim().parse().unwrap_or(0))
            } else {
                None
            },
            // A row with a value but no kind is refused (by its step), not dropped.
            steps: self
                .steps
                .iter()
                .filter(|(k, v)| !k.is_empty() || !v.trim().is_empty())
                .map(|(kind, value)| JourneyStepDto {
                    kind: kind.clone(),
                    value: value.clone(),
                })
                .collect(),
        }
    }
}

#[derive(Template)]
#[template(path = "console_journeys.html")]
struct JourneysPage<'a> {
    k: &'a Console,
    manage: bool,
    items: &'a [JourneyRecord],
    next: Option<String>,
    tasks: &'a [JourneyTaskRecord],
    codes: &'a [ChannelCodeRecord],
    form: JourneyForm,
    kinds: [&'static str; 5],
    error: Option<&'a str>,
}

impl JourneysPage<'_> {
    fn w(&self, section: &str, code: &str) -> String {
        self.k.c.word(section, code).to_owned()
    }
    fn trigger(&self, j: &JourneyRecord) -> String {
        trigger_text(self.k, j, self.codes)
    }
}

/// A trigger in words: "Joined through 春季快闪" or "Silent for 30 days".
fn trigger_text(k: &Console, j: &JourneyRecord, codes: &[ChannelCodeRecord]) -> String {
    match j.trigger {
        JourneyTrigger::CodeJoined { code: None } => k.c.t("journeys.on_any_code").to_owned(),
        JourneyTrigger::CodeJoined { code: Some(id) } => {
            let name = codes
                .iter()
                .find(|c| c.id == id)
                .map_or("—", |c| c.name.as_str());
            k.c.t("journeys.on_code").replace("{code}", name)
        }
        JourneyTrigger::Inactive { days } => {
            k.c.t("journeys.on_inactive")
                .replace("{n}", &days.to_string())
        }
    }
}

async fn list_view(
    st: &AppState,
    k: &Console,
    after: Option<String>,
    form: JourneyForm,
    error: Option<String>,
) -> PageResult {
    let page = journeys::list(&st.svc, &k.access, &PageRequest::new(after, Some(20)))
        .await
        .map_err(ApiError::from)?;
    let tasks = journeys::tasks(&st.svc, &k.access)
        .await
        .map_err(ApiError::from)?;
    let codes = quan_core::reach::codes::list(&st.svc, &k.access)
        .await
        .map_err(ApiError::from)?;
    Ok(render_form(
        &JourneysPage {
            k,
            manage: sees_all(&k.access),
            items: &page.items,
            next: page.next,
            tasks: &tasks,
            codes: &codes,
            form,
            kinds: JourneyStep::KINDS,
            error: error.as_deref(),
        },
        error.is_some(),
    ))
}

async fn journeys_page(
    State(st): State<AppState>,
    k: Console,
    Query(q): Query<AfterParams>,
) -> PageResult {
    list_view(&st, &k, q.after, JourneyForm::blank(), None).await
}

async fn journey_create(
    State(st): State<AppState>,
    k: Console,
    Form(pairs): Form<Vec<(String, String)>>,
) -> PageResult {
    let f = JourneyForm::from_pairs(pairs);
    check_csrf(&k.c, &f.csrf)?;
    let result = match new_journey(f.request()) {
        Ok(n) => journeys::create(&st.svc, &k.access, n)
            .await
            .map_err(ApiError::from),
        Err(e) => Err(ApiError::from(e)),
    };
    match result {
        Ok(j) => Ok(Redirect::to(&format!("{}/journeys/{}", k.base(), j.id)).into_response()),
        Err(e) => {
            let msg = form_error(&k.c, e)?;
            list_view(&st, &k, None, f, Some(msg)).await
        }
    }
}

async fn task_done(
    State(st): State<AppState>,
    k: Console,
    Path((_, id)): Path<(String, String)>,
    Form(f): Form<CsrfOnly>,
) -> PageResult {
    check_csrf(&k.c, &f.csrf)?;
    match journeys::task_done(&st.svc, &k.access, path_id::<JourneyTaskId>(&id)?).await {
        // Done already (a second click, another tab): the list says so.
        Ok(()) | Err(quan_core::reach::error::ReachError::NotFound) => {
            Ok(saved(&format!("{}/journeys#tasks", k.base())))
        }
        Err(e) => Err(ApiError::from(e).into()),
    }
}

#[derive(Template)]
#[template(path = "console_journey.html")]
struct JourneyPage<'a> {
    k: &'a Console,
    d: &'a JourneyDetail,
    trigger: String,
    manage: bool,
    dry: Option<&'a DryRun>,
    error: Option<&'a str>,
}

impl JourneyPage<'_> {
    fn w(&self, section: &str, code: &str) -> String {
        self.k.c.word(section, code).to_owned()
    }
    /// A step in words, with its value.
    fn step_text(&self, s: &JourneyStep) -> String {
        let kind = self.k.c.word("step_kinds", s.kind());
        match s {
            JourneyStep::Wait { days } | JourneyStep::UntilReply { days } => self
                .k
                .c
                .t("journeys.days_n")
                .replace("{kind}", kind)
                .replace("{n}", &days.to_string()),
            _ => self
                .k
                .c
                .t("journeys.step_fmt")
                .replace("{kind}", kind)
                .replace("{value}", &s.value()),
        }
    }
    /// Each step's outcomes as "sent 12 · opted out 1 · left after it 1".
    fn tallies(&self, step: &usize) -> String {
        let sep = self.k.c.t("journeys.list_sep");
        let here = |s: i64| usize::try_from(s).ok() == Some(*step);
        let mut parts: Vec<String> = self
            .d
            .results
            .steps
            .iter()
            .filter(|t| here(t.step))
            .map(|t| format!("{} {}", self.k.c.word("step_outcomes", &t.outcome), t.n))
            .collect();
        parts.extend(
            self.d
                .results
                .negatives_by_step
                .iter()
                .filter(|(s, _)| here(*s))
                .map(|(_, n)| format!("{} {n}", self.k.c.t("journeys.left_after"))),
        );
        parts.join(sep)
    }
    /// Negatives per delivered message, one decimal (integer arithmetic).
    fn negative_rate(&self) -> String {
        super::negative_rate(self.d.results.negatives, self.d.results.delivered)
    }
    /// A step's kind in words, by its index.
    fn step_name(&self, step: &usize) -> String {
        self.d
            .journey
            .steps
            .get(*step)
            .map_or_else(String::new, |s| {
                self.k.c.word("step_kinds", s.kind()).to_owned()
            })
    }
    /// An inactivity journey that would start no one yet.
    fn none_silent(&self, r: &DryRun) -> bool {
        r.would_start == Some(0)
    }
    /// How many findings the dry run listed.
    fn dry_findings(&self, r: &DryRun) -> usize {
        r.walks.iter().map(|w| w.findings.len()).sum()
    }
    /// "8 walks simulated; 6 meet no rule at all."
    fn dry_summary(&self, r: &DryRun) -> String {
        let clean = r.walks.iter().filter(|w| w.findings.is_empty()).count();
        self.k
            .c
            .t("journeys.dry_summary")
            .replace("{n}", &r.walks.len().to_string())
            .replace("{clean}", &clean.to_string())
    }
    fn is_draft(&self) -> bool {
        self.d.journey.status == JourneyStatus::Draft
    }
    fn is_archived(&self) -> bool {
        self.d.journey.status == JourneyStatus::Archived
    }
}

async fn journey_view(
    st: &AppState,
    k: &Console,
    id: &str,
    dry: Option<&DryRun>,
    error: Option<String>,
) -> PageResult {
    let id = path_id::<JourneyId>(id)?;
    let d = journeys::get(&st.svc, &k.access, id)
        .await
        .map_err(ApiError::from)?;
    let codes = quan_core::reach::codes::list(&st.svc, &k.access)
        .await
        .map_err(ApiError::from)?;
    Ok(render_form(
        &JourneyPage {
            k,
            trigger: trigger_text(k, &d.journey, &codes),
            d: &d,
            manage: sees_all(&k.access),
            dry,
            error: error.as_deref(),
        },
        error.is_some(),
    ))
}

async fn journey_page(
    State(st): State<AppState>,
    k: Console,
    Path((_, id)): Path<(String, String)>,
) -> PageResult {
    journey_view(&st, &k, &id, None, None).await
}

/// A reload of a dry run's page (its URL is the form's): the journey itself.
async fn back_to_journey(k: Console, Path((_, id)): Path<(String, String)>) -> PageResult {
    Ok(Redirect::to(&format!(
        "{}/journeys/{}",
        k.base(),
        path_id::<JourneyId>(&id)?
    ))
    .into_response())
}

async fn journey_dry_run(
    State(st): State<AppState>,
    k: Console,
    Path((_, id)): Path<(String, String)>,
    Form(f): Form<CsrfOnly>,
) -> PageResult {
    check_csrf(&k.c, &f.csrf)?;
    let dry = journeys::dry_run(&st.svc, &k.access, path_id(&id)?)
        .await
        .map_err(ApiError::from)?;
    journey_view(&st, &k, &id, Some(&dry), None).await
}

async fn journey_enable(
    State(st): State<AppState>,
    k: Console,
    Path((_, id)): Path<(String, String)>,
    Form(f): Form<CsrfOnly>,
) -> PageResult {
    check_csrf(&k.c, &f.csrf)?;
    match journeys::enable(&st.svc, &k.access, path_id(&id)?).await {
        Ok(_) => Ok(saved(&format!("{}/journeys/{id}", k.base()))),
        Err(e) => {
            let msg = form_error(&k.c, e.into())?;
            journey_view(&st, &k, &id, None, Some(msg)).await
        }
    }
}

async fn journey_archive(
    State(st): State<AppState>,
    k: Console,
    Path((_, id)): Path<(String, String)>,
    Form(f): Form<CsrfOnly>,
) -> PageResult {
    check_csrf(&k.c, &f.csrf)?;
    match journeys::archive(&st.svc, &k.access, path_id(&id)?).await {
        Ok(()) => Ok(saved(&format!("{}/journeys/{id}", k.base()))),
        Err(e) => {
            let msg = form_error(&k.c, e.into())?;
            journey_view(&st, &k, &id, None, Some(msg)).await
        }
    }
}
