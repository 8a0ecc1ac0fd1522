//! Channel codes (渠道活码): a link and QR per channel. Opening one makes the opener
//! a contact of the next staff member in turn among those on duty by their weekly
//! shifts (the backup when none is, or when that one is at the cap), tags them,
//! records where they came from, and sends the code's welcome.
//!
//! The welcome goes out exactly once per contact: the message carries the dedupe key
//! `welcome:{contact}`, so the inline delivery after the add, the durable job that
//! backs it up, a duplicated event or a second node all end in one row.

use super::error::ReachError;
use super::port::{
    AddOutcome, ChannelCodeRecord, ContactRecord, ContactSource, MessageKind, ReachMessageRecord,
};
use super::{MANAGERS, Result, connect, policy_now, require};
use crate::Services;
use crate::access::{Actor, OrgAccess, require_scope};
use crate::events::{announce, new_event};
use crate::jobs::port::NewJob;
use quan_domain::{
    AccountId, ChannelCodeId, ChannelMode, ContactId, JobId, OrgId, ReachMessageId, Scope, Shift,
    Template, assignment_order, short_label,
};
use serde_json::json;

/// The job kind that delivers a welcome the inline path did not.
pub const WELCOME: &str = "reach.welcome";
/// Staff members and auto-tags a code may name.
pub const CODE_STAFF_MAX: usize = 50;
pub const CODE_TAGS_MAX: usize = 10;
/// How long the backing job waits before checking the welcome went out.
const WELCOME_BACKSTOP_SECS: i64 = 5;

/// A code as the console creates it.
#[derive(Debug, Clone)]
pub struct NewCode {
    pub name: String,
    pub staff: Vec<AccountId>,
    /// Weekly shifts of some of `staff`; none, plain round-robin.
    pub shifts: Vec<(AccountId, Shift)>,
    pub backup: Option<AccountId>,
    pub tags: Vec<String>,
    pub welcome: String,
}

pub async fn create(svc: &Services, access: &OrgAccess, n: NewCode) -> Result<ChannelCodeRecord> {
    require(access, Scope::Write, MANAGERS)?;
    let name = crate::input::text(&n.name, "name", 80, true)?;
    if n.staff.is_empty() || n.staff.len() > CODE_STAFF_MAX {
        return Err(quan_domain::ParseError::new(
            "staff",
            "invalid_staff",
            format!("choose 1 to {CODE_STAFF_MAX} staff members"),
        )
        .into());
    }
    let mut staff: Vec<AccountId> = Vec::with_capacity(n.staff.len());
    for s in n.staff.iter().chain(n.backup.iter()) {
        if svc.store.staff_get(access.org(), *s).await?.is_none() {
            return Err(ReachError::NotStaff);
        }
    }
    for s in n.staff {
        if !staff.contains(&s) {
            staff.push(s);
        }
    }
    let mut shifts: Vec<(AccountId, Shift)> = Vec::new();
    for (who, shift) in n.shifts {
        if !staff.contains(&who) {
            return Err(quan_domain::ParseError::new(
                "shift",
                "invalid_shift",
                "a shift belongs to one of the code's staff",
            )
            .into());
        }
        shifts.retain(|(w, _)| *w != who);
        shifts.push((who, shift));
    }
    if n.tags.len() > CODE_TAGS_MAX {
        return Err(quan_domain::ParseError::new(
            "tags",
            "too_many",
            format!("at most {CODE_TAGS_MAX} tags"),
        )
        .into());
    }
    let mut tags = Vec::new();
    for t in &n.tags {
        let t = short_label(t, "tags")?;
        if !tags.contains(&t) {
            tags.push(t);
        }
    }
    let welcome = if n.welcome.trim().is_empty() {
        String::new()
    } else {
        Template::parse(&n.welcome)?.source().to_owned()
    };
    let now = svc.clock.now();
    let c = ChannelCodeRecord {
        id: ChannelCodeId::new(),
        org_id: access.org(),
        slug: crate::secrets::random_secret("", 9),
        name,
        mode: if shifts.is_empty() {
            ChannelMode::RoundRobin
        } else {
            ChannelMode::Schedule
        },
        staff,
        shifts,
        backup: n.backup,
        tags,
        welcome,
        opens: 0,
        adds: 0,
        created_at: now,
        archived_at: None,
    };
    let ev = new_event(
        svc,
        access.org(),
        "channel_code.created",
        format!("channel_code:{}", c.id),
        Some(access.account()),
        json!({"name": c.name}),
    );
    svc.store.code_insert(&c, &ev).await?;
    announce(svc, &ev).await;
    Ok(c)
}

