//! Tickets against the SLA: due times on the tenant's calendar, pauses, priority changes, the
//! state machine, audit, events, idempotency and isolation.

use chrono::{DateTime, TimeDelta, Utc};
use reqwest::Method;
use serde_json::{Value, json};
use uuid::Uuid;

use canopy_kernel::backends::StartFrom;

use crate::helpers::*;

fn at(s: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
}

const OFFICE: &str = r#"{"weekly": {"mon": [["09:00","18:00"]], "tue": [["09:00","18:00"]], "wed": [["09:00","18:00"]],
    "thu": [["09:00","18:00"]], "fri": [["09:00","18:00"]], "sat": [], "sun": []}}"#;

fn tier(name: &str, coverage: &str) -> Value {
    json!({"name": name, "coverage": coverage,
        "targets": {"P1": {"first_response_mins": 60, "resolution_mins": 480, "onsite_mins": 240},
                    "P2": {"first_response_mins": 120, "resolution_mins": 960},
                    "P3": {"first_response_mins": 240, "resolution_mins": 1440},
                    "P4": {"first_response_mins": 480, "resolution_mins": 4800}},
        "availability_target_bp": 9900, "credit_policy": {"cap_bp": 1000}})
}

struct Desk {
    tenant: Uuid,
    admin: String,
    root: String,
}

/// A tenant in Berlin on office hours, with a contract on a tier of `coverage`.
async fn desk(app: &TestApp, key: &str, coverage: &str) -> Desk {
    let root = app.admin_token().await;
    let (tenant, admin) = app.tenant(key).await;
    let mut c = json_ok(app.get(&format!("/api/v1/tenants/{tenant}/config"), &admin).await, 200).await;
    c["timezone"] = json!("Europe/Berlin");
    c["business_calendar"] = serde_json::from_str(OFFICE).unwrap();
    c["sites"] = json!([{"name": "HQ", "address": "Friedrichstraße 1, Berlin", "region": "berlin"}]);
    c["custom_fields"] = json!([{"key": "asset_tag", "label": "Asset tag", "type": "text"},
                                {"key": "floor", "label": "Floor", "type": "select", "options": ["1", "2", "3"]}]);
    json_ok(app.put(&format!("/api/v1/tenants/{tenant}/config"), &admin, c).await, 200).await;
    app.contract(&root, tenant, tier(&format!("{key} tier"), coverage)).await;
    Desk { tenant, admin, root }
}

fn clock<'a>(ticket: &'a Value, metric: &str) -> &'a Value {
    ticket["sla"]["clocks"].as_array().unwrap().iter().find(|c| c["metric"] == metric).unwrap_or(&Value::Null)
}

async fn raise(app: &TestApp, token: &str, body: Value) -> Value {
    json_ok(app.post("/api/v1/tickets", token, body).await, 201).await
}

fn incident(impact: &str, urgency: &str) -> Value {
    json!({"type": "incident", "title": "Mail server down", "category": "network", "impact": impact, "urgency": urgency})
}

backend_test!(a_p1_raised_friday_at_1755_on_8x5_is_due_on_monday: Backend);
async fn a_p1_raised_friday_at_1755_on_8x5_is_due_on_monday(backend: Backend) {
    // Friday 2026-11-20 17:55 in Berlin (CET).
    let app = TestApp::spawn_at(backend, |_| {}, at("2026-11-20T16:55:00Z")).await;
    let d = desk(&app, "FRI", "business_hours").await;
    let t = raise(&app, &d.admin, incident("high", "high")).await;
    assert_eq!(t["priority"], "P1");
    assert_eq!(t["reference"], "FRI-1");
    // 5 minutes on Friday, the rest from Monday 09:00 CET.
    assert_eq!(clock(&t, "first_response")["due_at"], "2026-11-23T08:55:00Z");
    assert_eq!(clock(&t, "resolution")["due_at"], "2026-11-23T15:55:00Z");
    assert_eq!(clock(&t, "onsite"), &Value::Null, "no on-site clock without on-site work");
    let t2 = raise(&app, &d.admin, incident("low", "low")).await;
    assert_eq!(t2["reference"], "FRI-2");
    app.stop().await;
}

backend_test!(three_hours_waiting_on_the_customer_make_the_ticket_due_three_hours_later: Backend);
async fn three_hours_waiting_on_the_customer_make_the_ticket_due_three_hours_later(backend: Backend) {
    let start = at("2026-11-18T09:00:00Z");
    let app = TestApp::spawn_at(backend, |_| {}, start).await;
    let d = desk(&app, "WAIT", "24x7").await;
    let agent = app.staff("desk@provider.test", &["agent"]).await;
    let t = raise(&app, &d.admin, incident("high", "high")).await;
    let id = t["id"].as_str().unwrap();
    assert_eq!(clock(&t, "resolution")["due_at"], "2026-11-18T17:00:00Z");
    app.clock.advance(TimeDelta::hours(1));
    let t = json_ok(
        app.patch(&format!("/api/v1/tickets/{id}"), &agent, json!({"status": "pending_customer"})).await,
        200,
    )
    .await;
    assert_eq!(clock(&t, "resolution")["due_at"], Value::Null, "no due time while waiting");
    assert_eq!(clock(&t, "resolution")["paused"], true);
    assert_eq!(
        clock(&t, "first_response")["stopped_at"],
        "2026-11-18T10:00:00Z",
        "the agent's action was the first response"
    );
    app.clock.advance(TimeDelta::hours(3));
    // The customer answers.
    let t = json_ok(
        app.patch(&format!("/api/v1/tickets/{id}"), &d.admin, json!({"status": "in_progress"})).await,
        200,
    )
    .await;
    assert_eq!(clock(&t, "resolution")["due_at"], "2026-11-18T20:00:00Z");
    assert_eq!(
        clock(&t, "resolution")["pauses"],
        json!([{"from": "2026-11-18T10:00:00Z", "to": "2026-11-18T13:00:00Z"}])
    );
    app.stop().await;
}

