//! Running a circle's people and face: the moderator order (an earlier moderator
//! outranks a later one), join requests approved or declined, cover and tags (and
//! discovery by tag), and trust levels earned from days visited and posts read.
//! Every test on both backends.

use quan_testkit::{TestApp, User, on_both_backends};
use serde_json::{Value, json};

on_both_backends!(
    earlier_moderators_outrank_later_ones,
    admins_are_peers_below_the_org_owner,
    join_requests_are_approved_or_declined,
    cover_and_tags_show_and_filter_discovery,
    bad_covers_and_tags_are_refused,
    trust_grows_with_days_visited_and_posts_read,
    posts_carry_topic_tags,
    bad_topic_tags_are_refused
);

fn s(v: &Value) -> String {
    v.as_str().unwrap_or_default().to_owned()
}

/// A community circle with First and Second appointed moderators a minute apart,
/// an admin and a plain member: (owner, circle, [first, second, admin, plain]).
async fn ranked(app: &TestApp) -> (User, String, [User; 4]) {
    let (owner, org) = app.owner("Mods").await;
    let c = owner
        .circle(&org, json!({"name": "Order", "mode": "community"}))
        .await;
    let users = [
        app.user("First").await,
        app.user("Second").await,
        app.user("Admin").await,
        app.user("Plain").await,
    ];
    for u in &users {
        u.join(&c).await;
    }
    owner
        .set_member(&c, &users[0].id, json!({"role": "moderator"}))
        .await;
    app.clock.advance_secs(60);
    owner
        .set_member(&c, &users[1].id, json!({"role": "moderator"}))
        .await;
    owner
        .set_member(&c, &users[2].id, json!({"role": "admin"}))
        .await;
    (owner, c, users)
}

async fn earlier_moderators_outrank_later_ones(app: TestApp) {
    let (owner, c, [first, second, admin, plain]) = ranked(&app).await;
    let mute = |by: &User, whom: &User| {
        let (by, whom, c) = (by.c.clone(), whom.id.clone(), c.clone());
        async move {
            let path = format!("/api/v1/circles/{c}/sanctions/{whom}/mute");
            by.put(&path, json!({"hours": 1, "reason": "test"}))
                .await
                .status
        }
    };
    assert_eq!(mute(&first, &second).await, 200, "earlier outranks later");
    assert_eq!(mute(&second, &first).await, 403, "later does not outrank");
    assert_eq!(
        mute(&second, &plain).await,
        200,
        "moderators act on members"
    );
    assert_eq!(
        mute(&first, &admin).await,
        403,
        "moderators never on admins"
    );
    assert_eq!(mute(&admin, &first).await, 200, "admins on every moderator");
    assert_eq!(mute(&admin, &owner).await, 403, "no one on the owner");

    // Setting the same role keeps seniority; a new appointment starts at the back.
    let role = |r: &str| json!({ "role": r });
    owner.set_member(&c, &first.id, role("moderator")).await;
    app.clock.advance_secs(60);
    assert_eq!(mute(&first, &second).await, 200, "first is still first");
    owner.set_member(&c, &first.id, role("member")).await;
    app.clock.advance_secs(60);
    owner.set_member(&c, &first.id, role("moderator")).await;
    assert_eq!(mute(&second, &first).await, 200, "re-appointed: now junior");
    assert_eq!(mute(&first, &second).await, 403);
}

async fn admins_are_peers_below_the_org_owner(app: TestApp) {
    let (owner, c, [_, second, admin, _]) = ranked(&app).await;
    // Admins are peers: an admin does not demote another; the owner does.
    let other_admin = app.user("Other").await;
    other_admin.join(&c).await;
    owner
        .set_member(&c, &other_admin.id, json!({"role": "admin"}))
        .await;
    let r = admin
        .try_set_member(&c, &other_admin.id, json!({"role": "member"}))
        .await;
    assert_eq!(r.status, 403, "{}", r.text);
    let types = json!({"types": ["member", "fan"]});
    let m = admin.set_member(&c, &other_admin.id, types).await;
    assert_eq!(m.types, ["member", "fan"], "types are not rank");
    admin
        .set_member(&c, &second.id, json!({"role": "member"}))
        .await; // admins outrank moderators
    // The org's owner stands above the circle's admins (not as circle owner).
    owner
        .set_member(&c, &other_admin.id, json!({"role": "moderator"}))
        .await;
    // The listing carries the appointment time that orders moderators.
    let page = owner.members(&c, "").await;
    let mods: Vec<i64> = page
        .items
        .iter()
        .filter(|m| m.role == "moderator")
        .map(|m| m.role_since)
        .collect();
    assert_eq!(mods.len(), 2, "{mods:?}");
    assert!(mods.iter().all(|t| *t > 0), "{mods:?}");
}

