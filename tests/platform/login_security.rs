//! Sign-in hardening: per-account delays after failed sign-ins (known and unknown e-mails
//! alike, one audit entry per burst), TOTP second factors, who may be a ticket's requester,
//! and which part of the tenant configuration each role reads.

use chrono::TimeDelta;
use reqwest::Method;
use serde_json::{Value, json};
use totp_rs::{Algorithm, Secret, TOTP};
use uuid::Uuid;

use canopy_kernel::clock::Clock;

use crate::helpers::*;

async fn login_otp(app: &TestApp, email: &str, password: &str, otp: Option<&str>) -> reqwest::Response {
    let mut body = json!({"email": email, "password": password});
    if let Some(code) = otp {
        body["otp"] = json!(code);
    }
    app.call(Method::POST, "/api/v1/auth/login", None, Some(body)).await
}

/// Asserts a 429 for the account and returns its Retry-After (seconds).
async fn throttled(res: reqwest::Response) -> u64 {
    let wait: u64 = res.headers().get("retry-after").expect("Retry-After").to_str().unwrap().parse().unwrap();
    problem(res, 429, "rate_limited").await;
    wait
}

async fn fail_n(app: &TestApp, email: &str, n: usize) {
    for i in 0..n {
        let res = app.login_raw(email, &format!("wrong-password-{i}")).await;
        if res.status() != 401 {
            panic!("failure {i} of {email}: {} {}", res.status(), res.text().await.unwrap_or_default());
        }
    }
}

backend_test!(failed_sign_ins_make_the_account_wait_longer_each_time_and_success_resets);
async fn failed_sign_ins_make_the_account_wait_longer_each_time_and_success_resets(app: &TestApp) {
    let (tenant, admin) = app.tenant("SLOW").await;
    let email = "victim@slow.test";
    app.user(tenant, &admin, email, &["requester"]).await;

    // Five failures are answered as such; then each attempt must wait 1 s, 2 s, 4 s …
    fail_n(app, email, 5).await;
    assert_eq!(throttled(app.login_raw(email, PASSWORD).await).await, 1, "even the right password waits");
    app.clock.advance(TimeDelta::seconds(1));
    fail_n(app, email, 1).await;
    assert_eq!(throttled(app.login_raw(email, "guess").await).await, 2);
    app.clock.advance(TimeDelta::seconds(2));
    fail_n(app, email, 1).await;
    assert_eq!(throttled(app.login_raw(email, "guess").await).await, 4);
    app.clock.advance(TimeDelta::milliseconds(3500));
    assert_eq!(throttled(app.login_raw(email, PASSWORD).await).await, 1, "rounded up");

    // The real user is never kept out beyond the delay: once it has passed, they sign in.
    app.clock.advance(TimeDelta::milliseconds(500));
    app.login(email, PASSWORD).await;

    // Success forgot the failures: four more are not throttled.
    fail_n(app, email, 4).await;
    app.login(email, PASSWORD).await;

    // The delay is capped at 15 minutes.
    let mut last = 0;
    for _ in 0..16 {
        fail_n(app, email, 1).await;
        if let Some(wait) = app
            .login_raw(email, "guess")
            .await
            .headers()
            .get("retry-after")
            .map(|v| v.to_str().unwrap().parse::<u64>().unwrap())
        {
            last = wait;
            app.clock.advance(TimeDelta::seconds(wait as i64));
        }
    }
    assert_eq!(last, 900);
    // Another account is not affected by this one's failures.
    app.login(ADMIN_EMAIL, ADMIN_PASSWORD).await;
}

backend_test!(unknown_emails_are_throttled_exactly_like_known_ones);
async fn unknown_emails_are_throttled_exactly_like_known_ones(app: &TestApp) {
    let (tenant, admin) = app.tenant("ENUM").await;
    app.user(tenant, &admin, "known@enum.test", &["requester"]).await;
    for email in ["known@enum.test", "unknown@enum.test"] {
        fail_n(app, email, 5).await;
        let res = app.login_raw(email, "guess").await;
        let wait = res.headers()["retry-after"].to_str().unwrap().to_owned();
        let body = problem(res, 429, "rate_limited").await;
        assert_eq!(
            (wait.as_str(), body["detail"].as_str().unwrap()),
            ("1", "Too many failed sign-ins for this account; try again in 1 s")
        );
    }
    // The e-mail is normalised before it is counted.
    problem(app.login_raw("UNKNOWN@enum.test", "guess").await, 429, "rate_limited").await;
}

