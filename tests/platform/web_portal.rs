//! The customers' portal over HTTP, the requester's side: raising a ticket (custom fields,
//! refusals beside their fields, one ticket for a double submit), the ticket lists, following
//! a ticket (timeline without internal notes, reply, reopen, confirm, rating), the knowledge
//! base, the profile (language kept across sign-ins, password), and that another tenant's
//! ticket, a form without its CSRF token and a missing reference change or show nothing.

use chrono::{DateTime, Utc};
use serde_json::{Value, json};
use uuid::Uuid;

use crate::helpers::*;
use crate::web_client::{Answer, WebClient};

/// A 24×7 tier with targets for every priority (also the browser tests').
pub(crate) fn tier(name: &str) -> Value {
    json!({"name": name, "coverage": "24x7",
        "targets": {"P1": {"first_response_mins": 30, "resolution_mins": 240},
                    "P2": {"first_response_mins": 60, "resolution_mins": 480},
                    "P3": {"first_response_mins": 120, "resolution_mins": 960},
                    "P4": {"first_response_mins": 240, "resolution_mins": 1920}},
        "availability_target_bp": 9900, "credit_policy": {"cap_bp": 1000}})
}

struct Portal {
    tenant: Uuid,
    admin: String,
    /// The requester's email (password: PASSWORD) and token.
    email: String,
    requester: String,
}

/// A tenant (Asia/Shanghai) under contract on a 24×7 tier, with a required text field, a
/// select field and a site; and a requester.
async fn portal(app: &TestApp, key: &str) -> Portal {
    let root = app.admin_token().await;
    let (tenant, admin) = app.tenant(key).await;
    let path = format!("/api/v1/tenants/{tenant}/config");
    let mut c = json_ok(app.get(&path, &admin).await, 200).await;
    c["custom_fields"] = json!([
        {"key": "asset_tag", "label": "Asset tag", "type": "text", "required": true},
        {"key": "floor", "label": "Floor", "type": "select", "options": ["1", "2", "3"]}]);
    c["sites"] = json!([{"name": "HQ", "address": "88 Century Avenue", "region": "pudong"}]);
    json_ok(app.put(&path, &admin, c).await, 200).await;
    app.contract(&root, tenant, tier(&format!("{key} tier"))).await;
    let email = format!("r@{}.test", key.to_lowercase());
    let (_, requester) = app.user(tenant, &admin, &email, &["requester"]).await;
    Portal { tenant, admin, email, requester }
}

/// The value of the hidden field `name` of a page.
fn hidden(html: &str, name: &str) -> String {
    let marker = format!("name=\"{name}\" value=\"");
    let at = html.find(&marker).unwrap_or_else(|| panic!("no {name} in {html}")) + marker.len();
    html[at..at + html[at..].find('"').unwrap()].to_owned()
}

/// Opens the new-ticket form and sends it with `fields` (and the form's idempotency key).
async fn raise(web: &mut WebClient, fields: &[(&str, &str)]) -> (Answer, String) {
    let form = web.get("/tickets/new").await.ok(200);
    let key = hidden(&form, "idempotency_key");
    let mut all = vec![("idempotency_key", key.as_str())];
    all.extend_from_slice(fields);
    (web.post("/tickets/new", &all).await, key)
}

const PRINTER: [(&str, &str); 6] = [
    ("title", "Printer jams on every page"),
    ("description", "Since this morning.\nThe paper folds."),
    ("category", "hardware"),
    ("impact", "low"),
    ("urgency", "high"),
    ("cf.floor", "2"),
];

async fn tickets(app: &TestApp, token: &str) -> Vec<Value> {
    json_ok(app.get("/api/v1/tickets", token).await, 200).await["items"].as_array().unwrap().clone()
}

/// `at` as the tenant (Asia/Shanghai, UTC+8, no summer time) reads it.
fn shanghai(at: &Value) -> String {
    let at: DateTime<Utc> = at.as_str().unwrap().parse().unwrap();
    (at + chrono::Duration::hours(8)).format("%Y-%m-%d %H:%M").to_string()
}