async fn join_requests_are_approved_or_declined(app: TestApp) {
    let (owner, org) = app.owner("Req").await;
    let c = owner
        .circle(
            &org,
            json!({"name": "Gate", "mode": "community", "join_policy": "approval"}),
        )
        .await;
    let (ann, bob, mod_) = (
        app.user("Ann").await,
        app.user("Bob").await,
        app.user("Mod").await,
    );
    for u in [&ann, &bob] {
        u.join(&c).await;
    }
    let pending = format!("/api/v1/circles/{c}/members?status=pending");
    let r = owner.c.get(&pending).await;
    assert_eq!(
        r.body["items"].as_array().map(Vec::len),
        Some(2),
        "{}",
        r.text
    );
    // A plain member or a stranger declines nothing.
    let decline = |u: &User| format!("/api/v1/circles/{c}/members/{}/decline", u.id);
    let r = mod_.c.post(&decline(&bob), json!({})).await;
    assert_eq!(r.status, 403, "a stranger decides nothing");
    let r = owner
        .c
        .post(
            &format!("/api/v1/circles/{c}/members/{}/approve", ann.id),
            json!({}),
        )
        .await;
    assert_eq!(r.status, 204, "{}", r.text);
    let r = ann.c.post(&decline(&bob), json!({})).await;
    assert_eq!(r.status, 403, "members do not decide requests");
    let r = owner.c.post(&decline(&bob), json!({})).await;
    assert_eq!(r.status, 204, "{}", r.text);
    let r = owner.c.post(&decline(&bob), json!({})).await;
    assert_eq!(r.status, 404, "declined once");
    let r = owner.c.post(&decline(&ann), json!({})).await;
    assert_eq!(r.status, 404, "an active member is not a request");
    let r = owner.c.get(&pending).await;
    assert_eq!(r.body["items"], json!([]), "{}", r.text);
    // Bob was told, and may ask again.
    let r = bob.c.get("/api/v1/me/notifications").await;
    assert!(r.text.contains("join request declined"), "{}", r.text);
    bob.join(&c).await;
    let r = owner.c.get(&pending).await;
    assert_eq!(r.body["items"].as_array().map(Vec::len), Some(1));
    // The circle page in the console lists the request and decides it.
    let page = owner.c.get(&format!("/console/{org}/circles/{c}")).await;
    assert_eq!(page.status, 200);
    assert!(page.text.contains("Bob") && page.text.contains("/requests/"));
}

/// Org `Face` with a tagged public circle Tea and an untagged one, Bikes:
/// (owner, tea, bikes).
async fn faces(app: &TestApp) -> (User, String, String) {
    let (owner, org) = app.owner("Face").await;
    let tea = json!({"name": "Tea", "mode": "community", "tags": [" Tea ", "乌龙", "tea"]});
    let tea = owner.create_circle(&org, tea).await;
    assert_eq!(tea.tags, ["tea", "乌龙"]);
    let bikes = owner
        .circle(&org, json!({"name": "Bikes", "mode": "community"}))
        .await;
    (owner, tea.id, bikes)
}

