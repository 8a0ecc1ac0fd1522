//! Days on which members read their circles, one of the signals trust levels are
//! earned from. A visit is written at most once a day per member and circle on each
//! node (this in-process guard keeps the read path free of writes) and the store's
//! key makes a second node's write a no-op.

use crate::Services;
use dashmap::DashMap;
use quan_domain::{AccountId, CircleId};

/// Past this many entries the guard is cleared rather than grown (the cost is one
/// idempotent write per member seen again that day).
const MAX_ENTRIES: usize = 200_000;
const DAY_MS: i64 = 86_400_000;

#[derive(Debug, Default)]
pub struct Visits {
    seen: DashMap<(CircleId, AccountId), i64>,
}

impl Visits {
    /// Whether this node has not yet recorded the member in the circle on `day`;
    /// marks them recorded.
    fn first_today(&self, circle: CircleId, account: AccountId, day: i64) -> bool {
        if self.seen.get(&(circle, account)).is_some_and(|d| *d == day) {
            return false;
        }
        if self.seen.len() >= MAX_ENTRIES {
            self.seen.clear();
        }
        self.seen.insert((circle, account), day) != Some(day)
    }

    fn forget(&self, circle: CircleId, account: AccountId) {
        self.seen.remove(&(circle, account));
    }
}

/// Notes that an active member read the circle now.
pub(crate) async fn note(svc: &Services, circle: CircleId, account: AccountId) {
    let day = svc.clock.now().millis().div_euclid(DAY_MS);
    if !svc.visits.first_today(circle, account, day) {
        return;
    }
    // A lost visit costs a member a little trust, never a read: log and go on.
    if let Err(e) = svc.store.visit_record(circle, account, day).await {
        tracing::warn!(error = %e, %circle, "recording a visit failed");
        svc.visits.forget(circle, account);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn once_a_day_per_member_and_circle() {
        let v = Visits::default();
        let (c, a, b) = (CircleId::new(), AccountId::new(), AccountId::new());
        assert!(v.first_today(c, a, 10));
        assert!(!v.first_today(c, a, 10));
        assert!(v.first_today(c, b, 10), "another member is another visit");
        assert!(v.first_today(c, a, 11), "the next day is another visit");
        v.forget(c, a);
        assert!(v.first_today(c, a, 11), "a failed write is retried");
    }
}
