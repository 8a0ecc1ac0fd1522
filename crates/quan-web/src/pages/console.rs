//! The org console: overview, staff and invites, API tokens, and the sections still
//! to come (which say so plainly).

use super::templates::{CirclesPage, ComingPage, OverviewPage, StaffPage, TokensPage, nav_items};
use super::{
    Chrome, PageError, PageResult, check_csrf, path_id, render, render_form, require_user, saved,
};
use crate::AppState;
use crate::error::ApiError;
use axum::extract::{FromRequestParts, Path, State};
use axum::http::request::Parts;
use axum::response::{IntoResponse, Redirect};
use axum::routing::{get, post};
use axum::{Form, Router};
use quan_core::access;
use quan_core::access::OrgAccess;
use quan_core::events;
use quan_core::identity::{self as uc, IdentityError, NewInvite};
use quan_core::{OrgRecord, PageRequest};
use quan_domain::{
    AccountId, BoostStatus, CircleId, InviteId, ParseError, Role, Scope, Scopes, TokenId, TokenName,
};
use serde::Deserialize;

/// The sections of the console that later capabilities will fill.
pub(crate) const COMING: [&str; 2] = ["live", "analytics"];

pub(crate) fn router() -> Router<AppState> {
    Router::new()
        .route("/console/{org_id}", get(overview))
        .route("/console/{org_id}/staff", get(staff_page))
        .route(
            "/console/{org_id}/staff/{account_id}/role",
            post(staff_role),
        )
        .route(
            "/console/{org_id}/staff/{account_id}/remove",
            post(staff_remove),
        )
        .route("/console/{org_id}/invites", post(invite_create))
        .route(
            "/console/{org_id}/invites/{invite_id}/revoke",
            post(invite_revoke),
        )
        .route(
            "/console/{org_id}/tokens",
            get(tokens_page).post(token_create),
        )
        .route(
            "/console/{org_id}/tokens/{token_id}/revoke",
            post(token_revoke),
        )
        .route(
            "/console/{org_id}/circles",
            get(circles_page).post(circle_create),
        )
        .route(
            "/console/{org_id}/circles/{circle_id}/boost",
            post(circle_boost),
        )
        .route("/console/{org_id}/{section}", get(coming_soon))
}

/// A console page's context: the chrome, the org, and the caller's access to it. A
/// stranger to the org sees the 404 page.
pub(crate) struct Console {
    pub c: Chrome,
    pub org: OrgRecord,
    pub orgs: Vec<(OrgRecord, Role)>,
    pub access: OrgAccess,
}

impl Console {
    pub fn role(&self) -> Role {
        self.access.role()
    }
    /// Whether the caller may invite someone with this role.
    pub fn can_grant(&self, code: &str) -> bool {
        Role::parse(code).is_ok_and(|r| self.role().can_grant(r))
    }
    pub fn me(&self) -> AccountId {
        self.access.account()
    }
    pub fn base(&self) -> String {
        format!("/console/{}", self.org.id)
    }
    /// The sidebar: every section, the current one marked, the unbuilt ones flagged.
    pub fn nav(&self) -> Vec<NavItem> {
        super::templates::nav_items()
            .into_iter()
            // The shop is offered to those who run it only.
            .filter(|(slug, _)| *slug != "shop" || quan_core::commerce::may_manage(&self.access))
            .map(|(slug, key)| {
                let href = if slug.is_empty() {
                    self.base()
                } else {
                    format!("{}/{slug}", self.base())
                };
                // A section's own pages (a journey, a campaign, a person) keep it
                // marked; the overview only on itself.
                let active = self.c.path == href
                    || (!slug.is_empty() && self.c.path.starts_with(&format!("{href}/")));
                NavItem {
                    active,
                    soon: COMING.contains(&slug),
                    label: self.c.t(key).to_owned(),
                    href,
                }
            })
            .collect()
    }
}

