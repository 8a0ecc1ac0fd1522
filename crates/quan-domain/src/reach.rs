//! Reach without spam (PRODUCT.md §3): the rules that decide whether a customer may
//! be touched, and how a message to them is written.
//!
//! - [`TouchPolicy`]: an org's touch budget (days-in-month per month, 7 per week or 1
//!   per day), quiet hours and time zone. [`TouchPolicy::window`] names the period a
//!   touch at an instant counts against, with its limit and when the next one opens;
//!   [`TouchPolicy::quiet_until`] says how long a message must wait.
//! - [`Template`]: a message with `{{name}}` and `{{staff}}`, parsed once (an error
//!   names its position) and rendered by substitution, never by re-parsing.
//! - [`ChannelMode`], the contact cap, and the limits on what users may send.

use crate::{ParseError, Timestamp};
use jiff::civil::Date;
use jiff::tz::TimeZone;

/// How long after a campaign message a deletion or opt-out counts against it, and
/// the window in which negatives can pause it.
pub const NEGATIVE_WINDOW_HOURS: i64 = 48;
pub const PAUSE_WINDOW_MINUTES: i64 = 60;
/// The default pause threshold: 2 % of delivered.
pub const NEGATIVE_PAUSE_BP_DEFAULT: i64 = 200;

/// Parses a pause threshold in basis points: 1 (0.01 %) to 10,000 (100 %).
pub fn parse_pause_bp(n: i64) -> Result<i64, ParseError> {
    if (1..=10_000).contains(&n) {
        Ok(n)
    } else {
        Err(ParseError::new(
            "negative_pause_bp",
            "invalid_pause_threshold",
            "between 1 and 10000 basis points",
        ))
    }
}

/// Whether `negatives` of `delivered` reach a threshold of `bp` basis points.
pub fn should_pause(negatives: i64, delivered: i64, bp: i64) -> bool {
    delivered > 0 && negatives.saturating_mul(10_000) >= delivered.saturating_mul(bp)
}

/// A staff member's default and greatest number of customers (PRODUCT.md §3).
pub const CONTACT_CAP_DEFAULT: i64 = 5_000;
pub const CONTACT_CAP_MAX: i64 = 20_000;
/// Mass messages one staff member may send one customer per day.
pub const STAFF_DAILY_PER_CUSTOMER: i64 = 1;
/// Chat rooms one campaign may go to (each gets one message, and at most one
/// campaign message a local day: the store's ledger key is that cap).
pub const CAMPAIGN_ROOMS_MAX: usize = 20;
/// A template's and a message's greatest length, in characters.
pub const MESSAGE_MAX_CHARS: usize = 2_000;

/// Parses a per-staff contact cap: 1 to [`CONTACT_CAP_MAX`].
pub fn parse_contact_cap(n: i64) -> Result<i64, ParseError> {
    if (1..=CONTACT_CAP_MAX).contains(&n) {
        Ok(n)
    } else {
        Err(ParseError::new(
            "contact_cap",
            "invalid_contact_cap",
            format!("must be between 1 and {CONTACT_CAP_MAX}"),
        ))
    }
}

/// How many touches a customer may receive from an org, per what period.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum BudgetKind {
    /// As many as the calendar month has days (the default).
    DaysInMonth,
    /// Seven per ISO week.
    WeekOfSeven,
    /// One per day.
    OnePerDay,
}

impl BudgetKind {
    pub const ALL: [BudgetKind; 3] = [
        BudgetKind::DaysInMonth,
        BudgetKind::WeekOfSeven,
        BudgetKind::OnePerDay,
    ];
    pub const fn as_str(self) -> &'static str {
        match self {
            BudgetKind::DaysInMonth => "month",
            BudgetKind::WeekOfSeven => "week",
            BudgetKind::OnePerDay => "day",
        }
    }
    pub fn parse(raw: &str) -> Result<Self, ParseError> {
        Self::ALL
            .into_iter()
            .find(|k| k.as_str() == raw)
            .ok_or_else(|| ParseError::new("budget", "invalid_budget", "month, week or day"))
    }
}

