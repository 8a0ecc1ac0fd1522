//! The cart's store port: one row per buyer, shop and SKU. A cart reserves
//! nothing; the order does.

use crate::ports::StoreResult;
use async_trait::async_trait;
use quan_domain::{AccountId, OrgId, SkuId, Timestamp};

#[async_trait]
pub trait CartStore: Send + Sync {
    /// Sets a line's quantity (0 removes it). False when adding a new line would
    /// pass `max_lines` (nothing written).
    async fn cart_set(
        &self,
        (account, org): (AccountId, OrgId),
        sku: SkuId,
        quantity: i64,
        (at, max_lines): (Timestamp, i64),
    ) -> StoreResult<bool>;
    /// The buyer's lines in the shop, in the order they were added.
    async fn cart_of(&self, account: AccountId, org: OrgId) -> StoreResult<Vec<(SkuId, i64)>>;
    /// Removes these SKUs' lines (ordered).
    async fn cart_remove(&self, account: AccountId, org: OrgId, skus: &[SkuId]) -> StoreResult<()>;
}
