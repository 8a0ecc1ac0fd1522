//! Orders: a buyer places one with an idempotency key, its stock is reserved by
//! guarded decrements in the same transaction, and a durable job lets the stock go
//! if it is still unpaid when the reservation ends. Every move of an order goes
//! through [`quan_domain::OrderStatus::next`] and a guarded write.

use super::checkout;
use super::error::CommerceError;
use super::port::{OrderRecord, PlaceOutcome};
use super::{MANAGERS, Result, require};
use crate::Services;
use crate::access::{Actor, OrgAccess, require_scope};
use crate::events::{announce, new_event};
use crate::jobs::port::NewJob;
use crate::page::{Page, PageRequest};
use quan_domain::{
    CouponClaimId, FlashSaleId, OrderEvent, OrderId, OrderStatus, OrgId, ParseError, Scope, SkuId,
    idempotency_key,
};
use serde_json::json;
use sha2::{Digest, Sha256};

/// The job that lets an unpaid order's stock go.
pub const RELEASE: &str = "commerce.release";

/// What a buyer checks out: lines (SKU, quantity), the claim from their wallet
/// they chose, and the total they were shown.
#[derive(Debug, Clone, Copy)]
pub struct Basket<'a> {
    pub lines: &'a [(SkuId, i64)],
    pub coupon: Option<CouponClaimId>,
    /// The preview's total: if the price changed since (a list price, the
    /// stacking matrix), the order is refused with `price_changed` rather than
    /// charge what the buyer did not see.
    pub shown_total: Option<i64>,
}

impl<'a> Basket<'a> {
    /// Lines alone, no coupon, no total to hold to.
    pub const fn of(lines: &'a [(SkuId, i64)]) -> Self {
        Self {
            lines,
            coupon: None,
            shown_total: None,
        }
    }
}

/// The caller's order under `key`, if it is the same request; a different one
/// under it is refused.
pub(super) async fn first_of_key(
    svc: &Services,
    actor: &Actor,
    org: OrgId,
    (key, request_hash): (&str, &str),
) -> Result<Option<OrderRecord>> {
    match svc.store.order_by_key(actor.account_id(), key).await? {
        Some(first) if first.org_id == org && first.request_hash == request_hash => Ok(Some(first)),
        Some(_) => Err(CommerceError::IdempotencyReused),
        None => Ok(None),
    }
}

/// Places an order for a basket in `org`'s shop, priced as
/// [`super::checkout::preview`] showed. The same key again returns the first order
/// (`true`: a replay) — also when both arrive at once — and refuses a different
/// request under it.
#[tracing::instrument(skip_all, fields(org = %org))]
pub async fn place(
    svc: &Services,
    actor: &Actor,
    org: OrgId,
    basket: Basket<'_>,
    key: &str,
) -> Result<(OrderRecord, bool)> {
    require_scope(actor, Scope::Write)?;
    let key = idempotency_key(key)?;
    // Checked before the key is looked up: garbage is refused as such.
    let merged = checkout::merge(basket.lines)?;
    let coupon = basket.coupon;
    // What was asked, so the key cannot be reused for something else.
    let mut h = Sha256::new();
    for (sku, q) in &merged {
        h.update(format!("{sku}:{q};"));
    }
    if let Some(c) = coupon {
        h.update(format!("coupon:{c};"));
    }
    let request_hash = hex::encode(h.finalize());
    // The key first: a replay is the first order whatever changed since (the
    // product taken off sale, its stock gone, the coupon spent).
    if let Some(first) = first_of_key(svc, actor, org, (&key, &request_hash)).await? {
        return Ok((first, true));
    }
    let wanted = checkout::from_catalog(svc, org, &merged).await?;
    let priced = checkout::priced(svc, actor, org, wanted, coupon).await?;
    if let Some(shown) = basket.shown_total
        && shown != priced.breakdown.total.fen()
    {
        return Err(CommerceError::PriceChanged {
            total: priced.breakdown.total,
        });
    }
    submit(
        svc,
        actor,
        (org, OrderId::new()),
        (key, request_hash),
        priced,
        None,
    )
    .await
}

