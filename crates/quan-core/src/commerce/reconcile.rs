//! Reconciliation: the provider's own records of charges and refunds against the
//! org's payments and refunds over a window, listing where they disagree (a
//! notice that never arrived, money Quan counts that the provider does not, an
//! amount that differs), for staff to look into.

use super::{MANAGERS, Result, require};
use crate::Services;
use crate::access::OrgAccess;
use quan_domain::{Money, Scope};
use std::collections::HashMap;

/// Days a reconciliation looks back.
pub const WINDOW_DAYS: i64 = 30;
/// Records of each kind it compares, at most.
const LIMIT: i64 = 5_000;

/// One disagreement between the provider and Quan.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Difference {
    /// provider_paid_not_recorded | recorded_paid_not_at_provider |
    /// provider_refunded_not_recorded | recorded_refund_not_at_provider | amount_differs
    pub kind: &'static str,
    /// Quan's payment or refund id.
    pub quan_ref: String,
    pub amount: Money,
}

/// The org's differences with the provider over the last [`WINDOW_DAYS`].
pub async fn differences(svc: &Services, access: &OrgAccess) -> Result<Vec<Difference>> {
    require(access, Scope::Read, MANAGERS)?;
    let since = svc.clock.now().plus_secs(-WINDOW_DAYS * 86_400);
    let (payments, refunds) = svc.store.money_since(access.org(), since, LIMIT).await?;
    let theirs = svc
        .payments
        .records(since, LIMIT)
        .await
        .map_err(|e| super::error::CommerceError::Provider(e.to_string()))?;
    let by_ref: HashMap<(&str, bool), &crate::ports::ProviderRecord> = theirs
        .iter()
        .map(|r| ((r.quan_ref.as_str(), r.refund), r))
        .collect();
    let mut out = Vec::new();
    let mut diff = |kind, quan_ref: &str, amount| {
        out.push(Difference {
            kind,
            quan_ref: quan_ref.to_owned(),
            amount,
        });
    };
    for p in &payments {
        let key = p.id.to_string();
        let ours = p.status == super::port::PaymentStatus::Succeeded;
        match by_ref.get(&(key.as_str(), false)) {
            Some(r) if r.done && !ours => diff("provider_paid_not_recorded", &key, r.amount),
            Some(r) if r.done && r.amount != p.amount => diff("amount_differs", &key, r.amount),
            Some(r) if !r.done && ours => diff("recorded_paid_not_at_provider", &key, p.amount),
            None if ours => diff("recorded_paid_not_at_provider", &key, p.amount),
            _ => {}
        }
    }
    for f in &refunds {
        let key = f.id.to_string();
        let ours = f.status == "succeeded";
        match by_ref.get(&(key.as_str(), true)) {
            Some(r) if !ours => diff("provider_refunded_not_recorded", &key, r.amount),
            Some(r) if r.amount != f.amount => diff("amount_differs", &key, r.amount),
            None if ours => diff("recorded_refund_not_at_provider", &key, f.amount),
            _ => {}
        }
    }
    Ok(out)
}
