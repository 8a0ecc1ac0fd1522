//! Member-app pages for running a circle: joining by invite link, post actions
//! (edit, pin, delete, report, task steps), the manage page (review queue, invite
//! links, members with mute/ban, sanctions, settings, asking for a boost) and the
//! public moderation log. Notifications are in `inbox.rs`, search and discovery in
//! `discover.rs`.

use super::forms::{DecideForm, InviteForm, create_invite_link, decide_queued};
use super::post::{post_page, post_page_with};
use super::templates::reason_key;
use super::{
    AfterParams, Chrome, CsrfOnly, PageError, PageResult, check_csrf, form_error, path_id,
    post_ids, render, render_form, require_user, saved,
};
use crate::AppState;
use crate::error::ApiError;
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Redirect};
use axum::routing::{get, post};
use axum::{Form, Router};
use quan_core::access;
use quan_core::access::CircleView;
use quan_core::circles::admin;
use quan_core::circles::board;
use quan_core::circles::invites;
use quan_core::circles::posts;
use quan_core::circles::{self as cc, CircleError};
use quan_core::moderation;
use quan_core::{
    CircleInviteRecord, CircleMemberRecord, CircleRecord, MemberStatus, ModLogRecord, PageRequest,
    QueueItem, SanctionRecord,
};
use quan_domain::{
    AccountId, CircleId, CircleRole, JoinPolicy, ReportReason, SanctionKind, TaskAction,
};
use serde::Deserialize;

pub(crate) fn router() -> Router<AppState> {
    Router::new()
        .route("/app/join/{code}", get(join_page).post(join_accept))
        .route("/app/circles/{circle_id}/posts/{post_id}/edit", post(edit))
        .route(
            "/app/circles/{circle_id}/posts/{post_id}/delete",
            post(delete),
        )
        .route("/app/circles/{circle_id}/posts/{post_id}/pin", post(pin))
        .route(
            "/app/circles/{circle_id}/posts/{post_id}/report",
            post(report),
        )
        .route("/app/circles/{circle_id}/posts/{post_id}/task", post(task))
        .route("/app/circles/{circle_id}/manage", get(manage_page))
        .route(
            "/app/circles/{circle_id}/manage/invites",
            post(invite_create),
        )
        .route(
            "/app/circles/{circle_id}/manage/invites/{invite_id}/revoke",
            post(invite_revoke),
        )
        .route(
            "/app/circles/{circle_id}/manage/queue/{post_id}",
            post(decide),
        )
        .route("/app/circles/{circle_id}/manage/sanctions", post(sanction))
        .route(
            "/app/circles/{circle_id}/manage/requests/{account_id}",
            post(request_decide),
        )
        .route(
            "/app/circles/{circle_id}/manage/sanctions/{account_id}/{kind}/lift",
            post(lift),
        )
        .route("/app/circles/{circle_id}/log", get(log_page))
        .route(
            "/app/circles/{circle_id}/manage/members/{account_id}",
            post(member_edit),
        )
        .route(
            "/app/circles/{circle_id}/manage/settings",
            post(settings_edit),
        )
        .route("/app/circles/{circle_id}/manage/boost", post(boost_request))
}

// ---------------------------------------------------------------------------------
// Joining by invite link

#[derive(Template)]
#[template(path = "app_join.html")]
struct JoinPage<'a> {
    c: &'a Chrome,
    circle: Option<&'a CircleRecord>,
    code: &'a str,
    error: Option<&'a str>,
}

async fn join_page(State(st): State<AppState>, c: Chrome, Path(code): Path<String>) -> PageResult {
    let preview = invites::preview_invite(&st.svc, &code).await.ok();
    Ok(render(&JoinPage {
        c: &c,
        circle: preview.as_ref().map(|(c, _)| c),
        code: &code,
        error: None,
    }))
}

