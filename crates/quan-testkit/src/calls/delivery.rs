//! Reach's delivery: the org's reach webhook.

use super::dto;
use crate::{Res, User};
use quan_web::api::reach::delivery::EndpointDto;
use serde_json::json;

impl User {
    pub async fn try_set_webhook(&self, org: &str, url: &str, rotate: bool) -> Res {
        self.c
            .put(
                &format!("/api/v1/orgs/{org}/reach-webhook"),
                json!({"url": url, "rotate_secret": rotate}),
            )
            .await
    }

    /// Sets the org's reach webhook (asserting 200).
    pub async fn set_webhook(&self, org: &str, url: &str) -> EndpointDto {
        let r = self.try_set_webhook(org, url, false).await;
        assert_eq!(r.status, 200, "set webhook: {}", r.text);
        dto("webhook", &r)
    }
}
