//! The tenant admin's pages: the hub (`/admin`), the tenant's users, API keys, changes
//! waiting for approval, the settings' overview with its history, and the business calendar.
//! Only the tenant's admins see them; anyone else gets the not-found page.

mod account;
mod api_keys;
mod approvals;
pub mod calendar;
mod calendar_page;
mod preview;
mod settings;
mod summary;
mod users;

use actix_web::{HttpResponse, web};
use askama::Template;
use uuid::Uuid;

use canopy_api::client::CallError;

use super::{Chrome, PageError, Signed, render};
use crate::i18n::Lang;
use crate::state::WebState;

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/admin", web::get().to(hub));
    users::routes(cfg);
    account::routes(cfg);
    api_keys::routes(cfg);
    approvals::routes(cfg);
    settings::routes(cfg);
    calendar_page::routes(cfg);
}

/// The tenant whose admin is visiting; anyone else (requesters, provider staff) gets the
/// not-found page.
pub fn admin_tenant(signed: &Signed) -> Result<Uuid, PageError> {
    if !signed.user().is_tenant_admin() {
        return Err(PageError::not_found(signed.lang()));
    }
    signed.tenant()
}

/// An id from a path: anything that is no id names nothing.
pub fn id_of(lang: Lang, raw: &str) -> Result<Uuid, PageError> {
    raw.parse().map_err(|_| PageError::not_found(lang))
}

/// What a page says of an API refusal that is not about one field: the tenant suspended or
/// cancelled, a role not allowed, a conflict (with the API's own words). `None` for a
/// refusal that is a page of its own (sign in, not found, unavailable).
pub fn refusal(lang: Lang, err: &CallError) -> Option<String> {
    let code = err.problem().map(|p| p.code.as_str()).unwrap_or_default();
    match (err.status(), code) {
        (Some(403), "tenant_suspended") => Some(lang.t("admin-refused-suspended")),
        (Some(403), "tenant_cancelled") => Some(lang.t("admin-refused-cancelled")),
        (Some(412), _) => Some(lang.t("admin-refused-moved")),
        (Some(409 | 422), _) => Some(err.problem().map_or_else(
            || lang.t("admin-refused-conflict"),
            |p| lang.t_with("admin-refused-said", &[("detail", p.detail.clone().into())]),
        )),
        _ => None,
    }
}

/// A notice after a form was done (`?done=invited`), from the page's own list of them.
pub fn notice(lang: Lang, done: Option<&str>, known: &[(&str, &'static str)]) -> Option<String> {
    let done = done?;
    known.iter().find(|(code, _)| *code == done).map(|(_, key)| lang.t(key))
}

struct HubLink {
    href: &'static str,
    label: &'static str,
    text: &'static str,
}

struct HubGroup {
    title: &'static str,
    links: Vec<HubLink>,
}

const fn link(href: &'static str, label: &'static str, text: &'static str) -> HubLink {
    HubLink { href, label, text }
}

fn hub_groups() -> Vec<HubGroup> {
    vec![
        HubGroup {
            title: "admin-hub-people",
            links: vec![
                link("/admin/users", "admin-users-title", "admin-hub-users-text"),
                link("/admin/api-keys", "admin-keys-title", "admin-hub-keys-text"),
            ],
        },
        HubGroup {
            title: "admin-hub-changes",
            links: vec![link("/admin/approvals", "admin-approvals-title", "admin-hub-approvals-text")],
        },
        HubGroup {
            title: "admin-hub-settings",
            links: vec![
                link("/admin/settings", "admin-settings-title", "admin-hub-settings-text"),
                link("/admin/settings/calendar", "admin-cal-title", "admin-hub-calendar-text"),
                link("/admin/settings/categories", "admin-section-categories", "admin-hub-categories-text"),
                link("/admin/settings/priorities", "admin-section-priorities", "admin-hub-priorities-text"),
                link("/admin/settings/fields", "admin-section-fields", "admin-hub-fields-text"),
                link("/admin/settings/sites", "admin-section-sites", "admin-hub-sites-text"),
                link("/admin/settings/webhooks", "admin-section-webhooks", "admin-hub-webhooks-text"),
                link("/admin/settings/monitoring", "admin-section-monitoring", "admin-hub-monitoring-text"),
            ],
        },
        HubGroup {
            title: "admin-hub-reports",
            links: vec![
                link("/reports", "admin-hub-report", "admin-hub-report-text"),
                link("/invoices", "admin-hub-invoices", "admin-hub-invoices-text"),
            ],
        },
    ]
}

#[derive(Template)]
#[template(path = "admin/hub.html")]
struct Hub {
    ctx: Chrome,
    groups: Vec<HubGroup>,
    /// Changes waiting for a decision, when they could be counted.
    waiting: Option<usize>,
}

async fn hub(state: web::Data<WebState>, signed: Signed) -> Result<HttpResponse, PageError> {
    admin_tenant(&signed)?;
    // The count is a courtesy: the hub shows without it.
    let waiting = match state.api.ticketing.changes_awaiting_decision(signed.token()).await {
        Ok(changes) => Some(changes.len()),
        Err(err) => {
            tracing::debug!(error = %err, "changes waiting not counted");
            None
        }
    };
    render(&Hub { ctx: signed.chrome(), groups: hub_groups(), waiting })
}
