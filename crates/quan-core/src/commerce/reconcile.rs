//! Reconciliation: the provider's own records of charges and refunds against the
//! org's payments and refunds over a window, listing where they disagree (a
//! notice that never arrived, money Quan counts that the provider does not, an
//! amount that differs), for staff to look into — on demand, and by the hourly
//! `commerce.reconcile` job, which keeps each org's last run and puts an event in
//! its log when something disagrees.

use super::{MANAGERS, Result, require};
use crate::Services;
use crate::access::OrgAccess;
use crate::events::{announce, new_event};
use quan_domain::{Currency, Money, OrgId, Scope, Timestamp};
use serde_json::json;
use std::collections::HashMap;

/// The hourly job that reconciles every org with recent payments.
pub const RECONCILE: &str = "commerce.reconcile";
/// Orgs one run looks at, at most.
const ORGS_PER_RUN: i64 = 1_000;
/// The provider's records one run reads (all orgs' together), at most.
const JOB_LIMIT: i64 = 100_000;

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
    differences_of(svc, access.org()).await
}

/// The job's last run for the org: when, and what disagreed then.
pub async fn last_run(
    svc: &Services,
    access: &OrgAccess,
) -> Result<Option<(Timestamp, Vec<Difference>)>> {
    require(access, Scope::Read, MANAGERS)?;
    let Some((at, raw)) = svc.store.reconcile_run_last(access.org()).await? else {
        return Ok(None);
    };
    let rows: Vec<serde_json::Value> = serde_json::from_str(&raw).unwrap_or_default();
    let found = rows
        .iter()
        .filter_map(|r| {
            Some(Difference {
                kind: kind_named(r.get("kind")?.as_str()?)?,
                quan_ref: r.get("quan_ref")?.as_str()?.to_owned(),
                amount: Money::from_fen(r.get("amount_fen")?.as_i64()?, Currency::Cny),
            })
        })
        .collect();
    Ok(Some((at, found)))
}

const KINDS: [&str; 5] = [
    "provider_paid_not_recorded",
    "recorded_paid_not_at_provider",
    "provider_refunded_not_recorded",
    "recorded_refund_not_at_provider",
    "amount_differs",
];

fn kind_named(raw: &str) -> Option<&'static str> {
    KINDS.into_iter().find(|k| *k == raw)
}

/// The job: the provider's records are read once, then every org with a payment
/// in the window is compared with them; each one's run is kept, and a run whose
/// differences changed since the last gets an event (an unresolved difference is
/// not announced again every hour). One org's failure is logged and the rest go on.
pub async fn run_all(svc: &Services) -> std::result::Result<usize, String> {
    let now = svc.clock.now();
    let since = now.plus_secs(-WINDOW_DAYS * 86_400);
    let theirs = svc
        .payments
        .records(since, JOB_LIMIT)
        .await
        .map_err(|e| format!("the provider's records: {e}"))?;
    let orgs = svc
        .store
        .orgs_with_payments_since(since, ORGS_PER_RUN)
        .await
        .map_err(|e| e.to_string())?;
    let mut changed = 0;
    for org in orgs {
        match reconcile_org(svc, org, &theirs).await {
            Ok(true) => changed += 1,
            Ok(false) => {}
            Err(e) => tracing::warn!(error = %e, %org, "reconciliation: this org was skipped"),
        }
    }
    Ok(changed)
}

/// One org's run: whether its differences changed (and were announced).
async fn reconcile_org(
    svc: &Services,
    org: OrgId,
    theirs: &[crate::ports::ProviderRecord],
) -> Result<bool> {
    let found = compare(svc, org, theirs).await?;
    let rows: Vec<serde_json::Value> = found
        .iter()
        .map(|d| json!({"kind": d.kind, "quan_ref": d.quan_ref, "amount_fen": d.amount.fen()}))
        .collect();
    let stored = json!(rows).to_string();
    let before = svc.store.reconcile_run_last(org).await?.map(|(_, d)| d);
    let news = !found.is_empty() && before.as_deref() != Some(stored.as_str());
    let ev = news.then(|| {
        new_event(
            svc,
            org,
            "commerce.reconciled",
            format!("org:{org}"),
            None,
            json!({"differences": found.len()}),
        )
    });
    svc.store
        .reconcile_run_save(org, (svc.clock.now(), &stored), ev.as_ref())
        .await?;
    if let Some(ev) = ev {
        announce(svc, &ev).await;
    }
    Ok(news)
}

async fn differences_of(svc: &Services, org: OrgId) -> Result<Vec<Difference>> {
    let since = svc.clock.now().plus_secs(-WINDOW_DAYS * 86_400);
    let theirs = svc
        .payments
        .records(since, LIMIT)
        .await
        .map_err(|e| super::error::CommerceError::Provider(e.to_string()))?;
    compare(svc, org, &theirs).await
}

/// The org's payments and refunds of the window against the provider's records.
async fn compare(
    svc: &Services,
    org: OrgId,
    theirs: &[crate::ports::ProviderRecord],
) -> Result<Vec<Difference>> {
    let since = svc.clock.now().plus_secs(-WINDOW_DAYS * 86_400);
    let (payments, refunds) = svc.store.money_since(org, since, LIMIT).await?;
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
