//! Cart endpoints: a buyer's cart in one shop (what is in it, as sold now) and
//! setting a line's quantity (0 takes it out). Checking out a cart is an order of
//! its lines (`POST …/orders`), priced first by `POST …/orders/preview`.

use crate::AppState;
use crate::api::common::parse_id;
use crate::error::{ApiResult, Problem};
use crate::extract::{ApiJson, Auth};
use axum::Json;
use axum::extract::{Path, State};
use quan_core::commerce::cart::{self, CartLine};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(my_cart))
        .routes(routes!(set_cart_line))
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct CartLineDto {
    pub sku_id: String,
    pub quantity: i64,
    /// False when the shop no longer sells it (the line stays until removed).
    pub available: bool,
    pub product_id: Option<String>,
    pub product_name: Option<String>,
    pub sku_name: Option<String>,
    /// The price now, in integer fen (checkout prices it again).
    pub unit_fen: Option<i64>,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct CartDto {
    pub lines: Vec<CartLineDto>,
}

fn cart_dto(lines: &[CartLine]) -> CartDto {
    CartDto {
        lines: lines
            .iter()
            .map(|l| CartLineDto {
                sku_id: l.sku.to_string(),
                quantity: l.quantity,
                available: l.on_sale.is_some(),
                product_id: l.on_sale.as_ref().map(|f| f.sku.product_id.to_string()),
                product_name: l.on_sale.as_ref().map(|f| f.product_name.clone()),
                sku_name: l.on_sale.as_ref().map(|f| f.sku.name.clone()),
                unit_fen: l.on_sale.as_ref().map(|f| f.sku.price.fen()),
            })
            .collect(),
    }
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CartLineReq {
    /// 0 takes the line out; else 1 to 999.
    pub quantity: i64,
}

/// The caller's cart in a shop, in the order things were added.
#[utoipa::path(get, path = "/api/v1/shops/{org_id}/cart", tag = "commerce",
    params(("org_id" = String, Path)), security(("bearer" = []), ("session" = [])),
    responses((status = 200, body = CartDto)))]
pub async fn my_cart(
    State(st): State<AppState>,
    Auth(actor): Auth,
    Path(org): Path<String>,
) -> ApiResult<Json<CartDto>> {
    let lines = cart::lines(&st.svc, &actor, parse_id(&org)?).await?;
    Ok(Json(cart_dto(&lines)))
}

/// Sets how many of a SKU the cart holds (0 takes it out); the cart as it is then.
#[utoipa::path(put, path = "/api/v1/shops/{org_id}/cart/{sku_id}", tag = "commerce", request_body = CartLineReq,
    params(("org_id" = String, Path), ("sku_id" = String, Path)), security(("bearer" = []), ("session" = [])),
    responses((status = 200, body = CartDto), (status = 422, body = Problem)))]
pub async fn set_cart_line(
    State(st): State<AppState>,
    Auth(actor): Auth,
    Path(ids): Path<(String, String)>,
    ApiJson(req): ApiJson<CartLineReq>,
) -> ApiResult<Json<CartDto>> {
    let org = parse_id(&ids.0)?;
    cart::set(&st.svc, &actor, org, parse_id(&ids.1)?, req.quantity).await?;
    let lines = cart::lines(&st.svc, &actor, org).await?;
    Ok(Json(cart_dto(&lines)))
}
