//! `CartStore` for `SqlStore`: a buyer's lines in a shop. A new line is counted
//! against the cart's bound in the same transaction that adds it.

use crate::moderation::exec;
use crate::rows::{backend, id, int};
use crate::store::SqlStore;
use async_trait::async_trait;
use quan_core::StoreResult;
use quan_core::commerce::port::CartStore;
use quan_domain::{AccountId, OrgId, SkuId, Timestamp};

#[async_trait]
impl CartStore for SqlStore {
    async fn cart_set(
        &self,
        (account, org): (AccountId, OrgId),
        sku: SkuId,
        quantity: i64,
        (at, max_lines): (Timestamp, i64),
    ) -> StoreResult<bool> {
        let mut tx = self.begin().await?;
        if quantity == 0 {
            exec(
                &mut tx,
                sqlx::query(
                    "DELETE FROM cart_lines WHERE account_id = $1 AND org_id = $2 AND sku_id = $3",
                )
                .bind(account.to_string())
                .bind(org.to_string())
                .bind(sku.to_string()),
            )
            .await?;
            tx.commit().await.map_err(backend)?;
            return Ok(true);
        }
        let updated = exec(
            &mut tx,
            sqlx::query(
                "UPDATE cart_lines SET quantity = $4 WHERE account_id = $1 AND org_id = $2 AND sku_id = $3",
            )
            .bind(account.to_string())
            .bind(org.to_string())
            .bind(sku.to_string())
            .bind(quantity),
        )
        .await?;
        if updated == 0 {
            let n = sqlx::query(
                "SELECT COUNT(*) AS n FROM cart_lines WHERE account_id = $1 AND org_id = $2",
            )
            .bind(account.to_string())
            .bind(org.to_string())
            .fetch_one(&mut *tx)
            .await
            .map_err(backend)?;
            if int(&n, "n")? >= max_lines {
                return Ok(false);
            }
            exec(
                &mut tx,
                sqlx::query(
                    "INSERT INTO cart_lines (account_id, org_id, sku_id, quantity, added_at) VALUES ($1, $2, $3, $4, $5) \
                     ON CONFLICT (account_id, org_id, sku_id) DO UPDATE SET quantity = $4",
                )
                .bind(account.to_string())
                .bind(org.to_string())
                .bind(sku.to_string())
                .bind(quantity)
                .bind(at.millis()),
            )
            .await?;
        }
        tx.commit().await.map_err(backend)?;
        Ok(true)
    }

    async fn cart_of(&self, account: AccountId, org: OrgId) -> StoreResult<Vec<(SkuId, i64)>> {
        let rows = self
            .fetch_all(
                sqlx::query(
                    "SELECT sku_id, quantity FROM cart_lines WHERE account_id = $1 AND org_id = $2 \
                     ORDER BY added_at, sku_id",
                )
                .bind(account.to_string())
                .bind(org.to_string()),
            )
            .await?;
        rows.iter()
            .map(|r| Ok((id(r, "sku_id")?, int(r, "quantity")?)))
            .collect()
    }

    async fn cart_remove(&self, account: AccountId, org: OrgId, skus: &[SkuId]) -> StoreResult<()> {
        if skus.is_empty() {
            return Ok(());
        }
        let sql = format!(
            "DELETE FROM cart_lines WHERE account_id = $1 AND org_id = $2 AND sku_id IN {}",
            crate::queries::placeholders(3, skus.len())
        );
        let mut q = sqlx::query(&sql)
            .bind(account.to_string())
            .bind(org.to_string());
        for s in skus {
            q = q.bind(s.to_string());
        }
        let mut tx = self.begin().await?;
        exec(&mut tx, q).await?;
        tx.commit().await.map_err(backend)
    }
}
