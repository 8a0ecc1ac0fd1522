//! `CartStore` for `SqlStore`: a buyer's lines in a shop. Writes that may add a
//! line lock the buyer's account row first (PostgreSQL; SQLite's one writer does
//! the same), so the count against the cart's bound is never stale.

use crate::moderation::exec;
use crate::rows::{backend, id, int};
use crate::store::{SqlStore, Tx};
use async_trait::async_trait;
use quan_core::StoreResult;
use quan_core::commerce::port::{CartPut, CartPutOutcome, CartStore};
use quan_domain::{AccountId, OrgId, SkuId, Timestamp};

/// The buyer's carts, one writer at a time.
async fn lock_buyer(tx: &mut Tx, account: AccountId) -> StoreResult<()> {
    exec(
        tx,
        sqlx::query("UPDATE accounts SET display_name = display_name WHERE id = $1")
            .bind(account.to_string()),
    )
    .await?;
    Ok(())
}

#[async_trait]
impl CartStore for SqlStore {
    async fn cart_put(
        &self,
        (account, org): (AccountId, OrgId),
        sku: SkuId,
        put: CartPut,
        (at, max_lines): (Timestamp, i64),
    ) -> StoreResult<CartPutOutcome> {
        let mut tx = self.begin().await?;
        let (a, o, k) = (account.to_string(), org.to_string(), sku.to_string());
        let (quantity, max) = match put {
            CartPut::Set(0) => {
                exec(
                    &mut tx,
                    sqlx::query("DELETE FROM cart_lines WHERE account_id = $1 AND org_id = $2 AND sku_id = $3")
                        .bind(a)
                        .bind(o)
                        .bind(k),
                )
                .await?;
                tx.commit().await.map_err(backend)?;
                return Ok(CartPutOutcome::Done);
            }
            CartPut::Set(q) => (q, None),
            CartPut::Add { quantity, max } => (quantity, Some(max)),
        };
        lock_buyer(&mut tx, account).await?;
        let has = sqlx::query(
            "SELECT COUNT(*) AS n, SUM(CASE WHEN sku_id = $3 THEN 1 ELSE 0 END) AS here \
             FROM cart_lines WHERE account_id = $1 AND org_id = $2",
        )
        .bind(a.clone())
        .bind(o.clone())
        .bind(k.clone())
        .fetch_one(&mut *tx)
        .await
        .map_err(backend)?;
        let here = crate::rows::opt_int(&has, "here")?.unwrap_or(0) > 0;
        if !here && int(&has, "n")? >= max_lines {
            return Ok(CartPutOutcome::Full);
        }
        let written = match max {
            None => exec(
                &mut tx,
                sqlx::query(
                    "INSERT INTO cart_lines (account_id, org_id, sku_id, quantity, added_at) VALUES ($1, $2, $3, $4, $5) \
                     ON CONFLICT (account_id, org_id, sku_id) DO UPDATE SET quantity = $4",
                )
                .bind(a)
                .bind(o)
                .bind(k)
                .bind(quantity)
                .bind(at.millis()),
            )
            .await?,
            Some(max) => exec(
                &mut tx,
                sqlx::query(
                    "INSERT INTO cart_lines (account_id, org_id, sku_id, quantity, added_at) VALUES ($1, $2, $3, $4, $5) \
                     ON CONFLICT (account_id, org_id, sku_id) DO UPDATE SET quantity = cart_lines.quantity + $4 \
                     WHERE cart_lines.quantity + $4 <= $6",
                )
                .bind(a)
                .bind(o)
                .bind(k)
                .bind(quantity)
                .bind(at.millis())
                .bind(max),
            )
            .await?,
        };
        if written == 0 {
            return Ok(CartPutOutcome::OverMax);
        }
        tx.commit().await.map_err(backend)?;
        Ok(CartPutOutcome::Done)
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

    async fn cart_take_off(
        &self,
        account: AccountId,
        org: OrgId,
        lines: &[(SkuId, i64)],
    ) -> StoreResult<()> {
        let mut tx = self.begin().await?;
        for (sku, q) in lines {
            let (a, o, k) = (account.to_string(), org.to_string(), sku.to_string());
            exec(
                &mut tx,
                sqlx::query(
                    "DELETE FROM cart_lines WHERE account_id = $1 AND org_id = $2 AND sku_id = $3 AND quantity <= $4",
                )
                .bind(a.clone())
                .bind(o.clone())
                .bind(k.clone())
                .bind(*q),
            )
            .await?;
            exec(
                &mut tx,
                sqlx::query(
                    "UPDATE cart_lines SET quantity = quantity - $4 WHERE account_id = $1 AND org_id = $2 AND sku_id = $3",
                )
                .bind(a)
                .bind(o)
                .bind(k)
                .bind(*q),
            )
            .await?;
        }
        tx.commit().await.map_err(backend)
    }
}
