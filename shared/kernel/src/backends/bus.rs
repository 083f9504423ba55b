//! Event streams with consumer groups: each group sees every event, each event goes to
//! one consumer of the group, and stays pending until acknowledged; an event left
//! unacknowledged by a consumer that died is handed to another after a while.

use std::collections::{BTreeMap, HashMap, VecDeque};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use async_trait::async_trait;
use redis::streams::{StreamAutoClaimOptions, StreamAutoClaimReply, StreamReadOptions, StreamReadReply};
use tokio::sync::Notify;

/// Where a new consumer group starts reading.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StartFrom {
    /// Only events published from now on (cache invalidation).
    Latest,
    /// Everything the stream still holds (durable processing).
    Earliest,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Delivery {
    pub id: String,
    pub payload: Vec<u8>,
}

#[async_trait]
pub trait EventBus: Send + Sync {
    async fn publish(&self, topic: &str, payload: &[u8]) -> anyhow::Result<String>;
    async fn subscribe(
        &self,
        topic: &str,
        group: &str,
        consumer: &str,
        start: StartFrom,
    ) -> anyhow::Result<Box<dyn Subscription>>;
}

#[async_trait]
pub trait Subscription: Send {
    /// The next event for this consumer, waiting at most `wait`.
    async fn next(&mut self, wait: Duration) -> anyhow::Result<Option<Delivery>>;
    async fn ack(&mut self, id: &str) -> anyhow::Result<()>;
}

/// Unacknowledged events are offered again after this long.
const CLAIM_AFTER: Duration = Duration::from_secs(60);
const STREAM_MAX_LEN: usize = 100_000;
/// Smaller in process, where the stream lives in the service's own memory.
const MEMORY_STREAM_MAX_LEN: usize = 10_000;

#[derive(Default)]
struct Group {
    next: u64,
    pending: BTreeMap<u64, Instant>,
}

#[derive(Default)]
struct Topic {
    first_seq: u64,
    entries: VecDeque<Vec<u8>>,
    groups: HashMap<String, Group>,
}

impl Topic {
    fn end(&self) -> u64 {
        self.first_seq + self.entries.len() as u64
    }

    fn get(&self, seq: u64) -> Option<&Vec<u8>> {
        seq.checked_sub(self.first_seq).and_then(|i| self.entries.get(i as usize))
    }

    /// Keeps the newest entries only, as Redis's `MAXLEN` does; what a group has not read
    /// by then is lost to it (both backends alike).
    fn trim(&mut self) {
        while self.entries.len() > MEMORY_STREAM_MAX_LEN {
            self.entries.pop_front();
            self.first_seq += 1;
        }
        let first = self.first_seq;
        for group in self.groups.values_mut() {
            group.next = group.next.max(first);
            group.pending.retain(|seq, _| *seq >= first);
        }
    }
}

#[derive(Clone, Default)]
pub struct MemoryBus {
    topics: Arc<Mutex<HashMap<String, Topic>>>,
    notify: Arc<Notify>,
}

#[async_trait]
impl EventBus for MemoryBus {
    async fn publish(&self, topic: &str, payload: &[u8]) -> anyhow::Result<String> {
        let id = {
            let mut topics = self.topics.lock().map_err(|_| anyhow::anyhow!("bus lock poisoned"))?;
            let t = topics.entry(topic.to_owned()).or_default();
            t.entries.push_back(payload.to_vec());
            let id = t.end() - 1;
            t.trim();
            id
        };
        self.notify.notify_waiters();
        Ok(id.to_string())
    }

    async fn subscribe(
        &self,
        topic: &str,
        group: &str,
        _consumer: &str,
        start: StartFrom,
    ) -> anyhow::Result<Box<dyn Subscription>> {
        let mut topics = self.topics.lock().map_err(|_| anyhow::anyhow!("bus lock poisoned"))?;
        let t = topics.entry(topic.to_owned()).or_default();
        let next = match start {
            StartFrom::Latest => t.end(),
            StartFrom::Earliest => t.first_seq,
        };
        t.groups.entry(group.to_owned()).or_insert_with(|| Group { next, pending: BTreeMap::new() });
        Ok(Box::new(MemorySubscription {
            bus: self.clone(),
            topic: topic.to_owned(),
            group: group.to_owned(),
        }))
    }
}

