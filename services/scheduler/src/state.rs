use std::sync::Arc;

use chrono::{DateTime, Utc};
use sea_orm::DatabaseConnection;

use canopy_api::billing::BillingClient;
use canopy_api::tenants::TenantsClient;
use canopy_api::ticketing::TicketingClient;
use canopy_kernel::backends::Backends;
use canopy_kernel::client::ServiceToken;
use canopy_kernel::clock::SharedClock;

use crate::store::dispatch::Dispatch;
use crate::store::engineers::Engineers;
use crate::store::jobs::Jobs;
use crate::store::rounds::Rounds;

pub struct SchedulerState {
    pub settings: Arc<crate::settings::SchedulerConfig>,
    pub clock: SharedClock,
    pub backends: Backends,
    pub db: DatabaseConnection,
    pub engineers: Engineers,
    pub jobs: Jobs,
    pub dispatch: Dispatch,
    pub rounds: Rounds,
    pub tenants: TenantsClient,
    pub ticketing: TicketingClient,
    /// The billing service, when deployed: the monthly billing run.
    pub billing: Option<BillingClient>,
    /// The scheduler's own credential, for jobs that open tickets.
    pub service_token: ServiceToken,
    /// This replica's name on the runs it owns.
    pub replica: String,
    pub verifier: Arc<canopy_kernel::auth::TokenVerifier>,
}

impl SchedulerState {
    pub fn now(&self) -> DateTime<Utc> {
        self.clock.now()
    }
}
