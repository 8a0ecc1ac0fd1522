//! What every request passes before routing: text with a NUL character is refused
//! here, for every field at once.
//!
//! PostgreSQL cannot store NUL in text (SQLite can), so a NUL that reached a query
//! was a 500 on one engine and a 4xx on the other. Refusing it at the edge makes
//! both engines answer the same clear 400 (`invalid_characters`), whichever field
//! carried it: the path, the query string, a JSON body (`\u0000`) or a form
//! (`%00`). Multipart uploads are binary and are not inspected.

use crate::error::ApiError;
use axum::body::{Body, Bytes};
use axum::extract::{Request, State};
use axum::http::{StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

/// The largest body this layer reads to inspect (the body limit applies too).
#[derive(Debug, Clone, Copy)]
pub struct BodyLimit(pub usize);

fn refused() -> Response {
    ApiError::bad_request("invalid_characters", "text must not contain NUL characters")
        .into_response()
}

/// `%00` in a URL-encoded string (path, query or form body).
fn has_encoded_nul(s: &[u8]) -> bool {
    s.windows(3)
        .any(|w| w[0] == b'%' && w[1] == b'0' && w[2] == b'0')
}

/// A `\u0000` escape in JSON text, not counting an escaped backslash followed by
/// the letters `u0000` (which is the literal text, not a NUL).
fn has_json_nul(s: &[u8]) -> bool {
    let mut i = 0;
    while i < s.len() {
        if s[i] == b'\\' {
            if s.get(i + 1) == Some(&b'u') && s.get(i + 2..i + 6) == Some(b"0000") {
                return true;
            }
            // Skip the escaped character, whatever it is (`\\` included).
            i += 2;
        } else {
            i += 1;
        }
    }
    false
}

pub async fn refuse_nul(State(limit): State<BodyLimit>, req: Request, next: Next) -> Response {
    let uri = req.uri();
    if has_encoded_nul(uri.path().as_bytes())
        || uri.query().is_some_and(|q| has_encoded_nul(q.as_bytes()))
    {
        return refused();
    }
    let kind = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .map(|v| v.to_ascii_lowercase())
        .unwrap_or_default();
    let json = kind.starts_with("application/json");
    let form = kind.starts_with("application/x-www-form-urlencoded");
    if !json && !form {
        return next.run(req).await;
    }
    let (parts, body) = req.into_parts();
    let bytes: Bytes = match axum::body::to_bytes(body, limit.0).await {
        Ok(b) => b,
        Err(_) => {
            return ApiError::new(
                StatusCode::PAYLOAD_TOO_LARGE,
                "body_too_large",
                "the body is too large",
            )
            .into_response();
        }
    };
    if (json && has_json_nul(&bytes)) || (form && has_encoded_nul(&bytes)) {
        return refused();
    }
    next.run(Request::from_parts(parts, Body::from(bytes)))
        .await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nul_escapes_are_found_and_escaped_backslashes_are_not() {
        assert!(has_json_nul(br#"{"login":"a\u0000b"}"#));
        assert!(has_json_nul(br#"{"a":"\\\u0000"}"#));
        assert!(!has_json_nul(br#"{"a":"\\u0000"}"#));
        assert!(!has_json_nul(br#"{"a":"\u00e9"}"#));
        assert!(has_encoded_nul(b"login=a%00b"));
        assert!(!has_encoded_nul(b"login=a%20b"));
    }
}
