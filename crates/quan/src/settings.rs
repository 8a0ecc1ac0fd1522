//! Configuration: defaults → optional TOML file (`--config`) → `QUAN__SECTION__KEY`
//! environment → CLI flags. Unknown keys are errors; secrets are redacted in Debug.

use figment::Figment;
use figment::providers::{Format, Serialized, Toml};
use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Settings {
    pub server: ServerSettings,
    pub database: DatabaseSettings,
    pub bus: BusSettings,
    pub storage: StorageSettings,
    pub circles: CircleSettings,
    pub smtp: SmtpSettings,
    pub commerce: CommerceSettings,
    pub log: LogSettings,
}

/// The shop: how long an unpaid order holds its stock, and the sandbox payment
/// provider's signing secret.
#[derive(Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct CommerceSettings {
    /// Minutes an unpaid order holds its stock (1 to 1440).
    pub reserve_minutes: i64,
    /// `whsec_` + base64: signs and verifies the sandbox's payment webhooks. Empty:
    /// a fresh one each start (one node only; a cluster must share one).
    #[serde(serialize_with = "ser_secret", deserialize_with = "de_secret")]
    pub sandbox_secret: SecretString,
}

impl Default for CommerceSettings {
    fn default() -> Self {
        Self {
            reserve_minutes: quan_domain::RESERVE_MINUTES_DEFAULT,
            sandbox_secret: SecretString::from(String::new()),
        }
    }
}

impl std::fmt::Debug for CommerceSettings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CommerceSettings")
            .field("reserve_minutes", &self.reserve_minutes)
            .finish_non_exhaustive()
    }
}

/// Outgoing e-mail (campaigns may go out by e-mail when this is set).
#[derive(Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct SmtpSettings {
    /// `smtp://host:25`, `smtp://user:pass@host:587?tls=required`, `smtps://host`;
    /// empty: no e-mail.
    #[serde(serialize_with = "ser_secret", deserialize_with = "de_secret")]
    pub url: SecretString,
    /// The sender address, e.g. `noreply@example.com`.
    pub from: String,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct CircleSettings {
    /// Images a new member may upload to a circle on their first day (0 to 9).
    pub first_day_images: i64,
    /// Whether this node runs the search indexer (the queue of posts to index is in
    /// the database; one node or all of them may drain it).
    pub search_indexer: bool,
}

impl Default for CircleSettings {
    fn default() -> Self {
        Self {
            first_day_images: quan_domain::TL0_IMAGES_PER_DAY,
            search_indexer: true,
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct StorageSettings {
    /// Where uploaded files' bytes live: "disk" (DATA_DIR/blobs) or "database".
    pub blobs: String,
}

impl Default for StorageSettings {
    fn default() -> Self {
        Self {
            blobs: "disk".into(),
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ServerSettings {
    /// Address to listen on.
    pub bind: String,
    /// Where the embedded database and uploads live.
    pub data_dir: PathBuf,
    /// Mark cookies Secure (set when served over HTTPS).
    pub secure_cookies: bool,
    /// The address people reach Quan at (`https://circle.example.com`), for links
    /// they copy; empty: the scheme and host of each request.
    pub public_url: String,
    /// Largest request body, in bytes.
    pub max_body_bytes: usize,
    /// Seconds a request may take.
    pub request_timeout_secs: u64,
    /// Seconds in-flight requests get to finish at shutdown.
    pub shutdown_grace_secs: u64,
    /// Fill a demo org at start (idempotent).
    pub demo: bool,
    /// Run the durable job worker on this node (releases, refunds, deliveries,
    /// rankings). Off on nodes that only serve requests while others run the jobs.
    pub job_worker: bool,
}

#[derive(Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct DatabaseSettings {
    /// sqlite://PATH or postgres://USER@HOST/DB. Empty: SQLite at DATA_DIR/quan.db.
    #[serde(serialize_with = "ser_secret", deserialize_with = "de_secret")]
    pub url: SecretString,
    /// Connections (PostgreSQL) or readers (SQLite).
    pub max_connections: u32,
    /// Run migrations at `serve` start.
    pub migrate_on_start: bool,
}

#[derive(Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct BusSettings {
    /// Empty: in-process. redis://HOST:PORT: Redis (cluster mode).
    #[serde(serialize_with = "ser_secret", deserialize_with = "de_secret")]
    pub url: SecretString,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct LogSettings {
    /// "text" or "json".
    pub format: String,
    /// A tracing filter, e.g. "info" or "quan=debug,info".
    pub filter: String,
}

fn ser_secret<S: serde::Serializer>(s: &SecretString, ser: S) -> Result<S::Ok, S::Error> {
    ser.serialize_str(s.expose_secret())
}
fn de_secret<'de, D: serde::Deserializer<'de>>(de: D) -> Result<SecretString, D::Error> {
    String::deserialize(de).map(SecretString::from)
}

/// Shows the scheme and host of a URL but never its password.
fn redact_url(url: &str) -> String {
    match url.split_once("://") {
        Some((scheme, rest)) => {
            let host = rest.rsplit_once('@').map_or(rest, |(_, h)| h);
            format!("{scheme}://…@{host}")
        }
        None if url.is_empty() => String::new(),
        None => "<redacted>".into(),
    }
}

impl std::fmt::Debug for DatabaseSettings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DatabaseSettings")
            .field("url", &redact_url(self.url.expose_secret()))
            .field("max_connections", &self.max_connections)
            .field("migrate_on_start", &self.migrate_on_start)
            .finish()
    }
}

impl Default for SmtpSettings {
    fn default() -> Self {
        Self {
            url: SecretString::from(String::new()),
            from: String::new(),
        }
    }
}

impl std::fmt::Debug for SmtpSettings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SmtpSettings")
            .field("url", &redact_url(self.url.expose_secret()))
            .field("from", &self.from)
            .finish()
    }
}

impl std::fmt::Debug for BusSettings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BusSettings")
            .field("url", &redact_url(self.url.expose_secret()))
            .finish()
    }
}

