//! Reach endpoints: the org's touch policy, contacts and staff loads, channel codes
//! with their QR images; conversations and campaigns in their own modules.

pub mod auto;
pub mod campaigns;
pub mod consent;
pub mod conversations;
pub mod delivery;
pub mod import;
pub mod journeys;
pub mod moments;
pub mod rooms;
pub mod transfers;

use crate::AppState;
use crate::api::common::{PageQuery, parse_id};
use crate::error::{ApiError, ApiResult, Problem};
use crate::extract::{ApiJson, ApiQuery, Auth, OrgCtx};
use axum::Json;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use quan_core::reach::error::ReachError;
use quan_core::{ChannelCodeRecord, ContactRecord, PolicyRecord};
use quan_domain::{
    AccountId, BudgetKind, QuietHours, Shift, Timestamp, TouchPolicy, Zone, parse_contact_cap,
    parse_pause_bp,
};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(get_policy, set_policy))
        .routes(routes!(list_contacts, add_contact))
        .routes(routes!(remove_contact))
        .routes(routes!(staff_loads))
        .routes(routes!(list_codes, create_code))
        .routes(routes!(get_code))
        .routes(routes!(archive_code))
        .routes(routes!(code_qr))
        .routes(routes!(open_code))
        .merge(conversations::router())
        .merge(campaigns::router())
        .merge(transfers::router())
        .merge(import::router())
        .merge(auto::router())
        .merge(moments::router())
        .merge(journeys::router())
        .merge(consent::router())
        .merge(delivery::router())
        .merge(rooms::router())
}

impl From<ReachError> for ApiError {
    fn from(e: ReachError) -> Self {
        use ReachError as E;
        let s = |st, code| ApiError::new(st, code, e.to_string());
        match &e {
            E::Invalid(pe) => pe.clone().into(),
            E::NotFound | E::NotMember => ApiError::not_found(),
            E::Forbidden => s(StatusCode::FORBIDDEN, "forbidden"),
            E::MissingScope(_) => s(StatusCode::FORBIDDEN, "missing_scope"),
            E::AtCap { .. } => s(StatusCode::CONFLICT, "contact_cap_reached"),
            E::NotStaff => s(StatusCode::UNPROCESSABLE_ENTITY, "not_staff"),
            E::CodeArchived => s(StatusCode::GONE, "code_archived"),
            E::CampaignState(_) => s(StatusCode::CONFLICT, "campaign_state"),
            E::JourneyState { code, .. } => s(StatusCode::CONFLICT, code),
            E::ChannelUnavailable(_) => s(StatusCode::CONFLICT, "channel_unavailable"),
            E::QuietHours { retry_after } => {
                let mut err = s(StatusCode::CONFLICT, "quiet_hours");
                err.retry_after = Some(*retry_after);
                err
            }
            E::RateLimited { retry_after } => {
                let mut err = s(StatusCode::TOO_MANY_REQUESTS, "rate_limited");
                err.retry_after = Some(*retry_after);
                err
            }
            E::Internal(cause) => ApiError::internal(cause.as_ref()),
        }
    }
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct PolicyDto {
    pub version: i64,
    /// month (as many touches as the month has days), week (7) or day (1).
    pub budget: String,
    /// `HH:MM-HH:MM` in the org's zone; empty for none.
    pub quiet_hours: String,
    pub time_zone: String,
    pub contact_cap: i64,
    /// A campaign pauses when negatives in its first hour reach this many basis
    /// points of delivered (200 = 2 %).
    pub negative_pause_bp: i64,
    pub effective_from: i64,
}

fn policy_dto(version: i64, from: Timestamp, p: &TouchPolicy) -> PolicyDto {
    PolicyDto {
        version,
        budget: p.budget.as_str().to_owned(),
        quiet_hours: p.quiet.to_string(),
        time_zone: p.zone.name().to_owned(),
        contact_cap: p.contact_cap,
        negative_pause_bp: p.negative_pause_bp,
        effective_from: from.millis(),
    }
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct PoliciesDto {
    /// In force now (version 0: the standard policy, never changed).
    pub current: PolicyDto,
    /// Every saved version, newest first, including ones not in force yet.
    pub versions: Vec<PolicyDto>,
}

fn from_record(p: &PolicyRecord) -> PolicyDto {
    policy_dto(p.version, p.effective_from, &p.policy)
}

/// The org's touch policy in force, and every version.
#[utoipa::path(get, path = "/api/v1/orgs/{org_id}/reach/policy", tag = "reach",
    params(("org_id" = String, Path)), security(("bearer" = []), ("session" = [])),
    responses((status = 200, body = PoliciesDto)))]
