//! The room part of reach's store port: campaigns to circle chat rooms, planned
//! against a per-room daily ledger and posted by their staff member.

use super::PlanCounts;
use crate::ports::StoreResult;
use async_trait::async_trait;
use quan_domain::{AccountId, CampaignId, CircleId, MessageId, OrgId, RoomId};

/// A chat room a campaign may go to, as the composer and the preflight show it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RoomTarget {
    pub room: RoomId,
    pub circle: CircleId,
    pub room_name: String,
    pub circle_name: String,
    /// Active members of its circle: who can read it.
    pub members: i64,
    /// Whether the room had its campaign message on the day asked about.
    pub capped: bool,
}

/// What a room campaign's plan decided for one room.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CampaignRoom {
    pub target: RoomTarget,
    /// `send`, `room_daily` (its day was taken) or `failed` (the post was refused).
    pub outcome: String,
    /// The chat message it became.
    pub message: Option<MessageId>,
}

/// What posting in a planned room came to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RoomPost {
    Posted(MessageId),
    /// Another campaign posted in the room that day first.
    DayTaken,
    /// The room refused the post (its author left the circle, a sensitive word):
    /// the day it took goes back.
    Refused,
}

#[async_trait]
pub trait RoomCampaignStore: Send + Sync {
    /// The org's rooms among `rooms` (all of the org's rooms whose circle `member`
    /// belongs to when `rooms` is None, at most 200), with whether each had its
    /// campaign message on `day`. Rooms of another org are not there.
    async fn room_targets(
        &self,
        org: OrgId,
        rooms: Option<&[RoomId]>,
        member: Option<AccountId>,
        day: &str,
    ) -> StoreResult<Vec<RoomTarget>>;
    /// Plans a room campaign in one transaction: records each room's outcome on
    /// `day` (`room_daily` when the room had its campaign message that day) and
    /// gives `author` the one share. The counts: rooms to post in as recipients,
    /// rooms whose day was taken as over budget. The day itself is taken when the
    /// message is posted ([`RoomCampaignStore::take_room_day`]), so a share
    /// confirmed on a later day counts against that day.
    async fn plan_rooms(
        &self,
        org: OrgId,
        campaign: CampaignId,
        author: AccountId,
        rooms: &[RoomId],
        day: &str,
    ) -> StoreResult<PlanCounts>;
    /// A room campaign's rooms with their outcomes.
    async fn campaign_rooms(
        &self,
        org: OrgId,
        campaign: CampaignId,
    ) -> StoreResult<Vec<CampaignRoom>>;
    /// Takes a room's `day` for a campaign by a guarded insert: false if another
    /// campaign took it (the cap: one campaign message per room a day).
    async fn take_room_day(
        &self,
        campaign: CampaignId,
        room: RoomId,
        day: &str,
    ) -> StoreResult<bool>;
    /// Records what posting in a planned room on `day` came to (once per room).
    async fn room_posted(
        &self,
        org: OrgId,
        campaign: CampaignId,
        room: RoomId,
        day: &str,
        post: RoomPost,
    ) -> StoreResult<()>;
}
