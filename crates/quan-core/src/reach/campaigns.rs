//! Campaigns (群发): a template to a segment of customers, planned against the touch
//! ledger, split into one share per staff member, and sent when each staff member
//! confirms their share.
//!
//! The preflight and the plan read the same audience and apply the same verdict
//! ([`quan_domain::touch_verdict`], evaluated in the store so a million customers
//! never leave the database); the plan then takes each touch by a guarded write, so
//! a concurrent campaign that took it first turns a planned send into over-budget
//! instead of passing the limit. With nothing changed between them, the preflight's
//! numbers are the plan's.

use super::error::ReachError;
use super::port::{
    CampaignRecord, CampaignResults, CampaignRoom, CampaignStatus, Channel, Channels, LinkCard,
    MessageKind, PlanCounts, PlanWindow, ReachMessageRecord, RoomTarget, Segment, ShareRecord,
};
use super::{HOLDERS, MANAGERS, Result, policy_now, require};
use crate::Services;
use crate::access::{Actor, OrgAccess};
use crate::events::{announce, new_event};
use crate::page::{Page, PageRequest};
use quan_domain::{
    AccountId, CampaignId, LifecycleStage, OrgId, ParseError, PersonId, ReachMessageId, Scope,
    Template, Timestamp, short_label,
};
use serde_json::json;

/// Persons planned per transaction: large enough that a million customers is a few
/// hundred set-based statements, small enough that a plan holds the write lock for
/// tens of milliseconds at a time.
pub const BATCH: i64 = 10_000;
/// Tags and staff a segment may name, per list.
pub const SEGMENT_LIST_MAX: usize = 20;

/// A campaign as the console composes it.
#[derive(Debug, Clone)]
pub struct NewCampaign {
    pub name: String,
    pub template: String,
    pub segment: Segment,
    pub channels: Channels,
    pub link: Option<LinkCard>,
}

/// An http(s) link with a short title (the link's host when none is given).
fn link_card(l: LinkCard) -> Result<LinkCard> {
    let url = crate::input::web_address(&l.url, "link_url")?;
    let title = crate::input::text(&l.title, "link_title", 80, false)?;
    let title = if title.is_empty() {
        url.host_str().unwrap_or_default().to_owned()
    } else {
        title
    };
    Ok(LinkCard {
        url: url.to_string(),
        title,
    })
}

/// Normalises a segment's tags and checks its stages and bounds.
fn clean(mut s: Segment) -> Result<Segment> {
    for list in [&mut s.tags_all, &mut s.tags_any, &mut s.tags_none] {
        if list.len() > SEGMENT_LIST_MAX {
            return Err(ParseError::new(
                "segment",
                "too_many",
                format!("at most {SEGMENT_LIST_MAX} tags per list"),
            )
            .into());
        }
        let mut out: Vec<String> = Vec::new();
        for t in list.iter() {
            let t = short_label(t, "segment")?;
            if !out.contains(&t) {
                out.push(t);
            }
        }
        *list = out;
    }
    if s.staff.len() > SEGMENT_LIST_MAX {
        return Err(ParseError::new("segment", "too_many", "at most 20 staff members").into());
    }
    for st in &s.stages {
        LifecycleStage::parse(st)?;
    }
    if let (Some(a), Some(b)) = (s.added_from, s.added_to)
        && a >= b
    {
        return Err(ParseError::new(
            "segment",
            "invalid_range",
            "the range ends before it starts",
        )
        .into());
    }
    Ok(s)
}

pub async fn create(svc: &Services, access: &OrgAccess, n: NewCampaign) -> Result<CampaignRecord> {
    require(access, Scope::Write, MANAGERS)?;
    let name = crate::input::text(&n.name, "name", 80, true)?;
    let template = Template::parse(&n.template)?;
    let mut segment = clean(n.segment)?;
    let link = n.link.map(link_card).transpose()?;
    if super::rooms::to_rooms(&segment) {
        let message = (&template, link.as_ref());
        segment.rooms = super::rooms::check(svc, access, &segment, n.channels, message).await?;
    }
    if n.channels.email && svc.outbound.mailer.is_none() {
        return Err(ReachError::ChannelUnavailable("email"));
    }
    if n.channels.webhook && svc.store.endpoint_get(access.org()).await?.is_none() {
        return Err(ReachError::ChannelUnavailable("webhook"));
    }
    if let Some(circle) = segment.circle
        && svc
            .store
            .circle_get(circle)
            .await?
            .is_none_or(|c| c.org_id != access.org())
    {
        return Err(ReachError::NotFound);
    }
    for s in &segment.staff {
        if svc.store.staff_get(access.org(), *s).await?.is_none() {
            return Err(ReachError::NotStaff);
        }
    }
    let c = CampaignRecord {
        id: CampaignId::new(),
        org_id: access.org(),
        name,
        template: template.source().to_owned(),
        segment,
        status: CampaignStatus::Draft,
        created_by: Some(access.account()),
        created_at: svc.clock.now(),
        planned_at: None,
        send_at: None,
        scheduled_for: None,
        counts: PlanCounts::default(),
        channels: n.channels,
        link,
    };
    let ev = new_event(
        svc,
        access.org(),
        "campaign.created",
        format!("campaign:{}", c.id),
        Some(access.account()),
        json!({"name": c.name}),
    );
    svc.store.campaign_insert(&c, &ev).await?;
    announce(svc, &ev).await;
    Ok(c)
}

