//! What every settings form shares: the posted fields read into top-level values and numbered
//! rows (`rows[3].key`), the inputs as a template shows them (value, error beside it), and the
//! placement of the API's field errors (`ticket_categories[5].key`) on the form's own fields
//! (`rows[5].key`).

use std::collections::BTreeMap;

use canopy_kernel::FieldError;

use crate::i18n::Lang;
use crate::pages::FieldErrors;

/// More rows than any list of the configuration may have: a higher number is not a row.
const MAX_ROWS: usize = 1000;

/// A posted form: its top-level fields, and its rows by number.
#[derive(Debug, Default)]
pub struct Posted {
    top: BTreeMap<String, Vec<String>>,
    rows: BTreeMap<usize, BTreeMap<String, Vec<String>>>,
}

impl Posted {
    pub fn new(pairs: Vec<(String, String)>) -> Self {
        let mut posted = Self::default();
        for (name, value) in pairs {
            match row_field(&name) {
                Some((n, field)) => {
                    posted.rows.entry(n).or_default().entry(field.to_owned()).or_default().push(value)
                }
                None => posted.top.entry(name).or_default().push(value),
            }
        }
        posted
    }

    /// The first value of a top-level field.
    pub fn one(&self, name: &str) -> Option<&str> {
        self.top.get(name).and_then(|v| v.first()).map(String::as_str)
    }

    /// A top-level field's value, or empty.
    pub fn text(&self, name: &str) -> String {
        self.one(name).unwrap_or_default().to_owned()
    }

    /// A checkbox: sent means on.
    pub fn on(&self, name: &str) -> bool {
        self.one(name).is_some()
    }

    /// The pairs `a.b` of the top-level fields named `{prefix}.a.b` (a grid's cells).
    pub fn pairs_under(&self, prefix: &str) -> Vec<(String, String)> {
        self.top
            .keys()
            .filter_map(|name| name.strip_prefix(prefix)?.strip_prefix('.')?.split_once('.'))
            .filter(|(a, b)| !a.is_empty() && !b.is_empty() && !b.contains('.'))
            .map(|(a, b)| (a.to_owned(), b.to_owned()))
            .collect()
    }

    /// The rows, in their order on the page.
    pub fn rows(&self) -> impl Iterator<Item = Row<'_>> {
        self.rows.values().map(|fields| Row { fields })
    }
}

/// `rows[3].key` → (3, `key`).
fn row_field(name: &str) -> Option<(usize, &str)> {
    let rest = name.strip_prefix("rows[")?;
    let (n, field) = rest.split_once("].")?;
    let n: usize = n.parse().ok().filter(|n| *n < MAX_ROWS)?;
    (!field.is_empty()).then_some((n, field))
}

/// One row of a posted form.
pub struct Row<'a> {
    fields: &'a BTreeMap<String, Vec<String>>,
}

impl Row<'_> {
    pub fn text(&self, field: &str) -> String {
        self.fields.get(field).and_then(|v| v.first()).cloned().unwrap_or_default()
    }

    pub fn on(&self, field: &str) -> bool {
        self.fields.contains_key(field)
    }

    /// Every value of a field (a group of checkboxes).
    pub fn all(&self, field: &str) -> Vec<String> {
        self.fields.get(field).cloned().unwrap_or_default()
    }

    /// The position in the document of the item this row edits (`rows[n].at`); a new row has none.
    pub fn at(&self) -> Option<usize> {
        self.fields.get("at").and_then(|v| v.first()).and_then(|s| s.parse().ok())
    }
}

/// The form field of row `n`: `rows[n].field`.
pub fn row_name(n: usize, field: &str) -> String {
    format!("rows[{n}].{field}")
}

/// An input as the template shows it.
#[derive(Clone, Debug)]
pub struct Input {
    pub id: String,
    pub name: String,
    pub value: String,
    pub error: Option<String>,
}

