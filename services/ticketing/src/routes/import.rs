//! `POST /tickets/import`: tickets from a legacy helpdesk with their whole timeline, judged
//! against the SLA as if they had lived here. Idempotent by (tenant, external id).

use std::collections::BTreeMap;

use actix_web::{HttpRequest, HttpResponse, web};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa::ToSchema;
use uuid::Uuid;

use canopy_kernel::auth::Role;
use canopy_kernel::tenancy::bearer_token;
use canopy_kernel::validate::clean_text;
use canopy_kernel::{ApiError, ApiResult, Principal, Problem, Violations};
use canopy_sla::{BusinessCalendar, Metric};

use super::parse;
use crate::domain::fields::TicketFields;
use crate::domain::ticket::{ImportedTicket, Moment, Ticket, TimelineEvent, judge, replay};
use crate::state::TicketingState;
use crate::store::tickets::{Actor, Change};

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/api/v1/tickets/import", web::post().to(import));
}

pub const MAX_BATCH: usize = 1000;

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
        let moment = Moment { at: now, warning_bp: &state.settings.sla.warning_bp };
        let (ticket, outcome) =
            Ticket::import(request.tenant_id, t, r, breaches, ctx.policy.clone(), principal.subject, moment)?;
        let change = Change::new(now, Actor { id: principal.subject, kind: "user" }, outcome);
        let saved = match state.tickets.create(&scope, &ctx.key, &ticket, &change, None).await {
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
    t: Ticket,
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
        reference: t.reference.clone(),
        created: false,
        breaches,
    })
}