async fn join_accept(
    State(st): State<AppState>,
    c: Chrome,
    Path(code): Path<String>,
    Form(f): Form<CsrfOnly>,
) -> PageResult {
    check_csrf(&c, &f.csrf)?;
    let actor = require_user(&c)?;
    match invites::accept_invite(&st.svc, actor, &code).await {
        Ok(circle) => Ok(Redirect::to(&format!("/app/circles/{}", circle.id)).into_response()),
        // Already in: take them there.
        Err(CircleError::AlreadyMember) => {
            let (circle, _) = invites::preview_invite(&st.svc, &code)
                .await
                .map_err(ApiError::from)?;
            Ok(Redirect::to(&format!("/app/circles/{}", circle.id)).into_response())
        }
        Err(e) => {
            let msg = c.error(&ApiError::from(e));
            let preview = invites::preview_invite(&st.svc, &code).await.ok();
            Ok(render_form(
                &JoinPage {
                    c: &c,
                    circle: preview.as_ref().map(|(c, _)| c),
                    code: &code,
                    error: Some(&msg),
                },
                true,
            ))
        }
    }
}

// ---------------------------------------------------------------------------------
// Post actions

/// Back to the post on success; the post page with the error otherwise.
async fn back_to_post(
    st: &AppState,
    c: &Chrome,
    ids: &(String, String),
    r: Result<Option<String>, impl Into<ApiError>>,
) -> PageResult {
    match r {
        Ok(None) => {
            Ok(Redirect::to(&format!("/app/circles/{}/posts/{}", ids.0, ids.1)).into_response())
        }
        Ok(Some(notice)) => post_page_with(st, c, ids, None, Some(&notice)).await,
        Err(e) => post_page(st, c, ids, Some(form_error(c, e.into())?)).await,
    }
}

#[derive(Deserialize)]
struct EditForm {
    csrf: String,
    title: String,
    body: Option<String>,
}

async fn edit(
    State(st): State<AppState>,
    c: Chrome,
    Path(ids): Path<(String, String)>,
    Form(f): Form<EditForm>,
) -> PageResult {
    check_csrf(&c, &f.csrf)?;
    let actor = require_user(&c)?;
    let (cid, pid) = post_ids(&ids)?;
    let r = posts::edit_post(
        &st.svc,
        actor,
        cid,
        pid,
        &f.title,
        f.body.as_deref().unwrap_or(""),
    )
    .await
    .map(|_| None);
    back_to_post(&st, &c, &ids, r).await
}

#[derive(Deserialize)]
struct ReasonForm {
    csrf: String,
    reason: Option<String>,
}

async fn delete(
    State(st): State<AppState>,
    c: Chrome,
    Path(ids): Path<(String, String)>,
    Form(f): Form<ReasonForm>,
) -> PageResult {
    check_csrf(&c, &f.csrf)?;
    let actor = require_user(&c)?;
    let (cid, pid) = post_ids(&ids)?;
    match moderation::delete_post(&st.svc, actor, cid, pid, f.reason.as_deref().unwrap_or("")).await
    {
        Ok(()) => Ok(Redirect::to(&format!("/app/circles/{cid}")).into_response()),
        Err(e) => post_page(&st, &c, &ids, Some(form_error(&c, ApiError::from(e))?)).await,
    }
}

#[derive(Deserialize)]
struct PinForm {
    csrf: String,
    on: bool,
}

async fn pin(
    State(st): State<AppState>,
    c: Chrome,
    Path(ids): Path<(String, String)>,
    Form(f): Form<PinForm>,
) -> PageResult {
    check_csrf(&c, &f.csrf)?;
    let actor = require_user(&c)?;
    let (cid, pid) = post_ids(&ids)?;
    let r = moderation::pin_post(&st.svc, actor, cid, pid, f.on)
        .await
        .map(|_| None);
    back_to_post(&st, &c, &ids, r).await
}

#[derive(Deserialize)]
struct ReportForm {
    csrf: String,
    reason: String,
    note: Option<String>,
}

async fn report(
    State(st): State<AppState>,
    c: Chrome,
    Path(ids): Path<(String, String)>,
    Form(f): Form<ReportForm>,
) -> PageResult {
    check_csrf(&c, &f.csrf)?;
    let actor = require_user(&c)?;
    let (cid, pid) = post_ids(&ids)?;
    let r = match ReportReason::parse(&f.reason) {
        Ok(reason) => {
            moderation::report(
                &st.svc,
                actor,
                cid,
                pid,
                reason,
                f.note.as_deref().unwrap_or(""),
            )
            .await
        }
        Err(e) => Err(e.into()),
    };
    match r {
        // Hidden now: the reporter can no longer open it; back to the circle.
        Ok(out) if out.hidden_now => {
            Ok(Redirect::to(&format!("/app/circles/{cid}?reported=hidden")).into_response())
        }
        Ok(_) => {
            let notice = Ok::<_, ApiError>(Some(c.t("ops.reported").to_owned()));
            back_to_post(&st, &c, &ids, notice).await
        }
        Err(e) => back_to_post(&st, &c, &ids, Err(e)).await,
    }
}

