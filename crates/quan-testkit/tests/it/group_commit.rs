//! Group commit: concurrent posts of many authors share the writer's transactions;
//! each lands once, with its event, and a refused one (a new member past the
//! first-day limit) rolls back alone. Both backends.

use quan_testkit::{TestApp, on_both_backends};
use serde_json::json;

on_both_backends!(concurrent_posts_each_land_once);

async fn concurrent_posts_each_land_once(app: TestApp) {
    let (owner, org) = app.owner("Ivy").await;
    let c = owner
        .circle(&org, json!({"name": "Tea", "mode": "community"}))
        .await;
    let mut members = Vec::new();
    for i in 0..8 {
        let m = app.user(&format!("M{i}")).await;
        m.join(&c).await;
        members.push(m);
    }
    // Past their first day: the eight may post freely.
    app.clock.advance_secs(2 * 24 * 3600);
    let newcomer = app.user("New").await;
    newcomer.join(&c).await;

    let posts = format!("/api/v1/circles/{c}/posts");
    let writes = members
        .iter()
        .flat_map(|m| (0..8).map(move |n| (m, json!({"title": format!("{} #{n}", m.login)}))));
    let new_ones = (0..6).map(|n| (&newcomer, json!({"title": format!("new #{n}")})));
    let all: Vec<_> = writes.chain(new_ones).collect();
    let results =
        futures::future::join_all(all.iter().map(|(u, b)| u.c.post(&posts, b.clone()))).await;

    let ok = results.iter().filter(|r| r.status == 201).count();
    let refused: Vec<_> = results.iter().filter(|r| r.status != 201).collect();
    assert_eq!(
        ok,
        64 + 3,
        "every member's posts and the newcomer's first three"
    );
    assert_eq!(refused.len(), 3);
    for r in refused {
        assert_eq!(r.body["code"], "new_member_limit", "{}", r.text);
    }
    let r = owner
        .c
        .get(&format!("/api/v1/circles/{c}/feed?limit=100"))
        .await;
    assert_eq!(
        r.body["items"].as_array().map_or(0, Vec::len),
        67,
        "{}",
        r.text
    );
    let r = owner
        .c
        .get(&format!("/api/v1/orgs/{org}/events?limit=200"))
        .await;
    let created = r.body["items"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|e| e["kind"] == "post.created")
        .count();
    assert_eq!(created, 67, "one event per post that stands");
}