pub(crate) struct NavItem {
    pub href: String,
    pub label: String,
    pub active: bool,
    pub soon: bool,
}

impl FromRequestParts<AppState> for Console {
    type Rejection = PageError;
    async fn from_request_parts(parts: &mut Parts, st: &AppState) -> Result<Self, Self::Rejection> {
        let c = Chrome::from_request_parts(parts, st)
            .await
            .map_err(PageError::Api)?;
        let actor = require_user(&c)?.clone();
        let org_id = crate::extract::org_id_from_path(parts).map_err(|_| PageError::NotFound)?;
        let access = access::org_access(&st.svc, &actor, org_id).await?;
        let org = uc::get_org(&st.svc, &access).await?;
        let orgs = uc::my_orgs(&st.svc, &actor).await?;
        Ok(Console {
            c,
            org,
            orgs,
            access,
        })
    }
}

async fn overview(State(st): State<AppState>, k: Console) -> PageResult {
    let staff = uc::list_staff(&st.svc, &k.access, &PageRequest::first(200)).await?;
    let invites = if k.role().can_invite() {
        uc::list_invites(&st.svc, &k.access).await?.len()
    } else {
        0
    };
    let now = st.svc.clock.now();
    let tokens = if k.role().can_manage_tokens() {
        uc::list_tokens(&st.svc, &k.access)
            .await?
            .iter()
            .filter(|t| t.revoked_at.is_none() && t.expires_at.is_none_or(|e| e > now))
            .count()
    } else {
        0
    };
    let events = events::list_events(&st.svc, &k.access, &PageRequest::first(12)).await?;
    let staff_count = if staff.next.is_some() {
        format!("{}+", staff.items.len())
    } else {
        staff.items.len().to_string()
    };
    Ok(render(&OverviewPage {
        k: &k,
        staff_count,
        invites,
        tokens,
        events: &events.items,
    }))
}

async fn staff_view(
    st: &AppState,
    k: &Console,
    new_link: Option<String>,
    error: Option<String>,
) -> PageResult {
    let staff = uc::list_staff(&st.svc, &k.access, &PageRequest::first(200)).await?;
    let invites = if k.role().can_invite() {
        uc::list_invites(&st.svc, &k.access).await?
    } else {
        Vec::new()
    };
    Ok(render_form(
        &StaffPage {
            k,
            staff: &staff.items,
            invites: &invites,
            new_link: new_link.as_deref(),
            error: error.as_deref(),
            roles: &Role::ALL,
        },
        error.is_some(),
    ))
}

async fn staff_page(State(st): State<AppState>, k: Console) -> PageResult {
    staff_view(&st, &k, None, None).await
}

fn page_message(k: &Console, e: IdentityError) -> Result<String, PageError> {
    Ok(match e {
        IdentityError::LastOwner => k.c.t("staff.last_owner").to_owned(),
        IdentityError::Forbidden => k.c.t("staff.owner_only").to_owned(),
        IdentityError::NotFound => return Err(PageError::NotFound),
        IdentityError::Internal(cause) => {
            return Err(PageError::Api(ApiError::internal(cause.as_ref())));
        }
        other => other.to_string(),
    })
}

#[derive(Deserialize)]
struct RoleForm {
    csrf: String,
    role: String,
}

async fn staff_role(
    State(st): State<AppState>,
    k: Console,
    Path((_, account)): Path<(String, String)>,
    Form(f): Form<RoleForm>,
) -> PageResult {
    check_csrf(&k.c, &f.csrf)?;
    let account = path_id::<AccountId>(&account)?;
    let result = match Role::parse(&f.role) {
        Ok(role) => uc::change_role(&st.svc, &k.access, account, role)
            .await
            .map(|_| ()),
        Err(e) => Err(e.into()),
    };
    match result {
        Ok(()) => Ok(saved(&format!("{}/staff", k.base()))),
        Err(e) => {
            let msg = page_message(&k, e)?;
            staff_view(&st, &k, None, Some(msg)).await
        }
    }
}

