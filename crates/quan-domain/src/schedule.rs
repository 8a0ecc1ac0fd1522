//! Weekly shifts: when a staff member behind a channel code is on duty, as the
//! console writes it (`mon-fri 09:00-18:00`, `周六,周日 10:00-16:00`, `daily
//! 22:00-06:00`), in the org's time zone. Off duty, a code's opener goes to another
//! staff member on duty or to the backup.

use crate::ParseError;

const DAYS_EN: [&str; 7] = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"];
const DAYS_ZH: [&str; 7] = ["周一", "周二", "周三", "周四", "周五", "周六", "周日"];
/// A shift's text, in characters.
pub const SHIFT_MAX: usize = 40;

/// Days of the week (bit 0 Monday … bit 6 Sunday) and a local time range; a range
/// that ends before it starts runs past midnight into the next day.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Shift {
    days: u8,
    start: u16,
    end: u16,
}

fn bad(message: &str) -> ParseError {
    ParseError::new("shift", "invalid_shift", message.to_owned())
}

fn day_index(raw: &str) -> Option<u8> {
    let raw = raw.trim();
    let zh = raw
        .replace('天', "日")
        .replace('星', "")
        .replace("期", "周");
    DAYS_EN
        .iter()
        .position(|d| raw.eq_ignore_ascii_case(d))
        .or_else(|| DAYS_ZH.iter().position(|d| *d == zh))
        .and_then(|i| u8::try_from(i).ok())
}

fn minute(raw: &str) -> Option<u16> {
    let (h, m) = raw.trim().split_once(':')?;
    let (h, m): (u16, u16) = (h.parse().ok()?, m.parse().ok()?);
    (h <= 24 && m < 60 && h * 60 + m <= 24 * 60).then_some(h * 60 + m)
}

impl Shift {
    /// `DAYS HH:MM-HH:MM`. Days: `daily`, `weekdays`, `weekends` (每天, 工作日,
    /// 周末), or a list of days and ranges: `mon-fri`, `sat,sun`, `周一-周五`.
    pub fn parse(raw: &str) -> Result<Self, ParseError> {
        let raw = raw.trim();
        if raw.chars().count() > SHIFT_MAX {
            return Err(bad("at most 40 characters, such as mon-fri 09:00-18:00"));
        }
        let (days_raw, hours) = raw
            .rsplit_once(char::is_whitespace)
            .ok_or_else(|| bad("days then hours, such as mon-fri 09:00-18:00"))?;
        let (a, b) = hours
            .split_once(['-', '–', '~'])
            .ok_or_else(|| bad("hours as 09:00-18:00"))?;
        let (start, end) = match (minute(a), minute(b)) {
            // 24:00 ends a day; it does not start one.
            (Some(s), Some(e)) if s != e && s < 24 * 60 => (s, e),
            _ => return Err(bad("hours as 09:00-18:00, start and end different")),
        };
        let days = match days_raw.trim().to_lowercase().as_str() {
            "daily" | "每天" | "每日" => 0x7f,
            "weekdays" | "工作日" => 0x1f,
            "weekends" | "周末" => 0x60,
            list => {
                let mut days = 0u8;
                for part in list.split([',', '，', '、']) {
                    let (from, to) = match part.split_once(['-', '–', '~']) {
                        Some((x, y)) => (day_index(x), day_index(y)),
                        None => (day_index(part), day_index(part)),
                    };
                    let (Some(from), Some(to)) = (from, to) else {
                        return Err(bad("days as mon-fri, sat,sun or 周一-周五"));
                    };
                    let mut d = from;
                    loop {
                        days |= 1 << d;
                        if d == to {
                            break;
                        }
                        d = (d + 1) % 7;
                    }
                }
                days
            }
        };
        Ok(Self { days, start, end })
    }

