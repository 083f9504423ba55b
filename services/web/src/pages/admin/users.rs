//! The tenant's users: the list, and inviting one (with a first password and a role). Each
//! user's own page is in `account`.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;
use serde::Deserialize;
use uuid::Uuid;

use canopy_api::tenants::{MAX_PASSWORD, MIN_PASSWORD, NewUserRequest, UserView};
use canopy_kernel::FieldError;
use canopy_kernel::auth::Role;
use canopy_kernel::validate::is_email;

use super::{admin_tenant, notice, refusal};
use crate::i18n::{Arg, Lang};
use crate::pages::{Chrome, FieldErrors, PageError, Signed, render, render_status, see_other};
use crate::state::WebState;

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/admin/users", web::get().to(list))
        .route("/admin/users", web::post().to(invite))
        .route("/admin/users/new", web::get().to(invite_form));
}

/// The two roles a tenant's user can have, as the pages offer them.
const ROLES: [Role; 2] = [Role::Requester, Role::TenantAdmin];

/// A user as the pages show them.
pub struct UserRow {
    pub id: Uuid,
    pub name: String,
    pub email: String,
    /// Catalogue keys of the roles.
    pub roles: Vec<&'static str>,
    pub active: bool,
    pub last_login: Option<String>,
    pub created: String,
    pub admin: bool,
    pub me: bool,
}

impl UserRow {
    pub(super) fn of(ctx: &Chrome, me: Uuid, u: &UserView) -> Self {
        Self {
            id: u.id,
            name: u.display_name.clone(),
            email: u.email.clone(),
            roles: u.roles.iter().map(|r| role_key(*r)).collect(),
            active: u.active,
            last_login: u.last_login_at.map(|at| ctx.when(&at)),
            created: ctx.when(&u.created_at),
            admin: u.roles.contains(&Role::TenantAdmin),
            me: u.id == me,
        }
    }
}

pub fn role_key(role: Role) -> &'static str {
    match role {
        Role::Requester => "admin-role-requester",
        Role::TenantAdmin => "admin-role-tenant_admin",
        _ => "admin-role-staff",
    }
}

pub(super) fn parse_role(value: &str) -> Option<Role> {
    ROLES.into_iter().find(|r| r.as_str() == value)
}

/// The user of this tenant with `id`, or the not-found page (another tenant's user and no
/// user look the same).
pub(super) async fn user_of(
    state: &WebState,
    signed: &Signed,
    tenant: Uuid,
    id: Uuid,
) -> Result<UserView, PageError> {
    let users =
        state.api.tenants.all_tenant_users(signed.token(), tenant).await.map_err(|e| signed.fail(e))?;
    users.into_iter().find(|u| u.id == id).ok_or_else(|| PageError::not_found(signed.lang()))
}

#[derive(Template)]
#[template(path = "admin/users.html")]
struct UsersPage {
    ctx: Chrome,
    users: Vec<UserRow>,
    notice: Option<String>,
}

#[derive(Deserialize)]
pub struct DoneQuery {
    pub(super) done: Option<String>,
}

async fn list(
    state: web::Data<WebState>,
    signed: Signed,
    query: web::Query<DoneQuery>,
) -> Result<HttpResponse, PageError> {
    let tenant = admin_tenant(&signed)?;
    let mut users =
        state.api.tenants.all_tenant_users(signed.token(), tenant).await.map_err(|e| signed.fail(e))?;
    // Active people first, then by name.
    users.sort_by(|a, b| b.active.cmp(&a.active).then_with(|| a.display_name.cmp(&b.display_name)));
    let ctx = signed.chrome();
    let me = signed.user().id;
    let users = users.iter().map(|u| UserRow::of(&ctx, me, u)).collect();
    let notice = notice(
        signed.lang(),
        query.done.as_deref(),
        &[("invited", "admin-users-invited"), ("deactivated", "admin-users-deactivated")],
    );
    render(&UsersPage { ctx, users, notice })
}

#[derive(Template)]
#[template(path = "admin/invite.html")]
struct InvitePage {
    ctx: Chrome,
    email: String,
    name: String,
    role: String,
    errors: FieldErrors,
    error: Option<String>,
    min_password: usize,
    max_password: usize,
}

