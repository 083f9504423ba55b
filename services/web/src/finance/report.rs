//! The monthly IT service report as the page shows it: the report's figures turned into rows
//! of text in the reader's language, and the three charts (failures by category, SLA
//! compliance per priority, the month beside earlier months).

use canopy_api::billing::AvailabilityView;
use canopy_api::reports::{Compliance, MonthlyReport};

use super::chart::{BarChart, GroupInput, Scale, Series};
use super::month::Month;
use super::{count_of, percent, satisfaction, tn};
use crate::format;
use crate::i18n::{Arg, Lang};

/// The categories and ticket types Canopy seeds have names in the catalogues; a tenant's own
/// categories show by their key.
const KNOWN_CATEGORIES: [&str; 5] = ["network", "virus_security", "software", "hardware", "other"];
const KNOWN_TYPES: [&str; 4] = ["incident", "service_request", "problem", "change"];
const METRICS: [&str; 3] = ["first_response", "resolution", "onsite"];

pub fn category_name(lang: Lang, key: &str) -> String {
    if KNOWN_CATEGORIES.contains(&key) { lang.t(&format!("fin-cat-{key}")) } else { key.to_owned() }
}

fn type_name(lang: Lang, key: &str) -> String {
    if KNOWN_TYPES.contains(&key) { lang.t(&format!("fin-type-{key}")) } else { key.to_owned() }
}

fn metric_name(lang: Lang, key: &str) -> String {
    if METRICS.contains(&key) { lang.t(&format!("metric-{key}")) } else { key.to_owned() }
}

/// Minutes in words (`1 h 45 min`), or a dash without any.
fn minutes(lang: Lang, m: Option<i64>) -> String {
    m.map_or_else(|| "–".to_owned(), |m| format::span(lang, m.max(0).unsigned_abs() * 60))
}

/// A headline figure.
pub struct Kpi {
    pub label: String,
    pub value: String,
    pub hint: Option<String>,
}

/// A label and its value.
pub struct Fact {
    pub label: String,
    pub value: String,
}

pub struct SlaRow {
    pub metric: String,
    pub priority: String,
    pub tickets: u32,
    pub met: u32,
    pub breached: u32,
    pub compliance: String,
    /// `ok`, `warning` (below 95 %), `breached` (below 80 %): the colour of the figure.
    pub level: &'static str,
}

pub struct TrendRow {
    pub month: String,
    pub current: bool,
    pub tickets: u32,
    pub failures: u32,
    pub resolved: u32,
    pub sla: String,
    pub complaint_rate: String,
    pub backlog: u32,
}

pub struct ReportView {
    pub month: Month,
    pub label: String,
    pub kpis: Vec<Kpi>,
    pub by_type: Vec<Fact>,
    pub categories: BarChart,
    pub sla_rows: Vec<SlaRow>,
    pub sla_chart: BarChart,
    pub resolution: Vec<Fact>,
    pub satisfaction: Vec<Fact>,
    pub trend_rows: Vec<TrendRow>,
    pub trend_chart: BarChart,
    /// The SLA credits the month earned, once invoiced, in a sentence.
    pub credits: Option<String>,
    pub empty: bool,
}

fn level(bp: u32) -> &'static str {
    match bp {
        9500.. => "ok",
        8000.. => "warning",
        _ => "breached",
    }
}

fn sla_row(lang: Lang, c: &Compliance) -> SlaRow {
    SlaRow {
        metric: metric_name(lang, &c.metric),
        priority: c.priority.clone(),
        tickets: c.tickets,
        met: c.met,
        breached: c.breached,
        compliance: percent(lang, Some(c.compliance_bp)),
        level: level(c.compliance_bp),
    }
}

