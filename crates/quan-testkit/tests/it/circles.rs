//! Circles: modes and their presets, join policies, visibility, posting rules, the
//! hot feed's stored rank, the history window, teaching receipts and check-ins, and
//! joins under concurrency. Comments, reactions and the other sorts are in `posts.rs`.

use quan_core::Clock;
use quan_testkit::{TestApp, User, on_both_backends};
use quan_web::api::circles::board::ReceiptDto;
use quan_web::api::circles::posts::PostPage;
use serde_json::json;

on_both_backends!(
    community_circles_let_anyone_in_and_make_persons,
    business_circles_wait_for_approval,
    invite_paid_and_internal_circles_keep_outsiders_out,
    private_circles_answer_outsiders_not_found,
    public_circles_show_to_people_not_to_other_orgs_tokens,
    posting_rules_refuse_with_their_codes,
    the_hot_feed_pages_every_post_once_by_rank,
    joins_under_concurrency_count_exactly,
    history_window_hides_and_never_deletes,
    notices_keep_read_receipts_for_their_author,
    checkins_count_once_a_day_and_streaks_break
);

async fn community_circles_let_anyone_in_and_make_persons(app: TestApp) {
    let (owner, org) = app.owner("Olive").await;
    let fan = app.user("粉丝 Fan").await;
    let c = owner
        .create_circle(
            &org,
            json!({"name": "星河粉丝圈 Galaxy fans", "mode": "community"}),
        )
        .await;
    let preset = (c.join_policy.as_str(), c.public, c.my_role.as_deref());
    assert_eq!(preset, ("open", true, Some("owner")));
    assert_eq!(fan.join(&c.id).await.status, "active");
    let again = fan
        .c
        .post(&format!("/api/v1/circles/{}/join", c.id), json!({}))
        .await;
    assert_eq!(again.problem(), (409, Some("already_member")));
    let seen = fan.get_circle(&c.id).await;
    assert_eq!(
        (seen.member_count, seen.my_role.as_deref()),
        (2, Some("member"))
    );
    assert_eq!(fan.my_circles().await.len(), 1);

    // Joining made the fan a person of the org, with the account's e-mail as handle.
    let persons = owner.persons(&org, "").await;
    let Some(p) = persons
        .items
        .iter()
        .find(|p| p.account_id.as_deref() == Some(fan.id.as_str()))
    else {
        panic!("the fan is no person of the org: {persons:?}")
    };
    assert_eq!(p.display_name, "粉丝 Fan");
    assert_eq!(p.handles[0].value, fan.login);
}

async fn business_circles_wait_for_approval(app: TestApp) {
    let (owner, org) = app.owner("Olive").await;
    let business = owner
        .circle(
            &org,
            json!({"name": "合作伙伴 Partners", "mode": "business", "public": true}),
        )
        .await;
    let partner = app.user("Partner").await;
    assert_eq!(partner.join(&business).await.status, "pending");
    let pending = format!("/api/v1/circles/{business}/members?status=pending");
    let r = partner.c.get(&pending).await;
    assert_eq!(
        r.problem(),
        (403, Some("forbidden")),
        "only admins see requests"
    );
    let waiting = owner.members(&business, "status=pending").await;
    assert_eq!(waiting.items[0].account_id, partner.id);
    let p = partner
        .c
        .post(
            &format!("/api/v1/circles/{business}/posts"),
            json!({"title": "hi"}),
        )
        .await;
    assert_eq!(
        p.problem(),
        (403, Some("not_member")),
        "pending is not a member"
    );
    owner.approve(&business, &partner.id).await;
    assert_eq!(partner.members(&business, "").await.items.len(), 2);
}

