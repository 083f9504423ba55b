//! Pages rendered through the gateway for a signed-in person: a tenant with `BENCH_TICKETS`
//! (default 10 000) tickets, loaded through the history import; then each page of `PATHS` is
//! asked for back to back by 1 and by 8 clients (`BENCH_CLIENTS`, default `1,8`) for
//! `BENCH_SECS` seconds (default 5) each, with the session cookie of a tenant admin signed in
//! through the sign-in form. Every request goes browser → gateway → web, which reads the
//! session from the cache and calls the API back through the gateway with the user's token.
//!
//! The pages are a list: a page that does not answer 200 to a first probe is reported as such
//! and skipped, so a page can be named before it exists.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::collections::BTreeMap;
use std::net::TcpListener;
use std::sync::Arc;
use std::time::{Duration, Instant};

use canopy::Platform;
use canopy_kernel::backends::Backends;
use canopy_kernel::clock::SystemClock;
use chrono::{TimeDelta, Utc};
use serde_json::{Value, json};

use common::{Latencies, env_num};

const CATEGORIES: [&str; 5] = ["network", "virus_security", "software", "hardware", "other"];
const PRIORITIES: [&str; 4] = ["P1", "P2", "P3", "P4"];

/// The cookies a browser keeps, as one `Cookie` header.
#[derive(Default)]
struct Jar(BTreeMap<String, String>);

impl Jar {
    fn keep(&mut self, res: &reqwest::Response) {
        for value in res.headers().get_all(reqwest::header::SET_COOKIE) {
            let pair = value.to_str().unwrap_or_default().split(';').next().unwrap_or_default();
            if let Some((name, v)) = pair.split_once('=') {
                self.0.insert(name.to_owned(), v.to_owned());
            }
        }
    }

    fn header(&self) -> String {
        self.0.iter().map(|(k, v)| format!("{k}={v}")).collect::<Vec<_>>().join("; ")
    }
}

fn csrf_of(html: &str) -> String {
    let marker = "name=\"_csrf\" value=\"";
    let at = html.find(marker).expect("a CSRF field") + marker.len();
    html[at..].split('"').next().unwrap().to_owned()
}

/// Signs in through the sign-in form, as a browser does; answers the cookies.
async fn sign_in(http: &reqwest::Client, gw: &str, email: &str, password: &str) -> String {
    let mut jar = Jar::default();
    let res = http.get(format!("{gw}/login")).send().await.unwrap();
    jar.keep(&res);
    let csrf = csrf_of(&res.text().await.unwrap());
    let body: String = form_urlencoded::Serializer::new(String::new())
        .extend_pairs([("_csrf", csrf.as_str()), ("email", email), ("password", password), ("next", "/")])
        .finish();
    let res = http
        .post(format!("{gw}/login"))
        .header("cookie", jar.header())
        .header("content-type", "application/x-www-form-urlencoded")
        .body(body)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status().as_u16(), 303, "signed in through the form");
    jar.keep(&res);
    assert!(jar.0.contains_key("canopy_session"));
    jar.header()
}

/// The history: tickets over the last 60 days, a category and priority each in turn, seven in
/// ten resolved within hours.
async fn load(http: &reqwest::Client, gw: &str, root: &str, tenant: &str, n: usize) -> Vec<String> {
    // Every event of the history lies in the past: the newest ticket was resolved an hour ago.
    let now = Utc::now() - TimeDelta::hours(4);
    let mut references = Vec::with_capacity(n);
    for batch in 0..n.div_ceil(1000) {
        let tickets: Vec<Value> = (batch * 1000..((batch + 1) * 1000).min(n))
            .map(|i| {
                let reported = now - TimeDelta::seconds((i as i64 * 60 * 86_400) / n as i64);
                let mut timeline =
                    vec![json!({"at": reported + TimeDelta::minutes(20), "event": "first_response"})];
                if i % 10 < 7 {
                    timeline.push(json!({"at": reported + TimeDelta::hours(3), "event": "resolved"}));
                }
                json!({"external_id": format!("BENCH-{i}"), "type": "incident",
                    "title": format!("Printer on floor {} jams", i % 12), "category": CATEGORIES[i % 5],
                    "priority": PRIORITIES[i % 4], "reported_at": reported, "timeline": timeline})
            })
            .collect();
        let answer = common::post(
            http,
            format!("{gw}/api/v1/tickets/import"),
            root,
            json!({"tenant_id": tenant, "tickets": tickets}),
        )
        .await;
        references.extend(
            answer["tickets"].as_array().unwrap().iter().map(|t| t["reference"].as_str().unwrap().to_owned()),
        );
    }
    references
}

struct Run {
    pages: usize,
    rate: f64,
    latencies: Latencies,
    errors: u64,
    bytes: usize,
}

