use serde_json::json;

use crate::helpers::*;

backend_test!(a_suspended_tenant_reads_but_does_not_write);
async fn a_suspended_tenant_reads_but_does_not_write(app: &TestApp) {
    let root = app.admin_token().await;
    let (tenant, admin) = app.tenant("SLEEPY").await;
    let config = json_ok(app.get(&format!("/api/v1/tenants/{tenant}/config"), &admin).await, 200).await;

    let t = json_ok(
        app.post(
            &format!("/api/v1/tenants/{tenant}/suspend"),
            &root,
            json!({"reason": "invoice 2026-10 unpaid"}),
        )
        .await,
        200,
    )
    .await;
    assert_eq!(t["status"], "suspended");
    assert_eq!(t["status_reason"], "invoice 2026-10 unpaid");

    // Reading still works; writing does not, whether the gateway or the service is asked.
    json_ok(app.get(&format!("/api/v1/tenants/{tenant}/config"), &admin).await, 200).await;
    problem(
        app.put(&format!("/api/v1/tenants/{tenant}/config"), &admin, config.clone()).await,
        403,
        "tenant_suspended",
    )
    .await;
    let direct = app
        .http
        .post(format!("{}/api/v1/tenants/{tenant}/api-keys", app.tenants_base))
        .bearer_auth(&admin)
        .json(&json!({"name": "x"}))
        .send()
        .await
        .unwrap();
    problem(direct, 403, "tenant_suspended").await;
    // Its users can still sign in, to read.
    app.login(&format!("admin@{}.test", "sleepy"), PASSWORD).await;

    json_ok(app.post(&format!("/api/v1/tenants/{tenant}/activate"), &root, json!({})).await, 200).await;
    json_ok(app.put(&format!("/api/v1/tenants/{tenant}/config"), &admin, config).await, 200).await;
}

backend_test!(a_cancelled_tenant_is_closed_for_good);
async fn a_cancelled_tenant_is_closed_for_good(app: &TestApp) {
    let root = app.admin_token().await;
    let (tenant, admin) = app.tenant("GONE").await;
    json_ok(
        app.call(reqwest::Method::POST, &format!("/api/v1/tenants/{tenant}/cancel"), Some(&root), None).await,
        200,
    )
    .await;
    problem(app.get(&format!("/api/v1/tenants/{tenant}"), &admin).await, 403, "tenant_cancelled").await;
    problem(app.login_raw("admin@gone.test", PASSWORD).await, 403, "tenant_cancelled").await;
    for action in ["activate", "suspend", "cancel"] {
        problem(
            app.post(&format!("/api/v1/tenants/{tenant}/{action}"), &root, json!({})).await,
            409,
            "invalid_transition",
        )
        .await;
    }
    let t = json_ok(app.get(&format!("/api/v1/tenants/{tenant}"), &root).await, 200).await;
    assert_eq!(t["status"], "cancelled");
}

backend_test!(trials_start_as_trial_and_activate);
async fn trials_start_as_trial_and_activate(app: &TestApp) {
    let root = app.admin_token().await;
    let t = json_ok(
        app.post("/api/v1/tenants", &root, json!({"name": "Try Co", "key": "TRY", "trial_days": 14})).await,
        201,
    )
    .await;
    assert_eq!(t["status"], "trial");
    assert!(t["trial_ends_at"].is_string());
    let id = t["id"].as_str().unwrap();
    let t = json_ok(app.post(&format!("/api/v1/tenants/{id}/activate"), &root, json!({})).await, 200).await;
    assert_eq!(t["status"], "active");
    problem(
        app.post(&format!("/api/v1/tenants/{id}/activate"), &root, json!({})).await,
        409,
        "invalid_transition",
    )
    .await;
}

backend_test!(tenants_list_pages_with_a_cursor_and_filters_by_status);
async fn tenants_list_pages_with_a_cursor_and_filters_by_status(app: &TestApp) {
    let root = app.admin_token().await;
    for key in ["PGA", "PGB", "PGC"] {
        json_ok(app.post("/api/v1/tenants", &root, json!({"name": key, "key": key})).await, 201).await;
    }
    let first = json_ok(app.get("/api/v1/tenants?limit=2", &root).await, 200).await;
    assert_eq!(first["items"].as_array().unwrap().len(), 2);
    let cursor = first["next_cursor"].as_str().unwrap();
    let second =
        json_ok(app.get(&format!("/api/v1/tenants?limit=2&cursor={cursor}"), &root).await, 200).await;
    assert_eq!(second["items"].as_array().unwrap().len(), 1);
    assert!(second["next_cursor"].is_null());
    let keys: Vec<_> = first["items"]
        .as_array()
        .unwrap()
        .iter()
        .chain(second["items"].as_array().unwrap())
        .map(|t| t["key"].clone())
        .collect();
    assert_eq!(keys, vec!["PGA", "PGB", "PGC"]);
    let none = json_ok(app.get("/api/v1/tenants?status=suspended", &root).await, 200).await;
    assert!(none["items"].as_array().unwrap().is_empty());
}
