//! Free text from a request, parsed once: trimmed, bounded in characters, no control
//! characters. Every capability's text fields go through [`text`].

use quan_domain::ParseError;

/// A reason or a note (a report, a moderator's decision, a task step): a few
/// sentences, not an essay.
pub const REASON_MAX: usize = 500;

pub fn text(
    raw: &str,
    field: &'static str,
    max: usize,
    required: bool,
) -> Result<String, ParseError> {
    let s = raw.trim();
    if required && s.is_empty() {
        return Err(ParseError::new(field, "required", "must not be empty"));
    }
    if s.chars().count() > max {
        return Err(ParseError::new(
            field,
            "too_long",
            format!("at most {max} characters"),
        ));
    }
    if s.chars()
        .any(|c| c.is_control() && c != '\n' && c != '\r' && c != '\t')
    {
        return Err(ParseError::new(
            field,
            "invalid_characters",
            "control characters are not allowed",
        ));
    }
    Ok(s.to_owned())
}

/// Longest web address Quan keeps (a link card's, a webhook's).
pub const WEB_ADDRESS_MAX: usize = 2000;

/// An absolute http(s) address with a host, at most [`WEB_ADDRESS_MAX`] long;
/// anything else is `invalid_link` on `field` (a `javascript:` link never gets in).
pub fn web_address(raw: &str, field: &'static str) -> Result<url::Url, ParseError> {
    let bad = |why: &str| ParseError::new(field, "invalid_link", why.to_owned());
    let raw = raw.trim();
    if raw.len() > WEB_ADDRESS_MAX {
        return Err(bad("at most 2000 characters"));
    }
    let url = url::Url::parse(raw).map_err(|_| bad("not a web address"))?;
    if !matches!(url.scheme(), "http" | "https") || url.host_str().is_none() {
        return Err(bad("an http:// or https:// address"));
    }
    Ok(url)
}