#[derive(Deserialize)]
struct TaskForm {
    csrf: String,
    action: String,
    note: Option<String>,
}

async fn task(
    State(st): State<AppState>,
    c: Chrome,
    Path(ids): Path<(String, String)>,
    Form(f): Form<TaskForm>,
) -> PageResult {
    check_csrf(&c, &f.csrf)?;
    let actor = require_user(&c)?;
    let (cid, pid) = post_ids(&ids)?;
    let r = match TaskAction::parse(&f.action) {
        Ok(a) => board::task_action(&st.svc, actor, cid, pid, a, f.note.as_deref().unwrap_or(""))
            .await
            .map(|_| None),
        Err(e) => Err(e.into()),
    };
    back_to_post(&st, &c, &ids, r).await
}

// ---------------------------------------------------------------------------------
// The manage page

#[derive(Template)]
#[template(path = "app_manage.html")]
struct ManagePage<'a> {
    c: &'a Chrome,
    v: &'a CircleView,
    admin: bool,
    queue: &'a [QueueItem],
    invites: &'a [CircleInviteRecord],
    members: &'a [CircleMemberRecord],
    /// Join requests waiting (admins only).
    requests: &'a [CircleMemberRecord],
    sanctions: &'a [SanctionRecord],
    me: AccountId,
    new_link: Option<&'a str>,
    error: Option<&'a str>,
}

impl ManagePage<'_> {
    /// Whether the viewer may mute or ban this member (the server decides again).
    fn can_sanction(&self, m: &CircleMemberRecord) -> bool {
        m.account_id != self.me && access::outranks(self.v, m)
    }
    fn reason_name(&self, r: &str) -> &str {
        self.c.t(reason_key(r))
    }
    fn sanction_name(&self, k: &str) -> &str {
        self.c.t(if k == "ban" {
            "ops.banned"
        } else {
            "ops.muted"
        })
    }
}

async fn manage_view(
    st: &AppState,
    c: &Chrome,
    circle: &str,
    new_link: Option<String>,
    error: Option<String>,
) -> PageResult {
    let actor = require_user(c)?;
    let cid = path_id::<CircleId>(circle)?;
    let v = access::view(&st.svc, actor, cid)
        .await
        .map_err(ApiError::from)?;
    // The queue is the moderator's gate: a plain member gets 403 here.
    let queue = moderation::queue(&st.svc, actor, cid)
        .await
        .map_err(ApiError::from)?;
    let admin = v.can_admin();
    let invites = if admin {
        invites::list_invites(&st.svc, actor, cid)
            .await
            .map_err(ApiError::from)?
    } else {
        Vec::new()
    };
    let members = cc::members(
        &st.svc,
        actor,
        cid,
        MemberStatus::Active,
        &PageRequest::first(200),
    )
    .await
    .map_err(ApiError::from)?;
    let sanctions = moderation::sanctions(&st.svc, actor, cid)
        .await
        .map_err(ApiError::from)?;
    let requests = if admin {
        cc::members(
            &st.svc,
            actor,
            cid,
            MemberStatus::Pending,
            &PageRequest::first(100),
        )
        .await
        .map_err(ApiError::from)?
        .items
    } else {
        Vec::new()
    };
    Ok(render_form(
        &ManagePage {
            c,
            v: &v,
            admin,
            queue: &queue,
            invites: &invites,
            members: &members.items,
            requests: &requests,
            sanctions: &sanctions,
            me: actor.account_id(),
            new_link: new_link.as_deref(),
            error: error.as_deref(),
        },
        error.is_some(),
    ))
}

async fn manage_page(
    State(st): State<AppState>,
    c: Chrome,
    Path(circle): Path<String>,
) -> PageResult {
    manage_view(&st, &c, &circle, None, None).await
}

