//! The member app's shop: an org's published products, a product page to buy from
//! (its idempotency key is written into the form, so a double submit places one
//! order), the buyer's orders, and an order's page to pay or cancel it.

use super::super::{
    AfterParams, Chrome, CsrfOnly, PageResult, check_csrf, form_error, path_id, render_form,
    require_user,
};
use super::coupons::{Described, describe};
use crate::AppState;
use crate::error::ApiError;
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Redirect};
use axum::routing::{get, post};
use axum::{Form, Router};
use quan_core::PageRequest;
use quan_core::commerce::port::{
    ClaimRecord, CouponRecord, FlashSaleRecord, LineRefund, OrderLine, OrderRecord, ProductRecord,
    RefundRecord,
};
use quan_core::commerce::{catalog, checkout, coupons, flash, orders, payments, refunds};
use quan_domain::{
    FlashPhase, FlashSaleId, OrderId, OrderStatus, OrgId, ParseError, ProductId, QUANTITY_MAX,
    SkuId, Timestamp,
};
use serde::Deserialize;

pub(super) fn router() -> Router<AppState> {
    Router::new()
        .route("/app/shop/{org_id}", get(shop_page))
        .route(
            "/app/shop/{org_id}/products/{product_id}",
            get(product_page),
        )
        .route("/app/orders", get(orders_page))
        .route("/app/orders/{order_id}", get(order_page))
        .route("/app/orders/{order_id}/pay", post(pay))
        .route("/app/orders/{order_id}/cancel", post(cancel))
        .route("/app/orders/{order_id}/refund", post(refund))
}

#[derive(Template)]
#[template(path = "app_shop.html")]
struct ShopPage<'a> {
    c: &'a Chrome,
    org_id: OrgId,
    org_name: String,
    items: &'a [ProductRecord],
    next: Option<String>,
    /// The shop's flash sales on now or coming, to mark their products.
    sales: Vec<FlashSaleRecord>,
    now: Timestamp,
    /// The coupons offered: their words, how many the buyer holds, the coupon.
    offers: Vec<(Described, usize, CouponRecord)>,
    /// The page's claim key: a coupon's claim form sends `{key}:{coupon}`, so a
    /// double tap claims once.
    key: String,
    error: Option<&'a str>,
    /// Back from claiming a coupon.
    claimed: bool,
}

impl ShopPage<'_> {
    /// Whether the buyer may claim another of `cp`.
    fn claimable(&self, held: &usize, cp: &CouponRecord) -> bool {
        cp.left() > 0 && i64::try_from(*held).unwrap_or(i64::MAX) < cp.terms.per_person
    }
    /// The live flash sale of a product with units left, if any.
    fn flash(&self, p: &ProductRecord) -> Option<&FlashSaleRecord> {
        self.sales.iter().find(|f| {
            f.product_id == p.id && f.remaining > 0 && f.phase(self.now) == FlashPhase::Live
        })
    }
    /// "from ¥38.00" over the product's SKUs.
    fn price_line(&self, p: &ProductRecord) -> String {
        match p.skus.iter().map(|s| s.price).min_by_key(|m| m.fen()) {
            Some(m) if p.skus.len() > 1 => self.c.t("shop.from").replace("{price}", &m.to_string()),
            Some(m) => m.to_string(),
            None => String::new(),
        }
    }
    fn stock_line(&self, p: &ProductRecord) -> String {
        let left: i64 = p.skus.iter().map(|s| s.stock).sum();
        if left == 0 {
            self.c.t("shop.sold_out").to_owned()
        } else {
            self.c.t("shop.left").replace("{n}", &left.to_string())
        }
    }
}

#[derive(Deserialize)]
struct ShopQuery {
    #[serde(default)]
    after: Option<String>,
    /// Back from claiming a coupon: the page says so.
    #[serde(default)]
    claimed: Option<String>,
}

async fn shop_page(
    State(st): State<AppState>,
    c: Chrome,
    Path(org): Path<String>,
    Query(q): Query<ShopQuery>,
) -> PageResult {
    let org = path_id(&org)?;
    shop_view(&st, &c, (org, q.claimed.is_some()), q.after, None).await
}

