//! Durable background jobs: the worker loop and the jobs Quan runs itself.
//!
//! Jobs live in the store (so a restart loses none) and are claimed with a lease: a
//! worker that dies mid-job lets the lease lapse and another worker retries it. A
//! handler must therefore be idempotent.

pub mod port;

use crate::Services;
use crate::jobs::port::NewJob;
use quan_domain::JobId;
use std::time::Duration;
use tokio_util::sync::CancellationToken;
use tracing::Instrument;

/// The kind of the housekeeping job that purges expired sessions and invites.
pub const PURGE: &str = "maintenance.purge";

/// The kind of the job that recomputes the feed's stored hot ranks.
pub const RANK: &str = "circles.rank";
/// Posts re-ranked per run; the newest first.
const RANK_BATCH: i64 = 50_000;

/// The job a paid membership order writes with its payment: the circle takes its
/// buyer in. Named here, in the leaf, because commerce writes it and circles runs it.
pub const PAID_JOIN: &str = "circles.paid_join";
/// The job a refunded membership order writes with its refund: the seat goes.
pub const PAID_LEAVE: &str = "circles.paid_leave";

/// The [`PAID_JOIN`] or [`PAID_LEAVE`] jobs of an order's membership lines, one
/// per circle, each applied once (`dedupe_key`).
pub fn seat_jobs(
    now: quan_domain::Timestamp,
    kind: &str,
    (order, buyer): (quan_domain::OrderId, quan_domain::AccountId),
    circles: impl IntoIterator<Item = quan_domain::CircleId>,
) -> Vec<NewJob> {
    let mut out: Vec<NewJob> = Vec::new();
    for circle in circles {
        let dedupe = format!("{kind}:{order}:{circle}");
        if out
            .iter()
            .any(|j| j.dedupe_key.as_deref() == Some(dedupe.as_str()))
        {
            continue;
        }
        out.push(NewJob {
            id: JobId::new(),
            kind: kind.to_owned(),
            payload: serde_json::json!({"circle": circle.to_string(),
                "account": buyer.to_string(), "order": order.to_string()}),
            run_at: now,
            max_attempts: 10,
            dedupe_key: Some(dedupe),
        });
    }
    out
}

/// How long a claimed job is leased before another worker may take it.
const LEASE_MS: i64 = 60_000;

/// Enqueues this period's run of `kind` once, however many nodes ask: the
/// dedupe key names the period (the hour, the minute) it belongs to.
async fn once_per(
    svc: &Services,
    kind: &str,
    period_ms: i64,
    max_attempts: i64,
) -> Result<bool, crate::ports::StoreError> {
    let now = svc.clock.now();
    svc.store
        .job_enqueue(&NewJob {
            id: JobId::new(),
            kind: kind.to_owned(),
            payload: serde_json::json!({}),
            run_at: now,
            max_attempts,
            dedupe_key: Some(format!("{kind}:{}", now.millis() / period_ms)),
        })
        .await
}

const HOUR_MS: i64 = 3_600_000;
const MINUTE_MS: i64 = 60_000;

/// Enqueues this hour's purge once, however many nodes ask.
pub async fn schedule_purge(svc: &Services) -> Result<bool, crate::ports::StoreError> {
    once_per(svc, PURGE, HOUR_MS, 5).await
}

/// The kind of the job that recomputes circles' discovery quality.
pub const QUALITY: &str = "circles.quality";

/// Enqueues this hour's quality run once, however many nodes ask.
pub async fn schedule_quality(svc: &Services) -> Result<bool, crate::ports::StoreError> {
    once_per(svc, QUALITY, HOUR_MS, 3).await
}

/// Enqueues this minute's re-rank once, however many nodes ask.
pub async fn schedule_rank(svc: &Services) -> Result<bool, crate::ports::StoreError> {
    once_per(svc, RANK, MINUTE_MS, 1).await
}

/// Enqueues this hour's run of a job once, however many nodes ask.
pub async fn schedule_hourly(svc: &Services, kind: &str) -> Result<bool, crate::ports::StoreError> {
    once_per(svc, kind, HOUR_MS, 3).await
}

/// Enqueues this minute's run of a sweep job once, however many nodes ask.
async fn schedule_minutely(svc: &Services, kind: &str) -> Result<bool, crate::ports::StoreError> {
    once_per(svc, kind, MINUTE_MS, 1).await
}

