//! Customer inheritance (离职继承 / 在职继承, PRODUCT.md §3): why customers change
//! hands, the limits on it, and the transfer's state machine, driven by instants
//! the caller passes (the Clock), so deadlines are tested without sleeping.

use crate::{ParseError, Timestamp};

/// Why customers change hands (离职继承 / 在职继承).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TransferKind {
    /// The staff member leaves: a refused transfer leaves the customer unassigned.
    Resigned,
    /// The staff member stays: a refused transfer leaves the customer with them.
    OnJob,
}

impl TransferKind {
    pub const fn as_str(self) -> &'static str {
        match self {
            TransferKind::Resigned => "resigned",
            TransferKind::OnJob => "on_job",
        }
    }
    pub fn parse(raw: &str) -> Result<Self, ParseError> {
        match raw {
            "resigned" => Ok(Self::Resigned),
            "on_job" => Ok(Self::OnJob),
            _ => Err(ParseError::new(
                "kind",
                "invalid_transfer_kind",
                "resigned or on_job",
            )),
        }
    }
}

/// Customers one batch may move, the days a customer has to refuse, and how often
/// a customer may be moved.
pub const TRANSFER_BATCH_MAX: usize = 100;
pub const TRANSFER_REFUSE_HOURS: i64 = 24;
pub const TRANSFERS_PER_WINDOW: i64 = 2;
pub const TRANSFER_WINDOW_DAYS: i64 = 90;
/// The message to the customer, at most.
pub const TRANSFER_MESSAGE_MAX: usize = 200;

/// Where a transfer is. Pending until the customer refuses or the refusal window
/// ends; completion fails (with its reason) when the move cannot be made then.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TransferState {
    Pending,
    Completed,
    Refused,
    Failed(String),
}

/// What happens to a transfer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TransferEvent {
    /// The customer refused, at `at`.
    Refuse { at: Timestamp },
    /// The window ended at `at` with no refusal.
    Lapse { at: Timestamp },
    /// The move could not be made.
    Fail(String),
}

impl TransferState {
    pub fn as_str(&self) -> &'static str {
        match self {
            TransferState::Pending => "pending",
            TransferState::Completed => "completed",
            TransferState::Refused => "refused",
            TransferState::Failed(_) => "failed",
        }
    }

    /// The state after `e`, for a transfer due at `due`. A refusal after the window,
    /// a lapse before it, or anything after the end is an illegal transition.
    pub fn next(&self, e: &TransferEvent, due: Timestamp) -> Result<TransferState, ParseError> {
        let illegal = |why: &str| {
            Err(ParseError::new(
                "transfer",
                "transfer_state",
                format!("{why} (the transfer is {})", self.as_str()),
            ))
        };
        if *self != TransferState::Pending {
            return illegal("this transfer is decided already");
        }
        match e {
            TransferEvent::Refuse { at } if *at < due => Ok(TransferState::Refused),
            TransferEvent::Refuse { .. } => illegal("the time to refuse has passed"),
            TransferEvent::Lapse { at } if *at >= due => Ok(TransferState::Completed),
            TransferEvent::Lapse { .. } => illegal("the customer may still refuse"),
            TransferEvent::Fail(why) => Ok(TransferState::Failed(why.clone())),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_transfer_is_refused_in_time_or_completes_after_it() {
        let due = Timestamp::from_millis(1_000);
        let p = TransferState::Pending;
        let early = Timestamp::from_millis(999);
        assert_eq!(
            p.next(&TransferEvent::Refuse { at: early }, due),
            Ok(TransferState::Refused)
        );
        assert!(
            p.next(&TransferEvent::Refuse { at: due }, due).is_err(),
            "too late to refuse"
        );
        assert!(
            p.next(&TransferEvent::Lapse { at: early }, due).is_err(),
            "not yet"
        );
        assert_eq!(
            p.next(&TransferEvent::Lapse { at: due }, due),
            Ok(TransferState::Completed)
        );
        let failed = p.next(&TransferEvent::Fail("receiver_at_cap".into()), due);
        assert_eq!(failed, Ok(TransferState::Failed("receiver_at_cap".into())));
        for done in [
            TransferState::Completed,
            TransferState::Refused,
            TransferState::Failed("x".into()),
        ] {
            for e in [
                TransferEvent::Refuse { at: early },
                TransferEvent::Lapse { at: due },
                TransferEvent::Fail("y".into()),
            ] {
                assert_eq!(
                    done.next(&e, due).map_err(|e| e.code),
                    Err("transfer_state"),
                    "{done:?} {e:?}"
                );
            }
        }
        assert_eq!(TransferKind::parse("on_job"), Ok(TransferKind::OnJob));
        assert!(TransferKind::parse("fired").is_err());
    }
}