async fn audit(app: &TestApp, token: &str) -> Vec<Value> {
    let page = json_ok(app.get("/api/v1/auth/audit", token).await, 200).await;
    page["items"].as_array().unwrap().clone()
}

fn throttle_entries<'a>(items: &'a [Value], email: &str) -> Vec<&'a Value> {
    items.iter().filter(|e| e["kind"] == "login_throttled" && e["email"] == email).collect()
}

backend_test!(each_burst_of_failed_sign_ins_is_audited_once);
async fn each_burst_of_failed_sign_ins_is_audited_once(app: &TestApp) {
    let root = app.admin_token().await;
    let (tenant, admin) = app.tenant("AUDIT").await;
    let email = "target@audit.test";
    let (user, _) = app.user(tenant, &admin, email, &["requester"]).await;

    fail_n(app, email, 4).await;
    assert!(throttle_entries(&audit(app, &root).await, email).is_empty(), "below the threshold: no entry");
    fail_n(app, email, 1).await;
    // The burst goes on (each attempt after its delay): still one entry.
    for wait in [1, 2, 4] {
        app.clock.advance(TimeDelta::seconds(wait));
        fail_n(app, email, 1).await;
    }
    let items = audit(app, &root).await;
    let entries = throttle_entries(&items, email);
    assert_eq!(entries.len(), 1, "{items:?}");
    assert_eq!(entries[0]["user_id"], json!(user));
    assert_eq!(entries[0]["tenant_id"], json!(tenant));

    // A success ends the burst; the next burst has its own entry.
    app.clock.advance(TimeDelta::seconds(8));
    app.login(email, PASSWORD).await;
    fail_n(app, email, 5).await;
    assert_eq!(throttle_entries(&audit(app, &root).await, email).len(), 2);

    // Unknown addresses are audited too (for the provider only); the tenant's admin sees
    // its own users' entries.
    fail_n(app, "ghost@audit.test", 5).await;
    let provider_view = audit(app, &root).await;
    assert_eq!(throttle_entries(&provider_view, "ghost@audit.test").len(), 1);
    let tenant_view = audit(app, &admin).await;
    assert_eq!(throttle_entries(&tenant_view, email).len(), 2);
    assert!(throttle_entries(&tenant_view, "ghost@audit.test").is_empty());
    let (_, requester) = app.user(tenant, &admin, "plain@audit.test", &["requester"]).await;
    problem(app.get("/api/v1/auth/audit", &requester).await, 403, "forbidden").await;
}

/// The code an authenticator app shows for `secret` at the platform's clock.
fn code(app: &TestApp, secret: &str) -> String {
    let bytes = Secret::Encoded(secret.to_owned()).to_bytes().unwrap();
    let totp = TOTP::new(Algorithm::SHA1, 6, 1, 30, bytes, None, "t".into()).unwrap();
    totp.generate(app.clock.now().timestamp() as u64)
}

async fn enrol(app: &TestApp, token: &str) -> String {
    let e = json_ok(app.post("/api/v1/auth/totp/enroll", token, json!({})).await, 201).await;
    assert!(e["otpauth_url"].as_str().unwrap().starts_with("otpauth://totp/"), "{e}");
    assert_eq!((e["digits"].as_u64(), e["period"].as_u64()), (Some(6), Some(30)));
    let secret = e["secret"].as_str().unwrap().to_owned();
    let status =
        json_ok(app.post("/api/v1/auth/totp/confirm", token, json!({"code": code(app, &secret)})).await, 200)
            .await;
    assert_eq!(status["active"], true);
    secret
}