    /// Whether the shift covers local `weekday` (0 Monday) at `minute` of the day.
    pub fn covers(&self, weekday: u8, minute: u16) -> bool {
        let on = |d: u8| self.days & (1 << (d % 7)) != 0;
        if self.start < self.end {
            on(weekday) && (self.start..self.end).contains(&minute)
        } else {
            // Past midnight: the evening of a shift day, or the early hours after one.
            (on(weekday) && minute >= self.start) || (on(weekday + 6) && minute < self.end)
        }
    }
}

impl Shift {
    /// The shift in words of a language: English day codes (`mon-fri`, `daily`) or
    /// Chinese (`周一-周五`, `每天`); both parse back the same.
    pub fn text(&self, chinese: bool) -> String {
        let (names, daily) = if chinese {
            (DAYS_ZH, "每天")
        } else {
            (DAYS_EN, "daily")
        };
        let on = |d: usize| self.days & (1 << d) != 0;
        let name = |i: usize| names.get(i).copied().unwrap_or_default();
        let mut parts: Vec<String> = Vec::new();
        let mut d = 0;
        while d < 7 {
            if !on(d) {
                d += 1;
                continue;
            }
            let mut end = d;
            while end + 1 < 7 && on(end + 1) {
                end += 1;
            }
            match end - d {
                0 => parts.push(name(d).to_owned()),
                1 => parts.push(format!("{},{}", name(d), name(end))),
                _ => parts.push(format!("{}-{}", name(d), name(end))),
            }
            d = end + 1;
        }
        let days = if self.days == 0x7f {
            daily.to_owned()
        } else {
            parts.join(",")
        };
        format!(
            "{days} {:02}:{:02}-{:02}:{:02}",
            self.start / 60,
            self.start % 60,
            self.end / 60,
            self.end % 60
        )
    }
}

impl std::fmt::Display for Shift {
    /// The canonical text, parsed back the same: `daily 22:00-06:00`,
    /// `mon-fri 09:00-18:00`, `sat,sun 10:00-16:00` (runs of three days or more
    /// as ranges).
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.text(false))
    }
}

/// Whom a code's opener goes to, in the order to try (the next one when the first is
/// at the contact cap): whoever's turn it is among the staff on duty at local
/// (`weekday`, `minute`) — a staff member without a shift is always on duty — then
/// the backup. With no one on duty and no backup, the turn goes over all the staff
/// rather than lose the person.
pub fn assignment_order<T: Copy + PartialEq>(
    staff: &[T],
    shifts: &[(T, Shift)],
    backup: Option<T>,
    turn: usize,
    (weekday, minute): (u8, u16),
) -> Vec<T> {
    let on: Vec<T> = staff
        .iter()
        .copied()
        .filter(|s| {
            shifts
                .iter()
                .find(|(who, _)| who == s)
                .is_none_or(|(_, shift)| shift.covers(weekday, minute))
        })
        .collect();
    let pool = if on.is_empty() && backup.is_none() {
        staff
    } else {
        &on[..]
    };
    let mut order: Vec<T> = pool
        .get(turn % pool.len().max(1))
        .copied()
        .into_iter()
        .collect();
    order.extend(backup.filter(|b| !order.contains(b)));
    order
}

#[cfg(test)]
mod tests {
    use super::*;

    fn shift(raw: &str) -> Shift {
        Shift::parse(raw).unwrap_or_else(|e| panic!("{raw}: {e}"))
    }

