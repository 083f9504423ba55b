//! Monitoring agents' events: a batch is taken event by event (a bad one is named and the
//! rest go on); events sent again are dropped as duplicates; a fingerprint's events fold into
//! one alert that opens one incident, which a recovery resolves and a relapse reopens;
//! flapping keeps that one incident open; maintenance windows silence matching events; one
//! tenant sees nothing of another's alerts.

use chrono::{DateTime, TimeDelta, Utc};
use serde_json::{Value, json};

use crate::helpers::*;

fn at(s: &str) -> DateTime<Utc> {
    s.parse().unwrap()
}

const NOW: &str = "2026-11-30T08:00:00Z";

/// An agent's key for the tenant (`events:write`).
async fn agent_key(app: &TestApp, tenant: uuid::Uuid, admin: &str, scopes: &[&str]) -> String {
    let created = json_ok(
        app.post(
            &format!("/api/v1/tenants/{tenant}/api-keys"),
            admin,
            json!({"name": "monitoring agent", "scopes": scopes}),
        )
        .await,
        201,
    )
    .await;
    created["key"].as_str().unwrap().to_owned()
}

async fn send(app: &TestApp, key: &str, events: Value) -> reqwest::Response {
    app.http
        .post(app.url("/api/v1/events"))
        .header("x-api-key", key)
        .json(&json!({"events": events}))
        .send()
        .await
        .unwrap()
}

fn ev(host: &str, check: &str, severity: &str, mins_ago: i64) -> Value {
    let t = at(NOW) - TimeDelta::minutes(mins_ago);
    json!({"host": host, "check": check, "severity": severity, "message": format!("{check} is {severity}"),
        "occurred_at": t.to_rfc3339()})
}

fn refs(out: &Value, what: &str) -> Vec<String> {
    out["incidents"][what]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["ticket_id"].as_str().unwrap().to_owned())
        .collect()
}

