//! Campaigns: the audience query, the plan's guarded writes to the touch ledger,
//! shares and their confirmation.

use super::decode::{self as reach_rows, CAMPAIGN_COLS};
use crate::moderation::exec;
use crate::rows::{self, backend, int, text};
use crate::store::SqlStore;
use quan_core::{
    CampaignRecord, CampaignResults, EventRecord, NegativeHit, PlanCounts, PlanWindow,
    ReachMessageRecord, Segment, ShareRecipient, ShareRecord, StoreResult,
};
use quan_domain::{AccountId, CampaignId, OrgId, PersonId, Timestamp, TouchVerdict};

/// Rows per multi-row statement of a plan (4 parameters each at most: well under
/// both engines' limits).
const PLAN_CHUNK: usize = 500;

/// The live contact a customer hears from: the one they last talked with.
const ROUTE: &str = "(SELECT c1.id FROM contacts c1 WHERE c1.person_id = p.id AND c1.org_id = $1 \
     AND c1.removed_at IS NULL ORDER BY c1.last_talked_at DESC, c1.id DESC LIMIT 1)";
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

/// A customer's verdict, as [`quan_domain::touch_verdict`] decides it (opt-out, then
/// the staff member's day, then the budget), over the audience columns `rc`, `st`,
/// `tc`, with the period's limit at `$4`.
const VERDICT: &str = "CASE WHEN COALESCE(rc.opted_out, 0) <> 0 THEN 'opted_out' \
     WHEN st.person_id IS NOT NULL THEN 'staff_daily' \
     WHEN COALESCE(tc.used, 0) >= CAST($4 AS BIGINT) THEN 'over_budget' ELSE 'send' END";

/// The audience as rows of (`p`, routed contact `c`, consent `rc`, day `st`, budget
/// `tc`), for binds $1 org, $2 period, $3 day, $4 limit, $5 after, then `extra` more
/// before the segment's (`range_end` adds `p.id <= $6`).
fn audience_from(segment: &Segment, binds: &mut Vec<String>, range_end: bool) -> String {
    let end = if range_end { " AND p.id <= $6" } else { "" };
    let cond = segment_sql(segment, binds);
    format!(
        "FROM persons p \
         JOIN contacts c ON c.id = {ROUTE} \
         LEFT JOIN reach_consent rc ON rc.org_id = $1 AND rc.person_id = p.id \
         LEFT JOIN touch_counts tc ON tc.org_id = $1 AND tc.person_id = p.id AND tc.period = $2 \
         LEFT JOIN staff_touches st ON st.org_id = $1 AND st.staff_id = c.staff_id AND st.person_id = p.id AND st.day = $3 \
         WHERE p.org_id = $1 AND p.merged_into IS NULL AND p.id > $5{end}{cond}"
    )
}

/// Whether the customer hears from another staff member than the one the segment
/// chose them by (or, unfiltered, than their first), over `staff` for person `person`.
fn routed_sql(segment: &Segment, binds: &mut Vec<String>, staff: &str, person: &str) -> String {
    if segment.staff.is_empty() {
        format!(
            "{staff} <> (SELECT c2.staff_id FROM contacts c2 WHERE c2.person_id = {person} AND c2.org_id = $1 \
             AND c2.removed_at IS NULL ORDER BY c2.added_at, c2.id LIMIT 1)"
        )
    } else {
        format!(
            "{staff} NOT IN {}",
            list(binds, segment.staff.iter().map(ToString::to_string))
        )
    }
}

/// Reads `(outcome, n, routed)` rows into counts.
fn counts_of(rows: &[sqlx::any::AnyRow]) -> StoreResult<PlanCounts> {
    let mut counts = PlanCounts::default();
    for r in rows {
        let raw = text(r, "outcome")?;
        let outcome = TouchVerdict::parse(&raw).ok_or_else(|| rows::corrupt("outcome", &raw))?;
        counts.add(outcome, int(r, "n")?);
        if outcome == TouchVerdict::Send {
            counts.routed = int(r, "routed")?;
        }
    }
    Ok(counts)
}

fn bind_all<'q>(
    sql: &'q str,
    binds: &[String],
) -> sqlx::query::Query<'q, sqlx::Any, sqlx::any::AnyArguments<'q>> {
    let mut q = sqlx::query(sql);
    for b in binds {
        q = q.bind(b.clone());
    }
    q
}

