//! A person's lifecycle stage (PRODUCT.md §3: visitor → follower → engaged →
//! customer → repeat customer → advocate; churned), derived from what they did by
//! one rule, [`derive_stage`].

use crate::LifecycleStage;

/// What a person did, as far as their stage is concerned.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct StageFacts {
    /// Whether they follow the org now: a contact of some staff member or an active
    /// member of a circle.
    pub follows: bool,
    /// Whether they ever did (a contact or member once).
    pub ever_followed: bool,
    /// Posts, comments and messages in the last 30 days.
    pub interactions_30d: i64,
    /// Days since they last did anything, if ever.
    pub idle_days: Option<i64>,
    /// Orders paid (commerce adds them).
    pub paid_orders: i64,
    /// People they brought who joined (invites, shared codes).
    pub referrals: i64,
}

/// Interactions in 30 days that make a follower engaged.
pub const ENGAGED_INTERACTIONS: i64 = 3;
/// Idle days after which someone who followed is churned.
pub const CHURN_IDLE_DAYS: i64 = 90;

/// A person's lifecycle stage from what they did: the one place it is decided.
///
/// - churned: followed once, and now follows no more or has been idle 90 days;
/// - advocate: a repeat customer who brought someone in;
/// - repeat customer: two paid orders or more; customer: one;
/// - engaged: a follower with three interactions in 30 days;
/// - follower: a contact or member; visitor: anyone else.
pub fn derive_stage(f: &StageFacts) -> LifecycleStage {
    let idle = f.idle_days.is_some_and(|d| d >= CHURN_IDLE_DAYS);
    if f.ever_followed && (!f.follows || idle) {
        return LifecycleStage::Churned;
    }
    match f.paid_orders {
        n if n >= 2 && f.referrals >= 1 => LifecycleStage::Advocate,
        n if n >= 2 => LifecycleStage::RepeatCustomer,
        1 => LifecycleStage::Customer,
        _ if f.follows && f.interactions_30d >= ENGAGED_INTERACTIONS => LifecycleStage::Engaged,
        _ if f.follows => LifecycleStage::Follower,
        _ => LifecycleStage::Visitor,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_stage_has_its_rule() {
        use LifecycleStage as S;
        let base = StageFacts::default();
        assert_eq!(derive_stage(&base), S::Visitor);
        let follower = StageFacts {
            follows: true,
            ever_followed: true,
            idle_days: Some(1),
            ..base
        };
        assert_eq!(derive_stage(&follower), S::Follower);
        let engaged = StageFacts {
            interactions_30d: ENGAGED_INTERACTIONS,
            ..follower
        };
        assert_eq!(derive_stage(&engaged), S::Engaged);
        assert_eq!(
            derive_stage(&StageFacts {
                interactions_30d: ENGAGED_INTERACTIONS - 1,
                ..follower
            }),
            S::Follower
        );
        let customer = StageFacts {
            paid_orders: 1,
            ..engaged
        };
        assert_eq!(derive_stage(&customer), S::Customer);
        let repeat = StageFacts {
            paid_orders: 2,
            ..customer
        };
        assert_eq!(derive_stage(&repeat), S::RepeatCustomer);
        assert_eq!(
            derive_stage(&StageFacts {
                referrals: 1,
                ..repeat
            }),
            S::Advocate
        );
        // Leaving, or 90 idle days, churns whoever followed; a visitor never churns.
        assert_eq!(
            derive_stage(&StageFacts {
                follows: false,
                ..repeat
            }),
            S::Churned
        );
        assert_eq!(
            derive_stage(&StageFacts {
                idle_days: Some(CHURN_IDLE_DAYS),
                ..engaged
            }),
            S::Churned
        );
        assert_eq!(
            derive_stage(&StageFacts {
                idle_days: Some(400),
                ..base
            }),
            S::Visitor
        );
    }
}
