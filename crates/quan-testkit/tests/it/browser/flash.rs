//! A flash sale: the owner sets one up in the console (a price above the list price
//! is refused with the form kept as typed), two buyers on two phones, one in each
//! language, see it live with its countdown and grab its last unit at once; exactly
//! one gets it and the other is told it is sold out at the flash price; the winner
//! pays in the sandbox and asks for a refund, which the owner approves.

use super::commerce::{path, the_buyer_gets_a_refund, the_winner_pays_in_the_sandbox};
use super::{body_text, click, fill, go, log_in, select, shot, value_of, wait_text};
use fantoccini::Client;
use quan_testkit::User;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_buyers_race_for_the_last_flash_sale_unit_in_chromium() {
    let Some(app) = super::served().await else {
        return;
    };
    let (owner, org) = app.owner("星河茶饮 Galaxy Tea").await;
    let p = owner
        .create_product(&org, "冷泡乌龙 Cold-brew oolong", &[("6 bottles", 3800, 5)])
        .await;
    let (mei, tony) = (app.user("小美 Mei").await, app.user("Tony").await);
    let Some((_kept, [a, b, c])) = super::desk_and_two_phones().await else {
        return;
    };
    let base = app.base.clone();
    let sku = format!("{}/{}", p.id, p.skus[0].id);
    the_owner_sets_up_a_flash_sale(&a, &base, &org, &owner, &sku).await;
    let page = format!("{base}/app/shop/{org}/products/{}", p.id);
    let order = two_buyers_race(&b, &c, &base, &page, (&mei, &tony)).await;
    let winner = if order.0 { &b } else { &c };
    the_winner_pays_in_the_sandbox(winner, &base, &order.1, "¥19.90").await;
    the_buyer_gets_a_refund(winner, &a, (&base, &org), &order.1, "¥19.90").await;
    for x in [a, b, c] {
        let _ = x.close().await;
    }
}

async fn the_owner_sets_up_a_flash_sale(
    a: &Client,
    base: &str,
    org: &str,
    owner: &User,
    sku: &str,
) {
    log_in(a, base, &owner.login).await;
    go(a, &format!("{base}/console/{org}/shop")).await;
    click(a, "#to-flash").await;
    wait_text(a, "No flash sales yet").await;
    select(a, "#flash-form select[name=sku]", sku).await;
    fill(a, "#flash-form input[name=minutes]", "30").await;
    fill(a, "#flash-form input[name=stock]", "1").await;
    // A sale price that is not below the list price comes back, the form as typed.
    fill(a, "#flash-form input[name=price]", "38").await;
    click(a, "#flash-form button[type=submit]").await;
    wait_text(a, "must be below the list price").await;
    assert_eq!(value_of(a, "#flash-form input[name=stock]").await, "1");
    assert_eq!(value_of(a, "#flash-form select[name=sku]").await, sku);
    shot(a, "flash-console-refused").await;
    fill(a, "#flash-form input[name=price]", "19.9").await;
    click(a, "#flash-form button[type=submit]").await;
    let text = wait_text(a, "On now").await;
    assert!(text.contains("¥19.90") && text.contains("0 / 1"), "{text}");
    shot(a, "flash-console").await;
    go(
        a,
        &format!("{base}/lang/zh-CN?next=/console/{org}/shop/flash"),
    )
    .await;
    wait_text(a, "进行中").await;
    shot(a, "flash-console-zh").await;
}

/// Both buyers open the product page and tap "Grab it now" at once: (whether the
/// first won, the winner's order).
async fn two_buyers_race(
    b: &Client,
    c: &Client,
    base: &str,
    page: &str,
    (mei, tony): (&User, &User),
) -> (bool, String) {
    log_in(b, base, &mei.login).await;
    log_in(c, base, &tony.login).await;
    go(c, &format!("{base}/lang/zh-CN?next=/app")).await;
    // The shop's list marks the product on sale, at its flash price.
    let shop = page.split("/products/").next().unwrap_or_default();
    go(b, shop).await;
    let text = wait_text(b, "Flash sale").await;
    assert!(text.contains("¥19.90"), "{text}");
    shot(b, "flash-shop").await;
    go(b, page).await;
    go(c, page).await;
    let text = wait_text(b, "1 left at this price").await;
    assert!(
        text.contains("Ends in") && text.contains("¥19.90"),
        "{text}"
    );
    shot(b, "flash-product").await;
    wait_text(c, "秒杀").await;
    shot(c, "flash-product-zh").await;
    let tap = "document.querySelector('.flash-buy button[type=submit]').click(); return 1";
    let (rb, rc) = tokio::join!(b.execute(tap, vec![]), c.execute(tap, vec![]));
    assert!(rb.is_ok() && rc.is_ok());
    tokio::time::sleep(std::time::Duration::from_millis(800)).await;
    let (pb, pc) = (path(b).await, path(c).await);
    let won = [&pb, &pc]
        .iter()
        .filter(|p| p.starts_with("/app/orders/"))
        .count();
    assert_eq!(won, 1, "exactly one buyer got it: {pb} / {pc}");
    let b_won = pb.starts_with("/app/orders/");
    let (winner, loser) = if b_won { (&pb, c) } else { (&pc, b) };
    let said = body_text(loser).await;
    assert!(
        said.contains("秒杀价已抢光") || said.contains("Sold out at the flash price"),
        "{said}"
    );
    // Turned away, they are not offered the sale again, though the winner's order
    // may still be taking its unit in the store.
    assert!(
        said.contains("秒杀价已抢光。未付款") || said.contains("Units from unpaid orders"),
        "{said}"
    );
    shot(loser, "flash-sold-out").await;
    (
        b_won,
        winner.rsplit('/').next().unwrap_or_default().to_owned(),
    )
}
