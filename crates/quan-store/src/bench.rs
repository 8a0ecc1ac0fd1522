//! The feed-read benchmark's generator: fills a store with an org of `circles`
//! circles, `members` members spread over them, `posts` posts spread over the last
//! 30 days (hot rank materialised, as the rank job would), likes, and a session for
//! each of the first `viewers` members, so a load tool can read feeds as members.
//!
//! It writes straight to the tables in multi-row statements: going through the use
//! cases would take hours for a million posts. Only for benchmark data directories.

use crate::rows::backend;
use crate::store::SqlStore;
use quan_core::StoreResult;
use quan_domain::{
    AccountId, CircleId, OrgId, PersonId, PostId, RoomId, SessionId, Timestamp, hot_rank,
};
use serde::Serialize;

#[derive(Debug, Clone)]
pub struct SeedOptions {
    pub circles: usize,
    pub members: usize,
    pub posts: usize,
    pub viewers: usize,
    /// Give the viewers a history window: their feeds are then read from the store
    /// on every request (they are not "plain" viewers), to measure the uncached path.
    pub private_viewers: bool,
}

#[derive(Debug, Serialize)]
pub struct Viewer {
    /// The session cookie's value (`quan_session=<secret>`).
    pub secret: String,
    pub account_id: String,
    /// A circle this viewer belongs to.
    pub circle_id: String,
    /// That circle's default chat room.
    pub room_id: String,
}

#[derive(Debug, Serialize)]
pub struct SeedReport {
    pub org_id: String,
    pub circles: usize,
    pub members: usize,
    pub posts: usize,
    pub likes: usize,
    pub viewers: Vec<Viewer>,
    pub seconds: f64,
}

/// xorshift64*: reproducible data without a dependency.
pub(crate) struct Rng(pub(crate) u64);
impl Rng {
    pub(crate) fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    pub(crate) fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }
}

/// Rows per statement: under SQLite's and PostgreSQL's parameter limits.
const ROWS: usize = 400;

/// Inserts `rows` (each `cols` values) into `table` in multi-row statements, in one
/// transaction per 50 statements.
pub(crate) async fn insert_rows(
    store: &SqlStore,
    table: &str,
    cols: &[&str],
    rows: Vec<Vec<Val>>,
) -> StoreResult<()> {
    for batch in rows.chunks(ROWS * 50) {
        let mut tx = store.begin().await?;
        for chunk in batch.chunks(ROWS) {
            let mut marks = Vec::with_capacity(chunk.len());
            let mut n = 0;
            for _ in chunk {
                let m: Vec<String> = (0..cols.len())
                    .map(|_| {
                        n += 1;
                        format!("${n}")
                    })
                    .collect();
                marks.push(format!("({})", m.join(", ")));
            }
            let sql = format!(
                "INSERT INTO {table} ({}) VALUES {}",
                cols.join(", "),
                marks.join(", ")
            );
            let mut q = sqlx::query(&sql);
            for row in chunk {
                for v in row {
                    q = match v {
                        Val::T(s) => q.bind(s.clone()),
                        Val::I(i) => q.bind(*i),
                        Val::F(f) => q.bind(*f),
                    };
                }
            }
            q.execute(&mut *tx).await.map_err(backend)?;
        }
        tx.commit().await.map_err(backend)?;
    }
    Ok(())
}

pub(crate) enum Val {
    T(String),
    I(i64),
    F(f64),
}
pub(crate) use Val::{F, I, T};

/// A fixed, unusable hash: benchmark accounts log in by their seeded session only.
pub(crate) const NO_PASSWORD: &str =
    "$argon2id$v=19$m=19456,t=2,p=1$YmVuY2g$bm8tbG9naW4tZm9yLWJlbmNoLWFjY291bnRz";

/// The wall clock, as the seeded rows' times (a benchmark runs against real time).
pub(crate) fn wall_now() -> Timestamp {
    Timestamp::from_millis(
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX)),
    )
}

