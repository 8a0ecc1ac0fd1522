//! The JSON API under `/api/v1`, and its OpenAPI 3.1 document.
//!
//! One module per capability, mirroring `quan-core`, each owning its wire types (DTOs)
//! and its `router()`. Handlers are thin: extract, parse into domain types, call the
//! use case, map the result into a wire type.
//!
//! Each endpoint is declared once: its `#[utoipa::path]` names the method and path,
//! and utoipa-axum's `routes!` mounts it from that, so the router and the OpenAPI
//! document cannot disagree (the tidy test refuses a bare `.route(` here).

pub mod chat;
pub mod circles;
pub mod common;
pub mod discovery;
pub mod events;
pub mod identity;
pub mod moderation;
pub mod notify;
pub mod persons;
pub mod search;

use crate::AppState;
use crate::error::Problem;
use utoipa::openapi::security::{ApiKey, ApiKeyValue, HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};
use utoipa_axum::router::OpenApiRouter;

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Quan API",
        description = "Quan's REST API. Errors are RFC 9457 problem+json documents with a stable `code`. \
                       Lists use cursor pagination: pass `next` back as `after`.",
        license(name = "Apache-2.0")
    ),
    components(schemas(Problem)),
    modifiers(&Security),
    tags(
        (name = "identity", description = "Accounts, sessions, orgs, staff, invites, API tokens"),
        (name = "persons", description = "The org's persons and their handles"),
        (name = "events", description = "The org's event log"),
        (name = "circles", description = "Circles, membership, posts and the feed"),
        (name = "moderation", description = "Reports, the review queue, mutes and bans, the public moderation log, sensitive words"),
        (name = "notifications", description = "In-app notifications; pushed live on the WebSocket topic account:<id>"),
        (name = "chat", description = "Chat rooms fused with circles; live over the WebSocket topic room:<id>"),
    )
)]
pub struct ApiDoc;

struct Security;

impl Modify for Security {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .bearer_format("quan_…")
                    .build(),
            ),
        );
        components.add_security_scheme(
            "session",
            SecurityScheme::ApiKey(ApiKey::Cookie(ApiKeyValue::new(
                crate::extract::SESSION_COOKIE,
            ))),
        );
    }
}

/// The OpenAPI document as served at `/api/openapi.json`.
pub fn openapi() -> utoipa::openapi::OpenApi {
    router().into_openapi()
}

/// Every endpoint with its operation; `split_for_parts` gives the axum router and
/// the document.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::with_openapi(ApiDoc::openapi())
        .merge(identity::router())
        .merge(persons::router())
        .merge(events::router())
        .merge(circles::router())
        .merge(circles::posts::router())
        .merge(circles::feed::router())
        .merge(circles::board::router())
        .merge(circles::invites::router())
        .merge(circles::images::router())
        .merge(circles::admin::router())
        .merge(moderation::router())
        .merge(chat::router())
        .merge(notify::router())
        .merge(search::router())
        .merge(discovery::router())
}
