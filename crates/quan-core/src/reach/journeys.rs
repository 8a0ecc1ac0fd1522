//! Journeys (SOP): an event starts a customer on a sequence of waits, messages, tags
//! and staff tasks; a dry run walks a sample through the real calendar first.
//!
//! A run moves one step at a time by a guarded write on the step it read, with the
//! step's effect (the message and its touch, or the task) in the same transaction,
//! so two nodes walking the same run take each step once. Runs are walked when they
//! start (a channel-code join walks at once), when the customer replies (a
//! reply-wait moves on), and by the minutely sweep for whatever fell due.

use super::error::ReachError;
use super::port::{
    AdvanceOutcome, ChannelCodeRecord, ContactRecord, JourneyAdvance, JourneyRecord,
    JourneyResults, JourneyRunRecord, JourneyStatus, JourneyTaskRecord, MessageKind,
    ReachMessageRecord, RunStatus, StepEffect,
};
use super::{HOLDERS, MANAGERS, Result, policy_now, require};
use crate::Services;
use crate::access::OrgAccess;
use crate::events::{announce, new_event};
use crate::page::{Page, PageRequest};
use quan_domain::{
    DRY_RUN_JOIN_TIMES, DRY_RUN_SAMPLE, JOURNEY_NAME_MAX, JourneyFinding, JourneyId, JourneyRunId,
    JourneyStep, JourneyTaskId, JourneyTrigger, NotifyKind, ReachMessageId, Scope, SendPlan,
    Template, Timestamp, TouchLedger, TouchPolicy, TouchVerdict, plan_send, simulate,
};
use serde_json::json;

/// The job kind of the minutely sweep: due runs, and customers newly silent long
/// enough for an inactivity journey.
pub const SWEEP: &str = "reach.journeys";
/// Due runs walked per sweep.
const DUE_BATCH: i64 = 500;
/// Customers an inactivity journey starts per sweep.
const IDLE_BATCH: i64 = 200;
/// Between two join times a channel-code dry run tries, in seconds.
const JOIN_SPACING_SECS: i64 = 3 * 3600;
/// How long a run whose step failed waits before the sweep tries it again.
const RETRY_SECS: i64 = 300;

/// A journey as the console composes it, its trigger and steps parsed already.
#[derive(Debug, Clone)]
pub struct NewJourney {
    pub name: String,
    pub trigger: JourneyTrigger,
    pub steps: Vec<JourneyStep>,
}

pub async fn create(svc: &Services, access: &OrgAccess, n: NewJourney) -> Result<JourneyRecord> {
    require(access, Scope::Write, MANAGERS)?;
    let name = crate::input::text(&n.name, "name", JOURNEY_NAME_MAX, true)?;
    // A code of another org is simply not one of this org's: a refused field, so
    // the composer comes back filled in.
    if let JourneyTrigger::CodeJoined { code: Some(code) } = n.trigger
        && svc.store.code_get(access.org(), code).await?.is_none()
    {
        return Err(quan_domain::ParseError::new(
            "trigger_code",
            "no_such_code",
            "no such channel code in this org",
        )
        .into());
    }
    let j = JourneyRecord {
        id: JourneyId::new(),
        org_id: access.org(),
        name,
        trigger: n.trigger,
        steps: n.steps,
        status: JourneyStatus::Draft,
        created_by: Some(access.account()),
        created_at: svc.clock.now(),
        dry_run_at: None,
        enabled_at: None,
    };
    let ev = new_event(
        svc,
        access.org(),
        "journey.created",
        format!("journey:{}", j.id),
        Some(access.account()),
        json!({"name": j.name, "trigger": j.trigger.kind(), "steps": j.steps.len()}),
    );
    svc.store.journey_insert(&j, &ev).await?;
    announce(svc, &ev).await;
    Ok(j)
}

pub async fn list(
    svc: &Services,
    access: &OrgAccess,
    page: &PageRequest,
) -> Result<Page<JourneyRecord>> {
    require(access, Scope::Read, HOLDERS)?;
    Ok(svc.store.journey_list(access.org(), page).await?)
}

/// A journey with its runs and each step's outcomes.
#[derive(Debug, Clone)]
pub struct JourneyDetail {
    pub journey: JourneyRecord,
    pub results: JourneyResults,
}

async fn journey(svc: &Services, access: &OrgAccess, id: JourneyId) -> Result<JourneyRecord> {
    svc.store
        .journey_get(access.org(), id)
        .await?
        .ok_or(ReachError::NotFound)
}

