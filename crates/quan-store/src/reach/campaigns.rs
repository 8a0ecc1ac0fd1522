//! Campaigns: the audience query, the plan's guarded writes to the touch ledger,
//! shares and their confirmation.

use super::decode::{self as reach_rows, CAMPAIGN_COLS};
use crate::moderation::exec;
use crate::rows::{self, backend, flag, int, text};
use crate::store::SqlStore;
use quan_core::{
    AudienceRow, CampaignRecord, CampaignResults, EventRecord, NegativeHit, PlanCounts, PlanWindow,
    ReachMessageRecord, Segment, ShareRecord, StoreResult,
};
use quan_domain::{AccountId, CampaignId, ContactId, OrgId, PersonId, Timestamp, TouchVerdict};

/// Rows per multi-row statement of a plan (4 parameters each at most: well under
/// both engines' limits).
const PLAN_CHUNK: usize = 500;

/// The live contact a customer hears from: the one they last talked with.
const ROUTE: &str = "(SELECT c1.id FROM contacts c1 WHERE c1.person_id = p.id AND c1.org_id = $1 \
     AND c1.removed_at IS NULL ORDER BY c1.last_talked_at DESC, c1.id DESC LIMIT 1)";
/// Their first live contact's staff member.
const OWNER: &str = "(SELECT c2.staff_id FROM contacts c2 WHERE c2.person_id = p.id AND c2.org_id = $1 \
     AND c2.removed_at IS NULL ORDER BY c2.added_at, c2.id LIMIT 1)";

/// Appends `$n` placeholders for `values` to `binds`, returning `($a, $b, …)`.
fn list(binds: &mut Vec<String>, values: impl IntoIterator<Item = String>) -> String {
    let marks: Vec<String> = values
        .into_iter()
        .map(|v| {
            binds.push(v);
            format!("${}", binds.len())
        })
        .collect();
    format!("({})", marks.join(", "))
}

/// The segment as conditions on `p` (persons), binding after `binds`.
fn segment_sql(s: &Segment, binds: &mut Vec<String>) -> String {
    let mut sql = String::new();
    let has_tag = "EXISTS (SELECT 1 FROM person_tags t WHERE t.person_id = p.id AND t.tag IN ";
    for t in &s.tags_all {
        sql.push_str(&format!(" AND {has_tag}{})", list(binds, [t.clone()])));
    }
    if !s.tags_any.is_empty() {
        sql.push_str(&format!(
            " AND {has_tag}{})",
            list(binds, s.tags_any.clone())
        ));
    }
    if !s.tags_none.is_empty() {
        sql.push_str(&format!(
            " AND NOT {has_tag}{})",
            list(binds, s.tags_none.clone())
        ));
    }
    if !s.stages.is_empty() {
        sql.push_str(&format!(
            " AND p.stage IN {}",
            list(binds, s.stages.clone())
        ));
    }
    if !s.staff.is_empty() {
        let staff = list(binds, s.staff.iter().map(ToString::to_string));
        sql.push_str(&format!(
            " AND EXISTS (SELECT 1 FROM contacts c3 WHERE c3.person_id = p.id AND c3.org_id = $1 \
               AND c3.removed_at IS NULL AND c3.staff_id IN {staff})"
        ));
    }
    if let Some(circle) = s.circle {
        let m = list(binds, [circle.to_string()]);
        sql.push_str(&format!(
            " AND EXISTS (SELECT 1 FROM circle_members m WHERE m.person_id = p.id AND m.circle_id IN {m} AND m.status = 'active')"
        ));
    }
    if s.added_from.is_some() || s.added_to.is_some() {
        let from = list(binds, [s.added_from.unwrap_or(i64::MIN).to_string()]);
        let to = list(binds, [s.added_to.unwrap_or(i64::MAX).to_string()]);
        sql.push_str(&format!(
            " AND EXISTS (SELECT 1 FROM contacts c4 WHERE c4.person_id = p.id AND c4.org_id = $1 \
               AND c4.removed_at IS NULL AND c4.added_at >= CAST({from} AS BIGINT) AND c4.added_at < CAST({to} AS BIGINT))"
        ));
    }
    sql
}

