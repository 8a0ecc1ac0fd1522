//! Scheduled campaigns: a draft set to a later time plans itself then (the sweep),
//! its staff confirm as for one sent at once; the schedule can be taken back, or
//! overtaken by sending now; times outside a minute to 90 days ahead are refused.
//! Both backends.

use quan_testkit::{TestApp, User, on_both_backends};
use quan_web::api::reach::campaigns::CampaignDto;
use serde_json::json;

on_both_backends!(
    a_scheduled_campaign_plans_itself_when_due,
    schedules_are_bounded_and_for_managers
);

fn now_ms(app: &TestApp) -> i64 {
    quan_core::Clock::now(app.clock.as_ref()).millis()
}

async fn sweep(app: &TestApp) -> u64 {
    quan_core::reach::campaigns::send_due(&app.services)
        .await
        .unwrap_or_else(|e| panic!("sweep: {e:?}"))
}

/// A shop with two customers of its owner, no quiet hours: (owner, org).
async fn shop(app: &TestApp) -> (User, String) {
    let (owner, org) = app.owner("Tea House").await;
    owner.set_policy(&org, "month", "", 100).await;
    let code = owner
        .create_code(&org, json!({"name": "Poster", "staff": [owner.id]}))
        .await;
    for name in ["Chen", "Dan"] {
        app.user(name).await.open_code(&code.url).await;
    }
    (owner, org)
}

fn path(org: &str, c: &str) -> String {
    format!("/api/v1/orgs/{org}/campaigns/{c}/schedule")
}

async fn a_scheduled_campaign_plans_itself_when_due(app: TestApp) {
    let (owner, org) = shop(&app).await;
    let c = owner.campaign(&org, "{{name}}，周末茶会", json!({})).await;
    let at = now_ms(&app) + 2 * 3_600_000;
    let r = owner.c.put(&path(&org, &c.id), json!({"at": at})).await;
    assert_eq!(r.status, 200, "{}", r.text);
    let dto: CampaignDto = serde_json::from_value(r.body).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        (dto.status.as_str(), dto.scheduled_for),
        ("scheduled", Some(at))
    );
    let r = owner.c.put(&path(&org, &c.id), json!({"at": at})).await;
    assert_eq!(
        r.problem(),
        (409, Some("campaign_state")),
        "scheduled already"
    );
    assert_eq!(owner.preflight(&org, &c.id).await.counts.recipients, 2);
    // Not yet due: nothing happens.
    assert_eq!(sweep(&app).await, 0);
    assert_eq!(owner.get_campaign(&org, &c.id).await.status, "scheduled");
    app.clock.advance_secs(2 * 3600 + 1);
    assert_eq!(sweep(&app).await, 1);
    let planned = owner.get_campaign(&org, &c.id).await;
    assert_eq!(
        (planned.status.as_str(), planned.counts.recipients),
        ("confirming", 2)
    );
    assert_eq!(owner.confirm(&org, &c.id).await, 2);
    assert_eq!(sweep(&app).await, 0, "planned once");

    // Taken back: a draft again; taking it back twice is refused.
    let d = owner.campaign(&org, "{{name}}，下周见", json!({})).await;
    let at = now_ms(&app) + 3_600_000;
    assert_eq!(
        owner
            .c
            .put(&path(&org, &d.id), json!({"at": at}))
            .await
            .status,
        200
    );
    let r = owner.c.delete(&path(&org, &d.id)).await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.body["status"], "draft");
    assert_eq!(
        owner.c.delete(&path(&org, &d.id)).await.problem(),
        (409, Some("campaign_state"))
    );
    // Overtaken: scheduled, then sent now; the sweep later does nothing more.
    assert_eq!(
        owner
            .c
            .put(&path(&org, &d.id), json!({"at": at}))
            .await
            .status,
        200
    );
    owner.send_campaign(&org, &d.id).await;
    app.clock.advance_secs(3601);
    assert_eq!(sweep(&app).await, 0);
}

async fn schedules_are_bounded_and_for_managers(app: TestApp) {
    let (owner, org) = shop(&app).await;
    let c = owner.campaign(&org, "{{name}}", json!({})).await;
    let now = now_ms(&app);
    for at in [now - 1_000, now + 30_000, now + 91 * 86_400_000] {
        let r = owner.c.put(&path(&org, &c.id), json!({"at": at})).await;
        assert_eq!(
            r.problem(),
            (422, Some("invalid_schedule")),
            "{at}: {}",
            r.text
        );
        assert_eq!(r.field(), (422, Some("at")));
    }
    let r = owner.c.put(&path(&org, &c.id), json!({"at": "soon"})).await;
    assert_eq!(r.status, 422, "{}", r.text);
    let sales = app.user("Sales").await;
    app.join(&owner, &org, &sales, "sales").await;
    let r = sales
        .c
        .put(&path(&org, &c.id), json!({"at": now + 3_600_000}))
        .await;
    assert_eq!(r.status, 403);
    let (rival, rival_org) = app.owner("Rival").await;
    let r = rival
        .c
        .put(&path(&rival_org, &c.id), json!({"at": now + 3_600_000}))
        .await;
    assert_eq!(r.status, 404);
    assert_eq!(
        owner.get_campaign(&org, &c.id).await.status,
        "draft",
        "nothing moved"
    );
    // An author who no longer manages reach: the sweep unschedules, it does not send.
    let admin = app.user("Admin").await;
    app.join(&owner, &org, &admin, "admin").await;
    let e = admin.campaign(&org, "{{name}}", json!({})).await;
    let r = admin
        .c
        .put(&path(&org, &e.id), json!({"at": now + 3_600_000}))
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    let r = owner
        .c
        .patch(
            &format!("/api/v1/orgs/{org}/staff/{}", admin.id),
            json!({"role": "sales"}),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    app.clock.advance_secs(3601);
    assert_eq!(sweep(&app).await, 0);
    assert_eq!(owner.get_campaign(&org, &e.id).await.status, "draft");
}
