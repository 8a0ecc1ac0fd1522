//! `checkout`: members check out for real, one after another on 64 connections:
//! claim a coupon, read the price preview with it, place the order (stock
//! reserved, the coupon spent), open the payment, open the sandbox provider's pay
//! page and pay there; the provider's signed webhook then confirms each order
//! through the job queue. Measured per engine: checkouts/s and p50/p99 of a whole
//! checkout (six requests), then how long until every order is paid, and that
//! each was charged what its preview said.

use crate::flash::{Shop, nodes, org_orders, post};
use crate::seeded::PgDb;
use crate::{cores, round};
use anyhow::{Context, bail};
use serde_json::{Value, json};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

/// One connection's buyers, one after another, until the run's time is up.
struct Tally {
    lat: Vec<u32>,
    /// (order id, the preview's total) of each checkout that paid.
    paid: Vec<(String, i64)>,
    errors: u64,
}

/// The sandbox's pay page for `path`: its CSRF field, with the browser cookie it
/// goes with (set on the first visit, kept after).
async fn pay_page(c: &reqwest::Client, url: &str, cookies: &mut String) -> anyhow::Result<String> {
    let r = c.get(url).header("cookie", cookies.as_str()).send().await?;
    for v in r.headers().get_all("set-cookie") {
        if let Some(kv) = v
            .to_str()
            .ok()
            .and_then(|v| v.split(';').next())
            .filter(|kv| kv.starts_with("quan_csrf="))
        {
            cookies.push_str("; ");
            cookies.push_str(kv);
        }
    }
    let html = r.text().await?;
    html.split("name=\"csrf\" value=\"")
        .nth(1)
        .and_then(|s| s.split('"').next())
        .map(str::to_owned)
        .context("no csrf on the pay page")
}

/// One whole checkout for the buyer with session `secret`; the order and its
/// previewed total.
async fn one_checkout(
    c: &reqwest::Client,
    (base, shop, coupon): (&str, &Shop, &str),
    secret: &str,
    key: &str,
) -> anyhow::Result<(String, i64)> {
    let mut cookies = format!("quan_session={secret}");
    let org = &shop.org;
    let claim: Value = c
        .post(format!("{base}/api/v1/shops/{org}/coupons/{coupon}/claims"))
        .header("cookie", &cookies)
        .header("idempotency-key", key)
        .send()
        .await?
        .json()
        .await?;
    let claim = claim["id"].as_str().context("a claim")?.to_owned();
    let lines = json!([{"sku_id": shop.sku, "quantity": 1}]);
    let preview = post(
        c,
        &format!("{base}/api/v1/shops/{org}/orders/preview"),
        &cookies,
        json!({"lines": lines, "coupon_claim_id": claim}),
    )
    .await?;
    let total = preview["total_fen"].as_i64().context("a total")?;
    // Placed at the total the preview showed, as the checkout page does.
    let r = c
        .post(format!("{base}/api/v1/shops/{org}/orders"))
        .header("cookie", &cookies)
        .header("idempotency-key", key)
        .json(&json!({"lines": lines, "coupon_claim_id": claim, "expected_total_fen": total}))
        .send()
        .await?;
    let order: Value = r.json().await?;
    let id = order["id"].as_str().context("an order")?.to_owned();
    let pay = post(
        c,
        &format!("{base}/api/v1/me/orders/{id}/pay"),
        &cookies,
        json!({}),
    )
    .await?;
    let url = pay["pay_url"].as_str().context("a pay url")?.to_owned();
    let csrf = pay_page(c, &url, &mut cookies).await?;
    let r = c
        .post(&url)
        .header("cookie", &cookies)
        .form(&[("csrf", csrf.as_str()), ("outcome", "succeeded")])
        .send()
        .await?;
    if !r.status().is_redirection() {
        bail!("pay page: {}", r.status());
    }
    if order["total_fen"].as_i64() != Some(total) {
        bail!(
            "order {id} charged {} but previewed {total}",
            order["total_fen"]
        );
    }
    Ok((id, total))
}

async fn run_once(
    port: u16,
    shop: &Arc<Shop>,
    coupon: &str,
    crowd: &Arc<Vec<String>>,
    (conns, secs, run): (usize, u64, usize),
) -> anyhow::Result<(Tally, f64)> {
    let next = Arc::new(AtomicUsize::new(0));
    let t0 = Instant::now();
    let until = t0 + Duration::from_secs(secs);
    let mut tasks = Vec::new();
    for _ in 0..conns {
        let (next, crowd, shop, coupon) = (
            Arc::clone(&next),
            Arc::clone(crowd),
            Arc::clone(shop),
            coupon.to_owned(),
        );
        tasks.push(tokio::spawn(async move {
            let c = reqwest::Client::builder()
                .redirect(reqwest::redirect::Policy::none())
                .build()?;
            let base = format!("http://127.0.0.1:{port}");
            let mut t = Tally {
                lat: Vec::new(),
                paid: Vec::new(),
                errors: 0,
            };
            loop {
                let b = next.fetch_add(1, Ordering::Relaxed);
                if b >= crowd.len() || Instant::now() > until {
                    break;
                }
                let key = format!("co-{run}-{b}");
                let s = Instant::now();
                match one_checkout(&c, (&base, &shop, &coupon), &crowd[b], &key).await {
                    Ok(done) => {
                        t.lat
                            .push(u32::try_from(s.elapsed().as_micros()).unwrap_or(u32::MAX));
                        t.paid.push(done);
                    }
                    Err(e) => {
                        if t.errors < 3 {
                            eprintln!("checkout: {e:#}");
                        }
                        t.errors += 1;
                    }
                }
            }
            anyhow::Ok(t)
        }));
    }
    let mut all = Tally {
        lat: Vec::new(),
        paid: Vec::new(),
        errors: 0,
    };
    for t in tasks {
        let t = t.await??;
        all.lat.extend(t.lat);
        all.paid.extend(t.paid);
        all.errors += t.errors;
    }
    Ok((all, t0.elapsed().as_secs_f64()))
}

