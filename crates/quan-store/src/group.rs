//! Group commit: concurrent small writes (posts, chat messages) share one
//! transaction on the writer instead of queueing for it one by one.
//!
//! SQLite has a single writer connection, so 64 posters used to wait in line for
//! 64 commits, each rewriting the same hot B-tree pages into the WAL. Here a task
//! owns the grouped writes: it takes whatever is waiting (up to [`MAX_GROUP`]),
//! runs each under its own SAVEPOINT so one refused write (a quota, a vanished
//! membership) rolls back alone, commits once, and only then answers every caller.
//! A lone write waits for nobody: the group is what has queued meanwhile, never a
//! timer. PostgreSQL uses the same path (one WAL flush per group instead of one per
//! write).

use crate::connect::Backend;
use crate::rows::backend;
use crate::store::Tx;
use quan_core::{StoreError, StoreResult};
use sqlx::AnyPool;
use std::future::Future;
use std::pin::Pin;
use tokio::sync::{mpsc, oneshot};

type BoxFuture<'t, T> = Pin<Box<dyn Future<Output = T> + Send + 't>>;

/// Writes per transaction, at most: a group stays short enough that its first
/// caller does not wait on the last one's work for long.
const MAX_GROUP: usize = 64;
/// Writes waiting for a group, at most; callers beyond it wait to enqueue.
const QUEUE: usize = 1_024;

/// One grouped write: statements run inside the group's transaction.
pub(crate) type Work =
    Box<dyn for<'t> FnOnce(&'t mut Tx) -> BoxFuture<'t, StoreResult<()>> + Send + 'static>;

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
    let mut items = Vec::with_capacity(MAX_GROUP);
    while rx.recv_many(&mut items, MAX_GROUP).await > 0 {
        commit_group(&pool, engine, std::mem::take(&mut items)).await;
    }
}

async fn commit_group(pool: &AnyPool, engine: Backend, items: Vec<Item>) {
    let began = match engine {
        // IMMEDIATE: take the write lock up front, as every other writer does.
        Backend::Sqlite => pool.begin_with("BEGIN IMMEDIATE").await,
        Backend::Postgres => pool.begin().await,
    };
    let mut tx = match began {
        Ok(tx) => tx,
        Err(e) => {
            let msg = e.to_string();
            for it in items {
                let _ = it.done.send(Err(StoreError::Backend(msg.clone().into())));
            }
            return;
        }
    };
    // Each write's outcome, held until the commit says whether the good ones stand.
    let mut outcomes: Vec<(oneshot::Sender<StoreResult<()>>, StoreResult<()>)> =
        Vec::with_capacity(items.len());
    for it in items {
        let r = one(&mut tx, it.work).await;
        outcomes.push((it.done, r));
    }
    match tx.commit().await.map_err(backend) {
        Ok(()) => {
            for (done, r) in outcomes {
                let _ = done.send(r);
            }
        }
        Err(e) => {
            let msg = e.to_string();
            for (done, r) in outcomes {
                let _ = done.send(r.and(Err(StoreError::Backend(msg.clone().into()))));
            }
        }
    }
}

/// One write under its own savepoint: its failure undoes only its statements.
async fn one(tx: &mut Tx, work: Work) -> StoreResult<()> {
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
