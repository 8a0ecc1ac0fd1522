//! Commerce: the catalog (staff), the shop, orders and payments (buyers), the
//! sandbox provider's pay page, and the job queue the reservations and webhooks run
//! on.

use super::dto;
use crate::{Res, TestApp, User};
use quan_web::api::commerce::ProductDto;
use quan_web::api::commerce::flash::{FlashSaleDto, FlashSaleListDto, FlashSalePageDto};
use quan_web::api::commerce::orders::{OrderDto, OrderPageDto};
use quan_web::api::commerce::payments::{DifferenceDto, PaymentDto, WebhookLogDto};
use serde_json::{Value, json};

impl User {
    pub async fn try_create_product(&self, org: &str, body: Value) -> Res {
        self.c
            .post(&format!("/api/v1/orgs/{org}/products"), body)
            .await
    }

    /// A published product with one SKU per `(name, price_fen, stock)`.
    pub async fn create_product(
        &self,
        org: &str,
        name: &str,
        skus: &[(&str, i64, i64)],
    ) -> ProductDto {
        let skus: Vec<Value> = skus
            .iter()
            .map(|(n, p, s)| json!({"name": n, "price_fen": p, "stock": s}))
            .collect();
        let r = self
            .try_create_product(org, json!({"name": name, "published": true, "skus": skus}))
            .await;
        assert_eq!(r.status, 201, "create product in {org}: {}", r.text);
        dto("product", &r)
    }

    /// Adds a picture to a product (the raw answer).
    pub async fn add_product_image(&self, org: &str, product: &str, bytes: Vec<u8>) -> Res {
        self.c
            .raw(
                "POST",
                &format!("/api/v1/orgs/{org}/products/{product}/images"),
                "image/png",
                bytes,
            )
            .await
            .unwrap_or_else(|| panic!("picture of {product}: no answer"))
    }

    /// A product's picture as its shop serves it (`size=thumb` for the thumbnail).
    pub async fn product_image(&self, url: &str) -> Res {
        self.c.get(url).await
    }

    pub async fn try_update_product(&self, org: &str, id: &str, body: Value) -> Res {
        self.c
            .put(&format!("/api/v1/orgs/{org}/products/{id}"), body)
            .await
    }

    pub async fn try_shop_product(&self, org: &str, id: &str) -> Res {
        self.c
            .get(&format!("/api/v1/shops/{org}/products/{id}"))
            .await
    }

    /// The product as its shop shows it (asserting 200).
    pub async fn shop_product(&self, org: &str, id: &str) -> ProductDto {
        let r = self.try_shop_product(org, id).await;
        assert_eq!(r.status, 200, "shop product {id}: {}", r.text);
        dto("product", &r)
    }

    /// Places an order of `(sku, quantity)` lines under `key` (the raw answer).
    pub async fn try_order(&self, org: &str, lines: &[(&str, i64)], key: &str) -> Res {
        let lines: Vec<Value> = lines
            .iter()
            .map(|(s, q)| json!({"sku_id": s, "quantity": q}))
            .collect();
        let rb = self
            .c
            .http
            .post(format!("{}/api/v1/shops/{org}/orders", self.c.base))
            .header("idempotency-key", key)
            .json(&json!({ "lines": lines }));
        self.c
            .send_built(rb)
            .await
            .unwrap_or_else(|| panic!("order in {org}: no answer"))
    }

    /// Places an order (asserting 201).
    pub async fn order(&self, org: &str, lines: &[(&str, i64)], key: &str) -> OrderDto {
        let r = self.try_order(org, lines, key).await;
        assert_eq!(r.status, 201, "order in {org}: {}", r.text);
        dto("order", &r)
    }

    pub async fn my_order(&self, id: &str) -> OrderDto {
        let r = self.c.get(&format!("/api/v1/me/orders/{id}")).await;
        assert_eq!(r.status, 200, "order {id}: {}", r.text);
        dto("order", &r)
    }

    pub async fn my_orders(&self) -> OrderPageDto {
        let r = self.c.get("/api/v1/me/orders").await;
        assert_eq!(r.status, 200, "my orders: {}", r.text);
        dto("orders", &r)
    }

    pub async fn try_cancel_order(&self, id: &str) -> Res {
        self.c
            .post(&format!("/api/v1/me/orders/{id}/cancel"), json!({}))
            .await
    }

