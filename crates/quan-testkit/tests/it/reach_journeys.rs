//! Journeys (SOP): a channel-code join starts a customer on the steps at once; waits
//! are walked by the sweep as time moves (never by sleeping); sends obey the ledger
//! and wait rather than break it, an opt-out skips them; a reply-wait moves on at
//! the reply; an inactivity journey starts the silent once; concurrent sweeps take
//! each step once; enabling needs a dry run, and the dry run's findings are what the
//! journey meets. Both backends.

use quan_testkit::{TestApp, User, on_both_backends};
use serde_json::json;

on_both_backends!(
    a_code_journey_sends_waits_tags_and_gives_a_task,
    sends_wait_for_the_ledger_and_skip_opt_outs,
    a_reply_wait_moves_on_at_the_reply,
    an_inactivity_journey_starts_the_silent_once,
    concurrent_sweeps_take_each_step_once,
    an_inherited_customer_walks_on_with_the_receiver,
    leaving_after_a_journey_message_blames_its_step,
    turning_journeys_off_blames_the_journey_not_a_campaign,
    journeys_refuse_bad_input,
    journeys_are_for_managers_of_their_org
);

/// A shop with Alice (sales) behind a code, no quiet hours (so wall-clock runs are
/// deterministic) and the given budget: (owner, org, alice, code url, code id).
async fn shop(app: &TestApp, budget: &str) -> (User, String, User, String, String) {
    let (owner, org) = app.owner("Tea House").await;
    let alice = app.user("Alice").await;
    app.join(&owner, &org, &alice, "sales").await;
    owner.set_policy(&org, budget, "", 5_000).await;
    let code = owner
        .create_code(&org, json!({"name": "Spring fair", "staff": [alice.id]}))
        .await;
    (owner, org, alice, code.url, code.id)
}

async fn sweep(app: &TestApp) -> u64 {
    quan_core::reach::journeys::sweep(&app.services)
        .await
        .unwrap_or_else(|e| panic!("sweep: {e:?}"))
}

/// The journey messages of a customer's conversation, oldest first.
async fn journey_bodies(who: &User, contact: &str) -> Vec<String> {
    let mut v: Vec<String> = who
        .conversation(contact)
        .await
        .messages
        .into_iter()
        .filter(|m| m.kind == "journey")
        .map(|m| m.body)
        .collect();
    v.reverse();
    v
}

fn tally(d: &quan_web::api::reach::journeys::JourneyDetailDto, step: i64) -> Vec<(String, i64)> {
    d.steps
        .iter()
        .filter(|t| t.step == step)
        .map(|t| (t.outcome.clone(), t.n))
        .collect()
}

async fn a_code_journey_sends_waits_tags_and_gives_a_task(app: TestApp) {
    let (owner, org, alice, url, code) = shop(&app, "month").await;
    let j = owner
        .journey(
            &org,
            "新客欢迎",
            json!({"trigger": "code_joined", "trigger_code": code}),
            &[
                ("send", "{{name}} 你好，我是 {{staff}}"),
                ("wait", "2"),
                ("send", "新人礼已到账"),
                ("tag", "warm"),
                ("task", "给 {{name}} 打个电话"),
            ],
        )
        .await;
    assert_eq!((j.status.as_str(), j.steps.len()), ("draft", 5));
    // Enabling needs a dry run first.
    let r = owner.try_enable_journey(&org, &j.id).await;
    assert_eq!(r.problem(), (409, Some("journey_needs_dry_run")));
    // A draft starts no one.
    let early = app.user("Early").await;
    early.open_code(&url).await;
    // The dry run: eight joins through the day, nothing met with no quiet hours
    // and a fresh month.
    let dry = owner.dry_run(&org, &j.id).await;
    assert_eq!(dry.walks.len(), 8);
    assert!(
        dry.walks
            .iter()
            .all(|w| w.joins_at.is_some() && w.findings.is_empty())
    );
    owner.enable_journey(&org, &j.id).await;

    chen_walks_it(&app, &owner, &org, &alice, &url, &j.id).await;
}

