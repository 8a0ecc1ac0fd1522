//! Identity: the caller, API tokens, the org's staff and its staff invites, and the
//! org's event log.

use super::dto;
use crate::{Client, Res, User};
use quan_web::api::events::EventPage;
use quan_web::api::identity::{
    CreatedInviteDto, CreatedTokenDto, InvitePreviewDto, MeDto, StaffDto, StaffPage, TokenDto,
};
use serde_json::{Value, json};

impl User {
    /// The caller with their orgs (asserting 200).
    pub async fn me(&self) -> MeDto {
        let r = self.c.get("/api/v1/me").await;
        assert_eq!(r.status, 200, "me: {}", r.text);
        dto("me", &r)
    }

    /// Creates an API token in `org` with `scopes` (any of read, write, admin).
    pub async fn try_token(&self, org: &str, name: &str, scopes: &[&str]) -> Res {
        self.c
            .post(
                &format!("/api/v1/orgs/{org}/tokens"),
                json!({"name": name, "scopes": scopes}),
            )
            .await
    }

    /// Creates an API token (asserting 201); the answer holds the secret.
    pub async fn token(&self, org: &str, name: &str, scopes: &[&str]) -> CreatedTokenDto {
        let r = self.try_token(org, name, scopes).await;
        assert_eq!(r.status, 201, "token {name} in {org}: {}", r.text);
        dto("token", &r)
    }

    /// The org's API tokens (asserting 200).
    pub async fn tokens(&self, org: &str) -> Vec<TokenDto> {
        let r = self.c.get(&format!("/api/v1/orgs/{org}/tokens")).await;
        assert_eq!(r.status, 200, "tokens of {org}: {}", r.text);
        dto("tokens", &r)
    }

    /// Revokes an API token (asserting 204).
    pub async fn revoke_token(&self, org: &str, token: &str) {
        let r = self
            .c
            .delete(&format!("/api/v1/orgs/{org}/tokens/{token}"))
            .await;
        assert_eq!(r.status, 204, "revoke token {token}: {}", r.text);
    }

    /// A page of the org's staff (asserting 200).
    pub async fn staff(&self, org: &str) -> StaffPage {
        let r = self.c.get(&format!("/api/v1/orgs/{org}/staff")).await;
        assert_eq!(r.status, 200, "staff of {org}: {}", r.text);
        dto("staff", &r)
    }

    /// Creates a staff invite; `body` as in `{"role": "sales", "max_uses": 2}`.
    pub async fn try_staff_invite(&self, org: &str, body: Value) -> Res {
        self.c
            .post(&format!("/api/v1/orgs/{org}/invites"), body)
            .await
    }

    /// Creates a staff invite (asserting 201); the answer holds the code and link.
    pub async fn staff_invite(&self, org: &str, body: Value) -> CreatedInviteDto {
        let r = self.try_staff_invite(org, body).await;
        assert_eq!(r.status, 201, "staff invite in {org}: {}", r.text);
        dto("staff invite", &r)
    }

    /// A page of the org's event log, newest first; `query` as in `limit=100`
    /// (asserting 200).
    pub async fn events(&self, org: &str, query: &str) -> EventPage {
        let r = self
            .c
            .get(&format!("/api/v1/orgs/{org}/events?{query}"))
            .await;
        assert_eq!(r.status, 200, "events of {org}: {}", r.text);
        dto("events", &r)
    }

    /// Changes the caller's password.
    pub async fn try_password(&self, current: &str, new: &str) -> Res {
        self.c
            .put(
                "/api/v1/me/password",
                json!({"current_password": current, "new_password": new}),
            )
            .await
    }

    /// Changes a staff member's role in the org.
    pub async fn try_set_staff(&self, org: &str, account: &str, role: &str) -> Res {
        self.c
            .patch(
                &format!("/api/v1/orgs/{org}/staff/{account}"),
                json!({"role": role}),
            )
            .await
    }

    /// Changes a staff member's role (asserting 200).
    pub async fn set_staff(&self, org: &str, account: &str, role: &str) -> StaffDto {
        let r = self.try_set_staff(org, account, role).await;
        assert_eq!(r.status, 200, "staff {account} as {role}: {}", r.text);
        dto("staff", &r)
    }

    /// Removes a staff member from the org.
    pub async fn try_remove_staff(&self, org: &str, account: &str) -> Res {
        self.c
            .delete(&format!("/api/v1/orgs/{org}/staff/{account}"))
            .await
    }

    /// Accepts a staff invite by its code.
    pub async fn try_accept_staff_invite(&self, code: &str) -> Res {
        self.c
            .post(&format!("/api/v1/invites/{code}/accept"), json!({}))
            .await
    }
}

impl Client {
    /// Logs in (the answer sets the session cookie on this client).
    pub async fn log_in(&self, login: &str, password: &str) -> Res {
        self.post(
            "/api/v1/sessions",
            json!({"login": login, "password": password}),
        )
        .await
    }

    /// What a staff invite offers, as anyone with its code sees it (asserting 200).
    pub async fn staff_invite_preview(&self, code: &str) -> InvitePreviewDto {
        let r = self.get(&format!("/api/v1/invites/{code}")).await;
        assert_eq!(r.status, 200, "staff invite {code}: {}", r.text);
        dto("staff invite preview", &r)
    }
}
