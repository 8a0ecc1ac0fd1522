//! Coupon pages in the console: the org's coupons (claimed, used, left) with End,
//! the form that sets one up (a refused form comes back as typed), and the
//! stacking matrix. [`describe`] words a coupon the same way on every page.

use super::super::console::Console;
use super::super::{
    AfterParams, Chrome, CsrfOnly, PageResult, check_csrf, form_error, path_id, render_form, saved,
};
use crate::AppState;
use crate::error::ApiError;
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::routing::{get, post};
use axum::{Form, Router};
use quan_core::PageRequest;
use quan_core::commerce::catalog;
use quan_core::commerce::coupons::{self, CouponInput};
use quan_core::commerce::port::CouponRecord;
use quan_core::commerce::port::ProductRecord;
use quan_domain::{
    COUPON_LIMIT_MAX, CouponKind, CouponScope, CouponTerms, Currency, Layer, Money, ParseError,
    ProductId, Stacking, Timestamp, Validity, at_offset, parse_yuan,
};
use serde::Deserialize;

pub(super) fn router() -> Router<AppState> {
    Router::new()
        .route(
            "/console/{org_id}/shop/coupons",
            get(console_page).post(create),
        )
        .route("/console/{org_id}/shop/coupons/{coupon_id}/end", post(end))
        .route("/console/{org_id}/shop/stacking", post(set_stacking))
}

/// What a coupon takes off, where, and for how long, in the page's language.
pub(super) struct Described {
    pub(super) off: String,
    pub(super) scope: String,
    /// "Good 7 days after claiming", or "Use by" before [`Self::until`] (shown
    /// in the reader's time zone by the page's script).
    pub(super) validity: String,
    pub(super) until: Option<Timestamp>,
}

fn yuan(fen: i64) -> String {
    Money::from_fen(fen, Currency::Cny).to_string()
}

pub(super) fn describe(c: &Chrome, t: &CouponTerms) -> Described {
    let off = match t.kind {
        CouponKind::Fixed { off } => c.t("coupon.fixed_off").replace("{off}", &yuan(off)),
        CouponKind::Percent { percent, cap } => {
            // Chinese says what is paid, in tenths: 15 % off is 8.5 折.
            let paid = 100 - percent;
            let zhe = if paid % 10 == 0 {
                (paid / 10).to_string()
            } else {
                format!("{}.{}", paid / 10, paid % 10)
            };
            let s = c
                .t("coupon.percent_off")
                .replace("{p}", &percent.to_string())
                .replace("{zhe}", &zhe);
            match cap {
                Some(cap) => format!("{s} {}", c.t("coupon.capped").replace("{cap}", &yuan(cap))),
                None => s,
            }
        }
        CouponKind::Threshold { min_spend, off } => c
            .t("coupon.threshold_off")
            .replace("{min}", &yuan(min_spend))
            .replace("{off}", &yuan(off)),
    };
    let scope = match &t.scope {
        CouponScope::All => c.t("coupon.scope_all").to_owned(),
        CouponScope::Categories(cats) => c
            .t("coupon.scope_categories")
            .replace("{list}", &cats.join(" / ")),
        CouponScope::Products(ps) => c
            .t("coupon.scope_products")
            .replace("{n}", &ps.len().to_string()),
    };
    let (validity, until) = match t.validity {
        Validity::Dates { until, .. } => (c.t("coupon.valid_until").to_owned(), Some(until)),
        Validity::DaysAfterClaim(d) => (
            c.t("coupon.valid_days").replace("{n}", &d.to_string()),
            None,
        ),
    };
    Described {
        off,
        scope,
        validity,
        until,
    }
}

/// The set-up form as typed; amounts in yuan, dates in the browser's zone.
#[derive(Deserialize, Default, Clone)]
struct CouponForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    kind: String,
    #[serde(default)]
    off: String,
    #[serde(default)]
    percent: String,
    #[serde(default)]
    cap: String,
    #[serde(default)]
    min_spend: String,
    #[serde(default)]
    scope: String,
    #[serde(default)]
    categories: String,
    #[serde(default)]
    product: String,
    #[serde(default)]
    validity: String,
    #[serde(default)]
    days: String,
    #[serde(default)]
    until: String,
    #[serde(default)]
    supply: String,
    #[serde(default)]
    per_person: String,
    #[serde(default)]
    tz_offset: String,
}

impl CouponForm {
    fn fresh() -> Self {
        Self {
            kind: "threshold".to_owned(),
            scope: "all".to_owned(),
            validity: "days".to_owned(),
            days: "30".to_owned(),
            supply: "100".to_owned(),
            per_person: "1".to_owned(),
            ..Self::default()
        }
    }
    fn fen(raw: &str) -> Result<Option<i64>, ParseError> {
        match raw.trim() {
            "" => Ok(None),
            s => Ok(Some(parse_yuan(s, Currency::Cny)?.fen())),
        }
    }
    /// The typed form as the use case's input; fields the chosen kind, scope or
    /// validity does not use are ignored.
    fn input(&self, now: Timestamp) -> Result<CouponInput, ParseError> {
        let (off, cap, min_spend) = (
            Self::fen(&self.off)?,
            Self::fen(&self.cap)?,
            Self::fen(&self.min_spend)?,
        );
        let percent = match (self.kind.as_str(), self.percent.trim()) {
            ("percent", p) => Some(super::whole(p, "percent", "coupon_invalid_percent")?),
            _ => None,
        };
        let kind = CouponKind::from_parts(&self.kind, off, (percent, cap), min_spend)?;
        let categories = self
            .categories
            .split([',', '，', '\n'])
            .map(str::trim)
            .filter(|c| !c.is_empty())
            .map(str::to_owned)
            .collect();
        let products =
            match self.product.trim() {
                "" => Vec::new(),
                p => vec![p.parse::<ProductId>().map_err(|_| {
                    ParseError::new("products", "unknown_product", "choose a product")
                })?],
            };
        let scope = CouponScope::from_parts(&self.scope, categories, products)?;
        let validity = if self.validity == "dates" {
            let until = at_offset(
                self.until.trim(),
                self.tz_offset.trim().parse().unwrap_or(480),
            )?;
            Validity::Dates { from: now, until }
        } else {
            Validity::DaysAfterClaim(super::whole(
                &self.days,
                "valid_days",
                "coupon_invalid_days",
            )?)
        };
        Ok(CouponInput {
            name: self.name.clone(),
            kind,
            scope,
            validity,
            supply: super::whole(&self.supply, "supply", "coupon_invalid_supply")?,
            per_person: super::whole(&self.per_person, "per_person", "coupon_invalid_limit")?,
        })
    }
}

