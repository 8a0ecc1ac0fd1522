//! What every request passes before routing:
//!
//! - text with a NUL character is refused, for every field at once;
//! - a state change authenticated by the session cookie is refused when it comes from
//!   another site (`Sec-Fetch-Site`, else `Origin` against `Host`): SameSite=Lax and
//!   the forms' CSRF token are not the only guards;
//! - every response carries the security headers (a Content-Security-Policy that
//!   allows scripts, styles and connections from this origin only, no framing, a
//!   same-origin referrer, no MIME sniffing).
//!
//! PostgreSQL cannot store NUL in text (SQLite can), so a NUL that reached a query
//! was a 500 on one engine and a 4xx on the other. Refusing it at the edge makes
//! both engines answer the same clear 400 (`invalid_characters`), whichever field
//! carried it: the path, the query string, a JSON body (`\u0000`) or a form
//! (`%00`). Multipart uploads are binary and are not inspected.

use crate::error::ApiError;
use axum::body::{Body, Bytes};
use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
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

/// The one edge layer: the three rules below in a single middleware, so a request
/// pays for one layer, not three (measured: api-read lost 11 % to three `from_fn`
/// layers; BENCHMARKS.md).
pub async fn edge(State(limit): State<BodyLimit>, req: Request, next: Next) -> Response {
    let docs = req.uri().path().starts_with("/api/docs");
    let mut res = match refuse_cross_site_writes(&req) {
        Some(refusal) => refusal,
        None => refuse_nul(limit, req, next).await,
    };
    security_headers(&mut res, docs);
    res
}

async fn refuse_nul(limit: BodyLimit, req: Request, next: Next) -> Response {
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
    // What axum's `Json` accepts: application/json and any application/*+json.
    let essence = kind.split(';').next().unwrap_or_default().trim();
    let json = essence == "application/json"
        || essence
            .strip_prefix("application/")
            .is_some_and(|sub| sub.ends_with("+json"));
    let form = essence == "application/x-www-form-urlencoded";
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
    // A raw NUL byte too: the form decoder passes it through as it is.
    if bytes.contains(&0) || (json && has_json_nul(&bytes)) || (form && has_encoded_nul(&bytes)) {
        return refused();
    }
    next.run(Request::from_parts(parts, Body::from(bytes)))
        .await
}

/// Whether a browser sent this request from another site. Browsers send
/// `Sec-Fetch-Site` on every request; older ones at least send `Origin` on writes.
fn from_another_site(headers: &HeaderMap) -> bool {
    if let Some(site) = headers.get("sec-fetch-site").and_then(|v| v.to_str().ok()) {
        // `none`: the person typed the address or used a bookmark.
        return !matches!(site, "same-origin" | "none");
    }
    let Some(origin) = headers.get(header::ORIGIN).and_then(|v| v.to_str().ok()) else {
        return false;
    };
    let host = headers
        .get(header::HOST)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    let origin_host = origin.split_once("://").map_or(origin, |(_, h)| h);
    origin == "null" || !origin_host.eq_ignore_ascii_case(host)
}

/// Refuses cross-site writes that ride on the session cookie. Bearer tokens are not
/// ambient credentials, so requests that carry one are not affected.
fn refuse_cross_site_writes(req: &Request) -> Option<Response> {
    if matches!(*req.method(), Method::GET | Method::HEAD | Method::OPTIONS) {
        return None;
    }
    let headers = req.headers();
    let cookie_auth =
        headers.contains_key(header::COOKIE) && !headers.contains_key(header::AUTHORIZATION);
    (cookie_auth && from_another_site(headers)).then(|| {
        ApiError::new(
            StatusCode::FORBIDDEN,
            "cross_site_request",
            "this request came from another site",
        )
        .into_response()
    })
}

/// Scripts, styles, images and connections from this origin only (images also as
/// `data:` and `blob:` for previews); no plugins, no framing, forms post here only.
const CSP: &str = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; connect-src 'self'; object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'";

/// The interactive API docs (Swagger UI) run an inline bootstrap script.
const CSP_DOCS: &str = "default-src 'self'; script-src 'self' 'unsafe-inline'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; connect-src 'self'; object-src 'none'; frame-ancestors 'none'";

fn security_headers(res: &mut Response, docs: bool) {
    let h = res.headers_mut();
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(if docs { CSP_DOCS } else { CSP }),
    );
    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    h.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("same-origin"),
    );
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
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

    #[test]
    fn another_site_is_told_by_fetch_metadata_then_by_origin() {
        let mut h = HeaderMap::new();
        assert!(!from_another_site(&h), "no browser headers: not a browser");
        h.insert(header::HOST, HeaderValue::from_static("quan.example:8080"));
        h.insert(
            header::ORIGIN,
            HeaderValue::from_static("http://quan.example:8080"),
        );
        assert!(!from_another_site(&h));
        h.insert(
            header::ORIGIN,
            HeaderValue::from_static("https://evil.example"),
        );
        assert!(from_another_site(&h));
        h.insert("sec-fetch-site", HeaderValue::from_static("same-origin"));
        assert!(!from_another_site(&h), "fetch metadata wins");
        h.insert("sec-fetch-site", HeaderValue::from_static("cross-site"));
        assert!(from_another_site(&h));
        h.insert("sec-fetch-site", HeaderValue::from_static("same-site"));
        assert!(from_another_site(&h), "a sibling subdomain is another site");
    }
}