#[derive(Deserialize)]
struct CsrfForm {
    csrf: String,
}

async fn staff_remove(
    State(st): State<AppState>,
    k: Console,
    Path((_, account)): Path<(String, String)>,
    Form(f): Form<CsrfForm>,
) -> PageResult {
    check_csrf(&k.c, &f.csrf)?;
    let account = path_id::<AccountId>(&account)?;
    match uc::remove_staff(&st.svc, &k.access, account).await {
        Ok(()) if account == k.me() => Ok(Redirect::to("/orgs").into_response()),
        Ok(()) => Ok(saved(&format!("{}/staff", k.base()))),
        Err(e) => {
            let msg = page_message(&k, e)?;
            staff_view(&st, &k, None, Some(msg)).await
        }
    }
}

#[derive(Deserialize)]
struct InviteForm {
    csrf: String,
    role: String,
    max_uses: Option<i64>,
    ttl_hours: Option<i64>,
}

async fn invite_create(
    State(st): State<AppState>,
    k: Console,
    Form(f): Form<InviteForm>,
) -> PageResult {
    check_csrf(&k.c, &f.csrf)?;
    let result = match NewInvite::parse(&f.role, f.max_uses, f.ttl_hours) {
        Ok(inv) => uc::create_invite(&st.svc, &k.access, &inv).await,
        Err(e) => Err(e.into()),
    };
    match result {
        Ok((_, code)) => {
            staff_view(&st, &k, Some(format!("{}/invite/{code}", k.c.base)), None).await
        }
        Err(e) => {
            let msg = page_message(&k, e)?;
            staff_view(&st, &k, None, Some(msg)).await
        }
    }
}

async fn invite_revoke(
    State(st): State<AppState>,
    k: Console,
    Path((_, id)): Path<(String, String)>,
    Form(f): Form<CsrfForm>,
) -> PageResult {
    check_csrf(&k.c, &f.csrf)?;
    let id = path_id::<InviteId>(&id)?;
    uc::revoke_invite(&st.svc, &k.access, id).await?;
    Ok(Redirect::to(&format!("{}/staff", k.base())).into_response())
}

async fn tokens_view(
    st: &AppState,
    k: &Console,
    secret: Option<String>,
    error: Option<String>,
) -> PageResult {
    let tokens = if k.role().can_manage_tokens() {
        uc::list_tokens(&st.svc, &k.access).await?
    } else {
        Vec::new()
    };
    let now = st.svc.clock.now();
    Ok(render_form(
        &TokensPage {
            k,
            tokens: &tokens,
            now,
            secret: secret.as_deref(),
            error: error.as_deref(),
            scopes: &Scope::ALL,
        },
        error.is_some(),
    ))
}

async fn tokens_page(State(st): State<AppState>, k: Console) -> PageResult {
    tokens_view(&st, &k, None, None).await
}

async fn token_create(
    State(st): State<AppState>,
    k: Console,
    Form(f): Form<Vec<(String, String)>>,
) -> PageResult {
    let field = |name: &str| f.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str());
    check_csrf(&k.c, field("csrf").unwrap_or(""))?;
    let parsed = (|| -> Result<(TokenName, Scopes, Option<i64>), ParseError> {
        let name = TokenName::parse(field("name").unwrap_or(""))?;
        let scopes = Scopes::new(
            f.iter()
                .filter(|(k, _)| k == "scope")
                .take(10)
                .map(|(_, v)| Scope::parse(v))
                .collect::<Result<_, _>>()?,
        )?;
        let ttl = match field("ttl_days").map(str::trim).filter(|s| !s.is_empty()) {
            Some(s) => Some(s.parse::<i64>().map_err(|_| {
                ParseError::new("ttl_days", "invalid_number", "a whole number of days")
            })?),
            None => None,
        };
        Ok((name, scopes, ttl))
    })();
    let result = match parsed {
        Ok((name, scopes, ttl)) => uc::create_token(&st.svc, &k.access, &name, &scopes, ttl).await,
        Err(e) => Err(e.into()),
    };
    match result {
        Ok((_, secret)) => tokens_view(&st, &k, Some(secret), None).await,
        Err(e) => {
            let msg = page_message(&k, e)?;
            tokens_view(&st, &k, None, Some(msg)).await
        }
    }
}