pub async fn list(
    svc: &Services,
    access: &OrgAccess,
    page: &PageRequest,
) -> Result<Page<CampaignRecord>> {
    require(access, Scope::Read, HOLDERS)?;
    Ok(svc.store.campaign_list(access.org(), page).await?)
}

/// A campaign with its shares and delivery results.
#[derive(Debug, Clone)]
pub struct CampaignDetail {
    pub campaign: CampaignRecord,
    pub shares: Vec<ShareRecord>,
    pub results: CampaignResults,
    /// A room campaign's rooms and what became of each (empty for customers).
    pub rooms: Vec<CampaignRoom>,
}

pub async fn get(svc: &Services, access: &OrgAccess, id: CampaignId) -> Result<CampaignDetail> {
    require(access, Scope::Read, HOLDERS)?;
    let campaign = svc
        .store
        .campaign_get(access.org(), id)
        .await?
        .ok_or(ReachError::NotFound)?;
    let mut results = svc.store.campaign_results(id).await?;
    results.email = svc.store.delivery_tally(id, Channel::Email).await?;
    results.webhook = svc.store.delivery_tally(id, Channel::Webhook).await?;
    Ok(CampaignDetail {
        rooms: super::rooms::of(svc, &campaign).await?,
        shares: svc.store.campaign_shares(id).await?,
        results,
        campaign,
    })
}

/// What a send would do now. For a room campaign, `counts.recipients` are the rooms
/// it would post in and `counts.over_budget` those that had their campaign message
/// that day (they can again at `staff_opens`, the next local day).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Preflight {
    pub counts: PlanCounts,
    /// A room campaign's rooms, each with whether its day is taken.
    pub rooms: Vec<RoomTarget>,
    /// When the messages would show: now, or when quiet hours end.
    pub send_at: Timestamp,
    /// Whether quiet hours hold them until `send_at`.
    pub quiet: bool,
    /// When the over-budget customers can be reached again.
    pub budget_opens: Timestamp,
    /// When those held back by their own week can (next Monday in the org's zone).
    pub week_opens: Timestamp,
    /// When the ones a staff member reached today can be reached again.
    pub staff_opens: Timestamp,
}

/// The window a campaign planned at `at` writes against, and when its messages show.
async fn window(svc: &Services, org: OrgId, at: Timestamp) -> Result<(PlanWindow, Preflight)> {
    let policy = policy_now(svc, org).await?;
    let quiet_end = policy.quiet_until(at);
    let send_at = quiet_end.unwrap_or(at);
    let w = policy.window(send_at);
    let own = policy.own_window(send_at);
    let day = policy.day_window(send_at);
    Ok((
        PlanWindow {
            period: w.key,
            limit: w.limit,
            day: day.0,
            own_period: own.key,
        },
        Preflight {
            counts: PlanCounts::default(),
            rooms: Vec::new(),
            send_at,
            quiet: quiet_end.is_some(),
            budget_opens: w.next_opens,
            week_opens: own.next_opens,
            staff_opens: day.1,
        },
    ))
}

async fn campaign(svc: &Services, access: &OrgAccess, id: CampaignId) -> Result<CampaignRecord> {
    svc.store
        .campaign_get(access.org(), id)
        .await?
        .ok_or(ReachError::NotFound)
}

/// Exactly how many a send now would reach, and why the others would not; for a
/// scheduled campaign, in the budget period and hour it is scheduled for, with the
/// ledger as it stands now.
pub async fn preflight(svc: &Services, access: &OrgAccess, id: CampaignId) -> Result<Preflight> {
    require(access, Scope::Read, MANAGERS)?;
    let c = campaign(svc, access, id).await?;
    let now = svc.clock.now();
    let at = c.scheduled_for.filter(|t| *t > now).unwrap_or(now);
    let (w, mut pre) = window(svc, access.org(), at).await?;
    if super::rooms::to_rooms(&c.segment) {
        (pre.counts, pre.rooms) = super::rooms::counts(svc, &c, &w.day).await?;
        return Ok(pre);
    }
    pre.counts = svc
        .store
        .audience_counts(access.org(), &c.segment, &w)
        .await?;
    Ok(pre)
}

