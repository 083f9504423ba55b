//! On-site rounds: a day's visits planned per engineer by the routing solver, inside the sites'
//! opening hours and the engineers' shifts, with the skills and region they need; confirmed
//! visits kept in place; a plan replaced only by a better one.

use chrono::{DateTime, Utc};
use serde_json::{Value, json};

use crate::helpers::*;

fn at(s: &str) -> DateTime<Utc> {
    s.parse().unwrap()
}

fn time(v: &Value) -> DateTime<Utc> {
    v.as_str().unwrap().parse().unwrap()
}

const OFFICE: &str = r#"{"weekly": {"mon": [["08:00","17:00"]], "tue": [["08:00","17:00"]], "wed": [["08:00","17:00"]],
    "thu": [["08:00","17:00"]], "fri": [["08:00","17:00"]], "sat": [], "sun": []}}"#;

async fn engineer(
    app: &TestApp,
    dispatcher: &str,
    email: &str,
    skill: &str,
    region: &str,
    base: Value,
) -> String {
    let token = app.staff(email, &["engineer"]).await;
    let user =
        json_ok(app.get("/api/v1/auth/me", &token).await, 200).await["id"].as_str().unwrap().to_owned();
    let e = json_ok(
        app.post(
            "/api/v1/engineers",
            dispatcher,
            json!({"name": email, "email": email, "user_id": user, "support_level": 2,
                "skills": [{"key": skill, "level": 3}], "home_region": region, "timezone": "Europe/Berlin",
                "shifts": serde_json::from_str::<Value>(OFFICE).unwrap(), "capacity": 20, "base": base}),
        )
        .await,
        201,
    )
    .await;
    e["id"].as_str().unwrap().to_owned()
}

