//! Cluster mode: two nodes on one PostgreSQL and one Redis. An event published on
//! node A reaches a WebSocket subscriber on node B.

use crate::ws::{connect, event_of_kind, next, send, token};
use quan_testkit::{Backend, Spawn, TestDb, spawn_with};
use serde_json::json;
use std::sync::Arc;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_event_on_node_a_reaches_a_websocket_on_node_b() {
    let Some(db) = TestDb::new(Backend::Postgres).await else {
        return;
    };
    let db = Arc::new(db);
    let Some(a) = spawn_with(
        Backend::Postgres,
        Spawn {
            db: Some(Arc::clone(&db)),
            redis: true,
            blobs_in_database: true,
            ..Spawn::default()
        },
    )
    .await
    else {
        return;
    };
    let Some(b) = spawn_with(
        Backend::Postgres,
        Spawn {
            db: Some(db),
            redis: true,
            blobs_in_database: true,
            ..Spawn::default()
        },
    )
    .await
    else {
        return;
    };
    assert_eq!(a.services.bus.name(), "redis");

    // The owner works on node A; the token made there is valid on node B (one store).
    let (owner, org) = a.owner("Node A owner").await;
    let tok = token(&a, &owner, &org).await;
    let mut ws = connect(&b.base, &tok).await;
    send(
        &mut ws,
        json!({"type": "subscribe", "topic": format!("org:{org}")}),
    )
    .await;
    assert_eq!(next(&mut ws).await["type"], "subscribed");

    let r = owner
        .c
        .post(
            &format!("/api/v1/orgs/{org}/persons"),
            json!({"display_name": "跨节点 Cross-node"}),
        )
        .await;
    assert_eq!(r.status, 201);
    let ev = event_of_kind(&mut ws, "person.created").await;
    assert_eq!(ev["data"]["data"]["display_name"], "跨节点 Cross-node");

    // An image uploaded through node A is served by node B: the nodes share no disk,
    // the bytes live in the shared database.
    let circle = owner
        .circle(&org, json!({"name": "Photos", "mode": "community"}))
        .await;
    let png = quan_testkit::png(4096);
    let up = owner
        .c
        .raw(
            "POST",
            &format!("/api/v1/circles/{circle}/images"),
            "image/png",
            png.clone(),
        )
        .await
        .unwrap_or_else(|| panic!("no response"));
    assert_eq!(up.status, 201, "{}", up.text);
    let on_b = quan_testkit::Client {
        base: b.base.clone(),
        ..owner.c.clone()
    };
    let img = on_b.get(up.body["url"].as_str().unwrap_or_default()).await;
    assert_eq!(
        (img.status, img.content_type.as_str()),
        (200, "image/jpeg"),
        "{}",
        img.text
    );

    // Rate limits are shared too: failures counted on A slow logins on B.
    for _ in 0..5 {
        a.client()
            .post(
                "/api/v1/sessions",
                json!({"login": owner.login, "password": "wrong-wrong"}),
            )
            .await;
    }
    let r = b
        .client()
        .post(
            "/api/v1/sessions",
            json!({"login": owner.login, "password": "password-123"}),
        )
        .await;
    assert_eq!(r.status, 429, "{}", r.text);

    // Revoking on A is honoured on B at once, though B had the token cached: the
    // eviction travels over the bus.
    let bot_b = owner.c.with_token(&tok);
    let bot_b = quan_testkit::Client {
        base: b.base.clone(),
        ..bot_b
    };
    assert_eq!(
        bot_b.get(&format!("/api/v1/orgs/{org}")).await.status,
        200,
        "cached on B now"
    );
    let list = owner.c.get(&format!("/api/v1/orgs/{org}/tokens")).await;
    let tid = list
        .body
        .as_array()
        .and_then(|l| l.first())
        .and_then(|t| t["id"].as_str())
        .unwrap_or_default()
        .to_owned();
    assert_eq!(
        owner
            .c
            .delete(&format!("/api/v1/orgs/{org}/tokens/{tid}"))
            .await
            .status,
        204
    );
    let mut denied = false;
    for _ in 0..20 {
        if bot_b.get(&format!("/api/v1/orgs/{org}")).await.status == 401 {
            denied = true;
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(25)).await;
    }
    assert!(denied, "node B still honours a token revoked on node A");

    let ready = b.client().get("/readyz").await;
    assert_eq!(
        (ready.status, ready.body["bus"].as_str()),
        (200, Some("ok"))
    );
    a.stop().await;
    b.stop().await;
}
