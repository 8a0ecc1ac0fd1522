//! `flash-sale`: a crowd of buyers (accounts with sessions, new to the shop) races for a
//! flash sale's stock over HTTP; every buyer tries once, having read the sale's
//! page just before it (as a crowd waiting for the countdown does), asking to be
//! answered once admitted (`Prefer: respond-async`); one more race is answered
//! only when each order is written. Measured: attempts/s, latency, when the last
//! order was in the store, and exactness (orders created = the stock, every run). Beside it, in
//! the same run: `api-read` on the same node (an authenticated JSON read, the
//! HTTP + auth ceiling), the stock gate alone in process against Redis running
//! the same Lua gate by EVALSHA, and the same race on two nodes sharing
//! PostgreSQL and the Redis gate.

use crate::seeded::{PgDb, run_seed, serve};
use crate::{Measure, Proc, Req, cores, drive_each, median, quan_binary, report_run, round};
use anyhow::{Context, bail};
use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::Request;
use hyper_util::rt::TokioIo;
use quan_core::StockGate;
use serde_json::{Value, json};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

/// Everything the race needs on one node (or two): who owns the shop and the SKU
/// the sales are cut from.
pub(crate) struct Shop {
    pub(crate) org: String,
    product: String,
    pub(crate) sku: String,
    /// The owner's session cookie (`quan_session=…`).
    pub(crate) owner: String,
}

/// The session cookie a response set.
fn session_of(r: &reqwest::Response) -> anyhow::Result<String> {
    r.headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|v| v.starts_with("quan_session="))
        .and_then(|v| v.split(';').next())
        .map(str::to_owned)
        .context("no session cookie")
}

pub(crate) async fn post(
    c: &reqwest::Client,
    url: &str,
    cookie: &str,
    body: Value,
) -> anyhow::Result<Value> {
    let r = c
        .post(url)
        .header("cookie", cookie)
        .json(&body)
        .send()
        .await?;
    let status = r.status();
    let v: Value = r.json().await?;
    if !status.is_success() {
        bail!("{url}: {status} {v}");
    }
    Ok(v)
}

/// An owner, an org and a product whose one SKU has room for every run's sale.
async fn open_shop(port: u16, units: i64) -> anyhow::Result<Shop> {
    let base = format!("http://127.0.0.1:{port}");
    let c = reqwest::Client::new();
    let r = c
        .post(format!("{base}/api/v1/accounts"))
        .json(&json!({"login": "flash-owner@quan.local", "password": "load-test-pass", "display_name": "茶铺 Owner"}))
        .send()
        .await?;
    if r.status().as_u16() != 201 {
        bail!("sign-up failed: {}", r.text().await?);
    }
    let owner = session_of(&r)?;
    let org = post(
        &c,
        &format!("{base}/api/v1/orgs"),
        &owner,
        json!({"name": "秒杀压测 Flash bench"}),
    )
    .await?;
    let org = org["id"].as_str().context("org id")?.to_owned();
    let p = post(
        &c,
        &format!("{base}/api/v1/orgs/{org}/products"),
        &owner,
        json!({"name": "明前龙井 Longjing", "published": true,
               "skus": [{"name": "100 g", "price_fen": 3800, "stock": units}]}),
    )
    .await?;
    Ok(Shop {
        org,
        product: p["id"].as_str().context("product id")?.to_owned(),
        sku: p["skus"][0]["id"].as_str().context("sku id")?.to_owned(),
        owner,
    })
}

/// A sale live now for two hours with `stock` units, one per person.
async fn open_sale(port: u16, shop: &Shop, stock: i64) -> anyhow::Result<String> {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)?
        .as_millis();
    let now = i64::try_from(now)?;
    let s = post(
        &reqwest::Client::new(),
        &format!("http://127.0.0.1:{port}/api/v1/orgs/{}/flash-sales", shop.org),
        &shop.owner,
        json!({"product_id": shop.product, "sku_id": shop.sku, "starts_at": now, "ends_at": now + 7_200_000,
               "price_fen": 990, "stock": stock, "per_person": 1}),
    )
    .await?;
    Ok(s["id"].as_str().context("sale id")?.to_owned())
}

