//! Circles (圈子): modes and their presets, join policies, roles inside a circle,
//! member types, post kinds, and the ranking formulas of the feed (PRODUCT.md §2).

use crate::ParseError;

macro_rules! str_enum {
    ($(#[$doc:meta])* $name:ident, $field:literal, $code:literal { $($(#[$vdoc:meta])* $var:ident = $s:literal),* $(,)? }) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum $name { $($(#[$vdoc])* $var),* }

        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$var),*];
            pub const fn as_str(self) -> &'static str {
                match self { $($name::$var => $s),* }
            }
            pub fn parse(raw: &str) -> Result<Self, ParseError> {
                Self::ALL.iter().copied().find(|v| v.as_str() == raw).ok_or_else(|| {
                    let names: Vec<&str> = Self::ALL.iter().map(|v| v.as_str()).collect();
                    ParseError::new($field, $code, format!("one of {}", names.join(", ")))
                })
            }
        }
    };
}
pub(crate) use str_enum;

str_enum! {
    /// What a circle is for; each mode is a preset of defaults an admin may change.
    CircleMode, "mode", "invalid_mode" {
        /// Org staff only; read receipts on notices; no forwarding outside the circle.
        Internal = "internal",
        /// Teachers and students: lessons, assignments, check-ins, notices with receipts.
        Teaching = "teaching",
        /// Partners across orgs: cooperation needs and crowd tasks.
        Business = "business",
        /// Fans, members and customers: tiers, paid or invite-only joining, discovery.
        Community = "community",
    }
}

str_enum! {
    /// How people get into a circle.
    JoinPolicy, "join_policy", "invalid_join_policy" {
        Open = "open",
        /// A request waits for an admin.
        Approval = "approval",
        /// Only with an invite link or code.
        Invite = "invite",
        /// Only staff of the circle's org.
        OrgMembers = "org_members",
        /// Paid membership: buying the circle's membership product joins it.
        Paid = "paid",
    }
}

str_enum! {
    /// Who may start topics in a circle.
    PostingPolicy, "posting", "invalid_posting" {
        AllMembers = "all_members",
        /// Owners, admins, moderators and teachers only.
        Staff = "staff",
    }
}

str_enum! {
    /// A person's role inside one circle.
    CircleRole, "role", "invalid_circle_role" {
        Owner = "owner",
        Admin = "admin",
        Moderator = "moderator",
        Teacher = "teacher",
        Member = "member",
    }
}

impl CircleRole {
    /// Owners and admins configure the circle and manage its members.
    pub const fn can_admin(self) -> bool {
        matches!(self, CircleRole::Owner | CircleRole::Admin)
    }
    /// Moderators act on content and members' conduct.
    pub const fn can_moderate(self) -> bool {
        matches!(
            self,
            CircleRole::Owner | CircleRole::Admin | CircleRole::Moderator
        )
    }
    /// Roles counted as "staff" by [`PostingPolicy::Staff`] and notices.
    pub const fn is_circle_staff(self) -> bool {
        !matches!(self, CircleRole::Member)
    }
    const fn rank(self) -> u8 {
        match self {
            CircleRole::Owner => 4,
            CircleRole::Admin => 3,
            CircleRole::Moderator => 2,
            CircleRole::Teacher => 1,
            CircleRole::Member => 0,
        }
    }
}

/// A member's place in a circle's hierarchy: their role and when they got it
/// (milliseconds; restarts on every role change).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Standing {
    pub role: CircleRole,
    pub since: i64,
}

impl Standing {
    /// Whether `self` may act on `other` (mute, ban, change their role): a higher
    /// role outranks a lower one, and among moderators the earlier appointment
    /// outranks the later (ties, which need the same millisecond, outrank nobody).
    /// Nobody outranks an owner, and an admin does not outrank another admin.
    pub fn outranks(self, other: Standing) -> bool {
        match (self.role, other.role) {
            (_, CircleRole::Owner) => false,
            (CircleRole::Moderator, CircleRole::Moderator) => self.since < other.since,
            (a, b) => a.rank() > b.rank(),
        }
    }
}

/// Which kinds of member someone is in a circle: any mix of the three (a customer
/// may also be a fan). New members are plain members.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MemberTypes {
    pub member: bool,
    pub customer: bool,
    pub fan: bool,
}

impl Default for MemberTypes {
    fn default() -> Self {
        Self::MEMBER
    }
}

