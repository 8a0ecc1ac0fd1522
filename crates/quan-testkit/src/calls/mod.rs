//! Typed calls, one file per capability (as svix's `common_calls`): each asserts the
//! status its operation documents for success and returns the web DTO, so a scenario
//! test reads as what it does and a failed step says which call and why. Refusals are
//! asserted with the raw client and [`crate::Res::problem`].

mod board;
mod chat;
mod circles;
mod invites;
mod persons;
mod posts;

use crate::Res;
use serde::de::DeserializeOwned;

/// The body of a successful answer as the DTO the API declares for it.
fn dto<T: DeserializeOwned>(what: &str, r: &Res) -> T {
    serde_json::from_value(r.body.clone())
        .unwrap_or_else(|e| panic!("{what}: the answer is not its DTO ({e}): {}", r.text))
}
