//! Running a circle: an invite link joins a teaching circle; a task goes through
//! its board; a photo heads the waterfall; a moderator's report hides a post, the
//! queue removes it, the public log says so; search; the console shows a person
//! with tags, the sensitive words, roles, featuring, a circle's requests, tags,
//! cover and invites; chat rooms and mentions; notifications; a private door.

use super::{
    body_text, browser, choose_file, click, fill, go, href_of, js, log_in, select, shot, tap,
    value_of, wait_for_path, wait_text,
};
use fantoccini::{Client, Locator};
use quan_testkit::{TestApp, User};
use serde_json::json;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// The story's cast: the teacher (owner) on a desktop browser `a`, the student on
/// a phone-sized browser `b`, the org and its community circle.
struct Run<'a> {
    app: &'a TestApp,
    owner: &'a User,
    base: &'a str,
    org: &'a str,
    fans: &'a str,
    a: &'a Client,
    b: &'a Client,
}

fn photo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/it/tea.png")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn run_a_circle_in_chromium() {
    let Some(app) = super::served().await else {
        return;
    };
    let (owner, org) = app.owner("周老师 Zhou").await;
    let member = app.user("小美 Mei").await;
    let body = json!({"name": "茶艺入门课 Tea basics", "description": "八周课程 Eight weeks", "mode": "teaching"});
    let class = owner.circle(&org, body).await;
    let fans = owner
        .circle(
            &org,
            json!({"name": "茶友圈 Tea friends", "mode": "community"}),
        )
        .await;
    let (p1, p2) = (tempfile::tempdir(), tempfile::tempdir());
    let (p1, p2) = (
        p1.unwrap_or_else(|e| panic!("{e}")),
        p2.unwrap_or_else(|e| panic!("{e}")),
    );
    let Some((_d1, a)) = browser(p1.path()).await else {
        return;
    };
    let Some((_d2, b)) = browser(p2.path()).await else {
        return;
    };
    let _ = b.set_window_size(390, 844).await;
    let run = Run {
        app: &app,
        owner: &owner,
        base: &app.base,
        org: &org,
        fans: &fans,
        a: &a,
        b: &b,
    };
    an_invite_link_joins_the_class(&run, &class, &member).await;
    a_task_is_claimed(&run).await;
    a_photo_heads_the_waterfall(&run).await;
    a_reported_post_is_hidden_then_removed(&run).await;
    search_and_the_console_pages(&run).await;
    roles_and_featuring(&run).await;
    the_console_circle_page(&run).await;
    a_cover_a_moderator_and_a_tag_search(&run).await;
    chat_rooms_and_mentions(&run).await;
    notifications_and_a_private_door(&run).await;
    let _ = b.close().await;
    let _ = a.close().await;
}

/// The teacher makes an invite link; the student opens it logged out (sign-in
/// carries them back) and joins.
async fn an_invite_link_joins_the_class(run: &Run<'_>, class: &str, member: &User) {
    let Run { a, b, base, .. } = *run;
    log_in(a, base, &run.owner.login).await;
    go(a, &format!("{base}/app/circles/{class}/manage")).await;
    fill(a, "#invites input[name=label]", "微信群 WeChat group").await;
    click(a, "#invites form button").await;
    let link = value_of(a, "#invite-link").await;
    let absolute = link.starts_with(&format!("{base}/app/join/"));
    assert!(absolute, "the link people copy is absolute: {link}");
    wait_text(a, "微信群 WeChat group").await;
    shot(a, "12-manage-invite-link").await;

    go(b, &link).await;
    wait_text(b, "茶艺入门课 Tea basics").await;
    click(b, "a[href^='/login']").await;
    fill(b, "input[name=login]", &member.login).await;
    fill(b, "input[name=password]", "password-123").await;
    click(b, "button[type=submit].primary").await;
    wait_for_path(b, "/app/join/").await;
    shot(b, "13-join-by-invite-phone").await;
    click(b, "#join-accept").await;
    let at = wait_for_path(b, "/app/circles/").await;
    assert!(at.contains(class), "{at}");
    wait_text(b, "✓").await;
}

