//! Instant assignment: the right engineer by skill, shift, region and capacity, decisions with
//! their reasons, overrides, and one assignment however many replicas try.

use std::time::Duration;

use chrono::{DateTime, Utc};
use serde_json::{Value, json};

use crate::helpers::*;

fn at(s: &str) -> DateTime<Utc> {
    s.parse().unwrap()
}

const OFFICE: &str = r#"{"weekly": {"mon": [["08:00","17:00"]], "tue": [["08:00","17:00"]], "wed": [["08:00","17:00"]],
    "thu": [["08:00","17:00"]], "fri": [["08:00","17:00"]], "sat": [], "sun": []}}"#;

/// A staff user with the engineer role and their engineer record; answers (engineer id, user id).
async fn engineer(
    app: &TestApp,
    dispatcher: &str,
    email: &str,
    skills: Value,
    region: &str,
    capacity: u32,
) -> (String, String) {
    let token = app.staff(email, &["engineer"]).await;
    let user =
        json_ok(app.get("/api/v1/auth/me", &token).await, 200).await["id"].as_str().unwrap().to_owned();
    let e = json_ok(
        app.post(
            "/api/v1/engineers",
            dispatcher,
            json!({"name": email, "email": email, "user_id": user, "support_level": 2, "skills": skills,
                "home_region": region, "timezone": "Europe/Berlin", "shifts": serde_json::from_str::<Value>(OFFICE).unwrap(),
                "capacity": capacity}),
        )
        .await,
        201,
    )
    .await;
    (e["id"].as_str().unwrap().to_owned(), user)
}

async fn customer(app: &TestApp, key: &str) -> (uuid::Uuid, String, String, String) {
    let root = app.admin_token().await;
    let (tenant, admin) = app.tenant(key).await;
    let path = format!("/api/v1/tenants/{tenant}/config");
    let mut c = json_ok(app.get(&path, &admin).await, 200).await;
    c["sites"] = json!([{"name": "Warehouse", "address": "Am Sandtorkai 50, Hamburg", "region": "hamburg"}]);
    let c = json_ok(app.put(&path, &admin, c).await, 200).await;
    let site = c["sites"][0]["id"].as_str().unwrap().to_owned();
    app.contract(
        &root,
        tenant,
        json!({"name": format!("{key} tier"), "coverage": "24x7",
            "targets": {"P1": {"first_response_mins": 60, "resolution_mins": 480, "onsite_mins": 240},
                        "P2": {"first_response_mins": 120, "resolution_mins": 960},
                        "P3": {"first_response_mins": 240, "resolution_mins": 1440},
                        "P4": {"first_response_mins": 480, "resolution_mins": 4800}},
            "availability_target_bp": 9900, "credit_policy": {"cap_bp": 1000}}),
    )
    .await;
    (tenant, admin, root, site)
}

async fn raise(app: &TestApp, token: &str, category: &str, onsite_site: Option<&str>) -> String {
    let mut body = json!({"type": "incident", "title": "Something broke", "category": category,
        "impact": "high", "urgency": "high"});
    if let Some(site) = onsite_site {
        body["onsite_required"] = json!(true);
        body["site_id"] = json!(site);
    }
    json_ok(app.post("/api/v1/tickets", token, body).await, 201).await["id"].as_str().unwrap().to_owned()
}

/// Waits for the ticket's dispatch decisions to reach `count`.
async fn decided(app: &TestApp, token: &str, ticket: &str, count: usize) -> Vec<Value> {
    eventually(&format!("{count} decisions for {ticket}"), Duration::from_secs(20), async || {
        let d = json_ok(app.get(&format!("/api/v1/dispatch/decisions/{ticket}"), token).await, 200).await;
        if d.as_array().unwrap().len() >= count { Ok(d.as_array().unwrap().clone()) } else { Err(d) }
    })
    .await
}

