//! The edge holds: control characters and impossible dates are refused before any handler
//! (and nothing is stored), slow bodies and crowding clients are cut off, requests actix
//! cannot even parse get problem+json, pages and tokens carry their security headers,
//! metrics stay off the public port, and webhooks resolve once, checked, and retry DNS failures.

use std::time::Duration;

use chrono::{Datelike, Utc};
use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use crate::helpers::*;
use crate::webhooks::{receiver, until};

fn fields(body: &Value) -> Vec<String> {
    body["errors"]
        .as_array()
        .map(|a| a.iter().map(|e| e["field"].as_str().unwrap_or_default().to_owned()).collect())
        .unwrap_or_default()
}

fn tier(name: &str) -> Value {
    json!({"name": name, "coverage": "24x7",
        "targets": {"P1": {"first_response_mins": 30, "resolution_mins": 240},
                    "P2": {"first_response_mins": 60, "resolution_mins": 480},
                    "P3": {"first_response_mins": 120, "resolution_mins": 960},
                    "P4": {"first_response_mins": 240, "resolution_mins": 1920}},
        "availability_target_bp": 9900, "credit_policy": {"cap_bp": 1000}})
}

fn incident(title: &str) -> Value {
    json!({"type": "incident", "title": title, "category": "network", "impact": "low", "urgency": "low"})
}

/// An answer read off a raw connection: status, head (lower-cased), body.
struct RawAnswer {
    status: u16,
    head: String,
    body: Vec<u8>,
}

impl RawAnswer {
    fn json(&self) -> Value {
        serde_json::from_slice(&self.body).unwrap_or(Value::Null)
    }

    fn assert_problem(&self, status: u16, code: &str) -> Value {
        assert_eq!(self.status, status, "{}\n{}", self.head, String::from_utf8_lossy(&self.body));
        assert!(self.head.contains("content-type: application/problem+json"), "{}", self.head);
        let body = self.json();
        assert_eq!(body["code"], code, "{body}");
        assert_eq!(body["status"], status);
        body
    }
}

fn address(base: &str) -> String {
    base.trim_start_matches("http://").to_owned()
}

/// Reads one answer (head and `content-length` body, or up to the close).
async fn read_answer(stream: &mut TcpStream) -> RawAnswer {
    let mut buf = Vec::new();
    let mut chunk = [0u8; 8192];
    let read = async {
        loop {
            let n = stream.read(&mut chunk).await.unwrap_or(0);
            if n == 0 {
                break;
            }
            buf.extend_from_slice(&chunk[..n]);
            if let Some(end) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
                let head = String::from_utf8_lossy(&buf[..end]).to_lowercase();
                let length = head
                    .lines()
                    .find_map(|l| l.strip_prefix("content-length:"))
                    .and_then(|v| v.trim().parse::<usize>().ok());
                if length.is_some_and(|len| buf.len() >= end + 4 + len) {
                    break;
                }
            }
        }
    };
    tokio::time::timeout(Duration::from_secs(60), read).await.expect("an answer");
    let end = buf.windows(4).position(|w| w == b"\r\n\r\n").expect("a whole head");
    let head = String::from_utf8_lossy(&buf[..end]).to_lowercase();
    let status = head.split_whitespace().nth(1).and_then(|s| s.parse().ok()).expect("a status");
    RawAnswer { status, head, body: buf[end + 4..].to_vec() }
}

/// Sends `request` as written, on a connection of its own, and reads the answer.
async fn raw(base: &str, request: &[u8]) -> RawAnswer {
    let mut stream = TcpStream::connect(address(base)).await.unwrap();
    // The server may answer (and close) before it has read everything.
    let _ = stream.write_all(request).await;
    read_answer(&mut stream).await
}

