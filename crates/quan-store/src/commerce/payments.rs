//! Payments' rows: the payments, applying a verified webhook once (with the order's
//! move in the same transaction), the webhooks log, and the sandbox's charges.

use super::catalog::currency;
use super::flash::take_flash;
use super::orders::take;
use crate::jobs::insert_job;
use crate::moderation::exec;
use crate::rows::{backend, flag, id, int, opt_id, opt_text, opt_ts, text, ts};
use crate::store::{SqlStore, Tx};
use quan_core::commerce::port::{
    ChargeRecord, PaymentRecord, PaymentStatus, RefundRecord, Seats, SettleOutcome,
    WebhookLogRecord,
};
use quan_core::{EventRecord, NewJob, StoreResult};
use quan_domain::{ChargeId, Money, OrderId, OrgId, PaymentId, Timestamp};
use sqlx::any::AnyRow;

const PAYMENT_COLS: &str = "id, org_id, order_id, provider, provider_ref, amount_fen, currency, \
     status, pay_url, created_at, settled_at, refund_due FROM payments";
const CHARGE_COLS: &str = "id, payment_id, amount_fen, currency, description, return_url, status, \
     created_at, decided_at FROM sandbox_charges";

fn payment(r: &AnyRow) -> StoreResult<PaymentRecord> {
    let raw = text(r, "status")?;
    Ok(PaymentRecord {
        id: id(r, "id")?,
        org_id: id(r, "org_id")?,
        order_id: id(r, "order_id")?,
        provider: text(r, "provider")?,
        provider_ref: text(r, "provider_ref")?,
        amount: Money::from_fen(int(r, "amount_fen")?, currency(r)?),
        status: PaymentStatus::parse(&raw).ok_or_else(|| crate::rows::corrupt("status", &raw))?,
        pay_url: text(r, "pay_url")?,
        created_at: ts(r, "created_at")?,
        settled_at: opt_ts(r, "settled_at")?,
        refund_due: flag(r, "refund_due")?,
    })
}

fn charge(r: &AnyRow) -> StoreResult<ChargeRecord> {
    Ok(ChargeRecord {
        id: id(r, "id")?,
        payment: id(r, "payment_id")?,
        amount: Money::from_fen(int(r, "amount_fen")?, currency(r)?),
        description: text(r, "description")?,
        return_url: text(r, "return_url")?,
        status: text(r, "status")?,
        created_at: ts(r, "created_at")?,
        decided_at: opt_ts(r, "decided_at")?,
    })
}

/// Marks a verified webhook applied; false when its id was applied before (a
/// provider's retry), which changes nothing.
pub(super) async fn apply_once(tx: &mut Tx, w: &WebhookLogRecord) -> StoreResult<bool> {
    let n = exec(
        tx,
        sqlx::query(
            "INSERT INTO payment_webhooks_applied (provider, webhook_id) VALUES ($1, $2) \
             ON CONFLICT (provider, webhook_id) DO NOTHING",
        )
        .bind(w.provider.clone())
        .bind(w.webhook_id.clone()),
    )
    .await?;
    Ok(n == 1)
}

