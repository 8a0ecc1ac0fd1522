//! Circles: create them from a mode's preset, join by the circle's policy (or an
//! invite link, [`invites`]), list members and decide join requests; posts and the
//! feed ([`posts`], [`feed`]), the board ([`board`]), images ([`images`]) and
//! administration ([`admin`]) are the submodules.
//!
//! Visibility is decided in one place, [`crate::access::view`]: a circle is seen by
//! its active members, by staff of its org, and — if it is public and not internal —
//! by anyone signed in. Everyone else gets `NotFound`, so a private circle's existence
//! does not leak. A token sees only circles of its own org.

pub mod admin;
pub mod board;
pub mod error;
pub mod feed;
pub mod feed_cache;
pub mod images;
pub mod invites;
pub mod paid;
pub mod port;
pub mod posts;

use crate::Services;
use crate::access::{
    AccessError, Actor, CircleView, OrgAccess, require_scope, view, views_changed,
};
use crate::circles::port::{CircleMemberRecord, CircleRecord, MemberStatus, ViewerQuirks};
use crate::events::port::EventRecord;
use crate::events::{announce, new_event};
use crate::input::text;
use crate::notify::Note;
use crate::page::{Page, PageRequest};
use crate::ports::constraints;
use quan_domain::{
    AccountId, BoostStatus, CircleId, CircleMode, CircleRole, JoinPolicy, MemberTypes, NotifyKind,
    ParseError, Role, Scope, parse_circle_tags,
};
use serde_json::json;

pub use error::CircleError;

type Result<T, E = CircleError> = std::result::Result<T, E>;

/// Text limits: long enough for real use, short enough that no one stores a novel in
/// a title.
pub const NAME_MAX: usize = 60;

pub const DESCRIPTION_MAX: usize = 2_000;

pub const TITLE_MAX: usize = 120;

pub const BODY_MAX: usize = 20_000;

pub const COMMENT_MAX: usize = 2_000;

/// Comments returned with a post, at most.
pub const COMMENTS_LIMIT: i64 = 500;

/// A new circle as parsed from a request; unset settings come from the mode.
#[derive(Debug)]
pub struct NewCircle {
    pub name: String,
    pub description: String,
    pub mode: CircleMode,
    pub join_policy: Option<JoinPolicy>,
    pub public: Option<bool>,
    pub tags: Vec<String>,
}

impl NewCircle {
    /// Adds tags (see [`parse_circle_tags`]).
    pub fn with_tags<S: AsRef<str>>(mut self, raw: &[S]) -> Result<Self, ParseError> {
        self.tags = parse_circle_tags(raw)?;
        Ok(self)
    }

    pub fn parse(
        name: &str,
        description: Option<&str>,
        mode: &str,
        join_policy: Option<&str>,
        public: Option<bool>,
    ) -> Result<Self, ParseError> {
        let mode = CircleMode::parse(mode)?;
        if public == Some(true) && !mode.may_be_public() {
            return Err(ParseError::new(
                "public",
                "internal_is_private",
                "internal circles are never public",
            ));
        }
        Ok(Self {
            name: text(name, "name", NAME_MAX, true)?,
            description: text(
                description.unwrap_or(""),
                "description",
                DESCRIPTION_MAX,
                false,
            )?,
            mode,
            join_policy: join_policy.map(JoinPolicy::parse).transpose()?,
            public,
            tags: Vec::new(),
        })
    }
}

pub fn event(
    svc: &Services,
    c: &CircleRecord,
    kind: &str,
    actor: AccountId,
    data: serde_json::Value,
) -> crate::events::port::EventRecord {
    new_event(
        svc,
        c.org_id,
        kind,
        format!("circle:{}", c.id),
        Some(actor),
        data,
    )
}

/// Creates a circle from its mode's preset; the creator becomes its owner.
#[tracing::instrument(skip_all, fields(org = %access.org()))]
/// Who may create circles: owners, admins, operators and teachers (the console
/// offers the form to them only).
pub fn may_create(access: &OrgAccess) -> bool {
    matches!(
        access.role(),
        Role::Owner | Role::Admin | Role::Operator | Role::Teacher
    )
}

