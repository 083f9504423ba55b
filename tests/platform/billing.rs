//! Billing: a month replayed through the history import with known breaches gives the invoice
//! and credits worked out by hand; running the period again changes nothing; two runs at once
//! make one invoice per tenant; a breach recorded late lands once, on the next invoice.

use chrono::{DateTime, Utc};
use serde_json::{Value, json};
use uuid::Uuid;

use crate::helpers::*;

fn at(s: &str) -> DateTime<Utc> {
    s.parse().unwrap()
}

/// A tenant on a 25-seat Gold contract (120.00 a seat: 3 000.00 a month) since 1 October.
pub async fn customer(app: &TestApp, root: &str, key: &str, seats: i64, tax_rate_bp: i64) -> (Uuid, String) {
    let (tenant, admin) = app.tenant(key).await;
    let path = format!("/api/v1/tenants/{tenant}/config");
    let mut c = json_ok(app.get(&path, &admin).await, 200).await;
    c["tax_rate_bp"] = json!(tax_rate_bp);
    json_ok(app.put(&path, &admin, c).await, 200).await;
    let tier = json_ok(
        app.post(
            "/api/v1/catalog/tiers",
            root,
            json!({"name": format!("Gold {key}"), "coverage": "24x7",
                "targets": {"P1": {"first_response_mins": 60, "resolution_mins": 480},
                            "P2": {"first_response_mins": 120, "resolution_mins": 960},
                            "P3": {"first_response_mins": 240, "resolution_mins": 1440},
                            "P4": {"first_response_mins": 480, "resolution_mins": 4800}},
                "availability_target_bp": 9990,
                "credit_policy": {"per_breach_bp": {"first_response": {"P1": 200}, "resolution": {"P1": 500}},
                                  "availability_bands": [{"below_bp": 9990, "credit_bp": 1000},
                                                         {"below_bp": 9900, "credit_bp": 2500}],
                                  "cap_bp": 3000}}),
        )
        .await,
        201,
    )
    .await;
    let plan = json_ok(
        app.post(
            "/api/v1/catalog/plans",
            root,
            json!({"name": format!("Gold desktop {key}"), "tier_id": tier["id"], "unit": "seat",
                "unit_price_minor": 12000, "currency": "CNY", "extra_hour_minor": 60000}),
        )
        .await,
        201,
    )
    .await;
    json_ok(
        app.post(
            "/api/v1/catalog/contracts",
            root,
            json!({"tenant_id": tenant, "plan_id": plan["id"], "quantity": seats, "starts_on": "2026-10-01"}),
        )
        .await,
        201,
    )
    .await;
    (tenant, admin)
}

async fn import(app: &TestApp, root: &str, tenant: Uuid, tickets: Value) -> Value {
    json_ok(
        app.post("/api/v1/tickets/import", root, json!({"tenant_id": tenant, "tickets": tickets})).await,
        200,
    )
    .await
}

pub async fn invoice_of(app: &TestApp, token: &str, tenant: Uuid, period: &str) -> Value {
    let list = json_ok(
        app.get(&format!("/api/v1/billing/invoices?tenant_id={tenant}&period={period}"), token).await,
        200,
    )
    .await;
    let items = list.as_array().unwrap();
    assert_eq!(items.len(), 1, "one invoice for {tenant} in {period}: {list}");
    let id = items[0]["id"].as_str().unwrap();
    json_ok(app.get(&format!("/api/v1/billing/invoices/{id}"), token).await, 200).await
}

