//! Days are the tenant's days: a contract, a dated change of terms, the policy in force and a
//! billing period begin and end at the tenant's local midnight, not at UTC midnight — for a
//! tenant east of UTC (Shanghai, +8) and one west of it (Los Angeles, −7 in October).

use chrono::{DateTime, Utc};
use serde_json::{Value, json};
use uuid::Uuid;

use crate::helpers::*;

fn at(s: &str) -> DateTime<Utc> {
    s.parse().unwrap()
}

/// 24×7, P1: first response in 60 min, resolution in 8 h.
fn tier(name: &str, first_response_mins: i64) -> Value {
    json!({"name": name, "coverage": "24x7",
        "targets": {"P1": {"first_response_mins": first_response_mins, "resolution_mins": 480},
                    "P2": {"first_response_mins": 120, "resolution_mins": 960},
                    "P3": {"first_response_mins": 240, "resolution_mins": 1440},
                    "P4": {"first_response_mins": 480, "resolution_mins": 4800}},
        "availability_target_bp": 9900,
        "credit_policy": {"per_breach_bp": {"resolution": {"P1": 500}}, "cap_bp": 3000}})
}

/// A plan (120.00 a seat) on a new tier; returns the plan's id.
async fn plan(app: &TestApp, root: &str, tier_body: Value) -> Value {
    let name = tier_body["name"].as_str().unwrap().to_owned();
    let tier = json_ok(app.post("/api/v1/catalog/tiers", root, tier_body).await, 201).await;
    let plan = json_ok(
        app.post(
            "/api/v1/catalog/plans",
            root,
            json!({"name": format!("{name} plan"), "tier_id": tier["id"], "unit": "seat",
                "unit_price_minor": 12000, "currency": "CNY"}),
        )
        .await,
        201,
    )
    .await;
    plan["id"].clone()
}

/// A tenant in `timezone`; returns (tenant, its admin's token).
async fn tenant_in(app: &TestApp, key: &str, timezone: &str) -> (Uuid, String) {
    let (tenant, admin) = app.tenant(key).await;
    let path = format!("/api/v1/tenants/{tenant}/config");
    let mut c = json_ok(app.get(&path, &admin).await, 200).await;
    c["timezone"] = json!(timezone);
    json_ok(app.put(&path, &admin, c).await, 200).await;
    (tenant, admin)
}

async fn contract(
    app: &TestApp,
    root: &str,
    tenant: Uuid,
    plan: &Value,
    seats: i64,
    ends_on: Value,
) -> Value {
    json_ok(
        app.post(
            "/api/v1/catalog/contracts",
            root,
            json!({"tenant_id": tenant, "plan_id": plan, "quantity": seats, "starts_on": "2026-10-01",
                "ends_on": ends_on}),
        )
        .await,
        201,
    )
    .await
}

fn p1() -> Value {
    json!({"type": "incident", "title": "Mail server down", "category": "network", "impact": "high", "urgency": "high"})
}

fn clock<'a>(ticket: &'a Value, metric: &str) -> &'a Value {
    ticket["sla"]["clocks"].as_array().unwrap().iter().find(|c| c["metric"] == metric).unwrap_or(&Value::Null)
}

async fn preview(app: &TestApp, token: &str, tenant: Uuid, start: &str) -> reqwest::Response {
    app.post(
        "/api/v1/catalog/sla/preview",
        token,
        json!({"tenant_id": tenant, "priority": "P1", "start": start}),
    )
    .await
}

/// A P1 reported at `reported`, answered in 10 minutes, resolved 9 hours later: one hour past
/// its 8-hour resolution target.
fn late_p1(external_id: &str, reported: DateTime<Utc>) -> Value {
    let t = |h: i64, m: i64| reported + chrono::TimeDelta::hours(h) + chrono::TimeDelta::minutes(m);
    json!({"external_id": external_id, "type": "incident", "title": "Server room too hot", "category": "hardware",
        "priority": "P1", "reported_at": reported,
        "timeline": [{"at": t(0, 10), "event": "first_response"}, {"at": t(9, 0), "event": "resolved"}]})
}