impl InvitePage {
    fn new(ctx: Chrome) -> Self {
        Self {
            ctx,
            email: String::new(),
            name: String::new(),
            role: Role::Requester.as_str().to_owned(),
            errors: FieldErrors::default(),
            error: None,
            min_password: MIN_PASSWORD,
            max_password: MAX_PASSWORD,
        }
    }
}

impl InvitePage {
    fn password_range(&self) -> String {
        format!("{}–{}", self.min_password, self.max_password)
    }
}

async fn invite_form(signed: Signed) -> Result<HttpResponse, PageError> {
    admin_tenant(&signed)?;
    render(&InvitePage::new(signed.chrome()))
}

#[derive(Deserialize)]
pub struct InviteForm {
    #[serde(rename = "_csrf")]
    csrf: Option<String>,
    #[serde(default)]
    email: String,
    #[serde(default)]
    display_name: String,
    #[serde(default)]
    role: String,
    #[serde(default)]
    password: String,
}

/// The API's words about a user's field, as the page says them.
pub(super) fn explained(lang: Lang, e: &FieldError) -> FieldError {
    let message = match e.field.as_str() {
        "email" => lang.t("admin-users-error-email"),
        "display_name" => lang.t("admin-users-error-name"),
        "password" => password_rule(lang),
        f if f.starts_with("roles") => lang.t("admin-users-error-role"),
        _ => e.message.clone(),
    };
    FieldError::new(e.field.clone(), message)
}

pub(super) fn password_rule(lang: Lang) -> String {
    lang.t_with(
        "admin-users-error-password",
        &[("min", Arg::Number(MIN_PASSWORD as i64)), ("max", Arg::Number(MAX_PASSWORD as i64))],
    )
}

pub(super) fn password_fits(password: &str) -> bool {
    (MIN_PASSWORD..=MAX_PASSWORD).contains(&password.chars().count())
}

async fn invite(
    req: HttpRequest,
    state: web::Data<WebState>,
    signed: Signed,
    form: web::Form<InviteForm>,
) -> Result<HttpResponse, PageError> {
    signed.check_csrf(&req, form.csrf.as_deref())?;
    let tenant = admin_tenant(&signed)?;
    let form = form.into_inner();
    let lang = signed.lang();
    let refuse = |errors: Vec<FieldError>, error: Option<String>, status: StatusCode| {
        let page = InvitePage {
            email: form.email.clone(),
            name: form.display_name.clone(),
            role: form.role.clone(),
            errors: FieldErrors(errors),
            error,
            ..InvitePage::new(signed.chrome())
        };
        render_status(status, &page)
    };
    // What the page can tell at once, in the reader's language; the API checks it all again.
    let mut errors = Vec::new();
    if !is_email(form.email.trim()) {
        errors.push(FieldError::new("email", lang.t("admin-users-error-email")));
    }
    if form.display_name.trim().is_empty() {
        errors.push(FieldError::new("display_name", lang.t("admin-users-error-name")));
    }
    let role = parse_role(&form.role);
    if role.is_none() {
        errors.push(FieldError::new("roles", lang.t("admin-users-error-role")));
    }
    if !password_fits(&form.password) {
        errors.push(FieldError::new("password", password_rule(lang)));
    }
    let Some(role) = role.filter(|_| errors.is_empty()) else {
        return refuse(errors, None, StatusCode::UNPROCESSABLE_ENTITY);
    };
    let body = NewUserRequest {
        email: form.email.trim().to_owned(),
        display_name: form.display_name.trim().to_owned(),
        password: form.password.clone(),
        roles: vec![role.as_str().to_owned()],
    };
    match state.api.tenants.create_tenant_user(signed.token(), tenant, &body).await {
        Ok(_) => Ok(see_other("/admin/users?done=invited")),
        Err(err) if err.status() == Some(422) => {
            let errors = err.problem().map(|p| p.errors.iter().map(|e| explained(lang, e)).collect());
            refuse(errors.unwrap_or_default(), None, StatusCode::UNPROCESSABLE_ENTITY)
        }
        Err(err) if err.status() == Some(409) => {
            let errors = vec![FieldError::new("email", lang.t("admin-users-error-taken"))];
            refuse(errors, None, StatusCode::CONFLICT)
        }
        Err(err) => match refusal(lang, &err) {
            Some(message) => refuse(Vec::new(), Some(message), StatusCode::CONFLICT),
            None => Err(signed.fail(err)),
        },
    }
}
