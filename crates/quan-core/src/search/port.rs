//! The search leaf's store port: a portable inverted index, read through the posts'
//! visibility rules.

use crate::ports::StoreResult;
use async_trait::async_trait;
use quan_domain::{AccountId, CircleId, PostId, Timestamp};

/// A post waiting for the indexer, as queued by one account.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QueuedEntry {
    pub post: PostId,
    pub circle: CircleId,
    pub account: AccountId,
    /// How many times that account queued it (a re-queue during indexing bumps it).
    pub version: i64,
}

/// The text a post is found by, as stored: what the indexer turns into terms.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SearchSource {
    pub post: PostId,
    pub title: String,
    pub body: String,
    pub tags: Vec<String>,
    /// The bodies of its comments that are not deleted, oldest first.
    pub comments: Vec<String>,
}

/// A post's rebuilt entry: every term of its text and comments (none once the post
/// is gone).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SearchEntry {
    pub post: PostId,
    pub circle: CircleId,
    pub terms: Vec<String>,
}

/// What the store does for the search index. Writes that change a post's text queue
/// it in their own transaction (see `PostStore::post_insert`); the indexer
/// ([`crate::search::index_queued`]) turns the queue into entries in batches.
#[async_trait]
pub trait SearchStore: Send + Sync {
    /// Queued posts, oldest first: all of them, or those `account` queued.
    async fn search_queued(
        &self,
        account: Option<AccountId>,
        limit: i64,
    ) -> StoreResult<Vec<QueuedEntry>>;
    /// The searchable text of these posts (those not deleted), in two queries.
    async fn search_sources(&self, posts: &[PostId]) -> StoreResult<Vec<SearchSource>>;
    /// Replaces these posts' entries with their `terms` and drops the `done` rows
    /// from the queue (each at the version read: a re-queue meanwhile stays), in one
    /// transaction. A post with a `done` row no longer there at its version keeps
    /// its entry as it is: a newer pass rebuilt it or will, from newer text.
    async fn search_index(&self, entries: &[SearchEntry], done: &[QueuedEntry]) -> StoreResult<()>;
    /// These posts of one circle, as `viewer` may see them (the feed's visibility
    /// rules: hidden, history window, audience), newest first.
    async fn posts_visible(
        &self,
        circle: CircleId,
        ids: &[PostId],
        viewer: AccountId,
        now: Timestamp,
    ) -> StoreResult<Vec<crate::circles::port::PostRecord>>;
    /// Posts in `circles` whose entry has every one of `terms`, newest first.
    async fn search(
        &self,
        circles: &[CircleId],
        terms: &[String],
        limit: i64,
    ) -> StoreResult<Vec<(PostId, CircleId)>>;
}
