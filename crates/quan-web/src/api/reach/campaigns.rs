//! Campaign endpoints: compose, preflight, send (plan), confirm a share, results.

use crate::AppState;
use crate::api::common::{PageQuery, parse_id};
use crate::api::reach::rooms::{CampaignRoomDto, RoomTargetDto, room_dto, target_dto};
use crate::error::{ApiResult, Problem};
use crate::extract::{ApiJson, ApiQuery, OrgCtx};
use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use quan_core::reach::campaigns::{self, CampaignDetail, NewCampaign, Preflight};
use quan_core::{CampaignRecord, PlanCounts, Segment};
use quan_domain::{AccountId, ParseError};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_campaigns, create_campaign))
        .routes(routes!(get_campaign))
        .routes(routes!(preflight_campaign))
        .routes(routes!(send_campaign))
        .routes(routes!(schedule_campaign, unschedule_campaign))
        .routes(routes!(confirm_share))
}

/// Who a campaign is for; empty lists do not filter.
#[derive(Debug, Default, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SegmentDto {
    /// Customers with every one of these tags.
    #[serde(default)]
    pub tags_all: Vec<String>,
    /// With at least one of these.
    #[serde(default)]
    pub tags_any: Vec<String>,
    /// With none of these.
    #[serde(default)]
    pub tags_none: Vec<String>,
    /// Lifecycle stages: visitor, follower, engaged, customer, repeat_customer, advocate, churned.
    #[serde(default)]
    pub stages: Vec<String>,
    /// Customers of these staff members (account ids).
    #[serde(default)]
    pub staff: Vec<String>,
    /// Active members of this circle.
    #[serde(default)]
    pub circle: Option<String>,
    /// Became a contact at or after this instant (ms).
    #[serde(default)]
    pub added_from: Option<i64>,
    /// …and before this one.
    #[serde(default)]
    pub added_to: Option<i64>,
    /// Circle chat rooms instead of customers (room ids, at most 20): one message
    /// in each, at most one campaign message per room a day, posted by the
    /// campaign's author when they confirm. Names no customer filter.
    #[serde(default)]
    pub rooms: Vec<String>,
}

impl SegmentDto {
    pub(crate) fn parse(self) -> ApiResult<Segment> {
        let bound = |n: usize| n > campaigns::SEGMENT_LIST_MAX;
        if bound(self.staff.len()) || bound(self.stages.len()) {
            return Err(crate::error::ApiError::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "too_many",
                "at most 20 per list",
            ));
        }
        Ok(Segment {
            tags_all: self.tags_all,
            tags_any: self.tags_any,
            tags_none: self.tags_none,
            stages: self.stages,
            staff: self
                .staff
                .iter()
                .map(|s| parse_id::<AccountId>(s))
                .collect::<ApiResult<_>>()?,
            circle: self.circle.as_deref().map(parse_id).transpose()?,
            added_from: self.added_from,
            added_to: self.added_to,
            rooms: self
                .rooms
                .iter()
                .map(|r| parse_id(r))
                .collect::<ApiResult<_>>()?,
        })
    }
    fn of(s: &Segment) -> Self {
        Self {
            tags_all: s.tags_all.clone(),
            tags_any: s.tags_any.clone(),
            tags_none: s.tags_none.clone(),
            stages: s.stages.clone(),
            staff: s.staff.iter().map(ToString::to_string).collect(),
            circle: s.circle.map(|c| c.to_string()),
            added_from: s.added_from,
            added_to: s.added_to,
            rooms: s.rooms.iter().map(ToString::to_string).collect(),
        }
    }
}

#[derive(Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct CountsDto {
    /// Customers who will receive it.
    pub recipients: i64,
    /// Over their touch budget for the period.
    pub over_budget: i64,
    /// Reached by the same staff member today already.
    pub staff_daily: i64,
    pub opted_out: i64,
    /// Recipients who hear from another staff member (the one they last talked with).
    pub routed: i64,
    /// Of the over-budget, those held back only because they asked for at most one
    /// message a week and had it.
    #[serde(default)]
    pub weekly: i64,
}

