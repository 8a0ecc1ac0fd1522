//! The moments part of reach's store port: moments, their likes and comments.

use crate::events::port::EventRecord;
use crate::page::{Page, PageRequest};
use crate::ports::StoreResult;
use async_trait::async_trait;
use quan_domain::{AccountId, MomentCommentId, MomentId, OrgId, PersonId, Timestamp};

/// A staff member's moment, with how many liked and commented (the author's view).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MomentRecord {
    pub id: MomentId,
    pub org_id: OrgId,
    pub staff_id: AccountId,
    pub staff_name: String,
    pub body: String,
    /// Empty: every customer of the author.
    pub tags: Vec<String>,
    pub created_at: Timestamp,
    pub likes: i64,
    pub comments: i64,
    /// Customers whose feed showed it.
    pub views: i64,
    /// Of them, who then deleted its author or opted out within 48 h.
    pub negatives: i64,
}

/// A customer's comment on a moment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MomentComment {
    pub id: MomentCommentId,
    pub moment_id: MomentId,
    pub person_id: PersonId,
    pub person_name: String,
    pub body: String,
    pub created_at: Timestamp,
}

/// What the store does for moments.
#[async_trait]
pub trait MomentStore: Send + Sync {
    async fn moment_insert(&self, m: &MomentRecord, event: &EventRecord) -> StoreResult<()>;
    /// A live moment of the org.
    async fn moment_get(&self, org: OrgId, id: MomentId) -> StoreResult<Option<MomentRecord>>;
    /// Live moments of the org, newest first, by one staff member if given.
    async fn moments_list(
        &self,
        org: OrgId,
        staff: Option<AccountId>,
        page: &PageRequest,
    ) -> StoreResult<Page<MomentRecord>>;
    async fn moment_delete(
        &self,
        org: OrgId,
        id: MomentId,
        now: Timestamp,
        event: &EventRecord,
    ) -> StoreResult<bool>;
    /// Live moments since `since` by the staff members a person is a live contact
    /// of, newest first (the feed before tags and the daily cap).
    async fn moments_for_person(
        &self,
        org: OrgId,
        person: PersonId,
        since: Timestamp,
    ) -> StoreResult<Vec<MomentRecord>>;
    /// Likes (with the event on the person's timeline) or unlikes; true if it
    /// changed.
    async fn moment_like(
        &self,
        moment: MomentId,
        person: PersonId,
        on: bool,
        now: Timestamp,
        event: &EventRecord,
    ) -> StoreResult<bool>;
    async fn moment_comment_insert(
        &self,
        c: &MomentComment,
        event: &EventRecord,
    ) -> StoreResult<()>;
    /// Who liked a moment (name, when) and its comments, oldest first.
    async fn moment_reactions(
        &self,
        moment: MomentId,
    ) -> StoreResult<(Vec<(PersonId, String, Timestamp)>, Vec<MomentComment>)>;
    /// Records that a person's feed showed these moments: the first showing for
    /// reach, the latest (to the hour) for negative feedback's window.
    async fn moment_views_record(
        &self,
        person: PersonId,
        moments: &[MomentId],
        now: Timestamp,
    ) -> StoreResult<()>;
    /// Of `moments`, the ones the person liked, and their own comments.
    async fn moment_mine(
        &self,
        moments: &[MomentId],
        person: PersonId,
    ) -> StoreResult<(Vec<MomentId>, Vec<MomentComment>)>;
}
