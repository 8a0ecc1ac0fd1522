//! `JourneyStore` for `SqlStore`: journeys, their runs moved by guarded updates, the
//! ledger a journey's send meets, and the tasks journeys give staff.

use super::decode::{self as reach_rows, CONTACT_FROM, CONTACT_SELECT};
use crate::moderation::exec;
use crate::rows::{backend, corrupt, id, int, opt_id, opt_int, opt_text, opt_ts, parsed, text, ts};
use crate::store::{SqlStore, Tx};
use async_trait::async_trait;
use quan_core::reach::port::{AdvanceOutcome, JourneyAdvance, StepEffect};
use quan_core::{
    ContactRecord, EventRecord, JourneyRecord, JourneyResults, JourneyRunRecord, JourneyStatus,
    JourneyStore, JourneyTaskRecord, Page, PageRequest, ReachStore, RunStatus, StepTally,
    StoreResult,
};
use quan_domain::{
    AccountId, ContactId, Frequency, JourneyId, JourneyRunId, JourneyStep, JourneyTaskId,
    JourneyTrigger, OrgId, ParseError, PersonId, Timestamp, TouchLedger, TouchVerdict, parse_steps,
};
use sqlx::any::AnyRow;

const JOURNEY_COLS: &str = "id, org_id, name, trigger_kind, trigger_code, trigger_days, steps, status, \
     created_by, created_at, dry_run_at, enabled_at";
const RUN_COLS: &str =
    "id, journey_id, org_id, contact_id, step, step_started_at, due_at, status, started_at";
/// A task with its journey's name and the customer's, over `t`.
const TASK_SELECT: &str = "SELECT t.id, t.org_id, t.journey_id, j.name AS journey_name, t.run_id, t.staff_id, \
     t.contact_id, c.person_id, p.display_name AS person_name, t.title, t.created_at, t.done_at \
     FROM journey_tasks t JOIN journeys j ON j.id = t.journey_id JOIN contacts c ON c.id = t.contact_id \
     JOIN persons p ON p.id = c.person_id";

fn journey(r: &AnyRow) -> StoreResult<JourneyRecord> {
    let days = opt_int(r, "trigger_days")?;
    let code = opt_text(r, "trigger_code")?;
    let trigger = JourneyTrigger::parse(&text(r, "trigger_kind")?, code.as_deref(), days)
        .map_err(|e| corrupt("trigger_kind", e))?;
    let raw: Vec<(String, String)> = reach_rows::json_list(r, "steps")?;
    let steps = parse_steps(raw.iter().map(|(k, v)| (k.as_str(), v.as_str())))
        .map_err(|e| corrupt("steps", e))?;
    let status = text(r, "status")?;
    Ok(JourneyRecord {
        id: id(r, "id")?,
        org_id: id(r, "org_id")?,
        name: text(r, "name")?,
        trigger,
        steps,
        status: JourneyStatus::parse(&status).ok_or_else(|| corrupt("status", status))?,
        created_by: opt_id(r, "created_by")?,
        created_at: ts(r, "created_at")?,
        dry_run_at: opt_ts(r, "dry_run_at")?,
        enabled_at: opt_ts(r, "enabled_at")?,
    })
}

fn run(r: &AnyRow) -> StoreResult<JourneyRunRecord> {
    Ok(JourneyRunRecord {
        id: id(r, "id")?,
        journey_id: id(r, "journey_id")?,
        org_id: id(r, "org_id")?,
        contact_id: id(r, "contact_id")?,
        step: int(r, "step")?,
        step_started_at: ts(r, "step_started_at")?,
        due_at: ts(r, "due_at")?,
        status: parsed(r, "status", |v| {
            RunStatus::parse(v).ok_or_else(|| ParseError::new("status", "corrupt", v))
        })?,
        started_at: ts(r, "started_at")?,
    })
}

