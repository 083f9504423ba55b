use actix_web::http::header::{HeaderValue, RETRY_AFTER};
use actix_web::{HttpRequest, HttpResponse, web};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use canopy_kernel::auth::Jwks;
use canopy_kernel::tenancy::bearer_token;
use canopy_kernel::validate::normalize_email;
use canopy_kernel::{ApiError, ApiResult, ErrorCode, Principal, Problem, TenantScope};

use super::users::UserView;
use crate::domain::secrets::sha256_hex;
use crate::domain::tenant::TenantStatus;
use crate::domain::totp;
use crate::domain::user::roles_from_column;
use crate::state::TenantsState;
use crate::store::security::AuditEntry;
use crate::store::sessions::Refresh;
use crate::store::users::{UserRow, UserScope};

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/api/v1/auth/login", web::post().to(login))
        .route("/api/v1/auth/refresh", web::post().to(refresh))
        .route("/api/v1/auth/logout", web::post().to(logout))
        .route("/api/v1/auth/me", web::get().to(me))
        .route("/api/v1/auth/whoami", web::get().to(whoami))
        .route("/.well-known/jwks.json", web::get().to(jwks));
}

pub use canopy_api::tenants::{LoginRequest, LogoutRequest, RefreshRequest, TokenResponse};

fn invalid_credentials() -> ApiError {
    ApiError::new(ErrorCode::InvalidCredentials, "Email or password is wrong")
}

/// Tokens for a user who may sign in: active, and not of a cancelled tenant.
pub(super) async fn issue(
    state: &TenantsState,
    user: &UserRow,
    family_token: Option<(String, chrono::DateTime<chrono::Utc>)>,
) -> ApiResult<TokenResponse> {
    if let Some(tenant) = user.tenant_id {
        let status = state.tenants.status(&TenantScope::trusted(canopy_kernel::TenantId(tenant))).await?;
        if status == TenantStatus::Cancelled {
            return Err(ApiError::new(
                ErrorCode::TenantCancelled,
                "This company's service has been cancelled",
            ));
        }
    }
    let now = state.now();
    let (refresh_token, refresh_expires) = match family_token {
        Some(rotated) => rotated,
        None => state.sessions.start(user.id, user.tenant_id, now, state.refresh_ttl()).await?,
    };
    let (access_token, expires_in) = state.access_token_for_user(
        user.id,
        user.tenant_id,
        roles_from_column(&user.roles),
        user.access_generation,
    )?;
    Ok(TokenResponse {
        access_token,
        refresh_token,
        token_type: "Bearer".into(),
        expires_in,
        refresh_expires_in: (refresh_expires - now).num_seconds().max(0) as u64,
        totp_enrollment_required: false,
    })
}

/// 429 until `until`, with the seconds to wait in `Retry-After`.
pub(super) fn throttled(until: DateTime<Utc>, now: DateTime<Utc>) -> ApiError {
    let wait = ((until - now).num_milliseconds().max(1) + 999) / 1000;
    ApiError::new(
        ErrorCode::RateLimited,
        format!("Too many failed sign-ins for this account; try again in {wait} s"),
    )
    .with_header(RETRY_AFTER, HeaderValue::from(wait))
}

/// Counts a failed sign-in for the account (known or not); the failure that starts a wait
/// is written to the security audit, once per burst.
pub(super) async fn record_failure(
    state: &TenantsState,
    hash: &str,
    email: &str,
    user: Option<&UserRow>,
    now: DateTime<Utc>,
) -> ApiResult<()> {
    let failure = state.throttles.fail(hash, now, &state.settings.login).await?;
    if failure.burst_started {
        let wait = failure.blocked_until.map(|u| (u - now).num_seconds()).unwrap_or_default();
        tracing::warn!(user = ?user.map(|u| u.id), failures = failure.failures, wait_secs = wait, "sign-ins throttled for an account");
        let entry = AuditEntry {
            tenant_id: user.and_then(|u| u.tenant_id),
            user_id: user.map(|u| u.id),
            email,
            kind: "login_throttled",
            detail: format!(
                "{} failed sign-ins in a row; each further attempt waits longer (first {wait} s)",
                failure.failures
            ),
        };
        state.audit.record(entry, now).await?;
    }
    Ok(())
}

