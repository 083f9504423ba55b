//! The whole platform in one process, as `canopy serve` runs it: every service on its own
//! loopback port, the gateway in front on the public address. The services talk to each
//! other over HTTP exactly as they do when they run as separate processes.

pub mod config;
pub mod demo;
mod demo_catalog;
pub mod demo_tickets;

use std::net::{SocketAddr, TcpListener};
use std::sync::Arc;

use actix_web::dev::ServerHandle;
use futures_util::future::select_all;
use tokio::task::JoinHandle;

use canopy_kernel::backends::Backends;
use canopy_kernel::clock::SharedClock;
use canopy_kernel::config::UrlList;

pub use crate::config::PlatformConfig;
use canopy_billing::Billing;
use canopy_catalog::Catalog;
use canopy_gateway::Gateway;
use canopy_kernel::service::{Application, Service};
use canopy_scheduler::Scheduler;
use canopy_tenants::TenantsService;
use canopy_ticketing::Ticketing;
use canopy_web::Web;

/// One service of the platform, running.
struct Running {
    name: &'static str,
    handle: ServerHandle,
    task: JoinHandle<anyhow::Result<()>>,
}

async fn build<S: Service>(
    config: S::Settings,
    backends: &Backends,
    clock: SharedClock,
    listener: TcpListener,
) -> anyhow::Result<Application<S>> {
    Application::build(Arc::new(config), backends.clone(), clock, listener).await
}

fn launch<S: Service>(app: Application<S>) -> Running {
    Running { name: S::NAME, handle: app.handle(), task: tokio::spawn(app.run()) }
}

pub struct Platform {
    pub gateway: SocketAddr,
    pub tenants: SocketAddr,
    pub catalog: SocketAddr,
    pub ticketing: SocketAddr,
    pub scheduler: SocketAddr,
    pub billing: SocketAddr,
    pub web: SocketAddr,
    /// The internal listener of `/metrics` (`metrics_listen`), when it could be bound.
    pub metrics: Option<SocketAddr>,
    metrics_handle: Option<ServerHandle>,
    pub tenants_state: actix_web::web::Data<canopy_tenants::state::TenantsState>,
    services: Vec<Running>,
}

impl Platform {
    /// Starts every service and the gateway on `listener`. Backends (cache, limiter, bus) are
    /// shared by the services, as Redis would be. `clock` is business time (SLA clocks,
    /// contracts in force, the gateway's rate limits); sign-in and tokens always run on the real clock, which is what
    /// token verification checks against.
    pub async fn start(
        mut settings: PlatformConfig,
        backends: Backends,
        clock: SharedClock,
        listener: TcpListener,
    ) -> anyhow::Result<Self> {
        let internal = || TcpListener::bind("127.0.0.1:0");
        let listeners = [internal()?, internal()?, internal()?, internal()?, internal()?, internal()?];
        let [tenants, catalog, ticketing, scheduler, billing, web] =
            [0, 1, 2, 3, 4, 5].map(|i| listeners[i].local_addr());
        let (tenants, catalog, ticketing, scheduler, billing, web) =
            (tenants?, catalog?, ticketing?, scheduler?, billing?, web?);
        let url = |addr: SocketAddr| UrlList(vec![format!("http://{addr}")]);
        settings.upstreams.tenants = url(tenants);
        settings.upstreams.catalog = url(catalog);
        settings.upstreams.ticketing = url(ticketing);
        settings.upstreams.scheduler = url(scheduler);
        settings.upstreams.billing = url(billing);
        settings.upstreams.web = url(web);
        // The web application calls the API back through the gateway.
        settings.upstreams.gateway = url(listener.local_addr()?);
        if settings.auth.service_secret.is_none() {
            // One process: the services share a secret made for this run.
            let secret = format!("{}{}", uuid::Uuid::new_v4().simple(), uuid::Uuid::new_v4().simple());
            settings.auth.service_secret = Some(canopy_kernel::config::Secret::new(secret));
        }
        let [l_tenants, l_catalog, l_ticketing, l_scheduler, l_billing, l_web] = listeners;
        let real_clock: SharedClock = Arc::new(canopy_kernel::clock::SystemClock);

        let b = &backends;
        let tenants_app = build::<TenantsService>(settings.tenants(), b, real_clock, l_tenants).await?;
        let tenants_state = tenants_app.state();
        // Sign-in protection (failure delays, TOTP steps) runs on business time, so that it
        // can be moved in tests; in production both clocks are the system's.
        let _ = tenants_state.login_clock.set(clock.clone());
        let mut services = vec![
            launch(tenants_app),
            launch(build::<Catalog>(settings.common.clone(), b, clock.clone(), l_catalog).await?),
            launch(build::<Ticketing>(settings.ticketing(), b, clock.clone(), l_ticketing).await?),
            launch(build::<Scheduler>(settings.scheduler(), b, clock.clone(), l_scheduler).await?),
            launch(build::<Billing>(settings.billing(), b, clock.clone(), l_billing).await?),
            launch(build::<Web>(settings.common.clone(), b, clock.clone(), l_web).await?),
        ];
        let metrics_listen = settings.metrics_listen.clone();
        let gateway_app = build::<Gateway>(settings.common, b, clock, listener).await?;
        let gateway = gateway_app.addr();
        services.push(launch(gateway_app));
        let (metrics, metrics_handle) = canopy_kernel::telemetry::start_metrics(&metrics_listen).unzip();
        Ok(Self {
            gateway,
            tenants,
            catalog,
            ticketing,
            scheduler,
            billing,
            web,
            metrics,
            metrics_handle,
            tenants_state,
            services,
        })
    }

