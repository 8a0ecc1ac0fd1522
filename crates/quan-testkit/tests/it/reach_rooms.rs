//! Campaigns to circle chat rooms: one message per room, posted by the campaign's
//! author when they confirm, at most one campaign message per room a day (the
//! preflight says which rooms had theirs, and the plan is the preflight; concurrent
//! campaigns never give a room two), held by quiet hours, and refused clearly when
//! they name customers too, rooms of another org, or rooms of a circle their author
//! is not in. Both backends.

use quan_testkit::{TestApp, User, on_both_backends};
use serde_json::json;

on_both_backends!(
    a_room_campaign_posts_once_in_each_room,
    concurrent_room_campaigns_take_a_room_once,
    quiet_hours_hold_a_room_campaign,
    a_refused_post_gives_the_day_back,
    room_campaigns_refuse_what_they_cannot_do
);

/// Tea House with no quiet hours and a community circle of two rooms that Mei and
/// Yu belong to: (owner, org, circle, [lobby, news], mei).
async fn tea_rooms(app: &TestApp) -> (User, String, String, [String; 2], User) {
    let (owner, org) = app.owner("Tea House").await;
    owner.set_policy(&org, "month", "", 5_000).await;
    let circle = owner
        .circle(&org, json!({"name": "茶友会", "mode": "community"}))
        .await;
    let news = owner.add_room(&circle, "新品速递").await.id;
    let lobby = owner
        .rooms(&circle)
        .await
        .into_iter()
        .find(|r| r.is_default)
        .map(|r| r.id)
        .unwrap_or_else(|| panic!("a default room"));
    let mei = app.user("Mei").await;
    mei.join(&circle).await;
    app.user("Yu").await.join(&circle).await;
    (owner, org, circle, [lobby, news], mei)
}

fn now(app: &TestApp) -> i64 {
    quan_core::Clock::now(app.clock.as_ref()).millis()
}

async fn a_room_campaign_posts_once_in_each_room(app: TestApp) {
    let (owner, org, circle, [lobby, news], mei) = tea_rooms(&app).await;
    let choices = owner.campaign_rooms(&org).await;
    assert_eq!(choices.len(), 2, "{choices:?}");
    assert!(
        choices
            .iter()
            .all(|r| r.circle_name == "茶友会" && r.members == 3 && !r.capped)
    );

    let c = owner
        .room_campaign(
            &org,
            "{{name}}的朋友们，周六品茶会开始报名",
            &[&lobby, &news],
        )
        .await;
    assert_eq!(c.segment.rooms, [lobby.clone(), news.clone()]);
    let pre = owner.preflight(&org, &c.id).await;
    assert_eq!((pre.counts.recipients, pre.counts.over_budget), (2, 0));
    assert_eq!(pre.rooms.len(), 2);
    let sent = owner.send_campaign(&org, &c.id).await;
    assert_eq!(sent.counts, pre.counts, "the plan is the preflight");
    assert_eq!(sent.status, "confirming");
    assert_eq!(sent.shares.len(), 1, "one share, the author's");
    assert!(
        mei.history(&circle, &lobby, "").await.is_empty(),
        "nothing before the author confirms"
    );
    assert_eq!(owner.confirm(&org, &c.id).await, 2);
    for room in [&lobby, &news] {
        let h = mei.history(&circle, room, "").await;
        assert_eq!(h.len(), 1, "one message per room");
        assert_eq!(h[0].body, "茶友会的朋友们，周六品茶会开始报名");
        assert_eq!(h[0].author.display_name, "Tea House");
    }
    let done = owner.get_campaign(&org, &c.id).await;
    assert_eq!(done.status, "sent");
    assert!(
        done.rooms
            .iter()
            .all(|r| r.outcome == "send" && r.message_id.is_some())
    );
    let again = owner.try_confirm(&org, &c.id).await;
    assert_eq!(
        again.problem(),
        (409, Some("campaign_state")),
        "{}",
        again.text
    );
    assert_eq!(mei.history(&circle, &lobby, "").await.len(), 1, "still one");

    // A second campaign the same day: the lobby had its message.
    let second = owner.room_campaign(&org, "再提醒一次", &[&lobby]).await;
    let pre = owner.preflight(&org, &second.id).await;
    assert_eq!((pre.counts.recipients, pre.counts.over_budget), (0, 1));
    assert!(pre.rooms[0].capped && pre.staff_opens > now(&app));
    // Planning it would post nothing: it stays a draft, to be sent another day.
    let r = owner.try_send_campaign(&org, &second.id).await;
    assert_eq!(r.problem(), (422, Some("rooms_all_taken")), "{}", r.text);
    assert_eq!(owner.get_campaign(&org, &second.id).await.status, "draft");
    let page = owner
        .c
        .get(&format!("/console/{org}/campaigns/{}", second.id))
        .await;
    assert!(
        page.text.contains("id=\"rooms-none\"") && !page.text.contains("id=\"send\""),
        "no plan button for a campaign that would post nothing"
    );

    // The next day the room can have one again.
    app.clock
        .advance_secs((pre.staff_opens - now(&app)) / 1000 + 1);
    let third = owner.room_campaign(&org, "今日上新", &[&lobby]).await;
    owner.send_campaign(&org, &third.id).await;
    assert_eq!(owner.confirm(&org, &third.id).await, 1);
    assert_eq!(mei.history(&circle, &lobby, "").await.len(), 2);
}