backend_test!(tickets_go_to_the_engineer_with_the_skill_the_region_and_room: Backend);
async fn tickets_go_to_the_engineer_with_the_skill_the_region_and_room(backend: Backend) {
    // Monday 10:00 in Berlin.
    let app = TestApp::spawn_at(backend, |_| {}, at("2026-11-23T09:00:00Z")).await;
    let dispatcher = app.staff("dispatch@provider.test", &["dispatcher"]).await;
    let (skilled, skilled_user) = engineer(
        &app,
        &dispatcher,
        "net@provider.test",
        json!([{"key": "network", "level": 3}]),
        "berlin",
        5,
    )
    .await;
    let (idle, _) = engineer(
        &app,
        &dispatcher,
        "win@provider.test",
        json!([{"key": "windows", "level": 3}]),
        "berlin",
        5,
    )
    .await;
    let (north, north_user) = engineer(
        &app,
        &dispatcher,
        "north@provider.test",
        json!([{"key": "network", "level": 1}]),
        "hamburg",
        1,
    )
    .await;
    let (tenant, admin, root, site) = customer(&app, "DISP").await;

    // A P1 network incident goes to the network engineer, not the idle one without the skill.
    let t1 = raise(&app, &admin, "network", None).await;
    let d = decided(&app, &dispatcher, &t1, 1).await;
    assert_eq!(d[0]["mode"], "auto");
    assert_eq!(d[0]["engineer_id"], json!(skilled));
    let idle_row =
        d[0]["candidates"].as_array().unwrap().iter().find(|c| c["engineer_id"] == json!(idle)).unwrap();
    assert_eq!(idle_row["eligible"], false);
    assert!(idle_row["reasons"].as_array().unwrap().contains(&json!("no skill network")));
    let ticket = json_ok(app.get(&format!("/api/v1/tickets/{t1}"), &admin).await, 200).await;
    assert_eq!(ticket["assignee_id"], json!(skilled_user));

    // On-site work in Hamburg goes to the engineer covering Hamburg.
    let t2 = raise(&app, &admin, "network", Some(&site)).await;
    let d = decided(&app, &dispatcher, &t2, 1).await;
    assert_eq!(d[0]["engineer_id"], json!(north));
    let ticket = json_ok(app.get(&format!("/api/v1/tickets/{t2}"), &admin).await, 200).await;
    assert_eq!(ticket["assignee_id"], json!(north_user));

    // The Hamburg engineer is now at capacity (1): the next Hamburg job finds nobody.
    let t3 = raise(&app, &admin, "network", Some(&site)).await;
    let d = decided(&app, &dispatcher, &t3, 1).await;
    assert_eq!(d[0]["mode"], "none");
    let north_row =
        d[0]["candidates"].as_array().unwrap().iter().find(|c| c["engineer_id"] == json!(north)).unwrap();
    assert!(north_row["reasons"].as_array().unwrap().contains(&json!("at capacity (1/1)")), "{north_row}");
    let ticket = json_ok(app.get(&format!("/api/v1/tickets/{t3}"), &admin).await, 200).await;
    assert_eq!(ticket["assignee_id"], Value::Null, "left in the queue");

    // The queue shows it, across tenants, with its time to breach; the engineers their load.
    let queue =
        json_ok(app.get("/api/v1/dispatch/queue?at_risk_within_mins=0", &dispatcher).await, 200).await;
    let first = &queue.as_array().unwrap()[0];
    assert_eq!(first["ticket_id"], json!(t3), "{queue:#}");
    assert_eq!(first["assignee_id"], Value::Null);
    assert_eq!(first["metric"], "first_response");
    assert_eq!(first["time_to_breach_secs"], 3600);
    assert_eq!(queue.as_array().unwrap().len(), 1, "assigned tickets not at risk stay out");
    let north_now = json_ok(app.get(&format!("/api/v1/engineers/{north}"), &dispatcher).await, 200).await;
    assert_eq!(north_now["load"], 1);
    problem(app.get("/api/v1/dispatch/queue", &admin).await, 403, "forbidden").await;
    problem(
        app.get("/api/v1/dispatch/queue?at_risk_within_mins=-1", &dispatcher).await,
        422,
        "validation_failed",
    )
    .await;

    // A dispatcher overrides, with a reason; without one the override is refused.
    let ask = json!({"ticket_id": t3, "engineer_id": skilled});
    problem(app.post("/api/v1/dispatch/assign", &dispatcher, ask).await, 422, "validation_failed").await;
    let ask = json!({"ticket_id": t3, "engineer_id": skilled, "reason": "drives up from Berlin today"});
    let done = json_ok(app.post("/api/v1/dispatch/assign", &dispatcher, ask).await, 200).await;
    assert_eq!(done["engineer_id"], json!(skilled));
    let d = decided(&app, &dispatcher, &t3, 2).await;
    assert_eq!(d[1]["mode"], "override");
    assert_eq!(d[1]["reason"], "drives up from Berlin today");

    // Tenants never see dispatch; agents cannot override.
    problem(app.get(&format!("/api/v1/dispatch/decisions/{t1}"), &admin).await, 403, "forbidden").await;
    let agent = app.staff("desk@provider.test", &["agent"]).await;
    problem(app.post("/api/v1/dispatch/assign", &agent, json!({"ticket_id": t1})).await, 403, "forbidden")
        .await;
    problem(
        app.post("/api/v1/dispatch/assign", &dispatcher, json!({"ticket_id": uuid::Uuid::now_v7()})).await,
        404,
        "not_found",
    )
    .await;
    let _ = (tenant, root);
    app.stop().await;
}