impl MemberTypes {
    pub const MEMBER: Self = Self {
        member: true,
        customer: false,
        fan: false,
    };
    /// The names a client sends (`member`, `customer`, `fan`); others are refused.
    pub fn parse<S: AsRef<str>>(names: &[S]) -> Result<Self, ParseError> {
        let mut t = Self {
            member: false,
            customer: false,
            fan: false,
        };
        for n in names {
            match n.as_ref() {
                "member" => t.member = true,
                "customer" => t.customer = true,
                "fan" => t.fan = true,
                bad => {
                    return Err(ParseError::new(
                        "types",
                        "invalid_member_type",
                        format!("{bad:?} is not one of member, customer, fan"),
                    ));
                }
            }
        }
        Ok(t)
    }
    /// The names of the types set, in a fixed order.
    pub fn names(self) -> impl Iterator<Item = &'static str> {
        [
            (self.member, "member"),
            (self.customer, "customer"),
            (self.fan, "fan"),
        ]
        .into_iter()
        .filter_map(|(on, n)| on.then_some(n))
    }
}

/// At most this many tags per circle.
pub const CIRCLE_TAGS_MAX: usize = 5;
/// Longest circle tag, in characters.
pub const CIRCLE_TAG_MAX_CHARS: usize = 20;

/// Normalises one tag (of a circle or a post): trimmed, lower-case, 1–20
/// characters, no commas (the store joins tags with ',').
pub fn parse_tag(raw: &str) -> Result<String, ParseError> {
    let t = raw.trim().to_lowercase();
    let n = t.chars().count();
    if n == 0 || n > CIRCLE_TAG_MAX_CHARS || t.chars().any(|c| c.is_control() || c == ',') {
        return Err(ParseError::new(
            "tags",
            "invalid_tag",
            format!("each tag 1 to {CIRCLE_TAG_MAX_CHARS} characters, no commas"),
        ));
    }
    Ok(t)
}

/// Normalises a list of tags with [`parse_tag`]: blanks skipped, duplicates
/// dropped, at most five.
pub fn parse_circle_tags<S: AsRef<str>>(raw: &[S]) -> Result<Vec<String>, ParseError> {
    let mut tags: Vec<String> = Vec::new();
    for t in raw.iter().filter(|t| !t.as_ref().trim().is_empty()) {
        let t = parse_tag(t.as_ref())?;
        if !tags.contains(&t) {
            tags.push(t);
        }
    }
    if tags.len() > CIRCLE_TAGS_MAX {
        return Err(ParseError::new(
            "tags",
            "too_many",
            format!("at most {CIRCLE_TAGS_MAX} tags"),
        ));
    }
    Ok(tags)
}

str_enum! {
    /// What a post is.
    PostKind, "kind", "invalid_post_kind" {
        Topic = "topic",
        /// An announcement; read receipts in modes that want them.
        Notice = "notice",
        /// A crowd task (众创任务) on a business board.
        Task = "task",
        /// A cooperation need (合作需求) on a business board.
        Need = "need",
    }
}

str_enum! {
    /// Reactions: a like and a small fixed set of emoji, one of each per person.
    ReactionKind, "kind", "invalid_reaction" {
        Like = "like",
        Heart = "heart",
        Laugh = "laugh",
        Wow = "wow",
        Clap = "clap",
        Tea = "tea",
    }
}

/// How far back others may see a member's posts (the member's own choice).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HistoryWindow {
    All,
    Days3,
    Month1,
    Months6,
}

impl HistoryWindow {
    pub const ALL: [HistoryWindow; 4] = [
        HistoryWindow::All,
        HistoryWindow::Days3,
        HistoryWindow::Month1,
        HistoryWindow::Months6,
    ];
    pub const fn as_str(self) -> &'static str {
        match self {
            HistoryWindow::All => "all",
            HistoryWindow::Days3 => "3d",
            HistoryWindow::Month1 => "1m",
            HistoryWindow::Months6 => "6m",
        }
    }
    /// The window in days; 0 means no limit.
    pub const fn days(self) -> i64 {
        match self {
            HistoryWindow::All => 0,
            HistoryWindow::Days3 => 3,
            HistoryWindow::Month1 => 30,
            HistoryWindow::Months6 => 182,
        }
    }
    pub fn from_days(d: i64) -> Self {
        Self::ALL
            .into_iter()
            .find(|w| w.days() == d)
            .unwrap_or(HistoryWindow::All)
    }
    pub fn parse(raw: &str) -> Result<Self, ParseError> {
        Self::ALL
            .into_iter()
            .find(|w| w.as_str() == raw)
            .ok_or_else(|| {
                ParseError::new(
                    "history_window",
                    "invalid_history_window",
                    "one of all, 3d, 1m, 6m",
                )
            })
    }
}