async fn cover_and_tags_show_and_filter_discovery(app: TestApp) {
    let (owner, c, _) = faces(&app).await;
    let img = owner.upload_png(&c).await;
    let body = json!({"cover_image_id": img, "tags": ["tea", "乌龙", "green tea"]});
    let edited = owner.settings(&c, body).await;
    let cover = format!("/api/v1/images/{img}");
    assert_eq!(edited.cover_url.as_deref(), Some(cover.as_str()));
    assert_eq!(edited.tags, ["tea", "乌龙", "green tea"]);
    // A visitor of the public circle (not a member) sees the cover; the circle's
    // other uploads stay private to their uploader.
    let visitor = app.user("Visitor").await;
    assert_eq!(visitor.c.get(&cover).await.status, 200);
    let loose = owner.upload_png(&c).await;
    let r = visitor.c.get(&format!("/api/v1/images/{loose}")).await;
    assert_eq!(r.status, 404);
    // Discovery by tag: exact tags, case-folded; LIKE wildcards are literal.
    assert_eq!(visitor.listed_with(Some("乌龙")).await, ["Tea"]);
    assert_eq!(visitor.listed_with(Some("TEA")).await, ["Tea"]);
    let prefix = visitor.listed_with(Some("te")).await;
    assert!(prefix.is_empty(), "a prefix is not a tag: {prefix:?}");
    let wild = visitor.listed_with(Some("%")).await;
    assert!(wild.is_empty(), "% is not a wildcard: {wild:?}");
    assert!(visitor.listed().await.contains(&"Bikes".to_owned()));
    let r = visitor.try_discover(Some("a,b")).await;
    assert_eq!(r.problem(), (422, Some("invalid_tag")));
    // Removing the cover; clearing the tags.
    let cleared = owner
        .settings(&c, json!({"cover_image_id": "", "tags": []}))
        .await;
    assert_eq!((cleared.cover_url, cleared.tags.len()), (None, 0));
    let r = visitor.c.get(&cover).await;
    assert_eq!(r.status, 404, "no longer the cover");
}

async fn bad_covers_and_tags_are_refused(app: TestApp) {
    let (owner, c, bikes) = faces(&app).await;
    // Another circle's image, a malformed id, too many tags.
    let theirs = owner.upload_png(&bikes).await;
    let r = owner
        .try_settings(&c, json!({"cover_image_id": theirs}))
        .await;
    assert_eq!(r.problem(), (422, Some("unknown_image")));
    let r = owner
        .try_settings(&c, json!({"cover_image_id": "nope"}))
        .await;
    assert_eq!(r.status, 400);
    let six = json!({"tags": ["a", "b", "c", "d", "e", "f"]});
    let r = owner.try_settings(&c, six).await;
    assert_eq!(r.problem(), (422, Some("too_many")));
}

async fn trust_grows_with_days_visited_and_posts_read(app: TestApp) {
    let (owner, org) = app.owner("Trust").await;
    let c = owner
        .circle(&org, json!({"name": "Readers", "mode": "community"}))
        .await;
    let reader = app.user("Reader").await;
    reader.join(&c).await;
    let mut posts = Vec::new();
    for i in 0..6 {
        let r = owner
            .c
            .post(
                &format!("/api/v1/circles/{c}/posts"),
                json!({"title": format!("post {i}")}),
            )
            .await;
        posts.push(s(&r.body["id"]));
    }
    let r = owner.c.get(&format!("/api/v1/circles/{c}/members")).await;
    let person = r.body["items"]
        .as_array()
        .into_iter()
        .flatten()
        .find(|m| m["account_id"] == json!(reader.id))
        .map(|m| s(&m["person_id"]))
        .unwrap_or_default();
    let profile = format!("/api/v1/orgs/{org}/persons/{person}/profile");
    let standing = || async {
        let r = owner.c.get(&profile).await;
        assert_eq!(r.status, 200, "{}", r.text);
        let row = r.body["circles"][0].clone();
        (
            row["trust_level"].as_i64().unwrap_or(-1),
            row["days_visited"].as_i64().unwrap_or(-1),
            row["posts_read"].as_i64().unwrap_or(-1),
        )
    };
    // Day 0: the join visit; opening the same post twice counts once.
    let feed = format!("/api/v1/circles/{c}/feed");
    assert_eq!(reader.c.get(&feed).await.status, 200);
    for p in [&posts[0], &posts[0], &posts[1]] {
        let r = reader
            .c
            .get(&format!("/api/v1/circles/{c}/posts/{p}"))
            .await;
        assert_eq!(r.status, 200, "{}", r.text);
    }
    assert_eq!(standing().await, (0, 1, 2), "new: TL0");
    // A day later, one visit: TL1 by returning (2 days), not yet by reading.
    app.clock.advance_secs(24 * 3600 + 60);
    assert_eq!(standing().await, (0, 1, 2), "a member, but not back yet");
    assert_eq!(reader.c.get(&feed).await.status, 200);
    assert_eq!(reader.c.get(&feed).await.status, 200);
    assert_eq!(standing().await, (1, 2, 2), "came back: TL1");
    // Reading five others' posts also counts; the owner's own reads do not.
    for p in &posts[2..] {
        reader
            .c
            .get(&format!("/api/v1/circles/{c}/posts/{p}"))
            .await;
        owner.c.get(&format!("/api/v1/circles/{c}/posts/{p}")).await;
    }
    assert_eq!(standing().await, (1, 2, 6));
    // The console person page shows the level with its signals.
    let page = owner
        .c
        .get(&format!("/console/{org}/persons/{person}"))
        .await;
    assert_eq!(page.status, 200);
    assert!(page.text.contains("TL1") && page.text.contains("2 days visited, 6 posts read"));
}

