//! Monitoring events ingested per second, end to end through the gateway: `BENCH_AGENTS`
//! agents (default 8) each posting batches of `BENCH_BATCH` events (default 500) with the
//! tenant's API key for `BENCH_SECS` seconds (default 10). Events come from `BENCH_HOSTS`
//! hosts × 5 checks (default 2 000 hosts: 10 000 fingerprints): 70 % info, the rest warnings
//! but for `BENCH_FAILURE_PERMILLE` errors (default 25 ‰; each opens its alert's incident)
//! and 2.5 % recoveries; `BENCH_RESEND_PERCENT` of each batch (default 20) are events of
//! the agent's previous batch sent again, as an agent does after a lost answer — the share the
//! dedup store drops. Each batch is checked, deduplicated (Redis or in process), folded into
//! alerts and written in one transaction; incidents open as alerts reach `error`.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::net::TcpListener;
use std::sync::Arc;
use std::time::{Duration, Instant};

use canopy::Platform;
use canopy_kernel::backends::Backends;
use canopy_kernel::clock::SystemClock;
use chrono::Utc;
use serde_json::{Value, json};

use common::{Latencies, env_num};

const CHECKS: [&str; 5] = ["ping", "disk /data", "cpu", "antivirus", "backup service"];

/// A small deterministic generator (xorshift), so runs are comparable.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
}

fn event(rng: &mut Rng, hosts: u64, seq: u64, failures: u64) -> Value {
    let host = rng.next() % hosts;
    let check = CHECKS[(rng.next() % 5) as usize];
    // Mostly readings; `failures` per mille are errors (which open incidents), 2.5 % are
    // recoveries.
    let roll = rng.next() % 1000;
    let severity = if roll < 700 {
        "info"
    } else if roll < 975 - failures {
        "warning"
    } else if roll < 975 {
        "error"
    } else {
        "ok"
    };
    json!({"source": "bench-agent", "host": format!("host-{host:05}"), "check": check, "severity": severity,
        "message": format!("{check} reading {seq}"), "occurred_at": Utc::now().to_rfc3339(),
        "labels": {"site": format!("site-{}", host % 20)}})
}

