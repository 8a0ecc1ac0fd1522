//! Server-rendered pages: the shared chrome (language, session, CSRF, error pages,
//! paging parameters) and the router; each area is a submodule (account pages, the
//! member app's circle page, chat, posts, running a circle, notifications, search
//! and discovery, the console). Forms post back to the same
//! paths; every form carries a CSRF token (double-submit: a random cookie echoed in
//! a hidden field).

mod account;
mod chat;
mod circle;
mod circle_admin;
mod commerce;
mod console;
mod discover;
mod forms;
mod inbox;
mod local;
mod ops;
mod persons;
mod post;
pub(crate) mod reach;
mod templates;

pub(crate) use forms::saved;

use crate::AppState;
use crate::error::ApiError;
use crate::extract::{CSRF_COOKIE, SESSION_COOKIE};
use crate::i18n::Lang;
use account::{
    app_me, app_me_privacy, invite_accept, invite_page, login_page, login_submit, logout,
    orgs_create, orgs_page, password_page, password_submit, signup_page, signup_submit,
};
use axum::Router;
use axum::extract::{FromRequestParts, Path, Query, Request};
use axum::http::request::Parts;
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum_extra::extract::cookie::{Cookie, CookieJar, SameSite};
use chat::{app_chat, app_chat_promote, app_chat_send, app_room_create};
use post::{app_post, app_post_comment, app_post_react};
use quan_core::access::AccessError;
use quan_core::access::{Actor, Me};
use quan_core::identity::{self as uc, IdentityError};
use quan_core::persons::error::PersonError;
use quan_domain::{CircleId, IMAGE_MAX_BYTES, PostId, Role, Timestamp};
use serde::Deserialize;
use std::sync::Arc;

pub(crate) fn router() -> Router<AppState> {
    Router::new()
        .route("/", get(account::home))
        .route("/signup", get(signup_page).post(signup_submit))
        .route("/login", get(login_page).post(login_submit))
        .route("/logout", post(logout))
        .route("/lang/{code}", get(set_lang))
        .route("/orgs", get(orgs_page).post(orgs_create))
        .route(
            "/account/password",
            get(password_page).post(password_submit),
        )
        .route("/invite/{code}", get(invite_page).post(invite_accept))
        .route("/app/circles/{circle_id}/chat", get(app_chat))
        .route(
            "/app/circles/{circle_id}/chat/{room_id}",
            post(app_chat_send).layer(axum::extract::DefaultBodyLimit::max(
                IMAGE_MAX_BYTES + 64 * 1024,
            )),
        )
        .route(
            "/app/circles/{circle_id}/chat/{room_id}/promote/{message_id}",
            post(app_chat_promote),
        )
        .route("/app/circles/{circle_id}/rooms", post(app_room_create))
        .route("/app/me", get(app_me))
        .route("/app/me/privacy", post(app_me_privacy))
        .route("/app/circles/{circle_id}/posts/{post_id}", get(app_post))
        .route(
            "/app/circles/{circle_id}/posts/{post_id}/comments",
            post(app_post_comment),
        )
        .route(
            "/app/circles/{circle_id}/posts/{post_id}/react",
            post(app_post_react),
        )
        .merge(circle::router())
        .merge(console::router())
        .merge(persons::router())
        .merge(circle_admin::router())
        .merge(ops::router())
        .merge(inbox::router())
        .merge(discover::router())
        .merge(reach::router())
        .merge(commerce::router())
        .merge(local::router())
        .layer(axum::middleware::from_fn(csrf_cookie))
}

/// What [`Chrome::plural`] counts: the integers templates hold, by value or (in
/// loops) by reference.
pub(crate) trait Count {
    fn count(&self) -> i64;
}

impl Count for i64 {
    fn count(&self) -> i64 {
        *self
    }
}

impl Count for usize {
    fn count(&self) -> i64 {
        i64::try_from(*self).unwrap_or(i64::MAX)
    }
}

impl<T: Count + ?Sized> Count for &T {
    fn count(&self) -> i64 {
        (**self).count()
    }
}

/// The CSRF token of this browser, set by [`csrf_cookie`] on the way in.
#[derive(Debug, Clone)]
pub(crate) struct CsrfToken(pub String);

