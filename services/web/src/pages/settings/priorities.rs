//! The priority matrix: impact × urgency → priority, one select per pair (`cell.high.low`).
//! The levels themselves stay as they are; only the priorities change.

use std::collections::BTreeMap;

use askama::Template;

use canopy_api::tenants::{ConfigView, TenantConfig};
use canopy_sla::Priority;

use super::form::{Choice, Input, Mistakes, Posted};
use super::placement::Placement;
use super::{Frame, Section};
use crate::i18n::{Arg, Lang};
use crate::pages::{Chrome, FieldErrors};

pub struct Priorities;

/// The chosen priority of each (impact, urgency), as sent.
pub struct PrioritiesForm {
    pub cells: BTreeMap<(String, String), String>,
}

fn cell_name(impact: &str, urgency: &str) -> String {
    format!("cell.{impact}.{urgency}")
}

/// A level's name: the usual ones in words, a tenant's own as it is written.
pub fn level_label(lang: Lang, level: &str) -> String {
    match level {
        "critical" | "high" | "medium" | "low" => lang.t(&format!("cfg-level-{level}")),
        other => other.to_owned(),
    }
}

pub struct Level {
    pub key: String,
    pub label: String,
}

pub struct Cell {
    pub input: Input,
    /// "Impact high, urgency low": the select's label.
    pub label: String,
    pub choices: Vec<Choice>,
    /// The chosen priority in lower case, for its colour.
    pub class: String,
}

pub struct GridRow {
    pub impact: Level,
    pub cells: Vec<Cell>,
}

#[derive(Template)]
#[template(path = "settings/priorities.html")]
pub struct PrioritiesPage {
    pub ctx: Chrome,
    pub frame: Frame,
    pub urgencies: Vec<Level>,
    pub rows: Vec<GridRow>,
}

impl Section for Priorities {
    const PATH: &'static str = "/admin/settings/priorities";
    type Form = PrioritiesForm;

    fn form_of(config: &TenantConfig) -> PrioritiesForm {
        let cells = config
            .priority_matrix
            .matrix
            .iter()
            .flat_map(|(impact, row)| {
                row.iter().map(|(urgency, p)| ((impact.clone(), urgency.clone()), p.as_str().to_owned()))
            })
            .collect();
        PrioritiesForm { cells }
    }

    fn parse(posted: &Posted) -> PrioritiesForm {
        let mut cells = BTreeMap::new();
        for (impact, urgency) in posted.pairs_under("cell") {
            cells.insert((impact.clone(), urgency.clone()), posted.text(&cell_name(&impact, &urgency)));
        }
        PrioritiesForm { cells }
    }

    fn apply(form: &PrioritiesForm, config: &mut TenantConfig, lang: Lang) -> Result<Placement, FieldErrors> {
        let m = &mut config.priority_matrix;
        let mut mistakes = Mistakes::new(lang);
        for impact in &m.impacts {
            for urgency in &m.urgencies {
                let Some(sent) = form.cells.get(&(impact.clone(), urgency.clone())) else { continue };
                match sent.parse::<Priority>() {
                    Ok(p) => {
                        m.matrix.entry(impact.clone()).or_default().insert(urgency.clone(), p);
                    }
                    Err(_) => mistakes.add(cell_name(impact, urgency), "cfg-error-choose"),
                }
            }
        }
        if !mistakes.is_empty() {
            return Err(mistakes.into_errors());
        }
        let mut placement = Placement::default();
        placement.map("priority_matrix.matrix", "cell");
        Ok(placement)
    }

    fn page(
        ctx: Chrome,
        frame: Frame,
        view: &ConfigView,
        form: PrioritiesForm,
        errors: FieldErrors,
    ) -> impl Template {
        let lang = ctx.lang;
        let m = &view.config.priority_matrix;
        let level = |key: &String| Level { key: key.clone(), label: level_label(lang, key) };
        let rows = m
            .impacts
            .iter()
            .map(|impact| GridRow {
                impact: level(impact),
                cells: m
                    .urgencies
                    .iter()
                    .map(|urgency| {
                        let name = cell_name(impact, urgency);
                        let value =
                            form.cells.get(&(impact.clone(), urgency.clone())).cloned().unwrap_or_default();
                        let choices = Priority::ALL
                            .iter()
                            .map(|p| {
                                let label = lang.t(&format!("cfg-priority-{}", p.as_str().to_lowercase()));
                                Choice::new(&name, p.as_str(), label, p.as_str() == value)
                            })
                            .collect();
                        let label = lang.t_with(
                            "cfg-cell-label",
                            &[
                                ("impact", Arg::Text(level_label(lang, impact))),
                                ("urgency", Arg::Text(level_label(lang, urgency))),
                            ],
                        );
                        Cell {
                            class: value.to_lowercase(),
                            input: Input::new(name, value, &errors),
                            label,
                            choices,
                        }
                    })
                    .collect(),
            })
            .collect();
        PrioritiesPage { ctx, frame, urgencies: m.urgencies.iter().map(level).collect(), rows }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use canopy_api::tenants::Locale;
    use canopy_kernel::FieldError;

    #[test]
    fn a_changed_cell_changes_only_its_priority() {
        let mut doc = TenantConfig::initial("Asia/Shanghai", Locale::En);
        let posted = Posted::new(vec![
            ("version".into(), "3".into()),
            ("cell.low.low".into(), "P1".into()),
            ("cell.high.high".into(), "P1".into()),
            ("cell.nowhere.high".into(), "P2".into()),
        ]);
        let form = Priorities::parse(&posted);
        let placement = Priorities::apply(&form, &mut doc, Lang::En).unwrap_or_else(|_| panic!("refused"));
        let m = &doc.priority_matrix;
        assert_eq!(m.priority("low", "low"), Some(Priority::P1));
        assert_eq!(m.priority("medium", "low"), Some(Priority::P4), "a cell not sent is kept");
        assert!(!m.matrix.contains_key("nowhere"), "only the matrix's own levels");
        let (placed, _) = placement.place(vec![FieldError::new("priority_matrix.matrix.low.low", "no")]);
        assert_eq!(placed.of("cell.low.low"), Some("no"));
    }

    #[test]
    fn a_priority_that_is_none_is_shown_beside_its_cell() {
        let mut doc = TenantConfig::initial("UTC", Locale::En);
        let form = PrioritiesForm { cells: [(("high".into(), "low".into()), "P9".into())].into() };
        let Err(errors) = Priorities::apply(&form, &mut doc, Lang::En) else { panic!("accepted") };
        assert!(errors.of("cell.high.low").is_some());
        assert_eq!(Priorities::form_of(&doc).cells[&("high".to_owned(), "low".to_owned())], "P3");
    }
}
