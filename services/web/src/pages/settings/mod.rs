//! The tenant admin's virtual configuration as forms, one page per section (`/admin/settings/…`).
//! Each section reads the whole document with its version, changes only its own part, and
//! puts the whole document back with that version (`If-Match`): a change made meanwhile is
//! never overwritten, the page asks to reload instead. The API's field errors show beside the
//! field they concern. Each section's module maps its form to the document and back; the
//! handlers here are the same for all.

pub mod categories;
pub mod fields;
pub mod form;
pub mod maintenance;
pub mod monitoring;
pub mod placement;
pub mod priorities;
pub mod sites;
pub mod webhooks;

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;
use serde::Deserialize;
use uuid::Uuid;

use canopy_api::tenants::{ConfigView, TenantConfig};
use canopy_kernel::FieldError;

use self::form::Posted;
use self::placement::Placement;
use super::{Chrome, Failure, FieldErrors, PageError, Signed, render_status, see_other};
use crate::i18n::Lang;
use crate::state::WebState;

pub fn routes(cfg: &mut web::ServiceConfig) {
    section::<categories::Categories>(cfg);
    section::<priorities::Priorities>(cfg);
    section::<fields::Fields>(cfg);
    section::<sites::Sites>(cfg);
    section::<webhooks::Webhooks>(cfg);
    section::<monitoring::Monitoring>(cfg);
    cfg.route(maintenance::Maintenance::PATH, web::post().to(save::<maintenance::Maintenance>))
        .route("/admin/settings/webhooks/{id}", web::get().to(webhooks::deliveries));
}

fn section<S: Section>(cfg: &mut web::ServiceConfig) {
    cfg.route(S::PATH, web::get().to(show::<S>)).route(S::PATH, web::post().to(save::<S>));
}

/// One part of the configuration as a form.
pub trait Section: 'static {
    /// Where its form is sent (and shown, unless `PAGE` says otherwise).
    const PATH: &'static str;
    /// The page that shows the form.
    const PAGE: &'static str = Self::PATH;
    /// The form as typed.
    type Form;

    /// The form of the document as it is.
    fn form_of(config: &TenantConfig) -> Self::Form;

    /// The form as it was sent.
    fn parse(posted: &Posted) -> Self::Form;

    /// Changes the document as the form says. Gives where the form's rows went in the
    /// document (to place the API's errors), or the mistakes the form itself shows.
    fn apply(form: &Self::Form, config: &mut TenantConfig, lang: Lang) -> Result<Placement, FieldErrors>;

    /// The page: `view` is the document as it is now, `form` what to show in the form.
    fn page(
        ctx: Chrome,
        frame: Frame,
        view: &ConfigView,
        form: Self::Form,
        errors: FieldErrors,
    ) -> impl Template;
}

/// What every section's page shows around its form.
pub struct Frame {
    /// The version the form was read at: sent back with it.
    pub version: i64,
    pub notice: Option<String>,
    pub alert: Option<String>,
    /// The page's own path, offered to reload after a concurrent change.
    pub reload: Option<&'static str>,
    /// Errors the form cannot place beside a field.
    pub elsewhere: Vec<String>,
}

impl Frame {
    fn new(version: i64) -> Self {
        Self { version, notice: None, alert: None, reload: None, elsewhere: Vec::new() }
    }
}

/// Only the tenant's admins see its settings; anyone else sees the not-found page.
fn admin_tenant(signed: &Signed) -> Result<Uuid, PageError> {
    if !signed.user().is_tenant_admin() {
        return Err(PageError::not_found(signed.lang()));
    }
    signed.tenant()
}

#[derive(Deserialize)]
pub struct ShowQuery {
    saved: Option<String>,
}

async fn show<S: Section>(
    state: web::Data<WebState>,
    signed: Signed,
    query: web::Query<ShowQuery>,
) -> Result<HttpResponse, PageError> {
    let tenant = admin_tenant(&signed)?;
    let view = state.api.tenants.read_settings(signed.token(), tenant).await.map_err(|e| signed.fail(e))?;
    let mut frame = Frame::new(view.version);
    if query.saved.is_some() {
        frame.notice = Some(signed.lang().t("cfg-saved"));
    }
    let form = S::form_of(&view.config);
    render_status(StatusCode::OK, &S::page(signed.chrome(), frame, &view, form, FieldErrors::default()))
}

