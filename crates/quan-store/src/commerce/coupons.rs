//! `CouponStore` for `SqlStore`: coupons, claims in wallets and the stacking
//! matrix. A claim takes its key first (a concurrent twin waits for it), then one
//! from the coupon's supply by a guarded increment, then one of the person's
//! allowance by a guarded upsert — always in that order, so two claims never lock
//! the rows in opposite orders — and is rolled back whole when either says no.

use crate::moderation::exec;
use crate::rows::{self, backend, flag, id, int, opt_id, opt_int, opt_ts, text, ts};
use crate::store::SqlStore;
use async_trait::async_trait;
use quan_core::commerce::port::{ClaimOutcome, ClaimRecord, CouponRecord, CouponStore};
use quan_core::{EventRecord, Page, PageRequest, StoreResult};
use quan_domain::{
    AccountId, CouponClaimId, CouponId, CouponKind, CouponScope, CouponTerms, OrgId, ProductId,
    Timestamp, Validity,
};
use sqlx::any::AnyRow;

/// A coupon's columns (aliased where a claim's would clash); `used` is NULL: counted
/// only for the console's list ([`COUPON_COLS_USED`]), never on a buyer's path.
const COUPON_COLS: &str = "c.id AS coupon_id, c.org_id AS coupon_org, c.name, c.kind, c.off_fen, \
     c.percent, c.cap_fen, c.min_spend_fen, c.scope, c.scope_items, c.valid_from AS c_from, \
     c.valid_until AS c_until, c.valid_days, c.supply, c.claimed, c.per_person, c.ended, \
     c.created_at AS c_created, CAST(NULL AS BIGINT) AS used";

/// [`COUPON_COLS`] with how many claims are spent on an order (by
/// `coupon_claims_spent_idx`).
const COUPON_COLS_USED: &str = "c.id AS coupon_id, c.org_id AS coupon_org, c.name, c.kind, c.off_fen, \
     c.percent, c.cap_fen, c.min_spend_fen, c.scope, c.scope_items, c.valid_from AS c_from, \
     c.valid_until AS c_until, c.valid_days, c.supply, c.claimed, c.per_person, c.ended, \
     c.created_at AS c_created, \
     (SELECT COUNT(*) FROM coupon_claims u WHERE u.coupon_id = c.id AND u.order_id IS NOT NULL) AS used";

const CLAIM_COLS: &str = "cl.id AS claim_id, cl.org_id AS claim_org, cl.account_id, \
     cl.idempotency_key, cl.claimed_at, cl.valid_from, cl.valid_until, cl.order_id";

fn corrupt(col: &str) -> quan_core::StoreError {
    rows::corrupt(col, format!("a coupon's {col} as stored cannot be read"))
}

fn need(r: &AnyRow, col: &str) -> StoreResult<i64> {
    opt_int(r, col)?.ok_or_else(|| corrupt(col))
}

fn coupon(r: &AnyRow) -> StoreResult<CouponRecord> {
    let kind = match text(r, "kind")?.as_str() {
        "fixed" => CouponKind::Fixed {
            off: need(r, "off_fen")?,
        },
        "percent" => CouponKind::Percent {
            percent: need(r, "percent")?,
            cap: opt_int(r, "cap_fen")?,
        },
        "threshold" => CouponKind::Threshold {
            min_spend: need(r, "min_spend_fen")?,
            off: need(r, "off_fen")?,
        },
        _ => return Err(corrupt("kind")),
    };
    let items = text(r, "scope_items")?;
    let items = items.lines().filter(|l| !l.is_empty());
    let scope = match text(r, "scope")?.as_str() {
        "all" => CouponScope::All,
        "categories" => CouponScope::Categories(items.map(str::to_owned).collect()),
        "products" => CouponScope::Products(
            items
                .map(|p| p.parse::<ProductId>().map_err(|_| corrupt("scope_items")))
                .collect::<StoreResult<_>>()?,
        ),
        _ => return Err(corrupt("scope")),
    };
    let validity = match (opt_ts(r, "c_from")?, opt_ts(r, "c_until")?) {
        (Some(from), Some(until)) => Validity::Dates { from, until },
        _ => Validity::DaysAfterClaim(need(r, "valid_days")?),
    };
    Ok(CouponRecord {
        id: id(r, "coupon_id")?,
        org_id: id(r, "coupon_org")?,
        // Checked when the coupon was made; read back as stored.
        terms: CouponTerms {
            name: text(r, "name")?,
            kind,
            scope,
            validity,
            supply: int(r, "supply")?,
            per_person: int(r, "per_person")?,
        },
        claimed: int(r, "claimed")?,
        used: opt_int(r, "used")?,
        ended: flag(r, "ended")?,
        created_at: ts(r, "c_created")?,
    })
}

