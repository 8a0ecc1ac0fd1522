//! Tenancy: every endpoint that takes an id, called with another org's ids, answers
//! 404 and changes nothing.

use quan_testkit::{Client, TestApp, User, on_both_backends};
use serde_json::{Value, json};

on_both_backends!(no_endpoint_reaches_another_org);

/// Every org-scoped endpoint, as (method, path, body): `{b}` is B's org and `{a}`
/// A's; the other names are B's things (`{staff}` its owner, `{person}` a customer,
/// `{invite}`, `{token}`, `{merge}`), except `{a_person}`, A's own customer.
const PROBES: &[(&str, &str, &str)] = &[
    // B's org in the path.
    ("GET", "/api/v1/orgs/{b}", ""),
    ("GET", "/api/v1/orgs/{b}/staff", ""),
    ("GET", "/api/v1/orgs/{b}/staff/{staff}", ""),
    (
        "PATCH",
        "/api/v1/orgs/{b}/staff/{staff}",
        r#"{"role": "sales"}"#,
    ),
    ("DELETE", "/api/v1/orgs/{b}/staff/{staff}", ""),
    ("GET", "/api/v1/orgs/{b}/invites", ""),
    ("POST", "/api/v1/orgs/{b}/invites", r#"{"role": "admin"}"#),
    ("DELETE", "/api/v1/orgs/{b}/invites/{invite}", ""),
    ("GET", "/api/v1/orgs/{b}/tokens", ""),
    (
        "POST",
        "/api/v1/orgs/{b}/tokens",
        r#"{"name": "x", "scopes": ["admin"]}"#,
    ),
    ("DELETE", "/api/v1/orgs/{b}/tokens/{token}", ""),
    ("GET", "/api/v1/orgs/{b}/persons", ""),
    (
        "POST",
        "/api/v1/orgs/{b}/persons",
        r#"{"display_name": "x"}"#,
    ),
    ("GET", "/api/v1/orgs/{b}/persons/{person}", ""),
    (
        "POST",
        "/api/v1/orgs/{b}/persons/{person}/handles",
        r#"{"kind": "nickname", "value": "x"}"#,
    ),
    ("GET", "/api/v1/orgs/{b}/events", ""),
    ("GET", "/api/v1/orgs/{b}/persons/{person}/profile", ""),
    (
        "POST",
        "/api/v1/orgs/{b}/persons/{person}/tags",
        r#"{"tag": "x"}"#,
    ),
    ("DELETE", "/api/v1/orgs/{b}/persons/{person}/tags/vip", ""),
    ("POST", "/api/v1/orgs/{b}/merges/{merge}/undo", ""),
    ("GET", "/api/v1/orgs/{b}/sensitive-words", ""),
    (
        "POST",
        "/api/v1/orgs/{b}/sensitive-words",
        r#"{"word": "x", "action": "reject"}"#,
    ),
    ("DELETE", "/api/v1/orgs/{b}/sensitive-words/b-only", ""),
    // A's own org in the path, B's entity ids after it.
    ("GET", "/api/v1/orgs/{a}/staff/{staff}", ""),
    (
        "PATCH",
        "/api/v1/orgs/{a}/staff/{staff}",
        r#"{"role": "sales"}"#,
    ),
    ("DELETE", "/api/v1/orgs/{a}/staff/{staff}", ""),
    ("DELETE", "/api/v1/orgs/{a}/invites/{invite}", ""),
    ("DELETE", "/api/v1/orgs/{a}/tokens/{token}", ""),
    ("GET", "/api/v1/orgs/{a}/persons/{person}", ""),
    (
        "POST",
        "/api/v1/orgs/{a}/persons/{person}/handles",
        r#"{"kind": "nickname", "value": "x"}"#,
    ),
    ("GET", "/api/v1/orgs/{a}/persons/{person}/profile", ""),
    (
        "POST",
        "/api/v1/orgs/{a}/persons/{person}/tags",
        r#"{"tag": "x"}"#,
    ),
    ("DELETE", "/api/v1/orgs/{a}/persons/{person}/tags/vip", ""),
    (
        "POST",
        "/api/v1/orgs/{a}/persons/{a_person}/merge",
        r#"{"merged_id": "{person}"}"#,
    ),
    (
        "POST",
        "/api/v1/orgs/{a}/persons/{person}/merge",
        r#"{"merged_id": "{a_person}"}"#,
    ),
    ("POST", "/api/v1/orgs/{a}/merges/{merge}/undo", ""),
    // Reach: B's org in the path.
    ("GET", "/api/v1/orgs/{b}/reach/policy", ""),
    ("GET", "/api/v1/orgs/{b}/contacts", ""),
    ("GET", "/api/v1/orgs/{b}/contacts/loads", ""),
    ("GET", "/api/v1/orgs/{b}/channel-codes", ""),
    ("GET", "/api/v1/orgs/{b}/campaigns", ""),
    ("GET", "/api/v1/orgs/{b}/transfers", ""),
    ("GET", "/api/v1/orgs/{b}/auto-replies", ""),
    ("GET", "/api/v1/orgs/{b}/moments", ""),
    ("POST", "/api/v1/orgs/{b}/moments", r#"{"body": "x"}"#),
    ("GET", "/api/v1/orgs/{b}/journeys", ""),
    (
        "POST",
        "/api/v1/orgs/{b}/journeys",
        r#"{"name": "x", "trigger": "code_joined", "steps": [{"kind": "send", "value": "x"}]}"#,
    ),
    ("GET", "/api/v1/orgs/{b}/journey-tasks", ""),
    ("POST", "/api/v1/orgs/{b}/contacts/import", ""),
    // Reach: A's org in the path, B's things after it.
    (
        "POST",
        "/api/v1/orgs/{a}/contacts",
        r#"{"person_id": "{person}"}"#,
    ),
    ("DELETE", "/api/v1/orgs/{a}/contacts/{contact}", ""),
    ("GET", "/api/v1/orgs/{a}/contacts/{contact}/messages", ""),
    (
        "POST",
        "/api/v1/orgs/{a}/contacts/{contact}/messages",
        r#"{"body": "x"}"#,
    ),
    ("GET", "/api/v1/orgs/{a}/channel-codes/{channel}", ""),
    ("GET", "/api/v1/orgs/{a}/channel-codes/{channel}/qr/svg", ""),
    ("DELETE", "/api/v1/orgs/{a}/channel-codes/{channel}", ""),
    ("GET", "/api/v1/orgs/{a}/campaigns/{campaign}", ""),
    (
        "POST",
        "/api/v1/orgs/{a}/campaigns/{campaign}/preflight",
        "",
    ),
    ("POST", "/api/v1/orgs/{a}/campaigns/{campaign}/send", ""),
    ("POST", "/api/v1/orgs/{a}/campaigns/{campaign}/confirm", ""),
    (
        "PUT",
        "/api/v1/orgs/{a}/campaigns/{campaign}/schedule",
        r#"{"at": 4102444800000}"#,
    ),
    (
        "DELETE",
        "/api/v1/orgs/{a}/campaigns/{campaign}/schedule",
        "",
    ),
    ("DELETE", "/api/v1/orgs/{a}/auto-replies/{rule}", ""),
    ("GET", "/api/v1/orgs/{a}/moments/{moment}", ""),
    ("DELETE", "/api/v1/orgs/{a}/moments/{moment}", ""),
    ("GET", "/api/v1/orgs/{a}/journeys/{journey}", ""),
    ("POST", "/api/v1/orgs/{a}/journeys/{journey}/dry-run", ""),
    ("POST", "/api/v1/orgs/{a}/journeys/{journey}/enable", ""),
    ("POST", "/api/v1/orgs/{a}/journeys/{journey}/archive", ""),
    (
        "POST",
        "/api/v1/orgs/{a}/journey-tasks/{journey_task}/done",
        "",
    ),
    (
        "POST",
        "/api/v1/orgs/{a}/transfers/preview",
        r#"{"kind": "on_job", "from_staff": "{staff}", "contacts": ["{contact}"], "receivers": ["{staff}"]}"#,
    ),
    // Commerce: B's coupons and stacking matrix, and B's coupon through A's org.
    ("GET", "/api/v1/orgs/{b}/coupons", ""),
    (
        "POST",
        "/api/v1/orgs/{b}/coupons",
        r#"{"name": "x", "kind": "fixed", "off_fen": 5, "scope": "all", "valid_days": 1, "supply": 1, "per_person": 1}"#,
    ),
    ("POST", "/api/v1/orgs/{b}/coupons/{coupon}/end", ""),
    ("GET", "/api/v1/orgs/{b}/stacking", ""),
    (
        "PUT",
        "/api/v1/orgs/{b}/stacking",
        r#"{"order": ["activity", "coupon"], "combine": []}"#,
    ),
    ("POST", "/api/v1/orgs/{a}/coupons/{coupon}/end", ""),
    // Reach: B's customer's own endpoints, called by A.
    ("GET", "/api/v1/me/conversations/{contact}", ""),
    (
        "POST",
        "/api/v1/me/conversations/{contact}",
        r#"{"body": "x"}"#,
    ),
    ("DELETE", "/api/v1/me/conversations/{contact}", ""),
    ("POST", "/api/v1/me/transfers/{transfer}/refuse", ""),
    ("GET", "/api/v1/me/consent/{b}", ""),
    ("POST", "/api/v1/me/consent/{b}/erase", ""),
    ("PUT", "/api/v1/me/moments/{moment}/like", ""),
    ("DELETE", "/api/v1/me/moments/{moment}/like", ""),
    (
        "POST",
        "/api/v1/me/moments/{moment}/comments",
        r#"{"body": "x"}"#,
    ),
];

/// Org B and the things of it the probes aim at.
struct OrgB {
    owner: User,
    org: String,
    person: String,
    invite: String,
    code: String,
    token: String,
    secret: String,
    merge: String,
    contact: String,
    channel: String,
    campaign: String,
    rule: String,
    transfer: String,
    moment: String,
    journey: String,
    journey_task: String,
    coupon: String,
}

async fn org_b(app: &TestApp) -> OrgB {
    let (owner, org) = app.owner("Bob").await;
    let customer = json!({"display_name": "B's customer", "handles": [{"kind": "email", "value": "c@b.example"}]});
    let person = owner.new_person(&org, customer).await.id;
    let invite = owner
        .staff_invite(&org, json!({"role": "sales", "max_uses": 3}))
        .await;
    let token = owner.token(&org, "b", &["read", "write", "admin"]).await;
    let other = owner.create_person(&org, "B's other").await.id;
    let merge = owner.merge(&org, &person, &other, "").await.id;
    owner.tag(&org, &person, "vip").await;
    owner.set_word(&org, "b-only", "hold").await;
    let (contact, channel, campaign, rule, transfer) = reach_of_b(app, &owner, &org).await;
    let moment = owner.post_moment(&org, "B's moment", &[]).await.id;
    let (journey, journey_task) = journey_of_b(app, &owner, &org).await;
    let coupon = owner
        .create_coupon(
            &org,
            json!({"name": "B's coupon", "kind": "fixed", "off_fen": 500, "scope": "all",
                   "valid_days": 7, "supply": 10, "per_person": 1}),
        )
        .await
        .id;
    OrgB {
        owner,
        org,
        person,
        invite: invite.invite.id,
        code: invite.code,
        token: token.token.id,
        secret: token.secret,
        merge,
        contact,
        channel,
        campaign,
        rule,
        transfer,
        moment,
        journey,
        journey_task,
        coupon,
    }
}

/// B's reach things: a customer's contact through a code, a draft campaign, an
/// auto-reply rule and a pending transfer of that customer to a second staff member.
async fn reach_of_b(
    app: &TestApp,
    owner: &User,
    org: &str,
) -> (String, String, String, String, String) {
    let code = owner
        .create_code(org, json!({"name": "B code", "staff": [owner.id]}))
        .await;
    let customer = app.user("B's fan").await;
    let contact = customer.open_code(&code.url).await.id;
    let campaign = owner.campaign(org, "{{name}}", json!({})).await.id;
    owner
        .auto_rule(org, "keyword", "hours", "answer", "9-5")
        .await;
    let rules = owner
        .c
        .get(&format!("/api/v1/orgs/{org}/auto-replies"))
        .await;
    let rule = rules.body[0]["id"].as_str().unwrap_or_default().to_owned();
    let colleague = app.user("B's colleague").await;
    app.join(owner, org, &colleague, "sales").await;
    let body = User::transfer_body("on_job", &owner.id, &[&contact], &[&colleague.id]);
    let transfer = owner.transfer(org, body).await.transfers[0].id.clone();
    (contact, code.id, campaign, rule, transfer)
}

/// B's journey, enabled, and the task it gave B's owner for a customer who joined.
async fn journey_of_b(app: &TestApp, owner: &User, org: &str) -> (String, String) {
    let code = owner
        .create_code(org, json!({"name": "B journey code", "staff": [owner.id]}))
        .await;
    let j = owner
        .journey(
            org,
            "B's journey",
            json!({"trigger": "code_joined", "trigger_code": code.id}),
            &[("task", "call")],
        )
        .await;
    owner.enable_journey(org, &j.id).await;
    app.user("B's joiner").await.open_code(&code.url).await;
    let task = owner.journey_tasks(org).await[0].id.clone();
    (j.id, task)
}

async fn no_endpoint_reaches_another_org(app: TestApp) {
    let (a, org_a) = app.owner("Alice").await;
    let b = org_b(&app).await;
    let a_bot = a.c.with_token(
        &a.token(&org_a, "a", &["read", "write", "admin"])
            .await
            .secret,
    );
    let a_person = a.create_person(&org_a, "A's customer").await.id;
    let fill = |text: &str| {
        text.replace("{b}", &b.org)
            .replace("{a_person}", &a_person)
            .replace("{a}", &org_a)
            .replace("{staff}", &b.owner.id)
            .replace("{person}", &b.person)
            .replace("{invite}", &b.invite)
            .replace("{token}", &b.token)
            .replace("{merge}", &b.merge)
            .replace("{contact}", &b.contact)
            .replace("{channel}", &b.channel)
            .replace("{campaign}", &b.campaign)
            .replace("{rule}", &b.rule)
            .replace("{transfer}", &b.transfer)
            .replace("{moment}", &b.moment)
            .replace("{journey_task}", &b.journey_task)
            .replace("{journey}", &b.journey)
            .replace("{coupon}", &b.coupon)
    };
    for who in [&a.c, &a_bot] {
        for (method, path, body) in PROBES {
            let (path, body) = (fill(path), fill(body));
            let body: Value = serde_json::from_str(&body).unwrap_or_else(|_| json!({}));
            let r = send(who, method, &path, body).await;
            assert_eq!(
                r.problem(),
                (404, Some("not_found")),
                "{method} {path} leaked across orgs: {}",
                r.text
            );
        }
    }
    // B's token is useless against A.
    let b_bot = b.owner.c.with_token(&b.secret);
    assert_eq!(
        b_bot.get(&format!("/api/v1/orgs/{org_a}")).await.status,
        404
    );
    nothing_of_b_changed(&app, &b).await;
    // And A's lists hold only A's things.
    assert_eq!(a.persons(&org_a, "").await.items.len(), 1);
    let events = a.events(&org_a, "limit=200").await;
    let mentions_b = serde_json::to_string(&events)
        .unwrap_or_default()
        .contains(&b.org);
    assert!(!mentions_b, "A's event log mentions nothing of B");
}

async fn send(who: &Client, method: &str, path: &str, body: Value) -> quan_testkit::Res {
    match method {
        "GET" => who.get(path).await,
        "POST" => who.post(path, body).await,
        "PATCH" => who.patch(path, body).await,
        "PUT" => who.put(path, body).await,
        _ => who.delete(path).await,
    }
}

async fn nothing_of_b_changed(app: &TestApp, b: &OrgB) {
    let b_bot = b.owner.c.with_token(&b.secret);
    let r = b_bot.get(&format!("/api/v1/orgs/{}", b.org)).await;
    assert_eq!(r.status, 200, "B's token still works");
    let p = b.owner.profile(&b.org, &b.person).await;
    assert_eq!(p.handles.len(), 1);
    assert_eq!(p.tags, ["vip"]);
    assert!(p.merges[0].undone_at.is_none(), "B's merge still stands");
    app.client().staff_invite_preview(&b.code).await; // B's invite is still valid
    assert_eq!(b.owner.words(&b.org).await.len(), 1);
    let staff = b.owner.staff(&b.org).await.items;
    assert_eq!(
        staff.len(),
        2,
        "the owner and the colleague a transfer waits for"
    );
    assert!(staff.iter().any(|s| s.role == "owner"));
    // B's reach things stand.
    let contacts = b.owner.contacts(&b.org, "").await.items;
    assert_eq!(contacts.len(), 2, "B's fan and the journey's joiner");
    let j = b.owner.get_journey(&b.org, &b.journey).await;
    assert_eq!(j.journey.status, "active", "B's journey stands");
    assert!(
        b.owner.journey_tasks(&b.org).await[0].done_at.is_none(),
        "B's task is still open"
    );
    assert_eq!(
        b.owner
            .staff_conversation(&b.org, &b.contact)
            .await
            .messages
            .len(),
        0
    );
    assert!(!b.owner.code(&b.org, &b.channel).await.archived);
    assert_eq!(
        b.owner.get_campaign(&b.org, &b.campaign).await.status,
        "draft"
    );
    let states: Vec<String> = b
        .owner
        .transfers(&b.org)
        .await
        .into_iter()
        .map(|t| t.state)
        .collect();
    assert_eq!(states, ["pending"]);
}