async fn import(app: &TestApp, root: &str, tenant: Uuid, tickets: Value) -> Vec<Value> {
    let answer = json_ok(
        app.post("/api/v1/tickets/import", root, json!({"tenant_id": tenant, "tickets": tickets})).await,
        200,
    )
    .await;
    answer["tickets"].as_array().unwrap().clone()
}

backend_test!(a_shanghai_ticket_at_0218_on_1_october_is_judged_by_the_contract_from_that_day: Backend);
async fn a_shanghai_ticket_at_0218_on_1_october_is_judged_by_the_contract_from_that_day(backend: Backend) {
    // 23:59 on 30 September in Shanghai: the contract has not begun.
    let app = TestApp::spawn_at(backend, |_| {}, at("2026-09-30T15:59:00Z")).await;
    let root = app.admin_token().await;
    let (tenant, admin) = tenant_in(&app, "SHA", "Asia/Shanghai").await;
    let gold = plan(&app, &root, tier("Gold SHA", 60)).await;
    contract(&app, &root, tenant, &gold, 10, Value::Null).await;
    let before = json_ok(app.post("/api/v1/tickets", &admin, p1()).await, 201).await;
    assert_eq!(before["sla"], Value::Null, "no contract in force on 30 September: {before}");
    problem(preview(&app, &admin, tenant, "2026-09-30T15:59:00Z").await, 404, "not_found").await;

    // 02:18 on 1 October in Shanghai, still 30 September in UTC.
    app.clock.set(at("2026-09-30T18:18:00Z"));
    let t = json_ok(app.post("/api/v1/tickets", &admin, p1()).await, 201).await;
    assert_eq!(t["sla"]["tier_name"], "Gold SHA", "{t}");
    assert_eq!(clock(&t, "first_response")["due_at"], "2026-09-30T19:18:00Z");
    assert_eq!(clock(&t, "resolution")["due_at"], "2026-10-01T02:18:00Z");
    let got = json_ok(preview(&app, &admin, tenant, "2026-09-30T18:18:00Z").await, 200).await;
    assert_eq!(got["first_response_due_at"], "2026-09-30T19:18:00Z");
    let policy =
        json_ok(app.get(&format!("/api/v1/catalog/policy?tenant_id={tenant}"), &admin).await, 200).await;
    assert_eq!(policy["on"], "2026-10-01", "the tenant's today");

    // The same instant imported from the old helpdesk: judged, its breach on record.
    app.clock.set(at("2026-10-02T00:00:00Z"));
    let results = import(
        &app,
        &root,
        tenant,
        json!([late_p1("OLD-1", at("2026-09-30T18:18:00Z")), late_p1("OLD-2", at("2026-09-30T15:59:00Z"))]),
    )
    .await;
    assert_eq!(
        results[0]["breaches"],
        json!([{"metric": "resolution", "due_at": "2026-10-01T02:18:00Z", "late_by_secs": 3600}])
    );
    assert_eq!(results[1]["breaches"], json!([]), "reported before the contract: no SLA");
    let id = results[0]["id"].as_str().unwrap();
    let imported = json_ok(app.get(&format!("/api/v1/tickets/{id}"), &admin).await, 200).await;
    assert_eq!(imported["sla"]["tier_name"], "Gold SHA");
    app.stop().await;
}

