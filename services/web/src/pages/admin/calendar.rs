//! The business calendar as a form, and back: the document's weekly intervals, holidays and
//! make-up days as rows of inputs (with empty rows to add to, no script needed), the rows a
//! person sent as the document, and the API's problems (`business_calendar.weekly.mon[0]`)
//! as the names of the inputs they are about (`mon-0`).
//!
//! Intervals: a time input cannot say `24:00`, and an interval whose end is not after its
//! start runs overnight, so each row says whether it ends the next day; a row that ends
//! "before" it starts without saying so is refused here, with the row named.

use std::collections::{BTreeMap, BTreeSet};

use jiff::ToSpan;
use jiff::civil::Date;

use canopy_sla::calendar::{DAY_KEYS, MAX_HOLIDAY_NAME, MINUTES_PER_DAY, parse_wall_time};
use canopy_sla::{CalendarSpec, WeeklyHours};

/// Empty rows offered below the filled ones: intervals per day (at least this many rows in
/// all), holidays, make-up days; and how many more "more rows" adds to each list.
pub const MIN_INTERVAL_ROWS: usize = 3;
pub const EMPTY_HOLIDAY_ROWS: usize = 3;
pub const EMPTY_EXTRA_ROWS: usize = 2;
pub const MORE_ROWS: usize = 5;
/// Rows a form may have of each list, whatever is sent.
const MAX_ROWS: usize = 400;
/// Days one holiday row may span.
pub const MAX_HOLIDAY_SPAN: i32 = 31;

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct IntervalRow {
    pub start: String,
    pub end: String,
    /// Ends on the next day (past midnight, or at midnight).
    pub next_day: bool,
}

impl IntervalRow {
    fn is_blank(&self) -> bool {
        self.start.trim().is_empty() && self.end.trim().is_empty()
    }
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct HolidayRow {
    pub from: String,
    /// The last day of a holiday of several days; empty for one day.
    pub to: String,
    pub name: String,
    pub remove: bool,
}

impl HolidayRow {
    fn is_blank(&self) -> bool {
        self.from.trim().is_empty() && self.to.trim().is_empty() && self.name.trim().is_empty()
    }
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ExtraRow {
    pub date: String,
    pub remove: bool,
}

/// The calendar as its form holds it.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct CalendarForm {
    pub timezone: String,
    /// Monday first.
    pub days: [Vec<IntervalRow>; 7],
    pub holidays: Vec<HolidayRow>,
    pub extra: Vec<ExtraRow>,
}

/// Why a value is refused: a message of the catalogue, or the API's own words.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Message {
    Key(&'static str),
    Text(String),
}

/// A refused value, by the name of the form's input (or row, or section) it is about.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Problem {
    pub field: String,
    pub message: Message,
}

fn problem(field: impl Into<String>, key: &'static str) -> Problem {
    Problem { field: field.into(), message: Message::Key(key) }
}

/// The document, and where each of its values came from in the form.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Mapped {
    pub timezone: String,
    pub calendar: CalendarSpec,
    /// Per weekday, the form row of each interval of the document.
    pub interval_rows: [Vec<usize>; 7],
    /// The form row of each holiday and make-up date.
    pub holiday_rows: BTreeMap<Date, usize>,
    pub extra_rows: BTreeMap<Date, usize>,
}

impl CalendarForm {
    /// The form of a calendar document, with empty rows to add to.
    pub fn of(timezone: &str, spec: &CalendarSpec) -> Self {
        let mut form = Self { timezone: timezone.to_owned(), ..Self::default() };
        for (rows, intervals) in form.days.iter_mut().zip(spec.weekly.days()) {
            *rows = intervals.iter().map(|(start, end)| interval_row(start, end)).collect();
        }
        form.holidays = holiday_rows(spec);
        let extra: BTreeSet<Date> = spec.extra_working_days.iter().copied().collect();
        form.extra = extra.into_iter().map(|d| ExtraRow { date: d.to_string(), remove: false }).collect();
        form.pad(0);
        form
    }

