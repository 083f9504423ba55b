use std::sync::Arc;

use chrono::{DateTime, NaiveDate, Utc};
use sea_orm::DatabaseConnection;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use canopy_api::CallResultExt;
use canopy_api::billing::BillingClient;
use canopy_api::catalog::CatalogClient;
use canopy_api::tenants::{TenantConfig, TenantMember, TenantsClient};
use canopy_kernel::backends::{Backends, CacheExt, generation};
use canopy_kernel::clock::SharedClock;
use canopy_kernel::days::{self, Zone};
use canopy_kernel::{ApiError, ApiResult};

use crate::domain::snapshot::PolicySnapshot;
use crate::domain::ticket::Moment;
use crate::store::tickets::Tickets;

/// How long a user found in a tenant is remembered (a ticket's requester): deactivating a user
/// reaches new tickets within this time. Ids found to be no user of the tenant are not
/// remembered, so a user just created can be named at once.
const MEMBER_TTL: std::time::Duration = std::time::Duration::from_secs(60);

/// How long a tenant's context is kept at most (changes replace it at once; see `generation`).
const CONTEXT_TTL: std::time::Duration = std::time::Duration::from_secs(60);

pub struct TicketingState {
    pub settings: Arc<crate::settings::TicketingConfig>,
    pub clock: SharedClock,
    pub backends: Backends,
    pub db: DatabaseConnection,
    pub tickets: Tickets,
    pub tenants: TenantsClient,
    pub catalog: CatalogClient,
    pub alerts: crate::store::alerts::Alerts,
    pub knowledge: crate::store::knowledge::Knowledge,
    pub reports: crate::store::reports::Reports,
    /// Billing, for the credits in monthly reports (absent when ticketing runs without it).
    pub billing: Option<BillingClient>,
    /// Turns for monitoring agents' batches (back-pressure).
    pub ingest: tokio::sync::Semaphore,
    pub verifier: Arc<canopy_kernel::auth::TokenVerifier>,
}

/// What a ticket needs to know of its tenant when it is raised or changed.
#[derive(Clone, Serialize, Deserialize)]
pub struct TenantContext {
    pub key: String,
    pub status: String,
    pub settings: TenantConfig,
    /// `None` when no contract is in force: the ticket has no SLA.
    pub policy: Option<PolicySnapshot>,
}

impl TicketingState {
    pub fn now(&self) -> DateTime<Utc> {
        self.clock.now()
    }

    /// Now, with the warning fractions: what a ticket's commands need to time its clocks.
    pub fn moment(&self) -> Moment<'_> {
        Moment { at: self.now(), warning_bp: &self.settings.sla.warning_bp }
    }

    /// The tenant's time zone (cached), asked with the caller's credential.
    pub async fn tenant_zone(&self, token: &str, tenant: Uuid) -> ApiResult<Zone> {
        days::tenant_zone(self.tenants.service(), self.backends.cache.as_ref(), token, tenant).await
    }

    /// The user `user` of `tenant`, or None when the id is no user of that tenant (asked of the
    /// tenants service with the caller's credential; users found are cached briefly).
    pub async fn tenant_member(
        &self,
        token: &str,
        tenant: Uuid,
        user: Uuid,
    ) -> ApiResult<Option<TenantMember>> {
        let cache = self.backends.cache.as_ref();
        let key = format!("ticketing:member:{tenant}:{user}");
        if let Ok(Some(hit)) = cache.get_json::<TenantMember>(&key).await {
            return Ok(Some(hit));
        }
        let member = self.tenants.member(token, tenant, user).await.found()?;
        if let Some(found) = &member
            && let Err(err) = cache.set_json(&key, found, MEMBER_TTL).await
        {
            tracing::warn!(error = %format!("{err:#}"), "tenant member not cached");
        }
        Ok(member)
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
        let status =
            self.tenants.status(token, tenant).await.found()?.ok_or_else(|| ApiError::not_found("tenant"))?;
        let settings = self
            .tenants
            .config(token, tenant)
            .await
            .found()?
            .ok_or_else(|| ApiError::not_found("tenant"))?
            .config;
        let policy = self.catalog.policy(token, tenant, Some(on)).await.found()?;
        let policy = policy.map(|p| PolicySnapshot::in_force(p, &settings));
        Ok(TenantContext { key: status.key, status: status.status.as_str().to_owned(), settings, policy })
    }
}
