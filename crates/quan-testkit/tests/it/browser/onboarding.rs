//! Sign up → create an org → invite → sign up as the invitee through the link →
//! accept → both see the staff list; a circle made in the console, posts, likes,
//! comments, privacy, live chat across two browsers, the Chinese interface and the
//! phone layout.

use super::{
    body_text, browser, click, fill, go, href_of, shot, tap, value_of, wait_for_path, wait_text,
};
use fantoccini::{Client, Locator};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sign_up_create_org_invite_and_join_in_chromium() {
    let Some(app) = super::served().await else {
        return;
    };
    let profile = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let Some((_driver, c)) = browser(profile.path()).await else {
        return;
    };
    let base = &app.base;
    let (console, link) = the_owner_signs_up_and_invites(&c, base).await;
    let circle = the_owner_posts_in_a_new_circle(&c, base, &console).await;
    the_invitee_signs_up_through_the_link(&c, base, &console, &link).await;
    the_invitee_joins_and_posts(&c, base, &circle).await;
    the_invitee_likes_comments_and_replies(&c, base).await;
    the_member_limits_who_sees_old_posts(&c, base).await;
    let profile2 = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let Some((_driver2, c2)) = browser(profile2.path()).await else {
        return;
    };
    chat_arrives_live_in_a_second_browser(&c, &c2, base, &circle).await;
    chinese_and_the_phone_layout(&c, base, &console, &circle).await;
    let _ = c.close().await;
}

/// The owner signs up, creates an org and makes a staff invite: (console, link).
async fn the_owner_signs_up_and_invites(c: &Client, base: &str) -> (String, String) {
    go(c, &format!("{base}/signup")).await;
    shot(c, "01-signup").await;
    fill(c, "input[name=display_name]", "林晓 Lin Xiao").await;
    fill(c, "input[name=login]", "lin@browser.test").await;
    fill(c, "input[name=password]", "browser-pass-1").await;
    click(c, "button[type=submit].primary").await;
    // Not staff anywhere yet: home is their circles, which offers an organisation.
    wait_for_path(c, "/app").await;
    click(c, "#create-org").await;
    wait_for_path(c, "/orgs").await;
    fill(c, "input[name=name]", "星河茶饮 Galaxy Tea").await;
    click(c, "form[action='/orgs'] button").await;
    let console = wait_for_path(c, "/console/").await;
    wait_text(c, "Galaxy Tea").await;
    shot(c, "02-console-overview").await;

    go(c, &format!("{base}{console}/staff")).await;
    click(c, "form[action$='/invites'] button").await;
    let link = value_of(c, "#invite-link").await;
    let absolute = link.starts_with("http://") && link.contains("/invite/");
    assert!(absolute, "invite link shown, absolute: {link}");
    shot(c, "03-console-staff-invite").await;
    // The "not built yet" sections say so.
    go(c, &format!("{base}{console}/live")).await;
    wait_text(c, "Not built yet").await;
    (console, link)
}

/// A circle created in the console, opened in the member app, posted to (markup
/// dropped): the circle's path.
async fn the_owner_posts_in_a_new_circle(c: &Client, base: &str, console: &str) -> String {
    go(c, &format!("{base}{console}/circles")).await;
    let form = "form[action$='/circles']";
    fill(
        c,
        &format!("{form} input[name=name]"),
        "星河粉丝圈 Galaxy fans",
    )
    .await;
    let about = "新品、活动和茶友交流 New teas, events and chat";
    fill(c, &format!("{form} input[name=description]"), about).await;
    click(c, &format!("{form} button")).await;
    wait_text(c, "星河粉丝圈 Galaxy fans").await;
    shot(c, "08-console-circles").await;
    click(c, "#circles a.button[href^='/app/']").await;
    let circle = wait_for_path(c, "/app/circles/").await;
    fill(c, "#composer input[name=title]", "新品试饮 New tea tasting").await;
    let body = "周六下午三点，南京路店。<b>欢迎</b>来尝！";
    fill(c, "#composer textarea[name=body]", body).await;
    click(c, "#composer button").await;
    wait_for_path(c, "/app/circles/").await;
    let feed = body_text(c).await;
    let as_text = feed.contains("新品试饮 New tea tasting") && feed.contains("欢迎来尝");
    assert!(
        as_text && !feed.contains("<b>"),
        "the post shows as text, markup dropped: {feed}"
    );
    go(c, &format!("{base}{console}")).await;
    circle
}

/// Logged out, the newcomer opens the link, signs up from there and accepts; then
/// logs in again with the phone written differently and sees both staff.
async fn the_invitee_signs_up_through_the_link(c: &Client, base: &str, console: &str, link: &str) {
    click(c, "form[action='/logout'] button").await;
    wait_for_path(c, "/login").await;
    go(c, link).await;
    assert!(
        body_text(c).await.contains("Galaxy Tea"),
        "the invite names the org"
    );
    click(c, "a.button.primary").await;
    wait_for_path(c, "/signup").await;
    fill(c, "input[name=display_name]", "王磊 Wang Lei").await;
    fill(c, "input[name=login]", "13800138111").await;
    fill(c, "input[name=password]", "invitee-pass-1").await;
    click(c, "button[type=submit].primary").await;
    wait_for_path(c, "/invite/").await;
    shot(c, "04-invite-accept").await;
    click(c, "form button.primary").await;
    let joined = wait_for_path(c, "/console/").await;
    assert_eq!(
        joined, console,
        "the invitee lands in the same org's console"
    );

    click(c, "form[action='/logout'] button").await;
    wait_for_path(c, "/login").await;
    fill(c, "input[name=login]", "138-0013-8111").await;
    fill(c, "input[name=password]", "invitee-pass-1").await;
    click(c, "button[type=submit].primary").await;
    wait_for_path(c, "/orgs").await;
    go(c, &format!("{base}{console}/staff")).await;
    let text = body_text(c).await;
    let both = text.contains("林晓 Lin Xiao") && text.contains("王磊 Wang Lei");
    assert!(both, "both are staff: {text}");
    shot(c, "05-console-staff-as-invitee").await;
}

