//! Customer inheritance (离职继承 / 在职继承): an admin hands a staff member's
//! customers to receivers, at most 100 per batch. Each customer is told in the
//! member app and may refuse within 24 hours; after that the transfer completes (the
//! `reach.transfers` job, or [`complete_due`]). A refused on-job transfer leaves the
//! customer with their staff member; a refused resignation leaves them unassigned
//! and listed at risk. A customer moves at most twice in 90 days, and a receiver at
//! the cap is refused per customer, in the preview and again at completion.
//!
//! The state machine is `quan_domain::TransferState`; every step is driven by the
//! services' clock, so tests move time instead of sleeping.

use super::error::ReachError;
use super::port::{CompleteOutcome, ContactRecord, TransferRecord};
use super::{Result, policy_now, require, restage};
use crate::Services;
use crate::access::{Actor, OrgAccess, require_scope};
use crate::events::port::EventRecord;
use crate::events::{announce, new_event};
use crate::jobs::port::NewJob;
use crate::page::{Page, PageRequest};
use quan_domain::{
    AccountId, ContactId, JobId, ParseError, Role, Scope, TRANSFER_BATCH_MAX, TRANSFER_MESSAGE_MAX,
    TRANSFER_REFUSE_HOURS, TRANSFER_WINDOW_DAYS, TRANSFERS_PER_WINDOW, TransferEvent, TransferId,
    TransferKind, TransferState,
};
use serde_json::json;
use std::collections::HashMap;

/// The job kind that completes due transfers (queued when a batch starts, and each
/// minute by the worker as a sweep).
pub const COMPLETE: &str = "reach.transfers";
/// The index that keeps one pending transfer per person.
pub const TRANSFER_PENDING: &str = "transfers_pending_person_key";
/// Due transfers completed per run.
const DUE_BATCH: i64 = 500;

/// Who hands customers over.
const ADMINS: &[Role] = &[Role::Owner, Role::Admin];

/// A batch as the console asks for it.
#[derive(Debug, Clone)]
pub struct NewTransfer {
    pub kind: TransferKind,
    pub from: AccountId,
    pub contacts: Vec<ContactId>,
    /// Customers are dealt to receivers in turn, skipping one at the cap.
    pub receivers: Vec<AccountId>,
    pub message: String,
    pub note: String,
}

/// What the preview says of one customer.
#[derive(Debug, Clone, PartialEq)]
pub struct PreviewRow {
    pub contact: ContactRecord,
    /// Who would receive them; None with `refusal` when they cannot move.
    pub to: Option<AccountId>,
    /// `too_many_transfers`, `transfer_pending`, `receiver_at_cap` or `not_theirs`.
    pub refusal: Option<&'static str>,
}

async fn plan(svc: &Services, access: &OrgAccess, n: &NewTransfer) -> Result<Vec<PreviewRow>> {
    require(access, Scope::Write, ADMINS)?;
    if n.contacts.is_empty() || n.contacts.len() > TRANSFER_BATCH_MAX {
        return Err(ParseError::new(
            "contacts",
            "invalid_batch",
            format!("choose 1 to {TRANSFER_BATCH_MAX} customers"),
        )
        .into());
    }
    crate::input::text(&n.message, "message", TRANSFER_MESSAGE_MAX, false)?;
    crate::input::text(&n.note, "note", crate::input::REASON_MAX, false)?;
    let org = access.org();
    // The customers first: another org's contact is not found, whatever else.
    let mut seen = std::collections::HashSet::new();
    let mut theirs = Vec::with_capacity(n.contacts.len());
    for id in n.contacts.iter().filter(|c| seen.insert(**c)) {
        theirs.push(
            svc.store
                .contact_get(org, *id)
                .await?
                .ok_or(ReachError::NotFound)?,
        );
    }
    if n.receivers.is_empty() || n.receivers.contains(&n.from) {
        return Err(ParseError::new(
            "receivers",
            "invalid_receivers",
            "choose receivers other than the staff member handing over",
        )
        .into());
    }
    let cap = policy_now(svc, org).await?.contact_cap;
    let mut room: HashMap<AccountId, i64> = HashMap::new();
    let loads = svc.store.staff_loads(org).await?;
    for r in &n.receivers {
        let used = loads
            .iter()
            .find(|l| l.staff_id == *r)
            .ok_or(ReachError::NotStaff)?
            .contacts;
        room.insert(*r, cap - used);
    }
    let since = svc.clock.now().plus_secs(-TRANSFER_WINDOW_DAYS * 86_400);
    let mut turn = 0usize;
    let mut rows = Vec::with_capacity(theirs.len());
    for c in theirs {
        let refusal = if c.staff_id != n.from || c.removed_at.is_some() {
            Some("not_theirs")
        } else if svc.store.transfer_pending(c.person_id).await? {
            Some("transfer_pending")
        } else if svc.store.transfers_since(c.person_id, since).await? >= TRANSFERS_PER_WINDOW {
            Some("too_many_transfers")
        } else {
            None
        };
        let mut to = None;
        if refusal.is_none() {
            for k in 0..n.receivers.len() {
                let r = n.receivers[(turn + k) % n.receivers.len()];
                if room.get(&r).copied().unwrap_or(0) > 0 {
                    room.entry(r).and_modify(|left| *left -= 1);
                    to = Some(r);
                    turn = (turn + k + 1) % n.receivers.len();
                    break;
                }
            }
        }
        let refusal = refusal.or(if to.is_none() {
            Some("receiver_at_cap")
        } else {
            None
        });
        rows.push(PreviewRow {
            contact: c,
            to,
            refusal,
        });
    }
    Ok(rows)
}

