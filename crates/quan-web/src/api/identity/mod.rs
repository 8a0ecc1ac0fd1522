//! Identity endpoints: accounts, sessions, orgs, staff, org invite links, API tokens.

use crate::AppState;
use crate::api::common::{PageQuery, parse_id};
use crate::error::{ApiError, ApiResult, Problem};
use crate::extract::{ApiJson, ApiQuery, Auth, ClientIp, OrgCtx, SESSION_COOKIE};
use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum_extra::extract::cookie::{Cookie, CookieJar, SameSite};
use quan_core::access::{Actor, Me};
use quan_core::identity::{self as uc, NewInvite, SignUp};
use quan_core::{InviteRecord, OrgRecord, StaffRecord, TokenRecord};
use quan_domain::{
    DisplayName, Login, OrgName, ParseError, Password, Role, Scope, Scopes, Timestamp, TokenName,
};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(sign_up))
        .routes(routes!(log_in))
        .routes(routes!(log_out))
        .routes(routes!(me))
        .routes(routes!(change_password))
        .routes(routes!(list_orgs, create_org))
        .routes(routes!(get_org))
        .routes(routes!(list_staff))
        .routes(routes!(get_staff, update_staff, remove_staff))
        .routes(routes!(list_invites, create_invite))
        .routes(routes!(revoke_invite))
        .routes(routes!(preview_invite))
        .routes(routes!(accept_invite))
        .routes(routes!(list_tokens, create_token))
        .routes(routes!(revoke_token))
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct AccountDto {
    pub id: String,
    pub email: Option<String>,
    pub phone: Option<String>,
    pub display_name: String,
}