/// Quiet hours as minutes of the day, `start..end`, wrapping past midnight when
/// `start > end`; `start == end` means none.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct QuietHours {
    pub start: u16,
    pub end: u16,
}

impl QuietHours {
    /// 22:00–08:00, the default.
    pub const DEFAULT: QuietHours = QuietHours {
        start: 22 * 60,
        end: 8 * 60,
    };
    pub const NONE: QuietHours = QuietHours { start: 0, end: 0 };

    /// Parses `HH:MM-HH:MM` (an en dash works too), or an empty string for none.
    pub fn parse(raw: &str) -> Result<Self, ParseError> {
        let bad = || ParseError::new("quiet_hours", "invalid_quiet_hours", "HH:MM-HH:MM");
        let raw = raw.trim();
        if raw.is_empty() {
            return Ok(Self::NONE);
        }
        let (a, b) = raw
            .split_once('-')
            .or_else(|| raw.split_once('–'))
            .ok_or_else(bad)?;
        let minute = |s: &str| -> Result<u16, ParseError> {
            let (h, m) = s.trim().split_once(':').ok_or_else(bad)?;
            let (h, m): (u16, u16) = (h.parse().map_err(|_| bad())?, m.parse().map_err(|_| bad())?);
            if h > 23 || m > 59 {
                return Err(bad());
            }
            Ok(h * 60 + m)
        };
        Ok(Self {
            start: minute(a)?,
            end: minute(b)?,
        })
    }

    pub fn is_none(self) -> bool {
        self.start == self.end
    }

    /// Whether a minute of the day falls inside.
    pub fn contains(self, minute: u16) -> bool {
        if self.is_none() {
            false
        } else if self.start < self.end {
            (self.start..self.end).contains(&minute)
        } else {
            minute >= self.start || minute < self.end
        }
    }
}

impl std::fmt::Display for QuietHours {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.is_none() {
            return Ok(());
        }
        write!(
            f,
            "{:02}:{:02}-{:02}:{:02}",
            self.start / 60,
            self.start % 60,
            self.end / 60,
            self.end % 60
        )
    }
}

/// An IANA time zone name that resolved (`Asia/Shanghai`).
#[derive(Debug, Clone, PartialEq)]
pub struct Zone {
    name: String,
    tz: TimeZone,
}

impl Zone {
    pub fn parse(raw: &str) -> Result<Self, ParseError> {
        let name = raw.trim();
        if name.is_empty() || name.len() > 64 {
            return Err(ParseError::new(
                "time_zone",
                "invalid_time_zone",
                "an IANA zone such as Asia/Shanghai",
            ));
        }
        TimeZone::get(name)
            .map(|tz| Self {
                name: name.to_owned(),
                tz,
            })
            .map_err(|_| {
                ParseError::new(
                    "time_zone",
                    "invalid_time_zone",
                    "an IANA zone such as Asia/Shanghai",
                )
            })
    }
    pub fn name(&self) -> &str {
        &self.name
    }
    /// When a local date written `YYYY-MM-DD` begins here, if it is one.
    pub fn day_start(&self, ymd: &str) -> Option<Timestamp> {
        let day: Date = ymd.parse().ok()?;
        Some(self.start_of(day))
    }
    fn local(&self, at: Timestamp) -> jiff::Zoned {
        let ts =
            jiff::Timestamp::from_millisecond(at.millis()).unwrap_or(jiff::Timestamp::UNIX_EPOCH);
        ts.to_zoned(self.tz.clone())
    }
    /// The instant of a local wall-clock time `YYYY-MM-DDTHH:MM` (a form's
    /// datetime-local) in this zone; a time a DST change skips resolves forward.
    pub fn at_local(&self, raw: &str) -> Result<Timestamp, ParseError> {
        let bad = || {
            ParseError::new(
                "at",
                "invalid_datetime",
                "a date and time such as 2026-12-05T10:00",
            )
        };
        let dt: jiff::civil::DateTime = raw.trim().parse().map_err(|_| bad())?;
        dt.to_zoned(self.tz.clone())
            .map(|z| Timestamp::from_millis(z.timestamp().as_millisecond()))
            .map_err(|_| bad())
    }
    /// The local weekday (0 Monday … 6 Sunday) and minute of the day at `at`, for
    /// shifts.
    pub fn weekday_minute(&self, at: Timestamp) -> (u8, u16) {
        let z = self.local(at);
        let day = u8::try_from(z.weekday().to_monday_zero_offset()).unwrap_or(0);
        let minute = u16::try_from(i32::from(z.hour()) * 60 + i32::from(z.minute())).unwrap_or(0);
        (day, minute)
    }
    /// The instant a local date begins (the first valid instant, across a DST gap).
    fn start_of(&self, day: Date) -> Timestamp {
        day.to_zoned(self.tz.clone())
            .map(|z| Timestamp::from_millis(z.timestamp().as_millisecond()))
            .unwrap_or(Timestamp::from_millis(i64::MAX))
    }
}

