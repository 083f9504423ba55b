//! `GET /reports/monthly`: the monthly IT service report — a tenant's (its admins, and
//! provider staff) or the provider's across tenants (provider staff, without `tenant_id`) —
//! as JSON, CSV (`format=csv`) or an HTML page with charts (`format=html`, or a browser's
//! `Accept: text/html`). `POST /reports/monthly/runs` makes the month's reports for every
//! tenant with tickets and announces each (`report.ready`): the scheduler's monthly job.

use std::collections::{BTreeMap, BTreeSet};

use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, web};
use chrono::{DateTime, TimeDelta, Utc};
use serde::Deserialize;
use serde_json::Value;
use utoipa::IntoParams;
use uuid::Uuid;

use canopy_api::billing::CreditView;
use canopy_api::{CallError, CallResultExt, TenantProblem};
use canopy_kernel::auth::Role;
use canopy_kernel::{ApiError, ApiResult, ListScope, Principal, Problem, TenantId, TenantScope};

use super::parse;
use super::tickets::token;
use crate::reports::figures::{TicketFacts, figures};
use crate::reports::{CreditsEarned, Month, MonthlyReport, TenantLine, TrendPoint, render};
use crate::state::TicketingState;

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/api/v1/reports/monthly", web::get().to(monthly))
        .route("/api/v1/reports/monthly/runs", web::post().to(run));
}

const STAFF: [Role; 4] = [Role::Agent, Role::Engineer, Role::Dispatcher, Role::ProviderAdmin];
const SEED_CATEGORIES: [&str; 5] = ["network", "virus_security", "software", "hardware", "other"];

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ReportQuery {
    /// The tenant; provider staff leave it out for the report across tenants.
    pub tenant_id: Option<Uuid>,
    /// `YYYY-MM`.
    pub period: String,
    /// `json` (default), `csv` or `html`.
    pub format: Option<String>,
}

fn month_of(period: &str) -> ApiResult<Month> {
    Month::parse(period).ok_or_else(|| ApiError::invalid("period", "must be a month, YYYY-MM"))
}

fn bounds(month: Month, tz: &str) -> ApiResult<(DateTime<Utc>, DateTime<Utc>)> {
    month.bounds(tz).ok_or_else(|| ApiError::invalid("period", "outside the calendar"))
}

/// The month's bounds in `tz`, once it has begun.
fn begun(month: Month, tz: &str, now: DateTime<Utc>) -> ApiResult<(DateTime<Utc>, DateTime<Utc>)> {
    let (from, to) = bounds(month, tz)?;
    if from > now {
        return Err(ApiError::invalid("period", "a month is reported once it has begun"));
    }
    Ok((from, to))
}

/// The same month a year before and the three months before `month` that have data, oldest
/// first: the trend the month stands beside.
async fn earlier_months(
    state: &TicketingState,
    scope: &ListScope,
    month: Month,
    tz: &str,
    categories: &[String],
    seats: Option<u32>,
) -> ApiResult<Vec<TrendPoint>> {
    let mut trend = Vec::new();
    for earlier in [month.back(12), month.back(3), month.back(2), month.back(1)] {
        let Some((f, t)) = earlier.bounds(tz) else { continue };
        let facts: Vec<TicketFacts> =
            state.reports.facts(scope, f, t).await?.into_iter().map(|(_, x)| x).collect();
        let fig = figures(&earlier.to_string(), f, t, &facts, categories, seats);
        if fig.tickets > 0 || fig.resolved > 0 {
            trend.push(TrendPoint::from(&fig));
        }
    }
    Ok(trend)
}