fn task(r: &AnyRow) -> StoreResult<JourneyTaskRecord> {
    Ok(JourneyTaskRecord {
        id: id(r, "id")?,
        org_id: id(r, "org_id")?,
        journey_id: id(r, "journey_id")?,
        journey_name: text(r, "journey_name")?,
        run_id: id(r, "run_id")?,
        staff_id: id(r, "staff_id")?,
        contact_id: id(r, "contact_id")?,
        person_id: id(r, "person_id")?,
        person_name: text(r, "person_name")?,
        title: text(r, "title")?,
        created_at: ts(r, "created_at")?,
        done_at: opt_ts(r, "done_at")?,
    })
}

fn steps_json(steps: &[JourneyStep]) -> String {
    let pairs: Vec<(&str, String)> = steps.iter().map(|s| (s.kind(), s.value())).collect();
    serde_json::json!(pairs).to_string()
}

/// Takes one touch for a journey send inside `tx`: the staff member's day, then the
/// budget below its limit. `None` when both were taken.
async fn take_touch(
    tx: &mut Tx,
    org: OrgId,
    staff: AccountId,
    person: PersonId,
    (period, limit, day): (&str, i64, &str),
    own: Option<&str>,
    key: &str,
) -> StoreResult<Option<TouchVerdict>> {
    let got_day = exec(
        tx,
        sqlx::query(
            "INSERT INTO staff_touches (org_id, staff_id, person_id, day, campaign_id) VALUES ($1, $2, $3, $4, $5) \
             ON CONFLICT (org_id, staff_id, person_id, day) DO NOTHING",
        )
        .bind(org.to_string())
        .bind(staff.to_string())
        .bind(person.to_string())
        .bind(day.to_owned())
        .bind(key.to_owned()),
    )
    .await?;
    if got_day == 0 {
        return Ok(Some(TouchVerdict::StaffDaily));
    }
    let sql = format!(
        "INSERT INTO touch_counts (org_id, person_id, period, used) VALUES ($1, $2, $3, 1) \
         ON CONFLICT (org_id, person_id, period) DO UPDATE SET used = touch_counts.used + 1 \
         WHERE touch_counts.used < {limit}"
    );
    let got_budget = exec(
        tx,
        sqlx::query(&sql)
            .bind(org.to_string())
            .bind(person.to_string())
            .bind(period.to_owned()),
    )
    .await?;
    if got_budget == 0 {
        return Ok(Some(TouchVerdict::OverBudget));
    }
    // Their own week, guarded like the budget: taken only if it is not this week's.
    if let Some(own) = own {
        let got_week = exec(
            tx,
            sqlx::query(
                "UPDATE reach_consent SET own_period = $3 WHERE org_id = $1 AND person_id = $2 \
                 AND weekly <> 0 AND COALESCE(own_period, '') <> $3",
            )
            .bind(org.to_string())
            .bind(person.to_string())
            .bind(own.to_owned()),
        )
        .await?;
        if got_week == 0 {
            return Ok(Some(TouchVerdict::OverBudget));
        }
    }
    Ok(None)
}

#[async_trait]
impl JourneyStore for SqlStore {
    async fn journey_insert(&self, j: &JourneyRecord, event: &EventRecord) -> StoreResult<()> {
        let (code, days) = match j.trigger {
            JourneyTrigger::CodeJoined { code } => (code.map(|c| c.to_string()), None),
            JourneyTrigger::Inactive { days } => (None, Some(days)),
        };
        let mut tx = self.begin().await?;
        exec(
            &mut tx,
            sqlx::query(&format!(
                "INSERT INTO journeys ({JOURNEY_COLS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)"
            ))
            .bind(j.id.to_string())
            .bind(j.org_id.to_string())
            .bind(j.name.clone())
            .bind(j.trigger.kind())
            .bind(code)
            .bind(days)
            .bind(steps_json(&j.steps))
            .bind(j.status.as_str())
            .bind(j.created_by.map(|a| a.to_string()))
            .bind(j.created_at.millis())
            .bind(j.dry_run_at.map(Timestamp::millis))
            .bind(j.enabled_at.map(Timestamp::millis)),
        )
        .await?;
        Self::insert_event(&mut tx, event).await?;
        tx.commit().await.map_err(backend)
    }

