//! The event bus: topic-addressed, fire-and-forget fan-out to whoever listens now.
//!
//! Durable facts go to the store's event log first; the bus only carries the news of
//! them to live subscribers (WebSockets, caches) on every node. Delivery is at most
//! once; a subscriber that falls behind loses messages (`Lagged`) rather than making
//! the publisher wait.

use async_trait::async_trait;
use std::sync::Arc;
use tokio::sync::broadcast;

/// One message on the bus: a topic (e.g. `org:<id>`) and a JSON payload, kept as
/// shared text so fan-out to many subscribers copies a pointer, not the body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BusMessage {
    pub topic: Arc<str>,
    pub payload: Arc<str>,
}

#[derive(Debug, thiserror::Error)]
pub enum BusError {
    #[error("bus unavailable: {0}")]
    Unavailable(String),
}

#[async_trait]
pub trait Bus: Send + Sync + 'static {
    /// Publishes to every subscriber of `topic` on every node.
    async fn publish(&self, topic: &str, payload: &str) -> Result<(), BusError>;
    /// Subscribes to one topic on this node. Dropping the receiver unsubscribes.
    fn subscribe(&self, topic: &str) -> broadcast::Receiver<BusMessage>;
    /// Whether the bus can carry messages now (for `/readyz`).
    async fn ping(&self) -> Result<(), BusError>;
    /// How often this node's subscription was lost or came back: a message
    /// published while it was lost may never arrive. Odd while it is lost; a bus
    /// that cannot lose messages (one node, in memory) stays at 0.
    fn gaps(&self) -> u64;
    fn name(&self) -> &'static str;
}
