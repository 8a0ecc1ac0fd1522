//! Delivery beyond the member app: a campaign that chooses e-mail and the org's
//! webhook goes out on both, once per message, after quiet hours, with retries;
//! each webhook call verifies under the Standard Webhooks scheme and keeps its id
//! over retries; a link card's clicks are counted once per message; channels that
//! are not set up, bad links and bad addresses are refused. Both backends, against
//! an SMTP server and a webhook receiver the test starts.

use quan_testkit::outside::{HookSink, SmtpSink};
use quan_testkit::{Backend, Spawn, TestApp, User, spawn_app, spawn_with};
use serde_json::json;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn outside_channels_sqlite() {
    outside_channels(Backend::Sqlite).await;
}
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn outside_channels_postgres() {
    outside_channels(Backend::Postgres).await;
}
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_runs_sqlite() {
    if let Some(app) = spawn_app(Backend::Sqlite).await {
        concurrent_runs_send_each_once(app).await;
    }
}
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_runs_postgres() {
    if let Some(app) = spawn_app(Backend::Postgres).await {
        concurrent_runs_send_each_once(app).await;
    }
}
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn refusals_sqlite() {
    if let Some(app) = spawn_app(Backend::Sqlite).await {
        refusals(app).await;
    }
}
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn refusals_postgres() {
    if let Some(app) = spawn_app(Backend::Postgres).await {
        refusals(app).await;
    }
}

async fn outside_channels(backend: Backend) {
    let smtp = SmtpSink::start().await;
    let hooks = HookSink::start().await;
    let opts = Spawn {
        smtp: Some(smtp.url.clone()),
        ..Spawn::default()
    };
    let Some(app) = spawn_with(backend, opts).await else {
        return;
    };
    let (owner, org, customers) = shop(&app).await;
    let hook = owner.set_webhook(&org, &hooks.url).await;
    assert!(hook.secret.starts_with("whsec_"), "{}", hook.secret);
    hooks.answer(&[500]);
    let r = owner
        .try_campaign(
            &org,
            json!({"name": "周末茶会 Weekend", "template": "{{name}}，周末茶会见",
                   "channels": ["email", "webhook"],
                   "link": {"url": "https://tea.example.com/menu", "title": "Menu"}}),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.text);
    let id = r.body["id"].as_str().unwrap_or_default().to_owned();
    owner.send_campaign(&org, &id).await;
    // Quiet hours hold e-mail and webhooks as they hold the app.
    assert_eq!(owner.confirm(&org, &id).await, 2);
    deliver(&app).await;
    assert!(
        smtp.received().is_empty() && hooks.calls().is_empty(),
        "held"
    );
    customers[1].opt_out(&org, true).await;
    app.clock.advance_secs(3 * 3600);
    deliver(&app).await;

    let mails = smtp.received();
    assert_eq!(mails.len(), 1, "the opted-out customer gets no mail");
    let mail = &mails[0].data;
    assert!(mail.contains("List-Unsubscribe"), "{mail}");
    let link = tracked_link(&app, mail);
    // The first webhook call was answered 500: tried again after the backoff.
    app.clock.advance_secs(61);
    deliver(&app).await;
    let calls = hooks.calls();
    assert_eq!(calls.len(), 2, "one failed try, one delivered");
    let verifier =
        standardwebhooks::Webhook::new(&hook.secret).unwrap_or_else(|e| panic!("secret: {e:?}"));
    for c in &calls {
        verifier
            .verify(c.body.as_bytes(), &c.headers)
            .unwrap_or_else(|e| panic!("signature: {e:?}"));
    }
    assert_eq!(
        calls[0].headers.get("webhook-id"),
        calls[1].headers.get("webhook-id"),
        "a retry keeps its id"
    );
    let body: serde_json::Value =
        serde_json::from_str(&calls[1].body).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(body["type"], "reach.message");
    assert!(
        body["data"]["body"]
            .as_str()
            .is_some_and(|b| b.contains("周末茶会见"))
    );
    assert_eq!(body["data"]["link"]["url"].as_str(), Some(link.as_str()));

    let c = owner.get_campaign(&org, &id).await;
    assert_eq!((c.email.sent, c.email.skipped, c.email.pending), (1, 1, 0));
    assert_eq!((c.webhook.sent, c.webhook.skipped), (1, 1));
    clicks_count_once(&app, &owner, &org, &id, &link).await;
    app.stop().await;
}

/// A click on the tracked link is counted once and leads on; a bad one is refused.
async fn clicks_count_once(app: &TestApp, owner: &User, org: &str, id: &str, link: &str) {
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap_or_default();
    for _ in 0..2 {
        let r = http
            .get(link)
            .send()
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(r.status().as_u16(), 303);
        assert_eq!(
            r.headers().get("location").and_then(|l| l.to_str().ok()),
            Some("https://tea.example.com/menu")
        );
    }
    assert_eq!(owner.get_campaign(org, id).await.clicked, 1);
    let r = app.client().get("/l/not-a-message").await;
    assert!(matches!(r.status, 400 | 404), "{}", r.status);
}

/// Drains the outbox (the node's own worker may take some first: both are guarded).
async fn deliver(app: &TestApp) {
    quan_core::reach::delivery::run(&app.services)
        .await
        .unwrap_or_else(|e| panic!("deliver: {e:?}"));
    tokio::time::sleep(std::time::Duration::from_millis(200)).await;
}

/// The tracked link in an e-mail: absolute, to this server.
fn tracked_link(app: &TestApp, mail: &str) -> String {
    let start = mail
        .find(&format!("{}/l/", app.base))
        .unwrap_or_else(|| panic!("no tracked link in {mail}"));
    mail[start..]
        .split_whitespace()
        .next()
        .unwrap_or_default()
        .to_owned()
}

