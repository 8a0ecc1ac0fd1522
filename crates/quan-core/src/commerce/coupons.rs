//! Coupons: staff set one up (its terms checked by [`CouponTerms::new`]) and end
//! it; buyers claim them into their wallet under an idempotency key (the store
//! makes the supply and the per-person limit exact under any concurrency); the
//! org's stacking matrix says how a coupon combines with a sale price. Spending a
//! claim is part of placing an order ([`super::checkout`]).

use super::error::CommerceError;
use super::port::{ClaimOutcome, ClaimRecord, CouponRecord};
use super::{MANAGERS, Result, require};
use crate::Services;
use crate::access::{Actor, OrgAccess, require_scope};
use crate::events::{announce, new_event};
use crate::page::{Page, PageRequest};
use quan_domain::{
    CouponClaimId, CouponId, CouponKind, CouponScope, CouponTerms, Layer, OrgId, Scope, Stacking,
    Timestamp, Validity, idempotency_key,
};
use serde_json::json;

/// Coupons the shop shows, at most.
const OFFERED_MAX: i64 = 50;

/// What staff ask for when they set a coupon up.
#[derive(Debug, Clone)]
pub struct CouponInput {
    pub name: String,
    pub kind: CouponKind,
    pub scope: CouponScope,
    pub validity: Validity,
    pub supply: i64,
    pub per_person: i64,
}

/// Sets a coupon up. Products named in its scope must be the org's.
#[tracing::instrument(skip_all, fields(org = %access.org()))]
pub async fn create(
    svc: &Services,
    access: &OrgAccess,
    input: CouponInput,
) -> Result<CouponRecord> {
    require(access, Scope::Write, MANAGERS)?;
    let org = access.org();
    let now = svc.clock.now();
    let terms = CouponTerms::new(
        &input.name,
        (input.kind, input.scope, input.validity),
        (input.supply, input.per_person),
        now,
    )?;
    if let CouponScope::Products(ps) = &terms.scope {
        for p in ps {
            if svc.store.product_get(org, *p).await?.is_none() {
                return Err(quan_domain::ParseError::new(
                    "products",
                    "unknown_product",
                    "a product named is not in this shop",
                )
                .into());
            }
        }
    }
    let c = CouponRecord {
        id: CouponId::new(),
        org_id: org,
        terms,
        claimed: 0,
        used: Some(0),
        ended: false,
        created_at: now,
    };
    let ev = new_event(
        svc,
        org,
        "coupon.created",
        format!("coupon:{}", c.id),
        Some(access.account()),
        json!({"coupon": c.id.to_string(), "kind": c.terms.kind.as_str(), "supply": c.terms.supply}),
    );
    svc.store.coupon_insert(&c, &ev).await?;
    announce(svc, &ev).await;
    Ok(c)
}

/// The org's coupons, newest first, for the console.
pub async fn list(
    svc: &Services,
    access: &OrgAccess,
    page: &PageRequest,
) -> Result<Page<CouponRecord>> {
    require(access, Scope::Read, MANAGERS)?;
    Ok(svc.store.coupons_of_org(access.org(), page).await?)
}

/// Staff stop claims of a coupon; those claimed stay good.
pub async fn end(svc: &Services, access: &OrgAccess, id: CouponId) -> Result<CouponRecord> {
    require(access, Scope::Write, MANAGERS)?;
    let org = access.org();
    let ev = new_event(
        svc,
        org,
        "coupon.ended",
        format!("coupon:{id}"),
        Some(access.account()),
        json!({"coupon": id.to_string()}),
    );
    if svc.store.coupon_get(org, id).await?.is_none() {
        return Err(CommerceError::NotFound);
    }
    if svc.store.coupon_end(org, id, &ev).await? {
        announce(svc, &ev).await;
    }
    svc.store
        .coupon_get(org, id)
        .await?
        .ok_or(CommerceError::NotFound)
}

/// The shop's coupons a buyer may claim (sold-out ones too, marked by `left`).
pub async fn offered(svc: &Services, actor: &Actor, org: OrgId) -> Result<Vec<CouponRecord>> {
    require_scope(actor, Scope::Read)?;
    Ok(svc
        .store
        .coupons_offered(org, svc.clock.now(), OFFERED_MAX)
        .await?)
}

