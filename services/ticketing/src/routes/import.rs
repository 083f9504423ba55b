//! `POST /tickets/import`: tickets from a legacy helpdesk with their whole timeline, judged
//! against the SLA as if they had lived here. Idempotent by (tenant, external id).

use std::collections::BTreeMap;

use actix_web::{HttpRequest, HttpResponse, web};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use utoipa::ToSchema;
use uuid::Uuid;

use canopy_kernel::auth::Role;
use canopy_kernel::tenancy::bearer_token;
use canopy_kernel::validate::clean_text;
use canopy_kernel::{ApiError, ApiResult, Principal, Problem, Violations};
use canopy_sla::{BusinessCalendar, Metric, Priority};

use super::parse;
use crate::domain::clocks::{self, MetricClock};
use crate::domain::lifecycle::{Channel, MIN_LEVEL, Status, TicketKind};
use crate::domain::snapshot::PolicySnapshot;
use crate::state::TicketingState;
use crate::store::entities::ticket;
use crate::store::tickets::{Actor, BreachRecord, Change};

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/api/v1/tickets/import", web::post().to(import));
}

pub const MAX_BATCH: usize = 1000;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum TimelineEvent {
    FirstResponse,
    PendingCustomer,
    Resumed,
    OnsiteArrival,
    OnsiteDeparture,
    Resolved,
    Reopened,
    Closed,
    Feedback,
}

#[derive(Clone, Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TimelineEntry {
    pub at: DateTime<Utc>,
    pub event: TimelineEvent,
    /// `resolved`: resolved remotely (default) or on site.
    #[serde(default)]
    pub remote: Option<bool>,
    /// `feedback`: 1–5.
    #[serde(default)]
    pub rating: Option<u8>,
    #[serde(default)]
    pub complaint: Option<bool>,
    #[serde(default)]
    pub comment: Option<String>,
}

#[derive(Clone, Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ImportedTicket {
    pub external_id: String,
    #[serde(rename = "type")]
    pub kind: TicketKind,
    pub title: String,
    #[serde(default)]
    pub description: String,
    pub category: String,
    pub priority: Priority,
    #[serde(default)]
    pub onsite_required: bool,
    pub reported_at: DateTime<Utc>,
    /// The provider user (engineer) who worked on it; kept as its assignee, so the history
    /// counts towards the engineer's continuity with the tenant.
    #[serde(default)]
    pub assignee_id: Option<Uuid>,
    #[serde(default)]
    pub timeline: Vec<TimelineEntry>,
}