pub(super) async fn log_in(tx: &mut Tx, w: &WebhookLogRecord, outcome: &str) -> StoreResult<()> {
    exec(
        tx,
        sqlx::query(
            "INSERT INTO payment_webhooks (seq, webhook_id, provider, payment_id, outcome, received_at) \
             VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(uuid::Uuid::now_v7().to_string())
        .bind(w.webhook_id.clone())
        .bind(w.provider.clone())
        .bind(w.payment_id.map(|p| p.to_string()))
        .bind(outcome.to_owned())
        .bind(w.received_at.millis()),
    )
    .await?;
    Ok(())
}

/// Takes the seats a paid order's membership lines buy (one per circle and
/// account) and writes the jobs that let the buyer in. If another order of theirs
/// holds one already, takes none and moves the order to a refund (its stock comes
/// back when the refund settles): false.
async fn take_seats(
    tx: &mut Tx,
    pid: PaymentId,
    seats: &Seats,
    w: &WebhookLogRecord,
) -> StoreResult<bool> {
    for circle in &seats.circles {
        let taken = exec(
            tx,
            sqlx::query(
                "INSERT INTO paid_seats (circle_id, account_id, order_id, created_at) \
                 SELECT $1, o.buyer_id, o.id, $3 FROM orders o JOIN payments p ON p.order_id = o.id \
                 WHERE p.id = $2 ON CONFLICT (circle_id, account_id) DO NOTHING",
            )
            .bind(circle.to_string())
            .bind(pid.to_string())
            .bind(w.received_at.millis()),
        )
        .await?;
        if taken == 0 {
            exec(
                tx,
                sqlx::query(
                    "DELETE FROM paid_seats WHERE order_id = (SELECT order_id FROM payments WHERE id = $1)",
                )
                .bind(pid.to_string()),
            )
            .await?;
            exec(
                tx,
                sqlx::query(
                    "UPDATE orders SET status = 'refund_requested', before_refund = 'paid' \
                     WHERE id = (SELECT order_id FROM payments WHERE id = $1) AND status = 'paid'",
                )
                .bind(pid.to_string()),
            )
            .await?;
            // Asked on the buyer's behalf: should the refund fail, staff approve it
            // again as any other.
            exec(
                tx,
                sqlx::query(
                    "UPDATE order_lines SET refund_asked = 1 \
                     WHERE order_id = (SELECT order_id FROM payments WHERE id = $1)",
                )
                .bind(pid.to_string()),
            )
            .await?;
            return Ok(false);
        }
    }
    for j in &seats.jobs {
        insert_job(tx, j).await?;
    }
    Ok(true)
}

impl SqlStore {
    pub(super) async fn payments_insert(&self, p: &PaymentRecord) -> StoreResult<()> {
        let mut tx = self.begin().await?;
        exec(
            &mut tx,
            sqlx::query(
                "INSERT INTO payments (id, org_id, order_id, provider, provider_ref, amount_fen, currency, status, pay_url, created_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
            )
            .bind(p.id.to_string())
            .bind(p.org_id.to_string())
            .bind(p.order_id.to_string())
            .bind(p.provider.clone())
            .bind(p.provider_ref.clone())
            .bind(p.amount.fen())
            .bind(p.amount.currency().as_str())
            .bind(p.status.as_str())
            .bind(p.pay_url.clone())
            .bind(p.created_at.millis()),
        )
        .await?;
        tx.commit().await.map_err(backend)
    }

    pub(super) async fn payments_get(&self, pid: PaymentId) -> StoreResult<Option<PaymentRecord>> {
        let sql = format!("SELECT {PAYMENT_COLS} WHERE id = $1");
        self.fetch_opt(sqlx::query(&sql).bind(pid.to_string()))
            .await?
            .as_ref()
            .map(payment)
            .transpose()
    }

    pub(super) async fn payments_pending(
        &self,
        order: OrderId,
    ) -> StoreResult<Option<PaymentRecord>> {
        let sql = format!(
            "SELECT {PAYMENT_COLS} WHERE order_id = $1 AND status = 'pending' ORDER BY id DESC LIMIT 1"
        );
        self.fetch_opt(sqlx::query(&sql).bind(order.to_string()))
            .await?
            .as_ref()
            .map(payment)
            .transpose()
    }

    pub(super) async fn payments_of_org_since(
        &self,
        org: OrgId,
        since: Timestamp,
        limit: i64,
    ) -> StoreResult<Vec<PaymentRecord>> {
        let sql = format!(
            "SELECT {PAYMENT_COLS} WHERE org_id = $1 AND created_at >= $2 ORDER BY id DESC LIMIT $3"
        );
        self.fetch_all(
            sqlx::query(&sql)
                .bind(org.to_string())
                .bind(since.millis())
                .bind(limit),
        )
        .await?
        .iter()
        .map(payment)
        .collect()
    }

    pub(super) async fn payments_reopen(
        &self,
        order: OrderId,
    ) -> StoreResult<Option<PaymentRecord>> {
        let mut tx = self.begin().await?;
        let n = exec(
            &mut tx,
            sqlx::query(
                "UPDATE payments SET status = 'pending', settled_at = NULL WHERE id = \
                   (SELECT id FROM payments WHERE order_id = $1 AND status IN ('failed', 'cancelled') ORDER BY id DESC LIMIT 1) \
                 AND status IN ('failed', 'cancelled')",
            )
            .bind(order.to_string()),
        )
        .await?;
        tx.commit().await.map_err(backend)?;
        if n == 0 {
            return Ok(None);
        }
        self.payments_pending(order).await
    }

    pub(super) async fn payments_charge_set(
        &self,
        pid: PaymentId,
        provider_ref: &str,
        pay_url: &str,
    ) -> StoreResult<()> {
        let mut tx = self.begin().await?;
        exec(
            &mut tx,
            sqlx::query("UPDATE payments SET provider_ref = $2, pay_url = $3 WHERE id = $1")
                .bind(pid.to_string())
                .bind(provider_ref.to_owned())
                .bind(pay_url.to_owned()),
        )
        .await?;
        tx.commit().await.map_err(backend)
    }

    pub(super) async fn payments_refundable(
        &self,
        order: OrderId,
    ) -> StoreResult<Option<PaymentRecord>> {
        let sql = format!(
            "SELECT {PAYMENT_COLS} WHERE order_id = $1 AND status = 'succeeded' \
             AND NOT EXISTS (SELECT 1 FROM refunds f WHERE f.payment_id = payments.id \
               AND f.status IN ('pending', 'sent')) ORDER BY id LIMIT 1"
        );
        self.fetch_opt(sqlx::query(&sql).bind(order.to_string()))
            .await?
            .as_ref()
            .map(payment)
            .transpose()
    }

    pub(super) async fn payments_settle(
        &self,
        w: &WebhookLogRecord,
        (pid, to): (PaymentId, PaymentStatus),
        late: &(RefundRecord, NewJob),
        seats: &Seats,
        event: &EventRecord,
    ) -> StoreResult<SettleOutcome> {
        let mut tx = self.begin().await?;
        let first = apply_once(&mut tx, w).await?;
        if !first {
            log_in(&mut tx, w, SettleOutcome::Duplicate.as_str()).await?;
            tx.commit().await.map_err(backend)?;
            return Ok(SettleOutcome::Duplicate);
        }
        // Out of pending; a success may also follow a failed or cancelled try.
        let from = if to == PaymentStatus::Succeeded {
            "('pending', 'failed', 'cancelled')"
        } else {
            "('pending')"
        };
        let moved = exec(
            &mut tx,
            sqlx::query(&format!(
                "UPDATE payments SET status = $2, settled_at = $3 WHERE id = $1 AND status IN {from}"
            ))
            .bind(pid.to_string())
            .bind(to.as_str())
            .bind(w.received_at.millis()),
        )
        .await?;
        let outcome = if moved == 0 {
            SettleOutcome::Stale
        } else if to != PaymentStatus::Succeeded {
            Self::insert_event(&mut tx, event).await?;
            SettleOutcome::NotPaid
        } else {
            let o = self.pay_order(&mut tx, pid, w.received_at, event).await?;
            if o == SettleOutcome::PaidTooLate {
                // Owed back at once: the refund and its job commit with this.
                super::refunds::insert_refund(&mut tx, &late.0, &late.1, false).await?;
                o
            } else if o == SettleOutcome::Paid && !take_seats(&mut tx, pid, seats, w).await? {
                // A seat the buyer holds by another order: owed back at once.
                let refund = RefundRecord {
                    reason: "seat_taken".to_owned(),
                    ..late.0.clone()
                };
                super::refunds::insert_refund(&mut tx, &refund, &late.1, false).await?;
                SettleOutcome::SeatTaken
            } else {
                o
            }
        };
        log_in(&mut tx, w, outcome.as_str()).await?;
        tx.commit().await.map_err(backend)?;
        Ok(outcome)
    }

    /// The order of a succeeded payment: paid if it waits; if it let its stock go,
    /// paid again when the stock can be taken back, else the money is owed back.
    async fn pay_order(
        &self,
        tx: &mut Tx,
        pid: PaymentId,
        at: Timestamp,
        event: &EventRecord,
    ) -> StoreResult<SettleOutcome> {
        // The order row first, locked (a no-op write) for the rest of the
        // transaction: the release job or a second payment waits for this one, so
        // the status read below stays true until commit.
        exec(
            tx,
            sqlx::query(
                "UPDATE orders SET status = status WHERE id = (SELECT order_id FROM payments WHERE id = $1)",
            )
            .bind(pid.to_string()),
        )
        .await?;
        let r = sqlx::query(
            "SELECT o.id, o.org_id, o.status, o.buyer_id, o.flash_sale_id, o.coupon_claim_id FROM orders o \
             JOIN payments p ON p.order_id = o.id WHERE p.id = $1",
        )
        .bind(pid.to_string())
        .fetch_one(&mut **tx)
        .await
        .map_err(backend)?;
        let (oid, org): (OrderId, OrgId) = (id(&r, "id")?, id(&r, "org_id")?);
        let status = text(&r, "status")?;
        let paid = |from: &'static str| {
            sqlx::query(
                "UPDATE orders SET status = 'paid', paid_at = $2, closed_at = NULL WHERE id = $1 AND status = $3",
            )
            .bind(oid.to_string())
            .bind(at.millis())
            .bind(from)
        };
        let retaken = if status == "created" {
            exec(tx, paid("created")).await? == 1
        } else if status == "cancelled" {
            let lines: Vec<(String, i64)> = sqlx::query(
                "SELECT sku_id, quantity FROM order_lines WHERE order_id = $1 ORDER BY line",
            )
            .bind(oid.to_string())
            .fetch_all(&mut **tx)
            .await
            .map_err(backend)?
            .iter()
            .map(|l| Ok((text(l, "sku_id")?, int(l, "quantity")?)))
            .collect::<StoreResult<_>>()?;
            // Its coupon first: given back when the order lapsed, it may have been
            // spent since on another order; then this one is refunded, not paid
            // at a discount twice.
            let coupon = exec(
                tx,
                sqlx::query(
                    "UPDATE coupon_claims SET order_id = $1 WHERE order_id IS NULL \
                       AND id = (SELECT coupon_claim_id FROM orders WHERE id = $1)",
                )
                .bind(oid.to_string()),
            )
            .await?;
            let has_coupon = opt_text(&r, "coupon_claim_id")?.is_some();
            let taken = (coupon == 1 || !has_coupon)
                && match (opt_id(&r, "flash_sale_id")?, lines.as_slice()) {
                    // A flash order takes its unit from its sale again (while open).
                    (Some(sale), [(_, q)]) => {
                        take_flash(tx, sale, id(&r, "buyer_id")?, *q).await?.is_ok()
                    }
                    _ => take(tx, org, &lines).await?.is_none(),
                };
            if !taken && coupon == 1 {
                // No stock to take again: the coupon goes back to the wallet.
                exec(
                    tx,
                    sqlx::query("UPDATE coupon_claims SET order_id = NULL WHERE order_id = $1")
                        .bind(oid.to_string()),
                )
                .await?;
            }
            taken && exec(tx, paid("cancelled")).await? == 1
        } else {
            false
        };
        if retaken {
            Self::insert_event(tx, event).await?;
            return Ok(SettleOutcome::Paid);
        }
        exec(
            tx,
            sqlx::query("UPDATE payments SET refund_due = 1 WHERE id = $1").bind(pid.to_string()),
        )
        .await?;
        Ok(SettleOutcome::PaidTooLate)
    }

    pub(super) async fn webhooks_insert(&self, w: &WebhookLogRecord) -> StoreResult<()> {
        let mut tx = self.begin().await?;
        log_in(&mut tx, w, &w.outcome).await?;
        tx.commit().await.map_err(backend)
    }

    pub(super) async fn webhooks_org(
        &self,
        org: OrgId,
        limit: i64,
    ) -> StoreResult<Vec<WebhookLogRecord>> {
        self.fetch_all(
            sqlx::query(
                "SELECT w.webhook_id, w.provider, w.payment_id, w.outcome, w.received_at FROM payment_webhooks w \
                 JOIN payments p ON p.id = w.payment_id WHERE p.org_id = $1 ORDER BY w.seq DESC LIMIT $2",
            )
            .bind(org.to_string())
            .bind(limit),
        )
        .await?
        .iter()
        .map(|r| {
            Ok(WebhookLogRecord {
                webhook_id: text(r, "webhook_id")?,
                provider: text(r, "provider")?,
                payment_id: crate::rows::opt_id(r, "payment_id")?,
                outcome: text(r, "outcome")?,
                received_at: ts(r, "received_at")?,
            })
        })
        .collect()
    }

    pub(super) async fn charges_open(&self, c: &ChargeRecord) -> StoreResult<ChargeRecord> {
        let mut tx = self.begin().await?;
        exec(
            &mut tx,
            sqlx::query(
                "INSERT INTO sandbox_charges (id, payment_id, amount_fen, currency, description, return_url, status, created_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, 'open', $7) ON CONFLICT (payment_id) DO NOTHING",
            )
            .bind(c.id.to_string())
            .bind(c.payment.to_string())
            .bind(c.amount.fen())
            .bind(c.amount.currency().as_str())
            .bind(c.description.clone())
            .bind(c.return_url.clone())
            .bind(c.created_at.millis()),
        )
        .await?;
        let sql = format!("SELECT {CHARGE_COLS} WHERE payment_id = $1");
        let r = sqlx::query(&sql)
            .bind(c.payment.to_string())
            .fetch_one(&mut *tx)
            .await
            .map_err(backend)?;
        tx.commit().await.map_err(backend)?;
        charge(&r)
    }

    pub(super) async fn charges_get(&self, cid: ChargeId) -> StoreResult<Option<ChargeRecord>> {
        let sql = format!("SELECT {CHARGE_COLS} WHERE id = $1");
        self.fetch_opt(sqlx::query(&sql).bind(cid.to_string()))
            .await?
            .as_ref()
            .map(charge)
            .transpose()
    }

    pub(super) async fn charges_decide(
        &self,
        cid: ChargeId,
        status: &str,
        at: Timestamp,
        notify: &NewJob,
    ) -> StoreResult<bool> {
        let mut tx = self.begin().await?;
        let n = exec(
            &mut tx,
            sqlx::query(
                "UPDATE sandbox_charges SET status = $2, decided_at = $3 \
                 WHERE id = $1 AND (status = 'open' OR (status IN ('failed', 'cancelled') AND $2 = 'succeeded'))",
            )
            .bind(cid.to_string())
            .bind(status.to_owned())
            .bind(at.millis()),
        )
        .await?;
        if n == 0 {
            return Ok(false);
        }
        insert_job(&mut tx, notify).await?;
        tx.commit().await.map_err(backend)?;
        Ok(true)
    }
}