backend_test!(events_fold_into_one_incident_per_alert_that_recovery_resolves_and_relapse_reopens: Backend);
async fn events_fold_into_one_incident_per_alert_that_recovery_resolves_and_relapse_reopens(
    backend: Backend,
) {
    let app = TestApp::spawn_at(backend, |_| {}, at(NOW)).await;
    let root = app.admin_token().await;
    let (tenant, admin) = app.tenant("MON").await;
    let key = agent_key(&app, tenant, &admin, &["events:write"]).await;

    // Three events of one disk, one of a switch, and one without a check.
    let batch = json!([
        ev("FS01", "disk /data", "warning", 30),
        {"host": "fs01", "severity": "error", "occurred_at": "2026-11-30T07:40:00Z"},
        ev("fs01", "disk /data", "error", 20),
        ev("fs01", "disk /data", "critical", 10),
        ev("sw-core", "ping", "error", 5),
    ]);
    let out = json_ok(send(&app, &key, batch.clone()).await, 202).await;
    assert_eq!(out["accepted"], 4, "{out}");
    assert_eq!(out["deduplicated"], 0);
    assert_eq!(out["rejected"].as_array().unwrap().len(), 1);
    assert_eq!(out["rejected"][0]["index"], 1);
    assert_eq!(out["rejected"][0]["errors"][0]["field"], "check");
    assert_eq!(out["alerts"], 2);
    let opened = refs(&out, "opened");
    assert_eq!(opened.len(), 2, "one incident per alert: {out}");

    // The same batch again (an agent retrying): nothing new.
    let again = json_ok(send(&app, &key, batch).await, 202).await;
    assert_eq!((again["accepted"].as_i64(), again["deduplicated"].as_i64()), (Some(0), Some(4)), "{again}");
    assert!(refs(&again, "opened").is_empty());

    // The incidents: category from the check, priority from the peak severity.
    let alerts =
        json_ok(app.get(&format!("/api/v1/events/alerts?tenant_id={tenant}"), &root).await, 200).await;
    let disk = alerts.as_array().unwrap().iter().find(|a| a["check"] == "disk /data").unwrap().clone();
    assert_eq!(
        (&disk["count"], &disk["peak"], &disk["status"]),
        (&json!(3), &json!("critical"), &json!("firing"))
    );
    let disk_ticket = disk["ticket_id"].as_str().unwrap().to_owned();
    let t = json_ok(app.get(&format!("/api/v1/tickets/{disk_ticket}"), &root).await, 200).await;
    assert_eq!(
        (&t["type"], &t["category"], &t["priority"], &t["channel"]),
        (&json!("incident"), &json!("hardware"), &json!("P1"), &json!("agent_event"))
    );
    let ping = alerts.as_array().unwrap().iter().find(|a| a["check"] == "ping").unwrap().clone();
    let p = json_ok(
        app.get(&format!("/api/v1/tickets/{}", ping["ticket_id"].as_str().unwrap()), &root).await,
        200,
    )
    .await;
    assert_eq!((&p["category"], &p["priority"]), (&json!("network"), &json!("P2")));

    // More of the same problem updates the alert, opens nothing.
    let more = json_ok(send(&app, &key, json!([ev("fs01", "disk /data", "error", 4)])).await, 202).await;
    assert!(refs(&more, "opened").is_empty());
    assert_eq!(refs(&more, "updated"), [disk_ticket.as_str()]);

    // Recovery resolves the incident; the problem back within the window reopens it.
    let ok = json_ok(send(&app, &key, json!([ev("fs01", "disk /data", "ok", 3)])).await, 202).await;
    assert_eq!(refs(&ok, "resolved"), [disk_ticket.as_str()]);
    let t = json_ok(app.get(&format!("/api/v1/tickets/{disk_ticket}"), &root).await, 200).await;
    assert_eq!((&t["status"], &t["resolution_code"]), (&json!("resolved"), &json!("auto_recovered")));
    let back = json_ok(send(&app, &key, json!([ev("fs01", "disk /data", "error", 1)])).await, 202).await;
    assert_eq!(refs(&back, "reopened"), [disk_ticket.as_str()]);
    assert!(refs(&back, "opened").is_empty());
    let t = json_ok(app.get(&format!("/api/v1/tickets/{disk_ticket}"), &root).await, 200).await;
    assert_eq!(t["status"], "in_progress");
    let detail = json_ok(
        app.get(&format!("/api/v1/events/alerts/{}", disk["id"].as_str().unwrap()), &admin).await,
        200,
    )
    .await;
    assert_eq!(detail["count"], 6);
    assert_eq!(detail["events"].as_array().unwrap().len(), 6);
    assert_eq!(detail["ticket_id"], json!(disk_ticket));

    // Bad batches and keys: clear 4xx, nothing taken.
    let none = send(&app, &key, json!([{"host": "x"}, "nope"])).await;
    let body = problem(none, 422, "validation_failed").await;
    assert!(body.to_string().contains("events[1].event"), "{body}");
    problem(
        app.http
            .post(app.url("/api/v1/events"))
            .header("x-api-key", &key)
            .json(&json!({"events": []}))
            .send()
            .await
            .unwrap(),
        422,
        "validation_failed",
    )
    .await;
    let reader = agent_key(&app, tenant, &admin, &["tickets:read"]).await;
    problem(send(&app, &reader, json!([ev("h", "c", "error", 1)])).await, 403, "forbidden").await;
    let (_, requester) = app.user(tenant, &admin, "someone@mon.test", &["requester"]).await;
    problem(
        app.post("/api/v1/events", &requester, json!({"events": [ev("h", "c", "error", 1)]})).await,
        403,
        "forbidden",
    )
    .await;

    // Another tenant sees none of it.
    let (_, other) = app.tenant("MONX").await;
    assert_eq!(json_ok(app.get("/api/v1/events/alerts", &other).await, 200).await, json!([]));
    problem(
        app.get(&format!("/api/v1/events/alerts/{}", disk["id"].as_str().unwrap()), &other).await,
        404,
        "not_found",
    )
    .await;
    problem(app.get(&format!("/api/v1/events/alerts?tenant_id={tenant}"), &other).await, 404, "not_found")
        .await;
    let mine = json_ok(app.get("/api/v1/events/alerts", &admin).await, 200).await;
    assert_eq!(mine.as_array().unwrap().len(), 2);
    app.stop().await;
}

