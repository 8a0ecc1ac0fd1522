//! The search leaf's store port: a portable inverted index, read through the posts'
//! visibility rules.

use crate::ports::StoreResult;
use async_trait::async_trait;
use quan_domain::{AccountId, CircleId, PostId, Timestamp};

/// What the store does for the search index.
#[async_trait]
pub trait SearchStore: Send + Sync {
    /// Adds terms to a post's entry (a new post, or a comment on it).
    async fn search_add(&self, post: PostId, circle: CircleId, terms: &[String])
    -> StoreResult<()>;
    /// Replaces a post's entry (after an edit).
    async fn search_replace(
        &self,
        post: PostId,
        circle: CircleId,
        terms: &[String],
    ) -> StoreResult<()>;
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
