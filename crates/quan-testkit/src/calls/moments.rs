//! Reach's moments: staff post and read their own, customers read their feed, like
//! and comment.

use super::dto;
use crate::{Res, User};
use quan_web::api::reach::moments::{
    FeedMomentDto, MomentCommentDto, MomentDetailDto, MomentDto, MomentPageDto,
};
use serde_json::{Value, json};

impl User {
    pub async fn try_post_moment(&self, org: &str, body: Value) -> Res {
        self.c
            .post(&format!("/api/v1/orgs/{org}/moments"), body)
            .await
    }

    /// Posts a moment to the caller's customers, limited to `tags` (none: all).
    pub async fn post_moment(&self, org: &str, body: &str, tags: &[&str]) -> MomentDto {
        let r = self
            .try_post_moment(org, json!({"body": body, "tags": tags}))
            .await;
        assert_eq!(r.status, 201, "post moment in {org}: {}", r.text);
        dto("moment", &r)
    }

    pub async fn my_moments(&self, org: &str) -> MomentPageDto {
        let r = self.c.get(&format!("/api/v1/orgs/{org}/moments")).await;
        assert_eq!(r.status, 200, "moments of {org}: {}", r.text);
        dto("moments", &r)
    }

    pub async fn try_moment(&self, org: &str, moment: &str) -> Res {
        self.c
            .get(&format!("/api/v1/orgs/{org}/moments/{moment}"))
            .await
    }

    /// One of the caller's moments with its likes and comments.
    pub async fn moment(&self, org: &str, moment: &str) -> MomentDetailDto {
        let r = self.try_moment(org, moment).await;
        assert_eq!(r.status, 200, "moment {moment}: {}", r.text);
        dto("moment", &r)
    }

    pub async fn try_delete_moment(&self, org: &str, moment: &str) -> Res {
        self.c
            .delete(&format!("/api/v1/orgs/{org}/moments/{moment}"))
            .await
    }

    /// The caller's moments feed as a customer.
    pub async fn moment_feed(&self) -> Vec<FeedMomentDto> {
        let r = self.c.get("/api/v1/me/moments").await;
        assert_eq!(r.status, 200, "moments feed: {}", r.text);
        dto("feed", &r)
    }

    pub async fn try_like_moment(&self, moment: &str, on: bool) -> Res {
        let path = format!("/api/v1/me/moments/{moment}/like");
        if on {
            self.c.put(&path, json!({})).await
        } else {
            self.c.delete(&path).await
        }
    }

    pub async fn like_moment(&self, moment: &str, on: bool) {
        let r = self.try_like_moment(moment, on).await;
        assert_eq!(r.status, 204, "like {moment} ({on}): {}", r.text);
    }

    pub async fn try_comment_moment(&self, moment: &str, body: &str) -> Res {
        self.c
            .post(
                &format!("/api/v1/me/moments/{moment}/comments"),
                json!({"body": body}),
            )
            .await
    }

    pub async fn comment_moment(&self, moment: &str, body: &str) -> MomentCommentDto {
        let r = self.try_comment_moment(moment, body).await;
        assert_eq!(r.status, 201, "comment on {moment}: {}", r.text);
        dto("comment", &r)
    }
}
