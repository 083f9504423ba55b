//! A configuration as a person reads it at a glance: zone, language, branding, the weekly
//! hours, and how much each section holds, with links to the sections. The same summary
//! serves the configuration in force and any earlier version.

use jiff::civil::Date;

use canopy_api::tenants::{Locale, TenantConfig};
use canopy_sla::calendar::{DAY_KEYS, MINUTES_PER_DAY, parse_wall_time};

use crate::i18n::{Arg, Lang};

/// The catalogue key of a weekday's name (`mon` → `admin-day-mon`).
pub fn day_key(day: &str) -> &'static str {
    match day {
        "mon" => "admin-day-mon",
        "tue" => "admin-day-tue",
        "wed" => "admin-day-wed",
        "thu" => "admin-day-thu",
        "fri" => "admin-day-fri",
        "sat" => "admin-day-sat",
        _ => "admin-day-sun",
    }
}

pub struct DayHours {
    pub day: &'static str,
    /// `09:00–12:00, 13:00–18:00`, or none when closed.
    pub hours: Option<String>,
}

pub struct Holiday {
    pub date: String,
    pub name: Option<String>,
}

/// One section of the settings: its page, and what it holds in words.
pub struct Section {
    pub href: &'static str,
    pub label: &'static str,
    pub holds: String,
}

pub struct ConfigSummary {
    pub timezone: String,
    pub language: &'static str,
    pub display_name: Option<String>,
    /// `#RRGGBB`, checked.
    pub color: Option<String>,
    pub logo_url: Option<String>,
    pub support_email: Option<String>,
    pub week: Vec<DayHours>,
    pub holidays: usize,
    /// The next few holidays from `today`.
    pub upcoming: Vec<Holiday>,
    pub extra_days: usize,
    pub sections: Vec<Section>,
    /// `13 %`.
    pub tax: String,
    pub totp_for_admins: bool,
}

/// An interval as people read it: `22:00–06:00 (+1)` for one that ends the next day.
pub fn interval_text(start: &str, end: &str) -> String {
    match (parse_wall_time(start, false), parse_wall_time(end, true)) {
        (Ok(s), Ok(e)) if e <= s && e != MINUTES_PER_DAY => format!("{start}–{end} (+1)"),
        _ => format!("{start}–{end}"),
    }
}

impl ConfigSummary {
    pub fn of(lang: Lang, c: &TenantConfig, today: Option<Date>) -> Self {
        let n = |key: &str, n: usize| lang.t_with(key, &[("n", Arg::Number(n as i64))]);
        let week = DAY_KEYS
            .iter()
            .zip(c.business_calendar.weekly.days())
            .map(|(day, intervals)| DayHours {
                day: day_key(day),
                hours: (!intervals.is_empty()).then(|| {
                    intervals.iter().map(|(s, e)| interval_text(s, e)).collect::<Vec<_>>().join(", ")
                }),
            })
            .collect();
        let cal = &c.business_calendar;
        let mut upcoming: Vec<Date> =
            cal.holidays.iter().copied().filter(|d| today.is_none_or(|t| *d >= t)).collect();
        upcoming.sort();
        let upcoming = upcoming
            .into_iter()
            .take(3)
            .map(|d| Holiday { date: d.to_string(), name: cal.holiday_names.get(&d).cloned() })
            .collect();
        let active = c.ticket_categories.iter().filter(|c| c.active).count();
        let sections = vec![
            Section {
                href: "/admin/settings/categories",
                label: "admin-section-categories",
                holds: lang.t_with(
                    "admin-holds-categories",
                    &[
                        ("n", Arg::Number(active as i64)),
                        ("all", Arg::Number(c.ticket_categories.len() as i64)),
                    ],
                ),
            },
            Section {
                href: "/admin/settings/priorities",
                label: "admin-section-priorities",
                holds: lang.t_with(
                    "admin-holds-priorities",
                    &[
                        ("impacts", Arg::Number(c.priority_matrix.impacts.len() as i64)),
                        ("urgencies", Arg::Number(c.priority_matrix.urgencies.len() as i64)),
                    ],
                ),
            },
            Section {
                href: "/admin/settings/fields",
                label: "admin-section-fields",
                holds: n("admin-holds-fields", c.custom_fields.len()),
            },
            Section {
                href: "/admin/settings/sites",
                label: "admin-section-sites",
                holds: n("admin-holds-sites", c.sites.len()),
            },
            Section {
                href: "/admin/settings/webhooks",
                label: "admin-section-webhooks",
                holds: lang.t_with(
                    "admin-holds-webhooks",
                    &[
                        ("n", Arg::Number(c.webhooks.iter().filter(|w| w.active).count() as i64)),
                        ("all", Arg::Number(c.webhooks.len() as i64)),
                    ],
                ),
            },
            Section {
                href: "/admin/settings/monitoring",
                label: "admin-section-monitoring",
                holds: lang.t_with(
                    "admin-holds-monitoring",
                    &[
                        ("rules", Arg::Number(c.monitoring.categories.len() as i64)),
                        ("windows", Arg::Number(c.monitoring.maintenance.len() as i64)),
                    ],
                ),
            },
        ];
        let color = c.branding.primary_color.clone().filter(|col| {
            col.len() == 7 && col.starts_with('#') && col[1..].chars().all(|ch| ch.is_ascii_hexdigit())
        });
        Self {
            timezone: c.timezone.clone(),
            language: match c.locale {
                Locale::En => "English",
                Locale::ZhCn => "简体中文",
            },
            display_name: c.branding.display_name.clone(),
            color,
            logo_url: c.branding.logo_url.clone(),
            support_email: c.branding.support_email.clone(),
            week,
            holidays: cal.holidays.len(),
            upcoming,
            extra_days: cal.extra_working_days.len(),
            sections,
            tax: format!("{}.{:02} %", c.tax_rate_bp / 100, c.tax_rate_bp % 100).replace(".00 %", " %"),
            totp_for_admins: c.security.require_totp_for_admins,
        }
    }
}

