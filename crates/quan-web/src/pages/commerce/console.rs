//! The console's shop: products with their SKUs, prices and stock (a new one, or
//! one edited, in the same form), and the org's orders with the next step staff
//! may take and the payment provider's webhooks received.

use super::super::console::Console;
use super::super::{
    AfterParams, CsrfOnly, PageError, PageResult, check_csrf, form_error, path_id, render_form,
    saved,
};
use crate::AppState;
use crate::error::ApiError;
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::routing::{get, post};
use axum::{Form, Router};
use quan_core::PageRequest;
use quan_core::commerce::catalog::{self, ProductInput, SKUS_MAX, SkuInput};
use quan_core::commerce::port::{OrderRecord, ProductRecord, WebhookLogRecord};
use quan_core::commerce::{images, orders, payments, refunds};
use quan_domain::{
    Currency, OrderEvent, OrderId, OrderStatus, ParseError, ProductId, ProductKind, parse_yuan,
};
use std::collections::HashMap;

pub(super) fn router() -> Router<AppState> {
    Router::new()
        .route("/console/{org_id}/shop", get(shop_page).post(create))
        .route(
            "/console/{org_id}/shop/products/{product_id}",
            get(product_page).post(update),
        )
        .route(
            "/console/{org_id}/shop/products/{product_id}/images",
            // One picture of at most 5 MiB, and the form's token.
            post(add_picture).layer(axum::extract::DefaultBodyLimit::max(
                quan_domain::IMAGE_MAX_BYTES + 64 * 1024,
            )),
        )
        .route(
            "/console/{org_id}/shop/products/{product_id}/images/{image_id}/remove",
            post(remove_picture),
        )
        .route("/console/{org_id}/shop/orders", get(orders_page))
        .route(
            "/console/{org_id}/shop/orders/{order_id}/{step}",
            post(step),
        )
}

/// A SKU row of the form, as typed (`stock_was`: the stock the page showed).
#[derive(Default, Clone)]
struct Row {
    id: String,
    name: String,
    price: String,
    stock: String,
    stock_was: String,
}

/// The product form as typed (a refused one comes back as it was).
#[derive(Default, Clone)]
struct ProductForm {
    name: String,
    category: String,
    description: String,
    /// The circle's id (its shelf, and what a membership joins), or empty.
    circle: String,
    /// `goods` or `membership`.
    kind: String,
    published: bool,
    rows: Vec<Row>,
}

/// Empty rows under the SKUs, for new ones.
const SPARE_ROWS: usize = 2;

impl ProductForm {
    fn of(p: &ProductRecord) -> Self {
        let mut f = ProductForm {
            name: p.name.clone(),
            category: p.category.clone(),
            description: p.description.clone(),
            circle: p.circle_id.map(|c| c.to_string()).unwrap_or_default(),
            kind: p.kind.as_str().to_owned(),
            published: p.published,
            rows: p
                .skus
                .iter()
                .map(|s| Row {
                    id: s.id.to_string(),
                    name: s.name.clone(),
                    price: s.price.yuan(),
                    stock: s.stock.to_string(),
                    stock_was: s.stock.to_string(),
                })
                .collect(),
        };
        f.pad();
        f
    }
    fn pad(&mut self) {
        // Never fewer rows than were typed: a refused form keeps all of them.
        let want = (self.rows.len() + SPARE_ROWS)
            .clamp(3, SKUS_MAX)
            .max(self.rows.len());
        self.rows.resize(want, Row::default());
    }
    fn read(raw: &HashMap<String, String>) -> Self {
        let get = |k: &str| raw.get(k).cloned().unwrap_or_default();
        let mut rows = Vec::new();
        for i in 0..SKUS_MAX + SPARE_ROWS {
            let r = Row {
                id: get(&format!("sku_id_{i}")),
                name: get(&format!("sku_name_{i}")),
                price: get(&format!("sku_price_{i}")),
                stock: get(&format!("sku_stock_{i}")),
                stock_was: get(&format!("sku_stock_was_{i}")),
            };
            // A new row left empty is no SKU; a kept one emptied stays in the form
            // (and is taken off the product).
            if !(r.id.is_empty() && r.name.trim().is_empty() && r.price.trim().is_empty()) {
                rows.push(r);
            }
        }
        let mut f = ProductForm {
            name: get("name"),
            category: get("category"),
            description: get("description"),
            circle: get("circle"),
            kind: get("kind"),
            published: get("published") == "1",
            rows,
        };
        f.pad();
        f
    }
    /// The typed form as the use case's input; a row's price or stock that is not
    /// a number is refused here, by its field.
    fn input(&self) -> Result<ProductInput, ParseError> {
        let mut skus = Vec::new();
        for r in &self.rows {
            // Emptied: not a SKU any more (an existing one is retired).
            if r.name.trim().is_empty() && r.price.trim().is_empty() {
                continue;
            }
            let id = match r.id.as_str() {
                "" => None,
                raw => Some(raw.parse().map_err(|_| {
                    ParseError::new("skus", "invalid_id", "not a SKU of this product")
                })?),
            };
            let stock = match r.stock.trim() {
                "" => 0,
                s => s
                    .parse::<i64>()
                    .map_err(|_| ParseError::new("stock", "invalid_stock", "a whole number"))?,
            };
            skus.push(SkuInput {
                id,
                name: r.name.clone(),
                price_fen: parse_yuan(&r.price, Currency::Cny)?.fen(),
                stock,
                stock_was: r.stock_was.trim().parse().ok(),
            });
        }
        Ok(ProductInput {
            name: self.name.clone(),
            description: self.description.clone(),
            category: self.category.clone(),
            circle: match self.circle.as_str() {
                "" => None,
                raw => Some(raw.parse().map_err(|_| {
                    ParseError::new("circle", "invalid_circle", "not a circle of this org")
                })?),
            },
            kind: match self.kind.as_str() {
                "" => None,
                raw => Some(ProductKind::parse(raw)?),
            },
            published: self.published,
            skus,
        })
    }
}