backend_test!(two_replicas_assigning_the_same_ticket_assign_it_once: Backend);
async fn two_replicas_assigning_the_same_ticket_assign_it_once(backend: Backend) {
    let app = TestApp::spawn_at(backend, |_| {}, at("2026-11-23T09:00:00Z")).await;
    let (_second, second_base) = app.scheduler_replica().await;
    let dispatcher = app.staff("dispatch@provider.test", &["dispatcher"]).await;
    let (_tenant, admin, _root, _site) = customer(&app, "RACE").await;
    // Nobody can take software tickets yet: the ticket waits unassigned.
    let t = raise(&app, &admin, "software", None).await;
    let d = decided(&app, &dispatcher, &t, 1).await;
    assert_eq!(d[0]["mode"], "none");
    engineer(&app, &dispatcher, "sw@provider.test", json!([{"key": "software", "level": 2}]), "berlin", 5)
        .await;
    // Both replicas are asked at once.
    let ask = json!({"ticket_id": t});
    let first = app.http.post(app.url("/api/v1/dispatch/assign")).bearer_auth(&dispatcher).json(&ask).send();
    let second = app
        .http
        .post(format!("{second_base}/api/v1/dispatch/assign"))
        .bearer_auth(&dispatcher)
        .json(&ask)
        .send();
    let (a, b) = tokio::join!(first, second);
    let (a, b) = (a.unwrap(), b.unwrap());
    let statuses = [a.status().as_u16(), b.status().as_u16()];
    assert!(statuses.contains(&200), "{statuses:?}");
    assert!(statuses.iter().all(|s| [200, 412].contains(s)), "{statuses:?}");
    let audit = json_ok(app.get(&format!("/api/v1/tickets/{t}/audit"), &dispatcher).await, 200).await;
    let assigned = audit["items"].as_array().unwrap().iter().filter(|e| e["kind"] == "assigned").count();
    assert_eq!(assigned, 1, "{audit:#}");
    app.stop().await;
}

backend_test!(a_backlog_assigned_together_places_what_one_by_one_cannot: Backend);
async fn a_backlog_assigned_together_places_what_one_by_one_cannot(backend: Backend) {
    let app = TestApp::spawn_at(backend, |_| {}, at("2026-11-23T09:00:00Z")).await;
    let dispatcher = app.staff("dispatch@provider.test", &["dispatcher"]).await;
    let (_tenant, admin, _root, _site) = customer(&app, "BATCH").await;
    // The morning backlog, raised before anyone is on the team: both wait.
    let network = raise(&app, &admin, "network", None).await;
    let hardware = raise(&app, &admin, "hardware", None).await;
    decided(&app, &dispatcher, &network, 1).await;
    decided(&app, &dispatcher, &hardware, 1).await;
    // A does both kinds of work, B only network; one place each. One by one, the network
    // ticket would take A (the better network engineer) and leave the hardware ticket.
    let (a, _) = engineer(
        &app,
        &dispatcher,
        "both@provider.test",
        json!([{"key": "network", "level": 3}, {"key": "hardware", "level": 1}]),
        "berlin",
        1,
    )
    .await;
    let (b, _) = engineer(
        &app,
        &dispatcher,
        "net1@provider.test",
        json!([{"key": "network", "level": 1}]),
        "berlin",
        1,
    )
    .await;
    let done = json_ok(
        app.post("/api/v1/dispatch/assign-batch", &dispatcher, json!({"ticket_ids": [network, hardware]}))
            .await,
        200,
    )
    .await;
    assert_eq!(
        done,
        json!([{"ticket_id": network, "engineer_id": b}, {"ticket_id": hardware, "engineer_id": a}])
    );
    let d = decided(&app, &dispatcher, &hardware, 2).await;
    assert_eq!(d[1]["mode"], "batch");
    // Bad batches are refused whole.
    problem(
        app.post("/api/v1/dispatch/assign-batch", &dispatcher, json!({"ticket_ids": []})).await,
        422,
        "validation_failed",
    )
    .await;
    problem(
        app.post("/api/v1/dispatch/assign-batch", &dispatcher, json!({"ticket_ids": [network, network]}))
            .await,
        422,
        "validation_failed",
    )
    .await;
    problem(
        app.post("/api/v1/dispatch/assign-batch", &admin, json!({"ticket_ids": [network]})).await,
        403,
        "forbidden",
    )
    .await;
    app.stop().await;
}