/// In the community circle the teacher posts a task; the student claims it.
async fn a_task_is_claimed(run: &Run<'_>) {
    let Run {
        a, b, base, fans, ..
    } = *run;
    go(b, &format!("{base}/app/circles/{fans}")).await;
    click(b, "form[action$='/join'] button").await;
    go(a, &format!("{base}/app/circles/{fans}")).await;
    fill(
        a,
        "#composer input[name=title]",
        "拍一组新品照片 Shoot the new teas",
    )
    .await;
    tap(a, "#composer details summary").await;
    select(a, "#composer select[name=kind]", "task").await;
    click(a, "#composer button.primary").await;
    wait_text(a, "拍一组新品照片").await;
    go(b, &format!("{base}/app/circles/{fans}")).await;
    click(b, "#feed h3 a").await;
    click(b, "button[data-action=claim]").await;
    wait_text(b, "Claimed").await;
    shot(b, "14-task-claimed-phone").await;
}

/// The teacher posts a photo from the composer; the waterfall shows two columns
/// side by side, the photo as the first card's cover; its topic tag leads to the
/// circle's posts with that tag.
async fn a_photo_heads_the_waterfall(run: &Run<'_>) {
    let Run { a, base, fans, .. } = *run;
    go(a, &format!("{base}/app/circles/{fans}")).await;
    fill(
        a,
        "#composer input[name=title]",
        "今天的茶席 Today's tea table",
    )
    .await;
    tap(a, "#composer details summary").await;
    fill(a, "#composer input[name=tags]", "茶席，Photos").await;
    choose_file(a, "#composer input[type=file]", &photo()).await;
    click(a, "#composer button.primary").await;
    wait_text(a, "今天的茶席").await;
    let first = "const i = document.querySelector('#feed .thumbs img'); return i && i.complete ? i.naturalWidth : 0";
    assert_eq!(
        js(a, first).await.as_u64(),
        Some(48),
        "the uploaded image shows in the feed"
    );
    js(a, "document.getElementById('feed').scrollIntoView()").await;
    shot(a, "22-feed-with-image").await;
    let columns = js(
        a,
        "const c = document.querySelectorAll('#feed .col'); \
         const l = c[0] && c[0].querySelector('article'); const r = c[1] && c[1].querySelector('article'); \
         return [c.length, l && r ? Math.round(r.getBoundingClientRect().left - l.getBoundingClientRect().left) : 0, \
                 document.querySelectorAll('#feed .col:first-child article:first-child .cover img').length]",
    )
    .await;
    assert_eq!(columns[0].as_u64(), Some(2), "{columns:?}");
    let beside = columns[1].as_i64().unwrap_or(0) > 100;
    assert!(
        beside,
        "the second column stands beside the first: {columns:?}"
    );
    assert_eq!(columns[2].as_u64(), Some(1), "cover image");
    click(a, "#feed .post-tags a[href$='tag=photos']").await;
    let tagged = wait_text(a, "#photos").await;
    let only = tagged.contains("今天的茶席") && !tagged.contains("拍一组新品照片");
    assert!(only, "only the tagged post: {tagged}");
    js(
        a,
        "document.getElementById('tag-filter').scrollIntoView({block: 'start'})",
    )
    .await;
    shot(a, "30-feed-by-topic-tag").await;
}

/// The student posts spam; the teacher (a moderator) reports it: hidden at once;
/// the queue removes it and the public log says so.
async fn a_reported_post_is_hidden_then_removed(run: &Run<'_>) {
    let Run {
        a, b, base, fans, ..
    } = *run;
    go(b, &format!("{base}/app/circles/{fans}")).await;
    fill(
        b,
        "#composer input[name=title]",
        "加我微信领红包 Free money",
    )
    .await;
    click(b, "#composer button.primary").await;
    go(a, &format!("{base}/app/circles/{fans}")).await;
    click(a, "#feed a[href*='/posts/']").await;
    wait_text(a, "Free money").await;
    tap(a, "details.post-actions summary").await;
    select(a, "#report-form select[name=reason]", "spam").await;
    click(a, "#report").await;
    wait_for_path(a, "/app/circles/").await;
    let feed = body_text(a).await;
    assert!(
        !feed.contains("Free money") || feed.contains("Hidden"),
        "{feed}"
    );
    go(b, &format!("{base}/app/circles/{fans}")).await;
    wait_text(b, "Hidden for review").await;
    go(a, &format!("{base}/app/circles/{fans}/manage")).await;
    wait_text(a, "Free money").await;
    shot(a, "15-manage-queue").await;
    click(a, "#queue button.danger").await;
    wait_text(a, "Nothing waits for review").await;
    go(a, &format!("{base}/app/circles/{fans}/log")).await;
    let log = wait_text(a, "removed a reported post").await;
    assert!(log.contains("hid a post after reports"), "{log}");
    shot(a, "16-moderation-log").await;
}

