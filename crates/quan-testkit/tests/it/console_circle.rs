//! The console's circle page reviews the queue and makes invite links without
//! leaving the console; a moderator opens a held post; saving says so; the circles
//! list offers creating and featuring only to roles that may. Both engines.

use quan_testkit::{TestApp, csrf_of, on_both_backends};
use serde_json::json;

on_both_backends!(
    the_console_reviews_and_invites,
    the_circles_page_offers_only_what_the_role_may_do
);

async fn the_console_reviews_and_invites(app: TestApp) {
    let (owner, org) = app.owner("Ivy").await;
    let c = owner
        .circle(&org, json!({"name": "Tea", "mode": "community"}))
        .await;
    owner.set_word(&org, "cheapwatch", "hold").await;
    let mo = app.user("Mo").await;
    mo.join(&c).await;
    let deal = json!({"title": "Deals", "body": "cheapwatch for sale, ask me"});
    let post = mo.post(&c, deal).await.id;

    let page_path = format!("/console/{org}/circles/{c}");
    let page = owner.c.get(&page_path).await;
    assert_eq!(page.status, 200);
    assert!(page.text.contains("id=\"queue\""), "{}", page.text);
    assert!(
        page.text.contains("cheapwatch for sale"),
        "the held text shows"
    );
    let held = owner.c.get(&format!("/app/circles/{c}/posts/{post}")).await;
    assert_eq!(held.status, 200, "a moderator opens a held post");
    assert!(held.text.contains("id=\"hidden-badge\""));
    let other = app.user("Other").await;
    other.join(&c).await;
    let seen = other.c.get(&format!("/app/circles/{c}/posts/{post}")).await;
    assert_ne!(
        seen.status, 200,
        "a held post stays hidden from other members"
    );

    let csrf = csrf_of(&page.text);
    let decide = [("csrf", csrf.as_str()), ("decision", "dismissed")];
    let r = owner
        .c
        .form(&format!("{page_path}/queue/{post}"), &decide)
        .await;
    assert_eq!(r.status, 303, "{}", r.text);
    let back = owner.c.get(&format!("{page_path}?saved=1")).await;
    assert!(back.text.contains("id=\"saved\""), "saving says so");
    assert!(!back.text.contains("cheapwatch for sale"), "reviewed");

    let invites = format!("{page_path}/invites");
    let link = [
        ("csrf", csrf.as_str()),
        ("label", "Shop poster"),
        ("max_uses", "50"),
    ];
    let r = owner.c.form(&invites, &link).await;
    assert_eq!(r.status, 200, "{}", r.text);
    let absolute = format!("{}/app/join/", app.base);
    assert!(r.text.contains(&absolute), "absolute");
    assert!(r.text.contains("Shop poster"));
    let bad = [("csrf", csrf.as_str()), ("max_uses", "lots")];
    let r = owner.c.form(&invites, &bad).await;
    assert_eq!(r.status, 422, "refused in the page: {}", r.text);
    assert!(r.text.contains("role=\"alert\""));
}

async fn the_circles_page_offers_only_what_the_role_may_do(app: TestApp) {
    let (owner, org) = app.owner("Ivy").await;
    let c = owner
        .circle(&org, json!({"name": "Tea", "mode": "community"}))
        .await;
    owner.try_boost_request(&c, json!({})).await;
    let zhao = app.user("Zhao").await;
    app.join(&owner, &org, &zhao, "sales").await;
    let path = format!("/console/{org}/circles");
    let create = format!("action=\"/console/{org}/circles\"");
    let mine = owner.c.get(&path).await;
    assert!(
        mine.text.contains(&create) && mine.text.contains("/boost\""),
        "{}",
        mine.text
    );
    let theirs = zhao.c.get(&path).await;
    assert_eq!(theirs.status, 200);
    assert!(
        !theirs.text.contains(&create) && !theirs.text.contains("/boost\""),
        "sales may neither create circles nor decide features: {}",
        theirs.text
    );
}
