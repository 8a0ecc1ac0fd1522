//! Reach: the contact cap under concurrency, channel codes (turns, backup, tags,
//! attribution, a welcome exactly once), stages, the preflight that equals the plan,
//! touch budgets and the per-staff daily rule, concurrent campaigns, quiet hours,
//! opt-outs, tenancy and refused input. Both backends.

use quan_testkit::{TestApp, User, on_both_backends};
use serde_json::json;

on_both_backends!(
    the_contact_cap_holds_under_concurrent_adds,
    channel_codes_take_turns_fall_back_and_welcome_once,
    stages_follow_what_customers_do,
    preflight_is_the_plan_and_budgets_hold,
    concurrent_campaigns_reach_each_customer_once,
    quiet_hours_hold_messages_and_never_drop_them,
    another_org_reaches_nothing,
    bad_input_is_refused
);

/// An org with two sales staff and no quiet hours: (owner, org, alice, bob).
async fn shop(app: &TestApp, budget: &str, cap: i64) -> (User, String, User, User) {
    let (owner, org) = app.owner("Tea House").await;
    let alice = app.user("Alice").await;
    let bob = app.user("Bob").await;
    app.join(&owner, &org, &alice, "sales").await;
    app.join(&owner, &org, &bob, "sales").await;
    owner.set_policy(&org, budget, "", cap).await;
    (owner, org, alice, bob)
}

async fn the_contact_cap_holds_under_concurrent_adds(app: TestApp) {
    let (owner, org, alice, _) = shop(&app, "month", 3).await;
    let mut persons = Vec::new();
    for i in 0..8 {
        persons.push(owner.create_person(&org, &format!("客户{i}")).await.id);
    }
    let adds = persons
        .iter()
        .map(|p| owner.try_add_contact(&org, p, Some(&alice.id)));
    let answers = futures::future::join_all(adds).await;
    let made = answers.iter().filter(|r| r.status == 201).count();
    assert_eq!(made, 3, "exactly the cap");
    for r in answers.iter().filter(|r| r.status != 201) {
        assert_eq!(r.problem(), (409, Some("contact_cap_reached")));
        assert!(
            r.text.contains("3"),
            "the refusal names the cap: {}",
            r.text
        );
    }
    let loads = owner.loads(&org).await;
    assert_eq!(loads.cap, 3);
    let a = loads.staff.iter().find(|s| s.staff_id == alice.id);
    assert_eq!(a.map(|s| s.contacts), Some(3));

    // Adding the same pair again changes nothing; removing one frees a place.
    let mine = alice.contacts(&org, "").await.items;
    assert_eq!(mine.len(), 3, "sales staff see their own");
    let again = owner
        .add_contact(&org, &mine[0].person_id, Some(&alice.id))
        .await;
    assert_eq!(again.id, mine[0].id);
    let r = alice.try_remove_contact(&org, &mine[0].id).await;
    assert_eq!(r.status, 204, "{}", r.text);
    let free = persons
        .iter()
        .find(|p| !mine.iter().any(|c| &c.person_id == *p))
        .cloned()
        .unwrap_or_default();
    alice.add_contact(&org, &free, None).await;
    // Sales staff add only to themselves.
    let r = alice.try_add_contact(&org, &free, Some(&owner.id)).await;
    assert_eq!(r.problem(), (403, Some("forbidden")));
}

