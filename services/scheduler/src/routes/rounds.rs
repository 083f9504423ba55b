//! `/dispatch/optimize`, `/dispatch/rounds`, `/dispatch/visits`: the day's on-site rounds,
//! planned by the solver, and the visits engineers confirm, start and finish. Provider staff.

use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, web};
use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use canopy_kernel::auth::Role;
use canopy_kernel::tenancy::bearer_token;
use canopy_kernel::{ApiError, ApiResult, Principal, Problem};

use super::parse;
use crate::rounds::{OptimizeAnswer, PlanView, optimize as plan_day};
use crate::state::SchedulerState;
use crate::store::rounds::VISIT_STATES;
use crate::store::rounds::VisitRow;

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(web::resource("/api/v1/dispatch/optimize").route(web::post().to(optimize)))
        .service(web::resource("/api/v1/dispatch/rounds").route(web::get().to(rounds)))
        .service(web::resource("/api/v1/dispatch/visits").route(web::get().to(visits)))
        .service(web::resource("/api/v1/dispatch/visits/{ticket_id}").route(web::patch().to(move_visit)));
}

const STAFF: [Role; 4] = [Role::Agent, Role::Engineer, Role::Dispatcher, Role::ProviderAdmin];

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct OptimizeRequest {
    /// The day to plan, `YYYY-MM-DD`.
    #[schema(value_type = String, example = "2026-12-01")]
    pub date: String,
    /// One region (a site's dispatch region); all regions when left out.
    pub region: Option<String>,
    /// The solver's time budget, 1–60 seconds (default from settings).
    pub budget_seconds: Option<u32>,
    /// How much shorter (percent of distance) a plan no better otherwise must be to replace the
    /// one in force, 0–50 (default from settings).
    pub threshold_percent: Option<u32>,
}

fn day(value: &str, field: &str) -> ApiResult<NaiveDate> {
    NaiveDate::parse_from_str(value.trim(), "%Y-%m-%d")
        .ok()
        .filter(|d| canopy_kernel::edge::YEARS.contains(&chrono::Datelike::year(d)))
        .ok_or_else(|| ApiError::invalid(field, "must be a day, YYYY-MM-DD, in the years 2000–2100"))
}

fn region(value: Option<&str>) -> ApiResult<Option<String>> {
    match value.map(|r| r.trim().to_lowercase()) {
        None => Ok(None),
        Some(r) if (1..=60).contains(&r.len()) => Ok(Some(r)),
        Some(_) => Err(ApiError::invalid("region", "1–60 characters")),
    }
}

#[utoipa::path(post, path = "/api/v1/dispatch/optimize", tag = "dispatch", security(("bearer" = [])),
    request_body = OptimizeRequest,
    description = "Plans the day's on-site visits into one round per engineer with a routing solver (vrp-core): \
        windows from the sites' opening hours and the engineers' shifts, skills, level and region as hard constraints, \
        travel time from the sites' coordinates; lateness against the on-site SLA first, then distance. Visits \
        confirmed or started stay in place. The plan is published only when it beats the one in force.",
    responses((status = 200, body = OptimizeAnswer), (status = 403, body = Problem), (status = 422, body = Problem)))]
pub async fn optimize(
    state: web::Data<SchedulerState>,
    principal: Principal,
    req: HttpRequest,
    body: web::Json<Value>,
) -> ApiResult<HttpResponse> {
    principal.require_any(&[Role::Dispatcher, Role::ProviderAdmin])?;
    let ask: OptimizeRequest = parse(body.into_inner())?;
    let date = day(&ask.date, "date")?;
    // A provider's planning day spans its engineers' zones (each planned on its own local
    // day); the UTC date with a day either side is only a bound on which days may be asked.
    let today = state.now().date_naive();
    if date < today - chrono::TimeDelta::days(1) || date > today + chrono::TimeDelta::days(31) {
        return Err(ApiError::invalid("date", "plans are made from yesterday up to 31 days ahead"));
    }
    let region = region(ask.region.as_deref())?;
    let settings = &state.settings.scheduler;
    let budget = ask.budget_seconds.unwrap_or(settings.optimize_budget_secs);
    if !(1..=60).contains(&budget) {
        return Err(ApiError::invalid("budget_seconds", "must be 1–60"));
    }
    let threshold = ask.threshold_percent.unwrap_or(settings.replan_threshold_percent);
    if threshold > 50 {
        return Err(ApiError::invalid("threshold_percent", "must be 0–50"));
    }
    let token = bearer_token(&req).unwrap_or_default().to_owned();
    let answer = plan_day(&state, &token, date, region, budget, threshold, Some(principal.subject)).await?;
    Ok(HttpResponse::Ok().json(answer))
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct DayQuery {
    /// `YYYY-MM-DD`.
    pub date: String,
    pub region: Option<String>,
}

#[utoipa::path(get, path = "/api/v1/dispatch/rounds", tag = "dispatch", security(("bearer" = [])), params(DayQuery),
    description = "The plan in force for the day (and region), with each visit's current state.",
    responses((status = 200, body = PlanView), (status = 403, body = Problem), (status = 404, body = Problem),
        (status = 422, body = Problem)))]