impl Default for ServerSettings {
    fn default() -> Self {
        Self {
            bind: "127.0.0.1:8080".into(),
            data_dir: PathBuf::from("data"),
            secure_cookies: false,
            public_url: String::new(),
            max_body_bytes: 64 * 1024,
            request_timeout_secs: 30,
            shutdown_grace_secs: 20,
            demo: false,
            job_worker: true,
        }
    }
}

impl Default for DatabaseSettings {
    fn default() -> Self {
        Self {
            url: SecretString::from(String::new()),
            max_connections: 16,
            migrate_on_start: true,
        }
    }
}

impl Default for BusSettings {
    fn default() -> Self {
        Self {
            url: SecretString::from(String::new()),
        }
    }
}

impl Default for LogSettings {
    fn default() -> Self {
        Self {
            format: "text".into(),
            filter: "info".into(),
        }
    }
}

/// Flags that override everything else.
#[derive(Debug, Default, Clone)]
pub struct Overrides {
    pub bind: Option<String>,
    pub data_dir: Option<PathBuf>,
    pub demo: bool,
    pub log_format: Option<String>,
}

#[derive(Debug)]
pub enum SettingsError {
    Load(Box<figment::Error>),
    Invalid {
        field: &'static str,
        message: String,
    },
}

impl std::fmt::Display for SettingsError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            SettingsError::Load(e) => write!(f, "configuration: {e}"),
            SettingsError::Invalid { field, message } => {
                write!(f, "configuration: {field}: {message}")
            }
        }
    }
}
impl std::error::Error for SettingsError {}

impl Settings {
    /// Loads and validates the settings.
    pub fn load(
        file: Option<&Path>,
        env: &[(String, String)],
        o: &Overrides,
    ) -> Result<Self, SettingsError> {
        let mut fig = Figment::from(Serialized::defaults(Settings::default()));
        if let Some(f) = file {
            fig = fig.merge(Toml::file_exact(f));
        }
        // Only QUAN__* variables count; "__" separates section and key. Values are
        // parsed like TOML scalars (numbers, booleans), else taken as strings.
        for (k, v) in env {
            let Some(path) = k.strip_prefix("QUAN__") else {
                continue;
            };
            let key = path.to_ascii_lowercase().replace("__", ".");
            let value: figment::value::Value = v
                .parse()
                .unwrap_or_else(|_| figment::value::Value::from(v.clone()));
            fig = fig.merge(Serialized::default(&key, value));
        }
        let mut s: Settings = fig
            .extract()
            .map_err(|e| SettingsError::Load(Box::new(e)))?;
        if let Some(b) = &o.bind {
            s.server.bind = b.clone();
        }
        if let Some(d) = &o.data_dir {
            s.server.data_dir = d.clone();
        }
        if o.demo {
            s.server.demo = true;
        }
        if let Some(f) = &o.log_format {
            s.log.format = f.clone();
        }
        s.validate()?;
        Ok(s)
    }