/// The report of one tenant's month in its time zone, beside the months before.
pub(crate) async fn tenant_report(
    state: &TicketingState,
    token: &str,
    scope: TenantScope,
    month: Month,
) -> ApiResult<MonthlyReport> {
    let now = state.now();
    let tenant = scope.tenant_id().0;
    let ctx = state.tenant_context(token, tenant, now).await?;
    let tz = ctx.settings.timezone.clone();
    let (from, to) = begun(month, &tz, now)?;
    let categories: Vec<String> =
        ctx.settings.ticket_categories.iter().filter(|c| c.active).map(|c| c.key.clone()).collect();
    // The seats under contract on the month's last day (a day of the tenant's).
    let policy = match month.last_day() {
        Some(last_day) => match state.catalog.policy(token, tenant, Some(last_day)).await.found() {
            Ok(policy) => policy,
            // The report is still made, without the figures per seat; the log says why.
            Err(e) => {
                tracing::warn!(%tenant, error = %e, "contract unavailable for the report: no figures per seat");
                None
            }
        },
        None => None,
    };
    let seats = policy.and_then(|p| u32::try_from(p.quantity).ok());
    let list = ListScope::Tenant(scope);
    let mut trend = earlier_months(state, &list, month, &tz, &categories, seats).await?;
    let facts: Vec<TicketFacts> =
        state.reports.facts(&list, from, to).await?.into_iter().map(|(_, x)| x).collect();
    let fig = figures(&month.to_string(), from, to, &facts, &categories, seats);
    trend.push(TrendPoint::from(&fig));
    let credits = credits(state, token, tenant, &month.to_string()).await;
    Ok(MonthlyReport {
        tenant_id: Some(tenant),
        tenant_key: Some(ctx.key.clone()),
        period: month.to_string(),
        timezone: tz,
        locale: ctx.settings.locale.as_str().to_owned(),
        from,
        to,
        figures: fig,
        credits,
        trend,
        tenants: Vec::new(),
        generated_at: now,
    })
}

/// The SLA credits billing gave for the month (`None` when billing cannot say).
async fn credits(state: &TicketingState, token: &str, tenant: Uuid, period: &str) -> Option<CreditsEarned> {
    let billing = state.billing.as_ref()?;
    let unavailable = |e: CallError| {
        tracing::warn!(%tenant, error = %e, "billing cannot say the month's credits for the report");
    };
    let rows = billing.credits(token, tenant, 500).await.found().map_err(unavailable).ok()??;
    let mine: Vec<&CreditView> = rows.iter().filter(|c| c.period == period).collect();
    let invoices = billing
        .invoices(token, tenant, period)
        .await
        .found()
        .map_err(unavailable)
        .ok()
        .flatten()
        .unwrap_or_default();
    Some(CreditsEarned {
        credits: mine.len() as u32,
        amount_minor: mine.iter().map(|c| c.amount_minor).sum(),
        currency: invoices.first().map(|i| i.currency.clone()),
    })
}

/// The provider's month across every tenant (UTC months), with each tenant's line.
async fn provider_report(state: &TicketingState, month: Month) -> ApiResult<MonthlyReport> {
    let now = state.now();
    let tz = "UTC";
    let (from, to) = begun(month, tz, now)?;
    let categories: Vec<String> = SEED_CATEGORIES.iter().map(|c| (*c).to_owned()).collect();
    let mut trend = earlier_months(state, &ListScope::AllTenants, month, tz, &categories, None).await?;
    let all = state.reports.facts(&ListScope::AllTenants, from, to).await?;
    let mut by_tenant: BTreeMap<Uuid, Vec<TicketFacts>> = BTreeMap::new();
    for (t, f) in &all {
        by_tenant.entry(*t).or_default().push(f.clone());
    }
    let facts: Vec<TicketFacts> = all.into_iter().map(|(_, f)| f).collect();
    let fig = figures(&month.to_string(), from, to, &facts, &categories, None);
    trend.push(TrendPoint::from(&fig));
    let tenants = by_tenant
        .into_iter()
        .map(|(tenant_id, facts)| {
            let f = figures(&month.to_string(), from, to, &facts, &categories, None);
            TenantLine {
                tenant_id,
                tickets: f.tickets,
                failures: f.failures,
                resolved: f.resolved,
                sla_compliance_bp: f.sla_compliance_bp,
                complaints: f.complaints,
                backlog: f.backlog,
            }
        })
        .filter(|l| l.tickets > 0 || l.resolved > 0 || l.backlog > 0)
        .collect();
    Ok(MonthlyReport {
        tenant_id: None,
        tenant_key: None,
        period: month.to_string(),
        timezone: tz.into(),
        locale: "en".into(),
        from,
        to,
        figures: fig,
        credits: None,
        trend,
        tenants,
        generated_at: now,
    })
}

