//! `/profile`: who the user is (name, email, roles), the language of their pages — kept in
//! their record, so it follows them to every sign-in — and their password.

use actix_web::http::StatusCode;
use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;
use serde::Deserialize;

use canopy_api::tenants::{Locale, PasswordChange, ProfileUpdate, UserView};
use canopy_kernel::FieldError;

use super::Choice;
use crate::i18n::Lang;
use crate::pages::{Chrome, FieldErrors, PageError, Signed, render_status, see_other};
use crate::session;
use crate::state::WebState;

#[derive(Template)]
#[template(path = "portal/profile.html")]
struct ProfilePage {
    ctx: Chrome,
    email: String,
    display_name: String,
    roles: Vec<String>,
    languages: Vec<Choice>,
    notice: Option<String>,
    /// A refusal that names no field.
    error: Option<String>,
    errors: FieldErrors,
}

#[derive(Deserialize)]
pub struct SavedQuery {
    saved: Option<String>,
}

fn page_of(
    ctx: Chrome,
    me: &UserView,
    display_name: String,
    locale: &str,
    errors: FieldErrors,
) -> ProfilePage {
    let lang = ctx.lang;
    let roles = me
        .roles
        .iter()
        .map(|r| match r.as_str() {
            role @ ("requester" | "tenant_admin") => lang.t(&format!("portal-role-{role}")),
            other => other.to_owned(),
        })
        .collect();
    let languages = vec![
        Choice::new("", lang.t("portal-lang-company"), locale),
        Choice::new(Lang::En.tag(), Lang::En.name(), locale),
        Choice::new(Lang::ZhCn.tag(), Lang::ZhCn.name(), locale),
    ];
    ProfilePage {
        ctx,
        email: me.email.clone(),
        display_name,
        roles,
        languages,
        notice: None,
        error: None,
        errors,
    }
}

async fn me(state: &WebState, signed: &Signed) -> Result<UserView, PageError> {
    state.api.tenants.me(signed.token()).await.map_err(|e| signed.fail(e))
}

pub async fn page(
    state: web::Data<WebState>,
    signed: Signed,
    query: web::Query<SavedQuery>,
) -> Result<HttpResponse, PageError> {
    let me = me(&state, &signed).await?;
    let locale = me.locale.map_or("", Locale::as_str);
    let mut page = page_of(signed.chrome(), &me, me.display_name.clone(), locale, FieldErrors::default());
    page.notice = match query.saved.as_deref() {
        Some(what @ ("details" | "password")) => Some(signed.lang().t(&format!("portal-saved-{what}"))),
        _ => None,
    };
    render_status(StatusCode::OK, &page)
}

#[derive(Deserialize)]
pub struct DetailsForm {
    #[serde(rename = "_csrf")]
    csrf: Option<String>,
    #[serde(default)]
    display_name: String,
    #[serde(default)]
    locale: String,
}

/// Saves the name and the language; the session takes them at once.
pub async fn save(
    req: HttpRequest,
    state: web::Data<WebState>,
    signed: Signed,
    form: web::Form<DetailsForm>,
) -> Result<HttpResponse, PageError> {
    signed.check_csrf(&req, form.csrf.as_deref())?;
    let form = form.into_inner();
    let lang = signed.lang();
    let current = me(&state, &signed).await?;
    let locale = match form.locale.as_str() {
        "" => None,
        tag => match Locale::from_tag(tag) {
            Some(l) => Some(l),
            None => {
                let errors = FieldErrors(vec![FieldError::new("locale", lang.t("portal-error-choose"))]);
                let page = page_of(signed.chrome(), &current, form.display_name, "", errors);
                return render_status(StatusCode::UNPROCESSABLE_ENTITY, &page);
            }
        },
    };
    let name = form.display_name.trim();
    let update = ProfileUpdate {
        display_name: (name != current.display_name).then(|| name.to_owned()),
        locale: Some(locale),
    };
    let saved = match state.api.tenants.update_me(signed.token(), &update).await {
        Ok(saved) => saved,
        Err(err) if err.status() == Some(422) => {
            let errors = err
                .problem()
                .map(|p| p.errors.iter().map(|e| explained(lang, e)).collect())
                .unwrap_or_default();
            let page =
                page_of(signed.chrome(), &current, form.display_name, &form.locale, FieldErrors(errors));
            return render_status(StatusCode::UNPROCESSABLE_ENTITY, &page);
        }
        Err(err) => return Err(signed.fail(err)),
    };
    let mut session = signed.session.clone();
    session.user.display_name = saved.display_name.clone();
    session.lang = saved.locale.and_then(|l| Lang::from_tag(l.as_str()));
    state.sessions.save(&signed.id, &session).await.map_err(|e| {
        tracing::warn!(error = %format!("{e:#}"), "session not saved");
        PageError::unavailable(lang)
    })?;
    let mut res = see_other("/profile?saved=details");
    // Remembered in the browser too, for the sign-in page after signing out.
    if let Some(chosen) = session.lang {
        let year = std::time::Duration::from_secs(365 * 86_400);
        res.headers_mut().append(
            header::SET_COOKIE,
            session::set_cookie(&req, session::LANG_COOKIE, chosen.tag(), Some(year), "Lax"),
        );
    }
    Ok(res)
}

