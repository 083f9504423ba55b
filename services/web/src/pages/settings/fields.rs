//! Custom fields of tickets: label, kind, required, the options of a select (one a line), the
//! ticket types they apply to. A field's key is set when it is added (tickets keep values
//! under it); "remove" takes a field away; a filled last row adds one.

use askama::Template;

use canopy_api::tenants::{ConfigView, CustomField, FieldKind, TenantConfig};
use canopy_api::ticketing::TicketKind;

use super::form::{Choice, Input, Mistakes, Posted, list_of, row_name};
use super::placement::{ListEdit, Placement};
use super::{Frame, Section};
use crate::i18n::Lang;
use crate::pages::{Chrome, FieldErrors};

pub struct Fields;

const KINDS: [(FieldKind, &str); 6] = [
    (FieldKind::Text, "text"),
    (FieldKind::Number, "number"),
    (FieldKind::Boolean, "boolean"),
    (FieldKind::Date, "date"),
    (FieldKind::Select, "select"),
    (FieldKind::Multiselect, "multiselect"),
];

const TICKET_KINDS: [TicketKind; 4] =
    [TicketKind::Incident, TicketKind::ServiceRequest, TicketKind::Problem, TicketKind::Change];

fn kind_name(kind: FieldKind) -> &'static str {
    KINDS.iter().find(|(k, _)| *k == kind).map_or("text", |(_, name)| name)
}

#[derive(Clone, Debug, Default, PartialEq)]
pub struct FieldRow {
    pub at: Option<usize>,
    pub key: String,
    pub label: String,
    pub kind: String,
    pub required: bool,
    /// One option a line.
    pub options: String,
    pub applies_to: Vec<String>,
    pub remove: bool,
}

impl FieldRow {
    fn is_blank(&self) -> bool {
        self.key.trim().is_empty() && self.label.trim().is_empty() && self.options.trim().is_empty()
    }
}

pub struct FieldsForm {
    pub rows: Vec<FieldRow>,
}

pub struct RowView {
    pub n: usize,
    pub at: Option<usize>,
    pub key: Input,
    pub label: Input,
    pub kind: Input,
    pub kinds: Vec<Choice>,
    pub required: Input,
    pub options: Input,
    pub applies_to: Input,
    pub ticket_kinds: Vec<Choice>,
    pub remove: Input,
}

#[derive(Template)]
#[template(path = "settings/fields.html")]
pub struct FieldsPage {
    pub ctx: Chrome,
    pub frame: Frame,
    pub rows: Vec<RowView>,
}

/// The row's field as the document has it, or the mistakes in it.
fn field_of(row: &FieldRow, n: usize, key: String, mistakes: &mut Mistakes) -> CustomField {
    let kind = KINDS.iter().find(|(_, name)| *name == row.kind.trim()).map(|(k, _)| *k);
    if kind.is_none() {
        mistakes.add(row_name(n, "kind"), "cfg-error-choose");
    }
    let mut applies_to = Vec::new();
    for sent in &row.applies_to {
        match TICKET_KINDS.iter().find(|k| <&str>::from(**k) == sent.as_str()) {
            Some(k) => applies_to.push(*k),
            None => mistakes.add(row_name(n, "applies_to"), "cfg-error-choose"),
        }
    }
    CustomField {
        key,
        label: row.label.trim().to_owned(),
        kind: kind.unwrap_or(FieldKind::Text),
        required: row.required,
        options: list_of(&row.options, false),
        applies_to,
    }
}

impl Section for Fields {
    const PATH: &'static str = "/admin/settings/fields";
    type Form = FieldsForm;

    fn form_of(config: &TenantConfig) -> FieldsForm {
        let rows = config
            .custom_fields
            .iter()
            .enumerate()
            .map(|(i, f)| FieldRow {
                at: Some(i),
                key: f.key.clone(),
                label: f.label.clone(),
                kind: kind_name(f.kind).to_owned(),
                required: f.required,
                options: f.options.join("\n"),
                applies_to: f.applies_to.iter().map(|k| <&str>::from(*k).to_owned()).collect(),
                remove: false,
            })
            .collect();
        FieldsForm { rows }
    }

    fn parse(posted: &Posted) -> FieldsForm {
        let rows = posted
            .rows()
            .map(|r| FieldRow {
                at: r.at(),
                key: r.text("key"),
                label: r.text("label"),
                kind: r.text("kind"),
                required: r.on("required"),
                options: r.text("options"),
                applies_to: r.all("applies_to"),
                remove: r.on("remove"),
            })
            .collect();
        FieldsForm { rows }
    }

    fn apply(form: &FieldsForm, config: &mut TenantConfig, lang: Lang) -> Result<Placement, FieldErrors> {
        let mut mistakes = Mistakes::new(lang);
        let mut list = ListEdit::new(std::mem::take(&mut config.custom_fields));
        for (n, row) in form.rows.iter().enumerate() {
            match row.at {
                Some(i) if row.remove => list.remove(i),
                Some(i) => {
                    if let Some(field) = list.edit(i, n) {
                        *field = field_of(row, n, field.key.clone(), &mut mistakes);
                    }
                }
                None if row.is_blank() => {}
                None => list.add(field_of(row, n, row.key.trim().to_owned(), &mut mistakes), n),
            }
        }
        let mut placement = Placement::default();
        config.custom_fields = list.finish("custom_fields", &mut placement);
        if mistakes.is_empty() { Ok(placement) } else { Err(mistakes.into_errors()) }
    }

