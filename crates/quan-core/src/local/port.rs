//! The local capability's store port: leaders (团长) and their pickup points.

use crate::events::port::EventRecord;
use crate::page::{Page, PageRequest};
use crate::ports::StoreResult;
use async_trait::async_trait;
use quan_domain::{AccountId, GeoPoint, LeaderId, OrgId, PickupKind, Timestamp};

/// A leader with their pickup point, as stored.
#[derive(Debug, Clone, PartialEq)]
pub struct LeaderRecord {
    pub id: LeaderId,
    pub org_id: OrgId,
    /// The leader's own account, when they have one ("contact the leader").
    pub account_id: Option<AccountId>,
    pub name: String,
    pub phone: String,
    /// The pickup point's name ("西湖文化广场驿站").
    pub point_name: String,
    pub address: String,
    pub location: GeoPoint,
    pub kind: PickupKind,
    /// Opening hours as the leader writes them ("每天 9:00–21:00").
    pub hours: String,
    pub radius_m: i64,
    /// Orders the point holds on one delivery day.
    pub capacity: i64,
    /// Of each completed order's paid amount, in basis points.
    pub commission_bp: i64,
    pub online: bool,
    /// Who serves the point while the leader is offline.
    pub stand_in: Option<LeaderId>,
    /// Retired points are kept for their orders' history, never matched.
    pub active: bool,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}

/// What the store does for leaders and pickup points.
#[async_trait]
pub trait LocalStore: Send + Sync {
    async fn leader_insert(&self, l: &LeaderRecord, event: &EventRecord) -> StoreResult<()>;
    /// Replaces the leader's editable fields; false when no such leader in `l.org_id`.
    async fn leader_update(&self, l: &LeaderRecord, event: &EventRecord) -> StoreResult<bool>;
    async fn leader_get(&self, org: OrgId, id: LeaderId) -> StoreResult<Option<LeaderRecord>>;
    /// Leaders of `org` by id (those found, any order): a match's details.
    async fn leaders_by_ids(&self, org: OrgId, ids: &[LeaderId]) -> StoreResult<Vec<LeaderRecord>>;
    /// The org's leaders, newest first, a keyset page.
    async fn leaders_of_org(
        &self,
        org: OrgId,
        page: &PageRequest,
    ) -> StoreResult<Page<LeaderRecord>>;
    /// Every org's active leaders after `after` by id, `limit` at most: a node
    /// builds its index from these pages.
    async fn leaders_after(
        &self,
        after: Option<LeaderId>,
        limit: i64,
    ) -> StoreResult<Vec<LeaderRecord>>;
}
