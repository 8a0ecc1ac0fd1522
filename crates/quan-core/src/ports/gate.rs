//! The stock gate of a flash sale: a counter of units still to admit, in front of
//! the database, so a crowd of buyers racing for a few units is turned away in
//! memory (one node: an atomic) or by one Redis Lua call (a cluster: the nodes share
//! one count) instead of each costing a write. The gate is a filter, not the truth:
//! an admitted buyer's order is still a guarded decrement in the store, so a gate
//! that admits too many (reseeded after a restart) cannot oversell.

use async_trait::async_trait;

#[derive(Debug, thiserror::Error)]
pub enum GateError {
    #[error("stock gate unavailable: {0}")]
    Unavailable(String),
}

#[async_trait]
pub trait StockGate: Send + Sync + 'static {
    /// Admits `q` units of `key` when at least `q` are left, taking them. A key the
    /// gate has not seen starts at `seed` (the units the store had left).
    async fn admit(&self, key: &str, q: i64, seed: i64) -> Result<bool, GateError>;
    /// Gives `q` units back (an admitted buyer whose order did not go through, an
    /// order that lapsed unpaid). A key the gate has not seen is left alone: its
    /// seed will come from the store, which has them already.
    async fn give_back(&self, key: &str, q: i64) -> Result<(), GateError>;
    /// Whether other nodes admit buyers through the same count (a cluster's
    /// Redis): then what one node saw of a sale is not all that happened to it.
    fn shared(&self) -> bool;
    /// Which implementation runs ("memory", "redis"), for readiness and tests.
    fn name(&self) -> &'static str;
}
