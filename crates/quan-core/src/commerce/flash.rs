//! Flash sales (秒杀): staff set a slot up for one SKU (sale price, window, stock
//! taken from the SKU, a per-person limit); buyers race for it. A buyer passes the
//! [`crate::ports::StockGate`] first — an atomic on one node, one Redis script in a
//! cluster — so the crowd the stock cannot serve is turned away without a write
//! (the sale's terms come from [`SaleCache`]; a refused buyer's idempotency key
//! is read only when they may hold an order of the sale, so a retry of a buy that
//! won gets its order, and in a cluster always). An admitted buyer's
//! order is then written like any other (see [`super::orders::submit`]) with the
//! sale's unit and the buyer's allowance taken by guarded writes, which keep the
//! sale exact even if a gate admits too many. An order that lapses unpaid gives
//! its unit back to the sale and the gate; at the end the `commerce.flash_close`
//! job gives what is left back to the SKU.

use super::checkout;
use super::error::CommerceError;
use super::orders::submit;
use super::port::{FlashMade, FlashSaleRecord, OrderLine, OrderRecord};
use super::tickets::{Claim, Claimed, Tickets};
use super::{MANAGERS, Result, require};
use crate::Services;
use crate::access::{Actor, OrgAccess, require_scope};
use crate::events::{announce, new_event};
use crate::jobs::port::NewJob;
use crate::page::{Page, PageRequest};
use dashmap::{DashMap, DashSet};
use quan_domain::{
    AccountId, CouponClaimId, FlashPhase, FlashSaleId, FlashTerms, Money, OrderId, OrgId,
    ParseError, ProductId, Scope, SkuId, Timestamp, idempotency_key,
};
use serde_json::json;
use std::sync::Arc;

/// The job that closes a sale at its end.
pub const CLOSE: &str = "commerce.flash_close";

/// Sales a node keeps in memory, at most; past it the cache starts over (sales
/// are read again on their next buyer).
const CACHED_MAX: usize = 10_000;

/// Flash sales on this node: each sale's terms, who may hold an order of it, and
/// the tickets of buys answered before their orders were written.
/// Terms never change once a sale is made, so a cached sale is never stale where
/// it matters; its `remaining` is what the store had when it was read: the gate's
/// seed when the gate has no count for the sale yet (the first buyer on one node;
/// in a cluster, whoever reaches Redis first).
#[derive(Default)]
pub struct SaleCache {
    sales: DashMap<FlashSaleId, Arc<Cached>>,
    /// Buys answered early whose orders are being written.
    pub(super) tickets: Arc<Tickets>,
}

/// One sale as a node holds it. `buyers` is everyone who may hold an order of it:
/// those the store had when the sale was read, then each buyer this node admits,
/// added before their order is written. On one node (the gate not shared) that
/// is everyone, so a refused buyer outside it has no order a retry could be
/// answered with, and is refused without reading their key. A buyer admitted
/// while the cache was being cleared can be missed: their retry within that
/// moment is told "sold out", as any retry racing its own first order is.
pub(super) struct Cached {
    sale: FlashSaleRecord,
    buyers: DashSet<AccountId>,
}

impl SaleCache {
    /// Waits up to `grace` for the orders of buys answered early (a node
    /// stopping); says whether they were all written or refused.
    pub async fn drain(&self, grace: std::time::Duration) -> bool {
        self.tickets.drain(grace).await
    }

    /// Forgets a sale (ended or closed): its next buyer reads it again.
    fn forget(&self, id: FlashSaleId) {
        self.sales.remove(&id);
    }

    /// Tickets this node holds: orders being written, and outcomes kept to tell
    /// their buyers why there is no order under the id they were given.
    pub fn tickets_held(&self) -> usize {
        self.tickets.held()
    }

    async fn get(&self, svc: &Services, id: FlashSaleId) -> Result<Option<Arc<Cached>>> {
        if let Some(s) = self.sales.get(&id) {
            return Ok(Some(Arc::clone(&s)));
        }
        let Some(sale) = svc.store.flash_get(id).await? else {
            return Ok(None);
        };
        // Never consulted in a cluster (another node's buyers are not in it).
        let buyers = if svc.gate.shared() {
            DashSet::new()
        } else {
            svc.store.flash_buyers(id).await?.into_iter().collect()
        };
        if self.sales.len() >= CACHED_MAX {
            self.sales.clear();
        }
        // Two first buyers may both read it: the first kept is the one everybody
        // adds to, so no admission is recorded on a copy that is dropped.
        let s = self
            .sales
            .entry(id)
            .or_insert_with(|| Arc::new(Cached { sale, buyers }));
        Ok(Some(Arc::clone(&s)))
    }
}