fn claim(r: &AnyRow) -> StoreResult<ClaimRecord> {
    Ok(ClaimRecord {
        id: id(r, "claim_id")?,
        coupon_id: id(r, "coupon_id")?,
        org_id: id(r, "claim_org")?,
        account: id(r, "account_id")?,
        idempotency_key: text(r, "idempotency_key")?,
        claimed_at: ts(r, "claimed_at")?,
        valid_from: ts(r, "valid_from")?,
        valid_until: ts(r, "valid_until")?,
        order_id: opt_id(r, "order_id")?,
    })
}

fn claim_and_coupon(r: &AnyRow) -> StoreResult<(ClaimRecord, CouponRecord)> {
    Ok((claim(r)?, coupon(r)?))
}

fn scope_items(s: &CouponScope) -> String {
    match s {
        CouponScope::All => String::new(),
        CouponScope::Categories(c) => c.join("\n"),
        CouponScope::Products(p) => p
            .iter()
            .map(ToString::to_string)
            .collect::<Vec<_>>()
            .join("\n"),
    }
}

#[async_trait]
impl CouponStore for SqlStore {
    async fn coupon_insert(&self, c: &CouponRecord, event: &EventRecord) -> StoreResult<()> {
        let t = &c.terms;
        let (off, percent, cap, min_spend) = t.kind.amounts();
        let (from, until, days) = t.validity.parts();
        let (from, until) = (from.map(Timestamp::millis), until.map(Timestamp::millis));
        let mut tx = self.begin().await?;
        exec(
            &mut tx,
            sqlx::query(
                "INSERT INTO coupons (id, org_id, name, kind, off_fen, percent, cap_fen, min_spend_fen, scope, \
                   scope_items, valid_from, valid_until, valid_days, supply, claimed, per_person, ended, created_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, 0, $15, 0, $16)",
            )
            .bind(c.id.to_string())
            .bind(c.org_id.to_string())
            .bind(t.name.clone())
            .bind(t.kind.as_str())
            .bind(off)
            .bind(percent)
            .bind(cap)
            .bind(min_spend)
            .bind(t.scope.as_str())
            .bind(scope_items(&t.scope))
            .bind(from)
            .bind(until)
            .bind(days)
            .bind(t.supply)
            .bind(t.per_person)
            .bind(c.created_at.millis()),
        )
        .await?;
        Self::insert_event(&mut tx, event).await?;
        tx.commit().await.map_err(backend)
    }

    async fn coupon_get(&self, org: OrgId, cid: CouponId) -> StoreResult<Option<CouponRecord>> {
        let sql = format!("SELECT {COUPON_COLS} FROM coupons c WHERE c.id = $1 AND c.org_id = $2");
        self.fetch_opt(
            sqlx::query(&sql)
                .bind(cid.to_string())
                .bind(org.to_string()),
        )
        .await?
        .map(|r| coupon(&r))
        .transpose()
    }

    async fn coupons_of_org(
        &self,
        org: OrgId,
        page: &PageRequest,
    ) -> StoreResult<Page<CouponRecord>> {
        let sql = format!("SELECT {COUPON_COLS_USED} FROM coupons c WHERE c.org_id = $1");
        self.keyset_page(
            &sql,
            &[org.to_string()],
            ("c.id", true),
            page,
            coupon,
            |c| c.id.to_string(),
        )
        .await
    }

