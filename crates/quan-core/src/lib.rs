//! Quan's use cases and the ports they need.
//!
//! One folder per capability (`identity`, `persons`, `circles`, `moderation`, `chat`,
//! `discovery`, `reach`; commerce, ... as they land), each with its use cases, its own
//! store port (`port.rs`: the methods and records it needs) and its error enum.
//! Capabilities meet through [`access`] (who may reach what), the leaves (`notify`,
//! `search`, `events`, `jobs`, `input`, `page`, `secrets`, `visits`) and the event log,
//! not by importing each other; `quan-testkit`'s tidy test holds that, with its few
//! named exceptions.
//!
//! A use case takes the [`Services`] bundle and domain types, and returns domain
//! results or its capability's error enum. It never names a storage or messaging
//! backend: those are the traits in [`ports`] and the capability ports, implemented by
//! `quan-store` and `quan-infra`, and chosen by the binary.
//!
//! Every port trait and record is re-exported here, so adapters name them once.

pub mod access;
pub mod chat;
pub mod circles;
pub mod commerce;
pub mod discovery;
pub mod events;
pub mod identity;
pub mod input;
pub mod jobs;
pub mod local;
pub mod media;
pub mod moderation;
pub mod notify;
pub mod page;
pub mod persons;
pub mod ports;
pub mod reach;
pub mod search;
pub mod secrets;
pub mod visits;

pub use chat::port::{ChatStore, MessageRecord, RoomRecord};
pub use circles::port::{
    BoardStore, CircleInviteOutcome, CircleInviteRecord, CircleInviteStore, CircleMemberRecord,
    CircleRecord, CircleStore, CommentRecord, FeedSort, ImageRecord, ImageStore, MemberStatus,
    PostEditRecord, PostRecord, PostStore, ReceiptRecord, StreakRecord, TaskStepRecord,
    ViewerQuirks, WriteQuota,
};
pub use discovery::port::{BoostLogRecord, DiscoveryStore, QualityInputs};
pub use events::port::{EventRecord, EventStore};
pub use identity::port::{
    AccountRecord, IdentityStore, InviteOutcome, InviteRecord, OrgRecord, SessionRecord,
    StaffChange, StaffRecord, TokenRecord,
};
pub use jobs::port::{JobRecord, JobStore, NewJob};
pub use moderation::port::{
    ModLogRecord, ModerationStore, QueueItem, ReportOutcome, ReportRecord, SanctionRecord,
};
pub use notify::port::{NotificationRecord, NotifyStore};
pub use page::{Page, PageRequest};
pub use persons::port::{
    HandleRecord, MergeMoves, MergeRecord, MergeStore, NewMerge, PersonRecord, PersonStore,
    TimelineEntry, UndoOutcome,
};
pub use ports::{
    BlobError, BlobStore, Bus, BusError, BusMessage, Clock, CounterError, Counters, GateError,
    Hook, Mail, Mailer, Outbound, OutboundError, PaymentProvider, RateDecision, RateLimiter,
    StockGate, Store, StoreError, StoreResult, SystemClock, SystemStore, TestClock, WebhookSender,
    constraints,
};
pub use reach::port::{
    AddOutcome, AutoReplyRecord, AutoReplySettings, AutoReplyStore, Blame, CampaignRecord,
    CampaignResults, CampaignRoom, CampaignStatus, Channel, ChannelCodeRecord, ChannelTally,
    Channels, CompleteOutcome, Consent, ContactRecord, ContactSource, DeliveryStatus,
    DeliveryStore, DueDelivery, EndpointRecord, JourneyRecord, JourneyResults, JourneyRunRecord,
    JourneyStatus, JourneyStore, JourneyTaskRecord, LinkCard, MessageKind, MomentComment,
    MomentRecord, MomentStore, NegativeHit, NewContact, PlanCounts, PlanWindow, PolicyRecord,
    ReachMessageRecord, ReachStore, RoomCampaignStore, RoomPost, RoomTarget, RunStatus, Segment,
    ShareRecipient, ShareRecord, StaffLoad, StepTally, TransferRecord, TransferStore,
};
pub use search::port::{QueuedEntry, SearchEntry, SearchSource, SearchStore};

use std::sync::Arc;

/// Business rules an operator may tune (`[circles]` in the settings).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rules {
    /// Images a new member may upload to a circle on their first day.
    pub first_day_images: i64,
}

impl Default for Rules {
    fn default() -> Self {
        Self {
            first_day_images: quan_domain::TL0_IMAGES_PER_DAY,
        }
    }
}

/// Everything a use case may touch, behind ports. Cheap to clone.
#[derive(Clone)]
pub struct Services {
    pub store: Arc<dyn Store>,
    pub bus: Arc<dyn Bus>,
    pub counters: Arc<dyn Counters>,
    pub limiter: Arc<dyn RateLimiter>,
    pub clock: Arc<dyn Clock>,
    /// Who may act where, cached off the hot path (see [`access::cache`]).
    pub auth: Arc<access::cache::AuthCache>,
    /// Feed pages for plain viewers (see [`circles::feed_cache`]).
    pub feed: Arc<circles::feed_cache::FeedCache>,
    /// Uploaded files' bytes.
    pub blobs: Arc<dyn BlobStore>,
    /// Which members this node has seen in which circle today (see [`visits`]).
    pub visits: Arc<visits::Visits>,
    pub rules: Rules,
    /// E-mail and webhook delivery, and the public address for links.
    pub outbound: ports::Outbound,
    /// Where orders are paid (the sandbox unless a real provider is wired).
    pub payments: Arc<dyn ports::PaymentProvider>,
    pub commerce: commerce::CommerceConfig,
    /// Flash sales' stock gate (an atomic per sale here, one Redis count in a cluster).
    pub gate: Arc<dyn ports::StockGate>,
    /// Flash sales' terms, which never change once set, kept on each node so a
    /// buyer turned away costs no database read (see [`commerce::flash`]).
    pub flash: Arc<commerce::flash::SaleCache>,
    /// This node's index of pickup points (community group buying).
    pub pickups: Arc<local::index::PickupIndex>,
}

impl std::fmt::Debug for Services {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Services")
            .field("store", &self.store.backend_name())
            .field("bus", &self.bus.name())
            .finish_non_exhaustive()
    }
}
