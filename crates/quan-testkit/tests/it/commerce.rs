//! Commerce: the catalog is written by the staff who run the shop and read by
//! buyers where published; an order reserves its stock by guarded decrements (never
//! more than there is, under any concurrency), an idempotency key returns the first
//! order, and an unpaid order lets its stock go when its reservation ends. Both
//! backends; payments are in `commerce_payments.rs`.

use quan_testkit::{TestApp, User, on_both_backends};
use serde_json::json;

on_both_backends!(
    the_catalog_is_the_shop_staffs_and_buyers_see_what_is_published,
    a_bad_product_is_refused_with_its_reason,
    orders_reserve_stock_and_a_key_returns_the_first_order,
    concurrent_buyers_never_get_more_than_the_stock,
    orders_naming_skus_in_other_orders_at_once_all_go_through,
    an_edit_keeps_what_orders_reserved_meanwhile,
    unpaid_orders_let_their_stock_go
);

/// A tea shop with one product of two SKUs (stock 5 and 1): (owner, org, product
/// id, [sku ids]).
async fn shop(app: &TestApp) -> (User, String, String, Vec<String>) {
    let (owner, org) = app.owner("Tea House").await;
    let p = owner
        .create_product(
            &org,
            "桂花乌龙 Osmanthus oolong",
            &[("50 g", 3800, 5), ("礼盒 Gift box", 12800, 1)],
        )
        .await;
    let skus = p.skus.iter().map(|s| s.id.clone()).collect();
    (owner, org, p.id, skus)
}

