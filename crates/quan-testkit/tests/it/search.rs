//! Search: Chinese without spaces, comments, edits, and every visibility rule
//! (audience, hidden, deleted, private circles, other orgs). Both backends.

use quan_testkit::{TestApp, User, on_both_backends};
use serde_json::json;

on_both_backends!(
    search_finds_what_you_may_see,
    edits_reindex_and_deletes_leave_the_index,
    bad_queries_are_refused_and_strangers_find_nothing
);

/// Org `Sou`: a fans circle (Mo a member) with a public oolong post Mo commented
/// on and a VIP-only one, and a teaching circle with a third; all indexed.
/// (owner, org, fans, class, mo, oolong).
async fn teas(app: &TestApp) -> (User, String, String, String, User, String) {
    let (owner, org) = app.owner("Sou").await;
    let fans = owner
        .circle(&org, json!({"name": "Fans", "mode": "community"}))
        .await;
    let class = owner
        .circle(&org, json!({"name": "Class", "mode": "teaching"}))
        .await;
    let m = app.user("Mo").await;
    m.join(&fans).await;
    let oolong = json!({"title": "桂花乌龙回归", "body": "Osmanthus OOLONG is back, 限量500份"});
    let oolong = owner.post(&fans, oolong).await.id;
    m.comment(&fans, &oolong, "我更喜欢冷泡绿茶", None).await;
    let vip = json!({"title": "VIP 品鉴会 乌龙专场", "audience": "only", "audience_tags": ["vip"]});
    owner.post(&fans, vip).await;
    owner
        .post(&class, json!({"title": "乌龙茶的冲泡温度"}))
        .await;
    app.indexed().await;
    (owner, org, fans, class, m, oolong)
}

async fn search_finds_what_you_may_see(app: TestApp) {
    let (owner, org, fans, _, m, _) = teas(&app).await;
    let found = m.search(&fans, "乌龙").await;
    assert_eq!(found, ["桂花乌龙回归"], "the VIP post is not for Mo");
    assert_eq!(m.search(&fans, "oolong").await, ["桂花乌龙回归"]);
    assert_eq!(
        m.search(&fans, "绿茶").await,
        ["桂花乌龙回归"],
        "comments count"
    );
    assert_eq!(m.search(&fans, "乌龙 绿茶").await, ["桂花乌龙回归"]);
    assert!(m.search(&fans, "红茶").await.is_empty());
    let staff = owner.search(&fans, "乌龙").await;
    assert_eq!(staff.len(), 2, "staff see every audience");
    // Org-wide: Mo sees the fans circle only; the owner sees the class too.
    assert_eq!(m.search_org(&org, "乌龙").await, ["桂花乌龙回归"]);
    assert_eq!(owner.search_org(&org, "乌龙").await.len(), 3);
}

async fn edits_reindex_and_deletes_leave_the_index(app: TestApp) {
    let (owner, _, fans, _, m, oolong) = teas(&app).await;
    // Edits reindex; comments stay found.
    owner
        .edit(&fans, &oolong, "云南普洱到货", "new stock")
        .await;
    app.indexed().await;
    assert!(m.search(&fans, "乌龙").await.is_empty());
    assert_eq!(m.search(&fans, "普洱").await, ["云南普洱到货"]);
    assert_eq!(m.search(&fans, "绿茶").await, ["云南普洱到货"]);
    // Deleted posts are gone from search.
    owner.delete_post(&fans, &oolong, "").await;
    app.indexed().await;
    assert!(m.search(&fans, "普洱").await.is_empty());
}

async fn bad_queries_are_refused_and_strangers_find_nothing(app: TestApp) {
    let (_, org, fans, class, m, _) = teas(&app).await;
    let r = m.try_search(&fans, "  ，。 ").await;
    assert_eq!(r.field(), (422, Some("q")));
    let r = m.try_search(&fans, &"长".repeat(201)).await;
    assert_eq!(r.status, 422);
    let (stranger, _) = app.owner("Str").await;
    // Outsiders see only public circles' public posts: not the VIP post, not the class.
    let seen = stranger.search_org(&org, "乌龙").await;
    assert_eq!(seen, ["桂花乌龙回归"], "no private or VIP content leaks");
    assert_eq!(stranger.try_search(&class, "x").await.status, 404);
}
