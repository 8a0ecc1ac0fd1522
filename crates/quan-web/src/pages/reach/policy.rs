//! The console's reach settings: the touch budget, quiet hours, time zone, contact
//! cap and pause threshold in force, every saved version, and a form that saves a
//! new version (owners and admins), taking effect now or on a date.

use super::super::console::Console;
use super::super::{PageResult, check_csrf, form_error, render_form, saved};
use crate::AppState;
use crate::error::ApiError;
use askama::Template;
use axum::extract::State;
use axum::routing::get;
use axum::{Form, Router};
use quan_core::PolicyRecord;
use quan_domain::{
    BudgetKind, QuietHours, Role, Timestamp, TouchPolicy, Zone, parse_contact_cap, parse_pause_bp,
};
use serde::Deserialize;

pub(super) fn router() -> Router<AppState> {
    Router::new().route(
        "/console/{org_id}/reach-settings",
        get(settings_page).post(settings_save),
    )
}

#[derive(Deserialize, Default, Clone)]
pub(super) struct PolicyForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    budget: String,
    #[serde(default)]
    quiet_hours: String,
    #[serde(default)]
    time_zone: String,
    #[serde(default)]
    contact_cap: String,
    /// A percentage with up to two decimals (2 or 2.5), kept as typed.
    #[serde(default)]
    pause_pct: String,
    /// `YYYY-MM-DD` in the org's zone; empty for now.
    #[serde(default)]
    effective: String,
}

impl PolicyForm {
    fn of(p: &TouchPolicy) -> Self {
        Self {
            budget: p.budget.as_str().to_owned(),
            quiet_hours: p.quiet.to_string(),
            time_zone: p.zone.name().to_owned(),
            contact_cap: p.contact_cap.to_string(),
            pause_pct: pct(p.negative_pause_bp),
            ..Self::default()
        }
    }
    /// The form as a policy and when it takes effect; errors name the field.
    fn parse(&self) -> Result<(TouchPolicy, Option<Timestamp>), quan_domain::ParseError> {
        let zone = Zone::parse(&self.time_zone)?;
        let cap = self.contact_cap.trim().parse::<i64>().map_err(|_| {
            quan_domain::ParseError::new("contact_cap", "invalid_contact_cap", "a whole number")
        })?;
        let from = if self.effective.trim().is_empty() {
            None
        } else {
            Some(zone.day_start(self.effective.trim()).ok_or_else(|| {
                quan_domain::ParseError::new("effective_from", "invalid_date", "YYYY-MM-DD")
            })?)
        };
        Ok((
            TouchPolicy {
                budget: BudgetKind::parse(&self.budget)?,
                quiet: QuietHours::parse(&self.quiet_hours)?,
                zone,
                contact_cap: parse_contact_cap(cap)?,
                negative_pause_bp: parse_pause_bp(bp(&self.pause_pct).ok_or_else(|| {
                    quan_domain::ParseError::new(
                        "negative_pause_bp",
                        "invalid_pause_threshold",
                        "a percentage such as 2 or 2.5",
                    )
                })?)?,
            },
            from,
        ))
    }
}

/// Basis points as a percentage for people: 200 → "2", 250 → "2.5".
fn pct(bp: i64) -> String {
    let (whole, frac) = (bp / 100, bp % 100);
    match frac {
        0 => whole.to_string(),
        f if f % 10 == 0 => format!("{whole}.{}", f / 10),
        f => format!("{whole}.{f:02}"),
    }
}

/// A typed percentage (at most two decimals) as basis points, without floats.
fn bp(raw: &str) -> Option<i64> {
    let raw = raw.trim().trim_end_matches('%').trim();
    let (whole, frac) = raw.split_once('.').unwrap_or((raw, ""));
    if frac.len() > 2 || whole.is_empty() && frac.is_empty() {
        return None;
    }
    let whole: i64 = if whole.is_empty() {
        0
    } else {
        whole.parse().ok()?
    };
    let frac: i64 = if frac.is_empty() {
        0
    } else {
        format!("{frac:0<2}").parse().ok()?
    };
    whole.checked_mul(100)?.checked_add(frac)
}

#[derive(Template)]
#[template(path = "console_reach_settings.html")]
struct SettingsPage<'a> {
    k: &'a Console,
    versions: &'a [PolicyRecord],
    form: PolicyForm,
    can_edit: bool,
    error: Option<&'a str>,
    /// The org's reach webhook (owners and admins see it and its secret).
    webhook: Option<quan_core::EndpointRecord>,
    /// The webhook form's address: as typed when refused, else as saved.
    webhook_url: String,
}

impl SettingsPage<'_> {
    fn budget(&self, code: &str) -> String {
        self.k.c.word("budgets", code).to_owned()
    }
    fn pct(&self, bp: &i64) -> String {
        pct(*bp)
    }
}

pub(super) async fn view(
    st: &AppState,
    k: &Console,
    form: Option<PolicyForm>,
    error: Option<String>,
    typed_webhook: Option<String>,
) -> PageResult {
    let versions = quan_core::reach::policies(&st.svc, &k.access)
        .await
        .map_err(ApiError::from)?;
    let current = quan_core::reach::policy_now(&st.svc, k.access.org())
        .await
        .map_err(ApiError::from)?;
    let can_edit = matches!(k.role(), Role::Owner | Role::Admin);
    let webhook = if can_edit {
        quan_core::reach::delivery::endpoint(&st.svc, &k.access)
            .await
            .map_err(ApiError::from)?
    } else {
        None
    };
    let webhook_url = typed_webhook
        .or_else(|| webhook.as_ref().map(|w| w.url.clone()))
        .unwrap_or_default();
    Ok(render_form(
        &SettingsPage {
            k,
            versions: &versions,
            form: form.unwrap_or_else(|| PolicyForm::of(&current)),
            can_edit,
            error: error.as_deref(),
            webhook,
            webhook_url,
        },
        error.is_some(),
    ))
}

async fn settings_page(State(st): State<AppState>, k: Console) -> PageResult {
    view(&st, &k, None, None, None).await
}

async fn settings_save(
    State(st): State<AppState>,
    k: Console,
    Form(f): Form<PolicyForm>,
) -> PageResult {
    check_csrf(&k.c, &f.csrf)?;
    let r = match f.parse() {
        Ok((p, from)) => quan_core::reach::set_policy(&st.svc, &k.access, p, from)
            .await
            .map_err(ApiError::from),
        Err(e) => Err(ApiError::from(e)),
    };
    match r {
        Ok(_) => Ok(saved(&format!("{}/reach-settings", k.base()))),
        Err(e) => {
            let msg = form_error(&k.c, e)?;
            view(&st, &k, Some(f), Some(msg), None).await
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentages_are_basis_points_without_floats() {
        for (typed, want) in [
            ("2", Some(200)),
            ("2.5", Some(250)),
            ("0.25", Some(25)),
            ("10%", Some(1000)),
            (".5", Some(50)),
        ] {
            assert_eq!(bp(typed), want, "{typed}");
        }
        for bad in ["", "x", "2.555", "."] {
            assert_eq!(bp(bad), None, "{bad}");
        }
        assert_eq!(
            (pct(200), pct(250), pct(25)),
            ("2".into(), "2.5".into(), "0.25".into())
        );
    }
}
