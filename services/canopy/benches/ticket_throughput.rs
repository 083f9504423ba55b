//! Tickets created per second through the gateway: `BENCH_CONCURRENCY` clients (default 16)
//! each raising incidents back to back for `BENCH_SECS` seconds (default 10), with the SLA
//! policy fetched, clocks computed, the ticket, its clocks, audit entry and outbox event
//! written in one transaction. On PostgreSQL the same run then measures plain `pgbench`
//! insert transactions (one row each) on the same server and concurrency, as the reference.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::net::TcpListener;
use std::sync::Arc;
use std::time::{Duration, Instant};

use canopy::Platform;
use canopy_kernel::backends::Backends;
use canopy_kernel::clock::SystemClock;
use serde_json::json;

use common::{Latencies, env_num};

fn pgbench(url: &str, concurrency: u64, secs: u64) -> Option<f64> {
    let script = std::env::temp_dir().join(format!("canopy-pgbench-{}.sql", uuid::Uuid::new_v4().simple()));
    std::fs::write(
        &script,
        "INSERT INTO bench_reference (tenant_id, title, created_at) VALUES (gen_random_uuid(), 'Mail server down', now());\n",
    )
    .ok()?;
    let psql = |sql: &str| {
        std::process::Command::new("psql")
            .args([url, "-q", "-c", sql])
            .status()
            .map(|s| s.success())
            .unwrap_or(false)
    };
    psql(
        "DROP TABLE IF EXISTS bench_reference; CREATE TABLE bench_reference (id bigserial PRIMARY KEY, tenant_id uuid NOT NULL, title text NOT NULL, created_at timestamptz NOT NULL)",
    );
    let out = std::process::Command::new("pgbench")
        .args(["-n", "-c", &concurrency.to_string(), "-j", "2", "-T", &secs.to_string(), "-f"])
        .arg(&script)
        .arg(url)
        .output()
        .ok()?;
    let _ = std::fs::remove_file(&script);
    psql("DROP TABLE IF EXISTS bench_reference");
    let text = String::from_utf8_lossy(&out.stdout);
    text.lines()
        .find(|l| l.starts_with("tps = "))
        .and_then(|l| l.trim_start_matches("tps = ").split_whitespace().next()?.parse().ok())
}

fn main() {
    let secs = env_num("BENCH_SECS", 10);
    let concurrency = env_num("BENCH_CONCURRENCY", 16);
    let (settings, data) = common::settings();
    let database_url = settings.database_url.as_ref().map(|u| u.expose().to_owned());
    let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
    let (created, elapsed, latencies, errors) = rt.block_on(async {
        let backends = Backends::from_settings(&settings).await.unwrap();
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let platform =
            Platform::start(settings.clone(), backends, Arc::new(SystemClock), listener).await.unwrap();
        let gw = format!("http://{}", platform.gateway);
        let http = reqwest::Client::builder().pool_max_idle_per_host(concurrency as usize).build().unwrap();
        let root = common::login(&http, &gw, "bench@canopy.test", "bench-password-1").await;
        let (_, token) = common::tenant(&http, &gw, &root, "TPUT").await;
        let url = format!("{gw}/api/v1/tickets");
        let body = json!({"type": "incident", "title": "Mail server down", "category": "network",
            "impact": "high", "urgency": "medium", "custom_fields": {}});
        // Warm-up: connections, caches, the tenant's policy.
        for _ in 0..50 {
            common::post(&http, url.clone(), &token, body.clone()).await;
        }
        let started = Instant::now();
        let deadline = started + Duration::from_secs(secs);
        let mut tasks = Vec::new();
        for _ in 0..concurrency {
            let (http, url, token, body) = (http.clone(), url.clone(), token.clone(), body.clone());
            tasks.push(tokio::spawn(async move {
                let (mut lat, mut errors) = (Vec::new(), 0u64);
                while Instant::now() < deadline {
                    let t = Instant::now();
                    match http.post(&url).bearer_auth(&token).json(&body).send().await {
                        Ok(r) if r.status().as_u16() == 201 => {
                            r.bytes().await.ok();
                            lat.push(t.elapsed());
                        }
                        _ => errors += 1,
                    }
                }
                (lat, errors)
            }));
        }
        let (mut all, mut errors) = (Vec::new(), 0);
        for t in tasks {
            let (lat, e) = t.await.unwrap();
            all.extend(lat);
            errors += e;
        }
        let elapsed = started.elapsed();
        platform.stop().await;
        (all.len(), elapsed, Latencies::new(all), errors)
    });
    let rate = created as f64 / elapsed.as_secs_f64();
    println!();
    println!(
        "POST /api/v1/tickets through the gateway; {concurrency} clients, {secs} s; storage {}",
        canopy_kernel::db::describe(&settings, "ticketing")
    );
    println!();
    println!(
        "| what                        |  count | per second | p50 (ms) | p99 (ms) | max (ms) | errors |"
    );
    println!(
        "|-----------------------------|-------:|-----------:|---------:|---------:|---------:|-------:|"
    );
    println!(
        "| tickets through the gateway | {created:>6} | {rate:>10.0} | {:>8.2} | {:>8.2} | {:>8.2} | {errors:>6} |",
        latencies.pct(0.5),
        latencies.pct(0.99),
        latencies.max()
    );
    if let Some(url) = database_url.filter(|u| u.starts_with("postgres")) {
        match pgbench(&url, concurrency, secs) {
            Some(tps) => {
                println!(
                    "| pgbench one-row inserts     |      – | {tps:>10.0} |        – |        – |        – |      – |"
                );
                println!();
                println!(
                    "tickets per second are {:.1} % of plain insert transactions per second",
                    100.0 * rate / tps
                );
            }
            None => println!("(pgbench or psql not found: no reference figure)"),
        }
    }
    let _ = std::fs::remove_dir_all(data);
}
