//! The tenants service: tenants and their lifecycle, users and roles, sign-in with rotating
//! refresh tokens, the JWKS, API keys for monitoring agents, and each tenant's versioned
//! virtual configuration.

pub mod admin;
pub mod bootstrap;
pub mod domain;
pub mod openapi;
pub mod routes;
pub mod state;
pub mod store;
pub mod webhooks;

use std::net::{SocketAddr, TcpListener};
use std::sync::Arc;
use std::time::Duration;

use actix_web::dev::{Server, ServerHandle};
use actix_web::web;
use sea_orm::DatabaseConnection;
use utoipa::OpenApi;

use canopy_kernel::auth::{TokenSigner, TokenVerifier};
use canopy_kernel::backends::Backends;
use canopy_kernel::clock::SharedClock;
use canopy_kernel::config::Settings;
use canopy_migrations::MigratorTrait;

use crate::domain::secrets::PasswordHasherConfig;
use crate::state::TenantsState;
use crate::store::{
    api_keys::ApiKeys, configs::Configs, keys::Keys, sessions::Sessions, tenants::Tenants, users::Users,
};

pub const SERVICE: &str = "tenants";

/// Applies this service's migrations to its schema.
pub async fn migrate(settings: &Settings) -> anyhow::Result<DatabaseConnection> {
    let db = canopy_kernel::db::connect(settings, SERVICE).await?;
    canopy_migrations::tenants::Migrator::up(&db, None).await?;
    Ok(db)
}

pub struct Application {
    addr: SocketAddr,
    server: Server,
    state: web::Data<TenantsState>,
}

impl Application {
    /// Connects, migrates, bootstraps and binds; the server runs once awaited.
    pub async fn build(
        settings: Arc<Settings>,
        backends: Backends,
        clock: SharedClock,
        listener: TcpListener,
    ) -> anyhow::Result<Self> {
        let db = migrate(&settings).await?;
        let keys = Keys::new(db.clone());
        let key = bootstrap::signing_key(&settings, &keys, clock.now()).await?;
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
        let state = web::Data::new(TenantsState {
            tenants: Tenants::new(db.clone()),
            users: Users::new(db.clone()),
            sessions: Sessions::new(db.clone()),
            api_keys: ApiKeys::new(db.clone()),
            configs: Configs::new(db.clone()),
            deliveries: crate::store::webhooks::Deliveries::new(db.clone()),
            keys,
            signer: TokenSigner::new(&key),
            passwords,
            db,
            settings: settings.clone(),
            clock,
            backends,
        });
        bootstrap::first_admin(&state)
            .await
            .map_err(|e| anyhow::anyhow!("creating the first admin: {e:?}"))?;

        webhooks::spawn(state.clone());

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
        tracing::info!(%addr, database = %canopy_kernel::db::describe(&settings, SERVICE), backends = state.backends.describe(), "tenants service listening");
        Ok(Self { addr, server, state })
    }

    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    pub fn handle(&self) -> ServerHandle {
        self.server.handle()
    }

    pub fn state(&self) -> web::Data<TenantsState> {
        self.state.clone()
    }

    pub async fn run(self) -> std::io::Result<()> {
        self.server.await
    }
}

/// Every route of the service, including probes and its OpenAPI document.
pub fn configure(cfg: &mut web::ServiceConfig) {
    routes::configure(cfg);
    canopy_kernel::http::service_routes(cfg, openapi::ApiDoc::openapi);
}
