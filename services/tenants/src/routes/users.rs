use actix_web::{HttpResponse, web};
use serde::Deserialize;
use utoipa::ToSchema;
use uuid::Uuid;

use canopy_kernel::auth::Role;
use canopy_kernel::http::{Page, PageParams};
use canopy_kernel::validate::normalize_email;
use canopy_kernel::{ApiError, ApiResult, Principal, Problem, Violations};

use crate::domain::user::{check_display_name, check_email, check_password, parse_roles, roles_from_column};
use crate::state::TenantsState;
use crate::store::users::{NewUser, UserPatch, UserRow, UserScope};

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(
        web::resource("/api/v1/tenants/{tenant_id}/users")
            .route(web::post().to(create_tenant_user))
            .route(web::get().to(list_tenant_users)),
    )
    .service(
        web::resource("/api/v1/tenants/{tenant_id}/users/{id}")
            .route(web::get().to(get_tenant_user))
            .route(web::patch().to(update_tenant_user))
            .route(web::delete().to(deactivate_tenant_user)),
    )
    .service(
        web::resource("/api/v1/users").route(web::post().to(create_staff)).route(web::get().to(list_staff)),
    )
    .service(
        web::resource("/api/v1/users/{id}")
            .route(web::get().to(get_staff))
            .route(web::patch().to(update_staff))
            .route(web::delete().to(deactivate_staff)),
    );
}

use canopy_api::tenants::Locale;
pub use canopy_api::tenants::UserView;

