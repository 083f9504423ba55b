//! `/events`: monitoring agents post batches of events (with a tenant API key holding
//! `events:write`, or provider staff naming the tenant). Each event is checked on its own — a
//! bad one is reported by its index and the rest go on; an event sent again is recognised by
//! the dedup store (Redis, or in process) and dropped; maintenance windows silence matching
//! events; the rest fold into their alerts in one transaction. Alerts then open, resolve or
//! reopen their incidents. A replica busy with as many batches as it takes answers 429 with
//! `Retry-After` instead of queueing without bound. `/events/alerts` shows the alerts.

use std::time::Duration;

use futures_util::stream::{self, StreamExt};

use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, web};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use canopy_kernel::auth::{PrincipalKind, Role};
use canopy_kernel::{ApiError, ApiResult, ErrorCode, FieldError, Principal, Problem, TenantScope};
use canopy_monitoring::{Action, Event, RawEvent, Rules};

use super::tickets::{NewTicket, check_tenant_writable, raise, token};
use crate::domain::lifecycle::{Channel, Status, TicketKind};
use crate::domain::ticket::Ticket;
use crate::state::{TenantContext, TicketingState};
use crate::store::alerts::{AgentEventRow, AlertRow, Folded, Incoming};
use crate::store::tickets::{Actor, Change};

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(web::resource("/api/v1/events").route(web::post().to(ingest)))
        .service(web::resource("/api/v1/events/alerts").route(web::get().to(alerts)))
        .service(web::resource("/api/v1/events/alerts/{id}").route(web::get().to(alert_detail)));
}

/// Incidents of one batch opened, resolved or reopened at once.
const INCIDENTS_AT_ONCE: usize = 4;

/// Provider roles that may post events for a tenant (an agent's key is the usual way).
const STAFF: [Role; 2] = [Role::Agent, Role::ProviderAdmin];

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct IngestQuery {
    /// Provider staff name the tenant; an API key is its tenant's.
    pub tenant_id: Option<Uuid>,
}

#[derive(Deserialize, ToSchema)]
pub struct Batch {
    pub events: Vec<RawEvent>,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct Rejected {
    /// The event's place in the batch, from 0.
    pub index: usize,
    pub errors: Vec<FieldError>,
}

#[derive(Debug, Default, Serialize, Deserialize, ToSchema)]
pub struct IncidentRef {
    pub ticket_id: Uuid,
    pub reference: String,
    pub alert_id: Uuid,
}

#[derive(Debug, Default, Serialize, Deserialize, ToSchema)]
pub struct Incidents {
    pub opened: Vec<IncidentRef>,
    /// Alerts with an incident that counted more events.
    pub updated: Vec<IncidentRef>,
    pub resolved: Vec<IncidentRef>,
    pub reopened: Vec<IncidentRef>,
}

#[derive(Debug, Default, Serialize, Deserialize, ToSchema)]
pub struct IngestOutcome {
    /// Events taken (written), silenced ones included.
    pub accepted: usize,
    /// Events sent before (an agent retrying), dropped.
    pub deduplicated: usize,
    /// Accepted events a maintenance window silenced.
    pub silenced: usize,
    pub rejected: Vec<Rejected>,
    /// Alerts the batch touched.
    pub alerts: usize,
    pub incidents: Incidents,
    /// Incidents that could not be opened or moved (the alert keeps trying with the next
    /// event).
    #[schema(value_type = Vec<Object>)]
    pub problems: Vec<Value>,
}

fn busy() -> ApiError {
    ApiError::new(ErrorCode::RateLimited, "Too many event batches at once; send this one again shortly")
        .with_header(header::RETRY_AFTER, header::HeaderValue::from_static("1"))
}

#[utoipa::path(post, path = "/api/v1/events", tag = "events", security(("apiKey" = []), ("bearer" = [])),
    request_body = Batch, params(IngestQuery),
    description = "A batch of monitoring events (up to `events.ingest_max_batch`, 1000 by default). Each is checked on \
        its own: bad ones are reported by index, the rest are taken. Events sent again are deduplicated; maintenance \
        windows silence matching ones; the others fold into alerts by fingerprint, which open, update, resolve or \
        reopen incidents by the tenant's monitoring rules.",
    responses((status = 202, body = IngestOutcome), (status = 403, body = Problem), (status = 422, body = Problem),
        (status = 429, body = Problem)))]
