//! What can go wrong in circles: the circle's own outcomes (join policies, posting
//! rules, tasks, invites), each a distinct outcome the web layer maps to a status and
//! a stable code, and the errors of what a circle write passes through on its way —
//! the write guard (`Moderation`) and the person a join makes (`Person`) — which keep
//! their own codes.

use crate::access::gate_refusals;
use crate::moderation::error::ModerationError;
use crate::persons::error::PersonError;
use quan_domain::{ParseError, TaskError};

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
    #[error("this post is not a task or need")]
    NotATask,
    #[error(transparent)]
    Task(TaskError),
    #[error("this invite link is invalid, expired or used up")]
    InviteInvalid,
    #[error(transparent)]
    Moderation(#[from] ModerationError),
    /// Joining makes the account a person of the org (`persons::person_for`).
    #[error(transparent)]
    Person(#[from] PersonError),
    #[error("internal error")]
    Internal(#[source] Box<dyn std::error::Error + Send + Sync>),
}

gate_refusals!(CircleError);
