//! Negative feedback: a deletion or an opt-out within 48 h of a campaign message
//! (or of a moment the customer's feed showed, when that came later) counts against
//! that campaign (moment) and its staff member; negatives in a campaign's
//! first hour at the org's threshold (2 % by default) pause it — its remaining shares
//! are refused — and tell whoever composed it. Both backends.

use quan_testkit::{TestApp, User, on_both_backends};
use serde_json::json;

on_both_backends!(
    negatives_in_the_first_hour_pause_a_campaign,
    late_negatives_count_but_do_not_pause,
    a_moment_takes_the_blame_when_it_was_shown_last
);

/// Ten customers through a code over Alice and Bob (five each), a campaign to all
/// of them planned: (owner, org, alice, bob, customers with their contact ids,
/// campaign id).
async fn planned(app: &TestApp) -> (User, String, User, User, Vec<(User, String)>, String) {
    let (owner, org) = app.owner("Tea House").await;
    let (alice, bob) = (app.user("Alice").await, app.user("Bob").await);
    app.join(&owner, &org, &alice, "sales").await;
    app.join(&owner, &org, &bob, "sales").await;
    owner.set_policy(&org, "month", "", 100).await;
    let code = owner
        .create_code(&org, json!({"name": "Poster", "staff": [alice.id, bob.id]}))
        .await;
    let mut customers = Vec::new();
    for i in 0..10 {
        let u = app.user(&format!("C{i}")).await;
        let c = u.open_code(&code.url).await.id;
        customers.push((u, c));
    }
    let camp = owner
        .campaign(&org, "{{name}}，新品到了", json!({}))
        .await
        .id;
    owner.send_campaign(&org, &camp).await;
    (owner, org, alice, bob, customers, camp)
}

async fn negatives_in_the_first_hour_pause_a_campaign(app: TestApp) {
    let (owner, org, alice, bob, customers, camp) = planned(&app).await;
    assert_eq!(alice.confirm(&org, &camp).await, 5);
    app.clock.advance_secs(600);
    // One of Alice's five deletes her ten minutes in: 20 % ≥ 2 %.
    let (u, c) = &customers[0];
    assert_eq!(
        u.conversations().await[0].staff_name,
        "Alice",
        "turns start with Alice"
    );
    u.leave(c).await;
    let done = owner.get_campaign(&org, &camp).await;
    assert_eq!(
        (done.status.as_str(), done.negatives, done.delivered),
        ("paused", 1, 5)
    );
    let r = bob.try_confirm(&org, &camp).await;
    assert_eq!(
        r.problem(),
        (409, Some("campaign_state")),
        "no more shares go out"
    );
    assert!(owner.notified().await.0.contains(&"campaign".to_owned()));
    let loads = owner.loads(&org).await;
    let a = loads.staff.iter().find(|s| s.staff_id == alice.id);
    assert_eq!(a.map(|s| (s.delivered, s.negatives)), Some((5, 1)));
    let kinds: Vec<String> = owner
        .events(&org, "")
        .await
        .items
        .into_iter()
        .map(|e| e.kind)
        .collect();
    assert!(kinds.contains(&"campaign.paused".to_owned()));
}

async fn late_negatives_count_but_do_not_pause(app: TestApp) {
    let (owner, org, alice, bob, customers, camp) = planned(&app).await;
    alice.confirm(&org, &camp).await;
    bob.confirm(&org, &camp).await;
    app.clock.advance_secs(2 * 3600);
    for (u, _) in &customers[..2] {
        u.opt_out(&org, true).await;
    }
    let done = owner.get_campaign(&org, &camp).await;
    assert_eq!(
        (done.status.as_str(), done.negatives),
        ("sent", 2),
        "after the first hour: counted, not paused"
    );
    app.clock.advance_secs(48 * 3600);
    let (u, c) = &customers[5];
    u.leave(c).await;
    assert_eq!(
        owner.get_campaign(&org, &camp).await.negatives,
        2,
        "48 h on, it is not the campaign's"
    );
}

async fn a_moment_takes_the_blame_when_it_was_shown_last(app: TestApp) {
    let (owner, org, alice, bob, customers, camp) = planned(&app).await;
    alice.confirm(&org, &camp).await;
    bob.confirm(&org, &camp).await;
    let mut alices = Vec::new();
    for (u, c) in &customers {
        if u.conversations().await[0].staff_name == "Alice" {
            alices.push((u, c));
        }
    }
    assert_eq!(alices.len(), 5);
    // One of Alice's customers is Bob's too.
    let bobs = owner
        .create_code(&org, json!({"name": "Bob", "staff": [bob.id]}))
        .await;
    alices[1].0.open_code(&bobs.url).await;
    app.clock.advance_secs(2 * 3600);
    let tea = alice.post_moment(&org, "冬季新品到店", &[]).await.id;
    let class = bob.post_moment(&org, "周末茶艺课", &[]).await.id;
    // Everyone reads their feed after the campaign: shown is reached, once.
    for (u, _) in &customers {
        u.moment_feed().await;
    }
    alices[0].0.moment_feed().await;
    let reach =
        |m: quan_web::api::reach::moments::MomentDetailDto| (m.moment.views, m.moment.negatives);
    assert_eq!(reach(alice.moment(&org, &tea).await), (5, 0));
    assert_eq!(reach(bob.moment(&org, &class).await), (6, 0));
    // Deleting Alice: her moment came after the campaign and takes the blame.
    alices[0].0.leave(alices[0].1).await;
    assert_eq!(reach(alice.moment(&org, &tea).await), (5, 1));
    assert_eq!(owner.get_campaign(&org, &camp).await.negatives, 0);
    let loads = owner.loads(&org).await;
    let a = loads.staff.iter().find(|s| s.staff_id == alice.id);
    assert_eq!(
        a.map(|s| (s.delivered, s.negatives)),
        Some((10, 1)),
        "5 campaign messages and 5 customers reached"
    );
    // Bob's moment, shown with Alice's, is not blamed for a deletion of Alice.
    alices[1].0.leave(alices[1].1).await;
    assert_eq!(reach(alice.moment(&org, &tea).await), (5, 2));
    assert_eq!(reach(bob.moment(&org, &class).await), (6, 0));
    // Turning moments off blames the moment; campaigns off next, the campaign.
    let u = alices[2].0;
    u.set_topics(&org, true, true, false).await;
    u.set_topics(&org, false, true, false).await;
    assert_eq!(reach(alice.moment(&org, &tea).await), (5, 3));
    assert_eq!(owner.get_campaign(&org, &camp).await.negatives, 1);
    // 48 h on, the moment is not to blame any more.
    app.clock.advance_secs(48 * 3600 + 60);
    alices[3].0.leave(alices[3].1).await;
    assert_eq!(reach(alice.moment(&org, &tea).await), (5, 3));
}
