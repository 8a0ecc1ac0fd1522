//! "At most weekly" in the consent centre: a customer who asks for it hears at most
//! one campaign or journey message a week from an org, whatever its budget allows;
//! the preflight counts them apart and says when they next can, the plan is the
//! preflight, concurrent campaigns from different staff never give them two in a
//! week, a journey's send waits for the next week, and a bad value is refused.
//! Both backends.

use quan_testkit::{TestApp, User, on_both_backends};
use serde_json::json;

on_both_backends!(
    a_weekly_customer_hears_once_a_week,
    concurrent_campaigns_give_a_weekly_customer_one,
    a_journey_waits_for_a_weekly_customers_next_week,
    a_bad_frequency_is_refused
);

/// A shop on a generous budget (days in the month) without quiet hours, with Alice
/// and Bob in sales behind a code each: (owner, org, alice, bob, alice's code url,
/// bob's code url).
async fn shop(app: &TestApp) -> (User, String, User, User, String, String) {
    let (owner, org) = app.owner("Tea House").await;
    owner.set_policy(&org, "month", "", 5_000).await;
    let alice = app.user("Alice").await;
    let bob = app.user("Bob").await;
    app.join(&owner, &org, &alice, "sales").await;
    app.join(&owner, &org, &bob, "sales").await;
    let a = owner
        .create_code(&org, json!({"name": "Counter", "staff": [alice.id]}))
        .await;
    let b = owner
        .create_code(&org, json!({"name": "Window", "staff": [bob.id]}))
        .await;
    (owner, org, alice, bob, a.url, b.url)
}

/// How many journey messages a customer's conversation holds.
async fn sent(who: &User, contact: &str) -> usize {
    who.conversation(contact)
        .await
        .messages
        .iter()
        .filter(|m| m.kind == "journey")
        .count()
}

async fn sweep(app: &TestApp) {
    quan_core::reach::journeys::sweep(&app.services)
        .await
        .unwrap_or_else(|e| panic!("sweep: {e:?}"));
}

/// Moves the clock to just after the next Monday 00:00 in the org's zone, so that
/// the days a test walks stay in one week: the week a campaign's preflight names.
async fn to_monday(app: &TestApp, owner: &User, org: &str) {
    let probe = owner.campaign(org, "{{name}}", json!({})).await;
    let opens = owner.preflight(org, &probe.id).await.week_opens;
    app.clock.advance_secs((opens - now(app)) / 1000 + 1);
}

fn now(app: &TestApp) -> i64 {
    quan_core::Clock::now(app.clock.as_ref()).millis()
}

async fn a_weekly_customer_hears_once_a_week(app: TestApp) {
    let (owner, org, alice, bob, a_url, b_url) = shop(&app).await;
    // Mei knows Alice and Bob and asks for one message a week; Lin knows Alice only.
    let mei = app.user("Mei").await;
    mei.open_code(&a_url).await;
    mei.open_code(&b_url).await;
    mei.set_weekly(&org, true).await;
    let consent = mei.c.get("/api/v1/me/consent").await;
    assert_eq!(
        consent.body[0]["topics"]["frequency"], "weekly",
        "{}",
        consent.text
    );
    app.user("Lin").await.open_code(&a_url).await;
    to_monday(&app, &owner, &org).await;

    let first = owner
        .campaign(&org, "{{name}}，新茶到了", json!({"staff": [alice.id]}))
        .await;
    let pre = owner.preflight(&org, &first.id).await;
    assert_eq!((pre.counts.recipients, pre.counts.weekly), (2, 0));
    assert_eq!(
        owner.send_campaign(&org, &first.id).await.counts,
        pre.counts
    );

    // Bob's campaign the next day: the staff's day and the month allow it, Mei's
    // week not.
    app.clock.advance_secs(86_400);
    let second = owner
        .campaign(&org, "{{name}}，周末品鉴会", json!({"staff": [bob.id]}))
        .await;
    let pre = owner.preflight(&org, &second.id).await;
    assert_eq!(
        (
            pre.counts.recipients,
            pre.counts.over_budget,
            pre.counts.weekly
        ),
        (0, 1, 1),
        "{pre:?}"
    );
    let t = now(&app);
    assert!(
        pre.week_opens > t && pre.week_opens - t <= 7 * 86_400_000,
        "next Monday: {pre:?}"
    );
    // The console says so, in words.
    let page = owner
        .c
        .get(&format!("/console/{org}/campaigns/{}", second.id))
        .await;
    assert!(
        page.text.contains("asked for at most one message a week")
            || page.text.contains("每周最多一条"),
        "{}",
        page.text
    );

    assert_eq!(
        owner.send_campaign(&org, &second.id).await.counts,
        pre.counts
    );

    // From Monday she can be reached again.
    app.clock
        .advance_secs((pre.week_opens - now(&app)) / 1000 + 1);
    let third = owner
        .campaign(&org, "{{name}}", json!({"staff": [bob.id]}))
        .await;
    assert_eq!(owner.preflight(&org, &third.id).await.counts.recipients, 1);
    owner.send_campaign(&org, &third.id).await;
    // Back on the budget, the next day of that same week she can be reached again.
    mei.set_weekly(&org, false).await;
    app.clock.advance_secs(86_400);
    let fourth = owner
        .campaign(&org, "{{name}}", json!({"staff": [alice.id]}))
        .await;
    let pre = owner.preflight(&org, &fourth.id).await;
    assert_eq!(
        (pre.counts.recipients, pre.counts.weekly),
        (2, 0),
        "{pre:?}"
    );
}

