//! `quan-loadgen`: a bounded, loopback-only load tool with named scenarios.
//!
//! Each scenario starts what it needs (a Quan node on a temporary data directory and
//! the reference server), drives both with the same client in the same run, and
//! prints, as its last line, one JSON object with both figures, their ratio and
//! whether the scenario's goal was met. Requests go only to 127.0.0.1, and every loop
//! is bounded in time and count.

mod all;
mod cpu;

use anyhow::{Context, bail};
use bytes::Bytes;
use clap::{Parser, Subcommand};
use http_body_util::{BodyExt, Full};
use hyper::Request;
use hyper_util::rt::TokioIo;
use serde_json::{Value, json};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
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
    },
}

const SCENARIOS: [(&str, &str); 4] = [
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

/// A scratch PostgreSQL database, dropped when the scenario ends.
struct PgDb {
    admin: String,
    name: String,
}
impl PgDb {
    fn create(server: &str) -> anyhow::Result<Self> {
        let name = format!("quan_feedbench_{}", std::process::id());
        let db = Self {
            admin: format!("{server}/postgres"),
            name,
        };
        db.psql(&format!("DROP DATABASE IF EXISTS {}", db.name))?;
        db.psql(&format!("CREATE DATABASE {}", db.name))?;
        Ok(db)
    }
    fn psql(&self, sql: &str) -> anyhow::Result<()> {
        let ok = Command::new("psql")
            .arg(&self.admin)
            .args(["-q", "-v", "ON_ERROR_STOP=1", "-c", sql])
            .stdout(Stdio::null())
            .status()
            .context("psql is needed for the PostgreSQL half of feed-read")?
            .success();
        if !ok {
            bail!("psql failed: {sql}");
        }
        Ok(())
    }
    fn url(&self, server: &str) -> String {
        format!("{server}/{}", self.name)
    }
}
impl Drop for PgDb {
    fn drop(&mut self) {
        let _ = self.psql(&format!(
            "DROP DATABASE IF EXISTS {} WITH (FORCE)",
            self.name
        ));
    }
}

async fn feed_read(
    conns: usize,
    secs: u64,
    runs: usize,
    posts: usize,
    backends: &[&str],
    pg: &str,
    uncached: bool,
) -> anyhow::Result<Value> {
    let nginx = find_nginx()?;
    let quan = quan_binary()?;
    let mut results = Vec::new();
    let mut all_ok = true;
    for backend in backends {
        let dir = tempfile::tempdir()?;
        let extra: &[&str] = if uncached {
            &["--private-viewers"]
        } else {
            &[]
        };
        let opts = Seed {
            backend,
            pg,
            posts,
            viewers: conns,
            extra,
        };
        let (_q, qport, seed, _pg) = seeded_node(&quan, dir.path(), &opts, None).await?;
        let seed_secs = seed["wall_seconds"].as_f64().unwrap_or(0.0);
        let reqs = viewer_requests(&seed, "/feed?sort=hot&limit=20")?;
        let (path, cookie) = reqs.first().cloned().context("no viewer")?;
        let mut probe = reqwest::Client::new().get(format!("http://127.0.0.1:{qport}{path}"));
        if let Some((k, v)) = &cookie {
            probe = probe.header(k.as_str(), v.as_str());
        }
        let res = probe.send().await?;
        if !res.status().is_success() {
            bail!("feed probe failed: {}", res.status());
        }
        let body = res.bytes().await?;
        let page: Value = serde_json::from_slice(&body)?;
        let items = page["items"].as_array().map_or(0, Vec::len);
        let (_n, nport) = start_nginx(&nginx, &dir.path().join("www"), "feed.json", &body).await?;
        let (mut q, mut n) = (Vec::new(), Vec::new());
        for i in 0..runs {
            let mq = drive_each(qport, &reqs, conns, secs, None).await?;
            report_run(&format!("quan/{backend}"), i, runs, &mq);
            let mn = drive(nport, "/feed.json", None, conns, secs).await?;
            report_run("nginx", i, runs, &mn);
            q.push(mq);
            n.push(mn);
        }
        let (q, n) = (median(q), median(n));
        let ratio = q.rps / n.rps;
        let ok = ratio >= 0.3 && q.p99_ms < 10.0 && q.errors == 0 && items == 20;
        all_ok &= ok;
        results.push(json!({
            "backend": backend,
            "quan": q.json(),
            "reference": reference_json(&n),
            "ratio": round(ratio, 3),
            "ok": ok,
            "seed": {"posts": seed["posts"], "circles": seed["circles"], "members": seed["members"], "likes": seed["likes"], "seconds": round(seed_secs, 1)},
            "page_items": items,
            "body_bytes": body.len(),
        }));
    }
    Ok(json!({
        "scenario": "feed-read",
        "results": results,
        "goal": "per backend: quan >= 0.3 x nginx req/s and quan p99 < 10 ms, 20 posts per page",
        "readers": if uncached { "uncached: every read goes to the database" } else { "plain members: shared page cache" },
        "connections": conns,
        "seconds": secs,
        "runs": runs,
        "cores": cores(),
        "ok": all_ok,
    }))
}

/// Seeds a store for `backend` and starts Quan on it; returns the node, the seed
/// report and the scratch resources (kept alive by the caller).
/// One request per seeded viewer: `/api/v1/circles/{their circle}{suffix}` with
/// their session cookie.
fn viewer_requests(seed: &Value, suffix: &str) -> anyhow::Result<Vec<Req>> {
    Ok(seed["viewers"]
        .as_array()
        .context("viewers")?
        .iter()
        .map(|v| {
            (
                format!(
                    "/api/v1/circles/{}{suffix}",
                    v["circle_id"].as_str().unwrap_or_default()
                ),
                Some((
                    "cookie".to_owned(),
                    format!("quan_session={}", v["secret"].as_str().unwrap_or_default()),
                )),
            )
        })
        .collect())
}

/// A log line without its colour codes.
fn strip_ansi(l: &str) -> String {
    let mut out = String::with_capacity(l.len());
    let mut in_esc = false;
    for c in l.chars() {
        match (in_esc, c) {
            (false, '\x1b') => in_esc = true,
            (true, 'm') => in_esc = false,
            (true, _) => {}
            (false, c) => out.push(c),
        }
    }
    out
}

/// What to seed and where a node runs.
struct Seed<'a> {
    backend: &'a str,
    pg: &'a str,
    posts: usize,
    viewers: usize,
    extra: &'a [&'a str],
}