impl SqlStore {
    pub(crate) async fn reach_audience_counts(
        &self,
        org: OrgId,
        segment: &Segment,
        w: &PlanWindow,
    ) -> StoreResult<PlanCounts> {
        let mut binds = vec![
            org.to_string(),
            w.period.clone(),
            w.day.clone(),
            w.limit.to_string(),
            String::new(),
        ];
        let from = audience_from(segment, &mut binds, false);
        let routed = routed_sql(segment, &mut binds, "c.staff_id", "p.id");
        let sql = format!(
            "SELECT v.outcome, COUNT(*) AS n, \
               COALESCE(SUM(CASE WHEN v.outcome = 'send' AND v.routed = 1 THEN 1 ELSE 0 END), 0) AS routed \
             FROM (SELECT {VERDICT} AS outcome, CASE WHEN {routed} THEN 1 ELSE 0 END AS routed {from}) v \
             GROUP BY v.outcome"
        );
        counts_of(&self.fetch_all(bind_all(&sql, &binds)).await?)
    }

    /// See [`quan_core::ReachStore::plan_range`]: the range is found on the persons
    /// index alone, then planned by five statements whatever its size.
    pub(crate) async fn reach_plan_range(
        &self,
        org: OrgId,
        campaign: CampaignId,
        segment: &Segment,
        w: &PlanWindow,
        after: Option<PersonId>,
        batch: i64,
    ) -> StoreResult<Option<PersonId>> {
        let (o, c) = (org.to_string(), campaign.to_string());
        let after = after.map_or_else(String::new, |a| a.to_string());
        // The range's last person, or None for a range that runs to the end.
        let end = self
            .fetch_opt(
                sqlx::query(
                    "SELECT id FROM persons WHERE org_id = $1 AND id > $2 ORDER BY id \
                     LIMIT 1 OFFSET CAST($3 AS BIGINT)",
                )
                .bind(o.clone())
                .bind(after.clone())
                .bind((batch.max(1) - 1).to_string()),
            )
            .await?
            .map(|r| text(&r, "id"))
            .transpose()?;
        let mut binds = vec![
            o.clone(),
            w.period.clone(),
            w.day.clone(),
            w.limit.to_string(),
            after.clone(),
            end.clone().unwrap_or_default(),
            c.clone(),
        ];
        let from = audience_from(segment, &mut binds, end.is_some());
        let upto = if end.is_some() {
            " AND r.person_id <= $5"
        } else {
            ""
        };
        let mut tx = self.begin().await?;
        exec(
            &mut tx,
            bind_all(
                &format!(
                    "INSERT INTO campaign_recipients (campaign_id, person_id, contact_id, staff_id, outcome) \
                     SELECT $7, a.person_id, CASE WHEN a.outcome = 'send' THEN a.contact_id END, \
                       CASE WHEN a.outcome = 'send' THEN a.staff_id END, a.outcome \
                     FROM (SELECT p.id AS person_id, c.id AS contact_id, c.staff_id, {VERDICT} AS outcome {from}) a"
                ),
                &binds,
            ),
        )
        .await?;
        // The sends of this range, by the same five binds in every statement below:
        // $1 org, $2 day or period, $3 campaign, $4 after, $5 end.
        let range = format!(
            "FROM campaign_recipients r WHERE r.campaign_id = $3 AND r.outcome = 'send' AND r.person_id > $4{upto}"
        );
        let end_s = end.clone().unwrap_or_default();
        let by_day = [
            o.clone(),
            w.day.clone(),
            c.clone(),
            after.clone(),
            end_s.clone(),
        ];
        let by_period = [o.clone(), w.period.clone(), c.clone(), after, end_s];
        let count_sql = format!("SELECT COUNT(*) AS n {range}");
        let sends = {
            let r = bind_all(&count_sql, &by_day)
                .fetch_one(&mut *tx)
                .await
                .map_err(backend)?;
            int(&r, "n")?
        };
        let end = end
            .map(|e| e.parse::<PersonId>())
            .transpose()
            .map_err(|e| rows::corrupt("id", e))?;
        if sends == 0 {
            tx.commit().await.map_err(backend)?;
            return Ok(end);
        }
        // The staff member's day: a customer a concurrent campaign reached through
        // them today is theirs; this plan records it as staff_daily.
        let day_sql = format!(
            "INSERT INTO staff_touches (org_id, staff_id, person_id, day, campaign_id) \
             SELECT $1, r.staff_id, r.person_id, $2, $3 {range} ORDER BY r.person_id \
             ON CONFLICT (org_id, staff_id, person_id, day) DO NOTHING"
        );
        let got_day = exec(&mut tx, bind_all(&day_sql, &by_day)).await?;
        if i64::try_from(got_day).unwrap_or(i64::MAX) < sends {
            let sql = format!(
                "UPDATE campaign_recipients SET outcome = 'staff_daily', contact_id = NULL, staff_id = NULL \
                 WHERE campaign_id = $3 AND outcome = 'send' AND person_id > $4{} AND NOT EXISTS \
                 (SELECT 1 FROM staff_touches st WHERE st.org_id = $1 AND st.day = $2 AND st.campaign_id = $3 \
                    AND st.staff_id = campaign_recipients.staff_id AND st.person_id = campaign_recipients.person_id)",
                upto.replace("r.person_id", "person_id")
            );
            exec(&mut tx, bind_all(&sql, &by_day)).await?;
        }
        // The budget: a guarded upsert takes a touch only below the limit.
        let budget_sql = format!(
            "INSERT INTO touch_counts (org_id, person_id, period, used) \
             SELECT $1, r.person_id, $2, 1 {range} ORDER BY r.person_id \
             ON CONFLICT (org_id, person_id, period) DO UPDATE SET used = touch_counts.used + 1 \
             WHERE touch_counts.used < {} RETURNING person_id",
            w.limit
        );
        let taken: std::collections::HashSet<String> = bind_all(&budget_sql, &by_period)
            .fetch_all(&mut *tx)
            .await
            .map_err(backend)?
            .iter()
            .map(|r| text(r, "person_id"))
            .collect::<StoreResult<_>>()?;
        let now_sends = {
            let r = bind_all(&count_sql, &by_day)
                .fetch_one(&mut *tx)
                .await
                .map_err(backend)?;
            int(&r, "n")?
        };
        if i64::try_from(taken.len()).unwrap_or(i64::MAX) < now_sends {
            // A concurrent campaign spent these budgets first: over budget, and the
            // staff member's day goes back.
            let ids_sql = format!("SELECT r.person_id {range}");
            let refused: Vec<String> = bind_all(&ids_sql, &by_day)
                .fetch_all(&mut *tx)
                .await
                .map_err(backend)?
                .iter()
                .map(|r| text(r, "person_id"))
                .collect::<StoreResult<Vec<_>>>()?
                .into_iter()
                .filter(|p| !taken.contains(p))
                .collect();
            for chunk in refused.chunks(PLAN_CHUNK) {
                let mut b = vec![c.clone()];
                let ids = list(&mut b, chunk.iter().cloned());
                exec(
                    &mut tx,
                    bind_all(
                        &format!(
                            "UPDATE campaign_recipients SET outcome = 'over_budget', contact_id = NULL, staff_id = NULL \
                             WHERE campaign_id = $1 AND person_id IN {ids}"
                        ),
                        &b,
                    ),
                )
                .await?;
                exec(
                    &mut tx,
                    bind_all(
                        &format!(
                            "DELETE FROM staff_touches WHERE campaign_id = $1 AND person_id IN {ids}"
                        ),
                        &b,
                    ),
                )
                .await?;
            }
        }
        tx.commit().await.map_err(backend)?;
        Ok(end)
    }

