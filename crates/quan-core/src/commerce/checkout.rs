//! Checkout's price: the lines a buyer asks for, priced from the catalog (or a
//! flash sale), with the coupon they chose applied under the org's stacking
//! matrix by [`quan_domain::price`] — the same function for the preview a buyer
//! reads and the order they place, so the two never differ.

use super::Result;
use super::coupons::{stacking_of, usable};
use super::error::CommerceError;
use super::port::{ClaimRecord, CouponRecord};
use super::port::{LineRefund, OrderLine};
use crate::Services;
use crate::access::{Actor, AtTheDoor, at_the_door, require_scope};
use quan_domain::{
    Breakdown, CouponClaimId, CouponUse, Money, ORDER_LINES_MAX, ORDER_TOTAL_MAX_FEN, OrgId,
    ParseError, PriceLine, Scope, SkuId, price, quantity, shortfall,
};

/// Claims of one shop a checkout weighs, at most.
const WALLET_SCAN: i64 = 50;

/// A priced checkout: its lines (with each one's coupon part), the breakdown, and
/// the coupon applied.
#[derive(Debug, Clone)]
pub struct Priced {
    pub lines: Vec<OrderLine>,
    pub breakdown: Breakdown,
    pub coupon: Option<(ClaimRecord, CouponRecord)>,
}

/// The preview a buyer reads before placing the order: the priced checkout, and
/// the coupons of their wallet that would apply, with what each takes off, most
/// first.
#[derive(Debug, Clone)]
pub struct Preview {
    pub priced: Priced,
    pub usable: Vec<(ClaimRecord, CouponRecord, Money)>,
    /// Spend-and-save coupons of theirs the order does not reach yet, with how
    /// much more it must come to, least first.
    pub near: Vec<(ClaimRecord, CouponRecord, Money)>,
}

/// A line to price: the order line as the catalog (or a sale) sells it, its
/// product's category (a coupon's scope may name it), and whether it is bought at
/// an activity's price (a flash sale's).
pub(super) type Wanted = (OrderLine, String, bool);

/// `lines` (SKU, quantity) with one line per SKU, in the order first named: at
/// least one and at most [`ORDER_LINES_MAX`] lines, each quantity within bounds.
pub(super) fn merge(lines: &[(SkuId, i64)]) -> Result<Vec<(SkuId, i64)>> {
    if lines.is_empty() || lines.len() > ORDER_LINES_MAX {
        return Err(ParseError::new(
            "lines",
            "invalid_lines",
            format!("at most {ORDER_LINES_MAX} lines, and at least one"),
        )
        .into());
    }
    let mut wanted: Vec<(SkuId, i64)> = Vec::new();
    for (sku, q) in lines {
        let q = quantity(*q)?;
        match wanted.iter_mut().find(|(s, _)| s == sku) {
            Some((_, have)) => *have = quantity(*have + q)?,
            None => wanted.push((*sku, q)),
        }
    }
    Ok(wanted)
}

/// Lines already merged per SKU ([`merge`]) priced from the org's published
/// catalog.
pub(super) async fn from_catalog(
    svc: &Services,
    org: OrgId,
    wanted: &[(SkuId, i64)],
) -> Result<Vec<Wanted>> {
    let ids: Vec<SkuId> = wanted.iter().map(|(s, _)| *s).collect();
    let found = svc.store.skus_for_order(org, &ids).await?;
    let mut out = Vec::with_capacity(wanted.len());
    for (sku, q) in wanted {
        let Some(f) = found.iter().find(|f| f.sku.id == *sku) else {
            return Err(CommerceError::UnknownSku { sku: *sku });
        };
        if f.joins.is_some() && *q != 1 {
            return Err(ParseError::new(
                "quantity",
                "membership_quantity",
                "a membership is bought one at a time",
            )
            .into());
        }
        let amount = f.sku.price.times(*q)?;
        out.push((
            OrderLine {
                sku_id: f.sku.id,
                product_id: f.sku.product_id,
                product_name: f.product_name.clone(),
                sku_name: f.sku.name.clone(),
                list_unit: f.sku.price,
                unit: f.sku.price,
                quantity: *q,
                amount,
                coupon_off: Money::zero(f.sku.price.currency()),
                joins: f.joins,
                refund: LineRefund::None,
            },
            f.category.clone(),
            false,
        ));
    }
    Ok(out)
}

/// Prices `wanted` with the caller's claim `coupon` (if any): the claim must be
/// theirs, of this shop, unspent and within its dates; a coupon that does not
/// apply is refused with why.
pub(super) async fn priced(
    svc: &Services,
    actor: &Actor,
    org: OrgId,
    wanted: Vec<Wanted>,
    coupon: Option<CouponClaimId>,
) -> Result<Priced> {
    seats_free(svc, actor, wanted.iter().map(|(l, _, _)| l)).await?;
    let chosen = match coupon {
        None => None,
        Some(id) => {
            let (claim, c) = svc
                .store
                .claim_get(actor.account_id(), id)
                .await?
                .filter(|(cl, _)| cl.org_id == org)
                .ok_or(CommerceError::NotFound)?;
            if let Err(code) = usable(&claim, svc.clock.now()) {
                return Err(CommerceError::CouponUnavailable {
                    code,
                    message: unusable_message(code).to_owned(),
                });
            }
            Some((claim, c))
        }
    };
    // Without a coupon the matrix changes nothing (an activity's price always
    // holds): not read, which keeps a flash sale's rush free of it.
    let stacking = match chosen {
        Some(_) => stacking_of(svc, org).await?,
        None => quan_domain::Stacking::default(),
    };
    apply(wanted, chosen, &stacking)
}

