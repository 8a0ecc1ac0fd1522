//! Group commit: concurrent small writes (posts, chat messages) share one
//! transaction on the writer instead of queueing for it one by one.
//!
//! SQLite has a single writer connection, so 64 posters used to wait in line for
//! 64 commits, each rewriting the same hot B-tree pages into the WAL. Here a task
//! owns the grouped writes: it takes whatever is waiting (up to [`MAX_GROUP`]), runs
//! them in one transaction, commits once, and only then answers every caller. A lone
//! write waits for nobody: the group is what has queued meanwhile, never a timer.
//!
//! A group first runs its writes back to back. Should one of them fail (a quota, a
//! vanished membership) the group rolls back and runs again with each write under
//! its own SAVEPOINT, so the failure undoes only its own statements: refusals are
//! rare, and two statements fewer per write is a tenth of SQLite's writer and two
//! round trips per write on PostgreSQL. PostgreSQL also runs up to [`PG_GROUPS`]
//! groups at once, each on its own connection (one WAL flush per group instead of
//! one per write, and no group waits on another's round trips); SQLite, one.

use crate::connect::Backend;
use crate::rows::backend;
use crate::store::Tx;
use quan_core::{StoreError, StoreResult};
use sqlx::AnyPool;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use tokio::sync::{Semaphore, mpsc, oneshot};

type BoxFuture<'t, T> = Pin<Box<dyn Future<Output = T> + Send + 't>>;

/// Writes per transaction, at most: a group stays short enough that its first
/// caller does not wait on the last one's work for long.
const MAX_GROUP: usize = 64;
/// Writes waiting for a group, at most; callers beyond it wait to enqueue.
const QUEUE: usize = 1_024;
/// Groups in flight at once on PostgreSQL: enough to cover a group's round trips
/// with another's, few enough to leave the pool's connections to everything else.
const PG_GROUPS: usize = 4;

/// One grouped write: statements run inside the group's transaction. `Fn`, not
/// `FnOnce`: a group whose first pass failed runs its writes again (the caller's
/// data is shared into each run, e.g. through an `Arc`).
pub(crate) type Work =
    Box<dyn for<'t> Fn(&'t mut Tx) -> BoxFuture<'t, StoreResult<()>> + Send + Sync + 'static>;

struct Item {
    work: Work,
    done: oneshot::Sender<StoreResult<()>>,
}

/// The handle callers write through; cloning shares the one writer task.
#[derive(Clone)]
pub(crate) struct Group {
    queue: mpsc::Sender<Item>,
}

impl Group {
    /// Starts the writer task on the current runtime. It ends when the last handle
    /// is dropped.
    pub(crate) fn start(pool: AnyPool, engine: Backend) -> Self {
        let (queue, rx) = mpsc::channel(QUEUE);
        tokio::spawn(run(pool, engine, rx));
        Self { queue }
    }

    /// Runs `work` in the next group's transaction; returns once that transaction
    /// committed (or `work`'s own error, its statements rolled back).
    pub(crate) async fn write(&self, work: Work) -> StoreResult<()> {
        let (done, answer) = oneshot::channel();
        self.queue
            .send(Item { work, done })
            .await
            .map_err(|_| gone())?;
        answer.await.map_err(|_| gone())?
    }
}

fn gone() -> StoreError {
    StoreError::Backend("the group writer stopped".into())
}

async fn run(pool: AnyPool, engine: Backend, mut rx: mpsc::Receiver<Item>) {
    let slots = Arc::new(Semaphore::new(match engine {
        Backend::Sqlite => 1,
        Backend::Postgres => PG_GROUPS,
    }));
    loop {
        // A slot first, then the writes: what queued while every slot was busy is
        // the next group.
        let Ok(slot) = Arc::clone(&slots).acquire_owned().await else {
            break;
        };
        let mut items = Vec::with_capacity(MAX_GROUP);
        if rx.recv_many(&mut items, MAX_GROUP).await == 0 {
            break;
        }
        let pool = pool.clone();
        tokio::spawn(async move {
            commit_group(&pool, engine, items).await;
            drop(slot);
        });
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
    let (works, dones): (Vec<Work>, Vec<oneshot::Sender<StoreResult<()>>>) =
        items.into_iter().map(|it| (it.work, it.done)).unzip();
    if together(pool, engine, &works).await.is_ok() {
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

/// The first pass: the writes back to back in one transaction, then the commit;
/// the first failure rolls it all back.
async fn together(pool: &AnyPool, engine: Backend, works: &[Work]) -> StoreResult<()> {
    let mut tx = begin(pool, engine).await?;
    for work in works {
        if let Err(e) = work(&mut tx).await {
            // Explicitly, before the second pass takes the (SQLite: only) writer.
            let _ = tx.rollback().await;
            return Err(e);
        }
    }
    tx.commit().await.map_err(backend)
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