/// Search finds the task by a Chinese word inside its title; the console shows
/// persons, one person with circles and a tag, and the sensitive words.
async fn search_and_the_console_pages(run: &Run<'_>) {
    let Run {
        a, base, fans, org, ..
    } = *run;
    go(a, &format!("{base}/app/circles/{fans}")).await;
    fill(a, "#circle-search input[name=q]", "新品").await;
    click(a, "#circle-search button").await;
    let found = wait_text(a, "1 result").await;
    assert!(found.contains("拍一组新品照片"), "{found}");
    assert!(
        !found.contains("1 results"),
        "one result is a result: {found}"
    );
    shot(a, "21-search").await;

    go(a, &format!("{base}/console/{org}/persons")).await;
    wait_text(a, "小美 Mei").await;
    shot(a, "17-console-persons").await;
    let href = href_of(a, "小美 Mei").await;
    go(a, &format!("{base}{href}")).await;
    fill(a, "form[action$='/tags'] input[name=tag]", "VIP").await;
    click(a, "form[action$='/tags'] button").await;
    let page = wait_text(a, "vip").await;
    let circles = page.contains("茶艺入门课 Tea basics") && page.contains("Tea friends");
    assert!(circles, "the person's circles: {page}");
    assert!(page.contains("Joined"), "{page}");
    shot(a, "18-console-person").await;
    go(a, &format!("{base}/console/{org}/moderation")).await;
    fill(a, "input[name=word]", "刷单").await;
    click(a, "form[action$='/moderation'] button").await;
    wait_text(a, "刷单").await;
    shot(a, "19-console-words").await;
}

/// The teacher makes the student a moderator and marks her a customer; asks for
/// the circle to be featured and approves it as the org's owner; the student
/// finds it featured.
async fn roles_and_featuring(run: &Run<'_>) {
    let Run {
        a,
        b,
        base,
        fans,
        org,
        ..
    } = *run;
    go(a, &format!("{base}/app/circles/{fans}/manage")).await;
    select(a, "form.member-edit select[name=role]", "moderator").await;
    tap(a, "form.member-edit input[name=customer]").await;
    click(a, "form.member-edit button").await;
    let members = wait_text(a, "Moderator · Customer").await;
    assert!(members.contains("小美 Mei"), "{members}");
    shot(a, "25-manage-roles-settings").await;

    go(a, &format!("{base}/app/circles/{fans}/manage")).await;
    click(a, "#boost button").await;
    go(a, &format!("{base}/console/{org}/circles")).await;
    click(a, "#circles input[value=approved] + button").await;
    wait_text(a, "Featured").await;
    go(b, &format!("{base}/app/discover")).await;
    let found = wait_text(b, "Featured").await;
    assert!(found.contains("茶友圈 Tea friends"), "{found}");
    shot(b, "23-discover-phone").await;
}

/// The console's page of a new approval circle: a join request approved, tags set
/// (saving says so), an invite link for a poster made without leaving it.
async fn the_console_circle_page(run: &Run<'_>) {
    let Run { a, base, org, .. } = *run;
    let body = json!({"name": "品鉴会 Tasting club", "description": "每月一次 Once a month", "mode": "community", "join_policy": "approval"});
    let club = run.owner.circle(org, body).await;
    let jie = run.app.user("阿杰 Jie").await;
    assert_eq!(jie.join(&club).await.status, "pending");
    go(a, &format!("{base}/console/{org}/circles")).await;
    click(
        a,
        &format!("#circles a.button[href='/console/{org}/circles/{club}']"),
    )
    .await;
    wait_text(a, "阿杰 Jie").await;
    click(a, "#requests input[value=approve] + button").await;
    let page = wait_text(a, "No one is waiting.").await;
    assert!(page.contains("阿杰 Jie"), "now among the members: {page}");
    fill(a, "#settings input[name=tags]", "品鉴，Tasting, 乌龙").await;
    click(a, "#settings button.primary").await;
    let tags = wait_text(a, "#tasting").await;
    assert!(tags.contains("#品鉴") && tags.contains("#乌龙"), "{tags}");
    assert!(tags.contains("Saved."), "{tags}");
    fill(a, "#invites input[name=label]", "门店海报 Poster").await;
    click(a, "#invites button.primary").await;
    wait_text(a, "门店海报 Poster").await;
    let link = value_of(a, "#invite-link").await;
    assert!(link.starts_with(&format!("{base}/app/join/")), "{link}");
    shot(a, "30-console-circle-invites").await;
}

