//! Flash sales (秒杀): a sale's stock leaves the SKU when it is set up, buyers race
//! for it through the stock gate and never get more than it has, nobody passes the
//! per-person limit, an unpaid order's unit goes back to the sale (and is sold
//! again, still never oversold), a paid one stays, and at the end what is left
//! goes back to the SKU. Both backends; the two-node race is in `cluster.rs`.

use quan_core::access::{Actor, Me};
use quan_core::commerce::error::CommerceError;
use quan_core::commerce::flash;
use quan_core::identity::port::AccountRecord;
use quan_domain::{AccountId, FlashSaleId, OrgId, SessionId};
use quan_testkit::{TestApp, User, on_both_backends};
use serde_json::json;
use std::collections::BTreeSet;

on_both_backends!(
    a_flash_sale_sells_its_stock_at_its_price_and_no_more,
    nobody_passes_the_per_person_limit_even_all_at_once,
    unpaid_flash_orders_give_their_units_back_and_paid_ones_stay,
    a_sale_closes_at_its_end_and_gives_the_rest_to_the_sku,
    staff_end_a_sale_early_and_set_up_no_overlapping_one,
    bad_flash_sales_are_refused_with_their_reasons,
    bad_flash_buys_are_refused_and_take_nothing,
    ten_thousand_buyers_for_a_hundred_units_twice,
    twins_under_one_key_in_a_rush_make_one_order_each
);

/// A tea shop with one SKU (¥38, stock 50): (owner, org, product, sku).
async fn shop(app: &TestApp) -> (User, String, String, String) {
    let (owner, org) = app.owner("Tea House").await;
    let p = owner
        .create_product(&org, "明前龙井 Longjing", &[("100 g", 3800, 50)])
        .await;
    let sku = p.skus[0].id.clone();
    (owner, org, p.id, sku)
}

async fn users(app: &TestApp, n: usize) -> Vec<User> {
    futures::future::join_all((0..n).map(|i| {
        let name = format!("Buyer {i}");
        async move { app.user(&name).await }
    }))
    .await
}

async fn sku_stock(u: &User, org: &str, product: &str) -> i64 {
    u.shop_product(org, product).await.skus[0].stock
}

async fn a_flash_sale_sells_its_stock_at_its_price_and_no_more(app: TestApp) {
    let (owner, org, product, sku) = shop(&app).await;
    let sale = owner
        .flash_sale(&app, &org, (&product, &sku), (1990, 10, 1))
        .await;
    assert_eq!((sale.phase.as_str(), sale.remaining), ("live", 10));
    assert_eq!(sale.list_price_fen, 3800);
    // The sale's ten leave the shelf at once.
    assert_eq!(sku_stock(&owner, &org, &product).await, 40);
    let buyers = users(&app, 30).await;
    assert_eq!(buyers[0].shop_flash_sales(&org).await[0].id, sale.id);
    let tries = futures::future::join_all(
        buyers
            .iter()
            .map(|b| b.try_buy_flash(&org, &sale.id, 1, "flash-1")),
    )
    .await;
    let won: Vec<_> = tries.iter().filter(|r| r.status == 201).collect();
    let lost = tries
        .iter()
        .filter(|r| r.problem() == (409, Some("flash_sold_out")))
        .count();
    assert_eq!(
        (won.len(), lost),
        (10, 20),
        "{:?}",
        tries.iter().map(|r| &r.text).collect::<Vec<_>>()
    );
    for r in &won {
        assert_eq!(r.body["total_fen"], 1990, "the sale price");
        assert_eq!(r.body["flash_sale_id"], sale.id.as_str());
        assert_eq!(r.body["lines"][0]["unit_fen"], 1990);
    }
    let after = &owner.org_flash_sales(&org).await[0];
    assert_eq!(after.remaining, 0);
    assert_eq!(
        sku_stock(&owner, &org, &product).await,
        40,
        "the shelf is untouched"
    );
    // A winner retrying with the same key gets their order back, though sold out.
    let (i, first) = tries
        .iter()
        .enumerate()
        .find(|(_, r)| r.status == 201)
        .unwrap_or_else(|| panic!("a winner"));
    let again = buyers[i].try_buy_flash(&org, &sale.id, 1, "flash-1").await;
    assert_eq!(
        (again.status, &again.body["id"]),
        (200, &first.body["id"]),
        "{}",
        again.text
    );
    // The same key for something else is refused.
    let r = buyers[i].try_order(&org, &[(&sku, 1)], "flash-1").await;
    assert_eq!(r.problem(), (422, Some("idempotency_key_reused")));
}

