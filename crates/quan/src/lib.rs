//! The `quan` binary's library half: settings, wiring of ports to implementations,
//! the server's run loop with graceful shutdown, and the demo data. Tests and the
//! load tool start Quan through [`App::build`] and [`run`], exactly as `quan serve`
//! does.

pub mod demo;
pub mod settings;

use anyhow::Context;
use quan_core::{Clock, Services, SystemClock};
use quan_infra::{MemoryBus, MemoryCounters, MemoryGate, MemoryRateLimiter, RedisBackend};
use quan_store::{ConnectOptions, SqlStore};
use secrecy::ExposeSecret;
use settings::Settings;
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;

/// A wired Quan node: services behind ports and the HTTP router.
pub struct App {
    pub services: Services,
    pub store: SqlStore,
    pub router: axum::Router,
    pub settings: Settings,
}

impl App {
    /// Connects the store and the bus named by `settings`, migrates if configured,
    /// and builds the router. `clock` is the system clock except in tests.
    pub async fn build(settings: Settings, clock: Arc<dyn Clock>) -> anyhow::Result<Self> {
        let url = settings.database_url();
        let store = SqlStore::connect(
            &url,
            &ConnectOptions {
                max_connections: settings.database.max_connections,
                ..Default::default()
            },
        )
        .await
        .with_context(|| {
            format!(
                "opening the {} database",
                quan_store::Backend::of_url(&url).map_or("?", |b| b.name())
            )
        })?;
        if settings.database.migrate_on_start {
            store.migrate().await.context("migrating the database")?;
        }
        // Uploaded files: under the data directory (which a cluster must share), or in
        // the database every node already shares.
        let blobs: Arc<dyn quan_core::BlobStore> = match settings.storage.blobs.as_str() {
            "database" => Arc::new(store.clone()),
            _ => Arc::new(quan_infra::DiskBlobStore::new(
                settings.server.data_dir.join("blobs"),
            )),
        };
        let rules = quan_core::Rules {
            first_day_images: settings.circles.first_day_images,
        };
        let outbound = quan_core::Outbound {
            mailer: if settings.smtp.url.expose_secret().is_empty() {
                None
            } else {
                let from = if settings.smtp.from.is_empty() {
                    "noreply@quan.local"
                } else {
                    settings.smtp.from.as_str()
                };
                let m = quan_infra::SmtpMailer::new(settings.smtp.url.expose_secret(), from)
                    .map_err(anyhow::Error::msg)?;
                Some(Arc::new(m) as Arc<dyn quan_core::Mailer>)
            },
            webhooks: Arc::new(quan_infra::HttpWebhooks::new().map_err(anyhow::Error::msg)?),
            public_url: if settings.server.public_url.is_empty() {
                format!("http://{}", settings.server.bind)
            } else {
                settings.server.public_url.trim_end_matches('/').to_owned()
            },
        };
        if outbound.mailer.is_some() && settings.server.public_url.is_empty() {
            // Links written into e-mails must work where the reader is.
            tracing::warn!(
                public_url = %outbound.public_url,
                "server.public_url is not set: e-mailed links point at the bind address"
            );
        }
        let sandbox_secret = match settings.commerce.sandbox_secret.expose_secret() {
            "" => quan_core::commerce::sandbox::new_secret(),
            s => s.to_owned(),
        };
        let commerce = quan_core::commerce::CommerceConfig {
            reserve_minutes: settings.commerce.reserve_minutes,
            sandbox_secret: sandbox_secret.clone(),
        };
        let payments: Arc<dyn quan_core::PaymentProvider> = Arc::new(
            quan_core::commerce::sandbox::SandboxProvider::new(
                Arc::new(store.clone()),
                Arc::clone(&clock),
                &sandbox_secret,
                &outbound.public_url,
            )
            .map_err(anyhow::Error::msg)?,
        );
        let services = match settings.bus_url() {
            None => Services {
                store: Arc::new(store.clone()),
                bus: Arc::new(MemoryBus::default()),
                counters: Arc::new(MemoryCounters::default()),
                limiter: Arc::new(MemoryRateLimiter::default()),
                clock,
                auth: Arc::default(),
                feed: Arc::default(),
                blobs: blobs.clone(),
                visits: Arc::default(),
                rules,
                outbound: outbound.clone(),
                payments: Arc::clone(&payments),
                commerce: commerce.clone(),
                gate: Arc::new(MemoryGate::default()),
                flash: Arc::default(),
                pickups: Arc::default(),
            },
            Some(bus_url) => {
                let redis = RedisBackend::connect(&bus_url)
                    .await
                    .context("connecting to the bus")?;
                Services {
                    store: Arc::new(store.clone()),
                    bus: Arc::new(redis.clone()),
                    counters: Arc::new(redis.clone()),
                    limiter: Arc::new(redis.clone()),
                    gate: Arc::new(redis),
                    flash: Arc::default(),
                    pickups: Arc::default(),
                    clock,
                    auth: Arc::default(),
                    feed: Arc::default(),
                    blobs: blobs.clone(),
                    visits: Arc::default(),
                    rules,
                    outbound,
                    payments,
                    commerce,
                }
            }
        };
        // Buyers are matched to pickup points from memory: built before serving,
        // after subscribing to changes, so none made meanwhile is missed.
        let changes = quan_core::local::index::subscribe(services.bus.as_ref());
        let t = std::time::Instant::now();
        let points = services
            .pickups
            .load(services.store.as_ref())
            .await
            .context("building the pickup-point index")?;
        tracing::info!(
            points,
            ms = t.elapsed().as_millis(),
            "pickup-point index built"
        );
        tokio::spawn(quan_core::local::index::listen(
            Arc::clone(&services.pickups),
            Arc::clone(&services.store),
            Arc::clone(&services.bus),
            changes,
        ));
        tokio::spawn(quan_core::access::cache::listen(
            Arc::clone(&services.auth),
            Arc::clone(&services.bus),
        ));
        let web = quan_web::WebConfig {
            secure_cookies: settings.server.secure_cookies,
            public_url: Some(settings.server.public_url.clone()).filter(|u| !u.is_empty()),
            max_body_bytes: settings.server.max_body_bytes,
            request_timeout: Duration::from_secs(settings.server.request_timeout_secs),
        };
        let router = quan_web::router(quan_web::AppState::new(services.clone(), &web), &web);
        Ok(Self {
            services,
            store,
            router,
            settings,
        })
    }