/// Writes an order of priced `lines` (with the job that lets its stock go if
/// unpaid and its event) under the id `id` and says how it went: the one way in
/// for the shop's orders and flash sales' alike.
pub(super) async fn submit(
    svc: &Services,
    actor: &Actor,
    (org, id): (OrgId, OrderId),
    (key, request_hash): (String, String),
    priced: checkout::Priced,
    flash_sale: Option<FlashSaleId>,
) -> Result<(OrderRecord, bool)> {
    let total = priced.breakdown.total;
    let coupon = priced.coupon.as_ref().map(|(claim, _)| claim.id);
    // A session brought the account with it (a flash sale's winner is spared a
    // read); a token is read.
    let me = match actor.me() {
        Some(me) => me.clone(),
        None => svc
            .store
            .account_get(actor.account_id())
            .await?
            .map(|a| crate::access::Me::from(&a))
            .ok_or(CommerceError::NotFound)?,
    };
    let person = crate::persons::person_for(svc, org, &me)
        .await
        .map_err(|e| CommerceError::Internal(Box::new(e)))?;
    let now = svc.clock.now();
    let o = OrderRecord {
        id,
        org_id: org,
        buyer: actor.account_id(),
        person_id: Some(person.id),
        status: OrderStatus::Created,
        before_refund: None,
        refund_reason: None,
        total,
        idempotency_key: key,
        request_hash,
        created_at: now,
        expires_at: now.plus_secs(svc.commerce.reserve_minutes * 60),
        paid_at: None,
        closed_at: None,
        buyer_name: person.display_name.clone(),
        lines: priced.lines,
        flash_sale,
        coupon,
    };
    let release = NewJob {
        id: quan_domain::JobId::new(),
        kind: RELEASE.to_owned(),
        payload: json!({"order": o.id.to_string()}),
        run_at: o.expires_at,
        max_attempts: 20,
        dedupe_key: Some(format!("release:{}", o.id)),
    };
    let mut data =
        json!({"order": o.id.to_string(), "total_fen": o.total.fen(), "lines": o.lines.len()});
    if let Some(f) = flash_sale {
        data["flash_sale"] = json!(f.to_string());
    }
    if let Some((claim, c)) = &priced.coupon {
        data["coupon"] = json!(c.id.to_string());
        data["claim"] = json!(claim.id.to_string());
        data["coupon_off_fen"] = json!(priced.breakdown.coupon_off.fen());
    }
    let ev = new_event(
        svc,
        org,
        "order.created",
        format!("person:{}", person.id),
        Some(actor.account_id()),
        data,
    );
    match svc.store.order_place(&o, &release, &ev).await? {
        PlaceOutcome::Placed(o) => {
            announce(svc, &ev).await;
            Ok((o, false))
        }
        PlaceOutcome::Replayed(first) if first.request_hash == o.request_hash => Ok((first, true)),
        PlaceOutcome::Replayed(_) => Err(CommerceError::IdempotencyReused),
        PlaceOutcome::OutOfStock(_) if flash_sale.is_some() => Err(CommerceError::FlashSoldOut),
        PlaceOutcome::OutOfStock(sku) => Err(CommerceError::OutOfStock { sku }),
        PlaceOutcome::OverLimit => Err(CommerceError::FlashLimitReached),
        PlaceOutcome::CouponUsed => Err(CommerceError::CouponUnavailable {
            code: "coupon_used",
            message: "this coupon was used on another order".to_owned(),
        }),
    }
}

/// The illegal-transition error of the domain, as commerce reports it.
fn illegal(e: ParseError) -> CommerceError {
    CommerceError::OrderState {
        code: e.code,
        message: e.message,
    }
}

/// Moves `o` by `e` with a guarded write; the event names what happened (and why,
/// when the buyer said: a refund request's reason).
pub(super) async fn step(
    svc: &Services,
    o: &OrderRecord,
    e: OrderEvent,
    actor: Option<quan_domain::AccountId>,
    words: (&str, &str),
) -> Result<OrderStatus> {
    step_asking(svc, o, e, actor, words, &[]).await
}