/// What one race measured.
struct Race {
    attempts: u64,
    secs: f64,
    /// When the last order came back, from the first buy sent.
    sold_ms: f64,
    /// The winners' latencies alone.
    win_p50_ms: f64,
    win_p99_ms: f64,
    p50_ms: f64,
    p99_ms: f64,
    orders: u64,
    errors: u64,
    /// Answered early (`Prefer: respond-async`): when the last order was in the
    /// store, from the first buy sent — an upper bound: the sale's count of units
    /// left is polled from the race's end, every 2 ms.
    written_ms: Option<f64>,
}

/// What one buyer's request came back with: its latency (µs), status, whether it
/// was refused as sold out, and when it came back (µs since the first was sent).
type Answer = (u32, u16, bool, u64);

/// Each buyer sends the request `make` builds for them, over `conns` connections
/// (spread over `ports`) taking buyers from one queue, for at most two minutes.
async fn each_buyer<F>(
    ports: &[u16],
    buyers: usize,
    conns: usize,
    make: F,
) -> anyhow::Result<(Vec<Answer>, f64)>
where
    F: Fn(usize) -> anyhow::Result<Request<Full<Bytes>>> + Clone + Send + 'static,
{
    let next = Arc::new(AtomicUsize::new(0));
    let deadline = Instant::now() + Duration::from_secs(120);
    let t0 = Instant::now();
    let mut tasks = Vec::new();
    for i in 0..conns {
        let (next, make, t0) = (Arc::clone(&next), make.clone(), t0);
        let port = ports[i % ports.len()];
        tasks.push(tokio::spawn(async move {
            let stream = tokio::net::TcpStream::connect(("127.0.0.1", port)).await?;
            stream.set_nodelay(true)?;
            let (mut sender, conn) =
                hyper::client::conn::http1::handshake(TokioIo::new(stream)).await?;
            tokio::spawn(conn);
            let mut answers = Vec::new();
            loop {
                let b = next.fetch_add(1, Ordering::Relaxed);
                if b >= buyers || Instant::now() > deadline {
                    break;
                }
                let req = make(b)?;
                let t = Instant::now();
                let res = sender.send_request(req).await?;
                let status = res.status().as_u16();
                let body = res.into_body().collect().await?.to_bytes();
                let sold_out = status == 409 && body.windows(14).any(|w| w == b"flash_sold_out");
                let us = u32::try_from(t.elapsed().as_micros()).unwrap_or(u32::MAX);
                let at = u64::try_from(t0.elapsed().as_micros()).unwrap_or(u64::MAX);
                answers.push((us, status, sold_out, at));
            }
            anyhow::Ok(answers)
        }));
    }
    let mut all = Vec::new();
    for t in tasks {
        all.extend(t.await??);
    }
    Ok((all, t0.elapsed().as_secs_f64()))
}

/// The crowd waits on the sale's page, as buyers do for its countdown: each reads
/// it once just before buying, so the race starts with sessions the node has just seen (the
/// reference read's session is warm too). Every read must succeed.
async fn wait_on_page(
    ports: &[u16],
    org: &str,
    sale: &str,
    buyers: &Arc<Vec<String>>,
    conns: usize,
) -> anyhow::Result<()> {
    let path = format!("/api/v1/shops/{org}/flash-sales/{sale}");
    let crowd = Arc::clone(buyers);
    let (answers, _) = each_buyer(ports, buyers.len(), conns, move |b| {
        Ok(Request::get(path.as_str())
            .header("host", "127.0.0.1")
            .header("cookie", format!("quan_session={}", crowd[b]))
            .body(Full::new(Bytes::new()))?)
    })
    .await?;
    let failed = answers.iter().filter(|a| a.1 != 200).count();
    if failed > 0 {
        bail!("{failed} buyers could not open the sale's page");
    }
    Ok(())
}

