//! The knowledge base: articles found by Chinese and English words, ranked; each reader sees
//! what is published for them (another tenant's own articles, internal ones and drafts stay
//! hidden, in lists, reads, search and suggestions alike); edits are versioned; a resolved
//! ticket becomes an article in one step, and publishing it tells the tenant's webhooks.

use serde_json::{Value, json};
use uuid::Uuid;

use crate::helpers::*;

async fn article(app: &TestApp, token: &str, body: Value) -> Value {
    json_ok(app.post("/api/v1/kb/articles", token, body).await, 201).await
}

async fn titles(app: &TestApp, token: &str, path: &str) -> Vec<String> {
    let hits = json_ok(app.get(path, token).await, 200).await;
    hits.as_array().unwrap().iter().map(|h| h["title"].as_str().unwrap().to_owned()).collect()
}

fn q(text: &str) -> String {
    format!("/api/v1/kb/search?q={}", urlencode(text))
}

fn urlencode(s: &str) -> String {
    s.bytes()
        .map(|b| if b.is_ascii_alphanumeric() { (b as char).to_string() } else { format!("%{b:02X}") })
        .collect()
}

backend_test!(articles_are_found_in_chinese_and_english_by_those_who_may_read_them);
async fn articles_are_found_in_chinese_and_english_by_those_who_may_read_them(app: &TestApp) {
    let root = app.admin_token().await;
    let (a, a_admin) = app.tenant("KBA").await;
    let (b, b_admin) = app.tenant("KBB").await;
    let printer = article(
        app,
        &root,
        json!({"title": "打印机无法打印", "language": "zh-CN", "category": "hardware",
        "body": "重启打印服务（Print Spooler），清空打印队列后重新发送文档。", "visibility": "all_tenants",
        "status": "published", "tags": ["打印"]}),
    )
    .await;
    article(
        app,
        &root,
        json!({"title": "VPN cannot connect", "language": "en", "category": "network",
        "body": "Check that the VPN client certificate has not expired, then reinstall the client.",
        "visibility": "all_tenants", "status": "published"}),
    )
    .await;
    let finance = article(
        app,
        &root,
        json!({"title": "财务系统登录失败", "language": "zh-CN", "category": "software",
        "body": "财务系统账号被锁定时，由管理员在 ERP 中解锁。", "visibility": "tenant", "tenant_id": a,
        "status": "published"}),
    )
    .await;
    article(app, &root, json!({"title": "Spooler crash dumps", "language": "en", "category": "software",
        "body": "Internal: collect the print spooler's crash dumps before restarting it.", "visibility": "internal",
        "status": "published"}))
    .await;
    article(
        app,
        &root,
        json!({"title": "打印机卡纸", "language": "zh-CN", "category": "hardware",
        "body": "打开纸盒取出卡纸。", "visibility": "all_tenants"}),
    )
    .await;

    // Chinese, matched without a word list; drafts and internal articles are the provider's.
    assert_eq!(titles(app, &a_admin, &q("打印机")).await, ["打印机无法打印"]);
    let all = titles(app, &root, &q("打印机")).await;
    assert_eq!(all.len(), 2, "the provider sees the draft too: {all:?}");
    assert_eq!(titles(app, &a_admin, &q("财务系统")).await, ["财务系统登录失败"]);
    assert!(titles(app, &b_admin, &q("财务系统")).await.is_empty(), "another tenant's article stays hidden");
    // English, plurals folded, best first.
    assert_eq!(titles(app, &b_admin, &q("VPN certificates")).await, ["VPN cannot connect"]);
    assert_eq!(titles(app, &root, &q("spooler")).await[0], "Spooler crash dumps", "in the title ranks first");
    assert!(!titles(app, &a_admin, &q("spooler")).await.contains(&"Spooler crash dumps".to_owned()));

    // Lists and reads obey the same rules.
    let listed = json_ok(app.get("/api/v1/kb/articles", &b_admin).await, 200).await;
    let names: Vec<&str> = listed.as_array().unwrap().iter().map(|x| x["title"].as_str().unwrap()).collect();
    assert_eq!(names.len(), 2, "{names:?}");
    let finance_path = format!("/api/v1/kb/articles/{}", finance["id"].as_str().unwrap());
    problem(app.get(&finance_path, &b_admin).await, 404, "not_found").await;
    json_ok(app.get(&finance_path, &a_admin).await, 200).await;

    // Suggestions for a ticket: from its words, within what its tenant may read; staff
    // also get internal articles.
    let ticket = json_ok(
        app.post(
            "/api/v1/tickets",
            &a_admin,
            json!({"type": "incident", "title": "打印机打印不出来 spooler 报错",
            "category": "hardware", "impact": "medium", "urgency": "medium"}),
        )
        .await,
        201,
    )
    .await;
    let path = format!("/api/v1/tickets/{}/suggestions", ticket["id"].as_str().unwrap());
    let for_tenant = titles(app, &a_admin, &path).await;
    assert_eq!(for_tenant[0], "打印机无法打印");
    assert!(!for_tenant.iter().any(|t| t == "Spooler crash dumps"));
    let for_desk = titles(app, &root, &path).await;
    assert!(for_desk.iter().any(|t| t == "Spooler crash dumps"), "{for_desk:?}");
    assert!(!for_desk.iter().any(|t| t == "打印机卡纸"), "drafts are not suggested");
    let b_ticket = json_ok(
        app.post(
            "/api/v1/tickets",
            &b_admin,
            json!({"type": "incident", "title": "财务系统登录失败",
            "category": "software", "impact": "medium", "urgency": "medium"}),
        )
        .await,
        201,
    )
    .await;
    let b_path = format!("/api/v1/tickets/{}/suggestions", b_ticket["id"].as_str().unwrap());
    assert!(titles(app, &root, &b_path).await.is_empty(), "A's own article is never suggested to B");
    problem(app.get(&b_path, &a_admin).await, 404, "not_found").await;

    // Versions: each edit keeps the text before; a stale version is refused.
    let id = printer["id"].as_str().unwrap();
    let edited = app
        .call(
            reqwest::Method::PATCH,
            &format!("/api/v1/kb/articles/{id}"),
            Some(&root),
            Some(json!({
            "body": "重启打印服务，清空打印队列。若仍失败，重新安装驱动。", "version": 1})),
        )
        .await;
    assert_eq!(json_ok(edited, 200).await["version"], 2);
    let stale = app
        .call(
            reqwest::Method::PATCH,
            &format!("/api/v1/kb/articles/{id}"),
            Some(&root),
            Some(json!({
            "title": "x", "version": 1})),
        )
        .await;
    problem(stale, 412, "precondition_failed").await;
    let versions = json_ok(app.get(&format!("/api/v1/kb/articles/{id}/versions"), &root).await, 200).await;
    assert_eq!(versions.as_array().unwrap().len(), 2);
    assert!(versions[1]["body"].as_str().unwrap().contains("Print Spooler"));
    assert_eq!(titles(app, &a_admin, &q("驱动")).await, ["打印机无法打印"], "the index follows the edit");

    // Bad input and the wrong people.
    let bad = app
        .post(
            "/api/v1/kb/articles",
            &root,
            json!({"title": "", "body": "x", "category": "c", "language": "fr",
            "visibility": "tenant"}),
        )
        .await;
    let body = problem(bad, 422, "validation_failed").await;
    for field in ["title", "language", "tenant_id"] {
        assert!(body.to_string().contains(field), "{field}: {body}");
    }
    problem(
        app.post(
            "/api/v1/kb/articles",
            &a_admin,
            json!({"title": "t", "body": "b", "category": "c",
            "language": "en", "visibility": "all_tenants"}),
        )
        .await,
        403,
        "forbidden",
    )
    .await;
    problem(app.get("/api/v1/kb/search?q=", &a_admin).await, 422, "validation_failed").await;
    let _ = (b, Uuid::nil());
}