async fn invite_paid_and_internal_circles_keep_outsiders_out(app: TestApp) {
    let (owner, org) = app.owner("Olive").await;
    let fan = app.user("粉丝 Fan").await;
    owner
        .circle(
            &org,
            json!({"name": "星河粉丝圈 Galaxy fans", "mode": "community"}),
        )
        .await;
    owner
        .circle(
            &org,
            json!({"name": "合作伙伴 Partners", "mode": "business", "public": true}),
        )
        .await;
    // Teaching: invite only; an override to paid refuses with its own code.
    let teaching = owner
        .circle(
            &org,
            json!({"name": "茶艺课 Tea class", "mode": "teaching", "public": true}),
        )
        .await;
    let join = |c: &str| format!("/api/v1/circles/{c}/join");
    let j = fan.c.post(&join(&teaching), json!({})).await;
    assert_eq!(j.problem(), (403, Some("invite_required")));
    let paid = owner
        .circle(
            &org,
            json!({"name": "VIP", "mode": "community", "join_policy": "paid"}),
        )
        .await;
    let j = fan.c.post(&join(&paid), json!({})).await;
    assert_eq!(j.problem(), (402, Some("payment_required")));

    // Internal: staff only, never public.
    let circles = format!("/api/v1/orgs/{org}/circles");
    let bad = owner
        .c
        .post(
            &circles,
            json!({"name": "x", "mode": "internal", "public": true}),
        )
        .await;
    assert_eq!(bad.problem(), (422, Some("internal_is_private")));
    let internal = owner
        .circle(&org, json!({"name": "内部 Staff room", "mode": "internal"}))
        .await;
    let staffer = app.user("Staffer").await;
    app.join(&owner, &org, &staffer, "operator").await;
    assert_eq!(staffer.join(&internal).await.status, "active");
    let all = owner.c.get(&circles).await;
    assert_eq!(all.body["items"].as_array().map(Vec::len), Some(5));
    // A sales member may not create circles.
    let seller = app.user("Seller").await;
    app.join(&owner, &org, &seller, "sales").await;
    let r = seller
        .c
        .post(&circles, json!({"name": "mine", "mode": "community"}))
        .await;
    assert_eq!(r.status, 403);
}

async fn private_circles_answer_outsiders_not_found(app: TestApp) {
    let (owner, org) = app.owner("Vera").await;
    let (other, other_org) = app.owner("Otto").await;
    let internal = owner
        .circle(&org, json!({"name": "Board room", "mode": "internal"}))
        .await;
    let private = owner
        .circle(
            &org,
            json!({"name": "Private partners", "mode": "business"}),
        )
        .await;
    for id in [&internal, &private] {
        for path in [
            format!("/api/v1/circles/{id}"),
            format!("/api/v1/circles/{id}/feed"),
            format!("/api/v1/circles/{id}/members"),
        ] {
            let r = other.c.get(&path).await;
            assert_eq!(
                (r.status, r.body["code"].as_str()),
                (404, Some("not_found")),
                "{path}"
            );
        }
        let r = other
            .c
            .post(&format!("/api/v1/circles/{id}/join"), json!({}))
            .await;
        if id == &private {
            // A business circle joins by approval: its shared link is a door one may
            // knock on (a request waits for its admins); the content stays hidden.
            assert_eq!(r.body["status"], "pending", "{}", r.text);
        } else {
            assert_eq!(r.status, 404, "internal circles stay unknown");
        }
        let r = other
            .c
            .post(
                &format!("/api/v1/circles/{id}/posts"),
                json!({"title": "x"}),
            )
            .await;
        assert_eq!(r.status, 404);
        for path in [
            format!("/api/v1/circles/{id}/members/{}/approve", other.id),
            format!("/api/v1/circles/{id}/members/{}/decline", other.id),
        ] {
            assert_eq!(other.c.post(&path, json!({})).await.status, 404, "{path}");
        }
        let r = other
            .c
            .patch(
                &format!("/api/v1/circles/{id}/settings"),
                json!({"tags": ["x"]}),
            )
            .await;
        assert_eq!(r.status, 404);
        // Nor through the console: not under their own org, not under ours.
        for path in [
            format!("/console/{other_org}/circles/{id}"),
            format!("/console/{org}/circles/{id}"),
        ] {
            assert_eq!(other.c.get(&path).await.status, 404, "{path}");
        }
    }
}

