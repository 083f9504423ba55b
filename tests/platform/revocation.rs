//! Access that ends when it should: deactivation, deletion, a role or password change and a
//! tenant's cancellation take effect on the very next request; a sign-out survives an empty
//! cache and a restart; without the tenants service the gateway fails closed.

use std::time::Duration;

use reqwest::Method;
use serde_json::{Value, json};
use uuid::Uuid;

use crate::helpers::*;

fn withdrawn(body: &Value) {
    let detail = body["detail"].as_str().unwrap_or_default();
    assert!(detail.contains("withdrawn"), "{body}");
}

/// What a dismissed admin would try next: mint an API key, and a new admin.
async fn cannot_mint_access(app: &TestApp, tenant: Uuid, token: &str) {
    let key = app
        .post(
            &format!("/api/v1/tenants/{tenant}/api-keys"),
            token,
            json!({"name": "mine", "scopes": ["events:write"]}),
        )
        .await;
    withdrawn(&problem(key, 401, "invalid_token").await);
    let admin = app
        .post(
            &format!("/api/v1/tenants/{tenant}/users"),
            token,
            json!({"email": "backdoor@x.test", "display_name": "Back Door", "password": PASSWORD, "roles": ["tenant_admin"]}),
        )
        .await;
    withdrawn(&problem(admin, 401, "invalid_token").await);
}

async fn refresh(app: &TestApp, token: &str) -> reqwest::Response {
    app.call(Method::POST, "/api/v1/auth/refresh", None, Some(json!({"refresh_token": token}))).await
}

backend_test!(a_deactivated_users_token_is_refused_on_the_very_next_request);
async fn a_deactivated_users_token_is_refused_on_the_very_next_request(app: &TestApp) {
    let (tenant, admin) = app.tenant("DISMISS").await;
    let (user, token) = app.user(tenant, &admin, "second@dismiss.test", &["tenant_admin"]).await;
    json_ok(app.get(&format!("/api/v1/tenants/{tenant}/users"), &token).await, 200).await;

    let path = format!("/api/v1/tenants/{tenant}/users/{user}");
    let user_view = json_ok(app.patch(&path, &admin, json!({"active": false})).await, 200).await;
    assert_eq!(user_view["active"], false);
    withdrawn(
        &problem(app.get(&format!("/api/v1/tenants/{tenant}/users"), &token).await, 401, "invalid_token")
            .await,
    );
    cannot_mint_access(app, tenant, &token).await;
    let users = json_ok(app.get(&format!("/api/v1/tenants/{tenant}/users"), &admin).await, 200).await;
    assert_eq!(users["items"].as_array().map(Vec::len), Some(2), "no user was made: {users}");

    // Active again, the user signs in and works; the old token stays dead.
    json_ok(app.patch(&path, &admin, json!({"active": true})).await, 200).await;
    let fresh = app.token("second@dismiss.test", PASSWORD).await;
    json_ok(app.get(&format!("/api/v1/tenants/{tenant}/users"), &fresh).await, 200).await;
    problem(app.get(&format!("/api/v1/tenants/{tenant}/users"), &token).await, 401, "invalid_token").await;
}

backend_test!(a_deleted_users_token_is_refused_on_the_very_next_request);
async fn a_deleted_users_token_is_refused_on_the_very_next_request(app: &TestApp) {
    let (tenant, admin) = app.tenant("DELETED").await;
    let (user, token) = app.user(tenant, &admin, "gone@deleted.test", &["tenant_admin"]).await;
    let tokens = app.login("gone@deleted.test", PASSWORD).await;
    json_ok(app.get(&format!("/api/v1/tenants/{tenant}"), &token).await, 200).await;

    assert_eq!(app.delete(&format!("/api/v1/tenants/{tenant}/users/{user}"), &admin).await.status(), 204);
    withdrawn(
        &problem(app.get(&format!("/api/v1/tenants/{tenant}"), &token).await, 401, "invalid_token").await,
    );
    cannot_mint_access(app, tenant, &token).await;
    problem(refresh(app, tokens["refresh_token"].as_str().unwrap()).await, 401, "invalid_token").await;
    // Provider staff are withdrawn the same way.
    let root = app.admin_token().await;
    let staff = app.staff("desk@provider.test", &["agent"]).await;
    json_ok(app.get("/api/v1/tenants", &staff).await, 200).await;
    let me = json_ok(app.get("/api/v1/auth/me", &staff).await, 200).await;
    assert_eq!(
        app.delete(&format!("/api/v1/users/{}", me["id"].as_str().unwrap()), &root).await.status(),
        204
    );
    withdrawn(&problem(app.get("/api/v1/tenants", &staff).await, 401, "invalid_token").await);
}

