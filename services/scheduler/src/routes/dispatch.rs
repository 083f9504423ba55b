//! `/dispatch`: assignment on demand (automatic, or a dispatcher's override with a reason) and
//! the decisions behind every assignment. Provider staff only.

use actix_web::{HttpRequest, HttpResponse, web};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa::ToSchema;
use uuid::Uuid;

use canopy_api::ticketing::{Status, TicketQuery, TicketView};
use canopy_kernel::auth::Role;
use canopy_kernel::tenancy::bearer_token;
use canopy_kernel::{ApiError, ApiResult, Principal, Problem};
use canopy_sla::{Metric, Priority};

use super::parse;
use crate::dispatcher::assign as dispatch;
use crate::domain::dispatch::Ranked;
use crate::state::SchedulerState;
use crate::store::dispatch::DecisionRow;

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(web::resource("/api/v1/dispatch/assign").route(web::post().to(assign)))
        .service(web::resource("/api/v1/dispatch/queue").route(web::get().to(queue)))
        .service(web::resource("/api/v1/dispatch/assign-batch").route(web::post().to(assign_batch)))
        .service(web::resource("/api/v1/dispatch/decisions/{ticket_id}").route(web::get().to(decisions)));
}

const STAFF: [Role; 4] = [Role::Agent, Role::Engineer, Role::Dispatcher, Role::ProviderAdmin];

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AssignRequest {
    pub ticket_id: Uuid,
    /// A named engineer (an override, which needs a reason); without it the best is chosen.
    pub engineer_id: Option<Uuid>,
    #[serde(default)]
    pub reason: Option<String>,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct DecisionView {
    pub ticket_id: Uuid,
    pub tenant_id: Uuid,
    pub decided_at: DateTime<Utc>,
    /// `auto`, `override`, or `none` (nobody passed the hard filters).
    pub mode: String,
    pub engineer_id: Option<Uuid>,
    pub decided_by: Option<Uuid>,
    pub reason: String,
    /// Every engineer considered, best first, with why they were or were not eligible.
    #[schema(value_type = Vec<Object>)]
    pub candidates: Value,
}

impl From<DecisionRow> for DecisionView {
    fn from(d: DecisionRow) -> Self {
        Self {
            ticket_id: d.ticket_id,
            tenant_id: d.tenant_id,
            decided_at: d.decided_at,
            mode: d.mode,
            engineer_id: d.engineer_id,
            decided_by: d.decided_by,
            reason: d.reason,
            candidates: d.candidates,
        }
    }
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct AssignAnswer {
    pub ticket_id: Uuid,
    pub engineer_id: Option<Uuid>,
    #[schema(value_type = Vec<Object>)]
    pub candidates: Vec<Ranked>,
}

#[utoipa::path(post, path = "/api/v1/dispatch/assign", tag = "dispatch", security(("bearer" = [])), request_body = AssignRequest,
    description = "Assigns a ticket: to the best engineer (skills, level, shift before the due time, region for on-site \
        work, capacity; then time to start, load, travel, continuity), or to a named engineer with a reason.",
    responses((status = 200, body = AssignAnswer), (status = 403, body = Problem), (status = 404, body = Problem),
        (status = 409, body = Problem), (status = 412, body = Problem), (status = 422, body = Problem)))]
pub async fn assign(
    state: web::Data<SchedulerState>,
    principal: Principal,
    req: HttpRequest,
    body: web::Json<Value>,
) -> ApiResult<HttpResponse> {
    principal.require_any(&[Role::Dispatcher, Role::ProviderAdmin])?;
    let ask: AssignRequest = parse(body.into_inner())?;
    let forced = match ask.engineer_id {
        Some(engineer) => {
            let reason = ask.reason.as_deref().map(str::trim).unwrap_or_default().to_owned();
            if reason.is_empty() || reason.chars().count() > 500 {
                return Err(ApiError::invalid("reason", "an override says why (1–500 characters)"));
            }
            let e = state
                .engineers
                .get(engineer)
                .await
                .map_err(|_| ApiError::invalid("engineer_id", "no such engineer"))?;
            if !e.active {
                return Err(ApiError::invalid("engineer_id", "the engineer is inactive"));
            }
            Some((engineer, principal.subject, reason))
        }
        None => None,
    };
    let token = bearer_token(&req).unwrap_or_default().to_owned();
    let outcome = dispatch(&state, ask.ticket_id, forced, Some(&token)).await?;
    if outcome.engineer_id.is_none() {
        return Err(ApiError::new(
            canopy_kernel::ErrorCode::Conflict,
            "No engineer can take this ticket now (skills, level, shift, region or capacity); it stays in the queue",
        ));
    }
    Ok(HttpResponse::Ok().json(AssignAnswer {
        ticket_id: ask.ticket_id,
        engineer_id: outcome.engineer_id,
        candidates: outcome.ranked,
    }))
}

#[utoipa::path(get, path = "/api/v1/dispatch/decisions/{ticket_id}", tag = "dispatch", security(("bearer" = [])),
    params(("ticket_id" = Uuid, Path)), responses((status = 200, body = Vec<DecisionView>), (status = 403, body = Problem)))]
