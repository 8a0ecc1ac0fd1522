//! Early answers to flash-sale buyers (`Prefer: respond-async`): an admitted buyer
//! is told 202 with the id their order will have, the order is written on its
//! own, and polling its address gives "queued", then the order or the reason it
//! was not written. The sale stays exact, a twin under the same key gets the same
//! ticket, and nobody sees another's ticket. Both backends.

use crate::commerce_flash::buyers_in_store;
use quan_core::commerce::error::CommerceError;
use quan_core::commerce::flash::{self, Bought};
use quan_core::commerce::tickets::{self, Polled};
use quan_domain::{FlashSaleId, OrderId, OrgId};
use quan_testkit::{TestApp, User, on_both_backends};
use std::collections::BTreeSet;

on_both_backends!(
    an_early_answer_is_a_ticket_that_becomes_the_order,
    twins_of_a_queued_buy_share_its_ticket,
    a_ticket_the_store_refuses_says_why_and_gives_its_unit_back,
    two_thousand_early_buyers_for_a_hundred_units
);

/// A tea shop whose one SKU has `stock`, and a live sale of `units` of it at
/// ¥19.90, one per person: (owner, org, sale id).
async fn sale(app: &TestApp, stock: i64, units: i64) -> (User, String, String) {
    let (owner, org) = app.owner("Tea House").await;
    let p = owner
        .create_product(&org, "明前龙井 Longjing", &[("100 g", 3800, stock)])
        .await;
    let s = owner
        .flash_sale(app, &org, (&p.id, &p.skus[0].id), (1990, units, 1))
        .await;
    (owner, org, s.id)
}

async fn an_early_answer_is_a_ticket_that_becomes_the_order(app: TestApp) {
    let (owner, org, sale) = sale(&app, 50, 3).await;
    let mut buyers = Vec::new();
    for i in 0..8 {
        buyers.push(app.user(&format!("Buyer {i}")).await);
    }
    let tries = futures::future::join_all(
        buyers
            .iter()
            .map(|b| b.try_buy_flash_early(&org, &sale, "early-1")),
    )
    .await;
    let mut queued = Vec::new();
    for (b, r) in buyers.iter().zip(&tries) {
        match r.status {
            202 => queued.push((b, r)),
            _ => assert_eq!(r.problem(), (409, Some("flash_sold_out")), "{}", r.text),
        }
    }
    assert_eq!(queued.len(), 3, "the gate admits the stock");
    let stranger = app.user("Stranger").await;
    for (b, r) in &queued {
        let id = r.body["id"].as_str().unwrap_or_default();
        assert_eq!(r.body["status"], "queued");
        assert_eq!(r.headers["preference-applied"], "respond-async");
        assert_eq!(r.headers["retry-after"], "1", "when to poll");
        let location = r.headers["location"].to_str().unwrap_or_default();
        assert!(
            location.starts_with("http") && location.ends_with(&format!("/api/v1/me/orders/{id}")),
            "an absolute address: {location}"
        );
        assert_eq!(r.body["location"], location);
        let written = b.until_written(id).await;
        assert_eq!(written.status, 200, "{}", written.text);
        assert_eq!(
            (
                written.body["id"].as_str(),
                written.body["total_fen"].as_i64()
            ),
            (Some(id), Some(1990)),
            "the order the ticket promised, at the sale price"
        );
        assert_eq!(written.body["flash_sale_id"], sale.as_str());
        // The same key again is the written order, as for any buy.
        let again = b.try_buy_flash_early(&org, &sale, "early-1").await;
        assert_eq!((again.status, again.body["id"].as_str()), (200, Some(id)));
        // Nobody else sees it, queued or written.
        let r = stranger.c.get(&format!("/api/v1/me/orders/{id}")).await;
        assert_eq!(r.problem().0, 404, "another's order: {}", r.text);
        let r = owner.c.get(&format!("/api/v1/me/orders/{id}")).await;
        assert_eq!(r.problem().0, 404);
    }
    assert_eq!(owner.org_flash_sales(&org).await[0].remaining, 0);
    // Without the preference the answer waits for the order, as before.
    let late = app.user("Late").await;
    let r = late.try_buy_flash(&org, &sale, 1, "k").await;
    assert_eq!(r.problem(), (409, Some("flash_sold_out")));
    assert!(!r.headers.contains_key("preference-applied"));
}

async fn twins_of_a_queued_buy_share_its_ticket(app: TestApp) {
    let (owner, org, sale) = sale(&app, 50, 10).await;
    let buyer = app.user("Twin").await;
    let tries = futures::future::join_all(
        (0..6).map(|_| buyer.try_buy_flash_early(&org, &sale, "same-key")),
    )
    .await;
    let ids: BTreeSet<_> = tries
        .iter()
        .map(|r| {
            assert!(matches!(r.status, 200 | 202), "{}", r.text);
            r.body["id"].as_str().unwrap_or_default().to_owned()
        })
        .collect();
    assert_eq!(ids.len(), 1, "one ticket, one order: {ids:?}");
    let id = ids.first().map(String::as_str).unwrap_or_default();
    assert_eq!(buyer.until_written(id).await.status, 200);
    assert_eq!(owner.org_flash_sales(&org).await[0].remaining, 9);
}

