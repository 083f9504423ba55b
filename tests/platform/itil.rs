//! Problems behind incidents, and changes with their approval gate.

use serde_json::{Value, json};

use crate::helpers::*;

async fn office(app: &TestApp, key: &str) -> (String, String) {
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
    (tenant.to_string(), admin)
}

async fn raise(app: &TestApp, token: &str, body: Value) -> Value {
    json_ok(app.post("/api/v1/tickets", token, body).await, 201).await
}

fn change(kind: &str, risk: &str) -> Value {
    json!({"type": "change", "title": "Replace core switch", "category": "network", "impact": "medium",
        "urgency": "medium", "change": {"change_type": kind, "risk": risk, "plan": "1. swap\n2. test",
        "backout_plan": "put the old one back"}})
}

backend_test!(incidents_link_to_the_problem_behind_them_within_one_tenant);
async fn incidents_link_to_the_problem_behind_them_within_one_tenant(app: &TestApp) {
    let (_, admin) = office(app, "PRB").await;
    let (_, other_admin) = office(app, "PRBX").await;
    let agent = app.staff("desk@provider.test", &["agent"]).await;
    let incident = json!({"type": "incident", "title": "VPN drops", "category": "network",
        "impact": "medium", "urgency": "medium"});
    let a = raise(app, &admin, incident.clone()).await;
    let b = raise(app, &admin, incident.clone()).await;
    let foreign = raise(app, &other_admin, incident).await;
    let p = raise(
        app,
        &agent,
        json!({"tenant_id": a["tenant_id"], "type": "problem", "title": "VPN concentrator firmware",
            "category": "network", "impact": "high", "urgency": "medium",
            "problem": {"root_cause": null}}),
    )
    .await;
    let pid = p["id"].as_str().unwrap();
    let links = format!("/api/v1/tickets/{pid}/links");
    json_ok(app.post(&links, &agent, json!({"ticket_id": a["id"]})).await, 201).await;
    // From the incident's side too.
    json_ok(
        app.post(
            &format!("/api/v1/tickets/{}/links", b["id"].as_str().unwrap()),
            &agent,
            json!({"ticket_id": pid}),
        )
        .await,
        201,
    )
    .await;
    let listed = json_ok(app.get(&links, &agent).await, 200).await;
    assert_eq!(listed.as_array().unwrap().len(), 2);
    // Another tenant's incident is not found; two incidents do not link; customers do not link.
    problem(app.post(&links, &agent, json!({"ticket_id": foreign["id"]})).await, 422, "validation_failed")
        .await;
    problem(
        app.post(
            &format!("/api/v1/tickets/{}/links", a["id"].as_str().unwrap()),
            &agent,
            json!({"ticket_id": b["id"]}),
        )
        .await,
        422,
        "validation_failed",
    )
    .await;
    problem(app.post(&links, &admin, json!({"ticket_id": b["id"]})).await, 403, "forbidden").await;
    problem(app.get(&links, &other_admin).await, 404, "not_found").await;
    // A known error needs its root cause; with it, the workaround is recorded.
    problem(
        app.patch(&format!("/api/v1/tickets/{pid}"), &agent, json!({"problem": {"known_error": true}})).await,
        422,
        "validation_failed",
    )
    .await;
    let p = json_ok(
        app.patch(
            &format!("/api/v1/tickets/{pid}"),
            &agent,
            json!({"problem": {"known_error": true, "root_cause": "firmware 4.2 leaks sessions",
                "workaround": "restart the tunnel"}}),
        )
        .await,
        200,
    )
    .await;
    assert_eq!(p["problem"]["known_error"], true);
    assert_eq!(p["problem"]["workaround"], "restart the tunnel");
    // Problem details do not go on incidents.
    problem(
        app.patch(
            &format!("/api/v1/tickets/{}", a["id"].as_str().unwrap()),
            &agent,
            json!({"problem": {"known_error": false}}),
        )
        .await,
        422,
        "validation_failed",
    )
    .await;
}

