//! Money (PRODUCT.md §4): integer minor units (fen) with a currency, never floats;
//! amounts from clients are bounded and refused with their own codes; a discount is
//! apportioned over lines so each part is exact to the fen and the parts add up.

use crate::ParseError;
use std::fmt;

/// The currencies an org may price in. One today; the type keeps amounts of two
/// currencies from ever being added.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Currency {
    Cny,
}

impl Currency {
    pub const fn as_str(self) -> &'static str {
        match self {
            Currency::Cny => "CNY",
        }
    }
    pub fn parse(raw: &str) -> Result<Self, ParseError> {
        match raw {
            "CNY" | "cny" => Ok(Self::Cny),
            _ => Err(ParseError::new(
                "currency",
                "invalid_currency",
                "the only currency is CNY",
            )),
        }
    }
    /// The sign a price is shown with.
    pub const fn symbol(self) -> &'static str {
        match self {
            Currency::Cny => "¥",
        }
    }
}

/// The largest price of one unit: ¥1,000,000.00 (far above any product, far below
/// what a quantity times it could overflow).
pub const PRICE_MAX_FEN: i64 = 100_000_000;
/// The largest quantity of one line.
pub const QUANTITY_MAX: i64 = 999;
/// The largest total of one order.
pub const ORDER_TOTAL_MAX_FEN: i64 = 10_000_000_000;

/// An amount in minor units of its currency.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Money {
    fen: i64,
    currency: Currency,
}

impl Money {
    pub const fn zero(currency: Currency) -> Self {
        Self { fen: 0, currency }
    }
    /// An amount already known to be sound (read back from the store).
    pub const fn from_fen(fen: i64, currency: Currency) -> Self {
        Self { fen, currency }
    }
    /// A unit price a client sent: at least one fen, at most [`PRICE_MAX_FEN`].
    pub fn price(fen: i64, currency: Currency) -> Result<Self, ParseError> {
        if fen <= 0 {
            return Err(ParseError::new(
                "price_fen",
                "amount_not_positive",
                "a price is at least 1 fen",
            ));
        }
        if fen > PRICE_MAX_FEN {
            return Err(ParseError::new(
                "price_fen",
                "amount_too_large",
                format!("a price is at most {PRICE_MAX_FEN} fen"),
            ));
        }
        Ok(Self { fen, currency })
    }
    pub const fn fen(self) -> i64 {
        self.fen
    }
    pub const fn currency(self) -> Currency {
        self.currency
    }
    /// The sum, or an error when the currencies differ or the sum overflows.
    pub fn plus(self, other: Money) -> Result<Money, ParseError> {
        self.same(other)?;
        self.fen
            .checked_add(other.fen)
            .map(|fen| Money { fen, ..self })
            .ok_or_else(overflow)
    }
    /// The difference, never below zero: a discount larger than the price leaves
    /// nothing to pay, never a negative amount.
    pub fn minus_floor(self, other: Money) -> Result<Money, ParseError> {
        self.same(other)?;
        Ok(Money {
            fen: self.fen.saturating_sub(other.fen).max(0),
            ..self
        })
    }
    /// `qty` units of this price, checked.
    pub fn times(self, qty: i64) -> Result<Money, ParseError> {
        self.fen
            .checked_mul(qty)
            .map(|fen| Money { fen, ..self })
            .ok_or_else(overflow)
    }
    /// The amount as a person types it back: `38.00` (no sign, no symbol), what
    /// [`parse_yuan`] reads.
    pub fn yuan(self) -> String {
        let abs = self.fen.unsigned_abs();
        format!("{}.{:02}", abs / 100, abs % 100)
    }
    fn same(self, other: Money) -> Result<(), ParseError> {
        if self.currency == other.currency {
            Ok(())
        } else {
            Err(ParseError::new(
                "currency",
                "currency_mismatch",
                "amounts in two currencies",
            ))
        }
    }
}

fn overflow() -> ParseError {
    ParseError::new("amount", "amount_too_large", "the amount is too large")
}

impl fmt::Display for Money {
    /// `¥12.30`, `-¥0.05`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let sign = if self.fen < 0 { "-" } else { "" };
        let abs = self.fen.unsigned_abs();
        write!(
            f,
            "{sign}{}{}.{:02}",
            self.currency.symbol(),
            abs / 100,
            abs % 100
        )
    }
}

/// A price typed by a person in yuan (`38`, `38.5`, `38.50`, `¥38`) as fen, exact:
/// at most two decimals, no sign, no exponent; then bounded as [`Money::price`].
pub fn parse_yuan(raw: &str, currency: Currency) -> Result<Money, ParseError> {
    let bad = || ParseError::new("price", "invalid_amount", "a price like 38 or 38.50");
    let s = raw.trim().trim_start_matches(['¥', '￥']).trim();
    let (whole, frac) = s.split_once('.').unwrap_or((s, ""));
    if whole.is_empty()
        || whole.len() > 9
        || frac.len() > 2
        || !whole.bytes().all(|b| b.is_ascii_digit())
        || !frac.bytes().all(|b| b.is_ascii_digit())
    {
        return Err(bad());
    }
    let whole: i64 = whole.parse().map_err(|_| bad())?;
    let cents: i64 = format!("{frac:0<2}").parse().map_err(|_| bad())?;
    Money::price(whole * 100 + cents, currency)
}

