//! Running a circle: the task/need workflow, per-post audiences, reports and their
//! weight, trust levels, sanctions and sensitive words (PRODUCT.md §2). Pure rules;
//! the use cases in quan-core apply them.

use crate::ParseError;
use crate::circles::str_enum;

str_enum! {
    /// Where a task (众创任务) or need (合作需求) stands.
    TaskState, "state", "invalid_task_state" {
        Open = "open",
        Claimed = "claimed",
        Delivered = "delivered",
        Accepted = "accepted",
        Rejected = "rejected",
        Closed = "closed",
    }
}

str_enum! {
    /// A step someone takes on a task.
    TaskAction, "action", "invalid_task_action" {
        /// A member takes the open task.
        Claim = "claim",
        /// The assignee (or an admin) gives it back.
        Unclaim = "unclaim",
        /// The assignee hands in the work (again, after a rejection).
        Deliver = "deliver",
        /// The author or an admin accepts the delivery.
        Accept = "accept",
        /// The author or an admin rejects it; the assignee may deliver again.
        Reject = "reject",
        /// The author or an admin closes the task, at any point.
        Close = "close",
    }
}

/// Who is acting on a task, as far as the workflow cares.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TaskActor {
    /// The post's author, or an admin of the circle.
    pub owner: bool,
    /// The member who claimed it.
    pub assignee: bool,
}

/// Why a task step is refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum TaskError {
    #[error("this step is not possible from the task's current state")]
    BadTransition,
    #[error("only the author or an admin (or, for claimed work, its assignee) may do this")]
    NotAllowed,
}

impl TaskState {
    /// The state after `action` by `who`, or why not.
    pub fn apply(self, action: TaskAction, who: TaskActor) -> Result<TaskState, TaskError> {
        use TaskAction as A;
        use TaskState as S;
        let (allowed, next) = match (action, self) {
            // The author does not claim their own task.
            (A::Claim, S::Open) => (!who.owner, S::Claimed),
            (A::Unclaim, S::Claimed) => (who.assignee || who.owner, S::Open),
            (A::Deliver, S::Claimed | S::Rejected) => (who.assignee, S::Delivered),
            (A::Accept, S::Delivered) => (who.owner, S::Accepted),
            (A::Reject, S::Delivered) => (who.owner, S::Rejected),
            (A::Close, s) if s != S::Closed => (who.owner, S::Closed),
            _ => return Err(TaskError::BadTransition),
        };
        if allowed {
            Ok(next)
        } else {
            Err(TaskError::NotAllowed)
        }
    }
}

str_enum! {
    /// Who sees a post.
    Audience, "audience", "invalid_audience" {
        /// Every member of the circle.
        All = "all",
        /// Only persons with one of the post's tags.
        Only = "only",
        /// Everyone but persons with one of the post's tags.
        Except = "except",
    }
}

str_enum! {
    /// Why a post is reported.
    ReportReason, "reason", "invalid_reason" {
        Spam = "spam",
        Abuse = "abuse",
        Illegal = "illegal",
        OffTopic = "off_topic",
        Other = "other",
    }
}

str_enum! {
    ReportStatus, "status", "invalid_report_status" {
        Open = "open",
        /// A moderator agreed: the post stays hidden (or is deleted).
        Upheld = "upheld",
        /// A moderator disagreed: the post is shown again.
        Dismissed = "dismissed",
    }
}

str_enum! {
    /// Mute: may read, may not write. Ban: out of the circle, may not rejoin.
    SanctionKind, "kind", "invalid_sanction" {
        Mute = "mute",
        Ban = "ban",
    }
}

str_enum! {
    /// What a sensitive word does to a post or comment that contains it.
    WordAction, "action", "invalid_word_action" {
        /// Refused with an error naming the rule, never the word list.
        Reject = "reject",
        /// Accepted but hidden until a moderator reviews it.
        Hold = "hold",
    }
}

