//! The scaled-out shape: the gateway and two replicas of the tenants service as separate
//! processes on loopback, sharing the database (and Redis, on the PostgreSQL backend).

use std::net::TcpListener;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use serde_json::json;

use crate::helpers::*;

/// A process, and the base URL of its internal metrics listener.
struct Proc(Child, String);

impl Drop for Proc {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0").and_then(|l| l.local_addr()).map(|a| a.port()).expect("a free port")
}

fn spawn(role: &str, port: u16, scratch: &Scratch, tenants: &str) -> Proc {
    spawn_with(role, port, scratch, tenants, &[])
}

fn spawn_with(role: &str, port: u16, scratch: &Scratch, tenants: &str, extra: &[(&str, String)]) -> Proc {
    let mut settings = test_settings();
    scratch.apply(&mut settings);
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_canopy"));
    let metrics = format!("127.0.0.1:{}", free_port());
    cmd.arg(role)
        .env_clear()
        .env("CANOPY_LISTEN", format!("127.0.0.1:{port}"))
        .env("CANOPY_METRICS_LISTEN", &metrics)
        .env("CANOPY_DATA_DIR", &settings.data_dir)
        .env("CANOPY_REDIS_PREFIX", &settings.redis_prefix)
        .env("CANOPY_ADMIN_EMAIL", ADMIN_EMAIL)
        .env("CANOPY_ADMIN_PASSWORD", ADMIN_PASSWORD)
        .env("CANOPY_UPSTREAMS__TENANTS", tenants)
        .env("CANOPY_AUTH__JWKS_MIN_REFRESH_SECS", "0")
        .env("CANOPY_WEBHOOKS__ALLOW_PRIVATE_TARGETS", "true")
        .env("CANOPY_LOG", "warn")
        .stdout(Stdio::null())
        .stderr(Stdio::inherit());
    if let (Some(db), Some(redis)) = (&settings.database_url, &settings.redis_url) {
        cmd.env("CANOPY_DATABASE_URL", db.expose()).env("CANOPY_REDIS_URL", redis.expose());
    }
    for (name, value) in extra {
        cmd.env(name, value);
    }
    Proc(cmd.spawn().expect("canopy starts"), format!("http://{metrics}"))
}

async fn wait_ready(http: &reqwest::Client, base: &str) {
    eventually(&format!("{base} ready"), Duration::from_secs(60), async || {
        match http.get(format!("{base}/readyz")).send().await {
            Ok(r) if r.status() == 200 => Ok(()),
            Ok(r) => Err(r.status().to_string()),
            Err(e) => Err(e.to_string()),
        }
    })
    .await
}

