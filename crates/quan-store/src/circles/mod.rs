//! `CircleStore` for `SqlStore`: circles, memberships (member counts in the same
//! transaction), settings and the viewer's quirks.

pub(crate) mod board;
pub(crate) mod decode;
pub(crate) mod images;
pub(crate) mod invites;
pub(crate) mod posts;

use crate::circles::decode as circle_rows;
use crate::moderation::exec;
use crate::rows::{self, backend, int};
use crate::store::{SqlStore, Tx};
use async_trait::async_trait;
use quan_core::{
    CircleMemberRecord, CircleRecord, CircleStore, EventRecord, MemberStatus, Page, PageRequest,
    StoreError, StoreResult, ViewerQuirks,
};
use quan_domain::{
    AccountId, CircleId, CircleRole, HistoryWindow, MemberTypes, OrgId, RoomId, Timestamp,
};

pub(crate) const CIRCLE_COLS: &str = "id, org_id, name, description, mode, join_policy, posting, forwarding, read_receipts, public, member_count, created_by, created_at, quality_score, boost_status, cover_image_id, tags";

pub(crate) const MEMBER_SELECT: &str = "SELECT m.circle_id, m.account_id, m.person_id, m.role, m.status, m.is_member, m.is_customer, m.is_fan, m.joined_at, m.role_seq, p.display_name \
     FROM circle_members m JOIN persons p ON p.id = m.person_id";

pub(crate) async fn insert_member(tx: &mut Tx, m: &CircleMemberRecord) -> StoreResult<()> {
    sqlx::query(
        "INSERT INTO circle_members (circle_id, account_id, person_id, role, status, is_member, is_customer, is_fan, role_seq, joined_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
    )
    .bind(m.circle_id.to_string())
    .bind(m.account_id.to_string())
    .bind(m.person_id.to_string())
    .bind(m.role.as_str())
    .bind(m.status.as_str())
    .bind(i64::from(m.types.member))
    .bind(i64::from(m.types.customer))
    .bind(i64::from(m.types.fan))
    .bind(m.role_since.millis())
    .bind(m.joined_at.millis())
    .execute(&mut **tx)
    .await
    .map_err(backend)?;
    if m.status == MemberStatus::Active {
        bump_member_count(tx, m.circle_id).await?;
    }
    Ok(())
}

pub(crate) async fn bump_member_count(tx: &mut Tx, circle: CircleId) -> StoreResult<()> {
    sqlx::query("UPDATE circles SET member_count = member_count + 1 WHERE id = $1")
        .bind(circle.to_string())
        .execute(&mut **tx)
        .await
        .map_err(backend)?;
    Ok(())
}

#[async_trait]
impl CircleStore for SqlStore {
    async fn circle_insert(
        &self,
        c: &CircleRecord,
        owner: &CircleMemberRecord,
        event: &EventRecord,
    ) -> StoreResult<()> {
        let mut tx = self.begin().await?;
        sqlx::query(
            "INSERT INTO circles (id, org_id, name, description, mode, join_policy, posting, forwarding, read_receipts, public, member_count, created_by, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, 0, $11, $12)",
        )
        .bind(c.id.to_string())
        .bind(c.org_id.to_string())
        .bind(c.name.clone())
        .bind(c.description.clone())
        .bind(c.mode.as_str())
        .bind(c.join_policy.as_str())
        .bind(c.posting.as_str())
        .bind(i64::from(c.forwarding))
        .bind(i64::from(c.read_receipts))
        .bind(i64::from(c.public))
        .bind(c.created_by.to_string())
        .bind(c.created_at.millis())
        .execute(&mut *tx)
        .await
        .map_err(backend)?;
        insert_member(&mut tx, owner).await?;
        // Every circle starts with its default chat room.
        sqlx::query("INSERT INTO chat_rooms (id, circle_id, name, is_default, created_at) VALUES ($1, $2, $3, 1, $4)")
            .bind(RoomId::new().to_string())
            .bind(c.id.to_string())
            .bind("综合 General")
            .bind(c.created_at.millis())
            .execute(&mut *tx)
            .await
            .map_err(backend)?;
        Self::insert_event(&mut tx, event).await?;
        tx.commit().await.map_err(backend)
    }

    async fn circle_get(&self, id: CircleId) -> StoreResult<Option<CircleRecord>> {
        let sql = format!("SELECT {CIRCLE_COLS} FROM circles WHERE id = $1");
        self.fetch_opt(sqlx::query(&sql).bind(id.to_string()))
            .await?
            .as_ref()
            .map(circle_rows::circle)
            .transpose()
    }

    async fn circle_list(&self, org: OrgId, page: &PageRequest) -> StoreResult<Page<CircleRecord>> {
        let sql = format!("SELECT {CIRCLE_COLS} FROM circles WHERE org_id = $1");
        self.keyset_page(
            &sql,
            &[org.to_string()],
            ("id", false),
            page,
            circle_rows::circle,
            |c| c.id.to_string(),
        )
        .await
    }

