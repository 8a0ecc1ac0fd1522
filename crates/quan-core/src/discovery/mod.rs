//! Discovery across public circles (PRODUCT.md §2): a quality score per circle,
//! recomputed in batches by the hourly `circles.quality` job; a staff review gate
//! before a circle is boosted (a circle admin asks, the org's owners or admins
//! decide); and a public log of every boost decision.

mod error;
pub mod port;

pub use error::DiscoveryError;

use crate::Services;
use crate::access::{Actor, OrgAccess, require_scope, view};
use crate::circles::port::CircleRecord;
use crate::discovery::port::BoostLogRecord;
use crate::input::text;
use quan_domain::{
    AccountId, BoostStatus, CircleId, ModLogId, ParseError, Role, Scope, Timestamp, parse_tag,
    quality_score,
};

type Result<T, E = DiscoveryError> = std::result::Result<T, E>;

/// Circles scored per run, and listed in discovery, at most.
pub const QUALITY_BATCH: i64 = 10_000;
pub const DISCOVER_LIMIT: i64 = 100;

/// Recomputes every public circle's quality; returns how many were scored.
pub async fn recompute(svc: &Services) -> Result<u64> {
    let inputs = svc
        .store
        .quality_inputs(svc.clock.now(), QUALITY_BATCH)
        .await?;
    let scores: Vec<(CircleId, f64)> = inputs
        .iter()
        .map(|i| {
            (
                i.circle,
                quality_score(i.rank_sum, i.month, i.week, i.prev_week),
            )
        })
        .collect();
    let n = svc.store.quality_set(&scores).await?;
    // Cached circle views carry the old scores.
    crate::access::cache::evict(
        &svc.auth,
        svc.bus.as_ref(),
        crate::access::cache::Eviction::AllViews,
    )
    .await;
    Ok(n)
}

/// Public circles for anyone signed in: boosted ones first, then by quality.
/// Public circles to discover, optionally only those with a tag (normalised as
/// circle tags are; an empty tag means all).
pub async fn discover(
    svc: &Services,
    actor: &Actor,
    tag: Option<&str>,
) -> Result<Vec<CircleRecord>> {
    require_scope(actor, Scope::Read)?;
    let tag = match tag.map(str::trim).filter(|t| !t.is_empty()) {
        Some(t) => Some(parse_tag(t)?),
        None => None,
    };
    let all = svc.store.discover(tag.as_deref(), DISCOVER_LIMIT).await?;
    Ok(match actor {
        // A token sees its own org's circles only.
        Actor::Token { org, .. } => all.into_iter().filter(|c| c.org_id == *org).collect(),
        Actor::Session { .. } => all,
    })
}

fn entry(
    c: &CircleRecord,
    action: &str,
    by: AccountId,
    reason: &str,
    now: Timestamp,
) -> BoostLogRecord {
    BoostLogRecord {
        id: ModLogId::new(),
        org_id: c.org_id,
        circle_id: c.id,
        circle_name: c.name.clone(),
        action: action.to_owned(),
        account_id: Some(by),
        reason: reason.to_owned(),
        at: now,
    }
}

/// A circle's admins ask for a boost (public circles only).
pub async fn request(svc: &Services, actor: &Actor, circle: CircleId, reason: &str) -> Result<()> {
    require_scope(actor, Scope::Write)?;
    let reason = text(reason, "reason", 500, false)?;
    let v = view(svc, actor, circle).await?;
    if !v.can_admin() {
        return Err(DiscoveryError::Forbidden);
    }
    if !v.circle.public || !v.circle.mode.may_be_public() {
        return Err(
            ParseError::new("circle", "not_public", "only public circles are boosted").into(),
        );
    }
    let log = entry(&v.circle, "requested", v.viewer, &reason, svc.clock.now());
    if svc
        .store
        .boost_set(
            circle,
            &[BoostStatus::None, BoostStatus::Rejected],
            BoostStatus::Pending,
            &log,
        )
        .await?
    {
        crate::access::views_changed(svc, circle).await;
        Ok(())
    } else {
        Err(DiscoveryError::BoostConflict(
            "this circle is already waiting or boosted",
        ))
    }
}

/// The org's owners and admins decide: approve or reject a waiting request, or
/// withdraw a boost.
/// Who decides which circles are featured: owners and admins (the console offers
/// the buttons to them only).
pub fn may_decide(access: &OrgAccess) -> bool {
    matches!(access.role(), Role::Owner | Role::Admin)
}

pub async fn decide(
    svc: &Services,
    access: &OrgAccess,
    circle: CircleId,
    to: BoostStatus,
    reason: &str,
) -> Result<()> {
    access
        .require_scope(Scope::Admin)
        .map_err(|_| DiscoveryError::MissingScope("admin"))?;
    if !may_decide(access) {
        return Err(DiscoveryError::Forbidden);
    }
    let reason = text(reason, "reason", 500, false)?;
    let c = svc
        .store
        .circle_get(circle)
        .await?
        .filter(|c| c.org_id == access.org())
        .ok_or(DiscoveryError::NotFound)?;
    let (from, action): (&[BoostStatus], &str) = match to {
        BoostStatus::Approved => (&[BoostStatus::Pending], "approved"),
        BoostStatus::Rejected => (&[BoostStatus::Pending], "rejected"),
        BoostStatus::None => (&[BoostStatus::Approved, BoostStatus::Pending], "withdrawn"),
        BoostStatus::Pending => {
            return Err(ParseError::new(
                "decision",
                "invalid_decision",
                "approved, rejected or none",
            )
            .into());
        }
    };
    let log = entry(&c, action, access.account(), &reason, svc.clock.now());
    if svc.store.boost_set(circle, from, to, &log).await? {
        crate::access::views_changed(svc, circle).await;
        Ok(())
    } else {
        Err(DiscoveryError::BoostConflict(
            "nothing to decide: the circle is not waiting or boosted",
        ))
    }
}

/// The public boost log, newest first.
pub async fn log(svc: &Services, actor: &Actor) -> Result<Vec<BoostLogRecord>> {
    require_scope(actor, Scope::Read)?;
    let all = svc.store.boost_log(200).await?;
    Ok(match actor {
        Actor::Token { org, .. } => all.into_iter().filter(|l| l.org_id == *org).collect(),
        Actor::Session { .. } => all,
    })
}
