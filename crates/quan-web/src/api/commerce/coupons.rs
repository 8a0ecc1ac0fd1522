//! Coupon endpoints: staff set coupons up, end them and set the stacking matrix;
//! buyers see a shop's coupons, claim them (with an `Idempotency-Key`), read their
//! wallet, and preview an order's price line by line with a coupon.

use super::orders::{LineReq, created_or_replayed, idempotency_header, line_ids};
use crate::AppState;
use crate::api::common::{PageQuery, parse_id};
use crate::error::{ApiResult, Problem};
use crate::extract::{ApiJson, ApiQuery, Auth, OrgCtx};
use axum::Json;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use quan_core::commerce::checkout::{self, Preview};
use quan_core::commerce::coupons::{self, CouponInput};
use quan_core::commerce::port::{ClaimRecord, CouponRecord};
use quan_domain::{CouponKind, CouponScope, Layer, ProductId, Stacking, Timestamp, Validity};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(org_coupons, create_coupon))
        .routes(routes!(end_coupon))
        .routes(routes!(get_stacking, set_stacking))
        .routes(routes!(shop_coupons))
        .routes(routes!(claim_coupon))
        .routes(routes!(my_coupons))
        .routes(routes!(preview_order))
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct CouponDto {
    pub id: String,
    pub org_id: String,
    pub name: String,
    /// fixed | percent | threshold
    pub kind: String,
    /// Fixed and threshold: the amount off, in integer fen.
    pub off_fen: Option<i64>,
    /// Percent: 1 to 99.
    pub percent: Option<i64>,
    /// Percent: the most it takes off, in integer fen.
    pub cap_fen: Option<i64>,
    /// Threshold: the spend it needs on the lines it applies to, in integer fen.
    pub min_spend_fen: Option<i64>,
    /// all | categories | products
    pub scope: String,
    pub categories: Vec<String>,
    pub product_ids: Vec<String>,
    /// Fixed dates (milliseconds since the epoch), or `valid_days` after a claim.
    pub valid_from: Option<i64>,
    pub valid_until: Option<i64>,
    pub valid_days: Option<i64>,
    pub supply: i64,
    pub claimed: i64,
    /// Claims spent on an order (not cancelled); in the console's list only.
    pub used: Option<i64>,
    pub per_person: i64,
    pub ended: bool,
    pub created_at: i64,
}

