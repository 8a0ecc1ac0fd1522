//! Negative feedback's attribution: a customer's deletion or opt-out is blamed on
//! the latest campaign or journey message, or moment, they were shown in the window
//! before it, once per thing blamed and customer.

use super::plan::{bind_all, list};
use crate::moderation::exec;
use crate::rows::{self, backend, int, text};
use crate::store::{SqlStore, Tx};
use quan_core::{Blame, NegativeHit, StoreResult};
use quan_domain::{CampaignId, OrgId, PersonId, Timestamp};
use sqlx::any::AnyRow;

/// Who did what when: what each attribution writes beside what it blames.
struct Negative<'a> {
    person: PersonId,
    kind: &'a str,
    now: Timestamp,
}

impl SqlStore {
    pub(crate) async fn reach_negative_record(
        &self,
        org: OrgId,
        person: PersonId,
        kind: &str,
        blame: &Blame,
        (since, now): (Timestamp, Timestamp),
        first_hour_ms: i64,
    ) -> StoreResult<Option<NegativeHit>> {
        let mut tx = self.begin().await?;
        let window = [
            person.to_string(),
            org.to_string(),
            since.millis().to_string(),
            now.millis().to_string(),
        ];
        let message = if blame.messages.is_empty() {
            None
        } else {
            // Which kinds of message may take the blame (an opt-out of journeys
            // blames a journey's message, not a campaign's), after the four.
            let mut binds = window.to_vec();
            let kinds = list(
                &mut binds,
                blame.messages.iter().map(|k| k.as_str().to_owned()),
            );
            let sql = format!(
                "SELECT m.kind, m.campaign_id, m.dedupe, m.visible_at, c.staff_id FROM reach_messages m \
                 JOIN contacts c ON c.id = m.contact_id \
                 WHERE c.person_id = $1 AND c.org_id = $2 AND m.kind IN {kinds} \
                   AND m.visible_at >= CAST($3 AS BIGINT) AND m.visible_at <= CAST($4 AS BIGINT) \
                 ORDER BY m.visible_at DESC, m.id DESC LIMIT 1"
            );
            bind_all(&sql, &binds)
                .fetch_optional(&mut *tx)
                .await
                .map_err(backend)?
        };
        let moment = if blame.moments {
            let mut binds = window.to_vec();
            let mut sql = "SELECT v.moment_id, v.last_seen_at, m.staff_id FROM moment_views v \
                 JOIN moments m ON m.id = v.moment_id \
                 WHERE v.person_id = $1 AND m.org_id = $2 \
                   AND v.last_seen_at >= CAST($3 AS BIGINT) AND v.last_seen_at <= CAST($4 AS BIGINT)"
                .to_owned();
            if let Some(staff) = blame.staff {
                binds.push(staff.to_string());
                sql.push_str(" AND m.staff_id = $5");
            }
            sql.push_str(" ORDER BY v.last_seen_at DESC, v.moment_id DESC LIMIT 1");
            bind_all(&sql, &binds)
                .fetch_optional(&mut *tx)
                .await
                .map_err(backend)?
        } else {
            None
        };
        let n = Negative { person, kind, now };
        // The later of the two was the last thing they were shown.
        let message = match (message, moment) {
            (Some(m), Some(v)) if int(&v, "last_seen_at")? <= int(&m, "visible_at")? => m,
            (Some(m), None) => m,
            (_, Some(v)) => {
                blame_moment(&mut tx, &n, &v).await?;
                tx.commit().await.map_err(backend)?;
                return Ok(None);
            }
            (None, None) => return Ok(None),
        };
        if text(&message, "kind")? == "journey" {
            blame_journey(&mut tx, &n, &message).await?;
            tx.commit().await.map_err(backend)?;
            return Ok(None);
        }
        let campaign: CampaignId = rows::id(&message, "campaign_id")?;
        let added = exec(
            &mut tx,
            sqlx::query(
                "INSERT INTO campaign_negatives (campaign_id, person_id, staff_id, kind, at) VALUES ($1, $2, $3, $4, $5) \
                 ON CONFLICT (campaign_id, person_id) DO NOTHING",
            )
            .bind(campaign.to_string())
            .bind(person.to_string())
            .bind(text(&message, "staff_id")?)
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

/// A journey's step takes the blame: its message's dedupe key is
/// `journey:<run>:<step>`.
async fn blame_journey(tx: &mut Tx, n: &Negative<'_>, message: &AnyRow) -> StoreResult<()> {
    let dedupe = rows::opt_text(message, "dedupe")?.unwrap_or_default();
    let mut parts = dedupe.split(':').skip(1);
    let run = parts.next().unwrap_or_default().to_owned();
    let step = parts.next().and_then(|s| s.parse::<i64>().ok());
    exec(
        tx,
        sqlx::query(
            "INSERT INTO journey_negatives (journey_id, person_id, step, staff_id, kind, at) \
             SELECT r.journey_id, $2, COALESCE(CAST($6 AS BIGINT), 0), $3, $4, $5 FROM journey_runs r WHERE r.id = $1 \
             ON CONFLICT (journey_id, person_id) DO NOTHING",
        )
        .bind(run)
        .bind(n.person.to_string())
        .bind(text(message, "staff_id")?)
        .bind(n.kind.to_owned())
        .bind(n.now.millis())
        .bind(step),
    )
    .await?;
    Ok(())
}

/// A moment the customer's feed showed takes the blame.
async fn blame_moment(tx: &mut Tx, n: &Negative<'_>, view: &AnyRow) -> StoreResult<()> {
    exec(
        tx,
        sqlx::query(
            "INSERT INTO moment_negatives (moment_id, person_id, staff_id, kind, at) VALUES ($1, $2, $3, $4, $5) \
             ON CONFLICT (moment_id, person_id) DO NOTHING",
        )
        .bind(text(view, "moment_id")?)
        .bind(n.person.to_string())
        .bind(text(view, "staff_id")?)
        .bind(n.kind.to_owned())
        .bind(n.now.millis()),
    )
    .await?;
    Ok(())
}
