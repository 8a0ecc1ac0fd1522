//! Refunds: a buyer asks, staff approve or decline; an approved refund (and one
//! owed for a payment that came too late) is written with its job in the step's own
//! transaction — the outbox — and the job asks the provider, keyed by the refund's
//! id so a retry never refunds twice. The provider's signed webhook settles it.

use super::error::CommerceError;
use super::orders::{get, mine, step, step_asking};
use super::port::{
    LineRefund, OrderRecord, PaymentRecord, RefundRecord, SettleOutcome, WebhookLogRecord,
};
use super::{MANAGERS, Result, require};
use crate::Services;
use crate::access::{Actor, OrgAccess, require_scope};
use crate::events::{announce, new_event};
use crate::jobs::port::NewJob;
use crate::ports::{RefundEvent, RefundRequest};
use quan_domain::{Money, OrderEvent, OrderId, OrderStatus, ParseError, RefundId, Scope};
use serde_json::json;

/// The job that asks the provider for a refund.
pub const SEND: &str = "commerce.refund";
/// A buyer's reason, at most.
pub const REASON_MAX: usize = 200;

/// A refund of the whole of `p`, and the job that sends it.
pub(super) fn refund_of(svc: &Services, p: &PaymentRecord, reason: &str) -> (RefundRecord, NewJob) {
    refund_part(svc, p, p.amount, reason)
}

/// A refund of `amount` of `p` (some of its order's lines), and its job.
fn refund_part(
    svc: &Services,
    p: &PaymentRecord,
    amount: Money,
    reason: &str,
) -> (RefundRecord, NewJob) {
    let r = RefundRecord {
        id: RefundId::new(),
        org_id: p.org_id,
        order_id: p.order_id,
        payment_id: p.id,
        amount,
        reason: reason.to_owned(),
        status: "pending".to_owned(),
        created_at: svc.clock.now(),
        settled_at: None,
    };
    let job = NewJob {
        id: quan_domain::JobId::new(),
        kind: SEND.to_owned(),
        payload: json!({"refund": r.id.to_string()}),
        run_at: svc.clock.now(),
        max_attempts: 12,
        dedupe_key: Some(format!("refund:{}", r.id)),
    };
    (r, job)
}

/// The buyer asks for their money back (a paid or shipped order): for the lines
/// named by their positions in the order, or, with none named, for every line not
/// refunded yet. Each line is refunded at most once.
pub async fn request(
    svc: &Services,
    actor: &Actor,
    id: OrderId,
    reason: &str,
    lines: &[usize],
) -> Result<OrderRecord> {
    require_scope(actor, Scope::Write)?;
    let reason = crate::input::text(reason, "reason", REASON_MAX, false)?;
    let o = mine(svc, actor, id).await?;
    let open: Vec<usize> = (0..o.lines.len())
        .filter(|i| o.lines[*i].refund == LineRefund::None)
        .collect();
    let asked: Vec<usize> = if lines.is_empty() {
        open
    } else {
        let mut asked = lines.to_vec();
        asked.sort_unstable();
        asked.dedup();
        if asked.len() != lines.len() || asked.iter().any(|i| !open.contains(i)) {
            return Err(ParseError::new(
                "lines",
                "invalid_refund_lines",
                "name each line of the order once, and only lines not refunded",
            )
            .into());
        }
        asked
    };
    if asked.is_empty() {
        return Err(CommerceError::OrderState {
            code: "illegal_transition",
            message: "every line of this order is refunded or being refunded".to_owned(),
        });
    }
    if asked.iter().all(|i| o.lines[*i].pay().fen() == 0) {
        return Err(CommerceError::OrderState {
            code: "nothing_to_refund",
            message: "the lines asked for were paid nothing".to_owned(),
        });
    }
    let asked: Vec<i64> = asked
        .into_iter()
        .map(|i| i64::try_from(i).unwrap_or(i64::MAX))
        .collect();
    step_asking(
        svc,
        &o,
        OrderEvent::RequestRefund,
        Some(actor.account_id()),
        ("order.refund_requested", &reason),
        &asked,
    )
    .await?;
    mine(svc, actor, id).await
}

/// Staff approve a refund request: the refund goes out through the outbox. A
/// second approval (two staff at once) finds it approved and changes nothing.
#[tracing::instrument(skip_all, fields(order = %id))]
pub async fn approve(svc: &Services, access: &OrgAccess, id: OrderId) -> Result<OrderRecord> {
    require(access, Scope::Write, MANAGERS)?;
    let o = get(svc, access, id).await?;
    if o.status != OrderStatus::RefundRequested {
        return Err(CommerceError::OrderState {
            code: "illegal_transition",
            message: "only a requested refund can be approved".to_owned(),
        });
    }
    let Some(p) = svc.store.payment_refundable(o.id).await? else {
        return Err(CommerceError::OrderState {
            code: "refund_exists",
            message: "this order's payment is being refunded already".to_owned(),
        });
    };
    // What the asked lines paid: their parts of the coupon stay with the rest.
    let fen: i64 = o
        .lines
        .iter()
        .filter(|l| l.refund == LineRefund::Asked)
        .map(|l| l.pay().fen())
        .sum();
    if fen <= 0 {
        return Err(CommerceError::OrderState {
            code: "nothing_to_refund",
            message: "the lines asked for were paid nothing".to_owned(),
        });
    }
    let amount = Money::from_fen(fen, p.amount.currency());
    let (r, job) = refund_part(svc, &p, amount, "requested");
    let ev = new_event(
        svc,
        o.org_id,
        "order.refund_approved",
        o.person_id
            .map_or_else(|| format!("order:{}", o.id), |p| format!("person:{p}")),
        Some(access.account()),
        json!({"order": o.id.to_string(), "refund": r.id.to_string(), "amount_fen": r.amount.fen()}),
    );
    if !svc.store.refund_open(&r, &job, &ev).await? {
        return Err(CommerceError::OrderState {
            code: "refund_exists",
            message: "this order's payment is being refunded already".to_owned(),
        });
    }
    announce(svc, &ev).await;
    get(svc, access, id).await
}

