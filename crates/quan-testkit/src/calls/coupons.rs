//! Coupons: staff set them up, end them and set the stacking matrix; buyers claim
//! them (keyed), read their wallet, preview a price and order with a coupon.

use super::dto;
use crate::{Res, User};
use quan_web::api::commerce::coupons::{
    ClaimDto, ClaimPageDto, CouponDto, CouponListDto, PricePreviewDto, StackingDto,
};
use quan_web::api::commerce::orders::OrderDto;
use serde_json::{Value, json};

fn lines_json(lines: &[(&str, i64)]) -> Vec<Value> {
    lines
        .iter()
        .map(|(s, q)| json!({"sku_id": s, "quantity": q}))
        .collect()
}

impl User {
    pub async fn try_create_coupon(&self, org: &str, body: Value) -> Res {
        self.c
            .post(&format!("/api/v1/orgs/{org}/coupons"), body)
            .await
    }

    /// A coupon from a request body (asserting 201).
    pub async fn create_coupon(&self, org: &str, body: Value) -> CouponDto {
        let r = self.try_create_coupon(org, body).await;
        assert_eq!(r.status, 201, "create coupon in {org}: {}", r.text);
        dto("coupon", &r)
    }

    pub async fn org_coupons(&self, org: &str) -> Vec<CouponDto> {
        let r = self.c.get(&format!("/api/v1/orgs/{org}/coupons")).await;
        assert_eq!(r.status, 200, "coupons of {org}: {}", r.text);
        dto::<quan_web::api::commerce::coupons::CouponPageDto>("coupons", &r).items
    }

    pub async fn try_end_coupon(&self, org: &str, id: &str) -> Res {
        self.c
            .post(&format!("/api/v1/orgs/{org}/coupons/{id}/end"), json!({}))
            .await
    }

    pub async fn shop_coupons(&self, org: &str) -> CouponListDto {
        let r = self.c.get(&format!("/api/v1/shops/{org}/coupons")).await;
        assert_eq!(r.status, 200, "shop coupons of {org}: {}", r.text);
        dto("coupons", &r)
    }

    /// Claims one of a coupon under `key` (the raw answer).
    pub async fn try_claim(&self, org: &str, coupon: &str, key: &str) -> Res {
        let rb = self
            .c
            .http
            .post(format!(
                "{}/api/v1/shops/{org}/coupons/{coupon}/claims",
                self.c.base
            ))
            .header("idempotency-key", key);
        self.c
            .send_built(rb)
            .await
            .unwrap_or_else(|| panic!("claim {coupon}: no answer"))
    }

    /// Claims one (asserting 201).
    pub async fn claim(&self, org: &str, coupon: &str, key: &str) -> ClaimDto {
        let r = self.try_claim(org, coupon, key).await;
        assert_eq!(r.status, 201, "claim {coupon}: {}", r.text);
        dto("claim", &r)
    }

    pub async fn my_coupons(&self) -> ClaimPageDto {
        let r = self.c.get("/api/v1/me/coupons").await;
        assert_eq!(r.status, 200, "my coupons: {}", r.text);
        dto("claims", &r)
    }

    pub async fn try_preview(&self, org: &str, lines: &[(&str, i64)], coupon: Option<&str>) -> Res {
        self.c
            .post(
                &format!("/api/v1/shops/{org}/orders/preview"),
                json!({"lines": lines_json(lines), "coupon_claim_id": coupon}),
            )
            .await
    }

    /// The price preview (asserting 200).
    pub async fn preview(
        &self,
        org: &str,
        lines: &[(&str, i64)],
        coupon: Option<&str>,
    ) -> PricePreviewDto {
        let r = self.try_preview(org, lines, coupon).await;
        assert_eq!(r.status, 200, "preview in {org}: {}", r.text);
        dto("preview", &r)
    }

    /// Places an order with a coupon claim under `key` (the raw answer).
    pub async fn try_order_with(
        &self,
        org: &str,
        lines: &[(&str, i64)],
        coupon: &str,
        key: &str,
    ) -> Res {
        let rb = self
            .c
            .http
            .post(format!("{}/api/v1/shops/{org}/orders", self.c.base))
            .header("idempotency-key", key)
            .json(&json!({"lines": lines_json(lines), "coupon_claim_id": coupon}));
        self.c
            .send_built(rb)
            .await
            .unwrap_or_else(|| panic!("order in {org}: no answer"))
    }

    /// Places an order with a coupon claim (asserting 201).
    pub async fn order_with(
        &self,
        org: &str,
        lines: &[(&str, i64)],
        coupon: &str,
        key: &str,
    ) -> OrderDto {
        let r = self.try_order_with(org, lines, coupon, key).await;
        assert_eq!(r.status, 201, "order with {coupon}: {}", r.text);
        dto("order", &r)
    }

    pub async fn try_set_stacking(&self, org: &str, body: Value) -> Res {
        self.c
            .put(&format!("/api/v1/orgs/{org}/stacking"), body)
            .await
    }

    /// Sets the stacking matrix (asserting 200).
    pub async fn set_stacking(&self, org: &str, body: Value) -> StackingDto {
        let r = self.try_set_stacking(org, body).await;
        assert_eq!(r.status, 200, "stacking of {org}: {}", r.text);
        dto("stacking", &r)
    }
}

impl User {
    /// Buys in a flash sale with a coupon claim under `key` (the raw answer).
    pub async fn try_buy_flash_with(
        &self,
        org: &str,
        sale: &str,
        quantity: i64,
        coupon: &str,
        key: &str,
    ) -> Res {
        let rb = self
            .c
            .http
            .post(format!(
                "{}/api/v1/shops/{org}/flash-sales/{sale}/orders",
                self.c.base
            ))
            .header("idempotency-key", key)
            .json(&json!({ "quantity": quantity, "coupon_claim_id": coupon }));
        self.c
            .send_built(rb)
            .await
            .unwrap_or_else(|| panic!("flash buy in {org}: no answer"))
    }
}
