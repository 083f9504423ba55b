//! One way to run a service. A service says what it is — its name, the services it calls, its
//! migrations, how its state is built, its routes and its background workers — by implementing
//! [`Service`]; [`Application`] does the rest the same way for all of them: connect and
//! migrate, build the state, start the workers under one cancellation token, serve HTTP with
//! the shared middleware, and on the way out stop the server and drain the workers. A worker
//! that ends on its own is noticed at once and stops its service with an error.

mod workers;

use std::future::Future;
use std::net::{SocketAddr, TcpListener};
use std::sync::Arc;
use std::time::Duration;

use actix_web::dev::{Server, ServerHandle};
use actix_web::web;
use anyhow::Context as _;

use crate::auth::TokenVerifier;
use crate::backends::Backends;
use crate::client::{ServiceClient, http_client};
use crate::clock::SharedClock;
use crate::config::{Configuration, Settings};
use crate::http::ServeOptions;

pub use sea_orm::{DatabaseConnection, DbErr};
pub use workers::{Received, Workers, sleep_or_cancel};

/// What a service is; the kernel's [`Application`] runs it.
pub trait Service: Sized + 'static {
    /// Its name: the database schema (or SQLite file), the logs' and metrics' label.
    const NAME: &'static str;
    /// The services it calls; starting fails when one has no address configured.
    const UPSTREAMS: &'static [&'static str] = &[];
    /// Whether it keeps a database of its own (the gateway keeps none).
    const DATABASE: bool = true;
    /// Its own OpenAPI document, served at `/api-docs/openapi.json` beside the probes.
    const OPENAPI: Option<fn() -> utoipa::openapi::OpenApi> = None;

    /// Its configuration: the common settings and its own sections, if it has any.
    type Settings: Configuration + Send + Sync + 'static;
    /// What its handlers and workers share.
    type State: Send + Sync + 'static;

    /// Applies its migrations to its own schema or file.
    fn migrate(db: &DatabaseConnection) -> impl Future<Output = Result<(), DbErr>> + Send;

    /// Builds its state, and does what must be done before the first request (bootstrap).
    fn state(ctx: &Context<Self::Settings>) -> impl Future<Output = anyhow::Result<Self::State>> + Send;

    /// The verifier its requests' bearer tokens are checked with, when it checks them itself.
    fn verifier(state: &Self::State) -> Option<Arc<TokenVerifier>>;

    /// Its routes.
    fn routes(cfg: &mut web::ServiceConfig);

    /// Starts its background workers; an error stops the service from starting.
    fn workers(_state: &web::Data<Self::State>, _workers: &mut Workers) -> anyhow::Result<()> {
        Ok(())
    }

    /// How its HTTP server is set up.
    fn serve_options(settings: &Settings) -> ServeOptions {
        ServeOptions {
            body_timeout: Duration::from_secs(settings.gateway.body_timeout_secs),
            ..ServeOptions::new(settings.gateway.max_body_bytes)
        }
    }
}

/// What a service's state is built from.
pub struct Context<C> {
    pub settings: Arc<C>,
    pub backends: Backends,
    pub clock: SharedClock,
    db: Option<DatabaseConnection>,
    http: reqwest::Client,
}

impl<C: Configuration> Context<C> {
    fn common(&self) -> &Settings {
        (*self.settings).as_ref()
    }

    /// The service's own database (a service with `DATABASE = false` has none).
    pub fn db(&self) -> anyhow::Result<DatabaseConnection> {
        self.db.clone().context("this service keeps no database")
    }

    /// A client for another service, by name (`tenants`, `catalog`, …); its replicas may be
    /// unconfigured when the service is not in `UPSTREAMS` (then calls fail, and `optional`
    /// tells).
    pub fn upstream(&self, name: &'static str) -> ServiceClient {
        self.upstream_with(name, self.http.clone())
    }

    /// The same with its own time limit (long calls such as a billing run).
    pub fn upstream_with_timeout(&self, name: &'static str, timeout: Duration) -> ServiceClient {
        self.upstream_with(name, http_client(timeout))
    }

    fn upstream_with(&self, name: &'static str, http: reqwest::Client) -> ServiceClient {
        ServiceClient::new(name, self.common().upstreams.of(name).to_vec(), http)
    }

