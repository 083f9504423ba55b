//! Another tenant's resources cannot be read, listed, changed or deleted, and answer
//! exactly as resources that do not exist (so their existence does not leak either).

use reqwest::Method;
use serde_json::{Value, json};
use uuid::Uuid;

use crate::helpers::*;

struct Victim {
    tenant: Uuid,
    admin: String,
    user: Uuid,
    key: Uuid,
}

async fn victim(app: &TestApp) -> Victim {
    let (tenant, admin) = app.tenant("VICTIM").await;
    let (user, _) = app.user(tenant, &admin, "someone@victim.test", &["requester"]).await;
    let key = json_ok(
        app.post(&format!("/api/v1/tenants/{tenant}/api-keys"), &admin, json!({"name": "agent"})).await,
        201,
    )
    .await;
    let key = key["id"].as_str().unwrap().parse().unwrap();
    Victim { tenant, admin, user, key }
}

/// Asks the same thing about the victim's resource and a made-up one; both must be 404
/// with the same code and detail.
async fn same_as_missing(
    app: &TestApp,
    token: &str,
    method: Method,
    real: &str,
    missing: &str,
    body: Option<Value>,
) {
    let a = app.call(method.clone(), real, Some(token), body.clone()).await;
    let b = app.call(method.clone(), missing, Some(token), body).await;
    let a = problem(a, 404, "not_found").await;
    let b = problem(b, 404, "not_found").await;
    assert_eq!(a["detail"], b["detail"], "{method} {real} tells more than {missing}");
}

backend_test!(the_tenant_itself_is_invisible_and_immutable);
async fn the_tenant_itself_is_invisible_and_immutable(app: &TestApp) {
    let v = victim(app).await;
    let (_, attacker) = app.tenant("ATTACK").await;
    let t = v.tenant;
    let m = Uuid::now_v7();
    same_as_missing(
        app,
        &attacker,
        Method::GET,
        &format!("/api/v1/tenants/{t}"),
        &format!("/api/v1/tenants/{m}"),
        None,
    )
    .await;
    let patch = Some(json!({"name": "pwned"}));
    same_as_missing(
        app,
        &attacker,
        Method::PATCH,
        &format!("/api/v1/tenants/{t}"),
        &format!("/api/v1/tenants/{m}"),
        patch,
    )
    .await;
    for action in ["suspend", "activate", "cancel"] {
        let (real, missing) =
            (format!("/api/v1/tenants/{t}/{action}"), format!("/api/v1/tenants/{m}/{action}"));
        same_as_missing(app, &attacker, Method::POST, &real, &missing, None).await;
    }
    let list = json_ok(app.get("/api/v1/tenants", &attacker).await, 200).await;
    let items = list["items"].as_array().unwrap();
    assert_eq!(items.len(), 1);
    assert_eq!(items[0]["key"], "ATTACK");
    let own = json_ok(app.get(&format!("/api/v1/tenants/{t}"), &v.admin).await, 200).await;
    assert_eq!(own["name"], "VICTIM Ltd");
    assert_eq!(own["status"], "active");
}

