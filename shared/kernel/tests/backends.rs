#![allow(clippy::unwrap_used, clippy::expect_used)]

//! The cache, rate limiter and event bus behave the same in process and on Redis
//! (Redis when CANOPY_TEST_BACKENDS names `postgres`, the PostgreSQL + Redis deployment).

use std::time::Duration;

use canopy_kernel::backends::{Backends, CacheExt, Quota, StartFrom};
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
