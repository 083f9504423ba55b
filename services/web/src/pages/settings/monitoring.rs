//! Monitoring rules (`canopy_monitoring::Rules`): the correlation window, the severity that
//! opens an incident, auto-resolution, flapping, the impact and urgency each severity gets,
//! and check → category rules. The same page holds the maintenance windows
//! ([`super::maintenance`]), each part its own form.

use std::collections::BTreeMap;

use askama::Template;

use canopy_api::tenants::{ConfigView, TenantConfig};
use canopy_monitoring::Severity;
use canopy_monitoring::rules::{CategoryRule, ImpactUrgency};

use super::form::{Choice, Input, Mistakes, Posted, row_name, whole};
use super::maintenance::{self, Maintenance, MaintenanceView};
use super::placement::{ListEdit, Placement};
use super::priorities::level_label;
use super::{Frame, Section};
use crate::i18n::Lang;
use crate::pages::{Chrome, FieldErrors};

pub struct Monitoring;

/// The severities an alert can open an incident at, and that can be given an impact and urgency.
const SEVERITIES: [Severity; 4] = [Severity::Critical, Severity::Error, Severity::Warning, Severity::Info];

#[derive(Clone, Debug, Default, PartialEq)]
pub struct RuleRow {
    pub at: Option<usize>,
    pub contains: String,
    pub category: String,
    pub remove: bool,
}

#[derive(Clone, Debug, Default, PartialEq)]
pub struct RulesForm {
    pub window_mins: String,
    pub open_at: String,
    pub auto_resolve: bool,
    pub flap_threshold: String,
    pub flap_window_mins: String,
    /// Severity → (impact, urgency); empty: from the matrix's order.
    pub impact_urgency: BTreeMap<String, (String, String)>,
    pub rows: Vec<RuleRow>,
}

pub struct SeverityView {
    pub label: String,
    pub impact: Input,
    pub impacts: Vec<Choice>,
    pub urgency: Input,
    pub urgencies: Vec<Choice>,
}

pub struct RuleView {
    pub n: usize,
    pub at: Option<usize>,
    pub contains: Input,
    pub category: Input,
    pub categories: Vec<Choice>,
    pub remove: Input,
}

pub struct RulesView {
    pub window_mins: Input,
    pub open_at: Input,
    pub open_choices: Vec<Choice>,
    pub auto_resolve: Input,
    pub flap_threshold: Input,
    pub flap_window_mins: Input,
    pub severities: Vec<SeverityView>,
    pub rows: Vec<RuleView>,
}

#[derive(Template)]
#[template(path = "settings/monitoring.html")]
pub struct MonitoringPage {
    pub ctx: Chrome,
    pub frame: Frame,
    pub rules: RulesView,
    pub maintenance: MaintenanceView,
}

fn iu_name(severity: &str, part: &str) -> String {
    format!("iu.{severity}.{part}")
}

impl Section for Monitoring {
    const PATH: &'static str = "/admin/settings/monitoring";
    type Form = RulesForm;

    fn form_of(config: &TenantConfig) -> RulesForm {
        let r = &config.monitoring;
        RulesForm {
            window_mins: r.window_mins.to_string(),
            open_at: r.open_at.as_str().to_owned(),
            auto_resolve: r.auto_resolve,
            flap_threshold: r.flap_threshold.to_string(),
            flap_window_mins: r.flap_window_mins.to_string(),
            impact_urgency: r
                .impact_urgency
                .iter()
                .map(|(s, iu)| (s.as_str().to_owned(), (iu.impact.clone(), iu.urgency.clone())))
                .collect(),
            rows: r
                .categories
                .iter()
                .enumerate()
                .map(|(i, c)| RuleRow {
                    at: Some(i),
                    contains: c.contains.clone(),
                    category: c.category.clone(),
                    remove: false,
                })
                .collect(),
        }
    }

    fn parse(posted: &Posted) -> RulesForm {
        let impact_urgency = SEVERITIES
            .iter()
            .map(|s| {
                let s = s.as_str();
                (s.to_owned(), (posted.text(&iu_name(s, "impact")), posted.text(&iu_name(s, "urgency"))))
            })
            .collect();
        RulesForm {
            window_mins: posted.text("window_mins"),
            open_at: posted.text("open_at"),
            auto_resolve: posted.on("auto_resolve"),
            flap_threshold: posted.text("flap_threshold"),
            flap_window_mins: posted.text("flap_window_mins"),
            impact_urgency,
            rows: posted
                .rows()
                .map(|r| RuleRow {
                    at: r.at(),
                    contains: r.text("contains"),
                    category: r.text("category"),
                    remove: r.on("remove"),
                })
                .collect(),
        }
    }