backend_test!(control_characters_are_refused_at_the_edge_and_nothing_is_stored);
async fn control_characters_are_refused_at_the_edge_and_nothing_is_stored(app: &TestApp) {
    // Before sign-in.
    let res = app
        .call(
            reqwest::Method::POST,
            "/api/v1/auth/login",
            None,
            Some(json!({"email": "a\u{0}@x.io", "password": "whatever-it-is"})),
        )
        .await;
    let body = problem(res, 422, "validation_failed").await;
    assert_eq!(fields(&body), ["/email"]);

    let root = app.admin_token().await;
    let (tenant, admin) = app.tenant("NUL").await;
    app.contract(&root, tenant, tier("Nul tier")).await;

    let body = problem(
        app.post("/api/v1/tickets", &admin, incident("Printer\u{0}offline")).await,
        422,
        "validation_failed",
    )
    .await;
    assert_eq!(fields(&body), ["/title"]);
    let list = json_ok(app.get("/api/v1/tickets", &admin).await, 200).await;
    assert!(list["items"].as_array().unwrap().is_empty(), "no ticket was stored: {list}");

    let ticket = json_ok(app.post("/api/v1/tickets", &admin, incident("Printer offline")).await, 201).await;
    let comments = format!("/api/v1/tickets/{}/comments", ticket["id"].as_str().unwrap());
    let body = problem(
        app.post(&comments, &admin, json!({"body": "it \u{7} beeps"})).await,
        422,
        "validation_failed",
    )
    .await;
    assert_eq!(fields(&body), ["/body"]);
    assert!(json_ok(app.get(&comments, &admin).await, 200).await.as_array().unwrap().is_empty());
    // Line breaks and tabs are text.
    json_ok(app.post(&comments, &admin, json!({"body": "line one\nline two\r\n\tindented"})).await, 201)
        .await;

    // A monitoring agent's batch.
    let key = json_ok(
        app.post(
            &format!("/api/v1/tenants/{tenant}/api-keys"),
            &admin,
            json!({"name": "agent", "scopes": ["events:write"]}),
        )
        .await,
        201,
    )
    .await["key"]
        .as_str()
        .unwrap()
        .to_owned();
    let event = |message: &str| {
        json!({"host": "srv-1", "check": "disk", "severity": "error", "message": message,
            "occurred_at": Utc::now().to_rfc3339()})
    };
    let res = app
        .http
        .post(app.url("/api/v1/events"))
        .header("x-api-key", &key)
        .json(&json!({"events": [event("fine"), event("disk \u{0} full")]}))
        .send()
        .await
        .unwrap();
    let body = problem(res, 422, "validation_failed").await;
    assert_eq!(fields(&body), ["/events/1/message"]);
    let alerts =
        json_ok(app.get(&format!("/api/v1/events/alerts?tenant_id={tenant}"), &root).await, 200).await;
    assert!(alerts.as_array().unwrap().is_empty(), "nothing of the batch was stored: {alerts}");

    // Query strings and paths.
    let body = problem(app.get("/api/v1/tickets?q=%00", &admin).await, 422, "validation_failed").await;
    assert_eq!(fields(&body), ["query.q"]);
    problem(app.get("/api/v1/tickets/%00", &admin).await, 404, "not_found").await;
    problem(app.get("/api/v1/kb/search?q=a%1Fb", &admin).await, 422, "validation_failed").await;
}

backend_test!(dates_outside_the_known_years_are_refused_not_panicked_on);
async fn dates_outside_the_known_years_are_refused_not_panicked_on(app: &TestApp) {
    let root = app.admin_token().await;
    let (tenant, admin) = app.tenant("YEAR").await;
    for period in ["9999-12", "1999-12", "2101-01", "+10000-01"] {
        let body = problem(
            app.get(&format!("/api/v1/reports/monthly?period={}", period.replace('+', "%2B")), &root).await,
            422,
            "validation_failed",
        )
        .await;
        assert_eq!(fields(&body), ["query.period"], "{period}");
        problem(
            app.get(&format!("/api/v1/reports/monthly?tenant_id={tenant}&period={period}"), &admin).await,
            422,
            "validation_failed",
        )
        .await;
    }
    // Not a month at all: the report's own parser says so.
    let body =
        problem(app.get("/api/v1/reports/monthly?period=2026-13", &root).await, 422, "validation_failed")
            .await;
    assert_eq!(fields(&body), ["period"]);

    let tier = json_ok(app.post("/api/v1/catalog/tiers", &root, tier("Year tier")).await, 201).await;
    let plan = json_ok(
        app.post(
            "/api/v1/catalog/plans",
            &root,
            json!({"name": "Year plan", "tier_id": tier["id"], "unit": "seat", "unit_price_minor": 1000, "currency": "EUR"}),
        )
        .await,
        201,
    )
    .await;
    let body = problem(
        app.post(
            "/api/v1/catalog/contracts",
            &root,
            json!({"tenant_id": tenant, "plan_id": plan["id"], "quantity": 1, "starts_on": "+262143-12-31"}),
        )
        .await,
        422,
        "validation_failed",
    )
    .await;
    assert_eq!(fields(&body), ["/starts_on"]);
    let body = problem(
        app.post("/api/v1/dispatch/optimize", &root, json!({"date": "9999-12-31"})).await,
        422,
        "validation_failed",
    )
    .await;
    assert_eq!(fields(&body), ["/date"]);
    // The present month is fine.
    let now = Utc::now();
    json_ok(
        app.get(&format!("/api/v1/reports/monthly?period={}-{:02}", now.year(), now.month()), &root).await,
        200,
    )
    .await;
}

