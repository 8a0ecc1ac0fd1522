//! What can go wrong with persons, each a distinct outcome with its own stable code
//! in the web layer.

use crate::access::gate_refusals;
use quan_domain::ParseError;

#[derive(Debug, thiserror::Error)]
pub enum PersonError {
    #[error(transparent)]
    Invalid(#[from] ParseError),
    #[error("not found")]
    NotFound,
    #[error("your role does not allow this")]
    Forbidden,
    #[error("this token lacks the {0} scope")]
    MissingScope(&'static str),
    #[error("another person already has this handle")]
    HandleTaken,
    #[error("{0}")]
    MergeConflict(&'static str),
    #[error("internal error")]
    Internal(#[source] Box<dyn std::error::Error + Send + Sync>),
}

// Outsiders of a circle are told nothing about its persons.
gate_refusals!(PersonError, NotFound);
