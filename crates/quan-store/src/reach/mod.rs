//! `ReachStore` for `SqlStore`: policies, consent, stages and history here; contacts,
//! codes and messages in `contacts.rs`; campaigns in `campaigns.rs`, their plan
//! and the touch ledger in `plan.rs`, negative feedback's attribution in
//! `negatives.rs`. The trait's methods are thin, so each part stays readable.

mod auto;
mod campaigns;
mod contacts;
pub(crate) mod decode;
mod delivery;
mod journeys;
mod moments;
mod negatives;
mod plan;
mod rooms;
mod transfers;

use crate::events::{EVENT_COLS, event};
use crate::moderation::exec;
use crate::rows::{backend, int, opt_ts};
use crate::store::SqlStore;
use async_trait::async_trait;
use decode::CAMPAIGN_COLS;
use quan_core::{
    AddOutcome, CampaignRecord, CampaignResults, ChannelCodeRecord, ContactRecord, EventRecord,
    NegativeHit, NewContact, Page, PageRequest, PlanCounts, PlanWindow, PolicyRecord,
    ReachMessageRecord, ReachStore, Segment, ShareRecord, StaffLoad, StoreResult,
};
use quan_domain::{
    AccountId, CampaignId, ChannelCodeId, ContactId, Frequency, LifecycleStage, OrgId, PersonId,
    ReachMessageId, StageFacts, Timestamp,
};

const POLICY_COLS: &str = "org_id, version, effective_from, budget, quiet_hours, time_zone, contact_cap, created_by, created_at, negative_pause_bp";
const DAY_MS: i64 = 86_400_000;

#[async_trait]
impl ReachStore for SqlStore {
    async fn policy_at(&self, org: OrgId, at: Timestamp) -> StoreResult<Option<PolicyRecord>> {
        let sql = format!(
            "SELECT {POLICY_COLS} FROM reach_policies WHERE org_id = $1 AND effective_from <= $2 ORDER BY version DESC LIMIT 1"
        );
        self.fetch_opt(sqlx::query(&sql).bind(org.to_string()).bind(at.millis()))
            .await?
            .as_ref()
            .map(decode::policy)
            .transpose()
    }

    async fn policy_versions(&self, org: OrgId) -> StoreResult<Vec<PolicyRecord>> {
        let sql = format!(
            "SELECT {POLICY_COLS} FROM reach_policies WHERE org_id = $1 ORDER BY version DESC"
        );
        self.fetch_all(sqlx::query(&sql).bind(org.to_string()))
            .await?
            .iter()
            .map(decode::policy)
            .collect()
    }

    async fn policy_insert(&self, p: &PolicyRecord, event: &EventRecord) -> StoreResult<i64> {
        let mut tx = self.begin().await?;
        // Two admins saving at once: the org row lock orders them (SQLite: the writer).
        Self::lock_org(&mut tx, p.org_id).await?;
        let row = sqlx::query(
            "SELECT COALESCE(MAX(version), 0) + 1 AS v FROM reach_policies WHERE org_id = $1",
        )
        .bind(p.org_id.to_string())
        .fetch_one(&mut *tx)
        .await
        .map_err(backend)?;
        let version = int(&row, "v")?;
        exec(
            &mut tx,
            sqlx::query(&format!(
                "INSERT INTO reach_policies ({POLICY_COLS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)"
            ))
            .bind(p.org_id.to_string())
            .bind(version)
            .bind(p.effective_from.millis())
            .bind(p.policy.budget.as_str())
            .bind(p.policy.quiet.to_string())
            .bind(p.policy.zone.name().to_owned())
            .bind(p.policy.contact_cap)
            .bind(p.created_by.map(|a| a.to_string()))
            .bind(p.created_at.millis())
            .bind(p.policy.negative_pause_bp),
        )
        .await?;
        Self::insert_event(&mut tx, event).await?;
        tx.commit().await.map_err(backend)?;
        Ok(version)
    }

    async fn contact_add(
        &self,
        c: &NewContact,
        cap: i64,
        event: &EventRecord,
    ) -> StoreResult<AddOutcome> {
        self.reach_contact_add(c, cap, event).await
    }

    async fn contact_remove(
        &self,
        org: OrgId,
        id: ContactId,
        by: &str,
        now: Timestamp,
        event: &EventRecord,
    ) -> StoreResult<bool> {
        self.reach_contact_remove(org, id, by, now, event).await
    }

