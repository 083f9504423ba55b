//! Recurring schedules: a cron expression (five fields, POSIX/Vixie, parsed by `croner`) read
//! in a time zone. The next tick is found on the local wall clock and mapped to an instant by
//! the same "compatible" rule as the SLA calendars: a wall time inside a DST gap moves forward
//! by the gap, a repeated one is taken at its first occurrence.

use std::str::FromStr;

use chrono::{DateTime, NaiveDateTime, Utc};
use croner::Cron;

/// A parsed, valid schedule.
#[derive(Clone, Debug)]
pub struct Recurrence {
    cron: Cron,
    zone: jiff::tz::TimeZone,
}

impl Recurrence {
    pub fn parse(expression: &str, timezone: &str) -> Result<Self, Vec<(&'static str, String)>> {
        let mut problems = Vec::new();
        let fields = expression.split_whitespace().count();
        let cron = if fields != 5 {
            problems.push(("cron", "five fields: minute hour day-of-month month day-of-week".to_owned()));
            None
        } else {
            Cron::from_str(expression).map_err(|e| problems.push(("cron", e.to_string()))).ok()
        };
        let zone = jiff::tz::TimeZone::get(timezone)
            .map_err(|_| problems.push(("timezone", format!("`{timezone}` is not an IANA time zone"))))
            .ok();
        match (cron, zone) {
            (Some(cron), Some(zone)) if problems.is_empty() => Ok(Self { cron, zone }),
            _ => Err(problems),
        }
    }

    /// The first tick strictly after `after`; `None` when the expression never matches again
    /// (e.g. 30 February) within the search.
    pub fn next_after(&self, after: DateTime<Utc>) -> Option<DateTime<Utc>> {
        let ts = jiff::Timestamp::from_second(after.timestamp()).ok()?;
        let mut wall = naive(ts.to_zoned(self.zone.clone()).datetime())?;
        // A handful of rounds covers wall times that map back before `after` (a repeated hour).
        for _ in 0..8 {
            let next = self.cron.find_next_occurrence(&wall.and_utc(), false).ok()?.naive_utc();
            let instant = self.instant(next)?;
            if instant > after {
                return Some(instant);
            }
            wall = next;
        }
        None
    }

    fn instant(&self, wall: NaiveDateTime) -> Option<DateTime<Utc>> {
        use chrono::{Datelike, Timelike};
        let civil = jiff::civil::date(wall.year() as i16, wall.month() as i8, wall.day() as i8).at(
            wall.hour() as i8,
            wall.minute() as i8,
            wall.second() as i8,
            0,
        );
        let zoned = civil.to_zoned(self.zone.clone()).ok()?;
        DateTime::from_timestamp(zoned.timestamp().as_second(), 0)
    }
}

fn naive(dt: jiff::civil::DateTime) -> Option<NaiveDateTime> {
    chrono::NaiveDate::from_ymd_opt(i32::from(dt.year()), dt.month() as u32, dt.day() as u32)?.and_hms_opt(
        dt.hour() as u32,
        dt.minute() as u32,
        dt.second() as u32,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(s: &str) -> DateTime<Utc> {
        s.parse().unwrap()
    }

    #[test]
    fn a_daily_inspection_runs_at_local_time() {
        let r = Recurrence::parse("0 8 * * *", "Asia/Shanghai").unwrap();
        // 08:00 in Shanghai is 00:00 UTC.
        assert_eq!(r.next_after(at("2026-11-23T03:00:00Z")), Some(at("2026-11-24T00:00:00Z")));
        assert_eq!(r.next_after(at("2026-11-23T23:59:59Z")), Some(at("2026-11-24T00:00:00Z")));
        assert_eq!(
            r.next_after(at("2026-11-24T00:00:00Z")),
            Some(at("2026-11-25T00:00:00Z")),
            "strictly after"
        );
    }

    #[test]
    fn weekly_and_monthly_schedules() {
        // Mondays 06:00 Berlin (CET, UTC+1).
        let weekly = Recurrence::parse("0 6 * * MON", "Europe/Berlin").unwrap();
        assert_eq!(weekly.next_after(at("2026-11-23T06:00:00Z")), Some(at("2026-11-30T05:00:00Z")));
        // First of the month, 07:30 in New York (EST, UTC-5).
        let monthly = Recurrence::parse("30 7 1 * *", "America/New_York").unwrap();
        assert_eq!(monthly.next_after(at("2026-11-23T00:00:00Z")), Some(at("2026-12-01T12:30:00Z")));
    }

    #[test]
    fn dst_gaps_move_forward_and_repeated_hours_run_once() {
        // 02:30 does not exist in Berlin on 2026-03-29: it runs at 03:30 CEST (01:30 UTC).
        let gap = Recurrence::parse("30 2 * * *", "Europe/Berlin").unwrap();
        assert_eq!(gap.next_after(at("2026-03-28T12:00:00Z")), Some(at("2026-03-29T01:30:00Z")));
        // 02:30 happens twice on 2026-10-25: it runs once, at the first (00:30 UTC), and next
        // on the following day.
        let fold = Recurrence::parse("30 2 * * *", "Europe/Berlin").unwrap();
        let first = fold.next_after(at("2026-10-24T12:00:00Z")).unwrap();
        assert_eq!(first, at("2026-10-25T00:30:00Z"));
        assert_eq!(fold.next_after(first), Some(at("2026-10-26T01:30:00Z")));
    }

    #[test]
    fn bad_expressions_and_zones_are_named() {
        let problems = Recurrence::parse("61 * * *", "Mars/Base").unwrap_err();
        let fields: Vec<&str> = problems.iter().map(|(f, _)| *f).collect();
        assert_eq!(fields, ["cron", "timezone"]);
        assert!(Recurrence::parse("61 * * * *", "UTC").is_err());
        assert!(
            Recurrence::parse("0 0 30 2 *", "UTC").unwrap().next_after(at("2026-01-01T00:00:00Z")).is_none()
        );
    }
}