#[utoipa::path(get, path = "/api/v1/reports/monthly", tag = "reports", security(("bearer" = [])), params(ReportQuery),
    description = "The monthly IT service report: tickets by type, failures by category and per 100 seats, resolved \
        remotely or on site, average time to arrive and on site, SLA compliance per target and priority, breaches and \
        the credits they earned, satisfaction and complaints, the backlog, and the month beside the three before and \
        the same month a year earlier. A tenant's month runs midnight to midnight in its time zone.",
    responses((status = 200, body = MonthlyReport, description = "JSON; `text/csv` or `text/html` as asked"),
        (status = 403, body = Problem), (status = 404, body = Problem), (status = 422, body = Problem)))]
pub async fn monthly(
    state: web::Data<TicketingState>,
    principal: Principal,
    req: HttpRequest,
    q: web::Query<ReportQuery>,
) -> ApiResult<HttpResponse> {
    let month = month_of(&q.period)?;
    let format = match q.format.as_deref() {
        Some(f @ ("json" | "csv" | "html")) => f.to_owned(),
        Some(_) => return Err(ApiError::invalid("format", "must be json, csv or html")),
        None => {
            let accept = req.headers().get(header::ACCEPT).and_then(|v| v.to_str().ok()).unwrap_or_default();
            if accept.contains("text/html") {
                "html".into()
            } else if accept.contains("text/csv") {
                "csv".into()
            } else {
                "json".into()
            }
        }
    };
    let report = match q.tenant_id.or(principal.tenant_id.map(|t| t.0)) {
        Some(t) => {
            principal.require_any(&[
                Role::TenantAdmin,
                Role::Agent,
                Role::Engineer,
                Role::Dispatcher,
                Role::ProviderAdmin,
            ])?;
            let scope = principal.scope_for(t)?;
            tenant_report(&state, &token(&req), scope, month).await?
        }
        None => {
            principal.require_any(&STAFF)?;
            provider_report(&state, month).await?
        }
    };
    let name = format!("it-report-{}-{}", report.tenant_key.as_deref().unwrap_or("all"), report.period);
    Ok(match format.as_str() {
        "csv" => HttpResponse::Ok()
            .insert_header((header::CONTENT_TYPE, "text/csv; charset=utf-8"))
            .insert_header((header::CONTENT_DISPOSITION, format!("attachment; filename=\"{name}.csv\"")))
            .body(render::csv(&report)),
        "html" => HttpResponse::Ok()
            .insert_header((header::CONTENT_TYPE, "text/html; charset=utf-8"))
            .insert_header((
                "content-security-policy",
                "default-src 'none'; style-src 'unsafe-inline'; img-src data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
            ))
            .body(render::html(&report)),
        _ => HttpResponse::Ok().json(report),
    })
}

pub use canopy_api::ticketing::{ReportRun, ReportRunOutcome};

#[utoipa::path(post, path = "/api/v1/reports/monthly/runs", tag = "reports", security(("bearer" = [])),
    request_body = ReportRun,
    description = "Makes the month's report for every tenant with tickets and announces each as `report.ready` (the \
        tenant's webhooks); the scheduler's monthly job. Provider admins, or a service.",
    responses((status = 200, body = ReportRunOutcome), (status = 403, body = Problem), (status = 422, body = Problem)))]
pub async fn run(
    state: web::Data<TicketingState>,
    principal: Principal,
    req: HttpRequest,
    body: web::Json<Value>,
) -> ApiResult<HttpResponse> {
    if !principal.is_service() {
        principal.require_any(&[Role::ProviderAdmin])?;
    }
    let ask: ReportRun = parse(body.into_inner())?;
    let month = month_of(&ask.period)?;
    let now = state.now();
    let (from, to) = bounds(month, "UTC")?;
    if to > now + TimeDelta::hours(14) {
        return Err(ApiError::invalid("period", "a month's report is made once it has ended"));
    }
    let tenants: BTreeSet<Uuid> = state
        .reports
        .facts(&ListScope::AllTenants, from - TimeDelta::hours(14), to + TimeDelta::hours(14))
        .await?
        .into_iter()
        .map(|(t, _)| t)
        .collect();
    let mut out = ReportRunOutcome { period: month.to_string(), ..ReportRunOutcome::default() };
    for tenant in tenants {
        let scope = TenantScope::trusted(TenantId(tenant));
        match tenant_report(&state, &token(&req), scope, month).await {
            Ok(report) => {
                state.reports.announce(&report, now).await?;
                out.reports += 1;
            }
            Err(e) => out.problems.push(TenantProblem::new(tenant, e)),
        }
    }
    Ok(HttpResponse::Ok().json(out))
}
