//! Image endpoints: upload (type known by the bytes) and serve (to those who may see
//! what the image is attached to).

use crate::AppState;
use crate::api::common::parse_id;
use crate::error::{ApiResult, Problem};
use crate::extract::{ApiQuery, Auth};
use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use quan_core::circles::images;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(upload_image))
        .routes(routes!(get_image))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ImageDto {
    pub id: String,
    /// Where to fetch it (the same visibility rules as the post it is attached to).
    pub url: String,
    /// Its thumbnail (fits 480 × 480), for cards and previews.
    pub thumb_url: String,
    pub content_type: String,
    pub bytes: i64,
    /// Pixels, upright.
    pub width: i64,
    pub height: i64,
}

/// The path an image is served at.
pub fn image_url(id: quan_domain::ImageId) -> String {
    format!("/api/v1/images/{id}")
}

/// The path an image's thumbnail is served at.
pub fn thumb_url(id: quan_domain::ImageId) -> String {
    format!("/api/v1/images/{id}?size=thumb")
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct ImageQuery {
    /// `thumb` for the thumbnail (fits 480 × 480); the full image otherwise.
    pub size: Option<String>,
}

/// Uploads an image (the request body is the file: PNG, JPEG, GIF or WebP, at most
/// 5 MiB and 8,192 pixels a side; the type is read from the bytes). It is decoded
/// whole, turned upright, stored without its metadata (EXIF, GPS) and thumbnailed.
/// Attach it by id when posting.
#[utoipa::path(post, path = "/api/v1/circles/{circle_id}/images", tag = "circles",
    request_body(content = Vec<u8>, content_type = "image/*"),
    params(("circle_id" = String, Path)), security(("bearer" = []), ("session" = [])),
    responses((status = 201, body = ImageDto), (status = 403, body = Problem), (status = 413, body = Problem), (status = 422, body = Problem),
        (status = 429, description = "A new member's first-day allowance of images is used up", body = Problem)))]
pub async fn upload_image(
    State(st): State<AppState>,
    Auth(actor): Auth,
    Path(id): Path<String>,
    body: axum::body::Body,
) -> ApiResult<(StatusCode, Json<ImageDto>)> {
    let circle = parse_id(&id)?;
    let bytes = axum::body::to_bytes(body, quan_domain::IMAGE_MAX_BYTES)
        .await
        .map_err(|_| {
            crate::error::ApiError::new(
                StatusCode::PAYLOAD_TOO_LARGE,
                "too_large",
                "an image is at most 5 MiB",
            )
        })?;
    let img = images::upload_image(&st.svc, &actor, circle, &bytes).await?;
    Ok((
        StatusCode::CREATED,
        Json(ImageDto {
            url: image_url(img.id),
            thumb_url: thumb_url(img.id),
            id: img.id.to_string(),
            content_type: img.content_type,
            bytes: img.bytes,
            width: img.width,
            height: img.height,
        }),
    ))
}

/// An image's bytes, or its thumbnail's.
#[utoipa::path(get, path = "/api/v1/images/{image_id}", tag = "circles", params(("image_id" = String, Path), ImageQuery),
    security(("bearer" = []), ("session" = [])), responses((status = 200, content_type = "image/*"), (status = 404, body = Problem)))]
pub async fn get_image(
    State(st): State<AppState>,
    Auth(actor): Auth,
    Path(id): Path<String>,
    ApiQuery(q): ApiQuery<ImageQuery>,
) -> ApiResult<axum::response::Response> {
    let (content_type, bytes) =
        images::image_bytes(&st.svc, &actor, parse_id(&id)?, q.thumb()?).await?;
    Ok(image_response(content_type, bytes))
}

impl ImageQuery {
    /// Whether the thumbnail is asked for.
    pub fn thumb(&self) -> ApiResult<bool> {
        match self.size.as_deref() {
            None | Some("full") => Ok(false),
            Some("thumb") => Ok(true),
            Some(_) => Err(crate::error::ApiError::bad_request(
                "invalid_query",
                "size is thumb or full",
            )),
        }
    }
}

/// An image's bytes as served: its type, cached privately (who may see it is
/// decided per viewer), never sniffed as anything else.
pub fn image_response(content_type: String, bytes: Vec<u8>) -> axum::response::Response {
    use axum::response::IntoResponse;
    (
        [
            (axum::http::header::CONTENT_TYPE, content_type),
            (
                axum::http::header::CACHE_CONTROL,
                "private, max-age=3600".to_owned(),
            ),
            (
                axum::http::header::X_CONTENT_TYPE_OPTIONS,
                "nosniff".to_owned(),
            ),
        ],
        bytes,
    )
        .into_response()
}
