//! Flash sales' rows: a sale set up with its stock taken from the SKU, a flash
//! order's stock and the buyer's allowance taken by guarded writes (the sale's row
//! first, then the buyer's, here and when giving back, so two transactions never
//! lock them in opposite orders), and the close that gives the rest to the SKU.

use super::catalog::currency;
use crate::connect::Backend;
use crate::jobs::insert_job;
use crate::moderation::exec;
use crate::queries::value_rows;
use crate::rows::{backend, flag, id, int, text, ts};
use crate::store::{SqlStore, Tx};
use quan_core::commerce::port::{FlashMade, FlashSaleRecord};
use quan_core::{EventRecord, NewJob, Page, PageRequest, StoreResult};
use quan_domain::{
    AccountId, FlashSaleId, FlashTerms, Money, OrderId, OrgId, ProductId, Timestamp,
};
use sqlx::any::AnyRow;

const FLASH_COLS: &str = "f.id, f.org_id, f.product_id, f.sku_id, f.starts_at, f.ends_at, f.price_fen, \
     f.currency, f.stock, f.per_person, f.remaining, f.closed, f.created_at, \
     p.name AS product_name, s.name AS sku_name, s.price_fen AS list_fen \
     FROM flash_sales f JOIN products p ON p.id = f.product_id JOIN skus s ON s.id = f.sku_id";

fn sale(r: &AnyRow) -> StoreResult<FlashSaleRecord> {
    let cur = currency(r)?;
    Ok(FlashSaleRecord {
        id: id(r, "id")?,
        org_id: id(r, "org_id")?,
        product_id: id(r, "product_id")?,
        sku_id: id(r, "sku_id")?,
        // Checked when the sale was made; read back as stored.
        terms: FlashTerms {
            starts_at: ts(r, "starts_at")?,
            ends_at: ts(r, "ends_at")?,
            price: Money::from_fen(int(r, "price_fen")?, cur),
            stock: int(r, "stock")?,
            per_person: int(r, "per_person")?,
        },
        remaining: int(r, "remaining")?,
        closed: flag(r, "closed")?,
        created_at: ts(r, "created_at")?,
        product_name: text(r, "product_name")?,
        sku_name: text(r, "sku_name")?,
        list_price: Money::from_fen(int(r, "list_fen")?, cur),
    })
}

/// Takes `$1` units of sale `$2` while it is open, has them, and its product is on
/// the shelf (published, the SKU not retired).
const TAKE_UNITS: &str = "UPDATE flash_sales SET remaining = remaining - $1 WHERE id = $2 AND closed = 0 AND remaining >= $1 \
     AND EXISTS (SELECT 1 FROM skus s JOIN products p ON p.id = s.product_id \
                 WHERE s.id = flash_sales.sku_id AND s.retired = 0 AND p.published <> 0)";

/// [`take_flash`] for many orders at once (a group's): each sale's units in one
/// guarded decrement, every buyer's allowance in one statement. True when all
/// were taken; false when any one would be refused (a sale short, a buyer at
/// their limit, a buyer twice): the caller rolls back and takes them one by one.
pub(super) async fn take_flash_many(
    tx: &mut Tx,
    engine: Backend,
    takes: &[(FlashSaleId, AccountId, i64)],
) -> StoreResult<bool> {
    if takes.is_empty() {
        // Every order of the group was a replay.
        return Ok(true);
    }
    let mut sales: Vec<(FlashSaleId, i64)> = Vec::new();
    for &(sale, _, q) in takes {
        match sales.iter_mut().find(|s| s.0 == sale) {
            Some(s) => s.1 += q,
            None => sales.push((sale, q)),
        }
    }
    let mut buyers: Vec<(FlashSaleId, AccountId)> = takes.iter().map(|t| (t.0, t.1)).collect();
    buyers.sort_unstable();
    buyers.dedup();
    if buyers.len() < takes.len() {
        // One row moved twice in a statement: PostgreSQL refuses it outright.
        return Ok(false);
    }
    // The sales' rows first, then the buyers', as one order at a time takes them.
    sales.sort_unstable();
    for (sale, q) in sales {
        if exec(tx, sqlx::query(TAKE_UNITS).bind(q).bind(sale.to_string())).await? == 0 {
            return Ok(false);
        }
    }
    let sql = format!(
        "INSERT INTO flash_buyers (sale_id, buyer_id, bought) VALUES {} \
         ON CONFLICT (sale_id, buyer_id) DO UPDATE SET bought = flash_buyers.bought + excluded.bought \
         WHERE flash_buyers.bought + excluded.bought <= (SELECT per_person FROM flash_sales WHERE id = excluded.sale_id)",
        value_rows(engine, takes.len(), 3)
    );
    let mut q = sqlx::query(&sql);
    for (sale, buyer, n) in takes {
        q = q.bind(sale.to_string()).bind(buyer.to_string()).bind(*n);
    }
    Ok(exec(tx, q).await? == u64::try_from(takes.len()).unwrap_or(u64::MAX))
}