async fn public_circles_show_to_people_not_to_other_orgs_tokens(app: TestApp) {
    let (owner, org) = app.owner("Vera").await;
    let (other, other_org) = app.owner("Otto").await;
    let public = owner
        .circle(&org, json!({"name": "Open fans", "mode": "community"}))
        .await;
    // A public circle is visible to them, but its console page is its own org's.
    let console = |o: &str| format!("/console/{o}/circles/{public}");
    assert_eq!(other.c.get(&console(&other_org)).await.status, 404);
    assert_eq!(owner.c.get(&console(&org)).await.status, 200);
    // Public circles are visible to any signed-in person, but not to another org's token.
    assert_eq!(other.get_circle(&public).await.name, "Open fans");
    let tok = other
        .c
        .post(
            &format!("/api/v1/orgs/{other_org}/tokens"),
            json!({"name": "t", "scopes": ["read", "write"]}),
        )
        .await;
    let bot = other
        .c
        .with_token(tok.body["secret"].as_str().unwrap_or_default());
    let r = bot.get(&format!("/api/v1/circles/{public}")).await;
    assert_eq!(r.status, 404);
    // Another org's staff list of circles does not include ours.
    let theirs = other
        .c
        .get(&format!("/api/v1/orgs/{other_org}/circles"))
        .await;
    assert_eq!(theirs.body["items"].as_array().map(Vec::len), Some(0));
    let r = other.c.get(&format!("/api/v1/orgs/{org}/circles")).await;
    assert_eq!(r.status, 404);
}

async fn posting_rules_refuse_with_their_codes(app: TestApp) {
    let (owner, org) = app.owner("Pam").await;
    let community = owner
        .circle(&org, json!({"name": "Tea lovers", "mode": "community"}))
        .await;
    let member = app.user("Mo").await;
    member.join(&community).await;
    let posts = format!("/api/v1/circles/{community}/posts");
    let n = member
        .c
        .post(&posts, json!({"kind": "notice", "title": "Listen up"}))
        .await;
    assert_eq!(n.problem(), (403, Some("posting_restricted")));
    let long = member
        .c
        .post(&posts, json!({"title": "t".repeat(121)}))
        .await;
    assert_eq!(
        (long.status, long.body["field"].as_str()),
        (422, Some("title"))
    );
    let notice = owner
        .post(&community, json!({"kind": "notice", "title": "规则 Rules"}))
        .await;
    assert_eq!(notice.kind, "notice");
    let bad_sort = member
        .c
        .get(&format!("/api/v1/circles/{community}/feed?sort=sideways"))
        .await;
    assert_eq!(bad_sort.problem(), (400, Some("invalid_sort")));
}

async fn the_hot_feed_pages_every_post_once_by_rank(app: TestApp) {
    let (owner, org) = app.owner("Pam").await;
    let community = owner
        .circle(&org, json!({"name": "Tea lovers", "mode": "community"}))
        .await;
    let member = app.user("Mo").await;
    member.join(&community).await;
    owner
        .post(&community, json!({"kind": "notice", "title": "规则 Rules"}))
        .await;
    // Posts an hour apart: newest first in `new`; the rank job orders `hot` the same
    // way while scores are equal. (A day on first: new members may post only 3
    // times in their first day.)
    app.clock.advance_secs(86_400);
    let mut newest = Vec::new();
    for i in 0..7 {
        app.clock.advance_secs(3600);
        let body =
            json!({"title": format!("帖子 {i}"), "body": "**好茶** <script>alert(1)</script>"});
        let p = member.post(&community, body).await;
        assert_eq!(p.author.display_name, "Mo");
        newest.insert(0, p.id);
    }
    let feed = member.feed(&community, "limit=3").await;
    let got: Vec<String> = feed.items.into_iter().map(|p| p.id).collect();
    assert_eq!(got, newest[..3]);

    let n = app
        .services
        .store
        .post_rank_batch(app.clock.now(), 1000)
        .await
        .unwrap_or(0);
    assert!(n >= 8, "ranked {n}");
    // Walk the hot feed page by page: every post exactly once, ranks non-increasing.
    let (mut seen, mut ranks, mut after) = (Vec::new(), Vec::new(), None::<String>);
    loop {
        let q = after.map(|a| format!("&after={a}")).unwrap_or_default();
        let page = member
            .feed(&community, &format!("sort=hot&limit=3{q}"))
            .await;
        for p in page.items {
            seen.push(p.id);
            ranks.push(p.hot_rank);
        }
        after = page.next;
        if after.is_none() {
            break;
        }
    }
    assert_eq!(seen.len(), 8);
    assert!(ranks.windows(2).all(|w| w[0] >= w[1]), "{ranks:?}");
    assert_eq!(&seen[..7], &newest[..], "equal scores: younger is hotter");

    // A week later every rank is zero.
    app.clock.advance_secs(8 * 24 * 3600);
    app.services
        .store
        .post_rank_batch(app.clock.now(), 1000)
        .await
        .unwrap_or(0);
    let feed = member.feed(&community, "sort=hot&limit=50").await;
    assert!(feed.items.iter().all(|p| p.hot_rank == 0.0));
}

