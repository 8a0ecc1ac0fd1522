//! Reach pages. Member app: a channel code's landing page, the conversations list
//! and one conversation (reply, leave, opt out). Console: customers with each staff
//! member's use of the cap and the channel codes (with QR); one conversation with
//! the customer beside it. Campaigns, journeys, moments, transfers, auto-replies,
//! the CSV import, the touch policy and the consent centre have their own modules.

use super::console::Console;
use super::{
    Chrome, CsrfOnly, PageError, PageResult, check_csrf, form_error, path_id, render, render_form,
    require_user, saved,
};
use crate::AppState;
use crate::error::ApiError;
use askama::Template;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Redirect};
use axum::routing::{get, post};
use axum::{Form, Router};
use quan_core::reach::conversations as conv;
use quan_core::reach::{self as reach, codes};
use quan_core::{ChannelCodeRecord, ContactRecord, PageRequest, ReachMessageRecord, StaffLoad};
use quan_domain::{AccountId, ContactId, Shift};
use serde::Deserialize;

/// A piece of a message body: text, or a web address with the words it shows.
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct Part<'a> {
    pub text: &'a str,
    pub href: Option<&'a str>,
}

/// A message body cut into text and web addresses, so a page links the addresses
/// and escapes all of it (only http(s) addresses become links). An address alone
/// on its line under a title line shows the title when `cards` (a campaign's
/// message, whose card Quan wrote); elsewhere the address shows as itself, so no
/// one can hide where a link goes behind words.
pub(crate) fn linked(body: &str, cards: bool) -> Vec<Part<'_>> {
    let mut out = Vec::new();
    let mut rest = body;
    while let Some(i) = ["https://", "http://"]
        .iter()
        .filter_map(|p| rest.find(p))
        .min()
    {
        let end = rest[i..]
            .find(char::is_whitespace)
            .map_or(rest.len(), |e| i + e);
        let href = &rest[i..end];
        let mut before = &rest[..i];
        let mut text = href;
        let alone =
            cards && before.ends_with('\n') && rest[end..].chars().next().is_none_or(|c| c == '\n');
        if alone {
            let above = &before[..before.len() - 1];
            let line_start = above.rfind('\n').map_or(0, |n| n + 1);
            let title = &above[line_start..];
            if !title.trim().is_empty() && title.chars().count() <= 80 {
                text = title;
                before = &above[..line_start];
            }
        }
        if !before.is_empty() {
            out.push(Part {
                text: before,
                href: None,
            });
        }
        out.push(Part {
            text,
            href: Some(href),
        });
        rest = &rest[end..];
    }
    if !rest.is_empty() {
        out.push(Part {
            text: rest,
            href: None,
        });
    }
    out
}

mod auto;
mod campaigns;
mod delivery;
mod import;
mod journeys;
mod moments;
mod policy;
mod privacy;
mod transfers;

pub(crate) fn router() -> Router<AppState> {
    Router::new()
        .merge(transfers::router())
        .merge(policy::router())
        .merge(import::router())
        .merge(auto::router())
        .merge(moments::router())
        .merge(journeys::router())
        .merge(campaigns::router())
        .merge(privacy::router())
        .merge(delivery::router())
        .route("/r/{slug}", get(code_page).post(code_open))
        .route("/app/conversations", get(inbox_page))
        .route(
            "/app/conversations/{id}",
            get(thread_page).post(thread_reply),
        )
        .route("/app/conversations/{id}/leave", post(thread_leave))
        .route("/app/conversations/{id}/consent", post(thread_consent))
        .route("/app/transfers/{id}/refuse", post(transfer_refuse))
        .route("/console/{org_id}/customers", get(customers_page))
        .route(
            "/console/{org_id}/customers/codes",
            get(back_to_customers).post(code_create),
        )
        .route(
            "/console/{org_id}/customers/{contact_id}",
            get(staff_thread).post(staff_reply),
        )
}

/// Words for a stage code.
fn stage<'a>(c: &'a Chrome, code: &'a str) -> &'a str {
    c.word("stages", code)
}

#[derive(Template)]
#[template(path = "app_code.html")]
struct CodePage<'a> {
    c: &'a Chrome,
    code: &'a ChannelCodeRecord,
    org_name: &'a str,
    error: Option<&'a str>,
}