backend_test!(flapping_stays_one_open_incident_and_maintenance_silences_its_hosts: Backend);
async fn flapping_stays_one_open_incident_and_maintenance_silences_its_hosts(backend: Backend) {
    let app = TestApp::spawn_at(backend, |_| {}, at(NOW)).await;
    let root = app.admin_token().await;
    let (tenant, admin) = app.tenant("FLAP").await;
    let path = format!("/api/v1/tenants/{tenant}/config");
    let mut config = json_ok(app.get(&path, &admin).await, 200).await;
    config["monitoring"]["flap_threshold"] = json!(2);
    config["monitoring"]["maintenance"] = json!([
        {"name": "switch swap", "hosts": ["sw*"], "starts_at": "2026-11-30T07:00:00Z", "ends_at": "2026-11-30T09:00:00Z"},
        {"name": "nightly backup", "checks": ["backup*"], "weekly": {"days": ["mon"], "from": "15:00", "to": "17:00"}}
    ]);
    json_ok(app.put(&path, &admin, config.clone()).await, 200).await;
    // Rules are checked with the rest of the configuration.
    let mut bad = config.clone();
    bad["monitoring"]["open_at"] = json!("ok");
    bad["monitoring"]["categories"] = json!([{"contains": "erp", "category": "printers"}]);
    let body = problem(app.put(&path, &admin, bad).await, 422, "validation_failed").await;
    assert!(body.to_string().contains("monitoring.open_at"), "{body}");
    assert!(body.to_string().contains("monitoring.categories[0].category"), "{body}");
    let key = agent_key(&app, tenant, &admin, &["events:write"]).await;

    // fw1 goes down and up, batch after batch: resolved and reopened twice, then flapping —
    // the third recovery leaves the one incident open.
    let mut tickets = std::collections::HashSet::new();
    let mut resolved = 0;
    for (i, sev) in ["error", "ok", "error", "ok", "error", "ok", "error", "ok"].iter().enumerate() {
        let out = json_ok(send(&app, &key, json!([ev("fw1", "ping", sev, 40 - i as i64)])).await, 202).await;
        for what in ["opened", "reopened", "resolved", "updated"] {
            tickets.extend(refs(&out, what));
        }
        resolved += refs(&out, "resolved").len();
    }
    assert_eq!(tickets.len(), 1, "one incident throughout");
    assert_eq!(resolved, 2, "resolved until it flapped");
    let alerts = json_ok(app.get("/api/v1/events/alerts", &admin).await, 200).await;
    let fw = &alerts[0];
    assert_eq!(
        (&fw["flapping"], &fw["status"], &fw["incident"]),
        (&json!(true), &json!("resolved"), &json!("open"))
    );
    let ticket = tickets.into_iter().next().unwrap();
    let t = json_ok(app.get(&format!("/api/v1/tickets/{ticket}"), &root).await, 200).await;
    assert_eq!(t["status"], "in_progress", "flapping keeps it open");

    // Maintenance: the switches during the swap, and backups on Monday 15:00–17:00 in
    // Shanghai (07:00–09:00 UTC), are silenced — taken, but no alert, no incident.
    let out = json_ok(
        send(
            &app,
            &key,
            json!([
                ev("sw01", "ping", "critical", 10),
                ev("fs01", "backup job", "error", 30),
                ev("fs01", "disk /data", "critical", 5)
            ]),
        )
        .await,
        202,
    )
    .await;
    assert_eq!((out["accepted"].as_i64(), out["silenced"].as_i64()), (Some(3), Some(2)), "{out}");
    assert_eq!(refs(&out, "opened").len(), 1, "only the disk: {out}");
    let alerts = json_ok(app.get("/api/v1/events/alerts", &admin).await, 200).await;
    assert_eq!(alerts.as_array().unwrap().len(), 2, "fw1 and the disk: {alerts}");
    app.stop().await;
}

backend_test!(a_busy_replica_answers_429_and_resent_batches_lose_nothing: Backend);
async fn a_busy_replica_answers_429_and_resent_batches_lose_nothing(backend: Backend) {
    // One batch at a time, and no waiting for a turn.
    let app = TestApp::spawn_at(
        backend,
        |s| {
            s.events.ingest_max_in_flight = 1;
            s.events.ingest_wait_ms = 0;
        },
        at(NOW),
    )
    .await;
    let (tenant, admin) = app.tenant("BUSY").await;
    let key = agent_key(&app, tenant, &admin, &["events:write"]).await;
    let batches: Vec<Value> = (0..8)
        .map(|b| {
            Value::Array(
                (0..400).map(|i| ev(&format!("host-{b}-{i}"), "cpu", "info", (i % 50) as i64)).collect(),
            )
        })
        .collect();
    let (mut busy, mut accepted) = (0, 0);
    let mut pending: Vec<Value> = batches;
    while !pending.is_empty() {
        let answers =
            futures_util::future::join_all(pending.iter().map(|b| send(&app, &key, b.clone()))).await;
        let mut again = Vec::new();
        for (batch, res) in pending.into_iter().zip(answers) {
            match res.status().as_u16() {
                202 => accepted += res.json::<Value>().await.unwrap()["accepted"].as_u64().unwrap(),
                429 => {
                    assert_eq!(res.headers()["retry-after"], "1");
                    busy += 1;
                    again.push(batch);
                }
                other => panic!("{other}: {}", res.text().await.unwrap()),
            }
        }
        pending = again;
    }
    assert!(busy > 0, "eight batches at once against one turn: some are told to come back");
    assert_eq!(accepted, 8 * 400, "every event taken once in the end");
    let alerts = json_ok(app.get("/api/v1/events/alerts?limit=500", &admin).await, 200).await;
    assert_eq!(alerts.as_array().unwrap().len(), 500, "one alert per fingerprint (listing caps at 500)");
    app.stop().await;
}
