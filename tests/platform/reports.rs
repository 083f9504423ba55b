//! The monthly IT service report against figures worked out by hand: October 2026 replayed
//! through the history import for a tenant in Shanghai (its month runs from 30 September
//! 16:00 to 31 October 16:00 UTC), beside September and October 2025; as JSON, CSV, and an
//! HTML page rendered in headless Chromium with its charts; provider-wide across tenants in
//! UTC months; made for every tenant by the monthly run and announced once.

use std::process::Command;

use serde_json::{Value, json};
use uuid::Uuid;

use crate::helpers::*;

fn t(id: &str, kind: &str, cat: &str, p: &str, at: &str, onsite: bool, timeline: Value) -> Value {
    json!({"external_id": id, "type": kind, "title": format!("{id} {cat}"), "category": cat, "priority": p,
        "reported_at": at, "onsite_required": onsite, "timeline": timeline})
}

fn e(at: &str, event: &str) -> Value {
    json!({"at": at, "event": event})
}

/// The month by hand: see the module's comment and each line's note.
fn history() -> Value {
    json!([
        // P1 on site: answered in 20 min, arrived after 120, 120 on site, resolved on site.
        t(
            "R-1",
            "incident",
            "network",
            "P1",
            "2026-10-05T01:10:00Z",
            true,
            json!([
            e("2026-10-05T01:30:00Z", "first_response"), e("2026-10-05T03:10:00Z", "onsite_arrival"),
            e("2026-10-05T05:10:00Z", "onsite_departure"),
            {"at": "2026-10-05T05:10:00Z", "event": "resolved", "remote": false},
            e("2026-10-06T05:10:00Z", "closed"),
            {"at": "2026-10-06T06:00:00Z", "event": "feedback", "rating": 4}])
        ),
        // P2 answered after 150 min (target 120: breach), resolved remotely; a complaint.
        t(
            "R-2",
            "incident",
            "hardware",
            "P2",
            "2026-10-10T02:00:00Z",
            false,
            json!([
            e("2026-10-10T04:30:00Z", "first_response"), e("2026-10-10T10:00:00Z", "resolved"),
            {"at": "2026-10-10T10:30:00Z", "event": "feedback", "rating": 2, "complaint": true}])
        ),
        // P1 on site: arrived after 90, 150 on site, resolved after 540 (target 480: breach).
        t(
            "R-3",
            "incident",
            "virus_security",
            "P1",
            "2026-10-12T00:00:00Z",
            true,
            json!([
            e("2026-10-12T00:30:00Z", "first_response"), e("2026-10-12T01:30:00Z", "onsite_arrival"),
            e("2026-10-12T04:00:00Z", "onsite_departure"),
            {"at": "2026-10-12T09:00:00Z", "event": "resolved", "remote": false},
            {"at": "2026-10-12T10:00:00Z", "event": "feedback", "rating": 5}])
        ),
        // A service request, not a failure.
        t(
            "R-4",
            "service_request",
            "software",
            "P3",
            "2026-10-15T03:00:00Z",
            false,
            json!([e("2026-10-15T04:00:00Z", "first_response"), e("2026-10-15T06:00:00Z", "resolved")])
        ),
        // 1 October 01:00 in Shanghai (still September in UTC).
        t(
            "R-5",
            "incident",
            "software",
            "P2",
            "2026-09-30T17:00:00Z",
            false,
            json!([
            e("2026-09-30T17:30:00Z", "first_response"), e("2026-09-30T20:00:00Z", "resolved"),
            {"at": "2026-09-30T20:30:00Z", "event": "feedback", "rating": 3}])
        ),
        // Still open: resolution due 29 October (breach); the month's backlog.
        t(
            "R-6",
            "incident",
            "other",
            "P3",
            "2026-10-28T00:00:00Z",
            false,
            json!([e("2026-10-28T01:00:00Z", "first_response")])
        ),
        // 1 November 01:00 in Shanghai (still October in UTC).
        t(
            "R-7",
            "incident",
            "network",
            "P2",
            "2026-10-31T17:00:00Z",
            false,
            json!([e("2026-10-31T17:10:00Z", "first_response")])
        ),
        t(
            "R-8",
            "incident",
            "network",
            "P3",
            "2026-10-20T02:00:00Z",
            false,
            json!([e("2026-10-20T03:00:00Z", "first_response"), e("2026-10-20T04:00:00Z", "resolved")])
        ),
        // September, and October a year before.
        t(
            "S-1",
            "incident",
            "network",
            "P3",
            "2026-09-10T02:00:00Z",
            false,
            json!([e("2026-09-10T03:00:00Z", "first_response"), e("2026-09-10T05:00:00Z", "resolved")])
        ),
        t(
            "L-1",
            "incident",
            "hardware",
            "P3",
            "2025-10-15T02:00:00Z",
            false,
            json!([e("2025-10-15T03:00:00Z", "first_response"), e("2025-10-15T05:00:00Z", "resolved")])
        ),
    ])
}

