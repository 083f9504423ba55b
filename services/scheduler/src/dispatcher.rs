//! Instant assignment. The dispatcher follows ticketing's events (one consumer group for all
//! replicas) and, for a ticket raised, escalated or breached without an engineer, ranks the
//! team and assigns the best through ticketing with the ticket's version (If-Match): when two
//! replicas race on the same ticket, one assignment wins and the other is refused (412) and
//! dropped. Every decision is stored with its candidates and reasons.

use actix_web::web;
use serde_json::{Value, json};
use uuid::Uuid;

use canopy_api::Failure;
use canopy_api::events::{TicketChange, TicketEvent, TicketingEvent};
use canopy_api::ticketing::TicketPatch;
use canopy_kernel::backends::{StartFrom, topics};
use canopy_kernel::service::{Received, Workers};
use canopy_kernel::{ApiError, ApiResult, ErrorCode};

use crate::domain::dispatch::{Candidate, Need, Ranked, rank};
use crate::domain::engineer::EngineerSpec;
use crate::state::SchedulerState;
use crate::store::dispatch::DecisionRow;
use crate::store::engineers::spec_of;

const GROUP: &str = "scheduler-dispatch";

/// Follows ticketing's events. Each is handled once: a failure is logged, not retried.
pub fn follow(state: &web::Data<SchedulerState>, workers: &mut Workers) {
    let state = state.clone();
    workers.follow(
        state.backends.bus.clone(),
        topics::TICKETING,
        GROUP,
        StartFrom::Latest,
        move |received: Received<TicketingEvent>| {
            let state = state.clone();
            async move {
                if let Err(e) = on_event(&state, &received.event).await {
                    tracing::warn!(error = ?e, "dispatch could not handle a ticket event");
                }
                Ok(())
            }
        },
    );
}

async fn on_event(state: &SchedulerState, event: &TicketingEvent) -> ApiResult<()> {
    let TicketingEvent::Ticket(TicketEvent { ticket: facts, change }) = event else { return Ok(()) };
    let (ticket, tenant) = (facts.ticket_id, facts.tenant_id);
    let engineer_of = async |user: Uuid| -> ApiResult<_> {
        Ok(state.engineers.active().await?.into_iter().find(|e| e.user_id == Some(user)))
    };
    if !facts.status.is_open() {
        // History brought in by an import still counts towards continuity with the tenant.
        if let TicketChange::Created { imported: true, assignee_id: Some(Some(user)) } = change
            && let Some(e) = engineer_of(*user).await?
        {
            state.dispatch.assigned(ticket, tenant, e.id, state.now()).await?;
        }
        return state.dispatch.released(ticket).await;
    }
    match change {
        // Assignments made by people count towards load and continuity too.
        TicketChange::Assigned { assignee_id } => {
            let engineer = match assignee_id {
                Some(user) => engineer_of(*user).await?,
                None => None,
            };
            match engineer {
                Some(e) => state.dispatch.assigned(ticket, tenant, e.id, state.now()).await,
                None => state.dispatch.released(ticket).await,
            }
        }
        TicketChange::Created { .. } | TicketChange::SlaBreached { .. } => {
            assign(state, ticket, None, None).await.map(drop)
        }
        // An escalation.
        TicketChange::Updated { changed, .. } if changed.iter().any(|c| c == "support_level") => {
            assign(state, ticket, None, None).await.map(drop)
        }
        _ => Ok(()),
    }
}

/// Each engineer with their spec: (engineer, user, active, spec).
type Specs = Vec<(Uuid, Option<Uuid>, bool, EngineerSpec)>;

fn specs_of(engineers: &[crate::store::engineers::EngineerRow]) -> ApiResult<Specs> {
    engineers.iter().map(|e| Ok((e.id, e.user_id, e.active, spec_of(e)?))).collect()
}

/// The team as candidates, with their load and their history with the tenant.
fn candidates<'a>(
    specs: &'a Specs,
    loads: &std::collections::HashMap<Uuid, u32>,
    history: &std::collections::HashMap<Uuid, u32>,
) -> Vec<Candidate<'a>> {
    specs
        .iter()
        .map(|(id, user, active, spec)| Candidate {
            engineer_id: *id,
            user_id: *user,
            active: *active,
            spec,
            load: loads.get(id).copied().unwrap_or(0),
            history: history.get(id).copied().unwrap_or(0),
        })
        .collect()
}

/// The outcome of one dispatch.
pub struct Outcome {
    pub engineer_id: Option<Uuid>,
    pub ranked: Vec<Ranked>,
}

/// Assigns `ticket` to the best engineer, or to `forced` (a dispatcher's override, with a
/// reason); records the decision. `token`: the caller's, for an override; else the service's.
pub async fn assign(
    state: &SchedulerState,
    ticket: Uuid,
    forced: Option<(Uuid, Uuid, String)>,
    token: Option<&str>,
) -> ApiResult<Outcome> {
    decide(state, ticket, forced, token, None).await
}

/// Why a ticket leaves its engineer at a shift handover.
pub struct Leaving {
    pub engineer_id: Uuid,
    pub reason: String,
}

