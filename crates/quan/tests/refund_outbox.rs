//! Kill -9 between a refund's decision and its delivery, restart: nothing is lost
//! and nothing is paid back twice. Staff approve refunds of many paid orders while
//! the real `quan` binary (SQLite) is killed mid-way; the approvals it had
//! acknowledged were written with their delivery job in one transaction (the
//! outbox), so after the restart the job queue asks the provider for each — by the
//! refund's own id, so a call that was in flight when it died is not a second
//! refund. Every order ends refunded exactly once, and the provider's records agree
//! with the shop's.

mod common;

use common::{free_port, start, wait_ready};
use serde_json::{Value, json};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// Paid orders whose refunds are decided around the kill.
const ORDERS: usize = 24;

/// The same signing secret across the restart, as a deployment keeps it.
const SANDBOX: (&str, &str) = (
    "QUAN__COMMERCE__SANDBOX_SECRET",
    "whsec_a2lsbC1uaW5lLXNhbmRib3gtc2VjcmV0LWZvci10ZXN0cw==",
);

/// A signed-in client of `login` (signed up first when `new`).
async fn session(base: &str, login: &str, new: bool) -> reqwest::Client {
    let c = common::client();
    if new {
        let r = c
            .post(format!("{base}/api/v1/accounts"))
            .json(&json!({"login": login, "password": "kill-nine-pass", "display_name": login}))
            .send()
            .await;
        assert!(
            r.is_ok_and(|r| r.status().as_u16() == 201),
            "sign up {login}"
        );
    }
    let r = c
        .post(format!("{base}/api/v1/sessions"))
        .json(&json!({"login": login, "password": "kill-nine-pass"}))
        .send()
        .await;
    assert!(r.is_ok_and(|r| r.status().is_success()), "sign in {login}");
    c
}

/// A request's status and JSON body; status 0 when the server is gone (killed).
async fn call(rb: reqwest::RequestBuilder) -> (u16, Value) {
    let Ok(r) = rb.send().await else {
        return (0, Value::Null);
    };
    let status = r.status().as_u16();
    (status, r.json().await.unwrap_or(Value::Null))
}

/// The buyer's orders' statuses, by id.
async fn statuses(buyer: &reqwest::Client, base: &str) -> Vec<(String, String)> {
    let (_, v) = call(buyer.get(format!("{base}/api/v1/me/orders?limit=100"))).await;
    v["items"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|o| {
            let s = |k: &str| o[k].as_str().unwrap_or_default().to_owned();
            (s("id"), s("status"))
        })
        .collect()
}