async fn channel_codes_take_turns_fall_back_and_welcome_once(app: TestApp) {
    let (owner, org, alice, bob) = shop(&app, "month", 2).await;
    let code = owner
        .create_code(
            &org,
            json!({"name": "门店海报 Store poster", "staff": [alice.id, bob.id], "backup": owner.id,
                   "tags": ["门店", "Poster"], "welcome": "你好 {{name}}，我是{{staff}}。"}),
        )
        .await;
    assert!(
        code.url.starts_with("http") && code.url.contains("/r/"),
        "{}",
        code.url
    );
    let mut customers = Vec::new();
    for name in ["Chen", "Wang", "Li", "Zhao", "Sun"] {
        let u = app.user(name).await;
        let c = u.open_code(&code.url).await;
        assert_eq!(c.code_name.as_deref(), Some("门店海报 Store poster"));
        customers.push((u, c));
    }
    let staff: Vec<&str> = customers
        .iter()
        .map(|(_, c)| c.staff_name.as_str())
        .collect();
    assert_eq!(
        staff,
        ["Alice", "Bob", "Alice", "Bob", "Tea House"],
        "turns, then the backup"
    );

    // Each hears the welcome once, rendered for them.
    let (chen, chen_contact) = &customers[0];
    let conv = chen.conversation(&chen_contact.id).await;
    assert_eq!(conv.messages.len(), 1);
    assert_eq!(conv.messages[0].body, "你好 Chen，我是Alice。");
    assert_eq!(conv.messages[0].kind, "welcome");
    // Delivered again (a duplicated event, a second node, the backing job): still one.
    let org_id = quan_domain::OrgId::parse(&org).unwrap_or_else(|e| panic!("{e}"));
    let contact = quan_domain::ContactId::parse(&chen_contact.id).unwrap_or_else(|e| panic!("{e}"));
    let again = futures::future::join_all(
        (0..4).map(|_| quan_core::reach::codes::deliver_welcome(&app.services, org_id, contact)),
    )
    .await;
    assert!(again.iter().all(|r| matches!(r, Ok(false))), "{again:?}");
    app.clock.advance_secs(60);
    while quan_core::jobs::run_one(&app.services)
        .await
        .unwrap_or(false)
    {}
    assert_eq!(chen.conversation(&chen_contact.id).await.messages.len(), 1);

    // Opening it again is an open, not a second contact; the code counts both.
    assert_eq!(chen.open_code(&code.url).await.id, chen_contact.id);
    let stats = owner.code(&org, &code.id).await;
    assert_eq!((stats.opens, stats.adds), (6, 5));
    let profile = owner.profile(&org, &chen_contact.person_id).await;
    assert!(
        profile.tags.contains(&"门店".to_owned()) && profile.tags.contains(&"poster".to_owned())
    );
    for (path, ctype) in [("svg", "image/svg+xml"), ("png", "image/png")] {
        let r = owner
            .c
            .get(&format!(
                "/api/v1/orgs/{org}/channel-codes/{}/qr/{path}",
                code.id
            ))
            .await;
        assert_eq!((r.status, r.content_type.as_str()), (200, ctype));
    }
    // The backup takes one more; then everyone is at the cap and the next is told so.
    assert_eq!(
        app.user("Zhou").await.open_code(&code.url).await.staff_name,
        "Tea House"
    );
    let late = app.user("Qian").await;
    let r = late.try_open_code(&code.url).await;
    assert_eq!(r.problem(), (409, Some("contact_cap_reached")));
    assert_eq!(owner.try_archive_code(&org, &code.id).await.status, 204);
    assert_eq!(
        late.try_open_code(&code.url).await.problem(),
        (410, Some("code_archived"))
    );
}

async fn stages_follow_what_customers_do(app: TestApp) {
    let (owner, org, alice, _) = shop(&app, "month", 100).await;
    let code = owner
        .create_code(&org, json!({"name": "Flyer", "staff": [alice.id]}))
        .await;
    let chen = app.user("Chen").await;
    let c = chen.open_code(&code.url).await;
    assert_eq!(c.stage, "follower");
    for text in ["有新茶吗？", "想要龙井", "明天来取"] {
        chen.reply(&c.id, text).await;
    }
    let seen = alice.staff_conversation(&org, &c.id).await;
    assert_eq!(seen.contact.stage, "engaged", "three messages in 30 days");
    assert_eq!(seen.messages[0].body, "明天来取");
    let r = alice.try_staff_send(&org, &c.id, "好的，给您留着").await;
    assert_eq!(r.status, 201, "{}", r.text);
    assert_eq!(chen.conversations().await[0].unread, 1);
    chen.leave(&c.id).await;
    let stage = owner
        .persons(&org, "")
        .await
        .items
        .into_iter()
        .find(|p| p.id == c.person_id)
        .map(|p| p.stage);
    assert_eq!(
        stage.as_deref(),
        Some("churned"),
        "the customer deleted the staff member"
    );
    let kinds: Vec<String> = owner
        .events(&org, "")
        .await
        .items
        .into_iter()
        .filter(|e| e.subject == format!("person:{}", c.person_id))
        .map(|e| e.kind)
        .collect();
    for k in ["contact.added", "contact.removed", "person.stage_changed"] {
        assert!(kinds.contains(&k.to_owned()), "{k} in {kinds:?}");
    }
}

