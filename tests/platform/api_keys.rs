use serde_json::{Value, json};

use crate::helpers::*;

async fn whoami_with_key(app: &TestApp, key: &str) -> reqwest::Response {
    app.http.get(app.url("/api/v1/auth/whoami")).header("x-api-key", key).send().await.unwrap()
}

backend_test!(a_key_is_shown_once_and_works_until_revoked);
async fn a_key_is_shown_once_and_works_until_revoked(app: &TestApp) {
    let (tenant, admin) = app.tenant("AGENTS").await;
    let created = json_ok(
        app.post(
            &format!("/api/v1/tenants/{tenant}/api-keys"),
            &admin,
            json!({"name": "Monitoring, HQ", "scopes": ["events:write"]}),
        )
        .await,
        201,
    )
    .await;
    let key = created["key"].as_str().unwrap().to_owned();
    let id = created["id"].as_str().unwrap().to_owned();
    assert!(key.starts_with(created["prefix"].as_str().unwrap()));

    let listed = json_ok(app.get(&format!("/api/v1/tenants/{tenant}/api-keys"), &admin).await, 200).await;
    assert_eq!(listed["items"][0]["prefix"], created["prefix"]);
    assert!(!listed.to_string().contains(&key), "the key is never shown again");
    let one = json_ok(app.get(&format!("/api/v1/tenants/{tenant}/api-keys/{id}"), &admin).await, 200).await;
    assert_eq!(one.get("key"), None);

    // The gateway trades the key for the tenant's identity.
    let me = json_ok(whoami_with_key(app, &key).await, 200).await;
    assert_eq!(me["kind"], "api_key");
    assert_eq!(me["tenant_id"], tenant.to_string());
    assert_eq!(me["scopes"], json!(["events:write"]));
    assert_eq!(me["roles"], json!([]));
    // Also as `Authorization: ApiKey …`.
    let res = app
        .http
        .get(app.url("/api/v1/auth/whoami"))
        .header("authorization", format!("ApiKey {key}"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    // A key has no user's powers.
    let res = app
        .http
        .get(app.url(&format!("/api/v1/tenants/{tenant}/users")))
        .header("x-api-key", &key)
        .send()
        .await
        .unwrap();
    problem(res, 403, "forbidden").await;

    assert_eq!(app.delete(&format!("/api/v1/tenants/{tenant}/api-keys/{id}"), &admin).await.status(), 204);
    problem(whoami_with_key(app, &key).await, 401, "invalid_token").await;
    let one = json_ok(app.get(&format!("/api/v1/tenants/{tenant}/api-keys/{id}"), &admin).await, 200).await;
    assert_ne!(one["revoked_at"], Value::Null);
}

backend_test!(wrong_keys_are_refused);
async fn wrong_keys_are_refused(app: &TestApp) {
    let (tenant, admin) = app.tenant("AGENTS").await;
    let created = json_ok(
        app.post(&format!("/api/v1/tenants/{tenant}/api-keys"), &admin, json!({"name": "a"})).await,
        201,
    )
    .await;
    let key = created["key"].as_str().unwrap();
    let mut wrong = key.to_owned();
    wrong.pop();
    wrong.push(if key.ends_with('a') { 'b' } else { 'a' });
    problem(whoami_with_key(app, &wrong).await, 401, "invalid_token").await;
    problem(
        whoami_with_key(app, "cnp_nothing_here_at_all_xxxxxxxxxxxxxxxxxxxxxxxx").await,
        401,
        "invalid_token",
    )
    .await;
    problem(whoami_with_key(app, "hello").await, 401, "invalid_token").await;
}

backend_test!(bad_key_requests_are_explained);
async fn bad_key_requests_are_explained(app: &TestApp) {
    let (tenant, admin) = app.tenant("AGENTS").await;
    let res = app
        .post(
            &format!("/api/v1/tenants/{tenant}/api-keys"),
            &admin,
            json!({"name": "", "scopes": ["root"], "expires_at": "2001-01-01T00:00:00Z"}),
        )
        .await;
    let body = problem(res, 422, "validation_failed").await;
    let fields: Vec<&str> =
        body["errors"].as_array().unwrap().iter().map(|e| e["field"].as_str().unwrap()).collect();
    assert_eq!(fields, ["name", "scopes[0]", "expires_at"]);
}
