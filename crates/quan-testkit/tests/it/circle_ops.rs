//! Running circles: invite links, post management, the task board, reports and the
//! review queue, mutes and bans, sensitive words, new-member limits, per-post
//! audiences; and persons: tags, merge and undo. Every test on both backends.

use quan_testkit::{TestApp, User, on_both_backends};
use serde_json::{Value, json};

on_both_backends!(
    invite_links_admit_exactly_max_uses,
    spent_revoked_and_internal_links_admit_no_one,
    posts_edit_pin_delete_and_the_log,
    one_of_many_concurrent_claims_wins,
    a_task_moves_through_its_steps_by_role,
    weighted_reports_hide_and_review,
    mutes_and_bans_with_expiry,
    sensitive_words_reject_or_hold,
    new_members_have_first_day_limits,
    audiences_by_tag_in_feed_and_post,
    persons_merge_and_undo_restore_exactly,
    shared_verified_handle_merges_on_join,
    circle_admins_set_roles_types_and_settings
);

fn s(v: &Value) -> String {
    v.as_str().unwrap_or_default().to_owned()
}

/// The new post's id (the typed call asserts the status).
async fn post(u: &User, circle: &str, body: Value) -> String {
    u.post(circle, body).await.id
}

async fn feed_ids(u: &User, circle: &str) -> Vec<String> {
    u.feed(circle, "")
        .await
        .items
        .into_iter()
        .map(|p| p.id)
        .collect()
}

async fn invite_links_admit_exactly_max_uses(app: TestApp) {
    let (owner, org) = app.owner("Tina").await;
    let class = owner
        .circle(
            &org,
            json!({"name": "茶艺课 Tea class", "mode": "teaching"}),
        )
        .await;
    let outsider = app.user("Oscar").await;
    // Teaching circles are invite-only and private.
    let j = outsider
        .c
        .post(&format!("/api/v1/circles/{class}/join"), json!({}))
        .await;
    assert_eq!(j.status, 404, "private circle stays hidden: {}", j.text);
    let member = app.user("Mia").await;
    let invites = format!("/api/v1/circles/{class}/invites");
    let r = member.c.post(&invites, json!({})).await;
    assert_eq!(r.status, 404, "strangers cannot mint links");
    let link = owner
        .invite_link(
            &class,
            json!({"label": "店内海报 poster", "max_uses": 3, "ttl_hours": 24}),
        )
        .await;
    let code = link.code;
    assert_eq!(link.path, format!("/app/join/{code}"));
    // The link people copy is absolute, under the host the request came to.
    assert_eq!(link.url, format!("{}/app/join/{code}", app.base));
    assert_eq!(
        app.client().invite_preview(&code).await.name,
        "茶艺课 Tea class"
    );

    // Eight people accept at once: exactly three get in.
    let mut users = Vec::new();
    for i in 0..8 {
        users.push(app.user(&format!("Student {i}")).await);
    }
    let results = futures::future::join_all(users.iter().map(|u| {
        let path = format!("/api/v1/circle-invites/{code}/accept");
        async move { u.c.post(&path, json!({})).await.status }
    }))
    .await;
    let admitted = results.iter().filter(|s| **s == 200).count();
    assert_eq!(admitted, 3, "{results:?}");
    assert!(
        results.iter().all(|s| *s == 200 || *s == 404),
        "{results:?}"
    );
    assert_eq!(owner.get_circle(&class).await.member_count, 4);
    let list = owner.invite_links(&class).await;
    assert_eq!(
        (list[0].uses, list[0].label.as_str()),
        (3, "店内海报 poster")
    );
    // Each person's timeline says which link (channel) they came through.
    let members = owner.members(&class, "").await;
    let Some(joined) = members.items.iter().find(|m| m.role == "member") else {
        panic!("nobody joined: {members:?}")
    };
    let prof = owner
        .c
        .get(&format!(
            "/api/v1/orgs/{org}/persons/{}/profile",
            joined.person_id
        ))
        .await;
    let came = prof.body["timeline"]
        .as_array()
        .into_iter()
        .flatten()
        .find(|t| t["kind"] == "joined");
    assert_eq!(
        came.map(|t| t["text"].clone()),
        Some(json!("店内海报 poster")),
        "{}",
        prof.text
    );
}