/// Plans a draft (or a scheduled campaign, at once): walks the audience, takes each
/// touch in the ledger, and splits the recipients into staff shares to confirm. A
/// second send is refused.
pub async fn send(svc: &Services, access: &OrgAccess, id: CampaignId) -> Result<CampaignDetail> {
    require(access, Scope::Write, MANAGERS)?;
    let c = campaign(svc, access, id).await?;
    // A room campaign none of whose rooms may post that day would only end "sent"
    // with nothing posted: it stays a draft, to be scheduled for another day.
    if super::rooms::to_rooms(&c.segment) {
        let (w, _) = window(svc, access.org(), svc.clock.now()).await?;
        if super::rooms::counts(svc, &c, &w.day).await?.0.recipients == 0 {
            return Err(ParseError::new(
                "rooms",
                "rooms_all_taken",
                "every room it names already had its campaign message that day",
            )
            .into());
        }
    }
    begin_and_plan(svc, &c, Some(access.account()), false).await?;
    get(svc, access, id).await
}

/// The plan, from whoever starts it: a manager now, or the sweep at the scheduled
/// time (`due`: only if still scheduled and due), on behalf of the campaign's
/// author. Anything that fails after the begin is undone.
async fn begin_and_plan(
    svc: &Services,
    c: &CampaignRecord,
    actor: Option<AccountId>,
    due: bool,
) -> Result<()> {
    let (org, id) = (c.org_id, c.id);
    let now = svc.clock.now();
    let (w, pre) = window(svc, org, now).await?;
    let begun = if due {
        svc.store.campaign_begin_due(org, id, now).await?
    } else {
        svc.store.campaign_begin(org, id, now).await?
    };
    if !begun {
        return Err(ReachError::CampaignState("this campaign was sent already"));
    }
    let planned = async {
        let counts = plan(svc, c, &w).await?;
        let ev = new_event(
            svc,
            org,
            "campaign.planned",
            format!("campaign:{id}"),
            actor,
            json!({"recipients": counts.recipients, "over_budget": counts.over_budget,
                   "staff_daily": counts.staff_daily, "opted_out": counts.opted_out,
                   "routed": counts.routed, "weekly": counts.weekly, "period": w.period}),
        );
        svc.store
            .campaign_planned(org, id, &counts, pre.send_at, &ev)
            .await?;
        Ok::<_, ReachError>(ev)
    }
    .await;
    match planned {
        Ok(ev) => {
            announce(svc, &ev).await;
            Ok(())
        }
        Err(e) => {
            // Ranges committed before the failure took touches: give them back, so
            // the draft can be sent again and no customer's budget is spent on it.
            let ev = new_event(
                svc,
                org,
                "campaign.plan_failed",
                format!("campaign:{id}"),
                actor,
                json!({"name": c.name}),
            );
            match svc.store.campaign_abort(org, id, &w, &ev).await {
                Ok(_) => announce(svc, &ev).await,
                Err(undo) => {
                    tracing::warn!(error = %undo, campaign = %id, "a failed plan was not undone");
                }
            }
            Err(e)
        }
    }
}

/// Walks the audience range by range, then counts what the plan decided.
async fn plan(svc: &Services, c: &CampaignRecord, w: &PlanWindow) -> Result<PlanCounts> {
    if super::rooms::to_rooms(&c.segment) {
        return super::rooms::plan(svc, c, &w.day).await;
    }
    let mut after: Option<PersonId> = None;
    while let Some(end) = svc
        .store
        .plan_range(c.org_id, c.id, &c.segment, w, after, BATCH)
        .await?
    {
        after = Some(end);
    }
    Ok(svc.store.plan_counts(c.org_id, c.id, &c.segment, w).await?)
}

/// The job kind of the minutely sweep that plans scheduled campaigns when due.
pub const SCHEDULED: &str = "reach.campaigns";
/// How far ahead a campaign may be scheduled.
pub const SCHEDULE_MAX_DAYS: i64 = 90;
/// The nearest a campaign may be scheduled: later than the next sweep.
const SCHEDULE_MIN_SECS: i64 = 60;