/// The shop: its products (marked when on a flash sale) and the coupons it offers,
/// each with how many of it the buyer holds; `error` says why a claim was refused.
pub(super) async fn shop_view(
    st: &AppState,
    c: &Chrome,
    (org_id, claimed): (OrgId, bool),
    after: Option<String>,
    error: Option<String>,
) -> PageResult {
    let actor = require_user(c)?;
    let (org_name, page) =
        catalog::shop(&st.svc, actor, org_id, &PageRequest::new(after, Some(24)))
            .await
            .map_err(ApiError::from)?;
    let sales = flash::in_shop(&st.svc, actor, org_id, None)
        .await
        .map_err(ApiError::from)?;
    let offered = coupons::offered(&st.svc, actor, org_id)
        .await
        .map_err(ApiError::from)?;
    let mine = coupons::wallet(&st.svc, actor, Some(org_id), &PageRequest::first(100))
        .await
        .map_err(ApiError::from)?;
    let offers = offered
        .into_iter()
        .map(|cp| {
            let held = mine
                .items
                .iter()
                .filter(|(cl, _)| cl.coupon_id == cp.id)
                .count();
            (describe(c, &cp.terms), held, cp)
        })
        .collect();
    Ok(render_form(
        &ShopPage {
            c,
            org_id,
            org_name,
            items: &page.items,
            next: page.next,
            sales,
            now: st.svc.clock.now(),
            offers,
            key: uuid::Uuid::now_v7().to_string(),
            error: error.as_deref(),
            claimed,
        },
        error.is_some(),
    ))
}

/// A buy form as typed: the shop's (a SKU) and a flash sale's (no SKU: the sale's).
#[derive(Deserialize, Default)]
pub(super) struct BuyForm {
    #[serde(default)]
    pub(super) csrf: String,
    #[serde(default)]
    pub(super) key: String,
    #[serde(default)]
    pub(super) sku: String,
    #[serde(default)]
    pub(super) quantity: String,
    /// A flash buy's coupon claim ("" for none).
    #[serde(default)]
    pub(super) coupon: String,
    /// The product form's product (its page again when refused).
    #[serde(default)]
    pub(super) product: String,
    /// The product form's button: `buy` (to checkout) or `cart`.
    #[serde(default)]
    pub(super) then: String,
    /// The flash sale whose gate just turned this buyer away: shown sold out, though
    /// the store may still count a unit a racing buyer's order is taking right now.
    #[serde(skip)]
    pub(super) gone: Option<FlashSaleId>,
}

#[derive(Template)]
#[template(path = "app_product.html")]
struct ProductPage<'a> {
    c: &'a Chrome,
    p: &'a ProductRecord,
    description: String,
    form: BuyForm,
    key: String,
    qty_max: i64,
    reserve_minutes: i64,
    error: Option<&'a str>,
    /// The product's flash sales on now or coming.
    sales: Vec<FlashSaleRecord>,
    now: Timestamp,
    /// The buyer's coupons that may ride on its sale price, with their words.
    sale_coupons: Vec<(ClaimRecord, Described)>,
    /// A membership whose circle the buyer is in (or asked to join) already.
    inside: bool,
}

impl ProductPage<'_> {
    fn live(&self, f: &FlashSaleRecord) -> bool {
        f.terms.phase(self.now) == FlashPhase::Live
    }
    fn chosen(&self, id: &SkuId) -> bool {
        let first_left = self.p.skus.iter().find(|s| s.stock > 0).map(|s| s.id);
        if self.form.sku.is_empty() {
            first_left == Some(*id)
        } else {
            self.form.sku == id.to_string()
        }
    }
    /// The coupon the flash form starts with: the one sent back, else the first.
    fn sale_coupon_chosen(&self, cl: &ClaimRecord) -> bool {
        if self.form.coupon.is_empty() {
            self.sale_coupons.first().map(|(c, _)| c.id) == Some(cl.id)
        } else {
            self.form.coupon == cl.id.to_string()
        }
    }
    /// A sale of this product is on now: the plain buttons are at the list price.
    fn any_live_sale(&self) -> bool {
        self.sales.iter().any(|f| self.live(f))
    }
    fn any_left(&self) -> bool {
        self.p.skus.iter().any(|s| s.stock > 0)
    }
    /// A circle's membership: one per person, bought now, never put in a cart.
    fn membership(&self) -> bool {
        self.p.kind == quan_domain::ProductKind::Membership
    }
}

