//! The WebSocket hub at `/api/v1/ws`.
//!
//! Protocol (JSON text frames):
//! - client → server: `{"type":"subscribe","topic":"org:<id>"}`,
//!   `{"type":"unsubscribe","topic":…}`, `{"type":"ping"}`.
//! - server → client: `{"type":"subscribed","topic":…}`, `{"type":"event","topic":…,
//!   "data":{…}}`, `{"type":"pong"}`, `{"type":"error","code":…,"message":…}`.
//!
//! A caller may subscribe to `org:<id>` for orgs it is staff of (a token only to its
//! own org), to `room:<id>` for chat rooms of circles it is an active member of, and to
//! `account:<its own id>`. Events come from the bus, so a subscriber
//! on any node hears events published on every node.
//!
//! Backpressure: each connection has a bounded outbox. A client that does not read
//! fast enough is disconnected (close code 1013) instead of being buffered forever;
//! it reconnects and catches up from the event log.

use crate::AppState;
use crate::error::ApiError;
use crate::extract::Auth;
use axum::extract::State;
use axum::extract::ws::{CloseFrame, Message, Utf8Bytes, WebSocket, WebSocketUpgrade};
use axum::response::Response;
use futures::{SinkExt, StreamExt};
use quan_core::access;
use quan_core::access::Actor;
use quan_domain::OrgId;
use serde::Deserialize;
use serde_json::json;
use std::collections::HashMap;
use std::sync::atomic::{AtomicI64, Ordering};
use std::time::Duration;
use tokio::sync::{broadcast, mpsc};
use tokio::task::JoinHandle;

/// Frames queued for one client before it counts as too slow.
pub const OUTBOX: usize = 256;
/// Most frames written per flush (coalesced from the outbox).
const WRITE_BATCH: usize = 64;
/// Topics one connection may hold.
pub const MAX_TOPICS: usize = 32;
/// Largest frame a client may send.
pub const MAX_FRAME: usize = 4096;
/// A connection that sends nothing (not even a ping) for this long is closed.
const IDLE: Duration = Duration::from_secs(120);

/// Live connection count, for `/metrics`.
#[derive(Debug, Default)]
pub struct WsStats(AtomicI64);

impl WsStats {
    pub fn connections(&self) -> i64 {
        self.0.load(Ordering::Relaxed)
    }
}

#[derive(Debug, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
enum ClientFrame {
    Subscribe { topic: String },
    Unsubscribe { topic: String },
    Ping,
}

pub async fn upgrade(
    State(st): State<AppState>,
    Auth(actor): Auth,
    ws: WebSocketUpgrade,
) -> Result<Response, ApiError> {
    Ok(ws
        .max_message_size(MAX_FRAME)
        .on_upgrade(move |socket| serve(st, actor, socket)))
}

/// Why a topic was refused, as a protocol error code.
async fn authorize(st: &AppState, actor: &Actor, topic: &str) -> Result<(), &'static str> {
    if let Some(id) = topic.strip_prefix("org:") {
        let org = OrgId::parse(id).map_err(|_| "invalid_topic")?;
        return access::org_access(&st.svc, actor, org)
            .await
            .map(|_| ())
            .map_err(|_| "forbidden_topic");
    }
    if let Some(id) = topic.strip_prefix("room:") {
        let room = quan_domain::RoomId::parse(id).map_err(|_| "invalid_topic")?;
        return if quan_core::chat::may_listen(&st.svc, actor, room).await {
            Ok(())
        } else {
            Err("forbidden_topic")
        };
    }
    if let Some(id) = topic.strip_prefix("account:") {
        return if id == actor.account_id().to_string() {
            Ok(())
        } else {
            Err("forbidden_topic")
        };
    }
    Err("invalid_topic")
}

fn error_frame(code: &str, message: &str) -> Message {
    Message::Text(
        json!({"type": "error", "code": code, "message": message})
            .to_string()
            .into(),
    )
}