/// Takes `q` units of an open sale and `q` of the buyer's allowance, or nothing:
/// `Err(false)` when the sale has not that many left (or its product is off the
/// shelf: unpublished, or the SKU retired), `Err(true)` when the buyer
/// would pass the per-person limit.
pub(super) async fn take_flash(
    tx: &mut Tx,
    sale: FlashSaleId,
    buyer: AccountId,
    q: i64,
) -> StoreResult<Result<(), bool>> {
    let taken = exec(tx, sqlx::query(TAKE_UNITS).bind(q).bind(sale.to_string())).await?;
    if taken == 0 {
        return Ok(Err(false));
    }
    // One row per buyer and sale, moved only while it stays within the limit: two
    // orders of one buyer at once both pass this row, one after the other.
    let allowed = exec(
        tx,
        sqlx::query(
            "INSERT INTO flash_buyers (sale_id, buyer_id, bought) VALUES ($1, $2, $3) \
             ON CONFLICT (sale_id, buyer_id) DO UPDATE SET bought = flash_buyers.bought + excluded.bought \
             WHERE flash_buyers.bought + excluded.bought <= (SELECT per_person FROM flash_sales WHERE id = $1)",
        )
        .bind(sale.to_string())
        .bind(buyer.to_string())
        .bind(q),
    )
    .await?;
    if allowed == 0 {
        // Given back here, so a caller whose transaction goes on (a late payment
        // that will be refunded instead) keeps the sale whole.
        exec(
            tx,
            sqlx::query("UPDATE flash_sales SET remaining = remaining + $1 WHERE id = $2")
                .bind(q)
                .bind(sale.to_string()),
        )
        .await?;
        return Ok(Err(true));
    }
    Ok(Ok(()))
}

/// Gives a lapsed flash order's unit back: to its sale while the sale is open
/// (with the buyer's allowance), else to the SKU's shelf. False when the order is
/// not a flash order (the caller gives its lines back the ordinary way).
pub(super) async fn give_back_flash(tx: &mut Tx, order: OrderId) -> StoreResult<bool> {
    let Some(r) = sqlx::query(
        "SELECT o.flash_sale_id, o.buyer_id, l.sku_id, l.quantity AS q FROM orders o \
         JOIN order_lines l ON l.order_id = o.id WHERE o.id = $1 AND o.flash_sale_id IS NOT NULL",
    )
    .bind(order.to_string())
    .fetch_optional(&mut **tx)
    .await
    .map_err(backend)?
    else {
        return Ok(false);
    };
    let (sale, q) = (text(&r, "flash_sale_id")?, int(&r, "q")?);
    let to_sale = exec(
        tx,
        sqlx::query(
            "UPDATE flash_sales SET remaining = remaining + $1 WHERE id = $2 AND closed = 0",
        )
        .bind(q)
        .bind(sale.clone()),
    )
    .await?;
    if to_sale == 0 {
        exec(
            tx,
            sqlx::query("UPDATE skus SET stock = stock + $1 WHERE id = $2")
                .bind(q)
                .bind(text(&r, "sku_id")?),
        )
        .await?;
    }
    exec(
        tx,
        sqlx::query(
            "UPDATE flash_buyers SET bought = bought - $1 WHERE sale_id = $2 AND buyer_id = $3 AND bought >= $1",
        )
        .bind(q)
        .bind(sale)
        .bind(text(&r, "buyer_id")?),
    )
    .await?;
    Ok(true)
}

impl SqlStore {
    pub(super) async fn flash_sale_insert(
        &self,
        f: &FlashSaleRecord,
        close: &NewJob,
        event: &EventRecord,
    ) -> StoreResult<FlashMade> {
        let mut tx = self.begin().await?;
        let taken = exec(
            &mut tx,
            sqlx::query(
                "UPDATE skus SET stock = stock - $1 WHERE id = $2 AND org_id = $3 AND product_id = $4 \
                   AND retired = 0 AND stock >= $1",
            )
            .bind(f.terms.stock)
            .bind(f.sku_id.to_string())
            .bind(f.org_id.to_string())
            .bind(f.product_id.to_string()),
        )
        .await?;
        if taken == 0 {
            return Ok(FlashMade::StockShort);
        }
        // Read after the SKU's row is taken: two set-ups of one SKU at once see
        // each other's sale (PostgreSQL's row lock, SQLite's one writer).
        let overlapping = sqlx::query(
            "SELECT COUNT(*) AS n FROM flash_sales \
             WHERE sku_id = $1 AND closed = 0 AND starts_at < $2 AND ends_at > $3",
        )
        .bind(f.sku_id.to_string())
        .bind(f.terms.ends_at.millis())
        .bind(f.terms.starts_at.millis())
        .fetch_one(&mut *tx)
        .await
        .map_err(backend)?;
        if int(&overlapping, "n")? > 0 {
            return Ok(FlashMade::Overlaps);
        }
        exec(
            &mut tx,
            sqlx::query(
                "INSERT INTO flash_sales (id, org_id, product_id, sku_id, starts_at, ends_at, price_fen, currency, \
                   stock, per_person, remaining, closed, created_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $9, 0, $11)",
            )
            .bind(f.id.to_string())
            .bind(f.org_id.to_string())
            .bind(f.product_id.to_string())
            .bind(f.sku_id.to_string())
            .bind(f.terms.starts_at.millis())
            .bind(f.terms.ends_at.millis())
            .bind(f.terms.price.fen())
            .bind(f.terms.price.currency().as_str())
            .bind(f.terms.stock)
            .bind(f.terms.per_person)
            .bind(f.created_at.millis()),
        )
        .await?;
        insert_job(&mut tx, close).await?;
        Self::insert_event(&mut tx, event).await?;
        tx.commit().await.map_err(backend)?;
        Ok(FlashMade::Made)
    }

