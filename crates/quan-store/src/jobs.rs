//! `JobStore` for `SqlStore`: the durable job queue. The claim's `FOR UPDATE SKIP
//! LOCKED` is the one backend-specific statement (SQLite's single writer gives the
//! same guarantee).

use crate::connect::Backend;
use crate::rows::{backend, corrupt, id, int, text, ts};
use crate::store::SqlStore;
use async_trait::async_trait;
use quan_core::{JobRecord, JobStore, NewJob, StoreResult};
use quan_domain::{JobId, Timestamp};
use sqlx::any::AnyRow;

pub(crate) const JOB_COLS: &str = "id, kind, payload, attempts, max_attempts, run_at";

/// Enqueues a job inside another write's transaction (an outbox: the job exists if
/// and only if the write committed). A pending job with the same dedupe key wins.
pub(crate) async fn insert_job(tx: &mut crate::store::Tx, job: &NewJob) -> StoreResult<()> {
    bind_job(sqlx::query(&JOB_INSERT), job)
        .execute(&mut **tx)
        .await
        .map_err(backend)?;
    Ok(())
}

/// Inserts many jobs in one statement (a group's writes); each dedupe key at most once.
pub(crate) async fn insert_jobs(
    tx: &mut crate::store::Tx,
    engine: Backend,
    jobs: &[&NewJob],
) -> StoreResult<()> {
    if jobs.is_empty() {
        return Ok(());
    }
    let sql = format!(
        "{INSERT_INTO} VALUES {} ON CONFLICT (dedupe_key) DO NOTHING",
        crate::queries::value_rows(engine, jobs.len(), 7)
    );
    let mut q = sqlx::query(&sql);
    for j in jobs {
        q = bind_job(q, j);
    }
    q.execute(&mut **tx).await.map_err(backend)?;
    Ok(())
}

/// A new job's columns (`attempts` starts at its default, 0).
const INSERT_INTO: &str =
    "INSERT INTO jobs (id, kind, payload, run_at, max_attempts, dedupe_key, created_at)";
static JOB_INSERT: std::sync::LazyLock<String> = std::sync::LazyLock::new(|| {
    format!("{INSERT_INTO} VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (dedupe_key) DO NOTHING")
});

/// A new job's values in [`INSERT_INTO`]'s order (its creation is its first run time).
fn bind_job<'q>(q: crate::store::AnyQuery<'q>, job: &NewJob) -> crate::store::AnyQuery<'q> {
    q.bind(job.id.to_string())
        .bind(job.kind.clone())
        .bind(job.payload.to_string())
        .bind(job.run_at.millis())
        .bind(job.max_attempts)
        .bind(job.dedupe_key.clone())
        .bind(job.run_at.millis())
}

#[async_trait]
impl JobStore for SqlStore {
    async fn job_enqueue(&self, job: &NewJob) -> StoreResult<bool> {
        let r = bind_job(sqlx::query(&JOB_INSERT), job)
            .execute(&self.write)
            .await
            .map_err(backend)?;
        Ok(r.rows_affected() == 1)
    }

    async fn job_claim(&self, now: Timestamp, lease_ms: i64) -> StoreResult<Option<JobRecord>> {
        // Backend-specific, on purpose: PostgreSQL workers on many nodes skip rows
        // another worker holds; SQLite has one writer, which already serialises claims.
        let lock = match self.backend {
            Backend::Postgres => " FOR UPDATE SKIP LOCKED",
            Backend::Sqlite => "",
        };
        let sql = format!(
            "UPDATE jobs SET attempts = attempts + 1, locked_until = $2 WHERE id = ( \
               SELECT id FROM jobs WHERE done_at IS NULL AND failed_at IS NULL AND run_at <= $1 \
               AND (locked_until IS NULL OR locked_until <= $1) ORDER BY run_at, id LIMIT 1{lock}) \
             RETURNING {JOB_COLS}"
        );
        sqlx::query(&sql)
            .bind(now.millis())
            .bind(now.plus_millis(lease_ms).millis())
            .fetch_optional(&self.write)
            .await
            .map_err(backend)?
            .as_ref()
            .map(job)
            .transpose()
    }

    async fn job_complete(&self, id: JobId, now: Timestamp) -> StoreResult<()> {
        sqlx::query("UPDATE jobs SET done_at = $1, locked_until = NULL WHERE id = $2")
            .bind(now.millis())
            .bind(id.to_string())
            .execute(&self.write)
            .await
            .map_err(backend)?;
        Ok(())
    }

    async fn job_fail(&self, id: JobId, error: &str, retry_at: Timestamp) -> StoreResult<()> {
        let error: String = error.chars().take(2000).collect();
        sqlx::query(
            "UPDATE jobs SET last_error = $1, locked_until = NULL, run_at = $2, \
             failed_at = CASE WHEN attempts >= max_attempts THEN $2 ELSE NULL END WHERE id = $3",
        )
        .bind(error)
        .bind(retry_at.millis())
        .bind(id.to_string())
        .execute(&self.write)
        .await
        .map_err(backend)?;
        Ok(())
    }
}

pub(crate) fn job(row: &AnyRow) -> StoreResult<JobRecord> {
    let payload = text(row, "payload")?;
    Ok(JobRecord {
        id: id(row, "id")?,
        kind: text(row, "kind")?,
        payload: serde_json::from_str(&payload).map_err(|e| corrupt("payload", e))?,
        attempts: int(row, "attempts")?,
        max_attempts: int(row, "max_attempts")?,
        run_at: ts(row, "run_at")?,
    })
}
