//! The feed: a circle's posts by sort (new, hot, top, active) or by tag, keyset-paged,
//! served from the per-node page cache for plain viewers; the viewer's history window.

use crate::Services;
use crate::access::{Actor, CircleView, active_member, view};
use crate::circles::CircleError;
use crate::circles::port::{FeedSort, PostRecord};
use crate::circles::posts::fill_images;
use crate::page::{Page, PageRequest};
use quan_domain::{AccountId, CircleId, HistoryWindow, PostId, ReactionKind, parse_tag};

type Result<T, E = CircleError> = std::result::Result<T, E>;

pub async fn feed(
    svc: &Services,
    actor: &Actor,
    id: CircleId,
    sort: FeedSort,
    page: &PageRequest,
) -> Result<Page<PostRecord>> {
    let v = view(svc, actor, id).await?;
    feed_of(svc, &v, sort, page).await
}

/// The circle's posts with a topic tag, newest first (not cached: tag pages are
/// read far less than the circle's own feed).
pub async fn tagged(
    svc: &Services,
    actor: &Actor,
    id: CircleId,
    tag: &str,
    page: &PageRequest,
) -> Result<Page<PostRecord>> {
    let v = view(svc, actor, id).await?;
    let tag = parse_tag(tag)?;
    let mut p = svc
        .store
        .post_feed_tagged(id, &tag, page, v.viewer, svc.clock.now())
        .await?;
    fill_images(svc, &mut p.items).await?;
    if let Ok(m) = active_member(&v)
        && !p.items.is_empty()
    {
        let ids: Vec<PostId> = p.items.iter().map(|x| x.id).collect();
        let mine = svc.store.reactions_mine(m.person_id, &ids).await?;
        for x in &mut p.items {
            x.my_reactions = mine
                .iter()
                .filter(|(post, _)| *post == x.id)
                .map(|(_, k)| *k)
                .collect();
        }
    }
    Ok(p)
}

/// A feed page for a circle already seen through [`view`], with the viewer's own
/// reactions. Plain viewers share cached pages (see [`crate::feed_cache`]).
pub async fn feed_of(
    svc: &Services,
    v: &CircleView,
    sort: FeedSort,
    page: &PageRequest,
) -> Result<Page<PostRecord>> {
    let mut f = feed_read(svc, v, sort, page).await?;
    let mut out = match (&f.cached, f.fresh.take()) {
        (Some(c), _) => c.page.clone(),
        (None, Some(p)) => p,
        (None, None) => Page {
            items: Vec::new(),
            next: None,
        },
    };
    for p in &mut out.items {
        p.my_reactions = f.mine_of(p.id);
    }
    Ok(out)
}

/// A feed read: the shared cached page, or a page read for this viewer, and the
/// viewer's reactions on it.
#[derive(Debug)]
pub struct FeedRead {
    pub cached: Option<std::sync::Arc<crate::circles::feed_cache::CachedPage>>,
    pub fresh: Option<Page<PostRecord>>,
    pub mine: crate::circles::feed_cache::Mine,
}

impl FeedRead {
    pub fn mine_of(&self, post: PostId) -> Vec<ReactionKind> {
        self.mine
            .iter()
            .filter(|(id, _)| *id == post)
            .map(|(_, k)| *k)
            .collect()
    }
}

pub async fn feed_read(
    svc: &Services,
    v: &CircleView,
    sort: FeedSort,
    page: &PageRequest,
) -> Result<FeedRead> {
    let key = page_key(sort, page);
    let (cached, fresh) = match cached_page(svc, v, sort, page).await? {
        Some(c) => (Some(c), None),
        None => {
            let mut p = svc
                .store
                .post_feed(v.circle.id, sort, page, v.viewer, svc.clock.now())
                .await?;
            fill_images(svc, &mut p.items).await?;
            (None, Some(p))
        }
    };
    let items = match (&cached, &fresh) {
        (Some(c), _) => &c.page.items,
        (None, Some(p)) => &p.items,
        (None, None) => &Vec::new(),
    };
    let mine = my_reactions(svc, v, &key, items).await?;
    Ok(FeedRead {
        cached,
        fresh,
        mine,
    })
}