    fn apply(form: &RulesForm, config: &mut TenantConfig, lang: Lang) -> Result<Placement, FieldErrors> {
        let mut mistakes = Mistakes::new(lang);
        let r = &mut config.monitoring;
        let window = whole(&form.window_mins, "window_mins".into(), &mut mistakes);
        let threshold = whole(&form.flap_threshold, "flap_threshold".into(), &mut mistakes);
        let flap_window = whole(&form.flap_window_mins, "flap_window_mins".into(), &mut mistakes);
        let open_at = Severity::parse(form.open_at.trim()).filter(|s| SEVERITIES.contains(s));
        if open_at.is_none() {
            mistakes.add("open_at".into(), "cfg-error-choose");
        }
        if let (Some(window), Some(threshold), Some(flap_window), Some(open_at)) =
            (window, threshold, flap_window, open_at)
        {
            r.window_mins = window;
            r.flap_threshold = threshold;
            r.flap_window_mins = flap_window;
            r.open_at = open_at;
        }
        r.auto_resolve = form.auto_resolve;
        for severity in SEVERITIES {
            let Some((impact, urgency)) = form.impact_urgency.get(severity.as_str()) else { continue };
            match (impact.trim(), urgency.trim()) {
                ("", "") => {
                    r.impact_urgency.remove(&severity);
                }
                ("", _) => mistakes.add(iu_name(severity.as_str(), "impact"), "cfg-error-both"),
                (_, "") => mistakes.add(iu_name(severity.as_str(), "urgency"), "cfg-error-both"),
                (impact, urgency) => {
                    let iu = ImpactUrgency { impact: impact.to_owned(), urgency: urgency.to_owned() };
                    r.impact_urgency.insert(severity, iu);
                }
            }
        }
        let mut list = ListEdit::new(std::mem::take(&mut r.categories));
        for (n, row) in form.rows.iter().enumerate() {
            match row.at {
                Some(i) if row.remove => list.remove(i),
                Some(i) => {
                    if let Some(rule) = list.edit(i, n) {
                        rule.contains = row.contains.trim().to_owned();
                        rule.category = row.category.clone();
                    }
                }
                None if row.contains.trim().is_empty() => {}
                None => list.add(
                    CategoryRule { contains: row.contains.trim().to_owned(), category: row.category.clone() },
                    n,
                ),
            }
        }
        let mut placement = Placement::default();
        r.categories = list.finish("monitoring.categories", &mut placement);
        if !mistakes.is_empty() {
            return Err(mistakes.into_errors());
        }
        for field in ["window_mins", "open_at", "flap_threshold", "flap_window_mins"] {
            placement.field(format!("monitoring.{field}"), field);
        }
        placement.map("monitoring.impact_urgency", "iu");
        Ok(placement)
    }

    fn page(
        ctx: Chrome,
        frame: Frame,
        view: &ConfigView,
        form: RulesForm,
        errors: FieldErrors,
    ) -> impl Template {
        let rules = rules_view(ctx.lang, &view.config, form, &errors);
        let maintenance = maintenance::view(
            &ctx,
            &view.config,
            Maintenance::form_of(&view.config),
            &FieldErrors::default(),
        );
        MonitoringPage { ctx, frame, rules, maintenance }
    }
}

