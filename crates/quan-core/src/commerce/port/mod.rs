//! The commerce capability's store port: the catalog, orders with their stock
//! reservations, payments and the webhooks received, and the sandbox provider's
//! own ledger of charges. Every write that moves money or stock is one guarded
//! transaction with its event (and, where time must pass, its job).

mod cart;
mod coupons;
mod images;
mod reconcile;

pub use cart::*;
pub use coupons::*;
pub use images::*;
pub use reconcile::*;

use crate::events::port::EventRecord;
use crate::jobs::port::NewJob;
use crate::page::{Page, PageRequest};
use crate::ports::StoreResult;
use async_trait::async_trait;
use quan_domain::{
    AccountId, ChargeId, CircleId, CouponClaimId, FlashPhase, FlashSaleId, FlashTerms, Money,
    OrderId, OrderStatus, OrgId, PaymentId, PersonId, ProductId, ProductKind, RefundId, SkuId,
    Timestamp,
};

/// A product with its SKUs, in their order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProductRecord {
    pub id: ProductId,
    pub org_id: OrgId,
    pub name: String,
    /// Markdown as written; rendered safely where shown.
    pub description: String,
    pub category: String,
    /// A circle's shelf, or None for the org's whole shop.
    pub circle_id: Option<CircleId>,
    /// Goods, or a membership of `circle_id` (paying joins it).
    pub kind: ProductKind,
    /// Its pictures, in their order (the first is its card's).
    pub images: Vec<ProductImageRecord>,
    pub published: bool,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
    pub skus: Vec<SkuRecord>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SkuRecord {
    pub id: SkuId,
    pub product_id: ProductId,
    pub name: String,
    pub price: Money,
    /// Units not reserved by an order.
    pub stock: i64,
}

/// One line of an order, priced when it was placed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OrderLine {
    pub sku_id: SkuId,
    pub product_id: ProductId,
    pub product_name: String,
    pub sku_name: String,
    /// The catalog's price when the order was placed.
    pub list_unit: Money,
    /// The price it was sold at: the list price, or an activity's (a flash sale's).
    pub unit: Money,
    pub quantity: i64,
    /// `unit` × `quantity`.
    pub amount: Money,
    /// This line's part of the coupon (apportioned: the parts sum to the coupon).
    pub coupon_off: Money,
    /// The circle paying for this line joins (a membership product's), if any.
    pub joins: Option<CircleId>,
    /// Where the line is in being refunded (lines are refunded one by one or all).
    pub refund: LineRefund,
}

/// A line's refund: none, asked by the buyer, on its way, or given back.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum LineRefund {
    #[default]
    None,
    Asked,
    Refunding,
    Refunded,
}

impl LineRefund {
    pub const fn as_str(self) -> &'static str {
        match self {
            LineRefund::None => "none",
            LineRefund::Asked => "asked",
            LineRefund::Refunding => "refunding",
            LineRefund::Refunded => "refunded",
        }
    }
}

impl OrderLine {
    /// What the line comes to after its coupon part: what a refund of this line
    /// gives back (the parts of an order's lines sum to what it paid).
    pub fn pay(&self) -> Money {
        Money::from_fen(
            (self.amount.fen() - self.coupon_off.fen()).max(0),
            self.amount.currency(),
        )
    }
}

/// A SKU an order may name, with what pricing needs of its product.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OrderableSku {
    pub sku: SkuRecord,
    pub product_name: String,
    pub category: String,
    /// The circle a membership product joins; None for goods.
    pub joins: Option<CircleId>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OrderRecord {
    pub id: OrderId,
    pub org_id: OrgId,
    pub buyer: AccountId,
    pub person_id: Option<PersonId>,
    pub status: OrderStatus,
    /// Where a refund request was made from (a declined one returns there).
    pub before_refund: Option<OrderStatus>,
    /// The buyer's reason for the last refund they asked.
    pub refund_reason: Option<String>,
    pub total: Money,
    pub idempotency_key: String,
    /// A digest of what was asked for: the same key with another request is refused.
    pub request_hash: String,
    pub created_at: Timestamp,
    /// When an unpaid order lets its stock go.
    pub expires_at: Timestamp,
    pub paid_at: Option<Timestamp>,
    pub closed_at: Option<Timestamp>,
    /// The buyer as the org knows them (read back; empty when placing).
    pub buyer_name: String,
    pub lines: Vec<OrderLine>,
    /// The flash sale it was bought in: its one line's stock came from the sale,
    /// and goes back to it when the order lapses unpaid.
    pub flash_sale: Option<FlashSaleId>,
    /// The claim from the buyer's wallet spent on it: back in the wallet if the
    /// order is cancelled unpaid.
    pub coupon: Option<CouponClaimId>,
}