pub async fn get(svc: &Services, access: &OrgAccess, id: JourneyId) -> Result<JourneyDetail> {
    require(access, Scope::Read, HOLDERS)?;
    let journey = journey(svc, access, id).await?;
    Ok(JourneyDetail {
        results: svc.store.journey_results(access.org(), id).await?,
        journey,
    })
}

/// Who a dry run walked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DrySubject {
    /// A real customer the journey would start now.
    Customer(String),
    /// A new customer joining at this instant.
    JoinsAt(Timestamp),
}

/// One simulated walk.
#[derive(Debug, Clone)]
pub struct DryWalk {
    pub who: DrySubject,
    pub findings: Vec<JourneyFinding>,
    pub ends_at: Timestamp,
}

/// A dry run: walks through the calendar under the policy in force now.
#[derive(Debug, Clone)]
pub struct DryRun {
    pub walks: Vec<DryWalk>,
    /// An inactivity journey: how many customers enabling it would start at once
    /// (the walks are a sample of them).
    pub would_start: Option<i64>,
    pub ran_at: Timestamp,
}

/// Walks a sample through the journey on the real calendar, under the policy in
/// force now and each customer's ledger as it stands, and lists every step that
/// would meet quiet hours, a spent budget, the staff member's daily message or an
/// opt-out. An inactivity journey walks (up to twenty of) the customers it would
/// start now, and says how many that is; a channel-code journey walks new
/// customers joining every three hours over the next day. Enabling needs one.
pub async fn dry_run(svc: &Services, access: &OrgAccess, id: JourneyId) -> Result<DryRun> {
    require(access, Scope::Write, MANAGERS)?;
    let j = journey(svc, access, id).await?;
    let policy = policy_now(svc, access.org()).await?;
    let now = svc.clock.now();
    let mut walks = Vec::new();
    let mut would_start = None;
    if let JourneyTrigger::Inactive { days } = j.trigger {
        let idle_before = now.plus_secs(-days * 86_400);
        let (period, day) = (policy.window(now).key, policy.day_window(now).0);
        for c in svc
            .store
            .journey_idle_contacts(access.org(), id, idle_before, DRY_RUN_SAMPLE)
            .await?
        {
            let ledger = svc
                .store
                .journey_ledger(access.org(), c.staff_id, c.person_id, &period, &day)
                .await?;
            let (findings, ends_at) = simulate(&j.steps, &policy, now, ledger);
            walks.push(DryWalk {
                who: DrySubject::Customer(c.person_name),
                findings,
                ends_at,
            });
        }
        would_start = Some(
            svc.store
                .journey_idle_count(access.org(), id, idle_before)
                .await?,
        );
    } else {
        for k in 0..DRY_RUN_JOIN_TIMES {
            let start = now.plus_secs(k * JOIN_SPACING_SECS);
            let (findings, ends_at) = simulate(&j.steps, &policy, start, TouchLedger::default());
            walks.push(DryWalk {
                who: DrySubject::JoinsAt(start),
                findings,
                ends_at,
            });
        }
    }
    svc.store.journey_dry_ran(access.org(), id, now).await?;
    Ok(DryRun {
        walks,
        would_start,
        ran_at: now,
    })
}

/// Turns a draft on: it starts customers from now. Refused before a dry run.
pub async fn enable(svc: &Services, access: &OrgAccess, id: JourneyId) -> Result<JourneyRecord> {
    require(access, Scope::Write, MANAGERS)?;
    let j = journey(svc, access, id).await?;
    if j.status != JourneyStatus::Draft {
        return Err(ReachError::JourneyState {
            code: "journey_not_draft",
            message: "this journey is not a draft",
        });
    }
    if j.dry_run_at.is_none() {
        return Err(ReachError::JourneyState {
            code: "journey_needs_dry_run",
            message: "run a dry run before enabling this journey",
        });
    }
    let ev = new_event(
        svc,
        access.org(),
        "journey.enabled",
        format!("journey:{id}"),
        Some(access.account()),
        json!({"name": j.name}),
    );
    if !svc
        .store
        .journey_enable(access.org(), id, svc.clock.now(), &ev)
        .await?
    {
        return Err(ReachError::JourneyState {
            code: "journey_not_draft",
            message: "this journey is not a draft",
        });
    }
    announce(svc, &ev).await;
    journey(svc, access, id).await
}

/// Stops a journey for good: no one new starts, and its running customers end.
pub async fn archive(svc: &Services, access: &OrgAccess, id: JourneyId) -> Result<()> {
    require(access, Scope::Write, MANAGERS)?;
    let j = journey(svc, access, id).await?;
    let ev = new_event(
        svc,
        access.org(),
        "journey.archived",
        format!("journey:{id}"),
        Some(access.account()),
        json!({"name": j.name}),
    );
    if !svc
        .store
        .journey_archive(access.org(), id, svc.clock.now(), &ev)
        .await?
    {
        return Err(ReachError::JourneyState {
            code: "journey_archived",
            message: "this journey is archived already",
        });
    }
    announce(svc, &ev).await;
    Ok(())
}