pub async fn create_circle(
    svc: &Services,
    access: &OrgAccess,
    n: NewCircle,
) -> Result<CircleRecord> {
    access
        .require_scope(Scope::Write)
        .map_err(|_| CircleError::MissingScope("write"))?;
    if !may_create(access) {
        return Err(CircleError::Forbidden);
    }
    let account = svc
        .store
        .account_get(access.account())
        .await?
        .ok_or(CircleError::NotFound)?;
    let now = svc.clock.now();
    let person =
        crate::persons::person_for(svc, access.org(), &crate::access::Me::from(&account)).await?;
    let preset = n.mode.preset();
    let c = CircleRecord {
        id: CircleId::new(),
        org_id: access.org(),
        name: n.name,
        description: n.description,
        mode: n.mode,
        join_policy: n.join_policy.unwrap_or(preset.join_policy),
        posting: preset.posting,
        forwarding: preset.forwarding,
        read_receipts: preset.read_receipts,
        public: n.public.unwrap_or(preset.public) && n.mode.may_be_public(),
        member_count: 1,
        created_by: account.id,
        created_at: now,
        quality_score: 0.0,
        boost_status: BoostStatus::None,
        cover_image_id: None,
        tags: n.tags,
    };
    let owner = CircleMemberRecord {
        circle_id: c.id,
        account_id: account.id,
        person_id: person.id,
        display_name: person.display_name,
        role: CircleRole::Owner,
        status: MemberStatus::Active,
        types: MemberTypes::MEMBER,
        joined_at: now,
        role_since: now,
    };
    let ev = event(
        svc,
        &c,
        "circle.created",
        account.id,
        json!({"name": c.name, "mode": c.mode.as_str()}),
    );
    svc.store.circle_insert(&c, &owner, &ev).await?;
    announce(svc, &ev).await;
    Ok(c)
}

pub async fn list_org_circles(
    svc: &Services,
    access: &OrgAccess,
    page: &PageRequest,
) -> Result<Page<CircleRecord>> {
    access
        .require_scope(Scope::Read)
        .map_err(|_| CircleError::MissingScope("read"))?;
    Ok(svc.store.circle_list(access.org(), page).await?)
}

/// The circles the caller belongs to, across orgs (a token: its org's only).
pub async fn my_circles(svc: &Services, actor: &Actor) -> Result<Vec<(CircleRecord, CircleRole)>> {
    require_scope(actor, Scope::Read)?;
    let all = svc.store.circles_of_account(actor.account_id()).await?;
    Ok(match actor {
        Actor::Token { org, .. } => all.into_iter().filter(|(c, _)| c.org_id == *org).collect(),
        Actor::Session { .. } => all,
    })
}

/// What someone who may not see a circle is shown at its link: an approval circle
/// (not internal) is a door they may knock on, with its name; an invite-only one
/// only says it is private; everything else (internal circles, unknown ids) is
/// not found, as before.
#[derive(Debug, Clone)]
pub enum Doorway {
    /// Name, description and size; `pending`: the caller's request is waiting.
    Request {
        circle: CircleRecord,
        pending: bool,
    },
    Private,
    /// Joined by buying its membership: the page offers the circle's membership
    /// products (commerce's), and paying joins.
    Paid {
        circle: CircleRecord,
    },
}

/// The doorway of a circle the caller cannot see (see [`Doorway`]).
pub async fn doorway(svc: &Services, actor: &Actor, id: CircleId) -> Result<Doorway> {
    require_scope(actor, Scope::Read)?;
    let circle = svc
        .store
        .circle_get(id)
        .await?
        .ok_or(CircleError::NotFound)?;
    if let Actor::Token { org, .. } = actor
        && *org != circle.org_id
    {
        return Err(CircleError::NotFound);
    }
    if !circle.mode.may_be_public() {
        return Err(CircleError::NotFound);
    }
    match circle.join_policy {
        JoinPolicy::Approval => {
            let pending = svc
                .store
                .circle_member_get(id, actor.account_id())
                .await?
                .is_some_and(|m| m.status == MemberStatus::Pending);
            Ok(Doorway::Request { circle, pending })
        }
        JoinPolicy::Invite => Ok(Doorway::Private),
        JoinPolicy::Paid => Ok(Doorway::Paid { circle }),
        _ => Err(CircleError::NotFound),
    }
}

/// Joins by the circle's policy: open → member; approval → a request for the
/// admins (also from someone who cannot see the circle yet, at its door); org
/// members only → staff of the org only; invite → refused here (invite links join);
/// paid → refused here (buying the circle's membership joins, [`paid`]).
#[tracing::instrument(skip_all, fields(circle = %id))]
pub async fn join(svc: &Services, actor: &Actor, id: CircleId) -> Result<MemberStatus> {
    require_scope(actor, Scope::Write)?;
    let v = match view(svc, actor, id).await {
        Ok(v) => v,
        // A link to an approval circle the caller cannot see yet: they may ask.
        Err(AccessError::NotFound) => match doorway(svc, actor, id).await? {
            Doorway::Request { circle, pending } => {
                if pending {
                    return Err(CircleError::AlreadyMember);
                }
                CircleView {
                    circle,
                    membership: None,
                    org_role: None,
                    viewer: actor.account_id(),
                    quirks: ViewerQuirks::default(),
                    sanctions: Vec::new(),
                }
            }
            Doorway::Private => return Err(CircleError::NotFound),
            Doorway::Paid { .. } => return Err(CircleError::PaymentRequired),
        },
        Err(e) => return Err(e.into()),
    };
    if v.membership.is_some() {
        return Err(CircleError::AlreadyMember);
    }
    crate::moderation::guard::ensure_not_banned(svc, id, actor.account_id()).await?;
    let status = match v.circle.join_policy {
        JoinPolicy::Open => MemberStatus::Active,
        JoinPolicy::Approval => MemberStatus::Pending,
        JoinPolicy::OrgMembers if v.org_role.is_some() => MemberStatus::Active,
        JoinPolicy::OrgMembers => return Err(CircleError::OrgMembersOnly),
        JoinPolicy::Invite => return Err(CircleError::InviteRequired),
        JoinPolicy::Paid => return Err(CircleError::PaymentRequired),
    };
    admit(svc, &v.circle, actor.account_id(), status, None).await?;
    Ok(status)
}

