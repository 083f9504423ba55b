//! What the gateway knows of each tenant: its status (suspended tenants read only,
//! cancelled ones nothing) and its tier (the size of its rate limit). Kept in process for a
//! short while and dropped as soon as the tenants service announces a change.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use uuid::Uuid;

use canopy_api::Failure;
use canopy_api::catalog::CatalogClient;
use canopy_api::events::BusEvent;
use canopy_api::tenants::{TenantStatus, TenantsClient};
use canopy_kernel::backends::{EventBus, StartFrom, topics};
use canopy_kernel::config::QuotaSettings;
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
    pub fn follow(self: Arc<Self>, bus: Arc<dyn EventBus>) {
        for topic in [topics::TENANTS, topics::CATALOG] {
            self.clone().follow_topic(bus.clone(), topic);
        }
    }

    fn follow_topic(self: Arc<Self>, bus: Arc<dyn EventBus>, topic: &'static str) {
        let group = format!("gateway-{}", Uuid::new_v4().simple());
        tokio::spawn(async move {
            loop {
                let mut subscription = match bus.subscribe(topic, &group, "gateway", StartFrom::Latest).await
                {
                    Ok(s) => s,
                    Err(err) => {
                        tracing::warn!(error = %format!("{err:#}"), "cannot follow tenant events; retrying");
                        tokio::time::sleep(Duration::from_secs(5)).await;
                        continue;
                    }
                };
                loop {
                    match subscription.next(Duration::from_secs(5)).await {
                        Ok(Some(delivery)) => {
                            match BusEvent::parse(topic, &delivery.payload) {
                                Ok(event) => event.tenant_id().into_iter().for_each(|t| self.forget(t)),
                                Err(err) => tracing::error!(error = %err, "tenant event skipped"),
                            }
                            let _ = subscription.ack(&delivery.id).await;
                        }
                        Ok(None) => {}
                        Err(err) => {
                            tracing::warn!(error = %format!("{err:#}"), "tenant event stream interrupted");
                            tokio::time::sleep(Duration::from_secs(1)).await;
                            break;
                        }
                    }
                }
            }
        });
    }
}
