//! Quan's store: one implementation of the `Store` port for SQLite and PostgreSQL.
//!
//! The SQL is written once, in the subset both engines share (`$N` parameters,
//! `RETURNING`, `ON CONFLICT`, partial indexes), and run through sqlx's `Any` driver;
//! the backend is chosen by the URL's scheme. The only backend-specific statement is
//! the job claim's `FOR UPDATE SKIP LOCKED` (`jobs.rs`).
//!
//! One module per capability, mirroring `quan-core`: each holds its `impl XStore for
//! SqlStore`, its column lists and the helpers only it needs; `queries.rs` names the
//! query shapes several capabilities read through, `rows.rs` the row decoders.
//!
//! SQLite runs as a server database: WAL, foreign keys on, a busy timeout, one writer
//! connection (so writes queue in-process instead of failing with SQLITE_BUSY) with
//! `BEGIN IMMEDIATE` transactions, and a separate pool of readers. Small hot writes
//! (posts, chat messages) share transactions through `group.rs` (group commit).

pub mod bench;
pub mod bench_geo;
pub mod bench_reach;
mod blobs;
mod chat;
mod circles;
mod commerce;
mod connect;
mod discovery;
mod events;
mod group;
mod identity;
mod jobs;
mod local;
mod moderation;
mod notify;
mod persons;
mod queries;
mod reach;
mod rows;
mod search;
mod store;

pub use connect::{Backend, ConnectError, ConnectOptions};
pub use store::SqlStore;