#[derive(Template)]
#[template(path = "console_coupons.html")]
struct ConsolePage<'a> {
    k: &'a Console,
    items: &'a [CouponRecord],
    next: Option<String>,
    products: &'a [ProductRecord],
    form: CouponForm,
    error: Option<&'a str>,
    stacking: Stacking,
    limit_max: i64,
}

impl ConsolePage<'_> {
    fn described(&self, c: &CouponRecord) -> Described {
        describe(&self.k.c, &c.terms)
    }
    fn is(&self, field: &str, value: &str) -> bool {
        match field {
            "kind" => self.form.kind == value,
            "scope" => self.form.scope == value,
            "validity" => self.form.validity == value,
            _ => self.form.product == value,
        }
    }
    /// The categories the shop's products use, as a coupon's scope may name them.
    fn categories(&self) -> Vec<&str> {
        let mut c: Vec<&str> = self
            .products
            .iter()
            .map(|p| p.category.as_str())
            .filter(|c| !c.is_empty())
            .collect();
        c.sort_unstable();
        c.dedup();
        c
    }
    /// The shop's own categories as the example, else the catalogue's.
    fn category_hint(&self) -> String {
        let own = self.categories();
        if own.is_empty() {
            self.k.c.t("coupon.categories_hint").to_owned()
        } else {
            own.iter().take(3).copied().collect::<Vec<_>>().join(", ")
        }
    }
    fn combined(&self) -> bool {
        self.stacking.combines(Layer::Activity, Layer::Coupon)
    }
    fn coupon_first(&self) -> bool {
        self.stacking.before(Layer::Coupon, Layer::Activity)
    }
}

async fn console_view(
    st: &AppState,
    k: &Console,
    after: Option<String>,
    form: CouponForm,
    error: Option<String>,
) -> PageResult {
    let page = coupons::list(&st.svc, &k.access, &PageRequest::new(after, Some(20)))
        .await
        .map_err(ApiError::from)?;
    let products = catalog::list(&st.svc, &k.access, &PageRequest::new(None, Some(100)))
        .await
        .map_err(ApiError::from)?;
    let stacking = coupons::stacking(&st.svc, &k.access)
        .await
        .map_err(ApiError::from)?;
    Ok(render_form(
        &ConsolePage {
            k,
            items: &page.items,
            next: page.next,
            products: &products.items,
            form,
            error: error.as_deref(),
            stacking,
            limit_max: COUPON_LIMIT_MAX,
        },
        error.is_some(),
    ))
}

async fn console_page(
    State(st): State<AppState>,
    k: Console,
    Query(q): Query<AfterParams>,
) -> PageResult {
    console_view(&st, &k, q.after, CouponForm::fresh(), None).await
}

async fn create(State(st): State<AppState>, k: Console, Form(f): Form<CouponForm>) -> PageResult {
    check_csrf(&k.c, &f.csrf)?;
    let made = match f.input(st.svc.clock.now()) {
        Ok(input) => coupons::create(&st.svc, &k.access, input).await,
        Err(e) => Err(e.into()),
    };
    match made {
        Ok(_) => Ok(saved(&format!("{}/shop/coupons", k.base()))),
        Err(e) => {
            let msg = form_error(&k.c, e.into())?;
            console_view(&st, &k, None, f, Some(msg)).await
        }
    }
}

async fn end(
    State(st): State<AppState>,
    k: Console,
    Path((_, coupon)): Path<(String, String)>,
    Form(f): Form<CsrfOnly>,
) -> PageResult {
    check_csrf(&k.c, &f.csrf)?;
    coupons::end(&st.svc, &k.access, path_id(&coupon)?)
        .await
        .map_err(ApiError::from)?;
    Ok(saved(&format!("{}/shop/coupons", k.base())))
}

/// The matrix as the console's form sends it: whether a coupon may ride on a
/// sale price, and what it is measured on.
#[derive(Deserialize)]
struct StackingForm {
    csrf: String,
    #[serde(default)]
    combine: Option<String>,
    #[serde(default)]
    measure: String,
}

async fn set_stacking(
    State(st): State<AppState>,
    k: Console,
    Form(f): Form<StackingForm>,
) -> PageResult {
    check_csrf(&k.c, &f.csrf)?;
    let order = if f.measure == "list" {
        vec![Layer::Coupon, Layer::Activity]
    } else {
        vec![Layer::Activity, Layer::Coupon]
    };
    let pairs = if f.combine.is_some() {
        vec![(Layer::Activity, Layer::Coupon)]
    } else {
        Vec::new()
    };
    coupons::set_stacking(&st.svc, &k.access, order, &pairs)
        .await
        .map_err(ApiError::from)?;
    Ok(saved(&format!("{}/shop/coupons#stacking", k.base())))
}
