//! Leaders and pickup points: the owner sets two up in the console (a radius over
//! 5 km is refused with the form kept as typed), then takes the nearer one offline
//! with the other standing in; a buyer on a phone, in Chinese, opens the shop's
//! pickup chooser, types where they are and sees the points that serve them,
//! nearest first, with who hands orders over.

use super::{browser, click, fill, go, log_in, select, shot, tap, value_of, wait_text};
use fantoccini::Client;
use quan_testkit::User;
use quan_testkit::calls::local::leader_body;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_owner_sets_up_pickup_points_and_a_buyer_finds_the_nearest_in_chromium() {
    let Some(app) = super::served().await else {
        return;
    };
    let (owner, org) = app.owner("杭州邻里鲜 Hangzhou Greens").await;
    let buyer = app.user("小美 Mei").await;
    let (desk_dir, phone_dir) = (
        tempfile::tempdir().unwrap_or_else(|e| panic!("{e}")),
        tempfile::tempdir().unwrap_or_else(|e| panic!("{e}")),
    );
    let Some((_d1, desk)) = browser(desk_dir.path()).await else {
        return;
    };
    let Some((_d2, phone)) = browser(phone_dir.path()).await else {
        return;
    };
    let _ = phone.set_window_size(390, 844).await;
    let base = app.base.clone();
    the_owner_sets_up_a_point(&desk, &base, &org, &owner).await;
    // A second point farther north, by the API; then the first goes offline with it standing in.
    let north = owner
        .create_leader(&org, leader_body("武林", (30.2844, 120.1530), 3_000))
        .await;
    the_owner_takes_the_point_offline(&desk, &base, &org, &north.id).await;
    the_buyer_finds_the_points_near_them(&phone, &base, &org, &buyer).await;
    let _ = desk.close().await;
    let _ = phone.close().await;
}

async fn the_owner_sets_up_a_point(a: &Client, base: &str, org: &str, owner: &User) {
    log_in(a, base, &owner.login).await;
    go(a, &format!("{base}/console/{org}/shop")).await;
    click(a, "#to-leaders").await;
    wait_text(a, "No leaders yet").await;
    fill(a, "#leader-form input[name=name]", "王阿姨 Auntie Wang").await;
    fill(a, "#leader-form input[name=phone]", "13800001111").await;
    fill(a, "#leader-form input[name=point_name]", "北山街驿站").await;
    fill(
        a,
        "#leader-form input[name=address]",
        "杭州市西湖区北山街 84 号",
    )
    .await;
    fill(a, "#leader-form input[name=lat]", "30.2682").await;
    fill(a, "#leader-form input[name=lon]", "120.1530").await;
    fill(a, "#leader-form input[name=hours]", "每天 8:00–20:00").await;
    // The browser's own max would stop 6000; the server must refuse it too.
    let _ = super::js(
        a,
        "document.querySelector('#leader-form input[name=radius_m]').removeAttribute('max')",
    )
    .await;
    fill(a, "#leader-form input[name=radius_m]", "6000").await;
    click(a, "#leader-form button[type=submit]").await;
    wait_text(a, "at most 5 km").await;
    assert_eq!(
        value_of(a, "#leader-form input[name=name]").await,
        "王阿姨 Auntie Wang"
    );
    assert_eq!(value_of(a, "#leader-form input[name=lat]").await, "30.2682");
    shot(a, "leaders-console-refused").await;
    fill(a, "#leader-form input[name=radius_m]", "2000").await;
    click(a, "#leader-form button[type=submit]").await;
    let text = wait_text(a, "Saved").await;
    assert!(
        text.contains("北山街驿站") && text.contains("2000 m"),
        "{text}"
    );
}

async fn the_owner_takes_the_point_offline(a: &Client, base: &str, org: &str, north: &str) {
    go(a, &format!("{base}/console/{org}/shop/leaders")).await;
    wait_text(a, "北山街驿站").await;
    click(a, "#leaders tbody tr:last-child a.button").await;
    wait_text(a, "Active (untick").await;
    tap(a, "#leader-form input[name=online]").await;
    select(a, "#leader-form select[name=stand_in]", north).await;
    click(a, "#leader-form button[type=submit]").await;
    let text = wait_text(a, "served by 武林").await;
    assert!(text.contains("Offline"), "{text}");
    shot(a, "leaders-console").await;
}

async fn the_buyer_finds_the_points_near_them(p: &Client, base: &str, org: &str, buyer: &User) {
    log_in(p, base, &buyer.login).await;
    go(p, &format!("{base}/lang/zh-CN?next=/app/shop/{org}")).await;
    click(p, "#to-pickup").await;
    wait_text(p, "附近的自提点").await;
    // Out of range first: the reason, in Chinese, with what was typed kept.
    fill(p, "#place-form input[name=lat]", "95").await;
    fill(p, "#place-form input[name=lon]", "120.1530").await;
    click(p, "#place-form button[type=submit]").await;
    wait_text(p, "纬度 -90 到 90").await;
    assert_eq!(value_of(p, "#place-form input[name=lat]").await, "95");
    // By the Broken Bridge: the offline point (by its stand-in) is nearer.
    fill(p, "#place-form input[name=lat]", "30.2610").await;
    click(p, "#place-form button[type=submit]").await;
    let text = wait_text(p, "为您匹配").await;
    let (near, far) = (
        text.find("北山街驿站").unwrap_or(usize::MAX),
        text.find("武林自提点").unwrap_or(usize::MAX),
    );
    assert!(near < far && far < usize::MAX, "nearest first: {text}");
    assert!(
        text.contains("由 武林 交付"),
        "the stand-in hands over: {text}"
    );
    shot(p, "pickup-chooser-zh").await;
}
