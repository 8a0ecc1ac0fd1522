//! The demo data loads on both backends (it drives most use cases end to end), is
//! idempotent, and shows what it promises.

use quan_testkit::{TestApp, on_both_backends};
use serde_json::json;

on_both_backends!(demo_loads_once_and_shows_every_mode);

async fn demo_loads_once_and_shows_every_mode(app: TestApp) {
    let loaded = quan::demo::load(&app.services)
        .await
        .unwrap_or_else(|e| panic!("demo: {e:#}"));
    assert!(loaded);
    let again = quan::demo::load(&app.services)
        .await
        .unwrap_or_else(|e| panic!("demo again: {e:#}"));
    assert!(!again, "a second load does nothing");

    let c = app.client();
    let r = c
        .post(
            "/api/v1/sessions",
            json!({"login": quan::demo::DEMO_OWNER, "password": quan::demo::DEMO_PASSWORD}),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    let circles = c.get("/api/v1/circles").await;
    let modes: Vec<String> = circles
        .body
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|c| c["mode"].as_str().map(str::to_owned))
        .collect();
    for m in ["community", "business", "teaching", "internal"] {
        assert!(modes.iter().any(|x| x == m), "{m} in {modes:?}");
    }
    let find = |mode: &str| {
        circles
            .body
            .as_array()
            .into_iter()
            .flatten()
            .find(|c| c["mode"] == mode)
            .and_then(|c| c["id"].as_str())
            .unwrap_or_default()
            .to_owned()
    };
    let fans = find("community");
    let feed = c
        .get(&format!("/api/v1/circles/{fans}/feed?sort=hot&limit=20"))
        .await;
    assert_eq!(feed.body["items"].as_array().map(Vec::len), Some(20));
    assert_eq!(feed.body["pinned"].as_array().map(Vec::len), Some(1));
    let log = c
        .get(&format!("/api/v1/circles/{fans}/moderation/log"))
        .await;
    assert!(log.text.contains("Duplicate post"), "{}", log.text);
    // Weeks of varied posts, many with pictures, from customers and fans too.
    let recent = c
        .get(&format!("/api/v1/circles/{fans}/feed?sort=new&limit=50"))
        .await;
    let items = recent.body["items"].as_array().cloned().unwrap_or_default();
    let mut titles: Vec<&str> = items.iter().filter_map(|p| p["title"].as_str()).collect();
    assert!(titles.len() >= 30, "{} posts", titles.len());
    titles.sort_unstable();
    titles.dedup();
    assert!(titles.len() >= 30, "distinct titles: {titles:?}");
    assert!(
        titles.iter().all(|t| !t.contains(" #")),
        "no numbered copies: {titles:?}"
    );
    let times: Vec<i64> = items
        .iter()
        .filter_map(|p| p["created_at"].as_i64())
        .collect();
    let span = times.iter().max().unwrap_or(&0) - times.iter().min().unwrap_or(&0);
    assert!(span > 14 * 86_400_000, "history spans {span} ms");
    let covers: Vec<&str> = items
        .iter()
        .filter_map(|p| p["thumbs"][0].as_str())
        .collect();
    assert!(covers.len() >= 10, "{} posts with pictures", covers.len());
    let pic = c.get(covers[0]).await;
    assert_eq!(pic.status, 200, "{}", covers[0]);
    let authors: std::collections::HashSet<&str> = items
        .iter()
        .filter_map(|p| p["author"]["display_name"].as_str())
        .collect();
    assert!(authors.len() >= 12, "{authors:?}");
    let members = c
        .get(&format!("/api/v1/circles/{fans}/members?limit=100"))
        .await;
    let typed = |t: &str| {
        members.body["items"]
            .as_array()
            .into_iter()
            .flatten()
            .filter(|m| {
                m["types"]
                    .as_array()
                    .is_some_and(|ts| ts.iter().any(|x| x == t))
            })
            .count()
    };
    assert!(
        typed("customer") >= 5 && typed("fan") >= 5,
        "{}",
        members.text
    );
    // A post with a held word waits for review; the owner has caught up on older
    // notifications, so only the last day's are unread.
    let queue = c
        .get(&format!("/api/v1/circles/{fans}/moderation/queue"))
        .await;
    assert!(queue.text.contains("转让会员卡"), "{}", queue.text);
    let notes = c.get("/api/v1/me/notifications").await;
    let unread = notes.body["unread"].as_i64().unwrap_or(-1);
    assert!((1..40).contains(&unread), "unread {unread}: {}", notes.text);
    let board = find("business");
    let tasks = c.get(&format!("/api/v1/circles/{board}/feed")).await;
    let states: Vec<&str> = tasks.body["items"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|p| p["task_state"].as_str())
        .collect();
    for s in ["open", "claimed", "delivered", "accepted"] {
        assert!(states.contains(&s), "{s} in {states:?}");
    }
    let class = find("teaching");
    let info = c.get(&format!("/api/v1/circles/{class}")).await;
    assert!(
        info.body["member_count"].as_i64().unwrap_or(0) >= 6,
        "{}",
        info.text
    );
    // The console pages render with the demo data.
    let orgs = c.get("/api/v1/orgs").await;
    let org = orgs.body[0]["id"].as_str().unwrap_or_default().to_owned();
    // The console's recent activity says what a post event is about.
    let overview = c.get(&format!("/console/{org}")).await;
    assert!(
        overview.text.contains("第三课：冷泡与热泡"),
        "the newest post is named in the activity"
    );
    assert!(
        overview.text.contains("New comment · "),
        "a comment names its post"
    );
    for path in [
        format!("/console/{org}/persons"),
        format!("/console/{org}/moderation"),
        format!("/app/circles/{fans}"),
        format!("/app/circles/{fans}/manage"),
        format!("/app/circles/{board}"),
        format!("/app/circles/{class}"),
        "/app/discover".to_owned(),
        "/app/notifications".to_owned(),
        format!("/app/circles/{fans}/search?q=%E4%B9%8C%E9%BE%99"),
    ] {
        let r = c.get(&path).await;
        assert_eq!(
            r.status,
            200,
            "{path}: {}",
            r.text.chars().take(300).collect::<String>()
        );
    }
}
