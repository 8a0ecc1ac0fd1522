//! `CircleInviteStore` for `SqlStore`: invite links, with a guarded increment so uses
//! never exceed the maximum.

use crate::circles::bump_member_count;
use crate::circles::insert_member;
use crate::moderation::exec;
use crate::rows::{self, backend, int, opt_ts, text, ts};
use crate::store::SqlStore;
use async_trait::async_trait;
use quan_core::{
    CircleInviteOutcome, CircleInviteRecord, CircleInviteStore, CircleMemberRecord, EventRecord,
    MemberStatus, StoreResult,
};
use quan_domain::{CircleId, CircleInviteId, Timestamp};
use sqlx::any::AnyRow;

pub(crate) const CIRCLE_INVITE_COLS: &str = "id, circle_id, code_hash, label, created_by, created_at, expires_at, max_uses, uses, revoked_at";

pub(crate) fn circle_invite(row: &AnyRow) -> StoreResult<CircleInviteRecord> {
    Ok(CircleInviteRecord {
        id: rows::id(row, "id")?,
        circle_id: rows::id(row, "circle_id")?,
        code_hash: text(row, "code_hash")?,
        label: text(row, "label")?,
        created_by: rows::id(row, "created_by")?,
        created_at: ts(row, "created_at")?,
        expires_at: ts(row, "expires_at")?,
        max_uses: int(row, "max_uses")?,
        uses: int(row, "uses")?,
        revoked_at: opt_ts(row, "revoked_at")?,
    })
}

#[async_trait]
impl CircleInviteStore for SqlStore {
    async fn circle_invite_insert(
        &self,
        inv: &CircleInviteRecord,
        event: &EventRecord,
    ) -> StoreResult<()> {
        let mut tx = self.begin().await?;
        let sql = format!(
            "INSERT INTO circle_invites ({CIRCLE_INVITE_COLS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)"
        );
        sqlx::query(&sql)
            .bind(inv.id.to_string())
            .bind(inv.circle_id.to_string())
            .bind(inv.code_hash.clone())
            .bind(inv.label.clone())
            .bind(inv.created_by.to_string())
            .bind(inv.created_at.millis())
            .bind(inv.expires_at.millis())
            .bind(inv.max_uses)
            .bind(inv.uses)
            .bind(inv.revoked_at.map(Timestamp::millis))
            .execute(&mut *tx)
            .await
            .map_err(backend)?;
        Self::insert_event(&mut tx, event).await?;
        tx.commit().await.map_err(backend)
    }

    async fn circle_invite_list(&self, circle: CircleId) -> StoreResult<Vec<CircleInviteRecord>> {
        let sql = format!(
            "SELECT {CIRCLE_INVITE_COLS} FROM circle_invites WHERE circle_id = $1 ORDER BY id DESC LIMIT 200"
        );
        self.fetch_all(sqlx::query(&sql).bind(circle.to_string()))
            .await?
            .iter()
            .map(circle_invite)
            .collect()
    }

    async fn circle_invite_by_code_hash(
        &self,
        code_hash: &str,
    ) -> StoreResult<Option<CircleInviteRecord>> {
        let sql = format!("SELECT {CIRCLE_INVITE_COLS} FROM circle_invites WHERE code_hash = $1");
        self.fetch_opt(sqlx::query(&sql).bind(code_hash.to_owned()))
            .await?
            .as_ref()
            .map(circle_invite)
            .transpose()
    }

    async fn circle_invite_revoke(
        &self,
        circle: CircleId,
        id: CircleInviteId,
        now: Timestamp,
    ) -> StoreResult<bool> {
        let mut tx = self.begin().await?;
        let n = exec(
                &mut tx,
                sqlx::query("UPDATE circle_invites SET revoked_at = $3 WHERE circle_id = $1 AND id = $2 AND revoked_at IS NULL")
                    .bind(circle.to_string())
                    .bind(id.to_string())
                    .bind(now.millis()),
            )
            .await?;
        tx.commit().await.map_err(backend)?;
        Ok(n > 0)
    }

    async fn circle_invite_accept(
        &self,
        invite: CircleInviteId,
        m: &CircleMemberRecord,
        event: &EventRecord,
    ) -> StoreResult<CircleInviteOutcome> {
        let mut tx = self.begin().await?;
        let existing = sqlx::query(
            "SELECT status FROM circle_members WHERE circle_id = $1 AND account_id = $2",
        )
        .bind(m.circle_id.to_string())
        .bind(m.account_id.to_string())
        .fetch_optional(&mut *tx)
        .await
        .map_err(backend)?
        .map(|r| text(&r, "status"))
        .transpose()?;
        if existing.as_deref() == Some("active") {
            return Ok(CircleInviteOutcome::AlreadyMember);
        }
        // The guarded increment: however many accept at once, uses never passes
        // max_uses, and an expired or revoked link admits no one.
        let used = exec(
                &mut tx,
                sqlx::query(
                    "UPDATE circle_invites SET uses = uses + 1 WHERE id = $1 AND circle_id = $2 AND uses < max_uses \
                     AND revoked_at IS NULL AND expires_at > $3",
                )
                .bind(invite.to_string())
                .bind(m.circle_id.to_string())
                .bind(m.joined_at.millis()),
            )
            .await?;
        if used == 0 {
            return Ok(CircleInviteOutcome::Invalid);
        }
        let outcome = if existing.is_some() {
            exec(
                &mut tx,
                sqlx::query("UPDATE circle_members SET status = 'active' WHERE circle_id = $1 AND account_id = $2")
                    .bind(m.circle_id.to_string())
                    .bind(m.account_id.to_string()),
            )
            .await?;
            bump_member_count(&mut tx, m.circle_id).await?;
            CircleInviteOutcome::Approved
        } else {
            let mut active = m.clone();
            active.status = MemberStatus::Active;
            insert_member(&mut tx, &active).await?;
            CircleInviteOutcome::Joined
        };
        exec(
            &mut tx,
            sqlx::query(
                "UPDATE circle_members SET invite_id = $3 WHERE circle_id = $1 AND account_id = $2",
            )
            .bind(m.circle_id.to_string())
            .bind(m.account_id.to_string())
            .bind(invite.to_string()),
        )
        .await?;
        Self::insert_event(&mut tx, event).await?;
        tx.commit().await.map_err(backend)?;
        Ok(outcome)
    }
}
