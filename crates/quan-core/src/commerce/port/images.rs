//! Product pictures' store port: rows that name blobs by digest, in the order the
//! shop shows them.

use crate::ports::StoreResult;
use async_trait::async_trait;
use quan_domain::{OrgId, ProductId, ProductImageId, Timestamp};

/// A picture of a product, kept in the blob store by the digests here.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProductImageRecord {
    pub id: ProductImageId,
    pub org_id: OrgId,
    pub product_id: ProductId,
    /// Its place among the product's pictures (the first is the card's).
    pub position: i64,
    pub sha256: String,
    pub content_type: String,
    pub bytes: i64,
    pub width: i64,
    pub height: i64,
    /// The thumbnail's digest and type.
    pub thumb: (String, String),
    pub created_at: Timestamp,
}

#[async_trait]
pub trait ProductImageStore: Send + Sync {
    /// Adds a picture after the product's others, with the product row locked so
    /// two uploads at once cannot pass `max`; false (nothing written) when the
    /// product has `max` already or is not the org's.
    async fn product_image_add(&self, img: &ProductImageRecord, max: i64) -> StoreResult<bool>;
    /// Takes a picture off its product; false when there was none such.
    async fn product_image_remove(
        &self,
        org: OrgId,
        product: ProductId,
        id: ProductImageId,
    ) -> StoreResult<bool>;
    async fn product_image_get(
        &self,
        org: OrgId,
        product: ProductId,
        id: ProductImageId,
    ) -> StoreResult<Option<ProductImageRecord>>;
}