    async fn journey_get(&self, org: OrgId, jid: JourneyId) -> StoreResult<Option<JourneyRecord>> {
        let sql = format!("SELECT {JOURNEY_COLS} FROM journeys WHERE id = $1 AND org_id = $2");
        self.fetch_opt(
            sqlx::query(&sql)
                .bind(jid.to_string())
                .bind(org.to_string()),
        )
        .await?
        .as_ref()
        .map(journey)
        .transpose()
    }

    async fn journey_list(
        &self,
        org: OrgId,
        page: &PageRequest,
    ) -> StoreResult<Page<JourneyRecord>> {
        let sql = format!("SELECT {JOURNEY_COLS} FROM journeys WHERE org_id = $1");
        self.keyset_page(&sql, &[org.to_string()], ("id", true), page, journey, |j| {
            j.id.to_string()
        })
        .await
    }

    async fn journey_dry_ran(&self, org: OrgId, jid: JourneyId, now: Timestamp) -> StoreResult<()> {
        self.reach_exec(
            "UPDATE journeys SET dry_run_at = CAST($3 AS BIGINT) WHERE id = $1 AND org_id = $2",
            &[jid.to_string(), org.to_string(), now.millis().to_string()],
            None,
        )
        .await
        .map(|_| ())
    }

    async fn journey_enable(
        &self,
        org: OrgId,
        jid: JourneyId,
        now: Timestamp,
        event: &EventRecord,
    ) -> StoreResult<bool> {
        let n = self
            .reach_exec(
                "UPDATE journeys SET status = 'active', enabled_at = CAST($3 AS BIGINT) \
                 WHERE id = $1 AND org_id = $2 AND status = 'draft' AND dry_run_at IS NOT NULL",
                &[jid.to_string(), org.to_string(), now.millis().to_string()],
                Some(event),
            )
            .await?;
        Ok(n > 0)
    }

    async fn journey_archive(
        &self,
        org: OrgId,
        jid: JourneyId,
        now: Timestamp,
        event: &EventRecord,
    ) -> StoreResult<bool> {
        let mut tx = self.begin().await?;
        let n = exec(
            &mut tx,
            sqlx::query(
                "UPDATE journeys SET status = 'archived' WHERE id = $1 AND org_id = $2 AND status <> 'archived'",
            )
            .bind(jid.to_string())
            .bind(org.to_string()),
        )
        .await?;
        if n == 0 {
            return Ok(false);
        }
        exec(
            &mut tx,
            sqlx::query(
                "UPDATE journey_runs SET status = 'ended', ended_why = 'journey_archived', finished_at = $2 \
                 WHERE journey_id = $1 AND status = 'running'",
            )
            .bind(jid.to_string())
            .bind(now.millis()),
        )
        .await?;
        Self::insert_event(&mut tx, event).await?;
        tx.commit().await.map_err(backend)?;
        Ok(true)
    }

    async fn journeys_active(
        &self,
        org: Option<OrgId>,
        kind: &str,
    ) -> StoreResult<Vec<JourneyRecord>> {
        let cond = if org.is_some() {
            " AND org_id = $2"
        } else {
            ""
        };
        let sql = format!(
            "SELECT {JOURNEY_COLS} FROM journeys WHERE status = 'active' AND trigger_kind = $1{cond} ORDER BY id"
        );
        let mut q = sqlx::query(&sql).bind(kind.to_owned());
        if let Some(o) = org {
            q = q.bind(o.to_string());
        }
        self.fetch_all(q).await?.iter().map(journey).collect()
    }

