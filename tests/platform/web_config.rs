//! The tenant admin's settings pages (`/admin/settings/…`) over HTTP: forms filled and sent as
//! a browser would (every field of the form, as the page rendered it), the API's configuration
//! after them, the API's field errors beside their fields, a change made meanwhile never
//! overwritten, and nobody but the tenant's admins reaching them.

use std::time::Duration;

use serde_json::{Value, json};

use crate::helpers::*;
use crate::web_client::WebClient;

const SECTIONS: [&str; 6] = [
    "/admin/settings/categories",
    "/admin/settings/priorities",
    "/admin/settings/fields",
    "/admin/settings/sites",
    "/admin/settings/webhooks",
    "/admin/settings/monitoring",
];

/// The fields a browser would send for the form posting to `action`: hidden and filled inputs,
/// ticked checkboxes and radios, each select's chosen option, textareas.
fn form_fields(html: &str, action: &str) -> Vec<(String, String)> {
    let start = html.find(&format!("action=\"{action}\"")).unwrap_or_else(|| panic!("no form to {action}"));
    let form = &html[start..start + html[start..].find("</form>").expect("the form ends")];
    let mut fields = Vec::new();
    let mut rest = form;
    while let Some(at) = rest.find('<') {
        rest = &rest[at..];
        let tag = &rest[..rest.find('>').map_or(rest.len(), |e| e + 1)];
        if tag.starts_with("<input") {
            let kind = attr(tag, "type").unwrap_or_else(|| "text".into());
            if let Some(name) = attr(tag, "name") {
                let value = attr(tag, "value").unwrap_or_else(|| "on".into());
                let ticked = tag.contains(" checked");
                if !matches!(kind.as_str(), "checkbox" | "radio") || ticked {
                    fields.push((name, value));
                }
            }
        } else if tag.starts_with("<select") {
            let name = attr(tag, "name").expect("a named select");
            let body = &rest[..rest.find("</select>").expect("the select ends")];
            let options: Vec<&str> = body.split("<option").skip(1).collect();
            let chosen = options.iter().find(|o| o.contains(" selected")).or(options.first());
            fields.push((name, chosen.and_then(|o| attr(o, "value")).unwrap_or_default()));
        } else if tag.starts_with("<textarea") {
            let name = attr(tag, "name").expect("a named textarea");
            let body = &rest[tag.len()..];
            fields.push((name, unescape(&body[..body.find("</textarea>").expect("it ends")])));
        }
        rest = &rest[1..];
    }
    fields
}

fn attr(tag: &str, name: &str) -> Option<String> {
    let at = tag.find(&format!(" {name}=\""))? + name.len() + 3;
    let value = &tag[at..];
    Some(unescape(&value[..value.find('"')?]))
}

fn unescape(s: &str) -> String {
    s.replace("&quot;", "\"")
        .replace("&#34;", "\"")
        .replace("&#39;", "'")
        .replace("&#x27;", "'")
        .replace("&lt;", "<")
        .replace("&#60;", "<")
        .replace("&gt;", ">")
        .replace("&#62;", ">")
        .replace("&amp;", "&")
        .replace("&#38;", "&")
}

/// Sets (or adds) a field of a form about to be sent.
fn set(fields: &mut Vec<(String, String)>, name: &str, value: &str) {
    match fields.iter_mut().find(|(n, _)| n == name) {
        Some(field) => field.1 = value.to_owned(),
        None => fields.push((name.to_owned(), value.to_owned())),
    }
}

/// Ticks one more box of a group (several values under one name).
fn tick(fields: &mut Vec<(String, String)>, name: &str, value: &str) {
    fields.push((name.to_owned(), value.to_owned()));
}

async fn send(web: &mut WebClient, action: &str, fields: &[(String, String)]) -> crate::web_client::Answer {
    let pairs: Vec<(&str, &str)> = fields.iter().map(|(a, b)| (a.as_str(), b.as_str())).collect();
    web.post_raw(action, &pairs).await
}

async fn config(app: &TestApp, tenant: uuid::Uuid, token: &str) -> Value {
    json_ok(app.get(&format!("/api/v1/tenants/{tenant}/config"), token).await, 200).await
}

