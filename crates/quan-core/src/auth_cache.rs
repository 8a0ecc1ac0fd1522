//! A small cache of who may act where: API tokens by digest and staff roles by
//! (org, account). It takes the store off the hot path of every authenticated API
//! call.
//!
//! Staleness is bounded twice: the node that revokes a token, removes staff or
//! changes a role evicts at once and announces the eviction on the bus topic
//! [`AUTH_TOPIC`], which every node applies (see [`listen`]); and every entry expires
//! after [`TTL`] anyway, in case an announcement is lost. Only positive answers are
//! cached, so a new member or a new token works immediately.

use crate::{Bus, OrgRecord, TokenRecord};
use dashmap::DashMap;
use quan_domain::{AccountId, OrgId, Role, TokenId};
use serde::{Deserialize, Serialize};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// How long an entry is trusted without hearing otherwise.
pub const TTL: Duration = Duration::from_secs(2);
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
}

/// An eviction, as announced on the bus.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
#[serde(tag = "evict", rename_all = "snake_case")]
pub enum Eviction {
    Token { token: String },
    Staff { org: String, account: String },
    Org { org: String },
}

impl AuthCache {
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

    pub fn apply(&self, e: &Eviction) {
        match e {
            Eviction::Token { token } => {
                self.tokens.retain(|_, (t, _)| t.id.to_string() != *token);
            }
            Eviction::Staff { org, account } => {
                if let (Ok(o), Ok(a)) = (OrgId::parse(org), AccountId::parse(account)) {
                    self.staff.remove(&(o, a));
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
        }
    }
}

/// Evicts here and tells every other node.
pub async fn evict(cache: &AuthCache, bus: &dyn Bus, e: Eviction) {
    cache.apply(&e);
    if let Ok(payload) = serde_json::to_string(&e)
        && let Err(err) = bus.publish(AUTH_TOPIC, &payload).await
    {
        tracing::warn!(error = %err, "auth eviction not announced; other nodes catch up within the TTL");
    }
}

pub fn token_eviction(id: TokenId) -> Eviction {
    Eviction::Token {
        token: id.to_string(),
    }
}

pub fn staff_eviction(org: OrgId, account: AccountId) -> Eviction {
    Eviction::Staff {
        org: org.to_string(),
        account: account.to_string(),
    }
}

/// Applies evictions announced by any node, for the life of the process.
pub async fn listen(cache: Arc<AuthCache>, bus: Arc<dyn Bus>) {
    let mut rx = bus.subscribe(AUTH_TOPIC);
    loop {
        match rx.recv().await {
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
            }
            Err(tokio::sync::broadcast::error::RecvError::Closed) => return,
        }
    }
}
