//! Implementations of Quan's infrastructure ports: in-process twins for one box, and
//! Redis for a cluster; blobs as files on disk. The binary picks one set by configuration (`bus.url`); nothing
//! else in Quan knows which is running.

mod disk_blobs;
mod hub;
mod memory;
mod outbound;
mod redis_impl;

pub use disk_blobs::DiskBlobStore;
pub use memory::{MemoryBus, MemoryCounters, MemoryGate, MemoryRateLimiter};
pub use outbound::{HttpWebhooks, SmtpMailer};
pub use redis_impl::{GATE_LUA, RedisBackend, RedisError};