/// Runs one due job if there is one. Returns whether it found one.
pub async fn run_one(svc: &Services) -> Result<bool, crate::ports::StoreError> {
    let now = svc.clock.now();
    let Some(job) = svc.store.job_claim(now, LEASE_MS).await? else {
        return Ok(false);
    };
    let span = tracing::info_span!("job", id = %job.id, kind = %job.kind, attempt = job.attempts);
    // The span follows the job's future (`instrument`), not the thread: a guard held
    // across an await would stamp this job on whatever else the thread runs meanwhile.
    let outcome = async {
        let result: Result<(), String> = match job.kind.as_str() {
            PURGE => {
                // Finished jobs are kept a week for inspection.
                let week_ago = now.plus_secs(-7 * 24 * 3600);
                svc.store
                    .purge_expired(now, week_ago)
                    .await
                    .map(|n| tracing::info!(purged = n, "purged expired rows"))
                    .map_err(|e| e.to_string())
            }
            RANK => {
                let started = std::time::Instant::now();
                svc.store
                    .post_rank_batch(now, RANK_BATCH)
                    .await
                    .map(|n| {
                        let ms = u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX);
                        tracing::info!(ranked = n, ms, "hot ranks recomputed");
                    })
                    .map_err(|e| e.to_string())
            }
            QUALITY => crate::discovery::recompute(svc)
                .await
                .map(|n| tracing::info!(circles = n, "discovery quality recomputed"))
                .map_err(|e| e.to_string()),
            crate::reach::transfers::COMPLETE => crate::reach::transfers::complete_due(svc)
                .await
                .map(|n| tracing::info!(moved = n, "due transfers completed"))
                .map_err(|e| e.to_string()),
            crate::reach::campaigns::SCHEDULED => crate::reach::campaigns::send_due(svc)
                .await
                .map(|n| tracing::info!(planned = n, "scheduled campaigns planned"))
                .map_err(|e| e.to_string()),
            crate::reach::delivery::DELIVER => crate::reach::delivery::run(svc)
                .await
                .map(|n| tracing::info!(tried = n, "deliveries sent"))
                .map_err(|e| e.to_string()),
            crate::reach::journeys::SWEEP => crate::reach::journeys::run_sweep_job(svc)
                .await
                .map_err(|e| e.to_string()),
            crate::reach::codes::WELCOME => crate::reach::codes::run_welcome_job(svc, &job.payload)
                .await
                .map_err(|e| e.to_string()),
            PAID_JOIN => crate::circles::paid::join(svc, &job.payload).await,
            PAID_LEAVE => crate::circles::paid::leave(svc, &job.payload).await,
            crate::commerce::orders::RELEASE => {
                crate::commerce::orders::release(svc, &job.payload).await
            }
            crate::commerce::flash::CLOSE => crate::commerce::flash::close(svc, &job.payload).await,
            crate::commerce::refunds::SEND => {
                crate::commerce::refunds::send(svc, &job.payload).await
            }
            crate::commerce::reconcile::RECONCILE => crate::commerce::reconcile::run_all(svc)
                .await
                .map(|n| tracing::info!(disagreeing = n, "payments reconciled with the provider")),
            crate::commerce::sandbox::NOTIFY => {
                crate::commerce::sandbox::notify(svc, &job.payload).await
            }
            other => Err(format!("no handler for job kind {other}")),
        };
        match result {
            Ok(()) => svc.store.job_complete(job.id, svc.clock.now()).await?,
            Err(e) => {
                // Exponential backoff: 2^attempts seconds, capped at an hour.
                let backoff = 1i64 << job.attempts.clamp(0, 12);
                let retry_at = svc.clock.now().plus_secs(backoff.min(3600));
                tracing::warn!(error = %e, "job failed");
                svc.store.job_fail(job.id, &e, retry_at).await?;
            }
        }
        Ok(true)
    };
    outcome.instrument(span).await
}

/// The worker loop: drains due jobs, then sleeps `idle` before looking again; stops
/// when `shutdown` is cancelled (between jobs, never in the middle of one).
pub async fn worker(svc: Services, idle: Duration, shutdown: CancellationToken) {
    let mut last_schedule = i64::MIN;
    let mut last_rank = i64::MIN;
    while !shutdown.is_cancelled() {
        let minute = svc.clock.now().millis() / 60_000;
        if minute != last_rank {
            // A sweep for due transfers whose own job was lost.
            let _ = schedule_minutely(&svc, crate::reach::transfers::COMPLETE).await;
            let _ = schedule_minutely(&svc, crate::reach::journeys::SWEEP).await;
            let _ = schedule_minutely(&svc, crate::reach::campaigns::SCHEDULED).await;
            let _ = schedule_minutely(&svc, crate::reach::delivery::DELIVER).await;
            match schedule_rank(&svc).await {
                Ok(_) => last_rank = minute,
                Err(e) => tracing::warn!(error = %e, "could not schedule the rank job"),
            }
        }
        let hour = svc.clock.now().millis() / 3_600_000;
        if hour != last_schedule {
            if let Err(e) = schedule_hourly(&svc, crate::commerce::reconcile::RECONCILE).await {
                tracing::warn!(error = %e, "could not schedule the reconciliation");
            }
            match (schedule_purge(&svc).await, schedule_quality(&svc).await) {
                (Ok(_), Ok(_)) => last_schedule = hour,
                (Err(e), _) | (_, Err(e)) => {
                    tracing::warn!(error = %e, "could not schedule the hourly jobs");
                }
            }
        }
        match run_one(&svc).await {
            Ok(true) => continue,
            Ok(false) => {}
            Err(e) => tracing::warn!(error = %e, "job store unavailable"),
        }
        tokio::select! {
            () = shutdown.cancelled() => return,
            () = tokio::time::sleep(idle) => {}
        }
    }
}
