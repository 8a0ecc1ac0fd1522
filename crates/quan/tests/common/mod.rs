//! What the tests that run the real `quan` binary share: a free port, starting it
//! on a data directory, waiting until it is ready, a client that keeps cookies.

use std::process::{Child, Command, Stdio};
use std::time::Duration;

/// A port nobody listens on now (`fallback` if the OS would not say).
pub fn free_port(fallback: u16) -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .unwrap_or(fallback)
}

/// Starts `quan serve` on `dir` and `port`, with `env` added to its environment.
pub fn start(dir: &std::path::Path, port: u16, env: &[(&str, &str)]) -> Child {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_quan"));
    cmd.args([
        "serve",
        "--bind",
        &format!("127.0.0.1:{port}"),
        "--data-dir",
    ])
    .arg(dir)
    .env("QUAN__LOG__FILTER", "warn");
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd.stdout(Stdio::null())
        .stderr(Stdio::inherit())
        .spawn()
        .unwrap_or_else(|e| panic!("spawn quan: {e}"))
}

/// Waits until `/readyz` answers (about ten seconds at most).
pub async fn wait_ready(base: &str) {
    for _ in 0..100 {
        if reqwest::get(format!("{base}/readyz"))
            .await
            .is_ok_and(|r| r.status().is_success())
        {
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("quan did not become ready");
}

/// A client that keeps its session cookie.
pub fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .cookie_store(true)
        .build()
        .unwrap_or_default()
}
