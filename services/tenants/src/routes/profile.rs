//! The signed-in user's own settings: name and language, and password.

use actix_web::{HttpResponse, web};

use canopy_kernel::auth::PrincipalKind;
use canopy_kernel::{ApiError, ApiResult, Principal, Problem, Violations};

use super::auth::{issue, record_failure, throttled};
use super::users::UserView;
use crate::domain::secrets::sha256_hex;
use crate::domain::user::{check_display_name, check_password};
use crate::state::TenantsState;
use crate::store::users::{UserPatch, UserScope};

pub use canopy_api::tenants::{PasswordChange, ProfileUpdate, TokenResponse};

pub fn routes(cfg: &mut web::ServiceConfig) {
    // Beside `GET /auth/me` (registered by `auth`).
    cfg.route("/api/v1/auth/me", web::patch().to(update_me))
        .route("/api/v1/auth/password", web::post().to(change_password));
}

/// The user the token is of (API keys have none).
fn own_scope(principal: &Principal) -> ApiResult<UserScope> {
    if principal.kind != PrincipalKind::User {
        return Err(ApiError::forbidden("API keys have no user"));
    }
    Ok(match principal.tenant_id {
        Some(t) => UserScope::Tenant(principal.scope_for(t.0)?),
        None => UserScope::Provider,
    })
}

#[utoipa::path(patch, path = "/api/v1/auth/me", tag = "auth", security(("bearer" = [])), request_body = ProfileUpdate,
    description = "Changes your own name or the language of your pages (`null`: your company's). Your access is unchanged.",
    responses((status = 200, body = UserView), (status = 401, body = Problem), (status = 403, body = Problem),
        (status = 422, body = Problem)))]
pub async fn update_me(
    state: web::Data<TenantsState>,
    principal: Principal,
    body: web::Json<ProfileUpdate>,
) -> ApiResult<HttpResponse> {
    let scope = own_scope(&principal)?;
    let body = body.into_inner();
    let mut v = Violations::new();
    let display_name = body.display_name.as_deref().map(|n| check_display_name(n, &mut v));
    v.check(display_name.is_some() || body.locale.is_some(), "body", "nothing to change");
    v.into_result()?;
    let locale = body.locale.map(|l| l.map(|l| l.as_str().to_owned()));
    let patch = UserPatch { display_name, locale, ..UserPatch::default() };
    let change = state
        .users
        .update(scope, principal.subject, patch, state.now(), state.revocation_expires_at())
        .await?;
    Ok(HttpResponse::Ok().json(UserView::from(change.user)))
}

#[utoipa::path(post, path = "/api/v1/auth/password", tag = "auth", security(("bearer" = [])), request_body = PasswordChange,
    description = "Changes your own password. A wrong `current_password` counts as a failed sign-in of your account \
        (the same waits follow: 429 with `Retry-After`). Every session and access token of yours ends at once; the \
        answer is a new pair for the session that asked.",
    responses((status = 200, body = TokenResponse), (status = 401, body = Problem), (status = 403, body = Problem),
        (status = 422, body = Problem, description = "`current_password` is wrong, or `new_password` breaks the rules"),
        (status = 429, body = Problem)))]
pub async fn change_password(
    state: web::Data<TenantsState>,
    principal: Principal,
    body: web::Json<PasswordChange>,
) -> ApiResult<HttpResponse> {
    let scope = own_scope(&principal)?;
    let body = body.into_inner();
    let user = state.users.get(scope, principal.subject).await?;
    let hash = sha256_hex(&user.email);
    let now = state.login_now();
    if let Some(until) = state.throttles.blocked_until(&hash, now).await? {
        return Err(throttled(until, now));
    }
    let mut v = Violations::new();
    check_password(&body.new_password, "new_password", &mut v);
    v.check(
        body.new_password != body.current_password,
        "new_password",
        "must differ from the current password",
    );
    let ok = state.verify_password(body.current_password, Some(user.password_hash.clone())).await?;
    if !ok {
        record_failure(&state, &hash, &user.email, Some(&user), now).await?;
        v.add("current_password", "is not your current password");
    }
    v.into_result()?;
    state.throttles.clear(&hash).await?;
    let password_hash = state.hash_password(body.new_password).await?;
    let patch = UserPatch { password_hash: Some(password_hash), ..UserPatch::default() };
    let change =
        state.users.update(scope, user.id, patch, state.now(), state.revocation_expires_at()).await?;
    if let Some(cursor) = change.revoked {
        state.announce_revocation(cursor, change.user.tenant_id).await;
    }
    tracing::info!(user = %user.id, "password changed; the user's other sessions ended");
    Ok(HttpResponse::Ok().json(issue(&state, &change.user, None).await?))
}
