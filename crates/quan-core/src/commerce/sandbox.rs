//! The sandbox payment provider, built in for development, the demo and tests, and
//! shaped like a real one: it keeps its own ledger of charges, hosts a pay page
//! (pay, fail, cancel; `/sandbox/pay/{charge}`), and confirms by a webhook signed by
//! the Standard Webhooks scheme, sent later by a durable job over HTTP to Quan's
//! public address and retried with backoff — so a buyer's redirect proves nothing
//! and a repeated or late webhook must be handled as from any provider.

use super::Result;
use super::error::CommerceError;
use super::port::{ChargeRecord, SandboxRefundRecord};
use crate::Services;
use crate::jobs::port::NewJob;
use crate::ports::{
    Charge, ChargeEvent, ChargeOutcome, ChargeRequest, Clock, Hook, PaymentError, PaymentProvider,
    ProviderEvent, ProviderRecord, RefundEvent, RefundRequest, Store, WebhookHeaders,
};
use async_trait::async_trait;
use quan_domain::{ChargeId, Currency, Money, PaymentId, RefundId};
use serde_json::json;
use std::sync::Arc;

/// The job that sends a decided charge's webhook.
pub const NOTIFY: &str = "commerce.sandbox_notify";
/// Where Quan receives the sandbox's webhooks, under the public address.
pub const WEBHOOK_PATH: &str = "/api/v1/payments/sandbox/webhook";

/// The sandbox as Quan's [`PaymentProvider`].
pub struct SandboxProvider {
    store: Arc<dyn Store>,
    clock: Arc<dyn Clock>,
    verifier: standardwebhooks::Webhook,
    public_url: String,
}

impl SandboxProvider {
    /// `secret` is `whsec_` and base64 (what [`new_secret`] makes).
    pub fn new(
        store: Arc<dyn Store>,
        clock: Arc<dyn Clock>,
        secret: &str,
        public_url: &str,
    ) -> Result<Self, String> {
        let verifier = standardwebhooks::Webhook::new(secret)
            .map_err(|e| format!("commerce.sandbox_secret: {e}"))?;
        Ok(Self {
            store,
            clock,
            verifier,
            public_url: public_url.trim_end_matches('/').to_owned(),
        })
    }
}

/// A fresh signing secret for a node that was not given one.
pub fn new_secret() -> String {
    use base64::Engine as _;
    let bytes: [u8; 24] = rand::random();
    format!(
        "whsec_{}",
        base64::engine::general_purpose::STANDARD.encode(bytes)
    )
}

