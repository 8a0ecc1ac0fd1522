//! The campaign-plan benchmark's generator: an org with `staff` sales staff and
//! `customers` customers spread over them (each a contact of one staff member), half
//! of them with half of this month's touch budget used, and a session for the owner,
//! so a load tool can preflight and send a campaign to all of them through the API.
//! Written straight to the tables in multi-row statements, in chunks, so memory stays
//! bounded whatever the size. Only for benchmark data directories.

use crate::bench::{I, NO_PASSWORD, Rng, T, Val, insert_rows, wall_now};
use crate::rows::backend;
use crate::store::SqlStore;
use quan_core::StoreResult;
use quan_domain::{AccountId, ContactId, OrgId, PersonId, SessionId, TouchPolicy};
use serde::Serialize;

#[derive(Debug, Clone, Serialize)]
pub struct ReachSeedReport {
    pub org_id: String,
    /// The owner's session secret (`quan_session=…`).
    pub owner_secret: String,
    pub customers: usize,
    pub staff: usize,
    /// Customers with half the month's budget used.
    pub half_used: usize,
    pub seconds: f64,
}

/// Customers written per chunk: bounds the rows held in memory.
const CHUNK: usize = 50_000;

pub async fn seed_reach(
    store: &SqlStore,
    customers: usize,
    staff: usize,
) -> StoreResult<ReachSeedReport> {
    let started = std::time::Instant::now();
    let now = wall_now();
    let no_password = NO_PASSWORD;
    let org = OrgId::new();
    let owner = AccountId::new();
    let staff_ids: Vec<AccountId> = (0..staff.max(1)).map(|_| AccountId::new()).collect();
    let mut accounts = vec![vec![
        T(owner.to_string()),
        T(format!("owner-{org}@bench.quan.local")),
        T("压测 Reach owner".into()),
        T(no_password.into()),
        I(now.millis()),
    ]];
    for (i, s) in staff_ids.iter().enumerate() {
        accounts.push(vec![
            T(s.to_string()),
            T(format!("sales-{i}-{org}@bench.quan.local")),
            T(format!("销售 Sales {i:03}")),
            T(no_password.into()),
            I(now.millis()),
        ]);
    }
    insert_rows(
        store,
        "accounts",
        &["id", "email", "display_name", "password_hash", "created_at"],
        accounts,
    )
    .await?;
    insert_rows(
        store,
        "orgs",
        &["id", "name", "created_at"],
        vec![vec![
            T(org.to_string()),
            T("压测 Reach bench".into()),
            I(now.millis()),
        ]],
    )
    .await?;
    let mut staff_rows = vec![vec![
        T(org.to_string()),
        T(owner.to_string()),
        T("owner".into()),
        I(now.millis()),
    ]];
    staff_rows.extend(staff_ids.iter().map(|s| {
        vec![
            T(org.to_string()),
            T(s.to_string()),
            T("sales".into()),
            I(now.millis()),
        ]
    }));
    insert_rows(
        store,
        "staff",
        &["org_id", "account_id", "role", "joined_at"],
        staff_rows,
    )
    .await?;
    // The budget period a campaign sent now falls in, under the standard policy.
    let w = TouchPolicy::standard().window(now);
    let mut rng = Rng(0x5EED_0000_0009_0001);
    let mut half = 0;
    let mut per_staff = vec![0i64; staff_ids.len()];
    let mut done = 0;
    while done < customers {
        let n = CHUNK.min(customers - done);
        let mut persons: Vec<Vec<Val>> = Vec::with_capacity(n);
        let mut contacts: Vec<Vec<Val>> = Vec::with_capacity(n);
        let mut counts: Vec<Vec<Val>> = Vec::new();
        for i in done..done + n {
            let p = PersonId::new();
            let s = usize::try_from(rng.below(staff_ids.len() as u64)).unwrap_or(0);
            per_staff[s] += 1;
            let added = now.millis() - i64::try_from(rng.below(90 * 86_400_000)).unwrap_or(0);
            persons.push(vec![
                T(p.to_string()),
                T(org.to_string()),
                T(format!("客户 Customer {i:07}")),
                T("follower".into()),
                I(added),
            ]);
            contacts.push(vec![
                T(ContactId::new().to_string()),
                T(org.to_string()),
                T(staff_ids[s].to_string()),
                T(p.to_string()),
                T("import".into()),
                I(added),
                I(added),
            ]);
            if i % 2 == 0 {
                half += 1;
                counts.push(vec![
                    T(org.to_string()),
                    T(p.to_string()),
                    T(w.key.clone()),
                    I(w.limit / 2),
                ]);
            }
        }
        insert_rows(
            store,
            "persons",
            &["id", "org_id", "display_name", "stage", "created_at"],
            persons,
        )
        .await?;
        insert_rows(
            store,
            "contacts",
            &[
                "id",
                "org_id",
                "staff_id",
                "person_id",
                "source",
                "added_at",
                "last_talked_at",
            ],
            contacts,
        )
        .await?;
        insert_rows(
            store,
            "touch_counts",
            &["org_id", "person_id", "period", "used"],
            counts,
        )
        .await?;
        done += n;
    }
    insert_rows(
        store,
        "contact_counts",
        &["org_id", "staff_id", "n"],
        staff_ids
            .iter()
            .zip(&per_staff)
            .map(|(s, n)| vec![T(org.to_string()), T(s.to_string()), I(*n)])
            .collect(),
    )
    .await?;
    let secret = format!("bench-{org}-owner");
    insert_rows(
        store,
        "sessions",
        &["id", "account_id", "token_hash", "created_at", "expires_at"],
        vec![vec![
            T(SessionId::new().to_string()),
            T(owner.to_string()),
            T(quan_core::secrets::digest(&secret)),
            I(now.millis()),
            I(now.millis() + 7 * 86_400_000),
        ]],
    )
    .await?;
    // No quiet hours, so the plan's figures do not depend on the hour of the run.
    let mut tx = store.begin().await?;
    sqlx::query(
        "INSERT INTO reach_policies (org_id, version, effective_from, budget, quiet_hours, time_zone, contact_cap, created_at) \
         VALUES ($1, 1, 0, 'month', '', 'Asia/Shanghai', 20000, $2)",
    )
    .bind(org.to_string())
    .bind(now.millis())
    .execute(&mut *tx)
    .await
    .map_err(backend)?;
    tx.commit().await.map_err(backend)?;
    store.analyze().await?;
    Ok(ReachSeedReport {
        org_id: org.to_string(),
        owner_secret: secret,
        customers,
        staff: staff_ids.len(),
        half_used: half,
        seconds: started.elapsed().as_secs_f64(),
    })
}