/// The first row number of a page's form that adds something (`rows[N].…` without `at`).
fn new_row(fields: &[(String, String)]) -> usize {
    let rows = fields.iter().filter(|(n, _)| n.starts_with("rows[") && n.ends_with("].at")).count();
    assert!(!fields.iter().any(|(n, _)| n == &format!("rows[{rows}].at")));
    rows
}

backend_test!(settings_are_only_for_the_tenants_admins_and_forms_need_their_token);
async fn settings_are_only_for_the_tenants_admins_and_forms_need_their_token(app: &TestApp) {
    let (tenant, admin) = app.tenant("CFGA").await;
    app.user(tenant, &admin, "someone@cfga.test", &["requester"]).await;
    let mut requester = WebClient::signed_in(app, "someone@cfga.test", PASSWORD).await;
    for path in SECTIONS {
        let res = requester.get(path).await;
        assert_eq!(res.status, 404, "{path}");
        assert!(res.body.contains("Not found"), "{path}: the not-found page");
        assert!(!res.body.contains("name=\"version\""), "{path}");
    }
    // A requester's own form token does not open the door either.
    requester.get("/").await.ok(200);
    let res = requester.post("/admin/settings/categories", &[("version", "1"), ("rows[0].key", "x")]).await;
    assert_eq!(res.status, 404);

    // Another tenant's webhook log looks the same as one that does not exist.
    let (other, other_admin) = app.tenant("CFGB").await;
    let mut c = config(app, other, &other_admin).await;
    c["webhooks"] =
        json!([{"url": "https://hooks.example.com/b", "events": ["*"], "secret": "another-tenants-secret"}]);
    let saved =
        json_ok(app.put(&format!("/api/v1/tenants/{other}/config"), &other_admin, c).await, 200).await;
    let theirs = saved["webhooks"][0]["id"].as_str().unwrap().to_owned();
    let mut web = WebClient::signed_in(app, "admin@cfga.test", PASSWORD).await;
    for path in SECTIONS {
        let page = web.get(path).await.ok(200);
        assert!(page.contains("<h1>"), "{path}");
        assert!(!page.contains(" style=") && !page.contains("<script>"), "{path}");
    }
    let missing = web.get(&format!("/admin/settings/webhooks/{}", uuid::Uuid::now_v7())).await;
    let foreign = web.get(&format!("/admin/settings/webhooks/{theirs}")).await;
    assert_eq!((missing.status.as_u16(), foreign.status.as_u16()), (404, 404));
    assert_eq!(missing.body, foreign.body);

    // A form without its token is refused and changes nothing.
    let page = web.get("/admin/settings/categories").await.ok(200);
    let mut fields = form_fields(&page, "/admin/settings/categories");
    fields.retain(|(n, _)| n != "_csrf");
    let row = new_row(&fields);
    set(&mut fields, &format!("rows[{row}].key"), "printers");
    set(&mut fields, &format!("rows[{row}].name"), "Printers");
    let res = send(&mut web, "/admin/settings/categories", &fields).await;
    assert_eq!(res.status, 403);
    assert!(res.body.contains("The form has expired"));
    let c = config(app, tenant, &admin).await;
    assert_eq!(c["version"], 1);
    assert!(!c.to_string().contains("printers"));
}

