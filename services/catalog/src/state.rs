use std::sync::Arc;

use chrono::{DateTime, Utc};
use sea_orm::DatabaseConnection;
use serde::Serialize;
use uuid::Uuid;

use canopy_kernel::backends::{Backends, topics};
use canopy_kernel::client::ServiceClient;
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
    pub tenants: ServiceClient,
    pub verifier: Arc<canopy_kernel::auth::TokenVerifier>,
}

#[derive(Serialize)]
#[serde(tag = "type")]
pub enum CatalogEvent {
    /// `policy`: the SLA in force today after the change, as tickets copy it (tier, coverage,
    /// targets, the tenant's time zone and, for business-hours coverage, its calendar);
    /// `null` without a contract in force or when it could not be worked out.
    #[serde(rename = "contract.changed")]
    ContractChanged {
        tenant_id: Uuid,
        contract_id: Uuid,
        at: DateTime<Utc>,
        effective_on: chrono::NaiveDate,
        policy: Option<serde_json::Value>,
    },
}

impl CatalogState {
    /// GET from the tenants service with the caller's own credential, so it applies the
    /// caller's rights, not ours.
    pub async fn ask_tenants(
        &self,
        req: &actix_web::HttpRequest,
        path: &str,
    ) -> canopy_kernel::ApiResult<reqwest::Response> {
        let token = canopy_kernel::tenancy::bearer_token(req).unwrap_or_default().to_owned();
        self.tenants
            .send(|base| self.tenants.http().get(format!("{base}{path}")).bearer_auth(&token))
            .await
            .map_err(|e| {
                tracing::warn!(error = %format!("{e:#}"), "tenants service unavailable");
                canopy_kernel::ApiError::new(
                    canopy_kernel::ErrorCode::UpstreamUnavailable,
                    "The tenants service cannot be reached",
                )
            })
    }

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
        canopy_kernel::days::tenant_zone(&self.tenants, self.backends.cache.as_ref(), token, tenant).await
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
        let CatalogEvent::ContractChanged { tenant_id, .. } = &event;
        canopy_kernel::backends::generation::bump(self.backends.cache.as_ref(), *tenant_id).await;
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
