//! The payment provider port: how an order's money is asked for and how the
//! provider's answer comes back. A provider hosts its own pay page and confirms
//! asynchronously by a signed webhook; Quan never trusts a redirect. The built-in
//! sandbox (`commerce::sandbox`) is one implementation; a real provider is another,
//! not a change to the use cases.

use async_trait::async_trait;
use quan_domain::{Money, PaymentId, RefundId};

/// What Quan asks a provider to charge.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChargeRequest {
    /// Quan's payment id: the provider's idempotency key and the reference its
    /// webhooks carry back.
    pub payment: PaymentId,
    pub amount: Money,
    /// Shown on the pay page: the org and the order.
    pub description: String,
    /// Where the pay page sends the buyer afterwards (absolute).
    pub return_url: String,
}

/// A charge the provider opened.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Charge {
    /// The provider's own id for it.
    pub provider_ref: String,
    /// The hosted pay page (absolute).
    pub pay_url: String,
}

/// The headers a webhook's signature travels in (Standard Webhooks names).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct WebhookHeaders {
    pub id: String,
    pub timestamp: String,
    pub signature: String,
}

/// What a provider's webhook says happened.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChargeOutcome {
    Succeeded,
    Failed,
    Cancelled,
}

impl ChargeOutcome {
    pub const fn as_str(self) -> &'static str {
        match self {
            ChargeOutcome::Succeeded => "succeeded",
            ChargeOutcome::Failed => "failed",
            ChargeOutcome::Cancelled => "cancelled",
        }
    }
    pub fn parse(raw: &str) -> Option<Self> {
        [Self::Succeeded, Self::Failed, Self::Cancelled]
            .into_iter()
            .find(|o| o.as_str() == raw)
    }
}

/// A verified webhook: which payment, what happened, for how much.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChargeEvent {
    /// The webhook's own id (a repeat carries the same one).
    pub webhook_id: String,
    pub payment: PaymentId,
    pub outcome: ChargeOutcome,
    pub amount: Money,
}

/// A refund Quan asks of a provider: the whole of a payment, keyed by Quan's
/// refund id so a retry never refunds twice.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RefundRequest {
    pub refund: RefundId,
    /// The provider's reference of the charge being refunded.
    pub provider_ref: String,
    pub amount: Money,
}

/// A verified refund webhook.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RefundEvent {
    pub webhook_id: String,
    pub refund: RefundId,
    pub amount: Money,
    pub succeeded: bool,
}

/// What a verified webhook is about.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ProviderEvent {
    Charge(ChargeEvent),
    Refund(RefundEvent),
}

/// One of the provider's own records, for reconciliation: a charge (keyed by
/// Quan's payment id) or a refund (keyed by Quan's refund id), and whether the
/// provider counts it as done.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProviderRecord {
    pub refund: bool,
    /// Quan's payment id (a charge) or refund id (a refund).
    pub quan_ref: String,
    pub amount: Money,
    pub done: bool,
}

/// Why a provider call or a webhook was refused.
#[derive(Debug, thiserror::Error)]
pub enum PaymentError {
    /// The signature does not match, or a header is missing.
    #[error("the webhook's signature does not verify")]
    BadSignature,
    /// Signed outside the replay window (too old, or from the future).
    #[error("the webhook is outside the replay window")]
    Stale,
    /// Signed, but not a body this provider sends.
    #[error("the webhook's body is not understood: {0}")]
    BadBody(String),
    /// The provider could not be reached or refused the call.
    #[error("the payment provider failed: {0}")]
    Provider(String),
}

#[async_trait]
pub trait PaymentProvider: Send + Sync {
    /// A short stable name (`sandbox`), stored with each payment.
    fn name(&self) -> &'static str;
    /// Opens a charge; the same `payment` twice opens it once.
    async fn create_charge(&self, req: &ChargeRequest) -> Result<Charge, PaymentError>;
    /// Asks for a refund; accepted is not done: its webhook says when it is.
    async fn refund(&self, req: &RefundRequest) -> Result<(), PaymentError>;
    /// The provider's charges and refunds since `since` (at most `limit`), to compare
    /// with Quan's payments.
    async fn records(
        &self,
        since: quan_domain::Timestamp,
        limit: i64,
    ) -> Result<Vec<ProviderRecord>, PaymentError>;
    /// Verifies a webhook (signature in constant time, replay window) and reads it.
    fn verify_webhook(
        &self,
        headers: &WebhookHeaders,
        body: &[u8],
    ) -> Result<ProviderEvent, PaymentError>;
}
