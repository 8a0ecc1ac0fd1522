//! Chat fused with the circle: rooms, live delivery over the WebSocket, unread
//! counts, the send rate limit, history, and promoting a message to a topic.

use crate::ws::{next, send, ws_with_cookie};
use quan_testkit::{TestApp, User, on_both_backends};
use quan_web::api::chat::MessageDto;
use serde_json::json;
use std::time::Duration;

on_both_backends!(
    rooms_are_for_members_and_deliver_live,
    sends_are_rate_limited_and_history_pages,
    a_message_is_promoted_to_a_topic_once,
    extra_rooms_are_separate_and_bounded,
    twenty_rooms_at_most_under_concurrency
);

/// A community circle with Alice and Bob in it, and a business circle beside it:
/// (owner, circle, business circle, alice, bob, default room, its topic).
async fn tea_talk(app: &TestApp) -> (User, String, String, User, User, String, String) {
    let (owner, org) = app.owner("Chen").await;
    let cid = owner
        .circle(
            &org,
            json!({"name": "茶话会 Tea talk", "mode": "community"}),
        )
        .await;
    let private = owner
        .circle(&org, json!({"name": "Backroom", "mode": "business"}))
        .await;
    let (alice, bob) = (app.user("Alice").await, app.user("Bob").await);
    alice.join(&cid).await;
    bob.join(&cid).await;
    let rooms = alice.rooms(&cid).await;
    assert_eq!((rooms[0].is_default, rooms[0].unread), (true, 0));
    let (room, topic) = (rooms[0].id.clone(), rooms[0].topic.clone());
    (owner, cid, private, alice, bob, room, topic)
}

async fn rooms_are_for_members_and_deliver_live(app: TestApp) {
    let (_, cid, private, alice, bob, room, topic) = tea_talk(&app).await;
    let outsider = app.user("Outsider").await;
    // Visitors of a public circle read posts, not the chat; private circles stay hidden.
    let r = outsider
        .c
        .get(&format!("/api/v1/circles/{cid}/rooms/{room}/messages"))
        .await;
    assert_eq!(r.problem(), (403, Some("not_member")));
    let r = outsider
        .c
        .get(&format!("/api/v1/circles/{private}/rooms"))
        .await;
    assert_eq!(r.status, 404);

    // Bob listens live; the outsider may not.
    let mut bob_ws = ws_with_cookie(&app.base, &app.session_cookie(&bob).await).await;
    send(&mut bob_ws, json!({"type": "subscribe", "topic": topic})).await;
    assert_eq!(next(&mut bob_ws).await["type"], "subscribed");
    let mut out_ws = ws_with_cookie(&app.base, &app.session_cookie(&outsider).await).await;
    send(&mut out_ws, json!({"type": "subscribe", "topic": topic})).await;
    assert_eq!(next(&mut out_ws).await["code"], "forbidden_topic");
    let m1 = alice.say(&cid, &room, json!({"body": "你好 hello"})).await;
    let live = next(&mut bob_ws).await;
    assert_eq!(
        (live["type"].as_str(), live["data"]["body"].as_str()),
        (Some("event"), Some("你好 hello"))
    );

    // Unread counts are per person; your own messages never count.
    assert_eq!(bob.rooms(&cid).await[0].unread, 1);
    assert_eq!(alice.rooms(&cid).await[0].unread, 0);
    bob.read_room(&cid, &room, &m1.id).await;
    assert_eq!(bob.rooms(&cid).await[0].unread, 0);
    let _ = bob_ws.close(None).await;
    drop(out_ws);
}