impl OrderRecord {
    /// What its coupon took off the whole order, if one was used.
    pub fn coupon_off(&self) -> Option<Money> {
        let fen: i64 = self.lines.iter().map(|l| l.coupon_off.fen()).sum();
        (fen > 0).then(|| Money::from_fen(fen, self.total.currency()))
    }

    /// A short number people can read out: the id's last eight hex digits.
    pub fn number(&self) -> String {
        let s = self.id.as_uuid().simple().to_string();
        s[s.len().saturating_sub(8)..].to_uppercase()
    }
}

/// How placing an order went.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PlaceOutcome {
    Placed(OrderRecord),
    /// The buyer sent this idempotency key before: the first order, as it is now.
    Replayed(OrderRecord),
    /// Not enough of this SKU left (or of the flash sale); nothing was reserved.
    OutOfStock(SkuId),
    /// A flash-sale order past the buyer's per-person limit; nothing was reserved.
    OverLimit,
    /// The coupon was spent on another order meanwhile; nothing was reserved.
    CouponUsed,
}

/// What setting a flash sale up came to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FlashMade {
    Made,
    /// The SKU (of the org, not retired) has fewer units than the sale asks for.
    StockShort,
    /// Another open sale of the SKU overlaps its window: a buyer would see two
    /// prices for one thing.
    Overlaps,
}

/// A flash sale (秒杀) with what it has sold so far.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FlashSaleRecord {
    pub id: FlashSaleId,
    pub org_id: OrgId,
    pub product_id: ProductId,
    pub sku_id: SkuId,
    pub terms: FlashTerms,
    /// Units the sale can still sell (reserved orders hold the rest); once closed,
    /// the units it gave back to the SKU.
    pub remaining: i64,
    /// Over, with what was left given back to the SKU.
    pub closed: bool,
    pub created_at: Timestamp,
    /// Read back for showing; empty when writing.
    pub product_name: String,
    pub sku_name: String,
    /// The SKU's list price, to show beside the sale price.
    pub list_price: Money,
}

