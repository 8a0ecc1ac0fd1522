//! Rows of reach's tables as records.

use crate::rows::{corrupt, flag, id, int, opt_id, opt_text, opt_ts, parsed, text, ts};
use quan_core::{
    CampaignRecord, CampaignStatus, ChannelCodeRecord, ContactRecord, ContactSource, MessageKind,
    PlanCounts, PolicyRecord, ReachMessageRecord, Segment, StoreResult,
};
use quan_domain::{
    AccountId, BudgetKind, ChannelMode, LifecycleStage, ParseError, QuietHours, Shift, TouchPolicy,
    Zone,
};
use sqlx::any::AnyRow;

/// A contact with its staff member's and customer's names: `c` contacts, `a` the
/// staff account, `p` the person, `k` the channel code; `unread` is the caller's.
pub(crate) const CONTACT_SELECT: &str = "SELECT c.id, c.org_id, c.staff_id, a.display_name AS staff_name, \
     c.person_id, p.display_name AS person_name, p.account_id AS person_account, p.stage, c.source, c.code_id, \
     k.name AS code_name, c.added_at, c.last_talked_at, c.removed_at, c.removed_by";
pub(crate) const CONTACT_FROM: &str = " FROM contacts c JOIN accounts a ON a.id = c.staff_id \
     JOIN persons p ON p.id = c.person_id LEFT JOIN channel_codes k ON k.id = c.code_id";

fn bad(code: &'static str) -> impl Fn(&str) -> Result<ContactSource, ParseError> {
    move |raw| ContactSource::parse(raw).ok_or_else(|| ParseError::new("source", code, raw))
}

pub(crate) fn contact(row: &AnyRow) -> StoreResult<ContactRecord> {
    Ok(ContactRecord {
        id: id(row, "id")?,
        org_id: id(row, "org_id")?,
        staff_id: id(row, "staff_id")?,
        staff_name: text(row, "staff_name")?,
        person_id: id(row, "person_id")?,
        person_name: text(row, "person_name")?,
        person_account: opt_id(row, "person_account")?,
        stage: parsed(row, "stage", LifecycleStage::parse)?,
        source: parsed(row, "source", bad("invalid_source"))?,
        code_id: opt_id(row, "code_id")?,
        code_name: opt_text(row, "code_name")?,
        added_at: ts(row, "added_at")?,
        last_talked_at: ts(row, "last_talked_at")?,
        removed_at: opt_ts(row, "removed_at")?,
        removed_by: opt_text(row, "removed_by")?,
        unread: 0,
    })
}

/// A contact row that also has an `unread` column.
pub(crate) fn contact_unread(row: &AnyRow) -> StoreResult<ContactRecord> {
    let mut c = contact(row)?;
    c.unread = int(row, "unread")?;
    Ok(c)
}

pub(crate) fn policy(row: &AnyRow) -> StoreResult<PolicyRecord> {
    Ok(PolicyRecord {
        org_id: id(row, "org_id")?,
        version: int(row, "version")?,
        effective_from: ts(row, "effective_from")?,
        policy: TouchPolicy {
            budget: parsed(row, "budget", BudgetKind::parse)?,
            quiet: parsed(row, "quiet_hours", QuietHours::parse)?,
            zone: parsed(row, "time_zone", Zone::parse)?,
            contact_cap: int(row, "contact_cap")?,
            negative_pause_bp: int(row, "negative_pause_bp")?,
        },
        created_by: opt_id(row, "created_by")?,
        created_at: ts(row, "created_at")?,
    })
}

pub(crate) fn json_list<T: serde::de::DeserializeOwned>(
    row: &AnyRow,
    col: &str,
) -> StoreResult<Vec<T>> {
    serde_json::from_str(&text(row, col)?).map_err(|e| corrupt(col, e))
}

pub(crate) const CODE_COLS: &str = "id, org_id, slug, name, mode, staff, backup_id, tags, welcome, opens, adds, created_at, archived_at, shifts";

pub(crate) fn code(row: &AnyRow) -> StoreResult<ChannelCodeRecord> {
    let staff: Vec<String> = json_list(row, "staff")?;
    Ok(ChannelCodeRecord {
        id: id(row, "id")?,
        org_id: id(row, "org_id")?,
        slug: text(row, "slug")?,
        name: text(row, "name")?,
        mode: parsed(row, "mode", ChannelMode::parse)?,
        staff: staff
            .iter()
            .map(|s| AccountId::parse(s).map_err(|e| corrupt("staff", e)))
            .collect::<StoreResult<_>>()?,
        backup: opt_id(row, "backup_id")?,
        shifts: json_list::<(String, String)>(row, "shifts")?
            .iter()
            .map(|(who, shift)| {
                Ok((
                    AccountId::parse(who).map_err(|e| corrupt("shifts", e))?,
                    Shift::parse(shift).map_err(|e| corrupt("shifts", e))?,
                ))
            })
            .collect::<StoreResult<_>>()?,
        tags: json_list(row, "tags")?,
        welcome: text(row, "welcome")?,
        opens: int(row, "opens")?,
        adds: int(row, "adds")?,
        created_at: ts(row, "created_at")?,
        archived_at: opt_ts(row, "archived_at")?,
    })
}