impl SqlStore {
    pub(crate) async fn reach_audience(
        &self,
        org: OrgId,
        segment: &Segment,
        w: &PlanWindow,
        after: Option<PersonId>,
        limit: i64,
    ) -> StoreResult<Vec<AudienceRow>> {
        // $1 org, $2 period, $3 day, $4 after, $5 limit; the segment's from $6.
        let mut binds = vec![
            org.to_string(),
            w.period.clone(),
            w.day.clone(),
            after.map_or_else(String::new, |a| a.to_string()),
            String::new(),
        ];
        let cond = segment_sql(segment, &mut binds);
        let sql = format!(
            "SELECT p.id AS person_id, p.display_name, COALESCE(rc.opted_out, 0) AS opted_out, \
               c.id AS contact_id, c.staff_id, a.display_name AS staff_name, {OWNER} AS owner_id, \
               COALESCE(tc.used, 0) AS used, CAST(CASE WHEN st.person_id IS NULL THEN 0 ELSE 1 END AS BIGINT) AS staff_touched \
             FROM persons p \
             JOIN contacts c ON c.id = {ROUTE} \
             JOIN accounts a ON a.id = c.staff_id \
             LEFT JOIN reach_consent rc ON rc.org_id = $1 AND rc.person_id = p.id \
             LEFT JOIN touch_counts tc ON tc.org_id = $1 AND tc.person_id = p.id AND tc.period = $2 \
             LEFT JOIN staff_touches st ON st.org_id = $1 AND st.staff_id = c.staff_id AND st.person_id = p.id AND st.day = $3 \
             WHERE p.org_id = $1 AND p.merged_into IS NULL AND p.id > $4{cond} \
             ORDER BY p.id LIMIT CAST($5 AS BIGINT)"
        );
        binds[4] = limit.to_string();
        let mut q = sqlx::query(&sql);
        for b in &binds {
            q = q.bind(b.clone());
        }
        self.fetch_all(q)
            .await?
            .iter()
            .map(|r| {
                Ok(AudienceRow {
                    person: rows::id(r, "person_id")?,
                    name: text(r, "display_name")?,
                    opted_out: flag(r, "opted_out")?,
                    contact: rows::id(r, "contact_id")?,
                    staff: rows::id(r, "staff_id")?,
                    staff_name: text(r, "staff_name")?,
                    owner: rows::id(r, "owner_id")?,
                    used: int(r, "used")?,
                    staff_touched: flag(r, "staff_touched")?,
                })
            })
            .collect()
    }

