//! Tenancy: every endpoint that takes an id, called with another org's ids, answers
//! 404 and changes nothing.

use quan_testkit::{TestApp, on_both_backends};
use serde_json::json;

on_both_backends!(no_endpoint_reaches_another_org);

async fn no_endpoint_reaches_another_org(app: TestApp) {
    let (a, org_a) = app.owner("Alice").await;
    let (b, org_b) = app.owner("Bob").await;
    let b_person = b.c.post(&format!("/api/v1/orgs/{org_b}/persons"), json!({"display_name": "B's customer", "handles": [{"kind": "email", "value": "c@b.example"}]})).await.body["id"].as_str().unwrap_or_default().to_owned();
    let b_invite =
        b.c.post(
            &format!("/api/v1/orgs/{org_b}/invites"),
            json!({"role": "sales", "max_uses": 3}),
        )
        .await;
    let (b_invite_id, b_code) = (
        b_invite.body["id"].as_str().unwrap_or_default().to_owned(),
        b_invite.body["code"]
            .as_str()
            .unwrap_or_default()
            .to_owned(),
    );
    let b_tok =
        b.c.post(
            &format!("/api/v1/orgs/{org_b}/tokens"),
            json!({"name": "b", "scopes": ["read", "write", "admin"]}),
        )
        .await;
    let (b_token_id, b_secret) = (
        b_tok.body["id"].as_str().unwrap_or_default().to_owned(),
        b_tok.body["secret"].as_str().unwrap_or_default().to_owned(),
    );
    let a_tok =
        a.c.post(
            &format!("/api/v1/orgs/{org_a}/tokens"),
            json!({"name": "a", "scopes": ["read", "write", "admin"]}),
        )
        .await;
    let a_bot =
        a.c.with_token(a_tok.body["secret"].as_str().unwrap_or_default());
    let bid = &b.id;
    let a_person =
        a.c.post(
            &format!("/api/v1/orgs/{org_a}/persons"),
            json!({"display_name": "A's customer"}),
        )
        .await
        .body["id"]
            .as_str()
            .unwrap_or_default()
            .to_owned();
    let b_other =
        b.c.post(
            &format!("/api/v1/orgs/{org_b}/persons"),
            json!({"display_name": "B's other"}),
        )
        .await
        .body["id"]
            .as_str()
            .unwrap_or_default()
            .to_owned();
    let b_merge =
        b.c.post(
            &format!("/api/v1/orgs/{org_b}/persons/{b_person}/merge"),
            json!({"merged_id": b_other}),
        )
        .await;
    assert_eq!(b_merge.status, 201, "{}", b_merge.text);
    let b_merge = b_merge.body["id"].as_str().unwrap_or_default().to_owned();
    b.c.post(
        &format!("/api/v1/orgs/{org_b}/persons/{b_person}/tags"),
        json!({"tag": "vip"}),
    )
    .await;
    b.c.post(
        &format!("/api/v1/orgs/{org_b}/sensitive-words"),
        json!({"word": "b-only", "action": "hold"}),
    )
    .await;

    let e = json!({});
    let probes: Vec<(&str, String, serde_json::Value)> = vec![
        // B's org in the path.
        ("GET", format!("/api/v1/orgs/{org_b}"), e.clone()),
        ("GET", format!("/api/v1/orgs/{org_b}/staff"), e.clone()),
        (
            "GET",
            format!("/api/v1/orgs/{org_b}/staff/{bid}"),
            e.clone(),
        ),
        (
            "PATCH",
            format!("/api/v1/orgs/{org_b}/staff/{bid}"),
            json!({"role": "sales"}),
        ),
        (
            "DELETE",
            format!("/api/v1/orgs/{org_b}/staff/{bid}"),
            e.clone(),
        ),
        ("GET", format!("/api/v1/orgs/{org_b}/invites"), e.clone()),
        (
            "POST",
            format!("/api/v1/orgs/{org_b}/invites"),
            json!({"role": "admin"}),
        ),
        (
            "DELETE",
            format!("/api/v1/orgs/{org_b}/invites/{b_invite_id}"),
            e.clone(),
        ),
        ("GET", format!("/api/v1/orgs/{org_b}/tokens"), e.clone()),
        (
            "POST",
            format!("/api/v1/orgs/{org_b}/tokens"),
            json!({"name": "x", "scopes": ["admin"]}),
        ),
        (
            "DELETE",
            format!("/api/v1/orgs/{org_b}/tokens/{b_token_id}"),
            e.clone(),
        ),
        ("GET", format!("/api/v1/orgs/{org_b}/persons"), e.clone()),
        (
            "POST",
            format!("/api/v1/orgs/{org_b}/persons"),
            json!({"display_name": "x"}),
        ),
        (
            "GET",
            format!("/api/v1/orgs/{org_b}/persons/{b_person}"),
            e.clone(),
        ),
        (
            "POST",
            format!("/api/v1/orgs/{org_b}/persons/{b_person}/handles"),
            json!({"kind": "nickname", "value": "x"}),
        ),
        ("GET", format!("/api/v1/orgs/{org_b}/events"), e.clone()),
        (
            "GET",
            format!("/api/v1/orgs/{org_b}/persons/{b_person}/profile"),
            e.clone(),
        ),
        (
            "POST",
            format!("/api/v1/orgs/{org_b}/persons/{b_person}/tags"),
            json!({"tag": "x"}),
        ),
        (
            "DELETE",
            format!("/api/v1/orgs/{org_b}/persons/{b_person}/tags/vip"),
            e.clone(),
        ),
        (
            "POST",
            format!("/api/v1/orgs/{org_b}/merges/{b_merge}/undo"),
            e.clone(),
        ),
        (
            "GET",
            format!("/api/v1/orgs/{org_b}/sensitive-words"),
            e.clone(),
        ),
        (
            "POST",
            format!("/api/v1/orgs/{org_b}/sensitive-words"),
            json!({"word": "x", "action": "reject"}),
        ),
        (
            "DELETE",
            format!("/api/v1/orgs/{org_b}/sensitive-words/b-only"),
            e.clone(),
        ),
        // A's own org in the path, B's entity ids after it.
        (
            "GET",
            format!("/api/v1/orgs/{org_a}/staff/{bid}"),
            e.clone(),
        ),
        (
            "PATCH",
            format!("/api/v1/orgs/{org_a}/staff/{bid}"),
            json!({"role": "sales"}),
        ),
        (
            "DELETE",
            format!("/api/v1/orgs/{org_a}/staff/{bid}"),
            e.clone(),
        ),
        (
            "DELETE",
            format!("/api/v1/orgs/{org_a}/invites/{b_invite_id}"),
            e.clone(),
        ),
        (
            "DELETE",
            format!("/api/v1/orgs/{org_a}/tokens/{b_token_id}"),
            e.clone(),
        ),
        (
            "GET",
            format!("/api/v1/orgs/{org_a}/persons/{b_person}"),
            e.clone(),
        ),
        (
            "POST",
            format!("/api/v1/orgs/{org_a}/persons/{b_person}/handles"),
            json!({"kind": "nickname", "value": "x"}),
        ),
        (
            "GET",
            format!("/api/v1/orgs/{org_a}/persons/{b_person}/profile"),
            e.clone(),
        ),
        (
            "POST",
            format!("/api/v1/orgs/{org_a}/persons/{b_person}/tags"),
            json!({"tag": "x"}),
        ),
        (
            "DELETE",
            format!("/api/v1/orgs/{org_a}/persons/{b_person}/tags/vip"),
            e.clone(),
        ),
        (
            "POST",
            format!("/api/v1/orgs/{org_a}/persons/{a_person}/merge"),
            json!({"merged_id": b_person}),
        ),
        (
            "POST",
            format!("/api/v1/orgs/{org_a}/persons/{b_person}/merge"),
            json!({"merged_id": a_person}),
        ),
        (
            "POST",
            format!("/api/v1/orgs/{org_a}/merges/{b_merge}/undo"),
            e.clone(),
        ),
    ];
    for who in [&a.c, &a_bot] {
        for (method, path, body) in &probes {
            let r = match *method {
                "GET" => who.get(path).await,
                "POST" => who.post(path, body.clone()).await,
                "PATCH" => who.patch(path, body.clone()).await,
                _ => who.delete(path).await,
            };
            assert_eq!(
                r.status, 404,
                "{method} {path} leaked across orgs: {} {}",
                r.status, r.text
            );
            assert_eq!(r.body["code"], "not_found");
        }
    }
    // B's token is useless against A.
    let b_bot = b.c.with_token(&b_secret);
    assert_eq!(
        b_bot.get(&format!("/api/v1/orgs/{org_a}")).await.status,
        404
    );

    // Nothing of B changed.
    assert_eq!(
        b_bot.get(&format!("/api/v1/orgs/{org_b}")).await.status,
        200,
        "B's token still works"
    );
    let p =
        b.c.get(&format!("/api/v1/orgs/{org_b}/persons/{b_person}"))
            .await;
    assert_eq!(p.body["handles"].as_array().map(Vec::len), Some(1));
    assert_eq!(
        app.client()
            .get(&format!("/api/v1/invites/{b_code}"))
            .await
            .status,
        200,
        "B's invite still valid"
    );
    let prof =
        b.c.get(&format!("/api/v1/orgs/{org_b}/persons/{b_person}/profile"))
            .await;
    assert_eq!(prof.body["tags"], json!(["vip"]));
    assert!(
        prof.body["merges"][0]["undone_at"].is_null(),
        "B's merge still stands"
    );
    let words =
        b.c.get(&format!("/api/v1/orgs/{org_b}/sensitive-words"))
            .await;
    assert_eq!(words.body.as_array().map(Vec::len), Some(1));
    let staff = b.c.get(&format!("/api/v1/orgs/{org_b}/staff")).await;
    assert_eq!(staff.body["items"].as_array().map(Vec::len), Some(1));
    assert_eq!(staff.body["items"][0]["role"], "owner");
    // And A's lists hold only A's things.
    let persons = a.c.get(&format!("/api/v1/orgs/{org_a}/persons")).await;
    assert_eq!(persons.body["items"].as_array().map(Vec::len), Some(1));
    let events =
        a.c.get(&format!("/api/v1/orgs/{org_a}/events?limit=200"))
            .await;
    assert!(
        !events.text.contains(&org_b),
        "A's event log mentions nothing of B"
    );
}
