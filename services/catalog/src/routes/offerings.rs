use actix_web::{HttpResponse, web};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use canopy_kernel::auth::Role;
use canopy_kernel::http::{Page, PageParams};
use canopy_kernel::{ApiError, ApiResult, Principal, Problem};

use super::{parse, stored};
use crate::domain::{NewPlan, NewService, NewTier, Unit};
use crate::state::CatalogState;
use crate::store::offerings::{PlanRow, ServiceRow, TierRow};

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(
        web::resource("/api/v1/catalog/services")
            .route(web::post().to(create_service))
            .route(web::get().to(list_services)),
    )
    .route("/api/v1/catalog/services/{id}", web::get().to(get_service))
    .service(
        web::resource("/api/v1/catalog/tiers")
            .route(web::post().to(create_tier))
            .route(web::get().to(list_tiers)),
    )
    .route("/api/v1/catalog/tiers/{id}", web::get().to(get_tier))
    .service(
        web::resource("/api/v1/catalog/plans")
            .route(web::post().to(create_plan))
            .route(web::get().to(list_plans)),
    )
    .route("/api/v1/catalog/plans/{id}", web::get().to(get_plan));
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct ServiceView {
    pub id: Uuid,
    pub key: String,
    pub name: String,
    pub description: String,
    pub active: bool,
    pub created_at: DateTime<Utc>,
}

impl From<ServiceRow> for ServiceView {
    fn from(s: ServiceRow) -> Self {
        Self {
            id: s.id,
            key: s.key,
            name: s.name,
            description: s.description,
            active: s.active,
            created_at: s.created_at,
        }
    }
}

pub use canopy_api::catalog::{PlanView, TierView};

impl TryFrom<&TierRow> for TierView {
    type Error = ApiError;

    fn try_from(t: &TierRow) -> ApiResult<Self> {
        Ok(Self {
            id: t.id,
            name: t.name.clone(),
            coverage: stored(&serde_json::Value::String(t.coverage.clone()))?,
            targets: stored(&t.targets)?,
            availability_target_bp: t.availability_target_bp,
            credit_policy: stored(&t.credit_policy)?,
            rate_limit: t.rate_limit.as_ref().map(stored).transpose()?,
            created_at: t.created_at,
        })
    }
}

impl TryFrom<&PlanRow> for PlanView {
    type Error = ApiError;

    fn try_from(p: &PlanRow) -> ApiResult<Self> {
        Ok(Self {
            id: p.id,
            name: p.name.clone(),
            tier_id: p.tier_id,
            service_ids: stored(&p.service_ids)?,
            unit: Unit::parse(&p.unit)
                .ok_or_else(|| ApiError::internal(anyhow::anyhow!("bad unit {}", p.unit)))?,
            unit_price_minor: p.unit_price_minor,
            currency: p.currency.clone(),
            included_onsite_mins: p.included_onsite_mins,
            extra_hour_minor: p.extra_hour_minor,
            created_at: p.created_at,
        })
    }
}

fn created<T: Serialize>(location: String, body: &T) -> HttpResponse {
    HttpResponse::Created().insert_header(("location", location)).json(body)
}

/// Anyone signed in may read the catalogue; only provider admins change it.
fn reader(principal: &Principal) -> ApiResult<()> {
    principal.require_any(&Role::ALL)
}

fn editor(principal: &Principal) -> ApiResult<()> {
    principal.require_any(&[Role::ProviderAdmin])
}

#[utoipa::path(post, path = "/api/v1/catalog/services", tag = "catalog", security(("bearer" = [])), request_body = NewService,
    responses((status = 201, body = ServiceView), (status = 409, body = Problem), (status = 422, body = Problem)))]
pub async fn create_service(
    state: web::Data<CatalogState>,
    principal: Principal,
    body: web::Json<serde_json::Value>,
) -> ApiResult<HttpResponse> {
    editor(&principal)?;
    let mut new: NewService = parse(body.into_inner())?;
    new.validate().into_result()?;
    let row = state.offerings.create_service(new, state.now()).await?;
    Ok(created(format!("/api/v1/catalog/services/{}", row.id), &ServiceView::from(row)))
}

#[utoipa::path(get, path = "/api/v1/catalog/services", tag = "catalog", security(("bearer" = [])), params(PageParams),
    responses((status = 200, body = Page<ServiceView>)))]
pub async fn list_services(
    state: web::Data<CatalogState>,
    principal: Principal,
    page: web::Query<PageParams>,
) -> ApiResult<HttpResponse> {
    reader(&principal)?;
    let (rows, limit) = state.offerings.services(&page).await?;
    Ok(HttpResponse::Ok().json(Page::from_rows(rows, limit, |s| s.id).map(ServiceView::from)))
}

#[utoipa::path(get, path = "/api/v1/catalog/services/{id}", tag = "catalog", security(("bearer" = [])), params(("id" = Uuid, Path)),
    responses((status = 200, body = ServiceView), (status = 404, body = Problem)))]