/// The catalogue key of the settings section a changed path is in
/// (`business_calendar.holidays` → the business calendar).
pub fn section_of(path: &str) -> &'static str {
    match path.split(['.', '[']).next().unwrap_or_default() {
        "timezone" => "admin-settings-timezone",
        "locale" => "admin-settings-language",
        "business_calendar" => "admin-cal-title",
        "ticket_categories" => "admin-section-categories",
        "priority_matrix" => "admin-section-priorities",
        "custom_fields" => "admin-section-fields",
        "sites" => "admin-section-sites",
        "branding" => "admin-settings-branding",
        "webhooks" => "admin-section-webhooks",
        "tax_rate_bp" => "admin-settings-tax",
        "monitoring" => "admin-section-monitoring",
        "security" => "admin-settings-security",
        _ => "admin-settings-other",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use canopy_api::tenants::Locale;

    #[test]
    fn a_configuration_reads_at_a_glance() {
        let mut c = TenantConfig::initial("Asia/Shanghai", Locale::ZhCn);
        c.business_calendar.weekly.sat = vec![("22:00".into(), "06:00".into())];
        c.business_calendar.holidays = vec![jiff::civil::date(2026, 10, 1), jiff::civil::date(2026, 1, 1)];
        c.business_calendar.holiday_names.insert(jiff::civil::date(2026, 10, 1), "国庆节".into());
        c.tax_rate_bp = 1300;
        let s = ConfigSummary::of(Lang::En, &c, Some(jiff::civil::date(2026, 6, 1)));
        assert_eq!(s.week[0].hours.as_deref(), Some("09:00–18:00"));
        assert_eq!(s.week[5].hours.as_deref(), Some("22:00–06:00 (+1)"));
        assert_eq!(s.week[6].hours, None);
        assert_eq!(s.upcoming.len(), 1, "only holidays still to come");
        assert_eq!(s.upcoming[0].name.as_deref(), Some("国庆节"));
        assert_eq!(s.tax, "13 %");
        assert_eq!(s.sections[0].holds, "5 of 5 categories in use");
        assert_eq!(interval_text("18:00", "24:00"), "18:00–24:00");
    }

    #[test]
    fn changed_paths_name_their_section() {
        assert_eq!(section_of("business_calendar.holidays"), "admin-cal-title");
        assert_eq!(section_of("ticket_categories"), "admin-section-categories");
        assert_eq!(section_of("something_new"), "admin-settings-other");
    }
}