pub async fn rounds(
    state: web::Data<SchedulerState>,
    principal: Principal,
    query: web::Query<DayQuery>,
) -> ApiResult<HttpResponse> {
    principal.require_any(&STAFF)?;
    let date = day(&query.date, "date")?;
    let region = region(query.region.as_deref())?;
    let current = state
        .rounds
        .current(&date.to_string(), region.as_deref().unwrap_or(""))
        .await?
        .ok_or_else(|| ApiError::not_found("round plan"))?;
    let mut plan: PlanView = serde_json::from_value(current.plan).map_err(ApiError::internal)?;
    let states: std::collections::HashMap<Uuid, String> =
        state.rounds.visits(&date.to_string()).await?.into_iter().map(|v| (v.ticket_id, v.state)).collect();
    for stop in plan.rounds.iter_mut().flat_map(|r| r.stops.iter_mut()) {
        if let Some(s) = states.get(&stop.ticket_id) {
            stop.state.clone_from(s);
        }
    }
    Ok(HttpResponse::Ok().json(plan))
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct VisitView {
    pub ticket_id: Uuid,
    pub tenant_id: Uuid,
    pub date: String,
    pub region: String,
    pub engineer_id: Uuid,
    /// `planned`, `confirmed` (the time is promised to the customer), `started`, `done`.
    pub state: String,
    pub arrive_at: DateTime<Utc>,
    pub depart_at: DateTime<Utc>,
    pub started_at: Option<DateTime<Utc>>,
    pub version: i64,
}

impl From<VisitRow> for VisitView {
    fn from(v: VisitRow) -> Self {
        Self {
            ticket_id: v.ticket_id,
            tenant_id: v.tenant_id,
            date: v.day,
            region: v.region,
            engineer_id: v.engineer_id,
            state: v.state,
            arrive_at: v.arrive_at,
            depart_at: v.depart_at,
            started_at: v.started_at,
            version: v.version,
        }
    }
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct VisitsQuery {
    /// `YYYY-MM-DD`.
    pub date: String,
}

#[utoipa::path(get, path = "/api/v1/dispatch/visits", tag = "dispatch", security(("bearer" = [])), params(VisitsQuery),
    responses((status = 200, body = Vec<VisitView>), (status = 403, body = Problem), (status = 422, body = Problem)))]
pub async fn visits(
    state: web::Data<SchedulerState>,
    principal: Principal,
    query: web::Query<VisitsQuery>,
) -> ApiResult<HttpResponse> {
    principal.require_any(&STAFF)?;
    let date = day(&query.date, "date")?;
    let rows = state.rounds.visits(&date.to_string()).await?;
    Ok(HttpResponse::Ok().json(rows.into_iter().map(VisitView::from).collect::<Vec<_>>()))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct VisitMove {
    /// `confirmed`, `started` or `done`; a visit only moves forward.
    pub state: String,
}

#[utoipa::path(patch, path = "/api/v1/dispatch/visits/{ticket_id}", tag = "dispatch", security(("bearer" = [])),
    request_body = VisitMove,
    params(("ticket_id" = Uuid, Path), ("If-Match" = Option<String>, Header, description = "The ETag read")),
    description = "Moves a visit forward: confirmed to the customer, started on site, done. Confirmed and started \
        visits stay in place when the day is planned again.",
    responses((status = 200, body = VisitView), (status = 403, body = Problem), (status = 404, body = Problem),
        (status = 409, body = Problem), (status = 412, body = Problem), (status = 422, body = Problem)))]
pub async fn move_visit(
    state: web::Data<SchedulerState>,
    principal: Principal,
    req: HttpRequest,
    ticket: web::Path<Uuid>,
    body: web::Json<Value>,
) -> ApiResult<HttpResponse> {
    principal.require_any(&[Role::Engineer, Role::Dispatcher, Role::ProviderAdmin])?;
    let ask: VisitMove = parse(body.into_inner())?;
    let Some(to) = VISIT_STATES.iter().position(|s| *s == ask.state).filter(|&i| i > 0) else {
        return Err(ApiError::invalid("state", "must be confirmed, started or done"));
    };
    let current = state.rounds.visit(*ticket).await?;
    let from = VISIT_STATES.iter().position(|s| *s == current.state).unwrap_or(0);
    if to <= from {
        return Err(ApiError::new(
            canopy_kernel::ErrorCode::InvalidTransition,
            format!("The visit is {}; it only moves forward", current.state),
        ));
    }
    let version = canopy_kernel::http::if_match(&req)?.unwrap_or(current.version);
    let now = state.now();
    let started_at = (ask.state == "started").then_some(now);
    let saved = state.rounds.set_state(*ticket, version, VISIT_STATES[to], started_at, now).await?;
    Ok(HttpResponse::Ok()
        .insert_header((header::ETAG, format!("\"{}\"", saved.version)))
        .json(VisitView::from(saved)))
}
