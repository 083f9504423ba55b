//! The pages. Each handler answers the whole page, or only its fragment when htmx asks
//! (`HX-Request`), so that every page works without script. What every page shares is here:
//! who is visiting ([`Visitor`], [`Signed`]), the page's chrome for the layout ([`Chrome`]),
//! and the error pages ([`PageError`]).

pub mod admin;
pub mod auth;
pub mod finance;
pub mod home;
pub mod portal;
pub mod settings;

use std::future::Future;
use std::pin::Pin;

use actix_web::http::StatusCode;
use actix_web::http::header::{self, HeaderValue};
use actix_web::{FromRequest, HttpRequest, HttpResponse, ResponseError, web};
use askama::Template;
use chrono::{DateTime, Utc};

use canopy_api::client::CallError;
use canopy_kernel::FieldError;

use crate::format;
use crate::i18n::{Arg, Lang};
use crate::session::{self, CSRF_HEADER, Session, SessionUser, TenantChrome};
use crate::state::WebState;

/// The layout's view of the visit: language, CSRF token, who is signed in, their tenant.
pub struct Chrome {
    pub lang: Lang,
    pub csrf: String,
    pub user: Option<SessionUser>,
    pub tenant: Option<TenantChrome>,
    /// The path of the page, for the current navigation item and the language switch.
    pub path: String,
    pub now: DateTime<Utc>,
}

impl Chrome {
    pub fn t(&self, key: &str) -> String {
        self.lang.t(key)
    }

    pub fn t1(&self, key: &str, name: &'static str, value: impl std::fmt::Display) -> String {
        self.lang.t_with(key, &[(name, Arg::Text(value.to_string()))])
    }

    /// The navigation item of `prefix` is the current page's.
    pub fn here(&self, prefix: &str) -> bool {
        if prefix == "/" { self.path == "/" } else { self.path.starts_with(prefix) }
    }

    pub fn is_admin(&self) -> bool {
        self.user.as_ref().is_some_and(SessionUser::is_tenant_admin)
    }

    pub fn user_name(&self) -> &str {
        self.user.as_ref().map_or("", |u| u.display_name.as_str())
    }

    pub fn brand_name(&self) -> String {
        self.tenant.as_ref().map_or_else(|| "Canopy".to_owned(), |t| t.name.clone())
    }

    /// The time zone times are shown in: the tenant's, or UTC for staff.
    pub fn zone(&self) -> &str {
        self.tenant.as_ref().map_or("UTC", |t| t.timezone.as_str())
    }

    /// A moment as the reader's tenant sees it: `2026-10-05 14:30`.
    pub fn when(&self, at: &DateTime<Utc>) -> String {
        format::local_time(at, self.zone())
    }

    /// The same as machine-readable text (a `datetime` attribute).
    pub fn iso(&self, at: &DateTime<Utc>) -> String {
        at.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
    }

    /// How long until (or since) `at`, in words: `in 2 h 5 min`, `3 min overdue`.
    pub fn until(&self, at: &DateTime<Utc>) -> String {
        format::until(self.lang, self.now, *at)
    }

    /// `warning` within the last hour before `at`, `breached` after it.
    pub fn risk(&self, at: &DateTime<Utc>) -> &'static str {
        let left = *at - self.now;
        if left <= chrono::Duration::zero() {
            "breached"
        } else if left <= chrono::Duration::hours(1) {
            "warning"
        } else {
            "ok"
        }
    }

    pub fn other_langs(&self) -> Vec<Lang> {
        Lang::ALL.into_iter().filter(|l| *l != self.lang).collect()
    }
}

/// Whoever is visiting: signed in or not.
pub struct Visitor {
    pub lang: Lang,
    pub session: Option<(String, Session)>,
    /// The anonymous visitor's CSRF token (double submit), made now when new.
    pub anonymous_csrf: (String, bool),
    pub htmx: bool,
    pub path: String,
    pub now: DateTime<Utc>,
}

impl Visitor {
    pub fn chrome(&self) -> Chrome {
        let session = self.session.as_ref().map(|(_, s)| s);
        Chrome {
            lang: self.lang,
            csrf: session.map_or_else(|| self.anonymous_csrf.0.clone(), |s| s.csrf.clone()),
            user: session.map(|s| s.user.clone()),
            tenant: session.and_then(|s| s.tenant.clone()),
            path: self.path.clone(),
            now: self.now,
        }
    }

    /// Sets the anonymous CSRF cookie on `res` when it was made for this answer.
    pub fn finish(&self, req: &HttpRequest, mut res: HttpResponse) -> HttpResponse {
        if self.anonymous_csrf.1 {
            let value =
                session::set_cookie(req, session::CSRF_COOKIE, &self.anonymous_csrf.0, None, "Strict");
            res.headers_mut().append(header::SET_COOKIE, value);
        }
        res
    }

