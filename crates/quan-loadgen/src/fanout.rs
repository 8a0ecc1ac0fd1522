//! `chat-fanout`: one sender posts chat messages at a fixed rate to a room that a
//! thousand WebSockets listen to; each receiver reads the send time out of the
//! message and records how long it took to arrive. The reference is NATS: the same
//! publisher rate and subscriber count on a core NATS subject, in the same run.

use crate::seeded::{Seed, seeded_node};
use crate::{cores, cpu, quan_binary, round};
use anyhow::{Context, bail};
use serde_json::{Value, json};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

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

pub(crate) fn percentiles(mut lat: Vec<u32>) -> (f64, f64) {
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

pub(crate) async fn chat_fanout(
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
