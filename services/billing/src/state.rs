use std::sync::Arc;

use chrono::{DateTime, Utc};
use sea_orm::DatabaseConnection;

use canopy_api::catalog::CatalogClient;
use canopy_api::tenants::TenantsClient;
use canopy_api::ticketing::TicketingClient;
use canopy_kernel::backends::Backends;
use canopy_kernel::client::ServiceToken;
use canopy_kernel::clock::SharedClock;

use crate::store::invoices::Invoices;
use crate::store::payments::Payments;

pub struct BillingState {
    pub settings: Arc<crate::settings::BillingConfig>,
    pub clock: SharedClock,
    pub backends: Backends,
    pub db: DatabaseConnection,
    pub invoices: Invoices,
    pub payments: Payments,
    pub tenants: TenantsClient,
    pub catalog: CatalogClient,
    pub ticketing: TicketingClient,
    /// Billing's own credential: a run reads every tenant's contracts, breaches and work.
    pub service_token: ServiceToken,
    pub verifier: Arc<canopy_kernel::auth::TokenVerifier>,
}

impl BillingState {
    pub fn now(&self) -> DateTime<Utc> {
        self.clock.now()
    }
}