impl Input {
    pub fn new(name: String, value: impl Into<String>, errors: &FieldErrors) -> Self {
        let error = errors.of(&name).map(str::to_owned);
        Self { id: id_of(&name), name, value: value.into(), error }
    }

    /// A checkbox, checked or not.
    pub fn check(name: String, on: bool, errors: &FieldErrors) -> Self {
        Self::new(name, if on { "on" } else { "" }, errors)
    }

    pub fn on(&self) -> bool {
        !self.value.is_empty()
    }

    pub fn error_id(&self) -> String {
        format!("{}-error", self.id)
    }
}

/// One checkbox of a group (or option of a select): its value, its label, chosen or not.
#[derive(Clone, Debug)]
pub struct Choice {
    pub id: String,
    pub value: String,
    pub label: String,
    pub on: bool,
}

impl Choice {
    pub fn new(group: &str, value: &str, label: String, on: bool) -> Self {
        Self { id: format!("{}-{}", id_of(group), slug(value)), value: value.to_owned(), label, on }
    }
}

/// An id for a field name: `rows[3].key` → `f-rows-3-key`.
pub fn id_of(name: &str) -> String {
    format!("f-{}", slug(name))
}

/// Letters, digits and `_` kept, every other run of characters one `-`.
fn slug(text: &str) -> String {
    let mut out = String::new();
    let mut dash = false;
    for c in text.chars() {
        if c.is_ascii_alphanumeric() || c == '_' {
            out.push(c);
            dash = false;
        } else if !dash && !out.is_empty() {
            out.push('-');
            dash = true;
        }
    }
    let out = out.trim_end_matches('-');
    if out.is_empty() { "all".to_owned() } else { out.to_owned() }
}

/// Where the document's paths are on the form: rules from a path of the document to a form
/// field, the longest matching one winning.
#[derive(Debug, Default)]
pub struct Placement {
    rules: Vec<Rule>,
}

#[derive(Debug)]
struct Rule {
    doc: String,
    form: String,
    /// What follows the matched path is kept (`[5].key` → `rows[2].key`), or dropped (every
    /// error under `…weekly` shows beside one field).
    keep_rest: bool,
}

fn under(path: &str, prefix: &str) -> Option<usize> {
    if path == prefix {
        return Some(prefix.len());
    }
    let rest = path.strip_prefix(prefix)?;
    (rest.starts_with('.') || rest.starts_with('[')).then_some(prefix.len())
}

impl Placement {
    /// `doc` and what is under it are the form's `form` and what is under that.
    pub fn map(&mut self, doc: impl Into<String>, form: impl Into<String>) -> &mut Self {
        self.rules.push(Rule { doc: doc.into(), form: form.into(), keep_rest: true });
        self
    }

    /// `doc` and everything under it show beside the form's `form`.
    pub fn field(&mut self, doc: impl Into<String>, form: impl Into<String>) -> &mut Self {
        self.rules.push(Rule { doc: doc.into(), form: form.into(), keep_rest: false });
        self
    }

    /// The item at `doc_index` of the document's list `list` is the form's row `row`.
    pub fn row(&mut self, list: &str, doc_index: usize, row: usize) -> &mut Self {
        self.map(format!("{list}[{doc_index}]"), format!("rows[{row}]"))
    }

    /// The API's errors: those on a field of the form renamed to it, the others apart.
    pub fn place(&self, errors: Vec<FieldError>) -> (FieldErrors, Vec<FieldError>) {
        let mut placed = Vec::new();
        let mut elsewhere = Vec::new();
        for e in errors {
            let best = self
                .rules
                .iter()
                .filter_map(|r| under(&e.field, &r.doc).map(|len| (len, r)))
                .max_by_key(|(len, _)| *len);
            match best {
                Some((len, r)) => {
                    let field =
                        if r.keep_rest { format!("{}{}", r.form, &e.field[len..]) } else { r.form.clone() };
                    placed.push(FieldError::new(field, readable(&e.message)));
                }
                None => elsewhere.push(e),
            }
        }
        (FieldErrors(placed), elsewhere)
    }
}

