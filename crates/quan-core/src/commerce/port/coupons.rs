//! The coupons' store port: coupons an org offers, the claims in buyers' wallets
//! (taken from the supply and the person's allowance by guarded writes, keyed so a
//! retried claim returns the first), and each org's stacking matrix. Using a claim
//! on an order is part of placing the order ([`super::CommerceStore`]).

use crate::events::port::EventRecord;
use crate::page::{Page, PageRequest};
use crate::ports::StoreResult;
use async_trait::async_trait;
use quan_domain::{AccountId, CouponClaimId, CouponId, CouponTerms, OrderId, OrgId, Timestamp};

/// A coupon with how many were claimed and used.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CouponRecord {
    pub id: CouponId,
    pub org_id: OrgId,
    pub terms: CouponTerms,
    /// Taken from the supply so far (never above it).
    pub claimed: i64,
    /// Claims spent on an order that was not cancelled: counted for the console's
    /// list only (None where it was not counted).
    pub used: Option<i64>,
    /// Staff stopped it: no more claims (claimed ones stay good).
    pub ended: bool,
    pub created_at: Timestamp,
}

impl CouponRecord {
    pub fn left(&self) -> i64 {
        (self.terms.supply - self.claimed).max(0)
    }
}

/// One coupon in one person's wallet.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClaimRecord {
    pub id: CouponClaimId,
    pub coupon_id: CouponId,
    pub org_id: OrgId,
    pub account: AccountId,
    pub idempotency_key: String,
    pub claimed_at: Timestamp,
    /// Good in `[valid_from, valid_until)`.
    pub valid_from: Timestamp,
    pub valid_until: Timestamp,
    /// The order it was spent on; given back when that order is cancelled unpaid.
    pub order_id: Option<OrderId>,
}

/// What claiming came to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ClaimOutcome {
    Claimed(ClaimRecord),
    /// The same key was used before: the first claim.
    Replayed(ClaimRecord),
    /// None left (or the coupon ended or expired meanwhile); nothing written.
    SoldOut,
    /// The person holds the per-person limit already; nothing written.
    OverLimit,
}

#[async_trait]
pub trait CouponStore: Send + Sync {
    async fn coupon_insert(&self, c: &CouponRecord, event: &EventRecord) -> StoreResult<()>;
    async fn coupon_get(&self, org: OrgId, id: CouponId) -> StoreResult<Option<CouponRecord>>;
    /// The org's coupons, newest first.
    async fn coupons_of_org(
        &self,
        org: OrgId,
        page: &PageRequest,
    ) -> StoreResult<Page<CouponRecord>>;
    /// The org's coupons a buyer may still claim at `now` (not ended, not past
    /// their dates), newest first, at most `limit`; sold-out ones included, so
    /// the shop can say so.
    async fn coupons_offered(
        &self,
        org: OrgId,
        now: Timestamp,
        limit: i64,
    ) -> StoreResult<Vec<CouponRecord>>;
    /// Stops claims; false when it was ended already.
    async fn coupon_end(&self, org: OrgId, id: CouponId, event: &EventRecord) -> StoreResult<bool>;
    /// Claims one: the key first (a repeat returns the first claim), then one
    /// from the supply by a guarded increment (not ended, not past `now`'s
    /// dates), then one of the person's allowance by a guarded upsert, the claim
    /// and the event, in one transaction.
    async fn coupon_claim(
        &self,
        claim: &ClaimRecord,
        now: Timestamp,
        event: &EventRecord,
    ) -> StoreResult<ClaimOutcome>;
    /// A claim with its coupon, if it is the account's.
    async fn claim_get(
        &self,
        account: AccountId,
        id: CouponClaimId,
    ) -> StoreResult<Option<(ClaimRecord, CouponRecord)>>;
    /// The account's claims of `org` that can be spent at `now` (unspent, within
    /// their dates), soonest to expire first, at most `limit`.
    async fn wallet_usable(
        &self,
        account: AccountId,
        org: OrgId,
        now: Timestamp,
        limit: i64,
    ) -> StoreResult<Vec<(ClaimRecord, CouponRecord)>>;
    /// The account's claims (of one org, when given), newest first.
    async fn wallet(
        &self,
        account: AccountId,
        org: Option<OrgId>,
        page: &PageRequest,
    ) -> StoreResult<Page<(ClaimRecord, CouponRecord)>>;
    /// The org's stacking matrix as stored (`order`, `combine`), if it set one.
    async fn stacking_get(&self, org: OrgId) -> StoreResult<Option<(String, String)>>;
    async fn stacking_set(
        &self,
        org: OrgId,
        (order, combine): (&str, &str),
        event: &EventRecord,
    ) -> StoreResult<()>;
}
