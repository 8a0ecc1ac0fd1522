//! Rows of circles' tables as records: circles, members, posts, comments, streaks.

use crate::rows::{backend, corrupt, flag, id, int, opt_id, opt_text, opt_ts, parsed, text, ts};
use quan_core::{
    CircleMemberRecord, CircleRecord, CommentRecord, MemberStatus, PostRecord, StoreResult,
    StreakRecord,
};
use quan_domain::{
    Audience, BoostStatus, CircleMode, CircleRole, JoinPolicy, MemberTypes, PostKind,
    PostingPolicy, TaskState,
};
use sqlx::Row;
use sqlx::any::AnyRow;

/// A ','-joined `tags` column as its tags.
pub(crate) fn tag_list(row: &AnyRow) -> StoreResult<Vec<String>> {
    Ok(text(row, "tags")?
        .split(',')
        .filter(|t| !t.is_empty())
        .map(str::to_owned)
        .collect())
}

pub(crate) fn circle(row: &AnyRow) -> StoreResult<CircleRecord> {
    Ok(CircleRecord {
        id: id(row, "id")?,
        org_id: id(row, "org_id")?,
        name: text(row, "name")?,
        description: text(row, "description")?,
        mode: parsed(row, "mode", CircleMode::parse)?,
        join_policy: parsed(row, "join_policy", JoinPolicy::parse)?,
        posting: parsed(row, "posting", PostingPolicy::parse)?,
        forwarding: flag(row, "forwarding")?,
        read_receipts: flag(row, "read_receipts")?,
        public: flag(row, "public")?,
        member_count: int(row, "member_count")?,
        created_by: id(row, "created_by")?,
        created_at: ts(row, "created_at")?,
        quality_score: row.try_get::<f64, _>("quality_score").map_err(backend)?,
        boost_status: parsed(row, "boost_status", BoostStatus::parse)?,
        cover_image_id: opt_id(row, "cover_image_id")?,
        tags: tag_list(row)?,
    })
}

pub(crate) fn circle_role(row: &AnyRow, col: &str) -> StoreResult<CircleRole> {
    parsed(row, col, CircleRole::parse)
}

pub(crate) fn member(row: &AnyRow) -> StoreResult<CircleMemberRecord> {
    Ok(CircleMemberRecord {
        circle_id: id(row, "circle_id")?,
        account_id: id(row, "account_id")?,
        person_id: id(row, "person_id")?,
        display_name: text(row, "display_name")?,
        role: circle_role(row, "role")?,
        status: match text(row, "status")?.as_str() {
            "active" => MemberStatus::Active,
            "pending" => MemberStatus::Pending,
            other => return Err(corrupt("status", other)),
        },
        types: MemberTypes {
            member: flag(row, "is_member")?,
            customer: flag(row, "is_customer")?,
            fan: flag(row, "is_fan")?,
        },
        joined_at: ts(row, "joined_at")?,
        role_since: ts(row, "role_seq")?,
    })
}

pub(crate) fn post(row: &AnyRow) -> StoreResult<PostRecord> {
    Ok(PostRecord {
        id: id(row, "id")?,
        circle_id: id(row, "circle_id")?,
        org_id: id(row, "org_id")?,
        author_account_id: id(row, "author_account_id")?,
        author_person_id: id(row, "author_person_id")?,
        author_name: text(row, "author_name")?,
        kind: parsed(row, "kind", PostKind::parse)?,
        title: text(row, "title")?,
        body: text(row, "body")?,
        score: int(row, "score")?,
        comment_count: int(row, "comment_count")?,
        hot_rank: row.try_get::<f64, _>("hot_rank").map_err(backend)?,
        last_activity_at: ts(row, "last_activity_at")?,
        created_at: ts(row, "created_at")?,
        pinned_at: opt_ts(row, "pinned_at")?,
        edited_at: opt_ts(row, "edited_at")?,
        hidden_at: opt_ts(row, "hidden_at")?,
        task_state: opt_text(row, "task_state")?
            .map(|s| TaskState::parse(&s).map_err(|e| corrupt("task_state", e)))
            .transpose()?,
        task_assignee: opt_id(row, "task_assignee")?,
        audience: parsed(row, "audience", Audience::parse)?,
        tags: tag_list(row)?,
        my_reactions: Vec::new(),
        images: Vec::new(),
    })
}

pub(crate) fn comment(row: &AnyRow) -> StoreResult<CommentRecord> {
    Ok(CommentRecord {
        id: id(row, "id")?,
        post_id: id(row, "post_id")?,
        parent_id: opt_id(row, "parent_id")?,
        author_account_id: id(row, "author_account_id")?,
        author_person_id: id(row, "author_person_id")?,
        author_name: text(row, "author_name")?,
        body: text(row, "body")?,
        created_at: ts(row, "created_at")?,
    })
}

pub(crate) fn streak(row: &AnyRow) -> StoreResult<StreakRecord> {
    Ok(StreakRecord {
        account_id: id(row, "account_id")?,
        display_name: text(row, "display_name")?,
        streak: int(row, "cur_streak")?,
        best_streak: int(row, "best_streak")?,
        checkin_count: int(row, "checkin_count")?,
        last_day: int(row, "last_checkin_day")?,
    })
}
