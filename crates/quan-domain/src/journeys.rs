//! Journeys (SOP): a sequence of steps a customer walks through once an event
//! starts it (they joined through a channel code, or fell silent for N days).
//!
//! A journey's sends obey the same touch ledger as campaigns: [`plan_send`] is the
//! one rule the running journey and its dry run both apply, so the dry run's
//! findings are what the journey will meet. A send never drops for quiet hours or a
//! spent budget: it waits for the moment the rule allows it; only an opt-out skips
//! it.

use crate::{
    ChannelCodeId, ParseError, Template, Timestamp, TouchPolicy, TouchVerdict, short_label,
    touch_verdict,
};

/// Steps a journey may have.
pub const JOURNEY_STEPS_MAX: usize = 12;
/// The longest wait one step may hold a customer, in days.
pub const JOURNEY_WAIT_DAYS_MAX: i64 = 90;
/// The longest silence an inactivity trigger may wait for, in days.
pub const JOURNEY_INACTIVE_DAYS_MAX: i64 = 365;
/// A task's title, in characters.
pub const JOURNEY_TASK_MAX: usize = 200;
/// A journey's name, in characters.
pub const JOURNEY_NAME_MAX: usize = 80;
/// Real customers a dry run of an inactivity journey walks through, at most.
pub const DRY_RUN_SAMPLE: i64 = 20;
/// Join times a dry run of a channel-code journey tries: one every three hours over
/// the next day, so steps that land in quiet hours for some joins show up.
pub const DRY_RUN_JOIN_TIMES: i64 = 8;
/// Deferrals one send may meet in a dry run before it gives up on the calendar
/// (a month of spent budgets, say): far more than any policy needs.
const DEFER_MAX: usize = 8;

const DAY_SECS: i64 = 86_400;
/// The field of each step in an error.
const STEP_FIELDS: [&str; JOURNEY_STEPS_MAX] = [
    "step_1", "step_2", "step_3", "step_4", "step_5", "step_6", "step_7", "step_8", "step_9",
    "step_10", "step_11", "step_12",
];

/// What starts a journey for a customer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JourneyTrigger {
    /// They became a contact through a channel code: this one, or any.
    CodeJoined { code: Option<ChannelCodeId> },
    /// Nothing was said in their conversation for this many days.
    Inactive { days: i64 },
}

impl JourneyTrigger {
    pub const fn kind(self) -> &'static str {
        match self {
            JourneyTrigger::CodeJoined { .. } => "code_joined",
            JourneyTrigger::Inactive { .. } => "inactive",
        }
    }

    /// A trigger from its stored or submitted parts.
    pub fn parse(kind: &str, code: Option<&str>, days: Option<i64>) -> Result<Self, ParseError> {
        match kind {
            "code_joined" => {
                let code = code
                    .filter(|c| !c.trim().is_empty())
                    .map(|c| ChannelCodeId::parse(c.trim()))
                    .transpose()
                    .map_err(|_| ParseError::new("trigger_code", "invalid_id", "no such code"))?;
                Ok(JourneyTrigger::CodeJoined { code })
            }
            "inactive" => {
                let days = days.unwrap_or(0);
                if !(1..=JOURNEY_INACTIVE_DAYS_MAX).contains(&days) {
                    return Err(ParseError::new(
                        "trigger_days",
                        "out_of_range",
                        format!("1 to {JOURNEY_INACTIVE_DAYS_MAX} days"),
                    ));
                }
                Ok(JourneyTrigger::Inactive { days })
            }
            _ => Err(ParseError::new(
                "trigger",
                "invalid_trigger",
                "code_joined or inactive",
            )),
        }
    }
}

/// One step of a journey.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum JourneyStep {
    /// Wait this many days.
    Wait { days: i64 },
    /// Wait until the customer writes in their conversation, at most this many days.
    UntilReply { days: i64 },
    /// Send a templated message in the 1:1 conversation, under the touch ledger.
    Send { template: Template },
    /// Give the customer a tag.
    Tag { tag: String },
    /// Give the staff member a task about the customer; `{{name}}` in the title is
    /// the customer as the org knows them when the task is read.
    Task { title: Template },
}

