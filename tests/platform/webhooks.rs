//! Tenant webhooks: ticketing's events reach the tenant's endpoints signed with HMAC-SHA256
//! over timestamp and body, failures are retried with backoff, and every attempt is logged.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use actix_web::{App, HttpRequest, HttpResponse, HttpServer, web};
use chrono::{DateTime, TimeDelta, Utc};
use hmac::{Hmac, Mac};
use serde_json::{Value, json};
use sha2::Sha256;

use crate::helpers::*;

const SECRET: &str = "whsec_tenant_secret_0001";

#[derive(Clone, Debug)]
pub struct Received {
    pub path: String,
    pub signature: String,
    pub event: String,
    pub body: Vec<u8>,
}

/// A tenant's endpoint: `/flaky` fails its first call then accepts, `/down` always fails.
pub struct Receiver {
    pub base: String,
    pub seen: Arc<Mutex<Vec<Received>>>,
    pub handle: actix_web::dev::ServerHandle,
}

pub async fn receiver() -> Receiver {
    let seen: Arc<Mutex<Vec<Received>>> = Arc::default();
    let state = seen.clone();
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let server = HttpServer::new(move || {
        let state = state.clone();
        App::new().app_data(web::Data::new(state)).default_service(web::to(
            |req: HttpRequest, body: web::Bytes, seen: web::Data<Arc<Mutex<Vec<Received>>>>| async move {
                let header = |name: &str| {
                    req.headers().get(name).and_then(|v| v.to_str().ok()).unwrap_or_default().to_owned()
                };
                let mut seen = seen.lock().unwrap();
                let path = req.path().to_owned();
                let earlier = seen.iter().filter(|r| r.path == path).count();
                seen.push(Received {
                    path: path.clone(),
                    signature: header("canopy-signature"),
                    event: header("canopy-event"),
                    body: body.to_vec(),
                });
                if path == "/down" || (path == "/flaky" && earlier == 0) {
                    HttpResponse::InternalServerError().finish()
                } else {
                    HttpResponse::NoContent().finish()
                }
            },
        ))
    })
    .workers(1)
    .listen(listener)
    .unwrap()
    .run();
    let handle = server.handle();
    tokio::spawn(server);
    Receiver { base, seen, handle }
}

fn verify(secret: &str, header: &str, body: &[u8]) -> bool {
    let mut parts = header.split(',');
    let (Some(t), Some(v1)) =
        (parts.next().and_then(|p| p.strip_prefix("t=")), parts.next().and_then(|p| p.strip_prefix("v1=")))
    else {
        return false;
    };
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).unwrap();
    mac.update(format!("{t}.").as_bytes());
    mac.update(body);
    let hex: String = mac.finalize().into_bytes().iter().map(|b| format!("{b:02x}")).collect();
    hex == v1
}

async fn deliveries(app: &TestApp, tenant: &str, token: &str, query: &str) -> Vec<Value> {
    let page =
        json_ok(app.get(&format!("/api/v1/tenants/{tenant}/webhook-deliveries{query}"), token).await, 200)
            .await;
    page["items"].as_array().unwrap().clone()
}

pub async fn until(
    app: &TestApp,
    tenant: &str,
    token: &str,
    what: &str,
    done: impl Fn(&[Value]) -> bool,
) -> Vec<Value> {
    eventually(what, Duration::from_secs(20), async || {
        let rows = deliveries(app, tenant, token, "").await;
        if done(&rows) { Ok(rows) } else { Err(format!("{rows:#?}")) }
    })
    .await
}

fn at(s: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
}

