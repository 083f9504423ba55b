//! What the gateway knows of each tenant: its status (suspended tenants read only,
//! cancelled ones nothing) and its tier (the size of its rate limit). Kept in process for a
//! short while and dropped as soon as the tenants service announces a change.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde::Deserialize;
use uuid::Uuid;

use canopy_kernel::backends::{EventBus, StartFrom, topics};
use canopy_kernel::client::ServiceClient;
use canopy_kernel::config::QuotaSettings;
use canopy_kernel::service::{Received, Workers};
use canopy_kernel::{ApiError, ApiResult, ErrorCode};

#[derive(Clone, Debug, Deserialize, PartialEq, Eq)]
pub struct TenantInfo {
    pub status: String,
    /// The tier of the contract in force (from the catalogue), else the tenant's own setting.
    pub tier: String,
    /// The tier's own rate limit, when the catalogue sets one.
    #[serde(default)]
    pub rate_limit: Option<QuotaSettings>,
}

#[derive(Deserialize)]
struct ContractTier {
    tier: Option<String>,
    rate_limit: Option<QuotaSettings>,
}

pub struct TenantDirectory {
    entries: Mutex<HashMap<Uuid, (TenantInfo, Instant)>>,
    ttl: Duration,
}

#[derive(Deserialize)]
struct TenantEvent {
    /// Absent on events about no tenant in particular (a tier created).
    tenant_id: Option<Uuid>,
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
        tenants: &ServiceClient,
        catalog: Option<&ServiceClient>,
        tenant: Uuid,
        token: &str,
    ) -> ApiResult<TenantInfo> {
        if let Some(info) = self.cached(tenant, true) {
            return Ok(info);
        }
        let path = format!("/internal/v1/tenants/{tenant}/status");
        let fetched =
            tenants.send(|base| tenants.http().get(format!("{base}{path}")).bearer_auth(token)).await;
        let mut info = match fetched {
            Ok(response) if response.status().is_success() => {
                response.json::<TenantInfo>().await.map_err(ApiError::internal)?
            }
            Ok(response) if response.status() == 404 => return Err(ApiError::not_found("tenant")),
            other => {
                if let Err(err) = &other {
                    tracing::warn!(error = %format!("{err:#}"), "tenant status unavailable");
                }
                // Better a slightly stale answer than none while the tenants service is away.
                return self.cached(tenant, false).ok_or_else(|| {
                    ApiError::new(ErrorCode::UpstreamUnavailable, "The tenants service is unavailable")
                });
            }
        };
        if let Some(catalog) = catalog {
            let path = format!("/internal/v1/tenants/{tenant}/rate-limit");
            match catalog.send(|base| catalog.http().get(format!("{base}{path}")).bearer_auth(token)).await {
                Ok(r) if r.status().is_success() => {
                    if let Ok(contract) = r.json::<ContractTier>().await {
                        if let Some(tier) = contract.tier {
                            info.tier = tier;
                        }
                        info.rate_limit = contract.rate_limit;
                    }
                }
                // Without the catalogue the tenant keeps its own tier's limit for now.
                other => {
                    tracing::warn!(status = ?other.map(|r| r.status()).ok(), "contract tier unavailable")
                }
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
        for topic in [topics::TENANTS, topics::CATALOG] {
            let directory = self.clone();
            let group = format!("gateway-{}", Uuid::new_v4().simple());
            workers.follow(
                bus.clone(),
                topic,
                group,
                StartFrom::Latest,
                move |received: Received<TenantEvent>| {
                    if let Some(tenant) = received.event.tenant_id {
                        directory.forget(tenant);
                    }
                    async { Ok(()) }
                },
            );
        }
    }
}
