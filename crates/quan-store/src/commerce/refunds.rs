//! Refunds' rows: a refund and its job written together (the outbox), its
//! settlement by the provider's webhook once (with the order and the payment in the
//! same transaction), and the sandbox's own refunds.

use super::catalog::currency;
use super::orders::give_back_lines;
use crate::jobs::insert_job;
use crate::moderation::exec;
use crate::rows::{backend, id, int, opt_ts, text, ts};
use crate::store::{SqlStore, Tx};
use quan_core::commerce::port::{
    RefundRecord, SandboxRefundRecord, SettleOutcome, WebhookLogRecord,
};
use quan_core::{EventRecord, NewJob, StoreResult};
use quan_domain::{Money, OrderEvent, OrderId, OrderStatus, RefundId};
use sqlx::any::AnyRow;

const REFUND_COLS: &str = "id, org_id, order_id, payment_id, amount_fen, currency, reason, status, \
     created_at, settled_at FROM refunds";

fn refund(r: &AnyRow) -> StoreResult<RefundRecord> {
    Ok(RefundRecord {
        id: id(r, "id")?,
        org_id: id(r, "org_id")?,
        order_id: id(r, "order_id")?,
        payment_id: id(r, "payment_id")?,
        amount: Money::from_fen(int(r, "amount_fen")?, currency(r)?),
        reason: text(r, "reason")?,
        status: text(r, "status")?,
        created_at: ts(r, "created_at")?,
        settled_at: opt_ts(r, "settled_at")?,
    })
}

/// Writes a refund and its job, and gives it its lines: those asked (`asked`)
/// or all of them (a payment owed back whole), never a line another refund has;
/// false — the caller rolls back — if its payment has a refund open already, or
/// the asked lines no longer come to its amount.
pub(super) async fn insert_refund(
    tx: &mut Tx,
    r: &RefundRecord,
    job: &NewJob,
    asked: bool,
) -> StoreResult<bool> {
    let n = exec(
        tx,
        sqlx::query(
            "INSERT INTO refunds (id, org_id, order_id, payment_id, amount_fen, currency, reason, status, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, 'pending', $8) \
             ON CONFLICT (payment_id) WHERE status IN ('pending', 'sent') DO NOTHING",
        )
        .bind(r.id.to_string())
        .bind(r.org_id.to_string())
        .bind(r.order_id.to_string())
        .bind(r.payment_id.to_string())
        .bind(r.amount.fen())
        .bind(r.amount.currency().as_str())
        .bind(r.reason.clone())
        .bind(r.created_at.millis()),
    )
    .await?;
    if n == 0 {
        return Ok(false);
    }
    exec(
        tx,
        sqlx::query(
            "UPDATE order_lines SET refund_id = $1 WHERE order_id = $2 AND refund_id IS NULL \
               AND (refund_asked = 1 OR $3 = 0)",
        )
        .bind(r.id.to_string())
        .bind(r.order_id.to_string())
        .bind(i64::from(asked)),
    )
    .await?;
    if asked {
        // The lines it took must be the ones it was priced from: never money out
        // for lines another refund has, or none at all.
        let got = sqlx::query(
            "SELECT CAST(COALESCE(SUM(amount_fen - coupon_off_fen), 0) AS BIGINT) AS fen \
             FROM order_lines WHERE order_id = $1 AND refund_id = $2",
        )
        .bind(r.order_id.to_string())
        .bind(r.id.to_string())
        .fetch_one(&mut **tx)
        .await
        .map_err(backend)?;
        if int(&got, "fen")? != r.amount.fen() {
            // The caller rolls back: nothing of this refund stays.
            return Ok(false);
        }
    }
    insert_job(tx, job).await?;
    Ok(true)
}

/// Locks an order's row for the rest of the transaction (a no-op write), so the
/// steps that decide its refunds take turns.
pub(super) async fn lock_order(tx: &mut Tx, order: OrderId) -> StoreResult<()> {
    exec(
        tx,
        sqlx::query("UPDATE orders SET status = status WHERE id = $1").bind(order.to_string()),
    )
    .await?;
    Ok(())
}

