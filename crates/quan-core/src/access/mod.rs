//! Access: who is calling, and what they may reach. Every capability goes through
//! these gates and nothing else decides them.
//!
//! - [`org_access`] is the one gate to an org's data: `NotFound` unless the caller is
//!   staff of the org (a token: only its own org).
//! - [`view`] is the one gate to a circle: active members, staff of its org, and —
//!   if it is public and not internal — anyone signed in. Everyone else gets
//!   `NotFound`, so a private circle's existence does not leak.
//! - [`outranks`] and [`require_moderator`] say who may act on whom inside a circle.
//!
//! Their inputs are cached for a moment in [`cache`] and evicted on every change.

pub mod cache;

use crate::Services;
use crate::circles::port::{CircleMemberRecord, CircleRecord, MemberStatus, ViewerQuirks};
use crate::identity::port::AccountRecord;
use crate::moderation::port::SanctionRecord;
use crate::ports::StoreError;
use quan_domain::{
    AccountId, CircleId, CircleRole, OrgId, Role, Scope, Scopes, SessionId, Standing, TokenId,
};

/// Why a gate refused. Each capability's error enum converts from it, so a use case
/// writes `view(svc, actor, id).await?` and gets its own error type.
#[derive(Debug, thiserror::Error)]
pub enum AccessError {
    #[error("not found")]
    NotFound,
    #[error("your role does not allow this")]
    Forbidden,
    #[error("this token lacks the {0} scope")]
    MissingScope(&'static str),
    #[error("join the circle first")]
    NotMember,
    #[error("internal error")]
    Internal(#[source] Box<dyn std::error::Error + Send + Sync>),
}

impl From<StoreError> for AccessError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::NotFound => AccessError::NotFound,
            other => AccessError::Internal(Box::new(other)),
        }
    }
}

/// The two conversions every capability's error enum needs, written once: a store's
/// `NotFound` and every gate refusal keep their meaning, anything else is internal.
/// The enum has `NotFound`, `Forbidden`, `MissingScope(&'static str)` and
/// `Internal(Box<dyn Error + Send + Sync>)`, and the variant a `NotMember` refusal
/// becomes (`NotMember` unless named: persons answer outsiders `NotFound`).
macro_rules! gate_refusals {
    ($err:ident) => {
        $crate::access::gate_refusals!($err, NotMember);
    };
    ($err:ident, $not_member:ident) => {
        impl From<$crate::ports::StoreError> for $err {
            fn from(e: $crate::ports::StoreError) -> Self {
                match e {
                    $crate::ports::StoreError::NotFound => Self::NotFound,
                    other => Self::Internal(Box::new(other)),
                }
            }
        }

        impl From<$crate::access::AccessError> for $err {
            fn from(e: $crate::access::AccessError) -> Self {
                use $crate::access::AccessError as A;
                match e {
                    A::NotFound => Self::NotFound,
                    A::Forbidden => Self::Forbidden,
                    A::MissingScope(s) => Self::MissingScope(s),
                    A::NotMember => Self::$not_member,
                    A::Internal(e) => Self::Internal(e),
                }
            }
        }
    };
}
pub(crate) use gate_refusals;

type Result<T, E = AccessError> = std::result::Result<T, E>;

/// Who is calling: a signed-in account (web session) or an integration's API token.
#[derive(Debug, Clone)]
pub enum Actor {
    Session {
        account: Me,
        session: SessionId,
    },
    Token {
        token: TokenId,
        account: AccountId,
        org: OrgId,
        scopes: Scopes,
    },
}

impl Actor {
    pub fn account_id(&self) -> AccountId {
        match self {
            Actor::Session { account, .. } => account.id,
            Actor::Token { account, .. } => *account,
        }
    }

    /// The account as its session read it (a token carries only its id).
    pub fn me(&self) -> Option<&Me> {
        match self {
            Actor::Session { account, .. } => Some(account),
            Actor::Token { .. } => None,
        }
    }
}

/// Proof that the caller is staff of `org`, with their role and, for tokens, scopes.
/// Only [`org_access`] constructs it.
#[derive(Debug, Clone)]
pub struct OrgAccess {
    org: OrgId,
    account: AccountId,
    role: Role,
    scopes: Option<Scopes>,
}

