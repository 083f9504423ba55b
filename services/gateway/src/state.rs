use std::collections::HashMap;
use std::sync::Arc;

use canopy_api::catalog::CatalogClient;
use canopy_api::tenants::TenantsClient;
use canopy_kernel::auth::TokenVerifier;
use canopy_kernel::backends::Backends;
use canopy_kernel::client::ServiceClient;
use canopy_kernel::clock::SharedClock;
use canopy_kernel::config::Settings;

use crate::directory::TenantDirectory;
use crate::docs::DocsCache;
use crate::revocations::RevocationReplica;

pub struct GatewayState {
    pub settings: Arc<Settings>,
    pub backends: Backends,
    pub verifier: TokenVerifier,
    /// Services behind the gateway, by name; each a set of replicas.
    pub upstreams: HashMap<&'static str, ServiceClient>,
    pub directory: Arc<TenantDirectory>,
    /// What the tenants service has revoked; every token is checked against it.
    pub revocations: Arc<RevocationReplica>,
    pub docs: DocsCache,
    /// The time rate limits are counted in. Tokens' expiry is the real clock's, always.
    pub clock: SharedClock,
}

impl GatewayState {
    pub fn upstream(&self, service: &str) -> Option<&ServiceClient> {
        self.upstreams.get(service).filter(|c| !c.urls().is_empty())
    }

    pub fn tenants(&self) -> anyhow::Result<TenantsClient> {
        let client =
            self.upstream("tenants").ok_or_else(|| anyhow::anyhow!("no tenants service is configured"))?;
        Ok(TenantsClient::new(client.clone()))
    }

    /// The catalogue, when it runs behind this gateway.
    pub fn catalog(&self) -> Option<CatalogClient> {
        self.upstream("catalog").cloned().map(CatalogClient::new)
    }
}
