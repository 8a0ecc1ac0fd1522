//! `quan-loadgen`: a bounded, loopback-only load tool with named scenarios.
//!
//! Each scenario starts what it needs (a Quan node on a temporary data directory and
//! the reference server), drives both with the same client in the same run, and
//! prints, as its last line, one JSON object with both figures, their ratio and
//! whether the scenario's goal was met. Requests go only to 127.0.0.1, and every loop
//! is bounded in time and count.

mod all;
mod checkout;
mod cpu;
mod fanout;
mod flash;
mod geo;
mod reach;
mod seeded;
mod welcome;

use anyhow::{Context, bail};
use bytes::Bytes;
use clap::{Parser, Subcommand};
use http_body_util::{BodyExt, Full};
use hyper::Request;
use hyper_util::rt::TokioIo;
use serde_json::{Value, json};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

#[derive(Parser)]
#[command(
    name = "quan-loadgen",
    about = "Quan's load tool: named scenarios, measured side by side with a reference"
)]
struct Cli {
    #[command(subcommand)]
    cmd: Cmd,
}

#[derive(Subcommand)]
enum Cmd {
    /// Print the scenario names, one per line.
    List,
    /// Run one scenario.
    Run {
        name: String,
        /// Finish in under 60 s (one short run per target).
        #[arg(long)]
        quick: bool,
        /// Concurrent connections.
        #[arg(long, default_value_t = 64)]
        connections: usize,
        /// Seconds of measured load per run (default 10, quick 4).
        #[arg(long)]
        seconds: Option<u64>,
        /// Runs per target; the median is reported (default 3, quick 1).
        #[arg(long)]
        runs: Option<usize>,
        /// feed-read: posts to generate (default 1,000,000; quick 100,000).
        #[arg(long)]
        posts: Option<usize>,
        /// feed-read: sqlite, postgres or both (default both).
        #[arg(long, default_value = "both")]
        backend: String,
        /// feed-read: the PostgreSQL server (a scratch database is made and dropped).
        #[arg(long, default_value = "postgres://postgres@127.0.0.1:5432")]
        pg: String,
        /// feed-read: readers whose feeds bypass the shared page cache (each has a
        /// history window), so every read goes to the database.
        #[arg(long)]
        uncached: bool,
        /// all: record the figures as the new baseline (with BENCHMARKS.md).
        #[arg(long)]
        write_baseline: bool,
        /// flash-sale: the Redis server for the gate comparison and the two-node race.
        #[arg(long, default_value = "redis://127.0.0.1:6379")]
        redis: String,
    },
}

const SCENARIOS: [(&str, &str); 9] = [
    (
        "api-read",
        "GET an authenticated JSON endpoint (bearer token) vs nginx serving the same bytes as a static file",
    ),
    (
        "feed-read",
        "64 members each read their circle's hot feed (20 posts, authors, counts, my reactions) on a generated store \
         (default 1,000,000 posts, 1,000 circles, 100,000 members), SQLite and PostgreSQL, vs nginx serving a feed page",
    ),
    (
        "post-write",
        "64 members each post to their circle as fast as they can, with the per-minute rank job running over a week \
         of posts (default 200,000 posts seeded), SQLite and PostgreSQL; posts/s and latency",
    ),
    (
        "chat-fanout",
        "one chat room with 1,000 members on WebSockets, 200 messages/s sent through the API: deliveries/s and \
         send-to-receive latency, vs NATS delivering the same messages to 1,000 subscribers",
    ),
    (
        "campaign-plan",
        "a campaign to every customer of a generated org (1,000,000 over 200 staff, half with half the month's \
         budget used; 100,000 with --quick): preflight time, plan-and-persist customers/s and peak memory, \
         SQLite and PostgreSQL",
    ),
    (
        "flash-sale",
        "10,000 buyers (accounts with sessions, new to the shop) each read the sale's page, then race once each for a \
         flash sale of 1,000 over HTTP at 64 connections, asking to be answered once admitted (Prefer: respond-async; \
         the orders are then written on their own, and the time until the last is in the store is reported): \
         attempts/s, p50/p99, orders = stock exactly, next to api-read on the same node; one race answered only once \
         each order is written; the stock gate in process vs Redis EVALSHA of the same Lua gate; the same race on two \
         nodes (PostgreSQL + the Redis gate, which answer once written)",
    ),
    (
        "checkout",
        "members check out at 64 connections: claim a coupon, price preview, place the order (stock reserved), \
         open the payment, pay on the sandbox's page; every order paid by the signed webhook and charged what its \
         preview said; checkouts/s and p50/p99 of the whole checkout, SQLite and PostgreSQL",
    ),
    (
        "geo-nearest",
        "a buyer's nearest pickup point whose radius covers them among 1,000,000 points around 40 cities \
         (100,000 with --quick): Quan's index in process (p50/p99, lookups/s on every core) and over HTTP at 64 \
         connections, next to PostgreSQL + PostGIS doing the same KNN query over a GiST index in the same run \
         (installs Debian's postgresql-<major>-postgis-3 with apt-get when the extension is missing)",
    ),
    (
        "welcome-latency",
        "new members open a channel code, 200 adds/s for 30 s (10 s with --quick), each listening on its own \
         WebSocket: p50/p99 add → welcome frame, then every conversation read back for duplicates and missing",
    ),
];