async fn decide(
    state: &SchedulerState,
    ticket: Uuid,
    forced: Option<(Uuid, Uuid, String)>,
    token: Option<&str>,
    leaving: Option<Leaving>,
) -> ApiResult<Outcome> {
    let service_token;
    let token = match token {
        Some(t) => t,
        None => {
            service_token = state.service_token.get().await.map_err(ApiError::internal)?;
            service_token.as_str()
        }
    };
    let Some(Ticket { tenant, version, assignee, need }) = read_ticket(state, token, ticket).await? else {
        return Err(ApiError::not_found("ticket"));
    };
    let engineers = state.engineers.active().await?;
    let by_user = |user: Option<Uuid>| engineers.iter().find(|e| e.user_id.is_some() && e.user_id == user);
    // Already with an engineer of the right level: nothing to do unless overridden.
    if forced.is_none()
        && let Some(current) = by_user(assignee)
        && current.support_level >= i32::from(need.support_level)
        && leaving.as_ref().is_none_or(|l| l.engineer_id != current.id)
    {
        return Ok(Outcome { engineer_id: Some(current.id), ranked: Vec::new() });
    }
    let loads = state.dispatch.loads().await?;
    let history = state.dispatch.history(tenant).await?;
    let specs = specs_of(&engineers)?;
    let candidates = candidates(&specs, &loads, &history);
    let now = state.now();
    let ranked = rank(&need, &candidates, now);
    let (chosen, mode, decided_by, reason) = match (&forced, &leaving) {
        (Some((engineer, by, why)), _) => (Some(*engineer), "override", Some(*by), why.clone()),
        (None, None) => match ranked.first().filter(|r| r.eligible) {
            Some(best) => (Some(best.engineer_id), "auto", None, "best score".to_owned()),
            None => (None, "none", None, "no engineer passes the hard filters; left in the queue".to_owned()),
        },
        (None, Some(l)) => match ranked.iter().find(|r| r.eligible && r.engineer_id != l.engineer_id) {
            Some(best) => (Some(best.engineer_id), "handover", None, l.reason.clone()),
            // Nobody else can take it: it stays, and nothing is recorded (the sweep comes back).
            None => return Ok(Outcome { engineer_id: None, ranked }),
        },
    };
    if let Some(engineer) = chosen {
        let user = engineers.iter().find(|e| e.id == engineer).and_then(|e| e.user_id).ok_or_else(|| {
            ApiError::invalid("engineer_id", "this engineer has no user account to assign tickets to")
        })?;
        // Already theirs (an override confirming the current engineer): nothing to change.
        if assignee != Some(user) {
            patch_assignee(state, token, ticket, user, version).await?;
        }
        state.dispatch.assigned(ticket, tenant, engineer, now).await?;
    }
    state
        .dispatch
        .record(DecisionRow {
            ticket_id: ticket,
            id: Uuid::now_v7(),
            decided_at: now,
            tenant_id: tenant,
            engineer_id: chosen,
            mode: mode.into(),
            decided_by,
            reason: reason.chars().take(500).collect(),
            candidates: serde_json::to_value(&ranked).map_err(ApiError::internal)?,
        })
        .await?;
    Ok(Outcome { engineer_id: chosen, ranked })
}

/// What dispatch needs to know of a ticket.
pub struct Ticket {
    pub tenant: Uuid,
    pub version: i64,
    pub assignee: Option<Uuid>,
    pub need: Need,
}

/// Reads the ticket from ticketing; `None` when it does not exist (or is not visible).
pub async fn read_ticket(state: &SchedulerState, token: &str, ticket: Uuid) -> ApiResult<Option<Ticket>> {
    let t = match state.ticketing.ticket(token, ticket).await {
        Ok(t) => t,
        Err(e) if e.is_refusal() => return Ok(None),
        Err(e) => return Err(e.into()),
    };
    let onsite_region =
        if t.onsite_required { site_region(state, token, t.tenant_id, t.site_id).await? } else { None };
    let due_at = t.running_clocks().filter_map(|c| c.due_at).min();
    Ok(Some(Ticket {
        tenant: t.tenant_id,
        version: t.version,
        assignee: t.assignee_id,
        need: Need {
            support_level: u8::try_from(t.support_level.clamp(1, 3)).unwrap_or(1),
            category: t.category,
            onsite_region,
            due_at,
        },
    }))
}

/// Assigns the ticket to `user` through ticketing, at `version`.
async fn patch_assignee(
    state: &SchedulerState,
    token: &str,
    ticket: Uuid,
    user: Uuid,
    version: i64,
) -> ApiResult<()> {
    let patch = TicketPatch { assignee_id: Some(Some(user)), ..TicketPatch::default() };
    match state.ticketing.patch_ticket(token, ticket, &patch, version).await {
        Ok(_) => Ok(()),
        // Someone (another replica, a person) changed the ticket first: their move stands.
        Err(e) if e.status() == Some(412) => {
            Err(ApiError::new(ErrorCode::PreconditionFailed, "The ticket changed meanwhile"))
        }
        Err(e) => Err(e.into()),
    }
}

