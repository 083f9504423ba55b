//! Second factors (TOTP) and the security audit.
//!
//! Provider staff and tenant admins may enrol an authenticator app: `enroll` answers a new
//! secret (shown this once) and its `otpauth://` URL, `confirm` activates it with a first
//! code; from then on every sign-in needs a code (`otp`). `disable` needs a current code;
//! an admin who lost the device is reset by an admin (provider admins for staff, the
//! tenant's admins or provider admins for a tenant's users). A code is accepted once.

use actix_web::{HttpResponse, web};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use canopy_kernel::auth::{PrincipalKind, Role};
use canopy_kernel::http::MAX_PAGE;
use canopy_kernel::{ApiError, ApiResult, Principal, Problem, TenantScope};

use crate::domain::totp;
use crate::state::TenantsState;
use crate::store::security::{AuditEntry, AuditRow};
use crate::store::users::{UserRow, UserScope};

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/api/v1/auth/totp", web::get().to(status))
        .route("/api/v1/auth/totp/enroll", web::post().to(enroll))
        .route("/api/v1/auth/totp/confirm", web::post().to(confirm))
        .route("/api/v1/auth/totp/disable", web::post().to(disable))
        .route("/api/v1/users/{id}/totp", web::delete().to(reset_staff))
        .route("/api/v1/tenants/{tenant_id}/users/{id}/totp", web::delete().to(reset_tenant_user))
        .route("/api/v1/auth/audit", web::get().to(audit));
}

/// The caller's second factor.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct TotpStatus {
    /// A confirmed factor: every sign-in needs a code.
    pub active: bool,
    /// Enrolled but not yet confirmed.
    pub pending: bool,
    /// The provider (staff) or the tenant (its admins) requires one.
    pub required: bool,
}

/// A new enrolment. The secret is shown this once; confirm it with a first code.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct TotpEnrollment {
    /// Base32, for typing into an authenticator app.
    pub secret: String,
    /// `otpauth://totp/...`, for a QR code.
    pub otpauth_url: String,
    /// Always SHA1, 6 digits, 30 seconds (RFC 6238 defaults every app supports).
    pub algorithm: String,
    pub digits: u32,
    pub period: u32,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TotpCode {
    /// The 6-digit code the app shows now.
    #[schema(example = "492039")]
    pub code: String,
}

/// Who may have a second factor: provider staff and tenant admins.
fn may_enrol(user: &UserRow) -> bool {
    let roles = crate::domain::user::roles_from_column(&user.roles);
    user.tenant_id.is_none() || roles.contains(&Role::TenantAdmin)
}

/// Does the provider (for staff) or the user's tenant (for its admins) require a factor?
pub async fn required_for(state: &TenantsState, user: &UserRow) -> ApiResult<bool> {
    match user.tenant_id {
        None => Ok(state.settings.login.require_staff_totp),
        Some(tenant) => {
            let roles = crate::domain::user::roles_from_column(&user.roles);
            if !roles.contains(&Role::TenantAdmin) {
                return Ok(false);
            }
            let scope = TenantScope::trusted(canopy_kernel::TenantId(tenant));
            let row = state.configs.current(&scope).await?;
            Ok(crate::store::configs::document(&row)?.security.require_totp_for_admins)
        }
    }
}

/// The signed-in user behind the token (API keys have none).
async fn caller(state: &TenantsState, principal: &Principal) -> ApiResult<UserRow> {
    if principal.kind != PrincipalKind::User || principal.is_service() {
        return Err(ApiError::forbidden("only a signed-in user has a second factor"));
    }
    let scope = match principal.tenant_id {
        Some(t) => UserScope::Tenant(principal.scope_for(t.0)?),
        None => UserScope::Provider,
    };
    state.users.get(scope, principal.subject).await
}

/// The step of a valid code, or 422 naming `code`.
fn checked_step(secret: &str, code: &str, state: &TenantsState) -> ApiResult<i64> {
    totp::matching_step(secret, code, state.login_now().timestamp())?
        .ok_or_else(|| ApiError::invalid("code", "is not the current code of your authenticator app"))
}

async fn audit_user(state: &TenantsState, user: &UserRow, kind: &str, detail: String) -> ApiResult<()> {
    let entry =
        AuditEntry { tenant_id: user.tenant_id, user_id: Some(user.id), email: &user.email, kind, detail };
    state.audit.record(entry, state.login_now()).await
}

#[utoipa::path(get, path = "/api/v1/auth/totp", tag = "auth", security(("bearer" = [])),
    responses((status = 200, body = TotpStatus), (status = 401, body = Problem), (status = 403, body = Problem)))]
