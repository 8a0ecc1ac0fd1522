//! How an order's price is built (PRODUCT.md §4): list price, then the discounts an
//! org's stacking matrix lets combine, in its order, each apportioned over the lines
//! it touches so every line knows exactly what it paid. [`price`] is the one
//! function the price preview and checkout call: what a buyer is shown is what
//! they are charged (and, when refunds of part of an order come, what a line's
//! refund gives back).

use crate::{CouponKind, CouponScope, Currency, Money, ParseError, ProductId, apportion};

/// A kind of discount an org may let combine with others.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Layer {
    /// An activity's price (a flash sale's) in place of the list price.
    Activity,
    /// A coupon from the buyer's wallet.
    Coupon,
}

impl Layer {
    pub const ALL: [Layer; 2] = [Layer::Activity, Layer::Coupon];

    pub const fn as_str(self) -> &'static str {
        match self {
            Layer::Activity => "activity",
            Layer::Coupon => "coupon",
        }
    }

    pub fn parse(raw: &str) -> Result<Self, ParseError> {
        Layer::ALL
            .into_iter()
            .find(|l| l.as_str() == raw)
            .ok_or_else(|| ParseError::new("order", "invalid_layer", "activity or coupon"))
    }
}

/// An org's stacking matrix: which discounts may apply to the same line, and the
/// order they are taken in (a later one is measured on what the earlier ones left).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Stacking {
    order: Vec<Layer>,
    /// Pairs that combine, each stored smaller first.
    combine: Vec<(Layer, Layer)>,
}

impl Default for Stacking {
    /// A sale price is the deal: no coupon on top of it (what most shops do).
    fn default() -> Self {
        Self {
            order: Layer::ALL.to_vec(),
            combine: Vec::new(),
        }
    }
}

impl Stacking {
    /// `order` names every layer once; `combine` lists pairs that may combine.
    pub fn new(order: Vec<Layer>, combine: &[(Layer, Layer)]) -> Result<Self, ParseError> {
        let mut seen = order.clone();
        seen.sort();
        seen.dedup();
        if seen.len() != order.len() || seen.len() != Layer::ALL.len() {
            return Err(ParseError::new(
                "order",
                "invalid_stacking_order",
                "name each kind of discount once",
            ));
        }
        let mut pairs = Vec::new();
        for (a, b) in combine {
            if a == b {
                return Err(ParseError::new(
                    "combine",
                    "invalid_stacking_pair",
                    "a pair names two kinds of discount",
                ));
            }
            let p = if a < b { (*a, *b) } else { (*b, *a) };
            if !pairs.contains(&p) {
                pairs.push(p);
            }
        }
        pairs.sort();
        Ok(Self {
            order,
            combine: pairs,
        })
    }

    pub fn order(&self) -> &[Layer] {
        &self.order
    }

    pub fn pairs(&self) -> &[(Layer, Layer)] {
        &self.combine
    }

    pub fn combines(&self, a: Layer, b: Layer) -> bool {
        let p = if a < b { (a, b) } else { (b, a) };
        self.combine.contains(&p)
    }

    /// Whether `a` is taken before `b`.
    pub fn before(&self, a: Layer, b: Layer) -> bool {
        let at = |l| self.order.iter().position(|x| *x == l);
        at(a) < at(b)
    }

    /// `activity,coupon` and `activity+coupon,…`: how the store keeps it.
    pub fn to_text(&self) -> (String, String) {
        let order: Vec<&str> = self.order.iter().map(|l| l.as_str()).collect();
        let pairs: Vec<String> = self
            .combine
            .iter()
            .map(|(a, b)| format!("{}+{}", a.as_str(), b.as_str()))
            .collect();
        (order.join(","), pairs.join(","))
    }

    pub fn from_text(order: &str, pairs: &str) -> Result<Self, ParseError> {
        let order = order
            .split(',')
            .map(Layer::parse)
            .collect::<Result<Vec<_>, _>>()?;
        let mut combine = Vec::new();
        for p in pairs.split(',').filter(|p| !p.is_empty()) {
            let (a, b) = p.split_once('+').ok_or_else(|| {
                ParseError::new(
                    "combine",
                    "invalid_stacking_pair",
                    "pairs like activity+coupon",
                )
            })?;
            combine.push((Layer::parse(a)?, Layer::parse(b)?));
        }
        Self::new(order, &combine)
    }
}