/// Nobody buys a seat they hold (or asked for) or may not take: each membership
/// line's circle must still be open to the buyer. Asked at the preview, the order
/// and again at payment (they may have joined by another order meanwhile).
pub(super) async fn seats_free(
    svc: &Services,
    actor: &Actor,
    lines: impl Iterator<Item = &OrderLine>,
) -> Result<()> {
    for circle in lines.filter_map(|l| l.joins) {
        match at_the_door(svc, circle, actor.account_id()).await? {
            AtTheDoor::Outside => {}
            AtTheDoor::Inside => return Err(CommerceError::AlreadyMember),
            AtTheDoor::Banned => return Err(CommerceError::Banned),
        }
    }
    Ok(())
}

fn price_lines(wanted: &[Wanted]) -> Vec<PriceLine> {
    wanted
        .iter()
        .map(|(l, category, activity)| PriceLine {
            product: l.product_id,
            category: category.clone(),
            list_unit: l.list_unit,
            unit: l.unit,
            quantity: l.quantity,
            activity: *activity,
        })
        .collect()
}

fn apply(
    wanted: Vec<Wanted>,
    chosen: Option<(ClaimRecord, CouponRecord)>,
    stacking: &quan_domain::Stacking,
) -> Result<Priced> {
    let price_lines = price_lines(&wanted);
    let using = chosen.as_ref().map(|(_, c)| CouponUse {
        kind: c.terms.kind,
        scope: &c.terms.scope,
    });
    let breakdown = price(&price_lines, using, stacking)?;
    if breakdown.total.fen() > ORDER_TOTAL_MAX_FEN || breakdown.list.fen() > ORDER_TOTAL_MAX_FEN {
        return Err(ParseError::new("lines", "amount_too_large", "the order is too large").into());
    }
    let lines = wanted
        .into_iter()
        .zip(&breakdown.lines)
        .map(|((l, _, _), p)| OrderLine {
            // The list price as shown: never below what the line is sold at.
            list_unit: Money::from_fen(p.list.fen() / l.quantity.max(1), l.list_unit.currency()),
            coupon_off: p.coupon_off,
            ..l
        })
        .collect();
    Ok(Priced {
        lines,
        breakdown,
        coupon: chosen,
    })
}

fn unusable_message(code: &str) -> &'static str {
    match code {
        "coupon_used" => "this coupon was used on another order",
        "coupon_not_yet_valid" => "this coupon cannot be used yet",
        _ => "this coupon has expired",
    }
}

/// What the order would come to, line by line, with the coupon chosen, and the
/// buyer's other coupons that would apply here.
pub async fn preview(
    svc: &Services,
    actor: &Actor,
    org: OrgId,
    lines: &[(SkuId, i64)],
    coupon: Option<CouponClaimId>,
) -> Result<Preview> {
    require_scope(actor, Scope::Read)?;
    let wanted = from_catalog(svc, org, &merge(lines)?).await?;
    let stacking = stacking_of(svc, org).await?;
    let now = svc.clock.now();
    let wallet = svc
        .store
        .wallet_usable(actor.account_id(), org, now, WALLET_SCAN)
        .await?;
    let (mut fits, mut near) = (Vec::new(), Vec::new());
    let as_priced = price_lines(&wanted);
    for (claim, c) in wallet {
        if let Ok(p) = apply(wanted.clone(), Some((claim.clone(), c.clone())), &stacking) {
            fits.push((claim, c, p.breakdown.coupon_off));
            continue;
        }
        let using = CouponUse {
            kind: c.terms.kind,
            scope: &c.terms.scope,
        };
        if let Some(more) = shortfall(&as_priced, using, &stacking) {
            let cur = as_priced
                .first()
                .map_or(quan_domain::Currency::Cny, |l| l.list_unit.currency());
            near.push((claim, c, Money::from_fen(more, cur)));
        }
    }
    near.sort_by_key(|n| n.2.fen());
    // Most off first; of two alike, the one that expires sooner.
    fits.sort_by(|a, b| {
        b.2.fen()
            .cmp(&a.2.fen())
            .then(a.0.valid_until.cmp(&b.0.valid_until))
    });
    let priced = priced(svc, actor, org, wanted, coupon).await?;
    Ok(Preview {
        priced,
        usable: fits,
        near,
    })
}

/// The caller's coupons that may ride on a flash sale of `product` (in
/// `category`): none unless the org's matrix lets a coupon combine with a sale
/// price; soonest to expire first. The sale's page offers them.
pub async fn for_sale(
    svc: &Services,
    actor: &Actor,
    org: OrgId,
    (product, category): (quan_domain::ProductId, &str),
) -> Result<Vec<(ClaimRecord, CouponRecord)>> {
    require_scope(actor, Scope::Read)?;
    let stacking = stacking_of(svc, org).await?;
    if !stacking.combines(quan_domain::Layer::Activity, quan_domain::Layer::Coupon) {
        return Ok(Vec::new());
    }
    let mut mine = svc
        .store
        .wallet_usable(actor.account_id(), org, svc.clock.now(), WALLET_SCAN)
        .await?;
    mine.retain(|(_, c)| c.terms.scope.covers(product, category));
    Ok(mine)
}