backend_test!(users_are_invisible_and_immutable);
async fn users_are_invisible_and_immutable(app: &TestApp) {
    let v = victim(app).await;
    let (own_tenant, attacker) = app.tenant("ATTACK").await;
    let (t, u, m) = (v.tenant, v.user, Uuid::now_v7());
    let body = json!({"email": "mole@victim.test", "display_name": "Mole", "password": PASSWORD, "roles": ["tenant_admin"]});
    same_as_missing(
        app,
        &attacker,
        Method::POST,
        &format!("/api/v1/tenants/{t}/users"),
        &format!("/api/v1/tenants/{m}/users"),
        Some(body),
    )
    .await;
    same_as_missing(
        app,
        &attacker,
        Method::GET,
        &format!("/api/v1/tenants/{t}/users"),
        &format!("/api/v1/tenants/{m}/users"),
        None,
    )
    .await;
    for method in [Method::GET, Method::DELETE] {
        same_as_missing(
            app,
            &attacker,
            method.clone(),
            &format!("/api/v1/tenants/{t}/users/{u}"),
            &format!("/api/v1/tenants/{t}/users/{m}"),
            None,
        )
        .await;
        // Through the attacker's own tenant path, the victim's user id is just as unknown.
        same_as_missing(
            app,
            &attacker,
            method,
            &format!("/api/v1/tenants/{own_tenant}/users/{u}"),
            &format!("/api/v1/tenants/{own_tenant}/users/{m}"),
            None,
        )
        .await;
    }
    let patch = Some(json!({"roles": ["tenant_admin"]}));
    same_as_missing(
        app,
        &attacker,
        Method::PATCH,
        &format!("/api/v1/tenants/{t}/users/{u}"),
        &format!("/api/v1/tenants/{t}/users/{m}"),
        patch.clone(),
    )
    .await;
    same_as_missing(
        app,
        &attacker,
        Method::PATCH,
        &format!("/api/v1/tenants/{own_tenant}/users/{u}"),
        &format!("/api/v1/tenants/{own_tenant}/users/{m}"),
        patch,
    )
    .await;
    // Provider staff are out of reach of tenant users.
    same_as_missing(app, &attacker, Method::GET, "/api/v1/users", "/api/v1/users", None).await;

    let user = json_ok(app.get(&format!("/api/v1/tenants/{t}/users/{u}"), &v.admin).await, 200).await;
    assert_eq!(user["active"], true);
    assert_eq!(user["roles"], json!(["requester"]));
    let list = json_ok(app.get(&format!("/api/v1/tenants/{t}/users"), &v.admin).await, 200).await;
    assert_eq!(list["items"].as_array().unwrap().len(), 2, "no user was slipped in");
    problem(app.login_raw("mole@victim.test", PASSWORD).await, 401, "invalid_credentials").await;
}

backend_test!(api_keys_are_invisible_and_immutable);
async fn api_keys_are_invisible_and_immutable(app: &TestApp) {
    let v = victim(app).await;
    let (own_tenant, attacker) = app.tenant("ATTACK").await;
    let (t, k, m) = (v.tenant, v.key, Uuid::now_v7());
    same_as_missing(
        app,
        &attacker,
        Method::POST,
        &format!("/api/v1/tenants/{t}/api-keys"),
        &format!("/api/v1/tenants/{m}/api-keys"),
        Some(json!({"name": "x"})),
    )
    .await;
    same_as_missing(
        app,
        &attacker,
        Method::GET,
        &format!("/api/v1/tenants/{t}/api-keys"),
        &format!("/api/v1/tenants/{m}/api-keys"),
        None,
    )
    .await;
    for method in [Method::GET, Method::DELETE] {
        same_as_missing(
            app,
            &attacker,
            method.clone(),
            &format!("/api/v1/tenants/{t}/api-keys/{k}"),
            &format!("/api/v1/tenants/{t}/api-keys/{m}"),
            None,
        )
        .await;
        same_as_missing(
            app,
            &attacker,
            method,
            &format!("/api/v1/tenants/{own_tenant}/api-keys/{k}"),
            &format!("/api/v1/tenants/{own_tenant}/api-keys/{m}"),
            None,
        )
        .await;
    }
    let key = json_ok(app.get(&format!("/api/v1/tenants/{t}/api-keys/{k}"), &v.admin).await, 200).await;
    assert_eq!(key["revoked_at"], Value::Null);
}

backend_test!(configuration_and_its_history_are_invisible_and_immutable);
async fn configuration_and_its_history_are_invisible_and_immutable(app: &TestApp) {
    let v = victim(app).await;
    let (_, attacker) = app.tenant("ATTACK").await;
    let (t, m) = (v.tenant, Uuid::now_v7());
    let own = json_ok(app.get(&format!("/api/v1/tenants/{t}/config"), &v.admin).await, 200).await;
    same_as_missing(
        app,
        &attacker,
        Method::GET,
        &format!("/api/v1/tenants/{t}/config"),
        &format!("/api/v1/tenants/{m}/config"),
        None,
    )
    .await;
    same_as_missing(
        app,
        &attacker,
        Method::PUT,
        &format!("/api/v1/tenants/{t}/config"),
        &format!("/api/v1/tenants/{m}/config"),
        Some(own.clone()),
    )
    .await;
    same_as_missing(
        app,
        &attacker,
        Method::GET,
        &format!("/api/v1/tenants/{t}/config/history"),
        &format!("/api/v1/tenants/{m}/config/history"),
        None,
    )
    .await;
    same_as_missing(
        app,
        &attacker,
        Method::GET,
        &format!("/api/v1/tenants/{t}/config/history/1"),
        &format!("/api/v1/tenants/{m}/config/history/1"),
        None,
    )
    .await;
    let after = json_ok(app.get(&format!("/api/v1/tenants/{t}/config"), &v.admin).await, 200).await;
    assert_eq!(after["version"], own["version"]);
}

