//! Commerce endpoints: the catalog (console) and the shop (buyers) here; orders,
//! flash sales and payments, with the sandbox provider's webhook, in their own
//! modules.

pub mod cart;
pub mod coupons;
pub mod flash;
pub mod images;
pub mod orders;
pub mod payments;

use crate::AppState;
use crate::api::common::{PageQuery, parse_id};
use crate::error::{ApiError, ApiResult, Problem};
use crate::extract::{ApiJson, ApiQuery, Auth, OrgCtx};
use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use quan_core::commerce::catalog::{self, ProductInput, SkuInput};
use quan_core::commerce::error::CommerceError;
use quan_core::commerce::port::ProductRecord;
use quan_domain::ProductKind;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_products, create_product))
        .routes(routes!(get_product, update_product))
        .routes(routes!(shop_products))
        .routes(routes!(shop_product))
        .merge(orders::router())
        .merge(flash::router())
        .merge(coupons::router())
        .merge(cart::router())
        .merge(images::router())
        .merge(payments::router())
}

impl From<CommerceError> for ApiError {
    fn from(e: CommerceError) -> Self {
        use CommerceError as E;
        let s = |st, code| ApiError::new(st, code, e.to_string());
        match &e {
            E::Invalid(pe) => pe.clone().into(),
            E::NotFound | E::NotMember => ApiError::not_found(),
            E::Forbidden => s(StatusCode::FORBIDDEN, "forbidden"),
            E::MissingScope(_) => s(StatusCode::FORBIDDEN, "missing_scope"),
            E::OutOfStock { .. } => s(StatusCode::CONFLICT, "out_of_stock"),
            E::UnknownSku { .. } => s(StatusCode::UNPROCESSABLE_ENTITY, "unknown_sku"),
            E::FlashSoldOut => s(StatusCode::CONFLICT, "flash_sold_out"),
            E::FlashLimitReached => s(StatusCode::CONFLICT, "flash_limit_reached"),
            E::FlashStockShort => s(StatusCode::CONFLICT, "flash_stock_over_sku"),
            E::FlashOverlaps => s(StatusCode::CONFLICT, "flash_overlaps"),
            E::FlashProductUnpublished => s(StatusCode::CONFLICT, "flash_product_unpublished"),
            E::FlashNotLive { code, .. } => s(StatusCode::CONFLICT, code),
            E::CouponSoldOut => s(StatusCode::CONFLICT, "coupon_sold_out"),
            E::CouponLimitReached => s(StatusCode::CONFLICT, "coupon_limit_reached"),
            E::CouponUnavailable { code, .. } => s(StatusCode::CONFLICT, code),
            E::PriceChanged { .. } => s(StatusCode::CONFLICT, "price_changed"),
            E::AlreadyMember => s(StatusCode::CONFLICT, "already_member"),
            E::Banned => s(StatusCode::FORBIDDEN, "banned"),
            E::IdempotencyReused => s(StatusCode::UNPROCESSABLE_ENTITY, "idempotency_key_reused"),
            E::OrderState { code, .. } => s(StatusCode::CONFLICT, code),
            E::Provider(_) => s(StatusCode::BAD_GATEWAY, "payment_provider_unavailable"),
            E::Webhook { code, .. } if *code == "invalid_webhook" => {
                s(StatusCode::UNPROCESSABLE_ENTITY, code)
            }
            E::Webhook { code, .. } => s(StatusCode::UNAUTHORIZED, code),
            E::Internal(cause) => ApiError::internal(cause.as_ref()),
        }
    }
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct SkuDto {
    pub id: String,
    pub name: String,
    /// Integer fen (1/100 of a yuan).
    pub price_fen: i64,
    pub currency: String,
    /// Units not reserved by an order.
    pub stock: i64,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct ProductDto {
    pub id: String,
    pub org_id: String,
    pub name: String,
    /// Markdown.
    pub description: String,
    pub category: String,
    /// A circle's shelf; absent for the org's whole shop.
    pub circle_id: Option<String>,
    /// `goods`, or `membership`: paying for it joins the circle `circle_id`.
    pub kind: String,
    /// Its pictures, in their order (the first is its card's).
    pub images: Vec<images::ProductImageDto>,
    pub published: bool,
    pub skus: Vec<SkuDto>,
    pub created_at: i64,
    pub updated_at: i64,
}

pub(crate) fn product_dto(p: &ProductRecord) -> ProductDto {
    ProductDto {
        id: p.id.to_string(),
        org_id: p.org_id.to_string(),
        name: p.name.clone(),
        description: p.description.clone(),
        category: p.category.clone(),
        circle_id: p.circle_id.map(|c| c.to_string()),
        kind: p.kind.as_str().to_owned(),
        images: p.images.iter().map(images::image_dto).collect(),
        published: p.published,
        skus: p
            .skus
            .iter()
            .map(|s| SkuDto {
                id: s.id.to_string(),
                name: s.name.clone(),
                price_fen: s.price.fen(),
                currency: s.price.currency().as_str().to_owned(),
                stock: s.stock,
            })
            .collect(),
        created_at: p.created_at.millis(),
        updated_at: p.updated_at.millis(),
    }
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct ProductPageDto {
    pub items: Vec<ProductDto>,
    pub next: Option<String>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SkuReq {
    /// An existing SKU's id, to keep it (and its orders' link); absent for a new one.
    pub id: Option<String>,
    pub name: String,
    pub price_fen: i64,
    /// The stock wanted. For an existing SKU with `stock_was`, the stock moves by
    /// `stock - stock_was`, so orders reserved since it was read keep theirs;
    /// without it, the stock is set to this outright.
    pub stock: i64,
    pub stock_was: Option<i64>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ProductReq {
    pub name: String,
    #[serde(default)]
    pub description: String,
    #[serde(default)]
    pub category: String,
    pub circle_id: Option<String>,
    /// `goods` (a new product's default), or `membership`: a seat in the circle
    /// `circle_id` names (its joining set to paid), which paying for it joins
    /// (bought one at a time). Absent on an update: it stays what it was.
    pub kind: Option<String>,
    #[serde(default)]
    pub published: bool,
    pub skus: Vec<SkuReq>,
}

impl ProductReq {
    fn into_input(self) -> ApiResult<ProductInput> {
        let mut skus = Vec::with_capacity(self.skus.len().min(64));
        for s in self.skus.into_iter().take(64) {
            skus.push(SkuInput {
                id: s.id.as_deref().map(parse_id).transpose()?,
                name: s.name,
                price_fen: s.price_fen,
                stock: s.stock,
                stock_was: s.stock_was,
            });
        }
        Ok(ProductInput {
            name: self.name,
            description: self.description,
            category: self.category,
            circle: self.circle_id.as_deref().map(parse_id).transpose()?,
            kind: self.kind.as_deref().map(ProductKind::parse).transpose()?,
            published: self.published,
            skus,
        })
    }
}

/// The org's products, newest first (all of them, for the console).
#[utoipa::path(get, path = "/api/v1/orgs/{org_id}/products", tag = "commerce",
    params(("org_id" = String, Path), PageQuery), security(("bearer" = []), ("session" = [])),
    responses((status = 200, body = ProductPageDto)))]
pub async fn list_products(
    State(st): State<AppState>,
    ctx: OrgCtx,
    ApiQuery(q): ApiQuery<PageQuery>,
) -> ApiResult<Json<ProductPageDto>> {
    let p = catalog::list(&st.svc, &ctx.access, &q.into_request()?).await?;
    Ok(Json(ProductPageDto {
        items: p.items.iter().map(product_dto).collect(),
        next: p.next,
    }))
}

/// Adds a product with its SKUs.
#[utoipa::path(post, path = "/api/v1/orgs/{org_id}/products", tag = "commerce", request_body = ProductReq,
    params(("org_id" = String, Path)), security(("bearer" = []), ("session" = [])),
    responses((status = 201, body = ProductDto), (status = 403, body = Problem), (status = 422, body = Problem)))]
pub async fn create_product(
    State(st): State<AppState>,
    ctx: OrgCtx,
    ApiJson(req): ApiJson<ProductReq>,
) -> ApiResult<(StatusCode, Json<ProductDto>)> {
    let p = catalog::create(&st.svc, &ctx.access, req.into_input()?).await?;
    Ok((StatusCode::CREATED, Json(product_dto(&p))))
}

#[utoipa::path(get, path = "/api/v1/orgs/{org_id}/products/{product_id}", tag = "commerce",
    params(("org_id" = String, Path), ("product_id" = String, Path)), security(("bearer" = []), ("session" = [])),
    responses((status = 200, body = ProductDto), (status = 404, body = Problem)))]
