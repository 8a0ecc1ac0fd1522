//! Customer inheritance: the preview says who cannot move and why; the customer may
//! refuse within 24 h (an on-job refusal keeps them with their staff member, a
//! resignation refusal leaves them unassigned and at risk); after 24 h the transfer
//! completes; at most two moves in 90 days; a receiver at the cap fails per
//! customer, at the preview and at completion. The clock moves; nothing sleeps.

use quan_testkit::{TestApp, User, on_both_backends};
use serde_json::json;

on_both_backends!(
    on_job_transfers_wait_for_a_refusal_then_complete,
    a_receiver_at_the_cap_fails_the_transfer_not_the_customer,
    a_refused_resignation_leaves_the_customer_at_risk,
    customers_move_at_most_twice_in_ninety_days
);

/// Tea House with Alice (4 customers: Yu and Chen with accounts, two entered by
/// hand) and Bob (2 of a cap of 4): (owner, org, alice, bob, yu, chen, alice's
/// contact ids in that order).
async fn desk(app: &TestApp) -> (User, String, User, User, User, User, Vec<String>) {
    let (owner, org) = app.owner("Tea House").await;
    let alice = app.user("Alice").await;
    let bob = app.user("Bob").await;
    app.join(&owner, &org, &alice, "sales").await;
    app.join(&owner, &org, &bob, "sales").await;
    owner.set_policy(&org, "month", "", 4).await;
    let code = owner
        .create_code(&org, json!({"name": "Desk", "staff": [alice.id]}))
        .await;
    let (yu, chen) = (app.user("Yu").await, app.user("Chen").await);
    let mut contacts = vec![
        yu.open_code(&code.url).await.id,
        chen.open_code(&code.url).await.id,
    ];
    for name in ["P3", "P4"] {
        let p = owner.create_person(&org, name).await.id;
        contacts.push(owner.add_contact(&org, &p, Some(&alice.id)).await.id);
    }
    for name in ["Bob's own", "Bob's second"] {
        let p = owner.create_person(&org, name).await.id;
        owner.add_contact(&org, &p, Some(&bob.id)).await;
    }
    (owner, org, alice, bob, yu, chen, contacts)
}

async fn on_job_transfers_wait_for_a_refusal_then_complete(app: TestApp) {
    let (owner, org, alice, bob, yu, chen, contacts) = desk(&app).await;
    let ids: Vec<&str> = contacts.iter().map(String::as_str).collect();
    let body = User::transfer_body("on_job", &alice.id, &ids, &[&bob.id]);
    let pre = owner.preview_transfer(&org, body.clone()).await;
    let refusals: Vec<Option<&str>> = pre.iter().map(|r| r.refusal.as_deref()).collect();
    assert_eq!(
        refusals,
        [None, None, Some("receiver_at_cap"), Some("receiver_at_cap")],
        "Bob has room for two"
    );
    assert_eq!(
        alice.try_transfer(&org, body.clone()).await.problem(),
        (403, Some("forbidden"))
    );
    let batch = owner.transfer(&org, body).await;
    assert_eq!(batch.transfers.len(), 2);

    // Both customers are told; Yu refuses and stays with Alice.
    let yu_notice = yu.my_transfers().await;
    assert_eq!((yu_notice.len(), yu_notice[0].to_name.as_str()), (1, "Bob"));
    assert_eq!(yu_notice[0].message, "我调岗了，之后由同事为您服务");
    let r = yu.try_refuse(&yu_notice[0].id).await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(yu.try_refuse(&yu_notice[0].id).await.status, 404, "decided");
    app.clock.advance_secs(23 * 3600);
    assert_eq!(
        quan_core::reach::transfers::complete_due(&app.services)
            .await
            .ok(),
        Some(0)
    );
    assert_eq!(chen.conversations().await[0].staff_name, "Alice", "not yet");

    // 24 h later Chen's completes; a refusal now is too late.
    app.clock.advance_secs(3600);
    let late = chen.try_refuse(&chen.my_transfers().await[0].id).await;
    assert_eq!(late.problem(), (422, Some("transfer_state")));
    assert_eq!(
        quan_core::reach::transfers::complete_due(&app.services)
            .await
            .ok(),
        Some(1)
    );
    let chens: Vec<String> = chen
        .conversations()
        .await
        .into_iter()
        .map(|c| c.staff_name)
        .collect();
    assert_eq!(chens, ["Bob"]);
    assert_eq!(yu.conversations().await[0].staff_name, "Alice");
    let states: Vec<String> = owner
        .transfers(&org)
        .await
        .into_iter()
        .map(|t| t.state)
        .collect();
    assert!(
        states.contains(&"completed".into()) && states.contains(&"refused".into()),
        "{states:?}"
    );
    let bobs = bob.contacts(&org, "").await.items;
    assert!(
        bobs.iter()
            .any(|c| c.person_name == "Chen" && c.source == "transfer")
    );
}