impl From<&Me> for AccountDto {
    fn from(m: &Me) -> Self {
        Self {
            id: m.id.to_string(),
            email: m.email.clone(),
            phone: m.phone.clone(),
            display_name: m.display_name.clone(),
        }
    }
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct OrgDto {
    pub id: String,
    pub name: String,
    /// The caller's role in this org.
    pub role: String,
    /// Milliseconds since the Unix epoch.
    pub created_at: i64,
}

pub(crate) fn org_dto(o: &OrgRecord, role: Role) -> OrgDto {
    OrgDto {
        id: o.id.to_string(),
        name: o.name.clone(),
        role: role.as_str().into(),
        created_at: o.created_at.millis(),
    }
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct MeDto {
    pub account: AccountDto,
    pub orgs: Vec<OrgDto>,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct SessionDto {
    pub account: AccountDto,
    pub expires_at: i64,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct StaffDto {
    pub account_id: String,
    pub display_name: String,
    pub email: Option<String>,
    pub phone: Option<String>,
    pub role: String,
    pub joined_at: i64,
}

impl From<&StaffRecord> for StaffDto {
    fn from(s: &StaffRecord) -> Self {
        Self {
            account_id: s.account_id.to_string(),
            display_name: s.display_name.clone(),
            email: s.email.clone(),
            phone: s.phone.clone(),
            role: s.role.as_str().into(),
            joined_at: s.joined_at.millis(),
        }
    }
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct StaffPage {
    pub items: Vec<StaffDto>,
    /// Pass as `after` to get the next page; absent on the last page.
    pub next: Option<String>,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct InviteDto {
    pub id: String,
    pub role: String,
    pub created_at: i64,
    pub expires_at: i64,
    pub max_uses: i64,
    pub uses: i64,
}

impl From<&InviteRecord> for InviteDto {
    fn from(i: &InviteRecord) -> Self {
        Self {
            id: i.id.to_string(),
            role: i.role.as_str().into(),
            created_at: i.created_at.millis(),
            expires_at: i.expires_at.millis(),
            max_uses: i.max_uses,
            uses: i.uses,
        }
    }
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct CreatedInviteDto {
    #[serde(flatten)]
    pub invite: InviteDto,
    /// The secret code; shown once. The link is `/invite/{code}`.
    pub code: String,
    pub url_path: String,
    /// The link to share, absolute (under `server.public_url` when set).
    pub url: String,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct InvitePreviewDto {
    pub org_id: String,
    pub org_name: String,
    pub role: String,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct TokenDto {
    pub id: String,
    pub name: String,
    pub scopes: Vec<String>,
    /// The first characters of the token, to tell tokens apart.
    pub prefix: String,
    pub created_by: String,
    pub created_at: i64,
    pub expires_at: Option<i64>,
    pub revoked_at: Option<i64>,
}

impl From<&TokenRecord> for TokenDto {
    fn from(t: &TokenRecord) -> Self {
        Self {
            id: t.id.to_string(),
            name: t.name.clone(),
            scopes: t.scopes.iter().map(|s| s.as_str().to_owned()).collect(),
            prefix: t.prefix.clone(),
            created_by: t.account_id.to_string(),
            created_at: t.created_at.millis(),
            expires_at: t.expires_at.map(Timestamp::millis),
            revoked_at: t.revoked_at.map(Timestamp::millis),
        }
    }
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct CreatedTokenDto {
    #[serde(flatten)]
    pub token: TokenDto,
    /// The secret; shown once, never stored.
    pub secret: String,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SignUpReq {
    /// An e-mail address or a phone number.
    pub login: String,
    pub password: String,
    pub display_name: String,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LogInReq {
    pub login: String,
    pub password: String,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PasswordReq {
    pub current_password: String,
    pub new_password: String,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateOrgReq {
    pub name: String,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateStaffReq {
    /// owner, admin, operator, sales, leader or teacher.
    pub role: String,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateInviteReq {
    pub role: String,
    /// 1 to 1000; default 1.
    pub max_uses: Option<i64>,
    /// 1 to 720; default 72.
    pub ttl_hours: Option<i64>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateTokenReq {
    pub name: String,
    /// Any of read, write, admin.
    pub scopes: Vec<String>,
    /// Days until it expires; none for no expiry.
    pub ttl_days: Option<i64>,
}

/// The session cookie: HttpOnly (no script reads it), SameSite=Lax (not sent on
/// cross-site posts), Secure when the deployment says it is served over HTTPS.
pub(crate) fn session_cookie(state: &AppState, secret: String) -> Cookie<'static> {
    Cookie::build((SESSION_COOKIE, secret))
        .http_only(true)
        .same_site(SameSite::Lax)
        .secure(state.secure_cookies)
        .path("/")
        .max_age(time_max_age(uc::SESSION_TTL_SECS))
        .build()
}

pub(crate) fn time_max_age(secs: i64) -> ::time::Duration {
    ::time::Duration::seconds(secs)
}

// ----------------------------------------------------------------------------------
// Accounts and sessions

/// Signs up and starts a session (the response sets the session cookie).
#[utoipa::path(post, path = "/api/v1/accounts", tag = "identity", request_body = SignUpReq,
    responses((status = 201, body = SessionDto), (status = 409, body = Problem), (status = 422, body = Problem)))]
pub async fn sign_up(
    State(st): State<AppState>,
    jar: CookieJar,
    ApiJson(req): ApiJson<SignUpReq>,
) -> ApiResult<Response> {
    let form = SignUp {
        login: Login::parse(&req.login)?,
        password: Password::parse(&req.password)?,
        display_name: DisplayName::parse(&req.display_name)?,
    };
    let me = uc::sign_up(&st.svc, form).await?;
    let s = uc::start_session(&st.svc, &me).await?;
    let body = SessionDto {
        account: AccountDto::from(&s.me),
        expires_at: s.expires_at.millis(),
    };
    Ok((
        StatusCode::CREATED,
        jar.add(session_cookie(&st, s.secret)),
        Json(body),
    )
        .into_response())
}

/// Logs in with an e-mail address or phone number; sets the session cookie.
#[utoipa::path(post, path = "/api/v1/sessions", tag = "identity", request_body = LogInReq,
    responses((status = 200, body = SessionDto), (status = 401, body = Problem), (status = 429, body = Problem)))]
pub async fn log_in(
    State(st): State<AppState>,
    ClientIp(ip): ClientIp,
    jar: CookieJar,
    ApiJson(req): ApiJson<LogInReq>,
) -> ApiResult<Response> {
    let login = Login::parse(&req.login)?;
    if req.password.len() > 1024 {
        return Err(uc::IdentityError::BadCredentials.into());
    }
    let s = uc::log_in(&st.svc, &login, &req.password, &ip).await?;
    let body = SessionDto {
        account: AccountDto::from(&s.me),
        expires_at: s.expires_at.millis(),
    };
    Ok((jar.add(session_cookie(&st, s.secret)), Json(body)).into_response())
}

/// Ends the current session and clears its cookie.
#[utoipa::path(delete, path = "/api/v1/sessions/current", tag = "identity", responses((status = 204)))]
pub async fn log_out(State(st): State<AppState>, jar: CookieJar) -> ApiResult<Response> {
    if let Some(c) = jar.get(SESSION_COOKIE) {
        uc::log_out(&st.svc, c.value()).await?;
    }
    Ok((
        StatusCode::NO_CONTENT,
        jar.remove(Cookie::build(SESSION_COOKIE).path("/")),
    )
        .into_response())
}

/// The caller's account and orgs.
#[utoipa::path(get, path = "/api/v1/me", tag = "identity", security(("bearer" = []), ("session" = [])),
    responses((status = 200, body = MeDto), (status = 401, body = Problem)))]
pub async fn me(State(st): State<AppState>, Auth(actor): Auth) -> ApiResult<Json<MeDto>> {
    let account = st
        .svc
        .store
        .account_get(actor.account_id())
        .await
        .map_err(uc::IdentityError::from)?
        .ok_or_else(ApiError::unauthenticated)?;
    let orgs = uc::my_orgs(&st.svc, &actor).await?;
    Ok(Json(MeDto {
        account: AccountDto::from(&Me::from(&account)),
        orgs: orgs.iter().map(|(o, r)| org_dto(o, *r)).collect(),
    }))
}

/// Changes the password; every other session of the account ends.
#[utoipa::path(put, path = "/api/v1/me/password", tag = "identity", request_body = PasswordReq,
    responses((status = 204), (status = 401, body = Problem), (status = 422, body = Problem)))]
pub async fn change_password(
    State(st): State<AppState>,
    Auth(actor): Auth,
    ApiJson(req): ApiJson<PasswordReq>,
) -> ApiResult<StatusCode> {
    let Actor::Session { account, session } = &actor else {
        return Err(uc::IdentityError::Forbidden.into());
    };
    let new = Password::parse(&req.new_password)?;
    if req.current_password.len() > 1024 {
        return Err(uc::IdentityError::BadCredentials.into());
    }
    uc::change_password(
        &st.svc,
        account.id,
        Some(*session),
        &req.current_password,
        &new,
    )
    .await?;
    Ok(StatusCode::NO_CONTENT)
}

// ----------------------------------------------------------------------------------
// Orgs

#[utoipa::path(get, path = "/api/v1/orgs", tag = "identity", security(("bearer" = []), ("session" = [])),
    responses((status = 200, body = [OrgDto])))]
pub async fn list_orgs(
    State(st): State<AppState>,
    Auth(actor): Auth,
) -> ApiResult<Json<Vec<OrgDto>>> {
    let orgs = uc::my_orgs(&st.svc, &actor).await?;
    Ok(Json(orgs.iter().map(|(o, r)| org_dto(o, *r)).collect()))
}

/// Creates an org; the caller becomes its owner.
#[utoipa::path(post, path = "/api/v1/orgs", tag = "identity", request_body = CreateOrgReq, security(("session" = [])),
    responses((status = 201, body = OrgDto), (status = 422, body = Problem)))]
pub async fn create_org(
    State(st): State<AppState>,
    Auth(actor): Auth,
    ApiJson(req): ApiJson<CreateOrgReq>,
) -> ApiResult<(StatusCode, Json<OrgDto>)> {
    let name = OrgName::parse(&req.name)?;
    let org = uc::create_org(&st.svc, &actor, &name).await?;
    Ok((StatusCode::CREATED, Json(org_dto(&org, Role::Owner))))
}

#[utoipa::path(get, path = "/api/v1/orgs/{org_id}", tag = "identity", params(("org_id" = String, Path)),
    security(("bearer" = []), ("session" = [])), responses((status = 200, body = OrgDto), (status = 404, body = Problem)))]
pub async fn get_org(State(st): State<AppState>, ctx: OrgCtx) -> ApiResult<Json<OrgDto>> {
    let org = uc::get_org(&st.svc, &ctx.access).await?;
    Ok(Json(org_dto(&org, ctx.access.role())))
}

// ----------------------------------------------------------------------------------
// Staff

#[utoipa::path(get, path = "/api/v1/orgs/{org_id}/staff", tag = "identity", params(("org_id" = String, Path), PageQuery),
    security(("bearer" = []), ("session" = [])), responses((status = 200, body = StaffPage), (status = 404, body = Problem)))]