pub async fn get_product(
    State(st): State<AppState>,
    ctx: OrgCtx,
    Path(ids): Path<(String, String)>,
) -> ApiResult<Json<ProductDto>> {
    let p = catalog::get(&st.svc, &ctx.access, parse_id(&ids.1)?).await?;
    Ok(Json(product_dto(&p)))
}

/// Replaces a product's fields and SKUs.
#[utoipa::path(put, path = "/api/v1/orgs/{org_id}/products/{product_id}", tag = "commerce", request_body = ProductReq,
    params(("org_id" = String, Path), ("product_id" = String, Path)), security(("bearer" = []), ("session" = [])),
    responses((status = 200, body = ProductDto), (status = 403, body = Problem), (status = 404, body = Problem), (status = 422, body = Problem)))]
pub async fn update_product(
    State(st): State<AppState>,
    ctx: OrgCtx,
    Path(ids): Path<(String, String)>,
    ApiJson(req): ApiJson<ProductReq>,
) -> ApiResult<Json<ProductDto>> {
    let p = catalog::update(&st.svc, &ctx.access, parse_id(&ids.1)?, req.into_input()?).await?;
    Ok(Json(product_dto(&p)))
}

/// An org's shop: its published products, newest first.
#[utoipa::path(get, path = "/api/v1/shops/{org_id}/products", tag = "commerce",
    params(("org_id" = String, Path), PageQuery), security(("bearer" = []), ("session" = [])),
    responses((status = 200, body = ProductPageDto)))]
pub async fn shop_products(
    State(st): State<AppState>,
    Auth(actor): Auth,
    Path(org): Path<String>,
    ApiQuery(q): ApiQuery<PageQuery>,
) -> ApiResult<Json<ProductPageDto>> {
    let (_, p) = catalog::shop(&st.svc, &actor, parse_id(&org)?, &q.into_request()?).await?;
    Ok(Json(ProductPageDto {
        items: p.items.iter().map(product_dto).collect(),
        next: p.next,
    }))
}

#[utoipa::path(get, path = "/api/v1/shops/{org_id}/products/{product_id}", tag = "commerce",
    params(("org_id" = String, Path), ("product_id" = String, Path)), security(("bearer" = []), ("session" = [])),
    responses((status = 200, body = ProductDto), (status = 404, body = Problem)))]
pub async fn shop_product(
    State(st): State<AppState>,
    Auth(actor): Auth,
    Path(ids): Path<(String, String)>,
) -> ApiResult<Json<ProductDto>> {
    let p = catalog::product(&st.svc, &actor, parse_id(&ids.0)?, parse_id(&ids.1)?).await?;
    Ok(Json(product_dto(&p)))
}
