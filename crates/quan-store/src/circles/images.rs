//! `ImageStore` for `SqlStore`: image rows and what they are attached to.

use crate::circles::posts::within_quota;
use crate::moderation::exec;
use crate::rows::{self, backend, int, text, ts};
use crate::store::SqlStore;
use async_trait::async_trait;
use quan_core::{ImageRecord, ImageStore, StoreError, StoreResult, WriteQuota};
use quan_domain::{CircleId, ImageId, PostId};

#[async_trait]
impl ImageStore for SqlStore {
    async fn image_insert(&self, img: &ImageRecord, quota: Option<WriteQuota>) -> StoreResult<()> {
        let mut tx = self.begin().await?;
        if let Some(q) = quota {
            within_quota(
                &mut tx,
                &q,
                "SELECT COUNT(*) AS n FROM images WHERE circle_id = $1 AND account_id = $2 AND created_at >= $3",
            )
            .await?;
        }
        exec(
            &mut tx,
            sqlx::query(
                "INSERT INTO images (id, circle_id, account_id, sha256, content_type, bytes, created_at, \
                 width, height, thumb_sha256, thumb_content_type) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
            )
            .bind(img.id.to_string())
            .bind(img.circle_id.to_string())
            .bind(img.account_id.to_string())
            .bind(img.sha256.clone())
            .bind(img.content_type.clone())
            .bind(img.bytes)
            .bind(img.created_at.millis())
            .bind(img.width)
            .bind(img.height)
            .bind(img.thumb.as_ref().map(|t| t.0.clone()))
            .bind(img.thumb.as_ref().map(|t| t.1.clone())),
        )
        .await?;
        tx.commit().await.map_err(backend)
    }

    async fn image_get(&self, id: ImageId) -> StoreResult<Option<ImageRecord>> {
        self.fetch_opt(
            sqlx::query("SELECT id, circle_id, account_id, sha256, content_type, bytes, created_at, width, height, thumb_sha256, thumb_content_type FROM images WHERE id = $1")
                .bind(id.to_string()),
        )
        .await?
        .as_ref()
        .map(|r| {
            Ok(ImageRecord {
                id: rows::id(r, "id")?,
                circle_id: rows::id(r, "circle_id")?,
                account_id: rows::id(r, "account_id")?,
                sha256: text(r, "sha256")?,
                content_type: text(r, "content_type")?,
                bytes: int(r, "bytes")?,
                created_at: ts(r, "created_at")?,
                width: int(r, "width")?,
                height: int(r, "height")?,
                thumb: rows::opt_text(r, "thumb_sha256")?.zip(rows::opt_text(r, "thumb_content_type")?),
            })
        })
        .transpose()
    }

    async fn images_of(&self, posts: &[PostId]) -> StoreResult<Vec<(PostId, ImageId)>> {
        if posts.is_empty() {
            return Ok(Vec::new());
        }
        let marks: Vec<String> = (1..=posts.len()).map(|i| format!("${i}")).collect();
        let sql = format!(
            "SELECT post_id, image_id FROM post_images WHERE post_id IN ({}) ORDER BY post_id, position",
            marks.join(", ")
        );
        let mut q = sqlx::query(&sql);
        for p in posts {
            q = q.bind(p.to_string());
        }
        self.fetch_all(q)
            .await?
            .iter()
            .map(|r| Ok((rows::id(r, "post_id")?, rows::id(r, "image_id")?)))
            .collect()
    }

    async fn image_in_chat(&self, image: ImageId, circle: CircleId) -> StoreResult<bool> {
        let row = self
            .fetch_opt(
                sqlx::query(
                    "SELECT COUNT(*) AS n FROM chat_messages m JOIN chat_rooms r ON r.id = m.room_id \
                     WHERE m.image_id = $1 AND r.circle_id = $2",
                )
                .bind(image.to_string())
                .bind(circle.to_string()),
            )
            .await?
            .ok_or(StoreError::NotFound)?;
        Ok(int(&row, "n")? > 0)
    }

    async fn image_posts(&self, image: ImageId) -> StoreResult<Vec<PostId>> {
        self.fetch_all(
            sqlx::query(
                "SELECT pi.post_id FROM post_images pi JOIN posts x ON x.id = pi.post_id \
                 WHERE pi.image_id = $1 AND x.deleted_at IS NULL LIMIT 20",
            )
            .bind(image.to_string()),
        )
        .await?
        .iter()
        .map(|r| rows::id(r, "post_id"))
        .collect()
    }
}
