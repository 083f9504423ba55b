//! `/schedules` (recurring jobs) and `/jobs` (their runs). Provider staff see all; a tenant
//! admin sees the tenant's own maintenance schedules and runs. Dispatchers and provider admins
//! set them up.

use actix_web::{HttpRequest, HttpResponse, web};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use canopy_kernel::auth::Role;
use canopy_kernel::tenancy::bearer_token;
use canopy_kernel::{ApiError, ApiResult, ListScope, Principal, Problem, Violations};

use super::{parse, stored};
use crate::domain::action::Action;
use crate::domain::cron::Recurrence;
use crate::state::SchedulerState;
use crate::store::jobs::{RunRow, ScheduleRow};

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(web::resource("/api/v1/schedules").route(web::post().to(create)).route(web::get().to(list)))
        .service(web::resource("/api/v1/schedules/{id}").route(web::get().to(get)))
        .service(web::resource("/api/v1/jobs").route(web::get().to(runs)));
}

const READERS: [Role; 5] =
    [Role::TenantAdmin, Role::Agent, Role::Engineer, Role::Dispatcher, Role::ProviderAdmin];

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewSchedule {
    /// The tenant whose maintenance this is; left out for a system job (shift handover,
    /// round planning), which runs for the whole provider.
    pub tenant_id: Option<Uuid>,
    #[schema(example = "Daily health inspection")]
    pub name: String,
    /// Five cron fields (minute hour day-of-month month day-of-week), e.g. `0 8 * * MON-FRI`.
    #[schema(example = "0 8 * * *")]
    pub cron: String,
    /// IANA time zone the expression is read in (usually the tenant's).
    #[schema(example = "Asia/Shanghai")]
    pub timezone: String,
    pub action: Action,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct ScheduleView {
    pub id: Uuid,
    pub tenant_id: Option<Uuid>,
    pub name: String,
    pub cron: String,
    pub timezone: String,
    pub action: Action,
    pub active: bool,
    pub next_run_at: Option<DateTime<Utc>>,
    pub created_by: Uuid,
    pub created_at: DateTime<Utc>,
}

fn view(s: ScheduleRow) -> ApiResult<ScheduleView> {
    Ok(ScheduleView {
        action: stored(&s.action)?,
        id: s.id,
        tenant_id: s.tenant_id,
        name: s.name,
        cron: s.cron,
        timezone: s.timezone,
        active: s.active,
        next_run_at: s.next_run_at,
        created_by: s.created_by,
        created_at: s.created_at,
    })
}

#[utoipa::path(post, path = "/api/v1/schedules", tag = "dispatch", security(("bearer" = [])), request_body = NewSchedule,
    description = "A recurring maintenance job for a tenant: each tick of the cron expression, read in the time zone, \
        opens a service request, exactly once however many scheduler replicas run.",
    responses((status = 201, body = ScheduleView), (status = 403, body = Problem), (status = 422, body = Problem)))]
pub async fn create(
    state: web::Data<SchedulerState>,
    principal: Principal,
    req: HttpRequest,
    body: web::Json<Value>,
) -> ApiResult<HttpResponse> {
    principal.require_any(&[Role::Dispatcher, Role::ProviderAdmin])?;
    let mut new: NewSchedule = parse(body.into_inner())?;
    let mut v = Violations::new();
    let name = canopy_kernel::validate::clean_text(&new.name, 100).unwrap_or_else(|m| {
        v.add("name", m);
        String::new()
    });
    new.action.validate(&mut v);
    match (new.tenant_id, new.action.is_system()) {
        (Some(_), true) => {
            v.add("tenant_id", "a system job runs for the whole provider: leave the tenant out")
        }
        (None, false) => v.add("tenant_id", "a maintenance job needs the tenant it is for"),
        _ => {}
    }
    let recurrence = match Recurrence::parse(new.cron.trim(), new.timezone.trim()) {
        Ok(r) => Some(r),
        Err(problems) => {
            for (field, message) in problems {
                v.add(field, message);
            }
            None
        }
    };
    let now = state.now();
    let next = recurrence.as_ref().and_then(|r| r.next_after(now));
    if recurrence.is_some() && next.is_none() {
        v.add("cron", "never matches (e.g. 30 February)");
    }
    // The tenant must exist and be visible to the caller.
    if let Some(tenant) = new.tenant_id {
        let token = bearer_token(&req).unwrap_or_default();
        let found = match state.tenants.tenant(token, tenant).await {
            Ok(_) => true,
            // Not there, or not one the caller may see.
            Err(e) if e.is_refusal() => false,
            Err(e) => return Err(e.into()),
        };
        v.check(found, "tenant_id", "no such tenant");
    }
    v.into_result()?;
    let row = state
        .jobs
        .create_schedule(ScheduleRow {
            id: Uuid::now_v7(),
            tenant_id: new.tenant_id,
            name,
            cron: new.cron.trim().to_owned(),
            timezone: new.timezone.trim().to_owned(),
            action: serde_json::to_value(&new.action).map_err(ApiError::internal)?,
            active: true,
            next_run_at: next,
            created_by: principal.subject,
            created_at: now,
        })
        .await?;
    Ok(HttpResponse::Created()
        .insert_header(("location", format!("/api/v1/schedules/{}", row.id)))
        .json(view(row)?))
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ScheduleQuery {
    pub tenant_id: Option<Uuid>,
    /// At most this many (default 100, at most 500).
    pub limit: Option<u64>,
}

fn scope(principal: &Principal, tenant: Option<Uuid>) -> ApiResult<ListScope> {
    principal.require_any(&READERS)?;
    match tenant {
        Some(t) => Ok(ListScope::Tenant(principal.scope_for(t)?)),
        None => Ok(principal.list_scope()),
    }
}

fn limit(l: Option<u64>) -> ApiResult<u64> {
    match l.unwrap_or(100) {
        l @ 1..=500 => Ok(l),
        _ => Err(ApiError::invalid("limit", "must be 1–500")),
    }
}

#[utoipa::path(get, path = "/api/v1/schedules", tag = "dispatch", security(("bearer" = [])), params(ScheduleQuery),
    responses((status = 200, body = Vec<ScheduleView>), (status = 403, body = Problem)))]
