//! The reconciliation job's store port: which orgs had money move lately, and
//! each org's last run.

use crate::events::port::EventRecord;
use crate::ports::StoreResult;
use async_trait::async_trait;
use quan_domain::{OrgId, Timestamp};

#[async_trait]
pub trait ReconcileStore: Send + Sync {
    /// Orgs with a payment made since `since`, at most `limit`.
    async fn orgs_with_payments_since(
        &self,
        since: Timestamp,
        limit: i64,
    ) -> StoreResult<Vec<OrgId>>;
    /// Keeps an org's run (replacing the one before) and, when it found
    /// differences, its event, in one transaction.
    async fn reconcile_run_save(
        &self,
        org: OrgId,
        (at, differences): (Timestamp, &str),
        event: Option<&EventRecord>,
    ) -> StoreResult<()>;
    /// The org's last run: when, and its differences as stored (JSON).
    async fn reconcile_run_last(&self, org: OrgId) -> StoreResult<Option<(Timestamp, String)>>;
}
