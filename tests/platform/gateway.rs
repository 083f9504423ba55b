use std::time::Duration;

use chrono::TimeDelta;
use serde_json::{Value, json};

use canopy_kernel::config::QuotaSettings;

use crate::helpers::*;

backend_test!(a_client_sent_tenant_header_is_ignored);
async fn a_client_sent_tenant_header_is_ignored(app: &TestApp) {
    let (a, a_admin) = app.tenant("ALPHA").await;
    let (b, _) = app.tenant("BRAVO").await;
    for header in ["x-canopy-tenant-id", "X-Canopy-Tenant-Id"] {
        let res = app
            .http
            .get(app.url("/api/v1/tenants"))
            .bearer_auth(&a_admin)
            .header(header, b.to_string())
            .send()
            .await
            .unwrap();
        let list = json_ok(res, 200).await;
        let ids: Vec<&str> =
            list["items"].as_array().unwrap().iter().map(|t| t["id"].as_str().unwrap()).collect();
        assert_eq!(ids, [a.to_string()]);
        let res = app
            .http
            .get(app.url(&format!("/api/v1/tenants/{b}/config")))
            .bearer_auth(&a_admin)
            .header(header, b.to_string())
            .send()
            .await
            .unwrap();
        problem(res, 404, "not_found").await;
    }
}

