//! The web application over HTTP: sessions, CSRF, language, the security headers of every
//! page, and that a tenant's pages are not another tenant's.

use crate::helpers::*;
use crate::web_client::WebClient;

backend_test!(signing_in_and_out_holds_the_session_server_side_and_revokes_it);
async fn signing_in_and_out_holds_the_session_server_side_and_revokes_it(app: &TestApp) {
    let (_, _) = app.tenant("WEBA").await;
    let mut web = WebClient::new(app);
    // Not signed in: every page sends to the sign-in page, and back after.
    let res = web.get("/?tab=open").await;
    assert_eq!(res.status, 303);
    assert_eq!(res.location.as_deref(), Some("/login?next=/%3Ftab%3Dopen"));

    let page = web.get("/login").await.ok(200);
    assert!(page.contains("<label for=\"email\">Email</label>"));
    // The sign-in form's CSRF token is a cookie of its own (double submit), HttpOnly.
    assert!(web.cookie("canopy_csrf").is_some());

    let wrong = web
        .post("/login", &[("email", "admin@weba.test"), ("password", "not-the-password"), ("next", "/")])
        .await;
    assert_eq!(wrong.status, 401);
    assert!(wrong.body.contains("The email or the password is wrong."), "{}", wrong.body);
    assert!(wrong.body.contains("value=\"admin@weba.test\""), "the email is kept");

    let ok = web.post("/login", &[("email", "admin@weba.test"), ("password", PASSWORD), ("next", "/")]).await;
    assert_eq!(ok.status, 303);
    let cookie = ok
        .headers
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|v| v.starts_with("canopy_session="))
        .expect("a session cookie")
        .to_owned();
    assert!(cookie.contains("HttpOnly") && cookie.contains("SameSite=Lax"), "{cookie}");
    let id = web.cookie("canopy_session").unwrap().to_owned();
    // Only a random id: no token in the cookie.
    assert_eq!(id.len(), 43);
    assert!(!id.contains('.'));

    let home = web.get("/").await.ok(200);
    assert!(home.contains("Welcome, Admin"), "{home}");
    assert!(home.contains("WEBA Ltd"), "the tenant's name heads its pages");

    let out = web.post("/logout", &[]).await;
    assert_eq!((out.status.as_u16(), out.location.as_deref()), (303, Some("/login")));
    // The old cookie is worth nothing now, even if a copy was kept.
    let mut stolen = WebClient::new(app);
    stolen.get("/login").await;
    let res = stolen.get_with_session(&id).await;
    assert_eq!(res.status, 303, "a signed-out session is gone");
}

backend_test!(a_form_without_its_csrf_token_changes_nothing);
async fn a_form_without_its_csrf_token_changes_nothing(app: &TestApp) {
    let (_, _) = app.tenant("WEBB").await;
    // Sign-in without the token (a login CSRF): refused.
    let mut web = WebClient::new(app);
    web.get("/login").await.ok(200);
    let res = web.post_raw("/login", &[("email", "admin@webb.test"), ("password", PASSWORD)]).await;
    assert_eq!(res.status, 403);
    assert!(res.body.contains("The form has expired"));
    assert!(web.cookie("canopy_session").is_none());

    let mut web = WebClient::signed_in(app, "admin@webb.test", PASSWORD).await;
    web.get("/").await.ok(200);
    // Sign-out without the token, or with another session's: refused, still signed in.
    let res = web.post_raw("/logout", &[]).await;
    assert_eq!(res.status, 403);
    let res = web.post_raw("/logout", &[("_csrf", "x".repeat(43).as_str())]).await;
    assert_eq!(res.status, 403);
    // Still signed in: the sign-in page sends home.
    assert!(web.get_following("/login").await.ok(200).contains("Welcome, Admin"));
}

backend_test!(pages_come_in_the_language_asked_for_and_chosen);
async fn pages_come_in_the_language_asked_for_and_chosen(app: &TestApp) {
    let (_, _) = app.tenant("WEBC").await;
    let mut web = WebClient::new(app).accept_language("zh-CN,zh;q=0.9,en;q=0.5");
    let page = web.get("/login").await.ok(200);
    assert!(page.contains("<html lang=\"zh-CN\">"));
    assert!(page.contains("登录 IT 服务门户"));
    // The switch remembers English in a cookie, over the browser's wish.
    let res = web.post("/lang", &[("lang", "en"), ("next", "/login")]).await;
    assert_eq!(res.status, 303);
    let page = web.get("/login").await.ok(200);
    assert!(page.contains("<html lang=\"en\">") && page.contains("Sign in to your IT service portal"));

    // A signed-in user's choice is their session's.
    let mut web = WebClient::signed_in(app, "admin@webc.test", PASSWORD).await;
    web.get("/").await.ok(200);
    web.post("/lang", &[("lang", "zh-CN"), ("next", "/")]).await;
    let page = web.get("/").await.ok(200);
    assert!(page.contains("欢迎，Admin"), "{page}");
}

backend_test!(every_page_carries_a_strict_policy_and_no_inline_script);
async fn every_page_carries_a_strict_policy_and_no_inline_script(app: &TestApp) {
    let (_, _) = app.tenant("WEBD").await;
    let mut anonymous = WebClient::new(app);
    let mut web = WebClient::signed_in(app, "admin@webd.test", PASSWORD).await;
    for (path, signed) in [("/login", false), ("/", true), ("/no-such-page", true), ("/no-such-page", false)]
    {
        let res = if signed { web.get(path).await } else { anonymous.get(path).await };
        let csp =
            res.headers.get("content-security-policy").and_then(|v| v.to_str().ok()).unwrap_or_default();
        assert!(csp.contains("script-src 'self'") && !csp.contains("unsafe-inline"), "{path}: {csp}");
        assert!(
            csp.contains("frame-ancestors 'none'") && csp.contains("form-action 'self'"),
            "{path}: {csp}"
        );
        assert_eq!(res.headers.get("x-frame-options").and_then(|v| v.to_str().ok()), Some("DENY"));
        assert!(!res.body.contains("<script>") && !res.body.contains(" style="), "{path}");
        assert!(!res.body.contains(" onclick="), "{path}");
    }
    let missing = web.get("/no-such-page").await;
    assert_eq!(missing.status, 404);
    assert!(missing.body.contains("Not found"), "an HTML page, not a problem document");
}

backend_test!(a_tenants_colour_is_its_own_stylesheet);
async fn a_tenants_colour_is_its_own_stylesheet(app: &TestApp) {
    let (tenant, admin) = app.tenant("WEBE").await;
    let config = json_ok(app.get(&format!("/api/v1/tenants/{tenant}/config"), &admin).await, 200).await;
    let mut doc = config.clone();
    doc["branding"] = serde_json::json!({"display_name": "Weber GmbH", "primary_color": "#8a2be2"});
    json_ok(app.put(&format!("/api/v1/tenants/{tenant}/config"), &admin, doc).await, 200).await;
    let mut web = WebClient::signed_in(app, "admin@webe.test", PASSWORD).await;
    let home = web.get("/").await.ok(200);
    assert!(home.contains("Weber GmbH"));
    let css = web.get("/brand.css").await.ok(200);
    assert_eq!(css.trim(), ":root { --brand: #8a2be2; }");
    // Someone not signed in gets the platform's own colours.
    let css = WebClient::new(app).get("/brand.css").await.ok(200);
    assert!(css.trim().is_empty());
}
