//! Each node's index of pickup points: one R-tree (rstar) per org over the points
//! placed on a sphere of the earth's radius ([`GeoPoint::to_xyz`]), so the nearest
//! by straight line is the nearest on the map. Built from the store at start, kept
//! in step by every leader write on this node and by the bus for writes on others
//! ([`listen`]); a node that may have missed a message rebuilds it whole.
//!
//! A buyer is matched to the nearest point whose own radius covers them and that
//! someone serves (its leader online, or their stand-in); the search walks points
//! nearest first and stops at [`MAX_RADIUS_M`]: no point farther can cover anyone.

use crate::local::port::{LeaderRecord, LocalStore};
use crate::ports::{Bus, Store, StoreResult};
use quan_domain::{GeoPoint, LeaderId, MAX_RADIUS_M, OrgId, arc_m, chord_m};
use rstar::RTree;
use rstar::primitives::GeomWithData;
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::sync::{Arc, PoisonError, RwLock};
use std::time::Duration;

/// The bus topic a node announces a leader's change on.
pub const TOPIC: &str = "internal:leaders";
/// Leaders read per page when the index is built.
const LOAD_PAGE: i64 = 10_000;
/// How often [`listen`] looks at the bus's gaps.
const GAPS_EVERY: Duration = Duration::from_millis(500);

type Entry = GeomWithData<[f64; 3], LeaderId>;

/// What the index keeps of a point to match buyers to it.
#[derive(Debug, Clone, Copy)]
struct Point {
    xyz: [f64; 3],
    radius_m: i64,
    online: bool,
    stand_in: Option<LeaderId>,
}

#[derive(Default)]
struct OrgPoints {
    tree: RTree<Entry>,
    points: HashMap<LeaderId, Point>,
}

impl OrgPoints {
    fn serving(&self, p: &Point) -> bool {
        p.online
            || p.stand_in
                .and_then(|s| self.points.get(&s))
                .is_some_and(|s| s.online)
    }

    fn remove(&mut self, id: LeaderId) {
        if let Some(old) = self.points.remove(&id) {
            self.tree.remove(&Entry::new(old.xyz, id));
        }
    }
}

/// A pickup point that covers a place, and how far it is.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Match {
    pub leader: LeaderId,
    pub distance_m: f64,
}

/// Every org's pickup points on this node.
#[derive(Default)]
pub struct PickupIndex {
    orgs: RwLock<HashMap<OrgId, OrgPoints>>,
}

impl std::fmt::Debug for PickupIndex {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PickupIndex")
            .field("points", &self.len())
            .finish()
    }
}

/// Whether a record belongs in the index at all.
fn point_of(l: &LeaderRecord) -> Option<Point> {
    l.active.then(|| Point {
        xyz: l.location.to_xyz(),
        radius_m: l.radius_m,
        online: l.online,
        stand_in: l.stand_in,
    })
}

