//! The tenant admin's monthly IT service report and invoices over HTTP: only tenant admins
//! reach them; the report page shows the month's figures and its downloads are the API's own
//! files; a period that is not a month, or has not ended, is refused with a page; an invoice
//! explains its SLA credit down to the breach and the ticket; another tenant's invoice is the
//! same not-found page as one that does not exist.

use serde_json::{Value, json};
use uuid::Uuid;

use crate::billing::{customer, invoice_of};
use crate::helpers::*;
use crate::web_client::WebClient;

/// With `CANOPY_KEEP_PAGES=<folder>`, the pages are written there to be looked at (with
/// `app.css` copied beside them).
fn keep(name: &str, body: &str) {
    if let Ok(dir) = std::env::var("CANOPY_KEEP_PAGES") {
        std::fs::write(
            format!("{dir}/{name}.html"),
            body.replace("/assets/app.css", "app.css").replace("/brand.css", "brand.css"),
        )
        .unwrap();
    }
}

fn at(s: &str) -> chrono::DateTime<chrono::Utc> {
    s.parse().unwrap()
}

async fn import(app: &TestApp, root: &str, tenant: Uuid, tickets: Value) {
    json_ok(
        app.post("/api/v1/tickets/import", root, json!({"tenant_id": tenant, "tickets": tickets})).await,
        200,
    )
    .await;
}

fn incident(id: &str, category: &str, priority: &str, reported: &str, timeline: Value) -> Value {
    json!({"external_id": id, "type": "incident", "title": format!("{id} {category}"), "category": category,
        "priority": priority, "reported_at": reported, "timeline": timeline})
}

backend_test!(a_requester_finds_neither_reports_nor_invoices);
async fn a_requester_finds_neither_reports_nor_invoices(app: &TestApp) {
    let (tenant, admin) = app.tenant("WFA").await;
    app.user(tenant, &admin, "r@wfa.test", &["requester"]).await;
    let mut web = WebClient::signed_in(app, "r@wfa.test", PASSWORD).await;
    let missing = web.get("/no-such-page").await;
    assert_eq!(missing.status, 404);
    for path in [
        "/reports".to_owned(),
        "/reports/2026-10".to_owned(),
        "/reports/2026-10.csv".to_owned(),
        "/reports/2026-10.json".to_owned(),
        "/invoices".to_owned(),
        format!("/invoices/{}", Uuid::now_v7()),
        format!("/invoices/{}.csv", Uuid::now_v7()),
    ] {
        let res = web.get(&path).await;
        assert_eq!(res.status, 404, "{path}");
        assert_eq!(res.body, missing.body, "{path}: the not-found page");
    }
    // Not signed in: sign in first, then back.
    let mut anonymous = WebClient::new(app);
    let res = anonymous.get("/invoices").await;
    assert_eq!((res.status.as_u16(), res.location.as_deref()), (303, Some("/login?next=/invoices")));
}