    /// The language: the user's choice, the tenant's, the cookie's, then the browser's.
    fn lang_of(req: &HttpRequest, session: Option<&Session>) -> Lang {
        session
            .and_then(|s| s.lang.or_else(|| s.tenant.as_ref().map(|t| t.lang)))
            .or_else(|| session::cookie(req, session::LANG_COOKIE).and_then(Lang::from_tag))
            .or_else(|| {
                req.headers()
                    .get(header::ACCEPT_LANGUAGE)
                    .and_then(|v| v.to_str().ok())
                    .and_then(Lang::from_accept_language)
            })
            .unwrap_or_default()
    }

    async fn read(req: HttpRequest) -> Result<Self, PageError> {
        let state = req
            .app_data::<web::Data<WebState>>()
            .cloned()
            .ok_or_else(|| PageError::internal(Lang::En, "the web state is missing"))?;
        let now = state.clock.now();
        let mut session = None;
        if let Some(id) = session::cookie(&req, session::SESSION_COOKIE) {
            match state.sessions.load(id).await {
                Ok(Some(s)) => session = Some((id.to_owned(), s)),
                Ok(None) => {}
                Err(err) => {
                    tracing::warn!(error = %format!("{err:#}"), "sessions unavailable");
                    return Err(PageError::unavailable(Self::lang_of(&req, None)));
                }
            }
        }
        let lang = Self::lang_of(&req, session.as_ref().map(|(_, s)| s));
        let anonymous_csrf = match session::cookie(&req, session::CSRF_COOKIE) {
            Some(token) if token.len() >= 32 => (token.to_owned(), false),
            _ => (session::random_token(), true),
        };
        Ok(Self {
            lang,
            session,
            anonymous_csrf,
            htmx: req.headers().contains_key("hx-request"),
            path: req.path().to_owned(),
            now,
        })
    }

    /// Whether `sent` is this visitor's CSRF token (the session's, or the double-submit
    /// cookie's for a visitor not signed in).
    pub fn csrf_ok(&self, sent: Option<&str>) -> bool {
        let expected = match &self.session {
            Some((_, s)) => s.csrf.as_str(),
            None if self.anonymous_csrf.1 => return false,
            None => self.anonymous_csrf.0.as_str(),
        };
        sent.is_some_and(|sent| session::same_secret(sent, expected))
    }
}

impl FromRequest for Visitor {
    type Error = PageError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, PageError>>>>;

    fn from_request(req: &HttpRequest, _: &mut actix_web::dev::Payload) -> Self::Future {
        Box::pin(Self::read(req.clone()))
    }
}

/// A signed-in visitor, with a fresh access token; anyone else is sent to sign in first and
/// comes back here after.
pub struct Signed {
    pub visitor: Visitor,
    pub id: String,
    pub session: Session,
}

impl Signed {
    pub fn token(&self) -> &str {
        &self.session.access_token
    }

    pub fn user(&self) -> &SessionUser {
        &self.session.user
    }

    pub fn chrome(&self) -> Chrome {
        self.visitor.chrome()
    }

    pub fn lang(&self) -> Lang {
        self.visitor.lang
    }

    /// The tenant the user belongs to; staff have none (their console is elsewhere).
    pub fn tenant(&self) -> Result<uuid::Uuid, PageError> {
        self.session.user.tenant_id.ok_or_else(|| PageError::not_found(self.lang()))
    }

    /// Refuses a form without this session's CSRF token.
    pub fn check_csrf(&self, req: &HttpRequest, form_token: Option<&str>) -> Result<(), PageError> {
        let header = req.headers().get(CSRF_HEADER).and_then(|v| v.to_str().ok());
        if self.visitor.csrf_ok(form_token.or(header)) { Ok(()) } else { Err(PageError::csrf(self.lang())) }
    }

    /// What a refused or failed API call means for this page.
    pub fn fail(&self, err: CallError) -> PageError {
        PageError::from_call(self.lang(), &self.visitor.path, err)
    }

