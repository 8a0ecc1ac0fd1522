//! Auto-reply: an org's keyword and regex rules answer a customer's message in a
//! 1:1 conversation for its staff member; a hand-off rule answers, tells the staff
//! member and pauses auto-replies there for [`HANDOFF_PAUSE_SECS`]; outside business
//! hours, a message no rule answers gets the away message once a day. The console's
//! preview runs a sample message through the same rules without sending anything.

use super::error::ReachError;
use super::port::{
    AutoReplyRecord, AutoReplySettings, ContactRecord, MessageKind, ReachMessageRecord,
};
use super::{MANAGERS, Result, policy_now, require};
use crate::Services;
use crate::access::OrgAccess;
use crate::events::{announce, new_event};
use quan_domain::{
    AutoReplyId, Matcher, ParseError, QuietHours, ReachMessageId, RuleAction, Scope, Template,
};
use serde_json::json;

/// Rules an org may keep.
pub const RULES_MAX: usize = 200;
/// How long auto-replies wait in a conversation after a hand-off.
pub const HANDOFF_PAUSE_SECS: i64 = 2 * 3600;

/// A rule as the console writes it.
#[derive(Debug, Clone)]
pub struct NewRule {
    pub name: String,
    pub kind: String,
    pub pattern: String,
    pub action: String,
    pub answer: String,
}

pub async fn rules(svc: &Services, access: &OrgAccess) -> Result<Vec<AutoReplyRecord>> {
    require(access, Scope::Read, super::HOLDERS)?;
    Ok(svc.store.auto_rules(access.org()).await?)
}

pub async fn create(svc: &Services, access: &OrgAccess, n: NewRule) -> Result<AutoReplyRecord> {
    require(access, Scope::Write, MANAGERS)?;
    let name = crate::input::text(&n.name, "name", 80, true)?;
    let matcher = Matcher::parse(&n.kind, &n.pattern)?;
    let action = RuleAction::parse(&n.action)?;
    let answer = Template::parse(&n.answer)?;
    if svc.store.auto_rules(access.org()).await?.len() >= RULES_MAX {
        return Err(
            ParseError::new("name", "too_many", format!("at most {RULES_MAX} rules")).into(),
        );
    }
    let r = AutoReplyRecord {
        id: AutoReplyId::new(),
        org_id: access.org(),
        name,
        kind: matcher.kind().to_owned(),
        pattern: matcher.pattern().to_owned(),
        action,
        answer: answer.source().to_owned(),
        created_at: svc.clock.now(),
    };
    let ev = new_event(
        svc,
        access.org(),
        "auto_reply.created",
        format!("auto_reply:{}", r.id),
        Some(access.account()),
        json!({"name": r.name}),
    );
    svc.store.auto_rule_insert(&r, &ev).await?;
    announce(svc, &ev).await;
    Ok(r)
}

pub async fn delete(svc: &Services, access: &OrgAccess, id: AutoReplyId) -> Result<()> {
    require(access, Scope::Write, MANAGERS)?;
    let ev = new_event(
        svc,
        access.org(),
        "auto_reply.deleted",
        format!("auto_reply:{id}"),
        Some(access.account()),
        json!({}),
    );
    if svc.store.auto_rule_delete(access.org(), id, &ev).await? {
        announce(svc, &ev).await;
        Ok(())
    } else {
        Err(ReachError::NotFound)
    }
}

pub async fn settings(svc: &Services, access: &OrgAccess) -> Result<AutoReplySettings> {
    require(access, Scope::Read, super::HOLDERS)?;
    Ok(svc.store.auto_settings(access.org()).await?)
}

pub async fn set_settings(svc: &Services, access: &OrgAccess, s: AutoReplySettings) -> Result<()> {
    require(access, Scope::Write, MANAGERS)?;
    let hours = QuietHours::parse(&s.business_hours).map_err(|_| {
        ParseError::new(
            "business_hours",
            "invalid_business_hours",
            "HH:MM-HH:MM, or empty for always",
        )
    })?;
    let away = if s.away_message.trim().is_empty() {
        String::new()
    } else {
        Template::parse(&s.away_message)?.source().to_owned()
    };
    svc.store
        .auto_settings_set(
            access.org(),
            &AutoReplySettings {
                business_hours: hours.to_string(),
                away_message: away,
            },
        )
        .await?;
    Ok(())
}