    async fn coupons_offered(
        &self,
        org: OrgId,
        now: Timestamp,
        limit: i64,
    ) -> StoreResult<Vec<CouponRecord>> {
        let sql = format!(
            "SELECT {COUPON_COLS} FROM coupons c WHERE c.org_id = $1 AND c.ended = 0 \
               AND (c.valid_until IS NULL OR c.valid_until > $2) ORDER BY c.id DESC LIMIT $3"
        );
        let q = sqlx::query(&sql)
            .bind(org.to_string())
            .bind(now.millis())
            .bind(limit);
        self.fetch_all(q).await?.iter().map(coupon).collect()
    }

    async fn coupon_end(
        &self,
        org: OrgId,
        cid: CouponId,
        event: &EventRecord,
    ) -> StoreResult<bool> {
        let mut tx = self.begin().await?;
        let n = exec(
            &mut tx,
            sqlx::query("UPDATE coupons SET ended = 1 WHERE id = $1 AND org_id = $2 AND ended = 0")
                .bind(cid.to_string())
                .bind(org.to_string()),
        )
        .await?;
        if n == 0 {
            return Ok(false);
        }
        Self::insert_event(&mut tx, event).await?;
        tx.commit().await.map_err(backend)?;
        Ok(true)
    }

    async fn coupon_claim(
        &self,
        c: &ClaimRecord,
        now: Timestamp,
        event: &EventRecord,
    ) -> StoreResult<ClaimOutcome> {
        let mut tx = self.begin().await?;
        let fresh = exec(
            &mut tx,
            sqlx::query(
                "INSERT INTO coupon_claims (id, coupon_id, org_id, account_id, idempotency_key, claimed_at, \
                   valid_from, valid_until, order_id) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, NULL) \
                 ON CONFLICT (account_id, idempotency_key) DO NOTHING",
            )
            .bind(c.id.to_string())
            .bind(c.coupon_id.to_string())
            .bind(c.org_id.to_string())
            .bind(c.account.to_string())
            .bind(c.idempotency_key.clone())
            .bind(c.claimed_at.millis())
            .bind(c.valid_from.millis())
            .bind(c.valid_until.millis()),
        )
        .await?;
        if fresh == 0 {
            drop(tx);
            let sql = format!(
                "SELECT {CLAIM_COLS}, {COUPON_COLS} FROM coupon_claims cl JOIN coupons c ON c.id = cl.coupon_id \
                 WHERE cl.account_id = $1 AND cl.idempotency_key = $2"
            );
            let r = self
                .fetch_opt(
                    sqlx::query(&sql)
                        .bind(c.account.to_string())
                        .bind(c.idempotency_key.clone()),
                )
                .await?
                .ok_or(quan_core::StoreError::NotFound)?;
            return Ok(ClaimOutcome::Replayed(claim(&r)?));
        }
        let taken = exec(
            &mut tx,
            sqlx::query(
                "UPDATE coupons SET claimed = claimed + 1 WHERE id = $1 AND org_id = $2 AND ended = 0 \
                   AND claimed < supply AND (valid_until IS NULL OR valid_until > $3)",
            )
            .bind(c.coupon_id.to_string())
            .bind(c.org_id.to_string())
            .bind(now.millis()),
        )
        .await?;
        if taken == 0 {
            return Ok(ClaimOutcome::SoldOut);
        }
        let allowed = exec(
            &mut tx,
            sqlx::query(
                "INSERT INTO coupon_holders (coupon_id, account_id, claimed) VALUES ($1, $2, 1) \
                 ON CONFLICT (coupon_id, account_id) DO UPDATE SET claimed = coupon_holders.claimed + 1 \
                 WHERE coupon_holders.claimed < (SELECT per_person FROM coupons WHERE id = $1)",
            )
            .bind(c.coupon_id.to_string())
            .bind(c.account.to_string()),
        )
        .await?;
        if allowed == 0 {
            return Ok(ClaimOutcome::OverLimit);
        }
        Self::insert_event(&mut tx, event).await?;
        tx.commit().await.map_err(backend)?;
        Ok(ClaimOutcome::Claimed(c.clone()))
    }