fn gate_key(sale: FlashSaleId) -> String {
    format!("flash:{sale}")
}

/// Gives `q` units back to the sale's gate (an order that lapsed or was not
/// written). A gate that cannot be reached only admits fewer until the sale ends,
/// when the store gives every unit left back to the SKU: logged, not failed.
pub(super) async fn gate_give_back(svc: &Services, sale: FlashSaleId, q: i64) {
    give_back_logged(svc.gate.as_ref(), sale, q).await;
}

async fn give_back_logged(gate: &dyn crate::ports::StockGate, sale: FlashSaleId, q: i64) {
    if let Err(e) = gate.give_back(&gate_key(sale), q).await {
        tracing::warn!(error = %e, %sale, "flash sale: could not give units back to the gate");
    }
}

/// What staff ask for when they set a sale up.
#[derive(Debug, Clone)]
pub struct FlashInput {
    pub product: ProductId,
    pub sku: SkuId,
    pub starts_at: Timestamp,
    pub ends_at: Timestamp,
    pub price_fen: i64,
    pub stock: i64,
    pub per_person: i64,
}

/// Sets a sale up: its stock leaves the SKU's shelf at once (refused when the SKU
/// has not that much), and a job closes it at its end.
#[tracing::instrument(skip_all, fields(org = %access.org()))]
pub async fn create(
    svc: &Services,
    access: &OrgAccess,
    input: FlashInput,
) -> Result<FlashSaleRecord> {
    require(access, Scope::Write, MANAGERS)?;
    let org = access.org();
    let product = svc
        .store
        .product_get(org, input.product)
        .await?
        .ok_or(CommerceError::NotFound)?;
    let sku = product
        .skus
        .iter()
        .find(|s| s.id == input.sku)
        .ok_or(CommerceError::UnknownSku { sku: input.sku })?;
    if !product.published {
        // Its buyers could not open the page the sale is on.
        return Err(CommerceError::FlashProductUnpublished);
    }
    if product.kind == quan_domain::ProductKind::Membership {
        // A sale's line joins no circle: memberships are sold at their price only.
        return Err(ParseError::new(
            "product",
            "flash_membership",
            "a circle membership cannot be put on a flash sale",
        )
        .into());
    }
    let now = svc.clock.now();
    let price = Money::price(input.price_fen, sku.price.currency())?;
    let terms = FlashTerms::new(
        (input.starts_at, input.ends_at),
        price,
        sku.price,
        (input.stock, input.per_person),
        now,
    )?;
    let sale = FlashSaleRecord {
        id: FlashSaleId::new(),
        org_id: org,
        product_id: product.id,
        sku_id: sku.id,
        terms,
        remaining: terms.stock,
        closed: false,
        created_at: now,
        product_name: product.name.clone(),
        sku_name: sku.name.clone(),
        list_price: sku.price,
    };
    let close = NewJob {
        id: quan_domain::JobId::new(),
        kind: CLOSE.to_owned(),
        payload: json!({"sale": sale.id.to_string()}),
        run_at: terms.ends_at,
        max_attempts: 20,
        dedupe_key: Some(format!("flash_close:{}", sale.id)),
    };
    let ev = new_event(
        svc,
        org,
        "flash.created",
        format!("product:{}", product.id),
        Some(access.account()),
        json!({"sale": sale.id.to_string(), "sku": sku.id.to_string(), "stock": terms.stock,
               "price_fen": price.fen(), "starts_at": terms.starts_at.millis(), "ends_at": terms.ends_at.millis()}),
    );
    match svc.store.flash_insert(&sale, &close, &ev).await? {
        FlashMade::Made => {}
        FlashMade::StockShort => return Err(CommerceError::FlashStockShort),
        FlashMade::Overlaps => return Err(CommerceError::FlashOverlaps),
    }
    announce(svc, &ev).await;
    Ok(sale)
}

/// The org's sales, newest first, for the console.
pub async fn list(
    svc: &Services,
    access: &OrgAccess,
    page: &PageRequest,
) -> Result<Page<FlashSaleRecord>> {
    require(access, Scope::Read, MANAGERS)?;
    Ok(svc.store.flash_of_org(access.org(), page).await?)
}