backend_test!(a_priority_change_keeps_the_time_already_used: Backend);
async fn a_priority_change_keeps_the_time_already_used(backend: Backend) {
    let app = TestApp::spawn_at(backend, |_| {}, at("2026-11-18T09:00:00Z")).await;
    let d = desk(&app, "PRIO", "24x7").await;
    let agent = app.staff("desk@provider.test", &["agent"]).await;
    let t = raise(&app, &d.admin, incident("low", "low")).await;
    assert_eq!(t["priority"], "P4");
    let id = t["id"].as_str().unwrap();
    app.clock.advance(TimeDelta::hours(1));
    json_ok(
        app.patch(&format!("/api/v1/tickets/{id}"), &agent, json!({"status": "pending_customer"})).await,
        200,
    )
    .await;
    app.clock.advance(TimeDelta::hours(2));
    json_ok(app.patch(&format!("/api/v1/tickets/{id}"), &agent, json!({"status": "in_progress"})).await, 200)
        .await;
    app.clock.advance(TimeDelta::hours(1));
    // Now it is serious: P1, 8 h of resolution from the start, plus the 2 h paused.
    let t = json_ok(
        app.patch(&format!("/api/v1/tickets/{id}"), &agent, json!({"impact": "high", "urgency": "high"}))
            .await,
        200,
    )
    .await;
    assert_eq!(t["priority"], "P1");
    assert_eq!(clock(&t, "resolution")["target_mins"], 480);
    assert_eq!(clock(&t, "resolution")["due_at"], "2026-11-18T19:00:00Z");
    let audit = json_ok(app.get(&format!("/api/v1/tickets/{id}/audit"), &agent).await, 200).await;
    let kinds: Vec<&str> =
        audit["items"].as_array().unwrap().iter().map(|e| e["kind"].as_str().unwrap()).collect();
    assert!(kinds.contains(&"priority_changed") && kinds.contains(&"clock_retargeted"), "{kinds:?}");
    app.stop().await;
}

backend_test!(the_state_machine_refuses_illegal_moves);
async fn the_state_machine_refuses_illegal_moves(app: &TestApp) {
    let d = desk(app, "FLOW", "24x7").await;
    let agent = app.staff("desk@provider.test", &["agent"]).await;
    let t = raise(app, &d.admin, incident("high", "low")).await;
    let id = t["id"].as_str().unwrap();
    let path = format!("/api/v1/tickets/{id}");
    let body =
        problem(app.patch(&path, &agent, json!({"status": "closed"})).await, 409, "invalid_transition").await;
    assert!(body["detail"].as_str().unwrap().contains("resolved"));
    problem(app.patch(&path, &agent, json!({"status": "resolved"})).await, 422, "validation_failed").await;
    json_ok(
        app.patch(&path, &agent, json!({"status": "resolved", "resolution_code": "replaced_part"})).await,
        200,
    )
    .await;
    // The customer reopens; then it is resolved again and closed for good.
    let t = json_ok(
        app.patch(&path, &d.admin, json!({"status": "in_progress", "reason": "still broken"})).await,
        200,
    )
    .await;
    assert_eq!(t["resolved_at"], Value::Null);
    json_ok(app.patch(&path, &agent, json!({"status": "resolved"})).await, 200).await;
    json_ok(app.patch(&path, &d.admin, json!({"status": "closed"})).await, 200).await;
    problem(app.patch(&path, &agent, json!({"status": "in_progress"})).await, 409, "invalid_transition")
        .await;
    problem(app.patch(&path, &agent, json!({"status": "flying"})).await, 422, "validation_failed").await;
}

backend_test!(assignment_escalation_and_the_audit_trail);
async fn assignment_escalation_and_the_audit_trail(app: &TestApp) {
    let d = desk(app, "ESC", "24x7").await;
    let agent = app.staff("desk@provider.test", &["agent"]).await;
    let engineer_me = {
        let token = app.staff("eng@provider.test", &["engineer"]).await;
        json_ok(app.get("/api/v1/auth/me", &token).await, 200).await["id"].as_str().unwrap().to_owned()
    };
    let t = raise(app, &d.admin, incident("medium", "high")).await;
    let path = format!("/api/v1/tickets/{}", t["id"].as_str().unwrap());
    let t = json_ok(app.patch(&path, &agent, json!({"assignee_id": engineer_me})).await, 200).await;
    assert_eq!(t["status"], "assigned");
    problem(app.patch(&path, &agent, json!({"support_level": 2})).await, 422, "validation_failed").await;
    let t = json_ok(
        app.patch(&path, &agent, json!({"support_level": 2, "reason": "needs network specialist"})).await,
        200,
    )
    .await;
    assert_eq!(t["support_level"], 2);
    problem(
        app.patch(&path, &agent, json!({"support_level": 4, "reason": "x"})).await,
        422,
        "validation_failed",
    )
    .await;
    // A tenant's user cannot assign or escalate.
    problem(
        app.patch(&path, &d.admin, json!({"support_level": 3, "reason": "hurry"})).await,
        403,
        "forbidden",
    )
    .await;
    let audit = json_ok(app.get(&format!("{path}/audit"), &agent).await, 200).await;
    let items = audit["items"].as_array().unwrap();
    let kinds: Vec<&str> = items.iter().map(|e| e["kind"].as_str().unwrap()).collect();
    assert_eq!(
        kinds,
        [
            "created",
            "clock_started",
            "clock_started",
            "assigned",
            "status_changed",
            "first_response",
            "escalated"
        ]
    );
    let escalated = items.iter().find(|e| e["kind"] == "escalated").unwrap();
    assert_eq!(escalated["data"], json!({"from": 1, "to": 2, "reason": "needs network specialist"}));
    assert!(items.windows(2).all(|w| w[0]["seq"].as_i64() < w[1]["seq"].as_i64()));
}

