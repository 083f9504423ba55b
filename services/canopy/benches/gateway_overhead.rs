//! Gateway overhead: the same authenticated read (`GET /api/v1/tenants/{id}` with a tenant
//! admin's token) sent straight to the tenants service and through the gateway, by
//! `BENCH_CONCURRENCY` clients (default 16) for `BENCH_SECS` seconds (default 10) each.
//!
//! Runs the platform in this process on the backend the CANOPY_* environment selects
//! (default: SQLite + in-process). The load generator shares the machine with the servers,
//! so figures compare the two paths; they are not a capacity rating.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::net::TcpListener;
use std::sync::Arc;
use std::time::{Duration, Instant};

use canopy::Platform;
use canopy_kernel::backends::Backends;
use canopy_kernel::clock::SystemClock;
use serde_json::{Value, json};

mod common;

use common::env_num;

struct Run {
    label: &'static str,
    latencies_us: Vec<u64>,
    elapsed: Duration,
    errors: u64,
}

impl Run {
    fn pct(&self, p: f64) -> f64 {
        let i = ((self.latencies_us.len() as f64 - 1.0) * p).round() as usize;
        self.latencies_us[i] as f64 / 1000.0
    }

    fn print(&self) {
        let n = self.latencies_us.len();
        println!(
            "| {:<16} | {:>9} | {:>9.0} | {:>8.2} | {:>8.2} | {:>8.2} | {:>8.2} | {:>6} |",
            self.label,
            n,
            n as f64 / self.elapsed.as_secs_f64(),
            self.pct(0.50),
            self.pct(0.90),
            self.pct(0.99),
            self.latencies_us.last().copied().unwrap_or(0) as f64 / 1000.0,
            self.errors
        );
    }
}

async fn load(label: &'static str, url: String, token: String, concurrency: u64, duration: Duration) -> Run {
    let client = reqwest::Client::builder().pool_max_idle_per_host(concurrency as usize).build().unwrap();
    // Warm up connections and caches.
    let warm_until = Instant::now() + Duration::from_secs(1);
    while Instant::now() < warm_until {
        client.get(&url).bearer_auth(&token).send().await.unwrap().bytes().await.unwrap();
    }
    let started = Instant::now();
    let deadline = started + duration;
    let mut tasks = Vec::new();
    for _ in 0..concurrency {
        let (client, url, token) = (client.clone(), url.clone(), token.clone());
        tasks.push(tokio::spawn(async move {
            let mut lat = Vec::with_capacity(100_000);
            let mut errors = 0u64;
            while Instant::now() < deadline {
                let t = Instant::now();
                match client.get(&url).bearer_auth(&token).send().await {
                    Ok(r) if r.status().is_success() => {
                        r.bytes().await.ok();
                        lat.push(t.elapsed().as_micros() as u64);
                    }
                    _ => errors += 1,
                }
            }
            (lat, errors)
        }));
    }
    let mut latencies_us = Vec::new();
    let mut errors = 0;
    for t in tasks {
        let (lat, e) = t.await.unwrap();
        latencies_us.extend(lat);
        errors += e;
    }
    let elapsed = started.elapsed();
    latencies_us.sort_unstable();
    Run { label, latencies_us, elapsed, errors }
}

fn main() {
    let secs = env_num("BENCH_SECS", 10);
    let concurrency = env_num("BENCH_CONCURRENCY", 16);
    let (settings, data) = common::settings();

    let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
    rt.block_on(async move {
        let backends = Backends::from_settings(&settings).await.unwrap();
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let platform = Platform::start(settings.clone(), backends, Arc::new(SystemClock), listener).await.unwrap();
        let gw = format!("http://{}", platform.gateway);
        let direct = format!("http://{}", platform.tenants);
        let http = reqwest::Client::new();
        let root = common::login(&http, &gw, "bench@canopy.test", "bench-password-1").await;
        let tenant: Value = http
            .post(format!("{gw}/api/v1/tenants"))
            .bearer_auth(&root)
            .json(&json!({"name": "Bench Ltd", "key": "BENCH", "tier": "gold",
                          "admin": {"email": "admin@bench.test", "display_name": "A", "password": "bench-password-2"}}))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let id = tenant["id"].as_str().unwrap().to_owned();
        let token = common::login(&http, &gw, "admin@bench.test", "bench-password-2").await;
        let path = format!("/api/v1/tenants/{id}");

        println!();
        println!(
            "GET {path} as a tenant admin; {concurrency} concurrent clients, {secs} s each; storage {}",
            canopy_kernel::db::describe(&settings, "tenants")
        );
        println!();
        println!("| path             |  requests |     rps  | p50 (ms) | p90 (ms) | p99 (ms) | max (ms) | errors |");
        println!("|------------------|----------:|---------:|---------:|---------:|---------:|---------:|-------:|");
        let d = load("tenants, direct", format!("{direct}{path}"), token.clone(), concurrency, Duration::from_secs(secs)).await;
        d.print();
        let g = load("through gateway", format!("{gw}{path}"), token.clone(), concurrency, Duration::from_secs(secs)).await;
        g.print();
        println!();
        println!(
            "gateway overhead: p50 +{:.2} ms, p99 +{:.2} ms; throughput {:.0} % of direct",
            g.pct(0.5) - d.pct(0.5),
            g.pct(0.99) - d.pct(0.99),
            100.0 * (g.latencies_us.len() as f64 / g.elapsed.as_secs_f64()) / (d.latencies_us.len() as f64 / d.elapsed.as_secs_f64())
        );
        platform.stop().await;
    });
    let _ = std::fs::remove_dir_all(data);
}
