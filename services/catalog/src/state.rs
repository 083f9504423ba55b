use std::sync::Arc;

use chrono::{DateTime, Utc};
use sea_orm::DatabaseConnection;

use canopy_api::tenants::TenantsClient;
use canopy_kernel::backends::{Backends, topics};
use canopy_kernel::clock::SharedClock;
use canopy_kernel::config::Settings;

use crate::store::contracts::Contracts;
use crate::store::offerings::Offerings;

pub struct CatalogState {
    pub settings: Arc<Settings>,
    pub clock: SharedClock,
    pub backends: Backends,
    pub db: DatabaseConnection,
    pub offerings: Offerings,
    pub contracts: Contracts,
    /// The tenants service: tenants' existence and calendars, asked with the caller's token.
    pub tenants: TenantsClient,
}

/// What the catalogue tells other services (topic `catalog`).
pub use canopy_api::events::CatalogEvent;

impl CatalogState {
    pub fn now(&self) -> DateTime<Utc> {
        self.clock.now()
    }

    /// Tells other services (the gateway resizes the tenant's rate limit); a failure to
    /// publish is logged, the gateway re-reads on its cache expiry anyway.
    pub async fn publish(&self, event: CatalogEvent) {
        canopy_kernel::backends::generation::bump(self.backends.cache.as_ref(), event.tenant_id()).await;
        match serde_json::to_vec(&event) {
            Ok(payload) => {
                if let Err(err) = self.backends.bus.publish(topics::CATALOG, &payload).await {
                    tracing::warn!(error = %format!("{err:#}"), "catalog event not published");
                }
            }
            Err(err) => tracing::error!(%err, "cannot encode catalog event"),
        }
    }
}
