//! Payments through the sandbox provider: the buyer gets an absolute pay page, the
//! order is paid only when the provider's signed webhook says so (sent later by a
//! job, over HTTP), a webhook sent twice is applied once, one that arrives after a
//! later one changes nothing, forged or stale ones are refused and logged, and a
//! payment after the reservation ended takes the stock again or is refunded. Both
//! backends.

use quan_testkit::{TestApp, User, on_both_backends};

on_both_backends!(
    the_provider_s_signed_webhook_pays_the_order_once,
    forged_stale_and_reordered_webhooks_change_nothing,
    a_payment_after_the_reservation_ended,
    reconciliation_lists_where_the_provider_and_the_shop_disagree
);

/// A shop with one SKU of stock 2 and a buyer's order of one, its payment opened:
/// (owner, org, buyer, order id, pay url).
async fn paying(app: &TestApp) -> (User, String, User, String, String) {
    let (owner, org) = app.owner("Tea House").await;
    let p = owner
        .create_product(&org, "桂花乌龙", &[("50 g", 3800, 2)])
        .await;
    let buyer = app.user("Mei").await;
    let o = buyer.order(&org, &[(&p.skus[0].id, 1)], "k").await;
    let pay = buyer.pay(&o.id).await;
    (owner, org, buyer, o.id, pay.pay_url)
}

/// A webhook as the sandbox would sign it for the charge behind `pay_url`, with
/// its timestamp `age_secs` in the past: (id, timestamp, signature, body).
pub(crate) async fn signed(
    app: &TestApp,
    pay_url: &str,
    outcome: &str,
    age_secs: i64,
) -> [String; 4] {
    let charge: quan_domain::ChargeId = pay_url
        .rsplit('/')
        .next()
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| panic!("no charge in {pay_url}"));
    let c = app
        .services
        .store
        .sandbox_get(charge)
        .await
        .unwrap_or_else(|e| panic!("{e}"))
        .unwrap_or_else(|| panic!("no charge {charge}"));
    let outcome =
        quan_core::ports::ChargeOutcome::parse(outcome).unwrap_or_else(|| panic!("{outcome}"));
    let body = quan_core::commerce::sandbox::webhook_body(&c, outcome);
    let id = quan_core::commerce::sandbox::webhook_id(&c, outcome);
    let ts = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(0))
        - age_secs;
    let sig = standardwebhooks::Webhook::new(&app.services.commerce.sandbox_secret)
        .and_then(|w| w.sign(&id, ts, body.as_bytes()))
        .unwrap_or_else(|e| panic!("{e}"));
    [id, ts.to_string(), sig, body]
}

pub(crate) async fn post_hook(app: &TestApp, h: &[String; 4]) -> quan_testkit::Res {
    let c = app.client();
    let rb = c
        .http
        .post(format!("{}/api/v1/payments/sandbox/webhook", c.base))
        .header("webhook-id", &h[0])
        .header("webhook-timestamp", &h[1])
        .header("webhook-signature", &h[2])
        .header("content-type", "application/json")
        .body(h[3].clone());
    c.send_built(rb)
        .await
        .unwrap_or_else(|| panic!("webhook: no answer"))
}

