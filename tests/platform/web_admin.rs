//! The tenant admin's pages over HTTP: only admins reach them; users invited, reset and
//! deactivated through forms; an API key shown once and revoked; changes approved and
//! rejected with a reason; the business calendar as a form, refused beside the input at
//! fault, saved with its history and a preview of due times; CSRF; another tenant's ids.

use serde_json::{Value, json};

use crate::helpers::*;
use crate::web_client::WebClient;

/// The fields a browser would send with the form posting to `action`: every input with a
/// name (checkboxes and radios only when checked), each select's chosen option, each
/// textarea; no submit button.
fn form_fields(html: &str, action: &str) -> Vec<(String, String)> {
    let start = html.find(&format!("action=\"{action}\"")).unwrap_or_else(|| panic!("no form for {action}"));
    let form = &html[start..start + html[start..].find("</form>").expect("form end")];
    let mut out = Vec::new();
    let mut rest = form;
    while let Some(at) = rest.find('<') {
        rest = &rest[at + 1..];
        let tag_end = rest.find('>').unwrap_or(rest.len());
        let tag = &rest[..tag_end];
        if let Some(attrs) = tag.strip_prefix("input ") {
            let (Some(name), kind) = (attr(attrs, "name"), attr(attrs, "type").unwrap_or_default()) else {
                continue;
            };
            if kind == "submit" || ((kind == "checkbox" || kind == "radio") && !has_flag(attrs, "checked")) {
                continue;
            }
            out.push((name, attr(attrs, "value").unwrap_or_default()));
        } else if let Some(attrs) = tag.strip_prefix("select ") {
            let name = attr(attrs, "name").expect("select name");
            let body = &rest[tag_end..rest.find("</select>").expect("select end")];
            let chosen =
                body.split("<option").find(|o| o.split('>').next().is_some_and(|t| has_flag(t, "selected")));
            let value = chosen.map(|o| {
                let head = o.split('>').next().unwrap_or_default();
                attr(head, "value").unwrap_or_else(|| {
                    unescape(o.split('>').nth(1).unwrap_or_default().split('<').next().unwrap_or_default())
                })
            });
            out.push((name, value.unwrap_or_default()));
        } else if let Some(attrs) = tag.strip_prefix("textarea ") {
            let name = attr(attrs, "name").expect("textarea name");
            let body = &rest[tag_end + 1..rest.find("</textarea>").expect("textarea end")];
            out.push((name, unescape(body)));
        }
    }
    out
}

fn attr(attrs: &str, name: &str) -> Option<String> {
    let key = format!(" {name}=\"");
    let padded = format!(" {attrs}");
    let at = padded.find(&key)? + key.len();
    Some(unescape(&padded[at..at + padded[at..].find('"')?]))
}

fn has_flag(attrs: &str, flag: &str) -> bool {
    attrs.split_whitespace().any(|w| w == flag)
}

fn unescape(s: &str) -> String {
    s.replace("&quot;", "\"")
        .replace("&#x27;", "'")
        .replace("&#39;", "'")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&amp;", "&")
}

/// Sets `name` to `value` in the fields (adding it when absent).
fn set(fields: &mut Vec<(String, String)>, name: &str, value: &str) {
    match fields.iter_mut().find(|(k, _)| k == name) {
        Some((_, v)) => value.clone_into(v),
        None => fields.push((name.to_owned(), value.to_owned())),
    }
}

async fn post_fields(
    web: &mut WebClient,
    path: &str,
    fields: &[(String, String)],
) -> crate::web_client::Answer {
    let pairs: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    web.post_raw(path, &pairs).await
}

async fn config_version(app: &TestApp, tenant: uuid::Uuid, admin: &str) -> i64 {
    json_ok(app.get(&format!("/api/v1/tenants/{tenant}/config"), admin).await, 200).await["version"]
        .as_i64()
        .unwrap()
}

