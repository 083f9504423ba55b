//! One user's page: their account at a glance, their role changed, a new password set,
//! deactivated after a confirmation page (the API's DELETE), or reactivated.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;
use serde::Deserialize;
use uuid::Uuid;

use canopy_api::tenants::{MAX_PASSWORD, MIN_PASSWORD, PatchUserRequest};
use canopy_kernel::FieldError;

use super::users::{DoneQuery, UserRow, explained, parse_role, password_fits, password_rule, user_of};
use super::{admin_tenant, id_of, notice, refusal};
use crate::pages::{Chrome, FieldErrors, PageError, Signed, render, render_status, see_other};
use crate::state::WebState;

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/admin/users/{id}", web::get().to(user_page))
        .route("/admin/users/{id}/role", web::post().to(change_role))
        .route("/admin/users/{id}/password", web::post().to(set_password))
        .route("/admin/users/{id}/deactivate", web::get().to(confirm_deactivate))
        .route("/admin/users/{id}/deactivate", web::post().to(deactivate))
        .route("/admin/users/{id}/reactivate", web::post().to(reactivate));
}

#[derive(Template)]
#[template(path = "admin/user.html")]
struct UserPage {
    ctx: Chrome,
    user: UserRow,
    notice: Option<String>,
    errors: FieldErrors,
    error: Option<String>,
    min_password: usize,
    max_password: usize,
}

impl UserPage {
    fn password_range(&self) -> String {
        format!("{}–{}", self.min_password, self.max_password)
    }

    fn new(ctx: Chrome, user: UserRow) -> Self {
        Self {
            ctx,
            user,
            notice: None,
            errors: FieldErrors::default(),
            error: None,
            min_password: MIN_PASSWORD,
            max_password: MAX_PASSWORD,
        }
    }
}

async fn user_page(
    state: web::Data<WebState>,
    signed: Signed,
    path: web::Path<String>,
    query: web::Query<DoneQuery>,
) -> Result<HttpResponse, PageError> {
    let tenant = admin_tenant(&signed)?;
    let id = id_of(signed.lang(), &path)?;
    let user = user_of(&state, &signed, tenant, id).await?;
    let ctx = signed.chrome();
    let row = UserRow::of(&ctx, signed.user().id, &user);
    let notice = notice(
        signed.lang(),
        query.done.as_deref(),
        &[
            ("role", "admin-user-role-changed"),
            ("password", "admin-user-password-set"),
            ("reactivated", "admin-user-reactivated"),
        ],
    );
    render(&UserPage { notice, ..UserPage::new(ctx, row) })
}

/// Changes the user through the API; on a refusal, the user's page again with the problem
/// beside its field (or at the top).
async fn patch_user(
    state: &WebState,
    signed: &Signed,
    tenant: Uuid,
    id: Uuid,
    patch: PatchUserRequest,
    done: &str,
) -> Result<HttpResponse, PageError> {
    let lang = signed.lang();
    let err = match state.api.tenants.update_tenant_user(signed.token(), tenant, id, &patch).await {
        Ok(_) => return Ok(see_other(&format!("/admin/users/{id}?done={done}"))),
        Err(err) => err,
    };
    let (errors, error, status) = if err.status() == Some(422) {
        let errors: Vec<FieldError> = err
            .problem()
            .map(|p| {
                p.errors
                    .iter()
                    .map(|e| match e.field.as_str() {
                        // Dropping one's own admin role is refused under `active`.
                        "active" => FieldError::new("role", lang.t("admin-user-error-self")),
                        f if f.starts_with("roles") => {
                            FieldError::new("role", lang.t("admin-users-error-role"))
                        }
                        _ => explained(lang, e),
                    })
                    .collect()
            })
            .unwrap_or_default();
        (errors, None, StatusCode::UNPROCESSABLE_ENTITY)
    } else {
        match refusal(lang, &err) {
            Some(message) => (Vec::new(), Some(message), StatusCode::CONFLICT),
            None => return Err(signed.fail(err)),
        }
    };
    let user = user_of(state, signed, tenant, id).await?;
    let ctx = signed.chrome();
    let row = UserRow::of(&ctx, signed.user().id, &user);
    render_status(status, &UserPage { errors: FieldErrors(errors), error, ..UserPage::new(ctx, row) })
}

#[derive(Deserialize)]
pub struct RoleForm {
    #[serde(rename = "_csrf")]
    csrf: Option<String>,
    #[serde(default)]
    role: String,
}