#[derive(Debug, Clone, Serialize)]
pub struct WelcomeSeedReport {
    pub org_id: String,
    /// The channel code's slug (`POST /api/v1/codes/{slug}/open`).
    pub slug: String,
    /// Each member as `[account id, session secret]`, none a customer yet.
    pub members: Vec<[String; 2]>,
    pub staff: usize,
}

/// The welcome-latency benchmark's generator: an org whose `staff` sales staff share
/// one channel code with a welcome, and `members` signed-in accounts that have never
/// met the org, so each open is a first add.
pub async fn seed_welcome(
    store: &SqlStore,
    members: usize,
    staff: usize,
) -> StoreResult<WelcomeSeedReport> {
    let now = wall_now();
    let no_password = NO_PASSWORD;
    let org = OrgId::new();
    let staff_ids: Vec<AccountId> = (0..staff.max(1)).map(|_| AccountId::new()).collect();
    let member_ids: Vec<AccountId> = (0..members).map(|_| AccountId::new()).collect();
    let account = |id: &AccountId, login: String, name: String| {
        vec![
            T(id.to_string()),
            T(login),
            T(name),
            T(no_password.into()),
            I(now.millis()),
        ]
    };
    let mut accounts: Vec<Vec<Val>> = staff_ids
        .iter()
        .enumerate()
        .map(|(i, s)| {
            account(
                s,
                format!("sales-{i}-{org}@bench.quan.local"),
                format!("销售 Sales {i:03}"),
            )
        })
        .collect();
    accounts.extend(member_ids.iter().enumerate().map(|(i, m)| {
        account(
            m,
            format!("member-{i}-{org}@bench.quan.local"),
            format!("新客 Member {i:05}"),
        )
    }));
    insert_rows(
        store,
        "accounts",
        &["id", "email", "display_name", "password_hash", "created_at"],
        accounts,
    )
    .await?;
    insert_rows(
        store,
        "orgs",
        &["id", "name", "created_at"],
        vec![vec![
            T(org.to_string()),
            T("压测 Welcome bench".into()),
            I(now.millis()),
        ]],
    )
    .await?;
    insert_rows(
        store,
        "staff",
        &["org_id", "account_id", "role", "joined_at"],
        staff_ids
            .iter()
            .map(|s| {
                vec![
                    T(org.to_string()),
                    T(s.to_string()),
                    T("sales".into()),
                    I(now.millis()),
                ]
            })
            .collect(),
    )
    .await?;
    // The id's random tail: its head is the time, shared by seeds a minute apart.
    let id = org.to_string();
    let slug = format!("bench{}", &id[id.len() - 12..]);
    let staff_json: Vec<String> = staff_ids.iter().map(ToString::to_string).collect();
    insert_rows(
        store,
        "channel_codes",
        &[
            "id",
            "org_id",
            "slug",
            "name",
            "mode",
            "staff",
            "tags",
            "welcome",
            "created_at",
        ],
        vec![vec![
            T(quan_domain::ChannelCodeId::new().to_string()),
            T(org.to_string()),
            T(slug.clone()),
            T("门店海报 Store poster".into()),
            T(quan_domain::ChannelMode::RoundRobin.as_str().into()),
            T(serde_json::json!(staff_json).to_string()),
            T(r#"["海报"]"#.into()),
            T("{{name}}，你好！我是{{staff}}，有问题随时找我。".into()),
            I(now.millis()),
        ]],
    )
    .await?;
    let mut report_members = Vec::with_capacity(members);
    let mut sessions = Vec::with_capacity(members);
    for (i, m) in member_ids.iter().enumerate() {
        let secret = format!("bench-{org}-m{i}");
        sessions.push(vec![
            T(SessionId::new().to_string()),
            T(m.to_string()),
            T(quan_core::secrets::digest(&secret)),
            I(now.millis()),
            I(now.millis() + 7 * 86_400_000),
        ]);
        report_members.push([m.to_string(), secret]);
    }
    insert_rows(
        store,
        "sessions",
        &["id", "account_id", "token_hash", "created_at", "expires_at"],
        sessions,
    )
    .await?;
    store.analyze().await?;
    Ok(WelcomeSeedReport {
        org_id: org.to_string(),
        slug,
        members: report_members,
        staff: staff_ids.len(),
    })
}