async fn code_page(State(st): State<AppState>, c: Chrome, Path(slug): Path<String>) -> PageResult {
    let (code, org_name) = codes::preview(&st.svc, &slug)
        .await
        .map_err(ApiError::from)?;
    Ok(render(&CodePage {
        c: &c,
        code: &code,
        org_name: &org_name,
        error: None,
    }))
}

async fn code_open(
    State(st): State<AppState>,
    c: Chrome,
    Path(slug): Path<String>,
    Form(f): Form<CsrfOnly>,
) -> PageResult {
    check_csrf(&c, &f.csrf)?;
    let actor = require_user(&c)?;
    match codes::open(&st.svc, actor, &slug).await {
        Ok(contact) => {
            Ok(Redirect::to(&format!("/app/conversations/{}", contact.id)).into_response())
        }
        Err(e) => {
            let msg = form_error(&c, e.into())?;
            let (code, org_name) = codes::preview(&st.svc, &slug)
                .await
                .map_err(ApiError::from)?;
            Ok(render_form(
                &CodePage {
                    c: &c,
                    code: &code,
                    org_name: &org_name,
                    error: Some(&msg),
                },
                true,
            ))
        }
    }
}

#[derive(Template)]
#[template(path = "app_conversations.html")]
struct InboxPage<'a> {
    c: &'a Chrome,
    items: &'a [ContactRecord],
    /// Handovers the member may still refuse.
    transfers: &'a [quan_core::TransferRecord],
}

async fn inbox_page(State(st): State<AppState>, c: Chrome) -> PageResult {
    let actor = require_user(&c)?;
    let items = conv::inbox(&st.svc, actor).await.map_err(ApiError::from)?;
    let transfers = quan_core::reach::transfers::mine(&st.svc, actor)
        .await
        .map_err(ApiError::from)?;
    Ok(render(&InboxPage {
        c: &c,
        items: &items,
        transfers: &transfers,
    }))
}

async fn transfer_refuse(
    State(st): State<AppState>,
    c: Chrome,
    Path(id): Path<String>,
    Form(f): Form<CsrfOnly>,
) -> PageResult {
    check_csrf(&c, &f.csrf)?;
    let actor = require_user(&c)?;
    quan_core::reach::transfers::refuse(&st.svc, actor, path_id(&id)?)
        .await
        .map_err(ApiError::from)?;
    Ok(saved("/app/conversations"))
}

#[derive(Template)]
#[template(path = "app_conversation.html")]
struct ThreadPage<'a> {
    c: &'a Chrome,
    contact: &'a ContactRecord,
    /// Oldest first, as a conversation reads.
    messages: Vec<&'a ReachMessageRecord>,
    opted_out: bool,
    me: AccountId,
    draft: &'a str,
    error: Option<&'a str>,
}

async fn thread_view(
    st: &AppState,
    c: &Chrome,
    id: &str,
    draft: &str,
    error: Option<String>,
) -> PageResult {
    let actor = require_user(c)?;
    let (contact, msgs) = conv::my_messages(&st.svc, actor, path_id::<ContactId>(id)?, None)
        .await
        .map_err(ApiError::from)?;
    let opted_out = conv::opted_out(&st.svc, actor, contact.org_id)
        .await
        .map_err(ApiError::from)?;
    Ok(render_form(
        &ThreadPage {
            c,
            contact: &contact,
            messages: msgs.iter().rev().collect(),
            opted_out,
            me: actor.account_id(),
            draft,
            error: error.as_deref(),
        },
        error.is_some(),
    ))
}

async fn thread_page(State(st): State<AppState>, c: Chrome, Path(id): Path<String>) -> PageResult {
    thread_view(&st, &c, &id, "", None).await
}

#[derive(Deserialize)]
struct BodyForm {
    csrf: String,
    body: String,
}

async fn thread_reply(
    State(st): State<AppState>,
    c: Chrome,
    Path(id): Path<String>,
    Form(f): Form<BodyForm>,
) -> PageResult {
    check_csrf(&c, &f.csrf)?;
    let actor = require_user(&c)?;
    match conv::reply(&st.svc, actor, path_id(&id)?, &f.body).await {
        Ok(_) => Ok(Redirect::to(&format!("/app/conversations/{id}")).into_response()),
        Err(e) => {
            let msg = form_error(&c, e.into())?;
            thread_view(&st, &c, &id, &f.body, Some(msg)).await
        }
    }
}

