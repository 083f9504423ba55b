//! Bad input gets a clear 4xx problem, never a 5xx, and changes nothing.

use serde_json::{Value, json};

use crate::helpers::*;

fn fields(body: &Value) -> Vec<String> {
    body["errors"]
        .as_array()
        .map(|a| a.iter().map(|e| e["field"].as_str().unwrap_or_default().to_owned()).collect())
        .unwrap_or_default()
}

async fn bad_config(app: &TestApp, tenant: uuid::Uuid, admin: &str, change: impl Fn(&mut Value)) -> Value {
    let mut c = json_ok(app.get(&format!("/api/v1/tenants/{tenant}/config"), admin).await, 200).await;
    change(&mut c);
    let body = problem(
        app.put(&format!("/api/v1/tenants/{tenant}/config"), admin, c).await,
        422,
        "validation_failed",
    )
    .await;
    let after = json_ok(app.get(&format!("/api/v1/tenants/{tenant}/config"), admin).await, 200).await;
    assert_eq!(after["version"], 1, "nothing was saved");
    body
}

backend_test!(bad_configurations_are_explained_field_by_field);
async fn bad_configurations_are_explained_field_by_field(app: &TestApp) {
    let (t, admin) = app.tenant("BAD").await;
    let body = bad_config(app, t, &admin, |c| c["timezone"] = json!("Asia/Atlantis")).await;
    assert_eq!(fields(&body), ["timezone"]);
    assert!(body["detail"].as_str().unwrap().contains("Asia/Atlantis"));

    let body = bad_config(app, t, &admin, |c| {
        c["business_calendar"]["weekly"]["mon"] = json!([["09:00", "13:00"], ["12:00", "18:00"]])
    })
    .await;
    // The later of the two is named, so that a form shows the problem beside it.
    assert_eq!(fields(&body), ["business_calendar.weekly.mon[1]"]);
    assert!(body["detail"].as_str().unwrap().contains("overlap"));

    // Start and end reversed so far that the night runs into the next morning's hours.
    let body =
        bad_config(app, t, &admin, |c| c["business_calendar"]["weekly"]["mon"] = json!([["18:00", "10:00"]]))
            .await;
    assert_eq!(fields(&body), ["business_calendar.weekly.mon[0]"]);
    let body = bad_config(app, t, &admin, |c| {
        c["business_calendar"]["weekly"]["tue"] =
            json!([["10:00", "10:00"], ["7:00", "08:00"], ["24:00", "02:00"]])
    })
    .await;
    assert_eq!(
        fields(&body),
        [
            "business_calendar.weekly.tue[0]",
            "business_calendar.weekly.tue[1]",
            "business_calendar.weekly.tue[2]"
        ]
    );

    let body = bad_config(app, t, &admin, |c| {
        c["business_calendar"]["holidays"] = json!(["2026-10-10"]);
        c["business_calendar"]["extra_working_days"] = json!(["2026-10-10"]);
    })
    .await;
    assert_eq!(fields(&body), ["business_calendar.extra_working_days[0]"]);

    let body =
        bad_config(app, t, &admin, |c| c["business_calendar"]["weekly"]["mon"] = json!("09:00-18:00")).await;
    assert_eq!(fields(&body), ["business_calendar.weekly.mon"]);
    let body =
        bad_config(app, t, &admin, |c| c["business_calendar"]["holidays"] = json!(["2026-02-30"])).await;
    assert_eq!(fields(&body), ["business_calendar.holidays[0]"]);
    let body = bad_config(app, t, &admin, |c| c["colour_scheme"] = json!("dark")).await;
    assert!(body["detail"].as_str().unwrap().contains("colour_scheme"));
    let body = bad_config(app, t, &admin, |c| c["locale"] = json!("fr")).await;
    assert_eq!(fields(&body), ["locale"]);

    // Several problems at once are all reported.
    let body = bad_config(app, t, &admin, |c| {
        c["timezone"] = json!("Nowhere/Land");
        c["ticket_categories"] = json!([{"key": "Network!", "name": "Net"}, {"key": "network", "name": ""}]);
        c["priority_matrix"]["matrix"]["high"] = json!({"high": "P1"});
        c["sites"] = json!([{"name": "HQ", "address": "x", "region": "East Side", "latitude": 95.0, "longitude": 0.0}]);
        c["webhooks"] = json!([{"url": "ftp://x", "events": ["everything"]}]);
        c["custom_fields"] = json!([{"key": "asset", "label": "Asset", "type": "select"}]);
    })
    .await;
    let got = fields(&body);
    for expected in [
        "timezone",
        "ticket_categories[0].key",
        "ticket_categories[1].name",
        "priority_matrix.matrix.high.medium",
        "sites[0].region",
        "sites[0].latitude",
        "webhooks[0].url",
        "webhooks[0].events[0]",
        "webhooks[0].secret",
        "custom_fields[0].options",
    ] {
        assert!(got.iter().any(|f| f == expected), "{expected} missing from {got:?}");
    }
}