/// Hard bounds, whatever the flags say.
const MAX_SECONDS: u64 = 120;
const MAX_REQUESTS_PER_RUN: u64 = 20_000_000;
const MAX_CONNECTIONS: usize = 1024;

#[derive(Debug, Clone)]
struct Measure {
    rps: f64,
    p50_ms: f64,
    p99_ms: f64,
    requests: u64,
    errors: u64,
}

impl Measure {
    fn json(&self) -> Value {
        json!({"rps": round(self.rps, 0), "p50_ms": round(self.p50_ms, 3), "p99_ms": round(self.p99_ms, 3), "requests": self.requests, "errors": self.errors})
    }
}

fn round(x: f64, digits: i32) -> f64 {
    let f = 10f64.powi(digits);
    (x * f).round() / f
}

/// Keeps a child process for the life of the scenario.
struct Proc(Child);
impl Drop for Proc {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// nginx's master must be asked to stop: killing it outright orphans its workers.
struct Nginx {
    child: Proc,
    bin: PathBuf,
    root: PathBuf,
}
impl Drop for Nginx {
    fn drop(&mut self) {
        let _ = Command::new(&self.bin)
            .arg("-p")
            .arg(&self.root)
            .arg("-c")
            .arg(self.root.join("nginx.conf"))
            .args(["-s", "stop"])
            .stderr(Stdio::null())
            .status();
        let _ = self.child.0.wait();
    }
}

fn free_port() -> anyhow::Result<u16> {
    Ok(std::net::TcpListener::bind("127.0.0.1:0")?
        .local_addr()?
        .port())
}

fn quan_binary() -> anyhow::Result<PathBuf> {
    let exe = std::env::current_exe()?;
    let dir = exe.parent().context("no exe dir")?;
    let p = dir.join("quan");
    if p.exists() {
        return Ok(p);
    }
    bail!(
        "the quan binary is missing next to quan-loadgen ({}); build both: cargo build --release -p quan -p quan-loadgen",
        p.display()
    )
}

fn find_nginx() -> anyhow::Result<PathBuf> {
    for p in ["/usr/sbin/nginx", "/usr/local/sbin/nginx", "/usr/bin/nginx"] {
        if Path::new(p).exists() {
            return Ok(p.into());
        }
    }
    bail!("nginx is missing: the reference for this scenario (apt-get install nginx)")
}

async fn wait_up(url: &str) -> anyhow::Result<()> {
    for _ in 0..200 {
        if reqwest::get(url)
            .await
            .is_ok_and(|r| r.status().is_success())
        {
            return Ok(());
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    bail!("{url} did not come up")
}

/// One measured run: `conns` keep-alive HTTP/1.1 connections, each sending the same
/// request back to back for `secs` seconds (after a 1 s warm-up that is not counted).
async fn drive(
    port: u16,
    path: &str,
    auth: Option<&str>,
    conns: usize,
    secs: u64,
) -> anyhow::Result<Measure> {
    let header = auth.map(|a| ("authorization".to_owned(), format!("Bearer {a}")));
    drive_each(port, &[(path.to_owned(), header)], conns, secs, None).await
}

/// A request a connection repeats: its path and an optional header (auth).
type Req = (String, Option<(String, String)>);

/// Like [`drive`], but connection `i` sends `reqs[i % reqs.len()]`: many readers,
/// each with their own session and feed.
/// With `post_body`, each request is a POST of that JSON instead of a GET.
async fn drive_each(
    port: u16,
    reqs: &[Req],
    conns: usize,
    secs: u64,
    post_body: Option<Bytes>,
) -> anyhow::Result<Measure> {
    let warm = Duration::from_secs(1);
    let dur = Duration::from_secs(secs.min(MAX_SECONDS));
    let start = Instant::now() + warm;
    let end = start + dur;
    let per_conn_cap = MAX_REQUESTS_PER_RUN / conns as u64;
    let mut tasks = Vec::new();
    for i in 0..conns {
        let (path, header) = reqs[i % reqs.len().max(1)].clone();
        let post_body = post_body.clone();
        tasks.push(tokio::spawn(async move {
            let mut lat: Vec<u32> = Vec::with_capacity(64 * 1024);
            let mut errors = 0u64;
            let stream = tokio::net::TcpStream::connect(("127.0.0.1", port)).await?;
            stream.set_nodelay(true)?;
            let (mut sender, conn) =
                hyper::client::conn::http1::handshake(TokioIo::new(stream)).await?;
            tokio::spawn(conn);
            let mut n = 0u64;
            loop {
                let now = Instant::now();
                if now >= end || n >= per_conn_cap {
                    break;
                }
                let mut req = match &post_body {
                    Some(_) => {
                        Request::post(path.as_str()).header("content-type", "application/json")
                    }
                    None => Request::get(path.as_str()),
                }
                .header("host", "127.0.0.1");
                if let Some((k, v)) = &header {
                    req = req.header(k.as_str(), v.as_str());
                }
                let req = req.body(Full::new(post_body.clone().unwrap_or_default()))?;
                let t0 = Instant::now();
                match sender.send_request(req).await {
                    Ok(res) => {
                        let ok = res.status().is_success();
                        let _ = res.into_body().collect().await;
                        if t0 >= start {
                            if ok {
                                lat.push(
                                    u32::try_from(t0.elapsed().as_micros()).unwrap_or(u32::MAX),
                                );
                            } else {
                                errors += 1;
                            }
                        }
                    }
                    Err(_) => {
                        errors += 1;
                        break;
                    }
                }
                n += 1;
            }
            anyhow::Ok((lat, errors))
        }));
    }
    let mut all = Vec::new();
    let mut errors = 0;
    for t in tasks {
        let (lat, e) = t.await??;
        all.extend(lat);
        errors += e;
    }
    all.sort_unstable();
    let pct = |p: f64| -> f64 {
        if all.is_empty() {
            return f64::NAN;
        }
        let i = ((all.len() as f64 - 1.0) * p).round() as usize;
        f64::from(all[i]) / 1000.0
    };
    Ok(Measure {
        rps: all.len() as f64 / dur.as_secs_f64(),
        p50_ms: pct(0.50),
        p99_ms: pct(0.99),
        requests: all.len() as u64,
        errors,
    })
}

fn median(mut v: Vec<Measure>) -> Measure {
    v.sort_by(|a, b| a.rps.total_cmp(&b.rps));
    v[v.len() / 2].clone()
}

async fn api_read(conns: usize, secs: u64, runs: usize) -> anyhow::Result<Value> {
    let nginx = find_nginx()?;
    let quan = quan_binary()?;
    let dir = tempfile::tempdir()?;

    // Quan on a fresh SQLite data directory.
    let (_q, qport) = start_quan(&quan, &dir.path().join("quan"), &[]).await?;
    let qbase = format!("http://127.0.0.1:{qport}");
    let c = reqwest::Client::builder().cookie_store(true).build()?;
    let r = c.post(format!("{qbase}/api/v1/accounts")).json(&json!({"login": "load@quan.local", "password": "load-test-pass", "display_name": "Load"})).send().await?;
    if r.status().as_u16() != 201 {
        bail!("sign-up failed: {}", r.text().await?);
    }
    let org: Value = c
        .post(format!("{qbase}/api/v1/orgs"))
        .json(&json!({"name": "负载测试 Load test"}))
        .send()
        .await?
        .json()
        .await?;
    let org_id = org["id"].as_str().context("org id")?.to_owned();
    let tok: Value = c
        .post(format!("{qbase}/api/v1/orgs/{org_id}/tokens"))
        .json(&json!({"name": "load", "scopes": ["read"]}))
        .send()
        .await?
        .json()
        .await?;
    let secret = tok["secret"].as_str().context("token")?.to_owned();
    let path = format!("/api/v1/orgs/{org_id}");
    let body = reqwest::Client::new()
        .get(format!("{qbase}{path}"))
        .bearer_auth(&secret)
        .send()
        .await?
        .bytes()
        .await?;

    let (_n, nport) = start_nginx(&nginx, &dir.path().join("www"), "org.json", &body).await?;

    // Alternate the targets so drift in the machine's load affects both alike.
    let (mut q, mut n) = (Vec::new(), Vec::new());
    for i in 0..runs {
        let mq = drive(qport, &path, Some(&secret), conns, secs).await?;
        report_run("quan ", i, runs, &mq);
        let mn = drive(nport, "/org.json", None, conns, secs).await?;
        report_run("nginx", i, runs, &mn);
        q.push(mq);
        n.push(mn);
    }
    let (q, n) = (median(q), median(n));
    let ratio = q.rps / n.rps;
    let ok = ratio >= 0.5 && q.p99_ms < 5.0 && q.errors == 0;
    Ok(json!({
        "scenario": "api-read",
        "quan": q.json(),
        "reference": reference_json(&n),
        "ratio": round(ratio, 3),
        "goal": "quan >= 0.5 x nginx req/s and quan p99 < 5 ms",
        "connections": conns,
        "seconds": secs,
        "runs": runs,
        "body_bytes": body.len(),
        "cores": cores(),
        "ok": ok,
    }))
}

fn cores() -> usize {
    std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(0)
}

fn reference_json(n: &Measure) -> Value {
    json!({"name": "nginx", "rps": round(n.rps, 0), "p50_ms": round(n.p50_ms, 3), "p99_ms": round(n.p99_ms, 3), "requests": n.requests, "errors": n.errors})
}

fn report_run(who: &str, i: usize, runs: usize, m: &Measure) {
    eprintln!(
        "run {}/{runs}: {who} {:>9.0} req/s  p50 {:.3} ms  p99 {:.3} ms  errors {}",
        i + 1,
        m.rps,
        m.p50_ms,
        m.p99_ms,
        m.errors
    );
}

/// nginx serving `body` as the static file `name` under `root`.
async fn start_nginx(
    nginx: &Path,
    root: &Path,
    name: &str,
    body: &[u8],
) -> anyhow::Result<(Nginx, u16)> {
    let nport = free_port()?;
    let root = root.to_path_buf();
    std::fs::create_dir_all(root.join("logs"))?;
    std::fs::write(root.join(name), body)?;
    let conf = format!(
        "worker_processes auto;\npid {root}/nginx.pid;\nerror_log {root}/logs/error.log warn;\nevents {{ worker_connections 4096; }}\n\
         http {{\n access_log off;\n client_body_temp_path {root}/tmp;\n proxy_temp_path {root}/tmp;\n fastcgi_temp_path {root}/tmp;\n uwsgi_temp_path {root}/tmp;\n scgi_temp_path {root}/tmp;\n keepalive_requests 100000000;\n\
         server {{ listen 127.0.0.1:{nport}; location / {{ root {root}; default_type application/json; }} }}\n}}\n",
        root = root.display()
    );
    std::fs::write(root.join("nginx.conf"), conf)?;
    let n = Nginx {
        child: Proc(
            Command::new(nginx)
                .arg("-p")
                .arg(&root)
                .arg("-c")
                .arg(root.join("nginx.conf"))
                .args(["-g", "daemon off;"])
                .stderr(Stdio::null())
                .spawn()
                .context("starting nginx")?,
        ),
        bin: nginx.to_path_buf(),
        root: root.clone(),
    };
    wait_up(&format!("http://127.0.0.1:{nport}/{name}")).await?;
    Ok((n, nport))
}

/// A Quan node for a scenario: `quan serve` with `env` (the database URL).
async fn start_quan(
    quan: &Path,
    data_dir: &Path,
    env: &[(String, String)],
) -> anyhow::Result<(Proc, u16)> {
    let port = free_port()?;
    let mut cmd = Command::new(quan);
    cmd.args([
        "serve",
        "--bind",
        &format!("127.0.0.1:{port}"),
        "--data-dir",
    ])
    .arg(data_dir)
    .env("QUAN__LOG__FILTER", "warn")
    .stdout(Stdio::null());
    for (k, v) in env {
        cmd.env(k, v);
    }
    let p = Proc(cmd.spawn().context("starting quan")?);
    wait_up(&format!("http://127.0.0.1:{port}/readyz")).await?;
    Ok((p, port))
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    match Cli::parse().cmd {
        Cmd::List => {
            for (name, _) in SCENARIOS {
                println!("{name}");
            }
            println!("all");
        }
        Cmd::Run {
            name,
            quick,
            connections,
            seconds,
            runs,
            posts,
            backend,
            pg,
            uncached,
            write_baseline,
            redis,
        } => {
            let conns = connections.clamp(1, MAX_CONNECTIONS);
            let secs = seconds
                .unwrap_or(if quick { 4 } else { 10 })
                .clamp(1, MAX_SECONDS);
            let runs = runs.unwrap_or(if quick { 1 } else { 3 }).clamp(1, 9);
            // A watchdog: whatever happens, the scenario ends by itself.
            let budget = Duration::from_secs((secs + 5) * 2 * runs as u64 + 60);
            if name == "all" {
                // A watchdog for the whole set: it ends by itself whatever happens.
                let budget = Duration::from_secs(if quick { 1_800 } else { 5_400 });
                let dropped =
                    tokio::time::timeout(budget, run_all(quick, conns, &pg, write_baseline))
                        .await
                        .map_err(|_| anyhow::anyhow!("run all exceeded its {budget:?} budget"))??;
                if dropped {
                    std::process::exit(1);
                }
                return Ok(());
            }
            let out = match name.as_str() {
                "api-read" => tokio::time::timeout(budget, api_read(conns, secs, runs))
                    .await
                    .map_err(|_| anyhow::anyhow!("scenario exceeded its {budget:?} budget"))??,
                "feed-read" => {
                    let posts = posts
                        .unwrap_or(if quick { 100_000 } else { 1_000_000 })
                        .clamp(1_000, 5_000_000);
                    let backends: Vec<&str> = match backend.as_str() {
                        "sqlite" => vec!["sqlite"],
                        "postgres" => vec!["postgres"],
                        "both" => vec!["sqlite", "postgres"],
                        other => bail!("--backend is sqlite, postgres or both, not {other:?}"),
                    };
                    // Seeding a million posts takes minutes: the budget allows it.
                    let budget = budget * 2 + Duration::from_secs(900);
                    tokio::time::timeout(
                        budget,
                        seeded::feed_read(conns, secs, runs, posts, &backends, &pg, uncached),
                    )
                    .await
                    .map_err(|_| anyhow::anyhow!("scenario exceeded its {budget:?} budget"))??
                }
                "chat-fanout" => {
                    let budget = Duration::from_secs(secs * 2 + 600);
                    let be = if backend == "both" {
                        "sqlite"
                    } else {
                        backend.as_str()
                    };
                    tokio::time::timeout(budget, fanout::chat_fanout(1000, 200, secs, be, &pg))
                        .await
                        .map_err(|_| anyhow::anyhow!("scenario exceeded its {budget:?} budget"))??
                }
                "post-write" => {
                    let posts = posts
                        .unwrap_or(if quick { 50_000 } else { 200_000 })
                        .clamp(1_000, 5_000_000);
                    let backends: Vec<&str> = match backend.as_str() {
                        "sqlite" => vec!["sqlite"],
                        "postgres" => vec!["postgres"],
                        "both" => vec!["sqlite", "postgres"],
                        other => bail!("--backend is sqlite, postgres or both, not {other:?}"),
                    };
                    // The rank job runs once a minute: at least a minute of load per
                    // engine so each measurement overlaps a run.
                    let secs = if quick { secs.max(30) } else { secs.max(25) };
                    let runs = if quick { runs.max(2) } else { runs.max(3) };
                    let budget = Duration::from_secs((secs + 5) * 2 * runs as u64 + 900);
                    tokio::time::timeout(
                        budget,
                        seeded::post_write(conns, secs, runs, posts, &backends, &pg),
                    )
                    .await
                    .map_err(|_| anyhow::anyhow!("scenario exceeded its {budget:?} budget"))??
                }
                "campaign-plan" => {
                    let customers = if quick { 100_000 } else { 1_000_000 };
                    let backends: Vec<&str> = match backend.as_str() {
                        "sqlite" => vec!["sqlite"],
                        "postgres" => vec!["postgres"],
                        "both" => vec!["sqlite", "postgres"],
                        other => bail!("--backend is sqlite, postgres or both, not {other:?}"),
                    };
                    let budget = Duration::from_secs(3_600);
                    tokio::time::timeout(budget, reach::campaign_plan(customers, &backends, &pg))
                        .await
                        .map_err(|_| anyhow::anyhow!("scenario exceeded its {budget:?} budget"))??
                }
                "flash-sale" => {
                    let budget = Duration::from_secs(1_200);
                    tokio::time::timeout(
                        budget,
                        flash::flash_sale(conns, secs, runs, 10_000, 1_000, &pg, &redis),
                    )
                    .await
                    .map_err(|_| anyhow::anyhow!("scenario exceeded its {budget:?} budget"))??
                }
                "checkout" => {
                    let backends: Vec<&str> = match backend.as_str() {
                        "sqlite" => vec!["sqlite"],
                        "postgres" => vec!["postgres"],
                        "both" => vec!["sqlite", "postgres"],
                        other => bail!("--backend is sqlite, postgres or both, not {other:?}"),
                    };
                    let buyers = if quick { 2_000 } else { 6_000 };
                    let budget = Duration::from_secs((secs + 130) * runs as u64 * 2 + 600);
                    tokio::time::timeout(
                        budget,
                        checkout::checkout(conns, secs, runs, buyers, &backends, &pg),
                    )
                    .await
                    .map_err(|_| anyhow::anyhow!("scenario exceeded its {budget:?} budget"))??
                }
                "geo-nearest" => {
                    let n = if quick { 100_000 } else { 1_000_000 };
                    let budget = Duration::from_secs((secs + 10) * runs as u64 * 2 + 1_800);
                    tokio::time::timeout(budget, geo::geo_nearest(n, (conns, secs, runs), &pg))
                        .await
                        .map_err(|_| anyhow::anyhow!("scenario exceeded its {budget:?} budget"))??
                }
                "welcome-latency" => {
                    let secs = seconds.unwrap_or(if quick { 10 } else { 30 }).clamp(1, 120);
                    let be = if backend == "both" {
                        "sqlite"
                    } else {
                        backend.as_str()
                    };
                    let budget = Duration::from_secs(secs * 3 + 600);
                    tokio::time::timeout(budget, welcome::welcome_latency(200, secs, be, &pg))
                        .await
                        .map_err(|_| anyhow::anyhow!("scenario exceeded its {budget:?} budget"))??
                }
                other => bail!("unknown scenario {other:?}; `quan-loadgen list` names them"),
            };
            println!("{out}");
        }
    }
    Ok(())
}

/// Every scenario, both engines where a scenario has two, then the table beside the
/// baseline (see [`all`]). Quick: about five minutes on two cores. Exits 1 when a
/// figure dropped more than 20 %.
async fn run_all(quick: bool, conns: usize, pg: &str, write: bool) -> anyhow::Result<bool> {
    let (secs, runs) = if quick { (4, 1) } else { (10, 3) };
    let both = ["sqlite", "postgres"];
    let mut outs = Vec::new();
    let step = |what: &str| eprintln!("== {what}");
    step("api-read");
    outs.push(api_read(conns, secs, runs).await?);
    step("feed-read");
    let posts = if quick { 100_000 } else { 1_000_000 };
    outs.push(seeded::feed_read(conns, secs, runs, posts, &both, pg, false).await?);
    step("post-write");
    let (wsecs, wruns) = if quick { (30, 2) } else { (25, 3) };
    let wposts = if quick { 50_000 } else { 200_000 };
    outs.push(seeded::post_write(conns, wsecs, wruns, wposts, &both, pg).await?);
    for be in both {
        step(&format!("chat-fanout/{be}"));
        outs.push(fanout::chat_fanout(1000, 200, 10, be, pg).await?);
    }
    let measured: Vec<_> = outs.iter().flat_map(all::figures).collect();
    let (summary, dropped) = all::compare(&measured, write)?;
    println!("{summary}");
    if dropped {
        eprintln!("a figure dropped more than 20 % against the baseline: profile before resolving");
    }
    Ok(dropped)
}