async fn spent_revoked_and_internal_links_admit_no_one(app: TestApp) {
    let (owner, org) = app.owner("Tina").await;
    let class = owner
        .circle(
            &org,
            json!({"name": "茶艺课 Tea class", "mode": "teaching"}),
        )
        .await;
    let outsider = app.user("Oscar").await;
    // Expired and revoked links admit no one.
    let link = owner
        .invite_link(&class, json!({"max_uses": 5, "ttl_hours": 1}))
        .await;
    app.clock.advance_secs(2 * 3600);
    let accept = |code: &str| format!("/api/v1/circle-invites/{code}/accept");
    let late = outsider.c.post(&accept(&link.code), json!({})).await;
    assert_eq!(late.problem(), (404, Some("invite_invalid")));
    let r = owner
        .c
        .delete(&format!(
            "/api/v1/circles/{class}/invites/{}",
            link.invite.id
        ))
        .await;
    assert_eq!(r.status, 204);
    let r = owner
        .c
        .post(
            &format!("/api/v1/circles/{class}/invites"),
            json!({"max_uses": 0}),
        )
        .await;
    assert_eq!(
        (r.status, r.body["field"].as_str()),
        (422, Some("max_uses"))
    );
    // An internal circle's link does not let outsiders in.
    let internal = owner
        .circle(&org, json!({"name": "Staff", "mode": "internal"}))
        .await;
    let code = owner.invite_link(&internal, json!({})).await.code;
    let r = outsider.c.post(&accept(&code), json!({})).await;
    assert_eq!(r.problem(), (403, Some("org_members_only")));
    let r = outsider
        .c
        .get(&format!("/api/v1/circles/{internal}/feed"))
        .await;
    assert_eq!(r.status, 404, "internal content stays inside the org");
}

async fn posts_edit_pin_delete_and_the_log(app: TestApp) {
    let (owner, org) = app.owner("Pam").await;
    let c = owner
        .circle(&org, json!({"name": "Fans", "mode": "community"}))
        .await;
    let m = app.user("Max").await;
    let other = app.user("Ola").await;
    m.join(&c).await;
    other.join(&c).await;
    let p = post(&m, &c, json!({"title": "v1", "body": "first"})).await;

    let e =
        m.c.patch(
            &format!("/api/v1/circles/{c}/posts/{p}"),
            json!({"title": "v2", "body": "second"}),
        )
        .await;
    assert_eq!((e.status, e.body["title"].as_str()), (200, Some("v2")));
    assert!(e.body["edited_at"].is_i64());
    let e = other
        .c
        .patch(
            &format!("/api/v1/circles/{c}/posts/{p}"),
            json!({"title": "hijack"}),
        )
        .await;
    assert_eq!(e.status, 403, "only the author edits");
    let h = other
        .c
        .get(&format!("/api/v1/circles/{c}/posts/{p}/edits"))
        .await;
    assert_eq!(
        (h.body[0]["title"].as_str(), h.body[0]["body"].as_str()),
        (Some("v1"), Some("first"))
    );

    let r =
        m.c.put(&format!("/api/v1/circles/{c}/posts/{p}/pin"), json!({}))
            .await;
    assert_eq!(r.status, 403, "members do not pin");
    let r = owner
        .c
        .put(&format!("/api/v1/circles/{c}/posts/{p}/pin"), json!({}))
        .await;
    assert_eq!(r.status, 204);
    let f = other.c.get(&format!("/api/v1/circles/{c}/feed")).await;
    assert_eq!(f.body["pinned"][0]["id"], p.as_str());
    assert_eq!(f.body["pinned"][0]["pinned"], true);

    // A moderator's delete is logged with its reason; an author's own is not.
    let own = post(&other, &c, json!({"title": "oops"})).await;
    let r = other
        .c
        .delete(&format!("/api/v1/circles/{c}/posts/{own}"))
        .await;
    assert_eq!(r.status, 204);
    let r = other
        .c
        .delete(&format!("/api/v1/circles/{c}/posts/{p}"))
        .await;
    assert_eq!(r.status, 403);
    let r = owner
        .c
        .delete(&format!("/api/v1/circles/{c}/posts/{p}?reason=off%20topic"))
        .await;
    assert_eq!(r.status, 204);
    let r = m.c.get(&format!("/api/v1/circles/{c}/posts/{p}")).await;
    assert_eq!(r.status, 404);
    assert!(feed_ids(&m, &c).await.is_empty());
    let log =
        m.c.get(&format!("/api/v1/circles/{c}/moderation/log"))
            .await;
    let actions: Vec<(String, String)> = log.body["items"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|l| (s(&l["action"]), s(&l["reason"])))
        .collect();
    assert_eq!(
        actions,
        vec![
            ("delete".to_owned(), "off topic".to_owned()),
            ("pin".to_owned(), String::new())
        ]
    );
    assert_eq!(log.body["items"][0]["actor"], "Pam");
}

/// A business board Ann posts a task to, and ten members who may take it.
async fn task_board(app: &TestApp) -> (User, String, User, Vec<User>, String) {
    let (owner, org) = app.owner("Bea").await;
    let body =
        json!({"name": "合作 Partners", "mode": "business", "join_policy": "open", "public": true});
    let board = owner.circle(&org, body).await;
    let author = app.user("Ann").await;
    author.join(&board).await;
    let mut workers = Vec::new();
    for i in 0..10 {
        let w = app.user(&format!("Worker {i}")).await;
        w.join(&board).await;
        workers.push(w);
    }
    app.clock.advance_secs(86_400);
    let task = json!({"kind": "task", "title": "设计海报 Design a poster"});
    let task = post(&author, &board, task).await;
    (owner, board, author, workers, task)
}

