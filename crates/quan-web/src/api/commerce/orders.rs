//! Order endpoints: a buyer places (with an `Idempotency-Key`), reads, cancels and
//! pays their orders; staff read the org's and move paid ones on.

use crate::AppState;
use crate::api::common::{PageQuery, parse_id};
use crate::error::{ApiError, ApiResult, Problem};
use crate::extract::{ApiJson, ApiQuery, Auth, OrgCtx};
use axum::Json;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderName, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use quan_core::commerce::port::OrderRecord;
use quan_core::commerce::tickets::{self, Polled};
use quan_core::commerce::{orders, refunds};
use quan_domain::{OrderEvent, OrderId, SkuId};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(place_order))
        .routes(routes!(my_orders))
        .routes(routes!(my_order))
        .routes(routes!(cancel_order))
        .routes(routes!(org_orders))
        .routes(routes!(org_order))
        .routes(routes!(fulfil_order))
        .routes(routes!(complete_order))
        .routes(routes!(request_refund))
        .routes(routes!(approve_refund))
        .routes(routes!(decline_refund))
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct OrderLineDto {
    pub sku_id: String,
    pub product_id: String,
    pub product_name: String,
    pub sku_name: String,
    /// The catalog's price when ordered, in integer fen.
    pub list_unit_fen: i64,
    /// The price sold at (a flash sale's, or the list price).
    pub unit_fen: i64,
    pub quantity: i64,
    /// `unit_fen` × `quantity`.
    pub amount_fen: i64,
    /// This line's apportioned part of the coupon.
    pub coupon_off_fen: i64,
    /// What the line comes to: `amount_fen` − `coupon_off_fen` (what a refund of
    /// it gives back).
    pub pay_fen: i64,
    /// none | asked | refunding | refunded.
    pub refund: String,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct OrderDto {
    pub id: String,
    pub org_id: String,
    /// created | paid | fulfilled | completed | cancelled | refund_requested | refunded
    pub status: String,
    pub total_fen: i64,
    pub currency: String,
    pub lines: Vec<OrderLineDto>,
    pub created_at: i64,
    /// When an unpaid order lets its stock go.
    pub expires_at: i64,
    pub paid_at: Option<i64>,
    pub closed_at: Option<i64>,
    /// The flash sale it was bought in, if any.
    pub flash_sale_id: Option<String>,
    /// The wallet claim spent on it, if any.
    pub coupon_claim_id: Option<String>,
    /// What has been given back so far, in fen: the `pay_fen` of its refunded
    /// lines (refunds of all of them sum to `total_fen`).
    pub refunded_fen: i64,
}

pub(crate) fn order_dto(o: &OrderRecord) -> OrderDto {
    OrderDto {
        id: o.id.to_string(),
        org_id: o.org_id.to_string(),
        status: o.status.as_str().to_owned(),
        total_fen: o.total.fen(),
        currency: o.total.currency().as_str().to_owned(),
        lines: o
            .lines
            .iter()
            .map(|l| OrderLineDto {
                sku_id: l.sku_id.to_string(),
                product_id: l.product_id.to_string(),
                product_name: l.product_name.clone(),
                sku_name: l.sku_name.clone(),
                list_unit_fen: l.list_unit.fen(),
                unit_fen: l.unit.fen(),
                quantity: l.quantity,
                amount_fen: l.amount.fen(),
                coupon_off_fen: l.coupon_off.fen(),
                pay_fen: l.pay().fen(),
                refund: l.refund.as_str().to_owned(),
            })
            .collect(),
        created_at: o.created_at.millis(),
        expires_at: o.expires_at.millis(),
        paid_at: o.paid_at.map(|t| t.millis()),
        closed_at: o.closed_at.map(|t| t.millis()),
        flash_sale_id: o.flash_sale.map(|f| f.to_string()),
        coupon_claim_id: o.coupon.map(|c| c.to_string()),
        refunded_fen: o
            .lines
            .iter()
            .filter(|l| l.refund == quan_core::commerce::port::LineRefund::Refunded)
            .map(|l| l.pay().fen())
            .sum(),
    }
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct OrderPageDto {
    pub items: Vec<OrderDto>,
    pub next: Option<String>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LineReq {
    pub sku_id: String,
    pub quantity: i64,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct OrderReq {
    pub lines: Vec<LineReq>,
    /// A claim from the buyer's wallet of this shop.
    #[serde(default)]
    pub coupon_claim_id: Option<String>,
    /// The total the buyer was shown (the preview's `total_fen`): if the price
    /// changed since, the order is refused with `price_changed`.
    #[serde(default)]
    pub expected_total_fen: Option<i64>,
}

/// Places an order in an org's shop, reserving its stock until it is paid or the
/// reservation ends. Send an `Idempotency-Key` header: the same key again returns
/// the first order (200), a different request under it is refused.
#[utoipa::path(post, path = "/api/v1/shops/{org_id}/orders", tag = "commerce", request_body = OrderReq,
    params(("org_id" = String, Path), ("Idempotency-Key" = String, Header, description = "1 to 128 visible ASCII characters")),
    security(("bearer" = []), ("session" = [])),
    responses((status = 201, body = OrderDto), (status = 200, description = "the first order under this key", body = OrderDto),
        (status = 409, body = Problem), (status = 422, body = Problem)))]
pub async fn place_order(
    State(st): State<AppState>,
    Auth(actor): Auth,
    Path(org): Path<String>,
    headers: HeaderMap,
    ApiJson(req): ApiJson<OrderReq>,
) -> ApiResult<(StatusCode, Json<OrderDto>)> {
    let key = idempotency_header(&headers);
    let lines = line_ids(&req.lines)?;
    let coupon = req.coupon_claim_id.as_deref().map(parse_id).transpose()?;
    let basket = orders::Basket {
        lines: &lines,
        coupon,
        shown_total: req.expected_total_fen,
    };
    let (o, replayed) = orders::place(&st.svc, &actor, parse_id(&org)?, basket, key).await?;
    Ok((created_or_replayed(replayed), Json(order_dto(&o))))
}

/// The lines' SKU ids parsed (one past the most an order may have, so too many
/// are refused as such).
pub(crate) fn line_ids(lines: &[LineReq]) -> ApiResult<Vec<(SkuId, i64)>> {
    lines
        .iter()
        .take(quan_domain::ORDER_LINES_MAX + 1)
        .map(|l| Ok((parse_id::<SkuId>(&l.sku_id)?, l.quantity)))
        .collect()
}

/// The `Idempotency-Key` header as sent ("" when absent). Not visible ASCII:
/// refused as such by the key's rule, not taken for absent.
pub(crate) fn idempotency_header(headers: &HeaderMap) -> &str {
    headers
        .get("idempotency-key")
        .map_or("", |v| v.to_str().unwrap_or("\u{fffd}"))
}

/// A created resource is 201; the first one under a replayed key, 200.
pub(crate) fn created_or_replayed(replayed: bool) -> StatusCode {
    if replayed {
        StatusCode::OK
    } else {
        StatusCode::CREATED
    }
}

/// The caller's orders, newest first.
#[utoipa::path(get, path = "/api/v1/me/orders", tag = "commerce", params(PageQuery),
    security(("bearer" = []), ("session" = [])), responses((status = 200, body = OrderPageDto)))]
