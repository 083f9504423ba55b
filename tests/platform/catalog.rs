//! The catalogue: tiers, plans and contracts as the design fixes them, effective policies,
//! previews that agree with the SLA engine, and isolation of contracts between tenants.

use std::time::Duration;

use reqwest::Method;
use serde_json::{Value, json};
use uuid::Uuid;

use canopy_sla::{BusinessCalendar, CalendarSpec};

use crate::helpers::*;

fn gold() -> Value {
    json!({"name": "Gold", "coverage": "24x7",
        "targets": {"P1": {"first_response_mins": 15, "update_mins": 60, "resolution_mins": 240, "onsite_mins": 240},
                    "P2": {"first_response_mins": 30, "resolution_mins": 480},
                    "P3": {"first_response_mins": 60, "resolution_mins": 1440},
                    "P4": {"first_response_mins": 240, "resolution_mins": 4320}},
        "availability_target_bp": 9990,
        "credit_policy": {
            "per_breach_bp": {"first_response": {"P1": 200, "P2": 100}, "resolution": {"P1": 500, "P2": 200}, "onsite": {"P1": 300}},
            "availability_bands": [{"below_bp": 9990, "credit_bp": 1000}, {"below_bp": 9900, "credit_bp": 2500}, {"below_bp": 9500, "credit_bp": 10000}],
            "cap_bp": 3000}})
}

fn bronze() -> Value {
    json!({"name": "Bronze", "coverage": "business_hours",
        "targets": {"P1": {"first_response_mins": 60, "resolution_mins": 480, "onsite_mins": 960},
                    "P2": {"first_response_mins": 120, "resolution_mins": 960},
                    "P3": {"first_response_mins": 240, "resolution_mins": 2400},
                    "P4": {"first_response_mins": 480, "resolution_mins": 4800}},
        "availability_target_bp": 9900,
        "credit_policy": {"per_breach_bp": {"resolution": {"P1": 200}}, "cap_bp": 1000}})
}

struct Offer {
    root: String,
    plan: Uuid,
}

/// A service, a tier and a plan on that tier.
async fn offer(app: &TestApp, tier: Value, currency: &str) -> Offer {
    let root = app.admin_token().await;
    let service = json_ok(
        app.post(
            "/api/v1/catalog/services",
            &root,
            json!({"key": format!("desk-{}", Uuid::new_v4().simple()), "name": "Desktop support"}),
        )
        .await,
        201,
    )
    .await;
    let tier = json_ok(app.post("/api/v1/catalog/tiers", &root, tier).await, 201).await;
    let plan = json_ok(
        app.post("/api/v1/catalog/plans", &root, json!({"name": format!("{} plan {currency}", tier["name"].as_str().unwrap()), "tier_id": tier["id"],
            "service_ids": [service["id"]], "unit": "seat", "unit_price_minor": 12000, "currency": currency, "included_onsite_mins": 240})).await,
        201,
    )
    .await;
    Offer { root, plan: plan["id"].as_str().unwrap().parse().unwrap() }
}

async fn contract(app: &TestApp, o: &Offer, tenant: Uuid, overrides: Value) -> Value {
    json_ok(
        app.post(
            "/api/v1/catalog/contracts",
            &o.root,
            json!({"tenant_id": tenant, "plan_id": o.plan, "quantity": 25,
            "starts_on": "2026-10-01", "ends_on": null, "overrides": overrides}),
        )
        .await,
        201,
    )
    .await
}

backend_test!(the_design_s_tier_plan_and_contract_give_the_effective_policy);
async fn the_design_s_tier_plan_and_contract_give_the_effective_policy(app: &TestApp) {
    let o = offer(app, gold(), "CNY").await;
    let (tenant, admin) = app.tenant("GOLDY").await;
    let c = contract(app, &o, tenant, json!({"P1": {"resolution_mins": 180}})).await;
    assert_eq!(c["monthly_fee_minor"], 300_000, "25 seats × 120.00");
    assert_eq!(c["currency"], "CNY");
    let p = json_ok(
        app.get(&format!("/api/v1/catalog/policy?tenant_id={tenant}&on=2026-11-15"), &admin).await,
        200,
    )
    .await;
    assert_eq!(p["tier_name"], "Gold");
    assert_eq!(p["coverage"], "24x7");
    assert_eq!(
        p["targets"]["P1"],
        json!({"first_response_mins": 15, "update_mins": 60, "resolution_mins": 180, "onsite_mins": 240})
    );
    assert_eq!(p["targets"]["P2"]["resolution_mins"], 480);
    assert_eq!(p["credit_policy"]["cap_bp"], 3000);
    assert_eq!(p["contract_id"], c["id"]);
    // Before the contract starts there is no policy.
    problem(
        app.get(&format!("/api/v1/catalog/policy?tenant_id={tenant}&on=2026-09-30"), &admin).await,
        404,
        "not_found",
    )
    .await;
    // A requester of the tenant reads its SLA too.
    let (_, requester) = app.user(tenant, &admin, "r@goldy.test", &["requester"]).await;
    json_ok(app.get(&format!("/api/v1/catalog/policy?tenant_id={tenant}"), &requester).await, 200).await;
}

