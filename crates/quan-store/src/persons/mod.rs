//! `PersonStore` for `SqlStore`: persons, handles, tags and memberships.

pub(crate) mod decode;
pub(crate) mod merges;

use crate::circles::decode as circle_rows;
use crate::connect::Backend;
use crate::group::{BoxFuture, Rows};
use crate::moderation::exec;
use crate::persons::decode as person_rows;
use crate::queries::value_rows_with;
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
            None => match self.person_insert_for(org, account, now).await? {
                // Made by this call: written with its handles, merged into no one.
                (p, true) => return Ok(p),
                (p, false) => p,
            },
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
    /// concurrent first calls agree on one. `true` when this call made it (then
    /// it comes with the handles it got), `false` when another did (read back,
    /// without them).
    async fn person_insert_for(
        &self,
        org: OrgId,
        account: &Me,
        now: Timestamp,
    ) -> StoreResult<(PersonRecord, bool)> {
        // Through the group writer: a crowd of first-time buyers (a flash sale)
        // shares commits, with each other and with their orders, and a group's
        // new persons are written together (`NewPerson` rows), instead of each
        // waiting for the one writer with a transaction of its own.
        let new = Arc::new(NewPerson {
            id: PersonId::new(),
            org,
            account: account.clone(),
            now,
            made: std::sync::Mutex::new(None),
        });
        let alone = Arc::clone(&new);
        self.group
            .write_rows(
                &account.id.to_string(),
                Arc::clone(&new),
                Box::new(move |tx: &mut Tx| {
                    let new = Arc::clone(&alone);
                    Box::pin(async move {
                        let handles =
                            insert_person(tx, (new.id, new.org), &new.account, new.now).await?;
                        new.made_with(handles);
                        Ok(())
                    })
                }),
            )
            .await?;
        // Made by this call: the person is what was written, no need to read it.
        let made = new.made.lock().ok().and_then(|mut m| m.take());
        if let Some(handles) = made {
            let p = PersonRecord {
                id: new.id,
                org_id: new.org,
                display_name: new.account.display_name.clone(),
                account_id: Some(new.account.id),
                stage: quan_domain::LifecycleStage::Follower,
                verified: false,
                created_at: new.now,
                handles,
                merged_into: None,
            };
            return Ok((p, true));
        }
        // Another call made it first.
        let sql = format!("SELECT {PERSON_COLS} FROM persons {OF_ACCOUNT}");
        let row = self
            .fetch_opt(
                sqlx::query(&sql)
                    .bind(org.to_string())
                    .bind(account.id.to_string()),
            )
            .await?
            .ok_or(StoreError::NotFound)?;
        Ok((person_rows::person(&row)?, false))
    }
}

/// A person an account's first call in an org asks for, as the group writer
/// holds it; `made` is what the committed write made of it: the handles the new
/// person got, or `None` when the account had a person already.
struct NewPerson {
    id: PersonId,
    org: OrgId,
    account: Me,
    now: Timestamp,
    made: std::sync::Mutex<Option<Vec<HandleRecord>>>,
}

impl NewPerson {
    /// A group's write may run twice (its first pass failed): the last run is
    /// the one committed, and says what was made.
    fn made_with(&self, handles: Option<Vec<HandleRecord>>) {
        if let Ok(mut m) = self.made.lock() {
            *m = handles;
        }
    }

    /// The account's verified contact handles, as a new person gets them.
    fn asked(&self) -> impl Iterator<Item = (HandleKind, &String)> {
        [
            (HandleKind::Email, self.account.email.as_ref()),
            (HandleKind::Phone, self.account.phone.as_ref()),
        ]
        .into_iter()
        .filter_map(|(k, v)| Some((k, v?)))
    }
}

impl Rows for NewPerson {
    fn write_all(
        tx: &mut Tx,
        engine: Backend,
        all: Vec<Arc<Self>>,
    ) -> BoxFuture<'_, StoreResult<()>> {
        Box::pin(insert_persons(tx, engine, all))
    }
}

