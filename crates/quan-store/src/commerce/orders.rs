//! Orders' rows: placing one (the idempotency key, the guarded stock decrements,
//! the lines, the release job and the event in one transaction), reading them, and
//! guarded moves that give stock back on cancellation.

use super::catalog::currency;
use super::flash::{give_back_flash, take_flash, take_flash_many};
use crate::connect::Backend;
use crate::group::{BoxFuture, Rows};
use crate::jobs::{insert_job, insert_jobs};
use crate::moderation::exec;
use crate::queries::value_rows;
use crate::rows::{self, backend, id, int, opt_id, opt_text, opt_ts, text, ts};
use crate::store::{AnyQuery, SqlStore, Tx};
use quan_core::commerce::port::{LineRefund, OrderLine, OrderRecord, PlaceOutcome};
use quan_core::{EventRecord, NewJob, Page, PageRequest, StoreResult};
use quan_domain::{AccountId, Money, OrderId, OrderStatus, OrgId};
use sqlx::any::AnyRow;
use std::sync::{Arc, LazyLock, Mutex};

const ORDER_COLS: &str = "o.id, o.org_id, o.buyer_id, o.person_id, o.status, o.before_refund, \
     o.total_fen, o.currency, o.idempotency_key, o.request_hash, o.created_at, o.expires_at, \
     o.paid_at, o.closed_at, o.flash_sale_id, o.coupon_claim_id, o.refund_reason, COALESCE(b.display_name, '') AS buyer_name \
     FROM orders o LEFT JOIN persons b ON b.id = o.person_id";

fn status(raw: &str) -> StoreResult<OrderStatus> {
    OrderStatus::parse(raw).map_err(|e| rows::corrupt("status", e))
}

fn order(r: &AnyRow) -> StoreResult<OrderRecord> {
    Ok(OrderRecord {
        id: id(r, "id")?,
        org_id: id(r, "org_id")?,
        buyer: id(r, "buyer_id")?,
        person_id: opt_id(r, "person_id")?,
        status: status(&text(r, "status")?)?,
        before_refund: opt_text(r, "before_refund")?
            .map(|s| status(&s))
            .transpose()?,
        total: Money::from_fen(int(r, "total_fen")?, currency(r)?),
        idempotency_key: text(r, "idempotency_key")?,
        request_hash: text(r, "request_hash")?,
        created_at: ts(r, "created_at")?,
        expires_at: ts(r, "expires_at")?,
        paid_at: opt_ts(r, "paid_at")?,
        closed_at: opt_ts(r, "closed_at")?,
        buyer_name: text(r, "buyer_name")?,
        lines: Vec::new(),
        flash_sale: opt_id(r, "flash_sale_id")?,
        coupon: opt_id(r, "coupon_claim_id")?,
        refund_reason: opt_text(r, "refund_reason")?,
    })
}

/// Gives back the stock of an order's lines (a cancellation of a created order, a
/// refund before shipping), one SKU at a time in id order, as [`take`] takes it.
pub(super) async fn give_back(tx: &mut Tx, order: OrderId) -> StoreResult<()> {
    give_back_lines(tx, order, None).await
}

/// [`give_back`] for the lines of one refund only (all the order's with None).
pub(super) async fn give_back_lines(
    tx: &mut Tx,
    order: OrderId,
    refund: Option<quan_domain::RefundId>,
) -> StoreResult<()> {
    let lines = sqlx::query(
        "SELECT sku_id, quantity AS q FROM order_lines WHERE order_id = $1 \
           AND ($2 IS NULL OR refund_id = $2) ORDER BY sku_id",
    )
    .bind(order.to_string())
    .bind(refund.map(|r| r.to_string()))
    .fetch_all(&mut **tx)
    .await
    .map_err(backend)?;
    for l in &lines {
        exec(
            tx,
            sqlx::query("UPDATE skus SET stock = stock + $1 WHERE id = $2")
                .bind(int(l, "q")?)
                .bind(text(l, "sku_id")?),
        )
        .await?;
    }
    Ok(())
}

