//! The world outside Quan, started by a test: an SMTP server that keeps what it is
//! given, and a webhook receiver that answers with the statuses a test queues.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpListener;

/// One e-mail as the SMTP server received it.
#[derive(Debug, Clone)]
pub struct Received {
    pub from: String,
    pub to: Vec<String>,
    /// Headers and body, as sent (dot-stuffing undone).
    pub data: String,
}

/// A plain SMTP server on 127.0.0.1 (no TLS, no auth). A recipient whose address
/// starts with `bounce` is refused with a 550, as a real server refuses a mailbox
/// that does not exist.
#[derive(Clone, Default)]
pub struct SmtpSink {
    pub url: String,
    got: Arc<Mutex<Vec<Received>>>,
}

impl SmtpSink {
    pub async fn start() -> Self {
        let listener = TcpListener::bind("127.0.0.1:0")
            .await
            .unwrap_or_else(|e| panic!("smtp sink: {e}"));
        let addr = listener
            .local_addr()
            .unwrap_or_else(|e| panic!("smtp sink: {e}"));
        let sink = Self {
            url: format!("smtp://{addr}"),
            got: Arc::default(),
        };
        let got = Arc::clone(&sink.got);
        tokio::spawn(async move {
            while let Ok((sock, _)) = listener.accept().await {
                tokio::spawn(session(sock, Arc::clone(&got)));
            }
        });
        sink
    }

    pub fn received(&self) -> Vec<Received> {
        self.got.lock().map(|g| g.clone()).unwrap_or_default()
    }
}

async fn session(sock: tokio::net::TcpStream, got: Arc<Mutex<Vec<Received>>>) {
    let (r, mut w) = sock.into_split();
    let mut lines = BufReader::new(r).lines();
    let mut mail = Received {
        from: String::new(),
        to: Vec::new(),
        data: String::new(),
    };
    if w.write_all(b"220 sink ESMTP\r\n").await.is_err() {
        return;
    }
    while let Ok(Some(line)) = lines.next_line().await {
        let upper = line.to_ascii_uppercase();
        let reply: &[u8] = if upper.starts_with("EHLO") {
            b"250-sink\r\n250 8BITMIME\r\n"
        } else if upper.starts_with("HELO") || upper.starts_with("NOOP") {
            b"250 OK\r\n"
        } else if upper.starts_with("RSET") {
            mail.to.clear();
            b"250 OK\r\n"
        } else if upper.starts_with("MAIL FROM:") {
            mail.from = line[10..].trim().to_owned();
            mail.to.clear();
            b"250 OK\r\n"
        } else if upper.starts_with("RCPT TO:") {
            let to = line[8..].trim().trim_matches(['<', '>']).to_owned();
            if to.starts_with("bounce") {
                b"550 5.1.1 no such mailbox\r\n"
            } else {
                mail.to.push(to);
                b"250 OK\r\n"
            }
        } else if upper.starts_with("DATA") {
            if w.write_all(b"354 go on\r\n").await.is_err() {
                return;
            }
            let mut data = String::new();
            while let Ok(Some(l)) = lines.next_line().await {
                if l == "." {
                    break;
                }
                data.push_str(l.strip_prefix('.').unwrap_or(&l));
                data.push('\n');
            }
            mail.data = data;
            if let Ok(mut g) = got.lock() {
                g.push(mail.clone());
            }
            b"250 OK queued\r\n"
        } else if upper.starts_with("QUIT") {
            let _ = w.write_all(b"221 bye\r\n").await;
            return;
        } else {
            b"502 not here\r\n"
        };
        if w.write_all(reply).await.is_err() {
            return;
        }
    }
}

/// One webhook call as received.
#[derive(Debug, Clone)]
pub struct Call {
    pub headers: reqwest::header::HeaderMap,
    pub body: String,
}

/// An HTTP server that keeps every POST and answers each with the next queued
/// status (200 once the queue is empty).
#[derive(Clone, Default)]
pub struct HookSink {
    pub url: String,
    calls: Arc<Mutex<Vec<Call>>>,
    answers: Arc<Mutex<VecDeque<u16>>>,
}

impl HookSink {
    pub async fn start() -> Self {
        use axum::routing::post;
        let listener = TcpListener::bind("127.0.0.1:0")
            .await
            .unwrap_or_else(|e| panic!("hook sink: {e}"));
        let addr = listener
            .local_addr()
            .unwrap_or_else(|e| panic!("hook sink: {e}"));
        let sink = Self {
            url: format!("http://{addr}/hook"),
            ..Self::default()
        };
        let (calls, answers) = (Arc::clone(&sink.calls), Arc::clone(&sink.answers));
        let app = axum::Router::new().route(
            "/hook",
            post(move |headers: axum::http::HeaderMap, body: String| {
                let (calls, answers) = (Arc::clone(&calls), Arc::clone(&answers));
                async move {
                    let mut h = reqwest::header::HeaderMap::new();
                    for (k, v) in &headers {
                        h.insert(k.clone(), v.clone());
                    }
                    if let Ok(mut c) = calls.lock() {
                        c.push(Call { headers: h, body });
                    }
                    let code = answers
                        .lock()
                        .ok()
                        .and_then(|mut a| a.pop_front())
                        .unwrap_or(200);
                    axum::http::StatusCode::from_u16(code).unwrap_or(axum::http::StatusCode::OK)
                }
            }),
        );
        tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        sink
    }

    /// The next calls are answered with these statuses, in order.
    pub fn answer(&self, statuses: &[u16]) {
        if let Ok(mut a) = self.answers.lock() {
            a.extend(statuses);
        }
    }

    pub fn calls(&self) -> Vec<Call> {
        self.calls.lock().map(|c| c.clone()).unwrap_or_default()
    }
}
