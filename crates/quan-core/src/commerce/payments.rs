//! Paying an order: the buyer is handed the provider's pay page, and only the
//! provider's signed webhook moves the order (a redirect back proves nothing). A
//! webhook that arrives twice is applied once, one that arrives after a later one
//! is ignored, and every webhook received, refused or not, is logged.

use super::error::CommerceError;
use super::orders::mine;
use super::port::{
    OrderRecord, PaymentRecord, PaymentStatus, Seats, SettleOutcome, WebhookLogRecord,
};
use super::{MANAGERS, Result, require};
use crate::Services;
use crate::access::{Actor, OrgAccess, require_scope};
use crate::events::{announce, new_event};
use crate::jobs::port::NewJob;
use crate::ports::{ChargeOutcome, ChargeRequest, PaymentError, ProviderEvent, WebhookHeaders};
use quan_domain::{OrderId, OrderStatus, PaymentId, Scope};
use serde_json::json;

/// A webhook's id, at most.
pub const WEBHOOK_ID_MAX: usize = 100;

/// Hands the buyer a pay page for their unpaid order: the pending payment's again
/// if there is one, so paying twice opens one charge.
#[tracing::instrument(skip_all, fields(order = %id))]
pub async fn pay(svc: &Services, actor: &Actor, id: OrderId) -> Result<PaymentRecord> {
    require_scope(actor, Scope::Write)?;
    let o = mine(svc, actor, id).await?;
    if o.status != OrderStatus::Created {
        return Err(CommerceError::OrderState {
            code: "illegal_transition",
            message: format!("an order that is {} cannot be paid", o.status.as_str()),
        });
    }
    if svc.clock.now() >= o.expires_at {
        return Err(CommerceError::OrderState {
            code: "order_expired",
            message: "the time to pay this order is over".to_owned(),
        });
    }
    super::checkout::seats_free(svc, actor, o.lines.iter()).await?;
    // One open payment per order: the pending one, a failed try opened again, or
    // a new one (a double click finds the other click's).
    let p = match svc.store.payment_pending(o.id).await? {
        Some(p) => p,
        None => match svc.store.payment_reopen(o.id).await? {
            Some(p) => p,
            None => {
                let p = PaymentRecord {
                    id: PaymentId::new(),
                    org_id: o.org_id,
                    order_id: o.id,
                    provider: svc.payments.name().to_owned(),
                    provider_ref: String::new(),
                    amount: o.total,
                    status: PaymentStatus::Pending,
                    pay_url: String::new(),
                    created_at: svc.clock.now(),
                    settled_at: None,
                    refund_due: false,
                };
                match svc.store.payment_insert(&p).await {
                    Ok(()) => p,
                    Err(crate::ports::StoreError::Conflict { .. }) => svc
                        .store
                        .payment_pending(o.id)
                        .await?
                        .ok_or(CommerceError::NotFound)?,
                    Err(e) => return Err(e.into()),
                }
            }
        },
    };
    if !p.pay_url.is_empty() {
        return Ok(p);
    }
    // Opened once per payment id at the provider, however often this runs.
    let charge = svc
        .payments
        .create_charge(&ChargeRequest {
            payment: p.id,
            amount: o.total,
            description: format!(
                "{} · {}",
                o.lines.first().map_or("", |l| l.product_name.as_str()),
                o.total
            ),
            return_url: format!("{}/app/orders/{}?paying=1", svc.outbound.public_url, o.id),
        })
        .await
        .map_err(|e| CommerceError::Provider(e.to_string()))?;
    svc.store
        .payment_charge_set(p.id, &charge.provider_ref, &charge.pay_url)
        .await?;
    Ok(PaymentRecord {
        provider_ref: charge.provider_ref,
        pay_url: charge.pay_url,
        ..p
    })
}

/// The refusal of a webhook, as logged and answered.
fn refusal(e: &PaymentError) -> (&'static str, CommerceError) {
    let (code, log) = match e {
        PaymentError::BadSignature => ("invalid_signature", "bad_signature"),
        PaymentError::Stale => ("webhook_expired", "stale_signature"),
        PaymentError::BadBody(_) | PaymentError::Provider(_) => ("invalid_webhook", "bad_body"),
    };
    (
        log,
        CommerceError::Webhook {
            code,
            message: e.to_string(),
        },
    )
}

