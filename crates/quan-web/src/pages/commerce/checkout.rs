//! The member app's checkout and coupons: the checkout page shows how the price is
//! built line by line (list price, sale, coupon, what each line pays) with the
//! buyer's coupons that apply — the best one chosen for them — and places the
//! order under the key written into its form; the shop's coupons are claimed
//! from the shop page; the wallet lists the buyer's coupons.

use super::super::{
    AfterParams, Chrome, PageResult, check_csrf, form_error, path_id, render_form, require_user,
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
use quan_core::commerce::checkout::{self, Preview};
use quan_core::commerce::port::{ClaimRecord, CouponRecord};
use quan_core::commerce::{cart, coupons, orders};
use quan_domain::{CouponClaimId, Money, OrgId, SkuId, Timestamp};
use serde::Deserialize;

pub(super) fn router() -> Router<AppState> {
    Router::new()
        .route(
            "/app/shop/{org_id}/checkout",
            get(checkout_page).post(place),
        )
        .route("/app/shop/{org_id}/coupons/{coupon_id}/claim", post(claim))
        .route("/app/coupons", get(wallet_page))
}

/// A checkout as asked for and as typed: one SKU and its quantity (the product
/// page's "Buy now") or the cart (`cart=1`), the coupon chosen (`""`: the best
/// one, `none`: none), and the key.
#[derive(Deserialize, Default, Clone)]
struct CheckoutForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    key: String,
    #[serde(default)]
    sku: String,
    #[serde(default)]
    quantity: String,
    #[serde(default)]
    coupon: String,
    /// The total the page showed, in fen: the order is refused if it changed.
    #[serde(default)]
    total: String,
    /// "1": the buyer's cart in this shop, rather than `sku` and `quantity`.
    #[serde(default)]
    cart: String,
    /// The cart's lines as the page showed them (`sku:quantity,…`): what is
    /// ordered, whatever the cart holds by then.
    #[serde(default)]
    lines: String,
}

impl CheckoutForm {
    fn is_cart(&self) -> bool {
        self.cart == "1"
    }
}

/// The lines a checkout form stands for: the cart's (still sold), or its one SKU.
/// Err is the reason to show when there are none to price.
async fn lines_of(
    st: &AppState,
    c: &Chrome,
    org: OrgId,
    f: &CheckoutForm,
) -> Result<Result<Vec<(SkuId, i64)>, String>, super::super::PageError> {
    let actor = require_user(c)?;
    if f.is_cart() && !f.lines.is_empty() {
        let shown: Option<Vec<(SkuId, i64)>> = f
            .lines
            .split(',')
            .take(quan_domain::ORDER_LINES_MAX + 1)
            .map(|l| {
                let (sku, q) = l.split_once(':')?;
                Some((sku.parse().ok()?, q.parse().ok()?))
            })
            .collect();
        return Ok(shown.ok_or_else(|| c.t("shop.choose").to_owned()));
    }
    if f.is_cart() {
        return match cart::to_check_out(&st.svc, actor, org).await {
            Ok(lines) => Ok(Ok(lines)),
            Err(e) => Ok(Err(form_error(c, e.into())?)),
        };
    }
    let Ok(sku) = f.sku.parse::<SkuId>() else {
        return Ok(Err(c.t("shop.choose").to_owned()));
    };
    Ok(Ok(vec![(
        sku,
        f.quantity.trim().parse::<i64>().unwrap_or(0),
    )]))
}

#[derive(Template)]
#[template(path = "app_checkout.html")]
struct CheckoutPage<'a> {
    c: &'a Chrome,
    org_id: OrgId,
    form: &'a CheckoutForm,
    key: String,
    preview: Option<Preview>,
    /// The coupon applied, if any (its claim id).
    chosen: Option<CouponClaimId>,
    reserve_minutes: i64,
    error: Option<&'a str>,
}