    pub(crate) async fn reach_plan_counts(
        &self,
        org: OrgId,
        campaign: CampaignId,
        segment: &Segment,
    ) -> StoreResult<PlanCounts> {
        let mut binds = vec![org.to_string(), campaign.to_string()];
        let routed = routed_sql(segment, &mut binds, "r.staff_id", "r.person_id");
        let sql = format!(
            "SELECT r.outcome, COUNT(*) AS n, \
               COALESCE(SUM(CASE WHEN r.outcome = 'send' AND {routed} THEN 1 ELSE 0 END), 0) AS routed \
             FROM campaign_recipients r WHERE r.campaign_id = $2 GROUP BY r.outcome"
        );
        counts_of(&self.fetch_all(bind_all(&sql, &binds)).await?)
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
                "INSERT INTO campaigns (id, org_id, name, template, segment, status, created_by, created_at, \
                 deliver_email, deliver_webhook, link_url, link_title) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)",
            )
            .bind(c.id.to_string())
            .bind(c.org_id.to_string())
            .bind(c.name.clone())
            .bind(c.template.clone())
            .bind(segment)
            .bind(c.status.as_str())
            .bind(c.created_by.map(|a| a.to_string()))
            .bind(c.created_at.millis())
            .bind(i64::from(c.channels.email))
            .bind(i64::from(c.channels.webhook))
            .bind(c.link.as_ref().map(|l| l.url.clone()))
            .bind(c.link.as_ref().map(|l| l.title.clone())),
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
    ) -> StoreResult<Vec<ShareRecipient>> {
        let rows = self
            .fetch_all(
                sqlx::query(
                    "SELECT r.contact_id, r.person_id, p.display_name, p.account_id FROM campaign_recipients r \
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
                Ok(ShareRecipient {
                    contact: rows::id(r, "contact_id")?,
                    person: rows::id(r, "person_id")?,
                    name: text(r, "display_name")?,
                    account: rows::opt_id(r, "account_id")?,
                })
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
        Self::reach_deliveries_in(&mut tx, id, staff).await?;
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
                    "SELECT COUNT(*) AS delivered, COUNT(read_at) AS seen, COUNT(clicked_at) AS clicked, \
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
                clicked: int(&r, "clicked")?,
                ..CampaignResults::default()
            },
            None => CampaignResults::default(),
        })
    }
}