backend_test!(bad_tickets_are_explained);
async fn bad_tickets_are_explained(app: &TestApp) {
    let d = desk(app, "BADT", "24x7").await;
    let res = app
        .post("/api/v1/tickets", &d.admin, json!({"type": "incident", "title": " ", "category": "plumbing", "impact": "huge", "urgency": "high",
            "onsite_required": true, "custom_fields": {"floor": "9", "colour": "red"}}))
        .await;
    let body = problem(res, 422, "validation_failed").await;
    let fields: Vec<&str> =
        body["errors"].as_array().unwrap().iter().map(|e| e["field"].as_str().unwrap()).collect();
    assert_eq!(
        fields,
        ["title", "category", "impact", "site_id", "custom_fields.colour", "custom_fields.floor"]
    );
    problem(app.post("/api/v1/tickets", &d.admin, json!({"type": "meeting", "title": "x", "category": "network", "impact": "high", "urgency": "high"})).await, 422, "validation_failed").await;
    let root = &d.root;
    let body =
        problem(app.post("/api/v1/tickets", root, incident("high", "high")).await, 422, "validation_failed")
            .await;
    assert_eq!(body["errors"][0]["field"], "tenant_id");
}

backend_test!(a_retried_create_with_its_idempotency_key_makes_one_ticket);
async fn a_retried_create_with_its_idempotency_key_makes_one_ticket(app: &TestApp) {
    let d = desk(app, "IDEM", "24x7").await;
    let send = |body: Value| {
        app.http
            .post(app.url("/api/v1/tickets"))
            .bearer_auth(&d.admin)
            .header("idempotency-key", "call-0815")
            .json(&body)
            .send()
    };
    let first = json_ok(send(incident("high", "high")).await.unwrap(), 201).await;
    let again = send(incident("high", "high")).await.unwrap();
    assert_eq!(again.headers()["idempotent-replayed"], "true");
    let again = json_ok(again, 201).await;
    assert_eq!(first["id"], again["id"]);
    problem(send(incident("low", "low")).await.unwrap(), 422, "validation_failed").await;
    let list = json_ok(app.get("/api/v1/tickets", &d.admin).await, 200).await;
    assert_eq!(list["items"].as_array().unwrap().len(), 1);
}

backend_test!(changes_are_announced_on_the_bus);
async fn changes_are_announced_on_the_bus(app: &TestApp) {
    let mut events = app.backends.bus.subscribe("ticketing", "test", "t", StartFrom::Latest).await.unwrap();
    let d = desk(app, "BUS", "24x7").await;
    let t = raise(app, &d.admin, incident("high", "high")).await;
    let agent = app.staff("desk@provider.test", &["agent"]).await;
    json_ok(
        app.patch(
            &format!("/api/v1/tickets/{}", t["id"].as_str().unwrap()),
            &agent,
            json!({"status": "in_progress"}),
        )
        .await,
        200,
    )
    .await;
    let path = format!("/api/v1/tickets/{}", t["id"].as_str().unwrap());
    let engineer = app.staff("eng@provider.test", &["engineer"]).await;
    let engineer_id = json_ok(app.get("/api/v1/auth/me", &engineer).await, 200).await["id"].clone();
    json_ok(app.patch(&path, &agent, json!({"assignee_id": engineer_id})).await, 200).await;
    json_ok(app.patch(&path, &agent, json!({"status": "resolved", "resolution_code": "fixed"})).await, 200)
        .await;
    json_ok(app.patch(&path, &d.admin, json!({"status": "closed"})).await, 200).await;
    let mut seen = Vec::new();
    while seen.len() < 8 {
        let Some(d) = events.next(std::time::Duration::from_secs(5)).await.unwrap() else { break };
        let e: Value = serde_json::from_slice(&d.payload).unwrap();
        events.ack(&d.id).await.unwrap();
        seen.push(e);
    }
    assert_eq!(seen[0]["type"], "ticket.created");
    assert_eq!(seen[0]["reference"], "BUS-1");
    assert_eq!(seen[0]["tenant_id"], t["tenant_id"]);
    assert_eq!(seen[1]["type"], "ticket.updated");
    assert_eq!(seen[1]["status"], "in_progress");
    let types: Vec<&str> = seen.iter().map(|e| e["type"].as_str().unwrap()).collect();
    for wanted in ["ticket.assigned", "ticket.resolved", "ticket.closed"] {
        assert_eq!(types.iter().filter(|t| **t == wanted).count(), 1, "{wanted} once in {types:?}");
    }
    let ids: std::collections::HashSet<&str> = seen.iter().map(|e| e["event_id"].as_str().unwrap()).collect();
    assert_eq!(ids.len(), seen.len(), "every event has its own id");
}