impl OrgAccess {
    pub fn org(&self) -> OrgId {
        self.org
    }
    pub fn account(&self) -> AccountId {
        self.account
    }
    pub fn role(&self) -> Role {
        self.role
    }
    /// Tokens need the scope; sessions have every scope their role allows.
    pub fn require_scope(&self, s: Scope) -> Result<()> {
        match &self.scopes {
            Some(scopes) if !scopes.contains(s) => Err(AccessError::MissingScope(s.as_str())),
            _ => Ok(()),
        }
    }
    pub fn require(&self, scope: Scope, allowed: bool) -> Result<()> {
        self.require_scope(scope)?;
        if allowed {
            Ok(())
        } else {
            Err(AccessError::Forbidden)
        }
    }
}

/// The one gate to an org's data: NotFound unless the actor is its staff (and, for a
/// token, the token was issued for this org).
pub async fn org_access(svc: &Services, actor: &Actor, org: OrgId) -> Result<OrgAccess> {
    let scopes = match actor {
        Actor::Token {
            org: token_org,
            scopes,
            ..
        } => {
            if *token_org != org {
                return Err(AccessError::NotFound);
            }
            Some(scopes.clone())
        }
        Actor::Session { .. } => None,
    };
    let account = actor.account_id();
    let role = match svc.auth.role(org, account) {
        Some(role) => role,
        None => {
            let staff = svc
                .store
                .staff_get(org, account)
                .await?
                .ok_or(AccessError::NotFound)?;
            svc.auth.put_role(org, account, staff.role);
            staff.role
        }
    };
    Ok(OrgAccess {
        org,
        account,
        role,
        scopes,
    })
}

/// A circle as the caller may see it, with the caller's standing in it.
#[derive(Debug, Clone)]
pub struct CircleView {
    pub circle: CircleRecord,
    pub membership: Option<CircleMemberRecord>,
    /// The caller is staff of the circle's org.
    pub org_role: Option<Role>,
    /// Who this view was computed for: a `CircleView` is proof that this account
    /// may see the circle, so follow-up reads (`feed_of`, `leaderboard_of`) take it
    /// instead of running the gate again.
    pub viewer: AccountId,
    /// The viewer's history window (days) and whether they have posts hidden for
    /// review here: either makes their feed differ from the plain one.
    pub quirks: ViewerQuirks,
    /// The member's mutes and bans in force when the view was read (setting or
    /// lifting one evicts the view; expiry is checked against the clock at use).
    pub sanctions: Vec<SanctionRecord>,
}

impl CircleView {
    /// Whether this viewer sees exactly the plain feed (see [`crate::feed_cache`]).
    pub fn plain(&self) -> bool {
        self.quirks.is_plain() && self.active_role().is_none_or(|r| !r.is_circle_staff())
    }
    pub(crate) fn active_role(&self) -> Option<CircleRole> {
        self.membership
            .as_ref()
            .filter(|m| m.status == MemberStatus::Active)
            .map(|m| m.role)
    }
    /// Circle admins, and org owners/admins, manage members.
    pub fn can_admin(&self) -> bool {
        self.active_role().is_some_and(CircleRole::can_admin)
            || self
                .org_role
                .is_some_and(|r| matches!(r, Role::Owner | Role::Admin))
    }
}

pub fn require_scope(actor: &Actor, s: Scope) -> Result<()> {
    match actor {
        Actor::Token { scopes, .. } if !scopes.contains(s) => {
            Err(AccessError::MissingScope(s.as_str()))
        }
        _ => Ok(()),
    }
}