    async fn contact_get(&self, org: OrgId, id: ContactId) -> StoreResult<Option<ContactRecord>> {
        self.reach_contact_get(org, id).await
    }

    async fn contact_list(
        &self,
        org: OrgId,
        staff: Option<AccountId>,
        page: &PageRequest,
    ) -> StoreResult<Page<ContactRecord>> {
        self.reach_contact_list(org, staff, page).await
    }

    async fn contacts_of_person(
        &self,
        org: OrgId,
        person: PersonId,
    ) -> StoreResult<Vec<ContactRecord>> {
        self.reach_contacts_of_person(org, person).await
    }

    async fn contacts_of_account(
        &self,
        account: AccountId,
        now: Timestamp,
    ) -> StoreResult<Vec<ContactRecord>> {
        self.reach_contacts_of_account(account, now).await
    }

    async fn staff_loads(&self, org: OrgId) -> StoreResult<Vec<StaffLoad>> {
        self.reach_staff_loads(org).await
    }

    async fn code_insert(&self, c: &ChannelCodeRecord, event: &EventRecord) -> StoreResult<()> {
        self.reach_code_insert(c, event).await
    }

    async fn code_get(
        &self,
        org: OrgId,
        id: ChannelCodeId,
    ) -> StoreResult<Option<ChannelCodeRecord>> {
        Ok(self
            .reach_code_where(
                "id = $1 AND org_id = $2",
                &[id.to_string(), org.to_string()],
            )
            .await?
            .pop())
    }

    async fn code_by_slug(&self, slug: &str) -> StoreResult<Option<ChannelCodeRecord>> {
        Ok(self
            .reach_code_where("slug = $1", &[slug.to_owned()])
            .await?
            .pop())
    }

    async fn code_list(&self, org: OrgId) -> StoreResult<Vec<ChannelCodeRecord>> {
        self.reach_code_where(
            "org_id = $1 ORDER BY archived_at IS NOT NULL, id DESC LIMIT 500",
            &[org.to_string()],
        )
        .await
    }

    async fn code_open(&self, id: ChannelCodeId) -> StoreResult<i64> {
        self.reach_code_open(id).await
    }

    async fn code_archive(
        &self,
        org: OrgId,
        id: ChannelCodeId,
        now: Timestamp,
        event: &EventRecord,
    ) -> StoreResult<bool> {
        let n = self
            .reach_exec(
                "UPDATE channel_codes SET archived_at = CAST($3 AS BIGINT) \
                 WHERE id = $1 AND org_id = $2 AND archived_at IS NULL",
                &[id.to_string(), org.to_string(), now.millis().to_string()],
                Some(event),
            )
            .await?;
        Ok(n == 1)
    }

    async fn reach_message_insert(&self, m: &ReachMessageRecord) -> StoreResult<bool> {
        let mut tx = self.begin().await?;
        let stored = Self::reach_message_in(&mut tx, m).await?;
        tx.commit().await.map_err(backend)?;
        Ok(stored)
    }

    async fn reach_messages(
        &self,
        contact: ContactId,
        now: Timestamp,
        before: Option<ReachMessageId>,
        limit: i64,
    ) -> StoreResult<Vec<ReachMessageRecord>> {
        self.reach_messages_list(contact, now, before, limit).await
    }

    async fn reach_messages_read(
        &self,
        contact: ContactId,
        from_staff: bool,
        now: Timestamp,
    ) -> StoreResult<u64> {
        self.reach_exec(
            "UPDATE reach_messages SET read_at = CAST($3 AS BIGINT) WHERE contact_id = $1 \
             AND from_staff = CAST($2 AS BIGINT) AND read_at IS NULL AND visible_at <= CAST($3 AS BIGINT)",
            &[contact.to_string(), i64::from(from_staff).to_string(), now.millis().to_string()],
            None,
        )
        .await
    }

    async fn staff_unread(&self, org: OrgId, staff: AccountId) -> StoreResult<i64> {
        let row = self
            .fetch_opt(
                sqlx::query(
                    "SELECT COUNT(*) AS n FROM reach_messages m JOIN contacts c ON c.id = m.contact_id \
                     WHERE c.org_id = $1 AND c.staff_id = $2 AND c.removed_at IS NULL AND m.from_staff = 0 AND m.read_at IS NULL",
                )
                .bind(org.to_string())
                .bind(staff.to_string()),
            )
            .await?;
        row.as_ref().map_or(Ok(0), |r| int(r, "n"))
    }