backend_test!(a_requester_raises_a_ticket_with_a_custom_field_and_follows_its_due_time);
async fn a_requester_raises_a_ticket_with_a_custom_field_and_follows_its_due_time(app: &TestApp) {
    let p = portal(app, "PTA").await;
    let mut web = WebClient::signed_in(app, &p.email, PASSWORD).await;
    let form = web.get("/tickets/new").await.ok(200);
    // The tenant's categories, its levels in plain words, its fields by kind, its sites.
    for shown in [
        "<option value=\"hardware\">Hardware</option>",
        "Only me",
        "The whole company",
        "It can wait",
        "I cannot work",
        "<label for=\"cf-asset_tag\">Asset tag <span class=\"req\" aria-hidden=\"true\">*</span></label>",
        "<select id=\"cf-floor\" name=\"cf.floor\">",
        "HQ – 88 Century Avenue",
        "name=\"onsite\"",
        "hx-get=\"/kb/suggest\" hx-trigger=\"input changed delay:400ms\" hx-target=\"#kb-suggestions\"",
        "<a href=\"/kb\">",
    ] {
        assert!(form.contains(shown), "{shown} missing from {form}");
    }

    let mut fields = PRINTER.to_vec();
    fields.push(("cf.asset_tag", "PC-0042"));
    let (sent, key) = raise(&mut web, &fields).await;
    assert_eq!(
        (sent.status.as_u16(), sent.location.as_deref()),
        (303, Some("/tickets/PTA-1")),
        "{}",
        sent.body
    );
    // A double submit (the same form sent again) opens no second ticket.
    let mut again = vec![("idempotency_key", key.as_str())];
    again.extend_from_slice(&fields);
    let twice = web.post("/tickets/new", &again).await;
    assert_eq!(twice.location.as_deref(), Some("/tickets/PTA-1"));
    let all = tickets(app, &p.admin).await;
    assert_eq!(all.len(), 1, "one ticket for two sends");
    let t = &all[0];
    assert_eq!(t["custom_fields"], json!({"asset_tag": "PC-0042", "floor": "2"}));
    assert_eq!((&t["impact"], &t["urgency"], &t["priority"]), (&json!("low"), &json!("high"), &json!("P3")));
    assert_eq!(t["channel"], "portal");

    // The list: the row with its category, and its next deadline in the tenant's time.
    let due = t["sla"]["clocks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["metric"] == "first_response")
        .unwrap()["due_at"]
        .clone();
    let list = web.get("/tickets").await.ok(200);
    assert!(list.contains("<h1>My tickets</h1>"), "{list}");
    assert!(list.contains(
        "<a href=\"/tickets/PTA-1\"><span class=\"ref\">PTA-1</span> Printer jams on every page</a>"
    ));
    assert!(list.contains("<span class=\"category\">Hardware</span>"));
    assert!(
        list.contains(&format!("<time class=\"countdown\" datetime=\"{}\"", due.as_str().unwrap())),
        "{list}"
    );
    assert!(list.contains(&format!("({})", shanghai(&due))), "due time in the tenant's zone: {list}");

    // The ticket's page: its facts, its fields by their labels, each clock with its countdown.
    let page = web.get("/tickets/PTA-1").await.ok(200);
    for shown in [
        "<dt>Asset tag</dt><dd>PC-0042</dd>",
        "<dt>Floor</dt><dd>2</dd>",
        "<dt>Category</dt><dd>Hardware</dd>",
        "<dt>Requester</dt><dd>You</dd>",
        "P3 · medium",
        "Since this morning.\nThe paper folds.",
        "Your service level: PTA tier",
        "First response",
        "Resolution",
        &shanghai(&due),
        "class=\"countdown\"",
    ] {
        assert!(page.contains(shown), "{shown} missing from {page}");
    }
    // A reference in lower case is the same ticket.
    assert!(web.get("/tickets/pta-1").await.ok(200).contains("Printer jams on every page"));
}

backend_test!(a_refused_ticket_comes_back_with_what_was_typed_and_each_error_beside_its_field);
async fn a_refused_ticket_comes_back_with_what_was_typed_and_each_error_beside_its_field(app: &TestApp) {
    let p = portal(app, "PTB").await;
    let mut web = WebClient::signed_in(app, &p.email, PASSWORD).await;
    // The required asset tag left out.
    let (sent, key) = raise(&mut web, &PRINTER).await;
    let page = sent.ok(422);
    let input = page.find("name=\"cf.asset_tag\"").expect("the field is shown again");
    let error = page
        .find("<p class=\"field-error\" id=\"cf-asset_tag-error\">This field is required.</p>")
        .expect(&page);
    let next = page.find("<label for=\"cf-floor\">").unwrap();
    assert!(input < error && error < next, "the error is beside its field");
    assert!(page.contains("aria-invalid=\"true\" aria-describedby=\"cf-asset_tag-error\""));
    // What was typed is kept, the key too (so that sending it again opens one ticket).
    assert!(page.contains("value=\"Printer jams on every page\""));
    assert!(page.contains("<option value=\"2\" selected>2</option>"));
    assert!(page.contains("<option value=\"hardware\" selected>Hardware</option>"));
    assert!(page.contains("name=\"urgency\" value=\"high\" checked"));
    assert_eq!(hidden(&page, "idempotency_key"), key);
    assert!(tickets(app, &p.admin).await.is_empty(), "nothing was opened");

    // No title, no impact: each said beside its field, in the reader's language.
    let (sent, _) = raise(
        &mut web,
        &[("title", " "), ("category", "hardware"), ("urgency", "low"), ("cf.asset_tag", "X")],
    )
    .await;
    let page = sent.ok(422);
    assert!(
        page.contains(
            "<p class=\"field-error\" id=\"title-error\">Say in a few words what the problem is.</p>"
        )
    );
    assert!(page.contains("<p class=\"field-error\" id=\"impact-error\">Choose one.</p>"));
    assert!(!page.contains("id=\"urgency-error\""));
    assert!(tickets(app, &p.admin).await.is_empty());

    // The same form put right is accepted.
    let mut fields = PRINTER.to_vec();
    fields.push(("cf.asset_tag", "PC-7"));
    let (sent, _) = raise(&mut web, &fields).await;
    assert_eq!(sent.status, 303, "{}", sent.body);
}

backend_test!(a_ticket_is_followed_replied_to_reopened_confirmed_and_rated);
async fn a_ticket_is_followed_replied_to_reopened_confirmed_and_rated(app: &TestApp) {
    let p = portal(app, "PTC").await;
    let agent = app.staff("agent@provider.test", &["agent"]).await;
    let t = json_ok(
        app.post(
            "/api/v1/tickets",
            &p.requester,
            json!({"type": "incident", "title": "Toner streaks", "category": "hardware", "impact": "low",
                   "urgency": "medium", "custom_fields": {"asset_tag": "PR-3"}}),
        )
        .await,
        201,
    )
    .await;
    let id = t["id"].as_str().unwrap().to_owned();
    let api = |s: &str| format!("/api/v1/tickets/{id}{s}");
    let mut web = WebClient::signed_in(app, &p.email, PASSWORD).await;
    web.get("/tickets/PTC-1").await.ok(200);

    // A reply is in the timeline.
    let sent = web.post("/tickets/PTC-1/comments", &[("body", "The toner light blinks")]).await;
    assert_eq!(sent.location.as_deref(), Some("/tickets/PTC-1?done=reply"));
    let page = web.get("/tickets/PTC-1?done=reply").await.ok(200);
    assert!(page.contains("Your reply was sent."));
    let timeline = &page[page.find("id=\"timeline\"").unwrap()..];
    assert!(timeline.contains("The toner light blinks"));
    // An empty reply is refused beside the box.
    let empty = web.post("/tickets/PTC-1/comments", &[("body", "  ")]).await.ok(422);
    assert!(empty.contains("<p class=\"field-error\" id=\"body-error\">Write your message first.</p>"));

    // The service desk's public answer shows; its internal note does not, anywhere.
    json_ok(app.post(&api("/comments"), &agent, json!({"body": "Try a new cartridge"})).await, 201).await;
    json_ok(
        app.post(&api("/comments"), &agent, json!({"body": "Their printer is ancient", "public": false}))
            .await,
        201,
    )
    .await;
    let page = web.get("/tickets/PTC-1").await.ok(200);
    assert!(page.contains("Try a new cartridge") && page.contains("<strong>Service desk</strong>"));
    assert!(!page.contains("ancient"), "an internal note never reaches the customer");
    let audit = json_ok(app.get(&api("/audit"), &p.requester).await, 200).await;
    let notes = |audit: &Value| {
        audit["items"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|e| e["kind"] == "commented" && e["data"]["public"] == false)
            .count()
    };
    assert_eq!(notes(&audit), 0, "the customer's audit does not even say a note was written");
    assert_eq!(notes(&json_ok(app.get(&api("/audit"), &agent).await, 200).await), 1);

    // Waiting on the customer: their reply takes it back to work (the API's rule).
    json_ok(app.patch(&api(""), &agent, json!({"status": "pending_customer"})).await, 200).await;
    assert!(web.get("/tickets/PTC-1").await.ok(200).contains("The service desk is waiting for your answer."));
    web.post("/tickets/PTC-1/comments", &[("body", "It is the one by the window")]).await;
    assert_eq!(json_ok(app.get(&api(""), &p.requester).await, 200).await["status"], "in_progress");

    // Resolved: not solved after all, and why.
    let resolve = json!({"status": "resolved", "resolution_code": "replaced_part", "resolution_notes": "Replaced the cartridge"});
    json_ok(app.patch(&api(""), &agent, resolve.clone()).await, 200).await;
    let page = web.get("/tickets/PTC-1").await.ok(200);
    assert!(page.contains("Is your problem solved?") && page.contains("action=\"/tickets/PTC-1/reopen\""));
    assert!(page.contains("<dt>Resolution</dt><dd>Replaced the cartridge</dd>"));
    let version = hidden(&page, "version");
    let refused = web.post("/tickets/PTC-1/reopen", &[("version", &version), ("reason", "")]).await.ok(422);
    assert!(refused.contains("id=\"reason-error\""));
    assert_eq!(json_ok(app.get(&api(""), &p.requester).await, 200).await["status"], "resolved");
    let sent = web
        .post("/tickets/PTC-1/reopen", &[("version", &version), ("reason", "Still streaks on every page")])
        .await;
    assert_eq!(sent.location.as_deref(), Some("/tickets/PTC-1?done=reopened"));
    assert_eq!(json_ok(app.get(&api(""), &p.requester).await, 200).await["status"], "in_progress");
    let page = web.get("/tickets/PTC-1").await.ok(200);
    assert!(page.contains("Still streaks on every page"), "the reason is in the timeline");
    assert!(page.contains("Status changed to “In progress”."));

    // Resolved again, and this time confirmed; a form read before a change is not applied blindly.
    json_ok(app.patch(&api(""), &agent, resolve).await, 200).await;
    let page = web.get("/tickets/PTC-1").await.ok(200);
    let stale = hidden(&page, "version");
    json_ok(app.post(&api("/comments"), &agent, json!({"body": "Done, I think"})).await, 201).await;
    let changed = web.post("/tickets/PTC-1/confirm", &[("version", &stale)]).await.ok(409);
    assert!(changed.contains("The ticket changed while you were reading it."));
    let version = hidden(&changed, "version");
    let sent = web.post("/tickets/PTC-1/confirm", &[("version", &version)]).await;
    assert_eq!(sent.location.as_deref(), Some("/tickets/PTC-1?done=closed"), "{}", sent.body);
    assert_eq!(json_ok(app.get(&api(""), &p.requester).await, 200).await["status"], "closed");

    // Rated once: 2, with a complaint.
    let page = web.get("/tickets/PTC-1").await.ok(200);
    assert!(
        page.contains("action=\"/tickets/PTC-1/feedback\"")
            && !page.contains("action=\"/tickets/PTC-1/comments\"")
    );
    let refused = web.post("/tickets/PTC-1/feedback", &[("text", "slow")]).await.ok(422);
    assert!(
        refused.contains("<p class=\"field-error\" id=\"rating-error\">Choose a rating from 1 to 5.</p>")
    );
    assert!(refused.contains(">slow</textarea>"), "the comment is kept");
    let sent = web
        .post(
            "/tickets/PTC-1/feedback",
            &[("rating", "2"), ("complaint", "1"), ("text", "Took three visits")],
        )
        .await;
    assert_eq!(sent.location.as_deref(), Some("/tickets/PTC-1?done=rated"));
    let feedback = json_ok(app.get(&api("/feedback"), &p.admin).await, 200).await;
    assert_eq!(
        (&feedback["rating"], &feedback["complaint"], &feedback["text"]),
        (&json!(2), &json!(true), &json!("Took three visits"))
    );
    let page = web.get("/tickets/PTC-1").await.ok(200);
    assert!(page.contains("You rated the service 2 out of 5.") && page.contains("Complaint"));
    assert!(!page.contains("action=\"/tickets/PTC-1/feedback\""), "rated at most once");
    let again = web.post("/tickets/PTC-1/feedback", &[("rating", "5")]).await;
    assert_eq!(again.status, 409);
    assert_eq!(json_ok(app.get(&api("/feedback"), &p.admin).await, 200).await["rating"], 2);
}

/// A page without the moment it was made (the countdowns' clock): two answers compared.
fn timeless(html: &str) -> String {
    match html.find("data-now=\"") {
        Some(at) => {
            let end = at + 10 + html[at + 10..].find('"').unwrap();
            format!("{}{}", &html[..at], &html[end + 1..])
        }
        None => html.to_owned(),
    }
}

backend_test!(another_tenants_ticket_is_the_same_not_found_page_as_no_ticket);
async fn another_tenants_ticket_is_the_same_not_found_page_as_no_ticket(app: &TestApp) {
    let a = portal(app, "PTD").await;
    let b = portal(app, "PTE").await;
    let body = json!({"type": "incident", "title": "Secret project laptop", "category": "hardware",
        "impact": "low", "urgency": "low", "custom_fields": {"asset_tag": "X"}});
    json_ok(app.post("/api/v1/tickets", &a.requester, body).await, 201).await;
    let mut web = WebClient::signed_in(app, &b.email, PASSWORD).await;
    let theirs = web.get("/tickets/PTD-1").await;
    let missing = web.get("/tickets/PTE-999").await;
    let nonsense = web.get("/tickets/no%20such").await;
    assert_eq!((theirs.status.as_u16(), missing.status.as_u16(), nonsense.status.as_u16()), (404, 404, 404));
    assert_eq!(
        timeless(&theirs.body),
        timeless(&missing.body),
        "nothing tells another tenant's ticket from no ticket"
    );
    assert_eq!(timeless(&theirs.body), timeless(&nonsense.body));
    assert!(!theirs.body.contains("Secret project"));
    // Acting on it: the same page, and nothing changes.
    web.get("/tickets").await.ok(200);
    let reply = web.post("/tickets/PTD-1/comments", &[("body", "mine now")]).await;
    assert_eq!((reply.status.as_u16(), timeless(&reply.body)), (404, timeless(&missing.body)));
    let t = &tickets(app, &a.admin).await[0];
    let comments = json_ok(
        app.get(&format!("/api/v1/tickets/{}/comments", t["id"].as_str().unwrap()), &a.admin).await,
        200,
    )
    .await;
    assert!(comments.as_array().unwrap().is_empty());
    // Another requester of the same tenant does not see it either; the tenant's admin does.
    let (_, _) = app.user(a.tenant, &a.admin, "other@ptd.test", &["requester"]).await;
    let mut other = WebClient::signed_in(app, "other@ptd.test", PASSWORD).await;
    assert_eq!(other.get("/tickets/PTD-1").await.status, 404);
    let mut admin = WebClient::signed_in(app, "admin@ptd.test", PASSWORD).await;
    assert!(admin.get("/tickets/PTD-1").await.ok(200).contains("Secret project laptop"));
}

backend_test!(forms_without_their_csrf_token_open_and_change_nothing);
async fn forms_without_their_csrf_token_open_and_change_nothing(app: &TestApp) {
    let p = portal(app, "PTF").await;
    let mut web = WebClient::signed_in(app, &p.email, PASSWORD).await;
    let form = web.get("/tickets/new").await.ok(200);
    let key = hidden(&form, "idempotency_key");
    let mut fields = vec![("idempotency_key", key.as_str()), ("cf.asset_tag", "X")];
    fields.extend_from_slice(&PRINTER);
    let res = web.post_raw("/tickets/new", &fields).await;
    assert_eq!(res.status, 403);
    assert!(res.body.contains("The form has expired"));
    let mut forged = fields.clone();
    forged.push(("_csrf", "a-token-of-another-session-entirely-000000000"));
    assert_eq!(web.post_raw("/tickets/new", &forged).await.status, 403);
    assert!(tickets(app, &p.admin).await.is_empty(), "nothing was opened");

    let (sent, _) = raise(&mut web, &fields[1..]).await;
    assert_eq!(sent.status, 303);
    web.get("/tickets/PTF-1").await.ok(200);
    assert_eq!(web.post_raw("/tickets/PTF-1/comments", &[("body", "forged")]).await.status, 403);
    assert_eq!(
        web.post_raw("/profile", &[("display_name", "Forged"), ("locale", "zh-CN")]).await.status,
        403
    );
    let id = tickets(app, &p.admin).await[0]["id"].as_str().unwrap().to_owned();
    let comments = json_ok(app.get(&format!("/api/v1/tickets/{id}/comments"), &p.admin).await, 200).await;
    assert!(comments.as_array().unwrap().is_empty());
    let me = json_ok(app.get("/api/v1/auth/me", &p.requester).await, 200).await;
    assert_eq!((&me["display_name"], &me["locale"]), (&json!("Someone"), &Value::Null));
}

backend_test!(the_knowledge_base_is_searched_in_chinese_and_english_and_read_as_text);
async fn the_knowledge_base_is_searched_in_chinese_and_english_and_read_as_text(app: &TestApp) {
    let root = app.admin_token().await;
    let p = portal(app, "PTG").await;
    let printer = json_ok(
        app.post(
            "/api/v1/kb/articles",
            &root,
            json!({"title": "打印机无法打印", "language": "zh-CN", "category": "hardware",
                "body": "## 处理方法\n\n重启打印服务（Print Spooler），清空打印队列后重新发送文档。\n\n- 打开服务\n- 重启 <b>Spooler</b>",
                "visibility": "all_tenants", "status": "published"}),
        )
        .await,
        201,
    )
    .await;
    json_ok(
        app.post(
            "/api/v1/kb/articles",
            &root,
            json!({"title": "VPN cannot connect", "language": "en", "category": "network",
                "body": "Check that the VPN client certificate has not expired, then reinstall the client.",
                "visibility": "all_tenants", "status": "published"}),
        )
        .await,
        201,
    )
    .await;
    let mut web = WebClient::signed_in(app, &p.email, PASSWORD).await;
    let found = web.get("/kb?q=%E6%89%93%E5%8D%B0%E6%9C%BA").await.ok(200);
    assert!(found.contains(&format!(
        "<a href=\"/kb/{}\" lang=\"zh-CN\">打印机无法打印</a>",
        printer["id"].as_str().unwrap()
    )));
    assert!(!found.contains("VPN cannot connect"));
    let found = web.get("/kb?q=vpn+certificate").await.ok(200);
    assert!(found.contains("VPN cannot connect") && !found.contains("打印机无法打印"));
    assert!(web.get("/kb?q=zebra").await.ok(200).contains("No article matches."));

    // The article: its Markdown as headings, paragraphs and lists; its HTML only as text.
    let article = web.get(&format!("/kb/{}", printer["id"].as_str().unwrap())).await.ok(200);
    assert!(article.contains("<h1>打印机无法打印</h1>") && article.contains("<h2>处理方法</h2>"));
    assert!(article.contains("<li>重启 &#60;b&#62;Spooler&#60;/b&#62;</li>"), "{article}");
    assert!(!article.contains("<b>Spooler"));
    assert_eq!(web.get(&format!("/kb/{}", Uuid::new_v4())).await.status, 404);
    assert_eq!(web.get("/kb/not-an-id").await.status, 404);

    // Suggestions while a title is typed: a fragment for htmx, the search page without script.
    let fragment = web.get_htmx("/kb/suggest?title=VPN%20broken").await.ok(200);
    assert!(fragment.contains("VPN cannot connect") && !fragment.contains("<html"));
    assert!(web.get_htmx("/kb/suggest?title=x").await.ok(200).trim().is_empty());
    let plain = web.get("/kb/suggest?title=VPN").await;
    assert_eq!((plain.status.as_u16(), plain.location.as_deref()), (303, Some("/kb?q=VPN")));
}

backend_test!(the_language_chosen_in_the_profile_follows_the_user_to_the_next_sign_in);
async fn the_language_chosen_in_the_profile_follows_the_user_to_the_next_sign_in(app: &TestApp) {
    let p = portal(app, "PTH").await;
    let mut web = WebClient::signed_in(app, &p.email, PASSWORD).await;
    let page = web.get("/profile").await.ok(200);
    assert!(
        page.contains(&format!("<dd id=\"profile-email\">{}</dd>", p.email)) && page.contains("Requester")
    );
    let sent = web.post("/profile", &[("display_name", "Li Wei"), ("locale", "zh-CN")]).await;
    assert_eq!(sent.location.as_deref(), Some("/profile?saved=details"));
    let page = web.get("/profile?saved=details").await.ok(200);
    assert!(page.contains("<html lang=\"zh-CN\">") && page.contains("个人信息已保存。"), "{page}");
    let me = json_ok(app.get("/api/v1/auth/me", &p.requester).await, 200).await;
    assert_eq!((&me["display_name"], &me["locale"]), (&json!("Li Wei"), &json!("zh-CN")));

    // Another browser that asks for English: the account's language wins at sign-in.
    let mut elsewhere = WebClient::new(app).accept_language("en");
    elsewhere.sign_in(&p.email, PASSWORD).await;
    let home = elsewhere.get("/").await.ok(200);
    assert!(home.contains("欢迎，Li Wei"), "{home}");
    assert!(elsewhere.get("/tickets").await.ok(200).contains("<h1>我的工单</h1>"));

    // Back to the company's language (English): the record forgets the choice.
    elsewhere.get("/profile").await.ok(200);
    elsewhere.post("/profile", &[("display_name", "Li Wei"), ("locale", "")]).await;
    assert_eq!(json_ok(app.get("/api/v1/auth/me", &p.requester).await, 200).await["locale"], Value::Null);
    assert!(elsewhere.get("/").await.ok(200).contains("Welcome, Li Wei"));
    let bad = elsewhere.post("/profile", &[("display_name", "Li Wei"), ("locale", "fr")]).await.ok(422);
    assert!(bad.contains("id=\"locale-error\""));
    let bad = elsewhere.post("/profile", &[("display_name", " "), ("locale", "")]).await.ok(422);
    assert!(bad.contains("<p class=\"field-error\" id=\"display_name-error\">Enter your name.</p>"));
}

backend_test!(a_password_is_changed_with_the_current_one_and_the_rules_said_beside_the_fields);
async fn a_password_is_changed_with_the_current_one_and_the_rules_said_beside_the_fields(app: &TestApp) {
    let p = portal(app, "PTI").await;
    let mut web = WebClient::signed_in(app, &p.email, PASSWORD).await;
    let mut other_session = WebClient::signed_in(app, &p.email, PASSWORD).await;
    web.get("/profile").await.ok(200);
    let change = |current: &'static str, new: &'static str, repeat: &'static str| {
        [("current_password", current), ("new_password", new), ("repeat_password", repeat)]
    };
    let wrong = web
        .post("/profile/password", &change("not-my-password", "a-new-long-password", "a-new-long-password"))
        .await
        .ok(422);
    assert!(wrong.contains(
        "<p class=\"field-error\" id=\"current_password-error\">This is not your current password.</p>"
    ));
    let short = web.post("/profile/password", &change(PASSWORD, "short", "short")).await.ok(422);
    assert!(
        short.contains("<p class=\"field-error\" id=\"new_password-error\">Use 10 to 256 characters.</p>")
    );
    let differ = web
        .post("/profile/password", &change(PASSWORD, "a-new-long-password", "a-new-long-passwort"))
        .await
        .ok(422);
    assert!(differ.contains("id=\"repeat_password-error\""));
    app.login_raw(&p.email, PASSWORD).await.error_for_status().expect("the old password still works");

    let sent =
        web.post("/profile/password", &change(PASSWORD, "a-new-long-password", "a-new-long-password")).await;
    assert_eq!(sent.location.as_deref(), Some("/profile?saved=password"), "{}", sent.body);
    // This session carries on; the other one ended with the old password.
    assert!(web.get("/profile?saved=password").await.ok(200).contains("Your password is changed."));
    assert!(web.get("/tickets").await.ok(200).contains("My tickets"));
    eventually("the other session ends", std::time::Duration::from_secs(10), async || {
        let res = other_session.get("/tickets").await;
        if res.status == 303 { Ok(()) } else { Err(res.status.to_string()) }
    })
    .await;
    assert_eq!(app.login_raw(&p.email, PASSWORD).await.status(), 401);
    app.login_raw(&p.email, "a-new-long-password").await.error_for_status().expect("the new password works");
}

