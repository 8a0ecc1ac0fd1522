//! Identity and tenancy as a user meets them through the API.

use quan_testkit::{TestApp, on_both_backends};
use serde_json::json;

on_both_backends!(
    sign_up_log_in_log_out,
    password_change_ends_other_sessions,
    the_password_page_names_the_wrong_field,
    org_invites_admit_by_role_and_use,
    org_invite_roles_and_removal,
    tokens_scopes_and_revocation,
    writer_tokens_write_until_they_expire,
    persons_and_handles,
    persons_page_and_events,
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
    assert_eq!(other.log_in(&u.login, "password-123").await.status, 200);
    let bad = u.try_password("nope-nope", "new-password-1").await;
    assert_eq!(
        bad.problem(),
        (422, Some("wrong_current_password")),
        "{}",
        bad.text
    );
    let short = u.try_password("password-123", "short").await;
    assert_eq!(short.problem(), (422, Some("password_too_short")));
    let ok = u.try_password("password-123", "new-password-1").await;
    assert_eq!(ok.status, 204, "{}", ok.text);
    assert_eq!(
        u.c.get("/api/v1/me").await.status,
        200,
        "this session lives on"
    );
    let gone = other.get("/api/v1/me").await;
    assert_eq!(gone.status, 401, "the other session ended");
    assert_eq!(
        app.client().log_in(&u.login, "password-123").await.status,
        401
    );
    assert_eq!(
        app.client().log_in(&u.login, "new-password-1").await.status,
        200
    );
}

async fn the_password_page_names_the_wrong_field(app: TestApp) {
    let u = app.user("Pat").await;
    // The page says which field is wrong, not "wrong login or password".
    let page = u.c.get("/account/password").await;
    let fields = [
        ("csrf", quan_testkit::csrf_of(&page.text)),
        ("current_password", "nope-nope".to_owned()),
        ("new_password", "new-password-1".to_owned()),
    ];
    let fields: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let refused = u.c.form("/account/password", &fields).await;
    let start: String = refused.text.chars().take(600).collect();
    assert!(
        refused.text.contains("That is not your current password."),
        "{start}"
    );
}

async fn org_invites_admit_by_role_and_use(app: TestApp) {
    let (owner, org) = app.owner("Olivia").await;
    let (admin, sales) = (app.user("Adam").await, app.user("Sara").await);
    app.join(&owner, &org, &admin, "admin").await;
    // An admin invites, but cannot mint owners.
    let r = admin.try_staff_invite(&org, json!({"role": "owner"})).await;
    assert_eq!(r.problem(), (403, Some("forbidden")));
    let body = json!({"role": "sales", "max_uses": 1, "ttl_hours": 2});
    let invite = admin.staff_invite(&org, body).await;
    assert!(invite.url_path.ends_with(&invite.code));
    let preview = app.client().staff_invite_preview(&invite.code).await;
    assert_eq!(preview.role, "sales");
    let r = sales.try_accept_staff_invite(&invite.code).await;
    assert_eq!(r.status, 200, "{}", r.text);
    // Used up: a single-use link admits one.
    let late = app.user("Late").await;
    let r = late.try_accept_staff_invite(&invite.code).await;
    assert_eq!(r.problem(), (404, Some("invite_invalid")));
    assert_eq!(owner.staff(&org).await.items.len(), 3);
}

async fn org_invite_roles_and_removal(app: TestApp) {
    let (owner, org) = app.owner("Olivia").await;
    let (admin, sales) = (app.user("Adam").await, app.user("Sara").await);
    app.join(&owner, &org, &admin, "admin").await;
    app.join(&owner, &org, &sales, "sales").await;
    let r = admin.try_set_staff(&org, &sales.id, "leader").await;
    assert_eq!(r.status, 403, "only the owner changes roles");
    assert_eq!(
        owner.set_staff(&org, &sales.id, "leader").await.role,
        "leader"
    );
    let r = owner.try_set_staff(&org, &owner.id, "admin").await;
    assert_eq!(r.problem(), (409, Some("last_owner")));
    let r = owner.try_remove_staff(&org, &owner.id).await;
    assert_eq!(r.problem(), (409, Some("last_owner")));
    // A second owner makes demotion possible.
    owner.set_staff(&org, &admin.id, "owner").await;
    owner.set_staff(&org, &owner.id, "admin").await;
    assert_eq!(admin.try_remove_staff(&org, &sales.id).await.status, 204);
    let r = sales.c.get(&format!("/api/v1/orgs/{org}")).await;
    assert_eq!(r.status, 404, "a removed member sees nothing");
}