impl CheckoutPage<'_> {
    fn minus(&self, m: &Money) -> String {
        format!("−{m}")
    }
    fn is_chosen(&self, cl: &ClaimRecord) -> bool {
        self.chosen == Some(cl.id)
    }
    /// The lines priced, for the place form (`sku:quantity,…`).
    fn lines_field(&self) -> String {
        self.preview.as_ref().map_or_else(String::new, |p| {
            p.priced
                .lines
                .iter()
                .map(|l| format!("{}:{}", l.sku_id, l.quantity))
                .collect::<Vec<_>>()
                .join(",")
        })
    }
    fn coupon_value(&self) -> String {
        self.chosen
            .map_or_else(|| "none".to_owned(), |c| c.to_string())
    }
}

/// Prices the checkout: with the coupon asked for, or (none asked) the best of the
/// buyer's that applies. A coupon that no longer applies is dropped with why.
async fn priced(
    st: &AppState,
    c: &Chrome,
    org: OrgId,
    f: &CheckoutForm,
) -> Result<(Option<Preview>, Option<CouponClaimId>, Option<String>), super::super::PageError> {
    let actor = require_user(c)?;
    let lines = match lines_of(st, c, org, f).await? {
        Ok(lines) => lines,
        Err(why) => return Ok((None, None, Some(why))),
    };
    let asked: Option<CouponClaimId> = f.coupon.parse().ok();
    match checkout::preview(&st.svc, actor, org, &lines, asked).await {
        Ok(p) if f.coupon.is_empty() => match p.usable.first() {
            Some((best, _, _)) => {
                let best = best.id;
                let p = checkout::preview(&st.svc, actor, org, &lines, Some(best))
                    .await
                    .map_err(ApiError::from)?;
                Ok((Some(p), Some(best), None))
            }
            None => Ok((Some(p), None, None)),
        },
        Ok(p) => Ok((Some(p), asked, None)),
        Err(e) if asked.is_some() => {
            // A claim that is not the buyer's in this shop (an edited link) is
            // dropped with a word, not a missing page.
            let e: ApiError = e.into();
            let msg = if e.status == axum::http::StatusCode::NOT_FOUND {
                c.t("checkout.coupon_gone").to_owned()
            } else {
                form_error(c, e)?
            };
            let p = checkout::preview(&st.svc, actor, org, &lines, None)
                .await
                .map_err(ApiError::from)?;
            Ok((Some(p), None, Some(msg)))
        }
        Err(e) => Ok((None, None, Some(form_error(c, e.into())?))),
    }
}

async fn checkout_view(
    st: &AppState,
    c: &Chrome,
    org: OrgId,
    f: CheckoutForm,
    error: Option<String>,
) -> PageResult {
    let (preview, chosen, refused) = priced(st, c, org, &f).await?;
    let error = error.or(refused);
    // A refused form keeps its key (the same order if it went through after all).
    let key = if f.key.is_empty() {
        uuid::Uuid::now_v7().to_string()
    } else {
        f.key.clone()
    };
    let mut page = render_form(
        &CheckoutPage {
            c,
            org_id: org,
            form: &f,
            key,
            preview,
            chosen,
            reserve_minutes: st.svc.commerce.reserve_minutes,
            error: error.as_deref(),
        },
        error.is_some(),
    );
    // One-time key in the form: Back must not show a copy an order already used.
    page.headers_mut().insert(
        axum::http::header::CACHE_CONTROL,
        axum::http::HeaderValue::from_static("no-store"),
    );
    Ok(page)
}

async fn checkout_page(
    State(st): State<AppState>,
    c: Chrome,
    Path(org): Path<String>,
    Query(f): Query<CheckoutForm>,
) -> PageResult {
    checkout_view(&st, &c, path_id(&org)?, f, None).await
}

