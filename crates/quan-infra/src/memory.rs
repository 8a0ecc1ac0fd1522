//! In-process implementations: what `quan serve` uses on one machine.

use crate::hub::Hub;
use async_trait::async_trait;
use dashmap::DashMap;
use quan_core::{
    Bus, BusError, BusMessage, CounterError, Counters, GateError, RateDecision, RateLimiter,
    StockGate,
};
use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};
use std::time::{Duration, Instant};
use tokio::sync::broadcast;

/// A bus that reaches subscribers in this process only.
#[derive(Default)]
pub struct MemoryBus {
    hub: Hub,
}

#[async_trait]
impl Bus for MemoryBus {
    async fn publish(&self, topic: &str, payload: &str) -> Result<(), BusError> {
        self.hub.deliver(topic, Arc::from(payload));
        Ok(())
    }
    fn subscribe(&self, topic: &str) -> broadcast::Receiver<BusMessage> {
        self.hub.subscribe(topic)
    }
    async fn ping(&self) -> Result<(), BusError> {
        Ok(())
    }
    fn gaps(&self) -> u64 {
        0
    }
    fn name(&self) -> &'static str {
        "memory"
    }
}

/// Atomic counters in a sharded map.
#[derive(Default)]
pub struct MemoryCounters {
    map: DashMap<String, AtomicI64>,
}

#[async_trait]
impl Counters for MemoryCounters {
    async fn incr(&self, key: &str, by: i64) -> Result<i64, CounterError> {
        if let Some(c) = self.map.get(key) {
            return Ok(c.fetch_add(by, Ordering::Relaxed) + by);
        }
        let c = self.map.entry(key.to_owned()).or_default();
        Ok(c.fetch_add(by, Ordering::Relaxed) + by)
    }
    async fn get(&self, key: &str) -> Result<i64, CounterError> {
        Ok(self.map.get(key).map_or(0, |c| c.load(Ordering::Relaxed)))
    }
}

/// Flash sales' gates on one node: an atomic count per sale, taken by a
/// compare-and-swap loop so it never goes below zero.
#[derive(Default)]
pub struct MemoryGate {
    map: DashMap<String, AtomicI64>,
}

#[async_trait]
impl StockGate for MemoryGate {
    async fn admit(&self, key: &str, q: i64, seed: i64) -> Result<bool, GateError> {
        let take = |c: &AtomicI64| {
            c.fetch_update(Ordering::AcqRel, Ordering::Acquire, |left| {
                (left >= q).then_some(left - q)
            })
            .is_ok()
        };
        if let Some(c) = self.map.get(key) {
            return Ok(take(&c));
        }
        let c = self
            .map
            .entry(key.to_owned())
            .or_insert_with(|| AtomicI64::new(seed));
        Ok(take(&c))
    }
    async fn give_back(&self, key: &str, q: i64) -> Result<(), GateError> {
        if let Some(c) = self.map.get(key) {
            c.fetch_add(q, Ordering::AcqRel);
        }
        Ok(())
    }
    fn shared(&self) -> bool {
        false
    }
    fn name(&self) -> &'static str {
        "memory"
    }
}

/// Fixed windows kept in memory; stale windows are swept as the map grows.
#[derive(Default)]
pub struct MemoryRateLimiter {
    windows: DashMap<String, (Instant, u32)>,
}

impl MemoryRateLimiter {
    const SWEEP_AT: usize = 100_000;

    fn sweep(&self) {
        if self.windows.len() > Self::SWEEP_AT {
            let now = Instant::now();
            // Windows are at most an hour long in practice; anything older is dead.
            self.windows
                .retain(|_, (start, _)| now.duration_since(*start) < Duration::from_secs(3600));
        }
    }

    fn decide(start: Instant, count: u32, limit: u32, window: Duration) -> RateDecision {
        if count <= limit {
            RateDecision::Allowed {
                remaining: limit - count,
            }
        } else {
            RateDecision::Limited {
                retry_after: window
                    .saturating_sub(start.elapsed())
                    .max(Duration::from_secs(1)),
            }
        }
    }
}

