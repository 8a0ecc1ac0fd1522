//! Console pages for persons (list, one person with circles, tags, merges and
//! timeline) and the org's sensitive words.

use super::console::Console;
use super::templates::mode_key;
use super::{AfterParams, PageResult, check_csrf, form_error, path_id, render, render_form, saved};
use crate::AppState;
use crate::error::ApiError;
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::routing::{get, post};
use axum::{Form, Router};
use quan_core::moderation::guard;
use quan_core::persons::{self, PersonDetail};
use quan_core::{CircleMemberRecord, CircleRecord, PageRequest, PersonRecord, TimelineEntry};
use quan_domain::{Activity, CircleRole, MergeId, PersonId, TrustLevel, WordAction};
use serde::Deserialize;

pub(crate) fn router() -> Router<AppState> {
    Router::new()
        .route("/console/{org_id}/persons", get(persons_page))
        .route("/console/{org_id}/persons/{person_id}", get(person_page))
        .route("/console/{org_id}/persons/{person_id}/tags", post(tag_add))
        .route(
            "/console/{org_id}/persons/{person_id}/tags/remove",
            post(tag_remove),
        )
        .route("/console/{org_id}/persons/{person_id}/merge", post(merge))
        .route("/console/{org_id}/merges/{merge_id}/undo", post(undo))
        .route(
            "/console/{org_id}/moderation",
            get(words_page).post(word_add),
        )
        .route("/console/{org_id}/moderation/remove", post(word_remove))
}

#[derive(Template)]
#[template(path = "console_persons.html")]
struct PersonsPage<'a> {
    k: &'a Console,
    persons: &'a [PersonRecord],
    next: Option<&'a str>,
}

#[derive(Template)]
#[template(path = "console_person.html")]
struct PersonPage<'a> {
    k: &'a Console,
    d: &'a PersonDetail,
    /// Persons that could be merged into this one.
    candidates: Vec<&'a PersonRecord>,
    /// Their history with the org's staff (contacts, tags, stages, journeys,
    /// consent), newest first; none for a role that does not hold customers.
    reach: Vec<quan_core::EventRecord>,
    error: Option<&'a str>,
}

impl PersonPage<'_> {
    fn reach_detail(&self, e: &quan_core::EventRecord) -> String {
        super::reach::event_detail(&self.k.c, e)
    }
    fn trust(&self, a: &Activity) -> u8 {
        TrustLevel::of(*a).0
    }
    /// The signals behind a trust level, for its tooltip.
    fn activity(&self, a: &Activity) -> String {
        self.k
            .c
            .t("persons.activity")
            .replace("{days}", &a.days_visited.to_string())
            .replace("{read}", &a.posts_read.to_string())
            .replace("{written}", &a.contributions.to_string())
            .replace("{likes}", &a.likes_received.to_string())
    }
    fn mode_name(&self, c: &CircleRecord) -> &str {
        self.k.c.t(mode_key(c))
    }
    fn circle_role(&self, m: &CircleMemberRecord) -> &str {
        self.k.c.t(match m.role {
            CircleRole::Owner => "circle_roles.owner",
            CircleRole::Admin => "circle_roles.admin",
            CircleRole::Moderator => "circle_roles.moderator",
            CircleRole::Teacher => "circle_roles.teacher",
            CircleRole::Member => "circle_roles.member",
        })
    }
    fn types(&self, m: &CircleMemberRecord) -> Vec<&str> {
        m.types
            .names()
            .map(|n| {
                self.k.c.t(match n {
                    "customer" => "types.customer",
                    "fan" => "types.fan",
                    _ => "types.member",
                })
            })
            .collect()
    }
    fn kind_name(&self, t: &TimelineEntry) -> &str {
        self.k.c.t(match t.kind.as_str() {
            "joined" => "timeline.joined",
            "posted" => "timeline.posted",
            "commented" => "timeline.commented",
            "checked_in" => "timeline.checked_in",
            "merged" => "timeline.merged",
            _ => "timeline.merge_undone",
        })
    }
}

async fn persons_page(
    State(st): State<AppState>,
    k: Console,
    Query(q): Query<AfterParams>,
) -> PageResult {
    let after = q.after.filter(|a| a.len() == 36);
    let page = quan_core::persons::handles::list_persons(
        &st.svc,
        &k.access,
        &PageRequest::new(after, Some(50)),
    )
    .await?;
    Ok(render(&PersonsPage {
        k: &k,
        persons: &page.items,
        next: page.next.as_deref(),
    }))
}

async fn person_view(st: &AppState, k: &Console, id: &str, error: Option<String>) -> PageResult {
    let id = path_id::<PersonId>(id)?;
    let d = persons::detail(&st.svc, &k.access, id)
        .await
        .map_err(ApiError::from)?;
    // Merge candidates: the org's other live persons (the first 200).
    let all =
        quan_core::persons::handles::list_persons(&st.svc, &k.access, &PageRequest::first(200))
            .await?;
    let candidates = all
        .items
        .iter()
        .filter(|p| p.id != id && p.merged_into.is_none())
        .collect();
    let reach = match quan_core::reach::person_reach(&st.svc, &k.access, id).await {
        // Managers see every customer's history; other staff only their own
        // customers', as beside a conversation they hold.
        Ok(r)
            if quan_core::reach::sees_all(&k.access)
                || r.contacts
                    .iter()
                    .any(|c| c.staff_id == k.access.account() && c.removed_at.is_none()) =>
        {
            r.history
        }
        Ok(_) => Vec::new(),
        // A role that holds no customers sees the person without that history.
        Err(
            quan_core::reach::error::ReachError::Forbidden
            | quan_core::reach::error::ReachError::MissingScope(_),
        ) => Vec::new(),
        Err(e) => return Err(ApiError::from(e).into()),
    };
    Ok(render_form(
        &PersonPage {
            k,
            d: &d,
            candidates,
            reach,
            error: error.as_deref(),
        },
        error.is_some(),
    ))
}