    async fn circles_of_account(
        &self,
        account: AccountId,
    ) -> StoreResult<Vec<(CircleRecord, CircleRole)>> {
        let sql = "SELECT c.id, c.org_id, c.name, c.description, c.mode, c.join_policy, c.posting, c.forwarding, c.read_receipts, \
                   c.public, c.member_count, c.created_by, c.created_at, c.quality_score, c.boost_status, c.cover_image_id, c.tags, m.role AS member_role \
                   FROM circle_members m JOIN circles c ON c.id = m.circle_id \
                   WHERE m.account_id = $1 AND m.status = 'active' ORDER BY c.id LIMIT 500";
        self.fetch_all(sqlx::query(sql).bind(account.to_string()))
            .await?
            .iter()
            .map(|r| {
                Ok((
                    circle_rows::circle(r)?,
                    circle_rows::circle_role(r, "member_role")?,
                ))
            })
            .collect()
    }

    async fn circle_member_get(
        &self,
        circle: CircleId,
        account: AccountId,
    ) -> StoreResult<Option<CircleMemberRecord>> {
        let sql = format!("{MEMBER_SELECT} WHERE m.circle_id = $1 AND m.account_id = $2");
        self.fetch_opt(
            sqlx::query(&sql)
                .bind(circle.to_string())
                .bind(account.to_string()),
        )
        .await?
        .as_ref()
        .map(circle_rows::member)
        .transpose()
    }

    async fn circle_member_insert(
        &self,
        m: &CircleMemberRecord,
        event: &EventRecord,
    ) -> StoreResult<()> {
        let mut tx = self.begin().await?;
        insert_member(&mut tx, m).await?;
        Self::insert_event(&mut tx, event).await?;
        tx.commit().await.map_err(backend)
    }

    async fn circle_member_list(
        &self,
        circle: CircleId,
        status: MemberStatus,
        page: &PageRequest,
    ) -> StoreResult<Page<CircleMemberRecord>> {
        let sql = format!("{MEMBER_SELECT} WHERE m.circle_id = $1 AND m.status = $2");
        self.keyset_page(
            &sql,
            &[circle.to_string(), status.as_str().to_owned()],
            ("m.account_id", false),
            page,
            circle_rows::member,
            |m| m.account_id.to_string(),
        )
        .await
    }

    async fn circle_member_approve(
        &self,
        circle: CircleId,
        account: AccountId,
        event: &EventRecord,
    ) -> StoreResult<bool> {
        let mut tx = self.begin().await?;
        let r = sqlx::query("UPDATE circle_members SET status = 'active' WHERE circle_id = $1 AND account_id = $2 AND status = 'pending'")
            .bind(circle.to_string())
            .bind(account.to_string())
            .execute(&mut *tx)
            .await
            .map_err(backend)?;
        if r.rows_affected() == 0 {
            return Ok(false);
        }
        bump_member_count(&mut tx, circle).await?;
        Self::insert_event(&mut tx, event).await?;
        tx.commit().await.map_err(backend)?;
        Ok(true)
    }

    async fn account_set_history_window(
        &self,
        account: AccountId,
        w: HistoryWindow,
    ) -> StoreResult<()> {
        sqlx::query("UPDATE accounts SET history_window_days = $1 WHERE id = $2")
            .bind(w.days())
            .bind(account.to_string())
            .execute(&self.write)
            .await
            .map_err(backend)?;
        Ok(())
    }

    async fn account_history_window(&self, account: AccountId) -> StoreResult<HistoryWindow> {
        let row = self
            .fetch_opt(
                sqlx::query("SELECT history_window_days FROM accounts WHERE id = $1")
                    .bind(account.to_string()),
            )
            .await?
            .ok_or(StoreError::NotFound)?;
        Ok(HistoryWindow::from_days(rows::int(
            &row,
            "history_window_days",
        )?))
    }

    async fn circle_update(&self, c: &CircleRecord) -> StoreResult<bool> {
        let mut tx = self.begin().await?;
        let n = exec(
            &mut tx,
            sqlx::query(
                "UPDATE circles SET name = $2, description = $3, join_policy = $4, posting = $5, forwarding = $6, \
                 read_receipts = $7, public = $8, cover_image_id = $9, tags = $10 WHERE id = $1",
            )
            .bind(c.id.to_string())
            .bind(c.name.clone())
            .bind(c.description.clone())
            .bind(c.join_policy.as_str())
            .bind(c.posting.as_str())
            .bind(i64::from(c.forwarding))
            .bind(i64::from(c.read_receipts))
            .bind(i64::from(c.public))
            .bind(c.cover_image_id.map(|i| i.to_string()))
            .bind(c.tags.join(",")),
        )
        .await?;
        tx.commit().await.map_err(backend)?;
        Ok(n > 0)
    }

