//! Contacts and their per-staff counts, channel codes, and conversation messages.

use super::decode::{self as reach_rows, CODE_COLS, CONTACT_FROM, CONTACT_SELECT, MESSAGE_COLS};
use crate::moderation::exec;
use crate::rows::{self, backend, int, text};
use crate::store::{SqlStore, Tx};
use quan_core::{
    AddOutcome, ChannelCodeRecord, ContactRecord, EventRecord, NewContact, Page, PageRequest,
    ReachMessageRecord, StaffLoad, StoreError, StoreResult,
};
use quan_domain::{
    AccountId, ChannelCodeId, ContactId, OrgId, PersonId, ReachMessageId, Timestamp,
};

async fn contact_in(tx: &mut Tx, id: ContactId) -> StoreResult<ContactRecord> {
    let sql = format!("{CONTACT_SELECT}{CONTACT_FROM} WHERE c.id = $1");
    let row = sqlx::query(&sql)
        .bind(id.to_string())
        .fetch_one(&mut **tx)
        .await
        .map_err(backend)?;
    reach_rows::contact(&row)
}

/// Takes one of a staff member's places under `cap`: the count moves only while
/// below it, so concurrent adds never pass the cap. False when at the cap.
pub(super) async fn take_place(
    tx: &mut Tx,
    org: String,
    staff: String,
    cap: i64,
) -> StoreResult<bool> {
    let n = exec(
        tx,
        sqlx::query(
            "INSERT INTO contact_counts (org_id, staff_id, n) VALUES ($1, $2, 1) \
             ON CONFLICT (org_id, staff_id) DO UPDATE SET n = contact_counts.n + 1 WHERE contact_counts.n < $3",
        )
        .bind(org)
        .bind(staff)
        .bind(cap),
    )
    .await?;
    Ok(n == 1)
}

/// Gives a staff member's place back when one of their contacts ends.
pub(super) async fn give_place(tx: &mut Tx, org: String, staff: String) -> StoreResult<()> {
    exec(
        tx,
        sqlx::query(
            "UPDATE contact_counts SET n = n - 1 WHERE org_id = $1 AND staff_id = $2 AND n > 0",
        )
        .bind(org)
        .bind(staff),
    )
    .await?;
    Ok(())
}

impl SqlStore {
    pub(crate) async fn reach_contact_add(
        &self,
        c: &NewContact,
        cap: i64,
        event: &EventRecord,
    ) -> StoreResult<AddOutcome> {
        let mut tx = self.begin().await?;
        let live = sqlx::query(
            "SELECT id FROM contacts WHERE org_id = $1 AND staff_id = $2 AND person_id = $3 AND removed_at IS NULL",
        )
        .bind(c.org.to_string())
        .bind(c.staff.to_string())
        .bind(c.person.to_string())
        .fetch_optional(&mut *tx)
        .await
        .map_err(backend)?;
        if let Some(r) = live {
            let found = contact_in(&mut tx, rows::id(&r, "id")?).await?;
            return Ok(AddOutcome::Existing(found));
        }
        if !take_place(&mut tx, c.org.to_string(), c.staff.to_string(), cap).await? {
            return Ok(AddOutcome::AtCap);
        }
        let inserted = exec(
            &mut tx,
            sqlx::query(
                "INSERT INTO contacts (id, org_id, staff_id, person_id, source, code_id, added_at, last_talked_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $7)",
            )
            .bind(c.id.to_string())
            .bind(c.org.to_string())
            .bind(c.staff.to_string())
            .bind(c.person.to_string())
            .bind(c.source.as_str())
            .bind(c.code.map(|k| k.to_string()))
            .bind(c.now.millis()),
        )
        .await;
        match inserted {
            Ok(_) => {}
            // The same pair added at the same moment elsewhere: theirs stands.
            Err(StoreError::Conflict { .. }) => {
                drop(tx);
                let found = self
                    .reach_contacts_of_person(c.org, c.person)
                    .await?
                    .into_iter()
                    .find(|x| x.staff_id == c.staff && x.removed_at.is_none())
                    .ok_or(StoreError::NotFound)?;
                return Ok(AddOutcome::Existing(found));
            }
            Err(e) => return Err(e),
        }
        if let Some(code) = c.code {
            exec(
                &mut tx,
                sqlx::query("UPDATE channel_codes SET adds = adds + 1 WHERE id = $1")
                    .bind(code.to_string()),
            )
            .await?;
        }
        Self::insert_event(&mut tx, event).await?;
        let made = contact_in(&mut tx, c.id).await?;
        tx.commit().await.map_err(backend)?;
        Ok(AddOutcome::Added(made))
    }