backend_test!(a_month_is_invoiced_with_its_credits_once_and_a_late_breach_lands_on_the_next: Backend);
async fn a_month_is_invoiced_with_its_credits_once_and_a_late_breach_lands_on_the_next(backend: Backend) {
    let app = TestApp::spawn_at(backend, |_| {}, at("2026-12-02T00:00:00Z")).await;
    let root = app.admin_token().await;
    let (bill, bill_admin) = customer(&app, &root, "BILL", 25, 1300).await;
    let (other, other_admin) = customer(&app, &root, "OTHR", 10, 0).await;

    // November, replayed: a P1 resolved an hour late (resolution breach) and a P1 answered
    // half an hour late (first-response breach); a P2 on time.
    let answers = import(
        &app,
        &root,
        bill,
        json!([
            {"external_id": "RT-1", "type": "incident", "title": "Server room too hot", "category": "hardware",
             "priority": "P1", "reported_at": "2026-11-05T01:10:00Z",
             "timeline": [{"at": "2026-11-05T01:30:00Z", "event": "first_response"},
                          {"at": "2026-11-05T10:10:00Z", "event": "resolved"},
                          {"at": "2026-11-06T10:10:00Z", "event": "closed"}]},
            {"external_id": "RT-2", "type": "incident", "title": "VPN down", "category": "network",
             "priority": "P1", "reported_at": "2026-11-10T00:00:00Z",
             "timeline": [{"at": "2026-11-10T01:30:00Z", "event": "first_response"},
                          {"at": "2026-11-10T05:00:00Z", "event": "resolved"}]},
            {"external_id": "RT-3", "type": "incident", "title": "Printer", "category": "hardware",
             "priority": "P2", "reported_at": "2026-11-12T00:00:00Z",
             "timeline": [{"at": "2026-11-12T00:30:00Z", "event": "first_response"},
                          {"at": "2026-11-12T05:00:00Z", "event": "resolved"}]}
        ]),
    )
    .await;
    let breaches: Vec<usize> = answers["tickets"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["breaches"].as_array().unwrap().len())
        .collect();
    assert_eq!(breaches, [1, 1, 0]);

    // Ticketing's breach feed, page by page; a tenant reads only its own.
    let span = "from=2026-11-01T00:00:00Z&to=2026-12-01T00:00:00Z";
    let first = json_ok(app.get(&format!("/api/v1/sla/breaches?{span}&limit=1"), &root).await, 200).await;
    assert_eq!(first["items"].as_array().unwrap().len(), 1);
    let next = first["next"].as_str().unwrap().to_owned();
    let second =
        json_ok(app.get(&format!("/api/v1/sla/breaches?{span}&limit=1&after={next}"), &root).await, 200)
            .await;
    assert_eq!(second["items"].as_array().unwrap().len(), 1);
    assert_ne!(second["items"][0], first["items"][0]);
    let rest = second["next"].as_str().unwrap().to_owned();
    let third =
        json_ok(app.get(&format!("/api/v1/sla/breaches?{span}&limit=1&after={rest}"), &root).await, 200)
            .await;
    assert!(third["items"].as_array().unwrap().is_empty());
    let theirs = json_ok(app.get(&format!("/api/v1/sla/breaches?{span}"), &other_admin).await, 200).await;
    assert!(theirs["items"].as_array().unwrap().is_empty());
    problem(
        app.get(&format!("/api/v1/sla/breaches?{span}&tenant_id={bill}"), &other_admin).await,
        404,
        "not_found",
    )
    .await;
    problem(
        app.get("/api/v1/sla/breaches?from=2026-11-01T00:00:00Z&to=2026-10-01T00:00:00Z", &root).await,
        422,
        "validation_failed",
    )
    .await;

    // Only provider admins bill; periods are checked.
    problem(
        app.post("/api/v1/billing/runs", &bill_admin, json!({"period": "2026-11"})).await,
        403,
        "forbidden",
    )
    .await;
    for bad in
        [json!({"period": "2026-13"}), json!({"period": "2026-12"}), json!({"period": "Nov"}), json!({})]
    {
        problem(app.post("/api/v1/billing/runs", &root, bad).await, 422, "validation_failed").await;
    }

    let run = json_ok(app.post("/api/v1/billing/runs", &root, json!({"period": "2026-11"})).await, 200).await;
    assert_eq!(run["status"], "succeeded", "{run}");
    assert_eq!(run["invoices"], 2);

    // Worked out by hand: 25 × 120.00 = 3 000.00; credits: P1 resolution 5 % = 150.00 and
    // P1 first response 2 % = 60.00 → 210.00 (under the 30 % cap); 13 % tax on 2 790.00 =
    // 362.70; total 3 152.70.
    let inv = invoice_of(&app, &root, bill, "2026-11").await;
    assert_eq!(inv["currency"], "CNY");
    assert_eq!(inv["subtotal_minor"], 300_000);
    assert_eq!(inv["credits_minor"], 21_000);
    assert_eq!(inv["tax_minor"], 36_270);
    assert_eq!(inv["total_minor"], 315_270);
    assert_eq!(inv["status"], "issued");
    let lines = inv["lines"].as_array().unwrap();
    assert_eq!(lines[0]["kind"], "subscription");
    assert_eq!(lines[0]["amount_minor"], 300_000);
    let credit = lines.iter().find(|l| l["kind"] == "credit").unwrap();
    assert_eq!(credit["amount_minor"], -21_000);
    // Each credit line names its breaches: which ticket, which target, how late.
    let named: Vec<(String, String, i64)> = credit["details"]["lines"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|l| l["breaches"].as_array().unwrap().clone())
        .map(|b| {
            (
                b["reference"].as_str().unwrap().to_owned(),
                b["metric"].as_str().unwrap().to_owned(),
                b["late_by_secs"].as_i64().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        named,
        [
            ("BILL-2".to_owned(), "first_response".to_owned(), 1800),
            ("BILL-1".to_owned(), "resolution".to_owned(), 3600)
        ]
    );
    let other_inv = invoice_of(&app, &root, other, "2026-11").await;
    assert_eq!(other_inv["total_minor"], 120_000, "10 seats, no credits, no tax");

    // Again: nothing changes.
    let again =
        json_ok(app.post("/api/v1/billing/runs", &root, json!({"period": "2026-11"})).await, 200).await;
    assert_eq!(again["invoices"], 0);
    assert_eq!(again["skipped"], 2);
    let same = invoice_of(&app, &root, bill, "2026-11").await;
    assert_eq!(same["id"], inv["id"]);
    assert_eq!(same["total_minor"], 315_270);

    // Two runs of October at once: one invoice per tenant.
    let (a, b) = tokio::join!(
        app.post("/api/v1/billing/runs", &root, json!({"period": "2026-10"})),
        app.post("/api/v1/billing/runs", &root, json!({"period": "2026-10"}))
    );
    let (a, b) = (json_ok(a, 200).await, json_ok(b, 200).await);
    assert_eq!(a["invoices"].as_i64().unwrap() + b["invoices"].as_i64().unwrap(), 2, "{a} {b}");
    let october = json_ok(app.get("/api/v1/billing/invoices?period=2026-10", &root).await, 200).await;
    assert_eq!(october.as_array().unwrap().len(), 2);

    // A November breach recorded after November was invoiced: credited once, on December's
    // invoice, as a late credit for November (150.00; 210.00 + 150.00 stays under the cap).
    import(
        &app,
        &root,
        bill,
        json!([{"external_id": "RT-4", "type": "incident", "title": "Mail down", "category": "software",
            "priority": "P1", "reported_at": "2026-11-20T00:00:00Z",
            "timeline": [{"at": "2026-11-20T00:30:00Z", "event": "first_response"},
                         {"at": "2026-11-20T10:00:00Z", "event": "resolved"}]}]),
    )
    .await;
    app.clock.set(at("2027-01-01T00:05:00Z"));
    json_ok(app.post("/api/v1/billing/runs", &root, json!({"period": "2026-12"})).await, 200).await;
    json_ok(app.post("/api/v1/billing/runs", &root, json!({"period": "2026-12"})).await, 200).await;
    let dec = invoice_of(&app, &root, bill, "2026-12").await;
    let late: Vec<&Value> =
        dec["lines"].as_array().unwrap().iter().filter(|l| l["kind"] == "late_credit").collect();
    assert_eq!(late.len(), 1, "{dec}");
    assert_eq!(late[0]["period"], "2026-11");
    assert_eq!(late[0]["amount_minor"], -15_000);
    // 3 000.00 − 150.00 = 2 850.00; 13 % = 370.50; 3 220.50.
    assert_eq!(dec["total_minor"], 322_050);
    assert_eq!(invoice_of(&app, &root, bill, "2026-11").await["total_minor"], 315_270, "November untouched");
    let credits =
        json_ok(app.get(&format!("/api/v1/billing/credits?tenant_id={bill}"), &root).await, 200).await;
    let mut amounts: Vec<(String, i64, bool)> = credits
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            (c["period"].as_str().unwrap().to_owned(), c["amount_minor"].as_i64().unwrap(), c["late"] == true)
        })
        .collect();
    amounts.sort();
    assert_eq!(amounts, [("2026-11".to_owned(), 15_000, true), ("2026-11".to_owned(), 21_000, false)]);

    // The invoice as CSV.
    let id = inv["id"].as_str().unwrap();
    let res = app.get(&format!("/api/v1/billing/invoices/{id}/csv"), &bill_admin).await;
    assert_eq!(res.status(), 200);
    assert!(res.headers()["content-type"].to_str().unwrap().starts_with("text/csv"));
    let text = res.text().await.unwrap();
    assert!(text.starts_with("invoice,period,line,kind,"), "{text}");
    assert!(text.contains(",credit,SLA credit: 2 breach(es),2026-11,2,0.00,-210.00,CNY"), "{text}");
    assert!(text.contains(",total,,,,,3152.70,CNY"), "{text}");

    // The local ledger: finance marks it paid, once.
    problem(
        app.post(&format!("/api/v1/billing/invoices/{id}/payments"), &bill_admin, json!({})).await,
        403,
        "forbidden",
    )
    .await;
    let paid = json_ok(
        app.post(
            &format!("/api/v1/billing/invoices/{id}/payments"),
            &root,
            json!({"reference": "BANK-2026-1201"}),
        )
        .await,
        200,
    )
    .await;
    assert_eq!(paid["status"], "paid");
    assert_eq!(paid["provider_ref"], "BANK-2026-1201");
    let twice = app.post(&format!("/api/v1/billing/invoices/{id}/payments"), &root, json!({})).await;
    problem(twice, 409, "invalid_transition").await;

    // Tenants see their own invoices and credits, nothing of another's.
    let own = json_ok(app.get("/api/v1/billing/invoices", &bill_admin).await, 200).await;
    assert!(own.as_array().unwrap().iter().all(|i| i["tenant_id"] == json!(bill)));
    assert_eq!(own.as_array().unwrap().len(), 3);
    problem(app.get(&format!("/api/v1/billing/invoices/{id}"), &other_admin).await, 404, "not_found").await;
    problem(app.get(&format!("/api/v1/billing/invoices/{id}/csv"), &other_admin).await, 404, "not_found")
        .await;
    problem(
        app.get(&format!("/api/v1/billing/credits?tenant_id={bill}"), &other_admin).await,
        404,
        "not_found",
    )
    .await;
    let theirs = json_ok(app.get("/api/v1/billing/credits", &other_admin).await, 200).await;
    assert!(theirs.as_array().unwrap().is_empty());
    let (_, requester) = app.user(bill, &bill_admin, "r@bill.test", &["requester"]).await;
    problem(app.get("/api/v1/billing/invoices", &requester).await, 403, "forbidden").await;
    app.stop().await;
}