impl From<UserRow> for UserView {
    fn from(u: UserRow) -> Self {
        Self {
            id: u.id,
            tenant_id: u.tenant_id,
            email: u.email,
            display_name: u.display_name,
            roles: roles_from_column(&u.roles),
            active: u.active,
            last_login_at: u.last_login_at,
            created_at: u.created_at,
            updated_at: u.updated_at,
            locale: u.locale.as_deref().and_then(Locale::from_tag),
        }
    }
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewUserRequest {
    #[schema(example = "li.wei@acme.example")]
    pub email: String,
    #[schema(example = "Li Wei")]
    pub display_name: String,
    /// 10–256 characters.
    pub password: String,
    /// Tenant users: `requester`, `tenant_admin`. Provider staff: `agent`, `engineer`, `dispatcher`, `provider_admin`.
    /// A tenant's first admin (`admin` of `POST /tenants`) is always `tenant_admin`.
    #[serde(default)]
    #[schema(example = json!(["requester"]))]
    pub roles: Vec<String>,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PatchUserRequest {
    pub display_name: Option<String>,
    /// A change ends the user's current access tokens at once; their next sign-in or refresh
    /// carries the new roles.
    pub roles: Option<Vec<String>>,
    /// `false` deactivates the user and ends their sessions and access tokens at once.
    pub active: Option<bool>,
    /// Sets a new password and ends the user's sessions and access tokens at once.
    pub password: Option<String>,
}

/// Who a new user will be.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Joining {
    Tenant,
    Provider,
    /// The first admin of a tenant being created: problems are reported under `admin.`.
    FirstAdmin,
}

/// Checks a new user's fields; returns (email, name, password, roles).
pub fn validate_new_user(
    body: NewUserRequest,
    joining: Joining,
    v: &mut Violations,
) -> (String, String, String, Vec<Role>) {
    let mut own = Violations::new();
    check_email(&body.email, &mut own);
    let name = check_display_name(&body.display_name, &mut own);
    check_password(&body.password, "password", &mut own);
    let roles = match joining {
        Joining::FirstAdmin => {
            if body.roles.iter().any(|r| r != Role::TenantAdmin.as_str()) {
                own.add("roles", "a tenant's first admin is a tenant_admin; leave roles out");
            }
            vec![Role::TenantAdmin]
        }
        Joining::Tenant => parse_roles(&body.roles, true, &mut own),
        Joining::Provider => parse_roles(&body.roles, false, &mut own),
    };
    let prefix = if joining == Joining::FirstAdmin { "admin." } else { "" };
    if let Err(err) = own.into_result() {
        for e in err.field_errors() {
            v.add(format!("{prefix}{}", e.field), e.message.clone());
        }
    }
    (normalize_email(&body.email), name, body.password, roles)
}

fn tenant_scope(principal: &Principal, tenant: Uuid) -> ApiResult<UserScope> {
    Ok(UserScope::Tenant(principal.scope_for(tenant)?))
}

/// Provider staff are managed by provider admins; other provider roles may read them.
fn staff_scope(principal: &Principal, write: bool) -> ApiResult<UserScope> {
    if !principal.is_provider() {
        // A tenant user asking for provider staff learns nothing about them.
        return Err(ApiError::not_found("user"));
    }
    if write {
        principal.require_any(&[Role::ProviderAdmin])?;
    }
    Ok(UserScope::Provider)
}

async fn ensure_writable(state: &TenantsState, principal: &Principal, scope: UserScope) -> ApiResult<()> {
    if let UserScope::Tenant(t) = scope {
        state.ensure_writable(principal, &t).await?;
    }
    Ok(())
}

async fn create(
    state: &TenantsState,
    principal: &Principal,
    scope: UserScope,
    body: NewUserRequest,
) -> ApiResult<HttpResponse> {
    ensure_writable(state, principal, scope).await?;
    let mut v = Violations::new();
    let joining = if scope.tenant_id().is_some() { Joining::Tenant } else { Joining::Provider };
    let (email, display_name, password, roles) = validate_new_user(body, joining, &mut v);
    v.into_result()?;
    let password_hash = state.hash_password(password).await?;
    let user =
        state.users.create(scope, NewUser { email, display_name, password_hash, roles }, state.now()).await?;
    tracing::info!(user = %user.id, tenant = ?user.tenant_id, "user created");
    let location = match user.tenant_id {
        Some(t) => format!("/api/v1/tenants/{t}/users/{}", user.id),
        None => format!("/api/v1/users/{}", user.id),
    };
    Ok(HttpResponse::Created().insert_header(("location", location)).json(UserView::from(user)))
}

async fn list(state: &TenantsState, scope: UserScope, page: &PageParams) -> ApiResult<HttpResponse> {
    let (rows, limit) = state.users.list(scope, page).await?;
    Ok(HttpResponse::Ok().json(Page::from_rows(rows, limit, |u| u.id).map(UserView::from)))
}

async fn update(
    state: &TenantsState,
    principal: &Principal,
    scope: UserScope,
    id: Uuid,
    body: PatchUserRequest,
) -> ApiResult<HttpResponse> {
    ensure_writable(state, principal, scope).await?;
    let mut v = Violations::new();
    let display_name = body.display_name.as_deref().map(|n| check_display_name(n, &mut v));
    let roles = body.roles.as_ref().map(|r| parse_roles(r, scope.tenant_id().is_some(), &mut v));
    if let Some(password) = &body.password {
        check_password(password, "password", &mut v);
    }
    if id == principal.subject
        && (body.active == Some(false)
            || roles.as_ref().is_some_and(|r| !r.iter().any(|r| principal.has_role(*r))))
    {
        v.add("active", "you cannot deactivate yourself or drop your own roles; ask another admin");
    }
    v.into_result()?;
    let password_hash = match body.password {
        Some(p) => Some(state.hash_password(p).await?),
        None => None,
    };
    let patch = UserPatch { display_name, roles, active: body.active, password_hash, locale: None };
    let change = state.users.update(scope, id, patch, state.now(), state.revocation_expires_at()).await?;
    if let Some(cursor) = change.revoked {
        state.announce_revocation(cursor, change.user.tenant_id).await;
        tracing::info!(user = %change.user.id, generation = change.user.access_generation, "user's earlier access withdrawn");
    }
    Ok(HttpResponse::Ok().json(UserView::from(change.user)))
}

async fn deactivate(
    state: &TenantsState,
    principal: &Principal,
    scope: UserScope,
    id: Uuid,
) -> ApiResult<HttpResponse> {
    ensure_writable(state, principal, scope).await?;
    if id == principal.subject {
        return Err(ApiError::conflict("You cannot deactivate yourself; ask another admin"));
    }
    let patch = UserPatch { active: Some(false), ..UserPatch::default() };
    let change = state.users.update(scope, id, patch, state.now(), state.revocation_expires_at()).await?;
    if let Some(cursor) = change.revoked {
        state.announce_revocation(cursor, change.user.tenant_id).await;
    }
    tracing::info!(user = %change.user.id, "user deactivated; their access withdrawn");
    Ok(HttpResponse::NoContent().finish())
}

const TENANT_MANAGERS: [Role; 2] = [Role::TenantAdmin, Role::ProviderAdmin];
const TENANT_READERS: [Role; 5] =
    [Role::TenantAdmin, Role::Agent, Role::Engineer, Role::Dispatcher, Role::ProviderAdmin];

#[utoipa::path(post, path = "/api/v1/tenants/{tenant_id}/users", tag = "users", security(("bearer" = [])), request_body = NewUserRequest,
    params(("tenant_id" = Uuid, Path)), responses((status = 201, body = UserView), (status = 409, body = Problem), (status = 422, body = Problem)))]
