//! Coupons: a thousand claims at once of a coupon with ten to give get exactly ten;
//! nobody holds more than the per-person limit, however fast they tap; a retried
//! claim is the first; a coupon prices an order line by line exactly as the preview
//! said, is spent once (even by two orders at once) and comes back when the order
//! is cancelled unpaid; the stacking matrix decides whether a coupon rides on a
//! flash-sale price, and on which price it is measured. Both backends; the
//! two-node claim race is in `cluster.rs`.

use crate::commerce_flash::buyers_in_store;
use quan_core::commerce::coupons;
use quan_core::commerce::error::CommerceError;
use quan_domain::{CouponId, OrgId};
use quan_testkit::{TestApp, User, on_both_backends};
use serde_json::json;

on_both_backends!(
    a_thousand_claims_at_once_get_exactly_the_supply,
    nobody_holds_more_than_the_per_person_limit,
    a_coupon_prices_an_order_line_by_line_and_is_spent_once,
    the_stacking_matrix_decides_a_coupon_on_a_sale_price,
    a_late_payment_never_spends_a_coupon_twice,
    the_order_is_refused_when_the_price_changed_since_the_preview,
    bad_coupon_set_ups_are_refused_by_their_codes,
    claims_cross_no_shop_no_person_and_no_date
);

/// A tea shop with two SKUs (¥68 oolong, ¥42 jasmine bags) in two categories:
/// (owner, org, [oolong sku, jasmine sku], [oolong product, jasmine product]).
async fn shop(app: &TestApp) -> (User, String, [String; 2], [String; 2]) {
    let (owner, org) = app.owner("Tea House").await;
    let oolong = owner
        .create_product(&org, "桂花乌龙 Oolong", &[("100 g", 6800, 50)])
        .await;
    let bags = owner
        .create_product(&org, "茉莉茶包 Jasmine bags", &[("×10", 4200, 50)])
        .await;
    for (p, cat) in [(&oolong, "乌龙"), (&bags, "冷萃")] {
        let skus: Vec<_> = p
            .skus
            .iter()
            .map(
                |s| json!({"id": s.id, "name": s.name, "price_fen": s.price_fen, "stock": s.stock}),
            )
            .collect();
        let r = owner
            .try_update_product(
                &org,
                &p.id,
                json!({"name": p.name, "category": cat, "published": true, "skus": skus}),
            )
            .await;
        assert_eq!(r.status, 200, "{}", r.text);
    }
    (
        owner,
        org,
        [oolong.skus[0].id.clone(), bags.skus[0].id.clone()],
        [oolong.id, bags.id],
    )
}

fn fixed(off: i64, supply: i64, per_person: i64) -> serde_json::Value {
    json!({"name": "立减券", "kind": "fixed", "off_fen": off, "scope": "all",
           "valid_days": 7, "supply": supply, "per_person": per_person})
}

async fn a_thousand_claims_at_once_get_exactly_the_supply(app: TestApp) {
    let (owner, org, _, _) = shop(&app).await;
    let c = owner.create_coupon(&org, fixed(500, 10, 1)).await;
    let (org_id, coupon): (OrgId, CouponId) = (
        org.parse().unwrap_or_else(|e| panic!("{e}")),
        c.id.parse().unwrap_or_else(|e| panic!("{e}")),
    );
    let buyers = buyers_in_store(&app, 1000).await;
    let tasks: Vec<_> = buyers
        .into_iter()
        .map(|a| {
            let svc = app.services.clone();
            tokio::spawn(async move { coupons::claim(&svc, &a, org_id, coupon, "grab").await })
        })
        .collect();
    let (mut won, mut refused) = (0, 0);
    for t in tasks {
        match t.await.unwrap_or_else(|e| panic!("task: {e}")) {
            Ok((_, false)) => won += 1,
            Err(CommerceError::CouponSoldOut) => refused += 1,
            other => panic!("neither a claim nor sold out: {other:?}"),
        }
    }
    assert_eq!((won, refused), (10, 990));
    let seen = &owner.org_coupons(&org).await[0];
    assert_eq!((seen.claimed, seen.supply), (10, 10));
    // The shop says so, and one more claim over HTTP is refused by its code.
    let late = app.user("Late").await;
    assert_eq!(late.shop_coupons(&org).await.items[0].claimed, 10);
    let r = late.try_claim(&org, &c.id, "k").await;
    assert_eq!(r.problem(), (409, Some("coupon_sold_out")));
    assert!(late.my_coupons().await.items.is_empty());
}

