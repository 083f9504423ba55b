//! Problems and changes: incidents linked to the problem behind them, and the tenant
//! admin's decisions on changes.

use actix_web::{HttpResponse, web};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa::ToSchema;
use uuid::Uuid;

use canopy_kernel::auth::Role;
use canopy_kernel::{ApiError, ApiResult, Principal, Problem, Violations};

use super::parse;
use super::tickets::{actor, ticket_scope, visible};
use super::work::again_if_moved;
use crate::domain::itil::Decision;
use crate::state::TicketingState;
use crate::store::tickets::{ApprovalRow, Change, Child, LinkRow};

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(
        web::resource("/api/v1/tickets/{id}/links")
            .route(web::post().to(add_link))
            .route(web::get().to(links)),
    )
    .service(
        web::resource("/api/v1/tickets/{id}/approvals")
            .route(web::post().to(decide))
            .route(web::get().to(approvals)),
    );
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewLink {
    /// On a problem: an incident it caused. On an incident: the problem behind it.
    pub ticket_id: Uuid,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct LinkView {
    pub problem_id: Uuid,
    pub incident_id: Uuid,
    pub linked_by: Uuid,
    pub linked_at: DateTime<Utc>,
}

impl From<LinkRow> for LinkView {
    fn from(l: LinkRow) -> Self {
        Self {
            problem_id: l.problem_id,
            incident_id: l.incident_id,
            linked_by: l.linked_by,
            linked_at: l.linked_at,
        }
    }
}

#[utoipa::path(post, path = "/api/v1/tickets/{id}/links", tag = "tickets", security(("bearer" = [])), request_body = NewLink,
    params(("id" = Uuid, Path)), description = "Links an incident to the problem behind it (provider staff; same tenant).",
    responses((status = 201, body = LinkView), (status = 404, body = Problem), (status = 409, body = Problem), (status = 422, body = Problem)))]
pub async fn add_link(
    state: web::Data<TicketingState>,
    principal: Principal,
    id: web::Path<Uuid>,
    body: web::Json<Value>,
) -> ApiResult<HttpResponse> {
    let scope = ticket_scope(&state, &principal, *id).await?;
    principal.require_any(&[Role::Agent, Role::Engineer, Role::Dispatcher, Role::ProviderAdmin])?;
    let new: NewLink = parse(body.into_inner())?;
    let view = again_if_moved(async || {
        let this = state.tickets.load(&scope, *id).await?;
        // The other ticket must be of the same tenant: otherwise it is simply not found.
        let other = state
            .tickets
            .load(&scope, new.ticket_id)
            .await
            .map_err(|_| ApiError::invalid("ticket_id", "no such ticket of this tenant"))?;
        let (linked, outcome) = this.link(&other)?;
        let at = state.now();
        let row = LinkRow {
            tenant_id: this.tenant_id,
            problem_id: linked.problem_id,
            incident_id: linked.incident_id,
            linked_by: principal.subject,
            linked_at: at,
        };
        let view = LinkView {
            problem_id: linked.problem_id,
            incident_id: linked.incident_id,
            linked_by: principal.subject,
            linked_at: at,
        };
        let change = Change::new(at, actor(&principal), outcome).with(Child::Link(row));
        state.tickets.save(&scope, &this, this.version, &change).await?;
        Ok(view)
    })
    .await?;
    Ok(HttpResponse::Created().json(view))
}

#[utoipa::path(get, path = "/api/v1/tickets/{id}/links", tag = "tickets", security(("bearer" = [])), params(("id" = Uuid, Path)),
    responses((status = 200, body = Vec<LinkView>), (status = 404, body = Problem)))]
pub async fn links(
    state: web::Data<TicketingState>,
    principal: Principal,
    id: web::Path<Uuid>,
) -> ApiResult<HttpResponse> {
    let scope = ticket_scope(&state, &principal, *id).await?;
    principal.require_any(&Role::ALL)?;
    let t = state.tickets.load(&scope, *id).await?;
    visible(&principal, &t)?;
    let rows = state.tickets.links(&scope, t.id).await?;
    Ok(HttpResponse::Ok().json(rows.into_iter().map(LinkView::from).collect::<Vec<_>>()))
}

pub use canopy_api::ticketing::{ApprovalView, NewDecision};

#[utoipa::path(post, path = "/api/v1/tickets/{id}/approvals", tag = "tickets", security(("bearer" = [])), request_body = NewDecision,
    params(("id" = Uuid, Path)),
    description = "The tenant admin approves or rejects a normal or emergency change that awaits a decision.",
    responses((status = 201, body = ApprovalView), (status = 403, body = Problem), (status = 409, body = Problem)))]
pub async fn decide(
    state: web::Data<TicketingState>,
    principal: Principal,
    id: web::Path<Uuid>,
    body: web::Json<Value>,
) -> ApiResult<HttpResponse> {
    let scope = ticket_scope(&state, &principal, *id).await?;
    principal.require_any(&[Role::TenantAdmin])?;
    let new: NewDecision = parse(body.into_inner())?;
    let mut v = Violations::new();
    v.check(new.comment.chars().count() <= 5000, "comment", "must have at most 5000 characters");
    if new.decision == Decision::Rejected {
        v.check(!new.comment.trim().is_empty(), "comment", "say why the change is rejected");
    }
    v.into_result()?;
    let view = again_if_moved(async || {
        let mut t = state.tickets.load(&scope, *id).await?;
        let version = t.version;
        let outcome = t.decide(new.decision, &new.comment)?;
        let at = state.now();
        let view = ApprovalView {
            id: Uuid::now_v7(),
            decision: new.decision,
            comment: new.comment.trim().to_owned(),
            decided_by: principal.subject,
            decided_at: at,
        };
        let change = Change::new(at, actor(&principal), outcome).with(Child::Approval(ApprovalRow {
            tenant_id: t.tenant_id,
            ticket_id: t.id,
            id: view.id,
            decision: view.decision.to_string(),
            comment: view.comment.clone(),
            decided_by: view.decided_by,
            decided_at: at,
        }));
        state.tickets.save(&scope, &t, version, &change).await?;
        Ok(view)
    })
    .await?;
    Ok(HttpResponse::Created().json(view))
}

#[utoipa::path(get, path = "/api/v1/tickets/{id}/approvals", tag = "tickets", security(("bearer" = [])), params(("id" = Uuid, Path)),
    responses((status = 200, body = Vec<ApprovalView>), (status = 404, body = Problem)))]
pub async fn approvals(
    state: web::Data<TicketingState>,
    principal: Principal,
    id: web::Path<Uuid>,
) -> ApiResult<HttpResponse> {
    let scope = ticket_scope(&state, &principal, *id).await?;
    principal.require_any(&Role::ALL)?;
    let t = state.tickets.load(&scope, *id).await?;
    visible(&principal, &t)?;
    let rows = state.tickets.approvals(&scope, t.id).await?;
    let views = rows
        .into_iter()
        .map(|a| ApprovalView {
            id: a.id,
            decision: a.decision.parse().unwrap_or(Decision::Rejected),
            comment: a.comment,
            decided_by: a.decided_by,
            decided_at: a.decided_at,
        })
        .collect::<Vec<_>>();
    Ok(HttpResponse::Ok().json(views))
}
