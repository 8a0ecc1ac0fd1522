//! `quan`: serve | migrate | demo | config | openapi | admin | import.

use anyhow::Context;
use clap::{Parser, Subcommand};
use quan::App;
use quan::settings::{DEFAULT_TOML, Overrides, Settings};
use quan_core::identity as uc;
use quan_domain::{DisplayName, Login, Password};
use std::path::PathBuf;

// The system allocator's malloc and free were a fifth of the server's CPU on a simple
// authenticated read (`perf`, api-read): a request makes many short-lived
// allocations, which mimalloc serves from per-thread free lists.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[derive(Parser, Debug)]
#[command(
    name = "quan",
    version,
    about = "Quan (圈): a self-hosted private-domain operations platform"
)]
struct Cli {
    /// A TOML configuration file (see `quan config print-default`).
    #[arg(long, global = true)]
    config: Option<PathBuf>,
    /// Log format: text or json.
    #[arg(long, global = true)]
    log_format: Option<String>,
    #[command(subcommand)]
    cmd: Cmd,
}

#[derive(Subcommand, Debug)]
enum Cmd {
    /// Run the server.
    Serve {
        /// Address to listen on (default 127.0.0.1:8080).
        #[arg(long)]
        bind: Option<String>,
        /// Directory for the embedded database (default ./data).
        #[arg(long)]
        data_dir: Option<PathBuf>,
        /// Load the demo org at start (idempotent).
        #[arg(long)]
        demo: bool,
    },
    /// Apply pending database migrations and exit.
    Migrate {
        #[arg(long)]
        data_dir: Option<PathBuf>,
    },
    /// Load the demo org and exit.
    Demo {
        #[arg(long)]
        data_dir: Option<PathBuf>,
    },
    /// Configuration helpers.
    Config {
        #[command(subcommand)]
        cmd: ConfigCmd,
    },
    /// Print the OpenAPI document.
    Openapi,
    /// Import data from files.
    Import {
        #[arg(long, global = true)]
        data_dir: Option<PathBuf>,
        #[command(subcommand)]
        cmd: ImportCmd,
    },
    /// Operator tasks.
    Admin {
        #[arg(long, global = true)]
        data_dir: Option<PathBuf>,
        #[command(subcommand)]
        cmd: AdminCmd,
    },
}

#[derive(Subcommand, Debug)]
enum ImportCmd {
    /// Contacts from a CSV file (UTF-8; columns name, phone, email, staff, tags —
    /// staff by login, tags separated by `|`). Rows that cannot import are listed
    /// by line; importing the same file again adds nothing.
    Contacts {
        file: PathBuf,
        /// The org's id; may be left out when there is only one org.
        #[arg(long)]
        org: Option<String>,
    },
}

#[derive(Subcommand, Debug)]
enum ConfigCmd {
    /// Print a commented default configuration file.
    PrintDefault,
    /// Print the effective configuration (secrets redacted).
    Print,
}

#[derive(Subcommand, Debug)]
enum AdminCmd {
    /// Create an account.
    CreateUser {
        /// E-mail address or phone number.
        #[arg(long)]
        login: String,
        #[arg(long)]
        name: String,
        /// The password; read from QUAN_PASSWORD if omitted.
        #[arg(long, env = "QUAN_PASSWORD", hide_env_values = true)]
        password: String,
    },
    /// Set an account's password and end its sessions.
    ResetPassword {
        #[arg(long)]
        login: String,
        #[arg(long, env = "QUAN_PASSWORD", hide_env_values = true)]
        password: String,
    },
    /// List every org with its staff count.
    ListOrgs,
    /// Fill a BENCHMARK data directory with a campaign-plan data set (an org of sales
    /// staff and customers, half with budget used, and an owner session); prints JSON.
    #[command(hide = true)]
    BenchSeedReach {
        #[arg(long, default_value_t = 1_000_000)]
        customers: usize,
        #[arg(long, default_value_t = 200)]
        staff: usize,
    },
    /// Fill a BENCHMARK data directory with a welcome-latency data set (an org whose
    /// staff share a channel code with a welcome, and signed-in members who are no
    /// one's customer yet); prints JSON.
    #[command(hide = true)]
    BenchSeedWelcome {
        #[arg(long, default_value_t = 6_000)]
        members: usize,
        #[arg(long, default_value_t = 20)]
        staff: usize,
    },
    /// Add to a BENCHMARK data directory `count` accounts with sessions (a flash
    /// sale's crowd); prints JSON with their session secrets.
    #[command(hide = true)]
    BenchSeedBuyers {
        #[arg(long, default_value_t = 10_000)]
        count: usize,
    },
    /// Fill a BENCHMARK data directory with an org whose leaders' pickup points are
    /// read from a file of `lat_e6,lon_e6,radius_m` lines, and a buyer with a
    /// session; prints JSON.
    #[command(hide = true)]
    BenchSeedLeaders {
        #[arg(long)]
        from: PathBuf,
    },
    /// Fill a BENCHMARK data directory with a feed-read data set (an org of circles,
    /// members, posts, likes, and sessions for the first viewers); prints JSON.
    #[command(hide = true)]
    BenchSeed {
        #[arg(long, default_value_t = 1_000_000)]
        posts: usize,
        #[arg(long, default_value_t = 1_000)]
        circles: usize,
        #[arg(long, default_value_t = 100_000)]
        members: usize,
        #[arg(long, default_value_t = 64)]
        viewers: usize,
        /// Viewers with a history window (their feeds bypass the shared page cache).
        #[arg(long)]
        private_viewers: bool,
    },
}

