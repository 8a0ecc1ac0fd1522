//! `EventStore` for `SqlStore`: the org event log.

use crate::rows::{self, backend};
use crate::store::SqlStore;
use async_trait::async_trait;
use quan_core::{EventRecord, EventStore, Page, PageRequest, StoreResult};
use quan_domain::OrgId;

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
        self.keyset_page(
            &sql,
            &[org.to_string()],
            ("id", true),
            page,
            rows::event,
            |e| e.id.to_string(),
        )
        .await
    }
}