pub(crate) fn coupon_dto(c: &CouponRecord) -> CouponDto {
    let t = &c.terms;
    let (off, percent, cap, min_spend) = t.kind.amounts();
    let (categories, product_ids) = match &t.scope {
        CouponScope::All => (Vec::new(), Vec::new()),
        CouponScope::Categories(c) => (c.clone(), Vec::new()),
        CouponScope::Products(p) => (Vec::new(), p.iter().map(ToString::to_string).collect()),
    };
    let (from, until, days) = t.validity.parts();
    let (from, until) = (from.map(Timestamp::millis), until.map(Timestamp::millis));
    CouponDto {
        id: c.id.to_string(),
        org_id: c.org_id.to_string(),
        name: t.name.clone(),
        kind: t.kind.as_str().to_owned(),
        off_fen: off,
        percent,
        cap_fen: cap,
        min_spend_fen: min_spend,
        scope: t.scope.as_str().to_owned(),
        categories,
        product_ids,
        valid_from: from,
        valid_until: until,
        valid_days: days,
        supply: t.supply,
        claimed: c.claimed,
        used: c.used,
        per_person: t.per_person,
        ended: c.ended,
        created_at: c.created_at.millis(),
    }
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct CouponPageDto {
    pub items: Vec<CouponDto>,
    pub next: Option<String>,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct CouponListDto {
    pub items: Vec<CouponDto>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CouponReq {
    /// 1 to 40 characters.
    pub name: String,
    /// fixed | percent | threshold
    pub kind: String,
    #[serde(default)]
    pub off_fen: Option<i64>,
    #[serde(default)]
    pub percent: Option<i64>,
    #[serde(default)]
    pub cap_fen: Option<i64>,
    #[serde(default)]
    pub min_spend_fen: Option<i64>,
    /// all | categories | products
    pub scope: String,
    #[serde(default)]
    pub categories: Vec<String>,
    #[serde(default)]
    pub product_ids: Vec<String>,
    /// Both dates (milliseconds since the epoch), or `valid_days`.
    #[serde(default)]
    pub valid_from: Option<i64>,
    #[serde(default)]
    pub valid_until: Option<i64>,
    #[serde(default)]
    pub valid_days: Option<i64>,
    /// 1 to 1,000,000.
    pub supply: i64,
    /// 1 to 10, at most the supply.
    pub per_person: i64,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct ClaimDto {
    pub id: String,
    pub coupon: CouponDto,
    pub claimed_at: i64,
    /// Usable in `[valid_from, valid_until)`, milliseconds since the epoch.
    pub valid_from: i64,
    pub valid_until: i64,
    /// The order it was spent on, if any.
    pub order_id: Option<String>,
}

pub(crate) fn claim_dto(cl: &ClaimRecord, c: &CouponRecord) -> ClaimDto {
    ClaimDto {
        id: cl.id.to_string(),
        coupon: coupon_dto(c),
        claimed_at: cl.claimed_at.millis(),
        valid_from: cl.valid_from.millis(),
        valid_until: cl.valid_until.millis(),
        order_id: cl.order_id.map(|o| o.to_string()),
    }
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct ClaimPageDto {
    pub items: Vec<ClaimDto>,
    pub next: Option<String>,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct StackingDto {
    /// Each kind of discount once, in the order taken: `activity` (a sale price)
    /// and `coupon`. A later one is measured on what the earlier left.
    pub order: Vec<String>,
    /// Pairs that may apply to the same line, e.g. `[["activity", "coupon"]]`.
    pub combine: Vec<[String; 2]>,
}

fn stacking_dto(s: &Stacking) -> StackingDto {
    StackingDto {
        order: s.order().iter().map(|l| l.as_str().to_owned()).collect(),
        combine: s
            .pairs()
            .iter()
            .map(|(a, b)| [a.as_str().to_owned(), b.as_str().to_owned()])
            .collect(),
    }
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PricePreviewReq {
    pub lines: Vec<LineReq>,
    #[serde(default)]
    pub coupon_claim_id: Option<String>,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct PricePreviewLineDto {
    pub sku_id: String,
    pub product_name: String,
    pub sku_name: String,
    pub quantity: i64,
    pub list_unit_fen: i64,
    /// List price × quantity.
    pub list_fen: i64,
    pub activity_off_fen: i64,
    /// This line's apportioned part of the coupon.
    pub coupon_off_fen: i64,
    pub pay_fen: i64,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct UsableCouponDto {
    pub claim_id: String,
    pub name: String,
    /// What it would take off this order.
    pub off_fen: i64,
    pub valid_until: i64,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct PricePreviewDto {
    pub lines: Vec<PricePreviewLineDto>,
    pub list_fen: i64,
    pub activity_off_fen: i64,
    pub coupon_off_fen: i64,
    pub total_fen: i64,
    pub currency: String,
    /// The claim applied, if one was chosen.
    pub coupon_claim_id: Option<String>,
    /// The caller's coupons of this shop that would apply, most off first.
    pub usable: Vec<UsableCouponDto>,
    /// The caller's spend-and-save coupons this order does not reach yet, least
    /// more to spend first.
    pub near: Vec<NearCouponDto>,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct NearCouponDto {
    pub claim_id: String,
    pub name: String,
    /// How much more the lines it applies to must come to, in integer fen.
    pub more_fen: i64,
    pub valid_until: i64,
}

fn usable_dto((cl, c, fen): &(ClaimRecord, CouponRecord, quan_domain::Money)) -> UsableCouponDto {
    UsableCouponDto {
        claim_id: cl.id.to_string(),
        name: c.terms.name.clone(),
        off_fen: fen.fen(),
        valid_until: cl.valid_until.millis(),
    }
}

fn preview_dto(p: &Preview) -> PricePreviewDto {
    let b = &p.priced.breakdown;
    PricePreviewDto {
        lines: p
            .priced
            .lines
            .iter()
            .zip(&b.lines)
            .map(|(l, x)| PricePreviewLineDto {
                sku_id: l.sku_id.to_string(),
                product_name: l.product_name.clone(),
                sku_name: l.sku_name.clone(),
                quantity: l.quantity,
                list_unit_fen: l.list_unit.fen(),
                list_fen: x.list.fen(),
                activity_off_fen: x.activity_off.fen(),
                coupon_off_fen: x.coupon_off.fen(),
                pay_fen: x.pay.fen(),
            })
            .collect(),
        list_fen: b.list.fen(),
        activity_off_fen: b.activity_off.fen(),
        coupon_off_fen: b.coupon_off.fen(),
        total_fen: b.total.fen(),
        currency: b.total.currency().as_str().to_owned(),
        coupon_claim_id: p.priced.coupon.as_ref().map(|(cl, _)| cl.id.to_string()),
        usable: p.usable.iter().map(usable_dto).collect(),
        near: p
            .near
            .iter()
            .map(|(cl, c, more)| NearCouponDto {
                claim_id: cl.id.to_string(),
                name: c.terms.name.clone(),
                more_fen: more.fen(),
                valid_until: cl.valid_until.millis(),
            })
            .collect(),
    }
}

/// The org's coupons, newest first.
#[utoipa::path(get, path = "/api/v1/orgs/{org_id}/coupons", tag = "commerce",
    params(("org_id" = String, Path), PageQuery), security(("bearer" = []), ("session" = [])),
    responses((status = 200, body = CouponPageDto), (status = 403, body = Problem)))]
pub async fn org_coupons(
    State(st): State<AppState>,
    ctx: OrgCtx,
    ApiQuery(q): ApiQuery<PageQuery>,
) -> ApiResult<Json<CouponPageDto>> {
    let p = coupons::list(&st.svc, &ctx.access, &q.into_request()?).await?;
    Ok(Json(CouponPageDto {
        items: p.items.iter().map(coupon_dto).collect(),
        next: p.next,
    }))
}

/// Sets a coupon up.
#[utoipa::path(post, path = "/api/v1/orgs/{org_id}/coupons", tag = "commerce", request_body = CouponReq,
    params(("org_id" = String, Path)), security(("bearer" = []), ("session" = [])),
    responses((status = 201, body = CouponDto), (status = 403, body = Problem), (status = 422, body = Problem)))]
pub async fn create_coupon(
    State(st): State<AppState>,
    ctx: OrgCtx,
    ApiJson(req): ApiJson<CouponReq>,
) -> ApiResult<(StatusCode, Json<CouponDto>)> {
    let products = req
        .product_ids
        .iter()
        .take(quan_domain::COUPON_SCOPE_MAX + 1)
        .map(|p| parse_id::<ProductId>(p))
        .collect::<ApiResult<Vec<_>>>()?;
    let categories = req
        .categories
        .into_iter()
        .take(quan_domain::COUPON_SCOPE_MAX + 1)
        .collect();
    let input = CouponInput {
        name: req.name,
        kind: CouponKind::from_parts(
            &req.kind,
            req.off_fen,
            (req.percent, req.cap_fen),
            req.min_spend_fen,
        )?,
        scope: CouponScope::from_parts(&req.scope, categories, products)?,
        validity: Validity::from_parts(
            (
                req.valid_from.map(Timestamp::from_millis),
                req.valid_until.map(Timestamp::from_millis),
            ),
            req.valid_days,
        )?,
        supply: req.supply,
        per_person: req.per_person,
    };
    let c = coupons::create(&st.svc, &ctx.access, input).await?;
    Ok((StatusCode::CREATED, Json(coupon_dto(&c))))
}

/// Stops claims of a coupon; those claimed stay good.
#[utoipa::path(post, path = "/api/v1/orgs/{org_id}/coupons/{coupon_id}/end", tag = "commerce",
    params(("org_id" = String, Path), ("coupon_id" = String, Path)), security(("bearer" = []), ("session" = [])),
    responses((status = 200, body = CouponDto), (status = 403, body = Problem), (status = 404, body = Problem)))]
pub async fn end_coupon(
    State(st): State<AppState>,
    ctx: OrgCtx,
    Path(ids): Path<(String, String)>,
) -> ApiResult<Json<CouponDto>> {
    let c = coupons::end(&st.svc, &ctx.access, parse_id(&ids.1)?).await?;
    Ok(Json(coupon_dto(&c)))
}

/// The org's stacking matrix.
#[utoipa::path(get, path = "/api/v1/orgs/{org_id}/stacking", tag = "commerce",
    params(("org_id" = String, Path)), security(("bearer" = []), ("session" = [])),
    responses((status = 200, body = StackingDto), (status = 403, body = Problem)))]
pub async fn get_stacking(State(st): State<AppState>, ctx: OrgCtx) -> ApiResult<Json<StackingDto>> {
    let s = coupons::stacking(&st.svc, &ctx.access).await?;
    Ok(Json(stacking_dto(&s)))
}

/// Sets the stacking matrix: the order discounts are taken in and the pairs
/// that may apply to the same line.
#[utoipa::path(put, path = "/api/v1/orgs/{org_id}/stacking", tag = "commerce", request_body = StackingDto,
    params(("org_id" = String, Path)), security(("bearer" = []), ("session" = [])),
    responses((status = 200, body = StackingDto), (status = 403, body = Problem), (status = 422, body = Problem)))]
pub async fn set_stacking(
    State(st): State<AppState>,
    ctx: OrgCtx,
    ApiJson(req): ApiJson<StackingDto>,
) -> ApiResult<Json<StackingDto>> {
    let order = req
        .order
        .iter()
        .take(Layer::ALL.len() + 1)
        .map(|l| Layer::parse(l))
        .collect::<Result<Vec<_>, _>>()?;
    let combine = req
        .combine
        .iter()
        .take(8)
        .map(|[a, b]| Ok((Layer::parse(a)?, Layer::parse(b)?)))
        .collect::<Result<Vec<_>, quan_domain::ParseError>>()?;
    let s = coupons::set_stacking(&st.svc, &ctx.access, order, &combine).await?;
    Ok(Json(stacking_dto(&s)))
}

/// A shop's coupons that may still be claimed (sold-out ones show `claimed` =
/// `supply`).
#[utoipa::path(get, path = "/api/v1/shops/{org_id}/coupons", tag = "commerce",
    params(("org_id" = String, Path)), security(("bearer" = []), ("session" = [])),
    responses((status = 200, body = CouponListDto)))]
