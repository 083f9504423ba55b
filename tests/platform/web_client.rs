//! A browser without a browser: the web application's pages over HTTP through the gateway,
//! with the cookies a browser would keep and the CSRF token of the last page it read. For
//! what needs a real browser (script, layout, screenshots) see `browser.rs`.

use std::collections::BTreeMap;

use reqwest::StatusCode;
use reqwest::header::{COOKIE, LOCATION, SET_COOKIE};

use crate::helpers::TestApp;

pub struct WebClient {
    base: String,
    http: reqwest::Client,
    cookies: BTreeMap<String, String>,
    /// The `_csrf` of the last page read.
    pub csrf: Option<String>,
    lang: Option<String>,
}

/// A page as it came: status, where it sent us (for 303), the HTML.
pub struct Answer {
    pub status: StatusCode,
    pub location: Option<String>,
    pub body: String,
    pub headers: reqwest::header::HeaderMap,
}

impl Answer {
    /// Asserts the status and gives the body.
    pub fn ok(self, status: u16) -> String {
        assert_eq!(self.status.as_u16(), status, "{}", self.body);
        self.body
    }
}

impl WebClient {
    pub fn new(app: &TestApp) -> Self {
        let http = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .timeout(std::time::Duration::from_secs(30))
            .pool_idle_timeout(std::time::Duration::from_secs(2))
            .build()
            .expect("client");
        Self { base: app.base.clone(), http, cookies: BTreeMap::new(), csrf: None, lang: None }
    }

    /// Asks for pages in `lang` (`Accept-Language`).
    pub fn accept_language(mut self, lang: &str) -> Self {
        self.lang = Some(lang.to_owned());
        self
    }

    /// Signs in through the form; panics unless it is accepted.
    pub async fn signed_in(app: &TestApp, email: &str, password: &str) -> Self {
        let mut web = Self::new(app);
        web.sign_in(email, password).await;
        web
    }

    pub async fn sign_in(&mut self, email: &str, password: &str) {
        self.get("/login").await.ok(200);
        let res = self.post("/login", &[("email", email), ("password", password), ("next", "/")]).await;
        assert_eq!(res.status, StatusCode::SEE_OTHER, "sign-in refused: {}", res.body);
        assert!(self.cookies.contains_key("canopy_session"), "no session cookie");
    }

    pub fn cookie(&self, name: &str) -> Option<&str> {
        self.cookies.get(name).map(String::as_str)
    }

    fn keep(&mut self, res: &reqwest::Response) {
        for value in res.headers().get_all(SET_COOKIE) {
            let Ok(value) = value.to_str() else { continue };
            let pair = value.split(';').next().unwrap_or_default();
            if let Some((name, v)) = pair.split_once('=') {
                if v.is_empty() || value.contains("Max-Age=0") {
                    self.cookies.remove(name);
                } else {
                    self.cookies.insert(name.to_owned(), v.to_owned());
                }
            }
        }
    }

    fn cookie_header(&self) -> String {
        self.cookies.iter().map(|(k, v)| format!("{k}={v}")).collect::<Vec<_>>().join("; ")
    }

    async fn answer(&mut self, req: reqwest::RequestBuilder) -> Answer {
        let mut req = req.header(COOKIE, self.cookie_header());
        if let Some(lang) = &self.lang {
            req = req.header("accept-language", lang);
        }
        let res = req.send().await.expect("the gateway answers");
        self.keep(&res);
        let status = res.status();
        let headers = res.headers().clone();
        let location = headers.get(LOCATION).and_then(|v| v.to_str().ok()).map(str::to_owned);
        let body = res.text().await.unwrap_or_default();
        if let Some(token) = csrf_of(&body) {
            self.csrf = Some(token);
        }
        Answer { status, location, body, headers }
    }

    /// The start page with `session` as the session cookie (as someone who copied it would).
    pub async fn get_with_session(&mut self, session: &str) -> Answer {
        self.cookies.insert("canopy_session".into(), session.to_owned());
        self.get("/").await
    }

    pub async fn get(&mut self, path: &str) -> Answer {
        let req = self.http.get(format!("{}{path}", self.base));
        self.answer(req).await
    }

    /// A page as htmx asks for it (`HX-Request`): the fragment only.
    pub async fn get_htmx(&mut self, path: &str) -> Answer {
        let req = self.http.get(format!("{}{path}", self.base)).header("hx-request", "true");
        self.answer(req).await
    }

    /// Follows redirects like a browser after a form (303 → GET).
    pub async fn get_following(&mut self, path: &str) -> Answer {
        let mut answer = self.get(path).await;
        for _ in 0..5 {
            match (&answer.status, &answer.location) {
                (s, Some(to)) if s.is_redirection() => {
                    let to = to.strip_prefix(&self.base).unwrap_or(to).to_owned();
                    answer = self.get(&to).await;
                }
                _ => break,
            }
        }
        answer
    }

    /// Posts a form with the CSRF token of the last page read.
    pub async fn post(&mut self, path: &str, fields: &[(&str, &str)]) -> Answer {
        let csrf = self.csrf.clone().unwrap_or_default();
        let mut all: Vec<(&str, &str)> = vec![("_csrf", csrf.as_str())];
        all.extend_from_slice(fields);
        self.post_raw(path, &all).await
    }

    /// Posts exactly these fields (no CSRF token added).
    pub async fn post_raw(&mut self, path: &str, fields: &[(&str, &str)]) -> Answer {
        let body: String = form_urlencoded::Serializer::new(String::new()).extend_pairs(fields).finish();
        let req = self
            .http
            .post(format!("{}{path}", self.base))
            .header("content-type", "application/x-www-form-urlencoded")
            .body(body);
        self.answer(req).await
    }
}

/// The value of the first `name="_csrf"` hidden field of a page.
pub fn csrf_of(html: &str) -> Option<String> {
    let at = html.find("name=\"_csrf\" value=\"")? + "name=\"_csrf\" value=\"".len();
    let rest = &html[at..];
    Some(rest[..rest.find('"')?].to_owned())
}