pub async fn get_policy(State(st): State<AppState>, ctx: OrgCtx) -> ApiResult<Json<PoliciesDto>> {
    let versions = quan_core::reach::policies(&st.svc, &ctx.access).await?;
    let now = st.svc.clock.now();
    let current = versions
        .iter()
        .find(|v| v.effective_from <= now)
        .map_or_else(
            || policy_dto(0, Timestamp::from_millis(0), &TouchPolicy::standard()),
            from_record,
        );
    Ok(Json(PoliciesDto {
        current,
        versions: versions.iter().map(from_record).collect(),
    }))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PolicyReq {
    pub budget: String,
    pub quiet_hours: String,
    pub time_zone: String,
    pub contact_cap: i64,
    /// Basis points of delivered (1 to 10,000; default 200 = 2 %).
    pub negative_pause_bp: Option<i64>,
    /// When the version takes effect (ms); now if absent or past.
    pub effective_from: Option<i64>,
}

impl PolicyReq {
    pub(crate) fn parse(&self) -> Result<TouchPolicy, quan_domain::ParseError> {
        Ok(TouchPolicy {
            budget: BudgetKind::parse(&self.budget)?,
            quiet: QuietHours::parse(&self.quiet_hours)?,
            zone: Zone::parse(&self.time_zone)?,
            contact_cap: parse_contact_cap(self.contact_cap)?,
            negative_pause_bp: parse_pause_bp(
                self.negative_pause_bp
                    .unwrap_or(quan_domain::NEGATIVE_PAUSE_BP_DEFAULT),
            )?,
        })
    }
}

/// Saves a new version of the policy (owners and admins); versions are never edited.
#[utoipa::path(post, path = "/api/v1/orgs/{org_id}/reach/policy", tag = "reach", request_body = PolicyReq,
    params(("org_id" = String, Path)), security(("bearer" = []), ("session" = [])),
    responses((status = 201, body = PolicyDto), (status = 403, body = Problem), (status = 422, body = Problem)))]
pub async fn set_policy(
    State(st): State<AppState>,
    ctx: OrgCtx,
    ApiJson(req): ApiJson<PolicyReq>,
) -> ApiResult<(StatusCode, Json<PolicyDto>)> {
    let p = req.parse()?;
    let saved = quan_core::reach::set_policy(
        &st.svc,
        &ctx.access,
        p,
        req.effective_from.map(Timestamp::from_millis),
    )
    .await?;
    Ok((StatusCode::CREATED, Json(from_record(&saved))))
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct ContactDto {
    pub id: String,
    pub staff_id: String,
    pub staff_name: String,
    pub person_id: String,
    pub person_name: String,
    pub stage: String,
    /// code, manual, invite or import.
    pub source: String,
    pub code_id: Option<String>,
    pub code_name: Option<String>,
    pub added_at: i64,
    pub last_talked_at: i64,
    /// Messages from the other side the reader has not seen.
    pub unread: i64,
}

pub(crate) fn contact_dto(c: &ContactRecord) -> ContactDto {
    ContactDto {
        id: c.id.to_string(),
        staff_id: c.staff_id.to_string(),
        staff_name: c.staff_name.clone(),
        person_id: c.person_id.to_string(),
        person_name: c.person_name.clone(),
        stage: c.stage.as_str().to_owned(),
        source: c.source.as_str().to_owned(),
        code_id: c.code_id.map(|k| k.to_string()),
        code_name: c.code_name.clone(),
        added_at: c.added_at.millis(),
        last_talked_at: c.last_talked_at.millis(),
        unread: c.unread,
    }
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct ContactPageDto {
    pub items: Vec<ContactDto>,
    pub next: Option<String>,
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct ContactQuery {
    /// Only this staff member's customers (managers; others always see their own).
    pub staff: Option<String>,
    pub after: Option<String>,
    pub limit: Option<u32>,
}

/// Live contacts, newest first: the caller's own, or (owners, admins, operators)
/// everyone's.
#[utoipa::path(get, path = "/api/v1/orgs/{org_id}/contacts", tag = "reach",
    params(("org_id" = String, Path), ContactQuery), security(("bearer" = []), ("session" = [])),
    responses((status = 200, body = ContactPageDto)))]
pub async fn list_contacts(
    State(st): State<AppState>,
    ctx: OrgCtx,
    ApiQuery(q): ApiQuery<ContactQuery>,
) -> ApiResult<Json<ContactPageDto>> {
    let staff = q.staff.as_deref().map(parse_id::<AccountId>).transpose()?;
    let page = PageQuery {
        after: q.after,
        limit: q.limit,
    }
    .into_request()?;
    let p = quan_core::reach::contacts(&st.svc, &ctx.access, staff, &page).await?;
    Ok(Json(ContactPageDto {
        items: p.items.iter().map(contact_dto).collect(),
        next: p.next,
    }))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AddContactReq {
    pub person_id: String,
    /// The staff member who holds them; the caller if absent (others: managers only).
    pub staff_id: Option<String>,
}

/// Adds a person of the org as a staff member's customer, under the org's cap.
#[utoipa::path(post, path = "/api/v1/orgs/{org_id}/contacts", tag = "reach", request_body = AddContactReq,
    params(("org_id" = String, Path)), security(("bearer" = []), ("session" = [])),
    responses((status = 201, body = ContactDto), (status = 403, body = Problem), (status = 404, body = Problem),
        (status = 409, body = Problem), (status = 422, body = Problem)))]