pub async fn shop_coupons(
    State(st): State<AppState>,
    Auth(actor): Auth,
    Path(org): Path<String>,
) -> ApiResult<Json<CouponListDto>> {
    let items = coupons::offered(&st.svc, &actor, parse_id(&org)?).await?;
    Ok(Json(CouponListDto {
        items: items.iter().map(coupon_dto).collect(),
    }))
}

/// Claims one of a coupon into the caller's wallet. Send an `Idempotency-Key`:
/// the same key again returns the first claim (200).
#[utoipa::path(post, path = "/api/v1/shops/{org_id}/coupons/{coupon_id}/claims", tag = "commerce",
    params(("org_id" = String, Path), ("coupon_id" = String, Path),
        ("Idempotency-Key" = String, Header, description = "1 to 128 visible ASCII characters")),
    security(("bearer" = []), ("session" = [])),
    responses((status = 201, body = ClaimDto), (status = 200, description = "the first claim under this key", body = ClaimDto),
        (status = 404, body = Problem), (status = 409, body = Problem), (status = 422, body = Problem)))]
pub async fn claim_coupon(
    State(st): State<AppState>,
    Auth(actor): Auth,
    Path(ids): Path<(String, String)>,
    headers: HeaderMap,
) -> ApiResult<(StatusCode, Json<ClaimDto>)> {
    let org = parse_id(&ids.0)?;
    let id = parse_id(&ids.1)?;
    let key = idempotency_header(&headers);
    let (cl, replayed) = coupons::claim(&st.svc, &actor, org, id, key).await?;
    // Read back with its coupon as it is now (claimed counts moved).
    let (cl, c) = coupons::claim_of(&st.svc, &actor, cl.id).await?;
    Ok((created_or_replayed(replayed), Json(claim_dto(&cl, &c))))
}