/// Who would go to whom, and who cannot move and why; nothing changes.
pub async fn preview(
    svc: &Services,
    access: &OrgAccess,
    n: &NewTransfer,
) -> Result<Vec<PreviewRow>> {
    plan(svc, access, n).await
}

/// Starts the batch: a pending transfer for each customer who can move, told to
/// them at once. Returns the preview rows with the transfers made.
pub async fn create(
    svc: &Services,
    access: &OrgAccess,
    n: NewTransfer,
) -> Result<(Vec<PreviewRow>, Vec<TransferRecord>)> {
    let rows = plan(svc, access, &n).await?;
    let now = svc.clock.now();
    let due = now.plus_secs(TRANSFER_REFUSE_HOURS * 3600);
    let loads = svc.store.staff_loads(access.org()).await?;
    let name = |a: AccountId| {
        loads
            .iter()
            .find(|l| l.staff_id == a)
            .map(|l| l.name.clone())
            .unwrap_or_default()
    };
    let mut made: Vec<TransferRecord> = Vec::new();
    let mut events = Vec::new();
    for r in rows.iter().filter(|r| r.refusal.is_none()) {
        let Some(to) = r.to else { continue };
        let id = TransferId::new();
        let t = TransferRecord {
            id,
            org_id: access.org(),
            batch: made.first().map_or(id, |f| f.batch),
            person_id: r.contact.person_id,
            person_name: r.contact.person_name.clone(),
            from_contact: r.contact.id,
            from_staff: n.from,
            from_name: r.contact.staff_name.clone(),
            to_staff: to,
            to_name: name(to),
            kind: n.kind,
            message: n.message.trim().to_owned(),
            note: n.note.trim().to_owned(),
            state: TransferState::Pending,
            created_at: now,
            due_at: due,
            decided_at: None,
        };
        events.push(event(svc, &t, "transfer.started", Some(access.account())));
        made.push(t);
    }
    if !made.is_empty() {
        match svc
            .store
            .transfers_insert(&made, access.account(), &events)
            .await
        {
            Ok(()) => {}
            // Another batch started one of these customers' transfers meanwhile.
            Err(e) if e.is_conflict_on(TRANSFER_PENDING) => {
                return Err(ReachError::CampaignState(
                    "a transfer is already waiting for one of these customers; preview again",
                ));
            }
            Err(e) => return Err(e.into()),
        }
        for (t, e) in made.iter().zip(&events) {
            announce(svc, e).await;
            tell(svc, t).await;
        }
        schedule(svc).await;
    }
    Ok((rows, made))
}

fn event(svc: &Services, t: &TransferRecord, kind: &str, actor: Option<AccountId>) -> EventRecord {
    new_event(
        svc,
        t.org_id,
        kind,
        format!("person:{}", t.person_id),
        actor,
        json!({"transfer": t.id.to_string(), "kind": t.kind.as_str(),
               "from": t.from_staff.to_string(), "from_name": t.from_name,
               "to": t.to_staff.to_string(), "to_name": t.to_name, "state": t.state.as_str()}),
    )
}

/// Pushes the notice to the customer's account, where they have one.
async fn tell(svc: &Services, t: &TransferRecord) {
    let Ok(Some(c)) = svc.store.contact_get(t.org_id, t.from_contact).await else {
        return;
    };
    let Some(account) = c.person_account else {
        return;
    };
    let payload = json!({"kind": "reach.transfer", "transfer": t.id.to_string(),
                         "from_name": t.from_name, "to_name": t.to_name})
    .to_string();
    if let Err(e) = svc
        .bus
        .publish(&crate::notify::account_topic(account), &payload)
        .await
    {
        tracing::warn!(error = %e, "transfer notice not pushed");
    }
}