pub async fn list(
    state: web::Data<SchedulerState>,
    principal: Principal,
    query: web::Query<ScheduleQuery>,
) -> ApiResult<HttpResponse> {
    let scope = scope(&principal, query.tenant_id)?;
    let rows = state.jobs.schedules(&scope, limit(query.limit)?).await?;
    Ok(HttpResponse::Ok().json(rows.into_iter().map(view).collect::<ApiResult<Vec<_>>>()?))
}

#[utoipa::path(get, path = "/api/v1/schedules/{id}", tag = "dispatch", security(("bearer" = [])), params(("id" = Uuid, Path)),
    responses((status = 200, body = ScheduleView), (status = 404, body = Problem)))]
pub async fn get(
    state: web::Data<SchedulerState>,
    principal: Principal,
    id: web::Path<Uuid>,
) -> ApiResult<HttpResponse> {
    principal.require_any(&READERS)?;
    let s = state.jobs.schedule(*id).await?;
    // Another tenant's schedule is simply not found.
    if let Some(own) = principal.tenant_id
        && s.tenant_id != Some(own.0)
    {
        return Err(ApiError::not_found("schedule"));
    }
    Ok(HttpResponse::Ok().json(view(s)?))
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[schema(as = JobRun)]
pub struct RunView {
    pub schedule_id: Uuid,
    pub tenant_id: Option<Uuid>,
    /// The tick this run is for.
    pub due_at: DateTime<Utc>,
    /// `running`, `succeeded` or `failed`.
    pub status: String,
    /// The scheduler replica that holds (or held) it.
    pub owner: String,
    pub attempts: i32,
    pub started_at: DateTime<Utc>,
    pub finished_at: Option<DateTime<Utc>>,
    pub outcome: Option<Value>,
}

impl From<RunRow> for RunView {
    fn from(r: RunRow) -> Self {
        Self {
            schedule_id: r.schedule_id,
            tenant_id: r.tenant_id,
            due_at: r.due_at,
            status: r.status,
            owner: r.owner,
            attempts: r.attempts,
            started_at: r.started_at,
            finished_at: r.finished_at,
            outcome: r.outcome,
        }
    }
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct RunQuery {
    pub tenant_id: Option<Uuid>,
    pub schedule_id: Option<Uuid>,
    pub limit: Option<u64>,
}

#[utoipa::path(get, path = "/api/v1/jobs", tag = "dispatch", security(("bearer" = [])), params(RunQuery),
    description = "Run history of recurring jobs, newest first.",
    responses((status = 200, body = Vec<RunView>), (status = 403, body = Problem)))]
pub async fn runs(
    state: web::Data<SchedulerState>,
    principal: Principal,
    query: web::Query<RunQuery>,
) -> ApiResult<HttpResponse> {
    let scope = scope(&principal, query.tenant_id)?;
    let rows = state.jobs.runs(&scope, query.schedule_id, limit(query.limit)?).await?;
    Ok(HttpResponse::Ok().json(rows.into_iter().map(RunView::from).collect::<Vec<_>>()))
}
