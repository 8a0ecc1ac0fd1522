//! In-app notifications (PRODUCT.md §2): replies, mentions, reactions, approvals,
//! moderation results and task steps. Stored per account, pushed live on the bus
//! topic `account:<id>` (the WebSocket hub lets each account listen to its own),
//! listed with an unread count; each kind can be turned off.
//!
//! Sending is best-effort by design: a failed notification is logged, never turns
//! the comment or post that caused it into an error.

pub mod error;
pub mod port;

use crate::Services;
use crate::access::{Actor, require_scope};
use crate::circles::port::{MemberStatus, PostRecord};
use crate::notify::error::NotifyError;
use crate::notify::port::NotificationRecord;
use crate::page::{Page, PageRequest};
use quan_domain::{AccountId, CircleId, NotificationId, NotifyKind, PostId, Scope};
use serde_json::json;

type Result<T, E = NotifyError> = std::result::Result<T, E>;

/// Members scanned for @mentions, at most (large circles mention by name only
/// among their first members; see ARCHITECTURE.md).
pub const MENTION_SCAN: u32 = 1000;
const SNIPPET: usize = 120;

/// One notification to send.
#[derive(Debug, Clone)]
pub struct Note {
    pub to: AccountId,
    pub kind: NotifyKind,
    pub circle: Option<CircleId>,
    pub post: Option<PostId>,
    pub actor_name: String,
    pub body: String,
}

fn snippet(s: &str) -> String {
    let one_line = s.split_whitespace().collect::<Vec<_>>().join(" ");
    if one_line.chars().count() > SNIPPET {
        let mut t: String = one_line.chars().take(SNIPPET).collect();
        t.push('…');
        t
    } else {
        one_line
    }
}

/// The topic an account's notifications are pushed on.
pub fn account_topic(a: AccountId) -> String {
    format!("account:{a}")
}

/// Stores and pushes `notes` (one per recipient and kind; never to `except`, the
/// actor themself).
pub async fn send(svc: &Services, notes: Vec<Note>, except: AccountId) {
    let now = svc.clock.now();
    let mut seen = std::collections::HashSet::new();
    let recs: Vec<NotificationRecord> = notes
        .into_iter()
        .filter(|n| n.to != except && seen.insert((n.to, n.kind)))
        .map(|n| NotificationRecord {
            id: NotificationId::new(),
            account_id: n.to,
            kind: n.kind,
            circle_id: n.circle,
            post_id: n.post,
            actor_name: n.actor_name,
            body: snippet(&n.body),
            created_at: now,
            read_at: None,
        })
        .collect();
    if recs.is_empty() {
        return;
    }
    let kept = match svc.store.notifications_insert(&recs).await {
        Ok(k) => k,
        Err(e) => {
            tracing::warn!(error = %e, "notifications not stored");
            return;
        }
    };
    for n in kept {
        let msg = json!({
            "type": "notification",
            "notification": dto(&n),
        });
        if let Err(e) = svc
            .bus
            .publish(&account_topic(n.account_id), &msg.to_string())
            .await
        {
            tracing::warn!(error = %e, "notification not pushed; the list still has it");
        }
    }
}

/// The JSON shape of a notification (API and WebSocket push).
pub fn dto(n: &NotificationRecord) -> serde_json::Value {
    json!({
        "id": n.id.to_string(),
        "kind": n.kind.as_str(),
        "circle_id": n.circle_id.map(|c| c.to_string()),
        "post_id": n.post_id.map(|p| p.to_string()),
        "actor": n.actor_name,
        "body": n.body,
        "created_at": n.created_at.millis(),
        "read": n.read_at.is_some(),
    })
}

/// Accounts of the circle's active members named as `@display name` in `text`.
pub async fn mentioned(svc: &Services, circle: CircleId, text: &str) -> Vec<AccountId> {
    if !text.contains('@') {
        return Vec::new();
    }
    let page = match svc
        .store
        .circle_member_list(
            circle,
            MemberStatus::Active,
            &PageRequest::first(MENTION_SCAN),
        )
        .await
    {
        Ok(p) => p,
        Err(e) => {
            tracing::warn!(error = %e, "mentions not resolved");
            return Vec::new();
        }
    };
    let names: Vec<&str> = page.items.iter().map(|m| m.display_name.as_str()).collect();
    mention_matches(text, &names)
        .into_iter()
        .map(|i| page.items[i].account_id)
        .collect()
}

