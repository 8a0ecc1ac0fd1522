//! Circle invite links: minting, listing, previewing and accepting one.

use super::dto;
use crate::{Client, User};
use quan_web::api::circles::invites::{
    CircleInviteDto, CircleInvitePreviewDto, CreatedCircleInviteDto,
};
use serde_json::{Value, json};

impl User {
    /// Mints an invite link; `body` as in `{"max_uses": 3, "ttl_hours": 24}`
    /// (asserting 201).
    pub async fn invite_link(&self, circle: &str, body: Value) -> CreatedCircleInviteDto {
        let r = self
            .c
            .post(&format!("/api/v1/circles/{circle}/invites"), body)
            .await;
        assert_eq!(r.status, 201, "invite link for {circle}: {}", r.text);
        dto("invite link", &r)
    }

    /// A circle's invite links (asserting 200).
    pub async fn invite_links(&self, circle: &str) -> Vec<CircleInviteDto> {
        let r = self
            .c
            .get(&format!("/api/v1/circles/{circle}/invites"))
            .await;
        assert_eq!(r.status, 200, "invite links of {circle}: {}", r.text);
        dto("invite links", &r)
    }

    /// Accepts an invite link (asserting 200).
    pub async fn accept_link(&self, code: &str) -> CircleInvitePreviewDto {
        let r = self
            .c
            .post(&format!("/api/v1/circle-invites/{code}/accept"), json!({}))
            .await;
        assert_eq!(r.status, 200, "accept {code}: {}", r.text);
        dto("accepted invite", &r)
    }
}

impl Client {
    /// What an invite link opens, for anyone holding it (asserting 200).
    pub async fn invite_preview(&self, code: &str) -> CircleInvitePreviewDto {
        let r = self.get(&format!("/api/v1/circle-invites/{code}")).await;
        assert_eq!(r.status, 200, "preview {code}: {}", r.text);
        dto("invite preview", &r)
    }
}
