//! The ticketing service: ITIL tickets raised by people, by API or by monitoring agents,
//! classified by the tenant's configuration, judged against the SLA policy copied onto each
//! ticket when it is raised, with every change and clock step in an append-only log and
//! every outgoing event written in the same transaction (outbox).

pub mod contracts;
pub mod domain;
pub mod openapi;
pub mod reports;
pub mod routes;
pub mod state;
pub mod store;
pub mod watch;

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

use crate::state::TicketingState;
use crate::store::tickets::Tickets;

pub const SERVICE: &str = "ticketing";

pub async fn migrate(settings: &Settings) -> anyhow::Result<DatabaseConnection> {
    let db = canopy_kernel::db::connect(settings, SERVICE).await?;
    canopy_migrations::ticketing::Migrator::up(&db, None).await?;
    Ok(db)
}

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
            !settings.upstreams.tenants.0.is_empty() && !settings.upstreams.catalog.0.is_empty(),
            "ticketing needs upstreams.tenants and upstreams.catalog (CANOPY_UPSTREAMS__TENANTS, CANOPY_UPSTREAMS__CATALOG)"
        );
        let db = migrate(&settings).await?;
        let http = http_client(Duration::from_secs(settings.gateway.upstream_timeout_secs));
        let tenants = ServiceClient::new("tenants", settings.upstreams.tenants.0.clone(), http.clone());
        let billing = (!settings.upstreams.billing.0.is_empty())
            .then(|| ServiceClient::new("billing", settings.upstreams.billing.0.clone(), http.clone()));
        let catalog = ServiceClient::new("catalog", settings.upstreams.catalog.0.clone(), http);
        let verifier = TokenVerifier::from_source(
            &settings.auth.issuer,
            &settings.auth.audience,
            tenants.clone(),
            Duration::from_secs(settings.auth.jwks_min_refresh_secs),
        );
        store::outbox::spawn_worker(
            db.clone(),
            backends.bus.clone(),
            Duration::from_millis(settings.events.outbox_interval_ms),
        );
        let state = web::Data::new(TicketingState {
            tickets: Tickets::new(db.clone()),
            alerts: store::alerts::Alerts::new(db.clone()),
            knowledge: store::knowledge::Knowledge::new(db.clone()),
            reports: store::reports::Reports::new(db.clone()),
            billing: billing.map(canopy_api::billing::BillingClient::new),
            ingest: tokio::sync::Semaphore::new(settings.events.ingest_max_in_flight.max(1)),
            db,
            tenants: canopy_api::tenants::TenantsClient::new(tenants),
            catalog: canopy_api::catalog::CatalogClient::new(catalog),
            settings: settings.clone(),
            clock,
            backends,
        });
        watch::spawn(state.clone());
        contracts::spawn(state.clone());
        let addr = listener.local_addr()?;
        let verifier = web::Data::new(Arc::new(verifier));
        let dependencies = web::Data::new(canopy_kernel::http::Dependencies {
            db: state.db.clone(),
            backends: state.backends.clone(),
        });
        let options = canopy_kernel::http::ServeOptions::new(settings.gateway.max_body_bytes);
        let server = canopy_kernel::http::serve(SERVICE, listener, &options, move |cfg| {
            cfg.app_data(state.clone()).app_data(verifier.clone()).app_data(dependencies.clone());
            configure(cfg);
        })?;
        tracing::info!(%addr, database = %canopy_kernel::db::describe(&settings, SERVICE), "ticketing service listening");
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
    routes::configure(cfg);
    canopy_kernel::http::service_routes(cfg, openapi::ApiDoc::openapi);
}
