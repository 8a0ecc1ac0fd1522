//! The web pages in a real browser: Debian's chromium driven through chromedriver.
//! Each story drives one or two browsers through the pages as people would, a step
//! function per stretch of it. Screenshots land in `screenshots/`.

mod commerce;
mod coupons;
mod flash;
mod local;
mod membership;
mod onboarding;
mod reach;
mod refunds;
mod running;

use fantoccini::{Client, ClientBuilder, Locator};
use quan_testkit::missing;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

struct Driver(Child);

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn which(names: &[&str]) -> Option<PathBuf> {
    names.iter().map(PathBuf::from).find(|p| p.exists())
}

fn free_port() -> Option<u16> {
    std::net::TcpListener::bind("127.0.0.1:0")
        .ok()?
        .local_addr()
        .ok()
        .map(|a| a.port())
}

async fn browser(profile: &std::path::Path) -> Option<(Driver, Client)> {
    let (Some(chromium), Some(driver)) = (
        which(&["/usr/bin/chromium", "/usr/bin/chromium-browser"]),
        which(&["/usr/bin/chromedriver"]),
    ) else {
        missing(
            "chromium + chromium-driver",
            "not installed (apt-get install chromium chromium-driver)",
        );
        return None;
    };
    let port = free_port()?;
    let child = Command::new(driver)
        .arg(format!("--port={port}"))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .ok()?;
    let driver = Driver(child);
    let caps = serde_json::json!({
        "browserName": "chrome",
        "goog:chromeOptions": {
            "binary": chromium,
            "args": ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-quic",
                     "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync",
                     "--window-size=1280,860", "--lang=en-US", format!("--user-data-dir={}", profile.display())]
        }
    });
    let caps = caps.as_object().cloned().unwrap_or_default();
    let url = format!("http://127.0.0.1:{port}");
    for _ in 0..50 {
        let connected =
            ClientBuilder::new(hyper_util::client::legacy::connect::HttpConnector::new())
                .capabilities(caps.clone())
                .connect(&url)
                .await;
        if let Ok(c) = connected {
            return Some((driver, c));
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    missing("chromedriver", "did not accept a session");
    None
}

/// What keeps a story's browsers alive: each one's profile directory and driver.
type Kept = Vec<(tempfile::TempDir, Driver)>;

/// A shop story's browsers: a desk for the owner and two phones (390×844) for
/// buyers, each with its own profile. None when Chromium is missing.
async fn desk_and_two_phones() -> Option<(Kept, [Client; 3])> {
    let mut kept = Vec::new();
    let mut clients = Vec::new();
    for i in 0..3 {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let (driver, c) = browser(dir.path()).await?;
        if i > 0 {
            let _ = c.set_window_size(390, 844).await;
        }
        kept.push((dir, driver));
        clients.push(c);
    }
    let [a, b, c]: [Client; 3] = clients.try_into().ok()?;
    Some((kept, [a, b, c]))
}

/// The server a story's browsers talk to: SQLite, with its own job worker, as
/// `quan serve` runs (payments land and seats open by jobs, as for real).
async fn served() -> Option<quan_testkit::TestApp> {
    let opts = quan_testkit::Spawn {
        job_worker: true,
        ..quan_testkit::Spawn::default()
    };
    quan_testkit::spawn_with(quan_testkit::Backend::Sqlite, opts).await
}

fn shots_dir() -> PathBuf {
    let d = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../screenshots");
    let _ = std::fs::create_dir_all(&d);
    d
}

async fn shot(c: &Client, name: &str) {
    if let Ok(png) = c.screenshot().await {
        let _ = std::fs::write(shots_dir().join(format!("{name}.png")), png);
    }
}

async fn fill(c: &Client, css: &str, text: &str) {
    let e = c
        .find(Locator::Css(css))
        .await
        .unwrap_or_else(|e| panic!("{css}: {e}"));
    e.clear().await.unwrap_or_else(|e| panic!("{e}"));
    e.send_keys(text).await.unwrap_or_else(|e| panic!("{e}"));
}

/// Clicks something that navigates (a link, a form's submit button) and waits for
/// the new page to finish loading, so the next step never reads the old one.
async fn click(c: &Client, css: &str) {
    let origin = || async {
        c.execute("return performance.timeOrigin", vec![])
            .await
            .ok()
    };
    let before = origin().await;
    let el = c
        .find(Locator::Css(css))
        .await
        .unwrap_or_else(|e| panic!("{css}: {e}"));
    // Centre it first: the phone layout's fixed tab bar would take a click at the
    // bottom edge.
    let arg = serde_json::to_value(&el).unwrap_or_default();
    let _ = c
        .execute("arguments[0].scrollIntoView({block: 'center'})", vec![arg])
        .await;
    el.click().await.unwrap_or_else(|e| panic!("{css}: {e}"));
    for _ in 0..100 {
        let ready = c.execute("return document.readyState", vec![]).await.ok();
        if origin().await != before && ready.as_ref().and_then(|v| v.as_str()) == Some("complete") {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("clicking {css} did not load a new page");
}

async fn body_text(c: &Client) -> String {
    c.find(Locator::Css("body"))
        .await
        .unwrap_or_else(|e| panic!("{e}"))
        .text()
        .await
        .unwrap_or_default()
}

/// Waits (up to 5 s) until the page shows `needle`: a submit may still be loading.
async fn wait_text(c: &Client, needle: &str) -> String {
    let mut last = String::new();
    for _ in 0..50 {
        if let Ok(e) = c.find(Locator::Css("body")).await {
            last = e.text().await.unwrap_or_default();
            if last.contains(needle) {
                return last;
            }
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("the page never showed {needle:?}: {last}");
}

async fn wait_for_path(c: &Client, prefix: &str) -> String {
    for _ in 0..50 {
        if let Ok(u) = c.current_url().await
            && u.path().starts_with(prefix)
        {
            return u.path().to_owned();
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!(
        "never reached {prefix}: {:?}",
        c.current_url().await.map(|u| u.to_string())
    );
}

async fn log_in(c: &Client, base: &str, login: &str) {
    c.goto(&format!("{base}/login"))
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    fill(c, "input[name=login]", login).await;
    fill(c, "input[name=password]", "password-123").await;
    click(c, "button[type=submit].primary").await;
}

/// Clicks something that does not navigate: a `<details>` summary, a checkbox.
async fn tap(c: &Client, css: &str) {
    c.find(Locator::Css(css))
        .await
        .unwrap_or_else(|e| panic!("{css}: {e}"))
        .click()
        .await
        .unwrap_or_else(|e| panic!("{e}"));
}

async fn select(c: &Client, css: &str, value: &str) {
    c.find(Locator::Css(css))
        .await
        .unwrap_or_else(|e| panic!("{css}: {e}"))
        .select_by_value(value)
        .await
        .unwrap_or_else(|e| panic!("{css} = {value}: {e}"));
}

/// Opens a page, absolute URL.
async fn go(c: &Client, url: &str) {
    c.goto(url).await.unwrap_or_else(|e| panic!("{url}: {e}"));
}

/// An input's current value (a link to copy, what was typed).
async fn value_of(c: &Client, css: &str) -> String {
    let e = c
        .find(Locator::Css(css))
        .await
        .unwrap_or_else(|e| panic!("{css}: {e}"));
    e.prop("value").await.ok().flatten().unwrap_or_default()
}

/// Where the link with this text points.
async fn href_of(c: &Client, text: &str) -> String {
    let e = c
        .find(Locator::LinkText(text))
        .await
        .unwrap_or_else(|e| panic!("link {text}: {e}"));
    e.attr("href").await.ok().flatten().unwrap_or_default()
}

/// Chooses a file for a file input.
async fn choose_file(c: &Client, css: &str, path: &std::path::Path) {
    let e = c
        .find(Locator::Css(css))
        .await
        .unwrap_or_else(|e| panic!("{css}: {e}"));
    e.send_keys(&path.display().to_string())
        .await
        .unwrap_or_else(|e| panic!("{css}: {e}"));
}

/// Runs a script that returns a JSON value (null when it fails).
async fn js(c: &Client, script: &str) -> serde_json::Value {
    c.execute(script, vec![]).await.unwrap_or_default()
}