pub async fn list_staff(
    State(st): State<AppState>,
    ctx: OrgCtx,
    ApiQuery(q): ApiQuery<PageQuery>,
) -> ApiResult<Json<StaffPage>> {
    let page = uc::list_staff(&st.svc, &ctx.access, &q.into_request()?).await?;
    Ok(Json(StaffPage {
        items: page.items.iter().map(StaffDto::from).collect(),
        next: page.next,
    }))
}

#[utoipa::path(get, path = "/api/v1/orgs/{org_id}/staff/{account_id}", tag = "identity",
    params(("org_id" = String, Path), ("account_id" = String, Path)), security(("bearer" = []), ("session" = [])),
    responses((status = 200, body = StaffDto), (status = 404, body = Problem)))]
pub async fn get_staff(
    State(st): State<AppState>,
    ctx: OrgCtx,
    Path(ids): Path<(String, String)>,
) -> ApiResult<Json<StaffDto>> {
    let s = uc::get_staff(&st.svc, &ctx.access, parse_id(&ids.1)?).await?;
    Ok(Json(StaffDto::from(&s)))
}

/// Changes a staff member's role (owners only). An org always keeps one owner.
#[utoipa::path(patch, path = "/api/v1/orgs/{org_id}/staff/{account_id}", tag = "identity", request_body = UpdateStaffReq,
    params(("org_id" = String, Path), ("account_id" = String, Path)), security(("bearer" = []), ("session" = [])),
    responses((status = 200, body = StaffDto), (status = 403, body = Problem), (status = 404, body = Problem), (status = 409, body = Problem)))]