    /// Empty rows after the filled ones: the usual number, and `more` besides.
    pub fn pad(&mut self, more: usize) {
        for rows in &mut self.days {
            while rows.last().is_some_and(IntervalRow::is_blank) {
                rows.pop();
            }
            let want = (rows.len() + 1 + more).clamp(MIN_INTERVAL_ROWS, MAX_ROWS);
            rows.resize_with(want.max(rows.len()), IntervalRow::default);
        }
        while self.holidays.last().is_some_and(HolidayRow::is_blank) {
            self.holidays.pop();
        }
        let want = (self.holidays.len() + EMPTY_HOLIDAY_ROWS + more).min(MAX_ROWS);
        self.holidays.resize_with(want.max(self.holidays.len()), HolidayRow::default);
        while self.extra.last().is_some_and(|r| r.date.trim().is_empty()) {
            self.extra.pop();
        }
        let want = (self.extra.len() + EMPTY_EXTRA_ROWS + more).min(MAX_ROWS);
        self.extra.resize_with(want.max(self.extra.len()), ExtraRow::default);
    }

    /// The form as it was sent (`mon-0-start`, `holiday-2-name`, `extra-1-remove`…); inputs
    /// of other names are left to the caller.
    pub fn from_pairs(pairs: &[(String, String)]) -> Self {
        let mut days: [BTreeMap<usize, IntervalRow>; 7] = Default::default();
        let mut holidays: BTreeMap<usize, HolidayRow> = BTreeMap::new();
        let mut extra: BTreeMap<usize, ExtraRow> = BTreeMap::new();
        let mut form = Self::default();
        for (name, value) in pairs {
            if name == "timezone" {
                value.trim().clone_into(&mut form.timezone);
                continue;
            }
            let mut parts = name.splitn(3, '-');
            let (Some(list), Some(index), Some(part)) = (parts.next(), parts.next(), parts.next()) else {
                continue;
            };
            let Some(index) = index.parse::<usize>().ok().filter(|i| *i < MAX_ROWS) else { continue };
            if let Some(day) = DAY_KEYS.iter().position(|d| *d == list) {
                let row = days[day].entry(index).or_default();
                match part {
                    "start" => value.trim().clone_into(&mut row.start),
                    "end" => value.trim().clone_into(&mut row.end),
                    "next" => row.next_day = true,
                    _ => {}
                }
            } else if list == "holiday" {
                let row = holidays.entry(index).or_default();
                match part {
                    "from" => value.trim().clone_into(&mut row.from),
                    "to" => value.trim().clone_into(&mut row.to),
                    "name" => value.trim().clone_into(&mut row.name),
                    "remove" => row.remove = true,
                    _ => {}
                }
            } else if list == "extra" {
                let row = extra.entry(index).or_default();
                match part {
                    "date" => value.trim().clone_into(&mut row.date),
                    "remove" => row.remove = true,
                    _ => {}
                }
            }
        }
        for (rows, sent) in form.days.iter_mut().zip(days) {
            *rows = dense(sent);
        }
        form.holidays = dense(holidays);
        form.extra = dense(extra);
        form
    }

