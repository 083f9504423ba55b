//! Instant assignment latency: from a ticket's creation being acknowledged to its engineer being
//! set by the dispatcher (event → ranking of the whole team → assignment through ticketing),
//! with `BENCH_ENGINEERS` (default 1 000) engineers and `BENCH_OPEN` (default 10 000) open
//! tickets already assigned across them (loaded straight into the scheduler's assignments, so
//! they weigh on load and continuity as they would). `BENCH_PROBES` (default 50) tickets are
//! raised one after another through the gateway; the ticket is polled every 2 ms.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::net::TcpListener;
use std::sync::Arc;
use std::time::{Duration, Instant};

use canopy::Platform;
use canopy_kernel::backends::Backends;
use canopy_kernel::clock::ManualClock;
use chrono::{DateTime, Utc};
use serde_json::{Value, json};

use common::{Latencies, env_num, v};

fn main() {
    let engineers = env_num("BENCH_ENGINEERS", 1_000) as usize;
    let open = env_num("BENCH_OPEN", 10_000) as usize;
    let probes = env_num("BENCH_PROBES", 50) as usize;
    let (mut settings, data) = common::settings();
    // A thousand staff accounts: hash their passwords at the lowest allowed cost.
    settings.auth.argon2_memory_kib = 8 * 1024;
    settings.auth.argon2_iterations = 1;
    settings.auth.service_secret =
        Some(canopy_kernel::config::Secret::new("bench-service-secret-0123456789abcdef".into()));
    let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
    rt.block_on(async {
        // Monday 10:00 in Berlin: the day shift is on.
        let now: DateTime<Utc> = "2026-11-23T09:00:00Z".parse().unwrap();
        let clock = ManualClock::at(now);
        let backends = Backends::from_settings(&settings).await.unwrap();
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let platform = Platform::start(settings.clone(), backends, Arc::new(clock.clone()), listener).await.unwrap();
        let gw = format!("http://{}", platform.gateway);
        let http = reqwest::Client::builder().timeout(Duration::from_secs(60)).build().unwrap();
        let root = common::login(&http, &gw, "bench@canopy.test", "bench-password-1").await;
        let (tenant, admin) = common::tenant(&http, &gw, &root, "DISPATCH").await;

        // The team: every engineer a provider user, spread over skills and regions; a fifth on
        // a late shift.
        let started = Instant::now();
        let categories = ["network", "software", "hardware", "virus_security", "other"];
        let mut ids = Vec::with_capacity(engineers);
        for i in 0..engineers {
            let email = format!("eng{i}@provider.test");
            let user = common::post(
                &http,
                format!("{gw}/api/v1/users"),
                &root,
                json!({"email": email, "display_name": format!("Engineer {i}"), "password": "bench-password-3", "roles": ["engineer"]}),
            )
            .await;
            let (from, to) = if i % 5 == 0 { ("14:00", "22:00") } else { ("08:00", "17:00") };
            let day = json!([[from, to]]);
            let e = common::post(
                &http,
                format!("{gw}/api/v1/engineers"),
                &root,
                json!({"name": format!("Engineer {i}"), "email": email, "user_id": user["id"], "support_level": 1 + i % 3,
                    "skills": [{"key": categories[i % 5], "level": 1 + i % 3}, {"key": categories[(i + 1) % 5], "level": 1}],
                    "home_region": format!("region-{}", i % 20), "timezone": "Europe/Berlin",
                    "shifts": {"weekly": {"mon": day, "tue": day, "wed": day, "thu": day, "fri": day, "sat": [], "sun": []}},
                    "capacity": 20}),
            )
            .await;
            ids.push(e["id"].as_str().unwrap().parse::<uuid::Uuid>().unwrap());
        }
        let team_secs = started.elapsed().as_secs_f64();
        // The open work already on their desks.
        let db = canopy_kernel::db::connect(&settings, "scheduler").await.unwrap();
        let tenant_id: uuid::Uuid = tenant.parse().unwrap();
        for chunk in (0..open).collect::<Vec<_>>().chunks(1000) {
            let rows = chunk.iter().map(|n| {
                vec![
                    ("ticket_id", v(uuid::Uuid::now_v7())),
                    ("tenant_id", v(tenant_id)),
                    ("engineer_id", v(ids[n % ids.len()])),
                    ("open", v(true)),
                    ("assigned_at", v(now)),
                ]
            });
            common::insert_rows(&db, "assignments", rows).await;
        }

        let mut latencies = Vec::with_capacity(probes);
        let mut unassigned = 0;
        for i in 0..probes {
            let t = common::post(
                &http,
                format!("{gw}/api/v1/tickets"),
                &admin,
                json!({"type": "incident", "title": format!("Probe {i}"), "category": categories[i % 5],
                    "impact": "high", "urgency": "high"}),
            )
            .await;
            let acknowledged = Instant::now();
            let id = t["id"].as_str().unwrap().to_owned();
            loop {
                let now: Value = http
                    .get(format!("{gw}/api/v1/tickets/{id}"))
                    .bearer_auth(&admin)
                    .send()
                    .await
                    .unwrap()
                    .json()
                    .await
                    .unwrap();
                if !now["assignee_id"].is_null() {
                    latencies.push(acknowledged.elapsed());
                    break;
                }
                if acknowledged.elapsed() > Duration::from_secs(30) {
                    unassigned += 1;
                    break;
                }
                tokio::time::sleep(Duration::from_millis(2)).await;
            }
        }
        let l = Latencies::new(latencies);
        println!();
        println!(
            "{engineers} engineers (added in {team_secs:.1} s), {open} open tickets assigned across them; storage {}",
            canopy_kernel::db::describe(&settings, "scheduler")
        );
        println!();
        println!("| probes | assigned | p50 (ms) | p90 (ms) | p99 (ms) | max (ms) |");
        println!("|-------:|---------:|---------:|---------:|---------:|---------:|");
        println!(
            "| {probes:>6} | {:>8} | {:>8.1} | {:>8.1} | {:>8.1} | {:>8.1} |",
            probes - unassigned,
            l.pct(0.5),
            l.pct(0.9),
            l.pct(0.99),
            l.max()
        );
        platform.stop().await;
    });
    let _ = std::fs::remove_dir_all(data);
}
