//! The catalog: products with SKUs (price in fen, stock), published or not, on the
//! org's shop or a circle's shelf. Staff who run the shop write it; buyers read the
//! published part.

use super::error::CommerceError;
use super::port::{ProductRecord, SkuRecord};
use super::{MANAGERS, Result, require};
use crate::Services;
use crate::access::{Actor, OrgAccess, require_scope};
use crate::events::{announce, new_event};
use crate::page::{Page, PageRequest};
use quan_domain::{
    CircleId, Currency, JoinPolicy, Money, OrgId, ParseError, ProductId, ProductKind, Scope, SkuId,
    short_label,
};
use serde_json::json;

pub const PRODUCT_NAME_MAX: usize = 80;
pub const DESCRIPTION_MAX: usize = 5_000;
pub const SKU_NAME_MAX: usize = 40;
pub const SKUS_MAX: usize = 20;
pub const STOCK_MAX: i64 = 1_000_000;

/// A SKU as the console writes it: `id` names one that exists (to keep it).
#[derive(Debug, Clone, Default)]
pub struct SkuInput {
    pub id: Option<SkuId>,
    pub name: String,
    pub price_fen: i64,
    pub stock: i64,
    /// The stock the editor saw: the SKU's stock moves by `stock - stock_was`, so
    /// orders placed since the form was loaded keep theirs. None sets it outright.
    pub stock_was: Option<i64>,
}

/// A product as the console writes it.
#[derive(Debug, Clone, Default)]
pub struct ProductInput {
    pub name: String,
    pub description: String,
    pub category: String,
    pub circle: Option<CircleId>,
    /// A membership sells a seat in `circle`: paying for it joins the circle.
    /// None: goods for a new product, what it was for one edited.
    pub kind: Option<ProductKind>,
    pub published: bool,
    pub skus: Vec<SkuInput>,
}

/// Stock a client sent: 0 to [`STOCK_MAX`].
fn stock(raw: i64) -> Result<i64> {
    if (0..=STOCK_MAX).contains(&raw) {
        Ok(raw)
    } else {
        Err(ParseError::new("stock", "invalid_stock", format!("0 to {STOCK_MAX}")).into())
    }
}

/// The input checked into a record (SKUs of `existing` keep their ids).
async fn checked(
    svc: &Services,
    org: OrgId,
    id: ProductId,
    n: ProductInput,
    existing: Option<&ProductRecord>,
) -> Result<ProductRecord> {
    let name = crate::input::text(&n.name, "name", PRODUCT_NAME_MAX, true)?;
    let description = crate::input::text(&n.description, "description", DESCRIPTION_MAX, false)?;
    let category = if n.category.trim().is_empty() {
        String::new()
    } else {
        short_label(&n.category, "category")?
    };
    let kind = n
        .kind
        .unwrap_or_else(|| existing.map_or(ProductKind::Goods, |p| p.kind));
    if let Some(c) = n.circle {
        // A shelf in one of the org's own circles only.
        let Some(circle) = svc.store.circle_get(c).await?.filter(|c| c.org_id == org) else {
            return Err(
                ParseError::new("circle", "invalid_circle", "not a circle of this org").into(),
            );
        };
        // Paying is the admission only where the circle says joining is paid:
        // a membership never gets round approval, invites or staff-only circles.
        if kind == ProductKind::Membership && circle.join_policy != JoinPolicy::Paid {
            return Err(ParseError::new(
                "circle",
                "membership_circle_not_paid",
                "a membership joins a circle whose joining is paid",
            )
            .into());
        }
    }
    if kind == ProductKind::Membership && n.circle.is_none() {
        return Err(ParseError::new(
            "circle",
            "membership_needs_circle",
            "a membership names the circle paying for it joins",
        )
        .into());
    }
    if let Some(p) = existing
        && (p.kind != kind || (kind == ProductKind::Membership && p.circle_id != n.circle))
        && svc.store.product_in_use(p.id).await?
    {
        // Its orders and sales were made for what it was.
        return Err(ParseError::new(
            "kind",
            "kind_fixed",
            "this product has orders or a flash sale: what it is cannot change",
        )
        .into());
    }
    if n.skus.is_empty() || n.skus.len() > SKUS_MAX {
        return Err(ParseError::new(
            "skus",
            "invalid_skus",
            format!("at most {SKUS_MAX} SKUs, and at least one"),
        )
        .into());
    }
    let mut skus: Vec<SkuRecord> = Vec::with_capacity(n.skus.len());
    for s in n.skus {
        if s.id.is_some() && skus.iter().any(|k| Some(k.id) == s.id) {
            return Err(ParseError::new("skus", "invalid_skus", "a SKU is named twice").into());
        }
        let sku_id = match s.id {
            Some(sid) if existing.is_some_and(|p| p.skus.iter().any(|k| k.id == sid)) => sid,
            Some(sid) => return Err(CommerceError::UnknownSku { sku: sid }),
            None => SkuId::new(),
        };
        skus.push(SkuRecord {
            id: sku_id,
            product_id: id,
            name: crate::input::text(&s.name, "sku_name", SKU_NAME_MAX, true)?,
            price: Money::price(s.price_fen, Currency::Cny)?,
            stock: stock(s.stock)?,
        });
    }
    let now = svc.clock.now();
    Ok(ProductRecord {
        id,
        org_id: org,
        name,
        description,
        category,
        circle_id: n.circle,
        kind,
        // Pictures are added and taken off on their own (`images`).
        images: existing.map(|p| p.images.clone()).unwrap_or_default(),
        published: n.published,
        created_at: existing.map_or(now, |p| p.created_at),
        updated_at: now,
        skus,
    })
}

