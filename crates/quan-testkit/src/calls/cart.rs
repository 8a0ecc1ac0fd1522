//! The cart: a buyer's lines in one shop, set by quantity (0 takes one out).

use super::dto;
use crate::{Res, User};
use quan_web::api::commerce::cart::CartDto;
use serde_json::json;

impl User {
    pub async fn cart(&self, org: &str) -> CartDto {
        let r = self.c.get(&format!("/api/v1/shops/{org}/cart")).await;
        assert_eq!(r.status, 200, "cart in {org}: {}", r.text);
        dto("cart", &r)
    }

    pub async fn try_set_cart(&self, org: &str, sku: &str, quantity: i64) -> Res {
        self.c
            .put(
                &format!("/api/v1/shops/{org}/cart/{sku}"),
                json!({ "quantity": quantity }),
            )
            .await
    }

    /// Sets a line's quantity (asserting 200): the cart then.
    pub async fn set_cart(&self, org: &str, sku: &str, quantity: i64) -> CartDto {
        let r = self.try_set_cart(org, sku, quantity).await;
        assert_eq!(r.status, 200, "cart line {sku}: {}", r.text);
        dto("cart", &r)
    }
}
