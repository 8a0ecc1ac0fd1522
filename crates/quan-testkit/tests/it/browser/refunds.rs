//! A refund of one line: a buyer (in Chinese) who bought two teas unticks one on
//! the order page and asks for the other's money back; the owner approves it in
//! the console; the order is paid again with one line refunded — what that line
//! paid, its part of nothing else — and the refund form now names only the other.

use super::{click, go, log_in, shot, tap, wait_text};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_buyer_refunds_one_line_of_two_in_chromium() {
    let Some(app) = super::served().await else {
        return;
    };
    let (owner, org) = app.owner("星河茶饮 Galaxy Tea").await;
    let oolong = owner
        .create_product(&org, "桂花乌龙 Osmanthus oolong", &[("100 g", 6800, 5)])
        .await;
    let bags = owner
        .create_product(&org, "茉莉茶包 Jasmine bags", &[("×10", 4200, 5)])
        .await;
    let mei = app.user("小美 Mei").await;
    let lines = [
        (oolong.skus[0].id.as_str(), 1),
        (bags.skus[0].id.as_str(), 1),
    ];
    let order = mei.order(&org, &lines, "two").await.id;
    let pay = mei.pay(&order).await;
    mei.sandbox_decide(&pay.pay_url, "succeeded").await;
    app.until_order(&mei, &order, "paid").await;
    let Some((_kept, [a, b, c])) = super::desk_and_two_phones().await else {
        return;
    };
    let _ = c.close().await;
    let base = app.base.clone();
    log_in(&b, &base, &mei.login).await;
    go(&b, &format!("{base}/lang/zh-CN?next=/app/orders/{order}")).await;
    wait_text(&b, "退哪些商品").await;
    // Untick the oolong: only the bags are asked for.
    tap(&b, "#refund-lines input[value='0']").await;
    super::fill(&b, "#refund-form input[name=reason]", "买多了 One too many").await;
    shot(&b, "refund-lines-zh").await;
    click(&b, "#ask-refund").await;
    let text = wait_text(&b, "已申请退款").await;
    assert!(text.contains("退款中"), "{text}");
    log_in(&a, &base, &owner.login).await;
    go(&a, &format!("{base}/console/{org}/shop/orders")).await;
    let text = wait_text(&a, "Refund asked").await;
    assert!(
        text.contains("¥42.00"),
        "the line asked, with what it paid: {text}"
    );
    assert!(
        text.contains("买多了 One too many"),
        "the buyer's reason: {text}"
    );
    shot(&a, "refund-console-asked").await;
    click(&a, "#orders button.step-approve").await;
    for _ in 0..60 {
        go(&b, &format!("{base}/app/orders/{order}")).await;
        if super::body_text(&b).await.contains("已退款") {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(250)).await;
    }
    let text = wait_text(&b, "已退款").await;
    assert!(
        text.contains("已付款"),
        "paid again, one line refunded: {text}"
    );
    let offered = super::js(
        &b,
        "return document.querySelectorAll('#refund-lines input[name=line]').length",
    )
    .await;
    // The line left is named, so the buyer sees what a second refund is for.
    assert_eq!(offered.as_i64(), Some(1), "{text}");
    shot(&b, "refund-one-line-done-zh").await;
    go(&b, &format!("{base}/lang/en?next=/app/orders/{order}")).await;
    wait_text(&b, "Refunded").await;
    shot(&b, "refund-one-line-done").await;
    for x in [a, b] {
        let _ = x.close().await;
    }
}