async fn one_of_many_concurrent_claims_wins(app: TestApp) {
    let (_, board, author, workers, task) = task_board(&app).await;
    let path = format!("/api/v1/circles/{board}/posts/{task}/task");
    let r = author.c.post(&path, json!({"action": "claim"})).await;
    assert_eq!(r.problem(), (403, Some("task_not_allowed")));
    // Ten members claim at once: one wins, the rest are told it moved on.
    let results = futures::future::join_all(
        workers
            .iter()
            .map(|w| async { w.c.post(&path, json!({"action": "claim"})).await }),
    )
    .await;
    let statuses: Vec<u16> = results.iter().map(|r| r.status).collect();
    assert_eq!(
        statuses.iter().filter(|s| **s == 200).count(),
        1,
        "{statuses:?}"
    );
    assert!(
        statuses.iter().all(|s| *s == 200 || *s == 409),
        "{statuses:?}"
    );
    let topic = post(&author, &board, json!({"title": "just talk"})).await;
    let r = workers[0]
        .c
        .post(
            &format!("/api/v1/circles/{board}/posts/{topic}/task"),
            json!({"action": "claim"}),
        )
        .await;
    assert_eq!(r.problem(), (409, Some("not_a_task")));
}

async fn a_task_moves_through_its_steps_by_role(app: TestApp) {
    let (owner, board, author, workers, task) = task_board(&app).await;
    let (w, other) = (&workers[0], &workers[1]);
    let path = format!("/api/v1/circles/{board}/posts/{task}/task");
    w.task_step(&board, &task, "claim", "").await;
    let r = other.c.post(&path, json!({"action": "deliver"})).await;
    assert_eq!(r.status, 403, "only the assignee delivers");
    let state = |p: quan_web::api::circles::posts::PostDto| p.task_state.unwrap_or_default();
    assert_eq!(
        state(w.task_step(&board, &task, "deliver", "v1").await),
        "delivered"
    );
    let r = w.c.post(&path, json!({"action": "accept"})).await;
    assert_eq!(r.status, 403, "the assignee does not accept their own work");
    let r = author.task_step(&board, &task, "reject", "too dark").await;
    assert_eq!(state(r), "rejected");
    w.task_step(&board, &task, "deliver", "v2").await;
    assert_eq!(
        state(author.task_step(&board, &task, "accept", "").await),
        "accepted"
    );
    let r = owner.task_step(&board, &task, "close", "").await;
    assert_eq!(state(r), "closed", "circle admins close");
    let r = author.c.post(&path, json!({"action": "close"})).await;
    assert_eq!(r.problem(), (409, Some("task_bad_transition")));
    let r = author.c.post(&path, json!({"action": "dance"})).await;
    assert_eq!((r.status, r.body["field"].as_str()), (422, Some("action")));

    let steps = other.task_steps(&board, &task).await;
    let states: Vec<&str> = steps.iter().map(|s| s.state.as_str()).collect();
    let want = [
        "claimed",
        "delivered",
        "rejected",
        "delivered",
        "accepted",
        "closed",
    ];
    assert_eq!(states, want);
    assert_eq!(steps[2].note, "too dark");
}