/// A circle with one post tagged 新品 and event, three untagged and a VIP-only one
/// tagged 新品: (owner, circle, reader, the tagged post's id).
async fn topics(app: &TestApp) -> (User, String, User, String) {
    let (owner, org) = app.owner("Topics").await;
    let c = owner
        .circle(&org, json!({"name": "Tea talk", "mode": "community"}))
        .await;
    let reader = app.user("Reader").await;
    reader.join(&c).await;
    let spring = json!({"title": "Spring tasting", "tags": [" 新品 ", "Event", "新品"]});
    let tagged = owner.post(&c, spring).await;
    assert_eq!(tagged.tags, ["新品", "event"]);
    for i in 0..3 {
        owner
            .post(&c, json!({"title": format!("untagged {i}")}))
            .await;
    }
    // A tagged post the reader may not see (audience "only" a tag they lack).
    let vip = json!({"title": "VIP only", "tags": ["新品"], "audience": "only", "audience_tags": ["vip"]});
    owner.post(&c, vip).await;
    (owner, c, reader, tagged.id)
}

async fn titles(u: &User, circle: &str, query: &str) -> (Vec<String>, Option<String>) {
    let page = u.feed(circle, query).await;
    (page.items.into_iter().map(|p| p.title).collect(), page.next)
}

async fn posts_carry_topic_tags(app: TestApp) {
    let (owner, c, reader, tagged) = topics(&app).await;
    let new = format!("tag={}", quan_testkit::calls::encode("新品"));
    let (seen, _) = titles(&reader, &c, &new).await;
    assert_eq!(seen, ["Spring tasting"], "audience still applies");
    let (seen, next) = titles(&owner, &c, &format!("{new}&limit=1")).await;
    assert_eq!(seen, ["VIP only"], "staff see every audience");
    let after = next.unwrap_or_default();
    let (seen, _) = titles(&owner, &c, &format!("{new}&limit=1&after={after}")).await;
    assert_eq!(seen, ["Spring tasting"], "keyset pages");
    let (seen, _) = titles(&reader, &c, "tag=EVENT").await;
    assert_eq!(seen, ["Spring tasting"], "case-folded");
    let (seen, _) = titles(&reader, &c, "tag=_vent").await;
    assert!(seen.is_empty(), "_ is not a wildcard: {seen:?}");
    // Tags are searchable words of the post.
    app.indexed().await;
    let found = reader.try_search(&c, "event").await;
    assert!(found.text.contains(&tagged), "{}", found.text);
    // The member app's feed filters by tag too, and shows the tags.
    let page = reader.c.get(&format!("/app/circles/{c}?tag=event")).await;
    assert_eq!(page.status, 200);
    assert!(page.text.contains("Spring tasting") && !page.text.contains("untagged 1"));
    assert!(page.text.contains("#新品"));
}

async fn bad_topic_tags_are_refused(app: TestApp) {
    let (owner, c, reader, _) = topics(&app).await;
    let posts = format!("/api/v1/circles/{c}/posts");
    // Too many, too long, a comma; an empty filter.
    for bad in [
        json!({"title": "x", "tags": ["a", "b", "c", "d", "e", "f"]}),
        json!({"title": "x", "tags": ["x".repeat(21)]}),
        json!({"title": "x", "tags": ["a,b"]}),
    ] {
        let r = owner.c.post(&posts, bad).await;
        assert_eq!(r.field(), (422, Some("tags")), "{}", r.text);
    }
    let r = reader
        .c
        .get(&format!("/api/v1/circles/{c}/feed?tag="))
        .await;
    assert_eq!(r.status, 422, "{}", r.text);
}
