//! The consent centre: a person sees each org that knows them and who holds them
//! there; an opt-out is honoured by the next preflight at once; their data comes
//! out as one JSON document; an org erases their personal fields on request, with
//! an audit event, and nothing of another org changes. Both backends.

use quan_testkit::{TestApp, User, on_both_backends};
use quan_web::api::reach::ContactDto;
use serde_json::json;

on_both_backends!(
    a_person_sees_their_orgs_opts_out_and_exports,
    an_org_erases_a_person_on_request,
    topics_are_honoured_one_by_one
);

/// Mei, a customer of Tea House (who wrote once) and of Book Club: (tea owner, tea
/// org, book owner, book org, mei, her tea contact).
async fn known_twice(app: &TestApp) -> (User, String, User, String, User, ContactDto) {
    let (owner, org) = app.owner("Tea House").await;
    let (other, other_org) = app.owner("Book Club").await;
    owner.set_policy(&org, "month", "", 100).await;
    let code = owner
        .create_code(&org, json!({"name": "Poster", "staff": [owner.id], "tags": ["门店"], "welcome": "你好 {{name}}"}))
        .await;
    let code2 = other
        .create_code(&other_org, json!({"name": "Flyer", "staff": [other.id]}))
        .await;
    let mei = app.user("Mei").await;
    let c = mei.open_code(&code.url).await;
    mei.open_code(&code2.url).await;
    mei.reply(&c.id, "我的手机是 13900001111").await;
    (owner, org, other, other_org, mei, c)
}

async fn a_person_sees_their_orgs_opts_out_and_exports(app: TestApp) {
    let (owner, org, _, _, mei, _) = known_twice(&app).await;
    let r = mei.c.get("/api/v1/me/consent").await;
    assert_eq!(r.status, 200, "{}", r.text);
    let names: Vec<&str> = r
        .body
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|o| o["org_name"].as_str())
        .collect();
    assert_eq!(names.len(), 2, "{names:?}");

    // Opting out shows in the very next preflight.
    let camp = owner.campaign(&org, "{{name}}", json!({})).await;
    assert_eq!(owner.preflight(&org, &camp.id).await.counts.recipients, 1);
    mei.opt_out(&org, true).await;
    assert_eq!(owner.preflight(&org, &camp.id).await.counts.opted_out, 1);

    let r = mei.c.get("/api/v1/me/export").await;
    assert_eq!(r.status, 200);
    assert!(r.content_type.starts_with("application/json"));
    let doc = &r.body;
    let tea = doc["orgs"]
        .as_array()
        .into_iter()
        .flatten()
        .find(|o| o["org"] == "Tea House's org");
    let tea = tea.unwrap_or_else(|| panic!("{doc}"));
    assert_eq!(tea["opted_out_of_campaigns"], true);
    assert!(
        tea["tags"]
            .as_array()
            .is_some_and(|t| t.contains(&json!("门店")))
    );
    let bodies: Vec<&str> = tea["contacts"][0]["messages"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|m| m["body"].as_str())
        .collect();
    assert_eq!(bodies, ["你好 Mei", "我的手机是 13900001111"]);
}

async fn an_org_erases_a_person_on_request(app: TestApp) {
    let (owner, org, other, other_org, mei, c) = known_twice(&app).await;

    let r = mei
        .c
        .post(&format!("/api/v1/me/consent/{org}/erase"), json!({}))
        .await;
    assert_eq!(r.status, 204, "{}", r.text);
    let person = owner
        .persons(&org, "")
        .await
        .items
        .into_iter()
        .find(|p| p.id == c.person_id);
    let person = person.unwrap_or_else(|| panic!("the person stays, erased"));
    assert_eq!(person.display_name, quan_core::reach::consent::ERASED_NAME);
    assert!(person.handles.is_empty(), "handles gone");
    assert!(
        owner.contacts(&org, "").await.items.is_empty(),
        "contacts ended"
    );
    let seen = owner.staff_conversation(&org, &c.id).await;
    assert!(
        seen.messages
            .iter()
            .filter(|m| !m.from_staff)
            .all(|m| m.body.is_empty()),
        "what they wrote is blanked"
    );
    let kinds: Vec<String> = owner
        .events(&org, "")
        .await
        .items
        .into_iter()
        .map(|e| e.kind)
        .collect();
    assert!(kinds.contains(&"person.erased".to_owned()), "audited");
    // The other org still knows Mei as she was.
    assert_eq!(
        other.contacts(&other_org, "").await.items[0].person_name,
        "Mei"
    );
    assert_eq!(
        mei.c
            .post(&format!("/api/v1/me/consent/{other_org}x/erase"), json!({}))
            .await
            .status,
        400
    );
}

async fn topics_are_honoured_one_by_one(app: TestApp) {
    let (owner, org) = app.owner("Tea House").await;
    owner.set_policy(&org, "month", "", 100).await;
    let code = owner
        .create_code(&org, json!({"name": "Poster", "staff": [owner.id]}))
        .await;
    let j = owner
        .journey(
            &org,
            "次日问候",
            json!({"trigger": "code_joined"}),
            &[
                ("wait", "1"),
                ("send", "昨天的茶怎么样？"),
                ("tag", "asked"),
            ],
        )
        .await;
    owner.enable_journey(&org, &j.id).await;
    let mei = app.user("Mei").await;
    let contact = mei.open_code(&code.url).await.id;
    owner.post_moment(&org, "新茶到店", &[]).await;
    // Journeys off, the rest on: the journey's message is skipped, its tag is not.
    mei.set_topics(&org, true, false, true).await;
    let mine = mei.c.get("/api/v1/me/consent").await;
    assert_eq!(
        mine.body[0]["topics"],
        json!({"campaigns": true, "journeys": false, "moments": true, "frequency": "budget"})
    );
    app.clock.advance_secs(86_400 + 1);
    quan_core::reach::journeys::sweep(&app.services)
        .await
        .unwrap_or_else(|e| panic!("sweep: {e:?}"));
    let said = mei.conversation(&contact).await.messages;
    assert!(said.iter().all(|m| m.kind != "journey"), "{said:?}");
    let d = owner.get_journey(&org, &j.id).await;
    assert_eq!(d.done, 1, "the journey went on without its message");
    assert_eq!(mei.moment_feed().await.len(), 1, "moments still on");
    let c = owner.campaign(&org, "{{name}}，周末见", json!({})).await;
    assert_eq!(owner.preflight(&org, &c.id).await.counts.recipients, 1);
    // Moments off: the feed empties; campaigns off: the preflight counts her out.
    mei.set_topics(&org, true, false, false).await;
    assert!(mei.moment_feed().await.is_empty());
    mei.set_topics(&org, false, false, false).await;
    let p = owner.preflight(&org, &c.id).await;
    assert_eq!((p.counts.recipients, p.counts.opted_out), (0, 1));
    // A topic for an org that does not know her is not found.
    let (_, elsewhere) = app.owner("Elsewhere").await;
    let r = mei
        .c
        .put(
            &format!("/api/v1/me/consent/{elsewhere}/topics"),
            json!({"campaigns": true, "journeys": true, "moments": true}),
        )
        .await;
    assert_eq!(r.status, 404);
    let r = mei
        .c
        .put(
            &format!("/api/v1/me/consent/{org}/topics"),
            json!({"campaigns": true}),
        )
        .await;
    assert_eq!(r.status, 422, "every topic is said: {}", r.text);
}
