//! Redis's health as the cache and the rate limiter see it — a circuit breaker. Every Redis call
//! is bounded by a short timeout; after one fails, the callers work in process for a while
//! (`fallback`), then one call tries Redis again; the first that succeeds closes the breaker.
//! Each transition is logged once and shown in `canopy_backend_degraded{backend="redis"}`.

use std::future::Future;
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use crate::telemetry::metrics;

const BACKEND: &str = "redis";

#[derive(Default)]
struct Open {
    /// When the next call may try Redis again.
    retry_at: Option<Instant>,
    /// What went wrong, for `/readyz`.
    error: String,
}

pub struct RedisHealth {
    timeout: Duration,
    fallback: Duration,
    /// Fast path: false while Redis answers.
    degraded: AtomicBool,
    open: Mutex<Open>,
}

impl RedisHealth {
    pub fn new(timeout: Duration, fallback: Duration) -> Self {
        // The series exists from the start; another instance's state is not reset.
        metrics().declare_backend(BACKEND);
        Self { timeout, fallback, degraded: AtomicBool::new(false), open: Mutex::new(Open::default()) }
    }

    pub fn timeout(&self) -> Duration {
        self.timeout
    }

    /// Whether this call should try Redis: always while it answers; while it does not, one call
    /// per fallback period (the probe), the others go straight to the in-process fallback.
    pub fn try_redis(&self) -> bool {
        if !self.degraded.load(Ordering::Acquire) {
            return true;
        }
        let Ok(mut open) = self.open.lock() else { return true };
        let now = Instant::now();
        match open.retry_at {
            Some(at) if now < at => false,
            _ => {
                open.retry_at = Some(now + self.fallback);
                true
            }
        }
    }

    /// Runs one Redis call, bounded by the timeout, and records how it went.
    pub async fn call<T, E, F>(&self, component: &str, call: F) -> anyhow::Result<T>
    where
        F: Future<Output = Result<T, E>>,
        E: Into<anyhow::Error>,
    {
        let outcome = match tokio::time::timeout(self.timeout, call).await {
            Ok(Ok(value)) => Ok(value),
            Ok(Err(err)) => Err(err.into()),
            Err(_) => Err(anyhow::anyhow!("Redis did not answer within {} ms", self.timeout.as_millis())),
        };
        match &outcome {
            Ok(_) => self.succeeded(),
            Err(err) => self.failed(component, &format!("{err:#}")),
        }
        outcome
    }

    /// Redis failed a call: work without it for the fallback period (logged once per outage).
    pub fn failed(&self, component: &str, error: &str) {
        let Ok(mut open) = self.open.lock() else { return };
        open.retry_at = Some(Instant::now() + self.fallback);
        open.error = error.to_owned();
        if !self.degraded.swap(true, Ordering::AcqRel) {
            metrics().set_backend_degraded(BACKEND, true);
            tracing::warn!(
                backend = BACKEND,
                component,
                error,
                fallback_secs = self.fallback.as_secs(),
                "Redis unreachable: the cache and the rate limiter work in process (per replica) until it answers again"
            );
        }
    }

    /// Redis answered: back to it (logged once per recovery).
    pub fn succeeded(&self) {
        if self.degraded.swap(false, Ordering::AcqRel) {
            metrics().set_backend_degraded(BACKEND, false);
            tracing::info!(
                backend = BACKEND,
                "Redis answers again: the cache and the rate limiter use it again"
            );
        }
    }

    /// What is wrong while Redis is unreachable; `None` while it answers.
    pub fn problem(&self) -> Option<String> {
        if !self.degraded.load(Ordering::Acquire) {
            return None;
        }
        self.open.lock().ok().map(|open| open.error.clone())
    }

    pub fn count_fallback(&self, component: &str) {
        metrics().count_backend_fallback(BACKEND, component);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_failure_opens_for_the_fallback_period_then_one_call_probes() {
        let health = RedisHealth::new(Duration::from_millis(20), Duration::from_millis(100));
        assert!(health.try_redis());
        let slow = health.call("cache", async {
            tokio::time::sleep(Duration::from_secs(5)).await;
            Ok::<_, anyhow::Error>(())
        });
        let err = slow.await.unwrap_err();
        assert!(err.to_string().contains("did not answer"), "{err}");
        assert!(health.problem().is_some());
        assert!(!health.try_redis(), "in process during the fallback period");
        tokio::time::sleep(Duration::from_millis(120)).await;
        assert!(health.try_redis(), "one probe after the period");
        assert!(!health.try_redis(), "only one");
        health.call("cache", async { Ok::<_, anyhow::Error>(()) }).await.unwrap();
        assert!(health.problem().is_none());
        assert!(health.try_redis());
    }
}