/// The caller's tasks from journeys, open ones first, each title rendered for its
/// customer as the org knows them now (an erased customer's name is gone).
pub async fn tasks(svc: &Services, access: &OrgAccess) -> Result<Vec<JourneyTaskRecord>> {
    require(access, Scope::Read, HOLDERS)?;
    let me = svc
        .store
        .staff_get(access.org(), access.account())
        .await?
        .map(|s| s.display_name)
        .unwrap_or_default();
    let mut tasks = svc
        .store
        .journey_tasks(access.org(), access.account())
        .await?;
    for t in &mut tasks {
        t.title = render(&t.title, &t.person_name, &me);
    }
    Ok(tasks)
}

/// A stored template as one customer reads it; one that no longer parses (a rule
/// tightened since) shows as written.
fn render(source: &str, name: &str, staff: &str) -> String {
    Template::parse(source).map_or_else(|_| source.to_owned(), |t| t.render(name, staff))
}

/// The caller marks one of their tasks done.
pub async fn task_done(svc: &Services, access: &OrgAccess, id: JourneyTaskId) -> Result<()> {
    require(access, Scope::Write, HOLDERS)?;
    if svc
        .store
        .journey_task_done(access.org(), access.account(), id, svc.clock.now())
        .await?
    {
        Ok(())
    } else {
        Err(ReachError::NotFound)
    }
}

/// A contact was made through a channel code: the org's active journeys started by
/// this code (or any code) start them, and walk at once as far as they can.
pub(crate) async fn on_code_join(svc: &Services, code: &ChannelCodeRecord, c: &ContactRecord) {
    let journeys = match svc
        .store
        .journeys_active(Some(c.org_id), "code_joined")
        .await
    {
        Ok(j) => j,
        Err(e) => {
            tracing::warn!(error = %e, "journeys not started for a code join");
            return;
        }
    };
    for j in journeys {
        let JourneyTrigger::CodeJoined { code: only } = j.trigger else {
            continue;
        };
        if only.is_some_and(|o| o != code.id) {
            continue;
        }
        if let Err(e) = start(svc, &j, c).await {
            tracing::warn!(error = %e, journey = %j.id, "journey left to the sweep");
        }
    }
}

/// Starts a contact on a journey (once ever) and walks it.
async fn start(svc: &Services, j: &JourneyRecord, c: &ContactRecord) -> Result<()> {
    let now = svc.clock.now();
    let run = JourneyRunRecord {
        id: JourneyRunId::new(),
        journey_id: j.id,
        org_id: j.org_id,
        contact_id: c.id,
        step: 0,
        step_started_at: now,
        due_at: now.plus_secs(j.steps.first().map_or(0, JourneyStep::wait_secs)),
        status: RunStatus::Running,
        started_at: now,
    };
    let ev = new_event(
        svc,
        j.org_id,
        "journey.started",
        format!("person:{}", c.person_id),
        None,
        json!({"journey": j.id.to_string(), "name": j.name,
               "staff": c.staff_id.to_string(), "staff_name": c.staff_name}),
    );
    if svc.store.journey_enrol(&run, &ev).await? {
        announce(svc, &ev).await;
        walk(svc, run).await?;
    }
    Ok(())
}

/// The customer wrote in a conversation: reply-waits on it move on now.
pub(crate) async fn on_reply(svc: &Services, c: &ContactRecord) {
    let runs = match svc.store.journey_runs_of_contact(c.org_id, c.id).await {
        Ok(r) => r,
        Err(e) => {
            tracing::warn!(error = %e, "reply-waits left to the sweep");
            return;
        }
    };
    for run in runs {
        if let Err(e) = walk(svc, run).await {
            tracing::warn!(error = %e, "reply-wait left to the sweep");
        }
    }
}

