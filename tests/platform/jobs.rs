//! Recurring maintenance jobs: each tick opens one service request, exactly once across
//! scheduler replicas, and a run abandoned by a dead replica is finished by another.

use std::time::Duration;

use chrono::{DateTime, Utc};
use sea_orm::ConnectionTrait;
use sea_orm::sea_query::{Alias, Expr, ExprTrait, Query};
use serde_json::{Value, json};

use crate::helpers::*;

fn at(s: &str) -> DateTime<Utc> {
    s.parse().unwrap()
}

const INSPECTION: &str = "Daily health inspection";

async fn customer(app: &TestApp, key: &str) -> (uuid::Uuid, String, String) {
    let root = app.admin_token().await;
    let (tenant, admin) = app.tenant(key).await;
    app.contract(
        &root,
        tenant,
        json!({"name": format!("{key} tier"), "coverage": "24x7",
            "targets": {"P1": {"first_response_mins": 60, "resolution_mins": 480},
                        "P2": {"first_response_mins": 120, "resolution_mins": 960},
                        "P3": {"first_response_mins": 240, "resolution_mins": 1440},
                        "P4": {"first_response_mins": 480, "resolution_mins": 4800}},
            "availability_target_bp": 9900, "credit_policy": {"cap_bp": 1000}}),
    )
    .await;
    (tenant, admin, root)
}

async fn inspection(app: &TestApp, token: &str, tenant: uuid::Uuid) -> Value {
    json_ok(
        app.post(
            "/api/v1/schedules",
            token,
            json!({"tenant_id": tenant, "name": "Health check", "cron": "0 8 * * *", "timezone": "Europe/Berlin",
                "action": {"type": "open_ticket", "title": INSPECTION, "category": "hardware"}}),
        )
        .await,
        201,
    )
    .await
}

/// Waits until the run history of `schedule` satisfies `done`.
async fn runs_until(
    app: &TestApp,
    token: &str,
    schedule: &str,
    done: impl Fn(&[Value]) -> bool,
) -> Vec<Value> {
    eventually(&format!("the runs of {schedule} as expected"), Duration::from_secs(20), async || {
        let runs = json_ok(app.get(&format!("/api/v1/jobs?schedule_id={schedule}"), token).await, 200).await;
        if done(runs.as_array().unwrap()) {
            Ok(runs.as_array().unwrap().clone())
        } else {
            Err(format!("{runs:#}"))
        }
    })
    .await
}

async fn inspections(app: &TestApp, token: &str, tenant: uuid::Uuid) -> Vec<Value> {
    let list =
        json_ok(app.get(&format!("/api/v1/tickets?tenant_id={tenant}&q=health"), token).await, 200).await;
    list["items"].as_array().unwrap().clone()
}

