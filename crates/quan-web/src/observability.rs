//! `/healthz`, `/readyz`, `/metrics`, and the middleware that counts and times every
//! request by route template (never by raw path, which would explode cardinality).

use crate::AppState;
use axum::extract::{MatchedPath, Request, State};
use axum::http::StatusCode;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};
use std::sync::OnceLock;
use std::time::Instant;

/// The process-wide Prometheus recorder. Metrics macros write to one global recorder,
/// so every app in a process (tests start many) shares it.
pub fn metrics_handle() -> PrometheusHandle {
    static HANDLE: OnceLock<PrometheusHandle> = OnceLock::new();
    HANDLE
        .get_or_init(|| {
            let builder = PrometheusBuilder::new()
                .set_buckets_for_metric(
                    Matcher::Suffix("duration_seconds".into()),
                    &[
                        0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5,
                        5.0,
                    ],
                )
                .unwrap_or_else(|_| PrometheusBuilder::new());
            let recorder = builder.build_recorder();
            let handle = recorder.handle();
            // Fails only if another recorder was installed first; then our handle
            // renders an empty registry rather than breaking start-up.
            if metrics::set_global_recorder(recorder).is_err() {
                tracing::warn!("a metrics recorder was already installed");
            }
            handle
        })
        .clone()
}

pub(crate) fn router() -> Router<AppState> {
    Router::new()
        .route("/healthz", get(|| async { "ok" }))
        .route("/readyz", get(readyz))
        .route("/metrics", get(render_metrics))
}

/// Ready when the store and the bus both answer.
async fn readyz(State(st): State<AppState>) -> Response {
    let db = st.svc.store.ping().await;
    let bus = st.svc.bus.ping().await;
    let body = serde_json::json!({
        "database": db.as_ref().map_or_else(|e| e.to_string(), |()| "ok".into()),
        "bus": bus.as_ref().map_or_else(|e| e.to_string(), |()| "ok".into()),
    });
    let status = if db.is_ok() && bus.is_ok() {
        StatusCode::OK
    } else {
        StatusCode::SERVICE_UNAVAILABLE
    };
    (status, Json(body)).into_response()
}

async fn render_metrics(State(st): State<AppState>) -> String {
    let (open, idle) = st.svc.store.pool_stats();
    metrics::gauge!("quan_db_pool_connections", "state" => "open").set(f64::from(open));
    metrics::gauge!("quan_db_pool_connections", "state" => "idle").set(f64::from(idle));
    metrics::gauge!("quan_ws_connections").set(st.ws.connections() as f64);
    metrics_handle().render()
}

pub(crate) async fn track(req: Request, next: Next) -> Response {
    let start = Instant::now();
    let route = req
        .extensions()
        .get::<MatchedPath>()
        .map_or_else(|| "unmatched".to_owned(), |m| m.as_str().to_owned());
    let method = req.method().as_str().to_owned();
    let res = next.run(req).await;
    let status = res.status().as_u16().to_string();
    let labels = [("method", method), ("route", route), ("status", status)];
    metrics::counter!("quan_http_requests_total", &labels).increment(1);
    metrics::histogram!("quan_http_request_duration_seconds", &labels)
        .record(start.elapsed().as_secs_f64());
    res
}
