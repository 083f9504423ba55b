//! The scheduler service: the provider's dispatch centre. One team of engineers serves every
//! tenant; this service knows them (skills and levels, support level, regions, shift
//! calendars, time off, capacity) and dispatches work across tenants.

pub mod dispatcher;
pub mod domain;
pub mod jobs;
pub mod openapi;
pub mod rounds;
pub mod routes;
pub mod settings;
pub mod state;
pub mod store;

use std::sync::Arc;
use std::time::Duration;

use actix_web::web;
use sea_orm::{DatabaseConnection, DbErr};
use utoipa::OpenApi;

use canopy_kernel::auth::TokenVerifier;
use canopy_kernel::client::ServiceToken;
use canopy_kernel::service::{Context, Service, Workers};
use canopy_migrations::MigratorTrait;

use crate::state::SchedulerState;
use crate::store::engineers::Engineers;
use crate::store::jobs::Jobs;

pub const SERVICE: &str = Scheduler::NAME;

pub struct Scheduler;

pub type Application = canopy_kernel::service::Application<Scheduler>;

impl Service for Scheduler {
    const NAME: &'static str = "scheduler";
    const UPSTREAMS: &'static [&'static str] = &["tenants"];
    const OPENAPI: Option<fn() -> utoipa::openapi::OpenApi> = Some(openapi::ApiDoc::openapi);
    type Settings = settings::SchedulerConfig;
    type State = SchedulerState;

    async fn migrate(db: &DatabaseConnection) -> Result<(), DbErr> {
        canopy_migrations::scheduler::Migrator::up(db, None).await
    }

    /// Also installs the system jobs (shift handover, rounds, billing, reports) when enabled.
    async fn state(ctx: &Context<Self::Settings>) -> anyhow::Result<SchedulerState> {
        let (settings, db) = (ctx.settings.clone(), ctx.db()?);
        let tenants = ctx.upstream("tenants");
        let state = SchedulerState {
            engineers: Engineers::new(db.clone()),
            jobs: Jobs::new(db.clone()),
            dispatch: crate::store::dispatch::Dispatch::new(db.clone()),
            rounds: crate::store::rounds::Rounds::new(db.clone()),
            db,
            service_token: ServiceToken::new(
                Self::NAME,
                tenants.clone(),
                settings.auth.service_secret.clone(),
            ),
            verifier: ctx.jwks_verifier(),
            tenants: canopy_api::tenants::TenantsClient::new(tenants),
            ticketing: canopy_api::ticketing::TicketingClient::new(ctx.upstream("ticketing")),
            // A billing run can take minutes.
            billing: ctx.optional_upstream("billing").map(|_| {
                canopy_api::billing::BillingClient::new(
                    ctx.upstream_with_timeout("billing", Duration::from_secs(600)),
                )
            }),
            replica: format!("scheduler-{}", uuid::Uuid::new_v4().simple()),
            settings: settings.clone(),
            clock: ctx.clock.clone(),
            backends: ctx.backends.clone(),
        };
        if settings.scheduler.system_jobs {
            jobs::install_system_jobs(&state).await.map_err(|e| anyhow::anyhow!("system jobs: {e}"))?;
        }
        Ok(state)
    }

    fn verifier(state: &SchedulerState) -> Option<Arc<TokenVerifier>> {
        Some(state.verifier.clone())
    }

    fn routes(cfg: &mut web::ServiceConfig) {
        routes::configure(cfg);
    }

    /// Recurring jobs' ticks and the instant dispatcher.
    fn workers(state: &web::Data<SchedulerState>, workers: &mut Workers) -> anyhow::Result<()> {
        let ticking = state.clone();
        let every = Duration::from_millis(state.settings.scheduler.tick_ms.max(10));
        workers.every("recurring_jobs", every, move || {
            let state = ticking.clone();
            async move { jobs::tick(&state).await.map(|_| false) }
        });
        dispatcher::follow(state, workers);
        Ok(())
    }
}