fn counts(c: &PlanCounts) -> CountsDto {
    CountsDto {
        recipients: c.recipients,
        over_budget: c.over_budget,
        staff_daily: c.staff_daily,
        opted_out: c.opted_out,
        routed: c.routed,
        weekly: c.weekly,
    }
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct ShareDto {
    pub staff_id: String,
    pub staff_name: String,
    pub recipients: i64,
    pub confirmed_at: Option<i64>,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct CampaignDto {
    pub id: String,
    pub name: String,
    pub template: String,
    pub segment: SegmentDto,
    /// draft, scheduled, planning, confirming (waiting for staff shares), sent, or
    /// paused (by its negative feedback).
    pub status: String,
    pub created_at: i64,
    /// When a scheduled campaign plans itself.
    pub scheduled_for: Option<i64>,
    /// When its messages show: the plan's time, or the end of quiet hours.
    pub send_at: Option<i64>,
    pub counts: CountsDto,
    pub shares: Vec<ShareDto>,
    /// Messages delivered and read so far.
    pub delivered: i64,
    pub read: i64,
    /// Customers who deleted their staff member or opted out within 48 h of it.
    pub negatives: i64,
    /// Outside channels it also goes out on: `email`, `webhook`.
    pub channels: Vec<String>,
    pub link: Option<LinkDto>,
    /// Messages whose link was opened (each counted once).
    pub clicked: i64,
    pub email: TallyDto,
    pub webhook: TallyDto,
    /// A room campaign's rooms and what became of each.
    pub rooms: Vec<CampaignRoomDto>,
}

/// A link card: the title shown and where a click leads (through `/l/{message}`,
/// which counts it).
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LinkDto {
    pub url: String,
    #[serde(default)]
    pub title: String,
}

/// How one outside channel's deliveries went.
#[derive(Debug, Default, Serialize, Deserialize, ToSchema)]
pub struct TallyDto {
    pub pending: i64,
    pub sent: i64,
    /// Refused by the other side, or out of tries.
    pub failed: i64,
    /// Not sent by rule: no address, left or opted out since.
    pub skipped: i64,
}

fn tally(t: &quan_core::ChannelTally) -> TallyDto {
    TallyDto {
        pending: t.pending,
        sent: t.sent,
        failed: t.failed,
        skipped: t.skipped,
    }
}

fn channel_names(c: quan_core::Channels) -> Vec<String> {
    let mut v = Vec::new();
    if c.email {
        v.push("email".to_owned());
    }
    if c.webhook {
        v.push("webhook".to_owned());
    }
    v
}

fn campaign_dto(c: &CampaignRecord, d: Option<&CampaignDetail>) -> CampaignDto {
    CampaignDto {
        id: c.id.to_string(),
        name: c.name.clone(),
        template: c.template.clone(),
        segment: SegmentDto::of(&c.segment),
        status: c.status.as_str().to_owned(),
        created_at: c.created_at.millis(),
        scheduled_for: c.scheduled_for.map(|t| t.millis()),
        send_at: c.send_at.map(|t| t.millis()),
        counts: counts(&c.counts),
        shares: d.map_or_else(Vec::new, |d| {
            d.shares
                .iter()
                .map(|s| ShareDto {
                    staff_id: s.staff_id.to_string(),
                    staff_name: s.staff_name.clone(),
                    recipients: s.recipients,
                    confirmed_at: s.confirmed_at.map(|t| t.millis()),
                })
                .collect()
        }),
        delivered: d.map_or(0, |d| d.results.delivered),
        read: d.map_or(0, |d| d.results.read),
        negatives: d.map_or(0, |d| d.results.negatives),
        channels: channel_names(c.channels),
        link: c.link.as_ref().map(|l| LinkDto {
            url: l.url.clone(),
            title: l.title.clone(),
        }),
        clicked: d.map_or(0, |d| d.results.clicked),
        email: d.map(|d| tally(&d.results.email)).unwrap_or_default(),
        webhook: d.map(|d| tally(&d.results.webhook)).unwrap_or_default(),
        rooms: d.map_or_else(Vec::new, |d| d.rooms.iter().map(room_dto).collect()),
    }
}

fn detail_dto(d: &CampaignDetail) -> CampaignDto {
    campaign_dto(&d.campaign, Some(d))
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct CampaignPageDto {
    pub items: Vec<CampaignDto>,
    pub next: Option<String>,
}

/// The org's campaigns, newest first.
#[utoipa::path(get, path = "/api/v1/orgs/{org_id}/campaigns", tag = "reach",
    params(("org_id" = String, Path), PageQuery), security(("bearer" = []), ("session" = [])),
    responses((status = 200, body = CampaignPageDto)))]
pub async fn list_campaigns(
    State(st): State<AppState>,
    ctx: OrgCtx,
    ApiQuery(q): ApiQuery<PageQuery>,
) -> ApiResult<Json<CampaignPageDto>> {
    let p = campaigns::list(&st.svc, &ctx.access, &q.into_request()?).await?;
    Ok(Json(CampaignPageDto {
        items: p.items.iter().map(|c| campaign_dto(c, None)).collect(),
        next: p.next,
    }))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CampaignReq {
    pub name: String,
    /// The message, with `{{name}}` and `{{staff}}`.
    pub template: String,
    #[serde(default)]
    pub segment: SegmentDto,
    /// Outside channels besides the member app: `email` (needs `[smtp]`),
    /// `webhook` (needs the org's reach webhook).
    #[serde(default)]
    pub channels: Vec<String>,
    #[serde(default)]
    pub link: Option<LinkDto>,
}

/// The channels a request names, each known.
pub(crate) fn parse_channels(names: &[String]) -> Result<quan_core::Channels, ParseError> {
    let mut c = quan_core::Channels::default();
    for n in names {
        match quan_core::Channel::parse(n.trim()) {
            Some(quan_core::Channel::Email) => c.email = true,
            Some(quan_core::Channel::Webhook) => c.webhook = true,
            None => {
                return Err(ParseError::new(
                    "channels",
                    "invalid_channel",
                    "email or webhook",
                ));
            }
        }
    }
    Ok(c)
}

/// Composes a campaign (a draft: nothing is sent until it is planned and confirmed).
#[utoipa::path(post, path = "/api/v1/orgs/{org_id}/campaigns", tag = "reach", request_body = CampaignReq,
    params(("org_id" = String, Path)), security(("bearer" = []), ("session" = [])),
    responses((status = 201, body = CampaignDto), (status = 403, body = Problem), (status = 409, body = Problem), (status = 422, body = Problem)))]
