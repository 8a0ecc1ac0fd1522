//! Early replies to flash-sale buyers (the API's `Prefer: respond-async`, RFC
//! 7240): a buyer the gate admits is answered at once with the id their order
//! will have, and the order is written on a task of its own. A crowd's winners
//! then no longer hold their connections while their orders wait for the one
//! writer, and the writer gets them in larger groups. The buyer polls the
//! order's address: "queued" until it is written, then the order, or the reason
//! it was not (`flash_sold_out`, `flash_limit_reached`, …).
//!
//! A ticket is a promise to try, not an order: until the order is written it
//! lives in this node's memory only. A node stopping asks its tickets to finish
//! first ([`Tickets::drain`]); a node that dies loses the tickets in flight, the
//! units they were admitted for were never taken from the sale in the store, and
//! their buyers' polls answer `not_found` (buy again). So tickets are given on
//! one node only (in a cluster a poll could reach a node that never heard of the
//! ticket) and never with a coupon (its claim is spent where refusals are told).

use super::Result;
use super::error::CommerceError;
use super::orders::mine;
use super::port::OrderRecord;
use crate::Services;
use crate::access::{Actor, require_scope};
use dashmap::DashMap;
use quan_domain::{AccountId, OrderId, Scope};
use std::future::Future;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};
use tokio_util::task::TaskTracker;
use tracing::Instrument;

/// How long a finished ticket still answers its buyer's polls (the order is in
/// the store by then; a refusal's reason is kept this long).
const KEPT: Duration = Duration::from_secs(600);

/// Finished tickets are swept once every this many new ones.
const SWEEP_EVERY: u64 = 256;

/// What a poll of an order's address found.
#[derive(Debug)]
pub enum Polled {
    /// Admitted; the order is being written.
    Queued,
    Order(Box<OrderRecord>),
}

/// The tickets of this node: those whose orders are being written, under their
/// buyer and key (a twin under the same key gets the same ticket), and by the
/// order id they promised, until written under it (then the store answers) or,
/// when they became another order or none, until finished for [`KEPT`].
#[derive(Default)]
pub struct Tickets {
    pending: DashMap<(AccountId, String), Pending>,
    by_order: DashMap<OrderId, Ticket>,
    tasks: TaskTracker,
    made: AtomicU64,
}

struct Ticket {
    buyer: AccountId,
    /// `None` while the order is being written; then the order it became (a
    /// replay's is the first order under the key) or why there is none.
    outcome: Option<std::result::Result<OrderId, Arc<CommerceError>>>,
    since: Instant,
}

/// What asking for a ticket under a buyer's key gave.
pub(super) enum Claimed {
    /// A new ticket: the buy goes on to the gate.
    New(Claim),
    /// The same request under the same key is queued already.
    Twin(OrderId),
    /// A different request is queued under the key.
    Reused,
}

/// A ticket while its buy is decided and its order written. Dropped while
/// deciding (the buy failed before the gate), it is withdrawn; dropped once sent
/// without an outcome (its write panicked or was cancelled), its buyer is told
/// the order was not written rather than "queued" for ever.
pub(super) struct Claim {
    tickets: Arc<Tickets>,
    buyer: AccountId,
    key: String,
    order: OrderId,
    stage: Stage,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Stage {
    Deciding,
    Sent,
    Done,
}

/// A ticket queued under a buyer's key: the order it promised, the request it
/// stands for, and whether a twin was given it (then a refusal is kept for the
/// twin's polls; otherwise the refused buyer was told directly and it goes).
struct Pending {
    order: OrderId,
    hash: String,
    twinned: bool,
}

impl Claim {
    pub(super) const fn order(&self) -> OrderId {
        self.order
    }

    /// The gate turned the buy away: the ticket goes, unless a twin holds it,
    /// who is then told why.
    pub(super) fn refuse(mut self, e: &CommerceError) {
        self.stage = Stage::Done;
        let twinned = self
            .tickets
            .pending
            .remove(&(self.buyer, std::mem::take(&mut self.key)))
            .is_some_and(|(_, p)| p.twinned);
        if twinned {
            self.tickets.settle(self.order, Err(Arc::new(again(e))));
        } else {
            self.tickets.by_order.remove(&self.order);
        }
    }

