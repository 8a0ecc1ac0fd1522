//! Redis implementations for cluster mode: the bus (pub/sub), counters (INCRBY),
//! the rate limiter (a Lua script, so INCR and its expiry are one atomic step) and
//! flash sales' stock gates (a Lua script: seed, compare and take in one step, so
//! two nodes never admit more than the stock between them).
//!
//! Each node holds one pattern subscription (`quan:*`) and relays what arrives into
//! its local hub, so a message published on node A reaches WebSockets on node B; a
//! node publishes with PUBLISH and hears its own messages back the same way.

use crate::hub::Hub;
use async_trait::async_trait;
use futures::StreamExt;
use quan_core::{
    Bus, BusError, BusMessage, CounterError, Counters, GateError, RateDecision, RateLimiter,
    StockGate,
};
use redis::AsyncCommands;
use redis::aio::ConnectionManager;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::Duration;
use tokio::sync::broadcast;

const CHANNEL_PREFIX: &str = "quan:bus:";

#[derive(Debug)]
pub enum RedisError {
    Connect(String),
}

impl std::fmt::Display for RedisError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            RedisError::Connect(e) => write!(f, "could not connect to Redis: {e}"),
        }
    }
}
impl std::error::Error for RedisError {}

/// One Redis connection set serving as Bus, Counters and RateLimiter.
#[derive(Clone)]
pub struct RedisBackend {
    conn: ConnectionManager,
    hub: Arc<Hub>,
    relay_up: Arc<AtomicBool>,
    /// The subscription's losses and returns (see [`Bus::gaps`]).
    gaps: Arc<AtomicU64>,
    limiter: redis::Script,
    gate: redis::Script,
    gate_back: redis::Script,
}

/// The flash-sale gate's script: a key not yet seen starts at the seed (ARGV[2],
/// kept for ARGV[3] ms, past the sale's end), then `q` (ARGV[1]) units are taken
/// only when that many are left. `redis::Script` sends it by EVALSHA.
pub const GATE_LUA: &str = "local v = redis.call('GET', KEYS[1]) \
     if not v then redis.call('SET', KEYS[1], ARGV[2], 'PX', ARGV[3]) v = ARGV[2] end \
     if tonumber(v) >= tonumber(ARGV[1]) then redis.call('DECRBY', KEYS[1], ARGV[1]) return 1 end \
     return 0";

impl RedisBackend {
    /// Connects and starts the relay task (it reconnects by itself until `shutdown`).
    pub async fn connect(url: &str) -> Result<Self, RedisError> {
        let client = redis::Client::open(url).map_err(|e| RedisError::Connect(e.to_string()))?;
        let conn = tokio::time::timeout(Duration::from_secs(5), client.get_connection_manager())
            .await
            .map_err(|_| RedisError::Connect("timed out".into()))?
            .map_err(|e| RedisError::Connect(e.to_string()))?;
        let hub = Arc::new(Hub::default());
        let relay_up = Arc::new(AtomicBool::new(false));
        // The first subscription is made before returning, so a message published
        // right after start-up is not missed by this node.
        let pubsub = subscribe(&client)
            .await
            .map_err(|e| RedisError::Connect(e.to_string()))?;
        relay_up.store(true, Ordering::SeqCst);
        let gaps = Arc::new(AtomicU64::new(0));
        tokio::spawn(relay(
            client,
            pubsub,
            Arc::clone(&hub),
            (Arc::clone(&relay_up), Arc::clone(&gaps)),
        ));
        Ok(Self {
            conn,
            hub,
            relay_up,
            gaps,
            limiter: redis::Script::new(
                "local n = redis.call('INCR', KEYS[1]) \
                 if n == 1 then redis.call('PEXPIRE', KEYS[1], ARGV[1]) end \
                 return {n, redis.call('PTTL', KEYS[1])}",
            ),
            gate: redis::Script::new(GATE_LUA),
            gate_back: redis::Script::new(
                "if redis.call('EXISTS', KEYS[1]) == 1 then return redis.call('INCRBY', KEYS[1], ARGV[1]) end \
                 return -1",
            ),
        })
    }
}

async fn subscribe(client: &redis::Client) -> redis::RedisResult<redis::aio::PubSub> {
    let mut ps = client.get_async_pubsub().await?;
    ps.psubscribe(format!("{CHANNEL_PREFIX}*")).await?;
    Ok(ps)
}

/// Relays Redis messages into the local hub, reconnecting with backoff when the
/// connection drops. Runs for the life of the process.
async fn relay(
    client: redis::Client,
    first: redis::aio::PubSub,
    hub: Arc<Hub>,
    (up, gaps): (Arc<AtomicBool>, Arc<AtomicU64>),
) {
    let mut pubsub = Some(first);
    let mut backoff = Duration::from_millis(100);
    loop {
        let ps = match pubsub.take() {
            Some(ps) => ps,
            None => match subscribe(&client).await {
                Ok(ps) => {
                    gaps.fetch_add(1, Ordering::SeqCst);
                    ps
                }
                Err(e) => {
                    tracing::warn!(error = %e, "redis bus: resubscribe failed");
                    tokio::time::sleep(backoff).await;
                    backoff = (backoff * 2).min(Duration::from_secs(5));
                    continue;
                }
            },
        };
        up.store(true, Ordering::SeqCst);
        backoff = Duration::from_millis(100);
        let mut stream = ps.into_on_message();
        while let Some(msg) = stream.next().await {
            let channel = msg.get_channel_name();
            let Some(topic) = channel.strip_prefix(CHANNEL_PREFIX) else {
                continue;
            };
            match msg.get_payload::<String>() {
                Ok(payload) => hub.deliver(topic, Arc::from(payload)),
                Err(e) => tracing::warn!(error = %e, "redis bus: undecodable payload"),
            }
        }
        up.store(false, Ordering::SeqCst);
        gaps.fetch_add(1, Ordering::SeqCst);
        tracing::warn!("redis bus: subscription lost; reconnecting");
    }
}