async fn weighted_reports_hide_and_review(app: TestApp) {
    let (owner, org) = app.owner("Mod").await;
    let c = owner
        .circle(&org, json!({"name": "Open", "mode": "community"}))
        .await;
    let author = app.user("Spammy").await;
    author.join(&c).await;
    let bad = post(&author, &c, json!({"title": "buy followers"})).await;
    // New members flag with weight 1; the threshold is 6.
    let mut flaggers = Vec::new();
    for i in 0..6 {
        let u = app.user(&format!("Flagger {i}")).await;
        u.join(&c).await;
        flaggers.push(u);
    }
    let rpath = format!("/api/v1/circles/{c}/posts/{bad}/reports");
    for (i, f) in flaggers.iter().enumerate() {
        let r = f.c.post(&rpath, json!({"reason": "spam"})).await;
        assert_eq!(r.status, 201, "{}", r.text);
        assert_eq!(r.body["hidden"], i == 5, "hidden exactly at the sixth flag");
        if i == 0 {
            let again = f.c.post(&rpath, json!({"reason": "spam"})).await;
            assert_eq!(
                (again.status, again.body["code"].as_str()),
                (409, Some("already_reported"))
            );
            let bogus = f.c.post(&rpath, json!({"reason": "ugly"})).await;
            assert_eq!(
                (bogus.status, bogus.body["field"].as_str()),
                (422, Some("reason"))
            );
        }
    }
    // Hidden from everyone but its author.
    assert!(!feed_ids(&flaggers[0], &c).await.contains(&bad));
    let r = flaggers[0]
        .c
        .get(&format!("/api/v1/circles/{c}/posts/{bad}"))
        .await;
    assert_eq!(r.status, 404);
    let r = author
        .c
        .get(&format!("/api/v1/circles/{c}/posts/{bad}"))
        .await;
    assert_eq!(
        (r.status, r.body["post"]["hidden"].as_bool()),
        (200, Some(true))
    );

    let q = flaggers[0]
        .c
        .get(&format!("/api/v1/circles/{c}/moderation/queue"))
        .await;
    assert_eq!(q.status, 403, "members do not see the queue");
    let q = owner
        .c
        .get(&format!("/api/v1/circles/{c}/moderation/queue"))
        .await;
    assert_eq!(q.body[0]["post"]["id"], bad.as_str());
    assert_eq!(q.body[0]["weight"], 6);
    assert_eq!(q.body[0]["reports"].as_array().map(Vec::len), Some(6));

    // Dismissed: shown again.
    let r = owner
        .c
        .post(
            &format!("/api/v1/circles/{c}/moderation/queue/{bad}"),
            json!({"decision": "dismissed", "reason": "parody account"}),
        )
        .await;
    assert_eq!(r.status, 204);
    assert!(feed_ids(&flaggers[0], &c).await.contains(&bad));
    // A moderator's report hides at once; upheld removes the post.
    let worse = post(&author, &c, json!({"title": "scam link"})).await;
    let r = owner
        .c
        .post(
            &format!("/api/v1/circles/{c}/posts/{worse}/reports"),
            json!({"reason": "illegal"}),
        )
        .await;
    assert_eq!(r.body["hidden"], true);
    let r = owner
        .c
        .post(
            &format!("/api/v1/circles/{c}/moderation/queue/{worse}"),
            json!({"decision": "upheld"}),
        )
        .await;
    assert_eq!(r.status, 204);
    let r = author
        .c
        .get(&format!("/api/v1/circles/{c}/posts/{worse}"))
        .await;
    assert_eq!(r.status, 404, "removed");
    let log = author
        .c
        .get(&format!("/api/v1/circles/{c}/moderation/log"))
        .await;
    let actions: Vec<String> = log.body["items"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|l| s(&l["action"]))
        .collect();
    assert_eq!(actions, ["remove", "auto_hide", "restore", "auto_hide"]);
    // Dismissed flags count against the flaggers' accuracy from now on: their next
    // flags weigh less, so the same six no longer hide a post on their own.
    let third = post(&author, &c, json!({"title": "another"})).await;
    let mut hidden = false;
    for f in &flaggers {
        let r =
            f.c.post(
                &format!("/api/v1/circles/{c}/posts/{third}/reports"),
                json!({"reason": "spam"}),
            )
            .await;
        hidden |= r.body["hidden"].as_bool().unwrap_or(false);
    }
    assert!(hidden, "weight floors at 1 per flag, so six still reach 6");
}

