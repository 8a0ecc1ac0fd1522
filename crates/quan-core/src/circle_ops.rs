//! Running a circle: invite links, post management (edit with history, pin, delete),
//! the task/need board, and moderation (reports with weighted flags, the review
//! queue, mutes and bans, sensitive words, the public moderation log, new-member
//! limits).
//!
//! Every write by a member passes [`guard_write`] first: sanctions, the TL0 limits
//! and the org's sensitive words are checked in that one place.

use crate::circles::{
    CircleError, CircleView, NewPost, active_member, event, require_scope, text, view,
};
use crate::events::announce;
use crate::identity::{Actor, OrgAccess};
use crate::notify::Note;
use crate::secrets::{digest, random_secret};
use crate::*;
use quan_domain::*;
use serde_json::json;

type Result<T, E = CircleError> = std::result::Result<T, E>;

/// Bounds on circle invite links.
pub const INVITE_MAX_USES: i64 = 10_000;
pub const INVITE_MAX_TTL_HOURS: i64 = 24 * 365;
pub const LABEL_MAX: usize = 60;
pub const REASON_MAX: usize = 500;
/// Longest sanction a moderator sets with an expiry (longer: no expiry, i.e. lift by hand).
pub const SANCTION_MAX_HOURS: i64 = 24 * 365;
/// Posts in the review queue, at most.
pub const QUEUE_LIMIT: i64 = 100;

fn log_entry(
    svc: &Services,
    circle: CircleId,
    actor: Option<AccountId>,
    action: &str,
    target: String,
    reason: &str,
) -> ModLogRecord {
    ModLogRecord {
        id: ModLogId::new(),
        circle_id: circle,
        account_id: actor,
        actor_name: None,
        action: action.to_owned(),
        target,
        reason: reason.to_owned(),
        at: svc.clock.now(),
    }
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

fn require_moderator(v: &CircleView) -> Result<()> {
    let moderates = v
        .membership
        .as_ref()
        .filter(|m| m.status == MemberStatus::Active)
        .is_some_and(|m| m.role.can_moderate());
    if moderates || v.can_admin() {
        Ok(())
    } else {
        Err(CircleError::Forbidden)
    }
}

// ---------------------------------------------------------------------------------
// The write guard

/// What a member is writing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WriteKind {
    Post,
    Comment,
    Chat,
}

/// What the guard decided for an allowed write.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    Allowed,
    /// A "hold" word matched: the post is saved hidden, for review.
    Hold {
        word: String,
    },
}

/// A mute or ban in force stops every write. The viewer's sanctions come with the
/// circle view (no query per write).
pub(crate) fn ensure_not_sanctioned(svc: &Services, v: &CircleView) -> Result<()> {
    let now = svc.clock.now();
    match v.sanctions.iter().find(|s| s.until.is_none_or(|u| u > now)) {
        Some(s) => Err(CircleError::Muted { until: s.until }),
        None => Ok(()),
    }
}

/// A ban in force stops joining again (by policy or by link).
pub(crate) async fn ensure_not_banned(
    svc: &Services,
    circle: CircleId,
    account: AccountId,
) -> Result<()> {
    let banned = svc
        .store
        .sanctions(circle, Some(account), svc.clock.now())
        .await?
        .iter()
        .any(|s| s.kind == SanctionKind::Ban);
    if banned {
        Err(CircleError::Banned)
    } else {
        Ok(())
    }
}

/// A member in their first day who is neither circle nor org staff: new-member
/// limits apply (staff are trusted from day one).
fn newcomer(svc: &Services, v: &CircleView, m: &CircleMemberRecord) -> bool {
    let first_day = svc.clock.now().millis() - m.joined_at.millis() < 86_400_000;
    first_day && !m.role.is_circle_staff() && v.org_role.is_none()
}

