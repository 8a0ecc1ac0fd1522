//! Negative feedback: a deletion or an opt-out within 48 h of a campaign message
//! counts against that campaign and its staff member; negatives in a campaign's
//! first hour at the org's threshold (2 % by default) pause it — its remaining shares
//! are refused — and tell whoever composed it. Both backends.

use quan_testkit::{TestApp, User, on_both_backends};
use serde_json::json;

on_both_backends!(
    negatives_in_the_first_hour_pause_a_campaign,
    late_negatives_count_but_do_not_pause
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