pub(super) async fn product_view(
    st: &AppState,
    c: &Chrome,
    ids: &(String, String),
    mut form: BuyForm,
    error: Option<String>,
) -> PageResult {
    let actor = require_user(c)?;
    let p = catalog::product(
        &st.svc,
        actor,
        path_id(&ids.0)?,
        path_id::<ProductId>(&ids.1)?,
    )
    .await
    .map_err(ApiError::from)?;
    if form.quantity.is_empty() {
        form.quantity = "1".to_owned();
    }
    let sales: Vec<FlashSaleRecord> = flash::in_shop(&st.svc, actor, p.org_id, Some(p.id))
        .await
        .map_err(ApiError::from)?
        .into_iter()
        .map(|mut f| {
            if form.gone == Some(f.id) {
                f.remaining = 0;
            }
            f
        })
        .collect();
    let sale_coupons = if sales
        .iter()
        .any(|f| f.phase(st.svc.clock.now()) == FlashPhase::Live)
    {
        checkout::for_sale(&st.svc, actor, p.org_id, (p.id, &p.category))
            .await
            .map_err(ApiError::from)?
            .into_iter()
            .map(|(cl, cp)| (cl, describe(c, &cp.terms)))
            .collect()
    } else {
        Vec::new()
    };
    // A membership's buyer who is in its circle already is sent there, not to buy.
    let inside = match (p.kind, p.circle_id) {
        (quan_domain::ProductKind::Membership, Some(circle)) => {
            quan_core::access::at_the_door(&st.svc, circle, actor.account_id())
                .await
                .map_err(|e| ApiError::from(quan_core::access::AccessError::from(e)))?
                == quan_core::access::AtTheDoor::Inside
        }
        _ => false,
    };
    // A refused form keeps its key (the same order if it went through after all).
    let key = if form.key.is_empty() {
        uuid::Uuid::now_v7().to_string()
    } else {
        form.key.clone()
    };
    let mut page = render_form(
        &ProductPage {
            c,
            description: crate::markdown::to_safe_html(&p.description),
            p: &p,
            form,
            key,
            qty_max: QUANTITY_MAX,
            reserve_minutes: st.svc.commerce.reserve_minutes,
            error: error.as_deref(),
            sales,
            now: st.svc.clock.now(),
            sale_coupons,
            inside,
        },
        error.is_some(),
    );
    // The page carries a one-time idempotency key: Back must fetch it anew rather
    // than show a copy whose key an order already used.
    page.headers_mut().insert(
        axum::http::header::CACHE_CONTROL,
        axum::http::HeaderValue::from_static("no-store"),
    );
    Ok(page)
}

async fn product_page(
    State(st): State<AppState>,
    c: Chrome,
    Path(ids): Path<(String, String)>,
) -> PageResult {
    product_view(&st, &c, &ids, BuyForm::default(), None).await
}

#[derive(Template)]
#[template(path = "app_orders.html")]
struct OrdersPage<'a> {
    c: &'a Chrome,
    items: &'a [OrderRecord],
    shops: &'a [(OrgId, String)],
    next: Option<String>,
}

impl OrdersPage<'_> {
    fn title(&self, o: &OrderRecord) -> String {
        let first = o.lines.first().map_or(String::new(), |l| {
            format!("{} · {}", l.product_name, l.sku_name)
        });
        if o.lines.len() > 1 {
            self.c
                .t("shop.and_more")
                .replace("{first}", &first)
                .replace("{n}", &(o.lines.len() - 1).to_string())
        } else {
            first
        }
    }
}

async fn orders_page(
    State(st): State<AppState>,
    c: Chrome,
    Query(q): Query<AfterParams>,
) -> PageResult {
    let actor = require_user(&c)?;
    let page = orders::list_mine(&st.svc, actor, &PageRequest::new(q.after, Some(20)))
        .await
        .map_err(ApiError::from)?;
    let shops = catalog::shops_of(&st.svc, actor)
        .await
        .map_err(ApiError::from)?;
    Ok(render_form(
        &OrdersPage {
            c: &c,
            items: &page.items,
            shops: &shops,
            next: page.next,
        },
        false,
    ))
}

#[derive(Template)]
#[template(path = "app_order.html")]
struct OrderPage<'a> {
    c: &'a Chrome,
    o: &'a OrderRecord,
    /// Back from the provider's page: the notice may still be on its way.
    paying: bool,
    refunds: &'a [RefundRecord],
    reason: &'a str,
    reason_max: usize,
    error: Option<&'a str>,
    /// An unpaid membership order whose buyer is in the circle already (by
    /// another order): not to be paid.
    seat_held: bool,
}

impl OrderPage<'_> {
    /// Unpaid and still holding its stock: it may be paid or cancelled.
    fn waiting(&self) -> bool {
        self.o.status == OrderStatus::Created
    }
    /// Back from paying and still unpaid: the page waits for the provider's notice
    /// (and offers no cancel that would cross it).
    fn confirming(&self) -> bool {
        self.paying && self.waiting()
    }

    /// A line not refunded yet is a membership: refunding it leaves the circle.
    fn refunds_membership(&self) -> bool {
        self.o
            .lines
            .iter()
            .any(|l| l.joins.is_some() && l.refund == LineRefund::None)
    }

    /// Paid or shipped, with a line not refunded yet: the buyer may ask for the
    /// money back.
    fn refundable(&self) -> bool {
        matches!(self.o.status, OrderStatus::Paid | OrderStatus::Fulfilled)
            && self.o.lines.iter().any(|l| l.refund == LineRefund::None)
    }
    /// Lines a refund may be asked for, with their positions (a choice is offered
    /// when there is more than one).
    fn open_lines(&self) -> Vec<(usize, &OrderLine)> {
        self.o
            .lines
            .iter()
            .enumerate()
            .filter(|(_, l)| l.refund == LineRefund::None)
            .collect()
    }
}