    async fn campaign_insert(&self, c: &CampaignRecord, event: &EventRecord) -> StoreResult<()> {
        self.reach_campaign_insert(c, event).await
    }

    async fn campaign_get(
        &self,
        org: OrgId,
        id: CampaignId,
    ) -> StoreResult<Option<CampaignRecord>> {
        self.reach_campaign_get(org, id).await
    }

    async fn campaign_list(
        &self,
        org: OrgId,
        page: &PageRequest,
    ) -> StoreResult<Page<CampaignRecord>> {
        let sql = format!("SELECT {CAMPAIGN_COLS} FROM campaigns WHERE org_id = $1");
        self.keyset_page(
            &sql,
            &[org.to_string()],
            ("id", true),
            page,
            decode::campaign,
            |c| c.id.to_string(),
        )
        .await
    }

    async fn campaign_begin(
        &self,
        org: OrgId,
        id: CampaignId,
        now: Timestamp,
    ) -> StoreResult<bool> {
        let n = self
            .reach_exec(
                "UPDATE campaigns SET status = 'planning', planned_at = CAST($3 AS BIGINT) \
                 WHERE id = $1 AND org_id = $2 AND status IN ('draft', 'scheduled')",
                &[id.to_string(), org.to_string(), now.millis().to_string()],
                None,
            )
            .await?;
        Ok(n == 1)
    }

    async fn campaign_schedule(
        &self,
        org: OrgId,
        id: CampaignId,
        at: Option<Timestamp>,
        event: &EventRecord,
    ) -> StoreResult<bool> {
        let n = match at {
            Some(at) => {
                self.reach_exec(
                    "UPDATE campaigns SET status = 'scheduled', scheduled_for = CAST($3 AS BIGINT) \
                     WHERE id = $1 AND org_id = $2 AND status = 'draft'",
                    &[id.to_string(), org.to_string(), at.millis().to_string()],
                    Some(event),
                )
                .await?
            }
            None => {
                self.reach_exec(
                    "UPDATE campaigns SET status = 'draft', scheduled_for = NULL \
                     WHERE id = $1 AND org_id = $2 AND status = 'scheduled'",
                    &[id.to_string(), org.to_string()],
                    Some(event),
                )
                .await?
            }
        };
        Ok(n == 1)
    }

    async fn campaigns_due(&self, now: Timestamp, limit: i64) -> StoreResult<Vec<CampaignRecord>> {
        let sql = format!(
            "SELECT {CAMPAIGN_COLS} FROM campaigns WHERE status = 'scheduled' AND scheduled_for <= $1 \
             ORDER BY scheduled_for, id LIMIT $2"
        );
        self.fetch_all(sqlx::query(&sql).bind(now.millis()).bind(limit))
            .await?
            .iter()
            .map(decode::campaign)
            .collect()
    }

    async fn campaign_begin_due(
        &self,
        org: OrgId,
        id: CampaignId,
        now: Timestamp,
    ) -> StoreResult<bool> {
        let n = self
            .reach_exec(
                "UPDATE campaigns SET status = 'planning', planned_at = CAST($3 AS BIGINT) \
                 WHERE id = $1 AND org_id = $2 AND status = 'scheduled' AND scheduled_for <= CAST($3 AS BIGINT)",
                &[id.to_string(), org.to_string(), now.millis().to_string()],
                None,
            )
            .await?;
        Ok(n == 1)
    }

    async fn campaign_abort(
        &self,
        org: OrgId,
        id: CampaignId,
        w: &PlanWindow,
        event: &EventRecord,
    ) -> StoreResult<bool> {
        self.reach_campaign_abort(org, id, w, event).await
    }

    async fn audience_counts(
        &self,
        org: OrgId,
        segment: &Segment,
        w: &PlanWindow,
    ) -> StoreResult<PlanCounts> {
        self.reach_audience_counts(org, segment, w).await
    }

    async fn plan_range(
        &self,
        org: OrgId,
        campaign: CampaignId,
        segment: &Segment,
        w: &PlanWindow,
        after: Option<PersonId>,
        batch: i64,
    ) -> StoreResult<Option<PersonId>> {
        self.reach_plan_range(org, campaign, segment, w, after, batch)
            .await
    }

    async fn plan_counts(
        &self,
        org: OrgId,
        campaign: CampaignId,
        segment: &Segment,
        w: &PlanWindow,
    ) -> StoreResult<PlanCounts> {
        self.reach_plan_counts(org, campaign, segment, w).await
    }