/// A 25-seat contract since 2025 on a 24×7 tier with on-site targets and per-breach credits.
async fn setup(app: &TestApp, root: &str) -> (Uuid, String) {
    let (tenant, admin) = app.tenant("RPT").await;
    let path = format!("/api/v1/tenants/{tenant}/config");
    let mut c = json_ok(app.get(&path, &admin).await, 200).await;
    c["locale"] = json!("zh-CN");
    json_ok(app.put(&path, &admin, c).await, 200).await;
    let tier = json_ok(
        app.post("/api/v1/catalog/tiers", root, json!({"name": "Report tier", "coverage": "24x7",
            "targets": {"P1": {"first_response_mins": 60, "resolution_mins": 480, "onsite_mins": 240},
                        "P2": {"first_response_mins": 120, "resolution_mins": 960, "onsite_mins": 480},
                        "P3": {"first_response_mins": 240, "resolution_mins": 1440},
                        "P4": {"first_response_mins": 480, "resolution_mins": 4800}},
            "availability_target_bp": 9990,
            "credit_policy": {"per_breach_bp": {"first_response": {"P2": 100}, "resolution": {"P1": 500, "P3": 100}},
                              "cap_bp": 3000}}))
        .await,
        201,
    )
    .await;
    let plan = json_ok(
        app.post(
            "/api/v1/catalog/plans",
            root,
            json!({"name": "Report desktop", "tier_id": tier["id"], "unit": "seat",
            "unit_price_minor": 12000, "currency": "CNY"}),
        )
        .await,
        201,
    )
    .await;
    json_ok(
        app.post(
            "/api/v1/catalog/contracts",
            root,
            json!({"tenant_id": tenant, "plan_id": plan["id"], "quantity": 25,
            "starts_on": "2025-01-01"}),
        )
        .await,
        201,
    )
    .await;
    json_ok(
        app.post("/api/v1/tickets/import", root, json!({"tenant_id": tenant, "tickets": history()})).await,
        200,
    )
    .await;
    (tenant, admin)
}

fn chromium() -> String {
    std::env::var("CANOPY_CHROMIUM").unwrap_or_else(|_| "chromium".into())
}

/// Renders a page in headless Chromium: its DOM after rendering, and a screenshot's size.
fn render(html: &str, name: &str) -> (String, u64) {
    let dir = std::env::temp_dir().join(format!("canopy-report-{}", Uuid::now_v7().simple()));
    std::fs::create_dir_all(&dir).unwrap();
    let page = dir.join(format!("{name}.html"));
    std::fs::write(&page, html).unwrap();
    let shot = dir.join(format!("{name}.png"));
    let base =
        ["--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars", "--window-size=1400,2000"];
    let dom = Command::new(chromium())
        .args(base)
        .arg("--dump-dom")
        .arg(format!("file://{}", page.display()))
        .output()
        .unwrap_or_else(|e| panic!("headless Chromium ({}) is needed to render the report: {e}", chromium()));
    assert!(dom.status.success(), "{}", String::from_utf8_lossy(&dom.stderr));
    let status = Command::new(chromium())
        .args(base)
        .arg(format!("--screenshot={}", shot.display()))
        .arg(format!("file://{}", page.display()))
        .output()
        .unwrap();
    assert!(status.status.success(), "{}", String::from_utf8_lossy(&status.stderr));
    let size = std::fs::metadata(&shot).map(|m| m.len()).unwrap_or(0);
    if std::env::var("CANOPY_KEEP_REPORT").is_err() {
        let _ = std::fs::remove_dir_all(&dir);
    } else {
        eprintln!("report kept in {}", dir.display());
    }
    (String::from_utf8_lossy(&dom.stdout).into_owned(), size)
}