async fn order_view(
    st: &AppState,
    c: &Chrome,
    (id, paying): (OrderId, bool),
    reason: &str,
    error: Option<String>,
) -> PageResult {
    let actor = require_user(c)?;
    let o = orders::mine(&st.svc, actor, id)
        .await
        .map_err(ApiError::from)?;
    let rs = refunds::of_order(&st.svc, &o)
        .await
        .map_err(ApiError::from)?;
    let mut seat_held = false;
    if o.status == OrderStatus::Created {
        for circle in o.lines.iter().filter_map(|l| l.joins) {
            seat_held |= quan_core::access::at_the_door(&st.svc, circle, actor.account_id())
                .await
                .map_err(|e| ApiError::from(quan_core::access::AccessError::from(e)))?
                == quan_core::access::AtTheDoor::Inside;
        }
    }
    Ok(render_form(
        &OrderPage {
            c,
            o: &o,
            paying,
            refunds: &rs,
            reason,
            reason_max: refunds::REASON_MAX,
            error: error.as_deref(),
            seat_held,
        },
        error.is_some(),
    ))
}

#[derive(Deserialize)]
struct OrderQuery {
    #[serde(default)]
    paying: Option<String>,
}

async fn order_page(
    State(st): State<AppState>,
    c: Chrome,
    Path(id): Path<String>,
    Query(q): Query<OrderQuery>,
) -> PageResult {
    order_view(&st, &c, (path_id(&id)?, q.paying.is_some()), "", None).await
}

async fn pay(
    State(st): State<AppState>,
    c: Chrome,
    Path(id): Path<String>,
    Form(f): Form<CsrfOnly>,
) -> PageResult {
    check_csrf(&c, &f.csrf)?;
    let actor = require_user(&c)?;
    let id: OrderId = path_id(&id)?;
    match payments::pay(&st.svc, actor, id).await {
        // To the provider's page (absolute, on the provider's host).
        Ok(p) => Ok(Redirect::to(&p.pay_url).into_response()),
        Err(e) => {
            let msg = form_error(&c, e.into())?;
            order_view(&st, &c, (id, false), "", Some(msg)).await
        }
    }
}

async fn cancel(
    State(st): State<AppState>,
    c: Chrome,
    Path(id): Path<String>,
    Form(f): Form<CsrfOnly>,
) -> PageResult {
    check_csrf(&c, &f.csrf)?;
    let actor = require_user(&c)?;
    let id: OrderId = path_id(&id)?;
    match orders::cancel(&st.svc, actor, id).await {
        Ok(_) => Ok(super::super::saved(&format!("/app/orders/{id}"))),
        Err(e) => {
            let msg = form_error(&c, e.into())?;
            order_view(&st, &c, (id, false), "", Some(msg)).await
        }
    }
}

/// A refund request from the order page: `csrf`, `reason`, and one `line` per
/// line chosen (an order of one line sends none: that line).
async fn refund(
    State(st): State<AppState>,
    c: Chrome,
    Path(id): Path<String>,
    Form(fields): Form<Vec<(String, String)>>,
) -> PageResult {
    let field = |k: &str| {
        fields
            .iter()
            .find(|(n, _)| n == k)
            .map_or("", |(_, v)| v.as_str())
    };
    check_csrf(&c, field("csrf"))?;
    let actor = require_user(&c)?;
    let id: OrderId = path_id(&id)?;
    let reason = field("reason").to_owned();
    let chosen: Vec<usize> = fields
        .iter()
        .filter(|(n, _)| n == "line")
        .filter_map(|(_, v)| v.parse().ok())
        .take(quan_domain::ORDER_LINES_MAX + 1)
        .collect();
    let done = if field("choose") == "1" && chosen.is_empty() {
        // The lines were offered and none was ticked: nothing is asked for.
        Err(ParseError::new("lines", "choose_refund_lines", "choose at least one line").into())
    } else {
        refunds::request(&st.svc, actor, id, &reason, &chosen).await
    };
    match done {
        Ok(_) => Ok(super::super::saved(&format!("/app/orders/{id}"))),
        Err(e) => {
            let msg = form_error(&c, e.into())?;
            order_view(&st, &c, (id, false), &reason, Some(msg)).await
        }
    }
}