pub async fn ingest(
    state: web::Data<TicketingState>,
    principal: Principal,
    req: HttpRequest,
    q: web::Query<IngestQuery>,
    body: web::Json<Value>,
) -> ApiResult<HttpResponse> {
    let tenant = match (principal.kind, principal.tenant_id, q.tenant_id) {
        (PrincipalKind::ApiKey, Some(own), _) => {
            if !principal.has_scope("events:write") {
                return Err(ApiError::forbidden("This API key may not post events (it needs events:write)"));
            }
            own.0
        }
        (_, _, Some(t)) if principal.is_provider() => {
            principal.require_any(&STAFF)?;
            t
        }
        (_, _, None) if principal.is_provider() => {
            return Err(ApiError::invalid("tenant_id", "provider staff name the tenant the events are from"));
        }
        _ => return Err(ApiError::forbidden("Events come from monitoring agents' API keys")),
    };
    let scope = principal.scope_for(tenant)?;
    let limits = &state.settings.events;
    let Ok(_turn) =
        tokio::time::timeout(Duration::from_millis(limits.ingest_wait_ms), state.ingest.acquire()).await
    else {
        metrics::rejected_busy();
        return Err(busy());
    };
    let Some(items) = body.get("events").and_then(Value::as_array) else {
        return Err(ApiError::invalid("events", "send {\"events\": [ … ]}"));
    };
    if items.is_empty() || items.len() > limits.ingest_max_batch {
        return Err(ApiError::invalid(
            "events",
            format!("send 1–{} events in a batch", limits.ingest_max_batch),
        ));
    }
    let now = state.now();
    let ctx = state.tenant_context(&token(&req), tenant, now).await?;
    check_tenant_writable(&ctx, &principal)?;
    let rules = &ctx.settings.monitoring;

    let mut out = IngestOutcome::default();
    let mut good: Vec<Event> = Vec::with_capacity(items.len());
    for (index, item) in items.iter().enumerate() {
        match Event::parse(item, now) {
            Ok(e) => good.push(e),
            Err(errors) => out.rejected.push(Rejected {
                index,
                errors: errors.into_iter().map(|(field, message)| FieldError::new(field, message)).collect(),
            }),
        }
    }
    if good.is_empty() {
        metrics::ingested(0, 0, 0, out.rejected.len());
        return Err(ApiError::validation(
            out.rejected
                .iter()
                .flat_map(|r| {
                    r.errors.iter().map(move |e| {
                        FieldError::new(format!("events[{}].{}", r.index, e.field), e.message.clone())
                    })
                })
                .collect(),
        ));
    }

    // Sent before? One round trip to the dedup store for the whole batch.
    let keys: Vec<String> = good.iter().map(|e| format!("events:seen:{tenant}:{}", e.dedup_key())).collect();
    let ttl = Duration::from_secs(limits.ingest_dedup_secs.max(1));
    let fresh = state.backends.cache.claim_many(&keys, ttl).await.map_err(|e| {
        tracing::warn!(error = %format!("{e:#}"), "dedup store unavailable");
        ApiError::new(ErrorCode::UpstreamUnavailable, "Events cannot be taken right now; send them again")
    })?;
    let mut claimed = Vec::new();
    let mut incoming = Vec::with_capacity(good.len());
    for ((e, fresh), key) in good.into_iter().zip(fresh).zip(keys) {
        if !fresh {
            out.deduplicated += 1;
            continue;
        }
        claimed.push(key);
        let silenced_by = rules.silenced_by(&e, &ctx.settings.timezone).map(str::to_owned);
        out.silenced += usize::from(silenced_by.is_some());
        incoming.push(Incoming { event: e, silenced_by });
    }
    out.accepted = incoming.len();
    let folded = match state.alerts.ingest(&scope, &incoming, rules, now).await {
        Ok(f) => f,
        Err(e) => {
            // Not written: the same events sent again must not look like duplicates.
            for key in &claimed {
                let _ = state.backends.cache.delete(key).await;
            }
            return Err(e);
        }
    };
    out.alerts = folded.len();
    metrics::ingested(out.accepted, out.deduplicated, out.silenced, out.rejected.len());
    // The incidents, a few alerts at a time (each is its own ticket's transaction).
    let token = token(&req);
    let moved: Vec<(Uuid, ApiResult<Incidents>)> = stream::iter(folded.iter())
        .map(|f| {
            let token = token.as_str();
            let (state, principal, scope, ctx) = (&state, &principal, &scope, &ctx);
            async move { (f.alert.id, follow_up(state, principal, token, scope, ctx, rules, f).await) }
        })
        .buffer_unordered(INCIDENTS_AT_ONCE)
        .collect()
        .await;
    for (alert, result) in moved {
        match result {
            Ok(i) => {
                out.incidents.opened.extend(i.opened);
                out.incidents.updated.extend(i.updated);
                out.incidents.resolved.extend(i.resolved);
                out.incidents.reopened.extend(i.reopened);
            }
            Err(e) => {
                tracing::warn!(%alert, error = %e, "incident not moved");
                out.problems.push(json!({"alert_id": alert, "problem": e.to_string()}));
            }
        }
    }
    Ok(HttpResponse::Accepted().json(out))
}