backend_test!(only_the_tenants_admins_reach_the_admin_pages);
async fn only_the_tenants_admins_reach_the_admin_pages(app: &TestApp) {
    let (tenant, admin) = app.tenant("ADMA").await;
    app.user(tenant, &admin, "req@adma.test", &["requester"]).await;
    let mut requester = WebClient::signed_in(app, "req@adma.test", PASSWORD).await;
    for path in [
        "/admin",
        "/admin/users",
        "/admin/users/new",
        "/admin/api-keys",
        "/admin/api-keys/new",
        "/admin/approvals",
        "/admin/settings",
        "/admin/settings/versions/1",
        "/admin/settings/calendar",
    ] {
        let res = requester.get(path).await;
        assert_eq!(res.status, 404, "{path}");
        assert!(res.body.contains("Not found"), "{path}: the not-found page");
    }
    // Nor can a requester's form do anything.
    requester.get("/").await.ok(200);
    let res = requester
        .post(
            "/admin/users",
            &[
                ("email", "sneaky@adma.test"),
                ("display_name", "Sneaky"),
                ("role", "tenant_admin"),
                ("password", PASSWORD),
            ],
        )
        .await;
    assert_eq!(res.status, 404);
    let users = json_ok(app.get(&format!("/api/v1/tenants/{tenant}/users"), &admin).await, 200).await;
    assert_eq!(users["items"].as_array().unwrap().len(), 2);

    // The admin's hub links every part of administration.
    let mut web = WebClient::signed_in(app, "admin@adma.test", PASSWORD).await;
    let hub = web.get("/admin").await.ok(200);
    for href in [
        "/admin/users",
        "/admin/api-keys",
        "/admin/approvals",
        "/admin/settings",
        "/admin/settings/calendar",
        "/admin/settings/categories",
        "/admin/settings/priorities",
        "/admin/settings/fields",
        "/admin/settings/sites",
        "/admin/settings/webhooks",
        "/admin/settings/monitoring",
        "/reports",
        "/invoices",
    ] {
        assert!(hub.contains(&format!("href=\"{href}\"")), "the hub links {href}");
    }
    assert!(hub.contains("Administration") && hub.contains("Change approvals"));
    // In Chinese too.
    web.post("/lang", &[("lang", "zh-CN"), ("next", "/admin")]).await;
    let hub = web.get("/admin").await.ok(200);
    assert!(hub.contains("变更审批") && hub.contains("工作日历"), "{hub}");
}