/// Four customers of Alice, two tagged vip, and Yu, Alice's then Bob's (so Yu
/// hears from Bob, the latest): (org, owner, alice, bob, yu's account, yu's two
/// contacts).
async fn audience(app: &TestApp) -> (String, User, User, User, User, Vec<String>) {
    let (owner, org, alice, bob) = shop(app, "day", 100).await;
    for (name, vip) in [("V1", true), ("V2", true), ("P3", false)] {
        let p = owner.create_person(&org, name).await.id;
        alice.add_contact(&org, &p, None).await;
        if vip {
            owner.tag(&org, &p, "vip").await;
        }
    }
    let a = owner
        .create_code(&org, json!({"name": "A", "staff": [alice.id]}))
        .await;
    let b = owner
        .create_code(&org, json!({"name": "B", "staff": [bob.id]}))
        .await;
    let yu = app.user("Yu").await;
    let first = yu.open_code(&a.url).await.id;
    app.clock.advance_secs(1);
    let second = yu.open_code(&b.url).await.id;
    (org, owner, alice, bob, yu, vec![first, second])
}

/// A vip campaign and then one to everyone, each preflighted, planned and
/// confirmed: (org, owner, alice, yu, yu's two contacts).
async fn two_campaigns(app: &TestApp) -> (String, User, User, User, Vec<String>) {
    let (org, owner, alice, bob, yu, yu_contacts) = audience(app).await;
    let vip = owner
        .campaign(
            &org,
            "{{name}}，新茶到了 — {{staff}}",
            json!({"tags_any": ["vip"]}),
        )
        .await;
    let pre = owner.preflight(&org, &vip.id).await;
    assert_eq!(
        (pre.counts.recipients, pre.counts.routed, pre.quiet),
        (2, 0, false)
    );
    let sent = owner.send_campaign(&org, &vip.id).await;
    assert_eq!(
        sent.counts, pre.counts,
        "the preflight's numbers are the plan's"
    );
    assert_eq!(sent.status, "confirming");
    assert_eq!(
        owner.try_send_campaign(&org, &vip.id).await.problem(),
        (409, Some("campaign_state"))
    );
    assert_eq!(
        owner.try_confirm(&org, &vip.id).await.problem(),
        (409, Some("campaign_state"))
    );
    assert_eq!(alice.confirm(&org, &vip.id).await, 2);
    assert_eq!(
        alice.try_confirm(&org, &vip.id).await.problem(),
        (409, Some("campaign_state"))
    );
    let done = owner.get_campaign(&org, &vip.id).await;
    assert_eq!((done.status.as_str(), done.delivered), ("sent", 2));

    // Everyone: the vips had Alice's one mass message today; Yu hears from Bob.
    let all = owner.campaign(&org, "Hi {{name}}", json!({})).await;
    let pre = owner.preflight(&org, &all.id).await;
    assert_eq!(
        (
            pre.counts.recipients,
            pre.counts.staff_daily,
            pre.counts.routed
        ),
        (2, 2, 1)
    );
    let sent = owner.send_campaign(&org, &all.id).await;
    assert_eq!(sent.counts, pre.counts);
    let shares: Vec<(String, i64)> = sent
        .shares
        .iter()
        .map(|s| (s.staff_name.clone(), s.recipients))
        .collect();
    assert!(
        shares.contains(&("Alice".into(), 1)) && shares.contains(&("Bob".into(), 1)),
        "{shares:?}"
    );
    bob.confirm(&org, &all.id).await;
    let from_bob = yu.conversation(&yu_contacts[1]).await.messages;
    assert_eq!(from_bob[0].body, "Hi Yu");
    (org, owner, alice, yu, yu_contacts)
}