async fn joins_under_concurrency_count_exactly(app: TestApp) {
    let (owner, org) = app.owner("Cora").await;
    let open = owner
        .circle(&org, json!({"name": "Crowd", "mode": "community"}))
        .await;
    let open2 = owner
        .circle(&org, json!({"name": "Crowd 2", "mode": "community"}))
        .await;
    let mut users = Vec::new();
    for i in 0..20 {
        users.push(app.user(&format!("U{i}")).await);
    }
    // Everyone joins both circles at once, and the first user hammers the same join.
    let mut tasks = Vec::new();
    for u in &users {
        for cid in [&open, &open2] {
            let c = u.c.clone();
            let path = format!("/api/v1/circles/{cid}/join");
            tasks.push(tokio::spawn(async move {
                c.post(&path, json!({})).await.status
            }));
        }
    }
    for _ in 0..8 {
        let c = users[0].c.clone();
        let path = format!("/api/v1/circles/{open}/join");
        tasks.push(tokio::spawn(async move {
            c.post(&path, json!({})).await.status
        }));
    }
    let mut ok = 0;
    let mut conflict = 0;
    for t in tasks {
        match t.await.unwrap_or(0) {
            200 => ok += 1,
            409 => conflict += 1,
            other => panic!("unexpected status {other}"),
        }
    }
    assert_eq!((ok, conflict), (40, 8));
    for cid in [&open, &open2] {
        let c = owner.c.get(&format!("/api/v1/circles/{cid}")).await;
        assert_eq!(c.body["member_count"].as_i64(), Some(21), "counted exactly");
    }
    // Each account is one person in the org, however many circles it joined at once.
    let persons = owner
        .c
        .get(&format!("/api/v1/orgs/{org}/persons?limit=200"))
        .await;
    let linked: Vec<&str> = persons.body["items"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|p| p["account_id"].as_str())
        .collect();
    let mut dedup = linked.clone();
    dedup.sort_unstable();
    dedup.dedup();
    assert_eq!((linked.len(), dedup.len()), (21, 21));
}

async fn history_window_hides_and_never_deletes(app: TestApp) {
    let (owner, org) = app.owner("Hana").await;
    let cid = owner
        .circle(&org, json!({"name": "Diary", "mode": "community"}))
        .await;
    let (writer, reader) = (app.user("Writer").await, app.user("Reader").await);
    writer.join(&cid).await;
    reader.join(&cid).await;
    let old = writer.post(&cid, json!({"title": "old news"})).await.id;
    app.clock.advance_secs(10 * 24 * 3600);
    let fresh = writer.post(&cid, json!({"title": "fresh"})).await.id;
    let ids = |p: PostPage| -> Vec<String> { p.items.into_iter().map(|p| p.id).collect() };

    let privacy = "/api/v1/me/privacy";
    assert_eq!(writer.c.get(privacy).await.body["history_window"], "all");
    let r = writer.c.put(privacy, json!({"history_window": "3d"})).await;
    assert_eq!(
        (r.status, r.body["history_window"].as_str()),
        (200, Some("3d")),
        "{}",
        r.text
    );
    let bad = writer
        .c
        .put(privacy, json!({"history_window": "forever"}))
        .await;
    assert_eq!(bad.problem(), (422, Some("invalid_history_window")));

    // Every read path honours it for others: all four sorts and the post itself.
    app.services
        .store
        .post_rank_batch(app.clock.now(), 100)
        .await
        .unwrap_or(0);
    for sort in ["new", "hot", "top&period=all", "active"] {
        let seen = ids(reader.feed(&cid, &format!("sort={sort}")).await);
        assert!(
            seen.contains(&fresh) && !seen.contains(&old),
            "{sort}: {seen:?}"
        );
        let own = ids(writer.feed(&cid, &format!("sort={sort}")).await);
        assert!(
            own.contains(&old),
            "{sort}: the author still sees their own history"
        );
    }
    let post = format!("/api/v1/circles/{cid}/posts/{old}");
    assert_eq!(reader.c.get(&post).await.status, 404);
    let r = reader
        .c
        .post(&format!("{post}/comments"), json!({"body": "x"}))
        .await;
    assert_eq!(r.status, 404);
    assert_eq!(writer.post_detail(&cid, &old).await.post.title, "old news");

    // Widening the window shows everything again: nothing was deleted.
    let r = writer
        .c
        .put(privacy, json!({"history_window": "all"}))
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    let seen = ids(reader.feed(&cid, "").await);
    assert!(seen.contains(&old) && seen.contains(&fresh));
}

