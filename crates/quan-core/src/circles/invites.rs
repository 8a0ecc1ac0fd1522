//! Circle invite links: a label for channel attribution, max uses and expiry; accepting
//! one joins past the circle's join policy (never past a ban, the paid policy, or into
//! an internal circle from outside the org).

use crate::Services;
use crate::access::{Actor, require_scope, view};
use crate::circles::CircleError;
use crate::circles::event;
use crate::circles::port::{
    CircleInviteOutcome, CircleInviteRecord, CircleMemberRecord, CircleRecord, MemberStatus,
};
use crate::events::announce;
use crate::input::text;
use crate::moderation::guard::ensure_not_banned;
use crate::secrets::{digest, random_secret};
use quan_domain::{
    CircleId, CircleInviteId, CircleMode, CircleRole, JoinPolicy, MemberTypes, ParseError, Scope,
};
use serde_json::json;

type Result<T, E = CircleError> = std::result::Result<T, E>;

/// Bounds on circle invite links.
pub const INVITE_MAX_USES: i64 = 10_000;

pub const INVITE_MAX_TTL_HOURS: i64 = 24 * 365;

pub const LABEL_MAX: usize = 60;

#[derive(Debug)]
pub struct NewCircleInvite {
    pub label: String,
    pub max_uses: i64,
    pub ttl_hours: i64,
}

impl NewCircleInvite {
    pub fn parse(
        label: Option<&str>,
        max_uses: Option<i64>,
        ttl_hours: Option<i64>,
    ) -> Result<Self, ParseError> {
        let max_uses = max_uses.unwrap_or(100);
        if !(1..=INVITE_MAX_USES).contains(&max_uses) {
            return Err(ParseError::new(
                "max_uses",
                "out_of_range",
                format!("1 to {INVITE_MAX_USES}"),
            ));
        }
        let ttl_hours = ttl_hours.unwrap_or(24 * 7);
        if !(1..=INVITE_MAX_TTL_HOURS).contains(&ttl_hours) {
            return Err(ParseError::new(
                "ttl_hours",
                "out_of_range",
                format!("1 to {INVITE_MAX_TTL_HOURS}"),
            ));
        }
        Ok(Self {
            label: text(label.unwrap_or(""), "label", LABEL_MAX, false)?,
            max_uses,
            ttl_hours,
        })
    }
}

/// Creates an invite link (circle admins, org owners/admins); the code is shown once.
pub async fn create_invite(
    svc: &Services,
    actor: &Actor,
    circle: CircleId,
    n: NewCircleInvite,
) -> Result<(CircleInviteRecord, String)> {
    require_scope(actor, Scope::Write)?;
    let v = view(svc, actor, circle).await?;
    if !v.can_admin() {
        return Err(CircleError::Forbidden);
    }
    let code = random_secret("", 12);
    let now = svc.clock.now();
    let rec = CircleInviteRecord {
        id: CircleInviteId::new(),
        circle_id: circle,
        code_hash: digest(&code),
        label: n.label,
        created_by: actor.account_id(),
        created_at: now,
        expires_at: now.plus_secs(n.ttl_hours * 3600),
        max_uses: n.max_uses,
        uses: 0,
        revoked_at: None,
    };
    let ev = event(
        svc,
        &v.circle,
        "circle.invite_created",
        actor.account_id(),
        json!({"invite": rec.id.to_string(), "label": rec.label, "max_uses": rec.max_uses}),
    );
    svc.store.circle_invite_insert(&rec, &ev).await?;
    announce(svc, &ev).await;
    Ok((rec, code))
}

pub async fn list_invites(
    svc: &Services,
    actor: &Actor,
    circle: CircleId,
) -> Result<Vec<CircleInviteRecord>> {
    let v = view(svc, actor, circle).await?;
    if !v.can_admin() {
        return Err(CircleError::Forbidden);
    }
    Ok(svc.store.circle_invite_list(circle).await?)
}

pub async fn revoke_invite(
    svc: &Services,
    actor: &Actor,
    circle: CircleId,
    id: CircleInviteId,
) -> Result<()> {
    require_scope(actor, Scope::Write)?;
    let v = view(svc, actor, circle).await?;
    if !v.can_admin() {
        return Err(CircleError::Forbidden);
    }
    if svc
        .store
        .circle_invite_revoke(circle, id, svc.clock.now())
        .await?
    {
        Ok(())
    } else {
        Err(CircleError::NotFound)
    }
}

/// The circle an invite code leads to, for the page shown before joining. The code
/// is the capability: whoever holds a usable one may see the circle's name.
pub async fn preview_invite(
    svc: &Services,
    code: &str,
) -> Result<(CircleRecord, CircleInviteRecord)> {
    if code.is_empty() || code.len() > 64 {
        return Err(CircleError::InviteInvalid);
    }
    let inv = svc
        .store
        .circle_invite_by_code_hash(&digest(code))
        .await?
        .filter(|i| i.usable(svc.clock.now()))
        .ok_or(CircleError::InviteInvalid)?;
    let c = svc
        .store
        .circle_get(inv.circle_id)
        .await?
        .ok_or(CircleError::InviteInvalid)?;
    Ok((c, inv))
}

/// Joins by invite: the link admits past open/approval/invite policies; it does not
/// admit outsiders to an internal circle, a banned member, or past a paywall.
pub async fn accept_invite(svc: &Services, actor: &Actor, code: &str) -> Result<CircleRecord> {
    let Actor::Session { .. } = actor else {
        // Joining is a person's own act, not an integration's.
        return Err(CircleError::Forbidden);
    };
    let (c, inv) = preview_invite(svc, code).await?;
    let account = svc
        .store
        .account_get(actor.account_id())
        .await?
        .ok_or(CircleError::NotFound)?;
    let staff = svc.store.staff_get(c.org_id, account.id).await?;
    if c.mode == CircleMode::Internal && staff.is_none() {
        return Err(CircleError::OrgMembersOnly);
    }
    if c.join_policy == JoinPolicy::Paid {
        return Err(CircleError::PaymentRequired);
    }
    ensure_not_banned(svc, c.id, account.id).await?;
    let now = svc.clock.now();
    let person =
        crate::persons::person_for(svc, c.org_id, &crate::access::Me::from(&account)).await?;
    let m = CircleMemberRecord {
        circle_id: c.id,
        account_id: account.id,
        person_id: person.id,
        display_name: person.display_name,
        role: CircleRole::Member,
        status: MemberStatus::Active,
        types: MemberTypes::MEMBER,
        joined_at: now,
        role_since: now,
    };
    let ev = event(
        svc,
        &c,
        "circle.joined",
        account.id,
        json!({"display_name": m.display_name, "invite": inv.id.to_string(), "label": inv.label}),
    );
    match svc.store.circle_invite_accept(inv.id, &m, &ev).await? {
        CircleInviteOutcome::Joined | CircleInviteOutcome::Approved => {
            crate::access::views_changed(svc, c.id).await;
            announce(svc, &ev).await;
            Ok(c)
        }
        CircleInviteOutcome::AlreadyMember => Err(CircleError::AlreadyMember),
        CircleInviteOutcome::Invalid => Err(CircleError::InviteInvalid),
    }
}
