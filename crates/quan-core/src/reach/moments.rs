//! Moments (朋友圈): a staff member posts to their customers; each customer's feed
//! holds the moments of the staff members they are a contact of, limited by tags
//! and capped per local day across staff ([`quan_domain::cap_per_day`]). A
//! customer's like or comment is seen by the moment's author and the customer, no
//! one else: customers never see each other, unlike a circle's feed.

use super::error::ReachError;
use super::port::{MomentComment, MomentRecord};
use super::{HOLDERS, MANAGERS, Result, policy_now, require};
use crate::Services;
use crate::access::{Actor, OrgAccess, require_scope};
use crate::events::{announce, new_event};
use crate::page::{Page, PageRequest};
use quan_domain::{
    MOMENT_BODY_MAX, MOMENT_COMMENT_MAX, MOMENT_DAILY_CAP, MOMENT_FEED_DAYS, MOMENT_TAGS_MAX,
    MomentCommentId, MomentId, OrgId, ParseError, PersonId, Scope, cap_per_day, moment_visible,
    short_label,
};
use serde_json::json;

/// Comments per customer per moment within [`COMMENT_WINDOW`].
pub const COMMENT_LIMIT: u32 = 5;
pub const COMMENT_WINDOW: std::time::Duration = std::time::Duration::from_secs(60);

/// A moment as the console composes it.
#[derive(Debug, Clone)]
pub struct NewMoment {
    pub body: String,
    pub tags: Vec<String>,
}

/// A staff member posts a moment to their customers.
pub async fn post(svc: &Services, access: &OrgAccess, n: NewMoment) -> Result<MomentRecord> {
    require(access, Scope::Write, HOLDERS)?;
    let body = crate::input::text(&n.body, "body", MOMENT_BODY_MAX, true)?;
    if n.tags.len() > MOMENT_TAGS_MAX {
        return Err(ParseError::new(
            "tags",
            "too_many",
            format!("at most {MOMENT_TAGS_MAX} tags"),
        )
        .into());
    }
    let mut tags: Vec<String> = Vec::new();
    for t in &n.tags {
        let t = short_label(t, "tags")?;
        if !tags.contains(&t) {
            tags.push(t);
        }
    }
    let me = svc
        .store
        .staff_get(access.org(), access.account())
        .await?
        .ok_or(ReachError::NotStaff)?;
    let m = MomentRecord {
        id: MomentId::new(),
        org_id: access.org(),
        staff_id: access.account(),
        staff_name: me.display_name,
        body,
        tags,
        created_at: svc.clock.now(),
        likes: 0,
        comments: 0,
        views: 0,
        negatives: 0,
    };
    let ev = new_event(
        svc,
        access.org(),
        "moment.posted",
        format!("moment:{}", m.id),
        Some(access.account()),
        json!({"tags": m.tags}),
    );
    svc.store.moment_insert(&m, &ev).await?;
    announce(svc, &ev).await;
    Ok(m)
}

/// The caller's own moments, newest first.
pub async fn list(
    svc: &Services,
    access: &OrgAccess,
    page: &PageRequest,
) -> Result<Page<MomentRecord>> {
    require(access, Scope::Read, HOLDERS)?;
    Ok(svc
        .store
        .moments_list(access.org(), Some(access.account()), page)
        .await?)
}

/// A moment with its likes and comments: only its author sees them.
#[derive(Debug, Clone)]
pub struct MomentDetail {
    pub moment: MomentRecord,
    pub likes: Vec<(PersonId, String, quan_domain::Timestamp)>,
    pub comments: Vec<MomentComment>,
}

pub async fn get(svc: &Services, access: &OrgAccess, id: MomentId) -> Result<MomentDetail> {
    require(access, Scope::Read, HOLDERS)?;
    let moment = svc
        .store
        .moment_get(access.org(), id)
        .await?
        .filter(|m| m.staff_id == access.account())
        .ok_or(ReachError::NotFound)?;
    let (likes, comments) = svc.store.moment_reactions(id).await?;
    Ok(MomentDetail {
        moment,
        likes,
        comments,
    })
}

/// Its author, or a manager, takes a moment down.
pub async fn delete(svc: &Services, access: &OrgAccess, id: MomentId) -> Result<()> {
    require(access, Scope::Write, HOLDERS)?;
    let m = svc
        .store
        .moment_get(access.org(), id)
        .await?
        .ok_or(ReachError::NotFound)?;
    if m.staff_id != access.account() && !MANAGERS.contains(&access.role()) {
        return Err(ReachError::Forbidden);
    }
    let ev = new_event(
        svc,
        access.org(),
        "moment.deleted",
        format!("moment:{id}"),
        Some(access.account()),
        json!({}),
    );
    if svc
        .store
        .moment_delete(access.org(), id, svc.clock.now(), &ev)
        .await?
    {
        announce(svc, &ev).await;
    }
    Ok(())
}

/// One moment in a customer's feed, with what they did with it.
#[derive(Debug, Clone)]
pub struct FeedMoment {
    pub moment: MomentRecord,
    pub org_name: String,
    pub liked: bool,
    /// Their own comments, oldest first.
    pub mine: Vec<MomentComment>,
}

