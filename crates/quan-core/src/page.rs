//! Cursor pagination.
//!
//! Lists are ordered by their time-ordered id, so the cursor is simply the last id of
//! the previous page: one indexed range scan per page, stable under inserts, no
//! OFFSET.

/// What a caller asked for: up to `limit` items after `after` (exclusive).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PageRequest {
    pub after: Option<String>,
    pub limit: u32,
}

impl PageRequest {
    pub const DEFAULT_LIMIT: u32 = 50;
    pub const MAX_LIMIT: u32 = 200;

    /// Clamps the limit into 1..=MAX_LIMIT.
    pub fn new(after: Option<String>, limit: Option<u32>) -> Self {
        Self {
            after,
            limit: limit
                .unwrap_or(Self::DEFAULT_LIMIT)
                .clamp(1, Self::MAX_LIMIT),
        }
    }
    pub fn first(limit: u32) -> Self {
        Self::new(None, Some(limit))
    }
    /// The store fetches one more than asked to learn whether another page exists.
    pub fn fetch_limit(&self) -> i64 {
        i64::from(self.limit) + 1
    }
}

impl Default for PageRequest {
    fn default() -> Self {
        Self::new(None, None)
    }
}

/// One page of results and the cursor of the next, if there is one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Page<T> {
    pub items: Vec<T>,
    pub next: Option<String>,
}

impl<T> Page<T> {
    /// Builds a page from `limit + 1` fetched rows; `key` gives a row's cursor.
    pub fn from_overfetch(mut rows: Vec<T>, req: &PageRequest, key: impl Fn(&T) -> String) -> Self {
        let more = rows.len() > req.limit as usize;
        rows.truncate(req.limit as usize);
        let next = if more { rows.last().map(&key) } else { None };
        Self { items: rows, next }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn overfetch_sets_next_only_when_more() {
        let req = PageRequest::first(2);
        let p = Page::from_overfetch(vec![1, 2, 3], &req, |x| x.to_string());
        assert_eq!(p.items, vec![1, 2]);
        assert_eq!(p.next.as_deref(), Some("2"));
        let p = Page::from_overfetch(vec![1, 2], &req, |x| x.to_string());
        assert_eq!(p.next, None);
        assert_eq!(PageRequest::new(None, Some(0)).limit, 1);
        assert_eq!(
            PageRequest::new(None, Some(10_000)).limit,
            PageRequest::MAX_LIMIT
        );
    }
}
