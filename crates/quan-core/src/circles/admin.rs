//! Circle administration: settings edits, and roles and member types set by those the
//! actor outranks.

use crate::Services;
use crate::access::{Actor, outranks, require_scope, view};
use crate::circles::CircleError;
use crate::circles::port::{CircleMemberRecord, CircleRecord};
use crate::input::text;
use quan_domain::{
    AccountId, CircleId, CircleRole, ImageId, JoinPolicy, MemberTypes, ParseError, PostingPolicy,
    Role, Scope, parse_circle_tags,
};

type Result<T, E = CircleError> = std::result::Result<T, E>;

/// A circle's settings as an admin edits them; unset fields stay as they are.
#[derive(Debug, Default)]
pub struct CircleEdit {
    pub name: Option<String>,
    pub description: Option<String>,
    pub join_policy: Option<JoinPolicy>,
    pub posting: Option<PostingPolicy>,
    pub forwarding: Option<bool>,
    pub read_receipts: Option<bool>,
    pub public: Option<bool>,
    /// Raw tags, normalised by [`parse_circle_tags`]; `Some(vec![])` clears them.
    pub tags: Option<Vec<String>>,
    /// `Some(None)` removes the cover; the image must be one uploaded to the circle.
    pub cover: Option<Option<ImageId>>,
}

/// Edits a circle (its owners and admins, or the org's). Internal circles stay
/// private.
pub async fn edit_circle(
    svc: &Services,
    actor: &Actor,
    circle: CircleId,
    e: CircleEdit,
) -> Result<CircleRecord> {
    require_scope(actor, Scope::Write)?;
    let v = view(svc, actor, circle).await?;
    if !v.can_admin() {
        return Err(CircleError::Forbidden);
    }
    let mut c = v.circle.clone();
    if let Some(n) = e.name {
        c.name = text(&n, "name", crate::circles::NAME_MAX, true)?;
    }
    if let Some(d) = e.description {
        c.description = text(&d, "description", crate::circles::DESCRIPTION_MAX, false)?;
    }
    if e.public == Some(true) && !c.mode.may_be_public() {
        return Err(ParseError::new(
            "public",
            "internal_is_private",
            "internal circles are never public",
        )
        .into());
    }
    if let Some(raw) = e.tags {
        c.tags = parse_circle_tags(&raw)?;
    }
    if let Some(cover) = e.cover {
        if let Some(id) = cover {
            let ours = svc
                .store
                .image_get(id)
                .await?
                .is_some_and(|i| i.circle_id == circle);
            if !ours {
                return Err(ParseError::new(
                    "cover_image_id",
                    "unknown_image",
                    "the cover must be an image uploaded to this circle",
                )
                .into());
            }
        }
        c.cover_image_id = cover;
    }
    c.join_policy = e.join_policy.unwrap_or(c.join_policy);
    c.posting = e.posting.unwrap_or(c.posting);
    c.forwarding = e.forwarding.unwrap_or(c.forwarding);
    c.read_receipts = e.read_receipts.unwrap_or(c.read_receipts);
    c.public = e.public.unwrap_or(c.public);
    if !svc.store.circle_update(&c).await? {
        return Err(CircleError::NotFound);
    }
    crate::access::views_changed(svc, circle).await;
    svc.feed.bump(circle);
    Ok(c)
}

/// Sets a member's role and/or member types. Owners and admins (of the circle or
/// the org) do this; a role changes only for someone the actor outranks (so an
/// admin does not demote a fellow admin); only owners (and org owners/admins) make
/// admins; nobody changes the owner or makes another owner.
pub async fn update_member(
    svc: &Services,
    actor: &Actor,
    circle: CircleId,
    account: AccountId,
    role: Option<CircleRole>,
    types: Option<MemberTypes>,
) -> Result<CircleMemberRecord> {
    require_scope(actor, Scope::Write)?;
    let v = view(svc, actor, circle).await?;
    if !v.can_admin() {
        return Err(CircleError::Forbidden);
    }
    let target = svc
        .store
        .circle_member_get(circle, account)
        .await?
        .ok_or(CircleError::NotFound)?;
    // Setting the role someone has already keeps their seniority.
    let role = role.filter(|r| *r != target.role);
    if role.is_some() && !outranks(&v, &target) {
        return Err(CircleError::Forbidden);
    }
    match role {
        Some(CircleRole::Owner) => {
            return Err(
                ParseError::new("role", "invalid_circle_role", "there is one owner").into(),
            );
        }
        Some(CircleRole::Admin) => {
            let my_role = v.membership.as_ref().map(|m| m.role);
            let org_admin = v
                .org_role
                .is_some_and(|r| matches!(r, Role::Owner | Role::Admin));
            if my_role != Some(CircleRole::Owner) && !org_admin {
                return Err(CircleError::Forbidden);
            }
        }
        _ => {}
    }
    if (role.is_some() || types.is_some())
        && !svc
            .store
            .circle_member_update(circle, account, role, types, svc.clock.now())
            .await?
    {
        return Err(CircleError::NotFound);
    }
    crate::access::views_changed(svc, circle).await;
    svc.store
        .circle_member_get(circle, account)
        .await?
        .ok_or(CircleError::NotFound)
}