    async fn claim_get(
        &self,
        account: AccountId,
        cid: CouponClaimId,
    ) -> StoreResult<Option<(ClaimRecord, CouponRecord)>> {
        let sql = format!(
            "SELECT {CLAIM_COLS}, {COUPON_COLS} FROM coupon_claims cl JOIN coupons c ON c.id = cl.coupon_id \
             WHERE cl.id = $1 AND cl.account_id = $2"
        );
        self.fetch_opt(
            sqlx::query(&sql)
                .bind(cid.to_string())
                .bind(account.to_string()),
        )
        .await?
        .map(|r| claim_and_coupon(&r))
        .transpose()
    }

    async fn wallet_usable(
        &self,
        account: AccountId,
        org: OrgId,
        now: Timestamp,
        limit: i64,
    ) -> StoreResult<Vec<(ClaimRecord, CouponRecord)>> {
        let sql = format!(
            "SELECT {CLAIM_COLS}, {COUPON_COLS} FROM coupon_claims cl JOIN coupons c ON c.id = cl.coupon_id \
             WHERE cl.account_id = $1 AND cl.org_id = $2 AND cl.order_id IS NULL \
               AND cl.valid_from <= $3 AND cl.valid_until > $3 \
             ORDER BY cl.valid_until, cl.id LIMIT $4"
        );
        let q = sqlx::query(&sql)
            .bind(account.to_string())
            .bind(org.to_string())
            .bind(now.millis())
            .bind(limit);
        self.fetch_all(q)
            .await?
            .iter()
            .map(claim_and_coupon)
            .collect()
    }

    async fn wallet(
        &self,
        account: AccountId,
        org: Option<OrgId>,
        page: &PageRequest,
    ) -> StoreResult<Page<(ClaimRecord, CouponRecord)>> {
        let mut binds = vec![account.to_string()];
        let mut sql = format!(
            "SELECT {CLAIM_COLS}, {COUPON_COLS} FROM coupon_claims cl JOIN coupons c ON c.id = cl.coupon_id \
             WHERE cl.account_id = $1"
        );
        if let Some(org) = org {
            sql.push_str(" AND cl.org_id = $2");
            binds.push(org.to_string());
        }
        self.keyset_page(
            &sql,
            &binds,
            ("cl.id", true),
            page,
            claim_and_coupon,
            |(cl, _)| cl.id.to_string(),
        )
        .await
    }

    async fn stacking_get(&self, org: OrgId) -> StoreResult<Option<(String, String)>> {
        self.fetch_opt(
            sqlx::query("SELECT layer_order, combine FROM commerce_stacking WHERE org_id = $1")
                .bind(org.to_string()),
        )
        .await?
        .map(|r| Ok((text(&r, "layer_order")?, text(&r, "combine")?)))
        .transpose()
    }

    async fn stacking_set(
        &self,
        org: OrgId,
        (order, combine): (&str, &str),
        event: &EventRecord,
    ) -> StoreResult<()> {
        let mut tx = self.begin().await?;
        exec(
            &mut tx,
            sqlx::query(
                "INSERT INTO commerce_stacking (org_id, layer_order, combine, updated_at) VALUES ($1, $2, $3, $4) \
                 ON CONFLICT (org_id) DO UPDATE SET layer_order = $2, combine = $3, updated_at = $4",
            )
            .bind(org.to_string())
            .bind(order.to_owned())
            .bind(combine.to_owned())
            .bind(event.at.millis()),
        )
        .await?;
        Self::insert_event(&mut tx, event).await?;
        tx.commit().await.map_err(backend)
    }
}