/// The caller's coupons, newest first: unspent, spent and expired alike.
#[utoipa::path(get, path = "/api/v1/me/coupons", tag = "commerce", params(PageQuery),
    security(("bearer" = []), ("session" = [])), responses((status = 200, body = ClaimPageDto)))]
pub async fn my_coupons(
    State(st): State<AppState>,
    Auth(actor): Auth,
    ApiQuery(q): ApiQuery<PageQuery>,
) -> ApiResult<Json<ClaimPageDto>> {
    let p = coupons::wallet(&st.svc, &actor, None, &q.into_request()?).await?;
    Ok(Json(ClaimPageDto {
        items: p.items.iter().map(|(cl, c)| claim_dto(cl, c)).collect(),
        next: p.next,
    }))
}

/// What an order would come to, line by line: list price, a sale's price, the
/// coupon's part of each line, and what each pays — the same function checkout
/// charges by. Lists the caller's coupons that would apply, most off first.
#[utoipa::path(post, path = "/api/v1/shops/{org_id}/orders/preview", tag = "commerce", request_body = PricePreviewReq,
    params(("org_id" = String, Path)), security(("bearer" = []), ("session" = [])),
    responses((status = 200, body = PricePreviewDto), (status = 404, body = Problem), (status = 409, body = Problem),
        (status = 422, body = Problem)))]
pub async fn preview_order(
    State(st): State<AppState>,
    Auth(actor): Auth,
    Path(org): Path<String>,
    ApiJson(req): ApiJson<PricePreviewReq>,
) -> ApiResult<Json<PricePreviewDto>> {
    let lines = line_ids(&req.lines)?;
    let coupon = req.coupon_claim_id.as_deref().map(parse_id).transpose()?;
    let p = checkout::preview(&st.svc, &actor, parse_id(&org)?, &lines, coupon).await?;
    Ok(Json(preview_dto(&p)))
}
