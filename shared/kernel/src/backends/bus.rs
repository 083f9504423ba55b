//! Event streams with consumer groups: each group sees every event, each event goes to
//! one consumer of the group, and stays pending until acknowledged; an event left
//! unacknowledged by a consumer that died is handed to another after a while.

use std::collections::{BTreeMap, HashMap, HashSet, VecDeque};
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

#[derive(Clone)]
pub struct MemoryBus {
    topics: Arc<Mutex<HashMap<String, Topic>>>,
    notify: Arc<Notify>,
    claim_after: Duration,
}

impl Default for MemoryBus {
    fn default() -> Self {
        Self::with_claim_after(CLAIM_AFTER)
    }
}

impl MemoryBus {
    /// A bus that offers an event read but not acknowledged for `claim_after` to another
    /// consumer of the group (as the Redis bus does).
    pub fn with_claim_after(claim_after: Duration) -> Self {
        Self { topics: Arc::default(), notify: Arc::default(), claim_after }
    }
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
        let stale = group
            .pending
            .iter()
            .find(|(_, at)| now.duration_since(**at) >= self.bus.claim_after)
            .map(|(s, _)| *s);
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

/// How a Redis bus bounds its calls and hands on what a dead consumer left.
#[derive(Clone, Copy, Debug)]
pub struct BusOptions {
    /// Every call but the blocking read.
    pub timeout: Duration,
    /// An event read but not acknowledged for this long is claimed by another consumer.
    pub claim_after: Duration,
}

impl Default for BusOptions {
    fn default() -> Self {
        Self { timeout: Duration::from_millis(250), claim_after: CLAIM_AFTER }
    }
}

/// The longest a blocking read waits for events; the reading connection allows that and a margin.
const MAX_BLOCK: Duration = Duration::from_secs(10);

pub struct RedisBus {
    client: redis::Client,
    con: redis::aio::ConnectionManager,
    prefix: String,
    options: BusOptions,
    /// Groups this process has joined: one that must be made again was lost with Redis's data
    /// (restarted empty), and so was its stream, so it starts from the stream's beginning then,
    /// to miss nothing published since.
    joined: Mutex<HashSet<(String, String)>>,
}

impl RedisBus {
    pub fn new(
        client: redis::Client,
        con: redis::aio::ConnectionManager,
        prefix: &str,
        options: BusOptions,
    ) -> Self {
        Self { client, con, prefix: format!("{prefix}:stream:"), options, joined: Mutex::default() }
    }
}

/// `call`, given at most `limit`.
async fn bounded<T>(
    limit: Duration,
    call: impl std::future::Future<Output = redis::RedisResult<T>>,
) -> anyhow::Result<T> {
    match tokio::time::timeout(limit, call).await {
        Ok(result) => Ok(result?),
        Err(_) => anyhow::bail!("Redis did not answer within {} ms", limit.as_millis()),
    }
}

#[async_trait]
impl EventBus for RedisBus {
    /// Fails within the timeout when Redis does not answer: the caller (an outbox relay) keeps
    /// the event and tries again later.
    async fn publish(&self, topic: &str, payload: &[u8]) -> anyhow::Result<String> {
        let mut con = self.con.clone();
        let mut cmd = redis::cmd("XADD");
        cmd.arg(format!("{}{topic}", self.prefix))
            .arg("MAXLEN")
            .arg("~")
            .arg(STREAM_MAX_LEN)
            .arg("*")
            .arg("p")
            .arg(payload);
        bounded(self.options.timeout, cmd.query_async::<String>(&mut con)).await
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
        let joined = (key.clone(), group.to_owned());
        let rejoin = self.joined.lock().map(|j| j.contains(&joined)).unwrap_or(false);
        let from = match start {
            StartFrom::Latest if !rejoin => "$",
            _ => "0",
        };
        let mut create = redis::cmd("XGROUP");
        create.arg("CREATE").arg(&key).arg(group).arg(from).arg("MKSTREAM");
        let created = tokio::time::timeout(self.options.timeout, create.query_async::<()>(&mut con)).await;
        match created {
            Err(_) => anyhow::bail!("Redis did not answer within {} ms", self.options.timeout.as_millis()),
            Ok(Err(err)) if err.code() != Some("BUSYGROUP") => return Err(err.into()),
            Ok(_) => {}
        }
        if let Ok(mut j) = self.joined.lock() {
            j.insert(joined);
        }
        // Blocking reads get a connection of their own, so they never stall other commands, with
        // a response timeout longer than the longest block (the default, 500 ms, is shorter
        // than any useful block, and would make every idle read fail).
        let config = redis::AsyncConnectionConfig::new()
            .set_connection_timeout(Some(self.options.timeout))
            .set_response_timeout(Some(MAX_BLOCK + self.options.timeout + Duration::from_secs(1)));
        let reader = bounded(
            self.options.timeout * 2,
            self.client.get_multiplexed_async_connection_with_config(&config),
        )
        .await?;
        Ok(Box::new(RedisSubscription {
            reader,
            con,
            key,
            group: group.to_owned(),
            consumer: consumer.to_owned(),
            options: self.options,
            buffer: VecDeque::new(),
            own_pending_after: Some("0".to_owned()),
            claim_cursor: "0-0".to_owned(),
            next_claim: None,
        }))
    }
}

struct RedisSubscription {
    reader: redis::aio::MultiplexedConnection,
    con: redis::aio::ConnectionManager,
    key: String,
    group: String,
    consumer: String,
    options: BusOptions,
    buffer: VecDeque<Delivery>,
    /// After a restart, a consumer first takes back what it had read but not acknowledged:
    /// its own pending entries after this id, until there are none.
    own_pending_after: Option<String>,
    /// Where the next XAUTOCLAIM scan starts.
    claim_cursor: String,
    /// When to look for events other consumers left; `None`: now (at start).
    next_claim: Option<Instant>,
}

/// The entries still in the stream, and the ids of those trimmed away meanwhile.
fn deliveries(ids: Vec<redis::streams::StreamId>) -> (Vec<Delivery>, Vec<String>) {
    let mut out = Vec::new();
    let mut gone = Vec::new();
    for entry in ids {
        match entry.map.get("p").and_then(|v| redis::from_redis_value_ref::<Vec<u8>>(v).ok()) {
            Some(payload) => out.push(Delivery { id: entry.id, payload }),
            None => gone.push(entry.id),
        }
    }
    (out, gone)
}

/// A consumer that has held nothing and asked for nothing for this long is a past process.
const FORGET_CONSUMERS_AFTER: Duration = Duration::from_secs(24 * 3600);

impl RedisSubscription {
    async fn ack_ids(&mut self, ids: &[String]) -> anyhow::Result<()> {
        if ids.is_empty() {
            return Ok(());
        }
        let mut cmd = redis::cmd("XACK");
        cmd.arg(&self.key).arg(&self.group).arg(ids);
        bounded(self.options.timeout, cmd.query_async::<()>(&mut self.con)).await
    }

