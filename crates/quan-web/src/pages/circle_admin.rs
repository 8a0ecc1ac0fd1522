//! The console's page for one circle: its settings (with tags and cover), join
//! requests, and members with their roles and types. Everything here goes through
//! the same use cases as the API and the member app's manage page, so the rules
//! (who outranks whom, internal circles stay private) hold in one place.

use super::console::Console;
use super::forms::{DecideForm, InviteForm, create_invite_link, decide_queued};
use super::templates::{mode_key, reason_key};
use super::{
    AfterParams, CsrfOnly, PageError, PageResult, check_csrf, form_error, path_id, render_form,
    require_user, saved,
};
use crate::AppState;
use crate::error::ApiError;
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::routing::{get, post};
use axum::{Form, Router};
use quan_core::access;
use quan_core::access::CircleView;
use quan_core::circles::admin;
use quan_core::circles::images;
use quan_core::circles::invites;
use quan_core::circles::{self as cc, CircleError};
use quan_core::moderation;
use quan_core::{CircleInviteRecord, CircleMemberRecord, MemberStatus, PageRequest, QueueItem};
use quan_domain::{
    AccountId, CircleId, CircleRole, IMAGE_MAX_BYTES, JoinPolicy, ParseError, PostingPolicy,
};
use serde::Deserialize;

pub(crate) fn router() -> Router<AppState> {
    Router::new()
        .route(
            "/console/{org_id}/circles/{circle_id}",
            get(circle_page).post(settings_save),
        )
        .route(
            "/console/{org_id}/circles/{circle_id}/cover",
            // One image of at most 5 MiB, and the CSRF field.
            post(cover_save).layer(axum::extract::DefaultBodyLimit::max(
                IMAGE_MAX_BYTES + 64 * 1024,
            )),
        )
        .route(
            "/console/{org_id}/circles/{circle_id}/requests/{account_id}",
            post(request_decide),
        )
        .route(
            "/console/{org_id}/circles/{circle_id}/members/{account_id}",
            post(member_save),
        )
        .route(
            "/console/{org_id}/circles/{circle_id}/queue/{post_id}",
            post(queue_decide),
        )
        .route(
            "/console/{org_id}/circles/{circle_id}/invites",
            post(invite_create),
        )
        .route(
            "/console/{org_id}/circles/{circle_id}/invites/{invite_id}/revoke",
            post(invite_revoke),
        )
}

/// Members shown per page.
const MEMBERS_PER_PAGE: u32 = 100;

#[derive(Template)]
#[template(path = "console_circle.html")]
struct CirclePage<'a> {
    k: &'a Console,
    v: &'a CircleView,
    requests: &'a [CircleMemberRecord],
    members: &'a [CircleMemberRecord],
    /// Moderators, earliest appointment first (the order in which they outrank).
    moderators: Vec<&'a CircleMemberRecord>,
    next: Option<&'a str>,
    error: Option<&'a str>,
    /// Posts held or reported, for review here as on the manage page.
    queue: &'a [QueueItem],
    invites: &'a [CircleInviteRecord],
    /// A link just created: shown once, absolute, with a copy button.
    new_link: Option<&'a str>,
}

impl CirclePage<'_> {
    fn reason_name(&self, r: &str) -> &str {
        self.k.c.t(reason_key(r))
    }
    /// The start of a queued post's text, so a reviewer sees what was held.
    fn excerpt(&self, body: &str) -> String {
        let mut out: String = body.chars().take(160).collect();
        if body.chars().count() > 160 {
            out.push('…');
        }
        out
    }
    fn mode_name(&self) -> &str {
        self.k.c.t(mode_key(&self.v.circle))
    }
    fn role_name(&self, r: &str) -> &str {
        self.k.c.t(match r {
            "owner" => "circle_roles.owner",
            "admin" => "circle_roles.admin",
            "moderator" => "circle_roles.moderator",
            "teacher" => "circle_roles.teacher",
            _ => "circle_roles.member",
        })
    }
    fn policy_name(&self, p: &str) -> &str {
        self.k.c.t(match p {
            "open" => "policies.open",
            "approval" => "policies.approval",
            "invite" => "policies.invite",
            "org_members" => "policies.org_members",
            _ => "policies.paid",
        })
    }
    /// A moderator's place in the order (1 = outranks every other moderator).
    fn seniority(&self, m: &CircleMemberRecord) -> Option<usize> {
        self.moderators
            .iter()
            .position(|x| x.account_id == m.account_id)
            .map(|i| i + 1)
    }
    fn tags_text(&self) -> String {
        self.v.circle.tags.join(", ")
    }
}

/// The circle, if it belongs to this console's org (another org's circle is a 404
/// here even for someone who is a member of it).
async fn circle_view(st: &AppState, k: &Console, id: &str) -> Result<CircleView, PageError> {
    let cid = path_id::<CircleId>(id)?;
    let actor = require_user(&k.c)?;
    let v = access::view(&st.svc, actor, cid)
        .await
        .map_err(ApiError::from)?;
    if v.circle.org_id != k.org.id || !v.can_admin() {
        return Err(PageError::NotFound);
    }
    Ok(v)
}

