//! `ReconcileStore` for `SqlStore`: orgs with recent payments and each org's last
//! reconciliation run.

use crate::moderation::exec;
use crate::rows::{backend, id, text, ts};
use crate::store::SqlStore;
use async_trait::async_trait;
use quan_core::commerce::port::ReconcileStore;
use quan_core::{EventRecord, StoreResult};
use quan_domain::{OrgId, Timestamp};

#[async_trait]
impl ReconcileStore for SqlStore {
    async fn orgs_with_payments_since(
        &self,
        since: Timestamp,
        limit: i64,
    ) -> StoreResult<Vec<OrgId>> {
        let rows = self
            .fetch_all(
                sqlx::query(
                    "SELECT DISTINCT org_id FROM payments WHERE created_at >= $1 ORDER BY org_id LIMIT $2",
                )
                .bind(since.millis())
                .bind(limit),
            )
            .await?;
        rows.iter().map(|r| id(r, "org_id")).collect()
    }

    async fn reconcile_run_save(
        &self,
        org: OrgId,
        (at, differences): (Timestamp, &str),
        event: Option<&EventRecord>,
    ) -> StoreResult<()> {
        let mut tx = self.begin().await?;
        exec(
            &mut tx,
            sqlx::query(
                "INSERT INTO reconcile_runs (org_id, ran_at, differences) VALUES ($1, $2, $3) \
                 ON CONFLICT (org_id) DO UPDATE SET ran_at = $2, differences = $3",
            )
            .bind(org.to_string())
            .bind(at.millis())
            .bind(differences.to_owned()),
        )
        .await?;
        if let Some(e) = event {
            Self::insert_event(&mut tx, e).await?;
        }
        tx.commit().await.map_err(backend)
    }

    async fn reconcile_run_last(&self, org: OrgId) -> StoreResult<Option<(Timestamp, String)>> {
        self.fetch_opt(
            sqlx::query("SELECT ran_at, differences FROM reconcile_runs WHERE org_id = $1")
                .bind(org.to_string()),
        )
        .await?
        .map(|r| Ok((ts(&r, "ran_at")?, text(&r, "differences")?)))
        .transpose()
    }
}