backend_test!(two_scheduler_replicas_run_each_tick_once: Backend);
async fn two_scheduler_replicas_run_each_tick_once(backend: Backend) {
    // 08:59 in Berlin.
    let app = TestApp::spawn_at(backend, |s| s.scheduler.tick_ms = 20, at("2026-11-23T07:59:00Z")).await;
    let (second, _) = app.scheduler_replica().await;
    let (tenant, admin, root) = customer(&app, "MAINT").await;
    let dispatcher = app.staff("dispatch@provider.test", &["dispatcher"]).await;
    let s = inspection(&app, &dispatcher, tenant).await;
    let id = s["id"].as_str().unwrap().to_owned();
    assert_eq!(s["next_run_at"], "2026-11-24T07:00:00Z", "08:00 in Berlin on the next day");
    for day in ["2026-11-24", "2026-11-25", "2026-11-26"] {
        app.clock.set(at(&format!("{day}T07:00:05Z")));
        // Both replicas look several times while the tick is due.
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let runs =
        runs_until(&app, &root, &id, |r| r.len() == 3 && r.iter().all(|r| r["status"] == "succeeded")).await;
    let due: Vec<&str> = runs.iter().map(|r| r["due_at"].as_str().unwrap()).collect();
    assert_eq!(due, ["2026-11-26T07:00:00Z", "2026-11-25T07:00:00Z", "2026-11-24T07:00:00Z"]);
    let tickets = inspections(&app, &root, tenant).await;
    assert_eq!(tickets.len(), 3, "one service request per tick: {tickets:#?}");
    assert!(tickets.iter().all(|t| t["type"] == "service_request" && t["title"] == INSPECTION));
    // The tenant's admin sees the schedule and its runs, and the tickets.
    let mine = json_ok(app.get("/api/v1/schedules", &admin).await, 200).await;
    assert_eq!(mine.as_array().unwrap().len(), 1);
    assert_eq!(json_ok(app.get("/api/v1/jobs", &admin).await, 200).await.as_array().unwrap().len(), 3);
    second.stop(true).await;
    app.stop().await;
}

backend_test!(a_run_abandoned_by_a_dead_replica_is_finished_by_another_once: Backend);
async fn a_run_abandoned_by_a_dead_replica_is_finished_by_another_once(backend: Backend) {
    let app = TestApp::spawn_at(
        backend,
        |s| {
            s.scheduler.tick_ms = 20;
            s.scheduler.lease_secs = 30;
        },
        at("2026-11-23T07:59:00Z"),
    )
    .await;
    let (tenant, _admin, root) = customer(&app, "GHOST").await;
    let dispatcher = app.staff("dispatch@provider.test", &["dispatcher"]).await;
    let s = inspection(&app, &dispatcher, tenant).await;
    let id = s["id"].as_str().unwrap().to_owned();
    // A replica claimed the tick of 2026-11-24 08:00 Berlin, opened the ticket, and died
    // before recording it: its run is still `running`, its lease ends at 07:00:30.
    let db = canopy_kernel::db::connect(&app.settings, "scheduler").await.unwrap();
    let schedule_id: uuid::Uuid = id.parse().unwrap();
    // Written straight into the scheduler's tables, as that replica would have.
    let columns = [
        "schedule_id",
        "due_at",
        "tenant_id",
        "status",
        "owner",
        "lease_until",
        "attempts",
        "started_at",
        "finished_at",
        "outcome",
    ];
    let run = Query::insert()
        .into_table(Alias::new("job_runs"))
        .columns(columns.map(Alias::new))
        .values_panic([
            schedule_id.into(),
            at("2026-11-24T07:00:00Z").into(),
            Some(tenant).into(),
            "running".into(),
            "scheduler-ghost".into(),
            at("2026-11-24T07:00:30Z").into(),
            1i32.into(),
            at("2026-11-24T07:00:00Z").into(),
            None::<DateTime<Utc>>.into(),
            None::<Value>.into(),
        ])
        .to_owned();
    db.execute(&run).await.unwrap();
    let moved = Query::update()
        .table(Alias::new("schedules"))
        .value(Alias::new("next_run_at"), at("2026-11-25T07:00:00Z"))
        .and_where(Expr::col(Alias::new("id")).eq(schedule_id))
        .to_owned();
    db.execute(&moved).await.unwrap();
    let ghost_ticket = json!({"tenant_id": tenant, "type": "service_request", "title": INSPECTION,
        "description": "", "category": "hardware", "impact": "low", "urgency": "low", "channel": "api"});
    let key = format!("schedule-{id}-{}", at("2026-11-24T07:00:00Z").timestamp());
    let res = app
        .http
        .post(app.url("/api/v1/tickets"))
        .bearer_auth(&root)
        .header("idempotency-key", &key)
        .json(&ghost_ticket)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 201, "the ghost's ticket");

    // While its lease holds, nobody touches the run.
    app.clock.set(at("2026-11-24T07:00:20Z"));
    tokio::time::sleep(Duration::from_millis(200)).await;
    let runs = runs_until(&app, &root, &id, |r| r.len() == 1).await;
    assert_eq!(runs[0]["owner"], "scheduler-ghost");
    // The lease runs out: the live replica takes the run over and finishes it.
    app.clock.set(at("2026-11-24T07:01:00Z"));
    let runs = runs_until(&app, &root, &id, |r| r[0]["status"] == "succeeded").await;
    assert_eq!(runs.len(), 1);
    assert_eq!(runs[0]["attempts"], 2);
    assert_ne!(runs[0]["owner"], "scheduler-ghost");
    // The ticket the ghost opened is the run's ticket: none was opened twice.
    let tickets = inspections(&app, &root, tenant).await;
    assert_eq!(tickets.len(), 1, "{tickets:#?}");
    assert_eq!(runs[0]["outcome"]["ticket_id"], tickets[0]["id"]);
    app.stop().await;
}