/// Twenty new buyers each send the same buy twice at once under one key: their
/// orders share the group writer's statements (keys, units, allowances, persons),
/// and each buyer gets one order, the twin its replay, one unit taken each.
async fn twins_under_one_key_in_a_rush_make_one_order_each(app: TestApp) {
    let (owner, org, product, sku) = shop(&app).await;
    let sale = owner
        .flash_sale(&app, &org, (&product, &sku), (2500, 40, 1))
        .await;
    // Enough units for every try: a twin the gate turned away would be told "sold
    // out" while its first order is still being written (see `flash::SaleCache`).
    let buyers = users(&app, 20).await;
    let (o, s) = (&org, &sale.id);
    let tries = futures::future::join_all(buyers.iter().flat_map(|b| {
        (0..2).map(move |_| async move { (b, b.try_buy_flash(o, s, 1, "twin").await) })
    }))
    .await;
    let mut orders = BTreeSet::new();
    for b in &buyers {
        let mine: Vec<_> = tries.iter().filter(|(who, _)| who.id == b.id).collect();
        let mut statuses: Vec<u16> = mine.iter().map(|(_, r)| r.status).collect();
        statuses.sort_unstable();
        assert_eq!(
            statuses,
            [200, 201],
            "{:?}",
            mine.iter().map(|(_, r)| &r.text).collect::<Vec<_>>()
        );
        assert_eq!(
            mine[0].1.body["id"], mine[1].1.body["id"],
            "the twin gets the same order"
        );
        orders.insert(mine[0].1.body["id"].to_string());
    }
    assert_eq!(orders.len(), 20);
    assert_eq!(owner.org_flash_sales(&org).await[0].remaining, 20);
}

async fn nobody_passes_the_per_person_limit_even_all_at_once(app: TestApp) {
    let (owner, org, product, sku) = shop(&app).await;
    let sale = owner
        .flash_sale(&app, &org, (&product, &sku), (2500, 40, 2))
        .await;
    let buyers = users(&app, 5).await;
    // Each buyer sends six buys of one at once, under six keys: two each go through.
    let (o, s) = (&org, &sale.id);
    let tries = futures::future::join_all(buyers.iter().flat_map(|b| {
        (0..6).map(move |k| async move {
            (
                b.id.clone(),
                b.try_buy_flash(o, s, 1, &format!("k{k}")).await,
            )
        })
    }))
    .await;
    for b in &buyers {
        let mine: Vec<_> = tries.iter().filter(|(id, _)| *id == b.id).collect();
        let won = mine.iter().filter(|(_, r)| r.status == 201).count();
        let limited = mine
            .iter()
            .filter(|(_, r)| r.problem() == (409, Some("flash_limit_reached")))
            .count();
        assert_eq!(
            (won, limited),
            (2, 4),
            "{:?}",
            mine.iter().map(|(_, r)| &r.text).collect::<Vec<_>>()
        );
    }
    // What the limited tries took from the gate went back: 30 left to sell.
    let after = &owner.org_flash_sales(&org).await[0];
    assert_eq!(after.remaining, 30);
    let late = app.user("Late").await;
    let r = late.try_buy_flash(&org, &sale.id, 3, "k").await;
    assert_eq!(r.problem(), (422, Some("flash_quantity_over_limit")));
    let r = late.try_buy_flash(&org, &sale.id, 2, "k").await;
    assert_eq!(r.status, 201, "{}", r.text);
    assert_eq!(r.body["total_fen"], 5000);
}

