//! What can go wrong with one's own notifications: the gate's refusals (a token
//! without the scope; settings are a person's own, not an integration's).

use crate::access::gate_refusals;
use quan_domain::ParseError;

#[derive(Debug, thiserror::Error)]
pub enum NotifyError {
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
    #[error("internal error")]
    Internal(#[source] Box<dyn std::error::Error + Send + Sync>),
}

gate_refusals!(NotifyError);