    /// Runs until one service stops — Ctrl-C or SIGTERM stops them all gracefully; a service
    /// or worker that fails stops the others, and is the error.
    pub async fn wait(self) -> anyhow::Result<()> {
        let names: Vec<_> = self.services.iter().map(|s| s.name).collect();
        let handles: Vec<_> = self.services.iter().map(|s| s.handle.clone()).collect();
        let (ended, index, rest) = select_all(self.services.into_iter().map(|s| s.task)).await;
        let outcome = match ended {
            Ok(Ok(())) => Ok(()),
            Ok(Err(err)) => Err(err),
            Err(err) => Err(anyhow::anyhow!("the {} service panicked: {err}", names[index])),
        };
        if let Err(err) = &outcome {
            tracing::error!(service = names[index], error = %format!("{err:#}"), "service stopped; stopping the platform");
        }
        for handle in &handles {
            handle.stop(true).await;
        }
        if let Some(handle) = &self.metrics_handle {
            handle.stop(false).await;
        }
        for task in rest {
            let _ = task.await;
        }
        outcome
    }

    /// Stops one service (`tenants`, `catalog`, …) gracefully and waits for its workers; the
    /// others keep running (tests of what the platform does without it).
    pub async fn stop_service(&mut self, name: &str) {
        if let Some(i) = self.services.iter().position(|s| s.name == name) {
            let service = self.services.remove(i);
            service.handle.stop(true).await;
            if let Ok(Err(err)) = service.task.await {
                tracing::warn!(service = service.name, error = %format!("{err:#}"), "service ended with an error");
            }
        }
    }

    /// Stops every service gracefully, gateway first, and waits for their workers.
    pub async fn stop(self) {
        for service in self.services.iter().rev() {
            service.handle.stop(true).await;
        }
        if let Some(handle) = &self.metrics_handle {
            handle.stop(false).await;
        }
        for service in self.services {
            if let Ok(Err(err)) = service.task.await {
                tracing::warn!(service = service.name, error = %format!("{err:#}"), "service ended with an error");
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use canopy_gateway::openapi::Folded;
    use canopy_kernel::service::Service;

    use super::*;

    fn service_doc<S: Service>() -> (&'static str, serde_json::Value) {
        let doc = S::OPENAPI.map(|f| serde_json::to_value(f()).unwrap()).unwrap_or_default();
        (S::NAME, doc)
    }

    /// The services' documents fold into the gateway's without two schemas sharing a name
    /// (as the billing runs and the scheduler's job runs once did).
    #[test]
    fn the_services_openapi_documents_have_no_schema_name_clash() {
        let mut folded = Folded::default();
        for (name, doc) in [
            service_doc::<TenantsService>(),
            service_doc::<Catalog>(),
            service_doc::<Ticketing>(),
            service_doc::<Scheduler>(),
            service_doc::<Billing>(),
        ] {
            assert!(doc["paths"].as_object().is_some_and(|p| !p.is_empty()), "{name} documents no path");
            folded.add(name, &doc);
        }
        let clashes: Vec<String> = folded.clashes.iter().map(ToString::to_string).collect();
        assert!(clashes.is_empty(), "{clashes:#?}");
    }
}
