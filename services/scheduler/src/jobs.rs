//! The recurring-job runner. Every replica looks for due ticks each `scheduler.tick_ms`; a
//! tick runs exactly once because its run row is keyed by (schedule, due time) and inserted in
//! the same transaction that moves the schedule on. The owner renews its lease while the job
//! works; a run whose lease runs out (its replica died) is taken over by another replica. The
//! job's effect is idempotent too: the ticket it opens carries an Idempotency-Key made of the
//! schedule and the tick, so a taken-over run never opens a second ticket.

use std::time::Duration;

use actix_web::web;
use chrono::{DateTime, Datelike, NaiveDate, TimeDelta, Utc};
use serde::Serialize;
use serde_json::{Value, json};

use canopy_api::billing::RunRequest;
use canopy_api::ticketing::{Channel, NewTicket, ReportRun, TicketKind};
use canopy_api::{CallError, Failure};
use canopy_kernel::ApiResult;
use canopy_kernel::days::Zone;

use crate::domain::action::Action;
use crate::domain::cron::Recurrence;
use crate::state::SchedulerState;
use crate::store::jobs::{FAILED, SUCCEEDED};
use crate::store::jobs::{RunRow, ScheduleRow};

/// The provider's system jobs, with fixed ids so every replica installs the same ones once.
fn system_jobs() -> [(uuid::Uuid, &'static str, &'static str, Action); 5] {
    [
        (
            uuid::Uuid::from_u128(0x0000_0000_0000_7000_8000_5c4e_d000_0001),
            "Shift handover",
            "*/5 * * * *",
            Action::ShiftHandover,
        ),
        (
            uuid::Uuid::from_u128(0x0000_0000_0000_7000_8000_5c4e_d000_0002),
            "Re-plan today's on-site rounds",
            "0 * * * *",
            Action::PlanRounds { region: None, days_ahead: 0 },
        ),
        (
            // 12:00 UTC on the 1st: the month has ended in every tenant's time zone (UTC−12
            // is the last), and a tenant's period runs from its own midnight.
            uuid::Uuid::from_u128(0x0000_0000_0000_7000_8000_5c4e_d000_0003),
            "Monthly billing run",
            "0 12 1 * *",
            Action::BillingRun,
        ),
        (
            uuid::Uuid::from_u128(0x0000_0000_0000_7000_8000_5c4e_d000_0004),
            "Dunning",
            "0 3 * * *",
            Action::Dunning,
        ),
        (
            // 14:00 UTC on the 1st: the month has ended in every tenant's time zone, and
            // the billing run has given its credits.
            uuid::Uuid::from_u128(0x0000_0000_0000_7000_8000_5c4e_d000_0005),
            "Monthly IT service reports",
            "0 14 1 * *",
            Action::MonthlyReports,
        ),
    ]
}

/// Installs the system jobs that are not there yet, and moves those whose time changed.
pub async fn install_system_jobs(state: &SchedulerState) -> ApiResult<()> {
    let now = state.now();
    for (id, name, cron, action) in system_jobs() {
        let next = Recurrence::parse(cron, "UTC").ok().and_then(|r| r.next_after(now));
        state
            .jobs
            .ensure_schedule(ScheduleRow {
                id,
                tenant_id: None,
                name: name.to_owned(),
                cron: cron.to_owned(),
                timezone: "UTC".to_owned(),
                action: serde_json::to_value(&action).map_err(canopy_kernel::ApiError::internal)?,
                active: true,
                next_run_at: next,
                created_by: uuid::Uuid::nil(),
                created_at: now,
            })
            .await?;
        // An installation from before a system job's time changed (the billing run moved to
        // when the month has ended in every tenant's zone) follows the new time.
        state.jobs.reschedule_system(id, cron, next).await?;
    }
    Ok(())
}

fn lease(state: &SchedulerState) -> TimeDelta {
    TimeDelta::seconds(state.settings.scheduler.lease_secs.max(1) as i64)
}

