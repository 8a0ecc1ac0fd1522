//! Delivery beyond the member app: a campaign's messages may also go out by e-mail
//! (through the node's [`crate::ports::Mailer`]) and to the org's signed webhook
//! (Standard Webhooks: `webhook-id`, `webhook-timestamp`, `webhook-signature`), for
//! integrations that deliver elsewhere (SMS, a work messenger).
//!
//! A confirmed share writes its deliveries in the same transaction as its messages
//! (an outbox); the `reach.deliver` job drains them once each message shows (quiet
//! hours hold e-mail and webhooks too), with retries and backoff, and re-reads the
//! address and consent at the time of sending. The webhook id is the message's, the
//! same on every try, so a receiver drops a repeat. A link card's clicks are counted
//! through `/l/{message}`.

use super::error::ReachError;
use super::port::{Channel, DeliveryStatus, DueDelivery, EndpointRecord};
use super::{Result, require};
use crate::Services;
use crate::access::OrgAccess;
use crate::jobs::port::NewJob;
use crate::ports::{Hook, Mail, OutboundError};
use quan_domain::{JobId, ReachMessageId, Role, Scope};
use serde_json::json;

/// The job kind that drains the outbox (minutely, and right after a share).
pub const DELIVER: &str = "reach.deliver";
/// Tries before a delivery is given up as failed.
pub const MAX_TRIES: i64 = 6;
/// Wait after the n-th failed try: 1 min, 5 min, 30 min, 2 h, 8 h.
const BACKOFF_SECS: [i64; 5] = [60, 300, 1800, 7200, 28_800];
/// Deliveries taken per claim: one, just before it is sent, so its lease only has
/// to outlast one send (SMTP gives up after 20 s, a webhook after 15 s).
const CLAIM: i64 = 1;
/// How long a claimed delivery is leased (a node that dies mid-send frees it then).
const LEASE_MS: i64 = 120_000;
/// How long one run may send before it ends (the next run goes on), so a slow
/// endpoint does not hold the node's job worker past the job's own lease.
const RUN_MS: u128 = 45_000;
/// Who sets the org's webhook (its secret signs in the org's name).
const ADMINS: &[Role] = &[Role::Owner, Role::Admin];

/// The absolute address of a message's link card, counted on each first click.
pub fn click_url(svc: &Services, message: ReachMessageId) -> String {
    format!("{}/l/{message}", svc.outbound.public_url)
}

/// Asks for a delivery run now (deduplicated by `key`); the minutely sweep is the
/// backstop when this is lost.
pub(crate) async fn kick(svc: &Services, key: &str) {
    let job = NewJob {
        id: JobId::new(),
        kind: DELIVER.to_owned(),
        payload: json!({}),
        run_at: svc.clock.now(),
        max_attempts: 1,
        dedupe_key: Some(format!("{DELIVER}:{key}")),
    };
    if let Err(e) = svc.store.job_enqueue(&job).await {
        tracing::warn!(error = %e, "delivery run not queued; the minutely sweep will send");
    }
}

/// The org's delivery webhook, for its owner and admins (it shows the secret).
pub async fn endpoint(svc: &Services, access: &OrgAccess) -> Result<Option<EndpointRecord>> {
    // The secret signs in the org's name: as sensitive as the admin scope.
    require(access, Scope::Admin, ADMINS)?;
    Ok(svc.store.endpoint_get(access.org()).await?)
}

/// The outside channels a campaign of this org may choose on this node: e-mail
/// when the node has an SMTP server, the webhook when the org has one.
pub async fn channels(svc: &Services, access: &OrgAccess) -> Result<super::port::Channels> {
    Ok(super::port::Channels {
        email: svc.outbound.mailer.is_some(),
        webhook: svc.store.endpoint_get(access.org()).await?.is_some(),
    })
}

/// Sets the org's webhook address; a new signing secret when there was none or
/// `rotate` asks for one.
pub async fn set_endpoint(
    svc: &Services,
    access: &OrgAccess,
    url: &str,
    rotate: bool,
) -> Result<EndpointRecord> {
    require(access, Scope::Admin, ADMINS)?;
    let parsed = crate::input::web_address(url, "url")?;
    let old = svc.store.endpoint_get(access.org()).await?;
    let secret = match old {
        Some(o) if !rotate => o.secret,
        _ => new_secret(),
    };
    let e = EndpointRecord {
        org_id: access.org(),
        url: parsed.to_string(),
        secret,
        created_by: Some(access.account()),
        created_at: svc.clock.now(),
    };
    svc.store.endpoint_put(&e).await?;
    Ok(e)
}

pub async fn delete_endpoint(svc: &Services, access: &OrgAccess) -> Result<()> {
    require(access, Scope::Admin, ADMINS)?;
    if !svc.store.endpoint_delete(access.org()).await? {
        return Err(ReachError::NotFound);
    }
    Ok(())
}

/// `whsec_` and 24 random bytes in standard base64, the form Standard Webhooks
/// libraries take.
fn new_secret() -> String {
    use base64::Engine;
    use rand::RngCore;
    let mut buf = [0u8; 24];
    rand::rng().fill_bytes(&mut buf);
    format!(
        "whsec_{}",
        base64::engine::general_purpose::STANDARD.encode(buf)
    )
}