impl JourneyStep {
    pub const KINDS: [&'static str; 5] = ["wait", "until_reply", "send", "tag", "task"];

    pub const fn kind(&self) -> &'static str {
        match self {
            JourneyStep::Wait { .. } => "wait",
            JourneyStep::UntilReply { .. } => "until_reply",
            JourneyStep::Send { .. } => "send",
            JourneyStep::Tag { .. } => "tag",
            JourneyStep::Task { .. } => "task",
        }
    }

    /// The step's one value as text: days, the template's source, the tag, the title.
    pub fn value(&self) -> String {
        match self {
            JourneyStep::Wait { days } | JourneyStep::UntilReply { days } => days.to_string(),
            JourneyStep::Send { template } => template.source().to_owned(),
            JourneyStep::Tag { tag } => tag.clone(),
            JourneyStep::Task { title } => title.source().to_owned(),
        }
    }

    /// How long the step holds a customer before it is done (0 for actions).
    pub const fn wait_secs(&self) -> i64 {
        match self {
            JourneyStep::Wait { days } | JourneyStep::UntilReply { days } => {
                days.saturating_mul(DAY_SECS)
            }
            _ => 0,
        }
    }

    /// A step from its kind and value.
    pub fn parse(kind: &str, value: &str) -> Result<Self, ParseError> {
        let days = |field| {
            let d: i64 = value
                .trim()
                .parse()
                .map_err(|_| ParseError::new(field, "invalid_number", "a whole number of days"))?;
            if (1..=JOURNEY_WAIT_DAYS_MAX).contains(&d) {
                Ok(d)
            } else {
                Err(ParseError::new(
                    field,
                    "out_of_range",
                    format!("1 to {JOURNEY_WAIT_DAYS_MAX} days"),
                ))
            }
        };
        match kind {
            "wait" => Ok(JourneyStep::Wait {
                days: days("steps")?,
            }),
            "until_reply" => Ok(JourneyStep::UntilReply {
                days: days("steps")?,
            }),
            "send" => Ok(JourneyStep::Send {
                template: Template::parse(value)?,
            }),
            "tag" => Ok(JourneyStep::Tag {
                tag: short_label(value, "steps")?,
            }),
            "task" => {
                let title = value.trim();
                let n = title.chars().count();
                if n == 0 || n > JOURNEY_TASK_MAX || title.chars().any(char::is_control) {
                    return Err(ParseError::new(
                        "steps",
                        "invalid_task",
                        format!("1 to {JOURNEY_TASK_MAX} characters, on one line"),
                    ));
                }
                Ok(JourneyStep::Task {
                    title: Template::parse(title)?,
                })
            }
            _ => Err(ParseError::new(
                "steps",
                "invalid_step",
                "wait, until_reply, send, tag or task",
            )),
        }
    }
}

/// A journey's steps from (kind, value) pairs; an error names the step (1-based).
/// A journey needs at least one step that does something, not only waits.
pub fn parse_steps<'a>(
    raw: impl IntoIterator<Item = (&'a str, &'a str)>,
) -> Result<Vec<JourneyStep>, ParseError> {
    let mut steps = Vec::new();
    for (i, (kind, value)) in raw.into_iter().enumerate() {
        if steps.len() == JOURNEY_STEPS_MAX {
            return Err(ParseError::new(
                "steps",
                "too_many",
                format!("at most {JOURNEY_STEPS_MAX} steps"),
            ));
        }
        // The field names the step, so a form can say which one (in any language).
        let field = STEP_FIELDS.get(i).copied().unwrap_or("steps");
        let step = JourneyStep::parse(kind, value).map_err(|e| {
            ParseError::new(field, e.code, format!("step {}: {}", i + 1, e.message))
        })?;
        steps.push(step);
    }
    if !steps.iter().any(|s| s.wait_secs() == 0) {
        return Err(ParseError::new(
            "steps",
            "journey_no_action",
            "add a step that sends, tags or creates a task",
        ));
    }
    Ok(steps)
}