    pub(crate) async fn reach_contact_remove(
        &self,
        org: OrgId,
        id: ContactId,
        by: &str,
        now: Timestamp,
        event: &EventRecord,
    ) -> StoreResult<bool> {
        let mut tx = self.begin().await?;
        let row = sqlx::query(
            "UPDATE contacts SET removed_at = $3, removed_by = $4 \
             WHERE id = $1 AND org_id = $2 AND removed_at IS NULL RETURNING staff_id",
        )
        .bind(id.to_string())
        .bind(org.to_string())
        .bind(now.millis())
        .bind(by.to_owned())
        .fetch_optional(&mut *tx)
        .await
        .map_err(backend)?;
        let Some(row) = row else {
            return Ok(false);
        };
        give_place(&mut tx, org.to_string(), text(&row, "staff_id")?).await?;
        Self::insert_event(&mut tx, event).await?;
        tx.commit().await.map_err(backend)?;
        Ok(true)
    }

    pub(crate) async fn reach_contact_get(
        &self,
        org: OrgId,
        id: ContactId,
    ) -> StoreResult<Option<ContactRecord>> {
        let sql = format!("{CONTACT_SELECT}{CONTACT_FROM} WHERE c.id = $1 AND c.org_id = $2");
        self.fetch_opt(sqlx::query(&sql).bind(id.to_string()).bind(org.to_string()))
            .await?
            .as_ref()
            .map(reach_rows::contact)
            .transpose()
    }

    pub(crate) async fn reach_contact_list(
        &self,
        org: OrgId,
        staff: Option<AccountId>,
        page: &PageRequest,
    ) -> StoreResult<Page<ContactRecord>> {
        let unread = ", (SELECT COUNT(*) FROM reach_messages m WHERE m.contact_id = c.id AND m.from_staff = 0 AND m.read_at IS NULL) AS unread";
        let mut binds = vec![org.to_string()];
        let mut sql = format!(
            "{CONTACT_SELECT}{unread}{CONTACT_FROM} WHERE c.org_id = $1 AND c.removed_at IS NULL"
        );
        if let Some(s) = staff {
            sql.push_str(" AND c.staff_id = $2");
            binds.push(s.to_string());
        }
        self.keyset_page(
            &sql,
            &binds,
            ("c.id", true),
            page,
            reach_rows::contact_unread,
            |c| c.id.to_string(),
        )
        .await
    }

    pub(crate) async fn reach_contacts_of_person(
        &self,
        org: OrgId,
        person: PersonId,
    ) -> StoreResult<Vec<ContactRecord>> {
        let sql = format!(
            "{CONTACT_SELECT}{CONTACT_FROM} WHERE c.person_id = $1 AND c.org_id = $2 ORDER BY c.id DESC"
        );
        self.fetch_all(
            sqlx::query(&sql)
                .bind(person.to_string())
                .bind(org.to_string()),
        )
        .await?
        .iter()
        .map(reach_rows::contact)
        .collect()
    }

    pub(crate) async fn reach_contacts_of_account(
        &self,
        account: AccountId,
        now: Timestamp,
    ) -> StoreResult<Vec<ContactRecord>> {
        let sql = format!(
            "{CONTACT_SELECT}, (SELECT COUNT(*) FROM reach_messages m WHERE m.contact_id = c.id AND m.from_staff = 1 \
               AND m.read_at IS NULL AND m.visible_at <= $2) AS unread{CONTACT_FROM} \
             WHERE p.account_id = $1 AND c.removed_at IS NULL ORDER BY c.last_talked_at DESC, c.id DESC LIMIT 200"
        );
        self.fetch_all(
            sqlx::query(&sql)
                .bind(account.to_string())
                .bind(now.millis()),
        )
        .await?
        .iter()
        .map(reach_rows::contact_unread)
        .collect()
    }