    /// This consumer's own pending entries (after a restart under the same name).
    async fn read_own_pending(&mut self) -> anyhow::Result<()> {
        while let Some(after) = self.own_pending_after.clone() {
            let opts = StreamReadOptions::default().group(&self.group, &self.consumer).count(32);
            let mut cmd = redis::cmd("XREADGROUP");
            cmd.arg(&opts).arg("STREAMS").arg(&self.key).arg(&after);
            let reply: StreamReadReply =
                bounded(self.options.timeout, cmd.query_async(&mut self.reader)).await?;
            let ids: Vec<_> = reply.keys.into_iter().flat_map(|k| k.ids).collect();
            let Some(last) = ids.last().map(|e| e.id.clone()) else {
                self.own_pending_after = None;
                break;
            };
            let (mine, gone) = deliveries(ids);
            self.ack_ids(&gone).await?;
            self.own_pending_after = Some(last);
            if !mine.is_empty() {
                self.buffer.extend(mine);
                break;
            }
        }
        Ok(())
    }

    /// Claims what other consumers read and left unacknowledged for `claim_after` (they died),
    /// and forgets consumers long gone that hold nothing.
    async fn claim_abandoned(&mut self) -> anyhow::Result<()> {
        let mut cmd = redis::cmd("XAUTOCLAIM");
        cmd.arg(&self.key)
            .arg(&self.group)
            .arg(&self.consumer)
            .arg(self.options.claim_after.as_millis() as u64)
            .arg(&self.claim_cursor)
            .arg(StreamAutoClaimOptions::default().count(32));
        let reply: StreamAutoClaimReply =
            bounded(self.options.timeout, cmd.query_async(&mut self.con)).await?;
        let (claimed, gone) = deliveries(reply.claimed);
        self.ack_ids(&gone).await?;
        if !claimed.is_empty() {
            tracing::info!(stream = %self.key, group = %self.group, events = claimed.len(), "events a stopped consumer left unacknowledged taken over");
        }
        self.buffer.extend(claimed);
        let more = reply.next_stream_id != "0-0";
        self.claim_cursor = if more { reply.next_stream_id } else { "0-0".to_owned() };
        // A full scan goes on at once; otherwise look again in half the claim time.
        self.next_claim = if more { None } else { Some(Instant::now() + self.options.claim_after / 2) };
        if !more {
            self.forget_past_consumers().await?;
        }
        Ok(())
    }

