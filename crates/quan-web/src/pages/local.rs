//! Community group buying's pages: the console's leaders and pickup points (a
//! list with the form that sets one up, and each one's page to change it; a
//! refused form comes back as typed), and the member app's pickup-point chooser
//! (the shop's points that serve where the buyer is, nearest first).

use super::console::Console;
use super::forms::whole;
use super::{
    AfterParams, Chrome, PageResult, check_csrf, form_error, path_id, render_form, require_user,
    saved,
};
use crate::AppState;
use crate::error::ApiError;
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::routing::get;
use axum::{Form, Router};
use quan_core::PageRequest;
use quan_core::local::port::LeaderRecord;
use quan_core::local::{self, Choice, LeaderInput};
use quan_domain::{DEFAULT_RADIUS_M, GeoPoint, LeaderId, OrgId, ParseError, PickupKind};
use serde::Deserialize;

pub(crate) fn router() -> Router<AppState> {
    Router::new()
        .route(
            "/console/{org_id}/shop/leaders",
            get(console_page).post(create),
        )
        .route(
            "/console/{org_id}/shop/leaders/{leader_id}",
            get(leader_page).post(update),
        )
        .route("/app/shop/{org_id}/pickup", get(chooser))
}

/// The leader form as typed (checkboxes are absent when unticked).
#[derive(Deserialize, Default, Clone)]
struct LeaderForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    phone: String,
    #[serde(default)]
    point_name: String,
    #[serde(default)]
    address: String,
    #[serde(default)]
    lat: String,
    #[serde(default)]
    lon: String,
    #[serde(default)]
    kind: String,
    #[serde(default)]
    hours: String,
    #[serde(default)]
    radius_m: String,
    #[serde(default)]
    capacity: String,
    /// Percent of a completed order's paid amount, up to two decimals.
    #[serde(default)]
    commission: String,
    #[serde(default)]
    online: Option<String>,
    #[serde(default)]
    stand_in: String,
    #[serde(default)]
    active: Option<String>,
}

/// Basis points as a percentage (500 → 5).
fn percent(bp: i64) -> f64 {
    #[allow(clippy::cast_precision_loss)] // at most 3,000
    let pct = bp as f64 / 100.0;
    pct
}

/// A number typed into a form field, or the field's own refusal.
fn number(raw: &str, field: &'static str, code: &'static str) -> Result<f64, ParseError> {
    raw.trim()
        .parse::<f64>()
        .ok()
        .filter(|x| x.is_finite())
        .ok_or_else(|| ParseError::new(field, code, "a number"))
}

impl LeaderForm {
    fn fresh() -> Self {
        Self {
            kind: PickupKind::Store.as_str().to_owned(),
            radius_m: DEFAULT_RADIUS_M.to_string(),
            capacity: "200".to_owned(),
            commission: "5".to_owned(),
            online: Some("on".to_owned()),
            active: Some("on".to_owned()),
            ..Self::default()
        }
    }

    fn of(l: &LeaderRecord) -> Self {
        Self {
            csrf: String::new(),
            name: l.name.clone(),
            phone: l.phone.clone(),
            point_name: l.point_name.clone(),
            address: l.address.clone(),
            lat: format!("{:.6}", l.location.lat()),
            lon: format!("{:.6}", l.location.lon()),
            kind: l.kind.as_str().to_owned(),
            hours: l.hours.clone(),
            radius_m: l.radius_m.to_string(),
            capacity: l.capacity.to_string(),
            commission: percent(l.commission_bp).to_string(),
            online: l.online.then(|| "on".to_owned()),
            stand_in: l.stand_in.map(|s| s.to_string()).unwrap_or_default(),
            active: l.active.then(|| "on".to_owned()),
        }
    }