/// Signs the provider admin in at `base`; the whole token answer.
async fn sign_in(http: &reqwest::Client, base: &str) -> serde_json::Value {
    let res = http
        .post(format!("{base}/api/v1/auth/login"))
        .json(&json!({"email": ADMIN_EMAIL, "password": ADMIN_PASSWORD}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200, "sign-in at {base}");
    res.json().await.unwrap()
}

/// Requests for the tenant list a replica served, from its internal metrics listener.
async fn served_by(http: &reqwest::Client, replica: &Proc) -> u64 {
    let text = http.get(format!("{}/metrics", replica.1)).send().await.unwrap().text().await.unwrap();
    text.lines()
        .filter(|l| l.starts_with("canopy_http_requests_total") && l.contains("route=\"/api/v1/tenants\""))
        .filter_map(|l| l.rsplit(' ').next()?.parse::<u64>().ok())
        .sum()
}

backend_test!(gateway_and_two_tenants_replicas_as_processes: Backend);
async fn gateway_and_two_tenants_replicas_as_processes(backend: Backend) {
    let scratch = Scratch::new(backend).await;
    let http = reqwest::Client::builder().timeout(Duration::from_secs(30)).build().unwrap();
    let (p1, p2, pg) = (free_port(), free_port(), free_port());
    let (t1, t2, gw) = (
        format!("http://127.0.0.1:{p1}"),
        format!("http://127.0.0.1:{p2}"),
        format!("http://127.0.0.1:{pg}"),
    );
    let replicas = format!("{t1},{t2}");
    // The first replica migrates and bootstraps; the second joins the same database.
    let mut first = Some(spawn("tenants", p1, &scratch, &replicas));
    wait_ready(&http, &t1).await;
    let second = spawn("tenants", p2, &scratch, &replicas);
    wait_ready(&http, &t2).await;
    let _gateway = spawn("gateway", pg, &scratch, &replicas);
    wait_ready(&http, &gw).await;

    // Sign in through the gateway; the token opens both replicas (shared keys).
    let tokens = sign_in(&http, &gw).await;
    let token = tokens["access_token"].as_str().expect("signed in through the gateway").to_owned();
    for base in [&t1, &t2] {
        assert_eq!(
            http.get(format!("{base}/api/v1/auth/me")).bearer_auth(&token).send().await.unwrap().status(),
            200
        );
    }
    let created = http
        .post(format!("{gw}/api/v1/tenants"))
        .bearer_auth(&token)
        .json(&json!({"name": "Split Co", "key": "SPLIT"}))
        .send()
        .await
        .unwrap();
    assert_eq!(created.status(), 201);

    // The gateway spreads reads over both replicas.
    for _ in 0..10 {
        assert_eq!(
            http.get(format!("{gw}/api/v1/tenants")).bearer_auth(&token).send().await.unwrap().status(),
            200
        );
    }
    let replica_1 = first.as_ref().expect("running");
    let (n1, n2) = (served_by(&http, replica_1).await, served_by(&http, &second).await);
    assert_eq!(
        http.get(format!("{t1}/metrics")).send().await.unwrap().status(),
        404,
        "metrics are not on the public listener"
    );
    assert!(n1 > 0 && n2 > 0, "replica 1 served {n1}, replica 2 served {n2}");

    // Refresh tokens rotate whichever replica answers; reuse is caught across replicas.
    let r1 = tokens["refresh_token"].as_str().unwrap().to_owned();
    let refresh =
        |t: String| http.post(format!("{gw}/api/v1/auth/refresh")).json(&json!({"refresh_token": t})).send();
    assert_eq!(refresh(r1.clone()).await.unwrap().status(), 200);
    let reused = refresh(r1).await.unwrap();
    assert_eq!(reused.status(), 401);

    if backend == Backend::Postgres {
        // With Redis shared, a sign-out on one replica is honoured by the gateway at once.
        let logout = http
            .post(format!("{gw}/api/v1/auth/logout"))
            .bearer_auth(&token)
            .json(&json!({}))
            .send()
            .await
            .unwrap();
        assert_eq!(logout.status(), 204);
        assert_eq!(
            http.get(format!("{gw}/api/v1/tenants")).bearer_auth(&token).send().await.unwrap().status(),
            401
        );
    }

    // One replica dies: the gateway carries on with the other.
    drop(first.take());
    let again = sign_in(&http, &gw).await;
    let token = again["access_token"].as_str().unwrap().to_owned();
    for _ in 0..4 {
        assert_eq!(
            http.get(format!("{gw}/api/v1/tenants")).bearer_auth(&token).send().await.unwrap().status(),
            200
        );
    }
}

/// A stand-in OpenTelemetry collector: keeps every OTLP/HTTP trace export it receives.
async fn collector()
-> (String, std::sync::Arc<std::sync::Mutex<Vec<opentelemetry_proto::tonic::trace::v1::ResourceSpans>>>) {
    use actix_web::{App, HttpResponse, HttpServer, web};
    use prost::Message;
    let received = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
    let sink = received.clone();
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let server = HttpServer::new(move || {
        let sink = sink.clone();
        App::new().app_data(web::PayloadConfig::new(16 * 1024 * 1024)).route(
            "/v1/traces",
            web::post().to(move |body: web::Bytes| {
                let sink = sink.clone();
                async move {
                    let request =
                        opentelemetry_proto::tonic::collector::trace::v1::ExportTraceServiceRequest::decode(
                            body.as_ref(),
                        )
                        .unwrap();
                    sink.lock().unwrap().extend(request.resource_spans);
                    HttpResponse::Ok().content_type("application/x-protobuf").body(Vec::<u8>::new())
                }
            }),
        )
    })
    .workers(1)
    .listen(listener)
    .unwrap()
    .run();
    tokio::spawn(server);
    (format!("http://{addr}"), received)
}

fn attribute(span: &opentelemetry_proto::tonic::trace::v1::Span, key: &str) -> Option<String> {
    use opentelemetry_proto::tonic::common::v1::any_value::Value;
    span.attributes.iter().find(|a| a.key == key).and_then(|a| match a.value.as_ref()?.value.as_ref()? {
        Value::StringValue(s) => Some(s.clone()),
        other => Some(format!("{other:?}")),
    })
}

backend_test!(a_callers_trace_continues_through_the_gateway_into_the_service_and_reaches_the_collector: Backend);
async fn a_callers_trace_continues_through_the_gateway_into_the_service_and_reaches_the_collector(
    backend: Backend,
) {
    let scratch = Scratch::new(backend).await;
    let (endpoint, received) = collector().await;
    let http = reqwest::Client::new();
    let port = free_port();
    let base = format!("http://127.0.0.1:{port}");
    let _serve = spawn_with(
        "serve",
        port,
        &scratch,
        "",
        &[("OTEL_EXPORTER_OTLP_ENDPOINT", endpoint), ("OTEL_BSP_SCHEDULE_DELAY", "200".into())],
    );
    wait_ready(&http, &base).await;
    let tokens = sign_in(&http, &base).await;
    let trace = "0af7651916cd43dd8448eb211c80319c";
    let res = http
        .get(format!("{base}/api/v1/auth/me"))
        .bearer_auth(tokens["access_token"].as_str().unwrap())
        .header("traceparent", format!("00-{trace}-b7ad6b7169203331-01"))
        .header("x-request-id", "trace-test-1")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);

    let what = "gateway and tenants spans in the caller's trace";
    let spans = eventually(what, Duration::from_secs(20), async || {
        let spans: Vec<_> = received
            .lock()
            .unwrap()
            .iter()
            .flat_map(|r| r.scope_spans.iter().flat_map(|s| s.spans.iter().cloned()))
            .filter(|s| s.trace_id.iter().map(|b| format!("{b:02x}")).collect::<String>() == trace)
            .collect();
        let services: Vec<String> = spans.iter().filter_map(|s| attribute(s, "service")).collect();
        if services.contains(&"gateway".to_owned()) && services.contains(&"tenants".to_owned()) {
            Ok(spans)
        } else {
            Err(format!("{services:?}"))
        }
    })
    .await;
    // Every span of the trace carries the request id given by the caller.
    for s in &spans {
        if attribute(s, "service").is_some() {
            assert_eq!(attribute(s, "request_id").as_deref(), Some("trace-test-1"));
        }
    }
}

