//! The store's conformance suite: the same rules, on SQLite and PostgreSQL, under
//! concurrency where concurrency is the point.

use quan_core::*;
use quan_domain::*;
use quan_store::{ConnectOptions, SqlStore};
use quan_testkit::{Backend, TestDb};
use serde_json::json;
use std::collections::HashSet;
use std::sync::Arc;

async fn store(backend: Backend) -> Option<(Arc<SqlStore>, TestDb)> {
    let db = TestDb::new(backend).await?;
    let s = SqlStore::connect(
        &db.url,
        &ConnectOptions {
            max_connections: 8,
            ..Default::default()
        },
    )
    .await
    .unwrap_or_else(|e| panic!("{e}"));
    s.migrate().await.unwrap_or_else(|e| panic!("{e}"));
    // Migrating again is a no-op.
    s.migrate().await.unwrap_or_else(|e| panic!("{e}"));
    Some((Arc::new(s), db))
}

macro_rules! store_tests {
    ($($name:ident),* $(,)?) => {$(
        mod $name {
            #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
            async fn sqlite() {
                if let Some((s, _db)) = super::store(quan_testkit::Backend::Sqlite).await { super::$name(s).await }
            }
            #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
            async fn postgres() {
                if let Some((s, _db)) = super::store(quan_testkit::Backend::Postgres).await { super::$name(s).await }
            }
        }
    )*};
}

store_tests!(
    unique_rules_have_names,
    invite_uses_never_exceed_max_under_concurrency,
    an_org_always_keeps_an_owner_under_concurrency,
    jobs_are_claimed_once_under_concurrency,
    job_failures_retry_then_stop,
    org_scoped_reads_filter_by_org,
    purge_removes_only_expired,
    blobs_round_trip_every_byte
);

/// The database blob store keeps every byte (all 256 values, a NUL, invalid UTF-8),
/// a second put of the same key changes nothing, even from 8 tasks at once.
async fn blobs_round_trip_every_byte(s: Arc<SqlStore>) {
    let blobs: Arc<dyn BlobStore> = s;
    let bytes: Vec<u8> = (0..=255u8).cycle().take(300_000).collect();
    let key = "ab".repeat(32);
    let mut tasks = Vec::new();
    for _ in 0..8 {
        let (b, k, v) = (Arc::clone(&blobs), key.clone(), bytes.clone());
        tasks.push(tokio::spawn(async move { b.put(&k, &v).await }));
    }
    for t in tasks {
        assert!(
            matches!(t.await, Ok(Ok(()))),
            "concurrent puts of one key all succeed"
        );
    }
    let got = blobs.get(&key).await.unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(got.as_deref(), Some(&bytes[..]));
    assert_eq!(blobs.get(&"cd".repeat(32)).await.ok(), Some(None));
}

fn now() -> Timestamp {
    SystemClock.now()
}

fn ev(org: OrgId, kind: &str) -> EventRecord {
    EventRecord {
        id: EventId::new(),
        org_id: org,
        kind: kind.into(),
        subject: "test".into(),
        actor: None,
        data: json!({}),
        at: now(),
    }
}

async fn account(s: &SqlStore, n: usize) -> AccountId {
    let a = AccountRecord {
        id: AccountId::new(),
        email: Some(format!("u{n}-{}@t.example", uuid::Uuid::now_v7().simple())),
        phone: None,
        display_name: format!("U{n}"),
        password_hash: "x".into(),
        created_at: now(),
    };
    s.account_insert(&a).await.unwrap_or_else(|e| panic!("{e}"));
    a.id
}

async fn org_with_owner(s: &SqlStore) -> (OrgId, AccountId) {
    let owner = account(s, 0).await;
    let org = OrgRecord {
        id: OrgId::new(),
        name: "Org".into(),
        created_at: now(),
    };
    s.org_create(&org, owner, &ev(org.id, "org.created"))
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    (org.id, owner)
}

async fn unique_rules_have_names(s: Arc<SqlStore>) {
    let a = AccountRecord {
        id: AccountId::new(),
        email: Some("same@t.example".into()),
        phone: Some("+8613800000000".into()),
        display_name: "A".into(),
        password_hash: "x".into(),
        created_at: now(),
    };
    s.account_insert(&a).await.unwrap_or_else(|e| panic!("{e}"));
    let dup_email = AccountRecord {
        id: AccountId::new(),
        phone: None,
        ..a.clone()
    };
    assert!(
        s.account_insert(&dup_email)
            .await
            .is_err_and(|e| e.is_conflict_on(constraints::ACCOUNT_EMAIL))
    );
    let dup_phone = AccountRecord {
        id: AccountId::new(),
        email: None,
        ..a.clone()
    };
    assert!(
        s.account_insert(&dup_phone)
            .await
            .is_err_and(|e| e.is_conflict_on(constraints::ACCOUNT_PHONE))
    );
    // Two accounts without a phone do not collide (NULLs are distinct on both engines).
    for _ in 0..2 {
        account(&s, 1).await;
    }
}

