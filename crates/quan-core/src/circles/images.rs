//! Images: uploads known by their bytes, the limits on posts (and on a new member's
//! first day), and serving the bytes only to those who may see what they are attached to.

use crate::Services;
use crate::access::{Actor, CircleView, active_member, require_scope, view};
use crate::circles::CircleError;
use crate::circles::port::{CircleMemberRecord, ImageRecord};
use crate::media::{self, NotKept};
use crate::moderation::guard::{WriteKind, ensure_not_sanctioned, quota, quota_error};
use quan_domain::{CircleId, ImageId, POST_IMAGES_MAX, ParseError, Scope};

type Result<T, E = CircleError> = std::result::Result<T, E>;

/// Uploads an image to a circle (active members; not muted; a new member a few on
/// their first day). The type is read from the bytes: PNG, JPEG, GIF or WebP.
pub async fn upload_image(
    svc: &Services,
    actor: &Actor,
    circle: CircleId,
    bytes: &[u8],
) -> Result<ImageRecord> {
    require_scope(actor, Scope::Write)?;
    // The cheap refusals first (size, type), before the circle is looked at.
    media::check(bytes)?;
    let v = view(svc, actor, circle).await?;
    let m = active_member(&v)?.clone();
    // Sanctions stop uploads; a new member's first-day allowance is counted by the
    // store when the image is recorded (`guard::quota`).
    ensure_not_sanctioned(svc, &v)?;
    let k = media::keep(svc, bytes).await.map_err(not_kept)?;
    let rec = ImageRecord {
        id: ImageId::new(),
        circle_id: circle,
        account_id: m.account_id,
        sha256: k.sha256,
        content_type: k.content_type,
        bytes: k.bytes,
        created_at: svc.clock.now(),
        width: k.width,
        height: k.height,
        thumb: Some(k.thumb),
    };
    svc.store
        .image_insert(&rec, quota(svc, &v, &m, WriteKind::Image))
        .await
        .map_err(|e| quota_error(e, WriteKind::Image))?;
    Ok(rec)
}

/// An upload that was not kept, as the circle's error.
fn not_kept(e: NotKept) -> CircleError {
    match e {
        NotKept::Refused(p) => p.into(),
        NotKept::Internal(e) => CircleError::Internal(e),
    }
}

/// A new post's images: at most nine, each uploaded by its author to this circle.
pub(crate) async fn check_post_images(
    svc: &Services,
    v: &CircleView,
    m: &CircleMemberRecord,
    images: &[ImageId],
) -> Result<()> {
    if images.is_empty() {
        return Ok(());
    }
    if images.len() > POST_IMAGES_MAX {
        return Err(ParseError::new(
            "images",
            "too_many",
            format!("at most {POST_IMAGES_MAX} images"),
        )
        .into());
    }
    ensure_not_sanctioned(svc, v)?;
    for id in images {
        let ok = svc
            .store
            .image_get(*id)
            .await?
            .is_some_and(|i| i.circle_id == v.circle.id && i.account_id == m.account_id);
        if !ok {
            return Err(ParseError::new(
                "images",
                "unknown_image",
                "each image must be one you uploaded to this circle",
            )
            .into());
        }
    }
    Ok(())
}

/// An image's bytes, for whoever may see it: the uploader, or anyone who may see a
/// post it is attached to (so audiences and hidden posts apply to images too).
pub async fn image_bytes(
    svc: &Services,
    actor: &Actor,
    id: ImageId,
    thumb: bool,
) -> Result<(String, Vec<u8>)> {
    let img = svc
        .store
        .image_get(id)
        .await?
        .ok_or(CircleError::NotFound)?;
    let v = view(svc, actor, img.circle_id).await?;
    // A cover is part of the circle's face, like its name: whoever may see the
    // circle may see it.
    let mine = img.account_id == v.viewer || v.circle.cover_image_id == Some(id);
    // Chat is members-only: a chat image is for the circle's active members.
    let mut visible =
        mine || (active_member(&v).is_ok() && svc.store.image_in_chat(id, img.circle_id).await?);
    if !visible {
        let now = svc.clock.now();
        for post in svc.store.image_posts(id).await? {
            if svc
                .store
                .post_get(img.circle_id, post, v.viewer, now)
                .await?
                .is_some()
            {
                visible = true;
                break;
            }
        }
    }
    if !visible {
        return Err(CircleError::NotFound);
    }
    // Images stored before thumbnails existed serve their original as the thumbnail.
    let (key, content_type) = match (thumb, img.thumb) {
        (true, Some(t)) => t,
        _ => (img.sha256, img.content_type),
    };
    let bytes = svc
        .blobs
        .get(&key)
        .await
        .map_err(|e| CircleError::Internal(Box::new(e)))?
        .ok_or(CircleError::NotFound)?;
    Ok((content_type, bytes))
}