backend_test!(a_role_change_takes_effect_at_once_and_a_new_sign_in_has_the_new_role);
async fn a_role_change_takes_effect_at_once_and_a_new_sign_in_has_the_new_role(app: &TestApp) {
    let (tenant, admin) = app.tenant("DEMOTE").await;
    let (user, _) = app.user(tenant, &admin, "boss@demote.test", &["tenant_admin"]).await;
    let tokens = app.login("boss@demote.test", PASSWORD).await;
    let token = tokens["access_token"].as_str().unwrap();
    let users = format!("/api/v1/tenants/{tenant}/users");
    json_ok(app.get(&users, token).await, 200).await;

    let changed =
        json_ok(app.patch(&format!("{users}/{user}"), &admin, json!({"roles": ["requester"]})).await, 200)
            .await;
    assert_eq!(changed["roles"], json!(["requester"]));
    withdrawn(&problem(app.get(&users, token).await, 401, "invalid_token").await);
    cannot_mint_access(app, tenant, token).await;

    // A new sign-in carries the new role, and works as a requester.
    let fresh = app.token("boss@demote.test", PASSWORD).await;
    let who = json_ok(app.get("/api/v1/auth/whoami", &fresh).await, 200).await;
    assert_eq!(who["roles"], json!(["requester"]));
    problem(app.get(&users, &fresh).await, 403, "forbidden").await;
    // The session of before the change goes on, with the new role.
    let refreshed = json_ok(refresh(app, tokens["refresh_token"].as_str().unwrap()).await, 200).await;
    let renewed = refreshed["access_token"].as_str().unwrap();
    let who = json_ok(app.get("/api/v1/auth/whoami", renewed).await, 200).await;
    assert_eq!(who["roles"], json!(["requester"]));
    // A change that changes nothing withdraws nothing.
    json_ok(
        app.patch(
            &format!("{users}/{user}"),
            &admin,
            json!({"roles": ["requester"], "display_name": "Ex Boss"}),
        )
        .await,
        200,
    )
    .await;
    json_ok(app.get("/api/v1/auth/whoami", renewed).await, 200).await;
}

backend_test!(a_password_change_ends_old_tokens_and_sessions);
async fn a_password_change_ends_old_tokens_and_sessions(app: &TestApp) {
    let (tenant, admin) = app.tenant("REKEY").await;
    let (user, _) = app.user(tenant, &admin, "leaked@rekey.test", &["requester"]).await;
    let tokens = app.login("leaked@rekey.test", PASSWORD).await;
    let token = tokens["access_token"].as_str().unwrap();
    json_ok(app.get("/api/v1/auth/me", token).await, 200).await;

    let new_password = "an-entirely-new-password";
    json_ok(
        app.patch(
            &format!("/api/v1/tenants/{tenant}/users/{user}"),
            &admin,
            json!({"password": new_password}),
        )
        .await,
        200,
    )
    .await;
    withdrawn(&problem(app.get("/api/v1/auth/me", token).await, 401, "invalid_token").await);
    problem(refresh(app, tokens["refresh_token"].as_str().unwrap()).await, 401, "invalid_token").await;
    problem(app.login_raw("leaked@rekey.test", PASSWORD).await, 401, "invalid_credentials").await;
    let fresh = app.token("leaked@rekey.test", new_password).await;
    json_ok(app.get("/api/v1/auth/me", &fresh).await, 200).await;
}