impl SqlStore {
    pub(super) async fn refunds_open(
        &self,
        r: &RefundRecord,
        job: &NewJob,
        event: &EventRecord,
    ) -> StoreResult<bool> {
        let mut tx = self.begin().await?;
        // The order's row first (a no-op write): a decline waits for this, and
        // the status read next is the one this refund is written against.
        lock_order(&mut tx, r.order_id).await?;
        // Still waiting for a refund (not declined meanwhile).
        let waiting = sqlx::query("SELECT status FROM orders WHERE id = $1")
            .bind(r.order_id.to_string())
            .fetch_optional(&mut *tx)
            .await
            .map_err(backend)?
            .map(|row| text(&row, "status"))
            .transpose()?;
        if waiting.as_deref() != Some("refund_requested")
            || !insert_refund(&mut tx, r, job, true).await?
        {
            return Ok(false);
        }
        Self::insert_event(&mut tx, event).await?;
        tx.commit().await.map_err(backend)?;
        Ok(true)
    }

    pub(super) async fn refunds_get(&self, rid: RefundId) -> StoreResult<Option<RefundRecord>> {
        let sql = format!("SELECT {REFUND_COLS} WHERE id = $1");
        self.fetch_opt(sqlx::query(&sql).bind(rid.to_string()))
            .await?
            .as_ref()
            .map(refund)
            .transpose()
    }

    pub(super) async fn refunds_of(&self, order: OrderId) -> StoreResult<Vec<RefundRecord>> {
        let sql = format!("SELECT {REFUND_COLS} WHERE order_id = $1 ORDER BY id");
        self.fetch_all(sqlx::query(&sql).bind(order.to_string()))
            .await?
            .iter()
            .map(refund)
            .collect()
    }

    pub(super) async fn refunds_sent(&self, rid: RefundId) -> StoreResult<()> {
        let mut tx = self.begin().await?;
        exec(
            &mut tx,
            sqlx::query("UPDATE refunds SET status = 'sent' WHERE id = $1 AND status = 'pending'")
                .bind(rid.to_string()),
        )
        .await?;
        tx.commit().await.map_err(backend)
    }

    pub(super) async fn refunds_settle(
        &self,
        w: &WebhookLogRecord,
        (rid, succeeded): (RefundId, bool),
        leaves: &[NewJob],
        event: &EventRecord,
    ) -> StoreResult<SettleOutcome> {
        let mut tx = self.begin().await?;
        let first = super::payments::apply_once(&mut tx, w).await?;
        let outcome = if !first {
            SettleOutcome::Duplicate
        } else {
            let moved = exec(
                &mut tx,
                sqlx::query(
                    "UPDATE refunds SET status = $2, settled_at = $3 WHERE id = $1 AND status IN ('pending', 'sent')",
                )
                .bind(rid.to_string())
                .bind(if succeeded { "succeeded" } else { "failed" })
                .bind(w.received_at.millis()),
            )
            .await?;
            if moved == 0 {
                SettleOutcome::Stale
            } else if succeeded {
                if self.refunded(&mut tx, rid, w).await? {
                    // Its order was paid and is refunded now: the seats it bought go.
                    for j in leaves {
                        crate::jobs::insert_job(&mut tx, j).await?;
                    }
                }
                Self::insert_event(&mut tx, event).await?;
                SettleOutcome::Refunded
            } else {
                // Its lines may be asked and refunded again.
                exec(
                    &mut tx,
                    sqlx::query(
                        "UPDATE order_lines SET refund_id = NULL \
                         WHERE order_id = (SELECT order_id FROM refunds WHERE id = $1) AND refund_id = $1",
                    )
                    .bind(rid.to_string()),
                )
                .await?;
                Self::insert_event(&mut tx, event).await?;
                SettleOutcome::RefundFailed
            }
        };
        super::payments::log_in(&mut tx, w, outcome.as_str()).await?;
        tx.commit().await.map_err(backend)?;
        Ok(outcome)
    }