/// Sanctions, new-member limits and sensitive words, in that order.
pub async fn guard_write(
    svc: &Services,
    v: &CircleView,
    m: &CircleMemberRecord,
    kind: WriteKind,
    content: &str,
) -> Result<Verdict> {
    ensure_not_sanctioned(svc, v)?;
    if newcomer(svc, v, m) && kind != WriteKind::Chat {
        let (posts, comments) = svc
            .store
            .recent_writes(v.circle.id, m.account_id, m.joined_at)
            .await?;
        if kind == WriteKind::Post && posts >= TL0_POSTS_PER_DAY {
            return Err(CircleError::NewMemberLimit("posts"));
        }
        if kind == WriteKind::Comment && comments >= TL0_COMMENTS_PER_DAY {
            return Err(CircleError::NewMemberLimit("comments"));
        }
    }
    let words = org_words(svc, v.circle.org_id).await?;
    match find_sensitive(content, &words) {
        None => Ok(Verdict::Allowed),
        // Comments and chat cannot wait hidden for review: a held word refuses them.
        Some((_, WordAction::Reject)) => Err(CircleError::SensitiveWord),
        Some(_) if kind != WriteKind::Post => Err(CircleError::SensitiveWord),
        Some((w, WordAction::Hold)) => Ok(Verdict::Hold { word: w.clone() }),
    }
}

/// The org's sensitive words, from the access cache when fresh (every member write
/// reads them; an edit evicts them on every node).
async fn org_words(svc: &Services, org: OrgId) -> Result<crate::auth_cache::Words> {
    if let Some(w) = svc.auth.words(org) {
        return Ok(w);
    }
    let w = std::sync::Arc::new(svc.store.sensitive_words(org).await?);
    svc.auth.put_words(org, std::sync::Arc::clone(&w));
    Ok(w)
}

async fn words_changed(svc: &Services, org: OrgId) {
    crate::auth_cache::evict(
        &svc.auth,
        svc.bus.as_ref(),
        crate::auth_cache::Eviction::Words {
            org: org.to_string(),
        },
    )
    .await;
}

// ---------------------------------------------------------------------------------
// Circle administration

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
    crate::circles::views_changed(svc, circle).await;
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
    types: Option<(bool, bool, bool)>,
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
    crate::circles::views_changed(svc, circle).await;
    svc.store
        .circle_member_get(circle, account)
        .await?
        .ok_or(CircleError::NotFound)
}

// ---------------------------------------------------------------------------------
// Images

/// Uploads an image to a circle (active members; not muted; not in a new member's
/// first day). The type is read from the bytes: PNG, JPEG, GIF or WebP.
pub async fn upload_image(
    svc: &Services,
    actor: &Actor,
    circle: CircleId,
    bytes: &[u8],
) -> Result<ImageRecord> {
    require_scope(actor, Scope::Write)?;
    if bytes.len() > IMAGE_MAX_BYTES {
        return Err(ParseError::new(
            "image",
            "too_large",
            format!("at most {} MiB", IMAGE_MAX_BYTES / (1024 * 1024)),
        )
        .into());
    }
    let content_type = sniff_image(bytes).ok_or_else(|| {
        ParseError::new("image", "unsupported_image", "PNG, JPEG, GIF or WebP only")
    })?;
    let v = view(svc, actor, circle).await?;
    let m = active_member(&v)?.clone();
    images_allowed(svc, &v, &m).await?;
    let sha = crate::secrets::digest_bytes(bytes);
    svc.blobs
        .put(&sha, bytes)
        .await
        .map_err(|e| CircleError::Internal(Box::new(e)))?;
    let rec = ImageRecord {
        id: ImageId::new(),
        circle_id: circle,
        account_id: m.account_id,
        sha256: sha,
        content_type: content_type.to_owned(),
        bytes: i64::try_from(bytes.len()).unwrap_or(i64::MAX),
        created_at: svc.clock.now(),
    };
    svc.store.image_insert(&rec).await?;
    Ok(rec)
}

/// Sanctions and the first-day rule for images (TL0 members post no images).
async fn images_allowed(svc: &Services, v: &CircleView, m: &CircleMemberRecord) -> Result<()> {
    ensure_not_sanctioned(svc, v)?;
    if newcomer(svc, v, m) {
        return Err(CircleError::NewMemberLimit("images"));
    }
    Ok(())
}

/// A new post's images: at most nine, each uploaded by its author to this circle.
pub(crate) async fn check_post_images(
    svc: &Services,
    v: &CircleView,
    m: &CircleMemberRecord,
    images: &[ImageId],
) -> Result<()> {
    if images.is_empty() {
        return Ok(());
    }
    if images.len() > POST_IMAGES_MAX {
        return Err(ParseError::new(
            "images",
            "too_many",
            format!("at most {POST_IMAGES_MAX} images"),
        )
        .into());
    }
    images_allowed(svc, v, m).await?;
    for id in images {
        let ok = svc
            .store
            .image_get(*id)
            .await?
            .is_some_and(|i| i.circle_id == v.circle.id && i.account_id == m.account_id);
        if !ok {
            return Err(ParseError::new(
                "images",
                "unknown_image",
                "each image must be one you uploaded to this circle",
            )
            .into());
        }
    }
    Ok(())
}

