//! The blob port: where uploaded files' bytes live, by content hash. Files on disk
//! by default (`quan-infra`'s `DiskBlobStore`); an object store fits the same trait.

use async_trait::async_trait;

#[derive(Debug, thiserror::Error)]
#[error("blob store: {0}")]
pub struct BlobError(pub String);

#[async_trait]
pub trait BlobStore: Send + Sync + 'static {
    /// Stores `bytes` under `key` (a SHA-256 hex digest); storing it again is a no-op.
    async fn put(&self, key: &str, bytes: &[u8]) -> Result<(), BlobError>;
    async fn get(&self, key: &str) -> Result<Option<Vec<u8>>, BlobError>;
}