/// A cover uploaded; Jie becomes the circle's first moderator from the members
/// table; the student finds the circle by its tag on her phone.
async fn a_cover_a_moderator_and_a_tag_search(run: &Run<'_>) {
    let Run { a, b, base, .. } = *run;
    choose_file(a, "#cover-form input[type=file]", &photo()).await;
    click(a, "#cover-form button[type=submit]").await;
    let cover = "const i = document.querySelector('#profile img.cover'); return i && i.complete ? i.naturalWidth : 0";
    assert!(
        js(a, cover).await.as_i64().unwrap_or(0) > 0,
        "the cover shows"
    );
    shot(a, "26-console-circle").await;
    select(
        a,
        "tr[data-member='阿杰 Jie'] select[name=role]",
        "moderator",
    )
    .await;
    click(a, "tr[data-member='阿杰 Jie'] form button").await;
    wait_text(a, "Moderator #1").await;
    js(
        a,
        "document.querySelector('#members').scrollIntoView({block: 'start'})",
    )
    .await;
    shot(a, "28-console-circle-members").await;
    go(b, &format!("{base}/app/discover?tag=tasting")).await;
    let found = wait_text(b, "品鉴会 Tasting club").await;
    assert!(
        !found.contains("茶友圈 Tea friends"),
        "only the tagged circle: {found}"
    );
    shot(b, "27-discover-by-tag-phone").await;
}

/// A second chat room, added from the chat page; typing @ offers the circle's
/// members, Enter picks one, and the message mentions her.
async fn chat_rooms_and_mentions(run: &Run<'_>) {
    let Run { a, base, fans, .. } = *run;
    go(a, &format!("{base}/app/circles/{fans}/chat")).await;
    tap(a, "#rooms details summary").await;
    fill(a, "#room-form input[name=name]", "新品讨论 New teas").await;
    click(a, "#room-form button").await;
    let rooms = wait_text(a, "# 新品讨论 New teas").await;
    assert!(rooms.contains("# 大厅") || rooms.contains("#"), "{rooms}");
    shot(a, "24-chat-rooms").await;
    fill(a, "#chat-form input[name=body]", "@小").await;
    let list = "const l = document.querySelector('#chat-form .mention-list'); return l && !l.hidden ? l.textContent : ''";
    let mut offered = String::new();
    for _ in 0..50 {
        offered = js(a, list).await.as_str().unwrap_or_default().to_owned();
        if !offered.is_empty() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(offered.contains("@小美 Mei"), "suggestions: {offered:?}");
    shot(a, "29-chat-mention-suggest").await;
    let input = a
        .find(Locator::Css("#chat-form input[name=body]"))
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    // WebDriver's Enter key: picks the suggestion instead of sending the form.
    input
        .send_keys("\u{E007}")
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    input
        .send_keys("see you Saturday")
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let typed = input.prop("value").await.ok().flatten().unwrap_or_default();
    assert_eq!(typed, "@小美 Mei see you Saturday");
    click(a, "#chat-form button[type=submit]").await;
    wait_text(a, "see you Saturday").await;
}

/// The student hears what happened to her post, her claimed task and the chat
/// mention; a link to a private approval circle opens its door; she knocks.
async fn notifications_and_a_private_door(run: &Run<'_>) {
    let Run { b, base, org, .. } = *run;
    go(b, &format!("{base}/app/notifications")).await;
    let notes = wait_text(b, "removed by a moderator").await;
    assert!(notes.contains("hidden pending review"), "{notes}");
    assert!(
        notes.contains("see you Saturday"),
        "the chat mention: {notes}"
    );
    shot(b, "20-notifications-phone").await;
    click(b, "#mark-read").await;
    wait_text(b, "0 unread").await;

    let body = json!({"name": "晨跑团 Morning runners", "mode": "community", "join_policy": "approval", "public": false});
    let runners = run.owner.circle(org, body).await;
    go(b, &format!("{base}/app/circles/{runners}")).await;
    wait_text(b, "晨跑团 Morning runners").await;
    shot(b, "31-doorway-request-phone").await;
    click(b, "#door-request").await;
    wait_text(b, "Your request is waiting").await;
    shot(b, "32-doorway-pending-phone").await;
}
