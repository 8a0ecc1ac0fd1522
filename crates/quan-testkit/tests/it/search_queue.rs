//! Search indexing off the request path: writes queue their post in their own
//! transaction, the indexer rebuilds entries in batches, authors find their own
//! writes at once, a re-queue during a batch is never lost, and a batch read before
//! an edit never overwrites the edit's entry. The nodes here run
//! without the background indexer, so the queue is exactly as the writes left it.
//! Both backends.

use quan_core::SearchEntry;
use quan_testkit::{TestApp, User, on_both_backends};
use serde_json::json;

on_both_backends!(
    spawn = quan_testkit::Spawn { no_indexer: true, ..Default::default() };
    authors_find_their_own_writes_at_once,
    a_requeue_during_a_batch_is_kept,
    a_stale_batch_never_lands_on_a_newer_one,
    a_batch_read_through_another_accounts_row_is_stale_too
);

async fn found(u: &User, circle: &str, q: &str) -> usize {
    let r =
        u.c.get(&format!("/api/v1/circles/{circle}/search?q={q}"))
            .await;
    assert_eq!(r.status, 200, "{}", r.text);
    r.body.as_array().map_or(0, Vec::len)
}

/// Writes `batch`'s first post as it was read, with the old `terms`: what a slow
/// indexer does once another pass has run.
async fn land(app: &TestApp, batch: &[quan_core::QueuedEntry], terms: &[&str]) {
    let stale = SearchEntry {
        post: batch[0].post,
        circle: batch[0].circle,
        terms: terms.iter().map(|t| (*t).to_owned()).collect(),
    };
    app.services
        .store
        .search_index(&[stale], batch)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
}

async fn authors_find_their_own_writes_at_once(app: TestApp) {
    let (owner, org) = app.owner("Ivy").await;
    let c = owner
        .circle(&org, json!({"name": "Tea", "mode": "community"}))
        .await;
    let mo = app.user("Mo").await;
    mo.join(&c).await;
    let r = owner
        .c
        .post(
            &format!("/api/v1/circles/{c}/posts"),
            json!({"title": "jasmine pearls"}),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.text);
    let post = r.body["id"].as_str().unwrap_or_default().to_owned();

    assert_eq!(
        found(&mo, &c, "jasmine").await,
        0,
        "queued, not yet indexed"
    );
    assert_eq!(
        found(&owner, &c, "jasmine").await,
        1,
        "its author finds it at once"
    );
    assert_eq!(
        found(&mo, &c, "jasmine").await,
        1,
        "indexed for everyone now"
    );

    // A comment queues its post again; the commenter finds it by their words at once.
    let r =
        mo.c.post(
            &format!("/api/v1/circles/{c}/posts/{post}/comments"),
            json!({"body": "longjing too"}),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.text);
    assert_eq!(found(&mo, &c, "longjing").await, 1);
    assert!(
        app.services
            .store
            .search_queued(None, 10)
            .await
            .unwrap_or_default()
            .is_empty()
    );
}

async fn a_requeue_during_a_batch_is_kept(app: TestApp) {
    let (owner, org) = app.owner("Ivy").await;
    let c = owner
        .circle(&org, json!({"name": "Tea", "mode": "community"}))
        .await;
    let r = owner
        .c
        .post(
            &format!("/api/v1/circles/{c}/posts"),
            json!({"title": "white peony"}),
        )
        .await;
    let post = r.body["id"].as_str().unwrap_or_default().to_owned();
    let store = &app.services.store;
    let batch = store.search_queued(None, 10).await.unwrap_or_default();
    assert_eq!(batch.len(), 1, "one row for the post");
    assert_eq!(batch[0].version, 1);

    // The post is edited while a batch built from the old text is being written.
    owner.edit(&c, &post, "silver needle", "").await;
    land(&app, &batch, &["white", "peony"]).await;
    let left = store.search_queued(None, 10).await.unwrap_or_default();
    assert_eq!(
        left.len(),
        1,
        "the edit's re-queue stays for the next batch"
    );
    assert_eq!(left[0].version, 2);

    app.indexed().await;
    let viewer = app.user("Mo").await;
    viewer.join(&c).await;
    assert_eq!(
        found(&viewer, &c, "needle").await,
        1,
        "the next batch has the edit"
    );
    assert_eq!(found(&viewer, &c, "peony").await, 0, "and not the old text");
}

async fn a_stale_batch_never_lands_on_a_newer_one(app: TestApp) {
    let (owner, org) = app.owner("Ivy").await;
    let c = owner
        .circle(&org, json!({"name": "Tea", "mode": "community"}))
        .await;
    let post = owner.post(&c, json!({"title": "white peony"})).await.id;
    let store = &app.services.store;
    // One indexer reads the row while the post still says "white peony"...
    let batch = store.search_queued(None, 10).await.unwrap_or_default();
    assert_eq!(batch.len(), 1, "one row for the post");
    owner.edit(&c, &post, "silver needle", "").await;
    // ...another (a second node, or an author's own search) indexes the edit first...
    app.indexed().await;
    // ...and only then does the first write what it read.
    land(&app, &batch, &["white", "peony"]).await;
    let viewer = app.user("Mo").await;
    viewer.join(&c).await;
    assert_eq!(
        found(&viewer, &c, "needle").await,
        1,
        "the newer pass stands"
    );
    assert_eq!(
        found(&viewer, &c, "peony").await,
        0,
        "the older text stays out"
    );
}

/// A comment queues the post under the commenter; a batch reads that row, then the
/// author edits (queueing the post under the author) and the author's own-posts
/// pass indexes the edit through the author's row. The first batch's older text must stay out though its own row was never
/// re-queued by the same account: the edit moved every row of the post on.
async fn a_batch_read_through_another_accounts_row_is_stale_too(app: TestApp) {
    let (owner, org) = app.owner("Ivy").await;
    let c = owner
        .circle(&org, json!({"name": "Tea", "mode": "community"}))
        .await;
    let post = owner.post(&c, json!({"title": "white peony"})).await.id;
    app.indexed().await;
    let mo = app.user("Mo").await;
    mo.join(&c).await;
    mo.comment(&c, &post, "lovely", None).await;
    let store = &app.services.store;
    let batch = store.search_queued(None, 10).await.unwrap_or_default();
    assert_eq!(batch.len(), 1, "the commenter's row only");
    owner.edit(&c, &post, "silver needle", "").await;
    // The author's own-posts-first pass takes the author's row only.
    let author = owner.id.parse().unwrap_or_else(|e| panic!("{e}"));
    quan_core::search::index_queued(&app.services, Some(author), 50)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    land(&app, &batch, &["white", "peony", "lovely"]).await;
    assert_eq!(found(&mo, &c, "needle").await, 1, "the newer pass stands");
    assert_eq!(found(&mo, &c, "peony").await, 0, "the older text stays out");
    assert_eq!(
        found(&mo, &c, "lovely").await,
        1,
        "the comment is still found"
    );
}
