//! A circle's link for those who cannot see the circle yet: approval circles open a
//! door (name, "Request to join"), invite-only ones say they are private, internal
//! ones stay not found; nothing of the content shows. Both engines.

use quan_testkit::{TestApp, User, on_both_backends};
use serde_json::json;

on_both_backends!(shared_links_open_the_right_door, a_knock_waits_for_an_admin);

/// Org `Dora` with three private circles, each holding a members-only post: one
/// that takes requests, one by invite only, one internal.
/// (owner, approval, invite, internal).
async fn doors(app: &TestApp) -> (User, String, String, String) {
    let (owner, org) = app.owner("Dora").await;
    let mut ids = Vec::new();
    for (name, mode, policy) in [
        ("Runners", "community", "approval"),
        ("Inner", "community", "invite"),
        ("Ops", "internal", "org_members"),
    ] {
        let body = json!({"name": name, "mode": mode, "join_policy": policy, "public": false});
        let id = owner.circle(&org, body).await;
        let secret = format!("secret of {name}");
        let post = json!({"kind": "topic", "title": secret, "body": "members only"});
        owner.post(&id, post).await;
        ids.push(id);
    }
    let [approval, invite, internal] =
        <[String; 3]>::try_from(ids).unwrap_or_else(|_| panic!("three circles"));
    (owner, approval, invite, internal)
}

async fn shared_links_open_the_right_door(app: TestApp) {
    let (_, approval, invite, internal) = doors(&app).await;
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
}

async fn a_knock_waits_for_an_admin(app: TestApp) {
    let (owner, approval, invite, _) = doors(&app).await;
    let visitor = app.user("Vic").await;
    // The request waits for an admin; the page says so; asking twice is refused.
    assert_eq!(visitor.join(&approval).await.status, "pending");
    let again = visitor.try_join(&approval).await;
    assert_eq!(again.body["code"], "already_member", "{}", again.text);
    let page = visitor.c.get(&format!("/app/circles/{approval}")).await;
    assert!(page.text.contains("id=\"door-pending\""));
    let r = visitor.try_join(&invite).await;
    assert_eq!(
        r.status, 404,
        "an invite-only circle is joined by its link only"
    );
    // The API read stays closed to outsiders.
    let feed = format!("/api/v1/circles/{approval}/feed");
    assert_eq!(visitor.c.get(&feed).await.status, 404);
    // The admin approves the request; the visitor is in.
    owner.approve(&approval, &visitor.id).await;
    assert_eq!(visitor.feed(&approval, "").await.items.len(), 1);
}
