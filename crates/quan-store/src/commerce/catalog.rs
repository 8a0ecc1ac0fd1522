//! The catalog's rows: products and their SKUs.

use crate::moderation::exec;
use crate::queries::placeholders;
use crate::rows::{self, backend, flag, id, int, opt_id, text, ts};
use crate::store::SqlStore;
use quan_core::commerce::port::{OrderableSku, ProductRecord, SkuRecord};
use quan_core::{EventRecord, Page, PageRequest, StoreResult};
use quan_domain::{CircleId, Currency, Money, OrgId, ProductId, ProductKind, SkuId};
use sqlx::any::AnyRow;

const PRODUCT_COLS: &str = "p.id, p.org_id, p.name, p.description, p.category, p.circle_id, \
     p.kind, p.published, p.created_at, p.updated_at FROM products p";
pub(super) const SKU_COLS: &str =
    "k.id, k.product_id, k.name, k.price_fen, k.currency, k.stock FROM skus k";

fn product(r: &AnyRow) -> StoreResult<ProductRecord> {
    Ok(ProductRecord {
        id: id(r, "id")?,
        org_id: id(r, "org_id")?,
        name: text(r, "name")?,
        description: text(r, "description")?,
        category: text(r, "category")?,
        circle_id: opt_id(r, "circle_id")?,
        kind: ProductKind::parse(&text(r, "kind")?).map_err(|e| rows::corrupt("kind", e))?,
        images: Vec::new(),
        published: flag(r, "published")?,
        created_at: ts(r, "created_at")?,
        updated_at: ts(r, "updated_at")?,
        skus: Vec::new(),
    })
}

pub(super) fn currency(r: &AnyRow) -> StoreResult<Currency> {
    let raw = text(r, "currency")?;
    Currency::parse(&raw).map_err(|e| rows::corrupt("currency", e))
}

pub(super) fn sku(r: &AnyRow) -> StoreResult<SkuRecord> {
    Ok(SkuRecord {
        id: id(r, "id")?,
        product_id: id(r, "product_id")?,
        name: text(r, "name")?,
        price: Money::from_fen(int(r, "price_fen")?, currency(r)?),
        stock: int(r, "stock")?,
    })
}

impl SqlStore {
    /// Fills each product's live SKUs, in their order, with one query (and its
    /// pictures with another).
    async fn with_skus(&self, items: Vec<ProductRecord>) -> StoreResult<Vec<ProductRecord>> {
        if items.is_empty() {
            return Ok(items);
        }
        let mut items = self.with_images(items).await?;
        let sql = format!(
            "SELECT {SKU_COLS} WHERE k.retired = 0 AND k.product_id IN {} ORDER BY k.product_id, k.position",
            placeholders(1, items.len())
        );
        let mut q = sqlx::query(&sql);
        for p in &items {
            q = q.bind(p.id.to_string());
        }
        for s in self.fetch_all(q).await?.iter().map(sku) {
            let s = s?;
            if let Some(p) = items.iter_mut().find(|p| p.id == s.product_id) {
                p.skus.push(s);
            }
        }
        Ok(items)
    }

    pub(super) async fn catalog_insert(
        &self,
        p: &ProductRecord,
        event: &EventRecord,
    ) -> StoreResult<()> {
        let mut tx = self.begin().await?;
        exec(
            &mut tx,
            sqlx::query(
                "INSERT INTO products (id, org_id, name, description, category, circle_id, published, created_at, updated_at, kind) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
            )
            .bind(p.id.to_string())
            .bind(p.org_id.to_string())
            .bind(p.name.clone())
            .bind(p.description.clone())
            .bind(p.category.clone())
            .bind(p.circle_id.map(|c| c.to_string()))
            .bind(i64::from(p.published))
            .bind(p.created_at.millis())
            .bind(p.updated_at.millis())
            .bind(p.kind.as_str()),
        )
        .await?;
        for (i, s) in p.skus.iter().enumerate() {
            exec(&mut tx, sku_upsert(p, s, i, s.stock)).await?;
        }
        Self::insert_event(&mut tx, event).await?;
        tx.commit().await.map_err(backend)
    }