backend_test!(an_override_looser_than_the_tier_is_refused);
async fn an_override_looser_than_the_tier_is_refused(app: &TestApp) {
    let o = offer(app, gold(), "EUR").await;
    let (tenant, _) = app.tenant("LOOSE").await;
    let res = app
        .post("/api/v1/catalog/contracts", &o.root, json!({"tenant_id": tenant, "plan_id": o.plan, "quantity": 5, "starts_on": "2026-10-01",
            "overrides": {"P1": {"resolution_mins": 300, "first_response_mins": 10}, "P3": {"onsite_mins": 0}}}))
        .await;
    let body = problem(res, 422, "validation_failed").await;
    let fields: Vec<&str> =
        body["errors"].as_array().unwrap().iter().map(|e| e["field"].as_str().unwrap()).collect();
    assert!(fields.contains(&"overrides.P1.resolution_mins"), "{fields:?}");
    assert!(fields.contains(&"overrides.P3.onsite_mins"), "{fields:?}");
    assert!(!fields.contains(&"overrides.P1.first_response_mins"), "stricter is fine");
    let list =
        json_ok(app.get(&format!("/api/v1/catalog/contracts?tenant_id={tenant}"), &o.root).await, 200).await;
    assert!(list["items"].as_array().unwrap().is_empty(), "nothing was stored");
}

backend_test!(a_preview_matches_the_engine_on_the_tenant_s_calendar);
async fn a_preview_matches_the_engine_on_the_tenant_s_calendar(app: &TestApp) {
    let o = offer(app, bronze(), "CNY").await;
    let (tenant, admin) = app.tenant("LOTUS").await;
    let body = json!({"tenant_id": tenant, "plan_id": o.plan, "quantity": 12, "starts_on": "2026-09-01"});
    json_ok(app.post("/api/v1/catalog/contracts", &o.root, body).await, 201).await;
    let calendar = json!({
        "weekly": {"mon": [["09:00", "12:00"], ["13:00", "18:00"]], "tue": [["09:00", "12:00"], ["13:00", "18:00"]],
                   "wed": [["09:00", "12:00"], ["13:00", "18:00"]], "thu": [["09:00", "12:00"], ["13:00", "18:00"]],
                   "fri": [["09:00", "12:00"], ["13:00", "18:00"]], "sat": [], "sun": []},
        "holidays": ["2026-10-01", "2026-10-02", "2026-10-03", "2026-10-04", "2026-10-05", "2026-10-06", "2026-10-07"],
        "extra_working_days": ["2026-09-27", "2026-10-10"]});
    let mut c = json_ok(app.get(&format!("/api/v1/tenants/{tenant}/config"), &admin).await, 200).await;
    c["business_calendar"] = calendar.clone();
    json_ok(app.put(&format!("/api/v1/tenants/{tenant}/config"), &admin, c).await, 200).await;

    let engine =
        BusinessCalendar::new("Asia/Shanghai", &serde_json::from_value::<CalendarSpec>(calendar).unwrap())
            .unwrap();
    let at = |s: i64| {
        chrono::DateTime::from_timestamp(s, 0).unwrap().to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
    };
    for start in ["2026-09-30T09:00:00Z", "2026-10-09T09:30:00Z", "2026-10-12T03:30:00Z"] {
        let t = chrono::DateTime::parse_from_rfc3339(start).unwrap().timestamp();
        let got = json_ok(
            app.post(
                "/api/v1/catalog/sla/preview",
                &admin,
                json!({"tenant_id": tenant, "priority": "P1", "start": start, "onsite": true}),
            )
            .await,
            200,
        )
        .await;
        assert_eq!(got["first_response_due_at"], at(engine.due(t, 60 * 60).unwrap()), "{start}");
        assert_eq!(got["resolution_due_at"], at(engine.due(t, 480 * 60).unwrap()), "{start}");
        assert_eq!(got["onsite_due_at"], at(engine.due(t, 960 * 60).unwrap()), "{start}");
    }
    // Worked by hand: Wednesday 30 September 17:00 + 1 h → the evening's last hour; 8 h of
    // resolution run 1 h that evening, then 8 October 09:00–12:00 and 13:00–17:00.
    let got = json_ok(
        app.post(
            "/api/v1/catalog/sla/preview",
            &admin,
            json!({"tenant_id": tenant, "priority": "P1", "start": "2026-09-30T09:00:00Z"}),
        )
        .await,
        200,
    )
    .await;
    assert_eq!(got["first_response_due_at"], "2026-09-30T10:00:00Z");
    assert_eq!(got["resolution_due_at"], "2026-10-08T09:00:00Z");
    assert_eq!(got["onsite_due_at"], Value::Null, "no on-site target without on-site work");
    // Only provider staff use the what-if calculator.
    let explicit = json!({"start": "2026-03-08T03:00:00Z", "targets": {"resolution_mins": 360}});
    problem(app.post("/api/v1/catalog/sla/preview", &admin, explicit).await, 403, "forbidden").await;
}

