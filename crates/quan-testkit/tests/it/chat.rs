//! Chat fused with the circle: rooms, live delivery over the WebSocket, unread
//! counts, the send rate limit, history, and promoting a message to a topic.

use crate::ws::{next, send};
use quan_testkit::{TestApp, on_both_backends};
use serde_json::{Value, json};
use std::time::Duration;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;

on_both_backends!(chat_end_to_end, extra_rooms_are_separate_and_bounded);

async fn ws_with_cookie(base: &str, cookie: &str) -> crate::ws::Ws {
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

async fn chat_end_to_end(app: TestApp) {
    let (owner, org) = app.owner("Chen").await;
    let cid = owner
        .c
        .post(
            &format!("/api/v1/orgs/{org}/circles"),
            json!({"name": "茶话会 Tea talk", "mode": "community"}),
        )
        .await
        .body["id"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    let private = owner
        .c
        .post(
            &format!("/api/v1/orgs/{org}/circles"),
            json!({"name": "Backroom", "mode": "business"}),
        )
        .await
        .body["id"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    let alice = app.user("Alice").await;
    let bob = app.user("Bob").await;
    let outsider = app.user("Outsider").await;
    for u in [&alice, &bob] {
        u.c.post(&format!("/api/v1/circles/{cid}/join"), json!({}))
            .await;
    }
    let rooms = alice.c.get(&format!("/api/v1/circles/{cid}/rooms")).await;
    assert_eq!(rooms.status, 200, "{}", rooms.text);
    assert_eq!(
        (
            rooms.body[0]["is_default"].as_bool(),
            rooms.body[0]["unread"].as_i64()
        ),
        (Some(true), Some(0))
    );
    let room = rooms.body[0]["id"].as_str().unwrap_or_default().to_owned();
    let topic = rooms.body[0]["topic"]
        .as_str()
        .unwrap_or_default()
        .to_owned();

    // Visitors of a public circle read posts, not the chat; private circles stay hidden.
    let r = outsider
        .c
        .get(&format!("/api/v1/circles/{cid}/rooms/{room}/messages"))
        .await;
    assert_eq!(
        (r.status, r.body["code"].as_str()),
        (403, Some("not_member"))
    );
    assert_eq!(
        outsider
            .c
            .get(&format!("/api/v1/circles/{private}/rooms"))
            .await
            .status,
        404
    );

    // Bob listens live; the outsider may not.
    let mut bob_ws = ws_with_cookie(&app.base, &app.session_cookie(&bob).await).await;
    send(&mut bob_ws, json!({"type": "subscribe", "topic": topic})).await;
    assert_eq!(next(&mut bob_ws).await["type"], "subscribed");
    let mut out_ws = ws_with_cookie(&app.base, &app.session_cookie(&outsider).await).await;
    send(&mut out_ws, json!({"type": "subscribe", "topic": topic})).await;
    assert_eq!(next(&mut out_ws).await["code"], "forbidden_topic");

    let m1 = alice
        .c
        .post(
            &format!("/api/v1/circles/{cid}/rooms/{room}/messages"),
            json!({"body": "你好 hello"}),
        )
        .await;
    assert_eq!(m1.status, 201, "{}", m1.text);
    let m1_id = m1.body["id"].as_str().unwrap_or_default().to_owned();
    let live = next(&mut bob_ws).await;
    assert_eq!(
        (live["type"].as_str(), live["data"]["body"].as_str()),
        (Some("event"), Some("你好 hello"))
    );

    // Unread counts are per person; your own messages never count.
    assert_eq!(
        bob.c
            .get(&format!("/api/v1/circles/{cid}/rooms"))
            .await
            .body[0]["unread"]
            .as_i64(),
        Some(1)
    );
    assert_eq!(
        alice
            .c
            .get(&format!("/api/v1/circles/{cid}/rooms"))
            .await
            .body[0]["unread"]
            .as_i64(),
        Some(0)
    );
    assert_eq!(
        bob.c
            .post(
                &format!("/api/v1/circles/{cid}/rooms/{room}/read"),
                json!({"last_read_id": m1_id})
            )
            .await
            .status,
        204
    );
    assert_eq!(
        bob.c
            .get(&format!("/api/v1/circles/{cid}/rooms"))
            .await
            .body[0]["unread"]
            .as_i64(),
        Some(0)
    );

    // The rate limit: three per two seconds, then a short mute.
    let mut statuses = Vec::new();
    for i in 0..3 {
        statuses.push(
            alice
                .c
                .post(
                    &format!("/api/v1/circles/{cid}/rooms/{room}/messages"),
                    json!({"body": format!("m{i}")}),
                )
                .await,
        );
    }
    assert_eq!(
        statuses.iter().map(|r| r.status).collect::<Vec<_>>(),
        vec![201, 201, 429]
    );
    assert_eq!(statuses[2].body["code"], "rate_limited");
    tokio::time::sleep(Duration::from_millis(2100)).await;
    let reply = alice
        .c
        .post(
            &format!("/api/v1/circles/{cid}/rooms/{room}/messages"),
            json!({"body": "after the mute", "reply_to": m1_id}),
        )
        .await;
    assert_eq!(
        (reply.status, reply.body["reply_to"].as_str()),
        (201, Some(m1_id.as_str()))
    );

    // History, newest first, in pages.
    let h = bob
        .c
        .get(&format!(
            "/api/v1/circles/{cid}/rooms/{room}/messages?limit=2"
        ))
        .await;
    let bodies: Vec<&str> = h
        .body
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|m| m["body"].as_str())
        .collect();
    assert_eq!(bodies, vec!["after the mute", "m1"]);
    let oldest = h.body[1]["id"].as_str().unwrap_or_default().to_owned();
    let h2 = bob
        .c
        .get(&format!(
            "/api/v1/circles/{cid}/rooms/{room}/messages?before={oldest}"
        ))
        .await;
    let bodies: Vec<&str> = h2
        .body
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|m| m["body"].as_str())
        .collect();
    assert_eq!(bodies, vec!["m0", "你好 hello"]);

    // Promote: the author (or circle staff) turns a message into a topic, once.
    let r = bob
        .c
        .post(
            &format!("/api/v1/circles/{cid}/rooms/{room}/messages/{m1_id}/promote"),
            json!({}),
        )
        .await;
    assert_eq!(
        (r.status, r.body["code"].as_str()),
        (403, Some("forbidden"))
    );
    let p = alice
        .c
        .post(
            &format!("/api/v1/circles/{cid}/rooms/{room}/messages/{m1_id}/promote"),
            json!({}),
        )
        .await;
    assert_eq!(p.status, 201, "{}", p.text);
    assert_eq!(p.body["title"], "你好 hello");
    assert!(
        p.body["body"]
            .as_str()
            .is_some_and(|b| b.starts_with("> 你好 hello") && b.contains(&m1_id)),
        "quotes and links back"
    );
    let again = owner
        .c
        .post(
            &format!("/api/v1/circles/{cid}/rooms/{room}/messages/{m1_id}/promote"),
            json!({}),
        )
        .await;
    assert_eq!(
        (again.status, again.body["code"].as_str()),
        (409, Some("already_promoted"))
    );
    let feed = bob.c.get(&format!("/api/v1/circles/{cid}/feed")).await;
    assert_eq!(feed.body["items"][0]["id"], p.body["id"]);
    let h = bob
        .c
        .get(&format!(
            "/api/v1/circles/{cid}/rooms/{room}/messages?limit=100"
        ))
        .await;
    let promoted: Vec<&Value> = h
        .body
        .as_array()
        .into_iter()
        .flatten()
        .filter(|m| m["id"] == m1_id.as_str())
        .collect();
    assert_eq!(
        promoted[0]["promoted_post_id"], p.body["id"],
        "the message links to its topic"
    );

    let empty = alice
        .c
        .post(
            &format!("/api/v1/circles/{cid}/rooms/{room}/messages"),
            json!({"body": ""}),
        )
        .await;
    assert_eq!(
        (empty.status, empty.body["field"].as_str()),
        (422, Some("body"))
    );
    let _ = bob_ws.close(None).await;
    drop(out_ws);
}

async fn extra_rooms_are_separate_and_bounded(app: TestApp) {
    let (owner, org) = app.owner("Roo").await;
    let r = owner
        .c
        .post(
            &format!("/api/v1/orgs/{org}/circles"),
            json!({"name": "Rooms", "mode": "community"}),
        )
        .await;
    let c = r.body["id"].as_str().unwrap_or_default().to_owned();
    let m = app.user("Mem").await;
    m.c.post(&format!("/api/v1/circles/{c}/join"), json!({}))
        .await;
    let r =
        m.c.post(&format!("/api/v1/circles/{c}/rooms"), json!({"name": "x"}))
            .await;
    assert_eq!(r.status, 403, "members do not add rooms");
    let r = owner
        .c
        .post(
            &format!("/api/v1/circles/{c}/rooms"),
            json!({"name": "新品讨论 New teas"}),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.text);
    let room = r.body["id"].as_str().unwrap_or_default().to_owned();
    assert_eq!(r.body["is_default"], false);
    let rooms = m.c.get(&format!("/api/v1/circles/{c}/rooms")).await;
    assert_eq!(rooms.body.as_array().map(Vec::len), Some(2));
    let default = rooms
        .body
        .as_array()
        .into_iter()
        .flatten()
        .find(|r| r["is_default"] == true)
        .and_then(|r| r["id"].as_str())
        .unwrap_or_default()
        .to_owned();
    let r =
        m.c.post(
            &format!("/api/v1/circles/{c}/rooms/{room}/messages"),
            json!({"body": "在新房间 in the new room"}),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.text);
    let h = owner
        .c
        .get(&format!("/api/v1/circles/{c}/rooms/{default}/messages"))
        .await;
    assert_eq!(
        h.body.as_array().map(Vec::len),
        Some(0),
        "rooms are separate"
    );
    let h = owner
        .c
        .get(&format!("/api/v1/circles/{c}/rooms/{room}/messages"))
        .await;
    assert_eq!(h.body[0]["body"], "在新房间 in the new room");
    let r = owner
        .c
        .post(&format!("/api/v1/circles/{c}/rooms"), json!({"name": ""}))
        .await;
    assert_eq!((r.status, r.body["field"].as_str()), (422, Some("name")));
    // Twenty rooms at most, even when many are added at once.
    let results = futures::future::join_all((0..25).map(|i| {
        let path = format!("/api/v1/circles/{c}/rooms");
        let owner = &owner;
        async move {
            owner
                .c
                .post(&path, json!({"name": format!("room {i}")}))
                .await
                .status
        }
    }))
    .await;
    assert_eq!(
        results.iter().filter(|s| **s == 201).count(),
        18,
        "{results:?}"
    );
    assert!(results.iter().all(|s| *s == 201 || *s == 422));
    let rooms = owner.c.get(&format!("/api/v1/circles/{c}/rooms")).await;
    assert_eq!(rooms.body.as_array().map(Vec::len), Some(20));
}