pub async fn my_orders(
    State(st): State<AppState>,
    Auth(actor): Auth,
    ApiQuery(q): ApiQuery<PageQuery>,
) -> ApiResult<Json<OrderPageDto>> {
    let p = orders::list_mine(&st.svc, &actor, &q.into_request()?).await?;
    Ok(Json(OrderPageDto {
        items: p.items.iter().map(order_dto).collect(),
        next: p.next,
    }))
}

/// An order being written after an early answer (`Prefer: respond-async` on a
/// flash-sale buy): poll `location` until it answers 200 with the order, or a
/// problem saying why it was not written (409 `flash_sold_out`,
/// `flash_limit_reached`; 422 `idempotency_key_reused`).
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct QueuedOrderDto {
    /// The id the order will have.
    pub id: String,
    /// Always `queued`.
    pub status: String,
    /// The order's absolute address.
    pub location: String,
}

impl QueuedOrderDto {
    /// The 202 that says order `id` is being written: its absolute `Location`,
    /// `Retry-After: 1` (a write takes milliseconds; the header counts seconds),
    /// and `Preference-Applied: respond-async` when answering that preference.
    pub(crate) fn reply(
        st: &AppState,
        headers: &HeaderMap,
        id: OrderId,
        preference_applied: bool,
    ) -> ApiResult<Response> {
        let dto = Self {
            id: id.to_string(),
            status: "queued".to_owned(),
            location: st.absolute(headers, &format!("/api/v1/me/orders/{id}")),
        };
        let location = HeaderValue::from_str(&dto.location).map_err(|e| ApiError::internal(&e))?;
        let mut r = (
            StatusCode::ACCEPTED,
            [
                (header::LOCATION, location),
                (header::RETRY_AFTER, HeaderValue::from_static("1")),
            ],
            Json(dto),
        )
            .into_response();
        if preference_applied {
            r.headers_mut().insert(
                HeaderName::from_static("preference-applied"),
                HeaderValue::from_static("respond-async"),
            );
        }
        Ok(r)
    }
}