/// Makes sure a completion run is queued for when the first of these falls due.
async fn schedule(svc: &Services) {
    let at = svc.clock.now().plus_secs(TRANSFER_REFUSE_HOURS * 3600);
    let job = NewJob {
        id: JobId::new(),
        kind: COMPLETE.to_owned(),
        payload: json!({}),
        run_at: at,
        max_attempts: 5,
        dedupe_key: Some(format!("{COMPLETE}:{}", at.millis() / 60_000)),
    };
    if let Err(e) = svc.store.job_enqueue(&job).await {
        tracing::warn!(error = %e, "transfer completion not queued");
    }
}

/// The org's transfers, newest first (owners and admins).
pub async fn list(
    svc: &Services,
    access: &OrgAccess,
    page: &PageRequest,
) -> Result<Page<TransferRecord>> {
    require(access, Scope::Read, ADMINS)?;
    Ok(svc.store.transfer_list(access.org(), page).await?)
}

/// The caller's pending transfers, as a customer (the receiver's handover notes
/// are not theirs to read).
pub async fn mine(svc: &Services, actor: &Actor) -> Result<Vec<TransferRecord>> {
    require_scope(actor, Scope::Read)?;
    let mut all = svc.store.transfers_of_account(actor.account_id()).await?;
    for t in &mut all {
        t.note.clear();
    }
    Ok(all)
}

/// The customer refuses a pending transfer, within its window.
pub async fn refuse(svc: &Services, actor: &Actor, id: TransferId) -> Result<TransferRecord> {
    require_scope(actor, Scope::Write)?;
    let mut t = mine(svc, actor)
        .await?
        .into_iter()
        .find(|t| t.id == id)
        .ok_or(ReachError::NotFound)?;
    let now = svc.clock.now();
    t.state = t.state.next(&TransferEvent::Refuse { at: now }, t.due_at)?;
    let resigned = t.kind == TransferKind::Resigned;
    let mut events = vec![event(svc, &t, "transfer.refused", Some(actor.account_id()))];
    if resigned {
        events.push(new_event(
            svc,
            t.org_id,
            "contact.removed",
            format!("person:{}", t.person_id),
            None,
            json!({"staff": t.from_staff.to_string(), "staff_name": t.from_name, "by": "resigned"}),
        ));
    }
    if !svc
        .store
        .transfer_refuse(&t, resigned, now, &events)
        .await?
    {
        return Err(ReachError::CampaignState(
            "this transfer is decided already",
        ));
    }
    for e in &events {
        announce(svc, e).await;
    }
    t.decided_at = Some(now);
    Ok(t)
}

/// Completes every transfer whose window has passed; returns how many moved.
pub async fn complete_due(svc: &Services) -> Result<u64> {
    let now = svc.clock.now();
    let mut moved = 0;
    for t in svc.store.transfers_due(now, DUE_BATCH).await? {
        // One transfer that cannot complete does not hold up the others.
        match complete_one(svc, t).await {
            Ok(true) => moved += 1,
            Ok(false) => {}
            Err(e) => tracing::warn!(error = %e, "a due transfer did not complete"),
        }
    }
    Ok(moved)
}

/// Completes one due transfer; true if the customer moved.
async fn complete_one(svc: &Services, mut t: TransferRecord) -> Result<bool> {
    let now = svc.clock.now();
    let cap = policy_now(svc, t.org_id).await?.contact_cap;
    t.state = t.state.next(&TransferEvent::Lapse { at: now }, t.due_at)?;
    let events = [
        event(svc, &t, "transfer.completed", None),
        new_event(
            svc,
            t.org_id,
            "contact.added",
            format!("person:{}", t.person_id),
            None,
            json!({"staff": t.to_staff.to_string(), "staff_name": t.to_name, "source": "transfer"}),
        ),
    ];
    let out = svc
        .store
        .transfer_complete(&t, ContactId::new(), cap, now, &events)
        .await?;
    match out {
        CompleteOutcome::Completed => {
            for e in &events {
                announce(svc, e).await;
            }
            restage(svc, t.org_id, t.person_id).await?;
            Ok(true)
        }
        CompleteOutcome::ReceiverAtCap => {
            svc.store
                .transfer_fail(t.id, "receiver_at_cap", now)
                .await?;
            Ok(false)
        }
        // The customer left their staff member meanwhile: nobody receives them.
        CompleteOutcome::ContactEnded => {
            svc.store.transfer_fail(t.id, "contact_ended", now).await?;
            Ok(false)
        }
        CompleteOutcome::AlreadyDecided => Ok(false),
    }
}
