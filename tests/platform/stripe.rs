//! Stripe without network: the async-stripe client is pointed at a local server that answers
//! with recorded objects of the pinned API version (2026-09-30.endive) and records every
//! request — path, form body, `Idempotency-Key`. An invoice is handed over with keys made of
//! Canopy's rows; after a 500 the retry finds what Stripe holds by metadata and asks the
//! failed call again with the same key and parameters; webhook signatures are
//! accepted inside the 5-minute tolerance and refused outside it or with the wrong secret; a
//! duplicate event is applied once. A breach recorded after its period's invoice went to
//! Stripe becomes a credit note on that invoice, with the tax that falls with it.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use actix_web::{App, HttpRequest, HttpResponse, HttpServer, web};
use chrono::{DateTime, Utc};
use hmac::{Hmac, Mac};
use serde_json::{Value, json};
use sha2::Sha256;
use uuid::Uuid;

use canopy_kernel::clock::Clock;

use crate::helpers::*;

const WEBHOOK_SECRET: &str = "whsec_canopy_test_0123456789";

#[derive(Clone, Debug)]
struct Call {
    method: String,
    path: String,
    key: String,
    version: String,
    body: String,
}

/// A Stripe invoice as the API (2026-09-30.endive) renders it, with the fields async-stripe
/// requires.
fn invoice_object(id: &str, status: &str, canopy_invoice: &str, total: i64) -> Value {
    json!({
        "id": id, "object": "invoice", "status": status, "livemode": false, "created": 1764547200,
        "currency": "cny", "customer": "cus_Canopy1", "collection_method": "send_invoice",
        "amount_due": total, "amount_overpaid": 0, "amount_paid": if status == "paid" { total } else { 0 },
        "amount_remaining": if status == "paid" { 0 } else { total }, "amount_shipping": 0,
        "attempt_count": 0, "attempted": false, "automatic_tax": {"enabled": false},
        "default_tax_rates": [], "discounts": [], "issuer": {"type": "self"},
        "lines": {"object": "list", "data": [], "has_more": false, "url": format!("/v1/invoices/{id}/lines")},
        "payment_settings": {}, "period_end": 1764547200, "period_start": 1764547200,
        "post_payment_credit_notes_amount": 0, "pre_payment_credit_notes_amount": 0, "starting_balance": 0,
        "status_transitions": {}, "subtotal": total, "total": total,
        "metadata": {"canopy_invoice_id": canopy_invoice}
    })
}

/// A credit note as the API renders it, made of the request that created it.
fn credit_note_object(body: &str) -> Value {
    let amount = |key: &str| form_value(body, key).and_then(|a| a.parse::<i64>().ok()).unwrap_or(0);
    let total = amount("lines[0][unit_amount]") + amount("lines[1][unit_amount]");
    let id = form_value(body, "metadata[canopy_credit_note_id]").unwrap_or_default();
    json!({
        "id": format!("cn_{}", &id[id.len().saturating_sub(6)..]), "object": "credit_note", "amount": total,
        "amount_shipping": 0, "created": 1764547200, "currency": "cny", "customer": "cus_Canopy1",
        "discount_amount": 0, "discount_amounts": [], "invoice": form_value(body, "invoice"),
        "lines": {"object": "list", "data": [], "has_more": false, "url": "/v1/credit_notes/lines"},
        "livemode": false, "number": "CN-0001", "pdf": "https://example.invalid/cn.pdf",
        "post_payment_amount": 0, "pre_payment_amount": total, "pretax_credit_amounts": [], "refunds": [],
        "status": "issued", "subtotal": total, "total": total, "type": "pre_payment",
        "metadata": {"canopy_credit_note_id": id}
    })
}

fn form_value(body: &str, key: &str) -> Option<String> {
    body.split('&').find_map(|pair| {
        let (k, v) = pair.split_once('=')?;
        let k = k.replace("%5B", "[").replace("%5D", "]");
        (k == key).then(|| v.replace("%2D", "-").replace("%20", " ").replace('+', " "))
    })
}

