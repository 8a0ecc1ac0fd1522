//! Garbage in: every endpoint answers malformed input with a 4xx problem+json, never
//! a 5xx or a panic.

use quan_testkit::{Client, TestApp, on_both_backends};
use serde_json::json;

on_both_backends!(garbage_never_gets_a_500);

/// Every endpoint, as (method, path): `{org}`, `{me}` (the owner's account),
/// `{pid}` (a person) and `{circle}` are the owner's; a circle id stands in for ids
/// of other kinds; `{long_code}` and `{long_word}` are over-long path segments.
const ENDPOINTS: &[(&str, &str)] = &[
    ("POST", "/api/v1/accounts"),
    ("POST", "/api/v1/sessions"),
    ("GET", "/api/v1/me"),
    ("PUT", "/api/v1/me/password"),
    ("GET", "/api/v1/orgs"),
    ("POST", "/api/v1/orgs"),
    ("GET", "/api/v1/orgs/{org}"),
    ("GET", "/api/v1/orgs/{org}/staff"),
    ("GET", "/api/v1/orgs/{org}/staff/{me}"),
    ("PATCH", "/api/v1/orgs/{org}/staff/{me}"),
    ("DELETE", "/api/v1/orgs/{org}/staff/not-an-id"),
    ("GET", "/api/v1/orgs/{org}/invites"),
    ("POST", "/api/v1/orgs/{org}/invites"),
    ("DELETE", "/api/v1/orgs/{org}/invites/not-an-id"),
    ("GET", "/api/v1/invites/nonsense"),
    ("POST", "/api/v1/invites/nonsense/accept"),
    ("GET", "/api/v1/orgs/{org}/tokens"),
    ("POST", "/api/v1/orgs/{org}/tokens"),
    ("DELETE", "/api/v1/orgs/{org}/tokens/0000"),
    ("GET", "/api/v1/orgs/{org}/persons"),
    ("POST", "/api/v1/orgs/{org}/persons"),
    ("GET", "/api/v1/orgs/{org}/persons/{pid}"),
    ("POST", "/api/v1/orgs/{org}/persons/{pid}/handles"),
    ("GET", "/api/v1/orgs/{org}/events"),
    ("GET", "/api/v1/orgs/not-an-id/staff"),
    ("GET", "/api/v1/orgs/{org}/circles"),
    ("POST", "/api/v1/orgs/{org}/circles"),
    ("GET", "/api/v1/circles"),
    ("GET", "/api/v1/circles/{circle}"),
    ("POST", "/api/v1/circles/{circle}/join"),
    ("GET", "/api/v1/circles/{circle}/members?status=nope"),
    ("POST", "/api/v1/circles/{circle}/members/not-an-id/approve"),
    ("POST", "/api/v1/circles/{circle}/members/not-an-id/decline"),
    ("POST", "/api/v1/circles/{circle}/members/{me}/decline"),
    ("GET", "/api/v1/discover?tag=%00%ff,%25_"),
    (
        "GET",
        "/api/v1/circles/{circle}/feed?tag=%00%ff%25_&after=%27",
    ),
    ("POST", "/api/v1/circles/{circle}/posts"),
    (
        "GET",
        "/api/v1/circles/{circle}/feed?sort=hot&after=%27%3B--",
    ),
    ("GET", "/api/v1/circles/not-an-id/feed"),
    ("GET", "/api/v1/circles/{circle}/posts/not-an-id"),
    ("POST", "/api/v1/circles/{circle}/posts/{circle}/comments"),
    (
        "PUT",
        "/api/v1/circles/{circle}/posts/{circle}/reactions/like",
    ),
    (
        "DELETE",
        "/api/v1/circles/{circle}/posts/{circle}/reactions/%F0%9F%92%A9",
    ),
    ("PUT", "/api/v1/me/privacy"),
    ("GET", "/api/v1/circles/{circle}/rooms"),
    ("GET", "/api/v1/circles/{circle}/posts/not-an-id/receipts"),
    ("POST", "/api/v1/circles/not-an-id/checkins"),
    (
        "GET",
        "/api/v1/circles/{circle}/rooms/not-an-id/messages?before=x",
    ),
    ("POST", "/api/v1/circles/{circle}/rooms/{circle}/messages"),
    ("POST", "/api/v1/circles/{circle}/rooms/{circle}/read"),
    (
        "POST",
        "/api/v1/circles/{circle}/rooms/{circle}/messages/{circle}/promote",
    ),
    ("POST", "/api/v1/circles/{circle}/invites"),
    ("GET", "/api/v1/circles/{circle}/invites"),
    ("DELETE", "/api/v1/circles/{circle}/invites/not-an-id"),
    ("GET", "/api/v1/circle-invites/{long_code}"),
    ("POST", "/api/v1/circle-invites/nonsense/accept"),
    ("PATCH", "/api/v1/circles/{circle}/posts/{circle}"),
    (
        "DELETE",
        "/api/v1/circles/{circle}/posts/not-an-id?reason=x&evil=1",
    ),
    ("GET", "/api/v1/circles/{circle}/posts/not-an-id/edits"),
    ("PUT", "/api/v1/circles/{circle}/posts/{circle}/pin"),
    ("DELETE", "/api/v1/circles/{circle}/posts/{circle}/pin"),
    ("POST", "/api/v1/circles/{circle}/posts/{circle}/task"),
    ("GET", "/api/v1/circles/{circle}/posts/{circle}/task"),
    ("POST", "/api/v1/circles/{circle}/posts/{circle}/reports"),
    ("GET", "/api/v1/circles/{circle}/moderation/queue"),
    ("POST", "/api/v1/circles/{circle}/moderation/queue/{circle}"),
    ("GET", "/api/v1/circles/{circle}/moderation/log?after=%00"),
    ("GET", "/api/v1/circles/{circle}/sanctions"),
    ("PUT", "/api/v1/circles/{circle}/sanctions/{me}/jail"),
    (
        "DELETE",
        "/api/v1/circles/{circle}/sanctions/not-an-id/mute",
    ),
    ("GET", "/api/v1/orgs/{org}/sensitive-words"),
    ("POST", "/api/v1/orgs/{org}/sensitive-words"),
    ("DELETE", "/api/v1/orgs/{org}/sensitive-words/{long_word}"),
    ("GET", "/api/v1/orgs/{org}/persons/{pid}/profile"),
    ("POST", "/api/v1/orgs/{org}/persons/{pid}/tags"),
    ("DELETE", "/api/v1/orgs/{org}/persons/{pid}/tags/%20"),
    ("POST", "/api/v1/orgs/{org}/persons/{pid}/merge"),
    ("POST", "/api/v1/orgs/{org}/merges/not-an-id/undo"),
    ("GET", "/api/v1/me/notifications?after=x"),
    ("POST", "/api/v1/me/notifications/read"),
    ("GET", "/api/v1/me/notification-settings"),
    ("PUT", "/api/v1/me/notification-settings/reply"),
    ("GET", "/api/v1/circles/{circle}/search?q=%00%ff"),
    ("GET", "/api/v1/search?org_id={org}"),
    ("GET", "/api/v1/search?org_id=x&q=y"),
    ("POST", "/api/v1/circles/{circle}/images"),
    ("GET", "/api/v1/images/not-an-id"),
    ("GET", "/api/v1/images/{circle}"),
    ("GET", "/api/v1/discover"),
    ("GET", "/api/v1/discover/log"),
    ("POST", "/api/v1/circles/{circle}/boost-request"),
    ("POST", "/api/v1/orgs/{org}/boosts/{circle}"),
    ("POST", "/api/v1/circles/{circle}/rooms"),
    ("PATCH", "/api/v1/circles/{circle}/settings"),
    ("PATCH", "/api/v1/circles/{circle}/members/{me}"),
    ("GET", "/api/v1/no/such/route"),
    // Last: it ends the owner's session.
    ("DELETE", "/api/v1/sessions/current"),
];