    /// A client for another service when one is configured.
    pub fn optional_upstream(&self, name: &'static str) -> Option<ServiceClient> {
        (!self.common().upstreams.of(name).is_empty()).then(|| self.upstream(name))
    }

    /// Verifies tokens with the keys the tenants service publishes (its JWKS).
    pub fn jwks_verifier(&self) -> Arc<TokenVerifier> {
        let auth = &self.common().auth;
        Arc::new(TokenVerifier::from_source(
            &auth.issuer,
            &auth.audience,
            self.upstream("tenants"),
            Duration::from_secs(auth.jwks_min_refresh_secs),
        ))
    }
}

/// Connects `S` to its database and applies its migrations.
pub async fn migrate<S: Service>(settings: &Settings) -> anyhow::Result<DatabaseConnection> {
    let db = crate::db::connect(settings, S::NAME).await?;
    S::migrate(&db).await.with_context(|| format!("migrating {}", S::NAME))?;
    Ok(db)
}

/// A service built and bound, ready to run.
pub struct Application<S: Service> {
    addr: SocketAddr,
    server: Server,
    state: web::Data<S::State>,
    workers: Workers,
}

impl<S: Service> Application<S> {
    /// Connects, migrates, builds the state, starts the workers and binds `listener`; requests
    /// are served once [`run`](Self::run) is awaited.
    pub async fn build(
        settings: Arc<S::Settings>,
        backends: Backends,
        clock: SharedClock,
        listener: TcpListener,
    ) -> anyhow::Result<Self> {
        let config = settings;
        let settings: &Settings = (*config).as_ref();
        let missing: Vec<_> =
            S::UPSTREAMS.iter().filter(|name| settings.upstreams.of(name).is_empty()).collect();
        anyhow::ensure!(
            missing.is_empty(),
            "{} needs the addresses of {}",
            S::NAME,
            missing
                .iter()
                .map(|n| format!("upstreams.{n} (CANOPY_UPSTREAMS__{})", n.to_uppercase()))
                .collect::<Vec<_>>()
                .join(", ")
        );
        let db = if S::DATABASE { Some(migrate::<S>(settings).await?) } else { None };
        let ctx = Context {
            http: http_client(Duration::from_secs(settings.gateway.upstream_timeout_secs)),
            settings: config.clone(),
            backends: backends.clone(),
            clock,
            db: db.clone(),
        };
        let state = web::Data::new(S::state(&ctx).await?);
        let mut workers = Workers::new(S::NAME);
        S::workers(&state, &mut workers)?;

        let addr = listener.local_addr()?;
        let verifier = S::verifier(&state).map(web::Data::new);
        let dependencies = db.clone().map(|db| web::Data::new(crate::http::Dependencies { db, backends }));
        let app_state = state.clone();
        let server = crate::http::serve(S::NAME, listener, &S::serve_options(settings), move |cfg| {
            cfg.app_data(app_state.clone());
            if let Some(verifier) = &verifier {
                cfg.app_data(verifier.clone());
            }
            if let Some(dependencies) = &dependencies {
                cfg.app_data(dependencies.clone());
            }
            S::routes(cfg);
            if let Some(openapi) = S::OPENAPI {
                crate::http::service_routes(cfg, openapi);
            }
        })?;
        match &db {
            Some(_) => {
                tracing::info!(service = S::NAME, %addr, database = %crate::db::describe(settings, S::NAME), "listening")
            }
            None => tracing::info!(service = S::NAME, %addr, "listening"),
        }
        Ok(Self { addr, server, state, workers })
    }

    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Stops the server (gracefully or not); [`run`](Self::run) then drains the workers.
    pub fn handle(&self) -> ServerHandle {
        self.server.handle()
    }

    pub fn state(&self) -> web::Data<S::State> {
        self.state.clone()
    }

    /// Serves until the server is stopped (a signal, or the handle), then cancels the workers
    /// and waits for them; a worker that ends first stops the server and is the error.
    pub async fn run(self) -> anyhow::Result<()> {
        let Self { server, mut workers, .. } = self;
        let handle = server.handle();
        let mut server = std::pin::pin!(server);
        let outcome = tokio::select! {
            served = &mut server => served.with_context(|| format!("the {} server failed", S::NAME)),
            died = workers.first_ended() => {
                // The server future carries out the stop: drive both at once.
                let _ = tokio::join!(handle.stop(true), server);
                Err(died)
            }
        };
        workers.shutdown(Duration::from_secs(10)).await;
        outcome
    }
}

