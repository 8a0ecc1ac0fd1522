//! Refunds: a buyer asks, staff approve (twice at once: one refund) or decline; the
//! refund leaves through the outbox and the job queue, is asked of the provider by
//! its own id (asked twice, refunded once), and settles by the provider's signed
//! webhook (sent twice, applied once). An order refunded before it shipped gives
//! its stock back; a payment that came too late is refunded by itself. Both
//! backends.

use quan_testkit::{TestApp, User, on_both_backends};

on_both_backends!(
    an_approved_refund_goes_out_once_and_settles_by_webhook,
    the_provider_refunds_a_payment_once,
    a_declined_request_and_a_shipped_order,
    a_payment_too_late_is_refunded_by_itself,
    refunds_of_lines_give_back_what_each_paid,
    a_declined_line_may_be_asked_again,
    approve_and_decline_at_once_agree
);

/// An owner's shop with one SKU (stock 3) and a buyer whose order of one is paid:
/// (owner, org, buyer, product id, order id).
async fn paid(app: &TestApp) -> (User, String, User, String, String) {
    let (owner, org) = app.owner("Tea House").await;
    let p = owner
        .create_product(&org, "桂花乌龙", &[("50 g", 3800, 3)])
        .await;
    let buyer = app.user("Mei").await;
    let o = buyer.order(&org, &[(&p.skus[0].id, 1)], "k").await;
    let pay = buyer.pay(&o.id).await;
    assert_eq!(
        buyer.sandbox_decide(&pay.pay_url, "succeeded").await.status,
        303
    );
    app.until_order(&buyer, &o.id, "paid").await;
    (owner, org, buyer, p.id, o.id)
}

async fn an_approved_refund_goes_out_once_and_settles_by_webhook(app: TestApp) {
    let (owner, org, buyer, product, order) = paid(&app).await;
    assert_eq!(buyer.shop_product(&org, &product).await.skus[0].stock, 2);
    let r = buyer.try_request_refund(&order, &"长".repeat(201)).await;
    assert_eq!(r.problem(), (422, Some("too_long")), "a bounded reason");
    let r = buyer
        .try_request_refund(&order, "买重了 Ordered twice")
        .await;
    assert_eq!(
        (r.status, r.body["status"].as_str()),
        (200, Some("refund_requested"))
    );
    let r = buyer.try_request_refund(&order, "again").await;
    assert_eq!(r.problem(), (409, Some("illegal_transition")));
    // Another org's staff cannot approve it, nor the buyer (no staff: not found).
    let (other, other_org) = app.owner("Other").await;
    assert_eq!(
        other
            .try_refund_decision(&other_org, &order, "approve")
            .await
            .problem()
            .0,
        404
    );
    assert_eq!(
        buyer
            .c
            .post(
                &format!("/api/v1/orgs/{org}/orders/{order}/refund/approve"),
                serde_json::json!({})
            )
            .await
            .problem()
            .0,
        404
    );
    // Two staff approve at once: one refund.
    let (a, b) = tokio::join!(
        owner.try_refund_decision(&org, &order, "approve"),
        owner.try_refund_decision(&org, &order, "approve")
    );
    let mut codes = [a.problem(), b.problem()];
    codes.sort();
    assert_eq!(
        codes,
        [(200, None), (409, Some("refund_exists"))],
        "{} / {}",
        a.text,
        b.text
    );
    app.until_order(&buyer, &order, "refunded").await;
    assert_eq!(
        buyer.shop_product(&org, &product).await.skus[0].stock,
        3,
        "not shipped: back on the shelf"
    );
    let log: Vec<String> = owner
        .payment_log(&org)
        .await
        .into_iter()
        .map(|w| w.outcome)
        .collect();
    assert_eq!(
        log.iter().filter(|o| *o == "refunded").count(),
        1,
        "{log:?}"
    );
    let r = buyer.try_request_refund(&order, "").await;
    assert_eq!(
        r.problem(),
        (409, Some("illegal_transition")),
        "refunded is final"
    );
}

