//! Test kit: start a real Quan (the real router, real store) on a fresh database per
//! test, on SQLite or PostgreSQL, with a clock tests can move; and a small typed
//! client per user.
//!
//! PostgreSQL and Redis are found at `QUAN_TEST_PG_URL` (default
//! `postgres://postgres@127.0.0.1:5432/postgres`) and `QUAN_TEST_REDIS_URL` (default
//! `redis://127.0.0.1:6379`). Without them a test skips with a loud message, except
//! under `CI=true`, where a missing service fails the test.

pub mod calls;
mod contract;
pub mod outside;
use quan::App;
use quan::settings::Settings;
use quan_core::{Services, TestClock};
use serde_json::{Value, json};
use sqlx::Connection;
use std::net::SocketAddr;
use std::sync::Arc;
use tokio::sync::oneshot;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

pub fn pg_url() -> String {
    std::env::var("QUAN_TEST_PG_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".into())
}

pub fn redis_url() -> String {
    std::env::var("QUAN_TEST_REDIS_URL").unwrap_or_else(|_| "redis://127.0.0.1:6379".into())
}

fn in_ci() -> bool {
    std::env::var("CI").is_ok_and(|v| v == "true" || v == "1")
}

/// A needed service is missing: fail in CI, skip loudly elsewhere.
pub fn missing(service: &str, why: &str) {
    assert!(
        !in_ci(),
        "{service} is required in CI (CI=true) but unavailable: {why}"
    );
    eprintln!(
        "\n!!! SKIPPED: {service} unavailable ({why}). Set it up to run this test; CI requires it.\n"
    );
}

/// A fresh database: a temp SQLite file, or a fresh PostgreSQL schema dropped at the
/// end.
pub struct TestDb {
    pub url: String,
    _dir: Option<tempfile::TempDir>,
    pg_schema: Option<String>,
}

impl TestDb {
    pub async fn new(backend: Backend) -> Option<Self> {
        sqlx::any::install_default_drivers();
        match backend {
            Backend::Sqlite => {
                let dir = tempfile::tempdir().ok()?;
                let url = format!("sqlite://{}", dir.path().join("quan.db").display());
                Some(Self {
                    url,
                    _dir: Some(dir),
                    pg_schema: None,
                })
            }
            Backend::Postgres => {
                let base = pg_url();
                let mut conn = match sqlx::AnyConnection::connect(&base).await {
                    Ok(c) => c,
                    Err(e) => {
                        missing("PostgreSQL", &e.to_string());
                        return None;
                    }
                };
                let schema = format!("t_{}", uuid::Uuid::now_v7().simple());
                let created = sqlx::query(&format!("CREATE SCHEMA {schema}"))
                    .execute(&mut conn)
                    .await;
                if let Err(e) = created {
                    missing("PostgreSQL (CREATE SCHEMA)", &e.to_string());
                    return None;
                }
                let _ = conn.close().await;
                let sep = if base.contains('?') { '&' } else { '?' };
                Some(Self {
                    url: format!("{base}{sep}options[search_path]={schema}"),
                    _dir: None,
                    pg_schema: Some(schema),
                })
            }
        }
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        let Some(schema) = self.pg_schema.take() else {
            return;
        };
        // Drop runs outside async; a short-lived runtime on its own thread cleans up.
        let _ = std::thread::spawn(move || {
            let Ok(rt) = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
            else {
                return;
            };
            rt.block_on(async move {
                if let Ok(mut c) = sqlx::AnyConnection::connect(&pg_url()).await {
                    let _ = sqlx::query(&format!("DROP SCHEMA IF EXISTS {schema} CASCADE"))
                        .execute(&mut c)
                        .await;
                    let _ = c.close().await;
                }
            });
        })
        .join();
    }
}

/// A running Quan node for a test.
pub struct TestApp {
    pub addr: SocketAddr,
    pub base: String,
    pub clock: Arc<TestClock>,
    pub services: Services,
    pub backend: Backend,
    stop: Option<oneshot::Sender<()>>,
    task: Option<tokio::task::JoinHandle<anyhow::Result<()>>>,
    _db: Option<Arc<TestDb>>,
    /// The node's data directory (uploads on disk), removed with the app.
    _data: Option<tempfile::TempDir>,
}