/// An image's bytes, for whoever may see it: the uploader, or anyone who may see a
/// post it is attached to (so audiences and hidden posts apply to images too).
pub async fn image_bytes(svc: &Services, actor: &Actor, id: ImageId) -> Result<(String, Vec<u8>)> {
    let img = svc
        .store
        .image_get(id)
        .await?
        .ok_or(CircleError::NotFound)?;
    let v = view(svc, actor, img.circle_id).await?;
    // A cover is part of the circle's face, like its name: whoever may see the
    // circle may see it.
    let mine = img.account_id == v.viewer || v.circle.cover_image_id == Some(id);
    // Chat is members-only: a chat image is for the circle's active members.
    let mut visible =
        mine || (active_member(&v).is_ok() && svc.store.image_in_chat(id, img.circle_id).await?);
    if !visible {
        let now = svc.clock.now();
        for post in svc.store.image_posts(id).await? {
            if svc
                .store
                .post_get(img.circle_id, post, v.viewer, now)
                .await?
                .is_some()
            {
                visible = true;
                break;
            }
        }
    }
    if !visible {
        return Err(CircleError::NotFound);
    }
    let bytes = svc
        .blobs
        .get(&img.sha256)
        .await
        .map_err(|e| CircleError::Internal(Box::new(e)))?
        .ok_or(CircleError::NotFound)?;
    Ok((img.content_type, bytes))
}

/// After a held post is saved: hide it and log why (the word itself stays out of
/// the public log).
pub(crate) async fn hold_post(svc: &Services, p: &PostRecord) -> Result<()> {
    let log = log_entry(
        svc,
        p.circle_id,
        None,
        "hold",
        format!("post:{}", p.id),
        "sensitive word: held for review",
    );
    svc.store.post_hide(p.circle_id, p.id, &log).await?;
    written(svc, p.circle_id).await;
    Ok(())
}

/// A moderation write: cached feed pages and views (whose "has hidden posts" may
/// have changed) of the circle are stale.
async fn written(svc: &Services, circle: CircleId) {
    svc.feed.bump(circle);
    crate::circles::views_changed(svc, circle).await;
}

/// Tells a post's author what moderation did to it.
async fn tell_author(svc: &Services, p: &PostRecord, what: &str) {
    let note = Note {
        to: p.author_account_id,
        kind: NotifyKind::Moderation,
        circle: Some(p.circle_id),
        post: Some(p.id),
        actor_name: String::new(),
        body: format!("{} — {what}", p.title),
    };
    // The author never sends this to themself: the "except" is nobody.
    crate::notify::send(svc, vec![note], AccountId::from_uuid(uuid::Uuid::nil())).await;
}

/// Audience tags as parsed from a request.
pub fn parse_audience(
    audience: Option<&str>,
    tags: &[String],
) -> Result<(Audience, Vec<String>), ParseError> {
    let audience = audience
        .map(Audience::parse)
        .transpose()?
        .unwrap_or(Audience::All);
    if tags.len() > 20 {
        return Err(ParseError::new("tags", "too_many", "at most 20 tags"));
    }
    let tags = tags
        .iter()
        .map(|t| short_label(t, "tags"))
        .collect::<Result<Vec<_>, _>>()?;
    if audience != Audience::All && tags.is_empty() {
        return Err(ParseError::new(
            "tags",
            "required",
            "name the tags this audience is about",
        ));
    }
    Ok((audience, tags))
}

impl NewPost {
    /// The text the sensitive-word filter reads.
    pub fn content(&self) -> String {
        format!("{}\n{}", self.title, self.body)
    }
}

