//! Leaders and pickup points: a buyer is matched to the nearest point whose own
//! radius covers them and that someone serves (the leader, or their stand-in while
//! they are offline), and may pick another in range, nearest first; a change is
//! seen by the next question; bad set-ups are refused by their codes; nothing
//! crosses orgs. Both backends; the two-node index is in `cluster.rs`.

use quan_testkit::calls::local::leader_body;
use quan_testkit::{TestApp, User, on_both_backends};
use serde_json::{Value, json};

on_both_backends!(
    a_buyer_is_matched_to_the_nearest_point_that_covers_them,
    an_offline_point_is_offered_only_while_its_stand_in_serves,
    a_moved_or_retired_point_is_seen_by_the_next_question,
    bad_leaders_and_places_are_refused_by_their_codes,
    leaders_cross_no_org,
    a_leader_account_is_the_orgs_staff_and_only_managers_set_leaders_up,
    the_console_lists_leaders_by_keyset
);

/// The buyer, by West Lake's Broken Bridge (断桥).
const BUYER: (f64, f64) = (30.2610, 120.1530);

/// Points around the buyer: (name, where, radius). Distances from the buyer are
/// about 0.8 km, 1.5 km, 2.6 km and 6.1 km.
const POINTS: [(&str, (f64, f64), i64); 4] = [
    ("近而小", (30.2682, 120.1530), 500),
    ("北山", (30.2745, 120.1530), 3_000),
    ("武林", (30.2844, 120.1530), 3_000),
    ("城东", (30.2610, 120.2165), 5_000),
];

async fn shop_with_points(app: &TestApp) -> (User, String, Vec<String>) {
    let (owner, org) = app.owner("Hangzhou Greens").await;
    let mut ids = Vec::new();
    for (name, at, radius) in POINTS {
        ids.push(
            owner
                .create_leader(&org, leader_body(name, at, radius))
                .await
                .id,
        );
    }
    (owner, org, ids)
}

async fn a_buyer_is_matched_to_the_nearest_point_that_covers_them(app: TestApp) {
    let (_owner, org, ids) = shop_with_points(&app).await;
    let buyer = app.user("Buyer").await;
    let points = buyer.pickup_points(&org, BUYER).await;
    let got: Vec<&str> = points.iter().map(|p| p.leader_id.as_str()).collect();
    // The nearest point serves only 500 m, the farthest is 6 km away.
    assert_eq!(got, vec![ids[1].as_str(), ids[2].as_str()], "{points:?}");
    assert!(
        (1_450..1_560).contains(&points[0].distance_m),
        "{:?}",
        points[0]
    );
    assert!(
        (2_520..2_640).contains(&points[1].distance_m),
        "{:?}",
        points[1]
    );
    assert_eq!(points[0].served_by, "北山");
    assert_eq!(points[0].point_name, "北山自提点");
    let r = buyer.try_nearest_pickup(&org, BUYER).await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.body["leader_id"], ids[1].as_str());
    // Standing at the small point, it covers; far out in the lake, nothing does.
    let at_small = buyer.pickup_points(&org, POINTS[0].1).await;
    assert_eq!(at_small[0].leader_id, ids[0]);
    assert_eq!(at_small[0].distance_m, 0);
    let r = buyer.try_nearest_pickup(&org, (30.0, 120.0)).await;
    assert_eq!(r.problem(), (404, Some("no_pickup_point")), "{}", r.text);
    assert!(buyer.pickup_points(&org, (30.0, 120.0)).await.is_empty());
}

/// `leader_body` for point `i` of [`POINTS`] with `changes` on top.
fn body_with(i: usize, changes: Value) -> Value {
    let (name, at, radius) = POINTS[i];
    let mut b = leader_body(name, at, radius);
    if let (Some(b), Some(c)) = (b.as_object_mut(), changes.as_object()) {
        for (k, v) in c {
            b.insert(k.clone(), v.clone());
        }
    }
    b
}