#[derive(Template)]
#[template(path = "console_shop.html")]
struct ShopPage<'a> {
    k: &'a Console,
    items: &'a [ProductRecord],
    next: Option<String>,
    circles: &'a [(String, String)],
    form: ProductForm,
    editing: Option<ProductId>,
    error: Option<&'a str>,
}

impl ShopPage<'_> {
    fn action(&self) -> String {
        format!("{}/shop", self.k.base())
    }
}

async fn shop_view(
    st: &AppState,
    k: &Console,
    after: Option<String>,
    form: ProductForm,
    error: Option<String>,
) -> PageResult {
    let page = catalog::list(&st.svc, &k.access, &PageRequest::new(after, Some(30)))
        .await
        .map_err(ApiError::from)?;
    let circles = shelves(st, k, &form.circle).await?;
    Ok(render_form(
        &ShopPage {
            k,
            items: &page.items,
            next: page.next,
            circles: &circles,
            form,
            editing: None,
            error: error.as_deref(),
        },
        error.is_some(),
    ))
}

async fn shop_page(
    State(st): State<AppState>,
    k: Console,
    Query(q): Query<AfterParams>,
) -> PageResult {
    let mut form = ProductForm {
        published: true,
        ..ProductForm::default()
    };
    form.pad();
    shop_view(&st, &k, q.after, form, None).await
}

async fn create(
    State(st): State<AppState>,
    k: Console,
    Form(raw): Form<HashMap<String, String>>,
) -> PageResult {
    check_csrf(&k.c, raw.get("csrf").map_or("", String::as_str))?;
    let form = ProductForm::read(&raw);
    let done = match form.input() {
        Ok(input) => catalog::create(&st.svc, &k.access, input).await.map(|_| ()),
        Err(e) => Err(e.into()),
    };
    match done {
        Ok(()) => Ok(saved(&format!("{}/shop", k.base()))),
        Err(e) => {
            let msg = form_error(&k.c, e.into())?;
            shop_view(&st, &k, None, form, Some(msg)).await
        }
    }
}

/// The org's circles a product may sit on (and a membership join): (id, name).
/// The first hundred, and the product's own wherever it is among them, so saving
/// the form never moves a product off a circle the list did not reach.
async fn shelves(
    st: &AppState,
    k: &Console,
    current: &str,
) -> Result<Vec<(String, String)>, PageError> {
    let page = quan_core::circles::list_org_circles(&st.svc, &k.access, &PageRequest::first(100))
        .await
        .map_err(ApiError::from)?;
    // A circle joined by paying says so: only those take a membership.
    let paid = k.c.t("shop.paid_circle");
    let named = |c: &quan_core::circles::port::CircleRecord| {
        if c.join_policy == quan_domain::JoinPolicy::Paid {
            format!("{} · {paid}", c.name)
        } else {
            c.name.clone()
        }
    };
    let mut out: Vec<(String, String)> = page
        .items
        .iter()
        .map(|c| (c.id.to_string(), named(c)))
        .collect();
    if let Ok(id) = current.parse::<quan_domain::CircleId>()
        && !out.iter().any(|(c, _)| c == current)
        && let Ok(v) = quan_core::access::view(&st.svc, super::super::require_user(&k.c)?, id).await
        && v.circle.org_id == k.access.org()
    {
        out.push((current.to_owned(), named(&v.circle)));
    }
    Ok(out)
}