/// The period a touch counts against.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Window {
    /// `m2026-12`, `w2026-W49` or `d2026-12-01`: unique per period and kind.
    pub key: String,
    /// Touches the period allows.
    pub limit: i64,
    /// When the next period opens.
    pub next_opens: Timestamp,
}

/// An org's rules for touching customers, as one version of its configuration.
#[derive(Debug, Clone, PartialEq)]
pub struct TouchPolicy {
    pub budget: BudgetKind,
    pub quiet: QuietHours,
    pub zone: Zone,
    /// Customers one staff member may hold.
    pub contact_cap: i64,
    /// Negatives in a campaign's first hour, in basis points of delivered, at which
    /// it pauses (200 = 2 %).
    pub negative_pause_bp: i64,
}

impl TouchPolicy {
    /// The defaults: days-in-month, 22:00–08:00 in Asia/Shanghai, 5,000 contacts.
    pub fn standard() -> Self {
        Self {
            budget: BudgetKind::DaysInMonth,
            quiet: QuietHours::DEFAULT,
            zone: Zone {
                name: "Asia/Shanghai".to_owned(),
                tz: TimeZone::get("Asia/Shanghai").unwrap_or(TimeZone::UTC),
            },
            contact_cap: CONTACT_CAP_DEFAULT,
            negative_pause_bp: NEGATIVE_PAUSE_BP_DEFAULT,
        }
    }

    /// The budget period of a touch at `at`.
    pub fn window(&self, at: Timestamp) -> Window {
        let day = self.zone.local(at).date();
        match self.budget {
            BudgetKind::DaysInMonth => {
                let next = day.last_of_month().tomorrow().unwrap_or(Date::MAX);
                Window {
                    key: format!("m{:04}-{:02}", day.year(), day.month()),
                    limit: i64::from(day.days_in_month()),
                    next_opens: self.zone.start_of(next),
                }
            }
            BudgetKind::WeekOfSeven => self.week(day, 'w', 7),
            BudgetKind::OnePerDay => Window {
                key: format!("d{day}"),
                limit: 1,
                next_opens: self.zone.start_of(day.tomorrow().unwrap_or(Date::MAX)),
            },
        }
    }

    /// The calendar week of `day` (Monday first) as a window of `limit` touches,
    /// its key prefixed by `kind`.
    fn week(&self, day: Date, kind: char, limit: i64) -> Window {
        let iso = day.iso_week_date();
        let to_monday = i64::from(8 - iso.weekday().to_monday_one_offset());
        let next = day
            .checked_add(jiff::Span::new().days(to_monday))
            .unwrap_or(Date::MAX);
        Window {
            key: format!("{kind}{:04}-W{:02}", iso.year(), iso.week()),
            limit,
            next_opens: self.zone.start_of(next),
        }
    }

