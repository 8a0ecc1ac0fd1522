//! Notifications: who is told of what, audiences honoured, settings, read marks,
//! and the live push on the account's WebSocket topic. Both backends.

use crate::ws::{connect, next, send};
use quan_testkit::{TestApp, User, on_both_backends};
use serde_json::json;

on_both_backends!(
    notifications_reach_the_right_people_live,
    mentions_and_settings_decide_who_hears,
    moderation_and_approvals_tell_the_person_concerned,
    concurrent_identical_reactions_tell_the_author_once
);

/// A community circle of org `Ada` that Ben and Dee joined: (ada, org, circle, ben, dee).
async fn club(app: &TestApp) -> (User, String, String, User, User) {
    let (a, org) = app.owner("Ada").await;
    let c = a
        .circle(&org, json!({"name": "Club", "mode": "community"}))
        .await;
    let (b, d) = (app.user("Ben").await, app.user("Dee").await);
    b.join(&c).await;
    d.join(&c).await;
    (a, org, c, b, d)
}

async fn notifications_reach_the_right_people_live(app: TestApp) {
    let (a, org, c, b, _) = club(&app).await;
    // A listens on their own account topic, and on no one else's.
    let secret = a.token(&org, "ws", &["read"]).await.secret;
    let mut ws = connect(&app.base, &secret).await;
    let topic = |id: &str| json!({"type": "subscribe", "topic": format!("account:{id}")});
    send(&mut ws, topic(&a.id)).await;
    assert_eq!(next(&mut ws).await["type"], "subscribed");
    send(&mut ws, topic(&b.id)).await;
    assert_eq!(
        next(&mut ws).await["type"],
        "error",
        "nobody listens to another's"
    );

    let p = a.post(&c, json!({"title": "茶会 Tea party"})).await.id;
    let own = a.comment(&c, &p, "details soon", None).await.id;
    assert_eq!(
        a.notified().await,
        (vec![], 0),
        "no one is told of their own acts"
    );
    // B replies to A's comment: A hears once (post author and comment author agree).
    b.comment(&c, &p, "我来 I'm in", Some(&own)).await;
    let live = next(&mut ws).await;
    assert_eq!(live["data"]["notification"]["kind"], "reply", "{live}");
    assert_eq!(live["data"]["notification"]["actor"], "Ben");
    // B likes it twice over: one notification.
    b.react(&c, &p, "like").await;
    b.react(&c, &p, "like").await;
    assert_eq!(
        a.notified().await,
        (vec!["reaction".into(), "reply".into()], 2)
    );
}

async fn mentions_and_settings_decide_who_hears(app: TestApp) {
    let (a, _, c, _, d) = club(&app).await;
    // Mentions reach those who may see the post, and only them.
    let vip = json!({"title": "VIP night", "body": "@Dee @Ben see you", "audience": "only", "audience_tags": ["vip"]});
    a.post(&c, vip).await;
    assert_eq!(
        d.notified().await.0,
        Vec::<String>::new(),
        "Dee cannot see it: not told"
    );
    a.post(&c, json!({"title": "Open night", "body": "@Dee welcome"}))
        .await;
    assert_eq!(d.notified().await, (vec!["mention".into()], 1));

    // Settings: A turns reactions off; D's like then says nothing.
    a.notify_setting("reaction", false).await;
    let p = a.post(&c, json!({"title": "Quiet"})).await.id;
    d.react(&c, &p, "like").await;
    assert_eq!(a.notified().await.1, 0);
    let settings = a.notify_settings().await;
    assert!(settings.iter().any(|x| x.kind == "reaction" && !x.on));
    let r = a.try_notify_setting("gossip", false).await;
    assert_eq!(r.field(), (422, Some("kind")));
}

async fn moderation_and_approvals_tell_the_person_concerned(app: TestApp) {
    let (a, org, c, b, d) = club(&app).await;
    let spam = d.post(&c, json!({"title": "ads"})).await.id;
    a.report(&c, &spam, "spam").await;
    assert!(d.notified().await.0.contains(&"moderation".to_owned()));
    let biz = a
        .circle(
            &org,
            json!({"name": "Biz", "mode": "business", "public": true}),
        )
        .await;
    b.join(&biz).await;
    a.approve(&biz, &b.id).await;
    assert!(b.notified().await.0.contains(&"approval".to_owned()));

    // Read marks.
    let p = a.post(&c, json!({"title": "Tea"})).await.id;
    b.comment(&c, &p, "one", None).await;
    d.comment(&c, &p, "two", None).await;
    assert_eq!(a.mark_notified(None).await.marked, 2);
    assert_eq!(a.notified().await.1, 0);
    let r = a.try_mark_notified(Some("nope")).await;
    assert_eq!(r.problem(), (400, Some("invalid_id")));
}

/// Twelve identical likes at once: the score moves once and the author hears once.
async fn concurrent_identical_reactions_tell_the_author_once(app: TestApp) {
    let (author, org) = app.owner("Ola").await;
    let c = author
        .circle(&org, json!({"name": "Likes", "mode": "community"}))
        .await;
    let fan = app.user("Fay").await;
    fan.join(&c).await;
    let pid = author
        .post(
            &c,
            json!({"kind": "topic", "title": "Like me", "body": "once"}),
        )
        .await
        .id;
    let path = format!("/api/v1/circles/{c}/posts/{pid}/reactions/like");
    let calls = (0..12).map(|_| fan.c.put(&path, json!({})));
    let results = futures::future::join_all(calls).await;
    for r in &results {
        assert_eq!(r.status, 200, "{}", r.text);
        assert_eq!(r.body["score"].as_i64(), Some(1), "scored once: {}", r.text);
    }
    let (k, _) = author.notified().await;
    assert_eq!(
        k.iter().filter(|k| k.as_str() == "reaction").count(),
        1,
        "told once: {k:?}"
    );
}
