//! Template structs (askama, compiled in; files under `templates/`).

use super::Chrome;
use super::console::{COMING, Console};
use askama::Template;
use quan_core::access::CircleView;
use quan_core::circles::posts::PostView;
use quan_core::identity::InvitePreview;
use quan_core::{
    CircleRecord, EventRecord, InviteRecord, MemberStatus, OrgRecord, PostRecord, StaffRecord,
    TokenRecord,
};
use quan_domain::CircleRole;
use quan_domain::{Role, Scope, Timestamp};

#[derive(Template)]
#[template(path = "signup.html")]
pub(crate) struct SignupPage<'a> {
    pub c: &'a Chrome,
    pub error: Option<&'a str>,
    pub login: &'a str,
    pub display_name: &'a str,
    pub next: &'a str,
}

#[derive(Template)]
#[template(path = "login.html")]
pub(crate) struct LoginPage<'a> {
    pub c: &'a Chrome,
    pub error: Option<&'a str>,
    pub login: &'a str,
    pub next: &'a str,
}

#[derive(Template)]
#[template(path = "orgs.html")]
pub(crate) struct OrgsPage<'a> {
    pub c: &'a Chrome,
    pub orgs: &'a [(OrgRecord, Role)],
    pub error: Option<&'a str>,
}

#[derive(Template)]
#[template(path = "password.html")]
pub(crate) struct PasswordPage<'a> {
    pub c: &'a Chrome,
    pub error: Option<&'a str>,
    pub done: bool,
}

#[derive(Template)]
#[template(path = "invite.html")]
pub(crate) struct InvitePage<'a> {
    pub c: &'a Chrome,
    pub preview: Option<&'a InvitePreview>,
    pub code: &'a str,
    pub error: Option<&'a str>,
}

impl InvitePage<'_> {
    pub fn headline(&self) -> String {
        self.preview.map_or_else(String::new, |p| {
            self.c
                .t("invite.join_as")
                .replace("{org}", &p.org.name)
                .replace("{role}", self.c.role_name(p.role.as_str()))
        })
    }
}

#[derive(Template)]
#[template(path = "member.html")]
pub(crate) struct MemberPage<'a> {
    pub c: &'a Chrome,
    pub orgs: &'a [(OrgRecord, Role)],
    pub circles: &'a [(CircleRecord, CircleRole)],
}

pub(crate) fn mode_key(c: &CircleRecord) -> &'static str {
    match c.mode.as_str() {
        "internal" => "modes.internal",
        "teaching" => "modes.teaching",
        "business" => "modes.business",
        _ => "modes.community",
    }
}

#[derive(Template)]
#[template(path = "console_circles.html")]
pub(crate) struct CirclesPage<'a> {
    pub k: &'a Console,
    pub circles: &'a [CircleRecord],
    pub error: Option<&'a str>,
    /// The caller may create circles / decide which are featured.
    pub may_create: bool,
    pub may_decide: bool,
}

impl CirclesPage<'_> {
    pub fn mode_name(&self, c: &CircleRecord) -> &str {
        self.k.c.t(mode_key(c))
    }
    pub fn policy_name(&self, c: &CircleRecord) -> &str {
        self.k.c.t(match c.join_policy.as_str() {
            "open" => "policies.open",
            "approval" => "policies.approval",
            "invite" => "policies.invite",
            "org_members" => "policies.org_members",
            _ => "policies.paid",
        })
    }
}

#[derive(Template)]
#[template(path = "app_circle.html")]
pub(crate) struct AppCirclePage<'a> {
    pub c: &'a Chrome,
    pub v: &'a CircleView,
    pub posts: &'a [PostRecord],
    pub next: Option<&'a str>,
    /// new, hot, top or active.
    pub sort: &'a str,
    /// The topic tag the feed is filtered by.
    pub tag: Option<&'a str>,
    pub error: Option<&'a str>,
    /// The viewer's current check-in streak, if they have checked in.
    pub my_streak: Option<i64>,
    /// The viewer has checked in today (the button becomes a mark).
    pub checked_in_today: bool,
    pub board: &'a [quan_core::StreakRecord],
    pub pinned: &'a [PostRecord],
    /// What the composer held when it was refused, to fill it in again.
    pub draft: &'a Draft,
    /// A new member's image allowance today (None: no first-day limit).
    pub first_day_images: Option<i64>,
    /// A paid circle's memberships on sale, for someone not in it yet.
    pub memberships: &'a [quan_core::commerce::port::ProductRecord],
}

