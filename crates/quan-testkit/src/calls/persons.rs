//! Persons: an org's people, as its staff see them.

use super::dto;
use crate::User;
use quan_web::api::persons::PersonPage;

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
}