/// What an alert's incident does after a batch: opened (once per episode, whatever the
/// retries), resolved by a recovery, reopened when the problem returns.
async fn follow_up(
    state: &TicketingState,
    principal: &Principal,
    token: &str,
    scope: &TenantScope,
    ctx: &TenantContext,
    rules: &Rules,
    f: &Folded,
) -> ApiResult<Incidents> {
    let mut incidents = Incidents::default();
    let a = &f.alert;
    let mut ticket = a.ticket_id;
    // An open incident the alert never got (a failure earlier) is opened now, after the rest.
    let owed = ticket.is_none() && a.incident == "open" && !f.actions.contains(&Action::Open);
    for action in f.actions.iter().chain(owed.then_some(&Action::Open)) {
        match (action, ticket) {
            (Action::Open, None) => {
                let t = open(state, principal, token, scope, ctx, rules, a).await?;
                state.alerts.link(scope, a.id, t.id).await?;
                ticket = Some(t.id);
                incidents.opened.push(IncidentRef {
                    ticket_id: t.id,
                    reference: t.reference.clone(),
                    alert_id: a.id,
                });
            }
            (Action::Resolve, Some(id)) => {
                if let Some(r) = auto_move(state, scope, id, Status::Resolved, a).await? {
                    incidents.resolved.push(IncidentRef { ticket_id: id, reference: r, alert_id: a.id });
                }
            }
            (Action::Reopen, Some(id)) => {
                if let Some(r) = auto_move(state, scope, id, Status::InProgress, a).await? {
                    incidents.reopened.push(IncidentRef { ticket_id: id, reference: r, alert_id: a.id });
                }
            }
            (Action::Update, Some(id)) => incidents.updated.push(IncidentRef {
                ticket_id: id,
                reference: String::new(),
                alert_id: a.id,
            }),
            _ => {}
        }
    }
    Ok(incidents)
}

async fn open(
    state: &TicketingState,
    principal: &Principal,
    token: &str,
    scope: &TenantScope,
    ctx: &TenantContext,
    rules: &Rules,
    a: &AlertRow,
) -> ApiResult<Ticket> {
    let active: Vec<&str> =
        ctx.settings.ticket_categories.iter().filter(|c| c.active).map(|c| c.key.as_str()).collect();
    let peak = canopy_monitoring::Severity::parse(&a.peak).unwrap_or(canopy_monitoring::Severity::Error);
    let matrix = &ctx.settings.priority_matrix;
    let iu = rules.impact_urgency_for(peak, &matrix.impacts, &matrix.urgencies);
    let title: String = format!("{} — {}: {}", a.host, a.check_name, a.peak).chars().take(300).collect();
    let new = NewTicket {
        tenant_id: Some(scope.tenant_id().0),
        kind: TicketKind::Incident,
        title,
        description: format!(
            "Opened by monitoring from alert {} (fingerprint `{}`, source {}).\n\n{}",
            a.id, a.fingerprint, a.source, a.message
        ),
        category: rules.category_for(&a.check_name, &active),
        impact: iu.impact,
        urgency: iu.urgency,
        requester_id: None,
        site_id: None,
        channel: Some(Channel::AgentEvent),
        onsite_required: false,
        custom_fields: Default::default(),
        problem: None,
        change: None,
    };
    // One incident per alert episode, however often this is tried.
    let key = format!("alert-{}-{}", a.id, a.episode);
    let (t, _) = raise(state, principal, token, *scope, new, Some((key.clone(), key))).await?;
    Ok(t)
}

