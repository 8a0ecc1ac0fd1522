//! `CommerceStore` for `SqlStore`: the catalog in `catalog.rs`, orders and their
//! stock in `orders.rs`, flash sales (their stock and buyers' allowances) in
//! `flash.rs`, payments, webhooks and the sandbox's charges in
//! `payments.rs`. The trait's methods are thin, so each part stays readable.

mod cart;
mod catalog;
mod coupons;
mod flash;
mod images;
mod orders;
mod payments;
mod reconcile;
mod refunds;

use crate::store::SqlStore;
use async_trait::async_trait;
use quan_core::commerce::port::{
    ChargeRecord, CommerceStore, FlashMade, FlashSaleRecord, OrderRecord, OrderableSku,
    PaymentRecord, PaymentStatus, PlaceOutcome, ProductRecord, RefundRecord, SandboxRefundRecord,
    Seats, SettleOutcome, WebhookLogRecord,
};
use quan_core::{EventRecord, NewJob, Page, PageRequest, StoreResult};
use quan_domain::{
    AccountId, ChargeId, CircleId, FlashSaleId, OrderId, OrderStatus, OrgId, PaymentId, ProductId,
    RefundId, SkuId, Timestamp,
};

#[async_trait]
impl CommerceStore for SqlStore {
    async fn product_insert(&self, p: &ProductRecord, event: &EventRecord) -> StoreResult<()> {
        self.catalog_insert(p, event).await
    }
    async fn product_update(
        &self,
        p: &ProductRecord,
        before: &ProductRecord,
        event: &EventRecord,
    ) -> StoreResult<bool> {
        self.catalog_update(p, before, event).await
    }
    async fn product_get(&self, org: OrgId, id: ProductId) -> StoreResult<Option<ProductRecord>> {
        self.catalog_get(org, id).await
    }
    async fn products_list(
        &self,
        org: OrgId,
        published_only: bool,
        page: &PageRequest,
    ) -> StoreResult<Page<ProductRecord>> {
        self.catalog_list(org, published_only, page).await
    }
    async fn product_in_use(&self, id: ProductId) -> StoreResult<bool> {
        let r = self
            .fetch_opt(
                sqlx::query(
                    "SELECT 1 AS x WHERE EXISTS (SELECT 1 FROM order_lines WHERE product_id = $1) \
                       OR EXISTS (SELECT 1 FROM flash_sales WHERE product_id = $1)",
                )
                .bind(id.to_string()),
            )
            .await?;
        Ok(r.is_some())
    }
    async fn products_joining(
        &self,
        org: OrgId,
        circle: CircleId,
    ) -> StoreResult<Vec<ProductRecord>> {
        self.catalog_joining(org, circle).await
    }
    async fn skus_for_order(&self, org: OrgId, skus: &[SkuId]) -> StoreResult<Vec<OrderableSku>> {
        self.catalog_skus(org, skus).await
    }

    async fn order_place(
        &self,
        order: &OrderRecord,
        release: &NewJob,
        event: &EventRecord,
    ) -> StoreResult<PlaceOutcome> {
        self.orders_place(order, release, event).await
    }
    async fn flash_insert(
        &self,
        sale: &FlashSaleRecord,
        close: &NewJob,
        event: &EventRecord,
    ) -> StoreResult<FlashMade> {
        self.flash_sale_insert(sale, close, event).await
    }
    async fn flash_get(&self, id: FlashSaleId) -> StoreResult<Option<FlashSaleRecord>> {
        self.flash_sale_get(id).await
    }
    async fn flash_buyers(&self, id: FlashSaleId) -> StoreResult<Vec<AccountId>> {
        self.flash_sale_buyers(id).await
    }
    async fn flash_bought(&self, id: FlashSaleId, buyer: AccountId) -> StoreResult<i64> {
        self.flash_sale_bought(id, buyer).await
    }
    async fn flash_of_org(
        &self,
        org: OrgId,
        page: &PageRequest,
    ) -> StoreResult<Page<FlashSaleRecord>> {
        self.flash_sales_of_org(org, page).await
    }
    async fn flash_open(
        &self,
        of: (OrgId, Option<ProductId>),
        now: Timestamp,
        limit: i64,
    ) -> StoreResult<Vec<FlashSaleRecord>> {
        self.flash_sales_open(of, now, limit).await
    }
    async fn flash_close(&self, id: FlashSaleId, event: &EventRecord) -> StoreResult<Option<i64>> {
        self.flash_sale_close(id, event).await
    }

