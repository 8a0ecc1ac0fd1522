//! `PersonStore` for `SqlStore`: persons, handles, tags and memberships.

pub(crate) mod decode;
pub(crate) mod merges;

use crate::circles::decode as circle_rows;
use crate::moderation::exec;
use crate::persons::decode as person_rows;
use crate::rows::{self, backend, int, text};
use crate::store::{SqlStore, Tx};
use async_trait::async_trait;
use quan_core::access::Me;
use quan_core::{
    CircleMemberRecord, CircleRecord, EventRecord, HandleRecord, Page, PageRequest, PersonRecord,
    PersonStore, StoreError, StoreResult,
};
use quan_domain::{HandleId, HandleKind, OrgId, PersonId, Timestamp};
use std::sync::Arc;

pub(crate) const PERSON_COLS: &str =
    "id, org_id, display_name, account_id, stage, verified, created_at, merged_into";

pub(crate) async fn insert_handle(tx: &mut Tx, org: OrgId, h: &HandleRecord) -> StoreResult<()> {
    sqlx::query("INSERT INTO handles (id, org_id, person_id, kind, value, verified, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7)")
        .bind(h.id.to_string())
        .bind(org.to_string())
        .bind(h.person_id.to_string())
        .bind(h.kind.as_str())
        .bind(h.value.clone())
        .bind(i64::from(h.verified))
        .bind(h.created_at.millis())
        .execute(&mut **tx)
        .await
        .map_err(backend)?;
    Ok(())
}

#[async_trait]
impl PersonStore for SqlStore {
    async fn person_insert(&self, p: &PersonRecord, event: &EventRecord) -> StoreResult<()> {
        let mut tx = self.begin().await?;
        sqlx::query("INSERT INTO persons (id, org_id, display_name, account_id, stage, verified, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7)")
            .bind(p.id.to_string())
            .bind(p.org_id.to_string())
            .bind(p.display_name.clone())
            .bind(p.account_id.map(|a| a.to_string()))
            .bind(p.stage.as_str())
            .bind(i64::from(p.verified))
            .bind(p.created_at.millis())
            .execute(&mut *tx)
            .await
            .map_err(backend)?;
        for h in &p.handles {
            insert_handle(&mut tx, p.org_id, h).await?;
        }
        Self::insert_event(&mut tx, event).await?;
        tx.commit().await.map_err(backend)
    }

    async fn person_get(&self, org: OrgId, id: PersonId) -> StoreResult<Option<PersonRecord>> {
        let sql = format!("SELECT {PERSON_COLS} FROM persons WHERE org_id = $1 AND id = $2");
        let Some(row) = self
            .fetch_opt(sqlx::query(&sql).bind(org.to_string()).bind(id.to_string()))
            .await?
        else {
            return Ok(None);
        };
        let mut p = [person_rows::person(&row)?];
        self.attach_handles(&mut p).await?;
        let [p] = p;
        Ok(Some(p))
    }

    async fn person_list(&self, org: OrgId, page: &PageRequest) -> StoreResult<Page<PersonRecord>> {
        let sql = format!("SELECT {PERSON_COLS} FROM persons WHERE org_id = $1");
        let mut page = self
            .keyset_page(
                &sql,
                &[org.to_string()],
                ("id", false),
                page,
                person_rows::person,
                |p| p.id.to_string(),
            )
            .await?;
        self.attach_handles(&mut page.items).await?;
        Ok(page)
    }

    async fn handle_insert(
        &self,
        org: OrgId,
        h: &HandleRecord,
        event: &EventRecord,
    ) -> StoreResult<()> {
        let mut tx = self.begin().await?;
        // The person must be this org's: the check and the insert share a transaction.
        let found = sqlx::query("SELECT id FROM persons WHERE org_id = $1 AND id = $2")
            .bind(org.to_string())
            .bind(h.person_id.to_string())
            .fetch_optional(&mut *tx)
            .await
            .map_err(backend)?;
        if found.is_none() {
            return Err(StoreError::NotFound);
        }
        insert_handle(&mut tx, org, h).await?;
        Self::insert_event(&mut tx, event).await?;
        tx.commit().await.map_err(backend)
    }