/// Which of `names` the text mentions, as indexes into `names`: `@` followed by a
/// whole display name (what picking from the list inserts), or by what a person
/// types without picking: the start of one name, or one word of it ("@陈静" for
/// "陈静 Chen Jing", "@zhao" for "赵敏 Zhao Min", "@王磊周六见" for "王磊 Wang Lei"),
/// counted only when exactly one name fits.
pub fn mention_matches(text: &str, names: &[&str]) -> Vec<usize> {
    let mut hits: Vec<usize> = names
        .iter()
        .enumerate()
        .filter(|(_, n)| !n.is_empty() && text.contains(&format!("@{n}")))
        .map(|(i, _)| i)
        .collect();
    let lower: Vec<String> = names.iter().map(|n| n.to_lowercase()).collect();
    for (at, _) in text.match_indices('@') {
        let token: String = text[at + 1..]
            .chars()
            .take_while(|c| !c.is_whitespace() && !is_mention_stop(*c))
            .collect::<String>()
            .to_lowercase();
        if token.is_empty() {
            continue;
        }
        let fits: Vec<usize> = lower
            .iter()
            .enumerate()
            .filter(|(_, n)| {
                !n.is_empty()
                    && (n.starts_with(&token)
                        || n.split_whitespace().any(|w| {
                            w == token
                                // CJK is typed without a space after the name.
                                || (token.starts_with(w) && !w.is_ascii() && w.chars().count() >= 2)
                        }))
            })
            .map(|(i, _)| i)
            .collect();
        if let [only] = fits[..]
            && !hits.contains(&only)
        {
            hits.push(only);
        }
    }
    hits.sort_unstable();
    hits
}

/// Punctuation that ends a typed mention.
fn is_mention_stop(c: char) -> bool {
    matches!(
        c,
        ',' | '.' | '!' | '?' | ':' | ';' | '，' | '。' | '！' | '？' | '：' | '；' | '、' | '@'
    )
}

/// Mentions in a post: only those who may see it are told.
pub async fn post_mentions(svc: &Services, p: &PostRecord, author_name: &str) {
    let text = format!("{}\n{}", p.title, p.body);
    let notes = mention_notes(svc, p, &text, author_name).await;
    send(svc, notes, p.author_account_id).await;
}

/// Notes for everyone `text` (on post `p`) mentions who may see `p`.
pub async fn mention_notes(svc: &Services, p: &PostRecord, text: &str, actor: &str) -> Vec<Note> {
    let mut notes = Vec::new();
    for to in mentioned(svc, p.circle_id, text).await {
        let sees = svc
            .store
            .post_get(p.circle_id, p.id, to, svc.clock.now())
            .await
            .ok()
            .flatten()
            .is_some();
        if sees {
            notes.push(Note {
                to,
                kind: NotifyKind::Mention,
                circle: Some(p.circle_id),
                post: Some(p.id),
                actor_name: actor.to_owned(),
                body: text.to_owned(),
            });
        }
    }
    notes
}

// ---------------------------------------------------------------------------------
// The caller's own notifications

fn own(actor: &Actor) -> Result<AccountId> {
    require_scope(actor, Scope::Read)?;
    Ok(actor.account_id())
}

pub async fn list(
    svc: &Services,
    actor: &Actor,
    page: &PageRequest,
) -> Result<(Page<NotificationRecord>, i64)> {
    let me = own(actor)?;
    let items = svc.store.notifications_list(me, page).await?;
    let unread = svc.store.notifications_unread(me).await?;
    Ok((items, unread))
}

pub async fn mark_read(
    svc: &Services,
    actor: &Actor,
    up_to: Option<NotificationId>,
) -> Result<u64> {
    require_scope(actor, Scope::Write)?;
    let me = own(actor)?;
    Ok(svc
        .store
        .notifications_mark_read(me, up_to, svc.clock.now())
        .await?)
}

/// Every kind with whether it is on.
pub async fn settings(svc: &Services, actor: &Actor) -> Result<Vec<(NotifyKind, bool)>> {
    let muted = svc.store.notify_muted(own(actor)?).await?;
    Ok(NotifyKind::ALL
        .iter()
        .map(|k| (*k, !muted.contains(k)))
        .collect())
}

pub async fn set(svc: &Services, actor: &Actor, kind: NotifyKind, on: bool) -> Result<()> {
    let Actor::Session { .. } = actor else {
        // A person's own settings are theirs, not an integration's.
        return Err(NotifyError::Forbidden);
    };
    Ok(svc.store.notify_set(actor.account_id(), kind, on).await?)
}

#[cfg(test)]
mod tests {
    use super::mention_matches;

    const NAMES: [&str; 5] = [
        "陈静 Chen Jing",
        "王磊 Wang Lei",
        "赵敏 Zhao Min",
        "Zhao Li",
        "Mo",
    ];

    #[test]
    fn a_picked_name_mentions() {
        assert_eq!(mention_matches("谢谢 @赵敏 Zhao Min！", &NAMES), vec![2]);
    }

    #[test]
    fn a_typed_name_mentions_its_unique_match() {
        assert_eq!(mention_matches("谢谢 @陈静", &NAMES), vec![0]);
        assert_eq!(mention_matches("@王磊周六见", &NAMES), vec![1]);
        assert_eq!(mention_matches("see you @wang, ok", &NAMES), vec![1]);
        assert_eq!(mention_matches("hi @mo.", &NAMES), vec![4]);
    }

    #[test]
    fn an_ambiguous_or_unknown_name_mentions_nobody() {
        assert!(
            mention_matches("@zhao 你好", &NAMES).is_empty(),
            "two Zhaos"
        );
        assert!(mention_matches("@nobody and a@ b", &NAMES).is_empty());
        assert!(mention_matches("no at sign", &NAMES).is_empty());
    }
}