backend_test!(requests_actix_cannot_parse_get_problem_json);
async fn requests_actix_cannot_parse_get_problem_json(app: &TestApp) {
    let admin = app.admin_token().await;
    let long = "a".repeat(100 * 1024);
    let answer = raw(
        &app.base,
        format!(
            "GET /api/v1/tickets?q={long} HTTP/1.1\r\nHost: canopy\r\nAuthorization: Bearer {admin}\r\n\r\n"
        )
        .as_bytes(),
    )
    .await;
    answer.assert_problem(400, "bad_request");

    let (tenant, tenant_admin) = app.tenant("IFM").await;
    app.contract(&admin, tenant, tier("Ifm tier")).await;
    let ticket =
        json_ok(app.post("/api/v1/tickets", &tenant_admin, incident("Printer offline")).await, 201).await;
    let id = ticket["id"].as_str().unwrap();
    // A control character stops actix's parser; a byte beyond ASCII reaches `if_match`.
    for value in [&b"\"1\x01\""[..], &b"\"1\x7f\""[..], &b"\"\xff\""[..]] {
        let mut request = format!(
            "PATCH /api/v1/tickets/{id} HTTP/1.1\r\nHost: canopy\r\nAuthorization: Bearer {tenant_admin}\r\n"
        )
        .into_bytes();
        request.extend_from_slice(b"Content-Type: application/json\r\nContent-Length: 2\r\nIf-Match: ");
        request.extend_from_slice(value);
        request.extend_from_slice(b"\r\n\r\n{}");
        raw(&app.base, &request).await.assert_problem(400, "bad_request");
    }
    let after = json_ok(app.get(&format!("/api/v1/tickets/{id}"), &tenant_admin).await, 200).await;
    assert_eq!(after["version"], ticket["version"], "nothing changed");
}

backend_test!(a_body_that_does_not_arrive_in_time_is_answered_408: Backend);
async fn a_body_that_does_not_arrive_in_time_is_answered_408(backend: Backend) {
    let app = TestApp::spawn_with(backend, |s| s.gateway.body_timeout_secs = 1).await;
    for content_type in ["application/json", "text/plain"] {
        let answer = raw(
            &app.base,
            format!(
                "POST /api/v1/auth/login HTTP/1.1\r\nHost: canopy\r\nContent-Type: {content_type}\r\n\
                 Content-Length: 1000\r\n\r\n{{\"email\": \"slow"
            )
            .as_bytes(),
        )
        .await;
        answer.assert_problem(408, "request_timeout");
        assert!(answer.head.contains("connection: close"), "{}", answer.head);
    }
    // A body sent whole is read as ever.
    app.login(ADMIN_EMAIL, ADMIN_PASSWORD).await;
    app.stop().await;
}

