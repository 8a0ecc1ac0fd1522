//! `RoomCampaignStore` for `SqlStore`: the rooms a campaign may go to, a room
//! campaign's plan, the per-room daily ledger taken when a message is posted (its
//! primary key is the cap) and what each room came to.

use super::plan::{bind_all, list};
use crate::moderation::exec;
use crate::rows::{backend, flag, id, int, opt_id, text};
use crate::store::SqlStore;
use async_trait::async_trait;
use quan_core::{CampaignRoom, PlanCounts, RoomCampaignStore, RoomPost, RoomTarget, StoreResult};
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
        org: OrgId,
        campaign: CampaignId,
        author: AccountId,
        rooms: &[RoomId],
        day: &str,
    ) -> StoreResult<PlanCounts> {
        let mut tx = self.begin().await?;
        let mut counts = PlanCounts::default();
        for room in rooms {
            // The room's outcome as its day stands; of the org's rooms only (a room
            // deleted since the campaign was composed is left out).
            exec(
                &mut tx,
                sqlx::query(
                    "INSERT INTO campaign_rooms (campaign_id, room_id, outcome) \
                     SELECT $1, r.id, CASE WHEN EXISTS (SELECT 1 FROM room_touches t WHERE t.room_id = r.id AND t.day = $4) \
                       THEN 'room_daily' ELSE 'send' END \
                     FROM chat_rooms r JOIN circles c ON c.id = r.circle_id WHERE r.id = $2 AND c.org_id = $3",
                )
                .bind(campaign.to_string())
                .bind(room.to_string())
                .bind(org.to_string())
                .bind(day.to_owned()),
            )
            .await?;
        }
        let rows = sqlx::query(
            "SELECT outcome, COUNT(*) AS n FROM campaign_rooms WHERE campaign_id = $1 GROUP BY outcome",
        )
        .bind(campaign.to_string())
        .fetch_all(&mut *tx)
        .await
        .map_err(backend)?;
        for r in &rows {
            match text(r, "outcome")?.as_str() {
                "send" => counts.recipients = int(r, "n")?,
                _ => counts.over_budget += int(r, "n")?,
            }
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

    async fn take_room_day(
        &self,
        campaign: CampaignId,
        room: RoomId,
        day: &str,
    ) -> StoreResult<bool> {
        // The insert is the guard: the primary key (room, day) is the cap of one.
        let took = self
            .reach_exec(
                "INSERT INTO room_touches (room_id, day, campaign_id) VALUES ($1, $2, $3) \
                 ON CONFLICT (room_id, day) DO NOTHING",
                &[room.to_string(), day.to_owned(), campaign.to_string()],
                None,
            )
            .await?;
        Ok(took == 1)
    }

    async fn room_posted(
        &self,
        org: OrgId,
        campaign: CampaignId,
        room: RoomId,
        day: &str,
        post: RoomPost,
    ) -> StoreResult<()> {
        let (c, r, o) = (campaign.to_string(), room.to_string(), org.to_string());
        // Once, and only for a campaign of the org: a room that has its outcome keeps it.
        let mine = "campaign_id = $1 AND room_id = $2 AND message_id IS NULL AND outcome = 'send' \
             AND EXISTS (SELECT 1 FROM campaigns g WHERE g.id = $1 AND g.org_id = $3)";
        let mut tx = self.begin().await?;
        match post {
            RoomPost::Posted(m) => {
                let sql = format!("UPDATE campaign_rooms SET message_id = $4 WHERE {mine}");
                exec(&mut tx, bind_all(&sql, &[c, r, o, m.to_string()])).await?;
            }
            RoomPost::DayTaken => {
                let sql = format!("UPDATE campaign_rooms SET outcome = 'room_daily' WHERE {mine}");
                exec(&mut tx, bind_all(&sql, &[c, r, o])).await?;
            }
            RoomPost::Refused => {
                let sql = format!("UPDATE campaign_rooms SET outcome = 'failed' WHERE {mine}");
                exec(&mut tx, bind_all(&sql, &[c.clone(), r.clone(), o])).await?;
                // The day goes back: nothing was posted in it.
                exec(
                    &mut tx,
                    bind_all(
                        "DELETE FROM room_touches WHERE room_id = $1 AND day = $2 AND campaign_id = $3",
                        &[r, day.to_owned(), c],
                    ),
                )
                .await?;
            }
        }
        tx.commit().await.map_err(backend)
    }
}
