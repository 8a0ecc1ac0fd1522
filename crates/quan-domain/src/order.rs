//! An order's life (PRODUCT.md §4): created → paid → fulfilled → completed;
//! cancelled before payment; refund requested → refunded (or the request declined).
//! One function moves it, and a move that does not fit the state is an error, never
//! a silent no-op, so a webhook that arrives twice or out of order is told so.

use crate::ParseError;

/// Minutes an unpaid order holds its stock, unless the operator sets otherwise.
pub const RESERVE_MINUTES_DEFAULT: i64 = 15;
/// The range an operator may set (`commerce.reserve_minutes`).
pub const RESERVE_MINUTES_MIN: i64 = 1;
pub const RESERVE_MINUTES_MAX: i64 = 24 * 60;
/// Lines in one order, at most.
pub const ORDER_LINES_MAX: usize = 50;
/// An idempotency key, at most.
pub const IDEMPOTENCY_KEY_MAX: usize = 128;

crate::circles::str_enum! {
    /// What a product is: goods to hand over, or a seat in a circle that paying for
    /// it joins (the product's circle; PRODUCT.md §2 "paid" joining).
    ProductKind, "kind", "invalid_product_kind" {
        Goods = "goods",
        Membership = "membership",
    }
}

// The enum comes from `str_enum!`, which cannot mark a variant `#[default]`.
#[allow(clippy::derivable_impls)]
impl Default for ProductKind {
    fn default() -> Self {
        Self::Goods
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum OrderStatus {
    /// Stock reserved, waiting for payment.
    Created,
    Paid,
    /// Shipped, or ready for pickup.
    Fulfilled,
    Completed,
    /// By the buyer, or because payment did not come in time.
    Cancelled,
    RefundRequested,
    Refunded,
}

/// What happens to an order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum OrderEvent {
    Pay,
    Fulfil,
    Complete,
    /// The buyer cancels, or the reservation lapses.
    Cancel,
    RequestRefund,
    /// The refund went through.
    Refund,
    /// A refund of some of its lines went through: the rest stays where it was
    /// paid or fulfilled, and may be refunded later.
    RefundPart,
    /// Staff decline the request: back to where it was paid or fulfilled.
    DeclineRefund,
}

impl OrderStatus {
    pub const ALL: [OrderStatus; 7] = [
        OrderStatus::Created,
        OrderStatus::Paid,
        OrderStatus::Fulfilled,
        OrderStatus::Completed,
        OrderStatus::Cancelled,
        OrderStatus::RefundRequested,
        OrderStatus::Refunded,
    ];

    pub const fn as_str(self) -> &'static str {
        match self {
            OrderStatus::Created => "created",
            OrderStatus::Paid => "paid",
            OrderStatus::Fulfilled => "fulfilled",
            OrderStatus::Completed => "completed",
            OrderStatus::Cancelled => "cancelled",
            OrderStatus::RefundRequested => "refund_requested",
            OrderStatus::Refunded => "refunded",
        }
    }

    pub fn parse(raw: &str) -> Result<Self, ParseError> {
        Self::ALL
            .into_iter()
            .find(|s| s.as_str() == raw)
            .ok_or_else(|| ParseError::new("status", "invalid_status", "not an order status"))
    }

    /// Whether nothing more can happen to it.
    pub const fn is_final(self) -> bool {
        matches!(
            self,
            OrderStatus::Completed | OrderStatus::Cancelled | OrderStatus::Refunded
        )
    }

    /// The state after `e`, with `before_refund` the state a refund request was made
    /// from (where a declined request returns). Anything else is an illegal
    /// transition, with the code `illegal_transition`.
    pub fn next(
        self,
        e: OrderEvent,
        before_refund: Option<OrderStatus>,
    ) -> Result<OrderStatus, ParseError> {
        use OrderEvent as E;
        use OrderStatus as S;
        let to = match (self, e) {
            (S::Created, E::Pay) => S::Paid,
            (S::Created, E::Cancel) => S::Cancelled,
            (S::Paid, E::Fulfil) => S::Fulfilled,
            (S::Fulfilled, E::Complete) => S::Completed,
            (S::Paid | S::Fulfilled, E::RequestRefund) => S::RefundRequested,
            (S::RefundRequested, E::Refund) => S::Refunded,
            (S::RefundRequested, E::DeclineRefund | E::RefundPart) => match before_refund {
                Some(s @ (S::Paid | S::Fulfilled)) => s,
                _ => S::Paid,
            },
            _ => {
                return Err(ParseError::new(
                    "status",
                    "illegal_transition",
                    format!("an order that is {} cannot {}", self.as_str(), e.as_str()),
                ));
            }
        };
        Ok(to)
    }
}

