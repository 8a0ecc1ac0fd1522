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

use super::forms::whole;

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
