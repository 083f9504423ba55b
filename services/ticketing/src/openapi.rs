use utoipa::OpenApi;
use utoipa::openapi::security::{ApiKey, ApiKeyValue, Http, HttpAuthScheme, SecurityScheme};

use crate::routes::{events, exports, import, itil, knowledge, reports, tickets, work};

#[derive(OpenApi)]
#[openapi(
    info(title = "Canopy ticketing", description = "Incidents, service requests, problems and changes with auditable SLA clocks."),
    paths(tickets::create, tickets::list, tickets::get, tickets::update, tickets::audit, import::import,
        work::add_comment, work::comments, work::add_worklog, work::worklogs, work::give_feedback, work::get_feedback,
        itil::add_link, itil::links, itil::decide, itil::approvals, exports::breaches, exports::billable_work,
        events::ingest, events::alerts, events::alert_detail, knowledge::create, knowledge::list, knowledge::get,
        knowledge::update, knowledge::versions, knowledge::search, knowledge::suggestions, knowledge::from_ticket,
        reports::monthly, reports::run),
    components(schemas(canopy_kernel::Problem, canopy_kernel::FieldError)),
    modifiers(&Security),
    tags((name = "tickets", description = "The service desk: every call logged, classified, forwarded, escalated and resolved against the SLA"),
        (name = "events", description = "Monitoring agents' events, correlated into alerts that open and resolve incidents"),
        (name = "knowledge", description = "The knowledge base: articles, Chinese and English search, suggestions for tickets"),
        (name = "reports", description = "The monthly IT service report: JSON, CSV and HTML with charts"))
)]
pub struct ApiDoc;

struct Security;

impl utoipa::Modify for Security {
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
