//! What can go wrong in circles and the capabilities that run inside them (moderation,
//! notifications, search share it for now; discovery and chat have their own), each a distinct outcome
//! the web layer maps to a status and a stable code.

use crate::access::AccessError;
use crate::ports::StoreError;
use quan_domain::{ParseError, TaskError, Timestamp};

#[derive(Debug, thiserror::Error)]
pub enum CircleError {
    #[error(transparent)]
    Invalid(#[from] ParseError),
    #[error("not found")]
    NotFound,
    #[error("your role does not allow this")]
    Forbidden,
    #[error("this token lacks the {0} scope")]
    MissingScope(&'static str),
    #[error("already a member, or a request is already waiting")]
    AlreadyMember,
    #[error("this circle is for staff of its organisation only")]
    OrgMembersOnly,
    #[error("this circle is joined by invitation only")]
    InviteRequired,
    #[error("this circle requires paid membership, which is not available yet")]
    PaymentRequired,
    #[error("only the circle's owners, admins, moderators and teachers may post here")]
    PostingRestricted,
    #[error("join the circle first")]
    NotMember,
    #[error("you are muted or banned in this circle")]
    Muted { until: Option<Timestamp> },
    #[error("you are banned from this circle")]
    Banned,
    #[error("new members may write only a few {0} in their first day")]
    NewMemberLimit(&'static str),
    /// The word found, so the writer knows what to change.
    #[error("this text contains a word this organisation does not allow: «{0}»")]
    SensitiveWord(String),
    #[error("this post is not a task or need")]
    NotATask,
    #[error(transparent)]
    Task(TaskError),
    #[error("a circle has at most 5 pinned posts; unpin one first")]
    PinLimit,
    #[error("you have already reported this post")]
    AlreadyReported,
    #[error("this invite link is invalid, expired or used up")]
    InviteInvalid,
    #[error("{0}")]
    MergeConflict(&'static str),
    #[error("internal error")]
    Internal(#[source] Box<dyn std::error::Error + Send + Sync>),
}

impl From<StoreError> for CircleError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::NotFound => CircleError::NotFound,
            other => CircleError::Internal(Box::new(other)),
        }
    }
}

impl From<AccessError> for CircleError {
    fn from(e: AccessError) -> Self {
        match e {
            AccessError::NotFound => CircleError::NotFound,
            AccessError::Forbidden => CircleError::Forbidden,
            AccessError::MissingScope(s) => CircleError::MissingScope(s),
            AccessError::NotMember => CircleError::NotMember,
            AccessError::Internal(e) => CircleError::Internal(e),
        }
    }
}

/// Joining makes the account a person of the org (`persons::person_for`).
impl From<crate::persons::error::PersonError> for CircleError {
    fn from(e: crate::persons::error::PersonError) -> Self {
        use crate::persons::error::PersonError as P;
        match e {
            P::Invalid(pe) => CircleError::Invalid(pe),
            P::NotFound => CircleError::NotFound,
            P::Forbidden => CircleError::Forbidden,
            P::MissingScope(s) => CircleError::MissingScope(s),
            P::MergeConflict(m) => CircleError::MergeConflict(m),
            P::HandleTaken => CircleError::Internal("a person's handle is taken".into()),
            P::Internal(e) => CircleError::Internal(e),
        }
    }
}