backend_test!(connections_from_one_address_are_capped: Backend);
async fn connections_from_one_address_are_capped(backend: Backend) {
    let app = TestApp::spawn_with(backend, |s| s.gateway.max_connections_per_address = 3).await;
    // Three connections held open by bodies still to come.
    let mut held = Vec::new();
    for _ in 0..3 {
        let mut stream = TcpStream::connect(address(&app.base)).await.unwrap();
        stream
            .write_all(b"POST /api/v1/auth/login HTTP/1.1\r\nHost: canopy\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{")
            .await
            .unwrap();
        held.push(stream);
    }
    let probe = b"GET /healthz HTTP/1.1\r\nHost: canopy\r\nConnection: close\r\n\r\n";
    // Once the server has taken the three in (it accepts them in its own time), a fourth is refused.
    let answer = eventually("the fourth connection refused", Duration::from_secs(20), async || {
        let answer = raw(&app.base, probe).await;
        if answer.status == 429 { Ok(answer) } else { Err(answer.status) }
    })
    .await;
    answer.assert_problem(429, "rate_limited");
    assert!(answer.head.contains("connection: close"), "{}", answer.head);

    // A connection that closes frees its place.
    drop(held.pop());
    eventually("a freed place is taken", Duration::from_secs(20), async || {
        let answer = raw(&app.base, probe).await;
        if answer.status == 200 { Ok(()) } else { Err(answer.status) }
    })
    .await;
    drop(held);
    app.stop().await;
}

fn header(res: &reqwest::Response, name: &str) -> String {
    res.headers().get(name).and_then(|v| v.to_str().ok()).unwrap_or_default().to_owned()
}

fn assert_page_headers(res: &reqwest::Response, what: &str) {
    let csp = header(res, "content-security-policy");
    assert!(csp.contains("frame-ancestors 'none'"), "{what}: {csp}");
    let script =
        csp.split(';').find(|d| d.trim().starts_with("script-src") || d.trim().starts_with("default-src"));
    assert!(
        !csp.split(';').any(|d| d.trim().starts_with("script-src") && d.contains("unsafe-inline")),
        "{what}: {csp}"
    );
    assert!(script.is_some(), "{what}: {csp}");
    assert_eq!(header(res, "x-frame-options"), "DENY", "{what}");
    assert_eq!(header(res, "x-content-type-options"), "nosniff", "{what}");
    assert!(!header(res, "referrer-policy").is_empty(), "{what}");
}

backend_test!(pages_tokens_and_every_answer_carry_their_security_headers);
async fn pages_tokens_and_every_answer_carry_their_security_headers(app: &TestApp) {
    for path in ["/login", "/docs"] {
        let res = app.http.get(app.url(path)).send().await.unwrap();
        assert_eq!(res.status(), 200);
        assert_page_headers(&res, path);
        let page = res.text().await.unwrap();
        assert!(!page.contains("<script>"), "{path} has no inline script");
    }
    for script in ["/assets/app.js", "/assets/htmx.min.js", "/docs/docs.js"] {
        let res = app.http.get(app.url(script)).send().await.unwrap();
        assert_eq!(res.status(), 200, "{script}");
        assert!(header(&res, "content-type").starts_with("text/javascript"));
    }

    let root = app.admin_token().await;
    let now = Utc::now();
    let res = app
        .get(&format!("/api/v1/reports/monthly?period={}-{:02}&format=html", now.year(), now.month()), &root)
        .await;
    assert_eq!(res.status(), 200);
    assert_page_headers(&res, "the monthly report");

    let res = app.login_raw(ADMIN_EMAIL, ADMIN_PASSWORD).await;
    assert_eq!(res.status(), 200);
    assert_eq!(header(&res, "cache-control"), "no-store", "sign-in");
    assert_eq!(header(&res, "x-content-type-options"), "nosniff");
    let tokens: Value = res.json().await.unwrap();
    let res = app
        .call(
            reqwest::Method::POST,
            "/api/v1/auth/refresh",
            None,
            Some(json!({"refresh_token": tokens["refresh_token"]})),
        )
        .await;
    assert_eq!(res.status(), 200);
    assert_eq!(header(&res, "cache-control"), "no-store", "refresh");
    let (tenant, admin) = app.tenant("HDR").await;
    let res = app
        .post(
            &format!("/api/v1/tenants/{tenant}/api-keys"),
            &admin,
            json!({"name": "agent", "scopes": ["events:write"]}),
        )
        .await;
    assert_eq!(res.status(), 201);
    assert_eq!(header(&res, "cache-control"), "no-store", "a new API key");
    // Problems too.
    let res = app.get("/api/v1/nowhere", &admin).await;
    assert_eq!(header(&res, "x-content-type-options"), "nosniff");
}