async fn save<S: Section>(
    req: HttpRequest,
    state: web::Data<WebState>,
    signed: Signed,
    form: web::Form<Vec<(String, String)>>,
) -> Result<HttpResponse, PageError> {
    let posted = Posted::new(form.into_inner());
    signed.check_csrf(&req, posted.one("_csrf"))?;
    let tenant = admin_tenant(&signed)?;
    let lang = signed.lang();
    let version: i64 = posted
        .one("version")
        .and_then(|v| v.trim().parse().ok())
        .ok_or(PageError { lang, failure: Failure::BadForm })?;
    let typed = S::parse(&posted);
    let view = state.api.tenants.read_settings(signed.token(), tenant).await.map_err(|e| signed.fail(e))?;
    let refused = |status: StatusCode, frame: Frame, errors: FieldErrors, typed: S::Form| {
        render_status(status, &S::page(signed.chrome(), frame, &view, typed, errors))
    };
    if view.version != version {
        return refused(StatusCode::CONFLICT, stale(lang, version, S::PAGE), FieldErrors::default(), typed);
    }
    let mut document = view.config.clone();
    let placement = match S::apply(&typed, &mut document, lang) {
        Ok(placement) => placement,
        Err(mistakes) => {
            let frame = Frame { alert: Some(lang.t("cfg-check-fields")), ..Frame::new(version) };
            return refused(StatusCode::UNPROCESSABLE_ENTITY, frame, mistakes, typed);
        }
    };
    let err = match state.api.tenants.write_settings(signed.token(), tenant, version, &document).await {
        Ok(_) => return Ok(see_other(&format!("{}?saved=1", S::PAGE))),
        Err(err) => err,
    };
    let code = err.problem().map(|p| p.code.clone()).unwrap_or_default();
    match err.status() {
        Some(412) => {
            refused(StatusCode::CONFLICT, stale(lang, version, S::PAGE), FieldErrors::default(), typed)
        }
        Some(422) => {
            let problem = err.problem();
            let errors = problem.map(|p| p.errors.clone()).unwrap_or_default();
            let (placed, elsewhere) = placement.place(errors);
            let mut frame = Frame { alert: Some(lang.t("cfg-check-fields")), ..Frame::new(version) };
            frame.elsewhere = elsewhere.iter().map(|e| described(lang, e)).collect();
            if placed.is_empty() && frame.elsewhere.is_empty() {
                frame.elsewhere.extend(problem.map(|p| p.detail.clone()));
            }
            refused(StatusCode::UNPROCESSABLE_ENTITY, frame, placed, typed)
        }
        Some(403) if code == "tenant_suspended" || code == "tenant_cancelled" => {
            let frame = Frame { alert: Some(lang.t("cfg-read-only")), ..Frame::new(version) };
            refused(StatusCode::FORBIDDEN, frame, FieldErrors::default(), typed)
        }
        Some(409) => {
            let frame = Frame {
                alert: Some(lang.t("cfg-conflict")),
                elsewhere: err.problem().map(|p| p.detail.clone()).into_iter().collect(),
                ..Frame::new(version)
            };
            refused(StatusCode::CONFLICT, frame, FieldErrors::default(), typed)
        }
        _ => Err(signed.fail(err)),
    }
}

/// The settings moved on since the form was read: nothing is saved, the page asks to reload.
fn stale(lang: Lang, version: i64, path: &'static str) -> Frame {
    Frame { alert: Some(lang.t("cfg-stale")), reload: Some(path), ..Frame::new(version) }
}

/// An error of another part of the configuration, named by its section.
fn described(lang: Lang, e: &FieldError) -> String {
    const SECTIONS: [(&str, &str); 7] = [
        ("ticket_categories", "cfg-categories-title"),
        ("priority_matrix", "cfg-priorities-title"),
        ("custom_fields", "cfg-fields-title"),
        ("sites", "cfg-sites-title"),
        ("webhooks", "cfg-webhooks-title"),
        ("monitoring.maintenance", "cfg-maintenance-title"),
        ("monitoring", "cfg-monitoring-title"),
    ];
    let section = SECTIONS.iter().find(|(prefix, _)| {
        e.field == *prefix
            || e.field.starts_with(&format!("{prefix}."))
            || e.field.starts_with(&format!("{prefix}["))
    });
    match section {
        Some((_, key)) => format!("{} ({}): {}", lang.t(key), e.field, placement::readable(&e.message)),
        None => format!("{}: {}", e.field, placement::readable(&e.message)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn errors_of_other_sections_name_them() {
        let e = FieldError::new(
            "monitoring.categories[0].category",
            "is not one of the tenant's active categories",
        );
        assert_eq!(
            described(Lang::En, &e),
            "Monitoring rules (monitoring.categories[0].category): is not one of the tenant's active categories"
        );
        let e = FieldError::new("timezone", "not a zone");
        assert_eq!(described(Lang::En, &e), "timezone: not a zone");
    }
}