async fn concurrent_campaigns_give_a_weekly_customer_one(app: TestApp) {
    let (owner, org, alice, bob, a_url, b_url) = shop(&app).await;
    for i in 0..12 {
        let u = app.user(&format!("C{i}")).await;
        u.open_code(&a_url).await;
        u.open_code(&b_url).await;
        u.set_weekly(&org, true).await;
    }
    to_monday(&app, &owner, &org).await;
    // Monday, then Tuesday (a new day for the staff, the same week for them): six
    // campaigns at once each day.
    let mut reached = 0;
    for day in 0..2 {
        let mut ids = Vec::new();
        for i in 0..6 {
            let staff = if i % 2 == 0 { &alice.id } else { &bob.id };
            let seg = json!({"staff": [staff]});
            ids.push(owner.campaign(&org, "{{name}}", seg).await.id);
        }
        let sends =
            futures::future::join_all(ids.iter().map(|id| owner.send_campaign(&org, id))).await;
        for c in &sends {
            let seen = c.counts.recipients + c.counts.staff_daily + c.counts.over_budget;
            assert_eq!(
                seen, 12,
                "every audience member accounted for: {:?}",
                c.counts
            );
            if day == 1 {
                assert_eq!(c.counts.weekly, 12, "Tuesday: all held by their week");
            }
        }
        reached += sends.iter().map(|c| c.counts.recipients).sum::<i64>();
        app.clock.advance_secs(86_400);
    }
    assert_eq!(
        reached, 12,
        "one message a week each, however many send at once"
    );
}

async fn a_journey_waits_for_a_weekly_customers_next_week(app: TestApp) {
    let (owner, org, _alice, _bob, a_url, _) = shop(&app).await;
    let j = owner
        .journey(
            &org,
            "两连发",
            json!({"trigger": "code_joined"}),
            &[
                ("wait", "1"),
                ("send", "第一条"),
                ("wait", "1"),
                ("send", "第二条"),
            ],
        )
        .await;
    owner.dry_run(&org, &j.id).await;
    owner.enable_journey(&org, &j.id).await;
    let chen = app.user("Chen").await;
    let contact = chen.open_code(&a_url).await.id;
    chen.set_weekly(&org, true).await;
    app.clock.advance_secs(86_400 + 1);
    sweep(&app).await;
    assert_eq!(sent(&chen, &contact).await, 1, "the first after a day");
    let first = now(&app);
    // A campaign's preflight says when her week opens again.
    let probe = owner.campaign(&org, "{{name}}", json!({})).await;
    let opens = owner.preflight(&org, &probe.id).await.week_opens;
    // Day by day up to her next week, the second message waits, never drops.
    while now(&app) + 86_400_000 < opens {
        app.clock.advance_secs(86_400);
        sweep(&app).await;
        assert_eq!(sent(&chen, &contact).await, 1, "held until her next week");
    }
    let due = opens.max(first + 86_400_000);
    app.clock.advance_secs((due - now(&app)) / 1000 + 1);
    sweep(&app).await;
    assert_eq!(sent(&chen, &contact).await, 2, "sent in her next week");
}

async fn a_bad_frequency_is_refused(app: TestApp) {
    let (owner, org, _, _, a_url, _) = shop(&app).await;
    let mei = app.user("Mei").await;
    let contact = mei.open_code(&a_url).await.id;
    let r = mei
        .try_topics(
            &org,
            json!({"campaigns": true, "journeys": true, "moments": true, "frequency": "hourly"}),
        )
        .await;
    assert_eq!(r.status, 422, "{}", r.text);
    assert_eq!(r.body["code"], "invalid_body", "{}", r.text);
    // Nothing changed: she is still on the org's budget.
    let consent = mei.c.get("/api/v1/me/consent").await;
    assert_eq!(
        consent.body[0]["topics"]["frequency"], "budget",
        "{}",
        consent.text
    );
    // Weekly, then a change of topics that leaves frequency out: it stays weekly.
    mei.set_weekly(&org, true).await;
    mei.set_topics(&org, true, true, true).await;
    let consent = mei.c.get("/api/v1/me/consent").await;
    assert_eq!(
        consent.body[0]["topics"]["frequency"], "weekly",
        "{}",
        consent.text
    );
    // Her staff see it beside the conversation.
    let page = owner
        .c
        .get(&format!("/console/{org}/customers/{contact}"))
        .await;
    assert!(page.text.contains("id=\"weekly\""), "{}", page.text);
}