backend_test!(the_explicit_preview_follows_the_design_s_rules);
async fn the_explicit_preview_follows_the_design_s_rules(app: &TestApp) {
    let root = app.admin_token().await;
    // 24×7 when no calendar is given.
    let got = json_ok(
        app.post(
            "/api/v1/catalog/sla/preview",
            &root,
            json!({"timezone": "UTC", "start": "2026-03-08T03:00:00Z",
        "targets": {"first_response_mins": 15, "resolution_mins": 360}}),
        )
        .await,
        200,
    )
    .await;
    assert_eq!(
        got,
        json!({"first_response_due_at": "2026-03-08T03:15:00Z", "resolution_due_at": "2026-03-08T09:00:00Z", "onsite_due_at": null})
    );
    // An interval opening inside New York's spring-forward gap opens an hour later (02:30 → 03:30 EDT).
    let got = json_ok(
        app.post(
            "/api/v1/catalog/sla/preview",
            &root,
            json!({"timezone": "America/New_York",
        "business_calendar": {"weekly": {"sun": [["02:30", "04:00"]]}}, "start": "2026-03-08T05:00:00Z",
        "targets": {"resolution_mins": 30, "onsite_mins": 15}}),
        )
        .await,
        200,
    )
    .await;
    assert_eq!(got["resolution_due_at"], "2026-03-08T08:00:00Z");
    assert_eq!(got["onsite_due_at"], "2026-03-08T07:45:00Z");
    let bad = app.post("/api/v1/catalog/sla/preview", &root, json!({"timezone": "Europe/Atlantis",
        "business_calendar": {"weekly": {"mon": [["09:00", "08:00"], ["07:00", "10:00"]]}}, "start": "2026-03-08T05:00:00Z", "targets": {}})).await;
    problem(bad, 422, "validation_failed").await;
    let bad =
        app.post("/api/v1/catalog/sla/preview", &root, json!({"start": "yesterday", "targets": {}})).await;
    let body = problem(bad, 422, "validation_failed").await;
    assert_eq!(body["errors"][0]["field"], "start");
}