struct MemorySubscription {
    bus: MemoryBus,
    topic: String,
    group: String,
}

impl MemorySubscription {
    fn take(&self) -> anyhow::Result<Option<Delivery>> {
        let mut topics = self.bus.topics.lock().map_err(|_| anyhow::anyhow!("bus lock poisoned"))?;
        let Some(t) = topics.get_mut(&self.topic) else { return Ok(None) };
        let now = Instant::now();
        let end = t.end();
        let Some(group) = t.groups.get_mut(&self.group) else { return Ok(None) };
        let stale =
            group.pending.iter().find(|(_, at)| now.duration_since(**at) >= CLAIM_AFTER).map(|(s, _)| *s);
        let seq = match stale {
            Some(seq) => seq,
            None if group.next < end => {
                group.next += 1;
                group.next - 1
            }
            None => return Ok(None),
        };
        group.pending.insert(seq, now);
        Ok(t.get(seq).map(|payload| Delivery { id: seq.to_string(), payload: payload.clone() }))
    }
}

#[async_trait]
impl Subscription for MemorySubscription {
    async fn next(&mut self, wait: Duration) -> anyhow::Result<Option<Delivery>> {
        let deadline = tokio::time::Instant::now() + wait;
        loop {
            let notified = self.bus.notify.notified();
            tokio::pin!(notified);
            notified.as_mut().enable();
            if let Some(delivery) = self.take()? {
                return Ok(Some(delivery));
            }
            if tokio::time::timeout_at(deadline, notified).await.is_err() {
                return Ok(None);
            }
        }
    }

    async fn ack(&mut self, id: &str) -> anyhow::Result<()> {
        let seq: u64 = id.parse()?;
        let mut topics = self.bus.topics.lock().map_err(|_| anyhow::anyhow!("bus lock poisoned"))?;
        if let Some(t) = topics.get_mut(&self.topic) {
            if let Some(group) = t.groups.get_mut(&self.group) {
                group.pending.remove(&seq);
            }
            t.trim();
        }
        Ok(())
    }
}

pub struct RedisBus {
    client: redis::Client,
    con: redis::aio::ConnectionManager,
    prefix: String,
}

impl RedisBus {
    pub fn new(client: redis::Client, con: redis::aio::ConnectionManager, prefix: &str) -> Self {
        Self { client, con, prefix: format!("{prefix}:stream:") }
    }
}

#[async_trait]
impl EventBus for RedisBus {
    async fn publish(&self, topic: &str, payload: &[u8]) -> anyhow::Result<String> {
        let mut con = self.con.clone();
        let id: String = redis::cmd("XADD")
            .arg(format!("{}{topic}", self.prefix))
            .arg("MAXLEN")
            .arg("~")
            .arg(STREAM_MAX_LEN)
            .arg("*")
            .arg("p")
            .arg(payload)
            .query_async(&mut con)
            .await?;
        Ok(id)
    }

    async fn subscribe(
        &self,
        topic: &str,
        group: &str,
        consumer: &str,
        start: StartFrom,
    ) -> anyhow::Result<Box<dyn Subscription>> {
        let key = format!("{}{topic}", self.prefix);
        let mut con = self.con.clone();
        let from = match start {
            StartFrom::Latest => "$",
            StartFrom::Earliest => "0",
        };
        let created: redis::RedisResult<()> = redis::cmd("XGROUP")
            .arg("CREATE")
            .arg(&key)
            .arg(group)
            .arg(from)
            .arg("MKSTREAM")
            .query_async(&mut con)
            .await;
        if let Err(err) = created
            && err.code() != Some("BUSYGROUP")
        {
            return Err(err.into());
        }
        // Blocking reads get a connection of their own, so they never stall other commands.
        let reader = self.client.get_multiplexed_async_connection().await?;
        Ok(Box::new(RedisSubscription {
            reader,
            con,
            key,
            group: group.to_owned(),
            consumer: consumer.to_owned(),
            buffer: VecDeque::new(),
            read_own_pending: true,
            last_claim: Instant::now(),
        }))
    }
}

struct RedisSubscription {
    reader: redis::aio::MultiplexedConnection,
    con: redis::aio::ConnectionManager,
    key: String,
    group: String,
    consumer: String,
    buffer: VecDeque<Delivery>,
    /// After a restart, a consumer first takes back what it had read but not acknowledged.
    read_own_pending: bool,
    last_claim: Instant,
}