pub async fn create_tenant_user(
    state: web::Data<TenantsState>,
    principal: Principal,
    path: web::Path<Uuid>,
    body: web::Json<NewUserRequest>,
) -> ApiResult<HttpResponse> {
    let scope = tenant_scope(&principal, *path)?;
    principal.require_any(&TENANT_MANAGERS)?;
    create(&state, &principal, scope, body.into_inner()).await
}

#[utoipa::path(get, path = "/api/v1/tenants/{tenant_id}/users", tag = "users", security(("bearer" = [])),
    params(("tenant_id" = Uuid, Path), PageParams), responses((status = 200, body = Page<UserView>), (status = 404, body = Problem)))]
pub async fn list_tenant_users(
    state: web::Data<TenantsState>,
    principal: Principal,
    path: web::Path<Uuid>,
    page: web::Query<PageParams>,
) -> ApiResult<HttpResponse> {
    let scope = tenant_scope(&principal, *path)?;
    principal.require_any(&TENANT_READERS)?;
    list(&state, scope, &page).await
}

#[utoipa::path(get, path = "/api/v1/tenants/{tenant_id}/users/{id}", tag = "users", security(("bearer" = [])),
    params(("tenant_id" = Uuid, Path), ("id" = Uuid, Path)), responses((status = 200, body = UserView), (status = 404, body = Problem)))]
pub async fn get_tenant_user(
    state: web::Data<TenantsState>,
    principal: Principal,
    path: web::Path<(Uuid, Uuid)>,
) -> ApiResult<HttpResponse> {
    let (tenant, id) = path.into_inner();
    let scope = tenant_scope(&principal, tenant)?;
    if id != principal.subject {
        principal.require_any(&TENANT_READERS)?;
    }
    Ok(HttpResponse::Ok().json(UserView::from(state.users.get(scope, id).await?)))
}

#[utoipa::path(patch, path = "/api/v1/tenants/{tenant_id}/users/{id}", tag = "users", security(("bearer" = [])), request_body = PatchUserRequest,
    params(("tenant_id" = Uuid, Path), ("id" = Uuid, Path)), responses((status = 200, body = UserView), (status = 404, body = Problem), (status = 422, body = Problem)))]
pub async fn update_tenant_user(
    state: web::Data<TenantsState>,
    principal: Principal,
    path: web::Path<(Uuid, Uuid)>,
    body: web::Json<PatchUserRequest>,
) -> ApiResult<HttpResponse> {
    let (tenant, id) = path.into_inner();
    let scope = tenant_scope(&principal, tenant)?;
    principal.require_any(&TENANT_MANAGERS)?;
    update(&state, &principal, scope, id, body.into_inner()).await
}