/// Chen joins and walks the journey of the test above to its end.
async fn chen_walks_it(app: &TestApp, owner: &User, org: &str, alice: &User, url: &str, j: &str) {
    let chen = app.user("Chen").await;
    let contact = chen.open_code(url).await.id;
    assert_eq!(
        journey_bodies(&chen, &contact).await,
        ["Chen 你好，我是 Alice"],
        "the first step runs at the join"
    );
    let d = owner.get_journey(org, j).await;
    assert_eq!(
        (d.running, d.done),
        (1, 0),
        "Early joined before it was enabled"
    );
    assert_eq!(tally(&d, 0), [("sent".to_owned(), 1)]);
    // Not due yet: the sweep leaves it.
    sweep(app).await;
    assert_eq!(journey_bodies(&chen, &contact).await.len(), 1);

    app.clock.advance_secs(2 * 86_400 + 1);
    sweep(app).await;
    assert_eq!(
        journey_bodies(&chen, &contact).await,
        ["Chen 你好，我是 Alice", "新人礼已到账"]
    );
    let person = owner.get_journey(org, j).await;
    assert_eq!((person.running, person.done), (0, 1));
    assert_eq!(tally(&person, 3), [("tagged".to_owned(), 1)]);
    let person_id = alice
        .contacts(org, "")
        .await
        .items
        .into_iter()
        .find(|c| c.person_name == "Chen")
        .unwrap_or_else(|| panic!("Chen is Alice's"))
        .person_id;
    let profile = owner.profile(org, &person_id).await;
    assert!(
        profile.tags.contains(&"warm".to_owned()),
        "{:?}",
        profile.tags
    );
    let history = quan_core::ReachStore::reach_history(
        app.services.store.as_ref(),
        org.parse().unwrap_or_else(|e| panic!("org id: {e:?}")),
        person_id
            .parse()
            .unwrap_or_else(|e| panic!("person id: {e:?}")),
        100,
    )
    .await
    .unwrap_or_else(|e| panic!("history: {e:?}"));
    assert!(
        history.iter().any(|e| e.kind == "journey.started"),
        "the start is on the person's timeline"
    );
    assert!(
        history.iter().any(|e| e.kind == "person.tagged"
            && e.data["tag"] == "warm"
            && e.data["via"] == "journey"),
        "so is the journey's tag"
    );
    alice_closes_her_task(owner, alice, org).await;
    // Sweeping again changes nothing: every step was taken once.
    app.clock.advance_secs(86_400);
    sweep(app).await;
    assert_eq!(journey_bodies(&chen, &contact).await.len(), 2);
    assert_eq!(alice.journey_tasks(org).await.len(), 1);

    // Archived: no one new starts; archiving twice is refused.
    assert_eq!(owner.try_archive_journey(org, j).await.status, 204);
    let r = owner.try_archive_journey(org, j).await;
    assert_eq!(r.problem(), (409, Some("journey_archived")));
    let r = owner.try_enable_journey(org, j).await;
    assert_eq!(r.problem(), (409, Some("journey_not_draft")));
    let dan = app.user("Dan").await;
    let dans = dan.open_code(url).await.id;
    assert!(journey_bodies(&dan, &dans).await.is_empty());
}

/// The journey's task is Alice's, naming the customer; she marks it done, once.
async fn alice_closes_her_task(owner: &User, alice: &User, org: &str) {
    let tasks = alice.journey_tasks(org).await;
    assert_eq!(tasks.len(), 1);
    assert_eq!(
        (tasks[0].title.as_str(), tasks[0].person_name.as_str()),
        ("给 Chen 打个电话", "Chen")
    );
    assert!(owner.journey_tasks(org).await.is_empty());
    assert_eq!(owner.try_task_done(org, &tasks[0].id).await.status, 404);
    assert_eq!(alice.try_task_done(org, &tasks[0].id).await.status, 204);
    assert_eq!(alice.try_task_done(org, &tasks[0].id).await.status, 404);
    assert!(alice.journey_tasks(org).await[0].done_at.is_some());
}