    async fn journey_enrol(&self, r: &JourneyRunRecord, event: &EventRecord) -> StoreResult<bool> {
        let mut tx = self.begin().await?;
        let n = exec(
            &mut tx,
            sqlx::query(&format!(
                "INSERT INTO journey_runs ({RUN_COLS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) \
                 ON CONFLICT (journey_id, contact_id) DO NOTHING"
            ))
            .bind(r.id.to_string())
            .bind(r.journey_id.to_string())
            .bind(r.org_id.to_string())
            .bind(r.contact_id.to_string())
            .bind(r.step)
            .bind(r.step_started_at.millis())
            .bind(r.due_at.millis())
            .bind(r.status.as_str())
            .bind(r.started_at.millis()),
        )
        .await?;
        if n == 0 {
            return Ok(false);
        }
        Self::insert_event(&mut tx, event).await?;
        tx.commit().await.map_err(backend)?;
        Ok(true)
    }

    async fn journey_idle_contacts(
        &self,
        org: OrgId,
        jid: JourneyId,
        idle_before: Timestamp,
        limit: i64,
    ) -> StoreResult<Vec<ContactRecord>> {
        let sql = format!(
            "{CONTACT_SELECT}{CONTACT_FROM} WHERE c.org_id = $1 AND c.removed_at IS NULL AND c.last_talked_at < $2 \
             AND NOT EXISTS (SELECT 1 FROM journey_runs r WHERE r.journey_id = $3 AND r.contact_id = c.id) \
             ORDER BY c.last_talked_at, c.id LIMIT $4"
        );
        self.fetch_all(
            sqlx::query(&sql)
                .bind(org.to_string())
                .bind(idle_before.millis())
                .bind(jid.to_string())
                .bind(limit),
        )
        .await?
        .iter()
        .map(reach_rows::contact)
        .collect()
    }

    async fn journey_idle_count(
        &self,
        org: OrgId,
        jid: JourneyId,
        idle_before: Timestamp,
    ) -> StoreResult<i64> {
        let r = self
            .fetch_opt(
                sqlx::query(
                    "SELECT COUNT(*) AS n FROM contacts c WHERE c.org_id = $1 AND c.removed_at IS NULL \
                     AND c.last_talked_at < $2 AND NOT EXISTS \
                     (SELECT 1 FROM journey_runs r WHERE r.journey_id = $3 AND r.contact_id = c.id)",
                )
                .bind(org.to_string())
                .bind(idle_before.millis())
                .bind(jid.to_string()),
            )
            .await?;
        r.map_or(Ok(0), |r| int(&r, "n"))
    }

    async fn journey_run_get(
        &self,
        org: OrgId,
        rid: JourneyRunId,
    ) -> StoreResult<Option<JourneyRunRecord>> {
        let sql = format!("SELECT {RUN_COLS} FROM journey_runs WHERE id = $1 AND org_id = $2");
        self.fetch_opt(
            sqlx::query(&sql)
                .bind(rid.to_string())
                .bind(org.to_string()),
        )
        .await?
        .as_ref()
        .map(run)
        .transpose()
    }

    async fn journey_runs_due(
        &self,
        now: Timestamp,
        limit: i64,
    ) -> StoreResult<Vec<JourneyRunRecord>> {
        let sql = format!(
            "SELECT {RUN_COLS} FROM journey_runs WHERE status = 'running' AND due_at <= $1 ORDER BY due_at, id LIMIT $2"
        );
        self.fetch_all(sqlx::query(&sql).bind(now.millis()).bind(limit))
            .await?
            .iter()
            .map(run)
            .collect()
    }

    async fn journey_runs_of_contact(
        &self,
        org: OrgId,
        contact: ContactId,
    ) -> StoreResult<Vec<JourneyRunRecord>> {
        let sql = format!(
            "SELECT {RUN_COLS} FROM journey_runs WHERE contact_id = $1 AND org_id = $2 AND status = 'running' ORDER BY id LIMIT 100"
        );
        self.fetch_all(
            sqlx::query(&sql)
                .bind(contact.to_string())
                .bind(org.to_string()),
        )
        .await?
        .iter()
        .map(run)
        .collect()
    }