async fn preflight_is_the_plan_and_budgets_hold(app: TestApp) {
    let (org, owner, alice, yu, yu_contacts) = two_campaigns(&app).await;

    // Yu talks to Alice, so Alice's next message routes to her — but Yu's one touch
    // of the day is spent: over budget until tomorrow.
    app.clock.advance_secs(1);
    yu.reply(&yu_contacts[0], "还有白茶吗").await;
    let alices = owner
        .campaign(&org, "{{name}}", json!({"staff": [alice.id]}))
        .await;
    let pre = owner.preflight(&org, &alices.id).await;
    assert_eq!(
        (
            pre.counts.recipients,
            pre.counts.staff_daily,
            pre.counts.over_budget
        ),
        (0, 3, 1)
    );
    assert!(
        pre.budget_opens > quan_core::Clock::now(app.clock.as_ref()).millis()
            && pre.budget_opens - quan_core::Clock::now(app.clock.as_ref()).millis() <= 86_400_000
    );
    assert_eq!(
        owner.send_campaign(&org, &alices.id).await.counts,
        pre.counts
    );

    // An opt-out wins at once; a new day opens the budget again.
    yu.opt_out(&org, true).await;
    let next = owner.campaign(&org, "{{name}}", json!({})).await;
    assert_eq!(owner.preflight(&org, &next.id).await.counts.opted_out, 1);
    app.clock.advance_secs(86_400);
    let pre = owner.preflight(&org, &next.id).await;
    assert_eq!((pre.counts.recipients, pre.counts.opted_out), (3, 1));
}

async fn concurrent_campaigns_reach_each_customer_once(app: TestApp) {
    let (owner, org, alice, _) = shop(&app, "day", 100).await;
    for i in 0..30 {
        let p = owner.create_person(&org, &format!("C{i}")).await.id;
        alice.add_contact(&org, &p, None).await;
        if i % 2 == 0 {
            owner.tag(&org, &p, "even").await;
        }
    }
    let mut ids = Vec::new();
    for i in 0..8 {
        let seg = if i % 2 == 0 {
            json!({})
        } else {
            json!({"tags_any": ["even"]})
        };
        ids.push(owner.campaign(&org, "{{name}}", seg).await.id);
    }
    let sends = futures::future::join_all(ids.iter().map(|id| owner.send_campaign(&org, id))).await;
    let reached: i64 = sends.iter().map(|c| c.counts.recipients).sum();
    assert_eq!(
        reached, 30,
        "one touch per customer per day, however many send at once"
    );
    for c in &sends {
        let seen = c.counts.recipients + c.counts.staff_daily + c.counts.over_budget;
        let size = if c.segment.tags_any.is_empty() {
            30
        } else {
            15
        };
        assert_eq!(seen, size, "every audience member accounted for");
    }
}

async fn quiet_hours_hold_messages_and_never_drop_them(app: TestApp) {
    let (owner, org, alice, _) = shop(&app, "month", 100).await;
    owner.set_policy(&org, "month", "22:00-08:00", 100).await;
    let code = owner
        .create_code(&org, json!({"name": "Q", "staff": [alice.id]}))
        .await;
    let chen = app.user("Chen").await;
    let c = chen.open_code(&code.url).await;
    // Move to 23:00 in Shanghai (UTC+8).
    let day = 86_400_000;
    let now = quan_core::Clock::now(app.clock.as_ref()).millis();
    let target = (now - now.rem_euclid(day)) + 15 * 3_600_000;
    app.clock
        .advance_secs((if target > now { target } else { target + day } - now) / 1000);
    let camp = owner.campaign(&org, "晚安 {{name}}", json!({})).await;
    let pre = owner.preflight(&org, &camp.id).await;
    assert!(pre.quiet, "23:00 is quiet");
    let wait = pre.send_at - quan_core::Clock::now(app.clock.as_ref()).millis();
    assert!(
        (9 * 3_600_000..9 * 3_600_000 + 1000).contains(&wait),
        "held until 08:00: {wait}"
    );
    owner.send_campaign(&org, &camp.id).await;
    assert_eq!(alice.confirm(&org, &camp.id).await, 1);
    assert!(
        chen.conversation(&c.id).await.messages.is_empty(),
        "not shown at night"
    );
    app.clock.advance_secs(9 * 3600 + 1);
    let msgs = chen.conversation(&c.id).await.messages;
    assert_eq!(msgs.len(), 1, "shown in the morning, not dropped");
    assert_eq!(msgs[0].body, "晚安 Chen");
}

