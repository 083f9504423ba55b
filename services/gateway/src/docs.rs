//! The merged OpenAPI document of every service behind the gateway, and the docs page (the
//! start page is the web application's). Assets ship in the repository (see `assets/README.md`).

use std::time::{Duration, Instant};

use actix_web::{HttpResponse, web};
use serde_json::{Map, Value, json};
use tokio::sync::Mutex;

use crate::openapi::{Clash, Folded, add_standard_problems};
use crate::state::GatewayState;

const SWAGGER_JS: &[u8] = include_bytes!("../assets/swagger-ui/swagger-ui-bundle.js");
const SWAGGER_CSS: &[u8] = include_bytes!("../assets/swagger-ui/swagger-ui.css");
const DOCS_HTML: &str = include_str!("../assets/docs.html");
const DOCS_JS: &[u8] = include_bytes!("../assets/docs.js");

/// Merged documents are rebuilt at most this often, and at once when one was incomplete.
const DOCS_TTL: Duration = Duration::from_secs(60);

#[derive(Default)]
pub struct DocsCache {
    merged: Mutex<Option<(Value, Instant)>>,
}

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/api-docs/openapi.json", web::get().to(openapi))
        .route("/docs", web::get().to(docs_page))
        .route(
            "/docs/swagger-ui-bundle.js",
            web::get().to(|| async { asset(SWAGGER_JS, "text/javascript; charset=utf-8") }),
        )
        .route("/docs/docs.js", web::get().to(|| async { asset(DOCS_JS, "text/javascript; charset=utf-8") }))
        .route(
            "/docs/swagger-ui.css",
            web::get().to(|| async { asset(SWAGGER_CSS, "text/css; charset=utf-8") }),
        );
}

fn asset(body: &'static [u8], content_type: &str) -> HttpResponse {
    HttpResponse::Ok()
        .content_type(content_type)
        .insert_header(("cache-control", "public, max-age=86400"))
        .body(body)
}

async fn docs_page() -> HttpResponse {
    HttpResponse::Ok().content_type("text/html; charset=utf-8").body(DOCS_HTML)
}

async fn openapi(state: web::Data<GatewayState>) -> HttpResponse {
    let mut cached = state.docs.merged.lock().await;
    if let Some((doc, at)) = cached.as_ref()
        && at.elapsed() < DOCS_TTL
    {
        return HttpResponse::Ok().json(doc);
    }
    let (doc, complete) = merge(&state).await;
    if complete {
        *cached = Some((doc.clone(), Instant::now()));
    }
    HttpResponse::Ok().json(doc)
}

/// The gateway's own document, with every service's routed paths and schemas folded in.
/// Paths a service does not expose through the gateway are left out. Two services giving one
/// schema name to different schemas is a bug of the document (one would stand for the other):
/// it is logged as an error here, and the platform's tests fail on it.
async fn merge(state: &GatewayState) -> (Value, bool) {
    let mut folded = Folded::default();
    let mut complete = true;
    // The web application serves pages, not API operations.
    let mut services: Vec<_> =
        state.upstreams.iter().filter(|(name, c)| **name != "web" && !c.urls().is_empty()).collect();
    services.sort_by_key(|(name, _)| **name);
    for (name, client) in services {
        let doc: Value = match client.get_json("/api-docs/openapi.json").await {
            Ok(doc) => doc,
            Err(err) => {
                tracing::warn!(service = name, error = %format!("{err:#}"), "OpenAPI document unavailable");
                complete = false;
                continue;
            }
        };
        folded.add(name, &doc);
    }
    for clash in &folded.clashes {
        tracing::error!(schema = %clash.schema, "OpenAPI schema name clash: {clash}");
    }
    let (doc, _clashes) = document(folded);
    (doc, complete)
}

/// The merged document from the folded services' documents, with the standard problems every
/// operation can answer, and the clashes met while folding.
pub fn document(folded: Folded) -> (Value, Vec<Clash>) {
    let Folded { mut paths, schemas, tags, clashes, .. } = folded;
    add_standard_problems(&mut paths, &schemas);
    paths.extend(own_paths());
    let doc = json!({
        "openapi": "3.1.0",
        "info": {
            "title": "Canopy API",
            "version": env!("CARGO_PKG_VERSION"),
            "description": "The managed IT service platform. Every error is application/problem+json with a stable `code`. \
                Collections page with `cursor`/`limit`. Times are RFC 3339 UTC. Authenticate with a bearer token from \
                POST /api/v1/auth/login, or (monitoring agents) an API key in X-Api-Key.",
        },
        "servers": [{"url": "/"}],
        "paths": paths,
        "components": {
            "schemas": schemas,
            "securitySchemes": {
                "bearer": {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"},
                "apiKey": {"type": "apiKey", "in": "header", "name": "X-Api-Key"},
            },
        },
        "tags": tags,
    });
    (doc, clashes)
}

fn own_paths() -> Map<String, Value> {
    let probe = |summary: &str| json!({"get": {"tags": ["ops"], "summary": summary, "responses": {"200": {"description": "OK"}, "503": {"description": "Not ready"}}}});
    let mut m = Map::new();
    m.insert("/healthz".into(), probe("The gateway process is alive"));
    m.insert(
        "/readyz".into(),
        probe("Ready: Redis (if used) and at least one replica of every service answer"),
    );
    m
}
