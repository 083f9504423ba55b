//! The dispatch team: engineers with skills, levels, regions, shifts and capacity, managed by
//! dispatchers, read by provider staff, invisible to tenants.

use reqwest::Method;
use serde_json::{Value, json};
use uuid::Uuid;

use crate::helpers::*;

fn engineer(name: &str, email: &str) -> Value {
    json!({"name": name, "email": email, "support_level": 2,
        "skills": [{"key": "network", "level": 3}, {"key": "windows", "level": 2}],
        "home_region": "berlin", "regions": ["potsdam"],
        "timezone": "Europe/Berlin",
        "shifts": {"weekly": {"mon": [["08:00","17:00"]], "tue": [["08:00","17:00"]], "wed": [["08:00","17:00"]],
                              "thu": [["08:00","17:00"]], "fri": [["08:00","17:00"]], "sat": [], "sun": []}},
        "capacity": 6, "on_call": false})
}

backend_test!(dispatchers_keep_the_team_and_staff_read_it);
async fn dispatchers_keep_the_team_and_staff_read_it(app: &TestApp) {
    let dispatcher = app.staff("dispatch@provider.test", &["dispatcher"]).await;
    let agent = app.staff("desk@provider.test", &["agent"]).await;
    let created = json_ok(
        app.post("/api/v1/engineers", &dispatcher, engineer("Max Müller", "Max@Provider.Test")).await,
        201,
    )
    .await;
    assert_eq!(created["email"], "max@provider.test");
    assert_eq!(created["regions"], json!(["berlin", "potsdam"]), "the home region is covered");
    assert_eq!(created["version"], 1);
    let id = created["id"].as_str().unwrap().to_owned();
    let mut other = engineer("Zhang Wei", "zhang@provider.test");
    other["home_region"] = json!("shanghai");
    other["regions"] = json!([]);
    other["skills"] = json!([{"key": "sap", "level": 1}]);
    other["support_level"] = json!(3);
    other["timezone"] = json!("Asia/Shanghai");
    json_ok(app.post("/api/v1/engineers", &dispatcher, other).await, 201).await;

    // Staff read the team, filtered by region, skill and level.
    let all = json_ok(app.get("/api/v1/engineers", &agent).await, 200).await;
    assert_eq!(all["items"].as_array().unwrap().len(), 2);
    for (query, expected) in [
        ("region=potsdam", vec!["Max Müller"]),
        ("region=shanghai", vec!["Zhang Wei"]),
        ("skill=network", vec!["Max Müller"]),
        ("skill=sap", vec!["Zhang Wei"]),
        ("support_level=3", vec!["Zhang Wei"]),
        ("region=hamburg", vec![]),
    ] {
        let page = json_ok(app.get(&format!("/api/v1/engineers?{query}"), &agent).await, 200).await;
        let names: Vec<&str> =
            page["items"].as_array().unwrap().iter().map(|e| e["name"].as_str().unwrap()).collect();
        assert_eq!(names, expected, "{query}");
    }

    // Changes are versioned; a stale version is refused.
    let path = format!("/api/v1/engineers/{id}");
    let changed =
        json_ok(app.patch(&path, &dispatcher, json!({"capacity": 3, "on_call": true})).await, 200).await;
    assert_eq!(changed["capacity"], 3);
    assert_eq!(changed["version"], 2);
    let stale = app
        .http
        .patch(app.url(&path))
        .bearer_auth(&dispatcher)
        .header("if-match", "\"1\"")
        .json(&json!({"capacity": 4}))
        .send()
        .await
        .unwrap();
    problem(stale, 412, "precondition_failed").await;
    let moved = json_ok(app.patch(&path, &dispatcher, json!({"home_region": "hamburg"})).await, 200).await;
    assert_eq!(moved["regions"], json!(["hamburg", "potsdam"]));
    let off = json_ok(app.patch(&path, &dispatcher, json!({"active": false})).await, 200).await;
    assert_eq!(off["active"], false);
    assert_eq!(off["on_shift"], false, "an inactive engineer is never on shift");
    let active = json_ok(app.get("/api/v1/engineers?active=true", &agent).await, 200).await;
    assert_eq!(active["items"].as_array().unwrap().len(), 1);

    // Agents read but do not change; the same email twice is a conflict.
    problem(app.patch(&path, &agent, json!({"capacity": 9})).await, 403, "forbidden").await;
    problem(app.post("/api/v1/engineers", &agent, engineer("X", "x@provider.test")).await, 403, "forbidden")
        .await;
    problem(
        app.post("/api/v1/engineers", &dispatcher, engineer("Max again", "max@provider.test")).await,
        409,
        "conflict",
    )
    .await;
    problem(app.get(&format!("/api/v1/engineers/{}", Uuid::now_v7()), &agent).await, 404, "not_found").await;
}

