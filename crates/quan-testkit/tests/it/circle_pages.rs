//! Small promises of the member app's pages, checked over HTTP on both engines:
//! comments read like posts, the check-in button remembers today, destructive
//! buttons ask first, the merge list starts empty, tabs have an icon.

use quan_testkit::{TestApp, on_both_backends};
use serde_json::json;

on_both_backends!(pages_keep_their_small_promises);

async fn pages_keep_their_small_promises(app: TestApp) {
    let (owner, org) = app.owner("Pam").await;
    let c = owner
        .circle(&org, json!({"name": "Pages", "mode": "community"}))
        .await;
    let post = owner
        .c
        .post(
            &format!("/api/v1/circles/{c}/posts"),
            json!({"kind": "topic", "title": "Markdown", "body": "b"}),
        )
        .await;
    let pid = post.body["id"].as_str().unwrap_or_default().to_owned();
    owner
        .c
        .post(
            &format!("/api/v1/circles/{c}/posts/{pid}/comments"),
            json!({"body": "**bold** and <script>alert(1)</script>"}),
        )
        .await;
    let page = owner.c.get(&format!("/app/circles/{c}/posts/{pid}")).await;
    assert!(
        page.text.contains("<strong>bold</strong>"),
        "comments render markdown"
    );
    assert!(!page.text.contains("<script>alert"), "and stay safe");
    assert!(page.text.contains("data-confirm="), "delete asks first");

    let before = owner.c.get(&format!("/app/circles/{c}")).await;
    assert!(before.text.contains("id=\"checkin\""));
    // Counts are words: one member is "1 member", not "1 Members".
    assert!(before.text.contains("1 member<"), "one member in words");
    owner
        .c
        .post(&format!("/api/v1/circles/{c}/checkins"), json!({}))
        .await;
    let after = owner.c.get(&format!("/app/circles/{c}")).await;
    assert!(after.text.contains("id=\"checked-in\""), "checked in today");
    assert!(!after.text.contains("id=\"checkin\""));

    let icon = owner.c.get("/favicon.svg").await;
    assert_eq!(
        (icon.status, icon.content_type.as_str()),
        (200, "image/svg+xml")
    );
    assert!(before.text.contains("rel=\"icon\""));

    let p = owner
        .c
        .post(
            &format!("/api/v1/orgs/{org}/persons"),
            json!({"display_name": "Someone"}),
        )
        .await;
    let person = p.body["id"].as_str().unwrap_or_default().to_owned();
    owner
        .c
        .post(
            &format!("/api/v1/orgs/{org}/persons"),
            json!({"display_name": "Other"}),
        )
        .await;
    let page = owner
        .c
        .get(&format!("/console/{org}/persons/{person}"))
        .await;
    assert!(
        page.text.contains("<option value=\"\" selected disabled>"),
        "the merge list starts empty"
    );
}
