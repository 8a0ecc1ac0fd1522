//! The scenarios that run Quan on a seeded store (`quan seed`, on SQLite or a
//! scratch PostgreSQL database): feed-read against nginx serving the same pages as
//! files, and post-write with the rank job running. chat-fanout seeds through here too.

use crate::{
    Proc, Req, cores, drive, drive_each, find_nginx, free_port, median, quan_binary,
    reference_json, report_run, round, start_nginx, wait_up,
};
use anyhow::{Context, bail};
use bytes::Bytes;
use serde_json::{Value, json};
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Instant;

/// A scratch PostgreSQL database, dropped when the scenario ends.
pub(crate) struct PgDb {
    admin: String,
    name: String,
}
impl PgDb {
    pub(crate) fn create(server: &str) -> anyhow::Result<Self> {
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
    pub(crate) fn url(&self, server: &str) -> String {
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

pub(crate) async fn feed_read(
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
pub(crate) struct Seed<'a> {
    pub(crate) backend: &'a str,
    pub(crate) pg: &'a str,
    pub(crate) posts: usize,
    pub(crate) viewers: usize,
    pub(crate) extra: &'a [&'a str],
}

/// Seeds a store for `backend` and starts Quan on it; returns the node, the seed
/// report and the scratch resources (kept alive by the caller).
/// The environment a Quan process needs for `backend` (a scratch PostgreSQL database
/// for `postgres`, kept alive by the returned handle; nothing for SQLite).
pub(crate) type Env = Vec<(String, String)>;

pub(crate) fn backend_env(backend: &str, pg: &str) -> anyhow::Result<(Env, Option<PgDb>)> {
    Ok(if backend == "postgres" {
        let db = PgDb::create(pg)?;
        (
            vec![("QUAN__DATABASE__URL".to_owned(), db.url(pg))],
            Some(db),
        )
    } else {
        (Vec::new(), None)
    })
}

/// Runs `quan admin <seed> --data-dir <data> <args>` and returns the JSON report it
/// prints last.
pub(crate) fn run_seed(
    quan: &Path,
    seed: &str,
    data: &Path,
    args: &[String],
    env: &Env,
) -> anyhow::Result<Value> {
    let mut cmd = Command::new(quan);
    cmd.args(["admin", seed, "--data-dir"])
        .arg(data)
        .args(args)
        .env("QUAN__LOG__FILTER", "warn");
    for (k, v) in env {
        cmd.env(k, v);
    }
    let out = cmd
        .output()
        .with_context(|| format!("running quan admin {seed}"))?;
    if !out.status.success() {
        bail!("{seed} failed: {}", String::from_utf8_lossy(&out.stderr));
    }
    Ok(serde_json::from_slice(
        out.stdout
            .split(|b| *b == b'\n')
            .rev()
            .find(|l| l.starts_with(b"{"))
            .context("no seed report")?,
    )?)
}

/// Starts `quan serve` on a free port over `data` with `env` (plus `extra`, and its
/// output in `log` if given) and waits until it is ready.
pub(crate) async fn serve(
    quan: &Path,
    data: &Path,
    env: &Env,
    extra: &[(&str, &str)],
    log: Option<&Path>,
) -> anyhow::Result<(Proc, u16)> {
    let port = free_port()?;
    let mut cmd = Command::new(quan);
    cmd.args([
        "serve",
        "--bind",
        &format!("127.0.0.1:{port}"),
        "--data-dir",
    ])
    .arg(data)
    .env("QUAN__LOG__FILTER", "warn")
    .stdout(Stdio::null());
    if let Some(log) = log {
        let f = std::fs::File::create(log)?;
        cmd.stderr(f.try_clone()?).stdout(f);
    }
    for (k, v) in env {
        cmd.env(k, v);
    }
    for (k, v) in extra {
        cmd.env(k, v);
    }
    let p = Proc(cmd.spawn().context("starting quan")?);
    wait_up(&format!("http://127.0.0.1:{port}/readyz")).await?;
    Ok((p, port))
}

pub(crate) async fn seeded_node(
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
    let (env, db) = backend_env(backend, pg)?;
    let t0 = Instant::now();
    let mut args = vec![
        "--posts".to_owned(),
        posts.to_string(),
        "--viewers".to_owned(),
        viewers.max(1).to_string(),
    ];
    args.extend(extra_seed.iter().map(|a| (*a).to_owned()));
    let mut seed = run_seed(quan, "bench-seed", &data, &args, &env)?;
    seed["wall_seconds"] = json!(round(t0.elapsed().as_secs_f64(), 1));
    eprintln!(
        "{backend}: seeded {} posts in {:.0} s",
        seed["posts"],
        t0.elapsed().as_secs_f64()
    );
    let (p, port) = serve(
        quan,
        &data,
        &env,
        &[("QUAN__LOG__FILTER", "warn,quan_core::jobs=info")],
        log,
    )
    .await?;
    Ok((p, port, seed, db))
}

pub(crate) async fn post_write(
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