async fn thread_leave(
    State(st): State<AppState>,
    c: Chrome,
    Path(id): Path<String>,
    Form(f): Form<CsrfOnly>,
) -> PageResult {
    check_csrf(&c, &f.csrf)?;
    let actor = require_user(&c)?;
    conv::leave(&st.svc, actor, path_id(&id)?)
        .await
        .map_err(ApiError::from)?;
    Ok(saved("/app/conversations"))
}

#[derive(Deserialize)]
struct ConsentForm {
    csrf: String,
    opted_out: Option<String>,
}

async fn thread_consent(
    State(st): State<AppState>,
    c: Chrome,
    Path(id): Path<String>,
    Form(f): Form<ConsentForm>,
) -> PageResult {
    check_csrf(&c, &f.csrf)?;
    let actor = require_user(&c)?;
    let (contact, _) = conv::my_messages(&st.svc, actor, path_id(&id)?, None)
        .await
        .map_err(ApiError::from)?;
    conv::set_opt_out(&st.svc, actor, contact.org_id, f.opted_out.is_some())
        .await
        .map_err(ApiError::from)?;
    Ok(saved(&format!("/app/conversations/{id}")))
}

#[derive(Template)]
#[template(path = "console_customers.html")]
struct CustomersPage<'a> {
    k: &'a Console,
    contacts: &'a [ContactRecord],
    next: Option<&'a str>,
    loads: &'a [StaffLoad],
    cap: i64,
    codes: Vec<(&'a ChannelCodeRecord, String)>,
    /// Staff to pick for a code: (id, name).
    staff: &'a [StaffLoad],
    manage: bool,
    /// Owners and admins hand customers over.
    can_transfer: bool,
    form: CodeForm,
    error: Option<&'a str>,
}

impl CustomersPage<'_> {
    fn stage(&self, code: &str) -> String {
        stage(&self.k.c, code).to_owned()
    }
    /// Negatives per delivered campaign message, as a percentage with one decimal
    /// (integer arithmetic: tenths of a percent).
    fn rate(&self, negatives: &i64, delivered: &i64) -> String {
        negative_rate(*negatives, *delivered)
    }
    /// Whether a refused form had this staff member ticked.
    fn picked(&self, id: &AccountId) -> bool {
        self.form.staff.contains(&id.to_string())
    }
    /// The shift a refused form had for this staff member.
    fn shift_of(&self, id: &AccountId) -> &str {
        let id = id.to_string();
        self.form
            .shifts
            .iter()
            .find(|(who, _)| *who == id)
            .map_or("", |(_, h)| h.as_str())
    }
    /// A shift in the page's language.
    fn shift_text(&self, s: &Shift) -> String {
        s.text(self.k.c.lang_code() == "zh-CN")
    }
    /// A staff member's name, for a code's shifts.
    fn staff_name(&self, id: &AccountId) -> &str {
        self.staff
            .iter()
            .find(|s| s.staff_id == *id)
            .map_or("—", |s| s.name.as_str())
    }
}

#[derive(Deserialize, Default, Clone)]
struct CodeForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    staff: Vec<String>,
    #[serde(default)]
    backup: String,
    #[serde(default)]
    tags: String,
    #[serde(default)]
    welcome: String,
    /// (staff id, hours) from the `shift_{id}` fields.
    #[serde(default)]
    shifts: Vec<(String, String)>,
}

async fn customers_view(
    st: &AppState,
    k: &Console,
    form: CodeForm,
    error: Option<String>,
) -> PageResult {
    let page = reach::contacts(&st.svc, &k.access, None, &PageRequest::first(100))
        .await
        .map_err(ApiError::from)?;
    let (loads, cap) = reach::loads(&st.svc, &k.access)
        .await
        .map_err(ApiError::from)?;
    let codes = codes::list(&st.svc, &k.access)
        .await
        .map_err(ApiError::from)?;
    let codes = codes
        .iter()
        .map(|c| {
            (
                c,
                format!("{}{}", k.c.base, crate::api::reach::code_path(&c.slug)),
            )
        })
        .collect();
    Ok(render_form(
        &CustomersPage {
            k,
            contacts: &page.items,
            next: page.next.as_deref(),
            loads: &loads,
            cap,
            codes,
            staff: &loads,
            manage: reach::sees_all(&k.access),
            can_transfer: matches!(
                k.role(),
                quan_domain::Role::Owner | quan_domain::Role::Admin
            ),
            form,
            error: error.as_deref(),
        },
        error.is_some(),
    ))
}

