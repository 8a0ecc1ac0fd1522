//! Persons made by staff and their handles (phone, e-mail, external id, ...), each
//! normalised so one human typed two ways is one handle.

use crate::Services;
use crate::access::OrgAccess;
use crate::events::{announce, new_event};
use crate::page::{Page, PageRequest};
use crate::persons::error::PersonError;
use crate::persons::port::{HandleRecord, PersonRecord};
use crate::ports::{StoreError, constraints};
use quan_domain::{
    DisplayName, HandleId, HandleValue, LifecycleStage, ParseError, PersonId, Role, Scope,
};
use serde_json::json;

type Result<T, E = PersonError> = std::result::Result<T, E>;

#[derive(Debug)]
pub struct NewPerson {
    pub display_name: DisplayName,
    pub handles: Vec<HandleValue>,
}

/// At most this many handles arrive with a new person.
pub const MAX_HANDLES_PER_REQUEST: usize = 20;

#[tracing::instrument(skip_all, fields(org = %access.org()))]
pub async fn create_person(
    svc: &Services,
    access: &OrgAccess,
    p: NewPerson,
) -> Result<PersonRecord> {
    access.require_scope(Scope::Write)?;
    if p.handles.len() > MAX_HANDLES_PER_REQUEST {
        return Err(ParseError::new(
            "handles",
            "too_many",
            format!("at most {MAX_HANDLES_PER_REQUEST}"),
        )
        .into());
    }
    let now = svc.clock.now();
    let id = PersonId::new();
    let rec = PersonRecord {
        id,
        org_id: access.org(),
        display_name: p.display_name.as_str().to_owned(),
        account_id: None,
        stage: LifecycleStage::Visitor,
        verified: false,
        created_at: now,
        handles: p
            .handles
            .into_iter()
            .map(|h| HandleRecord {
                id: HandleId::new(),
                person_id: id,
                kind: h.kind,
                value: h.value,
                verified: false,
                created_at: now,
            })
            .collect(),
        merged_into: None,
    };
    let ev = new_event(
        svc,
        access.org(),
        "person.created",
        format!("person:{id}"),
        Some(access.account()),
        json!({"display_name": rec.display_name}),
    );
    svc.store
        .person_insert(&rec, &ev)
        .await
        .map_err(handle_conflict)?;
    announce(svc, &ev).await;
    Ok(rec)
}

/// A handle that another person of the org already has.
fn handle_conflict(e: StoreError) -> PersonError {
    if e.is_conflict_on(constraints::HANDLE_UNIQUE) {
        PersonError::HandleTaken
    } else {
        e.into()
    }
}

pub async fn get_person(svc: &Services, access: &OrgAccess, id: PersonId) -> Result<PersonRecord> {
    access.require_scope(Scope::Read)?;
    svc.store
        .person_get(access.org(), id)
        .await?
        .ok_or(PersonError::NotFound)
}

pub async fn list_persons(
    svc: &Services,
    access: &OrgAccess,
    page: &PageRequest,
) -> Result<Page<PersonRecord>> {
    access.require_scope(Scope::Read)?;
    Ok(svc.store.person_list(access.org(), page).await?)
}

pub async fn add_handle(
    svc: &Services,
    access: &OrgAccess,
    person: PersonId,
    h: HandleValue,
    verified: bool,
) -> Result<PersonRecord> {
    // Marking a handle verified (e.g. a phone checked in person) is what lets a
    // later sign-up with it merge into this person, so only owners and admins may.
    access.require(
        Scope::Write,
        !verified || matches!(access.role(), Role::Owner | Role::Admin),
    )?;
    let rec = HandleRecord {
        id: HandleId::new(),
        person_id: person,
        kind: h.kind,
        value: h.value,
        verified,
        created_at: svc.clock.now(),
    };
    let ev = new_event(
        svc,
        access.org(),
        "person.handle_added",
        format!("person:{person}"),
        Some(access.account()),
        json!({"kind": rec.kind.as_str()}),
    );
    svc.store
        .handle_insert(access.org(), &rec, &ev)
        .await
        .map_err(handle_conflict)?;
    announce(svc, &ev).await;
    get_person(svc, access, person).await
}
