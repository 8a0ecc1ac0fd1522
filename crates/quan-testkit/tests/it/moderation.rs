//! Moderation rules tested as classes, on both engines.

use quan_testkit::{TestApp, csrf_of, on_both_backends};
use serde_json::json;

on_both_backends!(
    pins_lead_the_feed_once_and_are_bounded_under_concurrency,
    first_day_limits_hold_under_concurrency,
    the_composer_is_offered_only_to_posters,
    a_refused_post_keeps_its_draft
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
        let f = owner.feed(&c, &format!("sort={sort}&limit=50")).await;
        let pinned: Vec<&str> = f.pinned.iter().map(|p| p.id.as_str()).collect();
        let items: Vec<&str> = f.items.iter().map(|p| p.id.as_str()).collect();
        assert_eq!(pinned.len(), 5, "{sort}: {pinned:?}");
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

/// A composer is shown only to those who may post; a refused post comes back with
/// everything typed, and a new member is told their first-day image allowance.
async fn the_composer_is_offered_only_to_posters(app: TestApp) {
    let (owner, org) = app.owner("Cam").await;
    let open = owner
        .circle(&org, json!({"name": "Open", "mode": "community"}))
        .await;
    let staff_only = owner
        .circle(&org, json!({"name": "Announcements", "mode": "community"}))
        .await;
    owner
        .settings(&staff_only, json!({"posting": "staff"}))
        .await;
    let m = app.user("Mo").await;
    m.join(&open).await;
    m.join(&staff_only).await;
    let page = m.c.get(&format!("/app/circles/{staff_only}")).await;
    assert_eq!(page.status, 200);
    let no_composer = !page.text.contains("id=\"composer\"");
    assert!(no_composer, "no composer for a member here");
    assert!(
        page.text.contains("id=\"staff-posting\""),
        "the page says why"
    );
    let page = m.c.get(&format!("/app/circles/{open}")).await;
    assert!(page.text.contains("id=\"composer\""));
    let first_day = page.text.contains("id=\"first-day\"");
    assert!(first_day, "the first-day allowance is shown");
}

async fn a_refused_post_keeps_its_draft(app: TestApp) {
    let (owner, org) = app.owner("Cam").await;
    let open = owner
        .circle(&org, json!({"name": "Open", "mode": "community"}))
        .await;
    let m = app.user("Mo").await;
    m.join(&open).await;
    owner.set_word(&org, "fakeprize", "reject").await;
    let page = m.c.get(&format!("/app/circles/{open}")).await;
    let csrf = csrf_of(&page.text);
    let fields = [
        ("csrf", csrf.as_str()),
        ("title", "Win a fakeprize today"),
        ("body", "My long thoughtful draft about oolong"),
        ("tags", "oolong"),
    ];
    // With a photo attached: the refusal comes before the upload.
    let photo = Some(("images", quan_testkit::png(0)));
    let path = format!("/app/circles/{open}/posts");
    let r = m.c.multipart(&path, &fields, photo).await;
    assert_eq!(r.status, 422, "{}", r.text);
    let kept = |s: &str| r.text.contains(s);
    assert!(kept("value=\"Win a fakeprize today\""), "title kept");
    assert!(kept("My long thoughtful draft about oolong"), "body kept");
    assert!(kept("value=\"oolong\""), "tags kept");
    let why = "This text contains “fakeprize”, a word this organisation does not allow.";
    assert!(kept(why), "the reason, in words, naming the word");
    assert!(
        kept("id=\"images-again\""),
        "asked to choose the images again"
    );
    // The refused post spent none of the first-day allowance: three uploads pass.
    let images = format!("/api/v1/circles/{open}/images");
    for i in 0..3 {
        let png = quan_testkit::png(500 + i);
        let up = m.c.raw("POST", &images, "image/png", png).await;
        assert_eq!(up.map(|r| r.status), Some(201), "upload {i}");
    }
}
