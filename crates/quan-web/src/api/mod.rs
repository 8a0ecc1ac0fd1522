//! The JSON API under `/api/v1`, and its OpenAPI 3.1 document.
//!
//! Handlers are thin: extract, parse into domain types, call the use case, map the
//! result into a wire type. Wire types (DTOs) live here, not in the domain.

pub mod circle_ops;
pub mod circles;
pub mod identity;

use crate::AppState;
use crate::error::Problem;
use axum::Router;
use utoipa::openapi::security::{ApiKey, ApiKeyValue, HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Quan API",
        description = "Quan's REST API. Errors are RFC 9457 problem+json documents with a stable `code`. \
                       Lists use cursor pagination: pass `next` back as `after`.",
        license(name = "Apache-2.0")
    ),
    paths(
        identity::sign_up, identity::log_in, identity::log_out, identity::me, identity::change_password,
        identity::list_orgs, identity::create_org, identity::get_org,
        identity::list_staff, identity::get_staff, identity::update_staff, identity::remove_staff,
        identity::list_invites, identity::create_invite, identity::revoke_invite,
        identity::preview_invite, identity::accept_invite,
        identity::list_tokens, identity::create_token, identity::revoke_token,
        identity::list_persons, identity::create_person, identity::get_person, identity::add_handle,
        identity::list_events,
        circles::create_circle, circles::list_org_circles, circles::my_circles, circles::get_circle,
        circles::join_circle, circles::list_members, circles::approve_member, circles::decline_member, circles::create_post, circles::feed,
        circles::get_post, circles::create_comment, circles::add_reaction, circles::remove_reaction,
        circles::get_privacy, circles::set_privacy,
        circles::notice_receipts, circles::check_in, circles::leaderboard,
        circles::list_rooms, circles::create_room, circles::list_messages, circles::send_message, circles::mark_read, circles::promote_message,
        circle_ops::create_invite, circle_ops::list_invites, circle_ops::revoke_invite, circle_ops::preview_invite,
        circle_ops::accept_invite, circle_ops::edit_post, circle_ops::delete_post, circle_ops::post_edits,
        circle_ops::pin_post, circle_ops::unpin_post, circle_ops::task_action, circle_ops::task_steps,
        circle_ops::report_post, circle_ops::queue, circle_ops::resolve, circle_ops::mod_log,
        circle_ops::list_sanctions, circle_ops::set_sanction, circle_ops::lift_sanction,
        circle_ops::list_words, circle_ops::set_word, circle_ops::delete_word,
        circle_ops::person_profile, circle_ops::add_tag, circle_ops::remove_tag, circle_ops::merge_person, circle_ops::undo_merge,
        circle_ops::list_notifications, circle_ops::read_notifications, circle_ops::notification_settings,
        circle_ops::set_notification_setting, circle_ops::search_circle, circle_ops::search_org,
        circle_ops::upload_image, circle_ops::get_image,
        circle_ops::edit_circle, circle_ops::update_member,
        circle_ops::discover, circle_ops::boost_log, circle_ops::request_boost, circle_ops::decide_boost,
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
    ApiDoc::openapi()
}

pub fn router() -> Router<AppState> {
    identity::router()
        .merge(circles::router())
        .merge(circle_ops::router())
}