pub async fn seed_feed(store: &SqlStore, o: &SeedOptions) -> StoreResult<SeedReport> {
    let started = std::time::Instant::now();
    let now = wall_now();
    let mut rng = Rng(0x5EED_CAFE_F00D_0001);
    let circles = o.circles.max(1);
    let members = o.members.max(circles);
    let no_password = NO_PASSWORD;

    let owner = AccountId::new();
    let org = OrgId::new();
    insert_rows(
        store,
        "accounts",
        &["id", "email", "display_name", "password_hash", "created_at"],
        vec![vec![
            T(owner.to_string()),
            T(format!("owner-{org}@bench.quan.local")),
            T("压测 Bench owner".into()),
            T(no_password.into()),
            I(now.millis()),
        ]],
    )
    .await?;
    insert_rows(
        store,
        "orgs",
        &["id", "name", "created_at"],
        vec![vec![
            T(org.to_string()),
            T("压测 Feed bench".into()),
            I(now.millis()),
        ]],
    )
    .await?;
    insert_rows(
        store,
        "staff",
        &["org_id", "account_id", "role", "joined_at"],
        vec![vec![
            T(org.to_string()),
            T(owner.to_string()),
            T("owner".into()),
            I(now.millis()),
        ]],
    )
    .await?;
    let circle_ids: Vec<CircleId> = (0..circles).map(|_| CircleId::new()).collect();
    let per_circle = (members / circles) as i64;
    insert_rows(
        store,
        "circles",
        &[
            "id",
            "org_id",
            "name",
            "description",
            "mode",
            "join_policy",
            "posting",
            "forwarding",
            "read_receipts",
            "public",
            "member_count",
            "created_by",
            "created_at",
        ],
        circle_ids
            .iter()
            .enumerate()
            .map(|(i, c)| {
                vec![
                    T(c.to_string()),
                    T(org.to_string()),
                    T(format!("圈子 Circle {i}")),
                    T(String::new()),
                    T("community".into()),
                    T("open".into()),
                    T("all_members".into()),
                    I(1),
                    I(0),
                    I(1),
                    I(per_circle),
                    T(owner.to_string()),
                    I(now.millis()),
                ]
            })
            .collect(),
    )
    .await?;

    // Each circle's default chat room, as creating a circle makes one.
    let rooms: Vec<RoomId> = (0..circles).map(|_| RoomId::new()).collect();
    insert_rows(
        store,
        "chat_rooms",
        &["id", "circle_id", "name", "is_default", "created_at"],
        rooms
            .iter()
            .zip(&circle_ids)
            .map(|(r, c)| {
                vec![
                    T(r.to_string()),
                    T(c.to_string()),
                    T("大厅 Lobby".into()),
                    I(1),
                    I(now.millis()),
                ]
            })
            .collect(),
    )
    .await?;

    // Members: member i belongs to circle i % circles.
    let accounts: Vec<AccountId> = (0..members).map(|_| AccountId::new()).collect();
    let persons: Vec<PersonId> = (0..members).map(|_| PersonId::new()).collect();
    insert_rows(
        store,
        "accounts",
        &["id", "email", "display_name", "password_hash", "created_at"],
        accounts
            .iter()
            .enumerate()
            .map(|(i, a)| {
                vec![
                    T(a.to_string()),
                    T(format!("m{i}-{org}@bench.quan.local")),
                    T(format!("会员 Member {i}")),
                    T(no_password.into()),
                    I(now.millis()),
                ]
            })
            .collect(),
    )
    .await?;
    insert_rows(
        store,
        "persons",
        &[
            "id",
            "org_id",
            "display_name",
            "account_id",
            "stage",
            "verified",
            "created_at",
        ],
        persons
            .iter()
            .zip(&accounts)
            .enumerate()
            .map(|(i, (p, a))| {
                vec![
                    T(p.to_string()),
                    T(org.to_string()),
                    T(format!("会员 Member {i}")),
                    T(a.to_string()),
                    T("member".into()),
                    I(1),
                    I(now.millis()),
                ]
            })
            .collect(),
    )
    .await?;
    let joined = now.millis() - 60 * 86_400_000;
    insert_rows(
        store,
        "circle_members",
        &[
            "circle_id",
            "account_id",
            "person_id",
            "role",
            "status",
            "is_member",
            "is_customer",
            "is_fan",
            "role_seq",
            "joined_at",
        ],
        (0..members)
            .map(|i| {
                vec![
                    T(circle_ids[i % circles].to_string()),
                    T(accounts[i].to_string()),
                    T(persons[i].to_string()),
                    T("member".into()),
                    T("active".into()),
                    I(1),
                    I(0),
                    I(0),
                    I(joined),
                    I(joined),
                ]
            })
            .collect(),
    )
    .await?;

    // Posts over the last 30 days, by members of the circle; ids ordered by time.
    const DAY: i64 = 86_400_000;
    let mut times: Vec<i64> = (0..o.posts)
        .map(|_| now.millis() - i64::try_from(rng.below(30 * DAY as u64)).unwrap_or(0))
        .collect();
    times.sort_unstable();
    let mut posts = Vec::with_capacity(o.posts);
    let mut likes = Vec::new();
    for (k, t) in times.iter().enumerate() {
        let c = k % circles;
        let author = c + circles * (rng.below(per_circle.max(1) as u64) as usize);
        let author = author.min(members - 1);
        let score = i64::try_from(rng.below(40)).unwrap_or(0);
        let id = PostId::from_uuid(uuid_at(*t, &mut rng));
        let rank = hot_rank(score, now.millis() - t);
        posts.push(vec![
            T(id.to_string()),
            T(circle_ids[c].to_string()),
            T(org.to_string()),
            T(accounts[author].to_string()),
            T(persons[author].to_string()),
            T("topic".into()),
            T(format!("今日茶话 Tea talk #{k}")),
            T("新到的**桂花乌龙**，大家觉得怎么样？ What do you think of the new osmanthus oolong?".into()),
            I(score),
            I(i64::try_from(rng.below(12)).unwrap_or(0)),
            F(rank),
            I(*t),
            I(*t),
        ]);
        // A third of the posts carry a like from a member of the circle.
        if rng.below(3) == 0 {
            let liker =
                (c + circles * (rng.below(per_circle.max(1) as u64) as usize)).min(members - 1);
            likes.push(vec![
                T(id.to_string()),
                T(persons[liker].to_string()),
                T("like".into()),
                I(*t),
            ]);
        }
    }
    let n_posts = posts.len();
    insert_rows(
        store,
        "posts",
        &[
            "id",
            "circle_id",
            "org_id",
            "author_account_id",
            "author_person_id",
            "kind",
            "title",
            "body",
            "score",
            "comment_count",
            "hot_rank",
            "last_activity_at",
            "created_at",
        ],
        posts,
    )
    .await?;
    let n_likes = likes.len();
    insert_rows(
        store,
        "reactions",
        &["post_id", "person_id", "kind", "created_at"],
        likes,
    )
    .await?;

    // Sessions for the viewers.
    let viewers: Vec<Viewer> = (0..o.viewers.min(members))
        .map(|i| Viewer {
            secret: format!("bench-{org}-viewer-{i:06}"),
            account_id: accounts[i].to_string(),
            circle_id: circle_ids[i % circles].to_string(),
            room_id: rooms[i % circles].to_string(),
        })
        .collect();
    insert_rows(
        store,
        "sessions",
        &["id", "account_id", "token_hash", "created_at", "expires_at"],
        viewers
            .iter()
            .map(|v| {
                vec![
                    T(SessionId::new().to_string()),
                    T(v.account_id.clone()),
                    T(quan_core::secrets::digest(&v.secret)),
                    I(now.millis()),
                    I(now.millis() + 7 * DAY),
                ]
            })
            .collect(),
    )
    .await?;
    if o.private_viewers {
        let mut tx = store.begin().await?;
        for v in &viewers {
            sqlx::query("UPDATE accounts SET history_window_days = 3 WHERE id = $1")
                .bind(v.account_id.clone())
                .execute(&mut *tx)
                .await
                .map_err(backend)?;
        }
        tx.commit().await.map_err(backend)?;
    }
    store.analyze().await?;
    Ok(SeedReport {
        org_id: org.to_string(),
        circles,
        members,
        posts: n_posts,
        likes: n_likes,
        viewers,
        seconds: started.elapsed().as_secs_f64(),
    })
}

