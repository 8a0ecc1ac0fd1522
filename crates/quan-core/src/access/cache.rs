//! A small cache of who may act where: sessions and API tokens by digest, staff
//! roles by (org, account), and circle views (the visibility gate's answer) by
//! (circle, account). It takes the store off the hot path of every authenticated
//! call.
//!
//! Staleness is bounded twice: the node that revokes a token, removes staff or
//! changes a role evicts at once and announces the eviction on the bus topic
//! [`AUTH_TOPIC`], which every node applies (see [`listen`]); and every entry expires
//! after [`TTL`] anyway, in case an announcement is lost. Sessions change only by
//! ending (log-out, a password change: both evicted), so a session is trusted for
//! [`SESSION_TTL`] while the bus has lost nothing since it was cached (its
//! [`Bus::gaps`] unchanged): a crowd that opened a page a minute ago is still
//! known, without a read each. Only positive answers are cached, so a new member
//! or a new token works immediately.

use crate::access::CircleView;
use crate::identity::port::{AccountRecord, OrgRecord, SessionRecord, TokenRecord};
use crate::ports::Bus;
use dashmap::DashMap;
use quan_domain::{AccountId, CircleId, OrgId, Role, TokenId, WordAction};
use serde::{Deserialize, Serialize};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

/// How long an entry is trusted without hearing otherwise.
pub const TTL: Duration = Duration::from_secs(2);
/// How long a session is trusted while the bus has carried every eviction.
pub const SESSION_TTL: Duration = Duration::from_secs(30);
/// The bus topic carrying evictions to every node.
pub const AUTH_TOPIC: &str = "internal:auth";
/// Past this many entries the cache is cleared rather than grown.
const MAX_ENTRIES: usize = 100_000;

#[derive(Debug, Default)]
pub struct AuthCache {
    tokens: DashMap<String, (TokenRecord, Instant)>,
    staff: DashMap<(OrgId, AccountId), (Role, Instant)>,
    /// Org records: read on every console page and org call, changed rarely.
    orgs: DashMap<OrgId, (OrgRecord, Instant)>,
    /// Sessions by token digest, with their account, when they were cached and
    /// the bus's gaps then.
    sessions: DashMap<String, ((SessionRecord, AccountRecord), Instant, u64)>,
    /// The bus's gaps as [`listen`] last read them.
    bus_gaps: AtomicU64,
    /// Session evictions applied so far: a session read from the store while one
    /// was applied is not cached (it may be the one that ended).
    session_evictions: AtomicU64,
    /// The visibility gate's inputs for a viewer, with what makes their feed differ
    /// from the plain one (history window, posts of theirs hidden for review).
    views: DashMap<(CircleId, AccountId), (CircleView, Instant)>,
    /// Each org's sensitive words: read by every post, comment and chat message.
    words: DashMap<OrgId, (Words, Instant)>,
}

/// An org's sensitive words with their actions.
pub type Words = Arc<Vec<(String, WordAction)>>;

/// An eviction, as announced on the bus.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
#[serde(tag = "evict", rename_all = "snake_case")]
pub enum Eviction {
    Token {
        token: String,
    },
    Staff {
        org: String,
        account: String,
    },
    Org {
        org: String,
    },
    /// One session (log-out), by token digest.
    Session {
        token_hash: String,
    },
    /// Every session of an account (password change or reset).
    AccountSessions {
        account: String,
    },
    /// Every cached view of a circle (membership or settings changed).
    Circle {
        circle: String,
    },
    /// Every cached view of one viewer (their privacy setting changed).
    Viewer {
        account: String,
    },
    /// Every cached view (persons merged: memberships changed hands).
    AllViews,
    /// An org's sensitive words changed.
    Words {
        org: String,
    },
}