    /// The order's write ended: its outcome is kept for polls (unless the order
    /// was written under the ticket's id, which the store answers for), then
    /// the key is free. The outcome first: a twin that no longer finds the
    /// ticket pending reads the buyer's key, and the order is there by then.
    fn finish(&mut self, outcome: Result<OrderId>) {
        self.stage = Stage::Done;
        match outcome {
            Ok(written) if written == self.order => {
                self.tickets.by_order.remove(&self.order);
            }
            other => self.tickets.settle(self.order, other.map_err(Arc::new)),
        }
        self.tickets
            .pending
            .remove(&(self.buyer, std::mem::take(&mut self.key)));
    }
}

impl Drop for Claim {
    fn drop(&mut self) {
        match self.stage {
            Stage::Deciding => {
                self.tickets
                    .pending
                    .remove(&(self.buyer, std::mem::take(&mut self.key)));
                self.tickets.by_order.remove(&self.order);
            }
            Stage::Sent => {
                tracing::error!(order = %self.order, "flash sale: a queued order's write was abandoned");
                self.finish(Err(CommerceError::Internal(
                    "the order's write was abandoned".into(),
                )));
            }
            Stage::Done => {}
        }
    }
}

impl Tickets {
    /// A ticket for `buyer`'s request under `key`, unless one is queued there.
    pub(super) fn claim(self: &Arc<Self>, buyer: AccountId, key: &str, hash: &str) -> Claimed {
        use dashmap::mapref::entry::Entry;
        let order = match self.pending.entry((buyer, key.to_owned())) {
            Entry::Occupied(mut e) if e.get().hash == hash => {
                e.get_mut().twinned = true;
                return Claimed::Twin(e.get().order);
            }
            Entry::Occupied(_) => return Claimed::Reused,
            Entry::Vacant(e) => {
                let order = OrderId::new();
                // Findable by its id before a twin can be given it.
                self.by_order.insert(
                    order,
                    Ticket {
                        buyer,
                        outcome: None,
                        since: Instant::now(),
                    },
                );
                e.insert(Pending {
                    order,
                    hash: hash.to_owned(),
                    twinned: false,
                });
                order
            }
        };
        // What is kept past its order's write is rare (twins refused, replays,
        // failures): a sweep over what is left now and then is cheap.
        if self.made.fetch_add(1, Ordering::Relaxed) % SWEEP_EVERY == SWEEP_EVERY - 1 {
            self.by_order
                .retain(|_, t| t.outcome.is_none() || t.since.elapsed() < KEPT);
        }
        Claimed::New(Claim {
            tickets: Arc::clone(self),
            buyer,
            key: key.to_owned(),
            order,
            stage: Stage::Deciding,
        })
    }

    /// Keeps a finished ticket's outcome for its buyer's polls.
    fn settle(&self, order: OrderId, outcome: std::result::Result<OrderId, Arc<CommerceError>>) {
        if let Some(mut t) = self.by_order.get_mut(&order) {
            t.outcome = Some(outcome);
            t.since = Instant::now();
        }
    }

    /// Writes the claim's order on a task of its own (`write` gives the id of the
    /// order the ticket became) and finishes the ticket with its outcome.
    pub(super) fn send<F>(&self, mut claim: Claim, write: F)
    where
        F: Future<Output = Result<OrderId>> + Send + 'static,
    {
        claim.stage = Stage::Sent;
        let order = claim.order;
        self.tasks.spawn(
            async move {
                let outcome = write.await;
                if let Err(e @ CommerceError::Internal(_)) = &outcome {
                    tracing::error!(error = %e, %order, "flash sale: a queued order could not be written");
                }
                claim.finish(outcome);
            }
            .in_current_span(),
        );
    }

    pub(super) fn held(&self) -> usize {
        self.by_order.len()
    }

    /// Waits up to `grace` for the orders being written (a node stopping); says
    /// whether they all were.
    pub async fn drain(&self, grace: Duration) -> bool {
        self.tasks.close();
        tokio::time::timeout(grace, self.tasks.wait()).await.is_ok()
    }
}

/// The caller's order `id`: queued while a ticket of theirs is being written,
/// then the order it became or the reason it was not written; otherwise the
/// order in the store (`not_found` when there is none of theirs).
pub async fn poll(svc: &Services, actor: &Actor, id: OrderId) -> Result<Polled> {
    require_scope(actor, Scope::Read)?;
    let seen = svc
        .flash
        .tickets
        .by_order
        .get(&id)
        .filter(|t| t.buyer == actor.account_id())
        .map(|t| t.outcome.clone());
    match seen {
        Some(None) => Ok(Polled::Queued),
        Some(Some(Ok(written))) => mine(svc, actor, written)
            .await
            .map(|o| Polled::Order(Box::new(o))),
        Some(Some(Err(e))) => Err(again(&e)),
        None => mine(svc, actor, id)
            .await
            .map(|o| Polled::Order(Box::new(o))),
    }
}

/// A ticket's refusal, told again to each poll (the error itself is kept once).
fn again(e: &CommerceError) -> CommerceError {
    match e {
        CommerceError::FlashSoldOut => CommerceError::FlashSoldOut,
        CommerceError::FlashLimitReached => CommerceError::FlashLimitReached,
        CommerceError::IdempotencyReused => CommerceError::IdempotencyReused,
        CommerceError::FlashNotLive { code, message } => CommerceError::FlashNotLive {
            code,
            message: message.clone(),
        },
        CommerceError::NotFound => CommerceError::NotFound,
        other => CommerceError::Internal(format!("the order could not be written: {other}").into()),
    }
}
