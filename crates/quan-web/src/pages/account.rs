//! Account pages: sign-up, log-in and log-out, the org switcher and new orgs, the
//! password change, staff invite links, and a member's own privacy page.

use super::templates::{
    AppMePage, HISTORY_OPTIONS, InvitePage, LoginPage, OrgsPage, PasswordPage, SignupPage,
};
use super::{
    Chrome, CsrfOnly, NextQuery, PageError, PageResult, check_csrf, render, require_user, safe_next,
};
use crate::AppState;
use crate::error::ApiError;
use crate::extract::{ClientIp, SESSION_COOKIE};
use axum::Form;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum_extra::extract::cookie::{Cookie, CookieJar};
use quan_core::access::Actor;
use quan_core::identity::{self as uc, IdentityError};
use quan_domain::{DisplayName, HistoryWindow, Login, OrgName, ParseError, Password};
use serde::Deserialize;

pub(crate) fn message_of(e: &IdentityError, c: &Chrome) -> String {
    match e {
        IdentityError::Internal(_) => c.t("app.error").to_owned(),
        other => c.error(&ApiError::from(other)),
    }
}

// ----------------------------------------------------------------------------------

pub(crate) async fn signup_page(c: Chrome, Query(q): Query<NextQuery>) -> Response {
    render(&SignupPage {
        c: &c,
        error: None,
        login: "",
        display_name: "",
        next: &safe_next(q.next.as_deref()),
    })
}

#[derive(Deserialize)]
pub(crate) struct SignupForm {
    csrf: String,
    login: String,
    password: String,
    display_name: String,
    next: Option<String>,
}

pub(crate) async fn signup_submit(
    State(st): State<AppState>,
    c: Chrome,
    jar: CookieJar,
    Form(f): Form<SignupForm>,
) -> PageResult {
    check_csrf(&c, &f.csrf)?;
    let next = safe_next(f.next.as_deref());
    let parsed = (|| -> Result<uc::SignUp, ParseError> {
        Ok(uc::SignUp {
            login: Login::parse(&f.login)?,
            password: Password::parse(&f.password)?,
            display_name: DisplayName::parse(&f.display_name)?,
        })
    })();
    let result = match parsed {
        Ok(form) => uc::sign_up(&st.svc, form).await,
        Err(e) => Err(e.into()),
    };
    match result {
        Ok(me) => {
            let s = uc::start_session(&st.svc, &me).await?;
            Ok((
                jar.add(crate::api::identity::session_cookie(&st, s.secret)),
                Redirect::to(&next),
            )
                .into_response())
        }
        Err(e) => {
            let msg = message_of(&e, &c);
            let mut res = render(&SignupPage {
                c: &c,
                error: Some(&msg),
                login: &f.login,
                display_name: &f.display_name,
                next: &next,
            });
            *res.status_mut() = ApiError::from(e).status;
            Ok(res)
        }
    }
}

pub(crate) async fn login_page(c: Chrome, Query(q): Query<NextQuery>) -> Response {
    render(&LoginPage {
        c: &c,
        error: None,
        login: "",
        next: &safe_next(q.next.as_deref()),
    })
}

#[derive(Deserialize)]
pub(crate) struct LoginForm {
    csrf: String,
    login: String,
    password: String,
    next: Option<String>,
}

pub(crate) async fn login_submit(
    State(st): State<AppState>,
    c: Chrome,
    ClientIp(ip): ClientIp,
    jar: CookieJar,
    Form(f): Form<LoginForm>,
) -> PageResult {
    check_csrf(&c, &f.csrf)?;
    let next = safe_next(f.next.as_deref());
    let result = match Login::parse(&f.login) {
        Ok(login) if f.password.len() <= 1024 => {
            uc::log_in(&st.svc, &login, &f.password, &ip).await
        }
        Ok(_) => Err(IdentityError::BadCredentials),
        Err(e) => Err(e.into()),
    };
    match result {
        Ok(s) => Ok((
            jar.add(crate::api::identity::session_cookie(&st, s.secret)),
            Redirect::to(&next),
        )
            .into_response()),
        Err(e) => {
            let msg = message_of(&e, &c);
            let mut res = render(&LoginPage {
                c: &c,
                error: Some(&msg),
                login: &f.login,
                next: &next,
            });
            *res.status_mut() = ApiError::from(e).status;
            Ok(res)
        }
    }
}

pub(crate) async fn logout(
    State(st): State<AppState>,
    c: Chrome,
    jar: CookieJar,
    Form(f): Form<CsrfOnly>,
) -> PageResult {
    check_csrf(&c, &f.csrf)?;
    if let Some(s) = jar.get(SESSION_COOKIE) {
        uc::log_out(&st.svc, s.value()).await?;
    }
    Ok((
        jar.remove(Cookie::build(SESSION_COOKIE).path("/")),
        Redirect::to("/login"),
    )
        .into_response())
}

pub(crate) async fn orgs_page(State(st): State<AppState>, c: Chrome) -> PageResult {
    let actor = require_user(&c)?;
    let orgs = uc::my_orgs(&st.svc, actor).await?;
    Ok(render(&OrgsPage {
        c: &c,
        orgs: &orgs,
        error: None,
    }))
}

#[derive(Deserialize)]
pub(crate) struct OrgForm {
    csrf: String,
    name: String,
}