/// Bodies no endpoint should take: broken, wrong-shaped, over-long, wrong-typed,
/// not UTF-8, over the size limit, other media types.
fn bodies() -> Vec<(&'static str, Vec<u8>)> {
    let long = "字".repeat(5000);
    let json = |v: serde_json::Value| v.to_string().into_bytes();
    vec![
        ("application/json", b"{not json".to_vec()),
        ("application/json", b"[1,2,3]".to_vec()),
        ("application/json", b"null".to_vec()),
        (
            "application/json",
            json(json!({"unknown_field": 1, "login": 5})),
        ),
        (
            "application/json",
            json(
                json!({"login": long, "password": long, "display_name": long, "name": long, "role": long, "scopes": [long], "kind": long, "value": long, "current_password": long, "new_password": long}),
            ),
        ),
        (
            "application/json",
            json(
                json!({"login": "a@b.cn", "password": 12, "display_name": ["x"], "name": {}, "role": null, "scopes": "read", "max_uses": -5, "ttl_hours": "soon"}),
            ),
        ),
        ("application/json", vec![0xff, 0xfe, 0x00, 0x7b]),
        ("application/json", vec![b' '; 70 * 1024]),
        ("text/plain", b"hello".to_vec()),
        ("application/x-www-form-urlencoded", b"a=1&b=2".to_vec()),
    ]
}

