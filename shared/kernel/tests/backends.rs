#![allow(clippy::unwrap_used, clippy::expect_used)]

//! The cache, rate limiter and event bus behave the same in process and on Redis
//! (Redis when CANOPY_TEST_BACKENDS names `postgres`, the PostgreSQL + Redis deployment).

use std::time::Duration;

use canopy_kernel::backends::{Backends, CacheExt, MemoryBus, Quota, StartFrom};
use canopy_kernel::config::RedisSettings;
use chrono::{DateTime, TimeDelta, Utc};

async fn each(test: impl AsyncFn(&Backends)) {
    let names = std::env::var("CANOPY_TEST_BACKENDS").unwrap_or_else(|_| "sqlite".into());
    for name in names.split(',').map(str::trim) {
        let (backends, prefix) = match name {
            "sqlite" => (Backends::in_process(), None),
            "postgres" => {
                let url = std::env::var("CANOPY_TEST_REDIS_URL")
                    .unwrap_or_else(|_| "redis://127.0.0.1:6379".into());
                let prefix = format!("kt{}", uuid::Uuid::new_v4().simple());
                (Backends::redis(&url, &prefix).await.expect("Redis is reachable"), Some((url, prefix)))
            }
            other => panic!("unknown backend {other}"),
        };
        eprintln!("-- backends: {}", backends.describe());
        test(&backends).await;
        if let Some((url, prefix)) = prefix {
            let client = redis::Client::open(url).unwrap();
            let mut con = client.get_multiplexed_async_connection().await.unwrap();
            let keys: Vec<String> =
                redis::cmd("KEYS").arg(format!("{prefix}:*")).query_async(&mut con).await.unwrap();
            if !keys.is_empty() {
                let _: () = redis::cmd("DEL").arg(keys).query_async(&mut con).await.unwrap();
            }
        }
    }
}

#[tokio::test]
async fn the_cache_stores_expires_and_deletes() {
    each(async |b| {
        b.cache.set("k", b"v", Duration::from_secs(60)).await.unwrap();
        assert_eq!(b.cache.get("k").await.unwrap(), Some(b"v".to_vec()));
        b.cache.delete("k").await.unwrap();
        assert_eq!(b.cache.get("k").await.unwrap(), None);
        b.cache.set_json("short", &serde_json::json!({"a": 1}), Duration::from_millis(100)).await.unwrap();
        assert_eq!(
            b.cache.get_json::<serde_json::Value>("short").await.unwrap(),
            Some(serde_json::json!({"a": 1}))
        );
        tokio::time::sleep(Duration::from_millis(250)).await;
        assert_eq!(b.cache.get("short").await.unwrap(), None);
        assert!(b.ready().await);
    })
    .await;
}

#[tokio::test]
async fn the_limiter_refuses_past_the_quota_and_recovers_on_the_time_it_is_given() {
    each(async |b| {
        let q = Quota { requests: 3, period: Duration::from_millis(600) };
        let t0: DateTime<Utc> = "2026-11-23T09:00:00Z".parse().unwrap();
        for expected in [2, 1, 0] {
            let d = b.limiter.check("client", q, t0).await.unwrap();
            assert!(d.allowed);
            assert_eq!(d.remaining, expected);
        }
        let d = b.limiter.check("client", q, t0).await.unwrap();
        assert!(!d.allowed);
        assert_eq!(d.retry_after, Duration::from_millis(200));
        assert!(b.limiter.check("someone-else", q, t0).await.unwrap().allowed);
        // A clock set back gives nothing back.
        assert!(!b.limiter.check("client", q, t0 - TimeDelta::seconds(60)).await.unwrap().allowed);
        assert_eq!(
            b.limiter.check("client", q, t0 + TimeDelta::milliseconds(650)).await.unwrap().remaining,
            2
        );
    })
    .await;
}

