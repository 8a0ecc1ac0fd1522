//! Campaigns to circle chat rooms (PRODUCT.md §3): one message per room, at most one
//! campaign message a local day per room in the org's zone. A room campaign goes
//! through the same draft → preflight → plan → confirm steps as one to customers; its
//! one share is its author's, who posts the messages as themselves when they confirm,
//! through chat's own send (the circle gate, the write guard, the live feed), so a
//! room reads it like any other member's message.
//!
//! The room's day is taken when the message is posted (a guarded insert whose key
//! is the cap), so a share confirmed on a later day counts against that day, and
//! two campaigns planned the same day cannot both post. Quiet hours hold a room
//! message the way they hold a customer's: the share cannot be confirmed until they
//! end (a chat message has no "show later").

use super::error::ReachError;
use super::port::{
    CampaignRecord, CampaignRoom, Channels, LinkCard, PlanCounts, RoomPost, RoomTarget, Segment,
};
use super::{HOLDERS, Result, policy_now, require};
use crate::Services;
use crate::access::{Actor, OrgAccess};
use quan_domain::{CAMPAIGN_ROOMS_MAX, MESSAGE_MAX_CHARS, ParseError, RoomId, Scope, Template};

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
/// post it), no customer filter, the member app only, and a message that fits a
/// chat message in each room. Returns the rooms deduplicated in the order given.
pub(super) async fn check(
    svc: &Services,
    access: &OrgAccess,
    segment: &Segment,
    channels: Channels,
    message: (&Template, Option<&LinkCard>),
) -> Result<Vec<RoomId>> {
    let customers = Segment {
        rooms: Vec::new(),
        ..segment.clone()
    };
    if customers != Segment::default() {
        return Err(ParseError::new(
            "rooms",
            "invalid_target",
            "a campaign goes to customers or to chat rooms, not both",
        )
        .into());
    }
    // Counted as sent (duplicates too), so a long list is refused before any work.
    if segment.rooms.len() > CAMPAIGN_ROOMS_MAX {
        return Err(ParseError::new(
            "rooms",
            "too_many",
            format!("at most {CAMPAIGN_ROOMS_MAX} rooms"),
        )
        .into());
    }
    let mut rooms: Vec<RoomId> = Vec::new();
    for r in &segment.rooms {
        if !rooms.contains(r) {
            rooms.push(*r);
        }
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
    let staff = svc
        .store
        .staff_get(access.org(), access.account())
        .await?
        .ok_or(ReachError::NotStaff)?;
    for t in &found {
        if body(message.0, message.1, t, &staff.display_name)
            .chars()
            .count()
            > MESSAGE_MAX_CHARS
        {
            return Err(ParseError::new(
                "template",
                "too_long",
                format!(
                    "in a room the message and its link are at most {MESSAGE_MAX_CHARS} characters"
                ),
            )
            .into());
        }
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
        .plan_rooms(c.org_id, c.id, author, &c.segment.rooms, day)
        .await?)
}

/// The message a room reads: `{{name}}` is its circle (it speaks to all of it),
/// then the link card's title and address.
fn body(template: &Template, link: Option<&LinkCard>, room: &RoomTarget, staff: &str) -> String {
    let mut body = template.render(&room.circle_name, staff);
    if let Some(l) = link {
        body.push_str(&format!("\n\n{}\n{}", l.title, l.url));
    }
    body
}

/// A room campaign's rooms and what became of each.
pub(super) async fn of(svc: &Services, c: &CampaignRecord) -> Result<Vec<CampaignRoom>> {
    if !to_rooms(&c.segment) {
        return Ok(Vec::new());
    }
    Ok(svc.store.campaign_rooms(c.org_id, c.id).await?)
}

/// Whether quiet hours hold room messages now: how long until they end.
pub(super) async fn quiet_for(
    svc: &Services,
    c: &CampaignRecord,
) -> Result<Option<std::time::Duration>> {
    let now = svc.clock.now();
    Ok(policy_now(svc, c.org_id).await?.quiet_until(now).map(|t| {
        std::time::Duration::from_millis(u64::try_from(t.millis() - now.millis()).unwrap_or(0))
    }))
}

/// What posting a confirmed room campaign needs, read before the share is
/// confirmed so nothing can fail between the two: the template and who posts.
pub(super) struct Posting {
    template: Template,
    staff: String,
    day: String,
}

pub(super) async fn posting(svc: &Services, actor: &Actor, c: &CampaignRecord) -> Result<Posting> {
    let template = Template::parse(&c.template)?;
    let staff = svc
        .store
        .staff_get(c.org_id, actor.account_id())
        .await?
        .ok_or(ReachError::NotStaff)?;
    Ok(Posting {
        template,
        staff: staff.display_name,
        day: day(svc, c.org_id, svc.clock.now()).await?,
    })
}

/// Posts a confirmed room campaign's messages as `actor` (its author), each room
/// once: its day taken first (a room another campaign posted in today ends
/// `room_daily`), then chat's send; a room that refuses the post (the author left
/// its circle, a sensitive word) ends `failed` and gives its day back. Returns how
/// many were posted.
pub(super) async fn post(
    svc: &Services,
    actor: &Actor,
    c: &CampaignRecord,
    p: &Posting,
) -> Result<i64> {
    let mut posted = 0;
    for r in svc.store.campaign_rooms(c.org_id, c.id).await? {
        if r.outcome != "send" || r.message.is_some() {
            continue;
        }
        let room = r.target.room;
        let outcome = if svc.store.take_room_day(c.id, room, &p.day).await? {
            let text = body(&p.template, c.link.as_ref(), &r.target, &p.staff);
            match crate::chat::send(svc, actor, r.target.circle, room, &text, None, None).await {
                Ok(m) => {
                    posted += 1;
                    RoomPost::Posted(m.id)
                }
                Err(e) => {
                    tracing::warn!(error = %e, campaign = %c.id, room = %room, "a room refused its campaign message");
                    RoomPost::Refused
                }
            }
        } else {
            RoomPost::DayTaken
        };
        svc.store
            .room_posted(c.org_id, c.id, room, &p.day, outcome)
            .await?;
    }
    Ok(posted)
}