async fn tokens_scopes_and_revocation(app: TestApp) {
    let (owner, org) = app.owner("Tia").await;
    let made = owner.token(&org, "CRM sync", &["read"]).await;
    assert!(made.secret.starts_with("quan_"));
    let list = owner.c.get(&format!("/api/v1/orgs/{org}/tokens")).await;
    assert!(
        !list.text.contains(&made.secret),
        "the secret is shown once, never listed"
    );

    let bot = owner.c.with_token(&made.secret);
    assert_eq!(bot.get(&format!("/api/v1/orgs/{org}")).await.status, 200);
    assert_eq!(
        bot.get(&format!("/api/v1/orgs/{org}/staff")).await.status,
        200
    );
    let person = json!({"display_name": "X"});
    let w = bot
        .post(&format!("/api/v1/orgs/{org}/persons"), person)
        .await;
    assert_eq!(w.problem(), (403, Some("missing_scope")));
    let orgs = bot.get("/api/v1/orgs").await;
    assert_eq!(
        orgs.body.as_array().map(Vec::len),
        Some(1),
        "a token sees only its org"
    );
    let r = bot.post("/api/v1/orgs", json!({"name": "bot org"})).await;
    assert_eq!(r.status, 403, "tokens cannot create orgs");

    owner.revoke_token(&org, &made.token.id).await;
    let r = bot.get(&format!("/api/v1/orgs/{org}")).await;
    assert_eq!(r.problem(), (401, Some("unauthenticated")));
    let fake = owner.c.with_token("quan_not-a-real-token");
    assert_eq!(fake.get("/api/v1/me").await.status, 401);
}

async fn writer_tokens_write_until_they_expire(app: TestApp) {
    let (owner, org) = app.owner("Tia").await;
    let body = json!({"name": "importer", "scopes": ["read", "write"], "ttl_days": 1});
    let r = owner
        .c
        .post(&format!("/api/v1/orgs/{org}/tokens"), body)
        .await;
    assert_eq!(r.status, 201, "{}", r.text);
    let w = owner
        .c
        .with_token(r.body["secret"].as_str().unwrap_or_default());
    let person = json!({"display_name": "Imported"});
    let r = w.post(&format!("/api/v1/orgs/{org}/persons"), person).await;
    assert_eq!(r.status, 201);
    app.clock.advance_secs(2 * 24 * 3600);
    let r = w.get(&format!("/api/v1/orgs/{org}")).await;
    assert_eq!(r.status, 401, "expired");
}

async fn persons_and_handles(app: TestApp) {
    let (owner, org) = app.owner("Pia").await;
    let zw = json!({"display_name": "张伟", "handles": [{"kind": "phone", "value": "13900000001"}, {"kind": "external", "value": "wx_zw"}]});
    let made = owner.new_person(&org, zw).await;
    assert_eq!((made.handles.len(), made.stage.as_str()), (2, "visitor"));
    // The same phone typed differently is the same handle: refused in the same org.
    let other_zw = json!({"display_name": "Other", "handles": [{"kind": "phone", "value": "+86 139 0000 0001"}]});
    let dup = owner.try_new_person(&org, other_zw).await;
    assert_eq!(dup.problem(), (409, Some("handle_taken")));
    let r = owner
        .try_add_handle(&org, &made.id, "email", "ZW@example.com", false)
        .await;
    assert_eq!(r.status, 201, "{}", r.text);
    assert!(r.text.contains("zw@example.com"));
    // One human in two orgs is two persons: the same phone in another org is fine.
    let (other, org2) = app.owner("Other").await;
    let same =
        json!({"display_name": "张伟", "handles": [{"kind": "phone", "value": "13900000001"}]});
    assert_ne!(other.new_person(&org2, same).await.id, made.id);
}

async fn persons_page_and_events(app: TestApp) {
    let (owner, org) = app.owner("Pia").await;
    let first = owner.create_person(&org, "张伟").await.id;
    owner
        .add_handle(&org, &first, "phone", "13900000001", false)
        .await;
    for i in 0..7 {
        owner.create_person(&org, &format!("P{i}")).await;
    }
    // Pagination walks every person once.
    let mut seen = Vec::new();
    let mut query = "limit=3".to_owned();
    loop {
        let page = owner.persons(&org, &query).await;
        seen.extend(page.items.into_iter().map(|p| p.id));
        match page.next {
            Some(n) => query = format!("limit=3&after={n}"),
            None => break,
        }
    }
    let mut dedup = seen.clone();
    dedup.sort();
    dedup.dedup();
    assert_eq!((seen.len(), dedup.len()), (8, 8));

    let events = owner.events(&org, "limit=100").await.items;
    let kinds: Vec<&str> = events.iter().map(|e| e.kind.as_str()).collect();
    for kind in ["org.created", "person.created", "person.handle_added"] {
        assert!(kinds.contains(&kind), "{kind} in {kinds:?}");
    }
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
