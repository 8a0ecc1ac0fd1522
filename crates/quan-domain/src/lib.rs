//! Quan's domain: the types and rules every other crate speaks in.
//!
//! Raw input becomes one of these types once, at the edge (`Email::parse`,
//! `Password::parse`, `Role::parse`, ...); everything downstream takes only valid
//! values. This crate does no I/O, has no async and knows nothing of HTTP or SQL, so
//! its rules can be tested exhaustively and reused by every adapter.

pub mod autoreply;
pub mod circles;
pub mod coupon;
pub mod flash;
pub mod geo;
pub mod identity;
pub mod ids;
pub mod journeys;
pub mod moderation;
pub mod moments;
pub mod money;
pub mod order;
pub mod pricing;
pub mod reach;
pub mod schedule;
pub mod search;
pub mod stage;
pub mod time;
pub mod transfer;

pub use autoreply::*;
pub use circles::*;
pub use coupon::*;
pub use flash::*;
pub use geo::*;
pub use identity::*;
pub use ids::*;
pub use journeys::*;
pub use moderation::*;
pub use moments::*;
pub use money::*;
pub use order::*;
pub use pricing::*;
pub use reach::*;
pub use schedule::*;
pub use stage::*;
pub use time::Timestamp;
pub use transfer::*;

/// Why a raw value was refused. `field` names the input so the web layer can point at
/// it; `code` is a stable machine string the UI translates.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{field}: {message}")]
pub struct ParseError {
    pub field: &'static str,
    pub code: &'static str,
    pub message: String,
}

impl ParseError {
    pub fn new(field: &'static str, code: &'static str, message: impl Into<String>) -> Self {
        Self {
            field,
            code,
            message: message.into(),
        }
    }
}