    async fn person_for_account(
        &self,
        org: OrgId,
        account: &Me,
        now: Timestamp,
    ) -> StoreResult<PersonRecord> {
        // Read first: nearly every call finds the person (a buyer, a member acting
        // again), and a read spares the one writer a transaction.
        let sql = format!("SELECT {PERSON_COLS} FROM persons {OF_ACCOUNT}");
        let known = self
            .fetch_opt(
                sqlx::query(&sql)
                    .bind(org.to_string())
                    .bind(account.id.to_string()),
            )
            .await?;
        let person = match known {
            Some(r) => person_rows::person(&r)?,
            None => self.person_insert_for(org, account, now).await?,
        };
        // An account whose person was merged acts as the survivor (merges keep
        // one hop: a later merge re-points earlier ones).
        let person = match person.merged_into {
            Some(survivor) => self
                .person_get(org, survivor)
                .await?
                .ok_or(StoreError::NotFound)?,
            None => person,
        };
        let mut one = [person];
        self.attach_handles(&mut one).await?;
        let [p] = one;
        Ok(p)
    }

    async fn person_tags(&self, person: PersonId) -> StoreResult<Vec<String>> {
        self.fetch_all(
            sqlx::query("SELECT tag FROM person_tags WHERE person_id = $1 ORDER BY tag")
                .bind(person.to_string()),
        )
        .await?
        .iter()
        .map(|r| text(r, "tag"))
        .collect()
    }

    async fn person_tag_add(
        &self,
        org: OrgId,
        person: PersonId,
        tag: &str,
        now: Timestamp,
        event: &EventRecord,
    ) -> StoreResult<bool> {
        let mut tx = self.begin().await?;
        let n = exec(
            &mut tx,
            sqlx::query(
                "INSERT INTO person_tags (org_id, person_id, tag, created_at) VALUES ($1, $2, $3, $4) \
                 ON CONFLICT (person_id, tag) DO NOTHING",
            )
            .bind(org.to_string())
            .bind(person.to_string())
            .bind(tag.to_owned())
            .bind(now.millis()),
        )
        .await?;
        if n > 0 {
            Self::insert_event(&mut tx, event).await?;
        }
        tx.commit().await.map_err(backend)?;
        Ok(n > 0)
    }

    async fn person_tag_remove(
        &self,
        person: PersonId,
        tag: &str,
        event: &EventRecord,
    ) -> StoreResult<bool> {
        let mut tx = self.begin().await?;
        let n = exec(
            &mut tx,
            sqlx::query("DELETE FROM person_tags WHERE person_id = $1 AND tag = $2")
                .bind(person.to_string())
                .bind(tag.to_owned()),
        )
        .await?;
        if n > 0 {
            Self::insert_event(&mut tx, event).await?;
        }
        tx.commit().await.map_err(backend)?;
        Ok(n > 0)
    }

    async fn person_by_handle(
        &self,
        org: OrgId,
        kind: HandleKind,
        value: &str,
    ) -> StoreResult<Option<(PersonId, bool)>> {
        self.fetch_opt(
            sqlx::query("SELECT person_id, verified FROM handles WHERE org_id = $1 AND kind = $2 AND value = $3")
                .bind(org.to_string())
                .bind(kind.as_str())
                .bind(value.to_owned()),
        )
        .await?
        .as_ref()
        .map(|r| Ok((rows::id(r, "person_id")?, int(r, "verified")? != 0)))
        .transpose()
    }

