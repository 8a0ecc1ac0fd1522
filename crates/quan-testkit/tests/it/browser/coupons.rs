//! Coupons: the owner sets one up in the console (an amount off that is not below
//! its minimum spend is refused with the form kept as typed) with one to give out;
//! two buyers on two phones, one in each language, claim it at once from the shop
//! and exactly one gets it (the other is told it has all been claimed); the winner
//! puts two in the cart, checks out, reads how the price is built with the coupon
//! applied for them,
//! places the order, pays in the sandbox, and finds the coupon used in the wallet.

use super::commerce::{path, the_winner_pays_in_the_sandbox};
use super::{body_text, click, fill, go, log_in, shot, value_of, wait_text};
use fantoccini::Client;
use quan_testkit::User;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_buyers_race_for_the_last_coupon_and_the_winner_saves_at_checkout_in_chromium() {
    let Some(app) = super::served().await else {
        return;
    };
    let (owner, org) = app.owner("星河茶饮 Galaxy Tea").await;
    let p = owner
        .create_product(&org, "桂花乌龙 Osmanthus oolong", &[("100 g", 6800, 20)])
        .await;
    let (mei, tony) = (app.user("小美 Mei").await, app.user("Tony").await);
    let Some((_kept, [a, b, c])) = super::desk_and_two_phones().await else {
        return;
    };
    let base = app.base.clone();
    the_owner_sets_up_a_coupon(&a, &base, &org, &owner).await;
    let shop = format!("{base}/app/shop/{org}");
    let b_won = two_buyers_claim_the_last_one(&b, &c, (&base, &shop), (&mei, &tony)).await;
    let winner = if b_won { &b } else { &c };
    let order = the_winner_checks_out(winner, &base, &org, &p.id).await;
    the_winner_pays_in_the_sandbox(winner, &base, &order, "¥121.00").await;
    go(winner, &format!("{base}/app/coupons")).await;
    let text = wait_text(winner, "Used").await;
    assert!(text.contains("满100减15"), "{text}");
    shot(winner, "coupon-wallet").await;
    for x in [a, b, c] {
        let _ = x.close().await;
    }
}

async fn the_owner_sets_up_a_coupon(a: &Client, base: &str, org: &str, owner: &User) {
    log_in(a, base, &owner.login).await;
    go(a, &format!("{base}/console/{org}/shop")).await;
    click(a, "#to-coupons").await;
    wait_text(a, "No coupons yet").await;
    fill(a, "#coupon-form input[name=name]", "满100减15 Save ¥15").await;
    fill(a, "#coupon-form input[name=min_spend]", "100").await;
    // More off than the spend it needs comes back, the form as typed.
    fill(a, "#coupon-form input[name=off]", "120").await;
    fill(a, "#coupon-form input[name=supply]", "1").await;
    click(a, "#coupon-form button[type=submit]").await;
    wait_text(a, "must be below the spend").await;
    assert_eq!(
        value_of(a, "#coupon-form input[name=name]").await,
        "满100减15 Save ¥15"
    );
    assert_eq!(value_of(a, "#coupon-form input[name=supply]").await, "1");
    shot(a, "coupon-console-refused").await;
    fill(a, "#coupon-form input[name=off]", "15").await;
    click(a, "#coupon-form button[type=submit]").await;
    let text = wait_text(a, "¥15.00 off when you spend ¥100.00").await;
    assert!(
        text.contains("0 / 1") && text.contains("do not combine"),
        "{text}"
    );
    shot(a, "coupon-console").await;
    go(
        a,
        &format!("{base}/lang/zh-CN?next=/console/{org}/shop/coupons"),
    )
    .await;
    wait_text(a, "满 ¥100.00 减 ¥15.00").await;
    shot(a, "coupon-console-zh").await;
}

/// Both phones open the shop and tap Claim at once: whether the first won.
async fn two_buyers_claim_the_last_one(
    b: &Client,
    c: &Client,
    (base, shop): (&str, &str),
    (mei, tony): (&User, &User),
) -> bool {
    log_in(b, base, &mei.login).await;
    log_in(c, base, &tony.login).await;
    go(c, &format!("{base}/lang/zh-CN?next=/app")).await;
    go(b, shop).await;
    go(c, shop).await;
    wait_text(b, "Claim").await;
    wait_text(c, "领取").await;
    shot(b, "coupon-shop").await;
    let tap = "document.querySelector('#coupons button[type=submit]').click(); return 1";
    let (rb, rc) = tokio::join!(b.execute(tap, vec![]), c.execute(tap, vec![]));
    assert!(rb.is_ok() && rc.is_ok());
    tokio::time::sleep(std::time::Duration::from_millis(800)).await;
    let (tb, tc) = (body_text(b).await, body_text(c).await);
    let b_won = tb.contains("In your wallet");
    let c_won = tc.contains("已在券包");
    assert!(b_won != c_won, "exactly one claimed it:\n{tb}\n---\n{tc}");
    let (loser, said) = if b_won { (c, tc) } else { (b, tb) };
    assert!(
        said.contains("这张券已被领完") || said.contains("All of this coupon has been claimed"),
        "{said}"
    );
    shot(loser, "coupon-shop-all-claimed").await;
    let _ = path(loser).await;
    b_won
}

/// The winner buys two and checks out in English: the coupon is applied for them
/// and the price is built line by line. The order's id.
async fn the_winner_checks_out(x: &Client, base: &str, org: &str, product: &str) -> String {
    go(
        x,
        &format!("{base}/lang/en?next=/app/shop/{org}/products/{product}"),
    )
    .await;
    fill(x, "#buy input[name=quantity]", "2").await;
    click(x, "#add-to-cart").await;
    let text = wait_text(x, "At today's prices").await;
    assert!(text.contains("¥136.00"), "{text}");
    shot(x, "cart").await;
    click(x, "#to-checkout").await;
    let text = wait_text(x, "How your price is built").await;
    assert!(
        text.contains("¥136.00") && text.contains("−¥15.00") && text.contains("¥121.00"),
        "{text}"
    );
    shot(x, "coupon-checkout").await;
    click(x, "#place").await;
    let text = wait_text(x, "Waiting for payment").await;
    assert!(
        text.contains("−¥15.00") && text.contains("¥121.00"),
        "{text}"
    );
    path(x)
        .await
        .rsplit('/')
        .next()
        .unwrap_or_default()
        .to_owned()
}