async fn the_provider_s_signed_webhook_pays_the_order_once(app: TestApp) {
    let (owner, org, buyer, order, pay_url) = paying(&app).await;
    assert!(pay_url.starts_with("http://"), "absolute: {pay_url}");
    // Asking again, or twice at once, hands the same pay page (one charge).
    let (x, y) = tokio::join!(buyer.pay(&order), buyer.pay(&order));
    assert_eq!(
        (x.pay_url.as_str(), y.pay_url.as_str()),
        (pay_url.as_str(), pay_url.as_str())
    );
    assert_eq!(buyer.pay(&order).await.pay_url, pay_url);
    // The buyer fails first: the order still waits, and may be paid on retry.
    let r = buyer.sandbox_decide(&pay_url, "failed").await;
    assert_eq!(r.status, 303, "back to the order: {}", r.text);
    for _ in 0..20 {
        app.run_due_jobs().await;
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    assert_eq!(buyer.my_order(&order).await.status, "created");
    // Paying again after the failure reopens the same payment and charge.
    assert_eq!(buyer.pay(&order).await.pay_url, pay_url);
    let r = buyer.sandbox_decide(&pay_url, "succeeded").await;
    assert_eq!(r.status, 303);
    app.until_order(&buyer, &order, "paid").await;
    // The same webhook again (a provider's retry, twice): acknowledged, not applied.
    let hook = signed(&app, &pay_url, "succeeded", 0).await;
    for _ in 0..2 {
        let r = post_hook(&app, &hook).await;
        assert_eq!(r.body["outcome"], "duplicate", "{}", r.text);
    }
    assert_eq!(buyer.my_order(&order).await.status, "paid");
    let log: Vec<String> = owner
        .payment_log(&org)
        .await
        .into_iter()
        .map(|w| w.outcome)
        .collect();
    assert!(
        log.contains(&"duplicate".to_owned()) && log.contains(&"not_paid".to_owned()),
        "{log:?}"
    );
    // Staff move it on; a second shipment is refused.
    assert_eq!(
        owner
            .try_org_order_step(&org, &order, "fulfil")
            .await
            .status,
        200
    );
    let r = owner.try_org_order_step(&org, &order, "fulfil").await;
    assert_eq!(r.problem(), (409, Some("illegal_transition")));
    assert_eq!(
        owner
            .try_org_order_step(&org, &order, "complete")
            .await
            .status,
        200
    );
    assert_eq!(buyer.my_order(&order).await.status, "completed");
    // A decided charge offers no choice, and a forced one is refused.
    let path = format!(
        "/sandbox/{}",
        pay_url.split_once("/sandbox/").map_or("", |x| x.1)
    );
    let page = buyer.c.get(&path).await;
    assert!(
        page.status == 200 && !page.text.contains("id=\"decide\""),
        "{}",
        page.text
    );
    let csrf = quan_testkit::csrf_of(&buyer.c.get("/orgs").await.text);
    let r = buyer
        .c
        .form(&path, &[("csrf", csrf.as_str()), ("outcome", "cancelled")])
        .await;
    assert_eq!(r.status, 422, "refused on the page: {}", r.text);
}

async fn forged_stale_and_reordered_webhooks_change_nothing(app: TestApp) {
    let (owner, org, buyer, order, pay_url) = paying(&app).await;
    let mut forged = signed(&app, &pay_url, "succeeded", 0).await;
    forged[2] = "v1,AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=".to_owned();
    assert_eq!(
        post_hook(&app, &forged).await.problem(),
        (401, Some("invalid_signature"))
    );
    let mut tampered = signed(&app, &pay_url, "succeeded", 0).await;
    tampered[3] = tampered[3].replace("3800", "1");
    assert_eq!(
        post_hook(&app, &tampered).await.problem(),
        (401, Some("invalid_signature"))
    );
    let old = signed(&app, &pay_url, "succeeded", 600).await;
    assert_eq!(
        post_hook(&app, &old).await.problem(),
        (401, Some("webhook_expired"))
    );
    let unsigned = ["".to_owned(), "".to_owned(), "".to_owned(), "{}".to_owned()];
    assert_eq!(
        post_hook(&app, &unsigned).await.problem(),
        (401, Some("invalid_signature"))
    );
    assert_eq!(
        buyer.my_order(&order).await.status,
        "created",
        "nothing applied"
    );
    // Out of order: the success lands, then the failure sent before it is stale.
    let ok = signed(&app, &pay_url, "succeeded", 0).await;
    let failed = signed(&app, &pay_url, "failed", 0).await;
    assert_eq!(post_hook(&app, &ok).await.body["outcome"], "paid");
    assert_eq!(post_hook(&app, &failed).await.body["outcome"], "stale");
    assert_eq!(buyer.my_order(&order).await.status, "paid");
    let log: Vec<String> = owner
        .payment_log(&org)
        .await
        .into_iter()
        .map(|w| w.outcome)
        .collect();
    assert_eq!(log.first().map(String::as_str), Some("stale"), "{log:?}");
    // Another org sees none of it.
    let (other, other_org) = app.owner("Other").await;
    assert!(other.payment_log(&other_org).await.is_empty());
    let r = other
        .c
        .get(&format!("/api/v1/orgs/{other_org}/orders/{order}"))
        .await;
    assert_eq!(r.problem().0, 404);
}

async fn a_payment_after_the_reservation_ended(app: TestApp) {
    let (owner, org, buyer, order, pay_url) = paying(&app).await;
    app.clock.advance_secs(16 * 60);
    // Polled: the server's own job worker may be the one running the release.
    app.until_order(&buyer, &order, "cancelled").await;
    // Paid late with the stock still there: taken again, paid.
    let late = signed(&app, &pay_url, "succeeded", 0).await;
    assert_eq!(post_hook(&app, &late).await.body["outcome"], "paid");
    assert_eq!(buyer.my_order(&order).await.status, "paid");
    // Paid late with the stock gone: the money is owed back, the order stays closed.
    let p = owner
        .create_product(&org, "礼盒", &[("1 box", 12800, 1)])
        .await;
    let o = buyer.order(&org, &[(&p.skus[0].id, 1)], "k2").await;
    let pay = buyer.pay(&o.id).await;
    app.clock.advance_secs(16 * 60);
    app.run_due_jobs().await;
    app.user("Lucy")
        .await
        .order(&org, &[(&p.skus[0].id, 1)], "k")
        .await;
    let late = signed(&app, &pay.pay_url, "succeeded", 0).await;
    assert_eq!(
        post_hook(&app, &late).await.body["outcome"],
        "paid_too_late"
    );
    assert_eq!(buyer.my_order(&o.id).await.status, "cancelled");
    // Owed back: a refund of it was written with the settlement (commerce_refunds
    // follows it to the end).
    let oid: quan_domain::OrderId = o.id.parse().unwrap_or_else(|e| panic!("{e}"));
    let refunds = app
        .services
        .store
        .refunds_of_order(oid)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        refunds
            .iter()
            .map(|r| (r.reason.as_str(), r.payment_id.to_string()))
            .collect::<Vec<_>>(),
        [("paid_too_late", pay.id.clone())]
    );
    assert_eq!(
        owner.shop_product(&org, &p.id).await.skus[0].stock,
        0,
        "never oversold"
    );
}