backend_test!(a_category_added_in_the_form_is_offered_and_a_duplicate_key_is_refused_beside_it);
async fn a_category_added_in_the_form_is_offered_and_a_duplicate_key_is_refused_beside_it(app: &TestApp) {
    let (tenant, admin) = app.tenant("CFGC").await;
    let (_, requester) = app.user(tenant, &admin, "someone@cfgc.test", &["requester"]).await;
    let mut web = WebClient::signed_in(app, "admin@cfgc.test", PASSWORD).await;
    let action = "/admin/settings/categories";
    let page = web.get(action).await.ok(200);
    assert!(page.contains("<code>virus_security</code>"));
    let mut fields = form_fields(&page, action);
    let row = new_row(&fields);
    assert_eq!(row, 5, "five categories, then the row that adds one");
    set(&mut fields, &format!("rows[{row}].key"), "printers");
    set(&mut fields, &format!("rows[{row}].name"), "Printers & copiers");
    // Rename one, retire another.
    set(&mut fields, "rows[3].name", "Hardware & devices");
    fields.retain(|(n, _)| n != "rows[4].active");
    let res = send(&mut web, action, &fields).await;
    assert_eq!(
        (res.status.as_u16(), res.location.as_deref()),
        (303, Some("/admin/settings/categories?saved=1"))
    );
    let page = web.get("/admin/settings/categories?saved=1").await.ok(200);
    assert!(page.contains("class=\"notice-ok\""), "{page}");
    assert!(page.contains("<code>printers</code>"), "{page}");
    let shown = form_fields(&page, action);
    assert!(shown.contains(&("rows[5].name".into(), "Printers & copiers".into())), "{shown:?}");

    let c = config(app, tenant, &admin).await;
    assert_eq!(c["version"], 2);
    let categories = c["ticket_categories"].as_array().unwrap();
    assert_eq!(categories[5], json!({"key": "printers", "name": "Printers & copiers", "active": true}));
    assert_eq!(categories[3]["name"], "Hardware & devices");
    assert_eq!(categories[4]["active"], false);
    // Only its own part of the document changed.
    let history =
        json_ok(app.get(&format!("/api/v1/tenants/{tenant}/config/history"), &admin).await, 200).await;
    assert_eq!(history["items"][0]["changed_paths"], json!(["ticket_categories"]));
    // The portal offers it (and no longer the retired one).
    let portal = config(app, tenant, &requester).await;
    let offered: Vec<&str> =
        portal["ticket_categories"].as_array().unwrap().iter().map(|c| c["key"].as_str().unwrap()).collect();
    assert_eq!(offered, ["network", "virus_security", "software", "hardware", "printers"]);
    assert!(portal.get("webhooks").is_none(), "a requester reads the portal's part only");

    // The same key again: refused by the API, the error beside that row's key, nothing saved.
    let mut fields = form_fields(&page, action);
    let row = new_row(&fields);
    set(&mut fields, &format!("rows[{row}].key"), "network");
    set(&mut fields, &format!("rows[{row}].name"), "Network again");
    let res = send(&mut web, action, &fields).await;
    assert_eq!(res.status, 422, "{}", res.body);
    let input = format!(
        "id=\"f-rows-{row}-key\" name=\"rows[{row}].key\" value=\"network\" aria-invalid=\"true\" aria-describedby=\"f-rows-{row}-key-error\""
    );
    assert!(res.body.contains(&input), "{}", res.body);
    let error = format!("<p class=\"field-error\" id=\"f-rows-{row}-key-error\">“network” is used twice</p>");
    assert!(res.body.contains(&error), "{}", res.body);
    assert!(res.body.contains("value=\"Network again\""), "what was typed is kept");
    assert_eq!(config(app, tenant, &admin).await["version"], 2);
}

