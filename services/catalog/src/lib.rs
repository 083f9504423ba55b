//! The catalog service: the services the provider offers, SLA tiers (targets, coverage,
//! availability, credit policy), priced plans, tenants' contracts with their terms over time,
//! each tenant's effective SLA policy, and due-time previews computed by the SLA engine.

pub mod domain;
pub mod openapi;
pub mod routes;
pub mod state;
pub mod store;

use std::net::{SocketAddr, TcpListener};
use std::sync::Arc;
use std::time::Duration;

use actix_web::dev::{Server, ServerHandle};
use actix_web::web;
use sea_orm::DatabaseConnection;
use utoipa::OpenApi;

use canopy_kernel::auth::TokenVerifier;
use canopy_kernel::backends::Backends;
use canopy_kernel::client::{ServiceClient, http_client};
use canopy_kernel::clock::SharedClock;
use canopy_kernel::config::Settings;
use canopy_migrations::MigratorTrait;

use crate::state::CatalogState;
use crate::store::contracts::Contracts;
use crate::store::offerings::Offerings;

pub const SERVICE: &str = "catalog";

pub async fn migrate(settings: &Settings) -> anyhow::Result<DatabaseConnection> {
    let db = canopy_kernel::db::connect(settings, SERVICE).await?;
    canopy_migrations::catalog::Migrator::up(&db, None).await?;
    Ok(db)
}

pub struct Application {
    addr: SocketAddr,
    server: Server,
    state: web::Data<CatalogState>,
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
            "the catalog needs upstreams.tenants (CANOPY_UPSTREAMS__TENANTS)"
        );
        let db = migrate(&settings).await?;
        let tenants = ServiceClient::new(
            "tenants",
            settings.upstreams.tenants.0.clone(),
            http_client(Duration::from_secs(settings.gateway.upstream_timeout_secs)),
        );
        let verifier = TokenVerifier::from_source(
            &settings.auth.issuer,
            &settings.auth.audience,
            tenants.clone(),
            Duration::from_secs(settings.auth.jwks_min_refresh_secs),
        );
        let state = web::Data::new(CatalogState {
            offerings: Offerings::new(db.clone()),
            contracts: Contracts::new(db.clone()),
            db,
            tenants: canopy_api::tenants::TenantsClient::new(tenants),
            settings: settings.clone(),
            clock,
            backends,
        });
        let addr = listener.local_addr()?;
        let verifier = web::Data::new(Arc::new(verifier));
        let app_state = state.clone();
        let dependencies = web::Data::new(canopy_kernel::http::Dependencies {
            db: state.db.clone(),
            backends: state.backends.clone(),
        });
        let options = canopy_kernel::http::ServeOptions::new(settings.gateway.max_body_bytes);
        let server = canopy_kernel::http::serve(SERVICE, listener, &options, move |cfg| {
            cfg.app_data(app_state.clone()).app_data(verifier.clone()).app_data(dependencies.clone());
            configure(cfg);
        })?;
        tracing::info!(%addr, database = %canopy_kernel::db::describe(&settings, SERVICE), "catalog service listening");
        Ok(Self { addr, server, state })
    }

    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    pub fn handle(&self) -> ServerHandle {
        self.server.handle()
    }

    pub fn state(&self) -> web::Data<CatalogState> {
        self.state.clone()
    }

    pub async fn run(self) -> std::io::Result<()> {
        self.server.await
    }
}

pub fn configure(cfg: &mut web::ServiceConfig) {
    routes::configure(cfg);
    canopy_kernel::http::service_routes(cfg, openapi::ApiDoc::openapi);
}
