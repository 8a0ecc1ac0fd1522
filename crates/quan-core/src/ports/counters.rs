//! Counters and rate limits: hot, approximate-by-design numbers that must not cost a
//! database write each (likes, views, login attempts). In-process they are atomics; in
//! cluster mode Redis, so every node sees the same count.

use async_trait::async_trait;
use std::time::Duration;

#[derive(Debug, thiserror::Error)]
pub enum CounterError {
    #[error("counter backend unavailable: {0}")]
    Unavailable(String),
}

#[async_trait]
pub trait Counters: Send + Sync + 'static {
    /// Adds `by` and returns the new value.
    async fn incr(&self, key: &str, by: i64) -> Result<i64, CounterError>;
    async fn get(&self, key: &str) -> Result<i64, CounterError>;
}

/// The outcome of a rate-limit check.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RateDecision {
    Allowed { remaining: u32 },
    Limited { retry_after: Duration },
}

impl RateDecision {
    pub fn is_allowed(&self) -> bool {
        matches!(self, RateDecision::Allowed { .. })
    }
}

/// Fixed-window rate limiting: at most `limit` hits per `window` for one key.
#[async_trait]
pub trait RateLimiter: Send + Sync + 'static {
    /// Records a hit and says whether it is within the limit.
    async fn hit(
        &self,
        key: &str,
        limit: u32,
        window: Duration,
    ) -> Result<RateDecision, CounterError>;
    /// Says whether a key is already over its limit, without recording a hit (used to
    /// slow login attempts after failures, which are recorded separately).
    async fn peek(
        &self,
        key: &str,
        limit: u32,
        window: Duration,
    ) -> Result<RateDecision, CounterError>;
    /// Forgets a key (a successful login clears its failures).
    async fn reset(&self, key: &str, window: Duration) -> Result<(), CounterError>;
}
