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
