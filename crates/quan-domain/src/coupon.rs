//! Coupons (PRODUCT.md §4): what a coupon takes off, which lines it may apply to,
//! how long a claimed one is good for, and the rules a coupon must meet to exist.
//! Claiming (never more than the supply, never more than the per-person limit) is
//! made exact by the store's guarded writes; pricing an order with a coupon is
//! [`crate::pricing::price`], the one function the preview and checkout use.

use crate::{PRICE_MAX_FEN, ParseError, ProductId, Timestamp, short_label};

/// A coupon's supply, at most.
pub const COUPON_SUPPLY_MAX: i64 = 1_000_000;
/// Coupons of one kind a person may hold, at most (the per-person limit's ceiling).
pub const COUPON_LIMIT_MAX: i64 = 10;
/// A claimed coupon is good for at most a year.
pub const COUPON_DAYS_MAX: i64 = 365;
/// Categories or products a coupon's scope may name, at most.
pub const COUPON_SCOPE_MAX: usize = 50;
/// A coupon's name, in characters.
pub const COUPON_NAME_MAX: usize = 40;

/// What a coupon takes off the lines it applies to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CouponKind {
    /// A fixed amount off (never more than the lines come to).
    Fixed { off: i64 },
    /// A percentage off, at most `cap` fen when there is a cap.
    Percent { percent: i64, cap: Option<i64> },
    /// Spend at least `min_spend` on the lines it applies to, get `off` off.
    Threshold { min_spend: i64, off: i64 },
}

impl CouponKind {
    pub const fn as_str(self) -> &'static str {
        match self {
            CouponKind::Fixed { .. } => "fixed",
            CouponKind::Percent { .. } => "percent",
            CouponKind::Threshold { .. } => "threshold",
        }
    }

    /// A kind from the fields a form or a request sends: `kind` names it and the
    /// amounts it needs must be there (a missing one is refused by name).
    pub fn from_parts(
        kind: &str,
        off: Option<i64>,
        (percent, cap): (Option<i64>, Option<i64>),
        min_spend: Option<i64>,
    ) -> Result<Self, ParseError> {
        let needed = |field: &'static str, v: Option<i64>| {
            v.ok_or_else(|| ParseError::new(field, "missing_field", format!("{field} is needed")))
        };
        match kind {
            "fixed" => Ok(CouponKind::Fixed {
                off: needed("off_fen", off)?,
            }),
            "percent" => Ok(CouponKind::Percent {
                percent: needed("percent", percent)?,
                cap,
            }),
            "threshold" => Ok(CouponKind::Threshold {
                min_spend: needed("min_spend_fen", min_spend)?,
                off: needed("off_fen", off)?,
            }),
            _ => Err(ParseError::new(
                "kind",
                "coupon_invalid_kind",
                "fixed, percent or threshold",
            )),
        }
    }

    /// The kind's amounts as `(off, percent, cap, min_spend)`: what a store row or
    /// a DTO keeps in separate fields.
    pub const fn amounts(self) -> (Option<i64>, Option<i64>, Option<i64>, Option<i64>) {
        match self {
            CouponKind::Fixed { off } => (Some(off), None, None, None),
            CouponKind::Percent { percent, cap } => (None, Some(percent), cap, None),
            CouponKind::Threshold { min_spend, off } => (Some(off), None, None, Some(min_spend)),
        }
    }

    /// What it takes off `base` fen (the lines it applies to), never more than
    /// `base`; `None` when `base` is below a threshold.
    pub fn off(self, base: i64) -> Option<i64> {
        let base = base.max(0);
        let off = match self {
            CouponKind::Fixed { off } => off,
            CouponKind::Percent { percent, cap } => {
                // Rounded down to the fen: the shop never gives more than it said.
                let raw =
                    i64::try_from(i128::from(base) * i128::from(percent) / 100).unwrap_or(i64::MAX);
                cap.map_or(raw, |c| raw.min(c))
            }
            CouponKind::Threshold { min_spend, off } => {
                if base < min_spend {
                    return None;
                }
                off
            }
        };
        Some(off.min(base))
    }

    fn check(self) -> Result<Self, ParseError> {
        let amount = |field, fen: i64| {
            if fen <= 0 {
                Err(ParseError::new(
                    field,
                    "amount_not_positive",
                    "at least 1 fen",
                ))
            } else if fen > PRICE_MAX_FEN {
                Err(ParseError::new(
                    field,
                    "amount_too_large",
                    format!("at most {PRICE_MAX_FEN} fen"),
                ))
            } else {
                Ok(())
            }
        };
        match self {
            CouponKind::Fixed { off } => amount("off_fen", off)?,
            CouponKind::Percent { percent, cap } => {
                if !(1..=99).contains(&percent) {
                    return Err(ParseError::new(
                        "percent",
                        "coupon_invalid_percent",
                        "1 to 99 percent off",
                    ));
                }
                if let Some(c) = cap {
                    amount("cap_fen", c)?;
                }
            }
            CouponKind::Threshold { min_spend, off } => {
                amount("min_spend_fen", min_spend)?;
                amount("off_fen", off)?;
                if off >= min_spend {
                    return Err(ParseError::new(
                        "off_fen",
                        "coupon_off_not_below_threshold",
                        "the amount off is below the spend it needs",
                    ));
                }
            }
        }
        Ok(self)
    }
}