/// Takes each line's stock by a guarded decrement, in SKU id order (so two orders
/// naming the same SKUs in other orders cannot deadlock on PostgreSQL): the index
/// of the first line short of stock, with whatever was taken given back (a caller
/// that rolls back loses nothing either way), or None when all were taken.
pub(super) async fn take(
    tx: &mut Tx,
    org: OrgId,
    lines: &[(String, i64)],
) -> StoreResult<Option<usize>> {
    let mut by_id: Vec<usize> = (0..lines.len()).collect();
    by_id.sort_by(|a, b| lines[*a].0.cmp(&lines[*b].0));
    for (n, &i) in by_id.iter().enumerate() {
        let (sku, q) = &lines[i];
        let taken = exec(
            tx,
            sqlx::query(
                "UPDATE skus SET stock = stock - $1 WHERE id = $2 AND org_id = $3 AND retired = 0 AND stock >= $1",
            )
            .bind(*q)
            .bind(sku.clone())
            .bind(org.to_string()),
        )
        .await?;
        if taken == 0 {
            for &k in &by_id[..n] {
                let (sku, q) = &lines[k];
                exec(
                    tx,
                    sqlx::query("UPDATE skus SET stock = stock + $1 WHERE id = $2")
                        .bind(*q)
                        .bind(sku.clone()),
                )
                .await?;
            }
            return Ok(Some(i));
        }
    }
    Ok(None)
}

/// How placing went in a transaction, before it is committed or rolled back.
enum Placing {
    Placed,
    /// The key was used before: the first order answers.
    Replay,
    /// Refused (stock, the sale, the buyer's limit, the coupon): roll back.
    Refused(Box<PlaceOutcome>),
}

const ORDER_INSERT_INTO: &str = "INSERT INTO orders (id, org_id, buyer_id, person_id, status, total_fen, currency, \
     idempotency_key, request_hash, created_at, expires_at, flash_sale_id, coupon_claim_id)";
/// Values per order in [`ORDER_INSERT_INTO`].
const ORDER_WIDTH: usize = 13;

fn bind_order<'q>(q: AnyQuery<'q>, o: &OrderRecord) -> AnyQuery<'q> {
    q.bind(o.id.to_string())
        .bind(o.org_id.to_string())
        .bind(o.buyer.to_string())
        .bind(o.person_id.map(|p| p.to_string()))
        .bind(o.status.as_str())
        .bind(o.total.fen())
        .bind(o.total.currency().as_str())
        .bind(o.idempotency_key.clone())
        .bind(o.request_hash.clone())
        .bind(o.created_at.millis())
        .bind(o.expires_at.millis())
        .bind(o.flash_sale.map(|f| f.to_string()))
        .bind(o.coupon.map(|c| c.to_string()))
}

const LINE_INSERT_INTO: &str = "INSERT INTO order_lines (order_id, line, sku_id, product_id, product_name, \
     sku_name, unit_fen, quantity, amount_fen, list_unit_fen, coupon_off_fen, joins_circle_id)";
/// Values per line in [`LINE_INSERT_INTO`].
const LINE_WIDTH: usize = 12;

/// Line `i` of order `o`.
fn bind_line<'q>(q: AnyQuery<'q>, o: OrderId, i: usize, l: &OrderLine) -> AnyQuery<'q> {
    q.bind(o.to_string())
        .bind(i64::try_from(i).unwrap_or(i64::MAX))
        .bind(l.sku_id.to_string())
        .bind(l.product_id.to_string())
        .bind(l.product_name.clone())
        .bind(l.sku_name.clone())
        .bind(l.unit.fen())
        .bind(l.quantity)
        .bind(l.amount.fen())
        .bind(l.list_unit.fen())
        .bind(l.coupon_off.fen())
        .bind(l.joins.map(|c| c.to_string()))
}

/// The error a grouped order's refusal carries out of its write (never a caller's).
const REFUSED: &str = "order_refused";