    /// The typed form as the use case's input (`account`: the leader's own, which
    /// the form does not show and an edit keeps); a field that is not a number is
    /// refused here, by its field.
    fn input(&self, account: Option<quan_domain::AccountId>) -> Result<LeaderInput, ParseError> {
        let location = GeoPoint::new(
            number(&self.lat, "location", "invalid_coordinates")?,
            number(&self.lon, "location", "invalid_coordinates")?,
        )?;
        let pct = number(&self.commission, "commission_bp", "invalid_commission")?;
        #[allow(clippy::cast_possible_truncation)] // bounded just below
        let commission_bp = (pct.clamp(-1.0, 1e6) * 100.0).round() as i64;
        let stand_in =
            match self.stand_in.trim() {
                "" => None,
                s => Some(s.parse::<LeaderId>().map_err(|_| {
                    ParseError::new("stand_in", "invalid_stand_in", "choose a leader")
                })?),
            };
        Ok(LeaderInput {
            account,
            name: self.name.clone(),
            phone: self.phone.clone(),
            point_name: self.point_name.clone(),
            address: self.address.clone(),
            location,
            kind: PickupKind::parse(&self.kind)?,
            hours: self.hours.clone(),
            radius_m: whole(&self.radius_m, "radius_m", "invalid_radius")?,
            capacity: whole(&self.capacity, "capacity", "invalid_capacity")?,
            commission_bp,
            online: self.online.is_some(),
            stand_in,
            active: self.active.is_some(),
        })
    }
}

#[derive(Template)]
#[template(path = "console_leaders.html")]
struct ConsolePage<'a> {
    k: &'a Console,
    items: &'a [LeaderRecord],
    next: Option<String>,
    form: LeaderForm,
    error: Option<&'a str>,
    /// Who may stand in: the org's active leaders (the first hundred).
    leaders: &'a [LeaderRecord],
    /// Every leader this page names, to say who serves an offline point.
    known: &'a [LeaderRecord],
    editing: Option<&'a LeaderRecord>,
}

impl ConsolePage<'_> {
    fn kinds(&self) -> &'static [PickupKind] {
        PickupKind::ALL
    }
    fn percent(&self, l: &LeaderRecord) -> String {
        format!("{}%", percent(l.commission_bp))
    }
    /// Who hands an offline leader's orders over: their stand-in while that one
    /// is active and online; empty when no one does (buyers are not offered it).
    fn stand_in_name(&self, l: &LeaderRecord) -> String {
        l.stand_in
            .and_then(|s| self.known.iter().find(|o| o.id == s))
            .filter(|o| o.active && o.online)
            .map(|o| o.name.clone())
            .unwrap_or_default()
    }
    /// Where the form posts: the list for a new leader, the leader's page otherwise.
    fn action(&self) -> String {
        match self.editing {
            Some(l) => format!("{}/shop/leaders/{}", self.k.base(), l.id),
            None => format!("{}/shop/leaders", self.k.base()),
        }
    }
}

async fn console_view(
    st: &AppState,
    k: &Console,
    (after, editing): (Option<String>, Option<&LeaderRecord>),
    form: LeaderForm,
    error: Option<String>,
) -> PageResult {
    let page = local::list(&st.svc, &k.access, &PageRequest::new(after, Some(30)))
        .await
        .map_err(ApiError::from)?;
    let all = local::list(&st.svc, &k.access, &PageRequest::new(None, Some(100)))
        .await
        .map_err(ApiError::from)?;
    let mut known: Vec<LeaderRecord> = all.items;
    // Every stand-in named on this page, read if not among the first hundred (an
    // older or retired one), so the list can say whether it serves.
    let named = page.items.iter().chain(editing).filter_map(|l| l.stand_in);
    let missing: Vec<LeaderId> = named
        .filter(|s| !known.iter().any(|o| o.id == *s))
        .collect();
    if !missing.is_empty() {
        let found = local::some(&st.svc, &k.access, &missing)
            .await
            .map_err(ApiError::from)?;
        known.extend(found);
    }
    // Who may stand in: the active others, and the one the edited leader has (so
    // saving keeps it, retired or not).
    let kept = editing.and_then(|e| e.stand_in);
    let leaders: Vec<LeaderRecord> = known
        .iter()
        .filter(|l| editing.is_none_or(|e| e.id != l.id))
        .filter(|l| l.active || Some(l.id) == kept)
        .cloned()
        .collect();
    Ok(render_form(
        &ConsolePage {
            k,
            items: if editing.is_some() { &[] } else { &page.items },
            next: if editing.is_some() { None } else { page.next },
            form,
            error: error.as_deref(),
            leaders: &leaders,
            known: &known,
            editing,
        },
        error.is_some(),
    ))
}

