//! `/engineers`: the provider's engineers. Provider staff read them; dispatchers and provider
//! admins change them. A tenant's users never see them (403): engineers serve every tenant.

use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, web};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use canopy_kernel::auth::Role;
use canopy_kernel::http::{Page, PageParams};
use canopy_kernel::{ApiError, ApiResult, Principal, Problem};

use super::parse;
use crate::domain::engineer::{EngineerSpec, GeoPoint, Skill, TimeOff};
use crate::state::SchedulerState;
use crate::store::engineers::{EngineerRow, ListFilter, spec_of};

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(web::resource("/api/v1/engineers").route(web::post().to(create)).route(web::get().to(list)))
        .service(
            web::resource("/api/v1/engineers/{id}").route(web::get().to(get)).route(web::patch().to(update)),
        );
}

const READERS: [Role; 4] = [Role::Agent, Role::Engineer, Role::Dispatcher, Role::ProviderAdmin];
const MANAGERS: [Role; 2] = [Role::Dispatcher, Role::ProviderAdmin];

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct EngineerView {
    pub id: Uuid,
    pub user_id: Option<Uuid>,
    pub name: String,
    pub email: String,
    pub support_level: u8,
    pub skills: Vec<Skill>,
    pub home_region: String,
    /// Every region covered, the home region included.
    pub regions: Vec<String>,
    pub timezone: String,
    #[schema(value_type = Object)]
    pub shifts: Value,
    pub time_off: Vec<TimeOff>,
    pub capacity: u32,
    pub on_call: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub base: Option<GeoPoint>,
    pub active: bool,
    /// Working right now: in a shift and not on time off.
    pub on_shift: bool,
    /// When the engineer is next free to take work: now when on shift with room under their
    /// capacity; else the next shift start (when at capacity, once a ticket is released:
    /// `null`). Looked ahead 14 days.
    pub next_free_at: Option<DateTime<Utc>>,
    /// Open tickets assigned now (of `capacity`).
    pub load: u32,
    pub version: i64,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

fn view(e: EngineerRow, now: DateTime<Utc>, load: u32) -> ApiResult<EngineerView> {
    let spec = spec_of(&e)?;
    Ok(EngineerView {
        on_shift: e.active && spec.on_shift(now),
        next_free_at: if e.active && load < spec.capacity {
            spec.next_working(now, now + chrono::TimeDelta::days(14))
        } else {
            None
        },
        load,
        id: e.id,
        user_id: e.user_id,
        name: spec.name,
        email: spec.email,
        support_level: spec.support_level,
        skills: spec.skills,
        home_region: spec.home_region,
        regions: spec.regions,
        timezone: spec.timezone,
        shifts: e.shifts,
        time_off: spec.time_off,
        capacity: spec.capacity,
        on_call: spec.on_call,
        base: spec.base,
        active: e.active,
        version: e.version,
        created_at: e.created_at,
        updated_at: e.updated_at,
    })
}

async fn answer(
    state: &SchedulerState,
    status: actix_web::http::StatusCode,
    e: EngineerRow,
    now: DateTime<Utc>,
) -> ApiResult<HttpResponse> {
    let etag = format!("\"{}\"", e.version);
    let load = state.dispatch.loads().await?.get(&e.id).copied().unwrap_or(0);
    Ok(HttpResponse::build(status).insert_header((header::ETAG, etag)).json(view(e, now, load)?))
}

#[utoipa::path(post, path = "/api/v1/engineers", tag = "dispatch", security(("bearer" = [])), request_body = EngineerSpec,
    description = "Adds an engineer to the dispatch team (dispatchers and provider admins).",
    responses((status = 201, body = EngineerView), (status = 403, body = Problem), (status = 409, body = Problem),
        (status = 422, body = Problem)))]
pub async fn create(
    state: web::Data<SchedulerState>,
    principal: Principal,
    body: web::Json<Value>,
) -> ApiResult<HttpResponse> {
    principal.require_any(&MANAGERS)?;
    let mut spec: EngineerSpec = parse(body.into_inner())?;
    spec.validate().into_result()?;
    let now = state.now();
    let row = state.engineers.create(&spec, now).await?;
    tracing::info!(engineer = %row.id, "engineer added");
    let location = format!("/api/v1/engineers/{}", row.id);
    let mut res = answer(&state, actix_web::http::StatusCode::CREATED, row, now).await?;
    res.headers_mut()
        .insert(header::LOCATION, header::HeaderValue::from_str(&location).map_err(ApiError::internal)?);
    Ok(res)
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct EngineerQuery {
    /// Engineers covering this region.
    pub region: Option<String>,
    /// Engineers with this skill (a category or tag).
    pub skill: Option<String>,
    pub support_level: Option<u8>,
    pub active: Option<bool>,
    pub limit: Option<u64>,
    pub cursor: Option<String>,
}

#[utoipa::path(get, path = "/api/v1/engineers", tag = "dispatch", security(("bearer" = [])), params(EngineerQuery),
    responses((status = 200, body = Page<EngineerView>), (status = 403, body = Problem), (status = 422, body = Problem)))]
