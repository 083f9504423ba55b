use std::sync::Arc;

use chrono::{DateTime, Utc};
use sea_orm::DatabaseConnection;
use uuid::Uuid;

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
    pub verifier: Arc<canopy_kernel::auth::TokenVerifier>,
}

/// What the catalogue tells other services (topic `catalog`).
pub use canopy_api::events::CatalogEvent;

impl CatalogState {
    pub fn now(&self) -> DateTime<Utc> {
        self.clock.now()
    }

    /// The tenant's time zone (cached), asked with the caller's credential: contracts and
    /// policies are in force on the tenant's days.
    pub async fn tenant_zone(
        &self,
        req: &actix_web::HttpRequest,
        tenant: Uuid,
    ) -> canopy_kernel::ApiResult<canopy_kernel::days::Zone> {
        let token = canopy_kernel::tenancy::bearer_token(req).unwrap_or_default();
        canopy_kernel::days::tenant_zone(self.tenants.service(), self.backends.cache.as_ref(), token, tenant)
            .await
    }

    /// The tenant's day today.
    pub async fn tenant_today(
        &self,
        req: &actix_web::HttpRequest,
        tenant: Uuid,
    ) -> canopy_kernel::ApiResult<chrono::NaiveDate> {
        Ok(self.tenant_zone(req, tenant).await?.day_of(self.now()))
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