#[derive(Template)]
#[template(path = "app_doorway.html")]
pub(crate) struct DoorwayPage<'a> {
    pub c: &'a Chrome,
    pub door: &'a quan_core::circles::Doorway,
    pub error: Option<&'a str>,
    /// A paid circle's memberships on sale.
    pub memberships: &'a [quan_core::commerce::port::ProductRecord],
}

/// A composer's fields as typed, kept when a post is refused (files cannot be put
/// back into a file input: the page asks for them again).
#[derive(Debug, Default, Clone)]
pub(crate) struct Draft {
    pub title: String,
    pub body: String,
    pub kind: String,
    pub audience: String,
    pub audience_tags: String,
    pub tags: String,
    pub had_images: bool,
}

/// A task state's label key.
pub(crate) fn state_key(s: &str) -> &'static str {
    match s {
        "open" => "task.open",
        "claimed" => "task.claimed",
        "delivered" => "task.delivered",
        "accepted" => "task.accepted",
        "rejected" => "task.rejected",
        _ => "task.closed",
    }
}

impl AppCirclePage<'_> {
    pub fn state_name(&self, s: &str) -> &str {
        self.c.t(state_key(s))
    }
    /// Moderators and admins get the manage page.
    pub fn moderates(&self) -> bool {
        self.v
            .membership
            .as_ref()
            .filter(|m| m.status == MemberStatus::Active)
            .is_some_and(|m| m.role.can_moderate())
            || self.v.can_admin()
    }
    /// Post kinds the composer offers: notices only to circle staff.
    pub fn kinds(&self) -> Vec<(&'static str, &'static str)> {
        let staff = self
            .v
            .membership
            .as_ref()
            .is_some_and(|m| m.role.is_circle_staff());
        let mut v = vec![
            ("topic", "ops.kind_topic"),
            ("task", "ops.kind_task"),
            ("need", "ops.kind_need"),
        ];
        if staff {
            v.push(("notice", "ops.kind_notice"));
        }
        v
    }
    /// The feed tabs: (sort, label key).
    /// A feed card's text: the body without markup, cut short.
    pub fn excerpt(&self, p: &PostRecord) -> String {
        crate::markdown::excerpt(&p.body, 280)
    }
    /// A card's text: shorter than the list's, the card is half as wide.
    pub fn card_excerpt(&self, p: &PostRecord) -> String {
        crate::markdown::excerpt(&p.body, if p.images.is_empty() { 140 } else { 60 })
    }
    /// "1 comment", "3 comments", "3 条评论".
    pub fn comments_label(&self, n: i64) -> String {
        self.c
            .plural(n, "circles.comment_one", "circles.comment_many")
    }
    pub fn tabs(&self) -> [(&'static str, &'static str); 4] {
        FEED_TABS
    }
    pub fn is_active(&self) -> bool {
        self.v
            .membership
            .as_ref()
            .is_some_and(|m| m.status == MemberStatus::Active)
    }
    /// The composer is offered only to those who may post: active members, and in a
    /// staff-posting circle only its staff.
    pub fn may_post(&self) -> bool {
        self.v
            .membership
            .as_ref()
            .filter(|m| m.status == MemberStatus::Active)
            .is_some_and(|m| {
                self.v.circle.posting == quan_domain::PostingPolicy::AllMembers
                    || m.role.is_circle_staff()
            })
    }
    /// Whether the refused draft had options set (open that part of the composer).
    pub fn draft_has_options(&self) -> bool {
        !self.draft.audience_tags.is_empty()
            || !self.draft.tags.is_empty()
            || !matches!(self.draft.kind.as_str(), "" | "topic")
            || !matches!(self.draft.audience.as_str(), "" | "all")
    }
    pub fn is_paid(&self) -> bool {
        self.v.circle.join_policy == quan_domain::JoinPolicy::Paid
    }
    pub fn is_pending(&self) -> bool {
        self.v
            .membership
            .as_ref()
            .is_some_and(|m| m.status == MemberStatus::Pending)
    }
    pub fn mode_name(&self) -> &str {
        self.c.t(mode_key(&self.v.circle))
    }
}

