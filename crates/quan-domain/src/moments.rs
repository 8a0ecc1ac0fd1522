//! Moments (朋友圈): a staff member's posts to their customers. Who sees one is
//! decided by tags; how many a customer sees is capped per day across all staff, so
//! an org with fifty sales staff does not flood a customer's feed.

use crate::{Timestamp, TouchPolicy};

/// Moments a customer is shown per local day, across every staff member.
pub const MOMENT_DAILY_CAP: usize = 3;
/// A moment's text, in characters.
pub const MOMENT_BODY_MAX: usize = 1_000;
/// Tags a moment may be limited to.
pub const MOMENT_TAGS_MAX: usize = 10;
/// A customer's comment on a moment, in characters.
pub const MOMENT_COMMENT_MAX: usize = 300;
/// Days of moments a feed looks back over.
pub const MOMENT_FEED_DAYS: i64 = 30;

/// Who may see a moment: every customer of its author, or those with one of its tags.
pub fn moment_visible(moment_tags: &[String], person_tags: &[String]) -> bool {
    moment_tags.is_empty() || moment_tags.iter().any(|t| person_tags.contains(t))
}

/// The daily cap applied to a feed: `items` newest first, each with its posting
/// time; on each local day (the policy's zone) the earliest `cap` stay, so a burst
/// late in the day cannot push out what a customer was already shown. Newest first.
pub fn cap_per_day<T>(
    items: Vec<(Timestamp, T)>,
    policy: &TouchPolicy,
    cap: usize,
) -> Vec<(Timestamp, T)> {
    let mut days: Vec<(String, Vec<(Timestamp, T)>)> = Vec::new();
    for (at, item) in items {
        let day = policy.day_window(at).0;
        match days.last_mut() {
            Some((d, v)) if *d == day => v.push((at, item)),
            _ => days.push((day, vec![(at, item)])),
        }
    }
    let mut out = Vec::new();
    for (_, mut day) in days {
        // Newest first within the day: the earliest are at the end.
        let keep = day.len().saturating_sub(cap);
        out.extend(day.drain(keep..));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const HOUR: i64 = 3_600_000;

    fn at(h: i64) -> Timestamp {
        // 2026-12-01 00:00 in Asia/Shanghai is 2026-11-30 16:00 UTC.
        Timestamp::from_millis(1_764_518_400_000 + h * HOUR)
    }

    #[test]
    fn the_earliest_three_of_each_day_stay() {
        let p = TouchPolicy::standard();
        // Newest first: five on day two (hours 24..29), two on day one.
        let items: Vec<(Timestamp, i64)> = [29, 28, 27, 26, 25, 3, 2]
            .into_iter()
            .map(|h| (at(h), h))
            .collect();
        let kept: Vec<i64> = cap_per_day(items, &p, 3).into_iter().map(|x| x.1).collect();
        assert_eq!(kept, vec![27, 26, 25, 3, 2]);
    }

    #[test]
    fn days_are_local_days() {
        let p = TouchPolicy::standard();
        // 23:00 and 01:00 local are different days, though two hours apart.
        let items = vec![(at(25), "b"), (at(23), "a")];
        assert_eq!(cap_per_day(items, &p, 1).len(), 2);
    }

    #[test]
    fn visibility_by_tags() {
        let vip = vec!["vip".to_owned()];
        assert!(moment_visible(&[], &[]));
        assert!(moment_visible(&vip, &vip));
        assert!(!moment_visible(&vip, &["新客".to_owned()]));
    }
}
