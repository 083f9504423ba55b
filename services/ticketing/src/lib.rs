//! The ticketing service: ITIL tickets raised by people, by API or by monitoring agents,
//! classified by the tenant's configuration, judged against the SLA policy copied onto each
//! ticket when it is raised, with every change and clock step in an append-only log and
//! every outgoing event written in the same transaction (outbox).

pub mod contracts;
pub mod domain;
pub mod openapi;
pub mod reports;
pub mod routes;
pub mod settings;
pub mod state;
pub mod store;
pub mod watch;

use std::sync::Arc;
use std::time::Duration;

use actix_web::web;
use sea_orm::{DatabaseConnection, DbErr};
use utoipa::OpenApi;

use canopy_kernel::auth::TokenVerifier;
use canopy_kernel::service::{Context, Service, Workers};
use canopy_migrations::MigratorTrait;

use crate::state::TicketingState;
use crate::store::tickets::Tickets;

pub const SERVICE: &str = Ticketing::NAME;

pub struct Ticketing;

pub type Application = canopy_kernel::service::Application<Ticketing>;

impl Service for Ticketing {
    const NAME: &'static str = "ticketing";
    const UPSTREAMS: &'static [&'static str] = &["tenants", "catalog"];
    const OPENAPI: Option<fn() -> utoipa::openapi::OpenApi> = Some(openapi::ApiDoc::openapi);
    type Settings = settings::TicketingConfig;
    type State = TicketingState;

    async fn migrate(db: &DatabaseConnection) -> Result<(), DbErr> {
        canopy_migrations::ticketing::Migrator::up(db, None).await
    }

    async fn state(ctx: &Context<Self::Settings>) -> anyhow::Result<TicketingState> {
        let db = ctx.db()?;
        let settings = ctx.settings.clone();
        Ok(TicketingState {
            tickets: Tickets::new(db.clone()),
            alerts: store::alerts::Alerts::new(db.clone()),
            knowledge: store::knowledge::Knowledge::new(db.clone()),
            reports: store::reports::Reports::new(db.clone()),
            billing: ctx.optional_upstream("billing").map(canopy_api::billing::BillingClient::new),
            ingest: tokio::sync::Semaphore::new(settings.events.ingest_max_in_flight.max(1)),
            db,
            tenants: canopy_api::tenants::TenantsClient::new(ctx.upstream("tenants")),
            catalog: canopy_api::catalog::CatalogClient::new(ctx.upstream("catalog")),
            verifier: ctx.jwks_verifier(),
            settings,
            clock: ctx.clock.clone(),
            backends: ctx.backends.clone(),
        })
    }

    fn verifier(state: &TicketingState) -> Option<Arc<TokenVerifier>> {
        Some(state.verifier.clone())
    }

    fn routes(cfg: &mut web::ServiceConfig) {
        routes::configure(cfg);
    }

    /// The outbox publisher, the breach watch and the follower of contract changes.
    fn workers(state: &web::Data<TicketingState>, workers: &mut Workers) -> anyhow::Result<()> {
        let (db, bus) = (state.db.clone(), state.backends.bus.clone());
        let every = Duration::from_millis(state.settings.events.outbox_interval_ms);
        workers.every("outbox", every, move || {
            let (db, bus) = (db.clone(), bus.clone());
            async move { store::outbox::publish_pending(&db, bus.as_ref(), 100).await.map(|n| n > 0) }
        });
        let watched = state.clone();
        let every = Duration::from_millis(state.settings.sla.watch_interval_ms);
        workers.every("breach_watch", every, move || {
            let state = watched.clone();
            async move { watch::tick(&state).await.map(|_| false) }
        });
        contracts::follow(state, workers);
        Ok(())
    }
}