/// Makes `account` a member of `circle` (active, or a pending request) with its
/// event; `paid_by` names the order that bought the seat, if one did.
/// `AlreadyMember` if they are in it or asked already.
async fn admit(
    svc: &Services,
    circle: &CircleRecord,
    account: AccountId,
    status: MemberStatus,
    paid_by: Option<&str>,
) -> Result<()> {
    let account = svc
        .store
        .account_get(account)
        .await?
        .ok_or(CircleError::NotFound)?;
    let now = svc.clock.now();
    let person =
        crate::persons::person_for(svc, circle.org_id, &crate::access::Me::from(&account)).await?;
    let m = CircleMemberRecord {
        circle_id: circle.id,
        account_id: account.id,
        person_id: person.id,
        display_name: person.display_name,
        role: CircleRole::Member,
        status,
        types: MemberTypes::MEMBER,
        joined_at: now,
        role_since: now,
    };
    let kind = if status == MemberStatus::Active {
        "circle.joined"
    } else {
        "circle.join_requested"
    };
    let mut data = json!({"display_name": m.display_name});
    if let Some(order) = paid_by {
        data["order"] = json!(order);
    }
    let ev = event(svc, circle, kind, account.id, data);
    svc.store.circle_member_insert(&m, &ev).await.map_err(|e| {
        if e.is_conflict_on(constraints::CIRCLE_MEMBER_PK) {
            CircleError::AlreadyMember
        } else {
            e.into()
        }
    })?;
    views_changed(svc, circle.id).await;
    announce(svc, &ev).await;
    Ok(())
}

/// Active members are listed to anyone who can see the circle; pending requests only
/// to those who can approve them.
pub async fn members(
    svc: &Services,
    actor: &Actor,
    id: CircleId,
    status: MemberStatus,
    page: &PageRequest,
) -> Result<Page<CircleMemberRecord>> {
    let v = view(svc, actor, id).await?;
    if status == MemberStatus::Pending && !v.can_admin() {
        return Err(CircleError::Forbidden);
    }
    Ok(svc.store.circle_member_list(id, status, page).await?)
}

pub async fn approve(
    svc: &Services,
    actor: &Actor,
    id: CircleId,
    account: AccountId,
) -> Result<()> {
    require_scope(actor, Scope::Write)?;
    let v = view(svc, actor, id).await?;
    if !v.can_admin() {
        return Err(CircleError::Forbidden);
    }
    let ev = event(
        svc,
        &v.circle,
        "circle.join_approved",
        actor.account_id(),
        json!({"account": account.to_string()}),
    );
    if svc.store.circle_member_approve(id, account, &ev).await? {
        views_changed(svc, id).await;
        announce(svc, &ev).await;
        let note = Note {
            to: account,
            kind: NotifyKind::Approval,
            circle: Some(id),
            post: None,
            actor_name: String::new(),
            body: v.circle.name.clone(),
        };
        crate::notify::send(svc, vec![note], actor.account_id()).await;
        Ok(())
    } else {
        Err(CircleError::NotFound)
    }
}

/// Declines a join request: the request is gone (the person may ask again, unless
/// banned) and they are told.
pub async fn decline(
    svc: &Services,
    actor: &Actor,
    id: CircleId,
    account: AccountId,
) -> Result<()> {
    require_scope(actor, Scope::Write)?;
    let v = view(svc, actor, id).await?;
    if !v.can_admin() {
        return Err(CircleError::Forbidden);
    }
    let ev = event(
        svc,
        &v.circle,
        "circle.join_declined",
        actor.account_id(),
        json!({"account": account.to_string()}),
    );
    if !svc.store.circle_member_decline(id, account, &ev).await? {
        return Err(CircleError::NotFound);
    }
    views_changed(svc, id).await;
    let note = Note {
        to: account,
        // An admin acted on the person's request: the moderation kind, like
        // "declined" results on posts.
        kind: NotifyKind::Moderation,
        circle: Some(id),
        post: None,
        actor_name: String::new(),
        body: format!("{}: join request declined", v.circle.name),
    };
    crate::notify::send(svc, vec![note], actor.account_id()).await;
    Ok(())
}
