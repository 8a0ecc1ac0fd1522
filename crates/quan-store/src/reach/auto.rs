//! `AutoReplyStore` for `SqlStore`: rules, settings, and the hand-off pause.

use crate::rows::{backend, id, opt_ts, parsed, text, ts};
use crate::store::SqlStore;
use async_trait::async_trait;
use quan_core::{AutoReplyRecord, AutoReplySettings, AutoReplyStore, EventRecord, StoreResult};
use quan_domain::{AutoReplyId, ContactId, OrgId, RuleAction, Timestamp};

#[async_trait]
impl AutoReplyStore for SqlStore {
    async fn auto_rules(&self, org: OrgId) -> StoreResult<Vec<AutoReplyRecord>> {
        let rows = self
            .fetch_all(
                sqlx::query(
                    "SELECT id, org_id, name, kind, pattern, action, answer, created_at FROM auto_replies \
                     WHERE org_id = $1 ORDER BY id LIMIT 200",
                )
                .bind(org.to_string()),
            )
            .await?;
        rows.iter()
            .map(|r| {
                Ok(AutoReplyRecord {
                    id: id(r, "id")?,
                    org_id: id(r, "org_id")?,
                    name: text(r, "name")?,
                    kind: text(r, "kind")?,
                    pattern: text(r, "pattern")?,
                    action: parsed(r, "action", RuleAction::parse)?,
                    answer: text(r, "answer")?,
                    created_at: ts(r, "created_at")?,
                })
            })
            .collect()
    }

    async fn auto_rule_insert(&self, r: &AutoReplyRecord, event: &EventRecord) -> StoreResult<()> {
        let mut tx = self.begin().await?;
        sqlx::query(
            "INSERT INTO auto_replies (id, org_id, name, kind, pattern, action, answer, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        )
        .bind(r.id.to_string())
        .bind(r.org_id.to_string())
        .bind(r.name.clone())
        .bind(r.kind.clone())
        .bind(r.pattern.clone())
        .bind(r.action.as_str())
        .bind(r.answer.clone())
        .bind(r.created_at.millis())
        .execute(&mut *tx)
        .await
        .map_err(backend)?;
        Self::insert_event(&mut tx, event).await?;
        tx.commit().await.map_err(backend)
    }

    async fn auto_rule_delete(
        &self,
        org: OrgId,
        rule: AutoReplyId,
        event: &EventRecord,
    ) -> StoreResult<bool> {
        let n = self
            .reach_exec(
                "DELETE FROM auto_replies WHERE id = $1 AND org_id = $2",
                &[rule.to_string(), org.to_string()],
                Some(event),
            )
            .await?;
        Ok(n == 1)
    }

    async fn auto_settings(&self, org: OrgId) -> StoreResult<AutoReplySettings> {
        let row = self
            .fetch_opt(
                sqlx::query("SELECT business_hours, away_message FROM auto_reply_settings WHERE org_id = $1")
                    .bind(org.to_string()),
            )
            .await?;
        match row {
            Some(r) => Ok(AutoReplySettings {
                business_hours: text(&r, "business_hours")?,
                away_message: text(&r, "away_message")?,
            }),
            None => Ok(AutoReplySettings::default()),
        }
    }

    async fn auto_settings_set(&self, org: OrgId, s: &AutoReplySettings) -> StoreResult<()> {
        self.reach_exec(
            "INSERT INTO auto_reply_settings (org_id, business_hours, away_message) VALUES ($1, $2, $3) \
             ON CONFLICT (org_id) DO UPDATE SET business_hours = excluded.business_hours, away_message = excluded.away_message",
            &[org.to_string(), s.business_hours.clone(), s.away_message.clone()],
            None,
        )
        .await
        .map(|_| ())
    }

    async fn auto_paused_until(&self, contact: ContactId) -> StoreResult<Option<Timestamp>> {
        let row = self
            .fetch_opt(
                sqlx::query("SELECT auto_paused_until FROM contacts WHERE id = $1")
                    .bind(contact.to_string()),
            )
            .await?;
        row.as_ref()
            .map_or(Ok(None), |r| opt_ts(r, "auto_paused_until"))
    }

    async fn auto_pause(&self, contact: ContactId, until: Timestamp) -> StoreResult<()> {
        self.reach_exec(
            "UPDATE contacts SET auto_paused_until = CAST($2 AS BIGINT) WHERE id = $1",
            &[contact.to_string(), until.millis().to_string()],
            None,
        )
        .await
        .map(|_| ())
    }
}
