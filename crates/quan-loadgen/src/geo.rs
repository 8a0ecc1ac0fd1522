//! `geo-nearest`: a buyer's nearest covering pickup point among a million (100,000
//! with --quick), three ways over the same points: Quan's index in process (the
//! very `PickupIndex` a node keeps), Quan over HTTP (a node started on a store
//! seeded with those points, which builds its index at start), and PostgreSQL
//! with PostGIS doing the same KNN query (nearest first, within the point's own
//! radius, 5 km at most) over a GiST index, measured in the same run. PostGIS is
//! installed from Debian's packages when missing.
//!
//! The points cluster around forty real cities (a chain's pickup points are where
//! people live, within 40 km of a centre), radii 1 to 5 km; buyers stand within
//! 60 km, so some are served and some are not (the hit rates are reported).

use crate::seeded::{PgDb, run_seed, serve};
use crate::{Measure, Req, cores, drive_each, median, quan_binary, report_run, round};
use anyhow::{Context, bail};
use quan_core::local::index::PickupIndex;
use quan_core::local::port::LeaderRecord;
use quan_domain::{GeoPoint, LeaderId, OrgId, PickupKind, Timestamp};
use serde_json::{Value, json};
use std::io::Write;
use std::process::Command;
use std::time::{Duration, Instant};

/// City centres (lat, lon) the points gather around.
const CITIES: [(f64, f64); 40] = [
    (30.2741, 120.1551),
    (31.2304, 121.4737),
    (32.0603, 118.7969),
    (31.2989, 120.5853),
    (39.9042, 116.4074),
    (23.1291, 113.2644),
    (22.5431, 114.0579),
    (30.5728, 104.0668),
    (30.5928, 114.3055),
    (34.3416, 108.9398),
    (29.5630, 106.5516),
    (36.0671, 120.3826),
    (38.0428, 114.5149),
    (28.2282, 112.9388),
    (26.0745, 119.2965),
    (24.4798, 118.0894),
    (25.0389, 102.7183),
    (26.6470, 106.6302),
    (36.6512, 117.1201),
    (34.7466, 113.6254),
    (41.8057, 123.4315),
    (43.8171, 125.3235),
    (45.8038, 126.5350),
    (31.8206, 117.2272),
    (28.6820, 115.8579),
    (22.8170, 108.3669),
    (20.0440, 110.1999),
    (37.8706, 112.5489),
    (40.8426, 111.7492),
    (36.0611, 103.8343),
    (38.4872, 106.2309),
    (43.8256, 87.6168),
    (29.8683, 121.5440),
    (30.0304, 120.5800),
    (28.0006, 120.6994),
    (31.4912, 120.3119),
    (32.3942, 119.4129),
    (23.0205, 113.7518),
    (22.2707, 113.5767),
    (39.0842, 117.2009),
];
/// Buyers asked about, cycled through.
const QUERIES: usize = 20_000;
/// Lookups timed one by one in process.
const TIMED: usize = 200_000;

/// xorshift64*: the same points every run, without a dependency.
struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    fn unit(&mut self) -> f64 {
        #[allow(clippy::cast_precision_loss)]
        let x = (self.next() >> 11) as f64 / (1u64 << 53) as f64;
        x
    }
    /// A place within `km` of a random city, denser near its centre.
    fn near_city(&mut self, km: f64) -> anyhow::Result<GeoPoint> {
        #[allow(clippy::cast_possible_truncation)]
        let (lat, lon) = CITIES[(self.next() % CITIES.len() as u64) as usize];
        let r = km * self.unit() * self.unit().sqrt();
        let a = self.unit() * std::f64::consts::TAU;
        let dlat = r * a.sin() / 111.2;
        let dlon = r * a.cos() / (111.2 * lat.to_radians().cos());
        Ok(GeoPoint::new(lat + dlat, lon + dlon)?)
    }
}

/// A pickup point's place and service radius in metres.
type Placed = (GeoPoint, i64);

/// `n` points with radii, and the buyers to ask about.
fn generate(n: usize) -> anyhow::Result<(Vec<Placed>, Vec<GeoPoint>)> {
    let mut rng = Rng(0x0CA7_10CA_7E5E_ED01);
    let mut points = Vec::with_capacity(n);
    for _ in 0..n {
        let at = rng.near_city(40.0)?;
        // Most serve the default 3 km; some 1 km, some 5 km.
        let radius = [1_000, 2_000, 3_000, 3_000, 3_000, 4_000, 5_000][(rng.next() % 7) as usize];
        points.push((at, radius));
    }
    let queries = (0..QUERIES)
        .map(|_| rng.near_city(60.0))
        .collect::<anyhow::Result<_>>()?;
    Ok((points, queries))
}

