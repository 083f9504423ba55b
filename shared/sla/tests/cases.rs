//! Named cases, worked out by hand.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use canopy_sla::{BusinessCalendar, CalendarSpec};
use jiff::Timestamp;

fn at(s: &str) -> i64 {
    s.parse::<Timestamp>().unwrap().as_second()
}

fn show(t: i64) -> String {
    Timestamp::from_second(t).unwrap().to_string()
}

fn calendar(tz: &str, spec: &str) -> BusinessCalendar {
    BusinessCalendar::new(tz, &serde_json::from_str::<CalendarSpec>(spec).unwrap()).unwrap()
}

const HOUR: i64 = 3600;

#[test]
fn a_friday_evening_p1_on_8x5_waits_for_monday() {
    let cal = calendar(
        "Europe/Berlin",
        r#"{"weekly": {"mon": [["09:00","17:00"]], "tue": [["09:00","17:00"]], "wed": [["09:00","17:00"]], "thu": [["09:00","17:00"]], "fri": [["09:00","17:00"]]}}"#,
    );
    // Friday 2026-11-20 16:00 CET; 4 hours: one on Friday, three on Monday → Monday 12:00 CET.
    let due = cal.due(at("2026-11-20T15:00:00Z"), 4 * HOUR).unwrap();
    assert_eq!(show(due), "2026-11-23T11:00:00Z");
    // Raised after hours, the clock starts Monday 09:00.
    assert_eq!(show(cal.due(at("2026-11-20T19:30:00Z"), 15 * 60).unwrap()), "2026-11-23T08:15:00Z");
    assert_eq!(cal.covered(at("2026-11-20T15:00:00Z"), due).unwrap(), 4 * HOUR);
    assert_eq!(show(cal.next_open(at("2026-11-21T10:00:00Z")).unwrap()), "2026-11-23T08:00:00Z");
}

#[test]
fn europe_spring_forward_loses_an_hour_of_wall_clock_not_of_covered_time() {
    // Round the clock through the night of 2026-03-29, when Berlin skips 02:00–03:00.
    let cal = calendar(
        "Europe/Berlin",
        r#"{"weekly": {"mon": [["00:00","24:00"]], "tue": [["00:00","24:00"]], "wed": [["00:00","24:00"]], "thu": [["00:00","24:00"]], "fri": [["00:00","24:00"]], "sat": [["00:00","24:00"]], "sun": [["00:00","24:00"]]}}"#,
    );
    // Saturday 23:00 CET + 4 h of real time = 02:00Z, which Berlin calls 04:00 CEST.
    assert_eq!(show(cal.due(at("2026-03-28T22:00:00Z"), 4 * HOUR).unwrap()), "2026-03-29T02:00:00Z");
    assert_eq!(
        cal.covered(at("2026-03-28T23:00:00Z"), at("2026-03-29T22:00:00Z")).unwrap(),
        23 * HOUR,
        "a 23-hour Sunday"
    );
}

#[test]
fn europe_fall_back_across_an_8x5_weekend() {
    let cal = calendar(
        "Europe/Berlin",
        r#"{"weekly": {"mon": [["09:00","18:00"]], "tue": [["09:00","18:00"]], "wed": [["09:00","18:00"]], "thu": [["09:00","18:00"]], "fri": [["09:00","18:00"]]}}"#,
    );
    // Friday 2026-10-23 16:00 CEST (14:00Z) + 3 h → Monday 2026-10-26 10:00 CET (09:00Z).
    assert_eq!(show(cal.due(at("2026-10-23T14:00:00Z"), 3 * HOUR).unwrap()), "2026-10-26T09:00:00Z");
}