async fn mutes_and_bans_with_expiry(app: TestApp) {
    let (owner, org) = app.owner("Sal").await;
    let c = owner
        .circle(&org, json!({"name": "Club", "mode": "community"}))
        .await;
    let m = app.user("Noisy").await;
    m.join(&c).await;
    app.clock.advance_secs(86_400);
    let p = post(&m, &c, json!({"title": "hi"})).await;
    let rooms = m.c.get(&format!("/api/v1/circles/{c}/rooms")).await;
    let room = s(&rooms.body[0]["id"]);

    let r =
        m.c.put(
            &format!("/api/v1/circles/{c}/sanctions/{}/mute", owner.id),
            json!({}),
        )
        .await;
    assert_eq!(r.status, 403, "members do not mute");
    let r = owner
        .c
        .put(
            &format!("/api/v1/circles/{c}/sanctions/{}/mute", m.id),
            json!({"hours": 1, "reason": "flooding"}),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    for (path, body) in [
        (format!("/api/v1/circles/{c}/posts"), json!({"title": "x"})),
        (
            format!("/api/v1/circles/{c}/posts/{p}/comments"),
            json!({"body": "x"}),
        ),
        (
            format!("/api/v1/circles/{c}/rooms/{room}/messages"),
            json!({"body": "x"}),
        ),
    ] {
        let r = m.c.post(&path, body).await;
        assert_eq!(
            (r.status, r.body["code"].as_str()),
            (403, Some("muted")),
            "{path}"
        );
    }
    // Muted members still read.
    assert_eq!(feed_ids(&m, &c).await, vec![p.clone()]);
    app.clock.advance_secs(2 * 3600);
    post(&m, &c, json!({"title": "back"})).await;

    let r = owner
        .c
        .put(
            &format!("/api/v1/circles/{c}/sanctions/{}/ban", m.id),
            json!({"reason": "spam again"}),
        )
        .await;
    assert_eq!(r.status, 200);
    let info = owner.c.get(&format!("/api/v1/circles/{c}")).await;
    assert_eq!(info.body["member_count"], 1);
    let r =
        m.c.post(&format!("/api/v1/circles/{c}/join"), json!({}))
            .await;
    assert_eq!((r.status, r.body["code"].as_str()), (403, Some("banned")));
    let list = owner.c.get(&format!("/api/v1/circles/{c}/sanctions")).await;
    let kinds: Vec<String> = list
        .body
        .as_array()
        .into_iter()
        .flatten()
        .map(|x| s(&x["kind"]))
        .collect();
    assert_eq!(kinds, ["ban"], "the expired mute is no longer in force");
    let r = owner
        .c
        .delete(&format!("/api/v1/circles/{c}/sanctions/{}/ban", m.id))
        .await;
    assert_eq!(r.status, 204);
    m.join(&c).await;
    let r = owner
        .c
        .put(
            &format!("/api/v1/circles/{c}/sanctions/{}/ban", owner.id),
            json!({}),
        )
        .await;
    assert_eq!(r.status, 403, "no one sanctions themselves or an owner");
    let r = owner
        .c
        .put(
            &format!("/api/v1/circles/{c}/sanctions/{}/mute", m.id),
            json!({"hours": 0}),
        )
        .await;
    assert_eq!((r.status, r.body["field"].as_str()), (422, Some("hours")));
}

async fn sensitive_words_reject_or_hold(app: TestApp) {
    let (owner, org) = app.owner("Wen").await;
    let c = owner
        .circle(&org, json!({"name": "Talk", "mode": "community"}))
        .await;
    let m = app.user("Mei").await;
    let reader = app.user("Rae").await;
    m.join(&c).await;
    reader.join(&c).await;
    let words = format!("/api/v1/orgs/{org}/sensitive-words");
    for (w, a) in [("返现", "reject"), ("刷单", "hold"), ("Casino", "reject")] {
        let r = owner.c.post(&words, json!({"word": w, "action": a})).await;
        assert_eq!(r.status, 200, "{}", r.text);
    }
    let r = m.c.get(&words).await;
    assert_eq!(r.status, 404, "not staff of the org");
    let list = owner.c.get(&words).await;
    assert_eq!(list.body.as_array().map(Vec::len), Some(3));
    assert_eq!(list.body[0]["word"], "casino", "stored lower-case");

    let r =
        m.c.post(
            &format!("/api/v1/circles/{c}/posts"),
            json!({"title": "好消息", "body": "下单就返现"}),
        )
        .await;
    assert_eq!(
        (r.status, r.body["code"].as_str()),
        (422, Some("sensitive_word"))
    );
    assert!(
        r.body["detail"]
            .as_str()
            .is_some_and(|d| d.contains("«返现»")),
        "the refusal names the word: {}",
        r.text
    );
    let r =
        m.c.post(
            &format!("/api/v1/circles/{c}/posts"),
            json!({"title": "Best CASINO"}),
        )
        .await;
    assert_eq!(r.status, 422, "case-insensitive");
    let r =
        m.c.post(
            &format!("/api/v1/circles/{c}/posts"),
            json!({"title": "兼职", "body": "在家刷单日结"}),
        )
        .await;
    assert_eq!((r.status, r.body["hidden"].as_bool()), (201, Some(true)));
    let held = s(&r.body["id"]);
    assert!(!feed_ids(&reader, &c).await.contains(&held));
    assert!(feed_ids(&m, &c).await.contains(&held), "the author sees it");
    let q = owner
        .c
        .get(&format!("/api/v1/circles/{c}/moderation/queue"))
        .await;
    assert_eq!(q.body[0]["post"]["id"], held.as_str());
    let ok = post(&m, &c, json!({"title": "今天的茶很好"})).await;
    let r =
        m.c.post(
            &format!("/api/v1/circles/{c}/posts/{ok}/comments"),
            json!({"body": "来刷单"}),
        )
        .await;
    assert_eq!(r.status, 422, "comments cannot wait for review: refused");
    let r = owner
        .c
        .delete(&format!("{words}/{}", urlencode("刷单")))
        .await;
    assert_eq!(r.status, 204);
    let r =
        m.c.post(
            &format!("/api/v1/circles/{c}/posts/{ok}/comments"),
            json!({"body": "来刷单"}),
        )
        .await;
    assert_eq!(r.status, 201);
    let r = owner
        .c
        .post(&words, json!({"word": "", "action": "hold"}))
        .await;
    assert_eq!((r.status, r.body["field"].as_str()), (422, Some("word")));
}

fn urlencode(s: &str) -> String {
    s.bytes().map(|b| format!("%{b:02X}")).collect()
}

async fn new_members_have_first_day_limits(app: TestApp) {
    let (owner, org) = app.owner("Lim").await;
    let c = owner
        .circle(&org, json!({"name": "New", "mode": "community"}))
        .await;
    let m = app.user("Newbie").await;
    m.join(&c).await;
    let mut last = String::new();
    for i in 0..3 {
        last = post(&m, &c, json!({"title": format!("p{i}")})).await;
    }
    let r =
        m.c.post(
            &format!("/api/v1/circles/{c}/posts"),
            json!({"title": "p4"}),
        )
        .await;
    assert_eq!(
        (r.status, r.body["code"].as_str()),
        (429, Some("new_member_limit"))
    );
    for i in 0..10 {
        let r =
            m.c.post(
                &format!("/api/v1/circles/{c}/posts/{last}/comments"),
                json!({"body": format!("c{i}")}),
            )
            .await;
        assert_eq!(r.status, 201);
    }
    let r =
        m.c.post(
            &format!("/api/v1/circles/{c}/posts/{last}/comments"),
            json!({"body": "c11"}),
        )
        .await;
    assert_eq!(r.status, 429);
    // The circle's own staff are not new members.
    for i in 0..5 {
        post(&owner, &c, json!({"title": format!("o{i}")})).await;
    }
    app.clock.advance_secs(86_400);
    post(&m, &c, json!({"title": "day two"})).await;
}

async fn audiences_by_tag_in_feed_and_post(app: TestApp) {
    let (owner, org) = app.owner("Aud").await;
    let c = owner
        .circle(&org, json!({"name": "VIP club", "mode": "community"}))
        .await;
    let vip = app.user("Vic").await;
    let plain = app.user("Pat").await;
    vip.join(&c).await;
    plain.join(&c).await;
    let members = owner.c.get(&format!("/api/v1/circles/{c}/members")).await;
    let person_of = |id: &str| {
        members.body["items"]
            .as_array()
            .into_iter()
            .flatten()
            .find(|m| m["account_id"] == id)
            .map(|m| s(&m["person_id"]))
            .unwrap_or_default()
    };
    let vip_person = person_of(&vip.id);
    let r = owner
        .c
        .post(
            &format!("/api/v1/orgs/{org}/persons/{vip_person}/tags"),
            json!({"tag": "VIP"}),
        )
        .await;
    assert_eq!(r.status, 204, "{}", r.text);

    let only = post(
        &owner,
        &c,
        json!({"title": "VIP presale", "audience": "only", "audience_tags": ["vip"]}),
    )
    .await;
    let except = post(
        &owner,
        &c,
        json!({"title": "Welcome offer", "audience": "except", "audience_tags": ["vip"]}),
    )
    .await;
    let all = post(&owner, &c, json!({"title": "For everyone"})).await;
    let vf = feed_ids(&vip, &c).await;
    let pf = feed_ids(&plain, &c).await;
    assert!(vf.contains(&only) && !vf.contains(&except) && vf.contains(&all));
    assert!(!pf.contains(&only) && pf.contains(&except) && pf.contains(&all));
    assert_eq!(
        feed_ids(&owner, &c).await.len(),
        3,
        "circle staff see every audience"
    );
    let r = plain
        .c
        .get(&format!("/api/v1/circles/{c}/posts/{only}"))
        .await;
    assert_eq!(r.status, 404, "the API by id honours it too");
    let r = plain
        .c
        .post(
            &format!("/api/v1/circles/{c}/posts/{only}/comments"),
            json!({"body": "sneak"}),
        )
        .await;
    assert_eq!(r.status, 404);
    let r = owner
        .c
        .post(
            &format!("/api/v1/circles/{c}/posts"),
            json!({"title": "x", "audience": "only"}),
        )
        .await;
    assert_eq!((r.status, r.body["field"].as_str()), (422, Some("tags")));
}

/// The profile fields a merge and its undo must restore exactly.
async fn snapshot(owner: &User, org: &str, person: &str) -> Value {
    let r = owner
        .c
        .get(&format!("/api/v1/orgs/{org}/persons/{person}/profile"))
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    let timeline: Vec<Value> = r.body["timeline"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|t| !s(&t["kind"]).starts_with("merge"))
        .cloned()
        .collect();
    json!({
        "handles": r.body["handles"],
        "tags": r.body["tags"],
        "circles": r.body["circles"],
        "timeline": timeline,
    })
}

async fn persons_merge_and_undo_restore_exactly(app: TestApp) {
    let (owner, org) = app.owner("Ada").await;
    let c1 = owner
        .circle(&org, json!({"name": "Shop fans", "mode": "community"}))
        .await;
    let c2 = owner
        .circle(&org, json!({"name": "Tea class", "mode": "community"}))
        .await;
    let a = app.user("Amy phone").await;
    let b = app.user("Amy wechat").await;
    a.join(&c1).await;
    b.join(&c2).await;
    b.join(&c1).await;
    let pa = post(&a, &c1, json!({"title": "from A"})).await;
    let pb = post(&b, &c2, json!({"title": "from B"})).await;
    b.c.post(
        &format!("/api/v1/circles/{c1}/posts/{pa}/comments"),
        json!({"body": "B comments on A"}),
    )
    .await;
    // Both like the same post: the overlapping reaction must not be lost.
    for u in [&a, &b] {
        let r =
            u.c.put(
                &format!("/api/v1/circles/{c1}/posts/{pa}/reactions/like"),
                json!({}),
            )
            .await;
        assert_eq!(r.status, 200);
    }
    let members = owner.c.get(&format!("/api/v1/circles/{c1}/members")).await;
    let person_of = |id: &str| {
        members.body["items"]
            .as_array()
            .into_iter()
            .flatten()
            .find(|m| m["account_id"] == id)
            .map(|m| s(&m["person_id"]))
            .unwrap_or_default()
    };
    let (person_a, person_b) = (person_of(&a.id), person_of(&b.id));
    for (p, t) in [
        (&person_a, "vip"),
        (&person_b, "vip"),
        (&person_b, "wechat"),
    ] {
        let r = owner
            .c
            .post(
                &format!("/api/v1/orgs/{org}/persons/{p}/tags"),
                json!({"tag": t}),
            )
            .await;
        assert_eq!(r.status, 204);
    }
    let before_a = snapshot(&owner, &org, &person_a).await;
    let before_b = snapshot(&owner, &org, &person_b).await;

    let r = owner
        .c
        .post(
            &format!("/api/v1/orgs/{org}/persons/{person_a}/merge"),
            json!({"merged_id": person_b, "reason": "same phone"}),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.text);
    let merge_id = s(&r.body["id"]);
    assert_eq!(r.body["moved"]["memberships"], 2);
    assert_eq!(r.body["moved"]["posts"], 1);
    assert_eq!(r.body["moved"]["comments"], 1);
    assert_eq!(r.body["moved"]["tags"], 1, "vip was on both; wechat moved");
    assert_eq!(
        r.body["moved"]["reactions"], 0,
        "the overlapping like stayed"
    );

    let merged = owner
        .c
        .get(&format!("/api/v1/orgs/{org}/persons/{person_a}/profile"))
        .await;
    assert_eq!(merged.body["tags"], json!(["vip", "wechat"]));
    assert_eq!(merged.body["circles"].as_array().map(Vec::len), Some(3));
    let r = a.c.get(&format!("/api/v1/circles/{c2}/posts/{pb}")).await;
    assert_eq!(r.body["post"]["author"]["person_id"], person_a.as_str());
    let r = a.c.get(&format!("/api/v1/circles/{c1}/posts/{pa}")).await;
    assert_eq!(r.body["post"]["score"], 2, "no reaction lost");
    // B's account now acts as the survivor; a second merge of B is refused.
    let r = owner
        .c
        .post(
            &format!("/api/v1/orgs/{org}/persons/{person_b}/tags"),
            json!({"tag": "x"}),
        )
        .await;
    assert_eq!(
        (r.status, r.body["code"].as_str()),
        (409, Some("merge_conflict"))
    );
    let r = owner
        .c
        .post(
            &format!("/api/v1/orgs/{org}/persons/{person_a}/merge"),
            json!({"merged_id": person_a}),
        )
        .await;
    assert_eq!(r.status, 422);

    // Non-admin staff cannot merge; nor can another org.
    let sales = app.user("Sales").await;
    app.join(&owner, &org, &sales, "sales").await;
    let r = sales
        .c
        .post(
            &format!("/api/v1/orgs/{org}/merges/{merge_id}/undo"),
            json!({}),
        )
        .await;
    assert_eq!(r.status, 403);
    let (stranger, other_org) = app.owner("Eve").await;
    let r = stranger
        .c
        .post(
            &format!("/api/v1/orgs/{other_org}/merges/{merge_id}/undo"),
            json!({}),
        )
        .await;
    assert_eq!(r.status, 404);

    let r = owner
        .c
        .post(
            &format!("/api/v1/orgs/{org}/merges/{merge_id}/undo"),
            json!({}),
        )
        .await;
    assert_eq!(r.status, 204, "{}", r.text);
    assert_eq!(snapshot(&owner, &org, &person_a).await, before_a);
    assert_eq!(snapshot(&owner, &org, &person_b).await, before_b);
    let r = owner
        .c
        .post(
            &format!("/api/v1/orgs/{org}/merges/{merge_id}/undo"),
            json!({}),
        )
        .await;
    assert_eq!(
        (r.status, r.body["code"].as_str()),
        (409, Some("merge_conflict"))
    );
    let profile = owner
        .c
        .get(&format!("/api/v1/orgs/{org}/persons/{person_a}/profile"))
        .await;
    assert!(profile.body["merges"][0]["undone_at"].is_i64());
}

async fn shared_verified_handle_merges_on_join(app: TestApp) {
    let (owner, org) = app.owner("Hal").await;
    let c = owner
        .circle(&org, json!({"name": "Members", "mode": "community"}))
        .await;
    // Sales entered a customer; the owner verified the e-mail at the counter.
    let r = owner
        .c
        .post(
            &format!("/api/v1/orgs/{org}/persons"),
            json!({"display_name": "老顾客 Regular"}),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.text);
    let crm = s(&r.body["id"]);
    let u = app.user("Reg").await;
    let r = owner
        .c
        .post(
            &format!("/api/v1/orgs/{org}/persons/{crm}/handles"),
            json!({"kind": "email", "value": u.login, "verified": true}),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.text);
    tag(&owner, &org, &crm, "regular").await;
    u.join(&c).await;
    let members = owner.c.get(&format!("/api/v1/circles/{c}/members")).await;
    let person = members.body["items"]
        .as_array()
        .into_iter()
        .flatten()
        .find(|m| m["account_id"] == u.id.as_str())
        .map(|m| s(&m["person_id"]))
        .unwrap_or_default();
    assert_eq!(person, crm, "the new member is the customer already known");
    let p = owner
        .c
        .get(&format!("/api/v1/orgs/{org}/persons/{crm}/profile"))
        .await;
    assert_eq!(
        p.body["merges"][0]["actor"],
        Value::Null,
        "automatic, and logged"
    );
    assert_eq!(p.body["tags"], json!(["regular"]));
    // Only owners and admins attest a handle is verified.
    let sales = app.user("Sam").await;
    app.join(&owner, &org, &sales, "sales").await;
    let r = sales
        .c
        .post(
            &format!("/api/v1/orgs/{org}/persons/{crm}/handles"),
            json!({"kind": "phone", "value": "+8613800000000", "verified": true}),
        )
        .await;
    assert_eq!(r.status, 403);
}

async fn tag(owner: &User, org: &str, person: &str, t: &str) {
    let r = owner
        .c
        .post(
            &format!("/api/v1/orgs/{org}/persons/{person}/tags"),
            json!({"tag": t}),
        )
        .await;
    assert_eq!(r.status, 204, "{}", r.text);
}

async fn circle_admins_set_roles_types_and_settings(app: TestApp) {
    let (owner, org) = app.owner("Adm").await;
    let c = owner
        .circle(&org, json!({"name": "Run", "mode": "community"}))
        .await;
    let a = app.user("Ada").await;
    let m = app.user("Max").await;
    a.join(&c).await;
    m.join(&c).await;
    let member = |u: &User| format!("/api/v1/circles/{c}/members/{}", u.id);
    let r = m.c.patch(&member(&a), json!({"role": "moderator"})).await;
    assert_eq!(r.status, 403, "members do not hand out roles");
    let r = owner.c.patch(&member(&a), json!({"role": "admin"})).await;
    assert_eq!(
        (r.status, r.body["role"].as_str()),
        (200, Some("admin")),
        "{}",
        r.text
    );
    // An admin makes moderators and sets types, but does not make admins.
    let r =
        a.c.patch(
            &member(&m),
            json!({"role": "moderator", "types": ["member", "customer"]}),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.body["types"], json!(["member", "customer"]));
    let r = a.c.patch(&member(&m), json!({"role": "admin"})).await;
    assert_eq!(r.status, 403);
    let r = a.c.patch(&member(&owner), json!({"role": "member"})).await;
    assert_eq!(r.status, 403, "nobody demotes the owner");
    let r = owner.c.patch(&member(&m), json!({"role": "owner"})).await;
    assert_eq!((r.status, r.body["field"].as_str()), (422, Some("role")));
    let r = owner.c.patch(&member(&m), json!({"types": ["vip"]})).await;
    assert_eq!((r.status, r.body["field"].as_str()), (422, Some("types")));
    // The new moderator moderates at once (views are evicted on change).
    let p = post(&owner, &c, json!({"title": "pin me"})).await;
    let r =
        m.c.put(&format!("/api/v1/circles/{c}/posts/{p}/pin"), json!({}))
            .await;
    assert_eq!(r.status, 204);

    // Settings.
    let s = format!("/api/v1/circles/{c}/settings");
    let r = m.c.patch(&s, json!({"name": "x"})).await;
    assert_eq!(r.status, 403, "moderators do not edit settings");
    let r = a
        .c
        .patch(&s, json!({"name": "跑团 Runners", "join_policy": "approval", "posting": "staff", "public": false}))
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(
        (
            r.body["name"].as_str(),
            r.body["join_policy"].as_str(),
            r.body["public"].as_bool()
        ),
        (Some("跑团 Runners"), Some("approval"), Some(false))
    );
    let r =
        m.c.post(
            &format!("/api/v1/circles/{c}/posts"),
            json!({"title": "staff only now?"}),
        )
        .await;
    assert_eq!(r.status, 201, "moderators are circle staff");
    let newbie = app.user("New").await;
    let r = newbie
        .c
        .post(&format!("/api/v1/circles/{c}/join"), json!({}))
        .await;
    // Private with approval: not visible, but its link is a door (a request waits).
    assert_eq!(r.body["status"], "pending", "{}", r.text);
    let feed = newbie.c.get(&format!("/api/v1/circles/{c}/feed")).await;
    assert_eq!(feed.status, 404, "private now: its content is not visible");
    let internal = owner
        .circle(&org, json!({"name": "Ops", "mode": "internal"}))
        .await;
    let r = owner
        .c
        .patch(
            &format!("/api/v1/circles/{internal}/settings"),
            json!({"public": true}),
        )
        .await;
    assert_eq!((r.status, r.body["field"].as_str()), (422, Some("public")));
    let r = owner.c.patch(&s, json!({"join_policy": "sometimes"})).await;
    assert_eq!(
        (r.status, r.body["field"].as_str()),
        (422, Some("join_policy"))
    );
}
