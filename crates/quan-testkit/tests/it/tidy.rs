//! Tidy: the layout rules ARCHITECTURE.md states, checked on the source tree so they
//! stay true as the next capabilities land (after rust-analyzer's `xtask/src/tidy.rs`).
//!
//! - A capability of `quan-core` reaches another only through `access`, the leaves
//!   and the event log; every other crossing is listed in [`CROSSINGS`] with its
//!   reason, and a listed crossing that is no longer used fails too, so the list
//!   only shrinks.
//! - Capability modules name records and ports by their home (`crate::circles::port::
//!   PostRecord`), not through the crate root's re-exports, so crossings stay visible.
//! - No source file under `src/` grows past [`MAX_LINES`]; one that must for a while
//!   is listed in [`LONG_FILES`] with a ceiling it may not exceed (none today).
//! - Every source file starts with its `//!` module comment.
//! - Every JSON API endpoint is declared once, with its OpenAPI operation: handlers
//!   are mounted with utoipa-axum's `routes!`, never with a bare axum `.route(`.
//! - No function of the integration suite grows past [`MAX_TEST_FN_LINES`]: a long
//!   story is split by the rule each part pins, over typed calls.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

/// Today's and tomorrow's capability folders of `quan-core`.
const CAPABILITIES: &[&str] = &[
    "identity",
    "persons",
    "circles",
    "moderation",
    "chat",
    "discovery",
    "reach",
    "commerce",
    "promo",
    "local",
    "live",
    "analytics",
    "integrations",
];

/// (from capability, path prefix it may name, why).
const CROSSINGS: &[(&str, &str, &str)] = &[
    (
        "reach",
        "crate::chat::send",
        "a room campaign's message is posted by its author through chat's own send: its gate, write guard and live feed",
    ),
    (
        "persons",
        "crate::circles::port::",
        "a person's profile lists the circles they belong to, with roles and member types",
    ),
    (
        "circles",
        "crate::moderation::guard::",
        "every member write passes the one write guard; bans block joins",
    ),
    (
        "circles",
        "crate::moderation::port::ModLogRecord",
        "a pin or a moderator's delete writes its log entry in the post's own transaction",
    ),
    (
        "circles",
        "crate::persons::person_for",
        "joining a circle makes the account a person of the org",
    ),
    (
        "reach",
        "crate::persons::person_for",
        "opening a channel code makes the account a person of the org",
    ),
    (
        "commerce",
        "crate::persons::person_for",
        "placing an order makes the buyer a person of the org, so the order is on their timeline",
    ),
    (
        "reach",
        "crate::persons::handles::",
        "an imported row without a person makes one, with its phone and e-mail",
    ),
    (
        "circles",
        "crate::persons::error::PersonError",
        "the error of person_for, carried by CircleError::Person",
    ),
    (
        "circles",
        "crate::moderation::error::ModerationError",
        "a circle write carries the write guard's refusal (CircleError::Moderation)",
    ),
    (
        "moderation",
        "crate::circles::port::",
        "moderation acts on a circle's posts and members",
    ),
    (
        "moderation",
        "crate::circles::posts::managed_post",
        "pin and delete load the post the way its manager may see it",
    ),
    (
        "chat",
        "crate::circles::CircleError",
        "ChatError carries the refusals of the circle gate and the image rules",
    ),
    (
        "chat",
        "crate::moderation::error::ModerationError",
        "ChatError carries the write guard's refusals",
    ),
    (
        "chat",
        "crate::circles::port::PostRecord",
        "a chat message is promoted to a topic post",
    ),
    (
        "chat",
        "crate::circles::event",
        "chat events are recorded as events of their circle",
    ),
    (
        "chat",
        "crate::circles::images::check_post_images",
        "images in chat follow the same upload rules as images on posts",
    ),
    (
        "chat",
        "crate::moderation::guard::",
        "every member write passes the one write guard",
    ),
    (
        "discovery",
        "crate::circles::port::CircleRecord",
        "discovery lists and scores circles",
    ),
];

/// Longer is harder to read and to review; split by what the code does.
const MAX_LINES: usize = 800;

/// Files allowed past [`MAX_LINES`] for a while, with the ceiling they may not exceed.
/// None today: every file fits. A file that must grow past the limit for a while is
/// listed here with its ceiling and the plan to split it.
const LONG_FILES: &[(&str, usize, &str)] = &[];

