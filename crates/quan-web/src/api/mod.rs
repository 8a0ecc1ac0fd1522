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

/// The answers the edge gives before a handler runs, added to every operation they
/// can come from, so the document lists every status the server returns: 400 for a
/// malformed id, query or body (and text with NUL), 401 without a valid session or
/// token, 413 and 415 for a body that is too large or not JSON, 422 for a body that
/// does not fit the operation.
struct EdgeResponses;

impl Modify for EdgeResponses {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        use utoipa::openapi::{ContentBuilder, Ref, ResponseBuilder};
        let problem = |what: &str| {
            ResponseBuilder::new()
                .description(what)
                .content(
                    "application/problem+json",
                    ContentBuilder::new()
                        .schema(Some(Ref::from_schema_name("Problem")))
                        .build(),
                )
                .build()
        };
        for item in openapi.paths.paths.values_mut() {
            for op in [
                &mut item.get,
                &mut item.post,
                &mut item.put,
                &mut item.patch,
                &mut item.delete,
            ]
            .into_iter()
            .flatten()
            {
                let mut add = |status: &str, what: &str| {
                    op.responses
                        .responses
                        .entry(status.to_owned())
                        .or_insert_with(|| problem(what).into());
                };
                let has_params = op.parameters.as_ref().is_some_and(|p| !p.is_empty());
                let has_body = op.request_body.is_some();
                if has_params || has_body {
                    add(
                        "400",
                        "Malformed id, query or body, or text with a NUL character",
                    );
                }
                if op.security.as_ref().is_some_and(|s| !s.is_empty()) {
                    add("401", "No valid session or token");
                }
                if has_body {
                    add("413", "The body is too large");
                    add("415", "The body is not JSON");
                    add("422", "The body does not fit this operation");
                }
            }
        }
    }
}

/// The OpenAPI document as served at `/api/openapi.json`.
pub fn openapi() -> utoipa::openapi::OpenApi {
    parts().1
}

/// The API's axum router and its OpenAPI document, from the same declarations.
pub fn parts() -> (axum::Router<AppState>, utoipa::openapi::OpenApi) {
    let (router, mut doc) = router().split_for_parts();
    // After the merge: the edge's answers go on every operation the routers brought.
    EdgeResponses.modify(&mut doc);
    (router, doc)
}

/// Every endpoint with its operation.
fn router() -> OpenApiRouter<AppState> {
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