#[derive(Deserialize)]
pub struct PasswordForm {
    #[serde(rename = "_csrf")]
    csrf: Option<String>,
    #[serde(default)]
    current_password: String,
    #[serde(default)]
    new_password: String,
    #[serde(default)]
    repeat_password: String,
}

/// The API's refusal in the reader's words where the page knows it.
fn explained(lang: Lang, e: &FieldError) -> FieldError {
    let message = match (e.field.as_str(), e.message.as_str()) {
        ("current_password", _) => lang.t("portal-error-current-password"),
        ("new_password", m) if m.contains("differ") => lang.t("portal-error-password-same"),
        ("new_password", m) if m.contains("characters") => lang.t("portal-error-password-length"),
        ("display_name", "must not be empty") => lang.t("portal-error-name"),
        (_, m) => m.to_owned(),
    };
    FieldError::new(e.field.clone(), message)
}

/// Changes the password; the session carries on with the new tokens the API gives it (every
/// other session of the user ends).
pub async fn change_password(
    req: HttpRequest,
    state: web::Data<WebState>,
    signed: Signed,
    form: web::Form<PasswordForm>,
) -> Result<HttpResponse, PageError> {
    signed.check_csrf(&req, form.csrf.as_deref())?;
    let form = form.into_inner();
    let lang = signed.lang();
    let current = me(&state, &signed).await?;
    let refuse = |errors: Vec<FieldError>, error: Option<String>, status: StatusCode| {
        let locale = current.locale.map_or("", Locale::as_str);
        let mut page =
            page_of(signed.chrome(), &current, current.display_name.clone(), locale, FieldErrors(errors));
        page.error = error;
        render_status(status, &page)
    };
    if form.new_password != form.repeat_password {
        let errors = vec![FieldError::new("repeat_password", lang.t("portal-error-repeat"))];
        return refuse(errors, None, StatusCode::UNPROCESSABLE_ENTITY);
    }
    let change = PasswordChange { current_password: form.current_password, new_password: form.new_password };
    let tokens = match state.api.tenants.change_password(signed.token(), &change).await {
        Ok(tokens) => tokens,
        Err(err) => {
            return match err.status() {
                Some(422) => {
                    let errors = err
                        .problem()
                        .map(|p| p.errors.iter().map(|e| explained(lang, e)).collect())
                        .unwrap_or_default();
                    refuse(errors, None, StatusCode::UNPROCESSABLE_ENTITY)
                }
                Some(429) => {
                    refuse(Vec::new(), Some(lang.t("login-throttled")), StatusCode::TOO_MANY_REQUESTS)
                }
                _ => Err(signed.fail(err)),
            };
        }
    };
    let mut session = signed.session.clone();
    session.access_token = tokens.access_token;
    session.refresh_token = tokens.refresh_token;
    session.access_expires_at = chrono::Utc::now() + chrono::Duration::seconds(tokens.expires_in as i64);
    state.sessions.save(&signed.id, &session).await.map_err(|e| {
        tracing::warn!(error = %format!("{e:#}"), "session not saved");
        PageError::unavailable(lang)
    })?;
    Ok(see_other("/profile?saved=password"))
}