/// Lines a function of `tests/it` may take, its signature and closing brace
/// included: a scenario test reads as one arrange / act / assert of ~80 lines.
const MAX_TEST_FN_LINES: usize = 85;

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for e in entries.flatten() {
        let p = e.path();
        if p.is_dir() {
            rust_files(&p, out);
        } else if p.extension().is_some_and(|x| x == "rs") {
            out.push(p);
        }
    }
}

fn src_files() -> anyhow::Result<Vec<PathBuf>> {
    let mut out = Vec::new();
    for c in std::fs::read_dir(root().join("crates"))?.flatten() {
        rust_files(&c.path().join("src"), &mut out);
    }
    out.sort();
    Ok(out)
}

fn rel(p: &Path) -> String {
    p.strip_prefix(root())
        .unwrap_or(p)
        .to_string_lossy()
        .replace('\\', "/")
        .trim_start_matches("../")
        .to_owned()
}

/// The source without comments (line comments only: the code base uses no block
/// comments), so prose naming a path does not count as a use of it.
fn code_of(text: &str) -> String {
    text.lines()
        .map(|l| match l.find("//") {
            Some(i) => &l[..i],
            None => l,
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// Every `crate::a::b::C` path in `code`, with `use` groups (`crate::a::{B, c::D}`)
/// expanded into one path each.
fn crate_paths(code: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut rest = code;
    while let Some(i) = rest.find("crate::") {
        let before = rest[..i].chars().last();
        rest = &rest[i..];
        let path_len = rest
            .find(|c: char| !(c.is_alphanumeric() || c == '_' || c == ':'))
            .unwrap_or(rest.len());
        let path = rest[..path_len].trim_end_matches(':').to_owned();
        if before.is_some_and(|c| c.is_alphanumeric() || c == '_') {
            rest = &rest[path_len..];
            continue;
        }
        if rest[path_len..].starts_with('{') {
            let group_end = rest[path_len..]
                .find('}')
                .map_or(rest.len(), |j| path_len + j);
            for item in rest[path_len + 1..group_end].split(',') {
                let item = item.trim();
                if !item.is_empty() && item != "self" {
                    out.push(format!("{path}::{item}"));
                }
            }
            rest = &rest[group_end..];
        } else {
            out.push(path);
            rest = &rest[path_len..];
        }
    }
    out
}

#[test]
fn capabilities_meet_only_through_access_leaves_and_listed_crossings() -> anyhow::Result<()> {
    let core = root().join("crates/quan-core/src");
    let mut used = BTreeSet::new();
    let mut bad = Vec::new();
    for f in src_files()? {
        let Ok(inside) = f.strip_prefix(&core) else {
            continue;
        };
        let first = inside
            .components()
            .next()
            .map(|c| {
                c.as_os_str()
                    .to_string_lossy()
                    .trim_end_matches(".rs")
                    .to_owned()
            })
            .unwrap_or_default();
        if !CAPABILITIES.contains(&first.as_str()) {
            continue;
        }
        let code = code_of(&std::fs::read_to_string(&f)?);
        for path in crate_paths(&code) {
            let mut segs = path.split("::").skip(1);
            let Some(top) = segs.next() else { continue };
            if top.starts_with(|c: char| c.is_uppercase()) && top != "Services" {
                bad.push(format!(
                    "{}: names `{path}` through the crate root; use its home module",
                    rel(&f)
                ));
                continue;
            }
            if top == first || !CAPABILITIES.contains(&top) {
                continue;
            }
            match CROSSINGS
                .iter()
                .position(|(from, prefix, _)| *from == first && path.starts_with(prefix))
            {
                Some(i) => {
                    used.insert(i);
                }
                None => bad.push(format!(
                    "{}: `{first}` reaches into `{path}`; go through access/, a leaf or the event \
                     log, or list the crossing in CROSSINGS with its reason",
                    rel(&f)
                )),
            }
        }
    }
    for (i, (from, prefix, _)) in CROSSINGS.iter().enumerate() {
        if !used.contains(&i) {
            bad.push(format!(
                "CROSSINGS lists `{from}` → `{prefix}`, which nothing uses any more: remove it"
            ));
        }
    }
    assert!(bad.is_empty(), "layout rules broken:\n{}", bad.join("\n"));
    Ok(())
}

#[test]
fn source_files_stay_short_and_say_what_they_are() -> anyhow::Result<()> {
    let mut bad = Vec::new();
    for f in src_files()? {
        let text = std::fs::read_to_string(&f)?;
        let name = rel(&f);
        if !text.starts_with("//!") {
            bad.push(format!("{name}: starts without its `//!` module comment"));
        }
        let lines = text.lines().count();
        let ceiling = LONG_FILES
            .iter()
            .find(|(p, _, _)| *p == name)
            .map_or(MAX_LINES, |(_, n, _)| *n);
        if lines > ceiling {
            bad.push(format!(
                "{name}: {lines} lines, more than {ceiling}; split it by what the code does"
            ));
        }
    }
    for (p, _, _) in LONG_FILES {
        if !root().join(p).exists() {
            bad.push(format!("LONG_FILES lists {p}, which is gone: remove it"));
        }
    }
    assert!(bad.is_empty(), "tidy:\n{}", bad.join("\n"));
    Ok(())
}

#[test]
fn every_api_endpoint_is_declared_once_with_its_operation() -> anyhow::Result<()> {
    let api = root().join("crates/quan-web/src/api");
    let mut bad = Vec::new();
    let mut operations = 0;
    for f in src_files()? {
        if !f.starts_with(&api) {
            continue;
        }
        let code = code_of(&std::fs::read_to_string(&f)?);
        if code.contains(".route(") {
            bad.push(format!(
                "{}: mounts a handler with `.route(`; declare it with #[utoipa::path] and \
                 mount it with `routes!`, so it is in the OpenAPI document",
                rel(&f)
            ));
        }
        // Every declared operation is mounted: `routes!` lists as many handlers.
        let declared = code.matches("#[utoipa::path(").count();
        let mounted: usize = code
            .split("routes!(")
            .skip(1)
            .map(|s| {
                s.split(')')
                    .next()
                    .unwrap_or("")
                    .split(',')
                    .filter(|h| !h.trim().is_empty())
                    .count()
            })
            .sum();
        if declared != mounted {
            bad.push(format!(
                "{}: {declared} operations declared but {mounted} mounted with routes!",
                rel(&f)
            ));
        }
        operations += declared;
    }
    assert!(operations >= 90, "found only {operations} API operations");
    assert!(bad.is_empty(), "API declarations:\n{}", bad.join("\n"));
    Ok(())
}

/// Each function of a source text starting at column 0 or inside an `impl`/`mod`,
/// as (name, lines from its `fn` line to its closing brace at the same indent).
fn function_lengths(text: &str) -> Vec<(String, usize)> {
    let lines: Vec<&str> = text.lines().collect();
    let mut out = Vec::new();
    for (i, line) in lines.iter().enumerate() {
        let trimmed = line.trim_start();
        let indent = line.len() - trimmed.len();
        let sig = trimmed.strip_prefix("pub ").unwrap_or(trimmed);
        let sig = sig.strip_prefix("async ").unwrap_or(sig);
        let Some(rest) = sig.strip_prefix("fn ") else {
            continue;
        };
        let name: String = rest
            .chars()
            .take_while(|c| c.is_alphanumeric() || *c == '_')
            .collect();
        let close = format!("{}}}", " ".repeat(indent));
        if let Some(end) = lines[i + 1..].iter().position(|l| l.trim_end() == close) {
            out.push((name, end + 2));
        }
    }
    out
}

#[test]
fn scenario_tests_stay_short() -> anyhow::Result<()> {
    let mut files = Vec::new();
    rust_files(&root().join("crates/quan-testkit/tests/it"), &mut files);
    let mut bad = Vec::new();
    for f in files {
        let text = std::fs::read_to_string(&f)?;
        for (name, n) in function_lengths(&text) {
            if n > MAX_TEST_FN_LINES {
                bad.push(format!(
                    "{}: fn {name} is {n} lines, more than {MAX_TEST_FN_LINES}",
                    rel(&f)
                ));
            }
        }
    }
    assert!(bad.is_empty(), "tidy:\n{}", bad.join("\n"));
    Ok(())
}

#[test]
fn function_lengths_count_from_fn_to_its_brace() {
    let text =
        "fn a() {\n    x();\n}\n\nasync fn b() {\n}\n    pub fn c() {\n        y();\n    }\n";
    assert_eq!(
        function_lengths(text),
        [
            ("a".to_owned(), 3),
            ("b".to_owned(), 2),
            ("c".to_owned(), 3)
        ]
    );
}

#[test]
fn crate_paths_expand_use_groups() {
    assert_eq!(
        crate_paths("use crate::circles::{CircleError, port::PostRecord};\nx = crate::a::b(1);"),
        vec![
            "crate::circles::CircleError",
            "crate::circles::port::PostRecord",
            "crate::a::b"
        ]
    );
    assert!(crate_paths("quan_crate::x").is_empty());
}