    async fn read(req: HttpRequest) -> Result<Self, PageError> {
        let visitor = Visitor::read(req.clone()).await?;
        let sign_in = || PageError::sign_in(visitor.lang, &req);
        let Some((id, mut session)) = visitor.session.clone() else {
            return Err(sign_in());
        };
        let state = req
            .app_data::<web::Data<WebState>>()
            .cloned()
            .ok_or_else(|| PageError::internal(visitor.lang, "the web state is missing"))?;
        // Real time, not business time: tokens expire by the wall clock.
        let now = Utc::now();
        let mut changed = false;
        if session.access_expires_at - now < chrono::Duration::seconds(60) {
            match state.api.tenants.refresh(&session.refresh_token, &state.api.on_behalf(&req)).await {
                Ok(pair) => {
                    session.access_token = pair.access_token;
                    session.refresh_token = pair.refresh_token;
                    session.access_expires_at = now + chrono::Duration::seconds(pair.expires_in as i64);
                    changed = true;
                    // What the pages show of the user and the tenant (roles, name, colours)
                    // is brought up to date with the tokens.
                    refresh_chrome(&state, &mut session).await;
                }
                Err(err) if err.is_refusal() => {
                    let _ = state.sessions.end(&id).await;
                    return Err(sign_in());
                }
                Err(err) => {
                    tracing::warn!(error = %err, "token refresh failed");
                    return Err(PageError::unavailable(visitor.lang));
                }
            }
        }
        if changed || now - session.touched_at > chrono::Duration::minutes(5) {
            session.touched_at = now;
            if let Err(err) = state.sessions.save(&id, &session).await {
                tracing::warn!(error = %format!("{err:#}"), "session not saved");
            }
        }
        let visitor = Visitor { session: Some((id.clone(), session.clone())), ..visitor };
        Ok(Self { visitor, id, session })
    }
}

async fn refresh_chrome(state: &WebState, session: &mut Session) {
    match state.api.tenants.me(&session.access_token).await {
        Ok(me) => {
            session.user.display_name = me.display_name;
            session.user.email = me.email;
            session.user.roles = me.roles;
        }
        Err(err) => tracing::debug!(error = %err, "the user's record was not re-read"),
    }
    if let Some(tenant) = session.user.tenant_id {
        match auth::tenant_chrome(state, &session.access_token, tenant).await {
            Ok(chrome) => session.tenant = Some(chrome),
            Err(err) => tracing::debug!(error = %err, "the tenant's chrome was not re-read"),
        }
    }
}

impl FromRequest for Signed {
    type Error = PageError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, PageError>>>>;

    fn from_request(req: &HttpRequest, _: &mut actix_web::dev::Payload) -> Self::Future {
        Box::pin(Self::read(req.clone()))
    }
}

/// Renders a template as a page (200).
pub fn render(template: &impl Template) -> Result<HttpResponse, PageError> {
    render_status(StatusCode::OK, template)
}

pub fn render_status(status: StatusCode, template: &impl Template) -> Result<HttpResponse, PageError> {
    let body = template.render().map_err(|e| PageError::internal(Lang::En, e))?;
    Ok(html(status, body))
}

fn html(status: StatusCode, body: String) -> HttpResponse {
    HttpResponse::build(status)
        .content_type("text/html; charset=utf-8")
        .insert_header((header::CONTENT_SECURITY_POLICY, CSP))
        .insert_header((header::VARY, "Cookie, Accept-Language, HX-Request"))
        .body(body)
}

/// See other: after a form is done (POST, redirect, GET), or to sign in first.
pub fn see_other(location: &str) -> HttpResponse {
    HttpResponse::SeeOther()
        .insert_header((
            header::LOCATION,
            HeaderValue::from_str(location).unwrap_or(HeaderValue::from_static("/")),
        ))
        .finish()
}

/// The pages' policy: only our own scripts and styles (no inline ones at all), images from
/// here or a tenant's logo over https, nothing framed, forms post only here.
pub const CSP: &str = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' https: data:; \
    connect-src 'self'; font-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'";

/// Field errors of a refused form, by field name.
#[derive(Default)]
pub struct FieldErrors(pub Vec<FieldError>);

impl FieldErrors {
    pub fn of(&self, field: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|e| {
                e.field == field
                    || e.field.starts_with(&format!("{field}."))
                    || e.field.starts_with(&format!("{field}["))
            })
            .map(|e| e.message.as_str())
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Errors that name no field the form shows.
    pub fn others(&self, shown: &[&str]) -> Vec<&FieldError> {
        self.0
            .iter()
            .filter(|e| {
                !shown.iter().any(|f| {
                    e.field == *f
                        || e.field.starts_with(&format!("{f}."))
                        || e.field.starts_with(&format!("{f}["))
                })
            })
            .collect()
    }
}

#[derive(Debug)]
pub enum Failure {
    NotFound,
    Forbidden,
    /// Sign in first, then go to the path.
    SignIn(String),
    Csrf,
    /// A form or query that cannot be read at all.
    BadForm,
    Unavailable,
    Internal,
}

/// A page that cannot be shown: rendered in the visitor's language.
#[derive(Debug)]
pub struct PageError {
    pub lang: Lang,
    pub failure: Failure,
}

