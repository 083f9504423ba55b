//! The three small traits with two real implementations each — Redis for the scaled-out
//! deployment, in-process for the embedded default — selected by `redis_url`.

mod bus;
mod cache;
pub mod generation;
mod rate_limit;

use std::sync::Arc;

pub use bus::{Delivery, EventBus, MemoryBus, RedisBus, StartFrom, Subscription};
pub use cache::{Cache, CacheExt, MemoryCache, RedisCache};
pub use rate_limit::{Decision, MemoryRateLimiter, Quota, RateLimiter, RedisRateLimiter};

use crate::config::Settings;

/// Event streams services publish, and what their events are named.
pub mod topics {
    /// `tenant.created`, `tenant.updated`, `tenant.status_changed`, `tenant.config_updated`,
    /// `api_key.revoked`, `access.revoked`; every event carries `tenant_id` (`null` in an
    /// `access.revoked` of provider staff).
    pub const TENANTS: &str = "tenants";
    /// `contract.changed`, `tier.created`; contract events carry `tenant_id`.
    pub const CATALOG: &str = "catalog";
    /// `ticket.created`, `ticket.updated`, `ticket.assigned`, `ticket.resolved`, `sla.warning`,
    /// `sla.breached`; every event carries `event_id`, `tenant_id`, `ticket_id` and `at`.
    pub const TICKETING: &str = "ticketing";
}

#[derive(Clone)]
pub struct Backends {
    pub cache: Arc<dyn Cache>,
    pub limiter: Arc<dyn RateLimiter>,
    pub bus: Arc<dyn EventBus>,
    redis: Option<redis::aio::ConnectionManager>,
}

impl Backends {
    pub fn in_process() -> Self {
        Self {
            cache: Arc::new(MemoryCache::default()),
            limiter: Arc::new(MemoryRateLimiter::default()),
            bus: Arc::new(MemoryBus::default()),
            redis: None,
        }
    }

    pub async fn redis(url: &str, prefix: &str) -> anyhow::Result<Self> {
        let client = redis::Client::open(url)?;
        let manager = client.get_connection_manager().await?;
        Ok(Self {
            cache: Arc::new(RedisCache::new(manager.clone(), prefix)),
            limiter: Arc::new(RedisRateLimiter::new(manager.clone(), prefix)),
            bus: Arc::new(RedisBus::new(client, manager.clone(), prefix)),
            redis: Some(manager),
        })
    }

    pub async fn from_settings(settings: &Settings) -> anyhow::Result<Self> {
        match &settings.redis_url {
            Some(url) => Self::redis(url.expose(), &settings.redis_prefix).await,
            None => Ok(Self::in_process()),
        }
    }

    pub fn describe(&self) -> &'static str {
        if self.redis.is_some() { "Redis" } else { "in-process" }
    }

    /// True when the backing store answers (always, in process).
    pub async fn ready(&self) -> bool {
        match &self.redis {
            None => true,
            Some(manager) => {
                let mut con = manager.clone();
                redis::cmd("PING").query_async::<String>(&mut con).await.is_ok()
            }
        }
    }
}
