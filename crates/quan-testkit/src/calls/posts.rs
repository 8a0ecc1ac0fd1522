//! Posts, their comments and reactions, and the feed.

use super::{dto, encode};
use crate::Res;
use crate::User;
use quan_web::api::circles::posts::{
    CommentDto, PostDetailDto, PostDto, PostEditDto, PostPage, ReactionsDto,
};
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

    /// Edits a post's title and body.
    pub async fn try_edit(&self, circle: &str, post: &str, title: &str, body: &str) -> Res {
        self.c
            .patch(
                &format!("/api/v1/circles/{circle}/posts/{post}"),
                json!({"title": title, "body": body}),
            )
            .await
    }

    /// Edits a post (asserting 200).
    pub async fn edit(&self, circle: &str, post: &str, title: &str, body: &str) -> PostDto {
        let r = self.try_edit(circle, post, title, body).await;
        assert_eq!(r.status, 200, "edit {post}: {}", r.text);
        dto("edited post", &r)
    }

    /// A post's earlier versions, newest first (asserting 200).
    pub async fn edits(&self, circle: &str, post: &str) -> Vec<PostEditDto> {
        let r = self
            .c
            .get(&format!("/api/v1/circles/{circle}/posts/{post}/edits"))
            .await;
        assert_eq!(r.status, 200, "edits of {post}: {}", r.text);
        dto("edits", &r)
    }

    /// Pins a post to the top of the feed.
    pub async fn try_pin(&self, circle: &str, post: &str) -> Res {
        self.c
            .put(
                &format!("/api/v1/circles/{circle}/posts/{post}/pin"),
                json!({}),
            )
            .await
    }

    /// Pins a post (asserting 204).
    pub async fn pin(&self, circle: &str, post: &str) {
        let r = self.try_pin(circle, post).await;
        assert_eq!(r.status, 204, "pin {post}: {}", r.text);
    }

    /// Deletes a post; a moderator's `reason` goes to the public log.
    pub async fn try_delete_post(&self, circle: &str, post: &str, reason: &str) -> Res {
        let reason = encode(reason);
        self.c
            .delete(&format!(
                "/api/v1/circles/{circle}/posts/{post}?reason={reason}"
            ))
            .await
    }

    /// Deletes a post (asserting 204).
    pub async fn delete_post(&self, circle: &str, post: &str, reason: &str) {
        let r = self.try_delete_post(circle, post, reason).await;
        assert_eq!(r.status, 204, "delete {post}: {}", r.text);
    }
}
