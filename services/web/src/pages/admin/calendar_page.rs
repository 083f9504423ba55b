//! `/admin/settings/calendar`: the business calendar and the time zone as a form. Saving
//! writes the whole configuration back at the version the form was read at (a change made
//! meanwhile is refused, never overwritten); a refused value is shown beside its input;
//! below the form, what the saved calendar means for due times.

use std::sync::LazyLock;

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;
use serde::Deserialize;

use canopy_api::client::CallError;
use canopy_sla::calendar::DAY_KEYS;

use super::calendar::{CalendarForm, MORE_ROWS, Mapped, Message, Problem};
use super::preview::{PRIORITIES, Preview, preview};
use super::summary::{day_key, interval_text};
use super::{admin_tenant, refusal};
use crate::i18n::Lang;
use crate::pages::{Chrome, PageError, Signed, render_status, see_other};
use crate::state::WebState;

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/admin/settings/calendar", web::get().to(calendar))
        .route("/admin/settings/calendar", web::post().to(save));
}

/// Every IANA time zone name, sorted.
static ZONES: LazyLock<Vec<String>> = LazyLock::new(|| {
    let mut zones: Vec<String> = jiff::tz::db().available().map(|name| name.to_string()).collect();
    zones.sort();
    zones
});

struct IntervalView {
    id: String,
    number: usize,
    start: String,
    end: String,
    next_day: bool,
    error: Option<String>,
}

struct DayView {
    key: &'static str,
    name: &'static str,
    error: Option<String>,
    rows: Vec<IntervalView>,
}

struct HolidayView {
    id: String,
    number: usize,
    from: String,
    to: String,
    name: String,
    remove: bool,
    filled: bool,
    error: Option<String>,
    name_error: Option<String>,
}

struct ExtraView {
    id: String,
    number: usize,
    date: String,
    remove: bool,
    filled: bool,
    error: Option<String>,
}

#[derive(Template)]
#[template(path = "admin/calendar.html")]
struct CalendarPage {
    ctx: Chrome,
    version: i64,
    timezone: String,
    zones: &'static [String],
    timezone_error: Option<String>,
    days: Vec<DayView>,
    weekly_error: Option<String>,
    holidays: Vec<HolidayView>,
    holidays_error: Option<String>,
    extra: Vec<ExtraView>,
    extra_error: Option<String>,
    monday: String,
    /// Problems no input of the form is about, and the page's own messages.
    errors: Vec<String>,
    notice: Option<String>,
    preview: Option<Preview>,
    priorities: Vec<&'static str>,
}

impl CalendarPage {
    fn new(ctx: Chrome, version: i64, form: &CalendarForm, problems: Vec<Problem>) -> Self {
        let lang = ctx.lang;
        let text = |m: &Message| match m {
            Message::Key(key) => lang.t(key),
            Message::Text(text) => text.clone(),
        };
        let mut problems = problems;
        let mut take = |field: &str| -> Option<String> {
            let at = problems.iter().position(|p| p.field == field)?;
            let p = problems.remove(at);
            // Two problems with one input: both are said.
            let mut said = text(&p.message);
            while let Some(more) = problems.iter().position(|p| p.field == field) {
                said.push(' ');
                said.push_str(&text(&problems.remove(more).message));
            }
            Some(said)
        };
        let days = DAY_KEYS
            .iter()
            .zip(&form.days)
            .map(|(key, rows)| DayView {
                key,
                name: day_key(key),
                error: take(key),
                rows: rows
                    .iter()
                    .enumerate()
                    .map(|(i, r)| {
                        let id = format!("{key}-{i}");
                        IntervalView {
                            error: take(&id),
                            id,
                            number: i + 1,
                            start: r.start.clone(),
                            end: r.end.clone(),
                            next_day: r.next_day,
                        }
                    })
                    .collect(),
            })
            .collect();
        let holidays = form
            .holidays
            .iter()
            .enumerate()
            .map(|(i, h)| {
                let id = format!("holiday-{i}");
                HolidayView {
                    error: take(&id),
                    name_error: take(&format!("{id}-name")),
                    id,
                    number: i + 1,
                    from: h.from.clone(),
                    to: h.to.clone(),
                    name: h.name.clone(),
                    remove: h.remove,
                    filled: !h.from.is_empty(),
                }
            })
            .collect();
        let extra = form
            .extra
            .iter()
            .enumerate()
            .map(|(i, e)| {
                let id = format!("extra-{i}");
                ExtraView {
                    error: take(&id),
                    id,
                    number: i + 1,
                    date: e.date.clone(),
                    remove: e.remove,
                    filled: !e.date.is_empty(),
                }
            })
            .collect();
        let monday: Vec<String> = form.days[0]
            .iter()
            .filter(|r| !r.start.is_empty() && !r.end.is_empty())
            .map(|r| interval_text(&r.start, &r.end))
            .collect();
        let timezone_error = take("timezone");
        let weekly_error = take("weekly");
        let holidays_error = take("holidays");
        let extra_error = take("extra");
        let errors = problems.iter().map(|p| text(&p.message)).collect();
        Self {
            version,
            timezone: form.timezone.clone(),
            zones: ZONES.as_slice(),
            timezone_error,
            days,
            weekly_error,
            holidays,
            holidays_error,
            extra,
            extra_error,
            monday: if monday.is_empty() { lang.t("admin-cal-closed") } else { monday.join(", ") },
            errors,
            notice: None,
            preview: None,
            priorities: PRIORITIES.iter().map(|p| p.as_str()).collect(),
            ctx,
        }
    }

