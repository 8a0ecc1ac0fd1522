//! Reach's messages arrive live on the customer's socket: a campaign message when
//! the staff member confirms their share, a journey's message when its step runs.
//! Both backends.

use crate::ws::{event_of_kind, next, send, ws_with_cookie};
use quan_testkit::{TestApp, User, on_both_backends};
use serde_json::json;

on_both_backends!(campaign_and_journey_messages_arrive_live);

/// A socket on the member's own account topic.
async fn listen(app: &TestApp, who: &User) -> crate::ws::Ws {
    let mut ws = ws_with_cookie(&app.base, &app.session_cookie(who).await).await;
    let topic = format!("account:{}", who.id);
    send(&mut ws, json!({"type": "subscribe", "topic": topic})).await;
    assert_eq!(next(&mut ws).await["type"], "subscribed");
    ws
}

async fn campaign_and_journey_messages_arrive_live(app: TestApp) {
    let (owner, org) = app.owner("Tea House").await;
    let alice = app.user("Alice").await;
    app.join(&owner, &org, &alice, "sales").await;
    // No quiet hours: the messages show at once whatever the hour of the run.
    owner.set_policy(&org, "month", "", 5_000).await;
    let code = owner
        .create_code(&org, json!({"name": "Poster", "staff": [alice.id]}))
        .await;
    let chen = app.user("Chen").await;
    let contact = chen.open_code(&code.url).await.id;
    let mut ws = listen(&app, &chen).await;

    let c = owner.campaign(&org, "{{name}}，新品到店", json!({})).await;
    owner.send_campaign(&org, &c.id).await;
    assert_eq!(alice.confirm(&org, &c.id).await, 1);
    let f = event_of_kind(&mut ws, "reach.message").await;
    assert_eq!(
        (f["data"]["body"].as_str(), f["data"]["contact"].as_str()),
        (Some("Chen，新品到店"), Some(contact.as_str()))
    );

    let j = owner
        .journey(
            &org,
            "欢迎",
            json!({"trigger": "code_joined"}),
            &[("send", "欢迎 {{name}}")],
        )
        .await;
    owner.enable_journey(&org, &j.id).await;
    let dan = app.user("Dan").await;
    let mut dan_ws = listen(&app, &dan).await;
    dan.open_code(&code.url).await;
    let f = event_of_kind(&mut dan_ws, "reach.message").await;
    assert_eq!(f["data"]["body"], "欢迎 Dan");
}
