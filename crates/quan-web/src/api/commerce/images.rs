//! A product's pictures: staff upload (the request body is the file) and take them
//! off; the shop serves them to whoever may see the product.

use crate::AppState;
use crate::api::circles::images::{ImageQuery, image_response};
use crate::api::common::parse_id;
use crate::error::{ApiError, ApiResult, Problem};
use crate::extract::{ApiQuery, Auth, OrgCtx};
use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use quan_core::commerce::images;
use quan_core::commerce::port::ProductImageRecord;
use quan_domain::{OrgId, ProductId};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(add_image))
        .routes(routes!(remove_image))
        .routes(routes!(product_image))
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct ProductImageDto {
    pub id: String,
    /// Where the shop serves it (to whoever may see the product).
    pub url: String,
    /// Its thumbnail (fits 480 × 480), for product cards.
    pub thumb_url: String,
    /// Pixels, upright.
    pub width: i64,
    pub height: i64,
}

pub(crate) fn image_dto(i: &ProductImageRecord) -> ProductImageDto {
    let url = image_path(i.org_id, i.product_id, &i.id.to_string());
    ProductImageDto {
        id: i.id.to_string(),
        thumb_url: format!("{url}?size=thumb"),
        url,
        width: i.width,
        height: i.height,
    }
}

/// The path a product's picture is served at.
pub fn image_path(org: OrgId, product: ProductId, image: &str) -> String {
    format!("/api/v1/shops/{org}/products/{product}/images/{image}")
}

/// Adds a picture after the product's others (the body is the file: PNG, JPEG, GIF
/// or WebP, at most 5 MiB and 8,192 pixels a side; at most 9 pictures). It is
/// decoded whole, turned upright, stored without its metadata and thumbnailed.
#[utoipa::path(post, path = "/api/v1/orgs/{org_id}/products/{product_id}/images", tag = "commerce",
    request_body(content = Vec<u8>, content_type = "image/*"),
    params(("org_id" = String, Path), ("product_id" = String, Path)), security(("bearer" = []), ("session" = [])),
    responses((status = 201, body = ProductImageDto), (status = 404, body = Problem), (status = 413, body = Problem), (status = 422, body = Problem)))]
pub async fn add_image(
    State(st): State<AppState>,
    ctx: OrgCtx,
    Path(ids): Path<(String, String)>,
    body: axum::body::Body,
) -> ApiResult<(StatusCode, Json<ProductImageDto>)> {
    let product = parse_id(&ids.1)?;
    let bytes = axum::body::to_bytes(body, quan_domain::IMAGE_MAX_BYTES)
        .await
        .map_err(|_| {
            ApiError::new(
                StatusCode::PAYLOAD_TOO_LARGE,
                "too_large",
                "an image is at most 5 MiB",
            )
        })?;
    let img = images::add(&st.svc, &ctx.access, product, &bytes).await?;
    Ok((StatusCode::CREATED, Json(image_dto(&img))))
}

/// Takes a picture off its product.
#[utoipa::path(delete, path = "/api/v1/orgs/{org_id}/products/{product_id}/images/{image_id}", tag = "commerce",
    params(("org_id" = String, Path), ("product_id" = String, Path), ("image_id" = String, Path)),
    security(("bearer" = []), ("session" = [])),
    responses((status = 204), (status = 404, body = Problem)))]
pub async fn remove_image(
    State(st): State<AppState>,
    ctx: OrgCtx,
    Path(ids): Path<(String, String, String)>,
) -> ApiResult<StatusCode> {
    images::remove(&st.svc, &ctx.access, parse_id(&ids.1)?, parse_id(&ids.2)?).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// A product's picture, or its thumbnail (`size=thumb`).
#[utoipa::path(get, path = "/api/v1/shops/{org_id}/products/{product_id}/images/{image_id}", tag = "commerce",
    params(("org_id" = String, Path), ("product_id" = String, Path), ("image_id" = String, Path), ImageQuery),
    security(("bearer" = []), ("session" = [])),
    responses((status = 200, content_type = "image/*"), (status = 404, body = Problem)))]
pub async fn product_image(
    State(st): State<AppState>,
    Auth(actor): Auth,
    Path(raw): Path<(String, String, String)>,
    ApiQuery(q): ApiQuery<ImageQuery>,
) -> ApiResult<axum::response::Response> {
    let ids = (parse_id(&raw.0)?, parse_id(&raw.1)?, parse_id(&raw.2)?);
    let (content_type, bytes) = images::bytes(&st.svc, &actor, ids, q.thumb()?).await?;
    Ok(image_response(content_type, bytes))
}
