//! The three small traits with two real implementations each — Redis for the scaled-out
//! deployment, in-process for the embedded default — selected by `redis_url`.

mod bus;
mod cache;
pub mod generation;
mod health;
mod rate_limit;

use std::sync::Arc;
use std::time::Duration;

pub use bus::{BusOptions, Delivery, EventBus, MemoryBus, RedisBus, StartFrom, Subscription};
pub use cache::{Cache, CacheExt, FallbackCache, MemoryCache, RedisCache};
pub use health::RedisHealth;
pub use rate_limit::{
    Decision, FallbackRateLimiter, MemoryRateLimiter, Quota, RateLimiter, RedisRateLimiter,
};

use crate::config::{RedisSettings, Settings};

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
    redis: Option<(redis::aio::ConnectionManager, Arc<RedisHealth>)>,
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

    /// Redis with the default timeouts (`RedisSettings::default()`).
    pub async fn redis(url: &str, prefix: &str) -> anyhow::Result<Self> {
        Self::redis_with(url, prefix, &RedisSettings::default()).await
    }

    /// Redis, each call bounded by `settings.timeout_ms`; the cache and the rate limiter fall
    /// back to in-process ones while Redis does not answer (see `RedisHealth`). Redis must
    /// answer at start.
    pub async fn redis_with(url: &str, prefix: &str, settings: &RedisSettings) -> anyhow::Result<Self> {
        let timeout = Duration::from_millis(settings.timeout_ms);
        let client = redis::Client::open(url)?;
        // Reconnection is tried in the background, briefly; callers never wait past `timeout`.
        let config = redis::aio::ConnectionManagerConfig::new()
            .set_response_timeout(Some(timeout))
            .set_connection_timeout(Some(timeout))
            .set_number_of_retries(2)
            .set_max_delay(Duration::from_secs(1));
        let manager = match tokio::time::timeout(
            timeout.max(Duration::from_secs(2)),
            client.get_connection_manager_with_config(config),
        )
        .await
        {
            Ok(manager) => manager?,
            Err(_) => anyhow::bail!("Redis did not answer at start"),
        };
        let health = Arc::new(RedisHealth::new(timeout, Duration::from_secs(settings.fallback_secs)));
        let bus_options =
            BusOptions { timeout, claim_after: Duration::from_secs(settings.claim_after_secs.max(1)) };
        Ok(Self {
            cache: Arc::new(FallbackCache::new(RedisCache::new(manager.clone(), prefix), health.clone())),
            limiter: Arc::new(FallbackRateLimiter::new(
                RedisRateLimiter::new(manager.clone(), prefix),
                health.clone(),
            )),
            bus: Arc::new(RedisBus::new(client, manager.clone(), prefix, bus_options)),
            redis: Some((manager, health)),
        })
    }

    pub async fn from_settings(settings: &Settings) -> anyhow::Result<Self> {
        match &settings.redis_url {
            Some(url) => Self::redis_with(url.expose(), &settings.redis_prefix, &settings.redis).await,
            None => Ok(Self::in_process()),
        }
    }

    pub fn describe(&self) -> &'static str {
        if self.redis.is_some() { "Redis" } else { "in-process" }
    }

    /// True when the backing store answers (always, in process).
    pub async fn ready(&self) -> bool {
        self.check().await.1.is_ok()
    }

    /// The readiness check: its name (`redis`, or `backends` in process) and what is wrong.
    /// Answers within the Redis timeout; a failure also sends the cache and the rate limiter to
    /// their fallbacks, a success brings them back.
    pub async fn check(&self) -> (&'static str, Result<(), String>) {
        match &self.redis {
            None => ("backends", Ok(())),
            Some((manager, health)) => {
                let mut con = manager.clone();
                let ping = health.call("readiness", redis::cmd("PING").query_async::<String>(&mut con)).await;
                ("redis", ping.map(drop).map_err(|e| format!("Redis does not answer: {e:#}")))
            }
        }
    }
}
