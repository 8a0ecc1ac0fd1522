//! Cluster mode: two nodes on one PostgreSQL and one Redis. An event published on
//! node A reaches a WebSocket subscriber on node B; images, rate limits and token
//! revocations are shared; a welcome delivered by both nodes goes out once; a
//! flash sale's Redis gate admits no more than its stock across both nodes, a
//! coupon never gives out more than its supply, and a pickup point set up on one
//! node is matched on the other.

use crate::ws::{connect, event_of_kind, next, send, token};
use quan_testkit::{Backend, Client, Spawn, TestApp, TestDb, spawn_with};
use serde_json::json;
use std::sync::Arc;

/// Two nodes on one fresh PostgreSQL database and the Redis bus; `None` (with the
/// loud skip message) where either service is missing.
async fn two_nodes() -> Option<(TestApp, TestApp)> {
    let db = Arc::new(TestDb::new(Backend::Postgres).await?);
    let a = spawn_with(Backend::Postgres, node_on(&db)).await?;
    let b = spawn_with(Backend::Postgres, node_on(&db)).await?;
    assert_eq!(a.services.bus.name(), "redis");
    Some((a, b))
}

/// A node's options on the shared database and the Redis bus.
fn node_on(db: &Arc<TestDb>) -> Spawn {
    Spawn {
        db: Some(Arc::clone(db)),
        redis: true,
        blobs_in_database: true,
        ..Spawn::default()
    }
}