/// An order's rows in `tx` (the key first, then its stock or its sale's units,
/// its coupon, its lines, its release job and its event). A refusal leaves its
/// statements for the caller to roll back.
async fn place_in(
    tx: &mut Tx,
    o: &OrderRecord,
    release: &NewJob,
    event: &EventRecord,
) -> StoreResult<Placing> {
    // The key first: a concurrent twin waits here for this one's outcome.
    static SQL: LazyLock<String> = LazyLock::new(|| {
        format!(
            "{ORDER_INSERT_INTO} VALUES {} ON CONFLICT (buyer_id, idempotency_key) DO NOTHING",
            crate::queries::placeholders(1, ORDER_WIDTH)
        )
    });
    let fresh = exec(tx, bind_order(sqlx::query(&SQL), o)).await?;
    if fresh == 0 {
        return Ok(Placing::Replay);
    }
    let wanted: Vec<(String, i64)> = o
        .lines
        .iter()
        .map(|l| (l.sku_id.to_string(), l.quantity))
        .collect();
    if let (Some(sale), [line]) = (o.flash_sale, o.lines.as_slice()) {
        // Rolled back whole on a refusal, as below.
        match take_flash(tx, sale, o.buyer, line.quantity).await? {
            Ok(()) => {}
            Err(false) => {
                return Ok(Placing::Refused(Box::new(PlaceOutcome::OutOfStock(
                    line.sku_id,
                ))));
            }
            Err(true) => return Ok(Placing::Refused(Box::new(PlaceOutcome::OverLimit))),
        }
    } else if let Some(i) = take(tx, o.org_id, &wanted).await? {
        // Rolled back whole: not even the key is kept, so a retry may succeed.
        return Ok(Placing::Refused(Box::new(PlaceOutcome::OutOfStock(
            o.lines[i].sku_id,
        ))));
    }
    if let Some(claim) = o.coupon {
        // Spent once: a second order with the same claim finds it spent.
        let spent = exec(
            tx,
            sqlx::query(
                "UPDATE coupon_claims SET order_id = $1 WHERE id = $2 AND account_id = $3 AND order_id IS NULL",
            )
            .bind(o.id.to_string())
            .bind(claim.to_string())
            .bind(o.buyer.to_string()),
        )
        .await?;
        if spent == 0 {
            return Ok(Placing::Refused(Box::new(PlaceOutcome::CouponUsed)));
        }
    }
    static LINE: LazyLock<String> = LazyLock::new(|| {
        format!(
            "{LINE_INSERT_INTO} VALUES {}",
            crate::queries::placeholders(1, LINE_WIDTH)
        )
    });
    for (i, l) in o.lines.iter().enumerate() {
        exec(tx, bind_line(sqlx::query(&LINE), o.id, i, l)).await?;
    }
    insert_job(tx, release).await?;
    SqlStore::insert_event(tx, event).await?;
    Ok(Placing::Placed)
}

impl SqlStore {
    async fn with_lines(&self, mut items: Vec<OrderRecord>) -> StoreResult<Vec<OrderRecord>> {
        if items.is_empty() {
            return Ok(items);
        }
        let sql = format!(
            "SELECT l.order_id, l.sku_id, l.product_id, l.product_name, l.sku_name, l.unit_fen, l.quantity, l.amount_fen, \
               COALESCE(l.list_unit_fen, l.unit_fen) AS list_unit_fen, l.coupon_off_fen, l.joins_circle_id, \
               l.refund_asked, f.status AS refund_status \
             FROM order_lines l LEFT JOIN refunds f ON f.id = l.refund_id \
             WHERE l.order_id IN {} ORDER BY l.order_id, l.line",
            crate::queries::placeholders(1, items.len())
        );
        let mut q = sqlx::query(&sql);
        for o in &items {
            q = q.bind(o.id.to_string());
        }
        for r in self.fetch_all(q).await? {
            let oid: OrderId = id(&r, "order_id")?;
            if let Some(o) = items.iter_mut().find(|o| o.id == oid) {
                let cur = o.total.currency();
                o.lines.push(OrderLine {
                    sku_id: id(&r, "sku_id")?,
                    product_id: id(&r, "product_id")?,
                    product_name: text(&r, "product_name")?,
                    sku_name: text(&r, "sku_name")?,
                    list_unit: Money::from_fen(int(&r, "list_unit_fen")?, cur),
                    unit: Money::from_fen(int(&r, "unit_fen")?, cur),
                    quantity: int(&r, "quantity")?,
                    amount: Money::from_fen(int(&r, "amount_fen")?, cur),
                    coupon_off: Money::from_fen(int(&r, "coupon_off_fen")?, cur),
                    joins: opt_id(&r, "joins_circle_id")?,
                    refund: match (
                        opt_text(&r, "refund_status")?.as_deref(),
                        int(&r, "refund_asked")?,
                    ) {
                        (Some("succeeded"), _) => LineRefund::Refunded,
                        (Some("pending" | "sent"), _) => LineRefund::Refunding,
                        (_, 0) => LineRefund::None,
                        _ => LineRefund::Asked,
                    },
                });
            }
        }
        Ok(items)
    }