str_enum! {
    /// What a notification is about; each kind can be turned off.
    NotifyKind, "kind", "invalid_notify_kind" {
        /// A comment on your post, or a reply to your comment.
        Reply = "reply",
        /// Someone wrote @your-name.
        Mention = "mention",
        /// A reaction to your post.
        Reaction = "reaction",
        /// Your join request was approved.
        Approval = "approval",
        /// A moderator acted on your post or on you.
        Moderation = "moderation",
        /// A step on a task you posted or claimed.
        Task = "task",
        /// A campaign you composed was paused by its negative feedback.
        Campaign = "campaign",
        /// A customer asked an auto-reply for a person: you.
        Handoff = "handoff",
        /// A journey gave you a task about one of your customers.
        Journey = "journey",
    }
}

/// Images per post, at most.
pub const POST_IMAGES_MAX: usize = 9;

/// Pinned posts per circle, at most: they lead the feed's first page, so a few.
pub const PINNED_MAX: usize = 5;
/// An uploaded image's size, at most.
pub const IMAGE_MAX_BYTES: usize = 5 * 1024 * 1024;

/// The image type by its first bytes (the client's Content-Type is not trusted):
/// PNG, JPEG, GIF or WebP; anything else is refused.
pub fn sniff_image(b: &[u8]) -> Option<&'static str> {
    if b.starts_with(b"\x89PNG\r\n\x1a\n") {
        Some("image/png")
    } else if b.starts_with(&[0xFF, 0xD8, 0xFF]) {
        Some("image/jpeg")
    } else if b.starts_with(b"GIF87a") || b.starts_with(b"GIF89a") {
        Some("image/gif")
    } else if b.len() >= 12 && &b[..4] == b"RIFF" && &b[8..12] == b"WEBP" {
        Some("image/webp")
    } else {
        None
    }
}

/// A member's standing in a circle, earned from activity (0 = new, 3 = trusted).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct TrustLevel(pub u8);

/// The activity trust is computed from, for one member in one circle.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Activity {
    pub days_member: i64,
    /// Distinct days on which the member read the circle.
    pub days_visited: i64,
    /// Distinct posts the member opened.
    pub posts_read: i64,
    /// Posts and comments written.
    pub contributions: i64,
    pub likes_received: i64,
    pub likes_given: i64,
    /// Reports against this member's posts that moderators upheld.
    pub upheld_against: i64,
}

/// New members' limits in their first day (TL0).
pub const TL0_POSTS_PER_DAY: i64 = 3;
pub const TL0_COMMENTS_PER_DAY: i64 = 10;
/// Images a new member may upload on their first day, unless the operator says
/// otherwise (`circles.first_day_images`).
pub const TL0_IMAGES_PER_DAY: i64 = 3;
/// Reports whose summed weight reaches this hide the post until review.
pub const HIDE_THRESHOLD: i64 = 6;

impl TrustLevel {
    /// The levels, each a bar on every signal (as in Discourse): TL1 has read a
    /// little after the first day, TL2 comes back and takes part, TL3 is a
    /// long-standing contributor nobody has had to act against.
    pub fn of(a: Activity) -> TrustLevel {
        if a.days_member >= 30
            && a.days_visited >= 20
            && a.posts_read >= 100
            && a.contributions >= 50
            && a.likes_received >= 30
            && a.upheld_against == 0
        {
            TrustLevel(3)
        } else if a.days_member >= 7
            && a.days_visited >= 5
            && a.posts_read >= 30
            && a.contributions >= 10
            && a.likes_received >= 5
            && a.likes_given >= 5
            && a.upheld_against <= 1
        {
            TrustLevel(2)
        } else if a.days_member >= 1 && (a.posts_read >= 5 || a.days_visited >= 2) {
            TrustLevel(1)
        } else {
            TrustLevel(0)
        }
    }