/// Runs `S` alone in this process, as its own binary or `canopy <service>` does: telemetry,
/// backends from the settings, the listen address, the real clock.
pub async fn run_alone<S: Service>(config: S::Settings) -> anyhow::Result<()> {
    let settings: &Settings = config.as_ref();
    let _telemetry = crate::telemetry::init(&settings.telemetry, &format!("canopy-{}", S::NAME))?;
    let backends = Backends::from_settings(settings).await?;
    let listener = TcpListener::bind(&settings.listen)
        .with_context(|| format!("cannot listen on {} (CANOPY_LISTEN)", settings.listen))?;
    let clock: SharedClock = Arc::new(crate::clock::SystemClock);
    let metrics = crate::telemetry::start_metrics(&settings.metrics_listen);
    let outcome = Application::<S>::build(Arc::new(config), backends, clock, listener).await?.run().await;
    if let Some((_, handle)) = metrics {
        handle.stop(false).await;
    }
    outcome
}

/// A service's own binary: its configuration from the file and environment, then
/// [`run_alone`].
pub async fn main<S: Service>() -> anyhow::Result<()> {
    run_alone::<S>(S::Settings::load(None)?).await
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicBool, Ordering};

    use super::*;

    /// A service with no database whose one worker does what the test says.
    struct Probe;

    static FAIL_AFTER_MS: std::sync::Mutex<Option<u64>> = std::sync::Mutex::new(None);
    static DRAINED: AtomicBool = AtomicBool::new(false);

    impl Service for Probe {
        const NAME: &'static str = "probe";
        const DATABASE: bool = false;
        type Settings = Settings;
        type State = ();

        async fn migrate(_db: &DatabaseConnection) -> Result<(), DbErr> {
            Ok(())
        }

        async fn state(_ctx: &Context<Settings>) -> anyhow::Result<()> {
            Ok(())
        }

        fn verifier(_state: &()) -> Option<Arc<TokenVerifier>> {
            None
        }

        fn routes(_cfg: &mut web::ServiceConfig) {}

        fn workers(_state: &web::Data<()>, workers: &mut Workers) -> anyhow::Result<()> {
            let fail_after = FAIL_AFTER_MS.lock().ok().and_then(|g| *g);
            workers.spawn("probe_worker", move |cancel| async move {
                match fail_after {
                    Some(ms) => {
                        tokio::time::sleep(Duration::from_millis(ms)).await;
                        anyhow::bail!("the probe gave up")
                    }
                    None => {
                        cancel.cancelled().await;
                        DRAINED.store(true, Ordering::SeqCst);
                        Ok(())
                    }
                }
            });
            Ok(())
        }
    }

    async fn build() -> Application<Probe> {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let clock: SharedClock = Arc::new(crate::clock::SystemClock);
        Application::<Probe>::build(Arc::new(Settings::default()), Backends::in_process(), clock, listener)
            .await
            .unwrap()
    }

    // One test, so the two cases do not race on the probe's statics.
    #[tokio::test]
    async fn a_dead_worker_stops_its_service_and_a_stopped_service_drains_its_workers() {
        *FAIL_AFTER_MS.lock().unwrap() = Some(50);
        let app = build().await;
        let err = tokio::time::timeout(Duration::from_secs(10), app.run())
            .await
            .expect("the service stops by itself")
            .expect_err("a worker that died is an error");
        let message = format!("{err:#}");
        assert!(message.contains("probe_worker") && message.contains("the probe gave up"), "{message}");

        *FAIL_AFTER_MS.lock().unwrap() = None;
        let app = build().await;
        let handle = app.handle();
        let running = tokio::spawn(app.run());
        tokio::time::sleep(Duration::from_millis(50)).await;
        assert!(!DRAINED.load(Ordering::SeqCst));
        handle.stop(true).await;
        tokio::time::timeout(Duration::from_secs(10), running).await.unwrap().unwrap().unwrap();
        assert!(DRAINED.load(Ordering::SeqCst), "the worker saw the cancellation before run() returned");
    }
}
