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
    upheld_reports_remove_and_dismissed_flags_weigh_less,
    mutes_stop_writing_until_they_expire,
    bans_remove_until_lifted,
    sensitive_words_reject_or_hold,
    comments_cannot_be_held_and_words_can_go,
    new_members_have_first_day_limits,
    audiences_by_tag_in_feed_and_post,
    persons_merge_moves_everything_once,
    persons_merge_and_undo_restore_exactly,
    shared_verified_handle_merges_on_join,
    circle_admins_set_roles_types_and_settings,
    circle_admins_edit_settings
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
    let (m, other) = (app.user("Max").await, app.user("Ola").await);
    m.join(&c).await;
    other.join(&c).await;
    let p = post(&m, &c, json!({"title": "v1", "body": "first"})).await;

    let e = m.edit(&c, &p, "v2", "second").await;
    assert_eq!(e.title, "v2");
    assert!(e.edited_at.is_some());
    let e = other.try_edit(&c, &p, "hijack", "").await;
    assert_eq!(e.status, 403, "only the author edits");
    let h = other.edits(&c, &p).await;
    assert_eq!((h[0].title.as_str(), h[0].body.as_str()), ("v1", "first"));

    assert_eq!(m.try_pin(&c, &p).await.status, 403, "members do not pin");
    owner.pin(&c, &p).await;
    let f = other.feed(&c, "").await;
    assert_eq!(f.pinned[0].id, p);
    assert!(f.pinned[0].pinned);

    // A moderator's delete is logged with its reason; an author's own is not.
    let own = post(&other, &c, json!({"title": "oops"})).await;
    other.delete_post(&c, &own, "").await;
    assert_eq!(other.try_delete_post(&c, &p, "").await.status, 403);
    owner.delete_post(&c, &p, "off topic").await;
    let r = m.c.get(&format!("/api/v1/circles/{c}/posts/{p}")).await;
    assert_eq!(r.status, 404);
    assert!(feed_ids(&m, &c).await.is_empty());
    let log = m.mod_log(&c).await.items;
    let actions: Vec<(&str, &str)> = log
        .iter()
        .map(|l| (l.action.as_str(), l.reason.as_str()))
        .collect();
    assert_eq!(actions, [("delete", "off topic"), ("pin", "")]);
    assert_eq!(log[0].actor.as_deref(), Some("Pam"));
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

/// A community circle where six new members flagged the author's post, the sixth
/// flag hiding it: (owner, circle, author, flaggers, post).
async fn flagged(app: &TestApp) -> (User, String, User, Vec<User>, String) {
    let (owner, org) = app.owner("Mod").await;
    let c = owner
        .circle(&org, json!({"name": "Open", "mode": "community"}))
        .await;
    let author = app.user("Spammy").await;
    author.join(&c).await;
    let bad = post(&author, &c, json!({"title": "buy followers"})).await;
    let mut flaggers = Vec::new();
    for i in 0..6 {
        let u = app.user(&format!("Flagger {i}")).await;
        u.join(&c).await;
        // New members flag with weight 1; the threshold is 6.
        let out = u.report(&c, &bad, "spam").await;
        assert_eq!(out.hidden, i == 5, "hidden exactly at the sixth flag");
        flaggers.push(u);
    }
    (owner, c, author, flaggers, bad)
}

async fn weighted_reports_hide_and_review(app: TestApp) {
    let (owner, c, author, flaggers, bad) = flagged(&app).await;
    let first = &flaggers[0];
    // Once per member and post, for a known reason.
    let other = post(&author, &c, json!({"title": "another one"})).await;
    assert!(!first.report(&c, &other, "spam").await.hidden);
    let again = first.try_report(&c, &other, "spam").await;
    assert_eq!(again.problem(), (409, Some("already_reported")));
    let bogus = first.try_report(&c, &other, "ugly").await;
    assert_eq!(bogus.field(), (422, Some("reason")));
    // Hidden from everyone but its author.
    assert!(!feed_ids(first, &c).await.contains(&bad));
    let r = first
        .c
        .get(&format!("/api/v1/circles/{c}/posts/{bad}"))
        .await;
    assert_eq!(r.status, 404);
    assert!(author.post_detail(&c, &bad).await.post.hidden);

    let q = first.try_review_queue(&c).await;
    assert_eq!(q.status, 403, "members do not see the queue");
    let q = owner.review_queue(&c).await;
    assert_eq!((q[0].post.id.as_str(), q[0].weight), (bad.as_str(), 6));
    assert_eq!(q[0].reports.len(), 6);
    // Dismissed: shown again.
    owner.decide(&c, &bad, "dismissed", "parody account").await;
    assert!(feed_ids(first, &c).await.contains(&bad));
}

