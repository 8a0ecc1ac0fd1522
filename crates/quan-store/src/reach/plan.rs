//! A campaign's plan: the audience query with each customer's verdict, the plan's
//! guarded set-based writes to the touch ledger, its counts, and its undoing.

use crate::moderation::exec;
use crate::rows::{self, backend, int, text};
use crate::store::SqlStore;
use quan_core::{EventRecord, PlanCounts, PlanWindow, Segment, StoreResult};
use quan_domain::{CampaignId, OrgId, PersonId, TouchVerdict};

/// Rows per multi-row statement of a plan (4 parameters each at most: well under
/// both engines' limits).
const PLAN_CHUNK: usize = 500;

/// The live contact a customer hears from: the one they last talked with.
const ROUTE: &str = "(SELECT c1.id FROM contacts c1 WHERE c1.person_id = p.id AND c1.org_id = $1 \
     AND c1.removed_at IS NULL ORDER BY c1.last_talked_at DESC, c1.id DESC LIMIT 1)";
/// Appends `$n` placeholders for `values` to `binds`, returning `($a, $b, …)`.
pub(super) fn list(binds: &mut Vec<String>, values: impl IntoIterator<Item = String>) -> String {
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

/// The org's budget for the period is spent, over the audience's `tc`, with the
/// period's limit at `$4`.
const ORG_SPENT: &str = "COALESCE(tc.used, 0) >= CAST($4 AS BIGINT)";

/// The customer asked for at most one message a week and had it, over the
/// audience's `rc`, with the week's key at placeholder `own`.
fn own_spent(own: &str) -> String {
    format!("(COALESCE(rc.weekly, 0) <> 0 AND rc.own_period = {own})")
}

/// A customer's verdict, as [`quan_domain::touch_verdict`] decides it (opt-out, then
/// the staff member's day, then the org's budget or their own week), over the
/// audience columns `rc`, `st`, `tc`, with their week's key at placeholder `own`.
fn verdict(own: &str) -> String {
    format!(
        "CASE WHEN COALESCE(rc.opted_out, 0) <> 0 THEN 'opted_out' \
         WHEN st.person_id IS NOT NULL THEN 'staff_daily' \
         WHEN {ORG_SPENT} OR {} THEN 'over_budget' ELSE 'send' END",
        own_spent(own)
    )
}

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

/// Reads `(outcome, n, routed, weekly)` rows into counts.
fn counts_of(rows: &[sqlx::any::AnyRow]) -> StoreResult<PlanCounts> {
    let mut counts = PlanCounts::default();
    for r in rows {
        let raw = text(r, "outcome")?;
        let outcome = TouchVerdict::parse(&raw).ok_or_else(|| rows::corrupt("outcome", &raw))?;
        counts.add(outcome, int(r, "n")?);
        match outcome {
            TouchVerdict::Send => counts.routed = int(r, "routed")?,
            TouchVerdict::OverBudget => counts.weekly = int(r, "weekly")?,
            TouchVerdict::StaffDaily | TouchVerdict::OptedOut => {}
        }
    }
    Ok(counts)
}

/// The `person_id`s a statement in the plan's transaction returns, as a set: what
/// a guarded write took, to tell whom it refused.
async fn person_ids(
    tx: &mut crate::store::Tx,
    sql: &str,
    binds: &[String],
) -> StoreResult<std::collections::BTreeSet<String>> {
    bind_all(sql, binds)
        .fetch_all(&mut **tx)
        .await
        .map_err(backend)?
        .iter()
        .map(|r| text(r, "person_id"))
        .collect()
}

pub(super) fn bind_all<'q>(
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
            w.own_period.clone(),
        ];
        let from = audience_from(segment, &mut binds, false);
        let routed = routed_sql(segment, &mut binds, "c.staff_id", "p.id");
        let (verdict, own) = (verdict("$6"), own_spent("$6"));
        let sql = format!(
            "SELECT v.outcome, COUNT(*) AS n, \
               COALESCE(SUM(CASE WHEN v.outcome = 'send' AND v.routed = 1 THEN 1 ELSE 0 END), 0) AS routed, \
               COALESCE(SUM(v.weekly), 0) AS weekly \
             FROM (SELECT {verdict} AS outcome, CASE WHEN {routed} THEN 1 ELSE 0 END AS routed, \
               CASE WHEN NOT ({ORG_SPENT}) AND {own} THEN 1 ELSE 0 END AS weekly {from}) v \
             GROUP BY v.outcome"
        );
        counts_of(&self.fetch_all(bind_all(&sql, &binds)).await?)
    }

    /// See [`quan_core::ReachStore::plan_range`]: the range is found on the persons
    /// index alone, then planned by a fixed number of statements whatever its size.
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
            w.own_period.clone(),
        ];
        let from = audience_from(segment, &mut binds, end.is_some());
        let verdict = verdict("$8");
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
                     FROM (SELECT p.id AS person_id, c.id AS contact_id, c.staff_id, {verdict} AS outcome {from}) a"
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
        let by_period = [
            o.clone(),
            w.period.clone(),
            c.clone(),
            after.clone(),
            end_s.clone(),
        ];
        let by_own = [o.clone(), w.own_period.clone(), c.clone(), after, end_s];
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
        // Their own week, for those who asked for at most one message a week: taken
        // only when it is not this week's already.
        let weekly_sql = format!(
            "SELECT r.person_id {range} AND EXISTS (SELECT 1 FROM reach_consent rc \
               WHERE rc.org_id = $1 AND rc.person_id = r.person_id AND rc.weekly <> 0)"
        );
        let weekly = person_ids(&mut tx, &weekly_sql, &by_own).await?;
        let own_taken = if weekly.is_empty() {
            std::collections::BTreeSet::new()
        } else {
            let take_sql = format!(
                "UPDATE reach_consent SET own_period = $2 WHERE org_id = $1 AND weekly <> 0 \
                   AND COALESCE(own_period, '') <> $2 AND person_id IN (SELECT r.person_id {range}) \
                 RETURNING person_id"
            );
            person_ids(&mut tx, &take_sql, &by_own).await?
        };
        let now_sends = {
            let r = bind_all(&count_sql, &by_day)
                .fetch_one(&mut *tx)
                .await
                .map_err(backend)?;
            int(&r, "n")?
        };
        let own_refused = weekly.len() - own_taken.len().min(weekly.len());
        if i64::try_from(taken.len()).unwrap_or(i64::MAX) < now_sends || own_refused > 0 {
            // A concurrent campaign spent these budgets (or weeks) first: over
            // budget, and whatever this plan took for them goes back.
            let ids_sql = format!("SELECT r.person_id {range}");
            let refused: Vec<String> = person_ids(&mut tx, &ids_sql, &by_day)
                .await?
                .into_iter()
                .filter(|p| !taken.contains(p) || (weekly.contains(p) && !own_taken.contains(p)))
                .collect();
            let gave = |set: &dyn Fn(&String) -> bool| {
                refused
                    .iter()
                    .filter(|p| set(p))
                    .cloned()
                    .collect::<Vec<_>>()
            };
            for (period, ids, sql) in [
                (
                    &w.period,
                    gave(&|p| taken.contains(p)),
                    "UPDATE touch_counts SET used = used - 1 WHERE org_id = $1 AND period = $2 AND person_id IN ",
                ),
                (
                    &w.own_period,
                    gave(&|p| own_taken.contains(p)),
                    "UPDATE reach_consent SET own_period = NULL WHERE org_id = $1 AND own_period = $2 AND person_id IN ",
                ),
            ] {
                for chunk in ids.chunks(PLAN_CHUNK) {
                    let mut b = vec![o.clone(), period.clone()];
                    let ids = list(&mut b, chunk.iter().cloned());
                    exec(&mut tx, bind_all(&format!("{sql}{ids}"), &b)).await?;
                }
            }
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
        w: &PlanWindow,
    ) -> StoreResult<PlanCounts> {
        let mut binds = vec![
            org.to_string(),
            campaign.to_string(),
            w.period.clone(),
            w.limit.to_string(),
            w.own_period.clone(),
        ];
        let routed = routed_sql(segment, &mut binds, "r.staff_id", "r.person_id");
        // Held back by their own week: as the preflight counts them, over budget
        // with the org's budget not spent.
        let sql = format!(
            "SELECT r.outcome, COUNT(*) AS n, \
               COALESCE(SUM(CASE WHEN r.outcome = 'send' AND {routed} THEN 1 ELSE 0 END), 0) AS routed, \
               COALESCE(SUM(CASE WHEN r.outcome = 'over_budget' AND EXISTS (SELECT 1 FROM reach_consent rc \
                   WHERE rc.org_id = $1 AND rc.person_id = r.person_id AND rc.weekly <> 0 AND rc.own_period = $5) \
                 AND NOT EXISTS (SELECT 1 FROM touch_counts tc WHERE tc.org_id = $1 AND tc.person_id = r.person_id \
                   AND tc.period = $3 AND tc.used >= CAST($4 AS BIGINT)) THEN 1 ELSE 0 END), 0) AS weekly \
             FROM campaign_recipients r WHERE r.campaign_id = $2 GROUP BY r.outcome"
        );
        counts_of(&self.fetch_all(bind_all(&sql, &binds)).await?)
    }

    pub(crate) async fn reach_campaign_abort(
        &self,
        org: OrgId,
        id: CampaignId,
        w: &PlanWindow,
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
        for (sql, period) in [
            (
                "UPDATE touch_counts SET used = used - 1 WHERE org_id = $1 AND period = $2 AND used > 0 \
                 AND person_id IN (SELECT person_id FROM campaign_recipients WHERE campaign_id = $3 AND outcome = 'send')",
                &w.period,
            ),
            // A week this plan took (a week taken elsewhere would have refused it).
            (
                "UPDATE reach_consent SET own_period = NULL WHERE org_id = $1 AND own_period = $2 \
                 AND person_id IN (SELECT person_id FROM campaign_recipients WHERE campaign_id = $3 AND outcome = 'send')",
                &w.own_period,
            ),
        ] {
            exec(
                &mut tx,
                sqlx::query(sql)
                    .bind(org.to_string())
                    .bind(period.clone())
                    .bind(id.to_string()),
            )
            .await?;
        }
        for sql in [
            "DELETE FROM staff_touches WHERE campaign_id = $1",
            "DELETE FROM campaign_recipients WHERE campaign_id = $1",
            // A room campaign's plan and its author's share (taken in the plan's
            // own transaction, before the step that failed).
            "DELETE FROM campaign_rooms WHERE campaign_id = $1",
            "DELETE FROM campaign_shares WHERE campaign_id = $1",
        ] {
            exec(&mut tx, sqlx::query(sql).bind(id.to_string())).await?;
        }
        Self::insert_event(&mut tx, event).await?;
        tx.commit().await.map_err(backend)?;
        Ok(true)
    }
}
