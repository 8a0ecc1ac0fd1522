//! 1:1 conversations between a staff member and a customer, and the customer's
//! consent. A conversation is a contact's messages: the staff side reads it in the
//! console with the customer beside it, the customer in the member app. A new
//! message is pushed to both accounts' topics (`account:<id>`), so open pages update
//! live; the log of record is the store.

use super::error::ReachError;
use super::port::{ContactRecord, MessageKind, ReachMessageRecord};
use super::{HOLDERS, Result, end_contact, require, restage, visible_contact};
use crate::Services;
use crate::access::{Actor, OrgAccess, require_scope};
use crate::notify::account_topic;
use quan_domain::{ContactId, MESSAGE_MAX_CHARS, OrgId, ReachMessageId, Scope};
use serde_json::json;

/// Messages per page of a conversation.
pub const PAGE: i64 = 50;

/// Pushes a stored message to the staff member and the customer.
pub(crate) async fn announce_message(svc: &Services, c: &ContactRecord, m: &ReachMessageRecord) {
    let mut to = vec![c.staff_id];
    to.extend(c.person_account);
    push_message(svc, &to, m).await;
}

/// Pushes a stored message to these accounts' live topics.
pub(crate) async fn push_message(
    svc: &Services,
    to: &[quan_domain::AccountId],
    m: &ReachMessageRecord,
) {
    let payload = json!({
        "kind": "reach.message",
        "contact": m.contact_id.to_string(),
        "from_staff": m.from_staff,
        "body": m.body,
        "at": m.visible_at.millis(),
    })
    .to_string();
    for a in to.iter().copied() {
        if let Err(e) = svc.bus.publish(&account_topic(a), &payload).await {
            tracing::warn!(error = %e, "message not pushed");
        }
    }
}

fn body(raw: &str) -> Result<String> {
    Ok(crate::input::text(raw, "body", MESSAGE_MAX_CHARS, true)?)
}

async fn store_message(
    svc: &Services,
    c: &ContactRecord,
    from_staff: bool,
    text: String,
) -> Result<ReachMessageRecord> {
    if c.removed_at.is_some() {
        return Err(ReachError::NotFound);
    }
    let now = svc.clock.now();
    let m = ReachMessageRecord {
        id: ReachMessageId::new(),
        org_id: c.org_id,
        contact_id: c.id,
        from_staff,
        kind: MessageKind::Message,
        body: text,
        campaign_id: None,
        dedupe: None,
        created_at: now,
        visible_at: now,
        read_at: None,
    };
    svc.store.reach_message_insert(&m).await?;
    announce_message(svc, c, &m).await;
    Ok(m)
}

/// A conversation as its staff member (or a manager) sees it, newest first; reading
/// it marks the customer's messages read.
pub async fn staff_messages(
    svc: &Services,
    access: &OrgAccess,
    contact: ContactId,
    before: Option<ReachMessageId>,
) -> Result<(ContactRecord, Vec<ReachMessageRecord>)> {
    require(access, Scope::Read, HOLDERS)?;
    let c = visible_contact(svc, access, contact).await?;
    let now = svc.clock.now();
    let msgs = svc.store.reach_messages(c.id, now, before, PAGE).await?;
    if c.staff_id == access.account() {
        svc.store.reach_messages_read(c.id, false, now).await?;
    }
    Ok((c, msgs))
}

/// The staff member writes to their customer.
pub async fn staff_send(
    svc: &Services,
    access: &OrgAccess,
    contact: ContactId,
    raw: &str,
) -> Result<ReachMessageRecord> {
    require(access, Scope::Write, HOLDERS)?;
    let text = body(raw)?;
    let c = visible_contact(svc, access, contact).await?;
    if c.staff_id != access.account() {
        // Managers read conversations; only the relationship's owner writes in it.
        return Err(ReachError::Forbidden);
    }
    store_message(svc, &c, true, text).await
}

/// A contact of the calling account, as its customer.
async fn my_contact(svc: &Services, actor: &Actor, contact: ContactId) -> Result<ContactRecord> {
    svc.store
        .contacts_of_account(actor.account_id(), svc.clock.now())
        .await?
        .into_iter()
        .find(|c| c.id == contact)
        .ok_or(ReachError::NotFound)
}

/// The member app's conversations: every staff member who holds the caller as a
/// customer, in every org, with unread counts.
pub async fn inbox(svc: &Services, actor: &Actor) -> Result<Vec<ContactRecord>> {
    require_scope(actor, Scope::Read)?;
    Ok(svc
        .store
        .contacts_of_account(actor.account_id(), svc.clock.now())
        .await?)
}

/// One conversation as the customer sees it; reading marks the staff's messages read.
pub async fn my_messages(
    svc: &Services,
    actor: &Actor,
    contact: ContactId,
    before: Option<ReachMessageId>,
) -> Result<(ContactRecord, Vec<ReachMessageRecord>)> {
    require_scope(actor, Scope::Read)?;
    let c = my_contact(svc, actor, contact).await?;
    let now = svc.clock.now();
    let msgs = svc.store.reach_messages(c.id, now, before, PAGE).await?;
    svc.store.reach_messages_read(c.id, true, now).await?;
    Ok((c, msgs))
}

/// The customer replies; talking moves routing to this staff member and counts
/// toward their stage.
pub async fn reply(
    svc: &Services,
    actor: &Actor,
    contact: ContactId,
    raw: &str,
) -> Result<ReachMessageRecord> {
    require_scope(actor, Scope::Write)?;
    let text = body(raw)?;
    let c = my_contact(svc, actor, contact).await?;
    let m = store_message(svc, &c, false, text).await?;
    restage(svc, c.org_id, c.person_id).await?;
    // Reply-waits first: an auto-reply that fails must not hold them for days.
    super::journeys::on_reply(svc, &c).await;
    super::auto::on_customer_message(svc, &c, &m.body).await?;
    Ok(m)
}

/// The customer deletes the staff member (the relationship ends, by the customer).
pub async fn leave(svc: &Services, actor: &Actor, contact: ContactId) -> Result<()> {
    require_scope(actor, Scope::Write)?;
    let c = my_contact(svc, actor, contact).await?;
    end_contact(svc, &c, "customer", Some(actor.account_id())).await
}

/// The person the caller is in an org.
async fn person_in(svc: &Services, actor: &Actor, org: OrgId) -> Result<quan_domain::PersonId> {
    svc.store
        .persons_of_account(actor.account_id())
        .await?
        .into_iter()
        .find(|(_, o, _)| *o == org)
        .map(|(p, _, _)| p)
        .ok_or(ReachError::NotFound)
}

/// Whether the caller opted out of an org's campaigns (as a customer there).
pub async fn opted_out(svc: &Services, actor: &Actor, org: OrgId) -> Result<bool> {
    require_scope(actor, Scope::Read)?;
    let person = person_in(svc, actor, org).await?;
    Ok(svc.store.consent_opted_out(org, person).await?)
}

/// Opts the caller out of (or back into) everything an org sends in bulk:
/// campaigns, journeys' messages and moments (the consent centre sets them one by
/// one). Audiences read consent when they are planned, so the next preflight
/// already honours it.
pub async fn set_opt_out(svc: &Services, actor: &Actor, org: OrgId, out: bool) -> Result<()> {
    let all = !out;
    super::consent::set(
        svc,
        actor,
        org,
        super::consent::ConsentChange {
            campaigns: all,
            journeys: all,
            moments: all,
            // How often stays as they chose it.
            frequency: None,
        },
    )
    .await
}