#[derive(Template)]
#[template(path = "console_overview.html")]
pub(crate) struct OverviewPage<'a> {
    pub k: &'a Console,
    pub staff_count: String,
    pub invites: usize,
    pub tokens: usize,
    pub events: &'a [EventRecord],
}

impl OverviewPage<'_> {
    /// An event for people: what happened, and the name or role it concerns.
    pub fn describe(&self, e: &EventRecord) -> String {
        let key = format!("events.{}", e.kind);
        let what = self.k.c.cat.get(self.k.c.lang, &key);
        let what = if what == key { e.kind.as_str() } else { what };
        // Who or what the event is about: a person or circle's name, a post's title.
        let detail = ["display_name", "name", "title"]
            .iter()
            .find_map(|f| e.data[*f].as_str().map(str::to_owned))
            .or_else(|| {
                e.data["role"]
                    .as_str()
                    .map(|r| self.k.c.role_name(r).to_owned())
            });
        match detail {
            Some(d) if !d.is_empty() => format!("{what} · {d}"),
            _ => what.to_owned(),
        }
    }
}

#[derive(Template)]
#[template(path = "console_staff.html")]
pub(crate) struct StaffPage<'a> {
    pub k: &'a Console,
    pub staff: &'a [StaffRecord],
    pub invites: &'a [InviteRecord],
    pub new_link: Option<&'a str>,
    pub error: Option<&'a str>,
    pub roles: &'a [Role],
}

#[derive(Template)]
#[template(path = "console_tokens.html")]
pub(crate) struct TokensPage<'a> {
    pub k: &'a Console,
    pub tokens: &'a [TokenRecord],
    pub now: Timestamp,
    pub secret: Option<&'a str>,
    pub error: Option<&'a str>,
    pub scopes: &'a [Scope],
}

impl TokensPage<'_> {
    pub fn status(&self, t: &TokenRecord) -> &str {
        if t.revoked_at.is_some() {
            self.k.c.t("tokens.revoked")
        } else if t.expires_at.is_some_and(|e| e <= self.now) {
            self.k.c.t("tokens.expired")
        } else {
            self.k.c.t("tokens.active")
        }
    }
    /// The token's scopes in words ("Read, Write").
    pub fn scope_list(&self, t: &TokenRecord) -> String {
        t.scopes
            .to_db()
            .split(',')
            .filter(|s| !s.is_empty())
            .map(|s| self.k.c.word("scopes", s.trim()).to_owned())
            .collect::<Vec<_>>()
            .join(", ")
    }
    /// When the token stops working, if it ever does.
    pub fn expiry(&self, t: &TokenRecord) -> Option<String> {
        t.expires_at.map(|e| self.k.c.when(&e))
    }
}

#[derive(Template)]
#[template(path = "console_coming.html")]
pub(crate) struct ComingPage<'a> {
    pub k: &'a Console,
    pub title_key: &'static str,
}

/// The console navigation, shared by every console template.
pub(crate) fn nav_items() -> Vec<(&'static str, &'static str)> {
    let mut v = vec![
        ("", "nav.overview"),
        ("circles", "nav.circles"),
        ("persons", "nav.persons"),
        ("moderation", "nav.moderation"),
        ("customers", "nav.customers"),
        ("campaigns", "nav.campaigns"),
        ("moments", "nav.moments"),
        ("journeys", "nav.journeys"),
        ("shop", "nav.shop"),
    ];
    v.extend(COMING.iter().map(|s| match *s {
        "live" => ("live", "nav.live"),
        _ => ("analytics", "nav.analytics"),
    }));
    v.push(("staff", "nav.staff"));
    v.push(("tokens", "nav.tokens"));
    v
}