async fn measure(http: &reqwest::Client, url: &str, cookie: &str, clients: u64, secs: u64) -> Run {
    // Warm-up: connections, the session, the API's caches.
    for _ in 0..5 {
        http.get(url).header("cookie", cookie).send().await.unwrap().bytes().await.unwrap();
    }
    let started = Instant::now();
    let deadline = started + Duration::from_secs(secs);
    let mut tasks = Vec::new();
    for _ in 0..clients {
        let (http, url, cookie) = (http.clone(), url.to_owned(), cookie.to_owned());
        tasks.push(tokio::spawn(async move {
            let (mut lat, mut errors, mut bytes) = (Vec::new(), 0u64, 0usize);
            while Instant::now() < deadline {
                let t = Instant::now();
                match http.get(&url).header("cookie", &cookie).send().await {
                    Ok(r) if r.status().as_u16() == 200 => {
                        bytes = r.bytes().await.map(|b| b.len()).unwrap_or(0);
                        lat.push(t.elapsed());
                    }
                    _ => errors += 1,
                }
            }
            (lat, errors, bytes)
        }));
    }
    let (mut all, mut errors, mut bytes) = (Vec::new(), 0, 0);
    for t in tasks {
        let (lat, e, b) = t.await.unwrap();
        all.extend(lat);
        errors += e;
        bytes = bytes.max(b);
    }
    let elapsed = started.elapsed();
    Run {
        pages: all.len(),
        rate: all.len() as f64 / elapsed.as_secs_f64(),
        latencies: Latencies::new(all),
        errors,
        bytes,
    }
}

fn main() {
    let tickets = env_num("BENCH_TICKETS", 10_000) as usize;
    let secs = env_num("BENCH_SECS", 5);
    let levels: Vec<u64> = std::env::var("BENCH_CLIENTS")
        .unwrap_or_else(|_| "1,8".into())
        .split(',')
        .filter_map(|c| c.trim().parse().ok())
        .collect();
    let (mut settings, data) = common::settings();
    // The pages' own limit per address, which `common::settings` leaves as configured.
    settings.gateway.rate_limits.pages =
        canopy_kernel::config::QuotaSettings { requests: 1_000_000_000, period_secs: 60 };
    let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
    rt.block_on(async {
        let backends = Backends::from_settings(&settings).await.unwrap();
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let platform =
            Platform::start(settings.clone(), backends, Arc::new(SystemClock), listener).await.unwrap();
        let gw = format!("http://{}", platform.gateway);
        let http = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .timeout(Duration::from_secs(600))
            .pool_max_idle_per_host(64)
            .build()
            .unwrap();
        let root = common::login(&http, &gw, "bench@canopy.test", "bench-password-1").await;
        let (tenant, _) = common::tenant(&http, &gw, &root, "WEBP").await;
        let started = Instant::now();
        let references = load(&http, &gw, &root, &tenant, tickets).await;
        let loading = started.elapsed();
        let cookie = sign_in(&http, &gw, "admin@webp.test", "bench-password-2").await;
        // The report of the last month that ended, wherever the tenant's zone puts it.
        let report = http.get(format!("{gw}/reports")).header("cookie", &cookie).send().await.unwrap();
        let report = report.headers().get("location").and_then(|v| v.to_str().ok()).unwrap_or("/reports").to_owned();
        let middle = &references[references.len() / 2];
        let paths: Vec<(&str, String)> = vec![
            ("start page", "/".to_owned()),
            ("ticket list (50 rows)", "/tickets".to_owned()),
            ("ticket page", format!("/tickets/{middle}")),
            ("monthly report", report),
            ("invoices", "/invoices".to_owned()),
        ];

        println!();
        println!(
            "{tickets} tickets loaded through the import in {:.1} s; storage {}; {secs} s per run",
            loading.as_secs_f64(),
            canopy_kernel::db::describe(&settings, "ticketing")
        );
        println!();
        println!("| page                  | path                    | clients |  pages | pages/s | p50 (ms) | p99 (ms) | KiB | errors |");
        println!("|-----------------------|-------------------------|--------:|-------:|--------:|---------:|---------:|----:|-------:|");
        for (name, path) in &paths {
            let url = format!("{gw}{path}");
            let probe = http.get(&url).header("cookie", &cookie).send().await.unwrap();
            let status = probe.status().as_u16();
            if status != 200 {
                println!("| {name:<21} | {path:<23} | not served yet: {status} |");
                continue;
            }
            for clients in &levels {
                let r = measure(&http, &url, &cookie, *clients, secs).await;
                println!(
                    "| {name:<21} | {path:<23} | {clients:>7} | {:>6} | {:>7.1} | {:>8.2} | {:>8.2} | {:>3} | {:>6} |",
                    r.pages,
                    r.rate,
                    r.latencies.pct(0.5),
                    r.latencies.pct(0.99),
                    r.bytes / 1024,
                    r.errors
                );
            }
        }
        platform.stop().await;
    });
    let _ = std::fs::remove_dir_all(data);
}