pub async fn add_contact(
    State(st): State<AppState>,
    ctx: OrgCtx,
    ApiJson(req): ApiJson<AddContactReq>,
) -> ApiResult<(StatusCode, Json<ContactDto>)> {
    let person = parse_id(&req.person_id)?;
    let staff = req
        .staff_id
        .as_deref()
        .map(parse_id::<AccountId>)
        .transpose()?;
    let c = quan_core::reach::add_contact(&st.svc, &ctx.access, person, staff).await?;
    Ok((StatusCode::CREATED, Json(contact_dto(&c))))
}

/// Ends a contact (its staff member, or a manager).
#[utoipa::path(delete, path = "/api/v1/orgs/{org_id}/contacts/{contact_id}", tag = "reach",
    params(("org_id" = String, Path), ("contact_id" = String, Path)), security(("bearer" = []), ("session" = [])),
    responses((status = 204), (status = 404, body = Problem)))]
pub async fn remove_contact(
    State(st): State<AppState>,
    ctx: OrgCtx,
    Path(ids): Path<(String, String)>,
) -> ApiResult<StatusCode> {
    quan_core::reach::remove_contact(&st.svc, &ctx.access, parse_id(&ids.1)?).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct StaffLoadDto {
    pub staff_id: String,
    pub name: String,
    pub contacts: i64,
    /// Campaign and journey messages they sent and customers their moments reached,
    /// and customers who left or opted out after one.
    pub delivered: i64,
    pub negatives: i64,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct LoadsDto {
    /// Customers one staff member may hold.
    pub cap: i64,
    pub staff: Vec<StaffLoadDto>,
}

/// Each staff member's use of the contact cap.
#[utoipa::path(get, path = "/api/v1/orgs/{org_id}/contacts/loads", tag = "reach",
    params(("org_id" = String, Path)), security(("bearer" = []), ("session" = [])),
    responses((status = 200, body = LoadsDto)))]
