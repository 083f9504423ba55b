use utoipa::openapi::security::{Http, HttpAuthScheme, SecurityScheme};
use utoipa::{Modify, OpenApi};

use crate::routes::{dispatch, engineers, rounds, schedules};

#[derive(OpenApi)]
#[openapi(
    info(title = "Canopy scheduler", description = "The dispatch centre: the provider's engineers and dispatch across tenants."),
    paths(
        engineers::create, engineers::list, engineers::get, engineers::update,
        schedules::create, schedules::list, schedules::get, schedules::runs,
        dispatch::assign, dispatch::decisions, dispatch::queue, dispatch::assign_batch,
        rounds::optimize, rounds::rounds, rounds::visits, rounds::move_visit,
    ),
    components(schemas(canopy_kernel::Problem, canopy_kernel::FieldError)),
    modifiers(&BearerAuth),
    tags((name = "dispatch", description = "Engineers, their skills, regions, shifts and load"))
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