/// A list of the document edited by a form's rows: items changed or removed where they are,
/// new ones added at the end, and where each row's item ends up.
pub struct ListEdit<T> {
    /// Each item, the form row that edits it, and whether it goes.
    items: Vec<(T, Option<usize>, bool)>,
}

impl<T> ListEdit<T> {
    pub fn new(items: Vec<T>) -> Self {
        Self { items: items.into_iter().map(|t| (t, None, false)).collect() }
    }

    /// The item at `at`, edited by form row `row` (none when the document has no such item).
    pub fn edit(&mut self, at: usize, row: usize) -> Option<&mut T> {
        let (item, by, _) = self.items.get_mut(at)?;
        *by = Some(row);
        Some(item)
    }

    pub fn remove(&mut self, at: usize) {
        if let Some((_, _, gone)) = self.items.get_mut(at) {
            *gone = true;
        }
    }

    pub fn add(&mut self, item: T, row: usize) {
        self.items.push((item, Some(row), false));
    }

    /// The list as it now is; `placement` learns where each row's item is in it (`list`).
    pub fn finish(self, list: &str, placement: &mut Placement) -> Vec<T> {
        let kept = self.items.into_iter().filter(|(_, _, gone)| !gone);
        kept.enumerate()
            .map(|(i, (item, row, _))| {
                if let Some(row) = row {
                    placement.row(list, i, row);
                }
                item
            })
            .collect()
    }
}

/// An API message as people read it: `network` is quoted as “network”.
pub fn readable(message: &str) -> String {
    let mut out = String::with_capacity(message.len());
    let mut open = true;
    for c in message.chars() {
        if c == '`' {
            out.push(if open { '“' } else { '”' });
            open = !open;
        } else {
            out.push(c);
        }
    }
    out
}

/// Errors the form itself finds before anything is sent (a number that is not one).
#[derive(Default)]
pub struct Mistakes {
    lang: Lang,
    errors: Vec<FieldError>,
}

impl Mistakes {
    pub fn new(lang: Lang) -> Self {
        Self { lang, errors: Vec::new() }
    }

    /// The message `key` beside `field`.
    pub fn add(&mut self, field: String, key: &str) {
        let message = self.lang.t(key);
        self.errors.push(FieldError::new(field, message));
    }

    pub fn is_empty(&self) -> bool {
        self.errors.is_empty()
    }

    pub fn into_errors(self) -> FieldErrors {
        FieldErrors(self.errors)
    }
}

/// A whole number from a field, or the mistake noted.
pub fn whole<T: std::str::FromStr>(value: &str, field: String, mistakes: &mut Mistakes) -> Option<T> {
    match value.trim().parse() {
        Ok(n) => Some(n),
        Err(_) => {
            mistakes.add(field, "cfg-error-whole-number");
            None
        }
    }
}