backend_test!(ticket_events_reach_the_tenant_s_webhooks_signed_retried_and_logged: Backend);
async fn ticket_events_reach_the_tenant_s_webhooks_signed_retried_and_logged(backend: Backend) {
    let app = TestApp::spawn_at(
        backend,
        |s| {
            s.webhooks.retry_base_ms = 100;
            s.webhooks.poll_interval_ms = 50;
            s.webhooks.max_attempts = 3;
            s.sla.watch_interval_ms = 50;
        },
        at("2026-11-18T09:00:00Z"),
    )
    .await;
    let hooks = receiver().await;
    let root = app.admin_token().await;
    let (tenant, admin) = app.tenant("HOOK").await;
    let (other, other_admin) = app.tenant("NOHOOK").await;
    let path = format!("/api/v1/tenants/{tenant}/config");
    let mut c = json_ok(app.get(&path, &admin).await, 200).await;
    c["webhooks"] = json!([
        {"url": format!("{}/flaky", hooks.base), "events": ["ticket.created", "sla.breached"], "secret": SECRET},
        {"url": format!("{}/down", hooks.base), "events": ["ticket.created"], "secret": SECRET},
        {"url": format!("{}/off", hooks.base), "events": ["*"], "secret": SECRET, "active": false},
    ]);
    json_ok(app.put(&path, &admin, c).await, 200).await;
    app.contract(
        &root,
        tenant,
        json!({"name": "Hook tier", "coverage": "24x7",
            "targets": {"P1": {"first_response_mins": 30, "resolution_mins": 240},
                        "P2": {"first_response_mins": 60, "resolution_mins": 480},
                        "P3": {"first_response_mins": 120, "resolution_mins": 960},
                        "P4": {"first_response_mins": 240, "resolution_mins": 1920}},
            "availability_target_bp": 9900, "credit_policy": {"cap_bp": 1000}}),
    )
    .await;

    let t = json_ok(
        app.post(
            "/api/v1/tickets",
            &admin,
            json!({"type": "incident", "title": "Core switch down", "category": "network",
                "impact": "high", "urgency": "high"}),
        )
        .await,
        201,
    )
    .await;
    // The flaky endpoint gets it on the second attempt; the dead one is given up after three.
    let rows = until(&app, &tenant.to_string(), &admin, "created delivered", |rows| {
        rows.iter().any(|r| r["url"].as_str().unwrap().ends_with("/flaky") && r["status"] == "delivered")
            && rows.iter().any(|r| r["url"].as_str().unwrap().ends_with("/down") && r["status"] == "failed")
    })
    .await;
    assert_eq!(rows.len(), 2, "an inactive hook gets nothing: {rows:#?}");
    let flaky = rows.iter().find(|r| r["url"].as_str().unwrap().ends_with("/flaky")).unwrap();
    assert_eq!(flaky["attempts"], 2);
    assert_eq!(flaky["last_status_code"], 204);
    assert_eq!(flaky["event_type"], "ticket.created");
    assert_eq!(flaky["payload"]["data"]["reference"], t["reference"]);
    let down = rows.iter().find(|r| r["url"].as_str().unwrap().ends_with("/down")).unwrap().clone();
    assert_eq!(down["attempts"], 3);
    assert_eq!(down["last_status_code"], 500);
    assert!(down["last_error"].as_str().unwrap().contains("500"));

    {
        let seen = hooks.seen.lock().unwrap();
        assert_eq!(seen.iter().filter(|r| r.path == "/down").count(), 3);
        assert_eq!(seen.iter().filter(|r| r.path == "/off").count(), 0);
        let first = seen.iter().find(|r| r.path == "/flaky").unwrap();
        assert_eq!(first.event, "ticket.created");
        assert!(verify(SECRET, &first.signature, &first.body), "signed: {}", first.signature);
        assert!(!verify("another secret entirely", &first.signature, &first.body));
        let mut tampered = first.body.clone();
        tampered.push(b' ');
        assert!(!verify(SECRET, &first.signature, &tampered), "the body is what is signed");
        let body: Value = serde_json::from_slice(&first.body).unwrap();
        assert_eq!(body["type"], "ticket.created");
        assert_eq!(body["tenant_id"], json!(tenant));
    }

    // A breach reaches the hooks subscribed to it.
    app.clock.advance(TimeDelta::minutes(31));
    until(&app, &tenant.to_string(), &admin, "breach delivered", |rows| {
        rows.iter().any(|r| r["event_type"] == "sla.breached" && r["status"] == "delivered")
    })
    .await;
    let breached = deliveries(&app, &tenant.to_string(), &admin, "?status=delivered").await;
    let b = breached.iter().find(|r| r["event_type"] == "sla.breached").unwrap();
    assert_eq!(b["payload"]["data"]["metric"], "first_response");
    assert_eq!(b["payload"]["data"]["ticket_id"], t["id"]);

    // Redelivery gives a failed delivery a fresh set of attempts.
    let id = down["id"].as_str().unwrap();
    let again = json_ok(
        app.post(&format!("/api/v1/tenants/{tenant}/webhook-deliveries/{id}/redeliver"), &admin, json!({}))
            .await,
        202,
    )
    .await;
    assert_eq!(again["status"], "pending");
    assert_eq!(again["attempts"], 0);
    problem(
        app.post(&format!("/api/v1/tenants/{tenant}/webhook-deliveries/{id}/redeliver"), &admin, json!({}))
            .await,
        409,
        "invalid_transition",
    )
    .await;

    // Another tenant sees none of it, and cannot reach it by id.
    assert!(deliveries(&app, &other.to_string(), &other_admin, "").await.is_empty());
    problem(
        app.get(&format!("/api/v1/tenants/{tenant}/webhook-deliveries"), &other_admin).await,
        404,
        "not_found",
    )
    .await;
    problem(
        app.get(&format!("/api/v1/tenants/{other}/webhook-deliveries/{id}"), &other_admin).await,
        404,
        "not_found",
    )
    .await;
    problem(
        app.post(
            &format!("/api/v1/tenants/{other}/webhook-deliveries/{id}/redeliver"),
            &other_admin,
            json!({}),
        )
        .await,
        404,
        "not_found",
    )
    .await;
    problem(
        app.get(&format!("/api/v1/tenants/{tenant}/webhook-deliveries?status=lost"), &admin).await,
        422,
        "validation_failed",
    )
    .await;
    // Provider admins read every tenant's log.
    assert!(!deliveries(&app, &tenant.to_string(), &root, "").await.is_empty());
    hooks.handle.stop(false).await;
    app.stop().await;
}