pub async fn status(state: web::Data<TenantsState>, principal: Principal) -> ApiResult<HttpResponse> {
    let user = caller(&state, &principal).await?;
    let factor = state.totps.get(user.id).await?;
    Ok(HttpResponse::Ok().json(TotpStatus {
        active: factor.as_ref().is_some_and(|f| f.confirmed_at.is_some()),
        pending: factor.as_ref().is_some_and(|f| f.confirmed_at.is_none()),
        required: required_for(&state, &user).await?,
    }))
}

#[utoipa::path(post, path = "/api/v1/auth/totp/enroll", tag = "auth", security(("bearer" = [])),
    description = "Starts enrolling an authenticator app (provider staff and tenant admins). The secret is shown this once; \
        a new enrolment replaces one not yet confirmed. 409 while a confirmed factor is active.",
    responses((status = 201, body = TotpEnrollment), (status = 401, body = Problem), (status = 403, body = Problem), (status = 409, body = Problem)))]
pub async fn enroll(state: web::Data<TenantsState>, principal: Principal) -> ApiResult<HttpResponse> {
    let user = caller(&state, &principal).await?;
    if !may_enrol(&user) {
        return Err(ApiError::forbidden("second factors are for provider staff and tenant admins"));
    }
    let secret = totp::new_secret();
    let otpauth_url = totp::otpauth_url(&secret, &state.settings.login.totp_issuer, &user.email)?;
    state.totps.enroll(user.id, user.tenant_id, secret.clone(), state.login_now()).await?;
    Ok(HttpResponse::Created().insert_header(("cache-control", "no-store")).json(TotpEnrollment {
        secret,
        otpauth_url,
        algorithm: "SHA1".into(),
        digits: 6,
        period: totp::STEP_SECS as u32,
    }))
}

#[utoipa::path(post, path = "/api/v1/auth/totp/confirm", tag = "auth", security(("bearer" = [])), request_body = TotpCode,
    description = "Activates the pending enrolment with a current code; from then on every sign-in needs a code.",
    responses((status = 200, body = TotpStatus), (status = 401, body = Problem), (status = 404, body = Problem),
        (status = 409, body = Problem), (status = 422, body = Problem)))]
pub async fn confirm(
    state: web::Data<TenantsState>,
    principal: Principal,
    body: web::Json<TotpCode>,
) -> ApiResult<HttpResponse> {
    let user = caller(&state, &principal).await?;
    let factor = state.totps.get(user.id).await?.ok_or_else(|| ApiError::not_found("enrolment"))?;
    if factor.confirmed_at.is_some() {
        return Err(ApiError::conflict("The second factor is already active"));
    }
    let step = checked_step(&factor.secret, &body.code, &state)?;
    if !state.totps.spend(user.id, step, Some(state.login_now())).await? {
        return Err(ApiError::invalid("code", "was already used; wait for the next one"));
    }
    audit_user(&state, &user, "totp_enabled", "second factor confirmed".into()).await?;
    tracing::info!(user = %user.id, "second factor enabled");
    Ok(HttpResponse::Ok().json(TotpStatus {
        active: true,
        pending: false,
        required: required_for(&state, &user).await?,
    }))
}

#[utoipa::path(post, path = "/api/v1/auth/totp/disable", tag = "auth", security(("bearer" = [])), request_body = TotpCode,
    description = "Removes the caller's second factor; needs a current code (else an admin resets it).",
    responses((status = 204), (status = 401, body = Problem), (status = 404, body = Problem), (status = 422, body = Problem)))]
pub async fn disable(
    state: web::Data<TenantsState>,
    principal: Principal,
    body: web::Json<TotpCode>,
) -> ApiResult<HttpResponse> {
    let user = caller(&state, &principal).await?;
    let factor = state.totps.get(user.id).await?.ok_or_else(|| ApiError::not_found("second factor"))?;
    if factor.confirmed_at.is_some() {
        let step = checked_step(&factor.secret, &body.code, &state)?;
        if !state.totps.spend(user.id, step, None).await? {
            return Err(ApiError::invalid("code", "was already used; wait for the next one"));
        }
    }
    state.totps.remove(user.id).await?;
    audit_user(&state, &user, "totp_disabled", "removed by the user with a code".into()).await?;
    Ok(HttpResponse::NoContent().finish())
}