async fn customers_page(State(st): State<AppState>, k: Console) -> PageResult {
    customers_view(&st, &k, CodeForm::default(), None).await
}

impl CodeForm {
    /// A form with repeated `staff` checkboxes, read from its pairs.
    fn from_pairs(pairs: Vec<(String, String)>) -> Self {
        let mut f = Self::default();
        for (k, v) in pairs {
            match k.as_str() {
                "csrf" => f.csrf = v,
                "name" => f.name = v,
                "staff" => f.staff.push(v),
                "backup" => f.backup = v,
                "tags" => f.tags = v,
                "welcome" => f.welcome = v,
                other => {
                    if let Some(who) = other.strip_prefix("shift_") {
                        f.shifts.push((who.to_owned(), v));
                    }
                }
            }
        }
        f
    }
}

/// A reload of a refused code form's page (its URL is the form's): the customers.
async fn back_to_customers(k: Console) -> PageResult {
    Ok(Redirect::to(&format!("{}/customers", k.base())).into_response())
}

async fn code_create(
    State(st): State<AppState>,
    k: Console,
    Form(pairs): Form<Vec<(String, String)>>,
) -> PageResult {
    let f = CodeForm::from_pairs(pairs);
    check_csrf(&k.c, &f.csrf)?;
    let parse = |s: &str| s.parse::<AccountId>().map_err(|_| PageError::NotFound);
    let staff = f
        .staff
        .iter()
        .map(|s| parse(s))
        .collect::<Result<Vec<_>, _>>()?;
    let backup = if f.backup.is_empty() {
        None
    } else {
        Some(parse(&f.backup)?)
    };
    let tags = f
        .tags
        .split([',', '，'])
        .map(str::trim)
        .filter(|t| !t.is_empty())
        .map(str::to_owned)
        .collect();
    // Hours typed for a staff member not ticked are refused, not dropped unseen.
    let mut shifts = Vec::new();
    for (who, hours) in &f.shifts {
        if hours.trim().is_empty() {
            continue;
        }
        let Some(who) = staff.iter().find(|s| s.to_string() == *who) else {
            let e = quan_domain::ParseError::new(
                "shift",
                "invalid_shift",
                "a shift of a staff member not ticked",
            );
            let msg = form_error(&k.c, e.into())?;
            return customers_view(&st, &k, f, Some(msg)).await;
        };
        match Shift::parse(hours) {
            Ok(s) => shifts.push((*who, s)),
            Err(e) => {
                let msg = form_error(&k.c, e.into())?;
                return customers_view(&st, &k, f, Some(msg)).await;
            }
        }
    }
    let r = codes::create(
        &st.svc,
        &k.access,
        codes::NewCode {
            name: f.name.clone(),
            staff,
            shifts,
            backup,
            tags,
            welcome: f.welcome.clone(),
        },
    )
    .await;
    match r {
        Ok(_) => Ok(saved(&format!("{}/customers", k.base()))),
        Err(e) => {
            let msg = form_error(&k.c, e.into())?;
            customers_view(&st, &k, f, Some(msg)).await
        }
    }
}

#[derive(Template)]
#[template(path = "console_conversation.html")]
struct StaffThreadPage<'a> {
    k: &'a Console,
    contact: &'a ContactRecord,
    messages: Vec<&'a ReachMessageRecord>,
    person: &'a reach::PersonReach,
    tags: &'a [String],
    mine: bool,
    draft: &'a str,
    error: Option<&'a str>,
}

impl StaffThreadPage<'_> {
    fn stage(&self, code: &str) -> String {
        stage(&self.k.c, code).to_owned()
    }
    fn event(&self, kind: &str) -> String {
        self.k.c.word("events", kind).to_owned()
    }
    fn event_detail(&self, e: &quan_core::EventRecord) -> String {
        event_detail(&self.k.c, e)
    }
}

