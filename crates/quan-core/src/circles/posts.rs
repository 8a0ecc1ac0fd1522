//! Posts: writing them (past the moderation write guard), reading one with its
//! comments, commenting, reacting, editing with history, and the pinned list.

use crate::Services;
use crate::access::{Actor, CircleView, active_member, require_moderator, require_scope, view};
use crate::circles::CircleError;
use crate::circles::port::{CommentRecord, FeedSort, PostEditRecord, PostRecord};
use crate::circles::{BODY_MAX, COMMENT_MAX, COMMENTS_LIMIT, TITLE_MAX, event};
use crate::events::announce;
use crate::input::text;
use crate::moderation::guard::{Verdict, WriteKind, guard_write, hold_post, quota, quota_error};
use crate::notify::Note;
use crate::page::PageRequest;
use crate::ports::StoreError;
use quan_domain::{
    Audience, CircleId, CommentId, ImageId, NotifyKind, ParseError, PostId, PostKind,
    PostingPolicy, ReactionKind, Scope, TaskState, hot_rank, parse_circle_tags, short_label,
};
use serde_json::json;

type Result<T, E = CircleError> = std::result::Result<T, E>;

/// Whether `p` would be accepted, before anything is written: membership, the
/// posting policy and the write guard (sanctions, first-day limits, sensitive
/// words). The composer asks this before it uploads a post's images, so a refused
/// post spends none of a new member's image allowance.
pub async fn admit(
    svc: &Services,
    actor: &Actor,
    id: CircleId,
    p: &NewPost,
) -> Result<(CircleView, Verdict)> {
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
    Ok((v, verdict))
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

/// Posts to a circle: active members only, within the posting policy; notices are
/// for the circle's staff.
#[tracing::instrument(skip_all, fields(circle = %id))]
pub async fn post(svc: &Services, actor: &Actor, id: CircleId, p: NewPost) -> Result<PostRecord> {
    let (v, verdict) = admit(svc, actor, id, &p).await?;
    let Some(m) = v.membership.as_ref() else {
        return Err(CircleError::NotMember);
    };
    crate::circles::images::check_post_images(svc, &v, m, &p.images).await?;
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
    let quota = quota(svc, &v, m, WriteKind::Post);
    svc.store
        .post_insert(&rec, &p.audience_tags, quota, &ev)
        .await
        .map_err(|e| quota_error(e, WriteKind::Post))?;
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
    let visible = svc
        .store
        .post_get(circle, id, actor.account_id(), svc.clock.now())
        .await?;
    let mut post = match visible {
        Some(p) => p,
        // Moderators open held and hidden posts too: that is how they review them.
        None if require_moderator(&v).is_ok() => svc
            .store
            .post_get_any(circle, id)
            .await?
            .ok_or(CircleError::NotFound)?,
        None => return Err(CircleError::NotFound),
    };
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
        // The post's title, so the org's activity says what was commented on.
        json!({"post": p.id.to_string(), "comment": rec.id.to_string(), "title": p.title}),
    );
    let saved = svc
        .store
        .comment_insert(&rec, quota(svc, &v, m, WriteKind::Comment), &ev)
        .await
        .map_err(|e| quota_error(e, WriteKind::Comment))?;
    svc.feed.bump(circle);
    announce(svc, &ev).await;
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
    let (score, changed) = svc
        .store
        .reaction_set(post, m.person_id, kind, on, svc.clock.now())
        .await?;
    svc.feed.bump(circle);
    // Only the call that added the reaction tells the author: a repeated click or a
    // concurrent duplicate changed no row (comparing scores raced: two concurrent
    // likes each saw a higher score than the one they had read).
    if on && changed {
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

/// A post as its author or a moderator may manage it, and whether the viewer
/// moderates the circle; `None` where the viewer may not see it (its callers, here
/// and in moderation, answer `NotFound` in their own error type).
pub(crate) async fn managed_post(
    svc: &Services,
    v: &CircleView,
    post: PostId,
) -> Result<Option<(PostRecord, bool)>, StoreError> {
    let Some(p) = svc.store.post_get_any(v.circle.id, post).await? else {
        return Ok(None);
    };
    let mine = p.author_account_id == v.viewer;
    let moderator = require_moderator(v).is_ok();
    if p.hidden_at.is_some() && !mine && !moderator {
        return Ok(None);
    }
    Ok(Some((p, moderator)))
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
    let (p, _) = managed_post(svc, &v, post)
        .await?
        .ok_or(CircleError::NotFound)?;
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
    if let Some(p) = crate::circles::feed::cached_page(svc, v, sort, page).await? {
        return Ok(p.pinned.clone());
    }
    Ok(svc
        .store
        .post_pinned(v.circle.id, v.viewer, svc.clock.now())
        .await?)
}
