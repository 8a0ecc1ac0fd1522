//! Flash sales (秒杀, PRODUCT.md §4): one SKU sold at a sale price during a time
//! slot, from stock set aside for the sale, at most so many per buyer. This module
//! holds the rules a slot must meet to exist and where a slot is in its life; the
//! gate that admits buyers and the guarded writes that make it exact live in the
//! use cases and the store.

use crate::{Money, ParseError, Timestamp};

/// A slot is at least a minute long…
pub const FLASH_MIN_SECS: i64 = 60;
/// …and at most a week.
pub const FLASH_MAX_SECS: i64 = 7 * 24 * 3600;
/// A slot may be planned at most this far ahead.
pub const FLASH_AHEAD_SECS: i64 = 90 * 24 * 3600;
/// Units a slot may set aside, at most.
pub const FLASH_STOCK_MAX: i64 = 1_000_000;
/// Units one buyer may take from one slot, at most (the per-person limit's ceiling).
pub const FLASH_LIMIT_MAX: i64 = 99;

/// Where a slot is, by the clock.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum FlashPhase {
    /// Announced; buying opens at its start.
    Upcoming,
    /// Buying is open.
    Live,
    /// Over: what is left went back to the SKU's shelf.
    Ended,
}

impl FlashPhase {
    pub const fn as_str(self) -> &'static str {
        match self {
            FlashPhase::Upcoming => "upcoming",
            FlashPhase::Live => "live",
            FlashPhase::Ended => "ended",
        }
    }
}

/// A slot's terms, checked once when staff set it up; afterwards they never change
/// (which is what lets every node keep them in memory).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FlashTerms {
    pub starts_at: Timestamp,
    pub ends_at: Timestamp,
    pub price: Money,
    pub stock: i64,
    pub per_person: i64,
}

impl FlashTerms {
    /// Checks a slot's terms against the SKU's list price and the clock: the window
    /// lies ahead (or has just begun) and is a minute to a week long, the sale price
    /// is below the list price, the stock and the per-person limit are within bounds.
    pub fn new(
        (starts_at, ends_at): (Timestamp, Timestamp),
        price: Money,
        list: Money,
        (stock, per_person): (i64, i64),
        now: Timestamp,
    ) -> Result<Self, ParseError> {
        let len = (ends_at.millis() - starts_at.millis()) / 1000;
        if len < FLASH_MIN_SECS {
            return Err(ParseError::new(
                "ends_at",
                "flash_window_too_short",
                "a flash sale lasts at least a minute, and ends after it starts",
            ));
        }
        if len > FLASH_MAX_SECS {
            return Err(ParseError::new(
                "ends_at",
                "flash_window_too_long",
                "a flash sale lasts at most a week",
            ));
        }
        // A minute's grace: "start now" from a form arrives a moment late.
        if starts_at.millis() < now.millis() - 60_000 {
            return Err(ParseError::new(
                "starts_at",
                "flash_starts_in_past",
                "a flash sale cannot start in the past",
            ));
        }
        if starts_at.millis() > now.millis() + FLASH_AHEAD_SECS * 1000 {
            return Err(ParseError::new(
                "starts_at",
                "flash_too_far_ahead",
                "a flash sale starts within 90 days",
            ));
        }
        if price.currency() != list.currency() {
            return Err(ParseError::new(
                "price_fen",
                "invalid_currency",
                "the sale price is in the SKU's currency",
            ));
        }
        if price.fen() >= list.fen() {
            return Err(ParseError::new(
                "price_fen",
                "flash_price_not_lower",
                "the sale price is below the list price",
            ));
        }
        if !(1..=FLASH_STOCK_MAX).contains(&stock) {
            return Err(ParseError::new(
                "stock",
                "flash_invalid_stock",
                format!("1 to {FLASH_STOCK_MAX} units"),
            ));
        }
        if !(1..=FLASH_LIMIT_MAX).contains(&per_person) {
            return Err(ParseError::new(
                "per_person",
                "invalid_limit",
                format!("1 to {FLASH_LIMIT_MAX} per person"),
            ));
        }
        if per_person > stock {
            return Err(ParseError::new(
                "per_person",
                "flash_limit_over_stock",
                "at most the sale's units per person",
            ));
        }
        Ok(Self {
            starts_at,
            ends_at,
            price,
            stock,
            per_person,
        })
    }

    pub fn phase(&self, now: Timestamp) -> FlashPhase {
        if now < self.starts_at {
            FlashPhase::Upcoming
        } else if now < self.ends_at {
            FlashPhase::Live
        } else {
            FlashPhase::Ended
        }
    }