    /// The document the form says, or every problem with it, each by the input it is about.
    pub fn to_document(&self) -> Result<Mapped, Vec<Problem>> {
        let mut problems = Vec::new();
        if jiff::tz::db().get(&self.timezone).is_err() {
            problems.push(problem("timezone", "admin-cal-error-timezone"));
        }
        let mut weekly: [Vec<(String, String)>; 7] = Default::default();
        let mut interval_rows: [Vec<usize>; 7] = Default::default();
        for (day, rows) in self.days.iter().enumerate() {
            // The day's spans, in minutes from its start, with their rows: for overlaps.
            let mut spans: Vec<(u32, u32, usize)> = Vec::new();
            for (i, row) in rows.iter().enumerate() {
                if row.is_blank() {
                    continue;
                }
                let field = format!("{}-{i}", DAY_KEYS[day]);
                match interval(row) {
                    Ok((start, end, span)) => {
                        weekly[day].push((start, end));
                        interval_rows[day].push(i);
                        spans.push((span.0, span.1, i));
                    }
                    Err(key) => problems.push(problem(field, key)),
                }
            }
            spans.sort();
            for pair in spans.windows(2) {
                if pair[1].0 < pair[0].1 {
                    problems
                        .push(problem(format!("{}-{}", DAY_KEYS[day], pair[1].2), "admin-cal-error-overlap"));
                }
            }
        }
        if self.days.iter().flatten().all(IntervalRow::is_blank) {
            problems.push(problem("weekly", "admin-cal-error-never-open"));
        }

        let mut holidays: BTreeMap<Date, usize> = BTreeMap::new();
        let mut holiday_names: BTreeMap<Date, String> = BTreeMap::new();
        for (i, row) in self.holidays.iter().enumerate() {
            if row.remove || row.is_blank() {
                continue;
            }
            let field = format!("holiday-{i}");
            let days = match holiday_days(row) {
                Ok(days) => days,
                Err(key) => {
                    problems.push(problem(field, key));
                    continue;
                }
            };
            if row.name.chars().count() > MAX_HOLIDAY_NAME || row.name.chars().any(char::is_control) {
                problems.push(problem(format!("{field}-name"), "admin-cal-error-holiday-name"));
            }
            let mut twice = false;
            for day in days {
                if holidays.insert(day, i).is_some() {
                    twice = true;
                }
                if !row.name.is_empty() {
                    holiday_names.insert(day, row.name.clone());
                }
            }
            if twice {
                problems.push(problem(field, "admin-cal-error-date-twice"));
            }
        }

        let mut extra: BTreeMap<Date, usize> = BTreeMap::new();
        for (i, row) in self.extra.iter().enumerate() {
            if row.remove || row.date.trim().is_empty() {
                continue;
            }
            let field = format!("extra-{i}");
            match row.date.parse::<Date>() {
                Err(_) => problems.push(problem(field, "admin-cal-error-date")),
                Ok(day) if holidays.contains_key(&day) => {
                    problems.push(problem(field, "admin-cal-error-extra-is-holiday"))
                }
                Ok(day) => {
                    if extra.insert(day, i).is_some() {
                        problems.push(problem(field, "admin-cal-error-date-twice"));
                    }
                }
            }
        }
        if !extra.is_empty() && self.days[0].iter().all(IntervalRow::is_blank) {
            problems.push(problem("extra", "admin-cal-error-extra-needs-monday"));
        }
        if !problems.is_empty() {
            return Err(problems);
        }
        let [mon, tue, wed, thu, fri, sat, sun] = weekly;
        Ok(Mapped {
            timezone: self.timezone.clone(),
            calendar: CalendarSpec {
                weekly: WeeklyHours { mon, tue, wed, thu, fri, sat, sun },
                holidays: holidays.keys().copied().collect(),
                extra_working_days: extra.keys().copied().collect(),
                holiday_names,
            },
            interval_rows,
            holiday_rows: holidays,
            extra_rows: extra,
        })
    }
}

impl Mapped {
    /// The input a field of the API's problem is about (`business_calendar.weekly.tue[1]` →
    /// the row of Tuesday's second interval), with the API's message as the page says it;
    /// `None` for a field this form does not show.
    pub fn place(&self, field: &str, message: &str) -> Option<Problem> {
        let message = explained(message);
        let at = |field: String| Some(Problem { field, message: message.clone() });
        if field == "timezone" {
            return at("timezone".into());
        }
        let path = field.strip_prefix("business_calendar")?;
        let path = path.strip_prefix('.').unwrap_or(path);
        let (head, index) = split_index(path);
        if let Some(day) = head.strip_prefix("weekly.") {
            let d = DAY_KEYS.iter().position(|k| *k == day)?;
            return match index {
                Some(k) => at(format!("{day}-{}", self.interval_rows[d].get(k)?)),
                None => at(day.to_owned()),
            };
        }
        match (head, index) {
            ("weekly", None) => at("weekly".into()),
            ("holidays", Some(k)) => {
                let day = self.calendar.holidays.get(k)?;
                at(format!("holiday-{}", self.holiday_rows.get(day)?))
            }
            ("holidays", None) => at("holidays".into()),
            ("extra_working_days", Some(k)) => {
                let day = self.calendar.extra_working_days.get(k)?;
                at(format!("extra-{}", self.extra_rows.get(day)?))
            }
            ("extra_working_days", None) => at("extra".into()),
            _ => {
                if let Some(day) = head.strip_prefix("holiday_names.") {
                    let day: Date = day.parse().ok()?;
                    return at(format!("holiday-{}-name", self.holiday_rows.get(&day)?));
                }
                at("calendar".into())
            }
        }
    }
}

