//! Group commit: concurrent small writes (posts, chat messages, flash-sale orders)
//! share one transaction on the writer instead of queueing for it one by one.
//!
//! SQLite has a single writer connection, so 64 posters used to wait in line for
//! 64 commits, each rewriting the same hot B-tree pages into the WAL. Here a task
//! owns the grouped writes: it takes whatever is waiting (up to [`MAX_GROUP`]), runs
//! them in one transaction, commits once, and only then answers every caller. A lone
//! write waits for nobody: the group is what has queued meanwhile, never a timer.
//!
//! Writes of a kind that can share statements ([`Rows`]: flash-sale orders) go
//! further: the first pass writes all of a group's rows of the kind in a few
//! multi-row statements, instead of a few statements each — on SQLite every
//! statement is a round trip to its worker thread, which in a rush costs more
//! than the statement.
//!
//! A group first runs its writes back to back (each kind of [`Rows`] after the
//! others, together). Should one of them fail (a quota, a
//! vanished membership) the group rolls back and runs again with each write under
//! its own SAVEPOINT, so the failure undoes only its own statements: refusals are
//! rare, and two statements fewer per write is a tenth of SQLite's writer and two
//! round trips per write on PostgreSQL. PostgreSQL also runs [`PG_GROUPS`] lanes of
//! groups at once, each on its own connection (one WAL flush per group instead of
//! one per write, and no group waits on another's round trips); SQLite, one. A
//! write's lane is chosen by the account that writes, so one account's writes never
//! sit in two groups at once: the rows a write locks (its member row for a quota,
//! its read mark in a room) are that account's, and two groups can never take them
//! in opposite orders and deadlock.

use crate::connect::Backend;
use crate::rows::backend;
use crate::store::Tx;
use quan_core::{StoreError, StoreResult};
use sqlx::AnyPool;
use std::any::{Any, TypeId};
use std::future::Future;
use std::hash::{DefaultHasher, Hash, Hasher};
use std::pin::Pin;
use std::sync::Arc;
use tokio::sync::{mpsc, oneshot};

pub(crate) type BoxFuture<'t, T> = Pin<Box<dyn Future<Output = T> + Send + 't>>;

/// Writes per transaction, at most: a group stays short enough that its first
/// caller does not wait on the last one's work for long.
const MAX_GROUP: usize = 64;
/// Writes waiting for a group, at most; callers beyond it wait to enqueue.
const QUEUE: usize = 1_024;
/// Lanes of groups on PostgreSQL, each a group at a time: enough to cover a
/// group's round trips with another's, few enough to leave the pool's connections
/// to everything else.
const PG_GROUPS: usize = 4;

/// One grouped write: statements run inside the group's transaction. `Fn`, not
/// `FnOnce`: a group whose first pass failed runs its writes again (the caller's
/// data is shared into each run, e.g. through an `Arc`). A write returns every SQL
/// error it meets (`?`), never swallows one: on PostgreSQL a failed statement
/// aborts the transaction, whose COMMIT then rolls back without an error, so a
/// swallowed failure would tell every caller of the group its write stood.
pub(crate) type Work =
    Box<dyn for<'t> Fn(&'t mut Tx) -> BoxFuture<'t, StoreResult<()>> + Send + Sync + 'static>;

/// Writes of one kind that can share statements in a group's first pass.
pub(crate) trait Rows: Any + Send + Sync {
    /// Writes `all` (every write of this kind in the group, in arrival order) in
    /// a few statements. Any refusal must be an error: the group then runs each
    /// write's own [`Work`] under its savepoint, where refusals are told apart.
    fn write_all(
        tx: &mut Tx,
        engine: Backend,
        all: Vec<Arc<Self>>,
    ) -> BoxFuture<'_, StoreResult<()>>
    where
        Self: Sized;
}