/// A receiver who fills up meanwhile fails the transfer, not the customer.
async fn a_receiver_at_the_cap_fails_the_transfer_not_the_customer(app: TestApp) {
    let (owner, org, alice, _, _, _, contacts) = desk(&app).await;
    let p3 = &contacts[2];
    let body = User::transfer_body("on_job", &alice.id, &[p3.as_str()], &[&owner.id]);
    owner.transfer(&org, body).await;
    for name in ["O1", "O2", "O3", "O4"] {
        let p = owner.create_person(&org, name).await.id;
        owner.add_contact(&org, &p, None).await;
    }
    app.clock.advance_secs(24 * 3600);
    assert_eq!(
        quan_core::reach::transfers::complete_due(&app.services)
            .await
            .ok(),
        Some(0)
    );
    let failed = owner
        .transfers(&org)
        .await
        .into_iter()
        .find(|t| t.state == "failed");
    assert_eq!(
        failed.and_then(|t| t.reason).as_deref(),
        Some("receiver_at_cap")
    );
    assert!(
        alice
            .contacts(&org, "")
            .await
            .items
            .iter()
            .any(|c| &c.id == p3),
        "P3 stays"
    );
}

async fn a_refused_resignation_leaves_the_customer_at_risk(app: TestApp) {
    let (owner, org, alice, bob, yu, _, contacts) = desk(&app).await;
    let body = User::transfer_body("resigned", &alice.id, &[&contacts[0]], &[&bob.id]);
    owner.transfer(&org, body).await;
    let t = yu.my_transfers().await.remove(0);
    assert_eq!(t.kind, "resigned");
    assert_eq!(yu.try_refuse(&t.id).await.status, 200);
    assert!(
        yu.conversations().await.is_empty(),
        "unassigned: Alice left"
    );
    let at_risk: Vec<(String, String, String)> = owner
        .transfers(&org)
        .await
        .into_iter()
        .map(|t| (t.kind, t.state, t.person_name))
        .collect();
    assert_eq!(
        at_risk,
        [("resigned".into(), "refused".into(), "Yu".into())]
    );
    let kinds: Vec<String> = owner
        .events(&org, "")
        .await
        .items
        .into_iter()
        .map(|e| e.kind)
        .collect();
    assert!(
        kinds.contains(&"transfer.refused".into()) && kinds.contains(&"transfer.started".into())
    );
}

async fn customers_move_at_most_twice_in_ninety_days(app: TestApp) {
    let (owner, org, alice, bob, _, chen, contacts) = desk(&app).await;
    let mut from = (alice.id.clone(), contacts[1].clone());
    for (to, n) in [(&bob, 1), (&alice, 2)] {
        let body = User::transfer_body("on_job", &from.0, &[&from.1], &[&to.id]);
        owner.transfer(&org, body).await;
        app.clock.advance_secs(24 * 3600 + 1);
        assert_eq!(
            quan_core::reach::transfers::complete_due(&app.services)
                .await
                .ok(),
            Some(1),
            "move {n}"
        );
        from = (to.id.clone(), chen.conversations().await.remove(0).id);
    }
    let body = User::transfer_body("on_job", &from.0, &[&from.1], &[&bob.id]);
    let pre = owner.preview_transfer(&org, body.clone()).await;
    assert_eq!(pre[0].refusal.as_deref(), Some("too_many_transfers"));
    assert!(owner.transfer(&org, body).await.transfers.is_empty());
    app.clock.advance_secs(89 * 86_400);
    // Sessions end long before that: sign in again.
    assert_eq!(
        owner.c.log_in(&owner.login, "password-123").await.status,
        200
    );
    let body = User::transfer_body("on_job", &from.0, &[&from.1], &[&bob.id]);
    assert_eq!(
        owner.preview_transfer(&org, body).await[0].refusal,
        None,
        "90 days on"
    );
    let bad = User::transfer_body("sacked", &alice.id, &[&contacts[0]], &[&bob.id]);
    assert_eq!(
        owner.try_transfer(&org, bad).await.field(),
        (422, Some("kind"))
    );
    let long = json!({"kind": "on_job", "from_staff": alice.id, "contacts": [contacts[0]],
                      "receivers": [bob.id], "message": "长".repeat(201)});
    assert_eq!(
        owner.try_transfer(&org, long).await.field(),
        (422, Some("message"))
    );
}