async fn an_offline_point_is_offered_only_while_its_stand_in_serves(app: TestApp) {
    let (owner, org, ids) = shop_with_points(&app).await;
    let buyer = app.user("Buyer").await;
    owner
        .update_leader(&org, &ids[1], body_with(1, json!({"online": false})))
        .await;
    let points = buyer.pickup_points(&org, BUYER).await;
    assert_eq!(points.len(), 1, "no one serves 北山: {points:?}");
    assert_eq!(points[0].leader_id, ids[2]);
    owner
        .update_leader(
            &org,
            &ids[1],
            body_with(1, json!({"online": false, "stand_in": ids[2]})),
        )
        .await;
    let points = buyer.pickup_points(&org, BUYER).await;
    assert_eq!(points[0].leader_id, ids[1], "{points:?}");
    assert_eq!(
        points[0].served_by, "武林",
        "the stand-in hands orders over"
    );
    // The stand-in going offline too takes both points off.
    owner
        .update_leader(&org, &ids[2], body_with(2, json!({"online": false})))
        .await;
    assert!(buyer.pickup_points(&org, BUYER).await.is_empty());
    // Back online, then retired (still ticked online): it stands in for no one.
    owner
        .update_leader(&org, &ids[2], body_with(2, json!({})))
        .await;
    assert_eq!(buyer.pickup_points(&org, BUYER).await.len(), 2);
    owner
        .update_leader(&org, &ids[2], body_with(2, json!({"active": false})))
        .await;
    assert!(buyer.pickup_points(&org, BUYER).await.is_empty());
    let r = buyer.try_nearest_pickup(&org, BUYER).await;
    assert_eq!(r.problem(), (404, Some("no_pickup_point")), "{}", r.text);
    // 北山's other changes are not refused for the stand-in it keeps, retired now;
    // naming a retired one afresh is.
    let kept = json!({"online": false, "stand_in": ids[2], "hours": "周末 9:00–12:00"});
    owner.update_leader(&org, &ids[1], body_with(1, kept)).await;
    let r = owner
        .try_update_leader(&org, &ids[0], body_with(0, json!({"stand_in": ids[2]})))
        .await;
    assert_eq!(r.problem(), (422, Some("invalid_stand_in")), "{}", r.text);
    // The console says no one serves it.
    let page = owner.c.get(&format!("/console/{org}/shop/leaders")).await;
    assert!(page.text.contains("no one serves it"), "{}", page.text);
}

async fn a_moved_or_retired_point_is_seen_by_the_next_question(app: TestApp) {
    let (owner, org, ids) = shop_with_points(&app).await;
    let buyer = app.user("Buyer").await;
    // 武林 moves next to the buyer; 北山 retires.
    let moved = owner
        .update_leader(
            &org,
            &ids[2],
            body_with(2, json!({"lat": 30.2615, "lon": 120.1530})),
        )
        .await;
    assert!((moved.lat - 30.2615).abs() < 1e-9);
    owner
        .update_leader(&org, &ids[1], body_with(1, json!({"active": false})))
        .await;
    let points = buyer.pickup_points(&org, BUYER).await;
    let got: Vec<&str> = points.iter().map(|p| p.leader_id.as_str()).collect();
    assert_eq!(got, vec![ids[2].as_str()]);
    assert!(points[0].distance_m < 60, "{:?}", points[0]);
    // The small point widens to 2 km and covers the buyer from 0.8 km.
    owner
        .update_leader(&org, &ids[0], body_with(0, json!({"radius_m": 2_000})))
        .await;
    let got: Vec<String> = buyer
        .pickup_points(&org, BUYER)
        .await
        .into_iter()
        .map(|p| p.leader_id)
        .collect();
    assert_eq!(got, vec![ids[2].clone(), ids[0].clone()]);
    // A retired leader stays in the console's list.
    let listed = owner.org_leaders(&org, "").await;
    assert!(listed.items.iter().any(|l| l.id == ids[1] && !l.active));
}

async fn bad_leaders_and_places_are_refused_by_their_codes(app: TestApp) {
    let (owner, org, ids) = shop_with_points(&app).await;
    for (changes, code) in [
        (json!({"radius_m": 5_001}), "radius_too_large"),
        (json!({"radius_m": 50}), "invalid_radius"),
        (json!({"lat": 91.0}), "invalid_coordinates"),
        (json!({"lon": -180.5}), "invalid_coordinates"),
        (json!({"kind": "castle"}), "invalid_pickup_kind"),
        (json!({"commission_bp": 9_999}), "invalid_commission"),
        (json!({"capacity": 0}), "invalid_capacity"),
        (json!({"name": "  "}), "required"),
        (json!({"address": "路".repeat(201)}), "too_long"),
        (json!({"stand_in": ids[0]}), "invalid_stand_in"),
        (
            json!({"stand_in": "0190a0a0-0000-7000-8000-000000000000"}),
            "invalid_stand_in",
        ),
    ] {
        let r = owner
            .try_update_leader(&org, &ids[0], body_with(0, changes.clone()))
            .await;
        assert_eq!(r.problem(), (422, Some(code)), "{changes}: {}", r.text);
    }
    let r = owner
        .try_update_leader(&org, &ids[0], body_with(0, json!({"stand_in": "nope"})))
        .await;
    assert_eq!(r.problem(), (400, Some("invalid_id")), "{}", r.text);
    let r = owner
        .try_create_leader(&org, body_with(1, json!({"color": "red"})))
        .await;
    assert_eq!(r.status, 422, "unknown fields: {}", r.text);
    let r = owner.try_create_leader(&org, json!({"name": "x"})).await;
    assert_eq!(r.status, 422, "missing fields: {}", r.text);
    let buyer = app.user("Buyer").await;
    for q in ["?lat=100&lon=120", "?lat=30&lon=181", "?lat=NaN&lon=120"] {
        let r = buyer.try_pickup_points(&org, q).await;
        assert_eq!(
            r.problem(),
            (422, Some("invalid_coordinates")),
            "{q}: {}",
            r.text
        );
    }
    for q in [
        "?lat=abc&lon=120",
        "?lat=30",
        "",
        "?lat=30&lon=120&limit=-1",
    ] {
        let r = buyer.try_pickup_points(&org, q).await;
        assert_eq!(r.problem(), (400, Some("invalid_query")), "{q}: {}", r.text);
    }
    let r = buyer
        .try_pickup_points("not-an-org", "?lat=30&lon=120")
        .await;
    assert_eq!(r.problem(), (400, Some("invalid_id")), "{}", r.text);
    let r = owner
        .try_org_leader(&org, "0190a0a0-0000-7000-8000-000000000000")
        .await;
    assert_eq!(r.problem(), (404, Some("not_found")));
}

