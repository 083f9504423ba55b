//! Sessions: the browser holds only a random id in an HttpOnly, SameSite=Lax cookie (Secure
//! when the page came over TLS); the tokens, the user and the chosen language live in the
//! shared cache (Redis, or in process), keyed by a digest of the id so that a copy of the
//! cache holds no usable cookie. Each session has its own CSRF token, which every form that
//! changes something carries; visitors not signed in get one in a cookie of its own
//! (double submit) for the sign-in form.

use std::sync::Arc;
use std::time::Duration;

use actix_web::HttpRequest;
use actix_web::http::header::{self, HeaderValue};
use base64::Engine;
use chrono::{DateTime, Utc};
use rand::RngCore;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use uuid::Uuid;

use canopy_kernel::auth::Role;
use canopy_kernel::backends::{Cache, CacheExt};

use crate::i18n::Lang;

pub const SESSION_COOKIE: &str = "canopy_session";
pub const CSRF_COOKIE: &str = "canopy_csrf";
pub const LANG_COOKIE: &str = "canopy_lang";
/// The form field (and, for htmx, the header) that carries the CSRF token.
pub const CSRF_FIELD: &str = "_csrf";
pub const CSRF_HEADER: &str = "x-csrf-token";

/// A session ends after this long without a page.
pub const IDLE: Duration = Duration::from_secs(8 * 3600);

/// A random, URL-safe secret of 32 bytes.
pub fn random_token() -> String {
    let mut bytes = [0u8; 32];
    rand::thread_rng().fill_bytes(&mut bytes);
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

/// Compares two secrets by their digests, so the time taken says nothing about either.
pub fn same_secret(a: &str, b: &str) -> bool {
    Sha256::digest(a.as_bytes()) == Sha256::digest(b.as_bytes())
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Session {
    pub csrf: String,
    pub access_token: String,
    pub access_expires_at: DateTime<Utc>,
    pub refresh_token: String,
    pub user: SessionUser,
    /// The user's own choice of language, when made.
    pub lang: Option<Lang>,
    /// What the pages show of the user's tenant (none for provider staff).
    pub tenant: Option<TenantChrome>,
    pub touched_at: DateTime<Utc>,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct SessionUser {
    pub id: Uuid,
    pub tenant_id: Option<Uuid>,
    pub email: String,
    pub display_name: String,
    pub roles: Vec<Role>,
}

impl SessionUser {
    pub fn has(&self, role: Role) -> bool {
        self.roles.contains(&role)
    }

    pub fn is_tenant_admin(&self) -> bool {
        self.has(Role::TenantAdmin)
    }

    pub fn is_staff(&self) -> bool {
        self.tenant_id.is_none()
    }
}

/// The tenant as its pages show it: its name and colours, its zone and language.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct TenantChrome {
    pub id: Uuid,
    pub name: String,
    pub timezone: String,
    pub lang: Lang,
    /// `#RRGGBB`, checked.
    pub color: Option<String>,
    pub logo_url: Option<String>,
}

/// Where sessions live.
#[derive(Clone)]
pub struct Sessions {
    cache: Arc<dyn Cache>,
}

impl Sessions {
    pub fn new(cache: Arc<dyn Cache>) -> Self {
        Self { cache }
    }

    fn key(id: &str) -> String {
        let digest = Sha256::digest(id.as_bytes());
        let hex: String = digest.iter().map(|b| format!("{b:02x}")).collect();
        format!("web-session:{hex}")
    }

    pub async fn load(&self, id: &str) -> anyhow::Result<Option<Session>> {
        self.cache.get_json(&Self::key(id)).await
    }

    pub async fn save(&self, id: &str, session: &Session) -> anyhow::Result<()> {
        self.cache.set_json(&Self::key(id), session, IDLE).await
    }

    pub async fn end(&self, id: &str) -> anyhow::Result<()> {
        self.cache.delete(&Self::key(id)).await
    }
}

/// A cookie's value from the request's `Cookie` headers.
pub fn cookie<'a>(req: &'a HttpRequest, name: &str) -> Option<&'a str> {
    req.headers()
        .get_all(header::COOKIE)
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v.trim_matches('"'))
        .filter(|v| !v.is_empty())
}

/// Whether the visitor reached the platform over TLS (the gateway says how it was reached).
pub fn over_tls(req: &HttpRequest) -> bool {
    req.connection_info().scheme() == "https"
}

/// A `Set-Cookie` value: HttpOnly, path `/`, SameSite as given, Secure over TLS; `max_age`
/// none for a cookie of the browser session, zero to remove it.
pub fn set_cookie(
    req: &HttpRequest,
    name: &str,
    value: &str,
    max_age: Option<Duration>,
    same_site: &str,
) -> HeaderValue {
    let mut out = format!("{name}={value}; Path=/; HttpOnly; SameSite={same_site}");
    if let Some(age) = max_age {
        out.push_str(&format!("; Max-Age={}", age.as_secs()));
    }
    if over_tls(req) {
        out.push_str("; Secure");
    }
    HeaderValue::from_str(&out).unwrap_or_else(|_| HeaderValue::from_static("canopy_invalid=; Max-Age=0"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use actix_web::test::TestRequest;

    #[test]
    fn cookies_are_read_from_every_cookie_header() {
        let req = TestRequest::default()
            .insert_header((header::COOKIE, "a=1; canopy_session=abc"))
            .append_header((header::COOKIE, "canopy_lang=zh-CN"))
            .to_http_request();
        assert_eq!(cookie(&req, SESSION_COOKIE), Some("abc"));
        assert_eq!(cookie(&req, LANG_COOKIE), Some("zh-CN"));
        assert_eq!(cookie(&req, "missing"), None);
    }

    #[test]
    fn session_cookies_are_http_only_and_secure_over_tls() {
        let plain = TestRequest::default().to_http_request();
        let value = set_cookie(&plain, SESSION_COOKIE, "x", None, "Lax");
        assert_eq!(value.to_str().ok(), Some("canopy_session=x; Path=/; HttpOnly; SameSite=Lax"));
        let tls = TestRequest::default().insert_header(("x-forwarded-proto", "https")).to_http_request();
        let value = set_cookie(&tls, SESSION_COOKIE, "x", Some(Duration::ZERO), "Lax");
        assert!(value.to_str().is_ok_and(|v| v.ends_with("; Max-Age=0; Secure")));
    }

    #[test]
    fn tokens_are_random_and_compared_whole() {
        let (a, b) = (random_token(), random_token());
        assert_ne!(a, b);
        assert_eq!(a.len(), 43);
        assert!(same_secret(&a, &a.clone()) && !same_secret(&a, &b));
    }
}