async fn reset(
    state: &TenantsState,
    principal: &Principal,
    scope: UserScope,
    id: Uuid,
) -> ApiResult<HttpResponse> {
    let user = state.users.get(scope, id).await?;
    if !state.totps.remove(user.id).await? {
        return Err(ApiError::not_found("second factor"));
    }
    audit_user(state, &user, "totp_reset", format!("reset by admin {}", principal.subject)).await?;
    tracing::info!(user = %user.id, by = %principal.subject, "second factor reset");
    Ok(HttpResponse::NoContent().finish())
}

#[utoipa::path(delete, path = "/api/v1/users/{id}/totp", tag = "users", security(("bearer" = [])),
    description = "A provider admin removes a staff member's second factor (a lost device); they enrol again.",
    params(("id" = Uuid, Path)), responses((status = 204), (status = 403, body = Problem), (status = 404, body = Problem)))]
pub async fn reset_staff(
    state: web::Data<TenantsState>,
    principal: Principal,
    path: web::Path<Uuid>,
) -> ApiResult<HttpResponse> {
    if !principal.is_provider() {
        return Err(ApiError::not_found("user"));
    }
    principal.require_any(&[Role::ProviderAdmin])?;
    reset(&state, &principal, UserScope::Provider, *path).await
}

#[utoipa::path(delete, path = "/api/v1/tenants/{tenant_id}/users/{id}/totp", tag = "users", security(("bearer" = [])),
    description = "The tenant's admins (or a provider admin) remove a user's second factor (a lost device).",
    params(("tenant_id" = Uuid, Path), ("id" = Uuid, Path)),
    responses((status = 204), (status = 403, body = Problem), (status = 404, body = Problem)))]
pub async fn reset_tenant_user(
    state: web::Data<TenantsState>,
    principal: Principal,
    path: web::Path<(Uuid, Uuid)>,
) -> ApiResult<HttpResponse> {
    let (tenant, id) = path.into_inner();
    let scope = principal.scope_for(tenant)?;
    principal.require_any(&[Role::TenantAdmin, Role::ProviderAdmin])?;
    reset(&state, &principal, UserScope::Tenant(scope), id).await
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct AuditQuery {
    /// Provider admins: one tenant's entries only.
    pub tenant_id: Option<Uuid>,
    pub limit: Option<u64>,
}

/// One security event: a burst of failed sign-ins, a second factor enabled, disabled or reset.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct SecurityEvent {
    pub id: Uuid,
    pub at: chrono::DateTime<chrono::Utc>,
    /// `login_throttled`, `totp_enabled`, `totp_disabled`, `totp_reset`.
    pub kind: String,
    /// The address signed in with (known or not).
    pub email: String,
    pub user_id: Option<Uuid>,
    pub tenant_id: Option<Uuid>,
    pub detail: String,
}

impl From<AuditRow> for SecurityEvent {
    fn from(r: AuditRow) -> Self {
        Self {
            id: r.id,
            at: r.at,
            kind: r.kind,
            email: r.email,
            user_id: r.user_id,
            tenant_id: r.tenant_id,
            detail: r.detail,
        }
    }
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct SecurityEvents {
    pub items: Vec<SecurityEvent>,
}

#[utoipa::path(get, path = "/api/v1/auth/audit", tag = "auth", security(("bearer" = [])), params(AuditQuery),
    description = "Security events, newest first. Provider admins see every entry (unknown addresses included); \
        a tenant admin sees the tenant's users' entries.",
    responses((status = 200, body = SecurityEvents), (status = 403, body = Problem), (status = 422, body = Problem)))]
pub async fn audit(
    state: web::Data<TenantsState>,
    principal: Principal,
    query: web::Query<AuditQuery>,
) -> ApiResult<HttpResponse> {
    principal.require_any(&[Role::TenantAdmin, Role::ProviderAdmin])?;
    if principal.kind != PrincipalKind::User {
        return Err(ApiError::forbidden("API keys cannot read the security audit"));
    }
    let limit = match query.limit {
        None => 50,
        Some(n) if (1..=MAX_PAGE).contains(&n) => n,
        Some(_) => return Err(ApiError::invalid("limit", format!("must be between 1 and {MAX_PAGE}"))),
    };
    let scope = match (principal.tenant_id, query.tenant_id) {
        (Some(own), _) => Some(principal.scope_for(own.0)?),
        (None, Some(t)) => Some(principal.scope_for(t)?),
        (None, None) => None,
    };
    let rows = state.audit.list(scope.as_ref(), limit).await?;
    Ok(HttpResponse::Ok().json(SecurityEvents { items: rows.into_iter().map(SecurityEvent::from).collect() }))
}
