//! Reach without spam (PRODUCT.md §3): contacts between staff and customers, the
//! org's touch policy, channel codes with their welcome ([`codes`]), 1:1
//! conversations and consent ([`conversations`]), and campaigns planned against the
//! touch ledger ([`campaigns`]).
//!
//! The rules that decide are in `quan_domain::reach` (budget windows, quiet hours,
//! templates, the stage rule, the touch verdict); what must hold under concurrency
//! is a guarded write in the store: the contact cap, the budget and the one mass
//! message per staff member per customer per day. Every change to a relationship is
//! an event whose subject is the person, so their timeline is read from the log.

pub mod auto;
pub mod campaigns;
pub mod codes;
pub mod consent;
pub mod conversations;
pub mod delivery;
pub mod error;
pub mod import;
pub mod journeys;
pub mod moments;
pub mod port;
pub mod rooms;
pub mod transfers;

use crate::Services;
use crate::access::OrgAccess;
use crate::events::{announce, new_event};
use crate::page::{Page, PageRequest};
use crate::reach::error::ReachError;
use crate::reach::port::{
    AddOutcome, Blame, ContactRecord, ContactSource, MessageKind, NewContact, PolicyRecord,
    StaffLoad,
};
use quan_domain::{
    AccountId, ContactId, LifecycleStage, OrgId, PersonId, Role, Scope, Timestamp, TouchPolicy,
    derive_stage,
};
use serde_json::json;

type Result<T, E = ReachError> = std::result::Result<T, E>;

/// Who configures reach and sends campaigns.
const MANAGERS: &[Role] = &[Role::Owner, Role::Admin, Role::Operator];

/// Who holds customers: every staff role.
const HOLDERS: &[Role] = &[
    Role::Owner,
    Role::Admin,
    Role::Operator,
    Role::Sales,
    Role::Leader,
    Role::Teacher,
];

/// Events of a person's reach history on their page, at most.
pub const HISTORY_LIMIT: i64 = 100;

fn require(access: &OrgAccess, scope: Scope, roles: &[Role]) -> Result<()> {
    access.require(scope, roles.contains(&access.role()))?;
    Ok(())
}

/// Whether the caller sees every contact of the org, not only their own.
pub fn sees_all(access: &OrgAccess) -> bool {
    MANAGERS.contains(&access.role())
}

/// The policy in force now, or the standard one if the org never set one.
pub async fn policy_now(svc: &Services, org: OrgId) -> Result<TouchPolicy> {
    Ok(svc
        .store
        .policy_at(org, svc.clock.now())
        .await?
        .map_or_else(TouchPolicy::standard, |p| p.policy))
}

/// Every version of the org's policy, newest first (staff may read them).
pub async fn policies(svc: &Services, access: &OrgAccess) -> Result<Vec<PolicyRecord>> {
    require(access, Scope::Read, HOLDERS)?;
    Ok(svc.store.policy_versions(access.org()).await?)
}

/// Adds a version of the policy taking effect at `from` (now if earlier): versions
/// are never edited, so a campaign's plan can be explained by the one it ran under.
pub async fn set_policy(
    svc: &Services,
    access: &OrgAccess,
    policy: TouchPolicy,
    from: Option<Timestamp>,
) -> Result<PolicyRecord> {
    require(access, Scope::Admin, &[Role::Owner, Role::Admin])?;
    let now = svc.clock.now();
    let effective_from = from.filter(|f| *f > now).unwrap_or(now);
    let mut p = PolicyRecord {
        org_id: access.org(),
        version: 0,
        effective_from,
        policy,
        created_by: Some(access.account()),
        created_at: now,
    };
    let ev = new_event(
        svc,
        access.org(),
        "reach.policy_set",
        format!("org:{}", access.org()),
        Some(access.account()),
        json!({
            "budget": p.policy.budget.as_str(),
            "quiet_hours": p.policy.quiet.to_string(),
            "time_zone": p.policy.zone.name(),
            "contact_cap": p.policy.contact_cap,
            "effective_from": effective_from.millis(),
        }),
    );
    p.version = svc.store.policy_insert(&p, &ev).await?;
    announce(svc, &ev).await;
    Ok(p)
}