async fn unpaid_flash_orders_give_their_units_back_and_paid_ones_stay(app: TestApp) {
    let (owner, org, product, sku) = shop(&app).await;
    let sale = owner
        .flash_sale(&app, &org, (&product, &sku), (990, 3, 1))
        .await;
    let first = users(&app, 3).await;
    let mut orders = Vec::new();
    for b in &first {
        let r = b.try_buy_flash(&org, &sale.id, 1, "k").await;
        assert_eq!(r.status, 201, "{}", r.text);
        orders.push(r.body["id"].as_str().unwrap_or_default().to_owned());
    }
    let late = app.user("Late").await;
    let r = late.try_buy_flash(&org, &sale.id, 1, "k").await;
    assert_eq!(r.problem(), (409, Some("flash_sold_out")));
    // One pays; one cancels (its unit is back at once); one lets it lapse.
    let pay = first[0].pay(&orders[0]).await;
    let back = first[0].sandbox_decide(&pay.pay_url, "succeeded").await;
    assert_eq!(back.status, 303, "{}", back.text);
    app.until_order(&first[0], &orders[0], "paid").await;
    assert_eq!(first[1].try_cancel_order(&orders[1]).await.status, 200);
    assert_eq!(owner.org_flash_sales(&org).await[0].remaining, 1);
    let r = late.try_buy_flash(&org, &sale.id, 1, "k2").await;
    assert_eq!(
        r.status, 201,
        "the cancelled unit is sold again: {}",
        r.text
    );
    app.clock.advance_secs(15 * 60 + 1);
    app.run_due_jobs().await;
    assert_eq!(first[2].my_order(&orders[2]).await.status, "cancelled");
    assert_eq!(
        first[0].my_order(&orders[0]).await.status,
        "paid",
        "a paid order stays"
    );
    assert_eq!(
        owner.org_flash_sales(&org).await[0].remaining,
        2,
        "the lapsed two are back"
    );
    // Sold again, to a crowd, and still never past the stock; the buyer whose
    // order lapsed has their allowance back.
    let crowd = users(&app, 8).await;
    let mut tries = futures::future::join_all(
        crowd
            .iter()
            .map(|b| b.try_buy_flash(&org, &sale.id, 1, "k")),
    )
    .await;
    tries.push(first[2].try_buy_flash(&org, &sale.id, 1, "k-again").await);
    assert_eq!(tries.iter().filter(|r| r.status == 201).count(), 2);
    assert!(
        tries
            .iter()
            .all(|r| r.status == 201 || r.problem() == (409, Some("flash_sold_out")))
    );
    assert_eq!(owner.org_flash_sales(&org).await[0].remaining, 0);
    // The one who paid may not buy a second.
    let r = first[0].try_buy_flash(&org, &sale.id, 1, "k3").await;
    assert!(matches!(
        r.problem(),
        (409, Some("flash_sold_out" | "flash_limit_reached"))
    ));
}

async fn a_sale_closes_at_its_end_and_gives_the_rest_to_the_sku(app: TestApp) {
    let (owner, org, product, sku) = shop(&app).await;
    let sale = owner
        .flash_sale(&app, &org, (&product, &sku), (1990, 5, 1))
        .await;
    assert_eq!(sku_stock(&owner, &org, &product).await, 45);
    let buyers = users(&app, 2).await;
    let paid = buyers[0].try_buy_flash(&org, &sale.id, 1, "k").await;
    let lapses = buyers[1].try_buy_flash(&org, &sale.id, 1, "k").await;
    assert_eq!((paid.status, lapses.status), (201, 201));
    let paid_id = paid.body["id"].as_str().unwrap_or_default().to_owned();
    let p = buyers[0].pay(&paid_id).await;
    buyers[0].sandbox_decide(&p.pay_url, "succeeded").await;
    app.until_order(&buyers[0], &paid_id, "paid").await;
    // An hour on: the lapsed order gave its unit back, the close gave the sale's
    // four left to the shelf.
    app.clock.advance_secs(3_601);
    app.run_due_jobs().await;
    let after = &owner.org_flash_sales(&org).await[0];
    assert_eq!(
        (after.closed, after.remaining, after.phase.as_str()),
        (true, 4, "ended"),
        "the four it gave back"
    );
    assert_eq!(sku_stock(&owner, &org, &product).await, 49);
    assert!(buyers[0].shop_flash_sales(&org).await.is_empty());
    let r = app
        .user("Late")
        .await
        .try_buy_flash(&org, &sale.id, 1, "k")
        .await;
    assert_eq!(r.problem(), (409, Some("flash_ended")));
    // A sale that starts tomorrow is shown as coming and refuses buyers until then.
    let now = quan_core::Clock::now(app.clock.as_ref()).millis();
    let r = owner
        .try_create_flash_sale(
            &org,
            json!({"product_id": product, "sku_id": sku, "starts_at": now + 86_400_000,
                   "ends_at": now + 90_000_000, "price_fen": 100, "stock": 1, "per_person": 1}),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.text);
    let coming = r.body["id"].as_str().unwrap_or_default().to_owned();
    assert_eq!(buyers[1].shop_flash_sales(&org).await[0].phase, "upcoming");
    let r = buyers[1].try_buy_flash(&org, &coming, 1, "k2").await;
    assert_eq!(r.problem(), (409, Some("flash_not_started")));
}

