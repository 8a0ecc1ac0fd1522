//! The board: the task/need workflow (claim, deliver, accept, reject, close), notice
//! read receipts, and daily check-ins with streaks and a leaderboard.

use crate::Services;
use crate::access::{Actor, CircleView, active_member, require_scope, view};
use crate::circles::CircleError;
use crate::circles::event;
use crate::circles::port::{PostRecord, TaskStepRecord};
use crate::events::announce;
use crate::input::REASON_MAX;
use crate::input::text;
use crate::moderation::guard::ensure_not_sanctioned;
use crate::notify::Note;
use quan_domain::{
    CircleId, NotifyKind, PostId, PostKind, Scope, TaskAction, TaskActor, TaskError, TaskStepId,
    Timestamp,
};
use serde_json::json;

type Result<T, E = CircleError> = std::result::Result<T, E>;

/// Who has and has not read a notice: for its author and the circle's admins.
pub async fn receipts(
    svc: &Services,
    actor: &Actor,
    circle: CircleId,
    post: PostId,
) -> Result<Vec<crate::circles::port::ReceiptRecord>> {
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
) -> Result<(crate::circles::port::StreakRecord, bool)> {
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
) -> Result<Vec<crate::circles::port::StreakRecord>> {
    let v = view(svc, actor, circle).await?;
    leaderboard_of(svc, &v).await
}

/// The leaderboard of a circle already seen through [`view`].
pub async fn leaderboard_of(
    svc: &Services,
    v: &CircleView,
) -> Result<Vec<crate::circles::port::StreakRecord>> {
    Ok(svc
        .store
        .checkin_leaderboard(v.circle.id, day_of(svc.clock.now()), 50)
        .await?)
}

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
