//! Money arithmetic: integer minor units, basis points, and one explicit rounding (half-up to
//! the minor unit) per line. Nothing here is a float.

use chrono::{Datelike, NaiveDate};
use serde::{Deserialize, Serialize};

/// A calendar month, `YYYY-MM`: the billing period.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Period {
    pub year: i32,
    pub month: u32,
}

impl Period {
    pub fn parse(s: &str) -> Result<Self, String> {
        let bad = || format!("`{s}` is not a month (YYYY-MM)");
        let (y, m) = s.trim().split_once('-').ok_or_else(bad)?;
        if y.len() != 4 || m.len() != 2 {
            return Err(bad());
        }
        let (year, month) = (y.parse::<i32>().map_err(|_| bad())?, m.parse::<u32>().map_err(|_| bad())?);
        if !y.bytes().all(|b| b.is_ascii_digit())
            || !m.bytes().all(|b| b.is_ascii_digit())
            || !canopy_kernel::edge::YEARS.contains(&year)
            || !(1..=12).contains(&month)
        {
            return Err(bad());
        }
        Ok(Self { year, month })
    }

    pub fn of(day: NaiveDate) -> Self {
        Self { year: day.year(), month: day.month() }
    }

    pub fn first_day(self) -> NaiveDate {
        NaiveDate::from_ymd_opt(self.year, self.month, 1).unwrap_or_default()
    }

    /// The first day of the next period (the end, exclusive).
    pub fn end(self) -> NaiveDate {
        self.next().first_day()
    }

    pub fn next(self) -> Self {
        if self.month == 12 {
            Self { year: self.year + 1, month: 1 }
        } else {
            Self { month: self.month + 1, ..self }
        }
    }

    pub fn previous(self) -> Self {
        if self.month == 1 {
            Self { year: self.year - 1, month: 12 }
        } else {
            Self { month: self.month - 1, ..self }
        }
    }

    pub fn days(self) -> i64 {
        (self.end() - self.first_day()).num_days()
    }
}

impl std::fmt::Display for Period {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{:04}-{:02}", self.year, self.month)
    }
}

impl TryFrom<String> for Period {
    type Error = String;
    fn try_from(s: String) -> Result<Self, String> {
        Self::parse(&s)
    }
}

impl From<Period> for String {
    fn from(p: Period) -> String {
        p.to_string()
    }
}

/// `amount × numerator / denominator`, rounded half-up (away from zero at .5), exactly.
pub fn ratio(amount: i64, numerator: i64, denominator: i64) -> i64 {
    assert!(denominator > 0, "a ratio needs a positive denominator");
    let product = i128::from(amount) * i128::from(numerator);
    let d = i128::from(denominator);
    let rounded = if product >= 0 { (2 * product + d) / (2 * d) } else { -((-2 * product + d) / (2 * d)) };
    i64::try_from(rounded).unwrap_or(if rounded > 0 { i64::MAX } else { i64::MIN })
}

/// Basis points of an amount, half-up.
pub fn bp_of(amount: i64, bp: i64) -> i64 {
    ratio(amount, bp, 10_000)
}

/// The part of a monthly amount for the days a contract ran in the period, half-up.
pub fn prorate(monthly: i64, active_days: i64, period_days: i64) -> i64 {
    if active_days >= period_days {
        return monthly;
    }
    ratio(monthly, active_days.max(0), period_days)
}

/// Days of `[from, to)` (to: exclusive, open-ended when `None`) inside the period.
pub fn days_in(period: Period, from: NaiveDate, to: Option<NaiveDate>) -> i64 {
    let start = from.max(period.first_day());
    let end = to.map_or(period.end(), |t| t.min(period.end()));
    (end - start).num_days().max(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    #[test]
    fn periods_parse_strictly_and_know_their_days() {
        let p = Period::parse("2026-02").unwrap();
        assert_eq!(p.days(), 28);
        assert_eq!(Period::parse("2028-02").unwrap().days(), 29);
        assert_eq!(p.next().to_string(), "2026-03");
        assert_eq!(Period::parse("2026-12").unwrap().next().to_string(), "2027-01");
        assert_eq!(Period::parse("2026-01").unwrap().previous().to_string(), "2025-12");
        for bad in ["2026-13", "2026-1", "26-01", "2026/01", "", "2026-00", "1999-05", "9999-12", "+202-01"] {
            assert!(Period::parse(bad).is_err(), "{bad}");
        }
    }

    proptest::proptest! {
        /// Whatever a client sends as a period, parsing it and the arithmetic a billing run does
        /// with it (its days, the periods around it) never panics.
        #[test]
        fn any_period_parses_or_is_refused_without_panic(s in "\\PC{0,12}|[+-]?[0-9]{1,6}-[0-9]{1,3}") {
            if let Ok(p) = Period::parse(&s) {
                proptest::prop_assert!((28..=31).contains(&p.days()));
                proptest::prop_assert!(p.previous() < p && p < p.next());
                proptest::prop_assert!(p.first_day() < p.end());
                proptest::prop_assert_eq!(Period::parse(&p.to_string()), Ok(p));
            }
        }
    }

    #[test]
    fn rounding_is_half_up_once() {
        // 12 000.00 CNY × 2.5 % = 300.00; 1 234 567 minor × 0.01 % = 123.4567 → 123.
        assert_eq!(bp_of(1_200_000, 250), 30_000);
        assert_eq!(bp_of(1_234_567, 1), 123);
        // Exactly half a minor unit rounds up: 5 000 × 1 bp = 0.5 → 1; 4 999 × 1 bp → 0.
        assert_eq!(bp_of(5_000, 1), 1);
        assert_eq!(bp_of(4_999, 1), 0);
        assert_eq!(ratio(1, 1, 2), 1);
        assert_eq!(ratio(1, 1, 3), 0);
        assert_eq!(ratio(-1, 1, 2), -1, "half away from zero for negatives too");
        assert_eq!(ratio(-5, 1, 3), -2);
    }

    #[test]
    fn proration_by_day_worked_out_by_hand() {
        // 25 seats × 120.00 = 3 000.00 a month; a contract from 17 November runs 14 of 30 days:
        // 300 000 × 14 / 30 = 140 000.
        let nov = Period::parse("2026-11").unwrap();
        assert_eq!(days_in(nov, day("2026-11-17"), None), 14);
        assert_eq!(prorate(300_000, 14, 30), 140_000);
        // Ending on the 11th (exclusive) in a 31-day month: 10 days of 99 999 → 32 257.74 → 32 258.
        let dec = Period::parse("2026-12").unwrap();
        assert_eq!(days_in(dec, day("2026-10-01"), Some(day("2026-12-11"))), 10);
        assert_eq!(prorate(99_999, 10, 31), 32_258);
        // A contract outside the period: nothing; the whole month: the whole fee.
        assert_eq!(days_in(dec, day("2027-01-01"), None), 0);
        assert_eq!(prorate(300_000, 31, 31), 300_000);
        assert_eq!(days_in(Period::parse("2028-02").unwrap(), day("2028-02-15"), None), 15);
    }
}