backend_test!(the_day_is_planned_into_rounds_and_kept_where_promised: Backend);
async fn the_day_is_planned_into_rounds_and_kept_where_promised(backend: Backend) {
    // Monday 2026-11-23, 08:00 in Hamburg.
    let app = TestApp::spawn_at(backend, |_| {}, at("2026-11-23T07:00:00Z")).await;
    let dispatcher = app.staff("dispatch@provider.test", &["dispatcher"]).await;
    let north = engineer(
        &app,
        &dispatcher,
        "north@provider.test",
        "network",
        "hamburg",
        json!({"latitude": 53.5530, "longitude": 9.9920}),
    )
    .await;
    let east = engineer(
        &app,
        &dispatcher,
        "east@provider.test",
        "network",
        "hamburg",
        json!({"latitude": 53.5600, "longitude": 10.0600}),
    )
    .await;
    // Skilled, but covers Berlin only: never on a Hamburg round.
    let berlin = engineer(
        &app,
        &dispatcher,
        "berlin@provider.test",
        "network",
        "berlin",
        json!({"latitude": 52.52, "longitude": 13.405}),
    )
    .await;

    // Next free: now, while on shift with room; the Berlin engineer too.
    let e = json_ok(app.get(&format!("/api/v1/engineers/{north}"), &dispatcher).await, 200).await;
    assert_eq!(time(&e["next_free_at"]), at("2026-11-23T07:00:00Z"));
    assert_eq!(e["base"]["latitude"], 53.553);

    let root = app.admin_token().await;
    let (tenant, admin) = app.tenant("ROUND").await;
    let path = format!("/api/v1/tenants/{tenant}/config");
    let mut c = json_ok(app.get(&path, &admin).await, 200).await;
    c["timezone"] = json!("Europe/Berlin");
    c["business_calendar"] = serde_json::from_str(OFFICE).unwrap();
    c["sites"] = json!([
        {"name": "Speicherstadt", "address": "Am Sandtorkai 50", "region": "hamburg", "latitude": 53.5437, "longitude": 9.9903},
        {"name": "Altona", "address": "Max-Brauer-Allee 1", "region": "hamburg", "latitude": 53.5503, "longitude": 9.9350},
        {"name": "Wandsbek", "address": "Wandsbeker Marktstr. 1", "region": "hamburg", "latitude": 53.5720, "longitude": 10.0690},
        {"name": "Barmbek", "address": "Fuhlsbüttler Str. 1", "region": "hamburg", "latitude": 53.5850, "longitude": 10.0440},
        {"name": "Somewhere", "address": "unknown", "region": "hamburg"},
        {"name": "Mitte", "address": "Unter den Linden 1", "region": "berlin", "latitude": 52.517, "longitude": 13.389}
    ]);
    let c = json_ok(app.put(&path, &admin, c).await, 200).await;
    let site = |i: usize| c["sites"][i]["id"].as_str().unwrap().to_owned();
    app.contract(
        &root,
        tenant,
        json!({"name": "Round tier", "coverage": "24x7",
            "targets": {"P1": {"first_response_mins": 60, "resolution_mins": 480, "onsite_mins": 240},
                        "P2": {"first_response_mins": 120, "resolution_mins": 960, "onsite_mins": 480},
                        "P3": {"first_response_mins": 240, "resolution_mins": 1440},
                        "P4": {"first_response_mins": 480, "resolution_mins": 4800}},
            "availability_target_bp": 9900, "credit_policy": {"cap_bp": 1000}}),
    )
    .await;
    let raise = |site: String| {
        let app = &app;
        let admin = admin.clone();
        async move {
            let body = json!({"type": "incident", "title": "Switch down", "category": "network",
                "impact": "high", "urgency": "high", "onsite_required": true, "site_id": site});
            json_ok(app.post("/api/v1/tickets", &admin, body).await, 201).await["id"]
                .as_str()
                .unwrap()
                .to_owned()
        }
    };
    let speicher = raise(site(0)).await;
    let altona = raise(site(1)).await;
    let wandsbek = raise(site(2)).await;
    let nowhere = raise(site(4)).await;
    let in_berlin = raise(site(5)).await;

    // Only provider dispatchers plan; the request is checked.
    let res = app.post("/api/v1/dispatch/optimize", &admin, json!({"date": "2026-11-23"})).await;
    problem(res, 403, "forbidden").await;
    for bad in [
        json!({"date": "23.11.2026"}),
        json!({"date": "2026-11-23", "budget_seconds": 0}),
        json!({"date": "2027-06-01"}),
        json!({"date": "2026-11-23", "threshold_percent": 90}),
        json!({"date": "2026-11-23", "colour": "red"}),
    ] {
        problem(app.post("/api/v1/dispatch/optimize", &dispatcher, bad).await, 422, "validation_failed")
            .await;
    }
    problem(
        app.get("/api/v1/dispatch/rounds?date=2026-11-23&region=hamburg", &dispatcher).await,
        404,
        "not_found",
    )
    .await;

    let ask = json!({"date": "2026-11-23", "region": "hamburg", "budget_seconds": 1});
    let first = json_ok(app.post("/api/v1/dispatch/optimize", &dispatcher, ask.clone()).await, 200).await;
    assert_eq!(first["published"], true, "{first}");
    let plan = &first["plan"];
    let placed: Vec<(String, Value)> = plan["rounds"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|r| {
            r["stops"]
                .as_array()
                .unwrap()
                .iter()
                .map(|s| (r["engineer_id"].as_str().unwrap().to_owned(), s.clone()))
        })
        .collect();
    let mut tickets: Vec<&str> = placed.iter().map(|(_, s)| s["ticket_id"].as_str().unwrap()).collect();
    tickets.sort();
    let mut expected = vec![speicher.as_str(), altona.as_str(), wandsbek.as_str()];
    expected.sort();
    assert_eq!(tickets, expected, "every Hamburg site with coordinates is visited once");
    assert!(placed.iter().all(|(e, _)| *e == north || *e == east), "only engineers covering Hamburg");
    assert!(!placed.iter().any(|(e, _)| *e == berlin));
    let unplanned = plan["unplanned"].as_array().unwrap();
    assert_eq!(unplanned.len(), 1, "{plan}");
    assert_eq!(unplanned[0]["ticket_id"], json!(nowhere));
    assert_eq!(unplanned[0]["reason"], "the site has no coordinates");
    assert!(!placed.iter().any(|(_, s)| s["ticket_id"] == json!(in_berlin)), "other regions are not planned");
    for (_, s) in &placed {
        // Inside the site's hours (08:00–17:00 Berlin = 07:00–16:00 UTC), after now, an hour on site.
        let (start, depart) = (time(&s["start_at"]), time(&s["depart_at"]));
        assert!(start >= at("2026-11-23T07:00:00Z") && start <= at("2026-11-23T16:00:00Z"), "{s}");
        assert_eq!((depart - start).num_minutes(), 60);
        // P1 on-site within 4 hours: every visit is on time today.
        assert_eq!(s["late_by_secs"], 0, "{s}");
        assert_eq!(time(&s["due_at"]), at("2026-11-23T11:00:00Z"));
    }
    for r in plan["rounds"].as_array().unwrap() {
        let starts: Vec<DateTime<Utc>> =
            r["stops"].as_array().unwrap().iter().map(|s| time(&s["start_at"])).collect();
        assert!(starts.windows(2).all(|w| w[0] < w[1]), "stops in order of time");
    }
    assert!(plan["distance_km"].as_f64().unwrap() > 0.0);

    // The engineer confirms their first visit to the customer.
    let (kept_engineer, kept) = placed.iter().min_by_key(|(_, s)| time(&s["start_at"])).unwrap().clone();
    let kept_ticket = kept["ticket_id"].as_str().unwrap().to_owned();
    let visits = json_ok(app.get("/api/v1/dispatch/visits?date=2026-11-23", &dispatcher).await, 200).await;
    assert_eq!(visits.as_array().unwrap().len(), 3);
    let v = json_ok(
        app.patch(
            &format!("/api/v1/dispatch/visits/{kept_ticket}"),
            &dispatcher,
            json!({"state": "confirmed"}),
        )
        .await,
        200,
    )
    .await;
    assert_eq!(v["state"], "confirmed");
    let res = app
        .patch(&format!("/api/v1/dispatch/visits/{kept_ticket}"), &dispatcher, json!({"state": "confirmed"}))
        .await;
    problem(res, 409, "invalid_transition").await;
    let res = app
        .patch(&format!("/api/v1/dispatch/visits/{kept_ticket}"), &dispatcher, json!({"state": "lost"}))
        .await;
    problem(res, 422, "validation_failed").await;

    // Planning again with nothing new: the plan in force stays.
    let again = json_ok(app.post("/api/v1/dispatch/optimize", &dispatcher, ask.clone()).await, 200).await;
    assert_eq!(again["published"], false, "{again}");
    assert!(again["reason"].as_str().unwrap().contains("stays"));

    // A new visit: the new plan places more and is published; the confirmed visit stays with
    // its engineer, within half an hour of the time promised.
    let barmbek = raise(site(3)).await;
    let third = json_ok(app.post("/api/v1/dispatch/optimize", &dispatcher, ask.clone()).await, 200).await;
    assert_eq!(third["published"], true, "{third}");
    let round = app.get("/api/v1/dispatch/rounds?date=2026-11-23&region=hamburg", &dispatcher).await;
    let round = json_ok(round, 200).await;
    let stops: Vec<(String, Value)> = round["rounds"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|r| {
            r["stops"]
                .as_array()
                .unwrap()
                .iter()
                .map(|s| (r["engineer_id"].as_str().unwrap().to_owned(), s.clone()))
        })
        .collect();
    assert_eq!(stops.len(), 4);
    assert!(stops.iter().any(|(_, s)| s["ticket_id"] == json!(barmbek)));
    let (e, s) = stops.iter().find(|(_, s)| s["ticket_id"] == json!(kept_ticket)).unwrap();
    assert_eq!(*e, kept_engineer);
    assert_eq!(s["state"], "confirmed");
    let drift = (time(&s["arrive_at"]) - time(&kept["arrive_at"])).num_minutes().abs();
    assert!(drift <= 30, "confirmed visit moved by {drift} minutes");

    // Started, then done; it never moves back.
    for state in ["started", "done"] {
        let v = app
            .patch(&format!("/api/v1/dispatch/visits/{kept_ticket}"), &dispatcher, json!({"state": state}))
            .await;
        assert_eq!(json_ok(v, 200).await["state"], state);
        if state == "started" {
            // Planning again: the started visit heads its engineer's round, named.
            let again =
                json_ok(app.post("/api/v1/dispatch/optimize", &dispatcher, ask.clone()).await, 200).await;
            let round = again["plan"]["rounds"]
                .as_array()
                .unwrap()
                .iter()
                .find(|r| r["engineer_id"] == json!(kept_engineer))
                .unwrap();
            assert_eq!(round["stops"][0]["ticket_id"], json!(kept_ticket));
            assert_eq!(round["stops"][0]["state"], "started");
            assert!(round["stops"][0]["reference"].as_str().unwrap().starts_with("ROUND-"), "{round}");
            assert!(!round["stops"][0]["site"].as_str().unwrap().is_empty());
        }
    }
    let res = app
        .patch(&format!("/api/v1/dispatch/visits/{kept_ticket}"), &dispatcher, json!({"state": "started"}))
        .await;
    problem(res, 409, "invalid_transition").await;
    // Tenants see none of it.
    problem(app.get("/api/v1/dispatch/visits?date=2026-11-23", &admin).await, 403, "forbidden").await;
    app.stop().await;
}