async fn nobody_holds_more_than_the_per_person_limit(app: TestApp) {
    let (owner, org, _, _) = shop(&app).await;
    let c = owner.create_coupon(&org, fixed(500, 100, 2)).await;
    let mei = app.user("Mei").await;
    // Ten taps at once, each its own key: two claims, the rest refused.
    let tries = futures::future::join_all((0..10).map(|i| {
        let (mei, org, id) = (&mei, &org, &c.id);
        async move { mei.try_claim(org, id, &format!("tap-{i}")).await }
    }))
    .await;
    let ok = tries.iter().filter(|r| r.status == 201).count();
    assert_eq!(
        ok,
        2,
        "{:?}",
        tries.iter().map(|r| &r.text).collect::<Vec<_>>()
    );
    assert!(
        tries
            .iter()
            .filter(|r| r.status != 201)
            .all(|r| r.problem() == (409, Some("coupon_limit_reached")))
    );
    // The same key again, five at once: the first claim each time, nothing more.
    let tony = app.user("Tony").await;
    let same = futures::future::join_all((0..5).map(|_| tony.try_claim(&org, &c.id, "once"))).await;
    let ids: std::collections::BTreeSet<String> = same
        .iter()
        .map(|r| {
            assert!(r.status == 201 || r.status == 200, "{}", r.text);
            r.body["id"].as_str().unwrap_or_default().to_owned()
        })
        .collect();
    assert_eq!(ids.len(), 1, "one claim under one key");
    assert_eq!(tony.my_coupons().await.items.len(), 1);
    assert_eq!(owner.org_coupons(&org).await[0].claimed, 3);
}

async fn a_coupon_prices_an_order_line_by_line_and_is_spent_once(app: TestApp) {
    let (owner, org, [oolong, bags], _) = shop(&app).await;
    let c = owner
        .create_coupon(
            &org,
            json!({"name": "满100减15", "kind": "threshold", "min_spend_fen": 10_000, "off_fen": 1500,
                   "scope": "all", "valid_days": 14, "supply": 50, "per_person": 1}),
        )
        .await;
    let mei = app.user("Mei").await;
    let claim = mei.claim(&org, &c.id, "c1").await;
    let lines = [(oolong.as_str(), 1), (bags.as_str(), 1)];
    // The preview offers it (the best), and builds the price line by line.
    let p = mei.preview(&org, &lines, None).await;
    assert_eq!(p.usable.len(), 1);
    assert_eq!(
        (p.usable[0].claim_id.as_str(), p.usable[0].off_fen),
        (claim.id.as_str(), 1500)
    );
    let p = mei.preview(&org, &lines, Some(&claim.id)).await;
    assert_eq!(
        (p.list_fen, p.coupon_off_fen, p.total_fen),
        (11_000, 1500, 9500)
    );
    let parts: Vec<i64> = p.lines.iter().map(|l| l.coupon_off_fen).collect();
    assert_eq!(parts, [927, 573], "apportioned by what each line comes to");
    // One line alone does not reach the spend.
    let r = mei.try_preview(&org, &[(&bags, 1)], Some(&claim.id)).await;
    assert_eq!(r.problem(), (422, Some("coupon_threshold_not_met")));
    // The preview says how much more it needs.
    let alone = mei.preview(&org, &[(&bags, 1)], None).await;
    assert!(alone.usable.is_empty());
    assert_eq!(
        (alone.near.len(), alone.near[0].more_fen),
        (1, 10_000 - 4200)
    );
    // Two orders with the one claim at once: exactly one gets it.
    let (a, b) = tokio::join!(
        mei.try_order_with(&org, &lines, &claim.id, "o1"),
        mei.try_order_with(&org, &lines, &claim.id, "o2"),
    );
    let (won, lost, won_key) = if a.status == 201 {
        (a, b, "o1")
    } else {
        (b, a, "o2")
    };
    assert_eq!(won.status, 201, "{}", won.text);
    assert_eq!(lost.problem(), (409, Some("coupon_used")));
    assert_eq!(won.body["total_fen"], 9500, "charged what the preview said");
    assert_eq!(won.body["lines"][0]["coupon_off_fen"], 927);
    assert_eq!(won.body["lines"][1]["pay_fen"], 4200 - 573);
    let order = won.body["id"].as_str().unwrap_or_default().to_owned();
    assert_eq!(
        mei.my_coupons().await.items[0].order_id.as_deref(),
        Some(order.as_str())
    );
    assert!(mei.preview(&org, &lines, None).await.usable.is_empty());
    // The retry of the winning order is the first order, though its coupon is spent.
    let again = mei.try_order_with(&org, &lines, &claim.id, won_key).await;
    assert_eq!(
        (again.status, again.body["id"].as_str()),
        (200, Some(order.as_str()))
    );
    // Cancelled unpaid: the coupon is back, and buys the next order.
    let r = mei.try_cancel_order(&order).await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert!(mei.my_coupons().await.items[0].order_id.is_none());
    let o = mei.order_with(&org, &lines, &claim.id, "o3").await;
    assert_eq!(o.total_fen, 9500);
    assert_eq!(owner.org_coupons(&org).await[0].used, Some(1));
}