// ---------------------------------------------------------------------------------
// Invite links

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
    let person = crate::persons::person_for(svc, c.org_id, &account).await?;
    let m = CircleMemberRecord {
        circle_id: c.id,
        account_id: account.id,
        person_id: person.id,
        display_name: person.display_name,
        role: CircleRole::Member,
        status: MemberStatus::Active,
        is_member: true,
        is_customer: false,
        is_fan: false,
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
            crate::circles::views_changed(svc, c.id).await;
            announce(svc, &ev).await;
            Ok(c)
        }
        CircleInviteOutcome::AlreadyMember => Err(CircleError::AlreadyMember),
        CircleInviteOutcome::Invalid => Err(CircleError::InviteInvalid),
    }
}

// ---------------------------------------------------------------------------------
// Post management

/// A post as its author or a moderator may manage it.
async fn managed_post(svc: &Services, v: &CircleView, post: PostId) -> Result<(PostRecord, bool)> {
    let p = svc
        .store
        .post_get_any(v.circle.id, post)
        .await?
        .ok_or(CircleError::NotFound)?;
    let mine = p.author_account_id == v.viewer;
    let moderator = require_moderator(v).is_ok();
    if p.hidden_at.is_some() && !mine && !moderator {
        return Err(CircleError::NotFound);
    }
    Ok((p, moderator))
}

/// Edits a post (its author only); the previous version goes to the edit history.
pub async fn edit_post(
    svc: &Services,
    actor: &Actor,
    circle: CircleId,
    post: PostId,
    title: &str,
    body: &str,
) -> Result<PostRecord> {
    require_scope(actor, Scope::Write)?;
    let v = view(svc, actor, circle).await?;
    let m = active_member(&v)?.clone();
    let (p, _) = managed_post(svc, &v, post).await?;
    if p.author_account_id != m.account_id {
        return Err(CircleError::Forbidden);
    }
    let n = NewPost::parse(Some(p.kind.as_str()), title, body)?;
    let verdict = guard_write(svc, &v, &m, WriteKind::Post, &n.content()).await?;
    let now = svc.clock.now();
    if !svc
        .store
        .post_update(circle, post, &n.title, &n.body, m.account_id, now)
        .await?
    {
        return Err(CircleError::NotFound);
    }
    let updated = svc
        .store
        .post_get_any(circle, post)
        .await?
        .ok_or(CircleError::NotFound)?;
    if matches!(verdict, Verdict::Hold { .. }) {
        hold_post(svc, &updated).await?;
    }
    crate::search::reindex_post(svc, &updated).await;
    svc.feed.bump(circle);
    Ok(updated)
}

pub async fn post_edits(
    svc: &Services,
    actor: &Actor,
    circle: CircleId,
    post: PostId,
) -> Result<Vec<PostEditRecord>> {
    let v = view(svc, actor, circle).await?;
    svc.store
        .post_get(circle, post, v.viewer, svc.clock.now())
        .await?
        .ok_or(CircleError::NotFound)?;
    Ok(svc.store.post_edits(post).await?)
}

/// Pins or unpins a post (moderators); logged.
pub async fn pin_post(
    svc: &Services,
    actor: &Actor,
    circle: CircleId,
    post: PostId,
    pinned: bool,
) -> Result<()> {
    require_scope(actor, Scope::Write)?;
    let v = view(svc, actor, circle).await?;
    require_moderator(&v)?;
    let action = if pinned { "pin" } else { "unpin" };
    let log = log_entry(
        svc,
        circle,
        Some(v.viewer),
        action,
        format!("post:{post}"),
        "",
    );
    let at = pinned.then(|| svc.clock.now());
    if svc.store.post_set_pinned(circle, post, at, &log).await? {
        svc.feed.bump(circle);
        Ok(())
    } else {
        Err(CircleError::NotFound)
    }
}

/// Deletes a post (soft): its author, or a moderator with a reason (logged).
pub async fn delete_post(
    svc: &Services,
    actor: &Actor,
    circle: CircleId,
    post: PostId,
    reason: &str,
) -> Result<()> {
    require_scope(actor, Scope::Write)?;
    let reason = text(reason, "reason", REASON_MAX, false)?;
    let v = view(svc, actor, circle).await?;
    let (p, moderator) = managed_post(svc, &v, post).await?;
    let mine = p.author_account_id == v.viewer;
    if !mine && !moderator {
        return Err(CircleError::Forbidden);
    }
    let log = (!mine).then(|| {
        log_entry(
            svc,
            circle,
            Some(v.viewer),
            "delete",
            format!("post:{post}"),
            &reason,
        )
    });
    if svc
        .store
        .post_delete(circle, post, svc.clock.now(), log.as_ref())
        .await?
    {
        svc.feed.bump(circle);
        Ok(())
    } else {
        Err(CircleError::NotFound)
    }
}

