//! Discovery: quality scores from activity, the staff review gate, the public boost
//! log, and what is never listed. Both backends.

use quan_testkit::{TestApp, User, on_both_backends};
use serde_json::json;

on_both_backends!(discovery_scores_reviews_and_logs);

async fn listed(u: &User) -> Vec<String> {
    let r = u.c.get("/api/v1/discover").await;
    assert_eq!(r.status, 200, "{}", r.text);
    r.body
        .as_array()
        .into_iter()
        .flatten()
        .map(|c| c["name"].as_str().unwrap_or_default().to_owned())
        .collect()
}

async fn discovery_scores_reviews_and_logs(app: TestApp) {
    let (owner, org) = app.owner("Dis").await;
    let busy = owner
        .circle(&org, json!({"name": "Busy", "mode": "community"}))
        .await;
    let quiet = owner
        .circle(&org, json!({"name": "Quiet", "mode": "community"}))
        .await;
    let staff = owner
        .circle(&org, json!({"name": "Staff only", "mode": "internal"}))
        .await;
    for i in 0..6 {
        let p = owner
            .c
            .post(
                &format!("/api/v1/circles/{busy}/posts"),
                json!({"title": format!("p{i}")}),
            )
            .await;
        let pid = p.body["id"].as_str().unwrap_or_default().to_owned();
        owner
            .c
            .post(
                &format!("/api/v1/circles/{busy}/posts/{pid}/comments"),
                json!({"body": "nice"}),
            )
            .await;
    }
    owner
        .c
        .post(
            &format!("/api/v1/circles/{quiet}/posts"),
            json!({"title": "hello"}),
        )
        .await;
    let n = quan_core::discovery::recompute(&app.services)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(n, 2, "public circles only are scored");
    let visitor = app.user("Vis").await;
    assert_eq!(listed(&visitor).await, ["Busy", "Quiet"], "by quality");
    let c = owner.c.get(&format!("/api/v1/circles/{busy}")).await;
    assert!(c.body["quality_score"].as_f64().unwrap_or(0.0) > 0.0);

    // The review gate: a circle admin asks, the org's admins decide.
    let r = visitor
        .c
        .post(&format!("/api/v1/circles/{quiet}/boost-request"), json!({}))
        .await;
    assert_eq!(r.status, 403, "members do not ask for boosts");
    let r = owner
        .c
        .post(&format!("/api/v1/circles/{staff}/boost-request"), json!({}))
        .await;
    assert_eq!(r.status, 422, "internal circles are never boosted");
    let r = owner
        .c
        .post(
            &format!("/api/v1/circles/{quiet}/boost-request"),
            json!({"reason": "新品季 new season"}),
        )
        .await;
    assert_eq!(r.status, 204, "{}", r.text);
    let again = owner
        .c
        .post(&format!("/api/v1/circles/{quiet}/boost-request"), json!({}))
        .await;
    assert_eq!(
        (again.status, again.body["code"].as_str()),
        (409, Some("boost_conflict")),
        "{}",
        again.text
    );
    let (other, other_org) = app.owner("Oth").await;
    let r = other
        .c
        .post(
            &format!("/api/v1/orgs/{other_org}/boosts/{quiet}"),
            json!({"decision": "approved"}),
        )
        .await;
    assert_eq!(r.status, 404, "another org cannot decide");
    let r = owner
        .c
        .post(
            &format!("/api/v1/orgs/{org}/boosts/{quiet}"),
            json!({"decision": "approved", "reason": "good content"}),
        )
        .await;
    assert_eq!(r.status, 204, "{}", r.text);
    assert_eq!(listed(&visitor).await, ["Quiet", "Busy"], "boosted first");
    let r = owner
        .c
        .post(
            &format!("/api/v1/orgs/{org}/boosts/{quiet}"),
            json!({"decision": "none", "reason": "season over"}),
        )
        .await;
    assert_eq!(r.status, 204);
    assert_eq!(listed(&visitor).await, ["Busy", "Quiet"]);
    let r = owner
        .c
        .post(
            &format!("/api/v1/orgs/{org}/boosts/{quiet}"),
            json!({"decision": "maybe"}),
        )
        .await;
    assert_eq!(
        (r.status, r.body["field"].as_str()),
        (422, Some("boost_status"))
    );

    let log = visitor.c.get("/api/v1/discover/log").await;
    let actions: Vec<&str> = log
        .body
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|l| l["action"].as_str())
        .collect();
    assert_eq!(actions, ["withdrawn", "approved", "requested"]);
    assert_eq!(log.body[1]["reason"], "good content");
    assert!(!listed(&visitor).await.contains(&"Staff only".to_owned()));
}