fn run(args: &[&str], scratch: &Scratch) -> std::process::Output {
    let mut settings = test_settings();
    scratch.apply(&mut settings);
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_canopy"));
    cmd.args(args).env_clear().env("CANOPY_DATA_DIR", &settings.data_dir).env("CANOPY_LOG", "warn");
    if let Some(db) = &settings.database_url {
        cmd.env("CANOPY_DATABASE_URL", db.expose());
    }
    cmd.output().expect("canopy runs")
}

backend_test!(shell_commands_prepare_a_platform_you_can_sign_into: Backend);
async fn shell_commands_prepare_a_platform_you_can_sign_into(backend: Backend) {
    let scratch = Scratch::new(backend).await;
    let out = run(&["migrate"], &scratch);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let first = run(&["demo"], &scratch);
    let said = String::from_utf8_lossy(&first.stdout);
    assert!(said.contains("demo data loaded"), "{said}");
    // A month of tickets, judged against the SLA, and some open now.
    assert!(said.contains(" imported for ") && said.contains("9 open now"), "{said}");
    assert!(said.contains("3 engineers dispatching"), "{said}");
    assert!(said.contains("on-site visits in today's rounds"), "{said}");
    assert!(said.contains("; 3 invoices for "), "the demo month is billed: {said}");
    assert!(
        said.contains("monitoring: 9 alerts, 6 incidents opened from them; knowledge base: 3 articles"),
        "agents' events and the knowledge base: {said}"
    );
    let again = run(&["demo"], &scratch);
    assert!(String::from_utf8_lossy(&again.stdout).contains("already present"));
    let made = run(
        &[
            "admin",
            "create-tenant",
            "--key",
            "SHELL",
            "--name",
            "Shell Co",
            "--timezone",
            "Asia/Shanghai",
            "--locale",
            "zh-CN",
            "--admin-email",
            "boss@shell.test",
            "--admin-password",
            "shell-password-1",
        ],
        &scratch,
    );
    assert!(made.status.success(), "{}", String::from_utf8_lossy(&made.stderr));
    let bad = run(
        &["admin", "create-tenant", "--key", "bad key", "--name", "X", "--timezone", "Mars/Base"],
        &scratch,
    );
    assert!(!bad.status.success());
    let why = String::from_utf8_lossy(&bad.stderr);
    assert!(why.contains("key") && why.contains("timezone"), "{why}");

    let http = reqwest::Client::new();
    let port = free_port();
    let base = format!("http://127.0.0.1:{port}");
    let _serve = spawn("serve", port, &scratch, "");
    wait_ready(&http, &base).await;
    for (email, password) in [
        ("admin@canopy.demo", "canopy-demo-2026"),
        ("it@acme.demo", "canopy-demo-2026"),
        ("boss@shell.test", "shell-password-1"),
    ] {
        let res = http
            .post(format!("{base}/api/v1/auth/login"))
            .json(&json!({"email": email, "password": password}))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 200, "{email}");
    }
    // Acme's admin sees Acme's month: imported tickets, some of them breached.
    let acme = sign_in_as(&http, &base, "it@acme.demo", "canopy-demo-2026").await;
    let (s, all) =
        call(&http, reqwest::Method::GET, format!("{base}/api/v1/tickets?limit=200"), &acme, None).await;
    assert_eq!(s, 200);
    let items = all["items"].as_array().unwrap();
    assert!(items.len() > 30, "a month of tickets: {}", items.len());
    assert!(items.iter().all(|t| t["reference"].as_str().unwrap().starts_with("ACME-")));
    // A dispatched month: every imported ticket went to Acme's engineer.
    let imported: Vec<_> = items.iter().filter(|t| t["status"] == "closed").collect();
    assert!(!imported.is_empty());
    let engineer = &imported[0]["assignee_id"];
    assert!(engineer.is_string(), "{}", imported[0]);
    assert!(imported.iter().all(|t| t["assignee_id"] == *engineer));
    let (_, breached) =
        call(&http, reqwest::Method::GET, format!("{base}/api/v1/tickets?breached=true"), &acme, None).await;
    assert!(!breached["items"].as_array().unwrap().is_empty(), "some SLAs were missed");
}

