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
pub mod commerce;
pub mod common;
pub mod discovery;
pub mod events;
pub mod identity;
pub mod local;
pub mod moderation;
pub mod notify;
pub mod persons;
pub mod reach;
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
        (name = "reach", description = "Contacts, channel codes, 1:1 conversations, campaigns under touch budgets, consent"),
        (name = "commerce", description = "Catalog, shop, orders with reserved stock, payments through the provider's signed webhooks"),
        (name = "local", description = "Community group buying: leaders (团长), their pickup points and service radius, the nearest point for a buyer"),
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

/// The answers the edge and the extractors give before a handler runs, added to every
/// operation they can come from, so the document lists every status the server
/// returns: 400 for a malformed id, query or body, or text with NUL, and 413 for a body
/// over the limit (the edge reads a JSON or form body sent to any route); 401 without
/// a valid session or token and 403 where it may not act (scope, role, membership);
/// 404 for an id that names nothing the caller may see; 415 for a body that is not
/// JSON; 422 for a parameter or body that does not fit the operation. Errors are
/// `application/problem+json` (RFC 9457), as the server sends them.
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
            for (op, writes) in [
                (&mut item.get, false),
                (&mut item.post, true),
                (&mut item.put, true),
                (&mut item.patch, true),
                (&mut item.delete, true),
            ]
            .into_iter()
            .filter_map(|(op, w)| op.as_mut().map(|op| (op, w)))
            {
                let mut add = |status: &str, what: &str| {
                    op.responses
                        .responses
                        .entry(status.to_owned())
                        .or_insert_with(|| problem(what).into());
                };
                let params = op.parameters.as_deref().unwrap_or_default();
                let in_path = |p: &utoipa::openapi::path::Parameter| {
                    matches!(p.parameter_in, utoipa::openapi::path::ParameterIn::Path)
                };
                let ids = params.iter().any(in_path);
                let query = params.iter().any(|p| !in_path(p));
                let has_body = op.request_body.is_some();
                add(
                    "400",
                    "Malformed id, query or body, or text with a NUL character",
                );
                add("413", "The body is too large");
                if op.security.as_ref().is_some_and(|s| !s.is_empty()) {
                    add("401", "No valid session or token");
                }
                // Writes: a token without `write`, or a cookie from another site (even
                // on log-in). Reads refuse by their own handlers, which say so.
                if writes {
                    add(
                        "403",
                        "A token without the write scope, or a cross-site request",
                    );
                }
                if ids {
                    add("404", "No such resource, or not one the caller may see");
                }
                if has_body {
                    add("415", "The body is not of the documented media type");
                }
                // A bad id in the path is a 400; a query or a body may not fit.
                if has_body || query {
                    add("422", "The query or the body does not fit this operation");
                }
                // Handlers declare their errors with `body = Problem`; they go out as
                // problem+json, so that is the media type the document gives.
                for (status, resp) in op.responses.responses.iter_mut() {
                    if status.starts_with(['4', '5'])
                        && let utoipa::openapi::RefOr::T(r) = resp
                        && let Some(c) = r.content.shift_remove("application/json")
                    {
                        r.content.insert("application/problem+json".to_owned(), c);
                    }
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
        .merge(reach::router())
        .merge(commerce::router())
        .merge(local::router())
}
