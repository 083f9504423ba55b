use utoipa::openapi::security::{ApiKey, ApiKeyValue, Http, HttpAuthScheme, SecurityScheme};
use utoipa::{Modify, OpenApi};

use crate::routes::{api_keys, auth, config, tenants, totp, users, webhooks};

#[derive(OpenApi)]
#[openapi(
    info(title = "Canopy tenants", description = "Tenants, users, sign-in and tokens, API keys, virtual configuration."),
    paths(
        auth::login, auth::refresh, auth::logout, auth::me, auth::whoami, auth::jwks,
        tenants::create, tenants::list, tenants::get, tenants::update, tenants::suspend, tenants::activate, tenants::cancel,
        users::create_tenant_user, users::list_tenant_users, users::get_tenant_user, users::update_tenant_user,
        users::deactivate_tenant_user, users::create_staff, users::list_staff, users::get_staff, users::update_staff,
        users::deactivate_staff,
        api_keys::create, api_keys::list, api_keys::get, api_keys::revoke,
        config::get, config::put, config::history, config::version,
        webhooks::list, webhooks::get, webhooks::redeliver,
        totp::status, totp::enroll, totp::confirm, totp::disable, totp::reset_staff, totp::reset_tenant_user, totp::audit,
    ),
    components(schemas(canopy_kernel::Problem, canopy_kernel::FieldError)),
    modifiers(&BearerAuth),
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