/// One of the caller's orders. An order a flash sale's early answer promised is
/// 202 (`queued`) until it is written, then the order, or the problem that kept
/// it from being written (`flash_sold_out`, `flash_limit_reached`, …).
#[utoipa::path(get, path = "/api/v1/me/orders/{order_id}", tag = "commerce",
    params(("order_id" = String, Path)), security(("bearer" = []), ("session" = [])),
    responses((status = 200, description = "the order", body = OrderDto),
        (status = 202, description = "still being written; ask again after `Retry-After` seconds", body = QueuedOrderDto,
            headers(("Location" = String, description = "this order's absolute address"),
                ("Retry-After" = u32, description = "seconds to wait before asking again"))),
        (status = 404, body = Problem), (status = 409, body = Problem), (status = 422, body = Problem)))]
pub async fn my_order(
    State(st): State<AppState>,
    Auth(actor): Auth,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> ApiResult<Response> {
    let id: OrderId = parse_id(&id)?;
    Ok(match tickets::poll(&st.svc, &actor, id).await? {
        Polled::Order(o) => Json(order_dto(&o)).into_response(),
        Polled::Queued => QueuedOrderDto::reply(&st, &headers, id, false)?,
    })
}

/// Cancels the caller's unpaid order; its stock goes back at once.
#[utoipa::path(post, path = "/api/v1/me/orders/{order_id}/cancel", tag = "commerce",
    params(("order_id" = String, Path)), security(("bearer" = []), ("session" = [])),
    responses((status = 200, body = OrderDto), (status = 404, body = Problem), (status = 409, body = Problem)))]
pub async fn cancel_order(
    State(st): State<AppState>,
    Auth(actor): Auth,
    Path(id): Path<String>,
) -> ApiResult<Json<OrderDto>> {
    let o = orders::cancel(&st.svc, &actor, parse_id(&id)?).await?;
    Ok(Json(order_dto(&o)))
}

/// The org's orders, newest first.
#[utoipa::path(get, path = "/api/v1/orgs/{org_id}/orders", tag = "commerce",
    params(("org_id" = String, Path), PageQuery), security(("bearer" = []), ("session" = [])),
    responses((status = 200, body = OrderPageDto)))]
pub async fn org_orders(
    State(st): State<AppState>,
    ctx: OrgCtx,
    ApiQuery(q): ApiQuery<PageQuery>,
) -> ApiResult<Json<OrderPageDto>> {
    let p = orders::list(&st.svc, &ctx.access, &q.into_request()?).await?;
    Ok(Json(OrderPageDto {
        items: p.items.iter().map(order_dto).collect(),
        next: p.next,
    }))
}

#[utoipa::path(get, path = "/api/v1/orgs/{org_id}/orders/{order_id}", tag = "commerce",
    params(("org_id" = String, Path), ("order_id" = String, Path)), security(("bearer" = []), ("session" = [])),
    responses((status = 200, body = OrderDto), (status = 404, body = Problem)))]
pub async fn org_order(
    State(st): State<AppState>,
    ctx: OrgCtx,
    Path(ids): Path<(String, String)>,
) -> ApiResult<Json<OrderDto>> {
    let o = orders::get(&st.svc, &ctx.access, parse_id(&ids.1)?).await?;
    Ok(Json(order_dto(&o)))
}

