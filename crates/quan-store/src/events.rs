//! `EventStore` for `SqlStore`: the org event log.

use crate::rows::{backend, corrupt, id, opt_id, text, ts};
use crate::store::SqlStore;
use async_trait::async_trait;
use quan_core::{EventRecord, EventStore, Page, PageRequest, StoreResult};
use quan_domain::OrgId;
use sqlx::any::AnyRow;

pub(crate) const EVENT_COLS: &str = "id, org_id, kind, subject, actor, data, at";

#[async_trait]
impl EventStore for SqlStore {
    async fn event_append(&self, e: &EventRecord) -> StoreResult<()> {
        let mut tx = self.begin().await?;
        Self::insert_event(&mut tx, e).await?;
        tx.commit().await.map_err(backend)
    }

    async fn event_list(&self, org: OrgId, page: &PageRequest) -> StoreResult<Page<EventRecord>> {
        let sql = format!("SELECT {EVENT_COLS} FROM events WHERE org_id = $1");
        self.keyset_page(&sql, &[org.to_string()], ("id", true), page, event, |e| {
            e.id.to_string()
        })
        .await
    }
}

pub(crate) fn event(row: &AnyRow) -> StoreResult<EventRecord> {
    let data = text(row, "data")?;
    Ok(EventRecord {
        id: id(row, "id")?,
        org_id: id(row, "org_id")?,
        kind: text(row, "kind")?,
        subject: text(row, "subject")?,
        actor: opt_id(row, "actor")?,
        data: serde_json::from_str(&data).map_err(|e| corrupt("data", e))?,
        at: ts(row, "at")?,
    })
}