backend_test!(the_priority_matrix_and_a_required_field_change_how_tickets_are_raised);
async fn the_priority_matrix_and_a_required_field_change_how_tickets_are_raised(app: &TestApp) {
    let (tenant, admin) = app.tenant("CFGD").await;
    let mut web = WebClient::signed_in(app, "admin@cfgd.test", PASSWORD).await;
    let page = web.get("/admin/settings/priorities").await.ok(200);
    assert!(
        page.contains(
            "<label class=\"visually-hidden\" for=\"f-cell-high-low\">Impact high, urgency low</label>"
        ),
        "{page}"
    );
    let mut fields = form_fields(&page, "/admin/settings/priorities");
    assert!(fields.contains(&("cell.high.low".into(), "P3".into())));
    set(&mut fields, "cell.high.low", "P1");
    let res = send(&mut web, "/admin/settings/priorities", &fields).await;
    assert_eq!(res.status, 303, "{}", res.body);
    let c = config(app, tenant, &admin).await;
    assert_eq!(c["priority_matrix"]["matrix"]["high"]["low"], "P1");
    assert_eq!(c["priority_matrix"]["matrix"]["high"]["medium"], "P2", "the others kept");
    let raise = |custom: Value| {
        json!({"type": "incident", "title": "Printer jams", "category": "hardware",
               "impact": "high", "urgency": "low", "custom_fields": custom})
    };
    let ticket = json_ok(app.post("/api/v1/tickets", &admin, raise(json!({}))).await, 201).await;
    assert_eq!(ticket["priority"], "P1");

    // A required select field, added in the form.
    let page = web.get("/admin/settings/fields").await.ok(200);
    let mut fields = form_fields(&page, "/admin/settings/fields");
    let row = new_row(&fields);
    set(&mut fields, &format!("rows[{row}].key"), "cost_centre");
    set(&mut fields, &format!("rows[{row}].label"), "Cost centre");
    set(&mut fields, &format!("rows[{row}].kind"), "select");
    set(&mut fields, &format!("rows[{row}].options"), "IT\r\nSales\r\n");
    set(&mut fields, &format!("rows[{row}].required"), "on");
    tick(&mut fields, &format!("rows[{row}].applies_to"), "incident");
    let res = send(&mut web, "/admin/settings/fields", &fields).await;
    assert_eq!(res.status, 303, "{}", res.body);
    let c = config(app, tenant, &admin).await;
    assert_eq!(
        c["custom_fields"],
        json!([{"key": "cost_centre", "label": "Cost centre", "type": "select", "required": true,
                "options": ["IT", "Sales"], "applies_to": ["incident"]}])
    );
    let refused =
        problem(app.post("/api/v1/tickets", &admin, raise(json!({}))).await, 422, "validation_failed").await;
    assert_eq!(refused["errors"][0]["field"], "custom_fields.cost_centre");
    json_ok(app.post("/api/v1/tickets", &admin, raise(json!({"cost_centre": "IT"}))).await, 201).await;

    // A select without options: the API's error beside the options of that row.
    let page = web.get("/admin/settings/fields").await.ok(200);
    assert!(page.contains(">IT\nSales</textarea>"), "{page}");
    let mut fields = form_fields(&page, "/admin/settings/fields");
    let row = new_row(&fields);
    set(&mut fields, &format!("rows[{row}].key"), "region");
    set(&mut fields, &format!("rows[{row}].label"), "Region");
    set(&mut fields, &format!("rows[{row}].kind"), "select");
    let res = send(&mut web, "/admin/settings/fields", &fields).await;
    assert_eq!(res.status, 422);
    assert!(
        res.body.contains(&format!(
            "id=\"f-rows-{row}-options-error\">a select field needs at least one option<"
        )),
        "{}",
        res.body
    );
}