backend_test!(request_ids_and_trace_context_cross_the_gateway);
async fn request_ids_and_trace_context_cross_the_gateway(app: &TestApp) {
    let root = app.admin_token().await;
    let res = app
        .http
        .get(app.url("/api/v1/tenants"))
        .bearer_auth(&root)
        .header("x-request-id", "test-req-0001")
        .send()
        .await
        .unwrap();
    assert_eq!(res.headers()["x-request-id"], "test-req-0001");
    let res = app.http.get(app.url("/api/v1/nope")).bearer_auth(&root).send().await.unwrap();
    let id = res.headers()["x-request-id"].to_str().unwrap().to_owned();
    let body = problem(res, 404, "route_not_found").await;
    assert_eq!(body["request_id"], id, "problems carry the request id");
    // A caller's trace continues: the service behind the gateway reports spans in it.
    let trace = "4bf92f3577b34da6a3ce929d0e0e4736";
    let res = app
        .http
        .get(app.url("/api/v1/auth/me"))
        .bearer_auth(&root)
        .header("traceparent", format!("00-{trace}-00f067aa0ba902b7-01"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
}

backend_test!(the_openapi_document_matches_the_routes);
async fn the_openapi_document_matches_the_routes(app: &TestApp) {
    let doc = json_ok(app.http.get(app.url("/api-docs/openapi.json")).send().await.unwrap(), 200).await;
    let paths = doc["paths"].as_object().unwrap();
    assert!(paths.len() >= 20, "{}", paths.len());
    assert!(!paths.keys().any(|p| p.starts_with("/internal")), "internal endpoints stay private");
    let fake = uuid::Uuid::now_v7().to_string();
    for (path, item) in paths {
        let concrete = path
            .split('/')
            .map(|seg| {
                if seg.starts_with('{') { if seg == "{version}" { "1" } else { fake.as_str() } } else { seg }
            })
            .collect::<Vec<_>>()
            .join("/");
        for method in item.as_object().unwrap().keys() {
            let m = reqwest::Method::from_bytes(method.to_uppercase().as_bytes()).unwrap();
            let res = app
                .http
                .request(m, app.url(&concrete))
                .header("content-type", "application/json")
                .body("{}")
                .send()
                .await
                .unwrap();
            let status = res.status().as_u16();
            let body: Value = res.json().await.unwrap_or(Value::Null);
            assert!(
                body["code"] != "route_not_found" && body["code"] != "method_not_allowed",
                "{method} {path} is documented but not served: {status} {body}"
            );
            assert!(status < 500, "{method} {path} → {status}");
        }
    }
    for schema in ["Problem", "TenantView", "TenantConfig", "TokenResponse"] {
        assert!(doc["components"]["schemas"].get(schema).is_some(), "{schema}");
    }
}

backend_test!(probes_metrics_and_docs_are_served);
async fn probes_metrics_and_docs_are_served(app: &TestApp) {
    let ready = json_ok(app.http.get(app.url("/readyz")).send().await.unwrap(), 200).await;
    assert_eq!(ready["checks"]["tenants"], true);
    assert_eq!(json_ok(app.http.get(app.url("/healthz")).send().await.unwrap(), 200).await["status"], "ok");
    app.admin_token().await;
    let metrics = app.http.get(app.url("/metrics")).send().await.unwrap().text().await.unwrap();
    assert!(metrics.contains("canopy_http_requests_total"));
    assert!(metrics.contains("canopy_gateway_upstream_duration_seconds"));
    let docs = app.http.get(app.url("/docs")).send().await.unwrap().text().await.unwrap();
    assert!(docs.contains("/docs/swagger-ui-bundle.js"));
    let js = app.http.get(app.url("/docs/swagger-ui-bundle.js")).send().await.unwrap();
    assert_eq!(js.status(), 200);
    assert!(js.bytes().await.unwrap().len() > 100_000);
    let start = app.http.get(app.url("/")).send().await.unwrap().text().await.unwrap();
    assert!(start.contains("Sign in"));
}

backend_test!(the_gateway_does_not_route_internal_endpoints);
async fn the_gateway_does_not_route_internal_endpoints(app: &TestApp) {
    let res = app
        .http
        .post(app.url("/internal/v1/api-keys/exchange"))
        .json(&json!({"key": "x"}))
        .send()
        .await
        .unwrap();
    problem(res, 404, "route_not_found").await;
}

backend_test!(rate_limits_answer_429_past_their_size_and_reset_after_their_period: Backend);
async fn rate_limits_answer_429_past_their_size_and_reset_after_their_period(backend: Backend) {
    let app = TestApp::spawn_with(backend, |s| {
        s.gateway.rate_limits.tiers.insert("standard".into(), QuotaSettings { requests: 5, period_secs: 2 });
        s.gateway.rate_limits.tiers.insert("gold".into(), QuotaSettings { requests: 50, period_secs: 2 });
        // A long period: however slow sign-ins are, the burst cannot refill during the test.
        s.gateway.rate_limits.anonymous = QuotaSettings { requests: 12, period_secs: 600 };
    })
    .await;
    let (standard, standard_admin) = app.tenant("SMALL").await;
    let (_, other_admin) = app.tenant("OTHER").await;
    let root = app.admin_token().await;
    json_ok(app.patch(&format!("/api/v1/tenants/{standard}"), &root, json!({"tier": "standard"})).await, 200)
        .await;

    // Burn the tenant's bucket: 5 pass, the 6th is refused with the headers a client needs.
    let path = format!("/api/v1/tenants/{standard}");
    let mut passed = 0;
    let mut refused = None;
    for _ in 0..8 {
        let res = app.get(&path, &standard_admin).await;
        if res.status() == 200 {
            passed += 1;
            assert!(res.headers().contains_key("ratelimit-remaining"));
        } else {
            refused = Some(res);
            break;
        }
    }
    assert!((4..=5).contains(&passed), "passed {passed}");
    let refused = refused.expect("the bucket ran out");
    let retry: u64 = refused.headers()["retry-after"].to_str().unwrap().parse().unwrap();
    assert!((1..=2).contains(&retry));
    assert_eq!(refused.headers()["ratelimit-remaining"], "0");
    assert_eq!(refused.headers()["ratelimit-limit"], "5");
    problem(refused, 429, "rate_limited").await;

    // Another tenant has its own bucket.
    json_ok(app.get("/api/v1/tenants", &other_admin).await, 200).await;

    // After the period (on the platform's clock) the whole burst is back.
    app.clock.advance(TimeDelta::milliseconds(2100));
    for _ in 0..5 {
        assert_eq!(app.get(&path, &standard_admin).await.status(), 200);
    }

    // Anonymous endpoints are limited per client address.
    app.clock.advance(TimeDelta::milliseconds(2100));
    let mut statuses = Vec::new();
    for _ in 0..20 {
        // A different address each time: the per-account limit (tenants) is not what is tested.
        statuses.push(
            app.login_raw(&format!("nobody{}@x.test", statuses.len()), "wrong").await.status().as_u16(),
        );
    }
    assert!(statuses.contains(&429), "{statuses:?}");
    app.stop().await;
}

backend_test!(the_gateway_hears_of_status_changes_at_once: Backend);
async fn the_gateway_hears_of_status_changes_at_once(backend: Backend) {
    // A cache that would otherwise hold the tenant's status for an hour.
    let app = TestApp::spawn_with(backend, |s| s.gateway.tenant_status_ttl_secs = 3600).await;
    let root = app.admin_token().await;
    let (t, admin) = app.tenant("QUICK").await;
    json_ok(app.get(&format!("/api/v1/tenants/{t}"), &admin).await, 200).await;
    json_ok(
        app.call(reqwest::Method::POST, &format!("/api/v1/tenants/{t}/cancel"), Some(&root), None).await,
        200,
    )
    .await;
    // Reads of a cancelled tenant are refused by the gateway alone (the service would
    // answer them), so this shows the gateway dropped its cached status on the event.
    eventually("403 for the cancelled tenant", Duration::from_secs(5), async || {
        match app.get(&format!("/api/v1/tenants/{t}"), &admin).await.status().as_u16() {
            403 => Ok(()),
            other => Err(other),
        }
    })
    .await;
    problem(app.get(&format!("/api/v1/tenants/{t}/config"), &admin).await, 403, "tenant_cancelled").await;
    app.stop().await;
}

#[tokio::test]
async fn without_its_services_the_gateway_is_not_ready_and_says_so() {
    // A gateway whose only tenants replica is gone.
    let dead = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap();
    let mut settings = test_settings();
    settings.upstreams.tenants = canopy_kernel::config::UrlList(vec![format!("http://{dead}")]);
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let app = canopy_gateway::Application::build(
        std::sync::Arc::new(settings.common),
        canopy_kernel::backends::Backends::in_process(),
        std::sync::Arc::new(canopy_kernel::clock::SystemClock),
        listener,
    )
    .await
    .unwrap();
    let base = format!("http://{}", app.addr());
    let handle = app.handle();
    tokio::spawn(app.run());
    let http = reqwest::Client::new();
    let ready = http.get(format!("{base}/readyz")).send().await.unwrap();
    assert_eq!(ready.status(), 503);
    let body: Value = ready.json().await.unwrap();
    assert_eq!(body["checks"]["tenants"], false);
    assert_eq!(
        http.get(format!("{base}/healthz")).send().await.unwrap().status(),
        200,
        "alive, though not ready"
    );
    let res = http
        .post(format!("{base}/api/v1/auth/login"))
        .json(&json!({"email": "a@b.co", "password": "x"}))
        .send()
        .await
        .unwrap();
    problem(res, 502, "upstream_unavailable").await;
    handle.stop(true).await;
}

backend_test!(cors_answers_preflights_for_allowed_origins_only: Backend);
async fn cors_answers_preflights_for_allowed_origins_only(backend: Backend) {
    let app = TestApp::spawn_with(backend, |s| {
        s.gateway.cors_allowed_origins = vec!["https://portal.example.com".into()]
    })
    .await;
    let preflight = |origin: &'static str| {
        app.http
            .request(reqwest::Method::OPTIONS, app.url("/api/v1/tenants"))
            .header("origin", origin)
            .header("access-control-request-method", "POST")
            .header("access-control-request-headers", "authorization, content-type")
            .send()
    };
    let ok = preflight("https://portal.example.com").await.unwrap();
    assert_eq!(ok.headers()["access-control-allow-origin"], "https://portal.example.com");
    let other = preflight("https://evil.example.com").await.unwrap();
    assert!(other.headers().get("access-control-allow-origin").is_none());
    app.stop().await;
}