async fn concurrent_room_campaigns_take_a_room_once(app: TestApp) {
    let (owner, org, circle, [lobby, news], mei) = tea_rooms(&app).await;
    let mut ids = Vec::new();
    for i in 0..8 {
        let rooms: Vec<&str> = if i % 2 == 0 {
            vec![&lobby]
        } else {
            vec![&news, &lobby]
        };
        ids.push(owner.room_campaign(&org, "限时活动", &rooms).await.id);
    }
    // Planned at once, each as its preflight says (no room has posted yet today)...
    let plans = futures::future::join_all(ids.iter().map(|id| owner.send_campaign(&org, id))).await;
    for c in &plans {
        assert_eq!(
            c.counts.recipients,
            i64::try_from(c.segment.rooms.len()).unwrap_or(0)
        );
    }
    // ...and confirmed at once: each room's day is taken by one of them.
    let posts: i64 = futures::future::join_all(ids.iter().map(|id| owner.confirm(&org, id)))
        .await
        .into_iter()
        .sum();
    assert_eq!(
        posts, 2,
        "one campaign message per room a day, however many post at once"
    );
    assert_eq!(mei.history(&circle, &lobby, "").await.len(), 1);
    assert_eq!(mei.history(&circle, &news, "").await.len(), 1);
    let mut outcomes = Vec::new();
    for id in &ids {
        outcomes.extend(
            owner
                .get_campaign(&org, id)
                .await
                .rooms
                .into_iter()
                .map(|r| r.outcome),
        );
    }
    let late = outcomes.iter().filter(|o| *o == "room_daily").count();
    assert_eq!((outcomes.len(), late), (12, 10), "{outcomes:?}");
}

async fn a_refused_post_gives_the_day_back(app: TestApp) {
    let (owner, org, circle, [lobby, _], mei) = tea_rooms(&app).await;
    let c = owner.room_campaign(&org, "代购优惠，私聊", &[&lobby]).await;
    owner.send_campaign(&org, &c.id).await;
    // A sensitive word set since the plan: the room refuses the post.
    owner.set_word(&org, "代购", "reject").await;
    assert_eq!(owner.confirm(&org, &c.id).await, 0);
    let d = owner.get_campaign(&org, &c.id).await;
    assert_eq!(d.rooms[0].outcome, "failed");
    assert!(mei.history(&circle, &lobby, "").await.is_empty());
    // Nothing was posted, so the room's day is still free.
    let next = owner.room_campaign(&org, "周末品茶会", &[&lobby]).await;
    assert_eq!(owner.preflight(&org, &next.id).await.counts.recipients, 1);
    owner.send_campaign(&org, &next.id).await;
    assert_eq!(owner.confirm(&org, &next.id).await, 1);
}

