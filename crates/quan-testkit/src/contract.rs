//! The served OpenAPI document as a contract: every response the test suite gets from
//! `/api/v1/` is checked against its operation — the status must be documented, and
//! a JSON body must match the documented schema — so the document cannot drift from
//! what the server does unseen. (utoipa's schemas do not forbid extra fields, so a
//! field the server adds without documenting it is not caught.) A request to a route
//! the document does not know may only be refused (400, 404, 405, 413).
//!
//! `QUAN_CONTRACT=report` appends violations to `$QUAN_CONTRACT_FILE` (default
//! `target/contract-violations.txt`) instead of failing the test, to survey them.

use jsonschema::{Draft, Validator};
use serde_json::Value;
use std::collections::HashMap;
use std::sync::{Arc, LazyLock, Mutex};

struct Op {
    id: String,
    method: String,
    /// The path template's segments; `None` where it has a `{parameter}`.
    segments: Vec<Option<String>>,
    responses: Value,
}

struct Contract {
    ops: Vec<Op>,
    components: Value,
    /// Compiled schemas by (operation, status, media type).
    compiled: Mutex<HashMap<(usize, String, String), Arc<Validator>>>,
}

static CONTRACT: LazyLock<Contract> = LazyLock::new(|| {
    let doc = serde_json::to_value(quan_web::api::openapi()).unwrap_or(Value::Null);
    let mut ops = Vec::new();
    for (path, item) in doc["paths"].as_object().into_iter().flatten() {
        for (method, op) in item.as_object().into_iter().flatten() {
            let segments = path
                .split('/')
                .map(|s| (!s.starts_with('{')).then(|| s.to_owned()))
                .collect();
            ops.push(Op {
                id: op["operationId"].as_str().unwrap_or(path).to_owned(),
                method: method.to_uppercase(),
                segments,
                responses: op["responses"].clone(),
            });
        }
    }
    Contract {
        ops,
        components: doc["components"].clone(),
        compiled: Mutex::new(HashMap::new()),
    }
});

/// The operation serving `method path`: of the templates that match, the one with
/// the most literal segments (`/circles/discover` before `/circles/{id}`). Two
/// templates with as many literals that both match would be ambiguous; the API has
/// none.
fn operation(method: &str, path: &str) -> Option<usize> {
    let parts: Vec<&str> = path.split('/').collect();
    CONTRACT
        .ops
        .iter()
        .enumerate()
        .filter(|(_, op)| op.method == method && op.segments.len() == parts.len())
        .filter(|(_, op)| {
            op.segments
                .iter()
                .zip(&parts)
                .all(|(s, p)| s.as_deref().is_none_or(|lit| lit == *p))
        })
        .max_by_key(|(_, op)| op.segments.iter().filter(|s| s.is_some()).count())
        .map(|(i, _)| i)
}

fn validator(
    op: usize,
    status: &str,
    media: &str,
    schema: &Value,
) -> Result<Arc<Validator>, String> {
    let key = (op, status.to_owned(), media.to_owned());
    let mut cache = CONTRACT
        .compiled
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    if let Some(v) = cache.get(&key) {
        return Ok(v.clone());
    }
    // The operation's schema refers to `#/components/schemas/…`: carry the
    // components along so those pointers resolve inside the one document.
    let mut root = schema.clone();
    if let Some(obj) = root.as_object_mut() {
        obj.insert("components".into(), CONTRACT.components.clone());
    }
    let v = Arc::new(
        jsonschema::options()
            .with_draft(Draft::Draft202012)
            .build(&root)
            .map_err(|e| format!("the documented schema does not compile: {e}"))?,
    );
    cache.insert(key, v.clone());
    Ok(v)
}

