//! Running a circle's people and face: the moderator order (an earlier moderator
//! outranks a later one), join requests approved or declined, cover and tags (and
//! discovery by tag), and trust levels earned from days visited and posts read.
//! Every test on both backends.

use quan_testkit::{TestApp, User, on_both_backends};
use serde_json::{Value, json};

on_both_backends!(
    earlier_moderators_outrank_later_ones,
    join_requests_are_approved_or_declined,
    cover_and_tags_show_and_filter_discovery,
    trust_grows_with_days_visited_and_posts_read,
    posts_carry_topic_tags
);

fn s(v: &Value) -> String {
    v.as_str().unwrap_or_default().to_owned()
}

async fn earlier_moderators_outrank_later_ones(app: TestApp) {
    let (owner, org) = app.owner("Mods").await;
    let c = owner
        .circle(&org, json!({"name": "Order", "mode": "community"}))
        .await;
    let (first, second, admin, plain) = (
        app.user("First").await,
        app.user("Second").await,
        app.user("Admin").await,
        app.user("Plain").await,
    );
    for u in [&first, &second, &admin, &plain] {
        u.join(&c).await;
    }
    let member = |u: &User| format!("/api/v1/circles/{c}/members/{}", u.id);
    let set = |u: &User, role: &str| {
        let (path, owner) = (member(u), &owner);
        let role = role.to_owned();
        async move {
            let r = owner.c.patch(&path, json!({ "role": role })).await;
            assert_eq!(r.status, 200, "{}", r.text);
        }
    };
    set(&first, "moderator").await;
    app.clock.advance_secs(60);
    set(&second, "moderator").await;
    set(&admin, "admin").await;
    let mute = |by: &User, whom: &User| {
        let path = format!("/api/v1/circles/{c}/sanctions/{}/mute", whom.id);
        let c = by.c.clone();
        async move {
            c.put(&path, json!({"hours": 1, "reason": "test"}))
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
    set(&first, "moderator").await;
    app.clock.advance_secs(60);
    assert_eq!(mute(&first, &second).await, 200, "first is still first");
    set(&first, "member").await;
    app.clock.advance_secs(60);
    set(&first, "moderator").await;
    assert_eq!(mute(&second, &first).await, 200, "re-appointed: now junior");
    assert_eq!(mute(&first, &second).await, 403);

    // Admins are peers: an admin does not demote another; the owner does.
    let other_admin = app.user("Other").await;
    other_admin.join(&c).await;
    set(&other_admin, "admin").await;
    let r = admin
        .c
        .patch(&member(&other_admin), json!({"role": "member"}))
        .await;
    assert_eq!(r.status, 403, "{}", r.text);
    let r = admin
        .c
        .patch(&member(&other_admin), json!({"types": ["member", "fan"]}))
        .await;
    assert_eq!(r.status, 200, "types are not rank: {}", r.text);
    assert_eq!(r.body["types"], json!(["member", "fan"]));
    let r = admin
        .c
        .patch(&member(&second), json!({"role": "member"}))
        .await;
    assert_eq!(r.status, 200, "admins outrank moderators: {}", r.text);
    // The org's owner stands above the circle's admins (not as circle owner).
    let r = owner
        .c
        .patch(&member(&other_admin), json!({"role": "moderator"}))
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    // The listing carries the appointment time that orders moderators.
    let r = owner.c.get(&format!("/api/v1/circles/{c}/members")).await;
    assert_eq!(r.status, 200);
    let mods: Vec<i64> = r.body["items"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|m| m["role"] == "moderator")
        .map(|m| m["role_since"].as_i64().unwrap_or(-1))
        .collect();
    assert_eq!(mods.len(), 2, "{}", r.text);
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

async fn cover_and_tags_show_and_filter_discovery(app: TestApp) {
    let (owner, org) = app.owner("Face").await;
    let r = owner
        .c
        .post(
            &format!("/api/v1/orgs/{org}/circles"),
            json!({"name": "Tea", "mode": "community", "tags": [" Tea ", "乌龙", "tea"]}),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.text);
    assert_eq!(r.body["tags"], json!(["tea", "乌龙"]));
    let c = s(&r.body["id"]);
    let other = owner
        .circle(&org, json!({"name": "Bikes", "mode": "community"}))
        .await;
    let settings = format!("/api/v1/circles/{c}/settings");
    let img = owner.upload_png(&c).await;
    let r = owner
        .c
        .patch(
            &settings,
            json!({"cover_image_id": img, "tags": ["tea", "乌龙", "green tea"]}),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    let cover = format!("/api/v1/images/{img}");
    assert_eq!(r.body["cover_url"], json!(cover));
    assert_eq!(r.body["tags"], json!(["tea", "乌龙", "green tea"]));

    // A visitor of the public circle (not a member) sees the cover; the circle's
    // other uploads stay private to their uploader.
    let visitor = app.user("Visitor").await;
    assert_eq!(visitor.c.get(&cover).await.status, 200);
    let loose = owner.upload_png(&c).await;
    assert_eq!(
        visitor
            .c
            .get(&format!("/api/v1/images/{loose}"))
            .await
            .status,
        404
    );
    // Discovery by tag: exact tags, case-folded; LIKE wildcards are literal.
    let names = |r: &quan_testkit::Res| -> Vec<String> {
        r.body
            .as_array()
            .into_iter()
            .flatten()
            .map(|c| s(&c["name"]))
            .collect()
    };
    let r = visitor
        .c
        .get("/api/v1/discover?tag=%E4%B9%8C%E9%BE%99")
        .await;
    assert_eq!((r.status, names(&r)), (200, vec!["Tea".to_owned()]));
    let r = visitor.c.get("/api/v1/discover?tag=TEA").await;
    assert_eq!(names(&r), vec!["Tea".to_owned()]);
    let r = visitor.c.get("/api/v1/discover?tag=te").await;
    assert!(names(&r).is_empty(), "a prefix is not a tag: {}", r.text);
    let r = visitor.c.get("/api/v1/discover?tag=%25").await;
    assert!(names(&r).is_empty(), "% is not a wildcard: {}", r.text);
    let r = visitor.c.get("/api/v1/discover").await;
    assert!(names(&r).contains(&"Bikes".to_owned()));
    let r = visitor.c.get("/api/v1/discover?tag=a,b").await;
    assert_eq!((r.status, s(&r.body["code"])), (422, "invalid_tag".into()));

    // Bad covers and tags: another circle's image, a malformed id, too many tags.
    let theirs = owner.upload_png(&other).await;
    let r = owner
        .c
        .patch(&settings, json!({"cover_image_id": theirs}))
        .await;
    assert_eq!(
        (r.status, s(&r.body["code"])),
        (422, "unknown_image".into())
    );
    let r = owner
        .c
        .patch(&settings, json!({"cover_image_id": "nope"}))
        .await;
    assert_eq!(r.status, 400);
    let r = owner
        .c
        .patch(&settings, json!({"tags": ["a", "b", "c", "d", "e", "f"]}))
        .await;
    assert_eq!((r.status, s(&r.body["code"])), (422, "too_many".into()));
    // Removing the cover; clearing the tags.
    let r = owner
        .c
        .patch(&settings, json!({"cover_image_id": "", "tags": []}))
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(
        (r.body["cover_url"].clone(), r.body["tags"].clone()),
        (Value::Null, json!([]))
    );
    assert_eq!(
        visitor.c.get(&cover).await.status,
        404,
        "no longer the cover"
    );
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

async fn posts_carry_topic_tags(app: TestApp) {
    let (owner, org) = app.owner("Topics").await;
    let c = owner
        .circle(&org, json!({"name": "Tea talk", "mode": "community"}))
        .await;
    let reader = app.user("Reader").await;
    reader.join(&c).await;
    let posts = format!("/api/v1/circles/{c}/posts");
    let r = owner
        .c
        .post(
            &posts,
            json!({"title": "Spring tasting", "tags": [" 新品 ", "Event", "新品"]}),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.text);
    assert_eq!(r.body["tags"], json!(["新品", "event"]));
    let tagged = s(&r.body["id"]);
    for i in 0..3 {
        owner
            .c
            .post(&posts, json!({"title": format!("untagged {i}")}))
            .await;
    }
    // A tagged post the reader may not see (audience "only" a tag they lack).
    let r = owner
        .c
        .post(
            &posts,
            json!({"title": "VIP only", "tags": ["新品"], "audience": "only", "audience_tags": ["vip"]}),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.text);
    let feed = |tag: &str| format!("/api/v1/circles/{c}/feed?tag={tag}");
    let titles = |r: &quan_testkit::Res| -> Vec<String> {
        r.body["items"]
            .as_array()
            .into_iter()
            .flatten()
            .map(|p| s(&p["title"]))
            .collect()
    };
    let r = reader.c.get(&feed("%E6%96%B0%E5%93%81")).await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(
        titles(&r),
        vec!["Spring tasting".to_owned()],
        "audience still applies"
    );
    let r = owner.c.get(&feed("%E6%96%B0%E5%93%81&limit=1")).await;
    assert_eq!(
        titles(&r),
        vec!["VIP only".to_owned()],
        "staff see every audience"
    );
    let next = s(&r.body["next"]);
    let r = owner
        .c
        .get(&format!(
            "{}&limit=1&after={next}",
            feed("%E6%96%B0%E5%93%81")
        ))
        .await;
    assert_eq!(
        titles(&r),
        vec!["Spring tasting".to_owned()],
        "keyset pages"
    );
    let r = reader.c.get(&feed("EVENT")).await;
    assert_eq!(titles(&r), vec!["Spring tasting".to_owned()], "case-folded");
    let r = reader.c.get(&feed("_vent")).await;
    assert!(titles(&r).is_empty(), "_ is not a wildcard: {}", r.text);
    // Tags are searchable words of the post.
    app.indexed().await;
    let r = reader
        .c
        .get(&format!("/api/v1/circles/{c}/search?q=event"))
        .await;
    assert!(r.text.contains(&tagged), "{}", r.text);
    // Bad tags: too many, too long, a comma; an empty filter.
    for bad in [
        json!({"title": "x", "tags": ["a", "b", "c", "d", "e", "f"]}),
        json!({"title": "x", "tags": ["x".repeat(21)]}),
        json!({"title": "x", "tags": ["a,b"]}),
    ] {
        let r = owner.c.post(&posts, bad).await;
        assert_eq!(
            (r.status, r.body["field"].as_str()),
            (422, Some("tags")),
            "{}",
            r.text
        );
    }
    let r = reader.c.get(&feed("")).await;
    assert_eq!(r.status, 422, "{}", r.text);
    // The member app's feed filters by tag too, and shows the tags.
    let page = reader.c.get(&format!("/app/circles/{c}?tag=event")).await;
    assert_eq!(page.status, 200);
    assert!(page.text.contains("Spring tasting") && !page.text.contains("untagged 1"));
    assert!(page.text.contains("#新品"));
}