backend_test!(an_invited_user_signs_in_until_deactivated);
async fn an_invited_user_signs_in_until_deactivated(app: &TestApp) {
    let (tenant, admin) = app.tenant("ADMU").await;
    let mut web = WebClient::signed_in(app, "admin@admu.test", PASSWORD).await;
    let form = web.get("/admin/users/new").await.ok(200);
    assert!(
        form.contains("<label for=\"password\">First password</label>"),
        "the API's first password is asked"
    );

    // Refused beside the fields, nothing created.
    let res = web
        .post(
            "/admin/users",
            &[
                ("email", "not-an-email"),
                ("display_name", "Wu Min"),
                ("role", "requester"),
                ("password", "short"),
            ],
        )
        .await;
    assert_eq!(res.status, 422);
    assert!(res.body.contains("aria-describedby=\"email-error\""), "{}", res.body);
    assert!(res.body.contains("<p class=\"field-error\" id=\"email-error\">Enter an email address"));
    assert!(
        res.body.contains(
            "<p class=\"field-error\" id=\"password-error\">The password needs 10 to 256 characters."
        )
    );
    assert!(res.body.contains("value=\"Wu Min\""), "what was typed is kept");
    let users = json_ok(app.get(&format!("/api/v1/tenants/{tenant}/users"), &admin).await, 200).await;
    assert_eq!(users["items"].as_array().unwrap().len(), 1);

    // Without the form's token: refused, nothing created.
    let res = web
        .post_raw(
            "/admin/users",
            &[
                ("email", "wu.min@admu.test"),
                ("display_name", "Wu Min"),
                ("role", "requester"),
                ("password", PASSWORD),
            ],
        )
        .await;
    assert_eq!(res.status, 403);
    // (An error page carries no form token: read a page again before the next form.)
    web.get("/admin/users/new").await.ok(200);

    let res = web
        .post(
            "/admin/users",
            &[
                ("email", "wu.min@admu.test"),
                ("display_name", "Wu Min"),
                ("role", "requester"),
                ("password", PASSWORD),
            ],
        )
        .await;
    assert_eq!((res.status.as_u16(), res.location.as_deref()), (303, Some("/admin/users?done=invited")));
    let list = web.get("/admin/users?done=invited").await.ok(200);
    assert!(list.contains("The user was created.") && list.contains("wu.min@admu.test"));
    // The same email again: beside the email field.
    web.get("/admin/users/new").await.ok(200);
    let res = web
        .post(
            "/admin/users",
            &[
                ("email", "wu.min@admu.test"),
                ("display_name", "Wu Min"),
                ("role", "requester"),
                ("password", PASSWORD),
            ],
        )
        .await;
    assert_eq!(res.status, 409);
    assert!(res.body.contains("id=\"email-error\">There is already a user with this email address."));

    let users = json_ok(app.get(&format!("/api/v1/tenants/{tenant}/users"), &admin).await, 200).await;
    let wu =
        users["items"].as_array().unwrap().iter().find(|u| u["email"] == "wu.min@admu.test").unwrap().clone();
    assert_eq!(wu["roles"], json!(["requester"]));
    let id = wu["id"].as_str().unwrap().to_owned();
    let mut wu_web = WebClient::signed_in(app, "wu.min@admu.test", PASSWORD).await;
    assert!(wu_web.get("/").await.ok(200).contains("Welcome, Wu Min"));

    // Made an admin; a new password set for them.
    let page = web.get(&format!("/admin/users/{id}")).await.ok(200);
    assert!(page.contains("<h1>Wu Min</h1>"));
    let res = web.post(&format!("/admin/users/{id}/role"), &[("role", "tenant_admin")]).await;
    assert_eq!(res.location.as_deref(), Some(format!("/admin/users/{id}?done=role").as_str()));
    let wu_now = json_ok(app.get(&format!("/api/v1/tenants/{tenant}/users/{id}"), &admin).await, 200).await;
    assert_eq!(wu_now["roles"], json!(["tenant_admin"]));
    web.get(&format!("/admin/users/{id}")).await.ok(200);
    let res = web
        .post(
            &format!("/admin/users/{id}/password"),
            &[("password", "a-new-long-password"), ("repeat", "another")],
        )
        .await;
    assert_eq!(res.status, 422);
    assert!(res.body.contains("id=\"repeat-error\">The two passwords are not the same."));
    let res = web
        .post(
            &format!("/admin/users/{id}/password"),
            &[("password", "a-new-long-password"), ("repeat", "a-new-long-password")],
        )
        .await;
    assert_eq!(res.status, 303);
    assert_eq!(app.login_raw("wu.min@admu.test", PASSWORD).await.status(), 401, "the old password is gone");
    assert_eq!(app.login_raw("wu.min@admu.test", "a-new-long-password").await.status(), 200);

    // Deactivated after a confirmation page: they cannot sign in, and their session ended.
    let confirm = web.get(&format!("/admin/users/{id}/deactivate")).await.ok(200);
    assert!(confirm.contains("Deactivate Wu Min?"));
    assert!(confirm.contains(&format!("action=\"/admin/users/{id}/deactivate\"")));
    let res = web.post_raw(&format!("/admin/users/{id}/deactivate"), &[]).await;
    assert_eq!(res.status, 403, "no token, no deactivation");
    web.get(&format!("/admin/users/{id}/deactivate")).await.ok(200);
    let res = web.post(&format!("/admin/users/{id}/deactivate"), &[]).await;
    assert_eq!((res.status.as_u16(), res.location.as_deref()), (303, Some("/admin/users?done=deactivated")));
    let wu_now = json_ok(app.get(&format!("/api/v1/tenants/{tenant}/users/{id}"), &admin).await, 200).await;
    assert_eq!(wu_now["active"], false);
    assert_eq!(app.login_raw("wu.min@admu.test", "a-new-long-password").await.status(), 401);
    let mut again = WebClient::new(app);
    again.get("/login").await.ok(200);
    let res = again
        .post("/login", &[("email", "wu.min@admu.test"), ("password", "a-new-long-password"), ("next", "/")])
        .await;
    assert_eq!(res.status, 401, "the sign-in form refuses them");
    let res = wu_web.get("/").await;
    assert_eq!(res.status, 303, "their open session is over");

    // The admin's own account cannot be deactivated from here.
    let me = json_ok(app.get("/api/v1/auth/me", &admin).await, 200).await;
    let mine = web.get(&format!("/admin/users/{}", me["id"].as_str().unwrap())).await.ok(200);
    assert!(!mine.contains("/deactivate\""), "no deactivation for oneself");

    // Another tenant's user is as unknown here as no user at all.
    let (other, other_admin) = app.tenant("ADMV").await;
    let (stranger, _) = app.user(other, &other_admin, "someone@admv.test", &["requester"]).await;
    let missing = web.get(&format!("/admin/users/{}", uuid::Uuid::now_v7())).await;
    let foreign = web.get(&format!("/admin/users/{stranger}")).await;
    assert_eq!((missing.status.as_u16(), foreign.status.as_u16()), (404, 404));
    assert!(foreign.body.contains("Not found"));
    for action in ["deactivate", "role", "password"] {
        web.get("/admin/users").await.ok(200);
        let res = web
            .post(
                &format!("/admin/users/{stranger}/{action}"),
                &[
                    ("role", "tenant_admin"),
                    ("password", "a-new-long-password"),
                    ("repeat", "a-new-long-password"),
                ],
            )
            .await;
        assert_eq!(res.status, 404, "{action}");
    }
    let still =
        json_ok(app.get(&format!("/api/v1/tenants/{other}/users/{stranger}"), &other_admin).await, 200).await;
    assert_eq!((still["active"].clone(), still["roles"].clone()), (json!(true), json!(["requester"])));
    assert_eq!(web.get("/admin/users/not-an-id").await.status, 404);
}