/// A UUIDv7 for a given instant, so ids sort by the seeded time as real ones do.
fn uuid_at(ms: i64, rng: &mut Rng) -> uuid::Uuid {
    let ms = u64::try_from(ms).unwrap_or(0);
    let rand = rng.next();
    let hi = (ms << 16) | 0x7000 | (rand & 0x0FFF);
    let lo = (rng.next() & 0x3FFF_FFFF_FFFF_FFFF) | 0x8000_0000_0000_0000;
    uuid::Uuid::from_u64_pair(hi, lo)
}

/// What [`seed_buyers`] made: each buyer's session secret (`quan_session=<secret>`).
#[derive(Debug, Serialize)]
pub struct BuyersReport {
    pub secrets: Vec<String>,
    pub seconds: f64,
}

/// `count` accounts, each with a session, for load scenarios in which many people
/// act at once (a flash sale's crowd): no org, no person; they become an org's
/// persons by acting, as a new buyer does.
pub async fn seed_buyers(store: &SqlStore, count: usize) -> StoreResult<BuyersReport> {
    let t0 = std::time::Instant::now();
    let now = wall_now();
    let run = SessionId::new().to_string();
    let ids: Vec<AccountId> = (0..count).map(|_| AccountId::new()).collect();
    insert_rows(
        store,
        "accounts",
        &["id", "email", "display_name", "password_hash", "created_at"],
        ids.iter()
            .enumerate()
            .map(|(i, a)| {
                vec![
                    T(a.to_string()),
                    T(format!("buyer-{i}-{run}@bench.quan.local")),
                    T(format!("抢购者 Buyer {i:05}")),
                    T(NO_PASSWORD.into()),
                    I(now.millis()),
                ]
            })
            .collect(),
    )
    .await?;
    let secrets: Vec<String> = (0..count).map(|i| format!("bench-{run}-b{i}")).collect();
    insert_rows(
        store,
        "sessions",
        &["id", "account_id", "token_hash", "created_at", "expires_at"],
        ids.iter()
            .zip(&secrets)
            .map(|(a, s)| {
                vec![
                    T(SessionId::new().to_string()),
                    T(a.to_string()),
                    T(quan_core::secrets::digest(s)),
                    I(now.millis()),
                    I(now.millis() + 7 * 86_400_000),
                ]
            })
            .collect(),
    )
    .await?;
    store.analyze().await?;
    Ok(BuyersReport {
        secrets,
        seconds: t0.elapsed().as_secs_f64(),
    })
}
