//! `ProductImageStore` for `SqlStore`: a product's pictures, added with the
//! product row locked (its count against the bound is never stale), and read with
//! their products in one query per page.

use crate::moderation::exec;
use crate::queries::placeholders;
use crate::rows::{backend, id, int, text, ts};
use crate::store::SqlStore;
use async_trait::async_trait;
use quan_core::StoreResult;
use quan_core::commerce::port::{ProductImageRecord, ProductImageStore, ProductRecord};
use quan_domain::{OrgId, ProductId, ProductImageId};
use sqlx::any::AnyRow;

const COLS: &str = "id, org_id, product_id, position, sha256, content_type, bytes, width, height, \
     thumb_sha256, thumb_type, created_at FROM product_images";

fn image(r: &AnyRow) -> StoreResult<ProductImageRecord> {
    Ok(ProductImageRecord {
        id: id(r, "id")?,
        org_id: id(r, "org_id")?,
        product_id: id(r, "product_id")?,
        position: int(r, "position")?,
        sha256: text(r, "sha256")?,
        content_type: text(r, "content_type")?,
        bytes: int(r, "bytes")?,
        width: int(r, "width")?,
        height: int(r, "height")?,
        thumb: (text(r, "thumb_sha256")?, text(r, "thumb_type")?),
        created_at: ts(r, "created_at")?,
    })
}

impl SqlStore {
    /// Fills each product's pictures, in their order, with one query.
    pub(super) async fn with_images(
        &self,
        mut items: Vec<ProductRecord>,
    ) -> StoreResult<Vec<ProductRecord>> {
        if items.is_empty() {
            return Ok(items);
        }
        let sql = format!(
            "SELECT {COLS} WHERE product_id IN {} ORDER BY product_id, position",
            placeholders(1, items.len())
        );
        let mut q = sqlx::query(&sql);
        for p in &items {
            q = q.bind(p.id.to_string());
        }
        for r in self.fetch_all(q).await?.iter().map(image) {
            let r = r?;
            if let Some(p) = items.iter_mut().find(|p| p.id == r.product_id) {
                p.images.push(r);
            }
        }
        Ok(items)
    }
}

#[async_trait]
impl ProductImageStore for SqlStore {
    async fn product_image_add(&self, img: &ProductImageRecord, max: i64) -> StoreResult<bool> {
        let mut tx = self.begin().await?;
        let mine = exec(
            &mut tx,
            sqlx::query(
                "UPDATE products SET updated_at = updated_at WHERE id = $1 AND org_id = $2",
            )
            .bind(img.product_id.to_string())
            .bind(img.org_id.to_string()),
        )
        .await?;
        if mine == 0 {
            return Ok(false);
        }
        let r = sqlx::query(
            "SELECT COUNT(*) AS n, COALESCE(MAX(position), -1) AS last FROM product_images WHERE product_id = $1",
        )
        .bind(img.product_id.to_string())
        .fetch_one(&mut *tx)
        .await
        .map_err(backend)?;
        if int(&r, "n")? >= max {
            return Ok(false);
        }
        exec(
            &mut tx,
            sqlx::query(
                "INSERT INTO product_images (id, org_id, product_id, position, sha256, content_type, bytes, \
                   width, height, thumb_sha256, thumb_type, created_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)",
            )
            .bind(img.id.to_string())
            .bind(img.org_id.to_string())
            .bind(img.product_id.to_string())
            .bind(int(&r, "last")? + 1)
            .bind(img.sha256.clone())
            .bind(img.content_type.clone())
            .bind(img.bytes)
            .bind(img.width)
            .bind(img.height)
            .bind(img.thumb.0.clone())
            .bind(img.thumb.1.clone())
            .bind(img.created_at.millis()),
        )
        .await?;
        tx.commit().await.map_err(backend)?;
        Ok(true)
    }

    async fn product_image_remove(
        &self,
        org: OrgId,
        product: ProductId,
        id: ProductImageId,
    ) -> StoreResult<bool> {
        let mut tx = self.begin().await?;
        let n = exec(
            &mut tx,
            sqlx::query(
                "DELETE FROM product_images WHERE id = $1 AND product_id = $2 AND org_id = $3",
            )
            .bind(id.to_string())
            .bind(product.to_string())
            .bind(org.to_string()),
        )
        .await?;
        tx.commit().await.map_err(backend)?;
        Ok(n > 0)
    }

    async fn product_image_get(
        &self,
        org: OrgId,
        product: ProductId,
        id: ProductImageId,
    ) -> StoreResult<Option<ProductImageRecord>> {
        let sql = format!("SELECT {COLS} WHERE id = $1 AND product_id = $2 AND org_id = $3");
        self.fetch_opt(
            sqlx::query(&sql)
                .bind(id.to_string())
                .bind(product.to_string())
                .bind(org.to_string()),
        )
        .await?
        .as_ref()
        .map(image)
        .transpose()
    }
}