backend_test!(bad_engineers_are_explained_field_by_field);
async fn bad_engineers_are_explained_field_by_field(app: &TestApp) {
    let dispatcher = app.staff("dispatch@provider.test", &["dispatcher"]).await;
    let mut bad = engineer("", "not-an-email");
    bad["support_level"] = json!(4);
    bad["capacity"] = json!(0);
    bad["skills"] = json!([{"key": "Net work", "level": 2}]);
    bad["timezone"] = json!("Mars/Olympus");
    bad["time_off"] = json!([{"from": "2026-12-24T00:00:00Z", "to": "2026-12-20T00:00:00Z"}]);
    let res = problem(app.post("/api/v1/engineers", &dispatcher, bad).await, 422, "validation_failed").await;
    let fields: Vec<&str> =
        res["errors"].as_array().unwrap().iter().map(|e| e["field"].as_str().unwrap()).collect();
    assert_eq!(
        fields,
        ["name", "email", "support_level", "skills[0].key", "timezone", "time_off[0].to", "capacity"]
    );
    let mut wrong_type = engineer("A", "a@provider.test");
    wrong_type["shifts"]["weekly"]["mon"] = json!([["08:00", "25:00"]]);
    problem(app.post("/api/v1/engineers", &dispatcher, wrong_type).await, 422, "validation_failed").await;
    problem(
        app.post("/api/v1/engineers", &dispatcher, json!({"name": "only"})).await,
        422,
        "validation_failed",
    )
    .await;
    problem(app.get("/api/v1/engineers?support_level=9", &dispatcher).await, 422, "validation_failed").await;
    problem(app.get("/api/v1/engineers?region=no%20such", &dispatcher).await, 422, "validation_failed").await;
    let list = json_ok(app.get("/api/v1/engineers", &dispatcher).await, 200).await;
    assert!(list["items"].as_array().unwrap().is_empty(), "nothing was stored");
}

backend_test!(tenants_never_see_the_provider_s_engineers);
async fn tenants_never_see_the_provider_s_engineers(app: &TestApp) {
    let dispatcher = app.staff("dispatch@provider.test", &["dispatcher"]).await;
    let created =
        json_ok(app.post("/api/v1/engineers", &dispatcher, engineer("Max", "max@provider.test")).await, 201)
            .await;
    let id = created["id"].as_str().unwrap();
    let (tenant, admin) = app.tenant("NOPE").await;
    let (_, requester) = app.user(tenant, &admin, "r@nope.test", &["requester"]).await;
    for token in [&admin, &requester] {
        for (method, path, body) in [
            (Method::GET, "/api/v1/engineers".to_owned(), None),
            (Method::POST, "/api/v1/engineers".to_owned(), Some(engineer("Y", "y@nope.test"))),
            (Method::GET, format!("/api/v1/engineers/{id}"), None),
            (Method::PATCH, format!("/api/v1/engineers/{id}"), Some(json!({"capacity": 1}))),
        ] {
            problem(app.call(method, &path, Some(token), body).await, 403, "forbidden").await;
        }
    }
    let unchanged = json_ok(app.get(&format!("/api/v1/engineers/{id}"), &dispatcher).await, 200).await;
    assert_eq!(unchanged["capacity"], 6);
}
