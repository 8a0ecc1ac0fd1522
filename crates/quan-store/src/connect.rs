//! Opening the pools for a database URL, and running the embedded migrations.

use sqlx::any::{AnyConnectOptions, AnyPoolOptions};
use sqlx::migrate::{Migration, Migrator};
use sqlx::{AnyPool, Executor};
use std::borrow::Cow;
use std::str::FromStr;
use std::time::Duration;

/// Which engine a URL names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

impl Backend {
    /// Reads the scheme. Anything but sqlite and postgres is refused: a typo must never
    /// silently create a file somewhere.
    pub fn of_url(url: &str) -> Result<Self, ConnectError> {
        let scheme = url.split_once(':').map(|(s, _)| s).unwrap_or("");
        match scheme {
            "sqlite" => Ok(Backend::Sqlite),
            "postgres" | "postgresql" => Ok(Backend::Postgres),
            _ => Err(ConnectError::UnsupportedScheme(scheme.to_owned())),
        }
    }
    pub fn name(self) -> &'static str {
        match self {
            Backend::Sqlite => "sqlite",
            Backend::Postgres => "postgres",
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ConnectError {
    #[error("unsupported database URL scheme {0:?}: use sqlite://PATH or postgres://...")]
    UnsupportedScheme(String),
    #[error("could not create the database directory {path}: {source}")]
    Directory {
        path: String,
        #[source]
        source: std::io::Error,
    },
    #[error("could not connect to the database: {0}")]
    Connect(#[source] sqlx::Error),
    #[error("migration failed: {0}")]
    Migrate(#[source] sqlx::migrate::MigrateError),
}

/// Pool sizes and timeouts.
#[derive(Debug, Clone)]
pub struct ConnectOptions {
    /// Connections for PostgreSQL, or SQLite readers (SQLite always has one writer).
    pub max_connections: u32,
    pub acquire_timeout: Duration,
}

impl Default for ConnectOptions {
    fn default() -> Self {
        Self {
            max_connections: 16,
            acquire_timeout: Duration::from_secs(5),
        }
    }
}

pub(crate) struct Pools {
    pub write: AnyPool,
    pub read: AnyPool,
    /// SQLite's checkpointer's own connection (see [`checkpoints`]).
    pub checkpoint: Option<AnyPool>,
}

/// Makes the directory of a SQLite file and asks SQLite to create the file.
fn sqlite_url(url: &str) -> Result<String, ConnectError> {
    let rest = url.trim_start_matches("sqlite:").trim_start_matches("//");
    let (path, query) = rest.split_once('?').unwrap_or((rest, ""));
    if path != ":memory:"
        && let Some(parent) = std::path::Path::new(path)
            .parent()
            .filter(|p| !p.as_os_str().is_empty())
    {
        std::fs::create_dir_all(parent).map_err(|source| ConnectError::Directory {
            path: parent.display().to_string(),
            source,
        })?;
    }
    let mut q: Vec<&str> = query
        .split('&')
        .filter(|s| !s.is_empty() && !s.starts_with("mode="))
        .collect();
    q.push("mode=rwc");
    Ok(format!("sqlite://{path}?{}", q.join("&")))
}

pub(crate) async fn open(
    url: &str,
    opts: &ConnectOptions,
) -> Result<(Backend, Pools), ConnectError> {
    sqlx::any::install_default_drivers();
    let backend = Backend::of_url(url)?;
    match backend {
        Backend::Postgres => {
            let co = AnyConnectOptions::from_str(url).map_err(ConnectError::Connect)?;
            let pool = AnyPoolOptions::new()
                .max_connections(opts.max_connections)
                .acquire_timeout(opts.acquire_timeout)
                .after_connect(postgres_session)
                .connect_with(co)
                .await
                .map_err(ConnectError::Connect)?;
            Ok((
                backend,
                Pools {
                    write: pool.clone(),
                    read: pool,
                    checkpoint: None,
                },
            ))
        }
        Backend::Sqlite => {
            let url = sqlite_url(url)?;
            let co = AnyConnectOptions::from_str(&url).map_err(ConnectError::Connect)?;
            let write = AnyPoolOptions::new()
                .max_connections(1)
                .acquire_timeout(opts.acquire_timeout.max(Duration::from_secs(30)))
                .after_connect(sqlite_writer_pragmas)
                .connect_with(co.clone())
                .await
                .map_err(ConnectError::Connect)?;
            let checkpoint = if url.contains(":memory:") {
                None
            } else {
                let pool = AnyPoolOptions::new()
                    .max_connections(1)
                    .after_connect(sqlite_pragmas)
                    .connect_with(co.clone())
                    .await
                    .map_err(ConnectError::Connect)?;
                Some(pool)
            };
            let read = AnyPoolOptions::new()
                .max_connections(opts.max_connections.max(1))
                .acquire_timeout(opts.acquire_timeout)
                .after_connect(sqlite_pragmas)
                .connect_with(co)
                .await
                .map_err(ConnectError::Connect)?;
            Ok((
                backend,
                Pools {
                    write,
                    read,
                    checkpoint,
                },
            ))
        }
    }
}

type BoxFut<'c> =
    std::pin::Pin<Box<dyn std::future::Future<Output = Result<(), sqlx::Error>> + Send + 'c>>;

/// Per-connection settings for PostgreSQL. JIT off: it compiles any plan whose
/// estimated cost passes a threshold, which a campaign's preflight over 100,000
/// customers does, and spent 0.7 s compiling a query that ran in 1.1 s; Quan's
/// queries are short or set-based, and none gains from it.
fn postgres_session(
    c: &mut sqlx::AnyConnection,
    _: sqlx::pool::PoolConnectionMetadata,
) -> BoxFut<'_> {
    Box::pin(async move { c.execute("SET jit = off").await.map(|_| ()) })
}

/// Per-connection settings for SQLite as a server database.
fn sqlite_pragmas(
    c: &mut sqlx::AnyConnection,
    _: sqlx::pool::PoolConnectionMetadata,
) -> BoxFut<'_> {
    Box::pin(async move {
        // synchronous=NORMAL is durable against a crash of the process (kill -9): at
        // commit the WAL is in the OS's hands. Only a power cut can lose the last
        // transactions.
        //
        // mmap: in WAL mode every write by one connection makes the others drop their
        // page caches at their next read; with the file mapped, re-reading is a page
        // table lookup, not a copy (the post-write scenario measured the difference).
        c.execute(
            "PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; \
             PRAGMA foreign_keys = ON; PRAGMA busy_timeout = 5000; \
             PRAGMA mmap_size = 268435456;",
        )
        .await
        .map(|_| ())
    })
}

/// The writer's settings: SQLite's own settings, a page cache large enough that a
/// grouped transaction never spills dirty pages into the WAL before its commit, and
/// automatic checkpoints pushed far out: [`checkpoints`] runs them on its own
/// connection, so a commit never waits for a checkpoint's writes and fsync (the
/// post-write profile showed a third of the writer's time there). The far-out limit
/// stays as a safety net should the checkpointer fall behind.
fn sqlite_writer_pragmas(
    c: &mut sqlx::AnyConnection,
    meta: sqlx::pool::PoolConnectionMetadata,
) -> BoxFut<'_> {
    Box::pin(async move {
        sqlite_pragmas(c, meta).await?;
        c.execute("PRAGMA cache_size = -65536; PRAGMA wal_autocheckpoint = 50000;")
            .await
            .map(|_| ())
    })
}

/// How often the checkpointer copies the WAL back into the database file.
const CHECKPOINT_EVERY: Duration = Duration::from_millis(250);

/// Runs SQLite's checkpoints off the writer until `stop`'s senders are all gone
/// (the store was dropped). PASSIVE never waits for readers or the writer: it copies
/// what it can, and the writer restarts the WAL from the top once a checkpoint has
/// caught up.
pub(crate) async fn checkpoints(pool: AnyPool, mut stop: tokio::sync::mpsc::Receiver<()>) {
    let mut tick = tokio::time::interval(CHECKPOINT_EVERY);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            _ = stop.recv() => break,
            _ = tick.tick() => {
                if let Err(e) = sqlx::query("PRAGMA wal_checkpoint(PASSIVE)").execute(&pool).await {
                    tracing::debug!(error = %e, "checkpoint skipped");
                }
            }
        }
    }
    pool.close().await;
}