/// Makes `person` a contact of `staff` under the org's cap, records it on the
/// person's timeline, and moves their stage. `Existing` when they were contacts.
pub(crate) async fn connect(
    svc: &Services,
    org: OrgId,
    staff: AccountId,
    person: PersonId,
    source: ContactSource,
    code: Option<(quan_domain::ChannelCodeId, &str)>,
    actor: Option<AccountId>,
) -> Result<AddOutcome> {
    let cap = policy_now(svc, org).await?.contact_cap;
    let staff_rec = svc
        .store
        .staff_get(org, staff)
        .await?
        .ok_or(ReachError::NotStaff)?;
    let ev = new_event(
        svc,
        org,
        "contact.added",
        format!("person:{person}"),
        actor,
        json!({
            "staff": staff.to_string(),
            "staff_name": staff_rec.display_name,
            "source": source.as_str(),
            "code": code.map(|(id, _)| id.to_string()),
            "code_name": code.map(|(_, name)| name),
        }),
    );
    let out = svc
        .store
        .contact_add(
            &NewContact {
                id: ContactId::new(),
                org,
                staff,
                person,
                source,
                code: code.map(|(id, _)| id),
                now: svc.clock.now(),
            },
            cap,
            &ev,
        )
        .await?;
    if matches!(out, AddOutcome::Added(_)) {
        announce(svc, &ev).await;
        restage(svc, org, person).await?;
    }
    Ok(out)
}

/// A staff member adds a person of the org as their customer (managers may add
/// them to another staff member).
pub async fn add_contact(
    svc: &Services,
    access: &OrgAccess,
    person: PersonId,
    staff: Option<AccountId>,
) -> Result<ContactRecord> {
    require(access, Scope::Write, HOLDERS)?;
    let staff = staff.unwrap_or(access.account());
    if staff != access.account() && !sees_all(access) {
        return Err(ReachError::Forbidden);
    }
    let p = svc
        .store
        .person_get(access.org(), person)
        .await?
        .ok_or(ReachError::NotFound)?;
    if p.merged_into.is_some() {
        return Err(ReachError::NotFound);
    }
    let cap = policy_now(svc, access.org()).await?.contact_cap;
    match connect(
        svc,
        access.org(),
        staff,
        person,
        ContactSource::Manual,
        None,
        Some(access.account()),
    )
    .await?
    {
        AddOutcome::Added(c) | AddOutcome::Existing(c) => Ok(c),
        AddOutcome::AtCap => Err(ReachError::AtCap { cap }),
    }
}

/// Ends a contact: by its staff member (or a manager), or by the customer
/// ([`conversations::leave`]).
pub async fn remove_contact(svc: &Services, access: &OrgAccess, id: ContactId) -> Result<()> {
    require(access, Scope::Write, HOLDERS)?;
    let c = visible_contact(svc, access, id).await?;
    end_contact(svc, &c, "staff", Some(access.account())).await
}

pub(crate) async fn end_contact(
    svc: &Services,
    c: &ContactRecord,
    by: &str,
    actor: Option<AccountId>,
) -> Result<()> {
    let ev = new_event(
        svc,
        c.org_id,
        "contact.removed",
        format!("person:{}", c.person_id),
        actor,
        json!({"staff": c.staff_id.to_string(), "staff_name": c.staff_name, "by": by}),
    );
    if !svc
        .store
        .contact_remove(c.org_id, c.id, by, svc.clock.now(), &ev)
        .await?
    {
        return Err(ReachError::NotFound);
    }
    announce(svc, &ev).await;
    restage(svc, c.org_id, c.person_id).await?;
    if by == "customer" {
        let blame = Blame {
            messages: vec![MessageKind::Campaign, MessageKind::Journey],
            moments: true,
            staff: Some(c.staff_id),
        };
        campaigns::negative(svc, c.org_id, c.person_id, "deleted", &blame).await?;
    }
    Ok(())
}

