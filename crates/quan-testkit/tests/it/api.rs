//! Identity and tenancy as a user meets them through the API.

use quan_testkit::{TestApp, on_both_backends};
use serde_json::json;

on_both_backends!(
    sign_up_log_in_log_out,
    password_change_ends_other_sessions,
    org_invite_roles_and_removal,
    tokens_scopes_and_revocation,
    persons_and_events,
    login_brute_force_is_slowed,
    invites_expire_with_the_clock
);

async fn sign_up_log_in_log_out(app: TestApp) {
    let c = app.client();
    let r = c.post("/api/v1/accounts", json!({"login": "Mei@Example.com", "password": "correct horse", "display_name": "美 Mei"})).await;
    assert_eq!(r.status, 201, "{}", r.text);
    assert_eq!(
        r.body["account"]["email"], "mei@example.com",
        "e-mail normalised"
    );
    assert!(
        !r.text.contains("correct horse"),
        "no password in responses"
    );
    assert_eq!(
        c.get("/api/v1/me").await.status,
        200,
        "sign-up starts a session"
    );

    // The same address in another case is the same account.
    let again = app
        .client()
        .post(
            "/api/v1/accounts",
            json!({"login": "MEI@example.com", "password": "another one", "display_name": "x"}),
        )
        .await;
    assert_eq!(
        (again.status, again.body["code"].as_str()),
        (409, Some("email_taken"))
    );
    assert!(again.content_type.starts_with("application/problem+json"));

    // Phone sign-up, then log in with the same number written differently.
    let p = app.client();
    assert_eq!(p.post("/api/v1/accounts", json!({"login": "139 0000 1234", "password": "phone pass 1", "display_name": "手机用户"})).await.status, 201);
    let fresh = app.client();
    let r = fresh
        .post(
            "/api/v1/sessions",
            json!({"login": "+86 139-0000-1234", "password": "phone pass 1"}),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.body["account"]["phone"], "+8613900001234");

    let wrong = app
        .client()
        .post(
            "/api/v1/sessions",
            json!({"login": "mei@example.com", "password": "wrong password"}),
        )
        .await;
    assert_eq!(
        (wrong.status, wrong.body["code"].as_str()),
        (401, Some("bad_credentials"))
    );
    let nobody = app
        .client()
        .post(
            "/api/v1/sessions",
            json!({"login": "nobody@example.com", "password": "wrong password"}),
        )
        .await;
    assert_eq!(
        nobody.body["code"], wrong.body["code"],
        "unknown accounts look like wrong passwords"
    );

    assert_eq!(c.delete("/api/v1/sessions/current").await.status, 204);
    let after = c.get("/api/v1/me").await;
    assert_eq!(
        (after.status, after.body["code"].as_str()),
        (401, Some("unauthenticated"))
    );
}

async fn password_change_ends_other_sessions(app: TestApp) {
    let u = app.user("Pat").await;
    let other = app.client();
    assert_eq!(
        other
            .post(
                "/api/v1/sessions",
                json!({"login": u.login, "password": "password-123"})
            )
            .await
            .status,
        200
    );
    let bad =
        u.c.put(
            "/api/v1/me/password",
            json!({"current_password": "nope-nope", "new_password": "new-password-1"}),
        )
        .await;
    assert_eq!(
        (bad.status, bad.body["code"].as_str()),
        (422, Some("wrong_current_password")),
        "{}",
        bad.text
    );
    // The page says which field is wrong, not "wrong login or password".
    let page = u.c.get("/account/password").await;
    let refused =
        u.c.form(
            "/account/password",
            &[
                ("csrf", &quan_testkit::csrf_of(&page.text)),
                ("current_password", "nope-nope"),
                ("new_password", "new-password-1"),
            ],
        )
        .await;
    assert!(
        refused.text.contains("That is not your current password."),
        "{}",
        refused.text.chars().take(600).collect::<String>()
    );
    let short =
        u.c.put(
            "/api/v1/me/password",
            json!({"current_password": "password-123", "new_password": "short"}),
        )
        .await;
    assert_eq!(
        (short.status, short.body["code"].as_str()),
        (422, Some("password_too_short"))
    );
    let ok =
        u.c.put(
            "/api/v1/me/password",
            json!({"current_password": "password-123", "new_password": "new-password-1"}),
        )
        .await;
    assert_eq!(ok.status, 204, "{}", ok.text);
    assert_eq!(
        u.c.get("/api/v1/me").await.status,
        200,
        "this session lives on"
    );
    assert_eq!(
        other.get("/api/v1/me").await.status,
        401,
        "the other session ended"
    );
    let old = app
        .client()
        .post(
            "/api/v1/sessions",
            json!({"login": u.login, "password": "password-123"}),
        )
        .await;
    assert_eq!(old.status, 401);
    let new = app
        .client()
        .post(
            "/api/v1/sessions",
            json!({"login": u.login, "password": "new-password-1"}),
        )
        .await;
    assert_eq!(new.status, 200);
}

