//! `/reports`: the last month that ended goes to its report; `/reports/{YYYY-MM}` is the
//! report page; `.csv` and `.json` are the report as ticketing writes it.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use askama::Template;
use serde::Deserialize;

use canopy_api::reports::ReportFile;

use super::{Notice, attachment, tenant_admin};
use crate::finance::month::Month;
use crate::finance::report::ReportView;
use crate::i18n::{Arg, Lang};
use crate::pages::{Chrome, PageError, Signed, render, see_other};
use crate::state::WebState;

/// How many months the period picker offers.
const PICKER_MONTHS: u32 = 12;

#[derive(Deserialize)]
pub struct PeriodQuery {
    period: Option<String>,
}

/// The month asked for, when it is one and has ended; otherwise the page that says why not.
fn reported(ctx: &Chrome, raw: &str, status_if_malformed: StatusCode) -> Result<Month, Box<Notice>> {
    let lang = ctx.lang;
    let latest = Month::last_ended(ctx.now, ctx.zone());
    let notice = |status, title: String, text: String| {
        Box::new(Notice {
            ctx: chrome_of(ctx),
            status,
            title,
            text,
            link_href: format!("/reports/{latest}"),
            link_label: lang.t("fin-latest-report"),
        })
    };
    let Some(month) = Month::parse(raw) else {
        let text = lang.t_with(
            "fin-bad-period-text",
            &[
                ("period", Arg::Text(raw.chars().take(40).collect())),
                ("example", Arg::Text(latest.to_string())),
            ],
        );
        return Err(notice(status_if_malformed, lang.t("fin-bad-period-title"), text));
    };
    if !month.has_ended(ctx.now, ctx.zone()) {
        let title = lang.t_with("fin-not-ended-title", &[("month", Arg::Text(month.label(lang)))]);
        let text = lang.t_with(
            "fin-not-ended-text",
            &[("zone", Arg::Text(ctx.zone().to_owned())), ("latest", Arg::Text(latest.label(lang)))],
        );
        return Err(notice(StatusCode::NOT_FOUND, title, text));
    }
    Ok(month)
}

fn chrome_of(ctx: &Chrome) -> Chrome {
    Chrome {
        lang: ctx.lang,
        csrf: ctx.csrf.clone(),
        user: ctx.user.clone(),
        tenant: ctx.tenant.clone(),
        path: ctx.path.clone(),
        now: ctx.now,
    }
}

/// `/reports`: the last month that ended in the tenant's zone, or the month the picker names.
pub async fn latest(signed: Signed, query: web::Query<PeriodQuery>) -> Result<HttpResponse, PageError> {
    tenant_admin(&signed)?;
    let ctx = signed.chrome();
    match query.into_inner().period {
        Some(raw) => match reported(&ctx, raw.trim(), StatusCode::BAD_REQUEST) {
            Ok(month) => Ok(see_other(&format!("/reports/{month}"))),
            Err(notice) => notice.respond(),
        },
        None => Ok(see_other(&format!("/reports/{}", Month::last_ended(ctx.now, ctx.zone())))),
    }
}

#[derive(Template)]
#[template(path = "fin/report.html")]
struct ReportPage {
    ctx: Chrome,
    period: String,
    report: ReportView,
    generated: String,
    /// (value, label, selected)
    months: Vec<(String, String, bool)>,
    prev: Option<(String, String)>,
    next: Option<(String, String)>,
}

fn picker(lang: Lang, ctx: &Chrome, month: Month) -> Vec<(String, String, bool)> {
    let mut months = Month::last_ended_months(ctx.now, ctx.zone(), PICKER_MONTHS);
    if !months.contains(&month) {
        months.push(month);
    }
    months.into_iter().map(|m| (m.to_string(), m.label(lang), m == month)).collect()
}

pub async fn page(
    state: web::Data<WebState>,
    signed: Signed,
    path: web::Path<String>,
) -> Result<HttpResponse, PageError> {
    let tenant = tenant_admin(&signed)?;
    let ctx = signed.chrome();
    let month = match reported(&ctx, &path, StatusCode::NOT_FOUND) {
        Ok(month) => month,
        Err(notice) => return notice.respond(),
    };
    let period = month.to_string();
    let (report, availability) = futures_util::join!(
        state.api.ticketing.monthly_report(signed.token(), Some(tenant), &period),
        state.api.billing.availability(signed.token(), tenant, &period),
    );
    let report = report.map_err(|e| signed.fail(e))?;
    // The page stands without the measured availability; the log says why it is missing.
    let availability = availability
        .map_err(|e| tracing::warn!(error = %e, "availability unavailable to the report page"))
        .ok()
        .flatten();
    let lang = ctx.lang;
    let prev = Some(month.back(1))
        .filter(|m| Month::parse(&m.to_string()).is_some())
        .map(|m| (m.to_string(), m.label(lang)));
    let next = Some(month.next())
        .filter(|m| m.has_ended(ctx.now, ctx.zone()))
        .map(|m| (m.to_string(), m.label(lang)));
    let page = ReportPage {
        months: picker(lang, &ctx, month),
        generated: ctx.when(&report.generated_at),
        report: ReportView::of(lang, month, &report, availability.as_ref()),
        period,
        prev,
        next,
        ctx,
    };
    render(&page)
}

async fn file(
    state: web::Data<WebState>,
    signed: Signed,
    raw: &str,
    format: ReportFile,
) -> Result<HttpResponse, PageError> {
    let tenant = tenant_admin(&signed)?;
    let ctx = signed.chrome();
    let month = match reported(&ctx, raw, StatusCode::NOT_FOUND) {
        Ok(month) => month,
        Err(notice) => return notice.respond(),
    };
    let file = state
        .api
        .ticketing
        .monthly_report_file(signed.token(), Some(tenant), &month.to_string(), format)
        .await
        .map_err(|e| signed.fail(e))?;
    Ok(attachment(file, &format!("it-report-{month}.{}", format.as_str())))
}

pub async fn csv(
    state: web::Data<WebState>,
    signed: Signed,
    path: web::Path<String>,
) -> Result<HttpResponse, PageError> {
    file(state, signed, &path, ReportFile::Csv).await
}

pub async fn json(
    state: web::Data<WebState>,
    signed: Signed,
    path: web::Path<String>,
) -> Result<HttpResponse, PageError> {
    file(state, signed, &path, ReportFile::Json).await
}