backend_test!(a_formula_in_a_plan_s_name_reaches_the_invoice_csv_as_text: Backend);
async fn a_formula_in_a_plan_s_name_reaches_the_invoice_csv_as_text(backend: Backend) {
    let app = TestApp::spawn_at(backend, |_| {}, at("2026-12-02T00:00:00Z")).await;
    let root = app.admin_token().await;
    let (tenant, admin) = app.tenant("HOST").await;
    // The contract's plan is named "<tier> plan", and the invoice line after the plan.
    let tier = json!({"name": r#"=HYPERLINK("https://evil.test","pay")"#, "coverage": "24x7",
        "targets": {"P1": {"first_response_mins": 60, "resolution_mins": 480},
                    "P2": {"first_response_mins": 120, "resolution_mins": 960},
                    "P3": {"first_response_mins": 240, "resolution_mins": 1440},
                    "P4": {"first_response_mins": 480, "resolution_mins": 4800}},
        "availability_target_bp": 9900, "credit_policy": {"cap_bp": 1000}});
    app.contract(&root, tenant, tier).await;
    json_ok(app.post("/api/v1/billing/runs", &root, json!({"period": "2026-11"})).await, 200).await;
    let inv = invoice_of(&app, &admin, tenant, "2026-11").await;
    let id = inv["id"].as_str().unwrap();
    let text = app.get(&format!("/api/v1/billing/invoices/{id}/csv"), &admin).await.text().await.unwrap();
    // A spreadsheet shows it as text: a leading `'`, quoted for its quotes and comma.
    assert!(
        text.contains(
            r#",subscription,"'=HYPERLINK(""https://evil.test"",""pay"") plan × 10 seat",2026-11,"#
        ),
        "{text}"
    );
    assert!(!text.contains(",=HYPERLINK") && !text.contains(",\"=HYPERLINK"), "{text}");
    app.stop().await;
}

