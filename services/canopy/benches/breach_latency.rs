//! Breach detection latency: the time from a due time passing to its breach being recorded,
//! with `BENCH_OPEN` (default 100 000) open tickets in the database.
//!
//! The open tickets go in through the history import (answered, due for resolution in about
//! 30 days, so they stay quiet); `BENCH_PROBES` (default 20) P1 probes are due for first
//! response one minute apart. Business time is a manual clock: for each probe the clock is set
//! one second past its due time and the wall time is measured until the ticket shows the
//! breach. The breach watch looks every `sla.watch_interval_ms` (default 500 ms), so the
//! latency is the wait for its next look (spread evenly by a varying pause before each probe)
//! plus the time to find and record the breach.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::net::TcpListener;
use std::sync::Arc;
use std::time::{Duration, Instant};

use canopy::Platform;
use canopy_kernel::backends::Backends;
use canopy_kernel::clock::ManualClock;
use chrono::{DateTime, TimeDelta, Utc};
use serde_json::{Value, json};

use common::{Latencies, env_num};

fn main() {
    let open = env_num("BENCH_OPEN", 100_000) as usize;
    let probes = env_num("BENCH_PROBES", 20) as i64;
    let (settings, data) = common::settings();
    let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
    rt.block_on(async {
        let t0: DateTime<Utc> = Utc::now();
        let clock = ManualClock::at(t0);
        let backends = Backends::from_settings(&settings).await.unwrap();
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let platform =
            Platform::start(settings.clone(), backends, Arc::new(clock.clone()), listener).await.unwrap();
        let gw = format!("http://{}", platform.gateway);
        let http = reqwest::Client::builder().timeout(Duration::from_secs(600)).build().unwrap();
        let root = common::login(&http, &gw, "bench@canopy.test", "bench-password-1").await;
        let (tenant, _) = common::tenant(&http, &gw, &root, "WATCH").await;

        // The crowd: answered P4 tickets reported over the last day, resolution due in ~30 days.
        let started = Instant::now();
        let batch = 1000;
        for b in 0..open.div_ceil(batch) {
            let tickets: Vec<Value> = (0..batch.min(open - b * batch))
                .map(|i| {
                    let n = b * batch + i;
                    let reported = t0 - TimeDelta::seconds(1 + (n as i64 * 86_400) / open as i64);
                    json!({"external_id": format!("OPEN-{n}"), "type": "incident", "title": "Slow file share",
                        "category": "network", "priority": "P4", "reported_at": reported,
                        "timeline": [{"at": reported, "event": "first_response"}]})
                })
                .collect();
            common::post(&http, format!("{gw}/api/v1/tickets/import"), &root, json!({"tenant_id": tenant, "tickets": tickets}))
                .await;
        }
        let loading = started.elapsed();
        // The probes: P1, first response due at t0 + 10 min + i min.
        let tickets: Vec<Value> = (0..probes)
            .map(|i| {
                json!({"external_id": format!("PROBE-{i}"), "type": "incident", "title": "Core switch down",
                    "category": "network", "priority": "P1", "reported_at": t0 - TimeDelta::minutes(50) + TimeDelta::minutes(i)})
            })
            .collect();
        let answer =
            common::post(&http, format!("{gw}/api/v1/tickets/import"), &root, json!({"tenant_id": tenant, "tickets": tickets}))
                .await;
        let ids: Vec<String> =
            answer["tickets"].as_array().unwrap().iter().map(|t| t["id"].as_str().unwrap().to_owned()).collect();
        // Let the watch send the probes' early warnings before measuring.
        tokio::time::sleep(Duration::from_secs(3)).await;

        let mut latencies = Vec::new();
        for (i, id) in ids.iter().enumerate() {
            let due = t0 + TimeDelta::minutes(10 + i as i64);
            // Due times fall anywhere between two looks of the watch, not just after one.
            tokio::time::sleep(Duration::from_millis((i as u64 * 137) % settings.sla.watch_interval_ms.max(1))).await;
            clock.set(due + TimeDelta::seconds(1));
            let passed = Instant::now();
            loop {
                let t: Value = http
                    .get(format!("{gw}/api/v1/tickets/{id}"))
                    .bearer_auth(&root)
                    .send()
                    .await
                    .unwrap()
                    .json()
                    .await
                    .unwrap();
                let breached = t["sla"]["clocks"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .any(|c| c["metric"] == "first_response" && !c["breached_at"].is_null());
                if breached {
                    latencies.push(passed.elapsed());
                    break;
                }
                assert!(passed.elapsed() < Duration::from_secs(60), "probe {i} never breached");
                tokio::time::sleep(Duration::from_millis(5)).await;
            }
        }
        let l = Latencies::new(latencies);
        println!();
        println!(
            "{open} open tickets loaded through the import in {:.1} s ({:.0} tickets/s); storage {}",
            loading.as_secs_f64(),
            open as f64 / loading.as_secs_f64(),
            canopy_kernel::db::describe(&settings, "ticketing")
        );
        println!("breach watch interval {} ms", settings.sla.watch_interval_ms);
        println!();
        println!("| probes | p50 (ms) | p90 (ms) | max (ms) |");
        println!("|-------:|---------:|---------:|---------:|");
        println!("| {:>6} | {:>8.1} | {:>8.1} | {:>8.1} |", l.0.len(), l.pct(0.5), l.pct(0.9), l.max());
        platform.stop().await;
    });
    let _ = std::fs::remove_dir_all(data);
}