backend_test!(bad_users_are_explained);
async fn bad_users_are_explained(app: &TestApp) {
    let (t, admin) = app.tenant("BAD").await;
    let users = format!("/api/v1/tenants/{t}/users");
    let body = problem(
        app.post(&users, &admin, json!({"email": "not an email", "display_name": "X", "password": PASSWORD, "roles": ["requester"]})).await,
        422,
        "validation_failed",
    )
    .await;
    assert_eq!(fields(&body), ["email"]);
    let body = problem(
        app.post(&users, &admin, json!({"email": "ok@bad.test", "display_name": "X", "password": PASSWORD, "roles": ["superuser"]})).await,
        422,
        "validation_failed",
    )
    .await;
    assert_eq!(fields(&body), ["roles[0]"]);
    assert!(body["detail"].as_str().unwrap().contains("unknown role `superuser`"));
    let body = problem(
        app.post(
            &users,
            &admin,
            json!({"email": "ok@bad.test", "display_name": " ", "password": "short", "roles": []}),
        )
        .await,
        422,
        "validation_failed",
    )
    .await;
    assert_eq!(fields(&body), ["display_name", "password", "roles"]);
    // Taken emails are a conflict.
    let body =
        json!({"email": "admin@bad.test", "display_name": "X", "password": PASSWORD, "roles": ["requester"]});
    problem(app.post(&users, &admin, body).await, 409, "conflict").await;
}

