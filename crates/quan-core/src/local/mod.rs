//! Community group buying's leaders (团长) and their pickup points (PRODUCT.md §4):
//! the shop's staff set leaders up (point, hours, radius of 3 km by default and
//! 5 km at most, capacity, commission, online or standing in for by another), and
//! a buyer is matched to the nearest served point whose radius covers them, or
//! picks another in range, nearest first, through each node's in-memory
//! [`index::PickupIndex`] (never a table scan).

mod error;
pub mod index;
pub mod port;

pub use error::LocalError;

use crate::Services;
use crate::access::{Actor, OrgAccess, require_scope};
use crate::events::port::EventRecord;
use crate::events::{announce, new_event};
use crate::input::text;
use crate::local::port::LeaderRecord;
use crate::page::{Page, PageRequest};
use quan_domain::{
    AccountId, GeoPoint, LeaderId, OrgId, ParseError, PickupKind, Role, Scope, parse_capacity,
    parse_commission_bp, parse_radius,
};
use serde_json::json;
use std::collections::HashMap;

type Result<T, E = LocalError> = std::result::Result<T, E>;

/// Who sets leaders up: the org's owners, admins and operators.
const MANAGERS: &[Role] = &[Role::Owner, Role::Admin, Role::Operator];
/// Points offered to a buyer to choose from, at most.
pub const CHOICES_MAX: usize = 20;
/// Matches asked of the index beyond those wanted when some it gave have
/// stopped serving (see [`choices`]).
const SPARE: usize = 8;

fn require(access: &OrgAccess, scope: Scope) -> Result<()> {
    access.require(scope, MANAGERS.contains(&access.role()))?;
    Ok(())
}

/// Whether the caller may set the org's leaders up (the console offers it only then).
pub fn may_manage(access: &OrgAccess) -> bool {
    MANAGERS.contains(&access.role())
}

/// A leader and their point as staff write them (raw text is checked here).
#[derive(Debug, Clone)]
pub struct LeaderInput {
    pub account: Option<AccountId>,
    pub name: String,
    pub phone: String,
    pub point_name: String,
    pub address: String,
    pub location: GeoPoint,
    pub kind: PickupKind,
    pub hours: String,
    pub radius_m: i64,
    pub capacity: i64,
    pub commission_bp: i64,
    pub online: bool,
    pub stand_in: Option<LeaderId>,
    pub active: bool,
}

/// The fields of `input`, checked, onto `l`.
fn apply(l: &mut LeaderRecord, input: LeaderInput) -> Result<()> {
    l.account_id = input.account;
    l.name = text(&input.name, "name", 60, true)?;
    l.phone = text(&input.phone, "phone", 30, false)?;
    l.point_name = text(&input.point_name, "point_name", 80, true)?;
    l.address = text(&input.address, "address", 200, true)?;
    l.location = input.location;
    l.kind = input.kind;
    l.hours = text(&input.hours, "hours", 120, false)?;
    l.radius_m = parse_radius(input.radius_m)?;
    l.capacity = parse_capacity(input.capacity)?;
    l.commission_bp = parse_commission_bp(input.commission_bp)?;
    l.online = input.online;
    l.stand_in = input.stand_in;
    l.active = input.active;
    Ok(())
}

/// A leader's own account is one of the org's staff (they hold the leader role,
/// or another).
async fn check_account(svc: &Services, l: &LeaderRecord) -> Result<()> {
    let Some(account) = l.account_id else {
        return Ok(());
    };
    match svc.store.staff_get(l.org_id, account).await? {
        Some(_) => Ok(()),
        None => Err(ParseError::new(
            "account_id",
            "invalid_account",
            "the leader's account is not one of this org's staff",
        )
        .into()),
    }
}

