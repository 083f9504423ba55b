//! CSV that people open in spreadsheets: quoting by the `csv` crate (RFC 4180, CRLF), and
//! every cell a spreadsheet would run as a formula written as text instead (OWASP, "CSV
//! injection"): a tenant's ticket title or a plan's name must not become `=HYPERLINK(...)`
//! in finance's Excel.

use std::borrow::Cow;

/// Rows of guarded cells, kept in memory until [`Writer::finish`].
pub struct Writer {
    inner: ::csv::Writer<Vec<u8>>,
}

impl Writer {
    /// A table whose first row is `header`.
    pub fn new(header: &[&str]) -> Self {
        // Flexible: a row of another length is written as it is rather than refused, so the
        // only error left is the I/O of a Vec, which cannot fail.
        let inner = ::csv::WriterBuilder::new()
            .terminator(::csv::Terminator::CRLF)
            .flexible(true)
            .from_writer(Vec::new());
        let mut w = Self { inner };
        w.row(header);
        w
    }

    pub fn row<I>(&mut self, cells: I)
    where
        I: IntoIterator,
        I::Item: AsRef<str>,
    {
        let guarded: Vec<String> = cells.into_iter().map(|c| guard(c.as_ref()).into_owned()).collect();
        // Writing to memory cannot fail (see `new`).
        let _ = self.inner.write_record(&guarded);
    }

    pub fn finish(self) -> String {
        // Flushing into a Vec cannot fail either (see `new`).
        let bytes = self.inner.into_inner().unwrap_or_else(|e| e.into_inner().get_ref().clone());
        // Every cell was a `str`, so the bytes are UTF-8.
        String::from_utf8(bytes).unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned())
    }
}

/// `cell` as a spreadsheet shows it as text: a cell starting with `=`, `+`, `-`, `@`, a tab or
/// a carriage return gets a leading `'`, unless it is a plain number (`-150.00`, a credit,
/// stays a number).
pub fn guard(cell: &str) -> Cow<'_, str> {
    let risky = cell.starts_with(['=', '+', '-', '@', '\t', '\r']);
    if risky && !plain_number(cell) { Cow::Owned(format!("'{cell}")) } else { Cow::Borrowed(cell) }
}

/// An optional minus, digits, and optionally a point and more digits.
fn plain_number(s: &str) -> bool {
    let digits = |p: &str| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit());
    let unsigned = s.strip_prefix('-').unwrap_or(s);
    match unsigned.split_once('.') {
        Some((whole, fraction)) => digits(whole) && digits(fraction),
        None => digits(unsigned),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formulas_become_text() {
        for (cell, shown) in [
            ("=HYPERLINK(\"https://evil.test\",\"pay\")", "'=HYPERLINK(\"https://evil.test\",\"pay\")"),
            ("+1+1", "'+1+1"),
            ("-2+3+cmd|' /C calc'!A0", "'-2+3+cmd|' /C calc'!A0"),
            ("@SUM(A1:A2)", "'@SUM(A1:A2)"),
            ("\t=1", "'\t=1"),
            ("\r=1", "'\r=1"),
            ("+150.00", "'+150.00"),
            ("-", "'-"),
            ("-.5", "'-.5"),
            ("-1.", "'-1."),
            ("-1e5", "'-1e5"),
            ("--1", "'--1"),
        ] {
            assert_eq!(guard(cell), shown, "{cell:?}");
        }
    }

    #[test]
    fn numbers_and_ordinary_text_stay_as_they_are() {
        for cell in [
            "-150.00",
            "-3",
            "0.00",
            "3152.70",
            "12",
            "",
            "Gold × 25 seat",
            "a=b",
            "2026-11",
            "1/2 5000",
            "–",
        ] {
            assert!(matches!(guard(cell), Cow::Borrowed(_)), "{cell:?}");
        }
    }

    #[test]
    fn rows_are_quoted_guarded_and_end_in_crlf() {
        let mut w = Writer::new(&["kind", "description", "amount"]);
        w.row(["credit", "SLA credit: 2 breach(es)", "-210.00"]);
        w.row([
            "line".to_owned(),
            "=HYPERLINK(\"https://evil.test\",\"pay\") plan".to_owned(),
            "1.00".to_owned(),
        ]);
        w.row(["note", "a, \"quoted\"\nline", "-"]);
        assert_eq!(
            w.finish(),
            "kind,description,amount\r\n\
             credit,SLA credit: 2 breach(es),-210.00\r\n\
             line,\"'=HYPERLINK(\"\"https://evil.test\"\",\"\"pay\"\") plan\",1.00\r\n\
             note,\"a, \"\"quoted\"\"\nline\",'-\r\n"
        );
    }
}
