//! Wire helpers every API module shares: page queries, id parsing, bounded cursors.

use crate::error::{ApiError, ApiResult};
use quan_core::PageRequest;
use quan_domain::ParseError;
use serde::Deserialize;
use utoipa::IntoParams;

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct PageQuery {
    /// The `next` cursor of the previous page.
    pub after: Option<String>,
    /// 1 to 200; default 50.
    pub limit: Option<u32>,
}

impl PageQuery {
    pub(crate) fn into_request(self) -> ApiResult<PageRequest> {
        if let Some(a) = &self.after {
            // Cursors are ids; anything else is a client bug worth reporting.
            uuid_like(a).then_some(()).ok_or_else(|| {
                ApiError::bad_request("invalid_cursor", "the cursor is malformed")
            })?;
        }
        Ok(PageRequest::new(self.after, self.limit))
    }
}

pub(crate) fn uuid_like(s: &str) -> bool {
    s.len() == 36 && s.chars().all(|c| c.is_ascii_hexdigit() || c == '-')
}

pub(crate) fn parse_id<T: std::str::FromStr<Err = ParseError>>(raw: &str) -> ApiResult<T> {
    T::from_str(raw).map_err(|_| ApiError::bad_request("invalid_id", "the id is malformed"))
}

pub(crate) fn bounded_cursor(after: Option<String>) -> ApiResult<Option<String>> {
    match after {
        Some(a)
            if a.len() > 80
                || !a
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || "-./+e".contains(c)) =>
        {
            Err(ApiError::bad_request(
                "invalid_cursor",
                "the cursor is malformed",
            ))
        }
        other => Ok(other),
    }
}