backend_test!(malformed_requests_get_4xx_problems);
async fn malformed_requests_get_4xx_problems(app: &TestApp) {
    let (t, admin) = app.tenant("BAD").await;
    let root = app.admin_token().await;
    let send = |method: reqwest::Method, path: String, body: Vec<u8>, content_type: &'static str| {
        app.http
            .request(method, app.url(&path))
            .bearer_auth(&root)
            .header("content-type", content_type)
            .body(body)
            .send()
    };
    problem(
        send(reqwest::Method::POST, "/api/v1/tenants".into(), b"{\"name\": ".to_vec(), "application/json")
            .await
            .unwrap(),
        400,
        "malformed_json",
    )
    .await;
    problem(
        send(
            reqwest::Method::POST,
            "/api/v1/tenants".into(),
            b"name=x".to_vec(),
            "application/x-www-form-urlencoded",
        )
        .await
        .unwrap(),
        415,
        "unsupported_media_type",
    )
    .await;
    problem(
        send(reqwest::Method::POST, "/api/v1/tenants".into(), b"[1,2]".to_vec(), "application/json")
            .await
            .unwrap(),
        422,
        "validation_failed",
    )
    .await;
    let huge = format!("{{\"name\": \"{}\", \"key\": \"HUGE\"}}", "x".repeat(2 * 1024 * 1024));
    problem(
        send(reqwest::Method::POST, "/api/v1/tenants".into(), huge.into_bytes(), "application/json")
            .await
            .unwrap(),
        413,
        "payload_too_large",
    )
    .await;
    problem(
        send(
            reqwest::Method::PUT,
            format!("/api/v1/tenants/{t}/config"),
            b"\xff\xfe".to_vec(),
            "application/json",
        )
        .await
        .unwrap(),
        400,
        "malformed_json",
    )
    .await;
    problem(app.get("/api/v1/tenants/not-a-uuid", &root).await, 404, "not_found").await;
    problem(app.get("/api/v1/tenants?limit=0", &root).await, 422, "validation_failed").await;
    problem(app.get("/api/v1/tenants?limit=ten", &root).await, 400, "bad_request").await;
    problem(app.get("/api/v1/tenants?cursor=%%%", &root).await, 422, "validation_failed").await;
    problem(app.get("/api/v1/tenants?cursor=bm9wZQ", &root).await, 422, "validation_failed").await;
    problem(app.get("/api/v1/tenants?status=sleeping", &root).await, 400, "bad_request").await;
    problem(app.get(&format!("/api/v1/tenants/{t}/config/history/abc"), &admin).await, 404, "not_found")
        .await;
    problem(app.get("/api/v1/nowhere", &root).await, 404, "route_not_found").await;
    problem(app.delete("/api/v1/tenants", &root).await, 405, "method_not_allowed").await;
    problem(app.post("/api/v1/tenants", &root, json!({"name": "Dup", "key": "BAD"})).await, 409, "conflict")
        .await;
    problem(
        app.post("/api/v1/tenants", &root, json!({"name": "X", "key": "TZ", "timezone": "GMT+8"})).await,
        422,
        "validation_failed",
    )
    .await;
    problem(
        app.post("/api/v1/tenants", &root, json!({"name": "X", "key": "TR", "trial_days": 0})).await,
        422,
        "validation_failed",
    )
    .await;
    problem(
        app.post(&format!("/api/v1/tenants/{t}/suspend"), &root, json!({"reason": 42})).await,
        422,
        "validation_failed",
    )
    .await;
}

backend_test!(a_flood_of_odd_requests_never_gets_a_5xx);
async fn a_flood_of_odd_requests_never_gets_a_5xx(app: &TestApp) {
    let (t, _) = app.tenant("ODD").await;
    let root = app.admin_token().await;
    let paths = [
        "/api/v1/tenants".to_owned(),
        format!("/api/v1/tenants/{t}"),
        format!("/api/v1/tenants/{t}/config"),
        format!("/api/v1/tenants/{t}/users"),
        format!("/api/v1/tenants/{t}/api-keys"),
        format!("/api/v1/tenants/{t}/suspend"),
        "/api/v1/users".to_owned(),
        "/api/v1/auth/login".to_owned(),
        "/api/v1/auth/refresh".to_owned(),
        "/api/v1/auth/logout".to_owned(),
    ];
    let bodies = [
        "",
        "null",
        "0",
        "\"\"",
        "[]",
        "{}",
        "{\"name\": null}",
        "{\"key\": []}",
        "{\"email\": {}}",
        "{\"timezone\": 1e400}",
        "{\"roles\": [null]}",
        "{\"business_calendar\": {\"weekly\": {\"mon\": [[]]}}}",
    ];
    for path in &paths {
        for method in [reqwest::Method::POST, reqwest::Method::PUT, reqwest::Method::PATCH] {
            for body in bodies {
                let res = app
                    .http
                    .request(method.clone(), app.url(path))
                    .bearer_auth(&root)
                    .header("content-type", "application/json")
                    .body(body)
                    .send()
                    .await
                    .unwrap();
                let status = res.status().as_u16();
                assert!(
                    status < 500,
                    "{method} {path} {body} → {status}: {}",
                    res.text().await.unwrap_or_default()
                );
            }
        }
    }
}
