//! The tenants service: tenants and their lifecycle, users and roles, sign-in with rotating
//! refresh tokens, the JWKS, API keys for monitoring agents, and each tenant's versioned
//! virtual configuration.

pub mod admin;
pub mod bootstrap;
pub mod domain;
pub mod openapi;
pub mod routes;
pub mod settings;
pub mod state;
pub mod store;
pub mod webhooks;

use std::sync::Arc;
use std::time::Duration;

use actix_web::web;
use sea_orm::{DatabaseConnection, DbErr};
use utoipa::OpenApi;

use canopy_kernel::auth::{TokenSigner, TokenVerifier};
use canopy_kernel::service::{Context, Service, Workers};
use canopy_migrations::MigratorTrait;

use crate::domain::secrets::PasswordHasherConfig;
use crate::state::TenantsState;
use crate::store::{
    api_keys::ApiKeys, configs::Configs, keys::Keys, sessions::Sessions, tenants::Tenants, users::Users,
};

pub const SERVICE: &str = TenantsService::NAME;

pub struct TenantsService;

pub type Application = canopy_kernel::service::Application<TenantsService>;

impl Service for TenantsService {
    const NAME: &'static str = "tenants";
    const OPENAPI: Option<fn() -> utoipa::openapi::OpenApi> = Some(openapi::ApiDoc::openapi);
    type Settings = settings::TenantsConfig;
    type State = TenantsState;

    async fn migrate(db: &DatabaseConnection) -> Result<(), DbErr> {
        canopy_migrations::tenants::Migrator::up(db, None).await
    }

    /// Loads (or makes) the signing key and, with CANOPY_ADMIN_EMAIL/PASSWORD, the first
    /// provider admin.
    async fn state(ctx: &Context<Self::Settings>) -> anyhow::Result<TenantsState> {
        let (settings, db) = (&ctx.settings, ctx.db()?);
        let keys = Keys::new(db.clone());
        let key = bootstrap::signing_key(settings, &keys, ctx.clock.now()).await?;
        // The service checks tokens against its own key table, not over HTTP.
        let verifier = TokenVerifier::from_source(
            &settings.auth.issuer,
            &settings.auth.audience,
            keys.clone(),
            Duration::from_secs(settings.auth.jwks_min_refresh_secs),
        );
        verifier.replace_keys(&keys.jwks().await?);
        let (memory, iterations) = (settings.auth.argon2_memory_kib, settings.auth.argon2_iterations);
        let passwords =
            tokio::task::spawn_blocking(move || PasswordHasherConfig::new(memory, iterations)).await??;
        let state = TenantsState {
            tenants: Tenants::new(db.clone()),
            users: Users::new(db.clone()),
            sessions: Sessions::new(db.clone()),
            api_keys: ApiKeys::new(db.clone()),
            configs: Configs::new(db.clone()),
            deliveries: crate::store::webhooks::Deliveries::new(db.clone()),
            revocations: crate::store::revocations::Revocations::new(db.clone()),
            throttles: crate::store::security::Throttles::new(db.clone()),
            totps: crate::store::security::Totps::new(db.clone()),
            audit: crate::store::security::Audit::new(db.clone()),
            login_clock: std::sync::OnceLock::new(),
            keys,
            signer: TokenSigner::new(&key),
            verifier: Arc::new(verifier),
            passwords,
            db,
            settings: settings.clone(),
            clock: ctx.clock.clone(),
            backends: ctx.backends.clone(),
        };
        bootstrap::first_admin(&state)
            .await
            .map_err(|e| anyhow::anyhow!("creating the first admin: {e:?}"))?;
        Ok(state)
    }

    fn verifier(state: &TenantsState) -> Option<Arc<TokenVerifier>> {
        Some(state.verifier.clone())
    }

    fn routes(cfg: &mut web::ServiceConfig) {
        routes::configure(cfg);
    }

    fn workers(state: &web::Data<TenantsState>, workers: &mut Workers) -> anyhow::Result<()> {
        webhooks::start(state, workers);
        // Revocations outlive every token they concern by their expiry; keep an hour more.
        let pruner = state.clone();
        workers.every("revocation_pruner", Duration::from_secs(600), move || {
            let state = pruner.clone();
            async move {
                let before = state.now() - chrono::TimeDelta::hours(1);
                let pruned = state.revocations.prune(before).await?;
                if pruned > 0 {
                    tracing::info!(pruned, "expired access revocations forgotten");
                }
                Ok::<_, canopy_kernel::ApiError>(false)
            }
        });
        Ok(())
    }
}