backend_test!(bad_catalogue_entries_are_explained);
async fn bad_catalogue_entries_are_explained(app: &TestApp) {
    let o = offer(app, gold(), "EUR").await;
    let root = &o.root;
    let mut tier = gold();
    tier["name"] = json!("Broken");
    tier["targets"].as_object_mut().unwrap().remove("P4");
    tier["targets"]["P1"]["first_response_mins"] = json!(0);
    tier["credit_policy"]["cap_bp"] = json!(20_000);
    let body = problem(app.post("/api/v1/catalog/tiers", root, tier).await, 422, "validation_failed").await;
    let fields: Vec<&str> =
        body["errors"].as_array().unwrap().iter().map(|e| e["field"].as_str().unwrap()).collect();
    assert_eq!(fields, ["targets.P1.first_response_mins", "targets.P4", "credit_policy.cap_bp"]);
    problem(
        app.post("/api/v1/catalog/tiers", root, json!({"name": "X", "coverage": "9to5"})).await,
        422,
        "validation_failed",
    )
    .await;
    problem(app.post("/api/v1/catalog/tiers", root, gold()).await, 409, "conflict").await;
    let plan = json!({"name": "P", "tier_id": Uuid::now_v7(), "service_ids": [Uuid::now_v7()], "unit": "seat", "unit_price_minor": -1, "currency": "eur"});
    let body = problem(app.post("/api/v1/catalog/plans", root, plan).await, 422, "validation_failed").await;
    let fields: Vec<&str> =
        body["errors"].as_array().unwrap().iter().map(|e| e["field"].as_str().unwrap()).collect();
    assert_eq!(fields, ["unit_price_minor", "currency", "tier_id", "service_ids[0]"]);

    let (tenant, _) = app.tenant("BADC").await;
    let c = |body: Value| app.post("/api/v1/catalog/contracts", root, body);
    let body = problem(c(json!({"tenant_id": Uuid::now_v7(), "plan_id": o.plan, "quantity": 0, "starts_on": "2026-10-01", "ends_on": "2026-09-01"})).await, 422, "validation_failed").await;
    let fields: Vec<&str> =
        body["errors"].as_array().unwrap().iter().map(|e| e["field"].as_str().unwrap()).collect();
    assert_eq!(fields, ["ends_on", "quantity", "tenant_id"]);
    json_ok(c(json!({"tenant_id": tenant, "plan_id": o.plan, "quantity": 3, "starts_on": "2026-10-01", "ends_on": "2026-12-31"})).await, 201).await;
    problem(
        c(json!({"tenant_id": tenant, "plan_id": o.plan, "quantity": 3, "starts_on": "2026-12-01"})).await,
        409,
        "conflict",
    )
    .await;
    json_ok(
        c(json!({"tenant_id": tenant, "plan_id": o.plan, "quantity": 3, "starts_on": "2027-01-01"})).await,
        201,
    )
    .await;
}

backend_test!(a_plan_change_from_a_date_keeps_the_earlier_terms);
async fn a_plan_change_from_a_date_keeps_the_earlier_terms(app: &TestApp) {
    let o = offer(app, gold(), "EUR").await;
    let bronze_offer = offer(app, bronze(), "EUR").await;
    let (tenant, admin) = app.tenant("MOVER").await;
    let c = contract(app, &o, tenant, json!({})).await;
    let id = c["id"].as_str().unwrap();
    let changed = json_ok(
        app.patch(
            &format!("/api/v1/catalog/contracts/{id}"),
            &o.root,
            json!({"plan_id": bronze_offer.plan, "quantity": 30, "effective_on": "2027-01-01"}),
        )
        .await,
        200,
    )
    .await;
    assert_eq!(changed["terms"].as_array().unwrap().len(), 2);
    let before = json_ok(
        app.get(&format!("/api/v1/catalog/policy?tenant_id={tenant}&on=2026-12-31"), &admin).await,
        200,
    )
    .await;
    let after = json_ok(
        app.get(&format!("/api/v1/catalog/policy?tenant_id={tenant}&on=2027-01-01"), &admin).await,
        200,
    )
    .await;
    assert_eq!((before["tier_name"].as_str(), before["quantity"].as_i64()), (Some("Gold"), Some(25)));
    assert_eq!((after["tier_name"].as_str(), after["quantity"].as_i64()), (Some("Bronze"), Some(30)));
    problem(
        app.patch(
            &format!("/api/v1/catalog/contracts/{id}"),
            &o.root,
            json!({"quantity": 2, "effective_on": "2026-01-01"}),
        )
        .await,
        422,
        "validation_failed",
    )
    .await;
    problem(
        app.patch(&format!("/api/v1/catalog/contracts/{id}"), &o.root, json!({})).await,
        422,
        "validation_failed",
    )
    .await;
    let ended = json_ok(
        app.patch(&format!("/api/v1/catalog/contracts/{id}"), &o.root, json!({"ends_on": "2027-06-30"}))
            .await,
        200,
    )
    .await;
    assert_eq!(ended["ends_on"], "2027-06-30");
    problem(
        app.get(&format!("/api/v1/catalog/policy?tenant_id={tenant}&on=2027-07-01"), &admin).await,
        404,
        "not_found",
    )
    .await;
}

