//! Search: in one circle and across an org, as the caller may see.

use super::{dto, encode};
use crate::{Res, User};
use quan_web::api::circles::posts::PostDto;
use quan_web::api::search::SearchHitDto;

impl User {
    /// Searches a circle for `q`.
    pub async fn try_search(&self, circle: &str, q: &str) -> Res {
        self.c
            .get(&format!("/api/v1/circles/{circle}/search?q={}", encode(q)))
            .await
    }

    /// The titles a circle search finds, newest first (asserting 200).
    pub async fn search(&self, circle: &str, q: &str) -> Vec<String> {
        let r = self.try_search(circle, q).await;
        assert_eq!(r.status, 200, "search {circle} for {q}: {}", r.text);
        let posts: Vec<PostDto> = dto("search", &r);
        posts.into_iter().map(|p| p.title).collect()
    }

    /// The titles an org-wide search finds, newest first (asserting 200).
    pub async fn search_org(&self, org: &str, q: &str) -> Vec<String> {
        let r = self
            .c
            .get(&format!("/api/v1/search?org_id={org}&q={}", encode(q)))
            .await;
        assert_eq!(r.status, 200, "search {org} for {q}: {}", r.text);
        let hits: Vec<SearchHitDto> = dto("org search", &r);
        hits.into_iter().map(|h| h.post.title).collect()
    }
}