#[derive(Template)]
#[template(path = "console_product.html")]
struct ProductPage<'a> {
    k: &'a Console,
    circles: &'a [(String, String)],
    /// The product's pictures as stored (the form does not carry them).
    images: &'a [quan_core::commerce::port::ProductImageRecord],
    picture_error: Option<&'a str>,
    form: ProductForm,
    editing: Option<ProductId>,
    error: Option<&'a str>,
}

impl ProductPage<'_> {
    fn action(&self) -> String {
        match self.editing {
            Some(id) => format!("{}/shop/products/{id}", self.k.base()),
            None => format!("{}/shop", self.k.base()),
        }
    }
}

async fn product_page(
    State(st): State<AppState>,
    k: Console,
    Path(ids): Path<(String, String)>,
) -> PageResult {
    let id: ProductId = path_id(&ids.1)?;
    let p = catalog::get(&st.svc, &k.access, id)
        .await
        .map_err(ApiError::from)?;
    let form = ProductForm::of(&p);
    let circles = shelves(&st, &k, &form.circle).await?;
    Ok(render_form(
        &ProductPage {
            k: &k,
            circles: &circles,
            images: &p.images,
            picture_error: None,
            form,
            editing: Some(id),
            error: None,
        },
        false,
    ))
}

async fn update(
    State(st): State<AppState>,
    k: Console,
    Path(ids): Path<(String, String)>,
    Form(raw): Form<HashMap<String, String>>,
) -> PageResult {
    check_csrf(&k.c, raw.get("csrf").map_or("", String::as_str))?;
    let id: ProductId = path_id(&ids.1)?;
    let form = ProductForm::read(&raw);
    let done = match form.input() {
        Ok(input) => catalog::update(&st.svc, &k.access, id, input)
            .await
            .map(|_| ()),
        Err(e) => Err(e.into()),
    };
    match done {
        Ok(()) => Ok(saved(&format!("{}/shop", k.base()))),
        Err(e) => {
            let msg = form_error(&k.c, e.into())?;
            let circles = shelves(&st, &k, &form.circle).await?;
            let images = catalog::get(&st.svc, &k.access, id)
                .await
                .map(|p| p.images)
                .unwrap_or_default();
            Ok(render_form(
                &ProductPage {
                    k: &k,
                    circles: &circles,
                    images: &images,
                    picture_error: None,
                    form,
                    editing: Some(id),
                    error: Some(&msg),
                },
                true,
            ))
        }
    }
}

/// Adds a picture (multipart: csrf, image); back on the product's page, which
/// says why if it was refused.
async fn add_picture(
    State(st): State<AppState>,
    k: Console,
    Path(ids): Path<(String, String)>,
    mut mp: axum::extract::Multipart,
) -> PageResult {
    let bad = |_| {
        PageError::Api(ApiError::bad_request(
            "invalid_form",
            "the form could not be read",
        ))
    };
    let (mut csrf, mut file) = (String::new(), None);
    while let Some(field) = mp.next_field().await.map_err(bad)? {
        match field.name().unwrap_or_default() {
            "image" => file = Some(field.bytes().await.map_err(bad)?),
            "csrf" => csrf = field.text().await.map_err(bad)?,
            _ => {}
        }
    }
    check_csrf(&k.c, &csrf)?;
    let id: ProductId = path_id(&ids.1)?;
    let done = match file.filter(|b| !b.is_empty()) {
        Some(b) => images::add(&st.svc, &k.access, id, &b).await.map(drop),
        None => Err(ParseError::new("image", "missing_image", "choose an image to upload").into()),
    };
    picture_done(&st, &k, id, done).await
}