async fn back_to_manage(
    st: &AppState,
    c: &Chrome,
    circle: &str,
    r: Result<(), impl Into<ApiError>>,
) -> PageResult {
    match r {
        Ok(()) => Ok(saved(&format!("/app/circles/{circle}/manage"))),
        Err(e) => manage_view(st, c, circle, None, Some(form_error(c, e.into())?)).await,
    }
}

async fn invite_create(
    State(st): State<AppState>,
    c: Chrome,
    Path(circle): Path<String>,
    Form(f): Form<InviteForm>,
) -> PageResult {
    check_csrf(&c, &f.csrf)?;
    let cid = path_id::<CircleId>(&circle)?;
    match create_invite_link(&st, &c, cid, &f).await {
        Ok(link) => manage_view(&st, &c, &circle, Some(link), None).await,
        Err(e) => back_to_manage(&st, &c, &circle, Err(e)).await,
    }
}

async fn invite_revoke(
    State(st): State<AppState>,
    c: Chrome,
    Path(ids): Path<(String, String)>,
    Form(f): Form<CsrfOnly>,
) -> PageResult {
    check_csrf(&c, &f.csrf)?;
    let actor = require_user(&c)?;
    let cid = path_id::<CircleId>(&ids.0)?;
    let r = invites::revoke_invite(&st.svc, actor, cid, path_id(&ids.1)?).await;
    back_to_manage(&st, &c, &ids.0, r).await
}

async fn decide(
    State(st): State<AppState>,
    c: Chrome,
    Path(ids): Path<(String, String)>,
    Form(f): Form<DecideForm>,
) -> PageResult {
    check_csrf(&c, &f.csrf)?;
    let actor = require_user(&c)?;
    let (cid, pid) = post_ids(&ids)?;
    let r = decide_queued(&st, actor, cid, pid, &f).await;
    back_to_manage(&st, &c, &ids.0, r).await
}

#[derive(Deserialize)]
struct SanctionForm {
    csrf: String,
    account_id: String,
    kind: String,
    hours: Option<String>,
    reason: Option<String>,
}

async fn sanction(
    State(st): State<AppState>,
    c: Chrome,
    Path(circle): Path<String>,
    Form(f): Form<SanctionForm>,
) -> PageResult {
    check_csrf(&c, &f.csrf)?;
    let actor = require_user(&c)?;
    let cid = path_id::<CircleId>(&circle)?;
    let account = path_id::<AccountId>(&f.account_id)?;
    let hours = f
        .hours
        .as_deref()
        .filter(|h| !h.is_empty())
        .map(|h| h.parse::<i64>().unwrap_or(0));
    let r = match SanctionKind::parse(&f.kind) {
        Ok(k) => moderation::sanction(
            &st.svc,
            actor,
            cid,
            account,
            k,
            hours,
            f.reason.as_deref().unwrap_or(""),
        )
        .await
        .map(|_| ()),
        Err(e) => Err(e.into()),
    };
    back_to_manage(&st, &c, &circle, r).await
}

async fn lift(
    State(st): State<AppState>,
    c: Chrome,
    Path(ids): Path<(String, String, String)>,
    Form(f): Form<CsrfOnly>,
) -> PageResult {
    check_csrf(&c, &f.csrf)?;
    let actor = require_user(&c)?;
    let cid = path_id::<CircleId>(&ids.0)?;
    let account = path_id::<AccountId>(&ids.1)?;
    let kind = SanctionKind::parse(&ids.2).map_err(|_| PageError::NotFound)?;
    let r = moderation::lift_sanction(&st.svc, actor, cid, account, kind).await;
    back_to_manage(&st, &c, &ids.0, r).await
}

// ---------------------------------------------------------------------------------
// The public moderation log

#[derive(Template)]
#[template(path = "app_log.html")]
struct LogPage<'a> {
    c: &'a Chrome,
    v: &'a CircleView,
    entries: &'a [ModLogRecord],
    next: Option<&'a str>,
}

impl LogPage<'_> {
    fn action_name(&self, a: &str) -> &str {
        self.c.t(match a {
            "pin" => "modlog.pin",
            "unpin" => "modlog.unpin",
            "delete" => "modlog.delete",
            "auto_hide" => "modlog.auto_hide",
            "hold" => "modlog.hold",
            "remove" => "modlog.remove",
            "restore" => "modlog.restore",
            "mute" => "modlog.mute",
            "ban" => "modlog.ban",
            "unmute" => "modlog.unmute",
            _ => "modlog.unban",
        })
    }
}