impl FlashSaleRecord {
    /// Where the sale is: a sale closed early is over, whatever its window says.
    pub fn phase(&self, now: Timestamp) -> FlashPhase {
        if self.closed {
            FlashPhase::Ended
        } else {
            self.terms.phase(now)
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PaymentStatus {
    Pending,
    Succeeded,
    Failed,
    Cancelled,
}

impl PaymentStatus {
    pub const fn as_str(self) -> &'static str {
        match self {
            PaymentStatus::Pending => "pending",
            PaymentStatus::Succeeded => "succeeded",
            PaymentStatus::Failed => "failed",
            PaymentStatus::Cancelled => "cancelled",
        }
    }
    pub fn parse(raw: &str) -> Option<Self> {
        [
            Self::Pending,
            Self::Succeeded,
            Self::Failed,
            Self::Cancelled,
        ]
        .into_iter()
        .find(|s| s.as_str() == raw)
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PaymentRecord {
    pub id: PaymentId,
    pub org_id: OrgId,
    pub order_id: OrderId,
    pub provider: String,
    pub provider_ref: String,
    pub amount: Money,
    pub status: PaymentStatus,
    pub pay_url: String,
    pub created_at: Timestamp,
    pub settled_at: Option<Timestamp>,
    /// Paid after the order had let its stock go, with none left to take again: the
    /// money is owed back.
    pub refund_due: bool,
}

/// What a verified payment webhook did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SettleOutcome {
    /// The order is paid.
    Paid,
    /// Paid after its reservation lapsed and the stock was gone: refund due.
    PaidTooLate,
    /// Paid for a circle seat another of the buyer's orders holds: refund due.
    SeatTaken,
    /// The attempt failed or was cancelled; the order still waits.
    NotPaid,
    /// This webhook was received before (same id): nothing changed.
    Duplicate,
    /// The payment was settled already by a later event (out of order): ignored.
    Stale,
    /// A refund went through: the money is back with the buyer.
    Refunded,
    /// The provider could not refund; the refund waits for staff.
    RefundFailed,
}

impl SettleOutcome {
    pub const fn as_str(self) -> &'static str {
        match self {
            SettleOutcome::Paid => "paid",
            SettleOutcome::PaidTooLate => "paid_too_late",
            SettleOutcome::SeatTaken => "seat_taken",
            SettleOutcome::NotPaid => "not_paid",
            SettleOutcome::Duplicate => "duplicate",
            SettleOutcome::Stale => "stale",
            SettleOutcome::Refunded => "refunded",
            SettleOutcome::RefundFailed => "refund_failed",
        }
    }
}

/// The seats a membership order's payment takes, one per circle its lines join,
/// and the jobs that let the buyer in (written only if the seats are taken).
#[derive(Debug, Clone, Default)]
pub struct Seats {
    pub circles: Vec<CircleId>,
    pub jobs: Vec<NewJob>,
}

/// Money given back: some lines of an order (what they paid) or the whole payment,
/// asked of the provider through the outbox (the row, its job and its lines are
/// written with the step that decided it).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RefundRecord {
    pub id: RefundId,
    pub org_id: OrgId,
    pub order_id: OrderId,
    pub payment_id: PaymentId,
    pub amount: Money,
    /// requested (staff approved a buyer's request) | paid_too_late | seat_taken
    /// (both automatic)
    pub reason: String,
    /// pending | sent | succeeded | failed
    pub status: String,
    pub created_at: Timestamp,
    pub settled_at: Option<Timestamp>,
}

/// A refund on the sandbox provider's side.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SandboxRefundRecord {
    pub id: RefundId,
    pub charge: ChargeId,
    pub amount: Money,
    pub created_at: Timestamp,
}

/// A webhook received, accepted or not: the payments log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WebhookLogRecord {
    pub webhook_id: String,
    pub provider: String,
    pub payment_id: Option<PaymentId>,
    /// paid | paid_too_late | not_paid | duplicate | stale | bad_signature | stale_signature | bad_body | unknown_payment
    pub outcome: String,
    pub received_at: Timestamp,
}

/// A charge on the sandbox provider's side: its own ledger, not Quan's orders.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChargeRecord {
    pub id: ChargeId,
    pub payment: PaymentId,
    pub amount: Money,
    pub description: String,
    pub return_url: String,
    /// open | succeeded | failed | cancelled
    pub status: String,
    pub created_at: Timestamp,
    pub decided_at: Option<Timestamp>,
}

#[async_trait]
pub trait CommerceStore: Send + Sync {
    async fn product_insert(&self, p: &ProductRecord, event: &EventRecord) -> StoreResult<()>;
    /// Replaces the product's fields and SKUs (SKUs missing from `p` are retired;
    /// new ones are added). Stock moves by what the editor changed from `before`,
    /// so orders reserved meanwhile are not written over.
    async fn product_update(
        &self,
        p: &ProductRecord,
        before: &ProductRecord,
        event: &EventRecord,
    ) -> StoreResult<bool>;
    async fn product_get(&self, org: OrgId, id: ProductId) -> StoreResult<Option<ProductRecord>>;
    /// The org's products, newest first; only published ones with `published_only`.
    async fn products_list(
        &self,
        org: OrgId,
        published_only: bool,
        page: &PageRequest,
    ) -> StoreResult<Page<ProductRecord>>;
    /// Whether any order or flash sale names the product (what it is is fixed then).
    async fn product_in_use(&self, id: ProductId) -> StoreResult<bool>;
    /// The published membership products of `circle` (at most a few), oldest first.
    async fn products_joining(
        &self,
        org: OrgId,
        circle: CircleId,
    ) -> StoreResult<Vec<ProductRecord>>;
    /// The SKUs named, of the org's published products, with their products' names
    /// and categories.
    async fn skus_for_order(&self, org: OrgId, skus: &[SkuId]) -> StoreResult<Vec<OrderableSku>>;

