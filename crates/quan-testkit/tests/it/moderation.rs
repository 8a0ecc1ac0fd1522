//! Moderation rules tested as classes, on both engines.

use quan_testkit::{TestApp, on_both_backends};
use serde_json::json;

on_both_backends!(pins_lead_the_feed_once_and_are_bounded_under_concurrency);

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
