use std::sync::Arc;

use chrono::{DateTime, NaiveDate, Utc};
use sea_orm::DatabaseConnection;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use canopy_kernel::backends::{Backends, CacheExt, generation};
use canopy_kernel::client::ServiceClient;
use canopy_kernel::clock::SharedClock;
use canopy_kernel::days::{self, Zone};
use canopy_kernel::{ApiError, ApiResult, ErrorCode};
use canopy_sla::{Coverage, TargetTable};

use crate::domain::fields::TenantSettings;
use crate::domain::snapshot::PolicySnapshot;
use crate::domain::ticket::Moment;
use crate::store::tickets::Tickets;

/// How long a tenant's context is kept at most (changes replace it at once; see `generation`).
const CONTEXT_TTL: std::time::Duration = std::time::Duration::from_secs(60);

pub struct TicketingState {
    pub settings: Arc<crate::settings::TicketingConfig>,
    pub clock: SharedClock,
    pub backends: Backends,
    pub db: DatabaseConnection,
    pub tickets: Tickets,
    pub tenants: ServiceClient,
    pub catalog: ServiceClient,
    pub alerts: crate::store::alerts::Alerts,
    pub knowledge: crate::store::knowledge::Knowledge,
    pub reports: crate::store::reports::Reports,
    /// Billing, for the credits in monthly reports (absent when ticketing runs without it).
    pub billing: Option<ServiceClient>,
    /// Turns for monitoring agents' batches (back-pressure).
    pub ingest: tokio::sync::Semaphore,
    pub verifier: Arc<canopy_kernel::auth::TokenVerifier>,
}

/// What a ticket needs to know of its tenant when it is raised or changed.
#[derive(Clone, Serialize, Deserialize)]
pub struct TenantContext {
    pub key: String,
    pub status: String,
    pub settings: TenantSettings,
    /// `None` when no contract is in force: the ticket has no SLA.
    pub policy: Option<PolicySnapshot>,
}

#[derive(Deserialize)]
struct TenantStatus {
    key: String,
    status: String,
}

#[derive(Deserialize)]
struct Policy {
    contract_id: Uuid,
    tier_name: String,
    coverage: Coverage,
    targets: TargetTable,
}

impl TicketingState {
    pub fn now(&self) -> DateTime<Utc> {
        self.clock.now()
    }

    /// Now, with the warning fractions: what a ticket's commands need to time its clocks.
    pub fn moment(&self) -> Moment<'_> {
        Moment { at: self.now(), warning_bp: &self.settings.sla.warning_bp }
    }

    /// GET from another service with the caller's own credential (its rights, not ours).
    pub(crate) async fn ask<T: DeserializeOwned>(
        &self,
        client: &ServiceClient,
        token: &str,
        path: &str,
    ) -> ApiResult<Option<T>> {
        let res = client
            .send(|base| client.http().get(format!("{base}{path}")).bearer_auth(token))
            .await
            .map_err(|e| {
                tracing::warn!(service = client.name(), error = %format!("{e:#}"), "service unavailable");
                ApiError::new(
                    ErrorCode::UpstreamUnavailable,
                    format!("The {} service cannot be reached", client.name()),
                )
            })?;
        match res.status().as_u16() {
            200 => Ok(Some(res.json().await.map_err(ApiError::internal)?)),
            404 => Ok(None),
            401 | 403 => Err(ApiError::forbidden(format!(
                "Your credential may not read this tenant's {}",
                client.name()
            ))),
            s => Err(ApiError::new(
                ErrorCode::UpstreamUnavailable,
                format!("The {} service answered {s}", client.name()),
            )),
        }
    }

    /// The tenant's time zone (cached), asked with the caller's credential.
    pub async fn tenant_zone(&self, token: &str, tenant: Uuid) -> ApiResult<Zone> {
        days::tenant_zone(&self.tenants, self.backends.cache.as_ref(), token, tenant).await
    }

    /// The tenant's key, status, configuration and SLA policy in force at `at` (on the
    /// tenant's day at `at`).
    pub async fn tenant_context(
        &self,
        token: &str,
        tenant: Uuid,
        at: DateTime<Utc>,
    ) -> ApiResult<TenantContext> {
        let zone = self.tenant_zone(token, tenant).await?;
        self.tenant_context_on(token, tenant, zone.day_of(at)).await
    }

    /// The tenant's key, status, configuration and the SLA policy in force on its day `on`.
    pub async fn tenant_context_on(
        &self,
        token: &str,
        tenant: Uuid,
        on: NaiveDate,
    ) -> ApiResult<TenantContext> {
        // Cached under the tenant's generation, which the tenants and catalog services change
        // before acknowledging any change to what is cached here.
        let cache = self.backends.cache.as_ref();
        let key =
            generation::current(cache, tenant).await.map(|g| format!("ticketing:context:{tenant}:{g}:{on}"));
        if let Some(key) = &key
            && let Ok(Some(hit)) = cache.get_json::<TenantContext>(key).await
        {
            return Ok(hit);
        }
        let context = self.fetch_context(token, tenant, on).await?;
        if let Some(key) = &key
            && let Err(err) = cache.set_json(key, &context, CONTEXT_TTL).await
        {
            tracing::warn!(error = %format!("{err:#}"), "tenant context not cached");
        }
        Ok(context)
    }

    async fn fetch_context(&self, token: &str, tenant: Uuid, on: NaiveDate) -> ApiResult<TenantContext> {
        let status: TenantStatus = self
            .ask(&self.tenants, token, &format!("/internal/v1/tenants/{tenant}/status"))
            .await?
            .ok_or_else(|| ApiError::not_found("tenant"))?;
        let settings: TenantSettings = self
            .ask(&self.tenants, token, &format!("/api/v1/tenants/{tenant}/config"))
            .await?
            .ok_or_else(|| ApiError::not_found("tenant"))?;
        let policy: Option<Policy> = self
            .ask(&self.catalog, token, &format!("/api/v1/catalog/policy?tenant_id={tenant}&on={on}"))
            .await?;
        let policy = policy.map(|p| PolicySnapshot {
            contract_id: p.contract_id,
            tier_name: p.tier_name,
            coverage: p.coverage,
            timezone: settings.timezone.clone(),
            business_calendar: (p.coverage == Coverage::BusinessHours)
                .then(|| settings.business_calendar.clone()),
            targets: p.targets,
            as_of: None,
        });
        Ok(TenantContext { key: status.key, status: status.status, settings, policy })
    }
}
