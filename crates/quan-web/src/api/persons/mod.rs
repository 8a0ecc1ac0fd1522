//! Persons endpoints: persons and their handles, the profile, tags, merges and undo.

use crate::AppState;
use crate::api::common::{PageQuery, parse_id};
use crate::error::{ApiResult, Problem};
use crate::extract::{ApiJson, ApiQuery, OrgCtx};
use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use quan_core::persons::handles;
use quan_core::persons::handles::NewPerson;
use quan_core::{MergeRecord, PersonRecord, persons};
use quan_domain::{DisplayName, HandleKind, HandleValue, ParseError};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_persons, create_person))
        .routes(routes!(get_person))
        .routes(routes!(add_handle))
        .routes(routes!(person_profile))
        .routes(routes!(add_tag))
        .routes(routes!(remove_tag))
        .routes(routes!(merge_person))
        .routes(routes!(undo_merge))
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct HandleDto {
    pub id: String,
    pub kind: String,
    pub value: String,
    pub verified: bool,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct PersonDto {
    pub id: String,
    pub display_name: String,
    pub stage: String,
    pub verified: bool,
    pub account_id: Option<String>,
    pub created_at: i64,
    pub handles: Vec<HandleDto>,
}

impl From<&PersonRecord> for PersonDto {
    fn from(p: &PersonRecord) -> Self {
        Self {
            id: p.id.to_string(),
            display_name: p.display_name.clone(),
            stage: p.stage.as_str().into(),
            verified: p.verified,
            account_id: p.account_id.map(|a| a.to_string()),
            created_at: p.created_at.millis(),
            handles: p
                .handles
                .iter()
                .map(|h| HandleDto {
                    id: h.id.to_string(),
                    kind: h.kind.as_str().into(),
                    value: h.value.clone(),
                    verified: h.verified,
                })
                .collect(),
        }
    }
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct PersonPage {
    pub items: Vec<PersonDto>,
    pub next: Option<String>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct HandleReq {
    /// phone, email, external, nickname or channel.
    pub kind: String,
    pub value: String,
    /// Owners and admins may attest a handle is verified (checked in person); an
    /// account that signs up with a verified handle is merged into this person.
    /// Ignored when creating a person.
    pub verified: Option<bool>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreatePersonReq {
    pub display_name: String,
    #[serde(default)]
    pub handles: Vec<HandleReq>,
}

#[utoipa::path(get, path = "/api/v1/orgs/{org_id}/persons", tag = "persons", params(("org_id" = String, Path), PageQuery),
    security(("bearer" = []), ("session" = [])), responses((status = 200, body = PersonPage)))]
pub async fn list_persons(
    State(st): State<AppState>,
    ctx: OrgCtx,
    ApiQuery(q): ApiQuery<PageQuery>,
) -> ApiResult<Json<PersonPage>> {
    let page = handles::list_persons(&st.svc, &ctx.access, &q.into_request()?).await?;
    Ok(Json(PersonPage {
        items: page.items.iter().map(PersonDto::from).collect(),
        next: page.next,
    }))
}

pub(crate) fn parse_handles(hs: &[HandleReq]) -> ApiResult<Vec<HandleValue>> {
    if hs.len() > handles::MAX_HANDLES_PER_REQUEST {
        return Err(ParseError::new("handles", "too_many", "at most 20").into());
    }
    Ok(hs
        .iter()
        .map(|h| HandleValue::parse(HandleKind::parse(&h.kind)?, &h.value))
        .collect::<Result<_, _>>()?)
}

#[utoipa::path(post, path = "/api/v1/orgs/{org_id}/persons", tag = "persons", request_body = CreatePersonReq,
    params(("org_id" = String, Path)), security(("bearer" = []), ("session" = [])),
    responses((status = 201, body = PersonDto), (status = 409, body = Problem), (status = 422, body = Problem)))]
pub async fn create_person(
    State(st): State<AppState>,
    ctx: OrgCtx,
    ApiJson(req): ApiJson<CreatePersonReq>,
) -> ApiResult<(StatusCode, Json<PersonDto>)> {
    let p = NewPerson {
        display_name: DisplayName::parse(&req.display_name)?,
        handles: parse_handles(&req.handles)?,
    };
    let rec = handles::create_person(&st.svc, &ctx.access, p).await?;
    Ok((StatusCode::CREATED, Json(PersonDto::from(&rec))))
}

#[utoipa::path(get, path = "/api/v1/orgs/{org_id}/persons/{person_id}", tag = "persons",
    params(("org_id" = String, Path), ("person_id" = String, Path)), security(("bearer" = []), ("session" = [])),
    responses((status = 200, body = PersonDto), (status = 404, body = Problem)))]