/// The hidden CSRF value of a page's forms (the cookie came with the page).
pub fn csrf_of(html: &str) -> String {
    html.split("name=\"csrf\" value=\"")
        .nth(1)
        .and_then(|s| s.split('"').next())
        .unwrap_or_default()
        .to_owned()
}

/// Options for [`spawn_with`].
#[derive(Default)]
pub struct Spawn {
    /// Share this database (for multi-node tests) instead of a fresh one.
    pub db: Option<Arc<TestDb>>,
    /// Use Redis as the bus.
    pub redis: bool,
    /// Keep uploads in the database (`storage.blobs = "database"`) instead of on disk.
    pub blobs_in_database: bool,
    /// Leave the search indexer off, so a test sees the queue as writes left it
    /// (drained by [`TestApp::indexed`] only).
    pub no_indexer: bool,
    /// Send e-mail through this SMTP server (`smtp.url`).
    pub smtp: Option<String>,
    /// Run the server's own job worker. Off by default: a test runs due jobs
    /// itself ([`TestApp::run_due_jobs`]) and then reads what they did, which a
    /// worker holding one of them at that moment would leave half done.
    pub job_worker: bool,
}

pub async fn spawn_app(backend: Backend) -> Option<TestApp> {
    spawn_with(backend, Spawn::default()).await
}

pub async fn spawn_with(backend: Backend, opts: Spawn) -> Option<TestApp> {
    let db = match opts.db {
        Some(db) => db,
        None => Arc::new(TestDb::new(backend).await?),
    };
    let data = tempfile::tempdir().ok()?;
    let mut settings = Settings::default();
    settings.server.data_dir = data.path().to_path_buf();
    settings.circles.search_indexer = !opts.no_indexer;
    settings.server.job_worker = opts.job_worker;
    if opts.blobs_in_database {
        settings.storage.blobs = "database".into();
    }
    settings.database.url = db.url.clone().into();
    settings.database.max_connections = 8;
    settings.server.shutdown_grace_secs = 2;
    if opts.redis {
        settings.bus.url = redis_url().into();
    }
    if let Some(url) = opts.smtp {
        settings.smtp.url = url.into();
        settings.smtp.from = "noreply@quan.test".into();
    }
    // Bound first, so links in messages are absolute to this server.
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.ok()?;
    let addr = listener.local_addr().ok()?;
    settings.server.public_url = format!("http://{addr}");
    let clock = Arc::new(TestClock::starting_now());
    let app = match App::build(settings, clock.clone()).await {
        Ok(a) => a,
        Err(e) if opts.redis && format!("{e:#}").contains("bus") => {
            missing("Redis", &format!("{e:#}"));
            return None;
        }
        Err(e) => panic!("app failed to start: {e:#}"),
    };
    let services = app.services.clone();
    let (tx, rx) = oneshot::channel::<()>();
    let task = tokio::spawn(quan::run(listener, app, async move {
        let _ = rx.await;
    }));
    Some(TestApp {
        addr,
        base: format!("http://{addr}"),
        clock,
        services,
        backend,
        stop: Some(tx),
        task: Some(task),
        _db: Some(db),
        _data: Some(data),
    })
}

impl TestApp {
    /// A client with its own cookie jar (one browser, one person).
    pub fn client(&self) -> Client {
        Client {
            base: self.base.clone(),
            http: reqwest::Client::builder()
                .cookie_store(true)
                .redirect(reqwest::redirect::Policy::none())
                .build()
                .unwrap_or_default(),
            token: None,
        }
    }

    /// Signs up a fresh account and returns its logged-in client and account id.
    pub async fn user(&self, name: &str) -> User {
        let c = self.client();
        let login = format!(
            "{}-{}@test.quan.local",
            name.to_lowercase().replace(' ', "-"),
            uuid::Uuid::now_v7().simple()
        );
        let r = c
            .post(
                "/api/v1/accounts",
                json!({"login": login, "password": "password-123", "display_name": name}),
            )
            .await;
        assert_eq!(r.status, 201, "sign-up failed: {}", r.body);
        let id = r.body["account"]["id"]
            .as_str()
            .unwrap_or_default()
            .to_owned();
        User { c, id, login }
    }