async fn sends_wait_for_the_ledger_and_skip_opt_outs(app: TestApp) {
    // One touch a day: the second send of the same day waits for tomorrow.
    let (owner, org, _alice, url, _) = shop(&app, "day").await;
    let j = owner
        .journey(
            &org,
            "两连发",
            json!({"trigger": "code_joined"}),
            &[("send", "第一条"), ("send", "第二条"), ("tag", "seen")],
        )
        .await;
    // The dry run says so for every join time: step 2 meets the staff member's day.
    let dry = owner.dry_run(&org, &j.id).await;
    for w in &dry.walks {
        assert_eq!(
            w.findings
                .iter()
                .map(|f| (f.step, f.hit.as_str()))
                .collect::<Vec<_>>(),
            [(1, "staff_daily")],
            "{w:?}"
        );
        assert!(w.findings[0].until > w.findings[0].at);
    }
    let until = dry.walks[0].findings[0].until;
    owner.enable_journey(&org, &j.id).await;

    let chen = app.user("Chen").await;
    let contact = chen.open_code(&url).await.id;
    assert_eq!(journey_bodies(&chen, &contact).await, ["第一条"]);
    sweep(&app).await;
    assert_eq!(
        journey_bodies(&chen, &contact).await.len(),
        1,
        "it waits, not drops"
    );
    // At the instant the dry run named, it goes.
    let now = quan_core::Clock::now(app.clock.as_ref()).millis();
    app.clock.advance_secs((until - now) / 1000 + 1);
    sweep(&app).await;
    assert_eq!(journey_bodies(&chen, &contact).await, ["第一条", "第二条"]);

    // Someone who opted out gets no message, and the rest of the journey goes on.
    let dan = app.user("Dan").await;
    let dans = dan.open_code(&url).await.id;
    // The first step ran at the join; opt out before the second.
    dan.opt_out(&org, true).await;
    app.clock.advance_secs(86_400);
    sweep(&app).await;
    assert_eq!(journey_bodies(&dan, &dans).await, ["第一条"]);
    let d = owner.get_journey(&org, &j.id).await;
    assert_eq!(
        tally(&d, 1),
        [("opted_out".to_owned(), 1), ("sent".to_owned(), 1)]
    );
    assert_eq!(tally(&d, 2), [("tagged".to_owned(), 2)]);
    assert_eq!(d.done, 2);
}

async fn a_reply_wait_moves_on_at_the_reply(app: TestApp) {
    let (owner, org, _alice, url, _) = shop(&app, "month").await;
    let j = owner
        .journey(
            &org,
            "等回复",
            json!({"trigger": "code_joined"}),
            &[
                ("send", "想了解哪款茶？"),
                ("until_reply", "3"),
                ("send", "谢谢回复"),
            ],
        )
        .await;
    owner.enable_journey(&org, &j.id).await;
    let (chen, dan) = (app.user("Chen").await, app.user("Dan").await);
    let c = chen.open_code(&url).await.id;
    let d = dan.open_code(&url).await.id;
    app.clock.advance_secs(86_400);
    // Chen replies: his journey moves on at once, no sweep needed.
    chen.reply(&c, "红茶").await;
    assert_eq!(
        journey_bodies(&chen, &c).await,
        ["想了解哪款茶？", "谢谢回复"]
    );
    // Dan never does: after three days the wait ends without a reply.
    sweep(&app).await;
    assert_eq!(journey_bodies(&dan, &d).await.len(), 1);
    app.clock.advance_secs(2 * 86_400 + 1);
    sweep(&app).await;
    assert_eq!(journey_bodies(&dan, &d).await.len(), 2);
    let detail = owner.get_journey(&org, &j.id).await;
    assert_eq!(
        tally(&detail, 1),
        [("no_reply".to_owned(), 1), ("replied".to_owned(), 1)]
    );
}