backend_test!(tickets_of_an_engineer_gone_off_shift_are_handed_over_when_they_cannot_wait: Backend);
async fn tickets_of_an_engineer_gone_off_shift_are_handed_over_when_they_cannot_wait(backend: Backend) {
    // Monday 16:00 in Berlin; the system jobs run (handover every 5 minutes).
    let app =
        TestApp::spawn_at(backend, |s| s.scheduler.system_jobs = true, at("2026-11-23T15:00:00Z")).await;
    let dispatcher = app.staff("dispatch@provider.test", &["dispatcher"]).await;
    let (day, _) = engineer(
        &app,
        &dispatcher,
        "day@provider.test",
        json!([{"key": "network", "level": 3}]),
        "berlin",
        5,
    )
    .await;
    // The late shift: 16:00–24:00 Berlin.
    let late_token = app.staff("late@provider.test", &["engineer"]).await;
    let late_user =
        json_ok(app.get("/api/v1/auth/me", &late_token).await, 200).await["id"].as_str().unwrap().to_owned();
    let late_day = r#"[["16:00","24:00"]]"#;
    let shifts: Value = serde_json::from_str(&format!(
        r#"{{"weekly": {{"mon": {late_day}, "tue": {late_day}, "wed": {late_day}, "thu": {late_day}, "fri": {late_day}}}}}"#
    ))
    .unwrap();
    let late = json_ok(
        app.post(
            "/api/v1/engineers",
            &dispatcher,
            json!({"name": "Late", "email": "late@provider.test", "user_id": late_user, "support_level": 2,
                "skills": [{"key": "network", "level": 2}], "home_region": "berlin", "timezone": "Europe/Berlin",
                "shifts": shifts, "capacity": 5}),
        )
        .await,
        201,
    )
    .await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let (_tenant, admin, _root, _site) = customer(&app, "HAND").await;

    // A P1 (resolution due in 8 hours, 23:00Z) and a P4 (due in days), both with the day engineer.
    let urgent = raise(&app, &admin, "network", None).await;
    let body = json!({"type": "incident", "title": "Printer slow", "category": "network",
        "impact": "low", "urgency": "low"});
    let calm = json_ok(app.post("/api/v1/tickets", &admin, body).await, 201).await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    for t in [&urgent, &calm] {
        decided(&app, &dispatcher, t, 1).await;
        let ask = json!({"ticket_id": t, "engineer_id": day, "reason": "knows this customer"});
        json_ok(app.post("/api/v1/dispatch/assign", &dispatcher, ask).await, 200).await;
    }

    // 17:10 Berlin: the day engineer has gone home until 08:00 tomorrow.
    app.clock.set(at("2026-11-23T16:10:00Z"));
    let d = decided(&app, &dispatcher, &urgent, 3).await;
    let last = d.last().unwrap();
    assert_eq!(last["mode"], "handover", "{d:#?}");
    assert_eq!(last["engineer_id"], json!(late));
    assert!(last["reason"].as_str().unwrap().contains("off shift until 2026-11-24 07:00:00 UTC"), "{last}");
    let ticket = json_ok(app.get(&format!("/api/v1/tickets/{urgent}"), &admin).await, 200).await;
    assert_eq!(ticket["assignee_id"], json!(late_user));

    // The run history says what happened; the P4 waits for its engineer.
    let handover = "00000000-0000-7000-8000-5c4ed0000001";
    let run = eventually("a handover run", Duration::from_secs(20), async || {
        let runs =
            json_ok(app.get(&format!("/api/v1/jobs?schedule_id={handover}"), &dispatcher).await, 200).await;
        runs.as_array().unwrap().iter().find(|r| r["status"] == "succeeded").cloned().ok_or(runs)
    })
    .await;
    assert_eq!(run["tenant_id"], Value::Null);
    assert_eq!(run["outcome"]["handed_over"].as_array().unwrap().len(), 1, "{run}");
    assert_eq!(run["outcome"]["stayed"], 1);
    let d = decided(&app, &dispatcher, &calm, 2).await;
    assert!(d.iter().all(|d| d["mode"] != "handover"));
    let ticket = json_ok(app.get(&format!("/api/v1/tickets/{calm}"), &admin).await, 200).await;
    assert_ne!(ticket["assignee_id"], json!(late_user));

    // The hourly re-planning of the day's rounds ran too, as a system job.
    let plan = "00000000-0000-7000-8000-5c4ed0000002";
    let run = eventually("a planning run", Duration::from_secs(20), async || {
        let runs =
            json_ok(app.get(&format!("/api/v1/jobs?schedule_id={plan}"), &dispatcher).await, 200).await;
        runs.as_array().unwrap().iter().find(|r| r["status"] == "succeeded").cloned().ok_or(runs)
    })
    .await;
    assert_eq!(run["outcome"]["date"], "2026-11-23", "{run}");
    // System schedules are the provider's: listed for staff, not for a tenant.
    let all = json_ok(app.get("/api/v1/schedules", &dispatcher).await, 200).await;
    assert!(all.as_array().unwrap().iter().any(|s| s["id"] == handover && s["tenant_id"].is_null()));
    let own = json_ok(app.get("/api/v1/schedules", &admin).await, 200).await;
    assert!(own.as_array().unwrap().iter().all(|s| s["id"] != handover));
    app.stop().await;
}