backend_test!(the_scheduler_bills_the_month_that_ended_once: Backend);
async fn the_scheduler_bills_the_month_that_ended_once(backend: Backend) {
    let app =
        TestApp::spawn_at(backend, |s| s.scheduler.system_jobs = true, at("2026-11-30T23:00:00Z")).await;
    let root = app.admin_token().await;
    let (tenant, _) = customer(&app, &root, "AUTO", 5, 0).await;
    // 1 December, 12:00 UTC: the monthly billing run's tick, once November has ended in
    // every tenant's time zone.
    app.clock.set(at("2026-12-01T12:00:30Z"));
    let job = "00000000-0000-7000-8000-5c4ed0000003";
    let run = eventually("a finished billing run", std::time::Duration::from_secs(30), async || {
        let runs = json_ok(app.get(&format!("/api/v1/jobs?schedule_id={job}"), &root).await, 200).await;
        runs.as_array().unwrap().iter().find(|r| r["status"] != "running").cloned().ok_or(runs)
    })
    .await;
    assert_eq!(run["status"], "succeeded", "{run}");
    assert_eq!(run["outcome"]["period"], "2026-11");
    assert_eq!(run["outcome"]["invoices"], 1);
    let inv = invoice_of(&app, &root, tenant, "2026-11").await;
    assert_eq!(inv["total_minor"], 60_000, "5 seats × 120.00");
    let history = json_ok(app.get("/api/v1/billing/runs", &root).await, 200).await;
    assert_eq!(history[0]["started_by"], Value::Null, "the scheduled run is nobody's");
    app.stop().await;
}

