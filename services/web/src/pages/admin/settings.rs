//! The settings' overview (`/admin/settings`): the configuration in force at a glance, with
//! links to its sections, and its history (who changed what, when), each version readable
//! as it was (`/admin/settings/versions/{n}`).

use std::collections::HashMap;

use actix_web::{HttpResponse, web};
use askama::Template;
use serde::Deserialize;
use uuid::Uuid;

use canopy_api::tenants::{ConfigChange, UserView};

use super::admin_tenant;
use super::summary::{ConfigSummary, section_of};
use crate::pages::{Chrome, PageError, Signed, render};
use crate::state::WebState;

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/admin/settings", web::get().to(overview))
        .route("/admin/settings/versions/{version}", web::get().to(version));
}

/// Versions a page of the history shows.
const HISTORY_PAGE: u32 = 20;

/// One version in the history.
struct VersionRow {
    version: i64,
    when: String,
    who: String,
    /// The sections it changed (catalogue keys), and the paths within them.
    changed: Vec<(&'static str, Vec<String>)>,
    current: bool,
}

/// Who changed it: a user of the tenant by name, anyone else (the provider's staff) as such.
fn names(users: &[UserView]) -> HashMap<Uuid, String> {
    users.iter().map(|u| (u.id, u.display_name.clone())).collect()
}

fn row(ctx: &Chrome, names: &HashMap<Uuid, String>, c: &ConfigChange, current: i64) -> VersionRow {
    let mut changed: Vec<(&'static str, Vec<String>)> = Vec::new();
    for path in &c.changed_paths {
        let section = section_of(path);
        let within = path.split_once('.').map(|(_, rest)| rest.to_owned());
        match changed.iter_mut().find(|(s, _)| *s == section) {
            Some((_, paths)) => paths.extend(within),
            None => changed.push((section, within.into_iter().collect())),
        }
    }
    VersionRow {
        version: c.version,
        when: ctx.when(&c.changed_at),
        who: names.get(&c.changed_by).cloned().unwrap_or_else(|| ctx.t("admin-history-provider")),
        changed,
        current: c.version == current,
    }
}

#[derive(Template)]
#[template(path = "admin/settings.html")]
struct OverviewPage {
    ctx: Chrome,
    version: i64,
    updated: String,
    summary: ConfigSummary,
    history: Vec<VersionRow>,
    older: Option<String>,
    /// A page of older versions is shown (not the newest).
    paged: bool,
}

#[derive(Deserialize)]
pub struct HistoryQuery {
    cursor: Option<String>,
}

fn today(ctx: &Chrome) -> Option<jiff::civil::Date> {
    crate::format::local_day(&ctx.now, ctx.zone()).parse().ok()
}

async fn overview(
    state: web::Data<WebState>,
    signed: Signed,
    query: web::Query<HistoryQuery>,
) -> Result<HttpResponse, PageError> {
    let tenant = admin_tenant(&signed)?;
    let token = signed.token();
    let cursor = query.cursor.as_deref().filter(|c| c.len() <= 20 && c.chars().all(|ch| ch.is_ascii_digit()));
    let api = &state.api.tenants;
    let (config, history, users) = futures_util::future::join3(
        api.read_settings(token, tenant),
        api.config_history(token, tenant, cursor, HISTORY_PAGE),
        api.all_tenant_users(token, tenant),
    )
    .await;
    let config = config.map_err(|e| signed.fail(e))?;
    let history = history.map_err(|e| signed.fail(e))?;
    let names = names(&users.map_err(|e| signed.fail(e))?);
    let ctx = signed.chrome();
    let page = OverviewPage {
        version: config.version,
        updated: ctx.when(&config.updated_at),
        summary: ConfigSummary::of(signed.lang(), &config.config, today(&ctx)),
        history: history.items.iter().map(|c| row(&ctx, &names, c, config.version)).collect(),
        older: history.next_cursor,
        paged: cursor.is_some(),
        ctx,
    };
    render(&page)
}

#[derive(Template)]
#[template(path = "admin/version.html")]
struct VersionPage {
    ctx: Chrome,
    version: i64,
    current: i64,
    when: String,
    who: String,
    summary: ConfigSummary,
}

async fn version(
    state: web::Data<WebState>,
    signed: Signed,
    path: web::Path<String>,
) -> Result<HttpResponse, PageError> {
    let tenant = admin_tenant(&signed)?;
    let lang = signed.lang();
    let number: i64 = path.parse().map_err(|_| PageError::not_found(lang))?;
    let token = signed.token();
    let api = &state.api.tenants;
    let (old, now, users) = futures_util::future::join3(
        api.config_version(token, tenant, number),
        api.read_settings(token, tenant),
        api.all_tenant_users(token, tenant),
    )
    .await;
    let old = old.map_err(|e| signed.fail(e))?;
    let now = now.map_err(|e| signed.fail(e))?;
    let names = names(&users.map_err(|e| signed.fail(e))?);
    let ctx = signed.chrome();
    let page = VersionPage {
        version: old.version,
        current: now.version,
        when: ctx.when(&old.updated_at),
        who: names.get(&old.updated_by).cloned().unwrap_or_else(|| ctx.t("admin-history-provider")),
        summary: ConfigSummary::of(lang, &old.config, None),
        ctx,
    };
    render(&page)
}