async fn an_inactivity_journey_starts_the_silent_once(app: TestApp) {
    let (owner, org, _alice, url, _) = shop(&app, "month").await;
    let chen = app.user("Chen").await;
    let c = chen.open_code(&url).await.id;
    let j = owner
        .journey(
            &org,
            "唤醒",
            json!({"trigger": "inactive", "trigger_days": 7}),
            &[("send", "{{name}}，好久不见")],
        )
        .await;
    // No one is silent for a week yet: the dry run says it would start no one.
    let dry = owner.dry_run(&org, &j.id).await;
    assert_eq!((dry.walks.len(), dry.would_start), (0, Some(0)));
    owner.enable_journey(&org, &j.id).await;
    sweep(&app).await;
    assert!(journey_bodies(&chen, &c).await.is_empty());

    app.clock.advance_secs(8 * 86_400);
    let dry = owner.dry_run(&org, &j.id).await;
    assert_eq!(
        dry.walks
            .iter()
            .map(|w| w.customer.clone())
            .collect::<Vec<_>>(),
        [Some("Chen".to_owned())],
        "the dry run walks the real customers it would start"
    );
    assert_eq!(dry.would_start, Some(1));
    sweep(&app).await;
    assert_eq!(journey_bodies(&chen, &c).await, ["Chen，好久不见"]);
    // Still silent next week: a contact walks a journey once.
    app.clock.advance_secs(8 * 86_400);
    sweep(&app).await;
    assert_eq!(journey_bodies(&chen, &c).await.len(), 1);
}

async fn concurrent_sweeps_take_each_step_once(app: TestApp) {
    let (owner, org, alice, url, _) = shop(&app, "month").await;
    let j = owner
        .journey(
            &org,
            "并发",
            json!({"trigger": "code_joined"}),
            &[
                ("wait", "1"),
                ("send", "一次"),
                ("task", "跟进"),
                ("send", "明天再来"),
            ],
        )
        .await;
    owner.enable_journey(&org, &j.id).await;
    let mut contacts = Vec::new();
    let mut people = Vec::new();
    for i in 0..5 {
        let u = app.user(&format!("C{i}")).await;
        contacts.push(u.open_code(&url).await.id);
        people.push(u);
    }
    app.clock.advance_secs(86_400 + 1);
    // Eight sweeps at once, as eight nodes would.
    let tasks: Vec<_> = (0..8)
        .map(|_| {
            let svc = app.services.clone();
            tokio::spawn(async move { quan_core::reach::journeys::sweep(&svc).await })
        })
        .collect();
    for t in tasks {
        t.await
            .unwrap_or_else(|e| panic!("join: {e:?}"))
            .unwrap_or_else(|e| panic!("sweep: {e:?}"));
    }
    for (u, c) in people.iter().zip(&contacts) {
        // One send per staff member a day: the last step waits for tomorrow.
        assert_eq!(journey_bodies(u, c).await, ["一次"], "exactly once");
    }
    assert_eq!(alice.journey_tasks(&org).await.len(), 5, "one task each");
    app.clock.advance_secs(86_400);
    sweep(&app).await;
    for (u, c) in people.iter().zip(&contacts) {
        assert_eq!(journey_bodies(u, c).await, ["一次", "明天再来"]);
    }
    assert_eq!(owner.get_journey(&org, &j.id).await.done, 5);
}