/// Claims due ticks and abandoned runs, and starts them; returns how many were started.
pub async fn tick(state: &web::Data<SchedulerState>) -> ApiResult<usize> {
    let now = state.now();
    let mut started = 0;
    for s in state.jobs.due(now, 50).await? {
        let next = match Recurrence::parse(&s.cron, &s.timezone) {
            // Ticks missed while no replica ran are not made up: the next is after now.
            Ok(r) => r.next_after(now),
            Err(problems) => {
                tracing::error!(schedule = %s.id, ?problems, "schedule no longer parses; stopped");
                None
            }
        };
        if let Some(run) = state.jobs.claim_tick(&s, next, &state.replica, now, lease(state)).await? {
            tokio::spawn(execute(state.clone(), s, run));
            started += 1;
        }
    }
    for abandoned in state.jobs.abandoned(now, 50).await? {
        if let Some(run) = state.jobs.take_over(&abandoned, &state.replica, now, lease(state)).await? {
            tracing::warn!(schedule = %run.schedule_id, due = %run.due_at, previous = %abandoned.owner, "run taken over");
            let s = state.jobs.schedule(run.schedule_id).await?;
            tokio::spawn(execute(state.clone(), s, run));
            started += 1;
        }
    }
    Ok(started)
}

enum Done {
    Finished(&'static str, Value),
    /// Could not reach what it needed: left for a later attempt (the lease runs out).
    Retry(String),
}

async fn execute(state: web::Data<SchedulerState>, s: ScheduleRow, run: RunRow) {
    // Renew the lease while working.
    let renewing = {
        let (state, run) = (state.clone(), run.clone());
        tokio::spawn(async move {
            let every = Duration::from_secs((state.settings.scheduler.lease_secs / 3).max(1));
            loop {
                tokio::time::sleep(every).await;
                let until = state.now() + lease(&state);
                if !state.jobs.renew(&run, &state.replica, until).await.unwrap_or(false) {
                    break;
                }
            }
        })
    };
    let done = perform(&state, &s, run.due_at).await;
    renewing.abort();
    let now = state.now();
    let result = match done {
        Done::Finished(status, outcome) => {
            state.jobs.finish(&run, &state.replica, status, outcome, now).await
        }
        Done::Retry(why) if run.attempts >= state.settings.scheduler.max_attempts as i32 => {
            state
                .jobs
                .finish(&run, &state.replica, FAILED, json!({"error": why, "attempts": run.attempts}), now)
                .await
        }
        Done::Retry(why) => {
            tracing::warn!(schedule = %s.id, error = %why, "job failed; another attempt follows when its lease runs out");
            // Give the lease back at once, so the next look retries.
            state.jobs.renew(&run, &state.replica, now - TimeDelta::seconds(1)).await
        }
    };
    if let Err(e) = result {
        tracing::warn!(schedule = %s.id, error = ?e, "job outcome not recorded; the lease will run out");
    }
}

async fn perform(state: &SchedulerState, s: &ScheduleRow, due: DateTime<Utc>) -> Done {
    let action: Action = match serde_json::from_value(s.action.clone()) {
        Ok(a) => a,
        Err(e) => return Done::Finished(FAILED, json!({"error": format!("unreadable action: {e}")})),
    };
    // A tick's day is the day on the schedule's own clock (a tenant's schedule: the tenant's).
    let zone = match Zone::named(&s.timezone) {
        Ok(z) => z,
        Err(e) => return Done::Finished(FAILED, json!({"error": format!("{e:#}")})),
    };
    let today = zone.day_of(due);
    match action {
        Action::ShiftHandover => match crate::dispatcher::handover(state).await {
            Ok(outcome) => Done::Finished(SUCCEEDED, outcome),
            Err(e) => Done::Retry(e.to_string()),
        },
        Action::BillingRun => {
            let Some(billing) = &state.billing else { return no_billing() };
            let token = match state.service_token.get().await {
                Ok(t) => t,
                Err(e) => return Done::Retry(format!("{e:#}")),
            };
            let ask = RunRequest { period: month_before(today) };
            outcome(
                billing.run(&token, &ask).await,
                &ask,
                |run| json!({"period": ask.period, "run_id": run.id, "invoices": run.invoices, "skipped": run.skipped}),
            )
        }
        Action::Dunning => {
            let Some(billing) = &state.billing else { return no_billing() };
            let token = match state.service_token.get().await {
                Ok(t) => t,
                Err(e) => return Done::Retry(format!("{e:#}")),
            };
            outcome(billing.dunning(&token).await, &json!({}), |done| json!(done))
        }
        Action::MonthlyReports => {
            let token = match state.service_token.get().await {
                Ok(t) => t,
                Err(e) => return Done::Retry(format!("{e:#}")),
            };
            let ask = ReportRun { period: month_before(today) };
            outcome(
                state.ticketing.run_monthly_reports(&token, &ask).await,
                &ask,
                |r| json!({"period": r.period, "reports": r.reports}),
            )
        }
        Action::PlanRounds { region, days_ahead } => {
            let token = match state.service_token.get().await {
                Ok(t) => t,
                Err(e) => return Done::Retry(format!("{e:#}")),
            };
            let day = today + TimeDelta::days(i64::from(days_ahead));
            let settings = &state.settings.scheduler;
            let (budget, threshold) =
                (settings.optimize_budget_secs.max(1), settings.replan_threshold_percent);
            match crate::rounds::optimize(state, &token, day, region, budget, threshold, None).await {
                Ok(a) => Done::Finished(
                    SUCCEEDED,
                    json!({"date": day, "plan_id": a.plan_id, "published": a.published, "reason": a.reason,
                        "visits": a.plan.rounds.iter().map(|r| r.stops.len()).sum::<usize>(),
                        "unplanned": a.plan.unplanned.len(), "lateness_secs": a.plan.lateness_secs,
                        "distance_km": a.plan.distance_km, "solver_ms": a.solver_ms}),
                ),
                Err(e) => Done::Retry(e.to_string()),
            }
        }
        Action::OpenTicket { title, description, category, impact, urgency } => {
            let Some(tenant) = s.tenant_id else {
                return Done::Finished(FAILED, json!({"error": "a ticket needs the schedule's tenant"}));
            };
            let token = match state.service_token.get().await {
                Ok(t) => t,
                Err(e) => return Done::Retry(format!("{e:#}")),
            };
            let ticket = NewTicket {
                tenant_id: Some(tenant),
                kind: TicketKind::ServiceRequest,
                title,
                description,
                category,
                impact,
                urgency,
                requester_id: None,
                site_id: None,
                channel: Some(Channel::Api),
                onsite_required: false,
                custom_fields: Default::default(),
                problem: None,
                change: None,
            };
            // The same tick always asks with the same key: a retried run opens no second ticket.
            let key = format!("schedule-{}-{}", s.id, due.timestamp());
            let opened = state.ticketing.open_ticket(&token, &ticket, Some(&key)).await;
            outcome(opened, &ticket, |t| json!({"ticket_id": t.id, "reference": t.reference}))
        }
    }
}

/// `YYYY-MM` of the month that ended before `day`.
fn month_before(day: NaiveDate) -> String {
    let first = day.with_day(1).unwrap_or(day);
    (first - TimeDelta::days(1)).format("%Y-%m").to_string()
}

fn no_billing() -> Done {
    Done::Finished(FAILED, json!({"error": "no billing service configured (upstreams.billing)"}))
}

/// A job's outcome from the answer of the service it asked: a success summarised; a refusal
/// (4xx) final, with the problem and the request; an answer that cannot be read final too (the
/// work may be done; the log and the outcome say what could not be read); anything else tried
/// again.
fn outcome<T, R: Serialize>(
    answer: Result<T, CallError>,
    request: &R,
    summary: impl FnOnce(T) -> Value,
) -> Done {
    match answer {
        Ok(answer) => Done::Finished(SUCCEEDED, summary(answer)),
        Err(e) if e.is_refusal() => {
            Done::Finished(FAILED, json!({"status": e.status(), "problem": e.problem(), "request": request}))
        }
        Err(e) if matches!(e.failure, Failure::Unreadable(_)) => {
            tracing::error!(error = %e, "a job's answer cannot be read");
            Done::Finished(FAILED, json!({"error": e.to_string()}))
        }
        Err(e) => Done::Retry(e.to_string()),
    }
}
