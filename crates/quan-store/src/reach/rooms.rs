//! `RoomCampaignStore` for `SqlStore`: the rooms a campaign may go to, the plan's
//! per-room daily ledger (its primary key is the cap) and what each room came to.

use super::plan::{bind_all, list};
use crate::moderation::exec;
use crate::rows::{backend, flag, id, int, opt_id, text};
use crate::store::SqlStore;
use async_trait::async_trait;
use quan_core::{CampaignRoom, PlanCounts, RoomCampaignStore, RoomTarget, StoreResult};
use quan_domain::{AccountId, CampaignId, MessageId, OrgId, RoomId};
use sqlx::any::AnyRow;

/// The composer lists at most this many rooms.
const CHOICES_MAX: i64 = 200;

/// A room with its circle, who can read it and whether its day (`$2`) is taken.
const TARGET_COLS: &str = "r.id AS room_id, r.circle_id, r.name AS room_name, c.name AS circle_name, \
     c.member_count, CASE WHEN EXISTS (SELECT 1 FROM room_touches t WHERE t.room_id = r.id AND t.day = $2) \
     THEN 1 ELSE 0 END AS capped";

fn target(row: &AnyRow) -> StoreResult<RoomTarget> {
    Ok(RoomTarget {
        room: id(row, "room_id")?,
        circle: id(row, "circle_id")?,
        room_name: text(row, "room_name")?,
        circle_name: text(row, "circle_name")?,
        members: int(row, "member_count")?,
        capped: flag(row, "capped")?,
    })
}

#[async_trait]
impl RoomCampaignStore for SqlStore {
    async fn room_targets(
        &self,
        org: OrgId,
        rooms: Option<&[RoomId]>,
        member: Option<AccountId>,
        day: &str,
    ) -> StoreResult<Vec<RoomTarget>> {
        let mut binds = vec![org.to_string(), day.to_owned()];
        let mut sql = format!(
            "SELECT {TARGET_COLS} FROM chat_rooms r JOIN circles c ON c.id = r.circle_id WHERE c.org_id = $1"
        );
        if let Some(rooms) = rooms {
            if rooms.is_empty() {
                return Ok(Vec::new());
            }
            let marks = list(&mut binds, rooms.iter().map(ToString::to_string));
            sql.push_str(&format!(" AND r.id IN {marks}"));
        }
        if let Some(a) = member {
            binds.push(a.to_string());
            sql.push_str(&format!(
                " AND EXISTS (SELECT 1 FROM circle_members m WHERE m.circle_id = r.circle_id \
                 AND m.account_id = ${} AND m.status = 'active')",
                binds.len()
            ));
        }
        sql.push_str(&format!(
            " ORDER BY c.name, r.is_default DESC, r.name, r.id LIMIT {CHOICES_MAX}"
        ));
        let rows = self.fetch_all(bind_all(&sql, &binds)).await?;
        let mut found: Vec<RoomTarget> = rows.iter().map(target).collect::<StoreResult<_>>()?;
        // In the order the campaign names them.
        if let Some(rooms) = rooms {
            found.sort_by_key(|t| rooms.iter().position(|r| *r == t.room));
        }
        Ok(found)
    }

    async fn plan_rooms(
        &self,
        campaign: CampaignId,
        author: AccountId,
        rooms: &[RoomId],
        day: &str,
    ) -> StoreResult<PlanCounts> {
        let mut tx = self.begin().await?;
        let mut counts = PlanCounts::default();
        for room in rooms {
            // The insert is the guard: a room whose day another campaign took keeps it.
            let took = exec(
                &mut tx,
                sqlx::query(
                    "INSERT INTO room_touches (room_id, day, campaign_id) VALUES ($1, $2, $3) \
                     ON CONFLICT (room_id, day) DO NOTHING",
                )
                .bind(room.to_string())
                .bind(day.to_owned())
                .bind(campaign.to_string()),
            )
            .await?;
            let outcome = if took == 1 {
                counts.recipients += 1;
                "send"
            } else {
                counts.over_budget += 1;
                "room_daily"
            };
            exec(
                &mut tx,
                sqlx::query(
                    "INSERT INTO campaign_rooms (campaign_id, room_id, outcome) VALUES ($1, $2, $3)",
                )
                .bind(campaign.to_string())
                .bind(room.to_string())
                .bind(outcome),
            )
            .await?;
        }
        if counts.recipients > 0 {
            exec(
                &mut tx,
                sqlx::query(
                    "INSERT INTO campaign_shares (campaign_id, staff_id, recipients) VALUES ($1, $2, $3)",
                )
                .bind(campaign.to_string())
                .bind(author.to_string())
                .bind(counts.recipients),
            )
            .await?;
        }
        tx.commit().await.map_err(backend)?;
        Ok(counts)
    }

    async fn campaign_rooms(
        &self,
        org: OrgId,
        campaign: CampaignId,
    ) -> StoreResult<Vec<CampaignRoom>> {
        let rows = self
            .fetch_all(
                sqlx::query(&format!(
                    "SELECT {TARGET_COLS}, k.outcome, k.message_id FROM campaign_rooms k \
                     JOIN campaigns g ON g.id = k.campaign_id \
                     JOIN chat_rooms r ON r.id = k.room_id JOIN circles c ON c.id = r.circle_id \
                     WHERE g.org_id = $1 AND k.campaign_id = $3 ORDER BY c.name, r.name, r.id"
                ))
                .bind(org.to_string())
                // No day: `capped` is not what a plan's rooms are read for.
                .bind(String::new())
                .bind(campaign.to_string()),
            )
            .await?;
        rows.iter()
            .map(|r| {
                Ok(CampaignRoom {
                    target: target(r)?,
                    outcome: text(r, "outcome")?,
                    message: opt_id::<MessageId>(r, "message_id")?,
                })
            })
            .collect()
    }

    async fn room_posted(
        &self,
        campaign: CampaignId,
        room: RoomId,
        message: Option<MessageId>,
    ) -> StoreResult<()> {
        let (c, r) = (campaign.to_string(), room.to_string());
        // Once: a room that has its message keeps it.
        let (sql, binds) = match message {
            Some(m) => (
                "UPDATE campaign_rooms SET message_id = $3 WHERE campaign_id = $1 AND room_id = $2 AND message_id IS NULL",
                vec![c, r, m.to_string()],
            ),
            None => (
                "UPDATE campaign_rooms SET outcome = 'failed' WHERE campaign_id = $1 AND room_id = $2 AND message_id IS NULL",
                vec![c, r],
            ),
        };
        self.reach_exec(sql, &binds, None).await?;
        Ok(())
    }
}