backend_test!(a_normal_change_waits_for_the_tenant_admin_and_a_rejected_one_only_cancels);
async fn a_normal_change_waits_for_the_tenant_admin_and_a_rejected_one_only_cancels(app: &TestApp) {
    let (_, admin) = office(app, "CHG").await;
    let (_, other_admin) = office(app, "CHGX").await;
    let agent = app.staff("desk@provider.test", &["agent"]).await;

    // Normal: blocked until approved.
    let n = raise(app, &admin, change("normal", "medium")).await;
    assert_eq!(n["change"]["approval"], "pending");
    let path = format!("/api/v1/tickets/{}", n["id"].as_str().unwrap());
    let approvals = format!("{path}/approvals");
    problem(app.patch(&path, &agent, json!({"status": "in_progress"})).await, 409, "invalid_transition")
        .await;
    // Only the tenant's own admin decides.
    problem(app.post(&approvals, &agent, json!({"decision": "approved"})).await, 403, "forbidden").await;
    problem(app.post(&approvals, &other_admin, json!({"decision": "approved"})).await, 404, "not_found")
        .await;
    let decided = json_ok(
        app.post(&approvals, &admin, json!({"decision": "approved", "comment": "go Saturday"})).await,
        201,
    )
    .await;
    assert_eq!(decided["decision"], "approved");
    problem(
        app.post(&approvals, &admin, json!({"decision": "rejected", "comment": "no"})).await,
        409,
        "invalid_transition",
    )
    .await;
    let t = json_ok(app.patch(&path, &agent, json!({"status": "in_progress"})).await, 200).await;
    assert_eq!(t["change"]["approval"], "approved");
    // The plan is fixed once work has started.
    problem(
        app.patch(&path, &agent, json!({"change": {"plan": "something else"}})).await,
        422,
        "validation_failed",
    )
    .await;
    let t = json_ok(
        app.patch(&path, &agent, json!({"status": "resolved", "resolution_code": "implemented"})).await,
        200,
    )
    .await;
    assert!(t["change"]["implemented_at"].is_string());
    let t = json_ok(app.patch(&path, &agent, json!({"change": {"review": "went to plan"}})).await, 200).await;
    assert_eq!(t["change"]["review"], "went to plan");
    let history = json_ok(app.get(&approvals, &admin).await, 200).await;
    assert_eq!(history.as_array().unwrap().len(), 1);

    // Rejected: only cancellation remains, and a rejection says why.
    let r = raise(app, &admin, change("normal", "high")).await;
    let path = format!("/api/v1/tickets/{}", r["id"].as_str().unwrap());
    problem(
        app.post(&format!("{path}/approvals"), &admin, json!({"decision": "rejected"})).await,
        422,
        "validation_failed",
    )
    .await;
    json_ok(
        app.post(
            &format!("{path}/approvals"),
            &admin,
            json!({"decision": "rejected", "comment": "too risky"}),
        )
        .await,
        201,
    )
    .await;
    problem(app.patch(&path, &agent, json!({"status": "in_progress"})).await, 409, "invalid_transition")
        .await;
    let t =
        json_ok(app.patch(&path, &agent, json!({"status": "cancelled", "reason": "rejected"})).await, 200)
            .await;
    assert_eq!(t["status"], "cancelled");

    // Standard: pre-approved, nothing to decide. Emergency: work starts at once.
    let s = raise(app, &admin, change("standard", "low")).await;
    assert_eq!(s["change"]["approval"], "not_required");
    let spath = format!("/api/v1/tickets/{}", s["id"].as_str().unwrap());
    problem(
        app.post(&format!("{spath}/approvals"), &admin, json!({"decision": "approved"})).await,
        409,
        "invalid_transition",
    )
    .await;
    json_ok(app.patch(&spath, &agent, json!({"status": "in_progress"})).await, 200).await;
    let e = raise(app, &admin, change("emergency", "high")).await;
    assert_eq!(e["change"]["approval"], "pending");
    json_ok(
        app.patch(
            &format!("/api/v1/tickets/{}", e["id"].as_str().unwrap()),
            &agent,
            json!({"status": "in_progress"}),
        )
        .await,
        200,
    )
    .await;

    // Bad change bodies.
    problem(app.post("/api/v1/tickets", &admin, change("standard", "high")).await, 422, "validation_failed")
        .await;
    let mut no_plan = change("normal", "low");
    no_plan.as_object_mut().unwrap().remove("change");
    problem(app.post("/api/v1/tickets", &admin, no_plan).await, 422, "validation_failed").await;
    let mut wrong = change("normal", "low");
    wrong["type"] = json!("incident");
    problem(app.post("/api/v1/tickets", &admin, wrong).await, 422, "validation_failed").await;
}

backend_test!(a_change_carries_the_window_it_is_planned_for);
async fn a_change_carries_the_window_it_is_planned_for(app: &TestApp) {
    let (_, admin) = office(app, "WIN").await;
    let agent = app.staff("desk@provider.test", &["agent"]).await;
    let mut body = change("normal", "medium");
    body["change"]["window"] =
        json!({"starts_at": "2026-12-12T14:00:00Z", "ends_at": "2026-12-12T13:00:00Z"});
    let refused =
        problem(app.post("/api/v1/tickets", &admin, body.clone()).await, 422, "validation_failed").await;
    assert_eq!(refused["errors"][0]["field"], "change.window.ends_at");

    body["change"]["window"]["ends_at"] = json!("2026-12-12T16:00:00Z");
    let t = raise(app, &admin, body).await;
    assert_eq!(
        t["change"]["window"],
        json!({"starts_at": "2026-12-12T14:00:00Z", "ends_at": "2026-12-12T16:00:00Z"})
    );
    // Moved before work starts, by the provider's staff.
    let path = format!("/api/v1/tickets/{}", t["id"].as_str().unwrap());
    let window = json!({"starts_at": "2026-12-19T14:00:00Z", "ends_at": "2026-12-19T16:00:00Z"});
    let t = json_ok(app.patch(&path, &agent, json!({"change": {"window": window}})).await, 200).await;
    assert_eq!(t["change"]["window"], window);
    let bad = json!({"starts_at": "2026-12-19T14:00:00Z", "ends_at": "2026-12-19T14:00:00Z"});
    let refused =
        problem(app.patch(&path, &agent, json!({"change": {"window": bad}})).await, 422, "validation_failed")
            .await;
    assert_eq!(refused["errors"][0]["field"], "change.window.ends_at");
}