    pub async fn try_pay(&self, id: &str) -> Res {
        self.c
            .post(&format!("/api/v1/me/orders/{id}/pay"), json!({}))
            .await
    }

    /// Opens the order's payment (asserting 200).
    pub async fn pay(&self, id: &str) -> PaymentDto {
        let r = self.try_pay(id).await;
        assert_eq!(r.status, 200, "pay {id}: {}", r.text);
        dto("payment", &r)
    }

    /// Decides on the sandbox's pay page (`succeeded`, `failed` or `cancelled`),
    /// as a buyer's browser submits it (the raw answer: a redirect back).
    pub async fn sandbox_decide(&self, pay_url: &str, outcome: &str) -> Res {
        let path = pay_url
            .split_once("/sandbox/")
            .map(|(_, rest)| format!("/sandbox/{rest}"))
            .unwrap_or_else(|| panic!("not a sandbox pay page: {pay_url}"));
        let page = self.c.get(&path).await;
        assert_eq!(page.status, 200, "pay page {path}: {}", page.text);
        let csrf = crate::csrf_of(&page.text);
        self.c
            .form(&path, &[("csrf", csrf.as_str()), ("outcome", outcome)])
            .await
    }

    /// Asks for a refund of some of an order's lines, by their positions.
    pub async fn try_refund_lines(&self, id: &str, lines: &[usize]) -> Res {
        self.c
            .post(
                &format!("/api/v1/me/orders/{id}/refund"),
                json!({"reason": "", "lines": lines}),
            )
            .await
    }

    pub async fn try_request_refund(&self, id: &str, reason: &str) -> Res {
        self.c
            .post(
                &format!("/api/v1/me/orders/{id}/refund"),
                json!({"reason": reason}),
            )
            .await
    }

    /// Approves (`approve`) or declines (`decline`) a refund request (the raw answer).
    pub async fn try_refund_decision(&self, org: &str, id: &str, decision: &str) -> Res {
        self.c
            .post(
                &format!("/api/v1/orgs/{org}/orders/{id}/refund/{decision}"),
                json!({}),
            )
            .await
    }

    pub async fn try_org_order_step(&self, org: &str, id: &str, step: &str) -> Res {
        self.c
            .post(&format!("/api/v1/orgs/{org}/orders/{id}/{step}"), json!({}))
            .await
    }

    pub async fn org_orders(&self, org: &str) -> OrderPageDto {
        let r = self.c.get(&format!("/api/v1/orgs/{org}/orders")).await;
        assert_eq!(r.status, 200, "orders of {org}: {}", r.text);
        dto("orders", &r)
    }

    /// Where the provider's records and the org's disagree (asserting 200).
    pub async fn reconciliation(&self, org: &str) -> Vec<DifferenceDto> {
        let r = self
            .c
            .get(&format!("/api/v1/orgs/{org}/payments/reconciliation"))
            .await;
        assert_eq!(r.status, 200, "reconciliation of {org}: {}", r.text);
        dto("reconciliation", &r)
    }

    /// The hourly reconciliation's last run (asserting 200).
    pub async fn last_reconciliation(
        &self,
        org: &str,
    ) -> quan_web::api::commerce::payments::ReconcileRunDto {
        let r = self
            .c
            .get(&format!("/api/v1/orgs/{org}/payments/reconciliation/last"))
            .await;
        assert_eq!(r.status, 200, "last reconciliation of {org}: {}", r.text);
        dto("last reconciliation", &r)
    }

    pub async fn try_create_flash_sale(&self, org: &str, body: Value) -> Res {
        self.c
            .post(&format!("/api/v1/orgs/{org}/flash-sales"), body)
            .await
    }

    /// A flash sale of `sku` (of `product`) live from now for an hour, at `price_fen`
    /// with `stock` units and `per_person` each (asserting 201).
    pub async fn flash_sale(
        &self,
        app: &TestApp,
        org: &str,
        (product, sku): (&str, &str),
        (price_fen, stock, per_person): (i64, i64, i64),
    ) -> FlashSaleDto {
        let now = quan_core::Clock::now(app.clock.as_ref()).millis();
        let r = self
            .try_create_flash_sale(
                org,
                json!({"product_id": product, "sku_id": sku, "starts_at": now, "ends_at": now + 3_600_000,
                       "price_fen": price_fen, "stock": stock, "per_person": per_person}),
            )
            .await;
        assert_eq!(r.status, 201, "flash sale in {org}: {}", r.text);
        dto("flash sale", &r)
    }