async fn person_page(
    State(st): State<AppState>,
    k: Console,
    Path((_, id)): Path<(String, String)>,
) -> PageResult {
    person_view(&st, &k, &id, None).await
}

/// Runs a person action, then shows the person again (with the error, if any).
async fn after_action(
    st: &AppState,
    k: &Console,
    id: &str,
    r: Result<(), quan_core::persons::error::PersonError>,
) -> PageResult {
    match r {
        Ok(()) => Ok(saved(&format!("{}/persons/{id}", k.base()))),
        Err(e) => person_view(st, k, id, Some(form_error(&k.c, ApiError::from(e))?)).await,
    }
}

#[derive(Deserialize)]
struct TagForm {
    csrf: String,
    tag: String,
}

async fn tag_add(
    State(st): State<AppState>,
    k: Console,
    Path((_, id)): Path<(String, String)>,
    Form(f): Form<TagForm>,
) -> PageResult {
    check_csrf(&k.c, &f.csrf)?;
    let pid = path_id::<PersonId>(&id)?;
    let r = persons::add_tag(&st.svc, &k.access, pid, &f.tag)
        .await
        .map(|_| ());
    after_action(&st, &k, &id, r).await
}

async fn tag_remove(
    State(st): State<AppState>,
    k: Console,
    Path((_, id)): Path<(String, String)>,
    Form(f): Form<TagForm>,
) -> PageResult {
    check_csrf(&k.c, &f.csrf)?;
    let pid = path_id::<PersonId>(&id)?;
    let r = persons::remove_tag(&st.svc, &k.access, pid, &f.tag).await;
    after_action(&st, &k, &id, r).await
}

#[derive(Deserialize)]
struct MergeForm {
    csrf: String,
    merged_id: String,
    reason: Option<String>,
}

async fn merge(
    State(st): State<AppState>,
    k: Console,
    Path((_, id)): Path<(String, String)>,
    Form(f): Form<MergeForm>,
) -> PageResult {
    check_csrf(&k.c, &f.csrf)?;
    let survivor = path_id::<PersonId>(&id)?;
    let merged = path_id::<PersonId>(&f.merged_id)?;
    let r = persons::merge(
        &st.svc,
        &k.access,
        survivor,
        merged,
        f.reason.as_deref().unwrap_or(""),
    )
    .await
    .map(|_| ());
    after_action(&st, &k, &id, r).await
}

#[derive(Deserialize)]
struct UndoForm {
    csrf: String,
    /// The person page to return to.
    back: String,
}

async fn undo(
    State(st): State<AppState>,
    k: Console,
    Path((_, id)): Path<(String, String)>,
    Form(f): Form<UndoForm>,
) -> PageResult {
    check_csrf(&k.c, &f.csrf)?;
    let mid = path_id::<MergeId>(&id)?;
    let back = path_id::<PersonId>(&f.back)?.to_string();
    let r = persons::undo_merge(&st.svc, &k.access, mid).await;
    after_action(&st, &k, &back, r).await
}

#[derive(Template)]
#[template(path = "console_words.html")]
struct WordsPage<'a> {
    k: &'a Console,
    words: &'a [(String, WordAction)],
    error: Option<&'a str>,
}

async fn words_view(st: &AppState, k: &Console, error: Option<String>) -> PageResult {
    let words = guard::words(&st.svc, &k.access)
        .await
        .map_err(ApiError::from)?;
    Ok(render_form(
        &WordsPage {
            k,
            words: &words,
            error: error.as_deref(),
        },
        error.is_some(),
    ))
}

async fn words_page(State(st): State<AppState>, k: Console) -> PageResult {
    words_view(&st, &k, None).await
}

#[derive(Deserialize)]
struct WordForm {
    csrf: String,
    word: String,
    action: Option<String>,
}

async fn word_add(State(st): State<AppState>, k: Console, Form(f): Form<WordForm>) -> PageResult {
    check_csrf(&k.c, &f.csrf)?;
    let r = match WordAction::parse(f.action.as_deref().unwrap_or("hold")) {
        Ok(a) => guard::set_word(&st.svc, &k.access, &f.word, a)
            .await
            .map(|_| ()),
        Err(e) => Err(e.into()),
    };
    words_result(&st, &k, r).await
}

async fn word_remove(
    State(st): State<AppState>,
    k: Console,
    Form(f): Form<WordForm>,
) -> PageResult {
    check_csrf(&k.c, &f.csrf)?;
    let r = guard::delete_word(&st.svc, &k.access, &f.word).await;
    words_result(&st, &k, r).await
}

async fn words_result(
    st: &AppState,
    k: &Console,
    r: Result<(), impl Into<ApiError>>,
) -> PageResult {
    match r {
        Ok(()) => Ok(saved(&format!("{}/moderation", k.base()))),
        Err(e) => words_view(st, k, Some(form_error(&k.c, e.into())?)).await,
    }
}