backend_test!(a_los_angeles_ticket_at_2000_on_31_october_is_judged_by_the_contract_ending_that_day: Backend);
async fn a_los_angeles_ticket_at_2000_on_31_october_is_judged_by_the_contract_ending_that_day(
    backend: Backend,
) {
    // 20:00 on 31 October in Los Angeles (PDT), already 1 November in UTC.
    let app = TestApp::spawn_at(backend, |_| {}, at("2026-11-01T03:00:00Z")).await;
    let root = app.admin_token().await;
    let (tenant, admin) = tenant_in(&app, "LAX", "America/Los_Angeles").await;
    let gold = plan(&app, &root, tier("Gold LAX", 60)).await;
    contract(&app, &root, tenant, &gold, 10, json!("2026-10-31")).await;
    let t = json_ok(app.post("/api/v1/tickets", &admin, p1()).await, 201).await;
    assert_eq!(t["sla"]["tier_name"], "Gold LAX", "{t}");
    assert_eq!(clock(&t, "first_response")["due_at"], "2026-11-01T04:00:00Z");
    json_ok(preview(&app, &admin, tenant, "2026-11-01T03:00:00Z").await, 200).await;

    // Midnight in Los Angeles: the contract has ended.
    app.clock.set(at("2026-11-01T07:00:00Z"));
    let after = json_ok(app.post("/api/v1/tickets", &admin, p1()).await, 201).await;
    assert_eq!(after["sla"], Value::Null, "no contract on 1 November: {after}");
    problem(preview(&app, &admin, tenant, "2026-11-01T07:00:00Z").await, 404, "not_found").await;

    app.clock.set(at("2026-11-02T00:00:00Z"));
    let results = import(&app, &root, tenant, json!([late_p1("OLD-1", at("2026-11-01T03:00:00Z"))])).await;
    assert_eq!(
        results[0]["breaches"],
        json!([{"metric": "resolution", "due_at": "2026-11-01T11:00:00Z", "late_by_secs": 3600}])
    );
    app.stop().await;
}

backend_test!(a_change_of_terms_takes_effect_at_the_tenants_midnight: Backend);
async fn a_change_of_terms_takes_effect_at_the_tenants_midnight(backend: Backend) {
    // 10:00 on 5 October in Shanghai.
    let app = TestApp::spawn_at(backend, |_| {}, at("2026-10-05T02:00:00Z")).await;
    let root = app.admin_token().await;
    let (tenant, admin) = tenant_in(&app, "CHG", "Asia/Shanghai").await;
    let gold = plan(&app, &root, tier("Gold CHG", 60)).await;
    let platinum = plan(&app, &root, tier("Platinum CHG", 15)).await;
    let c = contract(&app, &root, tenant, &gold, 10, Value::Null).await;
    let id = c["id"].as_str().unwrap();
    let changed = json_ok(
        app.patch(
            &format!("/api/v1/catalog/contracts/{id}"),
            &root,
            json!({"plan_id": platinum, "effective_on": "2026-10-10"}),
        )
        .await,
        200,
    )
    .await;
    assert_eq!(changed["current"]["plan_id"], gold, "not in force yet");

    // 23:30 on 9 October in Shanghai: Gold still (an hour to answer).
    let got = json_ok(preview(&app, &admin, tenant, "2026-10-09T15:30:00Z").await, 200).await;
    assert_eq!(got["first_response_due_at"], "2026-10-09T16:30:00Z");
    // 00:30 on 10 October in Shanghai, still 9 October in UTC: Platinum (15 minutes).
    let got = json_ok(preview(&app, &admin, tenant, "2026-10-09T16:30:00Z").await, 200).await;
    assert_eq!(got["first_response_due_at"], "2026-10-09T16:45:00Z");
    app.clock.set(at("2026-10-09T16:30:00Z"));
    let t = json_ok(app.post("/api/v1/tickets", &admin, p1()).await, 201).await;
    assert_eq!(t["sla"]["tier_name"], "Platinum CHG", "{t}");
    assert_eq!(clock(&t, "first_response")["due_at"], "2026-10-09T16:45:00Z");
    let shown = json_ok(app.get(&format!("/api/v1/catalog/contracts/{id}"), &root).await, 200).await;
    assert_eq!(shown["current"]["plan_id"], platinum, "in force on the tenant's today");

    // Without a date, a change takes effect on the tenant's today: 01:00 on 16 October in
    // Shanghai is still 15 October in UTC.
    app.clock.set(at("2026-10-15T17:00:00Z"));
    let changed = json_ok(
        app.patch(&format!("/api/v1/catalog/contracts/{id}"), &root, json!({"quantity": 20})).await,
        200,
    )
    .await;
    let last = changed["terms"].as_array().unwrap().last().unwrap().clone();
    assert_eq!((&last["effective_on"], &last["quantity"]), (&json!("2026-10-16"), &json!(20)));
    app.stop().await;
}

