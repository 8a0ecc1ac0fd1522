//! Circles use cases: create circles from a mode's preset, join by the circle's
//! policy, list members, post, and read the feed.
//!
//! Visibility is decided in one place, [`view`]: a circle is seen by its active
//! members, by staff of its org, and — if it is public and not internal — by anyone
//! signed in. Everyone else gets `NotFound`, so a private circle's existence does not
//! leak. A token sees only circles of its own org.

use crate::circle_ops::{Verdict, WriteKind, guard_write, hold_post};
use crate::events::{announce, new_event};
use crate::identity::{Actor, OrgAccess};
use crate::notify::Note;
use crate::{
    CircleMemberRecord, CircleRecord, CommentRecord, FeedSort, MemberStatus, Page, PageRequest,
    PostRecord, Services, StoreError, constraints,
};
use quan_domain::*;
use serde_json::json;

#[derive(Debug, thiserror::Error)]
pub enum CircleError {
    #[error(transparent)]
    Invalid(#[from] ParseError),
    #[error("not found")]
    NotFound,
    #[error("your role does not allow this")]
    Forbidden,
    #[error("this token lacks the {0} scope")]
    MissingScope(&'static str),
    #[error("already a member, or a request is already waiting")]
    AlreadyMember,
    #[error("this circle is for staff of its organisation only")]
    OrgMembersOnly,
    #[error("this circle is joined by invitation only")]
    InviteRequired,
    #[error("this circle requires paid membership, which is not available yet")]
    PaymentRequired,
    #[error("only the circle's owners, admins, moderators and teachers may post here")]
    PostingRestricted,
    #[error("join the circle first")]
    NotMember,
    #[error("you are sending too fast; wait {retry_after:?}")]
    RateLimited { retry_after: std::time::Duration },
    #[error("this message is already a topic")]
    AlreadyPromoted,
    #[error("you are muted or banned in this circle")]
    Muted { until: Option<Timestamp> },
    #[error("you are banned from this circle")]
    Banned,
    #[error("new members may write only a few {0} in their first day")]
    NewMemberLimit(&'static str),
    #[error("this text contains a word this organisation does not allow")]
    SensitiveWord,
    #[error("this post is not a task or need")]
    NotATask,
    #[error(transparent)]
    Task(TaskError),
    #[error("you have already reported this post")]
    AlreadyReported,
    #[error("this invite link is invalid, expired or used up")]
    InviteInvalid,
    #[error("{0}")]
    MergeConflict(&'static str),
    #[error("internal error")]
    Internal(#[source] Box<dyn std::error::Error + Send + Sync>),
}

impl From<StoreError> for CircleError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::NotFound => CircleError::NotFound,
            other => CircleError::Internal(Box::new(other)),
        }
    }
}

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

pub fn text(
    raw: &str,
    field: &'static str,
    max: usize,
    required: bool,
) -> Result<String, ParseError> {
    let s = raw.trim();
    if required && s.is_empty() {
        return Err(ParseError::new(field, "required", "must not be empty"));
    }
    if s.chars().count() > max {
        return Err(ParseError::new(
            field,
            "too_long",
            format!("at most {max} characters"),
        ));
    }
    if s.chars()
        .any(|c| c.is_control() && c != '\n' && c != '\r' && c != '\t')
    {
        return Err(ParseError::new(
            field,
            "invalid_characters",
            "control characters are not allowed",
        ));
    }
    Ok(s.to_owned())
}

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

/// A new post as parsed from a request.
#[derive(Debug)]
pub struct NewPost {
    pub kind: PostKind,
    pub title: String,
    pub body: String,
    pub audience: Audience,
    /// The tags `audience` is about (empty for everyone).
    pub audience_tags: Vec<String>,
    /// Images uploaded to the circle by the author, in order (at most nine).
    pub images: Vec<ImageId>,
    /// Topic tags, normalised like circle tags (at most five).
    pub tags: Vec<String>,
}

impl NewPost {
    pub fn parse(kind: Option<&str>, title: &str, body: &str) -> Result<Self, ParseError> {
        Ok(Self {
            kind: kind
                .map(PostKind::parse)
                .transpose()?
                .unwrap_or(PostKind::Topic),
            title: text(title, "title", TITLE_MAX, true)?,
            body: text(body, "body", BODY_MAX, false)?,
            audience: Audience::All,
            audience_tags: Vec::new(),
            images: Vec::new(),
            tags: Vec::new(),
        })
    }
    /// Adds topic tags (see [`parse_circle_tags`]).
    pub fn with_tags<S: AsRef<str>>(mut self, raw: &[S]) -> Result<Self, ParseError> {
        self.tags = parse_circle_tags(raw)?;
        Ok(self)
    }
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
    pub quirks: (i64, bool),
    /// The member's mutes and bans in force when the view was read (setting or
    /// lifting one evicts the view; expiry is checked against the clock at use).
    pub sanctions: Vec<crate::SanctionRecord>,
}

impl CircleView {
    /// Whether this viewer sees exactly the plain feed (see [`crate::feed_cache`]).
    pub fn plain(&self) -> bool {
        self.quirks == (0, false) && self.active_role().is_none_or(|r| !r.is_circle_staff())
    }
    fn active_role(&self) -> Option<CircleRole> {
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
            Err(CircleError::MissingScope(s.as_str()))
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
                .ok_or(CircleError::NotFound)?;
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
        return Err(CircleError::NotFound);
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
        Err(CircleError::NotFound)
    }
}

/// Membership or settings of a circle changed: every node drops its cached views.
pub(crate) async fn views_changed(svc: &Services, circle: CircleId) {
    crate::auth_cache::evict(
        &svc.auth,
        svc.bus.as_ref(),
        crate::auth_cache::circle_eviction(circle),
    )
    .await;
}

pub fn event(
    svc: &Services,
    c: &CircleRecord,
    kind: &str,
    actor: AccountId,
    data: serde_json::Value,
) -> crate::EventRecord {
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
pub async fn create_circle(
    svc: &Services,
    access: &OrgAccess,
    n: NewCircle,
) -> Result<CircleRecord> {
    access
        .require_scope(Scope::Write)
        .map_err(|_| CircleError::MissingScope("write"))?;
    if !matches!(
        access.role(),
        Role::Owner | Role::Admin | Role::Operator | Role::Teacher
    ) {
        return Err(CircleError::Forbidden);
    }
    let account = svc
        .store
        .account_get(access.account())
        .await?
        .ok_or(CircleError::NotFound)?;
    let now = svc.clock.now();
    let person = crate::persons::person_for(svc, access.org(), &account).await?;
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
        is_member: true,
        is_customer: false,
        is_fan: false,
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

/// Joins by the circle's policy: open → member; approval → a request for the
/// admins; org members only → staff of the org only; invite → refused here (invite
/// links come later); paid → refused until payments exist.
#[tracing::instrument(skip_all, fields(circle = %id))]
pub async fn join(svc: &Services, actor: &Actor, id: CircleId) -> Result<MemberStatus> {
    require_scope(actor, Scope::Write)?;
    let v = view(svc, actor, id).await?;
    if v.membership.is_some() {
        return Err(CircleError::AlreadyMember);
    }
    crate::circle_ops::ensure_not_banned(svc, id, actor.account_id()).await?;
    let status = match v.circle.join_policy {
        JoinPolicy::Open => MemberStatus::Active,
        JoinPolicy::Approval => MemberStatus::Pending,
        JoinPolicy::OrgMembers if v.org_role.is_some() => MemberStatus::Active,
        JoinPolicy::OrgMembers => return Err(CircleError::OrgMembersOnly),
        JoinPolicy::Invite => return Err(CircleError::InviteRequired),
        JoinPolicy::Paid => return Err(CircleError::PaymentRequired),
    };
    let account = svc
        .store
        .account_get(actor.account_id())
        .await?
        .ok_or(CircleError::NotFound)?;
    let now = svc.clock.now();
    let person = crate::persons::person_for(svc, v.circle.org_id, &account).await?;
    let m = CircleMemberRecord {
        circle_id: id,
        account_id: account.id,
        person_id: person.id,
        display_name: person.display_name,
        role: CircleRole::Member,
        status,
        is_member: true,
        is_customer: false,
        is_fan: false,
        joined_at: now,
        role_since: now,
    };
    let kind = if status == MemberStatus::Active {
        "circle.joined"
    } else {
        "circle.join_requested"
    };
    let ev = event(
        svc,
        &v.circle,
        kind,
        account.id,
        json!({"display_name": m.display_name}),
    );
    svc.store.circle_member_insert(&m, &ev).await.map_err(|e| {
        if e.is_conflict_on(constraints::CIRCLE_MEMBER_PK) {
            CircleError::AlreadyMember
        } else {
            e.into()
        }
    })?;
    views_changed(svc, id).await;
    announce(svc, &ev).await;
    Ok(status)
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

/// Posts to a circle: active members only, within the posting policy; notices are
/// for the circle's staff.
#[tracing::instrument(skip_all, fields(circle = %id))]
pub async fn post(svc: &Services, actor: &Actor, id: CircleId, p: NewPost) -> Result<PostRecord> {
    require_scope(actor, Scope::Write)?;
    let v = view(svc, actor, id).await?;
    let (Some(role), Some(m)) = (v.active_role(), v.membership.as_ref()) else {
        return Err(CircleError::NotMember);
    };
    let staff_only = v.circle.posting == PostingPolicy::Staff || p.kind == PostKind::Notice;
    if staff_only && !role.is_circle_staff() {
        return Err(CircleError::PostingRestricted);
    }
    let verdict = guard_write(svc, &v, m, WriteKind::Post, &p.content()).await?;
    crate::circle_ops::check_post_images(svc, &v, m, &p.images).await?;
    let now = svc.clock.now();
    let rec = PostRecord {
        id: PostId::new(),
        circle_id: id,
        org_id: v.circle.org_id,
        author_account_id: m.account_id,
        author_person_id: m.person_id,
        author_name: m.display_name.clone(),
        kind: p.kind,
        title: p.title,
        body: p.body,
        score: 0,
        comment_count: 0,
        // Materialised at write time; the rank job keeps it current afterwards.
        hot_rank: hot_rank(0, 0),
        last_activity_at: now,
        created_at: now,
        pinned_at: None,
        edited_at: None,
        hidden_at: None,
        task_state: matches!(p.kind, PostKind::Task | PostKind::Need).then_some(TaskState::Open),
        task_assignee: None,
        audience: p.audience,
        tags: p.tags.clone(),
        my_reactions: Vec::new(),
        images: p.images.clone(),
    };
    let ev = event(
        svc,
        &v.circle,
        "post.created",
        m.account_id,
        json!({"post": rec.id.to_string(), "title": rec.title, "kind": rec.kind.as_str()}),
    );
    let terms = crate::search::post_terms(&rec);
    svc.store
        .post_insert(&rec, &p.audience_tags, &terms, &ev)
        .await?;
    svc.feed.bump(id);
    let mut rec = rec;
    if matches!(verdict, Verdict::Hold { .. }) {
        hold_post(svc, &rec).await?;
        rec.hidden_at = Some(now);
    } else {
        announce(svc, &ev).await;
        crate::notify::post_mentions(svc, &rec, &m.display_name).await;
    }
    Ok(rec)
}

pub async fn feed(
    svc: &Services,
    actor: &Actor,
    id: CircleId,
    sort: FeedSort,
    page: &PageRequest,
) -> Result<Page<PostRecord>> {
    let v = view(svc, actor, id).await?;
    feed_of(svc, &v, sort, page).await
}

/// The circle's posts with a topic tag, newest first (not cached: tag pages are
/// read far less than the circle's own feed).
pub async fn tagged(
    svc: &Services,
    actor: &Actor,
    id: CircleId,
    tag: &str,
    page: &PageRequest,
) -> Result<Page<PostRecord>> {
    let v = view(svc, actor, id).await?;
    let tag = parse_tag(tag)?;
    let mut p = svc
        .store
        .post_feed_tagged(id, &tag, page, v.viewer, svc.clock.now())
        .await?;
    fill_images(svc, &mut p.items).await?;
    if let Ok(m) = active_member(&v)
        && !p.items.is_empty()
    {
        let ids: Vec<PostId> = p.items.iter().map(|x| x.id).collect();
        let mine = svc.store.reactions_mine(m.person_id, &ids).await?;
        for x in &mut p.items {
            x.my_reactions = mine
                .iter()
                .filter(|(post, _)| *post == x.id)
                .map(|(_, k)| *k)
                .collect();
        }
    }
    Ok(p)
}

/// A feed page for a circle already seen through [`view`], with the viewer's own
/// reactions. Plain viewers share cached pages (see [`crate::feed_cache`]).
pub async fn feed_of(
    svc: &Services,
    v: &CircleView,
    sort: FeedSort,
    page: &PageRequest,
) -> Result<Page<PostRecord>> {
    let mut f = feed_read(svc, v, sort, page).await?;
    let mut out = match (&f.cached, f.fresh.take()) {
        (Some(c), _) => c.page.clone(),
        (None, Some(p)) => p,
        (None, None) => Page {
            items: Vec::new(),
            next: None,
        },
    };
    for p in &mut out.items {
        p.my_reactions = f.mine_of(p.id);
    }
    Ok(out)
}

/// A feed read: the shared cached page, or a page read for this viewer, and the
/// viewer's reactions on it.
#[derive(Debug)]
pub struct FeedRead {
    pub cached: Option<std::sync::Arc<crate::feed_cache::CachedPage>>,
    pub fresh: Option<Page<PostRecord>>,
    pub mine: crate::feed_cache::Mine,
}

impl FeedRead {
    pub fn mine_of(&self, post: PostId) -> Vec<ReactionKind> {
        self.mine
            .iter()
            .filter(|(id, _)| *id == post)
            .map(|(_, k)| *k)
            .collect()
    }
}

pub async fn feed_read(
    svc: &Services,
    v: &CircleView,
    sort: FeedSort,
    page: &PageRequest,
) -> Result<FeedRead> {
    let key = page_key(sort, page);
    let (cached, fresh) = match cached_page(svc, v, sort, page).await? {
        Some(c) => (Some(c), None),
        None => {
            let mut p = svc
                .store
                .post_feed(v.circle.id, sort, page, v.viewer, svc.clock.now())
                .await?;
            fill_images(svc, &mut p.items).await?;
            (None, Some(p))
        }
    };
    let items = match (&cached, &fresh) {
        (Some(c), _) => &c.page.items,
        (None, Some(p)) => &p.items,
        (None, None) => &Vec::new(),
    };
    let mine = my_reactions(svc, v, &key, items).await?;
    Ok(FeedRead {
        cached,
        fresh,
        mine,
    })
}

/// The cache key of a page; None for sorts not worth caching (top: its window
/// moves every instant).
fn page_key(sort: FeedSort, page: &PageRequest) -> String {
    let s = match sort {
        FeedSort::New => "new",
        FeedSort::Hot => "hot",
        FeedSort::Active => "active",
        FeedSort::Top { .. } => "top",
    };
    format!("{s}|{}|{}", page.after.as_deref().unwrap_or(""), page.limit)
}

/// The plain page from the cache, building it on a miss; None when this viewer (or
/// this circle) must read the store.
pub(crate) async fn cached_page(
    svc: &Services,
    v: &CircleView,
    sort: FeedSort,
    page: &PageRequest,
) -> Result<Option<std::sync::Arc<crate::feed_cache::CachedPage>>> {
    if !v.plain() || matches!(sort, FeedSort::Top { .. }) {
        return Ok(None);
    }
    let key = page_key(sort, page);
    let c = v.circle.id;
    let hit = match svc.feed.page(c, &key) {
        Some(p) => p,
        None => {
            // Read the version first: a write during the build leaves a stale entry
            // that the bumped version already retires.
            let version = svc.feed.version(c);
            let now = svc.clock.now();
            let nobody = AccountId::from_uuid(uuid::Uuid::nil());
            let restricted = svc.store.circle_has_audiences(c).await?;
            let mut first = svc.store.post_feed(c, sort, page, nobody, now).await?;
            fill_images(svc, &mut first.items).await?;
            let built = crate::feed_cache::CachedPage {
                page: first,
                pinned: if page.after.is_none() {
                    svc.store.post_pinned(c, nobody, now).await?
                } else {
                    Vec::new()
                },
                restricted,
                rendered: std::sync::OnceLock::new(),
            };
            let built = std::sync::Arc::new(built);
            svc.feed.put_page(c, key, built.clone(), version);
            built
        }
    };
    Ok((!hit.restricted).then_some(hit))
}

/// Attaches each post's image ids (one query for the page).
pub(crate) async fn fill_images(svc: &Services, posts: &mut [PostRecord]) -> Result<()> {
    if posts.is_empty() {
        return Ok(());
    }
    let ids: Vec<PostId> = posts.iter().map(|p| p.id).collect();
    let all = svc.store.images_of(&ids).await?;
    for p in posts.iter_mut() {
        p.images = all
            .iter()
            .filter(|(post, _)| *post == p.id)
            .map(|(_, i)| *i)
            .collect();
    }
    Ok(())
}

/// The viewer's own reactions on a page (one query, cached per page).
async fn my_reactions(
    svc: &Services,
    v: &CircleView,
    key: &str,
    posts: &[PostRecord],
) -> Result<crate::feed_cache::Mine> {
    let Ok(m) = active_member(v) else {
        return Ok(std::sync::Arc::default());
    };
    if posts.is_empty() {
        return Ok(std::sync::Arc::default());
    }
    let c = v.circle.id;
    Ok(match svc.feed.mine(m.person_id, c, key) {
        Some(x) => x,
        None => {
            let version = svc.feed.version(c);
            let ids: Vec<PostId> = posts.iter().map(|p| p.id).collect();
            let x = std::sync::Arc::new(svc.store.reactions_mine(m.person_id, &ids).await?);
            svc.feed
                .put_mine(m.person_id, c, key.to_owned(), x.clone(), version);
            x
        }
    })
}

/// The caller's active membership, or `NotMember`.
pub fn active_member(v: &CircleView) -> Result<&CircleMemberRecord> {
    v.membership
        .as_ref()
        .filter(|m| m.status == MemberStatus::Active)
        .ok_or(CircleError::NotMember)
}

/// A post with its comments (thread order) and the caller's reactions.
#[derive(Debug, Clone)]
pub struct PostView {
    pub post: PostRecord,
    pub comments: Vec<CommentRecord>,
    pub my_reactions: Vec<ReactionKind>,
}

pub async fn get_post(
    svc: &Services,
    actor: &Actor,
    circle: CircleId,
    id: PostId,
) -> Result<PostView> {
    let v = view(svc, actor, circle).await?;
    let mut post = svc
        .store
        .post_get(circle, id, actor.account_id(), svc.clock.now())
        .await?
        .ok_or(CircleError::NotFound)?;
    fill_images(svc, std::slice::from_mut(&mut post)).await?;
    let comments = svc.store.comment_list(id, COMMENTS_LIMIT).await?;
    let my_reactions = match active_member(&v) {
        Ok(m) => {
            // Opening a notice is reading it, where the circle keeps receipts.
            if post.kind == PostKind::Notice && v.circle.read_receipts {
                svc.store
                    .notice_read(id, m.account_id, svc.clock.now())
                    .await?;
            }
            // Others' posts read count towards trust.
            if post.author_account_id != m.account_id {
                svc.store
                    .post_view_record(circle, id, m.account_id, svc.clock.now())
                    .await?;
            }
            svc.store.reactions_of(id, m.person_id).await?
        }
        Err(_) => Vec::new(),
    };
    Ok(PostView {
        post,
        comments,
        my_reactions,
    })
}

/// Comments on a post (members only); `parent` makes it a reply.
#[tracing::instrument(skip_all, fields(circle = %circle, post = %post))]
pub async fn comment(
    svc: &Services,
    actor: &Actor,
    circle: CircleId,
    post: PostId,
    body: &str,
    parent: Option<CommentId>,
) -> Result<CommentRecord> {
    require_scope(actor, Scope::Write)?;
    let body = text(body, "body", COMMENT_MAX, true)?;
    let v = view(svc, actor, circle).await?;
    let m = active_member(&v)?;
    let p = svc
        .store
        .post_get(circle, post, actor.account_id(), svc.clock.now())
        .await?
        .ok_or(CircleError::NotFound)?;
    guard_write(svc, &v, m, WriteKind::Comment, &body).await?;
    let rec = CommentRecord {
        id: CommentId::new(),
        post_id: p.id,
        parent_id: parent,
        author_account_id: m.account_id,
        author_person_id: m.person_id,
        author_name: m.display_name.clone(),
        body,
        created_at: svc.clock.now(),
    };
    let ev = event(
        svc,
        &v.circle,
        "comment.created",
        m.account_id,
        json!({"post": p.id.to_string(), "comment": rec.id.to_string()}),
    );
    let saved = svc.store.comment_insert(&rec, &ev).await?;
    svc.feed.bump(circle);
    announce(svc, &ev).await;
    crate::search::index_comment(svc, &p, &saved.body).await;
    let reply = |to| Note {
        to,
        kind: NotifyKind::Reply,
        circle: Some(circle),
        post: Some(p.id),
        actor_name: m.display_name.clone(),
        body: format!("{} — {}", p.title, saved.body),
    };
    let mut notes = vec![reply(p.author_account_id)];
    if let Some(parent) = saved.parent_id
        && let Ok(Some(to)) = svc.store.comment_author(parent).await
    {
        notes.push(reply(to));
    }
    notes.extend(crate::notify::mention_notes(svc, &p, &saved.body, &m.display_name).await);
    crate::notify::send(svc, notes, m.account_id).await;
    Ok(saved)
}

/// Sets or clears one of the caller's reactions; returns the post's new score and
/// the caller's reactions.
pub async fn react(
    svc: &Services,
    actor: &Actor,
    circle: CircleId,
    post: PostId,
    kind: ReactionKind,
    on: bool,
) -> Result<(i64, Vec<ReactionKind>)> {
    require_scope(actor, Scope::Write)?;
    let v = view(svc, actor, circle).await?;
    let m = active_member(&v)?;
    let p = svc
        .store
        .post_get(circle, post, actor.account_id(), svc.clock.now())
        .await?
        .ok_or(CircleError::NotFound)?;
    let score = svc
        .store
        .reaction_set(post, m.person_id, kind, on, svc.clock.now())
        .await?;
    svc.feed.bump(circle);
    // Only a reaction that counted (not a repeated click) tells the author.
    if on && score > p.score {
        let note = Note {
            to: p.author_account_id,
            kind: NotifyKind::Reaction,
            circle: Some(circle),
            post: Some(post),
            actor_name: m.display_name.clone(),
            body: p.title.clone(),
        };
        crate::notify::send(svc, vec![note], m.account_id).await;
    }
    let mine = svc.store.reactions_of(post, m.person_id).await?;
    Ok((score, mine))
}

/// How far back others may see the caller's posts.
pub async fn history_window(svc: &Services, actor: &Actor) -> Result<HistoryWindow> {
    Ok(svc.store.account_history_window(actor.account_id()).await?)
}

/// Limits what others see of the caller's posts; a read-time filter, nothing is
/// deleted, and widening the window shows the older posts again.
pub async fn set_history_window(svc: &Services, actor: &Actor, w: HistoryWindow) -> Result<()> {
    let Actor::Session { .. } = actor else {
        // A person's own privacy is theirs to set, not an integration's.
        return Err(CircleError::Forbidden);
    };
    svc.store
        .account_set_history_window(actor.account_id(), w)
        .await?;
    // Plain feed pages hold this author's posts as the old window showed them.
    for (c, _) in svc.store.circles_of_account(actor.account_id()).await? {
        svc.feed.bump(c.id);
    }
    crate::auth_cache::evict(
        &svc.auth,
        svc.bus.as_ref(),
        crate::auth_cache::Eviction::Viewer {
            account: actor.account_id().to_string(),
        },
    )
    .await;
    Ok(())
}

/// Who has and has not read a notice: for its author and the circle's admins.
pub async fn receipts(
    svc: &Services,
    actor: &Actor,
    circle: CircleId,
    post: PostId,
) -> Result<Vec<crate::ReceiptRecord>> {
    let v = view(svc, actor, circle).await?;
    let p = svc
        .store
        .post_get(circle, post, actor.account_id(), svc.clock.now())
        .await?
        .ok_or(CircleError::NotFound)?;
    if p.kind != PostKind::Notice || !v.circle.read_receipts {
        return Err(CircleError::NotFound);
    }
    if p.author_account_id != actor.account_id() && !v.can_admin() {
        return Err(CircleError::Forbidden);
    }
    Ok(svc.store.notice_receipts(circle, post).await?)
}

/// Today as days since the epoch (UTC): the unit of check-ins.
pub fn day_of(t: Timestamp) -> i64 {
    t.millis().div_euclid(86_400_000)
}

/// Checks the caller in for today (打卡); idempotent within the day.
pub async fn checkin(
    svc: &Services,
    actor: &Actor,
    circle: CircleId,
) -> Result<(crate::StreakRecord, bool)> {
    require_scope(actor, Scope::Write)?;
    let v = view(svc, actor, circle).await?;
    let m = active_member(&v)?;
    let now = svc.clock.now();
    Ok(svc
        .store
        .checkin(circle, m.account_id, day_of(now), now)
        .await?)
}

/// Members by current streak.
pub async fn leaderboard(
    svc: &Services,
    actor: &Actor,
    circle: CircleId,
) -> Result<Vec<crate::StreakRecord>> {
    let v = view(svc, actor, circle).await?;
    leaderboard_of(svc, &v).await
}

/// The leaderboard of a circle already seen through [`view`].
pub async fn leaderboard_of(svc: &Services, v: &CircleView) -> Result<Vec<crate::StreakRecord>> {
    Ok(svc
        .store
        .checkin_leaderboard(v.circle.id, day_of(svc.clock.now()), 50)
        .await?)
}