/// The shop's sales that are on or coming, soonest first (published products and
/// SKUs still sold only); one product's when `product` is given (its page).
pub async fn in_shop(
    svc: &Services,
    actor: &Actor,
    org: OrgId,
    product: Option<ProductId>,
) -> Result<Vec<FlashSaleRecord>> {
    require_scope(actor, Scope::Read)?;
    Ok(svc
        .store
        .flash_open((org, product), svc.clock.now(), 50)
        .await?)
}

/// One sale of the shop (live, coming or over), as the buyer's page shows it.
pub async fn one(
    svc: &Services,
    actor: &Actor,
    org: OrgId,
    id: FlashSaleId,
) -> Result<FlashSaleRecord> {
    require_scope(actor, Scope::Read)?;
    svc.store
        .flash_get(id)
        .await?
        .filter(|s| s.org_id == org)
        .ok_or(CommerceError::NotFound)
}

/// A buyer takes `q` units of a live sale under an idempotency key, with a coupon
/// claim if the org's stacking matrix lets one ride on a sale price: the gate
/// first, then the order. The same key again returns the first order (`true`).
#[tracing::instrument(skip_all, fields(org = %org, sale = %id))]
pub async fn buy(
    svc: &Services,
    actor: &Actor,
    (org, id): (OrgId, FlashSaleId),
    q: i64,
    coupon: Option<CouponClaimId>,
    key: &str,
) -> Result<(OrderRecord, bool)> {
    match admit(svc, actor, (org, id), (q, coupon, key), false).await? {
        Admission::Answered(o, replayed) => Ok((*o, replayed)),
        // Only asked for when an early reply is.
        Admission::Queued(_) | Admission::Admitted(_, Some(_)) => {
            Err(CommerceError::Internal("a ticket no one asked for".into()))
        }
        Admission::Admitted(a, None) => a.write(svc, actor, OrderId::new()).await,
    }
}

/// How [`buy_early`] answered.
#[derive(Debug)]
pub enum Bought {
    /// The order (`true`: the first under the key), written before the answer.
    Order(Box<OrderRecord>, bool),
    /// Admitted: the order with this id is being written (see [`super::tickets`]).
    Queued(OrderId),
}

/// [`buy`], answered as soon as the gate admits the buyer when it can be: on one
/// node and without a coupon (see [`super::tickets`] for why only then);
/// otherwise once the order is written, as [`buy`] is.
#[tracing::instrument(skip_all, fields(org = %org, sale = %id))]
pub async fn buy_early(
    svc: &Services,
    actor: &Actor,
    (org, id): (OrgId, FlashSaleId),
    q: i64,
    coupon: Option<CouponClaimId>,
    key: &str,
) -> Result<Bought> {
    match admit(svc, actor, (org, id), (q, coupon, key), true).await? {
        Admission::Answered(o, replayed) => Ok(Bought::Order(o, replayed)),
        Admission::Queued(order) => Ok(Bought::Queued(order)),
        Admission::Admitted(a, None) => {
            let (o, replayed) = a.write(svc, actor, OrderId::new()).await?;
            Ok(Bought::Order(Box::new(o), replayed))
        }
        Admission::Admitted(a, Some(claim)) => {
            let order = claim.order();
            let (svc2, actor2) = (svc.clone(), actor.clone());
            svc.flash.tickets.send(claim, async move {
                a.write(&svc2, &actor2, order).await.map(|(o, _)| o.id)
            });
            Ok(Bought::Queued(order))
        }
    }
}

/// What the sale's terms and the gate made of a buy, before any order is written.
enum Admission {
    /// A retry's first order, answered again.
    Answered(Box<OrderRecord>, bool),
    /// A twin of a queued buy under the same key: its ticket's order.
    Queued(OrderId),
    /// Let through, with the ticket an early reply is given under.
    Admitted(Box<Admitted>, Option<Claim>),
}

/// A buy the gate let through: what its order is written from.
struct Admitted {
    org: OrgId,
    sale: FlashSaleId,
    key: String,
    request_hash: String,
    priced: checkout::Priced,
    hold: GateHold,
}

impl Admitted {
    /// Writes the order under `order` and settles the units held at the gate.
    async fn write(
        mut self,
        svc: &Services,
        actor: &Actor,
        order: OrderId,
    ) -> Result<(OrderRecord, bool)> {
        let placed = submit(
            svc,
            actor,
            (self.org, order),
            (self.key, self.request_hash),
            self.priced,
            Some(self.sale),
        )
        .await;
        match &placed {
            Ok((_, false)) => self.hold.keep(),
            // The store had none left: the gate admitted too many (it was seeded
            // before orders this node did not see), so it keeps the units it took.
            Err(CommerceError::FlashSoldOut) => self.hold.keep(),
            // A replay, a buyer at their limit, a failure: nothing was taken.
            Ok((_, true)) | Err(_) => {}
        }
        placed
    }
}