/// The rules' part of the page.
pub fn rules_view(lang: Lang, config: &TenantConfig, form: RulesForm, errors: &FieldErrors) -> RulesView {
    let m = &config.priority_matrix;
    let open_choices = SEVERITIES
        .iter()
        .map(|s| {
            let s = s.as_str();
            Choice::new("open_at", s, lang.t(&format!("cfg-severity-{s}")), form.open_at == s)
        })
        .collect();
    let levels = |name: &str, levels: &[String], chosen: &str| {
        let mut choices = vec![Choice::new(name, "", lang.t("cfg-from-matrix"), chosen.is_empty())];
        choices.extend(levels.iter().map(|l| Choice::new(name, l, level_label(lang, l), l == chosen)));
        choices
    };
    let severities = SEVERITIES
        .iter()
        .map(|s| {
            let s = s.as_str();
            let (impact, urgency) = form.impact_urgency.get(s).cloned().unwrap_or_default();
            let (impact_name, urgency_name) = (iu_name(s, "impact"), iu_name(s, "urgency"));
            SeverityView {
                label: lang.t(&format!("cfg-severity-{s}")),
                impacts: levels(&impact_name, &m.impacts, &impact),
                impact: Input::new(impact_name, impact, errors),
                urgencies: levels(&urgency_name, &m.urgencies, &urgency),
                urgency: Input::new(urgency_name, urgency, errors),
            }
        })
        .collect();
    let active: Vec<&str> =
        config.ticket_categories.iter().filter(|c| c.active).map(|c| c.key.as_str()).collect();
    let mut rows = form.rows;
    if rows.last().is_none_or(|r| r.at.is_some()) {
        rows.push(RuleRow {
            category: active.first().map(|c| (*c).to_owned()).unwrap_or_default(),
            ..RuleRow::default()
        });
    }
    let rows = rows
        .into_iter()
        .enumerate()
        .map(|(n, r)| {
            let name = row_name(n, "category");
            let mut categories: Vec<Choice> = config
                .ticket_categories
                .iter()
                .filter(|c| c.active || c.key == r.category)
                .map(|c| Choice::new(&name, &c.key, c.name.clone(), c.key == r.category))
                .collect();
            if !categories.iter().any(|c| c.on) {
                categories.insert(0, Choice::new(&name, &r.category, r.category.clone(), true));
            }
            RuleView {
                n,
                at: r.at,
                contains: Input::new(row_name(n, "contains"), r.contains, errors),
                category: Input::new(name, r.category, errors),
                categories,
                remove: Input::check(row_name(n, "remove"), r.remove, errors),
            }
        })
        .collect();
    RulesView {
        window_mins: Input::new("window_mins".into(), form.window_mins, errors),
        open_at: Input::new("open_at".into(), form.open_at, errors),
        open_choices,
        auto_resolve: Input::check("auto_resolve".into(), form.auto_resolve, errors),
        flap_threshold: Input::new("flap_threshold".into(), form.flap_threshold, errors),
        flap_window_mins: Input::new("flap_window_mins".into(), form.flap_window_mins, errors),
        severities,
        rows,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use canopy_api::tenants::Locale;
    use canopy_kernel::FieldError;

    #[test]
    fn the_rules_read_into_the_form_and_back_unchanged() {
        let mut doc = TenantConfig::initial("Asia/Shanghai", Locale::ZhCn);
        doc.monitoring.categories =
            vec![CategoryRule { contains: "erp".into(), category: "software".into() }];
        doc.monitoring
            .impact_urgency
            .insert(Severity::Warning, ImpactUrgency { impact: "low".into(), urgency: "medium".into() });
        let form = Monitoring::form_of(&doc);
        assert_eq!((form.window_mins.as_str(), form.open_at.as_str()), ("30", "error"));
        let mut again = doc.clone();
        Monitoring::apply(&form, &mut again, Lang::En).unwrap_or_else(|_| panic!("refused"));
        assert_eq!(again, doc);
    }

    #[test]
    fn a_posted_form_changes_the_rules_and_places_the_apis_errors() {
        let mut doc = TenantConfig::initial("Asia/Shanghai", Locale::En);
        doc.monitoring.categories =
            vec![CategoryRule { contains: "erp".into(), category: "software".into() }];
        let posted = Posted::new(
            [
                ("window_mins", "45"),
                ("open_at", "warning"),
                ("flap_threshold", "5"),
                ("flap_window_mins", "90"),
                ("iu.critical.impact", "high"),
                ("iu.critical.urgency", "high"),
                ("rows[0].at", "0"),
                ("rows[0].contains", "erp"),
                ("rows[0].category", "software"),
                ("rows[0].remove", "on"),
                ("rows[1].contains", "printer"),
                ("rows[1].category", "hardware"),
            ]
            .into_iter()
            .map(|(a, b)| (a.to_owned(), b.to_owned()))
            .collect(),
        );
        let form = Monitoring::parse(&posted);
        let placement = Monitoring::apply(&form, &mut doc, Lang::En).unwrap_or_else(|_| panic!("refused"));
        let r = &doc.monitoring;
        assert_eq!((r.window_mins, r.open_at, r.auto_resolve), (45, Severity::Warning, false));
        assert_eq!((r.flap_threshold, r.flap_window_mins), (5, 90));
        assert_eq!(r.categories, [CategoryRule { contains: "printer".into(), category: "hardware".into() }]);
        assert_eq!(r.impact_urgency[&Severity::Critical].urgency, "high");
        let (placed, _) = placement.place(vec![
            FieldError::new("monitoring.window_mins", "must be 1–1440 minutes"),
            FieldError::new("monitoring.categories[0].category", "not active"),
            FieldError::new("monitoring.impact_urgency.critical.impact", "not an impact"),
        ]);
        assert_eq!(placed.of("window_mins"), Some("must be 1–1440 minutes"));
        assert_eq!(placed.of("rows[1].category"), Some("not active"));
        assert_eq!(placed.of("iu.critical.impact"), Some("not an impact"));
    }

    #[test]
    fn numbers_that_are_none_and_half_a_pair_are_the_forms_own_mistakes() {
        let mut doc = TenantConfig::initial("UTC", Locale::En);
        let mut form = Monitoring::form_of(&doc);
        form.window_mins = "half an hour".into();
        form.impact_urgency.insert("info".into(), ("low".into(), String::new()));
        let Err(errors) = Monitoring::apply(&form, &mut doc, Lang::En) else { panic!("accepted") };
        assert!(errors.of("window_mins").is_some());
        assert!(errors.of("iu.info.urgency").is_some());
    }
}