/// A click on a message's link card: counted once, and where to send the person.
pub async fn click(svc: &Services, message: ReachMessageId) -> Result<String> {
    svc.store
        .message_click(message, svc.clock.now())
        .await?
        .ok_or(ReachError::NotFound)
}

/// The job: sends every due delivery, batch by batch. Returns how many it tried.
pub async fn run(svc: &Services) -> Result<u64> {
    let mut n = 0;
    let started = std::time::Instant::now();
    while started.elapsed().as_millis() < RUN_MS {
        let now = svc.clock.now();
        let batch = svc.store.deliveries_claim(now, LEASE_MS, CLAIM).await?;
        if batch.is_empty() {
            break;
        }
        for d in batch {
            n += 1;
            let (status, error, retry_at) = match send(svc, &d).await {
                Ok(Some(status)) => (status, None, None),
                Ok(None) => (DeliveryStatus::Sent, None, None),
                Err(OutboundError::Refused(e)) => (DeliveryStatus::Failed, Some(e), None),
                Err(OutboundError::Failed(e)) => {
                    let tries = d.attempts + 1;
                    if tries >= MAX_TRIES {
                        (DeliveryStatus::Failed, Some(e), None)
                    } else {
                        let i = usize::try_from(tries - 1)
                            .unwrap_or(0)
                            .min(BACKOFF_SECS.len() - 1);
                        (
                            DeliveryStatus::Pending,
                            Some(e),
                            Some(svc.clock.now().plus_secs(BACKOFF_SECS[i])),
                        )
                    }
                }
            };
            if let Some(e) = &error {
                tracing::warn!(message = %d.message, channel = d.channel.as_str(), error = %e, "delivery did not go");
            }
            svc.store
                .delivery_done(
                    (d.message, d.channel, d.attempts + 1),
                    status,
                    error.as_deref(),
                    retry_at,
                    svc.clock.now(),
                )
                .await?;
        }
    }
    Ok(n)
}

/// One try. `Ok(Some(Skipped))` when a rule says it must not go.
async fn send(
    svc: &Services,
    d: &DueDelivery,
) -> std::result::Result<Option<DeliveryStatus>, OutboundError> {
    if !d.reachable {
        return Ok(Some(DeliveryStatus::Skipped));
    }
    match d.channel {
        Channel::Email => {
            let Some(to) = d.email.clone() else {
                return Ok(Some(DeliveryStatus::Skipped));
            };
            let Some(mailer) = &svc.outbound.mailer else {
                // Another node may have one: try again later rather than give up.
                return Err(OutboundError::Failed(
                    "no SMTP server is configured on this node".into(),
                ));
            };
            mailer.send(&mail(svc, d, to)).await.map(|()| None)
        }
        Channel::Webhook => {
            let endpoint = svc
                .store
                .endpoint_get(d.org_id)
                .await
                .map_err(|e| OutboundError::Failed(e.to_string()))?
                .ok_or_else(|| OutboundError::Refused("the org's webhook was removed".into()))?;
            let body = payload(svc, d).to_string();
            let id = format!("msg_{}", d.message);
            let hook = Hook {
                url: &endpoint.url,
                secret: &endpoint.secret,
                id: &id,
                body: &body,
            };
            svc.outbound.webhooks.post(&hook).await.map(|()| None)
        }
    }
}

/// The e-mail: the message as the customer sees it in the app, from their staff
/// member, with where to stop such mail.
fn mail(svc: &Services, d: &DueDelivery, to: String) -> Mail {
    let privacy = format!("{}/app/privacy", svc.outbound.public_url);
    Mail {
        to,
        to_name: d.person_name.clone(),
        from_name: format!("{} · {}", d.staff_name, d.org_name),
        subject: d.campaign_name.clone(),
        text: format!(
            "{}\n\n--\n{} · {}\n选择你愿意收到的消息 / Choose what you receive: {privacy}\n",
            d.body, d.staff_name, d.org_name
        ),
        unsubscribe: privacy,
    }
}

/// The webhook's JSON, in the Standard Webhooks envelope (`type`, `timestamp`,
/// `data`): what an SMS gateway or work messenger needs to deliver the message.
fn payload(svc: &Services, d: &DueDelivery) -> serde_json::Value {
    json!({
        "type": "reach.message",
        "timestamp": svc.clock.now().rfc3339(),
        "data": {
            "message_id": d.message.to_string(),
            "org_id": d.org_id.to_string(),
            "campaign_id": d.campaign.to_string(),
            "campaign": d.campaign_name,
            "person_id": d.person.to_string(),
            "name": d.person_name,
            "staff": d.staff_name,
            "body": d.body,
            "link": d.link.as_ref().map(|l| json!({
                "title": l.title,
                "url": click_url(svc, d.message),
            })),
            "email": d.email,
            "phone": d.phone,
            "shown_at": d.visible_at.rfc3339(),
        }
    })
}