/// The sale's terms, the price, a ticket when `early`, then the gate. A refused
/// buyer's retry of a buy that went through is answered with its order.
async fn admit(
    svc: &Services,
    actor: &Actor,
    (org, id): (OrgId, FlashSaleId),
    (q, coupon, key): (i64, Option<CouponClaimId>, &str),
    early: bool,
) -> Result<Admission> {
    require_scope(actor, Scope::Write)?;
    let key = idempotency_key(key)?;
    let cached = svc
        .flash
        .get(svc, id)
        .await?
        .filter(|c| c.sale.org_id == org)
        .ok_or(CommerceError::NotFound)?;
    let sale = &cached.sale;
    let q = sale.terms.check_quantity(q)?;
    let request_hash = match coupon {
        None => format!("flash:{id}:{q}"),
        Some(c) => format!("flash:{id}:{q}:{c}"),
    };
    let line = OrderLine {
        sku_id: sale.sku_id,
        product_id: sale.product_id,
        product_name: sale.product_name.clone(),
        sku_name: sale.sku_name.clone(),
        list_unit: sale.list_price,
        unit: sale.terms.price,
        quantity: q,
        amount: sale.terms.price.times(q)?,
        coupon_off: Money::zero(sale.terms.price.currency()),
        // A membership is never put on a flash sale (refused when it is set up).
        joins: None,
        refund: super::port::LineRefund::None,
    };
    // On one node everyone who may hold an order of the sale is known; without
    // a coupon an early reply can be given (see `tickets`).
    let one_node = !svc.gate.shared();
    let early = early && one_node && coupon.is_none();
    // Priced before the gate admits anyone, so a refused coupon takes no unit.
    // With a coupon (never the rush), or a buyer this node let through before:
    // a retry is answered first, as an ordinary order's is (the first order
    // spent its coupon; a ticket must not stand for an order that exists). With
    // a coupon the product's category is read for its scope.
    let known = cached.buyers.contains(&actor.account_id());
    // A buyer let through before may be at their limit: told so (below), rather
    // than hold a unit at the gate that the store gives back a moment later
    // (meanwhile others would be told "sold out"). Read before the key: an
    // order of theirs written in between (a twin's under this key) is then
    // found by the key read, never taken for the limit. The store's guarded
    // write still decides for buyers racing themselves.
    let at_limit = known
        && sale.phase(svc.clock.now()) == FlashPhase::Live
        && svc.store.flash_bought(id, actor.account_id()).await? + q > sale.terms.per_person;
    if (coupon.is_some() || known)
        && let Some(first) =
            super::orders::first_of_key(svc, actor, org, (&key, &request_hash)).await?
    {
        return Ok(Admission::Answered(Box::new(first), true));
    }
    if at_limit {
        return Err(CommerceError::FlashLimitReached);
    }
    let category = match coupon {
        None => String::new(),
        Some(_) => svc
            .store
            .product_get(org, sale.product_id)
            .await?
            .map(|p| p.category)
            .unwrap_or_default(),
    };
    let priced = checkout::priced(svc, actor, org, vec![(line, category, true)], coupon).await?;
    let claim = if early {
        match svc
            .flash
            .tickets
            .claim(actor.account_id(), &key, &request_hash)
        {
            Claimed::New(c) => Some(c),
            Claimed::Twin(order) => return Ok(Admission::Queued(order)),
            Claimed::Reused => return Err(CommerceError::IdempotencyReused),
        }
    } else {
        None
    };
    let refused = match sale.phase(svc.clock.now()) {
        FlashPhase::Upcoming => Some(CommerceError::FlashNotLive {
            code: "flash_not_started",
            message: "the flash sale has not started yet".to_owned(),
        }),
        FlashPhase::Ended => Some(CommerceError::FlashNotLive {
            code: "flash_ended",
            message: "the flash sale is over".to_owned(),
        }),
        FlashPhase::Live => match svc.gate.admit(&gate_key(id), q, sale.remaining).await {
            Ok(true) => None,
            Ok(false) => Some(CommerceError::FlashSoldOut),
            // The gate only spares the store work; without it the store's guarded
            // writes still sell exactly what the sale has.
            Err(e) => {
                tracing::warn!(error = %e, sale = %id, "flash sale: gate unavailable, the store decides");
                None
            }
        },
    };
    if let Some(e) = refused {
        if let Some(c) = claim {
            c.refuse(&e);
        }
        // A retry of a buy that went through is answered with its order, whatever
        // the sale says now; on one node only a buyer who may have one is read.
        if one_node && !cached.buyers.contains(&actor.account_id()) {
            return Err(e);
        }
        return match super::orders::first_of_key(svc, actor, org, (&key, &request_hash)).await? {
            Some(first) => Ok(Admission::Answered(Box::new(first), true)),
            None => Err(e),
        };
    }
    // Held until the order's outcome is known: a request dropped meanwhile (the
    // client hung up, the request timed out) rolls its transaction back, and the
    // hold gives the units back to the gate rather than leave them unsellable.
    let hold = GateHold::new(svc, id, q);
    cached.buyers.insert(actor.account_id());
    Ok(Admission::Admitted(
        Box::new(Admitted {
            org,
            sale: id,
            key,
            request_hash,
            priced,
            hold,
        }),
        claim,
    ))
}

