//! Search within a circle and across an org's circles (PRODUCT.md §2): titles,
//! bodies and comments, through the inverted index of `quan_domain::search` terms.
//! Results pass the feed's visibility rules, so hidden posts, history windows and
//! audiences are honoured exactly as in the feed.

pub mod port;

use crate::Services;
use crate::access::{Actor, view};
use crate::circles::CircleError;
use crate::circles::port::{CircleRecord, PostRecord};
use crate::page::PageRequest;
use quan_domain::search::{index_terms, query_terms};
use quan_domain::{AccountId, CircleId, OrgId, ParseError, PostId, Scope};

type Result<T, E = CircleError> = std::result::Result<T, E>;

/// Results per search, at most.
pub const RESULTS: i64 = 50;
/// Circles an org-wide search covers, at most.
pub const ORG_CIRCLES: u32 = 500;

/// Indexing is best-effort: a failure is logged; the post or comment stands.
async fn add(svc: &Services, post: PostId, circle: CircleId, text: &str) {
    let terms = index_terms(text);
    if let Err(e) = svc.store.search_add(post, circle, &terms).await {
        tracing::warn!(error = %e, %post, "search index not updated");
    }
}

/// A new post's terms: the store writes them with the post, in its transaction.
pub fn post_terms(p: &PostRecord) -> Vec<String> {
    index_terms(&format!("{}\n{}\n{}", p.title, p.body, p.tags.join(" ")))
}

pub async fn index_comment(svc: &Services, p: &PostRecord, body: &str) {
    add(svc, p.id, p.circle_id, body).await;
}

/// After an edit: the post's entry is rebuilt from its text and its comments.
pub async fn reindex_post(svc: &Services, p: &PostRecord) {
    let mut text = format!("{}\n{}\n{}", p.title, p.body, p.tags.join(" "));
    match svc
        .store
        .comment_list(p.id, crate::circles::COMMENTS_LIMIT)
        .await
    {
        Ok(cs) => {
            for c in cs {
                text.push('\n');
                text.push_str(&c.body);
            }
        }
        Err(e) => tracing::warn!(error = %e, "comments not reindexed"),
    }
    let terms = index_terms(&text);
    if let Err(e) = svc.store.search_replace(p.id, p.circle_id, &terms).await {
        tracing::warn!(error = %e, post = %p.id, "search index not rebuilt");
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
        return Err(CircleError::NotFound);
    }
    let me = actor.account_id();
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
        return Err(CircleError::NotFound);
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
