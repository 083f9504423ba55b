//! GCRA (generic cell rate algorithm): `requests` per `period`, as a burst that refills
//! one request every `period / requests`. One timestamp per key, no counters to reset.
//! Time is the caller's (`now`), from its injected clock, so tests move it rather than sleep.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use async_trait::async_trait;
use chrono::{DateTime, Utc};

use super::health::RedisHealth;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Quota {
    pub requests: u32,
    pub period: Duration,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Decision {
    pub allowed: bool,
    pub limit: u32,
    pub remaining: u32,
    /// Until the full burst is available again.
    pub reset_after: Duration,
    /// When refused: until the next request would pass.
    pub retry_after: Duration,
}

#[async_trait]
pub trait RateLimiter: Send + Sync {
    /// Takes one request from `key`'s bucket at `now`, if the bucket has one.
    async fn check(&self, key: &str, quota: Quota, now: DateTime<Utc>) -> anyhow::Result<Decision>;
}

/// The GCRA step on microsecond timestamps; `tat` is the stored theoretical arrival time.
/// Returns the decision and the new `tat` to store when allowed.
fn gcra(now: u64, tat: Option<u64>, quota: Quota) -> (Decision, Option<u64>) {
    let period = quota.period.as_micros() as u64;
    let requests = u64::from(quota.requests.max(1));
    let interval = (period / requests).max(1);
    let tat = tat.unwrap_or(now).max(now);
    let new_tat = tat + interval;
    let ahead = new_tat - now;
    if ahead > period {
        let decision = Decision {
            allowed: false,
            limit: quota.requests,
            remaining: 0,
            reset_after: Duration::from_micros(tat - now),
            retry_after: Duration::from_micros(ahead - period),
        };
        return (decision, None);
    }
    let decision = Decision {
        allowed: true,
        limit: quota.requests,
        remaining: ((period - ahead) / interval) as u32,
        reset_after: Duration::from_micros(ahead),
        retry_after: Duration::ZERO,
    };
    (decision, Some(new_tat))
}

fn micros(at: DateTime<Utc>) -> u64 {
    u64::try_from(at.timestamp_micros()).unwrap_or(0)
}

const MEMORY_LIMITER_KEYS: usize = 100_000;

#[derive(Default)]
pub struct MemoryRateLimiter {
    tats: Mutex<HashMap<String, u64>>,
}

#[async_trait]
impl RateLimiter for MemoryRateLimiter {
    async fn check(&self, key: &str, quota: Quota, now: DateTime<Utc>) -> anyhow::Result<Decision> {
        let now = micros(now);
        let mut tats = self.tats.lock().map_err(|_| anyhow::anyhow!("rate limiter lock poisoned"))?;
        if tats.len() >= MEMORY_LIMITER_KEYS {
            // A key whose tat has passed is at full burst: forgetting it changes nothing.
            tats.retain(|_, tat| *tat > now);
        }
        let (decision, new_tat) = gcra(now, tats.get(key).copied(), quota);
        if let Some(tat) = new_tat {
            tats.insert(key.to_owned(), tat);
        }
        Ok(decision)
    }
}

/// The same step in Lua, atomic in Redis, at the caller's `now` (ARGV[3], microseconds): the
/// replicas' clocks are the hosts' synchronised clocks. The key expires on Redis's clock once
/// its time has passed, when forgetting it changes nothing.
const GCRA_LUA: &str = r#"
local period = tonumber(ARGV[1])
local requests = tonumber(ARGV[2])
local interval = math.max(1, math.floor(period / requests))
local now = tonumber(ARGV[3])
local stored = redis.call('GET', KEYS[1])
local tat = now
if stored then tat = math.max(tonumber(stored), now) end
local new_tat = tat + interval
local ahead = new_tat - now
if ahead > period then
  return {0, 0, tat - now, ahead - period}
end
redis.call('SET', KEYS[1], string.format('%d', new_tat), 'PX', math.floor(ahead / 1000) + 1)
return {1, math.floor((period - ahead) / interval), ahead, 0}
"#;

pub struct RedisRateLimiter {
    con: redis::aio::ConnectionManager,
    prefix: String,
    script: redis::Script,
}

impl RedisRateLimiter {
    pub fn new(con: redis::aio::ConnectionManager, prefix: &str) -> Self {
        Self { con, prefix: format!("{prefix}:rl:"), script: redis::Script::new(GCRA_LUA) }
    }
}

#[async_trait]
impl RateLimiter for RedisRateLimiter {
    async fn check(&self, key: &str, quota: Quota, now: DateTime<Utc>) -> anyhow::Result<Decision> {
        let mut con = self.con.clone();
        let (allowed, remaining, reset, retry): (i64, i64, i64, i64) = self
            .script
            .key(format!("{}{key}", self.prefix))
            .arg(quota.period.as_micros() as u64)
            .arg(quota.requests.max(1))
            .arg(micros(now))
            .invoke_async(&mut con)
            .await?;
        Ok(Decision {
            allowed: allowed == 1,
            limit: quota.requests,
            remaining: remaining.max(0) as u32,
            reset_after: Duration::from_micros(reset.max(0) as u64),
            retry_after: Duration::from_micros(retry.max(0) as u64),
        })
    }
}

/// Redis, and the process's own buckets while Redis does not answer (see `RedisHealth`): each
/// replica then limits on its own, which is looser across replicas but never stalls a request.
pub struct FallbackRateLimiter {
    redis: RedisRateLimiter,
    memory: MemoryRateLimiter,
    health: Arc<RedisHealth>,
}

impl FallbackRateLimiter {
    pub fn new(redis: RedisRateLimiter, health: Arc<RedisHealth>) -> Self {
        Self { redis, memory: MemoryRateLimiter::default(), health }
    }
}

#[async_trait]
impl RateLimiter for FallbackRateLimiter {
    async fn check(&self, key: &str, quota: Quota, now: DateTime<Utc>) -> anyhow::Result<Decision> {
        if self.health.try_redis()
            && let Ok(decision) = self.health.call("rate_limiter", self.redis.check(key, quota, now)).await
        {
            return Ok(decision);
        }
        self.health.count_fallback("rate_limiter");
        self.memory.check(key, quota, now).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const Q: Quota = Quota { requests: 5, period: Duration::from_secs(10) };

    #[test]
    fn a_burst_of_the_quota_passes_then_refuses() {
        let mut tat = None;
        for expected_remaining in (0..5).rev() {
            let (d, new) = gcra(1_000_000, tat, Q);
            assert!(d.allowed);
            assert_eq!(d.remaining, expected_remaining);
            tat = new;
        }
        let (d, new) = gcra(1_000_000, tat, Q);
        assert!(!d.allowed);
        assert_eq!(new, None);
        assert_eq!(d.retry_after, Duration::from_secs(2));
    }

    #[test]
    fn one_request_comes_back_per_interval_and_all_after_the_period() {
        let mut tat = None;
        for _ in 0..5 {
            tat = gcra(0, tat, Q).1;
        }
        assert!(!gcra(1_999_999, tat, Q).0.allowed);
        let (d, _) = gcra(2_000_000, tat, Q);
        assert!(d.allowed);
        assert_eq!(d.remaining, 0);
        let (d, _) = gcra(10_000_000, tat, Q);
        assert_eq!(d.remaining, 4);
    }
}
