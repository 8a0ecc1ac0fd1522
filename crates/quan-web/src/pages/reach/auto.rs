//! The console's auto-reply page: the rules in order with a form to add one, the
//! business hours and away message, and a preview box that runs a sample message
//! through the rules without sending anything.

use super::super::console::Console;
use super::super::{PageResult, check_csrf, form_error, path_id, render_form, saved};
use crate::AppState;
use crate::error::ApiError;
use askama::Template;
use axum::extract::{Path, State};
use axum::routing::{get, post};
use axum::{Form, Router};
use quan_core::reach::auto::{self, Answer, NewRule};
use quan_core::{AutoReplyRecord, AutoReplySettings};
use quan_domain::AutoReplyId;
use serde::Deserialize;

pub(super) fn router() -> Router<AppState> {
    Router::new()
        .route(
            "/console/{org_id}/auto-replies",
            get(auto_page).post(rule_add),
        )
        .route(
            "/console/{org_id}/auto-replies/settings",
            post(settings_save),
        )
        .route("/console/{org_id}/auto-replies/preview", post(preview))
        .route(
            "/console/{org_id}/auto-replies/{rule_id}/delete",
            post(rule_delete),
        )
}

#[derive(Deserialize, Default, Clone)]
struct RuleForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    kind: String,
    #[serde(default)]
    pattern: String,
    #[serde(default)]
    action: String,
    #[serde(default)]
    answer: String,
}

#[derive(Deserialize, Default, Clone)]
struct SettingsForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    business_hours: String,
    #[serde(default)]
    away_message: String,
}

#[derive(Deserialize, Default, Clone)]
struct PreviewForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    message: String,
}

#[derive(Template)]
#[template(path = "console_auto.html")]
struct AutoPage<'a> {
    k: &'a Console,
    rules: &'a [AutoReplyRecord],
    settings: SettingsForm,
    rule: RuleForm,
    sample: String,
    answer: Option<Option<Answer>>,
    manage: bool,
    error: Option<&'a str>,
}

impl AutoPage<'_> {
    fn kind(&self, code: &str) -> String {
        self.k.c.word("rule_kinds", code).to_owned()
    }
    fn action(&self, code: &str) -> String {
        self.k.c.word("rule_actions", code).to_owned()
    }
}

struct State2 {
    rule: RuleForm,
    settings: Option<SettingsForm>,
    sample: String,
    answer: Option<Option<Answer>>,
}

async fn view(st: &AppState, k: &Console, s: State2, error: Option<String>) -> PageResult {
    let rules = auto::rules(&st.svc, &k.access)
        .await
        .map_err(ApiError::from)?;
    let settings = match s.settings {
        Some(f) => f,
        None => {
            let cur = auto::settings(&st.svc, &k.access)
                .await
                .map_err(ApiError::from)?;
            SettingsForm {
                business_hours: cur.business_hours,
                away_message: cur.away_message,
                ..SettingsForm::default()
            }
        }
    };
    Ok(render_form(
        &AutoPage {
            k,
            rules: &rules,
            settings,
            rule: s.rule,
            sample: s.sample,
            answer: s.answer,
            manage: quan_core::reach::sees_all(&k.access),
            error: error.as_deref(),
        },
        error.is_some(),
    ))
}

fn blank() -> State2 {
    State2 {
        rule: RuleForm {
            kind: "keyword".to_owned(),
            action: "answer".to_owned(),
            ..RuleForm::default()
        },
        settings: None,
        sample: String::new(),
        answer: None,
    }
}

async fn auto_page(State(st): State<AppState>, k: Console) -> PageResult {
    view(&st, &k, blank(), None).await
}

async fn rule_add(State(st): State<AppState>, k: Console, Form(f): Form<RuleForm>) -> PageResult {
    check_csrf(&k.c, &f.csrf)?;
    let n = NewRule {
        name: f.name.clone(),
        kind: f.kind.clone(),
        pattern: f.pattern.clone(),
        action: f.action.clone(),
        answer: f.answer.clone(),
    };
    match auto::create(&st.svc, &k.access, n).await {
        Ok(_) => Ok(saved(&format!("{}/auto-replies", k.base()))),
        Err(e) => {
            let msg = form_error(&k.c, e.into())?;
            view(&st, &k, State2 { rule: f, ..blank() }, Some(msg)).await
        }
    }
}

async fn rule_delete(
    State(st): State<AppState>,
    k: Console,
    Path((_, id)): Path<(String, String)>,
    Form(f): Form<super::super::CsrfOnly>,
) -> PageResult {
    check_csrf(&k.c, &f.csrf)?;
    auto::delete(&st.svc, &k.access, path_id::<AutoReplyId>(&id)?)
        .await
        .map_err(ApiError::from)?;
    Ok(saved(&format!("{}/auto-replies", k.base())))
}

async fn settings_save(
    State(st): State<AppState>,
    k: Console,
    Form(f): Form<SettingsForm>,
) -> PageResult {
    check_csrf(&k.c, &f.csrf)?;
    let s = AutoReplySettings {
        business_hours: f.business_hours.clone(),
        away_message: f.away_message.clone(),
    };
    match auto::set_settings(&st.svc, &k.access, s).await {
        Ok(()) => Ok(saved(&format!("{}/auto-replies", k.base()))),
        Err(e) => {
            let msg = form_error(&k.c, e.into())?;
            view(
                &st,
                &k,
                State2 {
                    settings: Some(f),
                    ..blank()
                },
                Some(msg),
            )
            .await
        }
    }
}

async fn preview(State(st): State<AppState>, k: Console, Form(f): Form<PreviewForm>) -> PageResult {
    check_csrf(&k.c, &f.csrf)?;
    let sample = k.c.t("reach.example_name").to_owned();
    match auto::preview(&st.svc, &k.access, &f.message, &sample).await {
        Ok(a) => {
            view(
                &st,
                &k,
                State2 {
                    sample: f.message,
                    answer: Some(a),
                    ..blank()
                },
                None,
            )
            .await
        }
        Err(e) => {
            let msg = form_error(&k.c, e.into())?;
            view(
                &st,
                &k,
                State2 {
                    sample: f.message,
                    ..blank()
                },
                Some(msg),
            )
            .await
        }
    }
}