/// Sets a draft to plan itself at `at` (a minute to 90 days from now); its
/// preflight then counts for that hour. `None` takes the schedule back: a draft
/// again.
pub async fn schedule(
    svc: &Services,
    access: &OrgAccess,
    id: CampaignId,
    at: Option<Timestamp>,
) -> Result<CampaignRecord> {
    require(access, Scope::Write, MANAGERS)?;
    let c = campaign(svc, access, id).await?;
    let now = svc.clock.now();
    if let Some(at) = at
        && (at < now.plus_secs(SCHEDULE_MIN_SECS) || at > now.plus_secs(SCHEDULE_MAX_DAYS * 86_400))
    {
        return Err(ParseError::new(
            "at",
            "invalid_schedule",
            format!("between a minute and {SCHEDULE_MAX_DAYS} days from now"),
        )
        .into());
    }
    let ev = new_event(
        svc,
        access.org(),
        if at.is_some() {
            "campaign.scheduled"
        } else {
            "campaign.unscheduled"
        },
        format!("campaign:{id}"),
        Some(access.account()),
        json!({"name": c.name, "at": at.map(Timestamp::millis)}),
    );
    if !svc
        .store
        .campaign_schedule(access.org(), id, at, &ev)
        .await?
    {
        return Err(ReachError::CampaignState(if at.is_some() {
            "only a draft can be scheduled"
        } else {
            "this campaign is not scheduled"
        }));
    }
    announce(svc, &ev).await;
    campaign(svc, access, id).await
}

/// The sweep: plans every scheduled campaign now due, on behalf of its author. One
/// whose author no longer manages reach in the org is unscheduled (an event says
/// why) rather than sent in their name; one whose plan fails is undone to a draft
/// (`campaign.plan_failed`) and logged.
pub async fn send_due(svc: &Services) -> Result<u64> {
    let mut n = 0;
    for c in svc.store.campaigns_due(svc.clock.now(), 50).await? {
        let manager = match c.created_by {
            Some(a) => svc
                .store
                .staff_get(c.org_id, a)
                .await?
                .is_some_and(|s| MANAGERS.contains(&s.role)),
            None => false,
        };
        if !manager {
            let ev = new_event(
                svc,
                c.org_id,
                "campaign.unscheduled",
                format!("campaign:{}", c.id),
                None,
                json!({"name": c.name, "why": "author_not_manager"}),
            );
            if svc
                .store
                .campaign_schedule(c.org_id, c.id, None, &ev)
                .await?
            {
                announce(svc, &ev).await;
            }
            continue;
        }
        match begin_and_plan(svc, &c, c.created_by, true).await {
            Ok(()) => n += 1,
            Err(e) => {
                tracing::warn!(error = %e, campaign = %c.id, "a scheduled campaign did not plan")
            }
        }
    }
    Ok(n)
}

/// The calling staff member (`actor`, whose `access` it is) confirms their share:
/// its messages go out (shown when quiet hours end, if the plan fell inside them;
/// a room campaign's are posted now, so not inside quiet hours). Returns how many.
pub async fn confirm(
    svc: &Services,
    actor: &Actor,
    access: &OrgAccess,
    id: CampaignId,
) -> Result<i64> {
    require(access, Scope::Write, HOLDERS)?;
    let c = campaign(svc, access, id).await?;
    if c.status == CampaignStatus::Paused {
        return Err(ReachError::CampaignState(
            "this campaign was paused by its negative feedback",
        ));
    }
    if c.status != CampaignStatus::Confirming {
        return Err(ReachError::CampaignState(
            "this campaign has no shares waiting for confirmation",
        ));
    }
    let template = Template::parse(&c.template)?;
    let me = svc
        .store
        .staff_get(access.org(), access.account())
        .await?
        .ok_or(ReachError::NotStaff)?;
    let now = svc.clock.now();
    let visible_at = c.send_at.filter(|t| *t > now).unwrap_or(now);
    let has_share = svc
        .store
        .campaign_shares(id)
        .await?
        .iter()
        .any(|s| s.staff_id == access.account());
    if !has_share {
        return Err(ReachError::CampaignState(
            "you have no share in this campaign",
        ));
    }
    if super::rooms::to_rooms(&c.segment) {
        return confirm_rooms(svc, actor, access, &c).await;
    }
    // Customers who left or opted out since the plan are skipped here.
    let recipients = svc.store.share_recipients(id, access.account()).await?;
    let messages: Vec<ReachMessageRecord> = recipients
        .iter()
        .map(|r| {
            let mid = ReachMessageId::new();
            let mut body = template.render(&r.name, &me.display_name);
            if let Some(l) = &c.link {
                // The card's address is the message's own, so a click is counted
                // once for it wherever the message went (app, e-mail, webhook).
                body.push_str(&format!(
                    "\n\n{}\n{}",
                    l.title,
                    super::delivery::click_url(svc, mid)
                ));
            }
            (mid, body, r)
        })
        .map(|(mid, body, r)| ReachMessageRecord {
            id: mid,
            org_id: access.org(),
            contact_id: r.contact,
            from_staff: true,
            kind: MessageKind::Campaign,
            body,
            campaign_id: Some(id),
            dedupe: Some(format!("campaign:{id}:{}", r.person)),
            created_at: now,
            visible_at,
            read_at: None,
        })
        .collect();
    let ev = new_event(
        svc,
        access.org(),
        "campaign.share_confirmed",
        format!("campaign:{id}"),
        Some(access.account()),
        json!({"messages": messages.len()}),
    );
    if !svc
        .store
        .share_confirm(access.org(), id, access.account(), &messages, now, &ev)
        .await?
    {
        let paused = campaign(svc, access, id).await?.status == CampaignStatus::Paused;
        return Err(ReachError::CampaignState(if paused {
            "this campaign was paused by its negative feedback"
        } else {
            "you confirmed your share already"
        }));
    }
    announce(svc, &ev).await;
    if c.channels.email || c.channels.webhook {
        super::delivery::kick(svc, &format!("{id}:{}", access.account())).await;
    }
    // Live in each customer's open conversation, unless quiet hours hold them.
    if visible_at <= now {
        for (r, m) in recipients.iter().zip(&messages) {
            if let Some(a) = r.account {
                super::conversations::push_message(svc, &[a], m).await;
            }
        }
    }
    Ok(i64::try_from(messages.len()).unwrap_or(i64::MAX))
}

