//! Posts in a circle: comment threads, reactions that count people, and the feed's
//! sorts (hot by the stored rank, top within a period, active by the latest comment).

use quan_core::Clock;
use quan_testkit::{TestApp, User, on_both_backends};
use quan_web::api::circles::posts::PostPage;
use serde_json::json;

on_both_backends!(
    comments_thread_two_levels_deep,
    reactions_count_people_once,
    feed_sorts_by_rank_score_and_activity
);

/// The owner, org, circle and ids of a community circle with two posts, A then B.
async fn two_posts(app: &TestApp) -> (User, String, String, String, String) {
    let (owner, org) = app.owner("Remy").await;
    let cid = owner
        .circle(&org, json!({"name": "Chatty", "mode": "community"}))
        .await;
    let a = owner.post(&cid, json!({"title": "A"})).await.id;
    let b = owner.post(&cid, json!({"title": "B"})).await.id;
    (owner, org, cid, a, b)
}

async fn comments_thread_two_levels_deep(app: TestApp) {
    let (owner, org, cid, a, b) = two_posts(&app).await;
    let other = owner
        .circle(&org, json!({"name": "Elsewhere", "mode": "community"}))
        .await;
    let outsider = app.user("Outsider").await;
    let path = format!("/api/v1/circles/{cid}/posts/{a}/comments");
    let r = outsider.c.post(&path, json!({"body": "hi"})).await;
    assert_eq!(r.problem(), (403, Some("not_member")));
    // A post of one circle is not reachable through another.
    let r = owner
        .c
        .get(&format!("/api/v1/circles/{other}/posts/{a}"))
        .await;
    assert_eq!(r.status, 404);

    // A reply to a reply joins the top-level thread.
    let top = owner.comment(&cid, &a, "第一 first", None).await.id;
    owner.comment(&cid, &a, "second", None).await;
    let reply = owner.comment(&cid, &a, "reply", Some(&top)).await.id;
    let deep = owner
        .comment(&cid, &a, "reply to reply", Some(&reply))
        .await;
    assert_eq!(
        deep.parent_id.as_deref(),
        Some(top.as_str()),
        "two levels deep"
    );
    let wrong = owner
        .c
        .post(
            &format!("/api/v1/circles/{cid}/posts/{b}/comments"),
            json!({"body": "x", "parent_id": top}),
        )
        .await;
    assert_eq!(
        wrong.status, 404,
        "a parent must be a comment of the same post"
    );
    let empty = owner.c.post(&path, json!({"body": "  "})).await;
    assert_eq!(
        (empty.status, empty.body["field"].as_str()),
        (422, Some("body"))
    );
    let detail = owner.post_detail(&cid, &a).await;
    let order: Vec<&str> = detail.comments.iter().map(|c| c.body.as_str()).collect();
    assert_eq!(order, ["第一 first", "reply", "reply to reply", "second"]);
    assert_eq!(detail.post.comment_count, 4);
}

async fn reactions_count_people_once(app: TestApp) {
    let (owner, _, cid, a, b) = two_posts(&app).await;
    let outsider = app.user("Outsider").await;
    let path = format!("/api/v1/circles/{cid}/posts/{a}/reactions/like");
    assert_eq!(outsider.c.put(&path, json!({})).await.status, 403);

    // One of each kind per person; repeats change nothing.
    assert_eq!(owner.react(&cid, &b, "like").await.score, 1);
    assert_eq!(owner.react(&cid, &b, "like").await.score, 1);
    let r = owner.react(&cid, &b, "tea").await;
    assert_eq!((r.score, r.mine.len()), (2, 2));
    let r = owner.unreact(&cid, &b, "like").await;
    assert_eq!((r.score, r.mine), (1, vec!["tea".to_owned()]));
    let bad = owner
        .c
        .put(
            &format!("/api/v1/circles/{cid}/posts/{b}/reactions/thumbs-down"),
            json!({}),
        )
        .await;
    assert_eq!(bad.problem(), (422, Some("invalid_reaction")));

    // Many members, each clicking like three times at once: the score counts people.
    let mut members = Vec::new();
    for i in 0..12 {
        let u = app.user(&format!("Fan{i}")).await;
        u.join(&cid).await;
        members.push(u);
    }
    let path = format!("/api/v1/circles/{cid}/posts/{b}/reactions/like");
    let mut tasks = Vec::new();
    for u in &members {
        for _ in 0..3 {
            let (c, path) = (u.c.clone(), path.clone());
            tasks.push(tokio::spawn(async move { c.put(&path, json!({})).await }));
        }
    }
    for t in tasks {
        let r = t.await.unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(r.status, 200, "{}", r.text);
    }
    let score = owner.post_detail(&cid, &b).await.post.score;
    assert_eq!(score, 13, "12 likes + the owner's tea");
}

async fn feed_sorts_by_rank_score_and_activity(app: TestApp) {
    let (owner, _, cid, a, b) = two_posts(&app).await;
    // Time passes before the comment, so A's activity is the latest; B is liked.
    app.clock.advance_secs(60);
    owner.comment(&cid, &a, "first", None).await;
    owner.react(&cid, &b, "like").await;
    for i in 0..3 {
        let u = app.user(&format!("Fan{i}")).await;
        u.join(&cid).await;
        u.react(&cid, &b, "like").await;
    }

    // The rank job turns score into order: B (score 4) outranks A (score 0), though
    // A and B are the same age.
    app.services
        .store
        .post_rank_batch(app.clock.now(), 100)
        .await
        .unwrap_or(0);
    let ids = |p: PostPage| -> Vec<String> { p.items.into_iter().map(|p| p.id).collect() };
    assert_eq!(ids(owner.feed(&cid, "sort=hot").await)[0], b);

    // Top by score within a period; active by the latest comment, paged by keyset.
    assert_eq!(
        ids(owner.feed(&cid, "sort=top&period=day").await),
        [b.clone(), a.clone()]
    );
    let active = owner.feed(&cid, "sort=active&limit=1").await;
    assert_eq!(active.items[0].id, a, "A has the latest comment");
    let next = active.next.unwrap_or_default();
    let page2 = owner
        .feed(&cid, &format!("sort=active&limit=1&after={next}"))
        .await;
    assert_eq!(page2.items[0].id, b);
    app.clock.advance_secs(2 * 24 * 3600);
    let old = owner.feed(&cid, "sort=top&period=day").await;
    assert!(old.items.is_empty(), "outside the period");
    assert_eq!(ids(owner.feed(&cid, "sort=top&period=all").await)[0], b);
    let bad = owner
        .c
        .get(&format!(
            "/api/v1/circles/{cid}/feed?sort=top&period=decade"
        ))
        .await;
    assert_eq!(bad.problem(), (400, Some("invalid_period")));
}