/// Stripe's stand-in: answers every create with an object built from the request, and fails
/// the first attempt at the second invoice item with a 500.
async fn fake_stripe() -> (String, Arc<Mutex<Vec<Call>>>, actix_web::dev::ServerHandle) {
    let calls: Arc<Mutex<Vec<Call>>> = Arc::default();
    let state = calls.clone();
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let server = HttpServer::new(move || {
        let state = state.clone();
        App::new().app_data(web::Data::new(state)).default_service(web::to(
            |req: HttpRequest, body: web::Bytes, calls: web::Data<Arc<Mutex<Vec<Call>>>>| async move {
                let header = |name: &str| req.headers().get(name).and_then(|v| v.to_str().ok()).unwrap_or_default().to_owned();
                let body = String::from_utf8_lossy(&body).to_string();
                let path = req.path().to_owned();
                let call = Call {
                    method: req.method().to_string(),
                    path: path.clone(),
                    key: header("idempotency-key"),
                    version: header("stripe-version"),
                    body: if req.method() == actix_web::http::Method::GET { req.query_string().to_owned() } else { body.clone() },
                };
                let mut calls = calls.lock().unwrap();
                let items_before = calls.iter().filter(|c| c.path == "/v1/invoiceitems").count();
                calls.push(call);
                let canopy = form_value(&body, "metadata[canopy_invoice_id]").unwrap_or_default();
                // What Stripe holds: the items made (every item call but the failed second).
                let made: Vec<Value> = calls
                    .iter()
                    .filter(|c| c.path == "/v1/invoiceitems")
                    .enumerate()
                    .filter(|(i, _)| *i != 1)
                    .map(|(i, c)| json!({"id": format!("il_{i}"), "object": "line_item",
                        "amount": form_value(&c.body, "amount").and_then(|a| a.parse::<i64>().ok()),
                        "currency": "cny", "discountable": false, "discounts": [], "livemode": false,
                        "metadata": {"canopy_item": form_value(&c.body, "metadata[canopy_item]")},
                        "period": {"start": 1764547200, "end": 1764547200}, "subtotal": 0}))
                    .collect();
                match path.as_str() {
                    "/v1/invoices/search" => {
                        let canopy = calls
                            .iter()
                            .find(|c| c.path == "/v1/invoices")
                            .and_then(|c| form_value(&c.body, "metadata[canopy_invoice_id]"))
                            .unwrap_or_default();
                        let mut found = invoice_object("in_Canopy1", "draft", &canopy, 0);
                        found["lines"]["data"] = json!(made);
                        HttpResponse::Ok().json(json!({"object": "search_result", "data": [found], "has_more": false,
                            "next_page": null, "url": "/v1/invoices/search"}))
                    }
                    "/v1/customers" => HttpResponse::Ok().json(json!({
                        "id": "cus_Canopy1", "object": "customer", "created": 1764547200, "livemode": false,
                        "metadata": {"canopy_tenant_id": form_value(&body, "metadata[canopy_tenant_id]")}})),
                    "/v1/invoices" => HttpResponse::Ok().json(invoice_object("in_Canopy1", "draft", &canopy, 0)),
                    "/v1/invoiceitems" if items_before == 1 => HttpResponse::InternalServerError().json(json!({
                        "error": {"type": "api_error", "message": "An unknown error occurred"}})),
                    "/v1/invoiceitems" => {
                        let amount: i64 = form_value(&body, "amount").and_then(|a| a.parse().ok()).unwrap_or(0);
                        HttpResponse::Ok().json(json!({
                            "id": format!("ii_{}", items_before), "object": "invoiceitem", "amount": amount,
                            "currency": "cny", "customer": "cus_Canopy1", "date": 1764547200, "discountable": false,
                            "livemode": false, "period": {"start": 1764547200, "end": 1764547200}, "proration": false,
                            "quantity": 1, "quantity_decimal": "1", "invoice": "in_Canopy1", "metadata": {}}))
                    }
                    // Credit notes: the first asked fails with a 500 (it was not made).
                    "/v1/credit_notes" if req.method() == actix_web::http::Method::GET => {
                        let data: Vec<Value> = calls
                            .iter()
                            .filter(|c| c.path == "/v1/credit_notes" && c.method == "POST")
                            .skip(1)
                            .map(|c| credit_note_object(&c.body))
                            .collect();
                        HttpResponse::Ok().json(json!({"object": "list", "data": data, "has_more": false,
                            "url": "/v1/credit_notes"}))
                    }
                    "/v1/credit_notes" => {
                        let notes_before = calls.iter().filter(|c| c.path == "/v1/credit_notes" && c.method == "POST").count();
                        if notes_before == 1 {
                            HttpResponse::InternalServerError().json(json!({
                                "error": {"type": "api_error", "message": "An unknown error occurred"}}))
                        } else {
                            HttpResponse::Ok().json(credit_note_object(&body))
                        }
                    }
                    "/v1/invoices/in_Canopy1/finalize" => {
                        HttpResponse::Ok().json(invoice_object("in_Canopy1", "open", &canopy, 0))
                    }
                    _ => HttpResponse::NotFound().json(json!({"error": {"type": "invalid_request_error", "message": "no such path"}})),
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
    (base, calls, handle)
}

fn signed(payload: &str, secret: &str, t: i64) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).unwrap();
    mac.update(format!("{t}.{payload}").as_bytes());
    let hex: String = mac.finalize().into_bytes().iter().map(|b| format!("{b:02x}")).collect();
    format!("t={t},v1={hex}")
}

async fn deliver(app: &TestApp, payload: &str, signature: &str) -> reqwest::Response {
    reqwest::Client::new()
        .post(format!("{}/api/v1/billing/webhooks/stripe", app.base))
        .header("stripe-signature", signature)
        .header("content-type", "application/json")
        .body(payload.to_owned())
        .send()
        .await
        .unwrap()
}

fn at(s: &str) -> DateTime<Utc> {
    s.parse().unwrap()
}

backend_test!(invoices_reach_stripe_once_with_keys_of_their_own_and_webhooks_settle_them: Backend);
async fn invoices_reach_stripe_once_with_keys_of_their_own_and_webhooks_settle_them(backend: Backend) {
    let (stripe_base, calls, stripe) = fake_stripe().await;
    let now = at("2026-12-02T00:00:00Z");
    let app = TestApp::spawn_at(
        backend,
        |s| {
            s.billing.provider = canopy_billing::settings::ProviderKind::Stripe;
            s.billing.stripe_secret_key = Some(canopy_kernel::config::Secret::new("sk_test_canopy".into()));
            s.billing.stripe_webhook_secret = Some(canopy_kernel::config::Secret::new(WEBHOOK_SECRET.into()));
            s.billing.stripe_api_base = stripe_base.clone();
            s.billing.outbox_interval_ms = 50;
        },
        now,
    )
    .await;
    let root = app.admin_token().await;
    let (tenant, _) = crate::billing::customer(&app, &root, "STRP", 25, 1300).await;
    // One breach: a P1 resolved an hour late (a 150.00 credit).
    json_ok(
        app.post("/api/v1/tickets/import", &root, json!({"tenant_id": tenant, "tickets": [
            {"external_id": "S-1", "type": "incident", "title": "Down", "category": "network", "priority": "P1",
             "reported_at": "2026-11-05T01:10:00Z",
             "timeline": [{"at": "2026-11-05T01:30:00Z", "event": "first_response"},
                          {"at": "2026-11-05T10:10:00Z", "event": "resolved"}]}]})).await,
        200,
    )
    .await;
    json_ok(app.post("/api/v1/billing/runs", &root, json!({"period": "2026-11"})).await, 200).await;
    let inv = crate::billing::invoice_of(&app, &root, tenant, "2026-11").await;
    let id = inv["id"].as_str().unwrap().to_owned();
    assert_eq!(inv["provider"], "stripe");

    // The worker hands it over; the 500 on the second item costs a retry (2 s of backoff).
    eventually("the invoice handed over to Stripe", Duration::from_secs(30), async || {
        let i = json_ok(app.get(&format!("/api/v1/billing/invoices/{id}"), &root).await, 200).await;
        if i["provider_ref"] == "in_Canopy1" {
            return Ok(());
        }
        // Business time moves on (a second each 100 ms), so the retry's backoff (2 s) comes round.
        app.clock.advance(chrono::TimeDelta::milliseconds(500));
        Err(format!("{:?}", calls.lock().unwrap()))
    })
    .await;
    app.clock.set(now);
    let calls: Vec<Call> = calls.lock().unwrap().clone();
    assert!(calls.iter().all(|c| c.version == "2026-09-30.endive"), "the pinned API version: {calls:?}");
    let search = calls.iter().find(|c| c.method == "GET").unwrap();
    assert_eq!(search.path, "/v1/invoices/search");
    assert!(search.body.contains(&id), "searched by Canopy's invoice id: {}", search.body);
    let keys: Vec<&str> = calls.iter().map(|c| c.key.as_str()).collect();
    let item = |n: i32| format!("canopy-item-{id}-{n}");
    assert_eq!(
        keys,
        [
            format!("canopy-customer-{tenant}"),
            format!("canopy-invoice-{id}"),
            item(1),
            item(2),
            // The 500, then the retry: what Stripe already has is looked up by Canopy's
            // metadata (a search, no key); the invoice and the first item are not made
            // again; the failed item is asked again with the same key.
            String::new(),
            item(2),
            format!("canopy-tax-{id}"),
            format!("canopy-finalize-{id}"),
        ]
    );
    // Same key, same parameters.
    let failed: Vec<&Call> = calls.iter().filter(|c| c.key == item(2)).collect();
    assert_eq!(failed.len(), 2);
    assert_eq!(failed[0].body, failed[1].body);
    // What was sent: the customer's metadata, the invoice's terms, each line's amount.
    assert_eq!(form_value(&calls[0].body, "metadata[canopy_tenant_id]"), Some(tenant.to_string()));
    assert_eq!(calls[1].path, "/v1/invoices");
    assert_eq!(form_value(&calls[1].body, "customer").as_deref(), Some("cus_Canopy1"));
    assert_eq!(form_value(&calls[1].body, "currency").as_deref(), Some("cny"));
    assert_eq!(form_value(&calls[1].body, "collection_method").as_deref(), Some("send_invoice"));
    assert_eq!(form_value(&calls[1].body, "metadata[canopy_invoice_id]"), Some(id.clone()));
    let amount = |c: &Call| form_value(&c.body, "amount").unwrap().parse::<i64>().unwrap();
    let items: Vec<&Call> = calls.iter().filter(|c| c.path == "/v1/invoiceitems").collect();
    // 3 000.00 subscription, −150.00 credit, 13 % tax on 2 850.00 = 370.50.
    assert_eq!(amount(items[0]), 300_000);
    assert_eq!(amount(items[1]), -15_000);
    assert_eq!(amount(items.last().unwrap()), 37_050);
    assert_eq!(form_value(&items[0].body, "invoice").as_deref(), Some("in_Canopy1"));
    assert_eq!(calls.last().unwrap().path, "/v1/invoices/in_Canopy1/finalize");

    // Webhooks: invoice.paid, signed with the endpoint secret.
    let event = |event_id: &str, kind: &str, status: &str| {
        json!({"id": event_id, "object": "event", "api_version": "2026-09-30.endive", "created": now.timestamp(),
            "livemode": false, "pending_webhooks": 1, "type": kind,
            "data": {"object": invoice_object("in_Canopy1", status, &id, 322_050)}})
        .to_string()
    };
    let paid = event("evt_paid_1", "invoice.paid", "paid");
    let t = now.timestamp();
    problem(deliver(&app, &paid, &signed(&paid, "whsec_wrong", t)).await, 400, "bad_request").await;
    problem(deliver(&app, &paid, &signed(&paid, WEBHOOK_SECRET, t - 301)).await, 400, "bad_request").await;
    problem(deliver(&app, &paid, "").await, 400, "bad_request").await;
    let unpaid = json_ok(app.get(&format!("/api/v1/billing/invoices/{id}"), &root).await, 200).await;
    assert_eq!(unpaid["status"], "issued", "refused events change nothing");
    let ok = json_ok(deliver(&app, &paid, &signed(&paid, WEBHOOK_SECRET, t - 299)).await, 200).await;
    assert_eq!(ok["applied"], true);
    let settled = json_ok(app.get(&format!("/api/v1/billing/invoices/{id}"), &root).await, 200).await;
    assert_eq!(settled["status"], "paid");
    let version = settled["version"].clone();
    // The same event again (Stripe retries): applied once.
    let again = json_ok(deliver(&app, &paid, &signed(&paid, WEBHOOK_SECRET, t)).await, 200).await;
    assert_eq!(again["applied"], false);
    // A failure arriving after the payment does not undo it.
    let failed = event("evt_failed_1", "invoice.payment_failed", "open");
    json_ok(deliver(&app, &failed, &signed(&failed, WEBHOOK_SECRET, t)).await, 200).await;
    let still = json_ok(app.get(&format!("/api/v1/billing/invoices/{id}"), &root).await, 200).await;
    assert_eq!(still["status"], "paid");
    assert_eq!(still["version"], version);
    stripe.stop(true).await;
    app.stop().await;
}

backend_test!(a_payment_failure_is_recorded_on_the_invoice: Backend);
async fn a_payment_failure_is_recorded_on_the_invoice(backend: Backend) {
    let (stripe_base, _calls, stripe) = fake_stripe().await;
    let now = at("2026-12-02T00:00:00Z");
    let app = TestApp::spawn_at(
        backend,
        |s| {
            s.billing.provider = canopy_billing::settings::ProviderKind::Stripe;
            s.billing.stripe_secret_key = Some(canopy_kernel::config::Secret::new("sk_test_canopy".into()));
            s.billing.stripe_webhook_secret = Some(canopy_kernel::config::Secret::new(WEBHOOK_SECRET.into()));
            s.billing.stripe_api_base = stripe_base.clone();
        },
        now,
    )
    .await;
    let root = app.admin_token().await;
    let (tenant, _) = crate::billing::customer(&app, &root, "FAIL", 5, 0).await;
    json_ok(app.post("/api/v1/billing/runs", &root, json!({"period": "2026-11"})).await, 200).await;
    let inv = crate::billing::invoice_of(&app, &root, tenant, "2026-11").await;
    let id = inv["id"].as_str().unwrap();
    let payload = json!({"id": "evt_fail_9", "object": "event", "api_version": "2026-09-30.endive",
        "created": now.timestamp(), "livemode": false, "pending_webhooks": 1, "type": "invoice.payment_failed",
        "data": {"object": invoice_object("in_X", "open", id, 60_000)}})
    .to_string();
    json_ok(deliver(&app, &payload, &signed(&payload, WEBHOOK_SECRET, now.timestamp())).await, 200).await;
    let i = json_ok(app.get(&format!("/api/v1/billing/invoices/{id}"), &root).await, 200).await;
    assert_eq!(i["status"], "payment_failed");
    // An event for an invoice Canopy does not know changes nothing and is acknowledged.
    let stranger = json!({"id": "evt_other", "object": "event", "api_version": "2026-09-30.endive",
        "created": now.timestamp(), "livemode": false, "pending_webhooks": 1, "type": "invoice.paid",
        "data": {"object": invoice_object("in_Y", "paid", &Uuid::now_v7().to_string(), 1)}})
    .to_string();
    json_ok(deliver(&app, &stranger, &signed(&stranger, WEBHOOK_SECRET, now.timestamp())).await, 200).await;
    stripe.stop(true).await;
    app.stop().await;
}

/// Waits (moving business time on, so retries' backoff comes round) until `done` holds of what
/// `path` answers; the clock is put back afterwards.
async fn settled(app: &TestApp, token: &str, path: &str, done: impl Fn(&Value) -> bool) -> Value {
    let start = app.clock.now();
    let v = eventually(&format!("{path} settled"), Duration::from_secs(30), async || {
        let v = json_ok(app.get(path, token).await, 200).await;
        if done(&v) {
            return Ok(v);
        }
        // A second of business time each 100 ms.
        app.clock.advance(chrono::TimeDelta::milliseconds(500));
        Err(v)
    })
    .await;
    app.clock.set(start);
    v
}

backend_test!(a_breach_recorded_after_its_invoice_went_to_stripe_is_a_credit_note_on_that_invoice: Backend);
async fn a_breach_recorded_after_its_invoice_went_to_stripe_is_a_credit_note_on_that_invoice(
    backend: Backend,
) {
    let (stripe_base, calls, stripe) = fake_stripe().await;
    let app = TestApp::spawn_at(
        backend,
        |s| {
            s.billing.provider = canopy_billing::settings::ProviderKind::Stripe;
            s.billing.stripe_secret_key = Some(canopy_kernel::config::Secret::new("sk_test_canopy".into()));
            s.billing.stripe_webhook_secret = Some(canopy_kernel::config::Secret::new(WEBHOOK_SECRET.into()));
            s.billing.stripe_api_base = stripe_base.clone();
            s.billing.outbox_interval_ms = 50;
        },
        at("2026-12-02T00:00:00Z"),
    )
    .await;
    let root = app.admin_token().await;
    let (tenant, _) = crate::billing::customer(&app, &root, "NOTE", 25, 1300).await;
    let late_p1 = |n: &str, day: &str| {
        json!({"tenant_id": tenant, "tickets": [
            {"external_id": n, "type": "incident", "title": "Down", "category": "network", "priority": "P1",
             "reported_at": format!("{day}T01:10:00Z"),
             "timeline": [{"at": format!("{day}T01:30:00Z"), "event": "first_response"},
                          {"at": format!("{day}T10:10:00Z"), "event": "resolved"}]}]})
    };
    // November with one breach (150.00): 3 000.00 − 150.00 = 2 850.00 + 13 % = 3 220.50.
    json_ok(app.post("/api/v1/tickets/import", &root, late_p1("N-1", "2026-11-05")).await, 200).await;
    json_ok(app.post("/api/v1/billing/runs", &root, json!({"period": "2026-11"})).await, 200).await;
    let nov = crate::billing::invoice_of(&app, &root, tenant, "2026-11").await;
    let nov_id = nov["id"].as_str().unwrap().to_owned();
    assert_eq!(nov["total_minor"], 322_050);
    let path = format!("/api/v1/billing/invoices/{nov_id}");
    settled(&app, &root, &path, |i| i["provider_ref"] == "in_Canopy1").await;

    // Another November P1 breach, recorded after November went to Stripe.
    json_ok(app.post("/api/v1/tickets/import", &root, late_p1("N-2", "2026-11-20")).await, 200).await;
    app.clock.set(at("2027-01-01T00:05:00Z"));
    let run = json_ok(app.post("/api/v1/billing/runs", &root, json!({"period": "2026-12"})).await, 200).await;
    assert_eq!(run["outcome"]["credit_notes"], 1, "{run}");
    // December carries no late credit: 3 000.00 + 390.00 tax.
    let dec = crate::billing::invoice_of(&app, &root, tenant, "2026-12").await;
    assert!(dec["lines"].as_array().unwrap().iter().all(|l| l["kind"] != "late_credit"), "{dec}");
    assert_eq!(dec["total_minor"], 339_000);
    // The note is on November: 150.00 and the tax that falls with it — 2 850.00 × 13 % =
    // 370.50 before, 2 700.00 × 13 % = 351.00 after: 19.50.
    let nov = settled(&app, &root, &path, |i| i["credit_notes"][0]["status"] == "issued").await;
    let note = &nov["credit_notes"][0];
    assert_eq!(note["number"], "NOTE-202611-CN1");
    assert_eq!(
        (&note["amount_minor"], &note["tax_minor"], &note["total_minor"]),
        (&json!(15_000), &json!(1_950), &json!(16_950))
    );
    assert_eq!(note["settlement"], "amount_due", "November was unpaid");
    assert_eq!(nov["credit_notes_minor"], 16_950);
    assert_eq!(nov["total_minor"], 322_050, "the invoice itself is left as issued");
    let note_id = note["id"].as_str().unwrap().to_owned();
    assert_eq!(note["provider_ref"], format!("cn_{}", &note_id[note_id.len() - 6..]));
    // Its credit names the breach, on November's invoice.
    let credit =
        json_ok(app.get(&format!("/api/v1/billing/credits?invoice_id={nov_id}"), &root).await, 200).await;
    let late: Vec<&Value> = credit.as_array().unwrap().iter().filter(|c| c["late"] == true).collect();
    assert_eq!(late.len(), 1, "{credit}");
    assert_eq!(late[0]["id"], note["credit_id"]);
    let breach = &late[0]["lines"][0]["breaches"][0];
    assert_eq!(
        (&breach["reference"], &breach["metric"], &breach["late_by_secs"]),
        (&json!("NOTE-2"), &json!("resolution"), &json!(3600))
    );

    // What Stripe was asked: the 500, then a look at the invoice's notes, then the same
    // call again with the same key and body.
    let sent: Vec<Call> =
        calls.lock().unwrap().iter().filter(|c| c.path == "/v1/credit_notes").cloned().collect();
    let key = format!("canopy-credit-note-{note_id}");
    assert_eq!(sent.len(), 3, "{sent:?}");
    assert_eq!((sent[0].method.as_str(), sent[0].key.as_str()), ("POST", key.as_str()));
    assert_eq!(sent[1].method, "GET");
    assert!(sent[1].body.contains("invoice=in_Canopy1"), "{}", sent[1].body);
    assert_eq!((sent[2].method.as_str(), sent[2].key.as_str()), ("POST", key.as_str()));
    assert_eq!(sent[0].body, sent[2].body);
    let body = &sent[2].body;
    assert_eq!(form_value(body, "invoice").as_deref(), Some("in_Canopy1"));
    assert_eq!(form_value(body, "lines[0][type]").as_deref(), Some("custom_line_item"));
    assert_eq!(form_value(body, "lines[0][unit_amount]").as_deref(), Some("15000"));
    assert_eq!(form_value(body, "lines[1][unit_amount]").as_deref(), Some("1950"));
    assert_eq!(form_value(body, "metadata[canopy_credit_note_id]"), Some(note_id.clone()));
    assert_eq!(form_value(body, "credit_amount"), None, "an unpaid invoice's amount due falls");

    // December again: nothing new.
    let again =
        json_ok(app.post("/api/v1/billing/runs", &root, json!({"period": "2026-12"})).await, 200).await;
    assert_eq!(again["outcome"]["credit_notes"], 0);
    let notes =
        json_ok(app.get(&format!("/api/v1/billing/credit-notes?tenant_id={tenant}"), &root).await, 200).await;
    assert_eq!(notes.as_array().unwrap().len(), 1);

    // November paid; one more November breach recorded: its note goes to the customer's
    // balance. 2 700.00 − 150.00 = 2 550.00: 351.00 − 331.50 = 19.50 of tax again.
    let t = app.clock.now().timestamp();
    let paid = json!({"id": "evt_nov_paid", "object": "event", "api_version": "2026-09-30.endive",
        "created": t, "livemode": false, "pending_webhooks": 1, "type": "invoice.paid",
        "data": {"object": invoice_object("in_Canopy1", "paid", &nov_id, 322_050)}})
    .to_string();
    json_ok(deliver(&app, &paid, &signed(&paid, WEBHOOK_SECRET, t)).await, 200).await;
    json_ok(app.post("/api/v1/tickets/import", &root, late_p1("N-3", "2026-11-25")).await, 200).await;
    app.clock.set(at("2027-02-01T00:05:00Z"));
    let jan = json_ok(app.post("/api/v1/billing/runs", &root, json!({"period": "2027-01"})).await, 200).await;
    assert_eq!(jan["outcome"]["credit_notes"], 1, "{jan}");
    let nov = settled(&app, &root, &path, |i| {
        i["credit_notes"].as_array().is_some_and(|n| n.len() == 2 && n[1]["status"] == "issued")
    })
    .await;
    let second = &nov["credit_notes"][1];
    assert_eq!(second["number"], "NOTE-202611-CN2");
    assert_eq!(second["settlement"], "customer_balance");
    assert_eq!(second["total_minor"], 16_950);
    let last = calls.lock().unwrap().iter().rfind(|c| c.path == "/v1/credit_notes").cloned().unwrap();
    assert_eq!(form_value(&last.body, "credit_amount").as_deref(), Some("16950"));

    // Another tenant sees none of it.
    let (_, other) = app.tenant("NOTX").await;
    let theirs = json_ok(app.get("/api/v1/billing/credit-notes", &other).await, 200).await;
    assert_eq!(theirs, json!([]));
    problem(
        app.get(&format!("/api/v1/billing/credit-notes?tenant_id={tenant}"), &other).await,
        404,
        "not_found",
    )
    .await;
    stripe.stop(true).await;
    app.stop().await;
}
