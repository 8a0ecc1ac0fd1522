//! The cart: lines of one shop set by quantity and taken out with 0, never another
//! shop's SKU, at most 50 lines, private to its buyer; a line the shop stops
//! selling stays, marked, until taken out; the cart's lines price and order like
//! any others, a coupon apportioned over them. Both backends.

use quan_testkit::{TestApp, on_both_backends};
use serde_json::json;

on_both_backends!(
    a_cart_holds_lines_and_checks_out_with_a_coupon,
    a_cart_is_bounded_private_and_keeps_what_went_off_sale
);

async fn a_cart_holds_lines_and_checks_out_with_a_coupon(app: TestApp) {
    let (owner, org) = app.owner("Tea House").await;
    let tea = owner
        .create_product(&org, "乌龙 Oolong", &[("100 g", 6800, 10)])
        .await;
    let cup = owner
        .create_product(&org, "茶杯 Cup", &[("white", 3000, 10)])
        .await;
    let (tea_sku, cup_sku) = (tea.skus[0].id.clone(), cup.skus[0].id.clone());
    let mei = app.user("Mei").await;
    assert!(mei.cart(&org).await.lines.is_empty());
    mei.set_cart(&org, &tea_sku, 1).await;
    mei.set_cart(&org, &cup_sku, 3).await;
    let cart = mei.set_cart(&org, &cup_sku, 2).await;
    let held: Vec<(&str, i64, Option<i64>)> = cart
        .lines
        .iter()
        .map(|l| (l.sku_id.as_str(), l.quantity, l.unit_fen))
        .collect();
    assert_eq!(
        held,
        [
            (tea_sku.as_str(), 1, Some(6800)),
            (cup_sku.as_str(), 2, Some(3000))
        ]
    );
    // Ten taps of "Add to cart" at once: all ten count, none lost.
    let (org_id, sku_id) = (
        org.parse().unwrap_or_else(|e| panic!("{e}")),
        cup_sku.parse().unwrap_or_else(|e| panic!("{e}")),
    );
    let tapper = crate::commerce_flash::buyers_in_store(&app, 1)
        .await
        .remove(0);
    let adds = futures::future::join_all(
        (0..10).map(|_| quan_core::commerce::cart::add(&app.services, &tapper, org_id, sku_id, 1)),
    )
    .await;
    assert!(adds.iter().all(Result::is_ok), "{adds:?}");
    let held = quan_core::commerce::cart::lines(&app.services, &tapper, org_id)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(held.iter().map(|l| l.quantity).collect::<Vec<_>>(), [10]);
    // Nothing is reserved by a cart.
    assert_eq!(owner.shop_product(&org, &cup.id).await.skus[0].stock, 10);
    // Checked out with a spend-and-save coupon: ¥20 off ¥128, split by line.
    let c = owner
        .create_coupon(
            &org,
            json!({"name": "满100减20", "kind": "threshold", "min_spend_fen": 10_000, "off_fen": 2000,
                   "scope": "all", "valid_days": 7, "supply": 5, "per_person": 1}),
        )
        .await;
    let claim = mei.claim(&org, &c.id, "c").await;
    let lines: Vec<(&str, i64)> = cart
        .lines
        .iter()
        .map(|l| (l.sku_id.as_str(), l.quantity))
        .collect();
    let p = mei.preview(&org, &lines, Some(&claim.id)).await;
    assert_eq!(
        (p.list_fen, p.coupon_off_fen, p.total_fen),
        (12_800, 2000, 10_800)
    );
    let parts: Vec<i64> = p.lines.iter().map(|l| l.coupon_off_fen).collect();
    assert_eq!(parts, [1063, 937]);
    let o = mei.order_with(&org, &lines, &claim.id, "o").await;
    assert_eq!(o.total_fen, 10_800);
    // The checkout page's language switch comes back to the cart's checkout.
    let page = mei.c.get(&format!("/app/shop/{org}/checkout?cart=1")).await;
    assert!(
        page.text.contains("How your price is built"),
        "{}",
        page.text
    );
    assert!(page.text.contains("next=%2Fapp%2Fshop%2F") && page.text.contains("%3Fcart%3D1"));
    // Taken out with 0; the order does not empty an API client's cart.
    mei.set_cart(&org, &tea_sku, 0).await;
    assert_eq!(mei.cart(&org).await.lines.len(), 1);
}

async fn a_cart_is_bounded_private_and_keeps_what_went_off_sale(app: TestApp) {
    let (owner, org) = app.owner("Tea House").await;
    // Three products of 17 SKUs (a product has at most 20): 51 SKUs.
    let names: Vec<String> = (0..17).map(|i| format!("#{i}")).collect();
    let rows: Vec<(&str, i64, i64)> = names.iter().map(|n| (n.as_str(), 100, 5)).collect();
    let mut products = Vec::new();
    for n in 0..3 {
        products.push(
            owner
                .create_product(&org, &format!("Sampler {n}"), &rows)
                .await,
        );
    }
    let all: Vec<String> = products
        .iter()
        .flat_map(|p| p.skus.iter().map(|s| s.id.clone()))
        .collect();
    let mei = app.user("Mei").await;
    for s in &all[..50] {
        mei.set_cart(&org, s, 1).await;
    }
    let r = mei.try_set_cart(&org, &all[50], 1).await;
    assert_eq!(r.problem(), (422, Some("cart_full")));
    // A line already there still changes; bad quantities and SKUs are refused.
    mei.set_cart(&org, &all[0], 999).await;
    assert_eq!(
        mei.try_set_cart(&org, &all[0], 1000).await.problem(),
        (422, Some("quantity_too_large"))
    );
    assert_eq!(
        mei.try_set_cart(&org, &all[0], -1).await.problem(),
        (422, Some("quantity_not_positive"))
    );
    assert_eq!(
        mei.try_set_cart(&org, "nope", 1).await.problem(),
        (400, Some("invalid_id"))
    );
    let (other, other_org) = app.owner("Other").await;
    let theirs = other
        .create_product(&other_org, "Cup", &[("cup", 1000, 5)])
        .await;
    let r = mei.try_set_cart(&org, &theirs.skus[0].id, 1).await;
    assert_eq!(
        r.problem(),
        (422, Some("unknown_sku")),
        "another shop's SKU"
    );
    // Private: another buyer's cart in the shop is their own.
    assert!(app.user("Tony").await.cart(&org).await.lines.is_empty());
    // Off sale: the line stays, marked, until taken out.
    let p = &products[0];
    let body = json!({"name": "Sampler 0", "published": false,
        "skus": p.skus.iter().map(|s| json!({"id": s.id, "name": s.name, "price_fen": s.price_fen, "stock": s.stock})).collect::<Vec<_>>()});
    assert_eq!(
        owner.try_update_product(&org, &p.id, body).await.status,
        200
    );
    let cart = mei.cart(&org).await;
    assert_eq!(cart.lines.len(), 50);
    let off = cart
        .lines
        .iter()
        .filter(|l| !l.available && l.unit_fen.is_none())
        .count();
    assert_eq!(off, 17, "the unpublished product's lines, marked");
    mei.set_cart(&org, &p.skus[0].id, 0).await;
    assert_eq!(mei.cart(&org).await.lines.len(), 49);
}