    /// A refund that went through: its order (if it waited for it) is refunded —
    /// whole when no line is left unrefunded, else back where it was paid or
    /// shipped — with its lines' stock back when they had not shipped and the
    /// seats they bought freed; its payment is owed nothing. True when the order
    /// moved (not a payment that came too late, whose order was cancelled).
    async fn refunded(
        &self,
        tx: &mut Tx,
        rid: RefundId,
        w: &WebhookLogRecord,
    ) -> StoreResult<bool> {
        let r = sqlx::query(
            "SELECT f.order_id, f.payment_id, o.status, o.before_refund FROM refunds f \
             JOIN orders o ON o.id = f.order_id WHERE f.id = $1",
        )
        .bind(rid.to_string())
        .fetch_one(&mut **tx)
        .await
        .map_err(backend)?;
        let order: OrderId = id(&r, "order_id")?;
        let before = crate::rows::opt_text(&r, "before_refund")?;
        // Lines no refund has given back, this one aside.
        let left = sqlx::query(
            "SELECT COUNT(*) AS n FROM order_lines l LEFT JOIN refunds f ON f.id = l.refund_id \
             WHERE l.order_id = $1 AND (l.refund_id IS NULL \
               OR (l.refund_id <> $2 AND COALESCE(f.status, '') <> 'succeeded'))",
        )
        .bind(order.to_string())
        .bind(rid.to_string())
        .fetch_one(&mut **tx)
        .await
        .map_err(backend)?;
        // The domain's diagram says where: refunded whole, or back where it was.
        let event = if int(&left, "n")? == 0 {
            OrderEvent::Refund
        } else {
            OrderEvent::RefundPart
        };
        let from = before
            .as_deref()
            .map(OrderStatus::parse)
            .transpose()
            .map_err(|e| crate::rows::corrupt("before_refund", e))?;
        let to = OrderStatus::RefundRequested
            .next(event, from)
            .map_err(|e| crate::rows::corrupt("status", e))?
            .as_str();
        let moved = exec(
            tx,
            sqlx::query(
                "UPDATE orders SET status = $3, before_refund = NULL, \
                   closed_at = CASE WHEN $3 = 'refunded' THEN CAST($2 AS BIGINT) ELSE closed_at END \
                 WHERE id = $1 AND status = 'refund_requested'",
            )
            .bind(order.to_string())
            .bind(w.received_at.millis())
            .bind(to),
        )
        .await?;
        if moved == 1 {
            if before.as_deref() == Some("paid") {
                give_back_lines(tx, order, Some(rid)).await?;
            }
            exec(
                tx,
                sqlx::query(
                    "UPDATE order_lines SET refund_asked = 0 WHERE order_id = $1 AND refund_id IS NULL",
                )
                .bind(order.to_string()),
            )
            .await?;
            // The seats its refunded lines bought go with the money (the leave
            // jobs act on this).
            exec(
                tx,
                sqlx::query(
                    "DELETE FROM paid_seats WHERE order_id = $1 AND circle_id IN \
                       (SELECT joins_circle_id FROM order_lines WHERE order_id = $1 AND refund_id = $2)",
                )
                .bind(order.to_string())
                .bind(rid.to_string()),
            )
            .await?;
        }
        exec(
            tx,
            sqlx::query("UPDATE payments SET refund_due = 0 WHERE id = $1")
                .bind(text(&r, "payment_id")?),
        )
        .await?;
        Ok(moved == 1)
    }