/// What the ledger holds for one customer, as a send sees it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TouchLedger {
    pub opted_out: bool,
    /// They asked for at most one message a week ([`crate::Frequency::Weekly`]).
    pub weekly: bool,
    /// Touches used per budget period key (their own weekly one included).
    pub used: Vec<(String, i64)>,
    /// Local days the staff member already sent them a mass message.
    pub staff_days: Vec<String>,
}

impl TouchLedger {
    fn used_in(&self, period: &str) -> i64 {
        self.used
            .iter()
            .find(|(p, _)| p == period)
            .map_or(0, |(_, n)| *n)
    }

    /// Records a send, as the store's guarded writes do.
    pub fn take(&mut self, periods: &[&str], day: &str) {
        for period in periods {
            match self.used.iter_mut().find(|(p, _)| p == period) {
                Some((_, n)) => *n += 1,
                None => self.used.push(((*period).to_owned(), 1)),
            }
        }
        self.staff_days.push(day.to_owned());
    }
}

/// What a journey's send at an instant comes to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SendPlan {
    /// Opted out: the send is skipped, the journey goes on.
    Skip,
    /// The rule forbids it now: try again at `until`.
    Defer { until: Timestamp, why: TouchVerdict },
    /// Send, shown at `show` (later than asked when quiet hours hold it), counted in
    /// the budget `period` (limit `limit`), the customer's own week `own` when they
    /// asked for at most one a week, and the staff member's local `day`.
    Send {
        show: Timestamp,
        quiet: bool,
        period: String,
        limit: i64,
        own: Option<String>,
        day: String,
    },
}

/// The one rule for a journey's send at `at`: consent, then quiet hours (the
/// message waits for morning), then the staff member's day and the budget of the
/// moment it shows.
pub fn plan_send(policy: &TouchPolicy, at: Timestamp, ledger: &TouchLedger) -> SendPlan {
    if ledger.opted_out {
        return SendPlan::Skip;
    }
    let quiet_end = policy.quiet_until(at);
    let show = quiet_end.unwrap_or(at);
    let w = policy.window(show);
    let own = ledger.weekly.then(|| policy.own_window(show));
    let (day, next_day) = policy.day_window(show);
    let org_spent = ledger.used_in(&w.key) >= w.limit;
    let own_spent = own.as_ref().filter(|o| ledger.used_in(&o.key) >= o.limit);
    match touch_verdict(
        false,
        ledger.staff_days.contains(&day),
        org_spent || own_spent.is_some(),
    ) {
        TouchVerdict::StaffDaily => SendPlan::Defer {
            until: next_day,
            why: TouchVerdict::StaffDaily,
        },
        // Both spent: the later opening is the first that lets it through.
        TouchVerdict::OverBudget => SendPlan::Defer {
            until: match (org_spent, own_spent) {
                (true, Some(o)) => w.next_opens.max(o.next_opens),
                (false, Some(o)) => o.next_opens,
                _ => w.next_opens,
            },
            why: TouchVerdict::OverBudget,
        },
        // Consent was decided above (`touch_verdict` is asked with `false`), so
        // `OptedOut` cannot come back; it is matched only to keep one arm per verdict.
        TouchVerdict::Send | TouchVerdict::OptedOut => SendPlan::Send {
            show,
            quiet: quiet_end.is_some(),
            period: w.key,
            limit: w.limit,
            own: own.map(|o| o.key),
            day,
        },
    }
}

/// What a step would run into (when it goes instead is the finding's `until`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JourneyHit {
    /// Quiet hours hold the message until morning.
    QuietHours,
    /// The customer's budget is spent until the next period.
    OverBudget,
    /// The staff member sent them a mass message that day; it goes the next day.
    StaffDaily,
    /// They opted out: the send is skipped.
    OptedOut,
}