    /// Builds with the wall clock.
    pub async fn build_default(settings: Settings) -> anyhow::Result<Self> {
        Self::build(settings, Arc::new(SystemClock)).await
    }
}

/// Serves `app` on `listener` until `shutdown` resolves, then lets in-flight requests
/// finish (up to the configured grace), stops the job worker and the search indexer
/// and closes the store.
pub async fn run(
    listener: TcpListener,
    app: App,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> anyhow::Result<()> {
    let stop = CancellationToken::new();
    let worker = app.settings.server.job_worker.then(|| {
        tokio::spawn(quan_core::jobs::worker(
            app.services.clone(),
            Duration::from_secs(5),
            stop.clone(),
        ))
    });
    let indexer = app.settings.circles.search_indexer.then(|| {
        tokio::spawn(quan_core::search::indexer(
            app.services.clone(),
            stop.clone(),
        ))
    });
    let grace = Duration::from_secs(app.settings.server.shutdown_grace_secs);
    let stop_http = stop.clone();
    // When the stop was asked for: the grace is counted from it, for everything.
    let asked = Arc::new(std::sync::OnceLock::new());
    let asked_at = Arc::clone(&asked);
    let signal = async move {
        shutdown.await;
        let _ = asked_at.set(std::time::Instant::now());
        tracing::info!("shutting down: finishing in-flight requests");
        stop_http.cancel();
    };
    let service = app
        .router
        .into_make_service_with_connect_info::<std::net::SocketAddr>();
    let server = axum::serve(listener, service).with_graceful_shutdown(signal);
    let drained = async {
        stop.cancelled().await;
        tokio::time::sleep(grace).await;
    };
    tokio::select! {
        r = server => r.context("serving HTTP")?,
        () = drained => tracing::warn!("grace period over; dropping remaining connections"),
    }
    // Orders promised by early answers are written before the store closes,
    // within what is left of the grace.
    let left = asked.get().map_or(grace, |t: &std::time::Instant| {
        grace.saturating_sub(t.elapsed())
    });
    if !app.services.flash.drain(left).await {
        tracing::warn!("grace period over; flash-sale orders still being written are dropped");
    }
    for task in [worker, indexer].into_iter().flatten() {
        let _ = task.await;
    }
    app.services.store.close().await;
    tracing::info!("stopped cleanly");
    Ok(())
}

/// Resolves on Ctrl-C or SIGTERM.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        if tokio::signal::ctrl_c().await.is_err() {
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = term => {},
    }
}