async fn invite_uses_never_exceed_max_under_concurrency(s: Arc<SqlStore>) {
    let (org, owner) = org_with_owner(&s).await;
    let inv = InviteRecord {
        id: InviteId::new(),
        org_id: org,
        role: Role::Sales,
        code_hash: "h".repeat(64),
        created_by: owner,
        created_at: now(),
        expires_at: now().plus_secs(3600),
        max_uses: 5,
        uses: 0,
        revoked_at: None,
    };
    s.invite_insert(&inv, &ev(org, "invite.created"))
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let mut accounts = Vec::new();
    for i in 0..40 {
        accounts.push(account(&s, i).await);
    }
    let tasks: Vec<_> = accounts
        .into_iter()
        .map(|a| {
            let s = Arc::clone(&s);
            let hash = inv.code_hash.clone();
            tokio::spawn(async move {
                s.invite_accept(
                    &hash,
                    a,
                    now(),
                    &ev(OrgId::from_uuid(uuid::Uuid::nil()), "staff.joined"),
                )
                .await
            })
        })
        .collect();
    let mut joined = 0;
    for t in tasks {
        match t
            .await
            .unwrap_or_else(|e| panic!("{e}"))
            .unwrap_or_else(|e| panic!("{e}"))
        {
            InviteOutcome::Joined { org: o, role } => {
                assert_eq!((o, role), (org, Role::Sales));
                joined += 1;
            }
            InviteOutcome::Invalid => {}
            InviteOutcome::AlreadyStaff { .. } => panic!("fresh accounts"),
        }
    }
    assert_eq!(joined, 5, "exactly max_uses joined");
    let staff = s
        .staff_list(org, &PageRequest::first(100))
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(staff.items.len(), 6);
    let stored = s
        .invite_by_code_hash(&inv.code_hash)
        .await
        .ok()
        .flatten()
        .map(|i| i.uses);
    assert_eq!(stored, Some(5));
    // The join events went to the right org.
    let events = s
        .event_list(org, &PageRequest::first(100))
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        events
            .items
            .iter()
            .filter(|e| e.kind == "staff.joined")
            .count(),
        5
    );
}

async fn an_org_always_keeps_an_owner_under_concurrency(s: Arc<SqlStore>) {
    for round in 0..5 {
        let (org, first) = org_with_owner(&s).await;
        let second = account(&s, round).await;
        let inv = InviteRecord {
            id: InviteId::new(),
            org_id: org,
            role: Role::Owner,
            code_hash: format!("{round}{}", "o".repeat(60)),
            created_by: first,
            created_at: now(),
            expires_at: now().plus_secs(60),
            max_uses: 1,
            uses: 0,
            revoked_at: None,
        };
        s.invite_insert(&inv, &ev(org, "invite.created"))
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        s.invite_accept(&inv.code_hash, second, now(), &ev(org, "staff.joined"))
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        // Both owners demote (or remove) each other at the same moment.
        let (s1, s2) = (Arc::clone(&s), Arc::clone(&s));
        let a = tokio::spawn(async move {
            s1.staff_set_role(org, first, Role::Admin, &ev(org, "staff.role_changed"))
                .await
        });
        let b = tokio::spawn(async move {
            s2.staff_remove(org, second, &ev(org, "staff.removed"))
                .await
        });
        let ra = a
            .await
            .unwrap_or_else(|e| panic!("{e}"))
            .unwrap_or_else(|e| panic!("{e}"));
        let rb = b
            .await
            .unwrap_or_else(|e| panic!("{e}"))
            .unwrap_or_else(|e| panic!("{e}"));
        let done = [ra, rb].iter().filter(|r| **r == StaffChange::Done).count();
        assert_eq!(done, 1, "exactly one of the two may proceed: {ra:?} {rb:?}");
        let owners = s
            .staff_list(org, &PageRequest::first(10))
            .await
            .unwrap_or_else(|e| panic!("{e}"))
            .items
            .iter()
            .filter(|m| m.role == Role::Owner)
            .count();
        assert_eq!(owners, 1);
    }
}

async fn jobs_are_claimed_once_under_concurrency(s: Arc<SqlStore>) {
    let t0 = now();
    let mut ids = HashSet::new();
    for i in 0..60 {
        let id = JobId::new();
        ids.insert(id);
        assert!(
            s.job_enqueue(&NewJob {
                id,
                kind: "test".into(),
                payload: json!({"i": i}),
                run_at: t0,
                max_attempts: 3,
                dedupe_key: None
            })
            .await
            .unwrap_or(false)
        );
    }
    assert!(
        s.job_enqueue(&NewJob {
            id: JobId::new(),
            kind: "test".into(),
            payload: json!({}),
            run_at: t0.plus_secs(3600),
            max_attempts: 3,
            dedupe_key: Some("once".into())
        })
        .await
        .unwrap_or(false)
    );
    assert!(
        !s.job_enqueue(&NewJob {
            id: JobId::new(),
            kind: "test".into(),
            payload: json!({}),
            run_at: t0.plus_secs(3600),
            max_attempts: 3,
            dedupe_key: Some("once".into())
        })
        .await
        .unwrap_or(true),
        "deduped"
    );
    let workers: Vec<_> = (0..8)
        .map(|_| {
            let s = Arc::clone(&s);
            tokio::spawn(async move {
                let mut got = Vec::new();
                while let Some(j) = s
                    .job_claim(t0.plus_secs(1), 60_000)
                    .await
                    .unwrap_or_else(|e| panic!("{e}"))
                {
                    s.job_complete(j.id, t0.plus_secs(1))
                        .await
                        .unwrap_or_else(|e| panic!("{e}"));
                    got.push(j.id);
                }
                got
            })
        })
        .collect();
    let mut claimed = Vec::new();
    for w in workers {
        claimed.extend(w.await.unwrap_or_else(|e| panic!("{e}")));
    }
    let unique: HashSet<_> = claimed.iter().copied().collect();
    assert_eq!(
        claimed.len(),
        60,
        "every due job once; the future one not yet"
    );
    assert_eq!(unique, ids);
}