pub async fn update_staff(
    State(st): State<AppState>,
    ctx: OrgCtx,
    Path(ids): Path<(String, String)>,
    ApiJson(req): ApiJson<UpdateStaffReq>,
) -> ApiResult<Json<StaffDto>> {
    let account = parse_id(&ids.1)?;
    let role = Role::parse(&req.role)?;
    let s = uc::change_role(&st.svc, &ctx.access, account, role).await?;
    Ok(Json(StaffDto::from(&s)))
}

/// Removes a staff member (owners only); their API tokens are revoked with them.
#[utoipa::path(delete, path = "/api/v1/orgs/{org_id}/staff/{account_id}", tag = "identity",
    params(("org_id" = String, Path), ("account_id" = String, Path)), security(("bearer" = []), ("session" = [])),
    responses((status = 204), (status = 403, body = Problem), (status = 404, body = Problem), (status = 409, body = Problem)))]
pub async fn remove_staff(
    State(st): State<AppState>,
    ctx: OrgCtx,
    Path(ids): Path<(String, String)>,
) -> ApiResult<StatusCode> {
    uc::remove_staff(&st.svc, &ctx.access, parse_id(&ids.1)?).await?;
    Ok(StatusCode::NO_CONTENT)
}

// ----------------------------------------------------------------------------------
// Invites

#[utoipa::path(get, path = "/api/v1/orgs/{org_id}/invites", tag = "identity", params(("org_id" = String, Path)),
    security(("bearer" = []), ("session" = [])), responses((status = 200, body = [InviteDto])))]
pub async fn list_invites(
    State(st): State<AppState>,
    ctx: OrgCtx,
) -> ApiResult<Json<Vec<InviteDto>>> {
    Ok(Json(
        uc::list_invites(&st.svc, &ctx.access)
            .await?
            .iter()
            .map(InviteDto::from)
            .collect(),
    ))
}

/// Creates an invite link; the code is in the response only.
#[utoipa::path(post, path = "/api/v1/orgs/{org_id}/invites", tag = "identity", request_body = CreateInviteReq,
    params(("org_id" = String, Path)), security(("bearer" = []), ("session" = [])),
    responses((status = 201, body = CreatedInviteDto), (status = 403, body = Problem), (status = 422, body = Problem)))]
pub async fn create_invite(
    State(st): State<AppState>,
    ctx: OrgCtx,
    headers: axum::http::HeaderMap,
    ApiJson(req): ApiJson<CreateInviteReq>,
) -> ApiResult<(StatusCode, Json<CreatedInviteDto>)> {
    let inv = NewInvite::parse(&req.role, req.max_uses, req.ttl_hours)?;
    let (rec, code) = uc::create_invite(&st.svc, &ctx.access, &inv).await?;
    let url_path = format!("/invite/{code}");
    Ok((
        StatusCode::CREATED,
        Json(CreatedInviteDto {
            invite: InviteDto::from(&rec),
            code,
            url: st.absolute(&headers, &url_path),
            url_path,
        }),
    ))
}