    /// A fresh session cookie (`quan_session=…`) for a user, for clients that set
    /// headers themselves (WebSockets).
    pub async fn session_cookie(&self, u: &User) -> String {
        let r = reqwest::Client::new()
            .post(format!("{}/api/v1/sessions", self.base))
            .json(&json!({"login": u.login, "password": "password-123"}))
            .send()
            .await
            .unwrap_or_else(|e| panic!("log-in: {e}"));
        r.headers()
            .get_all("set-cookie")
            .iter()
            .filter_map(|v| v.to_str().ok())
            .find(|v| v.starts_with("quan_session="))
            .and_then(|v| v.split(';').next())
            .unwrap_or_default()
            .to_owned()
    }

    /// A user who owns a fresh org.
    pub async fn owner(&self, name: &str) -> (User, String) {
        let u = self.user(name).await;
        let r =
            u.c.post("/api/v1/orgs", json!({"name": format!("{name}'s org")}))
                .await;
        assert_eq!(r.status, 201, "{}", r.body);
        let org = r.body["id"].as_str().unwrap_or_default().to_owned();
        (u, org)
    }

    /// Has `member` join `org` with `role` through an invite made by `owner`.
    pub async fn join(&self, owner: &User, org: &str, member: &User, role: &str) {
        let r = owner
            .c
            .post(
                &format!("/api/v1/orgs/{org}/invites"),
                json!({"role": role}),
            )
            .await;
        assert_eq!(r.status, 201, "{}", r.body);
        let code = r.body["code"].as_str().unwrap_or_default().to_owned();
        let r = member
            .c
            .post(&format!("/api/v1/invites/{code}/accept"), json!({}))
            .await;
        assert_eq!(r.status, 200, "{}", r.body);
    }

    /// Runs the search indexer until its queue is empty, as the background indexer
    /// would within moments: a test that searches as someone other than the writer
    /// says so by calling this first.
    pub async fn indexed(&self) {
        loop {
            match quan_core::search::index_queued(&self.services, None, 1_000).await {
                Ok(0) => return,
                Ok(_) => {}
                Err(e) => panic!("search indexing failed: {e}"),
            }
        }
    }

    /// Stops the node gracefully and waits for it.
    pub async fn stop(mut self) {
        if let Some(tx) = self.stop.take() {
            let _ = tx.send(());
        }
        if let Some(t) = self.task.take() {
            let _ = t.await;
        }
    }
}

impl Drop for TestApp {
    fn drop(&mut self) {
        if let Some(tx) = self.stop.take() {
            let _ = tx.send(());
        }
    }
}

/// A test user: their client and account id.
pub struct User {
    pub c: Client,
    pub id: String,
    pub login: String,
}

impl User {
    /// Uploads a small PNG to a circle (asserting it worked) and returns its id.
    pub async fn upload_png(&self, circle: &str) -> String {
        let r = self
            .c
            .raw(
                "POST",
                &format!("/api/v1/circles/{circle}/images"),
                "image/png",
                png(500),
            )
            .await
            .unwrap_or_else(|| panic!("the upload got no response"));
        assert_eq!(r.status, 201, "{}", r.text);
        r.body["id"].as_str().unwrap_or_default().to_owned()
    }
}

/// A real 32 × 32 PNG (its colours depend on `n`, so different calls store different
/// files), padded after its end to at least `n` bytes for size tests.
pub fn png(n: usize) -> Vec<u8> {
    let shade = (n % 251) as u8;
    let img = image::RgbImage::from_fn(32, 32, |x, y| {
        image::Rgb([shade, (x * 8) as u8, (y * 8) as u8])
    });
    let mut b = Vec::new();
    let _ = image::DynamicImage::ImageRgb8(img)
        .write_to(&mut std::io::Cursor::new(&mut b), image::ImageFormat::Png);
    if b.len() < n {
        b.resize(n, 0);
    }
    b
}