    async fn circle_member_decline(
        &self,
        circle: CircleId,
        account: AccountId,
        event: &EventRecord,
    ) -> StoreResult<bool> {
        let mut tx = self.begin().await?;
        let n = exec(
            &mut tx,
            sqlx::query(
                "DELETE FROM circle_members WHERE circle_id = $1 AND account_id = $2 AND status = 'pending'",
            )
            .bind(circle.to_string())
            .bind(account.to_string()),
        )
        .await?;
        if n == 0 {
            return Ok(false);
        }
        Self::insert_event(&mut tx, event).await?;
        tx.commit().await.map_err(backend)?;
        Ok(true)
    }

    async fn paid_seat(
        &self,
        circle: CircleId,
        account: AccountId,
    ) -> StoreResult<Option<quan_domain::OrderId>> {
        self.fetch_opt(
            sqlx::query("SELECT order_id FROM paid_seats WHERE circle_id = $1 AND account_id = $2")
                .bind(circle.to_string())
                .bind(account.to_string()),
        )
        .await?
        .map(|r| crate::rows::id(&r, "order_id"))
        .transpose()
    }

    async fn circle_member_remove(
        &self,
        circle: CircleId,
        account: AccountId,
        role: CircleRole,
        event: &EventRecord,
    ) -> StoreResult<bool> {
        let mut tx = self.begin().await?;
        let n = exec(
            &mut tx,
            sqlx::query(
                "DELETE FROM circle_members WHERE circle_id = $1 AND account_id = $2 AND role = $3 \
                   AND status = 'active' AND role <> 'owner'",
            )
            .bind(circle.to_string())
            .bind(account.to_string())
            .bind(role.as_str()),
        )
        .await?;
        if n == 0 {
            return Ok(false);
        }
        exec(
            &mut tx,
            sqlx::query("UPDATE circles SET member_count = member_count - 1 WHERE id = $1")
                .bind(circle.to_string()),
        )
        .await?;
        Self::insert_event(&mut tx, event).await?;
        tx.commit().await.map_err(backend)?;
        Ok(true)
    }

    async fn circle_member_update(
        &self,
        circle: CircleId,
        account: AccountId,
        role: Option<CircleRole>,
        types: Option<MemberTypes>,
        now: Timestamp,
    ) -> StoreResult<bool> {
        let mut tx = self.begin().await?;
        let mut n = 0;
        if let Some(r) = role {
            n += exec(
                &mut tx,
                sqlx::query(
                    "UPDATE circle_members SET role = $3, role_seq = $4 WHERE circle_id = $1 AND account_id = $2 \
                     AND role <> 'owner' AND status = 'active'",
                )
                .bind(circle.to_string())
                .bind(account.to_string())
                .bind(r.as_str())
                .bind(now.millis()),
            )
            .await?;
        }
        if let Some(t) = types {
            n += exec(
                &mut tx,
                sqlx::query(
                    "UPDATE circle_members SET is_member = $3, is_customer = $4, is_fan = $5 \
                     WHERE circle_id = $1 AND account_id = $2",
                )
                .bind(circle.to_string())
                .bind(account.to_string())
                .bind(i64::from(t.member))
                .bind(i64::from(t.customer))
                .bind(i64::from(t.fan)),
            )
            .await?;
        }
        tx.commit().await.map_err(backend)?;
        Ok(n > 0)
    }

    async fn viewer_quirks(
        &self,
        circle: CircleId,
        account: AccountId,
    ) -> StoreResult<ViewerQuirks> {
        let row = self
            .fetch_opt(
                sqlx::query(
                    "SELECT (SELECT history_window_days FROM accounts WHERE id = $2) AS w, \
                     (SELECT COUNT(*) FROM posts WHERE circle_id = $1 AND author_account_id = $2 \
                        AND hidden_at IS NOT NULL AND deleted_at IS NULL) AS h",
                )
                .bind(circle.to_string())
                .bind(account.to_string()),
            )
            .await?
            .ok_or(StoreError::NotFound)?;
        let w: Option<i64> = sqlx::Row::try_get(&row, "w").map_err(backend)?;
        Ok(ViewerQuirks {
            history_days: w.unwrap_or(0),
            held_posts: int(&row, "h")? > 0,
        })
    }

    async fn circle_has_audiences(&self, circle: CircleId) -> StoreResult<bool> {
        let row = self
            .fetch_opt(
                sqlx::query(
                    "SELECT COUNT(*) AS n FROM (SELECT 1 FROM posts WHERE circle_id = $1 \
                     AND audience <> 'all' AND deleted_at IS NULL LIMIT 1) t",
                )
                .bind(circle.to_string()),
            )
            .await?
            .ok_or(StoreError::NotFound)?;
        Ok(int(&row, "n")? > 0)
    }
}