/// A room campaign's share confirmed, once, outside quiet hours; then its rooms
/// are posted in.
async fn confirm_rooms(
    svc: &Services,
    actor: &Actor,
    access: &OrgAccess,
    c: &CampaignRecord,
) -> Result<i64> {
    if let Some(retry_after) = super::rooms::quiet_for(svc, c).await? {
        return Err(ReachError::QuietHours { retry_after });
    }
    let posting = super::rooms::posting(svc, actor, c).await?;
    let now = svc.clock.now();
    let ev = new_event(
        svc,
        access.org(),
        "campaign.share_confirmed",
        format!("campaign:{}", c.id),
        Some(access.account()),
        json!({"rooms": c.segment.rooms.len()}),
    );
    if !svc
        .store
        .share_confirm(access.org(), c.id, access.account(), &[], now, &ev)
        .await?
    {
        return Err(ReachError::CampaignState(
            "you confirmed your share already",
        ));
    }
    announce(svc, &ev).await;
    super::rooms::post(svc, actor, c, &posting).await
}

/// A customer left a staff member or opted out: the latest message or moment that
/// `blame` allows and they were shown in the prior 48 h takes the blame, once. If
/// that puts a campaign's negatives in its first hour at the org's threshold, it
/// pauses (no further shares go out) and whoever composed it is told.
pub(crate) async fn negative(
    svc: &Services,
    org: quan_domain::OrgId,
    person: PersonId,
    kind: &str,
    blame: &super::port::Blame,
) -> Result<()> {
    let now = svc.clock.now();
    let since = now.plus_secs(-quan_domain::NEGATIVE_WINDOW_HOURS * 3600);
    let first_hour = quan_domain::PAUSE_WINDOW_MINUTES * 60_000;
    let Some(hit) = svc
        .store
        .negative_record(org, person, kind, blame, (since, now), first_hour)
        .await?
    else {
        return Ok(());
    };
    let bp = policy_now(svc, org).await?.negative_pause_bp;
    if !hit.in_first_hour || !quan_domain::should_pause(hit.early, hit.delivered, bp) {
        return Ok(());
    }
    let ev = new_event(
        svc,
        org,
        "campaign.paused",
        format!("campaign:{}", hit.campaign),
        None,
        json!({"negatives": hit.early, "delivered": hit.delivered, "threshold_bp": bp}),
    );
    if svc.store.campaign_pause(org, hit.campaign, &ev).await? {
        announce(svc, &ev).await;
        if let Some(owner) = hit.created_by {
            crate::notify::send(
                svc,
                vec![crate::notify::Note {
                    to: owner,
                    kind: quan_domain::NotifyKind::Campaign,
                    circle: None,
                    post: None,
                    actor_name: String::new(),
                    body: hit.name,
                }],
                quan_domain::AccountId::new(),
            )
            .await;
        }
    }
    Ok(())
}