fn key_on(page: &str) -> String {
    let at = page.find("id=\"new-key\"").expect("the key's box");
    let body = &page[at..];
    let start = body.find('>').unwrap() + 1;
    body[start..start + body[start..].find("</textarea>").unwrap()].trim().to_owned()
}

async fn whoami(app: &TestApp, key: &str) -> u16 {
    app.http
        .get(app.url("/api/v1/auth/whoami"))
        .header("x-api-key", key)
        .send()
        .await
        .unwrap()
        .status()
        .as_u16()
}

backend_test!(an_api_key_is_shown_once_and_revoked_from_the_pages);
async fn an_api_key_is_shown_once_and_revoked_from_the_pages(app: &TestApp) {
    let (tenant, admin) = app.tenant("ADMK").await;
    let mut web = WebClient::signed_in(app, "admin@admk.test", PASSWORD).await;
    let form = web.get("/admin/api-keys/new").await.ok(200);
    for scope in ["events:write", "tickets:read", "tickets:write"] {
        assert!(form.contains(&format!("value=\"{scope}\"")), "{scope} offered");
    }
    // No scope: refused beside the scopes.
    let res = web.post("/admin/api-keys", &[("name", "Agent, HQ")]).await;
    assert_eq!(res.status, 422);
    assert!(res.body.contains("id=\"scopes-error\">Choose at least one thing the key may do."));
    let res = web.post_raw("/admin/api-keys", &[("name", "Agent, HQ"), ("scope", "events:write")]).await;
    assert_eq!(res.status, 403);
    web.get("/admin/api-keys").await.ok(200);
    let keys = json_ok(app.get(&format!("/api/v1/tenants/{tenant}/api-keys"), &admin).await, 200).await;
    assert!(keys["items"].as_array().unwrap().is_empty(), "nothing created");

    web.get("/admin/api-keys/new").await.ok(200);
    let res = web
        .post(
            "/admin/api-keys",
            &[("name", "Agent, HQ"), ("scope", "events:write"), ("scope", "tickets:read")],
        )
        .await;
    assert_eq!(res.status, 200, "the key is on the answer itself, not behind a redirect");
    assert_eq!(res.headers.get("cache-control").and_then(|v| v.to_str().ok()), Some("no-store"));
    assert!(res.body.contains("It will not be shown again."));
    let key = key_on(&res.body);
    assert!(key.starts_with("cnp_"), "{key}");
    assert_eq!(whoami(app, &key).await, 200);

    let list = web.get("/admin/api-keys").await.ok(200);
    assert!(list.contains("Agent, HQ") && list.contains("tickets:read"));
    assert!(!list.contains(&key), "never shown again");
    let created = json_ok(app.get(&format!("/api/v1/tenants/{tenant}/api-keys"), &admin).await, 200).await;
    let id = created["items"][0]["id"].as_str().unwrap().to_owned();
    assert_eq!(created["items"][0]["scopes"], json!(["events:write", "tickets:read"]));

    // Revoked: refused without the token, then done; the API refuses the key.
    let res = web.post_raw(&format!("/admin/api-keys/{id}/revoke"), &[]).await;
    assert_eq!(res.status, 403);
    assert_eq!(whoami(app, &key).await, 200);
    web.get("/admin/api-keys").await.ok(200);
    let res = web.post(&format!("/admin/api-keys/{id}/revoke"), &[]).await;
    assert_eq!((res.status.as_u16(), res.location.as_deref()), (303, Some("/admin/api-keys?done=revoked")));
    assert_eq!(whoami(app, &key).await, 401);
    let list = web.get("/admin/api-keys?done=revoked").await.ok(200);
    assert!(list.contains("The key was revoked.") && list.contains("Revoked "));
    assert!(!list.contains(&format!("/admin/api-keys/{id}/revoke")), "nothing left to revoke");

    // Another tenant's key is not found from here.
    let (other, other_admin) = app.tenant("ADML").await;
    let theirs = json_ok(
        app.post(&format!("/api/v1/tenants/{other}/api-keys"), &other_admin, json!({"name": "theirs"})).await,
        201,
    )
    .await;
    let res = web.post(&format!("/admin/api-keys/{}/revoke", theirs["id"].as_str().unwrap()), &[]).await;
    assert_eq!(res.status, 404);
    assert_eq!(whoami(app, theirs["key"].as_str().unwrap()).await, 200);
}

