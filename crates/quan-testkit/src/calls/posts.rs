//! Posts and the feed.

use super::dto;
use crate::User;
use quan_web::api::circles::posts::{PostDto, PostPage};
use serde_json::Value;

impl User {
    /// Posts to a circle (asserting 201).
    pub async fn post(&self, circle: &str, body: Value) -> PostDto {
        let r = self
            .c
            .post(&format!("/api/v1/circles/{circle}/posts"), body)
            .await;
        assert_eq!(r.status, 201, "post to {circle}: {}", r.text);
        dto("post", &r)
    }

    /// A page of a circle's feed; `query` as in `sort=new&limit=20` (asserting 200).
    pub async fn feed(&self, circle: &str, query: &str) -> PostPage {
        let r = self
            .c
            .get(&format!("/api/v1/circles/{circle}/feed?{query}"))
            .await;
        assert_eq!(r.status, 200, "feed of {circle}: {}", r.text);
        dto("feed", &r)
    }
}
