//! What can go wrong in reach, each a distinct outcome with its own stable code in
//! the web layer.

use crate::access::gate_refusals;
use quan_domain::ParseError;

#[derive(Debug, thiserror::Error)]
pub enum ReachError {
    #[error(transparent)]
    Invalid(#[from] ParseError),
    #[error("not found")]
    NotFound,
    #[error("your role does not allow this")]
    Forbidden,
    #[error("this token lacks the {0} scope")]
    MissingScope(&'static str),
    /// Reach has no circle gate; an outsider is told nothing.
    #[error("not found")]
    NotMember,
    /// The staff member (and the code's backup, if any) holds `cap` customers.
    #[error("this staff member already has {cap} customers, the org's cap")]
    AtCap { cap: i64 },
    /// An account named as staff is not staff of the org.
    #[error("not staff of this org")]
    NotStaff,
    /// The channel code was archived.
    #[error("this channel code is no longer in use")]
    CodeArchived,
    /// A campaign step that does not fit where it is (a second send, a second
    /// confirmation, a confirmation before planning).
    #[error("{0}")]
    CampaignState(&'static str),
    /// A journey step that does not fit where it is: enabling what is not a draft
    /// (`journey_not_draft`) or before a dry run (`journey_needs_dry_run`),
    /// archiving twice (`journey_archived`).
    #[error("{message}")]
    JourneyState {
        code: &'static str,
        message: &'static str,
    },
    /// A campaign chose a channel this node or org cannot deliver on: e-mail without
    /// an SMTP server configured, a webhook without the org's endpoint.
    #[error("{0} delivery is not set up")]
    ChannelUnavailable(&'static str),
    /// Quiet hours hold a room campaign's messages: its share can be confirmed
    /// when they end, `retry_after` from now (a chat message cannot wait hidden as
    /// a customer's can).
    #[error("quiet hours: confirm when they end")]
    QuietHours { retry_after: std::time::Duration },
    /// Too many comments too fast.
    #[error("you are sending too fast; wait a moment")]
    RateLimited { retry_after: std::time::Duration },
    #[error("internal error")]
    Internal(#[source] Box<dyn std::error::Error + Send + Sync>),
}

gate_refusals!(ReachError);
