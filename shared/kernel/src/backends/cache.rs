use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use async_trait::async_trait;
use serde::Serialize;
use serde::de::DeserializeOwned;

use super::health::RedisHealth;

/// A shared key-value cache with expiry.
#[async_trait]
pub trait Cache: Send + Sync {
    async fn get(&self, key: &str) -> anyhow::Result<Option<Vec<u8>>>;
    async fn set(&self, key: &str, value: &[u8], ttl: Duration) -> anyhow::Result<()>;
    async fn delete(&self, key: &str) -> anyhow::Result<()>;
    /// Sets each key that is not set yet, for `ttl`; answers, key by key, whether this call
    /// set it (first seen) — a key twice in `keys` is set once. One round trip.
    async fn claim_many(&self, keys: &[String], ttl: Duration) -> anyhow::Result<Vec<bool>>;
}

/// JSON on top of any cache. A value that no longer parses counts as a miss.
#[async_trait]
pub trait CacheExt: Cache {
    async fn get_json<T: DeserializeOwned>(&self, key: &str) -> anyhow::Result<Option<T>> {
        Ok(self.get(key).await?.and_then(|bytes| serde_json::from_slice(&bytes).ok()))
    }

    async fn set_json<T: Serialize + Sync>(&self, key: &str, value: &T, ttl: Duration) -> anyhow::Result<()> {
        self.set(key, &serde_json::to_vec(value)?, ttl).await
    }
}

impl<C: Cache + ?Sized> CacheExt for C {}

const MEMORY_CACHE_LIMIT: usize = 100_000;

#[derive(Default)]
pub struct MemoryCache {
    entries: Mutex<HashMap<String, (Vec<u8>, Instant)>>,
}

#[async_trait]
impl Cache for MemoryCache {
    async fn get(&self, key: &str) -> anyhow::Result<Option<Vec<u8>>> {
        let mut entries = self.entries.lock().map_err(|_| anyhow::anyhow!("cache lock poisoned"))?;
        match entries.get(key) {
            Some((_, expires)) if *expires <= Instant::now() => {
                entries.remove(key);
                Ok(None)
            }
            Some((value, _)) => Ok(Some(value.clone())),
            None => Ok(None),
        }
    }

    async fn set(&self, key: &str, value: &[u8], ttl: Duration) -> anyhow::Result<()> {
        let mut entries = self.entries.lock().map_err(|_| anyhow::anyhow!("cache lock poisoned"))?;
        insert(&mut entries, key, value, ttl);
        Ok(())
    }

    async fn delete(&self, key: &str) -> anyhow::Result<()> {
        self.entries.lock().map_err(|_| anyhow::anyhow!("cache lock poisoned"))?.remove(key);
        Ok(())
    }

    async fn claim_many(&self, keys: &[String], ttl: Duration) -> anyhow::Result<Vec<bool>> {
        let mut entries = self.entries.lock().map_err(|_| anyhow::anyhow!("cache lock poisoned"))?;
        let now = Instant::now();
        Ok(keys
            .iter()
            .map(|key| {
                let fresh = entries.get(key).is_none_or(|(_, expires)| *expires <= now);
                if fresh {
                    insert(&mut entries, key, b"1", ttl);
                }
                fresh
            })
            .collect())
    }
}

impl MemoryCache {
    /// A live entry with the time it has left.
    fn entry(&self, key: &str) -> Option<(Vec<u8>, Duration)> {
        let entries = self.entries.lock().ok()?;
        let (value, expires) = entries.get(key)?;
        let left = expires.checked_duration_since(Instant::now())?;
        (!left.is_zero()).then(|| (value.clone(), left))
    }

    fn clear(&self) {
        if let Ok(mut entries) = self.entries.lock() {
            entries.clear();
        }
    }
}

fn insert(entries: &mut HashMap<String, (Vec<u8>, Instant)>, key: &str, value: &[u8], ttl: Duration) {
    let now = Instant::now();
    if entries.len() >= MEMORY_CACHE_LIMIT {
        entries.retain(|_, (_, expires)| *expires > now);
        if entries.len() >= MEMORY_CACHE_LIMIT {
            // Still full of live entries: drop an arbitrary half rather than grow without bound.
            let keep: Vec<String> = entries.keys().step_by(2).cloned().collect();
            for k in keep {
                entries.remove(&k);
            }
        }
    }
    entries.insert(key.to_owned(), (value.to_vec(), now + ttl));
}

pub struct RedisCache {
    con: redis::aio::ConnectionManager,
    prefix: String,
}

impl RedisCache {
    pub fn new(con: redis::aio::ConnectionManager, prefix: &str) -> Self {
        Self { con, prefix: format!("{prefix}:cache:") }
    }
}

#[async_trait]
impl Cache for RedisCache {
    async fn get(&self, key: &str) -> anyhow::Result<Option<Vec<u8>>> {
        let mut con = self.con.clone();
        Ok(redis::cmd("GET").arg(format!("{}{key}", self.prefix)).query_async(&mut con).await?)
    }

    async fn set(&self, key: &str, value: &[u8], ttl: Duration) -> anyhow::Result<()> {
        let mut con = self.con.clone();
        let millis = ttl.as_millis().max(1) as u64;
        redis::cmd("SET")
            .arg(format!("{}{key}", self.prefix))
            .arg(value)
            .arg("PX")
            .arg(millis)
            .query_async::<()>(&mut con)
            .await?;
        Ok(())
    }