    async fn one_order(&self, sql: &str, binds: &[String]) -> StoreResult<Option<OrderRecord>> {
        let mut q = sqlx::query(sql);
        for b in binds {
            q = q.bind(b.clone());
        }
        let Some(r) = self.fetch_opt(q).await? else {
            return Ok(None);
        };
        Ok(self.with_lines(vec![order(&r)?]).await?.pop())
    }

    /// Places an order in its own transaction; a flash sale's (its rush is many
    /// small orders at once) through the group writer, sharing transactions.
    pub(super) async fn orders_place(
        &self,
        o: &OrderRecord,
        release: &NewJob,
        event: &EventRecord,
    ) -> StoreResult<PlaceOutcome> {
        if o.flash_sale.is_some() {
            return self.place_grouped(o, release, event).await;
        }
        let mut tx = self.begin().await?;
        match place_in(&mut tx, o, release, event).await? {
            Placing::Placed => {
                tx.commit().await.map_err(backend)?;
                Ok(PlaceOutcome::Placed(o.clone()))
            }
            Placing::Replay => {
                drop(tx);
                self.replayed(o).await
            }
            // Dropped: rolled back whole, not even the key is kept.
            Placing::Refused(out) => Ok(*out),
        }
    }

    /// The first order placed under `o`'s key (a retry or a twin).
    async fn replayed(&self, o: &OrderRecord) -> StoreResult<PlaceOutcome> {
        let first = self
            .orders_by_key(o.buyer, &o.idempotency_key)
            .await?
            .ok_or(quan_core::StoreError::NotFound)?;
        Ok(PlaceOutcome::Replayed(first))
    }

    /// [`place_in`] on the group writer: a refusal fails its own write only (the
    /// group runs again with each write under its savepoint), its outcome carried
    /// out beside the error.
    async fn place_grouped(
        &self,
        o: &OrderRecord,
        release: &NewJob,
        event: &EventRecord,
    ) -> StoreResult<PlaceOutcome> {
        // Shared: the write runs on the group writer's task, with others' rows
        // or alone (maybe both).
        let rows = Arc::new(FlashRows {
            order: o.clone(),
            release: release.clone(),
            event: event.clone(),
            out: Mutex::new(None),
        });
        let slot = Arc::clone(&rows);
        let done = self
            .group
            .write_rows(
                &o.buyer.to_string(),
                Arc::clone(&rows),
                Box::new(move |tx: &mut Tx| {
                    let rows = Arc::clone(&rows);
                    Box::pin(async move {
                        let placing = place_in(tx, &rows.order, &rows.release, &rows.event).await?;
                        let refused = matches!(placing, Placing::Refused(_));
                        rows.tell(placing);
                        if refused {
                            Err(refused_error())
                        } else {
                            Ok(())
                        }
                    })
                }),
            )
            .await;
        let placing = slot.out.lock().ok().and_then(|mut s| s.take());
        match (done, placing) {
            (Ok(()), Some(Placing::Placed)) => Ok(PlaceOutcome::Placed(o.clone())),
            (Ok(()), Some(Placing::Replay)) => self.replayed(o).await,
            (Err(e), Some(Placing::Refused(out))) if e.is_conflict_on(REFUSED) => Ok(*out),
            (Err(e), _) => Err(e),
            (Ok(()), _) => Err(quan_core::StoreError::Backend(
                "a grouped order committed without its outcome".into(),
            )),
        }
    }

    pub(super) async fn orders_by_key(
        &self,
        buyer: AccountId,
        key: &str,
    ) -> StoreResult<Option<OrderRecord>> {
        let sql = format!("SELECT {ORDER_COLS} WHERE o.buyer_id = $1 AND o.idempotency_key = $2");
        self.one_order(&sql, &[buyer.to_string(), key.to_owned()])
            .await
    }