impl PickupIndex {
    /// Points indexed, over every org.
    pub fn len(&self) -> usize {
        let orgs = self.orgs.read().unwrap_or_else(PoisonError::into_inner);
        orgs.values().map(|o| o.points.len()).sum()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Builds the index from `leaders` (any orgs), replacing what it held: the
    /// trees are bulk-loaded, far faster than inserting one by one.
    pub fn replace_all(&self, leaders: impl IntoIterator<Item = LeaderRecord>) {
        let mut by_org: HashMap<OrgId, (Vec<Entry>, HashMap<LeaderId, Point>)> = HashMap::new();
        for l in leaders {
            let Some(p) = point_of(&l) else { continue };
            let (entries, points) = by_org.entry(l.org_id).or_default();
            entries.push(Entry::new(p.xyz, l.id));
            points.insert(l.id, p);
        }
        let built = by_org
            .into_iter()
            .map(|(org, (entries, points))| {
                let tree = RTree::bulk_load(entries);
                (org, OrgPoints { tree, points })
            })
            .collect();
        *self.orgs.write().unwrap_or_else(PoisonError::into_inner) = built;
    }

    /// Puts a leader's point as the record says (moved, retired, offline, …).
    pub fn put(&self, l: &LeaderRecord) {
        let mut orgs = self.orgs.write().unwrap_or_else(PoisonError::into_inner);
        let org = orgs.entry(l.org_id).or_default();
        org.remove(l.id);
        if let Some(p) = point_of(l) {
            org.tree.insert(Entry::new(p.xyz, l.id));
            org.points.insert(l.id, p);
        }
    }

    /// Forgets a leader's point (gone from the store).
    pub fn forget(&self, org: OrgId, id: LeaderId) {
        let mut orgs = self.orgs.write().unwrap_or_else(PoisonError::into_inner);
        if let Some(o) = orgs.get_mut(&org) {
            o.remove(id);
        }
    }

    /// Up to `limit` of `org`'s served points whose radius covers `at`, nearest first.
    pub fn covering(&self, org: OrgId, at: GeoPoint, limit: usize) -> Vec<Match> {
        let orgs = self.orgs.read().unwrap_or_else(PoisonError::into_inner);
        let Some(o) = orgs.get(&org) else {
            return Vec::new();
        };
        #[allow(clippy::cast_precision_loss)] // 5,000 is exact
        let reach = chord_m(MAX_RADIUS_M as f64);
        let mut out = Vec::new();
        for (e, d2) in o.tree.nearest_neighbor_iter_with_distance_2(&at.to_xyz()) {
            if d2 > reach * reach || out.len() >= limit {
                break;
            }
            let Some(p) = o.points.get(&e.data) else {
                continue;
            };
            let distance_m = arc_m(d2.sqrt());
            #[allow(clippy::cast_precision_loss)] // radii are at most 5,000
            let covers = distance_m <= p.radius_m as f64;
            if covers && o.serving(p) {
                out.push(Match {
                    leader: e.data,
                    distance_m,
                });
            }
        }
        out
    }

    /// The nearest served point of `org` whose radius covers `at`.
    pub fn nearest(&self, org: OrgId, at: GeoPoint) -> Option<Match> {
        self.covering(org, at, 1).into_iter().next()
    }

    /// Reads every active leader from the store and rebuilds the index.
    pub async fn load(&self, store: &dyn LocalStore) -> StoreResult<usize> {
        let mut all = Vec::new();
        let mut after = None;
        loop {
            let page = store.leaders_after(after, LOAD_PAGE).await?;
            let Some(last) = page.last() else { break };
            after = Some(last.id);
            let full = i64::try_from(page.len()).unwrap_or(i64::MAX) >= LOAD_PAGE;
            all.extend(page);
            if !full {
                break;
            }
        }
        let n = all.len();
        self.replace_all(all);
        Ok(n)
    }
}

/// A leader's change, as nodes tell each other.
#[derive(Debug, Serialize, Deserialize)]
struct Changed {
    org: String,
    leader: String,
}

/// Tells every node (this one included) that a leader changed.
pub async fn announce(bus: &dyn Bus, org: OrgId, leader: LeaderId) {
    let changed = Changed {
        org: org.to_string(),
        leader: leader.to_string(),
    };
    let Ok(msg) = serde_json::to_string(&changed) else {
        return;
    };
    if let Err(e) = bus.publish(TOPIC, &msg).await {
        // Other nodes catch up when they rebuild (a lost bus is noticed by its gaps).
        tracing::warn!(error = %e, "could not announce a leader's change");
    }
}

/// What [`listen`] starts from: the subscription and the bus's gaps, taken
/// before the index is built, so a change announced while it is built is applied
/// after (twice at worst, never missed).
pub struct Subscription {
    rx: tokio::sync::broadcast::Receiver<crate::ports::BusMessage>,
    gaps: u64,
}

impl std::fmt::Debug for Subscription {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Subscription")
            .field("gaps", &self.gaps)
            .finish()
    }
}

/// Subscribes to leaders' changes; call before [`PickupIndex::load`].
pub fn subscribe(bus: &dyn Bus) -> Subscription {
    Subscription {
        rx: bus.subscribe(TOPIC),
        gaps: bus.gaps(),
    }
}

