//! The tenant admin's money and service pages, as values: the monthly IT service report
//! ([`report`], with [`chart`]s), invoices with their credits explained ([`invoice`]), and the
//! months they are of ([`month`]). The handlers are in `pages::finance`.

pub mod chart;
pub mod invoice;
pub mod month;
pub mod report;

use crate::i18n::{Arg, Lang};

/// A message with one text argument.
pub fn tn(lang: Lang, key: &str, name: &'static str, value: impl Into<Arg>) -> String {
    lang.t_with(key, &[(name, value.into())])
}

/// A message about `n` things (`n` for the catalogue's plural forms).
pub fn count_of(lang: Lang, key: &str, n: u32) -> String {
    lang.t_with(key, &[("n", Arg::Number(i64::from(n)))])
}

/// Basis points as a percentage with two decimals, exact: `81.25%`.
pub fn basis_points(lang: Lang, bp: i64) -> String {
    let sign = if bp < 0 { "-" } else { "" };
    let abs = bp.unsigned_abs();
    tn(lang, "fin-percent", "value", format!("{sign}{}.{:02}", abs / 100, abs % 100))
}

/// A share in basis points, or a dash when there is none.
pub fn percent(lang: Lang, bp: Option<u32>) -> String {
    bp.map_or_else(|| "–".to_owned(), |bp| basis_points(lang, i64::from(bp)))
}

/// An average rating out of five, or a dash.
pub fn satisfaction(lang: Lang, rating: Option<f64>) -> String {
    rating.map_or_else(|| "–".to_owned(), |r| tn(lang, "fin-rating", "value", format!("{r:.2}")))
}

/// Basis points of an amount in minor units, half-up (as billing rounds).
pub fn bp_of(amount: i64, bp: i64) -> i64 {
    let product = i128::from(amount) * i128::from(bp);
    let rounded =
        if product >= 0 { (2 * product + 10_000) / 20_000 } else { -((-2 * product + 10_000) / 20_000) };
    i64::try_from(rounded).unwrap_or(if rounded > 0 { i64::MAX } else { i64::MIN })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shares_and_amounts_are_exact() {
        assert_eq!(basis_points(Lang::En, 8125), "81.25%");
        assert_eq!(basis_points(Lang::En, 5), "0.05%");
        assert_eq!(percent(Lang::ZhCn, None), "–");
        assert_eq!(bp_of(300_000, 3000), 90_000);
        assert_eq!(bp_of(33_333, 200), 667, "half up");
        assert_eq!(bp_of(-33_333, 200), -667);
        assert_eq!(satisfaction(Lang::En, Some(3.5)), "3.50 / 5");
    }
}
