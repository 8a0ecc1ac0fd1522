//! What can go wrong with leaders and pickup points: the org gate's refusals, bad
//! input (coordinates, radius, commission …), and a stand-in who cannot stand in.

use crate::access::gate_refusals;
use quan_domain::ParseError;

#[derive(Debug, thiserror::Error)]
pub enum LocalError {
    #[error(transparent)]
    Invalid(#[from] ParseError),
    #[error("not found")]
    NotFound,
    #[error("your role does not allow this")]
    Forbidden,
    #[error("this token lacks the {0} scope")]
    MissingScope(&'static str),
    #[error("join the org first")]
    NotMember,
    /// No served pickup point covers the place asked about.
    #[error("no pickup point serves this place yet")]
    NoPickupPoint,
    #[error("internal error")]
    Internal(#[source] Box<dyn std::error::Error + Send + Sync>),
}

gate_refusals!(LocalError);