async fn the_stacking_matrix_decides_a_coupon_on_a_sale_price(app: TestApp) {
    let (owner, org, [oolong, _], [product, _]) = shop(&app).await;
    let sale = owner
        .flash_sale(&app, &org, (&product, &oolong), (5000, 10, 2))
        .await;
    let c = owner
        .create_coupon(
            &org,
            json!({"name": "九折", "kind": "percent", "percent": 10, "scope": "categories",
                   "categories": ["乌龙"], "valid_days": 3, "supply": 10, "per_person": 2}),
        )
        .await;
    let mei = app.user("Mei").await;
    let first = mei.claim(&org, &c.id, "c1").await;
    // By default a sale price is the deal: the coupon is refused, and no unit taken.
    let r = mei
        .try_buy_flash_with(&org, &sale.id, 1, &first.id, "f1")
        .await;
    assert_eq!(r.problem(), (422, Some("coupon_not_combinable")));
    assert_eq!(owner.org_flash_sales(&org).await[0].remaining, 10);
    // Combined, measured on the sale price: 10 % of ¥50.
    owner
        .set_stacking(
            &org,
            json!({"order": ["activity", "coupon"], "combine": [["activity", "coupon"]]}),
        )
        .await;
    let r = mei
        .try_buy_flash_with(&org, &sale.id, 1, &first.id, "f2")
        .await;
    assert_eq!(r.status, 201, "{}", r.text);
    assert_eq!(
        (
            r.body["total_fen"].as_i64(),
            r.body["lines"][0]["list_unit_fen"].as_i64()
        ),
        (Some(4500), Some(6800))
    );
    // Measured on the list price: 10 % of ¥68.
    owner
        .set_stacking(
            &org,
            json!({"order": ["coupon", "activity"], "combine": [["coupon", "activity"]]}),
        )
        .await;
    let second = mei.claim(&org, &c.id, "c2").await;
    let r = mei
        .try_buy_flash_with(&org, &sale.id, 1, &second.id, "f3")
        .await;
    assert_eq!(r.status, 201, "{}", r.text);
    assert_eq!(r.body["total_fen"], 5000 - 680);
    let r = owner
        .try_set_stacking(&org, json!({"order": ["coupon"], "combine": []}))
        .await;
    assert_eq!(r.problem(), (422, Some("invalid_stacking_order")));
}

/// A good set-up (¥5 off, two to give, one each) with `changes` made to it (a
/// null removes the field).
fn changed(changes: &[(&str, serde_json::Value)]) -> serde_json::Value {
    let mut b = fixed(500, 2, 1);
    for (k, v) in changes {
        if v.is_null() {
            b.as_object_mut().map(|o| o.remove(*k));
        } else {
            b[*k] = v.clone();
        }
    }
    b
}

