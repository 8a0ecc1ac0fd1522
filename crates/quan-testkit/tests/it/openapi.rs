//! The OpenAPI document is generated from the code and snapshot-tested, so an API
//! change shows up in review. `UPDATE_SNAPSHOTS=1` rewrites the snapshot.

use quan_testkit::{Backend, spawn_app};

/// Two wire types with one name collapse into one schema, and the document then
/// describes one of them wrongly: every schema type in the API has its own name.
#[test]
fn every_schema_type_has_its_own_name() -> anyhow::Result<()> {
    let api = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../quan-web/src/api");
    let mut seen = std::collections::BTreeMap::new();
    let mut stack = vec![api];
    while let Some(dir) = stack.pop() {
        for e in std::fs::read_dir(&dir)?.flatten() {
            let p = e.path();
            if p.is_dir() {
                stack.push(p);
                continue;
            }
            let text = std::fs::read_to_string(&p)?;
            let mut derives_schema = false;
            for line in text.lines() {
                if line.starts_with("#[derive(") {
                    derives_schema = line.contains("ToSchema");
                }
                let name = line
                    .strip_prefix("pub struct ")
                    .or_else(|| line.strip_prefix("pub enum "))
                    .and_then(|r| r.split([' ', '{', '(', '<']).next());
                if let (true, Some(name)) = (derives_schema, name) {
                    let file = p.display().to_string();
                    if let Some(other) = seen.insert(name.to_owned(), file.clone()) {
                        panic!("schema {name} is defined in {other} and in {file}");
                    }
                    derives_schema = false;
                }
            }
        }
    }
    assert!(seen.len() > 50, "found only {} schema types", seen.len());
    Ok(())
}

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
    let mut ids = std::collections::BTreeMap::new();
    for (path, item) in v["paths"].as_object().into_iter().flatten() {
        for (method, op) in item.as_object().into_iter().flatten() {
            if let Some(id) = op["operationId"].as_str() {
                let first = ids.insert(id.to_owned(), format!("{method} {path}"));
                assert!(
                    first.is_none(),
                    "operationId {id} is used by {} and {method} {path}",
                    first.unwrap_or_default()
                );
            }
            assert!(
                op["responses"]["401"].is_object() || op["security"].is_null(),
                "{method} {path}: a secured operation documents its 401"
            );
        }
    }
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