/// The settings a mode starts a circle with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CirclePreset {
    pub join_policy: JoinPolicy,
    pub posting: PostingPolicy,
    /// Whether posts may be shared outside the circle.
    pub forwarding: bool,
    /// Whether notices record who has read them.
    pub read_receipts: bool,
    /// Whether the circle is listed in discovery.
    pub public: bool,
}

impl CircleMode {
    pub const fn preset(self) -> CirclePreset {
        match self {
            CircleMode::Internal => CirclePreset {
                join_policy: JoinPolicy::OrgMembers,
                posting: PostingPolicy::AllMembers,
                forwarding: false,
                read_receipts: true,
                public: false,
            },
            CircleMode::Teaching => CirclePreset {
                join_policy: JoinPolicy::Invite,
                posting: PostingPolicy::Staff,
                forwarding: false,
                read_receipts: true,
                public: false,
            },
            CircleMode::Business => CirclePreset {
                join_policy: JoinPolicy::Approval,
                posting: PostingPolicy::AllMembers,
                forwarding: true,
                read_receipts: false,
                public: false,
            },
            CircleMode::Community => CirclePreset {
                join_policy: JoinPolicy::Open,
                posting: PostingPolicy::AllMembers,
                forwarding: true,
                read_receipts: false,
                public: true,
            },
        }
    }
    /// Whether this mode may ever be public: internal circles never leave the org.
    pub const fn may_be_public(self) -> bool {
        !matches!(self, CircleMode::Internal)
    }
}

/// Hot rank of a post (PRODUCT.md §2): `log(max(2, score + 2)) / (hours + 2)^1.8`,
/// where `hours` is the post's age. Zero after 7 days, and zero for a post dated in
/// the future (a wrong clock must not pin a post to the top).
pub fn hot_rank(score: i64, age_ms: i64) -> f64 {
    const WEEK_MS: i64 = 7 * 24 * 3600 * 1000;
    if !(0..=WEEK_MS).contains(&age_ms) {
        return 0.0;
    }
    let hours = age_ms as f64 / 3_600_000.0;
    let s = (score.saturating_add(2)).max(2) as f64;
    s.ln() / (hours + 2.0).powf(1.8)
}

/// A circle's discovery quality (PRODUCT.md §2): its posts' summed hot rank
/// normalised by `ln(2 + interactions in the last 30 days)`, plus a momentum boost of
/// up to 0.5 when this week's interactions beat last week's. Never negative.
pub fn quality_score(rank_sum: f64, month: i64, week: i64, prev_week: i64) -> f64 {
    if !rank_sum.is_finite() || rank_sum <= 0.0 {
        return 0.0;
    }
    let base = rank_sum / (2.0 + month.max(0) as f64).ln();
    let growth = (week.max(0) - prev_week.max(0)) as f64 / (prev_week.max(0) as f64 + 1.0);
    base + 0.5 * growth.clamp(0.0, 1.0)
}