async fn raise_change(app: &TestApp, agent: &str, tenant: uuid::Uuid, title: &str) -> Value {
    json_ok(
        app.post(
            "/api/v1/tickets",
            agent,
            json!({"tenant_id": tenant, "type": "change", "title": title, "category": "network",
                "impact": "medium", "urgency": "medium",
                "change": {"change_type": "normal", "risk": "high", "plan": "1. Drain traffic\n2. Swap the switch",
                    "backout_plan": "Put the old switch back",
                    "window": {"starts_at": "2026-12-12T14:00:00Z", "ends_at": "2026-12-12T16:00:00Z"}}}),
        )
        .await,
        201,
    )
    .await
}

backend_test!(changes_are_approved_or_rejected_with_a_reason);
async fn changes_are_approved_or_rejected_with_a_reason(app: &TestApp) {
    let (tenant, admin) = app.tenant("ADMC").await;
    let agent = app.staff("desk@provider.test", &["agent"]).await;
    let switch = raise_change(app, &agent, tenant, "Replace the core switch").await;
    let firewall = raise_change(app, &agent, tenant, "Upgrade the firewall").await;
    assert_eq!(switch["change"]["window"]["starts_at"], "2026-12-12T14:00:00Z", "the window is kept");
    let (switch_id, firewall_id) = (switch["id"].as_str().unwrap(), firewall["id"].as_str().unwrap());

    let mut web = WebClient::signed_in(app, "admin@admc.test", PASSWORD).await;
    assert!(web.get("/admin").await.ok(200).contains("2 waiting"));
    let page = web.get("/admin/approvals").await.ok(200);
    assert!(page.contains("Replace the core switch") && page.contains("Upgrade the firewall"));
    assert!(page.contains("High risk") && page.contains("Normal change"));
    assert!(
        page.contains("1. Drain traffic\n2. Swap the switch") && page.contains("Put the old switch back")
    );
    // The window in the tenant's zone (Shanghai).
    assert!(page.contains("2026-12-12 22:00") && page.contains("2026-12-13 00:00"), "{page}");

    let res = web
        .post(&format!("/admin/approvals/{switch_id}"), &[("decision", "approved"), ("comment", "")])
        .await;
    assert_eq!(res.status, 303);
    let notice = web.get_following(res.location.as_deref().unwrap()).await.ok(200);
    assert!(notice.contains(&format!("{} was approved.", switch["reference"].as_str().unwrap())), "{notice}");
    let t = json_ok(app.get(&format!("/api/v1/tickets/{switch_id}"), &admin).await, 200).await;
    assert_eq!(t["change"]["approval"], "approved");

    // A rejection without a reason: refused beside that change's comment.
    let res = web
        .post(&format!("/admin/approvals/{firewall_id}"), &[("decision", "rejected"), ("comment", "  ")])
        .await;
    assert_eq!(res.status, 422);
    assert!(
        res.body.contains(&format!(
            "<p class=\"field-error\" id=\"comment-{firewall_id}-error\">Say why you reject the change.</p>"
        )),
        "{}",
        res.body
    );
    assert!(
        res.body.contains(&format!(
            "aria-describedby=\"comment-{firewall_id}-hint comment-{firewall_id}-error\""
        ))
    );
    let t = json_ok(app.get(&format!("/api/v1/tickets/{firewall_id}"), &admin).await, 200).await;
    assert_eq!(t["change"]["approval"], "pending", "nothing decided");
    let res = web
        .post_raw(
            &format!("/admin/approvals/{firewall_id}"),
            &[("decision", "rejected"), ("comment", "Not before the audit")],
        )
        .await;
    assert_eq!(res.status, 403);
    web.get("/admin/approvals").await.ok(200);

    let res = web
        .post(
            &format!("/admin/approvals/{firewall_id}"),
            &[("decision", "rejected"), ("comment", "Not before the audit")],
        )
        .await;
    assert_eq!(res.status, 303);
    let t = json_ok(app.get(&format!("/api/v1/tickets/{firewall_id}"), &admin).await, 200).await;
    assert_eq!(t["change"]["approval"], "rejected");
    let decisions =
        json_ok(app.get(&format!("/api/v1/tickets/{firewall_id}/approvals"), &admin).await, 200).await;
    assert_eq!(decisions[0]["comment"], "Not before the audit");
    let page = web.get("/admin/approvals").await.ok(200);
    assert!(page.contains("No change is waiting for your decision."));

    // Deciding again: a clear message, not an error page.
    let res = web.post(&format!("/admin/approvals/{firewall_id}"), &[("decision", "approved")]).await;
    assert_eq!(res.status, 409);
    assert!(res.body.contains("was already decided"));
    // Another tenant's change is not found from here.
    let (other, _) = app.tenant("ADMD").await;
    let theirs = raise_change(app, &agent, other, "Theirs").await;
    let res = web
        .post(&format!("/admin/approvals/{}", theirs["id"].as_str().unwrap()), &[("decision", "approved")])
        .await;
    assert_eq!(res.status, 404);
}