backend_test!(an_invoice_unpaid_past_the_grace_period_suspends_the_tenant_until_it_is_paid: Backend);
async fn an_invoice_unpaid_past_the_grace_period_suspends_the_tenant_until_it_is_paid(backend: Backend) {
    let app = TestApp::spawn_at(backend, |_| {}, at("2026-12-02T00:00:00Z")).await;
    let root = app.admin_token().await;
    let (tenant, admin) = customer(&app, &root, "DUNN", 5, 0).await;
    // Suspended by a person, with an overdue invoice too: not billing's to reinstate.
    let (held, _) = customer(&app, &root, "HELD", 5, 0).await;
    json_ok(app.post("/api/v1/billing/runs", &root, json!({"period": "2026-11"})).await, 200).await;
    let inv = invoice_of(&app, &root, tenant, "2026-11").await;
    assert_eq!(inv["due_on"], "2027-01-01");
    problem(app.post("/api/v1/billing/dunning", &admin, json!({})).await, 403, "forbidden").await;
    let quiet = json_ok(app.post("/api/v1/billing/dunning", &root, json!({})).await, 200).await;
    assert!(quiet["suspended"].as_array().unwrap().is_empty(), "not overdue yet: {quiet}");

    json_ok(
        app.post(&format!("/api/v1/tenants/{held}/suspend"), &root, json!({"reason": "audit"})).await,
        200,
    )
    .await;
    // Due 1 January; 14 days of grace: on the 16th both are overdue.
    app.clock.set(at("2027-01-16T08:00:00Z"));
    let done = json_ok(app.post("/api/v1/billing/dunning", &root, json!({})).await, 200).await;
    let suspended: Vec<&Value> = done["suspended"].as_array().unwrap().iter().collect();
    assert_eq!(suspended.len(), 1, "{done}");
    assert_eq!(suspended[0]["tenant_id"], json!(tenant));
    let t = json_ok(app.get(&format!("/api/v1/tenants/{tenant}"), &root).await, 200).await;
    assert_eq!(t["status"], "suspended");
    assert!(t["status_reason"].as_str().unwrap().contains("DUNN-202611"), "{t}");
    let again = json_ok(app.post("/api/v1/billing/dunning", &root, json!({})).await, 200).await;
    assert!(
        again["suspended"].as_array().unwrap().is_empty()
            && again["reinstated"].as_array().unwrap().is_empty()
    );

    // Paid: reinstated at once. The tenant a person suspended stays suspended when it pays.
    let id = inv["id"].as_str().unwrap();
    json_ok(app.post(&format!("/api/v1/billing/invoices/{id}/payments"), &root, json!({})).await, 200).await;
    let t = json_ok(app.get(&format!("/api/v1/tenants/{tenant}"), &root).await, 200).await;
    assert_eq!(t["status"], "active");
    let held_inv = invoice_of(&app, &root, held, "2026-11").await;
    let held_id = held_inv["id"].as_str().unwrap();
    json_ok(app.post(&format!("/api/v1/billing/invoices/{held_id}/payments"), &root, json!({})).await, 200)
        .await;
    let t = json_ok(app.get(&format!("/api/v1/tenants/{held}"), &root).await, 200).await;
    assert_eq!(t["status"], "suspended");
    app.stop().await;
}

