//! The whole platform in one process, as `canopy serve` runs it: every service on its own
//! loopback port, the gateway in front on the public address. The services talk to each
//! other over HTTP exactly as they do when they run as separate processes.

pub mod demo;
mod demo_catalog;
pub mod demo_tickets;

use std::net::{SocketAddr, TcpListener};
use std::sync::Arc;

use actix_web::dev::ServerHandle;
use tokio::task::JoinHandle;

use canopy_kernel::backends::Backends;
use canopy_kernel::clock::SharedClock;
use canopy_kernel::config::{Settings, UrlList};

pub struct Platform {
    pub gateway: SocketAddr,
    pub tenants: SocketAddr,
    pub catalog: SocketAddr,
    pub ticketing: SocketAddr,
    pub scheduler: SocketAddr,
    pub billing: SocketAddr,
    pub tenants_state: actix_web::web::Data<canopy_tenants::state::TenantsState>,
    handles: Vec<ServerHandle>,
    servers: Vec<JoinHandle<std::io::Result<()>>>,
}

impl Platform {
    /// Starts every built service and the gateway on `listener`. Backends (cache, limiter,
    /// bus) are shared by the services, as Redis would be. `clock` is business time (SLA
    /// clocks, contracts in force, the gateway's rate limits); sign-in and tokens always run on
    /// the real clock, which is what token verification checks against.
    pub async fn start(
        mut settings: Settings,
        backends: Backends,
        clock: SharedClock,
        listener: TcpListener,
    ) -> anyhow::Result<Self> {
        let internal = || TcpListener::bind("127.0.0.1:0");
        let (tenants_listener, catalog_listener, ticketing_listener) =
            (internal()?, internal()?, internal()?);
        let (tenants_addr, catalog_addr) = (tenants_listener.local_addr()?, catalog_listener.local_addr()?);
        let ticketing_addr = ticketing_listener.local_addr()?;
        let scheduler_listener = internal()?;
        let scheduler_addr = scheduler_listener.local_addr()?;
        let billing_listener = internal()?;
        let billing_addr = billing_listener.local_addr()?;
        settings.upstreams.tenants = UrlList(vec![format!("http://{tenants_addr}")]);
        settings.upstreams.catalog = UrlList(vec![format!("http://{catalog_addr}")]);
        settings.upstreams.ticketing = UrlList(vec![format!("http://{ticketing_addr}")]);
        settings.upstreams.scheduler = UrlList(vec![format!("http://{scheduler_addr}")]);
        settings.upstreams.billing = UrlList(vec![format!("http://{billing_addr}")]);
        if settings.auth.service_secret.is_none() {
            // One process: the services share a secret made for this run.
            let secret = format!("{}{}", uuid::Uuid::new_v4().simple(), uuid::Uuid::new_v4().simple());
            settings.auth.service_secret = Some(canopy_kernel::config::Secret::new(secret));
        }
        let settings = Arc::new(settings);

        let tenants = canopy_tenants::Application::build(
            settings.clone(),
            backends.clone(),
            Arc::new(canopy_kernel::clock::SystemClock),
            tenants_listener,
        )
        .await?;
        let tenants_state = tenants.state();
        let catalog = canopy_catalog::Application::build(
            settings.clone(),
            backends.clone(),
            clock.clone(),
            catalog_listener,
        )
        .await?;
        let ticketing = canopy_ticketing::Application::build(
            settings.clone(),
            backends.clone(),
            clock.clone(),
            ticketing_listener,
        )
        .await?;
        let scheduler = canopy_scheduler::Application::build(
            settings.clone(),
            backends.clone(),
            clock.clone(),
            scheduler_listener,
        )
        .await?;
        let gateway_clock = clock.clone();
        let billing =
            canopy_billing::Application::build(settings.clone(), backends.clone(), clock, billing_listener)
                .await?;
        let gateway = canopy_gateway::Application::build(settings, backends, gateway_clock, listener).await?;
        let gateway_addr = gateway.addr();
        let handles = vec![
            gateway.handle(),
            billing.handle(),
            scheduler.handle(),
            ticketing.handle(),
            catalog.handle(),
            tenants.handle(),
        ];
        let servers = vec![
            tokio::spawn(tenants.run()),
            tokio::spawn(catalog.run()),
            tokio::spawn(ticketing.run()),
            tokio::spawn(scheduler.run()),
            tokio::spawn(billing.run()),
            tokio::spawn(gateway.run()),
        ];
        Ok(Self {
            gateway: gateway_addr,
            tenants: tenants_addr,
            catalog: catalog_addr,
            ticketing: ticketing_addr,
            scheduler: scheduler_addr,
            billing: billing_addr,
            tenants_state,
            handles,
            servers,
        })
    }

    /// Runs until a server stops (Ctrl-C or SIGTERM stops them all gracefully).
    pub async fn wait(self) -> anyhow::Result<()> {
        for server in self.servers {
            server.await??;
        }
        Ok(())
    }

    pub async fn stop(self) {
        for handle in &self.handles {
            handle.stop(true).await;
        }
        for server in self.servers {
            let _ = server.await;
        }
    }
}