async fn bad_coupon_set_ups_are_refused_by_their_codes(app: TestApp) {
    let (owner, org, _, _) = shop(&app).await;
    let none = serde_json::Value::Null;
    let bad = [
        (changed(&[("off_fen", json!(0))]), "amount_not_positive"),
        (changed(&[("off_fen", json!(-5))]), "amount_not_positive"),
        (changed(&[("off_fen", json!(i64::MAX))]), "amount_too_large"),
        (
            changed(&[("kind", json!("percent")), ("percent", json!(100))]),
            "coupon_invalid_percent",
        ),
        (
            changed(&[("kind", json!("threshold")), ("min_spend_fen", json!(400))]),
            "coupon_off_not_below_threshold",
        ),
        (changed(&[("off_fen", none.clone())]), "missing_field"),
        (changed(&[("kind", json!("gift"))]), "coupon_invalid_kind"),
        (
            changed(&[("scope", json!("products")), ("product_ids", json!([]))]),
            "coupon_invalid_scope",
        ),
        (changed(&[("valid_days", json!(0))]), "coupon_invalid_days"),
        (
            changed(&[
                ("valid_days", none.clone()),
                ("valid_from", json!(1)),
                ("valid_until", json!(2)),
            ]),
            "coupon_ends_in_past",
        ),
        (changed(&[("valid_days", none)]), "coupon_invalid_validity"),
        (changed(&[("supply", json!(0))]), "coupon_invalid_supply"),
        (
            changed(&[("per_person", json!(3))]),
            "coupon_limit_over_supply",
        ),
        (changed(&[("name", json!(""))]), "coupon_invalid_name"),
    ];
    for (body, code) in bad {
        let r = owner.try_create_coupon(&org, body.clone()).await;
        assert_eq!(r.problem(), (422, Some(code)), "{body}");
    }
    let r = owner
        .try_create_coupon(&org, json!({"name": "x", "kind": 5}))
        .await;
    assert_eq!(r.problem().0, 422, "{}", r.text);
    let r = owner
        .try_create_coupon(
            &org,
            changed(&[
                ("scope", json!("products")),
                ("product_ids", json!(["nope"])),
            ]),
        )
        .await;
    assert_eq!(r.problem(), (400, Some("invalid_id")));
    assert!(owner.org_coupons(&org).await.is_empty(), "nothing was made");
    // Staff who do not run the shop may not set one up.
    let sales = app.user("Sam").await;
    app.join(&owner, &org, &sales, "sales").await;
    assert_eq!(
        sales
            .try_create_coupon(&org, fixed(5, 1, 1))
            .await
            .problem(),
        (403, Some("forbidden"))
    );
}

async fn claims_cross_no_shop_no_person_and_no_date(app: TestApp) {
    let (owner, org, [oolong, _], _) = shop(&app).await;
    let c = owner.create_coupon(&org, fixed(500, 5, 1)).await;
    // Another org can neither stop it nor have it claimed through its shop.
    let (other, other_org) = app.owner("Other").await;
    assert_eq!(
        other.try_end_coupon(&other_org, &c.id).await.problem().0,
        404
    );
    // Claimed through another shop's path: not found there.
    let mei = app.user("Mei").await;
    assert_eq!(mei.try_claim(&other_org, &c.id, "x").await.problem().0, 404);
    assert_eq!(
        mei.try_claim(&org, "nope", "x").await.problem(),
        (400, Some("invalid_id"))
    );
    assert_eq!(mei.try_claim(&org, &c.id, "").await.problem().0, 422);
    let claim = mei.claim(&org, &c.id, "k").await;
    // Another person's claim, or this claim in another shop: not found.
    let tony = app.user("Tony").await;
    let r = tony
        .try_order_with(&org, &[(&oolong, 1)], &claim.id, "t1")
        .await;
    assert_eq!(r.problem().0, 404);
    let p = other
        .create_product(&other_org, "Cup", &[("cup", 1000, 5)])
        .await;
    let r = mei
        .try_order_with(&other_org, &[(&p.skus[0].id, 1)], &claim.id, "m0")
        .await;
    assert_eq!(r.problem().0, 404);
    // Stopped: no more claims; the claimed one stays good until it expires.
    assert_eq!(owner.try_end_coupon(&org, &c.id).await.status, 200);
    assert_eq!(
        tony.try_claim(&org, &c.id, "t").await.problem(),
        (409, Some("coupon_ended"))
    );
    assert!(tony.shop_coupons(&org).await.items.is_empty());
    app.clock.advance_secs(8 * 86_400);
    let r = mei
        .try_order_with(&org, &[(&oolong, 1)], &claim.id, "m1")
        .await;
    assert_eq!(r.problem(), (409, Some("coupon_expired")));
    assert!(
        mei.my_orders().await.items.is_empty(),
        "no order from a refused coupon"
    );
}

