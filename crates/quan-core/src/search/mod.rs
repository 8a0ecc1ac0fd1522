//! Search within a circle and across an org's circles (PRODUCT.md §2): titles,
//! bodies and comments, through the inverted index of `quan_domain::search` terms.
//! Results pass the feed's visibility rules, so hidden posts, history windows and
//! audiences are honoured exactly as in the feed.

pub mod error;
pub mod port;

use crate::Services;
use crate::access::{Actor, view};
use crate::circles::port::{CircleRecord, PostRecord};
use crate::page::PageRequest;
use crate::search::error::SearchError;
use crate::search::port::{SearchEntry, SearchSource};
use quan_domain::search::{index_terms, query_terms};
use quan_domain::{AccountId, CircleId, OrgId, ParseError, PostId, Scope};
use std::time::Duration;
use tokio_util::sync::CancellationToken;

type Result<T, E = SearchError> = std::result::Result<T, E>;

/// Results per search, at most.
pub const RESULTS: i64 = 50;
/// Circles an org-wide search covers, at most.
pub const ORG_CIRCLES: u32 = 500;

/// Posts indexed per batch, at most.
pub const INDEX_BATCH: i64 = 500;
/// An author's own queued posts indexed before their search, at most.
const OWN_BATCH: i64 = 50;
/// Queued posts whose entries are written per transaction: small, because posts
/// wait for the (SQLite: single) writer while an indexing transaction holds it.
/// post-write quick on SQLite: 250 gave ~1,700 posts/s at p99 ~250 ms, 64 gave
/// ~2,150 at 172 ms, 16 gave ~2,150 at 108–143 ms.
const WRITE_CHUNK: usize = 16;
/// How long the indexer sleeps once the queue is empty.
const INDEX_IDLE: Duration = Duration::from_millis(200);

/// The text a post is found by: title, body, topic tags and its comments.
fn entry_text(p: &SearchSource) -> String {
    let mut text = format!("{}\n{}\n{}", p.title, p.body, p.tags.join(" "));
    for c in &p.comments {
        text.push('\n');
        text.push_str(c);
    }
    text
}

/// Rebuilds the entries of up to `limit` queued posts (only those `account` queued,
/// when given) and takes them off the queue. Returns how many queue rows it took.
///
/// Indexing is off the request path, so the write path stays short: a post is
/// searchable once the indexer's next batch has run (within a second when the
/// writer keeps up), and at once for its own author (see [`in_circle`]). Entries are
/// written [`WRITE_CHUNK`] posts per transaction, so posts waiting for the writer
/// never wait behind a whole batch.
pub async fn index_queued(
    svc: &Services,
    account: Option<AccountId>,
    limit: i64,
) -> Result<usize, crate::ports::StoreError> {
    let queued = svc.store.search_queued(account, limit).await?;
    if queued.is_empty() {
        return Ok(0);
    }
    let mut posts: Vec<PostId> = queued.iter().map(|q| q.post).collect();
    posts.sort_unstable();
    posts.dedup();
    let sources = svc.store.search_sources(&posts).await?;
    for chunk in queued.chunks(WRITE_CHUNK) {
        let mut entries: Vec<SearchEntry> = Vec::with_capacity(chunk.len());
        for q in chunk {
            if entries.iter().any(|e| e.post == q.post) {
                continue;
            }
            // A post that is gone keeps no terms.
            let terms = sources
                .iter()
                .find(|s| s.post == q.post)
                .map(|s| index_terms(&entry_text(s)))
                .unwrap_or_default();
            entries.push(SearchEntry {
                post: q.post,
                circle: q.circle,
                terms,
            });
        }
        svc.store.search_index(&entries, chunk).await?;
    }
    Ok(queued.len())
}

/// The indexer loop: drains the queue batch by batch, then sleeps a moment before
/// looking again; stops when `shutdown` is cancelled (between batches). Several
/// nodes may run it: rebuilding an entry twice gives the same entry.
pub async fn indexer(svc: Services, shutdown: CancellationToken) {
    while !shutdown.is_cancelled() {
        let started = std::time::Instant::now();
        let pause = match index_queued(&svc, None, INDEX_BATCH).await {
            // A full batch: more is waiting. Posts come first: the indexer rests as
            // long as its batch took, so it holds at most half of the (single, on
            // SQLite) writer while a burst of writes queues; the backlog is caught up
            // after the burst.
            Ok(n) if n as i64 >= INDEX_BATCH => started.elapsed(),
            // Otherwise let the queue fill for a moment: one larger batch costs the
            // writer far less than many small ones.
            Ok(_) => INDEX_IDLE,
            Err(e) => {
                tracing::warn!(error = %e, "search indexing failed; retrying");
                INDEX_IDLE
            }
        };
        tokio::select! {
            () = shutdown.cancelled() => return,
            () = tokio::time::sleep(pause) => {}
        }
    }
}