    fn validate(&self) -> Result<(), SettingsError> {
        let bad = |field, message: &str| {
            Err(SettingsError::Invalid {
                field,
                message: message.into(),
            })
        };
        if self.server.bind.parse::<std::net::SocketAddr>().is_err() {
            return bad("server.bind", "expected an address like 127.0.0.1:8080");
        }
        let url = self.database.url.expose_secret();
        if !url.is_empty()
            && let Err(e) = quan_store::Backend::of_url(url)
        {
            return bad("database.url", &e.to_string());
        }
        let bus = self.bus.url.expose_secret();
        if !bus.is_empty() && !bus.starts_with("redis://") && !bus.starts_with("rediss://") {
            return bad(
                "bus.url",
                "expected empty (in-process) or redis://HOST:PORT",
            );
        }
        let public = &self.server.public_url;
        if !public.is_empty()
            && (url::Url::parse(public).map_or(true, |u| {
                !matches!(u.scheme(), "http" | "https") || u.host().is_none()
            }) || public.ends_with('/'))
        {
            return bad(
                "server.public_url",
                "expected empty or an address like https://circle.example.com (no trailing /)",
            );
        }
        if !(0..=9).contains(&self.circles.first_day_images) {
            return bad("circles.first_day_images", "expected 0 to 9");
        }
        if !(quan_domain::RESERVE_MINUTES_MIN..=quan_domain::RESERVE_MINUTES_MAX)
            .contains(&self.commerce.reserve_minutes)
        {
            return bad("commerce.reserve_minutes", "expected 1 to 1440");
        }
        let secret = self.commerce.sandbox_secret.expose_secret();
        if !secret.is_empty() && !secret.starts_with("whsec_") {
            return bad(
                "commerce.sandbox_secret",
                "expected empty or whsec_ and base64",
            );
        }
        if !matches!(self.storage.blobs.as_str(), "disk" | "database") {
            return bad("storage.blobs", "expected disk or database");
        }
        if !matches!(self.log.format.as_str(), "text" | "json") {
            return bad("log.format", "expected text or json");
        }
        if !(1..=1000).contains(&self.database.max_connections) {
            return bad("database.max_connections", "1 to 1000");
        }
        if !(1024..=64 * 1024 * 1024).contains(&self.server.max_body_bytes) {
            return bad("server.max_body_bytes", "1024 to 67108864");
        }
        Ok(())
    }

    /// The database URL, defaulting to a SQLite file in the data directory.
    pub fn database_url(&self) -> String {
        let url = self.database.url.expose_secret();
        if url.is_empty() {
            format!(
                "sqlite://{}",
                self.server.data_dir.join("quan.db").display()
            )
        } else {
            url.to_owned()
        }
    }

    pub fn bus_url(&self) -> Option<String> {
        let u = self.bus.url.expose_secret();
        (!u.is_empty()).then(|| u.to_owned())
    }
}

/// The commented default configuration file (`quan config print-default`).
pub const DEFAULT_TOML: &str = r#"# Quan configuration. Every key is optional; these are the defaults.
# Environment variables override this file: QUAN__SECTION__KEY, e.g.
# QUAN__SERVER__BIND=0.0.0.0:8080 or QUAN__DATABASE__URL=postgres://...
# Unknown keys are errors.

[server]
# Address to listen on.
bind = "127.0.0.1:8080"
# Where the embedded SQLite database lives (and uploads, with storage.blobs = "disk").
data_dir = "data"
# Mark cookies Secure: set true when Quan is served over HTTPS.
secure_cookies = false
# The address people reach Quan at, for links they copy (invite links), such as
# "https://circle.example.com"; empty = the scheme and host of each request.
public_url = ""
# Largest request body accepted, in bytes.
max_body_bytes = 65536
# Seconds a request may take before it is answered 408.
request_timeout_secs = 30
# Seconds in-flight requests get to finish at shutdown.
shutdown_grace_secs = 20
# Load the demo org at start (idempotent).
demo = false
# Run the job worker (order releases, refunds, deliveries, rankings) on this node;
# false on nodes that only serve requests while another node runs the jobs.
job_worker = true

[database]
# sqlite://PATH or postgres://USER:PASSWORD@HOST:PORT/DB.
# Empty: SQLite at DATA_DIR/quan.db. Any other scheme is an error.
url = ""
# Connections for PostgreSQL, or reader connections for SQLite (SQLite has one writer).
max_connections = 16
# Apply pending migrations when `quan serve` starts.
migrate_on_start = true

[bus]
# Empty: in-process (one node). redis://HOST:PORT: Redis pub/sub, counters and rate
# limits shared by every node (cluster mode).
url = ""

[storage]
# Where uploaded images live: "disk" (files under DATA_DIR/blobs; in a cluster that
# directory must be shared) or "database" (the blobs table; every node reads it).
blobs = "disk"

[circles]
# Images a new member may upload to a circle on their first day (0 to 9); staff
# are not limited.
first_day_images = 3
# Whether this node drains the search queue into the index (posts become
# searchable by others within about a second; their authors find them at once).
# In a cluster, one node or all of them may run it.
search_indexer = true

