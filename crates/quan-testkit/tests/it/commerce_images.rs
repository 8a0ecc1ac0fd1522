//! A product's pictures: staff add them (cleaned and thumbnailed like every
//! upload, garbage refused by code), at most nine even when a dozen arrive at once;
//! the shop serves a published product's to any buyer and an unpublished one's to
//! its staff only; another org's staff can neither add nor take one off. Both
//! backends.

use quan_testkit::{TestApp, on_both_backends, png};

on_both_backends!(
    pictures_are_added_shown_and_taken_off,
    at_most_nine_pictures_even_at_once
);

async fn pictures_are_added_shown_and_taken_off(app: TestApp) {
    let (owner, org) = app.owner("Tea House").await;
    let p = owner
        .create_product(&org, "桂花乌龙", &[("50 g", 3800, 3)])
        .await;
    let r = owner.add_product_image(&org, &p.id, png(500)).await;
    assert_eq!(r.status, 201, "{}", r.text);
    let (url, thumb) = (
        r.body["url"].as_str().unwrap_or_default().to_owned(),
        r.body["thumb_url"].as_str().unwrap_or_default().to_owned(),
    );
    assert_eq!(
        (r.body["width"].as_i64(), r.body["height"].as_i64()),
        (Some(32), Some(32))
    );
    let buyer = app.user("Mei").await;
    let shown = buyer.shop_product(&org, &p.id).await;
    assert_eq!(shown.images.len(), 1);
    assert_eq!(shown.images[0].url, url);
    for u in [&url, &thumb] {
        let got = buyer.product_image(u).await;
        assert_eq!(got.status, 200, "{u}");
        assert!(
            got.content_type.starts_with("image/"),
            "{}",
            got.content_type
        );
    }
    // Not a picture, or too big: refused by code, nothing stored.
    let r = owner
        .add_product_image(&org, &p.id, png(10)[..40].to_vec())
        .await;
    assert_eq!(r.problem(), (422, Some("invalid_image")), "{}", r.text);
    let r = owner
        .add_product_image(&org, &p.id, b"hello".to_vec())
        .await;
    assert_eq!(r.problem(), (422, Some("unsupported_image")));
    let r = owner
        .add_product_image(&org, &p.id, png(6 * 1024 * 1024))
        .await;
    assert_eq!(r.problem().0, 413);
    assert_eq!(buyer.shop_product(&org, &p.id).await.images.len(), 1);
    // Another org's staff: not found, whichever way.
    let (other, _) = app.owner("Other").await;
    let id = url.rsplit('/').next().unwrap_or_default().to_owned();
    assert_eq!(
        other
            .add_product_image(&org, &p.id, png(10))
            .await
            .problem()
            .0,
        404
    );
    let gone = format!("/api/v1/orgs/{org}/products/{}/images/{id}", p.id);
    assert_eq!(other.c.delete(&gone).await.problem().0, 404);
    // Unpublished: its staff see the picture, buyers do not.
    let mut body = serde_json::json!({"name": "桂花乌龙", "published": false,
        "skus": [{"id": p.skus[0].id, "name": "50 g", "price_fen": 3800, "stock": 3}]});
    assert_eq!(
        owner
            .try_update_product(&org, &p.id, body.clone())
            .await
            .status,
        200
    );
    assert_eq!(buyer.product_image(&url).await.problem().0, 404);
    assert_eq!(owner.product_image(&url).await.status, 200);
    body["published"] = serde_json::json!(true);
    owner.try_update_product(&org, &p.id, body).await;
    assert_eq!(owner.c.delete(&gone).await.status, 204);
    assert_eq!(owner.c.delete(&gone).await.problem().0, 404);
    assert_eq!(buyer.product_image(&url).await.problem().0, 404);
    assert!(buyer.shop_product(&org, &p.id).await.images.is_empty());
}

async fn at_most_nine_pictures_even_at_once(app: TestApp) {
    let (owner, org) = app.owner("Tea House").await;
    let p = owner
        .create_product(&org, "冷萃茶包", &[("×10", 4500, 3)])
        .await;
    let tries = (0..12).map(|i| owner.add_product_image(&org, &p.id, png(100 + i)));
    let answers = futures::future::join_all(tries).await;
    let made = answers.iter().filter(|r| r.status == 201).count();
    let full = answers
        .iter()
        .filter(|r| r.problem() == (422, Some("too_many")))
        .count();
    assert_eq!((made, full), (9, 3));
    let shown = owner.shop_product(&org, &p.id).await;
    assert_eq!(shown.images.len(), 9);
}