/// A group's new persons in two statements: the persons (`ON CONFLICT` on the
/// (org, account) index, so an account with a person already, or twice in the
/// group, makes none), then the handles of those made (a handle another person
/// holds is left to them, as [`insert_person`] does).
async fn insert_persons(tx: &mut Tx, engine: Backend, all: Vec<Arc<NewPerson>>) -> StoreResult<()> {
    // The stage and the flag as written for one person.
    let sql = format!(
        "INSERT INTO persons (id, org_id, display_name, account_id, stage, verified, created_at) VALUES {} \
         ON CONFLICT (org_id, account_id) DO NOTHING RETURNING id",
        value_rows_with(engine, all.len(), (4, "'follower', 0", 1))
    );
    let mut q = sqlx::query(&sql);
    for p in &all {
        q = q
            .bind(p.id.to_string())
            .bind(p.org.to_string())
            .bind(p.account.display_name.clone())
            .bind(p.account.id.to_string())
            .bind(p.now.millis());
    }
    let mut fresh = std::collections::HashSet::new();
    for row in q.fetch_all(&mut **tx).await.map_err(backend)? {
        fresh.insert(text(&row, "id")?);
    }
    let (made, had): (Vec<_>, Vec<_>) = all.iter().partition(|p| fresh.contains(&p.id.to_string()));
    for p in had {
        p.made_with(None);
    }
    let asked: Vec<(&NewPerson, HandleKind, &String, HandleId)> = made
        .iter()
        .flat_map(|p| p.asked().map(move |(k, v)| (&***p, k, v, HandleId::new())))
        .collect();
    let mut taken = std::collections::HashSet::new();
    if !asked.is_empty() {
        // Verified, as the account's handles are.
        let sql = format!(
            "INSERT INTO handles (id, org_id, person_id, kind, value, verified, created_at) VALUES {} \
             ON CONFLICT (org_id, kind, value) DO NOTHING RETURNING id",
            value_rows_with(engine, asked.len(), (5, "1", 1))
        );
        let mut q = sqlx::query(&sql);
        for (p, kind, value, id) in &asked {
            q = q
                .bind(id.to_string())
                .bind(p.org.to_string())
                .bind(p.id.to_string())
                .bind(kind.as_str())
                .bind((*value).clone())
                .bind(p.now.millis());
        }
        for row in q.fetch_all(&mut **tx).await.map_err(backend)? {
            taken.insert(text(&row, "id")?);
        }
    }
    for p in made {
        let handles = asked
            .iter()
            .filter(|(of, _, _, id)| of.id == p.id && taken.contains(&id.to_string()))
            .map(|(_, kind, value, id)| HandleRecord {
                id: *id,
                person_id: p.id,
                kind: *kind,
                value: (*value).clone(),
                verified: true,
                created_at: p.now,
            })
            .collect();
        p.made_with(Some(handles));
    }
    Ok(())
}

/// The person of account `$2` in org `$1`.
const OF_ACCOUNT: &str = "WHERE org_id = $1 AND account_id = $2";

/// The account's person in the org, unless it has one: ON CONFLICT on the (org,
/// account) unique index, so concurrent first calls agree on one. A new person
/// gets the account's verified contact handles, unless another person of the org
/// holds them (merging is a separate, audited act). The handles it got, when it
/// made the person.
async fn insert_person(
    tx: &mut Tx,
    (id, org): (PersonId, OrgId),
    account: &Me,
    now: Timestamp,
) -> StoreResult<Option<Vec<HandleRecord>>> {
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
        return Ok(None);
    }
    let mut handles = Vec::new();
    for (kind, value) in [
        (HandleKind::Email, account.email.as_ref()),
        (HandleKind::Phone, account.phone.as_ref()),
    ] {
        let Some(value) = value else { continue };
        let handle = HandleId::new();
        let taken = exec(
            tx,
            sqlx::query(
                "INSERT INTO handles (id, org_id, person_id, kind, value, verified, created_at) \
                 VALUES ($1, $2, $3, $4, $5, 1, $6) ON CONFLICT (org_id, kind, value) DO NOTHING",
            )
            .bind(handle.to_string())
            .bind(org.to_string())
            .bind(id.to_string())
            .bind(kind.as_str())
            .bind(value.clone())
            .bind(now.millis()),
        )
        .await?;
        if taken > 0 {
            handles.push(HandleRecord {
                id: handle,
                person_id: id,
                kind,
                value: value.clone(),
                verified: true,
                created_at: now,
            });
        }
    }
    Ok(Some(handles))
}
