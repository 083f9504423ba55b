//! The gateway: the only public entry. It verifies credentials (JWTs from the tenants
//! service's JWKS, and API keys), derives the tenant from them, enforces suspended tenants'
//! read-only mode and per-tenant rate limits, and routes `/api/v1/...` to the services.

pub mod auth;
pub mod directory;
pub mod docs;
pub mod limits;
pub mod proxy;
pub mod routes;
pub mod state;

use std::collections::HashMap;
use std::net::{SocketAddr, TcpListener};
use std::sync::Arc;
use std::time::Duration;

use actix_web::dev::{Server, ServerHandle};
use actix_web::{HttpResponse, web};

use canopy_kernel::auth::TokenVerifier;
use canopy_kernel::backends::Backends;
use canopy_kernel::client::{ServiceClient, http_client};
use canopy_kernel::clock::SharedClock;
use canopy_kernel::config::Settings;
use canopy_kernel::http::ServeOptions;

use crate::directory::TenantDirectory;
use crate::docs::DocsCache;
use crate::state::GatewayState;

pub const SERVICE: &str = "gateway";

pub struct Application {
    addr: SocketAddr,
    server: Server,
}

impl Application {
    pub async fn build(
        settings: Arc<Settings>,
        backends: Backends,
        clock: SharedClock,
        listener: TcpListener,
    ) -> anyhow::Result<Self> {
        anyhow::ensure!(
            !settings.upstreams.tenants.0.is_empty(),
            "the gateway needs upstreams.tenants (CANOPY_UPSTREAMS__TENANTS)"
        );
        let http = http_client(Duration::from_secs(settings.gateway.upstream_timeout_secs));
        let upstreams: HashMap<&'static str, ServiceClient> = HashMap::from([
            ("tenants", ServiceClient::new("tenants", settings.upstreams.tenants.0.clone(), http.clone())),
            ("catalog", ServiceClient::new("catalog", settings.upstreams.catalog.0.clone(), http.clone())),
            (
                "ticketing",
                ServiceClient::new("ticketing", settings.upstreams.ticketing.0.clone(), http.clone()),
            ),
            (
                "scheduler",
                ServiceClient::new("scheduler", settings.upstreams.scheduler.0.clone(), http.clone()),
            ),
            ("billing", ServiceClient::new("billing", settings.upstreams.billing.0.clone(), http.clone())),
        ]);
        let verifier = TokenVerifier::from_source(
            &settings.auth.issuer,
            &settings.auth.audience,
            upstreams["tenants"].clone(),
            Duration::from_secs(settings.auth.jwks_min_refresh_secs),
        );
        let directory =
            Arc::new(TenantDirectory::new(Duration::from_secs(settings.gateway.tenant_status_ttl_secs)));
        directory.clone().follow(backends.bus.clone());
        let state = web::Data::new(GatewayState {
            settings: settings.clone(),
            backends,
            verifier,
            upstreams,
            directory,
            docs: DocsCache::default(),
            clock,
        });
        let addr = listener.local_addr()?;
        let options = ServeOptions {
            max_body_bytes: settings.gateway.max_body_bytes,
            workers: None,
            cors_origins: settings.gateway.cors_allowed_origins.clone(),
        };
        let server = canopy_kernel::http::serve(SERVICE, listener, &options, move |cfg| {
            cfg.app_data(state.clone());
            configure(cfg);
        })?;
        tracing::info!(%addr, "gateway listening");
        Ok(Self { addr, server })
    }

    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    pub fn handle(&self) -> ServerHandle {
        self.server.handle()
    }

    pub async fn run(self) -> std::io::Result<()> {
        self.server.await
    }
}

pub fn configure(cfg: &mut web::ServiceConfig) {
    docs::routes(cfg);
    cfg.route("/healthz", web::get().to(canopy_kernel::http::healthz))
        .route("/readyz", web::get().to(readyz))
        .route("/.well-known/jwks.json", web::get().to(proxy::forward))
        .route("/api/v1/{tail:.*}", web::route().to(proxy::forward));
}

/// Ready when the backends answer and at least one replica of each service is ready.
async fn readyz(state: web::Data<GatewayState>) -> HttpResponse {
    let mut checks = vec![("backends", state.backends.ready().await)];
    let mut names: Vec<_> =
        state.upstreams.iter().filter(|(_, c)| !c.urls().is_empty()).map(|(n, _)| *n).collect();
    names.sort();
    for name in names {
        let client = &state.upstreams[name];
        let mut ready = false;
        for base in client.urls() {
            if client.http().get(format!("{base}/readyz")).send().await.is_ok_and(|r| r.status().is_success())
            {
                ready = true;
                break;
            }
        }
        checks.push((name, ready));
    }
    canopy_kernel::http::readiness(checks)
}
