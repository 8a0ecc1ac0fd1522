//! Ports: the traits through which use cases reach the world.
//!
//! Infrastructure ports (bus, counters, rate limiter, stock gate, clock, blobs) live here; each
//! capability's store port lives beside its use cases (`<capability>/port.rs`), and
//! [`Store`] gathers them all. Each has an in-process implementation so `quan serve`
//! needs nothing external, and a cluster implementation (PostgreSQL, Redis) chosen by
//! configuration. Handlers and use cases only ever see these traits.

mod blob;
mod bus;
mod clock;
mod counters;
mod gate;
mod outbound;
mod payment;
mod store;

pub use blob::{BlobError, BlobStore};
pub use bus::{Bus, BusError, BusMessage};
pub use clock::{Clock, SystemClock, TestClock};
pub use counters::{CounterError, Counters, RateDecision, RateLimiter};
pub use gate::{GateError, StockGate};
pub use outbound::{Hook, Mail, Mailer, Outbound, OutboundError, WebhookSender};
pub use payment::{
    Charge, ChargeEvent, ChargeOutcome, ChargeRequest, PaymentError, PaymentProvider,
    ProviderEvent, ProviderRecord, RefundEvent, RefundRequest, WebhookHeaders,
};
pub use store::{Store, StoreError, StoreResult, SystemStore, constraints};
