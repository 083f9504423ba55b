//! A business calendar as tenants write it (the fixed wire shape of `../shared/design.md`)
//! and the rules it must follow.
//!
//! Times are local wall-clock `HH:MM`; `"24:00"` ends a day; an interval whose end is not
//! after its start runs overnight into the next day. A holiday closes every interval that
//! starts on it. An extra working day (a weekend worked to make up a holiday) opens with
//! Monday's intervals.

use std::collections::{BTreeMap, BTreeSet};

use jiff::civil::{Date, Weekday};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// Opening intervals per weekday, each `["HH:MM", "HH:MM"]`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct WeeklyHours {
    #[serde(default)]
    pub mon: Vec<(String, String)>,
    #[serde(default)]
    pub tue: Vec<(String, String)>,
    #[serde(default)]
    pub wed: Vec<(String, String)>,
    #[serde(default)]
    pub thu: Vec<(String, String)>,
    #[serde(default)]
    pub fri: Vec<(String, String)>,
    #[serde(default)]
    pub sat: Vec<(String, String)>,
    #[serde(default)]
    pub sun: Vec<(String, String)>,
}

pub const DAY_KEYS: [&str; 7] = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"];

impl WeeklyHours {
    /// Monday to Friday, the same intervals each day.
    pub fn weekdays(intervals: &[(&str, &str)]) -> Self {
        let day: Vec<(String, String)> =
            intervals.iter().map(|(a, b)| (a.to_string(), b.to_string())).collect();
        Self {
            mon: day.clone(),
            tue: day.clone(),
            wed: day.clone(),
            thu: day.clone(),
            fri: day,
            sat: Vec::new(),
            sun: Vec::new(),
        }
    }

    /// Days in ISO order, Monday first.
    pub fn days(&self) -> [&Vec<(String, String)>; 7] {
        [&self.mon, &self.tue, &self.wed, &self.thu, &self.fri, &self.sat, &self.sun]
    }

    pub fn day(&self, weekday: Weekday) -> &[(String, String)] {
        self.days()[weekday.to_monday_zero_offset() as usize]
    }
}

/// The `business_calendar` of a tenant's configuration.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CalendarSpec {
    pub weekly: WeeklyHours,
    /// Dates (`YYYY-MM-DD`) on which the calendar is closed.
    #[serde(default)]
    #[schema(value_type = Vec<String>, example = json!(["2026-10-01", "2026-10-02"]))]
    pub holidays: Vec<Date>,
    /// Dates worked although they are normally closed (make-up days); they open with Monday's hours.
    #[serde(default)]
    #[schema(value_type = Vec<String>, example = json!(["2026-10-10"]))]
    pub extra_working_days: Vec<Date>,
    /// What some holidays are called, by date (`{"2026-10-01": "National Day"}`): for people
    /// reading the calendar; due times depend only on `holidays`.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    #[schema(value_type = BTreeMap<String, String>, example = json!({"2026-10-01": "National Day"}))]
    pub holiday_names: BTreeMap<Date, String>,
}

/// A rule the calendar breaks: where (`weekly.mon[1]`) and why.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SpecError {
    pub path: String,
    pub message: String,
}

impl SpecError {
    fn new(path: impl Into<String>, message: impl Into<String>) -> Self {
        Self { path: path.into(), message: message.into() }
    }
}

pub const MAX_INTERVALS_PER_DAY: usize = 8;
pub const MAX_DATES: usize = 2000;
pub const MAX_HOLIDAY_NAME: usize = 100;
pub const MINUTES_PER_DAY: u32 = 24 * 60;

/// Parses `HH:MM` into minutes after midnight; `24:00` only where it ends a day.
pub fn parse_wall_time(value: &str, is_end: bool) -> Result<u32, String> {
    let bytes = value.as_bytes();
    let well_formed = bytes.len() == 5
        && bytes[2] == b':'
        && value[..2].bytes().chain(value[3..].bytes()).all(|b| b.is_ascii_digit());
    if !well_formed {
        return Err(format!("`{value}` is not a time of the form HH:MM"));
    }
    let hours: u32 = value[..2].parse().map_err(|_| format!("`{value}` is not a time"))?;
    let minutes: u32 = value[3..].parse().map_err(|_| format!("`{value}` is not a time"))?;
    match (hours, minutes) {
        (24, 0) if is_end => Ok(MINUTES_PER_DAY),
        (24, 0) => Err("24:00 can only end an interval".into()),
        (h, m) if h < 24 && m < 60 => Ok(h * 60 + m),
        _ => Err(format!("`{value}` is not a time of day")),
    }
}

/// An opening interval in minutes from the start of its day; `end` may pass 1440 (overnight).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Span {
    pub start: u32,
    pub end: u32,
}

impl CalendarSpec {
    /// Office hours Monday to Friday, 09:00–18:00, no holidays.
    pub fn office_hours() -> Self {
        Self {
            weekly: WeeklyHours::weekdays(&[("09:00", "18:00")]),
            holidays: Vec::new(),
            extra_working_days: Vec::new(),
            holiday_names: BTreeMap::new(),
        }
    }

