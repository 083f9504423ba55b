//! A report's or an invoice's month, `YYYY-MM`, and which months of a tenant have ended: a
//! month ends at midnight after its last day in the tenant's time zone.

use chrono::{DateTime, Datelike, Utc};

use canopy_kernel::days::Zone;

use crate::i18n::{Arg, Lang};

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Month {
    pub year: i32,
    pub month: u32,
}

impl Month {
    /// `2026-10`: four digits, a dash, two digits, in the years the platform knows.
    pub fn parse(s: &str) -> Option<Self> {
        let (y, m) = s.split_once('-')?;
        let digits = |p: &str, n: usize| p.len() == n && p.bytes().all(|b| b.is_ascii_digit());
        if !(digits(y, 4) && digits(m, 2)) {
            return None;
        }
        let (year, month) = (y.parse().ok()?, m.parse().ok()?);
        (canopy_kernel::edge::YEARS.contains(&year) && (1..=12).contains(&month))
            .then_some(Self { year, month })
    }

    /// The month `at` falls in, in `zone` (UTC when the zone is not known).
    pub fn containing(at: DateTime<Utc>, zone: &str) -> Self {
        let day = Zone::named(zone).unwrap_or_else(|_| Zone::utc()).day_of(at);
        Self { year: day.year(), month: day.month() }
    }

    /// `n` months earlier.
    pub fn back(self, n: u32) -> Self {
        let index = self.year * 12 + self.month as i32 - 1 - n as i32;
        Self { year: index.div_euclid(12), month: index.rem_euclid(12) as u32 + 1 }
    }

    pub fn next(self) -> Self {
        let index = self.year * 12 + self.month as i32;
        Self { year: index.div_euclid(12), month: index.rem_euclid(12) as u32 + 1 }
    }

    /// The last month that has ended at `now` in `zone`.
    pub fn last_ended(now: DateTime<Utc>, zone: &str) -> Self {
        Self::containing(now, zone).back(1)
    }

    /// Ended at `now` in `zone`.
    pub fn has_ended(self, now: DateTime<Utc>, zone: &str) -> bool {
        self <= Self::last_ended(now, zone)
    }

    /// The `n` months that ended last, the latest first.
    pub fn last_ended_months(now: DateTime<Utc>, zone: &str, n: u32) -> Vec<Self> {
        let last = Self::last_ended(now, zone);
        (0..n).map(|i| last.back(i)).filter(|m| canopy_kernel::edge::YEARS.contains(&m.year)).collect()
    }

    /// `October 2026`, `2026年10月`.
    pub fn label(self, lang: Lang) -> String {
        let name = lang.t(&format!("fin-month-{}", self.month));
        lang.t_with(
            "fin-month-label",
            &[("month", Arg::Text(name)), ("year", Arg::Text(self.year.to_string()))],
        )
    }
}

impl std::fmt::Display for Month {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{:04}-{:02}", self.year, self.month)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(s: &str) -> DateTime<Utc> {
        s.parse().unwrap()
    }

    #[test]
    fn months_parse_strictly() {
        assert_eq!(Month::parse("2026-10"), Some(Month { year: 2026, month: 10 }));
        for bad in [
            "2026-13",
            "2026-00",
            "abc",
            "2026-1",
            "26-01",
            "1999-12",
            "2101-01",
            "+202-01",
            "2026-10-01",
            "",
        ] {
            assert_eq!(Month::parse(bad), None, "{bad}");
        }
        assert_eq!(Month::parse("2026-01").unwrap().back(1).to_string(), "2025-12");
        assert_eq!(Month::parse("2026-12").unwrap().next().to_string(), "2027-01");
    }

    #[test]
    fn a_month_ends_at_midnight_in_the_tenants_zone() {
        // 16:00 UTC on 31 October is midnight on 1 November in Shanghai, still 31 October in UTC.
        let now = at("2026-10-31T16:30:00Z");
        assert_eq!(Month::last_ended(now, "Asia/Shanghai").to_string(), "2026-10");
        assert_eq!(Month::last_ended(now, "UTC").to_string(), "2026-09");
        let oct = Month::parse("2026-10").unwrap();
        assert!(oct.has_ended(now, "Asia/Shanghai"));
        assert!(!oct.has_ended(now, "America/Los_Angeles"));
        assert_eq!(
            Month::last_ended(now, "Nowhere/Else").to_string(),
            "2026-09",
            "unknown zones read as UTC"
        );
        let months: Vec<String> =
            Month::last_ended_months(now, "Asia/Shanghai", 12).iter().map(Month::to_string).collect();
        assert_eq!((months.len(), months[0].as_str(), months[11].as_str()), (12, "2026-10", "2025-11"));
    }

    #[test]
    fn months_read_in_each_language() {
        let oct = Month::parse("2026-10").unwrap();
        assert_eq!(oct.label(Lang::En), "October 2026");
        assert_eq!(oct.label(Lang::ZhCn), "2026年10月");
    }
}