    /// The window of a customer who asked for at most one message a week
    /// ([`Frequency::Weekly`]): the org's calendar week, one touch, on top of the
    /// org's budget.
    pub fn own_window(&self, at: Timestamp) -> Window {
        self.week(self.zone.local(at).date(), 'p', 1)
    }

    /// When quiet hours end, if `at` falls inside them.
    pub fn quiet_until(&self, at: Timestamp) -> Option<Timestamp> {
        let local = self.zone.local(at);
        let minute =
            u16::try_from(i32::from(local.hour()) * 60 + i32::from(local.minute())).ok()?;
        if !self.quiet.contains(minute) {
            return None;
        }
        let day = local.date();
        // After the start on a wrapping range, the end is tomorrow morning.
        let end_day = if self.quiet.start > self.quiet.end && minute >= self.quiet.start {
            day.tomorrow().unwrap_or(Date::MAX)
        } else {
            day
        };
        let end = end_day.at(
            i8::try_from(self.quiet.end / 60).unwrap_or(0),
            i8::try_from(self.quiet.end % 60).unwrap_or(0),
            0,
            0,
        );
        end.to_zoned(self.zone.tz.clone())
            .ok()
            .map(|z| Timestamp::from_millis(z.timestamp().as_millisecond()))
    }

    /// The local day of an instant (the per-staff daily rule's key) and when the
    /// next one begins.
    pub fn day_window(&self, at: Timestamp) -> (String, Timestamp) {
        let day = self.zone.local(at).date();
        (
            day.to_string(),
            self.zone.start_of(day.tomorrow().unwrap_or(Date::MAX)),
        )
    }
}

/// How often a person lets an org message them (campaigns and journeys' messages),
/// chosen in their consent centre: the org's budget, or at most one a week.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Frequency {
    /// As the org's touch budget allows.
    #[default]
    Budget,
    /// At most one message in each calendar week ([`TouchPolicy::own_window`]).
    Weekly,
}

impl Frequency {
    pub const fn as_str(self) -> &'static str {
        match self {
            Frequency::Budget => "budget",
            Frequency::Weekly => "weekly",
        }
    }
    pub fn parse(raw: &str) -> Result<Self, ParseError> {
        match raw {
            "budget" => Ok(Self::Budget),
            "weekly" => Ok(Self::Weekly),
            _ => Err(ParseError::new(
                "frequency",
                "invalid_frequency",
                "budget or weekly",
            )),
        }
    }
}

/// How a channel code picks the staff member a new contact goes to
/// ([`crate::assignment_order`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ChannelMode {
    /// In turn over the code's staff list.
    RoundRobin,
    /// In turn over those of its staff on duty by their weekly shifts.
    Schedule,
}

impl ChannelMode {
    pub const fn as_str(self) -> &'static str {
        match self {
            ChannelMode::RoundRobin => "round_robin",
            ChannelMode::Schedule => "schedule",
        }
    }
    pub fn parse(raw: &str) -> Result<Self, ParseError> {
        match raw {
            "round_robin" => Ok(Self::RoundRobin),
            "schedule" => Ok(Self::Schedule),
            _ => Err(ParseError::new(
                "mode",
                "invalid_channel_mode",
                "round_robin or schedule",
            )),
        }
    }
}

/// What a planned touch comes to, given the customer's consent and the ledger: the
/// one rule the preflight and the send both apply.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TouchVerdict {
    Send,
    OptedOut,
    /// The staff member sent them a mass message today already.
    StaffDaily,
    OverBudget,
}