/// Gives every browser a CSRF cookie on its first visit, and the handler its value.
async fn csrf_cookie(mut req: Request, next: Next) -> Response {
    let jar = CookieJar::from_headers(req.headers());
    let existing = jar
        .get(CSRF_COOKIE)
        .map(|c| c.value().to_owned())
        .filter(|v| v.len() >= 16 && v.len() <= 64);
    let (token, fresh) = match existing {
        Some(t) => (t, false),
        None => (quan_core::secrets::random_secret("", 18), true),
    };
    req.extensions_mut().insert(CsrfToken(token.clone()));
    let mut res = next.run(req).await;
    if fresh {
        let c = Cookie::build((CSRF_COOKIE, token))
            .http_only(true)
            .same_site(SameSite::Lax)
            .path("/")
            .build();
        if let Ok(v) = HeaderValue::from_str(&c.to_string()) {
            res.headers_mut().append(header::SET_COOKIE, v);
        }
    }
    res
}

/// Everything the layout needs: language, strings, the signed-in user, CSRF token.
pub(crate) struct Chrome {
    pub lang: Lang,
    pub cat: Arc<crate::i18n::Catalogs>,
    pub csrf: String,
    pub user: Option<Me>,
    pub actor: Option<Actor>,
    pub path: String,
    /// This page's path and query, encoded as one query value: where the language
    /// switch comes back to (a checkout keeps its `?cart=1`).
    pub here: String,
    /// `https://host` this page is served under, for links people copy.
    pub base: String,
    /// The page was reached by a form that saved (`?saved=1`, see [`saved`]): it
    /// says so above its content.
    pub saved: bool,
}

impl Chrome {
    pub fn t<'a>(&'a self, key: &'a str) -> &'a str {
        self.cat.get(self.lang, key)
    }
    /// A count in words: `one` ("1 member", "1 位成员") when `n` is 1, else `many`
    /// ("{n} members") with `{n}` replaced.
    pub fn plural(&self, n: impl Count, one: &str, many: &str) -> String {
        let n = n.count();
        let key = if n == 1 { one } else { many };
        self.t(key).replace("{n}", &n.to_string())
    }
    pub fn lang_code(&self) -> &'static str {
        self.lang.code()
    }
    /// An API error as a sentence in the page's language (by its stable code).
    pub fn error(&self, e: &ApiError) -> String {
        self.cat.error_text(self.lang, e.code, e.field, &e.detail)
    }
    /// A code's word for people from a catalogue section (`policies`, `boost`,
    /// `circle_roles`, `handles`, `scopes`, ...); the code itself if there is none.
    pub fn word<'a>(&'a self, section: &str, code: &'a str) -> &'a str {
        let key = format!("{section}.{code}");
        let w = self.cat.get(self.lang, &key);
        if w == key {
            code
        } else {
            // The catalogue outlives the key we looked up with.
            self.cat.get(self.lang, self.cat.key(&key).unwrap_or(code))
        }
    }
    /// Every event kind's words, as JSON for the live timeline's script.
    pub fn event_words(&self) -> String {
        serde_json::to_string(&self.cat.section(self.lang, "events"))
            .unwrap_or_else(|_| "{}".into())
    }
    /// A role's name for people, from its code (`owner`, `admin`, ...).
    pub fn role_name(&self, code: &str) -> &str {
        match Role::parse(code) {
            Ok(role) => self.cat.get(
                self.lang,
                match role {
                    Role::Owner => "roles.owner",
                    Role::Admin => "roles.admin",
                    Role::Operator => "roles.operator",
                    Role::Sales => "roles.sales",
                    Role::Leader => "roles.leader",
                    Role::Teacher => "roles.teacher",
                },
            ),
            Err(_) => "",
        }
    }
    pub fn user_name(&self) -> &str {
        self.user.as_ref().map_or("", |u| u.display_name.as_str())
    }
    /// Formats an instant for people (UTC; the browser script localises it).
    pub fn when(&self, ts: &Timestamp) -> String {
        chrono::DateTime::from_timestamp_millis(ts.millis())
            .map_or_else(String::new, |d| d.format("%Y-%m-%d %H:%M UTC").to_string())
    }
}

