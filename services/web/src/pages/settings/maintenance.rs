//! Maintenance windows (part of the monitoring rules): events from the hosts and checks they
//! cover are silenced while they last. A window is once (start and end typed in the tenant's
//! local time, sent in UTC) or every week (days, from, to, local). Windows are added or
//! removed, not edited.

use askama::Template;
use chrono::{DateTime, Utc};

use canopy_api::tenants::{ConfigView, TenantConfig};
use canopy_monitoring::{MaintenanceWindow, Weekly};

use super::form::{Choice, Input, Mistakes, Posted, list_of, row_name};
use super::monitoring::{Monitoring, MonitoringPage, rules_view};
use super::placement::{ListEdit, Placement};
use super::{Frame, Section};
use crate::i18n::Lang;
use crate::pages::{Chrome, FieldErrors};

pub struct Maintenance;

const DAYS: [&str; 7] = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"];

/// A wall-clock time typed in `zone` (`2026-12-01T22:00`, as a `datetime-local` input sends
/// it) as an instant. A time the clocks skip is moved forward by the gap, a repeated one is its
/// first occurrence (the "compatible" rule).
pub fn local_to_utc(text: &str, zone: &str) -> Option<DateTime<Utc>> {
    let civil: jiff::civil::DateTime = text.trim().parse().ok()?;
    let tz = jiff::tz::TimeZone::get(zone).ok()?;
    let ts = civil.to_zoned(tz).ok()?.timestamp();
    DateTime::from_timestamp(ts.as_second(), ts.subsec_nanosecond().try_into().ok()?)
}

#[derive(Clone, Debug, Default, PartialEq)]
pub struct WindowRow {
    pub at: Option<usize>,
    pub remove: bool,
    pub name: String,
    /// `once` or `weekly`.
    pub kind: String,
    pub starts_at: String,
    pub ends_at: String,
    pub days: Vec<String>,
    pub from: String,
    pub to: String,
    pub hosts: String,
    pub checks: String,
}

impl WindowRow {
    fn is_blank(&self) -> bool {
        [&self.name, &self.starts_at, &self.ends_at, &self.from, &self.to, &self.hosts, &self.checks]
            .iter()
            .all(|s| s.trim().is_empty())
            && self.days.is_empty()
    }

    /// The window this new row describes, or the mistakes in it.
    fn window(&self, n: usize, zone: &str, mistakes: &mut Mistakes) -> MaintenanceWindow {
        let mut window = MaintenanceWindow {
            name: self.name.trim().to_owned(),
            hosts: list_of(&self.hosts, true),
            checks: list_of(&self.checks, true),
            starts_at: None,
            ends_at: None,
            weekly: None,
        };
        if self.kind == "weekly" {
            window.weekly = Some(Weekly {
                days: self.days.clone(),
                from: self.from.trim().to_owned(),
                to: self.to.trim().to_owned(),
            });
        } else {
            let mut instant = |text: &str, field: &str| {
                let at = local_to_utc(text, zone);
                if at.is_none() {
                    mistakes.add(row_name(n, field), "cfg-error-local-time");
                }
                at
            };
            window.starts_at = instant(&self.starts_at, "starts_at");
            window.ends_at = instant(&self.ends_at, "ends_at");
        }
        window
    }
}

pub struct MaintenanceForm {
    pub rows: Vec<WindowRow>,
}

/// A window the document has, as the page lists it.
pub struct WindowView {
    pub n: usize,
    pub at: usize,
    pub name: String,
    pub when: String,
    pub hosts: String,
    pub checks: String,
    pub over: bool,
    pub remove: Input,
}

/// The new window's inputs.
pub struct NewWindow {
    pub n: usize,
    pub name: Input,
    pub once: bool,
    pub kind_id: String,
    pub starts_at: Input,
    pub ends_at: Input,
    pub weekly: Option<String>,
    pub days: Input,
    pub day_choices: Vec<Choice>,
    pub from: Input,
    pub to: Input,
    pub hosts: Input,
    pub checks: Input,
}

pub struct MaintenanceView {
    pub windows: Vec<WindowView>,
    pub new: NewWindow,
    pub zone: String,
}

impl Section for Maintenance {
    const PATH: &'static str = "/admin/settings/monitoring/maintenance";
    const PAGE: &'static str = Monitoring::PATH;
    type Form = MaintenanceForm;

    fn form_of(config: &TenantConfig) -> MaintenanceForm {
        let rows = (0..config.monitoring.maintenance.len())
            .map(|i| WindowRow { at: Some(i), ..WindowRow::default() })
            .collect();
        MaintenanceForm { rows }
    }

