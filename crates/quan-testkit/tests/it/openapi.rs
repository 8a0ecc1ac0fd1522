//! The OpenAPI document is generated from the code and snapshot-tested, so an API
//! change shows up in review. `UPDATE_SNAPSHOTS=1` rewrites the snapshot.

use quan_testkit::{Backend, spawn_app};

#[tokio::test]
async fn openapi_matches_snapshot_and_is_served() {
    let doc = quan_web::api::openapi()
        .to_pretty_json()
        .unwrap_or_default();
    let path =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/snapshots/openapi.json");
    if std::env::var("UPDATE_SNAPSHOTS").is_ok_and(|v| v == "1") {
        std::fs::write(&path, format!("{doc}\n")).unwrap_or_else(|e| panic!("{e}"));
    }
    let snap = std::fs::read_to_string(&path).unwrap_or_default();
    assert_eq!(
        snap.trim_end(),
        doc.trim_end(),
        "OpenAPI changed: review it and rerun with UPDATE_SNAPSHOTS=1"
    );
    let v: serde_json::Value = serde_json::from_str(&doc).unwrap_or_default();
    assert_eq!(v["openapi"], "3.1.0");
    assert!(v["paths"].as_object().is_some_and(|p| p.len() >= 15));

    let Some(app) = spawn_app(Backend::Sqlite).await else {
        return;
    };
    let served = app.client().get("/api/openapi.json").await;
    assert_eq!(served.body, v);
    let docs = app.client().get("/api/docs/").await;
    assert_eq!(docs.status, 200);
    assert!(docs.text.contains("swagger"), "interactive docs are served");
    let metrics = app.client().get("/metrics").await;
    assert!(
        metrics.text.contains("quan_http_requests_total"),
        "{}",
        metrics.text
    );
    assert!(metrics.text.contains("quan_db_pool_connections"));
    assert!(
        metrics.text.contains("route=\"/api/openapi.json\""),
        "labels are route templates"
    );
    assert_eq!(app.client().get("/healthz").await.status, 200);
    assert_eq!(app.client().get("/readyz").await.status, 200);
}