    /// A flag's weight: 1–4 by trust level, scaled by the flagger's past accuracy
    /// (Laplace-smoothed, so a new flagger counts at the base weight and a flagger
    /// whose reports keep being dismissed drifts down to 1).
    pub fn flag_weight(self, upheld: i64, resolved: i64) -> i64 {
        let base = i64::from(self.0) + 1;
        let upheld = upheld.clamp(0, resolved.max(0));
        // base × 2 × (upheld + 1) / (resolved + 2), rounded, at least 1.
        let num = base * 2 * (upheld + 1);
        let den = resolved.max(0) + 2;
        ((num + den / 2) / den).max(1)
    }
}

/// The first sensitive word found in `text` (case-insensitive; Chinese words match
/// as substrings since Chinese is written without spaces).
pub fn find_sensitive<'w>(
    text: &str,
    words: &'w [(String, WordAction)],
) -> Option<&'w (String, WordAction)> {
    let lower = text.to_lowercase();
    // Reject beats hold when both match.
    let mut hit = None;
    for w in words {
        if !w.0.is_empty() && lower.contains(&w.0.to_lowercase()) {
            if w.1 == WordAction::Reject {
                return Some(w);
            }
            hit.get_or_insert(w);
        }
    }
    hit
}

/// Normalises a sensitive word or a tag: trimmed, lower-case, 1–40 characters.
pub fn short_label(raw: &str, field: &'static str) -> Result<String, ParseError> {
    let s = raw.trim().to_lowercase();
    let n = s.chars().count();
    if n == 0 || n > 40 || s.chars().any(char::is_control) {
        return Err(ParseError::new(
            field,
            "invalid_label",
            "1 to 40 characters, no control characters",
        ));
    }
    Ok(s)
}

#[cfg(test)]
mod tests {
    use super::*;

    const AUTHOR: TaskActor = TaskActor {
        owner: true,
        assignee: false,
    };
    const WORKER: TaskActor = TaskActor {
        owner: false,
        assignee: true,
    };
    const OTHER: TaskActor = TaskActor {
        owner: false,
        assignee: false,
    };

    #[test]
    fn task_workflow_happy_path_and_rework() {
        use TaskAction as A;
        use TaskState as S;
        let s = S::Open
            .apply(A::Claim, OTHER)
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(s, S::Claimed);
        let s = s
            .apply(A::Deliver, WORKER)
            .unwrap_or_else(|e| panic!("{e}"));
        let s = s.apply(A::Reject, AUTHOR).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(s, S::Rejected);
        let s = s
            .apply(A::Deliver, WORKER)
            .unwrap_or_else(|e| panic!("{e}"));
        let s = s.apply(A::Accept, AUTHOR).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(s, S::Accepted);
        assert_eq!(s.apply(A::Close, AUTHOR), Ok(S::Closed));
    }

    #[test]
    fn task_workflow_refuses_every_wrong_step() {
        use TaskAction as A;
        use TaskState as S;
        // Only the author/admins accept or reject; only the assignee delivers.
        assert_eq!(
            S::Delivered.apply(A::Accept, WORKER),
            Err(TaskError::NotAllowed)
        );
        assert_eq!(
            S::Delivered.apply(A::Reject, OTHER),
            Err(TaskError::NotAllowed)
        );
        assert_eq!(
            S::Claimed.apply(A::Deliver, OTHER),
            Err(TaskError::NotAllowed)
        );
        assert_eq!(S::Open.apply(A::Claim, AUTHOR), Err(TaskError::NotAllowed));
        assert_eq!(
            S::Claimed.apply(A::Claim, OTHER),
            Err(TaskError::BadTransition)
        );
        // Every action from Closed is refused; every pair is decided without panic.
        for a in TaskAction::ALL {
            assert!(S::Closed.apply(*a, AUTHOR).is_err());
            for s in TaskState::ALL {
                for who in [AUTHOR, WORKER, OTHER] {
                    let _ = s.apply(*a, who);
                }
            }
        }
        // Accepted work cannot be re-delivered or rejected.
        assert!(S::Accepted.apply(A::Reject, AUTHOR).is_err());
        assert!(S::Accepted.apply(A::Deliver, WORKER).is_err());
    }