#[derive(Template)]
#[template(path = "app_post.html")]
pub(crate) struct AppPostPage<'a> {
    pub c: &'a Chrome,
    pub pv: &'a PostView,
    pub circle_name: &'a str,
    /// The body rendered by [`crate::markdown::to_safe_html`]: sanitised HTML.
    pub body_html: String,
    pub member: bool,
    pub reactions: Vec<(&'static str, &'a str)>,
    pub error: Option<&'a str>,
    /// Read receipts, for a notice's author and the circle's admins.
    pub receipts: Option<Vec<quan_core::ReceiptRecord>>,
    pub is_author: bool,
    pub moderator: bool,
    pub report_reasons: Vec<&'static str>,
    pub task_steps: Vec<quan_core::TaskStepRecord>,
    /// Task actions the viewer may take now.
    pub task_actions: Vec<&'static str>,
    pub edits: Vec<quan_core::PostEditRecord>,
    pub notice: Option<&'a str>,
}

/// A report reason's label key.
pub(crate) fn reason_key(r: &str) -> &'static str {
    match r {
        "spam" => "reasons.spam",
        "abuse" => "reasons.abuse",
        "illegal" => "reasons.illegal",
        "off_topic" => "reasons.off_topic",
        _ => "reasons.other",
    }
}

impl AppPostPage<'_> {
    /// A comment rendered like a post: markdown, sanitised.
    pub fn comment_html(&self, k: &quan_core::CommentRecord) -> String {
        crate::markdown::to_safe_html(&k.body)
    }
    pub fn reason_name(&self, r: &str) -> &str {
        self.c.t(reason_key(r))
    }
    pub fn state_name(&self, s: &str) -> &str {
        self.c.t(state_key(s))
    }
    pub fn action_name(&self, a: &str) -> &str {
        self.c.t(match a {
            "claim" => "task.claim",
            "unclaim" => "task.unclaim",
            "deliver" => "task.deliver",
            "accept" => "task.accept",
            "reject" => "task.reject",
            _ => "task.close",
        })
    }
    pub fn mine(&self, kind: &str) -> bool {
        self.pv.my_reactions.iter().any(|k| k.as_str() == kind)
    }
}

#[derive(Template)]
#[template(path = "app_me.html")]
pub(crate) struct AppMePage<'a> {
    pub c: &'a Chrome,
    /// The current history window ("all", "3d", "1m", "6m").
    pub current: &'a str,
    pub options: [(&'static str, &'static str); 4],
    pub saved: bool,
}

pub(crate) const HISTORY_OPTIONS: [(&str, &str); 4] = [
    ("all", "member.history_all"),
    ("3d", "member.history_3d"),
    ("1m", "member.history_1m"),
    ("6m", "member.history_6m"),
];

#[derive(Template)]
#[template(path = "app_chat.html")]
pub(crate) struct AppChatPage<'a> {
    pub c: &'a Chrome,
    pub circle_id: quan_domain::CircleId,
    pub circle_name: &'a str,
    pub room: &'a quan_core::RoomRecord,
    pub topic: String,
    /// Oldest first, as a chat reads.
    pub messages: &'a [quan_core::MessageRecord],
    pub me: quan_domain::AccountId,
    /// The viewer is circle staff (may promote anyone's message).
    pub staff: bool,
    pub error: Option<&'a str>,
    /// Every room of the circle with its unread count, for the room tabs.
    pub rooms: &'a [(quan_core::RoomRecord, i64)],
    /// The viewer may add rooms.
    pub admin: bool,
}

/// The feed tabs of a circle page: (sort, label key).
pub(crate) const FEED_TABS: [(&str, &str); 4] = [
    ("new", "circles.feed_new"),
    ("hot", "circles.feed_hot"),
    ("top", "circles.feed_top"),
    ("active", "circles.feed_active"),
];