    async fn journey_replied(
        &self,
        org: OrgId,
        contact: ContactId,
        since: Timestamp,
    ) -> StoreResult<bool> {
        Ok(self
            .fetch_opt(
                sqlx::query(
                    "SELECT 1 AS one FROM reach_messages WHERE contact_id = $1 AND org_id = $3 AND from_staff = 0 \
                     AND kind = 'message' AND created_at >= $2 LIMIT 1",
                )
                .bind(contact.to_string())
                .bind(since.millis())
                .bind(org.to_string()),
            )
            .await?
            .is_some())
    }

    async fn journey_ledger(
        &self,
        org: OrgId,
        staff: AccountId,
        person: PersonId,
        period: &str,
        day: &str,
    ) -> StoreResult<TouchLedger> {
        // Keys of one budget kind sort by time (`m2026-12`, `w2026-W49`,
        // `d2026-12-01`); `~` sorts after every digit, so this is the kind's
        // periods from the current one on, whatever other kinds the org used once.
        let kind_end = format!("{}~", period.chars().next().unwrap_or('m'));
        let used = self
            .fetch_all(
                sqlx::query(
                    "SELECT period, used FROM touch_counts WHERE org_id = $1 AND person_id = $2 \
                     AND period >= $3 AND period < $4 ORDER BY period LIMIT 100",
                )
                .bind(org.to_string())
                .bind(person.to_string())
                .bind(period.to_owned())
                .bind(kind_end),
            )
            .await?
            .iter()
            .map(|r| Ok((text(r, "period")?, int(r, "used")?)))
            .collect::<StoreResult<Vec<_>>>()?;
        let staff_days = self
            .fetch_all(
                sqlx::query(
                    "SELECT day FROM staff_touches WHERE org_id = $1 AND staff_id = $2 AND person_id = $3 AND day >= $4 \
                     ORDER BY day LIMIT 100",
                )
                .bind(org.to_string())
                .bind(staff.to_string())
                .bind(person.to_string())
                .bind(day.to_owned()),
            )
            .await?
            .iter()
            .map(|r| text(r, "day"))
            .collect::<StoreResult<Vec<_>>>()?;
        let consent = self.consent_get(org, person).await?;
        let weekly = consent.frequency == Frequency::Weekly;
        let mut used = used;
        if weekly {
            // Their own week is a period like the budget's, with one touch.
            let own = self
                .fetch_opt(
                    sqlx::query(
                        "SELECT own_period FROM reach_consent WHERE org_id = $1 AND person_id = $2",
                    )
                    .bind(org.to_string())
                    .bind(person.to_string()),
                )
                .await?
                .map(|r| opt_text(&r, "own_period"))
                .transpose()?
                .flatten();
            used.extend(own.map(|p| (p, 1)));
        }
        Ok(TouchLedger {
            opted_out: !consent.journeys,
            weekly,
            used,
            staff_days,
        })
    }