    async fn person_memberships(
        &self,
        person: PersonId,
    ) -> StoreResult<Vec<(CircleRecord, CircleMemberRecord)>> {
        let rows = self
            .fetch_all(
                sqlx::query(
                    "SELECT c.id, c.org_id, c.name, c.description, c.mode, c.join_policy, c.posting, c.forwarding, c.read_receipts, \
                     c.public, c.member_count, c.created_by, c.created_at, c.quality_score, c.boost_status, c.cover_image_id, c.tags, \
                     m.circle_id, m.account_id, m.person_id, m.role, m.status, m.is_member, m.is_customer, m.is_fan, m.joined_at, m.role_seq, \
                     p.display_name FROM circle_members m JOIN circles c ON c.id = m.circle_id JOIN persons p ON p.id = m.person_id \
                     WHERE m.person_id = $1 ORDER BY m.joined_at LIMIT 500",
                )
                .bind(person.to_string()),
            )
            .await?;
        rows.iter()
            .map(|r| Ok((circle_rows::circle(r)?, circle_rows::member(r)?)))
            .collect()
    }
}

impl SqlStore {
    /// The account's first person in the org, with its verified contact handles;
    /// concurrent first calls agree on one.
    async fn person_insert_for(
        &self,
        org: OrgId,
        account: &Me,
        now: Timestamp,
    ) -> StoreResult<PersonRecord> {
        // Through the group writer: a crowd of first-time buyers (a flash sale)
        // shares commits, with each other and with their orders, instead of each
        // waiting for the one writer with a transaction of its own.
        let new = Arc::new((PersonId::new(), org, account.clone(), now));
        self.group
            .write(
                &account.id.to_string(),
                Box::new(move |tx: &mut Tx| {
                    let new = Arc::clone(&new);
                    Box::pin(async move {
                        let (id, org, account, now) = &*new;
                        insert_person(tx, (*id, *org), account, *now).await
                    })
                }),
            )
            .await?;
        let sql = format!("SELECT {PERSON_COLS} FROM persons {OF_ACCOUNT}");
        let row = self
            .fetch_opt(
                sqlx::query(&sql)
                    .bind(org.to_string())
                    .bind(account.id.to_string()),
            )
            .await?
            .ok_or(StoreError::NotFound)?;
        person_rows::person(&row)
    }
}

/// The person of account `$2` in org `$1`.
const OF_ACCOUNT: &str = "WHERE org_id = $1 AND account_id = $2";

/// The account's person in the org, unless it has one: ON CONFLICT on the (org,
/// account) unique index, so concurrent first calls agree on one. A new person
/// gets the account's verified contact handles, unless another person of the org
/// holds them (merging is a separate, audited act).
async fn insert_person(
    tx: &mut Tx,
    (id, org): (PersonId, OrgId),
    account: &Me,
    now: Timestamp,
) -> StoreResult<()> {
    let made = exec(
        tx,
        sqlx::query(
            "INSERT INTO persons (id, org_id, display_name, account_id, stage, verified, created_at) \
             VALUES ($1, $2, $3, $4, 'follower', 0, $5) ON CONFLICT (org_id, account_id) DO NOTHING",
        )
        .bind(id.to_string())
        .bind(org.to_string())
        .bind(account.display_name.clone())
        .bind(account.id.to_string())
        .bind(now.millis()),
    )
    .await?;
    if made == 0 {
        return Ok(());
    }
    for (kind, value) in [
        ("email", account.email.as_ref()),
        ("phone", account.phone.as_ref()),
    ] {
        let Some(value) = value else { continue };
        exec(
            tx,
            sqlx::query(
                "INSERT INTO handles (id, org_id, person_id, kind, value, verified, created_at) \
                 VALUES ($1, $2, $3, $4, $5, 1, $6) ON CONFLICT (org_id, kind, value) DO NOTHING",
            )
            .bind(HandleId::new().to_string())
            .bind(org.to_string())
            .bind(id.to_string())
            .bind(kind)
            .bind(value.clone())
            .bind(now.millis()),
        )
        .await?;
    }
    Ok(())
}
