//! Delivery out of Quan: e-mail over SMTP (lettre) and webhooks signed by the
//! Standard Webhooks scheme (the `standardwebhooks` crate), over reqwest.

use async_trait::async_trait;
use lettre::message::Body;
use lettre::message::Mailbox;
use lettre::message::header::{ContentTransferEncoding, ContentType, HeaderName, HeaderValue};
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use quan_core::{Hook, Mail, Mailer, OutboundError, WebhookSender};
use std::time::Duration;

/// An SMTP relay: `smtp://host:port` (plain, for a local relay), `smtp://…?tls=required`
/// (STARTTLS) or `smtps://host` (TLS), with `user:password@` when it asks.
pub struct SmtpMailer {
    transport: AsyncSmtpTransport<Tokio1Executor>,
    from: Mailbox,
}

impl std::fmt::Debug for SmtpMailer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SmtpMailer")
            .field("from", &self.from.email.to_string())
            .finish()
    }
}

impl SmtpMailer {
    /// `from`: the envelope sender, `noreply@example.com`.
    pub fn new(url: &str, from: &str) -> Result<Self, String> {
        let transport = AsyncSmtpTransport::<Tokio1Executor>::from_url(url)
            .map_err(|e| format!("smtp.url: {e}"))?
            .timeout(Some(Duration::from_secs(20)))
            .build();
        let from: Mailbox = from.parse().map_err(|e| format!("smtp.from: {e}"))?;
        Ok(Self { transport, from })
    }
}

#[async_trait]
impl Mailer for SmtpMailer {
    async fn send(&self, mail: &Mail) -> Result<(), OutboundError> {
        let to: Mailbox = format!("{} <{}>", quoted(&mail.to_name), mail.to)
            .parse()
            .or_else(|_| mail.to.parse())
            .map_err(|e| OutboundError::Refused(format!("address {}: {e}", mail.to)))?;
        let from = Mailbox::new(Some(mail.from_name.clone()), self.from.email.clone());
        let mut builder = Message::builder()
            .from(from)
            .to(to)
            .subject(mail.subject.clone())
            .header(ContentType::TEXT_PLAIN);
        builder = builder.raw_header(HeaderValue::new(
            HeaderName::new_from_ascii_str("List-Unsubscribe"),
            format!("<{}>", mail.unsubscribe),
        ));
        // 8bit keeps the text (and its links) readable as sent; a line too long for
        // it falls back to the encoding lettre picks.
        let body = Body::new_with_encoding(mail.text.clone(), ContentTransferEncoding::EightBit)
            .unwrap_or_else(|_| Body::new(mail.text.clone()));
        let msg = builder
            .body(body)
            .map_err(|e| OutboundError::Refused(e.to_string()))?;
        match self.transport.send(msg).await {
            Ok(_) => Ok(()),
            Err(e) if e.is_permanent() => Err(OutboundError::Refused(e.to_string())),
            Err(e) => Err(OutboundError::Failed(e.to_string())),
        }
    }
}

/// A display name as an RFC 5322 quoted string.
fn quoted(name: &str) -> String {
    format!("\"{}\"", name.replace(['\\', '"'], ""))
}

/// Posts signed JSON. A 2xx is delivered; 4xx other than 408/429 is refused for
/// good; anything else is tried again later.
#[derive(Debug, Clone)]
pub struct HttpWebhooks {
    client: reqwest::Client,
}

impl HttpWebhooks {
    pub fn new() -> Result<Self, String> {
        let client = reqwest::Client::builder()
            .timeout(Duration::from_secs(15))
            .redirect(reqwest::redirect::Policy::none())
            .user_agent(concat!("Quan/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| e.to_string())?;
        Ok(Self { client })
    }
}

#[async_trait]
impl WebhookSender for HttpWebhooks {
    async fn post(&self, hook: &Hook<'_>) -> Result<(), OutboundError> {
        let signer = standardwebhooks::Webhook::new(hook.secret)
            .map_err(|e| OutboundError::Refused(format!("signing secret: {e}")))?;
        let ts = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
            .unwrap_or(0);
        let signature = signer
            .sign(hook.id, ts, hook.body.as_bytes())
            .map_err(|e| OutboundError::Refused(format!("signing: {e}")))?;
        let res = self
            .client
            .post(hook.url)
            .header("content-type", "application/json")
            .header(standardwebhooks::HEADER_WEBHOOK_ID, hook.id)
            .header(standardwebhooks::HEADER_WEBHOOK_TIMESTAMP, ts.to_string())
            .header(standardwebhooks::HEADER_WEBHOOK_SIGNATURE, signature)
            .body(hook.body.to_owned())
            .send()
            .await
            .map_err(|e| OutboundError::Failed(e.to_string()))?;
        let status = res.status();
        if status.is_success() {
            Ok(())
        } else if status.is_client_error() && status.as_u16() != 408 && status.as_u16() != 429 {
            Err(OutboundError::Refused(format!(
                "the endpoint answered {status}"
            )))
        } else {
            Err(OutboundError::Failed(format!(
                "the endpoint answered {status}"
            )))
        }
    }
}