impl TouchVerdict {
    pub const fn as_str(self) -> &'static str {
        match self {
            TouchVerdict::Send => "send",
            TouchVerdict::OptedOut => "opted_out",
            TouchVerdict::StaffDaily => "staff_daily",
            TouchVerdict::OverBudget => "over_budget",
        }
    }
    pub fn parse(raw: &str) -> Option<Self> {
        [
            Self::Send,
            Self::OptedOut,
            Self::StaffDaily,
            Self::OverBudget,
        ]
        .into_iter()
        .find(|v| v.as_str() == raw)
    }
}

/// Consent wins, then the per-staff daily rule, then the budget (`spent`: the org's
/// budget for the period, or the customer's own weekly one, is used up).
pub fn touch_verdict(opted_out: bool, staff_touched: bool, spent: bool) -> TouchVerdict {
    if opted_out {
        TouchVerdict::OptedOut
    } else if staff_touched {
        TouchVerdict::StaffDaily
    } else if spent {
        TouchVerdict::OverBudget
    } else {
        TouchVerdict::Send
    }
}

/// A template's variables.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Var {
    Name,
    Staff,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Part {
    Text(String),
    Var(Var),
}

/// A message with `{{name}}` (the customer) and `{{staff}}` (who sends it).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Template {
    source: String,
    parts: Vec<Part>,
}

impl Template {
    /// Parses a template. An unclosed `{{` or an unknown variable is refused with
    /// its position (1-based, in characters) in the message.
    pub fn parse(raw: &str) -> Result<Self, ParseError> {
        let source = raw.trim();
        let n = source.chars().count();
        if n == 0 {
            return Err(ParseError::new("template", "required", "must not be empty"));
        }
        if n > MESSAGE_MAX_CHARS {
            return Err(ParseError::new(
                "template",
                "too_long",
                format!("at most {MESSAGE_MAX_CHARS} characters"),
            ));
        }
        let mut parts = Vec::new();
        let mut rest = source;
        let mut pos = 1; // character position of `rest`'s start
        while let Some(open) = rest.find("{{") {
            let at = pos + rest[..open].chars().count();
            if open > 0 {
                parts.push(Part::Text(rest[..open].to_owned()));
            }
            let after = &rest[open + 2..];
            let Some(close) = after.find("}}") else {
                return Err(ParseError::new(
                    "template",
                    "template_unclosed",
                    format!("“{{{{” at position {at} is never closed"),
                ));
            };
            let var = match after[..close].trim() {
                "name" => Var::Name,
                "staff" => Var::Staff,
                other => {
                    return Err(ParseError::new(
                        "template",
                        "template_unknown_variable",
                        format!(
                            "unknown variable “{}” at position {at}: use {{{{name}}}} or {{{{staff}}}}",
                            other.chars().take(32).collect::<String>()
                        ),
                    ));
                }
            };
            parts.push(Part::Var(var));
            let consumed = &rest[..open + 2 + close + 2];
            pos += consumed.chars().count();
            rest = &rest[open + 2 + close + 2..];
        }
        if !rest.is_empty() {
            parts.push(Part::Text(rest.to_owned()));
        }
        Ok(Self {
            source: source.to_owned(),
            parts,
        })
    }

    pub fn source(&self) -> &str {
        &self.source
    }