/// `weekly.mon[1]` → (`weekly.mon`, Some(1)).
fn split_index(path: &str) -> (&str, Option<usize>) {
    match path.strip_suffix(']').and_then(|p| p.rsplit_once('[')) {
        Some((head, index)) => (head, index.parse().ok()),
        None => (path, None),
    }
}

/// The API's words for what this form also checks, as the catalogue says them.
fn explained(message: &str) -> Message {
    let known = [
        ("overlaps", "admin-cal-error-overlap"),
        ("runs into", "admin-cal-error-runs-into"),
        ("are the same", "admin-cal-error-same"),
        ("opens at no time", "admin-cal-error-never-open"),
        ("is also a holiday", "admin-cal-error-extra-is-holiday"),
        ("Monday has none", "admin-cal-error-extra-needs-monday"),
        ("listed twice", "admin-cal-error-date-twice"),
        ("not an IANA time zone", "admin-cal-error-timezone"),
    ];
    known
        .iter()
        .find(|(words, _)| message.contains(words))
        .map_or_else(|| Message::Text(message.to_owned()), |(_, key)| Message::Key(key))
}

fn dense<T: Default>(rows: BTreeMap<usize, T>) -> Vec<T> {
    let mut out: Vec<T> = Vec::new();
    for (i, row) in rows {
        out.resize_with(i, T::default);
        out.push(row);
    }
    out
}

/// A document interval as a row: `24:00` (and an end not after the start) ends the next day.
fn interval_row(start: &str, end: &str) -> IntervalRow {
    let (s, e) = (parse_wall_time(start, false), parse_wall_time(end, true));
    match (s, e) {
        (_, Ok(MINUTES_PER_DAY)) => IntervalRow { start: start.into(), end: "00:00".into(), next_day: true },
        (Ok(s), Ok(e)) => IntervalRow { start: start.into(), end: end.into(), next_day: e <= s },
        _ => IntervalRow { start: start.into(), end: end.into(), next_day: false },
    }
}

/// `09:00` as a time input sends it (`09:00:00` with seconds).
fn wall_time(value: &str) -> String {
    match value.strip_suffix(":00") {
        Some(short) if value.len() == 8 => short.to_owned(),
        _ => value.to_owned(),
    }
}

/// A row as the document's interval, with its span in minutes from the day's start.
fn interval(row: &IntervalRow) -> Result<(String, String, (u32, u32)), &'static str> {
    if row.start.is_empty() || row.end.is_empty() {
        return Err("admin-cal-error-both-times");
    }
    let (start, end) = (wall_time(&row.start), wall_time(&row.end));
    let s = parse_wall_time(&start, false).map_err(|_| "admin-cal-error-time")?;
    let e = parse_wall_time(&end, true).map_err(|_| "admin-cal-error-time")?;
    if row.next_day {
        return match e {
            // At midnight: the day's end, as the document writes it.
            0 => Ok((start, "24:00".into(), (s, MINUTES_PER_DAY))),
            e if e < s => Ok((start, end, (s, e + MINUTES_PER_DAY))),
            _ => Err("admin-cal-error-next-day-after-start"),
        };
    }
    match e {
        e if e == s => Err("admin-cal-error-same"),
        e if e < s => Err("admin-cal-error-end-before-start"),
        e => Ok((start, end, (s, e))),
    }
}