    async fn campaign_planned(
        &self,
        org: OrgId,
        id: CampaignId,
        counts: &PlanCounts,
        send_at: Timestamp,
        event: &EventRecord,
    ) -> StoreResult<()> {
        self.reach_campaign_planned(org, id, counts, send_at, event)
            .await
    }

    async fn campaign_shares(&self, id: CampaignId) -> StoreResult<Vec<ShareRecord>> {
        self.reach_campaign_shares(id).await
    }

    async fn share_recipients(
        &self,
        id: CampaignId,
        staff: AccountId,
    ) -> StoreResult<Vec<quan_core::ShareRecipient>> {
        self.reach_share_recipients(id, staff).await
    }

    async fn share_confirm(
        &self,
        org: OrgId,
        id: CampaignId,
        staff: AccountId,
        messages: &[ReachMessageRecord],
        now: Timestamp,
        event: &EventRecord,
    ) -> StoreResult<bool> {
        self.reach_share_confirm(org, id, staff, messages, now, event)
            .await
    }

    async fn campaign_results(&self, id: CampaignId) -> StoreResult<CampaignResults> {
        self.reach_campaign_results(id).await
    }

    async fn negative_record(
        &self,
        org: OrgId,
        person: PersonId,
        kind: &str,
        blame: &quan_core::Blame,
        window: (Timestamp, Timestamp),
        first_hour_ms: i64,
    ) -> StoreResult<Option<NegativeHit>> {
        self.reach_negative_record(org, person, kind, blame, window, first_hour_ms)
            .await
    }

    async fn campaign_pause(
        &self,
        org: OrgId,
        id: CampaignId,
        event: &EventRecord,
    ) -> StoreResult<bool> {
        let n = self
            .reach_exec(
                "UPDATE campaigns SET status = 'paused' WHERE id = $1 AND org_id = $2 AND status IN ('confirming', 'sent')",
                &[id.to_string(), org.to_string()],
                Some(event),
            )
            .await?;
        Ok(n == 1)
    }

    async fn consent_opted_out(&self, org: OrgId, person: PersonId) -> StoreResult<bool> {
        let row = self
            .fetch_opt(
                sqlx::query(
                    "SELECT opted_out FROM reach_consent WHERE org_id = $1 AND person_id = $2",
                )
                .bind(org.to_string())
                .bind(person.to_string()),
            )
            .await?;
        row.as_ref()
            .map_or(Ok(false), |r| int(r, "opted_out").map(|v| v != 0))
    }

    async fn consent_get(&self, org: OrgId, person: PersonId) -> StoreResult<quan_core::Consent> {
        let row = self
            .fetch_opt(
                sqlx::query(
                    "SELECT opted_out, no_journeys, no_moments, weekly FROM reach_consent WHERE org_id = $1 AND person_id = $2",
                )
                .bind(org.to_string())
                .bind(person.to_string()),
            )
            .await?;
        let Some(r) = row else {
            return Ok(quan_core::Consent::default());
        };
        Ok(quan_core::Consent {
            campaigns: int(&r, "opted_out")? == 0,
            journeys: int(&r, "no_journeys")? == 0,
            moments: int(&r, "no_moments")? == 0,
            frequency: if int(&r, "weekly")? == 0 {
                Frequency::Budget
            } else {
                Frequency::Weekly
            },
        })
    }

    async fn consent_set(
        &self,
        org: OrgId,
        person: PersonId,
        consent: &quan_core::Consent,
        now: Timestamp,
        event: &EventRecord,
    ) -> StoreResult<()> {
        let off = |allowed: bool| i64::from(!allowed).to_string();
        self.reach_exec(
            "INSERT INTO reach_consent (org_id, person_id, opted_out, no_journeys, no_moments, updated_at, weekly) \
             VALUES ($1, $2, CAST($3 AS BIGINT), CAST($4 AS BIGINT), CAST($5 AS BIGINT), CAST($6 AS BIGINT), CAST($7 AS BIGINT)) \
             ON CONFLICT (org_id, person_id) DO UPDATE SET opted_out = excluded.opted_out, \
               no_journeys = excluded.no_journeys, no_moments = excluded.no_moments, updated_at = excluded.updated_at, \
               weekly = excluded.weekly",
            &[
                org.to_string(),
                person.to_string(),
                off(consent.campaigns),
                off(consent.journeys),
                off(consent.moments),
                now.millis().to_string(),
                i64::from(consent.frequency == Frequency::Weekly).to_string(),
            ],
            Some(event),
        )
        .await
        .map(|_| ())
    }