async fn an_inherited_customer_walks_on_with_the_receiver(app: TestApp) {
    let (owner, org, alice, url, _) = shop(&app, "month").await;
    let bob = app.user("Bob").await;
    app.join(&owner, &org, &bob, "sales").await;
    let j = owner
        .journey(
            &org,
            "三天后",
            json!({"trigger": "code_joined"}),
            &[("wait", "3"), ("send", "我是 {{staff}}，有事找我")],
        )
        .await;
    owner.enable_journey(&org, &j.id).await;
    let chen = app.user("Chen").await;
    let from = chen.open_code(&url).await.id;
    let body = User::transfer_body("on_job", &alice.id, &[&from], &[&bob.id]);
    owner.transfer(&org, body).await;
    app.clock.advance_secs(25 * 3600);
    quan_core::reach::transfers::complete_due(&app.services)
        .await
        .unwrap_or_else(|e| panic!("complete: {e:?}"));
    app.clock.advance_secs(2 * 86_400);
    sweep(&app).await;
    let with_bob = chen
        .conversations()
        .await
        .into_iter()
        .find(|c| c.staff_name == "Bob")
        .unwrap_or_else(|| panic!("Chen is Bob's now"))
        .id;
    assert_eq!(
        journey_bodies(&chen, &with_bob).await,
        ["我是 Bob，有事找我"]
    );
    assert_eq!(owner.get_journey(&org, &j.id).await.done, 1);
}

async fn leaving_after_a_journey_message_blames_its_step(app: TestApp) {
    let (owner, org, _alice, url, _) = shop(&app, "month").await;
    let j = owner
        .journey(
            &org,
            "推销",
            json!({"trigger": "code_joined"}),
            &[("send", "全场五折"), ("wait", "3"), ("send", "最后一天")],
        )
        .await;
    owner.enable_journey(&org, &j.id).await;
    let (chen, dan) = (app.user("Chen").await, app.user("Dan").await);
    let c = chen.open_code(&url).await.id;
    dan.open_code(&url).await;
    app.clock.advance_secs(3600);
    // Chen deletes the staff member an hour after the first message.
    chen.leave(&c).await;
    let d = owner.get_journey(&org, &j.id).await;
    assert_eq!((d.delivered, d.negatives), (2, 1));
    // Once per customer: opting out too does not count twice.
    chen.opt_out(&org, true).await;
    assert_eq!(owner.get_journey(&org, &j.id).await.negatives, 1);
    // Three days on: Dan gets the last message; Chen's run ended with the contact.
    app.clock.advance_secs(3 * 86_400);
    sweep(&app).await;
    let d = owner.get_journey(&org, &j.id).await;
    assert_eq!((d.delivered, d.done, d.ended), (3, 1, 1));
}

async fn turning_journeys_off_blames_the_journey_not_a_campaign(app: TestApp) {
    let (owner, org, alice, url, _) = shop(&app, "month").await;
    let j = owner
        .journey(
            &org,
            "欢迎",
            json!({"trigger": "code_joined"}),
            &[("send", "欢迎")],
        )
        .await;
    owner.enable_journey(&org, &j.id).await;
    let chen = app.user("Chen").await;
    chen.open_code(&url).await;
    // A campaign message the next day (one mass message per staff member and
    // customer a day), so it is the latest Chen saw.
    app.clock.advance_secs(86_400);
    let c = owner.campaign(&org, "{{name}}，新品", json!({})).await;
    owner.send_campaign(&org, &c.id).await;
    assert_eq!(alice.confirm(&org, &c.id).await, 1);
    app.clock.advance_secs(600);
    chen.set_topics(&org, true, false, true).await;
    assert_eq!(owner.get_journey(&org, &j.id).await.negatives, 1);
    assert_eq!(owner.get_campaign(&org, &c.id).await.negatives, 0);
}