    async fn delete(&self, key: &str) -> anyhow::Result<()> {
        let mut con = self.con.clone();
        redis::cmd("DEL").arg(format!("{}{key}", self.prefix)).query_async::<()>(&mut con).await?;
        Ok(())
    }

    async fn claim_many(&self, keys: &[String], ttl: Duration) -> anyhow::Result<Vec<bool>> {
        if keys.is_empty() {
            return Ok(Vec::new());
        }
        let mut con = self.con.clone();
        let millis = ttl.as_millis().max(1) as u64;
        let mut pipe = redis::pipe();
        for key in keys {
            pipe.cmd("SET").arg(format!("{}{key}", self.prefix)).arg(1).arg("NX").arg("PX").arg(millis);
        }
        // `SET … NX` answers OK when it set the key and nil when it was there.
        let answers: Vec<Option<String>> = pipe.query_async(&mut con).await?;
        Ok(answers.into_iter().map(|a| a.is_some()).collect())
    }
}

/// At most this many keys written while Redis was away are written back when it returns; past
/// that, the rest expire on their own.
const DIRTY_LIMIT: usize = 10_000;

/// Redis, and the process's own memory while Redis does not answer (see `RedisHealth`). What is
/// written in process meanwhile is written back to Redis when it answers again, before anything
/// is read from it, so a change made during the outage (a tenant's new generation) is not
/// undone by the value Redis kept; then the in-process copy is forgotten.
pub struct FallbackCache {
    redis: RedisCache,
    memory: MemoryCache,
    health: Arc<RedisHealth>,
    dirty: Mutex<HashSet<String>>,
}

impl FallbackCache {
    pub fn new(redis: RedisCache, health: Arc<RedisHealth>) -> Self {
        Self { redis, memory: MemoryCache::default(), health, dirty: Mutex::new(HashSet::new()) }
    }

    /// Whether to use Redis for this call; writes back what was changed in process first.
    async fn use_redis(&self) -> bool {
        if !self.health.try_redis() {
            return false;
        }
        let dirty: Vec<String> = match self.dirty.lock() {
            Ok(mut dirty) if !dirty.is_empty() => dirty.drain().collect(),
            _ => return true,
        };
        let mut pipe = redis::pipe();
        for key in &dirty {
            let full = format!("{}{key}", self.redis.prefix);
            match self.memory.entry(key) {
                Some((value, left)) => {
                    pipe.cmd("SET")
                        .arg(full)
                        .arg(value)
                        .arg("PX")
                        .arg(left.as_millis().max(1) as u64)
                        .ignore();
                }
                None => {
                    pipe.cmd("DEL").arg(full).ignore();
                }
            }
        }
        let mut con = self.redis.con.clone();
        match self.health.call("cache", pipe.query_async::<()>(&mut con)).await {
            Ok(()) => {
                tracing::info!(keys = dirty.len(), "cache entries changed while Redis was away written back");
                self.memory.clear();
                true
            }
            Err(_) => {
                if let Ok(mut set) = self.dirty.lock() {
                    set.extend(dirty);
                }
                false
            }
        }
    }

    fn fell_back(&self, writes: &[&str]) {
        self.health.count_fallback("cache");
        if let Ok(mut dirty) = self.dirty.lock() {
            for key in writes {
                if dirty.len() < DIRTY_LIMIT {
                    dirty.insert((*key).to_owned());
                }
            }
        }
    }
}

#[async_trait]
impl Cache for FallbackCache {
    async fn get(&self, key: &str) -> anyhow::Result<Option<Vec<u8>>> {
        if self.use_redis().await
            && let Ok(value) = self.health.call("cache", self.redis.get(key)).await
        {
            return Ok(value);
        }
        self.fell_back(&[]);
        self.memory.get(key).await
    }

    async fn set(&self, key: &str, value: &[u8], ttl: Duration) -> anyhow::Result<()> {
        if self.use_redis().await && self.health.call("cache", self.redis.set(key, value, ttl)).await.is_ok()
        {
            return Ok(());
        }
        self.fell_back(&[key]);
        self.memory.set(key, value, ttl).await
    }

    async fn delete(&self, key: &str) -> anyhow::Result<()> {
        if self.use_redis().await && self.health.call("cache", self.redis.delete(key)).await.is_ok() {
            return Ok(());
        }
        self.fell_back(&[key]);
        self.memory.delete(key).await
    }

    async fn claim_many(&self, keys: &[String], ttl: Duration) -> anyhow::Result<Vec<bool>> {
        if self.use_redis().await
            && let Ok(claimed) = self.health.call("cache", self.redis.claim_many(keys, ttl)).await
        {
            return Ok(claimed);
        }
        let keys_ref: Vec<&str> = keys.iter().map(String::as_str).collect();
        self.fell_back(&keys_ref);
        self.memory.claim_many(keys, ttl).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_key_is_claimed_once_until_it_expires() {
        let cache = MemoryCache::default();
        let keys: Vec<String> = ["a", "b", "a"].map(String::from).to_vec();
        assert_eq!(cache.claim_many(&keys, Duration::from_secs(60)).await.unwrap(), [true, true, false]);
        assert_eq!(cache.claim_many(&keys[..1], Duration::from_secs(60)).await.unwrap(), [false]);
        cache.claim_many(&["c".to_owned()], Duration::from_millis(1)).await.unwrap();
        tokio::time::sleep(Duration::from_millis(5)).await;
        assert_eq!(cache.claim_many(&["c".to_owned()], Duration::from_secs(1)).await.unwrap(), [true]);
    }
}