/// A line to price: its list price, and the activity's price when it is bought in
/// one (`activity`; else `unit` is the list price again).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PriceLine {
    pub product: ProductId,
    pub category: String,
    pub list_unit: Money,
    pub unit: Money,
    pub quantity: i64,
    /// Bought at an activity's price: a coupon rides on it only if the matrix lets
    /// the two combine.
    pub activity: bool,
}

/// The coupon a buyer chose: what it takes off, and where.
#[derive(Debug, Clone, Copy)]
pub struct CouponUse<'a> {
    pub kind: CouponKind,
    pub scope: &'a CouponScope,
}

/// What one line comes to: list, less each discount, is what it pays.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LinePrice {
    pub list: Money,
    pub activity_off: Money,
    pub coupon_off: Money,
    pub pay: Money,
}

/// The whole price, line by line and summed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Breakdown {
    pub lines: Vec<LinePrice>,
    pub list: Money,
    pub activity_off: Money,
    pub coupon_off: Money,
    pub total: Money,
}

fn coupon_refused(code: &'static str, message: &str) -> ParseError {
    ParseError::new("coupon", code, message)
}

/// Each line before any coupon: list price (never below the unit price), the
/// activity's saving, and what it pays.
fn before_coupon(lines: &[PriceLine], cur: Currency) -> Result<Vec<LinePrice>, ParseError> {
    let mut out = Vec::with_capacity(lines.len());
    for l in lines {
        // A line pays its unit price; the list price shown is never below it (a
        // list price cut below a running sale's price leaves no saving, not a
        // negative one).
        let at_unit = l.unit.times(l.quantity)?;
        let list = l.list_unit.times(l.quantity)?;
        let list = if list.fen() < at_unit.fen() {
            at_unit
        } else {
            list
        };
        out.push(LinePrice {
            list,
            activity_off: list.minus_floor(at_unit)?,
            coupon_off: Money::zero(cur),
            pay: at_unit,
        });
    }
    Ok(out)
}

/// Per line, what the coupon is measured on and what it may take from; refused
/// when it applies to no line (out of scope, or only sale-priced lines the matrix
/// keeps it off).
fn coupon_bases(
    lines: &[PriceLine],
    out: &[LinePrice],
    c: CouponUse<'_>,
    stacking: &Stacking,
) -> Result<(Vec<i64>, Vec<i64>), ParseError> {
    let mut in_scope = false;
    let mut bases = vec![0i64; lines.len()];
    let mut room = vec![0i64; lines.len()];
    for (i, (l, p)) in lines.iter().zip(out).enumerate() {
        if !c.scope.covers(l.product, &l.category) {
            continue;
        }
        in_scope = true;
        if l.activity && !stacking.combines(Layer::Activity, Layer::Coupon) {
            continue;
        }
        bases[i] = if stacking.before(Layer::Activity, Layer::Coupon) {
            p.pay.fen()
        } else {
            p.list.fen()
        };
        room[i] = p.pay.fen();
    }
    if !in_scope {
        return Err(coupon_refused(
            "coupon_out_of_scope",
            "the coupon does not apply to these products",
        ));
    }
    if bases.iter().sum::<i64>() == 0 {
        return Err(coupon_refused(
            "coupon_not_combinable",
            "the coupon cannot be used with a sale price",
        ));
    }
    Ok((bases, room))
}

/// How much more the lines it applies to must come to before a spend-and-save
/// coupon can be used; None when it applies already, is another kind, or cannot
/// apply to these lines at all.
pub fn shortfall(lines: &[PriceLine], c: CouponUse<'_>, stacking: &Stacking) -> Option<i64> {
    let CouponKind::Threshold { min_spend, .. } = c.kind else {
        return None;
    };
    let cur = lines.first()?.list_unit.currency();
    let out = before_coupon(lines, cur).ok()?;
    let (bases, _) = coupon_bases(lines, &out, c, stacking).ok()?;
    let base: i64 = bases.iter().sum();
    (base < min_spend).then_some(min_spend - base)
}