#[utoipa::path(delete, path = "/api/v1/tenants/{tenant_id}/users/{id}", tag = "users", security(("bearer" = [])),
    description = "Deactivates the user (kept for history) and ends their sessions and access tokens at once.",
    params(("tenant_id" = Uuid, Path), ("id" = Uuid, Path)), responses((status = 204), (status = 404, body = Problem),
        (status = 409, body = Problem, description = "You cannot deactivate yourself")))]
pub async fn deactivate_tenant_user(
    state: web::Data<TenantsState>,
    principal: Principal,
    path: web::Path<(Uuid, Uuid)>,
) -> ApiResult<HttpResponse> {
    let (tenant, id) = path.into_inner();
    let scope = tenant_scope(&principal, tenant)?;
    principal.require_any(&TENANT_MANAGERS)?;
    deactivate(&state, &principal, scope, id).await
}

#[utoipa::path(post, path = "/api/v1/users", tag = "users", security(("bearer" = [])), request_body = NewUserRequest,
    description = "Creates a provider staff member (agent, engineer, dispatcher, provider admin).",
    responses((status = 201, body = UserView), (status = 404, body = Problem, description = "A tenant's user asks: staff are not theirs to see"),
        (status = 409, body = Problem), (status = 422, body = Problem)))]
pub async fn create_staff(
    state: web::Data<TenantsState>,
    principal: Principal,
    body: web::Json<NewUserRequest>,
) -> ApiResult<HttpResponse> {
    let scope = staff_scope(&principal, true)?;
    create(&state, &principal, scope, body.into_inner()).await
}

#[utoipa::path(get, path = "/api/v1/users", tag = "users", security(("bearer" = [])), params(PageParams),
    responses((status = 200, body = Page<UserView>),
        (status = 404, body = Problem, description = "A tenant's user asks: staff are not theirs to see")))]
pub async fn list_staff(
    state: web::Data<TenantsState>,
    principal: Principal,
    page: web::Query<PageParams>,
) -> ApiResult<HttpResponse> {
    let scope = staff_scope(&principal, false)?;
    list(&state, scope, &page).await
}

#[utoipa::path(get, path = "/api/v1/users/{id}", tag = "users", security(("bearer" = [])), params(("id" = Uuid, Path)),
    responses((status = 200, body = UserView), (status = 404, body = Problem)))]
pub async fn get_staff(
    state: web::Data<TenantsState>,
    principal: Principal,
    id: web::Path<Uuid>,
) -> ApiResult<HttpResponse> {
    let scope = staff_scope(&principal, false)?;
    Ok(HttpResponse::Ok().json(UserView::from(state.users.get(scope, *id).await?)))
}

#[utoipa::path(patch, path = "/api/v1/users/{id}", tag = "users", security(("bearer" = [])), request_body = PatchUserRequest,
    params(("id" = Uuid, Path)), responses((status = 200, body = UserView), (status = 404, body = Problem), (status = 422, body = Problem)))]
pub async fn update_staff(
    state: web::Data<TenantsState>,
    principal: Principal,
    id: web::Path<Uuid>,
    body: web::Json<PatchUserRequest>,
) -> ApiResult<HttpResponse> {
    let scope = staff_scope(&principal, true)?;
    update(&state, &principal, scope, *id, body.into_inner()).await
}

#[utoipa::path(delete, path = "/api/v1/users/{id}", tag = "users", security(("bearer" = [])), params(("id" = Uuid, Path)),
    responses((status = 204), (status = 404, body = Problem),
        (status = 409, body = Problem, description = "You cannot deactivate yourself")))]
pub async fn deactivate_staff(
    state: web::Data<TenantsState>,
    principal: Principal,
    id: web::Path<Uuid>,
) -> ApiResult<HttpResponse> {
    let scope = staff_scope(&principal, true)?;
    deactivate(&state, &principal, scope, *id).await
}