/// Marks a paid order shipped (or ready for pickup).
#[utoipa::path(post, path = "/api/v1/orgs/{org_id}/orders/{order_id}/fulfil", tag = "commerce",
    params(("org_id" = String, Path), ("order_id" = String, Path)), security(("bearer" = []), ("session" = [])),
    responses((status = 200, body = OrderDto), (status = 404, body = Problem), (status = 409, body = Problem)))]
pub async fn fulfil_order(
    State(st): State<AppState>,
    ctx: OrgCtx,
    Path(ids): Path<(String, String)>,
) -> ApiResult<Json<OrderDto>> {
    let o = orders::advance(&st.svc, &ctx.access, parse_id(&ids.1)?, OrderEvent::Fulfil).await?;
    Ok(Json(order_dto(&o)))
}

/// Marks a fulfilled order completed.
#[utoipa::path(post, path = "/api/v1/orgs/{org_id}/orders/{order_id}/complete", tag = "commerce",
    params(("org_id" = String, Path), ("order_id" = String, Path)), security(("bearer" = []), ("session" = [])),
    responses((status = 200, body = OrderDto), (status = 404, body = Problem), (status = 409, body = Problem)))]
pub async fn complete_order(
    State(st): State<AppState>,
    ctx: OrgCtx,
    Path(ids): Path<(String, String)>,
) -> ApiResult<Json<OrderDto>> {
    let o = orders::advance(
        &st.svc,
        &ctx.access,
        parse_id(&ids.1)?,
        OrderEvent::Complete,
    )
    .await?;
    Ok(Json(order_dto(&o)))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RefundReq {
    /// Why, for the staff (at most 200 characters).
    #[serde(default)]
    pub reason: String,
    /// The lines to refund, by their positions in the order (from 0); absent or
    /// empty: every line not refunded yet.
    #[serde(default)]
    pub lines: Vec<usize>,
}

/// The buyer asks for a paid (or shipped) order's money back.
#[utoipa::path(post, path = "/api/v1/me/orders/{order_id}/refund", tag = "commerce", request_body = RefundReq,
    params(("order_id" = String, Path)), security(("bearer" = []), ("session" = [])),
    responses((status = 200, body = OrderDto), (status = 404, body = Problem), (status = 409, body = Problem),
        (status = 422, body = Problem)))]
pub async fn request_refund(
    State(st): State<AppState>,
    Auth(actor): Auth,
    Path(id): Path<String>,
    ApiJson(req): ApiJson<RefundReq>,
) -> ApiResult<Json<OrderDto>> {
    let lines: Vec<usize> = req
        .lines
        .into_iter()
        .take(quan_domain::ORDER_LINES_MAX + 1)
        .collect();
    let o = refunds::request(&st.svc, &actor, parse_id(&id)?, &req.reason, &lines).await?;
    Ok(Json(order_dto(&o)))
}

/// Approves a refund request: the refund goes to the provider through the outbox,
/// and the order is refunded when the provider's webhook confirms it.
#[utoipa::path(post, path = "/api/v1/orgs/{org_id}/orders/{order_id}/refund/approve", tag = "commerce",
    params(("org_id" = String, Path), ("order_id" = String, Path)), security(("bearer" = []), ("session" = [])),
    responses((status = 200, body = OrderDto), (status = 404, body = Problem), (status = 409, body = Problem)))]
pub async fn approve_refund(
    State(st): State<AppState>,
    ctx: OrgCtx,
    Path(ids): Path<(String, String)>,
) -> ApiResult<Json<OrderDto>> {
    let o = refunds::approve(&st.svc, &ctx.access, parse_id(&ids.1)?).await?;
    Ok(Json(order_dto(&o)))
}

/// Declines a refund request: the order goes back to paid or shipped.
#[utoipa::path(post, path = "/api/v1/orgs/{org_id}/orders/{order_id}/refund/decline", tag = "commerce",
    params(("org_id" = String, Path), ("order_id" = String, Path)), security(("bearer" = []), ("session" = [])),
    responses((status = 200, body = OrderDto), (status = 404, body = Problem), (status = 409, body = Problem)))]
pub async fn decline_refund(
    State(st): State<AppState>,
    ctx: OrgCtx,
    Path(ids): Path<(String, String)>,
) -> ApiResult<Json<OrderDto>> {
    let o = refunds::decline(&st.svc, &ctx.access, parse_id(&ids.1)?).await?;
    Ok(Json(order_dto(&o)))
}
