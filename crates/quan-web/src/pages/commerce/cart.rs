//! The member app's cart: the product page's form either buys now (to checkout
//! with that one line) or adds to the cart; the cart page changes quantities,
//! takes lines out and leads to checkout with the whole cart.

use super::super::{
    Chrome, PageResult, check_csrf, form_error, path_id, render_form, require_user, saved,
};
use super::app::{BuyForm, product_view};
use crate::AppState;
use crate::error::ApiError;
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Redirect};
use axum::routing::{get, post};
use axum::{Form, Router};
use quan_core::commerce::cart::{self, CartLine};
use quan_domain::{Money, OrgId, SkuId};
use serde::Deserialize;

pub(super) fn router() -> Router<AppState> {
    Router::new()
        .route("/app/shop/{org_id}/cart", get(cart_page).post(add))
        .route("/app/shop/{org_id}/cart/{sku_id}", post(set))
}

/// The product form: "Buy now" goes to checkout with this line; "Add to cart"
/// puts it in the cart and stays on the product, saying so.
async fn add(
    State(st): State<AppState>,
    c: Chrome,
    Path(org): Path<String>,
    Form(f): Form<BuyForm>,
) -> PageResult {
    check_csrf(&c, &f.csrf)?;
    let actor = require_user(&c)?;
    let org_id: OrgId = path_id(&org)?;
    let ids = (org.clone(), f.product.clone());
    let Ok(sku) = f.sku.parse::<SkuId>() else {
        let msg = c.t("shop.choose").to_owned();
        return product_view(&st, &c, &ids, f, Some(msg)).await;
    };
    let q = super::quantity_typed(&f.quantity);
    if f.then != "cart" {
        // A quantity that is not a number reaches checkout as 0, which says why.
        return Ok(Redirect::to(&format!(
            "/app/shop/{org_id}/checkout?sku={sku}&quantity={}",
            q.unwrap_or(0)
        ))
        .into_response());
    }
    let added = match q {
        Ok(q) => cart::add(&st.svc, actor, org_id, sku, q)
            .await
            .map_err(ApiError::from),
        Err(e) => Err(e.into()),
    };
    match added {
        Ok(()) => Ok(Redirect::to(&format!("/app/shop/{org_id}/cart?added=1")).into_response()),
        Err(e) => {
            let msg = form_error(&c, e)?;
            product_view(&st, &c, &ids, f, Some(msg)).await
        }
    }
}

#[derive(Deserialize)]
struct LineForm {
    csrf: String,
    #[serde(default)]
    quantity: String,
}

/// A line's new quantity (0 takes it out); back to the cart, or the cart with why.
async fn set(
    State(st): State<AppState>,
    c: Chrome,
    Path((org, sku)): Path<(String, String)>,
    Form(f): Form<LineForm>,
) -> PageResult {
    check_csrf(&c, &f.csrf)?;
    let actor = require_user(&c)?;
    let org_id: OrgId = path_id(&org)?;
    let done = match super::quantity_typed(&f.quantity) {
        Ok(q) => cart::set(&st.svc, actor, org_id, path_id(&sku)?, q)
            .await
            .map_err(ApiError::from),
        Err(e) => Err(e.into()),
    };
    match done {
        Ok(()) => Ok(saved(&format!("/app/shop/{org_id}/cart"))),
        Err(e) => {
            let msg = form_error(&c, e)?;
            cart_view(&st, &c, (org_id, false), Some(msg)).await
        }
    }
}

#[derive(Template)]
#[template(path = "app_cart.html")]
struct CartPage<'a> {
    c: &'a Chrome,
    org_id: OrgId,
    lines: Vec<CartLine>,
    error: Option<&'a str>,
    /// Just added from a product page: the page says so.
    added: bool,
}

impl CartPage<'_> {
    /// What the lines still sold come to at today's list prices.
    fn total(&self) -> Money {
        let fen = self
            .lines
            .iter()
            .filter_map(|l| {
                l.on_sale
                    .as_ref()
                    .map(|f| f.sku.price.fen().saturating_mul(l.quantity))
            })
            .fold(0i64, i64::saturating_add);
        Money::from_fen(fen, quan_domain::Currency::Cny)
    }
    fn line_amount(&self, l: &CartLine) -> String {
        l.on_sale
            .as_ref()
            .map(|f| {
                Money::from_fen(
                    f.sku.price.fen().saturating_mul(l.quantity),
                    f.sku.price.currency(),
                )
                .to_string()
            })
            .unwrap_or_default()
    }
    fn any_on_sale(&self) -> bool {
        self.lines.iter().any(|l| l.on_sale.is_some())
    }
}

async fn cart_view(
    st: &AppState,
    c: &Chrome,
    (org_id, added): (OrgId, bool),
    error: Option<String>,
) -> PageResult {
    let actor = require_user(c)?;
    let lines = cart::lines(&st.svc, actor, org_id)
        .await
        .map_err(ApiError::from)?;
    Ok(render_form(
        &CartPage {
            c,
            org_id,
            lines,
            error: error.as_deref(),
            added,
        },
        error.is_some(),
    ))
}

#[derive(Deserialize)]
struct CartQuery {
    #[serde(default)]
    added: Option<String>,
}

async fn cart_page(
    State(st): State<AppState>,
    c: Chrome,
    Path(org): Path<String>,
    Query(q): Query<CartQuery>,
) -> PageResult {
    cart_view(&st, &c, (path_id(&org)?, q.added.is_some()), None).await
}