/// A contact the caller may act on: their own, or any if they manage reach.
pub(crate) async fn visible_contact(
    svc: &Services,
    access: &OrgAccess,
    id: ContactId,
) -> Result<ContactRecord> {
    let c = svc
        .store
        .contact_get(access.org(), id)
        .await?
        .ok_or(ReachError::NotFound)?;
    if c.staff_id != access.account() && !sees_all(access) {
        return Err(ReachError::NotFound);
    }
    Ok(c)
}

/// Live contacts: the caller's own, or (managers) everyone's or one staff member's.
pub async fn contacts(
    svc: &Services,
    access: &OrgAccess,
    staff: Option<AccountId>,
    page: &PageRequest,
) -> Result<Page<ContactRecord>> {
    require(access, Scope::Read, HOLDERS)?;
    let staff = if sees_all(access) {
        staff
    } else {
        Some(access.account())
    };
    Ok(svc.store.contact_list(access.org(), staff, page).await?)
}

/// Each staff member's use of the contact cap, with the cap.
pub async fn loads(svc: &Services, access: &OrgAccess) -> Result<(Vec<StaffLoad>, i64)> {
    require(access, Scope::Read, HOLDERS)?;
    let cap = policy_now(svc, access.org()).await?.contact_cap;
    Ok((svc.store.staff_loads(access.org()).await?, cap))
}

/// A person as reach sees them: their contacts (live and past), whether they opted
/// out, and their reach history from the event log.
#[derive(Debug, Clone)]
pub struct PersonReach {
    pub contacts: Vec<ContactRecord>,
    pub opted_out: bool,
    /// They asked for at most one campaign or journey message a week.
    pub weekly: bool,
    pub history: Vec<crate::events::port::EventRecord>,
}

pub async fn person_reach(
    svc: &Services,
    access: &OrgAccess,
    person: PersonId,
) -> Result<PersonReach> {
    require(access, Scope::Read, HOLDERS)?;
    svc.store
        .person_get(access.org(), person)
        .await?
        .ok_or(ReachError::NotFound)?;
    Ok(PersonReach {
        contacts: svc.store.contacts_of_person(access.org(), person).await?,
        opted_out: svc.store.consent_opted_out(access.org(), person).await?,
        weekly: svc.store.consent_get(access.org(), person).await?.frequency
            == quan_domain::Frequency::Weekly,
        history: svc
            .store
            .reach_history(access.org(), person, HISTORY_LIMIT)
            .await?,
    })
}

/// Tags a person for reach (a channel code's tags, an imported row's, a journey
/// step's), with the tag on their timeline; `via` says which.
pub(crate) async fn tag_person(
    svc: &Services,
    org: OrgId,
    person: PersonId,
    tag: &str,
    via: &str,
    actor: Option<AccountId>,
) -> Result<()> {
    let ev = new_event(
        svc,
        org,
        "person.tagged",
        format!("person:{person}"),
        actor,
        json!({"tag": tag, "via": via}),
    );
    if svc
        .store
        .person_tag_add(org, person, tag, svc.clock.now(), &ev)
        .await?
    {
        announce(svc, &ev).await;
    }
    Ok(())
}

/// Recomputes a person's stage from what they did, and records a change.
pub async fn restage(svc: &Services, org: OrgId, person: PersonId) -> Result<LifecycleStage> {
    let facts = svc.store.stage_facts(org, person, svc.clock.now()).await?;
    let stage = derive_stage(&facts);
    let ev = new_event(
        svc,
        org,
        "person.stage_changed",
        format!("person:{person}"),
        None,
        json!({"stage": stage.as_str()}),
    );
    if svc.store.stage_set(org, person, stage, &ev).await? {
        announce(svc, &ev).await;
    }
    Ok(stage)
}