/// A teaching circle that opens joining (teaching is invite-only by default; the
/// tests need no invite flow), with Alice and Bob in it.
async fn tea_class(app: &TestApp) -> (User, String, User, User) {
    let (owner, org) = app.owner("Teacher Tao").await;
    let body = json!({"name": "茶艺课 Tea class", "mode": "teaching", "join_policy": "open", "public": true});
    let cid = owner.circle(&org, body).await;
    let (alice, bob) = (app.user("Alice").await, app.user("Bob").await);
    alice.join(&cid).await;
    bob.join(&cid).await;
    (owner, cid, alice, bob)
}

async fn notices_keep_read_receipts_for_their_author(app: TestApp) {
    let (owner, cid, alice, bob) = tea_class(&app).await;
    let topic = alice
        .c
        .post(
            &format!("/api/v1/circles/{cid}/posts"),
            json!({"title": "a question"}),
        )
        .await;
    assert_eq!(
        topic.problem(),
        (403, Some("posting_restricted")),
        "teaching: staff post"
    );
    let notice = json!({"kind": "notice", "title": "作业 Homework due Friday"});
    let nid = owner.post(&cid, notice).await.id;

    // Opening the notice is reading it (twice is once); receipts are for the author
    // and admins.
    alice.post_detail(&cid, &nid).await;
    alice.post_detail(&cid, &nid).await;
    let r = owner.receipts(&cid, &nid).await;
    let names = |v: &[ReceiptDto]| {
        let mut n: Vec<String> = v.iter().map(|x| x.display_name.clone()).collect();
        n.sort();
        n
    };
    assert_eq!(names(&r.read), ["Alice"]);
    assert_eq!(names(&r.unread), ["Bob", "Teacher Tao"]);
    let r = bob
        .c
        .get(&format!("/api/v1/circles/{cid}/posts/{nid}/receipts"))
        .await;
    assert_eq!(r.status, 403);
}

async fn checkins_count_once_a_day_and_streaks_break(app: TestApp) {
    let (owner, cid, alice, bob) = tea_class(&app).await;
    // Once a day; the streak grows day by day and breaks on a missed day.
    let first = alice.checkin(&cid).await;
    assert_eq!((first.standing.streak, first.checked_in), (1, true));
    let again = alice.checkin(&cid).await;
    assert_eq!((again.standing.streak, again.checked_in), (1, false));
    // Ten concurrent taps on the same day count once.
    let path = format!("/api/v1/circles/{cid}/checkins");
    let taps: Vec<_> = (0..10)
        .map(|_| {
            let (c, path) = (bob.c.clone(), path.clone());
            tokio::spawn(async move { c.post(&path, json!({})).await })
        })
        .collect();
    let mut checked = 0;
    for t in taps {
        if t.await.ok().and_then(|r| r.body["checked_in"].as_bool()) == Some(true) {
            checked += 1;
        }
    }
    assert_eq!(checked, 1);
    for day in 2..=3 {
        app.clock.advance_secs(24 * 3600);
        assert_eq!(alice.checkin(&cid).await.standing.streak, day);
    }
    app.clock.advance_secs(24 * 3600);
    bob.checkin(&cid).await;
    let rows: Vec<(String, i64, i64)> = owner
        .leaderboard(&cid)
        .await
        .into_iter()
        .map(|x| (x.display_name, x.streak, x.best_streak))
        .collect();
    assert_eq!(
        rows,
        [("Alice".to_owned(), 3, 3), ("Bob".to_owned(), 1, 1)],
        "Alice checked in yesterday: her streak stands"
    );
    app.clock.advance_secs(2 * 24 * 3600);
    let board = owner.leaderboard(&cid).await;
    assert_eq!(board[0].streak, 0, "a missed day breaks the streak");
    let r = alice.checkin(&cid).await.standing;
    assert_eq!((r.streak, r.best_streak, r.checkin_count), (1, 3, 4));
    let outsider = app.user("Outsider").await;
    assert_eq!(outsider.c.post(&path, json!({})).await.status, 403);
}
