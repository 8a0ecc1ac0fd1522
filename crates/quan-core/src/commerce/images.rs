//! A product's pictures: staff who run the shop add them (cleaned, thumbnailed and
//! kept by [`crate::media::keep`], at most [`IMAGES_MAX`]) and take them off;
//! whoever may see the product sees them — buyers a published one, staff any.

use super::error::CommerceError;
use super::port::ProductImageRecord;
use super::{MANAGERS, Result, may_manage, require};
use crate::Services;
use crate::access::{Actor, OrgAccess, org_access, require_scope};
use crate::media::{self, NotKept};
use quan_domain::{OrgId, ParseError, ProductId, ProductImageId, Scope};

/// Pictures a product may have.
pub const IMAGES_MAX: i64 = 9;

/// Adds a picture after the product's others.
#[tracing::instrument(skip_all, fields(product = %product))]
pub async fn add(
    svc: &Services,
    access: &OrgAccess,
    product: ProductId,
    bytes: &[u8],
) -> Result<ProductImageRecord> {
    require(access, Scope::Write, MANAGERS)?;
    media::check(bytes)?;
    let p = svc
        .store
        .product_get(access.org(), product)
        .await?
        .ok_or(CommerceError::NotFound)?;
    if i64::try_from(p.images.len()).unwrap_or(i64::MAX) >= IMAGES_MAX {
        return Err(full());
    }
    let k = media::keep(svc, bytes).await.map_err(|e| match e {
        NotKept::Refused(p) => CommerceError::Invalid(p),
        NotKept::Internal(e) => CommerceError::Internal(e),
    })?;
    let img = ProductImageRecord {
        id: ProductImageId::new(),
        org_id: access.org(),
        product_id: product,
        position: 0,
        sha256: k.sha256,
        content_type: k.content_type,
        bytes: k.bytes,
        width: k.width,
        height: k.height,
        thumb: k.thumb,
        created_at: svc.clock.now(),
    };
    // Counted again with the product locked: two uploads at once stop at the bound.
    if !svc.store.product_image_add(&img, IMAGES_MAX).await? {
        return Err(full());
    }
    Ok(img)
}

fn full() -> CommerceError {
    ParseError::new(
        "image",
        "too_many",
        format!("a product has at most {IMAGES_MAX} pictures"),
    )
    .into()
}

/// Takes a picture off its product (its blob stays: another may share it).
pub async fn remove(
    svc: &Services,
    access: &OrgAccess,
    product: ProductId,
    id: ProductImageId,
) -> Result<()> {
    require(access, Scope::Write, MANAGERS)?;
    if svc
        .store
        .product_image_remove(access.org(), product, id)
        .await?
    {
        Ok(())
    } else {
        Err(CommerceError::NotFound)
    }
}

/// A picture's bytes (or its thumbnail's), with their type: a published product's
/// for anyone signed in, an unpublished one's for the staff who run the shop.
pub async fn bytes(
    svc: &Services,
    actor: &Actor,
    (org, product, id): (OrgId, ProductId, ProductImageId),
    thumb: bool,
) -> Result<(String, Vec<u8>)> {
    require_scope(actor, Scope::Read)?;
    let p = svc
        .store
        .product_get(org, product)
        .await?
        .ok_or(CommerceError::NotFound)?;
    if !p.published {
        let staff = org_access(svc, actor, org).await.ok();
        if !staff.as_ref().is_some_and(may_manage) {
            return Err(CommerceError::NotFound);
        }
    }
    let img = svc
        .store
        .product_image_get(org, product, id)
        .await?
        .ok_or(CommerceError::NotFound)?;
    let (key, content_type) = if thumb {
        img.thumb
    } else {
        (img.sha256, img.content_type)
    };
    let bytes = svc
        .blobs
        .get(&key)
        .await
        .map_err(|e| CommerceError::Internal(Box::new(e)))?
        .ok_or(CommerceError::NotFound)?;
    Ok((content_type, bytes))
}
