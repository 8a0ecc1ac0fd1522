//! Flash-sale pages: the console's list of sales with the form that sets one up
//! (a refused form comes back as typed), and the member app's buy button on a
//! product page (the sale itself is shown there, see `app.rs`).

use super::super::console::Console;
use super::super::{
    AfterParams, CsrfOnly, PageResult, check_csrf, form_error, path_id, render_form, require_user,
    saved,
};
use super::app::{BuyForm, product_view};
use crate::AppState;
use crate::error::ApiError;
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Redirect};
use axum::routing::{get, post};
use axum::{Form, Router};
use quan_core::PageRequest;
use quan_core::commerce::catalog;
use quan_core::commerce::flash::{self, FlashInput};
use quan_core::commerce::port::{FlashSaleRecord, ProductRecord};
use quan_domain::{
    Currency, FLASH_LIMIT_MAX, FlashSaleId, OrgId, ParseError, Timestamp, at_offset, parse_yuan,
};
use serde::Deserialize;

pub(super) fn router() -> Router<AppState> {
    Router::new()
        .route(
            "/console/{org_id}/shop/flash",
            get(console_page).post(create),
        )
        .route("/console/{org_id}/shop/flash/{sale_id}/end", post(end))
        .route("/app/shop/{org_id}/flash/{sale_id}/buy", post(buy))
}

/// The set-up form as typed. `tz_offset` is the browser's offset east of UTC in
/// minutes (app.js fills it; China's time when a browser runs no script).
#[derive(Deserialize, Default, Clone)]
struct FlashForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    sku: String,
    #[serde(default)]
    starts_at: String,
    #[serde(default)]
    minutes: String,
    #[serde(default)]
    price: String,
    #[serde(default)]
    stock: String,
    #[serde(default)]
    per_person: String,
    #[serde(default)]
    tz_offset: String,
}

/// How long a sale lasts when the form does not say.
const DEFAULT_MINUTES: &str = "60";

impl FlashForm {
    fn fresh() -> Self {
        Self {
            minutes: DEFAULT_MINUTES.to_owned(),
            per_person: "1".to_owned(),
            ..Self::default()
        }
    }
    /// The typed form as the use case's input; a field that is not a number or a
    /// time is refused here, by its field.
    fn input(&self, now: Timestamp) -> Result<FlashInput, ParseError> {
        let choose = || ParseError::new("sku", "unknown_sku", "choose a product");
        let (product, sku) = self.sku.split_once('/').ok_or_else(choose)?;
        let starts_at = match self.starts_at.trim() {
            "" => now,
            raw => at_offset(raw, self.tz_offset.trim().parse().unwrap_or(480))?,
        };
        let minutes = super::whole(&self.minutes, "ends_at", "flash_window_too_short")?;
        Ok(FlashInput {
            product: product.parse().map_err(|_| choose())?,
            sku: sku.parse().map_err(|_| choose())?,
            starts_at,
            ends_at: starts_at.plus_secs(minutes.clamp(-1, 1_000_000) * 60),
            price_fen: parse_yuan(&self.price, Currency::Cny)?.fen(),
            stock: super::whole(&self.stock, "stock", "flash_invalid_stock")?,
            per_person: super::whole(&self.per_person, "per_person", "invalid_limit")?,
        })
    }
}

#[derive(Template)]
#[template(path = "console_flash.html")]
struct ConsolePage<'a> {
    k: &'a Console,
    items: &'a [FlashSaleRecord],
    next: Option<String>,
    products: &'a [ProductRecord],
    form: FlashForm,
    error: Option<&'a str>,
    now: Timestamp,
    limit_max: i64,
}

impl ConsolePage<'_> {
    fn phase(&self, f: &FlashSaleRecord) -> &'static str {
        f.phase(self.now).as_str()
    }
    /// Units sold or held by orders waiting for payment (a closed sale gave the
    /// rest back, so what it sold is what left it).
    fn taken(&self, f: &FlashSaleRecord) -> i64 {
        f.terms.stock - f.remaining
    }
    fn chosen(&self, value: &str) -> bool {
        self.form.sku == value
    }
}

async fn console_view(
    st: &AppState,
    k: &Console,
    after: Option<String>,
    form: FlashForm,
    error: Option<String>,
) -> PageResult {
    let page = flash::list(&st.svc, &k.access, &PageRequest::new(after, Some(20)))
        .await
        .map_err(ApiError::from)?;
    let products = catalog::list(&st.svc, &k.access, &PageRequest::new(None, Some(100)))
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
            now: st.svc.clock.now(),
            limit_max: FLASH_LIMIT_MAX,
        },
        error.is_some(),
    ))
}

async fn console_page(
    State(st): State<AppState>,
    k: Console,
    Query(q): Query<AfterParams>,
) -> PageResult {
    console_view(&st, &k, q.after, FlashForm::fresh(), None).await
}

async fn create(State(st): State<AppState>, k: Console, Form(f): Form<FlashForm>) -> PageResult {
    check_csrf(&k.c, &f.csrf)?;
    let made = match f.input(st.svc.clock.now()) {
        Ok(input) => flash::create(&st.svc, &k.access, input).await,
        Err(e) => Err(e.into()),
    };
    match made {
        Ok(_) => Ok(saved(&format!("{}/shop/flash", k.base()))),
        Err(e) => {
            let msg = form_error(&k.c, e.into())?;
            console_view(&st, &k, None, f, Some(msg)).await
        }
    }
}

/// Staff end a sale now; the list shows it ended, with what went back.
async fn end(
    State(st): State<AppState>,
    k: Console,
    Path((_, sale)): Path<(String, String)>,
    Form(f): Form<CsrfOnly>,
) -> PageResult {
    check_csrf(&k.c, &f.csrf)?;
    flash::end(&st.svc, &k.access, path_id(&sale)?)
        .await
        .map_err(ApiError::from)?;
    Ok(saved(&format!("{}/shop/flash", k.base())))
}

/// A buyer's "buy now" on a product page: an order at the sale price, or the
/// product page again with the reason (the key kept, so a retry is the same buy).
async fn buy(
    State(st): State<AppState>,
    c: super::super::Chrome,
    Path((org, sale)): Path<(String, String)>,
    Form(f): Form<BuyForm>,
) -> PageResult {
    check_csrf(&c, &f.csrf)?;
    let actor = require_user(&c)?;
    let org_id: OrgId = path_id(&org)?;
    let sale_id: FlashSaleId = path_id(&sale)?;
    let s = flash::one(&st.svc, actor, org_id, sale_id)
        .await
        .map_err(ApiError::from)?;
    let ids = (org.clone(), s.product_id.to_string());
    let result = match super::quantity_typed(&f.quantity) {
        Ok(q) => flash::buy(
            &st.svc,
            actor,
            (org_id, sale_id),
            q,
            f.coupon.parse().ok(),
            &f.key,
        )
        .await
        .map_err(ApiError::from),
        Err(e) => Err(e.into()),
    };
    match result {
        Ok((o, _)) => Ok(Redirect::to(&format!("/app/orders/{}", o.id)).into_response()),
        Err(e) => {
            let mut f = f;
            if e.code == "idempotency_key_reused" {
                f.key.clear();
            }
            if e.code == "flash_sold_out" {
                f.gone = Some(sale_id);
            }
            let msg = form_error(&c, e)?;
            product_view(&st, &c, &ids, f, Some(msg)).await
        }
    }
}
