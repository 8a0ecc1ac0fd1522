//! Moments: a staff member's moment reaches their customers, only those with one of
//! its tags when it has tags; each customer sees at most three a local day across
//! staff (the earliest); likes and comments are seen by the author alone; a moment
//! outside a customer's feed cannot be liked or commented on. Both backends.

use quan_testkit::{TestApp, User, on_both_backends};
use serde_json::json;

on_both_backends!(
    moments_reach_customers_by_tags_capped_per_day,
    reactions_are_the_authors_alone
);

/// Alice and Bob (sales) of a shop; Chen, a VIP customer of both; Dan, a customer of
/// Alice only: (owner, org, alice, bob, chen, dan).
async fn shop(app: &TestApp) -> (User, String, User, User, User, User) {
    let (owner, org) = app.owner("Tea House").await;
    let (alice, bob) = (app.user("Alice").await, app.user("Bob").await);
    app.join(&owner, &org, &alice, "sales").await;
    app.join(&owner, &org, &bob, "sales").await;
    let vip = owner
        .create_code(
            &org,
            json!({"name": "VIP", "staff": [alice.id], "tags": ["vip"]}),
        )
        .await;
    let plain = owner
        .create_code(&org, json!({"name": "Poster", "staff": [alice.id]}))
        .await;
    let bobs = owner
        .create_code(&org, json!({"name": "Bob", "staff": [bob.id]}))
        .await;
    let (chen, dan) = (app.user("Chen").await, app.user("Dan").await);
    chen.open_code(&vip.url).await;
    chen.open_code(&bobs.url).await;
    dan.open_code(&plain.url).await;
    (owner, org, alice, bob, chen, dan)
}

fn bodies(feed: &[quan_web::api::reach::moments::FeedMomentDto]) -> Vec<&str> {
    feed.iter().map(|f| f.body.as_str()).collect()
}

async fn moments_reach_customers_by_tags_capped_per_day(app: TestApp) {
    let (_, org, alice, bob, chen, dan) = shop(&app).await;
    // On to 10:00 in Shanghai (UTC+8): the whole burst falls in one local day.
    let now = quan_core::Clock::now(app.clock.as_ref()).millis();
    let into_day = (now + 8 * 3_600_000).rem_euclid(86_400_000);
    app.clock
        .advance_secs((10 * 3_600_000 - into_day).rem_euclid(86_400_000) / 1000);
    for (who, body, tags) in [
        (&alice, "冬季新品到店", vec![]),
        (&alice, "VIP 专享品鉴会", vec!["vip"]),
        (&bob, "周末茶艺课", vec![]),
        (&bob, "今晚直播", vec![]),
    ] {
        who.post_moment(&org, body, &tags).await;
        app.clock.advance_secs(600);
    }
    // Four reached Chen today: the earliest three stay, newest first.
    let feed = chen.moment_feed().await;
    assert_eq!(
        bodies(&feed),
        ["周末茶艺课", "VIP 专享品鉴会", "冬季新品到店"]
    );
    assert!(
        feed.iter()
            .all(|f| f.org_name == "Tea House's org" && !f.liked)
    );
    // Dan is not VIP and not Bob's: one.
    assert_eq!(bodies(&dan.moment_feed().await), ["冬季新品到店"]);
    // Someone who is no one's customer sees none.
    assert!(app.user("Eve").await.moment_feed().await.is_empty());
    // A customer who opted out of the org's mass messages sees no moments either.
    dan.opt_out(&org, true).await;
    assert!(dan.moment_feed().await.is_empty());
    dan.opt_out(&org, false).await;
    // A new local day, a new allowance.
    app.clock.advance_secs(86_400);
    alice.post_moment(&org, "腊八粥预订", &[]).await;
    let feed = chen.moment_feed().await;
    assert_eq!(feed.len(), 4);
    assert_eq!(feed[0].body, "腊八粥预订");
    // Bad input is refused with its reason, and nothing is posted.
    let r = alice.try_post_moment(&org, json!({"body": "  "})).await;
    assert_eq!(r.problem(), (422, Some("required")));
    let long = "字".repeat(1001);
    let r = alice.try_post_moment(&org, json!({"body": long})).await;
    assert_eq!(r.problem(), (422, Some("too_long")));
    let r = alice
        .try_post_moment(&org, json!({"body": "新品\u{1b}[31m"}))
        .await;
    assert_eq!(r.problem().0, 422, "control characters: {}", r.text);
    let tags: Vec<String> = (0..11).map(|i| format!("t{i}")).collect();
    let r = alice
        .try_post_moment(&org, json!({"body": "x", "tags": tags}))
        .await;
    assert_eq!(r.problem(), (422, Some("too_many")));
    assert_eq!(alice.my_moments(&org).await.items.len(), 3);
}