async fn the_catalog_is_the_shop_staffs_and_buyers_see_what_is_published(app: TestApp) {
    let (owner, org, product, skus) = shop(&app).await;
    let buyer = app.user("Mei").await;
    let seen = buyer.shop_product(&org, &product).await;
    assert_eq!(
        seen.skus
            .iter()
            .map(|s| (s.price_fen, s.stock))
            .collect::<Vec<_>>(),
        [(3800, 5), (12800, 1)]
    );
    // Sales staff do not run the shop; another org's owner does not see it.
    let sales = app.user("Sam").await;
    app.join(&owner, &org, &sales, "sales").await;
    let r = sales
        .try_create_product(
            &org,
            json!({"name": "x", "skus": [{"name": "x", "price_fen": 100, "stock": 1}]}),
        )
        .await;
    assert_eq!(r.problem(), (403, Some("forbidden")));
    let (other, other_org) = app.owner("Other").await;
    let r = other
        .c
        .get(&format!("/api/v1/orgs/{other_org}/products/{product}"))
        .await;
    assert_eq!(r.problem().0, 404, "another org's product is not found");
    // Unpublished: gone from the shop; the SKU kept by id moves its stock by the change.
    let r = owner
        .try_update_product(
            &org,
            &product,
            json!({"name": "桂花乌龙", "published": false,
                   "skus": [{"id": skus[0], "name": "50 g", "price_fen": 3900, "stock": 8}]}),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(
        buyer.try_shop_product(&org, &product).await.problem().0,
        404
    );
    let r = owner
        .c
        .get(&format!("/api/v1/orgs/{org}/products/{product}"))
        .await;
    assert_eq!(r.body["skus"][0]["stock"], 8);
    assert_eq!(r.body["skus"][0]["price_fen"], 3900);
    assert_eq!(
        r.body["skus"].as_array().map(Vec::len),
        Some(1),
        "the gift box is retired"
    );
}

async fn a_bad_product_is_refused_with_its_reason(app: TestApp) {
    let (owner, org, _, _) = shop(&app).await;
    // Bad input is refused with its reason and nothing is written.
    for (sku, code) in [
        (
            json!({"name": "x", "price_fen": 0, "stock": 1}),
            "amount_not_positive",
        ),
        (
            json!({"name": "x", "price_fen": -100, "stock": 1}),
            "amount_not_positive",
        ),
        (
            json!({"name": "x", "price_fen": 100_000_001, "stock": 1}),
            "amount_too_large",
        ),
        (
            json!({"name": "x", "price_fen": 100, "stock": -1}),
            "invalid_stock",
        ),
        (
            json!({"name": " ", "price_fen": 100, "stock": 1}),
            "required",
        ),
    ] {
        let r = owner
            .try_create_product(&org, json!({"name": "Bad", "skus": [sku]}))
            .await;
        assert_eq!(r.problem(), (422, Some(code)), "{}", r.text);
    }
    let r = owner
        .try_create_product(&org, json!({"name": "No SKU", "skus": []}))
        .await;
    assert_eq!(r.problem(), (422, Some("invalid_skus")));
    let r = owner
        .try_create_product(
            &org,
            json!({"name": "x", "skus": [{"name": "x", "price_fen": 1.5, "stock": 1}]}),
        )
        .await;
    assert_eq!(
        r.status, 422,
        "a fractional fen is not an amount: {}",
        r.text
    );
    let r = owner.c.get(&format!("/api/v1/orgs/{org}/products")).await;
    assert_eq!(
        r.body["items"].as_array().map(Vec::len),
        Some(1),
        "nothing written"
    );
}

async fn orders_reserve_stock_and_a_key_returns_the_first_order(app: TestApp) {
    let (owner, org, product, skus) = shop(&app).await;
    let buyer = app.user("Mei").await;
    let o = buyer
        .order(&org, &[(&skus[0], 2), (&skus[1], 1)], "k-1")
        .await;
    assert_eq!(
        (o.status.as_str(), o.total_fen),
        ("created", 2 * 3800 + 12800)
    );
    let stock =
        |p: quan_web::api::commerce::ProductDto| p.skus.iter().map(|s| s.stock).collect::<Vec<_>>();
    assert_eq!(stock(buyer.shop_product(&org, &product).await), [3, 0]);
    // The same key again: the first order, nothing reserved twice.
    let again = buyer
        .try_order(&org, &[(&skus[0], 2), (&skus[1], 1)], "k-1")
        .await;
    assert_eq!(
        (again.status, again.body["id"].as_str()),
        (200, Some(o.id.as_str()))
    );
    let r = buyer.try_order(&org, &[(&skus[0], 1)], "k-1").await;
    assert_eq!(r.problem(), (422, Some("idempotency_key_reused")));
    assert_eq!(stock(buyer.shop_product(&org, &product).await), [3, 0]);
    // Refusals name their reason and reserve nothing.
    let r = buyer.try_order(&org, &[(&skus[1], 1)], "k-2").await;
    assert_eq!(r.problem(), (409, Some("out_of_stock")));
    let r = buyer.try_order(&org, &[(&skus[0], 4)], "k-3").await;
    assert_eq!(r.problem(), (409, Some("out_of_stock")), "3 left, 4 asked");
    for (lines, code) in [
        (vec![(skus[0].as_str(), 0)], "quantity_not_positive"),
        (vec![(skus[0].as_str(), 1000)], "quantity_too_large"),
        (vec![], "invalid_lines"),
    ] {
        let r = buyer.try_order(&org, &lines, "k-4").await;
        assert_eq!(r.problem(), (422, Some(code)), "{}", r.text);
    }
    let stranger = quan_domain::SkuId::new().to_string();
    let r = buyer.try_order(&org, &[(&stranger, 1)], "k-5").await;
    assert_eq!(r.problem(), (422, Some("unknown_sku")));
    let r = buyer.try_order(&org, &[(&skus[0], 1)], " ").await;
    assert_eq!(r.problem(), (422, Some("idempotency_key_required")));
    let r = buyer
        .try_order(&org, &[(&skus[0], 1)], &"k".repeat(200))
        .await;
    assert_eq!(r.problem(), (422, Some("invalid_idempotency_key")));
    assert_eq!(stock(buyer.shop_product(&org, &product).await), [3, 0]);
    // Another buyer cannot read or cancel it; the buyer cancels and the stock is back.
    let eve = app.user("Eve").await;
    assert_eq!(eve.try_cancel_order(&o.id).await.problem().0, 404);
    assert_eq!(buyer.try_cancel_order(&o.id).await.status, 200);
    assert_eq!(stock(buyer.shop_product(&org, &product).await), [5, 1]);
    let r = buyer.try_cancel_order(&o.id).await;
    assert_eq!(
        r.problem(),
        (409, Some("illegal_transition")),
        "not a silent no-op"
    );
    // The org sees it with its person; an unpaid order cannot be shipped.
    assert_eq!(owner.org_orders(&org).await.items[0].status, "cancelled");
    let r = owner.try_org_order_step(&org, &o.id, "fulfil").await;
    assert_eq!(r.problem(), (409, Some("illegal_transition")));
    assert_eq!(buyer.my_orders().await.items.len(), 1);
}

async fn concurrent_buyers_never_get_more_than_the_stock(app: TestApp) {
    let (_, org, product, skus) = shop(&app).await;
    let mut buyers = Vec::new();
    for i in 0..24 {
        buyers.push(app.user(&format!("B{i}")).await);
    }
    // 24 buyers at once for 5: exactly five orders, stock 0, never below.
    let line = [(skus[0].as_str(), 1)];
    let tries =
        futures::future::join_all(buyers.iter().map(|b| b.try_order(&org, &line, "flash"))).await;
    let won = tries.iter().filter(|r| r.status == 201).count();
    let lost = tries
        .iter()
        .filter(|r| r.problem() == (409, Some("out_of_stock")))
        .count();
    assert_eq!(
        (won, lost),
        (5, 19),
        "{:?}",
        tries.iter().map(|r| r.status).collect::<Vec<_>>()
    );
    let stock = buyers[0].shop_product(&org, &product).await.skus[0].stock;
    assert_eq!(stock, 0);
    // One buyer sending the same key eight times at once: one order.
    let (_, org2, product2, skus2) = shop(&app).await;
    let b = app.user("Twice").await;
    let two = [(skus2[0].as_str(), 2)];
    let same = futures::future::join_all((0..8).map(|_| b.try_order(&org2, &two, "same"))).await;
    let ids: std::collections::BTreeSet<_> = same
        .iter()
        .map(|r| {
            assert!(matches!(r.status, 200 | 201), "{}", r.text);
            r.body["id"].as_str().unwrap_or_default().to_owned()
        })
        .collect();
    assert_eq!(ids.len(), 1, "one order under one key");
    assert_eq!(same.iter().filter(|r| r.status == 201).count(), 1);
    assert_eq!(b.shop_product(&org2, &product2).await.skus[0].stock, 3);
}

async fn unpaid_orders_let_their_stock_go(app: TestApp) {
    let (owner, org, product, skus) = shop(&app).await;
    let buyer = app.user("Mei").await;
    let o = buyer.order(&org, &[(&skus[0], 5)], "k").await;
    assert_eq!(
        o.expires_at - o.created_at,
        15 * 60_000,
        "15 minutes by default"
    );
    app.clock.advance_secs(14 * 60);
    app.run_due_jobs().await;
    assert_eq!(buyer.my_order(&o.id).await.status, "created", "not yet");
    app.clock.advance_secs(61);
    app.run_due_jobs().await;
    assert_eq!(buyer.my_order(&o.id).await.status, "cancelled");
    assert_eq!(buyer.shop_product(&org, &product).await.skus[0].stock, 5);
    let r = buyer.try_pay(&o.id).await;
    assert_eq!(r.problem(), (409, Some("illegal_transition")));
    let kinds: Vec<String> = owner
        .events(&org, "")
        .await
        .items
        .into_iter()
        .map(|e| e.kind)
        .collect();
    assert!(kinds.contains(&"order.expired".to_owned()), "{kinds:?}");
    // Sold again after release, and still never more than there is.
    let o2 = app
        .user("Lucy")
        .await
        .order(&org, &[(&skus[0], 5)], "k")
        .await;
    assert_eq!(o2.status, "created");
    let r = buyer.try_order(&org, &[(&skus[0], 1)], "k2").await;
    assert_eq!(r.problem(), (409, Some("out_of_stock")));
}

async fn orders_naming_skus_in_other_orders_at_once_all_go_through(app: TestApp) {
    let (owner, org) = app.owner("Tea House").await;
    let p = owner
        .create_product(
            &org,
            "茶",
            &[("A", 100, 100), ("B", 100, 100), ("C", 100, 100)],
        )
        .await;
    let ids: Vec<&str> = p.skus.iter().map(|s| s.id.as_str()).collect();
    let mut buyers = Vec::new();
    for i in 0..12 {
        buyers.push(app.user(&format!("B{i}")).await);
    }
    // Every order names all three SKUs, in one of six orders: none waits on another
    // for ever (a deadlock would be a 500 on PostgreSQL).
    let orders = [
        [0, 1, 2],
        [2, 1, 0],
        [1, 0, 2],
        [2, 0, 1],
        [0, 2, 1],
        [1, 2, 0],
    ];
    let lines: Vec<Vec<(&str, i64)>> = (0..12)
        .map(|i| orders[i % 6].iter().map(|k| (ids[*k], 1)).collect())
        .collect();
    let tries = futures::future::join_all(
        buyers
            .iter()
            .zip(&lines)
            .map(|(b, l)| b.try_order(&org, l, "k")),
    )
    .await;
    for r in &tries {
        assert_eq!(r.status, 201, "{}", r.text);
    }
    let left: Vec<i64> = buyers[0]
        .shop_product(&org, &p.id)
        .await
        .skus
        .iter()
        .map(|s| s.stock)
        .collect();
    assert_eq!(left, [88, 88, 88]);
    // And all cancelled at once: every unit back.
    let done = futures::future::join_all(
        buyers
            .iter()
            .zip(&tries)
            .map(|(b, r)| b.try_cancel_order(r.body["id"].as_str().unwrap_or_default())),
    )
    .await;
    assert!(done.iter().all(|r| r.status == 200));
    let left: Vec<i64> = buyers[0]
        .shop_product(&org, &p.id)
        .await
        .skus
        .iter()
        .map(|s| s.stock)
        .collect();
    assert_eq!(left, [100, 100, 100]);
}

async fn an_edit_keeps_what_orders_reserved_meanwhile(app: TestApp) {
    let (owner, org, product, skus) = shop(&app).await;
    // The editor loads the product at stock 5; a buyer then reserves 3.
    let seen = owner
        .c
        .get(&format!("/api/v1/orgs/{org}/products/{product}"))
        .await;
    assert_eq!(seen.body["skus"][0]["stock"], 5);
    app.user("Mei")
        .await
        .order(&org, &[(&skus[0], 3)], "k")
        .await;
    // They rename it and add 10 to what they saw: 5 + 10 - 3 reserved = 12.
    let r = owner
        .try_update_product(
            &org,
            &product,
            json!({"name": "桂花乌龙 2026", "published": true, "skus": [
                {"id": skus[0], "name": "50 g", "price_fen": 3800, "stock": 15, "stock_was": 5},
                {"id": skus[1], "name": "礼盒", "price_fen": 12800, "stock": 1, "stock_was": 1}]}),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    let now = owner
        .c
        .get(&format!("/api/v1/orgs/{org}/products/{product}"))
        .await;
    assert_eq!(now.body["skus"][0]["stock"], 12, "the reservation is kept");
    // A SKU named twice is refused; so is an id that is not the product's.
    let r = owner
        .try_update_product(
            &org,
            &product,
            json!({"name": "x", "skus": [
                {"id": skus[0], "name": "a", "price_fen": 1, "stock": 1},
                {"id": skus[0], "name": "b", "price_fen": 1, "stock": 1}]}),
        )
        .await;
    assert_eq!(r.problem(), (422, Some("invalid_skus")));
}
