//! Typed calls, one file per capability (as svix's `common_calls`): each asserts the
//! status its operation documents for success and returns the web DTO, so a scenario
//! test reads as what it does and a failed step says which call and why. Refusals are
//! asserted with a call's `try_` twin (the raw answer) and [`crate::Res::problem`].

mod board;
mod cart;
mod chat;
mod circles;
mod commerce;
mod coupons;
mod delivery;
mod discovery;
mod identity;
mod invites;
mod journeys;
pub mod local;
mod moderation;
mod moments;
mod notify;
mod persons;
mod posts;
mod reach;
mod rooms;
mod search;

use crate::Res;
use serde::de::DeserializeOwned;

/// The body of a successful answer as the DTO the API declares for it.
fn dto<T: DeserializeOwned>(what: &str, r: &Res) -> T {
    serde_json::from_value(r.body.clone())
        .unwrap_or_else(|e| panic!("{what}: the answer is not its DTO ({e}): {}", r.text))
}

/// Text as one URL path segment or query value: every byte percent-encoded, which
/// is always valid and needs no table of safe characters.
pub fn encode(text: &str) -> String {
    text.bytes().map(|b| format!("%{b:02X}")).collect()
}