    pub(super) async fn catalog_update(
        &self,
        p: &ProductRecord,
        before: &ProductRecord,
        event: &EventRecord,
    ) -> StoreResult<bool> {
        let mut tx = self.begin().await?;
        let n = exec(
            &mut tx,
            sqlx::query(
                "UPDATE products SET name = $3, description = $4, category = $5, circle_id = $6, published = $7, updated_at = $8, kind = $9 \
                 WHERE id = $1 AND org_id = $2",
            )
            .bind(p.id.to_string())
            .bind(p.org_id.to_string())
            .bind(p.name.clone())
            .bind(p.description.clone())
            .bind(p.category.clone())
            .bind(p.circle_id.map(|c| c.to_string()))
            .bind(i64::from(p.published))
            .bind(p.updated_at.millis())
            .bind(p.kind.as_str()),
        )
        .await?;
        if n == 0 {
            return Ok(false);
        }
        let mut kept = Vec::new();
        // In SKU id order, as orders take stock, so the two never deadlock.
        let mut by_id: Vec<(usize, &SkuRecord)> = p.skus.iter().enumerate().collect();
        by_id.sort_by_key(|(_, s)| s.id);
        for (i, s) in by_id {
            // What the editor changed: orders reserved since they loaded it stay.
            let delta = before
                .skus
                .iter()
                .find(|b| b.id == s.id)
                .map_or(s.stock, |b| s.stock - b.stock);
            exec(&mut tx, sku_upsert(p, s, i, delta)).await?;
            kept.push(s.id.to_string());
        }
        let sql = format!(
            "UPDATE skus SET retired = 1 WHERE product_id = $1 AND id NOT IN {}",
            placeholders(2, kept.len())
        );
        let mut q = sqlx::query(&sql).bind(p.id.to_string());
        for k in kept {
            q = q.bind(k);
        }
        exec(&mut tx, q).await?;
        Self::insert_event(&mut tx, event).await?;
        tx.commit().await.map_err(backend)?;
        Ok(true)
    }

    pub(super) async fn catalog_get(
        &self,
        org: OrgId,
        pid: ProductId,
    ) -> StoreResult<Option<ProductRecord>> {
        let sql = format!("SELECT {PRODUCT_COLS} WHERE p.id = $1 AND p.org_id = $2");
        let Some(r) = self
            .fetch_opt(
                sqlx::query(&sql)
                    .bind(pid.to_string())
                    .bind(org.to_string()),
            )
            .await?
        else {
            return Ok(None);
        };
        Ok(self.with_skus(vec![product(&r)?]).await?.pop())
    }

    pub(super) async fn catalog_list(
        &self,
        org: OrgId,
        published_only: bool,
        page: &PageRequest,
    ) -> StoreResult<Page<ProductRecord>> {
        let mut sql = format!("SELECT {PRODUCT_COLS} WHERE p.org_id = $1");
        if published_only {
            sql.push_str(" AND p.published <> 0");
        }
        let mut out = self
            .keyset_page(
                &sql,
                &[org.to_string()],
                ("p.id", true),
                page,
                product,
                |p| p.id.to_string(),
            )
            .await?;
        out.items = self.with_skus(out.items).await?;
        Ok(out)
    }

    pub(super) async fn catalog_joining(
        &self,
        org: OrgId,
        circle: CircleId,
    ) -> StoreResult<Vec<ProductRecord>> {
        let sql = format!(
            "SELECT {PRODUCT_COLS} WHERE p.org_id = $1 AND p.circle_id = $2 AND p.kind = 'membership' \
               AND p.published <> 0 ORDER BY p.id LIMIT 10"
        );
        let rows = self
            .fetch_all(
                sqlx::query(&sql)
                    .bind(org.to_string())
                    .bind(circle.to_string()),
            )
            .await?;
        let items = rows.iter().map(product).collect::<StoreResult<Vec<_>>>()?;
        self.with_skus(items).await
    }

    pub(super) async fn catalog_skus(
        &self,
        org: OrgId,
        skus: &[SkuId],
    ) -> StoreResult<Vec<OrderableSku>> {
        if skus.is_empty() {
            return Ok(Vec::new());
        }
        let sql = format!(
            "SELECT k.id, k.product_id, k.name, k.price_fen, k.currency, k.stock, p.name AS product_name, p.category, \
               CASE WHEN p.kind = 'membership' THEN p.circle_id END AS joins \
             FROM skus k JOIN products p ON p.id = k.product_id \
             WHERE k.org_id = $1 AND k.retired = 0 AND p.published <> 0 AND k.id IN {}",
            placeholders(2, skus.len())
        );
        let mut q = sqlx::query(&sql).bind(org.to_string());
        for s in skus {
            q = q.bind(s.to_string());
        }
        self.fetch_all(q)
            .await?
            .iter()
            .map(|r| {
                Ok(OrderableSku {
                    sku: sku(r)?,
                    product_name: text(r, "product_name")?,
                    category: text(r, "category")?,
                    joins: opt_id(r, "joins")?,
                })
            })
            .collect()
    }
}

/// Adds a SKU or updates it in place, moving its stock by `delta` (never below 0).
fn sku_upsert<'q>(
    p: &ProductRecord,
    s: &SkuRecord,
    position: usize,
    delta: i64,
) -> crate::store::AnyQuery<'q> {
    sqlx::query(
        "INSERT INTO skus (id, product_id, org_id, position, name, price_fen, currency, stock, retired) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 0) \
         ON CONFLICT (id) DO UPDATE SET position = $4, name = $5, price_fen = $6, retired = 0, \
           stock = CASE WHEN skus.stock + $9 < 0 THEN 0 ELSE skus.stock + $9 END",
    )
    .bind(s.id.to_string())
    .bind(p.id.to_string())
    .bind(p.org_id.to_string())
    .bind(i64::try_from(position).unwrap_or(i64::MAX))
    .bind(s.name.clone())
    .bind(s.price.fen())
    .bind(s.price.currency().as_str())
    .bind(delta.max(0))
    .bind(delta)
}
