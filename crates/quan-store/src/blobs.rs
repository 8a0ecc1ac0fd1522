//! The blob port on the database: uploaded files' bytes in the `blobs` table, for
//! clusters whose nodes share no disk (every node reads the same database).

use crate::store::SqlStore;
use async_trait::async_trait;
use quan_core::{BlobError, BlobStore};

fn err(e: sqlx::Error) -> BlobError {
    BlobError(e.to_string())
}

#[async_trait]
impl BlobStore for SqlStore {
    async fn put(&self, key: &str, bytes: &[u8]) -> Result<(), BlobError> {
        sqlx::query("INSERT INTO blobs (key, bytes) VALUES ($1, $2) ON CONFLICT (key) DO NOTHING")
            .bind(key.to_owned())
            .bind(bytes.to_vec())
            .execute(&self.write)
            .await
            .map_err(err)
            .map(drop)
    }

    async fn get(&self, key: &str) -> Result<Option<Vec<u8>>, BlobError> {
        let row = sqlx::query("SELECT bytes FROM blobs WHERE key = $1")
            .bind(key.to_owned())
            .fetch_optional(&self.read)
            .await
            .map_err(err)?;
        row.map(|r| sqlx::Row::try_get::<Vec<u8>, _>(&r, "bytes").map_err(err))
            .transpose()
    }
}
