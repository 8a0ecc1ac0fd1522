//! welcome-latency: new members open a channel code at a fixed rate (default 200 a
//! second for 30 s), each with a WebSocket on its own account topic opened first;
//! the time from sending the open to the welcome's frame arriving is the latency.
//! After the run (and past the welcome's 5 s durable backstop) every member's
//! conversation is read back through the API to count welcomes: none is `missing`,
//! and none beyond the first is a `duplicate`. There is no reference server: no other
//! product sends a welcome from a channel code without a broker and a scheduler.

use crate::fanout::percentiles;
use crate::seeded::{backend_env, run_seed, serve};
use crate::{cores, cpu, quan_binary, round};
use anyhow::{Context, bail};
use futures::{SinkExt, StreamExt};
use serde_json::{Value, json};
use std::time::{Duration, Instant};
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;

/// The goal from the issue: p99 add → welcome delivered.
const P99_GOAL_MS: f64 = 2_000.0;
/// How long one member waits for its welcome's frame.
const FRAME_WAIT: Duration = Duration::from_secs(10);

/// One member's add: (contact id, latency in µs if the frame came).
type Add = (Option<String>, Option<u32>);

async fn one_add(port: u16, account: String, secret: String, slug: String) -> anyhow::Result<Add> {
    let mut req = format!("ws://127.0.0.1:{port}/api/v1/ws").into_client_request()?;
    req.headers_mut()
        .insert("cookie", format!("quan_session={secret}").parse()?);
    let (mut ws, _) = tokio_tungstenite::connect_async(req).await?;
    let sub = json!({"type": "subscribe", "topic": format!("account:{account}")});
    ws.send(Message::Text(sub.to_string().into())).await?;
    loop {
        match tokio::time::timeout(FRAME_WAIT, ws.next()).await {
            Ok(Some(Ok(Message::Text(t)))) if t.as_str().contains(r#""type":"subscribed""#) => {
                break;
            }
            Ok(Some(Ok(_))) => continue,
            _ => bail!("the WebSocket did not subscribe"),
        }
    }
    let client = reqwest::Client::new();
    let started = Instant::now();
    let res = client
        .post(format!("http://127.0.0.1:{port}/api/v1/codes/{slug}/open"))
        .header("cookie", format!("quan_session={secret}"))
        .header("origin", format!("http://127.0.0.1:{port}"))
        .send()
        .await?;
    let contact = if res.status().is_success() {
        res.json::<Value>().await?["id"].as_str().map(str::to_owned)
    } else {
        None
    };
    let deadline = started + FRAME_WAIT;
    let mut latency = None;
    while let Ok(m) = tokio::time::timeout_at(deadline.into(), ws.next()).await {
        match m {
            Some(Ok(Message::Text(t))) if t.as_str().contains(r#""reach.message""#) => {
                latency = u32::try_from(started.elapsed().as_micros()).ok();
                break;
            }
            Some(Ok(_)) => continue,
            _ => break,
        }
    }
    let _ = ws.close(None).await;
    Ok((contact, latency))
}

/// Welcomes in one member's conversation, read back through the API.
async fn welcomes(
    client: &reqwest::Client,
    port: u16,
    secret: &str,
    contact: &str,
) -> anyhow::Result<usize> {
    let v: Value = client
        .get(format!(
            "http://127.0.0.1:{port}/api/v1/me/conversations/{contact}"
        ))
        .header("cookie", format!("quan_session={secret}"))
        .send()
        .await?
        .error_for_status()?
        .json()
        .await?;
    Ok(v["messages"]
        .as_array()
        .map_or(0, |m| m.iter().filter(|m| m["kind"] == "welcome").count()))
}

pub(crate) async fn welcome_latency(
    rate: u32,
    secs: u64,
    backend: &str,
    pg: &str,
) -> anyhow::Result<Value> {
    let quan = quan_binary()?;
    let members = usize::try_from(u64::from(rate) * secs).unwrap_or(usize::MAX);
    let dir = tempfile::tempdir()?;
    let data = dir.path().join("quan");
    let (env, _db) = backend_env(backend, pg)?;
    let args: Vec<String> = ["--members", &members.to_string(), "--staff", "20"]
        .map(str::to_owned)
        .to_vec();
    let report = run_seed(&quan, "bench-seed-welcome", &data, &args, &env)?;
    let slug = report["slug"].as_str().context("no slug")?.to_owned();
    let seeded: Vec<(String, String)> = report["members"]
        .as_array()
        .context("no members")?
        .iter()
        .map(|m| {
            (
                m[0].as_str().unwrap_or_default().to_owned(),
                m[1].as_str().unwrap_or_default().to_owned(),
            )
        })
        .collect();
    let (node, port) = serve(&quan, &data, &env, &[], None).await?;

    let meter = cpu::Meter::start(node.0.id());
    let mut tick = tokio::time::interval(Duration::from_secs(1) / rate.max(1));
    let mut tasks = Vec::with_capacity(seeded.len());
    for (account, secret) in seeded.iter().cloned() {
        tick.tick().await;
        tasks.push(tokio::spawn(one_add(port, account, secret, slug.clone())));
    }
    let mut adds: Vec<(String, Add)> = Vec::with_capacity(tasks.len());
    let mut failed = 0u64;
    for ((_, secret), t) in seeded.iter().zip(tasks) {
        match t.await {
            Ok(Ok(a)) => adds.push((secret.clone(), a)),
            _ => failed += 1,
        }
    }
    let cpu_cores = meter.and_then(|m| m.cores());
    // Past the durable backstop, so a welcome the inline path missed has had its turn.
    tokio::time::sleep(Duration::from_secs(8)).await;
    let client = reqwest::Client::new();
    let (mut duplicates, mut missing) = (0u64, failed);
    let mut lat = Vec::with_capacity(adds.len());
    for (secret, (contact, latency)) in &adds {
        let Some(contact) = contact else {
            missing += 1;
            continue;
        };
        let n = welcomes(&client, port, secret, contact).await?;
        if n == 0 {
            missing += 1;
        }
        duplicates += n.saturating_sub(1) as u64;
        // A welcome that came by its backstop, after the frame wait, counts at the wait.
        lat.push(latency.unwrap_or(u32::try_from(FRAME_WAIT.as_micros()).unwrap_or(u32::MAX)));
    }
    let pushed = adds.iter().filter(|(_, (_, l))| l.is_some()).count();
    let (p50, p99) = percentiles(lat);
    drop(node);
    eprintln!(
        "{backend}: {} adds at {rate}/s, welcome p50 {p50:.1} ms, p99 {p99:.1} ms, {duplicates} duplicates, {missing} missing",
        seeded.len()
    );
    Ok(json!({
        "scenario": "welcome-latency",
        "backend": backend,
        "quan": {
            "adds": seeded.len(),
            "p50_ms": round(p50, 1),
            "p99_ms": round(p99, 1),
            "duplicates": duplicates,
            "missing": missing,
            "pushed": pushed,
            "rate_per_s": rate,
            "seconds": secs,
            "server_cpu_cores": cpu_cores.map(|c| round(c, 2)),
        },
        "goal": "p99 add → welcome delivered < 2 s at 200 adds/s for 30 s; exactly one welcome each",
        "cores": cores(),
        "ok": p99 < P99_GOAL_MS && duplicates == 0 && missing == 0,
    }))
}
