//! Uploaded images, made safe to keep and to show: every upload is decoded (so a
//! truncated file, a header followed by junk, or a header that declares a 65,535 ×
//! 65,535 canvas is refused before it is stored), re-encoded without its metadata
//! (photos carry GPS positions in EXIF), turned upright by its EXIF orientation, and
//! given a thumbnail for feed cards.
//!
//! Decoding is CPU work on untrusted bytes: callers run [`prepare`] on the blocking
//! pool, and the decoder's limits bound both the canvas and the memory it may take.

use image::codecs::jpeg::JpegEncoder;
use image::{DynamicImage, ImageDecoder, ImageFormat, ImageReader, Limits};
use std::io::Cursor;

/// The longest side an upload may have, in pixels.
pub const MAX_SIDE: u32 = 8_192;
/// The most memory the decoder may take for one image.
const MAX_DECODE_BYTES: u64 = 256 * 1024 * 1024;
/// Thumbnails fit in this square (two columns of cards on a phone, at 2–3× density).
pub const THUMB_SIDE: u32 = 480;
const JPEG_QUALITY: u8 = 85;
const THUMB_QUALITY: u8 = 78;

/// An image ready to store: its cleaned bytes and a thumbnail.
#[derive(Debug, Clone)]
pub struct Prepared {
    pub bytes: Vec<u8>,
    pub content_type: &'static str,
    pub width: u32,
    pub height: u32,
    pub thumb: Vec<u8>,
    pub thumb_type: &'static str,
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum MediaError {
    #[error("PNG, JPEG, GIF or WebP only")]
    Unsupported,
    #[error("at most {MAX_SIDE} pixels on a side")]
    TooLarge,
    #[error("this file is not a whole image")]
    Invalid,
}

fn format_of(bytes: &[u8]) -> Option<ImageFormat> {
    match quan_domain::sniff_image(bytes)? {
        "image/png" => Some(ImageFormat::Png),
        "image/jpeg" => Some(ImageFormat::Jpeg),
        "image/gif" => Some(ImageFormat::Gif),
        "image/webp" => Some(ImageFormat::WebP),
        _ => None,
    }
}

fn limits() -> Limits {
    let mut l = Limits::default();
    l.max_image_width = Some(MAX_SIDE);
    l.max_image_height = Some(MAX_SIDE);
    l.max_alloc = Some(MAX_DECODE_BYTES);
    l
}

fn decode_error(e: &image::ImageError) -> MediaError {
    match e {
        image::ImageError::Limits(_) => MediaError::TooLarge,
        image::ImageError::Unsupported(_) => MediaError::Unsupported,
        _ => MediaError::Invalid,
    }
}

/// JPEG for opaque pictures, PNG where there is transparency.
fn encode(img: &DynamicImage, quality: u8) -> Result<(Vec<u8>, &'static str), MediaError> {
    let mut out = Vec::new();
    if img.color().has_alpha() {
        img.write_to(&mut Cursor::new(&mut out), ImageFormat::Png)
            .map_err(|_| MediaError::Invalid)?;
        Ok((out, "image/png"))
    } else {
        let rgb = DynamicImage::ImageRgb8(img.to_rgb8());
        rgb.write_with_encoder(JpegEncoder::new_with_quality(&mut out, quality))
            .map_err(|_| MediaError::Invalid)?;
        Ok((out, "image/jpeg"))
    }
}

/// Decodes, checks, cleans and thumbnails an upload.
pub fn prepare(bytes: &[u8]) -> Result<Prepared, MediaError> {
    let format = format_of(bytes).ok_or(MediaError::Unsupported)?;
    let mut reader = ImageReader::with_format(Cursor::new(bytes), format);
    reader.limits(limits());
    let mut decoder = reader.into_decoder().map_err(|e| decode_error(&e))?;
    let (w, h) = decoder.dimensions();
    if w == 0 || h == 0 {
        return Err(MediaError::Invalid);
    }
    if w > MAX_SIDE || h > MAX_SIDE {
        return Err(MediaError::TooLarge);
    }
    let orientation = decoder
        .orientation()
        .unwrap_or(image::metadata::Orientation::NoTransforms);
    let mut img = DynamicImage::from_decoder(decoder).map_err(|e| decode_error(&e))?;
    img.apply_orientation(orientation);
    let (bytes, content_type) = match format {
        // A GIF may move: it is kept as sent once it decodes whole (GIF has no EXIF).
        ImageFormat::Gif => {
            validate_gif_frames(bytes)?;
            (bytes.to_vec(), "image/gif")
        }
        _ => encode(&img, JPEG_QUALITY)?,
    };
    // Small pictures are their own thumbnail: a thumbnail never enlarges.
    let small = img.width() <= THUMB_SIDE && img.height() <= THUMB_SIDE;
    let thumb_img = if small {
        img.clone()
    } else {
        img.thumbnail(THUMB_SIDE, THUMB_SIDE)
    };
    let (thumb, thumb_type) = encode(&thumb_img, THUMB_QUALITY)?;
    Ok(Prepared {
        bytes,
        content_type,
        width: img.width(),
        height: img.height(),
        thumb,
        thumb_type,
    })
}

/// An upload kept in the blob store: its cleaned bytes and thumbnail, by their
/// digests, with what the record of it needs.
#[derive(Debug, Clone)]
pub struct Kept {
    pub sha256: String,
    pub content_type: String,
    pub bytes: i64,
    pub width: i64,
    pub height: i64,
    pub thumb: (String, String),
}

/// Why an upload was not kept: the client's file (a field error with its code),
/// or our side (the decoder's task, the blob store).
#[derive(Debug, thiserror::Error)]
pub enum NotKept {
    #[error(transparent)]
    Refused(#[from] quan_domain::ParseError),
    #[error("keeping the image failed")]
    Internal(#[source] Box<dyn std::error::Error + Send + Sync>),
}

/// Why an upload is not an image we keep, as a field error the pages can show.
pub fn field_error(e: &MediaError) -> quan_domain::ParseError {
    use quan_domain::ParseError;
    match e {
        MediaError::Unsupported => ParseError::new("image", "unsupported_image", e.to_string()),
        MediaError::TooLarge => ParseError::new("image", "image_too_large", e.to_string()),
        MediaError::Invalid => ParseError::new("image", "invalid_image", e.to_string()),
    }
}

/// The cheap refusals, before anything is decoded: at most
/// [`quan_domain::IMAGE_MAX_BYTES`], and a picture's type by its first bytes.
pub fn check(bytes: &[u8]) -> Result<(), quan_domain::ParseError> {
    use quan_domain::{IMAGE_MAX_BYTES, ParseError};
    if bytes.len() > IMAGE_MAX_BYTES {
        return Err(ParseError::new(
            "image",
            "too_large",
            format!("at most {} MiB", IMAGE_MAX_BYTES / (1024 * 1024)),
        ));
    }
    if quan_domain::sniff_image(bytes).is_none() {
        return Err(field_error(&MediaError::Unsupported));
    }
    Ok(())
}

/// Checks an upload ([`check`]), [`prepare`]s it on the blocking pool and puts
/// the cleaned bytes and the thumbnail in the blob store (content-addressed, so the
/// same picture twice is stored once). Every capability that takes pictures (posts,
/// covers, products) keeps them through here.
pub async fn keep(svc: &crate::Services, bytes: &[u8]) -> Result<Kept, NotKept> {
    check(bytes)?;
    let owned = bytes.to_vec();
    // Decoding takes a core and up to 256 MiB: two at a time on a node, the rest
    // wait their turn (the semaphore is never closed, so acquiring cannot fail).
    static DECODES: tokio::sync::Semaphore = tokio::sync::Semaphore::const_new(2);
    let _turn = DECODES
        .acquire()
        .await
        .map_err(|e| NotKept::Internal(Box::new(e)))?;
    let p = tokio::task::spawn_blocking(move || prepare(&owned))
        .await
        .map_err(|e| NotKept::Internal(Box::new(e)))?
        .map_err(|e| NotKept::Refused(field_error(&e)))?;
    let sha = crate::secrets::digest_bytes(&p.bytes);
    let thumb_sha = crate::secrets::digest_bytes(&p.thumb);
    for (key, b) in [(&sha, &p.bytes), (&thumb_sha, &p.thumb)] {
        svc.blobs
            .put(key, b)
            .await
            .map_err(|e| NotKept::Internal(Box::new(e)))?;
    }
    Ok(Kept {
        sha256: sha,
        content_type: p.content_type.to_owned(),
        bytes: i64::try_from(p.bytes.len()).unwrap_or(i64::MAX),
        width: i64::from(p.width),
        height: i64::from(p.height),
        thumb: (thumb_sha, p.thumb_type.to_owned()),
    })
}

/// Pixels an animated GIF may composite in all, over all its frames: a tiny file
/// can declare a large canvas and a thousand frames.
const MAX_GIF_PIXELS: u64 = 100_000_000;

/// Every frame of a GIF decodes within the limits (the first alone proves little),
/// and all of them together stay within [`MAX_GIF_PIXELS`].
fn validate_gif_frames(bytes: &[u8]) -> Result<(), MediaError> {
    use image::AnimationDecoder;
    let mut decoder =
        image::codecs::gif::GifDecoder::new(Cursor::new(bytes)).map_err(|e| decode_error(&e))?;
    let (w, h) = decoder.dimensions();
    let per_frame = u64::from(w) * u64::from(h);
    decoder.set_limits(limits()).map_err(|e| decode_error(&e))?;
    let mut total = 0u64;
    for frame in decoder.into_frames() {
        total += per_frame;
        if total > MAX_GIF_PIXELS {
            return Err(MediaError::TooLarge);
        }
        frame.map_err(|e| decode_error(&e))?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use image::{ImageEncoder, Rgb, RgbImage};

    fn png(w: u32, h: u32) -> Vec<u8> {
        let img = RgbImage::from_fn(w, h, |x, y| Rgb([(x % 256) as u8, (y % 256) as u8, 90]));
        let mut out = Vec::new();
        DynamicImage::ImageRgb8(img)
            .write_to(&mut Cursor::new(&mut out), ImageFormat::Png)
            .unwrap_or_default();
        out
    }

    fn crc32(bytes: &[u8]) -> u32 {
        let mut c = 0xFFFF_FFFFu32;
        for b in bytes {
            c ^= u32::from(*b);
            for _ in 0..8 {
                c = if c & 1 == 1 {
                    0xEDB8_8320 ^ (c >> 1)
                } else {
                    c >> 1
                };
            }
        }
        !c
    }

    #[test]
    fn a_whole_image_is_cleaned_and_thumbnailed() -> Result<(), MediaError> {
        let p = prepare(&png(1200, 600))?;
        assert_eq!((p.width, p.height), (1200, 600));
        assert_eq!(p.content_type, "image/jpeg");
        let thumb = image::load_from_memory(&p.thumb).map_err(|_| MediaError::Invalid)?;
        assert_eq!((thumb.width(), thumb.height()), (480, 240));
        Ok(())
    }

    #[test]
    fn broken_and_oversized_images_are_refused() {
        let good = png(40, 40);
        let mut junk = good[..8].to_vec();
        junk.extend_from_slice(&[0xAB; 200]);
        assert_eq!(prepare(&junk).err(), Some(MediaError::Invalid));
        assert_eq!(
            prepare(&good[..good.len() / 2]).err(),
            Some(MediaError::Invalid)
        );
        assert_eq!(prepare(b"GIF89a garbage").err(), Some(MediaError::Invalid));
        assert_eq!(prepare(b"hello").err(), Some(MediaError::Unsupported));
        // A header declaring 65,535 x 65,535 pixels (checksum fixed, so only the
        // size is wrong with it).
        let mut huge = good.clone();
        huge[16..20].copy_from_slice(&65_535u32.to_be_bytes());
        huge[20..24].copy_from_slice(&65_535u32.to_be_bytes());
        let crc = crc32(&huge[12..29]);
        huge[29..33].copy_from_slice(&crc.to_be_bytes());
        assert_eq!(prepare(&huge).err(), Some(MediaError::TooLarge));
    }

    #[test]
    fn exif_is_gone_and_the_photo_stands_upright() -> Result<(), MediaError> {
        // A 4 x 2 JPEG whose EXIF says "rotate 90°" and carries a GPS-like marker.
        let img = RgbImage::from_pixel(4, 2, Rgb([200, 30, 30]));
        let mut jpeg = Vec::new();
        let mut enc = JpegEncoder::new_with_quality(&mut jpeg, 90);
        let mut exif =
            b"II\x2a\x00\x08\x00\x00\x00\x01\x00\x12\x01\x03\x00\x01\x00\x00\x00".to_vec();
        exif.extend_from_slice(&[6, 0, 0, 0, 0, 0, 0, 0]);
        exif.extend_from_slice(b"GPS-31.2304N-121.4737E");
        enc.set_exif_metadata(exif)
            .map_err(|_| MediaError::Invalid)?;
        enc.write_image(img.as_raw(), 4, 2, image::ExtendedColorType::Rgb8)
            .map_err(|_| MediaError::Invalid)?;
        assert!(jpeg.windows(3).any(|w| w == b"GPS"));
        let p = prepare(&jpeg)?;
        assert!(
            !p.bytes.windows(3).any(|w| w == b"GPS"),
            "metadata stripped"
        );
        assert!(!p.bytes.windows(4).any(|w| w == b"Exif"), "no EXIF block");
        assert_eq!((p.width, p.height), (2, 4), "turned upright");
        Ok(())
    }
}