backend_test!(admins_list_the_tenants_tickets_requesters_their_own_by_filters_and_pages);
async fn admins_list_the_tenants_tickets_requesters_their_own_by_filters_and_pages(app: &TestApp) {
    let p = portal(app, "PTJ").await;
    let body = |title: &str, urgency: &str| {
        json!({"type": "incident", "title": title, "category": "network", "impact": "low", "urgency": urgency,
            "custom_fields": {"asset_tag": "N"}})
    };
    json_ok(app.post("/api/v1/tickets", &p.requester, body("Wifi drops in room 4", "high")).await, 201).await;
    json_ok(app.post("/api/v1/tickets", &p.admin, body("Switch firmware update", "low")).await, 201).await;
    let mut requester = WebClient::signed_in(app, &p.email, PASSWORD).await;
    let mine = requester.get("/tickets").await.ok(200);
    assert!(mine.contains("Wifi drops in room 4") && !mine.contains("Switch firmware update"));
    assert!(!mine.contains("name=\"mine\""), "a requester's list is always their own");

    let mut admin = WebClient::signed_in(app, "admin@ptj.test", PASSWORD).await;
    let all = admin.get("/tickets").await.ok(200);
    assert!(all.contains("<h1>Tickets</h1>"));
    assert!(all.contains("Wifi drops in room 4") && all.contains("Switch firmware update"));
    // Newest first.
    assert!(all.find("Switch firmware update").unwrap() < all.find("Wifi drops in room 4").unwrap());
    let raised = admin.get("/tickets?mine=1").await.ok(200);
    assert!(raised.contains("Switch firmware update") && !raised.contains("Wifi drops in room 4"));
    assert!(raised.contains("name=\"mine\" type=\"checkbox\" value=\"1\" checked"));
    let by_ref = admin.get("/tickets?q=ptj-1").await.ok(200);
    assert!(by_ref.contains("Wifi drops in room 4") && !by_ref.contains("Switch firmware update"));
    let by_words = admin.get("/tickets?q=firmware&priority=P4&status=new").await.ok(200);
    assert!(by_words.contains("Switch firmware update") && !by_words.contains("Wifi"));
    assert!(by_words.contains("<option value=\"P4\" selected>"));
    let none = admin.get("/tickets?priority=P1").await.ok(200);
    assert!(none.contains("No ticket matches these filters."));
    // An unknown value filters nothing; a made-up cursor is a form that cannot be read.
    assert!(admin.get("/tickets?status=whatever").await.ok(200).contains("Wifi drops"));
    assert_eq!(admin.get("/tickets?cursor=nonsense").await.status, 400);

    // 50 a page, then the next.
    for n in 0..50 {
        json_ok(app.post("/api/v1/tickets", &p.admin, body(&format!("Port {n} dead"), "low")).await, 201)
            .await;
    }
    let first = admin.get("/tickets").await.ok(200);
    assert_eq!(first.matches("<li class=\"ticket\">").count(), 50);
    assert!(first.contains("Port 49 dead") && !first.contains("Wifi drops"));
    let at = first.find("rel=\"next\"").expect("a next page");
    let href_at = first[..at].rfind("href=\"").unwrap() + 6;
    let next = first[href_at..href_at + first[href_at..].find('"').unwrap()].replace("&amp;", "&");
    let second = admin.get(&next).await.ok(200);
    assert_eq!(second.matches("<li class=\"ticket\">").count(), 2);
    assert!(second.contains("Switch firmware update") && second.contains("Wifi drops in room 4"));
    assert!(second.contains("First page") && !second.contains("rel=\"next\""));
}
