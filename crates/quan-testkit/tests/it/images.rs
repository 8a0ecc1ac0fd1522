//! Images: upload with type sniffing and size limits, nine per post, served only
//! to those who may see the post (audiences included), new members' first day.

use quan_testkit::{TestApp, User, on_both_backends, png, png_declaring};
use serde_json::{Value, json};

on_both_backends!(
    images_upload_attach_and_stay_private,
    attaching_is_bounded_to_ones_own_uploads,
    images_in_chat_are_for_members,
    uploads_are_decoded_cleaned_and_thumbnailed
);

async fn upload(u: &User, circle: &str, body: Vec<u8>, ct: &str) -> (u16, Value) {
    let r =
        u.c.raw(
            "POST",
            &format!("/api/v1/circles/{circle}/images"),
            ct,
            body,
        )
        .await
        .unwrap_or_else(|| panic!("no response"));
    (r.status, r.body)
}

/// Every upload is decoded whole: what only looks like an image is refused, a photo
/// loses its EXIF (GPS), and a thumbnail is served beside it.
async fn uploads_are_decoded_cleaned_and_thumbnailed(app: TestApp) {
    let (owner, org) = app.owner("Deco").await;
    let c = owner
        .circle(&org, json!({"name": "Decode", "mode": "community"}))
        .await;
    let good = png(0);
    let mut junk = good[..8].to_vec();
    junk.extend_from_slice(&[0x5A; 400]);
    let huge = png_declaring(65_535, 65_535);
    let mut gif = b"GIF89a".to_vec();
    gif.extend_from_slice(&[0x11; 300]);
    for (name, bytes, code) in [
        ("signature + junk", junk, "invalid_image"),
        (
            "truncated",
            good[..good.len() / 2].to_vec(),
            "invalid_image",
        ),
        ("GIF header + junk", gif, "invalid_image"),
        ("65,535 x 65,535", huge, "image_too_large"),
    ] {
        let (s, e) = upload(&owner, &c, bytes, "image/png").await;
        assert_eq!((s, e["code"].as_str()), (422, Some(code)), "{name}: {e}");
    }
    // A photo with an EXIF block naming a place.
    let mut jpeg = Vec::new();
    {
        use image::ImageEncoder;
        let mut enc = image::codecs::jpeg::JpegEncoder::new_with_quality(&mut jpeg, 90);
        let mut exif = b"II\x2a\x00\x08\x00\x00\x00\x00\x00".to_vec();
        exif.extend_from_slice(b"GPSLatitude 31.2304 N GPSLongitude 121.4737 E");
        let _ = enc.set_exif_metadata(exif);
        let pixels = vec![180u8; 1200 * 900 * 3];
        let _ = enc.write_image(&pixels, 1200, 900, image::ExtendedColorType::Rgb8);
    }
    assert!(jpeg.windows(11).any(|w| w == b"GPSLatitude"));
    let (s, img) = upload(&owner, &c, jpeg, "image/jpeg").await;
    assert_eq!(s, 201, "{img}");
    let full = owner.c.get(img["url"].as_str().unwrap_or_default()).await;
    assert_eq!(full.status, 200);
    let stored = owner
        .c
        .http
        .get(format!(
            "{}{}",
            owner.c.base,
            img["url"].as_str().unwrap_or_default()
        ))
        .send()
        .await
        .ok();
    let bytes = match stored {
        Some(r) => r.bytes().await.map(|b| b.to_vec()).unwrap_or_default(),
        None => Vec::new(),
    };
    assert!(!bytes.is_empty());
    assert!(
        !bytes.windows(11).any(|w| w == b"GPSLatitude"),
        "the place is gone from the stored photo"
    );
    let thumb_url = img["thumb_url"].as_str().unwrap_or_default().to_owned();
    let thumb = owner
        .c
        .http
        .get(format!("{}{thumb_url}", owner.c.base))
        .send()
        .await
        .ok();
    let thumb = match thumb {
        Some(r) => r.bytes().await.map(|b| b.to_vec()).unwrap_or_default(),
        None => Vec::new(),
    };
    let dims = image::load_from_memory(&thumb).map(|i| (i.width(), i.height()));
    assert_eq!(dims.ok(), Some((480, 360)), "the thumbnail fits 480 x 480");
    let bad = owner.c.get(&format!("{thumb_url}x")).await;
    assert_eq!(bad.status, 400, "size is thumb or full");
}

/// Uploads `png(n)` (asserting 201) and returns its id.
async fn image(u: &User, circle: &str, n: usize) -> String {
    let (s, img) = upload(u, circle, png(n), "image/png").await;
    assert_eq!(s, 201, "{img}");
    img["id"].as_str().unwrap_or_default().to_owned()
}

