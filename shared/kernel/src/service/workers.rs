//! A service's background work — loops on an interval, followers of the event bus — run under
//! one cancellation token in one join set: shutdown cancels and drains them, and one that ends
//! while the service is running is noticed.

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use serde::de::DeserializeOwned;
use tokio::task::JoinSet;
use tokio_util::sync::CancellationToken;

use crate::backends::{EventBus, StartFrom};

/// An event read from the bus: its stream id and its body.
#[derive(Debug)]
pub struct Received<T> {
    pub id: String,
    pub event: T,
}

pub struct Workers {
    service: &'static str,
    cancel: CancellationToken,
    set: JoinSet<(&'static str, anyhow::Result<()>)>,
}

impl Workers {
    pub fn new(service: &'static str) -> Self {
        Self { service, cancel: CancellationToken::new(), set: JoinSet::new() }
    }

    /// Cancelled when the service shuts down.
    pub fn token(&self) -> CancellationToken {
        self.cancel.clone()
    }

    /// Runs `work` until it returns; it is told to stop through the token it is given and
    /// should return soon after.
    pub fn spawn<F, Fut>(&mut self, name: &'static str, work: F)
    where
        F: FnOnce(CancellationToken) -> Fut,
        Fut: Future<Output = anyhow::Result<()>> + Send + 'static,
    {
        let fut = work(self.cancel.clone());
        self.set.spawn(async move { (name, fut.await) });
    }

    /// Calls `step` again and again: at once while it says there is more to do (`Ok(true)`),
    /// after `every` otherwise; a failed step is logged and tried again after `every`.
    pub fn every<F, Fut, E>(&mut self, name: &'static str, every: Duration, mut step: F)
    where
        F: FnMut() -> Fut + Send + 'static,
        Fut: Future<Output = Result<bool, E>> + Send,
        E: std::fmt::Debug,
    {
        let service = self.service;
        self.spawn(name, move |cancel| async move {
            // A step failing again and again (a backend down) is warned about once, then at
            // debug level until it succeeds again.
            let mut failing_since: Option<std::time::Instant> = None;
            loop {
                let more = tokio::select! {
                    _ = cancel.cancelled() => return Ok(()),
                    done = step() => match done {
                        Ok(more) => {
                            if let Some(since) = failing_since.take() {
                                tracing::info!(service, worker = name, after_secs = since.elapsed().as_secs(), "background step succeeds again");
                            }
                            more
                        }
                        Err(err) => {
                            if failing_since.is_none() {
                                failing_since = Some(std::time::Instant::now());
                                tracing::warn!(service, worker = name, error = ?err, "background step failed; trying again");
                            } else {
                                tracing::debug!(service, worker = name, error = ?err, "background step failed again");
                            }
                            false
                        }
                    },
                };
                if !more && sleep_or_cancel(&cancel, every).await {
                    return Ok(());
                }
            }
        });
    }

    /// Follows `topic` as a consumer of `group`: each event is read as a `T` and handed to
    /// `handle`, and acknowledged when that succeeds; an event it fails on stays pending and is
    /// offered again later. An event that cannot be read as a `T` will never be, so it is
    /// logged as an error and acknowledged. The subscription is made again when the stream
    /// breaks.
    pub fn follow<T, F, Fut>(
        &mut self,
        bus: Arc<dyn EventBus>,
        topic: &'static str,
        group: impl Into<String>,
        start: StartFrom,
        handle: F,
    ) where
        T: DeserializeOwned + Send + 'static,
        F: Fn(Received<T>) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = anyhow::Result<()>> + Send,
    {
        let group = group.into();
        let service = self.service;
        let consumer = format!("{service}-{}", uuid::Uuid::new_v4().simple());
        self.spawn(topic, move |cancel| async move {
            // While the bus is unreachable: warned once, then quietly retried until it is back.
            let mut outage = Outage::default();
            loop {
                let subscribed = tokio::select! {
                    _ = cancel.cancelled() => return Ok(()),
                    s = bus.subscribe(topic, &group, &consumer, start) => s,
                };
                let mut subscription = match subscribed {
                    Ok(s) => s,
                    Err(err) => {
                        outage.failed(service, topic, &group, &err, "cannot follow events; retrying");
                        if sleep_or_cancel(&cancel, Duration::from_secs(2)).await {
                            return Ok(());
                        }
                        continue;
                    }
                };
                loop {
                    let next = tokio::select! {
                        _ = cancel.cancelled() => return Ok(()),
                        next = subscription.next(Duration::from_secs(5)) => next,
                    };
                    let delivery = match next {
                        Ok(Some(delivery)) => {
                            outage.over(service, topic, &group);
                            delivery
                        }
                        Ok(None) => {
                            outage.over(service, topic, &group);
                            continue;
                        }
                        Err(err) => {
                            outage.failed(service, topic, &group, &err, "event stream interrupted; following again");
                            if sleep_or_cancel(&cancel, Duration::from_secs(1)).await {
                                return Ok(());
                            }
                            break;
                        }
                    };
                    let event = match serde_json::from_slice::<T>(&delivery.payload) {
                        Ok(event) => event,
                        Err(err) => {
                            tracing::error!(service, topic, group, id = %delivery.id, error = %err, "event cannot be read; dropped");
                            let _ = subscription.ack(&delivery.id).await;
                            continue;
                        }
                    };
                    let id = delivery.id.clone();
                    match handle(Received { id, event }).await {
                        Ok(()) => {
                            if let Err(err) = subscription.ack(&delivery.id).await {
                                tracing::warn!(service, topic, error = %format!("{err:#}"), "event not acknowledged; it will come again");
                            }
                        }
                        Err(err) => {
                            tracing::warn!(service, topic, group, id = %delivery.id, error = %format!("{err:#}"), "event not handled yet; it will be offered again");
                            if sleep_or_cancel(&cancel, Duration::from_secs(1)).await {
                                return Ok(());
                            }
                        }
                    }
                }
            }
        });
    }

    /// The first worker to end, as an error: workers run until the service stops. Pending
    /// forever when there are none.
    pub async fn first_ended(&mut self) -> anyhow::Error {
        match self.set.join_next().await {
            Some(Ok((name, Ok(())))) => anyhow::anyhow!("{}: worker `{name}` stopped", self.service),
            Some(Ok((name, Err(err)))) => err.context(format!("{}: worker `{name}` failed", self.service)),
            Some(Err(err)) => anyhow::anyhow!("{}: a worker panicked or was aborted: {err}", self.service),
            None => std::future::pending().await,
        }
    }

    /// Cancels every worker and waits for them, at most `grace`; then aborts what is left.
    pub async fn shutdown(&mut self, grace: Duration) {
        self.cancel.cancel();
        let drained = tokio::time::timeout(grace, async {
            while let Some(ended) = self.set.join_next().await {
                if let Ok((name, Err(err))) = ended {
                    tracing::warn!(service = self.service, worker = name, error = %format!("{err:#}"), "worker ended with an error");
                }
            }
        })
        .await;
        if drained.is_err() {
            tracing::warn!(service = self.service, "workers still busy after the grace period; aborted");
            self.set.shutdown().await;
        }
    }
}

impl Drop for Workers {
    fn drop(&mut self) {
        self.cancel.cancel();
    }
}

/// A follower's trouble with the bus: one warning when it starts, one line when it ends, and
/// the retries between at debug level, so an outage does not flood the logs.
#[derive(Default)]
struct Outage {
    since: Option<std::time::Instant>,
}

impl Outage {
    fn failed(&mut self, service: &str, topic: &str, group: &str, err: &anyhow::Error, what: &str) {
        let error = format!("{err:#}");
        if self.since.is_none() {
            self.since = Some(std::time::Instant::now());
            tracing::warn!(service, topic, group, error, "{what}");
        } else {
            tracing::debug!(service, topic, group, error, "{what}");
        }
    }

    fn over(&mut self, service: &str, topic: &str, group: &str) {
        if let Some(since) = self.since.take() {
            tracing::info!(
                service,
                topic,
                group,
                after_secs = since.elapsed().as_secs(),
                "following events again"
            );
        }
    }
}

/// Sleeps for `period`; true when cancelled first.
pub async fn sleep_or_cancel(cancel: &CancellationToken, period: Duration) -> bool {
    tokio::select! {
        _ = cancel.cancelled() => true,
        _ = tokio::time::sleep(period) => false,
    }
}