#[test]
fn america_spring_forward_gap_and_fall_back_fold() {
    let sundays =
        |interval: &str| calendar("America/New_York", &format!(r#"{{"weekly": {{"sun": [{interval}]}}}}"#));
    // 2026-03-08: New York skips 02:00–03:00. An interval opening at 02:30 opens at 03:30 EDT.
    let gap = sundays(r#"["02:30","04:00"]"#);
    assert_eq!(gap.covered(at("2026-03-08T00:00:00Z"), at("2026-03-09T00:00:00Z")).unwrap(), 30 * 60);
    assert_eq!(show(gap.next_open(at("2026-03-08T05:00:00Z")).unwrap()), "2026-03-08T07:30:00Z");
    // 2026-11-01: 01:00–02:00 happens twice. 01:30 means the first one (EDT), so the
    // interval to 03:00 EST lasts 2.5 hours.
    let fold = sundays(r#"["01:30","03:00"]"#);
    assert_eq!(fold.covered(at("2026-11-01T00:00:00Z"), at("2026-11-02T00:00:00Z")).unwrap(), 9_000);
    assert_eq!(show(fold.due(at("2026-11-01T00:00:00Z"), HOUR).unwrap()), "2026-11-01T06:30:00Z");
    // Round the clock across the spring gap: 6 real hours from Saturday 22:00 EST.
    let always = calendar(
        "America/New_York",
        r#"{"weekly": {"sat": [["00:00","24:00"]], "sun": [["00:00","24:00"]], "mon": [["00:00","24:00"]]}}"#,
    );
    assert_eq!(show(always.due(at("2026-03-08T03:00:00Z"), 6 * HOUR).unwrap()), "2026-03-08T09:00:00Z");
}

fn lotus() -> BusinessCalendar {
    calendar(
        "Asia/Shanghai",
        r#"{"weekly": {"mon": [["09:00","12:00"],["13:00","18:00"]], "tue": [["09:00","12:00"],["13:00","18:00"]],
                       "wed": [["09:00","12:00"],["13:00","18:00"]], "thu": [["09:00","12:00"],["13:00","18:00"]],
                       "fri": [["09:00","12:00"],["13:00","18:00"]]},
            "holidays": ["2026-10-01","2026-10-02","2026-10-03","2026-10-04","2026-10-05","2026-10-06","2026-10-07"],
            "extra_working_days": ["2026-09-27","2026-10-10"]}"#,
    )
}

#[test]
fn national_day_week_with_its_make_up_days() {
    let cal = lotus();
    // Wednesday 2026-09-30 17:00 CST + 4 h: one hour that evening, nothing 1–7 October,
    // then Thursday the 8th 09:00–12:00 → due 12:00 CST (04:00Z).
    assert_eq!(show(cal.due(at("2026-09-30T09:00:00Z"), 4 * HOUR).unwrap()), "2026-10-08T04:00:00Z");
    // Friday the 9th 17:00 + 3 h: an hour on Friday, then the make-up Saturday opens with
    // Monday's hours: 09:00–11:00 → 11:00 CST (03:00Z).
    assert_eq!(show(cal.due(at("2026-10-09T09:00:00Z"), 3 * HOUR).unwrap()), "2026-10-10T03:00:00Z");
    // Saturday 26 September + 2 h → the make-up Sunday the 27th, 11:00 CST.
    assert_eq!(show(cal.due(at("2026-09-26T04:00:00Z"), 2 * HOUR).unwrap()), "2026-09-27T03:00:00Z");
    // Lunch is not covered: 11:30 + 1 h → 13:30.
    assert_eq!(show(cal.due(at("2026-10-12T03:30:00Z"), HOUR).unwrap()), "2026-10-12T05:30:00Z");
    // The holiday week itself covers nothing.
    assert_eq!(cal.covered(at("2026-09-30T16:00:00Z"), at("2026-10-07T16:00:00Z")).unwrap(), 0);
}

#[test]
fn an_overnight_shift_and_a_holiday_that_closes_it() {
    // Monday to Friday 22:00–06:00 in Berlin; Wednesday 2026-12-23 is a holiday: the shift
    // starting on it is closed, the one running into it from Tuesday is not.
    let cal = calendar(
        "Europe/Berlin",
        r#"{"weekly": {"mon": [["22:00","06:00"]], "tue": [["22:00","06:00"]], "wed": [["22:00","06:00"]], "thu": [["22:00","06:00"]], "fri": [["22:00","06:00"]]},
            "holidays": ["2026-12-23"]}"#,
    );
    // Tuesday 23:00 CET + 8 h: Tuesday's shift gives 7 h until 06:00 Wednesday; Wednesday's
    // shift is closed; Thursday 22:00 + 1 h → 23:00 CET (22:00Z).
    assert_eq!(show(cal.due(at("2026-12-22T22:00:00Z"), 8 * HOUR).unwrap()), "2026-12-24T22:00:00Z");
}

#[test]
fn a_thirty_day_target_on_8x5_is_exact() {
    let cal = calendar(
        "Europe/Berlin",
        r#"{"weekly": {"mon": [["09:00","17:00"]], "tue": [["09:00","17:00"]], "wed": [["09:00","17:00"]], "thu": [["09:00","17:00"]], "fri": [["09:00","17:00"]]}}"#,
    );
    // 30 × 24 h = 720 covered hours = 90 eight-hour days = 18 weeks from Monday 2027-01-04
    // 09:00 CET, crossing the March change to summer time: due Friday 2027-05-07 17:00 CEST.
    let start = at("2027-01-04T08:00:00Z");
    let due = cal.due(start, 30 * 24 * HOUR).unwrap();
    assert_eq!(show(due), "2027-05-07T15:00:00Z");
    assert_eq!(cal.covered(start, due).unwrap(), 30 * 24 * HOUR);
}

#[test]
fn round_the_clock_is_plain_addition() {
    let cal = BusinessCalendar::always();
    assert_eq!(cal.due(1_000, 3_600).unwrap(), 4_600);
    assert_eq!(cal.covered(1_000, 4_600).unwrap(), 3_600);
}

#[test]
fn open_intervals_of_a_day_with_a_lunch_break_in_shanghai() {
    let cal = calendar(
        "Asia/Shanghai",
        r#"{"weekly": {"mon": [["09:00","12:00"], ["13:00","18:00"]], "tue": [["09:00","12:00"], ["13:00","18:00"]]}}"#,
    );
    // Monday 2026-11-30 in Shanghai (UTC+8), asked over the whole UTC day and a bit.
    let got = cal.open_intervals(at("2026-11-29T16:00:00Z"), at("2026-11-30T16:00:00Z")).unwrap();
    let shown: Vec<_> = got.iter().map(|(s, e)| (show(*s), show(*e))).collect();
    assert_eq!(
        shown,
        [
            ("2026-11-30T01:00:00Z".to_owned(), "2026-11-30T04:00:00Z".to_owned()),
            ("2026-11-30T05:00:00Z".to_owned(), "2026-11-30T10:00:00Z".to_owned()),
        ]
    );
    // Clipped to the window asked for; nothing on a day without hours.
    let clipped = cal.open_intervals(at("2026-11-30T02:30:00Z"), at("2026-11-30T06:00:00Z")).unwrap();
    assert_eq!(
        clipped,
        [
            (at("2026-11-30T02:30:00Z"), at("2026-11-30T04:00:00Z")),
            (at("2026-11-30T05:00:00Z"), at("2026-11-30T06:00:00Z"))
        ]
    );
    assert!(cal.open_intervals(at("2026-12-02T16:00:00Z"), at("2026-12-03T16:00:00Z")).unwrap().is_empty());
    assert_eq!(BusinessCalendar::always().open_intervals(0, 100).unwrap(), [(0, 100)]);
}