/// The days of a holiday row, first to last.
fn holiday_days(row: &HolidayRow) -> Result<Vec<Date>, &'static str> {
    if row.from.is_empty() {
        return Err("admin-cal-error-holiday-date");
    }
    let from: Date = row.from.parse().map_err(|_| "admin-cal-error-date")?;
    let to: Date =
        if row.to.is_empty() { from } else { row.to.parse().map_err(|_| "admin-cal-error-date")? };
    if to < from {
        return Err("admin-cal-error-holiday-order");
    }
    let span = from.until(to).map_err(|_| "admin-cal-error-date")?.get_days();
    if span >= MAX_HOLIDAY_SPAN {
        return Err("admin-cal-error-holiday-span");
    }
    Ok(from.series(1.day()).take_while(|d| *d <= to).collect())
}

/// Holidays as rows: runs of days one after the other with the same name are one row.
fn holiday_rows(spec: &CalendarSpec) -> Vec<HolidayRow> {
    let days: BTreeSet<Date> = spec.holidays.iter().copied().collect();
    let mut rows: Vec<(Date, Date, Option<&String>)> = Vec::new();
    for day in days {
        let name = spec.holiday_names.get(&day);
        match rows.last_mut() {
            Some((_, last, n)) if *n == name && last.tomorrow().ok() == Some(day) => *last = day,
            _ => rows.push((day, day, name)),
        }
    }
    rows.into_iter()
        .map(|(from, to, name)| HolidayRow {
            from: from.to_string(),
            to: if to == from { String::new() } else { to.to_string() },
            name: name.cloned().unwrap_or_default(),
            remove: false,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use jiff::civil::date;

    fn spec(json: &str) -> CalendarSpec {
        serde_json::from_str(json).unwrap()
    }

    fn pairs(fields: &[(&str, &str)]) -> Vec<(String, String)> {
        fields.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect()
    }

    fn keys(problems: Vec<Problem>) -> Vec<(String, &'static str)> {
        problems
            .into_iter()
            .map(|p| match p.message {
                Message::Key(k) => (p.field, k),
                Message::Text(t) => panic!("{}: {t}", p.field),
            })
            .collect()
    }

    #[test]
    fn a_document_becomes_rows_with_empty_ones_to_add_to() {
        let s = spec(
            r#"{"weekly": {"mon": [["09:00", "12:00"], ["13:00", "18:00"]], "fri": [["22:00", "06:00"]],
                "sat": [["18:00", "24:00"]]},
                "holidays": ["2026-10-02", "2026-10-01", "2026-10-03", "2026-12-25", "2027-01-01"],
                "holiday_names": {"2026-10-01": "National Day", "2026-10-02": "National Day",
                                  "2026-10-03": "National Day", "2027-01-01": "New Year"},
                "extra_working_days": ["2026-10-10"]}"#,
        );
        let form = CalendarForm::of("Asia/Shanghai", &s);
        assert_eq!(form.days[0].len(), 3, "two intervals and an empty row");
        assert_eq!(form.days[1].len(), MIN_INTERVAL_ROWS, "an empty day has three empty rows");
        assert_eq!(
            form.days[4][0],
            IntervalRow { start: "22:00".into(), end: "06:00".into(), next_day: true }
        );
        assert_eq!(
            form.days[5][0],
            IntervalRow { start: "18:00".into(), end: "00:00".into(), next_day: true }
        );
        let filled: Vec<_> = form.holidays.iter().filter(|h| !h.is_blank()).collect();
        assert_eq!(
            filled.iter().map(|h| (h.from.as_str(), h.to.as_str(), h.name.as_str())).collect::<Vec<_>>(),
            [
                ("2026-10-01", "2026-10-03", "National Day"),
                ("2026-12-25", "", ""),
                ("2027-01-01", "", "New Year")
            ]
        );
        assert_eq!(form.holidays.len(), 3 + EMPTY_HOLIDAY_ROWS);
        assert_eq!(form.extra.len(), 1 + EMPTY_EXTRA_ROWS);

        // And back: the same calendar (holidays in date order).
        let back = form.to_document().unwrap();
        assert_eq!(back.calendar.weekly, s.weekly);
        assert_eq!(
            back.calendar.holidays,
            [1, 2, 3]
                .map(|d| date(2026, 10, d))
                .into_iter()
                .chain([date(2026, 12, 25), date(2027, 1, 1)])
                .collect::<Vec<_>>()
        );
        assert_eq!(back.calendar.holiday_names, s.holiday_names);
        assert_eq!(back.calendar.extra_working_days, s.extra_working_days);
        assert_eq!(back.timezone, "Asia/Shanghai");
    }

    #[test]
    fn a_sent_form_is_read_by_the_names_of_its_inputs() {
        let form = CalendarForm::from_pairs(&pairs(&[
            ("_csrf", "x"),
            ("timezone", "Europe/Berlin"),
            ("mon-0-start", "09:00"),
            ("mon-0-end", "12:00:00"),
            ("mon-1-start", ""),
            ("mon-1-end", ""),
            ("mon-2-start", "13:00"),
            ("mon-2-end", "18:00"),
            ("sun-0-start", "22:00"),
            ("sun-0-end", "02:00"),
            ("sun-0-next", "on"),
            ("holiday-0-from", "2026-10-01"),
            ("holiday-0-to", "2026-10-07"),
            ("holiday-0-name", "国庆节"),
            ("holiday-1-from", "2026-05-01"),
            ("holiday-1-remove", "on"),
            ("extra-0-date", "2026-10-10"),
            ("holiday-99999999999-from", "2026-01-01"),
        ]));
        let doc = form.to_document().unwrap();
        let weekly = &doc.calendar.weekly;
        assert_eq!(weekly.mon, [("09:00".into(), "12:00".into()), ("13:00".into(), "18:00".into())]);
        assert_eq!(doc.interval_rows[0], [0, 2], "the document's intervals know their rows");
        assert_eq!(weekly.sun, [("22:00".to_owned(), "02:00".to_owned())]);
        assert_eq!(doc.calendar.holidays.len(), 7, "a range is each of its days; a removed row is gone");
        assert_eq!(doc.calendar.holiday_names.get(&date(2026, 10, 7)).map(String::as_str), Some("国庆节"));
        assert_eq!(doc.calendar.extra_working_days, [date(2026, 10, 10)]);
    }

    #[test]
    fn bad_rows_are_refused_by_their_inputs() {
        let form = CalendarForm::from_pairs(&pairs(&[
            ("timezone", "Mars/Base"),
            ("mon-0-start", "18:00"),
            ("mon-0-end", "09:00"),
            ("tue-0-start", "09:00"),
            ("tue-0-end", "13:00"),
            ("tue-1-start", "12:00"),
            ("tue-1-end", "18:00"),
            ("wed-0-start", "09:00"),
            ("wed-1-start", "25:00"),
            ("wed-1-end", "26:00"),
            ("thu-0-start", "09:00"),
            ("thu-0-end", "09:00"),
            ("fri-0-start", "09:00"),
            ("fri-0-end", "18:00"),
            ("fri-0-next", "on"),
            ("holiday-0-from", "2026-10-07"),
            ("holiday-0-to", "2026-10-01"),
            ("holiday-1-from", "2026-05-01"),
            ("holiday-2-from", "2026-05-01"),
            ("holiday-3-name", "no date"),
            ("extra-0-date", "2026-05-01"),
        ]));
        assert_eq!(
            keys(form.to_document().unwrap_err()),
            [
                ("timezone".into(), "admin-cal-error-timezone"),
                ("mon-0".into(), "admin-cal-error-end-before-start"),
                ("tue-1".into(), "admin-cal-error-overlap"),
                ("wed-0".into(), "admin-cal-error-both-times"),
                ("wed-1".into(), "admin-cal-error-time"),
                ("thu-0".into(), "admin-cal-error-same"),
                ("fri-0".into(), "admin-cal-error-next-day-after-start"),
                ("holiday-0".into(), "admin-cal-error-holiday-order"),
                ("holiday-2".into(), "admin-cal-error-date-twice"),
                ("holiday-3".into(), "admin-cal-error-holiday-date"),
                ("extra-0".into(), "admin-cal-error-extra-is-holiday"),
            ]
        );
    }

    #[test]
    fn the_apis_problems_land_beside_their_inputs() {
        let form = CalendarForm::from_pairs(&pairs(&[
            ("timezone", "Asia/Shanghai"),
            ("mon-1-start", "09:00"),
            ("mon-1-end", "18:00"),
            ("tue-0-start", "09:00"),
            ("tue-0-end", "18:00"),
            ("holiday-2-from", "2026-10-02"),
            ("holiday-4-from", "2026-10-01"),
            ("holiday-4-name", "National Day"),
            ("extra-3-date", "2026-10-10"),
        ]));
        let doc = form.to_document().unwrap();
        let place = |field: &str, message: &str| doc.place(field, message).map(|p| (p.field, p.message));
        assert_eq!(
            place("business_calendar.weekly.mon[0]", "12:00–18:00 overlaps 09:00–13:00"),
            Some(("mon-1".into(), Message::Key("admin-cal-error-overlap")))
        );
        assert_eq!(
            place("business_calendar.weekly.tue", "x"),
            Some(("tue".into(), Message::Text("x".into())))
        );
        // Holidays are sent in date order: the first is the 1st, from the fifth row.
        assert_eq!(place("business_calendar.holidays[0]", "x").map(|p| p.0), Some("holiday-4".into()));
        assert_eq!(place("business_calendar.holidays[1]", "x").map(|p| p.0), Some("holiday-2".into()));
        assert_eq!(
            place("business_calendar.holiday_names.2026-10-01", "x").map(|p| p.0),
            Some("holiday-4-name".into())
        );
        assert_eq!(
            place("business_calendar.extra_working_days[0]", "x").map(|p| p.0),
            Some("extra-3".into())
        );
        assert_eq!(place("business_calendar.extra_working_days", "x").map(|p| p.0), Some("extra".into()));
        assert_eq!(place("timezone", "x").map(|p| p.0), Some("timezone".into()));
        assert_eq!(place("business_calendar.weekly.mon[7]", "x"), None, "no such interval");
        assert_eq!(place("ticket_categories[0].key", "x"), None, "not this form's");
    }

    #[test]
    fn a_calendar_that_never_opens_and_make_up_days_without_monday_are_named() {
        let form = CalendarForm::from_pairs(&pairs(&[("timezone", "UTC"), ("extra-0-date", "2026-10-10")]));
        assert_eq!(
            keys(form.to_document().unwrap_err()),
            [
                ("weekly".into(), "admin-cal-error-never-open"),
                ("extra".into(), "admin-cal-error-extra-needs-monday")
            ]
        );
    }

    #[test]
    fn more_rows_are_added_below_the_filled_ones() {
        let mut form = CalendarForm::of("UTC", &CalendarSpec::office_hours());
        assert_eq!(form.days[0].len(), MIN_INTERVAL_ROWS);
        form.pad(MORE_ROWS);
        assert_eq!(form.days[0].len(), 1 + 1 + MORE_ROWS);
        assert_eq!(form.holidays.len(), EMPTY_HOLIDAY_ROWS + MORE_ROWS);
        form.pad(0);
        assert_eq!(form.days[0].len(), MIN_INTERVAL_ROWS, "trailing empty rows are trimmed first");
    }

    #[test]
    fn a_whole_day_and_midnight_ends_read_as_the_document_writes_them() {
        let form = CalendarForm::from_pairs(&pairs(&[
            ("timezone", "UTC"),
            ("mon-0-start", "00:00"),
            ("mon-0-end", "00:00"),
            ("mon-0-next", "on"),
            ("tue-0-start", "18:00"),
            ("tue-0-end", "00:00"),
            ("tue-0-next", "on"),
        ]));
        let doc = form.to_document().unwrap();
        assert_eq!(doc.calendar.weekly.mon, [("00:00".to_owned(), "24:00".to_owned())]);
        assert_eq!(doc.calendar.weekly.tue, [("18:00".to_owned(), "24:00".to_owned())]);
        assert!(doc.calendar.validate().is_ok());
    }
}