    /// Parses the weekly intervals, checking every rule; on success, the spans per weekday
    /// (Monday first). A problem with one interval names it (`weekly.mon[1]`): for two that
    /// overlap, the later one; for an overnight interval that runs into the next day's
    /// hours, the overnight one.
    pub fn validate(&self) -> Result<[Vec<Span>; 7], Vec<SpecError>> {
        let mut errors = Vec::new();
        // Each day's spans with the index each interval has in the document.
        let mut week: [Vec<(Span, usize)>; 7] = Default::default();
        for (index, (key, intervals)) in DAY_KEYS.iter().zip(self.weekly.days()).enumerate() {
            if intervals.len() > MAX_INTERVALS_PER_DAY {
                errors.push(SpecError::new(
                    format!("weekly.{key}"),
                    format!("at most {MAX_INTERVALS_PER_DAY} intervals a day"),
                ));
                continue;
            }
            for (i, (start, end)) in intervals.iter().enumerate() {
                let path = format!("weekly.{key}[{i}]");
                let start_min = parse_wall_time(start, false);
                let end_min = parse_wall_time(end, true);
                match (start_min, end_min) {
                    (Ok(s), Ok(e)) if s == e => errors.push(SpecError::new(
                        path,
                        "start and end are the same; for a whole day write [\"00:00\", \"24:00\"]",
                    )),
                    (Ok(s), Ok(e)) => {
                        // End not after start: the interval runs overnight into the next day.
                        let end = if e > s { e } else { e + MINUTES_PER_DAY };
                        week[index].push((Span { start: s, end }, i));
                    }
                    (s, e) => {
                        for message in [s.err(), e.err()].into_iter().flatten() {
                            errors.push(SpecError::new(path.clone(), message));
                        }
                    }
                }
            }
            week[index].sort();
        }
        for (index, spans) in week.iter().enumerate() {
            let key = DAY_KEYS[index];
            for pair in spans.windows(2) {
                let ((earlier, _), (later, at)) = (pair[0], pair[1]);
                if later.start < earlier.end {
                    errors.push(SpecError::new(
                        format!("weekly.{key}[{at}]"),
                        format!("{} overlaps {}", show(later), show(earlier)),
                    ));
                }
            }
            // An overnight interval must not run into the next day's first interval.
            let next = (index + 1) % 7;
            if let (Some((last, at)), Some((first, _))) = (spans.last(), week[next].first())
                && last.end > MINUTES_PER_DAY
                && last.end - MINUTES_PER_DAY > first.start
            {
                errors.push(SpecError::new(
                    format!("weekly.{key}[{at}]"),
                    format!(
                        "the overnight interval {} runs into {}'s interval {}",
                        show(*last),
                        DAY_KEYS[next],
                        show(*first)
                    ),
                ));
            }
        }
        if errors.is_empty() && week.iter().all(Vec::is_empty) {
            errors.push(SpecError::new("weekly", "the calendar opens at no time of the week"));
        }
        check_dates("holidays", &self.holidays, &mut errors);
        check_dates("extra_working_days", &self.extra_working_days, &mut errors);
        let holidays: BTreeSet<Date> = self.holidays.iter().copied().collect();
        for (i, day) in self.extra_working_days.iter().enumerate() {
            if holidays.contains(day) {
                errors.push(SpecError::new(
                    format!("extra_working_days[{i}]"),
                    format!("{day} is also a holiday; a day is either closed or worked"),
                ));
            }
        }
        if week[0].is_empty() && !self.extra_working_days.is_empty() {
            errors.push(SpecError::new(
                "extra_working_days",
                "extra working days open with Monday's hours, and Monday has none",
            ));
        }
        for (day, name) in &self.holiday_names {
            let path = format!("holiday_names.{day}");
            if !holidays.contains(day) {
                errors.push(SpecError::new(path, format!("{day} is not one of the holidays")));
            } else if name.trim().is_empty() || name.chars().count() > MAX_HOLIDAY_NAME {
                errors.push(SpecError::new(path, format!("a name has 1–{MAX_HOLIDAY_NAME} characters")));
            } else if name.chars().any(char::is_control) {
                errors.push(SpecError::new(path, "a name is one line of text"));
            }
        }
        if errors.is_empty() {
            Ok(week.map(|day| day.into_iter().map(|(span, _)| span).collect()))
        } else {
            Err(errors)
        }
    }
}

fn check_dates(field: &str, dates: &[Date], errors: &mut Vec<SpecError>) {
    if dates.len() > MAX_DATES {
        errors.push(SpecError::new(field, format!("at most {MAX_DATES} dates")));
    }
    let mut seen = BTreeSet::new();
    for (i, day) in dates.iter().enumerate() {
        if !seen.insert(*day) {
            errors.push(SpecError::new(format!("{field}[{i}]"), format!("{day} is listed twice")));
        }
    }
}