/// One race: each buyer posts one buy, asking to be answered once admitted when
/// `early` (the node then answers 202 and writes the order on its own; a cluster
/// answers when the order is written, as without it). Latencies of every
/// attempt, orders made or promised, errors (anything but those or "sold out").
async fn race(
    ports: &[u16],
    org: &str,
    sale: &str,
    buyers: &Arc<Vec<String>>,
    conns: usize,
    (run, early): (usize, bool),
) -> anyhow::Result<Race> {
    wait_on_page(ports, org, sale, buyers, conns).await?;
    let path = format!("/api/v1/shops/{org}/flash-sales/{sale}/orders");
    let crowd = Arc::clone(buyers);
    let (answers, secs) = each_buyer(ports, buyers.len(), conns, move |b| {
        let r = Request::post(path.as_str())
            .header("host", "127.0.0.1")
            .header("content-type", "application/json")
            .header("cookie", format!("quan_session={}", crowd[b]))
            .header("idempotency-key", format!("run{run}-b{b}"));
        let r = if early {
            r.header("prefer", "respond-async")
        } else {
            r
        };
        Ok(r.body(Full::new(Bytes::from_static(b"{\"quantity\":1}")))?)
    })
    .await?;
    let won = |a: &Answer| a.1 == 201 || a.1 == 202;
    let orders = answers.iter().filter(|a| won(a)).count() as u64;
    // When the last winner was answered: the stock's part of the race.
    let sold_ms = answers
        .iter()
        .filter(|a| won(a))
        .map(|a| a.3)
        .max()
        .unwrap_or(0) as f64
        / 1e3;
    let winners: Vec<u32> = answers.iter().filter(|a| won(a)).map(|a| a.0).collect();
    let (win_p50_ms, win_p99_ms) = crate::fanout::percentiles(winners);
    let errors = answers.iter().filter(|a| !won(a) && !a.2).count() as u64;
    let written_ms = if answers.iter().any(|a| a.1 == 202) {
        let waited = until_written(ports[0], org, sale, buyers, orders).await?;
        Some(secs * 1e3 + waited)
    } else {
        None
    };
    let attempts = answers.len() as u64;
    let (p50_ms, p99_ms) = crate::fanout::percentiles(answers.into_iter().map(|a| a.0).collect());
    Ok(Race {
        attempts,
        secs,
        sold_ms,
        win_p50_ms,
        win_p99_ms,
        p50_ms,
        p99_ms,
        orders,
        errors,
        written_ms,
    })
}

/// Polls the sale's page until its units left say every promised order is in
/// the store (the sale has nothing else selling): the milliseconds it took.
async fn until_written(
    port: u16,
    org: &str,
    sale: &str,
    buyers: &[String],
    orders: u64,
) -> anyhow::Result<f64> {
    let c = reqwest::Client::new();
    let url = format!("http://127.0.0.1:{port}/api/v1/shops/{org}/flash-sales/{sale}");
    let cookie = format!("quan_session={}", buyers[0]);
    let t = Instant::now();
    while t.elapsed() < Duration::from_secs(30) {
        let s: Value = c
            .get(&url)
            .header("cookie", &cookie)
            .send()
            .await?
            .json()
            .await?;
        let (stock, left) = (s["stock"].as_i64(), s["remaining"].as_i64());
        if let (Some(stock), Some(left)) = (stock, left)
            && u64::try_from(stock - left)? >= orders
        {
            return Ok(t.elapsed().as_secs_f64() * 1e3);
        }
        tokio::time::sleep(Duration::from_millis(2)).await;
    }
    bail!("the promised orders were not all written within 30 s")
}

/// Opens a sale of `stock`, races the crowd for it, counts what the store holds
/// (orders of the sale, units left) and ends it: sales of one SKU may not
/// overlap, and the next race's sale is of the same SKU.
async fn race_and_tally(
    port: u16,
    shop: &Shop,
    (crowd, conns): (&Arc<Vec<String>>, usize),
    stock: i64,
    (run, early): (usize, bool),
) -> anyhow::Result<(Race, (u64, i64))> {
    let sale = open_sale(port, shop, stock).await?;
    let r = race(&[port], &shop.org, &sale, crowd, conns, (run, early)).await?;
    let store = tally(port, shop, &sale).await?;
    post(
        &reqwest::Client::new(),
        &format!(
            "http://127.0.0.1:{port}/api/v1/orgs/{}/flash-sales/{sale}/end",
            shop.org
        ),
        &shop.owner,
        json!({}),
    )
    .await?;
    Ok((r, store))
}

