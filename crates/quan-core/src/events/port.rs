//! The event log's store port: every change is appended in its own transaction.

use crate::page::{Page, PageRequest};
use crate::ports::StoreResult;
use async_trait::async_trait;
use quan_domain::{AccountId, EventId, OrgId, Timestamp};

/// An entry of the org's event log.
#[derive(Debug, Clone, PartialEq)]
pub struct EventRecord {
    pub id: EventId,
    pub org_id: OrgId,
    pub kind: String,
    /// What the event is about, e.g. `staff:<account id>`.
    pub subject: String,
    pub actor: Option<AccountId>,
    pub data: serde_json::Value,
    pub at: Timestamp,
}

/// What the store does for the org event log.
#[async_trait]
pub trait EventStore: Send + Sync {
    async fn event_append(&self, e: &EventRecord) -> StoreResult<()>;
    /// Newest first.
    async fn event_list(&self, org: OrgId, page: &PageRequest) -> StoreResult<Page<EventRecord>>;
}