#[async_trait]
impl PaymentProvider for SandboxProvider {
    fn name(&self) -> &'static str {
        "sandbox"
    }

    async fn create_charge(&self, req: &ChargeRequest) -> Result<Charge, PaymentError> {
        let c = self
            .store
            .sandbox_open(&ChargeRecord {
                id: ChargeId::new(),
                payment: req.payment,
                amount: req.amount,
                description: req.description.clone(),
                return_url: req.return_url.clone(),
                status: "open".to_owned(),
                created_at: self.clock.now(),
                decided_at: None,
            })
            .await
            .map_err(|e| PaymentError::Provider(e.to_string()))?;
        Ok(Charge {
            provider_ref: c.id.to_string(),
            pay_url: format!("{}/sandbox/pay/{}", self.public_url, c.id),
        })
    }

    async fn refund(&self, req: &RefundRequest) -> Result<(), PaymentError> {
        let charge: ChargeId = req
            .provider_ref
            .parse()
            .map_err(|_| PaymentError::Provider("no such charge".to_owned()))?;
        let notify = NewJob {
            id: quan_domain::JobId::new(),
            kind: NOTIFY.to_owned(),
            payload: json!({"refund": req.refund.to_string()}),
            run_at: self.clock.now(),
            max_attempts: 12,
            dedupe_key: Some(format!("sandbox-refund:{}", req.refund)),
        };
        let r = SandboxRefundRecord {
            id: req.refund,
            charge,
            amount: req.amount,
            created_at: self.clock.now(),
        };
        // Keyed by Quan's refund id: asked twice, refunded once.
        if self
            .store
            .sandbox_refund(&r, &notify)
            .await
            .map_err(|e| PaymentError::Provider(e.to_string()))?
        {
            Ok(())
        } else {
            Err(PaymentError::Provider(
                "the charge was not paid, or is refunded already".to_owned(),
            ))
        }
    }

    async fn records(
        &self,
        since: quan_domain::Timestamp,
        limit: i64,
    ) -> Result<Vec<ProviderRecord>, PaymentError> {
        self.store
            .sandbox_records(since, limit)
            .await
            .map_err(|e| PaymentError::Provider(e.to_string()))
    }

    fn verify_webhook(
        &self,
        headers: &WebhookHeaders,
        body: &[u8],
    ) -> Result<ProviderEvent, PaymentError> {
        let mut map = http::HeaderMap::new();
        for (name, value) in [
            (standardwebhooks::HEADER_WEBHOOK_ID, &headers.id),
            (
                standardwebhooks::HEADER_WEBHOOK_TIMESTAMP,
                &headers.timestamp,
            ),
            (
                standardwebhooks::HEADER_WEBHOOK_SIGNATURE,
                &headers.signature,
            ),
        ] {
            if let Ok(v) = http::HeaderValue::from_str(value) {
                map.insert(name, v);
            }
        }
        self.verifier.verify(body, &map).map_err(|e| match e {
            standardwebhooks::WebhookError::TimestampTooOldError
            | standardwebhooks::WebhookError::FutureTimestampError => PaymentError::Stale,
            _ => PaymentError::BadSignature,
        })?;
        let v: serde_json::Value =
            serde_json::from_slice(body).map_err(|e| PaymentError::BadBody(e.to_string()))?;
        let bad = |what: &str| PaymentError::BadBody(what.to_owned());
        let kind = v
            .get("type")
            .and_then(serde_json::Value::as_str)
            .ok_or_else(|| bad("type"))?;
        let data = v.get("data").ok_or_else(|| bad("data"))?;
        let field = |k: &str| data.get(k).and_then(serde_json::Value::as_str);
        let currency =
            Currency::parse(field("currency").unwrap_or_default()).map_err(|_| bad("currency"))?;
        let fen = data
            .get("amount_fen")
            .and_then(serde_json::Value::as_i64)
            .ok_or_else(|| bad("amount_fen"))?;
        let amount = Money::from_fen(fen, currency);
        if let Some(rest) = kind.strip_prefix("refund.") {
            let refund: RefundId = field("refund")
                .and_then(|s| s.parse().ok())
                .ok_or_else(|| bad("refund"))?;
            let succeeded = match rest {
                "succeeded" => true,
                "failed" => false,
                _ => return Err(bad("type")),
            };
            return Ok(ProviderEvent::Refund(RefundEvent {
                webhook_id: headers.id.clone(),
                refund,
                amount,
                succeeded,
            }));
        }
        let outcome = kind
            .strip_prefix("charge.")
            .and_then(ChargeOutcome::parse)
            .ok_or_else(|| bad("type"))?;
        let payment: PaymentId = field("payment")
            .and_then(|s| s.parse().ok())
            .ok_or_else(|| bad("payment"))?;
        Ok(ProviderEvent::Charge(ChargeEvent {
            webhook_id: headers.id.clone(),
            payment,
            outcome,
            amount,
        }))
    }
}

/// A charge, for its pay page (the link is the provider's: no sign-in, as with a
/// real provider's hosted page).
pub async fn charge(svc: &Services, id: ChargeId) -> Result<ChargeRecord> {
    svc.store
        .sandbox_get(id)
        .await?
        .ok_or(CommerceError::NotFound)
}

