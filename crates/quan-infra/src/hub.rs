//! The node-local fan-out both buses share: one broadcast channel per topic that has
//! subscribers on this node. A slow subscriber lags (loses the oldest messages) and
//! never slows the publisher or the other subscribers.

use dashmap::DashMap;
use quan_core::BusMessage;
use std::sync::Arc;
use tokio::sync::broadcast;

/// Messages buffered per topic for subscribers that are momentarily behind.
const TOPIC_CAPACITY: usize = 1024;

#[derive(Default)]
pub(crate) struct Hub {
    topics: DashMap<Arc<str>, broadcast::Sender<BusMessage>>,
}

impl Hub {
    pub fn subscribe(&self, topic: &str) -> broadcast::Receiver<BusMessage> {
        if let Some(tx) = self.topics.get(topic) {
            return tx.subscribe();
        }
        self.topics
            .entry(Arc::from(topic))
            .or_insert_with(|| broadcast::channel(TOPIC_CAPACITY).0)
            .subscribe()
    }

    #[cfg(test)]
    pub fn is_empty(&self) -> bool {
        self.topics.is_empty()
    }

    /// Delivers to this node's subscribers; forgets topics nobody listens to.
    pub fn deliver(&self, topic: &str, payload: Arc<str>) {
        let mut orphaned = false;
        if let Some(tx) = self.topics.get(topic) {
            let msg = BusMessage {
                topic: Arc::clone(tx.key()),
                payload,
            };
            orphaned = tx.send(msg).is_err();
        }
        if orphaned {
            self.topics
                .remove_if(topic, |_, tx| tx.receiver_count() == 0);
        }
    }
}
