//! What can go wrong in moderation: the write guard's refusals (a sanction in force,
//! the first-day limits, a sensitive word), which every member write of circles and
//! chat carries on with its own code, and the outcomes of moderators' own acts.

use crate::access::gate_refusals;
use quan_domain::{ParseError, Timestamp};

#[derive(Debug, thiserror::Error)]
pub enum ModerationError {
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
    #[error("you are muted or banned in this circle")]
    Muted { until: Option<Timestamp> },
    #[error("you are banned from this circle")]
    Banned,
    #[error("new members may write only a few {0} in their first day")]
    NewMemberLimit(&'static str),
    /// The word found, so the writer knows what to change.
    #[error("this text contains a word this organisation does not allow: «{0}»")]
    SensitiveWord(String),
    #[error("a circle has at most 5 pinned posts; unpin one first")]
    PinLimit,
    #[error("you have already reported this post")]
    AlreadyReported,
    #[error("internal error")]
    Internal(#[source] Box<dyn std::error::Error + Send + Sync>),
}

gate_refusals!(ModerationError);
