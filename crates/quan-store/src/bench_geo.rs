//! The geo-nearest benchmark's store: an org whose leaders' pickup points are the
//! ones the load tool generated (so the node's index, the tool's own and PostGIS
//! hold the same points), and one buyer with a session to ask over HTTP. Written
//! straight to the tables in multi-row statements. Only for benchmark data
//! directories.

use crate::bench::{I, NO_PASSWORD, T, insert_rows, wall_now};
use crate::store::SqlStore;
use quan_core::StoreResult;
use quan_domain::{AccountId, LeaderId, OrgId, SessionId};
use serde::Serialize;

/// What [`seed_leaders`] made.
#[derive(Debug, Serialize)]
pub struct LeadersReport {
    pub org_id: String,
    /// The buyer's session cookie value (`quan_session=<secret>`).
    pub secret: String,
    pub leaders: usize,
    pub seconds: f64,
}

/// An org with one leader per `(lat_e6, lon_e6, radius_m)` in `points`, all
/// online, and a buyer with a session.
pub async fn seed_leaders(
    store: &SqlStore,
    points: &[(i64, i64, i64)],
) -> StoreResult<LeadersReport> {
    let t0 = std::time::Instant::now();
    let now = wall_now().millis();
    let (org, buyer) = (OrgId::new(), AccountId::new());
    insert_rows(
        store,
        "accounts",
        &["id", "email", "display_name", "password_hash", "created_at"],
        vec![vec![
            T(buyer.to_string()),
            T(format!("geo-buyer-{org}@bench.quan.local")),
            T("自提买家 Pickup buyer".into()),
            T(NO_PASSWORD.into()),
            I(now),
        ]],
    )
    .await?;
    insert_rows(
        store,
        "orgs",
        &["id", "name", "created_at"],
        vec![vec![
            T(org.to_string()),
            T("压测 社区团购 Geo bench".into()),
            I(now),
        ]],
    )
    .await?;
    let secret = format!("bench-geo-{}", SessionId::new());
    insert_rows(
        store,
        "sessions",
        &["id", "account_id", "token_hash", "created_at", "expires_at"],
        vec![vec![
            T(SessionId::new().to_string()),
            T(buyer.to_string()),
            T(quan_core::secrets::digest(&secret)),
            I(now),
            I(now + 7 * 86_400_000),
        ]],
    )
    .await?;
    let rows = points
        .iter()
        .enumerate()
        .map(|(i, &(lat, lon, radius))| {
            vec![
                T(LeaderId::new().to_string()),
                T(org.to_string()),
                T(format!("团长 {i:07}")),
                T(format!("自提点 {i:07}")),
                T(format!("第 {i} 号驿站")),
                I(lat),
                I(lon),
                T("parcel_station".into()),
                I(radius),
                I(200),
                I(500),
                I(now),
                I(now),
            ]
        })
        .collect();
    insert_rows(
        store,
        "leaders",
        &[
            "id",
            "org_id",
            "name",
            "point_name",
            "address",
            "lat_e6",
            "lon_e6",
            "kind",
            "radius_m",
            "capacity",
            "commission_bp",
            "created_at",
            "updated_at",
        ],
        rows,
    )
    .await?;
    store.analyze().await?;
    Ok(LeadersReport {
        org_id: org.to_string(),
        secret,
        leaders: points.len(),
        seconds: t0.elapsed().as_secs_f64(),
    })
}