    /// The zone list, with the form's zone in it even if this build does not know it.
    fn has_zone(&self) -> bool {
        self.zones.contains(&self.timezone)
    }
}

#[derive(Deserialize)]
pub struct SavedQuery {
    saved: Option<i64>,
}

async fn calendar(
    state: web::Data<WebState>,
    signed: Signed,
    query: web::Query<SavedQuery>,
) -> Result<HttpResponse, PageError> {
    let tenant = admin_tenant(&signed)?;
    let view = state.api.tenants.read_settings(signed.token(), tenant).await.map_err(|e| signed.fail(e))?;
    let ctx = signed.chrome();
    let lang = ctx.lang;
    let calendar = &view.config.business_calendar;
    let preview = preview(&state, &ctx, signed.token(), tenant, calendar).await;
    let form = CalendarForm::of(&view.config.timezone, calendar);
    let mut page = CalendarPage::new(ctx, view.version, &form, Vec::new());
    page.notice =
        query.saved.map(|v| lang.t_with("admin-cal-saved", &[("version", crate::i18n::Arg::Number(v))]));
    page.preview = Some(preview);
    render_status(StatusCode::OK, &page)
}

async fn save(
    req: HttpRequest,
    state: web::Data<WebState>,
    signed: Signed,
    form: web::Form<Vec<(String, String)>>,
) -> Result<HttpResponse, PageError> {
    let pairs = form.into_inner();
    let field = |name: &str| pairs.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str());
    signed.check_csrf(&req, field("_csrf"))?;
    let tenant = admin_tenant(&signed)?;
    let lang = signed.lang();
    let Some(version) = field("version").and_then(|v| v.trim().parse::<i64>().ok()) else {
        return Err(PageError { lang, failure: crate::pages::Failure::BadForm });
    };
    let mut form = CalendarForm::from_pairs(&pairs);
    let again = |form: &CalendarForm, problems: Vec<Problem>, message: Option<String>, status: StatusCode| {
        let mut form = form.clone();
        form.pad(0);
        let mut page = CalendarPage::new(signed.chrome(), version, &form, problems);
        page.errors.extend(message);
        render_status(status, &page)
    };
    if field("action") == Some("more") {
        form.pad(MORE_ROWS);
        let page = CalendarPage::new(signed.chrome(), version, &form, Vec::new());
        return render_status(StatusCode::OK, &page);
    }
    let mapped = match form.to_document() {
        Ok(mapped) => mapped,
        Err(problems) => return again(&form, problems, None, StatusCode::UNPROCESSABLE_ENTITY),
    };
    // The rest of the configuration as it is now; the calendar and the zone from the form;
    // written only if nobody changed anything since the form was read.
    let current =
        state.api.tenants.read_settings(signed.token(), tenant).await.map_err(|e| signed.fail(e))?;
    let mut config = current.config;
    config.timezone = mapped.timezone.clone();
    config.business_calendar = mapped.calendar.clone();
    match state.api.tenants.write_settings(signed.token(), tenant, version, &config).await {
        Ok(saved) => Ok(see_other(&format!("/admin/settings/calendar?saved={}", saved.version))),
        Err(err) => {
            let (problems, message, status) = refused(lang, &mapped, &err);
            match (problems, message) {
                (problems, Some(message)) => again(&form, problems, Some(message), status),
                (problems, None) if !problems.is_empty() => again(&form, problems, None, status),
                _ => Err(signed.fail(err)),
            }
        }
    }
}

/// A refused save: the API's problems placed beside their inputs, or what the page says of
/// the refusal.
fn refused(lang: Lang, mapped: &Mapped, err: &CallError) -> (Vec<Problem>, Option<String>, StatusCode) {
    match err.status() {
        Some(412) => (Vec::new(), Some(lang.t("admin-cal-moved")), StatusCode::CONFLICT),
        Some(422) => {
            let problems: Vec<Problem> = err
                .problem()
                .map(|p| {
                    p.errors
                        .iter()
                        .map(|e| {
                            mapped.place(&e.field, &e.message).unwrap_or_else(|| Problem {
                                field: "calendar".into(),
                                message: Message::Text(format!("{}: {}", e.field, e.message)),
                            })
                        })
                        .collect()
                })
                .unwrap_or_default();
            let message = if problems.is_empty() { refusal(lang, err) } else { None };
            (problems, message, StatusCode::UNPROCESSABLE_ENTITY)
        }
        _ => (Vec::new(), refusal(lang, err), StatusCode::CONFLICT),
    }
}
