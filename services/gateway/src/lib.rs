//! The gateway: the only public entry. It verifies credentials (JWTs from the tenants
//! service's JWKS, and API keys), derives the tenant from them, enforces suspended tenants'
//! read-only mode and per-tenant rate limits, and routes `/api/v1/...` to the services.

pub mod auth;
pub mod directory;
pub mod docs;
pub mod limits;
pub mod openapi;
pub mod pages;
pub mod proxy;
pub mod revocations;
pub mod routes;
pub mod state;

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use actix_web::{HttpResponse, web};
use canopy_kernel::service::{DatabaseConnection, DbErr};

use canopy_kernel::auth::TokenVerifier;
use canopy_kernel::config::Settings;
use canopy_kernel::http::ServeOptions;
use canopy_kernel::service::{Context, Service, Workers};

use crate::directory::TenantDirectory;
use crate::docs::DocsCache;
use crate::revocations::{RevocationReplica, TenantsRevocations};
use crate::state::GatewayState;

pub const SERVICE: &str = Gateway::NAME;

pub struct Gateway;

pub type Application = canopy_kernel::service::Application<Gateway>;

impl Service for Gateway {
    const NAME: &'static str = "gateway";
    const UPSTREAMS: &'static [&'static str] = &["tenants"];
    const DATABASE: bool = false;
    type Settings = Settings;
    type State = GatewayState;

    async fn migrate(_db: &DatabaseConnection) -> Result<(), DbErr> {
        Ok(())
    }

    async fn state(ctx: &Context<Settings>) -> anyhow::Result<GatewayState> {
        let settings = ctx.settings.clone();
        let upstreams = HashMap::from(
            ["tenants", "catalog", "ticketing", "scheduler", "billing", "web"]
                .map(|name| (name, ctx.upstream(name))),
        );
        let verifier = TokenVerifier::from_source(
            &settings.auth.issuer,
            &settings.auth.audience,
            ctx.upstream("tenants"),
            Duration::from_secs(settings.auth.jwks_min_refresh_secs),
        );
        let directory =
            Arc::new(TenantDirectory::new(Duration::from_secs(settings.gateway.tenant_status_ttl_secs)));
        // Its own short time limit: a request may wait on a sync.
        let source = TenantsRevocations {
            client: canopy_api::tenants::TenantsClient::new(
                ctx.upstream_with_timeout("tenants", Duration::from_secs(2)),
            ),
            secret: settings.auth.service_secret.clone(),
        };
        let revocations = Arc::new(RevocationReplica::new(
            source,
            Duration::from_secs(settings.gateway.revocation_max_staleness_secs),
        ));
        match revocations.sync("start").await {
            Ok(()) => tracing::info!(
                held = revocations.len(),
                cursor = revocations.cursor(),
                "access revocations loaded"
            ),
            // Authenticated requests wait (503) until a sync succeeds.
            Err(err) => tracing::warn!(error = %format!("{err:#}"), "access revocations not loaded yet"),
        }
        Ok(GatewayState {
            settings,
            backends: ctx.backends.clone(),
            verifier,
            upstreams,
            directory,
            revocations,
            docs: DocsCache::default(),
            clock: ctx.clock.clone(),
        })
    }

    /// The gateway checks credentials in its own middleware, with its own verifier.
    fn verifier(_state: &GatewayState) -> Option<Arc<TokenVerifier>> {
        None
    }

    fn routes(cfg: &mut web::ServiceConfig) {
        configure(cfg);
    }

    fn workers(state: &web::Data<GatewayState>, workers: &mut Workers) -> anyhow::Result<()> {
        state.directory.clone().follow(state.backends.bus.clone(), workers);
        let every = Duration::from_millis(state.settings.gateway.revocation_sync_ms);
        state.revocations.clone().follow(state.backends.bus.clone(), every, workers);
        Ok(())
    }

    fn serve_options(settings: &Settings) -> ServeOptions {
        let gateway = &settings.gateway;
        ServeOptions {
            max_body_bytes: gateway.max_body_bytes,
            body_timeout: Duration::from_secs(gateway.body_timeout_secs),
            max_connections_per_address: (gateway.max_connections_per_address > 0)
                .then_some(gateway.max_connections_per_address),
            workers: None,
            cors_origins: gateway.cors_allowed_origins.clone(),
        }
    }
}

pub fn configure(cfg: &mut web::ServiceConfig) {
    docs::routes(cfg);
    cfg.route("/healthz", web::get().to(canopy_kernel::http::healthz))
        .route("/readyz", web::get().to(readyz))
        .route("/.well-known/jwks.json", web::get().to(proxy::forward))
        .route("/api/v1/{tail:.*}", web::route().to(proxy::forward))
        // Everything else is a page of the web application (routed last).
        .route("/{tail:.*}", web::route().to(pages::forward));
}

/// Ready when the backends answer, the access revocations are in sync, and at least one
/// replica of each service is ready. Every check runs at once, each bounded, so the answer
/// comes within a few seconds whatever is down; a failing check says what is wrong (a
/// service's own `problems`, such as Redis unreachable).
async fn readyz(state: web::Data<GatewayState>) -> HttpResponse {
    let revocations = if state.revocations.is_fresh() {
        Ok(())
    } else {
        Err("the replica of access revocations is stale: authenticated requests are refused".to_owned())
    };
    let mut names: Vec<_> =
        state.upstreams.iter().filter(|(_, c)| !c.urls().is_empty()).map(|(n, _)| *n).collect();
    names.sort();
    let upstreams = futures_util::future::join_all(names.into_iter().map(|name| {
        let client = &state.upstreams[name];
        async move { (name, upstream_ready(client).await) }
    }));
    let (backends, upstreams) = futures_util::future::join(state.backends.check(), upstreams).await;
    canopy_kernel::http::readiness_of([backends, ("revocations", revocations)].into_iter().chain(upstreams))
}

/// Whether one replica of the service answers ready; else what the last one said.
async fn upstream_ready(client: &canopy_kernel::client::ServiceClient) -> Result<(), String> {
    let mut problem = "no replica".to_owned();
    for base in client.urls() {
        let asked =
            client.http().get(format!("{base}/readyz")).timeout(canopy_kernel::http::READY_WITHIN).send();
        let answer = match tokio::time::timeout(canopy_kernel::http::READY_WITHIN, asked).await {
            Ok(Ok(res)) if res.status().is_success() => return Ok(()),
            Ok(Ok(res)) => match res.json::<canopy_kernel::http::Readiness>().await {
                Ok(r) if !r.problems.is_empty() => {
                    r.problems.iter().map(|(k, v)| format!("{k}: {v}")).collect::<Vec<_>>().join("; ")
                }
                _ => "not ready".to_owned(),
            },
            Ok(Err(e)) => format!("unreachable ({e})"),
            Err(_) => "did not answer in time".to_owned(),
        };
        problem = format!("{base}: {answer}");
    }
    Err(problem)
}
