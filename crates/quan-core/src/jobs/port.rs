//! The durable job queue's store port.

use crate::ports::StoreResult;
use async_trait::async_trait;
use quan_domain::{JobId, Timestamp};

/// A job as the store hands it to a worker.
#[derive(Debug, Clone, PartialEq)]
pub struct JobRecord {
    pub id: JobId,
    pub kind: String,
    pub payload: serde_json::Value,
    pub attempts: i64,
    pub max_attempts: i64,
    pub run_at: Timestamp,
}

#[derive(Debug, Clone, PartialEq)]
pub struct NewJob {
    pub id: JobId,
    pub kind: String,
    pub payload: serde_json::Value,
    pub run_at: Timestamp,
    pub max_attempts: i64,
    /// At most one pending job per dedupe key (e.g. one hourly purge per hour).
    pub dedupe_key: Option<String>,
}

/// What the store does for durable jobs.
#[async_trait]
pub trait JobStore: Send + Sync {
    /// Enqueues a job; false when a pending job with the same dedupe key exists.
    async fn job_enqueue(&self, job: &NewJob) -> StoreResult<bool>;
    /// Claims the next due job for `lease_ms`, or None. Two workers never hold the
    /// same job (SKIP LOCKED on PostgreSQL; the single writer on SQLite).
    async fn job_claim(&self, now: Timestamp, lease_ms: i64) -> StoreResult<Option<JobRecord>>;
    async fn job_complete(&self, id: JobId, now: Timestamp) -> StoreResult<()>;
    /// Records a failure; retries at `retry_at` unless attempts are used up.
    async fn job_fail(&self, id: JobId, error: &str, retry_at: Timestamp) -> StoreResult<()>;
}
