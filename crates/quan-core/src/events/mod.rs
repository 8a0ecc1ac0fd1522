//! The event log and its live echo.
//!
//! A use case builds an [`EventRecord`], hands it to the store with the change it
//! records (same transaction), and after the commit calls [`announce`] so live
//! subscribers on every node hear of it. Losing an announcement (bus down) loses no
//! data: the log is the truth and clients can re-read it.

pub mod port;

use crate::Services;
use crate::access::AccessError;
use crate::access::OrgAccess;
use crate::events::port::EventRecord;
use crate::page::{Page, PageRequest};
use quan_domain::{AccountId, EventId, OrgId, Scope};
use serde_json::json;

type Result<T, E = AccessError> = std::result::Result<T, E>;

/// The bus topic carrying an org's events. Only staff of the org may subscribe.
pub fn org_topic(org: OrgId) -> String {
    format!("org:{org}")
}

/// Builds an event stamped with the services' clock.
pub fn new_event(
    svc: &Services,
    org: OrgId,
    kind: &str,
    subject: String,
    actor: Option<AccountId>,
    data: serde_json::Value,
) -> EventRecord {
    EventRecord {
        id: EventId::new(),
        org_id: org,
        kind: kind.to_owned(),
        subject,
        actor,
        data,
        at: svc.clock.now(),
    }
}

/// The wire form of an event, shared by the bus, WebSockets and webhooks.
pub fn event_json(e: &EventRecord) -> serde_json::Value {
    json!({
        "id": e.id.to_string(),
        "org_id": e.org_id.to_string(),
        "kind": e.kind,
        "subject": e.subject,
        "actor": e.actor.map(|a| a.to_string()),
        "data": e.data,
        "at": e.at.millis(),
    })
}

/// Publishes a committed event to live subscribers; failures are logged, not
/// returned, because the change itself already succeeded.
pub async fn announce(svc: &Services, e: &EventRecord) {
    let payload = event_json(e).to_string();
    if let Err(err) = svc.bus.publish(&org_topic(e.org_id), &payload).await {
        tracing::warn!(error = %err, kind = %e.kind, "event not announced on the bus");
    }
}

pub async fn list_events(
    svc: &Services,
    access: &OrgAccess,
    page: &PageRequest,
) -> Result<Page<crate::events::port::EventRecord>> {
    access.require_scope(Scope::Read)?;
    Ok(svc.store.event_list(access.org(), page).await?)
}
