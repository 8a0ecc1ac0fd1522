//! What can go wrong with persons, each a distinct outcome with its own stable code
//! in the web layer.

use crate::access::AccessError;
use crate::ports::StoreError;
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

impl From<StoreError> for PersonError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::NotFound => PersonError::NotFound,
            other => PersonError::Internal(Box::new(other)),
        }
    }
}

impl From<AccessError> for PersonError {
    fn from(e: AccessError) -> Self {
        match e {
            AccessError::NotFound | AccessError::NotMember => PersonError::NotFound,
            AccessError::Forbidden => PersonError::Forbidden,
            AccessError::MissingScope(s) => PersonError::MissingScope(s),
            AccessError::Internal(e) => PersonError::Internal(e),
        }
    }
}