impl FromRequestParts<AppState> for Chrome {
    type Rejection = ApiError;
    async fn from_request_parts(parts: &mut Parts, st: &AppState) -> Result<Self, Self::Rejection> {
        let jar = CookieJar::from_headers(&parts.headers);
        let lang = jar
            .get("lang")
            .and_then(|c| Lang::from_code(c.value()))
            .or_else(|| {
                parts
                    .headers
                    .get(header::ACCEPT_LANGUAGE)
                    .and_then(|h| h.to_str().ok())
                    .and_then(Lang::from_accept_language)
            })
            .unwrap_or(Lang::En);
        let actor = match jar.get(SESSION_COOKIE) {
            Some(c) => uc::session_actor(&st.svc, c.value()).await?,
            None => None,
        };
        let user = match &actor {
            Some(Actor::Session { account, .. }) => Some(account.clone()),
            _ => None,
        };
        let csrf = parts
            .extensions
            .get::<CsrfToken>()
            .map(|c| c.0.clone())
            .unwrap_or_default();
        Ok(Chrome {
            lang,
            cat: Arc::clone(&st.i18n),
            csrf,
            user,
            actor,
            path: parts.uri.path().to_owned(),
            here: url::form_urlencoded::byte_serialize(
                parts
                    .uri
                    .path_and_query()
                    .map_or("/", |p| p.as_str())
                    .as_bytes(),
            )
            .collect(),
            base: st.absolute(&parts.headers, ""),
            saved: parts
                .uri
                .query()
                .is_some_and(|q| q.split('&').any(|kv| kv == "saved=1")),
        })
    }
}

/// A page failure: a redirect to log in, a 404 page, or an error page.
pub(crate) enum PageError {
    Login(String),
    NotFound,
    Api(ApiError),
}

impl From<ApiError> for PageError {
    fn from(e: ApiError) -> Self {
        if e.status == StatusCode::NOT_FOUND {
            PageError::NotFound
        } else {
            PageError::Api(e)
        }
    }
}

impl From<IdentityError> for PageError {
    fn from(e: IdentityError) -> Self {
        ApiError::from(e).into()
    }
}

impl From<AccessError> for PageError {
    fn from(e: AccessError) -> Self {
        ApiError::from(e).into()
    }
}

impl From<PersonError> for PageError {
    fn from(e: PersonError) -> Self {
        ApiError::from(e).into()
    }
}

impl IntoResponse for PageError {
    fn into_response(self) -> Response {
        match self {
            PageError::Login(next) => {
                Redirect::to(&format!("/login?next={}", urlencode(&next))).into_response()
            }
            PageError::NotFound => not_found_page(),
            PageError::Api(e) => {
                // No request context here: say it in both languages.
                let cat = crate::i18n::catalogs();
                let zh = cat.error_text(crate::i18n::Lang::ZhCn, e.code, e.field, &e.detail);
                let en = cat.error_text(crate::i18n::Lang::En, e.code, e.field, &e.detail);
                let body = format!(
                    "<!doctype html><meta charset=utf-8><link rel=stylesheet href=/assets/app.css><main class=narrow><div class=card><h1>{}</h1><p>{}</p><p>{}</p><p><a href=/>←</a></p></div></main>",
                    e.status.as_u16(),
                    askama_escape(&zh),
                    askama_escape(&en)
                );
                (e.status, Html(body)).into_response()
            }
        }
    }
}

pub(crate) type PageResult = Result<Response, PageError>;

fn askama_escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

pub(crate) fn urlencode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' | b'/' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// An id from a page path; a malformed one is simply a page that does not exist.
pub(crate) fn path_id<T: std::str::FromStr>(raw: &str) -> Result<T, PageError> {
    raw.parse().map_err(|_| PageError::NotFound)
}

/// Only same-site paths are followed after log-in (no open redirects).
fn safe_next(next: Option<&str>) -> String {
    match next {
        Some(n)
            if n.starts_with('/') && !n.starts_with("//") && !n.contains('\\') && n.len() < 512 =>
        {
            n.to_owned()
        }
        // Home decides: staff to their organisations, members to their circles.
        _ => "/".to_owned(),
    }
}

/// A form's page: 422 when it shows an error, so a failed submission is not a 200.
pub(crate) fn render_form(t: &impl askama::Template, failed: bool) -> Response {
    let mut res = render(t);
    if failed {
        *res.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
    }
    res
}

pub(crate) fn render(t: &impl askama::Template) -> Response {
    match t.render() {
        Ok(html) => Html(html).into_response(),
        Err(e) => ApiError::internal(&e).into_response(),
    }
}

pub(crate) fn not_found_page() -> Response {
    (
        StatusCode::NOT_FOUND,
        Html(include_str!("../../templates/404.html")),
    )
        .into_response()
}