/// Forwards one bus subscription into the outbox; a full outbox or a lagging
/// receiver marks the client slow.
fn forward(
    topic: String,
    mut rx: broadcast::Receiver<quan_core::BusMessage>,
    out: mpsc::Sender<Message>,
    slow: mpsc::Sender<()>,
) -> JoinHandle<()> {
    tokio::spawn(async move {
        // The frame's fixed head, built once: a room's message goes to every member's
        // socket, so the per-frame work is one allocation and three copies.
        let head = format!(r#"{{"type":"event","topic":{},"data":"#, json!(topic));
        loop {
            match rx.recv().await {
                Ok(msg) => {
                    let mut frame = String::with_capacity(head.len() + msg.payload.len() + 1);
                    frame.push_str(&head);
                    frame.push_str(&msg.payload);
                    frame.push('}');
                    if out.try_send(Message::Text(frame.into())).is_err() {
                        let _ = slow.try_send(());
                        return;
                    }
                }
                Err(broadcast::error::RecvError::Lagged(_)) => {
                    let _ = slow.try_send(());
                    return;
                }
                Err(broadcast::error::RecvError::Closed) => return,
            }
        }
    })
}

async fn serve(st: AppState, actor: Actor, socket: WebSocket) {
    st.ws.0.fetch_add(1, Ordering::Relaxed);
    let (mut sink, mut stream) = socket.split();
    let (out_tx, mut out_rx) = mpsc::channel::<Message>(OUTBOX);
    let (slow_tx, mut slow_rx) = mpsc::channel::<()>(1);
    let mut subs: HashMap<String, JoinHandle<()>> = HashMap::new();

    // The writer owns the sink: frames leave in order, and a slow socket stalls only
    // this task (whose outbox then fills, which marks the client slow).
    // Frames already queued go out in one write (one flush), as a busy room's
    // messages arrive faster than one syscall each.
    let writer = tokio::spawn(async move {
        'outer: while let Some(m) = out_rx.recv().await {
            let mut closing = matches!(m, Message::Close(_));
            if sink.feed(m).await.is_err() {
                break;
            }
            let mut batched = 1;
            while !closing && batched < WRITE_BATCH {
                let Ok(m) = out_rx.try_recv() else { break };
                closing = matches!(m, Message::Close(_));
                if sink.feed(m).await.is_err() {
                    break 'outer;
                }
                batched += 1;
            }
            if sink.flush().await.is_err() || closing {
                break;
            }
        }
        let _ = sink.close().await;
    });

    loop {
        tokio::select! {
            _ = slow_rx.recv() => {
                // Try to say why; if even that does not fit, just drop the connection.
                let _ = out_tx.try_send(Message::Close(Some(CloseFrame { code: 1013, reason: Utf8Bytes::from_static("slow consumer") })));
                break;
            }
            frame = tokio::time::timeout(IDLE, stream.next()) => {
                let Ok(Some(Ok(frame))) = frame else { break };
                let text = match frame {
                    Message::Text(t) => t,
                    Message::Close(_) => break,
                    Message::Ping(_) | Message::Pong(_) => continue,
                    Message::Binary(_) => {
                        let _ = out_tx.try_send(error_frame("unsupported_frame", "send JSON text frames"));
                        continue;
                    }
                };
                let reply = match serde_json::from_str::<ClientFrame>(text.as_str()) {
                    Err(_) => error_frame("invalid_frame", "expected subscribe, unsubscribe or ping"),
                    Ok(ClientFrame::Ping) => Message::Text(r#"{"type":"pong"}"#.into()),
                    Ok(ClientFrame::Unsubscribe { topic }) => {
                        if let Some(h) = subs.remove(&topic) { h.abort(); }
                        Message::Text(json!({"type": "unsubscribed", "topic": topic}).to_string().into())
                    }
                    Ok(ClientFrame::Subscribe { topic }) => {
                        if subs.contains_key(&topic) {
                            Message::Text(json!({"type": "subscribed", "topic": topic}).to_string().into())
                        } else if subs.len() >= MAX_TOPICS {
                            error_frame("too_many_topics", "at most 32 topics per connection")
                        } else {
                            match authorize(&st, &actor, &topic).await {
                                Ok(()) => {
                                    let rx = st.svc.bus.subscribe(&topic);
                                    subs.insert(topic.clone(), forward(topic.clone(), rx, out_tx.clone(), slow_tx.clone()));
                                    Message::Text(json!({"type": "subscribed", "topic": topic}).to_string().into())
                                }
                                Err(code) => error_frame(code, "you may not subscribe to this topic"),
                            }
                        }
                    }
                };
                if out_tx.try_send(reply).is_err() {
                    break;
                }
            }
        }
    }
    for (_, h) in subs {
        h.abort();
    }
    drop(out_tx);
    let _ = tokio::time::timeout(Duration::from_secs(1), writer).await;
    st.ws.0.fetch_sub(1, Ordering::Relaxed);
}