fn deliveries(ids: Vec<redis::streams::StreamId>) -> impl Iterator<Item = Delivery> {
    ids.into_iter().filter_map(|entry| {
        let payload = entry.map.get("p").and_then(|v| redis::from_redis_value_ref::<Vec<u8>>(v).ok())?;
        Some(Delivery { id: entry.id, payload })
    })
}

#[async_trait]
impl Subscription for RedisSubscription {
    async fn next(&mut self, wait: Duration) -> anyhow::Result<Option<Delivery>> {
        if let Some(d) = self.buffer.pop_front() {
            return Ok(Some(d));
        }
        if self.read_own_pending {
            let opts = StreamReadOptions::default().group(&self.group, &self.consumer).count(32);
            let reply: StreamReadReply = redis::cmd("XREADGROUP")
                .arg(&opts)
                .arg("STREAMS")
                .arg(&self.key)
                .arg("0")
                .query_async(&mut self.reader)
                .await?;
            let mine: Vec<_> = reply.keys.into_iter().flat_map(|k| deliveries(k.ids)).collect();
            if mine.is_empty() {
                self.read_own_pending = false;
            }
            self.buffer.extend(mine);
            if let Some(d) = self.buffer.pop_front() {
                return Ok(Some(d));
            }
        }
        if self.last_claim.elapsed() >= CLAIM_AFTER / 2 {
            self.last_claim = Instant::now();
            let reply: StreamAutoClaimReply = redis::cmd("XAUTOCLAIM")
                .arg(&self.key)
                .arg(&self.group)
                .arg(&self.consumer)
                .arg(CLAIM_AFTER.as_millis() as u64)
                .arg("0")
                .arg(StreamAutoClaimOptions::default().count(32))
                .query_async(&mut self.con)
                .await?;
            self.buffer.extend(deliveries(reply.claimed));
            if let Some(d) = self.buffer.pop_front() {
                return Ok(Some(d));
            }
        }
        let opts = StreamReadOptions::default()
            .group(&self.group, &self.consumer)
            .count(32)
            .block(wait.as_millis().max(1) as usize);
        let reply: Option<StreamReadReply> = redis::cmd("XREADGROUP")
            .arg(&opts)
            .arg("STREAMS")
            .arg(&self.key)
            .arg(">")
            .query_async(&mut self.reader)
            .await?;
        if let Some(reply) = reply {
            self.buffer.extend(reply.keys.into_iter().flat_map(|k| deliveries(k.ids)));
        }
        Ok(self.buffer.pop_front())
    }

    async fn ack(&mut self, id: &str) -> anyhow::Result<()> {
        redis::cmd("XACK").arg(&self.key).arg(&self.group).arg(id).query_async::<()>(&mut self.con).await?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn groups_each_see_every_event_once() {
        let bus = MemoryBus::default();
        let mut a1 = bus.subscribe("t", "a", "a1", StartFrom::Latest).await.unwrap();
        let mut a2 = bus.subscribe("t", "a", "a2", StartFrom::Latest).await.unwrap();
        let mut b = bus.subscribe("t", "b", "b1", StartFrom::Latest).await.unwrap();
        bus.publish("t", b"one").await.unwrap();
        bus.publish("t", b"two").await.unwrap();
        let w = Duration::from_millis(50);
        let first = a1.next(w).await.unwrap().unwrap();
        let second = a2.next(w).await.unwrap().unwrap();
        assert_eq!((first.payload.as_slice(), second.payload.as_slice()), (&b"one"[..], &b"two"[..]));
        assert!(a1.next(w).await.unwrap().is_none());
        assert_eq!(b.next(w).await.unwrap().unwrap().payload, b"one");
        assert_eq!(b.next(w).await.unwrap().unwrap().payload, b"two");
    }

    #[tokio::test]
    async fn a_waiting_consumer_wakes_on_publish() {
        let bus = MemoryBus::default();
        let mut sub = bus.subscribe("t", "g", "c", StartFrom::Latest).await.unwrap();
        let publisher = bus.clone();
        tokio::spawn(async move {
            tokio::time::sleep(Duration::from_millis(20)).await;
            publisher.publish("t", b"late").await.unwrap();
        });
        let got = sub.next(Duration::from_secs(5)).await.unwrap().unwrap();
        assert_eq!(got.payload, b"late");
    }
}