    pub(super) async fn orders_get(
        &self,
        org: Option<OrgId>,
        oid: OrderId,
    ) -> StoreResult<Option<OrderRecord>> {
        match org {
            Some(org) => {
                let sql = format!("SELECT {ORDER_COLS} WHERE o.id = $1 AND o.org_id = $2");
                self.one_order(&sql, &[oid.to_string(), org.to_string()])
                    .await
            }
            None => {
                let sql = format!("SELECT {ORDER_COLS} WHERE o.id = $1");
                self.one_order(&sql, &[oid.to_string()]).await
            }
        }
    }

    pub(super) async fn orders_page(
        &self,
        by: (&str, String),
        page: &PageRequest,
    ) -> StoreResult<Page<OrderRecord>> {
        let sql = format!("SELECT {ORDER_COLS} WHERE o.{} = $1", by.0);
        let mut out = self
            .keyset_page(&sql, &[by.1], ("o.id", true), page, order, |o| {
                o.id.to_string()
            })
            .await?;
        out.items = self.with_lines(out.items).await?;
        Ok(out)
    }

    pub(super) async fn orders_move(
        &self,
        oid: OrderId,
        (from, to): (OrderStatus, OrderStatus),
        (asked, reason): (&[i64], &str),
        at: quan_domain::Timestamp,
        event: &EventRecord,
    ) -> StoreResult<bool> {
        let mut tx = self.begin().await?;
        if from == OrderStatus::RefundRequested {
            // A decline takes its turn with an approval (both lock the order's row
            // first) and does not undo a refund approved meanwhile.
            super::refunds::lock_order(&mut tx, oid).await?;
            let open = sqlx::query(
                "SELECT COUNT(*) AS n FROM refunds WHERE order_id = $1 AND status IN ('pending', 'sent')",
            )
            .bind(oid.to_string())
            .fetch_one(&mut *tx)
            .await
            .map_err(backend)?;
            if int(&open, "n")? > 0 {
                return Ok(false);
            }
        }
        let before_refund = (to == OrderStatus::RefundRequested).then(|| from.as_str());
        let n = exec(
            &mut tx,
            sqlx::query(
                "UPDATE orders SET status = $3, \
                   paid_at = CASE WHEN $3 = 'paid' AND paid_at IS NULL THEN CAST($4 AS BIGINT) ELSE paid_at END, \
                   closed_at = CASE WHEN $3 IN ('completed', 'cancelled', 'refunded') THEN CAST($4 AS BIGINT) ELSE closed_at END, \
                   before_refund = COALESCE($5, before_refund), \
                   refund_reason = CASE WHEN $3 = 'refund_requested' THEN $6 ELSE refund_reason END \
                 WHERE id = $1 AND status = $2",
            )
            .bind(oid.to_string())
            .bind(from.as_str())
            .bind(to.as_str())
            .bind(at.millis())
            .bind(before_refund)
            .bind(reason.to_owned()),
        )
        .await?;
        if n == 0 {
            return Ok(false);
        }
        if from == OrderStatus::Created
            && to == OrderStatus::Cancelled
            && !give_back_flash(&mut tx, oid).await?
        {
            give_back(&mut tx, oid).await?;
        }
        if to == OrderStatus::RefundRequested && !asked.is_empty() {
            let sql = format!(
                "UPDATE order_lines SET refund_asked = 1 WHERE order_id = $1 AND refund_id IS NULL AND line IN {}",
                crate::queries::placeholders(2, asked.len())
            );
            let mut q = sqlx::query(&sql).bind(oid.to_string());
            for l in asked {
                q = q.bind(*l);
            }
            exec(&mut tx, q).await?;
        }
        if from == OrderStatus::RefundRequested {
            // Declined, or part refunded: what was asked and not refunded is not
            // asked any more.
            exec(
                &mut tx,
                sqlx::query(
                    "UPDATE order_lines SET refund_asked = 0 WHERE order_id = $1 AND refund_id IS NULL",
                )
                .bind(oid.to_string()),
            )
            .await?;
        }
        if from == OrderStatus::Created && to == OrderStatus::Cancelled {
            // Its coupon goes back to the wallet, as its stock to the shelf.
            exec(
                &mut tx,
                sqlx::query("UPDATE coupon_claims SET order_id = NULL WHERE order_id = $1")
                    .bind(oid.to_string()),
            )
            .await?;
        }
        Self::insert_event(&mut tx, event).await?;
        tx.commit().await.map_err(backend)?;
        Ok(true)
    }
}