/// Pinned posts the viewer may see, newest pin first: shown above the first page
/// of a feed (`sort` and `page` name that feed, so plain viewers share its cache).
pub async fn pinned_of(
    svc: &Services,
    v: &CircleView,
    sort: FeedSort,
    page: &PageRequest,
) -> Result<Vec<PostRecord>> {
    if page.after.is_some() {
        return Ok(Vec::new());
    }
    if let Some(p) = crate::circles::cached_page(svc, v, sort, page).await? {
        return Ok(p.pinned.clone());
    }
    Ok(svc
        .store
        .post_pinned(v.circle.id, v.viewer, svc.clock.now())
        .await?)
}

// ---------------------------------------------------------------------------------
// The task board

/// Takes one workflow step on a task or need.
pub async fn task_action(
    svc: &Services,
    actor: &Actor,
    circle: CircleId,
    post: PostId,
    action: TaskAction,
    note: &str,
) -> Result<PostRecord> {
    require_scope(actor, Scope::Write)?;
    let note = text(note, "note", REASON_MAX, false)?;
    let v = view(svc, actor, circle).await?;
    let m = active_member(&v)?.clone();
    let p = svc
        .store
        .post_get(circle, post, m.account_id, svc.clock.now())
        .await?
        .ok_or(CircleError::NotFound)?;
    let Some(state) = p.task_state else {
        return Err(CircleError::NotATask);
    };
    ensure_not_sanctioned(svc, &v)?;
    let who = TaskActor {
        owner: p.author_account_id == m.account_id || v.can_admin(),
        assignee: p.task_assignee == Some(m.account_id),
    };
    let next = state.apply(action, who).map_err(CircleError::Task)?;
    let assignee = match action {
        TaskAction::Claim => Some(Some(m.account_id)),
        TaskAction::Unclaim => Some(None),
        _ => None,
    };
    let step = TaskStepRecord {
        id: TaskStepId::new(),
        post_id: post,
        state: next,
        account_id: m.account_id,
        actor_name: m.display_name.clone(),
        note,
        at: svc.clock.now(),
    };
    // Guarded on the state read above: of two members claiming at once, one wins.
    if !svc.store.task_step(circle, state, assignee, &step).await? {
        return Err(CircleError::Task(TaskError::BadTransition));
    }
    svc.feed.bump(circle);
    let ev = event(
        svc,
        &v.circle,
        "task.step",
        m.account_id,
        json!({"post": post.to_string(), "state": next.as_str()}),
    );
    svc.store.event_append(&ev).await?;
    announce(svc, &ev).await;
    let step_note = |to| Note {
        to,
        kind: NotifyKind::Task,
        circle: Some(circle),
        post: Some(post),
        actor_name: m.display_name.clone(),
        body: format!("{} → {}", p.title, next.as_str()),
    };
    let mut notes = vec![step_note(p.author_account_id)];
    if let Some(a) = p.task_assignee {
        notes.push(step_note(a));
    }
    crate::notify::send(svc, notes, m.account_id).await;
    svc.store
        .post_get_any(circle, post)
        .await?
        .ok_or(CircleError::NotFound)
}

pub async fn task_steps(
    svc: &Services,
    actor: &Actor,
    circle: CircleId,
    post: PostId,
) -> Result<Vec<TaskStepRecord>> {
    let v = view(svc, actor, circle).await?;
    svc.store
        .post_get(circle, post, v.viewer, svc.clock.now())
        .await?
        .ok_or(CircleError::NotFound)?;
    Ok(svc.store.task_steps(post).await?)
}

// ---------------------------------------------------------------------------------
// Reports and the review queue