async fn org_invite_roles_and_removal(app: TestApp) {
    let (owner, org) = app.owner("Olivia").await;
    let admin = app.user("Adam").await;
    let sales = app.user("Sara").await;
    app.join(&owner, &org, &admin, "admin").await;

    // An admin invites, but cannot mint owners, and cannot change roles.
    let r = admin
        .c
        .post(
            &format!("/api/v1/orgs/{org}/invites"),
            json!({"role": "owner"}),
        )
        .await;
    assert_eq!(
        (r.status, r.body["code"].as_str()),
        (403, Some("forbidden"))
    );
    let r = admin
        .c
        .post(
            &format!("/api/v1/orgs/{org}/invites"),
            json!({"role": "sales", "max_uses": 1, "ttl_hours": 2}),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.text);
    let code = r.body["code"].as_str().unwrap_or_default().to_owned();
    assert!(
        r.body["url_path"]
            .as_str()
            .is_some_and(|p| p.ends_with(&code))
    );
    let preview = app.client().get(&format!("/api/v1/invites/{code}")).await;
    assert_eq!(
        (preview.status, preview.body["role"].as_str()),
        (200, Some("sales"))
    );
    assert_eq!(
        sales
            .c
            .post(&format!("/api/v1/invites/{code}/accept"), json!({}))
            .await
            .status,
        200
    );
    // Used up: a single-use link admits one.
    let late = app.user("Late").await;
    let r = late
        .c
        .post(&format!("/api/v1/invites/{code}/accept"), json!({}))
        .await;
    assert_eq!(
        (r.status, r.body["code"].as_str()),
        (404, Some("invite_invalid"))
    );

    let staff = owner.c.get(&format!("/api/v1/orgs/{org}/staff")).await;
    assert_eq!(staff.body["items"].as_array().map(Vec::len), Some(3));

    let r = admin
        .c
        .patch(
            &format!("/api/v1/orgs/{org}/staff/{}", sales.id),
            json!({"role": "leader"}),
        )
        .await;
    assert_eq!(r.status, 403, "only the owner changes roles");
    let r = owner
        .c
        .patch(
            &format!("/api/v1/orgs/{org}/staff/{}", sales.id),
            json!({"role": "leader"}),
        )
        .await;
    assert_eq!((r.status, r.body["role"].as_str()), (200, Some("leader")));
    let r = owner
        .c
        .patch(
            &format!("/api/v1/orgs/{org}/staff/{}", owner.id),
            json!({"role": "admin"}),
        )
        .await;
    assert_eq!(
        (r.status, r.body["code"].as_str()),
        (409, Some("last_owner"))
    );
    let r = owner
        .c
        .delete(&format!("/api/v1/orgs/{org}/staff/{}", owner.id))
        .await;
    assert_eq!(
        (r.status, r.body["code"].as_str()),
        (409, Some("last_owner"))
    );
    // A second owner makes demotion possible.
    assert_eq!(
        owner
            .c
            .patch(
                &format!("/api/v1/orgs/{org}/staff/{}", admin.id),
                json!({"role": "owner"})
            )
            .await
            .status,
        200
    );
    assert_eq!(
        owner
            .c
            .patch(
                &format!("/api/v1/orgs/{org}/staff/{}", owner.id),
                json!({"role": "admin"})
            )
            .await
            .status,
        200
    );

    assert_eq!(
        admin
            .c
            .delete(&format!("/api/v1/orgs/{org}/staff/{}", sales.id))
            .await
            .status,
        204
    );
    assert_eq!(
        sales.c.get(&format!("/api/v1/orgs/{org}")).await.status,
        404,
        "a removed member sees nothing"
    );
}