    /// One batch of a plan in one transaction and four multi-row statements: take
    /// the staff members' day for every planned send, take a touch of the budget for
    /// those that got their day (a guarded upsert: only below the limit), give the day
    /// back where the budget refused, and record every row's outcome. Rows go in
    /// person order, so concurrent plans lock in one order.
    pub(crate) async fn reach_plan_batch(
        &self,
        org: OrgId,
        campaign: CampaignId,
        w: &PlanWindow,
        rows: &[(AudienceRow, TouchVerdict)],
    ) -> StoreResult<Vec<TouchVerdict>> {
        use std::collections::HashSet;
        let mut tx = self.begin().await?;
        let mut out: Vec<TouchVerdict> = rows.iter().map(|(_, v)| *v).collect();
        let sends: Vec<&AudienceRow> = rows
            .iter()
            .filter(|(_, v)| *v == TouchVerdict::Send)
            .map(|(r, _)| r)
            .collect();
        let (o, c) = (org.to_string(), campaign.to_string());
        let mut got_day: HashSet<PersonId> = HashSet::new();
        let mut took: HashSet<PersonId> = HashSet::new();
        for chunk in sends.chunks(PLAN_CHUNK) {
            // $1 org, $2 day, $3 campaign; then (staff, person) pairs.
            let marks: Vec<String> = (0..chunk.len())
                .map(|i| format!("($1, ${}, ${}, $2, $3)", 4 + 2 * i, 5 + 2 * i))
                .collect();
            let sql = format!(
                "INSERT INTO staff_touches (org_id, staff_id, person_id, day, campaign_id) VALUES {} \
                 ON CONFLICT (org_id, staff_id, person_id, day) DO NOTHING RETURNING person_id",
                marks.join(", ")
            );
            let mut q = sqlx::query(&sql)
                .bind(o.clone())
                .bind(w.day.clone())
                .bind(c.clone());
            for r in chunk {
                q = q.bind(r.staff.to_string()).bind(r.person.to_string());
            }
            for row in q.fetch_all(&mut *tx).await.map_err(backend)? {
                got_day.insert(rows::id(&row, "person_id")?);
            }
            let day: Vec<&&AudienceRow> = chunk
                .iter()
                .filter(|r| got_day.contains(&r.person))
                .collect();
            if day.is_empty() {
                continue;
            }
            // $1 org, $2 period, $3 limit; then persons.
            let marks: Vec<String> = (0..day.len())
                .map(|i| format!("($1, ${}, $2, 1)", 4 + i))
                .collect();
            let sql = format!(
                "INSERT INTO touch_counts (org_id, person_id, period, used) VALUES {} \
                 ON CONFLICT (org_id, person_id, period) DO UPDATE SET used = touch_counts.used + 1 \
                 WHERE touch_counts.used < $3 RETURNING person_id",
                marks.join(", ")
            );
            let mut q = sqlx::query(&sql)
                .bind(o.clone())
                .bind(w.period.clone())
                .bind(w.limit);
            for r in &day {
                q = q.bind(r.person.to_string());
            }
            for row in q.fetch_all(&mut *tx).await.map_err(backend)? {
                took.insert(rows::id(&row, "person_id")?);
            }
            // The budget refused these: their day goes back to their staff member.
            let back: Vec<&&&AudienceRow> =
                day.iter().filter(|r| !took.contains(&r.person)).collect();
            if !back.is_empty() {
                // Exactly the rows this batch made: (staff, person) of the day.
                let marks: Vec<String> = (0..back.len())
                    .map(|i| format!("(staff_id = ${} AND person_id = ${})", 3 + 2 * i, 4 + 2 * i))
                    .collect();
                let sql = format!(
                    "DELETE FROM staff_touches WHERE org_id = $1 AND day = $2 AND ({})",
                    marks.join(" OR ")
                );
                let mut q = sqlx::query(&sql).bind(o.clone()).bind(w.day.clone());
                for r in &back {
                    q = q.bind(r.staff.to_string()).bind(r.person.to_string());
                }
                exec(&mut tx, q).await?;
            }
        }
        for (k, (r, v)) in rows.iter().enumerate() {
            if *v == TouchVerdict::Send {
                out[k] = if !got_day.contains(&r.person) {
                    TouchVerdict::StaffDaily
                } else if !took.contains(&r.person) {
                    TouchVerdict::OverBudget
                } else {
                    TouchVerdict::Send
                };
            }
        }
        for chunk in rows.iter().zip(&out).collect::<Vec<_>>().chunks(PLAN_CHUNK) {
            // $1 campaign; then (person, contact, staff, outcome).
            let marks: Vec<String> = (0..chunk.len())
                .map(|i| {
                    format!(
                        "($1, ${}, ${}, ${}, ${})",
                        2 + 4 * i,
                        3 + 4 * i,
                        4 + 4 * i,
                        5 + 4 * i
                    )
                })
                .collect();
            let sql = format!(
                "INSERT INTO campaign_recipients (campaign_id, person_id, contact_id, staff_id, outcome) VALUES {}",
                marks.join(", ")
            );
            let mut q = sqlx::query(&sql).bind(c.clone());
            for ((r, _), v) in chunk {
                let send = **v == TouchVerdict::Send;
                q = q
                    .bind(r.person.to_string())
                    .bind(send.then(|| r.contact.to_string()))
                    .bind(send.then(|| r.staff.to_string()))
                    .bind(v.as_str());
            }
            exec(&mut tx, q).await?;
        }
        tx.commit().await.map_err(backend)?;
        Ok(out)
    }

    pub(crate) async fn reach_campaign_insert(
        &self,
        c: &CampaignRecord,
        event: &EventRecord,
    ) -> StoreResult<()> {
        let segment = reach_rows::segment_json(&c.segment);
        let mut tx = self.begin().await?;
        exec(
            &mut tx,
            sqlx::query(
                "INSERT INTO campaigns (id, org_id, name, template, segment, status, created_by, created_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
            )
            .bind(c.id.to_string())
            .bind(c.org_id.to_string())
            .bind(c.name.clone())
            .bind(c.template.clone())
            .bind(segment)
            .bind(c.status.as_str())
            .bind(c.created_by.map(|a| a.to_string()))
            .bind(c.created_at.millis()),
        )
        .await?;
        Self::insert_event(&mut tx, event).await?;
        tx.commit().await.map_err(backend)
    }

    pub(crate) async fn reach_campaign_get(
        &self,
        org: OrgId,
        id: CampaignId,
    ) -> StoreResult<Option<CampaignRecord>> {
        let sql = format!("SELECT {CAMPAIGN_COLS} FROM campaigns WHERE id = $1 AND org_id = $2");
        self.fetch_opt(sqlx::query(&sql).bind(id.to_string()).bind(org.to_string()))
            .await?
            .as_ref()
            .map(reach_rows::campaign)
            .transpose()
    }

