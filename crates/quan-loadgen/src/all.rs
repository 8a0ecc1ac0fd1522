//! `run all`: every scenario in one go, and one table of the figures that matter
//! beside the last recorded ones (`baseline.json` in this crate, updated together
//! with BENCHMARKS.md by `--write-baseline`). A figure that drops more than 20 %
//! against its baseline is flagged, so a regression on a hot path is seen before
//! an issue is resolved rather than in a later session.
//!
//! Every figure is "higher is better": ratios to the reference for api-read and
//! feed-read, posts/s for post-write (it has no reference), and NATS's p99 over
//! Quan's p99 for chat-fanout (1.0 would be as fast as NATS).

use serde_json::{Value, json};
use std::path::PathBuf;

/// A drop larger than this against the baseline is flagged.
const DROP: f64 = 0.20;

fn baseline_path() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("baseline.json")
}

/// The figures of one scenario's output, keyed by scenario and engine.
pub fn figures(out: &Value) -> Vec<(String, f64, &'static str)> {
    let f = |v: &Value| v.as_f64().unwrap_or(0.0);
    let mut v = Vec::new();
    match out["scenario"].as_str().unwrap_or_default() {
        "api-read" => v.push(("api-read".to_owned(), f(&out["ratio"]), "× nginx")),
        "feed-read" => {
            for r in out["results"].as_array().into_iter().flatten() {
                let be = r["backend"].as_str().unwrap_or("?");
                v.push((format!("feed-read/{be}"), f(&r["ratio"]), "× nginx"));
            }
        }
        "post-write" => {
            for r in out["results"].as_array().into_iter().flatten() {
                let be = r["backend"].as_str().unwrap_or("?");
                v.push((format!("post-write/{be}"), f(&r["quan"]["rps"]), "posts/s"));
            }
        }
        "chat-fanout" => {
            let be = out["backend"].as_str().unwrap_or("?");
            let nats = f(&out["reference"]["figures"]["p99_ms"]);
            let quan = f(&out["quan"]["p99_ms"]);
            let ratio = if quan > 0.0 { nats / quan } else { 0.0 };
            v.push((format!("chat-fanout/{be}"), ratio, "NATS p99 / Quan p99"));
        }
        _ => {}
    }
    v
}

/// The table: each figure beside its baseline, drops over 20 % flagged. Returns the
/// summary line (JSON) and whether anything dropped.
pub fn compare(
    measured: &[(String, f64, &'static str)],
    write: bool,
) -> anyhow::Result<(Value, bool)> {
    let path = baseline_path();
    let base: Value = std::fs::read_to_string(&path)
        .ok()
        .and_then(|s| serde_json::from_str(&s).ok())
        .unwrap_or_else(|| json!({"figures": {}}));
    let mut dropped = false;
    let mut rows = Vec::new();
    eprintln!(
        "{:<22} {:>12} {:>12} {:>8}  unit",
        "figure", "measured", "baseline", "change"
    );
    for (key, value, unit) in measured {
        let before = base["figures"][key].as_f64();
        let change = before.filter(|b| *b > 0.0).map(|b| value / b - 1.0);
        let flag = change.is_some_and(|c| c < -DROP);
        dropped |= flag;
        eprintln!(
            "{:<22} {:>12.3} {:>12} {:>8}  {unit}{}",
            key,
            value,
            before.map_or("-".to_owned(), |b| format!("{b:.3}")),
            change.map_or("-".to_owned(), |c| format!("{:+.0}%", c * 100.0)),
            if flag { "  << DROP over 20 %" } else { "" }
        );
        rows.push(json!({"figure": key, "measured": value, "baseline": before, "unit": unit, "dropped": flag}));
    }
    if write {
        let figures: serde_json::Map<String, Value> = measured
            .iter()
            .map(|(k, v, _)| (k.clone(), json!((v * 1000.0).round() / 1000.0)))
            .collect();
        // The note says how the figures were taken: keep the one written by hand.
        let note = base["note"].as_str().unwrap_or(
            "Last recorded figures of `quan-loadgen run all`; update with --write-baseline when BENCHMARKS.md is updated.",
        );
        let doc = json!({"note": note, "figures": figures});
        std::fs::write(&path, format!("{}\n", serde_json::to_string_pretty(&doc)?))?;
        eprintln!("baseline written to {}", path.display());
    }
    Ok((
        json!({"scenario": "all", "figures": rows, "ok": !dropped}),
        dropped,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn figures_are_read_from_every_scenario() {
        let api = json!({"scenario": "api-read", "ratio": 0.5});
        assert_eq!(figures(&api), vec![("api-read".to_owned(), 0.5, "× nginx")]);
        let feed = json!({"scenario": "feed-read", "results": [{"backend": "sqlite", "ratio": 0.3}, {"backend": "postgres", "ratio": 0.4}]});
        assert_eq!(figures(&feed).len(), 2);
        let chat = json!({"scenario": "chat-fanout", "backend": "sqlite", "quan": {"p99_ms": 40.0}, "reference": {"figures": {"p99_ms": 10.0}}});
        assert_eq!(figures(&chat)[0].1, 0.25);
    }
}