/// What a reach event on a person's history says beside its words: the staff
/// member and channel of a contact, the stage, the tag, the journey.
pub(crate) fn event_detail(c: &Chrome, e: &quan_core::EventRecord) -> String {
    let s = |k: &str| {
        e.data
            .get(k)
            .and_then(|v| v.as_str())
            .unwrap_or_default()
            .to_owned()
    };
    match e.kind.as_str() {
        "contact.added" | "contact.removed" => {
            let by = s("code_name");
            if by.is_empty() {
                s("staff_name")
            } else {
                format!("{} · {by}", s("staff_name"))
            }
        }
        "person.stage_changed" => stage(c, &s("stage")).to_owned(),
        "person.tagged" | "person.untagged" => s("tag"),
        "journey.started" => s("name"),
        _ => String::new(),
    }
}

async fn staff_thread_view(
    st: &AppState,
    k: &Console,
    id: &str,
    draft: &str,
    error: Option<String>,
) -> PageResult {
    let (contact, msgs) = conv::staff_messages(&st.svc, &k.access, path_id::<ContactId>(id)?, None)
        .await
        .map_err(ApiError::from)?;
    let person = reach::person_reach(&st.svc, &k.access, contact.person_id)
        .await
        .map_err(ApiError::from)?;
    let tags = st
        .svc
        .store
        .person_tags(contact.person_id)
        .await
        .map_err(|e| ApiError::internal(&e))?;
    Ok(render_form(
        &StaffThreadPage {
            k,
            mine: contact.staff_id == k.access.account(),
            contact: &contact,
            messages: msgs.iter().rev().collect(),
            person: &person,
            tags: &tags,
            draft,
            error: error.as_deref(),
        },
        error.is_some(),
    ))
}

async fn staff_thread(
    State(st): State<AppState>,
    k: Console,
    Path((_, id)): Path<(String, String)>,
) -> PageResult {
    staff_thread_view(&st, &k, &id, "", None).await
}

async fn staff_reply(
    State(st): State<AppState>,
    k: Console,
    Path((_, id)): Path<(String, String)>,
    Form(f): Form<BodyForm>,
) -> PageResult {
    check_csrf(&k.c, &f.csrf)?;
    match conv::staff_send(&st.svc, &k.access, path_id(&id)?, &f.body).await {
        Ok(_) => Ok(Redirect::to(&format!("{}/customers/{id}", k.base())).into_response()),
        Err(e) => {
            let msg = form_error(&k.c, e.into())?;
            staff_thread_view(&st, &k, &id, &f.body, Some(msg)).await
        }
    }
}

/// Negatives per delivered message as a percentage to the nearest tenth (integer
/// arithmetic: 1 of 11 is 9.1 %), with the counts; a dash before any delivery.
pub(super) fn negative_rate(negatives: i64, delivered: i64) -> String {
    if delivered == 0 {
        return "—".to_owned();
    }
    let tenths = (negatives.saturating_mul(1000) + delivered / 2) / delivered;
    format!(
        "{}.{} % ({negatives}/{delivered})",
        tenths / 10,
        tenths % 10
    )
}

pub(super) fn tag_list(raw: &str) -> Vec<String> {
    raw.split([',', '，'])
        .map(str::trim)
        .filter(|t| !t.is_empty())
        .map(str::to_owned)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::{Part, linked};

    #[test]
    fn only_web_addresses_become_links() {
        let text = |t| Part {
            text: t,
            href: None,
        };
        let link = |t, h| Part {
            text: t,
            href: Some(h),
        };
        assert_eq!(
            linked("见 http://a.b 和 https://c.d/x", true),
            vec![
                text("见 "),
                link("http://a.b", "http://a.b"),
                text(" 和 "),
                link("https://c.d/x", "https://c.d/x")
            ]
        );
        // A link card: the title line shows, the address is the link.
        assert_eq!(
            linked("上新\n\n桂花乌龙\nhttps://q.example/l/1", true),
            vec![text("上新\n\n"), link("桂花乌龙", "https://q.example/l/1")]
        );
        assert_eq!(
            linked("javascript:alert(1)", true),
            vec![text("javascript:alert(1)")]
        );
        assert!(linked("", true).is_empty());
        // Not a campaign's card: the address shows as itself.
        assert_eq!(
            linked("退款\nhttps://evil.example", false),
            vec![
                text("退款\n"),
                link("https://evil.example", "https://evil.example")
            ]
        );
    }
}