/// Prices `lines` with an optional coupon under `stacking`. A line bought at an
/// activity's price keeps it; the coupon applies to the lines in its scope, but not
/// to an activity-priced line unless the matrix lets the two combine. The coupon is
/// measured on what the lines come to after the activity when the activity is
/// taken first, on their list price otherwise; its amount is apportioned over the
/// lines it applies to by what each still pays, so the parts sum to it exactly and
/// no line pays below zero. A coupon that applies to nothing is refused, with why.
pub fn price(
    lines: &[PriceLine],
    coupon: Option<CouponUse<'_>>,
    stacking: &Stacking,
) -> Result<Breakdown, ParseError> {
    let cur = lines
        .first()
        .map_or(Currency::Cny, |l| l.list_unit.currency());
    let mut out = before_coupon(lines, cur)?;
    if let Some(c) = coupon {
        let (bases, room) = coupon_bases(lines, &out, c, stacking)?;
        let base: i64 = bases.iter().sum();
        let off = c.kind.off(base).ok_or_else(|| {
            coupon_refused(
                "coupon_threshold_not_met",
                "these products do not reach the coupon's minimum spend",
            )
        })?;
        let room_sum: i64 = room.iter().sum();
        let off = off.min(room_sum);
        for (p, part) in out.iter_mut().zip(apportion(off, &room)) {
            p.coupon_off = Money::from_fen(part, cur);
            p.pay = p.pay.minus_floor(p.coupon_off)?;
        }
    }
    let mut b = Breakdown {
        lines: Vec::new(),
        list: Money::zero(cur),
        activity_off: Money::zero(cur),
        coupon_off: Money::zero(cur),
        total: Money::zero(cur),
    };
    for p in &out {
        b.list = b.list.plus(p.list)?;
        b.activity_off = b.activity_off.plus(p.activity_off)?;
        b.coupon_off = b.coupon_off.plus(p.coupon_off)?;
        b.total = b.total.plus(p.pay)?;
    }
    b.lines = out;
    Ok(b)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn cny(fen: i64) -> Money {
        Money::from_fen(fen, Currency::Cny)
    }

    fn line(product: ProductId, cat: &str, list: i64, unit: i64, q: i64) -> PriceLine {
        PriceLine {
            product,
            category: cat.to_owned(),
            list_unit: cny(list),
            unit: cny(unit),
            quantity: q,
            activity: unit != list,
        }
    }

    #[test]
    fn a_threshold_coupon_is_apportioned_over_the_lines_in_scope() {
        let (tea, cup) = (ProductId::new(), ProductId::new());
        let lines = [
            line(tea, "tea", 6800, 6800, 2),
            line(cup, "ware", 3000, 3000, 1),
        ];
        let scope = CouponScope::Categories(vec!["tea".to_owned()]);
        let c = CouponUse {
            kind: CouponKind::Threshold {
                min_spend: 10_000,
                off: 2000,
            },
            scope: &scope,
        };
        let b = price(&lines, Some(c), &Stacking::default()).unwrap_or_else(|e| panic!("{e:?}"));
        assert_eq!(b.list, cny(16_600));
        assert_eq!(b.coupon_off, cny(2000));
        assert_eq!(b.lines[0].coupon_off, cny(2000), "all of it on the tea");
        assert_eq!(b.lines[1].coupon_off, cny(0));
        assert_eq!(b.total, cny(14_600));
        // The cups alone do not reach the spend, and are not in scope anyway.
        let cups = [line(cup, "ware", 3000, 3000, 5)];
        assert_eq!(
            price(&cups, Some(c), &Stacking::default()).map_err(|e| e.code),
            Err("coupon_out_of_scope")
        );
        let little = [line(tea, "tea", 6800, 6800, 1)];
        assert_eq!(
            price(&little, Some(c), &Stacking::default()).map_err(|e| e.code),
            Err("coupon_threshold_not_met")
        );
        assert_eq!(
            shortfall(&little, c, &Stacking::default()),
            Some(3200),
            "¥32 more"
        );
        assert_eq!(shortfall(&lines, c, &Stacking::default()), None, "reached");
    }

    #[test]
    fn the_matrix_decides_whether_a_coupon_rides_on_a_sale_price_and_on_what() {
        let tea = ProductId::new();
        let sale = [line(tea, "tea", 10_000, 8000, 1)];
        let all = CouponScope::All;
        let pct = CouponUse {
            kind: CouponKind::Percent {
                percent: 10,
                cap: None,
            },
            scope: &all,
        };
        assert_eq!(
            price(&sale, Some(pct), &Stacking::default()).map_err(|e| e.code),
            Err("coupon_not_combinable")
        );
        let after = Stacking::new(
            vec![Layer::Activity, Layer::Coupon],
            &[(Layer::Coupon, Layer::Activity)],
        )
        .unwrap_or_else(|e| panic!("{e:?}"));
        let b = price(&sale, Some(pct), &after).unwrap_or_else(|e| panic!("{e:?}"));
        assert_eq!(
            (b.activity_off, b.coupon_off, b.total),
            (cny(2000), cny(800), cny(7200))
        );
        let on_list = Stacking::new(
            vec![Layer::Coupon, Layer::Activity],
            &[(Layer::Activity, Layer::Coupon)],
        )
        .unwrap_or_else(|e| panic!("{e:?}"));
        let b = price(&sale, Some(pct), &on_list).unwrap_or_else(|e| panic!("{e:?}"));
        assert_eq!(
            (b.coupon_off, b.total),
            (cny(1000), cny(7000)),
            "10 % of the list price"
        );
        // The text the store keeps reads back the same matrix.
        let (o, p) = on_list.to_text();
        assert_eq!(
            (o.as_str(), p.as_str()),
            ("coupon,activity", "activity+coupon")
        );
        assert_eq!(Stacking::from_text(&o, &p), Ok(on_list));
        assert_eq!(
            Stacking::new(vec![Layer::Coupon], &[]).map_err(|e| e.code),
            Err("invalid_stacking_order")
        );
    }

    proptest! {
        #[test]
        fn every_fen_of_a_discount_lands_on_a_line_and_no_line_pays_below_zero(
            raw in proptest::collection::vec((1i64..=100_000, -50i64..=100, 1i64..=20, any::<bool>(), any::<bool>()), 1..12),
            kind in 0u8..3,
            amount in 1i64..=50_000,
            percent in 1i64..=99,
            combine in any::<bool>(),
            activity_first in any::<bool>(),
        ) {
            let products: Vec<ProductId> = raw.iter().map(|_| ProductId::new()).collect();
            let lines: Vec<PriceLine> = raw.iter().zip(&products).map(|((list, pct_off, q, on_sale, _), p)| {
                // A negative cut: the list price was lowered below the sale's price.
                let unit = if *on_sale { (list * (100 - pct_off) / 100).max(1) } else { *list };
                PriceLine { activity: *on_sale, ..line(*p, "tea", *list, unit, *q) }
            }).collect();
            let scope = CouponScope::Products(
                raw.iter().zip(&products).filter(|(r, _)| r.4).map(|(_, p)| *p).collect(),
            );
            let kind = match kind {
                0 => CouponKind::Fixed { off: amount },
                1 => CouponKind::Percent { percent, cap: Some(amount) },
                _ => CouponKind::Threshold { min_spend: amount + 1, off: amount },
            };
            let order = if activity_first { vec![Layer::Activity, Layer::Coupon] } else { vec![Layer::Coupon, Layer::Activity] };
            let pairs = if combine { vec![(Layer::Activity, Layer::Coupon)] } else { vec![] };
            let stacking = Stacking::new(order, &pairs).unwrap_or_else(|e| panic!("{e:?}"));
            if let Ok(b) = price(&lines, Some(CouponUse { kind, scope: &scope }), &stacking) {
                prop_assert_eq!(b.lines.iter().map(|l| l.coupon_off.fen()).sum::<i64>(), b.coupon_off.fen());
                prop_assert_eq!(b.lines.iter().map(|l| l.pay.fen()).sum::<i64>(), b.total.fen());
                prop_assert_eq!(b.list.fen() - b.activity_off.fen() - b.coupon_off.fen(), b.total.fen());
                // Every kind here is bounded by `amount` (the percent by its cap).
                prop_assert!(b.coupon_off.fen() <= amount, "{} off, over {}", b.coupon_off.fen(), amount);
                for ((l, p), r) in b.lines.iter().zip(&lines).zip(&raw) {
                    prop_assert!(l.pay.fen() >= 0 && l.activity_off.fen() >= 0);
                    prop_assert_eq!(l.list.fen() - l.activity_off.fen() - l.coupon_off.fen(), l.pay.fen());
                    // What a line pays is its unit price less its coupon part.
                    prop_assert_eq!(p.unit.fen() * p.quantity - l.coupon_off.fen(), l.pay.fen());
                    let touched = scope.covers(p.product, &p.category)
                        && (!p.activity || combine);
                    prop_assert!(touched || l.coupon_off.fen() == 0, "coupon on a line it may not touch: {:?}", r);
                }
            }
        }
    }
}