pub async fn staff_loads(State(st): State<AppState>, ctx: OrgCtx) -> ApiResult<Json<LoadsDto>> {
    let (loads, cap) = quan_core::reach::loads(&st.svc, &ctx.access).await?;
    Ok(Json(LoadsDto {
        cap,
        staff: loads
            .into_iter()
            .map(|l| StaffLoadDto {
                staff_id: l.staff_id.to_string(),
                name: l.name,
                contacts: l.contacts,
                delivered: l.delivered,
                negatives: l.negatives,
            })
            .collect(),
    }))
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct CodeDto {
    pub id: String,
    pub name: String,
    /// The link people open, absolute.
    pub url: String,
    /// round_robin, or schedule (in turn over the staff on duty by their shifts).
    pub mode: String,
    pub staff: Vec<String>,
    /// Weekly shifts of some of the staff; the others are always on duty.
    pub shifts: Vec<ShiftDto>,
    pub backup: Option<String>,
    pub tags: Vec<String>,
    pub welcome: String,
    pub opens: i64,
    pub adds: i64,
    pub created_at: i64,
    pub archived: bool,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ShiftDto {
    pub staff_id: String,
    /// Days then hours in the org's time zone: `mon-fri 09:00-18:00`,
    /// `sat,sun 10:00-16:00`, `周一-周五 09:00-18:00`, `daily 22:00-06:00`.
    pub hours: String,
}

/// The path a code's link opens.
pub fn code_path(slug: &str) -> String {
    format!("/r/{slug}")
}

pub(crate) fn code_dto(st: &AppState, headers: &HeaderMap, c: &ChannelCodeRecord) -> CodeDto {
    CodeDto {
        id: c.id.to_string(),
        name: c.name.clone(),
        url: st.absolute(headers, &code_path(&c.slug)),
        mode: c.mode.as_str().to_owned(),
        staff: c.staff.iter().map(ToString::to_string).collect(),
        shifts: c
            .shifts
            .iter()
            .map(|(who, s)| ShiftDto {
                staff_id: who.to_string(),
                hours: s.to_string(),
            })
            .collect(),
        backup: c.backup.map(|b| b.to_string()),
        tags: c.tags.clone(),
        welcome: c.welcome.clone(),
        opens: c.opens,
        adds: c.adds,
        created_at: c.created_at.millis(),
        archived: c.archived_at.is_some(),
    }
}

/// The org's channel codes, live ones first.
#[utoipa::path(get, path = "/api/v1/orgs/{org_id}/channel-codes", tag = "reach",
    params(("org_id" = String, Path)), security(("bearer" = []), ("session" = [])),
    responses((status = 200, body = [CodeDto])))]
pub async fn list_codes(
    State(st): State<AppState>,
    ctx: OrgCtx,
    headers: HeaderMap,
) -> ApiResult<Json<Vec<CodeDto>>> {
    let all = quan_core::reach::codes::list(&st.svc, &ctx.access).await?;
    Ok(Json(
        all.iter().map(|c| code_dto(&st, &headers, c)).collect(),
    ))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CodeReq {
    pub name: String,
    /// Staff account ids, in turn order.
    pub staff: Vec<String>,
    /// Who receives customers when the one in turn is at the cap, or when no one
    /// is on duty.
    pub backup: Option<String>,
    /// Weekly shifts of some of `staff` (at most one each); none, plain round-robin.
    #[serde(default)]
    pub shifts: Vec<ShiftDto>,
    #[serde(default)]
    pub tags: Vec<String>,
    /// A template with `{{name}}` and `{{staff}}`; empty for no welcome.
    #[serde(default)]
    pub welcome: String,
}

/// Creates a channel code (owners, admins, operators).
#[utoipa::path(post, path = "/api/v1/orgs/{org_id}/channel-codes", tag = "reach", request_body = CodeReq,
    params(("org_id" = String, Path)), security(("bearer" = []), ("session" = [])),
    responses((status = 201, body = CodeDto), (status = 403, body = Problem), (status = 422, body = Problem)))]
pub async fn create_code(
    State(st): State<AppState>,
    ctx: OrgCtx,
    headers: HeaderMap,
    ApiJson(req): ApiJson<CodeReq>,
) -> ApiResult<(StatusCode, Json<CodeDto>)> {
    if req.staff.len() > quan_core::reach::codes::CODE_STAFF_MAX
        || req.shifts.len() > quan_core::reach::codes::CODE_STAFF_MAX
        || req.tags.len() > quan_core::reach::codes::CODE_TAGS_MAX
    {
        return Err(ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "too_many",
            "too many staff members or tags",
        ));
    }
    let staff = req
        .staff
        .iter()
        .map(|s| parse_id::<AccountId>(s))
        .collect::<ApiResult<Vec<_>>>()?;
    let backup = req
        .backup
        .as_deref()
        .map(parse_id::<AccountId>)
        .transpose()?;
    let shifts = req
        .shifts
        .iter()
        .map(|s| Ok((parse_id::<AccountId>(&s.staff_id)?, Shift::parse(&s.hours)?)))
        .collect::<ApiResult<Vec<_>>>()?;
    let c = quan_core::reach::codes::create(
        &st.svc,
        &ctx.access,
        quan_core::reach::codes::NewCode {
            name: req.name,
            staff,
            shifts,
            backup,
            tags: req.tags,
            welcome: req.welcome,
        },
    )
    .await?;
    Ok((StatusCode::CREATED, Json(code_dto(&st, &headers, &c))))
}

