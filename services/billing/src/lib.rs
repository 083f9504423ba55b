//! The billing service: a monthly run per period builds each tenant's invoice — its contracts'
//! terms prorated by day, billable work beyond the plan, and SLA credits worked out from the
//! period's breaches by the tier's credit policy, capped, each credit naming its breaches —
//! exactly once however many runs or replicas try. Invoices are settled through a payment
//! provider: the local ledger (a finance action marks them paid) by default.

pub mod domain;
pub mod dunning;
pub mod openapi;
pub mod provider;
pub mod routes;
pub mod run;
pub mod state;
pub mod store;
pub mod stripe;

use std::net::{SocketAddr, TcpListener};
use std::sync::Arc;
use std::time::Duration;

use actix_web::dev::{Server, ServerHandle};
use actix_web::web;
use sea_orm::DatabaseConnection;
use utoipa::OpenApi;

use canopy_kernel::auth::TokenVerifier;
use canopy_kernel::backends::Backends;
use canopy_kernel::client::{ServiceClient, ServiceToken, http_client};
use canopy_kernel::clock::SharedClock;
use canopy_kernel::config::Settings;
use canopy_migrations::MigratorTrait;

use crate::state::BillingState;
use crate::store::invoices::Invoices;

pub const SERVICE: &str = "billing";

pub async fn migrate(settings: &Settings) -> anyhow::Result<DatabaseConnection> {
    let db = canopy_kernel::db::connect(settings, SERVICE).await?;
    canopy_migrations::billing::Migrator::up(&db, None).await?;
    Ok(db)
}

pub struct Application {
    addr: SocketAddr,
    server: Server,
    state: web::Data<BillingState>,
}

impl Application {
    pub async fn build(
        settings: Arc<Settings>,
        backends: Backends,
        clock: SharedClock,
        listener: TcpListener,
    ) -> anyhow::Result<Self> {
        for (name, urls) in [
            ("tenants", &settings.upstreams.tenants),
            ("catalog", &settings.upstreams.catalog),
            ("ticketing", &settings.upstreams.ticketing),
        ] {
            anyhow::ensure!(!urls.0.is_empty(), "billing needs upstreams.{name}");
        }
        let db = migrate(&settings).await?;
        let client = |name: &'static str, urls: &Vec<String>| {
            ServiceClient::new(name, urls.clone(), http_client(Duration::from_secs(60)))
        };
        let tenants = client("tenants", &settings.upstreams.tenants.0);
        let verifier = TokenVerifier::from_source(
            &settings.auth.issuer,
            &settings.auth.audience,
            tenants.clone(),
            Duration::from_secs(settings.auth.jwks_min_refresh_secs),
        );
        let state = web::Data::new(BillingState {
            invoices: Invoices::new(db.clone()),
            payments: crate::store::payments::Payments::new(db.clone()),
            db,
            service_token: ServiceToken::new(SERVICE, tenants.clone(), settings.auth.service_secret.clone()),
            catalog: canopy_api::catalog::CatalogClient::new(client(
                "catalog",
                &settings.upstreams.catalog.0,
            )),
            ticketing: canopy_api::ticketing::TicketingClient::new(client(
                "ticketing",
                &settings.upstreams.ticketing.0,
            )),
            tenants: canopy_api::tenants::TenantsClient::new(tenants),
            settings: settings.clone(),
            clock,
            backends,
        });
        match settings.billing.provider.as_str() {
            "stripe" => provider::spawn_worker(state.clone(), stripe::Stripe::new(&settings)?),
            _ => provider::spawn_worker(state.clone(), provider::Ledger),
        }
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
        tracing::info!(%addr, database = %canopy_kernel::db::describe(&settings, SERVICE), "billing service listening");
        Ok(Self { addr, server, state })
    }

    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    pub fn handle(&self) -> ServerHandle {
        self.server.handle()
    }

    pub fn state(&self) -> web::Data<BillingState> {
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
