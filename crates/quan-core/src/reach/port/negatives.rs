//! Negative feedback in reach's store port: what a deletion or opt-out may be blamed
//! on, and what the campaign pause rule reads back.

use super::MessageKind;
use quan_domain::{AccountId, CampaignId};

/// What a negative may be blamed on: messages of these kinds, and moments the
/// customer's feed showed them (when `moments`; only `staff`'s when it is the staff
/// member they left, since another's moment did not make them leave this one).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Blame {
    pub messages: Vec<MessageKind>,
    pub moments: bool,
    pub staff: Option<AccountId>,
}

/// A negative attributed to a campaign, with what the pause rule needs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NegativeHit {
    pub campaign: CampaignId,
    pub name: String,
    pub created_by: Option<AccountId>,
    pub delivered: i64,
    /// Negatives within the first hour after its messages showed.
    pub early: i64,
    /// Whether this negative came within that hour.
    pub in_first_hour: bool,
}
