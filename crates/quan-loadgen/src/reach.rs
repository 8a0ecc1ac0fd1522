//! campaign-plan: a campaign to every customer of a generated org (default
//! 1,000,000 over 200 staff, half with half the month's budget used), through the
//! API: the preflight's time, then the send's (plan and persist) in recipients per
//! second, and the server's peak resident memory, on SQLite and PostgreSQL. There is
//! no reference server: no other product plans against a touch ledger.

use crate::seeded::{backend_env, run_seed, serve};
use crate::{cores, quan_binary, round};
use anyhow::Context;
use serde_json::{Value, json};
use std::time::Instant;

/// Goals from the issue: preflight under a second; planned and persisted per second.
const PREFLIGHT_MS_GOAL: f64 = 1_000.0;
fn rate_goal(backend: &str) -> f64 {
    if backend == "postgres" {
        250_000.0
    } else {
        500_000.0
    }
}

/// The peak resident set of a process, in MiB (Linux `/proc`).
fn peak_rss_mb(pid: u32) -> f64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmHWM:"))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|kb| kb.parse::<f64>().ok())
        })
        .map_or(0.0, |kb| round(kb / 1024.0, 1))
}

pub(crate) async fn campaign_plan(
    customers: usize,
    backends: &[&str],
    pg: &str,
) -> anyhow::Result<Value> {
    let quan = quan_binary()?;
    let mut results = Vec::new();
    for backend in backends {
        let dir = tempfile::tempdir()?;
        let data = dir.path().join("quan");
        let (env, _db) = backend_env(backend, pg)?;
        let t0 = Instant::now();
        let args: Vec<String> = ["--customers", &customers.to_string(), "--staff", "200"]
            .map(str::to_owned)
            .to_vec();
        let report = run_seed(&quan, "bench-seed-reach", &data, &args, &env)?;
        eprintln!(
            "{backend}: seeded {customers} customers in {:.0} s",
            t0.elapsed().as_secs_f64()
        );
        // A million recipients is one long request.
        let (node, port) = serve(
            &quan,
            &data,
            &env,
            &[("QUAN__SERVER__REQUEST_TIMEOUT_SECS", "900")],
            None,
        )
        .await?;
        let base = format!(
            "http://127.0.0.1:{port}/api/v1/orgs/{}",
            report["org_id"].as_str().unwrap_or_default()
        );
        let cookie = format!(
            "quan_session={}",
            report["owner_secret"].as_str().unwrap_or_default()
        );
        let http = reqwest::Client::builder()
            .timeout(std::time::Duration::from_secs(900))
            .build()?;
        let post = |path: String, body: Value| {
            http.post(format!("{base}{path}"))
                .header("cookie", cookie.clone())
                .header("origin", format!("http://127.0.0.1:{port}"))
                .json(&body)
                .send()
        };
        let c: Value = post(
            "/campaigns".into(),
            json!({"name": "压测 Plan bench", "template": "{{name}}，本周新品上市"}),
        )
        .await?
        .json()
        .await?;
        let id = c["id"].as_str().context("campaign not created")?.to_owned();
        let t = Instant::now();
        let pre: Value = post(format!("/campaigns/{id}/preflight"), json!({}))
            .await?
            .json()
            .await?;
        let preflight_ms = t.elapsed().as_secs_f64() * 1000.0;
        let t = Instant::now();
        let sent: Value = post(format!("/campaigns/{id}/send"), json!({}))
            .await?
            .json()
            .await?;
        let plan_s = t.elapsed().as_secs_f64();
        let recipients = sent["counts"]["recipients"].as_i64().unwrap_or(0);
        let planned = customers as f64 / plan_s;
        let rss = peak_rss_mb(node.0.id());
        let same = pre["counts"] == sent["counts"];
        let ok = preflight_ms < PREFLIGHT_MS_GOAL
            && planned >= rate_goal(backend)
            && same
            && recipients > 0;
        eprintln!(
            "{backend}: preflight {preflight_ms:.0} ms, plan {plan_s:.1} s ({planned:.0} customers/s), {recipients} recipients, peak RSS {rss} MiB"
        );
        results.push(json!({
            "backend": backend,
            "quan": {
                "recipients": recipients,
                "customers": customers,
                "preflight_ms": round(preflight_ms, 1),
                "plan_ms": round(plan_s * 1000.0, 1),
                "recipients_per_s": round(planned, 0),
                "peak_rss_mb": rss,
                "preflight_equals_plan": same,
            },
            "seed_seconds": round(t0.elapsed().as_secs_f64() - plan_s - preflight_ms / 1000.0, 1),
            "ok": ok,
        }));
        drop(node);
    }
    Ok(json!({
        "scenario": "campaign-plan",
        "results": results,
        "goal": "preflight < 1 s; planned and persisted >= 500,000 customers/s on SQLite, >= 250,000/s on PostgreSQL; memory bounded",
        "cores": cores(),
        "ok": results.iter().all(|r| r["ok"] == true),
    }))
}