/// A backlog assigned together (see `domain::dispatch::batch`); answers, per ticket, the
/// engineer it went to. A ticket that changed meanwhile is left as it is.
pub async fn assign_batch(
    state: &SchedulerState,
    tickets: &[Uuid],
    token: &str,
    by: Uuid,
) -> ApiResult<Vec<(Uuid, Option<Uuid>)>> {
    let mut read = Vec::new();
    for &id in tickets {
        match read_ticket(state, token, id).await? {
            Some(t) => read.push((id, t)),
            None => return Err(ApiError::invalid("ticket_ids", format!("no such ticket {id}"))),
        }
    }
    let engineers = state.engineers.active().await?;
    let loads = state.dispatch.loads().await?;
    let specs = specs_of(&engineers)?;
    // A batch spans tenants: continuity is left out of its scores.
    let candidates = candidates(&specs, &loads, &std::collections::HashMap::new());
    let needs: Vec<Need> = read.iter().map(|(_, t)| t.need.clone()).collect();
    let now = state.now();
    let plan = crate::domain::dispatch::batch(&needs, &candidates, now);
    let mut out = Vec::new();
    for ((id, t), choice) in read.iter().zip(plan) {
        let mut placed = None;
        if let Some((engineer_id, Some(user), _, _)) = choice.map(|i| &specs[i]) {
            match patch_assignee(state, token, *id, *user, t.version).await {
                Ok(()) => {
                    state.dispatch.assigned(*id, t.tenant, *engineer_id, now).await?;
                    placed = Some(*engineer_id);
                }
                Err(e) if e.code() == ErrorCode::PreconditionFailed => {}
                Err(e) => return Err(e),
            }
        }
        let ranked = rank(&t.need, &candidates, now);
        state
            .dispatch
            .record(DecisionRow {
                ticket_id: *id,
                id: Uuid::now_v7(),
                decided_at: now,
                tenant_id: t.tenant,
                engineer_id: placed,
                mode: if placed.is_some() { "batch" } else { "none" }.into(),
                decided_by: Some(by),
                reason: "assigned with its batch by maximum-weight matching".into(),
                candidates: serde_json::to_value(&ranked).map_err(ApiError::internal)?,
            })
            .await?;
        out.push((*id, placed));
    }
    Ok(out)
}

/// The region of the ticket's site, from the tenant's configuration. A configuration that
/// cannot be had now leaves the region unknown (logged); one that cannot be read is an error.
async fn site_region(
    state: &SchedulerState,
    token: &str,
    tenant: Uuid,
    site: Option<Uuid>,
) -> ApiResult<Option<String>> {
    let Some(site) = site else { return Ok(None) };
    match state.tenants.config(token, tenant).await {
        Ok(view) => Ok(view.config.site(site).map(|s| s.region.to_lowercase())),
        Err(e) if matches!(e.failure, Failure::Unreadable(_)) => Err(e.into()),
        Err(e) => {
            tracing::warn!(error = %e, "site region unknown: the tenant's configuration is unavailable");
            Ok(None)
        }
    }
}

/// The shift handover: each open ticket whose engineer is off shift now and not back before
/// the ticket's next SLA due time goes to the best engineer working (a decision `handover`,
/// with the reason). Tickets that can wait for their engineer stay. Answers what it did, for
/// the job's run history.
pub async fn handover(state: &SchedulerState) -> ApiResult<Value> {
    let token = state.service_token.get().await.map_err(ApiError::internal)?;
    let now = state.now();
    let engineers = state.engineers.active().await?;
    let open = state.dispatch.open().await?;
    let (mut checked, mut moved, mut stayed) = (0, Vec::new(), 0);
    for e in &engineers {
        let spec = spec_of(e)?;
        if e.active && spec.on_shift(now) {
            continue;
        }
        let back = if e.active { spec.next_working(now, now + chrono::TimeDelta::days(14)) } else { None };
        for a in open.iter().filter(|a| a.engineer_id == e.id) {
            checked += 1;
            let Some(t) = read_ticket(state, &token, a.ticket_id).await? else {
                state.dispatch.released(a.ticket_id).await?;
                continue;
            };
            let Some(due) = t.need.due_at else { continue };
            if back.is_some_and(|b| b <= due) {
                stayed += 1;
                continue;
            }
            let reason = match back {
                Some(b) => format!("{} is off shift until {b}; the ticket is due at {due}", spec.name),
                None => {
                    format!("{} is off shift for the next 14 days; the ticket is due at {due}", spec.name)
                }
            };
            let leaving = Leaving { engineer_id: e.id, reason };
            match decide(state, a.ticket_id, None, Some(&token), Some(leaving)).await {
                Ok(Outcome { engineer_id: Some(to), .. }) => {
                    moved.push(json!({"ticket_id": a.ticket_id, "from": e.id, "to": to}));
                }
                Ok(_) => stayed += 1,
                Err(err) if err.code() == ErrorCode::PreconditionFailed => stayed += 1,
                Err(err) => return Err(err),
            }
        }
    }
    Ok(json!({"checked": checked, "handed_over": moved, "stayed": stayed}))
}
