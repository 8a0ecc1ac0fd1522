//! Persons: an org's people as its staff see them, their handles and tags, merges
//! and their undo.

use super::{dto, encode};
use crate::{Res, User};
use quan_web::api::persons::{MergeDto, PersonDto, PersonPage, PersonProfileDto};
use serde_json::{Value, json};

impl User {
    /// A page of an org's persons; `query` as in `limit=50` (asserting 200).
    pub async fn persons(&self, org: &str, query: &str) -> PersonPage {
        let r = self
            .c
            .get(&format!("/api/v1/orgs/{org}/persons?{query}"))
            .await;
        assert_eq!(r.status, 200, "persons of {org}: {}", r.text);
        dto("persons", &r)
    }

    /// Enters a person; `body` as in `{"display_name": "…", "handles": [...]}`.
    pub async fn try_new_person(&self, org: &str, body: Value) -> Res {
        self.c
            .post(&format!("/api/v1/orgs/{org}/persons"), body)
            .await
    }

    /// Enters a person (asserting 201).
    pub async fn new_person(&self, org: &str, body: Value) -> PersonDto {
        let r = self.try_new_person(org, body).await;
        assert_eq!(r.status, 201, "create person in {org}: {}", r.text);
        dto("person", &r)
    }

    /// Enters a person by name alone, as sales staff do (asserting 201).
    pub async fn create_person(&self, org: &str, name: &str) -> PersonDto {
        self.new_person(org, json!({"display_name": name})).await
    }

    /// Adds a handle (`email`, `phone`…) to a person, attested verified or not.
    pub async fn try_add_handle(
        &self,
        org: &str,
        person: &str,
        kind: &str,
        value: &str,
        verified: bool,
    ) -> Res {
        self.c
            .post(
                &format!("/api/v1/orgs/{org}/persons/{person}/handles"),
                json!({"kind": kind, "value": value, "verified": verified}),
            )
            .await
    }

    /// Adds a handle to a person (asserting 201).
    pub async fn add_handle(
        &self,
        org: &str,
        person: &str,
        kind: &str,
        value: &str,
        verified: bool,
    ) {
        let r = self
            .try_add_handle(org, person, kind, value, verified)
            .await;
        assert_eq!(r.status, 201, "handle for {person}: {}", r.text);
    }

    /// One person with circles, tags, merges and timeline (asserting 200).
    pub async fn profile(&self, org: &str, person: &str) -> PersonProfileDto {
        let r = self
            .c
            .get(&format!("/api/v1/orgs/{org}/persons/{person}/profile"))
            .await;
        assert_eq!(r.status, 200, "profile of {person}: {}", r.text);
        dto("profile", &r)
    }

    /// Tags a person.
    pub async fn try_tag(&self, org: &str, person: &str, tag: &str) -> Res {
        self.c
            .post(
                &format!("/api/v1/orgs/{org}/persons/{person}/tags"),
                json!({"tag": tag}),
            )
            .await
    }

    /// Tags a person (asserting 204).
    pub async fn tag(&self, org: &str, person: &str, tag: &str) {
        let r = self.try_tag(org, person, tag).await;
        assert_eq!(r.status, 204, "tag {person} {tag}: {}", r.text);
    }

    /// Takes a tag off a person (asserting 204).
    pub async fn untag(&self, org: &str, person: &str, tag: &str) {
        let r = self
            .c
            .delete(&format!(
                "/api/v1/orgs/{org}/persons/{person}/tags/{}",
                encode(tag)
            ))
            .await;
        assert_eq!(r.status, 204, "untag {person} {tag}: {}", r.text);
    }

    /// Merges `merged` into `survivor`.
    pub async fn try_merge(&self, org: &str, survivor: &str, merged: &str, reason: &str) -> Res {
        self.c
            .post(
                &format!("/api/v1/orgs/{org}/persons/{survivor}/merge"),
                json!({"merged_id": merged, "reason": reason}),
            )
            .await
    }

    /// Merges `merged` into `survivor` (asserting 201); the answer counts what moved.
    pub async fn merge(&self, org: &str, survivor: &str, merged: &str, reason: &str) -> MergeDto {
        let r = self.try_merge(org, survivor, merged, reason).await;
        assert_eq!(r.status, 201, "merge {merged} into {survivor}: {}", r.text);
        dto("merge", &r)
    }

    /// Undoes a merge.
    pub async fn try_undo(&self, org: &str, merge: &str) -> Res {
        self.c
            .post(
                &format!("/api/v1/orgs/{org}/merges/{merge}/undo"),
                json!({}),
            )
            .await
    }

    /// Undoes a merge (asserting 204).
    pub async fn undo(&self, org: &str, merge: &str) {
        let r = self.try_undo(org, merge).await;
        assert_eq!(r.status, 204, "undo {merge}: {}", r.text);
    }
}