impl Race {
    /// Every unit sold once, each to an order in the store, nothing else.
    fn exact(&self, stock: i64, (in_store, left): (u64, i64)) -> bool {
        self.orders == stock as u64 && in_store == stock as u64 && left == 0 && self.errors == 0
    }

    fn line(&self, (in_store, left): (u64, i64)) -> String {
        let written = self
            .written_ms
            .map(|w| format!(", all written at {w:.0} ms"))
            .unwrap_or_default();
        format!(
            "flash {:>8.0} attempts/s  p50 {:.3} ms  p99 {:.3} ms  sold out at {:.0} ms of {:.0}{written} (winners p50 {:.3} p99 {:.3} ms)  orders {} (store {in_store}, left {left})  errors {}",
            self.attempts as f64 / self.secs,
            self.p50_ms,
            self.p99_ms,
            self.sold_ms,
            self.secs * 1e3,
            self.win_p50_ms,
            self.win_p99_ms,
            self.orders,
            self.errors
        )
    }
}

/// Every order of the shop, as its owner's API lists them, page by page.
pub(crate) async fn org_orders(port: u16, shop: &Shop) -> anyhow::Result<Vec<Value>> {
    let c = reqwest::Client::new();
    let base = format!("http://127.0.0.1:{port}/api/v1/orgs/{}/orders", shop.org);
    let (mut out, mut after) = (Vec::new(), None::<String>);
    loop {
        let url = match &after {
            Some(a) => format!("{base}?limit=200&after={a}"),
            None => format!("{base}?limit=200"),
        };
        let page: Value = c
            .get(url)
            .header("cookie", &shop.owner)
            .send()
            .await?
            .json()
            .await?;
        out.extend(page["items"].as_array().context("orders")?.iter().cloned());
        match page["next"].as_str() {
            Some(a) => after = Some(a.to_owned()),
            None => return Ok(out),
        }
    }
}

/// What the store says the sale sold: orders of the sale in the org's list, and
/// the units it has left.
async fn tally(port: u16, shop: &Shop, sale: &str) -> anyhow::Result<(u64, i64)> {
    let c = reqwest::Client::new();
    let base = format!("http://127.0.0.1:{port}/api/v1/orgs/{}", shop.org);
    let n = org_orders(port, shop)
        .await?
        .iter()
        .filter(|o| o["flash_sale_id"].as_str() == Some(sale))
        .count() as u64;
    let sales: Value = c
        .get(format!("{base}/flash-sales?limit=100"))
        .header("cookie", &shop.owner)
        .send()
        .await?
        .json()
        .await?;
    let left = sales["items"]
        .as_array()
        .and_then(|a| a.iter().find(|s| s["id"].as_str() == Some(sale)))
        .and_then(|s| s["remaining"].as_i64())
        .context("the sale")?;
    Ok((n, left))
}

/// The stock gate alone: `ops` admissions on one key, in process (two threads, the
/// machine's cores) and on Redis through the same Lua script by EVALSHA (64 calls
/// in flight, as many as the HTTP race had).
async fn gate_bench(redis_url: &str, ops: usize) -> anyhow::Result<Value> {
    let mem = Arc::new(quan_infra::MemoryGate::default());
    let t0 = Instant::now();
    let per = ops / 2;
    let mut ts = Vec::new();
    for _ in 0..2 {
        let g = Arc::clone(&mem);
        ts.push(tokio::spawn(async move {
            let mut admitted = 0u64;
            for _ in 0..per {
                admitted += u64::from(g.admit("bench", 1, i64::MAX / 2).await.unwrap_or(false));
            }
            admitted
        }));
    }
    for t in ts {
        t.await?;
    }
    let mem_ops = (per * 2) as f64 / t0.elapsed().as_secs_f64();

    let client = redis::Client::open(redis_url)?;
    let conn = client.get_connection_manager().await?;
    let script = redis::Script::new(quan_infra::GATE_LUA);
    let key = format!("quan:gate:bench:{}", std::process::id());
    let redis_ops_total = (ops / 20).clamp(10_000, 200_000);
    let next = Arc::new(AtomicUsize::new(0));
    let t0 = Instant::now();
    let mut ts = Vec::new();
    for _ in 0..64 {
        let (mut c, s, k, next) = (conn.clone(), script.clone(), key.clone(), Arc::clone(&next));
        ts.push(tokio::spawn(async move {
            while next.fetch_add(1, Ordering::Relaxed) < redis_ops_total {
                let _: i64 = s
                    .key(&k)
                    .arg(1)
                    .arg(i64::MAX / 2)
                    .arg(60_000)
                    .invoke_async(&mut c)
                    .await?;
            }
            anyhow::Ok(())
        }));
    }
    for t in ts {
        t.await??;
    }
    let redis_ops = redis_ops_total as f64 / t0.elapsed().as_secs_f64();
    let mut c = conn.clone();
    let _: i64 = redis::cmd("DEL").arg(&key).query_async(&mut c).await?;
    Ok(json!({
        "quan_ops_per_s": round(mem_ops, 0),
        "redis_lua_ops_per_s": round(redis_ops, 0),
        "ratio": round(mem_ops / redis_ops, 1),
        "ops": {"quan": per * 2, "redis": redis_ops_total},
    }))
}