impl SqlStore {
    pub(crate) async fn reach_campaign_abort(
        &self,
        org: OrgId,
        id: CampaignId,
        period: &str,
        event: &EventRecord,
    ) -> StoreResult<bool> {
        let mut tx = self.begin().await?;
        let planning = exec(
            &mut tx,
            sqlx::query(
                "UPDATE campaigns SET status = 'draft', planned_at = NULL, scheduled_for = NULL \
                 WHERE id = $1 AND org_id = $2 AND status = 'planning'",
            )
            .bind(id.to_string())
            .bind(org.to_string()),
        )
        .await?;
        if planning == 0 {
            return Ok(false);
        }
        exec(
            &mut tx,
            sqlx::query(
                "UPDATE touch_counts SET used = used - 1 WHERE org_id = $1 AND period = $2 AND used > 0 \
                 AND person_id IN (SELECT person_id FROM campaign_recipients WHERE campaign_id = $3 AND outcome = 'send')",
            )
            .bind(org.to_string())
            .bind(period.to_owned())
            .bind(id.to_string()),
        )
        .await?;
        for sql in [
            "DELETE FROM staff_touches WHERE campaign_id = $1",
            "DELETE FROM campaign_recipients WHERE campaign_id = $1",
        ] {
            exec(&mut tx, sqlx::query(sql).bind(id.to_string())).await?;
        }
        Self::insert_event(&mut tx, event).await?;
        tx.commit().await.map_err(backend)?;
        Ok(true)
    }

    pub(crate) async fn reach_negative_record(
        &self,
        org: OrgId,
        person: PersonId,
        kind: &str,
        blamed: &[quan_core::MessageKind],
        (since, now): (Timestamp, Timestamp),
        first_hour_ms: i64,
    ) -> StoreResult<Option<NegativeHit>> {
        let mut tx = self.begin().await?;
        // Which kinds of message may take the blame (an opt-out of journeys blames
        // a journey's message, not a campaign's), as placeholders after the four.
        let mut binds = vec![
            person.to_string(),
            org.to_string(),
            since.millis().to_string(),
            now.millis().to_string(),
        ];
        let kinds = list(&mut binds, blamed.iter().map(|k| k.as_str().to_owned()));
        let sql = format!(
            "SELECT m.kind, m.campaign_id, m.dedupe, c.staff_id FROM reach_messages m JOIN contacts c ON c.id = m.contact_id \
             WHERE c.person_id = $1 AND c.org_id = $2 AND m.kind IN {kinds} \
               AND m.visible_at >= CAST($3 AS BIGINT) AND m.visible_at <= CAST($4 AS BIGINT) \
             ORDER BY m.visible_at DESC, m.id DESC LIMIT 1"
        );
        if blamed.is_empty() {
            return Ok(None);
        }
        let last = bind_all(&sql, &binds)
            .fetch_optional(&mut *tx)
            .await
            .map_err(backend)?;
        let Some(last) = last else {
            return Ok(None);
        };
        if text(&last, "kind")? == "journey" {
            // A journey's step takes the blame (journeys are not paused by it).
            let run = rows::opt_text(&last, "dedupe")?
                .and_then(|d| d.split(':').nth(1).map(str::to_owned))
                .unwrap_or_default();
            exec(
                &mut tx,
                sqlx::query(
                    "INSERT INTO journey_negatives (journey_id, person_id, step, staff_id, kind, at) \
                     SELECT r.journey_id, $2, COALESCE(CAST($6 AS BIGINT), 0), $3, $4, $5 FROM journey_runs r WHERE r.id = $1 \
                     ON CONFLICT (journey_id, person_id) DO NOTHING",
                )
                .bind(run)
                .bind(person.to_string())
                .bind(text(&last, "staff_id")?)
                .bind(kind.to_owned())
                .bind(now.millis())
                .bind(
                    rows::opt_text(&last, "dedupe")?
                        .and_then(|d| d.split(':').nth(2).and_then(|s| s.parse::<i64>().ok())),
                ),
            )
            .await?;
            tx.commit().await.map_err(backend)?;
            return Ok(None);
        }
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