/// The one visibility gate. Its inputs (the circle, the caller's membership and
/// staff role) are cached for a moment per (circle, account) in the auth cache and
/// evicted on every membership change; the decision itself is made on every call.
pub async fn view(svc: &Services, actor: &Actor, id: CircleId) -> Result<CircleView> {
    require_scope(actor, Scope::Read)?;
    let account = actor.account_id();
    let v = match svc.auth.view(id, account) {
        Some(v) => v,
        None => {
            let circle = svc
                .store
                .circle_get(id)
                .await?
                .ok_or(AccessError::NotFound)?;
            let membership = svc.store.circle_member_get(id, account).await?;
            let org_role = svc
                .store
                .staff_get(circle.org_id, account)
                .await?
                .map(|s| s.role);
            let quirks = svc.store.viewer_quirks(id, account).await?;
            // Only members write, so only they need their sanctions at hand.
            let sanctions = match &membership {
                Some(_) => {
                    svc.store
                        .sanctions(id, Some(account), svc.clock.now())
                        .await?
                }
                None => Vec::new(),
            };
            let v = CircleView {
                circle,
                membership,
                org_role,
                viewer: account,
                quirks,
                sanctions,
            };
            svc.auth.put_view(v.clone());
            v
        }
    };
    if let Actor::Token { org, .. } = actor
        && *org != v.circle.org_id
    {
        return Err(AccessError::NotFound);
    }
    let member = v.active_role().is_some();
    let visible =
        member || v.org_role.is_some() || (v.circle.public && v.circle.mode.may_be_public());
    if member {
        crate::visits::note(svc, id, account).await;
    }
    if visible {
        Ok(v)
    } else {
        Err(AccessError::NotFound)
    }
}

/// Where an account stands at a circle's door, whatever it may see: already in (or
/// asked to be), banned from it, or outside and free to join. Commerce asks before
/// it sells a membership, so nobody pays for a seat they have or may not take.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AtTheDoor {
    Outside,
    Inside,
    Banned,
}

pub async fn at_the_door(
    svc: &Services,
    circle: CircleId,
    account: AccountId,
) -> Result<AtTheDoor, StoreError> {
    if svc
        .store
        .circle_member_get(circle, account)
        .await?
        .is_some()
    {
        return Ok(AtTheDoor::Inside);
    }
    let now = svc.clock.now();
    let banned = svc
        .store
        .sanctions(circle, Some(account), now)
        .await?
        .iter()
        .any(|s| s.kind == quan_domain::SanctionKind::Ban);
    Ok(if banned {
        AtTheDoor::Banned
    } else {
        AtTheDoor::Outside
    })
}

/// Membership or settings of a circle changed: every node drops its cached views.
pub async fn views_changed(svc: &Services, circle: CircleId) {
    cache::evict(&svc.auth, svc.bus.as_ref(), cache::circle_eviction(circle)).await;
}

/// The caller's active membership, or `NotMember`.
pub fn active_member(v: &CircleView) -> Result<&CircleMemberRecord> {
    v.membership
        .as_ref()
        .filter(|m| m.status == MemberStatus::Active)
        .ok_or(AccessError::NotMember)
}

/// Whether the viewer may act on `target` (sanction them, change their role): by
/// [`Standing::outranks`]; org owners and admins, who appoint circle admins,
/// outrank everyone in the circle but its owner.
pub fn outranks(v: &CircleView, target: &CircleMemberRecord) -> bool {
    if target.role == CircleRole::Owner {
        return false;
    }
    let org_admin = v
        .org_role
        .is_some_and(|r| matches!(r, Role::Owner | Role::Admin));
    let theirs = Standing {
        role: target.role,
        since: target.role_since.millis(),
    };
    org_admin
        || v.membership
            .as_ref()
            .filter(|m| m.status == MemberStatus::Active)
            .is_some_and(|m| {
                Standing {
                    role: m.role,
                    since: m.role_since.millis(),
                }
                .outranks(theirs)
            })
}

pub fn require_moderator(v: &CircleView) -> Result<()> {
    let moderates = v
        .membership
        .as_ref()
        .filter(|m| m.status == MemberStatus::Active)
        .is_some_and(|m| m.role.can_moderate());
    if moderates || v.can_admin() {
        Ok(())
    } else {
        Err(AccessError::Forbidden)
    }
}

/// A signed-up account as shown to its owner.
#[derive(Debug, Clone)]
pub struct Me {
    pub id: AccountId,
    pub email: Option<String>,
    pub phone: Option<String>,
    pub display_name: String,
}

impl From<&AccountRecord> for Me {
    fn from(a: &AccountRecord) -> Self {
        Self {
            id: a.id,
            email: a.email.clone(),
            phone: a.phone.clone(),
            display_name: a.display_name.clone(),
        }
    }
}
