//! The cart: what a buyer puts aside in one shop before checking out. It holds
//! SKUs and quantities only — prices are read at checkout, and nothing is reserved
//! until the order — so a cart can never make a promise the shop cannot keep.
//! Checking out a cart prices its lines like any other ([`super::checkout`]) and,
//! once the order is placed, takes those lines out of it.

use super::Result;
use super::error::CommerceError;
use super::port::{CartPut, CartPutOutcome, OrderableSku};
use crate::Services;
use crate::access::{Actor, require_scope};
use quan_domain::{ORDER_LINES_MAX, OrgId, ParseError, QUANTITY_MAX, Scope, SkuId, quantity};

/// A cart line as the cart page shows it: the SKU as the shop sells it now, or
/// None when it is no longer sold (unpublished, retired).
#[derive(Debug, Clone)]
pub struct CartLine {
    pub sku: SkuId,
    pub quantity: i64,
    pub on_sale: Option<OrderableSku>,
}

fn max_lines() -> i64 {
    i64::try_from(ORDER_LINES_MAX).unwrap_or(i64::MAX)
}

/// Adds `q` of a SKU the shop sells to what the cart has of it (refused past
/// [`QUANTITY_MAX`] in all).
pub async fn add(svc: &Services, actor: &Actor, org: OrgId, sku: SkuId, q: i64) -> Result<()> {
    require_scope(actor, Scope::Write)?;
    let q = quantity(q)?;
    if svc.store.skus_for_order(org, &[sku]).await?.is_empty() {
        return Err(CommerceError::UnknownSku { sku });
    }
    put(
        svc,
        actor,
        (org, sku),
        CartPut::Add {
            quantity: q,
            max: QUANTITY_MAX,
        },
    )
    .await
}

/// Sets a line's quantity; 0 takes it out.
pub async fn set(svc: &Services, actor: &Actor, org: OrgId, sku: SkuId, q: i64) -> Result<()> {
    require_scope(actor, Scope::Write)?;
    if q == 0 {
        return put(svc, actor, (org, sku), CartPut::Set(0)).await;
    }
    let q = quantity(q)?;
    if svc.store.skus_for_order(org, &[sku]).await?.is_empty() {
        return Err(CommerceError::UnknownSku { sku });
    }
    put(svc, actor, (org, sku), CartPut::Set(q)).await
}

async fn put(
    svc: &Services,
    actor: &Actor,
    (org, sku): (OrgId, SkuId),
    how: CartPut,
) -> Result<()> {
    let outcome = svc
        .store
        .cart_put(
            (actor.account_id(), org),
            sku,
            how,
            (svc.clock.now(), max_lines()),
        )
        .await?;
    match outcome {
        CartPutOutcome::Done => Ok(()),
        CartPutOutcome::Full => Err(ParseError::new(
            "lines",
            "cart_full",
            format!("a cart holds at most {ORDER_LINES_MAX} different items"),
        )
        .into()),
        CartPutOutcome::OverMax => Err(ParseError::new(
            "quantity",
            "quantity_too_large",
            format!("at most {QUANTITY_MAX} of one item"),
        )
        .into()),
    }
}

/// The caller's cart in a shop, each line with the SKU as it is sold now.
pub async fn lines(svc: &Services, actor: &Actor, org: OrgId) -> Result<Vec<CartLine>> {
    require_scope(actor, Scope::Read)?;
    let held = svc.store.cart_of(actor.account_id(), org).await?;
    let ids: Vec<SkuId> = held.iter().map(|(s, _)| *s).collect();
    let sold = svc.store.skus_for_order(org, &ids).await?;
    Ok(held
        .into_iter()
        .map(|(sku, quantity)| CartLine {
            sku,
            quantity,
            on_sale: sold.iter().find(|f| f.sku.id == sku).cloned(),
        })
        .collect())
}

/// The cart's lines still sold, as a checkout takes them; refused as
/// `cart_empty` when none are.
pub async fn to_check_out(svc: &Services, actor: &Actor, org: OrgId) -> Result<Vec<(SkuId, i64)>> {
    let ready: Vec<(SkuId, i64)> = lines(svc, actor, org)
        .await?
        .into_iter()
        .filter(|l| l.on_sale.is_some())
        .map(|l| (l.sku, l.quantity))
        .collect();
    if ready.is_empty() {
        return Err(
            ParseError::new("lines", "cart_empty", "the cart has nothing to check out").into(),
        );
    }
    Ok(ready)
}

/// Takes what an order was placed for off the cart: its quantities, so what the
/// buyer added meanwhile stays.
pub async fn ordered(
    svc: &Services,
    actor: &Actor,
    org: OrgId,
    lines: &[(SkuId, i64)],
) -> Result<()> {
    require_scope(actor, Scope::Write)?;
    Ok(svc
        .store
        .cart_take_off(actor.account_id(), org, lines)
        .await?)
}