/// A buyer claims one of a coupon into their wallet. The same key again returns
/// the first claim (`true`: a replay), also when both arrive at once.
#[tracing::instrument(skip_all, fields(org = %org, coupon = %id))]
pub async fn claim(
    svc: &Services,
    actor: &Actor,
    org: OrgId,
    id: CouponId,
    key: &str,
) -> Result<(ClaimRecord, bool)> {
    require_scope(actor, Scope::Write)?;
    let key = idempotency_key(key)?;
    let c = svc
        .store
        .coupon_get(org, id)
        .await?
        .ok_or(CommerceError::NotFound)?;
    let now = svc.clock.now();
    let (valid_from, valid_until) = c.terms.validity.window(now);
    let claim = ClaimRecord {
        id: CouponClaimId::new(),
        coupon_id: id,
        org_id: org,
        account: actor.account_id(),
        idempotency_key: key,
        claimed_at: now,
        valid_from,
        valid_until,
        order_id: None,
    };
    let ev = new_event(
        svc,
        org,
        "coupon.claimed",
        format!("account:{}", actor.account_id()),
        Some(actor.account_id()),
        json!({"coupon": id.to_string(), "claim": claim.id.to_string()}),
    );
    match svc.store.coupon_claim(&claim, now, &ev).await? {
        ClaimOutcome::Claimed(c) => {
            announce(svc, &ev).await;
            Ok((c, false))
        }
        ClaimOutcome::Replayed(first) if first.coupon_id == id => Ok((first, true)),
        ClaimOutcome::Replayed(_) => Err(CommerceError::IdempotencyReused),
        ClaimOutcome::OverLimit => Err(CommerceError::CouponLimitReached),
        ClaimOutcome::SoldOut if c.ended || ended_by_date(&c, now) => {
            Err(CommerceError::CouponUnavailable {
                code: "coupon_ended",
                message: "this coupon can no longer be claimed".to_owned(),
            })
        }
        ClaimOutcome::SoldOut => Err(CommerceError::CouponSoldOut),
    }
}

fn ended_by_date(c: &CouponRecord, now: Timestamp) -> bool {
    matches!(c.terms.validity, Validity::Dates { until, .. } if until <= now)
}

/// The caller's wallet (of one shop, when given), newest first.
pub async fn wallet(
    svc: &Services,
    actor: &Actor,
    org: Option<OrgId>,
    page: &PageRequest,
) -> Result<Page<(ClaimRecord, CouponRecord)>> {
    require_scope(actor, Scope::Read)?;
    Ok(svc.store.wallet(actor.account_id(), org, page).await?)
}

/// One claim of the caller's wallet, with its coupon.
pub async fn claim_of(
    svc: &Services,
    actor: &Actor,
    id: CouponClaimId,
) -> Result<(ClaimRecord, CouponRecord)> {
    require_scope(actor, Scope::Read)?;
    svc.store
        .claim_get(actor.account_id(), id)
        .await?
        .ok_or(CommerceError::NotFound)
}

/// Whether a claim can be spent now, and if not, why (a stable code).
pub fn usable(claim: &ClaimRecord, now: Timestamp) -> std::result::Result<(), &'static str> {
    if claim.order_id.is_some() {
        Err("coupon_used")
    } else if now < claim.valid_from {
        Err("coupon_not_yet_valid")
    } else if now >= claim.valid_until {
        Err("coupon_expired")
    } else {
        Ok(())
    }
}

/// The org's stacking matrix (the default until staff set one).
pub async fn stacking_of(svc: &Services, org: OrgId) -> Result<Stacking> {
    match svc.store.stacking_get(org).await? {
        Some((order, combine)) => Ok(Stacking::from_text(&order, &combine)?),
        None => Ok(Stacking::default()),
    }
}

/// The matrix for the console.
pub async fn stacking(svc: &Services, access: &OrgAccess) -> Result<Stacking> {
    require(access, Scope::Read, MANAGERS)?;
    stacking_of(svc, access.org()).await
}

/// Staff set the matrix: the layers' order and the pairs that combine.
pub async fn set_stacking(
    svc: &Services,
    access: &OrgAccess,
    order: Vec<Layer>,
    combine: &[(Layer, Layer)],
) -> Result<Stacking> {
    require(access, Scope::Write, MANAGERS)?;
    let s = Stacking::new(order, combine)?;
    let (order, pairs) = s.to_text();
    let ev = new_event(
        svc,
        access.org(),
        "commerce.stacking_set",
        format!("org:{}", access.org()),
        Some(access.account()),
        json!({"order": order, "combine": pairs}),
    );
    svc.store
        .stacking_set(access.org(), (&order, &pairs), &ev)
        .await?;
    announce(svc, &ev).await;
    Ok(s)
}
