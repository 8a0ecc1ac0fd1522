//! Persons across circles (PRODUCT.md §1): one person per human per org, found
//! through their account or a shared verified handle; tags; merges an admin can
//! undo; the console's view of one person with circles, types, tags and timeline.
//!
//! A merge keeps the merged person (pointing at the survivor) and records exactly
//! which rows moved, so undo restores the prior state; see the store's
//! `person_merge`. Merges stay one hop deep: merging a survivor later re-points the
//! persons merged into it.

pub mod error;
pub mod handles;
pub mod port;

use crate::Services;
use crate::access::Me;
use crate::access::OrgAccess;
use crate::circles::port::{CircleMemberRecord, CircleRecord, MemberStatus};
use crate::events::{announce, new_event};
use crate::persons::error::PersonError;
use crate::persons::port::{MergeRecord, NewMerge, PersonRecord, TimelineEntry, UndoOutcome};
use crate::ports::constraints;
use quan_domain::{
    Activity, HandleKind, MergeId, OrgId, ParseError, PersonId, Role, Scope, short_label,
};
use serde_json::json;

type Result<T, E = PersonError> = std::result::Result<T, E>;

pub const TIMELINE_LIMIT: i64 = 200;
pub const TAGS_MAX: usize = 50;

/// The person an account is in an org, made on first contact. If the account's
/// verified e-mail or phone already belongs to another person of the org (a
/// customer the sales team entered, say), the two are merged, logged and undoable;
/// a merge an admin undid is not redone.
pub async fn person_for(svc: &Services, org: OrgId, account: &Me) -> Result<PersonRecord> {
    let now = svc.clock.now();
    let p = svc.store.person_for_account(org, account, now).await?;
    for (kind, value) in [
        (HandleKind::Email, account.email.as_ref()),
        (HandleKind::Phone, account.phone.as_ref()),
    ] {
        let Some(value) = value else { continue };
        // The person's own (a handle has one owner): nothing to ask the store.
        if p.handles
            .iter()
            .any(|h| h.kind == kind && h.value == *value)
        {
            continue;
        }
        let Some((owner, verified)) = svc.store.person_by_handle(org, kind, value).await? else {
            continue;
        };
        if owner == p.id || !verified {
            continue;
        }
        let undone_before = svc
            .store
            .person_merges(org, p.id)
            .await?
            .iter()
            .any(|m| m.undone_at.is_some() && (m.survivor_id == owner || m.merged_id == owner));
        if undone_before {
            continue;
        }
        let reason = format!("shared verified {}", kind.as_str());
        let ev = new_event(
            svc,
            org,
            "person.merged",
            format!("person:{owner}"),
            None,
            json!({"merged": p.id.to_string(), "reason": reason}),
        );
        let nm = NewMerge {
            org,
            survivor: owner,
            merged: p.id,
            actor: None,
            reason,
            now,
        };
        match svc.store.person_merge(&nm, &ev).await {
            Ok(_) => {
                announce(svc, &ev).await;
                all_views_changed(svc).await;
                return svc
                    .store
                    .person_get(org, owner)
                    .await?
                    .ok_or(PersonError::NotFound);
            }
            // Another request merged them first; the survivor is the answer.
            Err(e) if e.is_conflict_on(constraints::PERSON_ALREADY_MERGED) => {
                return svc
                    .store
                    .person_for_account(org, account, now)
                    .await
                    .map_err(Into::into);
            }
            Err(e) => return Err(e.into()),
        }
    }
    Ok(p)
}

fn require(access: &OrgAccess, scope: Scope, roles: &[Role]) -> Result<()> {
    access
        .require_scope(scope)
        .map_err(|_| PersonError::MissingScope(scope.as_str()))?;
    if roles.contains(&access.role()) {
        Ok(())
    } else {
        Err(PersonError::Forbidden)
    }
}

const ALL_STAFF: &[Role] = &[
    Role::Owner,
    Role::Admin,
    Role::Operator,
    Role::Sales,
    Role::Leader,
    Role::Teacher,
];
const TAGGERS: &[Role] = &[Role::Owner, Role::Admin, Role::Operator, Role::Sales];
const MERGERS: &[Role] = &[Role::Owner, Role::Admin];

/// One person as the console shows them.
#[derive(Debug, Clone)]
pub struct PersonDetail {
    pub person: PersonRecord,
    pub tags: Vec<String>,
    /// Each circle with the membership (role, types, status) and, for active
    /// memberships among the first [`TRUST_SHOWN`], the activity trust is earned from.
    pub circles: Vec<(CircleRecord, CircleMemberRecord, Option<Activity>)>,
    pub timeline: Vec<TimelineEntry>,
    pub merges: Vec<MergeRecord>,
}

/// Circles whose trust level the person page computes (one query each).
pub const TRUST_SHOWN: usize = 50;