pub async fn list(svc: &Services, access: &OrgAccess) -> Result<Vec<ChannelCodeRecord>> {
    require(access, Scope::Read, super::HOLDERS)?;
    Ok(svc.store.code_list(access.org()).await?)
}

pub async fn get(
    svc: &Services,
    access: &OrgAccess,
    id: ChannelCodeId,
) -> Result<ChannelCodeRecord> {
    require(access, Scope::Read, super::HOLDERS)?;
    svc.store
        .code_get(access.org(), id)
        .await?
        .ok_or(ReachError::NotFound)
}

pub async fn archive(svc: &Services, access: &OrgAccess, id: ChannelCodeId) -> Result<()> {
    require(access, Scope::Write, MANAGERS)?;
    let ev = new_event(
        svc,
        access.org(),
        "channel_code.archived",
        format!("channel_code:{id}"),
        Some(access.account()),
        json!({}),
    );
    if svc
        .store
        .code_archive(access.org(), id, svc.clock.now(), &ev)
        .await?
    {
        announce(svc, &ev).await;
        Ok(())
    } else {
        Err(ReachError::NotFound)
    }
}

/// What a person sees before opening a code: the org's name and the channel.
pub async fn preview(svc: &Services, slug: &str) -> Result<(ChannelCodeRecord, String)> {
    let code = live_code(svc, slug).await?;
    let org = svc
        .store
        .org_get(code.org_id)
        .await?
        .ok_or(ReachError::NotFound)?;
    Ok((code, org.name))
}

async fn live_code(svc: &Services, slug: &str) -> Result<ChannelCodeRecord> {
    if slug.is_empty() || slug.len() > 64 {
        return Err(ReachError::NotFound);
    }
    let code = svc
        .store
        .code_by_slug(slug)
        .await?
        .ok_or(ReachError::NotFound)?;
    if code.archived_at.is_some() {
        return Err(ReachError::CodeArchived);
    }
    Ok(code)
}

/// A signed-in person opens a code: they become the customer of the staff member
/// whose turn it is (the backup when that one is at the cap), get the code's tags,
/// and hear its welcome. Opening a code of a staff member they already have is an
/// open, not a second contact.
pub async fn open(svc: &Services, actor: &Actor, slug: &str) -> Result<ContactRecord> {
    require_scope(actor, Scope::Write)?;
    let code = live_code(svc, slug).await?;
    let account = svc
        .store
        .account_get(actor.account_id())
        .await?
        .ok_or(ReachError::NotFound)?;
    let person = crate::persons::person_for(svc, code.org_id, &crate::access::Me::from(&account))
        .await
        .map_err(|e| ReachError::Internal(Box::new(e)))?;
    let turn = svc.store.code_open(code.id).await?;
    let existing = svc
        .store
        .contacts_of_person(code.org_id, person.id)
        .await?
        .into_iter()
        .find(|c| c.removed_at.is_none() && code.staff.contains(&c.staff_id));
    if let Some(c) = existing {
        return Ok(c);
    }
    // The org's zone only matters to a code with shifts: plain round-robin codes
    // (the hot path of a poster campaign) skip the policy read.
    let local = if code.shifts.is_empty() {
        (0, 0)
    } else {
        policy_now(svc, code.org_id)
            .await?
            .zone
            .weekday_minute(svc.clock.now())
    };
    let order = assignment_order(
        &code.staff,
        &code.shifts,
        code.backup,
        usize::try_from(turn).unwrap_or(0),
        local,
    );
    for staff in order {
        match connect(
            svc,
            code.org_id,
            staff,
            person.id,
            ContactSource::Code,
            Some((code.id, &code.name)),
            None,
        )
        .await
        {
            Ok(AddOutcome::Added(c)) => {
                for t in &code.tags {
                    super::tag_person(svc, code.org_id, person.id, t, "channel_code", None).await?;
                }
                welcome_after_add(svc, &code, &c).await;
                super::journeys::on_code_join(svc, &code, &c).await;
                return Ok(c);
            }
            Ok(AddOutcome::Existing(c)) => return Ok(c),
            Ok(AddOutcome::AtCap) => continue,
            // A staff member who left the org since the code was made.
            Err(ReachError::NotStaff) => continue,
            Err(e) => return Err(e),
        }
    }
    Err(ReachError::AtCap {
        cap: policy_now(svc, code.org_id).await?.contact_cap,
    })
}

