//! Paid circle membership: a product of kind `membership` sells a seat in its
//! circle; paying for it joins (the job written with the payment), a refund takes
//! the seat back (the job written with the refund). Nobody buys a seat they hold,
//! more than one at a time, or on a flash sale; the set-up is refused with clear
//! codes. Both backends.

use quan_testkit::{TestApp, User, on_both_backends};
use serde_json::json;

on_both_backends!(
    paying_joins_and_a_refund_leaves,
    a_member_cannot_buy_their_seat_again,
    membership_set_ups_refused_by_code
);

/// An owner's private paid circle with its membership on sale (¥199, 50 seats), and
/// a buyer outside it: (owner, org, circle, product id, sku id, buyer).
async fn club(app: &TestApp) -> (User, String, String, String, String, User) {
    let (owner, org) = app.owner("Tea House").await;
    let circle = owner
        .circle(
            &org,
            json!({"name": "品鉴会 Tasting club", "mode": "community", "join_policy": "paid", "public": false}),
        )
        .await;
    let r = owner
        .try_create_product(
            &org,
            json!({"name": "品鉴会会员", "kind": "membership", "circle_id": circle, "published": true,
                   "skus": [{"name": "Membership", "price_fen": 19900, "stock": 50}]}),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.text);
    assert_eq!(r.body["kind"], "membership");
    let product = r.body["id"].as_str().unwrap_or_default().to_owned();
    let sku = r.body["skus"][0]["id"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    let buyer = app.user("Mei").await;
    (owner, org, circle, product, sku, buyer)
}

/// The buyer orders one seat and pays in the sandbox; the order is paid.
async fn buy_seat(app: &TestApp, buyer: &User, org: &str, sku: &str, key: &str) -> String {
    let o = buyer.order(org, &[(sku, 1)], key).await;
    let pay = buyer.pay(&o.id).await;
    assert_eq!(
        buyer.sandbox_decide(&pay.pay_url, "succeeded").await.status,
        303
    );
    app.until_order(buyer, &o.id, "paid").await;
    o.id
}

async fn paying_joins_and_a_refund_leaves(app: TestApp) {
    let (owner, org, circle, _, sku, buyer) = club(&app).await;
    let path = format!("/api/v1/circles/{circle}");
    // Private: its feed unseen; its door says how to get in.
    assert_eq!(
        buyer.try_join(&circle).await.problem(),
        (402, Some("payment_required"))
    );
    assert_eq!(buyer.c.get(&path).await.status, 404);
    let order = buy_seat(&app, &buyer, &org, &sku, "seat-1").await;
    app.run_due_jobs().await;
    let c = buyer.get_circle(&circle).await;
    assert_eq!(c.my_role.as_deref(), Some("member"), "paying joined");
    assert_eq!(c.member_count, 2, "the owner and the buyer");
    // Joined once, however often the job runs.
    app.run_due_jobs().await;
    assert_eq!(buyer.get_circle(&circle).await.member_count, 2);
    // The refund: asked, approved, settled by the provider's webhook; the seat goes.
    assert_eq!(buyer.try_request_refund(&order, "").await.status, 200);
    assert_eq!(
        owner
            .try_refund_decision(&org, &order, "approve")
            .await
            .status,
        200
    );
    app.until_order(&buyer, &order, "refunded").await;
    app.run_due_jobs().await;
    assert_eq!(buyer.c.get(&path).await.status, 404, "the seat went");
    assert_eq!(owner.get_circle(&circle).await.member_count, 1);
    // Out again, they may buy it again.
    buy_seat(&app, &buyer, &org, &sku, "seat-2").await;
    app.run_due_jobs().await;
    assert_eq!(
        buyer.get_circle(&circle).await.my_role.as_deref(),
        Some("member")
    );
}

async fn a_member_cannot_buy_their_seat_again(app: TestApp) {
    let (owner, org, circle, _, sku, buyer) = club(&app).await;
    // Two orders with their pay pages open before either is paid: the first
    // payment takes the seat; the second is refunded at once, never charged for a
    // seat held — and its refund does not take the seat away.
    let first = buyer.order(&org, &[(&sku, 1)], "a").await;
    let second = buyer.order(&org, &[(&sku, 1)], "b").await;
    let (pay1, pay2) = (buyer.pay(&first.id).await, buyer.pay(&second.id).await);
    buyer.sandbox_decide(&pay1.pay_url, "succeeded").await;
    app.until_order(&buyer, &first.id, "paid").await;
    buyer.sandbox_decide(&pay2.pay_url, "succeeded").await;
    app.until_order(&buyer, &second.id, "refunded").await;
    app.run_due_jobs().await;
    let c = buyer.get_circle(&circle).await;
    assert_eq!((c.my_role.as_deref(), c.member_count), (Some("member"), 2));
    let log: Vec<String> = owner
        .payment_log(&org)
        .await
        .into_iter()
        .map(|w| w.outcome)
        .collect();
    assert!(log.contains(&"seat_taken".to_owned()), "{log:?}");
    // In now: no third order.
    assert_eq!(
        buyer.try_order(&org, &[(&sku, 1)], "c").await.problem(),
        (409, Some("already_member"))
    );
    // The owner is in already: no seat for them either.
    assert_eq!(
        owner.try_order(&org, &[(&sku, 1)], "o").await.problem(),
        (409, Some("already_member"))
    );
    // One seat per order.
    let other = app.user("Lan").await;
    assert_eq!(
        other.try_order(&org, &[(&sku, 2)], "two").await.problem(),
        (422, Some("membership_quantity"))
    );
}

async fn membership_set_ups_refused_by_code(app: TestApp) {
    let (owner, org, circle, product, sku, _) = club(&app).await;
    let (_, other_org) = app.owner("Other shop").await;
    let other_circle = owner
        .circle(&org, json!({"name": "Open", "mode": "community"}))
        .await;
    let (stranger, stranger_org) = app.owner("Stranger").await;
    let theirs = stranger
        .circle(
            &stranger_org,
            json!({"name": "Theirs", "mode": "community"}),
        )
        .await;
    let skus = json!([{"name": "M", "price_fen": 100, "stock": 1}]);
    let cases = [
        (
            json!({"name": "M", "kind": "membership", "skus": skus}),
            "membership_needs_circle",
        ),
        (
            json!({"name": "M", "kind": "vip", "circle_id": other_circle, "skus": skus}),
            "invalid_product_kind",
        ),
        (
            json!({"name": "M", "kind": "membership", "circle_id": theirs, "skus": skus}),
            "invalid_circle",
        ),
        (
            json!({"name": "M", "kind": 7, "skus": skus}),
            "invalid_body",
        ),
        (
            json!({"name": "M", "kind": "membership", "circle_id": other_circle, "skus": skus}),
            "membership_circle_not_paid",
        ),
    ];
    for (body, code) in cases {
        let r = owner.try_create_product(&org, body.clone()).await;
        assert_eq!(r.problem().1, Some(code), "{body}: {}", r.text);
        assert!(r.status == 422 || r.status == 400, "{body}: {}", r.status);
    }
    // Another org's owner cannot make this org's product a membership of theirs.
    let r = stranger
        .try_update_product(&org, &product, json!({"name": "M", "skus": skus}))
        .await;
    assert_eq!(r.problem().0, 404);
    let _ = other_org;
    // An edit without a kind keeps it; once ordered, what it is cannot change.
    let same = json!({"name": "品鉴会会员", "circle_id": circle, "published": true,
        "skus": [{"id": sku, "name": "Membership", "price_fen": 19900, "stock": 50}]});
    let r = owner.try_update_product(&org, &product, same.clone()).await;
    assert_eq!(
        (r.status, r.body["kind"].as_str()),
        (200, Some("membership")),
        "{}",
        r.text
    );
    app.user("Buyer").await.order(&org, &[(&sku, 1)], "k").await;
    let mut goods = same;
    goods["kind"] = json!("goods");
    let r = owner.try_update_product(&org, &product, goods).await;
    assert_eq!(r.problem(), (422, Some("kind_fixed")), "{}", r.text);
    // A membership is never put on a flash sale.
    let now = quan_core::Clock::now(app.clock.as_ref()).millis();
    let r = owner
        .try_create_flash_sale(
            &org,
            json!({"product_id": product, "sku_id": sku, "starts_at": now, "ends_at": now + 3_600_000,
                   "price_fen": 100, "stock": 1, "per_person": 1}),
        )
        .await;
    assert_eq!(r.problem(), (422, Some("flash_membership")), "{}", r.text);
}
