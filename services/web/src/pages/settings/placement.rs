//! The placement of the API's field errors (`ticket_categories[5].key`) on the form's own
//! fields (`rows[5].key`), and the lists of the document that forms' rows edit.

use canopy_kernel::FieldError;

use crate::pages::FieldErrors;

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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::i18n::Lang;

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
}