/// A line's quantity a client sent: 1 to [`QUANTITY_MAX`].
pub fn quantity(raw: i64) -> Result<i64, ParseError> {
    if raw < 1 {
        return Err(ParseError::new(
            "quantity",
            "quantity_not_positive",
            "at least 1",
        ));
    }
    if raw > QUANTITY_MAX {
        return Err(ParseError::new(
            "quantity",
            "quantity_too_large",
            format!("at most {QUANTITY_MAX}"),
        ));
    }
    Ok(raw)
}

/// Splits `total` fen over lines in proportion to their `weights` (their amounts),
/// exact to the fen: each line gets the floor of its share, and the fen left over go
/// one each to the lines with the largest remainders (the earlier line on a tie).
/// The parts always sum to `total` (when any weight is positive) and no part exceeds
/// its line's weight when `total` does not exceed their sum. A refund of one line
/// gives back exactly its part.
pub fn apportion(total: i64, weights: &[i64]) -> Vec<i64> {
    let sum: i128 = weights.iter().map(|w| i128::from((*w).max(0))).sum();
    if sum == 0 || total == 0 {
        return vec![0; weights.len()];
    }
    let total = i128::from(total);
    let mut parts: Vec<i128> = Vec::with_capacity(weights.len());
    let mut rest: Vec<(i128, usize)> = Vec::with_capacity(weights.len());
    for (i, w) in weights.iter().enumerate() {
        let w = i128::from((*w).max(0));
        let exact = total * w;
        parts.push(exact.div_euclid(sum));
        rest.push((exact.rem_euclid(sum), i));
    }
    let given: i128 = parts.iter().sum();
    let mut left = total - given;
    // Largest remainder first; the earlier line on a tie.
    rest.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)));
    for (_, i) in rest.iter().cycle() {
        if left <= 0 {
            break;
        }
        if let Some(p) = parts.get_mut(*i) {
            *p += 1;
            left -= 1;
        }
    }
    // Within i64: each part is at most |total| (an i64), by construction.
    parts
        .into_iter()
        .map(|p| i64::try_from(p).unwrap_or(i64::MAX))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn prices_are_bounded_and_shown_in_yuan() {
        assert_eq!(
            Money::price(0, Currency::Cny).map_err(|e| e.code),
            Err("amount_not_positive")
        );
        assert_eq!(
            Money::price(-5, Currency::Cny).map_err(|e| e.code),
            Err("amount_not_positive")
        );
        assert_eq!(
            Money::price(PRICE_MAX_FEN + 1, Currency::Cny).map_err(|e| e.code),
            Err("amount_too_large")
        );
        let p = Money::price(1230, Currency::Cny).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(p.to_string(), "¥12.30");
        assert_eq!(Money::from_fen(-5, Currency::Cny).to_string(), "-¥0.05");
        assert_eq!(
            p.times(i64::MAX).map_err(|e| e.code),
            Err("amount_too_large")
        );
        assert_eq!(
            p.minus_floor(Money::from_fen(5000, Currency::Cny)),
            Ok(Money::zero(Currency::Cny))
        );
        assert_eq!(
            Currency::parse("USD").map_err(|e| e.code),
            Err("invalid_currency")
        );
        assert_eq!(
            quantity(0).map_err(|e| e.code),
            Err("quantity_not_positive")
        );
        assert_eq!(
            quantity(1000).map_err(|e| e.code),
            Err("quantity_too_large")
        );
    }

    #[test]
    fn yuan_typed_by_people_become_exact_fen() {
        let fen = |s: &str| {
            parse_yuan(s, Currency::Cny)
                .map(Money::fen)
                .map_err(|e| e.code)
        };
        assert_eq!(fen("38"), Ok(3800));
        assert_eq!(fen(" ¥38.5 "), Ok(3850));
        assert_eq!(fen("0.01"), Ok(1));
        assert_eq!(fen("0"), Err("amount_not_positive"));
        for bad in ["", "-1", "1.234", "1e3", "3,80", "abc", ".5"] {
            assert_eq!(fen(bad), Err("invalid_amount"), "{bad}");
        }
        assert_eq!(fen("1000000.01"), Err("amount_too_large"));
    }

    #[test]
    fn apportion_gives_the_odd_fen_to_the_largest_remainders() {
        // 10 fen over three equal lines: 4, 3, 3 (the earlier line on a tie).
        assert_eq!(apportion(10, &[100, 100, 100]), [4, 3, 3]);
        // In proportion: 1000 off 3000 + 1000 + 2000.
        assert_eq!(apportion(1000, &[3000, 1000, 2000]), [500, 167, 333]);
        assert_eq!(apportion(7, &[0, 0]), [0, 0]);
        assert_eq!(apportion(0, &[5, 5]), [0, 0]);
        assert!(apportion(5, &[]).is_empty());
    }

    proptest! {
        #[test]
        fn apportioned_parts_sum_to_the_discount(
            weights in proptest::collection::vec(0i64..=ORDER_TOTAL_MAX_FEN, 1..20),
            share in 0.0f64..=1.0,
        ) {
            let sum: i64 = weights.iter().sum();
            // A discount up to the order's total.
            #[allow(clippy::cast_possible_truncation, clippy::cast_precision_loss)]
            let total = ((sum as f64) * share) as i64;
            let parts = apportion(total, &weights);
            prop_assert_eq!(parts.len(), weights.len());
            if sum > 0 {
                prop_assert_eq!(parts.iter().sum::<i64>(), total);
            }
            for (p, w) in parts.iter().zip(&weights) {
                prop_assert!(*p >= 0 && p <= w, "part {} of line {}", p, w);
            }
        }
    }
}