    #[test]
    fn shifts_parse_in_both_languages_and_round_trip() {
        let week = shift("mon-fri 09:00-18:00");
        assert_eq!(week, shift("weekdays 09:00-18:00"));
        assert_eq!(week, shift("周一-周五 09:00-18:00"));
        assert_eq!(week, shift("工作日 9:00-18:00"));
        assert_eq!(shift("sat,sun 10:00-16:00"), shift("周末 10:00-16:00"));
        assert_eq!(
            shift("星期六、星期天 10:00-16:00"),
            shift("weekends 10:00-16:00")
        );
        assert_eq!(
            shift("fri-mon 08:00-12:00"),
            shift("fri,sat,sun,mon 08:00-12:00")
        );
        for (s, text) in [
            ("周一-周五 09:00-18:00", "mon-fri 09:00-18:00"),
            ("每天 22:00-06:00", "daily 22:00-06:00"),
            ("sun 00:00-24:00", "sun 00:00-24:00"),
            (
                "mon,wed,thu,sat,sun 08:30-12:00",
                "mon,wed,thu,sat,sun 08:30-12:00",
            ),
            ("fri-tue 07:00-09:00", "mon,tue,fri-sun 07:00-09:00"),
        ] {
            let x = shift(s);
            assert_eq!(x.to_string(), text);
            assert_eq!(shift(&x.to_string()), x, "{s} round trips as {x}");
            assert_eq!(
                shift(&x.text(true)),
                x,
                "{s} round trips in Chinese as {}",
                x.text(true)
            );
        }
        for bad in [
            "",
            "mon-fri",
            "09:00-18:00",
            "funday 09:00-18:00",
            "mon 9-18",
            "mon 09:00-09:00",
            "mon 25:00-26:00",
            "mon 09:60-10:00",
            "mon 24:00-06:00",
            &"mon,".repeat(20),
        ] {
            assert_eq!(
                Shift::parse(bad).map_err(|e| e.code),
                Err("invalid_shift"),
                "{bad:?}"
            );
        }
    }

    #[test]
    fn openers_go_in_turn_to_staff_on_duty_then_the_backup() {
        let (a, b, c, backup) = (1, 2, 3, 9);
        let shifts = [
            (a, shift("mon-fri 09:00-18:00")),
            (b, shift("sat,sun 10:00-16:00")),
        ];
        let monday_10 = (0, 10 * 60);
        let saturday_11 = (5, 11 * 60);
        let monday_night = (0, 23 * 60);
        // Monday morning: Alice and Chen (no shift, always on) take turns.
        assert_eq!(
            assignment_order(&[a, b, c], &shifts, Some(backup), 0, monday_10),
            [a, backup]
        );
        assert_eq!(
            assignment_order(&[a, b, c], &shifts, Some(backup), 1, monday_10),
            [c, backup]
        );
        assert_eq!(
            assignment_order(&[a, b, c], &shifts, Some(backup), 2, monday_10),
            [a, backup]
        );
        // Saturday: Bob and Chen.
        assert_eq!(
            assignment_order(&[a, b, c], &shifts, None, 0, saturday_11),
            [b]
        );
        // Monday night with Chen gone from the code: no one on duty, the backup.
        assert_eq!(
            assignment_order(&[a, b], &shifts, Some(backup), 0, monday_night),
            [backup]
        );
        // No one on duty and no backup: the turn over everyone, rather than no one.
        assert_eq!(
            assignment_order(&[a, b], &shifts, None, 1, monday_night),
            [b]
        );
        // Without shifts it is plain round-robin; the backup is not repeated.
        assert_eq!(
            assignment_order(&[a, b], &[], Some(b), 1, monday_night),
            [b]
        );
    }

    #[test]
    fn a_shift_covers_its_days_and_hours_and_runs_past_midnight() {
        let week = shift("mon-fri 09:00-18:00");
        assert!(week.covers(0, 9 * 60));
        assert!(week.covers(4, 17 * 60 + 59));
        assert!(!week.covers(4, 18 * 60), "the end is not on duty");
        assert!(!week.covers(5, 12 * 60), "Saturday is off");
        let night = shift("fri 22:00-06:00");
        assert!(night.covers(4, 23 * 60));
        assert!(
            night.covers(5, 5 * 60),
            "Saturday's early hours belong to Friday's shift"
        );
        assert!(!night.covers(5, 23 * 60));
        assert!(
            !night.covers(4, 5 * 60),
            "Friday's early hours belong to Thursday"
        );
        let sunday_night = shift("sun 20:00-02:00");
        assert!(
            sunday_night.covers(0, 60),
            "Monday 01:00 after Sunday's shift"
        );
    }
}