    /// Places an order: the idempotency key first (a repeat returns the first
    /// order), then each line's stock by a guarded decrement, its coupon claim
    /// (unspent) marked spent, the order, its lines, the event and the job that
    /// lets unpaid stock go, in one transaction.
    async fn order_place(
        &self,
        order: &OrderRecord,
        release: &NewJob,
        event: &EventRecord,
    ) -> StoreResult<PlaceOutcome>;
    async fn order_get(&self, org: OrgId, id: OrderId) -> StoreResult<Option<OrderRecord>>;

    /// Sets a flash sale up: its stock taken from the SKU by a guarded decrement,
    /// the sale, the job that closes it and the event in one transaction; nothing
    /// written when the SKU has not that much or another open sale of it overlaps.
    async fn flash_insert(
        &self,
        sale: &FlashSaleRecord,
        close: &NewJob,
        event: &EventRecord,
    ) -> StoreResult<FlashMade>;
    /// A flash sale by id alone (a buyer's path checks the org itself).
    async fn flash_get(&self, id: FlashSaleId) -> StoreResult<Option<FlashSaleRecord>>;
    /// Everyone who ever held an order of the sale (their rows stay when an order
    /// lapses), so a node can tell a retry that may have an order from a buyer who
    /// has none without reading each buyer's key.
    async fn flash_buyers(&self, id: FlashSaleId) -> StoreResult<Vec<AccountId>>;
    /// Units `buyer` holds of the sale now (their allowance taken).
    async fn flash_bought(&self, id: FlashSaleId, buyer: AccountId) -> StoreResult<i64>;
    /// The org's flash sales, newest first.
    async fn flash_of_org(
        &self,
        org: OrgId,
        page: &PageRequest,
    ) -> StoreResult<Page<FlashSaleRecord>>;
    /// The org's flash sales not yet closed whose end is after `now`, soonest first
    /// (the shop shows them), at most `limit`; of one product when it is given.
    async fn flash_open(
        &self,
        of: (OrgId, Option<ProductId>),
        now: Timestamp,
        limit: i64,
    ) -> StoreResult<Vec<FlashSaleRecord>>;
    /// Closes a sale once: what is left goes back to the SKU. The units given back,
    /// or None when it was closed already.
    async fn flash_close(&self, id: FlashSaleId, event: &EventRecord) -> StoreResult<Option<i64>>;
    /// The buyer's order under an idempotency key.
    async fn order_by_key(&self, buyer: AccountId, key: &str) -> StoreResult<Option<OrderRecord>>;
    /// An order by id alone (for a provider's webhook and the release job).
    async fn order_by_id(&self, id: OrderId) -> StoreResult<Option<OrderRecord>>;
    async fn orders_of_buyer(
        &self,
        buyer: AccountId,
        page: &PageRequest,
    ) -> StoreResult<Page<OrderRecord>>;
    async fn orders_of_org(&self, org: OrgId, page: &PageRequest)
    -> StoreResult<Page<OrderRecord>>;
    /// Moves an order from `from` to `to` by a guarded write; a cancellation of a
    /// created order gives its stock back in the same transaction; a refund request
    /// marks the lines `asked` (their positions, not refunded yet) and keeps the
    /// buyer's reason, a declined one unmarks them. False when the order was not in `from` (another writer moved
    /// it first).
    async fn order_move(
        &self,
        id: OrderId,
        (from, to): (OrderStatus, OrderStatus),
        asked: (&[i64], &str),
        at: Timestamp,
        event: &EventRecord,
    ) -> StoreResult<bool>;