    async fn journey_advance(&self, a: &JourneyAdvance) -> StoreResult<AdvanceOutcome> {
        let mut tx = self.begin().await?;
        // The guard: the step as the walker read it. A second walker finds it moved.
        let status = if a.done { "done" } else { "running" };
        let moved = exec(
            &mut tx,
            sqlx::query(
                "UPDATE journey_runs SET step = $3, step_started_at = $4, due_at = $5, status = $6, \
                 finished_at = $8 \
                 WHERE id = $1 AND step = $2 AND status = 'running' AND org_id = $7",
            )
            .bind(a.run.to_string())
            .bind(a.from_step)
            .bind(a.next_step)
            .bind(a.next_started.millis())
            .bind(a.next_due.millis())
            .bind(status)
            .bind(a.org.to_string())
            .bind(a.done.then_some(a.now.millis())),
        )
        .await?;
        if moved == 0 {
            return Ok(AdvanceOutcome::Stale);
        }
        match &a.effect {
            StepEffect::None => {}
            StepEffect::Send {
                message,
                person,
                staff,
                period,
                limit,
                own,
                day,
            } => {
                // The contact and consent to journeys as of this transaction: an opt-out or a
                // removal committed since the walker read them wins.
                let live = sqlx::query(
                    "SELECT COALESCE(rc.no_journeys, 0) AS opted_out FROM contacts c \
                     LEFT JOIN reach_consent rc ON rc.org_id = c.org_id AND rc.person_id = c.person_id \
                     WHERE c.id = $1 AND c.org_id = $2 AND c.removed_at IS NULL",
                )
                .bind(message.contact_id.to_string())
                .bind(a.org.to_string())
                .fetch_optional(&mut *tx)
                .await
                .map_err(backend)?;
                if live
                    .map(|r| int(&r, "opted_out"))
                    .transpose()?
                    .is_none_or(|o| o != 0)
                {
                    tx.rollback().await.map_err(backend)?;
                    return Ok(AdvanceOutcome::Refused(TouchVerdict::OptedOut));
                }
                // The message first: its dedupe key is the step, so a message that
                // somehow exists already is this step's, and no second touch is taken.
                if Self::reach_message_in(&mut tx, message).await? {
                    let key = format!("journey:{}:{}", a.run, a.from_step);
                    if let Some(why) = take_touch(
                        &mut tx,
                        a.org,
                        *staff,
                        *person,
                        (period, *limit, day),
                        own.as_deref(),
                        &key,
                    )
                    .await?
                    {
                        // Nothing of this step is written: the run stays where it was.
                        tx.rollback().await.map_err(backend)?;
                        return Ok(AdvanceOutcome::Refused(why));
                    }
                }
            }
            StepEffect::Task(t) => {
                exec(
                    &mut tx,
                    sqlx::query(
                        "INSERT INTO journey_tasks (id, org_id, journey_id, run_id, staff_id, contact_id, title, created_at) \
                         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
                    )
                    .bind(t.id.to_string())
                    .bind(t.org_id.to_string())
                    .bind(t.journey_id.to_string())
                    .bind(t.run_id.to_string())
                    .bind(t.staff_id.to_string())
                    .bind(t.contact_id.to_string())
                    .bind(t.title.clone())
                    .bind(t.created_at.millis()),
                )
                .await?;
            }
        }
        exec(
            &mut tx,
            sqlx::query(
                "INSERT INTO journey_steps_done (run_id, journey_id, step, outcome, at) VALUES ($1, $2, $3, $4, $5)",
            )
            .bind(a.run.to_string())
            .bind(a.journey.to_string())
            .bind(a.from_step)
            .bind(a.outcome)
            .bind(a.now.millis()),
        )
        .await?;
        tx.commit().await.map_err(backend)?;
        Ok(AdvanceOutcome::Advanced)
    }

    async fn journey_defer(
        &self,
        org: OrgId,
        rid: JourneyRunId,
        step: i64,
        due: Timestamp,
    ) -> StoreResult<bool> {
        let n = self
            .reach_exec(
                "UPDATE journey_runs SET due_at = CAST($3 AS BIGINT) \
                 WHERE id = $1 AND step = CAST($2 AS BIGINT) AND status = 'running' AND org_id = $4",
                &[
                    rid.to_string(),
                    step.to_string(),
                    due.millis().to_string(),
                    org.to_string(),
                ],
                None,
            )
            .await?;
        Ok(n > 0)
    }

