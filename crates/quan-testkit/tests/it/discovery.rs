//! Discovery: quality scores from activity, the staff review gate, the public boost
//! log, and what is never listed. Both backends.

use quan_testkit::{TestApp, User, on_both_backends};
use serde_json::json;

on_both_backends!(
    discovery_scores_reviews_and_logs,
    boosts_are_decided_by_the_org_and_logged
);

/// Org `Dis` with two public circles, Busy (six posts, each commented) and Quiet
/// (one post), and an internal one, scored: (owner, org, busy, quiet, staff).
async fn scored(app: &TestApp) -> (User, String, String, String, String) {
    let (owner, org) = app.owner("Dis").await;
    let mut ids = Vec::new();
    for (name, mode) in [
        ("Busy", "community"),
        ("Quiet", "community"),
        ("Staff only", "internal"),
    ] {
        ids.push(
            owner
                .circle(&org, json!({"name": name, "mode": mode}))
                .await,
        );
    }
    let [busy, quiet, staff] = <[String; 3]>::try_from(ids).unwrap_or_else(|_| panic!("three"));
    for i in 0..6 {
        let p = owner
            .post(&busy, json!({"title": format!("p{i}")}))
            .await
            .id;
        owner.comment(&busy, &p, "nice", None).await;
    }
    owner.post(&quiet, json!({"title": "hello"})).await;
    let n = quan_core::discovery::recompute(&app.services)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(n, 2, "public circles only are scored");
    (owner, org, busy, quiet, staff)
}

async fn discovery_scores_reviews_and_logs(app: TestApp) {
    let (owner, _, busy, quiet, staff) = scored(&app).await;
    let visitor = app.user("Vis").await;
    assert_eq!(visitor.listed().await, ["Busy", "Quiet"], "by quality");
    assert!(owner.get_circle(&busy).await.quality_score > 0.0);
    assert!(!visitor.listed().await.contains(&"Staff only".to_owned()));

    // The review gate: a circle admin asks, the org's admins decide.
    let r = visitor.try_boost_request(&quiet, json!({})).await;
    assert_eq!(r.status, 403, "members do not ask for boosts");
    let r = owner.try_boost_request(&staff, json!({})).await;
    assert_eq!(r.status, 422, "internal circles are never boosted");
    let r = owner
        .try_boost_request(&quiet, json!({"reason": "新品季 new season"}))
        .await;
    assert_eq!(r.status, 204, "{}", r.text);
    let again = owner.try_boost_request(&quiet, json!({})).await;
    assert_eq!(
        again.problem(),
        (409, Some("boost_conflict")),
        "{}",
        again.text
    );
}

async fn boosts_are_decided_by_the_org_and_logged(app: TestApp) {
    let (owner, org, _, quiet, _) = scored(&app).await;
    let visitor = app.user("Vis").await;
    owner
        .try_boost_request(&quiet, json!({"reason": "新品季"}))
        .await;
    let (other, other_org) = app.owner("Oth").await;
    let r = other.try_boost(&other_org, &quiet, "approved", "").await;
    assert_eq!(r.status, 404, "another org cannot decide");
    owner.boost(&org, &quiet, "approved", "good content").await;
    assert_eq!(visitor.listed().await, ["Quiet", "Busy"], "boosted first");
    owner.boost(&org, &quiet, "none", "season over").await;
    assert_eq!(visitor.listed().await, ["Busy", "Quiet"]);
    let r = owner.try_boost(&org, &quiet, "maybe", "").await;
    assert_eq!(r.field(), (422, Some("boost_status")));

    let log = visitor.boost_log().await;
    let actions: Vec<&str> = log.iter().map(|l| l.action.as_str()).collect();
    assert_eq!(actions, ["withdrawn", "approved", "requested"]);
    assert_eq!(log[1].reason, "good content");
}
