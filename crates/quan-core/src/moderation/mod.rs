//! Moderation: pins and deletes (logged), reports with weighted flags and the
//! review queue, mutes and bans, and the public moderation log.
//!
//! Every write by a member passes [`guard::guard_write`] first (sanctions, the
//! first-day limits and the org's sensitive words, edited in [`guard`] too).

pub mod error;
pub mod guard;
pub mod port;

use crate::Services;
use crate::access::{Actor, active_member, outranks, require_moderator, require_scope, view};
use crate::circles::port::PostRecord;
use crate::circles::posts::managed_post;
use crate::input::{REASON_MAX, text};
use crate::moderation::error::ModerationError;
use crate::moderation::port::{
    ModLogRecord, QueueItem, ReportOutcome, ReportRecord, SanctionRecord,
};
use crate::notify::Note;
use crate::page::{Page, PageRequest};
use crate::ports::constraints;
use quan_domain::{
    AccountId, CircleId, HIDE_THRESHOLD, ModLogId, NotifyKind, PINNED_MAX, ParseError, PostId,
    ReportId, ReportReason, ReportStatus, SanctionKind, Scope, TrustLevel,
};

type Result<T, E = ModerationError> = std::result::Result<T, E>;

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

/// A moderation write: cached feed pages and views (whose "has hidden posts" may
/// have changed) of the circle are stale.
async fn written(svc: &Services, circle: CircleId) {
    svc.feed.bump(circle);
    crate::access::views_changed(svc, circle).await;
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
    let max = i64::try_from(PINNED_MAX).unwrap_or(i64::MAX);
    let done = svc
        .store
        .post_set_pinned(circle, post, at, max, &log)
        .await
        .map_err(|e| {
            if e.is_conflict_on(constraints::PIN_LIMIT) {
                ModerationError::PinLimit
            } else {
                e.into()
            }
        })?;
    if done {
        svc.feed.bump(circle);
        Ok(())
    } else {
        Err(ModerationError::NotFound)
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
    let (p, moderator) = managed_post(svc, &v, post)
        .await?
        .ok_or(ModerationError::NotFound)?;
    let mine = p.author_account_id == v.viewer;
    if !mine && !moderator {
        return Err(ModerationError::Forbidden);
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
        Err(ModerationError::NotFound)
    }
}

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
        .ok_or(ModerationError::NotFound)?;
    if p.author_account_id == m.account_id {
        return Err(ModerationError::Forbidden);
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
                ModerationError::AlreadyReported
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
        Err(ModerationError::NotFound)
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
        return Err(ModerationError::Forbidden);
    }
    let target = svc
        .store
        .circle_member_get(circle, account)
        .await?
        .ok_or(ModerationError::NotFound)?;
    if !outranks(&v, &target) {
        return Err(ModerationError::Forbidden);
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
        Err(ModerationError::NotFound)
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
