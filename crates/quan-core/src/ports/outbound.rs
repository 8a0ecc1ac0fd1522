//! Outbound delivery: how reach's messages leave Quan besides the member app. An
//! e-mail goes through a [`Mailer`] (SMTP in `quan-infra`), a webhook through a
//! [`WebhookSender`] that signs by the Standard Webhooks scheme. Both are optional
//! for the rest of Quan: without a mailer a campaign cannot choose e-mail.

use async_trait::async_trait;
use std::sync::Arc;

/// One e-mail, plain text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mail {
    pub to: String,
    pub to_name: String,
    /// Shown as the sender's name (the org and its staff member).
    pub from_name: String,
    pub subject: String,
    pub text: String,
    /// Where the receiver stops these (the consent centre), for `List-Unsubscribe`.
    pub unsubscribe: String,
}

/// Why a delivery did not go.
#[derive(Debug, thiserror::Error)]
pub enum OutboundError {
    /// The other side refused it for good (a bad address, a 4xx from the hook).
    #[error("refused: {0}")]
    Refused(String),
    /// It may go on a later try (a timeout, a 5xx, the server down).
    #[error("failed: {0}")]
    Failed(String),
}

#[async_trait]
pub trait Mailer: Send + Sync {
    async fn send(&self, mail: &Mail) -> Result<(), OutboundError>;
}

/// One signed webhook call. Its `Debug` leaves the secret out.
#[derive(Clone)]
pub struct Hook<'a> {
    pub url: &'a str,
    /// `whsec_…`, the org's signing secret.
    pub secret: &'a str,
    /// Stable over retries, so the receiver can drop a repeat (`webhook-id`).
    pub id: &'a str,
    /// The JSON sent; signed with `webhook-timestamp` of the sender's wall clock
    /// (the receiver checks it against its own).
    pub body: &'a str,
}

impl std::fmt::Debug for Hook<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Hook")
            .field("url", &self.url)
            .field("id", &self.id)
            .finish_non_exhaustive()
    }
}

#[async_trait]
pub trait WebhookSender: Send + Sync {
    async fn post(&self, hook: &Hook<'_>) -> Result<(), OutboundError>;
}

/// What the node delivers with, and the absolute address links in messages use.
#[derive(Clone)]
pub struct Outbound {
    pub mailer: Option<Arc<dyn Mailer>>,
    pub webhooks: Arc<dyn WebhookSender>,
    /// `https://quan.example.com`, no trailing slash.
    pub public_url: String,
}

impl std::fmt::Debug for Outbound {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Outbound")
            .field("mailer", &self.mailer.is_some())
            .field("public_url", &self.public_url)
            .finish_non_exhaustive()
    }
}