fn init_tracing(s: &Settings) {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(&s.log.filter));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_target(false);
    if s.log.format == "json" {
        builder.json().flatten_event(true).init();
    } else {
        builder.init();
    }
}

fn load(cli: &Cli, o: Overrides) -> anyhow::Result<Settings> {
    let env: Vec<(String, String)> = std::env::vars().collect();
    let o = Overrides {
        log_format: cli.log_format.clone(),
        ..o
    };
    Ok(Settings::load(cli.config.as_deref(), &env, &o)?)
}

fn dir(d: &Option<PathBuf>) -> Overrides {
    Overrides {
        data_dir: d.clone(),
        ..Default::default()
    }
}

fn parsed<T>(r: Result<T, quan_domain::ParseError>) -> anyhow::Result<T> {
    r.map_err(|e| anyhow::anyhow!(e))
}

#[tokio::main]
async fn main() {
    // One readable line per failure, with its causes; no backtrace for users.
    if let Err(e) = run(Cli::parse()).await {
        eprintln!("quan: {e:#}");
        std::process::exit(1);
    }
}

async fn run(cli: Cli) -> anyhow::Result<()> {
    match &cli.cmd {
        Cmd::Config {
            cmd: ConfigCmd::PrintDefault,
        } => {
            print!("{DEFAULT_TOML}");
            return Ok(());
        }
        Cmd::Openapi => {
            println!("{}", quan_web::api::openapi().to_pretty_json()?);
            return Ok(());
        }
        _ => {}
    }
    let settings = match &cli.cmd {
        Cmd::Serve {
            bind,
            data_dir,
            demo,
        } => load(
            &cli,
            Overrides {
                bind: bind.clone(),
                data_dir: data_dir.clone(),
                demo: *demo,
                log_format: None,
            },
        )?,
        Cmd::Migrate { data_dir }
        | Cmd::Demo { data_dir }
        | Cmd::Admin { data_dir, .. }
        | Cmd::Import { data_dir, .. } => load(&cli, dir(data_dir))?,
        _ => load(&cli, Overrides::default())?,
    };
    init_tracing(&settings);
    match cli.cmd {
        Cmd::Config {
            cmd: ConfigCmd::Print,
        } => println!("{settings:#?}"),
        Cmd::Serve { .. } => {
            let listener = tokio::net::TcpListener::bind(&settings.server.bind)
                .await
                .with_context(|| format!("binding {}", settings.server.bind))?;
            let app = App::build_default(settings).await?;
            if app.settings.server.demo && quan::demo::load(&app.services).await? {
                tracing::info!(
                    login = quan::demo::DEMO_OWNER,
                    password = quan::demo::DEMO_PASSWORD,
                    "demo org loaded"
                );
            }
            tracing::info!(addr = %listener.local_addr()?, store = app.services.store.backend_name(), bus = app.services.bus.name(), "Quan is serving at http://{}", listener.local_addr()?);
            quan::run(listener, app, quan::shutdown_signal()).await?;
        }
        Cmd::Migrate { .. } => {
            let mut s = settings;
            s.database.migrate_on_start = true;
            let app = App::build_default(s).await?;
            app.services.store.close().await;
            println!("migrations applied");
        }
        Cmd::Demo { .. } => {
            let app = App::build_default(settings).await?;
            let loaded = quan::demo::load(&app.services).await?;
            app.services.store.close().await;
            println!(
                "{}",
                if loaded {
                    "demo org loaded"
                } else {
                    "demo org already present"
                }
            );
        }
        Cmd::Admin { cmd, .. } => {
            let app = App::build_default(settings).await?;
            let svc = &app.services;
            match cmd {
                AdminCmd::CreateUser {
                    login,
                    name,
                    password,
                } => {
                    let me = uc::sign_up(
                        svc,
                        uc::SignUp {
                            login: parsed(Login::parse(&login))?,
                            password: parsed(Password::parse(&password))?,
                            display_name: parsed(DisplayName::parse(&name))?,
                        },
                    )
                    .await?;
                    println!("created account {}", me.id);
                }
                AdminCmd::ResetPassword { login, password } => {
                    let id = uc::reset_password(
                        svc,
                        &parsed(Login::parse(&login))?,
                        &parsed(Password::parse(&password))?,
                    )
                    .await?;
                    println!("password reset for account {id}; its sessions were ended");
                }
                AdminCmd::BenchSeed {
                    posts,
                    circles,
                    members,
                    viewers,
                    private_viewers,
                } => {
                    let opts = quan_store::bench::SeedOptions {
                        circles,
                        members,
                        posts,
                        viewers,
                        private_viewers,
                    };
                    let report = quan_store::bench::seed_feed(&app.store, &opts).await?;
                    println!("{}", serde_json::to_string(&report)?);
                }
                AdminCmd::BenchSeedReach { customers, staff } => {
                    let report =
                        quan_store::bench_reach::seed_reach(&app.store, customers, staff).await?;
                    println!("{}", serde_json::to_string(&report)?);
                }
                AdminCmd::BenchSeedWelcome { members, staff } => {
                    let report =
                        quan_store::bench_reach::seed_welcome(&app.store, members, staff).await?;
                    println!("{}", serde_json::to_string(&report)?);
                }
                AdminCmd::BenchSeedLeaders { from } => {
                    let points = read_points(&from)?;
                    let report = quan_store::bench_geo::seed_leaders(&app.store, &points).await?;
                    println!("{}", serde_json::to_string(&report)?);
                }
                AdminCmd::BenchSeedBuyers { count } => {
                    let report =
                        quan_store::bench::seed_buyers(&app.store, count.clamp(1, 1_000_000))
                            .await?;
                    println!("{}", serde_json::to_string(&report)?);
                }
                AdminCmd::ListOrgs => {
                    for (org, staff) in svc.store.org_list_all().await? {
                        println!("{}\t{}\tstaff={}", org.id, org.name, staff);
                    }
                }
            }
            svc.store.close().await;
        }
        Cmd::Import {
            cmd: ImportCmd::Contacts { file, org },
            ..
        } => import_contacts(settings, &file, org.as_deref()).await?,
        Cmd::Config {
            cmd: ConfigCmd::PrintDefault,
        }
        | Cmd::Openapi => {}
    }
    Ok(())
}