async fn another_org_reaches_nothing(app: TestApp) {
    let (owner, org, alice, _) = shop(&app, "month", 100).await;
    let code = owner
        .create_code(&org, json!({"name": "Mine", "staff": [alice.id]}))
        .await;
    let camp = owner.campaign(&org, "{{name}}", json!({})).await;
    let chen = app.user("Chen").await;
    let c = chen.open_code(&code.url).await;
    let (other, other_org) = app.owner("Rival").await;
    for path in [
        format!("/api/v1/orgs/{org}/contacts"),
        format!("/api/v1/orgs/{org}/channel-codes/{}", code.id),
        format!("/api/v1/orgs/{other_org}/channel-codes/{}", code.id),
        format!("/api/v1/orgs/{other_org}/campaigns/{}", camp.id),
        format!("/api/v1/orgs/{other_org}/contacts/{}/messages", c.id),
        format!("/api/v1/me/conversations/{}", c.id),
    ] {
        assert_eq!(other.c.get(&path).await.status, 404, "{path}");
    }
    let r = other.try_send_campaign(&other_org, &camp.id).await;
    assert_eq!(r.status, 404);
    let r = other.try_remove_contact(&other_org, &c.id).await;
    assert_eq!(r.status, 404);
    assert_eq!(
        owner.contacts(&org, "").await.items.len(),
        1,
        "nothing changed"
    );
}

async fn bad_input_is_refused(app: TestApp) {
    let (owner, org, alice, _) = shop(&app, "month", 100).await;
    let code = owner
        .create_code(&org, json!({"name": "Mine", "staff": [alice.id]}))
        .await;
    let chen = app.user("Chen").await;
    let c = chen.open_code(&code.url).await;
    let other = app.user("Stranger").await;
    for (body, field, code) in [
        (
            json!({"name": "x", "template": "Hi {{nmae}}"}),
            "template",
            "template_unknown_variable",
        ),
        (
            json!({"name": "x", "template": "Hi {{name"}),
            "template",
            "template_unclosed",
        ),
        (
            json!({"name": "x", "template": "ok", "segment": {"stages": ["vip"]}}),
            "stage",
            "invalid_stage",
        ),
    ] {
        let r = owner.try_campaign(&org, body).await;
        assert_eq!(
            (r.field(), r.problem().1),
            ((422, Some(field)), Some(code)),
            "{}",
            r.text
        );
    }
    let r = owner
        .try_campaign(&org, json!({"name": "x", "template": "Hi {{nmae}}"}))
        .await;
    assert!(r.text.contains("position 4"), "{}", r.text);
    for (body, field) in [
        (
            json!({"budget": "year", "quiet_hours": "", "time_zone": "Asia/Shanghai", "contact_cap": 10}),
            "budget",
        ),
        (
            json!({"budget": "day", "quiet_hours": "25:00-01:00", "time_zone": "Asia/Shanghai", "contact_cap": 10}),
            "quiet_hours",
        ),
        (
            json!({"budget": "day", "quiet_hours": "", "time_zone": "Mars/Base", "contact_cap": 10}),
            "time_zone",
        ),
        (
            json!({"budget": "day", "quiet_hours": "", "time_zone": "Asia/Shanghai", "contact_cap": 20_001}),
            "contact_cap",
        ),
    ] {
        assert_eq!(
            owner.try_set_policy(&org, body).await.field(),
            (422, Some(field))
        );
    }
    let r = alice
        .try_set_policy(
            &org,
            json!({"budget": "day", "quiet_hours": "", "time_zone": "UTC", "contact_cap": 9}),
        )
        .await;
    assert_eq!(r.problem(), (403, Some("forbidden")));
    let r = owner
        .try_create_code(&org, json!({"name": "x", "staff": [other.id]}))
        .await;
    assert_eq!(r.problem(), (422, Some("not_staff")));
    let r = owner
        .try_create_code(
            &org,
            json!({"name": "x", "staff": [alice.id], "welcome": "{{who}}"}),
        )
        .await;
    assert_eq!(r.field(), (422, Some("template")));
    assert_eq!(chen.try_reply(&c.id, "").await.field(), (422, Some("body")));
    assert_eq!(
        chen.try_reply(&c.id, &"长".repeat(2_001)).await.field(),
        (422, Some("body"))
    );
    assert_eq!(chen.try_open_code("/r/nope").await.status, 404);
}