    async fn order_get(&self, org: OrgId, id: OrderId) -> StoreResult<Option<OrderRecord>> {
        self.orders_get(Some(org), id).await
    }
    async fn order_by_key(&self, buyer: AccountId, key: &str) -> StoreResult<Option<OrderRecord>> {
        self.orders_by_key(buyer, key).await
    }
    async fn order_by_id(&self, id: OrderId) -> StoreResult<Option<OrderRecord>> {
        self.orders_get(None, id).await
    }
    async fn orders_of_buyer(
        &self,
        buyer: AccountId,
        page: &PageRequest,
    ) -> StoreResult<Page<OrderRecord>> {
        self.orders_page(orders::by_buyer(buyer), page).await
    }
    async fn orders_of_org(
        &self,
        org: OrgId,
        page: &PageRequest,
    ) -> StoreResult<Page<OrderRecord>> {
        self.orders_page(orders::by_org(org), page).await
    }
    async fn order_move(
        &self,
        id: OrderId,
        moves: (OrderStatus, OrderStatus),
        asked: (&[i64], &str),
        at: Timestamp,
        event: &EventRecord,
    ) -> StoreResult<bool> {
        self.orders_move(id, moves, asked, at, event).await
    }

    async fn payment_insert(&self, p: &PaymentRecord) -> StoreResult<()> {
        self.payments_insert(p).await
    }
    async fn payment_get(&self, id: PaymentId) -> StoreResult<Option<PaymentRecord>> {
        self.payments_get(id).await
    }
    async fn payment_pending(&self, order: OrderId) -> StoreResult<Option<PaymentRecord>> {
        self.payments_pending(order).await
    }
    async fn payment_reopen(&self, order: OrderId) -> StoreResult<Option<PaymentRecord>> {
        self.payments_reopen(order).await
    }
    async fn payment_charge_set(
        &self,
        id: PaymentId,
        provider_ref: &str,
        pay_url: &str,
    ) -> StoreResult<()> {
        self.payments_charge_set(id, provider_ref, pay_url).await
    }
    async fn payment_settle(
        &self,
        log: &WebhookLogRecord,
        payment: PaymentId,
        to: PaymentStatus,
        late: &(RefundRecord, NewJob),
        seats: &Seats,
        event: &EventRecord,
    ) -> StoreResult<SettleOutcome> {
        self.payments_settle(log, (payment, to), late, seats, event)
            .await
    }
    async fn payment_refundable(&self, order: OrderId) -> StoreResult<Option<PaymentRecord>> {
        self.payments_refundable(order).await
    }

    async fn refund_open(
        &self,
        r: &RefundRecord,
        job: &NewJob,
        event: &EventRecord,
    ) -> StoreResult<bool> {
        self.refunds_open(r, job, event).await
    }
    async fn refund_get(&self, id: RefundId) -> StoreResult<Option<RefundRecord>> {
        self.refunds_get(id).await
    }
    async fn refunds_of_order(&self, order: OrderId) -> StoreResult<Vec<RefundRecord>> {
        self.refunds_of(order).await
    }
    async fn refund_sent(&self, id: RefundId) -> StoreResult<()> {
        self.refunds_sent(id).await
    }
    async fn refund_settle(
        &self,
        log: &WebhookLogRecord,
        refund: RefundId,
        succeeded: bool,
        leaves: &[NewJob],
        event: &EventRecord,
    ) -> StoreResult<SettleOutcome> {
        self.refunds_settle(log, (refund, succeeded), leaves, event)
            .await
    }
    async fn webhook_log(&self, log: &WebhookLogRecord) -> StoreResult<()> {
        self.webhooks_insert(log).await
    }
    async fn webhooks_of_org(&self, org: OrgId, limit: i64) -> StoreResult<Vec<WebhookLogRecord>> {
        self.webhooks_org(org, limit).await
    }

    async fn sandbox_open(&self, c: &ChargeRecord) -> StoreResult<ChargeRecord> {
        self.charges_open(c).await
    }
    async fn sandbox_get(&self, id: ChargeId) -> StoreResult<Option<ChargeRecord>> {
        self.charges_get(id).await
    }
    async fn sandbox_records(
        &self,
        since: Timestamp,
        limit: i64,
    ) -> StoreResult<Vec<quan_core::ports::ProviderRecord>> {
        self.sandbox_records_since(since, limit).await
    }
    async fn money_since(
        &self,
        org: OrgId,
        since: Timestamp,
        limit: i64,
    ) -> StoreResult<(Vec<PaymentRecord>, Vec<RefundRecord>)> {
        self.money_of_org_since(org, since, limit).await
    }
    async fn sandbox_refund(&self, r: &SandboxRefundRecord, notify: &NewJob) -> StoreResult<bool> {
        self.sandbox_refunds_insert(r, notify).await
    }
    async fn sandbox_refund_get(&self, id: RefundId) -> StoreResult<Option<SandboxRefundRecord>> {
        self.sandbox_refunds_get(id).await
    }
    async fn sandbox_decide(
        &self,
        id: ChargeId,
        status: &str,
        at: Timestamp,
        notify: &NewJob,
    ) -> StoreResult<bool> {
        self.charges_decide(id, status, at, notify).await
    }
}