/// `quan import contacts`: the file is checked whole first (nothing is written if it
/// cannot be read), then imported as the org's first owner with a progress bar.
async fn import_contacts(
    settings: Settings,
    file: &std::path::Path,
    org: Option<&str>,
) -> anyhow::Result<()> {
    use quan_core::reach::import;
    let bytes = std::fs::read(file).with_context(|| format!("reading {}", file.display()))?;
    let rows = import::parse(&bytes)
        .map_err(|e| anyhow::anyhow!("{}: {e}; nothing was imported", file.display()))?;
    let app = App::build_default(settings).await?;
    let svc = &app.services;
    let orgs = svc.store.org_list_all().await?;
    let org = match org {
        Some(id) => parsed(quan_domain::OrgId::parse(id))?,
        None => match orgs.as_slice() {
            [(only, _)] => only.id,
            _ => anyhow::bail!(
                "there are {} orgs: name one with --org (see `quan admin list-orgs`)",
                orgs.len()
            ),
        },
    };
    let staff = svc
        .store
        .staff_list(org, &quan_core::PageRequest::first(200))
        .await?;
    let owner = staff
        .items
        .iter()
        .find(|s| s.role == quan_domain::Role::Owner)
        .context("no such org, or it has no owner")?;
    let account = svc
        .store
        .account_get(owner.account_id)
        .await?
        .context("the owner's account is gone")?;
    let actor = quan_core::access::Actor::Session {
        account: quan_core::access::Me::from(&account),
        session: quan_domain::SessionId::new(),
    };
    let access = quan_core::access::org_access(svc, &actor, org).await?;
    let bar = indicatif::ProgressBar::new(u64::try_from(rows.len()).unwrap_or(u64::MAX));
    bar.set_style(
        indicatif::ProgressStyle::with_template("{bar:40} {pos}/{len} rows {eta}")
            .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
    );
    let report = import::run(svc, &access, &rows, &mut |done, _| {
        bar.set_position(u64::try_from(done).unwrap_or(u64::MAX));
    })
    .await?;
    bar.finish_and_clear();
    println!(
        "{} rows: {} contacts added ({} new persons), {} already there, {} refused",
        report.rows,
        report.contacts_added,
        report.persons_created,
        report.unchanged,
        report.errors.len()
    );
    for e in &report.errors {
        println!("line {}: {} ({})", e.line, e.message, e.code);
    }
    svc.store.close().await;
    Ok(())
}

/// `lat_e6,lon_e6,radius_m` lines (the load tool's pickup points), at most ten million.
fn read_points(path: &std::path::Path) -> anyhow::Result<Vec<(i64, i64, i64)>> {
    let text =
        std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
    text.lines()
        .filter(|l| !l.trim().is_empty())
        .take(10_000_000)
        .map(|l| {
            let mut f = l.split(',').map(|v| v.trim().parse::<i64>());
            match (f.next(), f.next(), f.next()) {
                (Some(Ok(a)), Some(Ok(b)), Some(Ok(c))) => Ok((a, b, c)),
                _ => anyhow::bail!("not a lat_e6,lon_e6,radius_m line: {l}"),
            }
        })
        .collect()
}