impl ReportView {
    pub fn of(lang: Lang, month: Month, r: &MonthlyReport, availability: Option<&AvailabilityView>) -> Self {
        let f = &r.figures;
        let count = |key: &str, n: u32| Fact { label: lang.t(key), value: n.to_string() };
        let text = |key: &str, value: String| Fact { label: lang.t(key), value };
        let kpis = vec![
            Kpi { label: lang.t("fin-kpi-tickets"), value: f.tickets.to_string(), hint: None },
            Kpi {
                label: lang.t("fin-kpi-failures"),
                value: f.failures.to_string(),
                hint: f.failures_per_100_seats.map(|x| tn(lang, "fin-kpi-per-seats", "n", format!("{x:.2}"))),
            },
            Kpi {
                label: lang.t("fin-kpi-sla"),
                value: percent(lang, f.sla_compliance_bp),
                hint: Some(count_of(lang, "fin-kpi-breaches", f.breaches.values().sum::<u32>())),
            },
            Kpi {
                label: lang.t("fin-kpi-arrive"),
                value: minutes(lang, f.avg_minutes_to_arrive),
                hint: None,
            },
            Kpi {
                label: lang.t("fin-kpi-resolve"),
                value: minutes(lang, f.avg_minutes_to_resolve),
                hint: None,
            },
            Kpi {
                label: lang.t("fin-kpi-complaints"),
                value: percent(lang, f.complaint_rate_bp),
                hint: Some(count_of(lang, "fin-kpi-complaint-count", f.complaints)),
            },
            Kpi {
                label: lang.t("fin-kpi-availability"),
                value: percent(lang, availability.and_then(|a| u32::try_from(a.availability_bp).ok())),
                hint: match availability {
                    None => Some(lang.t("fin-not-measured")),
                    Some(a) => Some(a.note.clone()).filter(|n| !n.is_empty()),
                },
            },
        ];
        let by_type =
            f.by_type.iter().map(|(k, v)| Fact { label: type_name(lang, k), value: v.to_string() }).collect();
        let categories = BarChart::new(
            "chart-categories",
            lang.t("fin-chart-categories"),
            lang.t("fin-col-category"),
            Scale::Count,
            vec![Series { name: lang.t("fin-kpi-failures"), class: "s0" }],
            f.failures_by_category
                .iter()
                .map(|(k, v)| GroupInput {
                    label: category_name(lang, k),
                    values: vec![(f64::from(*v), v.to_string())],
                })
                .collect(),
        );
        let sla_rows = f.sla.iter().map(|c| sla_row(lang, c)).collect();
        // Compliance per priority, a bar per target; a target without tickets has no bar.
        let mut priorities: Vec<&str> = f.sla.iter().map(|c| c.priority.as_str()).collect();
        priorities.sort_unstable();
        priorities.dedup();
        let metrics: Vec<&str> =
            METRICS.iter().copied().filter(|m| f.sla.iter().any(|c| c.metric == *m)).collect();
        let sla_chart = BarChart::new(
            "chart-sla",
            lang.t("fin-chart-sla"),
            lang.t("fin-col-priority"),
            Scale::Percent,
            metrics
                .iter()
                .enumerate()
                .map(|(i, m)| Series { name: metric_name(lang, m), class: ["s0", "s1", "s2"][i.min(2)] })
                .collect(),
            priorities
                .iter()
                .map(|p| GroupInput {
                    label: (*p).to_owned(),
                    values: metrics
                        .iter()
                        .map(|m| {
                            f.sla.iter().find(|c| c.priority == *p && c.metric == *m).map_or_else(
                                || (0.0, "–".to_owned()),
                                |c| {
                                    (f64::from(c.compliance_bp) / 100.0, percent(lang, Some(c.compliance_bp)))
                                },
                            )
                        })
                        .collect(),
                })
                .collect(),
        );
        let resolution = vec![
            count("fin-resolved", f.resolved),
            count("fin-resolved-remotely", f.resolved_remotely),
            count("fin-resolved-on-site", f.resolved_on_site),
            count("fin-onsite-visits", f.onsite_visits),
            text("fin-kpi-arrive", minutes(lang, f.avg_minutes_to_arrive)),
            text("fin-avg-on-site", minutes(lang, f.avg_minutes_on_site)),
            text("fin-kpi-resolve", minutes(lang, f.avg_minutes_to_resolve)),
            count("fin-backlog", f.backlog),
        ];
        let satisfaction = vec![
            count("fin-feedback-responses", f.feedback_responses),
            text("fin-satisfaction", satisfaction(lang, f.satisfaction)),
            count("fin-complaints", f.complaints),
            text("fin-kpi-complaints", percent(lang, f.complaint_rate_bp)),
        ];
        let period_label = |p: &str| Month::parse(p).map_or_else(|| p.to_owned(), |m| m.label(lang));
        let trend_rows = r
            .trend
            .iter()
            .map(|p| TrendRow {
                month: period_label(&p.period),
                current: p.period == r.period,
                tickets: p.tickets,
                failures: p.failures,
                resolved: p.resolved,
                sla: percent(lang, p.sla_compliance_bp),
                complaint_rate: percent(lang, p.complaint_rate_bp),
                backlog: p.backlog,
            })
            .collect();
        let trend_chart = BarChart::new(
            "chart-trend",
            lang.t("fin-chart-trend"),
            lang.t("fin-col-month"),
            Scale::Count,
            vec![
                Series { name: lang.t("fin-kpi-failures"), class: "s0" },
                Series { name: lang.t("fin-resolved"), class: "s1" },
            ],
            r.trend
                .iter()
                .map(|p| GroupInput {
                    label: p.period.clone(),
                    values: vec![
                        (f64::from(p.failures), p.failures.to_string()),
                        (f64::from(p.resolved), p.resolved.to_string()),
                    ],
                })
                .collect(),
        );
        let credits = r.credits.as_ref().filter(|c| c.credits > 0).map(|c| {
            let amount = format::money(c.amount_minor, c.currency.as_deref().unwrap_or_default());
            lang.t_with(
                "fin-credits-earned",
                &[("n", Arg::Number(i64::from(c.credits))), ("amount", Arg::Text(amount.trim().to_owned()))],
            )
        });
        Self {
            month,
            label: month.label(lang),
            kpis,
            by_type,
            categories,
            sla_rows,
            sla_chart,
            resolution,
            satisfaction,
            trend_rows,
            trend_chart,
            credits,
            empty: f.tickets == 0 && f.resolved == 0 && f.backlog == 0,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use canopy_api::reports::{CreditsEarned, Figures, TrendPoint};

    fn report() -> MonthlyReport {
        let f = Figures {
            period: "2026-10".into(),
            tickets: 7,
            by_type: [("incident".into(), 6), ("service_request".into(), 1)].into(),
            failures_by_category: [
                ("network".into(), 2),
                ("hardware".into(), 1),
                ("virus_security".into(), 1),
                ("printers".into(), 0),
            ]
            .into(),
            failures: 6,
            resolved: 6,
            avg_minutes_to_arrive: Some(105),
            avg_minutes_to_resolve: Some(300),
            sla: vec![
                Compliance {
                    metric: "first_response".into(),
                    priority: "P1".into(),
                    tickets: 2,
                    met: 2,
                    breached: 0,
                    compliance_bp: 10_000,
                },
                Compliance {
                    metric: "resolution".into(),
                    priority: "P1".into(),
                    tickets: 2,
                    met: 1,
                    breached: 1,
                    compliance_bp: 5_000,
                },
                Compliance {
                    metric: "first_response".into(),
                    priority: "P2".into(),
                    tickets: 3,
                    met: 2,
                    breached: 1,
                    compliance_bp: 6_667,
                },
            ],
            breaches: [("resolution".into(), 1), ("first_response".into(), 1)].into(),
            sla_compliance_bp: Some(8125),
            complaints: 1,
            complaint_rate_bp: Some(1667),
            ..Figures::default()
        };
        MonthlyReport {
            period: "2026-10".into(),
            trend: vec![
                TrendPoint { period: "2026-09".into(), failures: 1, resolved: 1, ..TrendPoint::default() },
                TrendPoint::from(&f),
            ],
            figures: f,
            credits: Some(CreditsEarned { credits: 1, amount_minor: 21_000, currency: Some("CNY".into()) }),
            ..MonthlyReport::default()
        }
    }

    #[test]
    fn figures_become_rows_in_the_readers_language() {
        let oct = Month::parse("2026-10").unwrap();
        let v = ReportView::of(Lang::En, oct, &report(), None);
        assert_eq!(v.label, "October 2026");
        let kpi = |label: &str| v.kpis.iter().find(|k| k.label == label).unwrap();
        assert_eq!(kpi("SLA compliance").value, "81.25%");
        assert_eq!(kpi("SLA compliance").hint.as_deref(), Some("2 breaches"));
        assert_eq!(kpi("Average time to arrive on site").value, "1 h 45 min");
        assert_eq!(kpi("Availability").value, "–");
        assert_eq!(kpi("Availability").hint.as_deref(), Some("not measured"));
        let cats: Vec<(&str, &str)> =
            v.categories.groups.iter().map(|g| (g.label.as_str(), g.texts[0].as_str())).collect();
        assert_eq!(cats, [("Hardware", "1"), ("Network", "2"), ("printers", "0"), ("Virus / security", "1")]);
        assert_eq!(v.sla_rows[1].compliance, "50.00%");
        assert_eq!(v.sla_rows[1].level, "breached");
        assert_eq!(
            v.credits.as_deref(),
            Some("The month's SLA breaches earned one credit, 210.00 CNY in all.")
        );
        assert!(v.trend_rows[1].current && !v.trend_rows[0].current);
        assert_eq!(v.trend_rows[0].month, "September 2026");

        let zh = ReportView::of(Lang::ZhCn, oct, &report(), None);
        assert_eq!(zh.categories.groups[1].label, "网络");
        assert_eq!(zh.label, "2026年10月");
    }

    #[test]
    fn the_sla_chart_groups_targets_by_priority() {
        let v = ReportView::of(Lang::En, Month::parse("2026-10").unwrap(), &report(), None);
        let c = &v.sla_chart;
        assert_eq!(
            c.series.iter().map(|s| s.name.as_str()).collect::<Vec<_>>(),
            ["First response", "Resolution"]
        );
        assert_eq!(c.groups.iter().map(|g| g.label.as_str()).collect::<Vec<_>>(), ["P1", "P2"]);
        assert_eq!(c.groups[0].texts, ["100.00%", "50.00%"]);
        let above: Vec<&str> = c.groups[1].bars.iter().map(|b| b.text.as_str()).collect();
        assert_eq!(above, ["67%", "–"], "whole percentages above the bars");
        assert_eq!(c.groups[1].texts, ["66.67%", "–"], "P2 has no resolution clock this month");
    }

    #[test]
    fn measured_availability_is_shown() {
        let a = AvailabilityView {
            tenant_id: uuid::Uuid::nil(),
            period: "2026-10".into(),
            availability_bp: 9950,
            note: "Core switch firmware".into(),
            recorded_by: uuid::Uuid::nil(),
            recorded_at: chrono::Utc::now(),
        };
        let v = ReportView::of(Lang::En, Month::parse("2026-10").unwrap(), &report(), Some(&a));
        let kpi = v.kpis.iter().find(|k| k.label == "Availability").unwrap();
        assert_eq!((kpi.value.as_str(), kpi.hint.as_deref()), ("99.50%", Some("Core switch firmware")));
    }
}
