//! One billing run for `BENCH_TENANTS` (default 10 000) tenants with `BENCH_TICKETS` (default
//! 1 000 000) tickets in the month, on the database `CANOPY_DATABASE_URL` names (PostgreSQL
//! for the figures in docs/benchmarks.md). The data is written straight into each service's
//! tables (tenants with their configuration, a contract each, the month's tickets, 5 % of them
//! breached, 10 % with billable on-site work); then `POST /billing/runs` is timed through the
//! gateway, and the process's peak resident memory during the run is read from
//! /proc/self/status (VmHWM, reset just before the run).
//!
//!     CANOPY_DATABASE_URL=postgres://postgres@127.0.0.1:5432/canopy_bench4 \
//!         cargo bench -p canopy --bench billing_run

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::net::TcpListener;
use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::{DateTime, NaiveDate, TimeDelta, Utc};
use serde_json::{Value, json};
use uuid::Uuid;

use canopy::Platform;
use canopy_kernel::backends::Backends;
use canopy_kernel::clock::ManualClock;
use common::{env_num, v};

fn rss(field: &str) -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find(|l| l.starts_with(field))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|kb| kb.parse().ok())
        .unwrap_or(0)
}

fn main() {
    let tenants = env_num("BENCH_TENANTS", 10_000) as usize;
    let tickets = env_num("BENCH_TICKETS", 1_000_000) as usize;
    let (settings, data) = common::settings();
    let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
    rt.block_on(async {
        let now: DateTime<Utc> = "2026-12-02T06:00:00Z".parse().unwrap();
        let clock = ManualClock::at(now);
        let backends = Backends::from_settings(&settings).await.unwrap();
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let platform =
            Platform::start(settings.clone(), backends, Arc::new(clock.clone()), listener).await.unwrap();
        let gw = format!("http://{}", platform.gateway);
        let http = reqwest::Client::builder().timeout(Duration::from_secs(3600)).build().unwrap();
        let root = common::login(&http, &gw, "bench@canopy.test", "bench-password-1").await;

        // The offer: one tier with a credit policy, one plan.
        let tier = common::post(&http, format!("{gw}/api/v1/catalog/tiers"), &root, json!({
            "name": "Bench Gold", "coverage": "24x7",
            "targets": {"P1": {"first_response_mins": 30, "resolution_mins": 240},
                        "P2": {"first_response_mins": 60, "resolution_mins": 480},
                        "P3": {"first_response_mins": 240, "resolution_mins": 1440},
                        "P4": {"first_response_mins": 480, "resolution_mins": 4800}},
            "availability_target_bp": 9990,
            "credit_policy": {"per_breach_bp": {"first_response": {"P1": 200, "P2": 100}, "resolution": {"P1": 500, "P2": 200}},
                              "cap_bp": 3000}})).await;
        let plan = common::post(&http, format!("{gw}/api/v1/catalog/plans"), &root, json!({
            "name": "Bench desktop", "tier_id": tier["id"], "unit": "seat", "unit_price_minor": 12000,
            "currency": "CNY", "included_onsite_mins": 120, "extra_hour_minor": 60000})).await;
        let plan_id: Uuid = plan["id"].as_str().unwrap().parse().unwrap();

        let loading = Instant::now();
        let tenants_db = canopy_kernel::db::connect(&settings, "tenants").await.unwrap();
        let catalog_db = canopy_kernel::db::connect(&settings, "catalog").await.unwrap();
        let ticketing_db = canopy_kernel::db::connect(&settings, "ticketing").await.unwrap();
        let ids: Vec<Uuid> = (0..tenants).map(|_| Uuid::now_v7()).collect();
        let mut config = canopy_tenants::domain::config::TenantConfig::initial(
            "Asia/Shanghai",
            canopy_tenants::domain::config::Locale::ZhCn,
        );
        config.tax_rate_bp = 600;
        let document = serde_json::to_value(&config).unwrap();
        let contract_ids: Vec<Uuid> = ids.iter().map(|_| Uuid::now_v7()).collect();
        for chunk in (0..tenants).collect::<Vec<_>>().chunks(1000) {
            common::insert_rows(&tenants_db, "tenants", chunk.iter().map(|&i| {
                vec![
                ("id", v(ids[i])),
                ("key", v(format!("B{i:05}"))),
                ("name", v(format!("Bench {i}"))),
                ("status", v("active")),
                ("tier", v("gold")),
                ("trial_ends_at", v(None::<DateTime<Utc>>)),
                ("status_reason", v(None::<String>)),
                ("status_changed_at", v(now)),
                ("created_at", v(now)),
                ("updated_at", v(now)),
                ]
            }))
            .await;
            common::insert_rows(&tenants_db, "tenant_configs", chunk.iter().map(|&i| {
                vec![
                ("tenant_id", v(ids[i])),
                ("version", v(1i64)),
                ("document", v(document.clone())),
                ("changed_paths", v(json!([]))),
                ("changed_by", v(Uuid::nil())),
                ("changed_at", v(now)),
                ]
            }))
            .await;
            common::insert_rows(&catalog_db, "contracts", chunk.iter().map(|&i| {
                vec![
                ("tenant_id", v(ids[i])),
                ("id", v(contract_ids[i])),
                ("starts_on", v(NaiveDate::from_ymd_opt(2026, 10, 1).unwrap())),
                ("ends_on", v(None::<NaiveDate>)),
                ("created_by", v(Uuid::nil())),
                ("created_at", v(now)),
                ("updated_at", v(now)),
                ]
            }))
            .await;
            common::insert_rows(&catalog_db, "contract_terms", chunk.iter().map(|&i| {
                vec![
                ("tenant_id", v(ids[i])),
                ("contract_id", v(contract_ids[i])),
                ("effective_on", v(NaiveDate::from_ymd_opt(2026, 10, 1).unwrap())),
                ("plan_id", v(plan_id)),
                ("quantity", v(5 + (i % 50) as i32)),
                ("overrides", v(json!({}))),
                ("created_by", v(Uuid::nil())),
                ("created_at", v(now)),
                ]
            }))
            .await;
        }
        let tenants_loaded = loading.elapsed();

        // The month's tickets, spread over the tenants; every 20th breached, every 10th with
        // billable on-site work.
        let month: DateTime<Utc> = "2026-11-01T00:00:00Z".parse().unwrap();
        let per_tenant = tickets.div_ceil(tenants);
        let policy = json!({"contract_id": null});
        let (mut breaches, mut worklogs) = (0usize, 0usize);
        let batch = 1000;
        for b in 0..tickets.div_ceil(batch) {
            let range = b * batch..((b + 1) * batch).min(tickets);
            let rows: Vec<(usize, Uuid, DateTime<Utc>)> = range
                .map(|n| (n, Uuid::now_v7(), month + TimeDelta::seconds((n as i64 * 2_592_000) / tickets as i64)))
                .collect();
            common::insert_rows(&ticketing_db, "tickets", rows.iter().map(|&(n, id, at)| {
                let t = n % tenants;
                vec![
                    ("tenant_id", v(ids[t])),
                    ("id", v(id)),
                    ("number", v((n / tenants + 1) as i64)),
                    ("reference", v(format!("B{t:05}-{}", n / tenants + 1))),
                    ("kind", v("incident")),
                    ("title", v("Bench ticket")),
                    ("description", v(String::new())),
                    ("category", v("network")),
                    ("impact", v("medium")),
                    ("urgency", v("medium")),
                    ("priority", v(if n % 4 == 0 { "P1" } else { "P2" })),
                    ("status", v("closed")),
                    ("channel", v("api")),
                    ("requester_id", v(None::<Uuid>)),
                    ("site_id", v(None::<Uuid>)),
                    ("onsite_required", v(n % 10 == 0)),
                    ("assignee_id", v(None::<Uuid>)),
                    ("support_level", v(1i16)),
                    ("custom_fields", v(json!({}))),
                    ("policy", v(policy.clone())),
                    ("external_id", v(None::<String>)),
                    ("created_by", v(Uuid::nil())),
                    ("created_at", v(at)),
                    ("updated_at", v(at)),
                    ("first_response_at", v(Some(at + TimeDelta::minutes(20)))),
                    ("resolved_at", v(Some(at + TimeDelta::hours(3)))),
                    ("closed_at", v(Some(at + TimeDelta::hours(30)))),
                    ("resolution_code", v(None::<String>)),
                    ("resolution_notes", v(None::<String>)),
                    ("next_deadline", v(None::<DateTime<Utc>>)),
                    ("version", v(1i64)),
                    ("details", v(json!({}))),
                ]
            }))
            .await;
            let breached: Vec<_> = rows.iter().filter(|(n, _, _)| n % 20 == 0).collect();
            if !breached.is_empty() {
                breaches += breached.len();
                common::insert_rows(&ticketing_db, "breaches", breached.iter().map(|&&(n, id, at)| {
                    let t = n % tenants;
                    vec![
                        ("tenant_id", v(ids[t])),
                        ("ticket_id", v(id)),
                        ("metric", v("resolution")),
                        ("priority", v(if n % 4 == 0 { "P1" } else { "P2" })),
                        ("reference", v(format!("B{t:05}-{}", n / tenants + 1))),
                        ("due_at", v(at + TimeDelta::hours(4))),
                        ("detected_at", v(at + TimeDelta::hours(4))),
                        ("met_at", v(Some(at + TimeDelta::hours(5)))),
                        ("contract_id", v(Some(contract_ids[t]))),
                    ]
                }))
                .await;
            }
            let worked: Vec<_> = rows.iter().filter(|(n, _, _)| n % 10 == 0).collect();
            worklogs += worked.len();
            common::insert_rows(&ticketing_db, "worklogs", worked.iter().map(|&&(n, id, at)| {
                vec![
                ("tenant_id", v(ids[n % tenants])),
                ("ticket_id", v(id)),
                ("id", v(Uuid::now_v7())),
                ("engineer_id", v(Uuid::nil())),
                ("kind", v("onsite")),
                ("arrived_at", v(Some(at + TimeDelta::hours(1)))),
                ("departed_at", v(Some(at + TimeDelta::hours(2)))),
                ("minutes", v(30 + (n % 60) as i32)),
                ("billable", v(true)),
                ("note", v(String::new())),
                ("created_at", v(at + TimeDelta::hours(2))),
                ]
            }))
            .await;
        }
        let loaded = loading.elapsed();
        println!();
        println!(
            "loaded {tenants} tenants with contracts in {:.1} s; {tickets} tickets ({per_tenant} per tenant), \
             {breaches} breaches, {worklogs} billable worklogs in {:.1} s in all; storage {}",
            tenants_loaded.as_secs_f64(),
            loaded.as_secs_f64(),
            canopy_kernel::db::describe(&settings, "billing")
        );

        // The run. Peak memory counted from here (VmHWM reset).
        let _ = std::fs::write("/proc/self/clear_refs", "5");
        let before = rss("VmRSS:");
        let started = Instant::now();
        let run: Value = http
            .post(format!("{gw}/api/v1/billing/runs"))
            .bearer_auth(&root)
            .json(&json!({"period": "2026-11"}))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let took = started.elapsed();
        let peak = rss("VmHWM:");
        assert_eq!(run["status"], "succeeded", "{run}");
        let again_started = Instant::now();
        let again: Value = http
            .post(format!("{gw}/api/v1/billing/runs"))
            .bearer_auth(&root)
            .json(&json!({"period": "2026-11"}))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let again_took = again_started.elapsed();
        println!();
        println!("| tenants | tickets | breaches | invoices | credits (minor) | run (s) | invoices/s | peak RSS (MiB) | RSS before (MiB) | rerun (s) |");
        println!("|--------:|--------:|---------:|---------:|----------------:|--------:|-----------:|---------------:|-----------------:|----------:|");
        println!(
            "| {tenants} | {tickets} | {breaches} | {} | {} | {:.1} | {:.0} | {:.0} | {:.0} | {:.1} |",
            run["invoices"],
            run["outcome"]["credits_minor"],
            took.as_secs_f64(),
            run["invoices"].as_f64().unwrap_or(0.0) / took.as_secs_f64(),
            peak as f64 / 1024.0,
            before as f64 / 1024.0,
            again_took.as_secs_f64()
        );
        assert_eq!(again["invoices"], 0, "a second run writes nothing");
        platform.stop().await;
    });
    let _ = std::fs::remove_dir_all(data);
}
