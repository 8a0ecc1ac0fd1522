//! Quan's HTTP face: the JSON API (`/api/v1`, OpenAPI at `/api/openapi.json`), the
//! WebSocket hub (`/api/v1/ws`), server-rendered pages (console and member app) and
//! the operational endpoints (`/healthz`, `/readyz`, `/metrics`).
//!
//! This crate talks only to `quan-core`'s use cases and ports; it never names a
//! storage or messaging backend.

pub mod api;
mod assets;
mod edge;
pub mod error;
pub mod extract;
pub mod i18n;
pub mod markdown;
mod observability;
mod pages;
pub mod ws;

use axum::Router;
use axum::http::{HeaderName, StatusCode};
use axum::response::{IntoResponse, Response};
use quan_core::Services;
use std::sync::Arc;
use std::time::Duration;
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::timeout::TimeoutLayer;
use tower_http::trace::TraceLayer;

pub use observability::metrics_handle;

/// HTTP-level settings the binary passes in.
#[derive(Debug, Clone)]
pub struct WebConfig {
    /// Mark cookies Secure (serve behind HTTPS).
    pub secure_cookies: bool,
    /// Where people reach Quan (`https://circle.example.com`), for links they copy;
    /// None: the scheme and host of the request.
    pub public_url: Option<String>,
    /// Largest request body accepted, in bytes.
    pub max_body_bytes: usize,
    /// A request that takes longer is answered 408 and dropped.
    pub request_timeout: Duration,
}

impl Default for WebConfig {
    fn default() -> Self {
        Self {
            secure_cookies: false,
            public_url: None,
            max_body_bytes: 64 * 1024,
            request_timeout: Duration::from_secs(30),
        }
    }
}

/// What every handler can reach. One `Arc`: axum clones the state for every
/// extractor and middleware of every request, and a clone of the dozen `Arc`s inside
/// [`Services`] (with their drops) was 13 % of the CPU of a simple authenticated read
/// (`perf`, api-read), the two cores bouncing the same reference counts.
#[derive(Clone)]
pub struct AppState(Arc<AppInner>);

/// The state itself, behind [`AppState`]'s one `Arc`.
pub struct AppInner {
    pub svc: Services,
    pub i18n: Arc<i18n::Catalogs>,
    pub secure_cookies: bool,
    pub public_url: Option<String>,
    pub ws: Arc<ws::WsStats>,
}

impl std::ops::Deref for AppState {
    type Target = AppInner;
    fn deref(&self) -> &AppInner {
        &self.0
    }
}

impl AppState {
    /// The absolute form of a path, for links people copy: under the configured
    /// public address, else under the scheme and host this request came to.
    pub fn absolute(&self, headers: &axum::http::HeaderMap, path: &str) -> String {
        if let Some(base) = &self.public_url {
            return format!("{base}{path}");
        }
        let host = headers
            .get(axum::http::header::HOST)
            .and_then(|h| h.to_str().ok())
            .filter(|h| {
                !h.is_empty()
                    && h.chars().all(|c| {
                        c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | ':' | '[' | ']')
                    })
            })
            .unwrap_or("localhost");
        let scheme = if self.secure_cookies { "https" } else { "http" };
        format!("{scheme}://{host}{path}")
    }
}

impl AppState {
    pub fn new(svc: Services, cfg: &WebConfig) -> Self {
        Self(Arc::new(AppInner {
            svc,
            i18n: Arc::new(i18n::Catalogs::load()),
            secure_cookies: cfg.secure_cookies,
            public_url: cfg.public_url.clone(),
            ws: Arc::default(),
        }))
    }
}

const REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

/// The whole application as one router.
pub fn router(state: AppState, cfg: &WebConfig) -> Router {
    // Install the recorder before the first request is counted.
    let _ = metrics_handle();
    let (api, doc) = api::parts();
    // The WebSocket upgrade is not an OpenAPI operation; README documents its protocol.
    let api = api.route("/api/v1/ws", axum::routing::get(ws::upgrade));
    let swagger: Router<AppState> = utoipa_swagger_ui::SwaggerUi::new("/api/docs")
        .url("/api/openapi.json", doc)
        .into();
    Router::new()
        .merge(api)
        .merge(swagger)
        .merge(pages::router())
        .merge(observability::router())
        .merge(assets::router())
        .fallback(fallback)
        .method_not_allowed_fallback(method_not_allowed)
        .layer(axum::middleware::from_fn_with_state(
            edge::BodyLimit(cfg.max_body_bytes),
            edge::edge,
        ))
        .layer(axum::middleware::from_fn(observability::track))
        // Enforced by the body extractors, so an oversized body is a problem document
        // (`body_too_large`) like any other bad input.
        .layer(axum::extract::DefaultBodyLimit::max(cfg.max_body_bytes))
        .layer(TimeoutLayer::with_status_code(StatusCode::REQUEST_TIMEOUT, cfg.request_timeout))
        .layer(CatchPanicLayer::custom(panic_response))
        .layer(
            TraceLayer::new_for_http().make_span_with(|req: &axum::http::Request<_>| {
                let id = req.headers().get(REQUEST_ID).and_then(|v| v.to_str().ok()).unwrap_or("-");
                tracing::info_span!("http", method = %req.method(), path = %req.uri().path(), request_id = %id)
            }),
        )
        .layer(PropagateRequestIdLayer::new(REQUEST_ID))
        .layer(SetRequestIdLayer::new(REQUEST_ID, MakeRequestUuid))
        .with_state(state)
}

async fn fallback(uri: axum::http::Uri) -> Response {
    if uri.path().starts_with("/api/") {
        error::ApiError::not_found().into_response()
    } else {
        pages::not_found_page()
    }
}

async fn method_not_allowed() -> Response {
    error::ApiError::new(
        StatusCode::METHOD_NOT_ALLOWED,
        "method_not_allowed",
        "this resource does not support that method",
    )
    .into_response()
}

/// A panic is a bug: log it and answer like any other 5xx.
fn panic_response(err: Box<dyn std::any::Any + Send + 'static>) -> Response {
    let msg = err
        .downcast_ref::<String>()
        .map(String::as_str)
        .or_else(|| err.downcast_ref::<&str>().copied())
        .unwrap_or("panic");
    tracing::error!(panic = %msg, "handler panicked");
    error::ApiError::new(
        StatusCode::INTERNAL_SERVER_ERROR,
        "internal",
        "something went wrong on our side",
    )
    .into_response()
}