str_enum! {
    /// Where a circle stands at the staff review gate of discovery.
    BoostStatus, "boost_status", "invalid_boost_status" {
        None = "none",
        Pending = "pending",
        Approved = "approved",
        Rejected = "rejected",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const H: i64 = 3_600_000;

    #[test]
    fn earlier_moderators_outrank_later_ones() {
        let at = |role, since| Standing { role, since };
        let owner = at(CircleRole::Owner, 0);
        let admin = at(CircleRole::Admin, 5);
        let first_mod = at(CircleRole::Moderator, 10);
        let second_mod = at(CircleRole::Moderator, 20);
        let teacher = at(CircleRole::Teacher, 1);
        let member = at(CircleRole::Member, 0);
        assert!(first_mod.outranks(second_mod));
        assert!(!second_mod.outranks(first_mod));
        assert!(!first_mod.outranks(first_mod), "nobody outranks themself");
        assert!(first_mod.outranks(teacher) && first_mod.outranks(member));
        assert!(!first_mod.outranks(admin));
        assert!(admin.outranks(first_mod) && admin.outranks(second_mod));
        assert!(
            !admin.outranks(at(CircleRole::Admin, 99)),
            "admins are peers"
        );
        assert!(owner.outranks(admin));
        for s in [owner, admin, first_mod, teacher, member] {
            assert!(!s.outranks(owner), "{s:?} must not outrank the owner");
        }
        assert!(!member.outranks(member) && !member.outranks(teacher));
    }

    #[test]
    fn circle_tags_are_normalised_and_bounded() {
        let code = |r: Result<Vec<String>, ParseError>| r.err().map(|e| e.code);
        assert_eq!(
            parse_circle_tags(&[" Tea ", "茶", "tea", ""]).ok(),
            Some(vec!["tea".to_owned(), "茶".to_owned()])
        );
        assert_eq!(parse_circle_tags::<&str>(&[]).ok(), Some(Vec::new()));
        assert_eq!(code(parse_circle_tags(&["a,b"])), Some("invalid_tag"));
        assert_eq!(
            code(parse_circle_tags(&["x".repeat(21)])),
            Some("invalid_tag")
        );
        assert_eq!(
            code(parse_circle_tags(&["a", "b", "c", "d", "e", "f"])),
            Some("too_many")
        );
    }

    #[test]
    fn quality_rewards_activity_and_momentum() {
        assert_eq!(
            quality_score(0.0, 100, 10, 0),
            0.0,
            "no ranked posts, no score"
        );
        assert_eq!(quality_score(f64::NAN, 1, 1, 1), 0.0);
        let calm = quality_score(1.0, 100, 20, 20);
        let growing = quality_score(1.0, 100, 40, 20);
        assert!(growing > calm, "momentum");
        assert!(
            quality_score(1.0, 100, 1000, 0) - calm <= 0.5 + 1e-9,
            "momentum is capped"
        );
        assert!(
            quality_score(2.0, 100, 20, 20) > calm,
            "more rank, more score"
        );
        assert!(calm > 0.0 && calm.is_finite());
    }

    #[test]
    fn hot_rank_pins_the_product_rule() {
        // Fresh, no score: ln(2) / 2^1.8.
        let fresh = hot_rank(0, 0);
        assert!((fresh - 2f64.ln() / 2f64.powf(1.8)).abs() < 1e-12);
        // Negative scores floor at ln(2), never negative or NaN.
        assert_eq!(hot_rank(-50, 0), fresh);
        // More score ranks higher at the same age; older ranks lower at the same score.
        assert!(hot_rank(10, H) > hot_rank(9, H));
        assert!(hot_rank(10, H) > hot_rank(10, 2 * H));
        // Zero at and after 7 days and for future dates.
        assert!(hot_rank(1_000_000, 7 * 24 * H) > 0.0);
        assert_eq!(hot_rank(1_000_000, 7 * 24 * H + 1), 0.0);
        assert_eq!(hot_rank(1_000_000, -1), 0.0);
        // Extreme inputs stay finite.
        assert!(hot_rank(i64::MAX, 0).is_finite());
    }

    #[test]
    fn hot_rank_is_monotonic_over_a_grid() {
        for score in [0, 1, 5, 50, 500] {
            let mut last = f64::INFINITY;
            for h in 0..(7 * 24) {
                let r = hot_rank(score, h * H);
                assert!(r <= last && r > 0.0, "score {score} hour {h}");
                last = r;
            }
        }
    }

    #[test]
    fn presets_follow_the_modes() {
        assert_eq!(
            CircleMode::Internal.preset().join_policy,
            JoinPolicy::OrgMembers
        );
        assert!(
            !CircleMode::Internal.preset().forwarding
                && CircleMode::Internal.preset().read_receipts
        );
        assert!(!CircleMode::Internal.may_be_public());
        assert_eq!(CircleMode::Teaching.preset().posting, PostingPolicy::Staff);
        assert!(CircleMode::Community.preset().public);
        for m in CircleMode::ALL {
            assert_eq!(CircleMode::parse(m.as_str()), Ok(*m));
            assert!(m.may_be_public() || !m.preset().public);
        }
        assert_eq!(JoinPolicy::parse("paid"), Ok(JoinPolicy::Paid));
        assert_eq!(
            CircleRole::parse("boss").map_err(|e| e.code),
            Err("invalid_circle_role")
        );
    }

    #[test]
    fn circle_roles() {
        assert!(CircleRole::Owner.can_admin() && CircleRole::Admin.can_admin());
        assert!(!CircleRole::Moderator.can_admin() && CircleRole::Moderator.can_moderate());
        assert!(!CircleRole::Member.can_moderate() && !CircleRole::Member.is_circle_staff());
        assert!(CircleRole::Teacher.is_circle_staff());
    }
}
