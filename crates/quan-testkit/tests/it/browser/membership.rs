//! Paid circle membership: the owner puts the tasting club's membership on sale in
//! the console (chosen as a membership without its circle first: refused, the form
//! kept as typed); a buyer opens the club's link, reads its door ("Join for
//! ¥199.00"), checks out, pays in the sandbox and is taken in — the order page
//! opens the circle, where they are a member. A second phone reads the door in
//! Chinese.

use super::commerce::{path, the_winner_pays_in_the_sandbox};
use super::{click, fill, go, log_in, select, shot, tap, value_of, wait_text};
use fantoccini::Client;
use quan_testkit::User;
use serde_json::json;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_buyer_pays_for_a_membership_and_is_in_the_circle_in_chromium() {
    let Some(app) = super::served().await else {
        return;
    };
    let (owner, org) = app.owner("星河茶饮 Galaxy Tea").await;
    let circle = owner
        .circle(
            &org,
            json!({"name": "品鉴会 Tasting club", "description": "Monthly tastings of new teas",
                   "mode": "community", "join_policy": "paid", "public": false}),
        )
        .await;
    let (mei, lan) = (app.user("小美 Mei").await, app.user("兰 Lan").await);
    let Some((_kept, [a, b, c])) = super::desk_and_two_phones().await else {
        return;
    };
    let base = app.base.clone();
    the_owner_sells_the_membership(&a, &base, &org, &owner, &circle).await;
    // The second phone reads the door in Chinese.
    log_in(&c, &base, &lan.login).await;
    go(&c, &format!("{base}/lang/zh-CN?next=/app/circles/{circle}")).await;
    wait_text(&c, "¥199.00 加入").await;
    shot(&c, "membership-door-zh").await;
    let order = the_buyer_joins_by_paying(&b, &base, &mei, &circle).await;
    the_winner_pays_in_the_sandbox(&b, &base, &order, "¥199.00").await;
    // Paid: the order page opens the circle.
    wait_text(&b, "you are let in").await;
    shot(&b, "membership-order-paid").await;
    click(&b, "a.open-circle").await;
    // In once the seat's job has run (the worker's next round).
    for _ in 0..40 {
        if super::body_text(&b).await.contains("You are a member") {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(250)).await;
        go(&b, &format!("{base}/app/circles/{circle}")).await;
    }
    let text = wait_text(&b, "You are a member").await;
    assert!(
        text.contains("Tasting club") && !text.contains("Join for"),
        "{text}"
    );
    shot(&b, "membership-circle-joined").await;
    for x in [a, b, c] {
        let _ = x.close().await;
    }
}

async fn the_owner_sells_the_membership(
    a: &Client,
    base: &str,
    org: &str,
    owner: &User,
    circle: &str,
) {
    log_in(a, base, &owner.login).await;
    go(a, &format!("{base}/console/{org}/shop")).await;
    fill(
        a,
        "#product-form input[name=name]",
        "品鉴会会员 Club membership",
    )
    .await;
    tap(a, "#kind-membership").await;
    fill(a, "#product-form input[name=sku_name_0]", "Membership").await;
    fill(a, "#product-form input[name=sku_price_0]", "199").await;
    fill(a, "#product-form input[name=sku_stock_0]", "50").await;
    click(a, "#product-form button[type=submit]").await;
    wait_text(a, "Choose the circle this membership joins").await;
    assert_eq!(
        value_of(a, "#product-form input[name=name]").await,
        "品鉴会会员 Club membership"
    );
    assert_eq!(
        value_of(a, "#product-form input[name=sku_price_0]").await,
        "199"
    );
    select(a, "#product-circle", circle).await;
    shot(a, "membership-console-form").await;
    click(a, "#product-form button[type=submit]").await;
    let text = wait_text(a, "品鉴会会员 Club membership").await;
    assert!(text.contains("¥199.00"), "{text}");
}

/// The buyer opens the club's link, reads its door and checks out one seat:
/// the order's id.
async fn the_buyer_joins_by_paying(b: &Client, base: &str, mei: &User, circle: &str) -> String {
    log_in(b, base, &mei.login).await;
    go(b, &format!("{base}/lang/en?next=/app/circles/{circle}")).await;
    let text = wait_text(b, "Join for ¥199.00").await;
    assert!(text.contains("Members pay to join"), "{text}");
    shot(b, "membership-door").await;
    click(b, "#memberships a.button").await;
    let text = wait_text(b, "How your price is built").await;
    assert!(text.contains("¥199.00"), "{text}");
    click(b, "#place").await;
    wait_text(b, "Waiting for payment").await;
    path(b)
        .await
        .rsplit('/')
        .next()
        .unwrap_or_default()
        .to_owned()
}