backend_test!(contracts_and_policies_are_invisible_across_tenants);
async fn contracts_and_policies_are_invisible_across_tenants(app: &TestApp) {
    let o = offer(app, gold(), "EUR").await;
    let (victim, victim_admin) = app.tenant("VICTIM").await;
    let (attacker_tenant, attacker) = app.tenant("ATTACK").await;
    let c = contract(app, &o, victim, json!({})).await;
    let id = c["id"].as_str().unwrap();
    let missing = Uuid::now_v7();
    for (real, fake) in [
        (format!("/api/v1/catalog/contracts/{id}"), format!("/api/v1/catalog/contracts/{missing}")),
        (
            format!("/api/v1/catalog/policy?tenant_id={victim}"),
            format!("/api/v1/catalog/policy?tenant_id={missing}"),
        ),
        (
            format!("/api/v1/catalog/contracts?tenant_id={victim}"),
            format!("/api/v1/catalog/contracts?tenant_id={missing}"),
        ),
    ] {
        let a = problem(app.get(&real, &attacker).await, 404, "not_found").await;
        let b = problem(app.get(&fake, &attacker).await, 404, "not_found").await;
        assert_eq!(a["detail"], b["detail"], "{real}");
    }
    let a = problem(
        app.patch(&format!("/api/v1/catalog/contracts/{id}"), &attacker, json!({"quantity": 1})).await,
        404,
        "not_found",
    )
    .await;
    let b = problem(
        app.patch(&format!("/api/v1/catalog/contracts/{missing}"), &attacker, json!({"quantity": 1})).await,
        404,
        "not_found",
    )
    .await;
    assert_eq!(a["detail"], b["detail"]);
    let preview = json!({"tenant_id": victim, "priority": "P1", "start": "2026-11-20T10:00:00Z"});
    problem(app.post("/api/v1/catalog/sla/preview", &attacker, preview).await, 404, "not_found").await;
    let list = json_ok(app.get("/api/v1/catalog/contracts", &attacker).await, 200).await;
    assert!(list["items"].as_array().unwrap().is_empty());
    let own = json_ok(app.get("/api/v1/catalog/contracts", &victim_admin).await, 200).await;
    assert_eq!(own["items"][0]["id"], c["id"]);
    assert_eq!(own["items"][0]["current"]["quantity"], 25, "unchanged");
    // Tenants read the catalogue but do not change it.
    json_ok(app.get("/api/v1/catalog/tiers", &attacker).await, 200).await;
    problem(app.post("/api/v1/catalog/tiers", &attacker, gold()).await, 403, "forbidden").await;
    let body =
        json!({"tenant_id": attacker_tenant, "plan_id": o.plan, "quantity": 1, "starts_on": "2026-10-01"});
    problem(
        app.call(Method::POST, "/api/v1/catalog/contracts", Some(&attacker), Some(body)).await,
        403,
        "forbidden",
    )
    .await;
}

backend_test!(the_contract_s_tier_sizes_the_tenant_s_rate_limit);
async fn the_contract_s_tier_sizes_the_tenant_s_rate_limit(app: &TestApp) {
    let mut tier = gold();
    tier["name"] = json!("Metered");
    tier["rate_limit"] = json!({"requests": 7, "period_secs": 60});
    let o = offer(app, tier, "EUR").await;
    let (tenant, admin) = app.tenant("METER").await;
    let res = app.get(&format!("/api/v1/tenants/{tenant}"), &admin).await;
    assert_eq!(res.headers()["ratelimit-limit"], "100000", "the default tier before any contract");
    json_ok(
        app.post(
            "/api/v1/catalog/contracts",
            &o.root,
            json!({"tenant_id": tenant, "plan_id": o.plan, "quantity": 1, "starts_on": "2026-01-01"}),
        )
        .await,
        201,
    )
    .await;
    eventually("the contract's tier sizing the bucket (7)", Duration::from_secs(2), async || {
        let res = app.get(&format!("/api/v1/tenants/{tenant}"), &admin).await;
        let limit = res.headers().get("ratelimit-limit").and_then(|v| v.to_str().ok()).unwrap_or_default();
        if limit == "7" { Ok(()) } else { Err(limit.to_owned()) }
    })
    .await;
}
