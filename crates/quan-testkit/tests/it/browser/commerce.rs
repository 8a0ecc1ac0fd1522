//! Buying: the owner puts a product with one last unit on sale in the console; two
//! buyers on two phones check out at once and exactly one gets it (the other is
//! told on the checkout page, in their language); the winner pays on the sandbox's page
//! and the order shows paid when the provider's signed notice has arrived; the
//! owner sees it, with the notice in the payments log, and marks it shipped; the
//! buyer asks for a refund, the owner approves it, and the buyer's order shows
//! refunded once the provider has confirmed.

use super::{click, fill, go, log_in, shot, wait_text};
use fantoccini::Client;
use quan_testkit::User;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_buyers_race_for_the_last_unit_and_one_pays_in_chromium() {
    let Some(app) = super::served().await else {
        return;
    };
    let (owner, org) = app.owner("星河茶饮 Galaxy Tea").await;
    let (mei, tony) = (app.user("小美 Mei").await, app.user("Tony").await);
    let Some((_kept, [a, b, c])) = super::desk_and_two_phones().await else {
        return;
    };
    let base = app.base.clone();
    let product = the_owner_puts_a_product_on_sale(&a, &base, &org, &owner).await;
    let (order, b_won) = two_buyers_race(&b, &c, &base, &org, &product, (&mei, &tony)).await;
    let winner = if b_won { &b } else { &c };
    the_winner_pays_in_the_sandbox(winner, &base, &order, "¥268.00").await;
    the_owner_ships_it(&a, &base, &org).await;
    the_buyer_gets_a_refund(winner, &a, (&base, &org), &order, "¥268.00").await;
    for x in [a, b, c] {
        let _ = x.close().await;
    }
}

async fn the_owner_puts_a_product_on_sale(
    a: &Client,
    base: &str,
    org: &str,
    owner: &User,
) -> String {
    log_in(a, base, &owner.login).await;
    go(a, &format!("{base}/console/{org}/shop")).await;
    fill(a, "#product-form input[name=name]", "白茶饼 White tea cake").await;
    fill(a, "#product-form input[name=category]", "白茶").await;
    fill(a, "#product-form input[name=sku_name_0]", "357 g").await;
    // A price typed wrong comes back with the form as it was typed.
    fill(a, "#product-form input[name=sku_price_0]", "268.005").await;
    fill(a, "#product-form input[name=sku_stock_0]", "1").await;
    click(a, "#product-form button[type=submit]").await;
    wait_text(a, "at most two decimals").await;
    let kept = super::value_of(a, "#product-form input[name=name]").await;
    assert_eq!(kept, "白茶饼 White tea cake");
    fill(a, "#product-form input[name=sku_price_0]", "268").await;
    click(a, "#product-form button[type=submit]").await;
    let text = wait_text(a, "¥268.00").await;
    assert!(text.contains("On sale"), "{text}");
    shot(a, "shop-console-products").await;
    let href = super::js(
        a,
        "return document.querySelector('#products a[href*=\"/shop/products/\"]').getAttribute('href')",
    )
    .await;
    let id = href
        .as_str()
        .and_then(|h| h.rsplit('/').next())
        .unwrap_or_else(|| panic!("no product link: {href}"))
        .to_owned();
    // A picture for its card: chosen on the product's page, shown at once.
    go(a, &format!("{base}/console/{org}/shop/products/{id}")).await;
    wait_text(a, "No pictures yet").await;
    let tea = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/it/tea.png");
    super::choose_file(a, "#picture-form input[type=file]", &tea).await;
    click(a, "#picture-form button[type=submit]").await;
    wait_text(a, "Saved").await;
    let n = super::js(
        a,
        "return document.querySelectorAll('#pictures img').length",
    )
    .await;
    assert_eq!(n.as_i64(), Some(1), "one picture shown");
    shot(a, "shop-console-picture").await;
    id
}