    /// Whether a buyer may take `q` units in one order (the guarded count in the
    /// store holds the limit across their orders).
    pub fn check_quantity(&self, q: i64) -> Result<i64, ParseError> {
        let q = crate::quantity(q)?;
        if q > self.per_person {
            return Err(ParseError::new(
                "quantity",
                "flash_quantity_over_limit",
                format!("at most {} per person", self.per_person),
            ));
        }
        Ok(q)
    }
}

/// The instant of a form's `YYYY-MM-DDTHH:MM` at a UTC offset of `offset_min`
/// minutes east (the browser says which; +480 is China's time). An offset beyond
/// ±14 hours is refused with the time.
pub fn at_offset(raw: &str, offset_min: i64) -> Result<Timestamp, ParseError> {
    let bad = || {
        ParseError::new(
            "starts_at",
            "invalid_datetime",
            "a date and time such as 2026-12-05T10:00",
        )
    };
    if offset_min.abs() > 14 * 60 {
        return Err(bad());
    }
    let dt: jiff::civil::DateTime = raw.trim().parse().map_err(|_| bad())?;
    let utc = dt.to_zoned(jiff::tz::TimeZone::UTC).map_err(|_| bad())?;
    Ok(Timestamp::from_millis(
        utc.timestamp().as_millisecond() - offset_min * 60_000,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Currency;

    fn at(s: i64) -> Timestamp {
        Timestamp::from_millis(s * 1000)
    }
    fn fen(f: i64) -> Money {
        Money::from_fen(f, Currency::Cny)
    }
    fn terms(
        start: i64,
        end: i64,
        price: i64,
        stock: i64,
        limit: i64,
    ) -> Result<FlashTerms, &'static str> {
        FlashTerms::new(
            (at(start), at(end)),
            fen(price),
            fen(1000),
            (stock, limit),
            at(1000),
        )
        .map_err(|e| e.code)
    }

    #[test]
    fn a_slot_must_fit_its_bounds() {
        assert!(terms(1000, 1060, 500, 10, 1).is_ok());
        assert_eq!(terms(1000, 1059, 500, 10, 1), Err("flash_window_too_short"));
        assert_eq!(terms(1000, 900, 500, 10, 1), Err("flash_window_too_short"));
        assert_eq!(
            terms(1000, 1000 + FLASH_MAX_SECS + 1, 500, 10, 1),
            Err("flash_window_too_long")
        );
        assert_eq!(terms(900, 1000, 500, 10, 1), Err("flash_starts_in_past"));
        assert!(terms(950, 1100, 500, 10, 1).is_ok(), "a minute's grace");
        assert_eq!(
            terms(
                1000 + FLASH_AHEAD_SECS + 1,
                1000 + FLASH_AHEAD_SECS + 100,
                500,
                10,
                1
            ),
            Err("flash_too_far_ahead")
        );
        assert_eq!(terms(1000, 1100, 1000, 10, 1), Err("flash_price_not_lower"));
        assert_eq!(terms(1000, 1100, 500, 0, 1), Err("flash_invalid_stock"));
        assert_eq!(
            terms(1000, 1100, 500, FLASH_STOCK_MAX + 1, 1),
            Err("flash_invalid_stock")
        );
        assert_eq!(terms(1000, 1100, 500, 10, 0), Err("invalid_limit"));
        assert_eq!(terms(1000, 1100, 500, 10, 100), Err("invalid_limit"));
        assert_eq!(terms(1000, 1100, 500, 2, 3), Err("flash_limit_over_stock"));
        assert!(terms(1000, 1100, 500, 2, 2).is_ok());
    }

    #[test]
    fn a_form_time_is_read_at_the_browsers_offset() {
        let utc = at_offset("2026-12-07T10:00", 0).map(|t| t.millis());
        let china = at_offset("2026-12-07T18:00", 480).map(|t| t.millis());
        assert_eq!(utc, china);
        assert_eq!(
            at_offset("soon", 0).map_err(|e| e.code),
            Err("invalid_datetime")
        );
        assert_eq!(
            at_offset("2026-12-07T10:00", 15 * 60).map_err(|e| e.code),
            Err("invalid_datetime")
        );
    }

    #[test]
    fn the_phase_follows_the_clock_and_the_limit_holds_per_order() {
        let t = terms(1000, 1100, 500, 10, 2).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(t.phase(at(999)), FlashPhase::Upcoming);
        assert_eq!(t.phase(at(1000)), FlashPhase::Live);
        assert_eq!(t.phase(at(1099)), FlashPhase::Live);
        assert_eq!(t.phase(at(1100)), FlashPhase::Ended);
        assert_eq!(t.check_quantity(2).map_err(|e| e.code), Ok(2));
        assert_eq!(
            t.check_quantity(3).map_err(|e| e.code),
            Err("flash_quantity_over_limit")
        );
        assert_eq!(
            t.check_quantity(0).map_err(|e| e.code),
            Err("quantity_not_positive")
        );
    }
}
