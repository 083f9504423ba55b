//! A tenant's generation: a token in the shared cache that changes whenever something other
//! services cache about the tenant changes (its status, configuration or contracts). The
//! service making the change sets a new one before it answers, so a cache keyed by the
//! generation is never stale once a write has been acknowledged; events tell the rest.

use std::time::Duration;

use uuid::Uuid;

use super::Cache;

const TTL: Duration = Duration::from_secs(7 * 24 * 3600);

fn key(tenant: Uuid) -> String {
    format!("tenant-generation:{tenant}")
}

/// Marks everything cached about `tenant` as outdated.
pub async fn bump(cache: &dyn Cache, tenant: Uuid) {
    if let Err(err) = cache.set(&key(tenant), Uuid::now_v7().simple().to_string().as_bytes(), TTL).await {
        tracing::warn!(%tenant, error = %format!("{err:#}"), "tenant generation not bumped; caches expire on their own");
    }
}

/// The tenant's current generation (`"0"` before any change); `None` when the cache cannot
/// be read, in which case callers should not trust their caches either.
pub async fn current(cache: &dyn Cache, tenant: Uuid) -> Option<String> {
    match cache.get(&key(tenant)).await {
        Ok(Some(bytes)) => Some(String::from_utf8_lossy(&bytes).into_owned()),
        Ok(None) => Some("0".into()),
        Err(_) => None,
    }
}