backend_test!(a_cancelled_tenants_tokens_and_keys_are_refused_at_once: Backend);
async fn a_cancelled_tenants_tokens_and_keys_are_refused_at_once(backend: Backend) {
    // The gateway would trust its cached status of the tenant for an hour.
    let app = TestApp::spawn_with(backend, |s| s.gateway.tenant_status_ttl_secs = 3600).await;
    let root = app.admin_token().await;
    let (tenant, admin) = app.tenant("ENDED").await;
    let key = json_ok(
        app.post(
            &format!("/api/v1/tenants/{tenant}/api-keys"),
            &admin,
            json!({"name": "probe", "scopes": ["events:write"]}),
        )
        .await,
        201,
    )
    .await;
    let secret = key["key"].as_str().unwrap().to_owned();
    let whoami = || app.http.get(app.url("/api/v1/auth/whoami")).header("x-api-key", &secret).send();
    assert_eq!(whoami().await.unwrap().status(), 200);
    json_ok(app.get(&format!("/api/v1/tenants/{tenant}/config"), &admin).await, 200).await;

    json_ok(
        app.call(Method::POST, &format!("/api/v1/tenants/{tenant}/cancel"), Some(&root), None).await,
        200,
    )
    .await;
    // No waiting for the status cache or the event: the very next request is refused.
    problem(app.get(&format!("/api/v1/tenants/{tenant}/config"), &admin).await, 403, "tenant_cancelled")
        .await;
    problem(whoami().await.unwrap(), 403, "tenant_cancelled").await;
    problem(app.login_raw("admin@ended.test", PASSWORD).await, 403, "tenant_cancelled").await;
    app.stop().await;
}

backend_test!(a_signed_out_token_stays_revoked_without_the_cache_and_after_a_restart: Backend);
async fn a_signed_out_token_stays_revoked_without_the_cache_and_after_a_restart(backend: Backend) {
    let mut app = TestApp::spawn(backend).await;
    let tokens = app.login(ADMIN_EMAIL, ADMIN_PASSWORD).await;
    let access = tokens["access_token"].as_str().unwrap().to_owned();
    let kept = app.admin_token().await;
    let res = app.call(Method::POST, "/api/v1/auth/logout", Some(&access), Some(json!({}))).await;
    assert_eq!(res.status(), 204);
    withdrawn(&problem(app.get("/api/v1/auth/me", &access).await, 401, "invalid_token").await);

    app.empty_cache().await;
    withdrawn(&problem(app.get("/api/v1/auth/me", &access).await, 401, "invalid_token").await);
    json_ok(app.get("/api/v1/auth/me", &kept).await, 200).await;

    app.restart().await;
    app.empty_cache().await;
    withdrawn(&problem(app.get("/api/v1/auth/me", &access).await, 401, "invalid_token").await);
    json_ok(app.get("/api/v1/auth/me", &kept).await, 200).await;
    json_ok(app.get("/api/v1/auth/me", &app.admin_token().await).await, 200).await;
    app.stop().await;
}

backend_test!(without_the_tenants_service_the_gateway_fails_closed: Backend);
async fn without_the_tenants_service_the_gateway_fails_closed(backend: Backend) {
    let mut app = TestApp::spawn_with(backend, |s| {
        s.gateway.revocation_sync_ms = 100;
        s.gateway.revocation_max_staleness_secs = 1;
    })
    .await;
    let root = app.admin_token().await;
    json_ok(app.get("/api/v1/catalog/tiers", &root).await, 200).await;

    app.stop_service("tenants").await;
    let body = eventually("503 once the revocations are out of date", Duration::from_secs(20), async || {
        let res = app.get("/api/v1/catalog/tiers", &root).await;
        match res.status().as_u16() {
            503 => Ok(res),
            other => Err(other),
        }
    })
    .await;
    let body = problem(body, 503, "service_unavailable").await;
    assert!(body["detail"].as_str().unwrap().contains("revocations"), "{body}");
    // Public endpoints need no revocation check; the readiness probe says what is wrong.
    let ready = app.http.get(app.url("/readyz")).send().await.unwrap();
    assert_eq!(ready.status(), 503);
    let ready: Value = ready.json().await.unwrap();
    assert_eq!(ready["checks"]["revocations"], false, "{ready}");
    // The platform runs in this process: its metrics are this process's.
    let metrics = canopy_kernel::telemetry::metrics().render();
    assert!(metrics.contains("canopy_gateway_access_refused_total{reason=\"stale\"}"), "{metrics}");
    app.stop().await;
}