/// One channel code with its stats (opens, adds).
#[utoipa::path(get, path = "/api/v1/orgs/{org_id}/channel-codes/{code_id}", tag = "reach",
    params(("org_id" = String, Path), ("code_id" = String, Path)), security(("bearer" = []), ("session" = [])),
    responses((status = 200, body = CodeDto), (status = 404, body = Problem)))]
pub async fn get_code(
    State(st): State<AppState>,
    ctx: OrgCtx,
    headers: HeaderMap,
    Path(ids): Path<(String, String)>,
) -> ApiResult<Json<CodeDto>> {
    let c = quan_core::reach::codes::get(&st.svc, &ctx.access, parse_id(&ids.1)?).await?;
    Ok(Json(code_dto(&st, &headers, &c)))
}

/// Archives a code: its link stops making contacts.
#[utoipa::path(delete, path = "/api/v1/orgs/{org_id}/channel-codes/{code_id}", tag = "reach",
    params(("org_id" = String, Path), ("code_id" = String, Path)), security(("bearer" = []), ("session" = [])),
    responses((status = 204), (status = 404, body = Problem)))]
pub async fn archive_code(
    State(st): State<AppState>,
    ctx: OrgCtx,
    Path(ids): Path<(String, String)>,
) -> ApiResult<StatusCode> {
    quan_core::reach::codes::archive(&st.svc, &ctx.access, parse_id(&ids.1)?).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// A code's link as a QR image: `svg` or `png`.
#[utoipa::path(get, path = "/api/v1/orgs/{org_id}/channel-codes/{code_id}/qr/{format}", tag = "reach",
    params(("org_id" = String, Path), ("code_id" = String, Path), ("format" = String, Path, description = "svg or png")),
    security(("bearer" = []), ("session" = [])),
    responses((status = 200, content_type = "image/*"), (status = 404, body = Problem)))]
pub async fn code_qr(
    State(st): State<AppState>,
    ctx: OrgCtx,
    headers: HeaderMap,
    Path(ids): Path<(String, String, String)>,
) -> ApiResult<Response> {
    let c = quan_core::reach::codes::get(&st.svc, &ctx.access, parse_id(&ids.1)?).await?;
    let url = st.absolute(&headers, &code_path(&c.slug));
    let (ctype, bytes) = qr(&url, &ids.2)?;
    Ok(([(header::CONTENT_TYPE, ctype)], bytes).into_response())
}

/// Renders a link as a QR code (the `qrcode` crate): SVG text or PNG bytes.
pub(crate) fn qr(url: &str, format: &str) -> ApiResult<(&'static str, Vec<u8>)> {
    let code = qrcode::QrCode::new(url.as_bytes()).map_err(|_| {
        ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "qr_too_long",
            "the link is too long for a QR code",
        )
    })?;
    match format {
        "svg" => Ok((
            "image/svg+xml",
            code.render::<qrcode::render::svg::Color<'_>>()
                .min_dimensions(240, 240)
                .quiet_zone(true)
                .build()
                .into_bytes(),
        )),
        "png" => {
            let img = code
                .render::<image::Luma<u8>>()
                .min_dimensions(480, 480)
                .build();
            let mut out = std::io::Cursor::new(Vec::new());
            image::DynamicImage::ImageLuma8(img)
                .write_to(&mut out, image::ImageFormat::Png)
                .map_err(|e| ApiError::internal(&e))?;
            Ok(("image/png", out.into_inner()))
        }
        _ => Err(ApiError::not_found()),
    }
}

/// The signed-in caller opens a channel code: they become the customer of the staff
/// member whose turn it is, and hear the code's welcome.
#[utoipa::path(post, path = "/api/v1/codes/{slug}/open", tag = "reach",
    params(("slug" = String, Path)), security(("bearer" = []), ("session" = [])),
    responses((status = 200, body = ContactDto), (status = 404, body = Problem), (status = 409, body = Problem),
        (status = 410, body = Problem)))]
pub async fn open_code(
    State(st): State<AppState>,
    Auth(actor): Auth,
    Path(slug): Path<String>,
) -> ApiResult<Json<ContactDto>> {
    let c = quan_core::reach::codes::open(&st.svc, &actor, &slug).await?;
    Ok(Json(contact_dto(&c)))
}