backend_test!(a_webhook_added_in_the_form_never_shows_its_secret_and_logs_its_deliveries);
async fn a_webhook_added_in_the_form_never_shows_its_secret_and_logs_its_deliveries(app: &TestApp) {
    let hooks = crate::webhooks::receiver().await;
    let (tenant, admin) = app.tenant("CFGE").await;
    let mut web = WebClient::signed_in(app, "admin@cfge.test", PASSWORD).await;
    let action = "/admin/settings/webhooks";
    let page = web.get(action).await.ok(200);
    let mut fields = form_fields(&page, action);
    let row = new_row(&fields);
    assert_eq!(row, 0);
    let url = format!("{}/canopy", hooks.base);
    set(&mut fields, &format!("rows[{row}].url"), &url);
    // Too short a secret: refused beside the secret, which is not echoed back.
    set(&mut fields, &format!("rows[{row}].secret"), "short-secret");
    tick(&mut fields, &format!("rows[{row}].events"), "ticket.created");
    let res = send(&mut web, action, &fields).await;
    assert_eq!(res.status, 422);
    assert!(
        res.body.contains("id=\"f-rows-0-secret-error\">must have 16 to 200 characters<"),
        "{}",
        res.body
    );
    assert!(!res.body.contains("short-secret"));
    let secret = "the-receivers-own-secret-0042";
    set(&mut fields, &format!("rows[{row}].secret"), secret);
    let res = send(&mut web, action, &fields).await;
    assert_eq!(res.status, 303, "{}", res.body);

    let page = web.get(action).await.ok(200);
    assert!(!page.contains(secret), "the secret is never shown");
    assert!(page.contains("0042"), "only its last characters");
    let c = config(app, tenant, &admin).await;
    let hook = &c["webhooks"][0];
    assert_eq!((hook["url"].as_str(), &hook["events"]), (Some(url.as_str()), &json!(["ticket.created"])));
    assert!(!c.to_string().contains(secret));
    let id = hook["id"].as_str().unwrap().to_owned();

    // Saving the page again keeps the secret: deliveries are still signed with it.
    let mut fields = form_fields(&page, action);
    tick(&mut fields, "rows[0].events", "ticket.resolved");
    assert_eq!(send(&mut web, action, &fields).await.status, 303);
    let history =
        json_ok(app.get(&format!("/api/v1/tenants/{tenant}/config/history"), &admin).await, 200).await;
    assert_eq!(history["items"][0]["changed_paths"], json!(["webhooks"]));

    let log = web.get(&format!("/admin/settings/webhooks/{id}")).await.ok(200);
    assert!(log.contains("Nothing has been sent to this webhook yet."));
    let ticket = json_ok(
        app.post(
            "/api/v1/tickets",
            &admin,
            json!({"type": "incident", "title": "Core switch down", "category": "network",
                "impact": "high", "urgency": "high"}),
        )
        .await,
        201,
    )
    .await;
    let log = eventually("the delivery logged", Duration::from_secs(20), async || {
        let log = web.get(&format!("/admin/settings/webhooks/{id}")).await.ok(200);
        if log.contains("Delivered") { Ok(log) } else { Err(log) }
    })
    .await;
    assert!(log.contains("<code>ticket.created</code>") && log.contains("<td>204"), "{log}");
    let seen = hooks.seen.lock().unwrap().clone();
    let body: Value = serde_json::from_slice(&seen[0].body).unwrap();
    assert_eq!(body["data"]["reference"], ticket["reference"]);
    assert!(seen[0].signature.starts_with("t="));

    // The log reads newest first.
    let second = json_ok(
        app.post(
            "/api/v1/tickets",
            &admin,
            json!({"type": "incident", "title": "VPN down", "category": "network", "impact": "low", "urgency": "low"}),
        )
        .await,
        201,
    )
    .await;
    let deliveries = format!("/api/v1/tenants/{tenant}/webhook-deliveries?webhook_id={id}");
    let newest = eventually("both delivered", Duration::from_secs(20), async || {
        let page = json_ok(app.get(&format!("{deliveries}&order=newest"), &admin).await, 200).await;
        let items = page["items"].as_array().cloned().unwrap_or_default();
        if items.len() == 2 && items.iter().all(|d| d["status"] == "delivered") {
            Ok(items)
        } else {
            Err(page)
        }
    })
    .await;
    assert_eq!(newest[0]["payload"]["data"]["reference"], second["reference"]);
    assert_eq!(newest[1]["payload"]["data"]["reference"], ticket["reference"]);
    let oldest = json_ok(app.get(&deliveries, &admin).await, 200).await;
    assert_eq!(oldest["items"][0]["id"], newest[1]["id"]);
    let one = json_ok(app.get(&format!("{deliveries}&order=newest&limit=1"), &admin).await, 200).await;
    let cursor = one["next_cursor"].as_str().unwrap();
    let next =
        json_ok(app.get(&format!("{deliveries}&order=newest&limit=1&cursor={cursor}"), &admin).await, 200)
            .await;
    assert_eq!((&next["items"][0]["id"], &next["next_cursor"]), (&newest[1]["id"], &Value::Null));
    problem(app.get(&format!("{deliveries}&order=random"), &admin).await, 422, "validation_failed").await;

    // Removed with its checkbox.
    let page = web.get(action).await.ok(200);
    let mut fields = form_fields(&page, action);
    set(&mut fields, "rows[0].remove", "on");
    assert_eq!(send(&mut web, action, &fields).await.status, 303);
    assert_eq!(config(app, tenant, &admin).await["webhooks"], json!([]));
}

