//! Campaign pages: the list with the composer, and one campaign with its
//! preflight, the plan, each staff member's share and the results.

use super::super::console::Console;
use super::super::{CsrfOnly, PageResult, check_csrf, form_error, path_id, render_form, saved};
use super::tag_list;
use crate::AppState;
use crate::error::ApiError;
use askama::Template;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Redirect};
use axum::routing::{get, post};
use axum::{Form, Router};
use quan_core::reach::campaigns::{self, CampaignDetail, NewCampaign, Preflight};
use quan_core::reach::{self as reach};
use quan_core::{CampaignRecord, PageRequest, Segment};
use quan_domain::CampaignId;
use serde::Deserialize;

pub(super) fn router() -> Router<AppState> {
    Router::new()
        .route(
            "/console/{org_id}/campaigns",
            get(campaigns_page).post(campaign_create),
        )
        .route(
            "/console/{org_id}/campaigns/{campaign_id}",
            get(campaign_page),
        )
        .route(
            "/console/{org_id}/campaigns/{campaign_id}/send",
            post(campaign_send),
        )
        .route(
            "/console/{org_id}/campaigns/{campaign_id}/confirm",
            post(campaign_confirm),
        )
        .route(
            "/console/{org_id}/campaigns/{campaign_id}/schedule",
            post(campaign_schedule),
        )
}

#[derive(Template)]
#[template(path = "console_campaigns.html")]
struct CampaignsPage<'a> {
    k: &'a Console,
    /// Owners, admins and operators compose campaigns.
    manage: bool,
    items: &'a [CampaignRecord],
    next: Option<&'a str>,
    form: CampaignForm,
    error: Option<&'a str>,
    /// Channels offered: e-mail when the node has an SMTP server, the webhook when
    /// the org has one.
    can_email: bool,
    can_webhook: bool,
    /// Chat rooms the caller may send a campaign to (of circles they belong to).
    rooms: &'a [quan_core::RoomTarget],
}

impl CampaignsPage<'_> {
    fn status(&self, code: &str) -> String {
        self.k.c.word("campaign_status", code).to_owned()
    }
}

#[derive(Deserialize, Default, Clone)]
struct CampaignForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    template: String,
    #[serde(default)]
    tags_any: String,
    #[serde(default)]
    tags_none: String,
    #[serde(default)]
    link_url: String,
    #[serde(default)]
    link_title: String,
    /// Checkboxes: present when ticked.
    #[serde(default)]
    email: Option<String>,
    #[serde(default)]
    webhook: Option<String>,
    /// A chat room instead of customers (its id), or empty.
    #[serde(default)]
    room: String,
}

async fn campaigns_view(
    st: &AppState,
    k: &Console,
    form: CampaignForm,
    error: Option<String>,
) -> PageResult {
    let page = campaigns::list(&st.svc, &k.access, &PageRequest::first(50))
        .await
        .map_err(ApiError::from)?;
    let offered = quan_core::reach::delivery::channels(&st.svc, &k.access)
        .await
        .map_err(ApiError::from)?;
    let rooms = quan_core::reach::rooms::choices(&st.svc, &k.access)
        .await
        .map_err(ApiError::from)?;
    Ok(render_form(
        &CampaignsPage {
            k,
            manage: reach::sees_all(&k.access),
            items: &page.items,
            next: page.next.as_deref(),
            form,
            error: error.as_deref(),
            can_email: offered.email,
            can_webhook: offered.webhook,
            rooms: &rooms,
        },
        error.is_some(),
    ))
}

async fn campaigns_page(State(st): State<AppState>, k: Console) -> PageResult {
    campaigns_view(&st, &k, CampaignForm::default(), None).await
}

async fn campaign_create(
    State(st): State<AppState>,
    k: Console,
    Form(f): Form<CampaignForm>,
) -> PageResult {
    check_csrf(&k.c, &f.csrf)?;
    let n = NewCampaign {
        name: f.name.clone(),
        template: f.template.clone(),
        segment: Segment {
            tags_any: tag_list(&f.tags_any),
            tags_none: tag_list(&f.tags_none),
            rooms: Some(f.room.trim())
                .filter(|r| !r.is_empty())
                .map(path_id)
                .transpose()?
                .into_iter()
                .collect(),
            ..Segment::default()
        },
        channels: quan_core::Channels {
            email: f.email.is_some(),
            webhook: f.webhook.is_some(),
        },
        link: Some(f.link_url.trim())
            .filter(|u| !u.is_empty())
            .map(|u| quan_core::LinkCard {
                url: u.to_owned(),
                title: f.link_title.clone(),
            }),
    };
    match campaigns::create(&st.svc, &k.access, n).await {
        Ok(c) => Ok(Redirect::to(&format!("{}/campaigns/{}", k.base(), c.id)).into_response()),
        Err(e) => {
            let msg = form_error(&k.c, e.into())?;
            campaigns_view(&st, &k, f, Some(msg)).await
        }
    }
}

#[derive(Template)]
#[template(path = "console_campaign.html")]
struct CampaignPage<'a> {
    k: &'a Console,
    d: &'a CampaignDetail,
    /// A draft's preflight.
    pre: Option<Preflight>,
    /// The caller's own share, if unconfirmed.
    my_share: Option<i64>,
    /// The org's time zone, for the schedule form.
    zone: String,
    /// A refused schedule's time, as typed.
    at: String,
    /// A room campaign's share waits for the end of quiet hours (now inside them).
    room_quiet: Option<quan_domain::Timestamp>,
    error: Option<&'a str>,
}

