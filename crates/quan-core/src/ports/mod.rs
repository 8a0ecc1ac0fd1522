//! Ports: the traits through which use cases reach the world.
//!
//! Each has an in-process implementation so `quan serve` needs nothing external, and
//! a cluster implementation (PostgreSQL, Redis) chosen by configuration. Handlers and
//! use cases only ever see these traits.

mod blob;
mod bus;
mod circle_ops;
mod clock;
mod counters;
mod notify;
mod search;
mod store;

pub use blob::*;
pub use bus::*;
pub use circle_ops::*;
pub use clock::*;
pub use counters::*;
pub use notify::*;
pub use search::*;
pub use store::*;