#[utoipa::path(post, path = "/api/v1/auth/login", tag = "auth", request_body = LoginRequest,
    description = "Signs in. Failed attempts are counted per account (by e-mail, known or not): after 5 in a row, each \
        further attempt must wait 1 s, 2 s, 4 s … (at most 15 min), answered 429 with `Retry-After`; a success \
        resets the count. Users with a second factor send `otp`: without it the answer is 401 `otp_required`, with \
        a wrong or already used code 401 `invalid_otp`.",
    responses((status = 200, body = TokenResponse),
        (status = 401, body = Problem, description = "`invalid_credentials`, `otp_required` or `invalid_otp`"),
        (status = 403, body = Problem), (status = 422, body = Problem),
        (status = 429, body = Problem, description = "Too many failed sign-ins for this account; see `Retry-After`")))]
pub async fn login(state: web::Data<TenantsState>, body: web::Json<LoginRequest>) -> ApiResult<HttpResponse> {
    let body = body.into_inner();
    let email = normalize_email(&body.email);
    let hash = sha256_hex(&email);
    let now = state.login_now();
    if let Some(until) = state.throttles.blocked_until(&hash, now).await? {
        return Err(throttled(until, now));
    }
    let user = state.users.find_for_login(&email).await?;
    // Always verify a hash, so an unknown email takes as long as a wrong password.
    let stored = user.as_ref().map(|u| u.password_hash.clone());
    let ok = state.verify_password(body.password, stored).await?;
    let user = match user {
        Some(user) if ok && user.active => user,
        other => {
            record_failure(&state, &hash, &email, other.as_ref(), now).await?;
            return Err(invalid_credentials());
        }
    };
    let factor = state.totps.get(user.id).await?.filter(|f| f.confirmed_at.is_some());
    if let Some(factor) = &factor {
        let Some(code) = body.otp.as_deref().map(str::trim).filter(|c| !c.is_empty()) else {
            return Err(ApiError::new(
                ErrorCode::OtpRequired,
                "This account has a second factor: send the current code of the authenticator app as `otp`",
            ));
        };
        let accepted = match totp::matching_step(&factor.secret, code, now.timestamp())? {
            Some(step) => state.totps.spend(user.id, step, None).await?,
            None => false,
        };
        if !accepted {
            record_failure(&state, &hash, &email, Some(&user), now).await?;
            return Err(ApiError::new(
                ErrorCode::InvalidOtp,
                "The code is wrong, expired or already used; wait for the next one",
            ));
        }
    }
    state.throttles.clear(&hash).await?;
    let mut tokens = issue(&state, &user, None).await?;
    tokens.totp_enrollment_required = factor.is_none() && super::totp::required_for(&state, &user).await?;
    state.users.touch_login(user.id, state.now()).await?;
    tracing::info!(user = %user.id, "signed in");
    Ok(HttpResponse::Ok().json(tokens))
}

#[utoipa::path(post, path = "/api/v1/auth/refresh", tag = "auth", request_body = RefreshRequest,
    description = "Rotates the refresh token: the presented one is spent and a new pair is issued. Presenting a spent token revokes its whole family.",
    responses((status = 200, body = TokenResponse), (status = 401, body = Problem)))]
pub async fn refresh(
    state: web::Data<TenantsState>,
    body: web::Json<RefreshRequest>,
) -> ApiResult<HttpResponse> {
    let now = state.now();
    match state.sessions.rotate(&body.refresh_token, now, state.refresh_ttl()).await? {
        Refresh::Rotated { user_id, token, expires_at } => {
            let user =
                state.users.find_for_refresh(user_id).await?.filter(|u| u.active).ok_or_else(|| {
                    ApiError::new(
                        ErrorCode::InvalidToken,
                        "The account behind this session is no longer active",
                    )
                })?;
            Ok(HttpResponse::Ok().json(issue(&state, &user, Some((token, expires_at))).await?))
        }
        Refresh::Invalid => {
            Err(ApiError::new(ErrorCode::InvalidToken, "The refresh token is unknown, expired or revoked"))
        }
        Refresh::Reused => Err(ApiError::new(
            ErrorCode::RefreshTokenReused,
            "This refresh token was already used; every session from the same sign-in has been ended. Sign in again.",
        )),
    }
}

