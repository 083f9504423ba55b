use utoipa::openapi::security::{Http, HttpAuthScheme, SecurityScheme};
use utoipa::{Modify, OpenApi};

use crate::routes::{contracts, offerings, policy};

#[derive(OpenApi)]
#[openapi(
    info(title = "Canopy catalog", description = "Services, SLA tiers, plans, contracts, effective SLA policies and due-time previews."),
    paths(
        offerings::create_service, offerings::list_services, offerings::get_service,
        offerings::create_tier, offerings::list_tiers, offerings::get_tier,
        offerings::create_plan, offerings::list_plans, offerings::get_plan,
        contracts::create, contracts::list, contracts::get, contracts::update,
        policy::policy, policy::preview,
    ),
    components(schemas(canopy_kernel::Problem, canopy_kernel::FieldError, policy::ExplicitPreview)),
    modifiers(&BearerAuth),
    tags((name = "catalog", description = "What the provider sells and promises, and to whom"))
)]
pub struct ApiDoc;

struct BearerAuth;

impl Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        openapi.components.get_or_insert_with(Default::default).add_security_scheme(
            "bearer",
            SecurityScheme::Http(Http::builder().scheme(HttpAuthScheme::Bearer).bearer_format("JWT").build()),
        );
    }
}