    pub(crate) async fn reach_staff_loads(&self, org: OrgId) -> StoreResult<Vec<StaffLoad>> {
        let rows = self
            .fetch_all(
                sqlx::query(
                    "SELECT s.account_id, a.display_name, COALESCE(cc.n, 0) AS n, \
                       (SELECT COUNT(*) FROM reach_messages m JOIN contacts c ON c.id = m.contact_id \
                          WHERE c.org_id = s.org_id AND c.staff_id = s.account_id AND m.kind IN ('campaign', 'journey')) \
                        + (SELECT COUNT(*) FROM moment_views v JOIN moments o ON o.id = v.moment_id \
                          WHERE o.org_id = s.org_id AND o.staff_id = s.account_id) AS delivered, \
                       (SELECT COUNT(*) FROM campaign_negatives g JOIN campaigns k ON k.id = g.campaign_id \
                          WHERE k.org_id = s.org_id AND g.staff_id = s.account_id) \
                        + (SELECT COUNT(*) FROM journey_negatives g JOIN journeys j ON j.id = g.journey_id \
                          WHERE j.org_id = s.org_id AND g.staff_id = s.account_id) \
                        + (SELECT COUNT(*) FROM moment_negatives g JOIN moments o ON o.id = g.moment_id \
                          WHERE o.org_id = s.org_id AND g.staff_id = s.account_id) AS negatives \
                     FROM staff s \
                     JOIN accounts a ON a.id = s.account_id \
                     LEFT JOIN contact_counts cc ON cc.org_id = s.org_id AND cc.staff_id = s.account_id \
                     WHERE s.org_id = $1 ORDER BY n DESC, a.display_name",
                )
                .bind(org.to_string()),
            )
            .await?;
        rows.iter()
            .map(|r| {
                Ok(StaffLoad {
                    staff_id: rows::id(r, "account_id")?,
                    name: text(r, "display_name")?,
                    contacts: int(r, "n")?,
                    delivered: int(r, "delivered")?,
                    negatives: int(r, "negatives")?,
                })
            })
            .collect()
    }

    pub(crate) async fn reach_code_insert(
        &self,
        c: &ChannelCodeRecord,
        event: &EventRecord,
    ) -> StoreResult<()> {
        let staff: Vec<String> = c.staff.iter().map(ToString::to_string).collect();
        let mut tx = self.begin().await?;
        exec(
            &mut tx,
            sqlx::query(
                "INSERT INTO channel_codes (id, org_id, slug, name, mode, staff, backup_id, tags, welcome, created_by, created_at, shifts) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)",
            )
            .bind(c.id.to_string())
            .bind(c.org_id.to_string())
            .bind(c.slug.clone())
            .bind(c.name.clone())
            .bind(c.mode.as_str())
            .bind(serde_json::json!(staff).to_string())
            .bind(c.backup.map(|b| b.to_string()))
            .bind(serde_json::json!(c.tags).to_string())
            .bind(c.welcome.clone())
            .bind(event.actor.map(|a| a.to_string()))
            .bind(c.created_at.millis())
            .bind(
                serde_json::json!(
                    c.shifts
                        .iter()
                        .map(|(who, s)| (who.to_string(), s.to_string()))
                        .collect::<Vec<_>>()
                )
                .to_string(),
            ),
        )
        .await?;
        Self::insert_event(&mut tx, event).await?;
        tx.commit().await.map_err(backend)
    }

    pub(crate) async fn reach_code_where(
        &self,
        cond: &str,
        binds: &[String],
    ) -> StoreResult<Vec<ChannelCodeRecord>> {
        let sql = format!("SELECT {CODE_COLS} FROM channel_codes WHERE {cond}");
        let mut q = sqlx::query(&sql);
        for b in binds {
            q = q.bind(b.clone());
        }
        self.fetch_all(q)
            .await?
            .iter()
            .map(reach_rows::code)
            .collect()
    }

    pub(crate) async fn reach_code_open(&self, id: ChannelCodeId) -> StoreResult<i64> {
        let mut tx = self.begin().await?;
        let row = sqlx::query(
            "UPDATE channel_codes SET opens = opens + 1, turn = turn + 1 WHERE id = $1 RETURNING turn",
        )
        .bind(id.to_string())
        .fetch_optional(&mut *tx)
        .await
        .map_err(backend)?
        .ok_or(StoreError::NotFound)?;
        tx.commit().await.map_err(backend)?;
        Ok(int(&row, "turn")? - 1)
    }

    /// Inserts a message in a transaction (unless its dedupe key exists); true if
    /// it did. A conversation message moves the contact's `last_talked_at`.
    pub(crate) async fn reach_message_in(tx: &mut Tx, m: &ReachMessageRecord) -> StoreResult<bool> {
        let n = exec(
            tx,
            sqlx::query(&format!(
                "INSERT INTO reach_messages ({MESSAGE_COLS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) \
                 ON CONFLICT (dedupe) DO NOTHING"
            ))
            .bind(m.id.to_string())
            .bind(m.org_id.to_string())
            .bind(m.contact_id.to_string())
            .bind(i64::from(m.from_staff))
            .bind(m.kind.as_str())
            .bind(m.body.clone())
            .bind(m.campaign_id.map(|c| c.to_string()))
            .bind(m.dedupe.clone())
            .bind(m.created_at.millis())
            .bind(m.visible_at.millis())
            .bind(m.read_at.map(|t| t.millis())),
        )
        .await?;
        if n == 1 && m.kind == quan_core::MessageKind::Message {
            exec(
                tx,
                sqlx::query("UPDATE contacts SET last_talked_at = $2 WHERE id = $1")
                    .bind(m.contact_id.to_string())
                    .bind(m.created_at.millis()),
            )
            .await?;
        }
        Ok(n == 1)
    }