pub async fn get_person(
    State(st): State<AppState>,
    ctx: OrgCtx,
    Path(ids): Path<(String, String)>,
) -> ApiResult<Json<PersonDto>> {
    Ok(Json(PersonDto::from(
        &handles::get_person(&st.svc, &ctx.access, parse_id(&ids.1)?).await?,
    )))
}

#[utoipa::path(post, path = "/api/v1/orgs/{org_id}/persons/{person_id}/handles", tag = "persons", request_body = HandleReq,
    params(("org_id" = String, Path), ("person_id" = String, Path)), security(("bearer" = []), ("session" = [])),
    responses((status = 201, body = PersonDto), (status = 404, body = Problem), (status = 409, body = Problem)))]
pub async fn add_handle(
    State(st): State<AppState>,
    ctx: OrgCtx,
    Path(ids): Path<(String, String)>,
    ApiJson(req): ApiJson<HandleReq>,
) -> ApiResult<(StatusCode, Json<PersonDto>)> {
    let person = parse_id(&ids.1)?;
    let h = HandleValue::parse(HandleKind::parse(&req.kind)?, &req.value)?;
    let rec = handles::add_handle(
        &st.svc,
        &ctx.access,
        person,
        h,
        req.verified.unwrap_or(false),
    )
    .await?;
    Ok((StatusCode::CREATED, Json(PersonDto::from(&rec))))
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct PersonCircleDto {
    pub circle_id: String,
    pub name: String,
    pub mode: String,
    pub role: String,
    pub status: String,
    /// member, customer, fan (not exclusive).
    pub types: Vec<String>,
    pub joined_at: i64,
    /// 0–3, earned from activity in the circle (active memberships only).
    pub trust_level: Option<u8>,
    /// Distinct days the person read the circle.
    pub days_visited: Option<i64>,
    /// Distinct posts the person opened there.
    pub posts_read: Option<i64>,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct TimelineDto {
    pub at: i64,
    /// joined, posted, commented, checked_in, merged, merge_undone.
    pub kind: String,
    pub circle_id: Option<String>,
    pub circle_name: String,
    pub text: String,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct MergeDto {
    pub id: String,
    pub survivor_id: String,
    pub merged_id: String,
    pub merged_name: String,
    /// Absent when the merge was automatic (a shared verified handle).
    pub actor: Option<String>,
    pub reason: String,
    /// What moved: handles, memberships, posts, comments, messages, reactions, tags.
    pub moved: std::collections::BTreeMap<String, usize>,
    pub created_at: i64,
    pub undone_at: Option<i64>,
}

impl From<&MergeRecord> for MergeDto {
    fn from(m: &MergeRecord) -> Self {
        let mv = &m.moves;
        let moved = [
            ("handles", mv.handles.len()),
            ("memberships", mv.memberships.len()),
            ("posts", mv.posts.len()),
            ("comments", mv.comments.len()),
            ("messages", mv.messages.len()),
            ("reactions", mv.reactions.len()),
            ("tags", mv.tags.len()),
        ]
        .into_iter()
        .map(|(k, n)| (k.to_owned(), n))
        .collect();
        Self {
            id: m.id.to_string(),
            survivor_id: m.survivor_id.to_string(),
            merged_id: m.merged_id.to_string(),
            merged_name: m.merged_name.clone(),
            actor: m.actor.map(|a| a.to_string()),
            reason: m.reason.clone(),
            moved,
            created_at: m.created_at.millis(),
            undone_at: m.undone_at.map(|t| t.millis()),
        }
    }
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct PersonProfileDto {
    pub id: String,
    pub display_name: String,
    /// Set when this person was merged into another.
    pub merged_into: Option<String>,
    pub handles: Vec<HandleBrief>,
    pub tags: Vec<String>,
    pub circles: Vec<PersonCircleDto>,
    pub timeline: Vec<TimelineDto>,
    pub merges: Vec<MergeDto>,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct HandleBrief {
    pub kind: String,
    pub value: String,
    pub verified: bool,
}

/// One person with their circles (types and roles), tags, merges and timeline.
#[utoipa::path(get, path = "/api/v1/orgs/{org_id}/persons/{person_id}/profile", tag = "persons",
    params(("org_id" = String, Path), ("person_id" = String, Path)), security(("bearer" = []), ("session" = [])),
    responses((status = 200, body = PersonProfileDto), (status = 404, body = Problem)))]
pub async fn person_profile(
    State(st): State<AppState>,
    ctx: OrgCtx,
    Path(ids): Path<(String, String)>,
) -> ApiResult<Json<PersonProfileDto>> {
    let d = persons::detail(&st.svc, &ctx.access, parse_id(&ids.1)?).await?;
    Ok(Json(profile_dto(&d)))
}

pub(crate) fn profile_dto(d: &persons::PersonDetail) -> PersonProfileDto {
    PersonProfileDto {
        id: d.person.id.to_string(),
        display_name: d.person.display_name.clone(),
        merged_into: d.person.merged_into.map(|p| p.to_string()),
        handles: d
            .person
            .handles
            .iter()
            .map(|h| HandleBrief {
                kind: h.kind.as_str().into(),
                value: h.value.clone(),
                verified: h.verified,
            })
            .collect(),
        tags: d.tags.clone(),
        circles: d
            .circles
            .iter()
            .map(|(c, m, a)| PersonCircleDto {
                circle_id: c.id.to_string(),
                name: c.name.clone(),
                mode: c.mode.as_str().into(),
                role: m.role.as_str().into(),
                status: m.status.as_str().into(),
                types: crate::api::circles::MemberDto::from(m).types,
                joined_at: m.joined_at.millis(),
                trust_level: a.map(|a| quan_domain::TrustLevel::of(a).0),
                days_visited: a.map(|a| a.days_visited),
                posts_read: a.map(|a| a.posts_read),
            })
            .collect(),
        timeline: d
            .timeline
            .iter()
            .map(|t| TimelineDto {
                at: t.at.millis(),
                kind: t.kind.clone(),
                circle_id: t.circle_id.map(|c| c.to_string()),
                circle_name: t.circle_name.clone(),
                text: t.text.clone(),
            })
            .collect(),
        merges: d.merges.iter().map(MergeDto::from).collect(),
    }
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TagReq {
    pub tag: String,
}

/// Tags a person (owners, admins, operators, sales).
#[utoipa::path(post, path = "/api/v1/orgs/{org_id}/persons/{person_id}/tags", tag = "persons", request_body = TagReq,
    params(("org_id" = String, Path), ("person_id" = String, Path)), security(("bearer" = []), ("session" = [])),
    responses((status = 204), (status = 403, body = Problem), (status = 422, body = Problem),
        (status = 409, description = "The person was merged into another: tag that one", body = Problem)))]
pub async fn add_tag(
    State(st): State<AppState>,
    ctx: OrgCtx,
    Path(ids): Path<(String, String)>,
    ApiJson(req): ApiJson<TagReq>,
) -> ApiResult<StatusCode> {
    persons::add_tag(&st.svc, &ctx.access, parse_id(&ids.1)?, &req.tag).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[utoipa::path(delete, path = "/api/v1/orgs/{org_id}/persons/{person_id}/tags/{tag}", tag = "persons",
    params(("org_id" = String, Path), ("person_id" = String, Path), ("tag" = String, Path)), security(("bearer" = []), ("session" = [])),
    responses((status = 204), (status = 404, body = Problem), (status = 422, description = "The tag in the path is not a valid one", body = Problem)))]
pub async fn remove_tag(
    State(st): State<AppState>,
    ctx: OrgCtx,
    Path(ids): Path<(String, String, String)>,
) -> ApiResult<StatusCode> {
    persons::remove_tag(&st.svc, &ctx.access, parse_id(&ids.1)?, &ids.2).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MergeReq {
    /// The person merged into this one (kept, pointing here, so undo can restore it).
    pub merged_id: String,
    pub reason: Option<String>,
}

/// Merges another person into this one (owners and admins); logged and undoable.
#[utoipa::path(post, path = "/api/v1/orgs/{org_id}/persons/{person_id}/merge", tag = "persons", request_body = MergeReq,
    params(("org_id" = String, Path), ("person_id" = String, Path)), security(("bearer" = []), ("session" = [])),
    responses((status = 201, body = MergeDto), (status = 403, body = Problem), (status = 404, body = Problem), (status = 409, body = Problem)))]
pub async fn merge_person(
    State(st): State<AppState>,
    ctx: OrgCtx,
    Path(ids): Path<(String, String)>,
    ApiJson(req): ApiJson<MergeReq>,
) -> ApiResult<(StatusCode, Json<MergeDto>)> {
    let m = persons::merge(
        &st.svc,
        &ctx.access,
        parse_id(&ids.1)?,
        parse_id(&req.merged_id)?,
        req.reason.as_deref().unwrap_or(""),
    )
    .await?;
    Ok((StatusCode::CREATED, Json(MergeDto::from(&m))))
}

/// Undoes a merge: everything it moved goes back (owners and admins).
#[utoipa::path(post, path = "/api/v1/orgs/{org_id}/merges/{merge_id}/undo", tag = "persons",
    params(("org_id" = String, Path), ("merge_id" = String, Path)), security(("bearer" = []), ("session" = [])),
    responses((status = 204), (status = 404, body = Problem), (status = 409, body = Problem)))]
pub async fn undo_merge(
    State(st): State<AppState>,
    ctx: OrgCtx,
    Path(ids): Path<(String, String)>,
) -> ApiResult<StatusCode> {
    persons::undo_merge(&st.svc, &ctx.access, parse_id(&ids.1)?).await?;
    Ok(StatusCode::NO_CONTENT)
}

// ---------------------------------------------------------------------------------
// Notifications
