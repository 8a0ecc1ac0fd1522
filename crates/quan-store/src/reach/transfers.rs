//! `TransferStore` for `SqlStore`: transfers, their guarded decisions, and the
//! one-transaction move of a customer from one staff member to another.

use super::contacts::{give_place, take_place};
use crate::moderation::exec;
use crate::rows::{backend, id, int, opt_ts, parsed, text, ts};
use crate::store::SqlStore;
use async_trait::async_trait;
use quan_core::{
    CompleteOutcome, EventRecord, Page, PageRequest, StoreResult, TransferRecord, TransferStore,
};
use quan_domain::{
    AccountId, ContactId, OrgId, PersonId, Timestamp, TransferId, TransferKind, TransferState,
};
use sqlx::any::AnyRow;

const SELECT: &str = "SELECT t.id, t.org_id, t.batch_id, t.person_id, p.display_name AS person_name, t.from_contact_id, \
     t.from_staff, fa.display_name AS from_name, t.to_staff, ta.display_name AS to_name, t.kind, t.message, t.note, \
     t.status, t.reason, t.created_at, t.due_at, t.decided_at \
     FROM transfers t JOIN persons p ON p.id = t.person_id \
     JOIN accounts fa ON fa.id = t.from_staff JOIN accounts ta ON ta.id = t.to_staff";

fn transfer(row: &AnyRow) -> StoreResult<TransferRecord> {
    let status = text(row, "status")?;
    let state = match status.as_str() {
        "pending" => TransferState::Pending,
        "completed" => TransferState::Completed,
        "refused" => TransferState::Refused,
        _ => TransferState::Failed(text(row, "reason")?),
    };
    Ok(TransferRecord {
        id: id(row, "id")?,
        org_id: id(row, "org_id")?,
        batch: id(row, "batch_id")?,
        person_id: id(row, "person_id")?,
        person_name: text(row, "person_name")?,
        from_contact: id(row, "from_contact_id")?,
        from_staff: id(row, "from_staff")?,
        from_name: text(row, "from_name")?,
        to_staff: id(row, "to_staff")?,
        to_name: text(row, "to_name")?,
        kind: parsed(row, "kind", TransferKind::parse)?,
        message: text(row, "message")?,
        note: text(row, "note")?,
        state,
        created_at: ts(row, "created_at")?,
        due_at: ts(row, "due_at")?,
        decided_at: opt_ts(row, "decided_at")?,
    })
}

impl SqlStore {
    async fn transfers_where(
        &self,
        cond: &str,
        binds: &[String],
    ) -> StoreResult<Vec<TransferRecord>> {
        let sql = format!("{SELECT} WHERE {cond}");
        let mut q = sqlx::query(&sql);
        for b in binds {
            q = q.bind(b.clone());
        }
        self.fetch_all(q).await?.iter().map(transfer).collect()
    }
}

/// Moves a pending transfer to `status`; false if it was not pending.
async fn decide(
    tx: &mut crate::store::Tx,
    id: TransferId,
    status: &str,
    reason: &str,
    now: Timestamp,
) -> StoreResult<bool> {
    let n = exec(
        tx,
        sqlx::query(
            "UPDATE transfers SET status = $2, reason = $3, decided_at = $4 WHERE id = $1 AND status = 'pending'",
        )
        .bind(id.to_string())
        .bind(status.to_owned())
        .bind(reason.to_owned())
        .bind(now.millis()),
    )
    .await?;
    Ok(n == 1)
}

/// Ends a live contact and gives its staff member's place back; false if it was
/// not live.
async fn end_contact(
    tx: &mut crate::store::Tx,
    contact: ContactId,
    by: &str,
    now: Timestamp,
) -> StoreResult<bool> {
    let row = sqlx::query(
        "UPDATE contacts SET removed_at = $2, removed_by = $3 WHERE id = $1 AND removed_at IS NULL RETURNING org_id, staff_id",
    )
    .bind(contact.to_string())
    .bind(now.millis())
    .bind(by.to_owned())
    .fetch_optional(&mut **tx)
    .await
    .map_err(backend)?;
    let Some(r) = row else {
        return Ok(false);
    };
    give_place(tx, text(&r, "org_id")?, text(&r, "staff_id")?).await?;
    Ok(true)
}

#[async_trait]
impl TransferStore for SqlStore {
    async fn transfers_since(&self, person: PersonId, since: Timestamp) -> StoreResult<i64> {
        let row = self
            .fetch_opt(
                sqlx::query(
                    "SELECT COUNT(*) AS n FROM transfers WHERE person_id = $1 AND created_at >= $2 \
                     AND status IN ('pending', 'completed')",
                )
                .bind(person.to_string())
                .bind(since.millis()),
            )
            .await?;
        row.as_ref().map_or(Ok(0), |r| int(r, "n"))
    }

    async fn transfer_pending(&self, person: PersonId) -> StoreResult<bool> {
        let row = self
            .fetch_opt(
                sqlx::query("SELECT 1 AS one FROM transfers WHERE person_id = $1 AND status = 'pending' LIMIT 1")
                    .bind(person.to_string()),
            )
            .await?;
        Ok(row.is_some())
    }

