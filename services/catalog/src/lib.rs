//! The catalog service: the services the provider offers, SLA tiers (targets, coverage,
//! availability, credit policy), priced plans, tenants' contracts with their terms over time,
//! each tenant's effective SLA policy, and due-time previews computed by the SLA engine.

pub mod domain;
pub mod openapi;
pub mod routes;
pub mod state;
pub mod store;

use std::sync::Arc;

use actix_web::web;
use sea_orm::{DatabaseConnection, DbErr};
use utoipa::OpenApi;

use canopy_kernel::auth::TokenVerifier;
use canopy_kernel::service::{Context, Service};
use canopy_migrations::MigratorTrait;

use crate::state::CatalogState;
use crate::store::contracts::Contracts;
use crate::store::offerings::Offerings;

pub const SERVICE: &str = Catalog::NAME;

pub struct Catalog;

pub type Application = canopy_kernel::service::Application<Catalog>;

impl Service for Catalog {
    const NAME: &'static str = "catalog";
    const UPSTREAMS: &'static [&'static str] = &["tenants"];
    const OPENAPI: Option<fn() -> utoipa::openapi::OpenApi> = Some(openapi::ApiDoc::openapi);
    type Settings = canopy_kernel::config::Settings;
    type State = CatalogState;

    async fn migrate(db: &DatabaseConnection) -> Result<(), DbErr> {
        canopy_migrations::catalog::Migrator::up(db, None).await
    }

    async fn state(ctx: &Context<Self::Settings>) -> anyhow::Result<CatalogState> {
        let db = ctx.db()?;
        Ok(CatalogState {
            offerings: Offerings::new(db.clone()),
            contracts: Contracts::new(db.clone()),
            db,
            tenants: canopy_api::tenants::TenantsClient::new(ctx.upstream("tenants")),
            verifier: ctx.jwks_verifier(),
            settings: ctx.settings.clone(),
            clock: ctx.clock.clone(),
            backends: ctx.backends.clone(),
        })
    }

    fn verifier(state: &CatalogState) -> Option<Arc<TokenVerifier>> {
        Some(state.verifier.clone())
    }

    fn routes(cfg: &mut web::ServiceConfig) {
        routes::configure(cfg);
    }
}
