//! Commerce: the catalog (staff), the shop, orders and payments (buyers), the
//! sandbox provider's pay page, and the job queue the reservations and webhooks run
//! on.

use super::dto;
use crate::{Res, TestApp, User};
use quan_web::api::commerce::ProductDto;
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