/// Staff decline: the order goes back to where it was (refunds of its other lines
/// that went through before stand).
pub async fn decline(svc: &Services, access: &OrgAccess, id: OrderId) -> Result<OrderRecord> {
    require(access, Scope::Write, MANAGERS)?;
    let o = get(svc, access, id).await?;
    if svc
        .store
        .refunds_of_order(o.id)
        .await?
        .iter()
        .any(|r| matches!(r.status.as_str(), "pending" | "sent"))
    {
        return Err(CommerceError::OrderState {
            code: "refund_exists",
            message: "the refund was approved already".to_owned(),
        });
    }
    step(
        svc,
        &o,
        OrderEvent::DeclineRefund,
        Some(access.account()),
        ("order.refund_declined", ""),
    )
    .await?;
    get(svc, access, id).await
}

/// The order's refunds, for its page.
pub async fn of_order(svc: &Services, order: &OrderRecord) -> Result<Vec<RefundRecord>> {
    Ok(svc.store.refunds_of_order(order.id).await?)
}

/// The refund job: asks the provider (again, after a failure: the refund's id makes
/// it one refund), then waits for its webhook.
#[tracing::instrument(skip_all)]
pub async fn send(svc: &Services, payload: &serde_json::Value) -> std::result::Result<(), String> {
    let id: RefundId = payload
        .get("refund")
        .and_then(serde_json::Value::as_str)
        .and_then(|s| s.parse().ok())
        .ok_or("a refund job without a refund")?;
    let Some(r) = svc.store.refund_get(id).await.map_err(|e| e.to_string())? else {
        return Ok(());
    };
    if !matches!(r.status.as_str(), "pending" | "sent") {
        return Ok(());
    }
    let p = svc
        .store
        .payment_get(r.payment_id)
        .await
        .map_err(|e| e.to_string())?
        .ok_or("a refund of no payment")?;
    svc.payments
        .refund(&RefundRequest {
            refund: r.id,
            provider_ref: p.provider_ref,
            amount: r.amount,
        })
        .await
        .map_err(|e| e.to_string())?;
    svc.store.refund_sent(r.id).await.map_err(|e| e.to_string())
}

/// A verified refund webhook, applied once.
pub(super) async fn settle(
    svc: &Services,
    e: &RefundEvent,
    log: &WebhookLogRecord,
) -> Result<SettleOutcome> {
    let Some(r) = svc.store.refund_get(e.refund).await? else {
        let mut l = log.clone();
        l.outcome = "unknown_payment".to_owned();
        svc.store.webhook_log(&l).await?;
        return Err(CommerceError::NotFound);
    };
    if e.amount != r.amount {
        let mut l = log.clone();
        l.outcome = "amount_mismatch".to_owned();
        l.payment_id = Some(r.payment_id);
        svc.store.webhook_log(&l).await?;
        return Err(CommerceError::Webhook {
            code: "invalid_webhook",
            message: "the amount does not match the refund".to_owned(),
        });
    }
    let o = svc.store.order_by_id(r.order_id).await?;
    // Whole when no line is left outside this refund and those before it (one
    // refund of an order is open at a time: the lines on their way are its).
    let whole = o.as_ref().is_none_or(|o| {
        o.lines
            .iter()
            .all(|l| matches!(l.refund, LineRefund::Refunded | LineRefund::Refunding))
    });
    let ev = new_event(
        svc,
        r.org_id,
        match (e.succeeded, whole) {
            (true, true) => "order.refunded",
            (true, false) => "order.refunded_part",
            (false, _) => "refund.failed",
        },
        o.as_ref().and_then(|o| o.person_id).map_or_else(
            || format!("order:{}", r.order_id),
            |p| format!("person:{p}"),
        ),
        None,
        json!({"order": r.order_id.to_string(), "refund": r.id.to_string(), "amount_fen": r.amount.fen()}),
    );
    let mut l = log.clone();
    l.payment_id = Some(r.payment_id);
    let leaves = super::payments::seat_jobs(svc, o.as_ref(), crate::jobs::PAID_LEAVE);
    let outcome = svc
        .store
        .refund_settle(&l, r.id, e.succeeded, &leaves, &ev)
        .await?;
    if matches!(
        outcome,
        SettleOutcome::Refunded | SettleOutcome::RefundFailed
    ) {
        announce(svc, &ev).await;
    }
    Ok(outcome)
}