impl std::fmt::Display for PageError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{:?}", self.failure)
    }
}

impl PageError {
    pub fn not_found(lang: Lang) -> Self {
        Self { lang, failure: Failure::NotFound }
    }

    pub fn forbidden(lang: Lang) -> Self {
        Self { lang, failure: Failure::Forbidden }
    }

    pub fn csrf(lang: Lang) -> Self {
        Self { lang, failure: Failure::Csrf }
    }

    pub fn unavailable(lang: Lang) -> Self {
        Self { lang, failure: Failure::Unavailable }
    }

    pub fn internal(lang: Lang, err: impl std::fmt::Display) -> Self {
        tracing::error!(error = %err, "page failed");
        Self { lang, failure: Failure::Internal }
    }

    pub fn sign_in(lang: Lang, req: &HttpRequest) -> Self {
        let next = match req.uri().path_and_query() {
            Some(pq) if req.method() == actix_web::http::Method::GET => pq.as_str().to_owned(),
            _ => "/".to_owned(),
        };
        Self { lang, failure: Failure::SignIn(next) }
    }

    /// A refused call: not found and forbidden alike show the not-found page (another
    /// tenant's ticket and no ticket look the same); a withdrawn token asks to sign in.
    pub fn from_call(lang: Lang, path: &str, err: CallError) -> Self {
        match err.status() {
            Some(401) => Self { lang, failure: Failure::SignIn(path.to_owned()) },
            Some(403 | 404) => Self::not_found(lang),
            Some(429) | None => {
                tracing::warn!(error = %err, "API unavailable to a page");
                Self::unavailable(lang)
            }
            Some(s) if s >= 500 => {
                tracing::warn!(error = %err, "API failed for a page");
                Self::unavailable(lang)
            }
            Some(_) => Self::internal(lang, err),
        }
    }
}

#[derive(Template)]
#[template(path = "error.html")]
struct ErrorPage {
    ctx: Chrome,
    title: String,
    message: String,
}

impl ResponseError for PageError {
    fn status_code(&self) -> StatusCode {
        match self.failure {
            Failure::NotFound => StatusCode::NOT_FOUND,
            Failure::Forbidden | Failure::Csrf => StatusCode::FORBIDDEN,
            Failure::BadForm => StatusCode::BAD_REQUEST,
            Failure::SignIn(_) => StatusCode::SEE_OTHER,
            Failure::Unavailable => StatusCode::SERVICE_UNAVAILABLE,
            Failure::Internal => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    fn error_response(&self) -> HttpResponse {
        let (title, message) = match &self.failure {
            Failure::SignIn(next) => {
                let location = format!("/login?next={}", format::url_encode(next));
                return see_other(&location);
            }
            Failure::NotFound => ("not-found-title", "not-found-text"),
            Failure::Forbidden => ("forbidden-title", "forbidden-text"),
            Failure::Csrf => ("csrf-title", "csrf-text"),
            Failure::BadForm => ("bad-form-title", "bad-form-text"),
            Failure::Unavailable => ("unavailable-title", "unavailable-text"),
            Failure::Internal => ("internal-title", "internal-text"),
        };
        let page = ErrorPage {
            ctx: Chrome {
                lang: self.lang,
                csrf: String::new(),
                user: None,
                tenant: None,
                path: String::new(),
                now: Utc::now(),
            },
            title: self.lang.t(title),
            message: self.lang.t(message),
        };
        let body = page.render().unwrap_or_else(|_| self.lang.t(message));
        html(self.status_code(), body)
    }
}

/// A form that cannot be read (a field missing or of the wrong kind) is refused with a page,
/// in the visitor's language.
pub fn form_config() -> web::FormConfig {
    web::FormConfig::default().limit(256 * 1024).error_handler(|err, req| {
        tracing::debug!(error = %err, "form refused");
        PageError { lang: lang_of_request(req), failure: Failure::BadForm }.into()
    })
}

/// The same for a query string.
pub fn query_config() -> web::QueryConfig {
    web::QueryConfig::default().error_handler(|err, req| {
        tracing::debug!(error = %err, "query refused");
        PageError { lang: lang_of_request(req), failure: Failure::BadForm }.into()
    })
}

fn lang_of_request(req: &HttpRequest) -> Lang {
    req.headers()
        .get(header::ACCEPT_LANGUAGE)
        .and_then(|v| v.to_str().ok())
        .and_then(Lang::from_accept_language)
        .unwrap_or_default()
}

/// The page for every path that names nothing.
pub async fn not_found(visitor: Visitor) -> Result<HttpResponse, PageError> {
    Err(PageError::not_found(visitor.lang))
}