pub async fn create(svc: &Services, access: &OrgAccess, n: ProductInput) -> Result<ProductRecord> {
    require(access, Scope::Write, MANAGERS)?;
    let p = checked(svc, access.org(), ProductId::new(), n, None).await?;
    let ev = new_event(
        svc,
        access.org(),
        "product.created",
        format!("product:{}", p.id),
        Some(access.account()),
        json!({"name": p.name, "skus": p.skus.len(), "published": p.published}),
    );
    svc.store.product_insert(&p, &ev).await?;
    announce(svc, &ev).await;
    Ok(p)
}

pub async fn update(
    svc: &Services,
    access: &OrgAccess,
    id: ProductId,
    n: ProductInput,
) -> Result<ProductRecord> {
    require(access, Scope::Write, MANAGERS)?;
    let before = svc
        .store
        .product_get(access.org(), id)
        .await?
        .ok_or(CommerceError::NotFound)?;
    // What the editor saw, for the stock each SKU moves by.
    let mut seen = before.clone();
    for s in &n.skus {
        if let (Some(id), Some(was)) = (s.id, s.stock_was)
            && let Some(k) = seen.skus.iter_mut().find(|k| k.id == id)
        {
            k.stock = was;
        }
    }
    let p = checked(svc, access.org(), id, n, Some(&before)).await?;
    let ev = new_event(
        svc,
        access.org(),
        "product.updated",
        format!("product:{id}"),
        Some(access.account()),
        json!({"name": p.name, "skus": p.skus.len(), "published": p.published}),
    );
    if !svc.store.product_update(&p, &seen, &ev).await? {
        return Err(CommerceError::NotFound);
    }
    announce(svc, &ev).await;
    Ok(p)
}

/// Every product of the org, for the console.
pub async fn list(
    svc: &Services,
    access: &OrgAccess,
    page: &PageRequest,
) -> Result<Page<ProductRecord>> {
    require(access, Scope::Read, MANAGERS)?;
    Ok(svc.store.products_list(access.org(), false, page).await?)
}

pub async fn get(svc: &Services, access: &OrgAccess, id: ProductId) -> Result<ProductRecord> {
    require(access, Scope::Read, MANAGERS)?;
    svc.store
        .product_get(access.org(), id)
        .await?
        .ok_or(CommerceError::NotFound)
}

/// An org's shop as a buyer sees it: its name, and published products, newest
/// first.
pub async fn shop(
    svc: &Services,
    actor: &Actor,
    org: OrgId,
    page: &PageRequest,
) -> Result<(String, Page<ProductRecord>)> {
    require_scope(actor, Scope::Read)?;
    let name = svc
        .store
        .org_get(org)
        .await?
        .ok_or(CommerceError::NotFound)?
        .name;
    Ok((name, svc.store.products_list(org, true, page).await?))
}

/// The shops of the orgs that know the caller as a person: (org, its name).
pub async fn shops_of(svc: &Services, actor: &Actor) -> Result<Vec<(OrgId, String)>> {
    require_scope(actor, Scope::Read)?;
    let mut out: Vec<(OrgId, String)> = Vec::new();
    for (_, org, name) in svc.store.persons_of_account(actor.account_id()).await? {
        if !out.iter().any(|(o, _)| *o == org) {
            out.push((org, name));
        }
    }
    Ok(out)
}

/// The published memberships of one of the org's circles (what its door offers):
/// paying for one joins the circle.
pub async fn memberships(
    svc: &Services,
    actor: &Actor,
    org: OrgId,
    circle: CircleId,
) -> Result<Vec<ProductRecord>> {
    require_scope(actor, Scope::Read)?;
    Ok(svc.store.products_joining(org, circle).await?)
}

/// One published product, for its page.
pub async fn product(
    svc: &Services,
    actor: &Actor,
    org: OrgId,
    id: ProductId,
) -> Result<ProductRecord> {
    require_scope(actor, Scope::Read)?;
    svc.store
        .product_get(org, id)
        .await?
        .filter(|p| p.published)
        .ok_or(CommerceError::NotFound)
}