/// A PNG whose header declares `w` × `h` pixels (with a valid checksum) and whose
/// data is a few bytes: the shape of a decompression bomb.
pub fn png_declaring(w: u32, h: u32) -> Vec<u8> {
    fn crc(bytes: &[u8]) -> u32 {
        let mut c = 0xFFFF_FFFFu32;
        for b in bytes {
            c ^= u32::from(*b);
            for _ in 0..8 {
                c = if c & 1 == 1 {
                    0xEDB8_8320 ^ (c >> 1)
                } else {
                    c >> 1
                };
            }
        }
        !c
    }
    fn chunk(out: &mut Vec<u8>, kind: &[u8; 4], data: &[u8]) {
        out.extend_from_slice(&u32::try_from(data.len()).unwrap_or(0).to_be_bytes());
        let mut body = kind.to_vec();
        body.extend_from_slice(data);
        out.extend_from_slice(&body);
        out.extend_from_slice(&crc(&body).to_be_bytes());
    }
    let mut out = b"\x89PNG\r\n\x1a\n".to_vec();
    let mut ihdr = w.to_be_bytes().to_vec();
    ihdr.extend_from_slice(&h.to_be_bytes());
    ihdr.extend_from_slice(&[8, 2, 0, 0, 0]);
    chunk(&mut out, b"IHDR", &ihdr);
    chunk(
        &mut out,
        b"IDAT",
        &[0x78, 0x9C, 0x03, 0x00, 0x00, 0x00, 0x00, 0x01],
    );
    chunk(&mut out, b"IEND", &[]);
    out
}

/// A response reduced to what tests look at.
#[derive(Debug)]
pub struct Res {
    pub status: u16,
    pub headers: reqwest::header::HeaderMap,
    pub content_type: String,
    pub body: Value,
    pub text: String,
}

impl Res {
    /// The status and the problem document's `code`, to compare with one expected
    /// refusal: `assert_eq!(r.problem(), (403, Some("not_member")))`.
    pub fn problem(&self) -> (u16, Option<&str>) {
        (self.status, self.body["code"].as_str())
    }

    /// The status and the problem document's `field`, for a refused input:
    /// `assert_eq!(r.field(), (422, Some("hours")))`.
    pub fn field(&self) -> (u16, Option<&str>) {
        (self.status, self.body["field"].as_str())
    }
}

#[derive(Clone)]
pub struct Client {
    pub base: String,
    pub http: reqwest::Client,
    /// A bearer token to send instead of the cookie.
    pub token: Option<String>,
}

impl Client {
    pub fn with_token(&self, token: &str) -> Client {
        Client {
            base: self.base.clone(),
            http: reqwest::Client::builder().build().unwrap_or_default(),
            token: Some(token.to_owned()),
        }
    }

    /// Sends a request; None when the connection failed.
    async fn try_send(&self, rb: reqwest::RequestBuilder) -> Option<Res> {
        let rb = match &self.token {
            Some(t) => rb.bearer_auth(t),
            None => rb,
        };
        let req = rb.build().ok()?;
        let (method, path) = (req.method().to_string(), req.url().path().to_owned());
        let r = self.http.execute(req).await.ok()?;
        let status = r.status().as_u16();
        let content_type = r
            .headers()
            .get("content-type")
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_owned();
        let headers = r.headers().clone();
        let text = r.text().await.unwrap_or_default();
        let body = serde_json::from_str(&text).unwrap_or(Value::Null);
        contract::check(&method, &path, status, &content_type, &text);
        Some(Res {
            status,
            headers,
            content_type,
            body,
            text,
        })
    }

    /// Sends a request built with `http` (for headers the typed calls add); None
    /// when the connection failed.
    pub async fn send_built(&self, rb: reqwest::RequestBuilder) -> Option<Res> {
        self.try_send(rb).await
    }

    async fn send(&self, rb: reqwest::RequestBuilder) -> Res {
        self.try_send(rb)
            .await
            .unwrap_or_else(|| panic!("request failed: the server is not answering"))
    }