/// The portable migrations: one SQL for both engines.
static PORTABLE: Migrator = sqlx::migrate!("./migrations");
/// Migrations whose SQL one engine needs its own way (`WITHOUT ROWID` on SQLite),
/// each with its twin for the other engine under the same version.
static SQLITE_ONLY: Migrator = sqlx::migrate!("./migrations-sqlite");
static POSTGRES_ONLY: Migrator = sqlx::migrate!("./migrations-postgres");

/// Every migration an engine runs, portable and its own, in version order.
pub(crate) fn migrator(engine: Backend) -> Migrator {
    let own = match engine {
        Backend::Sqlite => &SQLITE_ONLY,
        Backend::Postgres => &POSTGRES_ONLY,
    };
    let mut all: Vec<Migration> = PORTABLE
        .migrations
        .iter()
        .chain(own.migrations.iter())
        .cloned()
        .collect();
    all.sort_by_key(|m| m.version);
    Migrator {
        migrations: Cow::Owned(all),
        ..Migrator::DEFAULT
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_engine_has_one_migration_per_version() {
        for engine in [Backend::Sqlite, Backend::Postgres] {
            let m = migrator(engine);
            let versions: Vec<i64> = m.migrations.iter().map(|m| m.version).collect();
            let mut unique = versions.clone();
            unique.dedup();
            assert_eq!(versions, unique, "{engine:?}");
            assert_eq!(versions.first(), Some(&1));
            assert_eq!(versions.last(), Some(&(versions.len() as i64)), "no gaps");
        }
        // The engine-specific ones come in twins.
        let twins = |m: &Migrator| m.migrations.iter().map(|m| m.version).collect::<Vec<_>>();
        assert_eq!(twins(&SQLITE_ONLY), twins(&POSTGRES_ONLY));
    }

    #[test]
    fn schemes() {
        assert_eq!(Backend::of_url("sqlite://x.db").ok(), Some(Backend::Sqlite));
        assert_eq!(
            Backend::of_url("postgres://h/db").ok(),
            Some(Backend::Postgres)
        );
        assert_eq!(
            Backend::of_url("postgresql://h/db").ok(),
            Some(Backend::Postgres)
        );
        assert!(Backend::of_url("mysql://h/db").is_err());
        assert!(Backend::of_url("data/quan.db").is_err());
    }

    #[test]
    fn sqlite_urls_get_create_mode() {
        let dir = std::env::temp_dir().join(format!("quan-url-{}", uuid::Uuid::now_v7()));
        let url = format!("sqlite://{}/q.db?cache=private&mode=ro", dir.display());
        let out = sqlite_url(&url).unwrap_or_default();
        assert!(out.ends_with("?cache=private&mode=rwc"), "{out}");
        assert!(dir.exists());
        let _ = std::fs::remove_dir_all(dir);
    }
}
