//! Flash-sale endpoints: staff set sales up and list them; buyers see a shop's
//! sales and buy in one (with an `Idempotency-Key`).

use super::orders::{OrderDto, QueuedOrderDto, created_or_replayed, idempotency_header, order_dto};
use crate::AppState;
use crate::api::common::{PageQuery, parse_id};
use crate::error::{ApiResult, Problem};
use crate::extract::{ApiJson, ApiQuery, Auth, OrgCtx};
use axum::Json;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use quan_core::commerce::flash::{self, Bought, FlashInput};
use quan_core::commerce::port::FlashSaleRecord;
use quan_domain::{FlashSaleId, Timestamp};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(org_flash_sales, create_flash_sale))
        .routes(routes!(end_flash_sale))
        .routes(routes!(shop_flash_sales))
        .routes(routes!(shop_flash_sale))
        .routes(routes!(buy_flash))
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct FlashSaleDto {
    pub id: String,
    pub org_id: String,
    pub product_id: String,
    pub product_name: String,
    pub sku_id: String,
    pub sku_name: String,
    /// The sale price, in integer fen.
    pub price_fen: i64,
    /// The SKU's list price, in integer fen.
    pub list_price_fen: i64,
    pub currency: String,
    /// Milliseconds since the epoch.
    pub starts_at: i64,
    pub ends_at: i64,
    /// upcoming | live | ended (by the server's clock when read).
    pub phase: String,
    /// Units set aside for the sale.
    pub stock: i64,
    /// Units it can still sell (orders waiting for payment hold the rest); once
    /// closed, the units it gave back to the SKU.
    pub remaining: i64,
    pub per_person: i64,
    pub closed: bool,
}

pub(crate) fn flash_dto(f: &FlashSaleRecord, now: Timestamp) -> FlashSaleDto {
    FlashSaleDto {
        id: f.id.to_string(),
        org_id: f.org_id.to_string(),
        product_id: f.product_id.to_string(),
        product_name: f.product_name.clone(),
        sku_id: f.sku_id.to_string(),
        sku_name: f.sku_name.clone(),
        price_fen: f.terms.price.fen(),
        list_price_fen: f.list_price.fen(),
        currency: f.terms.price.currency().as_str().to_owned(),
        starts_at: f.terms.starts_at.millis(),
        ends_at: f.terms.ends_at.millis(),
        phase: f.phase(now).as_str().to_owned(),
        stock: f.terms.stock,
        remaining: f.remaining,
        per_person: f.terms.per_person,
        closed: f.closed,
    }
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct FlashSalePageDto {
    pub items: Vec<FlashSaleDto>,
    pub next: Option<String>,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct FlashSaleListDto {
    pub items: Vec<FlashSaleDto>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct FlashSaleReq {
    pub product_id: String,
    pub sku_id: String,
    /// Milliseconds since the epoch; at most a minute in the past.
    pub starts_at: i64,
    /// A minute to a week after `starts_at`.
    pub ends_at: i64,
    /// Below the SKU's list price, in integer fen.
    pub price_fen: i64,
    /// Units taken from the SKU's stock for the sale.
    pub stock: i64,
    /// Units one buyer may take, 1 to 99.
    pub per_person: i64,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct FlashBuyReq {
    #[serde(default = "one")]
    pub quantity: i64,
    /// A claim from the buyer's wallet, if the shop lets a coupon ride on a sale
    /// price (its stacking matrix).
    #[serde(default)]
    pub coupon_claim_id: Option<String>,
}

fn one() -> i64 {
    1
}

/// The org's flash sales, newest first.
#[utoipa::path(get, path = "/api/v1/orgs/{org_id}/flash-sales", tag = "commerce",
    params(("org_id" = String, Path), PageQuery), security(("bearer" = []), ("session" = [])),
    responses((status = 200, body = FlashSalePageDto), (status = 403, body = Problem)))]
pub async fn org_flash_sales(
    State(st): State<AppState>,
    ctx: OrgCtx,
    ApiQuery(q): ApiQuery<PageQuery>,
) -> ApiResult<Json<FlashSalePageDto>> {
    let p = flash::list(&st.svc, &ctx.access, &q.into_request()?).await?;
    let now = st.svc.clock.now();
    Ok(Json(FlashSalePageDto {
        items: p.items.iter().map(|f| flash_dto(f, now)).collect(),
        next: p.next,
    }))
}

/// Sets a flash sale up: its stock leaves the SKU's stock at once.
#[utoipa::path(post, path = "/api/v1/orgs/{org_id}/flash-sales", tag = "commerce", request_body = FlashSaleReq,
    params(("org_id" = String, Path)), security(("bearer" = []), ("session" = [])),
    responses((status = 201, body = FlashSaleDto), (status = 403, body = Problem), (status = 404, body = Problem),
        (status = 409, body = Problem), (status = 422, body = Problem)))]
pub async fn create_flash_sale(
    State(st): State<AppState>,
    ctx: OrgCtx,
    ApiJson(req): ApiJson<FlashSaleReq>,
) -> ApiResult<(StatusCode, Json<FlashSaleDto>)> {
    let input = FlashInput {
        product: parse_id(&req.product_id)?,
        sku: parse_id(&req.sku_id)?,
        starts_at: Timestamp::from_millis(req.starts_at),
        ends_at: Timestamp::from_millis(req.ends_at),
        price_fen: req.price_fen,
        stock: req.stock,
        per_person: req.per_person,
    };
    let f = flash::create(&st.svc, &ctx.access, input).await?;
    Ok((StatusCode::CREATED, Json(flash_dto(&f, st.svc.clock.now()))))
}

