//! Notifications: who is told of what, audiences honoured, settings, read marks,
//! and the live push on the account's WebSocket topic. Both backends.

use crate::ws::{connect, next, send};
use quan_testkit::{TestApp, User, on_both_backends};
use serde_json::json;

on_both_backends!(
    notifications_reach_the_right_people_live,
    concurrent_identical_reactions_tell_the_author_once
);

async fn kinds(u: &User) -> (Vec<String>, i64) {
    let r = u.c.get("/api/v1/me/notifications").await;
    assert_eq!(r.status, 200, "{}", r.text);
    let k = r.body["items"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|n| n["kind"].as_str().unwrap_or_default().to_owned())
        .collect();
    (k, r.body["unread"].as_i64().unwrap_or(-1))
}

async fn notifications_reach_the_right_people_live(app: TestApp) {
    let (a, org) = app.owner("Ada").await;
    let c = a
        .circle(&org, json!({"name": "Club", "mode": "community"}))
        .await;
    let b = app.user("Ben").await;
    let d = app.user("Dee").await;
    for u in [&b, &d] {
        u.c.post(&format!("/api/v1/circles/{c}/join"), json!({}))
            .await;
    }
    // A listens on their own account topic.
    let tok =
        a.c.post(
            &format!("/api/v1/orgs/{org}/tokens"),
            json!({"name": "ws", "scopes": ["read"]}),
        )
        .await;
    let mut ws = connect(&app.base, tok.body["secret"].as_str().unwrap_or_default()).await;
    send(
        &mut ws,
        json!({"type": "subscribe", "topic": format!("account:{}", a.id)}),
    )
    .await;
    assert_eq!(next(&mut ws).await["type"], "subscribed");
    send(
        &mut ws,
        json!({"type": "subscribe", "topic": format!("account:{}", b.id)}),
    )
    .await;
    assert_eq!(
        next(&mut ws).await["type"],
        "error",
        "nobody listens to another's"
    );

    let p = a.post(&c, json!({"title": "茶会 Tea party"})).await.id;
    let own =
        a.c.post(
            &format!("/api/v1/circles/{c}/posts/{p}/comments"),
            json!({"body": "details soon"}),
        )
        .await;
    let own_comment = own.body["id"].as_str().unwrap_or_default().to_owned();
    assert_eq!(
        kinds(&a).await,
        (vec![], 0),
        "no one is told of their own acts"
    );

    // B replies to A's comment: A hears once (post author and comment author agree).
    b.c.post(
        &format!("/api/v1/circles/{c}/posts/{p}/comments"),
        json!({"body": "我来 I'm in", "parent_id": own_comment}),
    )
    .await;
    let live = next(&mut ws).await;
    assert_eq!(live["data"]["notification"]["kind"], "reply", "{live}");
    assert_eq!(live["data"]["notification"]["actor"], "Ben");
    // B likes it twice over: one notification.
    for _ in 0..2 {
        b.c.put(
            &format!("/api/v1/circles/{c}/posts/{p}/reactions/like"),
            json!({}),
        )
        .await;
    }
    assert_eq!(
        kinds(&a).await,
        (vec!["reaction".into(), "reply".into()], 2)
    );

    // Mentions reach those who may see the post, and only them.
    let r = a
        .c
        .post(
            &format!("/api/v1/circles/{c}/posts"),
            json!({"title": "VIP night", "body": "@Dee @Ben see you", "audience": "only", "audience_tags": ["vip"]}),
        )
        .await;
    assert_eq!(r.status, 201);
    assert_eq!(
        kinds(&d).await.0,
        Vec::<String>::new(),
        "Dee cannot see it: not told"
    );
    a.c.post(
        &format!("/api/v1/circles/{c}/posts"),
        json!({"title": "Open night", "body": "@Dee welcome"}),
    )
    .await;
    assert_eq!(kinds(&d).await, (vec!["mention".into()], 1));

    // Settings: A turns reactions off; D's like then says nothing.
    let r =
        a.c.put(
            "/api/v1/me/notification-settings/reaction",
            json!({"on": false}),
        )
        .await;
    assert_eq!(r.status, 204);
    d.c.put(
        &format!("/api/v1/circles/{c}/posts/{p}/reactions/like"),
        json!({}),
    )
    .await;
    assert_eq!(kinds(&a).await.1, 2);
    let s = a.c.get("/api/v1/me/notification-settings").await;
    assert!(
        s.body
            .as_array()
            .into_iter()
            .flatten()
            .any(|x| x["kind"] == "reaction" && x["on"] == false)
    );
    let r =
        a.c.put(
            "/api/v1/me/notification-settings/gossip",
            json!({"on": false}),
        )
        .await;
    assert_eq!((r.status, r.body["field"].as_str()), (422, Some("kind")));

    // Moderation and approvals tell the person concerned.
    let spam = d.post(&c, json!({"title": "ads"})).await.id;
    a.c.post(
        &format!("/api/v1/circles/{c}/posts/{spam}/reports"),
        json!({"reason": "spam"}),
    )
    .await;
    assert!(kinds(&d).await.0.contains(&"moderation".to_owned()));
    let biz = a
        .circle(
            &org,
            json!({"name": "Biz", "mode": "business", "public": true}),
        )
        .await;
    b.c.post(&format!("/api/v1/circles/{biz}/join"), json!({}))
        .await;
    a.c.post(
        &format!("/api/v1/circles/{biz}/members/{}/approve", b.id),
        json!({}),
    )
    .await;
    assert!(kinds(&b).await.0.contains(&"approval".to_owned()));

    // Read marks.
    let r = a.c.post("/api/v1/me/notifications/read", json!({})).await;
    assert_eq!(r.body["marked"], 2);
    assert_eq!(kinds(&a).await.1, 0);
    let r =
        a.c.post("/api/v1/me/notifications/read", json!({"up_to": "nope"}))
            .await;
    assert_eq!(
        (r.status, r.body["code"].as_str()),
        (400, Some("invalid_id"))
    );
}

/// Twelve identical likes at once: the score moves once and the author hears once.
async fn concurrent_identical_reactions_tell_the_author_once(app: TestApp) {
    let (author, org) = app.owner("Ola").await;
    let c = author
        .circle(&org, json!({"name": "Likes", "mode": "community"}))
        .await;
    let fan = app.user("Fay").await;
    fan.join(&c).await;
    let pid = author
        .post(
            &c,
            json!({"kind": "topic", "title": "Like me", "body": "once"}),
        )
        .await
        .id;
    let path = format!("/api/v1/circles/{c}/posts/{pid}/reactions/like");
    let calls = (0..12).map(|_| fan.c.put(&path, json!({})));
    let results = futures::future::join_all(calls).await;
    for r in &results {
        assert_eq!(r.status, 200, "{}", r.text);
        assert_eq!(r.body["score"].as_i64(), Some(1), "scored once: {}", r.text);
    }
    let (k, _) = kinds(&author).await;
    assert_eq!(
        k.iter().filter(|k| k.as_str() == "reaction").count(),
        1,
        "told once: {k:?}"
    );
}