backend_test!(measured_availability_earns_its_band_and_is_fixed_once_invoiced: Backend);
async fn measured_availability_earns_its_band_and_is_fixed_once_invoiced(backend: Backend) {
    let owned = TestApp::spawn_at(backend, |_| {}, at("2026-12-02T00:00:00Z")).await;
    let app = &owned;
    let root = app.admin_token().await;
    let (tenant, admin) = customer(app, &root, "AVAL", 25, 0).await;
    let (other, other_admin) = customer(app, &root, "AVOT", 5, 0).await;
    // 99.50 % in November: below 99.9 %, not below 99 % → 10 % of 3 000.00 = 300.00.
    let ask = json!({"tenant_id": tenant, "period": "2026-11", "availability_bp": 9950, "note": "core switch outage"});
    problem(app.put("/api/v1/billing/availability", &admin, ask.clone()).await, 403, "forbidden").await;
    for bad in [
        json!({"tenant_id": tenant, "period": "2026-11", "availability_bp": 10_001}),
        json!({"tenant_id": tenant, "period": "2099-01", "availability_bp": 9000}),
        json!({"tenant_id": tenant, "period": "11/2026", "availability_bp": 9000}),
    ] {
        problem(app.put("/api/v1/billing/availability", &root, bad).await, 422, "validation_failed").await;
    }
    let saved = json_ok(app.put("/api/v1/billing/availability", &root, ask.clone()).await, 200).await;
    assert_eq!(saved["availability_bp"], 9950);
    json_ok(app.post("/api/v1/billing/runs", &root, json!({"period": "2026-11"})).await, 200).await;
    let inv = invoice_of(app, &root, tenant, "2026-11").await;
    assert_eq!(inv["credits_minor"], 30_000);
    let credit = inv["lines"].as_array().unwrap().iter().find(|l| l["kind"] == "credit").unwrap();
    assert_eq!(credit["description"], "SLA credit: availability");
    assert_eq!(credit["details"]["lines"][0]["kind"], "availability");
    assert_eq!(credit["details"]["lines"][0]["description"], "availability 99.50 % below 99.90 %");
    assert_eq!(
        invoice_of(app, &root, other, "2026-11").await["credits_minor"],
        0,
        "nothing measured, nothing owed"
    );
    // Once invoiced, the period's availability is fixed.
    problem(app.put("/api/v1/billing/availability", &root, ask).await, 409, "conflict").await;
    // Tenants read their own measurements only.
    let own = json_ok(app.get("/api/v1/billing/availability", &admin).await, 200).await;
    assert_eq!(own.as_array().unwrap().len(), 1);
    let theirs = json_ok(app.get("/api/v1/billing/availability", &other_admin).await, 200).await;
    assert!(theirs.as_array().unwrap().is_empty());
    problem(
        app.get(&format!("/api/v1/billing/availability?tenant_id={tenant}"), &other_admin).await,
        404,
        "not_found",
    )
    .await;
    owned.stop().await;
}