pub(crate) const MESSAGE_COLS: &str = "id, org_id, contact_id, from_staff, kind, body, campaign_id, dedupe, created_at, visible_at, read_at";

pub(crate) fn message(row: &AnyRow) -> StoreResult<ReachMessageRecord> {
    Ok(ReachMessageRecord {
        id: id(row, "id")?,
        org_id: id(row, "org_id")?,
        contact_id: id(row, "contact_id")?,
        from_staff: flag(row, "from_staff")?,
        kind: parsed(row, "kind", |k| {
            MessageKind::parse(k).ok_or_else(|| ParseError::new("kind", "invalid_kind", k))
        })?,
        body: text(row, "body")?,
        campaign_id: opt_id(row, "campaign_id")?,
        dedupe: opt_text(row, "dedupe")?,
        created_at: ts(row, "created_at")?,
        visible_at: ts(row, "visible_at")?,
        read_at: opt_ts(row, "read_at")?,
    })
}

pub(crate) const CAMPAIGN_COLS: &str = "id, org_id, name, template, segment, status, created_by, created_at, planned_at, send_at, recipients, over_budget, staff_daily, opted_out, routed, weekly, scheduled_for, deliver_email, deliver_webhook, link_url, link_title";

pub(crate) fn campaign(row: &AnyRow) -> StoreResult<CampaignRecord> {
    Ok(CampaignRecord {
        id: id(row, "id")?,
        org_id: id(row, "org_id")?,
        name: text(row, "name")?,
        template: text(row, "template")?,
        segment: segment_from(&text(row, "segment")?)?,
        status: parsed(row, "status", |s| {
            CampaignStatus::parse(s).ok_or_else(|| ParseError::new("status", "invalid_status", s))
        })?,
        created_by: opt_id(row, "created_by")?,
        created_at: ts(row, "created_at")?,
        planned_at: opt_ts(row, "planned_at")?,
        send_at: opt_ts(row, "send_at")?,
        scheduled_for: opt_ts(row, "scheduled_for")?,
        counts: PlanCounts {
            recipients: int(row, "recipients")?,
            over_budget: int(row, "over_budget")?,
            staff_daily: int(row, "staff_daily")?,
            opted_out: int(row, "opted_out")?,
            routed: int(row, "routed")?,
            weekly: int(row, "weekly")?,
        },
        channels: quan_core::Channels {
            email: flag(row, "deliver_email")?,
            webhook: flag(row, "deliver_webhook")?,
        },
        link: match opt_text(row, "link_url")? {
            Some(url) => Some(quan_core::LinkCard {
                url,
                title: opt_text(row, "link_title")?.unwrap_or_default(),
            }),
            None => None,
        },
    })
}

/// A segment as stored: ids as strings.
#[derive(serde::Serialize, serde::Deserialize, Default)]
struct SegmentJson {
    #[serde(default)]
    tags_all: Vec<String>,
    #[serde(default)]
    tags_any: Vec<String>,
    #[serde(default)]
    tags_none: Vec<String>,
    #[serde(default)]
    stages: Vec<String>,
    #[serde(default)]
    staff: Vec<String>,
    #[serde(default)]
    circle: Option<String>,
    #[serde(default)]
    added_from: Option<i64>,
    #[serde(default)]
    added_to: Option<i64>,
    /// Circle chat rooms instead of customers (absent before room campaigns).
    #[serde(default)]
    rooms: Vec<String>,
}

pub(crate) fn segment_json(s: &Segment) -> String {
    serde_json::json!(SegmentJson {
        tags_all: s.tags_all.clone(),
        tags_any: s.tags_any.clone(),
        tags_none: s.tags_none.clone(),
        stages: s.stages.clone(),
        staff: s.staff.iter().map(ToString::to_string).collect(),
        circle: s.circle.map(|c| c.to_string()),
        added_from: s.added_from,
        added_to: s.added_to,
        rooms: s.rooms.iter().map(ToString::to_string).collect(),
    })
    .to_string()
}

fn segment_from(raw: &str) -> StoreResult<Segment> {
    let j: SegmentJson = serde_json::from_str(raw).map_err(|e| corrupt("segment", e))?;
    Ok(Segment {
        tags_all: j.tags_all,
        tags_any: j.tags_any,
        tags_none: j.tags_none,
        stages: j.stages,
        staff: j
            .staff
            .iter()
            .map(|s| AccountId::parse(s).map_err(|e| corrupt("segment", e)))
            .collect::<StoreResult<_>>()?,
        circle: j
            .circle
            .as_deref()
            .map(|c| quan_domain::CircleId::parse(c).map_err(|e| corrupt("segment", e)))
            .transpose()?,
        added_from: j.added_from,
        added_to: j.added_to,
        rooms: j
            .rooms
            .iter()
            .map(|r| quan_domain::RoomId::parse(r).map_err(|e| corrupt("segment", e)))
            .collect::<StoreResult<_>>()?,
    })
}
