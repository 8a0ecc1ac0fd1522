//! Turning rows into records and database errors into `StoreError`s.

use quan_core::{
    AccountRecord, CircleMemberRecord, CircleRecord, CommentRecord, EventRecord, HandleRecord,
    InviteRecord, JobRecord, MemberStatus, MessageRecord, OrgRecord, PersonRecord, PostRecord,
    RoomRecord, StaffRecord, StoreError, StoreResult, StreakRecord, TokenRecord, constraints,
};
use quan_domain::{
    Audience, BoostStatus, CircleMode, CircleRole, HandleKind, JoinPolicy, LifecycleStage,
    MemberTypes, ParseError, PostKind, PostingPolicy, Role, Scopes, TaskState, Timestamp,
};
use sqlx::Row;
use sqlx::any::AnyRow;
use std::str::FromStr;

pub(crate) fn backend(e: sqlx::Error) -> StoreError {
    if let sqlx::Error::Database(db) = &e
        && matches!(
            db.kind(),
            sqlx::error::ErrorKind::UniqueViolation | sqlx::error::ErrorKind::ForeignKeyViolation
        )
    {
        let constraint = db
            .constraint()
            .map(str::to_owned)
            .or_else(|| sqlite_constraint(db.message()).map(str::to_owned))
            .unwrap_or_else(|| db.message().to_owned());
        return StoreError::Conflict { constraint };
    }
    if matches!(e, sqlx::Error::RowNotFound) {
        return StoreError::NotFound;
    }
    StoreError::Backend(Box::new(e))
}

/// SQLite names the columns of a failed uniqueness rule, not the index; this maps
/// them to the index names PostgreSQL reports, so both backends agree.
fn sqlite_constraint(message: &str) -> Option<&'static str> {
    let cols = message.strip_prefix("UNIQUE constraint failed: ")?;
    Some(match cols {
        "accounts.email" => constraints::ACCOUNT_EMAIL,
        "accounts.phone" => constraints::ACCOUNT_PHONE,
        "staff.org_id, staff.account_id" => constraints::STAFF_PK,
        "handles.org_id, handles.kind, handles.value" => constraints::HANDLE_UNIQUE,
        "persons.org_id, persons.account_id" => "persons_org_account_key",
        "jobs.dedupe_key" => "jobs_dedupe_key",
        "circle_members.circle_id, circle_members.account_id" => constraints::CIRCLE_MEMBER_PK,
        "reports.post_id, reports.account_id" => constraints::REPORT_ONCE,
        "person_tags.person_id, person_tags.tag" => constraints::PERSON_TAG_PK,
        _ => return None,
    })
}

pub(crate) fn corrupt(col: &str, e: impl std::fmt::Display) -> StoreError {
    StoreError::Corrupt(format!("{col}: {e}"))
}

pub(crate) fn text(row: &AnyRow, col: &str) -> StoreResult<String> {
    row.try_get::<String, _>(col).map_err(backend)
}
pub(crate) fn opt_text(row: &AnyRow, col: &str) -> StoreResult<Option<String>> {
    row.try_get::<Option<String>, _>(col).map_err(backend)
}
pub(crate) fn int(row: &AnyRow, col: &str) -> StoreResult<i64> {
    row.try_get::<i64, _>(col).map_err(backend)
}
pub(crate) fn ts(row: &AnyRow, col: &str) -> StoreResult<Timestamp> {
    int(row, col).map(Timestamp::from_millis)
}
pub(crate) fn opt_ts(row: &AnyRow, col: &str) -> StoreResult<Option<Timestamp>> {
    row.try_get::<Option<i64>, _>(col)
        .map(|v| v.map(Timestamp::from_millis))
        .map_err(backend)
}
pub(crate) fn id<T: FromStr<Err = ParseError>>(row: &AnyRow, col: &str) -> StoreResult<T> {
    let s = text(row, col)?;
    T::from_str(&s).map_err(|e| corrupt(col, e))
}
pub(crate) fn opt_id<T: FromStr<Err = ParseError>>(
    row: &AnyRow,
    col: &str,
) -> StoreResult<Option<T>> {
    opt_text(row, col)?
        .map(|s| T::from_str(&s).map_err(|e| corrupt(col, e)))
        .transpose()
}
pub(crate) fn parsed<T>(
    row: &AnyRow,
    col: &str,
    f: impl Fn(&str) -> Result<T, ParseError>,
) -> StoreResult<T> {
    let s = text(row, col)?;
    f(&s).map_err(|e| corrupt(col, e))
}

pub(crate) fn account(row: &AnyRow) -> StoreResult<AccountRecord> {
    Ok(AccountRecord {
        id: id(row, "id")?,
        email: opt_text(row, "email")?,
        phone: opt_text(row, "phone")?,
        display_name: text(row, "display_name")?,
        password_hash: text(row, "password_hash")?,
        created_at: ts(row, "created_at")?,
    })
}

