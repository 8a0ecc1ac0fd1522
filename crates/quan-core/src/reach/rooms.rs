//! Campaigns to circle chat rooms (PRODUCT.md §3): one message per room, at most
//! [`ROOM_DAILY_CAP`] a local day per room in the org's zone. A room campaign goes
//! through the same draft → preflight → plan → confirm steps as one to customers; its
//! one share is its author's, who posts the messages as themselves when they confirm,
//! through chat's own send (the circle gate, the write guard, the live feed), so a
//! room reads it like any other member's message.
//!
//! Quiet hours hold a room message the way they hold a customer's: the share cannot
//! be confirmed until they end (a chat message has no "show later").

use super::error::ReachError;
use super::port::{CampaignRecord, CampaignRoom, Channels, PlanCounts, RoomTarget, Segment};
use super::{HOLDERS, Result, policy_now, require};
use crate::Services;
use crate::access::{Actor, OrgAccess};
use quan_domain::{CAMPAIGN_ROOMS_MAX, ParseError, RoomId, Scope, Template};

/// Whether a campaign goes to chat rooms rather than customers.
pub fn to_rooms(s: &Segment) -> bool {
    !s.rooms.is_empty()
}

/// The local day (`d2026-12-04`) a room message at `at` counts against.
async fn day(
    svc: &Services,
    org: quan_domain::OrgId,
    at: quan_domain::Timestamp,
) -> Result<String> {
    Ok(policy_now(svc, org).await?.day_window(at).0)
}

/// A room campaign names rooms of the org, in circles its author belongs to (they
/// post it), no customer filter, and the member app only. Returns the rooms
/// deduplicated in the order given.
pub(super) async fn check(
    svc: &Services,
    access: &OrgAccess,
    segment: &Segment,
    channels: Channels,
) -> Result<Vec<RoomId>> {
    let filters = !segment.tags_all.is_empty()
        || !segment.tags_any.is_empty()
        || !segment.tags_none.is_empty()
        || !segment.stages.is_empty()
        || !segment.staff.is_empty()
        || segment.circle.is_some()
        || segment.added_from.is_some()
        || segment.added_to.is_some();
    if filters {
        return Err(ParseError::new(
            "rooms",
            "invalid_target",
            "a campaign goes to customers or to chat rooms, not both",
        )
        .into());
    }
    let mut rooms: Vec<RoomId> = Vec::new();
    for r in &segment.rooms {
        if !rooms.contains(r) {
            rooms.push(*r);
        }
    }
    if rooms.len() > CAMPAIGN_ROOMS_MAX {
        return Err(ParseError::new(
            "rooms",
            "too_many",
            format!("at most {CAMPAIGN_ROOMS_MAX} rooms"),
        )
        .into());
    }
    if channels.email || channels.webhook {
        return Err(ParseError::new(
            "channels",
            "rooms_in_app_only",
            "a room campaign is posted in the room, not sent by e-mail or webhook",
        )
        .into());
    }
    let found = svc
        .store
        .room_targets(access.org(), Some(&rooms), None, "")
        .await?;
    if found.len() != rooms.len() {
        return Err(ReachError::NotFound);
    }
    let theirs = svc
        .store
        .room_targets(access.org(), Some(&rooms), Some(access.account()), "")
        .await?;
    if theirs.len() != found.len() {
        return Err(ParseError::new(
            "rooms",
            "not_in_room_circle",
            "you post a room campaign yourself: join the room's circle first",
        )
        .into());
    }
    Ok(rooms)
}

/// The rooms the caller may send a campaign to (those of circles they belong to),
/// with whether each had its campaign message today.
pub async fn choices(svc: &Services, access: &OrgAccess) -> Result<Vec<RoomTarget>> {
    require(access, Scope::Read, HOLDERS)?;
    let today = day(svc, access.org(), svc.clock.now()).await?;
    Ok(svc
        .store
        .room_targets(access.org(), None, Some(access.account()), &today)
        .await?)
}

/// A room campaign's preflight on `day`: rooms to post in, rooms whose day is taken.
pub(super) async fn counts(
    svc: &Services,
    c: &CampaignRecord,
    day: &str,
) -> Result<(PlanCounts, Vec<RoomTarget>)> {
    let rooms = svc
        .store
        .room_targets(c.org_id, Some(&c.segment.rooms), None, day)
        .await?;
    let capped = rooms.iter().filter(|r| r.capped).count();
    let counts = PlanCounts {
        recipients: i64::try_from(rooms.len() - capped).unwrap_or(i64::MAX),
        over_budget: i64::try_from(capped).unwrap_or(i64::MAX),
        ..PlanCounts::default()
    };
    Ok((counts, rooms))
}

/// Plans a room campaign on `day`, its share its author's.
pub(super) async fn plan(svc: &Services, c: &CampaignRecord, day: &str) -> Result<PlanCounts> {
    let author = c.created_by.ok_or(ReachError::CampaignState(
        "the author of this room campaign has left; compose it again",
    ))?;
    Ok(svc
        .store
        .plan_rooms(c.id, author, &c.segment.rooms, day)
        .await?)
}

/// A room campaign's rooms and what became of each.
pub(super) async fn of(svc: &Services, c: &CampaignRecord) -> Result<Vec<CampaignRoom>> {
    if !to_rooms(&c.segment) {
        return Ok(Vec::new());
    }
    Ok(svc.store.campaign_rooms(c.org_id, c.id).await?)
}

/// Whether quiet hours hold room messages now, and until when.
pub(super) async fn quiet_until(
    svc: &Services,
    c: &CampaignRecord,
) -> Result<Option<quan_domain::Timestamp>> {
    Ok(policy_now(svc, c.org_id)
        .await?
        .quiet_until(svc.clock.now()))
}

/// Posts a confirmed room campaign's messages as `actor` (its author), each room
/// once; a room that refuses the post (the author left its circle, a sensitive
/// word) ends `failed`. Returns how many were posted.
pub(super) async fn post(svc: &Services, actor: &Actor, c: &CampaignRecord) -> Result<i64> {
    let template = Template::parse(&c.template)?;
    let staff = svc
        .store
        .staff_get(c.org_id, actor.account_id())
        .await?
        .ok_or(ReachError::NotStaff)?;
    let mut posted = 0;
    for r in svc.store.campaign_rooms(c.org_id, c.id).await? {
        if r.outcome != "send" || r.message.is_some() {
            continue;
        }
        // `{{name}}` in a room is the circle: the message speaks to all of it.
        let mut body = template.render(&r.target.circle_name, &staff.display_name);
        if let Some(l) = &c.link {
            body.push_str(&format!("\n\n{}\n{}", l.title, l.url));
        }
        let sent = crate::chat::send(
            svc,
            actor,
            r.target.circle,
            r.target.room,
            &body,
            None,
            None,
        )
        .await;
        let message = match sent {
            Ok(m) => {
                posted += 1;
                Some(m.id)
            }
            Err(e) => {
                tracing::warn!(error = %e, campaign = %c.id, room = %r.target.room, "a room refused its campaign message");
                None
            }
        };
        svc.store.room_posted(c.id, r.target.room, message).await?;
    }
    Ok(posted)
}