    #[test]
    fn trust_levels_and_flag_weights() {
        let new = Activity::default();
        assert_eq!(TrustLevel::of(new), TrustLevel(0));
        let day = Activity {
            days_member: 1,
            ..new
        };
        assert_eq!(
            TrustLevel::of(day),
            TrustLevel(0),
            "joined, never came back"
        );
        let reader = Activity {
            posts_read: 5,
            ..day
        };
        assert_eq!(TrustLevel::of(reader), TrustLevel(1));
        let returning = Activity {
            days_visited: 2,
            ..day
        };
        assert_eq!(TrustLevel::of(returning), TrustLevel(1));
        let regular = Activity {
            days_member: 8,
            days_visited: 6,
            posts_read: 40,
            contributions: 12,
            likes_received: 6,
            likes_given: 9,
            upheld_against: 0,
        };
        assert_eq!(TrustLevel::of(regular), TrustLevel(2));
        assert_eq!(
            TrustLevel::of(Activity {
                posts_read: 29,
                ..regular
            }),
            TrustLevel(1),
            "a regular who does not read stays at 1"
        );
        let veteran = Activity {
            days_member: 40,
            days_visited: 25,
            posts_read: 150,
            contributions: 80,
            likes_received: 50,
            ..regular
        };
        assert_eq!(TrustLevel::of(veteran), TrustLevel(3));
        assert_eq!(
            TrustLevel::of(Activity {
                upheld_against: 1,
                ..veteran
            }),
            TrustLevel(2)
        );
        // New flaggers count at their base weight; accuracy moves it.
        assert_eq!(TrustLevel(0).flag_weight(0, 0), 1);
        assert_eq!(TrustLevel(2).flag_weight(0, 0), 3);
        assert_eq!(TrustLevel(2).flag_weight(10, 10), 6);
        assert_eq!(TrustLevel(2).flag_weight(0, 10), 1);
        assert_eq!(TrustLevel(3).flag_weight(99, -5), 4);
        // Two trusted regulars, or six new members, hide a post.
        assert!(TrustLevel(2).flag_weight(0, 0) * 2 >= HIDE_THRESHOLD);
        assert!(TrustLevel(0).flag_weight(0, 0) * 5 < HIDE_THRESHOLD);
    }

    #[test]
    fn images_are_known_by_their_bytes() {
        assert_eq!(sniff_image(b"\x89PNG\r\n\x1a\n...."), Some("image/png"));
        assert_eq!(sniff_image(&[0xFF, 0xD8, 0xFF, 0xE0]), Some("image/jpeg"));
        assert_eq!(sniff_image(b"GIF89a.."), Some("image/gif"));
        assert_eq!(sniff_image(b"RIFF\0\0\0\0WEBPVP8 "), Some("image/webp"));
        assert_eq!(
            sniff_image(b"<svg onload=alert(1)>"),
            None,
            "no SVG: it can carry script"
        );
        assert_eq!(sniff_image(b"RIFF"), None);
        assert_eq!(sniff_image(b""), None);
    }

    #[test]
    fn sensitive_words_match_chinese_and_english() {
        let words = vec![
            ("刷单".to_owned(), WordAction::Hold),
            ("casino".to_owned(), WordAction::Reject),
            ("返现".to_owned(), WordAction::Reject),
        ];
        assert_eq!(
            find_sensitive("招聘刷单兼职", &words).map(|w| w.1),
            Some(WordAction::Hold)
        );
        assert_eq!(
            find_sensitive("Best CASINO in town", &words).map(|w| w.1),
            Some(WordAction::Reject)
        );
        // Reject wins when both are present.
        assert_eq!(
            find_sensitive("刷单返现", &words).map(|w| w.1),
            Some(WordAction::Reject)
        );
        assert!(find_sensitive("今天的奶茶很好喝", &words).is_none());
        assert_eq!(short_label("  VIP ", "tag"), Ok("vip".into()));
        assert!(short_label("", "tag").is_err());
        assert!(short_label(&"长".repeat(41), "tag").is_err());
    }
}