async fn journeys_refuse_bad_input(app: TestApp) {
    let (owner, org, _alice, _url, _) = shop(&app, "month").await;
    let ok_steps = json!([{"kind": "send", "value": "hi"}]);
    for (body, field, code) in [
        (
            json!({"name": "x", "trigger": "code_joined", "steps": [{"kind": "jump", "value": "1"}]}),
            "step_1",
            "invalid_step",
        ),
        (
            json!({"name": "x", "trigger": "code_joined",
                   "steps": [{"kind": "send", "value": "hi"}, {"kind": "wait", "value": "0"}]}),
            "step_2",
            "out_of_range",
        ),
        (
            json!({"name": "x", "trigger": "code_joined", "steps": [{"kind": "send", "value": "hi {{nme}}"}]}),
            "step_1",
            "template_unknown_variable",
        ),
        (
            json!({"name": "x", "trigger": "code_joined", "steps": [{"kind": "wait", "value": "3"}]}),
            "steps",
            "journey_no_action",
        ),
        (
            json!({"name": "x", "trigger": "code_joined", "steps": vec![json!({"kind": "tag", "value": "t"}); 13]}),
            "steps",
            "too_many",
        ),
        (
            json!({"name": "x", "trigger": "inactive", "trigger_days": 0, "steps": ok_steps}),
            "trigger_days",
            "out_of_range",
        ),
        (
            json!({"name": "x", "trigger": "birthday", "steps": ok_steps}),
            "trigger",
            "invalid_trigger",
        ),
        (
            json!({"name": "", "trigger": "code_joined", "steps": ok_steps}),
            "name",
            "required",
        ),
    ] {
        let r = owner.try_journey(&org, body.clone()).await;
        assert_eq!(r.status, 422, "{body}: {}", r.text);
        assert_eq!(r.field(), (422, Some(field)), "{body}");
        assert_eq!(r.problem(), (422, Some(code)), "{body}");
    }
    let r = owner
        .try_journey(
            &org,
            json!({"name": "x", "trigger": "code_joined", "steps": ok_steps, "extra": 1}),
        )
        .await;
    assert_eq!(r.status, 422, "unknown fields are refused: {}", r.text);
    // Another org's channel code is not found here.
    let (other, other_org) = app.owner("Rival").await;
    let theirs = other
        .create_code(&other_org, json!({"name": "theirs", "staff": [other.id]}))
        .await;
    let r = owner
        .try_journey(&org, json!({"name": "x", "trigger": "code_joined", "trigger_code": theirs.id, "steps": ok_steps}))
        .await;
    assert_eq!(r.field(), (422, Some("trigger_code")), "{}", r.text);
    assert_eq!(r.problem(), (422, Some("no_such_code")));
}

async fn journeys_are_for_managers_of_their_org(app: TestApp) {
    let (owner, org, alice, _url, _) = shop(&app, "month").await;
    let (other, other_org) = app.owner("Rival").await;
    let ok_steps = json!([{"kind": "send", "value": "hi"}]);
    // Sales staff read journeys but do not compose, dry-run or enable them.
    let j = owner
        .journey(
            &org,
            "x",
            json!({"trigger": "code_joined"}),
            &[("send", "hi")],
        )
        .await;
    let r = alice
        .try_journey(
            &org,
            json!({"name": "x", "trigger": "code_joined", "steps": ok_steps}),
        )
        .await;
    assert_eq!(r.status, 403);
    assert_eq!(alice.try_dry_run(&org, &j.id).await.status, 403);
    assert_eq!(alice.try_enable_journey(&org, &j.id).await.status, 403);
    assert_eq!(alice.get_journey(&org, &j.id).await.journey.name, "x");
    // Another org's owner finds nothing.
    assert_eq!(other.try_get_journey(&org, &j.id).await.status, 404);
    assert_eq!(other.try_get_journey(&other_org, &j.id).await.status, 404);
    assert_eq!(other.try_dry_run(&other_org, &j.id).await.status, 404);
    assert_eq!(
        other.try_enable_journey(&other_org, &j.id).await.status,
        404
    );
    assert_eq!(
        other.try_archive_journey(&other_org, &j.id).await.status,
        404
    );
    assert_eq!(
        owner.try_get_journey(&org, "not-an-id").await.problem(),
        (400, Some("invalid_id"))
    );
}
