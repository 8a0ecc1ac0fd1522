//! Search: Chinese without spaces, comments, edits, and every visibility rule
//! (audience, hidden, deleted, private circles, other orgs). Both backends.

use quan_testkit::{TestApp, User, on_both_backends};
use serde_json::{Value, json};

on_both_backends!(search_finds_what_you_may_see);

async fn titles(u: &User, path: &str) -> Vec<String> {
    let r = u.c.get(path).await;
    assert_eq!(r.status, 200, "{path}: {}", r.text);
    r.body
        .as_array()
        .into_iter()
        .flatten()
        .map(|h| {
            let p = if h["post"].is_object() { &h["post"] } else { h };
            p["title"].as_str().unwrap_or_default().to_owned()
        })
        .collect()
}

fn q(s: &str) -> String {
    s.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

async fn search_finds_what_you_may_see(app: TestApp) {
    let (owner, org) = app.owner("Sou").await;
    let fans = owner
        .circle(&org, json!({"name": "Fans", "mode": "community"}))
        .await;
    let class = owner
        .circle(&org, json!({"name": "Class", "mode": "teaching"}))
        .await;
    let m = app.user("Mo").await;
    m.c.post(&format!("/api/v1/circles/{fans}/join"), json!({}))
        .await;
    let post = |c: String, body: Value| {
        let owner = &owner;
        async move {
            let r = owner
                .c
                .post(&format!("/api/v1/circles/{c}/posts"), body)
                .await;
            assert_eq!(r.status, 201, "{}", r.text);
            r.body["id"].as_str().unwrap_or_default().to_owned()
        }
    };
    let oolong = post(
        fans.clone(),
        json!({"title": "桂花乌龙回归", "body": "Osmanthus OOLONG is back, 限量500份"}),
    )
    .await;
    m.c.post(
        &format!("/api/v1/circles/{fans}/posts/{oolong}/comments"),
        json!({"body": "我更喜欢冷泡绿茶"}),
    )
    .await;
    post(
        fans.clone(),
        json!({"title": "VIP 品鉴会 乌龙专场", "audience": "only", "audience_tags": ["vip"]}),
    )
    .await;
    post(class.clone(), json!({"title": "乌龙茶的冲泡温度"})).await;
    app.indexed().await;

    let s = |term: &str| format!("/api/v1/circles/{fans}/search?q={}", q(term));
    assert_eq!(
        titles(&m, &s("乌龙")).await,
        ["桂花乌龙回归"],
        "the VIP post is not for Mo"
    );
    assert_eq!(titles(&m, &s("oolong")).await, ["桂花乌龙回归"]);
    assert_eq!(
        titles(&m, &s("绿茶")).await,
        ["桂花乌龙回归"],
        "comments count"
    );
    assert_eq!(titles(&m, &s("乌龙 绿茶")).await, ["桂花乌龙回归"]);
    assert!(titles(&m, &s("红茶")).await.is_empty());
    assert_eq!(
        titles(&owner, &s("乌龙")).await.len(),
        2,
        "staff see every audience"
    );

    // Org-wide: Mo sees the fans circle only; the owner sees the class too.
    let o = |term: &str| format!("/api/v1/search?org_id={org}&q={}", q(term));
    assert_eq!(titles(&m, &o("乌龙")).await, ["桂花乌龙回归"]);
    assert_eq!(titles(&owner, &o("乌龙")).await.len(), 3);

    // Edits reindex; comments stay found.
    let r = owner
        .c
        .patch(
            &format!("/api/v1/circles/{fans}/posts/{oolong}"),
            json!({"title": "云南普洱到货", "body": "new stock"}),
        )
        .await;
    assert_eq!(r.status, 200);
    app.indexed().await;
    assert!(titles(&m, &s("乌龙")).await.is_empty());
    assert_eq!(titles(&m, &s("普洱")).await, ["云南普洱到货"]);
    assert_eq!(titles(&m, &s("绿茶")).await, ["云南普洱到货"]);
    // Deleted posts are gone from search.
    owner
        .c
        .delete(&format!("/api/v1/circles/{fans}/posts/{oolong}"))
        .await;
    app.indexed().await;
    assert!(titles(&m, &s("普洱")).await.is_empty());

    // Bad queries and other orgs.
    let r = m.c.get(&s("  ，。 ")).await;
    assert_eq!((r.status, r.body["field"].as_str()), (422, Some("q")));
    let r = m.c.get(&s(&"长".repeat(201))).await;
    assert_eq!(r.status, 422);
    let (stranger, _) = app.owner("Str").await;
    // Outsiders see only public circles' public posts (here: none left).
    assert!(
        titles(&stranger, &o("乌龙")).await.is_empty(),
        "no private or VIP content leaks"
    );
    let r = stranger
        .c
        .get(&format!("/api/v1/circles/{class}/search?q=x"))
        .await;
    assert_eq!(r.status, 404);
}