backend_test!(sites_monitoring_rules_and_a_maintenance_window_in_local_time);
async fn sites_monitoring_rules_and_a_maintenance_window_in_local_time(app: &TestApp) {
    let (tenant, admin) = app.tenant("CFGF").await;
    let mut web = WebClient::signed_in(app, "admin@cfgf.test", PASSWORD).await;

    let page = web.get("/admin/settings/sites").await.ok(200);
    let mut fields = form_fields(&page, "/admin/settings/sites");
    set(&mut fields, "rows[0].name", "Head office");
    set(&mut fields, "rows[0].address", "1 Century Avenue, Pudong, Shanghai");
    set(&mut fields, "rows[0].region", "shanghai-pudong");
    set(&mut fields, "rows[0].latitude", "31.2397");
    set(&mut fields, "rows[0].longitude", "north");
    let res = send(&mut web, "/admin/settings/sites", &fields).await;
    assert_eq!(res.status, 422, "a coordinate that is no number");
    assert!(res.body.contains("id=\"f-rows-0-longitude-error\""), "{}", res.body);
    set(&mut fields, "rows[0].longitude", "121.4998");
    assert_eq!(send(&mut web, "/admin/settings/sites", &fields).await.status, 303);
    let c = config(app, tenant, &admin).await;
    assert_eq!(c["sites"][0]["region"], "shanghai-pudong");
    assert_eq!(c["sites"][0]["longitude"], 121.4998);
    let site_id = c["sites"][0]["id"].clone();
    // Edited in place: the same site, the same id.
    let page = web.get("/admin/settings/sites").await.ok(200);
    let mut fields = form_fields(&page, "/admin/settings/sites");
    set(&mut fields, "rows[0].contact", "Ms Wang");
    assert_eq!(send(&mut web, "/admin/settings/sites", &fields).await.status, 303);
    let c = config(app, tenant, &admin).await;
    assert_eq!((&c["sites"][0]["id"], &c["sites"][0]["contact"]), (&site_id, &json!("Ms Wang")));
    let history =
        json_ok(app.get(&format!("/api/v1/tenants/{tenant}/config/history"), &admin).await, 200).await;
    assert_eq!(history["items"][0]["changed_paths"], json!(["sites"]));

    let page = web.get("/admin/settings/monitoring").await.ok(200);
    let mut fields = form_fields(&page, "/admin/settings/monitoring");
    set(&mut fields, "window_mins", "45");
    set(&mut fields, "open_at", "warning");
    set(&mut fields, "rows[0].contains", "erp");
    set(&mut fields, "rows[0].category", "software");
    assert_eq!(send(&mut web, "/admin/settings/monitoring", &fields).await.status, 303);
    let rules = config(app, tenant, &admin).await["monitoring"].clone();
    assert_eq!((&rules["window_mins"], &rules["open_at"]), (&json!(45), &json!("warning")));
    assert_eq!(rules["categories"], json!([{"contains": "erp", "category": "software"}]));

    // A maintenance window typed in Shanghai time is kept in UTC.
    let page = web.get("/admin/settings/monitoring").await.ok(200);
    let action = "/admin/settings/monitoring/maintenance";
    let mut fields = form_fields(&page, action);
    assert!(fields.contains(&("rows[0].kind".into(), "once".into())));
    set(&mut fields, "rows[0].name", "Core switch swap");
    set(&mut fields, "rows[0].starts_at", "2026-12-05T22:00");
    set(&mut fields, "rows[0].ends_at", "2026-12-06T02:00");
    set(&mut fields, "rows[0].hosts", "sw-core-*, fw01");
    let res = send(&mut web, action, &fields).await;
    assert_eq!(
        (res.status.as_u16(), res.location.as_deref()),
        (303, Some("/admin/settings/monitoring?saved=1"))
    );
    let c = config(app, tenant, &admin).await;
    let window = &c["monitoring"]["maintenance"][0];
    assert_eq!(
        (&window["starts_at"], &window["ends_at"]),
        (&json!("2026-12-05T14:00:00Z"), &json!("2026-12-05T18:00:00Z"))
    );
    assert_eq!(window["hosts"], json!(["sw-core-*", "fw01"]));
    assert_eq!(c["monitoring"]["window_mins"], 45, "the rules are kept");
    let page = web.get("/admin/settings/monitoring").await.ok(200);
    assert!(page.contains("2026-12-05 22:00 – 2026-12-06 02:00"), "{page}");

    // An end before its start: the API's error beside the end.
    let mut fields = form_fields(&page, action);
    set(&mut fields, "rows[1].name", "Backwards");
    set(&mut fields, "rows[1].starts_at", "2026-12-07T10:00");
    set(&mut fields, "rows[1].ends_at", "2026-12-07T09:00");
    let res = send(&mut web, action, &fields).await;
    assert_eq!(res.status, 422);
    assert!(res.body.contains("id=\"f-rows-1-ends_at-error\">must be after starts_at<"), "{}", res.body);
    // A weekly window, its times checked by the API beside each of them.
    let mut fields = form_fields(&page, action);
    set(&mut fields, "rows[1].name", "Weekend backups");
    set(&mut fields, "rows[1].kind", "weekly");
    tick(&mut fields, "rows[1].weekly.days", "sat");
    tick(&mut fields, "rows[1].weekly.days", "sun");
    set(&mut fields, "rows[1].weekly.to", "02:00");
    set(&mut fields, "rows[1].hosts", "fs*");
    let res = send(&mut web, action, &fields).await;
    assert_eq!(res.status, 422);
    assert!(
        res.body.contains("id=\"f-rows-1-weekly-from-error\">must be a time of day, HH:MM<"),
        "{}",
        res.body
    );
    assert!(!res.body.contains("f-rows-1-weekly-to-error"), "{}", res.body);
    set(&mut fields, "rows[1].weekly.from", "23:00");
    assert_eq!(send(&mut web, action, &fields).await.status, 303);
    let window = config(app, tenant, &admin).await["monitoring"]["maintenance"][1].clone();
    assert_eq!(window["weekly"], json!({"days": ["sat", "sun"], "from": "23:00", "to": "02:00"}));
    let page = web.get("/admin/settings/monitoring").await.ok(200);
    assert!(page.contains("<td>Sat, Sun, 23:00–02:00</td>"), "{page}");

    // Removed with its checkbox.
    let mut fields = form_fields(&page, action);
    set(&mut fields, "rows[0].remove", "on");
    assert_eq!(send(&mut web, action, &fields).await.status, 303);
    let left = config(app, tenant, &admin).await["monitoring"]["maintenance"].clone();
    assert_eq!(left.as_array().map(|w| w.len()), Some(1));
    assert_eq!(left[0]["name"], "Weekend backups");
}

