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
pub mod settings;
pub mod state;
pub mod store;
pub mod stripe;

use std::sync::Arc;
use std::time::Duration;

use actix_web::web;
use sea_orm::{DatabaseConnection, DbErr};
use utoipa::OpenApi;

use canopy_kernel::auth::TokenVerifier;
use canopy_kernel::client::ServiceToken;
use canopy_kernel::service::{Context, Service, Workers};
use canopy_migrations::MigratorTrait;

use crate::settings::ProviderKind;
use crate::state::BillingState;
use crate::store::invoices::Invoices;

pub const SERVICE: &str = Billing::NAME;

pub struct Billing;

pub type Application = canopy_kernel::service::Application<Billing>;

impl Service for Billing {
    const NAME: &'static str = "billing";
    const UPSTREAMS: &'static [&'static str] = &["tenants", "catalog", "ticketing"];
    const OPENAPI: Option<fn() -> utoipa::openapi::OpenApi> = Some(openapi::ApiDoc::openapi);
    type Settings = settings::BillingConfig;
    type State = BillingState;

    async fn migrate(db: &DatabaseConnection) -> Result<(), DbErr> {
        canopy_migrations::billing::Migrator::up(db, None).await
    }

    async fn state(ctx: &Context<Self::Settings>) -> anyhow::Result<BillingState> {
        let db = ctx.db()?;
        // A run reads whole months of breaches and work.
        let upstream = |name| ctx.upstream_with_timeout(name, Duration::from_secs(60));
        let tenants = upstream("tenants");
        Ok(BillingState {
            invoices: Invoices::new(db.clone()),
            payments: crate::store::payments::Payments::new(db.clone()),
            db,
            service_token: ServiceToken::new(
                Self::NAME,
                tenants.clone(),
                ctx.settings.auth.service_secret.clone(),
            ),
            catalog: canopy_api::catalog::CatalogClient::new(upstream("catalog")),
            ticketing: canopy_api::ticketing::TicketingClient::new(upstream("ticketing")),
            verifier: ctx.jwks_verifier(),
            tenants: canopy_api::tenants::TenantsClient::new(tenants),
            settings: ctx.settings.clone(),
            clock: ctx.clock.clone(),
            backends: ctx.backends.clone(),
        })
    }

    fn verifier(state: &BillingState) -> Option<Arc<TokenVerifier>> {
        Some(state.verifier.clone())
    }

    fn routes(cfg: &mut web::ServiceConfig) {
        routes::configure(cfg);
    }

    /// The payment worker, handing invoices and credit notes to the configured provider.
    fn workers(state: &web::Data<BillingState>, workers: &mut Workers) -> anyhow::Result<()> {
        match state.settings.billing.provider {
            ProviderKind::Stripe => {
                provider::start(state, stripe::Stripe::new(&state.settings.billing)?, workers)
            }
            ProviderKind::Ledger => provider::start(state, provider::Ledger, workers),
        }
        Ok(())
    }
}