async fn a_ticket_the_store_refuses_says_why_and_gives_its_unit_back(app: TestApp) {
    let (owner, org, sale) = sale(&app, 50, 2).await;
    let sku = owner.org_flash_sales(&org).await[0].sku_id.clone();
    let buyer = app.user("Mei").await;
    // The key was spent on a shop order: the node cannot know it, so a ticket is
    // given; the store refuses the order, and every poll says why.
    let r = buyer.try_order(&org, &[(&sku, 1)], "used").await;
    assert_eq!(r.status, 201, "{}", r.text);
    let r = buyer.try_buy_flash_early(&org, &sale, "used").await;
    assert_eq!(r.status, 202, "{}", r.text);
    let id = r.body["id"].as_str().unwrap_or_default();
    for _ in 0..2 {
        let told = buyer.until_written(id).await;
        assert_eq!(told.problem(), (422, Some("idempotency_key_reused")));
    }
    // Its unit went back to the gate: she buys one under a fresh key.
    let r = buyer.try_buy_flash_early(&org, &sale, "first").await;
    assert_eq!(r.status, 202, "{}", r.text);
    let id = r.body["id"].as_str().unwrap_or_default();
    assert_eq!(buyer.until_written(id).await.status, 200);
    // At her limit she is told so at once, with the preference or without, and
    // holds no unit meanwhile: the last one is still there for someone else.
    let r = buyer.try_buy_flash_early(&org, &sale, "second").await;
    assert_eq!(
        r.problem(),
        (409, Some("flash_limit_reached")),
        "{}",
        r.text
    );
    let r = buyer.try_buy_flash(&org, &sale, 1, "third").await;
    assert_eq!(
        r.problem(),
        (409, Some("flash_limit_reached")),
        "{}",
        r.text
    );
    assert_eq!(owner.org_flash_sales(&org).await[0].remaining, 1);
    let other = app.user("Lan").await;
    let r = other.try_buy_flash_early(&org, &sale, "k").await;
    assert_eq!(r.status, 202, "{}", r.text);
    let id = r.body["id"].as_str().unwrap_or_default();
    assert_eq!(other.until_written(id).await.status, 200);
    assert_eq!(owner.org_flash_sales(&org).await[0].remaining, 0);
    let bo = app.user("Bo").await;
    let r = bo.try_buy_flash_early(&org, &sale, "k").await;
    assert_eq!(r.problem(), (409, Some("flash_sold_out")));
    // Ended by staff: over at once on this node, no ticket given.
    let r = owner.try_end_flash_sale(&org, &sale).await;
    assert_eq!(r.status, 200, "{}", r.text);
    let r = bo.try_buy_flash_early(&org, &sale, "k2").await;
    assert_eq!(r.problem(), (409, Some("flash_ended")), "{}", r.text);
    // Bad input is refused before any ticket.
    let r = other.try_buy_flash_early(&org, &sale, " ").await;
    assert_eq!(r.problem(), (422, Some("idempotency_key_required")));
    let r = other.c.get("/api/v1/me/orders/not-an-id").await;
    assert_eq!(r.problem(), (400, Some("invalid_id")), "{}", r.text);
}

async fn two_thousand_early_buyers_for_a_hundred_units(app: TestApp) {
    let (owner, org, sale) = sale(&app, 150, 100).await;
    let (org_id, sale_id): (OrgId, FlashSaleId) = (
        org.parse().unwrap_or_else(|_| panic!("org id")),
        sale.parse().unwrap_or_else(|_| panic!("sale id")),
    );
    let buyers = buyers_in_store(&app, 2_000).await;
    let tasks: Vec<_> = buyers
        .iter()
        .cloned()
        .map(|a| {
            let svc = app.services.clone();
            tokio::spawn(async move {
                let r = flash::buy_early(&svc, &a, (org_id, sale_id), 1, None, "rush").await;
                (a, r)
            })
        })
        .collect();
    let mut tickets = Vec::new();
    for t in tasks {
        match t.await.unwrap_or_else(|e| panic!("task: {e}")) {
            (a, Ok(Bought::Queued(id))) => tickets.push((a, id)),
            (_, Err(CommerceError::FlashSoldOut)) => {}
            (_, other) => panic!("neither a ticket nor sold out: {other:?}"),
        }
    }
    assert_eq!(tickets.len(), 100, "exactly the stock admitted");
    let mut written = BTreeSet::new();
    for (a, id) in &tickets {
        written.insert(settled(&app, a, *id).await);
    }
    assert_eq!(
        written.len(),
        100,
        "a hundred distinct orders, one per buyer"
    );
    // Refused buyers were told at once and written orders are in the store:
    // the node keeps no ticket for either.
    assert_eq!(app.services.flash.tickets_held(), 0);
    assert_eq!(owner.org_flash_sales(&org).await[0].remaining, 0);
    // The node stopping would wait for nothing: every ticket is finished.
    assert!(
        app.services
            .flash
            .drain(std::time::Duration::from_secs(1))
            .await
    );
}

/// Polls a ticket through the use case until it is no longer queued: the
/// buyer of the order it became.
async fn settled(app: &TestApp, a: &quan_core::access::Actor, id: OrderId) -> String {
    for _ in 0..500 {
        match tickets::poll(&app.services, a, id).await {
            Ok(Polled::Queued) => tokio::time::sleep(std::time::Duration::from_millis(10)).await,
            Ok(Polled::Order(o)) => {
                assert_eq!((o.id, o.status.as_str()), (id, "created"));
                return o.buyer.to_string();
            }
            Err(e) => panic!("ticket {id} refused: {e}"),
        }
    }
    panic!("ticket {id} still queued after 5 s");
}