async fn reactions_are_the_authors_alone(app: TestApp) {
    let (owner, org, alice, bob, chen, dan) = shop(&app).await;
    let all = alice.post_moment(&org, "冬季新品到店", &[]).await.id;
    let vip = alice.post_moment(&org, "VIP 专享", &["vip"]).await.id;
    chen.like_moment(&all, true).await;
    chen.like_moment(&all, true).await;
    chen.comment_moment(&all, "想要一盒").await;
    dan.like_moment(&all, true).await;
    dan.comment_moment(&all, "几点开门？").await;
    // The author sees who liked and every comment.
    let d = alice.moment(&org, &all).await;
    assert_eq!((d.moment.likes, d.moment.comments), (2, 2));
    let mut names: Vec<&str> = d.likes.iter().map(|l| l.person_name.as_str()).collect();
    names.sort_unstable();
    assert_eq!(names, ["Chen", "Dan"]);
    assert_eq!(d.comments[0].body, "想要一盒");
    // A customer sees their own like and comment, no counts, no one else's.
    let feed = chen.moment_feed().await;
    let Some(mine) = feed.iter().find(|f| f.id == all) else {
        panic!("the moment is in Chen's feed: {feed:?}")
    };
    assert!(mine.liked);
    // The DTO refuses unknown fields: no tags, no counts reach a customer.
    let raw = chen.c.get("/api/v1/me/moments").await;
    assert!(raw.text.contains("想要一盒") && !raw.text.contains("\"tags\""));
    let said: Vec<&str> = mine.mine.iter().map(|c| c.body.as_str()).collect();
    assert_eq!(said, ["想要一盒"]);
    // Another staff member, even the owner, does not read Alice's reactions.
    assert_eq!(bob.try_moment(&org, &all).await.problem().0, 404);
    assert_eq!(owner.try_moment(&org, &all).await.problem().0, 404);
    // Outside Dan's feed: not found, nothing recorded.
    assert_eq!(dan.try_like_moment(&vip, true).await.problem().0, 404);
    assert_eq!(dan.try_comment_moment(&vip, "x").await.problem().0, 404);
    let r = chen.try_comment_moment(&all, &"长".repeat(301)).await;
    assert_eq!(r.problem(), (422, Some("too_long")));
    // Five a minute per moment, then wait.
    for i in 0..4 {
        chen.comment_moment(&all, &format!("再问一句 {i}")).await;
    }
    let r = chen.try_comment_moment(&all, "第六条").await;
    assert_eq!(r.problem(), (429, Some("rate_limited")));
    chen.like_moment(&all, false).await;
    assert_eq!(alice.moment(&org, &all).await.moment.likes, 1);
    // Bob may not take Alice's moment down; the owner may, and it leaves the feeds.
    assert_eq!(bob.try_delete_moment(&org, &all).await.problem().0, 403);
    assert_eq!(owner.try_delete_moment(&org, &all).await.status, 204);
    assert_eq!(bodies(&chen.moment_feed().await), ["VIP 专享"]);
    assert_eq!(chen.try_like_moment(&all, true).await.problem().0, 404);
}