/// A stand-in is another active leader of the same org, when named (one kept
/// from before may have retired since: it then serves no one, and the console
/// says so, but the leader's other changes are not refused for it).
async fn check_stand_in(svc: &Services, l: &LeaderRecord, before: Option<LeaderId>) -> Result<()> {
    let Some(s) = l.stand_in else { return Ok(()) };
    if before == Some(s) {
        return Ok(());
    }
    let bad = |m: &str| ParseError::new("stand_in", "invalid_stand_in", m.to_owned());
    if s == l.id {
        return Err(bad("a leader cannot stand in for themselves").into());
    }
    match svc.store.leader_get(l.org_id, s).await? {
        Some(other) if other.active => Ok(()),
        _ => Err(bad("the stand-in is not an active leader of this org").into()),
    }
}

/// Writes the leader's change to this node's index at once and tells the others.
async fn spread(svc: &Services, l: &LeaderRecord) {
    svc.pickups.put(l);
    index::announce(svc.bus.as_ref(), l.org_id, l.id).await;
}

/// Sets a leader and their pickup point up.
#[tracing::instrument(skip_all, fields(org = %access.org()))]
pub async fn create(
    svc: &Services,
    access: &OrgAccess,
    input: LeaderInput,
) -> Result<LeaderRecord> {
    require(access, Scope::Write)?;
    let now = svc.clock.now();
    let mut l = LeaderRecord {
        id: LeaderId::new(),
        org_id: access.org(),
        account_id: None,
        name: String::new(),
        phone: String::new(),
        point_name: String::new(),
        address: String::new(),
        location: input.location,
        kind: input.kind,
        hours: String::new(),
        radius_m: 0,
        capacity: 0,
        commission_bp: 0,
        online: true,
        stand_in: None,
        active: true,
        created_at: now,
        updated_at: now,
    };
    apply(&mut l, input)?;
    check_account(svc, &l).await?;
    check_stand_in(svc, &l, None).await?;
    let ev = event(svc, access, &l, "leader.created");
    svc.store.leader_insert(&l, &ev).await?;
    announce(svc, &ev).await;
    spread(svc, &l).await;
    Ok(l)
}

/// Changes a leader: their point, radius, hours, online state, stand-in, or
/// retires them (`active` false: never matched again, kept for history).
#[tracing::instrument(skip_all, fields(org = %access.org(), leader = %id))]
pub async fn update(
    svc: &Services,
    access: &OrgAccess,
    id: LeaderId,
    input: LeaderInput,
) -> Result<LeaderRecord> {
    require(access, Scope::Write)?;
    let mut l = svc
        .store
        .leader_get(access.org(), id)
        .await?
        .ok_or(LocalError::NotFound)?;
    let before = l.stand_in;
    apply(&mut l, input)?;
    l.updated_at = svc.clock.now();
    check_account(svc, &l).await?;
    check_stand_in(svc, &l, before).await?;
    let ev = event(svc, access, &l, "leader.updated");
    if !svc.store.leader_update(&l, &ev).await? {
        return Err(LocalError::NotFound);
    }
    announce(svc, &ev).await;
    spread(svc, &l).await;
    Ok(l)
}

fn event(svc: &Services, access: &OrgAccess, l: &LeaderRecord, kind: &str) -> EventRecord {
    new_event(
        svc,
        l.org_id,
        kind,
        format!("leader:{}", l.id),
        Some(access.account()),
        json!({"leader": l.id.to_string(), "point": l.point_name, "online": l.online,
               "active": l.active, "radius_m": l.radius_m}),
    )
}

/// The org's leaders for the console, newest first.
pub async fn list(
    svc: &Services,
    access: &OrgAccess,
    page: &PageRequest,
) -> Result<Page<LeaderRecord>> {
    require(access, Scope::Read)?;
    Ok(svc.store.leaders_of_org(access.org(), page).await?)
}

/// Those of `ids` that are the org's leaders (any order), for the console, in one read.
pub async fn some(
    svc: &Services,
    access: &OrgAccess,
    ids: &[LeaderId],
) -> Result<Vec<LeaderRecord>> {
    require(access, Scope::Read)?;
    Ok(svc.store.leaders_by_ids(access.org(), ids).await?)
}