    pub(crate) async fn reach_messages_list(
        &self,
        contact: ContactId,
        now: Timestamp,
        before: Option<ReachMessageId>,
        limit: i64,
    ) -> StoreResult<Vec<ReachMessageRecord>> {
        let cond = if before.is_some() { " AND id < $4" } else { "" };
        let sql = format!(
            "SELECT {MESSAGE_COLS} FROM reach_messages WHERE contact_id = $1 AND visible_at <= $2{cond} ORDER BY id DESC LIMIT $3"
        );
        let mut q = sqlx::query(&sql)
            .bind(contact.to_string())
            .bind(now.millis())
            .bind(limit);
        if let Some(b) = before {
            q = q.bind(b.to_string());
        }
        self.fetch_all(q)
            .await?
            .iter()
            .map(reach_rows::message)
            .collect()
    }
}

impl SqlStore {
    pub(crate) async fn reach_person_erase(
        &self,
        org: OrgId,
        person: PersonId,
        placeholder: &str,
        now: Timestamp,
        event: &EventRecord,
    ) -> StoreResult<()> {
        let (o, p) = (org.to_string(), person.to_string());
        let mut tx = self.begin().await?;
        exec(
            &mut tx,
            sqlx::query("UPDATE persons SET display_name = $3 WHERE id = $1 AND org_id = $2")
                .bind(p.clone())
                .bind(o.clone())
                .bind(placeholder.to_owned()),
        )
        .await?;
        for sql in [
            "DELETE FROM handles WHERE person_id = $1 AND org_id = $2",
            "DELETE FROM person_tags WHERE person_id = $1 AND org_id = $2",
            "UPDATE reach_messages SET body = '' WHERE from_staff = 0 AND org_id = $2 \
               AND contact_id IN (SELECT id FROM contacts WHERE person_id = $1)",
            // What they said on moments, and that they liked any.
            "UPDATE moment_comments SET body = '' WHERE person_id = $1 \
               AND moment_id IN (SELECT id FROM moments WHERE org_id = $2)",
            "DELETE FROM moment_likes WHERE person_id = $1 \
               AND moment_id IN (SELECT id FROM moments WHERE org_id = $2)",
        ] {
            exec(&mut tx, sqlx::query(sql).bind(p.clone()).bind(o.clone())).await?;
        }
        let ended = sqlx::query(
            "UPDATE contacts SET removed_at = $3, removed_by = 'erased' \
             WHERE person_id = $1 AND org_id = $2 AND removed_at IS NULL RETURNING staff_id",
        )
        .bind(p.clone())
        .bind(o.clone())
        .bind(now.millis())
        .fetch_all(&mut *tx)
        .await
        .map_err(backend)?;
        for r in &ended {
            give_place(&mut tx, o.clone(), text(r, "staff_id")?).await?;
        }
        exec(
            &mut tx,
            sqlx::query(
                "INSERT INTO reach_consent (org_id, person_id, opted_out, no_journeys, no_moments, updated_at) \
                 VALUES ($1, $2, 1, 1, 1, $3) ON CONFLICT (org_id, person_id) DO UPDATE SET opted_out = 1, \
                 no_journeys = 1, no_moments = 1, updated_at = excluded.updated_at",
            )
            .bind(o.clone())
            .bind(p.clone())
            .bind(now.millis()),
        )
        .await?;
        Self::insert_event(&mut tx, event).await?;
        tx.commit().await.map_err(backend)
    }

    pub(crate) async fn reach_messages_of(
        &self,
        contact: ContactId,
    ) -> StoreResult<Vec<ReachMessageRecord>> {
        let sql = format!(
            "SELECT {MESSAGE_COLS} FROM reach_messages WHERE contact_id = $1 ORDER BY id LIMIT 10000"
        );
        self.fetch_all(sqlx::query(&sql).bind(contact.to_string()))
            .await?
            .iter()
            .map(reach_rows::message)
            .collect()
    }
}

impl SqlStore {
    pub(crate) async fn reach_persons_of_account(
        &self,
        account: AccountId,
    ) -> StoreResult<Vec<(PersonId, OrgId, String)>> {
        let rows = self
            .fetch_all(
                sqlx::query(
                    "SELECT p.id, p.org_id, o.name FROM persons p JOIN orgs o ON o.id = p.org_id \
                     WHERE p.account_id = $1 AND p.merged_into IS NULL ORDER BY o.name LIMIT 200",
                )
                .bind(account.to_string()),
            )
            .await?;
        rows.iter()
            .map(|r| Ok((rows::id(r, "id")?, rows::id(r, "org_id")?, text(r, "name")?)))
            .collect()
    }
}