impl CampaignPage<'_> {
    fn status(&self, code: &str) -> String {
        self.k.c.word("campaign_status", code).to_owned()
    }
    /// When a scheduled campaign plans itself (nothing for a draft).
    fn scheduled_for(&self) -> Option<quan_domain::Timestamp> {
        self.d
            .campaign
            .scheduled_for
            .filter(|_| self.d.campaign.status == quan_core::CampaignStatus::Scheduled)
    }
    /// The message as one customer would read it, from the caller as staff; in a
    /// room, as its first room reads it (`{{name}}` is the circle).
    fn example(&self) -> String {
        let planned = self.d.rooms.first().map(|r| &r.target);
        let previewed = self.pre.as_ref().and_then(|p| p.rooms.first());
        let name = planned
            .or(previewed)
            .map_or(self.k.c.t("reach.example_name"), |r| r.circle_name.as_str());
        quan_domain::Template::parse(&self.d.campaign.template)
            .map(|t| t.render(name, self.k.c.user_name()))
            .unwrap_or_default()
    }
    /// Rooms a room campaign posted in.
    fn rooms_posted(&self) -> usize {
        self.d.rooms.iter().filter(|r| r.message.is_some()).count()
    }
}

async fn campaign_view(
    st: &AppState,
    k: &Console,
    id: &str,
    error: Option<String>,
    at: Option<String>,
) -> PageResult {
    let id = path_id::<CampaignId>(id)?;
    let d = campaigns::get(&st.svc, &k.access, id)
        .await
        .map_err(ApiError::from)?;
    let open = matches!(
        d.campaign.status,
        quan_core::CampaignStatus::Draft | quan_core::CampaignStatus::Scheduled
    );
    let pre = if open && reach::sees_all(&k.access) {
        Some(
            campaigns::preflight(&st.svc, &k.access, id)
                .await
                .map_err(ApiError::from)?,
        )
    } else {
        None
    };
    let my_share = d
        .shares
        .iter()
        .find(|s| s.staff_id == k.access.account() && s.confirmed_at.is_none())
        .filter(|_| d.campaign.status == quan_core::CampaignStatus::Confirming)
        .map(|s| s.recipients);
    let policy = reach::policy_now(&st.svc, k.access.org())
        .await
        .map_err(ApiError::from)?;
    let zone = policy.zone.name().to_owned();
    let room_quiet = policy
        .quiet_until(quan_core::Clock::now(st.svc.clock.as_ref()))
        .filter(|_| quan_core::reach::rooms::to_rooms(&d.campaign.segment));
    Ok(render_form(
        &CampaignPage {
            k,
            d: &d,
            pre,
            my_share,
            zone,
            at: at.unwrap_or_default(),
            room_quiet,
            error: error.as_deref(),
        },
        error.is_some(),
    ))
}

#[derive(Deserialize)]
struct ScheduleForm {
    csrf: String,
    /// A datetime-local value in the org's zone; absent, take the schedule back.
    #[serde(default)]
    at: Option<String>,
}

async fn campaign_schedule(
    State(st): State<AppState>,
    k: Console,
    Path((_, id)): Path<(String, String)>,
    Form(f): Form<ScheduleForm>,
) -> PageResult {
    check_csrf(&k.c, &f.csrf)?;
    let cid = path_id::<CampaignId>(&id)?;
    let result = match f.at.as_deref() {
        None => campaigns::schedule(&st.svc, &k.access, cid, None).await,
        Some(raw) => match reach::policy_now(&st.svc, k.access.org()).await {
            Ok(p) => match p.zone.at_local(raw) {
                Ok(at) => campaigns::schedule(&st.svc, &k.access, cid, Some(at)).await,
                Err(e) => Err(e.into()),
            },
            Err(e) => Err(e),
        },
    };
    match result {
        Ok(_) => Ok(saved(&format!("{}/campaigns/{id}", k.base()))),
        Err(e) => {
            let msg = form_error(&k.c, e.into())?;
            campaign_view(&st, &k, &id, Some(msg), f.at).await
        }
    }
}

async fn campaign_page(
    State(st): State<AppState>,
    k: Console,
    Path((_, id)): Path<(String, String)>,
) -> PageResult {
    campaign_view(&st, &k, &id, None, None).await
}

async fn campaign_send(
    State(st): State<AppState>,
    k: Console,
    Path((_, id)): Path<(String, String)>,
    Form(f): Form<CsrfOnly>,
) -> PageResult {
    check_csrf(&k.c, &f.csrf)?;
    match campaigns::send(&st.svc, &k.access, path_id(&id)?).await {
        Ok(_) => Ok(saved(&format!("{}/campaigns/{id}", k.base()))),
        Err(e) => {
            let msg = form_error(&k.c, e.into())?;
            campaign_view(&st, &k, &id, Some(msg), None).await
        }
    }
}

async fn campaign_confirm(
    State(st): State<AppState>,
    k: Console,
    Path((_, id)): Path<(String, String)>,
    Form(f): Form<CsrfOnly>,
) -> PageResult {
    check_csrf(&k.c, &f.csrf)?;
    let actor = k.c.actor.as_ref().ok_or_else(ApiError::not_found)?;
    match campaigns::confirm(&st.svc, actor, &k.access, path_id(&id)?).await {
        Ok(_) => Ok(saved(&format!("{}/campaigns/{id}", k.base()))),
        Err(e) => {
            let msg = form_error(&k.c, e.into())?;
            campaign_view(&st, &k, &id, Some(msg), None).await
        }
    }
}
