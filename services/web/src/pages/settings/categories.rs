//! Ticket categories: each row renames or retires a category (its key stays: tickets refer to
//! it); a filled last row adds one. Categories are never removed, only retired, so old tickets
//! keep theirs.

use askama::Template;

use canopy_api::tenants::{Category, ConfigView, TenantConfig};

use super::form::{Input, Posted, row_name};
use super::placement::Placement;
use super::{Frame, Section};
use crate::i18n::Lang;
use crate::pages::{Chrome, FieldErrors};

pub struct Categories;

#[derive(Clone, Debug, Default, PartialEq)]
pub struct CategoryRow {
    /// The category's position in the document; none for a new one.
    pub at: Option<usize>,
    pub key: String,
    pub name: String,
    pub active: bool,
}

impl CategoryRow {
    fn is_blank(&self) -> bool {
        self.key.trim().is_empty() && self.name.trim().is_empty()
    }
}

pub struct CategoriesForm {
    pub rows: Vec<CategoryRow>,
}

/// A row as the template shows it.
pub struct RowView {
    pub n: usize,
    pub at: Option<usize>,
    pub key: Input,
    pub name: Input,
    pub active: Input,
}

#[derive(Template)]
#[template(path = "settings/categories.html")]
pub struct CategoriesPage {
    pub ctx: Chrome,
    pub frame: Frame,
    pub rows: Vec<RowView>,
}

impl Section for Categories {
    const PATH: &'static str = "/admin/settings/categories";
    type Form = CategoriesForm;

    fn form_of(config: &TenantConfig) -> CategoriesForm {
        let rows = config
            .ticket_categories
            .iter()
            .enumerate()
            .map(|(i, c)| CategoryRow {
                at: Some(i),
                key: c.key.clone(),
                name: c.name.clone(),
                active: c.active,
            })
            .collect();
        CategoriesForm { rows }
    }

    fn parse(posted: &Posted) -> CategoriesForm {
        let rows = posted
            .rows()
            .map(|r| CategoryRow {
                at: r.at(),
                key: r.text("key"),
                name: r.text("name"),
                active: r.on("active"),
            })
            .collect();
        CategoriesForm { rows }
    }

    fn apply(
        form: &CategoriesForm,
        config: &mut TenantConfig,
        _lang: Lang,
    ) -> Result<Placement, FieldErrors> {
        let list = &mut config.ticket_categories;
        let mut placement = Placement::default();
        for (n, row) in form.rows.iter().enumerate() {
            match row.at {
                Some(i) => {
                    let Some(c) = list.get_mut(i) else { continue };
                    c.name = row.name.trim().to_owned();
                    c.active = row.active;
                    placement.row("ticket_categories", i, n);
                }
                None if row.is_blank() => {}
                None => {
                    placement.row("ticket_categories", list.len(), n);
                    list.push(Category {
                        key: row.key.trim().to_owned(),
                        name: row.name.trim().to_owned(),
                        active: row.active,
                    });
                }
            }
        }
        Ok(placement)
    }

    fn page(
        ctx: Chrome,
        frame: Frame,
        _view: &ConfigView,
        form: CategoriesForm,
        errors: FieldErrors,
    ) -> impl Template {
        let mut rows = form.rows;
        if rows.last().is_none_or(|r| r.at.is_some()) {
            rows.push(CategoryRow { active: true, ..CategoryRow::default() });
        }
        let rows = rows
            .into_iter()
            .enumerate()
            .map(|(n, r)| RowView {
                n,
                at: r.at,
                key: Input::new(row_name(n, "key"), r.key, &errors),
                name: Input::new(row_name(n, "name"), r.name, &errors),
                active: Input::check(row_name(n, "active"), r.active, &errors),
            })
            .collect();
        CategoriesPage { ctx, frame, rows }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use canopy_api::tenants::Locale;
    use canopy_kernel::FieldError;

    fn config() -> TenantConfig {
        TenantConfig::initial("Asia/Shanghai", Locale::En)
    }

    #[test]
    fn the_form_renames_retires_and_adds_in_place() {
        let mut doc = config();
        let mut form = Categories::form_of(&doc);
        assert_eq!(form.rows.len(), 5);
        form.rows[1].name = " Security ".into();
        form.rows[4].active = false;
        form.rows[4].key = "forged".into();
        form.rows.push(CategoryRow {
            at: None,
            key: "printers".into(),
            name: "Printers".into(),
            active: true,
        });
        form.rows.push(CategoryRow::default());
        let placement = Categories::apply(&form, &mut doc, Lang::En).unwrap_or_else(|_| panic!("refused"));
        let keys: Vec<&str> = doc.ticket_categories.iter().map(|c| c.key.as_str()).collect();
        assert_eq!(keys, ["network", "virus_security", "software", "hardware", "other", "printers"]);
        assert_eq!(doc.ticket_categories[1].name, "Security");
        assert!(!doc.ticket_categories[4].active, "retired");
        let (placed, _) = placement.place(vec![FieldError::new("ticket_categories[5].key", "used twice")]);
        assert_eq!(placed.of("rows[5].key"), Some("used twice"));
    }

    #[test]
    fn a_posted_form_reads_back_as_typed() {
        let posted = Posted::new(vec![
            ("rows[0].at".into(), "0".into()),
            ("rows[0].key".into(), "network".into()),
            ("rows[0].name".into(), "Net".into()),
            ("rows[1].key".into(), "network".into()),
            ("rows[1].name".into(), "Again".into()),
            ("rows[1].active".into(), "on".into()),
        ]);
        let form = Categories::parse(&posted);
        assert_eq!(
            form.rows,
            [
                CategoryRow { at: Some(0), key: "network".into(), name: "Net".into(), active: false },
                CategoryRow { at: None, key: "network".into(), name: "Again".into(), active: true },
            ]
        );
        // A row naming a position the document does not have changes nothing.
        let mut doc = config();
        let stray = CategoriesForm { rows: vec![CategoryRow { at: Some(99), ..CategoryRow::default() }] };
        let _ = Categories::apply(&stray, &mut doc, Lang::En);
        assert_eq!(doc, config());
    }
}