async fn tokens_scopes_and_revocation(app: TestApp) {
    let (owner, org) = app.owner("Tia").await;
    let r = owner
        .c
        .post(
            &format!("/api/v1/orgs/{org}/tokens"),
            json!({"name": "CRM sync", "scopes": ["read"]}),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.text);
    let secret = r.body["secret"].as_str().unwrap_or_default().to_owned();
    let id = r.body["id"].as_str().unwrap_or_default().to_owned();
    assert!(secret.starts_with("quan_"));
    let list = owner.c.get(&format!("/api/v1/orgs/{org}/tokens")).await;
    assert!(
        !list.text.contains(&secret),
        "the secret is shown once, never listed"
    );

    let bot = owner.c.with_token(&secret);
    assert_eq!(bot.get(&format!("/api/v1/orgs/{org}")).await.status, 200);
    assert_eq!(
        bot.get(&format!("/api/v1/orgs/{org}/staff")).await.status,
        200
    );
    let w = bot
        .post(
            &format!("/api/v1/orgs/{org}/persons"),
            json!({"display_name": "X"}),
        )
        .await;
    assert_eq!(
        (w.status, w.body["code"].as_str()),
        (403, Some("missing_scope"))
    );
    let orgs = bot.get("/api/v1/orgs").await;
    assert_eq!(
        orgs.body.as_array().map(Vec::len),
        Some(1),
        "a token sees only its org"
    );
    assert_eq!(
        bot.post("/api/v1/orgs", json!({"name": "bot org"}))
            .await
            .status,
        403,
        "tokens cannot create orgs"
    );

    assert_eq!(
        owner
            .c
            .delete(&format!("/api/v1/orgs/{org}/tokens/{id}"))
            .await
            .status,
        204
    );
    let r = bot.get(&format!("/api/v1/orgs/{org}")).await;
    assert_eq!(
        (r.status, r.body["code"].as_str()),
        (401, Some("unauthenticated"))
    );
    assert_eq!(
        owner
            .c
            .with_token("quan_not-a-real-token")
            .get("/api/v1/me")
            .await
            .status,
        401
    );

    // A writer token works for writes; expiry follows the clock.
    let r = owner
        .c
        .post(
            &format!("/api/v1/orgs/{org}/tokens"),
            json!({"name": "importer", "scopes": ["read", "write"], "ttl_days": 1}),
        )
        .await;
    let w = owner
        .c
        .with_token(r.body["secret"].as_str().unwrap_or_default());
    assert_eq!(
        w.post(
            &format!("/api/v1/orgs/{org}/persons"),
            json!({"display_name": "Imported"})
        )
        .await
        .status,
        201
    );
    app.clock.advance_secs(2 * 24 * 3600);
    assert_eq!(
        w.get(&format!("/api/v1/orgs/{org}")).await.status,
        401,
        "expired"
    );
}

