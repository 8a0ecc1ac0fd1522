//! Paid membership: a paid order of a circle's membership product takes its buyer
//! in; its refund takes the seat back. Commerce never reaches into circles: it
//! writes a job naming the circle, the buyer and the order with the payment's (or
//! the refund's) own transaction — so a crash loses neither — and the job queue
//! runs these handlers, which are idempotent (a retried join finds the member in).

use super::port::MemberStatus;
use super::{CircleError, admit, event};
use crate::Services;
use crate::access::views_changed;
use crate::events::announce;
use quan_domain::{AccountId, CircleId, CircleRole};
use serde_json::{Value, json};

/// The job's payload, as commerce wrote it ([`crate::jobs::seat_jobs`]).
#[derive(Debug, Clone, Copy)]
struct Seat<'a> {
    circle: CircleId,
    account: AccountId,
    order: &'a str,
}

fn seat(payload: &Value) -> Result<Seat<'_>, String> {
    let field = |k: &str| {
        payload
            .get(k)
            .and_then(Value::as_str)
            .ok_or_else(|| format!("a membership job without its {k}"))
    };
    Ok(Seat {
        circle: field("circle")?.parse().map_err(|_| "a bad circle id")?,
        account: field("account")?.parse().map_err(|_| "a bad account id")?,
        order: field("order")?,
    })
}

/// The buyer of a paid membership joins, active at once (the payment is the
/// admission) — while the seat is still this order's: a refund that settled
/// before this job ran deleted it. A member already (a retry) is done; a buyer
/// banned since they paid is not let in, and staff are told by the event log.
pub async fn join(svc: &Services, payload: &Value) -> Result<(), String> {
    let s = seat(payload)?;
    let holder = svc
        .store
        .paid_seat(s.circle, s.account)
        .await
        .map_err(|e| e.to_string())?;
    if holder.map(|o| o.to_string()).as_deref() != Some(s.order) {
        return Ok(());
    }
    let Some(circle) = svc
        .store
        .circle_get(s.circle)
        .await
        .map_err(|e| e.to_string())?
    else {
        tracing::warn!(circle = %s.circle, "a paid membership of a circle that is gone");
        return Ok(());
    };
    let door = crate::access::at_the_door(svc, s.circle, s.account)
        .await
        .map_err(|e| e.to_string())?;
    if door == crate::access::AtTheDoor::Banned {
        tracing::warn!(circle = %s.circle, account = %s.account, order = s.order,
            "a paid membership for someone banned since they paid: not admitted");
        let ev = event(
            svc,
            &circle,
            "circle.paid_refused",
            s.account,
            json!({"order": s.order, "reason": "banned"}),
        );
        svc.store
            .event_append(&ev)
            .await
            .map_err(|e| e.to_string())?;
        announce(svc, &ev).await;
        return Ok(());
    }
    match admit(svc, &circle, s.account, MemberStatus::Active, Some(s.order)).await {
        Ok(()) | Err(CircleError::AlreadyMember) => Ok(()),
        Err(e) => Err(e.to_string()),
    }
}

/// The seat of a refunded membership goes: the member leaves — unless another
/// paid order holds a seat for them still, or they have a role beyond member by
/// now (staff keep theirs; an owner is never removed).
pub async fn leave(svc: &Services, payload: &Value) -> Result<(), String> {
    let s = seat(payload)?;
    if svc
        .store
        .paid_seat(s.circle, s.account)
        .await
        .map_err(|e| e.to_string())?
        .is_some()
    {
        return Ok(());
    }
    let Some(circle) = svc
        .store
        .circle_get(s.circle)
        .await
        .map_err(|e| e.to_string())?
    else {
        return Ok(());
    };
    let ev = event(
        svc,
        &circle,
        "circle.left",
        s.account,
        json!({"reason": "refunded", "order": s.order}),
    );
    let gone = svc
        .store
        .circle_member_remove(s.circle, s.account, CircleRole::Member, &ev)
        .await
        .map_err(|e| e.to_string())?;
    if gone {
        views_changed(svc, s.circle).await;
        announce(svc, &ev).await;
    }
    Ok(())
}