/// A [`Rows`] value with its kind's writer, its type put aside.
struct Shared {
    kind: TypeId,
    row: Arc<dyn Any + Send + Sync>,
    write_all: WriteAll,
}

type WriteAll = for<'t> fn(
    &'t mut Tx,
    Backend,
    Vec<Arc<dyn Any + Send + Sync>>,
) -> BoxFuture<'t, StoreResult<()>>;

/// A group's writes of one kind, with the kind's writer.
type Kind = (TypeId, WriteAll, Vec<Arc<dyn Any + Send + Sync>>);

fn write_all_of<R: Rows>(
    tx: &mut Tx,
    engine: Backend,
    all: Vec<Arc<dyn Any + Send + Sync>>,
) -> BoxFuture<'_, StoreResult<()>> {
    // Only rows of `R`'s kind are handed here (grouped by their `TypeId`).
    let rows = all
        .into_iter()
        .filter_map(|r| r.downcast::<R>().ok())
        .collect();
    R::write_all(tx, engine, rows)
}

struct Item {
    work: Work,
    shared: Option<Shared>,
    done: oneshot::Sender<StoreResult<()>>,
}

/// The handle callers write through; cloning shares the writer tasks.
#[derive(Clone)]
pub(crate) struct Group {
    lanes: Vec<mpsc::Sender<Item>>,
}

impl Group {
    /// Starts the writer tasks (one per lane) on the current runtime. They end
    /// when the last handle is dropped.
    pub(crate) fn start(pool: AnyPool, engine: Backend) -> Self {
        let n = match engine {
            Backend::Sqlite => 1,
            Backend::Postgres => PG_GROUPS,
        };
        let lanes = (0..n)
            .map(|_| {
                let (queue, rx) = mpsc::channel(QUEUE);
                tokio::spawn(run(pool.clone(), engine, rx));
                queue
            })
            .collect();
        Self { lanes }
    }

    /// Runs `work` in the next group's transaction of `writer`'s lane (the account
    /// that writes); returns once that transaction committed (or `work`'s own
    /// error, its statements rolled back).
    pub(crate) async fn write(&self, writer: &str, work: Work) -> StoreResult<()> {
        self.enqueue(writer, work, None).await
    }

    /// [`Self::write`] for a write that can share statements with others of its
    /// kind: `rows` in the first pass, `work` (the same write alone) if it fails.
    pub(crate) async fn write_rows<R: Rows>(
        &self,
        writer: &str,
        rows: Arc<R>,
        work: Work,
    ) -> StoreResult<()> {
        let shared = Shared {
            kind: TypeId::of::<R>(),
            row: rows,
            write_all: write_all_of::<R>,
        };
        self.enqueue(writer, work, Some(shared)).await
    }

    async fn enqueue(&self, writer: &str, work: Work, shared: Option<Shared>) -> StoreResult<()> {
        let mut h = DefaultHasher::new();
        writer.hash(&mut h);
        let lane = usize::try_from(h.finish()).unwrap_or(0) % self.lanes.len().max(1);
        let queue = self.lanes.get(lane).ok_or_else(gone)?;
        let (done, answer) = oneshot::channel();
        queue
            .send(Item { work, shared, done })
            .await
            .map_err(|_| gone())?;
        answer.await.map_err(|_| gone())?
    }
}

fn gone() -> StoreError {
    StoreError::Backend("the group writer stopped".into())
}

async fn run(pool: AnyPool, engine: Backend, mut rx: mpsc::Receiver<Item>) {
    let mut items = Vec::with_capacity(MAX_GROUP);
    while rx.recv_many(&mut items, MAX_GROUP).await > 0 {
        commit_group(&pool, engine, std::mem::take(&mut items)).await;
    }
}

async fn begin(pool: &AnyPool, engine: Backend) -> StoreResult<Tx> {
    match engine {
        // IMMEDIATE: take the write lock up front, as every other writer does.
        Backend::Sqlite => pool.begin_with("BEGIN IMMEDIATE").await,
        Backend::Postgres => pool.begin().await,
    }
    .map_err(backend)
}