/// Resolves (on recovery) or reopens (the problem is back) an alert's incident, as the
/// platform; `None` when the ticket has moved on meanwhile (people closed or reopened it).
async fn auto_move(
    state: &TicketingState,
    scope: &TenantScope,
    ticket: Uuid,
    to: Status,
    a: &AlertRow,
) -> ApiResult<Option<String>> {
    let mut t = state.tickets.load(scope, ticket).await?;
    let version = t.version;
    let now = state.moment();
    let moved = match to {
        Status::Resolved => t.recovered(
            format!("Monitoring reported recovery of {} at {}.", a.fingerprint, a.last_seen),
            now,
        )?,
        _ => t.relapsed(now)?,
    };
    let Some(outcome) = moved else { return Ok(None) };
    let saved = state.tickets.save(scope, &t, version, &Change::new(now.at, Actor::SYSTEM, outcome)).await?;
    Ok(Some(saved.into_record().reference))
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct AlertView {
    pub id: Uuid,
    pub tenant_id: Uuid,
    pub fingerprint: String,
    pub source: String,
    pub host: String,
    pub check: String,
    /// `firing` or `resolved`.
    pub status: String,
    pub severity: String,
    /// The worst severity of this episode.
    pub peak: String,
    pub episode: i32,
    pub episode_started: DateTime<Utc>,
    pub last_seen: DateTime<Utc>,
    /// Events merged into this episode.
    pub count: i64,
    pub resolved_at: Option<DateTime<Utc>>,
    pub flapping: bool,
    /// The incident: `none`, `open`, `resolved`.
    pub incident: String,
    pub ticket_id: Option<Uuid>,
    pub message: String,
    #[schema(value_type = Object)]
    pub labels: Value,
}

impl From<AlertRow> for AlertView {
    fn from(a: AlertRow) -> Self {
        Self {
            id: a.id,
            tenant_id: a.tenant_id,
            fingerprint: a.fingerprint,
            source: a.source,
            host: a.host,
            check: a.check_name,
            status: a.status,
            severity: a.severity,
            peak: a.peak,
            episode: a.episode,
            episode_started: a.episode_started,
            last_seen: a.last_seen,
            count: a.count,
            resolved_at: a.resolved_at,
            flapping: a.flapping,
            incident: a.incident,
            ticket_id: a.ticket_id,
            message: a.message,
            labels: a.labels,
        }
    }
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct EventView {
    pub id: Uuid,
    pub severity: String,
    pub message: String,
    pub occurred_at: DateTime<Utc>,
    pub received_at: DateTime<Utc>,
    #[schema(value_type = Object)]
    pub labels: Value,
}

impl From<AgentEventRow> for EventView {
    fn from(e: AgentEventRow) -> Self {
        Self {
            id: e.id,
            severity: e.severity,
            message: e.message,
            occurred_at: e.occurred_at,
            received_at: e.received_at,
            labels: e.labels,
        }
    }
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct AlertDetail {
    #[serde(flatten)]
    pub alert: AlertView,
    /// Its latest events, newest first.
    pub events: Vec<EventView>,
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct AlertQuery {
    pub tenant_id: Option<Uuid>,
    /// `firing` or `resolved`.
    pub status: Option<String>,
    pub limit: Option<u64>,
}

const READERS: [Role; 5] =
    [Role::TenantAdmin, Role::Agent, Role::Engineer, Role::Dispatcher, Role::ProviderAdmin];

#[utoipa::path(get, path = "/api/v1/events/alerts", tag = "events", security(("bearer" = [])), params(AlertQuery),
    responses((status = 200, body = Vec<AlertView>), (status = 403, body = Problem), (status = 422, body = Problem)))]
pub async fn alerts(
    state: web::Data<TicketingState>,
    principal: Principal,
    q: web::Query<AlertQuery>,
) -> ApiResult<HttpResponse> {
    principal.require_any(&READERS)?;
    let scope = match q.tenant_id {
        Some(t) => canopy_kernel::ListScope::Tenant(principal.scope_for(t)?),
        None => principal.list_scope(),
    };
    if let Some(s) = &q.status
        && !["firing", "resolved"].contains(&s.as_str())
    {
        return Err(ApiError::invalid("status", "must be firing or resolved"));
    }
    let limit = match q.limit.unwrap_or(100) {
        l @ 1..=500 => l,
        _ => return Err(ApiError::invalid("limit", "must be 1–500")),
    };
    let rows = state.alerts.list(&scope, q.status.as_deref(), limit).await?;
    Ok(HttpResponse::Ok().json(rows.into_iter().map(AlertView::from).collect::<Vec<_>>()))
}

#[utoipa::path(get, path = "/api/v1/events/alerts/{id}", tag = "events", security(("bearer" = [])),
    params(("id" = Uuid, Path)),
    responses((status = 200, body = AlertDetail), (status = 403, body = Problem), (status = 404, body = Problem)))]
pub async fn alert_detail(
    state: web::Data<TicketingState>,
    principal: Principal,
    id: web::Path<Uuid>,
) -> ApiResult<HttpResponse> {
    principal.require_any(&READERS)?;
    let a = match principal.tenant_id {
        Some(own) => state.alerts.get(&TenantScope::trusted(own), *id).await?,
        None => state.alerts.get_any(*id).await?,
    };
    let scope = TenantScope::trusted(canopy_kernel::TenantId(a.tenant_id));
    let events = state.alerts.events(&scope, a.id, 50).await?;
    Ok(HttpResponse::Ok()
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .json(AlertDetail { alert: a.into(), events: events.into_iter().map(EventView::from).collect() }))
}

/// Prometheus counters of what agents send.
mod metrics {
    use canopy_kernel::telemetry::metrics;

    pub fn ingested(accepted: usize, deduplicated: usize, silenced: usize, rejected: usize) {
        for (outcome, n) in [
            ("accepted", accepted),
            ("deduplicated", deduplicated),
            ("silenced", silenced),
            ("rejected", rejected),
        ] {
            metrics().count_agent_events(outcome, n);
        }
    }

    pub fn rejected_busy() {
        metrics().count_agent_events("busy", 1);
    }
}