/// The buyer pays, fails or cancels on the pay page; the webhook follows by job.
/// A decided charge cannot be decided again (a failed one may be paid on retry).
pub async fn decide(svc: &Services, id: ChargeId, outcome: ChargeOutcome) -> Result<ChargeRecord> {
    let c = charge(svc, id).await?;
    let job = NewJob {
        id: quan_domain::JobId::new(),
        kind: NOTIFY.to_owned(),
        payload: json!({"charge": c.id.to_string(), "outcome": outcome.as_str()}),
        run_at: svc.clock.now(),
        max_attempts: 12,
        dedupe_key: Some(format!("sandbox:{}:{}", c.id, outcome.as_str())),
    };
    if !svc
        .store
        .sandbox_decide(id, outcome.as_str(), svc.clock.now(), &job)
        .await?
    {
        return Err(CommerceError::OrderState {
            code: "charge_decided",
            message: "this payment was decided already".to_owned(),
        });
    }
    charge(svc, id).await
}

/// A charge's webhook id for an outcome: the same on every retry, as a provider's.
pub fn webhook_id(c: &ChargeRecord, outcome: ChargeOutcome) -> String {
    format!("msg_{}_{}", c.id.as_uuid().simple(), outcome.as_str())
}

/// Standard Webhooks headers for `body`, signed now with `secret`: what the notify
/// job's sender adds (the demo hands its notices over in-process with them).
pub fn signed_headers(secret: &str, id: &str, body: &str) -> Result<WebhookHeaders, String> {
    let ts = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_err(|e| e.to_string())?
        .as_secs();
    let ts = i64::try_from(ts).map_err(|e| e.to_string())?;
    let signature = standardwebhooks::Webhook::new(secret)
        .and_then(|w| w.sign(id, ts, body.as_bytes()))
        .map_err(|e| e.to_string())?;
    Ok(WebhookHeaders {
        id: id.to_owned(),
        timestamp: ts.to_string(),
        signature,
    })
}

/// The body of a charge's webhook.
pub fn webhook_body(c: &ChargeRecord, outcome: ChargeOutcome) -> String {
    json!({
        "type": format!("charge.{}", outcome.as_str()),
        "data": {
            "charge": c.id.to_string(),
            "payment": c.payment.to_string(),
            "amount_fen": c.amount.fen(),
            "currency": c.amount.currency().as_str(),
        }
    })
    .to_string()
}

/// A sandbox refund's webhook: (id, body).
pub fn refund_webhook(r: &SandboxRefundRecord) -> (String, String) {
    let body = json!({
        "type": "refund.succeeded",
        "data": {
            "refund": r.id.to_string(),
            "charge": r.charge.to_string(),
            "amount_fen": r.amount.fen(),
            "currency": r.amount.currency().as_str(),
        }
    })
    .to_string();
    (format!("msg_rf_{}", r.id.as_uuid().simple()), body)
}

/// The notify job: sends a decided charge's (or a refund's) webhook to Quan's
/// public address; an error retries it later, with the same `webhook-id`.
#[tracing::instrument(skip_all)]
pub async fn notify(
    svc: &Services,
    payload: &serde_json::Value,
) -> std::result::Result<(), String> {
    let field = |k: &str| payload.get(k).and_then(serde_json::Value::as_str);
    let (hook_id, body) = if let Some(refund) = field("refund") {
        let id: RefundId = refund.parse().map_err(|_| "a bad refund id")?;
        let r = svc
            .store
            .sandbox_refund_get(id)
            .await
            .map_err(|e| e.to_string())?
            .ok_or("a notify job for no refund")?;
        refund_webhook(&r)
    } else {
        let id: ChargeId = field("charge")
            .and_then(|s| s.parse().ok())
            .ok_or("a notify job without a charge")?;
        let outcome = field("outcome")
            .and_then(ChargeOutcome::parse)
            .ok_or("a notify job without an outcome")?;
        let c = charge(svc, id).await.map_err(|e| e.to_string())?;
        (webhook_id(&c, outcome), webhook_body(&c, outcome))
    };
    let url = format!("{}{WEBHOOK_PATH}", svc.outbound.public_url);
    svc.outbound
        .webhooks
        .post(&Hook {
            url: &url,
            secret: &svc.commerce.sandbox_secret,
            id: &hook_id,
            body: &body,
        })
        .await
        .map_err(|e| e.to_string())
}