/// [`step`], marking the lines `asked` for a refund (their positions) with it.
pub(super) async fn step_asking(
    svc: &Services,
    o: &OrderRecord,
    e: OrderEvent,
    actor: Option<quan_domain::AccountId>,
    (kind, reason): (&str, &str),
    asked: &[i64],
) -> Result<OrderStatus> {
    let to = o.status.next(e, o.before_refund).map_err(illegal)?;
    let subject = o
        .person_id
        .map_or_else(|| format!("order:{}", o.id), |p| format!("person:{p}"));
    let ev = new_event(
        svc,
        o.org_id,
        kind,
        subject,
        actor,
        json!({"order": o.id.to_string(), "from": o.status.as_str(), "to": to.as_str(), "reason": reason}),
    );
    if !svc
        .store
        .order_move(o.id, (o.status, to), (asked, reason), svc.clock.now(), &ev)
        .await?
    {
        // Someone moved it first: say where it is now.
        return Err(CommerceError::OrderState {
            code: "illegal_transition",
            message: "the order changed meanwhile; reload it".to_owned(),
        });
    }
    if let (Some(sale), OrderStatus::Created, OrderStatus::Cancelled) = (o.flash_sale, o.status, to)
    {
        // The store gave the unit back to the sale; the gate admits it again.
        let q = o.lines.iter().map(|l| l.quantity).sum();
        super::flash::gate_give_back(svc, sale, q).await;
    }
    announce(svc, &ev).await;
    Ok(to)
}

/// One of the caller's own orders.
pub async fn mine(svc: &Services, actor: &Actor, id: OrderId) -> Result<OrderRecord> {
    require_scope(actor, Scope::Read)?;
    svc.store
        .order_by_id(id)
        .await?
        .filter(|o| o.buyer == actor.account_id())
        .ok_or(CommerceError::NotFound)
}

/// The caller's orders, newest first.
pub async fn list_mine(
    svc: &Services,
    actor: &Actor,
    page: &PageRequest,
) -> Result<Page<OrderRecord>> {
    require_scope(actor, Scope::Read)?;
    Ok(svc.store.orders_of_buyer(actor.account_id(), page).await?)
}

/// The buyer cancels an order they have not paid; its stock goes back at once.
pub async fn cancel(svc: &Services, actor: &Actor, id: OrderId) -> Result<OrderRecord> {
    require_scope(actor, Scope::Write)?;
    let o = mine(svc, actor, id).await?;
    step(
        svc,
        &o,
        OrderEvent::Cancel,
        Some(actor.account_id()),
        ("order.cancelled", ""),
    )
    .await?;
    mine(svc, actor, id).await
}

/// The org's orders, newest first, for the console.
pub async fn list(
    svc: &Services,
    access: &OrgAccess,
    page: &PageRequest,
) -> Result<Page<OrderRecord>> {
    require(access, Scope::Read, MANAGERS)?;
    Ok(svc.store.orders_of_org(access.org(), page).await?)
}

pub async fn get(svc: &Services, access: &OrgAccess, id: OrderId) -> Result<OrderRecord> {
    require(access, Scope::Read, MANAGERS)?;
    svc.store
        .order_get(access.org(), id)
        .await?
        .ok_or(CommerceError::NotFound)
}

/// Staff move a paid order on: shipped or ready for pickup, then completed.
pub async fn advance(
    svc: &Services,
    access: &OrgAccess,
    id: OrderId,
    e: OrderEvent,
) -> Result<OrderRecord> {
    require(access, Scope::Write, MANAGERS)?;
    if !matches!(e, OrderEvent::Fulfil | OrderEvent::Complete) {
        return Err(CommerceError::Forbidden);
    }
    let o = get(svc, access, id).await?;
    let kind = if e == OrderEvent::Fulfil {
        "order.fulfilled"
    } else {
        "order.completed"
    };
    step(svc, &o, e, Some(access.account()), (kind, "")).await?;
    get(svc, access, id).await
}

/// The release job: an order still unpaid when its reservation ends is cancelled
/// and its stock goes back. Paid (or cancelled) meanwhile: nothing to do.
#[tracing::instrument(skip_all)]
pub async fn release(
    svc: &Services,
    payload: &serde_json::Value,
) -> std::result::Result<(), String> {
    let id = payload
        .get("order")
        .and_then(serde_json::Value::as_str)
        .and_then(|s| s.parse::<OrderId>().ok())
        .ok_or("a release job without an order")?;
    let Some(o) = svc.store.order_by_id(id).await.map_err(|e| e.to_string())? else {
        return Ok(());
    };
    if o.status != OrderStatus::Created {
        return Ok(());
    }
    if svc.clock.now() < o.expires_at {
        return Err("the reservation has not ended yet".to_owned());
    }
    match step(svc, &o, OrderEvent::Cancel, None, ("order.expired", "")).await {
        Ok(_) | Err(CommerceError::OrderState { .. }) => Ok(()),
        Err(e) => Err(e.to_string()),
    }
}
