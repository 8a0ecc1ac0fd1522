//! The chat page of a circle: rooms with unread counts, history, sending (text and
//! images), new rooms, promoting a message to a topic.

use super::templates::AppChatPage;
use super::{
    Chrome, CsrfOnly, PageError, PageResult, check_csrf, form_error, path_id, render_form,
    require_user,
};
use crate::AppState;
use crate::error::ApiError;
use axum::Form;
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Redirect};
use quan_domain::{CircleId, MessageId, RoomId};
use serde::Deserialize;

#[derive(Deserialize)]
pub(crate) struct ChatParams {
    room: Option<String>,
}

pub(crate) async fn chat_page(
    st: &AppState,
    c: &Chrome,
    circle: &str,
    room: Option<&str>,
    error: Option<String>,
) -> PageResult {
    use quan_core::chat;
    let actor = require_user(c)?;
    let cid = path_id::<CircleId>(circle)?;
    let v = quan_core::access::view(&st.svc, actor, cid)
        .await
        .map_err(ApiError::from)?;
    let rooms = chat::rooms(&st.svc, actor, cid)
        .await
        .map_err(ApiError::from)?;
    let wanted = room.and_then(|r| RoomId::parse(r).ok());
    let Some((room, _)) = rooms
        .iter()
        .find(|(r, _)| Some(r.id) == wanted)
        .or_else(|| rooms.first())
    else {
        return Err(PageError::NotFound);
    };
    let mut messages = chat::history(&st.svc, actor, cid, room.id, None, 50)
        .await
        .map_err(ApiError::from)?;
    if let Some(newest) = messages.first() {
        chat::mark_read(&st.svc, actor, cid, room.id, newest.id)
            .await
            .map_err(ApiError::from)?;
    }
    messages.reverse();
    let staff = v
        .membership
        .as_ref()
        .is_some_and(|m| m.role.is_circle_staff());
    Ok(render_form(
        &AppChatPage {
            c,
            circle_id: cid,
            circle_name: &v.circle.name,
            room,
            topic: chat::room_topic(room.id),
            messages: &messages,
            me: actor.account_id(),
            staff,
            error: error.as_deref(),
            rooms: &rooms,
            admin: v.can_admin(),
        },
        error.is_some(),
    ))
}

pub(crate) async fn app_chat(
    State(st): State<AppState>,
    c: Chrome,
    Path(circle): Path<String>,
    Query(q): Query<ChatParams>,
) -> PageResult {
    chat_page(&st, &c, &circle, q.room.as_deref(), None).await
}

#[derive(Deserialize)]
pub(crate) struct RoomForm {
    csrf: String,
    name: String,
}

pub(crate) async fn app_room_create(
    State(st): State<AppState>,
    c: Chrome,
    Path(circle): Path<String>,
    Form(f): Form<RoomForm>,
) -> PageResult {
    check_csrf(&c, &f.csrf)?;
    let actor = require_user(&c)?;
    let cid = path_id::<CircleId>(&circle)?;
    match quan_core::chat::create_room(&st.svc, actor, cid, &f.name).await {
        Ok(r) => {
            Ok(Redirect::to(&format!("/app/circles/{cid}/chat?room={}", r.id)).into_response())
        }
        Err(e) => {
            chat_page(
                &st,
                &c,
                &circle,
                None,
                Some(form_error(&c, ApiError::from(e))?),
            )
            .await
        }
    }
}

/// Sends a chat message: text, an image, or both (multipart).
pub(crate) async fn app_chat_send(
    State(st): State<AppState>,
    c: Chrome,
    Path(ids): Path<(String, String)>,
    mut mp: axum::extract::Multipart,
) -> PageResult {
    let bad = |_| {
        PageError::Api(ApiError::bad_request(
            "invalid_form",
            "the form could not be read",
        ))
    };
    let (mut csrf, mut body, mut file) = (String::new(), String::new(), None);
    while let Some(field) = mp.next_field().await.map_err(bad)? {
        match field.name().unwrap_or_default() {
            "image" => {
                let b = field.bytes().await.map_err(bad)?;
                if !b.is_empty() {
                    file = Some(b);
                }
            }
            "csrf" => csrf = field.text().await.map_err(bad)?,
            "body" => body = field.text().await.map_err(bad)?,
            _ => {}
        }
    }
    check_csrf(&c, &csrf)?;
    let actor = require_user(&c)?;
    let (cid, rid) = (path_id::<CircleId>(&ids.0)?, path_id::<RoomId>(&ids.1)?);
    let result = async {
        let image = match &file {
            Some(b) => Some(
                quan_core::circles::images::upload_image(&st.svc, actor, cid, b)
                    .await?
                    .id,
            ),
            None => None,
        };
        quan_core::chat::send(&st.svc, actor, cid, rid, &body, None, image).await
    }
    .await;
    match result {
        Ok(_) => Ok(Redirect::to(&format!("/app/circles/{cid}/chat?room={rid}")).into_response()),
        Err(e) => {
            chat_page(
                &st,
                &c,
                &ids.0,
                Some(&ids.1),
                Some(form_error(&c, ApiError::from(e))?),
            )
            .await
        }
    }
}

pub(crate) async fn app_chat_promote(
    State(st): State<AppState>,
    c: Chrome,
    Path(ids): Path<(String, String, String)>,
    Form(f): Form<CsrfOnly>,
) -> PageResult {
    check_csrf(&c, &f.csrf)?;
    let actor = require_user(&c)?;
    let cid = path_id::<CircleId>(&ids.0)?;
    let rid = path_id::<RoomId>(&ids.1)?;
    let mid = path_id::<MessageId>(&ids.2)?;
    match quan_core::chat::promote(&st.svc, actor, cid, rid, mid).await {
        Ok(p) => Ok(Redirect::to(&format!("/app/circles/{cid}/posts/{}", p.id)).into_response()),
        Err(e) => {
            chat_page(
                &st,
                &c,
                &ids.0,
                Some(&ids.1),
                Some(form_error(&c, ApiError::from(e))?),
            )
            .await
        }
    }
}
