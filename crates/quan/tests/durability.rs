//! Kill -9 during writes, restart: every write that was acknowledged is there. Runs
//! the real `quan` binary on SQLite.

use serde_json::json;
mod common;

use common::{client, free_port, start, wait_ready};
use std::sync::{Arc, Mutex};
use std::time::Duration;

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn acknowledged_writes_survive_kill_9() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let port = free_port(18099);
    let base = format!("http://127.0.0.1:{port}");
    let mut child = start(dir.path(), port, &[]);
    wait_ready(&base).await;

    let c = client();
    let r = c
        .post(format!("{base}/api/v1/accounts"))
        .json(
            &json!({"login": "kill@nine.test", "password": "kill-nine-pass", "display_name": "K"}),
        )
        .send()
        .await;
    assert!(r.is_ok_and(|r| r.status().as_u16() == 201));

    // Writers create orgs as fast as they can; each acknowledged id is recorded.
    let acked = Arc::new(Mutex::new(Vec::<String>::new()));
    let mut writers = Vec::new();
    for w in 0..8 {
        let (c, base, acked) = (c.clone(), base.clone(), Arc::clone(&acked));
        writers.push(tokio::spawn(async move {
            for i in 0..10_000 {
                let r = c
                    .post(format!("{base}/api/v1/orgs"))
                    .json(&json!({"name": format!("w{w}-{i}")}))
                    .send()
                    .await;
                let Ok(r) = r else { return };
                if r.status().as_u16() != 201 {
                    return;
                }
                let Ok(v) = r.json::<serde_json::Value>().await else {
                    return;
                };
                if let Some(id) = v["id"].as_str()
                    && let Ok(mut a) = acked.lock()
                {
                    a.push(id.to_owned());
                }
            }
        }));
    }
    // Let a few hundred writes land, then pull the plug mid-stream.
    for _ in 0..200 {
        if acked.lock().map(|a| a.len()).unwrap_or(0) >= 300 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    child.kill().unwrap_or_else(|e| panic!("kill: {e}")); // SIGKILL on Unix
    let _ = child.wait();
    for w in writers {
        let _ = w.await;
    }
    let acked: Vec<String> = acked.lock().map(|a| a.clone()).unwrap_or_default();
    assert!(
        acked.len() >= 50,
        "enough writes acknowledged before the kill: {}",
        acked.len()
    );

    let mut child = start(dir.path(), port, &[]);
    wait_ready(&base).await;
    let c = client();
    let r = c
        .post(format!("{base}/api/v1/sessions"))
        .json(&json!({"login": "kill@nine.test", "password": "kill-nine-pass"}))
        .send()
        .await;
    assert!(r.is_ok_and(|r| r.status().is_success()));
    let orgs: serde_json::Value = c
        .get(format!("{base}/api/v1/orgs"))
        .send()
        .await
        .unwrap_or_else(|e| panic!("{e}"))
        .json()
        .await
        .unwrap_or_default();
    let have: std::collections::HashSet<&str> = orgs
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|o| o["id"].as_str())
        .collect();
    let lost: Vec<&String> = acked
        .iter()
        .filter(|id| !have.contains(id.as_str()))
        .collect();
    assert!(
        lost.is_empty(),
        "{} of {} acknowledged writes lost: {:?}",
        lost.len(),
        acked.len(),
        lost.iter().take(5).collect::<Vec<_>>()
    );
    eprintln!(
        "kill -9: {} acknowledged writes, all present after restart ({} rows)",
        acked.len(),
        have.len()
    );
    let _ = child.kill();
    let _ = child.wait();
}