/// Waits (the job queue idles 5 s between rounds) until every order is `status`.
async fn until_all(buyer: &reqwest::Client, base: &str, status: &str) {
    for _ in 0..200 {
        let all = statuses(buyer, base).await;
        if all.len() == ORDERS && all.iter().all(|(_, s)| s == status) {
            return;
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    panic!("not all {status}: {:?}", statuses(buyer, base).await);
}

/// An owner's shop and `ORDERS` paid orders of a buyer, each with a refund asked:
/// (owner, org id, buyer).
async fn paid_orders_asking_refunds(base: &str) -> (reqwest::Client, String, reqwest::Client) {
    let owner = session(base, "owner@nine.test", true).await;
    let (_, org) = call(
        owner
            .post(format!("{base}/api/v1/orgs"))
            .json(&json!({"name": "Nine Teas"})),
    )
    .await;
    let org = org["id"].as_str().unwrap_or_default().to_owned();
    let (s, p) = call(
        owner
            .post(format!("{base}/api/v1/orgs/{org}/products"))
            .json(&json!({
        "name": "Oolong", "published": true,
        "skus": [{"name": "50 g", "price_fen": 3800, "stock": 1000}]})),
    )
    .await;
    assert_eq!(s, 201, "{p}");
    let sku = p["skus"][0]["id"].as_str().unwrap_or_default().to_owned();
    let buyer = session(base, "buyer@nine.test", true).await;
    for i in 0..ORDERS {
        let (s, o) = call(
            buyer
                .post(format!("{base}/api/v1/shops/{org}/orders"))
                .header("idempotency-key", format!("nine-{i}"))
                .json(&json!({"lines": [{"sku_id": sku, "quantity": 1}]})),
        )
        .await;
        assert_eq!(s, 201, "{o}");
        let id = o["id"].as_str().unwrap_or_default();
        let (_, pay) = call(
            buyer
                .post(format!("{base}/api/v1/me/orders/{id}/pay"))
                .json(&json!({})),
        )
        .await;
        let page = pay["pay_url"].as_str().unwrap_or_default().to_owned();
        let html = buyer
            .get(&page)
            .send()
            .await
            .unwrap_or_else(|e| panic!("{e}"))
            .text()
            .await
            .unwrap_or_default();
        let csrf = html
            .split("name=\"csrf\" value=\"")
            .nth(1)
            .and_then(|r| r.split('"').next())
            .unwrap_or_default()
            .to_owned();
        let r = buyer
            .post(&page)
            .form(&[("csrf", csrf.as_str()), ("outcome", "succeeded")])
            .send()
            .await;
        assert!(r.is_ok(), "decide");
    }
    until_all(&buyer, base, "paid").await;
    for (id, _) in statuses(&buyer, base).await {
        let (s, v) = call(
            buyer
                .post(format!("{base}/api/v1/me/orders/{id}/refund"))
                .json(&json!({"reason": ""})),
        )
        .await;
        assert_eq!(s, 200, "{v}");
    }
    (owner, org, buyer)
}

async fn approve(owner: &reqwest::Client, base: &str, org: &str, id: &str) -> u16 {
    call(
        owner
            .post(format!(
                "{base}/api/v1/orgs/{org}/orders/{id}/refund/approve"
            ))
            .json(&json!({})),
    )
    .await
    .0
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn refunds_decided_before_a_kill_9_are_paid_back_once_after_restart() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let port = free_port(18098);
    let base = format!("http://127.0.0.1:{port}");
    let mut child = start(dir.path(), port, &[SANDBOX]);
    wait_ready(&base).await;
    let (owner, org, buyer) = paid_orders_asking_refunds(&base).await;
    let ids: Vec<String> = statuses(&buyer, &base)
        .await
        .into_iter()
        .map(|(id, _)| id)
        .collect();
    // Four members of staff approve a quarter each; each acknowledged approval is
    // recorded; the plug is pulled once half are in.
    let acked = Arc::new(Mutex::new(Vec::<String>::new()));
    let mut staff = Vec::new();
    for part in ids.chunks(ORDERS / 4) {
        let (owner, base, org, acked) =
            (owner.clone(), base.clone(), org.clone(), Arc::clone(&acked));
        let part = part.to_vec();
        staff.push(tokio::spawn(async move {
            for id in part {
                if approve(&owner, &base, &org, &id).await != 200 {
                    return;
                }
                if let Ok(mut a) = acked.lock() {
                    a.push(id);
                }
            }
        }));
    }
    for _ in 0..400 {
        if acked.lock().map(|a| a.len()).unwrap_or(0) >= ORDERS / 2 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    child.kill().unwrap_or_else(|e| panic!("kill: {e}")); // SIGKILL on Unix
    let _ = child.wait();
    for s in staff {
        let _ = s.await;
    }
    let acked: Vec<String> = acked.lock().map(|a| a.clone()).unwrap_or_default();
    assert!(
        acked.len() >= ORDERS / 4,
        "approvals acknowledged before the kill: {}",
        acked.len()
    );

    let restarted_at = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX));
    let mut child = start(dir.path(), port, &[SANDBOX]);
    wait_ready(&base).await;
    // Staff approve what they were not told was approved: either it is now, or it
    // was committed before the kill and is refunded already (`refund_exists`),
    // or it is on its way (the order is refunded already: `illegal_transition`).
    for id in ids.iter().filter(|id| !acked.contains(id)) {
        let s = approve(&owner, &base, &org, id).await;
        assert!(
            matches!(s, 200 | 409),
            "approve {id} after the restart: {s}"
        );
    }
    until_all(&buyer, &base, "refunded").await;
    let (_, log) = call(owner.get(format!("{base}/api/v1/orgs/{org}/payments/webhooks"))).await;
    let refunded: Vec<&Value> = log
        .as_array()
        .into_iter()
        .flatten()
        .filter(|w| w["outcome"] == "refunded")
        .collect();
    assert_eq!(refunded.len(), ORDERS, "each order refunded once: {log}");
    // More went out after the restart than staff approved after it: approvals
    // acknowledged before the kill sat in the outbox through it.
    let after = refunded
        .iter()
        .filter(|w| w["received_at"].as_i64().unwrap_or(0) >= restarted_at)
        .count();
    assert!(
        after > ORDERS - acked.len(),
        "{after} refunds settled after the restart, {} approved after it",
        ORDERS - acked.len()
    );
    let (_, diff) =
        call(owner.get(format!("{base}/api/v1/orgs/{org}/payments/reconciliation"))).await;
    assert_eq!(
        diff,
        json!([]),
        "the provider's records agree with the shop's"
    );
    eprintln!(
        "kill -9 amid refund approvals: {} acknowledged before the kill; {after} settled after the restart; all {ORDERS} refunded once",
        acked.len()
    );
    let _ = child.kill();
    let _ = child.wait();
}