async fn reconciliation_lists_where_the_provider_and_the_shop_disagree(app: TestApp) {
    let (owner, org, buyer, order, pay_url) = paying(&app).await;
    assert!(
        owner.reconciliation(&org).await.is_empty(),
        "an open charge agrees"
    );
    // Paid on the provider's page, its notice not yet delivered: the provider has
    // the money, the shop does not know.
    let r = buyer.sandbox_decide(&pay_url, "succeeded").await;
    assert_eq!(r.status, 303);
    let kinds = |d: Vec<quan_web::api::commerce::payments::DifferenceDto>| {
        d.into_iter()
            .map(|d| (d.kind, d.amount_fen))
            .collect::<Vec<_>>()
    };
    let before = kinds(owner.reconciliation(&org).await);
    // The job may have delivered it already; if not, it is the one difference.
    if buyer.my_order(&order).await.status == "created" {
        assert_eq!(before, [("provider_paid_not_recorded".to_owned(), 3800)]);
    }
    app.until_order(&buyer, &order, "paid").await;
    assert!(
        owner.reconciliation(&org).await.is_empty(),
        "delivered: they agree"
    );
    // A second order paid by a notice the provider never sent (signed with the
    // secret, the charge still open at the provider): recorded paid, not paid there.
    let p = owner
        .create_product(&org, "礼盒", &[("1 box", 12800, 3)])
        .await;
    let o = buyer.order(&org, &[(&p.skus[0].id, 1)], "k2").await;
    let pay = buyer.pay(&o.id).await;
    let forged = signed(&app, &pay.pay_url, "succeeded", 0).await;
    assert_eq!(post_hook(&app, &forged).await.body["outcome"], "paid");
    assert_eq!(
        kinds(owner.reconciliation(&org).await),
        [("recorded_paid_not_at_provider".to_owned(), 12800)]
    );
    // The hourly job finds it too, keeps the run and says so in the org's log.
    assert_eq!(owner.last_reconciliation(&org).await.ran_at, None);
    let disagreeing = quan_core::commerce::reconcile::run_all(&app.services)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(disagreeing, 1);
    let run = owner.last_reconciliation(&org).await;
    assert!(run.ran_at.is_some());
    assert_eq!(
        kinds(run.differences),
        [("recorded_paid_not_at_provider".to_owned(), 12800)]
    );
    let events = owner.c.get(&format!("/api/v1/orgs/{org}/events")).await;
    assert!(
        events.text.contains("commerce.reconciled"),
        "{}",
        events.text
    );
    // The next hour, the same difference is kept but not announced again.
    let again = quan_core::commerce::reconcile::run_all(&app.services).await;
    assert_eq!(again, Ok(0));
    assert_eq!(owner.last_reconciliation(&org).await.differences.len(), 1);
    // Another org sees none of it.
    let (other, other_org) = app.owner("Other").await;
    assert!(other.reconciliation(&other_org).await.is_empty());
    assert!(
        other
            .last_reconciliation(&other_org)
            .await
            .differences
            .is_empty()
    );
}
