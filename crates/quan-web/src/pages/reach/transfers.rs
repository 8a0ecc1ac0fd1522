//! The console's transfers page: pick the staff member handing over, tick their
//! customers and the receivers, preview who goes where and who cannot move, start
//! the batch; below, every transfer with its state and the customers at risk.

use super::super::console::Console;
use super::super::{PageResult, check_csrf, form_error, render_form, saved};
use crate::AppState;
use crate::error::ApiError;
use askama::Template;
use axum::extract::{Query, State};
use axum::routing::get;
use axum::{Form, Router};
use quan_core::reach::transfers::{self, NewTransfer, PreviewRow};
use quan_core::{ContactRecord, PageRequest, StaffLoad, TransferRecord};
use quan_domain::{AccountId, ContactId, TransferKind};
use serde::Deserialize;

pub(super) fn router() -> Router<AppState> {
    Router::new().route(
        "/console/{org_id}/transfers",
        get(transfers_page).post(transfers_post),
    )
}

#[derive(Deserialize, Default)]
struct FromQuery {
    from: Option<String>,
}

/// The form as posted (checkboxes repeat), kept to refill a refused page.
#[derive(Default, Clone)]
struct TransferForm {
    csrf: String,
    action: String,
    from: String,
    kind: String,
    contacts: Vec<String>,
    receivers: Vec<String>,
    message: String,
    note: String,
}

impl TransferForm {
    fn from_pairs(pairs: Vec<(String, String)>) -> Self {
        let mut f = Self::default();
        for (k, v) in pairs {
            match k.as_str() {
                "csrf" => f.csrf = v,
                "action" => f.action = v,
                "from" => f.from = v,
                "kind" => f.kind = v,
                "contacts" => f.contacts.push(v),
                "receivers" => f.receivers.push(v),
                "message" => f.message = v,
                "note" => f.note = v,
                _ => {}
            }
        }
        f
    }
    fn parse(&self) -> Result<NewTransfer, ApiError> {
        let id = |s: &str| {
            s.parse::<AccountId>()
                .map_err(|_| ApiError::bad_request("invalid_id", "the id is malformed"))
        };
        Ok(NewTransfer {
            kind: TransferKind::parse(&self.kind)?,
            from: id(&self.from)?,
            contacts: self
                .contacts
                .iter()
                .map(|c| {
                    c.parse::<ContactId>()
                        .map_err(|_| ApiError::bad_request("invalid_id", "the id is malformed"))
                })
                .collect::<Result<_, _>>()?,
            receivers: self
                .receivers
                .iter()
                .map(|r| id(r))
                .collect::<Result<_, _>>()?,
            message: self.message.clone(),
            note: self.note.clone(),
        })
    }
}

#[derive(Template)]
#[template(path = "console_transfers.html")]
struct TransfersPage<'a> {
    k: &'a Console,
    staff: &'a [StaffLoad],
    /// The chosen staff member's live customers.
    theirs: &'a [ContactRecord],
    form: TransferForm,
    preview: &'a [PreviewRow],
    history: &'a [TransferRecord],
    error: Option<&'a str>,
}

impl TransfersPage<'_> {
    fn ticked(&self, id: &ContactId) -> bool {
        self.form.contacts.is_empty() || self.form.contacts.contains(&id.to_string())
    }
    fn receiving(&self, id: &AccountId) -> bool {
        self.form.receivers.contains(&id.to_string())
    }
    fn staff_name(&self, id: &Option<AccountId>) -> String {
        id.and_then(|a| self.staff.iter().find(|s| s.staff_id == a))
            .map(|s| s.name.clone())
            .unwrap_or_default()
    }
    fn refusal(&self, code: &str) -> String {
        self.k.c.word("transfer_refusals", code).to_owned()
    }
    fn state(&self, code: &str) -> String {
        self.k.c.word("transfer_states", code).to_owned()
    }
    fn kind(&self, code: &str) -> String {
        self.k.c.word("transfer_kinds", code).to_owned()
    }
    fn at_risk(&self) -> Vec<&TransferRecord> {
        self.history
            .iter()
            .filter(|t| t.kind == TransferKind::Resigned && t.state.as_str() == "refused")
            .collect()
    }
}

async fn view(
    st: &AppState,
    k: &Console,
    form: TransferForm,
    preview: &[PreviewRow],
    error: Option<String>,
) -> PageResult {
    let (staff, _) = quan_core::reach::loads(&st.svc, &k.access)
        .await
        .map_err(ApiError::from)?;
    let theirs = match form.from.parse::<AccountId>() {
        Ok(from) => {
            quan_core::reach::contacts(&st.svc, &k.access, Some(from), &PageRequest::first(100))
                .await
                .map_err(ApiError::from)?
                .items
        }
        Err(_) => Vec::new(),
    };
    let history = transfers::list(&st.svc, &k.access, &PageRequest::first(100))
        .await
        .map_err(ApiError::from)?;
    Ok(render_form(
        &TransfersPage {
            k,
            staff: &staff,
            theirs: &theirs,
            form,
            preview,
            history: &history.items,
            error: error.as_deref(),
        },
        error.is_some(),
    ))
}

async fn transfers_page(
    State(st): State<AppState>,
    k: Console,
    Query(q): Query<FromQuery>,
) -> PageResult {
    let form = TransferForm {
        from: q.from.unwrap_or_default(),
        kind: "on_job".to_owned(),
        ..TransferForm::default()
    };
    view(&st, &k, form, &[], None).await
}

async fn transfers_post(
    State(st): State<AppState>,
    k: Console,
    Form(pairs): Form<Vec<(String, String)>>,
) -> PageResult {
    let f = TransferForm::from_pairs(pairs);
    check_csrf(&k.c, &f.csrf)?;
    let n = match f.parse() {
        Ok(n) => n,
        Err(e) => {
            let msg = form_error(&k.c, e)?;
            return view(&st, &k, f, &[], Some(msg)).await;
        }
    };
    if f.action == "start" {
        match transfers::create(&st.svc, &k.access, n).await {
            Ok(_) => Ok(saved(&format!("{}/transfers", k.base()))),
            Err(e) => {
                let msg = form_error(&k.c, e.into())?;
                view(&st, &k, f, &[], Some(msg)).await
            }
        }
    } else {
        match transfers::preview(&st.svc, &k.access, &n).await {
            Ok(rows) => view(&st, &k, f, &rows, None).await,
            Err(e) => {
                let msg = form_error(&k.c, e.into())?;
                view(&st, &k, f, &[], Some(msg)).await
            }
        }
    }
}