backend_test!(tenant_roles_cannot_reach_provider_powers);
async fn tenant_roles_cannot_reach_provider_powers(app: &TestApp) {
    let v = victim(app).await;
    let (_, requester) = app.user(v.tenant, &v.admin, "plain@victim.test", &["requester"]).await;
    // Known to exist (their own tenant), so 403 is no leak.
    problem(
        app.patch(&format!("/api/v1/tenants/{}", v.tenant), &v.admin, json!({"name": "x"})).await,
        403,
        "forbidden",
    )
    .await;
    problem(
        app.post(&format!("/api/v1/tenants/{}/suspend", v.tenant), &v.admin, json!({})).await,
        403,
        "forbidden",
    )
    .await;
    problem(app.post("/api/v1/tenants", &v.admin, json!({"name": "X", "key": "XX"})).await, 403, "forbidden")
        .await;
    problem(app.get(&format!("/api/v1/tenants/{}/users", v.tenant), &requester).await, 403, "forbidden")
        .await;
    problem(app.get(&format!("/api/v1/tenants/{}/api-keys", v.tenant), &requester).await, 403, "forbidden")
        .await;
    let body =
        json!({"email": "x@victim.test", "display_name": "X", "password": PASSWORD, "roles": ["requester"]});
    problem(
        app.post(&format!("/api/v1/tenants/{}/users", v.tenant), &requester, body).await,
        403,
        "forbidden",
    )
    .await;
    // A tenant admin cannot mint provider roles.
    let body = json!({"email": "y@victim.test", "display_name": "Y", "password": PASSWORD, "roles": ["provider_admin"]});
    problem(
        app.post(&format!("/api/v1/tenants/{}/users", v.tenant), &v.admin, body).await,
        422,
        "validation_failed",
    )
    .await;
}

backend_test!(provider_staff_work_across_tenants_and_only_admins_manage_staff);
async fn provider_staff_work_across_tenants_and_only_admins_manage_staff(app: &TestApp) {
    let (a, _) = app.tenant("ONE").await;
    let (b, _) = app.tenant("TWO").await;
    let dispatcher = app.staff("dispatch@provider.test", &["dispatcher"]).await;
    let listed = json_ok(app.get("/api/v1/tenants", &dispatcher).await, 200).await;
    assert_eq!(listed["items"].as_array().unwrap().len(), 2);
    for t in [a, b] {
        json_ok(app.get(&format!("/api/v1/tenants/{t}/users"), &dispatcher).await, 200).await;
        json_ok(app.get(&format!("/api/v1/tenants/{t}/config"), &dispatcher).await, 200).await;
    }
    let staff = json_ok(app.get("/api/v1/users", &dispatcher).await, 200).await;
    assert_eq!(staff["items"].as_array().unwrap().len(), 2, "the admin and the dispatcher");
    let body =
        json!({"email": "x@provider.test", "display_name": "X", "password": PASSWORD, "roles": ["engineer"]});
    problem(app.post("/api/v1/users", &dispatcher, body.clone()).await, 403, "forbidden").await;
    problem(
        app.post(&format!("/api/v1/tenants/{a}/suspend"), &dispatcher, json!({})).await,
        403,
        "forbidden",
    )
    .await;
    // Provider staff take provider roles only.
    let root = app.admin_token().await;
    let wrong = json!({"email": "y@provider.test", "display_name": "Y", "password": PASSWORD, "roles": ["requester"]});
    problem(app.post("/api/v1/users", &root, wrong).await, 422, "validation_failed").await;
    json_ok(app.post("/api/v1/users", &root, body).await, 201).await;
}
