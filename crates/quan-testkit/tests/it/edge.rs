//! The edge: rules every request meets before a use case runs, tested as classes.

use quan_testkit::{TestApp, on_both_backends};
use serde_json::json;

on_both_backends!(
    text_with_nul_is_refused_everywhere_alike,
    read_tokens_change_nothing,
    cookie_writes_from_another_site_are_refused
);

/// PostgreSQL cannot store NUL in text; both engines must answer the same 400.
async fn text_with_nul_is_refused_everywhere_alike(app: TestApp) {
    let (owner, org) = app.owner("Nula").await;
    let circle = owner
        .circle(&org, json!({"name": "N", "mode": "community"}))
        .await;
    let anon = app.client();
    let json_bodies = [
        (
            "/api/v1/sessions",
            json!({"login": "a\u{0}@x.example", "password": "password-123"}),
        ),
        (
            "/api/v1/accounts",
            json!({"login": "n@x.example", "password": "password-123", "display_name": "N\u{0}"}),
        ),
    ];
    for (path, body) in json_bodies {
        let r = anon.post(path, body).await;
        assert_eq!(r.status, 400, "{path}: {}", r.text);
        assert_eq!(r.body["code"], "invalid_characters", "{path}");
    }
    let r = owner
        .c
        .post(
            &format!("/api/v1/circles/{circle}/posts"),
            json!({"kind": "topic", "title": "t\u{0}", "body": "b"}),
        )
        .await;
    assert_eq!(r.status, 400, "{}", r.text);
    assert_eq!(r.body["code"], "invalid_characters");
    for path in [
        format!("/api/v1/circles/{circle}/search?q=a%00b"),
        "/api/v1/invites/ab%00cd".to_owned(),
    ] {
        let r = owner.c.get(&path).await;
        assert_eq!(r.status, 400, "{path}: {}", r.text);
        assert_eq!(r.body["code"], "invalid_characters", "{path}");
    }
    let form = anon
        .raw(
            "POST",
            "/login",
            "application/x-www-form-urlencoded",
            b"csrf=x&login=a%00b&password=p".to_vec(),
        )
        .await;
    assert_eq!(form.map(|r| r.status), Some(400));
    // A raw NUL byte in a form, and JSON sent as application/*+json, are refused too.
    let raw = anon
        .raw(
            "POST",
            "/login",
            "application/x-www-form-urlencoded",
            b"csrf=x&login=a\x00b&password=p".to_vec(),
        )
        .await;
    assert_eq!(raw.map(|r| r.status), Some(400));
    let vnd = anon
        .raw(
            "POST",
            "/api/v1/sessions",
            "application/vnd.api+json",
            br#"{"login": "a\u0000@x.example", "password": "password-123"}"#.to_vec(),
        )
        .await;
    assert_eq!(vnd.as_ref().map(|r| r.status), Some(400));
    assert_eq!(
        vnd.map(|r| r.body["code"].clone()),
        Some(serde_json::json!("invalid_characters"))
    );
    // An escaped backslash followed by the letters is ordinary text, not a NUL.
    let ok = owner
        .c
        .post(
            &format!("/api/v1/circles/{circle}/posts"),
            json!({"kind": "topic", "title": "a \\u0000 b", "body": "b"}),
        )
        .await;
    assert_eq!(ok.status, 201, "{}", ok.text);
}