backend_test!(schedules_are_validated_and_kept_to_their_tenant);
async fn schedules_are_validated_and_kept_to_their_tenant(app: &TestApp) {
    let (tenant, admin, root) = customer(app, "OWN").await;
    let (other, other_admin, _) = customer(app, "OTHR").await;
    let dispatcher = app.staff("dispatch@provider.test", &["dispatcher"]).await;
    let s = inspection(app, &dispatcher, tenant).await;
    let id = s["id"].as_str().unwrap();
    let bad = json!({"tenant_id": uuid::Uuid::now_v7(), "name": "", "cron": "61 * * *", "timezone": "Mars/Base",
        "action": {"type": "open_ticket", "title": "", "category": "hardware"}});
    let res = problem(app.post("/api/v1/schedules", &dispatcher, bad).await, 422, "validation_failed").await;
    let fields: Vec<&str> =
        res["errors"].as_array().unwrap().iter().map(|e| e["field"].as_str().unwrap()).collect();
    assert_eq!(fields, ["name", "action.title", "cron", "timezone", "tenant_id"]);
    let never = json!({"tenant_id": tenant, "name": "Never", "cron": "0 0 30 2 *", "timezone": "UTC",
        "action": {"type": "open_ticket", "title": "x", "category": "hardware"}});
    problem(app.post("/api/v1/schedules", &dispatcher, never).await, 422, "validation_failed").await;
    let unknown = json!({"tenant_id": tenant, "name": "x", "cron": "0 8 * * *", "timezone": "UTC",
        "action": {"type": "reboot_everything"}});
    problem(app.post("/api/v1/schedules", &dispatcher, unknown).await, 422, "validation_failed").await;
    // A system job is the provider's, a maintenance job a tenant's.
    let misplaced = json!({"tenant_id": tenant, "name": "Handover", "cron": "*/5 * * * *", "timezone": "UTC",
        "action": {"type": "shift_handover"}});
    let res =
        problem(app.post("/api/v1/schedules", &dispatcher, misplaced).await, 422, "validation_failed").await;
    assert_eq!(res["errors"][0]["field"], "tenant_id");
    let orphan = json!({"name": "Inspect", "cron": "0 8 * * *", "timezone": "UTC",
        "action": {"type": "open_ticket", "title": "x", "category": "hardware"}});
    problem(app.post("/api/v1/schedules", &dispatcher, orphan).await, 422, "validation_failed").await;
    let far = json!({"name": "Plan", "cron": "0 18 * * *", "timezone": "UTC",
        "action": {"type": "plan_rounds", "days_ahead": 9}});
    let res = problem(app.post("/api/v1/schedules", &dispatcher, far).await, 422, "validation_failed").await;
    assert_eq!(res["errors"][0]["field"], "action.days_ahead");
    let tomorrow = json!({"name": "Plan tomorrow", "cron": "0 18 * * *", "timezone": "Europe/Berlin",
        "action": {"type": "plan_rounds", "region": "Berlin", "days_ahead": 1}});
    let planning = json_ok(app.post("/api/v1/schedules", &dispatcher, tomorrow).await, 201).await;
    assert_eq!(planning["tenant_id"], Value::Null);
    assert_eq!(planning["action"]["region"], "berlin");
    // Tenants read their own and nothing else; they do not set schedules up.
    problem(app.post("/api/v1/schedules", &admin, json!({})).await, 403, "forbidden").await;
    problem(app.get(&format!("/api/v1/schedules/{id}"), &other_admin).await, 404, "not_found").await;
    problem(app.get(&format!("/api/v1/schedules?tenant_id={tenant}"), &other_admin).await, 404, "not_found")
        .await;
    problem(app.get(&format!("/api/v1/jobs?tenant_id={tenant}"), &other_admin).await, 404, "not_found").await;
    assert!(
        json_ok(app.get("/api/v1/schedules", &other_admin).await, 200).await.as_array().unwrap().is_empty()
    );
    assert_eq!(json_ok(app.get(&format!("/api/v1/schedules/{id}"), &admin).await, 200).await["id"], s["id"]);
    let (_, requester) = app.user(other, &other_admin, "r@othr.test", &["requester"]).await;
    problem(app.get("/api/v1/schedules", &requester).await, 403, "forbidden").await;
    // The provider sees the tenant's schedule and its own system job.
    assert_eq!(json_ok(app.get("/api/v1/schedules", &root).await, 200).await.as_array().unwrap().len(), 2);
}