#[utoipa::path(post, path = "/api/v1/auth/logout", tag = "auth", request_body(content = LogoutRequest, description = "optional"),
    description = "Ends the session of the refresh token, and revokes the presented access token until it expires.",
    responses((status = 204)))]
pub async fn logout(
    state: web::Data<TenantsState>,
    req: HttpRequest,
    body: web::Bytes,
) -> ApiResult<HttpResponse> {
    let body: LogoutRequest = super::optional_json(&body)?;
    let now = state.now();
    if let Some(token) = &body.refresh_token {
        state.sessions.revoke(token, now).await?;
    }
    if bearer_token(&req).is_some()
        && let Ok(principal) = <Principal as actix_web::FromRequest>::extract(&req).await
    {
        let expires_at = TenantsState::token_revocation_expires_at(principal.expires_at);
        let tenant = principal.tenant_id.map(|t| t.0);
        let cursor = state.revocations.revoke_token(principal.token_id, tenant, now, expires_at).await?;
        state.announce_revocation(cursor, tenant).await;
    }
    Ok(HttpResponse::NoContent().finish())
}

#[utoipa::path(get, path = "/api/v1/auth/me", tag = "auth", security(("bearer" = [])),
    responses((status = 200, body = UserView), (status = 401, body = Problem)))]
pub async fn me(state: web::Data<TenantsState>, principal: Principal) -> ApiResult<HttpResponse> {
    if principal.kind != canopy_kernel::auth::PrincipalKind::User {
        return Err(ApiError::forbidden("API keys have no user"));
    }
    let scope = match principal.tenant_id {
        Some(t) => UserScope::Tenant(principal.scope_for(t.0)?),
        None => UserScope::Provider,
    };
    let user = state.users.get(scope, principal.subject).await?;
    Ok(HttpResponse::Ok().json(UserView::from(user)))
}

/// Any caller's identity as its token states it (users and monitoring agents' API keys).
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct Whoami {
    /// `user` or `api_key`.
    pub kind: String,
    /// The user's or the API key's id.
    pub subject: uuid::Uuid,
    pub tenant_id: Option<uuid::Uuid>,
    pub roles: Vec<canopy_kernel::auth::Role>,
    pub scopes: Vec<String>,
    pub expires_at: chrono::DateTime<chrono::Utc>,
}

#[utoipa::path(get, path = "/api/v1/auth/whoami", tag = "auth", security(("bearer" = []), ("apiKey" = [])),
    responses((status = 200, body = Whoami), (status = 401, body = Problem)))]
pub async fn whoami(principal: Principal) -> ApiResult<HttpResponse> {
    let kind = match principal.kind {
        canopy_kernel::auth::PrincipalKind::User => "user",
        canopy_kernel::auth::PrincipalKind::ApiKey => "api_key",
    };
    Ok(HttpResponse::Ok().json(Whoami {
        kind: kind.into(),
        subject: principal.subject,
        tenant_id: principal.tenant_id.map(|t| t.0),
        roles: principal.roles,
        scopes: principal.scopes,
        expires_at: chrono::DateTime::from_timestamp(principal.expires_at, 0).unwrap_or_default(),
    }))
}

#[utoipa::path(get, path = "/.well-known/jwks.json", tag = "auth",
    description = "Public keys (Ed25519) that verify Canopy access tokens.",
    responses((status = 200, body = Jwks)))]
pub async fn jwks(state: web::Data<TenantsState>) -> ApiResult<HttpResponse> {
    let jwks = state.keys.jwks().await.map_err(ApiError::internal)?;
    Ok(HttpResponse::Ok().insert_header(("cache-control", "public, max-age=300")).json(jwks))
}