/// Reports a post. The flag weighs by the reporter's trust level and past accuracy;
/// circle moderators' reports hide at once.
pub async fn report(
    svc: &Services,
    actor: &Actor,
    circle: CircleId,
    post: PostId,
    reason: ReportReason,
    note: &str,
) -> Result<ReportOutcome> {
    require_scope(actor, Scope::Write)?;
    let note = text(note, "note", REASON_MAX, false)?;
    let v = view(svc, actor, circle).await?;
    let m = active_member(&v)?;
    let now = svc.clock.now();
    let p = svc
        .store
        .post_get(circle, post, m.account_id, now)
        .await?
        .ok_or(CircleError::NotFound)?;
    if p.author_account_id == m.account_id {
        return Err(CircleError::Forbidden);
    }
    let weight = if m.role.can_moderate() {
        HIDE_THRESHOLD
    } else {
        let activity = svc.store.member_activity(circle, m.account_id, now).await?;
        let (upheld, resolved) = svc.store.report_accuracy(m.account_id).await?;
        TrustLevel::of(activity).flag_weight(upheld, resolved)
    };
    let r = ReportRecord {
        id: ReportId::new(),
        circle_id: circle,
        post_id: post,
        account_id: m.account_id,
        reporter_name: m.display_name.clone(),
        reason,
        note,
        weight,
        status: ReportStatus::Open,
        created_at: now,
    };
    let log = log_entry(
        svc,
        circle,
        None,
        "auto_hide",
        format!("post:{post}"),
        "reports reached the threshold; hidden pending review",
    );
    let out = svc
        .store
        .report_insert(&r, HIDE_THRESHOLD, &log)
        .await
        .map_err(|e| {
            if e.is_conflict_on(constraints::REPORT_ONCE) {
                CircleError::AlreadyReported
            } else {
                e.into()
            }
        })?;
    if out.hidden_now {
        written(svc, circle).await;
        tell_author(svc, &p, "hidden pending review").await;
    }
    Ok(out)
}

pub async fn queue(svc: &Services, actor: &Actor, circle: CircleId) -> Result<Vec<QueueItem>> {
    let v = view(svc, actor, circle).await?;
    require_moderator(&v)?;
    Ok(svc.store.report_queue(circle, QUEUE_LIMIT).await?)
}

/// Resolves a reported or held post: upheld removes it, dismissed shows it again.
pub async fn resolve(
    svc: &Services,
    actor: &Actor,
    circle: CircleId,
    post: PostId,
    status: ReportStatus,
    reason: &str,
) -> Result<()> {
    require_scope(actor, Scope::Write)?;
    let reason = text(reason, "reason", REASON_MAX, false)?;
    if status == ReportStatus::Open {
        return Err(
            ParseError::new("status", "invalid_report_status", "upheld or dismissed").into(),
        );
    }
    let v = view(svc, actor, circle).await?;
    require_moderator(&v)?;
    let action = match status {
        ReportStatus::Upheld => "remove",
        _ => "restore",
    };
    let log = log_entry(
        svc,
        circle,
        Some(v.viewer),
        action,
        format!("post:{post}"),
        &reason,
    );
    let p = svc.store.post_get_any(circle, post).await?;
    if svc
        .store
        .report_resolve(circle, post, status, v.viewer, svc.clock.now(), &log)
        .await?
    {
        written(svc, circle).await;
        if let Some(p) = p {
            let what = if status == ReportStatus::Upheld {
                "removed by a moderator"
            } else {
                "restored by a moderator"
            };
            tell_author(svc, &p, what).await;
        }
        Ok(())
    } else {
        Err(CircleError::NotFound)
    }
}

/// The public moderation log: anyone who can see the circle can read it.
pub async fn mod_log(
    svc: &Services,
    actor: &Actor,
    circle: CircleId,
    page: &PageRequest,
) -> Result<Page<ModLogRecord>> {
    view(svc, actor, circle).await?;
    Ok(svc.store.mod_log_list(circle, page).await?)
}

// ---------------------------------------------------------------------------------
// Mutes and bans

