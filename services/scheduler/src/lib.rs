//! The scheduler service: the provider's dispatch centre. One team of engineers serves every
//! tenant; this service knows them (skills and levels, support level, regions, shift
//! calendars, time off, capacity) and dispatches work across tenants.

pub mod dispatcher;
pub mod domain;
pub mod jobs;
pub mod openapi;
pub mod rounds;
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
use canopy_kernel::client::{ServiceClient, ServiceToken, http_client};
use canopy_kernel::clock::SharedClock;
use canopy_kernel::config::Settings;
use canopy_migrations::MigratorTrait;

use crate::state::SchedulerState;
use crate::store::engineers::Engineers;
use crate::store::jobs::Jobs;

pub const SERVICE: &str = "scheduler";

pub async fn migrate(settings: &Settings) -> anyhow::Result<DatabaseConnection> {
    let db = canopy_kernel::db::connect(settings, SERVICE).await?;
    canopy_migrations::scheduler::Migrator::up(&db, None).await?;
    Ok(db)
}

pub struct Application {
    addr: SocketAddr,
    server: Server,
    state: web::Data<SchedulerState>,
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
            "the scheduler needs upstreams.tenants (CANOPY_UPSTREAMS__TENANTS)"
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
        let ticketing = ServiceClient::new(
            "ticketing",
            settings.upstreams.ticketing.0.clone(),
            http_client(Duration::from_secs(settings.gateway.upstream_timeout_secs)),
        );
        let state = web::Data::new(SchedulerState {
            engineers: Engineers::new(db.clone()),
            jobs: Jobs::new(db.clone()),
            dispatch: crate::store::dispatch::Dispatch::new(db.clone()),
            rounds: crate::store::rounds::Rounds::new(db.clone()),
            db,
            service_token: ServiceToken::new(SERVICE, tenants.clone(), settings.auth.service_secret.clone()),
            tenants: canopy_api::tenants::TenantsClient::new(tenants),
            ticketing: canopy_api::ticketing::TicketingClient::new(ticketing),
            billing: (!settings.upstreams.billing.0.is_empty()).then(|| {
                canopy_api::billing::BillingClient::new(ServiceClient::new(
                    "billing",
                    settings.upstreams.billing.0.clone(),
                    http_client(Duration::from_secs(600)),
                ))
            }),
            replica: format!("scheduler-{}", uuid::Uuid::new_v4().simple()),
            settings: settings.clone(),
            clock,
            backends,
        });
        if settings.scheduler.system_jobs {
            jobs::install_system_jobs(&state).await.map_err(|e| anyhow::anyhow!("system jobs: {e}"))?;
        }
        jobs::spawn(state.clone());
        dispatcher::spawn(state.clone());
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
        tracing::info!(%addr, database = %canopy_kernel::db::describe(&settings, SERVICE), "scheduler service listening");
        Ok(Self { addr, server, state })
    }

    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    pub fn handle(&self) -> ServerHandle {
        self.server.handle()
    }

    pub fn state(&self) -> web::Data<SchedulerState> {
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