pub(crate) async fn orgs_create(
    State(st): State<AppState>,
    c: Chrome,
    Form(f): Form<OrgForm>,
) -> PageResult {
    check_csrf(&c, &f.csrf)?;
    let actor = require_user(&c)?;
    let created = match OrgName::parse(&f.name) {
        Ok(name) => uc::create_org(&st.svc, actor, &name).await,
        Err(e) => Err(e.into()),
    };
    match created {
        Ok(org) => Ok(Redirect::to(&format!("/console/{}", org.id)).into_response()),
        Err(e) => {
            let msg = message_of(&e, &c);
            let orgs = uc::my_orgs(&st.svc, actor).await?;
            let mut res = render(&OrgsPage {
                c: &c,
                orgs: &orgs,
                error: Some(&msg),
            });
            *res.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
            Ok(res)
        }
    }
}

pub(crate) async fn password_page(c: Chrome) -> PageResult {
    require_user(&c)?;
    Ok(render(&PasswordPage {
        c: &c,
        error: None,
        done: false,
    }))
}

#[derive(Deserialize)]
pub(crate) struct PasswordForm {
    csrf: String,
    current_password: String,
    new_password: String,
}

pub(crate) async fn password_submit(
    State(st): State<AppState>,
    c: Chrome,
    Form(f): Form<PasswordForm>,
) -> PageResult {
    check_csrf(&c, &f.csrf)?;
    let Some(Actor::Session { account, session }) = c.actor.clone() else {
        return Err(PageError::Login(c.path.clone()));
    };
    let result = match Password::parse(&f.new_password) {
        Ok(p) if f.current_password.len() <= 1024 => {
            uc::change_password(&st.svc, account.id, Some(session), &f.current_password, &p).await
        }
        // Longer than any password we accept: it cannot be the current one.
        Ok(_) => Err(quan_domain::ParseError::new(
            "current_password",
            "wrong_current_password",
            "the current password is not right",
        )
        .into()),
        Err(e) => Err(e.into()),
    };
    match result {
        Ok(()) => Ok(render(&PasswordPage {
            c: &c,
            error: None,
            done: true,
        })),
        Err(e) => {
            let msg = message_of(&e, &c);
            let mut res = render(&PasswordPage {
                c: &c,
                error: Some(&msg),
                done: false,
            });
            *res.status_mut() = ApiError::from(e).status;
            Ok(res)
        }
    }
}

pub(crate) async fn invite_page(
    State(st): State<AppState>,
    c: Chrome,
    Path(code): Path<String>,
) -> PageResult {
    let preview = uc::preview_invite(&st.svc, &code).await.ok();
    Ok(render(&InvitePage {
        c: &c,
        preview: preview.as_ref(),
        code: &code,
        error: None,
    }))
}

pub(crate) async fn invite_accept(
    State(st): State<AppState>,
    c: Chrome,
    Path(code): Path<String>,
    Form(f): Form<CsrfOnly>,
) -> PageResult {
    check_csrf(&c, &f.csrf)?;
    let actor = require_user(&c)?;
    match uc::accept_invite(&st.svc, actor, &code).await {
        Ok((org, _)) => Ok(Redirect::to(&format!("/console/{org}")).into_response()),
        Err(e) => {
            let msg = match e {
                IdentityError::AlreadyStaff => c.t("invite.already").to_owned(),
                IdentityError::InviteInvalid => c.t("invite.invalid").to_owned(),
                other => message_of(&other, &c),
            };
            let preview = uc::preview_invite(&st.svc, &code).await.ok();
            Ok(render(&InvitePage {
                c: &c,
                preview: preview.as_ref(),
                code: &code,
                error: Some(&msg),
            }))
        }
    }
}

pub(crate) async fn me_page(st: &AppState, c: &Chrome, saved: bool) -> PageResult {
    let actor = require_user(c)?;
    let w = quan_core::circles::feed::history_window(&st.svc, actor)
        .await
        .map_err(ApiError::from)?;
    Ok(render(&AppMePage {
        c,
        current: w.as_str(),
        options: HISTORY_OPTIONS,
        saved,
    }))
}

pub(crate) async fn app_me(State(st): State<AppState>, c: Chrome) -> PageResult {
    me_page(&st, &c, false).await
}

#[derive(Deserialize)]
pub(crate) struct PrivacyForm {
    csrf: String,
    history_window: String,
}

pub(crate) async fn app_me_privacy(
    State(st): State<AppState>,
    c: Chrome,
    Form(f): Form<PrivacyForm>,
) -> PageResult {
    check_csrf(&c, &f.csrf)?;
    let actor = require_user(&c)?;
    let w = HistoryWindow::parse(&f.history_window).map_err(ApiError::from)?;
    quan_core::circles::feed::set_history_window(&st.svc, actor, w)
        .await
        .map_err(ApiError::from)?;
    me_page(&st, &c, true).await
}

/// Where a signed-in person starts: staff of an org go to their organisations, and
/// everyone else (a member who signed up to join circles) to their circles.
pub(crate) async fn home(State(st): State<AppState>, c: Chrome) -> Response {
    let Some(actor) = &c.actor else {
        return Redirect::to("/login").into_response();
    };
    match uc::my_orgs(&st.svc, actor).await {
        Ok(orgs) if orgs.is_empty() => Redirect::to("/app").into_response(),
        _ => Redirect::to("/orgs").into_response(),
    }
}