async fn place(
    State(st): State<AppState>,
    c: Chrome,
    Path(org): Path<String>,
    Form(f): Form<CheckoutForm>,
) -> PageResult {
    check_csrf(&c, &f.csrf)?;
    let actor = require_user(&c)?;
    let org: OrgId = path_id(&org)?;
    if !f.is_cart() && f.quantity.trim().parse::<i64>().is_err() {
        let msg = c.t("shop.quantity_hint").to_owned();
        return checkout_view(&st, &c, org, f, Some(msg)).await;
    }
    let lines = match lines_of(&st, &c, org, &f).await? {
        Ok(lines) => lines,
        Err(why) => return checkout_view(&st, &c, org, f, Some(why)).await,
    };
    let basket = orders::Basket {
        lines: &lines,
        coupon: f.coupon.parse().ok(),
        shown_total: f.total.trim().parse().ok(),
    };
    match orders::place(&st.svc, actor, org, basket, &f.key).await {
        Ok((o, replayed)) => {
            if f.is_cart() && !replayed {
                // Ordered: off the cart, once (a failure here leaves them in it,
                // which costs nothing).
                if let Err(e) = cart::ordered(&st.svc, actor, org, &lines).await {
                    tracing::warn!(error = %e, "checkout: the cart kept its ordered lines");
                }
            }
            Ok(Redirect::to(&format!("/app/orders/{}", o.id)).into_response())
        }
        Err(e) => {
            let e: ApiError = e.into();
            let mut f = f;
            // The key named another order (a form sent again after a change): the
            // next try is a new order.
            if e.code == "idempotency_key_reused" {
                f.key.clear();
            }
            let msg = form_error(&c, e)?;
            checkout_view(&st, &c, org, f, Some(msg)).await
        }
    }
}

#[derive(Deserialize)]
struct ClaimForm {
    csrf: String,
    #[serde(default)]
    key: String,
}

/// A buyer claims a coupon from the shop page; back there with what happened.
async fn claim(
    State(st): State<AppState>,
    c: Chrome,
    Path((org, coupon)): Path<(String, String)>,
    Form(f): Form<ClaimForm>,
) -> PageResult {
    check_csrf(&c, &f.csrf)?;
    let actor = require_user(&c)?;
    let org_id: OrgId = path_id(&org)?;
    match coupons::claim(&st.svc, actor, org_id, path_id(&coupon)?, &f.key).await {
        Ok(_) => Ok(Redirect::to(&format!("/app/shop/{org_id}?claimed=1#coupons")).into_response()),
        Err(e) => {
            let msg = form_error(&c, e.into())?;
            super::app::shop_view(&st, &c, (org_id, false), None, Some(msg)).await
        }
    }
}

/// A claim as the wallet shows it.
struct WalletItem {
    claim: ClaimRecord,
    coupon: CouponRecord,
    words: Described,
    /// usable | used | expired | not_yet
    state: &'static str,
}

#[derive(Template)]
#[template(path = "app_coupons.html")]
struct WalletPage<'a> {
    c: &'a Chrome,
    items: Vec<WalletItem>,
    next: Option<String>,
}

fn state_of(cl: &ClaimRecord, now: Timestamp) -> &'static str {
    match coupons::usable(cl, now) {
        Ok(()) => "usable",
        Err("coupon_used") => "used",
        Err("coupon_not_yet_valid") => "not_yet",
        Err(_) => "expired",
    }
}

async fn wallet_page(
    State(st): State<AppState>,
    c: Chrome,
    Query(q): Query<AfterParams>,
) -> PageResult {
    let actor = require_user(&c)?;
    let page = coupons::wallet(&st.svc, actor, None, &PageRequest::new(q.after, Some(30)))
        .await
        .map_err(ApiError::from)?;
    let now = st.svc.clock.now();
    let items = page
        .items
        .into_iter()
        .map(|(claim, coupon)| WalletItem {
            words: describe(&c, &coupon.terms),
            state: state_of(&claim, now),
            claim,
            coupon,
        })
        .collect();
    Ok(render_form(
        &WalletPage {
            c: &c,
            items,
            next: page.next,
        },
        false,
    ))
}