/// Checks a form's CSRF field against the browser's cookie.
pub(crate) fn check_csrf(c: &Chrome, field: &str) -> Result<(), PageError> {
    if !c.csrf.is_empty() && field == c.csrf {
        Ok(())
    } else {
        Err(PageError::Api(ApiError::new(
            StatusCode::FORBIDDEN,
            "csrf",
            c.t("errors.csrf"),
        )))
    }
}

/// The signed-in user of a page, or a redirect to log in.
pub(crate) fn require_user(c: &Chrome) -> Result<&Actor, PageError> {
    c.actor
        .as_ref()
        .ok_or_else(|| PageError::Login(c.path.clone()))
}

#[derive(Deserialize)]
struct NextQuery {
    next: Option<String>,
}

async fn set_lang(
    Path(code): Path<String>,
    Query(q): Query<NextQuery>,
    jar: CookieJar,
) -> Response {
    let lang = Lang::from_code(&code).unwrap_or(Lang::En);
    let c = Cookie::build(("lang", lang.code()))
        .path("/")
        .same_site(SameSite::Lax)
        .max_age(::time::Duration::days(365))
        .build();
    (
        jar.add(c),
        Redirect::to(&safe_next(q.next.as_deref().or(Some("/")))),
    )
        .into_response()
}

/// A list page's keyset position (`?after=`).
#[derive(Deserialize)]
pub(crate) struct AfterParams {
    pub(crate) after: Option<String>,
}

#[derive(Deserialize)]
pub(crate) struct CsrfOnly {
    pub(crate) csrf: String,
}

pub(crate) fn post_ids(ids: &(String, String)) -> Result<(CircleId, PostId), PageError> {
    Ok((path_id::<CircleId>(&ids.0)?, path_id::<PostId>(&ids.1)?))
}

/// A refused form's reason, in the page's language; a 404 or a 5xx is an error page.
pub(crate) fn form_error(c: &Chrome, e: ApiError) -> Result<String, PageError> {
    if e.status == StatusCode::NOT_FOUND || e.status.is_server_error() {
        Err(e.into())
    } else {
        Ok(c.error(&e))
    }
}

/// Catalogue keys that Rust code picks and templates render (checked by a test).
#[cfg(test)]
pub(crate) fn rust_side_keys() -> Vec<&'static str> {
    let mut keys: Vec<&'static str> = templates::nav_items().into_iter().map(|(_, k)| k).collect();
    keys.extend(templates::FEED_TABS.iter().map(|(_, k)| *k));
    keys.extend(templates::HISTORY_OPTIONS.iter().map(|(_, k)| *k));
    keys.extend([
        "circles.react_like",
        "circles.react_tea",
        "modes.internal",
        "modes.teaching",
        "modes.business",
        "modes.community",
    ]);
    keys.extend([
        "policies.open",
        "policies.approval",
        "policies.invite",
        "policies.org_members",
        "policies.paid",
        "roles.owner",
        "roles.admin",
        "roles.operator",
        "roles.sales",
        "roles.leader",
        "roles.teacher",
    ]);
    // Labels chosen in Rust (template helpers pick the key by value).
    keys.extend([
        "modlog.pin",
        "modlog.unpin",
        "modlog.delete",
        "modlog.auto_hide",
        "modlog.hold",
        "modlog.remove",
        "modlog.restore",
        "modlog.mute",
        "modlog.ban",
        "modlog.unmute",
        "modlog.unban",
    ]);
    keys.extend(
        quan_domain::ReportReason::ALL
            .iter()
            .map(|r| templates::reason_key(r.as_str())),
    );
    keys.extend(
        quan_domain::TaskState::ALL
            .iter()
            .map(|s| templates::state_key(s.as_str())),
    );
    keys.extend([
        "task.claim",
        "task.unclaim",
        "task.deliver",
        "task.accept",
        "task.reject",
        "task.close",
        "circle_roles.owner",
        "circle_roles.admin",
        "circle_roles.moderator",
        "circle_roles.teacher",
        "circle_roles.member",
        "types.member",
        "types.customer",
        "types.fan",
        "timeline.joined",
        "timeline.posted",
        "timeline.commented",
        "timeline.checked_in",
        "timeline.merged",
        "timeline.merge_undone",
        "ops.banned",
        "ops.muted",
        "ops.reported",
        "ops.kind_topic",
        "ops.kind_task",
        "ops.kind_need",
        "ops.kind_notice",
    ]);
    keys
}