async fn page_view(
    st: &AppState,
    k: &Console,
    id: &str,
    after: Option<String>,
    error: Option<String>,
) -> PageResult {
    page_view_with(st, k, id, after, error, None).await
}

async fn page_view_with(
    st: &AppState,
    k: &Console,
    id: &str,
    after: Option<String>,
    error: Option<String>,
    new_link: Option<String>,
) -> PageResult {
    let v = circle_view(st, k, id).await?;
    let actor = require_user(&k.c)?;
    let requests = cc::members(
        &st.svc,
        actor,
        v.circle.id,
        MemberStatus::Pending,
        &PageRequest::first(MEMBERS_PER_PAGE),
    )
    .await
    .map_err(ApiError::from)?;
    let page = PageRequest::new(after.filter(|a| a.len() <= 64), Some(MEMBERS_PER_PAGE));
    let members = cc::members(&st.svc, actor, v.circle.id, MemberStatus::Active, &page)
        .await
        .map_err(ApiError::from)?;
    let mut moderators: Vec<_> = members
        .items
        .iter()
        .filter(|m| m.role == CircleRole::Moderator)
        .collect();
    moderators.sort_by_key(|m| m.role_since);
    let queue = moderation::queue(&st.svc, actor, v.circle.id)
        .await
        .map_err(ApiError::from)?;
    let invites = invites::list_invites(&st.svc, actor, v.circle.id)
        .await
        .map_err(ApiError::from)?;
    Ok(render_form(
        &CirclePage {
            k,
            v: &v,
            requests: &requests.items,
            members: &members.items,
            moderators,
            next: members.next.as_deref(),
            error: error.as_deref(),
            queue: &queue,
            invites: &invites,
            new_link: new_link.as_deref(),
        },
        error.is_some(),
    ))
}

async fn circle_page(
    State(st): State<AppState>,
    k: Console,
    Path((_, id)): Path<(String, String)>,
    Query(q): Query<AfterParams>,
) -> PageResult {
    page_view(&st, &k, &id, q.after, None).await
}

/// Back to the page after an action, or the page with the action's error.
async fn after(
    st: &AppState,
    k: &Console,
    id: &str,
    r: Result<(), impl Into<ApiError>>,
) -> PageResult {
    match r {
        Ok(()) => Ok(saved(&format!("{}/circles/{id}", k.base()))),
        Err(e) => page_view(st, k, id, None, Some(form_error(&k.c, e.into())?)).await,
    }
}

#[derive(Deserialize)]
struct SettingsForm {
    csrf: String,
    name: String,
    description: Option<String>,
    tags: Option<String>,
    join_policy: String,
    posting: String,
    forwarding: Option<String>,
    read_receipts: Option<String>,
    public: Option<String>,
}

/// Splits a tags field on ASCII and full-width commas (Chinese keyboards type ，).
pub(crate) fn split_tags(raw: &str) -> Vec<String> {
    raw.split([',', '，', '、']).map(str::to_owned).collect()
}

async fn settings_save(
    State(st): State<AppState>,
    k: Console,
    Path((_, id)): Path<(String, String)>,
    Form(f): Form<SettingsForm>,
) -> PageResult {
    check_csrf(&k.c, &f.csrf)?;
    let v = circle_view(&st, &k, &id).await?;
    let actor = require_user(&k.c)?;
    let r = async {
        let e = admin::CircleEdit {
            name: Some(f.name),
            description: f.description,
            tags: f.tags.as_deref().map(split_tags),
            join_policy: Some(JoinPolicy::parse(&f.join_policy)?),
            posting: Some(PostingPolicy::parse(&f.posting)?),
            forwarding: Some(f.forwarding.is_some()),
            read_receipts: Some(f.read_receipts.is_some()),
            public: Some(f.public.is_some()),
            cover: None,
        };
        admin::edit_circle(&st.svc, actor, v.circle.id, e)
            .await
            .map(drop)
    }
    .await;
    after(&st, &k, &id, r).await
}

/// Uploads a new cover (multipart: csrf, cover) or, with `remove`, takes it off.
async fn cover_save(
    State(st): State<AppState>,
    k: Console,
    Path((_, id)): Path<(String, String)>,
    mut mp: axum::extract::Multipart,
) -> PageResult {
    let bad = |_| {
        PageError::Api(ApiError::bad_request(
            "invalid_form",
            "the form could not be read",
        ))
    };
    let (mut csrf, mut file, mut remove) = (String::new(), None, false);
    while let Some(field) = mp.next_field().await.map_err(bad)? {
        match field.name().unwrap_or_default() {
            "cover" => {
                let b = field.bytes().await.map_err(bad)?;
                if !b.is_empty() {
                    file = Some(b);
                }
            }
            "csrf" => csrf = field.text().await.map_err(bad)?,
            "remove" => remove = true,
            _ => {}
        }
    }
    check_csrf(&k.c, &csrf)?;
    let v = circle_view(&st, &k, &id).await?;
    let actor = require_user(&k.c)?;
    let r = async {
        let cover = match (&file, remove) {
            (_, true) => None,
            (Some(b), false) => Some(
                images::upload_image(&st.svc, actor, v.circle.id, b)
                    .await?
                    .id,
            ),
            (None, false) => {
                return Err(
                    ParseError::new("cover", "missing_image", "choose an image to upload").into(),
                );
            }
        };
        let e = admin::CircleEdit {
            cover: Some(cover),
            ..admin::CircleEdit::default()
        };
        admin::edit_circle(&st.svc, actor, v.circle.id, e)
            .await
            .map(drop)
    }
    .await;
    after(&st, &k, &id, r).await
}