backend_test!(a_resolved_ticket_becomes_an_article_and_publishing_it_tells_the_tenant);
async fn a_resolved_ticket_becomes_an_article_and_publishing_it_tells_the_tenant(app: &TestApp) {
    let hooks = crate::webhooks::receiver().await;
    let root = app.admin_token().await;
    let (tenant, admin) = app.tenant("KBT").await;
    let path = format!("/api/v1/tenants/{tenant}/config");
    let mut c = json_ok(app.get(&path, &admin).await, 200).await;
    c["webhooks"] = json!([{"url": format!("{}/kb", hooks.base), "events": ["kb.article_published"],
        "secret": "whsec_tenant_secret_0001"}]);
    json_ok(app.put(&path, &admin, c).await, 200).await;
    let t = json_ok(
        app.post("/api/v1/tickets", &admin, json!({"type": "incident", "title": "Outlook 无法连接 Exchange",
            "description": "每天早上 Outlook 提示无法连接服务器。", "category": "software", "impact": "medium",
            "urgency": "medium"}))
        .await,
        201,
    )
    .await;
    let id = t["id"].as_str().unwrap();
    // Not resolved yet: nothing to write up.
    problem(
        app.post(&format!("/api/v1/tickets/{id}/article"), &root, json!({})).await,
        409,
        "invalid_transition",
    )
    .await;
    json_ok(
        app.call(
            reqwest::Method::PATCH,
            &format!("/api/v1/tickets/{id}"),
            Some(&root),
            Some(json!({
            "status": "resolved", "resolution_code": "fixed",
            "resolution_notes": "清除 Outlook 凭据缓存并重新登录。"})),
        )
        .await,
        200,
    )
    .await;
    let draft =
        json_ok(app.post(&format!("/api/v1/tickets/{id}/article"), &root, json!({})).await, 201).await;
    assert_eq!(
        (&draft["status"], &draft["language"], &draft["visibility"]),
        (&json!("draft"), &json!("zh-CN"), &json!("tenant"))
    );
    assert_eq!(draft["tenant_id"], json!(tenant));
    assert_eq!(draft["source_ticket_id"], json!(id));
    let body = draft["body"].as_str().unwrap();
    assert!(
        body.contains("## Symptom")
            && body.contains("## Resolution")
            && body.contains("清除 Outlook 凭据缓存"),
        "{body}"
    );
    // Drafts are the provider's: the tenant neither finds it nor is told.
    assert!(titles(app, &admin, &q("Outlook")).await.is_empty());

    let article_id = draft["id"].as_str().unwrap();
    let published = app
        .call(
            reqwest::Method::PATCH,
            &format!("/api/v1/kb/articles/{article_id}"),
            Some(&root),
            Some(json!({"status": "published", "version": 1})),
        )
        .await;
    assert_eq!(json_ok(published, 200).await["status"], "published");
    assert_eq!(titles(app, &admin, &q("Outlook 凭据")).await, ["Outlook 无法连接 Exchange"]);
    let delivered =
        crate::webhooks::until(app, &tenant.to_string(), &admin, "kb.article_published delivered", |rows| {
            rows.iter().any(|r| r["event_type"] == "kb.article_published" && r["status"] == "delivered")
        })
        .await;
    assert_eq!(delivered.iter().filter(|r| r["event_type"] == "kb.article_published").count(), 1);
    let seen = hooks.seen.lock().unwrap().clone();
    let payload: Value = serde_json::from_slice(&seen.last().unwrap().body).unwrap();
    assert_eq!(payload["data"]["article_id"], json!(article_id));
    // An article for every tenant reaches this tenant's hook too.
    article(
        app,
        &root,
        json!({"title": "Password policy", "body": "Passwords change every 90 days.",
        "category": "other", "language": "en", "visibility": "all_tenants", "status": "published"}),
    )
    .await;
    crate::webhooks::until(app, &tenant.to_string(), &admin, "the all-tenants article delivered", |rows| {
        rows.iter()
            .filter(|r| r["event_type"] == "kb.article_published" && r["status"] == "delivered")
            .count()
            == 2
    })
    .await;
    hooks.handle.stop(true).await;
}
