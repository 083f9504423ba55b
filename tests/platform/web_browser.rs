//! The portal in a real browser (headless Chromium through WebDriver): what a person does,
//! at desktop and phone width, in English and Chinese, with screenshots of the main pages
//! under the test's output folder (`<target>/tmp/screenshots/…`).

use std::time::Duration;

use fantoccini::Locator;
use serde_json::json;

use crate::browser::Browser;
use crate::helpers::*;
use crate::web_portal::tier;

const WAIT: Duration = Duration::from_secs(20);

async fn type_into(browser: &Browser, css: &str, text: &str) {
    let field = browser.client().find(Locator::Css(css)).await.unwrap_or_else(|e| panic!("{css}: {e}"));
    field.clear().await.unwrap();
    field.send_keys(text).await.unwrap();
}

async fn click(browser: &Browser, css: &str) {
    browser
        .client()
        .find(Locator::Css(css))
        .await
        .unwrap_or_else(|e| panic!("{css}: {e}"))
        .click()
        .await
        .unwrap();
}

async fn sign_in(browser: &Browser, app: &TestApp, email: &str) {
    browser.goto(&app.url("/login")).await;
    type_into(browser, "#email", email).await;
    type_into(browser, "#password", PASSWORD).await;
    click(browser, "main form button[type=submit]").await;
}

backend_test!(a_requester_raises_a_ticket_and_follows_it_in_a_browser);
async fn a_requester_raises_a_ticket_and_follows_it_in_a_browser(app: &TestApp) {
    let root = app.admin_token().await;
    let (tenant, admin) = app.tenant("BRWA").await;
    let path = format!("/api/v1/tenants/{tenant}/config");
    let mut c = json_ok(app.get(&path, &admin).await, 200).await;
    c["custom_fields"] =
        json!([{"key": "asset_tag", "label": "Asset tag", "type": "text", "required": true}]);
    json_ok(app.put(&path, &admin, c).await, 200).await;
    app.contract(&root, tenant, tier("BRWA tier")).await;
    app.user(tenant, &admin, "r@brwa.test", &["requester"]).await;

    let browser = Browser::start("en-GB").await;
    sign_in(&browser, app, "r@brwa.test").await;
    browser.wait_for_text("My open tickets", WAIT).await;
    browser.screenshot("home").await;

    // Raise a ticket with the tenant's custom field, by keyboard-reachable, labelled fields.
    browser.goto(&app.url("/tickets/new")).await;
    assert_eq!(browser.unlabelled_fields().await, Vec::<String>::new());
    type_into(&browser, "#title", "Printer jams on every page").await;
    type_into(&browser, "#description", "Since this morning.").await;
    let category = browser.client().find(Locator::Css("#category")).await.unwrap();
    category.select_by_value("hardware").await.unwrap();
    click(&browser, "input[name=impact][value=low]").await;
    click(&browser, "input[name=urgency][value=high]").await;
    type_into(&browser, "input[name='cf.asset_tag']", "PR-0042").await;
    browser.screenshot("raise").await;
    browser.click_button("Send the ticket").await;

    // The ticket's page: its reference, the field, and the due time of its SLA.
    browser.wait_for_text("Printer jams on every page", WAIT).await;
    let ticket_path = browser.current_path().await;
    assert!(ticket_path.starts_with("/tickets/BRWA-"), "{ticket_path}");
    let text = browser.text().await;
    assert!(text.contains("PR-0042"), "{text}");
    assert!(text.contains("Resolution"), "the SLA's clocks are shown: {text}");
    browser.screenshot("ticket").await;

    // Reply, and the timeline shows it.
    type_into(&browser, "#body", "It also smells of toner.").await;
    browser.click_button("Send the reply").await;
    browser.wait_for_text("It also smells of toner.", WAIT).await;

    // Listed with its due time.
    browser.goto(&app.url("/tickets")).await;
    browser.wait_for_text("Printer jams on every page", WAIT).await;
    let list = browser.text().await;
    assert!(list.contains("Resolution:") || list.contains("First response:"), "{list}");
    browser.screenshot("tickets").await;

    // The ticket at phone width.
    browser.goto(&app.url(&ticket_path)).await;
    browser.phone().await;
    browser.wait_for_text("Printer jams on every page", WAIT).await;
    browser.screenshot("ticket-phone").await;
    browser.desktop().await;

    // Nothing the strict CSP refused, no script error, on any page.
    assert_eq!(browser.console_errors().await, Vec::<String>::new());

    // Signing out ends the session.
    browser.click_button("Sign out").await;
    browser.wait_for_text("Sign in to your IT service portal", WAIT).await;
    browser.goto(&app.url("/tickets")).await;
    assert_eq!(browser.current_path().await, "/login");
}

backend_test!(signing_in_in_chinese_and_another_tenants_url_in_a_browser);
async fn signing_in_in_chinese_and_another_tenants_url_in_a_browser(app: &TestApp) {
    let (_, other_admin) = app.tenant("BRWC").await;
    // A tenant whose pages are in Chinese (the tenant's language wins over the browser's
    // once signed in; before, the browser's is used).
    let (tenant, admin) = app.tenant("BRWB").await;
    let path = format!("/api/v1/tenants/{tenant}/config");
    let mut c = json_ok(app.get(&path, &admin).await, 200).await;
    c["locale"] = json!("zh-CN");
    json_ok(app.put(&path, &admin, c).await, 200).await;
    // A ticket of the other tenant, whose reference the first tenant's admin will try.
    let other = json_ok(
        app.post(
            "/api/v1/tickets",
            &other_admin,
            json!({"type": "incident", "title": "Their ticket", "description": "x", "category": "other", "impact": "low", "urgency": "low"}),
        )
        .await,
        201,
    )
    .await;
    let reference = other["reference"].as_str().unwrap().to_owned();

    let browser = Browser::start("zh-CN").await;
    browser.goto(&app.url("/login")).await;
    browser.wait_for_text("登录 IT 服务门户", WAIT).await;
    browser.screenshot("login-zh").await;
    sign_in(&browser, app, "admin@brwb.test").await;
    browser.wait_for_text("欢迎", WAIT).await;
    browser.screenshot("home-zh").await;

    browser.goto(&app.url(&format!("/tickets/{reference}"))).await;
    browser.wait_for_text("未找到", WAIT).await;
    let theirs = browser.text().await;
    browser.goto(&app.url("/tickets/BRWB-999999")).await;
    browser.wait_for_text("未找到", WAIT).await;
    assert_eq!(browser.text().await, theirs, "another tenant's ticket looks like no ticket");
    assert!(!theirs.contains("Their ticket"));

    browser.goto(&app.url("/")).await;
    browser.click_button("退出登录").await;
    browser.wait_for_text("登录 IT 服务门户", WAIT).await;
}