/// Seeds the crowd into the data directory (or the scratch database), starts the
/// nodes, opens the shop on the first.
pub(crate) async fn nodes(
    env: &[(String, String)],
    n: usize,
    buyers: usize,
    units: i64,
    dir: &std::path::Path,
) -> anyhow::Result<(Vec<Proc>, Vec<u16>, Arc<Vec<String>>, Shop)> {
    let quan = quan_binary()?;
    let data = dir.join("quan");
    let seed = run_seed(
        &quan,
        "bench-seed-buyers",
        &data,
        &["--count".to_owned(), buyers.to_string()],
        &env.to_vec(),
    )?;
    let secrets: Vec<String> = seed["secrets"]
        .as_array()
        .context("secrets")?
        .iter()
        .filter_map(|s| s.as_str().map(str::to_owned))
        .collect();
    let (mut procs, mut ports) = (Vec::new(), Vec::new());
    for i in 0..n {
        let node_dir = dir.join(format!("node{i}"));
        let (p, port) = serve(
            &quan,
            if i == 0 { &data } else { &node_dir },
            &env.to_vec(),
            &[],
            None,
        )
        .await?;
        procs.push(p);
        ports.push(port);
    }
    let shop = open_shop(ports[0], units).await?;
    Ok((procs, ports, Arc::new(secrets), shop))
}