/// Every state change needs the write scope, marks as read included.
async fn read_tokens_change_nothing(app: TestApp) {
    let (owner, org) = app.owner("Rita").await;
    let circle = owner
        .circle(&org, json!({"name": "R", "mode": "community"}))
        .await;
    let rooms = owner
        .c
        .get(&format!("/api/v1/circles/{circle}/rooms"))
        .await;
    let room = rooms.body[0]["id"].as_str().unwrap_or_default().to_owned();
    let sent = owner
        .c
        .post(
            &format!("/api/v1/circles/{circle}/rooms/{room}/messages"),
            json!({"body": "hello"}),
        )
        .await;
    assert_eq!(sent.status, 201, "{}", sent.text);
    let message = sent.body["id"].as_str().unwrap_or_default().to_owned();
    let tok = owner
        .c
        .post(
            &format!("/api/v1/orgs/{org}/tokens"),
            json!({"name": "reader", "scopes": ["read"]}),
        )
        .await;
    let reader = owner
        .c
        .with_token(tok.body["secret"].as_str().unwrap_or_default());
    assert_eq!(reader.get("/api/v1/me/notifications").await.status, 200);
    let writes = [
        ("/api/v1/me/notifications/read".to_owned(), json!({})),
        (
            format!("/api/v1/circles/{circle}/rooms/{room}/read"),
            json!({"last_read_id": message}),
        ),
        (format!("/api/v1/circles/{circle}/checkins"), json!({})),
        (
            format!("/api/v1/circles/{circle}/posts"),
            json!({"kind": "topic", "title": "t", "body": "b"}),
        ),
    ];
    for (path, body) in writes {
        let r = reader.post(&path, body).await;
        assert_eq!(r.status, 403, "{path}: {}", r.text);
        assert_eq!(r.body["code"], "missing_scope", "{path}");
    }
    let feed = reader.get(&format!("/api/v1/circles/{circle}/feed")).await;
    assert_eq!(feed.status, 200, "{}", feed.text);
    assert_eq!(
        feed.body["items"].as_array().map(Vec::len),
        Some(0),
        "the read token posted nothing"
    );
}

/// The session cookie is ambient: a write it authenticates must come from this site.
async fn cookie_writes_from_another_site_are_refused(app: TestApp) {
    let (owner, org) = app.owner("Cora").await;
    let url = format!("{}/api/v1/orgs/{org}/circles", owner.c.base);
    let body = json!({"name": "X", "mode": "community"});
    let host = owner.c.base.trim_start_matches("http://").to_owned();
    let send = |name: &'static str, value: String| {
        owner
            .c
            .http
            .post(&url)
            .header(name, value)
            .json(&body)
            .send()
    };
    for (name, value) in [
        ("origin", "https://evil.example".to_owned()),
        ("sec-fetch-site", "cross-site".to_owned()),
        ("sec-fetch-site", "same-site".to_owned()),
    ] {
        let r = send(name, value.clone()).await.map(|r| r.status().as_u16());
        assert_eq!(r.ok(), Some(403), "{name}: {value}");
    }
    let same = send("origin", format!("http://{host}")).await;
    assert_eq!(same.map(|r| r.status().as_u16()).ok(), Some(201));
    let same = send("sec-fetch-site", "same-origin".to_owned()).await;
    assert_eq!(same.map(|r| r.status().as_u16()).ok(), Some(201));
    // A bearer token is not ambient: another site cannot make a browser send it.
    let tok = owner
        .c
        .post(
            &format!("/api/v1/orgs/{org}/tokens"),
            json!({"name": "ci", "scopes": ["read", "write"]}),
        )
        .await;
    let secret = tok.body["secret"].as_str().unwrap_or_default().to_owned();
    let bot = reqwest::Client::new()
        .post(&url)
        .bearer_auth(secret)
        .header("origin", "https://evil.example")
        .json(&body)
        .send()
        .await;
    assert_eq!(bot.map(|r| r.status().as_u16()).ok(), Some(201));
    // Every page and API answer carries the security headers.
    for path in ["/login", "/api/v1/me"] {
        let r = owner
            .c
            .http
            .get(format!("{}{path}", owner.c.base))
            .send()
            .await;
        let h = r.map(|r| r.headers().clone()).unwrap_or_default();
        let csp = h
            .get("content-security-policy")
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default();
        assert!(csp.contains("script-src 'self'"), "{path}: {csp}");
        assert!(csp.contains("frame-ancestors 'none'"), "{path}: {csp}");
        assert_eq!(
            h.get("x-frame-options").and_then(|v| v.to_str().ok()),
            Some("DENY")
        );
        assert_eq!(
            h.get("referrer-policy").and_then(|v| v.to_str().ok()),
            Some("same-origin")
        );
    }
}