/// Units an admitted buyer holds at the gate while their order is written; given
/// back when dropped unless kept. Giving back too much only lets the gate admit
/// a buyer the store then refuses; giving back too little would strand units.
struct GateHold {
    gate: Arc<dyn crate::ports::StockGate>,
    sale: FlashSaleId,
    q: i64,
}

impl GateHold {
    fn new(svc: &Services, sale: FlashSaleId, q: i64) -> Self {
        Self {
            gate: Arc::clone(&svc.gate),
            sale,
            q,
        }
    }
    fn keep(&mut self) {
        self.q = 0;
    }
}

impl Drop for GateHold {
    fn drop(&mut self) {
        if self.q == 0 {
            return;
        }
        let (gate, sale, q) = (Arc::clone(&self.gate), self.sale, self.q);
        // Drop cannot await: the give-back runs on its own task. Outside a runtime
        // (never, in the server) the units stay held until the sale closes.
        if let Ok(rt) = tokio::runtime::Handle::try_current() {
            rt.spawn(async move { give_back_logged(gate.as_ref(), sale, q).await });
        }
    }
}

/// Staff end a sale before its time (set up by mistake, or to stop selling): it
/// closes as at its end, what it has left goes back to the SKU, and orders it
/// already made stand. Ending an ended sale changes nothing.
#[tracing::instrument(skip_all, fields(sale = %id))]
pub async fn end(svc: &Services, access: &OrgAccess, id: FlashSaleId) -> Result<FlashSaleRecord> {
    require(access, Scope::Write, MANAGERS)?;
    let sale = svc
        .store
        .flash_get(id)
        .await?
        .filter(|s| s.org_id == access.org())
        .ok_or(CommerceError::NotFound)?;
    if !sale.closed {
        let ev = new_event(
            svc,
            sale.org_id,
            "flash.ended",
            format!("product:{}", sale.product_id),
            Some(access.account()),
            json!({"sale": id.to_string()}),
        );
        if svc.store.flash_close(id, &ev).await?.is_some() {
            announce(svc, &ev).await;
        }
        // This node's buyers are told it is over; another node's learn it from
        // the store when their orders are refused.
        svc.flash.forget(id);
    }
    svc.store
        .flash_get(id)
        .await?
        .ok_or(CommerceError::NotFound)
}

/// The close job: at the sale's end, what it has left goes back to the SKU.
#[tracing::instrument(skip_all)]
pub async fn close(svc: &Services, payload: &serde_json::Value) -> std::result::Result<(), String> {
    let id = payload
        .get("sale")
        .and_then(serde_json::Value::as_str)
        .and_then(|s| s.parse::<FlashSaleId>().ok())
        .ok_or("a close job without a sale")?;
    let Some(sale) = svc.store.flash_get(id).await.map_err(|e| e.to_string())? else {
        return Ok(());
    };
    if sale.closed {
        return Ok(());
    }
    if svc.clock.now() < sale.terms.ends_at {
        return Err("the flash sale has not ended yet".to_owned());
    }
    let ev = new_event(
        svc,
        sale.org_id,
        "flash.closed",
        format!("product:{}", sale.product_id),
        None,
        json!({"sale": id.to_string()}),
    );
    if svc
        .store
        .flash_close(id, &ev)
        .await
        .map_err(|e| e.to_string())?
        .is_some()
    {
        announce(svc, &ev).await;
    }
    svc.flash.forget(id);
    Ok(())
}