async fn garbage_never_gets_a_500(app: TestApp) {
    let (owner, org) = app.owner("Gary").await;
    let pid = owner.create_person(&org, "P").await.id;
    let circle = owner
        .circle(&org, json!({"name": "G", "mode": "community"}))
        .await;
    let fill = |path: &str| {
        path.replace("{org}", &org)
            .replace("{me}", &owner.id)
            .replace("{pid}", &pid)
            .replace("{circle}", &circle)
            .replace("{long_code}", &"x".repeat(300))
            .replace("{long_word}", &"%E5%AD%97".repeat(50))
    };
    let bodies = bodies();
    let bot = owner.c.with_token("quan_garbage");
    for (method, path) in ENDPOINTS {
        let path = fill(path);
        for (ct, body) in &bodies {
            for who in [&owner.c, &bot] {
                refused_cleanly(who, method, &path, ct, body.clone()).await;
            }
        }
        // Query-string garbage on lists.
        if *method == "GET" {
            let r = owner.c.get(&format!("{path}?limit=abc&after=%00%ff")).await;
            let fine = (400..500).contains(&r.status) || r.status == 200;
            assert!(fine, "{path} query garbage -> {}", r.status);
        }
    }
    // A method a route does not have is a problem document too.
    let events = format!("/api/v1/orgs/{org}/events");
    let r = owner
        .c
        .raw("PUT", &events, "application/json", b"{}".to_vec())
        .await;
    let r = r.unwrap_or_else(|| panic!("no response"));
    assert_eq!(r.problem(), (405, Some("method_not_allowed")));
    // The owner's org is intact after all that.
    let again = app.client();
    assert_eq!(again.log_in(&owner.login, "password-123").await.status, 200);
    let r = again.get(&format!("/api/v1/orgs/{org}/staff")).await;
    assert_eq!(r.body["items"][0]["role"], "owner");
}

/// One garbage request: a 4xx problem document with a code, or a success only
/// where no body is read (reads, log-out); never a 5xx.
async fn refused_cleanly(who: &Client, method: &str, path: &str, ct: &str, body: Vec<u8>) {
    let big = body.len() > 64 * 1024;
    let Some(r) = who.raw(method, path, ct, body).await else {
        // Only the over-limit body may be cut off before a response is read.
        assert!(big, "{method} {path} [{ct}]: connection failed");
        return;
    };
    let start: String = r.text.chars().take(200).collect();
    assert!(
        r.status < 500,
        "{method} {path} [{ct}] -> {} {start}",
        r.status
    );
    if r.status < 400 {
        let reads_no_body = method == "GET" || path == "/api/v1/sessions/current";
        assert!(
            reads_no_body,
            "{method} {path} accepted garbage: {}",
            r.status
        );
        return;
    }
    let problem = r.content_type.starts_with("application/problem+json");
    assert!(
        problem,
        "{method} {path} -> {} not problem+json: {start}",
        r.content_type
    );
    assert!(r.body["code"].as_str().is_some_and(|c| !c.is_empty()));
}