/// The same credentials, sent to another node.
fn on(node: &TestApp, c: &Client) -> Client {
    Client {
        base: node.base.clone(),
        ..c.clone()
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_event_on_node_a_reaches_a_websocket_on_node_b() {
    let Some((a, b)) = two_nodes().await else {
        return;
    };
    // The owner works on node A; the token made there is valid on node B (one store).
    let (owner, org) = a.owner("Node A owner").await;
    let tok = token(&a, &owner, &org).await;
    let mut ws = connect(&b.base, &tok).await;
    let sub = json!({"type": "subscribe", "topic": format!("org:{org}")});
    send(&mut ws, sub).await;
    assert_eq!(next(&mut ws).await["type"], "subscribed");

    owner.create_person(&org, "跨节点 Cross-node").await;
    let ev = event_of_kind(&mut ws, "person.created").await;
    assert_eq!(ev["data"]["data"]["display_name"], "跨节点 Cross-node");
    let ready = b.client().get("/readyz").await;
    assert_eq!(
        (ready.status, ready.body["bus"].as_str()),
        (200, Some("ok"))
    );
    a.stop().await;
    b.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn images_and_rate_limits_are_shared_between_nodes() {
    let Some((a, b)) = two_nodes().await else {
        return;
    };
    let (owner, org) = a.owner("Node A owner").await;
    // An image uploaded through node A is served by node B: the nodes share no disk,
    // the bytes live in the shared database.
    let circle = owner
        .circle(&org, json!({"name": "Photos", "mode": "community"}))
        .await;
    let id = owner.upload_png(&circle).await;
    let img = on(&b, &owner.c).get(&format!("/api/v1/images/{id}")).await;
    assert_eq!(
        (img.status, img.content_type.as_str()),
        (200, "image/jpeg"),
        "{}",
        img.text
    );

    // Rate limits are shared too: failures counted on A slow logins on B.
    let wrong = json!({"login": owner.login, "password": "wrong-wrong"});
    for _ in 0..5 {
        a.client().post("/api/v1/sessions", wrong.clone()).await;
    }
    let right = json!({"login": owner.login, "password": "password-123"});
    let r = b.client().post("/api/v1/sessions", right).await;
    assert_eq!(r.status, 429, "{}", r.text);
    a.stop().await;
    b.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_token_revoked_on_node_a_is_refused_on_node_b_at_once() {
    let Some((a, b)) = two_nodes().await else {
        return;
    };
    let (owner, org) = a.owner("Node A owner").await;
    let tok = token(&a, &owner, &org).await;
    // B has the token cached; the eviction of A's revocation travels over the bus.
    let bot_b = on(&b, &owner.c.with_token(&tok));
    let org_path = format!("/api/v1/orgs/{org}");
    assert_eq!(bot_b.get(&org_path).await.status, 200, "cached on B now");
    let id = owner.tokens(&org).await.remove(0).id;
    owner.revoke_token(&org, &id).await;
    let mut denied = false;
    for _ in 0..20 {
        if bot_b.get(&org_path).await.status == 401 {
            denied = true;
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(25)).await;
    }
    assert!(denied, "node B still honours a token revoked on node A");
    a.stop().await;
    b.stop().await;
}

/// Customers add the staff member through a code on both nodes at once, while both
/// nodes also deliver every welcome again (a duplicated event, each node's backing
/// job): each customer hears exactly one welcome, read through the other node.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_welcome_goes_out_once_when_both_nodes_deliver_it() {
    let Some((a, b)) = two_nodes().await else {
        return;
    };
    let (owner, org) = a.owner("Two-node shop").await;
    let code = owner
        .create_code(
            &org,
            json!({"name": "Poster", "staff": [owner.id], "welcome": "你好 {{name}}"}),
        )
        .await;
    let mut customers = Vec::new();
    for i in 0..6 {
        let mut u = a.user(&format!("Customer {i}")).await;
        if i % 2 == 1 {
            u.c = on(&b, &u.c);
        }
        customers.push(u);
    }
    let org_id = quan_domain::OrgId::parse(&org).unwrap_or_else(|e| panic!("{e}"));
    let adds = futures::future::join_all(customers.iter().map(|u| async {
        let contact = u.open_code(&code.url).await.id;
        let id = quan_domain::ContactId::parse(&contact).unwrap_or_else(|e| panic!("{e}"));
        let again = futures::future::join(
            quan_core::reach::codes::deliver_welcome(&a.services, org_id, id),
            quan_core::reach::codes::deliver_welcome(&b.services, org_id, id),
        )
        .await;
        assert!(
            matches!(again, (Ok(false), Ok(false))),
            "sent inline already: {again:?}"
        );
        contact
    }))
    .await;
    for (i, (u, contact)) in customers.iter().zip(&adds).enumerate() {
        let reader = quan_testkit::User {
            c: on(&b, &u.c),
            id: u.id.clone(),
            login: u.login.clone(),
        };
        let welcomes: Vec<_> = reader
            .conversation(contact)
            .await
            .messages
            .into_iter()
            .filter(|m| m.kind == "welcome")
            .collect();
        assert_eq!(welcomes.len(), 1, "{} heard {welcomes:?}", u.login);
        assert_eq!(welcomes[0].body, format!("你好 Customer {i}"));
    }
    a.stop().await;
    b.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_nodes_never_sell_more_than_a_flash_sale_has() {
    let Some((a, b)) = two_nodes().await else {
        return;
    };
    assert_eq!(
        (a.services.gate.name(), b.services.gate.name()),
        ("redis", "redis")
    );
    let (owner, org) = a.owner("Node A owner").await;
    let p = owner
        .create_product(&org, "明前龙井 Longjing", &[("100 g", 3800, 100)])
        .await;
    let sale = owner
        .flash_sale(&a, &org, (&p.id, &p.skus[0].id), (1990, 30, 1))
        .await;
    let (org_id, sale_id) = (
        org.parse().unwrap_or_else(|_| panic!("org id")),
        sale.id.parse().unwrap_or_else(|_| panic!("sale id")),
    );
    // 600 buyers, every other one on node B, all at once: exactly the thirty.
    let buyers = crate::commerce_flash::buyers_in_store(&a, 600).await;
    let won = crate::commerce_flash::race_on(&[&a, &b], &buyers, org_id, sale_id, "k").await;
    assert_eq!(won.len(), 30);
    assert_eq!(owner.org_flash_sales(&org).await[0].remaining, 0);
    // An order cancelled through node B gives its unit back to the shared gate, and
    // a buyer on node A gets it.
    let o = a
        .services
        .store
        .order_by_id(won[0].parse().unwrap_or_else(|_| panic!("order id")))
        .await
        .unwrap_or_else(|e| panic!("{e}"))
        .unwrap_or_else(|| panic!("order"));
    let who = buyers
        .iter()
        .find(|x| x.account_id() == o.buyer)
        .unwrap_or_else(|| panic!("the buyer"));
    quan_core::commerce::orders::cancel(&b.services, who, o.id)
        .await
        .unwrap_or_else(|e| panic!("cancel: {e}"));
    let fresh = crate::commerce_flash::buyers_in_store(&a, 50).await;
    let again = crate::commerce_flash::race_on(&[&a], &fresh, org_id, sale_id, "k2").await;
    assert_eq!(again.len(), 1);
    a.stop().await;
    b.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_nodes_never_give_out_more_coupons_than_the_supply() {
    let Some((a, b)) = two_nodes().await else {
        return;
    };
    let (owner, org) = a.owner("Node A owner").await;
    let c = owner
        .create_coupon(
            &org,
            json!({"name": "立减5元", "kind": "fixed", "off_fen": 500, "scope": "all",
                   "valid_days": 7, "supply": 10, "per_person": 1}),
        )
        .await;
    let (org_id, coupon) = (
        org.parse().unwrap_or_else(|_| panic!("org id")),
        c.id.parse().unwrap_or_else(|_| panic!("coupon id")),
    );
    // A thousand claims, every other one on node B, all at once: exactly ten.
    let buyers = crate::commerce_flash::buyers_in_store(&a, 1000).await;
    let tasks: Vec<_> = buyers
        .into_iter()
        .enumerate()
        .map(|(i, who)| {
            let svc = if i % 2 == 0 { &a } else { &b }.services.clone();
            tokio::spawn(async move {
                quan_core::commerce::coupons::claim(&svc, &who, org_id, coupon, "k").await
            })
        })
        .collect();
    let mut won = 0;
    for t in tasks {
        match t.await.unwrap_or_else(|e| panic!("task: {e}")) {
            Ok(_) => won += 1,
            Err(quan_core::commerce::error::CommerceError::CouponSoldOut) => {}
            Err(e) => panic!("neither a claim nor sold out: {e}"),
        }
    }
    assert_eq!(won, 10);
    assert_eq!(owner.org_coupons(&org).await[0].claimed, 10);
    a.stop().await;
    b.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_pickup_point_set_up_on_node_a_is_matched_on_node_b() {
    use quan_testkit::calls::local::leader_body;
    let Some(db) = TestDb::new(Backend::Postgres).await.map(Arc::new) else {
        return;
    };
    let (Some(a), Some(b)) = (
        spawn_with(Backend::Postgres, node_on(&db)).await,
        spawn_with(Backend::Postgres, node_on(&db)).await,
    ) else {
        return;
    };
    let (owner, org) = a.owner("Node A greens").await;
    let buyer = a.user("Buyer").await;
    let buyer_b = quan_testkit::User {
        c: on(&b, &buyer.c),
        id: buyer.id.clone(),
        login: buyer.login.clone(),
    };
    let here = (30.2610, 120.1530);
    let l = owner
        .create_leader(&org, leader_body("断桥", here, 3_000))
        .await;
    // Node B hears of it over the bus: within moments, never by a restart.
    let seen = async {
        for _ in 0..100 {
            let points = buyer_b.pickup_points(&org, here).await;
            if points.first().is_some_and(|p| p.leader_id == l.id) {
                return true;
            }
            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        }
        false
    };
    assert!(seen.await, "node B never matched the new point");
    // Moved across town on node A: node B matches it at its new place, which
    // only its own index can know (the store is read for the matches only).
    let far = (30.3200, 120.2500);
    let mut body = leader_body("断桥", far, 3_000);
    body["point_name"] = json!("搬走了 Moved");
    owner.update_leader(&org, &l.id, body).await;
    let moved = async {
        for _ in 0..100 {
            let here_now = buyer_b.pickup_points(&org, here).await;
            let there = buyer_b.pickup_points(&org, far).await;
            if here_now.is_empty() && there.first().is_some_and(|p| p.leader_id == l.id) {
                return true;
            }
            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        }
        false
    };
    assert!(moved.await, "node B never saw the point move");
    // A node started now builds its index from the store.
    if let Some(c) = spawn_with(Backend::Postgres, node_on(&db)).await {
        let buyer_c = quan_testkit::User {
            c: on(&c, &buyer.c),
            id: buyer.id.clone(),
            login: buyer.login.clone(),
        };
        let there = buyer_c.pickup_points(&org, far).await;
        assert_eq!(
            there.first().map(|p| p.leader_id.as_str()),
            Some(l.id.as_str())
        );
        c.stop().await;
    }
    a.stop().await;
    b.stop().await;
}