#[derive(Deserialize)]
pub(crate) struct DecisionForm {
    pub csrf: String,
    /// approve or decline.
    pub decision: String,
}

/// A join request decided from a form (the console page or the manage page).
pub(crate) async fn decide_request(
    st: &AppState,
    actor: &quan_core::access::Actor,
    circle: CircleId,
    account: AccountId,
    decision: &str,
) -> Result<(), CircleError> {
    match decision {
        "approve" => cc::approve(&st.svc, actor, circle, account).await,
        "decline" => cc::decline(&st.svc, actor, circle, account).await,
        _ => Err(ParseError::new("decision", "invalid_decision", "approve or decline").into()),
    }
}

async fn request_decide(
    State(st): State<AppState>,
    k: Console,
    Path((_, id, account)): Path<(String, String, String)>,
    Form(f): Form<DecisionForm>,
) -> PageResult {
    check_csrf(&k.c, &f.csrf)?;
    let v = circle_view(&st, &k, &id).await?;
    let actor = require_user(&k.c)?;
    let account = path_id::<AccountId>(&account)?;
    let r = decide_request(&st, actor, v.circle.id, account, &f.decision).await;
    after(&st, &k, &id, r).await
}

#[derive(Deserialize)]
struct MemberForm {
    csrf: String,
    role: String,
    member: Option<String>,
    customer: Option<String>,
    fan: Option<String>,
}

async fn member_save(
    State(st): State<AppState>,
    k: Console,
    Path((_, id, account)): Path<(String, String, String)>,
    Form(f): Form<MemberForm>,
) -> PageResult {
    check_csrf(&k.c, &f.csrf)?;
    let v = circle_view(&st, &k, &id).await?;
    let actor = require_user(&k.c)?;
    let account = path_id::<AccountId>(&account)?;
    let r = match CircleRole::parse(&f.role) {
        Ok(role) => admin::update_member(
            &st.svc,
            actor,
            v.circle.id,
            account,
            Some(role),
            Some(quan_domain::MemberTypes {
                member: f.member.is_some(),
                customer: f.customer.is_some(),
                fan: f.fan.is_some(),
            }),
        )
        .await
        .map(drop),
        Err(e) => Err(e.into()),
    };
    after(&st, &k, &id, r).await
}

async fn queue_decide(
    State(st): State<AppState>,
    k: Console,
    Path((_, id, post)): Path<(String, String, String)>,
    Form(f): Form<DecideForm>,
) -> PageResult {
    check_csrf(&k.c, &f.csrf)?;
    let v = circle_view(&st, &k, &id).await?;
    let actor = require_user(&k.c)?;
    let r = decide_queued(&st, actor, v.circle.id, path_id(&post)?, &f).await;
    after(&st, &k, &id, r).await
}

async fn invite_create(
    State(st): State<AppState>,
    k: Console,
    Path((_, id)): Path<(String, String)>,
    Form(f): Form<InviteForm>,
) -> PageResult {
    check_csrf(&k.c, &f.csrf)?;
    let v = circle_view(&st, &k, &id).await?;
    match create_invite_link(&st, &k.c, v.circle.id, &f).await {
        Ok(link) => page_view_with(&st, &k, &id, None, None, Some(link)).await,
        Err(e) => after(&st, &k, &id, Err(e)).await,
    }
}

async fn invite_revoke(
    State(st): State<AppState>,
    k: Console,
    Path((_, id, invite)): Path<(String, String, String)>,
    Form(f): Form<CsrfOnly>,
) -> PageResult {
    check_csrf(&k.c, &f.csrf)?;
    let v = circle_view(&st, &k, &id).await?;
    let actor = require_user(&k.c)?;
    let r = invites::revoke_invite(&st.svc, actor, v.circle.id, path_id(&invite)?).await;
    after(&st, &k, &id, r).await
}

#[cfg(test)]
mod tests {
    use super::*;
    use quan_domain::parse_circle_tags;

    #[test]
    fn tags_split_on_both_kinds_of_comma() {
        assert_eq!(
            split_tags("tea, 茶叶，乌龙、oolong"),
            vec!["tea", " 茶叶", "乌龙", "oolong"]
        );
        assert_eq!(
            parse_circle_tags(&split_tags("tea, 茶叶，乌龙、oolong")).ok(),
            Some(vec![
                "tea".to_owned(),
                "茶叶".into(),
                "乌龙".into(),
                "oolong".into()
            ])
        );
    }
}
