//! The cart's store port: one row per buyer, shop and SKU. A cart reserves
//! nothing; the order does.

use crate::ports::StoreResult;
use async_trait::async_trait;
use quan_domain::{AccountId, OrgId, SkuId, Timestamp};

/// What to do with a cart line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CartPut {
    /// Set its quantity (0 takes it out).
    Set(i64),
    /// Add to what it has, never past `max` (one guarded write: two adds at
    /// once both count).
    Add { quantity: i64, max: i64 },
}

/// How a cart write went.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CartPutOutcome {
    Done,
    /// A new line would pass the cart's bound; nothing written.
    Full,
    /// Adding would pass the line's `max`; nothing written.
    OverMax,
}

#[async_trait]
pub trait CartStore: Send + Sync {
    /// Writes a line. A new line is counted against `max_lines` with the buyer's
    /// cart locked, so two adds at once cannot pass the bound.
    async fn cart_put(
        &self,
        (account, org): (AccountId, OrgId),
        sku: SkuId,
        put: CartPut,
        (at, max_lines): (Timestamp, i64),
    ) -> StoreResult<CartPutOutcome>;
    /// The buyer's lines in the shop, in the order they were added.
    async fn cart_of(&self, account: AccountId, org: OrgId) -> StoreResult<Vec<(SkuId, i64)>>;
    /// Takes ordered quantities off their lines (a line left at 0 goes), in one
    /// transaction: what the buyer added meanwhile stays.
    async fn cart_take_off(
        &self,
        account: AccountId,
        org: OrgId,
        lines: &[(SkuId, i64)],
    ) -> StoreResult<()>;
}