fn main() {
    let secs = env_num("BENCH_SECS", 10);
    let agents = env_num("BENCH_AGENTS", 8);
    let batch = env_num("BENCH_BATCH", 500);
    let hosts = env_num("BENCH_HOSTS", 2_000);
    let resend = env_num("BENCH_RESEND_PERCENT", 20);
    let failures = env_num("BENCH_FAILURE_PERMILLE", 25).min(275);
    // Batches made ahead per agent (the run stops early if they run out).
    let prebuilt = env_num("BENCH_PREBUILT", 80);
    let (mut settings, data) = common::settings();
    settings.events.ingest_max_in_flight = env_num("BENCH_IN_FLIGHT", 8) as usize;
    let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
    let totals = rt.block_on(async {
        let backends = Backends::from_settings(&settings).await.unwrap();
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let platform =
            Platform::start(settings.clone(), backends, Arc::new(SystemClock), listener).await.unwrap();
        let gw = format!("http://{}", platform.gateway);
        let http = reqwest::Client::builder().pool_max_idle_per_host(agents as usize).build().unwrap();
        let root = common::login(&http, &gw, "bench@canopy.test", "bench-password-1").await;
        let (tenant, admin) = common::tenant(&http, &gw, &root, "EVTS").await;
        let key = common::post(
            &http,
            format!("{gw}/api/v1/tenants/{tenant}/api-keys"),
            &admin,
            json!({"name": "bench agents", "scopes": ["events:write"]}),
        )
        .await["key"]
            .as_str()
            .unwrap()
            .to_owned();
        let url = format!("{gw}/api/v1/events");
        // The agents' batches, made before the clock starts: agents run on customers'
        // machines, so making them is not the platform's work. Each batch resends part of the
        // one before it.
        let bodies: Vec<Vec<Vec<u8>>> = (0..agents)
            .map(|agent| {
                let mut rng = Rng(0x9E37_79B9_7F4A_7C15 ^ (agent + 1));
                let mut previous: Vec<Value> = Vec::new();
                let mut seq = 0;
                (0..prebuilt)
                    .map(|_| {
                        let again = (batch * resend / 100) as usize;
                        let mut events: Vec<Value> = previous.iter().take(again).cloned().collect();
                        while events.len() < batch as usize {
                            seq += 1;
                            events.push(event(&mut rng, hosts, seq, failures));
                        }
                        let body = serde_json::to_vec(&json!({"events": events})).unwrap();
                        previous = events;
                        body
                    })
                    .collect()
            })
            .collect();
        let started = Instant::now();
        let deadline = started + Duration::from_secs(secs);
        let mut tasks = Vec::new();
        for agent_bodies in bodies {
            let (http, url, key) = (http.clone(), url.clone(), key.clone());
            tasks.push(tokio::spawn(async move {
                let (mut lat, mut busy, mut errors) = (Vec::new(), 0u64, 0u64);
                let (mut accepted, mut dedup, mut opened) = (0u64, 0u64, 0u64);
                let mut next = 0;
                while Instant::now() < deadline && next < agent_bodies.len() {
                    let t = Instant::now();
                    match http
                        .post(&url)
                        .header("x-api-key", &key)
                        .header("content-type", "application/json")
                        .body(agent_bodies[next].clone())
                        .send()
                        .await
                    {
                        Ok(r) if r.status().as_u16() == 202 => {
                            let v: Value = r.json().await.unwrap_or(Value::Null);
                            lat.push(t.elapsed());
                            accepted += v["accepted"].as_u64().unwrap_or(0);
                            dedup += v["deduplicated"].as_u64().unwrap_or(0);
                            opened +=
                                v["incidents"]["opened"].as_array().map(|a| a.len() as u64).unwrap_or(0);
                            next += 1;
                        }
                        Ok(r) if r.status().as_u16() == 429 => {
                            busy += 1;
                            tokio::time::sleep(Duration::from_millis(20)).await;
                        }
                        Ok(r) => {
                            errors += 1;
                            if errors < 3 {
                                eprintln!("{}: {}", r.status(), r.text().await.unwrap_or_default());
                            }
                        }
                        Err(e) => {
                            errors += 1;
                            eprintln!("{e}");
                        }
                    }
                }
                (lat, accepted, dedup, opened, busy, errors)
            }));
        }
        let mut out = (Vec::new(), 0, 0, 0, 0, 0);
        for t in tasks {
            let (lat, a, d, o, b, e) = t.await.unwrap();
            out.0.extend(lat);
            out.1 += a;
            out.2 += d;
            out.3 += o;
            out.4 += b;
            out.5 += e;
        }
        let elapsed = started.elapsed();
        platform.stop().await;
        (out, elapsed)
    });
    let ((lat, accepted, dedup, opened, busy, errors), elapsed) = totals;
    let batches = lat.len();
    let latencies = Latencies::new(lat);
    let s = elapsed.as_secs_f64();
    let handled = accepted + dedup;
    println!();
    println!(
        "POST /api/v1/events through the gateway with an API key; {agents} agents, batches of {batch}, {} fingerprints, {resend} % resent, {failures} ‰ errors, {secs} s; storage {}",
        hosts * 5,
        canopy_kernel::db::describe(&settings, "ticketing")
    );
    println!();
    println!("| what                       |     count | per second |");
    println!("|----------------------------|----------:|-----------:|");
    println!("| events handled             | {handled:>9} | {:>10.0} |", handled as f64 / s);
    println!("| events written (accepted)  | {accepted:>9} | {:>10.0} |", accepted as f64 / s);
    println!("| events deduplicated        | {dedup:>9} | {:>10.0} |", dedup as f64 / s);
    println!("| batches                    | {batches:>9} | {:>10.1} |", batches as f64 / s);
    println!("| incidents opened           | {opened:>9} |          – |");
    println!();
    println!(
        "deduplicated share {:.1} %; batch latency p50 {:.1} ms, p99 {:.1} ms, max {:.1} ms; 429 answers {busy}; errors {errors}",
        100.0 * dedup as f64 / handled.max(1) as f64,
        latencies.pct(0.5),
        latencies.pct(0.99),
        latencies.max()
    );
    let _ = std::fs::remove_dir_all(data);
}
