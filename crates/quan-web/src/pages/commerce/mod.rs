//! Commerce pages: the member app's shop, product, cart, checkout, coupons wallet,
//! orders and order pages; the console's products, orders, flash sales, coupons
//! and stacking matrix; the sandbox provider's hosted pay
//! page.

mod app;
mod cart;
mod checkout;
mod console;
mod coupons;
mod flash;
mod sandbox;

use crate::AppState;
use axum::Router;
use quan_domain::ParseError;

/// A whole number typed into a form field, or the field's own refusal.
fn whole(raw: &str, field: &'static str, code: &'static str) -> Result<i64, ParseError> {
    raw.trim()
        .parse::<i64>()
        .map_err(|_| ParseError::new(field, code, "a whole number"))
}

/// A buy form's quantity as typed.
fn quantity_typed(raw: &str) -> Result<i64, ParseError> {
    whole(raw, "quantity", "quantity_not_positive")
}

pub(crate) fn router() -> Router<AppState> {
    Router::new()
        .merge(app::router())
        .merge(cart::router())
        .merge(checkout::router())
        .merge(coupons::router())
        .merge(console::router())
        .merge(flash::router())
        .merge(sandbox::router())
}
