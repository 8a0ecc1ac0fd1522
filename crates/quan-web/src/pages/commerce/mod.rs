//! Commerce pages: the member app's shop, product, orders and order pages; the
//! console's products, orders and flash sales; the sandbox provider's hosted pay
//! page.

mod app;
mod console;
mod flash;
mod sandbox;

use crate::AppState;
use axum::Router;

pub(crate) fn router() -> Router<AppState> {
    Router::new()
        .merge(app::router())
        .merge(console::router())
        .merge(flash::router())
        .merge(sandbox::router())
}
