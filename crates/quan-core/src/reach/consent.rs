//! The consent centre (PIPL): a person sees which orgs and staff hold them as a
//! contact, opts out of an org's campaigns, downloads everything an org keeps about
//! them, and has an org erase their personal fields — with an audit record, and
//! orders (when commerce exists) kept anonymised.

use super::Result;
use super::error::ReachError;
use super::port::{Consent, ContactRecord, MessageKind, ReachMessageRecord};
use crate::Services;
use crate::access::{Actor, require_scope};
use crate::events::{announce, new_event};
use quan_domain::{OrgId, PersonId, Scope};
use serde_json::{Value, json};

/// What erased personal fields read as.
pub const ERASED_NAME: &str = "—";

/// One org as the person sees it in their consent centre.
#[derive(Debug, Clone)]
pub struct OrgConsent {
    pub org: OrgId,
    pub org_name: String,
    pub person: PersonId,
    /// Staff members holding them now.
    pub staff: Vec<String>,
    /// What they let the org send them.
    pub consent: Consent,
}

pub async fn overview(svc: &Services, actor: &Actor) -> Result<Vec<OrgConsent>> {
    require_scope(actor, Scope::Read)?;
    let mut out = Vec::new();
    for (person, org, org_name) in svc.store.persons_of_account(actor.account_id()).await? {
        let staff = svc
            .store
            .contacts_of_person(org, person)
            .await?
            .into_iter()
            .filter(|c| c.removed_at.is_none())
            .map(|c| c.staff_name)
            .collect();
        out.push(OrgConsent {
            org,
            org_name,
            person,
            staff,
            consent: svc.store.consent_get(org, person).await?,
        });
    }
    Ok(out)
}

impl OrgConsent {
    /// Whether they asked for at most one message a week.
    pub fn weekly(&self) -> bool {
        self.consent.frequency == quan_domain::Frequency::Weekly
    }
}

async fn mine(svc: &Services, actor: &Actor, org: OrgId) -> Result<OrgConsent> {
    overview(svc, actor)
        .await?
        .into_iter()
        .find(|o| o.org == org)
        .ok_or(ReachError::NotFound)
}

/// Sets what the caller lets an org send them, by topic. Turning campaigns off is
/// the opt-out (`consent.opted_out`); turning campaigns or journeys off blames the
/// message that prompted it, as a deletion does.
/// What a person changes in an org's consent: their topics, and how often — or,
/// with `frequency` None, how often as it was.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ConsentChange {
    pub campaigns: bool,
    pub journeys: bool,
    pub moments: bool,
    pub frequency: Option<quan_domain::Frequency>,
}

pub async fn set(svc: &Services, actor: &Actor, org: OrgId, change: ConsentChange) -> Result<()> {
    require_scope(actor, Scope::Write)?;
    let me = mine(svc, actor, org).await?;
    let before = me.consent;
    let c = Consent {
        campaigns: change.campaigns,
        journeys: change.journeys,
        moments: change.moments,
        frequency: change.frequency.unwrap_or(before.frequency),
    };
    let kind = match (before.campaigns, c.campaigns) {
        (true, false) => "consent.opted_out",
        (false, true) => "consent.opted_in",
        _ => "consent.topics_set",
    };
    let ev = new_event(
        svc,
        org,
        kind,
        format!("person:{}", me.person),
        Some(actor.account_id()),
        json!({"campaigns": c.campaigns, "journeys": c.journeys, "moments": c.moments,
               "frequency": c.frequency.as_str()}),
    );
    svc.store
        .consent_set(org, me.person, &c, svc.clock.now(), &ev)
        .await?;
    announce(svc, &ev).await;
    // The topic turned off blames its own kind of message (or moment).
    let mut blame = super::port::Blame {
        moments: before.moments && !c.moments,
        ..Default::default()
    };
    if before.campaigns && !c.campaigns {
        blame.messages.push(MessageKind::Campaign);
    }
    if before.journeys && !c.journeys {
        blame.messages.push(MessageKind::Journey);
    }
    if !blame.messages.is_empty() || blame.moments {
        super::campaigns::negative(svc, org, me.person, "opted_out", &blame).await?;
    }
    Ok(())
}

fn message_json(m: &ReachMessageRecord) -> Value {
    json!({"at": m.visible_at.millis(), "from": if m.from_staff { "staff" } else { "me" },
           "kind": m.kind.as_str(), "body": m.body})
}

fn contact_json(c: &ContactRecord, messages: &[ReachMessageRecord]) -> Value {
    json!({"staff": c.staff_name, "source": c.source.as_str(), "channel": c.code_name,
           "added_at": c.added_at.millis(), "removed_at": c.removed_at.map(|t| t.millis()),
           "messages": messages.iter().map(message_json).collect::<Vec<_>>()})
}

/// Everything each org keeps about the caller, as one JSON document.
pub async fn export(svc: &Services, actor: &Actor) -> Result<Value> {
    require_scope(actor, Scope::Read)?;
    let account = svc
        .store
        .account_get(actor.account_id())
        .await?
        .ok_or(ReachError::NotFound)?;
    let mut orgs = Vec::new();
    for o in overview(svc, actor).await? {
        let person = svc
            .store
            .person_get(o.org, o.person)
            .await?
            .ok_or(ReachError::NotFound)?;
        let mut contacts = Vec::new();
        for c in svc.store.contacts_of_person(o.org, o.person).await? {
            let msgs = svc.store.reach_messages_all(c.id).await?;
            contacts.push(contact_json(&c, &msgs));
        }
        orgs.push(json!({
            "org": o.org_name,
            "name": person.display_name,
            "stage": person.stage.as_str(),
            "handles": person.handles.iter().map(|h| json!({"kind": h.kind.as_str(), "value": h.value})).collect::<Vec<_>>(),
            "tags": svc.store.person_tags(o.person).await?,
            "opted_out_of_campaigns": !o.consent.campaigns,
            "receives": {"campaigns": o.consent.campaigns, "journeys": o.consent.journeys,
                         "moments": o.consent.moments, "frequency": o.consent.frequency.as_str()},
            "contacts": contacts,
            "history": svc.store.reach_history(o.org, o.person, 1_000).await?.iter()
                .map(|e| json!({"at": e.at.millis(), "kind": e.kind})).collect::<Vec<_>>(),
        }));
    }
    Ok(json!({
        "exported_at": svc.clock.now().millis(),
        "account": {"name": account.display_name, "email": account.email, "phone": account.phone,
                    "created_at": account.created_at.millis()},
        "orgs": orgs,
    }))
}

/// Erases the caller's personal fields in one org (their account stays; other
/// orgs are untouched). The event is the audit record: who asked, when, what.
pub async fn erase(svc: &Services, actor: &Actor, org: OrgId) -> Result<()> {
    require_scope(actor, Scope::Write)?;
    let o = mine(svc, actor, org).await?;
    let ev = new_event(
        svc,
        org,
        "person.erased",
        format!("person:{}", o.person),
        Some(actor.account_id()),
        json!({"fields": ["display_name", "handles", "tags", "messages"], "requested_by": "the person"}),
    );
    svc.store
        .person_erase(org, o.person, ERASED_NAME, svc.clock.now(), &ev)
        .await?;
    announce(svc, &ev).await;
    Ok(())
}
