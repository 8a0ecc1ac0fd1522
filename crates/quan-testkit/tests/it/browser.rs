//! The web pages in a real browser: Debian's chromium driven through chromedriver.
//! Sign up → create an org → invite → sign up as the invitee through the link →
//! accept → both see the staff list. Screenshots land in `screenshots/`.

use fantoccini::{Client, ClientBuilder, Locator};
use quan_testkit::{Backend, missing, spawn_app};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

struct Driver(Child);

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn which(names: &[&str]) -> Option<PathBuf> {
    names.iter().map(PathBuf::from).find(|p| p.exists())
}

fn free_port() -> Option<u16> {
    std::net::TcpListener::bind("127.0.0.1:0")
        .ok()?
        .local_addr()
        .ok()
        .map(|a| a.port())
}

async fn browser(profile: &std::path::Path) -> Option<(Driver, Client)> {
    let (Some(chromium), Some(driver)) = (
        which(&["/usr/bin/chromium", "/usr/bin/chromium-browser"]),
        which(&["/usr/bin/chromedriver"]),
    ) else {
        missing(
            "chromium + chromium-driver",
            "not installed (apt-get install chromium chromium-driver)",
        );
        return None;
    };
    let port = free_port()?;
    let child = Command::new(driver)
        .arg(format!("--port={port}"))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .ok()?;
    let driver = Driver(child);
    let caps = serde_json::json!({
        "browserName": "chrome",
        "goog:chromeOptions": {
            "binary": chromium,
            "args": ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-quic",
                     "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync",
                     "--window-size=1280,860", "--lang=en-US", format!("--user-data-dir={}", profile.display())]
        }
    });
    let caps = caps.as_object().cloned().unwrap_or_default();
    let url = format!("http://127.0.0.1:{port}");
    for _ in 0..50 {
        let connected =
            ClientBuilder::new(hyper_util::client::legacy::connect::HttpConnector::new())
                .capabilities(caps.clone())
                .connect(&url)
                .await;
        if let Ok(c) = connected {
            return Some((driver, c));
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    missing("chromedriver", "did not accept a session");
    None
}

fn shots_dir() -> PathBuf {
    let d = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../screenshots");
    let _ = std::fs::create_dir_all(&d);
    d
}

async fn shot(c: &Client, name: &str) {
    if let Ok(png) = c.screenshot().await {
        let _ = std::fs::write(shots_dir().join(format!("{name}.png")), png);
    }
}

async fn fill(c: &Client, css: &str, text: &str) {
    let e = c
        .find(Locator::Css(css))
        .await
        .unwrap_or_else(|e| panic!("{css}: {e}"));
    e.clear().await.unwrap_or_else(|e| panic!("{e}"));
    e.send_keys(text).await.unwrap_or_else(|e| panic!("{e}"));
}

/// Clicks something that navigates (a link, a form's submit button) and waits for
/// the new page to finish loading, so the next step never reads the old one.
async fn click(c: &Client, css: &str) {
    let origin = || async {
        c.execute("return performance.timeOrigin", vec![])
            .await
            .ok()
    };
    let before = origin().await;
    let el = c
        .find(Locator::Css(css))
        .await
        .unwrap_or_else(|e| panic!("{css}: {e}"));
    // Centre it first: the phone layout's fixed tab bar would take a click at the
    // bottom edge.
    let arg = serde_json::to_value(&el).unwrap_or_default();
    let _ = c
        .execute("arguments[0].scrollIntoView({block: 'center'})", vec![arg])
        .await;
    el.click().await.unwrap_or_else(|e| panic!("{css}: {e}"));
    for _ in 0..100 {
        let ready = c.execute("return document.readyState", vec![]).await.ok();
        if origin().await != before && ready.as_ref().and_then(|v| v.as_str()) == Some("complete") {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("clicking {css} did not load a new page");
}

async fn body_text(c: &Client) -> String {
    c.find(Locator::Css("body"))
        .await
        .unwrap_or_else(|e| panic!("{e}"))
        .text()
        .await
        .unwrap_or_default()
}

/// Waits (up to 5 s) until the page shows `needle`: a submit may still be loading.
async fn wait_text(c: &Client, needle: &str) -> String {
    let mut last = String::new();
    for _ in 0..50 {
        if let Ok(e) = c.find(Locator::Css("body")).await {
            last = e.text().await.unwrap_or_default();
            if last.contains(needle) {
                return last;
            }
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("the page never showed {needle:?}: {last}");
}

async fn wait_for_path(c: &Client, prefix: &str) -> String {
    for _ in 0..50 {
        if let Ok(u) = c.current_url().await
            && u.path().starts_with(prefix)
        {
            return u.path().to_owned();
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!(
        "never reached {prefix}: {:?}",
        c.current_url().await.map(|u| u.to_string())
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sign_up_create_org_invite_and_join_in_chromium() {
    let Some(app) = spawn_app(Backend::Sqlite).await else {
        return;
    };
    let profile = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let Some((_driver, c)) = browser(profile.path()).await else {
        return;
    };
    let base = &app.base;

    // The owner signs up and creates an org.
    c.goto(&format!("{base}/signup"))
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    shot(&c, "01-signup").await;
    fill(&c, "input[name=display_name]", "林晓 Lin Xiao").await;
    fill(&c, "input[name=login]", "lin@browser.test").await;
    fill(&c, "input[name=password]", "browser-pass-1").await;
    click(&c, "button[type=submit].primary").await;
    // Not staff anywhere yet: home is their circles, which offers an organisation.
    wait_for_path(&c, "/app").await;
    click(&c, "#create-org").await;
    wait_for_path(&c, "/orgs").await;
    fill(&c, "input[name=name]", "星河茶饮 Galaxy Tea").await;
    click(&c, "form[action='/orgs'] button").await;
    let console = wait_for_path(&c, "/console/").await;
    wait_text(&c, "Galaxy Tea").await;
    shot(&c, "02-console-overview").await;

    // Invite staff.
    c.goto(&format!("{base}{console}/staff"))
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    click(&c, "form[action$='/invites'] button").await;
    let link = c
        .find(Locator::Id("invite-link"))
        .await
        .unwrap_or_else(|e| panic!("{e}"))
        .prop("value")
        .await
        .ok()
        .flatten()
        .unwrap_or_default();
    assert!(
        link.starts_with("http://") && link.contains("/invite/"),
        "invite link shown, absolute: {link}"
    );
    shot(&c, "03-console-staff-invite").await;

    // The "not built yet" sections say so.
    c.goto(&format!("{base}{console}/live"))
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    wait_text(&c, "Not built yet").await;

    // Circles: create one in the console, open it in the member app, post.
    c.goto(&format!("{base}{console}/circles"))
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    fill(
        &c,
        "form[action$='/circles'] input[name=name]",
        "星河粉丝圈 Galaxy fans",
    )
    .await;
    fill(
        &c,
        "form[action$='/circles'] input[name=description]",
        "新品、活动和茶友交流 New teas, events and chat",
    )
    .await;
    click(&c, "form[action$='/circles'] button").await;
    wait_text(&c, "星河粉丝圈 Galaxy fans").await;
    shot(&c, "08-console-circles").await;
    click(&c, "#circles a.button[href^='/app/']").await;
    let circle_path = wait_for_path(&c, "/app/circles/").await;
    fill(
        &c,
        "#composer input[name=title]",
        "新品试饮 New tea tasting",
    )
    .await;
    fill(
        &c,
        "#composer textarea[name=body]",
        "周六下午三点，南京路店。<b>欢迎</b>来尝！",
    )
    .await;
    click(&c, "#composer button").await;
    wait_for_path(&c, "/app/circles/").await;
    let feed = body_text(&c).await;
    assert!(
        feed.contains("新品试饮 New tea tasting")
            && feed.contains("欢迎来尝")
            && !feed.contains("<b>"),
        "the post shows as text, markup dropped: {feed}"
    );

    c.goto(&format!("{base}{console}"))
        .await
        .unwrap_or_else(|e| panic!("{e}"));

    // Log out, open the link as a newcomer, sign up from there, accept.
    click(&c, "form[action='/logout'] button").await;
    wait_for_path(&c, "/login").await;
    c.goto(&link).await.unwrap_or_else(|e| panic!("{e}"));
    assert!(
        body_text(&c).await.contains("Galaxy Tea"),
        "the invite names the org"
    );
    click(&c, "a.button.primary").await;
    wait_for_path(&c, "/signup").await;
    fill(&c, "input[name=display_name]", "王磊 Wang Lei").await;
    fill(&c, "input[name=login]", "13800138111").await;
    fill(&c, "input[name=password]", "invitee-pass-1").await;
    click(&c, "button[type=submit].primary").await;
    wait_for_path(&c, "/invite/").await;
    shot(&c, "04-invite-accept").await;
    click(&c, "form button.primary").await;
    let joined = wait_for_path(&c, "/console/").await;
    assert_eq!(
        joined, console,
        "the invitee lands in the same org's console"
    );

    // Log out and log in again as the invitee, with the phone written differently.
    click(&c, "form[action='/logout'] button").await;
    wait_for_path(&c, "/login").await;
    fill(&c, "input[name=login]", "138-0013-8111").await;
    fill(&c, "input[name=password]", "invitee-pass-1").await;
    click(&c, "button[type=submit].primary").await;
    wait_for_path(&c, "/orgs").await;
    c.goto(&format!("{base}{console}/staff"))
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let text = body_text(&c).await;
    assert!(
        text.contains("林晓 Lin Xiao") && text.contains("王磊 Wang Lei"),
        "both are staff: {text}"
    );
    shot(&c, "05-console-staff-as-invitee").await;

    // The invitee joins the circle from the member app and posts too.
    c.goto(&format!("{base}{circle_path}"))
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    click(&c, "form[action$='/join'] button").await;
    wait_for_path(&c, "/app/circles/").await;
    fill(
        &c,
        "#composer input[name=title]",
        "我会带朋友来 Bringing friends",
    )
    .await;
    click(&c, "#composer button").await;
    wait_for_path(&c, "/app/circles/").await;
    let feed = body_text(&c).await;
    assert!(
        feed.contains("我会带朋友来 Bringing friends") && feed.contains("新品试饮"),
        "{feed}"
    );

    // Open the owner's post: like it, comment, reply.
    let href = c
        .find(Locator::LinkText("新品试饮 New tea tasting"))
        .await
        .unwrap_or_else(|e| panic!("{e}"))
        .attr("href")
        .await
        .ok()
        .flatten()
        .unwrap_or_default();
    c.goto(&format!("{base}{href}"))
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    wait_for_path(&c, "/app/circles/").await;
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
    assert!(
        inner.contains("<b>欢迎</b>") && !inner.contains("<script"),
        "safe markup renders, nothing else: {inner}"
    );
    click(&c, "button[data-kind=like]").await;
    wait_for_path(&c, "/app/circles/").await;
    assert!(body_text(&c).await.contains("♥ 1"), "the like counts");
    fill(
        &c,
        "#comment-form textarea[name=body]",
        "一定到！Count me in",
    )
    .await;
    click(&c, "#comment-form button").await;
    wait_for_path(&c, "/app/circles/").await;
    c.find(Locator::Css("#comments details summary"))
        .await
        .unwrap_or_else(|e| panic!("{e}"))
        .click()
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    fill(&c, "#comments details input[name=body]", "带上我 Me too").await;
    click(&c, "#comments details button").await;
    wait_for_path(&c, "/app/circles/").await;
    let text = body_text(&c).await;
    assert!(
        text.contains("一定到！Count me in") && text.contains("带上我 Me too"),
        "{text}"
    );
    shot(&c, "10-post-comments").await;

    // The member limits who sees their older posts.
    c.goto(&format!("{base}/app/me"))
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    c.find(Locator::Css("#privacy input[value='3d']"))
        .await
        .unwrap_or_else(|e| panic!("{e}"))
        .click()
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    click(&c, "#privacy button").await;
    wait_text(&c, "Saved.").await;
    let checked = c
        .find(Locator::Css("#privacy input[value='3d']"))
        .await
        .unwrap_or_else(|e| panic!("{e}"))
        .prop("checked")
        .await
        .ok()
        .flatten();
    assert_eq!(checked.as_deref(), Some("true"));

    // Chat between two browsers: the owner logs in on a second browser and watches
    // the room; the invitee's message arrives there live, without a reload.
    let profile2 = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let Some((_driver2, c2)) = browser(profile2.path()).await else {
        return;
    };
    c2.goto(&format!("{base}/login"))
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    fill(&c2, "input[name=login]", "lin@browser.test").await;
    fill(&c2, "input[name=password]", "browser-pass-1").await;
    click(&c2, "button[type=submit].primary").await;
    c2.goto(&format!("{base}{circle_path}/chat"))
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    c.goto(&format!("{base}{circle_path}"))
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    click(&c, "#open-chat").await;
    fill(
        &c,
        "#chat-form input[name=body]",
        "大家好，周六见！See you Saturday",
    )
    .await;
    click(&c, "#chat-form button").await;
    wait_text(&c, "大家好，周六见！See you Saturday").await;
    wait_text(&c2, "大家好，周六见！See you Saturday").await;
    shot(&c2, "11-chat-live-in-second-browser").await;
    // The author promotes the message to a topic.
    click(&c, "#messages form button").await;
    wait_text(&c, "See you Saturday").await;
    assert!(
        c.current_url()
            .await
            .map(|u| u.path().contains("/posts/"))
            .unwrap_or(false),
        "promoting opens the new topic"
    );
    let _ = c2.close().await;

    // The Chinese interface, and the member app at phone width.
    c.goto(&format!("{base}/lang/zh-CN?next={console}"))
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    wait_text(&c, "员工").await;
    shot(&c, "06-console-zh").await;
    let _ = c.set_window_size(390, 844).await;
    c.goto(&format!("{base}/app"))
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(
        body_text(&c).await.contains("星河粉丝圈"),
        "my circles lists the joined circle"
    );
    shot(&c, "07-member-app-phone").await;
    c.goto(&format!("{base}{circle_path}"))
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    click(&c, "#checkins form button").await;
    wait_text(&c, "1 天连续打卡").await;
    shot(&c, "09-circle-feed-phone").await;
    let _ = c.close().await;
}

async fn log_in(c: &Client, base: &str, login: &str) {
    c.goto(&format!("{base}/login"))
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    fill(c, "input[name=login]", login).await;
    fill(c, "input[name=password]", "password-123").await;
    click(c, "button[type=submit].primary").await;
}

/// Opens the `<details>` with this summary selector (a click that does not navigate).
async fn open_details(c: &Client, css: &str) {
    c.find(Locator::Css(css))
        .await
        .unwrap_or_else(|e| panic!("{css}: {e}"))
        .click()
        .await
        .unwrap_or_else(|e| panic!("{e}"));
}

async fn select(c: &Client, css: &str, value: &str) {
    c.find(Locator::Css(css))
        .await
        .unwrap_or_else(|e| panic!("{css}: {e}"))
        .select_by_value(value)
        .await
        .unwrap_or_else(|e| panic!("{css} = {value}: {e}"));
}

/// Running a circle: an invite link joins a teaching circle; a task goes through
/// its board; a moderator's report hides a post, the queue removes it, the public
/// log says so; the console shows a person with tags, and the sensitive words.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn run_a_circle_in_chromium() {
    let Some(app) = spawn_app(Backend::Sqlite).await else {
        return;
    };
    let (owner, org) = app.owner("周老师 Zhou").await;
    let member = app.user("小美 Mei").await;
    let class = owner
        .c
        .post(
            &format!("/api/v1/orgs/{org}/circles"),
            serde_json::json!({"name": "茶艺入门课 Tea basics", "description": "八周课程 Eight weeks", "mode": "teaching"}),
        )
        .await
        .body["id"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    let fans = owner
        .c
        .post(
            &format!("/api/v1/orgs/{org}/circles"),
            serde_json::json!({"name": "茶友圈 Tea friends", "mode": "community"}),
        )
        .await
        .body["id"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    let profile = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let Some((_d1, a)) = browser(profile.path()).await else {
        return;
    };
    let profile2 = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let Some((_d2, b)) = browser(profile2.path()).await else {
        return;
    };
    let base = &app.base;
    let _ = b.set_window_size(390, 844).await;

    // The teacher makes an invite link for the class.
    log_in(&a, base, &owner.login).await;
    a.goto(&format!("{base}/app/circles/{class}/manage"))
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    fill(&a, "#invites input[name=label]", "微信群 WeChat group").await;
    click(&a, "#invites form button").await;
    let link = a
        .find(Locator::Id("invite-link"))
        .await
        .unwrap_or_else(|e| panic!("{e}"))
        .prop("value")
        .await
        .ok()
        .flatten()
        .unwrap_or_default();
    assert!(
        link.starts_with(&format!("{base}/app/join/")),
        "the link people copy is absolute: {link}"
    );
    wait_text(&a, "微信群 WeChat group").await;
    shot(&a, "12-manage-invite-link").await;

    // The student opens it (logged out first: sign-in carries them back), joins.
    b.goto(&link).await.unwrap_or_else(|e| panic!("{e}"));
    wait_text(&b, "茶艺入门课 Tea basics").await;
    click(&b, "a[href^='/login']").await;
    fill(&b, "input[name=login]", &member.login).await;
    fill(&b, "input[name=password]", "password-123").await;
    click(&b, "button[type=submit].primary").await;
    wait_for_path(&b, "/app/join/").await;
    shot(&b, "13-join-by-invite-phone").await;
    click(&b, "#join-accept").await;
    let at = wait_for_path(&b, "/app/circles/").await;
    assert!(at.contains(&class), "{at}");
    wait_text(&b, "✓").await;

    // In the community circle the teacher posts a task; the student claims it.
    b.goto(&format!("{base}/app/circles/{fans}"))
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    click(&b, "form[action$='/join'] button").await;
    a.goto(&format!("{base}/app/circles/{fans}"))
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    fill(
        &a,
        "#composer input[name=title]",
        "拍一组新品照片 Shoot the new teas",
    )
    .await;
    open_details(&a, "#composer details summary").await;
    select(&a, "#composer select[name=kind]", "task").await;
    click(&a, "#composer button.primary").await;
    wait_text(&a, "拍一组新品照片").await;
    b.goto(&format!("{base}/app/circles/{fans}"))
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    click(&b, "#feed h3 a").await;
    click(&b, "button[data-action=claim]").await;
    wait_text(&b, "Claimed").await;
    shot(&b, "14-task-claimed-phone").await;

    // The teacher posts a photo from the composer.
    a.goto(&format!("{base}/app/circles/{fans}"))
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    fill(
        &a,
        "#composer input[name=title]",
        "今天的茶席 Today's tea table",
    )
    .await;
    let photo = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/it/tea.png");
    open_details(&a, "#composer details summary").await;
    fill(&a, "#composer input[name=tags]", "茶席，Photos").await;
    a.find(Locator::Css("#composer input[type=file]"))
        .await
        .unwrap_or_else(|e| panic!("{e}"))
        .send_keys(&photo.display().to_string())
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    click(&a, "#composer button.primary").await;
    wait_text(&a, "今天的茶席").await;
    let loaded = a
        .execute(
            "const i = document.querySelector('#feed .thumbs img'); return i && i.complete ? i.naturalWidth : 0",
            vec![],
        )
        .await
        .ok()
        .and_then(|v| v.as_u64())
        .unwrap_or(0);
    assert_eq!(loaded, 48, "the uploaded image shows in the feed");
    let _ = a
        .execute("document.getElementById('feed').scrollIntoView()", vec![])
        .await;
    shot(&a, "22-feed-with-image").await;
    // The waterfall: two columns side by side, the photo as the first card's cover.
    let columns = a
        .execute(
            "const c = document.querySelectorAll('#feed .col'); \
             const l = c[0] && c[0].querySelector('article'); const r = c[1] && c[1].querySelector('article'); \
             return [c.length, l && r ? Math.round(r.getBoundingClientRect().left - l.getBoundingClientRect().left) : 0, \
                     document.querySelectorAll('#feed .col:first-child article:first-child .cover img').length]",
            vec![],
        )
        .await
        .ok()
        .and_then(|v| v.as_array().cloned())
        .unwrap_or_default();
    assert_eq!(
        columns.first().and_then(|v| v.as_u64()),
        Some(2),
        "{columns:?}"
    );
    assert!(
        columns.get(1).and_then(|v| v.as_i64()).unwrap_or(0) > 100,
        "the second column stands beside the first: {columns:?}"
    );
    assert_eq!(
        columns.get(2).and_then(|v| v.as_u64()),
        Some(1),
        "cover image"
    );
    // The post's topic tag leads to the circle's posts with that tag.
    click(&a, "#feed .post-tags a[href$='tag=photos']").await;
    let tagged = wait_text(&a, "#photos").await;
    assert!(
        tagged.contains("今天的茶席") && !tagged.contains("拍一组新品照片"),
        "only the tagged post: {tagged}"
    );
    let _ = a
        .execute(
            "document.getElementById('tag-filter').scrollIntoView({block: 'start'})",
            vec![],
        )
        .await;
    shot(&a, "30-feed-by-topic-tag").await;

    // The student posts spam; the teacher (a moderator) reports it: hidden at once.
    b.goto(&format!("{base}/app/circles/{fans}"))
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    fill(
        &b,
        "#composer input[name=title]",
        "加我微信领红包 Free money",
    )
    .await;
    click(&b, "#composer button.primary").await;
    a.goto(&format!("{base}/app/circles/{fans}"))
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    click(&a, "#feed a[href*='/posts/']").await;
    wait_text(&a, "Free money").await;
    open_details(&a, "details.post-actions summary").await;
    select(&a, "#report-form select[name=reason]", "spam").await;
    click(&a, "#report").await;
    wait_for_path(&a, "/app/circles/").await;
    let feed = body_text(&a).await;
    assert!(
        !feed.contains("Free money") || feed.contains("Hidden"),
        "{feed}"
    );
    b.goto(&format!("{base}/app/circles/{fans}"))
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    wait_text(&b, "Hidden for review").await;
    a.goto(&format!("{base}/app/circles/{fans}/manage"))
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    wait_text(&a, "Free money").await;
    shot(&a, "15-manage-queue").await;
    click(&a, "#queue button.danger").await;
    wait_text(&a, "Nothing waits for review").await;
    a.goto(&format!("{base}/app/circles/{fans}/log"))
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let log = wait_text(&a, "removed a reported post").await;
    assert!(log.contains("hid a post after reports"), "{log}");
    shot(&a, "16-moderation-log").await;

    // Search finds the task by a Chinese word inside its title.
    a.goto(&format!("{base}/app/circles/{fans}"))
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    fill(&a, "#circle-search input[name=q]", "新品").await;
    click(&a, "#circle-search button").await;
    let found = wait_text(&a, "1 result").await;
    assert!(found.contains("拍一组新品照片"), "{found}");
    assert!(
        !found.contains("1 results"),
        "one result is a result: {found}"
    );
    shot(&a, "21-search").await;

    // The console: persons, one person with circles and a tag, sensitive words.
    a.goto(&format!("{base}/console/{org}/persons"))
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    wait_text(&a, "小美 Mei").await;
    shot(&a, "17-console-persons").await;
    let href = a
        .find(Locator::LinkText("小美 Mei"))
        .await
        .unwrap_or_else(|e| panic!("{e}"))
        .attr("href")
        .await
        .ok()
        .flatten()
        .unwrap_or_default();
    a.goto(&format!("{base}{href}"))
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    fill(&a, "form[action$='/tags'] input[name=tag]", "VIP").await;
    click(&a, "form[action$='/tags'] button").await;
    let page = wait_text(&a, "vip").await;
    assert!(
        page.contains("茶艺入门课 Tea basics") && page.contains("Tea friends"),
        "the person's circles: {page}"
    );
    assert!(page.contains("Joined"), "{page}");
    shot(&a, "18-console-person").await;
    a.goto(&format!("{base}/console/{org}/moderation"))
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    fill(&a, "input[name=word]", "刷单").await;
    click(&a, "form[action$='/moderation'] button").await;
    wait_text(&a, "刷单").await;
    shot(&a, "19-console-words").await;
    // The teacher makes the student a moderator and marks her a customer.
    a.goto(&format!("{base}/app/circles/{fans}/manage"))
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    select(&a, "form.member-edit select[name=role]", "moderator").await;
    a.find(Locator::Css("form.member-edit input[name=customer]"))
        .await
        .unwrap_or_else(|e| panic!("{e}"))
        .click()
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    click(&a, "form.member-edit button").await;
    let members = wait_text(&a, "Moderator · Customer").await;
    assert!(members.contains("小美 Mei"), "{members}");
    shot(&a, "25-manage-roles-settings").await;

    // Discovery: the teacher asks for the circle to be featured, approves it in the
    // console as the org's owner; the student finds it featured.
    a.goto(&format!("{base}/app/circles/{fans}/manage"))
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    click(&a, "#boost button").await;
    a.goto(&format!("{base}/console/{org}/circles"))
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    click(&a, "#circles input[value=approved] + button").await;
    wait_text(&a, "Featured").await;
    b.goto(&format!("{base}/app/discover"))
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let found = wait_text(&b, "Featured").await;
    assert!(found.contains("茶友圈 Tea friends"), "{found}");
    shot(&b, "23-discover-phone").await;

    // The console's circle page: a join request approved, tags set, a cover
    // uploaded; the student finds the circle by its tag on her phone.
    let club = owner
        .c
        .post(
            &format!("/api/v1/orgs/{org}/circles"),
            serde_json::json!({"name": "品鉴会 Tasting club", "description": "每月一次 Once a month", "mode": "community", "join_policy": "approval"}),
        )
        .await
        .body["id"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    let jie = app.user("阿杰 Jie").await;
    let r = jie
        .c
        .post(
            &format!("/api/v1/circles/{club}/join"),
            serde_json::json!({}),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    a.goto(&format!("{base}/console/{org}/circles"))
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    click(
        &a,
        &format!("#circles a.button[href='/console/{org}/circles/{club}']"),
    )
    .await;
    wait_text(&a, "阿杰 Jie").await;
    click(&a, "#requests input[value=approve] + button").await;
    let page = wait_text(&a, "No one is waiting.").await;
    assert!(page.contains("阿杰 Jie"), "now among the members: {page}");
    fill(&a, "#settings input[name=tags]", "品鉴，Tasting, 乌龙").await;
    click(&a, "#settings button.primary").await;
    let tags = wait_text(&a, "#tasting").await;
    assert!(tags.contains("#品鉴") && tags.contains("#乌龙"), "{tags}");
    // Saving said so; an invite link for a poster is made without leaving the console.
    assert!(tags.contains("Saved."), "{tags}");
    fill(&a, "#invites input[name=label]", "门店海报 Poster").await;
    click(&a, "#invites button.primary").await;
    wait_text(&a, "门店海报 Poster").await;
    let link = a
        .find(Locator::Css("#invite-link"))
        .await
        .unwrap_or_else(|e| panic!("{e}"))
        .prop("value")
        .await
        .unwrap_or_else(|e| panic!("{e}"))
        .unwrap_or_default();
    assert!(link.starts_with(&format!("{base}/app/join/")), "{link}");
    shot(&a, "30-console-circle-invites").await;
    a.find(Locator::Css("#cover-form input[type=file]"))
        .await
        .unwrap_or_else(|e| panic!("{e}"))
        .send_keys(&photo.display().to_string())
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    click(&a, "#cover-form button[type=submit]").await;
    let cover = a
        .execute(
            "const i = document.querySelector('#profile img.cover'); return i && i.complete ? i.naturalWidth : 0",
            vec![],
        )
        .await
        .ok()
        .and_then(|v| v.as_i64())
        .unwrap_or(0);
    assert!(cover > 0, "the cover shows");
    shot(&a, "26-console-circle").await;
    // Jie becomes the circle's first moderator from the members table.
    select(
        &a,
        "tr[data-member='阿杰 Jie'] select[name=role]",
        "moderator",
    )
    .await;
    click(&a, "tr[data-member='阿杰 Jie'] form button").await;
    wait_text(&a, "Moderator #1").await;
    let _ = a
        .execute(
            "document.querySelector('#members').scrollIntoView({block: 'start'})",
            vec![],
        )
        .await;
    shot(&a, "28-console-circle-members").await;
    b.goto(&format!("{base}/app/discover?tag=tasting"))
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let found = wait_text(&b, "品鉴会 Tasting club").await;
    assert!(
        !found.contains("茶友圈 Tea friends"),
        "only the tagged circle: {found}"
    );
    shot(&b, "27-discover-by-tag-phone").await;

    // A second chat room, added by the teacher from the chat page.
    a.goto(&format!("{base}/app/circles/{fans}/chat"))
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    open_details(&a, "#rooms details summary").await;
    fill(&a, "#room-form input[name=name]", "新品讨论 New teas").await;
    click(&a, "#room-form button").await;
    let rooms = wait_text(&a, "# 新品讨论 New teas").await;
    assert!(rooms.contains("# 大厅") || rooms.contains("#"), "{rooms}");
    shot(&a, "24-chat-rooms").await;
    // Typing @ offers the circle's members; Enter picks one; the message mentions her.
    fill(&a, "#chat-form input[name=body]", "@小").await;
    let mut offered = String::new();
    for _ in 0..50 {
        offered = a
            .execute(
                "const l = document.querySelector('#chat-form .mention-list'); return l && !l.hidden ? l.textContent : ''",
                vec![],
            )
            .await
            .ok()
            .and_then(|v| v.as_str().map(str::to_owned))
            .unwrap_or_default();
        if !offered.is_empty() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(offered.contains("@小美 Mei"), "suggestions: {offered:?}");
    shot(&a, "29-chat-mention-suggest").await;
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
    click(&a, "#chat-form button[type=submit]").await;
    wait_text(&a, "see you Saturday").await;

    // The student hears what happened to her post, and to her claimed task.
    b.goto(&format!("{base}/app/notifications"))
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let notes = wait_text(&b, "removed by a moderator").await;
    assert!(notes.contains("hidden pending review"), "{notes}");
    assert!(
        notes.contains("see you Saturday"),
        "the chat mention: {notes}"
    );
    shot(&b, "20-notifications-phone").await;
    click(&b, "#mark-read").await;
    wait_text(&b, "0 unread").await;

    // A link to a private approval circle opens its door; the student knocks.
    let runners = owner
        .circle(
            &org,
            serde_json::json!({"name": "晨跑团 Morning runners", "mode": "community", "join_policy": "approval", "public": false}),
        )
        .await;
    b.goto(&format!("{base}/app/circles/{runners}"))
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    wait_text(&b, "晨跑团 Morning runners").await;
    shot(&b, "31-doorway-request-phone").await;
    click(&b, "#door-request").await;
    wait_text(&b, "Your request is waiting").await;
    shot(&b, "32-doorway-pending-phone").await;
    let _ = b.close().await;
    let _ = a.close().await;
}
