//! What the gateway knows of each tenant: its status (suspended tenants read only,
//! cancelled ones nothing) and its tier (the size of its rate limit). Kept in process for a
//! short while and dropped as soon as the tenants service announces a change.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde::de::DeserializeOwned;
use uuid::Uuid;

use canopy_api::Failure;
use canopy_api::catalog::CatalogClient;
use canopy_api::events::{CatalogEvent, TenantEvent};
use canopy_api::tenants::{TenantStatus, TenantsClient};
use canopy_kernel::backends::{EventBus, StartFrom};
use canopy_kernel::config::QuotaSettings;
use canopy_kernel::service::{Received, Workers};
use canopy_kernel::{ApiError, ApiResult, ErrorCode};

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TenantInfo {
    pub status: TenantStatus,
    /// The tier of the contract in force (from the catalogue), else the tenant's own setting.
    pub tier: String,
    /// The tier's own rate limit, when the catalogue sets one.
    pub rate_limit: Option<QuotaSettings>,
}

pub struct TenantDirectory {
    entries: Mutex<HashMap<Uuid, (TenantInfo, Instant)>>,
    ttl: Duration,
}

impl TenantDirectory {
    pub fn new(ttl: Duration) -> Self {
        Self { entries: Mutex::new(HashMap::new()), ttl }
    }

    fn cached(&self, tenant: Uuid, fresh_only: bool) -> Option<TenantInfo> {
        let entries = self.entries.lock().ok()?;
        let (info, at) = entries.get(&tenant)?;
        (!fresh_only || at.elapsed() < self.ttl).then(|| info.clone())
    }

    pub fn forget(&self, tenant: Uuid) {
        if let Ok(mut entries) = self.entries.lock() {
            entries.remove(&tenant);
        }
    }

    /// The tenant's status (from the tenants service) and tier (from the catalogue, when it
    /// runs), asked with the caller's own token.
    pub async fn get(
        &self,
        tenants: &TenantsClient,
        catalog: Option<&CatalogClient>,
        tenant: Uuid,
        token: &str,
    ) -> ApiResult<TenantInfo> {
        if let Some(info) = self.cached(tenant, true) {
            return Ok(info);
        }
        let mut info = match tenants.status(token, tenant).await {
            Ok(entry) => TenantInfo { status: entry.status, tier: entry.tier, rate_limit: None },
            Err(e) if e.is_not_found() => return Err(ApiError::not_found("tenant")),
            Err(e) if matches!(e.failure, Failure::Unreadable(_)) => return Err(ApiError::internal(e)),
            Err(e) => {
                tracing::warn!(error = %e, "tenant status unavailable");
                // Better a slightly stale answer than none while the tenants service is away.
                return self.cached(tenant, false).ok_or_else(|| {
                    ApiError::new(ErrorCode::UpstreamUnavailable, "The tenants service is unavailable")
                });
            }
        };
        if let Some(catalog) = catalog {
            match catalog.rate_limit(token, tenant).await {
                Ok(contract) => {
                    if let Some(tier) = contract.tier {
                        info.tier = tier;
                    }
                    info.rate_limit = contract
                        .rate_limit
                        .map(|rl| QuotaSettings { requests: rl.requests, period_secs: rl.period_secs });
                }
                // Without the catalogue the tenant keeps its own tier's limit for now.
                Err(e) => tracing::warn!(error = %e, "contract tier unavailable"),
            }
        }
        if let Ok(mut entries) = self.entries.lock() {
            if entries.len() > 100_000 {
                entries.clear();
            }
            entries.insert(tenant, (info.clone(), Instant::now()));
        }
        Ok(info)
    }

    /// Follows the tenants' and the catalogue's events and forgets every tenant that changes. Each
    /// gateway replica is its own consumer group: every replica must hear every event.
    pub fn follow(self: Arc<Self>, bus: Arc<dyn EventBus>, workers: &mut Workers) {
        self.clone().forget_on::<TenantEvent>(bus.clone(), TenantEvent::TOPIC, workers, |e| e.tenant_id());
        self.forget_on::<CatalogEvent>(bus, CatalogEvent::TOPIC, workers, |e| Some(e.tenant_id()));
    }

    /// Forgets the tenant each event of `topic`, read as the contract's `T`, is about.
    fn forget_on<T: DeserializeOwned + Send + 'static>(
        self: Arc<Self>,
        bus: Arc<dyn EventBus>,
        topic: &'static str,
        workers: &mut Workers,
        tenant_of: fn(&T) -> Option<Uuid>,
    ) {
        let group = format!("gateway-{}", Uuid::new_v4().simple());
        workers.follow(bus, topic, group, StartFrom::Latest, move |received: Received<T>| {
            if let Some(tenant) = tenant_of(&received.event) {
                self.forget(tenant);
            }
            async { Ok(()) }
        });
    }
}