backend_test!(the_monthly_report_matches_a_month_worked_out_by_hand: Backend);
async fn the_monthly_report_matches_a_month_worked_out_by_hand(backend: Backend) {
    let app = TestApp::spawn_at(
        backend,
        |s| s.scheduler.system_jobs = false,
        "2026-11-05T00:00:00Z".parse().unwrap(),
    )
    .await;
    let root = app.admin_token().await;
    let (tenant, admin) = setup(&app, &root).await;
    // October's invoice, so the report can name the credits its breaches earned.
    json_ok(app.post("/api/v1/billing/runs", &root, json!({"period": "2026-10"})).await, 200).await;

    let r = json_ok(
        app.get(&format!("/api/v1/reports/monthly?tenant_id={tenant}&period=2026-10"), &admin).await,
        200,
    )
    .await;
    assert_eq!((&r["timezone"], &r["locale"]), (&json!("Asia/Shanghai"), &json!("zh-CN")));
    assert_eq!((&r["from"], &r["to"]), (&json!("2026-09-30T16:00:00Z"), &json!("2026-10-31T16:00:00Z")));
    let f = &r["figures"];
    assert_eq!(f["tickets"], 7, "R-1…R-6 and R-8: R-5 is October in Shanghai, R-7 November");
    assert_eq!(f["by_type"], json!({"incident": 6, "service_request": 1}));
    assert_eq!(f["failures"], 6);
    assert_eq!(
        f["failures_by_category"],
        json!({"network": 2, "hardware": 1, "virus_security": 1, "software": 1, "other": 1})
    );
    assert_eq!((&f["seats"], &f["failures_per_100_seats"]), (&json!(25), &json!(24.0)));
    assert_eq!(
        (&f["resolved"], &f["resolved_remotely"], &f["resolved_on_site"], &f["onsite_visits"]),
        (&json!(6), &json!(4), &json!(2), &json!(2))
    );
    // Arrival (120 + 90) / 2 = 105 min; on site (120 + 150) / 2 = 135 min.
    assert_eq!((&f["avg_minutes_to_arrive"], &f["avg_minutes_on_site"]), (&json!(105), &json!(135)));
    let sla: Vec<(String, String, u64, u64, u64)> = f["sla"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            (
                c["metric"].as_str().unwrap().to_owned(),
                c["priority"].as_str().unwrap().to_owned(),
                c["tickets"].as_u64().unwrap(),
                c["met"].as_u64().unwrap(),
                c["compliance_bp"].as_u64().unwrap(),
            )
        })
        .collect();
    let row = |m: &str, p: &str, n, met, bp| (m.to_owned(), p.to_owned(), n, met, bp);
    assert_eq!(
        sla,
        [
            row("first_response", "P1", 2, 2, 10_000),
            row("first_response", "P2", 2, 1, 5_000),
            row("first_response", "P3", 3, 3, 10_000),
            row("resolution", "P1", 2, 1, 5_000),
            row("resolution", "P2", 2, 2, 10_000),
            row("resolution", "P3", 3, 2, 6_667),
            row("onsite", "P1", 2, 2, 10_000),
        ]
    );
    // 16 clocks, 3 breached: 13 / 16.
    assert_eq!(f["sla_compliance_bp"], 8125);
    assert_eq!(f["breaches"], json!({"first_response": 1, "resolution": 2}));
    // 1 % + 5 % + 1 % of 3 000.00.
    assert_eq!(r["credits"], json!({"credits": 1, "amount_minor": 21_000, "currency": "CNY"}));
    // Ratings 4, 2, 5, 3; one complaint among 6 resolved.
    assert_eq!(
        (&f["feedback_responses"], &f["satisfaction"], &f["complaints"], &f["complaint_rate_bp"]),
        (&json!(4), &json!(3.5), &json!(1), &json!(1_667))
    );
    assert_eq!(f["backlog"], 1, "R-6");
    let trend: Vec<(String, u64, u64)> = r["trend"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| {
            (
                p["period"].as_str().unwrap().to_owned(),
                p["failures"].as_u64().unwrap(),
                p["resolved"].as_u64().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        trend,
        [("2025-10".to_owned(), 1, 1), ("2026-09".to_owned(), 1, 1), ("2026-10".to_owned(), 6, 6)],
        "a year before and September; July and August have no data"
    );

    // CSV.
    let res = app
        .get(&format!("/api/v1/reports/monthly?tenant_id={tenant}&period=2026-10&format=csv"), &admin)
        .await;
    assert_eq!(res.status(), 200);
    assert!(res.headers()["content-type"].to_str().unwrap().starts_with("text/csv"));
    let csv = res.text().await.unwrap();
    for line in [
        "failures_by_category,network,2",
        "onsite,avg_minutes_to_arrive,105",
        "sla,first_response:P2,1/2 5000",
        "satisfaction,complaint_rate_bp,1667",
        "backlog,open_at_end,1",
        "credits,amount,210.00",
    ] {
        assert!(csv.contains(line), "{line} in\n{csv}");
    }

    // HTML, in Chinese, rendered by a browser: three charts with their bars and lines.
    let res = app
        .http
        .get(app.url(&format!("/api/v1/reports/monthly?tenant_id={tenant}&period=2026-10")))
        .bearer_auth(&admin)
        .header("accept", "text/html")
        .send()
        .await
        .unwrap();
    assert!(res.headers()["content-type"].to_str().unwrap().starts_with("text/html"));
    let html = res.text().await.unwrap();
    let (dom, shot) = render(&html, "report");
    assert!(dom.contains("月度 IT 服务报告") && dom.contains("按类别的故障"), "in the tenant's language");
    for chart in ["chart-categories", "chart-trend", "chart-sla"] {
        let at = dom.find(&format!("id=\"{chart}\"")).unwrap_or_else(|| panic!("{chart} on the page"));
        assert!(dom[at..].contains("<svg"), "{chart} is drawn");
    }
    let categories =
        &dom[dom.find("id=\"chart-categories\"").unwrap()..dom.find("id=\"chart-trend\"").unwrap()];
    assert!(categories.matches("<rect").count() >= 6, "a bar per category beside the background");
    let trend_chart = &dom[dom.find("id=\"chart-trend\"").unwrap()..dom.find("id=\"chart-sla\"").unwrap()];
    assert!(trend_chart.contains("<polyline") || trend_chart.contains("<path"), "lines over the months");
    let (_, blank) = render("<!doctype html><html><body></body></html>", "blank");
    assert!(shot > 4 * blank, "the screenshot has something on it: {shot} bytes against {blank} blank");

    // Who may read it.
    let (_, other) = app.tenant("RPTX").await;
    problem(
        app.get(&format!("/api/v1/reports/monthly?tenant_id={tenant}&period=2026-10"), &other).await,
        404,
        "not_found",
    )
    .await;
    let (_, requester) = app.user(tenant, &admin, "staff@rpt.test", &["requester"]).await;
    problem(app.get("/api/v1/reports/monthly?period=2026-10", &requester).await, 403, "forbidden").await;
    problem(app.get("/api/v1/reports/monthly?period=2026-13", &admin).await, 422, "validation_failed").await;
    problem(app.get("/api/v1/reports/monthly?period=2027-01", &admin).await, 422, "validation_failed").await;
    problem(
        app.get("/api/v1/reports/monthly?period=2026-10&format=pdf", &admin).await,
        422,
        "validation_failed",
    )
    .await;

    // Provider-wide, in UTC months: R-7 is October there and R-5 is not.
    let all = json_ok(app.get("/api/v1/reports/monthly?period=2026-10", &root).await, 200).await;
    assert_eq!(all["tenant_id"], Value::Null);
    assert_eq!(all["figures"]["tickets"], 7);
    assert_eq!(all["figures"]["failures_by_category"]["network"], 3);
    assert_eq!(all["figures"]["failures_by_category"]["software"], 0);
    let lines = all["tenants"].as_array().unwrap();
    assert_eq!(lines.len(), 1);
    assert_eq!(lines[0]["tenant_id"], json!(tenant));
    problem(app.get("/api/v1/reports/monthly?period=2026-10", &requester).await, 403, "forbidden").await;
    app.stop().await;
}

backend_test!(the_monthly_run_makes_and_announces_each_tenants_report_once: Backend);
async fn the_monthly_run_makes_and_announces_each_tenants_report_once(backend: Backend) {
    let app = TestApp::spawn_at(
        backend,
        |s| s.scheduler.system_jobs = false,
        "2026-11-05T00:00:00Z".parse().unwrap(),
    )
    .await;
    let hooks = crate::webhooks::receiver().await;
    let root = app.admin_token().await;
    let (tenant, admin) = setup(&app, &root).await;
    let path = format!("/api/v1/tenants/{tenant}/config");
    let mut c = json_ok(app.get(&path, &admin).await, 200).await;
    c["webhooks"] = json!([{"url": format!("{}/reports", hooks.base), "events": ["report.ready"],
        "secret": "whsec_tenant_secret_0001"}]);
    json_ok(app.put(&path, &admin, c).await, 200).await;
    let run =
        json_ok(app.post("/api/v1/reports/monthly/runs", &root, json!({"period": "2026-10"})).await, 200)
            .await;
    assert_eq!(run["reports"], 1, "{run}");
    let delivered =
        crate::webhooks::until(&app, &tenant.to_string(), &admin, "report.ready delivered", |rows| {
            rows.iter().any(|r| r["event_type"] == "report.ready" && r["status"] == "delivered")
        })
        .await;
    assert_eq!(delivered.len(), 1);
    let seen = hooks.seen.lock().unwrap().clone();
    let payload: Value = serde_json::from_slice(&seen[0].body).unwrap();
    assert_eq!((&payload["data"]["period"], &payload["data"]["failures"]), (&json!("2026-10"), &json!(6)));
    // Run again: the same report, announced once.
    json_ok(app.post("/api/v1/reports/monthly/runs", &root, json!({"period": "2026-10"})).await, 200).await;
    tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    let rows =
        json_ok(app.get(&format!("/api/v1/tenants/{tenant}/webhook-deliveries"), &admin).await, 200).await;
    assert_eq!(rows["items"].as_array().unwrap().len(), 1);
    problem(
        app.post("/api/v1/reports/monthly/runs", &admin, json!({"period": "2026-10"})).await,
        403,
        "forbidden",
    )
    .await;
    problem(
        app.post("/api/v1/reports/monthly/runs", &root, json!({"period": "2026-11"})).await,
        422,
        "validation_failed",
    )
    .await;
    hooks.handle.stop(true).await;
    app.stop().await;
}

backend_test!(the_scheduler_makes_the_reports_of_the_month_that_ended: Backend);
async fn the_scheduler_makes_the_reports_of_the_month_that_ended(backend: Backend) {
    let app = TestApp::spawn_at(
        backend,
        |s| s.scheduler.system_jobs = true,
        "2026-12-01T13:59:00Z".parse().unwrap(),
    )
    .await;
    let root = app.admin_token().await;
    let (_tenant, _) = setup(&app, &root).await;
    // 1 December, 14:00 UTC: the monthly reports' tick (November: R-7 is November's).
    app.clock.set("2026-12-01T14:00:30Z".parse().unwrap());
    let job = "00000000-0000-7000-8000-5c4ed0000005";
    let run = eventually("a finished report run", std::time::Duration::from_secs(30), async || {
        let runs = json_ok(app.get(&format!("/api/v1/jobs?schedule_id={job}"), &root).await, 200).await;
        runs.as_array().unwrap().iter().find(|r| r["status"] != "running").cloned().ok_or(runs)
    })
    .await;
    assert_eq!(run["status"], "succeeded", "{run}");
    assert_eq!((&run["outcome"]["period"], &run["outcome"]["reports"]), (&json!("2026-11"), &json!(1)));
    app.stop().await;
}