impl AuthCache {
    pub fn words(&self, org: OrgId) -> Option<Words> {
        let e = self.words.get(&org)?;
        (e.1.elapsed() < TTL).then(|| Arc::clone(&e.0))
    }
    pub fn put_words(&self, org: OrgId, w: Words) {
        if self.words.len() >= MAX_ENTRIES {
            self.words.clear();
        }
        self.words.insert(org, (w, Instant::now()));
    }
    pub fn token(&self, hash: &str) -> Option<TokenRecord> {
        let e = self.tokens.get(hash)?;
        (e.1.elapsed() < TTL).then(|| e.0.clone())
    }
    pub fn put_token(&self, hash: String, t: TokenRecord) {
        if self.tokens.len() >= MAX_ENTRIES {
            self.tokens.clear();
        }
        self.tokens.insert(hash, (t, Instant::now()));
    }
    pub fn role(&self, org: OrgId, account: AccountId) -> Option<Role> {
        let e = self.staff.get(&(org, account))?;
        (e.1.elapsed() < TTL).then_some(e.0)
    }
    pub fn put_role(&self, org: OrgId, account: AccountId, role: Role) {
        if self.staff.len() >= MAX_ENTRIES {
            self.staff.clear();
        }
        self.staff.insert((org, account), (role, Instant::now()));
    }

    pub fn org(&self, id: OrgId) -> Option<OrgRecord> {
        let e = self.orgs.get(&id)?;
        (e.1.elapsed() < TTL).then(|| e.0.clone())
    }
    pub fn put_org(&self, o: OrgRecord) {
        if self.orgs.len() >= MAX_ENTRIES {
            self.orgs.clear();
        }
        self.orgs.insert(o.id, (o, Instant::now()));
    }

    pub fn session(&self, hash: &str) -> Option<(SessionRecord, AccountRecord)> {
        let e = self.sessions.get(hash)?;
        let ttl = session_ttl(e.2, self.bus_gaps.load(Ordering::Relaxed));
        (e.1.elapsed() < ttl).then(|| e.0.clone())
    }
    /// Where session evictions stand: read before reading a session from the
    /// store, handed to [`Self::put_session`].
    pub fn session_epoch(&self) -> u64 {
        self.session_evictions.load(Ordering::SeqCst)
    }
    /// Caches a session read from the store when no session was evicted since
    /// `epoch` (else an eviction that landed between the read and now would be
    /// undone for [`SESSION_TTL`]).
    pub fn put_session(&self, hash: String, v: (SessionRecord, AccountRecord), epoch: u64) {
        if self.session_epoch() != epoch {
            return;
        }
        if self.sessions.len() >= MAX_ENTRIES {
            self.sessions.clear();
        }
        let gaps = self.bus_gaps.load(Ordering::Relaxed);
        self.sessions.insert(hash, (v, Instant::now(), gaps));
    }
    pub fn view(&self, circle: CircleId, account: AccountId) -> Option<CircleView> {
        let e = self.views.get(&(circle, account))?;
        (e.1.elapsed() < TTL).then(|| e.0.clone())
    }
    pub fn put_view(&self, v: CircleView) {
        if self.views.len() >= MAX_ENTRIES {
            self.views.clear();
        }
        self.views
            .insert((v.circle.id, v.viewer), (v, Instant::now()));
    }

    pub fn apply(&self, e: &Eviction) {
        match e {
            Eviction::Session { token_hash } => {
                self.session_evictions.fetch_add(1, Ordering::SeqCst);
                self.sessions.remove(token_hash);
            }
            Eviction::AccountSessions { account } => {
                self.session_evictions.fetch_add(1, Ordering::SeqCst);
                self.sessions
                    .retain(|_, ((_, a), _, _)| a.id.to_string() != *account);
            }
            Eviction::AllViews => self.views.clear(),
            Eviction::Viewer { account } => {
                self.views.retain(|(_, a), _| a.to_string() != *account);
            }
            Eviction::Circle { circle } => {
                if let Ok(c) = CircleId::parse(circle) {
                    self.views.retain(|(vc, _), _| *vc != c);
                }
            }
            Eviction::Token { token } => {
                self.tokens.retain(|_, (t, _)| t.id.to_string() != *token);
            }
            Eviction::Staff { org, account } => {
                if let (Ok(o), Ok(a)) = (OrgId::parse(org), AccountId::parse(account)) {
                    self.staff.remove(&(o, a));
                    // The org role is an input of circle views.
                    self.views.retain(|(_, va), _| *va != a);
                    // A removed member's tokens are revoked with them.
                    self.tokens
                        .retain(|_, (t, _)| !(t.org_id == o && t.account_id == a));
                }
            }
            Eviction::Org { org } => {
                if let Ok(o) = OrgId::parse(org) {
                    self.orgs.remove(&o);
                }
            }
            Eviction::Words { org } => {
                if let Ok(o) = OrgId::parse(org) {
                    self.words.remove(&o);
                }
            }
        }
    }
}

