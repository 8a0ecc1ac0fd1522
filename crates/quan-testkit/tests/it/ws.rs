//! The WebSocket protocol: subscribe, events, permissions, ping, bad frames, and the
//! slow consumer that is dropped rather than buffered forever.

use futures::{SinkExt, StreamExt};
use quan_testkit::{TestApp, on_both_backends};
use serde_json::{Value, json};
use std::time::Duration;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;

pub type Ws =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

pub async fn connect(base: &str, token: &str) -> Ws {
    let url = format!("{}/api/v1/ws", base.replace("http://", "ws://"));
    let mut req = url.into_client_request().unwrap_or_else(|e| panic!("{e}"));
    req.headers_mut().insert(
        "authorization",
        format!("Bearer {token}")
            .parse()
            .unwrap_or_else(|e| panic!("{e}")),
    );
    tokio_tungstenite::connect_async(req)
        .await
        .unwrap_or_else(|e| panic!("ws connect: {e}"))
        .0
}

/// A socket signed in by a browser session's cookie.
pub async fn ws_with_cookie(base: &str, cookie: &str) -> Ws {
    let mut req = format!("{}/api/v1/ws", base.replace("http://", "ws://"))
        .into_client_request()
        .unwrap_or_else(|e| panic!("{e}"));
    req.headers_mut()
        .insert("cookie", cookie.parse().unwrap_or_else(|e| panic!("{e}")));
    tokio_tungstenite::connect_async(req)
        .await
        .unwrap_or_else(|e| panic!("ws: {e}"))
        .0
}

pub async fn send(ws: &mut Ws, v: Value) {
    ws.send(Message::Text(v.to_string().into()))
        .await
        .unwrap_or_else(|e| panic!("{e}"));
}

/// The next JSON text frame, within 10 s.
pub async fn next(ws: &mut Ws) -> Value {
    loop {
        let m = tokio::time::timeout(Duration::from_secs(10), ws.next())
            .await
            .unwrap_or_else(|_| panic!("no frame in 10 s"));
        match m {
            Some(Ok(Message::Text(t))) => {
                return serde_json::from_str(t.as_str()).unwrap_or(Value::Null);
            }
            Some(Ok(Message::Ping(_) | Message::Pong(_))) => continue,
            other => panic!("unexpected frame: {other:?}"),
        }
    }
}

/// The next event frame of a given kind, skipping others.
pub async fn event_of_kind(ws: &mut Ws, kind: &str) -> Value {
    loop {
        let f = next(ws).await;
        if f["type"] == "event" && f["data"]["kind"] == kind {
            return f;
        }
    }
}

pub async fn token(app: &TestApp, owner: &quan_testkit::User, org: &str) -> String {
    let _ = app;
    let r = owner
        .c
        .post(
            &format!("/api/v1/orgs/{org}/tokens"),
            json!({"name": "ws", "scopes": ["read", "admin"]}),
        )
        .await;
    r.body["secret"].as_str().unwrap_or_default().to_owned()
}

on_both_backends!(subscribe_receive_and_refuse, slow_consumers_are_dropped);

async fn subscribe_receive_and_refuse(app: TestApp) {
    let (owner, org) = app.owner("Wes").await;
    let (_, other_org) = app.owner("Stranger").await;
    let tok = token(&app, &owner, &org).await;
    let mut ws = connect(&app.base, &tok).await;
    send(
        &mut ws,
        json!({"type": "subscribe", "topic": format!("org:{org}")}),
    )
    .await;
    assert_eq!(
        next(&mut ws).await,
        json!({"type": "subscribed", "topic": format!("org:{org}")})
    );
    send(
        &mut ws,
        json!({"type": "subscribe", "topic": format!("org:{other_org}")}),
    )
    .await;
    let f = next(&mut ws).await;
    assert_eq!(
        (f["type"].as_str(), f["code"].as_str()),
        (Some("error"), Some("forbidden_topic"))
    );
    send(&mut ws, json!({"type": "subscribe", "topic": "everything"})).await;
    assert_eq!(next(&mut ws).await["code"], "invalid_topic");
    send(&mut ws, json!({"type": "ping"})).await;
    assert_eq!(next(&mut ws).await, json!({"type": "pong"}));
    ws.send(Message::Text("{garbage".into()))
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(next(&mut ws).await["code"], "invalid_frame");

    // A change in the org arrives as an event.
    let r = owner
        .c
        .post(
            &format!("/api/v1/orgs/{org}/invites"),
            json!({"role": "sales"}),
        )
        .await;
    assert_eq!(r.status, 201);
    let ev = event_of_kind(&mut ws, "invite.created").await;
    assert_eq!(ev["topic"], format!("org:{org}"));
    assert_eq!(ev["data"]["org_id"], org.as_str());

    // Without credentials there is no socket.
    let url = format!("{}/api/v1/ws", app.base.replace("http://", "ws://"));
    assert!(tokio_tungstenite::connect_async(url).await.is_err());
}

async fn slow_consumers_are_dropped(app: TestApp) {
    let (owner, org) = app.owner("Slow").await;
    let tok = token(&app, &owner, &org).await;
    let mut ws = connect(&app.base, &tok).await;
    let topic = format!("org:{org}");
    send(&mut ws, json!({"type": "subscribe", "topic": topic})).await;
    assert_eq!(next(&mut ws).await["type"], "subscribed");
    // Far more than the outbox and the socket buffers hold, while the client reads
    // nothing.
    let payload = json!({"kind": "bulk", "pad": "x".repeat(8000)}).to_string();
    let total = 4000;
    for _ in 0..total {
        let _ = app.services.bus.publish(&topic, &payload).await;
    }
    let mut received = 0;
    let mut closed_slow = false;
    loop {
        match tokio::time::timeout(Duration::from_secs(10), ws.next()).await {
            Ok(Some(Ok(Message::Text(_)))) => received += 1,
            Ok(Some(Ok(Message::Close(frame)))) => {
                closed_slow = frame.is_some_and(|f| u16::from(f.code) == 1013);
                break;
            }
            Ok(Some(Ok(_))) => {}
            Ok(Some(Err(_)) | None) => break,
            Err(_) => panic!("the slow client was neither served nor dropped"),
        }
    }
    assert!(
        received < total,
        "a client that did not read was dropped before getting all {total} ({received})"
    );
    eprintln!("slow consumer: received {received} of {total}; close 1013 seen: {closed_slow}");
}