async fn images_upload_attach_and_stay_private(app: TestApp) {
    let (owner, org) = app.owner("Ima").await;
    let c = owner
        .circle(&org, json!({"name": "Photos", "mode": "community"}))
        .await;
    let (s, img) = upload(&owner, &c, png(1000), "image/png").await;
    assert_eq!(s, 201, "{img}");
    // An opaque picture is stored as a clean JPEG (decoded, metadata dropped).
    assert_eq!(img["content_type"], "image/jpeg");
    assert_eq!(
        (img["width"].as_i64(), img["height"].as_i64()),
        (Some(32), Some(32))
    );
    // The type comes from the bytes, not the header.
    let (s, e) = upload(&owner, &c, b"<svg onload=alert(1)>".to_vec(), "image/png").await;
    assert_eq!((s, e["code"].as_str()), (422, Some("unsupported_image")));
    // Over the limit: a 413, or (when the server answered before the client had
    // written the whole body) a closed connection; never a stored image.
    let over = owner
        .c
        .raw(
            "POST",
            &format!("/api/v1/circles/{c}/images"),
            "image/png",
            png(6 * 1024 * 1024),
        )
        .await;
    if let Some(r) = over {
        assert_eq!(r.problem(), (413, Some("too_large")));
    }

    let id = img["id"].as_str().unwrap_or_default();
    let post = owner
        .post(
            &c,
            json!({"title": "新品图 New tea photos", "images": [id]}),
        )
        .await;
    let url = format!("/api/v1/images/{id}");
    assert_eq!(post.images, [url.as_str()]);
    assert_eq!(owner.feed(&c, "").await.items[0].images, [url.as_str()]);

    // Members see it; audiences apply; an unattached image is its uploader's alone.
    let m = app.user("Mem").await;
    m.join(&c).await;
    let got = m.c.get(&url).await;
    assert_eq!((got.status, got.content_type.as_str()), (200, "image/jpeg"));
    let vip = image(&owner, &c, 10).await;
    let only =
        json!({"title": "VIP", "images": [vip], "audience": "only", "audience_tags": ["vip"]});
    owner.post(&c, only).await;
    assert_eq!(m.c.get(&format!("/api/v1/images/{vip}")).await.status, 404);
    let loose = image(&owner, &c, 11).await;
    let r = m.c.get(&format!("/api/v1/images/{loose}")).await;
    assert_eq!(r.status, 404, "an unattached image is its uploader's alone");
}

async fn attaching_is_bounded_to_ones_own_uploads(app: TestApp) {
    let (owner, org) = app.owner("Ima").await;
    let c = owner
        .circle(&org, json!({"name": "Photos", "mode": "community"}))
        .await;
    let id = image(&owner, &c, 1000).await;
    let m = app.user("Mem").await;
    m.join(&c).await;
    let posts = format!("/api/v1/circles/{c}/posts");
    // Limits on attaching: nine at most, one's own, in this circle.
    let r = owner
        .c
        .post(
            &posts,
            json!({"title": "too many", "images": vec![id.clone(); 10]}),
        )
        .await;
    assert_eq!(r.field(), (422, Some("images")));
    let r =
        m.c.post(&posts, json!({"title": "not mine", "images": [id]}))
            .await;
    assert_eq!(
        r.problem(),
        (422, Some("unknown_image")),
        "only one's own: {}",
        r.text
    );
    // A new member may upload a few images on day one and post them.
    let mine = image(&m, &c, 77).await;
    m.post(&c, json!({"title": "my first photo", "images": [mine]}))
        .await;
    app.clock.advance_secs(86_400);
    let r =
        m.c.post(&posts, json!({"title": "not mine", "images": [id]}))
            .await;
    assert_eq!(r.problem(), (422, Some("unknown_image")));
    image(&m, &c, 10).await; // after a day, members upload
    let private = owner
        .circle(&org, json!({"name": "Staff", "mode": "internal"}))
        .await;
    let (s, _) = upload(&m, &private, png(10), "image/png").await;
    assert_eq!(s, 404);
    let (stranger, _) = app.owner("Str").await;
    let staff_img = image(&owner, &private, 10).await;
    let r = stranger.c.get(&format!("/api/v1/images/{staff_img}")).await;
    assert_eq!(r.status, 404, "internal circles' images stay in the org");
}

async fn images_in_chat_are_for_members(app: TestApp) {
    let (owner, org) = app.owner("Chi").await;
    let r = owner
        .c
        .post(
            &format!("/api/v1/orgs/{org}/circles"),
            json!({"name": "Chat pics", "mode": "community"}),
        )
        .await;
    let c = r.body["id"].as_str().unwrap_or_default().to_owned();
    let rooms = owner.c.get(&format!("/api/v1/circles/{c}/rooms")).await;
    let room = rooms.body[0]["id"].as_str().unwrap_or_default().to_owned();
    let (_, img) = upload(&owner, &c, png(100), "image/png").await;
    let id = img["id"].as_str().unwrap_or_default().to_owned();
    let r = owner
        .c
        .post(
            &format!("/api/v1/circles/{c}/rooms/{room}/messages"),
            json!({"image_id": id}),
        )
        .await;
    assert_eq!(r.status, 201, "an image alone is a message: {}", r.text);
    assert_eq!(r.body["image"], format!("/api/v1/images/{id}"));
    let r = owner
        .c
        .post(
            &format!("/api/v1/circles/{c}/rooms/{room}/messages"),
            json!({}),
        )
        .await;
    assert_eq!((r.status, r.body["field"].as_str()), (422, Some("body")));
    let m = app.user("Mem").await;
    m.c.post(&format!("/api/v1/circles/{c}/join"), json!({}))
        .await;
    assert_eq!(m.c.get(&format!("/api/v1/images/{id}")).await.status, 200);
    let h =
        m.c.get(&format!("/api/v1/circles/{c}/rooms/{room}/messages"))
            .await;
    assert_eq!(h.body[0]["image"], format!("/api/v1/images/{id}"));
    // A signed-in visitor of this public circle reads posts, not the chat.
    let visitor = app.user("Vis").await;
    assert_eq!(
        visitor.c.get(&format!("/api/v1/images/{id}")).await.status,
        404
    );
}