impl JourneyHit {
    pub const fn as_str(self) -> &'static str {
        match self {
            JourneyHit::QuietHours => "quiet_hours",
            JourneyHit::OverBudget => "over_budget",
            JourneyHit::StaffDaily => "staff_daily",
            JourneyHit::OptedOut => "opted_out",
        }
    }
}

/// One step of a simulated walk that met a rule.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct JourneyFinding {
    /// The step, 0-based.
    pub step: usize,
    /// When the step was reached.
    pub at: Timestamp,
    pub hit: JourneyHit,
    /// When the rule lets the send go (for an opt-out, when it was skipped).
    pub until: Timestamp,
}

/// Walks one customer through `steps` from `start` on the real calendar, with the
/// ledger as it stands: every step that meets quiet hours, a spent budget, the
/// staff member's daily message or an opt-out. A reply-wait is taken at its longest.
/// Returns the findings and when the walk ends.
pub fn simulate(
    steps: &[JourneyStep],
    policy: &TouchPolicy,
    start: Timestamp,
    mut ledger: TouchLedger,
) -> (Vec<JourneyFinding>, Timestamp) {
    let mut out = Vec::new();
    let mut t = start;
    for (i, step) in steps.iter().enumerate() {
        if step.wait_secs() > 0 {
            t = t.plus_secs(step.wait_secs());
            continue;
        }
        if !matches!(step, JourneyStep::Send { .. }) {
            continue;
        }
        let reached = t;
        for _ in 0..DEFER_MAX {
            match plan_send(policy, t, &ledger) {
                SendPlan::Skip => {
                    out.push(JourneyFinding {
                        step: i,
                        at: reached,
                        hit: JourneyHit::OptedOut,
                        until: t,
                    });
                    break;
                }
                SendPlan::Defer { until, why } => {
                    out.push(JourneyFinding {
                        step: i,
                        at: reached,
                        hit: if why == TouchVerdict::StaffDaily {
                            JourneyHit::StaffDaily
                        } else {
                            JourneyHit::OverBudget
                        },
                        until,
                    });
                    t = until;
                }
                SendPlan::Send {
                    show,
                    quiet,
                    period,
                    own,
                    day,
                    ..
                } => {
                    if quiet {
                        out.push(JourneyFinding {
                            step: i,
                            at: reached,
                            hit: JourneyHit::QuietHours,
                            until: show,
                        });
                    }
                    let mut periods = vec![period.as_str()];
                    periods.extend(own.as_deref());
                    ledger.take(&periods, &day);
                    t = show;
                    break;
                }
            }
        }
    }
    (out, t)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::BudgetKind;

    /// The standard policy (22:00–08:00 quiet in Asia/Shanghai) with `budget`.
    fn policy(budget: BudgetKind) -> TouchPolicy {
        TouchPolicy {
            budget,
            ..TouchPolicy::standard()
        }
    }

    /// The refusal of something that must be refused.
    fn refused<T: std::fmt::Debug>(r: Result<T, ParseError>) -> ParseError {
        match r {
            Err(e) => e,
            Ok(v) => panic!("accepted: {v:?}"),
        }
    }

    /// 2026-12-01 in Shanghai (UTC+8) at `h`:00 local.
    fn at(h: i64) -> Timestamp {
        // 2026-12-01T00:00:00+08:00 = 2026-11-30T16:00:00Z.
        Timestamp::from_millis(1_796_054_400_000 + h * 3_600_000)
    }

    fn steps(raw: &[(&str, &str)]) -> Vec<JourneyStep> {
        parse_steps(raw.iter().copied()).unwrap_or_else(|e| panic!("{e}"))
    }

    #[test]
    fn steps_parse_with_their_position_in_errors() {
        let s = steps(&[("send", "Hi {{name}}"), ("wait", "2"), ("tag", " VIP ")]);
        assert_eq!(s.len(), 3);
        assert_eq!(s[2], JourneyStep::Tag { tag: "vip".into() });
        assert_eq!(
            refused(parse_steps([("task", "call {{nme}}")])).code,
            "template_unknown_variable",
            "a task title is a template"
        );
        let e = refused(parse_steps([("wait", "1"), ("send", "Hi {{nme}}")]));
        assert_eq!(e.code, "template_unknown_variable");
        assert!(e.message.starts_with("step 2: "), "{}", e.message);
        assert_eq!(e.field, "step_2");
        let e = refused(parse_steps([("wait", "0"), ("tag", "x")]));
        assert_eq!(
            (e.code, e.message.as_str()),
            ("out_of_range", "step 1: 1 to 90 days")
        );
        assert_eq!(refused(parse_steps([("wait", "91")])).code, "out_of_range");
        assert_eq!(refused(parse_steps([("wait", "x")])).code, "invalid_number");
        assert_eq!(refused(parse_steps([("jump", "1")])).code, "invalid_step");
        assert_eq!(
            refused(parse_steps([("task", "a\nb")])).code,
            "invalid_task"
        );
        assert_eq!(
            refused(parse_steps([("task", &"x".repeat(201)[..])])).code,
            "invalid_task"
        );
        assert_eq!(
            refused(parse_steps([("wait", "3")])).code,
            "journey_no_action"
        );
        assert_eq!(refused(parse_steps([])).code, "journey_no_action");
        let many: Vec<(&str, &str)> = vec![("tag", "x"); JOURNEY_STEPS_MAX + 1];
        assert_eq!(refused(parse_steps(many)).code, "too_many");
        for s in &s {
            assert_eq!(
                JourneyStep::parse(s.kind(), &s.value()).as_ref(),
                Ok(s),
                "round trip"
            );
        }
    }

    #[test]
    fn triggers_parse_and_bound_their_days() {
        assert_eq!(
            JourneyTrigger::parse("code_joined", Some(""), None),
            Ok(JourneyTrigger::CodeJoined { code: None })
        );
        assert_eq!(
            JourneyTrigger::parse("inactive", None, Some(30)),
            Ok(JourneyTrigger::Inactive { days: 30 })
        );
        assert!(JourneyTrigger::parse("inactive", None, None).is_err());
        assert!(JourneyTrigger::parse("inactive", None, Some(366)).is_err());
        assert!(JourneyTrigger::parse("code_joined", Some("nope"), None).is_err());
        assert_eq!(
            refused(JourneyTrigger::parse("birthday", None, None)).code,
            "invalid_trigger"
        );
    }

    #[test]
    fn a_send_waits_for_morning_and_never_drops() {
        let p = policy(BudgetKind::DaysInMonth);
        match plan_send(&p, at(23), &TouchLedger::default()) {
            SendPlan::Send {
                show, quiet, day, ..
            } => {
                assert!(quiet);
                assert_eq!(show, at(24 + 8), "08:00 the next morning");
                assert_eq!(day, "2026-12-02", "counted on the day it shows");
            }
            other => panic!("{other:?}"),
        }
        match plan_send(&p, at(10), &TouchLedger::default()) {
            SendPlan::Send { show, quiet, .. } => assert_eq!((show, quiet), (at(10), false)),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn consent_then_staff_day_then_budget() {
        let p = policy(BudgetKind::OnePerDay);
        let opted = TouchLedger {
            opted_out: true,
            ..TouchLedger::default()
        };
        assert_eq!(plan_send(&p, at(10), &opted), SendPlan::Skip);
        let mut l = TouchLedger::default();
        l.take(&["d2026-12-01"], "2026-12-01");
        assert_eq!(
            plan_send(&p, at(10), &l),
            SendPlan::Defer {
                until: at(24),
                why: TouchVerdict::StaffDaily
            }
        );
        let spent = TouchLedger {
            used: vec![("d2026-12-01".into(), 1)],
            ..TouchLedger::default()
        };
        assert_eq!(
            plan_send(&p, at(10), &spent),
            SendPlan::Defer {
                until: at(24),
                why: TouchVerdict::OverBudget
            }
        );
    }

    #[test]
    fn a_weekly_customer_hears_once_a_week_on_top_of_the_budget() {
        let p = policy(BudgetKind::DaysInMonth);
        let weekly = TouchLedger {
            weekly: true,
            ..TouchLedger::default()
        };
        // The first send of the week takes their own week too.
        let own = match plan_send(&p, at(10), &weekly) {
            SendPlan::Send { own, .. } => own,
            other => panic!("{other:?}"),
        };
        assert_eq!(own.as_deref(), Some("p2026-W49"));
        // Tuesday 1 December: the next one goes on Monday the 7th, not the next day.
        let s = steps(&[("send", "a"), ("wait", "1"), ("send", "b")]);
        let (f, end) = simulate(&s, &p, at(10), weekly);
        assert_eq!(
            f.iter().map(|x| (x.step, x.hit)).collect::<Vec<_>>(),
            vec![(2, JourneyHit::OverBudget), (2, JourneyHit::QuietHours)]
        );
        assert_eq!(f[0].until, at(6 * 24), "Monday 00:00 in the org's zone");
        assert_eq!(end, at(6 * 24 + 8), "shown when Monday's quiet hours end");
        // Without the choice the same walk meets nothing.
        let (f, _) = simulate(&s, &p, at(10), TouchLedger::default());
        assert!(f.is_empty(), "{f:?}");
    }

    #[test]
    fn a_dry_run_lists_every_step_that_meets_a_rule() {
        // Two sends the same day: the second meets the staff member's daily rule and
        // waits for the next day, whose midnight is quiet: it shows at 08:00, and
        // both findings are listed.
        let p = policy(BudgetKind::DaysInMonth);
        let s = steps(&[("send", "a"), ("tag", "t"), ("send", "b")]);
        let (f, end) = simulate(&s, &p, at(10), TouchLedger::default());
        assert_eq!(
            f.iter().map(|x| (x.step, x.hit)).collect::<Vec<_>>(),
            vec![(2, JourneyHit::StaffDaily), (2, JourneyHit::QuietHours)]
        );
        assert_eq!(f[0].until, at(24));
        assert_eq!(end, at(24 + 8));

        // A join at 23:00: the first send waits for morning.
        let (f, _) = simulate(&s[..1], &p, at(23), TouchLedger::default());
        assert_eq!(f.len(), 1);
        assert_eq!((f[0].hit, f[0].until), (JourneyHit::QuietHours, at(32)));

        // A spent month defers to the next month's first morning.
        let spent = TouchLedger {
            used: vec![("m2026-12".into(), 31)],
            ..TouchLedger::default()
        };
        let (f, end) = simulate(&s[..1], &p, at(10), spent);
        assert_eq!(f[0].hit, JourneyHit::OverBudget);
        assert_eq!(
            f[1].hit,
            JourneyHit::QuietHours,
            "January opens at midnight"
        );
        assert!(end > at(24 * 30));

        // An opt-out skips sends and nothing else.
        let opted = TouchLedger {
            opted_out: true,
            ..TouchLedger::default()
        };
        let (f, _) = simulate(&s, &p, at(10), opted);
        assert_eq!(
            f.iter().map(|x| (x.step, x.hit)).collect::<Vec<_>>(),
            vec![(0, JourneyHit::OptedOut), (2, JourneyHit::OptedOut)]
        );

        // Waits move the calendar: two days later at the same hour, no finding.
        let s = steps(&[("wait", "2"), ("send", "a")]);
        let (f, end) = simulate(&s, &p, at(10), TouchLedger::default());
        assert!(f.is_empty());
        assert_eq!(end, at(10 + 48));
    }
}