    fn parse(posted: &Posted) -> MaintenanceForm {
        let rows = posted
            .rows()
            .map(|r| WindowRow {
                at: r.at(),
                remove: r.on("remove"),
                name: r.text("name"),
                kind: r.text("kind"),
                starts_at: r.text("starts_at"),
                ends_at: r.text("ends_at"),
                days: r.all("weekly.days"),
                from: r.text("weekly.from"),
                to: r.text("weekly.to"),
                hosts: r.text("hosts"),
                checks: r.text("checks"),
            })
            .collect();
        MaintenanceForm { rows }
    }

    fn apply(
        form: &MaintenanceForm,
        config: &mut TenantConfig,
        lang: Lang,
    ) -> Result<Placement, FieldErrors> {
        let mut mistakes = Mistakes::new(lang);
        let zone = config.timezone.clone();
        let mut list = ListEdit::new(std::mem::take(&mut config.monitoring.maintenance));
        for (n, row) in form.rows.iter().enumerate() {
            match row.at {
                Some(i) if row.remove => list.remove(i),
                Some(i) => {
                    list.edit(i, n);
                }
                None if row.is_blank() => {}
                None => list.add(row.window(n, &zone, &mut mistakes), n),
            }
        }
        let mut placement = Placement::default();
        config.monitoring.maintenance = list.finish("monitoring.maintenance", &mut placement);
        if mistakes.is_empty() { Ok(placement) } else { Err(mistakes.into_errors()) }
    }

    fn page(
        ctx: Chrome,
        frame: Frame,
        view: &ConfigView,
        form: MaintenanceForm,
        errors: FieldErrors,
    ) -> impl Template {
        let rules =
            rules_view(ctx.lang, &view.config, Monitoring::form_of(&view.config), &FieldErrors::default());
        let maintenance = self::view(&ctx, &view.config, form, &errors);
        MonitoringPage { ctx, frame, rules, maintenance }
    }
}

/// An error exactly on `name` (not on a field under it).
fn exactly(errors: &FieldErrors, name: &str) -> Option<String> {
    errors.0.iter().find(|e| e.field == name).map(|e| e.message.clone())
}

/// The maintenance windows' part of the page.
pub fn view(
    ctx: &Chrome,
    config: &TenantConfig,
    form: MaintenanceForm,
    errors: &FieldErrors,
) -> MaintenanceView {
    let lang = ctx.lang;
    let zone = config.timezone.as_str();
    let all = lang.t("cfg-all");
    let windows_of = &config.monitoring.maintenance;
    let mut windows = Vec::new();
    let mut new = None;
    for (n, row) in form.rows.into_iter().enumerate() {
        match row.at {
            Some(at) => {
                let Some(w) = windows_of.get(at) else { continue };
                let when = match (&w.starts_at, &w.ends_at, &w.weekly) {
                    (Some(s), Some(e), _) => {
                        format!(
                            "{} – {}",
                            crate::format::local_time(s, zone),
                            crate::format::local_time(e, zone)
                        )
                    }
                    (_, _, Some(wk)) => {
                        let days: Vec<String> =
                            wk.days.iter().map(|d| lang.t(&format!("cfg-day-{d}"))).collect();
                        lang.t_with(
                            "cfg-weekly-when",
                            &[
                                ("days", days.join(&lang.t("cfg-list-separator")).into()),
                                ("from", wk.from.clone().into()),
                                ("to", wk.to.clone().into()),
                            ],
                        )
                    }
                    _ => String::new(),
                };
                let list = |items: &[String]| if items.is_empty() { all.clone() } else { items.join(", ") };
                windows.push(WindowView {
                    n,
                    at,
                    name: w.name.clone(),
                    when,
                    hosts: list(&w.hosts),
                    checks: list(&w.checks),
                    over: w.ends_at.is_some_and(|e| e <= ctx.now),
                    remove: Input::check(row_name(n, "remove"), row.remove, errors),
                });
            }
            None => new = Some((n, row)),
        }
    }
    let (n, row) = new.unwrap_or_else(|| (windows.len(), WindowRow::default()));
    let day_choices = DAYS
        .iter()
        .map(|d| {
            Choice::new(
                &row_name(n, "weekly.days"),
                d,
                lang.t(&format!("cfg-day-{d}")),
                row.days.iter().any(|x| x == d),
            )
        })
        .collect();
    let new = NewWindow {
        n,
        name: Input::new(row_name(n, "name"), row.name, errors),
        once: row.kind != "weekly",
        kind_id: super::form::id_of(&row_name(n, "kind")),
        starts_at: Input::new(row_name(n, "starts_at"), row.starts_at, errors),
        ends_at: Input::new(row_name(n, "ends_at"), row.ends_at, errors),
        weekly: exactly(errors, &row_name(n, "weekly")),
        days: Input::new(row_name(n, "weekly.days"), String::new(), errors),
        day_choices,
        from: Input::new(row_name(n, "weekly.from"), row.from, errors),
        to: Input::new(row_name(n, "weekly.to"), row.to, errors),
        hosts: Input::new(row_name(n, "hosts"), row.hosts, errors),
        checks: Input::new(row_name(n, "checks"), row.checks, errors),
    };
    MaintenanceView { windows, new, zone: zone.to_owned() }
}