pub async fn decisions(
    state: web::Data<SchedulerState>,
    principal: Principal,
    ticket: web::Path<Uuid>,
) -> ApiResult<HttpResponse> {
    principal.require_any(&STAFF)?;
    let rows = state.dispatch.decisions(*ticket).await?;
    Ok(HttpResponse::Ok().json(rows.into_iter().map(DecisionView::from).collect::<Vec<_>>()))
}

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct QueueQuery {
    /// Also assigned tickets whose next SLA deadline falls within this many minutes (default 120).
    pub at_risk_within_mins: Option<i64>,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct QueueItem {
    pub ticket_id: Uuid,
    pub tenant_id: Uuid,
    pub reference: String,
    pub title: String,
    pub priority: Priority,
    pub category: String,
    pub status: Status,
    pub support_level: i16,
    pub onsite_required: bool,
    pub assignee_id: Option<Uuid>,
    /// The earliest due time of a running SLA clock, and its metric.
    pub next_due_at: Option<DateTime<Utc>>,
    pub metric: Option<Metric>,
    /// Seconds until that due time; negative when already overdue.
    pub time_to_breach_secs: Option<i64>,
}

fn queue_item(t: TicketView, now: DateTime<Utc>) -> QueueItem {
    let next = t.next_due();
    QueueItem {
        ticket_id: t.id,
        tenant_id: t.tenant_id,
        reference: t.reference,
        title: t.title,
        priority: t.priority,
        category: t.category,
        status: t.status,
        support_level: t.support_level,
        onsite_required: t.onsite_required,
        assignee_id: t.assignee_id,
        time_to_breach_secs: next.map(|(due, _)| (due - now).num_seconds()),
        next_due_at: next.map(|(due, _)| due),
        metric: next.map(|(_, m)| m),
    }
}

#[utoipa::path(get, path = "/api/v1/dispatch/queue", tag = "dispatch", security(("bearer" = [])), params(QueueQuery),
    description = "Unassigned open tickets and tickets at risk, across all tenants, most urgent first (time to breach).",
    responses((status = 200, body = Vec<QueueItem>), (status = 403, body = Problem), (status = 422, body = Problem)))]
pub async fn queue(
    state: web::Data<SchedulerState>,
    principal: Principal,
    req: HttpRequest,
    query: web::Query<QueueQuery>,
) -> ApiResult<HttpResponse> {
    principal.require_any(&STAFF)?;
    let within = query.at_risk_within_mins.unwrap_or(120);
    if !(0..=10_080).contains(&within) {
        return Err(ApiError::invalid("at_risk_within_mins", "must be 0–10080"));
    }
    let token = bearer_token(&req).unwrap_or_default().to_owned();
    let mut items: Vec<QueueItem> = Vec::new();
    let now = state.now();
    let unassigned = TicketQuery { unassigned: true, ..TicketQuery::default() };
    let at_risk = TicketQuery { at_risk_within_mins: Some(within), ..TicketQuery::default() };
    for query in [unassigned, at_risk] {
        let page = state.ticketing.tickets_page(&token, &query, None).await?;
        for t in page.items {
            if !items.iter().any(|i| i.ticket_id == t.id) {
                items.push(queue_item(t, now));
            }
        }
    }
    // Most urgent first; tickets without a running SLA clock last.
    items.sort_by_key(|i| (i.time_to_breach_secs.is_none(), i.time_to_breach_secs.unwrap_or(0)));
    Ok(HttpResponse::Ok().json(items))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct BatchRequest {
    /// The backlog to assign together (1–200 tickets).
    pub ticket_ids: Vec<Uuid>,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct BatchAssignment {
    pub ticket_id: Uuid,
    /// `null`: no engineer could take it; it stays in the queue.
    pub engineer_id: Option<Uuid>,
}

#[utoipa::path(post, path = "/api/v1/dispatch/assign-batch", tag = "dispatch", security(("bearer" = [])),
    request_body = BatchRequest,
    description = "Assigns a backlog together rather than one by one: as many tickets placed as the team's free \
        capacity allows, then the best total score, by maximum-weight matching (Kuhn–Munkres).",
    responses((status = 200, body = Vec<BatchAssignment>), (status = 403, body = Problem), (status = 422, body = Problem)))]
pub async fn assign_batch(
    state: web::Data<SchedulerState>,
    principal: Principal,
    req: HttpRequest,
    body: web::Json<Value>,
) -> ApiResult<HttpResponse> {
    principal.require_any(&[Role::Dispatcher, Role::ProviderAdmin])?;
    let ask: BatchRequest = parse(body.into_inner())?;
    if !(1..=200).contains(&ask.ticket_ids.len()) {
        return Err(ApiError::invalid("ticket_ids", "1–200 tickets"));
    }
    let mut seen = std::collections::HashSet::new();
    if let Some(twice) = ask.ticket_ids.iter().find(|id| !seen.insert(**id)) {
        return Err(ApiError::invalid("ticket_ids", format!("{twice} is listed twice")));
    }
    let token = bearer_token(&req).unwrap_or_default().to_owned();
    let done = crate::dispatcher::assign_batch(&state, &ask.ticket_ids, &token, principal.subject).await?;
    Ok(HttpResponse::Ok().json(
        done.into_iter()
            .map(|(ticket_id, engineer_id)| BatchAssignment { ticket_id, engineer_id })
            .collect::<Vec<_>>(),
    ))
}