async fn a_late_payment_never_spends_a_coupon_twice(app: TestApp) {
    use crate::commerce_payments::{post_hook, signed};
    let (owner, org, [oolong, _], _) = shop(&app).await;
    let c = owner.create_coupon(&org, fixed(500, 5, 1)).await;
    let mei = app.user("Mei").await;
    let claim = mei.claim(&org, &c.id, "c").await;
    let line = [(oolong.as_str(), 1)];
    // Unpaid past its reservation: cancelled, the coupon back in the wallet...
    let a = mei.order_with(&org, &line, &claim.id, "a").await;
    let pay_a = mei.pay(&a.id).await;
    app.clock.advance_secs(16 * 60);
    app.run_due_jobs().await;
    assert_eq!(mei.my_order(&a.id).await.status, "cancelled");
    // ...and spent on another order; the first one's late payment is refunded,
    // not a second order at the coupon's price.
    let b = mei.order_with(&org, &line, &claim.id, "b").await;
    let late = signed(&app, &pay_a.pay_url, "succeeded", 0).await;
    assert_eq!(
        post_hook(&app, &late).await.body["outcome"],
        "paid_too_late"
    );
    assert_eq!(mei.my_order(&a.id).await.status, "cancelled");
    assert_eq!(
        mei.my_coupons().await.items[0].order_id.as_deref(),
        Some(b.id.as_str())
    );
    // With the coupon still free, a late payment takes it again and is paid.
    assert_eq!(mei.try_cancel_order(&b.id).await.status, 200);
    let d = mei.order_with(&org, &line, &claim.id, "d").await;
    let pay_d = mei.pay(&d.id).await;
    app.clock.advance_secs(16 * 60);
    app.run_due_jobs().await;
    assert!(mei.my_coupons().await.items[0].order_id.is_none());
    let late = signed(&app, &pay_d.pay_url, "succeeded", 0).await;
    assert_eq!(post_hook(&app, &late).await.body["outcome"], "paid");
    assert_eq!(mei.my_order(&d.id).await.status, "paid");
    assert_eq!(
        mei.my_coupons().await.items[0].order_id.as_deref(),
        Some(d.id.as_str())
    );
    assert_eq!(owner.org_coupons(&org).await[0].used, Some(1));
}

async fn the_order_is_refused_when_the_price_changed_since_the_preview(app: TestApp) {
    let (owner, org, [oolong, _], [product, _]) = shop(&app).await;
    let mei = app.user("Mei").await;
    let shown = mei.preview(&org, &[(&oolong, 2)], None).await;
    assert_eq!(shown.total_fen, 13_600);
    // The owner raises the price meanwhile.
    let r = owner
        .try_update_product(
            &org,
            &product,
            json!({"name": "桂花乌龙 Oolong", "category": "乌龙", "published": true,
                   "skus": [{"id": oolong, "name": "100 g", "price_fen": 7800, "stock": 50}]}),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    let body = json!({"lines": [{"sku_id": oolong, "quantity": 2}], "expected_total_fen": shown.total_fen});
    let r = mei
        .c
        .send_built(
            mei.c
                .http
                .post(format!("{}/api/v1/shops/{org}/orders", mei.c.base))
                .header("idempotency-key", "k")
                .json(&body),
        )
        .await
        .unwrap_or_else(|| panic!("no answer"));
    assert_eq!(r.problem(), (409, Some("price_changed")));
    assert!(
        mei.my_orders().await.items.is_empty(),
        "nothing charged unseen"
    );
    assert_eq!(
        owner.shop_product(&org, &product).await.skus[0].stock,
        50,
        "nothing reserved"
    );
}
