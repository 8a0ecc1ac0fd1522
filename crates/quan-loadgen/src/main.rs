//! `quan-loadgen`: a bounded, loopback-only load tool with named scenarios.
//!
//! Each scenario starts what it needs (a Quan node on a temporary data directory and
//! the reference server), drives both with the same client in the same run, and
//! prints, as its last line, one JSON object with both figures, their ratio and
//! whether the scenario's goal was met. Requests go only to 127.0.0.1, and every loop
//! is bounded in time and count.

use anyhow::{Context, bail};
use bytes::Bytes;
use clap::{Parser, Subcommand};
use http_body_util::{BodyExt, Empty};
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
    },
}

const SCENARIOS: [(&str, &str); 1] = [(
    "api-read",
    "GET an authenticated JSON endpoint (bearer token) vs nginx serving the same bytes as a static file",
)];

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
    let warm = Duration::from_secs(1);
    let dur = Duration::from_secs(secs.min(MAX_SECONDS));
    let start = Instant::now() + warm;
    let end = start + dur;
    let per_conn_cap = MAX_REQUESTS_PER_RUN / conns as u64;
    let mut tasks = Vec::new();
    for _ in 0..conns {
        let path = path.to_owned();
        let auth = auth.map(str::to_owned);
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
                let mut req = Request::get(path.as_str()).header("host", "127.0.0.1");
                if let Some(a) = &auth {
                    req = req.header("authorization", format!("Bearer {a}"));
                }
                let req = req.body(Empty::<Bytes>::new())?;
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
    let qport = free_port()?;
    let _q = Proc(
        Command::new(&quan)
            .args([
                "serve",
                "--bind",
                &format!("127.0.0.1:{qport}"),
                "--data-dir",
            ])
            .arg(dir.path().join("quan"))
            .env("QUAN__LOG__FILTER", "warn")
            .stdout(Stdio::null())
            .spawn()
            .context("starting quan")?,
    );
    let qbase = format!("http://127.0.0.1:{qport}");
    wait_up(&format!("{qbase}/readyz")).await?;
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

    // nginx serving the same bytes as a static file.
    let nport = free_port()?;
    let root = dir.path().join("www");
    std::fs::create_dir_all(root.join("logs"))?;
    std::fs::write(root.join("org.json"), &body)?;
    let conf = format!(
        "worker_processes auto;\npid {root}/nginx.pid;\nerror_log {root}/logs/error.log warn;\nevents {{ worker_connections 4096; }}\n\
         http {{\n access_log off;\n client_body_temp_path {root}/tmp;\n proxy_temp_path {root}/tmp;\n fastcgi_temp_path {root}/tmp;\n uwsgi_temp_path {root}/tmp;\n scgi_temp_path {root}/tmp;\n keepalive_requests 100000000;\n\
         server {{ listen 127.0.0.1:{nport}; location / {{ root {root}; default_type application/json; }} }}\n}}\n",
        root = root.display()
    );
    std::fs::write(root.join("nginx.conf"), conf)?;
    let _n = Nginx {
        child: Proc(
            Command::new(&nginx)
                .arg("-p")
                .arg(&root)
                .arg("-c")
                .arg(root.join("nginx.conf"))
                .args(["-g", "daemon off;"])
                .stderr(Stdio::null())
                .spawn()
                .context("starting nginx")?,
        ),
        bin: nginx.clone(),
        root: root.clone(),
    };
    wait_up(&format!("http://127.0.0.1:{nport}/org.json")).await?;

    // Alternate the targets so drift in the machine's load affects both alike.
    let (mut q, mut n) = (Vec::new(), Vec::new());
    for i in 0..runs {
        let mq = drive(qport, &path, Some(&secret), conns, secs).await?;
        eprintln!(
            "run {}/{runs}: quan  {:>9.0} req/s  p50 {:.3} ms  p99 {:.3} ms  errors {}",
            i + 1,
            mq.rps,
            mq.p50_ms,
            mq.p99_ms,
            mq.errors
        );
        let mn = drive(nport, "/org.json", None, conns, secs).await?;
        eprintln!(
            "run {}/{runs}: nginx {:>9.0} req/s  p50 {:.3} ms  p99 {:.3} ms  errors {}",
            i + 1,
            mn.rps,
            mn.p50_ms,
            mn.p99_ms,
            mn.errors
        );
        q.push(mq);
        n.push(mn);
    }
    let (q, n) = (median(q), median(n));
    let ratio = q.rps / n.rps;
    let ok = ratio >= 0.5 && q.p99_ms < 5.0 && q.errors == 0;
    Ok(json!({
        "scenario": "api-read",
        "quan": q.json(),
        "reference": {"name": "nginx", "rps": round(n.rps, 0), "p50_ms": round(n.p50_ms, 3), "p99_ms": round(n.p99_ms, 3), "requests": n.requests, "errors": n.errors},
        "ratio": round(ratio, 3),
        "goal": "quan >= 0.5 x nginx req/s and quan p99 < 5 ms",
        "connections": conns,
        "seconds": secs,
        "runs": runs,
        "body_bytes": body.len(),
        "cores": std::thread::available_parallelism().map(|n| n.get()).unwrap_or(0),
        "ok": ok,
    }))
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    match Cli::parse().cmd {
        Cmd::List => {
            for (name, _) in SCENARIOS {
                println!("{name}");
            }
        }
        Cmd::Run {
            name,
            quick,
            connections,
            seconds,
            runs,
        } => {
            let conns = connections.clamp(1, MAX_CONNECTIONS);
            let secs = seconds
                .unwrap_or(if quick { 4 } else { 10 })
                .clamp(1, MAX_SECONDS);
            let runs = runs.unwrap_or(if quick { 1 } else { 3 }).clamp(1, 9);
            // A watchdog: whatever happens, the scenario ends by itself.
            let budget = Duration::from_secs((secs + 5) * 2 * runs as u64 + 60);
            let out = match name.as_str() {
                "api-read" => tokio::time::timeout(budget, api_read(conns, secs, runs))
                    .await
                    .map_err(|_| anyhow::anyhow!("scenario exceeded its {budget:?} budget"))??,
                other => bail!("unknown scenario {other:?}; `quan-loadgen list` names them"),
            };
            println!("{out}");
        }
    }
    Ok(())
}