    async fn person_erase(
        &self,
        org: OrgId,
        person: PersonId,
        placeholder: &str,
        now: Timestamp,
        event: &EventRecord,
    ) -> StoreResult<()> {
        self.reach_person_erase(org, person, placeholder, now, event)
            .await
    }

    async fn reach_messages_all(&self, contact: ContactId) -> StoreResult<Vec<ReachMessageRecord>> {
        self.reach_messages_of(contact).await
    }

    async fn persons_of_account(
        &self,
        account: AccountId,
    ) -> StoreResult<Vec<(PersonId, OrgId, String)>> {
        self.reach_persons_of_account(account).await
    }

    async fn stage_facts(
        &self,
        org: OrgId,
        person: PersonId,
        now: Timestamp,
    ) -> StoreResult<StageFacts> {
        let month = now.millis() - 30 * DAY_MS;
        let row = self
            .fetch_opt(
                sqlx::query(
                    "SELECT \
                       (SELECT COUNT(*) FROM contacts c WHERE c.person_id = $1 AND c.org_id = $2 AND c.removed_at IS NULL) \
                     + (SELECT COUNT(*) FROM circle_members m WHERE m.person_id = $1 AND m.status = 'active') AS live, \
                       (SELECT COUNT(*) FROM contacts c WHERE c.person_id = $1 AND c.org_id = $2) \
                     + (SELECT COUNT(*) FROM circle_members m WHERE m.person_id = $1) AS ever, \
                       (SELECT COUNT(*) FROM posts x WHERE x.author_person_id = $1 AND x.created_at >= $3) \
                     + (SELECT COUNT(*) FROM comments k WHERE k.author_person_id = $1 AND k.created_at >= $3) \
                     + (SELECT COUNT(*) FROM reach_messages r JOIN contacts c ON c.id = r.contact_id \
                          WHERE c.person_id = $1 AND r.from_staff = 0 AND r.created_at >= $3) AS recent, \
                       (SELECT MAX(t) FROM ( \
                          SELECT MAX(x.created_at) AS t FROM posts x WHERE x.author_person_id = $1 \
                          UNION ALL SELECT MAX(k.created_at) FROM comments k WHERE k.author_person_id = $1 \
                          UNION ALL SELECT MAX(r.created_at) FROM reach_messages r JOIN contacts c ON c.id = r.contact_id \
                            WHERE c.person_id = $1 AND r.from_staff = 0 \
                          UNION ALL SELECT MAX(c.added_at) FROM contacts c WHERE c.person_id = $1 \
                          UNION ALL SELECT MAX(m.joined_at) FROM circle_members m WHERE m.person_id = $1) AS acts) AS last_at",
                )
                .bind(person.to_string())
                .bind(org.to_string())
                .bind(month),
            )
            .await?
            .ok_or(quan_core::StoreError::NotFound)?;
        let last = opt_ts(&row, "last_at")?;
        Ok(StageFacts {
            follows: int(&row, "live")? > 0,
            ever_followed: int(&row, "ever")? > 0,
            interactions_30d: int(&row, "recent")?,
            idle_days: last.map(|t| (now.millis() - t.millis()).max(0) / DAY_MS),
            paid_orders: 0,
            referrals: 0,
        })
    }

    async fn stage_set(
        &self,
        org: OrgId,
        person: PersonId,
        stage: LifecycleStage,
        event: &EventRecord,
    ) -> StoreResult<bool> {
        let mut tx = self.begin().await?;
        let n = exec(
            &mut tx,
            sqlx::query(
                "UPDATE persons SET stage = $3 WHERE id = $1 AND org_id = $2 AND stage <> $3",
            )
            .bind(person.to_string())
            .bind(org.to_string())
            .bind(stage.as_str()),
        )
        .await?;
        if n == 1 {
            Self::insert_event(&mut tx, event).await?;
        }
        tx.commit().await.map_err(backend)?;
        Ok(n == 1)
    }

    async fn reach_history(
        &self,
        org: OrgId,
        person: PersonId,
        limit: i64,
    ) -> StoreResult<Vec<EventRecord>> {
        let sql = format!(
            "SELECT {EVENT_COLS} FROM events WHERE subject = $1 AND org_id = $2 ORDER BY id DESC LIMIT $3"
        );
        self.fetch_all(
            sqlx::query(&sql)
                .bind(format!("person:{person}"))
                .bind(org.to_string())
                .bind(limit),
        )
        .await?
        .iter()
        .map(event)
        .collect()
    }
}
