//! `LocalStore` for `SqlStore`: leaders and their pickup points. Matching buyers
//! to points happens in each node's index (`quan_core::local::index`); the store
//! is read for a match's details (by primary key) and, at start, whole in pages.

use crate::moderation::exec;
use crate::queries::placeholders;
use crate::rows::{self, backend, flag, id, int, opt_id, text, ts};
use crate::store::SqlStore;
use async_trait::async_trait;
use quan_core::local::port::{LeaderRecord, LocalStore};
use quan_core::{EventRecord, Page, PageRequest, StoreResult};
use quan_domain::{GeoPoint, LeaderId, OrgId, PickupKind};
use sqlx::any::AnyRow;

const COLS: &str = "id, org_id, account_id, name, phone, point_name, address, lat_e6, lon_e6, \
     kind, hours, radius_m, capacity, commission_bp, online, stand_in, active, created_at, updated_at";

fn leader(r: &AnyRow) -> StoreResult<LeaderRecord> {
    let location = GeoPoint::from_e6(int(r, "lat_e6")?, int(r, "lon_e6")?)
        .map_err(|e| rows::corrupt("lat_e6", e))?;
    Ok(LeaderRecord {
        id: id(r, "id")?,
        org_id: id(r, "org_id")?,
        account_id: opt_id(r, "account_id")?,
        name: text(r, "name")?,
        phone: text(r, "phone")?,
        point_name: text(r, "point_name")?,
        address: text(r, "address")?,
        location,
        kind: PickupKind::parse(&text(r, "kind")?).map_err(|e| rows::corrupt("kind", e))?,
        hours: text(r, "hours")?,
        radius_m: int(r, "radius_m")?,
        capacity: int(r, "capacity")?,
        commission_bp: int(r, "commission_bp")?,
        online: flag(r, "online")?,
        stand_in: opt_id(r, "stand_in")?,
        active: flag(r, "active")?,
        created_at: ts(r, "created_at")?,
        updated_at: ts(r, "updated_at")?,
    })
}

/// Binds the editable fields in the order of [`COLS`] after `org_id`.
fn bind_fields<'q>(q: crate::store::AnyQuery<'q>, l: &LeaderRecord) -> crate::store::AnyQuery<'q> {
    q.bind(l.account_id.map(|a| a.to_string()))
        .bind(l.name.clone())
        .bind(l.phone.clone())
        .bind(l.point_name.clone())
        .bind(l.address.clone())
        .bind(i64::from(l.location.lat_e6()))
        .bind(i64::from(l.location.lon_e6()))
        .bind(l.kind.as_str())
        .bind(l.hours.clone())
        .bind(l.radius_m)
        .bind(l.capacity)
        .bind(l.commission_bp)
        .bind(i64::from(l.online))
        .bind(l.stand_in.map(|s| s.to_string()))
        .bind(i64::from(l.active))
        .bind(l.updated_at.millis())
}

#[async_trait]
impl LocalStore for SqlStore {
    async fn leader_insert(&self, l: &LeaderRecord, event: &EventRecord) -> StoreResult<()> {
        let mut tx = self.begin().await?;
        let q = sqlx::query(
            "INSERT INTO leaders (id, org_id, account_id, name, phone, point_name, address, lat_e6, \
               lon_e6, kind, hours, radius_m, capacity, commission_bp, online, stand_in, active, \
               updated_at, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19)",
        )
        .bind(l.id.to_string())
        .bind(l.org_id.to_string());
        exec(&mut tx, bind_fields(q, l).bind(l.created_at.millis())).await?;
        Self::insert_event(&mut tx, event).await?;
        tx.commit().await.map_err(backend)
    }

    async fn leader_update(&self, l: &LeaderRecord, event: &EventRecord) -> StoreResult<bool> {
        let mut tx = self.begin().await?;
        let q = sqlx::query(
            "UPDATE leaders SET account_id = $3, name = $4, phone = $5, point_name = $6, address = $7, \
               lat_e6 = $8, lon_e6 = $9, kind = $10, hours = $11, radius_m = $12, capacity = $13, \
               commission_bp = $14, online = $15, stand_in = $16, active = $17, updated_at = $18 \
             WHERE id = $1 AND org_id = $2",
        )
        .bind(l.id.to_string())
        .bind(l.org_id.to_string());
        if exec(&mut tx, bind_fields(q, l)).await? == 0 {
            return Ok(false);
        }
        Self::insert_event(&mut tx, event).await?;
        tx.commit().await.map_err(backend)?;
        Ok(true)
    }

    async fn leader_get(&self, org: OrgId, lid: LeaderId) -> StoreResult<Option<LeaderRecord>> {
        let sql = format!("SELECT {COLS} FROM leaders WHERE id = $1 AND org_id = $2");
        self.fetch_opt(
            sqlx::query(&sql)
                .bind(lid.to_string())
                .bind(org.to_string()),
        )
        .await?
        .as_ref()
        .map(leader)
        .transpose()
    }

    async fn leaders_by_ids(&self, org: OrgId, ids: &[LeaderId]) -> StoreResult<Vec<LeaderRecord>> {
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        let sql = format!(
            "SELECT {COLS} FROM leaders WHERE org_id = $1 AND id IN {}",
            placeholders(2, ids.len())
        );
        let mut q = sqlx::query(&sql).bind(org.to_string());
        for i in ids {
            q = q.bind(i.to_string());
        }
        self.fetch_all(q).await?.iter().map(leader).collect()
    }

    async fn leaders_of_org(
        &self,
        org: OrgId,
        page: &PageRequest,
    ) -> StoreResult<Page<LeaderRecord>> {
        let sql = format!("SELECT {COLS} FROM leaders WHERE org_id = $1");
        self.keyset_page(&sql, &[org.to_string()], ("id", true), page, leader, |l| {
            l.id.to_string()
        })
        .await
    }

    async fn leaders_after(
        &self,
        after: Option<LeaderId>,
        limit: i64,
    ) -> StoreResult<Vec<LeaderRecord>> {
        let sql =
            format!("SELECT {COLS} FROM leaders WHERE active = 1 AND id > $1 ORDER BY id LIMIT $2");
        // Every id sorts after the empty string.
        let after = after.map(|a| a.to_string()).unwrap_or_default();
        self.fetch_all(sqlx::query(&sql).bind(after).bind(limit))
            .await?
            .iter()
            .map(leader)
            .collect()
    }
}