/// Keeps `index` in step with leader changes announced on the bus, for the life
/// of the process: re-reads a changed leader; rebuilds whole after a lag or a gap
/// in the bus (a message may have been lost), or when a changed leader could not
/// be read.
pub async fn listen(
    index: Arc<PickupIndex>,
    store: Arc<dyn Store>,
    bus: Arc<dyn Bus>,
    sub: Subscription,
) {
    let Subscription { mut rx, mut gaps } = sub;
    let mut tick = tokio::time::interval(GAPS_EVERY);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        let rebuild = tokio::select! {
            m = rx.recv() => match m {
                Ok(m) => {
                    // This node's own writes come back too (already put): one
                    // primary-key read per staff edit, not worth telling apart.
                    let c = serde_json::from_str::<Changed>(&m.payload).ok();
                    let ids = c.and_then(|c| Some((c.org.parse().ok()?, c.leader.parse().ok()?)));
                    match ids {
                        Some((org, leader)) => match store.leader_get(org, leader).await {
                            Ok(Some(l)) => {
                                index.put(&l);
                                false
                            }
                            Ok(None) => {
                                index.forget(org, leader);
                                false
                            }
                            Err(e) => {
                                tracing::warn!(error = %e, "could not read a changed leader: rebuilding");
                                true
                            }
                        },
                        None => false,
                    }
                }
                Err(tokio::sync::broadcast::error::RecvError::Lagged(_)) => true,
                Err(tokio::sync::broadcast::error::RecvError::Closed) => {
                    tracing::warn!("the bus closed: the pickup index no longer follows other nodes");
                    return;
                }
            },
            _ = tick.tick() => {
                let now = bus.gaps();
                std::mem::replace(&mut gaps, now) != now
            }
        };
        if rebuild {
            match index.load(store.as_ref()).await {
                Ok(n) => tracing::info!(points = n, "pickup index rebuilt"),
                Err(e) => tracing::warn!(error = %e, "could not rebuild the pickup index"),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use quan_domain::{PickupKind, Timestamp};

    fn leader(org: OrgId, at: GeoPoint, radius_m: i64) -> LeaderRecord {
        LeaderRecord {
            id: LeaderId::new(),
            org_id: org,
            account_id: None,
            name: String::new(),
            phone: String::new(),
            point_name: String::new(),
            address: String::new(),
            location: at,
            kind: PickupKind::Store,
            hours: String::new(),
            radius_m,
            capacity: 1,
            commission_bp: 0,
            online: true,
            stand_in: None,
            active: true,
            created_at: Timestamp::from_millis(0),
            updated_at: Timestamp::from_millis(0),
        }
    }

    /// A small deterministic generator (xorshift), so the test needs no crate.
    struct Rng(u64);
    impl Rng {
        fn unit(&mut self) -> f64 {
            self.0 ^= self.0 << 13;
            self.0 ^= self.0 >> 7;
            self.0 ^= self.0 << 17;
            #[allow(clippy::cast_precision_loss)]
            let x = (self.0 >> 11) as f64 / (1u64 << 53) as f64;
            x
        }
    }

    #[test]
    fn the_index_answers_as_a_scan_of_every_point_would() {
        let (org, other) = (OrgId::new(), OrgId::new());
        let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
        // 2,000 points over ~20 km around Hangzhou, some offline or retired.
        let mut all = Vec::new();
        for i in 0..2_000 {
            let at = GeoPoint::new(30.15 + rng.unit() * 0.2, 120.05 + rng.unit() * 0.25)
                .unwrap_or_else(|e| panic!("{e}"));
            #[allow(clippy::cast_possible_truncation)]
            let radius = 100 + (rng.unit() * 4_900.0) as i64;
            let mut l = leader(if i % 10 == 0 { other } else { org }, at, radius);
            l.online = i % 7 != 0;
            l.active = i % 11 != 0;
            all.push(l);
        }
        // Half bulk-loaded, half put one by one: both paths must agree.
        let index = PickupIndex::default();
        index.replace_all(all[..1_000].to_vec());
        for l in &all[1_000..] {
            index.put(l);
        }
        for _ in 0..300 {
            let at = GeoPoint::new(30.15 + rng.unit() * 0.2, 120.05 + rng.unit() * 0.25)
                .unwrap_or_else(|e| panic!("{e}"));
            let mut scan: Vec<(f64, LeaderId)> = all
                .iter()
                .filter(|l| l.org_id == org && l.active && l.online)
                .map(|l| (l.location.distance_m(at), l.id))
                .filter(|(d, id)| {
                    let r = all.iter().find(|l| l.id == *id).map_or(0, |l| l.radius_m);
                    #[allow(clippy::cast_precision_loss)]
                    let covers = *d <= r as f64;
                    covers
                })
                .collect();
            scan.sort_by(|a, b| a.0.total_cmp(&b.0));
            let got = index.covering(org, at, 20);
            let want: Vec<LeaderId> = scan.iter().take(20).map(|s| s.1).collect();
            let got_ids: Vec<LeaderId> = got.iter().map(|m| m.leader).collect();
            assert_eq!(got_ids, want);
            for (m, (d, _)) in got.iter().zip(&scan) {
                assert!((m.distance_m - d).abs() < 0.05, "{} vs {d}", m.distance_m);
            }
            assert_eq!(
                index.nearest(org, at).map(|m| m.leader),
                want.first().copied()
            );
        }
    }

    #[test]
    fn a_stand_in_serves_an_offline_point_and_a_retired_point_goes() {
        let org = OrgId::new();
        let at = GeoPoint::new(30.26, 120.15).unwrap_or_else(|e| panic!("{e}"));
        let mut a = leader(org, at, 1_000);
        let b = leader(
            org,
            GeoPoint::new(30.40, 120.15).unwrap_or_else(|e| panic!("{e}")),
            1_000,
        );
        let index = PickupIndex::default();
        index.put(&a);
        index.put(&b);
        a.online = false;
        index.put(&a);
        assert_eq!(index.nearest(org, at), None);
        a.stand_in = Some(b.id);
        index.put(&a);
        assert_eq!(index.nearest(org, at).map(|m| m.leader), Some(a.id));
        a.active = false;
        index.put(&a);
        assert_eq!(index.nearest(org, at), None);
        assert_eq!(index.len(), 1);
        index.forget(org, b.id);
        assert!(index.is_empty());
    }
}