/// The lines a coupon may apply to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CouponScope {
    All,
    /// Products in one of these categories (as the catalog names them).
    Categories(Vec<String>),
    Products(Vec<ProductId>),
}

impl CouponScope {
    pub const fn as_str(&self) -> &'static str {
        match self {
            CouponScope::All => "all",
            CouponScope::Categories(_) => "categories",
            CouponScope::Products(_) => "products",
        }
    }

    /// A scope from a form's or a request's fields.
    pub fn from_parts(
        scope: &str,
        categories: Vec<String>,
        products: Vec<ProductId>,
    ) -> Result<Self, ParseError> {
        match scope {
            "all" => Ok(CouponScope::All),
            // Named as the catalog names a product's category, so they match.
            "categories" => Ok(CouponScope::Categories(
                categories
                    .iter()
                    .map(|c| short_label(c, "categories"))
                    .collect::<Result<_, _>>()?,
            )),
            "products" => Ok(CouponScope::Products(products)),
            _ => Err(ParseError::new(
                "scope",
                "coupon_invalid_scope",
                "all, categories or products",
            )),
        }
    }

    pub fn covers(&self, product: ProductId, category: &str) -> bool {
        match self {
            CouponScope::All => true,
            CouponScope::Categories(c) => c.iter().any(|c| c == category),
            CouponScope::Products(p) => p.contains(&product),
        }
    }

    fn check(self) -> Result<Self, ParseError> {
        let n = match &self {
            CouponScope::All => return Ok(self),
            CouponScope::Categories(c) => {
                // Terms read back or built by hand: the same rule as a form's.
                if c.iter()
                    .any(|c| short_label(c, "categories").as_deref() != Ok(c.as_str()))
                {
                    return Err(ParseError::new(
                        "categories",
                        "invalid_category",
                        "a category is 1 to 40 characters",
                    ));
                }
                c.len()
            }
            CouponScope::Products(p) => p.len(),
        };
        if n == 0 || n > COUPON_SCOPE_MAX {
            return Err(ParseError::new(
                "scope",
                "coupon_invalid_scope",
                format!("name 1 to {COUPON_SCOPE_MAX} categories or products"),
            ));
        }
        Ok(self)
    }
}

/// How long a claimed coupon is good for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Validity {
    /// From one instant to another, whenever it was claimed (and claimable until
    /// the end).
    Dates { from: Timestamp, until: Timestamp },
    /// This many days from the moment it is claimed.
    DaysAfterClaim(i64),
}

impl Validity {
    /// `(from, until, days)`: what a store row or a DTO keeps in separate fields.
    pub const fn parts(self) -> (Option<Timestamp>, Option<Timestamp>, Option<i64>) {
        match self {
            Validity::Dates { from, until } => (Some(from), Some(until), None),
            Validity::DaysAfterClaim(d) => (None, None, Some(d)),
        }
    }