/// What the rules would do with a message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Answer {
    /// The rule that answered; None for the away message.
    pub rule: Option<AutoReplyRecord>,
    pub text: String,
    pub handoff: bool,
}

/// The first rule that matches `message`, rendered for `name` and `staff`.
fn answer_of(rules: &[AutoReplyRecord], message: &str, name: &str, staff: &str) -> Option<Answer> {
    rules.iter().find_map(|r| {
        let m = Matcher::parse(&r.kind, &r.pattern).ok()?;
        if !m.matches(message) {
            return None;
        }
        let text = Template::parse(&r.answer).ok()?.render(name, staff);
        Some(Answer {
            rule: Some(r.clone()),
            text,
            handoff: r.action == RuleAction::Handoff,
        })
    })
}

/// The console's preview: what a customer writing `message` would get (the staff
/// member is the caller; the customer a sample name).
pub async fn preview(
    svc: &Services,
    access: &OrgAccess,
    message: &str,
    sample: &str,
) -> Result<Option<Answer>> {
    require(access, Scope::Read, super::HOLDERS)?;
    let text = crate::input::text(message, "message", quan_domain::MESSAGE_MAX_CHARS, true)?;
    let rules = svc.store.auto_rules(access.org()).await?;
    let me = svc
        .store
        .staff_get(access.org(), access.account())
        .await?
        .ok_or(ReachError::NotStaff)?;
    Ok(answer_of(&rules, &text, sample, &me.display_name))
}

/// After a customer's message: answer it if a rule matches (or with the away
/// message outside business hours), unless a hand-off paused auto-replies here.
pub(crate) async fn on_customer_message(
    svc: &Services,
    c: &ContactRecord,
    message: &str,
) -> Result<()> {
    let now = svc.clock.now();
    if svc
        .store
        .auto_paused_until(c.id)
        .await?
        .is_some_and(|until| until > now)
    {
        return Ok(());
    }
    let rules = svc.store.auto_rules(c.org_id).await?;
    let mut dedupe = None;
    let answer = match answer_of(&rules, message, &c.person_name, &c.staff_name) {
        Some(a) => a,
        None => {
            let s = svc.store.auto_settings(c.org_id).await?;
            let hours = QuietHours::parse(&s.business_hours).unwrap_or(QuietHours::NONE);
            let policy = policy_now(svc, c.org_id).await?;
            let open = hours.is_none() || {
                let probe = quan_domain::TouchPolicy {
                    quiet: hours,
                    ..policy.clone()
                };
                // Inside the business-hours range is "quiet" for the probe.
                probe.quiet_until(now).is_some()
            };
            if open || s.away_message.is_empty() {
                return Ok(());
            }
            // Once a day per conversation.
            dedupe = Some(format!("away:{}:{}", c.id, policy.day_window(now).0));
            Answer {
                rule: None,
                text: Template::parse(&s.away_message)?.render(&c.person_name, &c.staff_name),
                handoff: false,
            }
        }
    };
    let m = ReachMessageRecord {
        id: ReachMessageId::new(),
        org_id: c.org_id,
        contact_id: c.id,
        from_staff: true,
        kind: MessageKind::Auto,
        body: answer.text.clone(),
        campaign_id: None,
        dedupe,
        created_at: now,
        visible_at: now,
        read_at: None,
    };
    if svc.store.reach_message_insert(&m).await? {
        super::conversations::announce_message(svc, c, &m).await;
    }
    if answer.handoff {
        svc.store
            .auto_pause(c.id, now.plus_secs(HANDOFF_PAUSE_SECS))
            .await?;
        crate::notify::send(
            svc,
            vec![crate::notify::Note {
                to: c.staff_id,
                kind: quan_domain::NotifyKind::Handoff,
                circle: None,
                post: None,
                actor_name: c.person_name.clone(),
                body: message.to_owned(),
            }],
            quan_domain::AccountId::new(),
        )
        .await;
    }
    Ok(())
}
