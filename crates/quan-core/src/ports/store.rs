//! The store port: Quan's source of truth.
//!
//! Tenancy is enforced here, in the shape of the API: every method that reads or
//! writes an org's data takes the `OrgId` and filters on it, so an id from another
//! org simply is not found. Methods that change state take the event that records the
//! change and append it in the same transaction, so the event log never disagrees
//! with the data.

use crate::chat::port::ChatStore;
use crate::circles::port::{BoardStore, CircleInviteStore, CircleStore, ImageStore, PostStore};
use crate::commerce::port::CommerceStore;
use crate::commerce::port::{CartStore, CouponStore, ProductImageStore, ReconcileStore};
use crate::discovery::port::DiscoveryStore;
use crate::events::port::EventStore;
use crate::identity::port::IdentityStore;
use crate::jobs::port::JobStore;
use crate::local::port::LocalStore;
use crate::moderation::port::ModerationStore;
use crate::notify::port::NotifyStore;
use crate::persons::port::{MergeStore, PersonStore};
use crate::reach::port::{
    AutoReplyStore, DeliveryStore, JourneyStore, MomentStore, ReachStore, RoomCampaignStore,
    TransferStore,
};
use crate::search::port::SearchStore;
use async_trait::async_trait;
use quan_domain::Timestamp;

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// A uniqueness or foreign-key rule refused the write; `constraint` names which
    /// (the index name), so use cases map it to a precise error.
    #[error("conflict on {constraint}")]
    Conflict { constraint: String },
    #[error("not found")]
    NotFound,
    /// A stored value no longer parses into its domain type (a bug or a hand edit).
    #[error("corrupt row: {0}")]
    Corrupt(String),
    #[error("database: {0}")]
    Backend(#[source] Box<dyn std::error::Error + Send + Sync>),
}

impl StoreError {
    pub fn is_conflict_on(&self, name: &str) -> bool {
        matches!(self, StoreError::Conflict { constraint } if constraint == name)
    }
}

pub type StoreResult<T> = Result<T, StoreError>;

/// Names of the uniqueness rules use cases care about (index names in the schema).
pub mod constraints {
    pub const ACCOUNT_EMAIL: &str = "accounts_email_key";
    pub const ACCOUNT_PHONE: &str = "accounts_phone_key";
    pub const STAFF_PK: &str = "staff_pkey";
    pub const HANDLE_UNIQUE: &str = "handles_org_kind_value_key";
    pub const CIRCLE_MEMBER_PK: &str = "circle_members_pkey";
    pub const REPORT_ONCE: &str = "reports_once_idx";
    pub const PERSON_TAG_PK: &str = "person_tags_pkey";
    /// Not an index: raised by a write past a new member's first-day allowance.
    pub const NEW_MEMBER_LIMIT: &str = "new_member_limit";
    /// Not an index: raised by a pin beyond the circle's maximum.
    pub const PIN_LIMIT: &str = "pin_limit";
    /// Not an index: raised by a merge whose persons were merged already.
    pub const PERSON_ALREADY_MERGED: &str = "person_already_merged";
}

/// The store as a whole: every capability's port, plus what the process needs of it.
/// Implemented for anything that implements them all, so `Arc<dyn Store>` wires
/// one value through every use case.
pub trait Store:
    IdentityStore
    + PersonStore
    + MergeStore
    + EventStore
    + JobStore
    + CircleStore
    + CircleInviteStore
    + PostStore
    + BoardStore
    + ImageStore
    + ModerationStore
    + ChatStore
    + DiscoveryStore
    + NotifyStore
    + SearchStore
    + ReachStore
    + TransferStore
    + AutoReplyStore
    + MomentStore
    + JourneyStore
    + DeliveryStore
    + RoomCampaignStore
    + CommerceStore
    + CouponStore
    + CartStore
    + ProductImageStore
    + ReconcileStore
    + LocalStore
    + SystemStore
    + Send
    + Sync
    + 'static
{
}

impl<T> Store for T where
    T: IdentityStore
        + PersonStore
        + MergeStore
        + EventStore
        + JobStore
        + CircleStore
        + CircleInviteStore
        + PostStore
        + BoardStore
        + ImageStore
        + ModerationStore
        + ChatStore
        + DiscoveryStore
        + NotifyStore
        + SearchStore
        + ReachStore
        + TransferStore
        + AutoReplyStore
        + MomentStore
        + JourneyStore
        + DeliveryStore
        + RoomCampaignStore
        + CommerceStore
        + CouponStore
        + CartStore
        + ProductImageStore
        + ReconcileStore
        + LocalStore
        + SystemStore
        + Send
        + Sync
        + 'static
{
}

/// What the process itself needs of the store: health, metrics, shutdown, housekeeping.
#[async_trait]
pub trait SystemStore: Send + Sync {
    /// "sqlite" or "postgres", for logs and metrics.
    fn backend_name(&self) -> &'static str;
    async fn ping(&self) -> StoreResult<()>;
    /// Connection pool figures for `/metrics`: (open connections, idle connections).
    fn pool_stats(&self) -> (u32, u32);
    /// Closes every connection cleanly (SQLite checkpoints its WAL).
    async fn close(&self);
    /// Deletes expired sessions and invites, finished jobs older than `before`.
    async fn purge_expired(&self, now: Timestamp, before: Timestamp) -> StoreResult<u64>;
}