/// Evicts here and tells every other node, trying a few times: a session ended
/// here is trusted elsewhere for up to [`SESSION_TTL`] if the word never leaves.
pub async fn evict(cache: &AuthCache, bus: &dyn Bus, e: Eviction) {
    cache.apply(&e);
    let Ok(payload) = serde_json::to_string(&e) else {
        return;
    };
    for attempt in 1..=PUBLISH_TRIES {
        match bus.publish(AUTH_TOPIC, &payload).await {
            Ok(()) => return,
            Err(err) if attempt == PUBLISH_TRIES => tracing::warn!(
                error = %err,
                "auth eviction not announced; other nodes catch up within their TTL (sessions: 30 s)"
            ),
            Err(_) => tokio::time::sleep(GAPS_EVERY).await,
        }
    }
}

/// Tries at announcing an eviction, [`GAPS_EVERY`] apart.
const PUBLISH_TRIES: u32 = 4;

pub fn token_eviction(id: TokenId) -> Eviction {
    Eviction::Token {
        token: id.to_string(),
    }
}

pub fn circle_eviction(circle: CircleId) -> Eviction {
    Eviction::Circle {
        circle: circle.to_string(),
    }
}

pub fn staff_eviction(org: OrgId, account: AccountId) -> Eviction {
    Eviction::Staff {
        org: org.to_string(),
        account: account.to_string(),
    }
}

/// A session cached when the bus had had `then` gaps: [`SESSION_TTL`] while it has
/// had no other since and is up (an even count), else [`TTL`] like everything.
fn session_ttl(then: u64, now: u64) -> Duration {
    if then == now && now.is_multiple_of(2) {
        SESSION_TTL
    } else {
        TTL
    }
}

/// How often [`listen`] reads the bus's gaps: a loss is noticed within this.
const GAPS_EVERY: Duration = Duration::from_millis(250);

/// Applies evictions announced by any node, and keeps the bus's gaps current, for
/// the life of the process.
pub async fn listen(cache: Arc<AuthCache>, bus: Arc<dyn Bus>) {
    let mut rx = bus.subscribe(AUTH_TOPIC);
    let mut tick = tokio::time::interval(GAPS_EVERY);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        let m = tokio::select! {
            m = rx.recv() => m,
            _ = tick.tick() => {
                cache.bus_gaps.store(bus.gaps(), Ordering::Relaxed);
                continue;
            }
        };
        match m {
            Ok(m) => {
                if let Ok(e) = serde_json::from_str::<Eviction>(&m.payload) {
                    cache.apply(&e);
                }
            }
            // Missed evictions: forget everything rather than trust stale entries.
            Err(tokio::sync::broadcast::error::RecvError::Lagged(_)) => {
                cache.tokens.clear();
                cache.staff.clear();
                cache.orgs.clear();
                cache.sessions.clear();
                cache.views.clear();
                cache.words.clear();
            }
            Err(tokio::sync::broadcast::error::RecvError::Closed) => return,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_session_is_trusted_longer_only_while_the_bus_lost_nothing() {
        assert_eq!(session_ttl(0, 0), SESSION_TTL);
        assert_eq!(session_ttl(2, 2), SESSION_TTL);
        // Lost since it was cached, lost now, or lost then and back since.
        assert_eq!(session_ttl(0, 1), TTL);
        assert_eq!(session_ttl(1, 1), TTL);
        assert_eq!(session_ttl(0, 2), TTL);
    }
}