async fn seeded_node(
    quan: &Path,
    dir: &Path,
    seed_opts: &Seed<'_>,
    log: Option<&Path>,
) -> anyhow::Result<(Proc, u16, Value, Option<PgDb>)> {
    let Seed {
        backend,
        pg,
        posts,
        viewers,
        extra: extra_seed,
    } = *seed_opts;
    let data = dir.join("quan");
    let (env, db) = if backend == "postgres" {
        let db = PgDb::create(pg)?;
        (
            vec![("QUAN__DATABASE__URL".to_owned(), db.url(pg))],
            Some(db),
        )
    } else {
        (Vec::new(), None)
    };
    let t0 = Instant::now();
    let mut cmd = Command::new(quan);
    cmd.args(["admin", "bench-seed", "--data-dir"])
        .arg(&data)
        .args([
            "--posts",
            &posts.to_string(),
            "--viewers",
            &viewers.max(1).to_string(),
        ])
        .args(extra_seed)
        .env("QUAN__LOG__FILTER", "warn");
    for (k, v) in &env {
        cmd.env(k, v);
    }
    let out = cmd.output().context("running quan admin bench-seed")?;
    if !out.status.success() {
        bail!(
            "bench-seed failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    let mut seed: Value = serde_json::from_slice(
        out.stdout
            .split(|b| *b == b'\n')
            .rev()
            .find(|l| l.starts_with(b"{"))
            .context("no seed report")?,
    )?;
    seed["wall_seconds"] = json!(round(t0.elapsed().as_secs_f64(), 1));
    eprintln!(
        "{backend}: seeded {} posts in {:.0} s",
        seed["posts"],
        t0.elapsed().as_secs_f64()
    );
    let port = free_port()?;
    let mut cmd = Command::new(quan);
    cmd.args([
        "serve",
        "--bind",
        &format!("127.0.0.1:{port}"),
        "--data-dir",
    ])
    .arg(&data)
    .env("QUAN__LOG__FILTER", "warn,quan_core::jobs=info")
    .stdout(Stdio::null());
    if let Some(log) = log {
        let f = std::fs::File::create(log)?;
        cmd.stderr(f.try_clone()?).stdout(f);
    }
    for (k, v) in &env {
        cmd.env(k, v);
    }
    let p = Proc(cmd.spawn().context("starting quan")?);
    wait_up(&format!("http://127.0.0.1:{port}/readyz")).await?;
    Ok((p, port, seed, db))
}

async fn post_write(
    conns: usize,
    secs: u64,
    runs: usize,
    posts: usize,
    backends: &[&str],
    pg: &str,
) -> anyhow::Result<Value> {
    let quan = quan_binary()?;
    let mut results = Vec::new();
    for backend in backends {
        let dir = tempfile::tempdir()?;
        let log = dir.path().join("quan.log");
        let opts = Seed {
            backend,
            pg,
            posts,
            viewers: conns,
            extra: &[],
        };
        let (_q, qport, seed, _db) = seeded_node(&quan, dir.path(), &opts, Some(&log)).await?;
        let reqs = viewer_requests(&seed, "/posts")?;
        let body = Bytes::from_static(
            "{\"title\":\"压测新帖 Load post\",\"body\":\"今天的**桂花乌龙**很香。The osmanthus oolong smells lovely today.\"}".as_bytes(),
        );
        let started = Instant::now();
        let mut q = Vec::new();
        for i in 0..runs {
            let m = drive_each(qport, &reqs, conns, secs, Some(body.clone())).await?;
            report_run(&format!("quan/{backend} posts"), i, runs, &m);
            q.push(m);
        }
        // Rank runs that happened while posts were being written.
        let elapsed = started.elapsed().as_secs_f64();
        let ranks: Vec<Value> = std::fs::read_to_string(&log)
            .unwrap_or_default()
            .lines()
            .filter(|l| l.contains("hot ranks recomputed"))
            .map(strip_ansi)
            .map(|l| {
                let field = |k: &str| {
                    l.split(&format!("{k}="))
                        .nth(1)
                        .and_then(|r| r.split(|c: char| !c.is_ascii_digit()).next())
                        .and_then(|n| n.parse::<u64>().ok())
                };
                json!({"ranked": field("ranked"), "ms": field("ms")})
            })
            .collect();
        let m = median(q);
        results.push(json!({
            "backend": backend,
            "quan": m.json(),
            "rank_runs_during_load": ranks,
            "measured_window_s": round(elapsed, 1),
            "seed": seed["posts"],
            "ok": m.errors == 0 && !ranks.is_empty(),
        }));
    }
    Ok(json!({
        "scenario": "post-write",
        "results": results,
        "goal": "posts/s sustained with the rank job running (no reference: a write path has no static-file twin)",
        "connections": conns,
        "seconds": secs,
        "runs": runs,
        "cores": cores(),
        "ok": results.iter().all(|r| r["ok"] == true),
    }))
}

/// Latency figures of a fan-out run.
struct Fanout {
    sent: u64,
    send_errors: u64,
    deliveries: u64,
    p50_ms: f64,
    p99_ms: f64,
    /// The sender's own wait (HTTP send → response, or publish), p50 and p99.
    send_p50_ms: f64,
    send_p99_ms: f64,
    /// The server's CPU use while sending, in cores (None where /proc is not there).
    cpu_cores: Option<f64>,
}

impl Fanout {
    fn json(&self, receivers: usize, secs: u64) -> Value {
        let expected = self.sent * receivers as u64;
        json!({
            "sent": self.sent,
            "send_errors": self.send_errors,
            "deliveries": self.deliveries,
            "expected": expected,
            "lost": expected.saturating_sub(self.deliveries),
            "deliveries_per_s": round(self.deliveries as f64 / secs as f64, 0),
            "p50_ms": round(self.p50_ms, 3),
            "p99_ms": round(self.p99_ms, 3),
            "send_p50_ms": round(self.send_p50_ms, 3),
            "send_p99_ms": round(self.send_p99_ms, 3),
            "server_cpu_cores": self.cpu_cores.map(|c| round(c, 2)),
        })
    }
}

/// Records how long a send took (µs).
fn record_wait(waits: &Mutex<Vec<u32>>, started: Instant) {
    let us = u32::try_from(started.elapsed().as_micros()).unwrap_or(u32::MAX);
    // A poisoned lock only means another sender panicked; its figures are lost anyway.
    if let Ok(mut w) = waits.lock() {
        w.push(us);
    }
}

fn take_waits(waits: &Mutex<Vec<u32>>) -> Vec<u32> {
    waits
        .lock()
        .map(|mut w| std::mem::take(&mut *w))
        .unwrap_or_default()
}

fn percentiles(mut lat: Vec<u32>) -> (f64, f64) {
    lat.sort_unstable();
    let pct = |p: f64| {
        if lat.is_empty() {
            return f64::NAN;
        }
        let i = ((lat.len() as f64 - 1.0) * p).round() as usize;
        f64::from(lat[i]) / 1000.0
    };
    (pct(0.5), pct(0.99))
}

/// Microseconds since `t0`, as a message body carries them.
fn stamp(t0: Instant) -> String {
    format!("t={}", t0.elapsed().as_micros())
}

/// The `t=<micros>` body inside a WebSocket event frame (the API writes bodies as
/// JSON strings; a stamp needs no escaping).
fn stamp_in_frame(frame: &str) -> Option<&str> {
    let at = frame.find(r#""body":"t="#)? + r#""body":""#.len();
    let rest = &frame[at..];
    Some(&rest[..rest.find('"')?])
}

fn latency_of(body: &str, t0: Instant) -> Option<u32> {
    let sent: u128 = body.strip_prefix("t=")?.parse().ok()?;
    u32::try_from(t0.elapsed().as_micros().saturating_sub(sent)).ok()
}

/// Sends `rate` messages a second for `secs` seconds with `send(k, stamp)`; returns
/// (sent, failed).
async fn paced<F, Fut>(rate: u32, secs: u64, t0: Instant, send: F) -> (u64, u64)
where
    F: Fn(usize, String) -> Fut,
    Fut: std::future::Future<Output = bool> + Send + 'static,
{
    let mut tick = tokio::time::interval(Duration::from_secs(1) / rate.max(1));
    let started = Instant::now();
    let mut inflight = Vec::new();
    let mut k = 0usize;
    while started.elapsed() < Duration::from_secs(secs) {
        tick.tick().await;
        inflight.push(tokio::spawn(send(k, stamp(t0))));
        k += 1;
    }
    let (mut ok, mut failed) = (0, 0);
    for h in inflight {
        if h.await.unwrap_or(false) {
            ok += 1;
        } else {
            failed += 1;
        }
    }
    (ok, failed)
}

/// Collects receivers' latencies after `stop` fires.
async fn gather(
    tasks: Vec<tokio::task::JoinHandle<anyhow::Result<Vec<u32>>>>,
) -> anyhow::Result<(u64, Vec<u32>)> {
    let mut all = Vec::new();
    for t in tasks {
        all.extend(t.await??);
    }
    Ok((all.len() as u64, all))
}

async fn chat_fanout(
    receivers: usize,
    rate: u32,
    secs: u64,
    backend: &str,
    pg: &str,
) -> anyhow::Result<Value> {
    use futures::{SinkExt, StreamExt};
    use tokio_tungstenite::tungstenite::Message;
    use tokio_tungstenite::tungstenite::client::IntoClientRequest;
    let quan = quan_binary()?;
    let dir = tempfile::tempdir()?;
    let members = receivers.max(rate as usize).to_string();
    let extra = ["--circles", "1", "--members", members.as_str()];
    let opts = Seed {
        backend,
        pg,
        posts: 1_000,
        viewers: receivers,
        extra: &extra,
    };
    let (q, port, seed, _db) = seeded_node(&quan, dir.path(), &opts, None).await?;
    let viewers: Vec<(String, String, String)> = seed["viewers"]
        .as_array()
        .context("viewers")?
        .iter()
        .map(|v| {
            (
                v["secret"].as_str().unwrap_or_default().to_owned(),
                v["circle_id"].as_str().unwrap_or_default().to_owned(),
                v["room_id"].as_str().unwrap_or_default().to_owned(),
            )
        })
        .collect();
    if viewers.len() < receivers {
        bail!("the seed made {} viewers, not {receivers}", viewers.len());
    }
    let t0 = Instant::now();

    // Quan: one WebSocket per member, subscribed to the room.
    let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
    let (ready_tx, mut ready_rx) = tokio::sync::mpsc::channel::<()>(receivers);
    let mut tasks = Vec::new();
    for (secret, _, room) in viewers.iter().take(receivers) {
        let (secret, room) = (secret.clone(), room.clone());
        let ready = ready_tx.clone();
        let mut stop = stop_rx.clone();
        tasks.push(tokio::spawn(async move {
            let mut req = format!("ws://127.0.0.1:{port}/api/v1/ws").into_client_request()?;
            req.headers_mut()
                .insert("cookie", format!("quan_session={secret}").parse()?);
            let (mut ws, _) = tokio_tungstenite::connect_async(req).await?;
            let sub = json!({"type": "subscribe", "topic": format!("room:{room}")});
            ws.send(Message::Text(sub.to_string().into())).await?;
            let mut lat = Vec::new();
            loop {
                tokio::select! {
                    _ = stop.changed() => break,
                    m = ws.next() => {
                        let Some(Ok(Message::Text(t))) = m else {
                            if m.is_none() { break } else { continue }
                        };
                        // Read the stamp straight out of the frame, as the NATS
                        // subscribers read it out of the payload: a full JSON parse of
                        // 200,000 frames a second would load the shared cores with
                        // client work NATS's side does not do.
                        if let Some(l) = stamp_in_frame(t.as_str()).and_then(|b| latency_of(b, t0)) {
                            lat.push(l);
                        } else if t.as_str().contains(r#""type":"subscribed""#) {
                            let _ = ready.send(()).await;
                        }
                    }
                }
            }
            anyhow::Ok(lat)
        }));
    }
    drop(ready_tx);
    for _ in 0..receivers {
        tokio::time::timeout(Duration::from_secs(60), ready_rx.recv())
            .await
            .context("the WebSockets did not all subscribe")?
            .context("a WebSocket failed before subscribing")?;
    }
    // Senders: `rate` members in turn, one message a second each (under the chat
    // limit of 3 per 2 s), through the API.
    let client = reqwest::Client::builder()
        .pool_max_idle_per_host(256)
        .build()?;
    let senders = (rate as usize).min(viewers.len());
    let waits = Arc::new(Mutex::new(Vec::new()));
    let meter = cpu::Meter::start(q.0.id());
    let (sent, send_errors) = paced(rate, secs, t0, |k, body| {
        let (secret, circle, room) = viewers[k % senders].clone();
        let c = client.clone();
        let waits = Arc::clone(&waits);
        async move {
            let started = Instant::now();
            let ok = c
                .post(format!(
                    "http://127.0.0.1:{port}/api/v1/circles/{circle}/rooms/{room}/messages"
                ))
                .header("cookie", format!("quan_session={secret}"))
                .json(&json!({ "body": body }))
                .send()
                .await
                .map(|r| r.status().is_success())
                .unwrap_or(false);
            record_wait(&waits, started);
            ok
        }
    })
    .await;
    let cpu_cores = meter.and_then(|m| m.cores());
    tokio::time::sleep(Duration::from_secs(3)).await;
    let _ = stop_tx.send(true);
    let (deliveries, lat) = gather(tasks).await?;
    let (p50, p99) = percentiles(lat);
    let (send_p50_ms, send_p99_ms) = percentiles(take_waits(&waits));
    let quan_figs = Fanout {
        sent,
        send_errors,
        deliveries,
        p50_ms: p50,
        p99_ms: p99,
        send_p50_ms,
        send_p99_ms,
        cpu_cores,
    };
    eprintln!("quan:  {}", quan_figs.json(receivers, secs));

    // NATS: the same messages to the same number of subscribers, one connection each.
    let subject = format!("quan.loadgen.fanout.{}", std::process::id());
    let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
    let mut tasks = Vec::new();
    for _ in 0..receivers {
        let client = async_nats::connect("127.0.0.1:4222")
            .await
            .context("NATS at 127.0.0.1:4222 is the reference for chat-fanout")?;
        let mut sub = client.subscribe(subject.clone()).await?;
        client.flush().await?;
        let mut stop = stop_rx.clone();
        tasks.push(tokio::spawn(async move {
            let _keep = client;
            let mut lat = Vec::new();
            loop {
                tokio::select! {
                    _ = stop.changed() => break,
                    m = sub.next() => {
                        let Some(m) = m else { break };
                        if let Some(l) = std::str::from_utf8(&m.payload).ok().and_then(|b| latency_of(b, t0)) {
                            lat.push(l);
                        }
                    }
                }
            }
            anyhow::Ok(lat)
        }));
    }
    let publisher = async_nats::connect("127.0.0.1:4222").await?;
    let waits = Arc::new(Mutex::new(Vec::new()));
    let meter = cpu::pid_named("nats-server").and_then(cpu::Meter::start);
    let (nsent, nerr) = paced(rate, secs, t0, |_, body| {
        let p = publisher.clone();
        let subject = subject.clone();
        let waits = Arc::clone(&waits);
        async move {
            let started = Instant::now();
            let ok = p.publish(subject, body.into()).await.is_ok();
            record_wait(&waits, started);
            ok
        }
    })
    .await;
    publisher.flush().await?;
    let cpu_cores = meter.and_then(|m| m.cores());
    tokio::time::sleep(Duration::from_secs(3)).await;
    let _ = stop_tx.send(true);
    let (ndeliveries, nlat) = gather(tasks).await?;
    let (np50, np99) = percentiles(nlat);
    let (send_p50_ms, send_p99_ms) = percentiles(take_waits(&waits));
    let nats_figs = Fanout {
        sent: nsent,
        send_errors: nerr,
        deliveries: ndeliveries,
        p50_ms: np50,
        p99_ms: np99,
        send_p50_ms,
        send_p99_ms,
        cpu_cores,
    };
    eprintln!("nats:  {}", nats_figs.json(receivers, secs));
    let ratio = quan_figs.deliveries as f64 / (nats_figs.deliveries.max(1)) as f64;
    Ok(json!({
        "scenario": "chat-fanout",
        "backend": backend,
        "receivers": receivers,
        "rate_per_s": rate,
        "seconds": secs,
        "quan": quan_figs.json(receivers, secs),
        "reference": {"name": "nats", "figures": nats_figs.json(receivers, secs)},
        "ratio_deliveries": round(ratio, 3),
        "cores": cores(),
        "ok": quan_figs.send_errors == 0 && ratio >= 0.99,
    }))
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
                        feed_read(conns, secs, runs, posts, &backends, &pg, uncached),
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
                    tokio::time::timeout(budget, chat_fanout(1000, 200, secs, be, &pg))
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
                        post_write(conns, secs, runs, posts, &backends, &pg),
                    )
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
    outs.push(feed_read(conns, secs, runs, posts, &both, pg, false).await?);
    step("post-write");
    let (wsecs, wruns) = if quick { (30, 2) } else { (25, 3) };
    let wposts = if quick { 50_000 } else { 200_000 };
    outs.push(post_write(conns, wsecs, wruns, wposts, &both, pg).await?);
    for be in both {
        step(&format!("chat-fanout/{be}"));
        outs.push(chat_fanout(1000, 200, 10, be, pg).await?);
    }
    let measured: Vec<_> = outs.iter().flat_map(all::figures).collect();
    let (summary, dropped) = all::compare(&measured, write)?;
    println!("{summary}");
    if dropped {
        eprintln!("a figure dropped more than 20 % against the baseline: profile before resolving");
    }
    Ok(dropped)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stamps_are_read_out_of_event_frames() {
        let frame = r#"{"type":"event","topic":"room:1","data":{"id":"x","body":"t=12345","author_name":"a"}}"#;
        assert_eq!(stamp_in_frame(frame), Some("t=12345"));
        assert_eq!(
            stamp_in_frame(r#"{"type":"subscribed","topic":"room:1"}"#),
            None
        );
        assert_eq!(stamp_in_frame(r#"{"data":{"body":"hello"}}"#), None);
    }
}