async fn quiet_hours_hold_a_room_campaign(app: TestApp) {
    let (owner, org, circle, [lobby, _], mei) = tea_rooms(&app).await;
    owner.set_policy(&org, "month", "22:00-08:00", 5_000).await;
    // 23:00 in Shanghai (UTC+8).
    let day = 86_400_000;
    let t = now(&app);
    let target = (t - t.rem_euclid(day)) + 15 * 3_600_000;
    app.clock
        .advance_secs((if target > t { target } else { target + day } - t) / 1000);
    let c = owner.room_campaign(&org, "晚安", &[&lobby]).await;
    let pre = owner.preflight(&org, &c.id).await;
    assert!(pre.quiet, "23:00 is quiet");
    owner.send_campaign(&org, &c.id).await;
    let r = owner.try_confirm(&org, &c.id).await;
    assert_eq!(r.problem(), (409, Some("quiet_hours")), "{}", r.text);
    let page = owner
        .c
        .get(&format!("/console/{org}/campaigns/{}", c.id))
        .await;
    assert!(page.text.contains("id=\"room-quiet\""), "{}", page.text);
    assert!(
        mei.history(&circle, &lobby, "").await.is_empty(),
        "not at night"
    );
    // In the morning the share waits, never dropped.
    app.clock.advance_secs((pre.send_at - now(&app)) / 1000 + 1);
    assert_eq!(owner.confirm(&org, &c.id).await, 1);
    assert_eq!(mei.history(&circle, &lobby, "").await.len(), 1);
}

async fn room_campaigns_refuse_what_they_cannot_do(app: TestApp) {
    let (owner, org, circle, [lobby, _], _) = tea_rooms(&app).await;
    let compose = |segment: serde_json::Value, channels: serde_json::Value| json!({"name": "x", "template": "hi", "segment": segment, "channels": channels});
    let r = owner
        .try_campaign(
            &org,
            compose(json!({"rooms": [lobby], "tags_any": ["VIP"]}), json!([])),
        )
        .await;
    assert_eq!(r.problem(), (422, Some("invalid_target")), "{}", r.text);
    assert_eq!(r.field(), (422, Some("rooms")));
    let r = owner
        .try_campaign(&org, compose(json!({"rooms": [lobby]}), json!(["email"])))
        .await;
    assert_eq!(r.problem(), (422, Some("rooms_in_app_only")), "{}", r.text);
    // 21 rooms: the circle's 20 (its most) and another circle's.
    let mut many: Vec<String> = Vec::new();
    for i in 0..18 {
        owner.add_room(&circle, &format!("房间 {i}")).await;
    }
    many.extend(owner.rooms(&circle).await.into_iter().map(|r| r.id));
    let second = owner
        .circle(&org, json!({"name": "茶艺课", "mode": "community"}))
        .await;
    many.extend(owner.rooms(&second).await.into_iter().map(|r| r.id));
    assert_eq!(many.len(), 21);
    let r = owner
        .try_campaign(&org, compose(json!({"rooms": many}), json!([])))
        .await;
    assert_eq!(r.problem(), (422, Some("too_many")), "{}", r.text);
    // In a room the message and its link card must fit one chat message.
    let long = json!({"name": "x", "template": "茶".repeat(1_990), "segment": {"rooms": [lobby]},
                      "link": {"url": format!("https://tea.example.com/{}", "a".repeat(40)), "title": "新品"}});
    let r = owner.try_campaign(&org, long).await;
    assert_eq!(r.problem(), (422, Some("too_long")), "{}", r.text);
    let r = owner
        .try_campaign(&org, compose(json!({"rooms": ["not-an-id"]}), json!([])))
        .await;
    assert_eq!(r.problem(), (400, Some("invalid_id")), "{}", r.text);

    // Another org's rooms are not there for it, nor its composer's list.
    let (other, other_org) = app.owner("Book Club").await;
    let r = other
        .try_campaign(&other_org, compose(json!({"rooms": [lobby]}), json!([])))
        .await;
    assert_eq!(r.status, 404, "{}", r.text);
    assert!(other.campaign_rooms(&other_org).await.is_empty());
    let r = other
        .c
        .get(&format!("/api/v1/orgs/{org}/campaign-rooms"))
        .await;
    assert_eq!(r.status, 404, "{}", r.text);

    // An admin outside the circle would post as themselves: join it first.
    let dana = app.user("Dana").await;
    app.join(&owner, &org, &dana, "admin").await;
    assert!(dana.campaign_rooms(&org).await.is_empty());
    let r = dana
        .try_campaign(&org, compose(json!({"rooms": [lobby]}), json!([])))
        .await;
    assert_eq!(r.problem(), (422, Some("not_in_room_circle")), "{}", r.text);
}