    async fn journey_end(
        &self,
        org: OrgId,
        rid: JourneyRunId,
        why: &str,
        now: Timestamp,
    ) -> StoreResult<bool> {
        let n = self
            .reach_exec(
                "UPDATE journey_runs SET status = 'ended', ended_why = $2, finished_at = CAST($3 AS BIGINT) \
                 WHERE id = $1 AND status = 'running' AND org_id = $4",
                &[
                    rid.to_string(),
                    why.to_owned(),
                    now.millis().to_string(),
                    org.to_string(),
                ],
                None,
            )
            .await?;
        Ok(n > 0)
    }

    async fn journey_results(&self, org: OrgId, jid: JourneyId) -> StoreResult<JourneyResults> {
        let mut out = JourneyResults::default();
        for r in self
            .fetch_all(
                sqlx::query(
                    "SELECT status, COUNT(*) AS n FROM journey_runs WHERE journey_id = $1 AND org_id = $2 GROUP BY status",
                )
                .bind(jid.to_string())
                .bind(org.to_string()),
            )
            .await?
        {
            let n = int(&r, "n")?;
            match text(&r, "status")?.as_str() {
                "running" => out.running = n,
                "done" => out.done = n,
                _ => out.ended += n,
            }
        }
        out.steps = self
            .fetch_all(
                sqlx::query(
                    "SELECT d.step, d.outcome, COUNT(*) AS n FROM journey_steps_done d \
                     JOIN journeys j ON j.id = d.journey_id AND j.org_id = $2 WHERE d.journey_id = $1 \
                     GROUP BY d.step, d.outcome ORDER BY d.step, d.outcome",
                )
                .bind(jid.to_string())
                .bind(org.to_string()),
            )
            .await?
            .iter()
            .map(|r| {
                Ok(StepTally {
                    step: int(r, "step")?,
                    outcome: text(r, "outcome")?,
                    n: int(r, "n")?,
                })
            })
            .collect::<StoreResult<Vec<_>>>()?;
        out.delivered = out
            .steps
            .iter()
            .filter(|t| t.outcome == "sent" || t.outcome == "quiet")
            .map(|t| t.n)
            .sum();
        out.negatives_by_step = self
            .fetch_all(
                sqlx::query(
                    "SELECT n.step, COUNT(*) AS n FROM journey_negatives n \
                     JOIN journeys j ON j.id = n.journey_id AND j.org_id = $2 WHERE n.journey_id = $1 \
                     GROUP BY n.step ORDER BY n.step",
                )
                .bind(jid.to_string())
                .bind(org.to_string()),
            )
            .await?
            .iter()
            .map(|r| Ok((int(r, "step")?, int(r, "n")?)))
            .collect::<StoreResult<Vec<_>>>()?;
        out.negatives = out.negatives_by_step.iter().map(|(_, n)| n).sum();
        Ok(out)
    }

    async fn journey_tasks(
        &self,
        org: OrgId,
        staff: AccountId,
    ) -> StoreResult<Vec<JourneyTaskRecord>> {
        let sql = format!(
            "{TASK_SELECT} WHERE t.org_id = $1 AND t.staff_id = $2 \
             ORDER BY CASE WHEN t.done_at IS NULL THEN 0 ELSE 1 END, t.id DESC LIMIT 200"
        );
        self.fetch_all(
            sqlx::query(&sql)
                .bind(org.to_string())
                .bind(staff.to_string()),
        )
        .await?
        .iter()
        .map(task)
        .collect()
    }

    async fn journey_task_done(
        &self,
        org: OrgId,
        staff: AccountId,
        tid: JourneyTaskId,
        now: Timestamp,
    ) -> StoreResult<bool> {
        let n = self
            .reach_exec(
                "UPDATE journey_tasks SET done_at = CAST($4 AS BIGINT) \
                 WHERE id = $1 AND org_id = $2 AND staff_id = $3 AND done_at IS NULL",
                &[
                    tid.to_string(),
                    org.to_string(),
                    staff.to_string(),
                    now.millis().to_string(),
                ],
                None,
            )
            .await?;
        Ok(n > 0)
    }
}