async fn change_role(
    req: HttpRequest,
    state: web::Data<WebState>,
    signed: Signed,
    path: web::Path<String>,
    form: web::Form<RoleForm>,
) -> Result<HttpResponse, PageError> {
    signed.check_csrf(&req, form.csrf.as_deref())?;
    let tenant = admin_tenant(&signed)?;
    let id = id_of(signed.lang(), &path)?;
    let Some(role) = parse_role(&form.role) else {
        let user = user_of(&state, &signed, tenant, id).await?;
        let ctx = signed.chrome();
        let row = UserRow::of(&ctx, signed.user().id, &user);
        let errors = FieldErrors(vec![FieldError::new("role", signed.lang().t("admin-users-error-role"))]);
        return render_status(
            StatusCode::UNPROCESSABLE_ENTITY,
            &UserPage { errors, ..UserPage::new(ctx, row) },
        );
    };
    let patch =
        PatchUserRequest { roles: Some(vec![role.as_str().to_owned()]), ..PatchUserRequest::default() };
    patch_user(&state, &signed, tenant, id, patch, "role").await
}

#[derive(Deserialize)]
pub struct PasswordForm {
    #[serde(rename = "_csrf")]
    csrf: Option<String>,
    #[serde(default)]
    password: String,
    #[serde(default)]
    repeat: String,
}

async fn set_password(
    req: HttpRequest,
    state: web::Data<WebState>,
    signed: Signed,
    path: web::Path<String>,
    form: web::Form<PasswordForm>,
) -> Result<HttpResponse, PageError> {
    signed.check_csrf(&req, form.csrf.as_deref())?;
    let tenant = admin_tenant(&signed)?;
    let lang = signed.lang();
    let id = id_of(lang, &path)?;
    let mut errors = Vec::new();
    if !password_fits(&form.password) {
        errors.push(FieldError::new("password", password_rule(lang)));
    } else if form.password != form.repeat {
        errors.push(FieldError::new("repeat", lang.t("admin-user-error-repeat")));
    }
    if !errors.is_empty() {
        let user = user_of(&state, &signed, tenant, id).await?;
        let ctx = signed.chrome();
        let row = UserRow::of(&ctx, signed.user().id, &user);
        let page = UserPage { errors: FieldErrors(errors), ..UserPage::new(ctx, row) };
        return render_status(StatusCode::UNPROCESSABLE_ENTITY, &page);
    }
    let patch = PatchUserRequest { password: Some(form.password.clone()), ..PatchUserRequest::default() };
    patch_user(&state, &signed, tenant, id, patch, "password").await
}

#[derive(Deserialize)]
pub struct CsrfForm {
    #[serde(rename = "_csrf")]
    csrf: Option<String>,
}

async fn reactivate(
    req: HttpRequest,
    state: web::Data<WebState>,
    signed: Signed,
    path: web::Path<String>,
    form: web::Form<CsrfForm>,
) -> Result<HttpResponse, PageError> {
    signed.check_csrf(&req, form.csrf.as_deref())?;
    let tenant = admin_tenant(&signed)?;
    let id = id_of(signed.lang(), &path)?;
    let patch = PatchUserRequest { active: Some(true), ..PatchUserRequest::default() };
    patch_user(&state, &signed, tenant, id, patch, "reactivated").await
}

#[derive(Template)]
#[template(path = "admin/deactivate.html")]
struct DeactivatePage {
    ctx: Chrome,
    user: UserRow,
    error: Option<String>,
}

async fn confirm_deactivate(
    state: web::Data<WebState>,
    signed: Signed,
    path: web::Path<String>,
) -> Result<HttpResponse, PageError> {
    let tenant = admin_tenant(&signed)?;
    let id = id_of(signed.lang(), &path)?;
    let user = user_of(&state, &signed, tenant, id).await?;
    let ctx = signed.chrome();
    let user = UserRow::of(&ctx, signed.user().id, &user);
    let error = user.me.then(|| signed.lang().t("admin-user-error-self"));
    render(&DeactivatePage { ctx, user, error })
}

async fn deactivate(
    req: HttpRequest,
    state: web::Data<WebState>,
    signed: Signed,
    path: web::Path<String>,
    form: web::Form<CsrfForm>,
) -> Result<HttpResponse, PageError> {
    signed.check_csrf(&req, form.csrf.as_deref())?;
    let tenant = admin_tenant(&signed)?;
    let lang = signed.lang();
    let id = id_of(lang, &path)?;
    let err = match state.api.tenants.deactivate_tenant_user(signed.token(), tenant, id).await {
        Ok(()) => return Ok(see_other("/admin/users?done=deactivated")),
        Err(err) => err,
    };
    let error = match (err.status(), refusal(lang, &err)) {
        // Oneself: the API's conflict, in the reader's words.
        (Some(409), _) => lang.t("admin-user-error-self"),
        (_, Some(message)) => message,
        (_, None) => return Err(signed.fail(err)),
    };
    let user = user_of(&state, &signed, tenant, id).await?;
    let ctx = signed.chrome();
    let user = UserRow::of(&ctx, signed.user().id, &user);
    render_status(StatusCode::CONFLICT, &DeactivatePage { ctx, user, error: Some(error) })
}
