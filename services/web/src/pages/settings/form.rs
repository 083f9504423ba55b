//! What every settings form shares: the posted fields read into top-level values and numbered
//! rows (`rows[3].key`), the inputs as a template shows them (value, error beside it), and the
//! mistakes a form finds itself. Where the API's errors go is [`super::placement`].

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