/// One of the org's leaders, for the console.
pub async fn get(svc: &Services, access: &OrgAccess, id: LeaderId) -> Result<LeaderRecord> {
    require(access, Scope::Read)?;
    svc.store
        .leader_get(access.org(), id)
        .await?
        .ok_or(LocalError::NotFound)
}

/// A pickup point a buyer may choose, with how far it is and who serves it now.
#[derive(Debug, Clone, PartialEq)]
pub struct Choice {
    pub leader: LeaderRecord,
    pub distance_m: f64,
    /// The stand-in's name while the leader is offline.
    pub served_by: String,
}

/// The shop's served pickup points whose radius covers `at`, nearest first (at
/// most `limit`, up to [`CHOICES_MAX`]): the first is the buyer's match, the rest
/// what they may pick instead.
pub async fn choices(
    svc: &Services,
    actor: &Actor,
    org: OrgId,
    at: GeoPoint,
    limit: usize,
) -> Result<Vec<Choice>> {
    require_scope(actor, Scope::Read)?;
    let limit = limit.clamp(1, CHOICES_MAX);
    let matches = svc.pickups.covering(org, at, limit);
    if matches.is_empty() {
        // A shop that does not exist is not found; one with no point here is empty.
        svc.store.org_get(org).await?.ok_or(LocalError::NotFound)?;
        return Ok(Vec::new());
    }
    let asked = matches.len();
    let out = read_choices(svc, org, matches, limit).await?;
    if out.len() < asked && asked == limit {
        // The index had not yet heard that one of these stopped serving (its
        // message is on the way): look further, so the buyer still gets `limit`.
        let wider = svc.pickups.covering(org, at, limit + SPARE);
        return read_choices(svc, org, wider, limit).await;
    }
    Ok(out)
}

/// The store's word on the index's `matches`: each still active and served (by
/// its leader, or an active stand-in online), at most `limit`, with its details.
async fn read_choices(
    svc: &Services,
    org: OrgId,
    matches: Vec<index::Match>,
    limit: usize,
) -> Result<Vec<Choice>> {
    let ids: Vec<LeaderId> = matches.iter().map(|m| m.leader).collect();
    let mut records: HashMap<LeaderId, LeaderRecord> = svc
        .store
        .leaders_by_ids(org, &ids)
        .await?
        .into_iter()
        .map(|l| (l.id, l))
        .collect();
    // Stand-ins named by offline leaders, read in one more query.
    let wanted: Vec<LeaderId> = records
        .values()
        .filter(|l| !l.online)
        .filter_map(|l| l.stand_in)
        .filter(|s| !records.contains_key(s))
        .collect();
    if !wanted.is_empty() {
        records.extend(
            svc.store
                .leaders_by_ids(org, &wanted)
                .await?
                .into_iter()
                .map(|l| (l.id, l)),
        );
    }
    let mut out = Vec::with_capacity(matches.len());
    for m in matches {
        let Some(l) = records.get(&m.leader).filter(|l| l.active) else {
            continue;
        };
        let serving = if l.online {
            Some(l)
        } else {
            l.stand_in
                .and_then(|s| records.get(&s))
                .filter(|s| s.active && s.online)
        };
        let Some(serving) = serving else { continue };
        out.push(Choice {
            leader: l.clone(),
            distance_m: m.distance_m,
            served_by: serving.name.clone(),
        });
        if out.len() == limit {
            break;
        }
    }
    Ok(out)
}

/// The buyer's match: the nearest served point whose radius covers `at`.
pub async fn nearest(svc: &Services, actor: &Actor, org: OrgId, at: GeoPoint) -> Result<Choice> {
    choices(svc, actor, org, at, 1)
        .await?
        .into_iter()
        .next()
        .ok_or(LocalError::NoPickupPoint)
}
