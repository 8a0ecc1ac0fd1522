//! Circles: creating one, joining, reading it and its members, approving a request.

use super::dto;
use crate::Res;
use crate::User;
use quan_web::api::circles::{CircleDto, JoinDto, MemberDto, MemberPage};
use serde_json::{Value, json};

impl User {
    /// Creates a circle in `org` (asserting 201).
    pub async fn create_circle(&self, org: &str, body: Value) -> CircleDto {
        let r = self
            .c
            .post(&format!("/api/v1/orgs/{org}/circles"), body)
            .await;
        assert_eq!(r.status, 201, "create circle in {org}: {}", r.text);
        dto("circle", &r)
    }

    /// Creates a circle in `org` (asserting 201) and returns its id.
    pub async fn circle(&self, org: &str, body: Value) -> String {
        self.create_circle(org, body).await.id
    }

    /// Asks to join a circle.
    pub async fn try_join(&self, circle: &str) -> Res {
        self.c
            .post(&format!("/api/v1/circles/{circle}/join"), json!({}))
            .await
    }

    /// Joins a circle whose policy lets them straight in or queues the request
    /// (asserting 200); the answer says which.
    pub async fn join(&self, circle: &str) -> JoinDto {
        let r = self.try_join(circle).await;
        assert_eq!(r.status, 200, "join {circle}: {}", r.text);
        dto("join", &r)
    }

    /// A circle as the caller sees it, with their role (asserting 200).
    pub async fn get_circle(&self, circle: &str) -> CircleDto {
        let r = self.c.get(&format!("/api/v1/circles/{circle}")).await;
        assert_eq!(r.status, 200, "circle {circle}: {}", r.text);
        dto("circle", &r)
    }

    /// The circles the caller belongs to (asserting 200).
    pub async fn my_circles(&self) -> Vec<CircleDto> {
        let r = self.c.get("/api/v1/circles").await;
        assert_eq!(r.status, 200, "my circles: {}", r.text);
        dto("my circles", &r)
    }

    /// A page of a circle's members; `query` as in `status=pending` (asserting 200).
    pub async fn members(&self, circle: &str, query: &str) -> MemberPage {
        let r = self
            .c
            .get(&format!("/api/v1/circles/{circle}/members?{query}"))
            .await;
        assert_eq!(r.status, 200, "members of {circle}: {}", r.text);
        dto("members", &r)
    }

    /// Approves a waiting join request (asserting 204).
    pub async fn approve(&self, circle: &str, account: &str) {
        let r = self
            .c
            .post(
                &format!("/api/v1/circles/{circle}/members/{account}/approve"),
                json!({}),
            )
            .await;
        assert_eq!(r.status, 204, "approve {account} in {circle}: {}", r.text);
    }

    /// The person behind a member's account in a circle (asserting they are a member).
    pub async fn person_of(&self, circle: &str, account: &str) -> String {
        let page = self.members(circle, "").await;
        let found = page.items.into_iter().find(|m| m.account_id == account);
        found
            .unwrap_or_else(|| panic!("{account} is not a member of {circle}"))
            .person_id
    }

    /// Changes a member's role or types; `body` as in `{"role": "moderator"}`.
    pub async fn try_set_member(&self, circle: &str, account: &str, body: Value) -> Res {
        self.c
            .patch(&format!("/api/v1/circles/{circle}/members/{account}"), body)
            .await
    }

    /// Changes a member's role or types (asserting 200).
    pub async fn set_member(&self, circle: &str, account: &str, body: Value) -> MemberDto {
        let r = self.try_set_member(circle, account, body).await;
        assert_eq!(r.status, 200, "member {account} of {circle}: {}", r.text);
        dto("member", &r)
    }

    /// Edits a circle's settings; `body` as in `{"join_policy": "approval"}`.
    pub async fn try_settings(&self, circle: &str, body: Value) -> Res {
        self.c
            .patch(&format!("/api/v1/circles/{circle}/settings"), body)
            .await
    }

    /// Edits a circle's settings (asserting 200).
    pub async fn settings(&self, circle: &str, body: Value) -> CircleDto {
        let r = self.try_settings(circle, body).await;
        assert_eq!(r.status, 200, "settings of {circle}: {}", r.text);
        dto("circle", &r)
    }
}