backend_test!(staff_with_a_second_factor_sign_in_with_a_code_used_once);
async fn staff_with_a_second_factor_sign_in_with_a_code_used_once(app: &TestApp) {
    let email = "eng@provider.test";
    let token = app.staff(email, &["engineer"]).await;
    let status = json_ok(app.get("/api/v1/auth/totp", &token).await, 200).await;
    assert_eq!((status["active"].clone(), status["required"].clone()), (json!(false), json!(false)));

    let e = json_ok(app.post("/api/v1/auth/totp/enroll", &token, json!({})).await, 201).await;
    let secret = e["secret"].as_str().unwrap().to_owned();
    // Not confirmed yet: sign-in needs no code.
    app.login(email, PASSWORD).await;
    problem(
        app.post("/api/v1/auth/totp/confirm", &token, json!({"code": "000000"})).await,
        422,
        "validation_failed",
    )
    .await;
    let confirmed = code(app, &secret);
    json_ok(app.post("/api/v1/auth/totp/confirm", &token, json!({"code": confirmed})).await, 200).await;
    problem(app.post("/api/v1/auth/totp/enroll", &token, json!({})).await, 409, "conflict").await;

    problem(login_otp(app, email, PASSWORD, None).await, 401, "otp_required").await;
    problem(login_otp(app, email, PASSWORD, Some("123")).await, 401, "invalid_otp").await;
    // The code that confirmed cannot sign in again (replay within its window).
    problem(login_otp(app, email, PASSWORD, Some(&confirmed)).await, 401, "invalid_otp").await;
    // A wrong password with a right code is still a wrong password.
    app.clock.advance(TimeDelta::seconds(30));
    let next = code(app, &secret);
    problem(login_otp(app, email, "wrong-password", Some(&next)).await, 401, "invalid_credentials").await;

    let tokens = json_ok(login_otp(app, email, PASSWORD, Some(&next)).await, 200).await;
    assert!(tokens["access_token"].is_string());
    problem(login_otp(app, email, PASSWORD, Some(&next)).await, 401, "invalid_otp").await;

    // Disabling needs a current code; then sign-in needs none.
    app.clock.advance(TimeDelta::seconds(30));
    problem(
        app.post("/api/v1/auth/totp/disable", &token, json!({"code": "000000"})).await,
        422,
        "validation_failed",
    )
    .await;
    let res = app.post("/api/v1/auth/totp/disable", &token, json!({"code": code(app, &secret)})).await;
    assert_eq!(res.status(), 204, "{}", res.text().await.unwrap_or_default());
    app.login(email, PASSWORD).await;
}

backend_test!(tenant_admins_may_use_a_second_factor_and_admins_reset_it);
async fn tenant_admins_may_use_a_second_factor_and_admins_reset_it(app: &TestApp) {
    let root = app.admin_token().await;
    let (tenant, admin) = app.tenant("TWOFA").await;
    let admin_email = "admin@twofa.test";
    let (admin_id, _) = app.user(tenant, &admin, "second@twofa.test", &["tenant_admin"]).await;
    let (_, requester) = app.user(tenant, &admin, "req@twofa.test", &["requester"]).await;
    problem(app.post("/api/v1/auth/totp/enroll", &requester, json!({})).await, 403, "forbidden").await;

    enrol(app, &admin).await;
    problem(app.login_raw(admin_email, PASSWORD).await, 401, "otp_required").await;

    // The other admin of the tenant resets it (a lost phone); another tenant cannot.
    let second = app.token("second@twofa.test", PASSWORD).await;
    let me = json_ok(app.get("/api/v1/auth/me", &admin).await, 200).await;
    let first_id = me["id"].as_str().unwrap();
    let (_, stranger) = app.tenant("OTHER").await;
    problem(
        app.delete(&format!("/api/v1/tenants/{tenant}/users/{first_id}/totp"), &stranger).await,
        404,
        "not_found",
    )
    .await;
    problem(
        app.delete(&format!("/api/v1/tenants/{tenant}/users/{first_id}/totp"), &requester).await,
        403,
        "forbidden",
    )
    .await;
    assert_eq!(
        app.delete(&format!("/api/v1/tenants/{tenant}/users/{first_id}/totp"), &second).await.status(),
        204
    );
    app.login(admin_email, PASSWORD).await;

    // A provider admin resets a tenant admin's factor too.
    let second_token = app.token("second@twofa.test", PASSWORD).await;
    enrol(app, &second_token).await;
    assert_eq!(
        app.delete(&format!("/api/v1/tenants/{tenant}/users/{admin_id}/totp"), &root).await.status(),
        204
    );
    app.login("second@twofa.test", PASSWORD).await;
    let kinds: Vec<String> =
        audit(app, &root).await.iter().map(|e| e["kind"].as_str().unwrap().to_owned()).collect();
    assert_eq!(kinds.iter().filter(|k| *k == "totp_reset").count(), 2, "{kinds:?}");
    assert_eq!(kinds.iter().filter(|k| *k == "totp_enabled").count(), 2, "{kinds:?}");
}