async fn leaders_cross_no_org(app: TestApp) {
    let (_owner, org, ids) = shop_with_points(&app).await;
    let (other, other_org) = app.owner("Other Shop").await;
    // Another shop's owner can neither read nor change this shop's leaders (nor
    // learn the shop is there).
    let r = other.try_org_leaders(&org, "").await;
    assert_eq!(r.problem(), (404, Some("not_found")), "{}", r.text);
    let r = other.try_org_leader(&other_org, &ids[1]).await;
    assert_eq!(r.problem(), (404, Some("not_found")), "{}", r.text);
    let r = other
        .try_update_leader(&other_org, &ids[1], body_with(1, json!({})))
        .await;
    assert_eq!(r.problem(), (404, Some("not_found")), "{}", r.text);
    // A stand-in from another shop is refused.
    let theirs = other
        .create_leader(&other_org, leader_body("别家", BUYER, 3_000))
        .await;
    let mut body = leader_body("别家", BUYER, 3_000);
    body["stand_in"] = json!(ids[1]);
    let r = other.try_update_leader(&other_org, &theirs.id, body).await;
    assert_eq!(r.problem(), (422, Some("invalid_stand_in")), "{}", r.text);
    // Each shop's buyers see only that shop's points.
    let buyer = app.user("Buyer").await;
    let mine = buyer.pickup_points(&org, BUYER).await;
    assert!(mine.iter().all(|p| ids.contains(&p.leader_id)));
    let theirs_seen = buyer.pickup_points(&other_org, BUYER).await;
    assert_eq!(theirs_seen.len(), 1);
    assert_eq!(theirs_seen[0].leader_id, theirs.id);
    // Someone who is not the shop's staff cannot set leaders up.
    let r = buyer
        .try_create_leader(&org, leader_body("冒充", BUYER, 3_000))
        .await;
    assert_eq!(r.problem(), (404, Some("not_found")), "{}", r.text);
}

async fn the_console_lists_leaders_by_keyset(app: TestApp) {
    let (owner, org, ids) = shop_with_points(&app).await;
    let first = owner.org_leaders(&org, "?limit=3").await;
    assert_eq!(first.items.len(), 3);
    let next = first.next.unwrap_or_default();
    let rest = owner
        .org_leaders(&org, &format!("?limit=3&after={next}"))
        .await;
    assert!(rest.next.is_none());
    let mut seen: Vec<String> = first
        .items
        .into_iter()
        .chain(rest.items)
        .map(|l| l.id)
        .collect();
    seen.reverse();
    assert_eq!(seen, ids, "newest first, each once");
}

async fn a_leader_account_is_the_orgs_staff_and_only_managers_set_leaders_up(app: TestApp) {
    let (owner, org, ids) = shop_with_points(&app).await;
    let stranger = app.user("Stranger").await;
    let r = owner
        .try_update_leader(
            &org,
            &ids[0],
            body_with(0, json!({"account_id": stranger.id})),
        )
        .await;
    assert_eq!(r.problem(), (422, Some("invalid_account")), "{}", r.text);
    // Staff in the leader role may be linked; then they cannot set leaders up.
    let leader = app.user("Auntie Wang").await;
    app.join(&owner, &org, &leader, "leader").await;
    let l = owner
        .update_leader(
            &org,
            &ids[0],
            body_with(0, json!({"account_id": leader.id})),
        )
        .await;
    assert_eq!(l.account_id.as_deref(), Some(leader.id.as_str()));
    let r = leader
        .try_create_leader(&org, leader_body("自封", BUYER, 3_000))
        .await;
    assert_eq!(r.problem(), (403, Some("forbidden")), "{}", r.text);
    let r = leader
        .try_update_leader(&org, &ids[1], body_with(1, json!({})))
        .await;
    assert_eq!(r.problem(), (403, Some("forbidden")), "{}", r.text);
    // A shop that does not exist has no points to offer (and says so).
    let r = owner
        .try_pickup_points("0190a0a0-0000-7000-8000-000000000000", "?lat=30&lon=120")
        .await;
    assert_eq!(r.problem(), (404, Some("not_found")), "{}", r.text);
}