/// Read-your-own-writes: the searcher's own queued posts (and comments) are indexed
/// before their search runs. Best effort: the indexer catches up regardless.
async fn own_first(svc: &Services, me: AccountId) {
    if let Err(e) = index_queued(svc, Some(me), OWN_BATCH).await {
        tracing::warn!(error = %e, "own queued posts not indexed before search");
    }
}

fn terms_of(q: &str) -> Result<Vec<String>> {
    if q.chars().count() > 200 {
        return Err(ParseError::new("q", "too_long", "at most 200 characters").into());
    }
    let terms = query_terms(q);
    if terms.is_empty() {
        return Err(ParseError::new("q", "required", "type a word to search for").into());
    }
    Ok(terms)
}

/// Hits, fetched circle by circle through the visibility rules, newest first.
async fn visible(
    svc: &Services,
    viewer: AccountId,
    hits: Vec<(PostId, CircleId)>,
) -> Result<Vec<PostRecord>> {
    let mut by_circle: Vec<(CircleId, Vec<PostId>)> = Vec::new();
    for (p, c) in hits {
        match by_circle.iter_mut().find(|(x, _)| *x == c) {
            Some((_, ps)) => ps.push(p),
            None => by_circle.push((c, vec![p])),
        }
    }
    let now = svc.clock.now();
    let mut out = Vec::new();
    for (c, ids) in by_circle {
        out.extend(svc.store.posts_visible(c, &ids, viewer, now).await?);
    }
    out.sort_by_key(|p| std::cmp::Reverse(p.id));
    Ok(out)
}

/// Searches one circle.
pub async fn in_circle(
    svc: &Services,
    actor: &Actor,
    circle: CircleId,
    q: &str,
) -> Result<Vec<PostRecord>> {
    let terms = terms_of(q)?;
    let v = view(svc, actor, circle).await?;
    own_first(svc, v.viewer).await;
    let hits = svc.store.search(&[v.circle.id], &terms, RESULTS).await?;
    visible(svc, v.viewer, hits).await
}

/// Searches every circle of `org` the caller may see: the ones they belong to,
/// public ones, and all of them for the org's staff.
pub async fn in_org(
    svc: &Services,
    actor: &Actor,
    org: OrgId,
    q: &str,
) -> Result<Vec<(PostRecord, String)>> {
    crate::access::require_scope(actor, Scope::Read)?;
    let terms = terms_of(q)?;
    if let Actor::Token { org: o, .. } = actor
        && *o != org
    {
        return Err(SearchError::NotFound);
    }
    let me = actor.account_id();
    own_first(svc, me).await;
    let staff = svc.store.staff_get(org, me).await?.is_some();
    let mine: Vec<CircleId> = svc
        .store
        .circles_of_account(me)
        .await?
        .into_iter()
        .filter(|(c, _)| c.org_id == org)
        .map(|(c, _)| c.id)
        .collect();
    let all = svc
        .store
        .circle_list(org, &PageRequest::first(ORG_CIRCLES))
        .await?
        .items;
    let seen: Vec<&CircleRecord> = all
        .iter()
        .filter(|c| staff || mine.contains(&c.id) || (c.public && c.mode.may_be_public()))
        .collect();
    if seen.is_empty() {
        // Nothing of this org is visible to the caller: as if it did not exist.
        return Err(SearchError::NotFound);
    }
    let ids: Vec<CircleId> = seen.iter().map(|c| c.id).collect();
    let hits = svc.store.search(&ids, &terms, RESULTS).await?;
    let posts = visible(svc, me, hits).await?;
    Ok(posts
        .into_iter()
        .map(|p| {
            let name = seen
                .iter()
                .find(|c| c.id == p.circle_id)
                .map(|c| c.name.clone())
                .unwrap_or_default();
            (p, name)
        })
        .collect())
}