backend_test!(a_change_made_meanwhile_is_never_overwritten);
async fn a_change_made_meanwhile_is_never_overwritten(app: &TestApp) {
    let (tenant, admin) = app.tenant("CFGG").await;
    let mut web = WebClient::signed_in(app, "admin@cfgg.test", PASSWORD).await;
    let page = web.get("/admin/settings/categories").await.ok(200);
    let mut fields = form_fields(&page, "/admin/settings/categories");
    set(&mut fields, "rows[0].name", "Networking");
    // Someone else changes another part of the settings between the read and the save.
    let mut c = config(app, tenant, &admin).await;
    c["sites"] = json!([{"name": "Depot", "address": "2 Dock Rd", "region": "east"}]);
    json_ok(app.put(&format!("/api/v1/tenants/{tenant}/config"), &admin, c).await, 200).await;
    let res = send(&mut web, "/admin/settings/categories", &fields).await;
    assert_eq!(res.status, 409, "{}", res.body);
    assert!(res.body.contains("changed by someone else since you opened this page"), "{}", res.body);
    assert!(res.body.contains("<a href=\"/admin/settings/categories\">Reload the page</a>"));
    assert!(res.body.contains("value=\"Networking\""), "what was typed is still there");
    let now = config(app, tenant, &admin).await;
    assert_eq!(now["version"], 2);
    assert_eq!(now["ticket_categories"][0]["name"], "Network");
    assert_eq!(now["sites"][0]["name"], "Depot");
    // After a reload the change goes through.
    let page = web.get("/admin/settings/categories").await.ok(200);
    let mut fields = form_fields(&page, "/admin/settings/categories");
    set(&mut fields, "rows[0].name", "Networking");
    assert_eq!(send(&mut web, "/admin/settings/categories", &fields).await.status, 303);
    let now = config(app, tenant, &admin).await;
    assert_eq!((&now["version"], &now["ticket_categories"][0]["name"]), (&json!(3), &json!("Networking")));
    assert_eq!(now["sites"][0]["name"], "Depot");

    // In Chinese, too.
    web.post("/lang", &[("lang", "zh-CN"), ("next", "/admin/settings/categories")]).await;
    let page = web.get("/admin/settings/categories").await.ok(200);
    assert!(page.contains("<h1>工单类别</h1>") && page.contains("新工单可选"), "{page}");
}