    fn page(
        ctx: Chrome,
        frame: Frame,
        _view: &ConfigView,
        form: FieldsForm,
        errors: FieldErrors,
    ) -> impl Template {
        let lang = ctx.lang;
        let mut rows = form.rows;
        if rows.last().is_none_or(|r| r.at.is_some()) {
            rows.push(FieldRow { kind: "text".into(), ..FieldRow::default() });
        }
        let rows = rows
            .into_iter()
            .enumerate()
            .map(|(n, r)| {
                let kinds = KINDS
                    .iter()
                    .map(|(_, name)| {
                        Choice::new(
                            &row_name(n, "kind"),
                            name,
                            lang.t(&format!("cfg-kind-{name}")),
                            *name == r.kind,
                        )
                    })
                    .collect();
                let ticket_kinds = TICKET_KINDS
                    .iter()
                    .map(|k| {
                        let name: &str = (*k).into();
                        let on = r.applies_to.iter().any(|a| a == name);
                        Choice::new(
                            &row_name(n, "applies_to"),
                            name,
                            lang.t(&format!("cfg-ticket-kind-{name}")),
                            on,
                        )
                    })
                    .collect();
                RowView {
                    n,
                    at: r.at,
                    key: Input::new(row_name(n, "key"), r.key, &errors),
                    label: Input::new(row_name(n, "label"), r.label, &errors),
                    kind: Input::new(row_name(n, "kind"), r.kind, &errors),
                    kinds,
                    required: Input::check(row_name(n, "required"), r.required, &errors),
                    options: Input::new(row_name(n, "options"), r.options, &errors),
                    applies_to: Input::new(row_name(n, "applies_to"), String::new(), &errors),
                    ticket_kinds,
                    remove: Input::check(row_name(n, "remove"), r.remove, &errors),
                }
            })
            .collect();
        FieldsPage { ctx, frame, rows }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use canopy_api::tenants::Locale;
    use canopy_kernel::FieldError;

    fn doc_with_two() -> TenantConfig {
        let mut doc = TenantConfig::initial("UTC", Locale::En);
        doc.custom_fields = vec![
            CustomField {
                key: "asset_tag".into(),
                label: "Asset tag".into(),
                kind: FieldKind::Text,
                required: false,
                options: vec![],
                applies_to: vec![],
            },
            CustomField {
                key: "cost_centre".into(),
                label: "Cost centre".into(),
                kind: FieldKind::Select,
                required: true,
                options: vec!["IT".into(), "Sales".into()],
                applies_to: vec![TicketKind::ServiceRequest],
            },
        ];
        doc
    }

    #[test]
    fn the_document_reads_into_the_form_and_back_unchanged() {
        let doc = doc_with_two();
        let form = Fields::form_of(&doc);
        assert_eq!(form.rows[1].options, "IT\nSales");
        assert_eq!(form.rows[1].applies_to, ["service_request"]);
        let mut again = doc.clone();
        Fields::apply(&form, &mut again, Lang::En).unwrap_or_else(|_| panic!("refused"));
        assert_eq!(again, doc);
    }

    #[test]
    fn rows_edit_remove_and_add_and_errors_find_their_rows() {
        let mut doc = doc_with_two();
        let mut form = Fields::form_of(&doc);
        form.rows[0].remove = true;
        form.rows[1].label = "Cost center".into();
        form.rows[1].options = "IT\r\n Sales \n\nFinance".into();
        form.rows.push(FieldRow {
            key: "site_code".into(),
            label: "Site code".into(),
            kind: "text".into(),
            required: true,
            ..FieldRow::default()
        });
        let placement = Fields::apply(&form, &mut doc, Lang::En).unwrap_or_else(|_| panic!("refused"));
        let keys: Vec<&str> = doc.custom_fields.iter().map(|f| f.key.as_str()).collect();
        assert_eq!(keys, ["cost_centre", "site_code"]);
        assert_eq!(doc.custom_fields[0].options, ["IT", "Sales", "Finance"]);
        assert_eq!(doc.custom_fields[0].label, "Cost center");
        assert!(doc.custom_fields[1].required);
        let (placed, _) = placement.place(vec![
            FieldError::new("custom_fields[1].key", "bad key"),
            FieldError::new("custom_fields[0].options[2]", "is listed twice"),
        ]);
        assert_eq!(placed.of("rows[2].key"), Some("bad key"));
        assert_eq!(placed.of("rows[1].options"), Some("is listed twice"));
    }

    #[test]
    fn an_unknown_kind_is_the_forms_own_mistake() {
        let mut doc = doc_with_two();
        let form = FieldsForm {
            rows: vec![FieldRow {
                key: "x".into(),
                label: "X".into(),
                kind: "colour".into(),
                ..FieldRow::default()
            }],
        };
        let Err(errors) = Fields::apply(&form, &mut doc, Lang::En) else { panic!("accepted") };
        assert!(errors.of("rows[0].kind").is_some());
    }
}
