use reqwest::Method;
use serde_json::{Value, json};

use crate::helpers::*;

fn path(tenant: uuid::Uuid) -> String {
    format!("/api/v1/tenants/{tenant}/config")
}

backend_test!(a_new_tenant_starts_with_a_sound_configuration);
async fn a_new_tenant_starts_with_a_sound_configuration(app: &TestApp) {
    let (tenant, admin) = app.tenant("CFG").await;
    let c = json_ok(app.get(&path(tenant), &admin).await, 200).await;
    assert_eq!(c["version"], 1);
    assert_eq!(c["timezone"], "Asia/Shanghai");
    assert_eq!(c["locale"], "en");
    assert_eq!(c["business_calendar"]["weekly"]["mon"], json!([["09:00", "18:00"]]));
    let categories: Vec<&str> =
        c["ticket_categories"].as_array().unwrap().iter().map(|c| c["key"].as_str().unwrap()).collect();
    assert_eq!(categories, ["network", "virus_security", "software", "hardware", "other"]);
    assert_eq!(c["priority_matrix"]["matrix"]["high"]["high"], "P1");
}

backend_test!(the_chinese_national_day_calendar_with_make_up_days_is_kept);
async fn the_chinese_national_day_calendar_with_make_up_days_is_kept(app: &TestApp) {
    let (tenant, admin) = app.tenant("CFG").await;
    let mut c = json_ok(app.get(&path(tenant), &admin).await, 200).await;
    c["locale"] = json!("zh-CN");
    c["business_calendar"] = json!({
        "weekly": {"mon": [["09:00", "12:00"], ["13:00", "18:00"]], "tue": [["09:00", "12:00"], ["13:00", "18:00"]],
                   "wed": [["09:00", "18:00"]], "thu": [["09:00", "18:00"]], "fri": [["09:00", "17:00"]], "sat": [], "sun": []},
        "holidays": ["2026-10-01", "2026-10-02", "2026-10-03", "2026-10-04", "2026-10-05", "2026-10-06", "2026-10-07"],
        "extra_working_days": ["2026-09-27", "2026-10-10"]
    });
    let saved = json_ok(app.put(&path(tenant), &admin, c.clone()).await, 200).await;
    assert_eq!(saved["version"], 2);
    assert_eq!(saved["business_calendar"], c["business_calendar"]);
    assert_eq!(saved["locale"], "zh-CN");
}

backend_test!(every_change_is_a_version_with_who_and_what);
async fn every_change_is_a_version_with_who_and_what(app: &TestApp) {
    let (tenant, admin) = app.tenant("CFG").await;
    let me = json_ok(app.get("/api/v1/auth/me", &admin).await, 200).await;
    let mut c = json_ok(app.get(&path(tenant), &admin).await, 200).await;
    c["business_calendar"]["holidays"] = json!(["2026-12-25"]);
    json_ok(app.put(&path(tenant), &admin, c.clone()).await, 200).await;
    c["sites"] = json!([{"name": "HQ", "address": "1 Main St", "region": "east", "latitude": 31.2, "longitude": 121.5}]);
    c["timezone"] = json!("Europe/Berlin");
    c["version"] = json!(2);
    let v3 = json_ok(app.put(&path(tenant), &admin, c.clone()).await, 200).await;
    assert_eq!(v3["version"], 3);
    assert!(v3["sites"][0]["id"].is_string(), "new sites get an id");

    // The same document again is not a change.
    let mut same = v3.clone();
    same["version"] = json!(3);
    assert_eq!(json_ok(app.put(&path(tenant), &admin, same).await, 200).await["version"], 3);

    let history = json_ok(app.get(&format!("{}/history", path(tenant)), &admin).await, 200).await;
    let items = history["items"].as_array().unwrap();
    assert_eq!(items.iter().map(|i| i["version"].as_i64().unwrap()).collect::<Vec<_>>(), [3, 2, 1]);
    assert_eq!(items[0]["changed_paths"], json!(["sites", "timezone"]));
    assert_eq!(items[1]["changed_paths"], json!(["business_calendar.holidays"]));
    assert_eq!(items[0]["changed_by"], me["id"]);
    let v2 = json_ok(app.get(&format!("{}/history/2", path(tenant)), &admin).await, 200).await;
    assert_eq!(v2["timezone"], "Asia/Shanghai");
    assert_eq!(v2["business_calendar"]["holidays"], json!(["2026-12-25"]));
    let paged = json_ok(app.get(&format!("{}/history?limit=2", path(tenant)), &admin).await, 200).await;
    let cursor = paged["next_cursor"].as_str().unwrap();
    let rest =
        json_ok(app.get(&format!("{}/history?limit=2&cursor={cursor}", path(tenant)), &admin).await, 200)
            .await;
    assert_eq!(rest["items"][0]["version"], 1);
}

