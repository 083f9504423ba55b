use std::sync::Arc;

use actix_web::HttpRequest;

use canopy_api::billing::BillingClient;
use canopy_api::catalog::CatalogClient;
use canopy_api::tenants::{OnBehalf, TenantsClient};
use canopy_api::ticketing::TicketingClient;
use canopy_kernel::backends::Backends;
use canopy_kernel::clock::SharedClock;
use canopy_kernel::config::Settings;

use crate::session::Sessions;

/// The public API, through the gateway, as the web application calls it: always with the
/// signed-in user's own token, so every permission is decided where it always is.
#[derive(Clone)]
pub struct Api {
    pub tenants: TenantsClient,
    pub catalog: CatalogClient,
    pub ticketing: TicketingClient,
    pub billing: BillingClient,
    secret: Option<String>,
}

impl Api {
    pub fn new(gateway: canopy_kernel::client::ServiceClient, secret: Option<String>) -> Self {
        Self {
            tenants: TenantsClient::new(gateway.clone()),
            catalog: CatalogClient::new(gateway.clone()),
            ticketing: TicketingClient::new(gateway.clone()),
            billing: BillingClient::new(gateway),
            secret,
        }
    }

    /// The visitor behind a sign-in call, so the gateway's per-address limits and the
    /// security audit see the person, not the web application.
    pub fn on_behalf(&self, req: &HttpRequest) -> OnBehalf {
        let address = req.connection_info().realip_remote_addr().unwrap_or("unknown").to_owned();
        OnBehalf { address, secret: self.secret.clone() }
    }
}

pub struct WebState {
    pub settings: Arc<Settings>,
    pub backends: Backends,
    pub api: Api,
    pub sessions: Sessions,
    /// Business time: SLA countdowns and due times are shown against it.
    pub clock: SharedClock,
}
