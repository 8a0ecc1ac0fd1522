//! Group chat fused with the circle: rooms, messages delivered live over the bus (so
//! they reach WebSockets on every node), history, unread counts, a per-member send
//! rate limit, and promoting a message to a topic that links back to it.
//!
//! Messages are high-volume, so they are not written to the org's event log; the
//! message table is their history, and the bus topic `room:<id>` their live feed.

mod error;
pub mod port;

pub use error::ChatError;

use crate::Services;
use crate::access::{Actor, CircleView, active_member, require_scope, view};
use crate::chat::port::{MessageRecord, RoomRecord};
use crate::circles::CircleError;
use crate::circles::event;
use crate::circles::port::PostRecord;
use crate::events::announce;
use crate::input::text;
use crate::ports::RateDecision;
use quan_domain::{
    Audience, CircleId, ImageId, MessageId, NotifyKind, ParseError, PostId, PostKind, RoomId,
    Scope, hot_rank,
};
use serde_json::json;
use std::time::Duration;

type Result<T, E = ChatError> = std::result::Result<T, E>;

pub const MESSAGE_MAX: usize = 2_000;
/// Messages per member per room within [`SEND_WINDOW`] (PRODUCT: 3 per 2 s).
pub const SEND_LIMIT: u32 = 3;
pub const SEND_WINDOW: Duration = Duration::from_secs(2);
pub const HISTORY_MAX: i64 = 100;

/// The bus topic carrying a room's messages.
pub fn room_topic(room: RoomId) -> String {
    format!("room:{room}")
}

/// The wire form of a message, shared by the API and the WebSocket.
pub fn message_json(m: &MessageRecord) -> serde_json::Value {
    json!({
        "id": m.id.to_string(),
        "room_id": m.room_id.to_string(),
        "author": {"person_id": m.author_person_id.to_string(), "display_name": m.author_name},
        "body": m.body,
        "reply_to": m.reply_to.map(|r| r.to_string()),
        "promoted_post_id": m.promoted_post_id.map(|p| p.to_string()),
        "created_at": m.created_at.millis(),
        "image": m.image_id.map(|i| format!("/api/v1/images/{i}")),
    })
}

async fn room_view(
    svc: &Services,
    actor: &Actor,
    circle: CircleId,
    room: RoomId,
) -> Result<(CircleView, RoomRecord)> {
    let v = view(svc, actor, circle).await?;
    // Chat is for members: a public circle's visitors read posts, not the chat.
    active_member(&v)?;
    let r = svc
        .store
        .room_get(circle, room)
        .await?
        .ok_or(CircleError::NotFound)?;
    Ok((v, r))
}

/// The circle's rooms with the caller's unread counts.
pub async fn rooms(
    svc: &Services,
    actor: &Actor,
    circle: CircleId,
) -> Result<Vec<(RoomRecord, i64)>> {
    let v = view(svc, actor, circle).await?;
    active_member(&v)?;
    Ok(svc
        .store
        .rooms_with_unread(circle, actor.account_id())
        .await?)
}

/// Rooms per circle, at most (the default one included).
pub const ROOMS_MAX: i64 = 20;
pub const ROOM_NAME_MAX: usize = 30;

/// Adds a chat room to a circle (its owners and admins, or the org's).
pub async fn create_room(
    svc: &Services,
    actor: &Actor,
    circle: CircleId,
    name: &str,
) -> Result<RoomRecord> {
    require_scope(actor, Scope::Write)?;
    let name = text(name, "name", ROOM_NAME_MAX, true)?;
    let v = view(svc, actor, circle).await?;
    if !v.can_admin() {
        return Err(CircleError::Forbidden.into());
    }
    let r = RoomRecord {
        id: RoomId::new(),
        circle_id: circle,
        name,
        is_default: false,
        created_at: svc.clock.now(),
    };
    if svc.store.room_insert(&r, ROOMS_MAX).await? {
        Ok(r)
    } else {
        Err(ParseError::new(
            "name",
            "too_many",
            format!("at most {ROOMS_MAX} rooms per circle"),
        )
        .into())
    }
}