impl OrderEvent {
    pub const ALL: [OrderEvent; 8] = [
        OrderEvent::Pay,
        OrderEvent::Fulfil,
        OrderEvent::Complete,
        OrderEvent::Cancel,
        OrderEvent::RequestRefund,
        OrderEvent::Refund,
        OrderEvent::RefundPart,
        OrderEvent::DeclineRefund,
    ];

    pub const fn as_str(self) -> &'static str {
        match self {
            OrderEvent::Pay => "pay",
            OrderEvent::Fulfil => "fulfil",
            OrderEvent::Complete => "complete",
            OrderEvent::Cancel => "cancel",
            OrderEvent::RequestRefund => "request_refund",
            OrderEvent::Refund => "refund",
            OrderEvent::RefundPart => "refund_part",
            OrderEvent::DeclineRefund => "decline_refund",
        }
    }
}

/// An idempotency key a client sent: 1 to [`IDEMPOTENCY_KEY_MAX`] visible ASCII
/// characters (a UUID, a hash, `order-42`).
pub fn idempotency_key(raw: &str) -> Result<String, ParseError> {
    let k = raw.trim();
    if k.is_empty() {
        return Err(ParseError::new(
            "idempotency_key",
            "idempotency_key_required",
            "send an Idempotency-Key header",
        ));
    }
    if k.len() > IDEMPOTENCY_KEY_MAX || !k.bytes().all(|b| b.is_ascii_graphic()) {
        return Err(ParseError::new(
            "idempotency_key",
            "invalid_idempotency_key",
            format!("at most {IDEMPOTENCY_KEY_MAX} visible ASCII characters"),
        ));
    }
    Ok(k.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;
    use OrderEvent as E;
    use OrderStatus as S;
    use proptest::prelude::*;

    #[test]
    fn the_happy_path_and_its_refusals() {
        let mut s = S::Created;
        for e in [E::Pay, E::Fulfil, E::Complete] {
            s = s.next(e, None).unwrap_or_else(|e| panic!("{e}"));
        }
        assert_eq!(s, S::Completed);
        assert!(s.is_final());
        // A second payment webhook: an error, not a no-op.
        let r = S::Paid.next(E::Pay, None);
        assert_eq!(r.map_err(|e| e.code), Err("illegal_transition"));
        assert_eq!(
            S::Paid.next(E::Cancel, None).map_err(|e| e.code),
            Err("illegal_transition"),
            "a paid order is refunded, not cancelled"
        );
        assert_eq!(S::Created.next(E::Cancel, None), Ok(S::Cancelled));
        assert_eq!(
            S::Fulfilled.next(E::RequestRefund, None),
            Ok(S::RefundRequested)
        );
        assert_eq!(
            S::RefundRequested.next(E::DeclineRefund, Some(S::Fulfilled)),
            Ok(S::Fulfilled)
        );
        assert_eq!(S::RefundRequested.next(E::Refund, None), Ok(S::Refunded));
        assert_eq!(
            S::RefundRequested.next(E::RefundPart, Some(S::Fulfilled)),
            Ok(S::Fulfilled),
            "part refunded: the rest goes on"
        );
        for s in S::ALL {
            assert_eq!(S::parse(s.as_str()), Ok(s));
        }
        assert_eq!(
            idempotency_key(" ").map_err(|e| e.code),
            Err("idempotency_key_required")
        );
        assert_eq!(
            idempotency_key("a b").map_err(|e| e.code),
            Err("invalid_idempotency_key")
        );
        assert_eq!(idempotency_key(" k-1 ").as_deref(), Ok("k-1"));
    }

    proptest! {
        /// Over any sequence of events: a final state never moves, every accepted
        /// move is one of the drawn edges, and every refused one leaves the state as
        /// it was (the caller keeps it), so no sequence reaches a state the diagram
        /// does not have.
        #[test]
        fn random_sequences_follow_the_diagram(events in proptest::collection::vec(0usize..8, 0..40)) {
            let edges = [
                (S::Created, S::Paid), (S::Created, S::Cancelled), (S::Paid, S::Fulfilled),
                (S::Fulfilled, S::Completed), (S::Paid, S::RefundRequested),
                (S::Fulfilled, S::RefundRequested), (S::RefundRequested, S::Refunded),
                (S::RefundRequested, S::Paid), (S::RefundRequested, S::Fulfilled),
            ];
            let mut s = S::Created;
            let mut before = None;
            for i in events {
                let e = E::ALL[i];
                match s.next(e, before) {
                    Ok(to) => {
                        prop_assert!(!s.is_final(), "{:?} moved on {:?}", s, e);
                        prop_assert!(edges.contains(&(s, to)), "{:?} -> {:?}", s, to);
                        if to == S::RefundRequested {
                            before = Some(s);
                        }
                        s = to;
                    }
                    Err(err) => prop_assert_eq!(err.code, "illegal_transition"),
                }
            }
        }
    }
}