async fn sends_are_rate_limited_and_history_pages(app: TestApp) {
    let (_, cid, _, alice, bob, room, _) = tea_talk(&app).await;
    let m1 = alice.say(&cid, &room, json!({"body": "你好 hello"})).await;
    // The rate limit: three per two seconds, then a short mute.
    alice.say(&cid, &room, json!({"body": "m0"})).await;
    alice.say(&cid, &room, json!({"body": "m1"})).await;
    let path = format!("/api/v1/circles/{cid}/rooms/{room}/messages");
    let r = alice.c.post(&path, json!({"body": "m2"})).await;
    assert_eq!(r.problem(), (429, Some("rate_limited")));
    tokio::time::sleep(Duration::from_millis(2100)).await;
    let reply = alice
        .say(
            &cid,
            &room,
            json!({"body": "after the mute", "reply_to": m1.id}),
        )
        .await;
    assert_eq!(reply.reply_to.as_deref(), Some(m1.id.as_str()));

    // History, newest first, in pages.
    let bodies = |h: &[MessageDto]| h.iter().map(|m| m.body.clone()).collect::<Vec<_>>();
    let h = bob.history(&cid, &room, "limit=2").await;
    assert_eq!(bodies(&h), ["after the mute", "m1"]);
    let h2 = bob
        .history(&cid, &room, &format!("before={}", h[1].id))
        .await;
    assert_eq!(bodies(&h2), ["m0", "你好 hello"]);
    let empty = alice.c.post(&path, json!({"body": ""})).await;
    assert_eq!(
        (empty.status, empty.body["field"].as_str()),
        (422, Some("body"))
    );
}

async fn a_message_is_promoted_to_a_topic_once(app: TestApp) {
    let (owner, cid, _, alice, bob, room, _) = tea_talk(&app).await;
    let m1 = alice.say(&cid, &room, json!({"body": "你好 hello"})).await;
    // The author (or circle staff) turns a message into a topic, once.
    let path = format!(
        "/api/v1/circles/{cid}/rooms/{room}/messages/{}/promote",
        m1.id
    );
    let r = bob.c.post(&path, json!({})).await;
    assert_eq!(r.problem(), (403, Some("forbidden")));
    let p = alice.promote(&cid, &room, &m1.id).await;
    assert_eq!(p.title, "你好 hello");
    assert!(
        p.body.starts_with("> 你好 hello") && p.body.contains(&m1.id),
        "quotes and links back"
    );
    let again = owner.c.post(&path, json!({})).await;
    assert_eq!(again.problem(), (409, Some("already_promoted")));
    assert_eq!(bob.feed(&cid, "").await.items[0].id, p.id);
    let h = bob.history(&cid, &room, "limit=100").await;
    let promoted = h
        .iter()
        .find(|m| m.id == m1.id)
        .map(|m| m.promoted_post_id.clone());
    assert_eq!(promoted, Some(Some(p.id)), "the message links to its topic");
}

async fn extra_rooms_are_separate_and_bounded(app: TestApp) {
    let (owner, org) = app.owner("Roo").await;
    let c = owner
        .circle(&org, json!({"name": "Rooms", "mode": "community"}))
        .await;
    let m = app.user("Mem").await;
    m.join(&c).await;
    let r = m.try_add_room(&c, "x").await;
    assert_eq!(r.status, 403, "members do not add rooms");
    let room = owner.add_room(&c, "新品讨论 New teas").await;
    assert!(!room.is_default);
    let rooms = m.rooms(&c).await;
    assert_eq!(rooms.len(), 2);
    let default = rooms.into_iter().find(|r| r.is_default).map(|r| r.id);
    let default = default.unwrap_or_else(|| panic!("no default room"));
    m.say(&c, &room.id, json!({"body": "在新房间 in the new room"}))
        .await;
    let h = owner.history(&c, &default, "").await;
    assert!(h.is_empty(), "rooms are separate");
    let h = owner.history(&c, &room.id, "").await;
    assert_eq!(h[0].body, "在新房间 in the new room");
    let r = owner.try_add_room(&c, "").await;
    assert_eq!(r.field(), (422, Some("name")));
}

async fn twenty_rooms_at_most_under_concurrency(app: TestApp) {
    let (owner, org) = app.owner("Roo").await;
    let c = owner
        .circle(&org, json!({"name": "Rooms", "mode": "community"}))
        .await;
    owner.add_room(&c, "新品讨论 New teas").await;
    // Twenty rooms at most, even when many are added at once.
    let names: Vec<String> = (0..25).map(|i| format!("room {i}")).collect();
    let adds = names.iter().map(|n| owner.try_add_room(&c, n));
    let results: Vec<u16> = futures::future::join_all(adds)
        .await
        .into_iter()
        .map(|r| r.status)
        .collect();
    let made = results.iter().filter(|s| **s == 201).count();
    assert_eq!(made, 18, "{results:?}");
    assert!(results.iter().all(|s| *s == 201 || *s == 422));
    assert_eq!(owner.rooms(&c).await.len(), 20);
}