#[tokio::test]
async fn bus_groups_share_work_and_each_group_sees_everything() {
    each(async |b| {
        let wait = Duration::from_millis(500);
        let mut a1 = b.bus.subscribe("orders", "billing", "b1", StartFrom::Latest).await.unwrap();
        let mut a2 = b.bus.subscribe("orders", "billing", "b2", StartFrom::Latest).await.unwrap();
        let mut audit = b.bus.subscribe("orders", "audit", "x", StartFrom::Latest).await.unwrap();
        for i in 0..4 {
            b.bus.publish("orders", format!("event-{i}").as_bytes()).await.unwrap();
        }
        let mut billing = Vec::new();
        for sub in [&mut a1, &mut a2] {
            while let Some(d) = sub.next(Duration::from_millis(100)).await.unwrap() {
                billing.push(String::from_utf8(d.payload.clone()).unwrap());
                sub.ack(&d.id).await.unwrap();
            }
        }
        billing.sort();
        assert_eq!(billing, ["event-0", "event-1", "event-2", "event-3"], "each event once within the group");
        let mut seen = Vec::new();
        while let Some(d) = audit.next(wait).await.unwrap() {
            seen.push(String::from_utf8(d.payload.clone()).unwrap());
            audit.ack(&d.id).await.unwrap();
            if seen.len() == 4 {
                break;
            }
        }
        assert_eq!(
            seen,
            ["event-0", "event-1", "event-2", "event-3"],
            "another group sees all of them, in order"
        );
        // A late group can start from what the stream still holds.
        let mut late = b.bus.subscribe("orders", "replay", "r", StartFrom::Earliest).await.unwrap();
        let first = late.next(wait).await.unwrap().unwrap();
        assert_eq!(first.payload, b"event-0");
    })
    .await;
}

#[tokio::test]
async fn an_unacknowledged_event_comes_back_to_a_restarted_consumer() {
    each(async |b| {
        let mut c = b.bus.subscribe("jobs", "workers", "w1", StartFrom::Latest).await.unwrap();
        b.bus.publish("jobs", b"job-1").await.unwrap();
        let d = c.next(Duration::from_millis(500)).await.unwrap().unwrap();
        assert_eq!(d.payload, b"job-1");
        drop(c);
        // Redis hands a restarted consumer its pending entries first; in process there is no
        // restart without the process, so only the Redis side is asked for it.
        if b.describe() == "Redis" {
            let mut again = b.bus.subscribe("jobs", "workers", "w1", StartFrom::Latest).await.unwrap();
            let d2 = again.next(Duration::from_millis(500)).await.unwrap().unwrap();
            assert_eq!(d2.payload, b"job-1");
            again.ack(&d2.id).await.unwrap();
        }
    })
    .await;
}

/// Backends whose bus hands a dead consumer's events on after `claim_after`, per backend.
async fn each_claiming(claim_after: Duration, test: impl AsyncFn(&Backends)) {
    let names = std::env::var("CANOPY_TEST_BACKENDS").unwrap_or_else(|_| "sqlite".into());
    for name in names.split(',').map(str::trim) {
        let (backends, prefix) = match name {
            "sqlite" => {
                let mut b = Backends::in_process();
                b.bus = std::sync::Arc::new(MemoryBus::with_claim_after(claim_after));
                (b, None)
            }
            "postgres" => {
                let url = std::env::var("CANOPY_TEST_REDIS_URL")
                    .unwrap_or_else(|_| "redis://127.0.0.1:6379".into());
                let prefix = format!("kt{}", uuid::Uuid::new_v4().simple());
                let settings =
                    RedisSettings { claim_after_secs: claim_after.as_secs(), ..RedisSettings::default() };
                (
                    Backends::redis_with(&url, &prefix, &settings).await.expect("Redis is reachable"),
                    Some((url, prefix)),
                )
            }
            other => panic!("unknown backend {other}"),
        };
        eprintln!("-- backends: {}", backends.describe());
        test(&backends).await;
        if let Some((url, prefix)) = prefix {
            let client = redis::Client::open(url).unwrap();
            let mut con = client.get_multiplexed_async_connection().await.unwrap();
            let keys: Vec<String> =
                redis::cmd("KEYS").arg(format!("{prefix}:*")).query_async(&mut con).await.unwrap();
            if !keys.is_empty() {
                let _: () = redis::cmd("DEL").arg(keys).query_async(&mut con).await.unwrap();
            }
        }
    }
}