    pub(super) async fn flash_sale_get(
        &self,
        fid: FlashSaleId,
    ) -> StoreResult<Option<FlashSaleRecord>> {
        let sql = format!("SELECT {FLASH_COLS} WHERE f.id = $1");
        self.fetch_opt(sqlx::query(&sql).bind(fid.to_string()))
            .await?
            .map(|r| sale(&r))
            .transpose()
    }

    pub(super) async fn flash_sale_buyers(&self, fid: FlashSaleId) -> StoreResult<Vec<AccountId>> {
        let q = sqlx::query("SELECT buyer_id FROM flash_buyers WHERE sale_id = $1")
            .bind(fid.to_string());
        self.fetch_all(q)
            .await?
            .iter()
            .map(|r| id(r, "buyer_id"))
            .collect()
    }

    pub(super) async fn flash_sale_bought(
        &self,
        fid: FlashSaleId,
        buyer: AccountId,
    ) -> StoreResult<i64> {
        let q = sqlx::query("SELECT bought FROM flash_buyers WHERE sale_id = $1 AND buyer_id = $2")
            .bind(fid.to_string())
            .bind(buyer.to_string());
        self.fetch_opt(q)
            .await?
            .map_or(Ok(0), |r| int(&r, "bought"))
    }

    pub(super) async fn flash_sales_of_org(
        &self,
        org: OrgId,
        page: &PageRequest,
    ) -> StoreResult<Page<FlashSaleRecord>> {
        let sql = format!("SELECT {FLASH_COLS} WHERE f.org_id = $1");
        self.keyset_page(&sql, &[org.to_string()], ("f.id", true), page, sale, |f| {
            f.id.to_string()
        })
        .await
    }

    pub(super) async fn flash_sales_open(
        &self,
        (org, product): (OrgId, Option<ProductId>),
        now: Timestamp,
        limit: i64,
    ) -> StoreResult<Vec<FlashSaleRecord>> {
        // One product's (its page) by `flash_sales_product_idx`; the shop's by org.
        let one = if product.is_some() {
            "AND f.product_id = $4"
        } else {
            ""
        };
        let sql = format!(
            "SELECT {FLASH_COLS} WHERE f.org_id = $1 AND f.closed = 0 AND f.ends_at > $2 {one} \
               AND p.published <> 0 AND s.retired = 0 \
             ORDER BY f.starts_at, f.id LIMIT $3"
        );
        let mut q = sqlx::query(&sql)
            .bind(org.to_string())
            .bind(now.millis())
            .bind(limit);
        if let Some(p) = product {
            q = q.bind(p.to_string());
        }
        self.fetch_all(q).await?.iter().map(sale).collect()
    }

    pub(super) async fn flash_sale_close(
        &self,
        fid: FlashSaleId,
        event: &EventRecord,
    ) -> StoreResult<Option<i64>> {
        let mut tx = self.begin().await?;
        // Closing first locks the row: an order lapsing now waits, then finds the
        // sale closed and gives its unit to the SKU instead.
        let closed = exec(
            &mut tx,
            sqlx::query("UPDATE flash_sales SET closed = 1 WHERE id = $1 AND closed = 0")
                .bind(fid.to_string()),
        )
        .await?;
        if closed == 0 {
            return Ok(None);
        }
        let r = sqlx::query("SELECT sku_id, remaining FROM flash_sales WHERE id = $1")
            .bind(fid.to_string())
            .fetch_one(&mut *tx)
            .await
            .map_err(backend)?;
        let left = int(&r, "remaining")?;
        exec(
            &mut tx,
            sqlx::query("UPDATE skus SET stock = stock + $1 WHERE id = $2")
                .bind(left)
                .bind(text(&r, "sku_id")?),
        )
        .await?;
        // `remaining` stays as it was: on a closed sale it says how many went back,
        // and `closed` alone keeps anything from taking or giving them again.
        Self::insert_event(&mut tx, event).await?;
        tx.commit().await.map_err(backend)?;
        Ok(Some(left))
    }
}