[smtp]
# Outgoing e-mail for campaigns: smtp://HOST:PORT (a local relay), with
# USER:PASSWORD@ and ?tls=required for STARTTLS, or smtps://HOST. Empty: campaigns
# cannot choose e-mail.
url = ""
# The sender address; the staff member and org are its display name.
from = "noreply@quan.local"

[commerce]
# Minutes an unpaid order holds its stock before it is cancelled (1 to 1440).
reserve_minutes = 15
# Signs the sandbox payment provider's webhooks (whsec_ and base64). Empty: a fresh
# secret each start, fine for one node; every node of a cluster must share one.
sandbox_secret = ""

[log]
# "text" or "json".
format = "text"
# A tracing filter, e.g. "info" or "quan=debug,info".
filter = "info"
"#;

#[cfg(test)]
mod tests {
    use super::*;

    fn env(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(k, v)| ((*k).into(), (*v).into()))
            .collect()
    }

    #[test]
    fn default_file_matches_defaults() {
        let dir = tempfile::tempdir().map_err(|e| e.to_string());
        let Ok(dir) = dir else { panic!("tempdir") };
        let f = dir.path().join("q.toml");
        std::fs::write(&f, DEFAULT_TOML).unwrap_or_default();
        let s = Settings::load(Some(&f), &[], &Overrides::default()).map_err(|e| e.to_string());
        let d = Settings::default();
        let Ok(s) = s else { panic!("{s:?}") };
        assert_eq!(s.server.bind, d.server.bind);
        assert_eq!(s.database.max_connections, d.database.max_connections);
        assert_eq!(s.log.format, d.log.format);
    }

    #[test]
    fn precedence_file_env_flags() {
        let Ok(dir) = tempfile::tempdir() else {
            panic!("tempdir")
        };
        let f = dir.path().join("q.toml");
        std::fs::write(
            &f,
            "[server]\nbind = \"127.0.0.1:9000\"\ndata_dir = \"x\"\n",
        )
        .unwrap_or_default();
        let e = env(&[
            ("QUAN__SERVER__DATA_DIR", "y"),
            ("QUAN__LOG__FORMAT", "json"),
        ]);
        let s = Settings::load(
            Some(&f),
            &e,
            &Overrides {
                bind: Some("127.0.0.1:9100".into()),
                ..Default::default()
            },
        );
        let Ok(s) = s else { panic!("load") };
        assert_eq!(s.server.bind, "127.0.0.1:9100", "flag beats file");
        assert_eq!(s.server.data_dir, PathBuf::from("y"), "env beats file");
        assert_eq!(s.log.format, "json");
    }

    #[test]
    fn unknown_keys_and_bad_values_are_errors() {
        assert!(
            Settings::load(
                None,
                &env(&[("QUAN__SERVER__BINDD", "x")]),
                &Overrides::default()
            )
            .is_err()
        );
        assert!(
            Settings::load(None, &env(&[("QUAN__NOPE__X", "1")]), &Overrides::default()).is_err()
        );
        let e = Settings::load(
            None,
            &env(&[("QUAN__DATABASE__URL", "mysql://x/y")]),
            &Overrides::default(),
        );
        assert!(
            e.as_ref()
                .is_err_and(|e| e.to_string().contains("database.url")),
            "{e:?}"
        );
        assert!(
            Settings::load(
                None,
                &env(&[("QUAN__BUS__URL", "nats://x")]),
                &Overrides::default()
            )
            .is_err()
        );
        assert!(
            Settings::load(
                None,
                &env(&[("QUAN__SERVER__BIND", "nowhere")]),
                &Overrides::default()
            )
            .is_err()
        );
        for bad in [
            "circle.example.com",
            "ftp://x.example",
            "https://x.example/",
        ] {
            let e = Settings::load(
                None,
                &env(&[("QUAN__SERVER__PUBLIC_URL", bad)]),
                &Overrides::default(),
            );
            assert!(
                e.as_ref()
                    .is_err_and(|e| e.to_string().contains("server.public_url")),
                "{bad}: {e:?}"
            );
        }
        let ok = Settings::load(
            None,
            &env(&[("QUAN__SERVER__PUBLIC_URL", "https://circle.example.com")]),
            &Overrides::default(),
        );
        assert!(ok.is_ok_and(|s| s.server.public_url == "https://circle.example.com"));
    }

    #[test]
    fn secrets_are_redacted() {
        let e = env(&[(
            "QUAN__DATABASE__URL",
            "postgres://quan:hunter2@db:5432/quan",
        )]);
        let Ok(s) = Settings::load(None, &e, &Overrides::default()) else {
            panic!("load")
        };
        let dbg = format!("{s:?}");
        assert!(!dbg.contains("hunter2"), "{dbg}");
        assert!(dbg.contains("db:5432"));
    }
}