    async fn transfers_insert(
        &self,
        ts: &[TransferRecord],
        created_by: AccountId,
        events: &[EventRecord],
    ) -> StoreResult<()> {
        let mut tx = self.begin().await?;
        for t in ts {
            exec(
                &mut tx,
                sqlx::query(
                    "INSERT INTO transfers (id, org_id, batch_id, person_id, from_contact_id, from_staff, to_staff, kind, \
                     message, note, status, created_by, created_at, due_at) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, 'pending', $11, $12, $13)",
                )
                .bind(t.id.to_string())
                .bind(t.org_id.to_string())
                .bind(t.batch.to_string())
                .bind(t.person_id.to_string())
                .bind(t.from_contact.to_string())
                .bind(t.from_staff.to_string())
                .bind(t.to_staff.to_string())
                .bind(t.kind.as_str())
                .bind(t.message.clone())
                .bind(t.note.clone())
                .bind(created_by.to_string())
                .bind(t.created_at.millis())
                .bind(t.due_at.millis()),
            )
            .await?;
        }
        for e in events {
            Self::insert_event(&mut tx, e).await?;
        }
        tx.commit().await.map_err(backend)
    }

    async fn transfer_get(
        &self,
        org: OrgId,
        id: TransferId,
    ) -> StoreResult<Option<TransferRecord>> {
        Ok(self
            .transfers_where(
                "t.id = $1 AND t.org_id = $2",
                &[id.to_string(), org.to_string()],
            )
            .await?
            .pop())
    }

    async fn transfer_list(
        &self,
        org: OrgId,
        page: &PageRequest,
    ) -> StoreResult<Page<TransferRecord>> {
        let sql = format!("{SELECT} WHERE t.org_id = $1");
        self.keyset_page(
            &sql,
            &[org.to_string()],
            ("t.id", true),
            page,
            transfer,
            |t| t.id.to_string(),
        )
        .await
    }

    async fn transfers_of_account(&self, account: AccountId) -> StoreResult<Vec<TransferRecord>> {
        self.transfers_where(
            "p.account_id = $1 AND t.status = 'pending' ORDER BY t.id DESC LIMIT 50",
            &[account.to_string()],
        )
        .await
    }

    async fn transfer_refuse(
        &self,
        t: &TransferRecord,
        end: bool,
        now: Timestamp,
        events: &[EventRecord],
    ) -> StoreResult<bool> {
        let mut tx = self.begin().await?;
        if !decide(&mut tx, t.id, "refused", "", now).await? {
            return Ok(false);
        }
        if end {
            end_contact(&mut tx, t.from_contact, "resigned", now).await?;
        }
        for e in events {
            Self::insert_event(&mut tx, e).await?;
        }
        tx.commit().await.map_err(backend)?;
        Ok(true)
    }

    async fn transfers_due(&self, now: Timestamp, limit: i64) -> StoreResult<Vec<TransferRecord>> {
        self.transfers_where(
            "t.status = 'pending' AND t.due_at <= CAST($1 AS BIGINT) ORDER BY t.due_at LIMIT CAST($2 AS BIGINT)",
            &[now.millis().to_string(), limit.to_string()],
        )
        .await
    }

    async fn transfer_complete(
        &self,
        t: &TransferRecord,
        new_contact: ContactId,
        cap: i64,
        now: Timestamp,
        events: &[EventRecord],
    ) -> StoreResult<CompleteOutcome> {
        let mut tx = self.begin().await?;
        if !decide(&mut tx, t.id, "completed", "", now).await? {
            return Ok(CompleteOutcome::AlreadyDecided);
        }
        if !end_contact(&mut tx, t.from_contact, "transfer", now).await? {
            return Ok(CompleteOutcome::ContactEnded);
        }
        let live = sqlx::query(
            "SELECT id FROM contacts WHERE org_id = $1 AND staff_id = $2 AND person_id = $3 AND removed_at IS NULL",
        )
        .bind(t.org_id.to_string())
        .bind(t.to_staff.to_string())
        .bind(t.person_id.to_string())
        .fetch_optional(&mut *tx)
        .await
        .map_err(backend)?;
        let receiving = match &live {
            Some(r) => text(r, "id")?,
            None => new_contact.to_string(),
        };
        if live.is_none() {
            if !take_place(&mut tx, t.org_id.to_string(), t.to_staff.to_string(), cap).await? {
                // Rolled back on drop: the customer stays where they were.
                return Ok(CompleteOutcome::ReceiverAtCap);
            }
            exec(
                &mut tx,
                sqlx::query(
                    "INSERT INTO contacts (id, org_id, staff_id, person_id, source, added_at, last_talked_at) \
                     VALUES ($1, $2, $3, $4, 'transfer', $5, $5)",
                )
                .bind(new_contact.to_string())
                .bind(t.org_id.to_string())
                .bind(t.to_staff.to_string())
                .bind(t.person_id.to_string())
                .bind(now.millis()),
            )
            .await?;
        }
        // The customer's journeys walk on with the receiver (unless the receiver's
        // own contact walks that journey already).
        exec(
            &mut tx,
            sqlx::query(
                "UPDATE journey_runs SET contact_id = $2 WHERE contact_id = $1 AND status = 'running' \
                 AND NOT EXISTS (SELECT 1 FROM journey_runs o WHERE o.journey_id = journey_runs.journey_id AND o.contact_id = $2)",
            )
            .bind(t.from_contact.to_string())
            .bind(receiving),
        )
        .await?;
        for e in events {
            Self::insert_event(&mut tx, e).await?;
        }
        tx.commit().await.map_err(backend)?;
        Ok(CompleteOutcome::Completed)
    }

    async fn transfer_fail(
        &self,
        id: TransferId,
        reason: &str,
        now: Timestamp,
    ) -> StoreResult<bool> {
        let mut tx = self.begin().await?;
        let done = decide(&mut tx, id, "failed", reason, now).await?;
        tx.commit().await.map_err(backend)?;
        Ok(done)
    }
}