    pub async fn try_end_flash_sale(&self, org: &str, sale: &str) -> Res {
        self.c
            .post(
                &format!("/api/v1/orgs/{org}/flash-sales/{sale}/end"),
                json!({}),
            )
            .await
    }

    pub async fn org_flash_sales(&self, org: &str) -> Vec<FlashSaleDto> {
        let r = self.c.get(&format!("/api/v1/orgs/{org}/flash-sales")).await;
        assert_eq!(r.status, 200, "flash sales of {org}: {}", r.text);
        dto::<FlashSalePageDto>("flash sales", &r).items
    }

    pub async fn shop_flash_sales(&self, org: &str) -> Vec<FlashSaleDto> {
        let r = self
            .c
            .get(&format!("/api/v1/shops/{org}/flash-sales"))
            .await;
        assert_eq!(r.status, 200, "shop flash sales of {org}: {}", r.text);
        dto::<FlashSaleListDto>("flash sales", &r).items
    }

    /// A buy of `quantity` in a flash sale under `key`, to send.
    fn flash_buy(
        &self,
        (org, sale): (&str, &str),
        quantity: i64,
        key: &str,
    ) -> reqwest::RequestBuilder {
        self.c
            .http
            .post(format!(
                "{}/api/v1/shops/{org}/flash-sales/{sale}/orders",
                self.c.base
            ))
            .header("idempotency-key", key)
            .json(&json!({ "quantity": quantity }))
    }

    /// Buys `quantity` in a flash sale under `key` (the raw answer).
    pub async fn try_buy_flash(&self, org: &str, sale: &str, quantity: i64, key: &str) -> Res {
        let rb = self.flash_buy((org, sale), quantity, key);
        self.c
            .send_built(rb)
            .await
            .unwrap_or_else(|| panic!("flash buy in {org}: no answer"))
    }

    /// [`Self::try_buy_flash`] of one, asking to be answered once admitted
    /// (`Prefer: respond-async`).
    pub async fn try_buy_flash_early(&self, org: &str, sale: &str, key: &str) -> Res {
        let rb = self
            .flash_buy((org, sale), 1, key)
            .header("prefer", "respond-async");
        self.c
            .send_built(rb)
            .await
            .unwrap_or_else(|| panic!("early flash buy in {org}: no answer"))
    }

    /// Polls one of the caller's orders while it is queued (202); the first
    /// other answer. Panics after about 5 s.
    pub async fn until_written(&self, order: &str) -> Res {
        for _ in 0..250 {
            let r = self.c.get(&format!("/api/v1/me/orders/{order}")).await;
            if r.status != 202 {
                return r;
            }
            assert_eq!(r.body["status"], "queued", "{}", r.text);
            assert_eq!(
                r.headers["retry-after"], "1",
                "a queued order says when to ask"
            );
            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        }
        panic!("order {order} still queued after 5 s");
    }

    pub async fn payment_log(&self, org: &str) -> Vec<WebhookLogDto> {
        let r = self
            .c
            .get(&format!("/api/v1/orgs/{org}/payments/webhooks"))
            .await;
        assert_eq!(r.status, 200, "payment log of {org}: {}", r.text);
        dto("payment log", &r)
    }
}

impl TestApp {
    /// Runs the job queue until the buyer's order is in `status` (the sandbox's
    /// notices come in over HTTP, by job); panics after about 3 s.
    pub async fn until_order(&self, buyer: &User, order: &str, status: &str) {
        for _ in 0..100 {
            self.run_due_jobs().await;
            if buyer.my_order(order).await.status == status {
                return;
            }
            tokio::time::sleep(std::time::Duration::from_millis(30)).await;
        }
        panic!(
            "order {order} never became {status}: {:?}",
            buyer.my_order(order).await.status
        );
    }

    /// Runs every job due now (release of unpaid stock, sandbox webhooks, …).
    pub async fn run_due_jobs(&self) {
        while quan_core::jobs::run_one(&self.services)
            .await
            .unwrap_or(false)
        {}
    }
}
