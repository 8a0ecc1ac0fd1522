//! The console's contact import: upload a CSV file, see what imported and which
//! lines did not, with why. A file that cannot be read imports nothing and says so.

use super::super::console::Console;
use super::super::{PageError, PageResult, check_csrf, form_error, render_form};
use crate::AppState;
use crate::error::ApiError;
use askama::Template;
use axum::Router;
use axum::extract::State;
use axum::routing::get;
use quan_core::reach::import::{self, ImportReport};

pub(super) fn router() -> Router<AppState> {
    Router::new().route(
        "/console/{org_id}/customers/import",
        get(import_page).post(import_post),
    )
}

#[derive(Template)]
#[template(path = "console_import.html")]
struct ImportPage<'a> {
    k: &'a Console,
    report: Option<&'a ImportReport>,
    error: Option<&'a str>,
}

impl ImportPage<'_> {
    fn row_error(&self, code: &str, message: &str) -> String {
        let key = format!("errors.{code}");
        let w = self.k.c.t(&key);
        if w == key {
            message.to_owned()
        } else {
            w.to_owned()
        }
    }
}

async fn import_page(k: Console) -> PageResult {
    Ok(render_form(
        &ImportPage {
            k: &k,
            report: None,
            error: None,
        },
        false,
    ))
}

async fn import_post(
    State(st): State<AppState>,
    k: Console,
    mut mp: axum::extract::Multipart,
) -> PageResult {
    let bad = |_| {
        PageError::Api(ApiError::bad_request(
            "invalid_form",
            "the form could not be read",
        ))
    };
    let (mut csrf, mut file) = (String::new(), Vec::new());
    while let Some(field) = mp.next_field().await.map_err(bad)? {
        match field.name().unwrap_or_default() {
            "file" => file = field.bytes().await.map_err(bad)?.to_vec(),
            "csrf" => csrf = field.text().await.map_err(bad)?,
            _ => {}
        }
    }
    check_csrf(&k.c, &csrf)?;
    let outcome = match import::parse(&file) {
        Ok(rows) => import::run(&st.svc, &k.access, &rows, &mut |_, _| {})
            .await
            .map_err(ApiError::from),
        Err(e) => Err(crate::api::reach::import::file_problem(&e)),
    };
    match outcome {
        Ok(report) => Ok(render_form(
            &ImportPage {
                k: &k,
                report: Some(&report),
                error: None,
            },
            false,
        )),
        Err(e) => {
            let msg = form_error(&k.c, e)?;
            Ok(render_form(
                &ImportPage {
                    k: &k,
                    report: None,
                    error: Some(&msg),
                },
                true,
            ))
        }
    }
}
