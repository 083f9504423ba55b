use reqwest::Method;
use serde_json::{Value, json};

use crate::helpers::*;

backend_test!(login_gives_tokens_and_me_answers);
async fn login_gives_tokens_and_me_answers(app: &TestApp) {
    let tokens = app.login(ADMIN_EMAIL, ADMIN_PASSWORD).await;
    assert_eq!(tokens["token_type"], "Bearer");
    assert!(tokens["expires_in"].as_u64().unwrap() > 0);
    assert!(tokens["refresh_token"].as_str().unwrap().starts_with("crt_"));
    let me = json_ok(app.get("/api/v1/auth/me", tokens["access_token"].as_str().unwrap()).await, 200).await;
    assert_eq!(me["email"], ADMIN_EMAIL);
    assert_eq!(me["roles"], json!(["provider_admin"]));
    assert_eq!(me["tenant_id"], Value::Null);
}

backend_test!(wrong_password_and_unknown_email_answer_alike);
async fn wrong_password_and_unknown_email_answer_alike(app: &TestApp) {
    let wrong =
        problem(app.login_raw(ADMIN_EMAIL, "not-the-password").await, 401, "invalid_credentials").await;
    let unknown =
        problem(app.login_raw("nobody@nowhere.test", "not-the-password").await, 401, "invalid_credentials")
            .await;
    assert_eq!(wrong["detail"], unknown["detail"]);
}

backend_test!(email_is_case_insensitive);
async fn email_is_case_insensitive(app: &TestApp) {
    app.login(&ADMIN_EMAIL.to_uppercase(), ADMIN_PASSWORD).await;
}

async fn refresh(app: &TestApp, token: &str) -> reqwest::Response {
    app.call(Method::POST, "/api/v1/auth/refresh", None, Some(json!({"refresh_token": token}))).await
}

backend_test!(refresh_rotates_the_token);
async fn refresh_rotates_the_token(app: &TestApp) {
    let first = app.login(ADMIN_EMAIL, ADMIN_PASSWORD).await;
    let r1 = first["refresh_token"].as_str().unwrap();
    let second = json_ok(refresh(app, r1).await, 200).await;
    let r2 = second["refresh_token"].as_str().unwrap();
    assert_ne!(r1, r2);
    json_ok(app.get("/api/v1/auth/me", second["access_token"].as_str().unwrap()).await, 200).await;
    // The successor rotates again.
    json_ok(refresh(app, r2).await, 200).await;
}

backend_test!(reusing_a_spent_refresh_token_revokes_the_family);
async fn reusing_a_spent_refresh_token_revokes_the_family(app: &TestApp) {
    let first = app.login(ADMIN_EMAIL, ADMIN_PASSWORD).await;
    let r1 = first["refresh_token"].as_str().unwrap().to_owned();
    let second = json_ok(refresh(app, &r1).await, 200).await;
    let r2 = second["refresh_token"].as_str().unwrap().to_owned();

    // r1 was stolen and replayed: refused, and the whole family dies with it…
    problem(refresh(app, &r1).await, 401, "refresh_token_reused").await;
    // …including the legitimate successor.
    problem(refresh(app, &r2).await, 401, "invalid_token").await;

    // Another sign-in is a new family and unaffected.
    let other = app.login(ADMIN_EMAIL, ADMIN_PASSWORD).await;
    json_ok(refresh(app, other["refresh_token"].as_str().unwrap()).await, 200).await;
}

backend_test!(concurrent_refreshes_of_one_token_let_one_through);
async fn concurrent_refreshes_of_one_token_let_one_through(app: &TestApp) {
    let first = app.login(ADMIN_EMAIL, ADMIN_PASSWORD).await;
    let r1 = first["refresh_token"].as_str().unwrap().to_owned();
    let (a, b) = tokio::join!(refresh(app, &r1), refresh(app, &r1));
    let mut statuses = [a.status().as_u16(), b.status().as_u16()];
    statuses.sort();
    assert_eq!(statuses, [200, 401]);
}

backend_test!(unknown_refresh_tokens_are_refused);
async fn unknown_refresh_tokens_are_refused(app: &TestApp) {
    problem(refresh(app, "crt_made-up").await, 401, "invalid_token").await;
}

backend_test!(logout_ends_the_session_and_the_access_token);
async fn logout_ends_the_session_and_the_access_token(app: &TestApp) {
    let tokens = app.login(ADMIN_EMAIL, ADMIN_PASSWORD).await;
    let access = tokens["access_token"].as_str().unwrap();
    let res = app
        .call(
            Method::POST,
            "/api/v1/auth/logout",
            Some(access),
            Some(json!({"refresh_token": tokens["refresh_token"]})),
        )
        .await;
    assert_eq!(res.status(), 204);
    problem(app.get("/api/v1/auth/me", access).await, 401, "invalid_token").await;
    problem(refresh(app, tokens["refresh_token"].as_str().unwrap()).await, 401, "invalid_token").await;
}

backend_test!(deactivated_users_cannot_sign_in_or_refresh);
async fn deactivated_users_cannot_sign_in_or_refresh(app: &TestApp) {
    let (tenant, admin) = app.tenant("DEACT").await;
    let (user, _) = app.user(tenant, &admin, "leaver@deact.test", &["requester"]).await;
    let tokens = app.login("leaver@deact.test", PASSWORD).await;
    let res = app.delete(&format!("/api/v1/tenants/{tenant}/users/{user}"), &admin).await;
    assert_eq!(res.status(), 204);
    problem(app.login_raw("leaver@deact.test", PASSWORD).await, 401, "invalid_credentials").await;
    problem(refresh(app, tokens["refresh_token"].as_str().unwrap()).await, 401, "invalid_token").await;
}