pub async fn get_service(
    state: web::Data<CatalogState>,
    principal: Principal,
    id: web::Path<Uuid>,
) -> ApiResult<HttpResponse> {
    reader(&principal)?;
    Ok(HttpResponse::Ok().json(ServiceView::from(state.offerings.service(*id).await?)))
}

#[utoipa::path(post, path = "/api/v1/catalog/tiers", tag = "catalog", security(("bearer" = [])), request_body = NewTier,
    description = "An SLA tier: targets per priority and metric, coverage, availability target, credit policy (basis points).",
    responses((status = 201, body = TierView), (status = 409, body = Problem), (status = 422, body = Problem)))]
pub async fn create_tier(
    state: web::Data<CatalogState>,
    principal: Principal,
    body: web::Json<serde_json::Value>,
) -> ApiResult<HttpResponse> {
    editor(&principal)?;
    let mut new: NewTier = parse(body.into_inner())?;
    new.validate().into_result()?;
    let row = state.offerings.create_tier(&new, state.now()).await?;
    Ok(created(format!("/api/v1/catalog/tiers/{}", row.id), &TierView::try_from(&row)?))
}

#[utoipa::path(get, path = "/api/v1/catalog/tiers", tag = "catalog", security(("bearer" = [])), params(PageParams),
    responses((status = 200, body = Page<TierView>)))]
pub async fn list_tiers(
    state: web::Data<CatalogState>,
    principal: Principal,
    page: web::Query<PageParams>,
) -> ApiResult<HttpResponse> {
    reader(&principal)?;
    let (rows, limit) = state.offerings.tiers(&page).await?;
    let page = Page::from_rows(rows, limit, |t| t.id);
    let items = page.items.iter().map(TierView::try_from).collect::<ApiResult<Vec<_>>>()?;
    Ok(HttpResponse::Ok().json(Page { items, next_cursor: page.next_cursor }))
}

#[utoipa::path(get, path = "/api/v1/catalog/tiers/{id}", tag = "catalog", security(("bearer" = [])), params(("id" = Uuid, Path)),
    responses((status = 200, body = TierView), (status = 404, body = Problem)))]
pub async fn get_tier(
    state: web::Data<CatalogState>,
    principal: Principal,
    id: web::Path<Uuid>,
) -> ApiResult<HttpResponse> {
    reader(&principal)?;
    Ok(HttpResponse::Ok().json(TierView::try_from(&state.offerings.tier(*id).await?)?))
}

#[utoipa::path(post, path = "/api/v1/catalog/plans", tag = "catalog", security(("bearer" = [])), request_body = NewPlan,
    description = "A plan: a tier with a set of services, a unit, a monthly unit price in minor units, and what is included.",
    responses((status = 201, body = PlanView), (status = 409, body = Problem), (status = 422, body = Problem)))]
pub async fn create_plan(
    state: web::Data<CatalogState>,
    principal: Principal,
    body: web::Json<serde_json::Value>,
) -> ApiResult<HttpResponse> {
    editor(&principal)?;
    let mut new: NewPlan = parse(body.into_inner())?;
    let mut v = new.validate();
    if state.offerings.tier(new.tier_id).await.is_err() {
        v.add("tier_id", "no such tier");
    }
    for id in state.offerings.missing_services(&new.service_ids).await? {
        let i = new.service_ids.iter().position(|s| *s == id).unwrap_or_default();
        v.add(format!("service_ids[{i}]"), "no such service");
    }
    v.into_result()?;
    let row = state.offerings.create_plan(&new, state.now()).await?;
    Ok(created(format!("/api/v1/catalog/plans/{}", row.id), &PlanView::try_from(&row)?))
}

#[utoipa::path(get, path = "/api/v1/catalog/plans", tag = "catalog", security(("bearer" = [])), params(PageParams),
    responses((status = 200, body = Page<PlanView>)))]
pub async fn list_plans(
    state: web::Data<CatalogState>,
    principal: Principal,
    page: web::Query<PageParams>,
) -> ApiResult<HttpResponse> {
    reader(&principal)?;
    let (rows, limit) = state.offerings.plans(&page).await?;
    let page = Page::from_rows(rows, limit, |p| p.id);
    let items = page.items.iter().map(PlanView::try_from).collect::<ApiResult<Vec<_>>>()?;
    Ok(HttpResponse::Ok().json(Page { items, next_cursor: page.next_cursor }))
}

#[utoipa::path(get, path = "/api/v1/catalog/plans/{id}", tag = "catalog", security(("bearer" = [])), params(("id" = Uuid, Path)),
    responses((status = 200, body = PlanView), (status = 404, body = Problem)))]
pub async fn get_plan(
    state: web::Data<CatalogState>,
    principal: Principal,
    id: web::Path<Uuid>,
) -> ApiResult<HttpResponse> {
    reader(&principal)?;
    Ok(HttpResponse::Ok().json(PlanView::try_from(&state.offerings.plan(*id).await?)?))
}
