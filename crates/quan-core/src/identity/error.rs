//! What can go wrong in identity: sign-up, sign-in and its rate limits, staff and
//! org invites, tokens.

use crate::access::gate_refusals;
use crate::secrets::HashError;
use quan_domain::ParseError;
use std::time::Duration;

/// Everything that can go wrong in this capability, each a distinct outcome the web
/// layer maps to a status and a stable code.
#[derive(Debug, thiserror::Error)]
pub enum IdentityError {
    #[error(transparent)]
    Invalid(#[from] ParseError),
    #[error("an account with this e-mail address already exists")]
    EmailTaken,
    #[error("an account with this phone number already exists")]
    PhoneTaken,
    #[error("wrong login or password")]
    BadCredentials,
    #[error("too many attempts; try again in {retry_after:?}")]
    TooManyAttempts { retry_after: Duration },
    #[error("not signed in")]
    Unauthenticated,
    #[error("not found")]
    NotFound,
    #[error("your role does not allow this")]
    Forbidden,
    #[error("this token lacks the {0} scope")]
    MissingScope(&'static str),
    #[error("an org must keep at least one owner")]
    LastOwner,
    #[error("this invite link is invalid, expired or used up")]
    InviteInvalid,
    #[error("already a member of this org")]
    AlreadyStaff,
    #[error("a handle with this value already exists in this org")]
    HandleTaken,
    #[error("internal error")]
    Internal(#[source] Box<dyn std::error::Error + Send + Sync>),
}

// An org's outsiders are told nothing: not a member is not found.
gate_refusals!(IdentityError, NotFound);

impl From<HashError> for IdentityError {
    fn from(e: HashError) -> Self {
        IdentityError::Internal(Box::new(e))
    }
}

impl From<crate::ports::CounterError> for IdentityError {
    fn from(e: crate::ports::CounterError) -> Self {
        IdentityError::Internal(Box::new(e))
    }
}