/// Why a response breaks the contract, if it does.
fn violation(
    method: &str,
    path: &str,
    status: u16,
    content_type: &str,
    text: &str,
) -> Option<String> {
    let Some(i) = operation(method, path) else {
        // Unknown routes: the router's 404/405, or the edge refusing the body first.
        return (!matches!(status, 400 | 404 | 405 | 413)).then(|| {
            format!("{method} {path} answered {status} but the document has no such operation")
        });
    };
    let op = &CONTRACT.ops[i];
    let code = status.to_string();
    let Some(resp) = op
        .responses
        .get(&code)
        .or_else(|| op.responses.get("default"))
    else {
        return Some(format!(
            "{} ({method} {path}) answered {status}, which it does not document",
            op.id
        ));
    };
    let media = content_type.split(';').next().unwrap_or("").trim();
    let Some(content) = resp.get("content").and_then(Value::as_object) else {
        return (!text.is_empty()).then(|| {
            format!(
                "{} answered {status} with a body ({media}) it documents as empty",
                op.id
            )
        });
    };
    // A documented `image/*` covers `image/jpeg`.
    let wildcard = media.split_once('/').map(|(kind, _)| format!("{kind}/*"));
    let Some(entry) = content
        .get(media)
        .or_else(|| wildcard.and_then(|w| content.get(&w)))
    else {
        let documented: Vec<&String> = content.keys().collect();
        return (!text.is_empty() || !documented.is_empty()).then(|| {
            format!(
                "{} answered {status} as {media:?}; documented: {documented:?}",
                op.id
            )
        });
    };
    if !media.ends_with("json") {
        return None;
    }
    let schema = entry.get("schema")?;
    let body: Value = match serde_json::from_str(text) {
        Ok(b) => b,
        Err(e) => {
            return Some(format!(
                "{} answered {status} with {media} that is not JSON: {e}",
                op.id
            ));
        }
    };
    let v = match validator(i, &code, media, schema) {
        Ok(v) => v,
        Err(e) => return Some(format!("{}: {e}", op.id)),
    };
    let errors: Vec<String> = v
        .iter_errors(&body)
        .take(3)
        .map(|e| format!("at {}: {e}", e.instance_path()))
        .collect();
    (!errors.is_empty()).then(|| {
        let shown: String = text.chars().take(400).collect();
        format!(
            "{} ({method} {path}) {status} does not match its schema: {}\n  body: {shown}",
            op.id,
            errors.join("; ")
        )
    })
}

/// Checks one response against the document (see the module doc).
pub(crate) fn check(method: &str, path: &str, status: u16, content_type: &str, text: &str) {
    if !path.starts_with("/api/v1/") || method == "HEAD" {
        return;
    }
    let Some(v) = violation(method, path, status, content_type, text) else {
        return;
    };
    if std::env::var("QUAN_CONTRACT").as_deref() == Ok("report") {
        let file = std::env::var("QUAN_CONTRACT_FILE")
            .unwrap_or_else(|_| "target/contract-violations.txt".into());
        if let Ok(mut f) = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(file)
        {
            use std::io::Write;
            let _ = writeln!(f, "{v}");
        }
        return;
    }
    panic!("OpenAPI contract: {v}");
}

#[cfg(test)]
mod tests {
    use super::violation;

    const JSON: &str = "application/json";
    const PROBLEM: &str = "application/problem+json";

    #[test]
    fn the_contract_catches_what_the_document_does_not_say() {
        // A body of the wrong shape, an undocumented status, a wrong media type.
        assert!(violation("GET", "/api/v1/me", 200, JSON, "[]").is_some());
        assert!(violation("GET", "/api/v1/me", 418, PROBLEM, "{}").is_some());
        let problem = r#"{"type":"/problems/unauthenticated","title":"Unauthorized","status":401,"detail":"log in","code":"unauthenticated"}"#;
        assert!(violation("GET", "/api/v1/me", 401, "text/html", problem).is_some());
        assert!(violation("GET", "/api/v1/me", 401, PROBLEM, problem).is_none());
        // The most literal template wins; unknown routes may only be refused.
        assert!(violation("GET", "/api/v1/no/such/route", 200, JSON, "{}").is_some());
        assert!(violation("GET", "/api/v1/no/such/route", 404, PROBLEM, problem).is_none());
    }
}