async fn upheld_reports_remove_and_dismissed_flags_weigh_less(app: TestApp) {
    let (owner, c, author, flaggers, bad) = flagged(&app).await;
    owner.decide(&c, &bad, "dismissed", "parody account").await;
    // A moderator's report hides at once; upheld removes the post.
    let worse = post(&author, &c, json!({"title": "scam link"})).await;
    assert!(owner.report(&c, &worse, "illegal").await.hidden);
    owner.decide(&c, &worse, "upheld", "").await;
    let r = author
        .c
        .get(&format!("/api/v1/circles/{c}/posts/{worse}"))
        .await;
    assert_eq!(r.status, 404, "removed");
    let actions = author.mod_actions(&c).await;
    assert_eq!(actions, ["remove", "auto_hide", "restore", "auto_hide"]);
    // Dismissed flags count against the flaggers' accuracy from now on: their next
    // flags weigh less, so the same six no longer hide a post on their own.
    let third = post(&author, &c, json!({"title": "another"})).await;
    let mut hidden = false;
    for f in &flaggers {
        hidden |= f.report(&c, &third, "spam").await.hidden;
    }
    assert!(hidden, "weight floors at 1 per flag, so six still reach 6");
}

async fn mutes_stop_writing_until_they_expire(app: TestApp) {
    let (owner, org) = app.owner("Sal").await;
    let c = owner
        .circle(&org, json!({"name": "Club", "mode": "community"}))
        .await;
    let m = app.user("Noisy").await;
    m.join(&c).await;
    app.clock.advance_secs(86_400);
    let p = post(&m, &c, json!({"title": "hi"})).await;
    let room = m.rooms(&c).await.remove(0).id;

    let r = m.try_sanction(&c, &owner.id, "mute", json!({})).await;
    assert_eq!(r.status, 403, "members do not mute");
    let body = json!({"hours": 1, "reason": "flooding"});
    owner.sanction(&c, &m.id, "mute", body).await;
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
        assert_eq!(r.problem(), (403, Some("muted")), "{path}");
    }
    // Muted members still read.
    assert_eq!(feed_ids(&m, &c).await, vec![p.clone()]);
    app.clock.advance_secs(2 * 3600);
    post(&m, &c, json!({"title": "back"})).await;
    let zero = owner
        .try_sanction(&c, &m.id, "mute", json!({"hours": 0}))
        .await;
    assert_eq!(zero.field(), (422, Some("hours")));
}

async fn bans_remove_until_lifted(app: TestApp) {
    let (owner, org) = app.owner("Sal").await;
    let c = owner
        .circle(&org, json!({"name": "Club", "mode": "community"}))
        .await;
    let m = app.user("Noisy").await;
    m.join(&c).await;
    owner.sanction(&c, &m.id, "mute", json!({"hours": 1})).await;
    app.clock.advance_secs(2 * 3600);
    owner
        .sanction(&c, &m.id, "ban", json!({"reason": "spam again"}))
        .await;
    assert_eq!(owner.get_circle(&c).await.member_count, 1);
    let r =
        m.c.post(&format!("/api/v1/circles/{c}/join"), json!({}))
            .await;
    assert_eq!(r.problem(), (403, Some("banned")));
    let kinds: Vec<String> = owner
        .sanctions(&c)
        .await
        .into_iter()
        .map(|x| x.kind)
        .collect();
    assert_eq!(kinds, ["ban"], "the expired mute is no longer in force");
    owner.lift(&c, &m.id, "ban").await;
    m.join(&c).await;
    let r = owner.try_sanction(&c, &owner.id, "ban", json!({})).await;
    assert_eq!(r.status, 403, "no one sanctions themselves or an owner");
}