async fn log_page(
    State(st): State<AppState>,
    c: Chrome,
    Path(circle): Path<String>,
    Query(q): Query<AfterParams>,
) -> PageResult {
    let actor = require_user(&c)?;
    let cid = path_id::<CircleId>(&circle)?;
    let v = access::view(&st.svc, actor, cid)
        .await
        .map_err(ApiError::from)?;
    let after = q.after.filter(|a| a.len() == 36);
    let page = moderation::mod_log(&st.svc, actor, cid, &PageRequest::new(after, Some(50)))
        .await
        .map_err(ApiError::from)?;
    Ok(render(&LogPage {
        c: &c,
        v: &v,
        entries: &page.items,
        next: page.next.as_deref(),
    }))
}

// ---------------------------------------------------------------------------------
// Asking for a boost in discovery

async fn boost_request(
    State(st): State<AppState>,
    c: Chrome,
    Path(circle): Path<String>,
    Form(f): Form<ReasonForm>,
) -> PageResult {
    check_csrf(&c, &f.csrf)?;
    let actor = require_user(&c)?;
    let cid = path_id::<CircleId>(&circle)?;
    let r =
        quan_core::discovery::request(&st.svc, actor, cid, f.reason.as_deref().unwrap_or("")).await;
    back_to_manage(&st, &c, &circle, r).await
}

// ---------------------------------------------------------------------------------
// Members' roles and types; the circle's settings

#[derive(Deserialize)]
struct MemberForm {
    csrf: String,
    role: String,
    customer: Option<String>,
    fan: Option<String>,
}

async fn member_edit(
    State(st): State<AppState>,
    c: Chrome,
    Path(ids): Path<(String, String)>,
    Form(f): Form<MemberForm>,
) -> PageResult {
    check_csrf(&c, &f.csrf)?;
    let actor = require_user(&c)?;
    let cid = path_id::<CircleId>(&ids.0)?;
    let account = path_id::<AccountId>(&ids.1)?;
    let r = match CircleRole::parse(&f.role) {
        Ok(role) => admin::update_member(
            &st.svc,
            actor,
            cid,
            account,
            Some(role),
            Some(quan_domain::MemberTypes {
                member: true,
                customer: f.customer.is_some(),
                fan: f.fan.is_some(),
            }),
        )
        .await
        .map(|_| ()),
        Err(e) => Err(e.into()),
    };
    back_to_manage(&st, &c, &ids.0, r).await
}

/// A join request, approved or declined from the manage page.
async fn request_decide(
    State(st): State<AppState>,
    c: Chrome,
    Path(ids): Path<(String, String)>,
    Form(f): Form<super::circle_admin::DecisionForm>,
) -> PageResult {
    check_csrf(&c, &f.csrf)?;
    let actor = require_user(&c)?;
    let cid = path_id::<CircleId>(&ids.0)?;
    let account = path_id::<AccountId>(&ids.1)?;
    let r = super::circle_admin::decide_request(&st, actor, cid, account, &f.decision).await;
    back_to_manage(&st, &c, &ids.0, r).await
}

#[derive(Deserialize)]
struct SettingsForm {
    csrf: String,
    name: String,
    description: Option<String>,
    tags: Option<String>,
    join_policy: String,
    public: Option<String>,
}

async fn settings_edit(
    State(st): State<AppState>,
    c: Chrome,
    Path(circle): Path<String>,
    Form(f): Form<SettingsForm>,
) -> PageResult {
    check_csrf(&c, &f.csrf)?;
    let actor = require_user(&c)?;
    let cid = path_id::<CircleId>(&circle)?;
    let r = match JoinPolicy::parse(&f.join_policy) {
        Ok(jp) => {
            let e = admin::CircleEdit {
                name: Some(f.name),
                description: f.description,
                join_policy: Some(jp),
                public: Some(f.public.is_some()),
                tags: f.tags.as_deref().map(super::circle_admin::split_tags),
                ..admin::CircleEdit::default()
            };
            admin::edit_circle(&st.svc, actor, cid, e).await.map(|_| ())
        }
        Err(e) => Err(e.into()),
    };
    back_to_manage(&st, &c, &circle, r).await
}
