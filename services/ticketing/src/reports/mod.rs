//! The monthly IT service report: a tenant's month — in its own time zone — beside the three
//! months before and the same month a year earlier, or the provider's month across every
//! tenant. [`figures`] works the numbers out; [`render`] writes them as CSV or as an HTML page
//! with charts, in the tenant's language.

pub mod figures;
pub mod render;

use chrono::{DateTime, Datelike, NaiveDate, Utc};

/// A calendar month.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Month {
    pub year: i32,
    pub month: u32,
}

impl Month {
    pub fn parse(s: &str) -> Option<Self> {
        let (y, m) = s.split_once('-')?;
        if y.len() != 4 || m.len() != 2 {
            return None;
        }
        if !(y.bytes().all(|b| b.is_ascii_digit()) && m.bytes().all(|b| b.is_ascii_digit())) {
            return None;
        }
        let (year, month) = (y.parse().ok()?, m.parse().ok()?);
        // Bounded, so that no month, the one before a year earlier nor the one after, leaves
        // the calendar the date libraries know.
        canopy_kernel::edge::YEARS.contains(&year).then_some(())?;
        (1..=12).contains(&month).then_some(Self { year, month })
    }

    pub fn of(day: NaiveDate) -> Self {
        Self { year: day.year(), month: day.month() }
    }

    /// `n` months earlier.
    pub fn back(self, n: u32) -> Self {
        let index = self.year * 12 + self.month as i32 - 1 - n as i32;
        Self { year: index.div_euclid(12), month: index.rem_euclid(12) as u32 + 1 }
    }

    /// The month's first instant and the next month's, in `tz` (an IANA name), as UTC.
    pub fn bounds(self, tz: &str) -> Option<(DateTime<Utc>, DateTime<Utc>)> {
        let zone = canopy_kernel::days::Zone::named(tz).ok()?;
        Some(zone.span(self.first_day()?, self.next().first_day()?))
    }

    fn first_day(self) -> Option<NaiveDate> {
        NaiveDate::from_ymd_opt(self.year, self.month, 1)
    }

    fn next(self) -> Self {
        Month { year: self.year + i32::from(self.month == 12), month: self.month % 12 + 1 }
    }

    /// The month's last day (a day of whoever's month it is).
    pub fn last_day(self) -> Option<NaiveDate> {
        self.next().first_day()?.pred_opt()
    }
}

impl std::fmt::Display for Month {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{:04}-{:02}", self.year, self.month)
    }
}

// The report's bodies are part of the contract: the web application shows them.
pub use canopy_api::reports::{CreditsEarned, MonthlyReport, TenantLine, TrendPoint};

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn months_are_bounded_in_the_tenants_time_zone() {
        let oct = Month::parse("2026-10").unwrap();
        let (from, to) = oct.bounds("Asia/Shanghai").unwrap();
        assert_eq!(from.to_rfc3339(), "2026-09-30T16:00:00+00:00");
        assert_eq!(to.to_rfc3339(), "2026-10-31T16:00:00+00:00");
        // Berlin leaves summer time on 25 October: the month is an hour longer.
        let (from, to) = oct.bounds("Europe/Berlin").unwrap();
        assert_eq!(
            (from.to_rfc3339().as_str(), to.to_rfc3339().as_str()),
            ("2026-09-30T22:00:00+00:00", "2026-10-31T23:00:00+00:00")
        );
        assert_eq!(Month::parse("2026-01").unwrap().back(3).to_string(), "2025-10");
        assert_eq!(oct.last_day(), NaiveDate::from_ymd_opt(2026, 10, 31));
        assert_eq!(Month::parse("2026-12").unwrap().last_day(), NaiveDate::from_ymd_opt(2026, 12, 31));
        assert_eq!(
            Month::parse("2026-12").unwrap().bounds("UTC").unwrap().1.to_rfc3339(),
            "2027-01-01T00:00:00+00:00"
        );
        for bad in ["2026-13", "26-01", "2026-1", "x", "9999-12", "1999-12", "2101-01", "+202-01", "2026-+1"]
        {
            assert!(Month::parse(bad).is_none(), "{bad}");
        }
    }

    proptest::proptest! {
        /// Whatever a client sends as `period`, parsing and everything a report does with the
        /// month (its bounds in any zone, the months before it, its last day) never panics, and
        /// a month that parses lies in the years Canopy knows.
        #[test]
        fn any_period_parses_or_is_refused_without_panic(s in "\\PC{0,12}|[+-]?[0-9]{1,6}-[0-9]{1,3}") {
            if let Some(m) = Month::parse(&s) {
                proptest::prop_assert!(canopy_kernel::edge::YEARS.contains(&m.year));
                for tz in ["UTC", "Pacific/Kiritimati", "Pacific/Pago_Pago", "Asia/Shanghai"] {
                    let bounds = m.bounds(tz);
                    proptest::prop_assert!(bounds.is_some_and(|(from, to)| from < to), "{m} in {tz}");
                }
                for n in [1, 2, 3, 12] {
                    let _ = m.back(n).bounds("UTC");
                }
                proptest::prop_assert!(m.last_day().is_some());
                proptest::prop_assert_eq!(Month::parse(&m.to_string()), Some(m));
            }
        }

        #[test]
        fn every_month_of_the_known_years_has_bounds(year in 2000i32..=2100, month in 1u32..=12) {
            let m = Month::parse(&format!("{year:04}-{month:02}"));
            proptest::prop_assert!(m.and_then(|m| m.bounds("America/Los_Angeles")).is_some());
        }
    }
}