backend_test!(a_required_second_factor_is_flagged_until_enrolled: Backend);
async fn a_required_second_factor_is_flagged_until_enrolled(backend: Backend) {
    let app = TestApp::spawn_with(backend, |s| s.login.require_staff_totp = true).await;
    let staff = app.login(ADMIN_EMAIL, ADMIN_PASSWORD).await;
    assert_eq!(staff["totp_enrollment_required"], true);
    let (tenant, admin) = app.tenant("REQ").await;
    let first = app.login("admin@req.test", PASSWORD).await;
    assert_eq!(first.get("totp_enrollment_required"), None, "tenants decide for their admins");

    // The tenant requires it of its admins (not of its requesters).
    let path = format!("/api/v1/tenants/{tenant}/config");
    let mut c = json_ok(app.get(&path, &admin).await, 200).await;
    assert_eq!(c["security"]["require_totp_for_admins"], false);
    c["security"] = json!({"require_totp_for_admins": true});
    json_ok(app.put(&path, &admin, c).await, 200).await;
    app.user(tenant, &admin, "r@req.test", &["requester"]).await;
    assert_eq!(app.login("admin@req.test", PASSWORD).await["totp_enrollment_required"], true);
    assert_eq!(app.login("r@req.test", PASSWORD).await.get("totp_enrollment_required"), None);
    let status = json_ok(app.get("/api/v1/auth/totp", &admin).await, 200).await;
    assert_eq!(status["required"], true);

    // Enrolled: the flag goes, and a code is needed.
    let secret = enrol(&app, &admin).await;
    app.clock.advance(TimeDelta::seconds(30));
    let tokens =
        json_ok(login_otp(&app, "admin@req.test", PASSWORD, Some(&code(&app, &secret))).await, 200).await;
    assert_eq!(tokens.get("totp_enrollment_required"), None);
    app.stop().await;
}

fn incident(requester: Option<Uuid>) -> Value {
    let mut body = json!({"type": "incident", "title": "Printer jammed", "category": "hardware",
        "impact": "low", "urgency": "low"});
    if let Some(r) = requester {
        body["requester_id"] = json!(r);
    }
    body
}

async fn refused_requester(res: reqwest::Response) {
    let body = problem(res, 422, "validation_failed").await;
    assert_eq!(body["errors"][0]["field"], "requester_id", "{body}");
}

backend_test!(a_tickets_requester_is_a_user_of_its_tenant_and_requesters_raise_for_themselves);
async fn a_tickets_requester_is_a_user_of_its_tenant_and_requesters_raise_for_themselves(app: &TestApp) {
    let root = app.admin_token().await;
    let (tenant, admin) = app.tenant("REQA").await;
    let (other, other_admin) = app.tenant("REQB").await;
    let (r1, r1_token) = app.user(tenant, &admin, "r1@reqa.test", &["requester"]).await;
    let (r2, _) = app.user(tenant, &admin, "r2@reqa.test", &["requester"]).await;
    let (stranger, _) = app.user(other, &other_admin, "s@reqb.test", &["requester"]).await;

    // Another tenant's user, or an id that is nobody, is refused for everyone.
    refused_requester(app.post("/api/v1/tickets", &admin, incident(Some(stranger))).await).await;
    refused_requester(app.post("/api/v1/tickets", &admin, incident(Some(Uuid::new_v4()))).await).await;
    let mut for_tenant = incident(Some(stranger));
    for_tenant["tenant_id"] = json!(tenant);
    refused_requester(app.post("/api/v1/tickets", &root, for_tenant.clone()).await).await;
    // A requester names only themselves.
    refused_requester(app.post("/api/v1/tickets", &r1_token, incident(Some(r2))).await).await;
    refused_requester(app.post("/api/v1/tickets", &r1_token, incident(Some(stranger))).await).await;

    let own = json_ok(app.post("/api/v1/tickets", &r1_token, incident(Some(r1))).await, 201).await;
    assert_eq!(own["requester_id"], json!(r1));
    let implicit = json_ok(app.post("/api/v1/tickets", &r1_token, incident(None)).await, 201).await;
    assert_eq!(implicit["requester_id"], json!(r1));
    // The tenant's admin and provider staff raise for any user of the tenant.
    let by_admin = json_ok(app.post("/api/v1/tickets", &admin, incident(Some(r2))).await, 201).await;
    assert_eq!(by_admin["requester_id"], json!(r2));
    for_tenant["requester_id"] = json!(r1);
    let by_staff = json_ok(app.post("/api/v1/tickets", &root, for_tenant).await, 201).await;
    assert_eq!(by_staff["requester_id"], json!(r1));

    // A deactivated user is no longer a requester.
    assert_eq!(
        app.delete(&format!("/api/v1/tenants/{other}/users/{stranger}"), &other_admin).await.status(),
        204
    );
    let (gone, _) = app.user(tenant, &admin, "gone@reqa.test", &["requester"]).await;
    assert_eq!(app.delete(&format!("/api/v1/tenants/{tenant}/users/{gone}"), &admin).await.status(), 204);
    refused_requester(app.post("/api/v1/tickets", &admin, incident(Some(gone))).await).await;
}