/// Queues the durable backstop, then delivers at once; either finding the other's
/// message is the exactly-once rule at work.
async fn welcome_after_add(svc: &Services, code: &ChannelCodeRecord, c: &ContactRecord) {
    if code.welcome.is_empty() {
        return;
    }
    let job = NewJob {
        id: JobId::new(),
        kind: WELCOME.to_owned(),
        payload: json!({"org": c.org_id.to_string(), "contact": c.id.to_string()}),
        run_at: svc.clock.now().plus_secs(WELCOME_BACKSTOP_SECS),
        max_attempts: 10,
        dedupe_key: Some(format!("{WELCOME}:{}", c.id)),
    };
    if let Err(e) = svc.store.job_enqueue(&job).await {
        tracing::warn!(error = %e, "welcome backstop not queued");
    }
    if let Err(e) = deliver_welcome(svc, c.org_id, c.id).await {
        tracing::warn!(error = %e, contact = %c.id, "welcome left to its job");
    }
}

/// Sends a contact's welcome unless it went out already; true if this call sent it.
/// Safe to call any number of times, from any node.
pub async fn deliver_welcome(svc: &Services, org: OrgId, contact: ContactId) -> Result<bool> {
    let Some(c) = svc.store.contact_get(org, contact).await? else {
        return Ok(false);
    };
    let Some(code_id) = c.code_id else {
        return Ok(false);
    };
    let Some(code) = svc.store.code_get(org, code_id).await? else {
        return Ok(false);
    };
    if code.welcome.is_empty() || c.removed_at.is_some() {
        return Ok(false);
    }
    let body = Template::parse(&code.welcome)?.render(&c.person_name, &c.staff_name);
    let now = svc.clock.now();
    let m = ReachMessageRecord {
        id: ReachMessageId::new(),
        org_id: org,
        contact_id: c.id,
        from_staff: true,
        kind: MessageKind::Welcome,
        body,
        campaign_id: None,
        dedupe: Some(format!("welcome:{}", c.id)),
        created_at: now,
        visible_at: now,
        read_at: None,
    };
    let sent = svc.store.reach_message_insert(&m).await?;
    if sent {
        super::conversations::announce_message(svc, &c, &m).await;
    }
    Ok(sent)
}

/// The job handler: the payload names the org and the contact.
pub async fn run_welcome_job(svc: &Services, payload: &serde_json::Value) -> Result<()> {
    let id = |k: &str| payload.get(k).and_then(|v| v.as_str()).unwrap_or_default();
    let org = OrgId::parse(id("org"))?;
    let contact = ContactId::parse(id("contact"))?;
    deliver_welcome(svc, org, contact).await.map(|_| ())
}