/// Ends a sale now: what it has left goes back to the SKU; its orders stand.
#[utoipa::path(post, path = "/api/v1/orgs/{org_id}/flash-sales/{sale_id}/end", tag = "commerce",
    params(("org_id" = String, Path), ("sale_id" = String, Path)), security(("bearer" = []), ("session" = [])),
    responses((status = 200, body = FlashSaleDto), (status = 403, body = Problem), (status = 404, body = Problem)))]
pub async fn end_flash_sale(
    State(st): State<AppState>,
    ctx: OrgCtx,
    Path(ids): Path<(String, String)>,
) -> ApiResult<Json<FlashSaleDto>> {
    let f = flash::end(&st.svc, &ctx.access, parse_id(&ids.1)?).await?;
    Ok(Json(flash_dto(&f, st.svc.clock.now())))
}

/// A shop's flash sales on now or coming, soonest first.
#[utoipa::path(get, path = "/api/v1/shops/{org_id}/flash-sales", tag = "commerce",
    params(("org_id" = String, Path)), security(("bearer" = []), ("session" = [])),
    responses((status = 200, body = FlashSaleListDto)))]
pub async fn shop_flash_sales(
    State(st): State<AppState>,
    Auth(actor): Auth,
    Path(org): Path<String>,
) -> ApiResult<Json<FlashSaleListDto>> {
    let items = flash::in_shop(&st.svc, &actor, parse_id(&org)?, None).await?;
    let now = st.svc.clock.now();
    Ok(Json(FlashSaleListDto {
        items: items.iter().map(|f| flash_dto(f, now)).collect(),
    }))
}

#[utoipa::path(get, path = "/api/v1/shops/{org_id}/flash-sales/{sale_id}", tag = "commerce",
    params(("org_id" = String, Path), ("sale_id" = String, Path)), security(("bearer" = []), ("session" = [])),
    responses((status = 200, body = FlashSaleDto), (status = 404, body = Problem)))]
pub async fn shop_flash_sale(
    State(st): State<AppState>,
    Auth(actor): Auth,
    Path(ids): Path<(String, String)>,
) -> ApiResult<Json<FlashSaleDto>> {
    let f = flash::one(&st.svc, &actor, parse_id(&ids.0)?, parse_id(&ids.1)?).await?;
    Ok(Json(flash_dto(&f, st.svc.clock.now())))
}

/// Buys in a live flash sale: an order at the sale price, reserved until paid or
/// the reservation ends (then its unit goes back to the sale). Send an
/// `Idempotency-Key`: the same key again returns the first order (200). With
/// `Prefer: respond-async` (RFC 7240) an admitted buyer is answered 202 at once
/// with the id the order will have and `Preference-Applied: respond-async`;
/// poll its `location` (see `GET /api/v1/me/orders/{order_id}`). The preference
/// is honoured on one node without a coupon; otherwise the answer waits for the
/// order, as without it.
#[utoipa::path(post, path = "/api/v1/shops/{org_id}/flash-sales/{sale_id}/orders", tag = "commerce",
    request_body = FlashBuyReq,
    params(("org_id" = String, Path), ("sale_id" = String, Path),
        ("Idempotency-Key" = String, Header, description = "1 to 128 visible ASCII characters"),
        ("Prefer" = Option<String>, Header, description = "respond-async: answer once admitted (202)")),
    security(("bearer" = []), ("session" = [])),
    responses((status = 201, body = OrderDto), (status = 200, description = "the first order under this key", body = OrderDto),
        (status = 202, description = "admitted; the order is being written (poll `Location`)", body = QueuedOrderDto,
            headers(("Location" = String, description = "the order's absolute address"),
                ("Retry-After" = u32, description = "seconds to wait before polling"),
                ("Preference-Applied" = String, description = "respond-async"))),
        (status = 404, body = Problem), (status = 409, body = Problem), (status = 422, body = Problem)))]
pub async fn buy_flash(
    State(st): State<AppState>,
    Auth(actor): Auth,
    Path(ids): Path<(String, String)>,
    headers: HeaderMap,
    ApiJson(req): ApiJson<FlashBuyReq>,
) -> ApiResult<Response> {
    let sale: FlashSaleId = parse_id(&ids.1)?;
    let key = idempotency_header(&headers);
    let coupon = req.coupon_claim_id.as_deref().map(parse_id).transpose()?;
    let at = (parse_id(&ids.0)?, sale);
    let (o, replayed) = if prefers_async(&headers) {
        match flash::buy_early(&st.svc, &actor, at, req.quantity, coupon, key).await? {
            Bought::Order(o, replayed) => (*o, replayed),
            Bought::Queued(id) => return QueuedOrderDto::reply(&st, &headers, id, true),
        }
    } else {
        flash::buy(&st.svc, &actor, at, req.quantity, coupon, key).await?
    };
    Ok((created_or_replayed(replayed), Json(order_dto(&o))).into_response())
}

/// Whether the request asks to be answered before the work is done: the
/// `respond-async` preference (RFC 7240) in any `Prefer` header, any case.
fn prefers_async(headers: &HeaderMap) -> bool {
    headers
        .get_all("prefer")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .any(|p| {
            p.split(';')
                .next()
                .is_some_and(|t| t.trim().eq_ignore_ascii_case("respond-async"))
        })
}