/// A consumer killed mid-stream (its task dropped, holding events it read and never
/// acknowledged, one of them half handled): another consumer of the group takes them over, so
/// every event is handled at least once, and with an idempotent handler (effects keyed by the
/// event, as the webhook deliveries and the dispatcher's decisions are) each takes effect once.
#[tokio::test]
async fn a_consumer_killed_mid_stream_loses_no_event_and_effects_happen_once() {
    each_claiming(Duration::from_secs(1), async |b| {
        use std::collections::HashMap;
        use std::sync::{Arc, Mutex};

        use canopy_kernel::service::{Received, Workers};

        #[derive(serde::Deserialize)]
        struct Event {
            event_id: u32,
        }
        const N: u32 = 40;
        // What the handlers did: per event, how often it was handled and whether its effect is there.
        let handled: Arc<Mutex<HashMap<u32, u32>>> = Arc::default();
        let effects: Arc<Mutex<HashMap<u32, u32>>> = Arc::default();
        // The first worker handles 10 events, then hangs in the 11th, after its effect and
        // before its acknowledgement, and is killed there.
        let mut first = Workers::new("first");
        let (reached, hung) = (Arc::new(tokio::sync::Notify::new()), Arc::new(Mutex::new(0u32)));
        {
            let (handled, effects, reached, hung) =
                (handled.clone(), effects.clone(), reached.clone(), hung.clone());
            first.follow(b.bus.clone(), "crash", "g", StartFrom::Earliest, move |r: Received<Event>| {
                let (handled, effects, reached, hung) =
                    (handled.clone(), effects.clone(), reached.clone(), hung.clone());
                async move {
                    let id = r.event.event_id;
                    *handled.lock().unwrap().entry(id).or_default() += 1;
                    effects.lock().unwrap().entry(id).or_insert(1);
                    let n = handled.lock().unwrap().len();
                    if n > 10 {
                        *hung.lock().unwrap() = id;
                        reached.notify_one();
                        std::future::pending::<()>().await;
                    }
                    Ok(())
                }
            });
        }
        for i in 0..N {
            b.bus.publish("crash", serde_json::json!({"event_id": i}).to_string().as_bytes()).await.unwrap();
        }
        tokio::time::timeout(Duration::from_secs(30), reached.notified())
            .await
            .expect("the first consumer got going");
        // kill: its task is aborted where it is, nothing acknowledged after that.
        first.shutdown(Duration::ZERO).await;
        drop(first);
        let killed_in = *hung.lock().unwrap();
        let before = handled.lock().unwrap().len() as u32;
        assert!(before < N, "killed mid-stream ({before} of {N} handled)");

        // A new consumer of the same group (the restarted process) takes over.
        let mut second = Workers::new("second");
        {
            let (handled, effects) = (handled.clone(), effects.clone());
            second.follow(b.bus.clone(), "crash", "g", StartFrom::Earliest, move |r: Received<Event>| {
                let (handled, effects) = (handled.clone(), effects.clone());
                async move {
                    let id = r.event.event_id;
                    *handled.lock().unwrap().entry(id).or_default() += 1;
                    // Idempotent: the effect is keyed by the event.
                    effects.lock().unwrap().entry(id).or_insert(1);
                    Ok(())
                }
            });
        }
        // Done when every event has been handled through to the end (the hung one again).
        let deadline = std::time::Instant::now() + Duration::from_secs(60);
        loop {
            let done = {
                let handled = handled.lock().unwrap();
                handled.len() == N as usize && handled.get(&killed_in).is_some_and(|n| *n >= 2)
            };
            if done {
                break;
            }
            assert!(std::time::Instant::now() < deadline, "events lost: {:?}", handled.lock().unwrap());
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        second.shutdown(Duration::from_secs(2)).await;
        let handled = handled.lock().unwrap().clone();
        let effects = effects.lock().unwrap().clone();
        for id in 0..N {
            assert!(handled.get(&id).is_some_and(|n| *n >= 1), "event {id} handled at least once");
            assert_eq!(effects.get(&id), Some(&1), "event {id} took effect once");
        }
        assert!(handled[&killed_in] >= 2, "the half-handled event came again");
    })
    .await;
}

/// Redis's own rule: a consumer that comes back under its name first gets what it had read
/// and not acknowledged, at once (and in process, after the claim time, as any consumer).
#[tokio::test]
async fn a_restarted_consumer_first_takes_back_its_own_pending_events() {
    each_claiming(Duration::from_secs(1), async |b| {
        let mut c = b.bus.subscribe("own", "g", "c1", StartFrom::Latest).await.unwrap();
        for i in 0..3 {
            b.bus.publish("own", format!("e{i}").as_bytes()).await.unwrap();
        }
        let first = c.next(Duration::from_millis(500)).await.unwrap().unwrap();
        assert_eq!(first.payload, b"e0");
        c.ack(&first.id).await.unwrap();
        let _second = c.next(Duration::from_millis(500)).await.unwrap().unwrap();
        drop(c);
        let mut again = b.bus.subscribe("own", "g", "c1", StartFrom::Latest).await.unwrap();
        let mut got = Vec::new();
        let deadline = std::time::Instant::now() + Duration::from_secs(20);
        while got.len() < 2 && std::time::Instant::now() < deadline {
            if let Some(d) = again.next(Duration::from_millis(500)).await.unwrap() {
                got.push(String::from_utf8(d.payload.clone()).unwrap());
                again.ack(&d.id).await.unwrap();
            }
        }
        got.sort();
        assert_eq!(got, ["e1", "e2"], "the unacknowledged one back, and the one never read");
        assert!(again.next(Duration::from_millis(300)).await.unwrap().is_none(), "nothing twice");
    })
    .await;
}

/// An idle consumer waits in blocking reads that outlast the client's default response
/// timeout (500 ms): they must end quietly with nothing, not fail.
#[tokio::test]
async fn an_idle_blocking_read_ends_with_nothing_not_an_error() {
    each(async |b| {
        let mut c = b.bus.subscribe("idle", "g", "c", StartFrom::Latest).await.unwrap();
        for _ in 0..2 {
            assert!(c.next(Duration::from_millis(1500)).await.unwrap().is_none());
        }
        b.bus.publish("idle", b"x").await.unwrap();
        assert_eq!(c.next(Duration::from_millis(1500)).await.unwrap().unwrap().payload, b"x");
    })
    .await;
}

#[path = "support/own_redis.rs"]
mod own_redis;
use own_redis::OwnRedis;

/// Redis dies: cache and limiter carry on in process at once (no call waits past the
/// timeout), readiness says Redis is the problem, publishing fails fast (the outbox retries);
/// Redis comes back: readiness recovers, and what was written meanwhile is in Redis.
#[tokio::test]
async fn without_redis_the_cache_and_limiter_carry_on_in_process_and_recover_when_it_returns() {
    let names = std::env::var("CANOPY_TEST_BACKENDS").unwrap_or_else(|_| "sqlite".into());
    if !names.contains("postgres") {
        eprintln!("-- only the PostgreSQL + Redis deployment has Redis to lose");
        return;
    }
    let mut server = OwnRedis::start();
    let settings = RedisSettings { timeout_ms: 200, fallback_secs: 1, claim_after_secs: 60 };
    let b = Backends::redis_with(&server.url(), "outage", &settings).await.unwrap();
    b.cache.set("before", b"1", Duration::from_secs(60)).await.unwrap();
    assert_eq!(b.check().await, ("redis", Ok(())));

    server.kill();
    let t0: DateTime<Utc> = "2026-11-23T09:00:00Z".parse().unwrap();
    let q = Quota { requests: 2, period: Duration::from_secs(60) };
    // Each call is bounded; these never hang (the test would time out instead).
    let outage = async {
        b.cache.set("during", b"2", Duration::from_secs(60)).await.unwrap();
        assert_eq!(b.cache.get("during").await.unwrap(), Some(b"2".to_vec()), "in process meanwhile");
        assert!(b.limiter.check("k", q, t0).await.unwrap().allowed);
        assert!(b.limiter.check("k", q, t0).await.unwrap().allowed);
        assert!(!b.limiter.check("k", q, t0).await.unwrap().allowed, "still limited, per replica");
        let (name, ready) = b.check().await;
        assert_eq!(name, "redis");
        assert!(ready.unwrap_err().contains("Redis"));
        assert!(b.bus.publish("t", b"x").await.is_err(), "publishing fails rather than hangs");
    };
    tokio::time::timeout(Duration::from_secs(10), outage).await.expect("no call waits for Redis");
    let metrics = canopy_kernel::telemetry::metrics().render();
    assert!(metrics.contains("canopy_backend_degraded{backend=\"redis\"} 1"), "{metrics}");
    assert!(metrics.contains("canopy_backend_fallbacks_total{backend=\"redis\",component=\"cache\"}"));

    server.resume();
    let deadline = std::time::Instant::now() + Duration::from_secs(20);
    while b.check().await.1.is_err() {
        assert!(std::time::Instant::now() < deadline, "Redis is used again once it answers");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    // The write made during the outage reached Redis (an empty one, restarted) when it came back.
    let deadline = std::time::Instant::now() + Duration::from_secs(20);
    loop {
        let _ = b.cache.get("during").await;
        let client = redis::Client::open(server.url()).unwrap();
        let mut con = client.get_multiplexed_async_connection().await.unwrap();
        let stored: Option<Vec<u8>> =
            redis::cmd("GET").arg("outage:cache:during").query_async(&mut con).await.unwrap();
        if stored.as_deref() == Some(b"2") {
            break;
        }
        assert!(std::time::Instant::now() < deadline, "written back to Redis");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    assert!(
        canopy_kernel::telemetry::metrics().render().contains("canopy_backend_degraded{backend=\"redis\"} 0")
    );
    assert!(b.bus.publish("t", b"y").await.is_ok());
}