    pub async fn get(&self, path: &str) -> Res {
        self.send(self.http.get(format!("{}{path}", self.base)))
            .await
    }
    pub async fn post(&self, path: &str, body: Value) -> Res {
        self.send(self.http.post(format!("{}{path}", self.base)).json(&body))
            .await
    }
    pub async fn patch(&self, path: &str, body: Value) -> Res {
        self.send(self.http.patch(format!("{}{path}", self.base)).json(&body))
            .await
    }
    pub async fn put(&self, path: &str, body: Value) -> Res {
        self.send(self.http.put(format!("{}{path}", self.base)).json(&body))
            .await
    }
    pub async fn delete(&self, path: &str) -> Res {
        self.send(self.http.delete(format!("{}{path}", self.base)))
            .await
    }
    /// Submits a page's form (`application/x-www-form-urlencoded`), as a browser
    /// would; redirects are not followed, so a 303 and its `location` can be checked.
    pub async fn form(&self, path: &str, fields: &[(&str, &str)]) -> Res {
        let rb = self
            .http
            .post(format!("{}{path}", self.base))
            .header("origin", self.base.clone())
            .form(fields);
        self.send(rb).await
    }
    /// Submits a page's `multipart/form-data` form, as a browser would: text
    /// `fields`, then a PNG under the field `file_field` if given.
    pub async fn multipart(
        &self,
        path: &str,
        fields: &[(&str, &str)],
        png: Option<(&str, Vec<u8>)>,
    ) -> Res {
        const BOUNDARY: &str = "quanboundary";
        let mut body = Vec::new();
        for (name, value) in fields {
            body.extend_from_slice(
                format!("--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n{value}\r\n")
                    .as_bytes(),
            );
        }
        if let Some((field, bytes)) = png {
            body.extend_from_slice(
                format!("--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"{field}\"; filename=\"a.png\"\r\nContent-Type: image/png\r\n\r\n")
                    .as_bytes(),
            );
            body.extend_from_slice(&bytes);
            body.extend_from_slice(b"\r\n");
        }
        body.extend_from_slice(format!("--{BOUNDARY}--\r\n").as_bytes());
        let ct = format!("multipart/form-data; boundary={BOUNDARY}");
        self.raw("POST", path, &ct, body)
            .await
            .unwrap_or_else(|| panic!("{path}: no answer to the form"))
    }
    /// Sends raw bytes with a content type (for garbage tests). None when the
    /// connection failed, e.g. the server answered before reading an oversized body.
    pub async fn raw(
        &self,
        method: &str,
        path: &str,
        content_type: &str,
        body: Vec<u8>,
    ) -> Option<Res> {
        let m = reqwest::Method::from_bytes(method.as_bytes()).unwrap_or(reqwest::Method::POST);
        let rb = self
            .http
            .request(m, format!("{}{path}", self.base))
            .header("content-type", content_type)
            // One connection per garbage request: an oversized body makes the server
            // close the connection, which must not poison the next request.
            .header("connection", "close")
            .body(body);
        self.try_send(rb).await
    }
}

/// Runs a test body on SQLite and on PostgreSQL; with `spawn = EXPR;` first, each
/// node is started with those [`Spawn`] options.
#[macro_export]
macro_rules! on_both_backends {
    (spawn = $opts:expr; $($name:ident),* $(,)?) => {$(
        mod $name {
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() {
                if let Some(app) = $crate::spawn_with($crate::Backend::Sqlite, $opts).await {
                    super::$name(app).await
                }
            }
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn postgres() {
                if let Some(app) = $crate::spawn_with($crate::Backend::Postgres, $opts).await {
                    super::$name(app).await
                }
            }
        }
    )*};
    ($($name:ident),* $(,)?) => {$(
        mod $name {
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() {
                if let Some(app) = $crate::spawn_app($crate::Backend::Sqlite).await {
                    super::$name(app).await
                }
            }
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn postgres() {
                if let Some(app) = $crate::spawn_app($crate::Backend::Postgres).await {
                    super::$name(app).await
                }
            }
        }
    )*};
}