backend_test!(a_stale_version_is_refused);
async fn a_stale_version_is_refused(app: &TestApp) {
    let d = desk(app, "VER", "24x7").await;
    let t = raise(app, &d.admin, incident("high", "high")).await;
    let path = format!("/api/v1/tickets/{}", t["id"].as_str().unwrap());
    json_ok(
        app.patch(&path, &d.admin, json!({"title": "Mail server down since 8:00", "version": 1})).await,
        200,
    )
    .await;
    problem(
        app.patch(&path, &d.admin, json!({"title": "Lost update", "version": 1})).await,
        412,
        "precondition_failed",
    )
    .await;
    let now = json_ok(app.get(&path, &d.admin).await, 200).await;
    assert_eq!(now["title"], "Mail server down since 8:00");
}

backend_test!(tickets_are_invisible_across_tenants_and_requesters_see_their_own);
async fn tickets_are_invisible_across_tenants_and_requesters_see_their_own(app: &TestApp) {
    let d = desk(app, "MINE", "24x7").await;
    let (_, other) = app.tenant("OTHER").await;
    let (_, requester) = app.user(d.tenant, &d.admin, "alice@mine.test", &["requester"]).await;
    let (_, colleague) = app.user(d.tenant, &d.admin, "bob@mine.test", &["requester"]).await;
    let t = raise(app, &requester, incident("high", "high")).await;
    let id = t["id"].as_str().unwrap();
    let missing = Uuid::now_v7();
    for token in [&other, &colleague] {
        for (method, suffix, body) in [
            (Method::GET, "", None),
            (Method::PATCH, "", Some(json!({"title": "x"}))),
            (Method::GET, "/audit", None),
        ] {
            let a = problem(
                app.call(method.clone(), &format!("/api/v1/tickets/{id}{suffix}"), Some(token), body.clone())
                    .await,
                404,
                "not_found",
            )
            .await;
            let b = problem(
                app.call(method, &format!("/api/v1/tickets/{missing}{suffix}"), Some(token), body).await,
                404,
                "not_found",
            )
            .await;
            assert_eq!(a["detail"], b["detail"]);
        }
        let list = json_ok(app.get("/api/v1/tickets", token).await, 200).await;
        assert!(list["items"].as_array().unwrap().is_empty());
    }
    problem(app.get(&format!("/api/v1/tickets?tenant_id={}", d.tenant), &other).await, 404, "not_found")
        .await;
    let mine = json_ok(app.get("/api/v1/tickets", &requester).await, 200).await;
    assert_eq!(mine["items"][0]["id"], t["id"]);
    let all = json_ok(app.get("/api/v1/tickets", &d.admin).await, 200).await;
    assert_eq!(all["items"].as_array().unwrap().len(), 1);
    let unchanged = json_ok(app.get(&format!("/api/v1/tickets/{id}"), &requester).await, 200).await;
    assert_eq!(unchanged["title"], "Mail server down");
}