/// Mutes or bans a member for `hours` (None: until lifted), if the actor outranks
/// them: moderators act on members, teachers and later-appointed moderators;
/// circle admins also on every moderator; no one on an owner.
pub async fn sanction(
    svc: &Services,
    actor: &Actor,
    circle: CircleId,
    account: AccountId,
    kind: SanctionKind,
    hours: Option<i64>,
    reason: &str,
) -> Result<SanctionRecord> {
    require_scope(actor, Scope::Write)?;
    let reason = text(reason, "reason", REASON_MAX, false)?;
    if let Some(h) = hours
        && !(1..=SANCTION_MAX_HOURS).contains(&h)
    {
        return Err(ParseError::new(
            "hours",
            "out_of_range",
            format!("1 to {SANCTION_MAX_HOURS}, or leave out for no expiry"),
        )
        .into());
    }
    let v = view(svc, actor, circle).await?;
    require_moderator(&v)?;
    if account == v.viewer {
        return Err(CircleError::Forbidden);
    }
    let target = svc
        .store
        .circle_member_get(circle, account)
        .await?
        .ok_or(CircleError::NotFound)?;
    if !outranks(&v, &target) {
        return Err(CircleError::Forbidden);
    }
    let now = svc.clock.now();
    let s = SanctionRecord {
        circle_id: circle,
        account_id: account,
        display_name: target.display_name.clone(),
        kind,
        until: hours.map(|h| now.plus_secs(h * 3600)),
        reason: reason.clone(),
        created_by: v.viewer,
        created_at: now,
    };
    let log = log_entry(
        svc,
        circle,
        Some(v.viewer),
        kind.as_str(),
        format!("member:{}", target.display_name),
        &reason,
    );
    svc.store.sanction_set(&s, &log).await?;
    written(svc, circle).await;
    let note = Note {
        to: account,
        kind: NotifyKind::Moderation,
        circle: Some(circle),
        post: None,
        actor_name: String::new(),
        body: format!("{}: {} {}", v.circle.name, kind.as_str(), reason),
    };
    crate::notify::send(svc, vec![note], v.viewer).await;
    Ok(s)
}

pub async fn lift_sanction(
    svc: &Services,
    actor: &Actor,
    circle: CircleId,
    account: AccountId,
    kind: SanctionKind,
) -> Result<()> {
    require_scope(actor, Scope::Write)?;
    let v = view(svc, actor, circle).await?;
    require_moderator(&v)?;
    let name = svc
        .store
        .account_get(account)
        .await?
        .map(|a| a.display_name)
        .unwrap_or_default();
    let log = log_entry(
        svc,
        circle,
        Some(v.viewer),
        &format!("un{}", kind.as_str()),
        format!("member:{name}"),
        "",
    );
    if svc.store.sanction_lift(circle, account, kind, &log).await? {
        written(svc, circle).await;
        Ok(())
    } else {
        Err(CircleError::NotFound)
    }
}

pub async fn sanctions(
    svc: &Services,
    actor: &Actor,
    circle: CircleId,
) -> Result<Vec<SanctionRecord>> {
    let v = view(svc, actor, circle).await?;
    require_moderator(&v)?;
    Ok(svc.store.sanctions(circle, None, svc.clock.now()).await?)
}

// ---------------------------------------------------------------------------------
// Sensitive words (per org: owners, admins and operators)

fn require_word_editor(access: &OrgAccess) -> Result<()> {
    access
        .require_scope(Scope::Admin)
        .map_err(|_| CircleError::MissingScope("admin"))?;
    if matches!(access.role(), Role::Owner | Role::Admin | Role::Operator) {
        Ok(())
    } else {
        Err(CircleError::Forbidden)
    }
}

pub const WORDS_MAX: usize = 2_000;

pub async fn words(svc: &Services, access: &OrgAccess) -> Result<Vec<(String, WordAction)>> {
    require_word_editor(access)?;
    Ok(svc.store.sensitive_words(access.org()).await?)
}

pub async fn set_word(
    svc: &Services,
    access: &OrgAccess,
    word: &str,
    action: WordAction,
) -> Result<String> {
    require_word_editor(access)?;
    let word = short_label(word, "word")?;
    let have = svc.store.sensitive_words(access.org()).await?;
    if have.len() >= WORDS_MAX && !have.iter().any(|(w, _)| *w == word) {
        return Err(
            ParseError::new("word", "too_many", format!("at most {WORDS_MAX} words")).into(),
        );
    }
    svc.store
        .sensitive_word_set(access.org(), &word, action, svc.clock.now())
        .await?;
    words_changed(svc, access.org()).await;
    Ok(word)
}

pub async fn delete_word(svc: &Services, access: &OrgAccess, word: &str) -> Result<()> {
    require_word_editor(access)?;
    let word = short_label(word, "word")?;
    if svc.store.sensitive_word_delete(access.org(), &word).await? {
        words_changed(svc, access.org()).await;
        Ok(())
    } else {
        Err(CircleError::NotFound)
    }
}
