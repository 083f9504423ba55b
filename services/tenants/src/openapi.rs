use utoipa::openapi::Required;
use utoipa::openapi::security::{ApiKey, ApiKeyValue, Http, HttpAuthScheme, SecurityScheme};
use utoipa::{Modify, OpenApi};

use crate::routes::{api_keys, auth, config, profile, tenants, totp, users, webhooks};

#[derive(OpenApi)]
#[openapi(
    info(title = "Canopy tenants", description = "Tenants, users, sign-in and tokens, API keys, virtual configuration."),
    paths(
        auth::login, auth::refresh, auth::logout, auth::me, auth::whoami, auth::jwks,
        profile::update_me, profile::change_password,
        tenants::create, tenants::list, tenants::get, tenants::update, tenants::suspend, tenants::activate, tenants::cancel,
        users::create_tenant_user, users::list_tenant_users, users::get_tenant_user, users::update_tenant_user,
        users::deactivate_tenant_user, users::create_staff, users::list_staff, users::get_staff, users::update_staff,
        users::deactivate_staff,
        api_keys::create, api_keys::list, api_keys::get, api_keys::revoke,
        config::get, config::put, config::history, config::version,
        webhooks::list, webhooks::get, webhooks::redeliver,
        totp::status, totp::enroll, totp::confirm, totp::disable, totp::reset_staff, totp::reset_tenant_user, totp::audit,
    ),
    components(schemas(canopy_kernel::Problem, canopy_kernel::FieldError, canopy_api::tenants::TenantConfig)),
    modifiers(&BearerAuth, &OptionalBodies),
    tags(
        (name = "auth", description = "Sign-in, token refresh and rotation, keys"),
        (name = "tenants", description = "Customer companies and their lifecycle"),
        (name = "users", description = "A tenant's users, and the provider's staff"),
        (name = "api-keys", description = "Keys for monitoring agents"),
        (name = "config", description = "A tenant's virtual configuration, versioned"),
    )
)]
pub struct ApiDoc;

struct BearerAuth;

impl Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(Http::builder().scheme(HttpAuthScheme::Bearer).bearer_format("JWT").build()),
        );
        components.add_security_scheme(
            "apiKey",
            SecurityScheme::ApiKey(ApiKey::Header(ApiKeyValue::new("X-Api-Key"))),
        );
    }
}

/// Operations whose body may be left out (no body, or an empty one, is the default): utoipa
/// marks every documented body required.
const OPTIONAL_BODIES: [&str; 4] = [
    "/api/v1/auth/logout",
    "/api/v1/tenants/{id}/suspend",
    "/api/v1/tenants/{id}/activate",
    "/api/v1/tenants/{id}/cancel",
];

struct OptionalBodies;

impl Modify for OptionalBodies {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        for path in OPTIONAL_BODIES {
            let body = openapi
                .paths
                .paths
                .get_mut(path)
                .and_then(|item| item.post.as_mut())
                .and_then(|op| op.request_body.as_mut());
            if let Some(body) = body {
                body.required = Some(Required::False);
            }
        }
    }
}
