//! What can go wrong in discovery: the circle gate's refusals, a bad reason or
//! decision, and a review step that does not fit the circle's boost status.

use crate::access::gate_refusals;
use quan_domain::ParseError;

#[derive(Debug, thiserror::Error)]
pub enum DiscoveryError {
    #[error(transparent)]
    Invalid(#[from] ParseError),
    #[error("not found")]
    NotFound,
    #[error("your role does not allow this")]
    Forbidden,
    #[error("this token lacks the {0} scope")]
    MissingScope(&'static str),
    #[error("join the circle first")]
    NotMember,
    /// A request for a circle already waiting or boosted, or a decision on one that
    /// is not waiting (two staff deciding at once: the second finds it decided).
    #[error("{0}")]
    BoostConflict(&'static str),
    #[error("internal error")]
    Internal(#[source] Box<dyn std::error::Error + Send + Sync>),
}

gate_refusals!(DiscoveryError);
