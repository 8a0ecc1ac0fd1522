//! `DeliveryStore` for `SqlStore`: the org's webhook endpoint, the delivery outbox
//! (claimed by a guarded update on the lease it read, so two nodes never send one
//! twice at once) and link clicks.

use crate::moderation::exec;
use crate::rows::{backend, id, int, opt_id, opt_text, opt_ts, text, ts};
use crate::store::SqlStore;
use async_trait::async_trait;
use quan_core::{
    Channel, ChannelTally, DeliveryStatus, DeliveryStore, DueDelivery, EndpointRecord, LinkCard,
    StoreResult,
};
use quan_domain::{CampaignId, OrgId, ReachMessageId, Timestamp};
use sqlx::any::AnyRow;

/// What sending a message needs, read when it is sent.
const DUE_SELECT: &str = "SELECT m.id, m.body, m.visible_at, m.org_id, o.name AS org_name, \
     c.id AS campaign_id, c.name AS campaign_name, c.link_url, c.link_title, \
     k.person_id, p.display_name AS person_name, s.display_name AS staff_name, k.removed_at, \
     (SELECT rc.opted_out FROM reach_consent rc WHERE rc.org_id = m.org_id AND rc.person_id = k.person_id) AS opted_out, \
     COALESCE((SELECT h.value FROM handles h WHERE h.person_id = k.person_id AND h.kind = 'email' \
               ORDER BY h.verified DESC, h.created_at LIMIT 1), pa.email) AS email, \
     COALESCE((SELECT h.value FROM handles h WHERE h.person_id = k.person_id AND h.kind = 'phone' \
               ORDER BY h.verified DESC, h.created_at LIMIT 1), pa.phone) AS phone \
     FROM reach_messages m JOIN contacts k ON k.id = m.contact_id JOIN persons p ON p.id = k.person_id \
     LEFT JOIN accounts pa ON pa.id = p.account_id JOIN accounts s ON s.id = k.staff_id \
     JOIN orgs o ON o.id = m.org_id JOIN campaigns c ON c.id = m.campaign_id WHERE m.id = $1";

fn due(r: &AnyRow, channel: Channel, attempts: i64) -> StoreResult<DueDelivery> {
    let link = match (opt_text(r, "link_url")?, opt_text(r, "link_title")?) {
        (Some(url), title) => Some(LinkCard {
            url,
            title: title.unwrap_or_default(),
        }),
        _ => None,
    };
    let opted_out = crate::rows::opt_int(r, "opted_out")?.unwrap_or(0) != 0;
    Ok(DueDelivery {
        message: id(r, "id")?,
        channel,
        org_id: id(r, "org_id")?,
        org_name: text(r, "org_name")?,
        campaign: id(r, "campaign_id")?,
        campaign_name: text(r, "campaign_name")?,
        link,
        attempts,
        body: text(r, "body")?,
        visible_at: ts(r, "visible_at")?,
        person: id(r, "person_id")?,
        person_name: text(r, "person_name")?,
        staff_name: text(r, "staff_name")?,
        email: opt_text(r, "email")?.filter(|e| !e.is_empty()),
        phone: opt_text(r, "phone")?.filter(|p| !p.is_empty()),
        reachable: opt_ts(r, "removed_at")?.is_none() && !opted_out,
    })
}

fn endpoint(r: &AnyRow) -> StoreResult<EndpointRecord> {
    Ok(EndpointRecord {
        org_id: id(r, "org_id")?,
        url: text(r, "url")?,
        secret: text(r, "secret")?,
        created_by: opt_id(r, "created_by")?,
        created_at: ts(r, "created_at")?,
    })
}

impl SqlStore {
    /// The outbox rows of a confirmed share: one per message of `staff`'s customers
    /// and channel the campaign chose, due when the message shows. In the share's
    /// own transaction (see `reach_share_confirm`).
    pub(crate) async fn reach_deliveries_in(
        tx: &mut crate::store::Tx,
        campaign: CampaignId,
        staff: quan_domain::AccountId,
    ) -> StoreResult<()> {
        for (channel, column) in [
            (Channel::Email, "deliver_email"),
            (Channel::Webhook, "deliver_webhook"),
        ] {
            exec(
                tx,
                sqlx::query(&format!(
                    "INSERT INTO reach_deliveries (message_id, channel, org_id, campaign_id, status, attempts, next_at) \
                     SELECT m.id, $3, m.org_id, m.campaign_id, 'pending', 0, m.visible_at \
                     FROM reach_messages m JOIN contacts k ON k.id = m.contact_id \
                     WHERE m.campaign_id = $1 AND k.staff_id = $2 \
                     AND EXISTS (SELECT 1 FROM campaigns c WHERE c.id = $1 AND c.{column} = 1) \
                     ON CONFLICT (message_id, channel) DO NOTHING"
                ))
                .bind(campaign.to_string())
                .bind(staff.to_string())
                .bind(channel.as_str()),
            )
            .await?;
        }
        Ok(())
    }
}

#[async_trait]
impl DeliveryStore for SqlStore {
    async fn endpoint_get(&self, org: OrgId) -> StoreResult<Option<EndpointRecord>> {
        self.fetch_opt(
            sqlx::query(
                "SELECT org_id, url, secret, created_by, created_at FROM reach_endpoints WHERE org_id = $1",
            )
            .bind(org.to_string()),
        )
        .await?
        .as_ref()
        .map(endpoint)
        .transpose()
    }