async fn the_provider_refunds_a_payment_once(app: TestApp) {
    let (owner, org, buyer, _, order) = paid(&app).await;
    buyer.try_request_refund(&order, "").await;
    assert_eq!(
        owner
            .try_refund_decision(&org, &order, "approve")
            .await
            .status,
        200
    );
    app.until_order(&buyer, &order, "refunded").await;
    let oid: quan_domain::OrderId = order.parse().unwrap_or_else(|e| panic!("{e}"));
    let refunds = quan_core::commerce::port::CommerceStore::refunds_of_order(
        app.services.store.as_ref(),
        oid,
    )
    .await
    .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(refunds.len(), 1);
    assert_eq!(
        (refunds[0].status.as_str(), refunds[0].amount.fen()),
        ("succeeded", 3800)
    );
    // Asked of the provider again with the same refund id (a retried job): accepted,
    // refunded once; a new refund of the same charge would pass its amount.
    let pid = refunds[0].payment_id;
    let pay =
        quan_core::commerce::port::CommerceStore::payment_get(app.services.store.as_ref(), pid)
            .await
            .unwrap_or_else(|e| panic!("{e}"))
            .unwrap_or_else(|| panic!("no payment"));
    let ask = |refund| quan_core::ports::RefundRequest {
        refund,
        provider_ref: pay.provider_ref.clone(),
        amount: pay.amount,
    };
    assert!(
        app.services
            .payments
            .refund(&ask(refunds[0].id))
            .await
            .is_ok()
    );
    assert!(
        app.services
            .payments
            .refund(&ask(quan_domain::RefundId::new()))
            .await
            .is_err()
    );
    app.run_due_jobs().await;
    let log: Vec<String> = owner
        .payment_log(&org)
        .await
        .into_iter()
        .map(|w| w.outcome)
        .collect();
    assert_eq!(
        log.iter().filter(|o| *o == "refunded").count(),
        1,
        "{log:?}"
    );
}

async fn a_declined_request_and_a_shipped_order(app: TestApp) {
    let (owner, org, buyer, product, order) = paid(&app).await;
    buyer.try_request_refund(&order, "").await;
    let r = owner.try_refund_decision(&org, &order, "decline").await;
    assert_eq!(
        (r.status, r.body["status"].as_str()),
        (200, Some("paid")),
        "{}",
        r.text
    );
    // Shipped, then refunded: the goods are gone, the stock stays as it was.
    assert_eq!(
        owner
            .try_org_order_step(&org, &order, "fulfil")
            .await
            .status,
        200
    );
    assert_eq!(
        buyer
            .try_request_refund(&order, "坏了 Arrived broken")
            .await
            .status,
        200
    );
    let r = owner.try_refund_decision(&org, &order, "decline").await;
    assert_eq!(r.body["status"], "fulfilled", "back to where it was");
    buyer.try_request_refund(&order, "坏了").await;
    assert_eq!(
        owner
            .try_refund_decision(&org, &order, "approve")
            .await
            .status,
        200
    );
    let r = owner.try_refund_decision(&org, &order, "decline").await;
    assert_eq!(
        r.problem(),
        (409, Some("refund_exists")),
        "approved is not taken back"
    );
    app.until_order(&buyer, &order, "refunded").await;
    assert_eq!(buyer.shop_product(&org, &product).await.skus[0].stock, 2);
}