fn show(span: Span) -> String {
    let hhmm = |m: u32| format!("{:02}:{:02}", m / 60, m % 60);
    let end = match span.end {
        MINUTES_PER_DAY => "24:00".to_owned(),
        e if e > MINUTES_PER_DAY => format!("{} next day", hhmm(e - MINUTES_PER_DAY)),
        e => hhmm(e),
    };
    format!("{}–{end}", hhmm(span.start))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec(json: &str) -> CalendarSpec {
        serde_json::from_str(json).unwrap()
    }

    fn errors(json: &str) -> Vec<String> {
        match spec(json).validate() {
            Ok(_) => Vec::new(),
            Err(errs) => errs.into_iter().map(|e| format!("{}: {}", e.path, e.message)).collect(),
        }
    }

    #[test]
    fn the_design_example_is_valid() {
        let ok = errors(
            r#"{"weekly": {"mon": [["09:00", "18:00"]], "tue": [["09:00", "12:00"], ["13:00", "18:00"]],
               "wed": [], "thu": [], "fri": [], "sat": [], "sun": []},
               "holidays": ["2026-10-01", "2026-10-02"], "extra_working_days": ["2026-10-10"]}"#,
        );
        assert!(ok.is_empty(), "{ok:?}");
    }

    #[test]
    fn overnight_and_end_of_day_intervals_are_accepted() {
        let s = spec(r#"{"weekly": {"mon": [["22:00", "06:00"]], "tue": [["06:00", "24:00"]]}}"#);
        let week = s.validate().unwrap();
        assert_eq!(week[0], vec![Span { start: 22 * 60, end: 30 * 60 }]);
        assert_eq!(week[1], vec![Span { start: 6 * 60, end: 24 * 60 }]);
    }

    #[test]
    fn overlapping_intervals_are_refused() {
        let e = errors(r#"{"weekly": {"mon": [["09:00", "13:00"], ["12:00", "18:00"]]}}"#);
        assert_eq!(e, vec!["weekly.mon[1]: 12:00–18:00 overlaps 09:00–13:00"]);
        // Named by its place in the document, whatever the order it was written in.
        let e =
            errors(r#"{"weekly": {"tue": [["13:00", "18:00"], ["08:00", "09:00"], ["09:00", "14:00"]]}}"#);
        assert_eq!(e, vec!["weekly.tue[0]: 13:00–18:00 overlaps 09:00–14:00"]);
    }

    #[test]
    fn an_overnight_interval_may_not_run_into_the_next_day() {
        let e = errors(r#"{"weekly": {"sun": [["20:00", "10:00"]], "mon": [["09:00", "18:00"]]}}"#);
        assert!(e.iter().any(|m| m.starts_with("weekly.sun[0]: the overnight interval")), "{e:?}");
    }

    #[test]
    fn malformed_and_empty_intervals_are_refused() {
        let e = errors(
            r#"{"weekly": {"mon": [["9:00", "18:00"], ["24:00", "02:00"], ["10:00", "10:00"], ["19:00", "25:00"]]}}"#,
        );
        assert_eq!(e.len(), 4, "{e:?}");
        assert!(e.iter().all(|m| m.starts_with("weekly.mon[")));
    }

    #[test]
    fn a_day_both_holiday_and_worked_is_refused() {
        let e = errors(
            r#"{"weekly": {"mon": [["09:00", "18:00"]]}, "holidays": ["2026-10-10"], "extra_working_days": ["2026-10-10"]}"#,
        );
        assert_eq!(
            e,
            vec!["extra_working_days[0]: 2026-10-10 is also a holiday; a day is either closed or worked"]
        );
    }

    #[test]
    fn holidays_may_have_names_of_one_line() {
        let ok = errors(
            r#"{"weekly": {"mon": [["09:00", "18:00"]]}, "holidays": ["2026-10-01"],
               "holiday_names": {"2026-10-01": "国庆节 National Day"}}"#,
        );
        assert!(ok.is_empty(), "{ok:?}");
        let e = errors(
            r#"{"weekly": {"mon": [["09:00", "18:00"]]}, "holidays": ["2026-10-01"],
               "holiday_names": {"2026-10-02": "Second day", "2026-10-01": " "}}"#,
        );
        assert_eq!(
            e,
            vec![
                "holiday_names.2026-10-01: a name has 1–100 characters",
                "holiday_names.2026-10-02: 2026-10-02 is not one of the holidays"
            ]
        );
        // Without names the document is as it always was.
        let plain = spec(r#"{"weekly": {"mon": [["09:00", "18:00"]]}, "holidays": ["2026-10-01"]}"#);
        assert_eq!(serde_json::to_value(&plain).unwrap().get("holiday_names"), None);
    }

    #[test]
    fn a_calendar_that_never_opens_is_refused() {
        assert_eq!(errors(r#"{"weekly": {}}"#), vec!["weekly: the calendar opens at no time of the week"]);
    }

    #[test]
    fn unknown_days_and_bad_dates_fail_to_parse() {
        assert!(serde_json::from_str::<CalendarSpec>(r#"{"weekly": {"monday": []}}"#).is_err());
        assert!(
            serde_json::from_str::<CalendarSpec>(r#"{"weekly": {}, "holidays": ["2026-02-30"]}"#).is_err()
        );
    }
}