/// The buyer's orders are paged by `buyer_id`, the org's by `org_id`.
pub(super) fn by_buyer(buyer: AccountId) -> (&'static str, String) {
    ("buyer_id", buyer.to_string())
}
pub(super) fn by_org(org: OrgId) -> (&'static str, String) {
    ("org_id", org.to_string())
}

/// A flash order waiting in a group: its rows, and where its outcome goes.
struct FlashRows {
    order: OrderRecord,
    release: NewJob,
    event: EventRecord,
    out: Mutex<Option<Placing>>,
}

impl FlashRows {
    fn tell(&self, placing: Placing) {
        if let Ok(mut s) = self.out.lock() {
            *s = Some(placing);
        }
    }
}

impl Rows for FlashRows {
    fn write_all(
        tx: &mut Tx,
        engine: Backend,
        all: Vec<Arc<Self>>,
    ) -> BoxFuture<'_, StoreResult<()>> {
        Box::pin(place_many(tx, engine, all))
    }
}

/// The first pass of a group's flash orders: the keys, the sales' units and the
/// buyers' allowances, the lines, the release jobs and the events, each in one
/// statement for them all. An order whose key was used before is a replay (none
/// of its other rows written); any refusal fails the pass, and each order is then
/// placed alone by [`place_in`], which tells who was refused.
async fn place_many(tx: &mut Tx, engine: Backend, all: Vec<Arc<FlashRows>>) -> StoreResult<()> {
    // Known before any statement: only one-line orders of a sale without a coupon
    // go together (a coupon's claim is spent by `place_in`, which can tell it was).
    let together = |r: &FlashRows| {
        r.order.flash_sale.is_some() && r.order.lines.len() == 1 && r.order.coupon.is_none()
    };
    if !all.iter().all(|r| together(r)) {
        return Err(refused_error());
    }
    let sql = format!(
        "{ORDER_INSERT_INTO} VALUES {} ON CONFLICT (buyer_id, idempotency_key) DO NOTHING RETURNING id",
        value_rows(engine, all.len(), ORDER_WIDTH)
    );
    let mut q = sqlx::query(&sql);
    for r in &all {
        q = bind_order(q, &r.order);
    }
    let mut fresh = std::collections::HashSet::new();
    for row in q.fetch_all(&mut **tx).await.map_err(backend)? {
        fresh.insert(text(&row, "id")?);
    }
    let (new, replays): (Vec<_>, Vec<_>) = all
        .iter()
        .partition(|r| fresh.contains(&r.order.id.to_string()));
    let takes: Vec<_> = new
        .iter()
        .filter_map(|r| {
            Some((
                r.order.flash_sale?,
                r.order.buyer,
                r.order.lines.first()?.quantity,
            ))
        })
        .collect();
    if !take_flash_many(tx, engine, &takes).await? {
        return Err(refused_error());
    }
    if !new.is_empty() {
        let sql = format!(
            "{LINE_INSERT_INTO} VALUES {}",
            value_rows(engine, new.len(), LINE_WIDTH)
        );
        let mut q = sqlx::query(&sql);
        for r in &new {
            for (i, l) in r.order.lines.iter().enumerate() {
                q = bind_line(q, r.order.id, i, l);
            }
        }
        exec(tx, q).await?;
    }
    let jobs: Vec<&NewJob> = new.iter().map(|r| &r.release).collect();
    insert_jobs(tx, engine, &jobs).await?;
    let events: Vec<&EventRecord> = new.iter().map(|r| &r.event).collect();
    SqlStore::insert_events(tx, engine, &events).await?;
    for r in new {
        r.tell(Placing::Placed);
    }
    for r in replays {
        r.tell(Placing::Replay);
    }
    Ok(())
}

/// The error a refused grouped write fails with: a refusal in the first pass sends
/// the group to the savepoint pass; there, its outcome travels beside it.
fn refused_error() -> quan_core::StoreError {
    quan_core::StoreError::Conflict {
        constraint: REFUSED.to_owned(),
    }
}