fn record(org: OrgId, (at, radius_m): Placed) -> LeaderRecord {
    LeaderRecord {
        id: LeaderId::new(),
        org_id: org,
        account_id: None,
        name: String::new(),
        phone: String::new(),
        point_name: String::new(),
        address: String::new(),
        location: at,
        kind: PickupKind::ParcelStation,
        hours: String::new(),
        radius_m,
        capacity: 200,
        commission_bp: 500,
        online: true,
        stand_in: None,
        active: true,
        created_at: Timestamp::from_millis(0),
        updated_at: Timestamp::from_millis(0),
    }
}

/// Percentile `p` (0–100) of sorted nanoseconds, in milliseconds.
fn pct_ms(sorted: &[u64], p: usize) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let i = (sorted.len() * p / 100).min(sorted.len() - 1);
    #[allow(clippy::cast_precision_loss)]
    let ms = sorted[i] as f64 / 1e6;
    ms
}

/// The index in this process: build time, per-lookup p50/p99 on one thread, and
/// lookups/s on every core at once.
fn in_process(points: &[Placed], queries: &[GeoPoint]) -> Value {
    let org = OrgId::new();
    let t = Instant::now();
    let index = PickupIndex::default();
    index.replace_all(points.iter().map(|p| record(org, *p)));
    let build_ms = t.elapsed().as_secs_f64() * 1e3;
    let mut lat = Vec::with_capacity(TIMED);
    let mut hits = 0usize;
    for q in queries.iter().cycle().take(TIMED) {
        let t = Instant::now();
        let m = index.nearest(org, *q);
        lat.push(u64::try_from(t.elapsed().as_nanos()).unwrap_or(u64::MAX));
        hits += usize::from(m.is_some());
    }
    lat.sort_unstable();
    let window = Duration::from_secs(2);
    let counts: Vec<usize> = std::thread::scope(|s| {
        let workers: Vec<_> = (0..cores())
            .map(|w| {
                let index = &index;
                s.spawn(move || {
                    let end = Instant::now() + window;
                    let mut n = 0usize;
                    let mut i = w * 7_919;
                    while Instant::now() < end {
                        for _ in 0..64 {
                            std::hint::black_box(index.nearest(org, queries[i % queries.len()]));
                            i += 1;
                        }
                        n += 64;
                    }
                    n
                })
            })
            .collect();
        workers.into_iter().map(|w| w.join().unwrap_or(0)).collect()
    });
    #[allow(clippy::cast_precision_loss)]
    let qps = counts.iter().sum::<usize>() as f64 / window.as_secs_f64();
    #[allow(clippy::cast_precision_loss)]
    let hit_rate = hits as f64 / TIMED as f64;
    json!({
        "p50_ms": round(pct_ms(&lat, 50), 4),
        "p99_ms": round(pct_ms(&lat, 99), 4),
        "qps": round(qps, 0),
        "build_ms": round(build_ms, 0),
        "hit_rate": round(hit_rate, 3),
        "threads": cores(),
    })
}

/// Writes the points as `lat_e6,lon_e6,radius_m` lines (what the seed and `\copy` read).
fn write_points(path: &std::path::Path, points: &[Placed]) -> anyhow::Result<()> {
    let mut f = std::io::BufWriter::new(std::fs::File::create(path)?);
    for (p, r) in points {
        writeln!(f, "{},{},{r}", p.lat_e6(), p.lon_e6())?;
    }
    f.flush()?;
    Ok(())
}

fn psql(url: &str, sql: &str) -> anyhow::Result<String> {
    let out = Command::new("psql")
        .arg(url)
        .args(["-qAt", "-v", "ON_ERROR_STOP=1", "-c", sql])
        .output()
        .context("psql is needed for the PostGIS reference")?;
    if !out.status.success() {
        bail!("psql: {sql}: {}", String::from_utf8_lossy(&out.stderr));
    }
    Ok(String::from_utf8_lossy(&out.stdout).trim().to_owned())
}