    async fn endpoint_put(&self, e: &EndpointRecord) -> StoreResult<()> {
        let mut tx = self.begin().await?;
        exec(
            &mut tx,
            sqlx::query(
                "INSERT INTO reach_endpoints (org_id, url, secret, created_by, created_at) VALUES ($1, $2, $3, $4, $5) \
                 ON CONFLICT (org_id) DO UPDATE SET url = excluded.url, secret = excluded.secret, \
                 created_by = excluded.created_by, created_at = excluded.created_at",
            )
            .bind(e.org_id.to_string())
            .bind(e.url.clone())
            .bind(e.secret.clone())
            .bind(e.created_by.map(|a| a.to_string()))
            .bind(e.created_at.millis()),
        )
        .await?;
        tx.commit().await.map_err(backend)
    }

    async fn endpoint_delete(&self, org: OrgId) -> StoreResult<bool> {
        let mut tx = self.begin().await?;
        let n = exec(
            &mut tx,
            sqlx::query("DELETE FROM reach_endpoints WHERE org_id = $1").bind(org.to_string()),
        )
        .await?;
        tx.commit().await.map_err(backend)?;
        Ok(n == 1)
    }

    async fn deliveries_claim(
        &self,
        now: Timestamp,
        lease_ms: i64,
        limit: i64,
    ) -> StoreResult<Vec<DueDelivery>> {
        let rows = self
            .fetch_all(
                sqlx::query(
                    "SELECT message_id, channel, attempts, next_at FROM reach_deliveries \
                     WHERE status = 'pending' AND next_at <= $1 ORDER BY next_at LIMIT $2",
                )
                .bind(now.millis())
                .bind(limit),
            )
            .await?;
        let mut out = Vec::new();
        for r in rows {
            let message: ReachMessageId = id(&r, "message_id")?;
            let raw = text(&r, "channel")?;
            let channel =
                Channel::parse(&raw).ok_or_else(|| crate::rows::corrupt("channel", raw.clone()))?;
            let attempts = int(&r, "attempts")?;
            let mut tx = self.begin().await?;
            let took = exec(
                &mut tx,
                sqlx::query(
                    "UPDATE reach_deliveries SET next_at = $3, attempts = attempts + 1 \
                     WHERE message_id = $1 AND channel = $2 AND status = 'pending' AND next_at = $4",
                )
                .bind(message.to_string())
                .bind(channel.as_str())
                .bind(now.millis().saturating_add(lease_ms))
                .bind(int(&r, "next_at")?),
            )
            .await?;
            tx.commit().await.map_err(backend)?;
            if took == 0 {
                continue;
            }
            if let Some(row) = self
                .fetch_opt(sqlx::query(DUE_SELECT).bind(message.to_string()))
                .await?
            {
                out.push(due(&row, channel, attempts)?);
            }
        }
        Ok(out)
    }

    async fn delivery_done(
        &self,
        (message, channel, attempts): (ReachMessageId, Channel, i64),
        status: DeliveryStatus,
        error: Option<&str>,
        retry_at: Option<Timestamp>,
        now: Timestamp,
    ) -> StoreResult<()> {
        let done = (status != DeliveryStatus::Pending).then_some(now.millis());
        let next = retry_at.unwrap_or(now).millis();
        let mut tx = self.begin().await?;
        exec(
            &mut tx,
            sqlx::query(
                "UPDATE reach_deliveries SET status = $3, last_error = $4, next_at = $5, done_at = $6 \
                 WHERE message_id = $1 AND channel = $2 AND status = 'pending' AND attempts = $7",
            )
            .bind(message.to_string())
            .bind(channel.as_str())
            .bind(status.as_str())
            .bind(error.map(|e| e.chars().take(500).collect::<String>()))
            .bind(next)
            .bind(done)
            .bind(attempts),
        )
        .await?;
        tx.commit().await.map_err(backend)
    }

    async fn delivery_tally(
        &self,
        campaign: CampaignId,
        channel: Channel,
    ) -> StoreResult<ChannelTally> {
        let rows = self
            .fetch_all(
                sqlx::query(
                    "SELECT status, COUNT(*) AS n FROM reach_deliveries \
                     WHERE campaign_id = $1 AND channel = $2 GROUP BY status",
                )
                .bind(campaign.to_string())
                .bind(channel.as_str()),
            )
            .await?;
        let mut t = ChannelTally::default();
        for r in rows {
            let n = int(&r, "n")?;
            match text(&r, "status")?.as_str() {
                "pending" => t.pending = n,
                "sent" => t.sent = n,
                "failed" => t.failed = n,
                _ => t.skipped += n,
            }
        }
        Ok(t)
    }

    async fn message_click(
        &self,
        message: ReachMessageId,
        now: Timestamp,
    ) -> StoreResult<Option<String>> {
        let Some(row) = self
            .fetch_opt(
                sqlx::query(
                    "SELECT c.link_url FROM reach_messages m JOIN campaigns c ON c.id = m.campaign_id WHERE m.id = $1",
                )
                .bind(message.to_string()),
            )
            .await?
        else {
            return Ok(None);
        };
        let Some(url) = opt_text(&row, "link_url")? else {
            return Ok(None);
        };
        let mut tx = self.begin().await?;
        exec(
            &mut tx,
            sqlx::query(
                "UPDATE reach_messages SET clicked_at = $2 WHERE id = $1 AND clicked_at IS NULL",
            )
            .bind(message.to_string())
            .bind(now.millis()),
        )
        .await?;
        tx.commit().await.map_err(backend)?;
        Ok(Some(url))
    }
}