/// The sweep: walks every due run, then starts inactivity journeys for customers
/// silent long enough. One journey or run that fails is logged and passed over
/// (a failed run waits a few minutes, so it cannot hold up the queue); returns
/// how many runs it walked or started.
pub async fn sweep(svc: &Services) -> Result<u64> {
    let now = svc.clock.now();
    let mut n = 0;
    for run in svc.store.journey_runs_due(now, DUE_BATCH).await? {
        let (org, id, step) = (run.org_id, run.id, run.step);
        match walk(svc, run).await {
            Ok(()) => n += 1,
            Err(e) => {
                tracing::warn!(error = %e, run = %id, "a due journey step did not run");
                let retry = now.plus_secs(RETRY_SECS);
                if let Err(e) = svc.store.journey_defer(org, id, step, retry).await {
                    tracing::warn!(error = %e, run = %id, "a failed journey step not put back");
                }
            }
        }
    }
    for j in svc.store.journeys_active(None, "inactive").await? {
        match start_idle(svc, &j, now).await {
            Ok(k) => n += k,
            Err(e) => tracing::warn!(error = %e, journey = %j.id, "inactivity journey not swept"),
        }
    }
    Ok(n)
}

/// Starts an inactivity journey for its newly silent customers.
async fn start_idle(svc: &Services, j: &JourneyRecord, now: Timestamp) -> Result<u64> {
    let JourneyTrigger::Inactive { days } = j.trigger else {
        return Ok(0);
    };
    let idle_before = now.plus_secs(-days * 86_400);
    let mut n = 0;
    for c in svc
        .store
        .journey_idle_contacts(j.org_id, j.id, idle_before, IDLE_BATCH)
        .await?
    {
        match start(svc, j, &c).await {
            Ok(()) => n += 1,
            Err(e) => tracing::warn!(error = %e, journey = %j.id, "journey not started"),
        }
    }
    Ok(n)
}