async fn invoice_of(app: &TestApp, root: &str, tenant: Uuid) -> Value {
    let list = json_ok(
        app.get(&format!("/api/v1/billing/invoices?tenant_id={tenant}&period=2026-10"), root).await,
        200,
    )
    .await;
    let items = list.as_array().unwrap();
    assert_eq!(items.len(), 1, "{list}");
    let id = items[0]["id"].as_str().unwrap();
    json_ok(app.get(&format!("/api/v1/billing/invoices/{id}"), root).await, 200).await
}

backend_test!(billing_counts_the_tenants_days: Backend);
async fn billing_counts_the_tenants_days(backend: Backend) {
    // 01:00 on 16 October in Shanghai, 15 October in UTC.
    let app = TestApp::spawn_at(backend, |_| {}, at("2026-10-15T17:00:00Z")).await;
    let root = app.admin_token().await;
    let (east, _) = tenant_in(&app, "EAST", "Asia/Shanghai").await;
    let (west, _) = tenant_in(&app, "WEST", "America/Los_Angeles").await;
    let gold = plan(&app, &root, tier("Gold BILL", 60)).await;
    let c = contract(&app, &root, east, &gold, 10, Value::Null).await;
    contract(&app, &root, west, &gold, 5, Value::Null).await;
    // Twenty seats from today, the tenant's 16 October.
    let id = c["id"].as_str().unwrap();
    json_ok(app.patch(&format!("/api/v1/catalog/contracts/{id}"), &root, json!({"quantity": 20})).await, 200)
        .await;

    // 22:00 on 31 October in Los Angeles: a P1 there is due at 20:00 its time, before
    // its October ends, and resolved an hour late.
    app.clock.set(at("2026-11-01T05:00:00Z"));
    import(&app, &root, west, json!([late_p1("W-1", at("2026-10-31T19:00:00Z"))])).await;

    // October has ended in Shanghai, not in Los Angeles: only the east is billed.
    let run = json_ok(app.post("/api/v1/billing/runs", &root, json!({"period": "2026-10"})).await, 200).await;
    assert_eq!((&run["invoices"], &run["outcome"]["not_ended"]), (&json!(1), &json!(1)), "{run}");
    let inv = invoice_of(&app, &root, east).await;
    let days: Vec<(i64, i64, i64)> = inv["lines"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|l| l["kind"] == "subscription")
        .map(|l| {
            (
                l["quantity"].as_i64().unwrap(),
                l["details"]["days"].as_i64().unwrap(),
                l["amount_minor"].as_i64().unwrap(),
            )
        })
        .collect();
    // 1–15 October at 10 seats, 16–31 at 20: 1 200.00 × 15/31 and 2 400.00 × 16/31, half-up.
    assert_eq!(days, [(10, 15, 58_065), (20, 16, 123_871)], "{inv:#}");

    // 01:00 on 1 November in Los Angeles: its October is over, with the breach in it.
    app.clock.set(at("2026-11-01T08:00:00Z"));
    let run = json_ok(app.post("/api/v1/billing/runs", &root, json!({"period": "2026-10"})).await, 200).await;
    assert_eq!(run["invoices"], 1, "{run}");
    let inv = invoice_of(&app, &root, west).await;
    let credits: Vec<i64> = inv["lines"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|l| l["kind"] == "credit")
        .map(|l| l["amount_minor"].as_i64().unwrap())
        .collect();
    assert_eq!(credits, [-3_000], "5 % of 600.00 for October's breach: {inv:#}");
    app.stop().await;
}