async fn a_payment_too_late_is_refunded_by_itself(app: TestApp) {
    let (owner, org) = app.owner("Tea House").await;
    let p = owner
        .create_product(&org, "礼盒", &[("1 box", 12800, 1)])
        .await;
    let buyer = app.user("Mei").await;
    let o = buyer.order(&org, &[(&p.skus[0].id, 1)], "k").await;
    let pay = buyer.pay(&o.id).await;
    app.clock.advance_secs(16 * 60);
    app.run_due_jobs().await;
    app.user("Lucy")
        .await
        .order(&org, &[(&p.skus[0].id, 1)], "k")
        .await;
    // The buyer pays on the page they still had open: too late, and none left.
    assert_eq!(
        buyer.sandbox_decide(&pay.pay_url, "succeeded").await.status,
        303
    );
    let pid: quan_domain::PaymentId = pay.id.parse().unwrap_or_else(|e| panic!("{e}"));
    for _ in 0..100 {
        app.run_due_jobs().await;
        let row =
            quan_core::commerce::port::CommerceStore::payment_get(app.services.store.as_ref(), pid)
                .await
                .unwrap_or_else(|e| panic!("{e}"));
        let oid: quan_domain::OrderId = o.id.parse().unwrap_or_else(|e| panic!("{e}"));
        let refunds = quan_core::commerce::port::CommerceStore::refunds_of_order(
            app.services.store.as_ref(),
            oid,
        )
        .await
        .unwrap_or_else(|e| panic!("{e}"));
        if refunds.first().is_some_and(|r| r.status == "succeeded") {
            assert_eq!(refunds[0].reason, "paid_too_late");
            assert!(row.is_some_and(|p| !p.refund_due), "owed nothing any more");
            assert_eq!(buyer.my_order(&o.id).await.status, "cancelled");
            assert_eq!(
                owner.shop_product(&org, &p.id).await.skus[0].stock,
                0,
                "never oversold"
            );
            return;
        }
        tokio::time::sleep(std::time::Duration::from_millis(30)).await;
    }
    panic!("the late payment was never refunded");
}

/// Two lines bought with a spend-and-save coupon (¥15 apportioned ¥9.27 / ¥5.73):
/// (owner, org, buyer, the two products, the paid order).
async fn two_lines_with_a_coupon(app: &TestApp) -> (User, String, User, [String; 2], String) {
    let (owner, org) = app.owner("Tea House").await;
    let oolong = owner
        .create_product(&org, "桂花乌龙", &[("100 g", 6800, 5)])
        .await;
    let bags = owner
        .create_product(&org, "茉莉茶包", &[("×10", 4200, 5)])
        .await;
    let c = owner
        .create_coupon(
            &org,
            serde_json::json!({"name": "满100减15", "kind": "threshold", "min_spend_fen": 10_000,
                   "off_fen": 1500, "scope": "all", "valid_days": 14, "supply": 5, "per_person": 1}),
        )
        .await;
    let buyer = app.user("Mei").await;
    let claim = buyer.claim(&org, &c.id, "c").await;
    let lines = [
        (oolong.skus[0].id.as_str(), 1),
        (bags.skus[0].id.as_str(), 1),
    ];
    let r = buyer.try_order_with(&org, &lines, &claim.id, "o").await;
    assert_eq!(r.status, 201, "{}", r.text);
    let order = r.body["id"].as_str().unwrap_or_default().to_owned();
    let pay = buyer.pay(&order).await;
    buyer.sandbox_decide(&pay.pay_url, "succeeded").await;
    app.until_order(&buyer, &order, "paid").await;
    (owner, org, buyer, [oolong.id, bags.id], order)
}