pub async fn create_campaign(
    State(st): State<AppState>,
    ctx: OrgCtx,
    ApiJson(req): ApiJson<CampaignReq>,
) -> ApiResult<(StatusCode, Json<CampaignDto>)> {
    let segment = req.segment.parse()?;
    let c = campaigns::create(
        &st.svc,
        &ctx.access,
        NewCampaign {
            name: req.name,
            template: req.template,
            segment,
            channels: parse_channels(&req.channels)?,
            link: req.link.map(|l| quan_core::LinkCard {
                url: l.url,
                title: l.title,
            }),
        },
    )
    .await?;
    Ok((StatusCode::CREATED, Json(campaign_dto(&c, None))))
}

/// One campaign with its shares and results.
#[utoipa::path(get, path = "/api/v1/orgs/{org_id}/campaigns/{campaign_id}", tag = "reach",
    params(("org_id" = String, Path), ("campaign_id" = String, Path)), security(("bearer" = []), ("session" = [])),
    responses((status = 200, body = CampaignDto), (status = 404, body = Problem)))]
pub async fn get_campaign(
    State(st): State<AppState>,
    ctx: OrgCtx,
    Path(ids): Path<(String, String)>,
) -> ApiResult<Json<CampaignDto>> {
    let d = campaigns::get(&st.svc, &ctx.access, parse_id(&ids.1)?).await?;
    Ok(Json(detail_dto(&d)))
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct PreflightDto {
    /// For a room campaign: `recipients` are the rooms it would post in and
    /// `over_budget` those that had their campaign message today.
    pub counts: CountsDto,
    /// A room campaign's rooms (empty for one to customers).
    pub rooms: Vec<RoomTargetDto>,
    /// When the messages would show.
    pub send_at: i64,
    /// Whether quiet hours hold them until `send_at`.
    pub quiet: bool,
    /// When the over-budget customers can be reached again.
    pub budget_opens: i64,
    /// When those reached by the same staff member today can be again.
    pub staff_opens: i64,
    /// When those who asked for at most one message a week can be again (the next
    /// Monday in the org's time zone).
    pub week_opens: i64,
}

fn preflight_dto(p: &Preflight) -> PreflightDto {
    PreflightDto {
        counts: counts(&p.counts),
        rooms: p.rooms.iter().map(target_dto).collect(),
        send_at: p.send_at.millis(),
        quiet: p.quiet,
        budget_opens: p.budget_opens.millis(),
        staff_opens: p.staff_opens.millis(),
        week_opens: p.week_opens.millis(),
    }
}

/// Exactly what sending now would do: who receives, who is over budget (and when
/// they next can), opted out, held by quiet hours, or routed to another staff member.
#[utoipa::path(post, path = "/api/v1/orgs/{org_id}/campaigns/{campaign_id}/preflight", tag = "reach",
    params(("org_id" = String, Path), ("campaign_id" = String, Path)), security(("bearer" = []), ("session" = [])),
    responses((status = 200, body = PreflightDto), (status = 403, body = Problem), (status = 404, body = Problem)))]
