//! Quan's use cases and the ports they need.
//!
//! One module per capability (`identity` today; circles, reach, commerce, ... as they
//! land). A use case takes the [`Services`] bundle and domain types, and returns domain
//! results or its capability's error enum. It never names a storage or messaging
//! backend: those are the traits in [`ports`], implemented by `quan-store` and
//! `quan-infra`, and chosen by the binary.

pub mod auth_cache;
pub mod chat;
pub mod circle_ops;
pub mod circles;
pub mod discovery;
pub mod events;
pub mod feed_cache;
pub mod identity;
pub mod jobs;
pub mod notify;
pub mod page;
pub mod persons;
pub mod ports;
pub mod search;
pub mod secrets;
pub mod visits;

pub use page::{Page, PageRequest};
pub use ports::*;

use std::sync::Arc;

/// Everything a use case may touch, behind ports. Cheap to clone.
#[derive(Clone)]
pub struct Services {
    pub store: Arc<dyn Store>,
    pub bus: Arc<dyn Bus>,
    pub counters: Arc<dyn Counters>,
    pub limiter: Arc<dyn RateLimiter>,
    pub clock: Arc<dyn Clock>,
    /// Who may act where, cached off the hot path (see [`auth_cache`]).
    pub auth: Arc<auth_cache::AuthCache>,
    /// Feed pages for plain viewers (see [`feed_cache`]).
    pub feed: Arc<feed_cache::FeedCache>,
    /// Uploaded files' bytes.
    pub blobs: Arc<dyn BlobStore>,
    /// Which members this node has seen in which circle today (see [`visits`]).
    pub visits: Arc<visits::Visits>,
}

impl std::fmt::Debug for Services {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Services")
            .field("store", &self.store.backend_name())
            .field("bus", &self.bus.name())
            .finish_non_exhaustive()
    }
}