async fn remove_picture(
    State(st): State<AppState>,
    k: Console,
    Path(ids): Path<(String, String, String)>,
    Form(f): Form<CsrfOnly>,
) -> PageResult {
    check_csrf(&k.c, &f.csrf)?;
    let id: ProductId = path_id(&ids.1)?;
    let done = images::remove(&st.svc, &k.access, id, path_id(&ids.2)?).await;
    picture_done(&st, &k, id, done).await
}

/// After a picture was added or removed: the product's page again, with why not.
async fn picture_done(
    st: &AppState,
    k: &Console,
    id: ProductId,
    done: Result<(), quan_core::commerce::error::CommerceError>,
) -> PageResult {
    let error = match done {
        Ok(()) => return Ok(saved(&format!("{}/shop/products/{id}", k.base()))),
        Err(e) => form_error(&k.c, e.into())?,
    };
    let p = catalog::get(&st.svc, &k.access, id)
        .await
        .map_err(ApiError::from)?;
    let form = ProductForm::of(&p);
    let circles = shelves(st, k, &form.circle).await?;
    Ok(render_form(
        &ProductPage {
            k,
            circles: &circles,
            images: &p.images,
            picture_error: Some(&error),
            form,
            editing: Some(id),
            error: None,
        },
        true,
    ))
}

#[derive(Template)]
#[template(path = "console_orders.html")]
struct OrdersPage<'a> {
    k: &'a Console,
    items: &'a [OrderRecord],
    next: Option<String>,
    log: &'a [WebhookLogRecord],
    differences: &'a [quan_core::commerce::reconcile::Difference],
    /// The hourly job's last run: when, and how many differences it found.
    last_run: Option<(quan_domain::Timestamp, usize)>,
    error: Option<&'a str>,
}

impl OrdersPage<'_> {
    /// The steps staff may take next, as their path segments.
    fn next_steps(&self, o: &OrderRecord) -> &'static [&'static str] {
        match o.status {
            // A membership has nothing to ship: paying let the buyer in.
            OrderStatus::Paid if o.lines.iter().all(|l| l.joins.is_some()) => &[],
            OrderStatus::Paid => &["fulfil"],
            OrderStatus::Fulfilled => &["complete"],
            OrderStatus::RefundRequested => &["approve", "decline"],
            _ => &[],
        }
    }
}

async fn orders_view(
    st: &AppState,
    k: &Console,
    after: Option<String>,
    error: Option<String>,
) -> PageResult {
    let page = orders::list(&st.svc, &k.access, &PageRequest::new(after, Some(30)))
        .await
        .map_err(ApiError::from)?;
    let log = payments::log(&st.svc, &k.access, 20)
        .await
        .map_err(ApiError::from)?;
    let differences = quan_core::commerce::reconcile::differences(&st.svc, &k.access)
        .await
        .map_err(ApiError::from)?;
    let last_run = quan_core::commerce::reconcile::last_run(&st.svc, &k.access)
        .await
        .map_err(ApiError::from)?
        .map(|(at, d)| (at, d.len()));
    Ok(render_form(
        &OrdersPage {
            k,
            items: &page.items,
            next: page.next,
            log: &log,
            differences: &differences,
            last_run,
            error: error.as_deref(),
        },
        error.is_some(),
    ))
}

async fn orders_page(
    State(st): State<AppState>,
    k: Console,
    Query(q): Query<AfterParams>,
) -> PageResult {
    orders_view(&st, &k, q.after, None).await
}

async fn step(
    State(st): State<AppState>,
    k: Console,
    Path(ids): Path<(String, String, String)>,
    Form(f): Form<CsrfOnly>,
) -> PageResult {
    check_csrf(&k.c, &f.csrf)?;
    let id: OrderId = path_id(&ids.1)?;
    let done = match ids.2.as_str() {
        "fulfil" => orders::advance(&st.svc, &k.access, id, OrderEvent::Fulfil).await,
        "complete" => orders::advance(&st.svc, &k.access, id, OrderEvent::Complete).await,
        "approve" => refunds::approve(&st.svc, &k.access, id).await,
        "decline" => refunds::decline(&st.svc, &k.access, id).await,
        _ => return Err(super::super::PageError::NotFound),
    };
    match done {
        Ok(_) => Ok(saved(&format!("{}/shop/orders", k.base()))),
        Err(e) => {
            let msg = form_error(&k.c, e.into())?;
            orders_view(&st, &k, None, Some(msg)).await
        }
    }
}
