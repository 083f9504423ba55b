use utoipa::openapi::security::{Http, HttpAuthScheme, SecurityScheme};
use utoipa::{Modify, OpenApi};

use crate::routes::{invoices, runs, webhooks};

#[derive(OpenApi)]
#[openapi(
    info(title = "Canopy billing", description = "Monthly invoices with automatic, traceable SLA-breach credits."),
    paths(runs::start, runs::list, runs::dunning, invoices::list, invoices::get, invoices::csv, invoices::pay, invoices::credits, invoices::credit_notes, invoices::record_availability, invoices::availability, webhooks::stripe),
    components(schemas(canopy_kernel::Problem, canopy_kernel::FieldError)),
    modifiers(&BearerAuth),
    tags((name = "billing", description = "Billing runs, invoices, SLA credits and payments"))
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