async fn two_buyers_race(
    b: &Client,
    c: &Client,
    base: &str,
    org: &str,
    product: &str,
    (mei, tony): (&User, &User),
) -> (String, bool) {
    let page = format!("{base}/app/shop/{org}/products/{product}");
    log_in(b, base, &mei.login).await;
    log_in(c, base, &tony.login).await;
    go(c, &format!("{base}/lang/zh-CN?next=/app")).await;
    go(b, &page).await;
    go(c, &page).await;
    wait_text(b, "1 left").await;
    shot(b, "shop-product").await;
    // Both go to checkout, read how the price is built, and place at once.
    click(b, "#buy button[type=submit]").await;
    click(c, "#buy button[type=submit]").await;
    let text = wait_text(b, "How your price is built").await;
    assert!(text.contains("¥268.00"), "{text}");
    wait_text(c, "价格明细").await;
    shot(b, "shop-checkout").await;
    let (rb, rc) = tokio::join!(
        b.execute("document.querySelector('#place').click(); return 1", vec![]),
        c.execute("document.querySelector('#place').click(); return 1", vec![]),
    );
    assert!(rb.is_ok() && rc.is_ok());
    tokio::time::sleep(std::time::Duration::from_millis(800)).await;
    let (pb, pc) = (path(b).await, path(c).await);
    let won: Vec<&str> = [pb.as_str(), pc.as_str()]
        .into_iter()
        .filter(|p| p.starts_with("/app/orders/"))
        .collect();
    assert_eq!(won.len(), 1, "exactly one buyer got it: {pb} / {pc}");
    // The other is told why, on the checkout page, in their language.
    let (winner, loser) = if pb.starts_with("/app/orders/") {
        (b, c)
    } else {
        (c, b)
    };
    let said = super::body_text(loser).await;
    assert!(
        said.contains("库存不足") || said.contains("Not enough stock"),
        "{said}"
    );
    shot(loser, "shop-sold-out-refusal").await;
    let order = path(winner)
        .await
        .rsplit('/')
        .next()
        .unwrap_or_default()
        .to_owned();
    (order, std::ptr::eq(winner, b))
}

/// The page a browser is on.
pub(super) async fn path(x: &Client) -> String {
    x.current_url()
        .await
        .map(|u| u.path().to_owned())
        .unwrap_or_default()
}

pub(super) async fn the_winner_pays_in_the_sandbox(
    b: &Client,
    base: &str,
    order: &str,
    price: &str,
) {
    go(b, &format!("{base}/lang/en?next=/app/orders/{order}")).await;
    wait_text(b, "Waiting for payment").await;
    shot(b, "shop-order-waiting").await;
    click(b, "#pay").await;
    let text = wait_text(b, "Sandbox Pay").await;
    assert!(
        text.contains(price) && text.contains("no money moves"),
        "{text}"
    );
    shot(b, "shop-sandbox-pay").await;
    click(b, "#sandbox-pay").await;
    // Back on the order: paid once the signed notice has come in by the job queue.
    for _ in 0..60 {
        if super::body_text(b).await.contains("Paid") {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(250)).await;
        go(b, &format!("{base}/app/orders/{order}")).await;
    }
    let text = wait_text(b, "Paid").await;
    assert!(
        !text.contains("Pay before"),
        "no pay button once paid: {text}"
    );
    shot(b, "shop-order-paid").await;
}

async fn the_owner_ships_it(a: &Client, base: &str, org: &str) {
    go(a, &format!("{base}/console/{org}/shop/orders")).await;
    let text = wait_text(a, "Payment confirmed: order paid").await;
    assert!(text.contains("Paid"), "{text}");
    click(a, "#orders button[type=submit]").await;
    wait_text(a, "Shipped").await;
    shot(a, "shop-console-orders").await;
    go(
        a,
        &format!("{base}/lang/zh-CN?next=/console/{org}/shop/orders"),
    )
    .await;
    wait_text(a, "已发货").await;
    shot(a, "shop-console-orders-zh").await;
}

pub(super) async fn the_buyer_gets_a_refund(
    payer: &Client,
    a: &Client,
    (base, org): (&str, &str),
    order: &str,
    price: &str,
) {
    go(payer, &format!("{base}/lang/en?next=/app/orders/{order}")).await;
    fill(
        payer,
        "#refund-form input[name=reason]",
        "茶饼有裂 The cake arrived cracked",
    )
    .await;
    click(payer, "#ask-refund").await;
    wait_text(payer, "Refund requested").await;
    go(a, &format!("{base}/console/{org}/shop/orders")).await;
    wait_text(a, "退款中").await;
    click(a, "#orders button.step-approve").await;
    for _ in 0..60 {
        go(payer, &format!("{base}/app/orders/{order}")).await;
        if super::body_text(payer).await.contains("Refunded") {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(250)).await;
    }
    let text = wait_text(payer, "Refunded").await;
    assert!(text.contains(price), "{text}");
    shot(payer, "shop-order-refunded").await;
}