async fn persons_and_events(app: TestApp) {
    let (owner, org) = app.owner("Pia").await;
    let r = owner.c.post(&format!("/api/v1/orgs/{org}/persons"), json!({"display_name": "张伟", "handles": [{"kind": "phone", "value": "13900000001"}, {"kind": "external", "value": "wx_zw"}]})).await;
    assert_eq!(r.status, 201, "{}", r.text);
    let pid = r.body["id"].as_str().unwrap_or_default().to_owned();
    assert_eq!(r.body["handles"].as_array().map(Vec::len), Some(2));
    assert_eq!(r.body["stage"], "visitor");
    // The same phone typed differently is the same handle: refused in the same org.
    let dup = owner.c.post(&format!("/api/v1/orgs/{org}/persons"), json!({"display_name": "Other", "handles": [{"kind": "phone", "value": "+86 139 0000 0001"}]})).await;
    assert_eq!(
        (dup.status, dup.body["code"].as_str()),
        (409, Some("handle_taken"))
    );
    let r = owner
        .c
        .post(
            &format!("/api/v1/orgs/{org}/persons/{pid}/handles"),
            json!({"kind": "email", "value": "ZW@example.com"}),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.text);
    assert!(r.text.contains("zw@example.com"));

    // One human in two orgs is two persons: the same phone in another org is fine.
    let (other, org2) = app.owner("Other").await;
    let r = other
        .c
        .post(
            &format!("/api/v1/orgs/{org2}/persons"),
            json!({"display_name": "张伟", "handles": [{"kind": "phone", "value": "13900000001"}]}),
        )
        .await;
    assert_eq!(r.status, 201);
    assert_ne!(r.body["id"].as_str(), Some(pid.as_str()));

    // Pagination walks every person once.
    for i in 0..7 {
        owner
            .c
            .post(
                &format!("/api/v1/orgs/{org}/persons"),
                json!({"display_name": format!("P{i}")}),
            )
            .await;
    }
    let mut seen = Vec::new();
    let mut after: Option<String> = None;
    loop {
        let q = after
            .as_ref()
            .map_or(String::new(), |a| format!("&after={a}"));
        let page = owner
            .c
            .get(&format!("/api/v1/orgs/{org}/persons?limit=3{q}"))
            .await;
        assert_eq!(page.status, 200, "{}", page.text);
        for p in page.body["items"].as_array().into_iter().flatten() {
            seen.push(p["id"].as_str().unwrap_or_default().to_owned());
        }
        match page.body["next"].as_str() {
            Some(n) => after = Some(n.to_owned()),
            None => break,
        }
    }
    let mut dedup = seen.clone();
    dedup.sort();
    dedup.dedup();
    assert_eq!((seen.len(), dedup.len()), (8, 8));

    let ev = owner
        .c
        .get(&format!("/api/v1/orgs/{org}/events?limit=100"))
        .await;
    let kinds: Vec<&str> = ev.body["items"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|e| e["kind"].as_str())
        .collect();
    assert!(
        kinds.contains(&"org.created")
            && kinds.contains(&"person.created")
            && kinds.contains(&"person.handle_added"),
        "{kinds:?}"
    );
    assert_eq!(kinds.first(), Some(&"person.created"), "newest first");
}

async fn login_brute_force_is_slowed(app: TestApp) {
    let u = app.user("Bruce").await;
    let c = app.client();
    for _ in 0..5 {
        assert_eq!(
            c.post(
                "/api/v1/sessions",
                json!({"login": u.login, "password": "wrong-guess"})
            )
            .await
            .status,
            401
        );
    }
    let r = c
        .post(
            "/api/v1/sessions",
            json!({"login": u.login, "password": "password-123"}),
        )
        .await;
    assert_eq!(
        (r.status, r.body["code"].as_str()),
        (429, Some("too_many_attempts")),
        "even the right password waits"
    );
}

async fn invites_expire_with_the_clock(app: TestApp) {
    let (owner, org) = app.owner("Eve").await;
    let r = owner
        .c
        .post(
            &format!("/api/v1/orgs/{org}/invites"),
            json!({"role": "operator", "ttl_hours": 1, "max_uses": 5}),
        )
        .await;
    let code = r.body["code"].as_str().unwrap_or_default().to_owned();
    app.clock.advance_secs(3601);
    let u = app.user("Tardy").await;
    let r =
        u.c.post(&format!("/api/v1/invites/{code}/accept"), json!({}))
            .await;
    assert_eq!(r.status, 404);
    let bad = owner
        .c
        .post(
            &format!("/api/v1/orgs/{org}/invites"),
            json!({"role": "operator", "ttl_hours": 100000}),
        )
        .await;
    assert_eq!(
        (bad.status, bad.body["field"].as_str()),
        (422, Some("ttl_hours"))
    );
}