pub async fn detail(svc: &Services, access: &OrgAccess, id: PersonId) -> Result<PersonDetail> {
    require(access, Scope::Read, ALL_STAFF)?;
    let person = svc
        .store
        .person_get(access.org(), id)
        .await?
        .ok_or(PersonError::NotFound)?;
    let now = svc.clock.now();
    let mut circles = Vec::new();
    for (i, (c, m)) in svc
        .store
        .person_memberships(id)
        .await?
        .into_iter()
        .enumerate()
    {
        let activity = if i < TRUST_SHOWN && m.status == MemberStatus::Active {
            Some(svc.store.member_activity(c.id, m.account_id, now).await?)
        } else {
            None
        };
        circles.push((c, m, activity));
    }
    Ok(PersonDetail {
        tags: svc.store.person_tags(id).await?,
        circles,
        timeline: svc.store.person_timeline(id, TIMELINE_LIMIT).await?,
        merges: svc.store.person_merges(access.org(), id).await?,
        person,
    })
}

/// A person of this org that has not been merged away.
async fn live_person(svc: &Services, access: &OrgAccess, id: PersonId) -> Result<PersonRecord> {
    let p = svc
        .store
        .person_get(access.org(), id)
        .await?
        .ok_or(PersonError::NotFound)?;
    if p.merged_into.is_some() {
        return Err(PersonError::MergeConflict(
            "this person was merged into another; act on the survivor",
        ));
    }
    Ok(p)
}

pub async fn add_tag(
    svc: &Services,
    access: &OrgAccess,
    id: PersonId,
    tag: &str,
) -> Result<String> {
    require(access, Scope::Write, TAGGERS)?;
    let tag = short_label(tag, "tag")?;
    live_person(svc, access, id).await?;
    if svc.store.person_tags(id).await?.len() >= TAGS_MAX {
        return Err(ParseError::new("tag", "too_many", format!("at most {TAGS_MAX} tags")).into());
    }
    let ev = tag_event(svc, access, id, &tag, "person.tagged");
    if svc
        .store
        .person_tag_add(access.org(), id, &tag, svc.clock.now(), &ev)
        .await?
    {
        announce(svc, &ev).await;
    }
    Ok(tag)
}

/// A tag put on or taken off a person by staff, for their timeline.
fn tag_event(
    svc: &Services,
    access: &OrgAccess,
    person: PersonId,
    tag: &str,
    kind: &str,
) -> crate::events::port::EventRecord {
    new_event(
        svc,
        access.org(),
        kind,
        format!("person:{person}"),
        Some(access.account()),
        json!({"tag": tag, "via": "staff"}),
    )
}

pub async fn remove_tag(svc: &Services, access: &OrgAccess, id: PersonId, tag: &str) -> Result<()> {
    require(access, Scope::Write, TAGGERS)?;
    let tag = short_label(tag, "tag")?;
    live_person(svc, access, id).await?;
    let ev = tag_event(svc, access, id, &tag, "person.untagged");
    if svc.store.person_tag_remove(id, &tag, &ev).await? {
        announce(svc, &ev).await;
        Ok(())
    } else {
        Err(PersonError::NotFound)
    }
}

/// Merges `merged` into `survivor` (owners and admins).
pub async fn merge(
    svc: &Services,
    access: &OrgAccess,
    survivor: PersonId,
    merged: PersonId,
    reason: &str,
) -> Result<MergeRecord> {
    require(access, Scope::Admin, MERGERS)?;
    let reason = crate::input::text(reason, "reason", 500, false)?;
    if survivor == merged {
        return Err(
            ParseError::new("merged", "same_person", "a person cannot merge into itself").into(),
        );
    }
    live_person(svc, access, survivor).await?;
    live_person(svc, access, merged).await?;
    let ev = new_event(
        svc,
        access.org(),
        "person.merged",
        format!("person:{survivor}"),
        Some(access.account()),
        json!({"merged": merged.to_string(), "reason": reason}),
    );
    let reason = if reason.is_empty() {
        "merged by hand".to_owned()
    } else {
        reason
    };
    let nm = NewMerge {
        org: access.org(),
        survivor,
        merged,
        actor: Some(access.account()),
        reason,
        now: svc.clock.now(),
    };
    let rec = svc.store.person_merge(&nm, &ev).await.map_err(|e| {
        if e.is_conflict_on(constraints::PERSON_ALREADY_MERGED) {
            PersonError::MergeConflict("one of these persons was merged already")
        } else {
            e.into()
        }
    })?;
    announce(svc, &ev).await;
    all_views_changed(svc).await;
    Ok(rec)
}

/// Memberships changed hands: cached circle views hold the old person ids.
async fn all_views_changed(svc: &Services) {
    crate::access::cache::evict(
        &svc.auth,
        svc.bus.as_ref(),
        crate::access::cache::Eviction::AllViews,
    )
    .await;
}

/// Undoes a merge (owners and admins): everything it moved goes back.
pub async fn undo_merge(svc: &Services, access: &OrgAccess, id: MergeId) -> Result<()> {
    require(access, Scope::Admin, MERGERS)?;
    let ev = new_event(
        svc,
        access.org(),
        "person.merge_undone",
        format!("merge:{id}"),
        Some(access.account()),
        json!({}),
    );
    match svc
        .store
        .person_merge_undo(access.org(), id, access.account(), svc.clock.now(), &ev)
        .await?
    {
        UndoOutcome::Undone => {
            announce(svc, &ev).await;
            all_views_changed(svc).await;
            Ok(())
        }
        UndoOutcome::AlreadyUndone => {
            Err(PersonError::MergeConflict("this merge was undone already"))
        }
        UndoOutcome::LaterMergeFirst => Err(PersonError::MergeConflict(
            "the surviving person was merged again later; undo that merge first",
        )),
    }
}
