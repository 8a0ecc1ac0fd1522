//! Moderation rules tested as classes, on both engines.

use quan_testkit::{TestApp, on_both_backends};
use serde_json::json;

on_both_backends!(
    pins_lead_the_feed_once_and_are_bounded_under_concurrency,
    first_day_limits_hold_under_concurrency
);

/// A pinned post is in `pinned`, never again in `items`; a circle holds at most five
/// pins, however many moderators pin at once.
async fn pins_lead_the_feed_once_and_are_bounded_under_concurrency(app: TestApp) {
    let (owner, org) = app.owner("Pia").await;
    let c = owner
        .circle(&org, json!({"name": "Pins", "mode": "community"}))
        .await;
    let mut posts = Vec::new();
    for i in 0..9 {
        let r = owner
            .c
            .post(
                &format!("/api/v1/circles/{c}/posts"),
                json!({"kind": "topic", "title": format!("Post {i}"), "body": "b"}),
            )
            .await;
        assert_eq!(r.status, 201, "{}", r.text);
        posts.push(r.body["id"].as_str().unwrap_or_default().to_owned());
    }
    let paths: Vec<String> = posts
        .iter()
        .map(|p| format!("/api/v1/circles/{c}/posts/{p}/pin"))
        .collect();
    let results = futures::future::join_all(paths.iter().map(|p| owner.c.put(p, json!({})))).await;
    let done = results.iter().filter(|r| r.status == 204).count();
    let refused: Vec<_> = results.iter().filter(|r| r.status == 409).collect();
    assert_eq!(done, 5, "exactly five pins");
    assert_eq!(refused.len(), 4);
    assert!(refused.iter().all(|r| r.body["code"] == "pin_limit"));
    for sort in ["new", "hot", "active", "top"] {
        let f = owner
            .c
            .get(&format!("/api/v1/circles/{c}/feed?sort={sort}&limit=50"))
            .await;
        assert_eq!(f.status, 200, "{}", f.text);
        let pinned: Vec<&str> = f.body["pinned"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|p| p["id"].as_str())
            .collect();
        let items: Vec<&str> = f.body["items"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|p| p["id"].as_str())
            .collect();
        assert_eq!(pinned.len(), 5, "{sort}: {}", f.text);
        assert_eq!(items.len(), 4, "{sort}: the other four");
        assert!(
            items.iter().all(|i| !pinned.contains(i)),
            "{sort}: a pinned post is not in the items too"
        );
    }
    // Unpinning one makes room again.
    let first = &posts[0];
    let any_pinned = results
        .iter()
        .zip(&posts)
        .find(|(r, _)| r.status == 204)
        .map(|(_, p)| p.clone())
        .unwrap_or_else(|| first.clone());
    let r = owner
        .c
        .delete(&format!("/api/v1/circles/{c}/posts/{any_pinned}/pin"))
        .await;
    assert_eq!(r.status, 204, "{}", r.text);
    let unpinned = results
        .iter()
        .zip(&posts)
        .find(|(r, _)| r.status == 409)
        .map(|(_, p)| p.clone())
        .unwrap_or_default();
    let r = owner
        .c
        .put(
            &format!("/api/v1/circles/{c}/posts/{unpinned}/pin"),
            json!({}),
        )
        .await;
    assert_eq!(r.status, 204, "{}", r.text);
}

/// A new member's first day: three posts and ten comments, however many are sent at
/// once (the count and the insert are one step in the store).
async fn first_day_limits_hold_under_concurrency(app: TestApp) {
    let (owner, org) = app.owner("Nia").await;
    let c = owner
        .circle(&org, json!({"name": "Newcomers", "mode": "community"}))
        .await;
    let new = app.user("Ned").await;
    new.join(&c).await;
    let posts = format!("/api/v1/circles/{c}/posts");
    let bodies: Vec<_> = (0..10)
        .map(|i| json!({"kind": "topic", "title": format!("Hello {i}"), "body": "hi"}))
        .collect();
    let results =
        futures::future::join_all(bodies.iter().map(|b| new.c.post(&posts, b.clone()))).await;
    let ok = results.iter().filter(|r| r.status == 201).count();
    assert_eq!(ok, 3, "three posts on the first day");
    for r in results.iter().filter(|r| r.status != 201) {
        assert_eq!(r.status, 429, "{}", r.text);
        assert_eq!(r.body["code"], "new_member_limit");
    }
    let target = results
        .iter()
        .find(|r| r.status == 201)
        .and_then(|r| r.body["id"].as_str())
        .unwrap_or_default()
        .to_owned();
    let comments = format!("/api/v1/circles/{c}/posts/{target}/comments");
    let results = futures::future::join_all(
        (0..25).map(|i| new.c.post(&comments, json!({"body": format!("c{i}")}))),
    )
    .await;
    assert_eq!(
        results.iter().filter(|r| r.status == 201).count(),
        10,
        "ten comments on the first day"
    );
    // Staff are trusted from day one.
    let r = owner
        .c
        .post(
            &posts,
            json!({"kind": "topic", "title": "staff", "body": "b"}),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.text);
}