    /// Fixed dates when both are given, else days after the claim.
    pub fn from_parts(
        dates: (Option<Timestamp>, Option<Timestamp>),
        days: Option<i64>,
    ) -> Result<Self, ParseError> {
        match (dates, days) {
            ((Some(from), Some(until)), None) => Ok(Validity::Dates { from, until }),
            ((None, None), Some(d)) => Ok(Validity::DaysAfterClaim(d)),
            _ => Err(ParseError::new(
                "valid_days",
                "coupon_invalid_validity",
                "either both dates or a number of days",
            )),
        }
    }

    /// When a coupon claimed at `at` may be used: `[from, until)`.
    pub fn window(self, at: Timestamp) -> (Timestamp, Timestamp) {
        match self {
            Validity::Dates { from, until } => (from, until),
            Validity::DaysAfterClaim(d) => (at, at.plus_secs(d * 86_400)),
        }
    }
}

/// A coupon's terms, checked once when staff set it up.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CouponTerms {
    pub name: String,
    pub kind: CouponKind,
    pub scope: CouponScope,
    pub validity: Validity,
    /// How many may ever be claimed.
    pub supply: i64,
    /// How many one person may claim.
    pub per_person: i64,
}

impl CouponTerms {
    pub fn new(
        name: &str,
        (kind, scope, validity): (CouponKind, CouponScope, Validity),
        (supply, per_person): (i64, i64),
        now: Timestamp,
    ) -> Result<Self, ParseError> {
        let name = name.trim();
        if name.is_empty()
            || name.chars().count() > COUPON_NAME_MAX
            || name.chars().any(char::is_control)
        {
            return Err(ParseError::new(
                "name",
                "coupon_invalid_name",
                format!("1 to {COUPON_NAME_MAX} characters"),
            ));
        }
        let kind = kind.check()?;
        let scope = scope.check()?;
        match validity {
            Validity::Dates { from, until } => {
                if until <= from {
                    return Err(ParseError::new(
                        "valid_until",
                        "coupon_invalid_dates",
                        "a coupon ends after it starts",
                    ));
                }
                if until <= now {
                    return Err(ParseError::new(
                        "valid_until",
                        "coupon_ends_in_past",
                        "a coupon ends in the future",
                    ));
                }
                // Both ends bounded: a window of at most a year, ending within one.
                if until.millis() - now.millis() > COUPON_DAYS_MAX * 86_400_000
                    || until.millis().saturating_sub(from.millis()) > COUPON_DAYS_MAX * 86_400_000
                {
                    return Err(ParseError::new(
                        "valid_until",
                        "coupon_too_long",
                        format!("a coupon ends within {COUPON_DAYS_MAX} days"),
                    ));
                }
            }
            Validity::DaysAfterClaim(d) => {
                if !(1..=COUPON_DAYS_MAX).contains(&d) {
                    return Err(ParseError::new(
                        "valid_days",
                        "coupon_invalid_days",
                        format!("1 to {COUPON_DAYS_MAX} days"),
                    ));
                }
            }
        }
        if !(1..=COUPON_SUPPLY_MAX).contains(&supply) {
            return Err(ParseError::new(
                "supply",
                "coupon_invalid_supply",
                format!("1 to {COUPON_SUPPLY_MAX} coupons"),
            ));
        }
        if !(1..=COUPON_LIMIT_MAX).contains(&per_person) {
            return Err(ParseError::new(
                "per_person",
                "coupon_invalid_limit",
                format!("1 to {COUPON_LIMIT_MAX} per person"),
            ));
        }
        if per_person > supply {
            return Err(ParseError::new(
                "per_person",
                "coupon_limit_over_supply",
                "at most the supply per person",
            ));
        }
        Ok(Self {
            name: name.to_owned(),
            kind,
            scope,
            validity,
            supply,
            per_person,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn terms(
        kind: CouponKind,
        validity: Validity,
        limits: (i64, i64),
    ) -> Result<CouponTerms, &'static str> {
        CouponTerms::new(
            "Welcome",
            (kind, CouponScope::All, validity),
            limits,
            Timestamp(1_000_000),
        )
        .map_err(|e| e.code)
    }

    #[test]
    fn kinds_take_off_what_they_say_and_never_more_than_the_base() {
        assert_eq!(CouponKind::Fixed { off: 500 }.off(3000), Some(500));
        assert_eq!(CouponKind::Fixed { off: 500 }.off(300), Some(300));
        let p = CouponKind::Percent {
            percent: 15,
            cap: Some(1000),
        };
        assert_eq!(p.off(3333), Some(499), "rounded down to the fen");
        assert_eq!(p.off(100_000), Some(1000), "capped");
        let t = CouponKind::Threshold {
            min_spend: 10_000,
            off: 2000,
        };
        assert_eq!(t.off(9999), None);
        assert_eq!(t.off(10_000), Some(2000));
    }

    #[test]
    fn terms_refuse_what_cannot_be_honoured() {
        let days = Validity::DaysAfterClaim(7);
        assert!(terms(CouponKind::Fixed { off: 500 }, days, (100, 1)).is_ok());
        assert_eq!(
            terms(CouponKind::Fixed { off: 0 }, days, (100, 1)),
            Err("amount_not_positive")
        );
        assert_eq!(
            terms(
                CouponKind::Percent {
                    percent: 100,
                    cap: None
                },
                days,
                (100, 1)
            ),
            Err("coupon_invalid_percent")
        );
        assert_eq!(
            terms(
                CouponKind::Threshold {
                    min_spend: 500,
                    off: 500
                },
                days,
                (100, 1)
            ),
            Err("coupon_off_not_below_threshold")
        );
        assert_eq!(
            terms(CouponKind::Fixed { off: 5 }, days, (0, 1)),
            Err("coupon_invalid_supply")
        );
        assert_eq!(
            terms(CouponKind::Fixed { off: 5 }, days, (3, 5)),
            Err("coupon_limit_over_supply")
        );
        assert_eq!(
            terms(CouponKind::Fixed { off: 5 }, days, (30, 11)),
            Err("coupon_invalid_limit")
        );
        assert_eq!(
            terms(
                CouponKind::Fixed { off: 5 },
                Validity::DaysAfterClaim(0),
                (3, 1)
            ),
            Err("coupon_invalid_days")
        );
        let forever = Validity::Dates {
            from: Timestamp(i64::MIN),
            until: Timestamp(2_000_000),
        };
        assert_eq!(
            terms(CouponKind::Fixed { off: 5 }, forever, (3, 1)),
            Err("coupon_too_long")
        );
        assert_eq!(
            CouponScope::from_parts("categories", vec![" Oolong ".to_owned()], vec![]),
            Ok(CouponScope::Categories(vec!["oolong".to_owned()])),
            "named as the catalog names categories"
        );
        let past = Validity::Dates {
            from: Timestamp(0),
            until: Timestamp(999_999),
        };
        assert_eq!(
            terms(CouponKind::Fixed { off: 5 }, past, (3, 1)),
            Err("coupon_ends_in_past")
        );
        let backwards = Validity::Dates {
            from: Timestamp(5_000_000),
            until: Timestamp(4_000_000),
        };
        assert_eq!(
            terms(CouponKind::Fixed { off: 5 }, backwards, (3, 1)),
            Err("coupon_invalid_dates")
        );
        assert_eq!(
            CouponTerms::new(
                "x",
                (
                    CouponKind::Fixed { off: 5 },
                    CouponScope::Products(vec![]),
                    days
                ),
                (3, 1),
                Timestamp(0)
            )
            .map_err(|e| e.code),
            Err("coupon_invalid_scope")
        );
    }

    #[test]
    fn a_claimed_coupon_is_good_from_its_claim_for_its_days() {
        let w = Validity::DaysAfterClaim(2).window(Timestamp(1000));
        assert_eq!(w, (Timestamp(1000), Timestamp(1000 + 2 * 86_400_000)));
    }
}