backend_test!(a_tenant_whose_data_cannot_be_read_is_reported_not_skipped: Backend);
/// A tenant whose data billing cannot read is not skipped: the run invoices the others and
/// names it, with the reason, among its problems; once its data reads again, a second run of
/// the period invoices it (and only it).
async fn a_tenant_whose_data_cannot_be_read_is_reported_not_skipped(backend: Backend) {
    use sea_orm::ConnectionTrait;
    use sea_orm::sea_query::{Alias, Expr, ExprTrait, Query};

    let app = TestApp::spawn_at(backend, |_| {}, at("2026-12-01T03:00:00Z")).await;
    let root = app.admin_token().await;
    let (good, _) = customer(&app, &root, "GOOD", 5, 0).await;
    let (broken, _) = customer(&app, &root, "BROKEN", 5, 0).await;
    // The catalogue knows every tenant's time zone (cached): it lists their contracts on
    // their own days, and the breakage below is billing's to meet, not the catalogue's.
    json_ok(app.get("/api/v1/catalog/contracts", &root).await, 200).await;
    // The broken tenant's configuration, as stored, no longer reads as a configuration: the
    // tenants service answers 500 for it. Written straight into the tenants service's table.
    let db = canopy_kernel::db::connect(&app.settings, "tenants").await.unwrap();
    let (configs, document) = (Alias::new("tenant_configs"), Alias::new("document"));
    let of_broken = || Expr::col(Alias::new("tenant_id")).eq(broken);
    let read = Query::select()
        .columns([Alias::new("version"), document.clone()])
        .from(configs.clone())
        .and_where(of_broken())
        .to_owned();
    let stored: Vec<(i64, Value)> = db
        .query_all(&read)
        .await
        .unwrap()
        .iter()
        .map(|row| (row.try_get("", "version").unwrap(), row.try_get("", "document").unwrap()))
        .collect();
    assert!(!stored.is_empty());
    let spoil = Query::update()
        .table(configs.clone())
        .value(document.clone(), json!({"timezone": 7}))
        .and_where(of_broken())
        .to_owned();
    db.execute(&spoil).await.unwrap();

    let run = json_ok(app.post("/api/v1/billing/runs", &root, json!({"period": "2026-11"})).await, 200).await;
    assert_eq!(run["status"], "succeeded", "{run}");
    assert_eq!((&run["invoices"], &run["skipped"]), (&json!(1), &json!(0)), "{run}");
    let problems = run["outcome"]["problems"].as_array().unwrap();
    assert_eq!(problems.len(), 1, "{run}");
    assert_eq!(problems[0]["tenant_id"], json!(broken));
    let why = problems[0]["problem"].as_str().unwrap();
    assert!(why.contains("configuration cannot be read") && why.contains("500"), "{why}");
    invoice_of(&app, &root, good, "2026-11").await;
    let none = json_ok(
        app.get(&format!("/api/v1/billing/invoices?tenant_id={broken}&period=2026-11"), &root).await,
        200,
    )
    .await;
    assert_eq!(none, json!([]), "no invoice for a tenant billing could not read");

    // Put right, the tenant is invoiced by the next run of the period; the other stays as it was.
    for (version, doc) in &stored {
        let restore = Query::update()
            .table(configs.clone())
            .value(document.clone(), doc.clone())
            .and_where(of_broken())
            .and_where(Expr::col(Alias::new("version")).eq(*version))
            .to_owned();
        db.execute(&restore).await.unwrap();
    }
    let again =
        json_ok(app.post("/api/v1/billing/runs", &root, json!({"period": "2026-11"})).await, 200).await;
    assert_eq!((&again["invoices"], &again["skipped"]), (&json!(1), &json!(1)), "{again}");
    assert_eq!(again["outcome"]["problems"], json!([]));
    assert_eq!(invoice_of(&app, &root, broken, "2026-11").await["total_minor"], 60_000);
    app.stop().await;
}