    /// One statement in its own transaction, with its event when it changed a row.
    pub(crate) async fn reach_exec(
        &self,
        sql: &str,
        binds: &[String],
        then: Option<&EventRecord>,
    ) -> StoreResult<u64> {
        let mut tx = self.begin().await?;
        let mut q = sqlx::query(sql);
        for b in binds {
            q = q.bind(b.clone());
        }
        let n = exec(&mut tx, q).await?;
        if let Some(e) = then.filter(|_| n > 0) {
            Self::insert_event(&mut tx, e).await?;
        }
        tx.commit().await.map_err(backend)?;
        Ok(n)
    }

    pub(crate) async fn reach_campaign_planned(
        &self,
        org: OrgId,
        id: CampaignId,
        counts: &PlanCounts,
        send_at: Timestamp,
        event: &EventRecord,
    ) -> StoreResult<()> {
        let mut tx = self.begin().await?;
        exec(
            &mut tx,
            sqlx::query(
                "INSERT INTO campaign_shares (campaign_id, staff_id, recipients) \
                 SELECT campaign_id, staff_id, COUNT(*) FROM campaign_recipients \
                 WHERE campaign_id = $1 AND outcome = 'send' GROUP BY campaign_id, staff_id",
            )
            .bind(id.to_string()),
        )
        .await?;
        // Nothing to confirm: a campaign that reaches no one is done.
        let status = if counts.recipients == 0 {
            "sent"
        } else {
            "confirming"
        };
        exec(
            &mut tx,
            sqlx::query(
                "UPDATE campaigns SET status = $3, send_at = $4, recipients = $5, over_budget = $6, \
                 staff_daily = $7, opted_out = $8, routed = $9 WHERE id = $1 AND org_id = $2",
            )
            .bind(id.to_string())
            .bind(org.to_string())
            .bind(status)
            .bind(send_at.millis())
            .bind(counts.recipients)
            .bind(counts.over_budget)
            .bind(counts.staff_daily)
            .bind(counts.opted_out)
            .bind(counts.routed),
        )
        .await?;
        Self::insert_event(&mut tx, event).await?;
        tx.commit().await.map_err(backend)
    }

    pub(crate) async fn reach_campaign_shares(
        &self,
        id: CampaignId,
    ) -> StoreResult<Vec<ShareRecord>> {
        let rows = self
            .fetch_all(
                sqlx::query(
                    "SELECT s.staff_id, a.display_name, s.recipients, s.confirmed_at FROM campaign_shares s \
                     JOIN accounts a ON a.id = s.staff_id WHERE s.campaign_id = $1 ORDER BY s.recipients DESC, a.display_name",
                )
                .bind(id.to_string()),
            )
            .await?;
        rows.iter()
            .map(|r| {
                Ok(ShareRecord {
                    staff_id: rows::id(r, "staff_id")?,
                    staff_name: text(r, "display_name")?,
                    recipients: int(r, "recipients")?,
                    confirmed_at: rows::opt_ts(r, "confirmed_at")?,
                })
            })
            .collect()
    }

    pub(crate) async fn reach_share_recipients(
        &self,
        id: CampaignId,
        staff: AccountId,
    ) -> StoreResult<Vec<(ContactId, PersonId, String)>> {
        let rows = self
            .fetch_all(
                sqlx::query(
                    "SELECT r.contact_id, r.person_id, p.display_name FROM campaign_recipients r \
                     JOIN persons p ON p.id = r.person_id \
                     JOIN contacts c ON c.id = r.contact_id AND c.removed_at IS NULL \
                     LEFT JOIN reach_consent rc ON rc.org_id = c.org_id AND rc.person_id = r.person_id \
                     WHERE r.campaign_id = $1 AND r.staff_id = $2 AND r.outcome = 'send' \
                       AND COALESCE(rc.opted_out, 0) = 0 ORDER BY r.person_id",
                )
                .bind(id.to_string())
                .bind(staff.to_string()),
            )
            .await?;
        rows.iter()
            .map(|r| {
                Ok((
                    rows::id(r, "contact_id")?,
                    rows::id(r, "person_id")?,
                    text(r, "display_name")?,
                ))
            })
            .collect()
    }

