//! What other services read in bulk: the SLA breaches of a span of time (billing credits them,
//! reports count them) and the billable work logged (billing charges what plans do not
//! include). Provider staff read every tenant's; a tenant admin their own.

use actix_web::{HttpResponse, web};
use chrono::{DateTime, Utc};
use serde::Deserialize;
use utoipa::IntoParams;
use uuid::Uuid;

use canopy_kernel::auth::Role;
use canopy_kernel::{ApiError, ApiResult, ListScope, Principal, Problem};

use crate::state::TicketingState;
use crate::store::tickets::BreachRow as StoredBreach;

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/api/v1/sla/breaches", web::get().to(breaches))
        .route("/api/v1/billable-work", web::get().to(billable_work));
}

const READERS: [Role; 4] = [Role::TenantAdmin, Role::Agent, Role::Dispatcher, Role::ProviderAdmin];

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct SpanQuery {
    /// Start of the span (inclusive).
    pub from: DateTime<Utc>,
    /// End of the span (exclusive); at most 400 days after `from`.
    pub to: DateTime<Utc>,
    pub tenant_id: Option<Uuid>,
    /// Breaches after this one (`tenant_id:ticket_id:metric` of the last row read).
    pub after: Option<String>,
    /// At most this many (default 1 000, at most 10 000).
    pub limit: Option<u64>,
}

pub use canopy_api::ticketing::{BreachPage, BreachRow, WorkKind, WorkTotal};

fn scope(principal: &Principal, tenant: Option<Uuid>) -> ApiResult<ListScope> {
    principal.require_any(&READERS)?;
    match tenant {
        Some(t) => Ok(ListScope::Tenant(principal.scope_for(t)?)),
        None => Ok(principal.list_scope()),
    }
}

fn span(q: &SpanQuery) -> ApiResult<()> {
    if q.to <= q.from || q.to - q.from > chrono::TimeDelta::days(400) {
        return Err(ApiError::invalid("to", "must be after `from`, at most 400 days"));
    }
    Ok(())
}

#[utoipa::path(get, path = "/api/v1/sla/breaches", tag = "tickets", security(("bearer" = [])), params(SpanQuery),
    description = "Recorded SLA breaches whose due time falls in the span, in a stable order, page by page.",
    responses((status = 200, body = BreachPage), (status = 403, body = Problem), (status = 422, body = Problem)))]
pub async fn breaches(
    state: web::Data<TicketingState>,
    principal: Principal,
    q: web::Query<SpanQuery>,
) -> ApiResult<HttpResponse> {
    let scope = scope(&principal, q.tenant_id)?;
    span(&q)?;
    let limit = q.limit.unwrap_or(1_000);
    if !(1..=10_000).contains(&limit) {
        return Err(ApiError::invalid("limit", "must be 1–10000"));
    }
    let after = match &q.after {
        None => None,
        Some(a) => {
            let mut parts = a.splitn(3, ':');
            let (Some(t), Some(k), Some(m)) = (parts.next(), parts.next(), parts.next()) else {
                return Err(ApiError::invalid("after", "is not a position from a previous page"));
            };
            let (Ok(t), Ok(k)) = (t.parse::<Uuid>(), k.parse::<Uuid>()) else {
                return Err(ApiError::invalid("after", "is not a position from a previous page"));
            };
            Some((t, k, m.to_owned()))
        }
    };
    let rows = state.tickets.breaches_between(&scope, q.from, q.to, after, limit).await?;
    let next = (rows.len() as u64 == limit)
        .then(|| rows.last().map(|b| format!("{}:{}:{}", b.tenant_id, b.ticket_id, b.metric)))
        .flatten();
    let bad = |what: &str, b: &StoredBreach| {
        ApiError::internal(anyhow::anyhow!("breach of ticket {} has a bad {what}", b.ticket_id))
    };
    let items = rows
        .into_iter()
        .map(|b| {
            Ok(BreachRow {
                metric: b.metric.parse().map_err(|_| bad("metric", &b))?,
                priority: b.priority.parse().map_err(|_| bad("priority", &b))?,
                tenant_id: b.tenant_id,
                ticket_id: b.ticket_id,
                reference: b.reference,
                due_at: b.due_at,
                detected_at: b.detected_at,
                met_at: b.met_at,
                contract_id: b.contract_id,
            })
        })
        .collect::<ApiResult<_>>()?;
    Ok(HttpResponse::Ok().json(BreachPage { items, next }))
}

#[utoipa::path(get, path = "/api/v1/billable-work", tag = "tickets", security(("bearer" = [])), params(SpanQuery),
    description = "Minutes of billable work logged in the span, per tenant and kind (remote, on site).",
    responses((status = 200, body = Vec<WorkTotal>), (status = 403, body = Problem), (status = 422, body = Problem)))]
pub async fn billable_work(
    state: web::Data<TicketingState>,
    principal: Principal,
    q: web::Query<SpanQuery>,
) -> ApiResult<HttpResponse> {
    let scope = scope(&principal, q.tenant_id)?;
    span(&q)?;
    let rows = state.tickets.billable_minutes(&scope, q.from, q.to).await?;
    let totals = rows
        .into_iter()
        .map(|(tenant_id, kind, minutes)| {
            let kind = kind
                .parse::<WorkKind>()
                .map_err(|_| ApiError::internal(anyhow::anyhow!("billable work of a bad kind {kind}")))?;
            Ok(WorkTotal { tenant_id, kind, minutes })
        })
        .collect::<ApiResult<Vec<_>>>()?;
    Ok(HttpResponse::Ok().json(totals))
}