backend_test!(a_stale_version_is_refused_rather_than_overwriting);
async fn a_stale_version_is_refused_rather_than_overwriting(app: &TestApp) {
    let (tenant, admin) = app.tenant("CFG").await;
    let c = json_ok(app.get(&path(tenant), &admin).await, 200).await;
    let mut first = c.clone();
    first["timezone"] = json!("Europe/Paris");
    json_ok(app.put(&path(tenant), &admin, first).await, 200).await;
    let mut second = c.clone();
    second["timezone"] = json!("Europe/Rome");
    problem(app.put(&path(tenant), &admin, second.clone()).await, 412, "precondition_failed").await;
    let res = app
        .http
        .put(app.url(&path(tenant)))
        .bearer_auth(&admin)
        .header("if-match", "\"1\"")
        .json(&second)
        .send()
        .await
        .unwrap();
    problem(res, 412, "precondition_failed").await;
    let res = app
        .http
        .put(app.url(&path(tenant)))
        .bearer_auth(&admin)
        .header("if-match", "\"2\"")
        .json(&second)
        .send()
        .await
        .unwrap();
    assert_eq!(res.headers()["etag"], "\"3\"");
    let now = json_ok(app.get(&path(tenant), &admin).await, 200).await;
    assert_eq!(now["timezone"], "Europe/Rome");
}

backend_test!(webhook_secrets_are_write_only_and_kept);
async fn webhook_secrets_are_write_only_and_kept(app: &TestApp) {
    let (tenant, admin) = app.tenant("CFG").await;
    let mut c = json_ok(app.get(&path(tenant), &admin).await, 200).await;
    c["webhooks"] = json!([{"url": "https://hooks.example.com/canopy", "events": ["sla.breached"], "secret": "s3cret-s3cret-s3cret"}]);
    let saved = json_ok(app.put(&path(tenant), &admin, c).await, 200).await;
    assert!(!saved.to_string().contains("s3cret-s3cret-s3cret"));
    assert_eq!(saved["webhooks"][0]["secret_hint"], "…cret");
    // Send it back without the secret: kept.
    let mut again = saved.clone();
    again["webhooks"][0]["events"] = json!(["sla.breached", "ticket.created"]);
    let kept = json_ok(app.put(&path(tenant), &admin, again).await, 200).await;
    assert_eq!(kept["webhooks"][0]["secret_hint"], "…cret");
    let history = json_ok(app.get(&format!("{}/history/2", path(tenant)), &admin).await, 200).await;
    assert!(!history.to_string().contains("s3cret"));
}

backend_test!(requesters_read_the_configuration_but_cannot_change_it);
async fn requesters_read_the_configuration_but_cannot_change_it(app: &TestApp) {
    let (tenant, admin) = app.tenant("CFG").await;
    let (_, requester) = app.user(tenant, &admin, "r@cfg.test", &["requester"]).await;
    let c = json_ok(app.get(&path(tenant), &requester).await, 200).await;
    problem(app.put(&path(tenant), &requester, c).await, 403, "forbidden").await;
    problem(app.get(&format!("{}/history", path(tenant)), &requester).await, 403, "forbidden").await;
}

backend_test!(provider_staff_edit_any_tenant_and_are_recorded);
async fn provider_staff_edit_any_tenant_and_are_recorded(app: &TestApp) {
    let (tenant, admin) = app.tenant("CFG").await;
    let root = app.admin_token().await;
    let mut c = json_ok(app.get(&path(tenant), &root).await, 200).await;
    c["branding"] = json!({"display_name": "CFG", "primary_color": "#1f6feb"});
    json_ok(app.call(Method::PUT, &path(tenant), Some(&root), Some(c)).await, 200).await;
    let history = json_ok(app.get(&format!("{}/history", path(tenant)), &admin).await, 200).await;
    let root_me: Value = json_ok(app.get("/api/v1/auth/me", &root).await, 200).await;
    assert_eq!(history["items"][0]["changed_by"], root_me["id"]);
}