/// Words from a field, one a line or separated by commas; blanks left out.
pub fn list_of(text: &str, commas: bool) -> Vec<String> {
    text.split(|c| c == '\n' || (commas && c == ','))
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pairs(list: &[(&str, &str)]) -> Vec<(String, String)> {
        list.iter().map(|(a, b)| ((*a).to_owned(), (*b).to_owned())).collect()
    }

    #[test]
    fn posted_fields_are_read_into_rows_in_their_order() {
        let posted = Posted::new(pairs(&[
            ("_csrf", "t"),
            ("version", "4"),
            ("rows[10].key", "late"),
            ("rows[2].at", "2"),
            ("rows[2].key", "network"),
            ("rows[2].events", "ticket.created"),
            ("rows[2].events", "sla.breached"),
            ("rows[2].active", "on"),
            ("rows[x].key", "not a row"),
            ("rows[5000].key", "too far"),
        ]));
        assert_eq!(posted.one("version"), Some("4"));
        assert_eq!(posted.one("rows[x].key"), Some("not a row"));
        let rows: Vec<Row<'_>> = posted.rows().collect();
        assert_eq!(rows.len(), 2);
        assert_eq!(
            (rows[0].at(), rows[0].text("key").as_str(), rows[0].on("active")),
            (Some(2), "network", true)
        );
        assert_eq!(rows[0].all("events"), ["ticket.created", "sla.breached"]);
        assert_eq!((rows[1].at(), rows[1].text("key").as_str(), rows[1].on("active")), (None, "late", false));
    }

    #[test]
    fn api_errors_are_placed_beside_the_form_field_they_concern() {
        let mut placement = Placement::default();
        placement
            .row("ticket_categories", 5, 7)
            .map("priority_matrix.matrix", "cell")
            .field("monitoring.maintenance[0].weekly", "rows[1].from")
            .field("monitoring.maintenance[0].weekly.days", "rows[1].days");
        let errors = vec![
            FieldError::new("ticket_categories[5].key", "`network` is used twice"),
            FieldError::new("ticket_categories[50].key", "not this row"),
            FieldError::new("priority_matrix.matrix.high.low", "is missing"),
            FieldError::new("monitoring.maintenance[0].weekly", "from and to are HH:MM"),
            FieldError::new("monitoring.maintenance[0].weekly.days", "name days"),
            FieldError::new("timezone", "not a zone"),
        ];
        let (placed, elsewhere) = placement.place(errors);
        assert_eq!(placed.of("rows[7].key"), Some("“network” is used twice"));
        assert_eq!(placed.of("cell.high.low"), Some("is missing"));
        assert_eq!(placed.of("rows[1].from"), Some("from and to are HH:MM"));
        assert_eq!(placed.of("rows[1].days"), Some("name days"));
        let rest: Vec<&str> = elsewhere.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(rest, ["ticket_categories[50].key", "timezone"]);
    }

    #[test]
    fn a_list_keeps_its_order_and_knows_where_each_row_went() {
        let mut edit = ListEdit::new(vec!["a", "b", "c"]);
        edit.remove(0);
        if let Some(item) = edit.edit(2, 1) {
            *item = "C";
        }
        assert!(edit.edit(7, 2).is_none());
        edit.add("d", 3);
        let mut placement = Placement::default();
        assert_eq!(edit.finish("sites", &mut placement), ["b", "C", "d"]);
        let (placed, _) = placement.place(vec![
            FieldError::new("sites[1].name", "for row 1"),
            FieldError::new("sites[2].name", "for row 3"),
            FieldError::new("sites[0].name", "no row edits b"),
        ]);
        assert_eq!(
            (placed.of("rows[1].name"), placed.of("rows[3].name")),
            (Some("for row 1"), Some("for row 3"))
        );
        assert_eq!(placed.0.len(), 2);
    }

    #[test]
    fn api_messages_quote_names_as_people_do() {
        assert_eq!(readable("`network` is used twice"), "“network” is used twice");
        assert_eq!(readable("no quotes"), "no quotes");
        assert_eq!(Lang::En.t("cfg-list-separator"), ", ");
        assert_eq!(Lang::ZhCn.t("cfg-list-separator"), "、");
    }

    #[test]
    fn ids_are_made_of_the_names() {
        assert_eq!(id_of("rows[3].key"), "f-rows-3-key");
        assert_eq!(id_of("cell.high.low"), "f-cell-high-low");
        assert_eq!(
            Choice::new("rows[0].events", "ticket.created", String::new(), true).id,
            "f-rows-0-events-ticket-created"
        );
        assert_eq!(Choice::new("rows[0].events", "*", String::new(), true).id, "f-rows-0-events-all");
        assert_eq!(list_of("fs*, db01\n\n web* ", true), ["fs*", "db01", "web*"]);
        assert_eq!(Choice::new("rows[0].events", "*", String::new(), true).id, "f-rows-0-events-all");
        assert_eq!(list_of("Red, dark\nBlue", false), ["Red, dark", "Blue"]);
    }
}
