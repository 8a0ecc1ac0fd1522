//! Payment endpoints: a buyer asks for their order's pay page; the payment
//! provider's webhook comes in here (signed, not signed in); staff read the log of
//! webhooks received for their org's payments.

use crate::AppState;
use crate::api::common::parse_id;
use crate::error::{ApiResult, Problem};
use crate::extract::{Auth, OrgCtx};
use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::HeaderMap;
use quan_core::commerce::payments;
use quan_core::commerce::port::{PaymentRecord, WebhookLogRecord};
use quan_core::ports::WebhookHeaders;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(pay_order))
        .routes(routes!(sandbox_webhook))
        .routes(routes!(webhook_log))
        .routes(routes!(reconciliation))
        .routes(routes!(last_reconciliation))
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct PaymentDto {
    pub id: String,
    pub order_id: String,
    pub provider: String,
    /// pending | succeeded | failed | cancelled
    pub status: String,
    pub amount_fen: i64,
    pub currency: String,
    /// The provider's hosted pay page (absolute): send the buyer there.
    pub pay_url: String,
}

fn payment_dto(p: &PaymentRecord) -> PaymentDto {
    PaymentDto {
        id: p.id.to_string(),
        order_id: p.order_id.to_string(),
        provider: p.provider.clone(),
        status: p.status.as_str().to_owned(),
        amount_fen: p.amount.fen(),
        currency: p.amount.currency().as_str().to_owned(),
        pay_url: p.pay_url.clone(),
    }
}

/// Opens (or reopens) the payment of the caller's unpaid order. The order is paid
/// when the provider's webhook says so, not when the buyer comes back.
#[utoipa::path(post, path = "/api/v1/me/orders/{order_id}/pay", tag = "commerce",
    params(("order_id" = String, Path)), security(("bearer" = []), ("session" = [])),
    responses((status = 200, body = PaymentDto), (status = 404, body = Problem), (status = 409, body = Problem),
        (status = 502, body = Problem)))]
pub async fn pay_order(
    State(st): State<AppState>,
    Auth(actor): Auth,
    Path(id): Path<String>,
) -> ApiResult<Json<PaymentDto>> {
    let p = payments::pay(&st.svc, &actor, parse_id(&id)?).await?;
    Ok(Json(payment_dto(&p)))
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct WebhookAckDto {
    /// paid | paid_too_late, seat_taken (both refunded at once) | not_paid | duplicate | stale | refunded | refund_failed
    pub outcome: String,
}

/// The sandbox provider's webhook (Standard Webhooks: `webhook-id`,
/// `webhook-timestamp`, `webhook-signature`). Refused unless signed with the
/// sandbox secret within five minutes; a repeat is acknowledged and not applied.
#[utoipa::path(post, path = "/api/v1/payments/sandbox/webhook", tag = "commerce",
    request_body(content = String, content_type = "application/json"),
    responses((status = 200, body = WebhookAckDto), (status = 401, body = Problem), (status = 404, body = Problem),
        (status = 422, body = Problem)))]
pub async fn sandbox_webhook(
    State(st): State<AppState>,
    headers: HeaderMap,
    body: Bytes,
) -> ApiResult<Json<WebhookAckDto>> {
    let h = |name: &str| {
        headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .chars()
            .take(512)
            .collect::<String>()
    };
    let hooks = WebhookHeaders {
        id: h("webhook-id"),
        timestamp: h("webhook-timestamp"),
        signature: h("webhook-signature"),
    };
    let outcome = payments::webhook(&st.svc, &hooks, &body).await?;
    Ok(Json(WebhookAckDto {
        outcome: outcome.as_str().to_owned(),
    }))
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct WebhookLogDto {
    pub webhook_id: String,
    pub provider: String,
    pub payment_id: Option<String>,
    pub outcome: String,
    pub received_at: i64,
}

fn log_dto(w: &WebhookLogRecord) -> WebhookLogDto {
    WebhookLogDto {
        webhook_id: w.webhook_id.clone(),
        provider: w.provider.clone(),
        payment_id: w.payment_id.map(|p| p.to_string()),
        outcome: w.outcome.clone(),
        received_at: w.received_at.millis(),
    }
}

/// Webhooks received for the org's payments, newest first (at most 100).
#[utoipa::path(get, path = "/api/v1/orgs/{org_id}/payments/webhooks", tag = "commerce",
    params(("org_id" = String, Path)), security(("bearer" = []), ("session" = [])),
    responses((status = 200, body = [WebhookLogDto])))]
pub async fn webhook_log(
    State(st): State<AppState>,
    ctx: OrgCtx,
) -> ApiResult<Json<Vec<WebhookLogDto>>> {
    let log = payments::log(&st.svc, &ctx.access, 100).await?;
    Ok(Json(log.iter().map(log_dto).collect()))
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct DifferenceDto {
    /// provider_paid_not_recorded | recorded_paid_not_at_provider |
    /// provider_refunded_not_recorded | recorded_refund_not_at_provider | amount_differs
    pub kind: String,
    /// Quan's payment or refund id.
    pub quan_ref: String,
    pub amount_fen: i64,
    pub currency: String,
}

/// Where the payment provider's records and the org's payments and refunds of the
/// last 30 days disagree (empty: they agree).
#[utoipa::path(get, path = "/api/v1/orgs/{org_id}/payments/reconciliation", tag = "commerce",
    params(("org_id" = String, Path)), security(("bearer" = []), ("session" = [])),
    responses((status = 200, body = [DifferenceDto]), (status = 502, body = Problem)))]
pub async fn reconciliation(
    State(st): State<AppState>,
    ctx: OrgCtx,
) -> ApiResult<Json<Vec<DifferenceDto>>> {
    let d = quan_core::commerce::reconcile::differences(&st.svc, &ctx.access).await?;
    Ok(Json(d.iter().map(difference_dto).collect()))
}

fn difference_dto(d: &quan_core::commerce::reconcile::Difference) -> DifferenceDto {
    DifferenceDto {
        kind: d.kind.to_owned(),
        quan_ref: d.quan_ref.clone(),
        amount_fen: d.amount.fen(),
        currency: d.amount.currency().as_str().to_owned(),
    }
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct ReconcileRunDto {
    /// When the hourly job last compared the org's payments with the provider's
    /// records (milliseconds since the epoch); None before its first run.
    pub ran_at: Option<i64>,
    /// What disagreed then.
    pub differences: Vec<DifferenceDto>,
}

/// The hourly reconciliation job's last run for the org.
#[utoipa::path(get, path = "/api/v1/orgs/{org_id}/payments/reconciliation/last", tag = "commerce",
    params(("org_id" = String, Path)), security(("bearer" = []), ("session" = [])),
    responses((status = 200, body = ReconcileRunDto), (status = 403, body = Problem)))]
pub async fn last_reconciliation(
    State(st): State<AppState>,
    ctx: OrgCtx,
) -> ApiResult<Json<ReconcileRunDto>> {
    let run = quan_core::commerce::reconcile::last_run(&st.svc, &ctx.access).await?;
    Ok(Json(ReconcileRunDto {
        ran_at: run.as_ref().map(|(at, _)| at.millis()),
        differences: run
            .map(|(_, d)| d.iter().map(difference_dto).collect())
            .unwrap_or_default(),
    }))
}