/// A person's moments in one org: their staff's, the ones their tags let them see,
/// at most the daily cap per local day, newest first.
async fn person_feed(svc: &Services, org: OrgId, person: PersonId) -> Result<Vec<MomentRecord>> {
    if !svc.store.consent_get(org, person).await?.moments {
        return Ok(Vec::new());
    }
    let since = svc.clock.now().plus_secs(-MOMENT_FEED_DAYS * 86_400);
    let tags = svc.store.person_tags(person).await?;
    let seen: Vec<_> = svc
        .store
        .moments_for_person(org, person, since)
        .await?
        .into_iter()
        .filter(|m| moment_visible(&m.tags, &tags))
        .map(|m| (m.created_at, m))
        .collect();
    let policy = policy_now(svc, org).await?;
    Ok(cap_per_day(seen, &policy, MOMENT_DAILY_CAP)
        .into_iter()
        .map(|(_, m)| m)
        .collect())
}

/// The member app's moments: from every org the caller is a customer of, newest
/// first.
pub async fn feed(svc: &Services, actor: &Actor) -> Result<Vec<FeedMoment>> {
    require_scope(actor, Scope::Read)?;
    let mut out = Vec::new();
    for (person, org, org_name) in svc.store.persons_of_account(actor.account_id()).await? {
        let moments = person_feed(svc, org, person).await?;
        let ids: Vec<MomentId> = moments.iter().map(|m| m.id).collect();
        // Shown is reached: what a deletion in the next 48 h may be blamed on. The
        // feed is still read when the record cannot be written.
        if let Err(e) = svc
            .store
            .moment_views_record(person, &ids, svc.clock.now())
            .await
        {
            tracing::warn!(error = %e, "moment views not recorded");
        }
        let (liked, mine) = svc.store.moment_mine(&ids, person).await?;
        out.extend(moments.into_iter().map(|m| {
            FeedMoment {
                liked: liked.contains(&m.id),
                mine: mine
                    .iter()
                    .filter(|c| c.moment_id == m.id)
                    .cloned()
                    .collect(),
                org_name: org_name.clone(),
                moment: m,
            }
        }));
    }
    out.sort_by_key(|f| std::cmp::Reverse(f.moment.created_at));
    Ok(out)
}

/// The caller's person for a moment in their feed, or not found.
async fn reader(svc: &Services, actor: &Actor, id: MomentId) -> Result<(MomentRecord, PersonId)> {
    for (person, org, _) in svc.store.persons_of_account(actor.account_id()).await? {
        if let Some(m) = person_feed(svc, org, person)
            .await?
            .into_iter()
            .find(|m| m.id == id)
        {
            return Ok((m, person));
        }
    }
    Err(ReachError::NotFound)
}

/// Likes or unlikes a moment in the caller's feed.
pub async fn like(svc: &Services, actor: &Actor, id: MomentId, on: bool) -> Result<()> {
    require_scope(actor, Scope::Write)?;
    let (m, person) = reader(svc, actor, id).await?;
    // On the moment's subject and not announced to the org: who liked a moment is
    // its author's to know, not every staff member's who opens the customer.
    let ev = new_event(
        svc,
        m.org_id,
        "moment.liked",
        format!("moment:{}", m.id),
        Some(actor.account_id()),
        json!({}),
    );
    svc.store
        .moment_like(m.id, person, on, svc.clock.now(), &ev)
        .await?;
    Ok(())
}

/// Comments on a moment in the caller's feed; only its author will see it.
pub async fn comment(
    svc: &Services,
    actor: &Actor,
    id: MomentId,
    raw: &str,
) -> Result<MomentComment> {
    require_scope(actor, Scope::Write)?;
    let body = crate::input::text(raw, "body", MOMENT_COMMENT_MAX, true)?;
    let (m, person) = reader(svc, actor, id).await?;
    // Each comment is a row the author reads: at most a few a minute per moment.
    let key = format!("moment:{}:{}", m.id, actor.account_id());
    if let crate::ports::RateDecision::Limited { retry_after } = svc
        .limiter
        .hit(&key, COMMENT_LIMIT, COMMENT_WINDOW)
        .await
        .map_err(|e| ReachError::Internal(Box::new(e)))?
    {
        return Err(ReachError::RateLimited { retry_after });
    }
    // The name the org knows them by, as every later read of the comment shows it.
    let me = svc
        .store
        .person_get(m.org_id, person)
        .await?
        .ok_or(ReachError::NotFound)?;
    let c = MomentComment {
        id: MomentCommentId::new(),
        moment_id: m.id,
        person_id: person,
        person_name: me.display_name,
        body,
        created_at: svc.clock.now(),
    };
    let ev = new_event(
        svc,
        m.org_id,
        "moment.commented",
        format!("moment:{}", m.id),
        Some(actor.account_id()),
        json!({}),
    );
    svc.store.moment_comment_insert(&c, &ev).await?;
    Ok(c)
}
