//! Auto-reply: keyword and regex rules answer customers for their staff member; a
//! hand-off answers, tells the staff member and pauses auto-replies for two hours;
//! outside business hours the away message goes out once a day; the preview tries a
//! message without sending; bad patterns are refused with the reason. Both backends.

use quan_testkit::{TestApp, User, on_both_backends};
use serde_json::json;

on_both_backends!(rules_answer_and_hand_off, away_messages_and_bad_rules);

/// An org whose code gives customers to Alice, with two rules; and Chen, a customer:
/// (owner, org, alice, chen, chen's contact).
async fn desk(app: &TestApp) -> (User, String, User, User, String) {
    let (owner, org) = app.owner("Tea House").await;
    let alice = app.user("Alice").await;
    app.join(&owner, &org, &alice, "sales").await;
    owner
        .auto_rule(
            &org,
            "keyword",
            "营业时间",
            "answer",
            "{{name}}，我们每天 9:00–21:00 营业",
        )
        .await;
    owner
        .auto_rule(
            &org,
            "regex",
            "(退|换)货",
            "handoff",
            "正在为您转接{{staff}}，请稍候",
        )
        .await;
    let code = owner
        .create_code(&org, json!({"name": "Desk", "staff": [alice.id]}))
        .await;
    let chen = app.user("Chen").await;
    let c = chen.open_code(&code.url).await.id;
    (owner, org, alice, chen, c)
}

async fn rules_answer_and_hand_off(app: TestApp) {
    let (owner, org, alice, chen, c) = desk(&app).await;
    let p = owner.auto_preview(&org, "请问营业时间？").await;
    assert_eq!(p.answer.as_deref(), Some("Mei，我们每天 9:00–21:00 营业"));
    assert!(owner.auto_preview(&org, "hello").await.rule.is_none());

    chen.reply(&c, "你们营业时间是几点").await;
    let msgs = chen.conversation(&c).await.messages;
    assert_eq!((msgs[0].kind.as_str(), msgs[0].from_staff), ("auto", true));
    assert_eq!(msgs[0].body, "Chen，我们每天 9:00–21:00 营业");

    chen.reply(&c, "我要退货").await;
    let msgs = chen.conversation(&c).await.messages;
    assert_eq!(msgs[0].body, "正在为您转接Alice，请稍候");
    assert!(alice.notified().await.0.contains(&"handoff".to_owned()));
    // Handed to a person: the rules wait two hours.
    chen.reply(&c, "营业时间？").await;
    assert_eq!(chen.conversation(&c).await.messages[0].body, "营业时间？");
    app.clock.advance_secs(2 * 3600 + 1);
    chen.reply(&c, "营业时间？").await;
    assert_eq!(chen.conversation(&c).await.messages[0].kind, "auto");
}

async fn away_messages_and_bad_rules(app: TestApp) {
    let (owner, org, _, chen, c) = desk(&app).await;
    // Business hours that are two hours from now (Shanghai, UTC+8): closed now.
    let now = quan_core::Clock::now(app.clock.as_ref()).millis();
    let minute = ((now / 60_000) + 8 * 60 + 120).rem_euclid(24 * 60);
    let hours = format!(
        "{:02}:{:02}-{:02}:{:02}",
        minute / 60,
        minute % 60,
        (minute / 60 + 1) % 24,
        minute % 60
    );
    let r = owner
        .auto_settings(&org, &hours, "{{name}}，现在是休息时间，我们上班后回复您")
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    chen.reply(&c, "在吗").await;
    chen.reply(&c, "有人吗").await;
    let msgs = chen.conversation(&c).await.messages;
    let away: Vec<&str> = msgs
        .iter()
        .filter(|m| m.kind == "auto")
        .map(|m| m.body.as_str())
        .collect();
    assert_eq!(
        away,
        ["Chen，现在是休息时间，我们上班后回复您"],
        "once a day"
    );

    for (body, field, code) in [
        (
            json!({"name": "x", "kind": "regex", "pattern": "(oops", "answer": "a"}),
            "pattern",
            "invalid_regex",
        ),
        (
            json!({"name": "x", "kind": "glob", "pattern": "x", "answer": "a"}),
            "kind",
            "invalid_rule_kind",
        ),
        (
            json!({"name": "x", "kind": "keyword", "pattern": "x", "action": "ban", "answer": "a"}),
            "action",
            "invalid_rule_action",
        ),
        (
            json!({"name": "x", "kind": "keyword", "pattern": "x", "answer": "{{who}}"}),
            "template",
            "template_unknown_variable",
        ),
    ] {
        let r = owner.try_auto_rule(&org, body).await;
        assert_eq!(
            (r.field(), r.problem().1),
            ((422, Some(field)), Some(code)),
            "{}",
            r.text
        );
    }
    assert_eq!(
        owner.auto_settings(&org, "9-5", "").await.field(),
        (422, Some("business_hours"))
    );
}
