//! The tenant's API keys: the list, a new key (shown on the answer to its form, once, never
//! kept by the web and never cached), and revoking one.

use actix_web::http::StatusCode;
use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;
use chrono::{DateTime, Utc};
use serde::Deserialize;

use canopy_api::tenants::{API_KEY_SCOPES, ApiKeyView, CreateApiKeyRequest};
use canopy_kernel::FieldError;

use super::{admin_tenant, id_of, notice, refusal};
use crate::i18n::Lang;
use crate::pages::{Chrome, FieldErrors, PageError, Signed, render, render_status, see_other};
use crate::state::WebState;

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/admin/api-keys", web::get().to(list))
        .route("/admin/api-keys", web::post().to(create))
        .route("/admin/api-keys/new", web::get().to(new_form))
        .route("/admin/api-keys/{id}/revoke", web::post().to(revoke));
}

/// A scope as the form offers it: its name and what it allows.
pub struct ScopeChoice {
    pub value: &'static str,
    pub text: &'static str,
    pub checked: bool,
}

fn scope_text(scope: &str) -> &'static str {
    match scope {
        "events:write" => "admin-scope-events-write",
        "tickets:read" => "admin-scope-tickets-read",
        "tickets:write" => "admin-scope-tickets-write",
        _ => "admin-scope-other",
    }
}

fn choices(checked: &[String]) -> Vec<ScopeChoice> {
    API_KEY_SCOPES
        .into_iter()
        .map(|value| ScopeChoice {
            value,
            text: scope_text(value),
            checked: checked.iter().any(|c| c == value),
        })
        .collect()
}

struct KeyRow {
    id: uuid::Uuid,
    name: String,
    prefix: String,
    scopes: Vec<String>,
    created: String,
    last_used: Option<String>,
    expires: Option<String>,
    revoked: Option<String>,
    usable: bool,
}

impl KeyRow {
    fn of(ctx: &Chrome, k: ApiKeyView) -> Self {
        Self {
            usable: k.usable(ctx.now),
            id: k.id,
            created: ctx.when(&k.created_at),
            last_used: k.last_used_at.map(|at| ctx.when(&at)),
            expires: k.expires_at.map(|at| ctx.when(&at)),
            revoked: k.revoked_at.map(|at| ctx.when(&at)),
            name: k.name,
            prefix: k.prefix,
            scopes: k.scopes,
        }
    }
}

#[derive(Template)]
#[template(path = "admin/api_keys.html")]
struct KeysPage {
    ctx: Chrome,
    keys: Vec<KeyRow>,
    notice: Option<String>,
    error: Option<String>,
}

#[derive(Deserialize)]
pub struct DoneQuery {
    done: Option<String>,
}

async fn list(
    state: web::Data<WebState>,
    signed: Signed,
    query: web::Query<DoneQuery>,
) -> Result<HttpResponse, PageError> {
    let tenant = admin_tenant(&signed)?;
    let notice = notice(signed.lang(), query.done.as_deref(), &[("revoked", "admin-keys-revoked")]);
    keys_page(&state, &signed, tenant, notice, None, StatusCode::OK).await
}

async fn keys_page(
    state: &WebState,
    signed: &Signed,
    tenant: uuid::Uuid,
    notice: Option<String>,
    error: Option<String>,
    status: StatusCode,
) -> Result<HttpResponse, PageError> {
    let mut keys =
        state.api.tenants.all_api_keys(signed.token(), tenant).await.map_err(|e| signed.fail(e))?;
    let ctx = signed.chrome();
    // Keys in use first, newest first.
    keys.sort_by(|a, b| b.usable(ctx.now).cmp(&a.usable(ctx.now)).then(b.created_at.cmp(&a.created_at)));
    let keys = keys.into_iter().map(|k| KeyRow::of(&ctx, k)).collect();
    render_status(status, &KeysPage { ctx, keys, notice, error })
}

#[derive(Template)]
#[template(path = "admin/api_key_new.html")]
struct NewKeyPage {
    ctx: Chrome,
    name: String,
    expires: String,
    scopes: Vec<ScopeChoice>,
    errors: FieldErrors,
    error: Option<String>,
}

async fn new_form(signed: Signed) -> Result<HttpResponse, PageError> {
    admin_tenant(&signed)?;
    let page = NewKeyPage {
        ctx: signed.chrome(),
        name: String::new(),
        expires: String::new(),
        scopes: choices(&["events:write".to_owned()]),
        errors: FieldErrors::default(),
        error: None,
    };
    render(&page)
}

#[derive(Template)]
#[template(path = "admin/api_key_created.html")]
struct CreatedPage {
    ctx: Chrome,
    name: String,
    prefix: String,
    scopes: Vec<String>,
    expires: Option<String>,
    key: String,
}

/// The end of the day `date` (`YYYY-MM-DD`) in `zone`: a key that expires "on" a day works
/// through it.
fn end_of_day(date: &str, zone: &str) -> Option<DateTime<Utc>> {
    let day: jiff::civil::Date = date.parse().ok()?;
    let tz = jiff::tz::TimeZone::get(zone).ok()?;
    let next = day.tomorrow().ok()?.to_zoned(tz).ok()?;
    DateTime::from_timestamp(next.timestamp().as_second(), 0)
}