pub(crate) async fn flash_sale(
    conns: usize,
    secs: u64,
    runs: usize,
    buyers: usize,
    stock: i64,
    pg: &str,
    redis_url: &str,
) -> anyhow::Result<Value> {
    let units = stock * i64::try_from(runs + 3)?;
    // One node on SQLite, the embedded default.
    let dir = tempfile::tempdir()?;
    let (_procs, ports, crowd, shop) = nodes(&[], 1, buyers, units, dir.path()).await?;
    let port = ports[0];
    let reference: Req = (
        format!("/api/v1/orgs/{}", shop.org),
        Some(("cookie".to_owned(), shop.owner.clone())),
    );
    let (mut races, mut reads, mut exact) = (Vec::new(), Vec::new(), true);
    let mut counted = Vec::new();
    for run in 0..runs {
        let (r, store) = race_and_tally(port, &shop, (&crowd, conns), stock, (run, true)).await?;
        eprintln!("run {}/{runs}: {}", run + 1, r.line(store));
        exact &= r.exact(stock, store);
        counted.push(json!({"orders": r.orders, "orders_in_store": store.0, "left": store.1, "errors": r.errors}));
        races.push(r);
        let m = drive_each(port, std::slice::from_ref(&reference), conns, secs, None).await?;
        report_run("api-read", run, runs, &m);
        reads.push(m);
    }
    // The same race answered only once each order is written, for comparison.
    let (waiting, wstore) =
        race_and_tally(port, &shop, (&crowd, conns), stock, (runs, false)).await?;
    eprintln!("waiting for the orders: {}", waiting.line(wstore));
    exact &= waiting.exact(stock, wstore);
    races.sort_by(|a, b| (a.attempts as f64 / a.secs).total_cmp(&(b.attempts as f64 / b.secs)));
    let q = &races[races.len() / 2];
    let read: Measure = median(reads);
    let attempts_per_s = q.attempts as f64 / q.secs;
    let ratio = attempts_per_s / read.rps;

    eprintln!("gate: in process vs Redis EVALSHA");
    let gate = gate_bench(redis_url, 4_000_000).await?;

    // Two nodes on one PostgreSQL database and the Redis gate.
    eprintln!("cluster: two nodes, PostgreSQL + Redis");
    let cdir = tempfile::tempdir()?;
    let db = PgDb::create(pg)?;
    let env = vec![
        ("QUAN__DATABASE__URL".to_owned(), db.url(pg)),
        ("QUAN__BUS__URL".to_owned(), redis_url.to_owned()),
    ];
    let (_cprocs, cports, ccrowd, cshop) = nodes(&env, 2, buyers, units, cdir.path()).await?;
    let csale = open_sale(cports[0], &cshop, stock).await?;
    let c = race(&cports, &cshop.org, &csale, &ccrowd, conns, (0, true)).await?;
    let (c_store, c_left) = tally(cports[1], &cshop, &csale).await?;
    let c_exact =
        c.orders == stock as u64 && c_store == stock as u64 && c_left == 0 && c.errors == 0;
    eprintln!(
        "cluster: {:>8.0} attempts/s  p99 {:.3} ms  orders {} (store {c_store}, left {c_left})  errors {}",
        c.attempts as f64 / c.secs,
        c.p99_ms,
        c.orders,
        c.errors
    );
    drop(db);

    let gate_ratio = gate["ratio"].as_f64().unwrap_or(0.0);
    let ok = exact && c_exact && ratio >= 0.8 && q.p99_ms < 10.0 && gate_ratio >= 10.0;
    Ok(json!({
        "scenario": "flash-sale",
        "quan": {
            "attempts": q.attempts,
            "attempts_per_s": round(attempts_per_s, 0),
            "p50_ms": round(q.p50_ms, 3),
            "p99_ms": round(q.p99_ms, 3),
            "sold_out_ms": round(q.sold_ms, 1),
            "winners": {"p50_ms": round(q.win_p50_ms, 3), "p99_ms": round(q.win_p99_ms, 3)},
            "reply": "respond-async",
            "written_ms": q.written_ms.map(|w| round(w, 1)),
            "orders": q.orders,
            "stock": stock,
            "oversold": counted.iter().map(|c| c["orders_in_store"].as_i64().unwrap_or(0) - stock).max().unwrap_or(0).max(0),
            "runs": counted,
            "backend": "sqlite",
        },
        "waiting": {
            "note": "the same race without Prefer: respond-async (each winner answered once its order is written); one run",
            "attempts_per_s": round(waiting.attempts as f64 / waiting.secs, 0),
            "p50_ms": round(waiting.p50_ms, 3),
            "p99_ms": round(waiting.p99_ms, 3),
            "sold_out_ms": round(waiting.sold_ms, 1),
            "winners": {"p50_ms": round(waiting.win_p50_ms, 3), "p99_ms": round(waiting.win_p99_ms, 3)},
            "orders": waiting.orders,
            "orders_in_store": wstore.0,
            "ratio": round(waiting.attempts as f64 / waiting.secs / read.rps, 3),
        },
        "reference": {"name": "api-read", "rps": round(read.rps, 0), "p99_ms": round(read.p99_ms, 3),
                      "note": "GET /api/v1/orgs/{org} with the owner's session, same node, same connections"},
        "ratio": round(ratio, 3),
        "gate": gate,
        "cluster": {
            "nodes": 2,
            "backend": "postgres",
            "gate": "redis",
            "attempts": c.attempts,
            "attempts_per_s": round(c.attempts as f64 / c.secs, 0),
            "p99_ms": round(c.p99_ms, 3),
            "orders": c.orders,
            "orders_in_store": c_store,
            "oversold": (i64::try_from(c_store)? - stock).max(0),
            "exact": c_exact,
        },
        "goal": "orders = stock every run (one node and two); attempts/s >= 0.8 x api-read; p99 < 10 ms; gate >= 10 x Redis EVALSHA",
        "buyers": buyers,
        "connections": conns,
        "cores": cores(),
        "ok": ok,
    }))
}