/// A community circle of org `Wen` with a writer and a reader, and the org's words
/// 返现 (reject), 刷单 (hold) and Casino (reject): (owner, org, circle, writer, reader).
async fn worded(app: &TestApp) -> (User, String, String, User, User) {
    let (owner, org) = app.owner("Wen").await;
    let c = owner
        .circle(&org, json!({"name": "Talk", "mode": "community"}))
        .await;
    let (m, reader) = (app.user("Mei").await, app.user("Rae").await);
    m.join(&c).await;
    reader.join(&c).await;
    for (w, a) in [("返现", "reject"), ("刷单", "hold"), ("Casino", "reject")] {
        owner.set_word(&org, w, a).await;
    }
    (owner, org, c, m, reader)
}

async fn sensitive_words_reject_or_hold(app: TestApp) {
    let (owner, org, c, m, reader) = worded(&app).await;
    assert_eq!(m.try_words(&org).await.status, 404, "not staff of the org");
    let list = owner.words(&org).await;
    assert_eq!(list.len(), 3);
    assert_eq!(list[0].word, "casino", "stored lower-case");

    let posts = format!("/api/v1/circles/{c}/posts");
    let r =
        m.c.post(&posts, json!({"title": "好消息", "body": "下单就返现"}))
            .await;
    assert_eq!(r.problem(), (422, Some("sensitive_word")));
    let detail = r.body["detail"].as_str().unwrap_or_default();
    assert!(
        detail.contains("«返现»"),
        "the refusal names the word: {}",
        r.text
    );
    let r = m.c.post(&posts, json!({"title": "Best CASINO"})).await;
    assert_eq!(r.status, 422, "case-insensitive");
    let held = m
        .post(&c, json!({"title": "兼职", "body": "在家刷单日结"}))
        .await;
    assert!(held.hidden, "held for review");
    assert!(!feed_ids(&reader, &c).await.contains(&held.id));
    assert!(
        feed_ids(&m, &c).await.contains(&held.id),
        "the author sees it"
    );
    assert_eq!(owner.review_queue(&c).await[0].post.id, held.id);
}