/// A shop whose quiet hours began a minute ago and end in two hours, with two
/// customers of its owner: (owner, org, customers).
async fn shop(app: &TestApp) -> (User, String, Vec<User>) {
    let (owner, org) = app.owner("Tea House").await;
    // Asia/Shanghai (the standard zone) is UTC+8 all year.
    let now = quan_core::Clock::now(app.clock.as_ref()).millis();
    let local = (now / 60_000 + 8 * 60).rem_euclid(1440);
    let hm = |m: i64| format!("{:02}:{:02}", m.rem_euclid(1440) / 60, m.rem_euclid(60));
    let quiet = format!("{}-{}", hm(local - 1), hm(local + 120));
    owner.set_policy(&org, "month", &quiet, 100).await;
    let code = owner
        .create_code(&org, json!({"name": "Poster", "staff": [owner.id]}))
        .await;
    let mut customers = Vec::new();
    for name in ["Chen", "Dan"] {
        let u = app.user(name).await;
        u.open_code(&code.url).await;
        customers.push(u);
    }
    (owner, org, customers)
}

async fn refusals(app: TestApp) {
    let (owner, org) = app.owner("Tea House").await;
    let sales = app.user("Sales").await;
    app.join(&owner, &org, &sales, "sales").await;
    let compose = |channels: serde_json::Value, link: serde_json::Value| json!({"name": "N", "template": "hi", "channels": channels, "link": link});
    for (channels, link, want) in [
        (
            json!(["email"]),
            json!(null),
            (409, Some("channel_unavailable")),
        ),
        (
            json!(["webhook"]),
            json!(null),
            (409, Some("channel_unavailable")),
        ),
        (json!(["sms"]), json!(null), (422, Some("invalid_channel"))),
        (
            json!([]),
            json!({"url": "javascript:alert(1)"}),
            (422, Some("invalid_link")),
        ),
        (
            json!([]),
            json!({"url": "https://x.example/".repeat(200)}),
            (422, Some("invalid_link")),
        ),
    ] {
        let r = owner.try_campaign(&org, compose(channels, link)).await;
        assert_eq!(r.problem(), want, "{}", r.text);
    }
    for bad in ["ftp://hooks.example/x", "not a url", ""] {
        let r = owner.try_set_webhook(&org, bad, false).await;
        assert_eq!(
            r.problem(),
            (422, Some("invalid_link")),
            "{bad}: {}",
            r.text
        );
    }
    let r = sales
        .try_set_webhook(&org, "https://hooks.example/q", false)
        .await;
    assert_eq!(r.problem().0, 403);
    let first = owner.set_webhook(&org, "https://hooks.example/q").await;
    let again = owner.set_webhook(&org, "https://hooks.example/v2").await;
    assert_eq!(first.secret, again.secret, "a new address keeps the secret");
    let rotated = owner
        .try_set_webhook(&org, "https://hooks.example/v2", true)
        .await;
    assert_ne!(rotated.body["secret"], json!(first.secret));
    // Another org sees and changes nothing of this one's.
    let (other, _) = app.owner("Other").await;
    let path = format!("/api/v1/orgs/{org}/reach-webhook");
    assert!(matches!(other.c.get(&path).await.status, 403 | 404));
    assert!(matches!(other.c.delete(&path).await.status, 403 | 404));
    assert_eq!(sales.c.get(&path).await.problem().0, 403);
    // With the webhook set, a campaign may choose it.
    let r = owner
        .try_campaign(
            &org,
            compose(
                json!(["webhook"]),
                json!({"url": "https://tea.example.com"}),
            ),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.text);
    assert_eq!(
        r.body["link"]["title"], "tea.example.com",
        "the host by default"
    );
    assert_eq!(owner.c.delete(&path).await.status, 204);
    assert_eq!(owner.c.delete(&path).await.status, 404);
    app.stop().await;
}

/// Several runs at once (as several nodes' workers) send each delivery once.
async fn concurrent_runs_send_each_once(app: TestApp) {
    let hooks = HookSink::start().await;
    let (owner, org) = app.owner("Tea House").await;
    owner.set_policy(&org, "month", "", 100).await;
    let code = owner
        .create_code(&org, json!({"name": "Poster", "staff": [owner.id]}))
        .await;
    for i in 0..12 {
        app.user(&format!("客户{i}"))
            .await
            .open_code(&code.url)
            .await;
    }
    owner.set_webhook(&org, &hooks.url).await;
    let r = owner
        .try_campaign(
            &org,
            json!({"name": "N", "template": "{{name}}，新品", "channels": ["webhook"]}),
        )
        .await;
    let id = r.body["id"].as_str().unwrap_or_default().to_owned();
    owner.send_campaign(&org, &id).await;
    assert_eq!(owner.confirm(&org, &id).await, 12);
    let runs = (0..4).map(|_| quan_core::reach::delivery::run(&app.services));
    for r in futures::future::join_all(runs).await {
        r.unwrap_or_else(|e| panic!("deliver: {e:?}"));
    }
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    let mut ids: Vec<String> = hooks
        .calls()
        .iter()
        .filter_map(|c| {
            c.headers
                .get("webhook-id")?
                .to_str()
                .ok()
                .map(str::to_owned)
        })
        .collect();
    ids.sort();
    ids.dedup();
    assert_eq!((hooks.calls().len(), ids.len()), (12, 12), "each once");
    let c = owner.get_campaign(&org, &id).await;
    assert_eq!((c.webhook.sent, c.webhook.pending), (12, 0));
    app.stop().await;
}