#[async_trait]
impl RateLimiter for MemoryRateLimiter {
    async fn hit(
        &self,
        key: &str,
        limit: u32,
        window: Duration,
    ) -> Result<RateDecision, CounterError> {
        self.sweep();
        let now = Instant::now();
        let mut e = self.windows.entry(key.to_owned()).or_insert((now, 0));
        if now.duration_since(e.0) >= window {
            *e = (now, 0);
        }
        e.1 = e.1.saturating_add(1);
        Ok(Self::decide(e.0, e.1, limit, window))
    }
    async fn peek(
        &self,
        key: &str,
        limit: u32,
        window: Duration,
    ) -> Result<RateDecision, CounterError> {
        Ok(match self.windows.get(key) {
            Some(e) if e.0.elapsed() < window && e.1 >= limit => RateDecision::Limited {
                retry_after: window
                    .saturating_sub(e.0.elapsed())
                    .max(Duration::from_secs(1)),
            },
            Some(e) if e.0.elapsed() < window => RateDecision::Allowed {
                remaining: limit - e.1,
            },
            _ => RateDecision::Allowed { remaining: limit },
        })
    }
    async fn reset(&self, key: &str, _window: Duration) -> Result<(), CounterError> {
        self.windows.remove(key);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn bus_delivers_to_current_subscribers_only() {
        let bus = MemoryBus::default();
        let _ = bus.publish("t", "lost").await;
        let mut rx = bus.subscribe("t");
        let _ = bus.publish("t", "hello").await;
        let got = rx
            .recv()
            .await
            .map(|m| m.payload.to_string())
            .unwrap_or_default();
        assert_eq!(got, "hello");
        drop(rx);
        let _ = bus.publish("t", "nobody").await;
        assert!(bus.hub_is_empty());
    }

    impl MemoryBus {
        fn hub_is_empty(&self) -> bool {
            self.hub.is_empty()
        }
    }

    #[tokio::test]
    async fn limiter_allows_then_limits_then_resets() {
        let l = MemoryRateLimiter::default();
        let w = Duration::from_secs(60);
        for _ in 0..3 {
            assert!(
                l.hit("k", 3, w)
                    .await
                    .map(|d| d.is_allowed())
                    .unwrap_or(false)
            );
        }
        assert!(
            !l.hit("k", 3, w)
                .await
                .map(|d| d.is_allowed())
                .unwrap_or(true)
        );
        assert!(
            !l.peek("k", 3, w)
                .await
                .map(|d| d.is_allowed())
                .unwrap_or(true)
        );
        let _ = l.reset("k", w).await;
        assert!(
            l.peek("k", 3, w)
                .await
                .map(|d| d.is_allowed())
                .unwrap_or(false)
        );
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn the_gate_admits_exactly_its_stock_under_concurrency()
    -> Result<(), Box<dyn std::error::Error>> {
        let gate = Arc::new(MemoryGate::default());
        let mut tasks = Vec::new();
        for _ in 0..2_000 {
            let g = Arc::clone(&gate);
            tasks.push(tokio::spawn(async move { g.admit("sale", 1, 100).await }));
        }
        let mut admitted = 0;
        for t in tasks {
            admitted += i32::from(t.await??);
        }
        assert_eq!(admitted, 100);
        assert!(!gate.admit("sale", 1, 100).await?, "the seed is read once");
        gate.give_back("sale", 2).await?;
        assert!(gate.admit("sale", 2, 0).await?);
        assert!(!gate.admit("sale", 1, 0).await?);
        // A key never seen is not made by a give-back.
        gate.give_back("other", 5).await?;
        assert!(!gate.admit("other", 1, 0).await?);
        Ok(())
    }

    #[tokio::test]
    async fn counters_add_up_under_concurrency() {
        let c = Arc::new(MemoryCounters::default());
        let tasks: Vec<_> = (0..50)
            .map(|_| {
                let c = Arc::clone(&c);
                tokio::spawn(async move {
                    for _ in 0..100 {
                        let _ = c.incr("likes", 1).await;
                    }
                })
            })
            .collect();
        for t in tasks {
            let _ = t.await;
        }
        assert_eq!(c.get("likes").await.unwrap_or(0), 5000);
    }
}