    pub(crate) async fn reach_share_confirm(
        &self,
        org: OrgId,
        id: CampaignId,
        staff: AccountId,
        messages: &[ReachMessageRecord],
        now: Timestamp,
        event: &EventRecord,
    ) -> StoreResult<bool> {
        let mut tx = self.begin().await?;
        // A pause that landed since the caller looked wins: nothing goes out.
        let live = exec(
            &mut tx,
            sqlx::query("UPDATE campaigns SET status = status WHERE id = $1 AND org_id = $2 AND status = 'confirming'")
                .bind(id.to_string())
                .bind(org.to_string()),
        )
        .await?;
        if live == 0 {
            return Ok(false);
        }
        let n = exec(
            &mut tx,
            sqlx::query(
                "UPDATE campaign_shares SET confirmed_at = $3 WHERE campaign_id = $1 AND staff_id = $2 AND confirmed_at IS NULL",
            )
            .bind(id.to_string())
            .bind(staff.to_string())
            .bind(now.millis()),
        )
        .await?;
        if n == 0 {
            return Ok(false);
        }
        for m in messages {
            Self::reach_message_in(&mut tx, m).await?;
        }
        exec(
            &mut tx,
            sqlx::query(
                "UPDATE campaigns SET status = 'sent' WHERE id = $1 AND org_id = $2 AND status = 'confirming' AND NOT EXISTS \
                 (SELECT 1 FROM campaign_shares s WHERE s.campaign_id = $1 AND s.confirmed_at IS NULL)",
            )
            .bind(id.to_string())
            .bind(org.to_string()),
        )
        .await?;
        Self::insert_event(&mut tx, event).await?;
        tx.commit().await.map_err(backend)?;
        Ok(true)
    }

    pub(crate) async fn reach_campaign_results(
        &self,
        id: CampaignId,
    ) -> StoreResult<CampaignResults> {
        let r = self
            .fetch_opt(
                sqlx::query(
                    "SELECT COUNT(*) AS delivered, COUNT(read_at) AS seen, \
                     (SELECT COUNT(*) FROM campaign_negatives n WHERE n.campaign_id = $1) AS negatives \
                     FROM reach_messages WHERE campaign_id = $1",
                )
                .bind(id.to_string()),
            )
            .await?;
        Ok(match r {
            Some(r) => CampaignResults {
                delivered: int(&r, "delivered")?,
                read: int(&r, "seen")?,
                negatives: int(&r, "negatives")?,
            },
            None => CampaignResults::default(),
        })
    }
}

impl SqlStore {
    pub(crate) async fn reach_negative_record(
        &self,
        org: OrgId,
        person: PersonId,
        kind: &str,
        since: Timestamp,
        now: Timestamp,
        first_hour_ms: i64,
    ) -> StoreResult<Option<NegativeHit>> {
        let mut tx = self.begin().await?;
        let last = sqlx::query(
            "SELECT m.campaign_id, c.staff_id FROM reach_messages m JOIN contacts c ON c.id = m.contact_id \
             WHERE c.person_id = $1 AND c.org_id = $2 AND m.kind = 'campaign' AND m.visible_at >= $3 AND m.visible_at <= $4 \
             ORDER BY m.visible_at DESC, m.id DESC LIMIT 1",
        )
        .bind(person.to_string())
        .bind(org.to_string())
        .bind(since.millis())
        .bind(now.millis())
        .fetch_optional(&mut *tx)
        .await
        .map_err(backend)?;
        let Some(last) = last else {
            return Ok(None);
        };
        let campaign: CampaignId = rows::id(&last, "campaign_id")?;
        let added = exec(
            &mut tx,
            sqlx::query(
                "INSERT INTO campaign_negatives (campaign_id, person_id, staff_id, kind, at) VALUES ($1, $2, $3, $4, $5) \
                 ON CONFLICT (campaign_id, person_id) DO NOTHING",
            )
            .bind(campaign.to_string())
            .bind(person.to_string())
            .bind(text(&last, "staff_id")?)
            .bind(kind.to_owned())
            .bind(now.millis()),
        )
        .await?;
        if added == 0 {
            return Ok(None);
        }
        let r = sqlx::query(
            "SELECT k.name, k.created_by, COALESCE(k.send_at, k.created_at) AS shown, \
               (SELECT COUNT(*) FROM reach_messages m WHERE m.campaign_id = k.id) AS delivered, \
               (SELECT COUNT(*) FROM campaign_negatives n WHERE n.campaign_id = k.id \
                  AND n.at <= COALESCE(k.send_at, k.created_at) + $2) AS early \
             FROM campaigns k WHERE k.id = $1",
        )
        .bind(campaign.to_string())
        .bind(first_hour_ms)
        .fetch_one(&mut *tx)
        .await
        .map_err(backend)?;
        tx.commit().await.map_err(backend)?;
        let shown = int(&r, "shown")?;
        Ok(Some(NegativeHit {
            campaign,
            name: text(&r, "name")?,
            created_by: rows::opt_id(&r, "created_by")?,
            delivered: int(&r, "delivered")?,
            early: int(&r, "early")?,
            in_first_hour: now.millis() <= shown.saturating_add(first_hour_ms),
        }))
    }
}