async fn token_revoke(
    State(st): State<AppState>,
    k: Console,
    Path((_, id)): Path<(String, String)>,
    Form(f): Form<CsrfForm>,
) -> PageResult {
    check_csrf(&k.c, &f.csrf)?;
    let id = path_id::<TokenId>(&id)?;
    uc::revoke_token(&st.svc, &k.access, id).await?;
    Ok(Redirect::to(&format!("{}/tokens", k.base())).into_response())
}

async fn circles_view(st: &AppState, k: &Console, error: Option<String>) -> PageResult {
    let circles =
        quan_core::circles::list_org_circles(&st.svc, &k.access, &PageRequest::first(200))
            .await
            .map_err(|e| PageError::from(ApiError::from(e)))?;
    Ok(render_form(
        &CirclesPage {
            k,
            circles: &circles.items,
            error: error.as_deref(),
            may_create: quan_core::circles::may_create(&k.access),
            may_decide: quan_core::discovery::may_decide(&k.access),
        },
        error.is_some(),
    ))
}

async fn circles_page(State(st): State<AppState>, k: Console) -> PageResult {
    circles_view(&st, &k, None).await
}

#[derive(Deserialize)]
struct CircleForm {
    csrf: String,
    name: String,
    description: Option<String>,
    mode: String,
}

async fn circle_create(
    State(st): State<AppState>,
    k: Console,
    Form(f): Form<CircleForm>,
) -> PageResult {
    check_csrf(&k.c, &f.csrf)?;
    use quan_core::circles::{self as cc, CircleError, NewCircle};
    let result = match NewCircle::parse(&f.name, f.description.as_deref(), &f.mode, None, None) {
        Ok(n) => cc::create_circle(&st.svc, &k.access, n).await,
        Err(e) => Err(e.into()),
    };
    match result {
        Ok(_) => Ok(Redirect::to(&format!("{}/circles", k.base())).into_response()),
        Err(CircleError::Internal(cause)) => {
            Err(PageError::Api(ApiError::internal(cause.as_ref())))
        }
        Err(e) => circles_view(&st, &k, Some(super::form_error(&k.c, ApiError::from(e))?)).await,
    }
}

#[derive(Deserialize)]
struct BoostForm {
    csrf: String,
    decision: String,
}

/// Discovery's review gate, from the circles list (owners and admins).
async fn circle_boost(
    State(st): State<AppState>,
    k: Console,
    Path((_, circle)): Path<(String, String)>,
    Form(f): Form<BoostForm>,
) -> PageResult {
    check_csrf(&k.c, &f.csrf)?;
    let cid = path_id::<CircleId>(&circle)?;
    let result = match BoostStatus::parse(&f.decision) {
        Ok(to) => quan_core::discovery::decide(&st.svc, &k.access, cid, to, "").await,
        Err(e) => Err(e.into()),
    };
    match result {
        Ok(()) => Ok(saved(&format!("{}/circles", k.base()))),
        Err(e) => circles_view(&st, &k, Some(super::form_error(&k.c, ApiError::from(e))?)).await,
    }
}

async fn coming_soon(k: Console, Path((_, section)): Path<(String, String)>) -> PageResult {
    let Some((_, title_key)) = nav_items()
        .into_iter()
        .find(|(slug, _)| COMING.contains(slug) && *slug == section)
    else {
        return Err(PageError::NotFound);
    };
    Ok(render(&ComingPage { k: &k, title_key }))
}