    /// The message for one customer. Values are inserted as they are: a name that
    /// looks like `{{staff}}` stays text (escaping for HTML is the page's job).
    pub fn render(&self, name: &str, staff: &str) -> String {
        let mut out = String::with_capacity(self.source.len() + 16);
        for p in &self.parts {
            match p {
                Part::Text(t) => out.push_str(t),
                Part::Var(Var::Name) => out.push_str(name),
                Part::Var(Var::Staff) => out.push_str(staff),
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(s: &str) -> Timestamp {
        let ts: jiff::Timestamp = s.parse().unwrap_or_else(|e| panic!("{s}: {e}"));
        Timestamp::from_millis(ts.as_millisecond())
    }

    fn policy(budget: BudgetKind) -> TouchPolicy {
        TouchPolicy {
            budget,
            ..TouchPolicy::standard()
        }
    }

    #[test]
    fn a_month_allows_as_many_touches_as_it_has_days_in_the_orgs_zone() {
        let p = policy(BudgetKind::DaysInMonth);
        // 2027-02-28 20:00 UTC is 2027-03-01 04:00 in Shanghai.
        let w = p.window(at("2027-02-28T20:00:00Z"));
        assert_eq!(w.key, "m2027-03");
        assert_eq!(w.limit, 31);
        assert_eq!(w.next_opens, at("2027-03-31T16:00:00Z"));
        let feb = p.window(at("2027-02-10T00:00:00Z"));
        assert_eq!((feb.key.as_str(), feb.limit), ("m2027-02", 28));
        assert_eq!(p.window(at("2028-02-10T00:00:00Z")).limit, 29, "leap year");
    }

    #[test]
    fn a_week_is_the_iso_week_and_a_day_the_local_day() {
        let p = policy(BudgetKind::WeekOfSeven);
        // Tuesday 2026-12-01 in Shanghai; the week opens again on Monday the 7th.
        let w = p.window(at("2026-12-01T10:00:00Z"));
        assert_eq!((w.key.as_str(), w.limit), ("w2026-W49", 7));
        assert_eq!(w.next_opens, at("2026-12-06T16:00:00Z"));
        // A Sunday's next week is the next day.
        let sun = p.window(at("2026-12-06T10:00:00Z"));
        assert_eq!(sun.next_opens, at("2026-12-06T16:00:00Z"));
        let d = policy(BudgetKind::OnePerDay).window(at("2026-12-01T17:00:00Z"));
        assert_eq!((d.key.as_str(), d.limit), ("d2026-12-02", 1));
        assert_eq!(d.next_opens, at("2026-12-02T16:00:00Z"));
    }

    #[test]
    fn a_weekly_customer_has_one_touch_a_week_whatever_the_orgs_budget() {
        for budget in [BudgetKind::DaysInMonth, BudgetKind::WeekOfSeven] {
            let p = policy(budget);
            let own = p.own_window(at("2026-12-01T10:00:00Z"));
            assert_eq!((own.key.as_str(), own.limit), ("p2026-W49", 1));
            assert_eq!(own.next_opens, at("2026-12-06T16:00:00Z"));
            // Its key never meets the org's week of seven.
            assert_ne!(own.key, p.window(at("2026-12-01T10:00:00Z")).key);
        }
        assert_eq!(Frequency::parse("weekly"), Ok(Frequency::Weekly));
        assert_eq!(
            Frequency::parse(Frequency::Budget.as_str()),
            Ok(Frequency::Budget)
        );
        assert_eq!(
            Frequency::parse("daily").map_err(|e| e.code),
            Err("invalid_frequency")
        );
        assert_eq!(touch_verdict(false, false, true), TouchVerdict::OverBudget);
        assert_eq!(touch_verdict(true, true, true), TouchVerdict::OptedOut);
        assert_eq!(touch_verdict(false, true, true), TouchVerdict::StaffDaily);
        assert_eq!(touch_verdict(false, false, false), TouchVerdict::Send);
    }

    #[test]
    fn quiet_hours_hold_messages_until_the_morning() {
        let p = TouchPolicy::standard();
        // 23:30 Shanghai → 08:00 the next day.
        assert_eq!(
            p.quiet_until(at("2026-12-01T15:30:00Z")),
            Some(at("2026-12-02T00:00:00Z"))
        );
        // 06:00 Shanghai → 08:00 the same day.
        assert_eq!(
            p.quiet_until(at("2026-12-01T22:00:00Z")),
            Some(at("2026-12-02T00:00:00Z"))
        );
        assert_eq!(p.quiet_until(at("2026-12-01T02:00:00Z")), None, "10:00");
        assert_eq!(
            p.quiet_until(at("2026-12-01T14:00:00Z")),
            Some(at("2026-12-02T00:00:00Z")),
            "22:00 is quiet"
        );
        assert_eq!(
            p.quiet_until(at("2026-12-02T00:00:00Z")),
            None,
            "08:00 is not"
        );
        let none = TouchPolicy {
            quiet: QuietHours::NONE,
            ..TouchPolicy::standard()
        };
        assert_eq!(none.quiet_until(at("2026-12-01T15:30:00Z")), None);
        let day = TouchPolicy {
            quiet: QuietHours::parse("12:00-13:30").unwrap_or(QuietHours::NONE),
            ..TouchPolicy::standard()
        };
        assert_eq!(
            day.quiet_until(at("2026-12-01T04:10:00Z")),
            Some(at("2026-12-01T05:30:00Z"))
        );
    }

    #[test]
    fn quiet_hours_and_zones_parse_or_say_why_not() {
        assert_eq!(QuietHours::parse("22:00-08:00"), Ok(QuietHours::DEFAULT));
        assert_eq!(
            QuietHours::parse(" 22:00 – 08:00 "),
            Ok(QuietHours::DEFAULT)
        );
        assert_eq!(QuietHours::DEFAULT.to_string(), "22:00-08:00");
        assert_eq!(QuietHours::parse(""), Ok(QuietHours::NONE));
        for bad in [
            "22-08",
            "25:00-08:00",
            "22:00",
            "aa:bb-cc:dd",
            "22:60-08:00",
        ] {
            assert_eq!(
                QuietHours::parse(bad).map_err(|e| e.code),
                Err("invalid_quiet_hours"),
                "{bad}"
            );
        }
        assert!(Zone::parse("Europe/Berlin").is_ok());
        assert_eq!(
            Zone::parse("Mars/Olympus").map_err(|e| e.code),
            Err("invalid_time_zone")
        );
        assert_eq!(BudgetKind::parse("week"), Ok(BudgetKind::WeekOfSeven));
        assert!(BudgetKind::parse("year").is_err());
        assert_eq!(parse_contact_cap(20_000), Ok(20_000));
        assert!(parse_contact_cap(20_001).is_err() && parse_contact_cap(0).is_err());
    }

    #[test]
    fn templates_render_by_substitution_and_errors_name_their_position() {
        let t =
            Template::parse("你好 {{name}}，我是{{ staff }}。").unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(t.render("{{staff}}", "小王"), "你好 {{staff}}，我是小王。");
        assert_eq!(
            Template::parse("plain").map(|t| t.render("a", "b")),
            Ok("plain".into())
        );
        let e = Template::parse("你好 {{name}} {{nmae}}").err();
        assert_eq!(
            e.as_ref().map(|e| e.code),
            Some("template_unknown_variable")
        );
        assert!(e.is_some_and(|e| e.message.contains("position 13")));
        let e = Template::parse("Hi {{name").err();
        assert_eq!(e.as_ref().map(|e| e.code), Some("template_unclosed"));
        assert!(e.is_some_and(|e| e.message.contains("position 4")));
        assert!(Template::parse("   ").is_err());
        assert!(Template::parse(&"x".repeat(MESSAGE_MAX_CHARS + 1)).is_err());
    }

    #[test]
    fn a_campaign_pauses_when_negatives_reach_the_threshold() {
        assert!(!should_pause(1, 100, 200), "1 % of 100 is under 2 %");
        assert!(should_pause(2, 100, 200), "2 % pauses");
        assert!(should_pause(1, 10, 200));
        assert!(
            !should_pause(0, 0, 200) && !should_pause(5, 0, 200),
            "nothing delivered"
        );
        assert!(parse_pause_bp(0).is_err() && parse_pause_bp(10_001).is_err());
        assert_eq!(parse_pause_bp(200), Ok(200));
    }
}
