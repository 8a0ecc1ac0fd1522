//! The discovery capability's store port: quality inputs and scores, the staff review
//! gate and its public log, the discover list.

use crate::circles::port::CircleRecord;
use crate::ports::StoreResult;
use async_trait::async_trait;
use quan_domain::{AccountId, BoostStatus, CircleId, ModLogId, OrgId, Timestamp};

/// A line of the public boost log.
#[derive(Debug, Clone, PartialEq)]
pub struct BoostLogRecord {
    pub id: ModLogId,
    pub org_id: OrgId,
    pub circle_id: CircleId,
    pub circle_name: String,
    /// requested | approved | rejected | withdrawn
    pub action: String,
    pub account_id: Option<AccountId>,
    pub reason: String,
    pub at: Timestamp,
}

/// What a circle's quality is computed from.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct QualityInputs {
    pub circle: CircleId,
    pub rank_sum: f64,
    pub month: i64,
    pub week: i64,
    pub prev_week: i64,
}

/// What the store does for quality scores, the review gate and the discover list.
#[async_trait]
pub trait DiscoveryStore: Send + Sync {
    /// Public circles' activity figures, for the quality job.
    async fn quality_inputs(&self, now: Timestamp, limit: i64) -> StoreResult<Vec<QualityInputs>>;
    async fn quality_set(&self, scores: &[(CircleId, f64)]) -> StoreResult<u64>;
    /// Moves a circle's boost status from one of `from` to `to`, with its log line.
    async fn boost_set(
        &self,
        circle: CircleId,
        from: &[BoostStatus],
        to: BoostStatus,
        log: &BoostLogRecord,
    ) -> StoreResult<bool>;
    async fn boost_log(&self, limit: i64) -> StoreResult<Vec<BoostLogRecord>>;
    /// Public circles, approved boosts first, then by quality.
    /// Public circles, boosted first, then by quality; with `tag`, only circles
    /// carrying that (normalised) tag.
    async fn discover(&self, tag: Option<&str>, limit: i64) -> StoreResult<Vec<CircleRecord>>;
}