async fn refunds_of_lines_give_back_what_each_paid(app: TestApp) {
    let (owner, org, buyer, [_, bags], order) = two_lines_with_a_coupon(&app).await;
    for bad in [&[7][..], &[1, 1][..]] {
        let r = buyer.try_refund_lines(&order, bad).await;
        assert_eq!(r.problem(), (422, Some("invalid_refund_lines")), "{bad:?}");
    }
    // The bags alone: what that line paid, ¥42 less its ¥5.73 of the coupon.
    assert_eq!(buyer.try_refund_lines(&order, &[1]).await.status, 200);
    assert_eq!(
        owner
            .try_refund_decision(&org, &order, "approve")
            .await
            .status,
        200
    );
    app.until_order(&buyer, &order, "paid").await;
    let o = buyer.my_order(&order).await;
    let states: Vec<&str> = o.lines.iter().map(|l| l.refund.as_str()).collect();
    assert_eq!(states, ["none", "refunded"]);
    assert_eq!(o.refunded_fen, 4200 - 573);
    assert_eq!(
        buyer.shop_product(&org, &bags).await.skus[0].stock,
        5,
        "not shipped: its stock is back"
    );
    // Refunded once: it cannot be asked again; the rest can.
    let r = buyer.try_refund_lines(&order, &[1]).await;
    assert_eq!(r.problem(), (422, Some("invalid_refund_lines")));
    assert_eq!(buyer.try_request_refund(&order, "").await.status, 200);
    assert_eq!(
        owner
            .try_refund_decision(&org, &order, "approve")
            .await
            .status,
        200
    );
    app.until_order(&buyer, &order, "refunded").await;
    let o = buyer.my_order(&order).await;
    assert_eq!(
        o.refunded_fen, o.total_fen,
        "the parts sum to what was paid"
    );
    assert_eq!(o.total_fen, 9500);
    assert!(
        owner.reconciliation(&org).await.is_empty(),
        "the provider agrees"
    );
    let r = buyer.try_request_refund(&order, "").await;
    assert_eq!(r.problem(), (409, Some("illegal_transition")));
}

async fn a_declined_line_may_be_asked_again(app: TestApp) {
    let (owner, org, buyer, _, order) = two_lines_with_a_coupon(&app).await;
    assert_eq!(buyer.try_refund_lines(&order, &[0]).await.status, 200);
    let o = buyer.my_order(&order).await;
    let states: Vec<&str> = o.lines.iter().map(|l| l.refund.as_str()).collect();
    assert_eq!(states, ["asked", "none"]);
    assert_eq!(
        owner
            .try_refund_decision(&org, &order, "decline")
            .await
            .status,
        200
    );
    let o = buyer.my_order(&order).await;
    assert_eq!(o.status, "paid");
    assert!(o.lines.iter().all(|l| l.refund == "none"));
    // Shipped, then both lines at once: refunded whole, no stock back.
    assert_eq!(
        owner
            .try_org_order_step(&org, &order, "fulfil")
            .await
            .status,
        200
    );
    assert_eq!(buyer.try_refund_lines(&order, &[0, 1]).await.status, 200);
    owner.try_refund_decision(&org, &order, "approve").await;
    app.until_order(&buyer, &order, "refunded").await;
    assert_eq!(buyer.my_order(&order).await.refunded_fen, 9500);
}

/// Staff approve and decline the same request at once, four times over: exactly
/// one of them wins, and the order ends as the winner says — the line refunded
/// once (approve) or not at all (decline), never money out for a declined line.
async fn approve_and_decline_at_once_agree(app: TestApp) {
    for round in 0..4 {
        let (owner, org, buyer, _, order) = two_lines_with_a_coupon(&app).await;
        assert_eq!(buyer.try_refund_lines(&order, &[1]).await.status, 200);
        let (a, d) = tokio::join!(
            owner.try_refund_decision(&org, &order, "approve"),
            owner.try_refund_decision(&org, &order, "decline"),
        );
        let won: Vec<u16> = [a.status, d.status]
            .into_iter()
            .filter(|s| *s == 200)
            .collect();
        assert_eq!(won, [200], "round {round}: {} / {}", a.text, d.text);
        app.until_order(&buyer, &order, "paid").await;
        for _ in 0..20 {
            app.run_due_jobs().await;
        }
        let o = buyer.my_order(&order).await;
        let expected = if a.status == 200 { 4200 - 573 } else { 0 };
        assert_eq!(o.refunded_fen, expected, "round {round}");
        let refunded = owner
            .payment_log(&org)
            .await
            .into_iter()
            .filter(|w| w.outcome == "refunded")
            .count();
        assert_eq!(refunded, usize::from(a.status == 200), "round {round}");
    }
}