    pub(super) async fn sandbox_refunds_insert(
        &self,
        r: &SandboxRefundRecord,
        notify: &NewJob,
    ) -> StoreResult<bool> {
        let mut tx = self.begin().await?;
        let known = sqlx::query("SELECT id FROM sandbox_refunds WHERE id = $1")
            .bind(r.id.to_string())
            .fetch_optional(&mut *tx)
            .await
            .map_err(backend)?;
        if known.is_some() {
            // The same refund asked again: accepted, not refunded twice.
            return Ok(true);
        }
        // A paid charge, not refunded beyond its amount.
        let room = sqlx::query(
            // PostgreSQL sums BIGINT as NUMERIC: cast back.
            "SELECT c.amount_fen - CAST(COALESCE((SELECT SUM(s.amount_fen) FROM sandbox_refunds s WHERE s.charge_id = c.id), 0) AS BIGINT) AS room \
             FROM sandbox_charges c WHERE c.id = $1 AND c.status = 'succeeded'",
        )
        .bind(r.charge.to_string())
        .fetch_optional(&mut *tx)
        .await
        .map_err(backend)?
        .map(|row| int(&row, "room"))
        .transpose()?;
        if room.is_none_or(|room| room < r.amount.fen()) {
            return Ok(false);
        }
        exec(
            &mut tx,
            sqlx::query(
                "INSERT INTO sandbox_refunds (id, charge_id, amount_fen, currency, created_at) VALUES ($1, $2, $3, $4, $5)",
            )
            .bind(r.id.to_string())
            .bind(r.charge.to_string())
            .bind(r.amount.fen())
            .bind(r.amount.currency().as_str())
            .bind(r.created_at.millis()),
        )
        .await?;
        insert_job(&mut tx, notify).await?;
        tx.commit().await.map_err(backend)?;
        Ok(true)
    }

    pub(super) async fn sandbox_refunds_get(
        &self,
        rid: RefundId,
    ) -> StoreResult<Option<SandboxRefundRecord>> {
        let Some(r) = self
            .fetch_opt(
                sqlx::query(
                    "SELECT id, charge_id, amount_fen, currency, created_at FROM sandbox_refunds WHERE id = $1",
                )
                .bind(rid.to_string()),
            )
            .await?
        else {
            return Ok(None);
        };
        Ok(Some(SandboxRefundRecord {
            id: id(&r, "id")?,
            charge: id(&r, "charge_id")?,
            amount: Money::from_fen(int(&r, "amount_fen")?, currency(&r)?),
            created_at: ts(&r, "created_at")?,
        }))
    }
}

impl SqlStore {
    pub(super) async fn sandbox_records_since(
        &self,
        since: quan_domain::Timestamp,
        limit: i64,
    ) -> StoreResult<Vec<quan_core::ports::ProviderRecord>> {
        let mut out = Vec::new();
        for r in self
            .fetch_all(
                sqlx::query(
                    "SELECT payment_id, amount_fen, currency, status FROM sandbox_charges \
                     WHERE created_at >= $1 ORDER BY id DESC LIMIT $2",
                )
                .bind(since.millis())
                .bind(limit),
            )
            .await?
        {
            out.push(quan_core::ports::ProviderRecord {
                refund: false,
                quan_ref: text(&r, "payment_id")?,
                amount: Money::from_fen(int(&r, "amount_fen")?, currency(&r)?),
                done: text(&r, "status")? == "succeeded",
            });
        }
        for r in self
            .fetch_all(
                sqlx::query(
                    "SELECT id, amount_fen, currency FROM sandbox_refunds WHERE created_at >= $1 ORDER BY id DESC LIMIT $2",
                )
                .bind(since.millis())
                .bind(limit),
            )
            .await?
        {
            out.push(quan_core::ports::ProviderRecord {
                refund: true,
                quan_ref: text(&r, "id")?,
                amount: Money::from_fen(int(&r, "amount_fen")?, currency(&r)?),
                done: true,
            });
        }
        Ok(out)
    }

    pub(super) async fn money_of_org_since(
        &self,
        org: quan_domain::OrgId,
        since: quan_domain::Timestamp,
        limit: i64,
    ) -> StoreResult<(
        Vec<quan_core::commerce::port::PaymentRecord>,
        Vec<RefundRecord>,
    )> {
        let payments = self.payments_of_org_since(org, since, limit).await?;
        let sql = format!(
            "SELECT {REFUND_COLS} WHERE org_id = $1 AND created_at >= $2 ORDER BY id DESC LIMIT $3"
        );
        let refunds = self
            .fetch_all(
                sqlx::query(&sql)
                    .bind(org.to_string())
                    .bind(since.millis())
                    .bind(limit),
            )
            .await?
            .iter()
            .map(refund)
            .collect::<StoreResult<Vec<_>>>()?;
        Ok((payments, refunds))
    }
}