pub(crate) fn org(row: &AnyRow) -> StoreResult<OrgRecord> {
    Ok(OrgRecord {
        id: id(row, "id")?,
        name: text(row, "name")?,
        created_at: ts(row, "created_at")?,
    })
}

pub(crate) fn role(row: &AnyRow) -> StoreResult<Role> {
    parsed(row, "role", Role::parse)
}

pub(crate) fn staff(row: &AnyRow) -> StoreResult<StaffRecord> {
    Ok(StaffRecord {
        org_id: id(row, "org_id")?,
        account_id: id(row, "account_id")?,
        role: role(row)?,
        display_name: text(row, "display_name")?,
        email: opt_text(row, "email")?,
        phone: opt_text(row, "phone")?,
        joined_at: ts(row, "joined_at")?,
    })
}

pub(crate) fn invite(row: &AnyRow) -> StoreResult<InviteRecord> {
    Ok(InviteRecord {
        id: id(row, "id")?,
        org_id: id(row, "org_id")?,
        role: role(row)?,
        code_hash: text(row, "code_hash")?,
        created_by: id(row, "created_by")?,
        created_at: ts(row, "created_at")?,
        expires_at: ts(row, "expires_at")?,
        max_uses: int(row, "max_uses")?,
        uses: int(row, "uses")?,
        revoked_at: opt_ts(row, "revoked_at")?,
    })
}

pub(crate) fn token(row: &AnyRow) -> StoreResult<TokenRecord> {
    Ok(TokenRecord {
        id: id(row, "id")?,
        org_id: id(row, "org_id")?,
        account_id: id(row, "account_id")?,
        name: text(row, "name")?,
        scopes: parsed(row, "scopes", Scopes::parse)?,
        token_hash: text(row, "token_hash")?,
        prefix: text(row, "prefix")?,
        created_at: ts(row, "created_at")?,
        expires_at: opt_ts(row, "expires_at")?,
        revoked_at: opt_ts(row, "revoked_at")?,
    })
}

pub(crate) fn handle(row: &AnyRow) -> StoreResult<HandleRecord> {
    Ok(HandleRecord {
        id: id(row, "id")?,
        person_id: id(row, "person_id")?,
        kind: parsed(row, "kind", HandleKind::parse)?,
        value: text(row, "value")?,
        verified: int(row, "verified")? != 0,
        created_at: ts(row, "created_at")?,
    })
}

pub(crate) fn person(row: &AnyRow) -> StoreResult<PersonRecord> {
    Ok(PersonRecord {
        id: id(row, "id")?,
        org_id: id(row, "org_id")?,
        display_name: text(row, "display_name")?,
        account_id: opt_id(row, "account_id")?,
        stage: parsed(row, "stage", LifecycleStage::parse)?,
        verified: int(row, "verified")? != 0,
        created_at: ts(row, "created_at")?,
        handles: Vec::new(),
        merged_into: opt_id(row, "merged_into")?,
    })
}

pub(crate) fn event(row: &AnyRow) -> StoreResult<EventRecord> {
    let data = text(row, "data")?;
    Ok(EventRecord {
        id: id(row, "id")?,
        org_id: id(row, "org_id")?,
        kind: text(row, "kind")?,
        subject: text(row, "subject")?,
        actor: opt_id(row, "actor")?,
        data: serde_json::from_str(&data).map_err(|e| corrupt("data", e))?,
        at: ts(row, "at")?,
    })
}

pub(crate) fn job(row: &AnyRow) -> StoreResult<JobRecord> {
    let payload = text(row, "payload")?;
    Ok(JobRecord {
        id: id(row, "id")?,
        kind: text(row, "kind")?,
        payload: serde_json::from_str(&payload).map_err(|e| corrupt("payload", e))?,
        attempts: int(row, "attempts")?,
        max_attempts: int(row, "max_attempts")?,
        run_at: ts(row, "run_at")?,
    })
}

pub(crate) fn flag(row: &AnyRow, col: &str) -> StoreResult<bool> {
    int(row, col).map(|v| v != 0)
}

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

pub(crate) fn room(row: &AnyRow) -> StoreResult<RoomRecord> {
    Ok(RoomRecord {
        id: id(row, "id")?,
        circle_id: id(row, "circle_id")?,
        name: text(row, "name")?,
        is_default: flag(row, "is_default")?,
        created_at: ts(row, "created_at")?,
    })
}

pub(crate) fn message(row: &AnyRow) -> StoreResult<MessageRecord> {
    Ok(MessageRecord {
        id: id(row, "id")?,
        room_id: id(row, "room_id")?,
        author_account_id: id(row, "author_account_id")?,
        author_person_id: id(row, "author_person_id")?,
        author_name: text(row, "author_name")?,
        body: text(row, "body")?,
        reply_to: opt_id(row, "reply_to")?,
        promoted_post_id: opt_id(row, "promoted_post_id")?,
        created_at: ts(row, "created_at")?,
        image_id: opt_id(row, "image_id")?,
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
