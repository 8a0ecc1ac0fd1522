//! Garbage in: every endpoint answers malformed input with a 4xx problem+json, never
//! a 5xx or a panic.

use quan_testkit::{TestApp, on_both_backends};
use serde_json::json;

on_both_backends!(garbage_never_gets_a_500);

async fn garbage_never_gets_a_500(app: TestApp) {
    let (owner, org) = app.owner("Gary").await;
    let pid = owner
        .c
        .post(
            &format!("/api/v1/orgs/{org}/persons"),
            json!({"display_name": "P"}),
        )
        .await
        .body["id"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    let me = &owner.id;
    let circle = owner
        .c
        .post(
            &format!("/api/v1/orgs/{org}/circles"),
            json!({"name": "G", "mode": "community"}),
        )
        .await
        .body["id"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    let app_login = owner.login.clone();
    let endpoints: Vec<(&str, String)> = vec![
        ("POST", "/api/v1/accounts".into()),
        ("POST", "/api/v1/sessions".into()),
        ("GET", "/api/v1/me".into()),
        ("PUT", "/api/v1/me/password".into()),
        ("GET", "/api/v1/orgs".into()),
        ("POST", "/api/v1/orgs".into()),
        ("GET", format!("/api/v1/orgs/{org}")),
        ("GET", format!("/api/v1/orgs/{org}/staff")),
        ("GET", format!("/api/v1/orgs/{org}/staff/{me}")),
        ("PATCH", format!("/api/v1/orgs/{org}/staff/{me}")),
        ("DELETE", format!("/api/v1/orgs/{org}/staff/not-an-id")),
        ("GET", format!("/api/v1/orgs/{org}/invites")),
        ("POST", format!("/api/v1/orgs/{org}/invites")),
        ("DELETE", format!("/api/v1/orgs/{org}/invites/not-an-id")),
        ("GET", "/api/v1/invites/nonsense".into()),
        ("POST", "/api/v1/invites/nonsense/accept".into()),
        ("GET", format!("/api/v1/orgs/{org}/tokens")),
        ("POST", format!("/api/v1/orgs/{org}/tokens")),
        ("DELETE", format!("/api/v1/orgs/{org}/tokens/0000")),
        ("GET", format!("/api/v1/orgs/{org}/persons")),
        ("POST", format!("/api/v1/orgs/{org}/persons")),
        ("GET", format!("/api/v1/orgs/{org}/persons/{pid}")),
        ("POST", format!("/api/v1/orgs/{org}/persons/{pid}/handles")),
        ("GET", format!("/api/v1/orgs/{org}/events")),
        ("GET", "/api/v1/orgs/not-an-id/staff".into()),
        ("GET", format!("/api/v1/orgs/{org}/circles")),
        ("POST", format!("/api/v1/orgs/{org}/circles")),
        ("GET", "/api/v1/circles".into()),
        ("GET", format!("/api/v1/circles/{circle}")),
        ("POST", format!("/api/v1/circles/{circle}/join")),
        (
            "GET",
            format!("/api/v1/circles/{circle}/members?status=nope"),
        ),
        (
            "POST",
            format!("/api/v1/circles/{circle}/members/not-an-id/approve"),
        ),
        (
            "POST",
            format!("/api/v1/circles/{circle}/members/not-an-id/decline"),
        ),
        (
            "POST",
            format!("/api/v1/circles/{circle}/members/{me}/decline"),
        ),
        ("GET", "/api/v1/discover?tag=%00%ff,%25_".into()),
        (
            "GET",
            format!("/api/v1/circles/{circle}/feed?tag=%00%ff%25_&after=%27"),
        ),
        ("POST", format!("/api/v1/circles/{circle}/posts")),
        (
            "GET",
            format!("/api/v1/circles/{circle}/feed?sort=hot&after=%27%3B--"),
        ),
        ("GET", "/api/v1/circles/not-an-id/feed".into()),
        ("GET", format!("/api/v1/circles/{circle}/posts/not-an-id")),
        (
            "POST",
            format!("/api/v1/circles/{circle}/posts/{circle}/comments"),
        ),
        (
            "PUT",
            format!("/api/v1/circles/{circle}/posts/{circle}/reactions/like"),
        ),
        (
            "DELETE",
            format!("/api/v1/circles/{circle}/posts/{circle}/reactions/%F0%9F%92%A9"),
        ),
        ("PUT", "/api/v1/me/privacy".into()),
        ("GET", format!("/api/v1/circles/{circle}/rooms")),
        (
            "GET",
            format!("/api/v1/circles/{circle}/posts/not-an-id/receipts"),
        ),
        ("POST", "/api/v1/circles/not-an-id/checkins".into()),
        (
            "GET",
            format!("/api/v1/circles/{circle}/rooms/not-an-id/messages?before=x"),
        ),
        (
            "POST",
            format!("/api/v1/circles/{circle}/rooms/{circle}/messages"),
        ),
        (
            "POST",
            format!("/api/v1/circles/{circle}/rooms/{circle}/read"),
        ),
        (
            "POST",
            format!("/api/v1/circles/{circle}/rooms/{circle}/messages/{circle}/promote"),
        ),
        ("POST", format!("/api/v1/circles/{circle}/invites")),
        ("GET", format!("/api/v1/circles/{circle}/invites")),
        (
            "DELETE",
            format!("/api/v1/circles/{circle}/invites/not-an-id"),
        ),
        ("GET", format!("/api/v1/circle-invites/{}", "x".repeat(300))),
        ("POST", "/api/v1/circle-invites/nonsense/accept".into()),
        ("PATCH", format!("/api/v1/circles/{circle}/posts/{circle}")),
        (
            "DELETE",
            format!("/api/v1/circles/{circle}/posts/not-an-id?reason=x&evil=1"),
        ),
        (
            "GET",
            format!("/api/v1/circles/{circle}/posts/not-an-id/edits"),
        ),
        (
            "PUT",
            format!("/api/v1/circles/{circle}/posts/{circle}/pin"),
        ),
        (
            "DELETE",
            format!("/api/v1/circles/{circle}/posts/{circle}/pin"),
        ),
        (
            "POST",
            format!("/api/v1/circles/{circle}/posts/{circle}/task"),
        ),
        (
            "GET",
            format!("/api/v1/circles/{circle}/posts/{circle}/task"),
        ),
        (
            "POST",
            format!("/api/v1/circles/{circle}/posts/{circle}/reports"),
        ),
        ("GET", format!("/api/v1/circles/{circle}/moderation/queue")),
        (
            "POST",
            format!("/api/v1/circles/{circle}/moderation/queue/{circle}"),
        ),
        (
            "GET",
            format!("/api/v1/circles/{circle}/moderation/log?after=%00"),
        ),
        ("GET", format!("/api/v1/circles/{circle}/sanctions")),
        (
            "PUT",
            format!("/api/v1/circles/{circle}/sanctions/{me}/jail"),
        ),
        (
            "DELETE",
            format!("/api/v1/circles/{circle}/sanctions/not-an-id/mute"),
        ),
        ("GET", format!("/api/v1/orgs/{org}/sensitive-words")),
        ("POST", format!("/api/v1/orgs/{org}/sensitive-words")),
        (
            "DELETE",
            format!(
                "/api/v1/orgs/{org}/sensitive-words/{}",
                "%E5%AD%97".repeat(50)
            ),
        ),
        ("GET", format!("/api/v1/orgs/{org}/persons/{pid}/profile")),
        ("POST", format!("/api/v1/orgs/{org}/persons/{pid}/tags")),
        (
            "DELETE",
            format!("/api/v1/orgs/{org}/persons/{pid}/tags/%20"),
        ),
        ("POST", format!("/api/v1/orgs/{org}/persons/{pid}/merge")),
        ("POST", format!("/api/v1/orgs/{org}/merges/not-an-id/undo")),
        ("GET", "/api/v1/me/notifications?after=x".into()),
        ("POST", "/api/v1/me/notifications/read".into()),
        ("GET", "/api/v1/me/notification-settings".into()),
        ("PUT", "/api/v1/me/notification-settings/reply".into()),
        ("GET", format!("/api/v1/circles/{circle}/search?q=%00%ff")),
        ("GET", format!("/api/v1/search?org_id={org}")),
        ("GET", "/api/v1/search?org_id=x&q=y".into()),
        ("POST", format!("/api/v1/circles/{circle}/images")),
        ("GET", "/api/v1/images/not-an-id".into()),
        ("GET", format!("/api/v1/images/{circle}")),
        ("GET", "/api/v1/discover".into()),
        ("GET", "/api/v1/discover/log".into()),
        ("POST", format!("/api/v1/circles/{circle}/boost-request")),
        ("POST", format!("/api/v1/orgs/{org}/boosts/{circle}")),
        ("POST", format!("/api/v1/circles/{circle}/rooms")),
        ("PATCH", format!("/api/v1/circles/{circle}/settings")),
        ("PATCH", format!("/api/v1/circles/{circle}/members/{me}")),
        ("GET", "/api/v1/no/such/route".into()),
        // Last: it ends the owner's session.
        ("DELETE", "/api/v1/sessions/current".into()),
    ];
    let long = "字".repeat(5000);
    let bodies: Vec<(&str, Vec<u8>)> = vec![
        ("application/json", b"{not json".to_vec()),
        ("application/json", b"[1,2,3]".to_vec()),
        ("application/json", b"null".to_vec()),
        ("application/json", json!({"unknown_field": 1, "login": 5}).to_string().into_bytes()),
        ("application/json", json!({"login": long, "password": long, "display_name": long, "name": long, "role": long, "scopes": [long], "kind": long, "value": long, "current_password": long, "new_password": long}).to_string().into_bytes()),
        ("application/json", json!({"login": "a@b.cn", "password": 12, "display_name": ["x"], "name": {}, "role": null, "scopes": "read", "max_uses": -5, "ttl_hours": "soon"}).to_string().into_bytes()),
        ("application/json", vec![0xff, 0xfe, 0x00, 0x7b]),
        ("application/json", vec![b' '; 70 * 1024]),
        ("text/plain", b"hello".to_vec()),
        ("application/x-www-form-urlencoded", b"a=1&b=2".to_vec()),
    ];
    let bot = owner.c.with_token("quan_garbage");
    for (method, path) in &endpoints {
        for (ct, body) in &bodies {
            for who in [&owner.c, &bot] {
                let Some(r) = who.raw(method, path, ct, body.clone()).await else {
                    // Only the over-limit body may be cut off before a response is read.
                    assert!(
                        body.len() > 64 * 1024,
                        "{method} {path} [{ct}]: connection failed"
                    );
                    continue;
                };
                assert!(
                    r.status < 500,
                    "{method} {path} [{ct}] -> {} {}",
                    r.status,
                    r.text.chars().take(200).collect::<String>()
                );
                if r.status < 400 {
                    // Only endpoints that read no body may succeed (reads, log-out).
                    assert!(
                        *method == "GET" || path == "/api/v1/sessions/current",
                        "{method} {path} accepted garbage: {}",
                        r.status
                    );
                    continue;
                }
                assert!(
                    r.content_type.starts_with("application/problem+json"),
                    "{method} {path} -> {} not problem+json: {}",
                    r.content_type,
                    r.text.chars().take(200).collect::<String>()
                );
                assert!(r.body["code"].as_str().is_some_and(|c| !c.is_empty()));
            }
        }
        // Query-string garbage on lists.
        if *method == "GET" {
            let r = owner.c.get(&format!("{path}?limit=abc&after=%00%ff")).await;
            assert!(
                (400..500).contains(&r.status) || r.status == 200,
                "{path} query garbage -> {}",
                r.status
            );
        }
    }
    // A method a route does not have is a problem document too.
    let r = owner
        .c
        .raw(
            "PUT",
            &format!("/api/v1/orgs/{org}/events"),
            "application/json",
            b"{}".to_vec(),
        )
        .await
        .unwrap_or_else(|| panic!("no response"));
    assert_eq!(
        (r.status, r.body["code"].as_str()),
        (405, Some("method_not_allowed"))
    );
    // The owner's org is intact after all that.
    let owner = app.client();
    assert_eq!(
        owner
            .post(
                "/api/v1/sessions",
                json!({"login": app_login, "password": "password-123"})
            )
            .await
            .status,
        200
    );
    let r = owner.get(&format!("/api/v1/orgs/{org}/staff")).await;
    assert_eq!(r.body["items"][0]["role"], "owner");
}
