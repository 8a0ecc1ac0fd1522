//! Campaigns: drafts, the end of a plan, shares and their confirmation and results
//! (the plan itself is in `plan`, negative feedback's attribution in `negatives`).

use super::decode::{self as reach_rows, CAMPAIGN_COLS};
use crate::moderation::exec;
use crate::rows::{self, backend, int, text};
use crate::store::SqlStore;
use quan_core::{
    CampaignRecord, CampaignResults, EventRecord, PlanCounts, ReachMessageRecord, ShareRecipient,
    ShareRecord, StoreResult,
};
use quan_domain::{AccountId, CampaignId, OrgId, Timestamp};

impl SqlStore {
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
                 staff_daily = $7, opted_out = $8, routed = $9, weekly = $10 WHERE id = $1 AND org_id = $2",
            )
            .bind(id.to_string())
            .bind(org.to_string())
            .bind(status)
            .bind(send_at.millis())
            .bind(counts.recipients)
            .bind(counts.over_budget)
            .bind(counts.staff_daily)
            .bind(counts.opted_out)
            .bind(counts.routed)
            .bind(counts.weekly),
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