/// What taking the run's current step comes to, before it is written.
enum Move {
    /// Not due yet (or nothing to do): leave the run.
    Wait,
    /// Hold the step until then (the ledger's rule).
    Defer(Timestamp),
    /// Take it: its outcome and effect, and when the next step begins.
    Take(&'static str, Box<StepEffect>, Timestamp),
}

/// Decides the current step of `run` at `now`; only the tag step writes (an
/// idempotent tag, with its event), everything else is left to the guarded move.
async fn decide(
    svc: &Services,
    j: &JourneyRecord,
    run: &JourneyRunRecord,
    c: &ContactRecord,
    policy: &TouchPolicy,
    now: Timestamp,
) -> Result<Move> {
    let idx = usize::try_from(run.step).unwrap_or(usize::MAX);
    let Some(step) = j.steps.get(idx) else {
        return Ok(Move::Wait);
    };
    // Where the next step's clock starts: when this one was due, not when a sweep
    // came by, so lag does not add up over the steps.
    let due_base = run.due_at.min(now);
    Ok(match step {
        JourneyStep::UntilReply { .. } => {
            if svc
                .store
                .journey_replied(run.org_id, c.id, run.step_started_at)
                .await?
            {
                Move::Take("replied", Box::new(StepEffect::None), now)
            } else if run.due_at > now {
                Move::Wait
            } else {
                Move::Take("no_reply", Box::new(StepEffect::None), due_base)
            }
        }
        _ if run.due_at > now => Move::Wait,
        JourneyStep::Wait { .. } => Move::Take("waited", Box::new(StepEffect::None), due_base),
        JourneyStep::Send { template } => {
            let (period, day) = (policy.window(now).key, policy.day_window(now).0);
            let ledger = svc
                .store
                .journey_ledger(run.org_id, c.staff_id, c.person_id, &period, &day)
                .await?;
            match plan_send(policy, now, &ledger) {
                SendPlan::Skip => Move::Take("opted_out", Box::new(StepEffect::None), due_base),
                SendPlan::Defer { until, .. } => Move::Defer(until),
                SendPlan::Send {
                    show,
                    quiet,
                    period,
                    limit,
                    own,
                    day,
                } => {
                    let message = ReachMessageRecord {
                        id: ReachMessageId::new(),
                        org_id: run.org_id,
                        contact_id: c.id,
                        from_staff: true,
                        kind: MessageKind::Journey,
                        body: template.render(&c.person_name, &c.staff_name),
                        campaign_id: None,
                        dedupe: Some(format!("journey:{}:{}", run.id, run.step)),
                        created_at: now,
                        visible_at: show,
                        read_at: None,
                    };
                    Move::Take(
                        if quiet { "quiet" } else { "sent" },
                        Box::new(StepEffect::Send {
                            message,
                            person: c.person_id,
                            staff: c.staff_id,
                            period,
                            limit,
                            own,
                            day,
                        }),
                        show,
                    )
                }
            }
        }
        JourneyStep::Tag { tag } => {
            super::tag_person(svc, run.org_id, c.person_id, tag, "journey", None).await?;
            Move::Take("tagged", Box::new(StepEffect::None), due_base)
        }
        JourneyStep::Task { title } => Move::Take(
            "task",
            Box::new(StepEffect::Task(JourneyTaskRecord {
                id: JourneyTaskId::new(),
                org_id: run.org_id,
                journey_id: j.id,
                journey_name: j.name.clone(),
                run_id: run.id,
                staff_id: c.staff_id,
                contact_id: c.id,
                person_id: c.person_id,
                person_name: c.person_name.clone(),
                title: title.source().to_owned(),
                created_at: now,
                done_at: None,
            })),
            due_base,
        ),
    })
}

/// When a send the store refused (a concurrent send spent the touch first) can go.
fn refused_until(policy: &TouchPolicy, a: &JourneyAdvance, why: TouchVerdict) -> Timestamp {
    let show = match &a.effect {
        StepEffect::Send { message, .. } => message.visible_at,
        _ => a.now,
    };
    match why {
        TouchVerdict::StaffDaily => policy.day_window(show).1,
        TouchVerdict::OverBudget => policy.window(show).next_opens,
        // Consent or the contact changed under the send: decide again at once.
        TouchVerdict::OptedOut | TouchVerdict::Send => a.now,
    }
}

/// Takes a run's steps for as long as they are due. Safe to call any number of
/// times from any node: each move is guarded on the step it read.
async fn walk(svc: &Services, mut run: JourneyRunRecord) -> Result<()> {
    let Some(j) = svc.store.journey_get(run.org_id, run.journey_id).await? else {
        return Ok(());
    };
    let policy = policy_now(svc, run.org_id).await?;
    // Each pass takes a step or returns; a lost race re-reads and tries again.
    for _ in 0..=(2 * j.steps.len()) {
        if run.status != RunStatus::Running || j.status != JourneyStatus::Active {
            return Ok(());
        }
        let now = svc.clock.now();
        let c = match svc.store.contact_get(run.org_id, run.contact_id).await? {
            Some(c) if c.removed_at.is_none() => c,
            _ => {
                svc.store
                    .journey_end(run.org_id, run.id, "contact_gone", now)
                    .await?;
                return Ok(());
            }
        };
        let (outcome, effect, next_started) = match decide(svc, &j, &run, &c, &policy, now).await? {
            Move::Wait => return Ok(()),
            Move::Defer(until) => {
                svc.store
                    .journey_defer(run.org_id, run.id, run.step, until)
                    .await?;
                return Ok(());
            }
            Move::Take(outcome, effect, next_started) => (outcome, *effect, next_started),
        };
        let idx = usize::try_from(run.step).unwrap_or(usize::MAX);
        let next_wait = j.steps.get(idx + 1).map_or(0, JourneyStep::wait_secs);
        let advance = JourneyAdvance {
            org: run.org_id,
            run: run.id,
            journey: j.id,
            from_step: run.step,
            outcome,
            effect,
            next_step: run.step + 1,
            next_started,
            next_due: next_started.plus_secs(next_wait),
            done: idx + 1 == j.steps.len(),
            now,
        };
        match svc.store.journey_advance(&advance).await? {
            AdvanceOutcome::Advanced => after_step(svc, &c, &advance).await,
            // Another worker took the step first: read the run again.
            AdvanceOutcome::Stale => {}
            AdvanceOutcome::Refused(why) => {
                let until = refused_until(&policy, &advance, why);
                if until > now {
                    svc.store
                        .journey_defer(run.org_id, run.id, run.step, until)
                        .await?;
                    return Ok(());
                }
            }
        }
        match svc.store.journey_run_get(run.org_id, run.id).await? {
            Some(r) => run = r,
            None => return Ok(()),
        }
    }
    Ok(())
}

/// What a taken step tells others: its message live in the conversation, its task
/// to the staff member.
async fn after_step(svc: &Services, c: &ContactRecord, a: &JourneyAdvance) {
    match &a.effect {
        StepEffect::Send { message, .. } => {
            if message.visible_at <= a.now {
                super::conversations::announce_message(svc, c, message).await;
            }
        }
        StepEffect::Task(t) => {
            crate::notify::send(
                svc,
                vec![crate::notify::Note {
                    to: t.staff_id,
                    kind: NotifyKind::Journey,
                    circle: None,
                    post: None,
                    actor_name: t.person_name.clone(),
                    body: render(&t.title, &t.person_name, &c.staff_name),
                }],
                // No one is the actor: a journey gave the task.
                quan_domain::AccountId::new(),
            )
            .await;
        }
        StepEffect::None => {}
    }
}

/// The job handler: the sweep.
pub async fn run_sweep_job(svc: &Services) -> Result<()> {
    let n = sweep(svc).await?;
    if n > 0 {
        tracing::info!(runs = n, "journeys walked");
    }
    Ok(())
}