backend_test!(the_report_shows_the_month_and_its_downloads_are_the_apis: Backend);
async fn the_report_shows_the_month_and_its_downloads_are_the_apis(backend: Backend) {
    let app =
        TestApp::spawn_at(backend, |s| s.scheduler.system_jobs = false, at("2026-11-05T00:00:00Z")).await;
    let root = app.admin_token().await;
    let (tenant, admin) = customer(&app, &root, "WFR", 25, 1300).await;
    let resolved = |at: &str, done: &str| json!([{"at": at, "event": "first_response"}, {"at": done, "event": "resolved"}]);
    import(
        &app,
        &root,
        tenant,
        json!([
            incident("N-1", "network", "P2", "2026-10-05T01:00:00Z", resolved("2026-10-05T01:30:00Z", "2026-10-05T05:00:00Z")),
            incident("N-2", "network", "P3", "2026-10-12T01:00:00Z", resolved("2026-10-12T01:30:00Z", "2026-10-12T03:00:00Z")),
            incident("H-1", "hardware", "P1", "2026-10-20T01:00:00Z", resolved("2026-10-20T03:00:00Z", "2026-10-20T06:00:00Z")),
            {"external_id": "S-1", "type": "service_request", "title": "New laptop", "category": "software",
             "priority": "P4", "reported_at": "2026-10-21T01:00:00Z"}
        ]),
    )
    .await;

    let mut web = WebClient::signed_in(&app, "admin@wfr.test", PASSWORD).await;
    // The last month that ended in Shanghai.
    let res = web.get("/reports").await;
    assert_eq!((res.status.as_u16(), res.location.as_deref()), (303, Some("/reports/2026-10")));
    let page = web.get("/reports/2026-10").await.ok(200);
    keep("report-en", &page);
    assert!(page.contains("IT service report: October 2026"), "{page}");
    // Failures by category, as the chart's table gives them.
    for (category, count) in [("Network", 2), ("Hardware", 1), ("Virus / security", 0)] {
        let row = format!("<tr><th scope=\"row\">{category}</th><td>{count}</td></tr>");
        assert!(page.contains(&row), "{row} in the page");
    }
    assert!(page.contains("<svg") && page.contains("class=\"bar s0\""), "charts drawn on the server");
    assert!(!page.contains(" style="), "no style attribute under the CSP");
    // The period picker: a plain GET form of the last twelve months, this one chosen.
    assert!(page.contains("<form class=\"fin-period\" method=\"get\" action=\"/reports\">"));
    assert!(page.contains("<option value=\"2026-10\" selected>October 2026</option>"));
    assert!(page.contains("<option value=\"2025-11\">November 2025</option>"));
    assert!(!page.contains("value=\"2026-11\""), "November has not ended");
    let res = web.get("/reports?period=2026-09").await;
    assert_eq!(res.location.as_deref(), Some("/reports/2026-09"));

    // The downloads are the API's files, for this tenant.
    let api = async |format: &str| {
        app.get(&format!("/api/v1/reports/monthly?tenant_id={tenant}&period=2026-10&format={format}"), &admin)
            .await
    };
    let csv = web.get("/reports/2026-10.csv").await;
    assert_eq!(csv.status, 200);
    let header = |res: &crate::web_client::Answer, name: &str| {
        res.headers.get(name).and_then(|v| v.to_str().ok()).unwrap_or_default().to_owned()
    };
    assert!(header(&csv, "content-type").starts_with("text/csv"), "{}", header(&csv, "content-type"));
    assert_eq!(header(&csv, "content-disposition"), "attachment; filename=\"it-report-WFR-2026-10.csv\"");
    assert_eq!(csv.body, api("csv").await.text().await.unwrap());
    assert!(csv.body.contains("failures_by_category,network,2"), "{}", csv.body);
    let json_file = web.get("/reports/2026-10.json").await;
    assert_eq!(json_file.status, 200);
    assert!(header(&json_file, "content-type").starts_with("application/json"));
    assert!(header(&json_file, "content-disposition").starts_with("attachment; filename="));
    let from_web: Value = serde_json::from_str(&json_file.body).unwrap();
    assert_eq!(from_web, api("json").await.json::<Value>().await.unwrap());
    assert_eq!(from_web["figures"]["failures"], 3);

    // Periods that are not months, or have not ended: a page that says so, never a 500.
    for bad in ["/reports/2026-13", "/reports/abc", "/reports/2026-13.csv", "/reports/1999-12"] {
        let res = web.get(bad).await;
        assert_eq!(res.status, 404, "{bad}");
        assert!(res.body.contains("No such month"), "{bad}: {}", res.body);
    }
    let res = web.get("/reports?period=abc").await;
    assert_eq!(res.status, 400);
    assert!(res.body.contains("“abc” is not a month"), "{}", res.body);
    for future in ["/reports/2026-11", "/reports/2027-03", "/reports/2026-12.json"] {
        let res = web.get(future).await;
        assert_eq!(res.status, 404, "{future}");
        assert!(res.body.contains("has not ended yet"), "{future}: {}", res.body);
        assert!(res.body.contains("href=\"/reports/2026-10\""), "the way to the latest report");
    }
    // In the user's language.
    web.post("/lang", &[("lang", "zh-CN"), ("next", "/reports")]).await;
    let res = web.get("/reports/2026-13").await;
    assert_eq!(res.status, 404);
    assert!(res.body.contains("没有这个月份"), "{}", res.body);
    let page = web.get("/reports/2026-10").await.ok(200);
    keep("report-zh", &page);
    assert!(
        page.contains("IT 服务报告：2026年10月") && page.contains("<th scope=\"row\">网络</th><td>2</td>")
    );
    app.stop().await;
}