async fn comments_cannot_be_held_and_words_can_go(app: TestApp) {
    let (owner, org, c, m, _) = worded(&app).await;
    let ok = post(&m, &c, json!({"title": "今天的茶很好"})).await;
    let comments = format!("/api/v1/circles/{c}/posts/{ok}/comments");
    let r = m.c.post(&comments, json!({"body": "来刷单"})).await;
    assert_eq!(r.status, 422, "comments cannot wait for review: refused");
    owner.drop_word(&org, "刷单").await;
    m.comment(&c, &ok, "来刷单", None).await;
    let r = owner.try_set_word(&org, "", "hold").await;
    assert_eq!(r.field(), (422, Some("word")));
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
/// What merge and undo must restore exactly: handles, tags, circles and the
/// timeline (less the merge entries themselves).
async fn snapshot(owner: &User, org: &str, person: &str) -> Value {
    let mut p = owner.profile(org, person).await;
    p.timeline.retain(|t| !t.kind.starts_with("merge"));
    json!({
        "handles": p.handles, "tags": p.tags, "circles": p.circles, "timeline": p.timeline,
    })
}

/// Two accounts of one customer, each a person of org `Ada`: A posted in "Shop
/// fans", B in "Tea class" and commented on A's post; both liked A's post; both
/// are tagged vip, B also wechat.
struct Amys {
    owner: User,
    org: String,
    a: User,
    c1: String,
    c2: String,
    pa: String,
    pb: String,
    person_a: String,
    person_b: String,
}

async fn amys(app: &TestApp) -> Amys {
    let (owner, org) = app.owner("Ada").await;
    let c1 = owner
        .circle(&org, json!({"name": "Shop fans", "mode": "community"}))
        .await;
    let c2 = owner
        .circle(&org, json!({"name": "Tea class", "mode": "community"}))
        .await;
    let (a, b) = (app.user("Amy phone").await, app.user("Amy wechat").await);
    a.join(&c1).await;
    b.join(&c2).await;
    b.join(&c1).await;
    let pa = post(&a, &c1, json!({"title": "from A"})).await;
    let pb = post(&b, &c2, json!({"title": "from B"})).await;
    b.comment(&c1, &pa, "B comments on A", None).await;
    // Both like the same post: the overlapping reaction must not be lost.
    a.react(&c1, &pa, "like").await;
    b.react(&c1, &pa, "like").await;
    let person_a = owner.person_of(&c1, &a.id).await;
    let person_b = owner.person_of(&c1, &b.id).await;
    for (p, t) in [
        (&person_a, "vip"),
        (&person_b, "vip"),
        (&person_b, "wechat"),
    ] {
        owner.tag(&org, p, t).await;
    }
    Amys {
        owner,
        org,
        a,
        c1,
        c2,
        pa,
        pb,
        person_a,
        person_b,
    }
}

async fn persons_merge_moves_everything_once(app: TestApp) {
    let Amys {
        owner,
        org,
        a,
        c1,
        c2,
        pa,
        pb,
        person_a,
        person_b,
    } = amys(&app).await;
    let m = owner.merge(&org, &person_a, &person_b, "same phone").await;
    let moved = |k: &str| m.moved.get(k).copied();
    assert_eq!(moved("memberships"), Some(2));
    assert_eq!((moved("posts"), moved("comments")), (Some(1), Some(1)));
    assert_eq!(moved("tags"), Some(1), "vip was on both; wechat moved");
    assert_eq!(moved("reactions"), Some(0), "the overlapping like stayed");

    let merged = owner.profile(&org, &person_a).await;
    assert_eq!(merged.tags, ["vip", "wechat"]);
    assert_eq!(merged.circles.len(), 3);
    assert_eq!(
        a.post_detail(&c2, &pb).await.post.author.person_id,
        person_a
    );
    assert_eq!(
        a.post_detail(&c1, &pa).await.post.score,
        2,
        "no reaction lost"
    );
    // B's account now acts as the survivor; a second merge of B is refused.
    let r = owner.try_tag(&org, &person_b, "x").await;
    assert_eq!(r.problem(), (409, Some("merge_conflict")));
    let r = owner.try_merge(&org, &person_a, &person_a, "").await;
    assert_eq!(r.status, 422);
}

async fn persons_merge_and_undo_restore_exactly(app: TestApp) {
    let Amys {
        owner,
        org,
        person_a,
        person_b,
        ..
    } = amys(&app).await;
    let before_a = snapshot(&owner, &org, &person_a).await;
    let before_b = snapshot(&owner, &org, &person_b).await;
    let merge = owner
        .merge(&org, &person_a, &person_b, "same phone")
        .await
        .id;
    // Non-admin staff cannot undo; nor can another org.
    let sales = app.user("Sales").await;
    app.join(&owner, &org, &sales, "sales").await;
    assert_eq!(sales.try_undo(&org, &merge).await.status, 403);
    let (stranger, other_org) = app.owner("Eve").await;
    assert_eq!(stranger.try_undo(&other_org, &merge).await.status, 404);

    owner.undo(&org, &merge).await;
    assert_eq!(snapshot(&owner, &org, &person_a).await, before_a);
    assert_eq!(snapshot(&owner, &org, &person_b).await, before_b);
    let again = owner.try_undo(&org, &merge).await;
    assert_eq!(again.problem(), (409, Some("merge_conflict")));
    let profile = owner.profile(&org, &person_a).await;
    assert!(profile.merges[0].undone_at.is_some());
}

async fn shared_verified_handle_merges_on_join(app: TestApp) {
    let (owner, org) = app.owner("Hal").await;
    let c = owner
        .circle(&org, json!({"name": "Members", "mode": "community"}))
        .await;
    // Sales entered a customer; the owner verified the e-mail at the counter.
    let crm = owner.create_person(&org, "老顾客 Regular").await.id;
    let u = app.user("Reg").await;
    owner.add_handle(&org, &crm, "email", &u.login, true).await;
    owner.tag(&org, &crm, "regular").await;
    u.join(&c).await;
    let person = owner.person_of(&c, &u.id).await;
    assert_eq!(person, crm, "the new member is the customer already known");
    let p = owner.profile(&org, &crm).await;
    assert_eq!(p.merges[0].actor, None, "automatic, and logged");
    assert_eq!(p.tags, ["regular"]);
    // Only owners and admins attest a handle is verified.
    let sales = app.user("Sam").await;
    app.join(&owner, &org, &sales, "sales").await;
    let r = sales
        .try_add_handle(&org, &crm, "phone", "+8613800000000", true)
        .await;
    assert_eq!(r.status, 403);
}

/// A community circle of org `Adm` with two members, Ada and Max:
/// (owner, org, circle, ada, max).
async fn run_club(app: &TestApp) -> (User, String, String, User, User) {
    let (owner, org) = app.owner("Adm").await;
    let c = owner
        .circle(&org, json!({"name": "Run", "mode": "community"}))
        .await;
    let (a, m) = (app.user("Ada").await, app.user("Max").await);
    a.join(&c).await;
    m.join(&c).await;
    (owner, org, c, a, m)
}

async fn circle_admins_set_roles_types_and_settings(app: TestApp) {
    let (owner, _, c, a, m) = run_club(&app).await;
    let r = m
        .try_set_member(&c, &a.id, json!({"role": "moderator"}))
        .await;
    assert_eq!(r.status, 403, "members do not hand out roles");
    let admin = owner.set_member(&c, &a.id, json!({"role": "admin"})).await;
    assert_eq!(admin.role, "admin");
    // An admin makes moderators and sets types, but does not make admins.
    let body = json!({"role": "moderator", "types": ["member", "customer"]});
    assert_eq!(
        a.set_member(&c, &m.id, body).await.types,
        ["member", "customer"]
    );
    let r = a.try_set_member(&c, &m.id, json!({"role": "admin"})).await;
    assert_eq!(r.status, 403);
    let r = a
        .try_set_member(&c, &owner.id, json!({"role": "member"}))
        .await;
    assert_eq!(r.status, 403, "nobody demotes the owner");
    let r = owner
        .try_set_member(&c, &m.id, json!({"role": "owner"}))
        .await;
    assert_eq!(r.field(), (422, Some("role")));
    let r = owner
        .try_set_member(&c, &m.id, json!({"types": ["vip"]}))
        .await;
    assert_eq!(r.field(), (422, Some("types")));
    // The new moderator moderates at once (views are evicted on change).
    let p = post(&owner, &c, json!({"title": "pin me"})).await;
    m.pin(&c, &p).await;
}

async fn circle_admins_edit_settings(app: TestApp) {
    let (owner, org, c, a, m) = run_club(&app).await;
    owner.set_member(&c, &a.id, json!({"role": "admin"})).await;
    owner
        .set_member(&c, &m.id, json!({"role": "moderator"}))
        .await;
    let r = m.try_settings(&c, json!({"name": "x"})).await;
    assert_eq!(r.status, 403, "moderators do not edit settings");
    let body = json!({"name": "跑团 Runners", "join_policy": "approval", "posting": "staff", "public": false});
    let edited = a.settings(&c, body).await;
    assert_eq!(edited.name, "跑团 Runners");
    assert_eq!(
        (edited.join_policy.as_str(), edited.public),
        ("approval", false)
    );
    m.post(&c, json!({"title": "staff only now?"})).await; // moderators are staff
    let newbie = app.user("New").await;
    // Private with approval: not visible, but its link is a door (a request waits).
    assert_eq!(newbie.join(&c).await.status, "pending");
    let feed = newbie.c.get(&format!("/api/v1/circles/{c}/feed")).await;
    assert_eq!(feed.status, 404, "private now: its content is not visible");
    let internal = owner
        .circle(&org, json!({"name": "Ops", "mode": "internal"}))
        .await;
    let r = owner.try_settings(&internal, json!({"public": true})).await;
    assert_eq!(r.field(), (422, Some("public")));
    let r = owner
        .try_settings(&c, json!({"join_policy": "sometimes"}))
        .await;
    assert_eq!(r.field(), (422, Some("join_policy")));
}