    async fn payment_insert(&self, p: &PaymentRecord) -> StoreResult<()>;
    async fn payment_get(&self, id: PaymentId) -> StoreResult<Option<PaymentRecord>>;
    /// The order's pending payment (at most one: a unique rule), to hand the buyer
    /// the same pay page.
    async fn payment_pending(&self, order: OrderId) -> StoreResult<Option<PaymentRecord>>;
    /// Opens the order's latest failed or cancelled payment again (its charge may
    /// still be paid), rather than a second one that could be paid too.
    async fn payment_reopen(&self, order: OrderId) -> StoreResult<Option<PaymentRecord>>;
    /// The provider's charge of a payment, once it opened it.
    async fn payment_charge_set(
        &self,
        id: PaymentId,
        provider_ref: &str,
        pay_url: &str,
    ) -> StoreResult<()>;
    /// Applies a verified webhook: logs it (a repeated id is a duplicate), moves
    /// the payment out of pending (or from failed to succeeded: a second try), and
    /// on success pays the order — or, if it let its stock go, takes the stock
    /// again by guarded decrements, or marks the payment refund due.
    /// A payment that came too late (`PaidTooLate`) is refunded at once: `late` is
    /// the refund and its job, written in the same transaction. `seats` (the
    /// circles its membership lines join) are taken only when the order is paid;
    /// a seat held already by another order makes it `SeatTaken`: refunded at
    /// once (`late` with its reason), never charged twice for one seat.
    async fn payment_settle(
        &self,
        log: &WebhookLogRecord,
        payment: PaymentId,
        to: PaymentStatus,
        late: &(RefundRecord, NewJob),
        seats: &Seats,
        event: &EventRecord,
    ) -> StoreResult<SettleOutcome>;
    /// The order's succeeded payment with no refund open, if any.
    async fn payment_refundable(&self, order: OrderId) -> StoreResult<Option<PaymentRecord>>;

    /// Records a refund and its job (the outbox) in one transaction, for an order
    /// still waiting for it; false if the payment has a refund already or the
    /// order is no longer waiting for one.
    async fn refund_open(
        &self,
        r: &RefundRecord,
        job: &NewJob,
        event: &EventRecord,
    ) -> StoreResult<bool>;
    async fn refund_get(&self, id: RefundId) -> StoreResult<Option<RefundRecord>>;
    async fn refunds_of_order(&self, order: OrderId) -> StoreResult<Vec<RefundRecord>>;
    /// The provider accepted the refund (pending → sent).
    async fn refund_sent(&self, id: RefundId) -> StoreResult<()>;
    /// Applies a verified refund webhook once: the refund settles; on success the
    /// order (waiting for it) is refunded — whole, or back where it was with these
    /// lines refunded — their stock back if they had not shipped, and
    /// the payment is no longer owed back. `leaves` (the seats its membership lines
    /// bought) are written only when it is refunded.
    async fn refund_settle(
        &self,
        log: &WebhookLogRecord,
        refund: RefundId,
        succeeded: bool,
        leaves: &[NewJob],
        event: &EventRecord,
    ) -> StoreResult<SettleOutcome>;
    /// Logs a webhook that was refused before it could be applied.
    async fn webhook_log(&self, log: &WebhookLogRecord) -> StoreResult<()>;
    /// Webhooks received for the org's payments, newest first.
    async fn webhooks_of_org(&self, org: OrgId, limit: i64) -> StoreResult<Vec<WebhookLogRecord>>;

    /// The sandbox's charge for a payment, opened once.
    async fn sandbox_open(&self, c: &ChargeRecord) -> StoreResult<ChargeRecord>;
    async fn sandbox_get(&self, id: ChargeId) -> StoreResult<Option<ChargeRecord>>;
    /// The sandbox's charges decided and refunds made since `since`, newest first.
    async fn sandbox_records(
        &self,
        since: Timestamp,
        limit: i64,
    ) -> StoreResult<Vec<crate::ports::ProviderRecord>>;
    /// The org's payments and refunds since `since`: (payments, refunds), at most
    /// `limit` of each.
    async fn money_since(
        &self,
        org: OrgId,
        since: Timestamp,
        limit: i64,
    ) -> StoreResult<(Vec<PaymentRecord>, Vec<RefundRecord>)>;
    /// Records a refund of a charge on the sandbox's side (once per refund id) with
    /// the job that sends its webhook; false when it would refund more than the
    /// charge or the charge was not paid.
    async fn sandbox_refund(&self, r: &SandboxRefundRecord, notify: &NewJob) -> StoreResult<bool>;
    async fn sandbox_refund_get(&self, id: RefundId) -> StoreResult<Option<SandboxRefundRecord>>;
    /// Decides an open charge (or retries a failed one), with the job that sends
    /// its webhook; false when it was decided already.
    async fn sandbox_decide(
        &self,
        id: ChargeId,
        status: &str,
        at: Timestamp,
        notify: &NewJob,
    ) -> StoreResult<bool>;
}