pub async fn preflight_campaign(
    State(st): State<AppState>,
    ctx: OrgCtx,
    Path(ids): Path<(String, String)>,
) -> ApiResult<Json<PreflightDto>> {
    let p = campaigns::preflight(&st.svc, &ctx.access, parse_id(&ids.1)?).await?;
    Ok(Json(preflight_dto(&p)))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ScheduleReq {
    /// When to plan it, in milliseconds since the epoch: a minute to 90 days ahead.
    pub at: i64,
}

/// Schedules a draft: it plans itself at `at` (its staff then confirm their shares).
#[utoipa::path(put, path = "/api/v1/orgs/{org_id}/campaigns/{campaign_id}/schedule", tag = "reach",
    request_body = ScheduleReq,
    params(("org_id" = String, Path), ("campaign_id" = String, Path)), security(("bearer" = []), ("session" = [])),
    responses((status = 200, body = CampaignDto), (status = 403, body = Problem), (status = 404, body = Problem),
        (status = 409, body = Problem, description = "not a draft"), (status = 422, body = Problem)))]
pub async fn schedule_campaign(
    State(st): State<AppState>,
    ctx: OrgCtx,
    Path(ids): Path<(String, String)>,
    ApiJson(req): ApiJson<ScheduleReq>,
) -> ApiResult<Json<CampaignDto>> {
    let at = quan_domain::Timestamp::from_millis(req.at);
    let c = campaigns::schedule(&st.svc, &ctx.access, parse_id(&ids.1)?, Some(at)).await?;
    Ok(Json(campaign_dto(&c, None)))
}

/// Takes a schedule back: a draft again.
#[utoipa::path(delete, path = "/api/v1/orgs/{org_id}/campaigns/{campaign_id}/schedule", tag = "reach",
    params(("org_id" = String, Path), ("campaign_id" = String, Path)), security(("bearer" = []), ("session" = [])),
    responses((status = 200, body = CampaignDto), (status = 403, body = Problem), (status = 404, body = Problem),
        (status = 409, body = Problem, description = "not scheduled")))]
pub async fn unschedule_campaign(
    State(st): State<AppState>,
    ctx: OrgCtx,
    Path(ids): Path<(String, String)>,
) -> ApiResult<Json<CampaignDto>> {
    let c = campaigns::schedule(&st.svc, &ctx.access, parse_id(&ids.1)?, None).await?;
    Ok(Json(campaign_dto(&c, None)))
}

/// Plans the campaign against the touch ledger and splits it into staff shares.
#[utoipa::path(post, path = "/api/v1/orgs/{org_id}/campaigns/{campaign_id}/send", tag = "reach",
    params(("org_id" = String, Path), ("campaign_id" = String, Path)), security(("bearer" = []), ("session" = [])),
    responses((status = 200, body = CampaignDto), (status = 403, body = Problem), (status = 404, body = Problem), (status = 409, body = Problem), (status = 422, body = Problem)))]
pub async fn send_campaign(
    State(st): State<AppState>,
    ctx: OrgCtx,
    Path(ids): Path<(String, String)>,
) -> ApiResult<Json<CampaignDto>> {
    let d = campaigns::send(&st.svc, &ctx.access, parse_id(&ids.1)?).await?;
    Ok(Json(detail_dto(&d)))
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct ConfirmedDto {
    /// Messages that went out with this share.
    pub sent: i64,
}

/// The calling staff member confirms their share: its messages go out.
#[utoipa::path(post, path = "/api/v1/orgs/{org_id}/campaigns/{campaign_id}/confirm", tag = "reach",
    params(("org_id" = String, Path), ("campaign_id" = String, Path)), security(("bearer" = []), ("session" = [])),
    responses((status = 200, body = ConfirmedDto), (status = 404, body = Problem), (status = 409, body = Problem)))]
pub async fn confirm_share(
    State(st): State<AppState>,
    ctx: OrgCtx,
    Path(ids): Path<(String, String)>,
) -> ApiResult<Json<ConfirmedDto>> {
    let sent = campaigns::confirm(&st.svc, &ctx.actor, &ctx.access, parse_id(&ids.1)?).await?;
    Ok(Json(ConfirmedDto { sent }))
}