/// Waits (at most two minutes) until every order of `placed` is paid, as the
/// store says: the seconds it took, how many are paid, and how many were charged
/// other than their preview.
async fn settle(
    port: u16,
    shop: &Shop,
    placed: &[(String, i64)],
) -> anyhow::Result<(f64, usize, usize)> {
    let want: std::collections::HashMap<&str, i64> =
        placed.iter().map(|(id, t)| (id.as_str(), *t)).collect();
    let t0 = Instant::now();
    loop {
        let (mut paid, mut wrong) = (0, 0);
        for o in org_orders(port, shop).await? {
            let Some(total) = o["id"].as_str().and_then(|id| want.get(id)) else {
                continue;
            };
            if o["status"] == "paid" {
                paid += 1;
            }
            if o["total_fen"].as_i64() != Some(*total) {
                wrong += 1;
            }
        }
        let waited = t0.elapsed();
        if paid == placed.len() || waited > Duration::from_secs(120) {
            return Ok((waited.as_secs_f64(), paid, wrong));
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
}

/// One engine: a node with the crowd seeded, a shop with stock for every run and a
/// spend-and-save coupon each buyer may claim once per run; `runs` timed runs.
async fn on_backend(
    backend: &str,
    (conns, secs, runs): (usize, u64, usize),
    buyers: usize,
    pg: &str,
) -> anyhow::Result<Value> {
    let dir = tempfile::tempdir()?;
    let db = if backend == "postgres" {
        Some(PgDb::create(pg)?)
    } else {
        None
    };
    let env: Vec<(String, String)> = db
        .iter()
        .map(|d| ("QUAN__DATABASE__URL".to_owned(), d.url(pg)))
        .collect();
    let units = i64::try_from(buyers * runs)?;
    let (_procs, ports, crowd, shop) = nodes(&env, 1, buyers, units, dir.path()).await?;
    let port = ports[0];
    let coupon = post(
        &reqwest::Client::new(),
        &format!("http://127.0.0.1:{port}/api/v1/orgs/{}/coupons", shop.org),
        &shop.owner,
        json!({"name": "满30减5", "kind": "threshold", "min_spend_fen": 3000, "off_fen": 500,
               "scope": "all", "valid_days": 7, "supply": units, "per_person": runs.min(10)}),
    )
    .await?;
    let coupon = coupon["id"].as_str().context("coupon id")?.to_owned();
    let shop = Arc::new(shop);
    let mut measured = Vec::new();
    for run in 0..runs {
        let (t, wall) = run_once(port, &shop, &coupon, &crowd, (conns, secs, run)).await?;
        let (settle_s, paid, wrong) = settle(port, &shop, &t.paid).await?;
        let rate = t.paid.len() as f64 / wall;
        let (p50, p99) = crate::fanout::percentiles(t.lat);
        eprintln!(
            "{backend} run {}/{runs}: {rate:>7.1} checkouts/s  p50 {p50:.1} ms  p99 {p99:.1} ms  \
             {} placed, {paid} paid after {settle_s:.1} s, {wrong} charged other than previewed, {} errors",
            run + 1,
            t.paid.len(),
            t.errors
        );
        measured.push(json!({"checkouts": t.paid.len(), "checkouts_per_s": round(rate, 1),
            "p50_ms": round(p50, 1), "p99_ms": round(p99, 1), "paid": paid, "settle_s": round(settle_s, 1),
            "charged_other_than_previewed": wrong, "errors": t.errors}));
    }
    drop(db);
    measured.sort_by(|a, b| {
        a["checkouts_per_s"]
            .as_f64()
            .unwrap_or(0.0)
            .total_cmp(&b["checkouts_per_s"].as_f64().unwrap_or(0.0))
    });
    let med = measured[measured.len() / 2].clone();
    let exact = measured.iter().all(|m| {
        m["paid"] == m["checkouts"] && m["charged_other_than_previewed"] == 0 && m["errors"] == 0
    });
    Ok(json!({
        "backend": backend,
        "quan": {
            "orders_per_s": med["checkouts_per_s"],
            "p50_ms": med["p50_ms"],
            "p99_ms": med["p99_ms"],
            "settle_s": med["settle_s"],
        },
        "runs": measured,
        "ok": exact,
    }))
}

pub(crate) async fn checkout(
    conns: usize,
    secs: u64,
    runs: usize,
    buyers: usize,
    backends: &[&str],
    pg: &str,
) -> anyhow::Result<Value> {
    let mut results = Vec::new();
    for be in backends {
        results.push(on_backend(be, (conns, secs, runs), buyers, pg).await?);
    }
    Ok(json!({
        "scenario": "checkout",
        "results": results,
        "goal": "every checkout paid by the sandbox's signed webhook and charged what its preview said (no reference: \
                 a money path has no static twin); orders/s and p99 of the whole checkout reported per engine",
        "checkout": "claim coupon, price preview, place order (reserve), open payment, sandbox pay page, pay",
        "connections": conns,
        "seconds": secs,
        "runs": runs,
        "cores": cores(),
        "ok": results.iter().all(|r| r["ok"] == true),
    }))
}