async fn create(
    req: HttpRequest,
    state: web::Data<WebState>,
    signed: Signed,
    form: web::Form<Vec<(String, String)>>,
) -> Result<HttpResponse, PageError> {
    let pairs = form.into_inner();
    let field = |name: &str| pairs.iter().find(|(k, _)| k == name).map(|(_, v)| v.trim().to_owned());
    signed.check_csrf(&req, field("_csrf").as_deref())?;
    let tenant = admin_tenant(&signed)?;
    let lang = signed.lang();
    let ctx = signed.chrome();
    let name = field("name").unwrap_or_default();
    let expires = field("expires").unwrap_or_default();
    let scopes: Vec<String> = pairs.iter().filter(|(k, _)| k == "scope").map(|(_, v)| v.clone()).collect();
    let refuse = |errors: Vec<FieldError>, error: Option<String>, status: StatusCode| {
        let page = NewKeyPage {
            ctx: signed.chrome(),
            name: name.clone(),
            expires: expires.clone(),
            scopes: choices(&scopes),
            errors: FieldErrors(errors),
            error,
        };
        render_status(status, &page)
    };
    let mut errors = Vec::new();
    if name.is_empty() {
        errors.push(FieldError::new("name", lang.t("admin-keys-error-name")));
    }
    if scopes.is_empty() || scopes.iter().any(|s| !API_KEY_SCOPES.contains(&s.as_str())) {
        errors.push(FieldError::new("scopes", lang.t("admin-keys-error-scopes")));
    }
    let expires_at = if expires.is_empty() {
        None
    } else {
        match end_of_day(&expires, ctx.zone()) {
            Some(at) if at > ctx.now => Some(at),
            _ => {
                errors.push(FieldError::new("expires", lang.t("admin-keys-error-expires")));
                None
            }
        }
    };
    if !errors.is_empty() {
        return refuse(errors, None, StatusCode::UNPROCESSABLE_ENTITY);
    }
    let request = CreateApiKeyRequest { name: name.clone(), scopes: scopes.clone(), expires_at };
    let created = match state.api.tenants.create_api_key(signed.token(), tenant, &request).await {
        Ok(created) => created,
        Err(err) if err.status() == Some(422) => {
            let errors = err.problem().map(|p| p.errors.iter().map(|e| explained(lang, e)).collect());
            return refuse(errors.unwrap_or_default(), None, StatusCode::UNPROCESSABLE_ENTITY);
        }
        Err(err) => {
            return match refusal(lang, &err) {
                Some(message) => refuse(Vec::new(), Some(message), StatusCode::CONFLICT),
                None => Err(signed.fail(err)),
            };
        }
    };
    tracing::info!(key = %created.api_key.prefix, "API key created from the admin pages");
    // The key is on this answer and nowhere else: not in a URL, not in the session, not in
    // any cache on the way.
    let page = CreatedPage {
        name: created.api_key.name.clone(),
        prefix: created.api_key.prefix.clone(),
        scopes: created.api_key.scopes.clone(),
        expires: created.api_key.expires_at.map(|at| ctx.when(&at)),
        key: created.key,
        ctx,
    };
    let mut res = render(&page)?;
    res.headers_mut().insert(header::CACHE_CONTROL, header::HeaderValue::from_static("no-store"));
    res.headers_mut().insert(header::PRAGMA, header::HeaderValue::from_static("no-cache"));
    Ok(res)
}

fn explained(lang: Lang, e: &FieldError) -> FieldError {
    match e.field.as_str() {
        "name" => FieldError::new("name", lang.t("admin-keys-error-name")),
        f if f.starts_with("scopes") => FieldError::new("scopes", lang.t("admin-keys-error-scopes")),
        "expires_at" => FieldError::new("expires", lang.t("admin-keys-error-expires")),
        _ => e.clone(),
    }
}

#[derive(Deserialize)]
pub struct CsrfForm {
    #[serde(rename = "_csrf")]
    csrf: Option<String>,
}

async fn revoke(
    req: HttpRequest,
    state: web::Data<WebState>,
    signed: Signed,
    path: web::Path<String>,
    form: web::Form<CsrfForm>,
) -> Result<HttpResponse, PageError> {
    signed.check_csrf(&req, form.csrf.as_deref())?;
    let tenant = admin_tenant(&signed)?;
    let id = id_of(signed.lang(), &path)?;
    match state.api.tenants.revoke_api_key(signed.token(), tenant, id).await {
        Ok(()) => Ok(see_other("/admin/api-keys?done=revoked")),
        Err(err) => match refusal(signed.lang(), &err) {
            Some(message) => {
                keys_page(&state, &signed, tenant, None, Some(message), StatusCode::CONFLICT).await
            }
            None => Err(signed.fail(err)),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_key_expiring_on_a_day_works_through_it_in_the_tenants_zone() {
        let at = end_of_day("2026-10-05", "Asia/Shanghai").unwrap();
        assert_eq!(at.to_rfc3339(), "2026-10-05T16:00:00+00:00");
        assert_eq!(end_of_day("2026-02-30", "UTC"), None);
        assert_eq!(end_of_day("2026-10-05", "Nowhere/Else"), None);
    }

    #[test]
    fn every_scope_the_api_offers_is_explained() {
        assert!(API_KEY_SCOPES.iter().all(|s| scope_text(s) != "admin-scope-other"));
    }
}