/// The cache key of a page; None for sorts not worth caching (top: its window
/// moves every instant).
fn page_key(sort: FeedSort, page: &PageRequest) -> String {
    let s = match sort {
        FeedSort::New => "new",
        FeedSort::Hot => "hot",
        FeedSort::Active => "active",
        FeedSort::Top { .. } => "top",
    };
    format!("{s}|{}|{}", page.after.as_deref().unwrap_or(""), page.limit)
}

/// The plain page from the cache, building it on a miss; None when this viewer (or
/// this circle) must read the store.
pub(crate) async fn cached_page(
    svc: &Services,
    v: &CircleView,
    sort: FeedSort,
    page: &PageRequest,
) -> Result<Option<std::sync::Arc<crate::circles::feed_cache::CachedPage>>> {
    if !v.plain() || matches!(sort, FeedSort::Top { .. }) {
        return Ok(None);
    }
    let key = page_key(sort, page);
    let c = v.circle.id;
    let hit = match svc.feed.page(c, &key) {
        Some(p) => p,
        None => {
            // Read the version first: a write during the build leaves a stale entry
            // that the bumped version already retires.
            let version = svc.feed.version(c);
            let now = svc.clock.now();
            let nobody = AccountId::from_uuid(uuid::Uuid::nil());
            let restricted = svc.store.circle_has_audiences(c).await?;
            let mut first = svc.store.post_feed(c, sort, page, nobody, now).await?;
            fill_images(svc, &mut first.items).await?;
            let built = crate::circles::feed_cache::CachedPage {
                page: first,
                pinned: if page.after.is_none() {
                    svc.store.post_pinned(c, nobody, now).await?
                } else {
                    Vec::new()
                },
                restricted,
                rendered: std::sync::OnceLock::new(),
            };
            let built = std::sync::Arc::new(built);
            svc.feed.put_page(c, key, built.clone(), version);
            built
        }
    };
    Ok((!hit.restricted).then_some(hit))
}

/// The viewer's own reactions on a page (one query, cached per page).
pub(crate) async fn my_reactions(
    svc: &Services,
    v: &CircleView,
    key: &str,
    posts: &[PostRecord],
) -> Result<crate::circles::feed_cache::Mine> {
    let Ok(m) = active_member(v) else {
        return Ok(std::sync::Arc::default());
    };
    if posts.is_empty() {
        return Ok(std::sync::Arc::default());
    }
    let c = v.circle.id;
    Ok(match svc.feed.mine(m.person_id, c, key) {
        Some(x) => x,
        None => {
            let version = svc.feed.version(c);
            let ids: Vec<PostId> = posts.iter().map(|p| p.id).collect();
            let x = std::sync::Arc::new(svc.store.reactions_mine(m.person_id, &ids).await?);
            svc.feed
                .put_mine(m.person_id, c, key.to_owned(), x.clone(), version);
            x
        }
    })
}

/// How far back others may see the caller's posts.
pub async fn history_window(svc: &Services, actor: &Actor) -> Result<HistoryWindow> {
    Ok(svc.store.account_history_window(actor.account_id()).await?)
}

/// Limits what others see of the caller's posts; a read-time filter, nothing is
/// deleted, and widening the window shows the older posts again.
pub async fn set_history_window(svc: &Services, actor: &Actor, w: HistoryWindow) -> Result<()> {
    let Actor::Session { .. } = actor else {
        // A person's own privacy is theirs to set, not an integration's.
        return Err(CircleError::Forbidden);
    };
    svc.store
        .account_set_history_window(actor.account_id(), w)
        .await?;
    // Plain feed pages hold this author's posts as the old window showed them.
    for (c, _) in svc.store.circles_of_account(actor.account_id()).await? {
        svc.feed.bump(c.id);
    }
    crate::access::cache::evict(
        &svc.auth,
        svc.bus.as_ref(),
        crate::access::cache::Eviction::Viewer {
            account: actor.account_id().to_string(),
        },
    )
    .await;
    Ok(())
}