/// Sends a message: members only, at most [`SEND_LIMIT`] per [`SEND_WINDOW`] (a
/// member over it is muted until the window passes).
#[tracing::instrument(skip_all, fields(room = %room))]
pub async fn send(
    svc: &Services,
    actor: &Actor,
    circle: CircleId,
    room: RoomId,
    body: &str,
    reply_to: Option<MessageId>,
    image: Option<ImageId>,
) -> Result<MessageRecord> {
    require_scope(actor, Scope::Write)?;
    // A message is text, an image, or both.
    let body = text(body, "body", MESSAGE_MAX, image.is_none())?;
    let (v, r) = room_view(svc, actor, circle, room).await?;
    let m = active_member(&v)?;
    if let Some(img) = image {
        crate::circles::images::check_post_images(svc, &v, m, &[img]).await?;
    }
    crate::moderation::guard::guard_write(
        svc,
        &v,
        m,
        crate::moderation::guard::WriteKind::Chat,
        &body,
    )
    .await?;
    let key = format!("chat:{room}:{}", m.account_id);
    match svc
        .limiter
        .hit(&key, SEND_LIMIT, SEND_WINDOW)
        .await
        .map_err(|e| CircleError::Internal(Box::new(e)))?
    {
        RateDecision::Allowed { .. } => {}
        RateDecision::Limited { retry_after } => {
            return Err(ChatError::RateLimited { retry_after });
        }
    }
    if let Some(parent) = reply_to {
        svc.store
            .message_get(r.id, parent)
            .await?
            .ok_or(CircleError::NotFound)?;
    }
    let rec = MessageRecord {
        id: MessageId::new(),
        room_id: r.id,
        author_account_id: m.account_id,
        author_person_id: m.person_id,
        author_name: m.display_name.clone(),
        body,
        reply_to,
        promoted_post_id: None,
        created_at: svc.clock.now(),
        image_id: image,
    };
    // Sending is also reading: the insert moves the author's read mark with it.
    svc.store.message_insert(&rec).await?;
    if let Err(e) = svc
        .bus
        .publish(&room_topic(r.id), &message_json(&rec).to_string())
        .await
    {
        tracing::warn!(error = %e, "chat message not announced; clients catch up from history");
    }
    let notes = crate::notify::mentioned(svc, circle, &rec.body)
        .await
        .into_iter()
        .map(|to| crate::notify::Note {
            to,
            kind: NotifyKind::Mention,
            circle: Some(circle),
            post: None,
            actor_name: rec.author_name.clone(),
            body: rec.body.clone(),
        })
        .collect();
    crate::notify::send(svc, notes, rec.author_account_id).await;
    Ok(rec)
}

/// History, newest first, before `before` when given.
pub async fn history(
    svc: &Services,
    actor: &Actor,
    circle: CircleId,
    room: RoomId,
    before: Option<MessageId>,
    limit: i64,
) -> Result<Vec<MessageRecord>> {
    let (_, r) = room_view(svc, actor, circle, room).await?;
    Ok(svc
        .store
        .message_list(r.id, before, limit.clamp(1, HISTORY_MAX))
        .await?)
}

/// Marks the room read up to `last`.
pub async fn mark_read(
    svc: &Services,
    actor: &Actor,
    circle: CircleId,
    room: RoomId,
    last: MessageId,
) -> Result<()> {
    require_scope(actor, Scope::Write)?;
    let (_, r) = room_view(svc, actor, circle, room).await?;
    svc.store
        .message_get(r.id, last)
        .await?
        .ok_or(CircleError::NotFound)?;
    Ok(svc.store.read_mark(r.id, actor.account_id(), last).await?)
}

/// Promotes a message to a topic that quotes it; the message links to the topic.
/// Circle staff, or the message's author.
#[tracing::instrument(skip_all, fields(room = %room, message = %message))]
pub async fn promote(
    svc: &Services,
    actor: &Actor,
    circle: CircleId,
    room: RoomId,
    message: MessageId,
) -> Result<PostRecord> {
    require_scope(actor, Scope::Write)?;
    let (v, r) = room_view(svc, actor, circle, room).await?;
    let me = active_member(&v)?;
    let msg = svc
        .store
        .message_get(r.id, message)
        .await?
        .ok_or(CircleError::NotFound)?;
    if msg.author_account_id != me.account_id && !me.role.is_circle_staff() {
        return Err(CircleError::Forbidden.into());
    }
    if msg.promoted_post_id.is_some() {
        return Err(ChatError::AlreadyPromoted);
    }
    let title: String = msg
        .body
        .lines()
        .next()
        .unwrap_or_default()
        .chars()
        .take(60)
        .collect();
    let quoted: String = msg.body.lines().map(|l| format!("> {l}\n")).collect();
    let now = svc.clock.now();
    let post = PostRecord {
        id: PostId::new(),
        circle_id: circle,
        org_id: v.circle.org_id,
        author_account_id: me.account_id,
        author_person_id: me.person_id,
        author_name: me.display_name.clone(),
        kind: PostKind::Topic,
        title: if title.trim().is_empty() {
            "…".into()
        } else {
            title
        },
        body: format!(
            "{quoted}\n— {} · [#{}](/app/circles/{circle}/chat?room={room}#m-{message})",
            msg.author_name, r.name
        ),
        score: 0,
        comment_count: 0,
        hot_rank: hot_rank(0, 0),
        last_activity_at: now,
        created_at: now,
        pinned_at: None,
        edited_at: None,
        hidden_at: None,
        task_state: None,
        task_assignee: None,
        audience: Audience::All,
        tags: Vec::new(),
        my_reactions: Vec::new(),
        images: Vec::new(),
    };
    let ev = event(
        svc,
        &v.circle,
        "post.promoted",
        me.account_id,
        json!({"post": post.id.to_string(), "message": message.to_string()}),
    );
    svc.store
        .message_promote(r.id, message, &post, &ev)
        .await
        .map_err(|e| {
            if e.is_conflict_on("message_already_promoted") {
                ChatError::AlreadyPromoted
            } else {
                e.into()
            }
        })?;
    svc.feed.bump(circle);
    announce(svc, &ev).await;
    Ok(post)
}

/// Whether `actor` may subscribe to a room's live topic (for the WebSocket hub).
pub async fn may_listen(svc: &Services, actor: &Actor, room: RoomId) -> bool {
    let Ok(Some(circle)) = svc.store.room_circle(room).await else {
        return false;
    };
    room_view(svc, actor, circle, room).await.is_ok()
}