backend_test!(the_list_filters);
async fn the_list_filters(app: &TestApp) {
    let d = desk(app, "FILT", "24x7").await;
    raise(app, &d.admin, incident("high", "high")).await;
    raise(app, &d.admin, json!({"type": "service_request", "title": "New laptop for Lea", "category": "hardware", "impact": "low", "urgency": "low"})).await;
    let ids = |v: &Value| {
        v["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|t| t["reference"].as_str().unwrap().to_owned())
            .collect::<Vec<_>>()
    };
    let by = async |q: &str| app.get(&format!("/api/v1/tickets?{q}"), &d.admin).await;
    assert_eq!(ids(&json_ok(by("priority=P1").await, 200).await), ["FILT-1"]);
    assert_eq!(ids(&json_ok(by("type=service_request").await, 200).await), ["FILT-2"]);
    assert_eq!(ids(&json_ok(by("q=laptop").await, 200).await), ["FILT-2"]);
    assert_eq!(ids(&json_ok(by("q=filt-1").await, 200).await), ["FILT-1"]);
    assert_eq!(ids(&json_ok(by("category=hardware&status=new").await, 200).await), ["FILT-2"]);
    assert_eq!(
        ids(&json_ok(by("at_risk_within_mins=60").await, 200).await),
        ["FILT-1"],
        "P1's first response is due within the hour"
    );
    problem(by("status=sleeping").await, 400, "bad_request").await;
    problem(by("at_risk_within_mins=-1").await, 422, "validation_failed").await;
}

backend_test!(a_suspended_tenant_s_users_cannot_raise_tickets);
async fn a_suspended_tenant_s_users_cannot_raise_tickets(app: &TestApp) {
    let d = desk(app, "SUSP", "24x7").await;
    json_ok(app.post(&format!("/api/v1/tenants/{}/suspend", d.tenant), &d.root, json!({})).await, 200).await;
    problem(app.post("/api/v1/tickets", &d.admin, incident("high", "high")).await, 403, "tenant_suspended")
        .await;
}

backend_test!(a_configuration_or_contract_change_applies_to_the_very_next_ticket);
async fn a_configuration_or_contract_change_applies_to_the_very_next_ticket(app: &TestApp) {
    let d = desk(app, "FRESH", "24x7").await;
    // Raised once, so the tenant's context is cached.
    let t = raise(app, &d.admin, incident("high", "high")).await;
    assert_eq!(clock(&t, "first_response")["target_mins"], 60);
    let path = format!("/api/v1/tenants/{}/config", d.tenant);
    let mut c = json_ok(app.get(&path, &d.admin).await, 200).await;
    c["ticket_categories"].as_array_mut().unwrap().push(json!({"key": "printing", "name": "Printing"}));
    json_ok(app.put(&path, &d.admin, c).await, 200).await;
    let mut body = incident("high", "high");
    body["category"] = json!("printing");
    raise(app, &d.admin, body).await;
    // A new contract on a faster tier applies at once too.
    let fast = json_ok(
        app.post("/api/v1/catalog/tiers", &d.root, {
            let mut t = tier("FRESH fast", "24x7");
            t["targets"]["P1"]["first_response_mins"] = json!(15);
            t
        })
        .await,
        201,
    )
    .await;
    let plan = json_ok(
        app.post(
            "/api/v1/catalog/plans",
            &d.root,
            json!({"name": "FRESH fast plan",
        "tier_id": fast["id"], "unit": "seat", "unit_price_minor": 1000, "currency": "EUR"}),
        )
        .await,
        201,
    )
    .await;
    let contracts =
        json_ok(app.get(&format!("/api/v1/catalog/contracts?tenant_id={}", d.tenant), &d.root).await, 200)
            .await;
    let old = contracts["items"][0]["id"].as_str().unwrap().to_owned();
    // The contract's day is the tenant's (Berlin), not the UTC date.
    let today = canopy_kernel::days::Zone::named("Europe/Berlin")
        .unwrap()
        .day_of(canopy_kernel::clock::Clock::now(&app.clock));
    json_ok(
        app.patch(
            &format!("/api/v1/catalog/contracts/{old}"),
            &d.root,
            json!({"plan_id": plan["id"], "effective_on": today}),
        )
        .await,
        200,
    )
    .await;
    let t = raise(app, &d.admin, incident("high", "high")).await;
    assert_eq!(clock(&t, "first_response")["target_mins"], 15, "the new tier's target");
}

backend_test!(a_contract_change_recalculates_open_tickets_keeping_the_time_used: Backend);
async fn a_contract_change_recalculates_open_tickets_keeping_the_time_used(backend: Backend) {
    // Wednesday 07:00 in Berlin, before office hours.
    let app = TestApp::spawn_at(backend, |_| {}, at("2026-11-18T06:00:00Z")).await;
    let d = desk(&app, "MOVE", "24x7").await;
    let other = desk(&app, "STAY", "24x7").await;
    let agent = app.staff("desk@provider.test", &["agent"]).await;
    let t = raise(&app, &d.admin, incident("high", "high")).await;
    let id = t["id"].as_str().unwrap().to_owned();
    let done = raise(&app, &d.admin, incident("high", "high")).await;
    let done_path = format!("/api/v1/tickets/{}", done["id"].as_str().unwrap());
    json_ok(
        app.patch(&done_path, &agent, json!({"status": "resolved", "resolution_code": "fixed"})).await,
        200,
    )
    .await;
    let bystander = raise(&app, &other.admin, incident("high", "high")).await;
    app.clock.advance(TimeDelta::minutes(30));
    json_ok(app.patch(&format!("/api/v1/tickets/{id}"), &agent, json!({"status": "in_progress"})).await, 200)
        .await;
    // 09:00 in Berlin: two hours of the eight used; the tenant moves to office hours with a
    // twelve-hour resolution target.
    app.clock.advance(TimeDelta::minutes(90));
    let mut office = tier("MOVE office", "business_hours");
    office["targets"]["P1"]["resolution_mins"] = json!(720);
    let office = json_ok(app.post("/api/v1/catalog/tiers", &d.root, office).await, 201).await;
    let plan = json_ok(
        app.post(
            "/api/v1/catalog/plans",
            &d.root,
            json!({"name": "MOVE office plan", "tier_id": office["id"], "unit": "seat",
                "unit_price_minor": 800, "currency": "EUR"}),
        )
        .await,
        201,
    )
    .await;
    let contracts =
        json_ok(app.get(&format!("/api/v1/catalog/contracts?tenant_id={}", d.tenant), &d.root).await, 200)
            .await;
    let contract = contracts["items"][0]["id"].as_str().unwrap().to_owned();
    json_ok(
        app.patch(
            &format!("/api/v1/catalog/contracts/{contract}"),
            &d.root,
            json!({"plan_id": plan["id"], "effective_on": "2026-11-18"}),
        )
        .await,
        200,
    )
    .await;
    let moved = eventually("the ticket on the new tier", std::time::Duration::from_secs(10), async || {
        let moved = json_ok(app.get(&format!("/api/v1/tickets/{id}"), &d.admin).await, 200).await;
        if moved["sla"]["tier_name"] == "MOVE office" { Ok(moved) } else { Err(format!("{moved:#}")) }
    })
    .await;
    assert_eq!(moved["sla"]["coverage"], "business_hours");
    // Ten hours left from 09:00: nine on Wednesday, one on Thursday from 09:00 Berlin.
    assert_eq!(clock(&moved, "resolution")["due_at"], "2026-11-19T09:00:00Z");
    assert_eq!(clock(&moved, "first_response")["stopped_at"], "2026-11-18T06:30:00Z", "met stays met");
    let kinds = audit_kinds(&app, &d.admin, &id).await;
    assert!(kinds.contains(&"sla_policy_changed".to_owned()), "{kinds:?}");
    // A resolved ticket keeps the SLA it was judged by; another tenant's tickets are untouched.
    let done = json_ok(app.get(&done_path, &d.admin).await, 200).await;
    assert_eq!(done["sla"]["tier_name"], "MOVE tier");
    let bystander = json_ok(
        app.get(&format!("/api/v1/tickets/{}", bystander["id"].as_str().unwrap()), &other.admin).await,
        200,
    )
    .await;
    assert_eq!(bystander["sla"]["tier_name"], "STAY tier");
    assert_eq!(clock(&bystander, "resolution")["due_at"], "2026-11-18T14:00:00Z");
    app.stop().await;
}

async fn audit_kinds(app: &TestApp, token: &str, id: &str) -> Vec<String> {
    let audit = json_ok(app.get(&format!("/api/v1/tickets/{id}/audit"), token).await, 200).await;
    audit["items"].as_array().unwrap().iter().map(|e| e["kind"].as_str().unwrap().to_owned()).collect()
}

/// Waits (a few seconds at most) for the breach watch to log `kind` on the ticket.
async fn wait_for(app: &TestApp, token: &str, id: &str, kind: &str, count: usize) -> Vec<String> {
    eventually(&format!("{count} {kind} on ticket {id}"), std::time::Duration::from_secs(10), async || {
        let kinds = audit_kinds(app, token, id).await;
        if kinds.iter().filter(|k| *k == kind).count() >= count {
            Ok(kinds)
        } else {
            Err(format!("{kinds:?}"))
        }
    })
    .await
}

backend_test!(the_breach_watch_warns_then_records_one_breach_and_escalates: Backend);
async fn the_breach_watch_warns_then_records_one_breach_and_escalates(backend: Backend) {
    let start = at("2026-11-18T09:00:00Z");
    let app = TestApp::spawn_at(backend, |s| s.sla.watch_interval_ms = 50, start).await;
    let mut events =
        app.backends.bus.subscribe("ticketing", "breach-test", "t", StartFrom::Latest).await.unwrap();
    let d = desk(&app, "WATCH", "24x7").await;
    let t = raise(&app, &d.admin, incident("high", "high")).await;
    let id = t["id"].as_str().unwrap().to_owned();
    // 75 % of the 60-minute first response is 45 minutes.
    app.clock.advance(TimeDelta::minutes(46));
    let kinds = wait_for(&app, &d.root, &id, "sla_warning", 1).await;
    assert!(!kinds.contains(&"sla_breached".to_owned()));
    app.clock.advance(TimeDelta::minutes(15));
    wait_for(&app, &d.root, &id, "sla_breached", 1).await;
    let t = json_ok(app.get(&format!("/api/v1/tickets/{id}"), &d.admin).await, 200).await;
    assert_eq!(
        clock(&t, "first_response")["breached_at"],
        "2026-11-18T10:00:00Z",
        "the breach is at the due time"
    );
    assert_eq!(t["support_level"], 2, "a breach escalates");
    // Much later, still one breach of first response (resolution has its own).
    app.clock.advance(TimeDelta::hours(10));
    let kinds = wait_for(&app, &d.root, &id, "sla_breached", 2).await;
    assert_eq!(kinds.iter().filter(|k| *k == "sla_breached").count(), 2, "{kinds:?}");
    let mut types = Vec::new();
    while let Ok(Some(d)) = events.next(std::time::Duration::from_millis(500)).await {
        let e: Value = serde_json::from_slice(&d.payload).unwrap();
        events.ack(&d.id).await.unwrap();
        types.push((
            e["type"].as_str().unwrap().to_owned(),
            e["metric"].as_str().unwrap_or_default().to_owned(),
        ));
    }
    let breached: Vec<_> = types.iter().filter(|(t, _)| t == "sla.breached").collect();
    assert_eq!(breached.len(), 2, "{types:?}");
    assert!(types.contains(&("sla.warning".into(), "first_response".into())));
    let calm = raise(&app, &d.admin, incident("low", "low")).await;
    let breached = json_ok(app.get("/api/v1/tickets?breached=true", &d.admin).await, 200).await;
    let ids: Vec<&Value> = breached["items"].as_array().unwrap().iter().map(|t| &t["id"]).collect();
    assert_eq!(ids, vec![&json!(id)], "only the breached ticket");
    let fine = json_ok(app.get("/api/v1/tickets?breached=false", &d.admin).await, 200).await;
    assert_eq!(fine["items"][0]["id"], calm["id"]);
    assert_eq!(fine["items"].as_array().unwrap().len(), 1);
    app.stop().await;
}

backend_test!(an_imported_history_is_judged_once_and_idempotently);
async fn an_imported_history_is_judged_once_and_idempotently(app: &TestApp) {
    let d = desk(app, "HIST", "24x7").await;
    let tickets = json!([
        // The design's example: answered, paused three hours, on site, resolved in time.
        {"external_id": "RT-1042", "type": "incident", "title": "Printer offline", "category": "hardware", "priority": "P2",
         "onsite_required": true, "reported_at": "2026-10-05T01:10:00Z",
         "assignee_id": "0190f6a1-0000-7000-8000-00000000e001",
         "timeline": [{"at": "2026-10-05T01:40:00Z", "event": "first_response"},
                      {"at": "2026-10-05T02:00:00Z", "event": "pending_customer"},
                      {"at": "2026-10-05T05:00:00Z", "event": "resumed"},
                      {"at": "2026-10-05T06:00:00Z", "event": "onsite_arrival"},
                      {"at": "2026-10-05T07:30:00Z", "event": "onsite_departure"},
                      {"at": "2026-10-05T07:30:00Z", "event": "resolved", "remote": false},
                      {"at": "2026-10-06T07:30:00Z", "event": "closed"},
                      {"at": "2026-10-06T08:00:00Z", "event": "feedback", "rating": 2, "complaint": true}]},
        // A P1 resolved an hour after its 8 hours: exactly one resolution breach.
        {"external_id": "RT-1043", "type": "incident", "title": "Server room too hot", "category": "hardware", "priority": "P1",
         "reported_at": "2026-10-05T01:10:00Z",
         "timeline": [{"at": "2026-10-05T01:30:00Z", "event": "first_response"},
                      {"at": "2026-10-05T10:10:00Z", "event": "resolved"},
                      {"at": "2026-10-05T12:00:00Z", "event": "closed"}]},
        // The same, but two hours waited on the customer: in time.
        {"external_id": "RT-1044", "type": "incident", "title": "VPN down", "category": "network", "priority": "P1",
         "reported_at": "2026-10-05T01:10:00Z",
         "timeline": [{"at": "2026-10-05T01:30:00Z", "event": "first_response"},
                      {"at": "2026-10-05T02:00:00Z", "event": "pending_customer"},
                      {"at": "2026-10-05T04:00:00Z", "event": "resumed"},
                      {"at": "2026-10-05T10:10:00Z", "event": "resolved"}]}
    ]);
    let body = json!({"tenant_id": d.tenant, "tickets": tickets});
    let first = json_ok(app.post("/api/v1/tickets/import", &d.root, body.clone()).await, 200).await;
    let results = first["tickets"].as_array().unwrap();
    assert!(results.iter().all(|r| r["created"] == true));
    assert_eq!(results[0]["breaches"], json!([]));
    assert_eq!(
        results[1]["breaches"],
        json!([{"metric": "resolution", "due_at": "2026-10-05T09:10:00Z", "late_by_secs": 3600}])
    );
    assert_eq!(results[2]["breaches"], json!([]));
    assert_eq!(results[0]["reference"], "HIST-1");

    // Again: nothing new, the same answers.
    let again = json_ok(app.post("/api/v1/tickets/import", &d.root, body).await, 200).await;
    let again = again["tickets"].as_array().unwrap();
    assert!(again.iter().all(|r| r["created"] == false));
    assert_eq!(again[1]["breaches"], results[1]["breaches"]);
    assert_eq!(again[1]["id"], results[1]["id"]);
    let list = json_ok(app.get("/api/v1/tickets", &d.root).await, 200).await;
    assert_eq!(list["items"].as_array().unwrap().len(), 3);

    let t = json_ok(
        app.get(&format!("/api/v1/tickets/{}", results[0]["id"].as_str().unwrap()), &d.admin).await,
        200,
    )
    .await;
    assert_eq!(t["status"], "closed");
    assert_eq!(t["assignee_id"], "0190f6a1-0000-7000-8000-00000000e001", "who worked on it is kept");
    assert_eq!(
        clock(&t, "resolution")["pauses"],
        json!([{"from": "2026-10-05T02:00:00Z", "to": "2026-10-05T05:00:00Z"}])
    );
    assert_eq!(clock(&t, "onsite"), &Value::Null, "this tier promises no on-site time for P2");
}

backend_test!(bad_imports_are_refused_whole_with_paths);
async fn bad_imports_are_refused_whole_with_paths(app: &TestApp) {
    let d = desk(app, "BADI", "24x7").await;
    let body = json!({"tenant_id": d.tenant, "tickets": [
        {"external_id": "A", "type": "incident", "title": "x", "category": "network", "priority": "P1", "reported_at": "2026-10-05T01:00:00Z",
         "timeline": [{"at": "2026-10-05T00:00:00Z", "event": "first_response"}, {"at": "2026-10-05T02:00:00Z", "event": "resumed"},
                      {"at": "2026-10-05T03:00:00Z", "event": "feedback", "rating": 9}]},
        {"external_id": "A", "type": "incident", "title": "y", "category": "network", "priority": "P1", "reported_at": "2026-10-05T01:00:00Z"},
        {"external_id": "B", "type": "incident", "title": "z", "category": "network", "priority": "P1", "reported_at": "2099-10-05T01:00:00Z"}
    ]});
    let res =
        problem(app.post("/api/v1/tickets/import", &d.root, body).await, 422, "validation_failed").await;
    let fields: Vec<&str> =
        res["errors"].as_array().unwrap().iter().map(|e| e["field"].as_str().unwrap()).collect();
    assert_eq!(
        fields,
        [
            "tickets[0].timeline[0].at",
            "tickets[0].timeline[1].event",
            "tickets[0].timeline[2].rating",
            "tickets[1].external_id",
            "tickets[2].reported_at"
        ]
    );
    let list = json_ok(app.get("/api/v1/tickets", &d.root).await, 200).await;
    assert!(list["items"].as_array().unwrap().is_empty(), "nothing was imported");
    problem(
        app.post("/api/v1/tickets/import", &d.admin, json!({"tenant_id": d.tenant, "tickets": []})).await,
        403,
        "forbidden",
    )
    .await;
}

backend_test!(comments_worklogs_and_feedback: Backend);
async fn comments_worklogs_and_feedback(backend: Backend) {
    let app = TestApp::spawn_at(backend, |_| {}, at("2026-11-18T09:00:00Z")).await;
    let d = desk(&app, "WORK", "24x7").await;
    let engineer = app.staff("eng@provider.test", &["engineer"]).await;
    let (_, requester) = app.user(d.tenant, &d.admin, "r@work.test", &["requester"]).await;
    let site =
        json_ok(app.get(&format!("/api/v1/tenants/{}/config", d.tenant), &d.admin).await, 200).await["sites"]
            [0]["id"]
            .clone();
    let mut body = incident("high", "high");
    body["onsite_required"] = json!(true);
    body["site_id"] = site;
    let t = raise(&app, &requester, body).await;
    let id = t["id"].as_str().unwrap().to_owned();
    let path = |s: &str| format!("/api/v1/tickets/{id}/{s}");

    app.clock.advance(TimeDelta::minutes(10));
    json_ok(
        app.post(&path("comments"), &engineer, json!({"body": "Looking into it", "public": true})).await,
        201,
    )
    .await;
    json_ok(
        app.post(&path("comments"), &engineer, json!({"body": "Probably the PSU", "public": false})).await,
        201,
    )
    .await;
    problem(
        app.post(&path("comments"), &requester, json!({"body": "secret", "public": false})).await,
        422,
        "validation_failed",
    )
    .await;
    let theirs = json_ok(app.get(&path("comments"), &requester).await, 200).await;
    assert_eq!(theirs.as_array().unwrap().len(), 1, "internal notes stay with the provider");
    assert_eq!(json_ok(app.get(&path("comments"), &engineer).await, 200).await.as_array().unwrap().len(), 2);
    let t = json_ok(app.get(&format!("/api/v1/tickets/{id}"), &requester).await, 200).await;
    assert_eq!(
        clock(&t, "first_response")["stopped_at"],
        "2026-11-18T09:10:00Z",
        "the public reply was the first response"
    );

    // Waiting on the customer until they reply.
    json_ok(
        app.patch(&format!("/api/v1/tickets/{id}"), &engineer, json!({"status": "pending_customer"})).await,
        200,
    )
    .await;
    app.clock.advance(TimeDelta::hours(1));
    json_ok(
        app.post(&path("comments"), &requester, json!({"body": "It is the one by the window"})).await,
        201,
    )
    .await;
    let t = json_ok(app.get(&format!("/api/v1/tickets/{id}"), &requester).await, 200).await;
    assert_eq!(t["status"], "in_progress");
    assert_eq!(clock(&t, "onsite")["due_at"], "2026-11-18T14:00:00Z", "4 h on site, plus the hour waited");

    // On site at 12:00: the on-site target is met.
    app.clock.advance(TimeDelta::hours(2));
    problem(
        app.post(&path("worklogs"), &requester, json!({"kind": "remote", "minutes": 5})).await,
        403,
        "forbidden",
    )
    .await;
    problem(
        app.post(&path("worklogs"), &engineer, json!({"kind": "onsite", "minutes": 45})).await,
        422,
        "validation_failed",
    )
    .await;
    json_ok(
        app.post(
            &path("worklogs"),
            &engineer,
            json!({"kind": "onsite", "minutes": 45, "arrived_at": "2026-11-18T12:00:00Z",
        "departed_at": "2026-11-18T12:10:00Z", "note": "Replaced the PSU"}),
        )
        .await,
        201,
    )
    .await;
    let t = json_ok(app.get(&format!("/api/v1/tickets/{id}"), &requester).await, 200).await;
    assert_eq!(clock(&t, "onsite")["stopped_at"], "2026-11-18T12:00:00Z");
    let logs = json_ok(app.get(&path("worklogs"), &d.admin).await, 200).await;
    assert_eq!(logs[0]["minutes"], 45);

    // Feedback once the ticket is resolved, once.
    problem(app.post(&path("feedback"), &requester, json!({"rating": 4})).await, 409, "invalid_transition")
        .await;
    json_ok(
        app.patch(
            &format!("/api/v1/tickets/{id}"),
            &engineer,
            json!({"status": "resolved", "resolution_code": "hardware_replaced"}),
        )
        .await,
        200,
    )
    .await;
    problem(app.post(&path("feedback"), &requester, json!({"rating": 6})).await, 422, "validation_failed")
        .await;
    json_ok(
        app.post(
            &path("feedback"),
            &requester,
            json!({"rating": 2, "complaint": true, "text": "Took too long"}),
        )
        .await,
        201,
    )
    .await;
    problem(app.post(&path("feedback"), &requester, json!({"rating": 5})).await, 409, "conflict").await;
    let f = json_ok(app.get(&path("feedback"), &engineer).await, 200).await;
    assert_eq!((f["rating"].as_i64(), f["complaint"].as_bool()), (Some(2), Some(true)));
    app.stop().await;
}
