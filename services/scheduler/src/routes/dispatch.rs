//! `/dispatch`: assignment on demand (automatic, or a dispatcher's override with a reason) and
//! the decisions behind every assignment. Provider staff only.

use actix_web::{HttpRequest, HttpResponse, web};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa::ToSchema;
use uuid::Uuid;

use canopy_kernel::auth::Role;
use canopy_kernel::tenancy::bearer_token;
use canopy_kernel::{ApiError, ApiResult, Principal, Problem};

use super::parse;
use crate::dispatcher::assign as dispatch;
use crate::domain::dispatch::Ranked;
use crate::state::SchedulerState;
use crate::store::entities::decision;

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(web::resource("/api/v1/dispatch/assign").route(web::post().to(assign)))
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

impl From<decision::Model> for DecisionView {
    fn from(d: decision::Model) -> Self {
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