#[cfg(test)]
mod tests {
    use super::*;
    use canopy_api::tenants::Locale;
    use canopy_kernel::FieldError;

    fn at(s: &str) -> DateTime<Utc> {
        s.parse().unwrap_or_else(|_| panic!("{s}"))
    }

    #[test]
    fn local_times_are_the_tenants_and_travel_in_utc() {
        assert_eq!(local_to_utc("2026-12-01T22:00", "Asia/Shanghai"), Some(at("2026-12-01T14:00:00Z")));
        assert_eq!(local_to_utc("2026-12-01T22:00:30", "Asia/Shanghai"), Some(at("2026-12-01T14:00:30Z")));
        // New York skips 02:00–03:00 on 8 March 2026: 02:30 is read as 03:30 EDT.
        assert_eq!(local_to_utc("2026-03-08T02:30", "America/New_York"), Some(at("2026-03-08T07:30:00Z")));
        // …and repeats 01:00–02:00 on 1 November: the first 01:30 (EDT).
        assert_eq!(local_to_utc("2026-11-01T01:30", "America/New_York"), Some(at("2026-11-01T05:30:00Z")));
        assert_eq!(local_to_utc("tomorrow", "Asia/Shanghai"), None);
        assert_eq!(local_to_utc("2026-12-01T22:00", "Nowhere/Else"), None);
    }

    #[test]
    fn a_new_window_is_added_in_utc_and_one_is_removed() {
        let mut doc = TenantConfig::initial("Asia/Shanghai", Locale::ZhCn);
        doc.monitoring.maintenance = vec![MaintenanceWindow {
            name: "old".into(),
            hosts: vec![],
            checks: vec![],
            starts_at: Some(at("2026-01-01T00:00:00Z")),
            ends_at: Some(at("2026-01-01T01:00:00Z")),
            weekly: None,
        }];
        let mut form = Maintenance::form_of(&doc);
        form.rows[0].remove = true;
        form.rows.push(WindowRow {
            name: "Switch swap".into(),
            kind: "once".into(),
            starts_at: "2026-12-05T22:00".into(),
            ends_at: "2026-12-06T02:00".into(),
            hosts: "sw-core-*, fw01".into(),
            ..WindowRow::default()
        });
        let placement = Maintenance::apply(&form, &mut doc, Lang::En).unwrap_or_else(|_| panic!("refused"));
        let w = &doc.monitoring.maintenance;
        assert_eq!(w.len(), 1);
        assert_eq!(
            (w[0].starts_at, w[0].ends_at),
            (Some(at("2026-12-05T14:00:00Z")), Some(at("2026-12-05T18:00:00Z")))
        );
        assert_eq!(w[0].hosts, ["sw-core-*", "fw01"]);
        let (placed, _) = placement.place(vec![
            FieldError::new("monitoring.maintenance[0].ends_at", "must be after starts_at"),
            FieldError::new("monitoring.maintenance[0].hosts[1]", "bad pattern"),
        ]);
        assert_eq!(placed.of("rows[1].ends_at"), Some("must be after starts_at"));
        assert_eq!(placed.of("rows[1].hosts"), Some("bad pattern"));
    }

    #[test]
    fn a_weekly_window_and_a_time_that_is_none() {
        let mut doc = TenantConfig::initial("Asia/Shanghai", Locale::En);
        let weekly = WindowRow {
            name: "Backups".into(),
            kind: "weekly".into(),
            days: vec!["sat".into(), "sun".into()],
            from: "23:00".into(),
            to: "02:00".into(),
            ..WindowRow::default()
        };
        Maintenance::apply(&MaintenanceForm { rows: vec![weekly] }, &mut doc, Lang::En)
            .unwrap_or_else(|_| panic!("refused"));
        let w = &doc.monitoring.maintenance[0];
        assert_eq!((w.starts_at, w.weekly.as_ref().map(|w| w.from.as_str())), (None, Some("23:00")));
        let once = WindowRow {
            name: "x".into(),
            kind: "once".into(),
            starts_at: "soon".into(),
            ..WindowRow::default()
        };
        let Err(errors) = Maintenance::apply(&MaintenanceForm { rows: vec![once] }, &mut doc, Lang::En)
        else {
            panic!("accepted")
        };
        assert!(errors.of("rows[0].starts_at").is_some() && errors.of("rows[0].ends_at").is_some());
    }
}
