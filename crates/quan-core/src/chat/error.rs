//! What can go wrong in chat: its own outcomes (sending too fast, promoting a message
//! twice), and the refusals of what a chat write passes through on its way — the
//! circle gate and the image rules (`Circle`), the write guard (`Moderation`) —
//! which keep their own codes.

use crate::access::AccessError;
use crate::circles::CircleError;
use crate::moderation::error::ModerationError;
use crate::ports::StoreError;
use quan_domain::ParseError;

#[derive(Debug, thiserror::Error)]
pub enum ChatError {
    #[error(transparent)]
    Circle(#[from] CircleError),
    #[error(transparent)]
    Moderation(#[from] ModerationError),
    #[error("you are sending too fast; wait {retry_after:?}")]
    RateLimited { retry_after: std::time::Duration },
    #[error("this message is already a topic")]
    AlreadyPromoted,
}

impl From<AccessError> for ChatError {
    fn from(e: AccessError) -> Self {
        Self::Circle(e.into())
    }
}

impl From<StoreError> for ChatError {
    fn from(e: StoreError) -> Self {
        Self::Circle(e.into())
    }
}

impl From<ParseError> for ChatError {
    fn from(e: ParseError) -> Self {
        Self::Circle(e.into())
    }
}
