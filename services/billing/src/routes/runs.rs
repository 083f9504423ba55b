//! `/billing/runs`: a period billed on demand (finance), and the run history.

use actix_web::{HttpResponse, web};
use serde_json::Value;

use canopy_kernel::auth::Role;
use canopy_kernel::{ApiError, ApiResult, Principal, Problem};

use super::parse;
use crate::domain::money::Period;
use crate::state::BillingState;
use crate::store::invoices::RunRow;

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(
        web::resource("/api/v1/billing/runs").route(web::post().to(start)).route(web::get().to(list)),
    )
    .service(web::resource("/api/v1/billing/dunning").route(web::post().to(dunning)));
}

pub use canopy_api::billing::{DunningOutcome, RunRequest, RunView};

impl From<RunRow> for RunView {
    fn from(r: RunRow) -> Self {
        Self {
            id: r.id,
            period: r.period,
            started_at: r.started_at,
            started_by: r.started_by,
            finished_at: r.finished_at,
            status: r.status,
            invoices: r.invoices,
            skipped: r.skipped,
            outcome: r.outcome,
        }
    }
}

#[utoipa::path(post, path = "/api/v1/billing/runs", tag = "billing", security(("bearer" = [])), request_body = RunRequest,
    description = "Bills a period: every tenant with a contract in it gets one invoice (subscriptions prorated by day, \
        billable extra work, SLA credits naming their breaches, tax). Idempotent: a tenant already invoiced for the \
        period is left as it is, so running again, or twice at once, writes nothing more.",
    responses((status = 200, body = RunView), (status = 403, body = Problem), (status = 422, body = Problem),
        (status = 503, body = Problem)))]
pub async fn start(
    state: web::Data<BillingState>,
    principal: Principal,
    body: web::Json<Value>,
) -> ApiResult<HttpResponse> {
    // Finance, or the scheduler's monthly billing job.
    if !principal.is_service() {
        principal.require_any(&[Role::ProviderAdmin])?;
    }
    let ask: RunRequest = parse(body.into_inner())?;
    let period = Period::parse(&ask.period).map_err(|m| ApiError::invalid("period", m))?;
    if !crate::run::ended_somewhere(period, state.now()) {
        return Err(ApiError::invalid("period", "a period is billed once it has ended"));
    }
    let by = (!principal.is_service()).then_some(principal.subject);
    let done = crate::run::run(&state, period, by).await?;
    Ok(HttpResponse::Ok().json(RunView::from(done)))
}

#[utoipa::path(get, path = "/api/v1/billing/runs", tag = "billing", security(("bearer" = [])),
    responses((status = 200, body = Vec<RunView>), (status = 403, body = Problem)))]
pub async fn list(state: web::Data<BillingState>, principal: Principal) -> ApiResult<HttpResponse> {
    principal.require_any(&[Role::ProviderAdmin])?;
    let rows = state.invoices.runs(100).await?;
    Ok(HttpResponse::Ok().json(rows.into_iter().map(RunView::from).collect::<Vec<_>>()))
}

#[utoipa::path(post, path = "/api/v1/billing/dunning", tag = "billing", security(("bearer" = [])),
    description = "Suspends tenants with an invoice unpaid `billing.grace_days` past its due date, and reinstates \
        those billing suspended once nothing is overdue (also done at once when a payment arrives). The scheduler \
        runs it daily.",
    responses((status = 200, body = DunningOutcome), (status = 403, body = Problem), (status = 503, body = Problem)))]
pub async fn dunning(state: web::Data<BillingState>, principal: Principal) -> ApiResult<HttpResponse> {
    if !principal.is_service() {
        principal.require_any(&[Role::ProviderAdmin])?;
    }
    Ok(HttpResponse::Ok().json(crate::dunning::run(&state).await?))
}