async fn staff_end_a_sale_early_and_set_up_no_overlapping_one(app: TestApp) {
    let (owner, org, product, sku) = shop(&app).await;
    let sale = owner
        .flash_sale(&app, &org, (&product, &sku), (1990, 5, 1))
        .await;
    let now = quan_core::Clock::now(app.clock.as_ref()).millis();
    let later = json!({"product_id": product, "sku_id": sku, "starts_at": now + 1_800_000,
                       "ends_at": now + 7_200_000, "price_fen": 1500, "stock": 5, "per_person": 1});
    // Half an hour on, overlapping the first: a buyer would see two prices.
    let r = owner.try_create_flash_sale(&org, later.clone()).await;
    assert_eq!(r.problem(), (409, Some("flash_overlaps")));
    let buyer = app.user("Mei").await;
    let r = buyer.try_buy_flash(&org, &sale.id, 1, "k").await;
    assert_eq!(r.status, 201, "{}", r.text);
    // Only managers end a sale, and only their own org's.
    let sales = app.user("Sam").await;
    app.join(&owner, &org, &sales, "sales").await;
    let r = sales.try_end_flash_sale(&org, &sale.id).await;
    assert_eq!(r.problem(), (403, Some("forbidden")));
    let (other, other_org) = app.owner("Other").await;
    let r = other.try_end_flash_sale(&other_org, &sale.id).await;
    assert_eq!(r.problem().0, 404);
    let r = owner.try_end_flash_sale(&org, &sale.id).await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(
        (&r.body["phase"], &r.body["closed"], &r.body["remaining"]),
        (&json!("ended"), &json!(true), &json!(4))
    );
    assert_eq!(
        sku_stock(&owner, &org, &product).await,
        49,
        "four back, one sold"
    );
    let again = owner.try_end_flash_sale(&org, &sale.id).await;
    assert_eq!((again.status, &again.body["remaining"]), (200, &json!(4)));
    assert!(buyer.shop_flash_sales(&org).await.is_empty());
    let r = app
        .user("Tony")
        .await
        .try_buy_flash(&org, &sale.id, 1, "k")
        .await;
    assert!(
        matches!(r.problem(), (409, Some("flash_sold_out" | "flash_ended"))),
        "{}",
        r.text
    );
    assert_eq!(buyer.my_orders().await.items.len(), 1, "the order stands");
    // Ended, it no longer overlaps; a product off the shelf gets no sale.
    let r = owner.try_create_flash_sale(&org, later.clone()).await;
    assert_eq!(r.status, 201, "{}", r.text);
    let hidden = owner
        .create_product(&org, "中秋礼盒 Mooncake box", &[("6 pcs", 16800, 10)])
        .await;
    let r = owner
        .try_update_product(
            &org,
            &hidden.id,
            json!({"name": "中秋礼盒 Mooncake box", "published": false,
                   "skus": [{"id": hidden.skus[0].id, "name": "6 pcs", "price_fen": 16800, "stock": 10}]}),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    let mut body = later;
    body["product_id"] = json!(hidden.id);
    body["sku_id"] = json!(hidden.skus[0].id);
    let r = owner.try_create_flash_sale(&org, body).await;
    assert_eq!(r.problem(), (409, Some("flash_product_unpublished")));
}

async fn bad_flash_sales_are_refused_with_their_reasons(app: TestApp) {
    let (owner, org, product, sku) = shop(&app).await;
    let now = quan_core::Clock::now(app.clock.as_ref()).millis();
    let base = json!({"product_id": product, "sku_id": sku, "starts_at": now,
                      "ends_at": now + 3_600_000, "price_fen": 1990, "stock": 5, "per_person": 1});
    let with = |k: &str, v: serde_json::Value| {
        let mut b = base.clone();
        b[k] = v;
        b
    };
    for (body, want) in [
        (
            with("price_fen", json!(3800)),
            (422, "flash_price_not_lower"),
        ),
        (with("price_fen", json!(0)), (422, "amount_not_positive")),
        (with("price_fen", json!(-5)), (422, "amount_not_positive")),
        (
            with("price_fen", json!(i64::MAX)),
            (422, "amount_too_large"),
        ),
        (with("stock", json!(0)), (422, "flash_invalid_stock")),
        (with("stock", json!(51)), (409, "flash_stock_over_sku")),
        (with("per_person", json!(0)), (422, "invalid_limit")),
        (with("per_person", json!(100)), (422, "invalid_limit")),
        (
            with("per_person", json!(6)),
            (422, "flash_limit_over_stock"),
        ),
        (
            with("ends_at", json!(now + 30_000)),
            (422, "flash_window_too_short"),
        ),
        (
            with("ends_at", json!(now + 8 * 86_400_000)),
            (422, "flash_window_too_long"),
        ),
        (
            with("starts_at", json!(now - 3_600_000)),
            (422, "flash_starts_in_past"),
        ),
        (with("sku_id", json!("not-an-id")), (400, "invalid_id")),
        (with("sku_id", json!(product)), (422, "unknown_sku")),
        (with("stock", json!("5")), (422, "invalid_body")),
    ] {
        let r = owner.try_create_flash_sale(&org, body.clone()).await;
        assert_eq!(r.problem(), (want.0, Some(want.1)), "{body}: {}", r.text);
    }
    assert!(
        owner.org_flash_sales(&org).await.is_empty(),
        "nothing was made"
    );
    assert_eq!(sku_stock(&owner, &org, &product).await, 50);
    // Sales staff may not set one up; another org does not see this one.
    let sales = app.user("Sam").await;
    app.join(&owner, &org, &sales, "sales").await;
    let r = sales.try_create_flash_sale(&org, base.clone()).await;
    assert_eq!(r.problem(), (403, Some("forbidden")));
    let (other, other_org) = app.owner("Other").await;
    let r = other.try_create_flash_sale(&other_org, base.clone()).await;
    assert_eq!(r.problem().0, 404, "another org's product: {}", r.text);
}

async fn bad_flash_buys_are_refused_and_take_nothing(app: TestApp) {
    let (owner, org, product, sku) = shop(&app).await;
    let sale = owner
        .flash_sale(&app, &org, (&product, &sku), (1990, 5, 1))
        .await;
    let (other, other_org) = app.owner("Other").await;
    let r = other.try_buy_flash(&other_org, &sale.id, 1, "k").await;
    assert_eq!(r.problem().0, 404, "a sale under another shop's address");
    assert!(other.org_flash_sales(&other_org).await.is_empty());
    let buyer = app.user("Mei").await;
    for (q, key, want) in [
        (0, "k", (422, "quantity_not_positive")),
        (-1, "k", (422, "quantity_not_positive")),
        (1000, "k", (422, "quantity_too_large")),
        (1, " ", (422, "idempotency_key_required")),
    ] {
        let r = buyer.try_buy_flash(&org, &sale.id, q, key).await;
        assert_eq!(
            r.problem(),
            (want.0, Some(want.1)),
            "{q} {key:?}: {}",
            r.text
        );
    }
    let r = buyer
        .try_buy_flash(&org, &uuid::Uuid::now_v7().to_string(), 1, "k")
        .await;
    assert_eq!(r.problem().0, 404);
    let r = buyer
        .c
        .post(
            &format!("/api/v1/shops/{org}/flash-sales/{}/orders", sale.id),
            json!({"quantity": 1, "extra": true}),
        )
        .await;
    assert_eq!(r.problem().0, 422, "{}", r.text);
    assert_eq!(
        owner.org_flash_sales(&org).await[0].remaining,
        5,
        "nothing taken"
    );
    // A product taken off the shelf takes its sale with it.
    let r = owner
        .try_update_product(
            &org,
            &product,
            json!({"name": "明前龙井 Longjing", "published": false,
                   "skus": [{"id": sku, "name": "100 g", "price_fen": 3800, "stock": 45}]}),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert!(buyer.shop_flash_sales(&org).await.is_empty());
    let r = buyer.try_buy_flash(&org, &sale.id, 1, "k").await;
    assert_eq!(r.problem(), (409, Some("flash_sold_out")));
    assert_eq!(owner.org_flash_sales(&org).await[0].remaining, 5);
}

/// Accounts written straight to the store (signing ten thousand up over HTTP
/// would measure argon2), each acting through the use case as its session would.
pub(crate) async fn buyers_in_store(app: &TestApp, n: usize) -> Vec<Actor> {
    let now = quan_core::Clock::now(app.clock.as_ref());
    let mut out = Vec::with_capacity(n);
    for i in 0..n {
        let a = AccountRecord {
            id: AccountId::new(),
            email: None,
            phone: None,
            display_name: format!("抢购 {i}"),
            password_hash: "-".to_owned(),
            created_at: now,
        };
        app.services
            .store
            .account_insert(&a)
            .await
            .unwrap_or_else(|e| panic!("account: {e}"));
        out.push(Actor::Session {
            account: Me::from(&a),
            session: SessionId::new(),
        });
    }
    out
}

/// Every buyer at once, each once under `key`: the ids of the orders made.
pub(crate) async fn race(
    app: &TestApp,
    buyers: &[Actor],
    org: OrgId,
    sale: FlashSaleId,
    key: &str,
) -> Vec<String> {
    race_on(&[app], buyers, org, sale, key).await
}

/// [`race`] with the buyers spread over `nodes` in turn.
pub(crate) async fn race_on(
    nodes: &[&TestApp],
    buyers: &[Actor],
    org: OrgId,
    sale: FlashSaleId,
    key: &str,
) -> Vec<String> {
    let tasks: Vec<_> = buyers
        .iter()
        .cloned()
        .enumerate()
        .map(|(i, a)| {
            let svc = nodes[i % nodes.len()].services.clone();
            let key = key.to_owned();
            tokio::spawn(async move { flash::buy(&svc, &a, (org, sale), 1, None, &key).await })
        })
        .collect();
    let mut won = Vec::new();
    for t in tasks {
        match t.await.unwrap_or_else(|e| panic!("task: {e}")) {
            Ok((o, false)) => won.push(o.id.to_string()),
            Err(CommerceError::FlashSoldOut | CommerceError::FlashLimitReached) => {}
            other => panic!("neither an order nor sold out: {other:?}"),
        }
    }
    won
}

async fn ten_thousand_buyers_for_a_hundred_units_twice(app: TestApp) {
    let (owner, org, product, sku) = shop(&app).await;
    // A hundred units: the SKU needs them first.
    let r = owner
        .try_update_product(
            &org,
            &product,
            json!({"name": "明前龙井", "published": true,
                   "skus": [{"id": sku, "name": "100 g", "price_fen": 3800, "stock": 150}]}),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    let sale = owner
        .flash_sale(&app, &org, (&product, &sku), (1990, 100, 1))
        .await;
    let (org_id, sale_id): (OrgId, FlashSaleId) = (
        org.parse().unwrap_or_else(|_| panic!("org id")),
        sale.id.parse().unwrap_or_else(|_| panic!("sale id")),
    );
    let buyers = buyers_in_store(&app, 10_000).await;
    let first = race(&app, &buyers, org_id, sale_id, "round-1").await;
    assert_eq!(first.len(), 100, "exactly the stock");
    assert_eq!(owner.org_flash_sales(&org).await[0].remaining, 0);
    // Nobody unpaid keeps theirs: an hour's reservation later they are all back,
    // sold again to the same crowd, and again exactly the stock.
    app.clock.advance_secs(15 * 60 + 1);
    app.run_due_jobs().await;
    assert_eq!(owner.org_flash_sales(&org).await[0].remaining, 100);
    let second = race(&app, &buyers, org_id, sale_id, "round-2").await;
    assert_eq!(second.len(), 100);
    let all: BTreeSet<_> = first.iter().chain(&second).collect();
    assert_eq!(all.len(), 200, "two hundred distinct orders");
    assert_eq!(owner.org_flash_sales(&org).await[0].remaining, 0);
    // No buyer holds more than one live order of the sale.
    let mut holders = BTreeSet::new();
    for id in &second {
        let o = app
            .services
            .store
            .order_by_id(id.parse().unwrap_or_else(|_| panic!("order id")))
            .await
            .unwrap_or_else(|e| panic!("{e}"))
            .unwrap_or_else(|| panic!("order {id}"));
        assert_eq!(o.status.as_str(), "created");
        assert!(holders.insert(o.buyer), "one buyer, two live orders");
    }
    assert_eq!(sku_stock(&owner, &org, &product).await, 50);
}
