//! A campaign plan that fails part-way is undone: the touches its committed ranges
//! took go back, its recipients go, and the draft can be sent again with the same
//! preflight (the weeks of customers who asked for one message a week included).
//! Driven through the store, as a failure between two ranges leaves it.
//! Both backends.

use quan_core::{PlanWindow, Segment};
use quan_domain::{CampaignId, OrgId, Timestamp};
use quan_testkit::{TestApp, on_both_backends};
use serde_json::json;

on_both_backends!(
    a_failed_plan_gives_its_touches_back,
    a_failed_room_plan_is_undone
);

/// Now, and the window a plan begun now writes against (as the use case builds it).
async fn window_now(app: &TestApp, org: OrgId) -> (Timestamp, PlanWindow) {
    let now = quan_core::Clock::now(app.clock.as_ref());
    let policy = quan_core::reach::policy_now(&app.services, org)
        .await
        .unwrap_or_else(|e| panic!("{e:?}"));
    let w = PlanWindow {
        period: policy.window(now).key,
        limit: policy.window(now).limit,
        day: policy.day_window(now).0,
        own_period: policy.own_window(now).key,
    };
    (now, w)
}

/// The event the use case writes with an undone plan.
fn plan_failed(app: &TestApp, org: OrgId, id: CampaignId) -> quan_core::EventRecord {
    quan_core::events::new_event(
        &app.services,
        org,
        "campaign.plan_failed",
        format!("campaign:{id}"),
        None,
        json!({}),
    )
}

async fn a_failed_plan_gives_its_touches_back(app: TestApp) {
    let (owner, org) = app.owner("Tea House").await;
    owner.set_policy(&org, "day", "", 100).await;
    let code = owner
        .create_code(&org, json!({"name": "Poster", "staff": [owner.id]}))
        .await;
    // Each asked for at most one message a week: their weeks must come back too.
    for i in 0..3 {
        let u = app.user(&format!("C{i}")).await;
        u.open_code(&code.url).await;
        u.set_weekly(&org, true).await;
    }
    let c = owner.campaign(&org, "{{name}}，新品", json!({})).await;
    let before = owner.preflight(&org, &c.id).await;
    assert_eq!(before.counts.recipients, 3);
    // The plan as `send` begins it, one range of two customers committed, then a
    // failure: what the use case does next is `campaign_abort`.
    let store = app.services.store.as_ref();
    let (org_id, id) = (
        org.parse().unwrap_or_else(|e| panic!("{e:?}")),
        c.id.parse().unwrap_or_else(|e| panic!("{e:?}")),
    );
    let (now, w) = window_now(&app, org_id).await;
    assert!(store.campaign_begin(org_id, id, now).await.unwrap_or(false));
    let segment = Segment::default();
    let end = store
        .plan_range(org_id, id, &segment, &w, None, 2)
        .await
        .unwrap_or_else(|e| panic!("{e:?}"));
    assert!(end.is_some(), "a first range of two");
    let spent = owner.preflight(&org, &c.id).await;
    assert_eq!(
        (spent.counts.recipients, spent.counts.staff_daily),
        (1, 2),
        "the range took two touches (the staff member's day, then the budget)"
    );
    let ev = plan_failed(&app, org_id, id);
    assert!(
        store
            .campaign_abort(org_id, id, &w, &ev)
            .await
            .unwrap_or(false)
    );
    assert!(
        !store
            .campaign_abort(org_id, id, &w, &ev)
            .await
            .unwrap_or(true),
        "once"
    );
    // Back to a draft with the budgets as they were: the same preflight, and a send.
    let after = owner.preflight(&org, &c.id).await;
    assert_eq!(after.counts, before.counts);
    let sent = owner.send_campaign(&org, &c.id).await;
    assert_eq!(sent.counts.recipients, 3);
}

/// A room campaign's plan committed, then a failure before it was marked planned:
/// its rooms' outcomes and its author's share go, and it can be sent again.
async fn a_failed_room_plan_is_undone(app: TestApp) {
    let (owner, org) = app.owner("Tea House").await;
    owner.set_policy(&org, "month", "", 100).await;
    let circle = owner
        .circle(&org, json!({"name": "茶友会", "mode": "community"}))
        .await;
    let room = owner.rooms(&circle).await[0].id.clone();
    let c = owner.room_campaign(&org, "周六品茶会", &[&room]).await;
    let store = app.services.store.as_ref();
    let (org_id, id, room_id, author) = (
        org.parse().unwrap_or_else(|e| panic!("{e:?}")),
        c.id.parse().unwrap_or_else(|e| panic!("{e:?}")),
        room.parse().unwrap_or_else(|e| panic!("{e:?}")),
        owner.id.parse().unwrap_or_else(|e| panic!("{e:?}")),
    );
    let (now, w) = window_now(&app, org_id).await;
    assert!(store.campaign_begin(org_id, id, now).await.unwrap_or(false));
    let planned = store
        .plan_rooms(org_id, id, author, &[room_id], &w.day)
        .await
        .unwrap_or_else(|e| panic!("{e:?}"));
    assert_eq!(planned.recipients, 1);
    let ev = plan_failed(&app, org_id, id);
    assert!(
        store
            .campaign_abort(org_id, id, &w, &ev)
            .await
            .unwrap_or(false)
    );
    let again = owner.send_campaign(&org, &c.id).await;
    assert_eq!((again.counts.recipients, again.shares.len()), (1, 1));
    assert_eq!(owner.confirm(&org, &c.id).await, 1);
}