backend_test!(each_role_reads_the_part_of_the_configuration_it_needs);
async fn each_role_reads_the_part_of_the_configuration_it_needs(app: &TestApp) {
    let (tenant, admin) = app.tenant("VIEW").await;
    let path = format!("/api/v1/tenants/{tenant}/config");
    let mut c = json_ok(app.get(&path, &admin).await, 200).await;
    c["sites"] = json!([{"name": "HQ", "address": "1 Main St", "region": "east"}]);
    c["webhooks"] = json!([{"url": "https://hooks.example.com/canopy", "events": ["sla.breached"], "secret": "s3cret-s3cret-s3cret"}]);
    c["branding"] = json!({"display_name": "View Co"});
    let saved = json_ok(app.put(&path, &admin, c).await, 200).await;
    let site = saved["sites"][0]["id"].as_str().unwrap().to_owned();

    // Tenant admins and provider staff read everything (never a webhook secret).
    let agent = app.staff("agent@provider.test", &["agent"]).await;
    for token in [&admin, &agent] {
        let full = json_ok(app.get(&path, token).await, 200).await;
        assert_eq!(full["webhooks"][0]["url"], "https://hooks.example.com/canopy");
        assert_eq!(full["sites"][0]["name"], "HQ");
        assert!(full["webhooks"][0].get("secret").is_none_or(Value::is_null));
        assert!(full.get("updated_by").is_some());
    }

    // Requesters read what the portal needs, and nothing else.
    let (_, requester) = app.user(tenant, &admin, "r@view.test", &["requester"]).await;
    let portal = json_ok(app.get(&path, &requester).await, 200).await;
    let mut keys: Vec<&str> = portal.as_object().unwrap().keys().map(String::as_str).collect();
    keys.sort();
    assert_eq!(
        keys,
        [
            "branding",
            "business_calendar",
            "custom_fields",
            "locale",
            "priority_matrix",
            "sites",
            "tenant_id",
            "ticket_categories",
            "timezone",
            "updated_at",
            "version"
        ]
    );
    assert_eq!(portal["branding"]["display_name"], "View Co");
    // Sites by name and address, to ask for on-site work at one.
    assert_eq!(portal["sites"], json!([{"id": site, "name": "HQ", "address": "1 Main St"}]));
    assert_eq!(portal["version"], saved["version"]);

    // Services still see the whole configuration on the requester's behalf: a site is checked.
    let mut body = incident(None);
    body["site_id"] = json!(site);
    let t = json_ok(app.post("/api/v1/tickets", &requester, body).await, 201).await;
    assert_eq!(t["site_id"], json!(site));
    let mut bad = incident(None);
    bad["site_id"] = json!(Uuid::new_v4());
    problem(app.post("/api/v1/tickets", &requester, bad).await, 422, "validation_failed").await;
}
