//! Sign in, sign out, and the language switch.

use actix_web::http::StatusCode;
use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;
use chrono::Utc;
use serde::Deserialize;

use canopy_api::tenants::LoginRequest;

use super::{Chrome, PageError, Signed, Visitor, render_status, see_other};
use crate::i18n::Lang;
use crate::session::{self, Session, SessionUser, TenantChrome};
use crate::state::WebState;

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/login", web::get().to(login_page))
        .route("/login", web::post().to(login))
        .route("/logout", web::post().to(logout))
        .route("/lang", web::post().to(switch_language));
}

/// Only a path of this site: never `//elsewhere` or a full URL.
pub fn safe_next(next: Option<&str>) -> String {
    match next {
        Some(n)
            if n.starts_with('/')
                && !n.starts_with("//")
                && !n.starts_with("/\\")
                && !n.contains(['\r', '\n']) =>
        {
            n.to_owned()
        }
        _ => "/".to_owned(),
    }
}

#[derive(Template)]
#[template(path = "login.html")]
struct LoginPage {
    ctx: Chrome,
    next: String,
    email: String,
    otp_needed: bool,
    error: Option<String>,
}

#[derive(Deserialize)]
pub struct NextQuery {
    next: Option<String>,
}

async fn login_page(
    req: HttpRequest,
    visitor: Visitor,
    query: web::Query<NextQuery>,
) -> Result<HttpResponse, PageError> {
    let next = safe_next(query.next.as_deref());
    if visitor.session.is_some() {
        return Ok(see_other(&next));
    }
    let page =
        LoginPage { ctx: visitor.chrome(), next, email: String::new(), otp_needed: false, error: None };
    Ok(visitor.finish(&req, render_status(StatusCode::OK, &page)?))
}

#[derive(Deserialize)]
pub struct LoginForm {
    #[serde(rename = "_csrf")]
    csrf: Option<String>,
    email: String,
    password: String,
    otp: Option<String>,
    next: Option<String>,
}

async fn login(
    req: HttpRequest,
    state: web::Data<WebState>,
    visitor: Visitor,
    form: web::Form<LoginForm>,
) -> Result<HttpResponse, PageError> {
    let form = form.into_inner();
    let lang = visitor.lang;
    if !visitor.csrf_ok(form.csrf.as_deref()) {
        return Err(PageError::csrf(lang));
    }
    let next = safe_next(form.next.as_deref());
    let refused = |error: String, otp_needed: bool, status: StatusCode| {
        let page = LoginPage {
            ctx: visitor.chrome(),
            next: next.clone(),
            email: form.email.clone(),
            otp_needed,
            error: Some(error),
        };
        render_status(status, &page).map(|res| visitor.finish(&req, res))
    };
    let otp = form.otp.clone().filter(|o| !o.trim().is_empty());
    let body = LoginRequest { email: form.email.trim().to_owned(), password: form.password.clone(), otp };
    let pair = match state.api.tenants.login(&body, &state.api.on_behalf(&req)).await {
        Ok(pair) => pair,
        Err(err) => {
            let code = err.problem().map(|p| p.code.clone()).unwrap_or_default();
            return match (err.status(), code.as_str()) {
                (Some(401), "otp_required") => {
                    refused(lang.t("login-otp-needed"), true, StatusCode::UNAUTHORIZED)
                }
                (Some(401), "invalid_otp") => {
                    refused(lang.t("login-otp-wrong"), true, StatusCode::UNAUTHORIZED)
                }
                (Some(401 | 403), _) => refused(lang.t("login-wrong"), false, StatusCode::UNAUTHORIZED),
                (Some(422 | 400), _) => {
                    refused(lang.t("login-wrong"), false, StatusCode::UNPROCESSABLE_ENTITY)
                }
                (Some(429), _) => refused(lang.t("login-throttled"), false, StatusCode::TOO_MANY_REQUESTS),
                _ => Err(PageError::from_call(lang, "/login", err)),
            };
        }
    };
    let token = pair.access_token.clone();
    let me = state.api.tenants.me(&token).await.map_err(|e| PageError::from_call(lang, "/login", e))?;
    let tenant = match me.tenant_id {
        Some(id) => Some(
            tenant_chrome(&state, &token, id).await.map_err(|e| PageError::from_call(lang, "/login", e))?,
        ),
        None => None,
    };
    let now = Utc::now();
    let session = Session {
        csrf: session::random_token(),
        access_token: pair.access_token,
        access_expires_at: now + chrono::Duration::seconds(pair.expires_in as i64),
        refresh_token: pair.refresh_token,
        user: SessionUser {
            id: me.id,
            tenant_id: me.tenant_id,
            email: me.email,
            display_name: me.display_name,
            roles: me.roles,
        },
        // The user's own language (their profile's), else the one chosen before signing in.
        lang: me
            .locale
            .and_then(|l| Lang::from_tag(l.as_str()))
            .or_else(|| session::cookie(&req, session::LANG_COOKIE).and_then(Lang::from_tag)),
        tenant,
        touched_at: now,
    };
    // A new id at every sign-in: an id planted before it is worth nothing after.
    let id = session::random_token();
    state.sessions.save(&id, &session).await.map_err(|e| {
        tracing::warn!(error = %format!("{e:#}"), "session not saved");
        PageError::unavailable(lang)
    })?;
    let mut res = see_other(&next);
    res.headers_mut()
        .append(header::SET_COOKIE, session::set_cookie(&req, session::SESSION_COOKIE, &id, None, "Lax"));
    // The sign-in form's token is spent.
    res.headers_mut().append(
        header::SET_COOKIE,
        session::set_cookie(&req, session::CSRF_COOKIE, "", Some(std::time::Duration::ZERO), "Strict"),
    );
    Ok(res)
}