    async fn forget_past_consumers(&mut self) -> anyhow::Result<()> {
        let mut cmd = redis::cmd("XINFO");
        cmd.arg("CONSUMERS").arg(&self.key).arg(&self.group);
        let consumers: redis::streams::StreamInfoConsumersReply =
            bounded(self.options.timeout, cmd.query_async(&mut self.con)).await?;
        for c in consumers.consumers {
            if c.pending == 0
                && c.name != self.consumer
                && c.idle as u128 > FORGET_CONSUMERS_AFTER.as_millis()
            {
                let mut cmd = redis::cmd("XGROUP");
                cmd.arg("DELCONSUMER").arg(&self.key).arg(&self.group).arg(&c.name);
                bounded(self.options.timeout, cmd.query_async::<i64>(&mut self.con)).await?;
            }
        }
        Ok(())
    }
}

#[async_trait]
impl Subscription for RedisSubscription {
    async fn next(&mut self, wait: Duration) -> anyhow::Result<Option<Delivery>> {
        if let Some(d) = self.buffer.pop_front() {
            return Ok(Some(d));
        }
        if self.own_pending_after.is_some() {
            self.read_own_pending().await?;
            if let Some(d) = self.buffer.pop_front() {
                return Ok(Some(d));
            }
        }
        if self.next_claim.is_none_or(|at| Instant::now() >= at) {
            self.claim_abandoned().await?;
            if let Some(d) = self.buffer.pop_front() {
                return Ok(Some(d));
            }
        }
        let block = wait.min(MAX_BLOCK);
        let opts = StreamReadOptions::default()
            .group(&self.group, &self.consumer)
            .count(32)
            .block(block.as_millis().max(1) as usize);
        let mut cmd = redis::cmd("XREADGROUP");
        cmd.arg(&opts).arg("STREAMS").arg(&self.key).arg(">");
        let reply: Option<StreamReadReply> =
            bounded(block + self.options.timeout + Duration::from_secs(1), cmd.query_async(&mut self.reader))
                .await?;
        if let Some(reply) = reply {
            let (new, _) = deliveries(reply.keys.into_iter().flat_map(|k| k.ids).collect());
            self.buffer.extend(new);
        }
        Ok(self.buffer.pop_front())
    }

    async fn ack(&mut self, id: &str) -> anyhow::Result<()> {
        self.ack_ids(&[id.to_owned()]).await
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