#[utoipa::path(delete, path = "/api/v1/orgs/{org_id}/invites/{invite_id}", tag = "identity",
    params(("org_id" = String, Path), ("invite_id" = String, Path)), security(("bearer" = []), ("session" = [])),
    responses((status = 204), (status = 404, body = Problem)))]
pub async fn revoke_invite(
    State(st): State<AppState>,
    ctx: OrgCtx,
    Path(ids): Path<(String, String)>,
) -> ApiResult<StatusCode> {
    uc::revoke_invite(&st.svc, &ctx.access, parse_id(&ids.1)?).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// What an invite link offers: which org, which role.
#[utoipa::path(get, path = "/api/v1/invites/{code}", tag = "identity", params(("code" = String, Path)),
    responses((status = 200, body = InvitePreviewDto), (status = 404, body = Problem)))]
pub async fn preview_invite(
    State(st): State<AppState>,
    Path(code): Path<String>,
) -> ApiResult<Json<InvitePreviewDto>> {
    let p = uc::preview_invite(&st.svc, &code).await?;
    Ok(Json(InvitePreviewDto {
        org_id: p.org.id.to_string(),
        org_name: p.org.name,
        role: p.role.as_str().into(),
    }))
}

/// Joins the invite's org as staff.
#[utoipa::path(post, path = "/api/v1/invites/{code}/accept", tag = "identity", params(("code" = String, Path)),
    security(("session" = [])), responses((status = 200, body = OrgDto), (status = 404, body = Problem), (status = 409, body = Problem)))]
pub async fn accept_invite(
    State(st): State<AppState>,
    Auth(actor): Auth,
    Path(code): Path<String>,
) -> ApiResult<Json<OrgDto>> {
    let (org, role) = uc::accept_invite(&st.svc, &actor, &code).await?;
    let org = st
        .svc
        .store
        .org_get(org)
        .await
        .map_err(uc::IdentityError::from)?
        .ok_or_else(ApiError::not_found)?;
    Ok(Json(org_dto(&org, role)))
}

// ----------------------------------------------------------------------------------
// API tokens

#[utoipa::path(get, path = "/api/v1/orgs/{org_id}/tokens", tag = "identity", params(("org_id" = String, Path)),
    security(("bearer" = []), ("session" = [])), responses((status = 200, body = [TokenDto])))]
pub async fn list_tokens(
    State(st): State<AppState>,
    ctx: OrgCtx,
) -> ApiResult<Json<Vec<TokenDto>>> {
    Ok(Json(
        uc::list_tokens(&st.svc, &ctx.access)
            .await?
            .iter()
            .map(TokenDto::from)
            .collect(),
    ))
}

/// Creates an API token; the secret is in the response only.
#[utoipa::path(post, path = "/api/v1/orgs/{org_id}/tokens", tag = "identity", request_body = CreateTokenReq,
    params(("org_id" = String, Path)), security(("bearer" = []), ("session" = [])),
    responses((status = 201, body = CreatedTokenDto), (status = 403, body = Problem), (status = 422, body = Problem)))]
pub async fn create_token(
    State(st): State<AppState>,
    ctx: OrgCtx,
    ApiJson(req): ApiJson<CreateTokenReq>,
) -> ApiResult<(StatusCode, Json<CreatedTokenDto>)> {
    let name = TokenName::parse(&req.name)?;
    if req.scopes.len() > 10 {
        return Err(ParseError::new("scopes", "too_many", "at most 10").into());
    }
    let scopes = Scopes::new(
        req.scopes
            .iter()
            .map(|s| Scope::parse(s))
            .collect::<Result<_, _>>()?,
    )?;
    let (rec, secret) =
        uc::create_token(&st.svc, &ctx.access, &name, &scopes, req.ttl_days).await?;
    Ok((
        StatusCode::CREATED,
        Json(CreatedTokenDto {
            token: TokenDto::from(&rec),
            secret,
        }),
    ))
}

#[utoipa::path(delete, path = "/api/v1/orgs/{org_id}/tokens/{token_id}", tag = "identity",
    params(("org_id" = String, Path), ("token_id" = String, Path)), security(("bearer" = []), ("session" = [])),
    responses((status = 204), (status = 404, body = Problem)))]
pub async fn revoke_token(
    State(st): State<AppState>,
    ctx: OrgCtx,
    Path(ids): Path<(String, String)>,
) -> ApiResult<StatusCode> {
    uc::revoke_token(&st.svc, &ctx.access, parse_id(&ids.1)?).await?;
    Ok(StatusCode::NO_CONTENT)
}