/// Makes PostGIS available in `url`'s database, installing Debian's package for
/// the server's major version when the extension is missing.
fn ensure_postgis(url: &str) -> anyhow::Result<String> {
    if psql(url, "CREATE EXTENSION IF NOT EXISTS postgis").is_err() {
        let num: u32 = psql(url, "SHOW server_version_num")?.parse()?;
        let pkg = format!("postgresql-{}-postgis-3", num / 10_000);
        eprintln!("geo-nearest: installing {pkg} for the PostGIS reference");
        let ok = Command::new("apt-get")
            .args(["install", "-y", "-qq", &pkg])
            .env("DEBIAN_FRONTEND", "noninteractive")
            .status()
            .context("apt-get")?
            .success();
        if !ok {
            bail!("could not install {pkg}");
        }
        psql(url, "CREATE EXTENSION IF NOT EXISTS postgis")?;
    }
    psql(url, "SELECT postgis_lib_version()")
}

/// PostGIS answering the same question over the same points at `conns` connections.
async fn postgis(
    pg: &str,
    csv: &std::path::Path,
    queries: &[GeoPoint],
    (conns, secs, runs): (usize, u64, usize),
) -> anyhow::Result<Value> {
    let db = PgDb::create(pg)?;
    let url = db.url(pg);
    let version = ensure_postgis(&url)?;
    let t = Instant::now();
    psql(
        &url,
        "CREATE TABLE pts (id BIGSERIAL PRIMARY KEY, lat_e6 BIGINT, lon_e6 BIGINT, radius_m INT)",
    )?;
    psql(
        &url,
        &format!(
            "\\copy pts (lat_e6, lon_e6, radius_m) FROM '{}' WITH (FORMAT csv)",
            csv.display()
        ),
    )?;
    psql(&url, "ALTER TABLE pts ADD COLUMN g geography(Point, 4326)")?;
    psql(
        &url,
        "UPDATE pts SET g = ST_SetSRID(ST_MakePoint(lon_e6 / 1e6, lat_e6 / 1e6), 4326)::geography",
    )?;
    psql(&url, "CREATE INDEX pts_g ON pts USING GIST (g)")?;
    psql(&url, "VACUUM ANALYZE pts")?;
    let load_s = t.elapsed().as_secs_f64();
    let pool = sqlx::postgres::PgPoolOptions::new()
        .max_connections(u32::try_from(conns.min(16)).unwrap_or(16))
        .connect(&url)
        .await?;
    // Nearest first by the GiST index, within 5 km, the first whose own radius covers.
    let sql = "SELECT id FROM pts \
               WHERE ST_DWithin(g, ST_MakePoint($2, $1)::geography, 5000, false) \
                 AND ST_DWithin(g, ST_MakePoint($2, $1)::geography, radius_m, false) \
               ORDER BY g <-> ST_MakePoint($2, $1)::geography LIMIT 1";
    let mut measured = Vec::new();
    for run in 0..runs {
        let m = knn_run(&pool, sql, queries, conns, secs).await?;
        eprintln!("run {}/{runs}: postgis {m}", run + 1);
        measured.push(m);
    }
    pool.close().await;
    drop(db);
    let mut m = median_by_qps(measured);
    m["name"] = json!("postgis");
    m["version"] = json!(version);
    m["load_s"] = json!(round(load_s, 1));
    m["connections"] = json!(conns);
    m["runs"] = json!(runs);
    Ok(m)
}

/// The run whose `qps` is the median of `runs`.
fn median_by_qps(mut runs: Vec<Value>) -> Value {
    runs.sort_by(|a, b| {
        let q = |v: &Value| v["qps"].as_f64().unwrap_or(0.0);
        q(a).total_cmp(&q(b))
    });
    let mid = runs.len() / 2;
    runs.into_iter().nth(mid).unwrap_or(Value::Null)
}

/// One timed run of the KNN query at `conns` connections for `secs`.
async fn knn_run(
    pool: &sqlx::PgPool,
    sql: &'static str,
    queries: &[GeoPoint],
    conns: usize,
    secs: u64,
) -> anyhow::Result<Value> {
    let end = Instant::now() + Duration::from_secs(secs);
    let mut tasks = Vec::new();
    for c in 0..conns {
        let pool = pool.clone();
        let qs: Vec<GeoPoint> = queries.iter().skip(c).step_by(conns).copied().collect();
        tasks.push(tokio::spawn(async move {
            let mut lat = Vec::new();
            let mut hits = 0usize;
            for q in qs.iter().cycle() {
                if Instant::now() >= end || qs.is_empty() {
                    break;
                }
                let t = Instant::now();
                let row: Option<(i64,)> = sqlx::query_as(sql)
                    .bind(q.lat())
                    .bind(q.lon())
                    .fetch_optional(&pool)
                    .await?;
                lat.push(u64::try_from(t.elapsed().as_nanos()).unwrap_or(u64::MAX));
                hits += usize::from(row.is_some());
            }
            anyhow::Ok((lat, hits))
        }));
    }
    let mut lat = Vec::new();
    let mut hits = 0;
    for t in tasks {
        let (l, h) = t.await??;
        lat.extend(l);
        hits += h;
    }
    lat.sort_unstable();
    #[allow(clippy::cast_precision_loss)]
    let (qps, hit_rate) = (
        lat.len() as f64 / secs as f64,
        hits as f64 / lat.len().max(1) as f64,
    );
    Ok(json!({
        "qps": round(qps, 0),
        "p50_ms": round(pct_ms(&lat, 50), 3),
        "p99_ms": round(pct_ms(&lat, 99), 3),
        "hit_rate": round(hit_rate, 3),
    }))
}