async fn console_page(
    State(st): State<AppState>,
    k: Console,
    Query(q): Query<AfterParams>,
) -> PageResult {
    console_view(&st, &k, (q.after, None), LeaderForm::fresh(), None).await
}

async fn create(State(st): State<AppState>, k: Console, Form(f): Form<LeaderForm>) -> PageResult {
    check_csrf(&k.c, &f.csrf)?;
    let made = match f.input(None) {
        Ok(input) => local::create(&st.svc, &k.access, input).await,
        Err(e) => Err(e.into()),
    };
    match made {
        Ok(_) => Ok(saved(&format!("{}/shop/leaders", k.base()))),
        Err(e) => {
            let msg = form_error(&k.c, e.into())?;
            console_view(&st, &k, (None, None), f, Some(msg)).await
        }
    }
}

async fn leader_page(
    State(st): State<AppState>,
    k: Console,
    Path((_, id)): Path<(String, String)>,
) -> PageResult {
    let l = local::get(&st.svc, &k.access, path_id(&id)?)
        .await
        .map_err(ApiError::from)?;
    console_view(&st, &k, (None, Some(&l)), LeaderForm::of(&l), None).await
}

async fn update(
    State(st): State<AppState>,
    k: Console,
    Path((_, id)): Path<(String, String)>,
    Form(f): Form<LeaderForm>,
) -> PageResult {
    check_csrf(&k.c, &f.csrf)?;
    let id: LeaderId = path_id(&id)?;
    let l = local::get(&st.svc, &k.access, id)
        .await
        .map_err(ApiError::from)?;
    let changed = match f.input(l.account_id) {
        Ok(input) => local::update(&st.svc, &k.access, id, input).await,
        Err(e) => Err(e.into()),
    };
    match changed {
        Ok(_) => Ok(saved(&format!("{}/shop/leaders", k.base()))),
        Err(e) => {
            let msg = form_error(&k.c, e.into())?;
            console_view(&st, &k, (None, Some(&l)), f, Some(msg)).await
        }
    }
}

/// Where the buyer is, as typed or as their browser told (empty: not asked yet).
#[derive(Deserialize, Default)]
struct PlaceForm {
    #[serde(default)]
    lat: String,
    #[serde(default)]
    lon: String,
}

#[derive(Template)]
#[template(path = "app_pickup.html")]
struct ChooserPage<'a> {
    c: &'a Chrome,
    org: OrgId,
    place: PlaceForm,
    asked: bool,
    items: Vec<Choice>,
    error: Option<String>,
}

impl ChooserPage<'_> {
    fn distance(&self, ch: &Choice) -> String {
        if ch.distance_m < 1_000.0 {
            let n = format!("{:.0}", ch.distance_m);
            self.c.t("local.metres").replace("{n}", &n)
        } else {
            let n = format!("{:.1}", ch.distance_m / 1_000.0);
            self.c.t("local.km").replace("{n}", &n)
        }
    }
    fn kind(&self, ch: &Choice) -> &'static str {
        ch.leader.kind.as_str()
    }
}

/// The pickup points that serve the buyer's place, nearest first; the first is
/// their match.
async fn chooser(
    State(st): State<AppState>,
    c: Chrome,
    Path(org): Path<String>,
    Query(place): Query<PlaceForm>,
) -> PageResult {
    let actor = require_user(&c)?;
    let org: OrgId = path_id(&org)?;
    let asked = !place.lat.trim().is_empty() || !place.lon.trim().is_empty();
    let (mut items, mut error) = (Vec::new(), None);
    if asked {
        let at = number(&place.lat, "location", "invalid_coordinates")
            .and_then(|lat| Ok((lat, number(&place.lon, "location", "invalid_coordinates")?)))
            .and_then(|(lat, lon)| GeoPoint::new(lat, lon));
        match at {
            Ok(at) => match local::choices(&st.svc, actor, org, at, local::CHOICES_MAX).await {
                Ok(found) => items = found,
                Err(e) => error = Some(form_error(&c, e.into())?),
            },
            Err(e) => error = Some(form_error(&c, e.into())?),
        }
    }
    let failed = error.is_some();
    Ok(render_form(
        &ChooserPage {
            c: &c,
            org,
            place,
            asked,
            items,
            error,
        },
        failed,
    ))
}