backend_test!(metrics_are_on_the_internal_listener_not_the_public_port);
async fn metrics_are_on_the_internal_listener_not_the_public_port(app: &TestApp) {
    app.admin_token().await;
    problem(app.http.get(app.url("/metrics")).send().await.unwrap(), 404, "route_not_found").await;
    assert_ne!(app.metrics_base, app.base);
    let res = app.http.get(format!("{}/metrics", app.metrics_base)).send().await.unwrap();
    assert_eq!(res.status(), 200);
    let text = res.text().await.unwrap();
    assert!(text.contains("canopy_http_requests_total"), "{text}");
    assert!(text.contains("service=\"gateway\"") && text.contains("service=\"tenants\""));
    // The public OpenAPI document does not offer it either.
    let doc = json_ok(app.http.get(app.url("/api-docs/openapi.json")).send().await.unwrap(), 200).await;
    assert!(doc["paths"].get("/metrics").is_none());
}

const SECRET: &str = "whsec_hardening_secret_01";

/// A tenant whose one webhook posts to `url`, and a ticket raised so that it has something to
/// deliver; (tenant, admin token).
async fn hook_and_ticket(app: &TestApp, key: &str, url: &str) -> (String, String) {
    let root = app.admin_token().await;
    let (tenant, admin) = app.tenant(key).await;
    let path = format!("/api/v1/tenants/{tenant}/config");
    let mut c = json_ok(app.get(&path, &admin).await, 200).await;
    c["webhooks"] = json!([{"url": url, "events": ["*"], "secret": SECRET}]);
    json_ok(app.put(&path, &admin, c).await, 200).await;
    app.contract(&root, tenant, tier(&format!("{key} tier"))).await;
    json_ok(app.post("/api/v1/tickets", &admin, incident("Probe")).await, 201).await;
    (tenant.to_string(), admin)
}

backend_test!(a_webhook_host_that_does_not_resolve_is_retried: Backend);
async fn a_webhook_host_that_does_not_resolve_is_retried(backend: Backend) {
    let app = TestApp::spawn_with(backend, |s| {
        s.webhooks.allow_private_targets = false;
        s.webhooks.poll_interval_ms = 50;
        s.webhooks.retry_base_ms = 100;
        s.webhooks.max_attempts = 3;
    })
    .await;
    let (tenant, admin) = hook_and_ticket(&app, "DNS", "http://no-such-host.canopy-test.invalid/hook").await;
    let rows = until(&app, &tenant, &admin, "every attempt made", |rows| {
        rows.iter().any(|r| r["status"] == "failed")
    })
    .await;
    assert_eq!(rows[0]["attempts"], 3, "a name that does not resolve is retried: {rows:#?}");
    assert!(!rows[0]["last_error"].as_str().unwrap().contains("private"), "{rows:#?}");
    app.stop().await;
}

backend_test!(a_webhook_name_is_checked_by_the_lookup_its_connection_uses: Backend);
async fn a_webhook_name_is_checked_by_the_lookup_its_connection_uses(backend: Backend) {
    let app = TestApp::spawn_with(backend, |s| {
        s.webhooks.allow_private_targets = false;
        s.webhooks.poll_interval_ms = 50;
    })
    .await;
    let hooks = receiver().await;
    // A name (not an address) that resolves to this host: refused when the connection resolves
    // it, not by a separate look-up beforehand.
    let port = hooks.base.rsplit(':').next().unwrap().to_owned();
    let (tenant, admin) = hook_and_ticket(&app, "REBIND", &format!("http://localhost:{port}/ok")).await;
    let rows =
        until(&app, &tenant, &admin, "refused", |rows| rows.iter().any(|r| r["status"] == "failed")).await;
    assert!(rows[0]["last_error"].as_str().unwrap().contains("localhost resolves to a private"), "{rows:#?}");
    assert_eq!(rows[0]["attempts"], 1, "not retried: retrying cannot help");
    assert!(hooks.seen.lock().unwrap().is_empty(), "nothing reached the private address");
    hooks.handle.stop(false).await;
    app.stop().await;
}