/// Quan over HTTP: a node on a store seeded with the points (SQLite), asked for
/// the nearest point at `conns` connections, each its own buyer's place.
async fn over_http(
    csv: &std::path::Path,
    queries: &[GeoPoint],
    (conns, secs, runs): (usize, u64, usize),
) -> anyhow::Result<Value> {
    let quan = quan_binary()?;
    let dir = tempfile::tempdir()?;
    let data = dir.path().join("quan");
    let t = Instant::now();
    let seed = run_seed(
        &quan,
        "bench-seed-leaders",
        &data,
        &["--from".to_owned(), csv.display().to_string()],
        &Vec::new(),
    )?;
    let seed_s = t.elapsed().as_secs_f64();
    let org = seed["org_id"].as_str().context("org id")?;
    let secret = seed["secret"].as_str().context("secret")?;
    let t = Instant::now();
    let (_proc, port) = serve(&quan, &data, &Vec::new(), &[], None).await?;
    let start_s = t.elapsed().as_secs_f64();
    let reqs: Vec<Req> = queries
        .iter()
        .take(conns.max(1) * 4)
        .map(|q| {
            (
                format!(
                    "/api/v1/shops/{org}/pickup-points?lat={}&lon={}&limit=1",
                    q.lat(),
                    q.lon()
                ),
                Some(("cookie".to_owned(), format!("quan_session={secret}"))),
            )
        })
        .collect();
    let mut ms: Vec<Measure> = Vec::new();
    for i in 0..runs {
        let m = drive_each(port, &reqs, conns, secs, None).await?;
        report_run("quan http", i, runs, &m);
        ms.push(m);
    }
    let m = median(ms);
    Ok(json!({
        "rps": round(m.rps, 0),
        "p50_ms": round(m.p50_ms, 3),
        "p99_ms": round(m.p99_ms, 3),
        "errors": m.errors,
        "seed_s": round(seed_s, 1),
        "start_s": round(start_s, 1),
        "note": "GET /api/v1/shops/{org}/pickup-points?limit=1 (the match, with its details from the store; empty where none serves) with a buyer's session",
    }))
}

pub(crate) async fn geo_nearest(
    n: usize,
    (conns, secs, runs): (usize, u64, usize),
    pg: &str,
) -> anyhow::Result<Value> {
    let (points, queries) = generate(n)?;
    let mut measured = Vec::new();
    for run in 0..runs {
        let m = in_process(&points, &queries);
        eprintln!("run {}/{runs}: quan in process {m}", run + 1);
        measured.push(m);
    }
    let mut quan = median_by_qps(measured);
    quan["runs"] = json!(runs);
    let dir = tempfile::tempdir()?;
    let csv = dir.path().join("points.csv");
    write_points(&csv, &points)?;
    let reference = postgis(pg, &csv, &queries, (conns, secs, runs)).await?;
    quan["http"] = over_http(&csv, &queries, (conns, secs, runs)).await?;
    let qps = quan["qps"].as_f64().unwrap_or(0.0);
    let ratio = qps / reference["qps"].as_f64().unwrap_or(f64::INFINITY).max(1.0);
    let p99 = quan["p99_ms"].as_f64().unwrap_or(f64::INFINITY);
    Ok(json!({
        "scenario": "geo-nearest",
        "points": n,
        "quan": quan,
        "reference": reference,
        "ratio": round(ratio, 1),
        "cores": cores(),
        "goal": "in-process p99 < 0.05 ms; in-process lookups/s >= 10 x PostGIS queries/s",
        "ok": p99 < 0.05 && ratio >= 10.0,
    }))
}
