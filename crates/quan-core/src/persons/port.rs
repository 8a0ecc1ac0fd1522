//! The persons capability's store port: persons and their handles, tags, merges (with
//! exact undo) and the timeline.

use crate::access::Me;
use crate::circles::port::{CircleMemberRecord, CircleRecord};
use crate::events::port::EventRecord;
use crate::page::{Page, PageRequest};
use crate::ports::StoreResult;
use async_trait::async_trait;
use quan_domain::{
    AccountId, CircleId, HandleId, HandleKind, LifecycleStage, MergeId, OrgId, PersonId, Timestamp,
};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HandleRecord {
    pub id: HandleId,
    pub person_id: PersonId,
    pub kind: HandleKind,
    pub value: String,
    pub verified: bool,
    pub created_at: Timestamp,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PersonRecord {
    pub id: PersonId,
    pub org_id: OrgId,
    pub display_name: String,
    pub account_id: Option<AccountId>,
    pub stage: LifecycleStage,
    pub verified: bool,
    pub created_at: Timestamp,
    pub handles: Vec<HandleRecord>,
    /// Set when this person was merged into another (undo clears it).
    pub merged_into: Option<PersonId>,
}

/// What a person merge moved, so undo can put exactly that back.
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct MergeMoves {
    pub handles: Vec<String>,
    /// (circle id, account id) of each membership.
    pub memberships: Vec<(String, String)>,
    pub posts: Vec<String>,
    pub comments: Vec<String>,
    pub messages: Vec<String>,
    /// (post id, kind) of each reaction (the ones the survivor did not already have).
    pub reactions: Vec<(String, String)>,
    pub tags: Vec<String>,
    /// Persons merged earlier into the merged person, re-pointed at the survivor.
    pub repointed: Vec<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct MergeRecord {
    pub id: MergeId,
    pub org_id: OrgId,
    pub survivor_id: PersonId,
    pub merged_id: PersonId,
    pub merged_name: String,
    pub actor: Option<AccountId>,
    pub reason: String,
    pub moves: MergeMoves,
    pub created_at: Timestamp,
    pub undone_at: Option<Timestamp>,
}

/// A merge to perform.
#[derive(Debug, Clone, PartialEq)]
pub struct NewMerge {
    pub org: OrgId,
    pub survivor: PersonId,
    pub merged: PersonId,
    /// None when automatic (a shared verified handle).
    pub actor: Option<AccountId>,
    pub reason: String,
    pub now: Timestamp,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UndoOutcome {
    Undone,
    AlreadyUndone,
    /// The survivor was itself merged later: undo that merge first.
    LaterMergeFirst,
}

/// One line of a person's timeline.
#[derive(Debug, Clone, PartialEq)]
pub struct TimelineEntry {
    pub at: Timestamp,
    /// joined | posted | commented | checked_in | merged
    pub kind: String,
    pub circle_id: Option<CircleId>,
    pub circle_name: String,
    pub text: String,
}

/// What the store does for persons, handles and tags.
#[async_trait]
pub trait PersonStore: Send + Sync {
    async fn person_insert(&self, p: &PersonRecord, event: &EventRecord) -> StoreResult<()>;
    async fn person_get(&self, org: OrgId, id: PersonId) -> StoreResult<Option<PersonRecord>>;
    async fn person_list(&self, org: OrgId, page: &PageRequest) -> StoreResult<Page<PersonRecord>>;
    async fn handle_insert(
        &self,
        org: OrgId,
        h: &HandleRecord,
        event: &EventRecord,
    ) -> StoreResult<()>;
    /// The person of `account` in `org`, created (with the account's e-mail and
    /// phone as handles, where no other person holds them) if there is none yet.
    async fn person_for_account(
        &self,
        org: OrgId,
        account: &Me,
        now: Timestamp,
    ) -> StoreResult<PersonRecord>;
    async fn person_tags(&self, person: PersonId) -> StoreResult<Vec<String>>;
    /// Tags a person, with the event on their timeline; false if they had the tag.
    async fn person_tag_add(
        &self,
        org: OrgId,
        person: PersonId,
        tag: &str,
        now: Timestamp,
        event: &EventRecord,
    ) -> StoreResult<bool>;
    /// Takes a tag off, with the event; false if they did not have it.
    async fn person_tag_remove(
        &self,
        person: PersonId,
        tag: &str,
        event: &EventRecord,
    ) -> StoreResult<bool>;
    /// Who holds a handle in an org, and whether it is verified there.
    async fn person_by_handle(
        &self,
        org: OrgId,
        kind: HandleKind,
        value: &str,
    ) -> StoreResult<Option<(PersonId, bool)>>;
    async fn person_memberships(
        &self,
        person: PersonId,
    ) -> StoreResult<Vec<(CircleRecord, CircleMemberRecord)>>;
}

/// What the store does for person merges, their undo, and the timeline.
#[async_trait]
pub trait MergeStore: Send + Sync {
    /// Merges `m.merged` into `m.survivor` (both of `m.org`, neither merged already).
    async fn person_merge(&self, m: &NewMerge, event: &EventRecord) -> StoreResult<MergeRecord>;
    async fn person_merge_undo(
        &self,
        org: OrgId,
        id: MergeId,
        actor: AccountId,
        now: Timestamp,
        event: &EventRecord,
    ) -> StoreResult<UndoOutcome>;
    /// Merges that involve this person, newest first.
    async fn person_merges(&self, org: OrgId, person: PersonId) -> StoreResult<Vec<MergeRecord>>;
    async fn person_timeline(
        &self,
        person: PersonId,
        limit: i64,
    ) -> StoreResult<Vec<TimelineEntry>>;
}
