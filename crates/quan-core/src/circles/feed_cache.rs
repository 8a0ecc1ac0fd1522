//! The feed's read cache. A circle's feed pages are built once for the "plain"
//! viewer (a member who is not circle staff, has no history window and no post
//! hidden for review there, in a circle with no audience-restricted posts) and
//! served to every such viewer for up to [`PAGE_TTL`]; anyone else reads the store.
//!
//! Freshness: every write to a circle on this node bumps the circle's version, which
//! retires its cached pages at once; other nodes see the write within [`PAGE_TTL`].
//! The viewer's own reactions are cached per page and version the same way.

use crate::circles::port::PostRecord;
use crate::page::Page;
use dashmap::DashMap;
use quan_domain::{CircleId, PersonId, PostId, ReactionKind};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// How long a page is served without hearing of a write.
pub const PAGE_TTL: Duration = Duration::from_secs(1);
/// Past this many entries a map is cleared rather than grown.
const MAX_ENTRIES: usize = 50_000;

/// A cached page: what the plain viewer sees, and whether the circle has
/// audience-restricted posts (then the page is not served from here at all).
#[derive(Debug)]
pub struct CachedPage {
    pub page: Page<PostRecord>,
    pub pinned: Vec<PostRecord>,
    pub restricted: bool,
    /// The page as an adapter renders it for every plain viewer (the API keeps its
    /// JSON here, so a cached page is serialised once, not once per reader).
    pub rendered: std::sync::OnceLock<Rendered>,
}

/// An adapter's rendering of a cached page: one fragment per item, and the pinned.
#[derive(Debug, Default)]
pub struct Rendered {
    pub items: Vec<String>,
    pub pinned: String,
}

type PageKey = (CircleId, String);
/// A viewer's reactions on one page: (post, kind) pairs.
pub type Mine = Arc<Vec<(PostId, ReactionKind)>>;

#[derive(Debug, Default)]
pub struct FeedCache {
    versions: DashMap<CircleId, u64>,
    pages: DashMap<PageKey, (Arc<CachedPage>, u64, Instant)>,
    mine: DashMap<(PersonId, PageKey), (Mine, u64, Instant)>,
}

impl FeedCache {
    pub fn version(&self, c: CircleId) -> u64 {
        self.versions.get(&c).map_or(0, |v| *v)
    }
    /// A write happened in this circle: its cached pages are stale.
    pub fn bump(&self, c: CircleId) {
        *self.versions.entry(c).or_insert(0) += 1;
    }
    pub fn page(&self, c: CircleId, key: &str) -> Option<Arc<CachedPage>> {
        let v = self.version(c);
        let e = self.pages.get(&(c, key.to_owned()))?;
        (e.1 == v && e.2.elapsed() < PAGE_TTL).then(|| e.0.clone())
    }
    pub fn put_page(&self, c: CircleId, key: String, p: Arc<CachedPage>, version: u64) {
        if self.pages.len() >= MAX_ENTRIES {
            self.pages.clear();
        }
        self.pages.insert((c, key), (p, version, Instant::now()));
    }
    pub fn mine(&self, person: PersonId, c: CircleId, key: &str) -> Option<Mine> {
        let v = self.version(c);
        let e = self.mine.get(&(person, (c, key.to_owned())))?;
        (e.1 == v && e.2.elapsed() < PAGE_TTL).then(|| e.0.clone())
    }
    pub fn put_mine(&self, person: PersonId, c: CircleId, key: String, m: Mine, version: u64) {
        if self.mine.len() >= MAX_ENTRIES {
            self.mine.clear();
        }
        self.mine
            .insert((person, (c, key)), (m, version, Instant::now()));
    }
}