async fn commit_group(pool: &AnyPool, engine: Backend, items: Vec<Item>) {
    let mut works = Vec::with_capacity(items.len());
    let mut shared = Vec::with_capacity(items.len());
    let mut dones = Vec::with_capacity(items.len());
    for it in items {
        works.push(it.work);
        shared.push(it.shared);
        dones.push(it.done);
    }
    if together(pool, engine, &works, shared).await.is_ok() {
        for done in dones {
            let _ = done.send(Ok(()));
        }
        return;
    }
    // Nothing of the first pass stands (it was rolled back):
    // each write again, under its own savepoint, so only the failing one fails.
    let mut tx = match begin(pool, engine).await {
        Ok(tx) => tx,
        Err(e) => {
            let msg = e.to_string();
            for done in dones {
                let _ = done.send(Err(StoreError::Backend(msg.clone().into())));
            }
            return;
        }
    };
    // Each write's outcome, held until the commit says whether the good ones stand.
    let mut outcomes = Vec::with_capacity(works.len());
    for work in &works {
        outcomes.push(one(&mut tx, work).await);
    }
    match tx.commit().await.map_err(backend) {
        Ok(()) => {
            for (done, r) in dones.into_iter().zip(outcomes) {
                let _ = done.send(r);
            }
        }
        Err(e) => {
            let msg = e.to_string();
            for (done, r) in dones.into_iter().zip(outcomes) {
                let _ = done.send(r.and(Err(StoreError::Backend(msg.clone().into()))));
            }
        }
    }
}

/// The first pass: in one transaction the writes back to back (each kind of
/// [`Rows`] together), then the commit; the first failure rolls it all back.
async fn together(
    pool: &AnyPool,
    engine: Backend,
    works: &[Work],
    shared: Vec<Option<Shared>>,
) -> StoreResult<()> {
    let mut tx = begin(pool, engine).await?;
    let mut kinds: Vec<Kind> = Vec::new();
    for (work, shared) in works.iter().zip(shared) {
        let failed = match shared {
            None => work(&mut tx).await.err(),
            Some(s) => {
                match kinds.iter_mut().find(|k| k.0 == s.kind) {
                    Some(k) => k.2.push(s.row),
                    None => kinds.push((s.kind, s.write_all, vec![s.row])),
                }
                None
            }
        };
        if let Some(e) = failed {
            return rolled_back(tx, e).await;
        }
    }
    for (_, write_all, rows) in kinds {
        if let Err(e) = write_all(&mut tx, engine, rows).await {
            return rolled_back(tx, e).await;
        }
    }
    tx.commit().await.map_err(backend)
}

/// Rolls a failed first pass back, explicitly, before the second pass takes the
/// (SQLite: only) writer; `e` is why it failed.
async fn rolled_back(tx: Tx, e: StoreError) -> StoreResult<()> {
    if let Err(r) = tx.rollback().await {
        tracing::warn!(error = %r, "rolling back a group's first pass failed");
    }
    Err(e)
}

/// One write under its own savepoint: its failure undoes only its statements.
async fn one(tx: &mut Tx, work: &Work) -> StoreResult<()> {
    sqlx::query("SAVEPOINT grouped")
        .execute(&mut **tx)
        .await
        .map_err(backend)?;
    match work(tx).await {
        Ok(()) => sqlx::query("RELEASE SAVEPOINT grouped")
            .execute(&mut **tx)
            .await
            .map(|_| ())
            .map_err(backend),
        Err(e) => {
            sqlx::query("ROLLBACK TO SAVEPOINT grouped")
                .execute(&mut **tx)
                .await
                .map_err(backend)?;
            sqlx::query("RELEASE SAVEPOINT grouped")
                .execute(&mut **tx)
                .await
                .map_err(backend)?;
            Err(e)
        }
    }
}
