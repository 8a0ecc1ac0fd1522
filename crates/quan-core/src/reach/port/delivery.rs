//! The delivery part of reach's store port: the org's webhook endpoint, the outbox
//! of e-mail and webhook deliveries that a confirmed share writes, and clicks.

use crate::ports::StoreResult;
use async_trait::async_trait;
use quan_domain::{AccountId, CampaignId, OrgId, PersonId, ReachMessageId, Timestamp};

/// A channel outside the member app.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Channel {
    Email,
    Webhook,
}

impl Channel {
    pub const fn as_str(self) -> &'static str {
        match self {
            Channel::Email => "email",
            Channel::Webhook => "webhook",
        }
    }
    pub fn parse(raw: &str) -> Option<Self> {
        [Self::Email, Self::Webhook]
            .into_iter()
            .find(|c| c.as_str() == raw)
    }
}

/// Which outside channels a campaign also goes out on (the member app always).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Channels {
    pub email: bool,
    pub webhook: bool,
}

/// A link card a campaign's messages carry; clicks go through `/l/{message}`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LinkCard {
    pub url: String,
    pub title: String,
}

/// The org's delivery webhook. Its `Debug` leaves the secret out.
#[derive(Clone, PartialEq, Eq)]
pub struct EndpointRecord {
    pub org_id: OrgId,
    pub url: String,
    pub secret: String,
    pub created_by: Option<AccountId>,
    pub created_at: Timestamp,
}

impl std::fmt::Debug for EndpointRecord {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EndpointRecord")
            .field("org_id", &self.org_id)
            .field("url", &self.url)
            .finish_non_exhaustive()
    }
}

/// Where a delivery stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DeliveryStatus {
    Pending,
    Sent,
    /// Refused for good, or out of tries.
    Failed,
    /// Not sent, by rule: no address, opted out or left since.
    Skipped,
}

impl DeliveryStatus {
    pub const fn as_str(self) -> &'static str {
        match self {
            DeliveryStatus::Pending => "pending",
            DeliveryStatus::Sent => "sent",
            DeliveryStatus::Failed => "failed",
            DeliveryStatus::Skipped => "skipped",
        }
    }
}

/// A delivery taken from the outbox, with what sending it needs, read at the time
/// of sending (an address changed or an opt-out since the share counts).
#[derive(Debug, Clone)]
pub struct DueDelivery {
    pub message: ReachMessageId,
    pub channel: Channel,
    pub org_id: OrgId,
    pub org_name: String,
    pub campaign: CampaignId,
    pub campaign_name: String,
    pub link: Option<LinkCard>,
    /// Tries before this one.
    pub attempts: i64,
    pub body: String,
    pub visible_at: Timestamp,
    pub person: PersonId,
    pub person_name: String,
    pub staff_name: String,
    pub email: Option<String>,
    pub phone: Option<String>,
    /// Still a contact, and campaigns still allowed.
    pub reachable: bool,
}

/// Per channel, how a campaign's outside deliveries went.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ChannelTally {
    pub pending: i64,
    pub sent: i64,
    pub failed: i64,
    pub skipped: i64,
}

#[async_trait]
pub trait DeliveryStore: Send + Sync {
    async fn endpoint_get(&self, org: OrgId) -> StoreResult<Option<EndpointRecord>>;
    /// Sets (or replaces) the org's endpoint.
    async fn endpoint_put(&self, e: &EndpointRecord) -> StoreResult<()>;
    /// False if there was none.
    async fn endpoint_delete(&self, org: OrgId) -> StoreResult<bool>;
    /// Takes up to `limit` pending deliveries whose message shows by `now`, leasing
    /// each until `now + lease_ms` (a guarded update, so two nodes never take one).
    async fn deliveries_claim(
        &self,
        now: Timestamp,
        lease_ms: i64,
        limit: i64,
    ) -> StoreResult<Vec<DueDelivery>>;
    /// Records the outcome of the try that made `attempts` (guarded: a try whose
    /// lease ran out and was taken by another changes nothing): `status` Pending
    /// with `retry_at` tries again.
    async fn delivery_done(
        &self,
        (message, channel, attempts): (ReachMessageId, Channel, i64),
        status: DeliveryStatus,
        error: Option<&str>,
        retry_at: Option<Timestamp>,
        now: Timestamp,
    ) -> StoreResult<()>;
    async fn delivery_tally(
        &self,
        campaign: CampaignId,
        channel: Channel,
    ) -> StoreResult<ChannelTally>;
    /// The first click on a message's link is kept; returns where it leads, or None
    /// for a message without a link.
    async fn message_click(
        &self,
        message: ReachMessageId,
        now: Timestamp,
    ) -> StoreResult<Option<String>>;
}