pub async fn list(
    state: web::Data<SchedulerState>,
    principal: Principal,
    query: web::Query<EngineerQuery>,
) -> ApiResult<HttpResponse> {
    principal.require_any(&READERS)?;
    let q = query.into_inner();
    let key = |field: &str, v: Option<String>| -> ApiResult<Option<String>> {
        match v.map(|s| s.trim().to_lowercase()) {
            Some(s)
                if s.is_empty()
                    || s.len() > 40
                    || !s.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-') =>
            {
                Err(ApiError::invalid(field, "1–40 characters of a-z, 0-9, _ and -"))
            }
            other => Ok(other),
        }
    };
    if q.support_level.is_some_and(|l| !(1..=3).contains(&l)) {
        return Err(ApiError::invalid("support_level", "must be 1, 2 or 3"));
    }
    let filter = ListFilter {
        region: key("region", q.region)?,
        skill: key("skill", q.skill)?,
        support_level: q.support_level,
        active: q.active,
    };
    let (rows, limit) =
        state.engineers.list(&filter, &PageParams { limit: q.limit, cursor: q.cursor }).await?;
    let now = state.now();
    let page = Page::from_rows(rows, limit, |e| e.id);
    let loads = state.dispatch.loads().await?;
    let mut items = Vec::with_capacity(page.items.len());
    for e in page.items {
        let load = loads.get(&e.id).copied().unwrap_or(0);
        items.push(view(e, now, load)?);
    }
    Ok(HttpResponse::Ok().json(Page { items, next_cursor: page.next_cursor }))
}

#[utoipa::path(get, path = "/api/v1/engineers/{id}", tag = "dispatch", security(("bearer" = [])), params(("id" = Uuid, Path)),
    responses((status = 200, body = EngineerView), (status = 403, body = Problem), (status = 404, body = Problem)))]
pub async fn get(
    state: web::Data<SchedulerState>,
    principal: Principal,
    id: web::Path<Uuid>,
) -> ApiResult<HttpResponse> {
    principal.require_any(&READERS)?;
    answer(&state, actix_web::http::StatusCode::OK, state.engineers.get(*id).await?, state.now()).await
}

/// Any field of the engineer to replace; `active: false` takes them out of dispatch.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct EngineerPatch {
    pub name: Option<String>,
    pub email: Option<String>,
    pub user_id: Option<Uuid>,
    pub support_level: Option<u8>,
    pub skills: Option<Vec<Skill>>,
    pub home_region: Option<String>,
    pub regions: Option<Vec<String>>,
    pub timezone: Option<String>,
    #[schema(value_type = Option<Object>)]
    pub shifts: Option<canopy_sla::CalendarSpec>,
    pub time_off: Option<Vec<TimeOff>>,
    pub capacity: Option<u32>,
    pub on_call: Option<bool>,
    pub base: Option<GeoPoint>,
    pub active: Option<bool>,
}

#[utoipa::path(patch, path = "/api/v1/engineers/{id}", tag = "dispatch", security(("bearer" = [])), request_body = EngineerPatch,
    params(("id" = Uuid, Path), ("If-Match" = Option<String>, Header, description = "The ETag read; refuses lost updates")),
    responses((status = 200, body = EngineerView), (status = 403, body = Problem), (status = 404, body = Problem),
        (status = 412, body = Problem), (status = 422, body = Problem)))]
pub async fn update(
    state: web::Data<SchedulerState>,
    principal: Principal,
    req: HttpRequest,
    id: web::Path<Uuid>,
    body: web::Json<Value>,
) -> ApiResult<HttpResponse> {
    principal.require_any(&MANAGERS)?;
    let patch: EngineerPatch = parse(body.into_inner())?;
    let current = state.engineers.get(*id).await?;
    let version = canopy_kernel::http::if_match(&req)?.unwrap_or(current.version);
    let mut spec = spec_of(&current)?;
    let home_changed = patch.home_region.is_some() && patch.regions.is_none();
    macro_rules! take {
        ($($field:ident),*) => { $(if let Some(v) = patch.$field { spec.$field = v; })* };
    }
    take!(
        name,
        email,
        support_level,
        skills,
        home_region,
        regions,
        timezone,
        shifts,
        time_off,
        capacity,
        on_call
    );
    if patch.base.is_some() {
        spec.base = patch.base;
    }
    if patch.user_id.is_some() {
        spec.user_id = patch.user_id;
    }
    if home_changed {
        // The old home region stays covered only if it was listed on its own.
        spec.regions.retain(|r| *r != current.home_region);
    }
    spec.validate().into_result()?;
    let now = state.now();
    let row =
        state.engineers.update(*id, version, &spec, patch.active.unwrap_or(current.active), now).await?;
    answer(&state, actix_web::http::StatusCode::OK, row, now).await
}