/// The tenant as its pages show it, from its record and its configuration.
pub async fn tenant_chrome(
    state: &WebState,
    token: &str,
    tenant: uuid::Uuid,
) -> Result<TenantChrome, canopy_api::client::CallError> {
    let (view, config) = futures_util::future::join(
        state.api.tenants.tenant(token, tenant),
        state.api.tenants.portal_config(token, tenant),
    )
    .await;
    let (view, config) = (view?, config?);
    let color = config
        .branding
        .primary_color
        .filter(|c| c.len() == 7 && c.starts_with('#') && c[1..].chars().all(|ch| ch.is_ascii_hexdigit()));
    let logo_url = config.branding.logo_url.filter(|u| u.starts_with("https://"));
    Ok(TenantChrome {
        id: tenant,
        name: config.branding.display_name.unwrap_or(view.name),
        timezone: config.timezone,
        lang: Lang::from_tag(config.locale.as_str()).unwrap_or_default(),
        color,
        logo_url,
    })
}

#[derive(Deserialize)]
pub struct CsrfForm {
    #[serde(rename = "_csrf")]
    csrf: Option<String>,
}

async fn logout(
    req: HttpRequest,
    state: web::Data<WebState>,
    signed: Signed,
    form: web::Form<CsrfForm>,
) -> Result<HttpResponse, PageError> {
    signed.check_csrf(&req, form.csrf.as_deref())?;
    // Revoked at the source first: the tokens are worth nothing even if the cache kept them.
    if let Err(err) = state
        .api
        .tenants
        .logout(signed.token(), &signed.session.refresh_token, &state.api.on_behalf(&req))
        .await
    {
        tracing::warn!(error = %err, "sign-out not recorded by the tenants service");
    }
    if let Err(err) = state.sessions.end(&signed.id).await {
        tracing::warn!(error = %format!("{err:#}"), "session not removed");
    }
    let mut res = see_other("/login");
    res.headers_mut().append(
        header::SET_COOKIE,
        session::set_cookie(&req, session::SESSION_COOKIE, "", Some(std::time::Duration::ZERO), "Lax"),
    );
    Ok(res)
}

#[derive(Deserialize)]
pub struct LangForm {
    #[serde(rename = "_csrf")]
    csrf: Option<String>,
    lang: String,
    next: Option<String>,
}

/// The language switch: remembered in a cookie, and in the session when signed in.
async fn switch_language(
    req: HttpRequest,
    state: web::Data<WebState>,
    visitor: Visitor,
    form: web::Form<LangForm>,
) -> Result<HttpResponse, PageError> {
    if !visitor.csrf_ok(form.csrf.as_deref()) {
        return Err(PageError::csrf(visitor.lang));
    }
    let Some(lang) = Lang::from_tag(&form.lang) else {
        return Err(PageError::not_found(visitor.lang));
    };
    if let Some((id, mut session)) = visitor.session.clone() {
        session.lang = Some(lang);
        state.sessions.save(&id, &session).await.map_err(|_| PageError::unavailable(lang))?;
    }
    let mut res = see_other(&safe_next(form.next.as_deref()));
    let year = std::time::Duration::from_secs(365 * 86_400);
    res.headers_mut().append(
        header::SET_COOKIE,
        session::set_cookie(&req, session::LANG_COOKIE, lang.tag(), Some(year), "Lax"),
    );
    Ok(visitor.finish(&req, res))
}

#[cfg(test)]
mod tests {
    use super::safe_next;

    #[test]
    fn only_paths_of_this_site_are_followed_after_sign_in() {
        assert_eq!(safe_next(Some("/tickets/ACME-42")), "/tickets/ACME-42");
        assert_eq!(safe_next(Some("//evil.example/")), "/");
        assert_eq!(safe_next(Some("/\\evil.example")), "/");
        assert_eq!(safe_next(Some("https://evil.example/")), "/");
        assert_eq!(safe_next(None), "/");
    }
}
