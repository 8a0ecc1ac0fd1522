//! `DiskBlobStore`: blobs as files under a directory, `<root>/<first two hex>/<key>`.
//! Writes go to a temporary file that is renamed into place, so a reader never sees
//! half a file and a crash leaves no partial blob under its key.

use async_trait::async_trait;
use quan_core::{BlobError, BlobStore};
use std::path::{Path, PathBuf};

#[derive(Debug, Clone)]
pub struct DiskBlobStore {
    root: PathBuf,
}

impl DiskBlobStore {
    pub fn new(root: impl Into<PathBuf>) -> Self {
        Self { root: root.into() }
    }

    /// Keys are hex digests; anything else is refused before touching the disk.
    fn path(&self, key: &str) -> Result<PathBuf, BlobError> {
        if key.len() < 8 || key.len() > 128 || !key.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err(BlobError(format!("bad key {key:?}")));
        }
        Ok(self.root.join(&key[..2]).join(key))
    }
}

fn io(e: std::io::Error) -> BlobError {
    BlobError(e.to_string())
}

#[async_trait]
impl BlobStore for DiskBlobStore {
    async fn put(&self, key: &str, bytes: &[u8]) -> Result<(), BlobError> {
        let path = self.path(key)?;
        if tokio::fs::try_exists(&path).await.map_err(io)? {
            return Ok(());
        }
        let dir = path.parent().unwrap_or(Path::new("."));
        tokio::fs::create_dir_all(dir).await.map_err(io)?;
        let tmp = dir.join(format!(".{key}.{}.tmp", std::process::id()));
        tokio::fs::write(&tmp, bytes).await.map_err(io)?;
        tokio::fs::rename(&tmp, &path).await.map_err(io)
    }

    async fn get(&self, key: &str) -> Result<Option<Vec<u8>>, BlobError> {
        match tokio::fs::read(self.path(key)?).await {
            Ok(b) => Ok(Some(b)),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(io(e)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn round_trip_and_bad_keys() {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let s = DiskBlobStore::new(dir.path());
        let key = "ab".repeat(32);
        s.put(&key, b"hello")
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        s.put(&key, b"hello")
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(
            s.get(&key).await.unwrap_or_else(|e| panic!("{e}")),
            Some(b"hello".to_vec())
        );
        assert_eq!(s.get(&"cd".repeat(32)).await.ok().flatten(), None);
        assert!(s.put("../../etc/passwd", b"x").await.is_err());
        assert!(s.get("zz").await.is_err());
    }
}