backend_test!(an_invoice_explains_its_sla_credit_down_to_the_ticket: Backend);
async fn an_invoice_explains_its_sla_credit_down_to_the_ticket(backend: Backend) {
    let app =
        TestApp::spawn_at(backend, |s| s.scheduler.system_jobs = false, at("2026-12-02T00:00:00Z")).await;
    let root = app.admin_token().await;
    let (tenant, admin) = customer(&app, &root, "WFI", 25, 1300).await;
    let (_, _) = customer(&app, &root, "WFJ", 10, 0).await;
    // A P1 resolved an hour late (a resolution breach), a P1 answered half an hour late.
    import(
        &app,
        &root,
        tenant,
        json!([
            incident(
                "RT-1",
                "hardware",
                "P1",
                "2026-11-05T01:10:00Z",
                json!([
                {"at": "2026-11-05T01:30:00Z", "event": "first_response"},
                {"at": "2026-11-05T10:10:00Z", "event": "resolved"}])
            ),
            incident(
                "RT-2",
                "network",
                "P1",
                "2026-11-10T00:00:00Z",
                json!([
                {"at": "2026-11-10T01:30:00Z", "event": "first_response"},
                {"at": "2026-11-10T05:00:00Z", "event": "resolved"}])
            )
        ]),
    )
    .await;
    json_ok(app.post("/api/v1/billing/runs", &root, json!({"period": "2026-11"})).await, 200).await;
    let inv = invoice_of(&app, &admin, tenant, "2026-11").await;
    let id = inv["id"].as_str().unwrap().to_owned();

    let mut web = WebClient::signed_in(&app, "admin@wfi.test", PASSWORD).await;
    let list = web.get("/invoices").await.ok(200);
    assert!(list.contains(&format!("<a href=\"/invoices/{id}\">WFI-202611</a>")), "{list}");
    assert!(list.contains("November 2026") && list.contains("3,152.70 CNY") && list.contains("-210.00 CNY"));
    assert!(list.contains(">Issued</span>"));

    let page = web.get(&format!("/invoices/{id}")).await.ok(200);
    keep("invoice-en", &page);
    keep("invoices-en", &list);
    assert!(page.contains("Invoice WFI-202611"), "{page}");
    assert!(page.contains("SLA credit for November 2026"));
    assert!(page.contains("3,000.00 CNY") && page.contains("Tax (13.00%)") && page.contains("362.70 CNY"));
    // The credit's rules and the breaches behind them, with their tickets.
    assert!(
        page.contains("P1 Resolution target missed once: 5.00% of the monthly fee of 3,000.00 CNY for each breach (500 bp)."),
        "{page}"
    );
    assert!(page.contains("P1 First response target missed once: 2.00%"));
    assert!(
        page.contains("<a class=\"ref\" href=\"/tickets/WFI-1\">WFI-1</a>"),
        "the resolution breach's ticket"
    );
    assert!(
        page.contains("<a class=\"ref\" href=\"/tickets/WFI-2\">WFI-2</a>"),
        "the first response breach's ticket"
    );
    // RT-1: due 09:10 UTC (17:10 in Shanghai), met an hour later.
    assert!(page.contains("2026-11-05 17:10") && page.contains("1 h 0 min"), "{page}");
    assert!(page.contains("Credit cap") && page.contains("30.00% (900.00 CNY)"));

    let csv = web.get(&format!("/invoices/{id}.csv")).await;
    assert_eq!(csv.status, 200);
    let content_type = csv.headers.get("content-type").and_then(|v| v.to_str().ok()).unwrap_or_default();
    assert!(content_type.starts_with("text/csv"), "{content_type}");
    let disposition =
        csv.headers.get("content-disposition").and_then(|v| v.to_str().ok()).unwrap_or_default();
    assert_eq!(disposition, "attachment; filename=\"WFI-202611.csv\"");
    let from_api = app.get(&format!("/api/v1/billing/invoices/{id}/csv"), &admin).await.text().await.unwrap();
    assert_eq!(csv.body, from_api);
    assert!(csv.body.contains(",total,,,,,3152.70,CNY"));

    // Another tenant's admin: the same not-found page as for an invoice that does not exist.
    let mut other = WebClient::signed_in(&app, "admin@wfj.test", PASSWORD).await;
    let missing = other.get(&format!("/invoices/{}", Uuid::now_v7())).await;
    assert_eq!(missing.status, 404);
    for path in [format!("/invoices/{id}"), format!("/invoices/{id}.csv"), "/invoices/not-an-id".to_owned()] {
        let res = other.get(&path).await;
        assert_eq!(res.status, 404, "{path}");
        assert_eq!(res.body, missing.body, "{path}");
    }
    let theirs = other.get("/invoices").await.ok(200);
    assert!(!theirs.contains("WFI-202611") && theirs.contains("WFJ-202611"));

    // In Chinese.
    web.post("/lang", &[("lang", "zh-CN"), ("next", "/invoices")]).await;
    let page = web.get(&format!("/invoices/{id}")).await.ok(200);
    keep("invoice-zh", &page);
    assert!(page.contains("账单 WFI-202611") && page.contains("2026年11月的 SLA 服务抵扣"), "{page}");
    assert!(page.contains("P1 工单的“解决”指标未达成 1 次"), "{page}");
    app.stop().await;
}