backend_test!(webhooks_to_private_addresses_are_refused_by_default: Backend);
async fn webhooks_to_private_addresses_are_refused_by_default(backend: Backend) {
    let app = TestApp::spawn_at(
        backend,
        |s| {
            s.webhooks.allow_private_targets = false;
            s.webhooks.poll_interval_ms = 50;
        },
        at("2026-11-18T09:00:00Z"),
    )
    .await;
    let hooks = receiver().await;
    let root = app.admin_token().await;
    let (tenant, admin) = app.tenant("PRIV").await;
    let path = format!("/api/v1/tenants/{tenant}/config");
    let mut c = json_ok(app.get(&path, &admin).await, 200).await;
    c["webhooks"] = json!([{"url": format!("{}/ok", hooks.base), "events": ["*"], "secret": SECRET}]);
    json_ok(app.put(&path, &admin, c).await, 200).await;
    app.contract(
        &root,
        tenant,
        json!({"name": "Priv tier", "coverage": "24x7",
            "targets": {"P1": {"first_response_mins": 30, "resolution_mins": 240},
                        "P2": {"first_response_mins": 60, "resolution_mins": 480},
                        "P3": {"first_response_mins": 120, "resolution_mins": 960},
                        "P4": {"first_response_mins": 240, "resolution_mins": 1920}},
            "availability_target_bp": 9900, "credit_policy": {"cap_bp": 1000}}),
    )
    .await;
    json_ok(
        app.post(
            "/api/v1/tickets",
            &admin,
            json!({"type": "incident", "title": "Probe", "category": "network", "impact": "low", "urgency": "low"}),
        )
        .await,
        201,
    )
    .await;
    let rows = until(&app, &tenant.to_string(), &admin, "refused", |rows| {
        rows.iter().any(|r| r["status"] == "failed")
    })
    .await;
    assert!(rows[0]["last_error"].as_str().unwrap().contains("private"), "{rows:#?}");
    assert_eq!(rows[0]["attempts"], 1, "not retried: retrying cannot help");
    assert!(hooks.seen.lock().unwrap().is_empty(), "nothing was sent");
    hooks.handle.stop(false).await;
    app.stop().await;
}