async fn job_failures_retry_then_stop(s: Arc<SqlStore>) {
    let t0 = now();
    let id = JobId::new();
    s.job_enqueue(&NewJob {
        id,
        kind: "flaky".into(),
        payload: json!({}),
        run_at: t0,
        max_attempts: 2,
        dedupe_key: None,
    })
    .await
    .unwrap_or_else(|e| panic!("{e}"));
    let j = s
        .job_claim(t0, 1000)
        .await
        .ok()
        .flatten()
        .map(|j| (j.id, j.attempts));
    assert_eq!(j, Some((id, 1)));
    assert!(
        s.job_claim(t0, 1000).await.ok().flatten().is_none(),
        "leased"
    );
    s.job_fail(id, "boom", t0.plus_secs(10))
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(
        s.job_claim(t0.plus_secs(5), 1000)
            .await
            .ok()
            .flatten()
            .is_none(),
        "not before retry_at"
    );
    let j = s
        .job_claim(t0.plus_secs(10), 1000)
        .await
        .ok()
        .flatten()
        .map(|j| j.attempts);
    assert_eq!(j, Some(2));
    s.job_fail(id, "boom again", t0.plus_secs(20))
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(
        s.job_claim(t0.plus_secs(3600), 1000)
            .await
            .ok()
            .flatten()
            .is_none(),
        "attempts used up"
    );
    // A lease that lapses (a worker died) lets another worker retry.
    let id2 = JobId::new();
    s.job_enqueue(&NewJob {
        id: id2,
        kind: "k".into(),
        payload: json!({}),
        run_at: t0,
        max_attempts: 3,
        dedupe_key: None,
    })
    .await
    .unwrap_or_else(|e| panic!("{e}"));
    assert!(s.job_claim(t0, 1000).await.ok().flatten().is_some());
    assert_eq!(
        s.job_claim(t0.plus_secs(2), 1000)
            .await
            .ok()
            .flatten()
            .map(|j| j.id),
        Some(id2)
    );
}

async fn org_scoped_reads_filter_by_org(s: Arc<SqlStore>) {
    let (a, _) = org_with_owner(&s).await;
    let (b, b_owner) = org_with_owner(&s).await;
    let p = PersonRecord {
        id: PersonId::new(),
        org_id: b,
        display_name: "B".into(),
        account_id: None,
        stage: LifecycleStage::Visitor,
        verified: false,
        created_at: now(),
        handles: vec![],
        merged_into: None,
    };
    s.person_insert(&p, &ev(b, "person.created"))
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(s.person_get(a, p.id).await.ok().flatten().is_none());
    assert!(s.person_get(b, p.id).await.ok().flatten().is_some());
    assert!(s.staff_get(a, b_owner).await.ok().flatten().is_none());
    let h = HandleRecord {
        id: HandleId::new(),
        person_id: p.id,
        kind: HandleKind::Nickname,
        value: "x".into(),
        verified: false,
        created_at: now(),
    };
    assert!(matches!(
        s.handle_insert(a, &h, &ev(a, "person.handle_added")).await,
        Err(StoreError::NotFound)
    ));
    assert!(matches!(
        s.staff_set_role(a, b_owner, Role::Sales, &ev(a, "x")).await,
        Err(StoreError::NotFound)
    ));
    assert!(matches!(
        s.staff_remove(a, b_owner, &ev(a, "x")).await,
        Err(StoreError::NotFound)
    ));
    assert_eq!(
        s.person_list(a, &PageRequest::first(10))
            .await
            .map(|p| p.items.len())
            .ok(),
        Some(0)
    );
}

async fn purge_removes_only_expired(s: Arc<SqlStore>) {
    let a = account(&s, 9).await;
    let t0 = now();
    for (hash, exp) in [("old", t0.plus_secs(-10)), ("live", t0.plus_secs(3600))] {
        s.session_insert(&SessionRecord {
            id: SessionId::new(),
            account_id: a,
            token_hash: hash.into(),
            created_at: t0,
            expires_at: exp,
        })
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    }
    assert!(
        s.session_find("old", t0).await.ok().flatten().is_none(),
        "expired sessions are not found"
    );
    s.purge_expired(t0, t0.plus_secs(-3600))
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(s.session_find("live", t0).await.ok().flatten().is_some());
}