backend_test!(the_calendar_form_refuses_beside_the_interval_and_saves_with_history_and_preview: Backend);
async fn the_calendar_form_refuses_beside_the_interval_and_saves_with_history_and_preview(backend: Backend) {
    // Wednesday 23 September 2026, 10:00 in Shanghai.
    let app = TestApp::spawn_at(backend, |_| {}, "2026-09-23T02:00:00Z".parse().unwrap()).await;
    calendar_case(&app).await;
    app.stop().await;
}

async fn calendar_case(app: &TestApp) {
    let root = app.admin_token().await;
    let (tenant, admin) = app.tenant("ADMB").await;
    app.contract(
        &root,
        tenant,
        json!({"name": "Office hours", "coverage": "business_hours",
            "targets": {"P1": {"first_response_mins": 30, "resolution_mins": 240},
                        "P2": {"first_response_mins": 60, "resolution_mins": 480},
                        "P3": {"first_response_mins": 120, "resolution_mins": 1440},
                        "P4": {"first_response_mins": 240, "resolution_mins": 4800}},
            "availability_target_bp": 9900, "credit_policy": {"cap_bp": 1000}}),
    )
    .await;
    let mut web = WebClient::signed_in(app, "admin@admb.test", PASSWORD).await;
    let page = web.get("/admin/settings/calendar").await.ok(200);
    assert!(page.contains("<legend>Monday</legend>"));
    // Three rows a day: the day's interval and two empty ones.
    assert!(
        page.contains("id=\"mon-0-start\"")
            && page.contains("value=\"09:00\"")
            && page.contains("id=\"mon-2-end\"")
    );
    let sent = form_fields(&page, "/admin/settings/calendar");
    assert_eq!(config_version(app, tenant, &admin).await, 1);

    // The end before the start: refused beside that interval, nothing saved.
    let mut bad = sent.clone();
    set(&mut bad, "mon-0-start", "18:00");
    set(&mut bad, "mon-0-end", "09:00");
    bad.push(("action".into(), "save".into()));
    let res = post_fields(&mut web, "/admin/settings/calendar", &bad).await;
    assert_eq!(res.status, 422);
    assert!(res.body.contains("id=\"mon-0-start\" name=\"mon-0-start\" type=\"time\" value=\"18:00\" aria-invalid=\"true\" aria-describedby=\"mon-0-error\""), "{}", res.body);
    assert!(res.body.contains("<p class=\"field-error\" id=\"mon-0-error\">The end is before the start."));
    assert_eq!(config_version(app, tenant, &admin).await, 1, "nothing saved");

    // What only the API knows (hours past midnight running into Monday's) lands beside its row too.
    let mut bad = sent.clone();
    set(&mut bad, "sun-0-start", "20:00");
    set(&mut bad, "sun-0-end", "10:00");
    set(&mut bad, "sun-0-next", "on");
    bad.push(("action".into(), "save".into()));
    let res = post_fields(&mut web, "/admin/settings/calendar", &bad).await;
    assert_eq!(res.status, 422);
    assert!(
        res.body.contains("<p class=\"field-error\" id=\"sun-0-error\">These hours run past midnight"),
        "{}",
        res.body
    );
    assert_eq!(config_version(app, tenant, &admin).await, 1);

    // Without the form's token: refused.
    let mut good = sent.iter().filter(|(k, _)| k != "_csrf").cloned().collect::<Vec<_>>();
    set(&mut good, "mon-0-end", "12:00");
    set(&mut good, "mon-1-start", "13:00");
    set(&mut good, "mon-1-end", "18:00");
    for day in ["tue", "wed", "thu", "fri"] {
        set(&mut good, &format!("{day}-0-end"), "12:00");
        set(&mut good, &format!("{day}-1-start"), "13:00");
        set(&mut good, &format!("{day}-1-end"), "18:00");
    }
    set(&mut good, "holiday-0-from", "2026-10-01");
    set(&mut good, "holiday-0-to", "2026-10-07");
    set(&mut good, "holiday-0-name", "National Day");
    set(&mut good, "extra-0-date", "2026-10-10");
    good.push(("action".into(), "save".into()));
    let res = post_fields(&mut web, "/admin/settings/calendar", &good).await;
    assert_eq!(res.status, 403);
    assert_eq!(config_version(app, tenant, &admin).await, 1);

    // A good calendar with a holiday week and a make-up Saturday: saved as version 2.
    let csrf = sent.iter().find(|(k, _)| k == "_csrf").unwrap().1.clone();
    good.push(("_csrf".into(), csrf));
    let res = post_fields(&mut web, "/admin/settings/calendar", &good).await;
    assert_eq!(
        (res.status.as_u16(), res.location.as_deref()),
        (303, Some("/admin/settings/calendar?saved=2"))
    );
    let config = json_ok(app.get(&format!("/api/v1/tenants/{tenant}/config"), &admin).await, 200).await;
    let cal = &config["business_calendar"];
    assert_eq!(cal["weekly"]["tue"], json!([["09:00", "12:00"], ["13:00", "18:00"]]));
    assert_eq!(cal["weekly"]["sat"], json!([]));
    assert_eq!(cal["holidays"].as_array().unwrap().len(), 7);
    assert_eq!(cal["holiday_names"]["2026-10-03"], "National Day");
    assert_eq!(cal["extra_working_days"], json!(["2026-10-10"]));

    // The page after saving: the holiday week as one row, and the due times it means.
    let page = web.get("/admin/settings/calendar?saved=2").await.ok(200);
    assert!(page.contains("The calendar was saved as version 2."));
    assert!(page.contains("value=\"2026-10-07\"") && page.contains("value=\"National Day\""));
    assert!(page.contains("P1 resolved by"));
    // Now (Wednesday 10:00): 4 business hours → 15:00 with the lunch break.
    assert!(page.contains("2026-09-23 15:00 (Wed)"), "{page}");
    // Friday 17:30: half an hour, then Monday 09:00–12:00 and 13:00–13:30.
    assert!(page.contains("2026-09-28 13:30 (Mon)"), "{page}");
    // The eve of National Day: half an hour, the holiday week, then Thursday 8 October.
    assert!(page.contains("Eve of National Day (2026-10-01), 17:30"));
    assert!(page.contains("2026-10-08 13:30 (Thu)"), "{page}");

    // The history shows the new version, and the old one reads as it was.
    let settings = web.get("/admin/settings").await.ok(200);
    assert!(settings.contains("Version 2"));
    assert!(
        settings.contains("href=\"/admin/settings/versions/2\"")
            && settings.contains("href=\"/admin/settings/versions/1\"")
    );
    assert!(
        settings.contains("Business calendar (") && settings.contains("<code>holidays</code>"),
        "{settings}"
    );
    assert!(
        settings.contains("<td>Admin</td>") && settings.contains("<td>Your IT service provider</td>"),
        "who changed it"
    );
    let old = web.get("/admin/settings/versions/1").await.ok(200);
    assert!(old.contains("This is an earlier version. Version 2 is in force now."));
    assert!(old.contains("09:00–18:00") && !old.contains("09:00–12:00"));
    assert_eq!(web.get("/admin/settings/versions/99").await.status, 404);

    // Someone changes the settings meanwhile: the stale form is not saved over it.
    let stale = form_fields(&web.get("/admin/settings/calendar").await.ok(200), "/admin/settings/calendar");
    let mut doc = config.clone();
    doc["branding"] = json!({"display_name": "ADMB Trading"});
    json_ok(app.put(&format!("/api/v1/tenants/{tenant}/config"), &admin, doc).await, 200).await;
    let mut change = stale.clone();
    set(&mut change, "sat-0-start", "09:00");
    set(&mut change, "sat-0-end", "12:00");
    change.push(("action".into(), "save".into()));
    let res = post_fields(&mut web, "/admin/settings/calendar", &change).await;
    assert_eq!(res.status, 409);
    assert!(res.body.contains("Someone changed the settings while you were editing."));
    assert!(res.body.contains("value=\"09:00\""), "what was typed is kept");
    let config = json_ok(app.get(&format!("/api/v1/tenants/{tenant}/config"), &admin).await, 200).await;
    assert_eq!(
        (config["version"].as_i64(), &config["business_calendar"]["weekly"]["sat"]),
        (Some(3), &json!([]))
    );

    // "More rows" adds rows without saving anything.
    let mut more = stale;
    more.push(("action".into(), "more".into()));
    let res = post_fields(&mut web, "/admin/settings/calendar", &more).await;
    assert_eq!(res.status, 200);
    assert!(res.body.contains("id=\"holiday-6-from\""));
    assert_eq!(config_version(app, tenant, &admin).await, 3);

    // In Chinese, the refusal is in Chinese.
    web.post("/lang", &[("lang", "zh-CN"), ("next", "/admin/settings/calendar")]).await;
    let page = web.get("/admin/settings/calendar").await.ok(200);
    assert!(page.contains("工作日历") && page.contains("<legend>星期一</legend>"));
    let mut bad = form_fields(&page, "/admin/settings/calendar");
    set(&mut bad, "wed-0-end", "08:00");
    bad.push(("action".into(), "save".into()));
    let res = post_fields(&mut web, "/admin/settings/calendar", &bad).await;
    assert_eq!(res.status, 422);
    assert!(
        res.body.contains("<p class=\"field-error\" id=\"wed-0-error\">结束时间早于开始时间。"),
        "{}",
        res.body
    );
}
