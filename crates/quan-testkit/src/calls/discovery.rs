//! Discovery: the public listing, the boost log, boost requests and decisions.

use super::{dto, encode};
use crate::{Res, User};
use quan_web::api::circles::CircleDto;
use quan_web::api::discovery::BoostLogDto;
use serde_json::{Value, json};

impl User {
    /// Public circles, boosted first, then by quality; only those tagged `tag` if
    /// given.
    pub async fn try_discover(&self, tag: Option<&str>) -> Res {
        let query = tag.map_or(String::new(), |t| format!("?tag={}", encode(t)));
        self.c.get(&format!("/api/v1/discover{query}")).await
    }

    /// The listed circles (asserting 200).
    pub async fn discover(&self, tag: Option<&str>) -> Vec<CircleDto> {
        let r = self.try_discover(tag).await;
        assert_eq!(r.status, 200, "discover {tag:?}: {}", r.text);
        dto("discover", &r)
    }

    /// The names of the listed circles, in listing order.
    pub async fn listed(&self) -> Vec<String> {
        self.listed_with(None).await
    }

    /// The names of the circles listed under a tag, in listing order.
    pub async fn listed_with(&self, tag: Option<&str>) -> Vec<String> {
        self.discover(tag)
            .await
            .into_iter()
            .map(|c| c.name)
            .collect()
    }

    /// The public boost log, newest first (asserting 200).
    pub async fn boost_log(&self) -> Vec<BoostLogDto> {
        let r = self.c.get("/api/v1/discover/log").await;
        assert_eq!(r.status, 200, "boost log: {}", r.text);
        dto("boost log", &r)
    }

    /// Asks for a circle to be boosted; `body` as in `{"reason": "…"}`.
    pub async fn try_boost_request(&self, circle: &str, body: Value) -> Res {
        self.c
            .post(&format!("/api/v1/circles/{circle}/boost-request"), body)
            .await
    }

    /// Decides a circle's boost: approved, rejected or none.
    pub async fn try_boost(&self, org: &str, circle: &str, decision: &str, reason: &str) -> Res {
        self.c
            .post(
                &format!("/api/v1/orgs/{org}/boosts/{circle}"),
                json!({"decision": decision, "reason": reason}),
            )
            .await
    }

    /// Decides a circle's boost (asserting 204).
    pub async fn boost(&self, org: &str, circle: &str, decision: &str, reason: &str) {
        let r = self.try_boost(org, circle, decision, reason).await;
        assert_eq!(r.status, 204, "boost {circle} {decision}: {}", r.text);
    }
}