/// A webhook from the payment provider. Verified first (signature, replay window);
/// then applied once by its id; a payment already settled by a later event stays.
#[tracing::instrument(skip_all)]
pub async fn webhook(
    svc: &Services,
    headers: &WebhookHeaders,
    body: &[u8],
) -> Result<SettleOutcome> {
    let now = svc.clock.now();
    let logged = |outcome: &str, payment| WebhookLogRecord {
        // Bounded: a forged header is logged, not stored whole.
        webhook_id: headers.id.chars().take(100).collect(),
        provider: svc.payments.name().to_owned(),
        payment_id: payment,
        outcome: outcome.to_owned(),
        received_at: now,
    };
    // A provider's ids are short; a longer one is not theirs (and would not fit
    // the applied-once key whole).
    if headers.id.len() > WEBHOOK_ID_MAX {
        svc.store.webhook_log(&logged("bad_body", None)).await?;
        return Err(CommerceError::Webhook {
            code: "invalid_webhook",
            message: format!("a webhook id is at most {WEBHOOK_ID_MAX} characters"),
        });
    }
    let e = match svc.payments.verify_webhook(headers, body) {
        Ok(ProviderEvent::Charge(e)) => e,
        Ok(ProviderEvent::Refund(e)) => {
            let log = logged("", None);
            return super::refunds::settle(svc, &e, &log).await;
        }
        Err(err) => {
            let (log, refused) = refusal(&err);
            svc.store.webhook_log(&logged(log, None)).await?;
            tracing::warn!(outcome = log, "payment webhook refused");
            return Err(refused);
        }
    };
    let Some(p) = svc.store.payment_get(e.payment).await? else {
        svc.store
            .webhook_log(&logged("unknown_payment", Some(e.payment)))
            .await?;
        return Err(CommerceError::NotFound);
    };
    if e.amount != p.amount {
        svc.store
            .webhook_log(&logged("amount_mismatch", Some(p.id)))
            .await?;
        return Err(CommerceError::Webhook {
            code: "invalid_webhook",
            message: "the amount does not match the payment".to_owned(),
        });
    }
    let to = match e.outcome {
        ChargeOutcome::Succeeded => PaymentStatus::Succeeded,
        ChargeOutcome::Failed => PaymentStatus::Failed,
        ChargeOutcome::Cancelled => PaymentStatus::Cancelled,
    };
    let o = svc.store.order_by_id(p.order_id).await?;
    let subject = o.as_ref().and_then(|o| o.person_id).map_or_else(
        || format!("order:{}", p.order_id),
        |pid| format!("person:{pid}"),
    );
    let kind = match to {
        PaymentStatus::Succeeded => "order.paid",
        _ => "payment.failed",
    };
    let ev = new_event(
        svc,
        p.org_id,
        kind,
        subject,
        None,
        json!({"order": p.order_id.to_string(), "payment": p.id.to_string(),
               "amount_fen": p.amount.fen(), "outcome": e.outcome.as_str()}),
    );
    let mut log = logged("", Some(p.id));
    log.webhook_id = e.webhook_id.chars().take(100).collect();
    // Written with the settlement only if the payment came too late to be kept.
    let late = super::refunds::refund_of(svc, &p, "paid_too_late");
    let seats = Seats {
        circles: o
            .iter()
            .flat_map(|o| o.lines.iter().filter_map(|l| l.joins))
            .collect(),
        jobs: seat_jobs(svc, o.as_ref(), crate::jobs::PAID_JOIN),
    };
    let outcome = svc
        .store
        .payment_settle(&log, p.id, to, &late, &seats, &ev)
        .await?;
    if matches!(outcome, SettleOutcome::Paid | SettleOutcome::NotPaid) {
        announce(svc, &ev).await;
    }
    if outcome == SettleOutcome::PaidTooLate {
        tracing::warn!(order = %p.order_id, payment = %p.id, "paid after the stock was gone: refunding");
    }
    Ok(outcome)
}

/// The jobs of `kind` for the circles `o`'s membership lines join.
pub(super) fn seat_jobs(svc: &Services, o: Option<&OrderRecord>, kind: &str) -> Vec<NewJob> {
    o.map(|o| {
        crate::jobs::seat_jobs(
            svc.clock.now(),
            kind,
            (o.id, o.buyer),
            o.lines.iter().filter_map(|l| l.joins),
        )
    })
    .unwrap_or_default()
}

/// The org's payments log (webhooks received for its payments, newest first).
pub async fn log(svc: &Services, access: &OrgAccess, limit: i64) -> Result<Vec<WebhookLogRecord>> {
    require(access, Scope::Read, MANAGERS)?;
    Ok(svc
        .store
        .webhooks_of_org(access.org(), limit.clamp(1, 200))
        .await?)
}
