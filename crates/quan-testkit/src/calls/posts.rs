//! Posts, their comments and reactions, and the feed.

use super::dto;
use crate::User;
use quan_web::api::circles::posts::{CommentDto, PostDetailDto, PostDto, PostPage, ReactionsDto};
use serde_json::Value;
use serde_json::json;

impl User {
    /// Posts to a circle (asserting 201).
    pub async fn post(&self, circle: &str, body: Value) -> PostDto {
        let r = self
            .c
            .post(&format!("/api/v1/circles/{circle}/posts"), body)
            .await;
        assert_eq!(r.status, 201, "post to {circle}: {}", r.text);
        dto("post", &r)
    }

    /// A page of a circle's feed; `query` as in `sort=new&limit=20` (asserting 200).
    pub async fn feed(&self, circle: &str, query: &str) -> PostPage {
        let r = self
            .c
            .get(&format!("/api/v1/circles/{circle}/feed?{query}"))
            .await;
        assert_eq!(r.status, 200, "feed of {circle}: {}", r.text);
        dto("feed", &r)
    }

    /// A post with its comments in thread order (asserting 200).
    pub async fn post_detail(&self, circle: &str, post: &str) -> PostDetailDto {
        let r = self
            .c
            .get(&format!("/api/v1/circles/{circle}/posts/{post}"))
            .await;
        assert_eq!(r.status, 200, "post {post}: {}", r.text);
        dto("post detail", &r)
    }

    /// Comments on a post, as a reply to `parent` if given (asserting 201).
    pub async fn comment(
        &self,
        circle: &str,
        post: &str,
        body: &str,
        parent: Option<&str>,
    ) -> CommentDto {
        let r = self
            .c
            .post(
                &format!("/api/v1/circles/{circle}/posts/{post}/comments"),
                json!({"body": body, "parent_id": parent}),
            )
            .await;
        assert_eq!(r.status, 201, "comment on {post}: {}", r.text);
        dto("comment", &r)
    }

    /// Reacts to a post with `kind` (asserting 200).
    pub async fn react(&self, circle: &str, post: &str, kind: &str) -> ReactionsDto {
        let r = self
            .c
            .put(
                &format!("/api/v1/circles/{circle}/posts/{post}/reactions/{kind}"),
                json!({}),
            )
            .await;
        assert_eq!(r.status, 200, "react {kind} to {post}: {}", r.text);
        dto("reaction", &r)
    }

    /// Takes a reaction back (asserting 200).
    pub async fn unreact(&self, circle: &str, post: &str, kind: &str) -> ReactionsDto {
        let r = self
            .c
            .delete(&format!(
                "/api/v1/circles/{circle}/posts/{post}/reactions/{kind}"
            ))
            .await;
        assert_eq!(r.status, 200, "take back {kind} on {post}: {}", r.text);
        dto("reaction taken back", &r)
    }
}