async fn sign_in_as(http: &reqwest::Client, base: &str, email: &str, password: &str) -> String {
    let res = http
        .post(format!("{base}/api/v1/auth/login"))
        .json(&json!({"email": email, "password": password}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200, "{email}");
    res.json::<serde_json::Value>().await.unwrap()["access_token"].as_str().unwrap().to_owned()
}

/// Calls the platform at `base` and answers the status and JSON body.
async fn call(
    http: &reqwest::Client,
    method: reqwest::Method,
    url: String,
    token: &str,
    body: Option<serde_json::Value>,
) -> (u16, serde_json::Value) {
    let mut req = http.request(method, url).bearer_auth(token);
    if let Some(body) = body {
        req = req.json(&body);
    }
    let res = req.send().await.unwrap();
    let status = res.status().as_u16();
    (status, res.json().await.unwrap_or(serde_json::Value::Null))
}

backend_test!(a_killed_platform_loses_neither_an_acknowledged_change_nor_its_event: Backend);
async fn a_killed_platform_loses_neither_an_acknowledged_change_nor_its_event(backend: Backend) {
    use reqwest::Method;
    let scratch = Scratch::new(backend).await;
    let http = reqwest::Client::builder().timeout(Duration::from_secs(30)).build().unwrap();
    let hooks = crate::webhooks::receiver().await;
    let port = free_port();
    let base = format!("http://127.0.0.1:{port}");
    // The outbox worker of this first process looks only once a minute, so the events of
    // the changes below are certainly still unpublished when the process is killed.
    let slow_outbox = [("CANOPY_EVENTS__OUTBOX_INTERVAL_MS", "60000".to_owned())];
    let first = spawn_with("serve", port, &scratch, "", &slow_outbox);
    wait_ready(&http, &base).await;
    let token = sign_in(&http, &base).await["access_token"].as_str().unwrap().to_owned();
    let post = |path: &str, body: serde_json::Value| {
        call(&http, Method::POST, format!("{base}{path}"), &token, Some(body))
    };
    let (s, tenant) = post("/api/v1/tenants", json!({"name": "Durable Co", "key": "DUR"})).await;
    assert_eq!(s, 201, "{tenant}");
    let tenant_id = tenant["id"].as_str().unwrap().to_owned();
    let config_path = format!("{base}/api/v1/tenants/{tenant_id}/config");
    let (_, mut config) = call(&http, Method::GET, config_path.clone(), &token, None).await;
    config["webhooks"] = json!([{"url": format!("{}/events", hooks.base), "events": ["*"],
        "secret": "durable-secret-0123456789"}]);
    let (s, body) = call(&http, Method::PUT, config_path, &token, Some(config)).await;
    assert_eq!(s, 200, "{body}");
    let (s, tier) = post(
        "/api/v1/catalog/tiers",
        json!({"name": "Durable", "coverage": "24x7",
            "targets": {"P1": {"first_response_mins": 30, "resolution_mins": 240},
                        "P2": {"first_response_mins": 60, "resolution_mins": 480},
                        "P3": {"first_response_mins": 120, "resolution_mins": 960},
                        "P4": {"first_response_mins": 240, "resolution_mins": 1920}},
            "availability_target_bp": 9900, "credit_policy": {"cap_bp": 1000}}),
    )
    .await;
    assert_eq!(s, 201, "{tier}");
    let (s, plan) = post(
        "/api/v1/catalog/plans",
        json!({"name": "Durable plan", "tier_id": tier["id"], "unit": "seat", "unit_price_minor": 100,
            "currency": "EUR"}),
    )
    .await;
    assert_eq!(s, 201, "{plan}");
    let (s, _) = post(
        "/api/v1/catalog/contracts",
        json!({"tenant_id": tenant_id, "plan_id": plan["id"], "quantity": 1, "starts_on": "2026-01-01"}),
    )
    .await;
    assert_eq!(s, 201);
    let (s, ticket) = post(
        "/api/v1/tickets",
        json!({"tenant_id": tenant_id, "type": "incident", "title": "Firewall rebooting",
            "category": "network", "impact": "high", "urgency": "high"}),
    )
    .await;
    assert_eq!(s, 201, "{ticket}");
    let id = ticket["id"].as_str().unwrap().to_owned();
    let (s, changed) = call(
        &http,
        Method::PATCH,
        format!("{base}/api/v1/tickets/{id}"),
        &token,
        Some(json!({"status": "in_progress"})),
    )
    .await;
    assert_eq!(s, 200, "{changed}");
    // Acknowledged: now the process dies at once, without a chance to tidy up.
    drop(first);
    assert!(hooks.seen.lock().unwrap().is_empty(), "nothing was published before the kill");

    let _second = spawn("serve", port, &scratch, "");
    wait_ready(&http, &base).await;
    let token = sign_in(&http, &base).await["access_token"].as_str().unwrap().to_owned();
    let (s, after) = call(&http, Method::GET, format!("{base}/api/v1/tickets/{id}"), &token, None).await;
    assert_eq!(s, 200);
    assert_eq!(after["status"], "in_progress", "the change survived");
    assert_eq!(after["version"], changed["version"]);
    let events = eventually("both events delivered", Duration::from_secs(20), async || {
        let events: Vec<(String, serde_json::Value)> = hooks
            .seen
            .lock()
            .unwrap()
            .iter()
            .map(|r| (r.event.clone(), serde_json::from_slice(&r.body).unwrap()))
            .collect();
        if events.len() >= 2 { Ok(events) } else { Err(format!("{events:?}")) }
    })
    .await;
    let kinds: Vec<&str> = events.iter().map(|(k, _)| k.as_str()).collect();
    assert_eq!(kinds, ["ticket.created", "ticket.updated"], "both events arrive, once each, in order");
    assert!(events.iter().all(|(_, e)| e["data"]["ticket_id"] == json!(id)));
    assert_eq!(events[1].1["data"]["status"], "in_progress");
    hooks.handle.stop(false).await;
}

/// `kill -9` of `canopy serve` (PostgreSQL + Redis) while tickets are being raised, then a
/// restart: every ticket the database holds has its `ticket.created` handled by the webhook
/// fan-out exactly once (one delivery per event), and no event is left pending in any group
/// (what the dead process had read and not acknowledged is claimed by the new one). In process
/// (SQLite), the bus dies with the process: there is no stream to leave events in.
#[tokio::test]
async fn a_platform_killed_mid_stream_hands_every_event_on_once_after_restart() {
    on_backend(Backend::Postgres, async |backend| {
        let scratch = Scratch::new(backend).await;
        let http = reqwest::Client::builder().timeout(Duration::from_secs(30)).build().unwrap();
        let port = free_port();
        let base = format!("http://127.0.0.1:{port}");
        let extra = [("CANOPY_REDIS__CLAIM_AFTER_SECS", "2".to_owned())];
        let mut serve = spawn_with("serve", port, &scratch, &base, &extra);
        wait_ready(&http, &base).await;
        let root = sign_in(&http, &base).await["access_token"].as_str().unwrap().to_owned();
        let created = http
            .post(format!("{base}/api/v1/tenants"))
            .bearer_auth(&root)
            .json(&json!({"name": "Kill Co", "key": "KILL", "timezone": "Europe/Berlin",
                "admin": {"email": "admin@kill.test", "display_name": "Admin", "password": PASSWORD}}))
            .send()
            .await
            .unwrap();
        assert_eq!(created.status(), 201);
        let tenant = created.json::<serde_json::Value>().await.unwrap()["id"].as_str().unwrap().to_owned();
        let login = http
            .post(format!("{base}/api/v1/auth/login"))
            .json(&json!({"email": "admin@kill.test", "password": PASSWORD}))
            .send()
            .await
            .unwrap();
        let admin = login.json::<serde_json::Value>().await.unwrap()["access_token"].as_str().unwrap().to_owned();
        let path = format!("{base}/api/v1/tenants/{tenant}/config");
        let mut config: serde_json::Value =
            http.get(&path).bearer_auth(&admin).send().await.unwrap().json().await.unwrap();
        // Nothing listens there: deliveries are recorded (the effect counted here) and retried.
        config["webhooks"] = json!([{"url": "http://127.0.0.1:9/hook", "events": ["ticket.created"],
            "secret": "kill-test-secret-0123456789"}]);
        assert_eq!(http.put(&path).bearer_auth(&admin).json(&config).send().await.unwrap().status(), 200);

        // Six writers raise tickets; the process is killed once fifteen were acknowledged.
        let acknowledged = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let mut writers = tokio::task::JoinSet::new();
        for w in 0..6 {
            let (http, base, admin, acknowledged) = (http.clone(), base.clone(), admin.clone(), acknowledged.clone());
            writers.spawn(async move {
                for i in 0..20 {
                    let res = http
                        .post(format!("{base}/api/v1/tickets"))
                        .bearer_auth(&admin)
                        .json(&json!({"type": "incident", "title": format!("Burst {w}-{i}"), "category": "network",
                            "impact": "high", "urgency": "high"}))
                        .send()
                        .await;
                    match res {
                        Ok(r) if r.status() == 201 => acknowledged.fetch_add(1, std::sync::atomic::Ordering::SeqCst),
                        _ => return,
                    };
                }
            });
        }
        eventually("fifteen tickets raised", Duration::from_secs(60), async || {
            match acknowledged.load(std::sync::atomic::Ordering::SeqCst) {
                n if n >= 15 => Ok(()),
                n => Err(format!("{n} so far")),
            }
        })
        .await;
        serve.0.kill().unwrap(); // SIGKILL
        serve.0.wait().unwrap();
        while writers.join_next().await.is_some() {}
        let acknowledged = acknowledged.load(std::sync::atomic::Ordering::SeqCst);

        let serve_again = spawn_with("serve", port, &scratch, &base, &extra);
        wait_ready(&http, &base).await;
        let login = http
            .post(format!("{base}/api/v1/auth/login"))
            .json(&json!({"email": "admin@kill.test", "password": PASSWORD}))
            .send()
            .await
            .unwrap();
        let admin = login.json::<serde_json::Value>().await.unwrap()["access_token"].as_str().unwrap().to_owned();
        let tickets: serde_json::Value = http
            .get(format!("{base}/api/v1/tickets?limit=200"))
            .bearer_auth(&admin)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let raised = tickets["items"].as_array().unwrap().len();
        assert!(raised >= acknowledged, "every acknowledged ticket is kept ({raised} of {acknowledged})");
        assert!(raised < 120, "killed mid-stream");
        let deliveries = format!("{base}/api/v1/tenants/{tenant}/webhook-deliveries?limit=200");
        eventually("one delivery per ticket raised", Duration::from_secs(60), async || {
            let list: serde_json::Value =
                http.get(&deliveries).bearer_auth(&admin).send().await.map_err(|e| e.to_string())?.json().await.map_err(|e| e.to_string())?;
            let events: Vec<&str> = list["items"].as_array().unwrap().iter().map(|d| d["event_id"].as_str().unwrap()).collect();
            let distinct: std::collections::HashSet<&&str> = events.iter().collect();
            assert_eq!(distinct.len(), events.len(), "each event took effect once");
            if events.len() == raised { Ok(()) } else { Err(format!("{} deliveries for {raised} tickets", events.len())) }
        })
        .await;
        // Nothing is left pending in any group of the ticketing stream.
        let client = redis::Client::open(redis_url()).unwrap();
        let con = client.get_multiplexed_async_connection().await.unwrap();
        let stream = format!("{}:stream:ticketing", scratch.redis_prefix);
        eventually("no event left pending", Duration::from_secs(60), async || {
            let mut con = con.clone();
            for group in ["tenants-webhooks", "scheduler-dispatch"] {
                let summary: redis::Value =
                    redis::cmd("XPENDING").arg(&stream).arg(group).query_async(&mut con).await.map_err(|e| e.to_string())?;
                let pending = match summary {
                    redis::Value::Array(items) => match items.first() {
                        Some(redis::Value::Int(n)) => *n,
                        other => return Err(format!("{other:?}")),
                    },
                    other => return Err(format!("{other:?}")),
                };
                if pending != 0 {
                    return Err(format!("{pending} pending in {group}"));
                }
            }
            Ok(())
        })
        .await;
        drop(serve_again);
    })
    .await;
}