fn unavailable(e: redis::RedisError) -> CounterError {
    CounterError::Unavailable(e.to_string())
}

#[async_trait]
impl Bus for RedisBackend {
    async fn publish(&self, topic: &str, payload: &str) -> Result<(), BusError> {
        let mut c = self.conn.clone();
        let _: i64 = c
            .publish(format!("{CHANNEL_PREFIX}{topic}"), payload)
            .await
            .map_err(|e| BusError::Unavailable(e.to_string()))?;
        Ok(())
    }
    fn subscribe(&self, topic: &str) -> broadcast::Receiver<BusMessage> {
        self.hub.subscribe(topic)
    }
    async fn ping(&self) -> Result<(), BusError> {
        if !self.relay_up.load(Ordering::SeqCst) {
            return Err(BusError::Unavailable("subscription down".into()));
        }
        let mut c = self.conn.clone();
        redis::cmd("PING")
            .query_async::<String>(&mut c)
            .await
            .map(|_| ())
            .map_err(|e| BusError::Unavailable(e.to_string()))
    }
    fn gaps(&self) -> u64 {
        self.gaps.load(Ordering::SeqCst)
    }
    fn name(&self) -> &'static str {
        "redis"
    }
}

#[async_trait]
impl Counters for RedisBackend {
    async fn incr(&self, key: &str, by: i64) -> Result<i64, CounterError> {
        let mut c = self.conn.clone();
        c.incr(format!("quan:ctr:{key}"), by)
            .await
            .map_err(unavailable)
    }
    async fn get(&self, key: &str) -> Result<i64, CounterError> {
        let mut c = self.conn.clone();
        let v: Option<i64> = c
            .get(format!("quan:ctr:{key}"))
            .await
            .map_err(unavailable)?;
        Ok(v.unwrap_or(0))
    }
}

fn decision(count: i64, pttl_ms: i64, limit: u32, window: Duration) -> RateDecision {
    let count = u32::try_from(count.max(0)).unwrap_or(u32::MAX);
    if count <= limit {
        RateDecision::Allowed {
            remaining: limit - count,
        }
    } else {
        let ms = u64::try_from(pttl_ms).unwrap_or(0);
        let ms = if ms == 0 {
            u64::try_from(window.as_millis()).unwrap_or(1000)
        } else {
            ms
        };
        RateDecision::Limited {
            retry_after: Duration::from_millis(ms).max(Duration::from_secs(1)),
        }
    }
}

#[async_trait]
impl RateLimiter for RedisBackend {
    async fn hit(
        &self,
        key: &str,
        limit: u32,
        window: Duration,
    ) -> Result<RateDecision, CounterError> {
        let mut c = self.conn.clone();
        let (n, pttl): (i64, i64) = self
            .limiter
            .key(format!("quan:rl:{key}"))
            .arg(u64::try_from(window.as_millis()).unwrap_or(u64::MAX))
            .invoke_async(&mut c)
            .await
            .map_err(unavailable)?;
        Ok(decision(n, pttl, limit, window))
    }
    async fn peek(
        &self,
        key: &str,
        limit: u32,
        window: Duration,
    ) -> Result<RateDecision, CounterError> {
        let mut c = self.conn.clone();
        let k = format!("quan:rl:{key}");
        let (n, pttl): (Option<i64>, i64) = redis::pipe()
            .get(&k)
            .pttl(&k)
            .query_async(&mut c)
            .await
            .map_err(unavailable)?;
        let n = n.unwrap_or(0);
        // At the limit already means the next attempt would be over it.
        Ok(if n >= i64::from(limit) {
            decision(i64::from(limit) + 1, pttl, limit, window)
        } else {
            decision(n, pttl, limit, window)
        })
    }
    async fn reset(&self, key: &str, _window: Duration) -> Result<(), CounterError> {
        let mut c = self.conn.clone();
        let _: i64 = c.del(format!("quan:rl:{key}")).await.map_err(unavailable)?;
        Ok(())
    }
}

/// How long a gate's count outlives its last seeding: longer than any sale (a week)
/// and its unpaid orders' reservations.
const GATE_TTL_MS: u64 = 9 * 24 * 3600 * 1000;

#[async_trait]
impl StockGate for RedisBackend {
    async fn admit(&self, key: &str, q: i64, seed: i64) -> Result<bool, GateError> {
        let mut c = self.conn.clone();
        let n: i64 = self
            .gate
            .key(format!("quan:gate:{key}"))
            .arg(q)
            .arg(seed)
            .arg(GATE_TTL_MS)
            .invoke_async(&mut c)
            .await
            .map_err(|e| GateError::Unavailable(e.to_string()))?;
        Ok(n == 1)
    }
    async fn give_back(&self, key: &str, q: i64) -> Result<(), GateError> {
        let mut c = self.conn.clone();
        let _: i64 = self
            .gate_back
            .key(format!("quan:gate:{key}"))
            .arg(q)
            .invoke_async(&mut c)
            .await
            .map_err(|e| GateError::Unavailable(e.to_string()))?;
        Ok(())
    }
    fn shared(&self) -> bool {
        true
    }
    fn name(&self) -> &'static str {
        "redis"
    }
}