async fn the_invitee_joins_and_posts(c: &Client, base: &str, circle: &str) {
    go(c, &format!("{base}{circle}")).await;
    click(c, "form[action$='/join'] button").await;
    wait_for_path(c, "/app/circles/").await;
    fill(
        c,
        "#composer input[name=title]",
        "我会带朋友来 Bringing friends",
    )
    .await;
    click(c, "#composer button").await;
    wait_for_path(c, "/app/circles/").await;
    let feed = body_text(c).await;
    let both = feed.contains("我会带朋友来 Bringing friends") && feed.contains("新品试饮");
    assert!(both, "{feed}");
}

/// On the owner's post: safe markup renders; a like, a comment, a reply.
async fn the_invitee_likes_comments_and_replies(c: &Client, base: &str) {
    let href = href_of(c, "新品试饮 New tea tasting").await;
    go(c, &format!("{base}{href}")).await;
    wait_for_path(c, "/app/circles/").await;
    let md = c
        .find(Locator::Css("#post .md"))
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let inner = md
        .prop("innerHTML")
        .await
        .ok()
        .flatten()
        .unwrap_or_default();
    let safe = inner.contains("<b>欢迎</b>") && !inner.contains("<script");
    assert!(safe, "safe markup renders, nothing else: {inner}");
    click(c, "button[data-kind=like]").await;
    wait_for_path(c, "/app/circles/").await;
    assert!(body_text(c).await.contains("♥ 1"), "the like counts");
    fill(
        c,
        "#comment-form textarea[name=body]",
        "一定到！Count me in",
    )
    .await;
    click(c, "#comment-form button").await;
    wait_for_path(c, "/app/circles/").await;
    tap(c, "#comments details summary").await;
    fill(c, "#comments details input[name=body]", "带上我 Me too").await;
    click(c, "#comments details button").await;
    wait_for_path(c, "/app/circles/").await;
    let text = body_text(c).await;
    let both = text.contains("一定到！Count me in") && text.contains("带上我 Me too");
    assert!(both, "{text}");
    shot(c, "10-post-comments").await;
}

async fn the_member_limits_who_sees_old_posts(c: &Client, base: &str) {
    go(c, &format!("{base}/app/me")).await;
    tap(c, "#privacy input[value='3d']").await;
    click(c, "#privacy button").await;
    wait_text(c, "Saved.").await;
    let checked = c
        .find(Locator::Css("#privacy input[value='3d']"))
        .await
        .unwrap_or_else(|e| panic!("{e}"))
        .prop("checked")
        .await
        .ok()
        .flatten();
    assert_eq!(checked.as_deref(), Some("true"));
}

/// The owner logs in on a second browser and watches the room; the invitee's
/// message arrives there live, without a reload; its author promotes it.
async fn chat_arrives_live_in_a_second_browser(c: &Client, c2: &Client, base: &str, circle: &str) {
    go(c2, &format!("{base}/login")).await;
    fill(c2, "input[name=login]", "lin@browser.test").await;
    fill(c2, "input[name=password]", "browser-pass-1").await;
    click(c2, "button[type=submit].primary").await;
    go(c2, &format!("{base}{circle}/chat")).await;
    go(c, &format!("{base}{circle}")).await;
    click(c, "#open-chat").await;
    let hello = "大家好，周六见！See you Saturday";
    fill(c, "#chat-form input[name=body]", hello).await;
    click(c, "#chat-form button").await;
    wait_text(c, hello).await;
    wait_text(c2, hello).await;
    shot(c2, "11-chat-live-in-second-browser").await;
    // The author promotes the message to a topic.
    click(c, "#messages form button").await;
    wait_text(c, "See you Saturday").await;
    let url = c.current_url().await.map(|u| u.path().to_owned());
    let on_topic = url.map(|p| p.contains("/posts/")).unwrap_or(false);
    assert!(on_topic, "promoting opens the new topic");
    let _ = c2.clone().close().await;
}

async fn chinese_and_the_phone_layout(c: &Client, base: &str, console: &str, circle: &str) {
    go(c, &format!("{base}/lang/zh-CN?next={console}")).await;
    wait_text(c, "员工").await;
    shot(c, "06-console-zh").await;
    let _ = c.set_window_size(390, 844).await;
    go(c, &format!("{base}/app")).await;
    let listed = body_text(c).await.contains("星河粉丝圈");
    assert!(listed, "my circles lists the joined circle");
    shot(c, "07-member-app-phone").await;
    go(c, &format!("{base}{circle}")).await;
    click(c, "#checkins form button").await;
    wait_text(c, "1 天连续打卡").await;
    shot(c, "09-circle-feed-phone").await;
}
