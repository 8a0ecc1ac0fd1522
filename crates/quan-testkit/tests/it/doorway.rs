//! A circle's link for those who cannot see the circle yet: approval circles open a
//! door (name, "Request to join"), invite-only ones say they are private, internal
//! ones stay not found; nothing of the content shows. Both engines.

use quan_testkit::{TestApp, on_both_backends};
use serde_json::json;

on_both_backends!(shared_links_open_the_right_door);

async fn shared_links_open_the_right_door(app: TestApp) {
    let (owner, org) = app.owner("Dora").await;
    let make = |name: &'static str, mode: &'static str, policy: &'static str| {
        let owner = &owner;
        let org = org.clone();
        async move {
            let id = owner
                .circle(
                    &org,
                    json!({"name": name, "mode": mode, "join_policy": policy, "public": false}),
                )
                .await;
            let p = owner
                .c
                .post(
                    &format!("/api/v1/circles/{id}/posts"),
                    json!({"kind": "topic", "title": format!("secret of {name}"), "body": "members only"}),
                )
                .await;
            assert_eq!(p.status, 201, "{}", p.text);
            id
        }
    };
    let approval = make("Runners", "community", "approval").await;
    let invite = make("Inner", "community", "invite").await;
    let internal = make("Ops", "internal", "org_members").await;
    let visitor = app.user("Vic").await;

    let page = visitor.c.get(&format!("/app/circles/{approval}")).await;
    assert_eq!(page.status, 200, "{}", page.text);
    assert!(page.text.contains("Runners") && page.text.contains("id=\"door-request\""));
    assert!(!page.text.contains("secret of"), "no content shows");
    let page = visitor.c.get(&format!("/app/circles/{invite}")).await;
    assert_eq!(page.status, 200);
    assert!(page.text.contains("id=\"door-private\""));
    assert!(!page.text.contains("Inner") && !page.text.contains("secret of"));
    let page = visitor.c.get(&format!("/app/circles/{internal}")).await;
    assert_eq!(
        page.status, 404,
        "internal circles stay unknown to outsiders"
    );

    // Knocking: the request waits for an admin; the page says so; asking twice is refused.
    let r = visitor
        .c
        .post(&format!("/api/v1/circles/{approval}/join"), json!({}))
        .await;
    assert!(
        r.status == 200 || r.status == 201 || r.status == 202,
        "{}",
        r.text
    );
    assert_eq!(r.body["status"], "pending", "{}", r.text);
    let again = visitor
        .c
        .post(&format!("/api/v1/circles/{approval}/join"), json!({}))
        .await;
    assert_eq!(again.body["code"], "already_member", "{}", again.text);
    let page = visitor.c.get(&format!("/app/circles/{approval}")).await;
    assert!(page.text.contains("id=\"door-pending\""));
    let r = visitor
        .c
        .post(&format!("/api/v1/circles/{invite}/join"), json!({}))
        .await;
    assert_eq!(
        r.status, 404,
        "an invite-only circle is joined by its link only"
    );
    // The API read stays closed to outsiders.
    assert_eq!(
        visitor
            .c
            .get(&format!("/api/v1/circles/{approval}/feed"))
            .await
            .status,
        404
    );
    // The admin sees the request and approves it; the visitor is in.
    let ok = owner
        .c
        .post(
            &format!("/api/v1/circles/{approval}/members/{}/approve", visitor.id),
            json!({}),
        )
        .await;
    assert!(ok.status < 300, "{}", ok.text);
    let feed = visitor
        .c
        .get(&format!("/api/v1/circles/{approval}/feed"))
        .await;
    assert_eq!(feed.status, 200);
}