#[derive(Clone, Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ImportRequest {
    pub tenant_id: Uuid,
    pub tickets: Vec<ImportedTicket>,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct ImportedBreach {
    pub metric: Metric,
    pub due_at: DateTime<Utc>,
    pub late_by_secs: i64,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct ImportResult {
    pub external_id: String,
    pub id: Uuid,
    pub number: i64,
    pub reference: String,
    /// False when this external id was imported before (nothing changed).
    pub created: bool,
    pub breaches: Vec<ImportedBreach>,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct ImportAnswer {
    pub tickets: Vec<ImportResult>,
}

/// A replayed ticket: its clocks at the end of the timeline and what it became.
struct Replay {
    clocks: Vec<MetricClock>,
    status: Status,
    first_response_at: Option<i64>,
    resolved_at: Option<i64>,
    closed_at: Option<i64>,
    log: Vec<(i64, &'static str, Value)>,
}

fn check_timeline(t: &ImportedTicket, i: usize, now: DateTime<Utc>, v: &mut Violations) {
    let at = |j: usize, f: &str| format!("tickets[{i}].timeline[{j}].{f}");
    if t.reported_at > now {
        v.add(format!("tickets[{i}].reported_at"), "is in the future: only history is imported");
    }
    let mut last = t.reported_at;
    let mut paused = false;
    for (j, e) in t.timeline.iter().enumerate() {
        if e.at > now {
            v.add(at(j, "at"), "is in the future: only history is imported");
        }
        if e.at < last {
            v.add(at(j, "at"), "the timeline goes in time order, from reported_at on");
        }
        last = last.max(e.at);
        match e.event {
            TimelineEvent::PendingCustomer if paused => {
                v.add(at(j, "event"), "already pending on the customer")
            }
            TimelineEvent::PendingCustomer => paused = true,
            TimelineEvent::Resumed if !paused => {
                v.add(at(j, "event"), "resumed without pending_customer before")
            }
            TimelineEvent::Resumed => paused = false,
            TimelineEvent::Feedback if !e.rating.is_some_and(|r| (1..=5).contains(&r)) => {
                v.add(at(j, "rating"), "feedback carries a rating of 1–5");
            }
            _ => {}
        }
    }
}

fn replay(
    t: &ImportedTicket,
    policy: Option<&PolicySnapshot>,
    calendar: &BusinessCalendar,
) -> ApiResult<Replay> {
    let sla = |_| ApiError::invalid("business_calendar", "the tenant's calendar does not open long enough");
    let start = t.reported_at.timestamp();
    let mut r = Replay {
        clocks: Vec::new(),
        status: Status::New,
        first_response_at: None,
        resolved_at: None,
        closed_at: None,
        log: Vec::new(),
    };
    if let Some(p) = policy {
        r.clocks = clocks::start(&p.targets(t.priority), t.onsite_required, start, calendar).map_err(sla)?;
        for c in &r.clocks {
            r.log.push((
                start,
                "clock_started",
                json!({"metric": c.metric, "target_mins": c.clock.target_secs / 60}),
            ));
        }
    }
    for e in &t.timeline {
        let at = e.at.timestamp();
        match e.event {
            TimelineEvent::FirstResponse => {
                r.first_response_at.get_or_insert(at);
                clocks::stop(&mut r.clocks, Metric::FirstResponse, at);
                r.status = Status::InProgress;
            }
            TimelineEvent::PendingCustomer => {
                clocks::pause(&mut r.clocks, at);
                r.status = Status::PendingCustomer;
            }
            TimelineEvent::Resumed => {
                clocks::resume(&mut r.clocks, at, calendar).map_err(sla)?;
                r.status = Status::InProgress;
            }
            TimelineEvent::OnsiteArrival => {
                clocks::stop(&mut r.clocks, Metric::Onsite, at);
            }
            TimelineEvent::Resolved => {
                if r.status == Status::PendingCustomer {
                    clocks::resume(&mut r.clocks, at, calendar).map_err(sla)?;
                }
                clocks::stop(&mut r.clocks, Metric::Resolution, at);
                r.resolved_at = Some(at);
                r.status = Status::Resolved;
            }
            TimelineEvent::Reopened => {
                clocks::reopen(&mut r.clocks, at, calendar).map_err(sla)?;
                r.resolved_at = None;
                r.status = Status::InProgress;
            }
            TimelineEvent::Closed => {
                r.closed_at = Some(at);
                r.status = Status::Closed;
            }
            TimelineEvent::OnsiteDeparture | TimelineEvent::Feedback => {}
        }
        let mut data = json!({"event": e.event});
        if let (Some(obj), Some(rating)) = (data.as_object_mut(), e.rating) {
            obj.insert("rating".into(), json!(rating));
            obj.insert("complaint".into(), json!(e.complaint.unwrap_or(false)));
        }
        if let (Some(obj), Some(remote)) = (data.as_object_mut(), e.remote) {
            obj.insert("remote".into(), json!(remote));
        }
        r.log.push((at, "imported_event", data));
    }
    Ok(r)
}

/// The breaches a replayed ticket earned: a target met after its due time, or not met by
/// the end of the ticket (or by `now` while it is still open) when that is past due.
fn judge(r: &mut Replay, now: i64) -> Vec<BreachRecord> {
    let end = r.closed_at.or(r.resolved_at).unwrap_or(now);
    let mut out = Vec::new();
    for c in r.clocks.iter_mut() {
        let Some(due) = c.due_at else { continue };
        match c.stopped_at {
            Some(met) if met > due => {
                out.push(BreachRecord { metric: c.metric, due_at: due, met_at: Some(met) })
            }
            None if due < end => out.push(BreachRecord { metric: c.metric, due_at: due, met_at: None }),
            _ => {}
        }
        if out.last().is_some_and(|b| b.metric == c.metric) {
            c.breached_at = Some(due);
        }
        // A ticket that ended leaves no clock running.
        if c.stopped_at.is_none() && !r.status.is_open() {
            c.stopped_at = Some(end);
        }
    }
    out
}

#[utoipa::path(post, path = "/api/v1/tickets/import", tag = "tickets", security(("bearer" = [])), request_body = ImportRequest,
    description = "Imports tickets from a legacy helpdesk with their timelines and judges each against the SLA in force \
        when it was reported. Idempotent by (tenant_id, external_id). Provider staff only.",
    responses((status = 200, body = ImportAnswer), (status = 422, body = Problem)))]
pub async fn import(
    state: web::Data<TicketingState>,
    principal: Principal,
    req: HttpRequest,
    body: web::Json<Value>,
) -> ApiResult<HttpResponse> {
    principal.require_any(&[Role::Agent, Role::Dispatcher, Role::ProviderAdmin])?;
    let request: ImportRequest = parse(body.into_inner())?;
    let scope = principal.scope_for(request.tenant_id)?;
    let now = state.now();
    let mut v = Violations::new();
    if request.tickets.len() > MAX_BATCH {
        v.add("tickets", format!("at most {MAX_BATCH} tickets a request"));
    }
    let mut seen = std::collections::HashSet::new();
    for (i, t) in request.tickets.iter().enumerate() {
        let ext = t.external_id.trim();
        if ext.is_empty() || ext.len() > 120 {
            v.add(format!("tickets[{i}].external_id"), "must be 1–120 characters");
        }
        if !seen.insert(ext) {
            v.add(format!("tickets[{i}].external_id"), "appears twice in this request");
        }
        if clean_text(&t.title, 300).is_err() {
            v.add(format!("tickets[{i}].title"), "must be 1–300 characters of text");
        }
        check_timeline(t, i, now, &mut v);
    }
    v.into_result()?;

    let token = bearer_token(&req).unwrap_or_default().to_owned();
    // The SLA in force on each of the tenant's days tickets were reported.
    let zone = state.tenant_zone(&token, request.tenant_id).await?;
    let day_of = |t: &ImportedTicket| zone.day_of(t.reported_at);
    let mut contexts: BTreeMap<chrono::NaiveDate, crate::state::TenantContext> = BTreeMap::new();
    for t in &request.tickets {
        if let std::collections::btree_map::Entry::Vacant(slot) = contexts.entry(day_of(t)) {
            let day = *slot.key();
            slot.insert(state.tenant_context_on(&token, request.tenant_id, day).await?);
        }
    }
    let mut v = Violations::new();
    for (i, t) in request.tickets.iter().enumerate() {
        if let Some(ctx) = contexts.get(&day_of(t)) {
            let mut own = Violations::new();
            ctx.settings.check_category(&t.category, &mut own);
            if let Err(e) = own.into_result() {
                for f in e.field_errors() {
                    v.add(format!("tickets[{i}].{}", f.field), f.message.clone());
                }
            }
        }
    }
    v.into_result()?;

    let mut results = Vec::with_capacity(request.tickets.len());
    for t in &request.tickets {
        let ext = t.external_id.trim();
        if let Some(existing) = state.tickets.by_external_id(&scope, ext).await? {
            results.push(existing_result(&state, &scope, existing, ext).await?);
            continue;
        }
        let Some(ctx) = contexts.get(&day_of(t)) else { continue };
        let calendar = ctx.policy.as_ref().map(|p| p.calendar()).unwrap_or_else(BusinessCalendar::always);
        let mut r = replay(t, ctx.policy.as_ref(), &calendar)?;
        let breaches = judge(&mut r, now.timestamp());
        let at = |s: i64| DateTime::from_timestamp(s, 0);
        let open = r.status.is_open();
        let next = if open {
            super::tickets::deadline(&r.clocks, &calendar, &state.settings.sla.warning_bp)?
        } else {
            None
        };
        let row = ticket::ActiveModel {
            tenant_id: sea_orm::Set(request.tenant_id),
            id: sea_orm::Set(Uuid::now_v7()),
            number: sea_orm::Set(0),
            reference: sea_orm::Set(String::new()),
            kind: sea_orm::Set(t.kind.to_string()),
            title: sea_orm::Set(t.title.trim().to_owned()),
            description: sea_orm::Set(t.description.trim().to_owned()),
            category: sea_orm::Set(t.category.clone()),
            impact: sea_orm::Set(String::new()),
            urgency: sea_orm::Set(String::new()),
            priority: sea_orm::Set(t.priority.to_string()),
            status: sea_orm::Set(r.status.to_string()),
            channel: sea_orm::Set(Channel::Api.to_string()),
            requester_id: sea_orm::Set(None),
            site_id: sea_orm::Set(None),
            onsite_required: sea_orm::Set(t.onsite_required),
            assignee_id: sea_orm::Set(t.assignee_id),
            support_level: sea_orm::Set(MIN_LEVEL),
            custom_fields: sea_orm::Set(json!({})),
            details: sea_orm::Set(json!({})),
            policy: sea_orm::Set(serde_json::to_value(&ctx.policy).map_err(ApiError::internal)?),
            external_id: sea_orm::Set(Some(ext.to_owned())),
            created_by: sea_orm::Set(principal.subject),
            created_at: sea_orm::Set(t.reported_at),
            updated_at: sea_orm::Set(now),
            first_response_at: sea_orm::Set(r.first_response_at.and_then(at)),
            resolved_at: sea_orm::Set(r.resolved_at.and_then(at)),
            closed_at: sea_orm::Set(r.closed_at.and_then(at)),
            resolution_code: sea_orm::Set(None),
            resolution_notes: sea_orm::Set(None),
            next_deadline: sea_orm::Set(next),
            version: sea_orm::Set(1),
        };
        let mut change = Change::new(now, Actor { id: principal.subject, kind: "user" });
        change.log(
            "imported",
            json!({"external_id": ext, "reported_at": t.reported_at, "priority": t.priority}),
        );
        for (when, kind, data) in &r.log {
            let mut data = data.clone();
            if let Some(obj) = data.as_object_mut() {
                obj.insert("at".into(), json!(at(*when)));
            }
            change.log(kind, data);
        }
        for b in &breaches {
            change.log(
                "sla_breached",
                json!({"metric": b.metric, "due_at": at(b.due_at), "met_at": b.met_at.and_then(at)}),
            );
            change.announce(
                json!({"type": "sla.breached", "metric": b.metric, "due_at": at(b.due_at), "imported": true}),
            );
        }
        change.breaches = breaches;
        if let Some(assignee) = t.assignee_id {
            change.log("assigned", json!({"from": null, "to": assignee}));
        }
        change.announce(json!({"type": "ticket.created", "imported": true, "assignee_id": t.assignee_id}));
        let saved = match state.tickets.create(&scope, &ctx.key, row, &r.clocks, &change, None).await {
            Ok(saved) => saved,
            // Imported concurrently by another request: answer with what is stored.
            Err(e) if e.code() == canopy_kernel::ErrorCode::Conflict => {
                match state.tickets.by_external_id(&scope, ext).await? {
                    Some(existing) => {
                        results.push(existing_result(&state, &scope, existing, ext).await?);
                        continue;
                    }
                    None => return Err(e),
                }
            }
            Err(e) => return Err(e),
        };
        results.push(existing_result(&state, &scope, saved, ext).await.map(|mut r| {
            r.created = true;
            r
        })?);
    }
    Ok(HttpResponse::Ok().json(ImportAnswer { tickets: results }))
}

async fn existing_result(
    state: &TicketingState,
    scope: &canopy_kernel::TenantScope,
    t: ticket::Model,
    ext: &str,
) -> ApiResult<ImportResult> {
    let breaches = state
        .tickets
        .breaches(&canopy_kernel::ListScope::Tenant(*scope), Some(t.id))
        .await?
        .into_iter()
        .map(|b| {
            let end = b.met_at.unwrap_or(b.detected_at);
            Ok(ImportedBreach {
                metric: b.metric.parse().map_err(|_| ApiError::internal(anyhow::anyhow!("bad metric")))?,
                due_at: b.due_at,
                late_by_secs: (end - b.due_at).num_seconds().max(0),
            })
        })
        .collect::<ApiResult<Vec<_>>>()?;
    Ok(ImportResult {
        external_id: ext.to_owned(),
        id: t.id,
        number: t.number,
        reference: t.reference,
        created: false,
        breaches,
    })
}
